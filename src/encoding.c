/* encoding.c - find the input's encoding and convert it to UTF-8.
 *
 * finish() calls vbi_decode_input() before cutting lines.  Plain UTF-8 (with
 * or without BOM) is left as it is.  Anything else is decoded to code points,
 * each remembering the offset of its first input byte, and re-encoded as
 * UTF-8 into p->conv with p->omap[i] = input offset of the character that
 * produced byte i (p->omap[conv.len] = input length).  normalize.c looks
 * offsets up in that map, so spans in the JSON stay offsets of the input.
 *
 * Converters: ICU for UTF-16 and Windows-1258 (tone marks come out as
 * combining characters; normalize composes them); our own tables, written
 * from the code charts (grammars/encodings/), for VNI, TCVN3 and VISCII; and
 * a repair of UTF-8 that was read as Windows-1252 and saved again
 * ("Tá»‰nh" -> "Tỉnh").
 *
 * Detection, when options.encoding is NULL: a BOM; else valid UTF-8; else the
 * legacy encoding whose decoding gives the most well-formed Vietnamese
 * syllables (scored on the first 256 KiB).
 */
#include <stdlib.h>
#include <string.h>
#include <unicode/ucnv.h>
#include <utf8proc.h>
#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
#include <emmintrin.h>
#endif

#include "encoding.h"
#include "private.h"

enum { E_UTF8, E_UTF16LE, E_UTF16BE, E_CP1258, E_VNI, E_TCVN3, E_VISCII, E__COUNT };

static const char *const enc_names[E__COUNT] = {"utf-8", "utf-16le", "utf-16be",
                                                "windows-1258", "vni", "tcvn3", "viscii"};
static const struct {
    const char *alias;
    int id;
} aliases[] = {{"utf8", E_UTF8},       {"utf-16-le", E_UTF16LE}, {"utf-16-be", E_UTF16BE},
               {"cp1258", E_CP1258},   {"vni-windows", E_VNI},   {"abc", E_TCVN3},
               {"tcvn", E_TCVN3},      {"tcvn5712", E_TCVN3}};

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

int vbi_encoding_lookup(const char *name)
{
    for (int i = 0; i < E__COUNT; i++)
        if (ieq(name, enc_names[i])) return i;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (ieq(name, aliases[i].alias)) return aliases[i].id;
    return -1;
}

/* ---- code points with their input offsets ----------------------------- */
typedef struct {
    int32_t *cp;
    uint32_t *off;
    size_t n, cap;
} cpvec;

static int cv_push(cpvec *v, int32_t c, uint32_t off)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4096;
        int32_t *a = realloc(v->cp, cap * sizeof *a);
        if (!a) return VANBAN_ENOMEM;
        v->cp = a;
        uint32_t *b = realloc(v->off, cap * sizeof *b);
        if (!b) return VANBAN_ENOMEM;
        v->off = b;
        v->cap = cap;
    }
    v->cp[v->n] = c;
    v->off[v->n++] = off;
    return 0;
}

static void cv_free(cpvec *v)
{
    free(v->cp);
    free(v->off);
    memset(v, 0, sizeof *v);
}

/* ---- decoders ----------------------------------------------------------- */
static int dec_table(const uint16_t *tab, const unsigned char *s, size_t n, cpvec *v)
{
    for (size_t i = 0; i < n; i++)
        if (cv_push(v, tab[s[i]], (uint32_t)i)) return VANBAN_ENOMEM;
    return 0;
}

static int32_t vni_pair(unsigned char b0, unsigned char b1)
{
    size_t lo = 0, hi = vbi_tab_vni2_count;
    unsigned key = (unsigned)b0 << 8 | b1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        unsigned k = (unsigned)vbi_tab_vni2[mid].b0 << 8 | vbi_tab_vni2[mid].b1;
        if (k == key) return vbi_tab_vni2[mid].cp;
        if (k < key) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static int dec_vni(const unsigned char *s, size_t n, cpvec *v)
{
    for (size_t i = 0; i < n; i++) {
        int32_t c = i + 1 < n && s[i + 1] >= 0x80 ? vni_pair(s[i], s[i + 1]) : -1;
        if (c >= 0) {
            if (cv_push(v, c, (uint32_t)i)) return VANBAN_ENOMEM;
            i++;
        } else if (cv_push(v, vbi_tab_vni1[s[i]], (uint32_t)i)) {
            return VANBAN_ENOMEM;
        }
    }
    return 0;
}

static int dec_icu(const char *name, const unsigned char *s, size_t n, cpvec *v)
{
    UErrorCode st = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(name, &st);
    if (U_FAILURE(st)) return VANBAN_ENOMEM;
    size_t cap = n + 2;
    UChar *u = malloc(cap * sizeof *u);
    int32_t *offs = malloc(cap * sizeof *offs);
    int rc = 0;
    if (!u || !offs) {
        rc = VANBAN_ENOMEM;
        goto out;
    }
    UChar *t = u;
    const char *src = s ? (const char *)s : ""; /* (an empty input may come as NULL) */
    ucnv_toUnicode(cnv, &t, u + cap, &src, src + n, offs, 1, &st);
    if (U_FAILURE(st)) {
        rc = VANBAN_ENOMEM; /* only a too-small buffer can fail here */
        goto out;
    }
    size_t m = (size_t)(t - u);
    for (size_t i = 0; i < m && !rc; i++) {
        int32_t c = u[i];
        uint32_t at = offs[i] >= 0 ? (uint32_t)offs[i] : 0;
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < m && u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c < 0xE000) {
            c = 0xFFFD;
        }
        rc = cv_push(v, c, at);
    }
out:
    free(u);
    free(offs);
    ucnv_close(cnv);
    return rc;
}

static int dec_utf8(const unsigned char *s, size_t n, cpvec *v)
{
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t adv = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &c);
        if (adv <= 0) {
            c = 0xFFFD;
            adv = 1;
        }
        if (cv_push(v, c, (uint32_t)i)) return VANBAN_ENOMEM;
        i += (size_t)adv;
    }
    return 0;
}

/* Is s[0, n) UTF-8 made of ASCII, 2-byte sequences and 3-byte sequences
   led by E1..EF but ED (no overlong form, no surrogate: their second byte
   needs no check), 16 bytes at a time?  false also when it cannot tell
   (other leads, a sequence cut off at the end): valid_utf8 then reads it
   byte by byte.  Vietnamese text is nearly all of these forms, and a
   branch per character would mispredict at every change of length. */
static bool common_utf8(const unsigned char *s, size_t n)
{
#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
    uint32_t due = 0; /* continuation bytes the block before wants in this one */
    unsigned char tail[16];
    for (size_t i = 0; i < n; i += 16) {
        __m128i x;
        if (n - i >= 16) {
            x = _mm_loadu_si128((const __m128i *)(s + i));
        } else { /* padded with ASCII: a sequence cut off leaves bits due */
            memset(tail, 'a', sizeof tail);
            memcpy(tail, s + i, n - i);
            x = _mm_loadu_si128((const __m128i *)tail);
        }
        uint32_t hi = (uint32_t)_mm_movemask_epi8(x);
        if (!hi && !due) continue;
        /* signed bytes: 80..BF below C0; C2..DF above C1 and below E0;
           E1..EF above E0 and below F0 */
        uint32_t cont = (uint32_t)_mm_movemask_epi8(_mm_cmplt_epi8(x, _mm_set1_epi8((char)0xC0)));
        uint32_t l2 = (uint32_t)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)0xC1)),
                          _mm_cmplt_epi8(x, _mm_set1_epi8((char)0xE0))));
        uint32_t l3 = (uint32_t)_mm_movemask_epi8(
            _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xED)),
                             _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)0xE0)),
                                           _mm_cmplt_epi8(x, _mm_set1_epi8((char)0xF0)))));
        if (hi & ~(cont | l2 | l3)) return false;
        uint32_t want = due | l2 << 1 | l3 << 1 | l3 << 2;
        if ((want & 0xFFFF) != cont) return false; /* continuation bytes exactly where due */
        due = want >> 16;
    }
    return !due;
#else
    (void)s;
    (void)n;
    return false;
#endif
}

/* UTF-8, possibly damaged: valid, or its multi-byte sequences outnumber its
   invalid bytes at least 2 to 1 (a sequence cut off by the end of a truncated
   file does not count against it).  Damaged UTF-8 is decoded as UTF-8 with
   U+FFFD and warnings, not reread as a legacy encoding. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    if (common_utf8(s, n)) return true;
    size_t good = 0, bad = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            uint64_t w; /* ASCII runs 8 bytes at a time */
            while (i + 8 <= n && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull))) i += 8;
            while (i < n && s[i] < 0x80) i++;
            continue;
        }
        /* the common valid sequences inline (2 bytes; 3 bytes led by
           E1..EC, which have neither overlongs nor surrogates) */
        if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            good++;
            i += 2;
            continue;
        }
        if (s[i] >= 0xE1 && s[i] <= 0xEC && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            good++;
            i += 3;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t adv = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &c);
        if (adv <= 0) {
            /* a lead byte whose sequence runs past the end: truncated input */
            size_t need = s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : s[i] >= 0xC0 ? 2 : 0;
            bool cut = need && i + need > n;
            for (size_t k = i + 1; cut && k < n; k++) cut = (s[k] & 0xC0) == 0x80;
            if (cut) break;
            bad++;
            i++;
            continue;
        }
        good++;
        i += (size_t)adv;
    }
    return bad == 0 || good >= 2 * bad;
}

/* ---- mojibake: UTF-8 read as Windows-1252 and saved as UTF-8 --------------- */
static int cp1252_byte(int32_t c)
{
    if (c >= 0x80 && c <= 0xFF) return (int)c; /* Latin-1 half and the C1 codes */
    /* the signs of 80..9F lie in U+0152..0192, U+02C6..02DC, U+2013..2122:
       Vietnamese letters (U+0102.., U+01A0.., U+1EA0..) are none of them */
    if (c < 0x152 || (c > 0x192 && c < 0x2C6) || (c > 0x2DC && c < 0x2013) || c > 0x2122)
        return -1;
    for (int b = 0x80; b < 0xA0; b++)
        if (vbi_tab_cp1252[b] == c) return b;
    return -1;
}

/* Length of the mojibake sequence at v[i] and the character it stood for. */
static size_t moji_at(const cpvec *v, size_t i, int32_t *out)
{
    int b0 = cp1252_byte(v->cp[i]);
    if (b0 < 0xC2 || b0 > 0xF4) return 0;
    size_t k = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : 1;
    if (i + k >= v->n) return 0;
    unsigned char bytes[4] = {(unsigned char)b0};
    for (size_t j = 1; j <= k; j++) {
        int b = cp1252_byte(v->cp[i + j]);
        if (b < 0x80 || b > 0xBF) return 0;
        bytes[j] = (unsigned char)b;
    }
    utf8proc_int32_t c;
    if (utf8proc_iterate(bytes, (utf8proc_ssize_t)(k + 1), &c) != (utf8proc_ssize_t)(k + 1))
        return 0;
    *out = c;
    return k + 1;
}

/* Cheap test on the bytes: mojibake needs a Latin-1 letter (C3 82..C3 B4)
   followed by a character standing for a continuation byte (C2 xx, or a
   Windows-1252 sign: C5 xx, C6 92, CB xx, E2 80 xx, E2 82 AC, E2 84 A2),
   twice.
   Each mojibake sequence starts so, which bounds their number (p); a
   letter of the Vietnamese block (E1 BA xx, E1 BB xx) is never part of
   one, and fix_mojibake wants four sequences for each character that is
   not: so ordinary Vietnamese text with "à" before a no-break space or a
   curly quote is turned away here, without a trial decode. */
static bool maybe_mojibake(const unsigned char *s, size_t n)
{
    size_t seen = 0, viet = 0;
    if (!s || n == 0) return false;
    for (const unsigned char *p = s; (p = memchr(p, 0xC3, (size_t)(s + n - p))) != NULL; p++) {
        if (s + n - p < 4 || p[1] < 0x82 || p[1] > 0xB4) continue;
        unsigned char a = p[2], b = p[3];
        if (a == 0xC2 || a == 0xC5 || a == 0xCB || (a == 0xC6 && b == 0x92) ||
            (a == 0xE2 && (b == 0x80 || b == 0x82 || b == 0x84)))
            seen++;
    }
    if (seen < 2) return false;
    for (const unsigned char *p = s; (p = memchr(p, 0xE1, (size_t)(s + n - p))) != NULL; p++)
        if (s + n - p >= 3 && (p[1] == 0xBA || p[1] == 0xBB) && ++viet * 4 > seen) return false;
    return true;
}

/* Repair when most non-ASCII text is mojibake.  Returns 1 when repaired. */
static int fix_mojibake(cpvec *v, size_t *count)
{
    size_t seqs = 0, lone = 0;
    for (size_t i = 0; i < v->n;) {
        int32_t c;
        size_t k = moji_at(v, i, &c);
        if (k) {
            seqs++;
            i += k;
        } else {
            if (v->cp[i] >= 0x80 && v->cp[i] != 0xFEFF) lone++;
            i++;
        }
    }
    *count = seqs;
    if (seqs < 2 || seqs < 4 * lone) return 0;
    size_t o = 0;
    for (size_t i = 0; i < v->n;) {
        int32_t c;
        size_t k = moji_at(v, i, &c);
        v->off[o] = v->off[i];
        v->cp[o++] = k ? c : v->cp[i];
        i += k ? k : 1;
    }
    v->n = o;
    return 1;
}

/* ---- Vietnamese syllables: the detection score -------------------------- */
static bool is_letter(int32_t c)
{
    if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           k == UTF8PROC_CATEGORY_MN;
}

/* Spell a word without tones: a..z, D = đ, A Â, W Ă, E Ê, O Ô, P Ơ, U Ư. */
static bool key_of(const int32_t *w, size_t n, char *key, size_t *kl)
{
    size_t o = 0;
    int tones = 0;
    for (size_t i = 0; i < n; i++) {
        utf8proc_int32_t d[8];
        int bc = 0;
        utf8proc_ssize_t m = utf8proc_decompose_char(w[i], d, 8, UTF8PROC_DECOMPOSE, &bc);
        if (m <= 0 || m > 8) return false;
        for (utf8proc_ssize_t j = 0; j < m; j++) {
            int32_t c = d[j];
            if (c == 0x300 || c == 0x301 || c == 0x303 || c == 0x309 || c == 0x323) {
                if (++tones > 1) return false;
                continue;
            }
            if (o >= 12) return false;
            char *last = o ? &key[o - 1] : NULL;
            if (c == 0x302 && last && (*last == 'a' || *last == 'e' || *last == 'o')) {
                *last = (char)(*last - 32);
            } else if (c == 0x306 && last && *last == 'a') {
                *last = 'W';
            } else if (c == 0x31B && last && (*last == 'o' || *last == 'u')) {
                *last = *last == 'o' ? 'P' : 'U';
            } else {
                c = utf8proc_tolower(c);
                if (c == 0x111) key[o++] = 'D';
                else if (c >= 'a' && c <= 'z') key[o++] = (char)c;
                else return false;
            }
        }
    }
    *kl = o;
    return o > 0;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && !memcmp(*list, s, n)) return true;
    return false;
}

static bool syllable(const char *k, size_t n)
{
    static const char *const initials[] = {
        "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu", "b", "c", "d", "D",
        "g",   "h",  "k",  "l",  "m",  "n",  "p",  "q",  "r",  "s",  "t",  "v", "x", "",  NULL};
    static const char *const finals[] = {"ng", "nh", "ch", "c", "m", "n", "p", "t", "", NULL};
    static const char *const nuclei[] = {
        "a",  "W",  "A",  "e",  "E",  "i",  "o",   "O",   "P",   "u",   "U",   "y",   "ai",
        "ao", "au", "ay", "Au", "Ay", "eo", "Eu",  "ia",  "iE",  "iu",  "oa",  "oW",  "oe",
        "oi", "Oi", "Pi", "ua", "uA", "uE", "ui",  "uO",  "uP",  "uy",  "Ua",  "Ui",  "UP",
        "Uu", "yE", "oo", "iEu", "yEu", "oai", "oay", "oeo", "uAy", "uOi", "UPi", "UPu", "uya",
        "uyE", "uyu", NULL};
    for (const char *const *I = initials; *I; I++) {
        size_t il = strlen(*I);
        if (il > n || memcmp(k, *I, il)) continue;
        for (const char *const *F = finals; *F; F++) {
            size_t fl = strlen(*F);
            if (il + fl >= n || memcmp(k + n - fl, *F, fl)) continue;
            if (in_list(nuclei, k + il, n - il - fl)) return true;
        }
    }
    return false;
}

static long score(const cpvec *v)
{
    long s = 0;
    for (size_t i = 0; i < v->n;) {
        int32_t c = v->cp[i];
        if (!is_letter(c)) {
            if ((c >= 0x80 && c < 0xA0) || c == 0xFFFD) s -= 3;
            i++;
            continue;
        }
        size_t j = i;
        bool wide = false;
        while (j < v->n && is_letter(v->cp[j])) wide |= v->cp[j++] >= 0x80;
        if (wide) {
            char key[16];
            size_t kl;
            s += key_of(v->cp + i, j - i, key, &kl) && syllable(key, kl) ? 2 : -1;
        }
        i = j;
    }
    return s;
}

/* ---- TCVN3: restore the case of letters typed with the upper-case fonts ---- */
static bool from_table(const unsigned char *s, const cpvec *v, size_t i)
{
    return s[v->off[i]] >= 0x80 && utf8proc_category(v->cp[i]) == UTF8PROC_CATEGORY_LL;
}

/* Does a sentence start at v[i]?  Start of text, after . ! ? and space, or at
   the start of a line when the line before ended a sentence or was blank. */
static bool sentence_start(const cpvec *v, size_t i)
{
    bool nl = false;
    while (i > 0) {
        int32_t c = v->cp[--i];
        if (c == '\n') {
            if (nl) { /* a blank line, unless the text before ends with a comma */
                while (i > 0 && (v->cp[i - 1] == ' ' || v->cp[i - 1] == '\n' ||
                                 v->cp[i - 1] == '\r' || v->cp[i - 1] == '\t'))
                    i--;
                return i == 0 || v->cp[i - 1] != ',';
            }
            nl = true;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '*' || c == '-' || c == '+' ||
                   c == '#' || c == 0x2022 || c == 0xA0) {
            continue;
        } else {
            return c == '.' || c == '!' || c == '?' || (nl && (c == ':' || c == ';'));
        }
    }
    return true;
}

/* A cell break: end of line, a tab or 3+ spaces (flattened header columns). */
static bool cell_break(const cpvec *v, size_t k)
{
    int32_t c = v->cp[k];
    return c == '\n' || c == '\t' ||
           (c == ' ' && k + 2 < v->n && v->cp[k + 1] == ' ' && v->cp[k + 2] == ' ');
}

/* Next word in the cell after [.., j): 1 all caps, 0 not, -1 none. */
static int next_word_caps(const unsigned char *s, const cpvec *v, size_t j)
{
    size_t k = j, nu = 0, nl = 0;
    while (k < v->n && !is_letter(v->cp[k]) && !cell_break(v, k)) k++;
    for (; k < v->n && is_letter(v->cp[k]); k++) {
        utf8proc_category_t cat = utf8proc_category(v->cp[k]);
        if (cat == UTF8PROC_CATEGORY_LU) nu++;
        else if (cat == UTF8PROC_CATEGORY_LL && !from_table(s, v, k)) nl++;
    }
    return nu + nl == 0 ? -1 : (nu && !nl);
}

/* Does the word v[i, j) read as w (UTF-8, lower case)? */
static bool word_is(const cpvec *v, size_t i, size_t j, const char *w)
{
    size_t n = strlen(w), o = 0;
    for (size_t k = i; k < j; k++) {
        utf8proc_uint8_t b[4];
        utf8proc_ssize_t l = utf8proc_encode_char(utf8proc_tolower(v->cp[k]), b);
        if (l <= 0 || o + (size_t)l > n || memcmp(w + o, b, (size_t)l)) return false;
        o += (size_t)l;
    }
    return o == n;
}

/* A pair of tcvn3-capitals.tsv starting at the word v[i, j)? */
static bool capital_pair(const cpvec *v, size_t i, size_t j)
{
    size_t k = j;
    while (k < v->n && v->cp[k] == ' ') k++;
    size_t e = k;
    while (e < v->n && is_letter(v->cp[e])) e++;
    if (k == j || e == k) return false;
    for (size_t p = 0; p < vbi_tcvn3_capitals_count; p++)
        if (word_is(v, i, j, vbi_tcvn3_capitals[p].first) &&
            word_is(v, k, e, vbi_tcvn3_capitals[p].next))
            return true;
    return false;
}

/* VN3 has no upper-case letters with tone marks: writers used the upper-case
   fonts with the lower-case codes.  A table letter becomes upper case in a
   word whose other letters are upper case (beyond a first capital, which
   must agree with the words around), or, alone, between upper-case words;
   the first letter of a sentence is a capital. */
static void tcvn3_recase(const unsigned char *s, cpvec *v)
{
    int pw_caps = -1; /* previous word in the cell: 1 caps, 0 not, -1 none */
    for (size_t i = 0; i < v->n;) {
        if (!is_letter(v->cp[i])) {
            if (cell_break(v, i)) pw_caps = -1;
            i++;
            continue;
        }
        size_t j = i, up = 0, lo = 0, tab = 0;
        for (; j < v->n && is_letter(v->cp[j]); j++) {
            if (from_table(s, v, j)) tab++;
            else if (utf8proc_category(v->cp[j]) == UTF8PROC_CATEGORY_LU) up++;
            else if (utf8proc_category(v->cp[j]) == UTF8PROC_CATEGORY_LL) lo++;
        }
        bool caps = false;
        if (tab && !lo) {
            if (up >= 2 || (up == 1 && from_table(s, v, i))) {
                caps = true; /* "CỘNG", "ỦY": a capital that is not the first letter */
            } else {
                /* "Bí" or "BÍ", "Ở" or "ở": follow the words around */
                int nx = next_word_caps(s, v, j);
                caps = nx == 1 || (nx == -1 && pw_caps == 1);
            }
        }
        if (caps) {
            for (size_t k = i; k < j; k++)
                if (from_table(s, v, k)) v->cp[k] = utf8proc_toupper(v->cp[k]);
        } else if (from_table(s, v, i) && (sentence_start(v, i) || capital_pair(v, i, j))) {
            v->cp[i] = utf8proc_toupper(v->cp[i]);
        }
        pw_caps = (caps || (up && !lo && up + tab >= 2)) ? 1 : 0;
        i = j;
    }
}

/* ---- putting it together -------------------------------------------------- */
static int decode_as(int id, const unsigned char *s, size_t n, cpvec *v)
{
    switch (id) {
    case E_UTF16LE: return dec_icu("UTF-16LE", s, n, v);
    case E_UTF16BE: return dec_icu("UTF-16BE", s, n, v);
    case E_CP1258: return dec_icu("windows-1258", s, n, v);
    case E_VNI: return dec_vni(s, n, v);
    case E_TCVN3: {
        int rc = dec_table(vbi_tab_tcvn3, s, n, v);
        if (!rc) tcvn3_recase(s, v);
        return rc;
    }
    case E_VISCII: return dec_table(vbi_tab_viscii, s, n, v);
    default: return dec_utf8(s, n, v);
    }
}

static int detect_legacy(const unsigned char *s, size_t n, int *out)
{
    static const int order[] = {E_CP1258, E_VNI, E_TCVN3, E_VISCII};
    size_t m = n > ((size_t)256 << 10) ? (size_t)256 << 10 : n;
    long best = 0;
    *out = E_CP1258;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        cpvec v = {0};
        int rc = decode_as(order[i], s, m, &v);
        long sc = rc ? 0 : score(&v);
        cv_free(&v);
        if (rc) return rc;
        if (i == 0 || sc > best) {
            best = sc;
            *out = order[i];
        }
    }
    return 0;
}

static int emit(vanban_parser *p, const cpvec *v, size_t total)
{
    vbi_buf *b = &p->conv;
    b->len = 0;
    if (vbi_buf_reserve(b, v->n * 4 + 1)) return VANBAN_ENOMEM;
    free(p->omap);
    p->omap = malloc((v->n * 4 + 1) * sizeof *p->omap);
    if (!p->omap) return VANBAN_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        int32_t c = v->cp[i];
        if (c == 0xFEFF && v->off[i] == 0 && i == 0) continue; /* the BOM */
        utf8proc_ssize_t k = utf8proc_encode_char(c, (utf8proc_uint8_t *)b->p + b->len);
        if (k <= 0) k = utf8proc_encode_char(0xFFFD, (utf8proc_uint8_t *)b->p + b->len);
        for (utf8proc_ssize_t j = 0; j < k; j++) p->omap[b->len + (size_t)j] = v->off[i];
        b->len += (size_t)k;
    }
    p->omap[b->len] = (uint32_t)total;
    return 0;
}

int vbi_decode_input(vanban_parser *p)
{
    const unsigned char *s = (const unsigned char *)p->input.p;
    size_t n = p->input.len;
    int id = p->enc_forced;
    p->encoding = enc_names[E_UTF8];
    if (id < 0) {
        if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE) id = E_UTF16LE;
        else if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF) id = E_UTF16BE;
    }
    /* Binary: a NUL byte near the start (as git and grep judge) or NULs
       making 1% of the input.  A stray NUL later in a text is dropped (by
       normalize) with a warning instead. */
    if (p->have_nul && id != E_UTF16LE && id != E_UTF16BE) {
        if (p->first_nul < 8192 || p->nuls * 100 >= p->total) {
            p->error_offset = (size_t)p->first_nul;
            return VANBAN_ENOTTEXT;
        }
        int w = vbi_add_warning(p, "nul-byte", p->first_nul,
                                "%llu NUL byte(s) dropped, the first at offset %llu",
                                (unsigned long long)p->nuls, (unsigned long long)p->first_nul);
        if (w) return w;
    }
    if (id < 0 && valid_utf8(s, n)) id = E_UTF8;
    int rc = 0;
    if (id < 0 && (rc = detect_legacy(s, n, &id))) return rc;
    p->encoding = enc_names[id];
    bool repair = !(p->opt.flags & VANBAN_OPT_NO_REPAIR);
    if (id == E_UTF8 && (p->enc_forced >= 0 || !repair || !maybe_mojibake(s, n))) return 0;
    cpvec v = {0};
    rc = decode_as(id, s, n, &v);
    size_t seqs = 0;
    if (!rc && id == E_UTF8) {
        if (!fix_mojibake(&v, &seqs)) {
            cv_free(&v);
            return 0; /* ordinary UTF-8: no conversion */
        }
        p->encoding = "utf-8-mojibake";
        rc = vbi_add_warning(p, "mojibake", 0,
                             "%zu characters of UTF-8 that had been read as Windows-1252 "
                             "repaired",
                             seqs);
    }
    if (!rc) rc = emit(p, &v, n);
    p->enc_decomposed = id == E_CP1258;
    cv_free(&v);
    return rc;
}
