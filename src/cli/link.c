/* link.c - "vanban link" and "vanban graph": references across a batch.
 *
 * Every FILE is parsed; each document gets an id "FILE#N" (N from 1).  A
 * reference is linked to the batch document with the same type and number.
 * A document without a number whose type, issuer and subject match what other
 * documents of the batch cite takes the cited number and date, marked
 * inferred.  "link" prints the parsed files with "id", "links_to" on each
 * reference and the inferred numbers; "graph" prints the citation graph as
 * JSON or (--dot) Graphviz DOT, documents outside the batch drawn dashed.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "cli.h"

typedef struct {
    json_t *doc;   /* borrowed from the file's JSON */
    char *id;
    const char *path;
} bdoc;

typedef struct {
    json_t *files; /* array of parse results */
    bdoc *v;
    size_t n, cap;
    bool oom; /* an allocation failed: no output, exit 2 */
} batch;

/* jansson calls that may fail for memory: any failure marks the batch */
#define OK_OR_OOM(B, call) do { if (call) (B)->oom = true; } while (0)

static char *fold(const char *s)
{
    if (!s) return NULL;
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (n < 0) return NULL;
    return (char *)out;
}

/* "12 - CT/TW" -> "12-CT/TW" (spaces out). */
static void squeeze(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (; s && *s && k + 1 < cap; s++)
        if (*s != ' ') out[k++] = *s;
    out[k] = 0;
}

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *doc_type(json_t *d) { return sget(json_object_get(d, "type"), "name"); }
static const char *doc_number(json_t *d) { return sget(json_object_get(d, "number"), "raw"); }

/* Words of a subject, folded, without a leading "về" / "về việc". */
static size_t words(const char *s, char w[][32], size_t max)
{
    size_t n = 0;
    while (s && *s && n < max) {
        while (*s == ' ' || *s == ',' || *s == '.' || *s == ';') s++;
        if (!*s) break;
        size_t k = 0;
        while (*s && *s != ' ' && *s != ',' && *s != '.' && *s != ';') {
            if (k + 1 < 32) w[n][k++] = *s;
            s++;
        }
        w[n][k] = 0;
        if (n == 0 && !strcmp(w[0], "về")) continue;
        if (n == 0 && !strcmp(w[0], "việc")) continue;
        n++;
    }
    return n;
}

/* Share of the shorter subject's words found in the other. */
static double subject_overlap(const char *a, const char *b, bool *oom)
{
    char *fa = fold(a), *fb = fold(b);
    if (!fa || !fb) *oom = true; /* (both are strings: only memory can fail) */
    static char wa[96][32], wb[96][32];
    double r = 0;
    if (fa && fb) {
        size_t na = words(fa, wa, 96), nb = words(fb, wb, 96), hit = 0;
        size_t ns = na < nb ? na : nb;
        char(*sh)[32] = na < nb ? wa : wb, (*lo)[32] = na < nb ? wb : wa;
        size_t nl = na < nb ? nb : na;
        for (size_t i = 0; i < ns; i++)
            for (size_t j = 0; j < nl; j++)
                if (!strcmp(sh[i], lo[j])) { hit++; break; }
        r = ns >= 4 ? (double)hit / (double)ns : 0;
    }
    free(fa);
    free(fb);
    return r;
}

/* Same body: one folded name starts with the other at a word boundary. */
static bool same_issuer(const char *a, const char *b, bool *oom)
{
    char *fa = fold(a), *fb = fold(b);
    if (!fa || !fb) *oom = true;
    bool ok = false;
    if (fa && fb) {
        size_t la = strlen(fa), lb = strlen(fb), l = la < lb ? la : lb;
        ok = l > 0 && !strncmp(fa, fb, l) && (la == lb || (la > lb ? fa[l] : fb[l]) == ' ');
    }
    free(fa);
    free(fb);
    return ok;
}

static int load(batch *B, const vanban_model *model, const cli_common *c, const char *path)
{
    vanban_options opt = c->opt;
    opt.source_path = path;
    vanban_parser *p;
    int rc = vanban_parser_new(model, &opt, &p), ret = 0;
    if (rc) {
        fprintf(stderr, "vanban: %s\n", vanban_strerror(rc));
        if (rc == VANBAN_ENOMEM) B->oom = true;
        return 2;
    }
    ret = cli_feed_file(p, path, &c->fm, &rc);
    vanban_result *r = NULL;
    if (!ret && !rc) rc = vanban_parser_finish(p, &r);
    if (!ret && rc) ret = cli_report_finish(p, path, rc, &opt);
    if (rc == VANBAN_ENOMEM) B->oom = true; /* no output made of what is left */
    obuf o = {0};
    if (r && !ret) {
        json_error_t je;
        json_t *j = NULL;
        /* our own JSON read back: it fails only for memory */
        cli_json_failed();
        if (!vanban_result_write_json(r, 0, obuf_write, &o)) j = json_loadb(o.p, o.len, 0, &je);
        if (j && cli_json_failed()) { /* a string may have lost a byte */
            json_decref(j);
            j = NULL;
        }
        if (!j || json_array_append_new(B->files, j)) { /* (append_new frees j on failure) */
            B->oom = true;
            j = NULL;
        }
        json_t *docs = j ? json_object_get(j, "documents") : NULL;
        for (size_t i = 0; i < json_array_size(docs) && !B->oom; i++) {
            if (B->n == B->cap) {
                size_t cap = B->cap ? B->cap * 2 : 16;
                bdoc *v = realloc(B->v, cap * sizeof *v);
                if (!v) {
                    B->oom = true;
                    break;
                }
                B->v = v;
                B->cap = cap;
            }
            bdoc *d = &B->v[B->n];
            d->doc = json_array_get(docs, i);
            d->path = sget(json_object_get(j, "source"), "path");
            size_t l = strlen(path) + 24;
            d->id = malloc(l);
            if (!d->id) {
                B->oom = true;
                break;
            }
            snprintf(d->id, l, "%s#%zu", path, i + 1);
            B->n++;
            OK_OR_OOM(B, json_object_set_new(d->doc, "id", json_string(d->id)));
        }
        if (B->oom) {
            fprintf(stderr, "vanban: %s: out of memory\n", path);
            ret = 2;
        }
    }
    free(o.p);
    vanban_result_free(r);
    vanban_parser_free(p);
    return ret;
}

/* Fill in the number and date of documents that lack one from the citations
   of the other documents of the batch. */
static void infer_numbers(batch *B)
{
    for (size_t i = 0; i < B->n; i++) {
        json_t *d = B->v[i].doc;
        if (doc_number(d) || !doc_type(d)) continue;
        const char *iss = sget(json_object_get(d, "issuer"), "name");
        const char *subj = sget(d, "subject");
        const char *num = NULL, *date = NULL;
        for (size_t k = 0; k < B->n && !num; k++) {
            if (k == i) continue;
            json_t *refs = json_object_get(B->v[k].doc, "references");
            for (size_t r = 0; r < json_array_size(refs) && !num; r++) {
                json_t *x = json_array_get(refs, r);
                const char *t = sget(x, "type"), *n = sget(x, "number");
                if (!t || !n || strcmp(t, doc_type(d))) continue;
                if (!iss || !sget(x, "issuer") || !same_issuer(iss, sget(x, "issuer"), &B->oom))
                    continue;
                if (!subj || !sget(x, "subject") ||
                    subject_overlap(subj, sget(x, "subject"), &B->oom) < 0.8)
                    continue;
                num = n;
                date = sget(x, "date");
            }
        }
        if (!num) continue;
        json_t *no = json_pack("{s:s, s:b}", "raw", num, "inferred", 1);
        OK_OR_OOM(B, json_object_set_new(d, "number", no));
        if (date && json_is_null(json_object_get(d, "date"))) {
            OK_OR_OOM(B, json_object_set_new(d, "date", json_string(date)));
            OK_OR_OOM(B, json_object_set_new(d, "date_inferred", json_true()));
        }
    }
}

/* The batch document a reference stands for, or NULL. */
static const bdoc *target(const batch *B, size_t self, json_t *ref)
{
    const char *t = sget(ref, "type"), *n = sget(ref, "number");
    if (!t || !n) return NULL;
    char a[128], b[128];
    squeeze(n, a, sizeof a);
    for (size_t i = 0; i < B->n; i++) {
        if (i == self) continue;
        const char *dt = doc_type(B->v[i].doc), *dn = doc_number(B->v[i].doc);
        if (!dt || !dn || strcmp(dt, t)) continue;
        squeeze(dn, b, sizeof b);
        if (!strcmp(a, b)) return &B->v[i];
    }
    return NULL;
}

static void link_all(batch *B)
{
    infer_numbers(B);
    if (B->oom) return;
    for (size_t i = 0; i < B->n; i++) {
        json_t *refs = json_object_get(B->v[i].doc, "references");
        for (size_t r = 0; r < json_array_size(refs); r++) {
            json_t *x = json_array_get(refs, r);
            const bdoc *d = target(B, i, x);
            OK_OR_OOM(B, json_object_set_new(x, "links_to", d ? json_string(d->id) : json_null()));
        }
    }
}

/* The options and files of link or graph (cmd: CLI_LINK, CLI_GRAPH). */
static int start(int argc, char **argv, unsigned cmd, cli_args *A)
{
    int rc = cli_args_parse(A, cmd, argc, argv, cli_usage, cli_usage_line);
    if (rc) return rc == 1 ? 1 : 2;
    if (!A->nfiles) {
        fprintf(stderr, "vanban: %s: no input file (see vanban --help)\n",
                cmd == CLI_LINK ? "link" : "graph");
        return 2;
    }
    return 0;
}

static int run_batch(const cli_args *A, const cli_common *c, batch *B)
{
    vanban_model *model;
    if (cli_load_model(c, &model)) {
        B->oom = true; /* (or no grammars): nothing to print either way */
        return 2;
    }
    B->files = json_array();
    B->oom = !B->files;
    int status = 0;
    for (int i = 0; i < A->nfiles && !B->oom; i++) {
        int s = load(B, model, c, A->files[i]);
        if (s > status) status = s;
    }
    cli_model_free(model);
    if (!B->oom) link_all(B);
    if (B->oom) {
        fprintf(stderr, "vanban: out of memory\n");
        status = 2;
    }
    return status;
}

static void free_batch(batch *B)
{
    for (size_t i = 0; i < B->n; i++) free(B->v[i].id);
    free(B->v);
    json_decref(B->files);
}

static int emit_json(const cli_common *c, json_t *root)
{
    size_t flags = (c->jflags & VANBAN_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
    char *s = root ? json_dumps(root, flags | JSON_REAL_PRECISION(3)) : NULL;
    char *t = s ? realloc(s, strlen(s) + 2) : NULL;
    /* jansson may drop bytes and still succeed when it runs out of memory:
       any failure of its allocator since the files were read counts */
    if (t && cli_json_failed()) {
        free(t);
        t = NULL;
    } else if (!t) {
        free(s);
    }
    if (!t) {
        fprintf(stderr, "vanban: out of memory\n");
        return 2;
    }
    size_t n = strlen(t);
    t[n] = '\n';
    t[n + 1] = 0;
    int e = cli_emit(c->outpath, t, n + 1);
    free(t);
    return e;
}

int cmd_link(int argc, char **argv)
{
    cli_args A;
    int rc = start(argc, argv, CLI_LINK, &A);
    if (rc) return rc == 1 ? 0 : 2;
    cli_common c = A.c;
    batch B = {0};
    int status = run_batch(&A, &c, &B);
    if (B.oom) { /* nothing half-made is printed */
        free_batch(&B);
        return 2;
    }
    json_t *root = json_pack("{s:s, s:O}", "schema", "vanban-link/1", "files", B.files);
    int e = emit_json(&c, root);
    json_decref(root);
    free_batch(&B);
    return e > status ? e : status;
}

/* ---- graph -------------------------------------------------------------- */

static char *ext_id(json_t *ref)
{
    const char *t = sget(ref, "type"), *n = sget(ref, "number"), *nm = sget(ref, "name");
    char buf[512];
    if (n) snprintf(buf, sizeof buf, "%s %s", t ? t : "?", n);
    else snprintf(buf, sizeof buf, "%s", nm ? nm : (t ? t : "?"));
    return strdup(buf);
}

static void dot_str(obuf *o, const char *s)
{
    obuf_write("\"", 1, o);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') obuf_write("\\", 1, o);
        obuf_write(s, 1, o);
    }
    obuf_write("\"", 1, o);
}

static char *doc_label(json_t *d)
{
    const char *t = doc_type(d), *n = doc_number(d);
    char buf[512];
    snprintf(buf, sizeof buf, "%s %s", t ? t : "Văn bản", n ? n : "(không số)");
    return strdup(buf);
}

int cmd_graph(int argc, char **argv)
{
    cli_args A;
    int rc = start(argc, argv, CLI_GRAPH, &A);
    if (rc) return rc == 1 ? 0 : 2;
    cli_common c = A.c;
    bool dot = A.dot;
    batch B = {0};
    int status = run_batch(&A, &c, &B);
    if (B.oom) {
        free_batch(&B);
        return 2;
    }
    json_t *nodes = json_array(), *edges = json_array(), *ext = json_object();
    if (!nodes || !edges || !ext) B.oom = true;
    for (size_t i = 0; i < B.n && !B.oom; i++) {
        json_t *d = B.v[i].doc;
        char *label = doc_label(d);
        bool inferred = json_is_true(json_object_get(json_object_get(d, "number"), "inferred"));
        json_t *nd = label ? json_pack("{s:s, s:s, s:b, s:b}", "id", B.v[i].id, "label", label,
                                       "in_batch", 1, "inferred", inferred)
                           : NULL;
        OK_OR_OOM(&B, json_array_append_new(nodes, nd));
        free(label);
    }
    for (size_t i = 0; i < B.n && !B.oom; i++) {
        json_t *refs = json_object_get(B.v[i].doc, "references");
        for (size_t r = 0; r < json_array_size(refs) && !B.oom; r++) {
            json_t *x = json_array_get(refs, r);
            const char *to = sget(x, "links_to");
            char *eid = to ? NULL : ext_id(x);
            if (!to && !eid) {
                B.oom = true;
                break;
            }
            if (!to && !json_object_get(ext, eid)) {
                OK_OR_OOM(&B, json_array_append_new(nodes, json_pack("{s:s, s:s, s:b, s:b}", "id", eid,
                                                                     "label", eid, "in_batch", 0,
                                                                     "inferred", 0)));
                OK_OR_OOM(&B, json_object_set_new(ext, eid, json_true()));
            }
            json_t *e = json_pack("{s:s, s:s, s:O?, s:O?}", "from", B.v[i].id, "to", to ? to : eid,
                                  "mentions", json_object_get(x, "mentions"), "relation",
                                  json_object_get(x, "relation"));
            OK_OR_OOM(&B, json_array_append_new(edges, e));
            free(eid);
        }
    }
    if (B.oom) {
        fprintf(stderr, "vanban: out of memory\n");
        json_decref(nodes);
        json_decref(edges);
        json_decref(ext);
        free_batch(&B);
        return 2;
    }
    int e;
    if (!dot) {
        json_t *root = json_pack("{s:s, s:O, s:O}", "schema", "vanban-graph/1", "nodes", nodes,
                                 "edges", edges);
        e = emit_json(&c, root);
        json_decref(root);
    } else {
        obuf o = {0};
        const char *head = "digraph vanban {\n  rankdir=LR;\n  node [fontname=\"sans\"];\n";
        obuf_write(head, strlen(head), &o);
        for (size_t i = 0; i < json_array_size(nodes); i++) {
            json_t *nd = json_array_get(nodes, i);
            bool in = json_is_true(json_object_get(nd, "in_batch"));
            obuf_write("  ", 2, &o);
            dot_str(&o, sget(nd, "id"));
            obuf_write(" [label=", 8, &o);
            dot_str(&o, sget(nd, "label"));
            const char *st = in ? (json_is_true(json_object_get(nd, "inferred"))
                                       ? ", shape=box, style=\"bold,dashed\"];\n"
                                       : ", shape=box, style=bold];\n")
                                : ", shape=ellipse, style=dashed, color=gray40];\n";
            obuf_write(st, strlen(st), &o);
        }
        for (size_t i = 0; i < json_array_size(edges); i++) {
            json_t *ed = json_array_get(edges, i);
            obuf_write("  ", 2, &o);
            dot_str(&o, sget(ed, "from"));
            obuf_write(" -> ", 4, &o);
            dot_str(&o, sget(ed, "to"));
            char buf[64];
            const char *rel = sget(ed, "relation");
            obuf_write(" [label=", 8, &o);
            snprintf(buf, sizeof buf, "%s×%lld", rel ? rel : "",
                     (long long)json_integer_value(json_object_get(ed, "mentions")));
            dot_str(&o, buf);
            obuf_write("];\n", 3, &o);
        }
        obuf_write("}\n", 2, &o);
        if (o.failed || !o.p || cli_json_failed()) {
            fprintf(stderr, "vanban: out of memory\n");
            e = 2;
        } else {
            e = cli_emit(c.outpath, o.p, o.len);
        }
        free(o.p);
    }
    json_decref(nodes);
    json_decref(edges);
    json_decref(ext);
    free_batch(&B);
    return e > status ? e : status;
}
