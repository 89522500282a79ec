/* faultshim.c - make a batch worker process crash or hang (LD_PRELOAD).
 *
 * Interposes read(): when a process forked from the one that loaded the
 * shim (a batch worker) reads bytes that contain "VANBAN-TEST-CRASH", it
 * dies of SIGSEGV; "VANBAN-TEST-HANG", it sleeps for ever.  The process that
 * loaded the shim is never touched, so the batch itself must survive.  Used
 * by tests/batch/test_isolate.py; a test tool, not part of vanban.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static pid_t first;

__attribute__((constructor)) static void init(void) { first = getpid(); }

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*real)(int, void *, size_t);
    if (!real) real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    ssize_t k = real(fd, buf, n);
    if (k > 0 && getpid() != first) {
        if (memmem(buf, (size_t)k, "VANBAN-TEST-CRASH", 17)) raise(SIGSEGV);
        if (memmem(buf, (size_t)k, "VANBAN-TEST-HANG", 16))
            for (;;) pause();
    }
    return k;
}
