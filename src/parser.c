/* parser.c - the feed/finish driver.
 *
 * feed() checks the size limit, hashes the bytes, notes the first NUL byte and
 * appends the bytes to the input buffer.  finish() cuts the whole input into
 * lines, normalizes them, segments the lines into documents and hands the
 * result over.  The input is kept whole because later stages use the whole
 * text as evidence (repair counts, encoding detection) and because every
 * value's span points into it; memory is linear in the input either way.
 * Nothing is decided before finish(), so the output cannot depend on how the
 * input was split.
 */
#include <stdlib.h>
#include <string.h>
#include <unicode/ucasemap.h>

#include "private.h"
#include "repair.h"

void vanban_options_init(vanban_options *opt)
{
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->abi_version = VANBAN_OPTIONS_ABI;
    opt->max_input_bytes = (size_t)64 << 20;
    opt->max_warnings = 100;
    opt->match_limit = 1000000;
    opt->depth_limit = 10000;
}

int vanban_parser_new(const vanban_model *model, const vanban_options *opt, vanban_parser **out)
{
    if (!out) return VANBAN_EINVAL;
    *out = NULL;
    if (!model) return VANBAN_EINVAL;
    if (opt && opt->abi_version != VANBAN_OPTIONS_ABI) return VANBAN_EINVAL;
    vanban_parser *p = calloc(1, sizeof *p);
    if (!p) return VANBAN_ENOMEM;
    p->model = model;
    if (opt) p->opt = *opt;
    else vanban_options_init(&p->opt);
    if (p->opt.max_input_bytes == 0 || p->opt.max_input_bytes > UINT32_MAX - 1)
        p->opt.max_input_bytes = UINT32_MAX - 1; /* spans are 32-bit */
    p->opt.source_path = NULL;
    p->enc_forced = -1; /* encoding (encoding.c) */
    if (opt && opt->encoding && (p->enc_forced = vbi_encoding_lookup(opt->encoding)) < 0) {
        free(p);
        return VANBAN_EINVAL;
    }
    p->res = calloc(1, sizeof *p->res);
    if (!p->res) goto nomem;
    const char *path = opt && opt->source_path ? opt->source_path : NULL;
    if (path && !(p->res->path = vbi_arena_strndup(&p->res->arena, path, strlen(path))))
        goto nomem;
    uint32_t groups = 1;
    for (int i = 0; i < R__COUNT; i++)
        if (model->group_count[i] + 1 > groups) groups = model->group_count[i] + 1;
    p->md = pcre2_match_data_create(groups, NULL);
    p->mctx = pcre2_match_context_create(NULL);
    if (!p->md || !p->mctx) goto nomem;
    pcre2_set_match_limit(p->mctx, p->opt.match_limit);
    pcre2_set_depth_limit(p->mctx, p->opt.depth_limit);
    UErrorCode st = U_ZERO_ERROR;
    p->casemap = ucasemap_open("vi", 0, &st);
    if (U_FAILURE(st) || !p->casemap) goto nomem;
    vbi_sha256_init(&p->sha);
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    p->avx2 = __builtin_cpu_supports("avx2");
#endif
    *out = p;
    return VANBAN_OK;
nomem:
    vanban_parser_free(p);
    return VANBAN_ENOMEM;
}

static void result_free(vanban_result *r)
{
    if (!r) return;
    if (r->docs)
        for (size_t i = 0; i < r->ndocs; i++) {
            free(r->docs[i].sections);
            free(r->docs[i].addressees);
            free(r->docs[i].recipients);
            free(r->docs[i].annexes);
        }
    free(r->docs);
    free(r->warnings);
    free(r->corrections);
    free(r->input);
    free(r->imap);
    vbi_arena_free(&r->arena);
    free(r);
}

void vanban_result_free(vanban_result *r) { result_free(r); }

void vanban_parser_free(vanban_parser *p)
{
    if (!p) return;
    result_free(p->res);
    pcre2_match_data_free(p->md);
    pcre2_match_context_free(p->mctx);
    if (p->casemap) ucasemap_close(p->casemap);
    vbi_buf_free(&p->input);
    vbi_buf_free(&p->text);
    vbi_buf_free(&p->conv); /* encoding */
    free(p->omap);
    free(p->ms);
    free(p->me);
    free(p->lines);
    free(p->cp);
    free(p->cs);
    free(p->ce);
    free(p->cp2);
    free(p->cs2);
    free(p->ce2);
    vbi_nfc_cache_free(p->nfcc);
    free(p);
}

int vanban_parser_feed(vanban_parser *p, const void *buf, size_t len)
{
    if (!p || (!buf && len)) return VANBAN_EINVAL;
    if (p->status) return p->status;
    if (p->finished) return VANBAN_ESTATE;
    if (len == 0) return VANBAN_OK;
    if (len > p->opt.max_input_bytes || p->total > p->opt.max_input_bytes - len) {
        p->error_offset = p->opt.max_input_bytes;
        return p->status = VANBAN_ETOOBIG;
    }
    const unsigned char *s = buf;
    if (!(p->opt.flags & VANBAN_OPT_TEXT_ONLY)) vbi_sha256_update(&p->sha, s, len);
    for (const unsigned char *z = memchr(s, 0, len); z; z = memchr(z + 1, 0, len - (size_t)(z + 1 - s))) {
        if (!p->have_nul) {
            p->have_nul = true;
            p->first_nul = p->total + (uint64_t)(z - s);
        }
        p->nuls++;
        if (z + 1 == s + len) break;
    }
    if (vbi_buf_put(&p->input, s, len)) return p->status = VANBAN_ENOMEM;
    p->total += len;
    return VANBAN_OK;
}

/* Lines longer than this are cut (at a space when there is one) so that the
   per-line scratch stays small; a warning says where. */
#define VBI_MAX_LINE ((size_t)1 << 20)

/* Cut the (UTF-8) input into physical lines and normalize each. */
static int read_lines(vanban_parser *p, const unsigned char *s, size_t len)
{
    size_t i = 0;
    p->no_cr = !len || !memchr(s, '\r', len); /* then no line needs its CRs looked for */
    while (i < len) {
        const unsigned char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len;
        size_t next = e + 1;
        if (e - i > VBI_MAX_LINE) {
            size_t cut = i + VBI_MAX_LINE;
            size_t k = cut;
            while (k > i + VBI_MAX_LINE / 2 && s[k - 1] != ' ') k--;
            if (s[k - 1] == ' ') cut = k;
            else
                while (cut > i && (s[cut] & 0xC0) == 0x80) cut--; /* not inside a UTF-8 sequence */
            int rc = vbi_add_warning(p, "long-line", cut,
                                     "line longer than %zu bytes cut at offset %zu",
                                     (size_t)VBI_MAX_LINE, cut);
            if (rc) return rc;
            e = cut;
            next = cut;
        }
        int rc = vbi_normalize_line(p, s + i, e - i, i);
        if (rc) return rc;
        i = next;
    }
    return 0;
}

size_t vanban_parser_error_offset(const vanban_parser *p) { return p ? p->error_offset : 0; }

int vanban_parser_finish(vanban_parser *p, vanban_result **out)
{
    if (!p || !out) return VANBAN_EINVAL;
    *out = NULL;
    if (p->status) return p->status;
    if (p->finished) return VANBAN_ESTATE;
    p->finished = true;
    /* encoding: detect, convert to UTF-8 (p->conv) when needed; binary input
       (NUL bytes outside UTF-16, see vbi_decode_input) is VANBAN_ENOTTEXT */
    int rc = vbi_decode_input(p);
    if (rc) return p->status = rc;
    p->res->encoding = p->encoding;
    const vbi_buf *in = p->omap ? &p->conv : &p->input;
    /* size the normalized text and its maps once: normalization rarely grows
       the text, so this saves the copies and page faults of doubling */
    size_t want = in->len + in->len / 16 + 64;
    if (vbi_buf_reserve(&p->text, want)) return p->status = VANBAN_ENOMEM;
    if (want > p->mcap && !(p->opt.flags & VANBAN_OPT_TEXT_ONLY)) { /* text-only: as needed */
        uint32_t *a = realloc(p->ms, want * sizeof *a);
        if (!a) return p->status = VANBAN_ENOMEM;
        p->ms = a;
        uint32_t *b = realloc(p->me, want * sizeof *b);
        if (!b) return p->status = VANBAN_ENOMEM;
        p->me = b;
        p->mcap = want;
    }
    rc = read_lines(p, (const unsigned char *)in->p, in->len);
    if (rc) return p->status = rc;
    if (!(p->opt.flags & VANBAN_OPT_NO_REPAIR)) { /* repair stage (src/repair.c) */
        rc = vbi_repair(p);
        if (rc) return p->status = rc;
    }
    vanban_result *r = p->res;
    /* moved: vanban_result_write_text needs the text (in UTF-8: a converted
       input is kept as converted, with its map to the original offsets) */
    if (p->omap) {
        r->input = p->conv.p;
        r->input_len = p->conv.len;
        r->imap = p->omap;
        p->conv.p = NULL;
        p->conv.len = p->conv.cap = 0;
        p->omap = NULL;
    } else {
        r->input = p->input.p;
        r->input_len = p->input.len;
        p->input.p = NULL;
        p->input.len = p->input.cap = 0;
    }
    r->bytes = p->total;
    if (p->total == 0) rc = vbi_add_warning(p, "empty", 0, "the input is empty");
    if (rc) return p->status = rc;
    if (!(p->opt.flags & VANBAN_OPT_TEXT_ONLY)) { /* documents: only the JSON needs them */
        vbi_sha256_final(&p->sha, r->sha256);
        rc = vbi_segment(p);
        if (!rc && p->total > 0 && r->ndocs == 0)
            rc = vbi_add_warning(p, "no-text", 0, "the input holds no text");
        if (rc) return p->status = rc;
    }
    p->res = NULL;
    *out = r;
    return VANBAN_OK;
}

int vanban_parse_buffer(const vanban_model *model, const vanban_options *opt, const void *buf,
                        size_t len, vanban_result **out)
{
    if (!out) return VANBAN_EINVAL;
    *out = NULL;
    vanban_parser *p;
    int rc = vanban_parser_new(model, opt, &p);
    if (rc) return rc;
    rc = vanban_parser_feed(p, buf, len);
    if (!rc) rc = vanban_parser_finish(p, out);
    vanban_parser_free(p);
    return rc;
}

size_t vanban_result_document_count(const vanban_result *r) { return r ? r->ndocs : 0; }

size_t vanban_result_warning_count(const vanban_result *r)
{
    return r ? r->nwarnings : 0;
}

int vanban_result_write_json(const vanban_result *r, unsigned flags, vanban_write_fn fn, void *ud)
{
    if (!r || !fn) return VANBAN_EINVAL;
    return vbi_emit_json(r, flags, fn, ud);
}
