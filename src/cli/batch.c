/* batch.c - "vanban batch": convert a directory tree (or a list of files).
 *
 *   vanban batch IN_DIR -o OUT_DIR [--jsonl FILE] [-j N] [--resume] [-q] ...
 *   vanban batch [IN_DIR] --files-from LIST (-o OUT_DIR | --jsonl FILE) ...
 *
 * The main thread lists the inputs (batch_walk.c) into a bounded queue; N
 * workers (batch_work.c) share one model and write one output per input.
 * This file parses the options, runs the threads, shows progress and writes
 * the summary.  Exit status: 0 when every file converted, 1 when some file
 * failed (its error record says why), 2 on a usage or set-up error, 130/143
 * when interrupted (every output present is complete).
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

volatile sig_atomic_t batch_stop;

static void on_signal(int sig) { batch_stop = sig; }

static const char usage[] =
    "usage: vanban batch IN_DIR -o OUT_DIR [options]\n"
    "       vanban batch IN_DIR --jsonl FILE [options]\n"
    "       vanban batch [IN_DIR] --files-from LIST (-o OUT_DIR | --jsonl FILE) [options]\n"
    "\n"
    "Converts every file under IN_DIR (hidden files skipped), mirroring the tree:\n"
    "IN_DIR/a/b/x.txt -> OUT_DIR/a/b/x.json (other names get '.json' appended).\n"
    "A file that fails becomes an error record; the batch goes on.\n"
    "\n"
    "options:\n"
    "  -o OUT_DIR         one JSON file per input, plus OUT_DIR/summary.json\n"
    "  --jsonl FILE       also (or only) one JSON Lines stream, in input order ('-' = stdout)\n"
    "  --files-from LIST  inputs listed one per line (relative to IN_DIR; '-' = stdin)\n"
    "  -j N               worker threads (default: one per core)\n"
    "  --resume           skip inputs whose output exists with the same input checksum\n"
    "  -q                 no progress display and no summary on standard error\n"
    "  --summary FILE     write the summary to FILE instead of OUT_DIR/summary.json\n"
    "  --encoding NAME    force the input encoding (utf-8, utf-16le, utf-16be,\n"
    "                     windows-1258, vni, tcvn3, viscii); default: detect per file\n"
    "  --max-bytes N      per-file size limit (default 67108864)\n"
    "  --max-line N       per-line limit in bytes (default 1048576)\n"
    "  --sync             fsync every output before renaming it\n"
    "  --file-timeout S   stop a file's worker after S seconds: a 'timeout' error record\n"
    "                     (default 600; 0 = no limit)\n"
    "  --file-memory N    address space a file may take, in bytes (K, M, G): beyond it\n"
    "                     a 'memory' error record (default: no limit)\n"
    "  --no-isolate       parse in threads of this process, not in worker processes\n"
    "                     (a crash then ends the batch; no --file-timeout/--file-memory)\n"
    "  --compact --grammars DIR --no-repair   as for 'vanban parse'\n";

/* 0, 1 after --help (usage printed), -1 on a usage error (message printed). */
static int parse_args(batch *b, int argc, char **argv)
{
    cli_args A;
    int rc = cli_args_parse(&A, CLI_BATCH, argc, argv, usage, "usage: vanban batch IN_DIR -o OUT_DIR [options] (see vanban batch --help)\n");
    if (rc) return rc == 1 ? 1 : -1;
    if (A.nfiles > 1) {
        fprintf(stderr, "vanban: batch: more than one input directory\n");
        return -1;
    }
    b->c = A.c;
    b->in_dir = A.nfiles ? A.files[0] : NULL;
    b->quiet = A.quiet;
    b->resume = A.resume;
    b->sync = A.sync;
    b->jsonl_path = A.jsonl;
    b->files_from = A.files_from;
    b->summary_path = A.summary;
    b->jobs = A.jobs;
    if (A.max_line) b->max_line = A.max_line;
    b->isolate = !A.no_isolate;
    b->file_timeout = A.file_timeout >= 0 ? A.file_timeout : 600;
    b->file_memory = A.file_memory;
    if (A.no_isolate && (A.file_timeout >= 0 || A.file_memory)) {
        fprintf(stderr, "vanban: batch: --file-timeout and --file-memory need worker processes "
                        "(drop --no-isolate)\n");
        return -1;
    }
    b->out_dir = b->c.outpath;
    if (!b->in_dir && !b->files_from) {
        fprintf(stderr, "vanban: batch: no input directory\n%s", usage);
        return -1;
    }
    if (!b->out_dir && !b->jsonl_path) {
        fprintf(stderr, "vanban: batch: give -o OUT_DIR and/or --jsonl FILE\n");
        return -1;
    }
    if (b->resume && !b->out_dir) {
        fprintf(stderr, "vanban: batch: --resume needs -o OUT_DIR (the outputs to keep)\n");
        return -1;
    }
    if (b->c.fm.chunk || b->c.fm.random) {
        fprintf(stderr, "vanban: batch: --chunk is for 'vanban parse'\n");
        return -1;
    }
    return 0;
}

static void fmt_eta(double s, char *out, size_t n)
{
    if (s < 0 || s > 359999) snprintf(out, n, "--:--");
    else if (s >= 3600) snprintf(out, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else snprintf(out, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

/* Progress line, redrawn four times a second while the batch runs. */
static void *progress_main(void *arg)
{
    batch *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&b->cv_tick, &b->mu, &ts);
        if (b->done) break;
        double el = batch_now() - b->t0;
        const batch_stats *s = &b->st;
        double mbs = el > 0 ? (double)s->bytes / 1e6 / el : 0;
        char eta[32] = "--:--", tot[32] = "?";
        if (b->counted) {
            snprintf(tot, sizeof tot, "%llu", (unsigned long long)b->total_files);
            if (s->bytes > 0 && b->total_bytes > s->bytes)
                fmt_eta(el * (double)(b->total_bytes - s->bytes) / (double)s->bytes, eta,
                        sizeof eta);
            else if (s->bytes > 0) fmt_eta(0, eta, sizeof eta);
        }
        fprintf(stderr, "\r\033[K%llu/%s files  %.1f MB/s  %llu documents  %llu errors  ETA %s",
                (unsigned long long)s->files, tot, mbs, (unsigned long long)s->documents,
                (unsigned long long)s->failed, eta);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static int cmp_err(const void *x, const void *y)
{
    const batch_err *a = x, *b = y;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static json_t *summary_json(batch *b, double secs)
{
    const batch_stats *s = &b->st;
    json_t *kinds = json_object(), *encs = json_object(), *errs = json_array();
    json_t *root = json_object();
    if (!kinds || !encs || !errs || !root) goto nomem;
    for (int k = 1; k < BK__COUNT; k++)
        if (s->by_kind[k] &&
            json_object_set_new(kinds, batch_kind_name((batch_kind)k),
                                json_integer((json_int_t)s->by_kind[k])))
            goto nomem;
    for (int k = 0; k < 16 && s->enc_name[k]; k++)
        if (json_object_set_new(encs, s->enc_name[k], json_integer((json_int_t)s->enc_count[k])))
            goto nomem;
    if (b->nerrs) qsort(b->errs, b->nerrs, sizeof *b->errs, cmp_err);
    for (size_t i = 0; i < b->nerrs; i++) {
        const batch_err *e = &b->errs[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "path", e->path, "kind",
                              batch_kind_name(e->kind), "message", e->message, "offset",
                              e->offset >= 0 ? json_integer(e->offset) : json_null());
        if (!o || json_array_append_new(errs, o)) goto nomem;
    }
#define SET(k, v) if (json_object_set_new(root, k, v)) goto nomem
    SET("schema", json_string("vanban-batch/1"));
    SET("files", json_integer((json_int_t)s->files));
    SET("converted", json_integer((json_int_t)s->converted));
    SET("skipped", json_integer((json_int_t)s->skipped));
    SET("failed", json_integer((json_int_t)s->failed));
    SET("bytes", json_integer((json_int_t)s->bytes));
    SET("documents", json_integer((json_int_t)s->documents));
    SET("fields", json_integer((json_int_t)s->fields));
    SET("repairs", json_integer((json_int_t)s->corrections));
    SET("warnings", json_integer((json_int_t)s->warnings));
    SET("encodings", encs);
    encs = NULL;
    SET("errors_by_kind", kinds);
    kinds = NULL;
    SET("errors", errs);
    errs = NULL;
    SET("jobs", json_integer(b->jobs));
    SET("seconds", json_real(secs));
    SET("interrupted", json_boolean(batch_stop != 0));
#undef SET
    return root;
nomem:
    json_decref(kinds);
    json_decref(encs);
    json_decref(errs);
    json_decref(root);
    return NULL;
}

static void print_summary(const batch *b, double secs)
{
    const batch_stats *s = &b->st;
    fprintf(stderr,
            "%llu files (%llu converted, %llu skipped, %llu failed), %.1f MB in %.2f s "
            "(%.1f MB/s)\n%llu documents, %llu fields found, %llu repairs, %llu warnings\n",
            (unsigned long long)s->files, (unsigned long long)s->converted,
            (unsigned long long)s->skipped, (unsigned long long)s->failed,
            (double)s->bytes / 1e6, secs, secs > 0 ? (double)s->bytes / 1e6 / secs : 0.0,
            (unsigned long long)s->documents, (unsigned long long)s->fields,
            (unsigned long long)s->corrections, (unsigned long long)s->warnings);
    for (int k = 0; k < 16 && s->enc_name[k]; k++)
        fprintf(stderr, "  encoding %-14s %llu files\n", s->enc_name[k],
                (unsigned long long)s->enc_count[k]);
    for (int k = 1; k < BK__COUNT; k++)
        if (s->by_kind[k])
            fprintf(stderr, "  errors   %-14s %llu\n", batch_kind_name((batch_kind)k),
                    (unsigned long long)s->by_kind[k]);
}

static int open_jsonl(batch *b)
{
    b->jsonl_fd = -1;
    if (!b->jsonl_path) return 0;
    if (!strcmp(b->jsonl_path, "-")) {
        b->jsonl_fd = 1;
        return 0;
    }
    size_t n = strlen(b->jsonl_path);
    b->jsonl_tmp = malloc(n + 8);
    if (!b->jsonl_tmp) return 2;
    snprintf(b->jsonl_tmp, n + 8, "%s.tmp", b->jsonl_path);
    b->jsonl_fd = open(b->jsonl_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (b->jsonl_fd < 0) {
        fprintf(stderr, "vanban: batch: %s: %s\n", b->jsonl_tmp, strerror(errno));
        return 2;
    }
    return 0;
}

/* Finish the stream: rename when complete, else remove (never half-written). */
static int close_jsonl(batch *b)
{
    if (b->jsonl_fd < 0 || b->jsonl_fd == 1) {
        if (b->jsonl_failed) fprintf(stderr, "vanban: batch: write error on standard output\n");
        return b->jsonl_failed ? 2 : 0;
    }
    int bad = b->jsonl_failed || (b->sync && fsync(b->jsonl_fd));
    bad = close(b->jsonl_fd) || bad;
    if (bad || batch_stop) {
        if (bad) fprintf(stderr, "vanban: batch: %s: write error\n", b->jsonl_tmp);
        unlink(b->jsonl_tmp);
        return bad ? 2 : 0;
    }
    if (rename(b->jsonl_tmp, b->jsonl_path)) {
        fprintf(stderr, "vanban: batch: %s: %s\n", b->jsonl_path, strerror(errno));
        unlink(b->jsonl_tmp);
        return 2;
    }
    return 0;
}

static void *producer_main(void *arg)
{
    batch *b = arg;
    int rc = b->files_from ? batch_files_from(b) : batch_walk(b, false);
    pthread_mutex_lock(&b->mu);
    b->closed = true;
    pthread_cond_broadcast(&b->cv_get);
    pthread_mutex_unlock(&b->mu);
    return (void *)(intptr_t)rc;
}

/* "vanban parse --jsonl IN": a map step for GNU parallel and Slurm.  Each
   line of IN ('-' = standard input) is a path, or a document as a JSON string,
   or an object {"path": ..., "text": ...}; each gives one JSON line on
   standard output, in order: the result, or an error record. */
int cmd_parse_jsonl(const cli_common *c, const char *in)
{
    batch *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "vanban: out of memory\n");
        return 2;
    }
    b->c = *c;
    b->c.jflags = 0;
    b->max_line = (size_t)1 << 20;
    b->jsonl_fd = -1;
    FILE *f = strcmp(in, "-") ? fopen(in, "r") : stdin;
    int status = 0;
    if (!f) {
        fprintf(stderr, "vanban: %s: %s\n", in, strerror(errno));
        free(b);
        return 2;
    }
    if (cli_load_model(&b->c, &b->model)) status = 2;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    obuf out = {0};
    while (!status || status == 1) {
        if ((n = getline(&line, &cap, f)) < 0) break;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        out.len = 0;
        out.failed = 0;
        int rc;
        if (line[0] == '{' || line[0] == '"') {
            cli_json_failed();
            json_t *j = json_loadb(line, (size_t)n, JSON_DECODE_ANY, NULL);
            if (cli_json_failed()) { /* jansson may have dropped a byte: never parse that */
                json_decref(j);
                fprintf(stderr, "vanban: out of memory\n");
                status = 2;
                break;
            }
            json_t *t = json_is_string(j) ? j : json_object_get(j, "text");
            const char *path = json_string_value(json_object_get(j, "path"));
            if (json_is_string(t)) {
                rc = batch_one_line(b, path, json_string_value(t), json_string_length(t), &out);
            } else {
                fprintf(stderr, "vanban: input line is not a path, a JSON string or "
                                "{\"text\": ...}: %.60s\n", line);
                rc = batch_one_line(b, "-", "", 0, &out) ? 2 : 1; /* keep one line per input */
            }
            json_decref(j);
        } else {
            rc = batch_one_line(b, line, NULL, 0, &out);
        }
        if (rc > status) status = rc;
        if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len) status = 2;
    }
    if (ferror(f) || fflush(stdout)) status = 2;
    if (f != stdin) fclose(f);
    free(line);
    free(out.p);
    if (b->model) cli_model_free(b->model);
    free(b);
    return status;
}

int cmd_batch(int argc, char **argv)
{
    /* first of all: a Ctrl-C during the model load stops the batch cleanly */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    batch *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "vanban: out of memory\n");
        return 2;
    }
    cli_common_init(&b->c);
    b->max_line = (size_t)1 << 20;
    int status = 2;
    int pr = parse_args(b, argc, argv);
    if (pr == 1) status = 0;
    if (pr) goto out;
    if (b->jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        b->jobs = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
    }
    b->progress = !b->quiet && isatty(2);
    if (b->out_dir) {
        if (batch_mkdirs(b->out_dir)) {
            fprintf(stderr, "vanban: batch: cannot create %s: %s\n", b->out_dir, strerror(errno));
            goto out;
        }
        struct stat st;
        if (stat(b->out_dir, &st) == 0) {
            b->out_dev = st.st_dev;
            b->out_ino = st.st_ino;
            b->have_out_id = true;
        }
    }
    if (cli_load_model(&b->c, &b->model)) goto out;
    if (open_jsonl(b)) goto out;


    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv_put, NULL);
    pthread_cond_init(&b->cv_get, NULL);
    pthread_cond_init(&b->cv_turn, NULL);
    pthread_cond_init(&b->cv_tick, NULL);
    b->rcap = (size_t)b->jobs * 4;
    b->ring = calloc(b->rcap, sizeof *b->ring);
    pthread_t *th = calloc((size_t)b->jobs, sizeof *th);
    if (!b->ring || !th) {
        fprintf(stderr, "vanban: batch: out of memory\n");
        free(th);
        goto out;
    }
    if (b->isolate && batch_iso_start(b)) {
        fprintf(stderr, "vanban: batch: out of memory\n");
        free(th);
        goto out;
    }
    b->t0 = batch_now();
    pthread_t prog, prod;
    bool have_prog = false;
    if (b->progress) {
        if (!b->files_from && batch_walk(b, true) == 0) b->counted = true;
        have_prog = pthread_create(&prog, NULL, progress_main, b) == 0;
    }
    int started = 0;
    for (; started < b->jobs; started++)
        if (pthread_create(&th[started], NULL, batch_worker, b)) break;
    if (started == 0) {
        fprintf(stderr, "vanban: batch: cannot start worker threads (out of memory or too many threads)\n");
        free(th);
        goto out;
    }
    void *prc = NULL;
    if (pthread_create(&prod, NULL, producer_main, b) == 0) pthread_join(prod, &prc);
    else producer_main(b);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    free(th);
    pthread_mutex_lock(&b->mu);
    b->done = true;
    pthread_cond_broadcast(&b->cv_tick);
    pthread_mutex_unlock(&b->mu);
    if (have_prog) {
        pthread_join(prog, NULL);
        fputs("\r\033[K", stderr);
    }
    double secs = batch_now() - b->t0;

    status = b->st.failed ? 1 : 0;
    if ((intptr_t)prc || b->list_oom) status = 2; /* (list_oom: an input may be missing) */
    if (close_jsonl(b)) status = 2;
    const char *spath = b->summary_path;
    char *own = NULL;
    if (!spath && b->out_dir) {
        size_t n = strlen(b->out_dir) + 16;
        if ((own = malloc(n))) snprintf(own, n, "%s/summary.json", b->out_dir);
        spath = own;
    }
    json_t *sj = summary_json(b, secs);
    if (!sj) {
        fprintf(stderr, "vanban: batch: out of memory writing the summary\n");
        status = 2;
    } else if (spath) {
        char *txt = json_dumps(sj, JSON_INDENT(2) | JSON_REAL_PRECISION(4));
        size_t tl = txt ? strlen(txt) : 0;
        if (txt) txt[tl] = '\n'; /* replaces the NUL: written by length */
        if (!txt || batch_write_atomic(spath, txt, tl + 1, b->sync)) {
            fprintf(stderr, "vanban: batch: cannot write %s\n", spath);
            status = 2;
        }
        free(txt);
    }
    json_decref(sj);
    free(own);
    if (!b->quiet) print_summary(b, secs);
    if (batch_stop) status = 128 + (int)batch_stop;
out:
    if (b->model) cli_model_free(b->model);
    for (size_t i = 0; i < b->nerrs; i++) {
        free(b->errs[i].path);
        free(b->errs[i].message);
    }
    free(b->errs);
    for (int k = 0; k < 16; k++) free((void *)b->st.enc_name[k]);
    for (size_t i = 0; b->ring && i < b->rcount; i++) { /* left by an interruption */
        free(b->ring[(b->rhead + i) % b->rcap].rel);
        free(b->ring[(b->rhead + i) % b->rcap].premsg);
    }
    free(b->ring);
    for (int i = 0; b->kids && i < b->jobs; i++) batch_iso_stop(&b->kids[i]); /* unused ones */
    free(b->kids);
    free(b->jsonl_tmp);
    free(b);
    return status;
}
