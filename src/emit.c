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

/* ---- references and tasks ---------------------------------------------- */

static const char *const rel_names[] = {NULL,        "căn cứ",   "sửa đổi",   "thay thế",
                                        "bãi bỏ",    "hướng dẫn", "thực hiện", "other"};

static json_t *ref_obj(const vbi_ref *r)
{
    json_t *sp = json_array();
    if (!sp) return NULL;
    for (size_t k = 0; k < r->mentions; k++)
        if (json_array_append_new(sp, jspan(r->spans[k]))) {
            json_decref(sp);
            return NULL;
        }
    return json_pack("{s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:I, s:o, s:o}", "type", jstr(r->type),
                     "number", jstr(r->number), "name", jstr(r->name), "date",
                     r->date[0] ? json_string(r->date) : json_null(), "date_inferred", r->date_inferred,
                     "issuer", jstr(r->issuer), "subject", jstr(r->subject), "term", jstr(r->term),
                     "mentions", (json_int_t)r->mentions, "spans", sp, "relation",
                     jstr(rel_names[r->relation]));
}

static json_t *task_obj(const vbi_task *t)
{
    json_t *ps = json_array();
    if (!ps) return NULL;
    for (size_t k = 0; k < t->npartners; k++)
        if (json_array_append_new(ps, jstr(t->partners[k]))) {
            json_decref(ps);
            return NULL;
        }
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "assignee", jstr(t->assignee),
                     "action", jstr(t->action), "deadline",
                     t->deadline[0] ? json_string(t->deadline) : json_null(), "deadline_raw",
                     jstr(t->deadline_raw), "recurrence", jstr(t->recurrence), "lead", jstr(t->lead),
                     "partners", ps, "report_to", jstr(t->report_to), "section", jstr(t->section),
                     "span", jspan(t->span));
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
    static const char spaces[] = "                                "; /* 32 */
    size_t st = 0;
    for (size_t i = 0; i < len && k->indent; i++)
        if (buf[i] == '\n') {
            if (k->fn(buf + st, i + 1 - st, k->ud)) return k->failed = -1;
            for (size_t left = (size_t)k->indent; left;) {
                size_t m = left < 32 ? left : 32;
                if (k->fn(spaces, m, k->ud)) return k->failed = -1;
                left -= m;
            }
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

/* ---- one document, streamed ------------------------------------------------
   A document is written key by key and its long lists (sections, references,
   tasks, corrections, warnings, addressees, recipients) item by item, each
   item built, dumped and freed in turn: memory does not grow with the size of
   one document (10 MB of headings no longer make a tree of gigabytes).  The
   bytes are the ones jansson wrote for the whole object (JSON_INDENT(2), or
   compact): structure by hand, every value through jansson. */
typedef struct {
    sink *k;
    size_t jf;
    bool pretty;
    int err; /* 0; -1 the writer failed; -2 out of memory */
} dw;

static void dw_raw(dw *w, const char *s)
{
    if (!w->err && put(w->k, s)) w->err = -1;
}

/* A new line at the given depth (pretty only). */
static void dw_nl(dw *w, int depth)
{
    if (!w->pretty) return;
    char b[2 + 2 * 64];
    int n = depth > 64 ? 64 : depth;
    b[0] = '\n';
    memset(b + 1, ' ', (size_t)(2 * n));
    b[1 + 2 * n] = 0;
    dw_raw(w, b);
}

/* Before the (i)th key or item of an object or array at depth-1. */
static void dw_next(dw *w, int depth, size_t i)
{
    if (i) dw_raw(w, ",");
    dw_nl(w, depth);
}

static void dw_key(dw *w, int depth, size_t i, const char *key)
{
    dw_next(w, depth, i);
    dw_raw(w, "\"");
    dw_raw(w, key);
    dw_raw(w, w->pretty ? "\": " : "\":");
}

/* Close an object or array of n members opened at depth. */
static void dw_close(dw *w, int depth, size_t n, const char *c)
{
    if (n) dw_nl(w, depth);
    dw_raw(w, c);
}

/* A value (taken: freed here) on a line at the given depth. */
static void dw_val(dw *w, int depth, json_t *v)
{
    if (w->err) {
        json_decref(v);
        return;
    }
    w->k->indent = w->pretty ? 2 * depth : 0;
    int rc = dump(w->k, v, w->jf | JSON_ENCODE_ANY); /* (a string or a number alone too) */
    w->k->indent = 0;
    if (rc) w->err = rc;
}

static void dw_kv(dw *w, int depth, size_t i, const char *key, json_t *v)
{
    dw_key(w, depth, i, key);
    dw_val(w, depth, v);
}

/* Section i and its children (kid: first child, sib: next sibling). */
static void dw_section(dw *w, const vbi_doc *D, const size_t *kid, const size_t *sib, size_t i,
                       int depth)
{
    const vbi_section *s = &D->sections[i];
    dw_raw(w, "{");
    dw_kv(w, depth + 1, 0, "label", jstr(s->label));
    dw_kv(w, depth + 1, 1, "level", json_integer(s->level));
    dw_kv(w, depth + 1, 2, "title", jstr(s->title));
    dw_kv(w, depth + 1, 3, "span", jspan(s->span));
    dw_key(w, depth + 1, 4, "children");
    dw_raw(w, "[");
    size_t n = 0;
    for (size_t c = kid[i]; c != SIZE_MAX && !w->err; c = sib[c], n++) {
        dw_next(w, depth + 2, n);
        dw_section(w, D, kid, sib, c, depth + 2);
    }
    dw_close(w, depth + 1, n, "]");
    dw_close(w, depth, 5, "}");
}

static void dw_sections(dw *w, const vbi_doc *D, int depth)
{
    size_t n = D->nsections;
    size_t *kid = n ? malloc(2 * n * sizeof *kid) : NULL, *sib = kid ? kid + n : NULL;
    if (n && !kid) {
        w->err = -2;
        return;
    }
    size_t roots = SIZE_MAX, *last = n ? malloc(n * sizeof *last) : NULL, root_last = SIZE_MAX;
    if (n && !last) {
        free(kid);
        w->err = -2;
        return;
    }
    for (size_t i = 0; i < n; i++) kid[i] = sib[i] = last[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) { /* children in document order */
        size_t p = D->sections[i].parent;
        size_t *head = p == SIZE_MAX ? &roots : &kid[p], *tail = p == SIZE_MAX ? &root_last : &last[p];
        if (*tail == SIZE_MAX) *head = i;
        else sib[*tail] = i;
        *tail = i;
    }
    free(last);
    dw_raw(w, "[");
    size_t k = 0;
    for (size_t c = roots; c != SIZE_MAX && !w->err; c = sib[c], k++) {
        dw_next(w, depth + 1, k);
        dw_section(w, D, kid, sib, c, depth + 1);
    }
    dw_close(w, depth, k, "]");
    free(kid);
}

/* A list of strings, item by item. */
static void dw_strs(dw *w, int depth, const vbi_str *v, size_t n)
{
    dw_raw(w, "[");
    for (size_t i = 0; i < n && !w->err; i++) {
        dw_next(w, depth + 1, i);
        dw_val(w, depth + 1, jstr(v[i].s));
    }
    dw_close(w, depth, n, "]");
}

static void dw_spans(dw *w, int depth, const vbi_str *v, size_t n)
{
    dw_raw(w, "[");
    for (size_t i = 0; i < n && !w->err; i++) {
        dw_next(w, depth + 1, i);
        dw_val(w, depth + 1, jspan(v[i].span));
    }
    dw_close(w, depth, n, "]");
}

static json_t *issuer_obj(const vbi_doc *D)
{
    if (!D->issuer.s) return json_null();
    return json_pack("{s:o, s:o, s:b}", "name", jstr(D->issuer.s), "parent", jstr(D->issuer_parent.s),
                     "inferred", D->issuer_inferred);
}

static json_t *number_obj(const vbi_doc *D)
{
    if (!D->has_number) return json_null();
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "raw", jstr(D->number_raw.s), "number", jstr(D->num),
                     "year", jstr(D->num_year), "type_code", jstr(D->num_type), "issuer_code",
                     jstr(D->num_issuer));
}

static json_t *type_obj(const vbi_doc *D)
{
    if (!D->type) return json_null();
    return json_pack("{s:s, s:o, s:b}", "name", D->type->name, "code", jstr(D->type_code), "inferred",
                     D->type_inferred);
}

static json_t *stamp_obj(const vbi_doc *D)
{
    if (!D->has_stamp) return json_null();
    return json_pack("{s:o, s:o, s:o}", "receiver", jstr(D->stamp_receiver.s), "number",
                     jstr(D->stamp_number), "date",
                     D->stamp_date[0] ? json_string(D->stamp_date) : json_null());
}

static json_t *signature_obj(const vbi_doc *D)
{
    if (!D->has_signature) return json_null();
    return json_pack("{s:o, s:o, s:o, s:o}", "marker", jstr(D->sig_marker.s), "authority",
                     jstr(D->sig_authority.s), "title", jstr(D->sig_title.s), "name", jstr(D->sig_name.s));
}

static json_t *correction_obj(const vbi_correction *c)
{
    return json_pack("{s:o, s:s, s:s, s:s, s:f}", "span", jspan(c->span), "from", c->from, "to", c->to,
                     "kind", c->kind, "confidence", c->confidence);
}

/* The document D at depth (its "{" is where the writer stands). */
static int dw_doc(dw *w, const vanban_result *r, const vbi_doc *D, int depth)
{
    static const char *const fmts[] = {"unknown", "party", "state"};
    int d = depth + 1;
    size_t i = 0;
    dw_raw(w, "{");
    dw_kv(w, d, i++, "span", jspan(D->span));
    dw_kv(w, d, i++, "format", json_string(fmts[D->format]));
    dw_kv(w, d, i++, "national_header", jstr(D->national.s));
    dw_kv(w, d, i++, "motto", jstr(D->motto.s));
    dw_kv(w, d, i++, "issuer", issuer_obj(D));
    dw_kv(w, d, i++, "number", number_obj(D));
    dw_kv(w, d, i++, "type", type_obj(D));
    dw_kv(w, d, i++, "place", jstr(D->place.s));
    dw_kv(w, d, i++, "date", D->date[0] ? json_string(D->date) : json_null());
    dw_kv(w, d, i++, "subject", jstr(D->subject.s));
    dw_kv(w, d, i++, "received_stamp", stamp_obj(D));
    dw_key(w, d, i++, "addressees");
    dw_strs(w, d, D->addressees, D->naddressees);
    dw_key(w, d, i++, "sections");
    dw_sections(w, D, d);
    dw_key(w, d, i++, "references");
    dw_raw(w, "[");
    for (size_t k = 0; k < D->nrefs && !w->err; k++) {
        dw_next(w, d + 1, k);
        dw_val(w, d + 1, ref_obj(&D->refs[k]));
    }
    dw_close(w, d, D->nrefs, "]");
    dw_key(w, d, i++, "tasks");
    dw_raw(w, "[");
    for (size_t k = 0; k < D->ntasks && !w->err; k++) {
        dw_next(w, d + 1, k);
        dw_val(w, d + 1, task_obj(&D->tasks[k]));
    }
    dw_close(w, d, D->ntasks, "]");
    dw_key(w, d, i++, "recipients");
    dw_strs(w, d, D->recipients, D->nrecipients);
    dw_kv(w, d, i++, "signature", signature_obj(D));
    dw_kv(w, d, i++, "annexes", annexes(D));
    dw_key(w, d, i++, "corrections");
    dw_raw(w, "[");
    size_t n = 0;
    for (size_t k = 0; k < r->ncorrections && !w->err; k++)
        if (inside(D->span, r->corrections[k].span.s)) {
            dw_next(w, d + 1, n++);
            dw_val(w, d + 1, correction_obj(&r->corrections[k]));
        }
    dw_close(w, d, n, "]");
    dw_key(w, d, i++, "warnings");
    dw_raw(w, "[");
    n = 0;
    for (size_t k = 0; k < r->nwarnings && !w->err; k++)
        if (inside(D->span, r->warnings[k].offset)) {
            dw_next(w, d + 1, n++);
            dw_val(w, d + 1, warning_obj(&r->warnings[k]));
        }
    dw_close(w, d, n, "]");
    /* the spans of the fields, in the order the first release wrote them */
    dw_key(w, d, i++, "spans");
    dw_raw(w, "{");
    size_t j = 0;
    dw_key(w, d + 1, j++, "addressees");
    dw_spans(w, d + 1, D->addressees, D->naddressees);
    dw_key(w, d + 1, j++, "recipients");
    dw_spans(w, d + 1, D->recipients, D->nrecipients);
    dw_kv(w, d + 1, j++, "national_header", jspan(D->national.span));
    dw_kv(w, d + 1, j++, "motto", jspan(D->motto.span));
    dw_kv(w, d + 1, j++, "issuer", jspan(D->issuer_span));
    dw_kv(w, d + 1, j++, "number", jspan(D->number_raw.span));
    dw_kv(w, d + 1, j++, "type", jspan(D->type_span));
    dw_kv(w, d + 1, j++, "place", jspan(D->place.span));
    dw_kv(w, d + 1, j++, "date", jspan(D->date_span));
    dw_kv(w, d + 1, j++, "subject", jspan(D->subject.span));
    dw_kv(w, d + 1, j++, "received_stamp", jspan(D->stamp_span));
    dw_kv(w, d + 1, j++, "signature", jspan(D->sig_span));
    dw_close(w, d, j, "}");
    dw_close(w, depth, i, "}");
    return w->err;
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
        dw w = {&k, jf, pretty, 0};
        if ((rc = dw_doc(&w, r, &r->docs[i], 2))) goto fail;
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
