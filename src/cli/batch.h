/* batch.h - pieces of "vanban batch" shared by its files (batch*.c). */
#ifndef VANBAN_BATCH_H
#define VANBAN_BATCH_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"

/* Kinds of per-file failure (the "kind" of an error record). */
typedef enum {
    BK_NONE = 0,
    BK_UNREADABLE,    /* open/read/opendir failed, dangling symlink */
    BK_SYMLINK_LOOP,  /* ELOOP, or a directory that is its own ancestor */
    BK_NOT_REGULAR,   /* fifo, socket, device */
    BK_NOT_TEXT,      /* PDF, image, NUL bytes */
    BK_TOO_BIG,       /* larger than --max-bytes */
    BK_LINE_TOO_LONG, /* a line longer than --max-line */
    BK_PARSE,         /* the library failed (out of memory ...) */
    BK_WRITE,         /* the output could not be written */
    BK_CRASH,         /* the worker process died on this file */
    BK_TIMEOUT,       /* longer than --file-timeout */
    BK_MEMORY,        /* needed more than --file-memory */
    BK__COUNT
} batch_kind;

const char *batch_kind_name(batch_kind k);
batch_kind batch_kind_of(const char *name); /* BK_NONE when unknown or NULL */

/* One unit of work, in walk order (seq). */
typedef struct {
    uint64_t seq;
    char *rel;       /* path relative to the input root (as given in a list) */
    batch_kind pre;  /* an error found while walking, or BK_NONE */
    char *premsg;    /* its message */
} batch_job;

/* Totals of a run (summary.json). */
typedef struct {
    uint64_t files, converted, skipped, failed;
    uint64_t bytes, documents, fields, corrections, warnings;
    uint64_t by_kind[BK__COUNT];
    uint64_t enc_count[16];
    const char *enc_name[16];
} batch_stats;

typedef struct {
    uint64_t seq;
    char *path, *message;
    batch_kind kind;
    long long offset; /* -1 = none */
} batch_err;

/* Kinds that --resume retries once (batch_iso.c). */
#define BK_RETRIED(k) ((k) == BK_CRASH || (k) == BK_TIMEOUT || (k) == BK_MEMORY)

/* A worker's buffers: the input, the output as written to OUT_DIR, and the
   compact line for the stream. */
typedef struct {
    char *in;
    size_t inlen, incap;
    obuf o1, o2;
} wstate;

/* What became of one file (plain data: it crosses the worker-process pipe). */
typedef struct {
    uint64_t bytes, documents, fields, corrections, warnings;
    batch_kind kind;
    char msg[512];
    long long offset;
    char enc[32];
    bool skipped, have_sha, read_ok; /* read_ok: w->in holds the whole file */
    char sha[65];
    int attempts; /* error records of a BK_RETRIED kind: runs that failed so */
} fresult;

/* A worker process (batch_iso.c): one per worker thread. */
typedef struct {
    pid_t pid; /* 0: none running */
    int fd;    /* the parent's end of the socket pair */
} batch_child;

typedef struct batch batch;

struct batch {
    /* configuration */
    cli_common c;
    const char *in_dir, *out_dir, *jsonl_path, *files_from, *summary_path;
    int jobs;
    bool quiet, resume, sync, progress;
    bool isolate;        /* one worker process per thread (default) */
    double file_timeout; /* seconds, 0 = none */
    size_t file_memory;  /* bytes of address space per file, 0 = none */
    batch_child *kids;   /* [jobs] when isolate */
    int nextkid;         /* under mu: which kid the next worker thread takes */
    bool list_oom; /* the walk lost an entry for memory: exit 2 (walker thread, read after join) */
    size_t max_line;
    vanban_model *model;
    dev_t out_dev;
    ino_t out_ino;
    bool have_out_id;

    /* job queue (bounded ring) */
    pthread_mutex_t mu;
    pthread_cond_t cv_put, cv_get, cv_turn, cv_tick;
    batch_job *ring;
    size_t rcap, rhead, rcount;
    bool closed;
    uint64_t nseq;      /* next sequence number to hand out */
    uint64_t next_out;  /* next sequence number to write to the stream */
    int jsonl_fd;
    char *jsonl_tmp;
    bool jsonl_failed;

    /* totals, under mu */
    batch_stats st;
    batch_err *errs;
    size_t nerrs, errcap;
    uint64_t total_files, total_bytes; /* from the counting walk, for progress */
    bool counted, done;
    double t0;
};

extern volatile sig_atomic_t batch_stop;

/* batch_walk.c: feed jobs into the queue (or count them). */
int batch_walk(batch *b, bool count_only);
int batch_files_from(batch *b);
void batch_put(batch *b, char *rel, batch_kind pre, char *premsg);

/* batch_work.c */
void *batch_worker(void *arg);
double batch_now(void);
int batch_mkdirs(const char *dir);
int batch_write_atomic(const char *path, const char *buf, size_t len, bool sync);
void batch_fail(fresult *fr, batch_kind k, long long off, const char *fmt, const char *arg);
void batch_run_file(const batch *b, wstate *w, const char *full, const char *rel,
                    const char *outp, fresult *fr);
void batch_sha_hex(const char *s, size_t n, char hex[65]);
int batch_one_line(const batch *b, const char *path, const char *text, size_t len, obuf *out);

/* batch_iso.c: the worker processes. */
int batch_iso_start(batch *b);  /* before the threads start: 0 or -1 */
void batch_iso_run(const batch *b, batch_child *ch, wstate *w, const char *full,
                   const char *rel, const char *outp, fresult *fr);
void batch_iso_stop(batch_child *ch);
int batch_prior_attempts(const batch *b, const char *outp, const fresult *fr);

#endif
