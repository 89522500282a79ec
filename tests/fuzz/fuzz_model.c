/* fuzz_model.c - libFuzzer target for vanban_model_load(DIR): a grammar
 * directory in which one file is the fuzzer's input.
 *
 *   byte 0 % 8 picks the file: doctypes.tsv, laws.txt, issuers.tsv,
 *   header.pcre, body.pcre, refs.pcre, syllable.tsv, lm.bin (the language
 *   model image, otherwise the embedded one); the rest is its content.
 *
 * The other files are copies of the project's grammars (VANBAN_GRAMMARS, set
 * by the build).  A load that succeeds must give a model that parses a small
 * document; a load that fails must say which file.  Build with -Dfuzz=true
 * (clang); see docs/fuzzing.md. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vanban.h"

static const char *const names[8] = {"doctypes.tsv", "laws.txt",     "issuers.tsv", "header.pcre",
                                     "body.pcre",    "refs.pcre",    "syllable.tsv", "lm.bin"};
static char dir[64];
static char *orig[8];
static size_t origlen[8];

static void put(int i, const void *d, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(d, 1, n, f) != n) abort();
    fclose(f);
}

static void init(void)
{
    snprintf(dir, sizeof dir, "/tmp/vanban-fuzz-model.XXXXXX");
    if (!mkdtemp(dir)) abort();
    for (int i = 0; i < 7; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", VANBAN_GRAMMARS, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) abort();
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        orig[i] = malloc((size_t)n + 1);
        if (!orig[i] || fread(orig[i], 1, (size_t)n, f) != (size_t)n) abort();
        origlen[i] = (size_t)n;
        fclose(f);
        put(i, orig[i], origlen[i]);
    }
}

static int sink(const char *b, size_t n, void *ud)
{
    (void)b;
    *(size_t *)ud += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (!dir[0]) init();
    if (size < 1) return 0;
    int k = data[0] % 8;
    put(k, data + 1, size - 1);
    vanban_model *m = NULL;
    vanban_error err;
    memset(&err, 0, sizeof err);
    int rc = vanban_model_load(dir, &m, &err);
    if (rc && (!err.text[0] || m)) abort(); /* a failure names its cause */
    if (!rc) {
        static const char doc[] = "BỘ NỘI VỤ\nSố: 12/2024/TT-BNV\nHà Nội, ngày 5 tháng 1 năm 2024\n"
                                  "THÔNG TƯ\nQuy định về công tác văn thư\nCăn cứ Luật số 67/2020/QH14;\n";
        vanban_options opt;
        vanban_options_init(&opt);
        vanban_result *r = NULL;
        size_t out = 0;
        if (vanban_parse_buffer(m, &opt, doc, sizeof doc - 1, &r) == VANBAN_OK)
            vanban_result_write_json(r, 0, sink, &out);
        vanban_result_free(r);
        vanban_model_free(m);
    }
    if (k < 7) put(k, orig[k], origlen[k]); /* put the file back */
    else {
        char path[128];
        snprintf(path, sizeof path, "%s/lm.bin", dir);
        unlink(path);
    }
    return 0;
}
