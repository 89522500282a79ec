/* emit.c - result -> JSON (schema vanban/1) with jansson. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define TRY(x)                                                                                 \
    do {                                                                                       \
        if ((x)) goto nomem;                                                                   \
    } while (0)
/* Hand v over to o (jansson takes it even on failure); v is then NULL, so
   an error path frees only what nothing owns. */
#define ATTACH(o, key, v)                                                                      \
    do {                                                                                       \
        json_t *v_ = (v);                                                                      \
        (v) = NULL;                                                                            \
        if (json_object_set_new((o), (key), v_)) goto nomem;                                   \
    } while (0)

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *jspan(vbi_span sp)
{
    if (sp.s == VBI_NONE) return json_null();
    json_t *a = json_array();
    if (!a) return NULL;
    if (json_array_append_new(a, json_integer(sp.s)) ||
        json_array_append_new(a, json_integer(sp.e))) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static bool inside(vbi_span d, uint64_t off) { return d.s != VBI_NONE && off >= d.s && off < d.e; }

static json_t *warning_obj(const vbi_warning *w)
{
    json_t *o = json_object();
    if (!o) return NULL;
    if (json_object_set_new(o, "code", json_string(w->code)) ||
        json_object_set_new(o, "message", json_string(w->message)) ||
        json_object_set_new(o, "offset", json_integer((json_int_t)w->offset))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *str_list(const vbi_str *v, size_t n, json_t **spans)
{
    json_t *a = json_array(), *s = json_array();
    if (!a || !s) goto nomem;
    for (size_t i = 0; i < n; i++) {
        TRY(json_array_append_new(a, jstr(v[i].s)));
        TRY(json_array_append_new(s, jspan(v[i].span)));
    }
    *spans = s;
    return a;
nomem:
    json_decref(a);
    json_decref(s);
    return NULL;
}

static json_t *sections(const vbi_doc *D)
{
    json_t *root = json_array();
    json_t **objs = NULL;
    if (!root) return NULL;
    if (D->nsections) {
        objs = calloc(D->nsections, sizeof *objs);
        if (!objs) goto nomem;
    }
    for (size_t i = 0; i < D->nsections; i++) {
        const vbi_section *s = &D->sections[i];
        json_t *o = json_object();
        if (!o) goto nomem;
        objs[i] = o;
        json_t *kids = json_array();
        TRY(json_object_set_new(o, "label", jstr(s->label)));
        TRY(json_object_set_new(o, "level", json_integer(s->level)));
        TRY(json_object_set_new(o, "title", jstr(s->title)));
        TRY(json_object_set_new(o, "span", jspan(s->span)));
        TRY(json_object_set_new(o, "children", kids));
        json_t *parent = s->parent == SIZE_MAX ? root : json_object_get(objs[s->parent], "children");
        TRY(json_array_append(parent, o)); /* parent holds a reference */
    }
    for (size_t i = 0; i < D->nsections; i++) json_decref(objs[i]);
    free(objs);
    return root;
nomem:
    if (objs)
        for (size_t i = 0; i < D->nsections; i++) json_decref(objs[i]);
    free(objs);
    json_decref(root);
    return NULL;
}

/* ---- references and tasks ---------------------------------------------- */

static const char *const rel_names[] = {NULL,        "căn cứ",   "sửa đổi",   "thay thế",
                                        "bãi bỏ",    "hướng dẫn", "thực hiện", "other"};

static json_t *references(const vbi_doc *D)
{
    json_t *a = json_array();
    if (!a) return NULL;
    for (size_t i = 0; i < D->nrefs; i++) {
        const vbi_ref *r = &D->refs[i];
        json_t *o = json_object(), *sp = json_array();
        if (!o || !sp || json_array_append_new(a, o)) {
            json_decref(o);
            json_decref(sp);
            goto nomem;
        }
        TRY(json_object_set_new(o, "type", jstr(r->type)));
        TRY(json_object_set_new(o, "number", jstr(r->number)));
        TRY(json_object_set_new(o, "name", jstr(r->name)));
        TRY(json_object_set_new(o, "date", r->date[0] ? json_string(r->date) : json_null()));
        TRY(json_object_set_new(o, "date_inferred", json_boolean(r->date_inferred)));
        TRY(json_object_set_new(o, "issuer", jstr(r->issuer)));
        TRY(json_object_set_new(o, "subject", jstr(r->subject)));
        TRY(json_object_set_new(o, "term", jstr(r->term)));
        TRY(json_object_set_new(o, "mentions", json_integer((json_int_t)r->mentions)));
        TRY(json_object_set_new(o, "spans", sp));
        for (size_t k = 0; k < r->mentions; k++) TRY(json_array_append_new(sp, jspan(r->spans[k])));
        TRY(json_object_set_new(o, "relation", jstr(rel_names[r->relation])));
    }
    return a;
nomem:
    json_decref(a);
    return NULL;
}

static json_t *tasks(const vbi_doc *D)
{
    json_t *a = json_array();
    if (!a) return NULL;
    for (size_t i = 0; i < D->ntasks; i++) {
        const vbi_task *t = &D->tasks[i];
        json_t *o = json_object(), *ps = json_array();
        if (!o || !ps || json_array_append_new(a, o)) {
            json_decref(o);
            json_decref(ps);
            goto nomem;
        }
        TRY(json_object_set_new(o, "assignee", jstr(t->assignee)));
        TRY(json_object_set_new(o, "action", jstr(t->action)));
        TRY(json_object_set_new(o, "deadline", t->deadline[0] ? json_string(t->deadline) : json_null()));
        TRY(json_object_set_new(o, "deadline_raw", jstr(t->deadline_raw)));
        TRY(json_object_set_new(o, "recurrence", jstr(t->recurrence)));
        TRY(json_object_set_new(o, "lead", jstr(t->lead)));
        TRY(json_object_set_new(o, "partners", ps));
        for (size_t k = 0; k < t->npartners; k++) TRY(json_array_append_new(ps, jstr(t->partners[k])));
        TRY(json_object_set_new(o, "report_to", jstr(t->report_to)));
        TRY(json_object_set_new(o, "section", jstr(t->section)));
        TRY(json_object_set_new(o, "span", jspan(t->span)));
    }
    return a;
nomem:
    json_decref(a);
    return NULL;
}

static json_t *annexes(const vbi_doc *D)
{
    json_t *a = json_array();
    if (!a) return NULL;
    for (size_t i = 0; i < D->nannexes; i++) {
        const vbi_annex *x = &D->annexes[i];
        json_t *o = json_object();
        TRY(json_array_append_new(a, o));
        TRY(json_object_set_new(o, "label", jstr(x->label.s)));
        TRY(json_object_set_new(o, "title", jstr(x->title.s)));
        TRY(json_object_set_new(o, "span", jspan(x->span)));
    }
    return a;
nomem:
    json_decref(a);
    return NULL;
}

static json_t *doc_obj(const vanban_result *r, const vbi_doc *D)
{
    static const char *const fmts[] = {"unknown", "party", "state"};
    json_t *o = json_object(), *spans = json_object(), *x = NULL;
    if (!o || !spans) goto nomem;
    TRY(json_object_set_new(o, "span", jspan(D->span)));
    TRY(json_object_set_new(o, "format", json_string(fmts[D->format])));
    TRY(json_object_set_new(o, "national_header", jstr(D->national.s)));
    TRY(json_object_set_new(o, "motto", jstr(D->motto.s)));
    if (D->issuer.s) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "name", jstr(D->issuer.s)));
        TRY(json_object_set_new(x, "parent", jstr(D->issuer_parent.s)));
        TRY(json_object_set_new(x, "inferred", json_boolean(D->issuer_inferred)));
        ATTACH(o, "issuer", x);
    } else {
        TRY(json_object_set_new(o, "issuer", json_null()));
    }
    if (D->has_number) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "raw", jstr(D->number_raw.s)));
        TRY(json_object_set_new(x, "number", jstr(D->num)));
        TRY(json_object_set_new(x, "year", jstr(D->num_year)));
        TRY(json_object_set_new(x, "type_code", jstr(D->num_type)));
        TRY(json_object_set_new(x, "issuer_code", jstr(D->num_issuer)));
        ATTACH(o, "number", x);
    } else {
        TRY(json_object_set_new(o, "number", json_null()));
    }
    if (D->type) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "name", json_string(D->type->name)));
        TRY(json_object_set_new(x, "code", jstr(D->type_code)));
        TRY(json_object_set_new(x, "inferred", json_boolean(D->type_inferred)));
        ATTACH(o, "type", x);
    } else {
        TRY(json_object_set_new(o, "type", json_null()));
    }
    TRY(json_object_set_new(o, "place", jstr(D->place.s)));
    TRY(json_object_set_new(o, "date", D->date[0] ? json_string(D->date) : json_null()));
    TRY(json_object_set_new(o, "subject", jstr(D->subject.s)));
    if (D->has_stamp) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "receiver", jstr(D->stamp_receiver.s)));
        TRY(json_object_set_new(x, "number", jstr(D->stamp_number)));
        TRY(json_object_set_new(x, "date", D->stamp_date[0] ? json_string(D->stamp_date) : json_null()));
        ATTACH(o, "received_stamp", x);
    } else {
        TRY(json_object_set_new(o, "received_stamp", json_null()));
    }
    json_t *aspans = NULL, *rspans = NULL;
    x = str_list(D->addressees, D->naddressees, &aspans);
    if (!x) goto nomem;
    ATTACH(o, "addressees", x);
    TRY(json_object_set_new(spans, "addressees", aspans));
    x = sections(D);
    if (!x) goto nomem;
    ATTACH(o, "sections", x);
    x = references(D);
    if (!x) goto nomem;
    ATTACH(o, "references", x);
    x = tasks(D);
    if (!x) goto nomem;
    ATTACH(o, "tasks", x);
    x = str_list(D->recipients, D->nrecipients, &rspans);
    if (!x) goto nomem;
    ATTACH(o, "recipients", x);
    TRY(json_object_set_new(spans, "recipients", rspans));
    if (D->has_signature) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "marker", jstr(D->sig_marker.s)));
        TRY(json_object_set_new(x, "authority", jstr(D->sig_authority.s)));
        TRY(json_object_set_new(x, "title", jstr(D->sig_title.s)));
        TRY(json_object_set_new(x, "name", jstr(D->sig_name.s)));
        ATTACH(o, "signature", x);
    } else {
        TRY(json_object_set_new(o, "signature", json_null()));
    }
    x = annexes(D);
    if (!x) goto nomem;
    ATTACH(o, "annexes", x);
    json_t *cs = json_array(), *ws = json_array();
    TRY(json_object_set_new(o, "corrections", cs));
    TRY(json_object_set_new(o, "warnings", ws));
    for (size_t i = 0; i < r->ncorrections; i++) {
        const vbi_correction *c = &r->corrections[i];
        if (!inside(D->span, c->span.s)) continue;
        json_t *co = json_object();
        TRY(json_array_append_new(cs, co));
        TRY(json_object_set_new(co, "span", jspan(c->span)));
        TRY(json_object_set_new(co, "from", json_string(c->from)));
        TRY(json_object_set_new(co, "to", json_string(c->to)));
        TRY(json_object_set_new(co, "kind", json_string(c->kind)));
        TRY(json_object_set_new(co, "confidence", json_real(c->confidence)));
    }
    for (size_t i = 0; i < r->nwarnings; i++)
        if (inside(D->span, r->warnings[i].offset))
            TRY(json_array_append_new(ws, warning_obj(&r->warnings[i])));
    TRY(json_object_set_new(spans, "national_header", jspan(D->national.span)));
    TRY(json_object_set_new(spans, "motto", jspan(D->motto.span)));
    TRY(json_object_set_new(spans, "issuer", jspan(D->issuer_span)));
    TRY(json_object_set_new(spans, "number", jspan(D->number_raw.span)));
    TRY(json_object_set_new(spans, "type", jspan(D->type_span)));
    TRY(json_object_set_new(spans, "place", jspan(D->place.span)));
    TRY(json_object_set_new(spans, "date", jspan(D->date_span)));
    TRY(json_object_set_new(spans, "subject", jspan(D->subject.span)));
    TRY(json_object_set_new(spans, "received_stamp", jspan(D->stamp_span)));
    TRY(json_object_set_new(spans, "signature", jspan(D->sig_span)));
    ATTACH(o, "spans", spans);
    return o;
nomem:
    json_decref(x);
    json_decref(spans);
    json_decref(o);
    return NULL;
}

/* Output through the user's callback; in pretty mode every line after the
   first gets `indent` extra spaces, so that a document dumped on its own sits
   at the right depth inside the "documents" array. */
typedef struct {
    vanban_write_fn fn;
    void *ud;
    int indent;
    int failed;
} sink;

static int sink_write(const char *buf, size_t len, void *data)
{
    sink *k = data;
    static const char spaces[] = "        ";
    size_t st = 0;
    for (size_t i = 0; i < len && k->indent; i++)
        if (buf[i] == '\n') {
            if (k->fn(buf + st, i + 1 - st, k->ud) || k->fn(spaces, (size_t)k->indent, k->ud))
                return k->failed = -1;
            st = i + 1;
        }
    if (st < len && k->fn(buf + st, len - st, k->ud)) return k->failed = -1;
    return 0;
}

static int put(sink *k, const char *s) { return sink_write(s, strlen(s), k); }

/* Dump one value (and free it); -1 on failure. */
static int dump(sink *k, json_t *v, size_t jf)
{
    if (!v) return -2;
    int rc = json_dump_callback(v, sink_write, k, jf);
    json_decref(v);
    /* jansson fails for its own buffers too: out of memory unless the
       writer itself failed */
    return !rc ? 0 : k->failed ? -1 : -2;
}

/* The top-level object is written piece by piece and each document is built,
   written and freed in turn, so memory does not grow with the number of
   documents in one input. */
int vbi_emit_json(const vanban_result *r, unsigned flags, vanban_write_fn fn, void *ud)
{
    bool pretty = flags & VANBAN_JSON_PRETTY;
    size_t jf = JSON_REAL_PRECISION(3) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
    const char *nl = pretty ? "\n" : "", *sp = pretty ? " " : "";
    sink k = {fn, ud, 0, 0};
    char head[64];
    json_t *src = json_object();
    if (!src) return VANBAN_ENOMEM;
    if (json_object_set_new(src, "path", jstr(r->path)) ||
        json_object_set_new(src, "bytes", json_integer((json_int_t)r->bytes)) ||
        /* "" when VANBAN_OPT_TEXT_ONLY skipped the checksum */
        json_object_set_new(src, "sha256", r->sha256[0] ? json_string(r->sha256) : json_null()) ||
        json_object_set_new(src, "encoding", json_string(r->encoding ? r->encoding : "utf-8"))) {
        json_decref(src);
        return VANBAN_ENOMEM;
    }
    int rc;
    snprintf(head, sizeof head, "{%s%s\"schema\":%s\"vanban/1\",%s%s\"source\":%s", nl,
             pretty ? "  " : "", sp, nl, pretty ? "  " : "", sp);
    if (put(&k, head)) return VANBAN_EWRITE;
    k.indent = pretty ? 2 : 0;
    if ((rc = dump(&k, src, jf))) goto fail;
    k.indent = 0;
    snprintf(head, sizeof head, ",%s%s\"documents\":%s[", nl, pretty ? "  " : "", sp);
    if (put(&k, head)) return VANBAN_EWRITE;
    for (size_t i = 0; i < r->ndocs; i++) {
        if (put(&k, i ? "," : "") || put(&k, nl) || (pretty && put(&k, "    ")))
            return VANBAN_EWRITE;
        k.indent = pretty ? 4 : 0;
        if ((rc = dump(&k, doc_obj(r, &r->docs[i]), jf))) goto fail;
        k.indent = 0;
    }
    if (r->ndocs && pretty && put(&k, "\n  ")) return VANBAN_EWRITE;
    snprintf(head, sizeof head, "],%s%s\"warnings\":%s", nl, pretty ? "  " : "", sp);
    if (put(&k, head)) return VANBAN_EWRITE;
    json_t *warns = json_array();
    if (!warns) return VANBAN_ENOMEM;
    for (size_t i = 0; i < r->nwarnings; i++)
        if (json_array_append_new(warns, warning_obj(&r->warnings[i]))) {
            json_decref(warns);
            return VANBAN_ENOMEM;
        }
    if (r->dropped_warnings) {
        vbi_warning w = {"warnings-dropped", "more warnings than options.max_warnings", 0};
        if (json_array_append_new(warns, warning_obj(&w))) {
            json_decref(warns);
            return VANBAN_ENOMEM;
        }
    }
    k.indent = pretty ? 2 : 0;
    if ((rc = dump(&k, warns, jf))) goto fail;
    k.indent = 0;
    if (put(&k, nl) || put(&k, "}\n")) return VANBAN_EWRITE;
    return VANBAN_OK;
fail:
    return rc == -2 ? VANBAN_ENOMEM : VANBAN_EWRITE;
}
