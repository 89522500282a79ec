/* emit.c - result -> JSON (schema vanban/1) with jansson. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define TRY(x)                                                                                 \
    do {                                                                                       \
        if ((x)) goto nomem;                                                                   \
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
        TRY(json_object_set_new(o, "issuer", x));
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
        TRY(json_object_set_new(o, "number", x));
    } else {
        TRY(json_object_set_new(o, "number", json_null()));
    }
    if (D->type) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "name", json_string(D->type->name)));
        TRY(json_object_set_new(x, "code", jstr(D->type_code)));
        TRY(json_object_set_new(x, "inferred", json_boolean(D->type_inferred)));
        TRY(json_object_set_new(o, "type", x));
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
        TRY(json_object_set_new(o, "received_stamp", x));
    } else {
        TRY(json_object_set_new(o, "received_stamp", json_null()));
    }
    json_t *aspans = NULL, *rspans = NULL;
    x = str_list(D->addressees, D->naddressees, &aspans);
    if (!x) goto nomem;
    TRY(json_object_set_new(o, "addressees", x));
    TRY(json_object_set_new(spans, "addressees", aspans));
    x = sections(D);
    if (!x) goto nomem;
    TRY(json_object_set_new(o, "sections", x));
    TRY(json_object_set_new(o, "references", json_array()));
    TRY(json_object_set_new(o, "tasks", json_array()));
    x = str_list(D->recipients, D->nrecipients, &rspans);
    if (!x) goto nomem;
    TRY(json_object_set_new(o, "recipients", x));
    TRY(json_object_set_new(spans, "recipients", rspans));
    if (D->has_signature) {
        x = json_object();
        if (!x) goto nomem;
        TRY(json_object_set_new(x, "marker", jstr(D->sig_marker.s)));
        TRY(json_object_set_new(x, "authority", jstr(D->sig_authority.s)));
        TRY(json_object_set_new(x, "title", jstr(D->sig_title.s)));
        TRY(json_object_set_new(x, "name", jstr(D->sig_name.s)));
        TRY(json_object_set_new(o, "signature", x));
    } else {
        TRY(json_object_set_new(o, "signature", json_null()));
    }
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
    TRY(json_object_set_new(o, "spans", spans));
    return o;
nomem:
    json_decref(o);
    return NULL;
}

int vbi_emit_json(const vanban_result *r, unsigned flags, vanban_write_fn fn, void *ud)
{
    json_t *root = json_object(), *src = json_object(), *docs = json_array(),
           *warns = json_array();
    if (!root || !src || !docs || !warns) {
        json_decref(root);
        json_decref(src);
        json_decref(docs);
        json_decref(warns);
        return VANBAN_ENOMEM;
    }
    TRY(json_object_set_new(root, "schema", json_string("vanban/1")));
    TRY(json_object_set_new(root, "source", src));
    TRY(json_object_set_new(src, "path", jstr(r->path)));
    TRY(json_object_set_new(src, "bytes", json_integer((json_int_t)r->bytes)));
    TRY(json_object_set_new(src, "sha256", json_string(r->sha256)));
    TRY(json_object_set_new(src, "encoding", json_string(r->encoding ? r->encoding : "utf-8")));
    TRY(json_object_set_new(root, "documents", docs));
    for (size_t i = 0; i < r->ndocs; i++) TRY(json_array_append_new(docs, doc_obj(r, &r->docs[i])));
    TRY(json_object_set_new(root, "warnings", warns));
    for (size_t i = 0; i < r->nwarnings; i++)
        TRY(json_array_append_new(warns, warning_obj(&r->warnings[i])));
    if (r->dropped_warnings) {
        vbi_warning w = {"warnings-dropped", "more warnings than options.max_warnings", 0};
        TRY(json_array_append_new(warns, warning_obj(&w)));
    }
    size_t jf = JSON_REAL_PRECISION(3) | ((flags & VANBAN_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT);
    int rc = json_dump_callback(root, (json_dump_callback_t)fn, ud, jf);
    json_decref(root);
    if (rc) return VANBAN_EWRITE;
    return fn("\n", 1, ud) ? VANBAN_EWRITE : VANBAN_OK;
nomem:
    json_decref(root);
    return VANBAN_ENOMEM;
}
