/* normalize.c - "vanban normalize FILE|-": print the repaired text.
 *
 * Default: the input with every correction applied (vanban_result_write_text),
 * all other bytes as they were.  --log: the corrections as a JSON list.
 * --diff: each changed line, old ("-") and new ("+"), under "@@ line N".
 *
 * The input is read and repaired in windows so that memory does not grow
 * with it: a window ends at the first blank line at or after --window bytes
 * (else at the first line break there; a line longer than two windows is cut
 * after a space, see long_line_cut), each window gets its own parser
 * (its own evidence for the repair stage, see docs/repair.md), and its
 * output is written before the next window is read.  Where a window ends
 * depends on the bytes alone, never on how reads fall, so the output does
 * not either.  The encoding found in the first window is forced on the rest;
 * spans (--log) and line numbers (--diff) count from the start of the input.
 */
#if defined(__GLIBC__) || defined(__linux__)
#define _GNU_SOURCE /* mallopt */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"
#include "private.h" /* vanban_result: encoding found, input as UTF-8 and its offset map */


/* Output through a buffer of our own: vanban_result_write_text writes a
   piece per correction, and a stdio call per piece costs more than the
   piece. */
typedef struct {
    cli_out *o;
    size_t len;
    char buf[1 << 16];
} wbuf;

static int wflush(wbuf *w)
{
    int rc = w->len ? cli_out_write(w->buf, w->len, w->o) : 0;
    w->len = 0;
    return rc;
}

static int wwrite(const char *s, size_t n, void *ud) /* a vanban_write_fn */
{
    wbuf *w = ud;
    if (n > sizeof w->buf - w->len) {
        if (wflush(w)) return -1;
        if (n >= sizeof w->buf) return cli_out_write(s, n, w->o);
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return 0;
}

static int put(wbuf *o, const char *s, size_t n) { return wwrite(s, n, o); }
static int puts0(wbuf *o, const char *s) { return put(o, s, strlen(s)); }
static int bput(obuf *o, const char *s, size_t n) { return obuf_write(s, n, o); }

static int json_str(wbuf *o, const char *s)
{
    int rc = put(o, "\"", 1);
    while (*s && !rc) {
        size_t k = 0; /* a run needing no escape */
        while (s[k] && s[k] != '"' && s[k] != '\\' && (unsigned char)s[k] >= 0x20) k++;
        if (k) {
            rc = put(o, s, k);
            s += k;
            continue;
        }
        unsigned char c = (unsigned char)*s++;
        char b[8];
        if (c == '"' || c == '\\') {
            b[0] = '\\';
            b[1] = (char)c;
            rc = put(o, b, 2);
        } else {
            snprintf(b, sizeof b, "\\u%04x", c);
            rc = put(o, b, 6);
        }
    }
    return rc || put(o, "\"", 1);
}

/* The corrections of one window; *count counts them over all windows. */
static int write_log(const vanban_result *r, unsigned long long base, size_t *count, wbuf *o)
{
    size_t n = vanban_result_correction_count(r);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        vanban_correction c;
        vanban_result_correction(r, i, &c);
        char b[128];
        snprintf(b, sizeof b, "%s\n  {\"span\": [%llu, %llu], \"from\": ", *count ? "," : "",
                 base + c.start, base + c.end);
        (*count)++;
        rc = puts0(o, b) || json_str(o, c.from) || puts0(o, ", \"to\": ") || json_str(o, c.to) ||
             puts0(o, ", \"kind\": ") || json_str(o, c.kind);
        snprintf(b, sizeof b, ", \"confidence\": %.3g}", c.confidence);
        rc = rc || puts0(o, b);
    }
    return rc;
}

/* Offset in the result's UTF-8 text of input offset o (the input as read may
   be in another encoding: the map from the text to the input is monotonic). */
static size_t text_off(const vanban_result *r, size_t o)
{
    return r->imap ? vbi_map_lower_bound(r->imap, r->input_len, o) : o;
}

/* The changed lines of one window: its text as read (UTF-8) is the result's
   input; line numbers count from first_line, the number of its first line. */
static int write_diff(const vanban_result *r, unsigned long long first_line, wbuf *o)
{
    const char *in = r->input ? r->input : "";
    size_t inlen = r->input_len;
    size_t n = vanban_result_correction_count(r), i = 0;
    size_t counted = 0;                      /* line numbers: '\n' before `counted` */
    unsigned long long line_at = first_line; /* ... make the line at `counted` this one */
    int rc = 0;
    while (i < n && !rc) {
        vanban_correction c;
        vanban_result_correction(r, i, &c);
        /* the lines touched by this correction and any that follow on them */
        size_t ls = text_off(r, c.start), le = text_off(r, c.end);
        while (ls > 0 && in[ls - 1] != '\n') ls--;
        size_t j = i;
        for (;;) {
            while (le < inlen && in[le] != '\n') le++;
            if (j + 1 < n) {
                vanban_correction d;
                vanban_result_correction(r, j + 1, &d);
                if (text_off(r, d.start) <= le) {
                    j++;
                    size_t de = text_off(r, d.end);
                    if (de > le) le = de;
                    continue;
                }
            }
            break;
        }
        for (; counted < ls; counted++) line_at += in[counted] == '\n';
        char b[64];
        snprintf(b, sizeof b, "@@ line %llu\n", line_at);
        rc = puts0(o, b);
        /* old lines */
        for (size_t k = ls; k < le && !rc;) {
            size_t e = k;
            while (e < le && in[e] != '\n') e++;
            rc = puts0(o, "-") || put(o, in + k, e - k) || puts0(o, "\n");
            k = e + 1;
        }
        /* new text of the same range */
        obuf nw = {0};
        size_t at = ls;
        for (size_t q = i; q <= j && !rc; q++) {
            vanban_correction d;
            vanban_result_correction(r, q, &d);
            size_t ds = text_off(r, d.start);
            rc = bput(&nw, in + at, ds - at) || bput(&nw, d.to, strlen(d.to));
            at = text_off(r, d.end);
        }
        if (!rc) rc = bput(&nw, in + at, le - at);
        for (size_t k = 0; k < nw.len && !rc;) {
            size_t e = k;
            while (e < nw.len && nw.p[e] != '\n') e++;
            rc = puts0(o, "+") || put(o, nw.p + k, e - k) || puts0(o, "\n");
            k = e + 1;
        }
        free(nw.p);
        i = j + 1;
    }
    return rc;
}

/* Line breaks in the window's text. */
static unsigned long long count_lines(const vanban_result *r)
{
    unsigned long long k = 0;
    const char *s = r->input, *e = s ? s + r->input_len : s;
    for (; s && (s = memchr(s, '\n', (size_t)(e - s))) != NULL; s++) k++;
    return k;
}

/* ---- windows -------------------------------------------------------------- */

typedef struct {
    int fd;
    char *p;
    size_t len, cap; /* bytes not yet handed to a window */
    bool eof;
    unsigned long long total; /* bytes read so far */
} reader;

/* Read until at least want bytes are buffered or the input ends.  0 or -1
   (errno set). */
/* fill() failed: the buffer could not grow (out of memory), or read(2). */
static void read_failed(const char *path)
{
    if (errno == ENOMEM) fprintf(stderr, "vanban: %s: out of memory\n", path);
    else fprintf(stderr, "vanban: %s: read error: %s\n", path, strerror(errno));
}

static int fill(reader *rd, size_t want)
{
    while (!rd->eof && rd->len < want) {
        if (rd->cap - rd->len < ((size_t)1 << 20)) {
            size_t cap = rd->cap ? rd->cap : (size_t)4 << 20;
            while (cap - rd->len < ((size_t)1 << 20) || cap < want) cap *= 2;
            char *q = realloc(rd->p, cap);
            if (!q) {
                errno = ENOMEM;
                return -1;
            }
            rd->p = q;
            rd->cap = cap;
        }
        ssize_t k = read(rd->fd, rd->p + rd->len, rd->cap - rd->len);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) rd->eof = true;
        rd->len += (size_t)k;
        rd->total += (unsigned long long)k;
    }
    return 0;
}

/* Code units: 1 byte, or 2 for UTF-16 (le: little-endian). */
typedef struct {
    int unit;
    bool le;
} units;

static unsigned unit_at(const char *s, size_t i, units u)
{
    const unsigned char *b = (const unsigned char *)s + i;
    if (u.unit == 1) return b[0];
    return u.le ? (unsigned)b[0] | (unsigned)b[1] << 8 : (unsigned)b[0] << 8 | b[1];
}

/* End of the line break that starts at unit i of s[0, n), or 0 when there is
   none (LF, CR LF, or a CR alone; a CR at the end of what was read, with
   more to come, is not decided yet and counts as none). */
static size_t break_end(const char *s, size_t n, size_t i, units u, bool eof)
{
    unsigned c = unit_at(s, i, u);
    if (c == '\n') return i + (size_t)u.unit;
    if (c != '\r') return 0;
    size_t k = i + (size_t)u.unit;
    if (k + (size_t)u.unit > n) return eof ? k : 0;
    return unit_at(s, k, u) == '\n' ? k + (size_t)u.unit : k;
}

/* May a window start at q?  Not where the next window would begin with a
   byte order mark (the parser would take it for one). */
static bool may_start(const char *s, size_t n, size_t q, units u)
{
    if (u.unit == 2) return !(q + 2 <= n && unit_at(s, q, u) == 0xFEFF);
    return !(q + 3 <= n && !memcmp(s + q, "\xEF\xBB\xBF", 3));
}

#define NEED_MORE ((size_t)-1)

/* A line that runs past 2w (a file flattened to one line, a scanned table
   with no breaks) is cut too, so that a window never holds more than about
   2w: after the first run of spaces or tabs that ends in [w, 2w], else at
   the character boundary at 2w (UTF-8: not inside a sequence; UTF-16: not
   inside a surrogate pair).  Needs s[0, 2w + 4 units). */
static size_t long_line_cut(const char *s, size_t w, units u)
{
    size_t un = (size_t)u.unit, end = 2 * w;
    for (size_t i = w - w % un; i + un <= end; i += un) {
        unsigned c = unit_at(s, i, u);
        if (c != ' ' && c != '\t') continue;
        unsigned d = unit_at(s, i + un, u);
        if (d != ' ' && d != '\t') return i + un;
    }
    size_t k = end - end % un;
    if (un == 1)
        while (k > w && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    else if (unit_at(s, k, u) >= 0xDC00 && unit_at(s, k, u) <= 0xDFFF)
        k -= un;
    return k;
}

/* Where the window starting at s ends: after the first blank line that ends
   in [w, w + w/2], else after the first line break ending at or after w.
   Looks only at s[0, n); returns NEED_MORE when more input is needed.
   *from: where to look on after a NEED_MORE (no line break ends in
   [w, *from)), so that a long line is not searched again and again. */
static size_t find_cut(const char *s, size_t n, size_t w, units u, bool eof, size_t *from)
{
    size_t slack = w / 2 + 16;
    if (n <= w) return eof ? n : NEED_MORE;
    if (!eof && n < w + slack) return NEED_MORE;
    size_t lim = w + w / 2 < n ? w + w / 2 : n;
    size_t i = w > 32 ? w - 32 : 0; /* a line that ends just before w may start a blank one */
    if (*from > i) i = *from;
    i -= i % (size_t)u.unit;
    size_t last_end = (size_t)-1, first_cut = 0;
    while (i + (size_t)u.unit <= n) {
        size_t e = break_end(s, n, i, u, eof);
        if (!e) {
            i += (size_t)u.unit;
            if (i > lim && first_cut) break;
            continue;
        }
        if (e >= w && may_start(s, n, e, u)) {
            if (last_end == i && e <= lim) return e; /* an empty line ends here */
            if (!first_cut) first_cut = e;
        }
        last_end = e;
        i = e;
        if (i > lim && first_cut) break;
    }
    if (first_cut && first_cut <= 2 * w) return first_cut;
    if (n >= 2 * w + 4 * (size_t)u.unit) return long_line_cut(s, w, u); /* a line past 2w */
    if (eof) return first_cut ? first_cut : n;
    *from = n > 4 ? n - 4 : 0; /* a CR at the end may yet be followed by LF */
    return NEED_MORE;
}

static int feed_window(vanban_parser *p, const char *s, size_t n, const feedmode *fm,
                       unsigned long long *seed)
{
    size_t i = 0;
    int rc = 0;
    while (i < n && !rc) {
        size_t k = n - i;
        if (fm->random) {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            k = 1 + (size_t)(*seed % 64);
        } else if (fm->chunk) {
            k = fm->chunk;
        }
        if (k > n - i) k = n - i;
        rc = vanban_parser_feed(p, s + i, k);
        i += k;
    }
    return rc;
}

/* The names options.encoding accepts for what a result says it was read in. */
static const char *forceable(const char *enc)
{
    static const char *const names[] = {"utf-8", "utf-16le", "utf-16be", "windows-1258",
                                        "vni", "tcvn3", "viscii"};
    if (!enc) return "utf-8";
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(enc, names[i])) return names[i];
    return NULL; /* "utf-8-mojibake": each window is judged again */
}

int cmd_normalize(int argc, char **argv)
{
    cli_args A;
    int arc = cli_args_parse(&A, CLI_NORMALIZE, argc, argv, cli_usage, cli_usage_line);
    if (arc) return arc == 1 ? 0 : 2;
    cli_common c = A.c;
    int mode = A.mode; /* 0 text, 1 diff, 2 log */
    size_t window = A.window;
    if (A.nfiles > 1) {
        fprintf(stderr, "vanban: normalize: one input only\n");
        return 2;
    }
    const char *path = A.nfiles ? A.files[0] : NULL;
    if (!path) {
        fprintf(stderr, "vanban: normalize: no input file (see vanban --help)\n");
        return 2;
    }
    /* --max-bytes limits the whole input when given; memory is bounded by
       the window either way, and each window's parser keeps the limit */
    bool limit_total = A.max_bytes_set;
    c.opt.flags |= VANBAN_OPT_TEXT_ONLY; /* no documents: only the text is printed */
    if (c.opt.encoding && vbi_encoding_lookup(c.opt.encoding) < 0) {
        fprintf(stderr, "vanban: unknown encoding '%s'\n", c.opt.encoding);
        return 2;
    }
#ifdef __GLIBC__
    /* windows allocate and free the same buffers again and again: keep those
       below 32 MiB in the heap instead of mapping fresh (zeroed) pages each
       time; larger ones (the tokens of full repair) are mapped, so that the
       heap does not fragment as windows of different sizes come and go */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    reader rd = {0};
    rd.fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
    if (rd.fd < 0) {
        fprintf(stderr, "vanban: %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(rd.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "vanban: %s: is a directory\n", path);
        if (rd.fd) close(rd.fd);
        return 2;
    }
    if (limit_total && S_ISREG(st.st_mode) && (unsigned long long)st.st_size > c.opt.max_input_bytes) {
        fprintf(stderr, "vanban: %s: input too large (limit %zu bytes; see --max-bytes)\n", path,
                c.opt.max_input_bytes);
        if (rd.fd) close(rd.fd);
        return 1;
    }
    vanban_model *model;
    if (cli_load_model(&c, &model)) {
        if (rd.fd) close(rd.fd);
        return 2;
    }
    cli_out out;
    if (cli_out_open(&out, c.outpath)) {
        cli_model_free(model);
        if (rd.fd) close(rd.fd);
        return 2;
    }
    wbuf *wb = malloc(sizeof *wb);
    if (!wb) {
        fprintf(stderr, "vanban: out of memory\n");
        cli_out_close(&out, 0);
        cli_model_free(model);
        if (rd.fd) close(rd.fd);
        return 2;
    }
    wb->o = &out;
    wb->len = 0;
    vanban_options wopt = c.opt;
    unsigned long long base = 0, line = 1, seed = c.fm.seed ? c.fm.seed : 88172645463325252ULL;
    size_t logged = 0;
    units u = {1, false};
    int ret = 0;
    for (bool first = true; !ret; first = false) {
        if (fill(&rd, window + window / 2 + 64)) {
            read_failed(path);
            ret = 2;
            break;
        }
        if (first) { /* UTF-16 has its line breaks in 2-byte units */
            const unsigned char *b = (const unsigned char *)rd.p;
            const char *e = c.opt.encoding;
            if ((e && vbi_encoding_lookup(e) == vbi_encoding_lookup("utf-16le")) ||
                (!e && rd.len >= 2 && b[0] == 0xFF && b[1] == 0xFE))
                u = (units){2, true};
            else if ((e && vbi_encoding_lookup(e) == vbi_encoding_lookup("utf-16be")) ||
                     (!e && rd.len >= 2 && b[0] == 0xFE && b[1] == 0xFF))
                u = (units){2, false};
        } else if (rd.len == 0) {
            break; /* the input ended with the last window */
        }
        size_t cut, from = 0;
        size_t w = window - window % (size_t)u.unit;
        while ((cut = find_cut(rd.p, rd.len, w, u, rd.eof, &from)) == NEED_MORE) {
            /* no line break yet: a long line, read on (the window grows) */
            if (rd.len > wopt.max_input_bytes) { /* the parser refuses it: say so */
                cut = rd.len;
                break;
            }
            if (fill(&rd, rd.len + ((size_t)1 << 20))) {
                read_failed(path);
                ret = 2;
                break;
            }
        }
        if (ret) break;
        if (limit_total && rd.total > c.opt.max_input_bytes) {
            fprintf(stderr, "vanban: %s: input too large (limit %zu bytes; see --max-bytes)\n",
                    path, c.opt.max_input_bytes);
            ret = 1;
            break;
        }
        vanban_parser *p;
        int rc = vanban_parser_new(model, &wopt, &p);
        if (rc) {
            fprintf(stderr, "vanban: %s\n", vanban_strerror(rc));
            ret = 2;
            break;
        }
        vanban_result *r = NULL;
        rc = feed_window(p, rd.p, cut, &c.fm, &seed);
        if (!rc) rc = vanban_parser_finish(p, &r);
        if (rc) {
            if (rc == VANBAN_ENOTTEXT)
                fprintf(stderr, "vanban: %s: not text (NUL byte at offset %llu)\n", path,
                        base + vanban_parser_error_offset(p));
            else
                ret = cli_report_finish(p, path, rc, &wopt);
            if (rc == VANBAN_ENOTTEXT) ret = 1;
            vanban_parser_free(p);
            break;
        }
        if (first) { /* the rest is read as the first window was */
            const char *enc = forceable(r->encoding);
            if (enc) wopt.encoding = enc;
        }
        int w2 = first && mode == 2 ? puts0(wb, "[") : 0; /* nothing before a usable window */
        if (!w2 && mode == 0) w2 = vanban_result_write_text(r, wwrite, wb);
        else if (!w2 && mode == 2) w2 = write_log(r, base, &logged, wb);
        else if (!w2) w2 = write_diff(r, line, wb);
        if (mode == 1) line += count_lines(r);
        vanban_result_free(r);
        vanban_parser_free(p);
        if (w2) {
            ret = 2; /* a write error is reported by cli_out_close */
            if (!out.failed) fprintf(stderr, "vanban: %s: %s\n", path, vanban_strerror(VANBAN_ENOMEM));
            break;
        }
        base += cut;
        memmove(rd.p, rd.p + cut, rd.len - cut);
        rd.len -= cut;
        if (rd.eof && rd.len == 0) break;
    }
    if (!ret && mode == 2 && puts0(wb, logged ? "\n]\n" : "]\n")) ret = 2;
    if (wflush(wb) && !ret) ret = 2; /* reported by cli_out_close */
    free(wb);
    if (rd.fd) close(rd.fd);
    free(rd.p);
    cli_model_free(model);
    int e = cli_out_close(&out, ret == 0);
    return ret ? ret : e;
}
