/* vanban - command-line front end of libvanban. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vanban.h"

static const char usage[] =
    "usage: vanban parse [options] FILE...   (FILE '-' reads standard input)\n"
    "       vanban --version | --help\n"
    "\n"
    "Reads Vietnamese administrative documents (OCR text) and prints one JSON\n"
    "object per input file (schema vanban/1, see docs/output.md).\n"
    "\n"
    "options:\n"
    "  -o FILE           write the output to FILE (atomically: temp file + rename)\n"
    "  --compact         one line per JSON object (JSON Lines)\n"
    "  --grammars DIR    load grammars from DIR instead of the built-in ones\n"
    "  --no-repair       do not change the text (no case or look-alike fixes)\n"
    "  --max-bytes N     refuse inputs larger than N bytes (default 67108864)\n"
    "  --chunk N         feed the parser N bytes at a time (testing)\n"
    "  --chunk random:S  feed random-sized chunks, seed S (testing)\n"
    "\n"
    "exit status: 0 success; 1 an input is not usable (binary, too large);\n"
    "             2 usage error, or a file cannot be read or written.\n";

typedef struct {
    char *p;
    size_t len, cap;
} obuf;

static int out_write(const char *buf, size_t len, void *ud)
{
    obuf *o = ud;
    if (o->cap - o->len < len) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap - o->len < len) cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) return -1;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, buf, len);
    o->len += len;
    return 0;
}

static unsigned long long rng_next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct {
    size_t chunk;      /* 0 = whole reads */
    int random;        /* random chunk sizes */
    unsigned long long seed;
} feedmode;

/* Parse one file into out.  Returns 0, 1 (unusable input) or 2 (I/O). */
static int parse_one(const vanban_model *model, const vanban_options *base, const char *path,
                     const feedmode *fm, unsigned jflags, obuf *out)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
    if (fd < 0) {
        fprintf(stderr, "vanban: %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "vanban: %s: is a directory\n", path);
        if (fd) close(fd);
        return 2;
    }
    vanban_options opt = *base;
    opt.source_path = strcmp(path, "-") ? path : NULL;
    vanban_parser *p;
    int rc = vanban_parser_new(model, &opt, &p);
    if (rc) {
        fprintf(stderr, "vanban: %s\n", vanban_strerror(rc));
        if (fd) close(fd);
        return 2;
    }
    static char buf[1 << 16];
    unsigned long long seed = fm->seed ? fm->seed : 88172645463325252ULL;
    int ret = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "vanban: %s: read error: %s\n", path, strerror(errno));
            ret = 2;
            break;
        }
        if (n == 0) break;
        size_t i = 0;
        while (i < (size_t)n && !rc) {
            size_t k = (size_t)n - i;
            if (fm->random) k = 1 + (size_t)(rng_next(&seed) % 64);
            else if (fm->chunk) k = fm->chunk;
            if (k > (size_t)n - i) k = (size_t)n - i;
            rc = vanban_parser_feed(p, buf + i, k);
            i += k;
        }
        if (rc) break;
    }
    if (fd) close(fd);
    vanban_result *r = NULL;
    if (!ret && !rc) rc = vanban_parser_finish(p, &r);
    if (!ret && rc) {
        if (rc == VANBAN_ENOTTEXT)
            fprintf(stderr, "vanban: %s: not text (NUL byte at offset %zu)\n", path,
                    vanban_parser_error_offset(p));
        else if (rc == VANBAN_ETOOBIG)
            fprintf(stderr, "vanban: %s: input too large (limit %zu bytes; see --max-bytes)\n",
                    path, opt.max_input_bytes);
        else
            fprintf(stderr, "vanban: %s: %s\n", path, vanban_strerror(rc));
        ret = rc == VANBAN_ENOMEM ? 2 : 1;
    }
    if (r) {
        size_t before = out->len;
        rc = vanban_result_write_json(r, jflags, out_write, out);
        if (rc) {
            out->len = before;
            fprintf(stderr, "vanban: %s: %s\n", path, vanban_strerror(rc));
            ret = 2;
        }
        vanban_result_free(r);
    }
    vanban_parser_free(p);
    return ret;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int emit(const char *outpath, const obuf *o)
{
    if (!outpath) {
        if (write_all(1, o->p ? o->p : "", o->len)) {
            fprintf(stderr, "vanban: write error: %s\n", strerror(errno));
            return 2;
        }
        return 0;
    }
    size_t n = strlen(outpath);
    char *tmp = malloc(n + 32);
    if (!tmp) return 2;
    snprintf(tmp, n + 32, "%s.tmp.%ld", outpath, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int bad = fd < 0 || write_all(fd, o->p ? o->p : "", o->len) || fsync(fd) ||
              close(fd) || rename(tmp, outpath);
    if (bad) {
        fprintf(stderr, "vanban: %s: %s\n", outpath, strerror(errno));
        unlink(tmp);
        free(tmp);
        return 2;
    }
    free(tmp);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vanban %s\n", vanban_version());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "parse")) {
        fprintf(stderr, "vanban: unknown command '%s'\n%s", argv[1], usage);
        return 2;
    }
    vanban_options opt;
    vanban_options_init(&opt);
    const char *grammars = NULL, *outpath = NULL;
    unsigned jflags = VANBAN_JSON_PRETTY;
    feedmode fm = {0, 0, 0};
    int first_file = argc;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { first_file = i + 1; break; }
        if (a[0] != '-' || !strcmp(a, "-")) { first_file = i; break; }
        if (!strcmp(a, "--compact")) jflags = 0;
        else if (!strcmp(a, "--no-repair")) opt.flags |= VANBAN_OPT_NO_REPAIR;
        else if ((!strcmp(a, "--grammars") || !strcmp(a, "-o") || !strcmp(a, "--max-bytes") ||
                  !strcmp(a, "--chunk")) && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--grammars")) grammars = v;
            else if (!strcmp(a, "-o")) outpath = v;
            else if (!strcmp(a, "--max-bytes")) {
                char *e;
                unsigned long long x = strtoull(v, &e, 10);
                if (*e || x == 0) {
                    fprintf(stderr, "vanban: --max-bytes needs a positive number\n");
                    return 2;
                }
                opt.max_input_bytes = (size_t)x;
            } else if (!strncmp(v, "random:", 7)) {
                fm.random = 1;
                fm.seed = strtoull(v + 7, NULL, 10);
            } else {
                char *e;
                unsigned long long x = strtoull(v, &e, 10);
                if (*e || x == 0) {
                    fprintf(stderr, "vanban: --chunk needs a positive number or random:SEED\n");
                    return 2;
                }
                fm.chunk = (size_t)x;
            }
        } else {
            fprintf(stderr, "vanban: unknown or incomplete option '%s'\n%s", a, usage);
            return 2;
        }
    }
    if (first_file >= argc) {
        fprintf(stderr, "vanban: parse: no input file\n%s", usage);
        return 2;
    }
    vanban_model *model;
    vanban_error err;
    int rc = vanban_model_load(grammars, &model, &err);
    if (rc) {
        fprintf(stderr, "vanban: cannot load grammars: %s\n", err.text);
        return 2;
    }
    obuf out = {0};
    int status = 0;
    for (int i = first_file; i < argc; i++) {
        int s = parse_one(model, &opt, argv[i], &fm, jflags, &out);
        if (s > status) status = s;
    }
    int e = emit(outpath, &out);
    if (e > status) status = e;
    free(out.p);
    vanban_model_free(model);
    return status;
}
