/* seg_util.c - helpers shared by the segmentation stages: spans, rule
 * matching on pieces of lines, string accumulators, line predicates, dates,
 * list items. */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

vbi_span seg_span(const seg *S, size_t off, size_t len)
{
    vbi_span sp = {VBI_NONE, VBI_NONE};
    if (len == 0) return sp;
    sp.s = S->p->ms[off];
    sp.e = S->p->me[off + len - 1];
    return sp;
}

vbi_span span_join(vbi_span a, vbi_span b)
{
    if (a.s == VBI_NONE) return b;
    if (b.s == VBI_NONE) return a;
    vbi_span r = {a.s < b.s ? a.s : b.s, a.e > b.e ? a.e : b.e};
    return r;
}

vbi_span line_span(const seg *S, size_t i) { return seg_span(S, S->L[i].off, LEN(S, i)); }

bool match(seg *S, vbi_rule_id r, size_t off, size_t len)
{
    return vbi_match(S->p, r, S->t + off, len, 0);
}

bool match_line(seg *S, vbi_rule_id r, size_t i)
{
    return vbi_match(S->p, r, TXT(S, i), LEN(S, i), 0);
}

bool match_piece(seg *S, vbi_rule_id r, size_t off, size_t len, size_t *so, size_t *eo)
{
    if (!vbi_match(S->p, r, S->t + off, len, 0)) return false;
    if (so) {
        vbi_group0(S->p, so, eo);
        *so += off;
        *eo += off;
    }
    return true;
}

bool group(seg *S, vbi_rule_id r, const char *name, size_t base, size_t *so, size_t *eo)
{
    if (!vbi_group(S->p, r, name, so, eo)) return false;
    *so += base;
    *eo += base;
    return *eo > *so;
}

/* ---- string accumulator ------------------------------------------------- */

void acc_init(acc *a)
{
    memset(a, 0, sizeof *a);
    a->span.s = a->span.e = VBI_NONE;
}

int acc_add(seg *S, acc *a, size_t off, size_t len)
{
    const char *s = S->t + off;
    while (len && s[0] == ' ') { s++; off++; len--; }
    while (len && s[len - 1] == ' ') len--;
    if (!len) return 0;
    if (a->b.len && vbi_buf_put(&a->b, " ", 1)) return VANBAN_ENOMEM;
    if (vbi_buf_put(&a->b, s, len)) return VANBAN_ENOMEM;
    a->span = span_join(a->span, seg_span(S, off, len));
    return 0;
}

int acc_take(seg *S, acc *a, vbi_str *out)
{
    out->s = NULL;
    out->span.s = out->span.e = VBI_NONE;
    if (a->b.len) {
        out->s = vbi_arena_strndup(&S->r->arena, a->b.p, a->b.len);
        if (!out->s) { vbi_buf_free(&a->b); return VANBAN_ENOMEM; }
        out->span = a->span;
    }
    vbi_buf_free(&a->b);
    a->span.s = a->span.e = VBI_NONE;
    return 0;
}

int str_of(seg *S, size_t off, size_t len, vbi_str *out)
{
    acc a;
    acc_init(&a);
    if (acc_add(S, &a, off, len)) { vbi_buf_free(&a.b); return VANBAN_ENOMEM; }
    return acc_take(S, &a, out);
}

char *seg_dup(seg *S, size_t off, size_t len)
{
    return vbi_arena_strndup(&S->r->arena, S->t + off, len);
}

/* Trim a list item: leading dash (trailing , ; . are trimmed when the item
   is complete, so that a continuation keeps the comma before it). */
void trim_item(seg *S, size_t *off, size_t *len)
{
    const unsigned char *s = (const unsigned char *)S->t + *off;
    size_t n = *len, i = 0;
    while (i < n && s[i] == ' ') i++;
    for (int k = 0; k < 2; k++) { /* one bullet, or two as OCR reads one ("- —") */
        if (i < n && (s[i] == '-' || s[i] == '+' || s[i] == '*' || s[i] == '~')) {
            i++;
        } else if (n - i >= 3 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0x93 || s[i + 2] == 0x94 || s[i + 2] == 0xA2)) {
            i += 3; /* – — • */
        } else {
            break;
        }
        while (i < n && s[i] == ' ') i++;
    }
    while (n > i && s[n - 1] == ' ') n--;
    *off += i;
    *len = n - i;
}

/* ---- line predicates ---------------------------------------------------- */

bool is_dash_item(seg *S, size_t i) { return match_line(S, R_LIST_ITEM, i); }

bool is_label(seg *S, size_t i) { return match_line(S, R_SECTION_LABEL, i); }

bool is_heading_line(const seg *S, size_t i)
{
    return (S->L[i].flags & (VBI_L_BOLD | VBI_L_ITALIC | VBI_L_HEADING)) && S->L[i].nchars <= 240;
}

bool is_name(seg *S, size_t i)
{
    return S->L[i].nchars <= 48 && match_line(S, R_PERSON_NAME, i);
}

/* Next non-blank line at or after i (soft blanks are skipped too). */
size_t next_nb(const seg *S, size_t i, size_t end)
{
    while (i < end && blank(S, i)) i++;
    return i;
}

/* Number of real (non-soft) blank lines in (a, b). */
size_t gap(const seg *S, size_t a, size_t b)
{
    size_t g = 0;
    for (size_t k = a + 1; k < b; k++)
        if (blank(S, k) && !S->soft[k]) g++;
    return g;
}

/* ---- dates -------------------------------------------------------------- */

static int num_of(const char *s, size_t a, size_t b)
{
    int v = 0;
    for (size_t k = a; k < b && v < 100000; k++)
        if (s[k] >= '0' && s[k] <= '9') v = v * 10 + (s[k] - '0');
    return v;
}

/* After a match of a rule with groups d, m, y: write YYYY-MM-DD. */
bool take_date(seg *S, vbi_rule_id r, size_t base, char out[11])
{
    size_t a, b, c, d2, e, f;
    if (!group(S, r, "d", base, &a, &b) || !group(S, r, "m", base, &c, &d2) ||
        !group(S, r, "y", base, &e, &f))
        return false;
    int d = num_of(S->t, a, b), m = num_of(S->t, c, d2), y = num_of(S->t, e, f);
    if (y == 0 || !vbi_valid_date(y, m, d)) return false;
    vbi_format_date(out, y, m, d);
    return true;
}

/* ---- text shape --------------------------------------------------------- */

/* Does the text start with a capital letter? */
bool upper_at(const char *s, size_t n)
{
    size_t adv;
    int32_t c = vbi_utf8_decode(s, n, &adv);
    return vbi_is_letter_cp(c) && !vbi_is_lower_cp(c);
}

/* Is the text all upper case (at least two letters)? */
bool caps_text(const char *s, size_t n)
{
    size_t letters = 0;
    for (size_t k = 0; k < n;) {
        size_t adv;
        int32_t c = vbi_utf8_decode(s + k, n - k, &adv);
        k += adv ? adv : 1;
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z') return false;
            if (c >= 'A' && c <= 'Z') letters++;
        } else {
            if (vbi_is_lower_cp(c)) return false;
            if (vbi_is_letter_cp(c)) letters++;
        }
    }
    return letters >= 2;
}

bool no_lower(const char *s, size_t n)
{
    for (size_t k = 0; k < n;) {
        size_t adv;
        int32_t c = vbi_utf8_decode(s + k, n - k, &adv);
        k += adv ? adv : 1;
        if ((c >= 'a' && c <= 'z') || (c >= 0x80 && vbi_is_lower_cp(c))) return false;
    }
    return true;
}

/* Most letters upper case ("PHÓ Bí THƯ" before its case is repaired). */
bool mostly_caps(const char *s, size_t n)
{
    size_t letters = 0, lower = 0;
    for (size_t k = 0; k < n;) {
        size_t adv;
        int32_t c = vbi_utf8_decode(s + k, n - k, &adv);
        k += adv ? adv : 1;
        if (vbi_is_letter_cp(c)) {
            letters++;
            if (vbi_is_lower_cp(c)) lower++;
        }
    }
    return letters >= 4 && lower * 4 <= letters;
}

bool only_punct(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c >= 0x80) {
            /* dashes – — and bullets are 3-byte punctuation starting 0xE2 */
            if (c == 0xE2 && k + 2 < n) { k += 2; continue; }
            if (c == 0xC2 && k + 1 < n) { k += 1; continue; } /* « » · ¬ NBSP (U+0080-00BF) */
            return false;
        }
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return false;
    }
    return true;
}

size_t count_words(const char *s, size_t n)
{
    size_t w = 0;
    bool in = false;
    for (size_t k = 0; k < n; k++) {
        bool sp = s[k] == ' ';
        if (!sp && !in) w++;
        in = !sp;
    }
    return w;
}

const char *seg_find(const char *s, size_t n, const char *needle, size_t m)
{
    if (m == 0) return s;
    if (m > n) return NULL;
    const char *end = s + n - m + 1;
    for (const char *q = s; q < end; q++) {
        q = memchr(q, needle[0], (size_t)(end - q));
        if (!q) return NULL;
        if (!memcmp(q, needle, m)) return q;
    }
    return NULL;
}

bool seg_has(const char *s, size_t n, const char *needle)
{
    return seg_find(s, n, needle, strlen(needle)) != NULL;
}

/* ---- lists (addressees, recipients) ------------------------------------ */

int list_push(strlist *l, vbi_str s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        vbi_str *v = realloc(l->v, cap * sizeof *v);
        if (!v) return VANBAN_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

int item_flush(seg *S, item *it, strlist *l)
{
    if (!it->open) return 0;
    it->open = false;
    vbi_str s;
    /* trim trailing , ; . : of the joined text */
    while (it->a.b.len && strchr(",;.: ", it->a.b.p[it->a.b.len - 1])) it->a.b.len--;
    if (only_punct(it->a.b.p ? it->a.b.p : "", it->a.b.len)) { /* "-", "- -" of an empty row */
        vbi_buf_free(&it->a.b);
        return 0;
    }
    if (acc_take(S, &it->a, &s)) return VANBAN_ENOMEM;
    if (!s.s) return 0;
    return list_push(l, s);
}

/* "Lưu: VT, ..." (the last item of a recipients list, by convention). */
bool is_luu_item(const char *s, size_t n)
{
    return n >= 4 && (!memcmp(s, "L\xc6\xb0u", 4) || !memcmp(s, "L\xc6\xafU", 4));
}

/* Letters in s (a UTF-8 lead byte counts as one); *upper: any capital. */
static size_t letters(const char *s, size_t n, bool *upper)
{
    size_t k = 0;
    *upper = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') k++;
        else if (c >= 0xC0) k++;
        if (c >= 'A' && c <= 'Z') *upper = true;
        if (c == 0xC4 && i + 1 < n && (unsigned char)s[i + 1] == 0x90) *upper = true; /* Đ */
    }
    return k;
}

/* Debris a scan leaves at the end of a list line (a stamp, the other
   column): "Bộ Văn hóa...; re", "Các d/c lãnh đạo BQP; ì" lose what follows
   the last ';' when it has no capital and at most two letters; a "Lưu" item
   ends at ")." or at ". " before anything but a capital or the count of
   copies ("Lưu: VT (VDuần). 8"; "Lưu: VT, KTN. (11 bản)" stays), and after its last ')' when only marks follow ("(2)\"4\""). */
static size_t cut_debris(const char *s, size_t n)
{
    bool up;
    for (size_t i = n; i-- > 0;)
        if (s[i] == ';') {
            if (i + 1 < n && letters(s + i + 1, n - i - 1, &up) <= 2 && !up) n = i;
            break;
        }
    if (!is_luu_item(s, n)) return n;
    for (size_t i = 4; i + 2 < n; i++) {
        unsigned char nx = (unsigned char)s[i + 2];
        if (s[i] == '.' && s[i + 1] == ' ' &&
            (s[i - 1] == ')' || (nx < 0x80 && nx != '(' && !(nx >= 'A' && nx <= 'Z')))) {
            n = i;
            break;
        }
    }
    for (size_t i = n; i-- > 4;)
        if (s[i] == ')') {
            if (letters(s + i + 1, n - i - 1, &up) == 0) n = i + 1;
            break;
        }
    return n;
}

int item_add(seg *S, item *it, size_t off, size_t len, bool is_new, strlist *l)
{
    if (is_new) {
        int rc = item_flush(S, it, l);
        if (rc) return rc;
        acc_init(&it->a);
        it->open = true;
    }
    size_t o = off, n = len;
    if (is_new) trim_item(S, &o, &n);
    else
        while (n && S->t[o + n - 1] == ' ') n--;
    size_t c = cut_debris(S->t + o, n);
    const char *s = S->t + off;
    size_t m = len;
    while (m && s[m - 1] == ' ') m--;
    it->ended = c < n || (m && (s[m - 1] == '.' || s[m - 1] == ';')); /* cut: it ends there */
    it->semi = c == n && m && s[m - 1] == ';';
    n = c;
    return acc_add(S, &it->a, o, n);
}
