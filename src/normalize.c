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

/* A copy of s[0..n) in the arena with each byte that is not UTF-8 written
   as U+FFFD: a correction's "from" is the input's own bytes, which may be
   damaged (JSON and the C API promise UTF-8 strings). */
static char *dup_utf8(vbi_arena *a, const char *s, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) bad++, k = 1;
        i += (size_t)k;
    }
    if (!bad) return vbi_arena_strndup(a, s, n);
    char *o = vbi_arena_alloc(a, n + 2 * bad + 1);
    if (!o) return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) {
            memcpy(o + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        } else {
            memcpy(o + w, s + i, (size_t)k);
            w += (size_t)k;
            i += (size_t)k;
        }
    }
    o[w] = 0;
    return o;
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
    c->from = dup_utf8(&r->arena, from, fromlen);
    c->to = dup_utf8(&r->arena, to, tolen);
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

/* UTF-8 of c (as utf8proc_encode_char), inline: it runs for every character. */
static inline size_t enc(int32_t c, char *o)
{
    if (c >= 0 && c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c >= 0x80 && c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c >= 0x800 && c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    utf8proc_ssize_t n = utf8proc_encode_char(c, (utf8proc_uint8_t *)o);
    return n > 0 ? (size_t)n : 0;
}

/* Letter classes of U+00C0..U+024F, from utf8proc's general categories: 0
   not a letter, 1 Ll, 2 Lu, 3 another letter (Lt, Lm, Lo).  test_normalize
   checks the classes against utf8proc for every code point. */
static const char latin_class[] =
    "2222222222222222222222202222222111111111111111111111111011111111"
    "2121212121212121212121212121212121212121212121212121212112121212"
    "1212121211212121212121212121212121212121212121212121212122121211"
    "1221212212221122221221222111221221212122121121221222121221132111"
    "3333231231231212121212121212112121212121212121211231212221212121"
    "2121212121212121212121212121212121212121212121212121111111221221"
    "1212222121212121";

/* 0 not a letter, 1 lower case (Ll), 2 upper case (Lu), 3 other letter:
   the scripts of Vietnamese text answered inline, the rest by utf8proc. */
static inline int letter_class(int32_t c)
{
    if (c < 0x80) return c >= 'a' && c <= 'z' ? 1 : c >= 'A' && c <= 'Z' ? 2 : 0;
    if (c >= 0xC0 && c < 0x250) return latin_class[c - 0xC0] - '0';
    if (c >= 0x1EA0 && c <= 0x1EF9) return (c & 1) ? 1 : 2; /* Vietnamese letters */
    utf8proc_category_t k = utf8proc_category(c);
    if (k == UTF8PROC_CATEGORY_LL) return 1;
    if (k == UTF8PROC_CATEGORY_LU) return 2;
    return k >= UTF8PROC_CATEGORY_LT && k <= UTF8PROC_CATEGORY_LO ? 3 : 0;
}

static inline bool is_letter(int32_t c) { return letter_class(c) != 0; }
static inline bool is_upper(int32_t c) { return letter_class(c) == 2; }
static inline bool is_lower(int32_t c) { return letter_class(c) == 1; }
static inline bool is_mark(int32_t c)
{
    if (c < 0x300) return false;
    if (c < 0x370) return true; /* combining diacritical marks: all Mn */
    if (c >= 0x1E00 && c < 0x1F00) return false;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC || k == UTF8PROC_CATEGORY_ME;
}
static bool is_word(int32_t c) { return is_letter(c) || is_mark(c) || (c >= '0' && c <= '9'); }

/* Room for need more map entries: *base gets where they go.  A text-only
   result keeps the map entries of the lines that have them one after the
   other (VBI_L_CMAP, from vbi_line.moff): most lines have none there (see
   fast_line), and memory is kept by the others only. */
static int map_room(vanban_parser *p, size_t need, size_t *base)
{
    *base = (p->opt.flags & VANBAN_OPT_TEXT_ONLY) ? p->mlen : p->text.len;
    /* never NULL, even for an empty line: p->ms + base must be a pointer */
    if (!p->ms || *base + need > p->mcap) {
        size_t cap = p->mcap ? p->mcap : 4096;
        while (cap < *base + need) cap *= 2;
        uint32_t *a = realloc(p->ms, cap * sizeof *a);
        if (!a) return VANBAN_ENOMEM;
        p->ms = a;
        uint32_t *b = realloc(p->me, cap * sizeof *b);
        if (!b) return VANBAN_ENOMEM;
        p->me = b;
        p->mcap = cap;
    }
    return 0;
}

/* The line l has its map entries from base (map_room): keep them. */
static uint16_t map_done(vanban_parser *p, vbi_line *l, size_t base)
{
    l->moff = (uint32_t)base;
    if (!(p->opt.flags & VANBAN_OPT_TEXT_ONLY)) return 0;
    p->mlen = base + l->len;
    return VBI_L_CMAP;
}

/* Room for need more bytes of text (and their map entries from *base when
   maps, see map_room) and one more line. */
static int reserve_line(vanban_parser *p, size_t need, bool maps, size_t *base)
{
    if (vbi_buf_reserve(&p->text, need)) return VANBAN_ENOMEM;
    if (maps && map_room(p, need, base)) return VANBAN_ENOMEM;
    if (p->nlines == p->lcap) {
        size_t cap = p->lcap ? p->lcap * 2 : 256;
        vbi_line *l = realloc(p->lines, cap * sizeof *l);
        if (!l) return VANBAN_ENOMEM;
        p->lines = l;
        p->lcap = cap;
    }
    return 0;
}

/* The flags a line's shape gives: blank, all capitals (two letters or
   more, none in lower case), starting with a lower-case letter (first: the
   letter class of its first letter), ending in sentence punctuation. */
static uint16_t shape_flags(size_t len, size_t uppers, size_t lowers, int first, int32_t last)
{
    uint16_t f = 0;
    if (len == 0) f |= VBI_L_BLANK;
    if (uppers + lowers >= 2 && lowers == 0) f |= VBI_L_CAPS;
    if (first == 1) f |= VBI_L_LOWER;
    if (last == '.' || last == ':' || last == ';' || last == '!' || last == '?')
        f |= VBI_L_PUNCT_END;
    return f;
}

/* Append code points [i, j) of cp2 to the text as one normalized line. */
static int emit_line(vanban_parser *p, size_t i, size_t j, uint32_t lstart, uint32_t lend,
                     uint16_t flags, uint8_t hlevel)
{
    size_t need = (j - i) * 4, base;
    if (reserve_line(p, need, true, &base)) return VANBAN_ENOMEM;
    size_t off = p->text.len, t = off;
    char *out = p->text.p;
    uint32_t *ms = p->ms + base, *me = p->me + base; /* map entry of text byte t: [t - off] */
    const int32_t *cp = p->cp2;
    const uint32_t *cs = p->cs2, *ce = p->ce2;
    int32_t last = 0;
    int first = 0; /* letter class of the first letter */
    size_t letters = 0, uppers = 0;
    for (size_t k = i; k < j; k++) {
        int32_t c = cp[k];
        size_t n = 1;
        if (c >= 0 && c < 0x80) {
            out[t] = (char)c;
            ms[t - off] = cs[k];
            me[t - off] = ce[k];
        } else {
            n = enc(c, out + t);
            for (size_t b = 0; b < n; b++) {
                ms[t - off + b] = cs[k];
                me[t - off + b] = ce[k];
            }
        }
        t += n;
        int lc = letter_class(c);
        if (lc) {
            if (!first) first = lc;
            letters++;
            uppers += lc != 1;
        }
        last = c;
    }
    p->text.len = t;
    vbi_line *l = &p->lines[p->nlines++];
    l->off = (uint32_t)off;
    l->len = (uint32_t)(t - off);
    flags |= map_done(p, l, base);
    l->ostart = lstart;
    l->oend = lend;
    l->nchars = (uint32_t)(j - i);
    l->hlevel = hlevel;
    l->flags = flags | shape_flags(l->len, uppers, letters - uppers, first, last);
    return 0;
}

/* Upper-case a word inside an upper-case line, with ICU's Vietnamese case map. */
static int fix_case(vanban_parser *p, size_t i, size_t j)
{
    /* words: maximal runs of letters/marks */
    size_t caps_words = 0, mixed_words = 0, words = 0;
    bool caps_after_mixed = false; /* a word in capitals after a mixed-case one */
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
        if (lo == 0 && up >= 2) {
            caps_words++;
            caps_after_mixed |= mixed_words > 0;
        } else if (lo) {
            mixed_words++;
        }
    }
    if (caps_words < 2 || mixed_words == 0 || mixed_words * 2 > caps_words || words > 12) return 0;
    /* "KT. THỦ TƯỚNG PHÓ THỦ TƯỚNG Nguyễn Sinh Hùng": words in title case
       that end the line are a signer's name, not a damaged post */
    if (mixed_words >= 2 && !caps_after_mixed) return 0;
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
    if (grow_cp2(p, j - i + 1)) return VANBAN_ENOMEM;
    const int32_t *cp = p->cp;
    const uint32_t *cs = p->cs, *ce = p->ce;
    int32_t *cp2 = p->cp2;
    uint32_t *cs2 = p->cs2, *ce2 = p->ce2;
    while (i < j && cp[i] == ' ') i++;
    while (j > i && cp[j - 1] == ' ') j--;
    uint16_t flags = cont ? VBI_L_CELL : 0;
    uint8_t hlevel = 0;
    /* markdown heading */
    size_t h = i;
    while (h < j && cp[h] == '#' && h - i < 6) h++;
    if (h > i && h < j && cp[h] == ' ') {
        hlevel = (uint8_t)(h - i);
        flags |= VBI_L_HEADING;
        i = h + 1;
        while (i < j && cp[i] == ' ') i++;
    }
    /* whole-line emphasis */
    if (j - i >= 5 && cp[i] == '*' && cp[i + 1] == '*' && cp[j - 1] == '*' && cp[j - 2] == '*')
        flags |= VBI_L_BOLD;
    else if (j - i >= 3 && cp[i] == '*' && cp[i + 1] != '*' && cp[i + 1] != ' ' &&
             cp[j - 1] == '*' && cp[j - 2] != '*' && cp[j - 2] != ' ')
        flags |= VBI_L_ITALIC;
    else if (j - i >= 3 && cp[i] == '_' && cp[i + 1] != '_' && cp[i + 1] != ' ' &&
             cp[j - 1] == '_' && cp[j - 2] != '_' && cp[j - 2] != ' ' && is_word(cp[i + 1]))
        flags |= VBI_L_ITALIC; /* "_Nguyễn Văn A_": emphasis written with underscores */
    size_t o = 0;
    int lone_star = -1; /* only stars, backslashes and spaces: found at the first star */
    for (size_t k = i; k < j; k++) {
        int32_t c = cp[k];
        if (c == '*' && lone_star < 0) {
            lone_star = 1;
            for (size_t q = i; q < j && lone_star; q++)
                if (cp[q] != '*' && cp[q] != '\\' && cp[q] != ' ') lone_star = 0;
        }
        if (c == '\\' && k + 1 < j && cp[k + 1] < 0x80 && cp[k + 1] > ' ' && !is_word(cp[k + 1])) {
            k++; /* escaped punctuation: keep it literally */
            c = cp[k];
        } else if (c == '*' && !lone_star) {
            if (k + 1 < j && cp[k + 1] == '*') { /* "**" (or longer) */
                while (k + 1 < j && cp[k + 1] == '*') k++;
                continue;
            }
            int32_t prev = k > i ? cp[k - 1] : ' ';
            int32_t next = k + 1 < j ? cp[k + 1] : ' ';
            if ((prev == ' ' || !is_word(prev)) != (next == ' ' || !is_word(next)) ||
                (prev != ' ' && next != ' ' && (is_word(prev) != is_word(next))))
                continue; /* emphasis marker next to a word */
            if (k == i || k + 1 == j) continue;
        } else if (c == '_' && (flags & (VBI_L_BOLD | VBI_L_ITALIC)) && (k == i || k + 1 == j)) {
            continue;
        }
        if (c == ' ' && (o == 0 || cp2[o - 1] == ' ')) continue;
        cp2[o] = c;
        cs2[o] = cs[k];
        ce2[o] = ce[k];
        o++;
    }
    while (o > 0 && cp2[o - 1] == ' ') o--;
    if (!(p->opt.flags & VANBAN_OPT_NO_REPAIR) && o >= 4) {
        int rc = fix_case(p, 0, o);
        if (rc) return rc;
    }
    return emit_line(p, 0, o, lstart, lend, flags, hlevel);
}

/* Canonical combining class, inline for the letters of Vietnamese text. */
static inline int ccc(int32_t c)
{
    if (c < 0x300 || (c >= 0x1E00 && c < 0x1F00)) return 0; /* checked: all 0 */
    return utf8proc_get_property(c)->combining_class;
}

static bool needs_nfc_single(int32_t c)
{
    /* U+1E00..U+1EFF (Vietnamese letters among them) are all NFC alone */
    if (c >= 0x1E00 && c < 0x1F00) return false;
    const utf8proc_property_t *pr = utf8proc_get_property(c);
    return pr->comp_exclusion || (pr->decomp_seqindex != UINT16_MAX && pr->decomp_type == 0 &&
                                  pr->combining_class == 0 && c >= 0x340 && c < 0x2100) ||
           c == 0x2126 || c == 0x212A || c == 0x212B;
}

/* The NFC of clusters of up to three code points (a letter and its marks,
   as decomposed Vietnamese writes them), kept per parser: utf8proc is asked
   once per distinct cluster. */
#define NFC_SLOTS 1024
struct vbi_nfc_cache {
    struct {
        int32_t in[3], out[3];
        int8_t nin, nout; /* nin 0: empty; nout: utf8proc's result (<= 0: keep) */
    } e[NFC_SLOTS];
};

void vbi_nfc_cache_free(struct vbi_nfc_cache *c) { free(c); }

/* NFC of cp[0, n) in place, cluster by cluster, keeping byte ranges. */
static int nfc(vanban_parser *p, size_t *np, size_t *changed)
{
    if (!p->nfcc && !(p->nfcc = calloc(1, sizeof *p->nfcc))) return VANBAN_ENOMEM;
    size_t n = *np, o = 0;
    vbi_buf u8 = {0};
    int32_t *dec = NULL;
    size_t deccap = 0;
    int rc = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && ccc(p->cp[j])) j++;
        if (j - i == 1 && (p->cp[i] < 0x300 || !needs_nfc_single(p->cp[i]))) {
            p->cp[o] = p->cp[i];
            p->cs[o] = p->cs[i];
            p->ce[o] = p->ce[i];
            o++;
            i = j;
            continue;
        }
        size_t want = (j - i) * 4 + 8;
        if (want > deccap) {
            int32_t *d = realloc(dec, want * sizeof *d);
            if (!d) { rc = VANBAN_ENOMEM; break; }
            dec = d;
            deccap = want;
        }
        utf8proc_ssize_t dn;
        size_t slot = NFC_SLOTS;
        if (j - i <= 3) { /* in the cache? */
            uint32_t h = (uint32_t)p->cp[i] * 0x9E3779B1u;
            for (size_t k = i + 1; k < j; k++) h = (h ^ (uint32_t)p->cp[k]) * 0x85EBCA77u;
            slot = (h >> 16) & (NFC_SLOTS - 1);
            bool hit = p->nfcc->e[slot].nin == (int8_t)(j - i);
            for (size_t k = i; hit && k < j; k++) hit = p->nfcc->e[slot].in[k - i] == p->cp[k];
            if (hit) {
                dn = p->nfcc->e[slot].nout;
                for (utf8proc_ssize_t k = 0; k < dn; k++) dec[k] = p->nfcc->e[slot].out[k];
                goto composed;
            }
        }
        u8.len = 0;
        if (vbi_buf_reserve(&u8, (j - i) * 4)) { rc = VANBAN_ENOMEM; break; }
        for (size_t k = i; k < j; k++) u8.len += enc(p->cp[k], u8.p + u8.len);
        utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        dn = utf8proc_decompose((const utf8proc_uint8_t *)u8.p, (utf8proc_ssize_t)u8.len, dec,
                                (utf8proc_ssize_t)deccap, opts);
        if (dn > 0 && (size_t)dn <= deccap)
            dn = utf8proc_normalize_utf32(dec, dn, opts);
        if (slot < NFC_SLOTS && dn <= 3) { /* keep it (a result of more is kept as is) */
            p->nfcc->e[slot].nin = (int8_t)(j - i);
            for (size_t k = i; k < j; k++) p->nfcc->e[slot].in[k - i] = p->cp[k];
            p->nfcc->e[slot].nout = (int8_t)(dn < 0 ? -1 : dn);
            for (utf8proc_ssize_t k = 0; k < dn; k++) p->nfcc->e[slot].out[k] = dec[k];
        }
    composed:;
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

/* utf8proc_iterate, with the common valid sequences decoded inline. */
static inline utf8proc_ssize_t utf8_next(const unsigned char *s, size_t n, utf8proc_int32_t *c)
{
    unsigned char a = s[0];
    if (a < 0x80) {
        *c = a;
        return 1;
    }
    if (a >= 0xC2 && a <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *c = (a & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if (a >= 0xE1 && a <= 0xEC && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *c = (a & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    return utf8proc_iterate(s, (utf8proc_ssize_t)n, c);
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

/* Bytes of a plain line, bits: P_BAD (control, markup or a lead byte the
   fast path does not take: the general path), P_SPACE, P_LISTY (digits,
   ':', ',', ';'), P_LOWER and P_UPPER (ASCII letters), P_CONT (a
   continuation byte), P_MARK ('*' and '#': markdown, see mark_line); bits
   6-7: the continuation bytes a lead byte takes (C2..C6: 1, E1, E2: 2);
   bits 8-10: which bytes may follow (checked in plain_bad). */
enum { P_BAD = 1, P_SPACE = 2, P_LISTY = 4, P_LOWER = 8, P_UPPER = 16, P_CONT = 32, P_MARK = 0x800 };
static const uint16_t plain_byte[256] = {
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x002, 0x000, 0x000, 0x800,
    0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x800, 0x000, 0x004, 0x000, 0x000, 0x000,
    0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004,
    0x001, 0x000, 0x000, 0x000, 0x000, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010,
    0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010,
    0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x010, 0x000, 0x001, 0x000, 0x000, 0x001,
    0x000, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008,
    0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008, 0x008,
    0x008, 0x008, 0x008, 0x000, 0x001, 0x000, 0x000, 0x001, 0x020, 0x020, 0x020, 0x020,
    0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020,
    0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020,
    0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020,
    0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020,
    0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020, 0x020,
    0x001, 0x001, 0x640, 0x140, 0x040, 0x040, 0x240, 0x001, 0x001, 0x001, 0x001, 0x001,
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x380, 0x480, 0x001,
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
    0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
    0x001, 0x001, 0x001, 0x001,
};


/* Letter class (0 none, 1 lower, 2 upper or other) of the allowed
   non-ASCII sequence of len bytes at s. */
static inline int plain_letter(const unsigned char *s, size_t len)
{
    if (len == 2) { /* U+00A0 (no-break space), U+00C0..U+01BF */
        int c = (s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        int k = c < 0xC0 ? 0 : latin_class[c - 0xC0] - '0';
        return k > 1 ? 2 : k;
    }
    if (s[0] != 0xE1) return 0; /* E2 80 xx: punctuation */
    int k = letter_class(0x1000 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F));
    return k > 1 ? 2 : k;
}

/* What the fast path needs to know of a line: whether it may be copied
   (valid UTF-8 of the allowed characters, no control or markup but '*' and
   '#', no three spaces in a row), its letters by case, its non-ASCII
   characters and continuation bytes, its double spaces, and whether it
   holds markdown or no-break spaces (mark_line).  ASCII letters are
   counted here; the case of the others only when it matters (fast_line). */
typedef struct {
    size_t uppers, lowers, lead, cont, collapsed; /* uppers, lowers: ASCII */
    int listy;                                    /* -1: not looked at */
    bool marks, nbsp;
} pstat;

/* Digits or list punctuation in s[0, n): the case fix does not apply. */
static int line_listy(const unsigned char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((s[k] >= '0' && s[k] <= '9') || s[k] == ':' || s[k] == ',' || s[k] == ';') return 1;
    return 0;
}

#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
#include <immintrin.h>

/* 64 bytes 0xFF then 64 bytes 0: a load at 64 - r keeps r bytes. */
static const unsigned char plain_keep[128] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

static inline uint64_t sum64_128(__m128i v)
{
    uint64_t a[2];
    _mm_storeu_si128((__m128i *)a, v);
    return a[0] + a[1];
}

/* SSE2: 16 bytes at a time (src/plain_scan.h) */
#define PS_NAME plain_scan_sse2
#define PS_B 16
#define PS_ATTR
#define PS_V __m128i
#define PS_LOAD(p) _mm_loadu_si128((const __m128i *)(p))
#define PS_SET1(c) _mm_set1_epi8((char)(c))
#define PS_ZERO _mm_setzero_si128()
#define PS_EQ(a, b) _mm_cmpeq_epi8(a, b)
#define PS_GT(a, b) _mm_cmpgt_epi8(a, b)
#define PS_AND(a, b) _mm_and_si128(a, b)
#define PS_ANDNOT(a, b) _mm_andnot_si128(a, b)
#define PS_OR(a, b) _mm_or_si128(a, b)
#define PS_MASK(v) ((uint64_t)(uint32_t)_mm_movemask_epi8(v))
#define PS_SAD(a, b) _mm_sad_epu8(a, b)
#define PS_ADD64(a, b) _mm_add_epi64(a, b)
#define PS_SUM64(v) sum64_128(v)
#include "plain_scan.h" /* it undefines the PS_* it was given */

#if defined(__x86_64__) || defined(__i386__)
#define VBI_HAVE_AVX2 1
/* AVX2 where the processor has it: 32 bytes at a time */
__attribute__((target("avx2"))) static inline uint64_t sum64_256(__m256i v)
{
    uint64_t a[4];
    _mm256_storeu_si256((__m256i *)a, v);
    return a[0] + a[1] + a[2] + a[3];
}
#define PS_NAME plain_scan_avx2
#define PS_B 32
#define PS_ATTR __attribute__((target("avx2")))
#define PS_V __m256i
#define PS_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define PS_SET1(c) _mm256_set1_epi8((char)(c))
#define PS_ZERO _mm256_setzero_si256()
#define PS_EQ(a, b) _mm256_cmpeq_epi8(a, b)
#define PS_GT(a, b) _mm256_cmpgt_epi8(a, b)
#define PS_AND(a, b) _mm256_and_si256(a, b)
#define PS_ANDNOT(a, b) _mm256_andnot_si256(a, b)
#define PS_OR(a, b) _mm256_or_si256(a, b)
#define PS_MASK(v) ((uint64_t)(uint32_t)_mm256_movemask_epi8(v))
#define PS_SAD(a, b) _mm256_sad_epu8(a, b)
#define PS_ADD64(a, b) _mm256_add_epi64(a, b)
#define PS_SUM64(v) sum64_256(v)
#include "plain_scan.h" /* it undefines the PS_* it was given */
#endif

/* The line s[0, n) (in p->input: the bytes after it may be read too). */
static int plain_scan(const vanban_parser *p, const unsigned char *s, size_t n, pstat *st)
{
    size_t readable = p->input.cap - (size_t)(s - (const unsigned char *)p->input.p);
#ifdef VBI_HAVE_AVX2
    if (p->avx2) return plain_scan_avx2(s, n, readable, st);
#endif
    return plain_scan_sse2(s, n, readable, st);
}
#else
/* plain_bad[b] bit k: b may not follow after-class k: 1 C3 (not Ð ð: C3 90,
   C3 B0), 2 C6 (not Ɖ: C6 89), 3 E1 (BA or BB: U+1E80..U+1EFF), 4 E2 (80),
   5 E2 80 (– — ‘ ’ “ ” …), 6 C2 (A0: the no-break space). */
static const uint8_t plain_bad[256] = {
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x68, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x7c, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x7a, 0x78, 0x78, 0x58, 0x58, 0x78, 0x78, 0x78, 0x58, 0x58, 0x78, 0x78,
    0x58, 0x58, 0x78, 0x78, 0x38, 0x78, 0x78, 0x78, 0x78, 0x78, 0x58, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x7a, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x70, 0x70, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78,
};

/* One pass with no branch on the data (see src/plain_scan.h). */
static int plain_scan(const vanban_parser *p, const unsigned char *s, size_t n, pstat *st)
{
    (void)p;
    unsigned seen = 0, bad = 0, due = 0, after = 0;
    size_t sp = 0, three = 0;
    memset(st, 0, sizeof *st);
    for (size_t k = 0; k < n; k++) {
        unsigned t = plain_byte[s[k]];
        unsigned c = (t >> 5) & 1;             /* a continuation byte ... */
        bad |= c ^ (due != 0);                 /* ... exactly where one is due */
        bad |= (plain_bad[s[k]] >> after) & 1; /* the bytes a lead allows */
        after = ((t >> 8) & 7) + (after == 4) * 5;
        due = c ? due - 1 : (t >> 6) & 3;
        st->lead += ((t >> 6) & 3) != 0;
        st->nbsp |= ((t >> 8) & 7) == 6;
        seen |= t;
        sp = (t & P_SPACE) ? sp + 1 : 0;
        three |= sp >= 3; /* a flattened column: cells */
        st->collapsed += sp == 2;
        st->uppers += (t >> 4) & 1;
        st->lowers += (t >> 3) & 1;
        st->cont += c;
    }
    st->listy = (seen & P_LISTY) != 0;
    st->marks = (seen & P_MARK) != 0;
    return !((seen & P_BAD) || bad || due || three);
}
#endif


/* Start of the character that ends just before s[b] (b > 0). */
static inline size_t char_start(const unsigned char *s, size_t b)
{
    size_t k = b - 1;
    while (k > 0 && (s[k] & 0xC0) == 0x80) k--;
    return k;
}

/* Kinds of characters in a plain line, for do_cell's rules. */
enum { PK_SPACE, PK_STAR, PK_WORD, PK_OTHER };

/* Kind and byte length of the character at s[b] of a plain line (a
   no-break space is a space, as the general path folds it). */
static inline int pkind(const unsigned char *s, size_t b, size_t *len)
{
    unsigned char c = s[b];
    if (c < 0x80) {
        *len = 1;
        if (c == ' ') return PK_SPACE;
        if (c == '*') return PK_STAR;
        return (plain_byte[c] & (P_LOWER | P_UPPER)) || (c >= '0' && c <= '9') ? PK_WORD
                                                                              : PK_OTHER;
    }
    if (c < 0xE0) {
        *len = 2;
        if (c == 0xC2) return PK_SPACE;                                    /* C2 A0 */
        return c == 0xC3 && (s[b + 1] == 0x97 || s[b + 1] == 0xB7) ? PK_OTHER : PK_WORD; /* × ÷ */
    }
    *len = 3;
    return c == 0xE1 ? PK_WORD : PK_OTHER; /* Vietnamese letters; E2 80 xx: punctuation */
}

/* A plain line with markdown ('*' emphasis, a '#' heading) or no-break
   spaces: do_cell's rules applied to the bytes, the same text and maps as
   the general path gives.  mark_prep takes s[*i, *e) (the line without its
   ASCII spaces at either end) to the text's range and finds the flags;
   false when the line needs the general path (three spaces in a row). */
static bool mark_prep(const unsigned char *s, size_t *pi, size_t *pe, uint16_t *pflags,
                      uint8_t *phlevel, bool *plone)
{
    size_t i = *pi, e = *pe, len;
    for (;;) { /* no-break spaces at the ends go too */
        if (i < e && s[i] == ' ') i++;
        else if (i + 1 < e && s[i] == 0xC2) i += 2;
        else break;
    }
    for (;;) {
        if (e > i && s[e - 1] == ' ') e--;
        else if (e >= i + 2 && s[e - 2] == 0xC2) e -= 2;
        else break;
    }
    uint16_t flags = VBI_L_PLAIN;
    uint8_t hlevel = 0;
    size_t h = i; /* markdown heading */
    while (h < e && s[h] == '#' && h - i < 6) h++;
    if (h > i && h < e && pkind(s, h, &len) == PK_SPACE) {
        size_t run = 0;
        hlevel = (uint8_t)(h - i);
        flags |= VBI_L_HEADING;
        for (i = h; i < e && pkind(s, i, &len) == PK_SPACE; i += len) run++;
        if (run >= 3) return false; /* cells */
    }
    /* whole-line emphasis, as in do_cell (lengths in characters) */
    bool lone_star = true; /* only stars and spaces */
    for (size_t k = i; k < e && lone_star; k++)
        lone_star = s[k] == '*' || s[k] == ' ' || s[k] == 0xC2 || s[k] == 0xA0; /* A0 after C2 */
    size_t nc = 0; /* characters, up to 5 */
    for (size_t k = i; k < e && nc < 5 && s[i] == '*'; k++) nc += (s[k] & 0xC0) != 0x80;
    if (nc >= 5 && s[i] == '*' && s[i + 1] == '*' && s[e - 1] == '*' && s[e - 2] == '*') {
        flags |= VBI_L_BOLD;
    } else if (nc >= 3 && s[i] == '*' && s[e - 1] == '*') {
        size_t b = e - 2; /* the character before the last star */
        while ((s[b] & 0xC0) == 0x80) b--;
        int k1 = pkind(s, i + 1, &len), k2 = pkind(s, b, &len);
        if (k1 != PK_STAR && k1 != PK_SPACE && k2 != PK_STAR && k2 != PK_SPACE)
            flags |= VBI_L_ITALIC;
    }
    *pi = i;
    *pe = e;
    *pflags = flags;
    *phlevel = hlevel;
    *plone = lone_star;
    return true;
}

/* The bits set in x < 2^16 (not __builtin_popcount: without -mpopcnt that
   is a call into libgcc) */
static inline size_t pop16(uint32_t x)
{
    x = x - ((x >> 1) & 0x5555);
    x = (x & 0x3333) + ((x >> 2) & 0x3333);
    x = (x + (x >> 4)) & 0x0F0F;
    return (x + (x >> 8)) & 0x1F;
}

/* The end of the run of bytes from q that are none of ' ', '*' and C2 (a
   no-break space's lead), at most e; *cont gets the continuation bytes in
   it.  readable: the bytes after s that may be read (the input buffer goes
   on after the line), so that the run is looked at 16 bytes at a time. */
static inline size_t word_run(const unsigned char *s, size_t q, size_t e, size_t readable,
                              size_t *cont)
{
    size_t c = 0;
#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
    while (q < e && q + 16 <= readable) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + q));
        uint32_t stop = (uint32_t)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
                                      _mm_cmpeq_epi8(x, _mm_set1_epi8('*'))),
                         _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xC2))));
        uint32_t cb = (uint32_t)_mm_movemask_epi8(_mm_cmplt_epi8(x, _mm_set1_epi8((char)0xC0)));
        uint32_t lim = e - q < 16 ? 1u << (e - q) : 1u << 16; /* the end stops it too */
        size_t r = (size_t)__builtin_ctz((stop & (lim - 1)) | lim);
        c += pop16(cb & ((1u << r) - 1));
        q += r;
        if (r < 16) {
            *cont = c;
            return q;
        }
    }
#else
    (void)readable;
#endif
    for (; q < e && s[q] != ' ' && s[q] != '*' && s[q] != 0xC2; q++) c += (s[q] & 0xC0) == 0x80;
    *cont = c;
    return q;
}

/* The text of s[i, e) (after mark_prep) into out, and the map of each byte
   into ms, me when they are not NULL; *chars gets its characters.  Returns
   the bytes written, or SIZE_MAX for three spaces in a row (cells). */
static inline size_t mark_walk(const unsigned char *s, size_t i, size_t e, size_t readable,
                               uint64_t ostart, bool lone_star, char *out, uint32_t *ms,
                               uint32_t *me, size_t *chars)
{
    size_t o = 0, len, run = 0, nch = 0;
    for (size_t k = i; k < e;) {
        unsigned char c = s[k];
        if (c == ' ' || c == 0xC2) { /* a space, or C2 A0 */
            len = c == ' ' ? 1 : 2;
            if (++run >= 3) return SIZE_MAX;
            if (o > 0 && out[o - 1] != ' ') { /* else collapsed */
                out[o] = ' ';
                if (ms) {
                    ms[o] = (uint32_t)(ostart + k);
                    me[o] = (uint32_t)(ostart + k + len);
                }
                o++;
                nch++;
            }
            k += len;
            continue;
        }
        run = 0;
        if (c == '*' && !lone_star) {
            if (k + 1 < e && s[k + 1] == '*') { /* "**" (or longer): dropped */
                while (k < e && s[k] == '*') k++;
                continue;
            }
            /* kinds of the characters around it, as written (never a star
               before: a run of them went whole) */
            int prev = k > i ? pkind(s, char_start(s, k), &len) : PK_SPACE;
            int next = k + 1 < e ? pkind(s, k + 1, &len) : PK_SPACE;
            if ((prev != PK_WORD) != (next != PK_WORD) || k == i || k + 1 == e) {
                k++; /* an emphasis marker next to a word */
                continue;
            }
        }
        /* this character and those after it up to a space or star */
        size_t q = k;
        if (ms) { /* with the map of each byte */
            uint32_t cs = 0, ce = 0;
            do {
                unsigned char d = s[q];
                if ((d & 0xC0) != 0x80) { /* a character starts */
                    cs = (uint32_t)(ostart + q);
                    ce = cs + (d < 0x80 ? 1 : d < 0xE0 ? 2 : 3);
                    nch++;
                }
                out[o] = (char)d;
                ms[o] = cs;
                me[o] = ce;
                o++;
                q++;
            } while (q < e && s[q] != ' ' && s[q] != '*' && s[q] != 0xC2);
        } else { /* the first byte whatever it is (a star kept), then the run */
            size_t cont;
            q = word_run(s, q + 1, e, readable, &cont);
            nch += q - k - cont - ((s[k] & 0xC0) == 0x80);
            memcpy(out + o, s + k, q - k);
            o += q - k;
        }
        k = q;
    }
    while (o > 0 && out[o - 1] == ' ') { /* a space left at the end */
        o--;
        nch--;
    }
    *chars = nch;
    return o;
}

/* The line (see mark_prep); uppers, lowers and first (the class of the
   first letter) are counted by fast_line.  A text-only result gets no map
   entries (VBI_L_NOMAP): vbi_line_map makes them again when asked.
   Returns 1 when the line was emitted, 0 when it needs the general path. */
static int mark_line(vanban_parser *p, const unsigned char *s, size_t n, size_t i, size_t e,
                     uint64_t ostart, size_t uppers, size_t lowers, int first, int *rc)
{
    uint16_t flags;
    uint8_t hlevel;
    bool lone_star;
    if (!mark_prep(s, &i, &e, &flags, &hlevel, &lone_star)) return 0;
    bool maps = !(p->opt.flags & VANBAN_OPT_TEXT_ONLY);
    size_t base = 0;
    if ((*rc = reserve_line(p, e - i, maps, &base))) return 1;
    size_t off = p->text.len, chars;
    char *out = p->text.p + off;
    size_t readable = p->input.cap - (size_t)(s - (const unsigned char *)p->input.p);
    size_t o = maps ? mark_walk(s, i, e, readable, ostart, lone_star, out, p->ms + base,
                                p->me + base, &chars)
                    : mark_walk(s, i, e, readable, ostart, lone_star, out, NULL, NULL, &chars);
    if (o == SIZE_MAX) return 0; /* not committed: p->text.len is unchanged */
    p->text.len = off + o;
    unsigned char last = o ? (unsigned char)out[o - 1] : 0;
    vbi_line *l = &p->lines[p->nlines++];
    l->off = (uint32_t)off;
    l->len = (uint32_t)o;
    l->ostart = (uint32_t)ostart;
    l->oend = (uint32_t)(ostart + n);
    l->nchars = (uint32_t)chars;
    l->hlevel = hlevel;
    l->moff = (uint32_t)base;
    if (!maps) flags |= VBI_L_NOMAP;
    l->flags = flags | shape_flags(l->len, uppers, lowers, first, last);
    return 1;
}

int vbi_line_map(const vanban_parser *p, const vbi_line *l, size_t k, uint32_t *ms,
                 uint32_t *me)
{
    const unsigned char *s = (const unsigned char *)p->input.p + l->ostart;
    size_t i = 0, e = l->oend - l->ostart, chars;
    while (i < e && s[i] == ' ') i++;
    while (e > i && s[e - 1] == ' ') e--;
    uint16_t flags;
    uint8_t hlevel;
    bool lone_star = false;
    if (!mark_prep(s, &i, &e, &flags, &hlevel, &lone_star)) return VANBAN_EINVAL; /* not such a line */
    size_t cap = e - i + 1;
    char *out = malloc(cap);
    uint32_t *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    int rc = VANBAN_ENOMEM;
    if (out && a && b) {
        mark_walk(s, i, e, e, l->ostart, lone_star, out, a, b, &chars);
        *ms = a[k - l->off];
        *me = b[k - l->off];
        rc = 0;
    }
    free(out);
    free(a);
    free(b);
    return rc;
}

/* Letters of the plain text s[0, n) by case (others count as upper, as in
   emit_line). */
static void letter_counts(const unsigned char *s, size_t n, size_t *uppers, size_t *lowers)
{
    *uppers = *lowers = 0;
    for (size_t k = 0; k < n;) {
        size_t len = s[k] < 0x80 ? 1 : s[k] < 0xE0 ? 2 : 3;
        int cls = len == 1 ? (plain_byte[s[k]] >> 3) & 3 : plain_letter(s + k, len);
        *uppers += cls == 2;
        *lowers += cls == 1;
        k += len;
    }
}

/* Is the first word of the plain text s[0, n) (its first run of letters)
   in capitals: an upper-case letter (Lu) first and no lower-case one? */
static bool first_word_caps(const unsigned char *s, size_t n)
{
    size_t k = 0, len = 1;
    int32_t c = 0;
    for (; k < n; k += len) { /* the first letter */
        c = vbi_utf8_decode((const char *)s + k, n - k, &len);
        if (is_letter(c)) break;
    }
    if (k >= n || !is_upper(c)) return false;
    for (; k < n && is_letter(c = vbi_utf8_decode((const char *)s + k, n - k, &len)); k += len)
        if (is_lower(c)) return false;
    return true;
}

/* Returns 1 when the line was emitted, 0 when it needs the general path. */
static int fast_line(vanban_parser *p, const unsigned char *s, size_t n, uint64_t ostart, int *rc)
{
    *rc = 0;
    if (p->omap || (ostart == 0 && n >= 3 && s[0] == 0xEF)) return 0;
    size_t i = 0, e = n;
    while (i < e && s[i] == ' ') i++;
    while (e > i && s[e - 1] == ' ') e--;
    pstat st;
    if (!plain_scan(p, s + i, e - i, &st)) return 0;
    size_t uppers = st.uppers, lowers = st.lowers, lead = st.lead, collapsed = st.collapsed;
    bool repair = !(p->opt.flags & VANBAN_OPT_NO_REPAIR);
    /* uppers and lowers count ASCII letters: the others are counted when
       the case matters (the line in capitals, or the case fix) */
    bool exact = !lead;
    if (!exact && lowers == 0) {
        letter_counts(s + i, e - i, &uppers, &lowers);
        exact = true;
    }
    /* a line the case fix might change goes the general way: fix_case
       changes a line only when its first word is in capitals (>= 4 capital
       letters in all, a lower-case letter, no digits or list punctuation) */
    if (repair && uppers + (exact ? 0 : lead) >= 4 && lowers && first_word_caps(s + i, e - i) &&
        !(st.listy < 0 ? (st.listy = line_listy(s + i, e - i)) : st.listy)) {
        if (!exact) letter_counts(s + i, e - i, &uppers, &lowers);
        if (uppers >= 4 && lowers) return 0;
    }
    int first = 0; /* class of the first letter */
    for (size_t k = i; k < e && !first;) {
        size_t len = s[k] < 0x80 ? 1 : s[k] < 0xE0 ? 2 : 3;
        first = len == 1 ? (plain_byte[s[k]] >> 3) & 3 : plain_letter(s + k, len);
        k += len;
    }
    unsigned char last = e > i ? s[e - 1] : 0;
    size_t nchars = e - i - st.cont;
    if (st.marks || st.nbsp) return mark_line(p, s, n, i, e, ostart, uppers, lowers, first, rc);
    /* a text-only result needs the map of a line only at its words'
       edges: without collapsed spaces it is computed (VBI_L_DIRECT) */
    bool maps = collapsed || !(p->opt.flags & VANBAN_OPT_TEXT_ONLY);
    size_t need = e - i, base = 0;
    if ((*rc = reserve_line(p, need, maps, &base))) return 1;
    size_t off = p->text.len;
    char *out = p->text.p;
    size_t o = off;
    if (!maps) {
        memcpy(out + o, s + i, need);
        o += need;
    } else {
        uint32_t *ms = p->ms + base, *me = p->me + base; /* of text byte o: [o - off] */
        for (size_t k = i; k < e;) {
            unsigned char c = s[k];
            if (c == ' ' && s[k - 1] == ' ') { /* collapse a double space */
                k++;
                continue;
            }
            size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;
            uint32_t cs = (uint32_t)(ostart + k), ce = cs + (uint32_t)len;
            for (size_t b = 0; b < len; b++) {
                out[o] = (char)s[k + b];
                ms[o - off] = cs;
                me[o - off] = ce;
                o++;
            }
            k += len;
        }
    }
    p->text.len = o;
    vbi_line *l = &p->lines[p->nlines++];
    l->off = (uint32_t)off;
    l->len = (uint32_t)(o - off);
    l->ostart = (uint32_t)ostart;
    l->oend = (uint32_t)(ostart + n);
    l->nchars = (uint32_t)(nchars - collapsed);
    l->hlevel = 0;
    uint16_t flags = maps ? VBI_L_PLAIN | map_done(p, l, base) : VBI_L_PLAIN | VBI_L_DIRECT;
    l->flags = flags | shape_flags(l->len, uppers, lowers, first, last);
    return 1;
}

/* Does cp[b, e) end with the word w (code points, w ASCII or 2-byte free)? */
static bool ends_word(const int32_t *cp, size_t b, size_t e, const int32_t *w, size_t wn)
{
    if (e - b < wn) return false;
    for (size_t k = 0; k < wn; k++)
        if (cp[e - wn + k] != w[k] && cp[e - wn + k] != w[k] - (k == 0 ? 32 : 0)) return false;
    return e - wn == b || cp[e - wn - 1] == ' ';
}

/* Spaces left for a value to be written by hand, in a draft or a form
   ("ngày      tháng      năm 2026", "Số:      /BC-UBND"): not a column gap. */
static bool blank_field(const int32_t *cp, size_t b, size_t e, size_t r, size_t m)
{
    static const int32_t ngay[] = {'n', 'g', 0xE0, 'y'}, thang[] = {'t', 'h', 0xE1, 'n', 'g'},
                         so[] = {'s', 0x1ED1, ':'};
    if (r >= m) return false;
    if (ends_word(cp, b, e, ngay, 4) || ends_word(cp, b, e, thang, 5))
        return cp[r] == 't' || cp[r] == 'n';
    return ends_word(cp, b, e, so, 3) && cp[r] == '/';
}

static int one_line(vanban_parser *p, const unsigned char *s, size_t n, uint64_t ostart)
{
#ifndef VBI_NO_FAST_PATH /* defined only to check that both paths agree */
    int frc;
    if (fast_line(p, s, n, ostart, &frc)) return frc;
#else
    (void)fast_line;
#endif
    if (grow_cp(p, n + 1)) return VANBAN_ENOMEM;
    int32_t *cpa = p->cp;
    uint32_t *csa = p->cs, *cea = p->ce;
    bool repair = !(p->opt.flags & VANBAN_OPT_NO_REPAIR);
    bool need_nfc = false, lt = false; /* whether the passes below have anything to do */
    size_t m = 0;
    for (size_t k = 0; k < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t adv = utf8_next(s + k, n - k, &c);
        uint64_t at = ostart + k;
        if (adv > 0 && ((c >= 0x20 && c < 0x7F) || (c >= 0x1E00 && c < 0x1F00) ||
                        (c > 0xAD && c < 0x300 && c != 0xD0 && c != 0xF0 && c != 0x189))) {
            /* nothing to fold: by far the most characters */
            cpa[m] = c;
            csa[m] = orig_off(p, at);
            cea[m] = orig_off(p, at + (uint64_t)adv);
            m++;
            k += (size_t)adv;
            lt |= c == '<';
            continue;
        }
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
            if (repair) {
                vbi_span sp = {cs, ce};
                int rc = vbi_add_correction(p, sp, from, fromlen, "", 0, "unicode", 1.0);
                if (rc) return rc;
                continue;
            }
        } else if ((c == 0x00D0 || c == 0x0189) && repair &&
                   ((m > 0 && cpa[m - 1] == 0x0110) || (k + 1 < n && s[k] == 0xC4 && s[k + 1] == 0x90))) {
            /* the scanner read one Đ twice, once as a look-alike
               ("QĐÐ-BNNMT", "ÐĐơn vị"): the look-alike goes */
            vbi_span sp = {cs, ce};
            int rc = vbi_add_correction(p, sp, from, fromlen, "", 0, "unicode", 0.9);
            if (rc) return rc;
            continue;
        } else if ((c == 0x00D0 || c == 0x0189 || c == 0x00F0) && repair) {
            int32_t to = c == 0x00F0 ? 0x0111 : 0x0110;
            char tb[4];
            size_t tl = enc(to, tb);
            vbi_span sp = {cs, ce};
            int rc = vbi_add_correction(p, sp, from, fromlen, tb, tl, "unicode", 0.95);
            if (rc) return rc;
            c = to;
        }
        need_nfc |= c >= 0x300 && (ccc(c) || needs_nfc_single(c));
        cpa[m] = c;
        csa[m] = cs;
        cea[m] = ce;
        m++;
    }
    size_t changed = 0;
    int rc = need_nfc ? nfc(p, &m, &changed) : 0; /* else NFC already */
    if (rc) return rc;
    if (changed && (p->opt.flags & VANBAN_OPT_NO_REPAIR) && !p->enc_decomposed) {
        /* with repair, NFC is a "unicode" correction; Windows-1258 writes
           tones apart by design, so composing them is no news */
        rc = vbi_add_warning(p, "nfc", orig_off(p, ostart),
                             "%zu decomposed character(s) composed to NFC on this line", changed);
        if (rc) return rc;
    }
    /* markdown tables and HTML line breaks left by converters: a row
       "| A<br>B | C |" (or "A |  | B", two pipes between spaces) is cells
       like a tab-separated line */
    size_t first = 0;
    while (first < m && p->cp[first] == ' ') first++;
    bool table = first < m && p->cp[first] == '|';
    if (!table) { /* a row exported without its outer pipes: "A |  | B" */
        size_t pipes = 0;
        for (size_t k = 1; k + 1 < m && pipes < 2; k++)
            pipes += p->cp[k] == '|' && p->cp[k - 1] == ' ' && p->cp[k + 1] == ' ';
        table = pipes >= 2;
    }
    if (table || lt) {
        size_t w = 0;
        int32_t *cp = p->cp;
        uint32_t *cs = p->cs, *ce = p->ce;
        for (size_t k = 0; k < m; k++) {
            int32_t c = cp[k];
            if (c == '|' && table) {
                c = '\t';
            } else if (c == '<' && k + 3 < m && (cp[k + 1] | 0x20) == 'b' &&
                       (cp[k + 2] | 0x20) == 'r') {
                size_t e = k + 3;
                while (e < m && (cp[e] == ' ' || cp[e] == '/')) e++;
                if (e < m && cp[e] == '>') {
                    c = '\t';
                    k = e;
                }
            }
            cp[w] = c;
            cs[w] = cs[k];
            ce[w] = ce[k];
            w++;
        }
        m = w;
    }
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
                if (r < m && (tab || sp >= 3) && (tab || !blank_field(p->cp, start, e, r, m))) {
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
    if (p->no_cr) return one_line(p, s, n, ostart);
    if (n && s[n - 1] == '\r') n--;
    /* a lone CR also ends a line */
    size_t st = 0;
    for (const unsigned char *r; (r = memchr(s + st, '\r', n - st)) != NULL;) {
        size_t k = (size_t)(r - s);
        int rc = one_line(p, s + st, k - st, ostart + st);
        if (rc) return rc;
        st = k + 1;
    }
    return one_line(p, s + st, n - st, ostart + st);
}

int vbi_is_lower_cp(int32_t c) { return is_lower(c); }
int vbi_is_letter_cp(int32_t c) { return is_letter(c); }
