/* fuzz_feed.c - libFuzzer target: the first two bytes pick the options, a
 * forced encoding and the chunk size (as cmark's fuzzer does); the rest is fed
 * to the parser in chunks and must give the same JSON (the same text, for a
 * text-only result) as one whole feed or vanban_parse_buffer.  Build with -Dfuzz=true
 * (clang).  Run: build-fuzz/tests/fuzz_feed corpus/ -max_total_time=60 */
#include <stdlib.h>
#include <string.h>

#include "vanban.h"

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static int sink(const char *b, size_t n, void *ud)
{
    sbuf *s = ud;
    if (s->cap - s->len < n) {
        size_t cap = (s->cap ? s->cap * 2 : 4096) + n;
        char *p = realloc(s->p, cap);
        if (!p) return -1;
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, b, n);
    s->len += n;
    return 0;
}

static vanban_model *model;

/* The encodings a caller may force (options.encoding); NULL: detect. */
static const char *const encodings[8] = {NULL,  "utf-8", "utf-16le", "utf-16be", "windows-1258",
                                         "vni", "tcvn3", "viscii"};

/* chunk 0: the one-shot entry point, vanban_parse_buffer */
static int run(const unsigned char *d, size_t n, unsigned flags, const char *enc, size_t chunk,
               sbuf *out)
{
    vanban_options opt;
    vanban_options_init(&opt);
    opt.flags = flags;
    opt.encoding = enc;
    vanban_result *r = NULL;
    vanban_parser *p = NULL;
    int rc = 0;
    if (!chunk) {
        rc = vanban_parse_buffer(model, &opt, d, n, &r);
    } else {
        if (vanban_parser_new(model, &opt, &p)) return -1;
        for (size_t i = 0; i < n && !rc; i += chunk)
            rc = vanban_parser_feed(p, d + i, n - i < chunk ? n - i : chunk);
        if (!rc) rc = vanban_parser_finish(p, &r);
    }
    if (r && (flags & VANBAN_OPT_TEXT_ONLY)) vanban_result_write_text(r, sink, out);
    else if (r) vanban_result_write_json(r, flags & 1 ? VANBAN_JSON_PRETTY : 0, sink, out);
    vanban_result_free(r);
    vanban_parser_free(p);
    return rc;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (!model) {
        vanban_error err;
        if (vanban_model_load(NULL, &model, &err)) abort();
    }
    if (size < 2) return 0;
    /* byte 0, bit 0: no repair; bit 1: text only without context (normalize
       --no-context: the lean scan, the text-only line paths); bits 2-7: the
       chunk size.  Byte 1, bits 0-2: an encoding forced (0: detect); bit 3:
       compare with vanban_parse_buffer instead of one whole feed. */
    unsigned flags = (data[0] & 1 ? VANBAN_OPT_NO_REPAIR : 0) |
                     (data[0] & 2 ? VANBAN_OPT_TEXT_ONLY | VANBAN_OPT_NO_CONTEXT : 0);
    size_t chunk = 1 + (data[0] >> 2);
    const char *enc = encodings[data[1] & 7];
    sbuf a = {0}, b = {0};
    int ra = run(data + 2, size - 2, flags, enc, data[1] & 8 ? 0 : size, &a);
    int rb = run(data + 2, size - 2, flags, enc, chunk, &b);
    if (ra != rb || a.len != b.len || (a.len && memcmp(a.p, b.p, a.len))) abort();
    free(a.p);
    free(b.p);
    return 0;
}
