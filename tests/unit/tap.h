/* tap.h - a minimal TAP harness for the unit tests (after cmark's). */
#ifndef VANBAN_TAP_H
#define VANBAN_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define OK(cond, ...)                                                                          \
    do {                                                                                       \
        int ok_ = (cond) ? 1 : 0;                                                              \
        tap_n++;                                                                               \
        if (!ok_) tap_failed++;                                                                \
        printf("%s %d - ", ok_ ? "ok" : "not ok", tap_n);                                      \
        printf(__VA_ARGS__);                                                                   \
        printf("\n");                                                                          \
        if (!ok_) printf("#   at %s:%d\n", __FILE__, __LINE__);                                \
    } while (0)

#define INT_EQ(got, want, ...)                                                                 \
    do {                                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);                               \
        OK(g_ == w_, __VA_ARGS__);                                                             \
        if (g_ != w_) printf("#   got %lld, want %lld\n", g_, w_);                              \
    } while (0)

#define STR_EQ(got, want, ...)                                                                 \
    do {                                                                                       \
        const char *g_ = (got), *w_ = (want);                                                  \
        int e_ = (g_ && w_) ? !strcmp(g_, w_) : g_ == w_;                                      \
        OK(e_, __VA_ARGS__);                                                                   \
        if (!e_) printf("#   got  \"%s\"\n#   want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)

static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
#endif
