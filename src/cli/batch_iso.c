/* batch_iso.c - worker processes: one file cannot stop a batch.
 *
 * Each worker thread of "vanban batch" owns one child process, forked from
 * the parent after the model is loaded (so the model's pages are shared).
 * The thread sends the child one file at a time over a socket pair; the
 * child reads, parses and answers with the outcome (an fresult, plain data)
 * and the JSON; the thread writes the output as before.  What the child
 * cannot answer becomes an error record and the batch goes on:
 *
 *   crash    the child died (a signal, or an exit) before it answered;
 *   timeout  no answer within --file-timeout: the child is killed;
 *   memory   the parse ran out of the --file-memory address space (a soft
 *            RLIMIT_AS above the child's own size, set for each file).
 *
 * A dead child is replaced before the next file.  The first children are
 * forked before any thread starts; a replacement is forked from its worker
 * thread: the child then touches only its own socket, the model (read
 * only) and the allocator (glibc keeps malloc usable after fork), never a
 * lock of the parent's other threads (stdio, the job queue).
 *
 * Protocol (native byte order, one executable): request = three uint32
 * lengths + the full path, the relative path and the output path; answer =
 * fresult + two uint64 lengths + the two JSON texts.
 */
#define _GNU_SOURCE /* close_range */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "private.h" /* vbi_sha256 */

/* ---- both sides ---- */

static int send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Read n bytes; deadline (CLOCK_MONOTONIC seconds) 0 = none.  0, -1 on EOF
   or error, -2 on timeout. */
static int recv_all(int fd, void *p, size_t n, double deadline)
{
    char *s = p;
    while (n) {
        if (deadline > 0) {
            double left = deadline - batch_now();
            if (left <= 0) return -2;
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            int r = poll(&pf, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) return -1;
            if (r == 0) continue; /* the loop checks the deadline */
        }
        ssize_t k = recv(fd, s, n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* ---- the child ---- */

static size_t address_space(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Set the soft RLIMIT_AS; returns the one it replaces. */
static rlim_t set_soft_as(rlim_t lim)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl)) return RLIM_INFINITY;
    rlim_t old = rl.rlim_cur;
    if (rl.rlim_max != RLIM_INFINITY && lim > rl.rlim_max) lim = rl.rlim_max;
    rl.rlim_cur = lim;
    setrlimit(RLIMIT_AS, &rl);
    return old;
}

static bool out_of_memory(const fresult *fr)
{
    return (fr->kind == BK_PARSE || fr->kind == BK_UNREADABLE) &&
           (strstr(fr->msg, "out of memory") || strstr(fr->msg, strerror(ENOMEM)));
}

/* Read the request's three strings into one block (NUL-terminated each);
   NULL when out of memory, the bytes then read and dropped. */
static char *recv_paths(int fd, const uint32_t len[3])
{
    size_t total = (size_t)len[0] + len[1] + len[2] + 3;
    char *s = malloc(total);
    if (!s) {
        char sink[4096];
        for (size_t left = total - 3; left;) {
            size_t k = left < sizeof sink ? left : sizeof sink;
            if (recv_all(fd, sink, k, 0)) _exit(0); /* the parent is gone */
            left -= k;
        }
        return NULL;
    }
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        if (recv_all(fd, s + at, len[i], 0)) _exit(0);
        s[at + len[i]] = 0;
        at += (size_t)len[i] + 1;
    }
    return s;
}

static void child_one(const batch *b, int fd, wstate *w, const uint32_t len[3])
{
    char *paths = recv_paths(fd, len);
    const char *full = paths, *rel = paths ? paths + len[0] + 1 : NULL;
    const char *outp = paths ? rel + len[1] + 1 : NULL;
    fresult fr;
    memset(&fr, 0, sizeof fr);
    fr.offset = -1;
    rlim_t was = RLIM_INFINITY; /* a limit the user set (ulimit -v) stays the ceiling */
    if (b->file_memory) {
        rlim_t lim = (rlim_t)(address_space() + b->file_memory);
        was = set_soft_as(lim);
        if (was != RLIM_INFINITY && was < lim) set_soft_as(was);
    }
    if (paths) batch_run_file(b, w, full, rel, *outp ? outp : NULL, &fr);
    else batch_fail(&fr, BK_PARSE, -1, "%s", "out of memory");
    if (b->file_memory) {
        set_soft_as(was);
        if (out_of_memory(&fr)) {
            char m[160];
            snprintf(m, sizeof m, "needs more than --file-memory %zu bytes", b->file_memory);
            batch_fail(&fr, BK_MEMORY, -1, "%s", m);
        }
    }
    free(paths);
    /* an error record is made by the parent; a skipped file's line is in o2 */
    uint64_t n[2] = {fr.kind || fr.skipped ? 0 : w->o1.len,
                     fr.kind || b->jsonl_fd < 0 ? 0 : w->o2.len};
    if (send_all(fd, &fr, sizeof fr) || send_all(fd, n, sizeof n) ||
        (n[0] && send_all(fd, w->o1.p, n[0])) || (n[1] && send_all(fd, w->o2.p, n[1])))
        _exit(0); /* the parent is gone */
    if (w->incap > ((size_t)8 << 20)) { /* give a big file's buffers back */
        free(w->in);
        free(w->o1.p);
        free(w->o2.p);
        memset(w, 0, sizeof *w);
    }
}

/* Close every descriptor above 2 but fd. */
static void close_others(int fd)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (fd > 3) close_range(3, (unsigned)fd - 1, 0);
    close_range((unsigned)fd + 1, ~0U, 0);
#else
    long max = sysconf(_SC_OPEN_MAX);
    for (int k = 3; k < (max > 0 && max < 65536 ? (int)max : 65536); k++)
        if (k != fd) close(k);
#endif
}

static void child_main(const batch *b, int fd)
{
    signal(SIGINT, SIG_IGN); /* the parent decides when the batch stops */
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
#ifdef PR_SET_PDEATHSIG
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    close_others(fd); /* other children's sockets: their EOF must reach the parent */
    wstate w;
    memset(&w, 0, sizeof w);
    for (;;) {
        uint32_t len[3];
        if (recv_all(fd, len, sizeof len, 0)) _exit(0); /* parent done */
        child_one(b, fd, &w, len);
    }
}

/* ---- the parent ---- */

static int spawn(const batch *b, batch_child *ch)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        child_main(b, sv[1]);
    }
    close(sv[1]);
    ch->pid = pid;
    ch->fd = sv[0];
    return 0;
}

int batch_iso_start(batch *b)
{
    b->kids = calloc((size_t)b->jobs, sizeof *b->kids);
    if (!b->kids) return -1;
    for (int i = 0; i < b->jobs; i++) b->kids[i].fd = -1;
    for (int i = 0; i < b->jobs; i++)
        spawn(b, &b->kids[i]); /* one that fails is tried again at its first file */
    return 0;
}

/* End the child (kill: it may hang) and say how it ended. */
static int reap(batch_child *ch, bool kill_it)
{
    int st = 0;
    if (ch->fd >= 0) close(ch->fd);
    ch->fd = -1;
    if (ch->pid > 0) {
        if (kill_it) kill(ch->pid, SIGKILL);
        while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
    ch->pid = 0;
    return st;
}

void batch_iso_stop(batch_child *ch)
{
    reap(ch, false); /* EOF on its socket: the child exits */
}

/* The checksum and size of a file the child could not answer for (its
   error record then lets --resume recognise the same bytes). */
static void source_of(const batch *b, const char *full, fresult *fr)
{
    FILE *f = fopen(full, "rb");
    if (!f) return;
    vbi_sha256 c;
    vbi_sha256_init(&c);
    char buf[65536];
    size_t n;
    uint64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && total <= b->c.opt.max_input_bytes) {
        vbi_sha256_update(&c, buf, n);
        total += n;
    }
    if (!ferror(f) && total <= b->c.opt.max_input_bytes) {
        vbi_sha256_final(&c, fr->sha);
        fr->have_sha = true;
        fr->bytes = total;
    }
    fclose(f);
}

static int ensure(obuf *o, uint64_t n)
{
    o->len = 0;
    o->failed = 0;
    if (n == 0) return 0;
    if (n > SIZE_MAX - 1) return -1;
    if (o->cap < n) {
        char *p = realloc(o->p, (size_t)n);
        if (!p) return -1;
        o->p = p;
        o->cap = (size_t)n;
    }
    o->len = (size_t)n;
    return 0;
}

static void died(const batch *b, int st, bool timed_out, fresult *fr)
{
    char m[200];
    if (timed_out) {
        snprintf(m, sizeof m, "no result within --file-timeout %g s: the worker was stopped",
                 b->file_timeout);
        batch_fail(fr, BK_TIMEOUT, -1, "%s", m);
    } else if (WIFSIGNALED(st)) {
        snprintf(m, sizeof m, "the worker process died of signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
        batch_fail(fr, BK_CRASH, -1, "%s", m);
    } else {
        snprintf(m, sizeof m, "the worker process ended with status %d before answering",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        batch_fail(fr, BK_CRASH, -1, "%s", m);
    }
}

/* --resume: a file whose record says it failed twice with a retried kind
   (and whose bytes are the same) is not given to a worker again; the
   parent decides, since a worker may die before it could. */
static bool settled(const batch *b, const char *outp, const char *full, fresult *fr)
{
    struct stat st;
    if (!b->resume || !outp || stat(outp, &st) || st.st_size > 8192) return false;
    json_t *root = json_load_file(outp, 0, NULL);
    json_t *err = json_object_get(root, "error");
    batch_kind k = batch_kind_of(json_string_value(json_object_get(err, "kind")));
    const char *msg = json_string_value(json_object_get(err, "message"));
    json_int_t n = json_integer_value(json_object_get(err, "attempts"));
    const char *sha = json_string_value(json_object_get(json_object_get(root, "source"), "sha256"));
    bool done = false;
    if (BK_RETRIED(k) && sha && msg && n >= 2) {
        source_of(b, full, fr);
        done = fr->have_sha && !strcmp(fr->sha, sha);
        if (done) {
            batch_fail(fr, k, -1, "%s", msg);
            fr->attempts = n > 1000 ? 1000 : (int)n;
            fr->skipped = true;
        }
    }
    json_decref(root);
    return done;
}

void batch_iso_run(const batch *b, batch_child *ch, wstate *w, const char *full,
                   const char *rel, const char *outp, fresult *fr)
{
    if (settled(b, outp, full, fr)) return;
    if (ch->pid <= 0 && spawn(b, ch)) { /* no process to be had: work here */
        batch_run_file(b, w, full, rel, outp, fr);
        return;
    }
    size_t l0 = strlen(full), l1 = strlen(rel), l2 = outp ? strlen(outp) : 0;
    uint32_t len[3] = {(uint32_t)l0, (uint32_t)l1, (uint32_t)l2};
    double deadline = b->file_timeout > 0 ? batch_now() + b->file_timeout : 0;
    int rc = send_all(ch->fd, len, sizeof len) || send_all(ch->fd, full, l0) ||
             send_all(ch->fd, rel, l1) || (l2 && send_all(ch->fd, outp, l2));
    uint64_t n[2] = {0, 0};
    if (!rc) rc = recv_all(ch->fd, fr, sizeof *fr, deadline);
    if (!rc) rc = recv_all(ch->fd, n, sizeof n, deadline);
    if (!rc && (ensure(&w->o1, n[0]) || ensure(&w->o2, n[1]))) {
        reap(ch, true); /* the answer cannot be taken: the stream is lost */
        memset(fr, 0, sizeof *fr);
        batch_fail(fr, BK_PARSE, -1, "%s", "out of memory");
        return;
    }
    if (!rc && n[0]) rc = recv_all(ch->fd, w->o1.p, w->o1.len, deadline);
    if (!rc && n[1]) rc = recv_all(ch->fd, w->o2.p, w->o2.len, deadline);
    if (rc) {
        int st = reap(ch, true);
        memset(fr, 0, sizeof *fr);
        fr->offset = -1;
        died(b, st, rc == -2, fr);
        source_of(b, full, fr);
    }
    if (BK_RETRIED(fr->kind)) fr->attempts = batch_prior_attempts(b, outp, fr) + 1;
}

/* How many runs before this one failed on the same bytes with a retried
   kind (their error record is in outp). */
int batch_prior_attempts(const batch *b, const char *outp, const fresult *fr)
{
    if (!b->resume || !outp || !fr->have_sha) return 0;
    json_t *root = json_load_file(outp, 0, NULL);
    json_t *src = json_object_get(root, "source"), *err = json_object_get(root, "error");
    const char *sha = json_string_value(json_object_get(src, "sha256"));
    batch_kind k = batch_kind_of(json_string_value(json_object_get(err, "kind")));
    int n = 0;
    if (sha && BK_RETRIED(k) && !strcmp(sha, fr->sha)) {
        json_int_t a = json_integer_value(json_object_get(err, "attempts"));
        n = a > 0 && a < 1000 ? (int)a : 1;
    }
    json_decref(root);
    return n;
}
