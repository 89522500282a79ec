/* normalize.c - one physical line of input -> normalized lines with a byte map.
 *
 * For every line: decode UTF-8 (invalid bytes -> U+FFFD + warning), fold space
 * look-alikes, repair look-alike letters (U+00D0 -> Đ), NFC (utf8proc), split
 * flattened header columns (tabs, runs of 3+ spaces) into cells, strip the
 * markup OCR tools leave (**bold**, *italic*, # headings, backslash escapes)
 * while remembering it as flags, collapse white space, and fix a lower-case
 * word inside an upper-case line ("PHÓ Bí THƯ").  Every output byte keeps the
 * original byte range it came from (p->ms / p->me).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucasemap.h>
#include <utf8proc.h>

#include "private.h"

int vbi_add_warning(vanban_parser *p, const char *code, uint64_t offset, const char *fmt, ...)
{
    vanban_result *r = p->res;
    if (r->nwarnings >= p->opt.max_warnings) {
        r->dropped_warnings++;
        return 0;
    }
    if (r->nwarnings == p->wcap) {
        size_t cap = p->wcap ? p->wcap * 2 : 16;
        vbi_warning *w = realloc(r->warnings, cap * sizeof *w);
        if (!w) return VANBAN_ENOMEM;
        r->warnings = w;
        p->wcap = cap;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vbi_warning *w = &r->warnings[r->nwarnings];
    w->code = vbi_arena_strndup(&r->arena, code, strlen(code));
    w->message = vbi_arena_strndup(&r->arena, msg, strlen(msg));
    w->offset = offset;
    if (!w->code || !w->message) return VANBAN_ENOMEM;
    r->nwarnings++;
    return 0;
}

int vbi_add_correction(vanban_parser *p, vbi_span span, const char *from, size_t fromlen,
                       const char *to, size_t tolen, const char *kind, double conf)
{
    vanban_result *r = p->res;
    if (r->ncorrections == p->ccap) {
        size_t cap = p->ccap ? p->ccap * 2 : 16;
        vbi_correction *c = realloc(r->corrections, cap * sizeof *c);
        if (!c) return VANBAN_ENOMEM;
        r->corrections = c;
        p->ccap = cap;
    }
    vbi_correction *c = &r->corrections[r->ncorrections];
    c->span = span;
    c->from = vbi_arena_strndup(&r->arena, from, fromlen);
    c->to = vbi_arena_strndup(&r->arena, to, tolen);
    c->kind = kind;
    c->confidence = conf;
    if (!c->from || !c->to) return VANBAN_ENOMEM;
    r->ncorrections++;
    return 0;
}

static int grow_cp(vanban_parser *p, size_t n)
{
    if (n <= p->cpcap) return 0;
    size_t cap = p->cpcap ? p->cpcap : 256;
    while (cap < n) cap *= 2;
    int32_t *a = realloc(p->cp, cap * sizeof *a);
    if (!a) return VANBAN_ENOMEM;
    p->cp = a;
    uint32_t *b = realloc(p->cs, cap * sizeof *b);
    if (!b) return VANBAN_ENOMEM;
    p->cs = b;
    uint32_t *c = realloc(p->ce, cap * sizeof *c);
    if (!c) return VANBAN_ENOMEM;
    p->ce = c;
    p->cpcap = cap;
    return 0;
}

static int grow_cp2(vanban_parser *p, size_t n)
{
    if (n <= p->cp2cap) return 0;
    size_t cap = p->cp2cap ? p->cp2cap : 256;
    while (cap < n) cap *= 2;
    int32_t *a = realloc(p->cp2, cap * sizeof *a);
    if (!a) return VANBAN_ENOMEM;
    p->cp2 = a;
    uint32_t *b = realloc(p->cs2, cap * sizeof *b);
    if (!b) return VANBAN_ENOMEM;
    p->cs2 = b;
    uint32_t *c = realloc(p->ce2, cap * sizeof *c);
    if (!c) return VANBAN_ENOMEM;
    p->ce2 = c;
    p->cp2cap = cap;
    return 0;
}

static size_t enc(int32_t c, char *o)
{
    utf8proc_ssize_t n = utf8proc_encode_char(c, (utf8proc_uint8_t *)o);
    return n > 0 ? (size_t)n : 0;
}

static bool is_letter(int32_t c)
{
    if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
static bool is_upper(int32_t c)
{
    if (c < 0x80) return c >= 'A' && c <= 'Z';
    return utf8proc_category(c) == UTF8PROC_CATEGORY_LU;
}
static bool is_lower(int32_t c)
{
    if (c < 0x80) return c >= 'a' && c <= 'z';
    return utf8proc_category(c) == UTF8PROC_CATEGORY_LL;
}
static bool is_mark(int32_t c)
{
    if (c < 0x300) return false;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC || k == UTF8PROC_CATEGORY_ME;
}
static bool is_word(int32_t c) { return is_letter(c) || is_mark(c) || (c >= '0' && c <= '9'); }

/* Append code points [i, j) of cp2 to the text as one normalized line. */
static int emit_line(vanban_parser *p, size_t i, size_t j, uint32_t lstart, uint32_t lend,
                     uint16_t flags, uint8_t hlevel)
{
    size_t need = (j - i) * 4;
    if (vbi_buf_reserve(&p->text, need)) return VANBAN_ENOMEM;
    if (p->text.len + need > p->mcap) {
        size_t cap = p->mcap ? p->mcap : 4096;
        while (cap < p->text.len + need) cap *= 2;
        uint32_t *a = realloc(p->ms, cap * sizeof *a);
        if (!a) return VANBAN_ENOMEM;
        p->ms = a;
        uint32_t *b = realloc(p->me, cap * sizeof *b);
        if (!b) return VANBAN_ENOMEM;
        p->me = b;
        p->mcap = cap;
    }
    if (p->nlines == p->lcap) {
        size_t cap = p->lcap ? p->lcap * 2 : 256;
        vbi_line *l = realloc(p->lines, cap * sizeof *l);
        if (!l) return VANBAN_ENOMEM;
        p->lines = l;
        p->lcap = cap;
    }
    size_t off = p->text.len;
    int32_t first_letter = 0, last = 0;
    size_t letters = 0, uppers = 0;
    for (size_t k = i; k < j; k++) {
        int32_t c = p->cp2[k];
        size_t n = enc(c, p->text.p + p->text.len);
        for (size_t b = 0; b < n; b++) {
            p->ms[p->text.len + b] = p->cs2[k];
            p->me[p->text.len + b] = p->ce2[k];
        }
        p->text.len += n;
        if (is_letter(c)) {
            if (!first_letter) first_letter = c;
            letters++;
            if (!is_lower(c)) uppers++;
        }
        last = c;
    }
    vbi_line *l = &p->lines[p->nlines++];
    l->off = (uint32_t)off;
    l->len = (uint32_t)(p->text.len - off);
    l->ostart = lstart;
    l->oend = lend;
    l->nchars = (uint32_t)(j - i);
    l->hlevel = hlevel;
    if (l->len == 0) flags |= VBI_L_BLANK;
    if (letters >= 2 && uppers == letters) flags |= VBI_L_CAPS;
    if (first_letter && is_lower(first_letter)) flags |= VBI_L_LOWER;
    if (last == '.' || last == ':' || last == ';' || last == '!' || last == '?')
        flags |= VBI_L_PUNCT_END;
    l->flags = flags;
    return 0;
}

/* Upper-case a word inside an upper-case line, with ICU's Vietnamese case map. */
static int fix_case(vanban_parser *p, size_t i, size_t j)
{
    /* words: maximal runs of letters/marks */
    size_t caps_words = 0, mixed_words = 0, words = 0;
    for (size_t k = i; k < j;) {
        if (!is_letter(p->cp2[k])) {
            int32_t c = p->cp2[k];
            /* digits or list punctuation: not a title line ("Lưu: VT, KT") */
            if ((c >= '0' && c <= '9') || c == ':' || c == ',' || c == ';') return 0;
            k++;
            continue;
        }
        size_t s = k, lo = 0, up = 0;
        while (k < j && (is_letter(p->cp2[k]) || is_mark(p->cp2[k]))) {
            if (is_lower(p->cp2[k])) lo++;
            else if (is_upper(p->cp2[k])) up++;
            k++;
        }
        words++;
        if (!is_upper(p->cp2[s])) return 0; /* a word starting lower case: ordinary text */
        if (words == 1 && lo) return 0;      /* "Lưu VT": the first word sets the case */
        if (lo == 0 && up >= 2) caps_words++;
        else if (lo) mixed_words++;
    }
    if (caps_words < 2 || mixed_words == 0 || mixed_words * 2 > caps_words || words > 12) return 0;
    UCaseMap *cm = p->casemap;
    for (size_t k = i; k < j;) {
        if (!is_letter(p->cp2[k])) { k++; continue; }
        size_t s = k;
        bool lo = false;
        while (k < j && (is_letter(p->cp2[k]) || is_mark(p->cp2[k]))) {
            if (is_lower(p->cp2[k])) lo = true;
            k++;
        }
        if (!lo || k - s > 16) continue;
        char from[80], to[160];
        size_t fl = 0;
        for (size_t t = s; t < k; t++) fl += enc(p->cp2[t], from + fl);
        UErrorCode st = U_ZERO_ERROR;
        int32_t tl = ucasemap_utf8ToUpper(cm, to, (int32_t)sizeof to, from, (int32_t)fl, &st);
        if (U_FAILURE(st) || tl <= 0) continue;
        /* decode back; only when the number of code points is the same */
        int32_t cps[32];
        size_t nc = 0, q = 0;
        while (q < (size_t)tl && nc < 32) {
            size_t adv;
            cps[nc++] = vbi_utf8_decode(to + q, (size_t)tl - q, &adv);
            q += adv;
        }
        if (nc != k - s) continue;
        vbi_span sp = {p->cs2[s], p->ce2[k - 1]};
        int rc = vbi_add_correction(p, sp, from, fl, to, (size_t)tl, "case", 0.9);
        if (rc) return rc;
        for (size_t t = 0; t < nc; t++) p->cp2[s + t] = cps[t];
    }
    return 0;
}

/* Clean one cell: cp[i, j) -> cp2, strip markup, collapse spaces, emit. */
static int do_cell(vanban_parser *p, size_t i, size_t j, uint32_t lstart, uint32_t lend,
                   bool cont)
{
    while (i < j && p->cp[i] == ' ') i++;
    while (j > i && p->cp[j - 1] == ' ') j--;
    uint16_t flags = cont ? VBI_L_CELL : 0;
    uint8_t hlevel = 0;
    /* markdown heading */
    size_t h = i;
    while (h < j && p->cp[h] == '#' && h - i < 6) h++;
    if (h > i && h < j && p->cp[h] == ' ') {
        hlevel = (uint8_t)(h - i);
        flags |= VBI_L_HEADING;
        i = h + 1;
        while (i < j && p->cp[i] == ' ') i++;
    }
    /* whole-line emphasis */
    if (j - i >= 5 && p->cp[i] == '*' && p->cp[i + 1] == '*' && p->cp[j - 1] == '*' &&
        p->cp[j - 2] == '*')
        flags |= VBI_L_BOLD;
    else if (j - i >= 3 && p->cp[i] == '*' && p->cp[i + 1] != '*' && p->cp[i + 1] != ' ' &&
             p->cp[j - 1] == '*' && p->cp[j - 2] != '*' && p->cp[j - 2] != ' ')
        flags |= VBI_L_ITALIC;
    if (grow_cp2(p, j - i + 1)) return VANBAN_ENOMEM;
    size_t o = 0;
    bool lone_star = true;
    for (size_t k = i; k < j; k++)
        if (p->cp[k] != '*' && p->cp[k] != '\\' && p->cp[k] != ' ') lone_star = false;
    for (size_t k = i; k < j; k++) {
        int32_t c = p->cp[k];
        if (c == '\\' && k + 1 < j && p->cp[k + 1] < 0x80 && p->cp[k + 1] > ' ' &&
            !is_word(p->cp[k + 1])) {
            k++; /* escaped punctuation: keep it literally */
            c = p->cp[k];
        } else if (c == '*' && !lone_star) {
            if (k + 1 < j && p->cp[k + 1] == '*') { /* "**" (or longer) */
                while (k + 1 < j && p->cp[k + 1] == '*') k++;
                continue;
            }
            int32_t prev = k > i ? p->cp[k - 1] : ' ';
            int32_t next = k + 1 < j ? p->cp[k + 1] : ' ';
            if ((prev == ' ' || !is_word(prev)) != (next == ' ' || !is_word(next)) ||
                (prev != ' ' && next != ' ' && (is_word(prev) != is_word(next))))
                continue; /* emphasis marker next to a word */
            if (k == i || k + 1 == j) continue;
        } else if (c == '_' && (flags & (VBI_L_BOLD | VBI_L_ITALIC)) && (k == i || k + 1 == j)) {
            continue;
        }
        if (c == ' ' && (o == 0 || p->cp2[o - 1] == ' ')) continue;
        p->cp2[o] = c;
        p->cs2[o] = p->cs[k];
        p->ce2[o] = p->ce[k];
        o++;
    }
    while (o > 0 && p->cp2[o - 1] == ' ') o--;
    if (!(p->opt.flags & VANBAN_OPT_NO_REPAIR) && o >= 4) {
        int rc = fix_case(p, 0, o);
        if (rc) return rc;
    }
    return emit_line(p, 0, o, lstart, lend, flags, hlevel);
}

static bool needs_nfc_single(int32_t c)
{
    const utf8proc_property_t *pr = utf8proc_get_property(c);
    return pr->comp_exclusion || (pr->decomp_seqindex != UINT16_MAX && pr->decomp_type == 0 &&
                                  pr->combining_class == 0 && c >= 0x340 && c < 0x2100) ||
           c == 0x2126 || c == 0x212A || c == 0x212B;
}

/* NFC of cp[0, n) in place, cluster by cluster, keeping byte ranges. */
static int nfc(vanban_parser *p, size_t *np, size_t *changed)
{
    size_t n = *np, o = 0;
    vbi_buf u8 = {0};
    int32_t *dec = NULL;
    size_t deccap = 0;
    int rc = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && p->cp[j] >= 0x300 && utf8proc_get_property(p->cp[j])->combining_class)
            j++;
        if (j - i == 1 && (p->cp[i] < 0x300 || !needs_nfc_single(p->cp[i]))) {
            p->cp[o] = p->cp[i];
            p->cs[o] = p->cs[i];
            p->ce[o] = p->ce[i];
            o++;
            i = j;
            continue;
        }
        u8.len = 0;
        if (vbi_buf_reserve(&u8, (j - i) * 4)) { rc = VANBAN_ENOMEM; break; }
        for (size_t k = i; k < j; k++) u8.len += enc(p->cp[k], u8.p + u8.len);
        size_t want = (j - i) * 4 + 8;
        if (want > deccap) {
            int32_t *d = realloc(dec, want * sizeof *d);
            if (!d) { rc = VANBAN_ENOMEM; break; }
            dec = d;
            deccap = want;
        }
        utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        utf8proc_ssize_t dn = utf8proc_decompose((const utf8proc_uint8_t *)u8.p,
                                                 (utf8proc_ssize_t)u8.len, dec,
                                                 (utf8proc_ssize_t)deccap, opts);
        if (dn > 0 && (size_t)dn <= deccap)
            dn = utf8proc_normalize_utf32(dec, dn, opts);
        uint32_t s = p->cs[i], e = p->ce[j - 1];
        if (dn <= 0 || (size_t)dn > j - i) { /* keep as is */
            for (size_t k = i; k < j; k++, o++) {
                p->cp[o] = p->cp[k];
                p->cs[o] = p->cs[k];
                p->ce[o] = p->ce[k];
            }
        } else {
            bool same = (size_t)dn == j - i;
            for (size_t k = 0; same && k < (size_t)dn; k++) same = dec[k] == p->cp[i + k];
            if (!same) (*changed)++;
            for (size_t k = 0; k < (size_t)dn; k++, o++) {
                p->cp[o] = dec[k];
                p->cs[o] = s;
                p->ce[o] = e;
            }
        }
        i = j;
    }
    vbi_buf_free(&u8);
    free(dec);
    *np = o;
    return rc;
}

/* Input offset of byte `at` of the text being read: the same offset for UTF-8
   input, else looked up in the map of the converted text (encoding.c). */
static uint32_t orig_off(const vanban_parser *p, uint64_t at)
{
    return p->omap ? p->omap[at] : (uint32_t)at;
}

/* ---- fast path ------------------------------------------------------------
 * Most lines of real text are plain: valid UTF-8 made of ASCII without markup
 * characters and precomposed Latin or Vietnamese letters, single spaces, no
 * tabs or special spaces.  Such a line normalizes to itself (trimmed, double
 * spaces collapsed) with every byte mapped to its own character, so it is
 * copied in one pass.  Anything else takes the general path below, which
 * gives the same result on plain lines. */

/* Length of an allowed non-ASCII sequence at s (0 = not allowed). */
static size_t plain_seq(const unsigned char *s, size_t n)
{
    unsigned char a = s[0];
    if (a >= 0xC3 && a <= 0xC6) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        if ((a == 0xC3 && (s[1] == 0x90 || s[1] == 0xB0)) || (a == 0xC6 && s[1] == 0x89))
            return 0; /* Ð ð Ɖ: look-alikes of Đ đ */
        return 2;
    }
    if (a == 0xE1) {
        if (n < 3 || (s[1] != 0xBA && s[1] != 0xBB) || (s[2] & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (a == 0xE2) {
        if (n < 3 || s[1] != 0x80) return 0;
        switch (s[2]) {
        case 0x93: case 0x94: case 0x98: case 0x99: case 0x9C: case 0x9D: case 0xA6: return 3;
        default: return 0;
        }
    }
    return 0;
}

/* Letter class of a plain character: 0 not a letter, 1 lower, 2 upper. */
static int plain_letter(const unsigned char *s, size_t len)
{
    if (len == 1) {
        unsigned char c = s[0];
        return (c >= 'a' && c <= 'z') ? 1 : (c >= 'A' && c <= 'Z') ? 2 : 0;
    }
    if (len == 3 && s[0] == 0xE1) {
        int32_t cp = 0x1E00 | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        if (cp >= 0x1EA0 && cp <= 0x1EF9) return (cp & 1) ? 1 : 2; /* Vietnamese block */
    }
    size_t adv;
    int32_t cp = vbi_utf8_decode((const char *)s, len, &adv);
    return is_lower(cp) ? 1 : is_letter(cp) ? 2 : 0;
}

/* Returns 1 when the line was emitted, 0 when it needs the general path. */
static int fast_line(vanban_parser *p, const unsigned char *s, size_t n, uint64_t ostart, int *rc)
{
    *rc = 0;
    if (p->omap || (ostart == 0 && n >= 3 && s[0] == 0xEF)) return 0;
    size_t i = 0, e = n;
    while (i < e && s[i] == ' ') i++;
    while (e > i && s[e - 1] == ' ') e--;
    size_t letters = 0, uppers = 0, lowers = 0, spaces = 0, nchars = 0;
    int first = 0;
    bool listy = false; /* digits or list punctuation: the case fix cannot apply */
    unsigned char last = 0;
    for (size_t k = i; k < e;) {
        unsigned char c = s[k];
        size_t len = 1;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F || c == '*' || c == '#' || c == '\\' || c == '_' ||
                c == '|' || c == '<')
                return 0;
            if (c == ' ') {
                if (++spaces >= 3) return 0; /* a flattened column: cells */
            } else {
                spaces = 0;
            }
            if ((c >= '0' && c <= '9') || c == ':' || c == ',' || c == ';') listy = true;
        } else {
            len = plain_seq(s + k, e - k);
            if (!len) return 0;
            spaces = 0;
        }
        int cls = plain_letter(s + k, len);
        if (cls) {
            letters++;
            if (cls == 2) uppers++;
            else lowers++;
            if (!first) first = cls;
        }
        last = c;
        nchars++;
        k += len;
    }
    /* a line the case fix might change goes the general way */
    if (!listy && uppers >= 4 && lowers && !(p->opt.flags & VANBAN_OPT_NO_REPAIR)) return 0;
    size_t need = e - i;
    if (vbi_buf_reserve(&p->text, need)) return *rc = VANBAN_ENOMEM, 1;
    if (p->text.len + need > p->mcap) {
        size_t cap = p->mcap ? p->mcap : 4096;
        while (cap < p->text.len + need) cap *= 2;
        uint32_t *a = realloc(p->ms, cap * sizeof *a);
        if (!a) return *rc = VANBAN_ENOMEM, 1;
        p->ms = a;
        uint32_t *b = realloc(p->me, cap * sizeof *b);
        if (!b) return *rc = VANBAN_ENOMEM, 1;
        p->me = b;
        p->mcap = cap;
    }
    if (p->nlines == p->lcap) {
        size_t cap = p->lcap ? p->lcap * 2 : 256;
        vbi_line *l = realloc(p->lines, cap * sizeof *l);
        if (!l) return *rc = VANBAN_ENOMEM, 1;
        p->lines = l;
        p->lcap = cap;
    }
    size_t off = p->text.len;
    char *out = p->text.p;
    uint32_t *ms = p->ms, *me = p->me;
    size_t o = off;
    for (size_t k = i; k < e;) {
        unsigned char c = s[k];
        if (c == ' ' && s[k - 1] == ' ') { /* collapse a double space */
            k++;
            nchars--;
            continue;
        }
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;
        uint32_t cs = (uint32_t)(ostart + k), ce = cs + (uint32_t)len;
        for (size_t b = 0; b < len; b++) {
            out[o] = (char)s[k + b];
            ms[o] = cs;
            me[o] = ce;
            o++;
        }
        k += len;
    }
    p->text.len = o;
    vbi_line *l = &p->lines[p->nlines++];
    l->off = (uint32_t)off;
    l->len = (uint32_t)(o - off);
    l->ostart = (uint32_t)ostart;
    l->oend = (uint32_t)(ostart + n);
    l->nchars = (uint32_t)nchars;
    l->hlevel = 0;
    uint16_t flags = VBI_L_PLAIN;
    if (l->len == 0) flags |= VBI_L_BLANK;
    if (letters >= 2 && lowers == 0) flags |= VBI_L_CAPS;
    if (first == 1) flags |= VBI_L_LOWER;
    if (last == '.' || last == ':' || last == ';' || last == '!' || last == '?')
        flags |= VBI_L_PUNCT_END;
    l->flags = flags;
    return 1;
}

static int one_line(vanban_parser *p, const unsigned char *s, size_t n, uint64_t ostart)
{
#ifndef VBI_NO_FAST_PATH /* defined only to check that both paths agree */
    int frc;
    if (fast_line(p, s, n, ostart, &frc)) return frc;
#endif
    if (grow_cp(p, n + 1)) return VANBAN_ENOMEM;
    size_t m = 0;
    for (size_t k = 0; k < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t adv = utf8proc_iterate(s + k, (utf8proc_ssize_t)(n - k), &c);
        uint64_t at = ostart + k;
        if (adv <= 0) {
            int rc = vbi_add_warning(p, "invalid-utf8", orig_off(p, at),
                                     "invalid UTF-8 byte 0x%02X replaced by U+FFFD", s[k]);
            if (rc) return rc;
            c = 0xFFFD;
            adv = 1;
        }
        uint32_t cs = orig_off(p, at), ce = orig_off(p, at + (uint64_t)adv);
        const char *from = (const char *)s + k; /* this character, as UTF-8 */
        size_t fromlen = (size_t)adv;
        k += (size_t)adv;
        if (c == 0xFEFF && at == 0) continue; /* byte order mark */
        if (c == 0) continue;                 /* NUL: the input is reported as binary */
        if (c == '\t') {
            /* tab: cell separator, kept as such */
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0xA0 ||
                   (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
                   c == 0x3000 || c == 0x2028 || c == 0x2029) {
            c = ' ';
        } else if (c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060 || c == 0xFEFF ||
                   c == 0x00AD) {
            if (!(p->opt.flags & VANBAN_OPT_NO_REPAIR)) {
                vbi_span sp = {cs, ce};
                int rc = vbi_add_correction(p, sp, from, fromlen, "", 0, "unicode", 1.0);
                if (rc) return rc;
                continue;
            }
        } else if ((c == 0x00D0 || c == 0x0189 || c == 0x00F0) &&
                   !(p->opt.flags & VANBAN_OPT_NO_REPAIR)) {
            int32_t to = c == 0x00F0 ? 0x0111 : 0x0110;
            char tb[4];
            size_t tl = enc(to, tb);
            vbi_span sp = {cs, ce};
            int rc = vbi_add_correction(p, sp, from, fromlen, tb, tl, "unicode", 0.95);
            if (rc) return rc;
            c = to;
        }
        p->cp[m] = c;
        p->cs[m] = cs;
        p->ce[m] = ce;
        m++;
    }
    size_t changed = 0;
    int rc = nfc(p, &m, &changed);
    if (rc) return rc;
    if (changed && (p->opt.flags & VANBAN_OPT_NO_REPAIR) && !p->enc_decomposed) {
        /* with repair, NFC is a "unicode" correction; Windows-1258 writes
           tones apart by design, so composing them is no news */
        rc = vbi_add_warning(p, "nfc", orig_off(p, ostart),
                             "%zu decomposed character(s) composed to NFC on this line", changed);
        if (rc) return rc;
    }
    /* markdown tables and HTML line breaks left by converters: a row
       "| A<br>B | C |" is cells like a tab-separated line */
    size_t first = 0;
    while (first < m && p->cp[first] == ' ') first++;
    bool table = first < m && p->cp[first] == '|';
    size_t w = 0;
    for (size_t k = 0; k < m; k++) {
        int32_t c = p->cp[k];
        if (c == '|' && table) {
            c = '\t';
        } else if (c == '<' && k + 3 < m && (p->cp[k + 1] | 0x20) == 'b' &&
                   (p->cp[k + 2] | 0x20) == 'r') {
            size_t e = k + 3;
            while (e < m && (p->cp[e] == ' ' || p->cp[e] == '/')) e++;
            if (e < m && p->cp[e] == '>') {
                c = '\t';
                k = e;
            }
        }
        p->cp[w] = c;
        p->cs[w] = p->cs[k];
        p->ce[w] = p->ce[k];
        w++;
    }
    m = w;
    /* cells: split at tabs, or at runs of 3+ spaces in a short line */
    bool split_spaces = m <= 200;
    uint32_t lstart = orig_off(p, ostart), lend = orig_off(p, ostart + n);
    size_t start = 0, cells = 0;
    while (start < m && (p->cp[start] == ' ' || p->cp[start] == '\t')) start++;
    for (;;) {
        size_t e = start, next = m;
        while (e < m) {
            if (p->cp[e] == '\t' || (split_spaces && p->cp[e] == ' ')) {
                size_t r = e, sp = 0;
                bool tab = false;
                while (r < m && (p->cp[r] == ' ' || p->cp[r] == '\t')) {
                    if (p->cp[r] == '\t') tab = true;
                    sp++;
                    r++;
                }
                if (r < m && (tab || sp >= 3)) {
                    next = r;
                    break;
                }
                e = r;
                continue;
            }
            e++;
        }
        for (size_t t = start; t < e; t++)
            if (p->cp[t] == '\t') p->cp[t] = ' ';
        uint32_t cs = cells == 0 ? lstart : p->cs[start];
        uint32_t ce = next >= m ? lend : p->ce[e - 1];
        rc = do_cell(p, start, e, cs, ce, cells > 0);
        if (rc) return rc;
        cells++;
        if (next >= m) break;
        start = next;
    }
    return 0;
}

int vbi_normalize_line(vanban_parser *p, const unsigned char *s, size_t n, uint64_t ostart)
{
    if (n && s[n - 1] == '\r') n--;
    /* a lone CR also ends a line */
    size_t st = 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] == '\r') {
            int rc = one_line(p, s + st, k - st, ostart + st);
            if (rc) return rc;
            st = k + 1;
        }
    return one_line(p, s + st, n - st, ostart + st);
}

int vbi_is_lower_cp(int32_t c) { return is_lower(c); }
int vbi_is_letter_cp(int32_t c) { return is_letter(c); }
