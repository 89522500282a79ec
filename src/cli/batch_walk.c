/* batch_walk.c - list the inputs of "vanban batch" in a fixed order.
 *
 * The walk is depth-first with each directory's entries sorted by byte value
 * (strcmp, not the locale), so the order - and the JSON Lines stream - is the
 * same on every run and for every -j.  Only the directory being read is held
 * in memory.  Hidden entries (".name") are skipped; so is the output
 * directory when it lies inside the input.  A directory that cannot be read,
 * a symlink loop or a dangling link becomes an error job in its place.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"

typedef struct ancestor {
    dev_t dev;
    ino_t ino;
    const struct ancestor *up;
} ancestor;

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Queue one job; blocks while the ring is full.  Takes ownership of rel and
   premsg.  On a failed allocation (rel == NULL) the job is dropped with a
   message: the walk goes on. */
void batch_put(batch *b, char *rel, batch_kind pre, char *premsg)
{
    if (!rel) {
        fprintf(stderr, "vanban: batch: out of memory while listing inputs\n");
        b->list_oom = true;
        free(premsg);
        return;
    }
    pthread_mutex_lock(&b->mu);
    while (b->rcount == b->rcap && !batch_stop) pthread_cond_wait(&b->cv_put, &b->mu);
    if (batch_stop) {
        pthread_mutex_unlock(&b->mu);
        free(rel);
        free(premsg);
        return;
    }
    batch_job *j = &b->ring[(b->rhead + b->rcount) % b->rcap];
    j->seq = b->nseq++;
    j->rel = rel;
    j->pre = pre;
    j->premsg = premsg;
    b->rcount++;
    pthread_cond_signal(&b->cv_get);
    pthread_mutex_unlock(&b->mu);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (!s) return NULL;
    memcpy(s, a, na);
    size_t k = na;
    if (na && a[na - 1] != '/') s[k++] = '/';
    memcpy(s + k, b, nb + 1);
    return s;
}

static void put_error(batch *b, bool count_only, const char *rel, batch_kind k, const char *fmt,
                      const char *arg)
{
    if (count_only) {
        b->total_files++;
        return;
    }
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    batch_put(b, xstrdup(rel), k, xstrdup(msg));
}

/* rel: path under the root ("" for the root); full: path to open. */
static void walk_dir(batch *b, bool count_only, const char *full, const char *rel,
                     const ancestor *up)
{
    DIR *d = opendir(full);
    if (!d) {
        put_error(b, count_only, *rel ? rel : ".", BK_UNREADABLE, "cannot read directory: %s",
                  strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ".", "..", hidden files */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **t = realloc(names, nc * sizeof *t);
            if (!t) {
                oom = true;
                break;
            }
            names = t;
            cap = nc;
        }
        if (!(names[n] = xstrdup(e->d_name))) {
            oom = true;
            break;
        }
        n++;
    }
    if (oom && !count_only) { /* (the counting pass only sizes the progress display) */
        fprintf(stderr, "vanban: batch: out of memory while listing %s: entries are missing\n", full);
        b->list_oom = true;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && !batch_stop; i++) {
        char *f = join(full, names[i]);
        char *r = *rel ? join(rel, names[i]) : xstrdup(names[i]);
        if (!f || !r) {
            free(f);
            free(r);
            if (!count_only) {
                fprintf(stderr, "vanban: batch: out of memory while listing %s\n", full);
                b->list_oom = true;
            }
            continue;
        }
        struct stat st;
        if (stat(f, &st) != 0) {
            int err = errno;
            if (err == ELOOP)
                put_error(b, count_only, r, BK_SYMLINK_LOOP, "%s", "symbolic link loop");
            else if (err == ENOENT)
                put_error(b, count_only, r, BK_UNREADABLE, "%s", "dangling symbolic link");
            else
                put_error(b, count_only, r, BK_UNREADABLE, "%s", strerror(err));
        } else if (S_ISDIR(st.st_mode)) {
            bool loop = false;
            for (const ancestor *a = up; a; a = a->up)
                if (a->dev == st.st_dev && a->ino == st.st_ino) loop = true;
            if (loop) {
                put_error(b, count_only, r, BK_SYMLINK_LOOP, "%s",
                          "symbolic link loop (directory is its own ancestor)");
            } else if (!(b->have_out_id && st.st_dev == b->out_dev && st.st_ino == b->out_ino)) {
                ancestor me = {st.st_dev, st.st_ino, up};
                walk_dir(b, count_only, f, r, &me);
            }
        } else if (S_ISREG(st.st_mode)) {
            if (count_only) {
                b->total_files++;
                b->total_bytes += (uint64_t)st.st_size;
            } else {
                batch_put(b, r, BK_NONE, NULL);
                r = NULL;
            }
        } else {
            put_error(b, count_only, r, BK_NOT_REGULAR, "%s",
                      "not a regular file (device, fifo or socket)");
        }
        free(f);
        free(r);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

int batch_walk(batch *b, bool count_only)
{
    struct stat st;
    if (stat(b->in_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "vanban: batch: %s: %s\n", b->in_dir,
                errno ? strerror(errno) : "not a directory");
        return 2;
    }
    ancestor root = {st.st_dev, st.st_ino, NULL};
    walk_dir(b, count_only, b->in_dir, "", &root);
    return 0;
}

/* One path per line; "-" reads standard input.  Blank lines are ignored;
   a leading "./" is dropped. */
int batch_files_from(batch *b)
{
    FILE *f = strcmp(b->files_from, "-") ? fopen(b->files_from, "r") : stdin;
    if (!f) {
        fprintf(stderr, "vanban: batch: %s: %s\n", b->files_from, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (!batch_stop && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        char *s = line;
        while (s[0] == '.' && s[1] == '/') s += 2;
        if (!*s) continue;
        batch_put(b, xstrdup(s), BK_NONE, NULL);
    }
    int bad = ferror(f);
    free(line);
    if (f != stdin) fclose(f);
    if (bad) {
        fprintf(stderr, "vanban: batch: %s: read error\n", b->files_from);
        return 2;
    }
    return 0;
}
