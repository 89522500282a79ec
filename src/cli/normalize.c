/* normalize.c - "vanban normalize FILE|-": print the repaired text.
 *
 * Default: the input with every correction applied (vanban_result_write_text),
 * all other bytes as they were.  --log: the corrections as a JSON list.
 * --diff: each changed line, old ("-") and new ("+"), under "@@ line N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int put(obuf *o, const char *s, size_t n) { return obuf_write(s, n, o); }
static int puts0(obuf *o, const char *s) { return put(o, s, strlen(s)); }

static int json_str(obuf *o, const char *s)
{
    int rc = put(o, "\"", 1);
    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;
        char b[8];
        if (c == '"' || c == '\\') {
            b[0] = '\\';
            b[1] = (char)c;
            rc = put(o, b, 2);
        } else if (c < 0x20) {
            snprintf(b, sizeof b, "\\u%04x", c);
            rc = put(o, b, 6);
        } else {
            rc = put(o, s, 1);
        }
    }
    return rc || put(o, "\"", 1);
}

static int write_log(const vanban_result *r, obuf *o)
{
    size_t n = vanban_result_correction_count(r);
    int rc = puts0(o, "[");
    for (size_t i = 0; i < n && !rc; i++) {
        vanban_correction c;
        vanban_result_correction(r, i, &c);
        char b[128];
        snprintf(b, sizeof b, "%s\n  {\"span\": [%zu, %zu], \"from\": ", i ? "," : "", c.start,
                 c.end);
        rc = puts0(o, b) || json_str(o, c.from) || puts0(o, ", \"to\": ") || json_str(o, c.to) ||
             puts0(o, ", \"kind\": ") || json_str(o, c.kind);
        snprintf(b, sizeof b, ", \"confidence\": %.3g}", c.confidence);
        rc = rc || puts0(o, b);
    }
    return rc || puts0(o, n ? "\n]\n" : "]\n");
}

/* The original input is needed for --diff: read it back from the result's
   replay with no corrections is not possible, so keep our own copy. */
typedef struct {
    obuf text;
} capture;

static int write_diff(const vanban_result *r, const char *in, size_t inlen, obuf *o)
{
    size_t n = vanban_result_correction_count(r), i = 0;
    int rc = 0;
    while (i < n && !rc) {
        vanban_correction c;
        vanban_result_correction(r, i, &c);
        /* the lines touched by this correction and any that follow on them */
        size_t ls = c.start, le = c.end;
        while (ls > 0 && in[ls - 1] != '\n') ls--;
        size_t j = i;
        for (;;) {
            while (le < inlen && in[le] != '\n') le++;
            if (j + 1 < n) {
                vanban_correction d;
                vanban_result_correction(r, j + 1, &d);
                if (d.start <= le) {
                    j++;
                    if (d.end > le) le = d.end;
                    continue;
                }
            }
            break;
        }
        size_t line = 1;
        for (size_t k = 0; k < ls; k++) line += in[k] == '\n';
        char b[64];
        snprintf(b, sizeof b, "@@ line %zu\n", line);
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
            rc = put(&nw, in + at, d.start - at) || puts0(&nw, d.to);
            at = d.end;
        }
        if (!rc) rc = put(&nw, in + at, le - at);
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

static int write_input(const char *buf, size_t len, void *ud)
{
    capture *c = ud;
    return obuf_write(buf, len, &c->text);
}

int cmd_normalize(int argc, char **argv)
{
    cli_common c;
    cli_common_init(&c);
    int mode = 0; /* 0 text, 1 diff, 2 log */
    const char *path = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--diff")) mode = 1;
        else if (!strcmp(a, "--log")) mode = 2;
        else if (!strcmp(a, "--no-context")) c.opt.flags |= VANBAN_OPT_NO_CONTEXT;
        else if (!strncmp(a, "--tone-style=", 13)) {
            if (!strcmp(a + 13, "modern")) c.opt.tone_style = VANBAN_TONE_MODERN;
            else if (!strcmp(a + 13, "traditional")) c.opt.tone_style = VANBAN_TONE_TRADITIONAL;
            else if (!strcmp(a + 13, "keep")) c.opt.tone_style = VANBAN_TONE_KEEP;
            else {
                fprintf(stderr, "vanban: --tone-style must be modern, traditional or keep\n");
                return 2;
            }
        } else if (!strncmp(a, "--margin=", 9)) {
            char *e;
            double m = strtod(a + 9, &e);
            if (*e || !(m > 0) || m > 1000) {
                fprintf(stderr, "vanban: --margin needs a positive number\n");
                return 2;
            }
            c.opt.repair_margin = m;
        } else if (a[0] == '-' && strcmp(a, "-")) {
            int k = cli_common_option(&c, argc, argv, &i);
            if (k < 0) return 2;
            if (k == 0) {
                fprintf(stderr, "vanban: normalize: unknown option '%s' (see vanban --help)\n", a);
                return 2;
            }
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "vanban: normalize: one input only\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "vanban: normalize: no input file (see vanban --help)\n");
        return 2;
    }
    c.opt.flags |= VANBAN_OPT_TEXT_ONLY; /* no documents: only the text is printed */
    vanban_model *model;
    if (cli_load_model(&c, &model)) return 2;
    vanban_parser *p;
    int rc = vanban_parser_new(model, &c.opt, &p);
    if (rc) {
        fprintf(stderr, "vanban: %s\n", vanban_strerror(rc));
        vanban_model_free(model);
        return 2;
    }
    int ret = cli_feed_file(p, path, &c.fm, &rc);
    vanban_result *r = NULL;
    if (!ret && !rc) rc = vanban_parser_finish(p, &r);
    if (!ret && rc) ret = cli_report_finish(p, path, rc, &c.opt);
    obuf out = {0};
    if (r) {
        int w = 0;
        if (mode == 0) {
            w = vanban_result_write_text(r, obuf_write, &out);
        } else if (mode == 2) {
            w = write_log(r, &out);
        } else {
            /* the input itself: replay with the corrections' "from" texts */
            capture cap = {{0}};
            size_t n = vanban_result_correction_count(r), at = 0;
            obuf fixed = {0};
            w = vanban_result_write_text(r, obuf_write, &fixed);
            /* rebuild the original by undoing each correction in order */
            size_t fpos = 0;
            for (size_t i = 0; i < n && !w; i++) {
                vanban_correction d;
                vanban_result_correction(r, i, &d);
                size_t keep = d.start - at;
                w = write_input(fixed.p + fpos, keep, &cap) ||
                    write_input(d.from, strlen(d.from), &cap);
                fpos += keep + strlen(d.to);
                at = d.end;
            }
            if (!w) w = write_input(fixed.p + fpos, fixed.len - fpos, &cap);
            if (!w) w = write_diff(r, cap.text.p ? cap.text.p : "", cap.text.len, &out);
            free(fixed.p);
            free(cap.text.p);
        }
        if (w) {
            fprintf(stderr, "vanban: %s: %s\n", path, vanban_strerror(VANBAN_ENOMEM));
            ret = 2;
        }
        vanban_result_free(r);
    }
    vanban_parser_free(p);
    vanban_model_free(model);
    if (!ret) ret = cli_emit(c.outpath, out.p, out.len);
    free(out.p);
    return ret;
}
