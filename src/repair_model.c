/* repair_model.c - load the repair data into the model; write repaired text.
 *
 * syllable.tsv comes with the other grammars (embedded, or from dir).  The
 * language model lm.bin is embedded at build time (tools/build_lm.py emits an
 * .incbin); vanban_model_load(dir) uses dir/lm.bin instead when that file
 * exists, so an archive can use a model trained on its own texts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"

extern const char vbi_lm_image[];
extern const char vbi_lm_image_end[];

static void fail(vanban_error *err, int code, const char *file, const char *msg)
{
    if (!err || err->code) return;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file);
    snprintf(err->text, sizeof err->text, "%.180s", msg);
}

/* Read dir/name whole; *data is malloc'd with 16-byte alignment slack. */
static int slurp(const char *dir, const char *name, char **data, size_t *len, bool optional,
                 vanban_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    *data = NULL;
    *len = 0;
    if (!f) {
        if (optional && errno == ENOENT) return 0;
        char msg[300];
        snprintf(msg, sizeof msg, "cannot open %.200s: %s", path, strerror(errno));
        fail(err, VANBAN_EIO, name, msg);
        return VANBAN_EIO;
    }
    vbi_buf b = {0};
    char tmp[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (vbi_buf_put(&b, tmp, n)) { rc = VANBAN_ENOMEM; break; }
    if (!rc && ferror(f)) rc = VANBAN_EIO;
    fclose(f);
    if (rc) {
        vbi_buf_free(&b);
        fail(err, rc, name, rc == VANBAN_ENOMEM ? "out of memory" : "read error");
        return rc;
    }
    *data = b.p; /* malloc'd: suitably aligned */
    *len = b.len;
    return 0;
}

int vbi_repair_model_load(vanban_model *m, const char *dir, vanban_error *err)
{
    char msg[200];
    const char *sd = NULL;
    size_t sl = 0;
    char *owned = NULL;
    int rc = 0;
    if (dir) {
        rc = slurp(dir, "syllable.tsv", &owned, &sl, false, err);
        if (rc) return rc;
        sd = owned ? owned : "";
    } else {
        for (size_t k = 0; k < vbi_embedded_grammar_count; k++)
            if (!strcmp(vbi_embedded_grammars[k].name, "syllable.tsv")) {
                sd = vbi_embedded_grammars[k].data;
                sl = vbi_embedded_grammars[k].len;
            }
        if (!sd) {
            fail(err, VANBAN_EGRAMMAR, "syllable.tsv", "syllable.tsv is not embedded");
            return VANBAN_EGRAMMAR;
        }
    }
    rc = vbi_sylgram_load(&m->sylgram, sd, sl, msg, sizeof msg);
    free(owned);
    if (rc) {
        fail(err, rc, "syllable.tsv", rc == VANBAN_ENOMEM ? "out of memory" : msg);
        return rc;
    }
    const void *img = vbi_lm_image;
    size_t il = (size_t)(vbi_lm_image_end - vbi_lm_image);
    if (dir) {
        char *d;
        size_t dl;
        rc = slurp(dir, "lm.bin", &d, &dl, true, err);
        if (rc) return rc;
        if (d) {
            m->lm_image = d;
            img = d;
            il = dl;
        }
    }
    rc = vbi_lm_open(&m->lm, m->sylgram, img, il, msg, sizeof msg);
    if (rc) fail(err, rc, "lm.bin", rc == VANBAN_ENOMEM ? "out of memory" : msg);
    return rc;
}

void vbi_repair_model_free(vanban_model *m)
{
    vbi_lm_free(m->lm);
    vbi_sylgram_free(m->sylgram);
    free(m->lm_image);
    m->lm = NULL;
    m->sylgram = NULL;
    m->lm_image = NULL;
}

size_t vanban_result_correction_count(const vanban_result *r) { return r ? r->ncorrections : 0; }

/* Offset in the (converted) text of original offset o: the map is monotonic. */
static size_t text_off(const vanban_result *r, uint32_t o)
{
    return r->imap ? vbi_map_lower_bound(r->imap, r->input_len, o) : o;
}

int vanban_result_write_text(const vanban_result *r, vanban_write_fn fn, void *ud)
{
    if (!r || !fn) return VANBAN_EINVAL;
    /* corrections are sorted by start and never overlap (repair.c) */
    size_t at = 0;
    for (size_t i = 0; i < r->ncorrections; i++) {
        const vbi_correction *c = &r->corrections[i];
        size_t cs = text_off(r, c->span.s), ce = text_off(r, c->span.e);
        if (cs < at || ce > r->input_len) continue; /* defensive */
        if (cs > at && fn(r->input + at, cs - at, ud)) return VANBAN_EWRITE;
        size_t tl = strlen(c->to);
        if (tl && fn(c->to, tl, ud)) return VANBAN_EWRITE;
        at = ce;
    }
    if (r->input_len > at && fn(r->input + at, r->input_len - at, ud)) return VANBAN_EWRITE;
    return VANBAN_OK;
}

int vanban_result_correction(const vanban_result *r, size_t i, vanban_correction *out)
{
    if (!r || !out || i >= r->ncorrections) return VANBAN_EINVAL;
    const vbi_correction *c = &r->corrections[i];
    out->start = c->span.s;
    out->end = c->span.e;
    out->from = c->from;
    out->to = c->to;
    out->kind = c->kind;
    out->confidence = c->confidence;
    return VANBAN_OK;
}
