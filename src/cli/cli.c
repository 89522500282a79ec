/* cli.c - helpers shared by the vanban commands. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

/* jansson's reader drops a byte of a string, and returns the rest as if
   all was well, when its buffer cannot grow (2.14): the CLI gives jansson
   an allocator that notes a failure, per thread, and every json_load* is
   followed by cli_json_failed(). */
static _Thread_local int json_alloc_failed;

static void *json_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p) json_alloc_failed = 1;
    return p;
}

void cli_json_init(void) { json_set_alloc_funcs(json_alloc, free); }

int cli_json_failed(void)
{
    int f = json_alloc_failed;
    json_alloc_failed = 0;
    return f;
}

int obuf_write(const char *buf, size_t len, void *ud)
{
    obuf *o = ud;
    if (o->failed) return -1;
    if (!len) return 0; /* (and no memcpy to a buffer not yet allocated) */
    if (o->cap - o->len < len) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap - o->len < len) cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) return o->failed = -1;
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

int cli_feed_file(vanban_parser *p, const char *path, const feedmode *fm, int *prc)
{
    *prc = 0;
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
    static char buf[1 << 16];
    unsigned long long seed = fm && fm->seed ? fm->seed : 88172645463325252ULL;
    int ret = 0, rc = 0;
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
            if (fm && fm->random) k = 1 + (size_t)(rng_next(&seed) % 64);
            else if (fm && fm->chunk) k = fm->chunk;
            if (k > (size_t)n - i) k = (size_t)n - i;
            rc = vanban_parser_feed(p, buf + i, k);
            i += k;
        }
        if (rc) break;
    }
    if (fd) close(fd);
    *prc = rc;
    return ret;
}

int cli_report_finish(vanban_parser *p, const char *path, int rc, const vanban_options *opt)
{
    if (rc == VANBAN_ENOTTEXT)
        fprintf(stderr, "vanban: %s: not text (NUL byte at offset %zu)\n", path,
                vanban_parser_error_offset(p));
    else if (rc == VANBAN_ETOOBIG)
        fprintf(stderr, "vanban: %s: input too large (limit %zu bytes; see --max-bytes)\n", path,
                opt->max_input_bytes);
    else
        fprintf(stderr, "vanban: %s: %s\n", path, vanban_strerror(rc));
    return rc == VANBAN_ENOMEM ? 2 : 1;
}

int cli_write_all(int fd, const char *p, size_t n)
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

int cli_emit(const char *path, const char *buf, size_t len)
{
    if (!path) {
        if (cli_write_all(1, buf ? buf : "", len)) {
            fprintf(stderr, "vanban: write error: %s\n", strerror(errno));
            return 2;
        }
        return 0;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (!tmp) return 2;
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int bad = fd < 0;
    if (!bad) {
        bad = cli_write_all(fd, buf ? buf : "", len) || fsync(fd);
        bad = close(fd) || bad;
        bad = bad || rename(tmp, path);
    }
    if (bad) {
        fprintf(stderr, "vanban: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return 2;
    }
    free(tmp);
    return 0;
}

int cli_out_open(cli_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path) {
        o->f = stdout;
        return 0;
    }
    size_t n = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(n + 32);
    if (!o->path || !o->tmp) {
        fprintf(stderr, "vanban: out of memory\n");
        return 2;
    }
    snprintf(o->tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
        fprintf(stderr, "vanban: %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->path);
        free(o->tmp);
        o->path = o->tmp = NULL;
        return 2;
    }
    return 0;
}

int cli_out_write(const char *buf, size_t len, void *ud)
{
    cli_out *o = ud;
    if (o->failed) return -1;
    if (fwrite(buf, 1, len, o->f) != len) {
        o->failed = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

int cli_out_close(cli_out *o, int ok)
{
    int ret = 0;
    if (!o->f) return 2;
    if (!o->path) {
        if (fflush(o->f) || o->failed) {
            fprintf(stderr, "vanban: write error: %s\n", strerror(o->failed ? o->failed : errno));
            ret = 2;
        }
        return ret;
    }
    FILE *f = o->f;
    int bad = o->failed || fflush(f) || fsync(fileno(f));
    int err = o->failed ? o->failed : errno;
    bad = fclose(f) || bad;
    if (!bad && ok) {
        if (rename(o->tmp, o->path)) {
            err = errno;
            bad = 1;
        }
    }
    if (bad || !ok) unlink(o->tmp);
    if (bad) {
        fprintf(stderr, "vanban: %s: %s\n", o->path, strerror(err));
        ret = 2;
    }
    free(o->path);
    free(o->tmp);
    o->f = NULL;
    return ret;
}

void cli_common_init(cli_common *c)
{
    memset(c, 0, sizeof *c);
    vanban_options_init(&c->opt);
    c->jflags = VANBAN_JSON_PRETTY;
}

int cli_positive(const char *v, size_t *out)
{
    char *e;
    unsigned long long x = strtoull(v, &e, 10);
    if (*e || x == 0) return 0;
    *out = (size_t)x;
    return 1;
}

/* A model loaded once for many commands run in one process (the fuzz
   target tests/fuzz/fuzz_cli.c sets it); NULL in the vanban program. */
vanban_model *cli_fixed_model;

void cli_model_free(vanban_model *m)
{
    if (m != cli_fixed_model) vanban_model_free(m);
}

int cli_load_model(const cli_common *c, vanban_model **model)
{
    if (cli_fixed_model && !c->grammars) {
        *model = cli_fixed_model;
        return 0;
    }
    vanban_error err;
    int rc = vanban_model_load(c->grammars, model, &err);
    if (rc) {
        fprintf(stderr, "vanban: cannot load grammars: %s\n", err.text);
        return 2;
    }
    return 0;
}
