/* test_normalize.c - the normalize stage: NFC, markup, cells, case fix, maps. */
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "tap.h"
/* under valgrind the tests run without JIT (see .ci/run) */
static unsigned test_flags(void) { return getenv("VANBAN_TEST_NO_JIT") ? VANBAN_OPT_NO_JIT : 0; }

static vanban_model *M;

/* Parse text and keep the parser so its lines can be inspected. */
static vanban_parser *run(const char *text, size_t n)
{
    vanban_parser *p;
    vanban_options opt;
    vanban_options_init(&opt);
    opt.flags |= test_flags();
    if (vanban_parser_new(M, &opt, &p)) return NULL;
    vanban_parser_feed(p, text, n);
    vanban_result *r = NULL;
    vanban_parser_finish(p, &r);
    /* the result owns the corrections: keep it alive on the parser for checks */
    p->res = r;
    return p;
}

static const char *line_text(vanban_parser *p, size_t i, char *buf, size_t cap)
{
    if (i >= p->nlines) return "(no line)";
    size_t n = p->lines[i].len < cap - 1 ? p->lines[i].len : cap - 1;
    memcpy(buf, p->text.p + p->lines[i].off, n);
    buf[n] = 0;
    return buf;
}

int main(void)
{
    vanban_error err;
    if (vanban_model_load(NULL, &M, &err)) {
        printf("Bail out! %s\n", err.text);
        return 1;
    }
    char b[256];

    /* NFD -> NFC: with repair one "unicode" correction per word, and the
       word's bytes map to the decomposed original word */
    const char nfd[] = "Tie\xcc\x82\xcc\x81ng Vie\xcc\xa3\xcc\x82t";
    vanban_parser *p = run(nfd, sizeof nfd - 1);
    STR_EQ(line_text(p, 0, b, sizeof b), "Tiếng Việt", "NFD composed to NFC");
    INT_EQ(p->ms[2], 0, "composed word maps to its original start");
    INT_EQ(p->me[2], 9, "and to its original end");
    INT_EQ(p->res->ncorrections, 2, "one correction per changed word");
    STR_EQ(p->res->corrections[0].to, "Tiếng", "correction to NFC");
    STR_EQ(p->res->corrections[0].kind, "unicode", "kind unicode");
    vanban_parser_free(p);
    /* without repair, NFC still happens and maps each letter to its cluster */
    {
        vanban_options o;
        vanban_options_init(&o);
        o.flags = VANBAN_OPT_NO_REPAIR | test_flags();
        vanban_parser_new(M, &o, &p);
        vanban_parser_feed(p, nfd, sizeof nfd - 1);
        vanban_result *rr = NULL;
        vanban_parser_finish(p, &rr);
        p->res = rr;
        STR_EQ(line_text(p, 0, b, sizeof b), "Tiếng Việt", "no repair: NFC all the same");
        INT_EQ(p->ms[2], 2, "composed letter starts at its base letter");
        INT_EQ(p->me[2], 7, "and ends after its last mark");
        vanban_parser_free(p);
    }

    /* markup stripped, remembered as flags, map skips it */
    const char bold[] = "**T/M BAN THƯỜNG VỤ**";
    p = run(bold, sizeof bold - 1);
    STR_EQ(line_text(p, 0, b, sizeof b), "T/M BAN THƯỜNG VỤ", "bold markers removed");
    OK(p->lines[0].flags & VBI_L_BOLD, "whole-line bold flagged");
    INT_EQ(p->ms[0], 2, "first letter maps past the markers");
    vanban_parser_free(p);

    const char head[] = "## 1.2. Về trụ cột\n\\*\n*Định hướng cụ thể:*\n";
    p = run(head, sizeof head - 1);
    STR_EQ(line_text(p, 0, b, sizeof b), "1.2. Về trụ cột", "heading marker removed");
    INT_EQ(p->lines[0].hlevel, 2, "heading level kept");
    STR_EQ(line_text(p, 1, b, sizeof b), "*", "escaped asterisk kept literally");
    STR_EQ(line_text(p, 2, b, sizeof b), "Định hướng cụ thể:", "italic markers removed");
    OK(p->lines[2].flags & VBI_L_ITALIC, "whole-line italic flagged");
    vanban_parser_free(p);

    /* flattened columns become cells; NBSP and tabs are spaces */
    const char cells[] = "SỞ NỘI VỤ\tĐộc lập - Tự do - Hạnh phúc\n\xc2\xa0\xc2\xa0- Các huyện ủy.";
    p = run(cells, sizeof cells - 1);
    INT_EQ(p->nlines, 3, "tab splits a line into cells");
    STR_EQ(line_text(p, 1, b, sizeof b), "Độc lập - Tự do - Hạnh phúc", "second cell");
    OK(p->lines[1].flags & VBI_L_CELL, "second cell flagged");
    STR_EQ(line_text(p, 2, b, sizeof b), "- Các huyện ủy.", "NBSP indentation removed");
    vanban_parser_free(p);

    /* case fix inside an upper-case line, recorded; list lines left alone */
    const char cf[] = "PHÓ Bí THƯ\n- Lưu: VT, TgNc.\nSố 01-HD/BĐNTW\n";
    p = run(cf, sizeof cf - 1);
    STR_EQ(line_text(p, 0, b, sizeof b), "PHÓ BÍ THƯ", "lower-case word in a caps line fixed");
    STR_EQ(line_text(p, 1, b, sizeof b), "- Lưu: VT, TgNc.", "abbreviations untouched");
    STR_EQ(line_text(p, 2, b, sizeof b), "Số 01-HD/BĐNTW", "number line untouched");
    INT_EQ(p->res->ncorrections, 1, "one correction");
    STR_EQ(p->res->corrections[0].from, "Bí", "correction from");
    STR_EQ(p->res->corrections[0].to, "BÍ", "correction to");
    INT_EQ(p->res->corrections[0].span.s, 5, "correction span start");
    INT_EQ(p->res->corrections[0].span.e, 8, "correction span end");
    vanban_parser_free(p);

    /* look-alike Ð (U+00D0) -> Đ; zero-width space dropped; both recorded */
    const char la[] = "\xc3\x90\xe1\xba\xa2NG C\xe2\x80\x8bỘNG";
    p = run(la, sizeof la - 1);
    STR_EQ(line_text(p, 0, b, sizeof b), "ĐẢNG CỘNG", "look-alike and zero-width repaired");
    INT_EQ(p->res->ncorrections, 2, "two corrections");
    vanban_parser_free(p);

    /* BOM, CRLF and lone CR */
    const char crlf[] = "\xef\xbb\xbfMột\r\nHai\rBa\n";
    p = run(crlf, sizeof crlf - 1);
    INT_EQ(p->nlines, 3, "CRLF and lone CR end lines");
    STR_EQ(line_text(p, 0, b, sizeof b), "Một", "BOM dropped");
    INT_EQ(p->ms[0], 3, "offsets count the BOM");
    STR_EQ(line_text(p, 2, b, sizeof b), "Ba", "line after lone CR");
    vanban_parser_free(p);

    /* --no-repair keeps the text */
    vanban_options opt;
    vanban_options_init(&opt);
    opt.flags = VANBAN_OPT_NO_REPAIR | test_flags();
    vanban_parser_new(M, &opt, &p);
    vanban_parser_feed(p, cf, sizeof cf - 1);
    vanban_result *r = NULL;
    vanban_parser_finish(p, &r);
    p->res = r;
    STR_EQ(line_text(p, 0, b, sizeof b), "PHÓ Bí THƯ", "no repair: text kept");
    INT_EQ(r->ncorrections, 0, "no repair: no corrections");
    vanban_parser_free(p);

    vanban_model_free(M);
    return tap_done();
}
