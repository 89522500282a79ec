/* failalloc.c - a failing allocator for the test suite (LD_PRELOAD).
 *
 * Interposes malloc, calloc, realloc, aligned_alloc and posix_memalign and
 * makes some calls fail, as jansson's and SQLite's suites do:
 *   FAILALLOC_NTH=N     only the Nth allocation fails (1 = the first);
 *   FAILALLOC_FROM=N    the Nth and every later one fail;
 *   FAILALLOC_EVERY=N   every Nth one fails (N, 2N, 3N, ...);
 *   FAILALLOC_COUNT=1   nothing fails; the number of allocations is printed
 *                       to standard error at exit ("failalloc: N").
 * glibc routes its own internal allocations through these symbols too
 * (strdup, fopen, ...), so every allocation of the process is counted.
 * A test tool, not part of the library: it may print.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long nth, from, every;
static int counting, ready;
static unsigned long calls;

static unsigned long env_num(const char *name)
{
    const char *v = getenv(name);
    return v ? strtoul(v, NULL, 10) : 0;
}

static void report(void)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "failalloc: %lu\n", calls);
    if (n > 0 && write(2, buf, (size_t)n) < 0) return;
}

__attribute__((constructor)) static void init(void)
{
    nth = env_num("FAILALLOC_NTH");
    from = env_num("FAILALLOC_FROM");
    every = env_num("FAILALLOC_EVERY");
    counting = getenv("FAILALLOC_COUNT") != NULL;
    if (counting) atexit(report);
    ready = 1;
}

/* Does this call fail? */
static int fail_now(void)
{
    if (!ready) return 0; /* before the constructor (the loader's own calls) */
    unsigned long k = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (counting) return 0;
    if (nth && k == nth) return 1;
    if (from && k >= from) return 1;
    if (every && k % every == 0) return 1;
    return 0;
}

void *malloc(size_t n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (n && fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t al, size_t n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_memalign(al, n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
    if (fail_now()) return ENOMEM;
    void *p = __libc_memalign(al, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
