/* batch_work.c - the workers of "vanban batch": one input file -> one output.
 *
 * Each worker takes jobs from the queue in walk order, reads the whole file
 * (at most --max-bytes), and either skips it (--resume: the output exists and
 * records the same input checksum), turns it into an error record, or parses
 * it with its own parser over the shared model.  Every output is written to
 * a hidden temporary file beside it and renamed, so a file in OUT_DIR is
 * always complete.  The JSON Lines stream is written in walk order: a worker
 * waits for its turn, so at most one result per worker is held in memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "private.h" /* vbi_sha256: the same checksum as source.sha256 */

double batch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *batch_kind_name(batch_kind k)
{
    static const char *const names[BK__COUNT] = {
        "none", "unreadable", "symlink-loop", "not-regular", "not-text",
        "too-big", "line-too-long", "parse", "write", "crash", "timeout", "memory"};
    return (unsigned)k < BK__COUNT ? names[k] : "unknown";
}

batch_kind batch_kind_of(const char *name)
{
    for (int i = 1; name && i < BK__COUNT; i++)
        if (!strcmp(name, batch_kind_name((batch_kind)i))) return (batch_kind)i;
    return BK_NONE;
}

int batch_mkdirs(const char *dir)
{
    char *d = strdup(dir);
    if (!d) return -1;
    int rc = 0;
    for (char *s = d + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(d, 0777) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }
            *s = c;
            if (!c) break;
        }
    }
    free(d);
    return rc;
}


/* Write path atomically: ".NAME.tmp" beside it, then rename.  The temporary
   name is fixed per output, so a leftover from a killed run is overwritten by
   the next run.  Returns 0 or -1 with errno set. */
int batch_write_atomic(const char *path, const char *buf, size_t len, bool sync)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path);
    char *tmp = malloc(n + 8);
    if (!tmp) return -1;
    memcpy(tmp, path, dl);
    tmp[dl] = '.';
    memcpy(tmp + dl + 1, path + dl, n - dl);
    memcpy(tmp + n + 1, ".tmp", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0 && errno == ENOENT && slash) {
        char *dir = strndup(path, (size_t)(slash - path));
        if (dir && batch_mkdirs(dir) == 0) fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        free(dir);
    }
    int bad = fd < 0;
    if (!bad) {
        bad = cli_write_all(fd, buf, len) || (sync && fsync(fd));
        int e = errno;
        bad = close(fd) || bad;
        if (bad) errno = e;
        bad = bad || rename(tmp, path);
    }
    if (bad) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    return bad ? -1 : 0;
}

static char *out_path(const char *out_dir, const char *rel)
{
    while (*rel == '/') rel++;
    size_t no = strlen(out_dir), nr = strlen(rel);
    bool txt = nr > 4 && !strcmp(rel + nr - 4, ".txt");
    char *s = malloc(no + nr + 8);
    if (!s) return NULL;
    memcpy(s, out_dir, no);
    s[no] = '/';
    memcpy(s + no + 1, rel, nr - (txt ? 4 : 0));
    strcpy(s + no + 1 + nr - (txt ? 4 : 0), ".json");
    return s;
}

static bool leaves_root(const char *rel)
{
    for (const char *s = rel; *s;) {
        if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || !s[2])) return true;
        const char *sl = strchr(s, '/');
        if (!sl) break;
        s = sl + 1;
    }
    return false;
}

void batch_fail(fresult *fr, batch_kind k, long long off, const char *fmt, const char *arg)
{
    fr->kind = k;
    fr->offset = off;
    snprintf(fr->msg, sizeof fr->msg, fmt, arg);
}

static const char *sniff_binary(const unsigned char *s, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } m[] = {
        {"%PDF-", 5, "a PDF document"},    {"\x89PNG", 4, "a PNG image"},
        {"\xFF\xD8\xFF", 3, "a JPEG image"}, {"GIF8", 4, "a GIF image"},
        {"II*\0", 4, "a TIFF image"},       {"MM\0*", 4, "a TIFF image"},
        {"PK\x03\x04", 4, "a ZIP archive (docx, xlsx ...)"},
        {"\xD0\xCF\x11\xE0", 4, "an OLE document (doc, xls)"},
        {"{\\rtf", 5, "an RTF document"},
    };
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (n >= m[i].len && !memcmp(s, m[i].magic, m[i].len)) return m[i].what;
    return NULL;
}

static int read_input(wstate *w, int fd, size_t max, int *err)
{
    w->inlen = 0;
    for (;;) {
        if (w->incap - w->inlen < 65536) {
            size_t cap = w->incap ? w->incap * 2 : 1 << 20;
            char *p = realloc(w->in, cap);
            if (!p) {
                *err = ENOMEM;
                return -1;
            }
            w->in = p;
            w->incap = cap;
        }
        ssize_t n = read(fd, w->in + w->inlen, w->incap - w->inlen);
        if (n < 0) {
            if (errno == EINTR) continue;
            *err = errno;
            return -1;
        }
        if (n == 0) return 0;
        w->inlen += (size_t)n;
        if (w->inlen > max) return 1;
    }
}

static void count_json(json_t *root, fresult *fr)
{
    static const char *const one[] = {"national_header", "motto", "issuer", "number",
                                      "type", "place", "date", "subject",
                                      "received_stamp", "signature"};
    static const char *const many[] = {"addressees", "sections", "recipients"};
    json_t *src = json_object_get(root, "source");
    const char *enc = json_string_value(json_object_get(src, "encoding"));
    snprintf(fr->enc, sizeof fr->enc, "%s", enc ? enc : "");
    fr->bytes = (uint64_t)json_integer_value(json_object_get(src, "bytes"));
    json_t *e = json_object_get(root, "error");
    if (e) {
        const char *k = json_string_value(json_object_get(e, "kind"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        json_t *off = json_object_get(e, "offset");
        fr->attempts = (int)json_integer_value(json_object_get(e, "attempts"));
        fr->kind = batch_kind_of(k);
        if (!fr->kind) fr->kind = BK_PARSE;
        batch_fail(fr, fr->kind, json_is_integer(off) ? json_integer_value(off) : -1, "%s",
             msg ? msg : "");
        return;
    }
    json_t *docs = json_object_get(root, "documents");
    fr->documents = json_array_size(docs);
    fr->warnings = json_array_size(json_object_get(root, "warnings"));
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        for (size_t k = 0; k < sizeof one / sizeof *one; k++) {
            json_t *v = json_object_get(d, one[k]);
            if (v && !json_is_null(v)) fr->fields++;
        }
        for (size_t k = 0; k < sizeof many / sizeof *many; k++)
            if (json_array_size(json_object_get(d, many[k]))) fr->fields++;
        fr->corrections += json_array_size(json_object_get(d, "corrections"));
    }
}

static int dump_cb(const char *buf, size_t len, void *ud) { return obuf_write(buf, len, ud); }

/* The error record that stands in for a failed file's output. */
static int error_record(const batch *b, const char *rel, const fresult *fr, wstate *w)
{
    json_t *root = json_pack("{s:s, s:{s:s, s:o, s:o, s:n}, s:{s:s, s:s, s:o}, s:[], s:[]}",
                             "schema", "vanban/1", "source", "path", rel, "bytes",
                             fr->have_sha ? json_integer((json_int_t)fr->bytes) : json_null(),
                             "sha256", fr->have_sha ? json_string(fr->sha) : json_null(),
                             "encoding", "error", "kind", batch_kind_name(fr->kind), "message",
                             fr->msg, "offset",
                             fr->offset >= 0 ? json_integer(fr->offset) : json_null(),
                             "documents", "warnings");
    if (!root) return -1;
    if (BK_RETRIED(fr->kind) &&
        json_object_set_new(json_object_get(root, "error"), "attempts",
                            json_integer(fr->attempts > 0 ? fr->attempts : 1))) {
        json_decref(root);
        return -1;
    }
    w->o1.len = w->o2.len = 0;
    w->o1.failed = w->o2.failed = 0;
    size_t pretty = (b->c.jflags & VANBAN_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
    int rc = json_dump_callback(root, dump_cb, &w->o1, pretty) || obuf_write("\n", 1, &w->o1) ||
             json_dump_callback(root, dump_cb, &w->o2, JSON_COMPACT) ||
             obuf_write("\n", 1, &w->o2);
    json_decref(root);
    return rc ? -1 : 0;
}

void batch_sha_hex(const char *s, size_t n, char hex[65])
{
    vbi_sha256 c;
    vbi_sha256_init(&c);
    vbi_sha256_update(&c, s, n);
    vbi_sha256_final(&c, hex);
}

/* --resume: the output exists and was made from these very bytes. */
static bool try_skip(const batch *b, const char *outp, wstate *w, fresult *fr)
{
    cli_json_failed();
    json_t *root = json_load_file(outp, 0, NULL);
    if (root && cli_json_failed()) { /* maybe a byte short: parse the file again */
        json_decref(root);
        return false;
    }
    if (!root) return false;
    const char *sha =
        json_string_value(json_object_get(json_object_get(root, "source"), "sha256"));
    bool same = sha && fr->have_sha && !strcmp(sha, fr->sha);
    json_t *err = json_object_get(root, "error");
    if (same && err) { /* a crash, timeout or memory record: retried once */
        batch_kind k = batch_kind_of(json_string_value(json_object_get(err, "kind")));
        json_int_t n = json_integer_value(json_object_get(err, "attempts"));
        if (BK_RETRIED(k) && n < 2) same = false;
    }
    if (same) {
        count_json(root, fr);
        fr->skipped = true;
        w->o2.len = 0;
        w->o2.failed = 0;
        if (b->jsonl_fd >= 0 &&
            (json_dump_callback(root, dump_cb, &w->o2, JSON_REAL_PRECISION(3) | JSON_COMPACT) ||
             obuf_write("\n", 1, &w->o2)))
            same = false;
    }
    json_decref(root);
    return same;
}

/* Parse the bytes in w->in; on success the JSON is in w->o1 / w->o2. */
static void parse_input(const batch *b, const char *rel, wstate *w, fresult *fr)
{
    vanban_options opt = b->c.opt;
    opt.source_path = rel;
    vanban_parser *p = NULL;
    vanban_result *r = NULL;
    int rc = vanban_parser_new(b->model, &opt, &p);
    if (!rc) rc = vanban_parser_feed(p, w->in, w->inlen);
    if (!rc) rc = vanban_parser_finish(p, &r);
    if (rc == VANBAN_ENOTTEXT) {
        char m[96];
        snprintf(m, sizeof m, "not text (NUL byte at offset %zu)", vanban_parser_error_offset(p));
        batch_fail(fr, BK_NOT_TEXT, (long long)vanban_parser_error_offset(p), "%s", m);
    } else if (rc == VANBAN_ETOOBIG) {
        batch_fail(fr, BK_TOO_BIG, (long long)opt.max_input_bytes, "%s",
             "input larger than --max-bytes");
    } else if (rc) {
        batch_fail(fr, BK_PARSE, -1, "%s", vanban_strerror(rc));
    }
    vanban_parser_free(p);
    if (!r) return;
    w->o1.len = w->o2.len = 0;
    w->o1.failed = w->o2.failed = 0;
    cli_json_failed();
    rc = vanban_result_write_json(r, b->c.jflags, obuf_write, &w->o1);
    /* the compact line: for the stream (and "parse --jsonl") only */
    bool need2 = b->c.jflags && (b->jsonl_fd >= 0 || !b->out_dir);
    if (!rc && need2) rc = vanban_result_write_json(r, 0, obuf_write, &w->o2);
    if (!rc && cli_json_failed()) rc = VANBAN_ENOMEM; /* jansson lost bytes: see cli.c */
    if (rc == VANBAN_EWRITE && (w->o1.failed || w->o2.failed)) rc = VANBAN_ENOMEM; /* (in memory) */
    vanban_result_free(r);
    if (rc) {
        batch_fail(fr, BK_PARSE, -1, "%s", vanban_strerror(rc));
        return;
    }
    const obuf *line = need2 ? &w->o2 : &w->o1;
    cli_json_failed();
    json_t *root = json_loadb(line->p, line->len, 0, NULL);
    if (root && cli_json_failed()) {
        json_decref(root);
        root = NULL;
    }
    if (!root) {
        batch_fail(fr, BK_PARSE, -1, "%s", "out of memory");
        return;
    }
    count_json(root, fr);
    json_decref(root);
}

static void do_file(const batch *b, wstate *w, const char *full, const char *rel,
                    const char *outp, fresult *fr)
{
    if (leaves_root(rel)) {
        batch_fail(fr, BK_UNREADABLE, -1, "%s", "path leaves the input root (\"..\")");
        return;
    }
    int fd = open(full, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        batch_fail(fr, errno == ELOOP ? BK_SYMLINK_LOOP : BK_UNREADABLE, -1, "%s", strerror(errno));
        return;
    }
    struct stat st;
    size_t max = b->c.opt.max_input_bytes;
    if (fstat(fd, &st) != 0) {
        batch_fail(fr, BK_UNREADABLE, -1, "%s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        batch_fail(fr, BK_NOT_REGULAR, -1, "%s",
             S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    } else if ((uint64_t)st.st_size > max) {
        fr->bytes = (uint64_t)st.st_size;
        batch_fail(fr, BK_TOO_BIG, (long long)max, "%s", "input larger than --max-bytes");
    } else {
        int err = 0, rc = read_input(w, fd, max, &err);
        if (rc < 0) batch_fail(fr, BK_UNREADABLE, (long long)w->inlen, "read error: %s", strerror(err));
        else if (rc > 0) batch_fail(fr, BK_TOO_BIG, (long long)max, "%s", "input larger than --max-bytes");
    }
    close(fd);
    if (fr->kind) return;
    fr->bytes = w->inlen;
    fr->read_ok = true;
    if (b->resume && outp) {
        batch_sha_hex(w->in, w->inlen, fr->sha);
        fr->have_sha = true;
    }
    if (b->resume && outp && try_skip(b, outp, w, fr)) return;
    const char *what = sniff_binary((const unsigned char *)w->in, w->inlen);
    if (what) {
        batch_fail(fr, BK_NOT_TEXT, 0, "not text: %s", what);
        return;
    }
    size_t ls = 0;
    for (size_t i = 0; i <= w->inlen; i++) {
        if (i == w->inlen || w->in[i] == '\n') {
            if (i - ls > b->max_line) {
                char m[128];
                snprintf(m, sizeof m, "a line of %zu bytes at offset %zu (limit %zu, see --max-line)",
                         i - ls, ls, b->max_line);
                batch_fail(fr, BK_LINE_TOO_LONG, (long long)ls, "%s", m);
                return;
            }
            ls = i + 1;
        }
    }
    parse_input(b, rel, w, fr);
}

/* One file, in this process: the outcome in fr, the JSON in w->o1 / w->o2. */
void batch_run_file(const batch *b, wstate *w, const char *full, const char *rel,
                    const char *outp, fresult *fr)
{
    do_file(b, w, full, rel, outp, fr);
    if (fr->kind && fr->read_ok && !fr->have_sha && outp) { /* lets --resume skip it */
        batch_sha_hex(w->in, w->inlen, fr->sha);
        fr->have_sha = true;
    }
}

static void record(batch *b, const batch_job *j, const fresult *fr)
{
    pthread_mutex_lock(&b->mu);
    batch_stats *s = &b->st;
    s->files++;
    s->bytes += fr->bytes;
    if (fr->skipped) s->skipped++;
    if (fr->kind) {
        s->failed++;
        s->by_kind[fr->kind]++;
        if (b->nerrs == b->errcap) {
            size_t cap = b->errcap ? b->errcap * 2 : 64;
            batch_err *e = realloc(b->errs, cap * sizeof *e);
            if (e) {
                b->errs = e;
                b->errcap = cap;
            }
        }
        if (b->nerrs < b->errcap) {
            batch_err *e = &b->errs[b->nerrs];
            e->seq = j->seq;
            e->path = strdup(j->rel);
            e->message = strdup(fr->msg);
            e->kind = fr->kind;
            e->offset = fr->offset;
            if (e->path && e->message) b->nerrs++;
            else {
                free(e->path);
                free(e->message);
            }
        }
        if (!fr->skipped) {
            if (b->progress) fputs("\r\033[K", stderr);
            if (fr->offset >= 0)
                fprintf(stderr, "vanban: %s: %s: %s (offset %lld)\n", j->rel,
                        batch_kind_name(fr->kind), fr->msg, fr->offset);
            else
                fprintf(stderr, "vanban: %s: %s: %s\n", j->rel, batch_kind_name(fr->kind),
                        fr->msg);
        }
    } else {
        if (!fr->skipped) s->converted++;
        s->documents += fr->documents;
        s->fields += fr->fields;
        s->corrections += fr->corrections;
        s->warnings += fr->warnings;
    }
    if (fr->enc[0] && strcmp(fr->enc, "error")) {
        size_t k = 0;
        while (k < 16 && s->enc_name[k] && strcmp(s->enc_name[k], fr->enc)) k++;
        if (k < 16 && !s->enc_name[k]) s->enc_name[k] = strdup(fr->enc);
        if (k < 16 && s->enc_name[k]) s->enc_count[k]++;
    }
    pthread_mutex_unlock(&b->mu);
}

/* --resume: an output (an error record without checksum) that is already
   there, byte for byte, is left alone. */
static bool same_file(const char *path, const obuf *o)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char buf[8192];
    size_t at = 0, n;
    bool same = true;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        same = at + n <= o->len && !memcmp(buf, o->p + at, n);
        at += n;
    }
    fclose(f);
    return same && at == o->len;
}

static void process(batch *b, batch_child *kid, wstate *w, batch_job *j)
{
    fresult fr;
    memset(&fr, 0, sizeof fr);
    fr.offset = -1;
    char *full = NULL, *outp = NULL;
    bool have_json = false;
    if (j->pre) {
        batch_fail(&fr, j->pre, -1, "%s", j->premsg ? j->premsg : "");
    } else {
        if (b->in_dir) {
            size_t n1 = strlen(b->in_dir), n2 = strlen(j->rel);
            full = malloc(n1 + n2 + 2);
            if (full) snprintf(full, n1 + n2 + 2, "%s/%s", b->in_dir, j->rel);
        } else {
            full = strdup(j->rel);
        }
        if (b->out_dir) outp = out_path(b->out_dir, j->rel);
        if (!full || (b->out_dir && !outp)) batch_fail(&fr, BK_PARSE, -1, "%s", "out of memory");
        else if (kid) batch_iso_run(b, kid, w, full, j->rel, outp, &fr);
        else batch_run_file(b, w, full, j->rel, outp, &fr);
        if (fr.kind && error_record(b, j->rel, &fr, w) == 0) have_json = true;
        else if (!fr.kind) have_json = true;
        if (outp && have_json && !fr.skipped && !(b->resume && same_file(outp, &w->o1)) &&
            batch_write_atomic(outp, w->o1.p, w->o1.len, b->sync) != 0) {
            batch_fail(&fr, BK_WRITE, -1, "cannot write the output: %s", strerror(errno));
            have_json = error_record(b, j->rel, &fr, w) == 0;
        }
    }
    if (j->pre && error_record(b, j->rel, &fr, w) == 0) have_json = true;
    record(b, j, &fr);
    if (b->jsonl_fd >= 0) {
        pthread_mutex_lock(&b->mu);
        while (b->next_out != j->seq) pthread_cond_wait(&b->cv_turn, &b->mu);
        pthread_mutex_unlock(&b->mu);
        const obuf *line = (fr.skipped || (b->c.jflags && have_json)) ? &w->o2 : &w->o1;
        if (!have_json && !fr.skipped) line = NULL;
        bool bad = line && cli_write_all(b->jsonl_fd, line->p, line->len) != 0;
        pthread_mutex_lock(&b->mu);
        if (bad) b->jsonl_failed = true;
        b->next_out++;
        pthread_cond_broadcast(&b->cv_turn);
        pthread_mutex_unlock(&b->mu);
    }
    free(full);
    free(outp);
}

/* "vanban parse --jsonl": one input (a file, or text when text != NULL) ->
   one compact JSON line appended to out, the same as a batch would write.
   Returns 1 when the input failed (the line is an error record), 2 when out
   of memory, else 0. */
int batch_one_line(const batch *b, const char *path, const char *text, size_t len, obuf *out)
{
    wstate w;
    memset(&w, 0, sizeof w);
    fresult fr;
    memset(&fr, 0, sizeof fr);
    fr.offset = -1;
    const char *name = path ? path : "-";
    if (text) {
        w.in = (char *)text;
        w.inlen = len;
        parse_input(b, path, &w, &fr);
        w.in = NULL;
    } else {
        do_file(b, &w, path, path, NULL, &fr);
    }
    int rc = fr.kind ? 1 : 0;
    if (fr.kind && error_record(b, name, &fr, &w)) rc = 2;
    const obuf *line = fr.kind || b->c.jflags ? &w.o2 : &w.o1;
    if (rc < 2 && obuf_write(line->p ? line->p : "", line->len, out)) rc = 2;
    free(w.in);
    free(w.o1.p);
    free(w.o2.p);
    return rc;
}

void *batch_worker(void *arg)
{
    batch *b = arg;
    wstate w;
    memset(&w, 0, sizeof w);
    batch_child *kid = NULL;
    if (b->kids) {
        pthread_mutex_lock(&b->mu);
        kid = &b->kids[b->nextkid++];
        pthread_mutex_unlock(&b->mu);
    }
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (b->rcount == 0 && !b->closed && !batch_stop) pthread_cond_wait(&b->cv_get, &b->mu);
        if (b->rcount == 0 || batch_stop) {
            /* wake a producer blocked on a full queue: it stops too */
            pthread_cond_broadcast(&b->cv_put);
            pthread_cond_broadcast(&b->cv_get);
            pthread_mutex_unlock(&b->mu);
            break;
        }
        batch_job j = b->ring[b->rhead];
        b->rhead = (b->rhead + 1) % b->rcap;
        b->rcount--;
        pthread_cond_signal(&b->cv_put);
        pthread_mutex_unlock(&b->mu);
        process(b, kid, &w, &j);
        free(j.rel);
        free(j.premsg);
    }
    if (kid) batch_iso_stop(kid);
    free(w.in);
    free(w.o1.p);
    free(w.o2.p);
    return NULL;
}
