/* segment.c - normalized lines -> documents -> header fields, addressees,
 * section tree, distribution list, signature.
 *
 * One pass over the lines, one document at a time:
 *   header zone   lines until the body starts (Kính gửi, Căn cứ, a section
 *                 label, a separator rule, or a sentence paragraph).  Every
 *                 header line is cut into pieces: national header, motto,
 *                 number, date line and stamp fields are carved out wherever
 *                 they stand (OCR flattens the two columns); what is left is
 *                 an upper-case piece (issuer, type, stamp receiver) or text
 *                 (subject).
 *   addressees    the list after "Kính gửi:".
 *   content       paragraphs (wrapped lines rejoined) -> section tree.
 *   tail          from "Nơi nhận:" or a signing marker: recipients and
 *                 signature, until the next document's header.
 * All work is linear in the number of lines: each line is looked at a bounded
 * number of times, and the section tree is built with a stack.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define MAX_HEADER_LINES 48

typedef struct {
    vanban_parser *p;
    const vanban_model *m;
    vanban_result *r;
    const char *t;
    vbi_line *L;
    size_t n;
    unsigned char *soft; /* blank line ignored in a hard-wrapped text */
    bool hardwrap;
    uint32_t wrap; /* typical length of a full line of the current document */
} seg;

#define TXT(S, i) ((S)->t + (S)->L[i].off)
#define LEN(S, i) ((S)->L[i].len)

static bool blank(const seg *S, size_t i) { return S->L[i].flags & VBI_L_BLANK; }

static vbi_span mkspan(const seg *S, size_t off, size_t len)
{
    vbi_span sp = {VBI_NONE, VBI_NONE};
    if (len == 0) return sp;
    sp.s = S->p->ms[off];
    sp.e = S->p->me[off + len - 1];
    return sp;
}

static vbi_span span_join(vbi_span a, vbi_span b)
{
    if (a.s == VBI_NONE) return b;
    if (b.s == VBI_NONE) return a;
    vbi_span r = {a.s < b.s ? a.s : b.s, a.e > b.e ? a.e : b.e};
    return r;
}

/* Match rule r against the piece [off, off+len) as a subject of its own, so
   that ^ and $ anchor to the piece.  Group offsets are relative to off. */
static bool match(seg *S, vbi_rule_id r, size_t off, size_t len)
{
    return vbi_match(S->p, r, S->t + off, len, 0);
}

/* match anchored to [off, off+len): subject is the piece only */
static bool match_piece(seg *S, vbi_rule_id r, size_t off, size_t len, size_t *so, size_t *eo)
{
    if (!vbi_match(S->p, r, S->t + off, len, 0)) return false;
    if (so) {
        vbi_group0(S->p, so, eo);
        *so += off;
        *eo += off;
    }
    return true;
}

static bool group(seg *S, vbi_rule_id r, const char *name, size_t base, size_t *so, size_t *eo)
{
    if (!vbi_group(S->p, r, name, so, eo)) return false;
    *so += base;
    *eo += base;
    return *eo > *so;
}

/* ---- string accumulator ------------------------------------------------- */
typedef struct {
    vbi_buf b;
    vbi_span span;
} acc;

static int acc_add(seg *S, acc *a, size_t off, size_t len)
{
    const char *s = S->t + off;
    while (len && s[0] == ' ') { s++; off++; len--; }
    while (len && s[len - 1] == ' ') len--;
    if (!len) return 0;
    if (a->b.len && vbi_buf_put(&a->b, " ", 1)) return VANBAN_ENOMEM;
    if (vbi_buf_put(&a->b, s, len)) return VANBAN_ENOMEM;
    a->span = span_join(a->span, mkspan(S, off, len));
    return 0;
}

static int acc_take(seg *S, acc *a, vbi_str *out)
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

static void acc_init(acc *a)
{
    memset(a, 0, sizeof *a);
    a->span.s = a->span.e = VBI_NONE;
}

static int str_of(seg *S, size_t off, size_t len, vbi_str *out)
{
    acc a;
    acc_init(&a);
    if (acc_add(S, &a, off, len)) { vbi_buf_free(&a.b); return VANBAN_ENOMEM; }
    return acc_take(S, &a, out);
}

static char *dup(seg *S, size_t off, size_t len)
{
    return vbi_arena_strndup(&S->r->arena, S->t + off, len);
}

/* Trim a list item: leading dash (trailing , ; . are trimmed when the item
   is complete, so that a continuation keeps the comma before it). */
static void trim_item(seg *S, size_t *off, size_t *len)
{
    const char *s = S->t + *off;
    size_t n = *len, i = 0;
    while (i < n && s[i] == ' ') i++;
    if (i < n && (s[i] == '-' || s[i] == '+' || s[i] == '*')) {
        i++;
    } else if (n - i >= 3 && ((unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
                              ((unsigned char)s[i + 2] == 0x93 || (unsigned char)s[i + 2] == 0x94 ||
                               (unsigned char)s[i + 2] == 0xA2))) {
        i += 3; /* – — • */
    }
    while (i < n && s[i] == ' ') i++;
    while (n > i && s[n - 1] == ' ') n--;
    *off += i;
    *len = n - i;
}

/* ---- line predicates ---------------------------------------------------- */

static bool is_dash_item(seg *S, size_t i) { return match(S, R_LIST_ITEM, S->L[i].off, LEN(S, i)); }

static bool is_label(seg *S, size_t i) { return match(S, R_SECTION_LABEL, S->L[i].off, LEN(S, i)); }

static bool is_heading_line(const seg *S, size_t i)
{
    return (S->L[i].flags & (VBI_L_BOLD | VBI_L_ITALIC | VBI_L_HEADING)) && S->L[i].nchars <= 240;
}

static bool is_name(seg *S, size_t i)
{
    return S->L[i].nchars <= 48 && match(S, R_PERSON_NAME, S->L[i].off, LEN(S, i));
}

static bool is_anchor(seg *S, size_t i)
{
    if (blank(S, i) || S->L[i].nchars > 120) return false;
    size_t off = S->L[i].off, len = LEN(S, i);
    if (match(S, R_STAMP_DEN, off, len)) return false;
    return match(S, R_NUMBER, off, len) || match(S, R_NATIONAL_STATE, off, len) ||
           match(S, R_NATIONAL_PARTY, off, len);
}

static bool is_anchor_any(seg *S, size_t i)
{
    if (blank(S, i) || S->L[i].nchars > 120) return false;
    size_t off = S->L[i].off, len = LEN(S, i);
    return is_anchor(S, i) || match(S, R_DATELINE, off, len) || match(S, R_MOTTO, off, len);
}

/* Next non-blank line at or after i (soft blanks are skipped too). */
static size_t next_nb(const seg *S, size_t i, size_t end)
{
    while (i < end && blank(S, i)) i++;
    return i;
}

/* Number of real (non-soft) blank lines in (a, b). */
static size_t gap(const seg *S, size_t a, size_t b)
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
static bool take_date(seg *S, vbi_rule_id r, size_t base, char out[11])
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

/* ---- header ------------------------------------------------------------- */

enum { P_TEXT, P_CAPS, P_USED };

typedef struct {
    size_t off, len;
    size_t line;
    int kind;
} piece;

typedef struct {
    piece *v;
    size_t n, cap;
} pieces;

static int add_piece(pieces *ps, size_t off, size_t len, size_t line, int kind)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 32;
        piece *v = realloc(ps->v, cap * sizeof *v);
        if (!v) return VANBAN_ENOMEM;
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = (piece){off, len, line, kind};
    return 0;
}

/* Is the text all upper case (at least two letters)? */
static bool caps_text(const char *s, size_t n)
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
            /* Vietnamese lower-case letters are all in these blocks; use the
               category through a cheap test: lower-case Latin letters above
               0x7F have a case mapping to a different code point. */
            if (vbi_is_lower_cp(c)) return false;
            if (vbi_is_letter_cp(c)) letters++;
        }
    }
    return letters >= 2;
}

/* Most letters upper case ("PHÓ Bí THƯ" before its case is repaired). */
static bool mostly_caps(const char *s, size_t n)
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

static bool only_punct(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c >= 0x80) {
            /* dashes – — and bullets are 3-byte punctuation starting 0xE2 */
            if (c == 0xE2 && k + 2 < n) { k += 2; continue; }
            return false;
        }
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return false;
    }
    return true;
}

typedef struct {
    size_t start;       /* first line of the document */
    size_t body;        /* first line after the header zone */
    bool issuer_of;     /* issuer taken from "CỦA X" */
    bool vv;
} hdr_state;

/* Carve a piece: try every header rule; recurse on the rest. */
static int carve(seg *S, vbi_doc *D, pieces *ps, size_t off, size_t len, size_t line, int depth)
{
    const char *s = S->t;
    while (len && s[off] == ' ') { off++; len--; }
    while (len && s[off + len - 1] == ' ') len--;
    if (!len) return 0;
    if (only_punct(s + off, len)) return 0;
    static const vbi_rule_id order[] = {R_NATIONAL_STATE, R_NATIONAL_PARTY, R_MOTTO, R_NUMBER,
                                        R_DATELINE, R_DATELINE_NUMERIC};
    if (depth < 6)
        for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
            vbi_rule_id r = order[k];
            size_t so, eo;
            if (!match_piece(S, r, off, len, &so, &eo)) continue;
            int rc = 0;
            switch (r) {
            case R_NATIONAL_STATE:
            case R_NATIONAL_PARTY:
                if (!D->national.s) rc = str_of(S, so, eo - so, &D->national);
                break;
            case R_MOTTO:
                if (!D->motto.s) rc = str_of(S, so, eo - so, &D->motto);
                break;
            case R_NUMBER:
                if (!D->has_number) {
                    size_t a, b;
                    D->has_number = true;
                    if (group(S, r, "raw", off, &a, &b)) rc = str_of(S, a, b - a, &D->number_raw);
                    if (!rc && group(S, r, "pnum", off, &a, &b)) {
                        D->num = dup(S, a, b - a);
                        if (group(S, r, "ptype", off, &a, &b)) D->num_type = dup(S, a, b - a);
                        if (group(S, r, "pissuer", off, &a, &b)) D->num_issuer = dup(S, a, b - a);
                    } else if (!rc && group(S, r, "snum", off, &a, &b)) {
                        D->num = dup(S, a, b - a);
                        if (group(S, r, "year", off, &a, &b)) D->num_year = dup(S, a, b - a);
                        if (group(S, r, "ssym", off, &a, &b)) {
                            /* "QĐ-UBND": type code then issuer; "UBND-VX": issuer only */
                            size_t dash = a;
                            while (dash < b && s[dash] != '-') dash++;
                            const vbi_doctype *t =
                                dash < b ? vbi_doctype_by_code(S->m, s + a, dash - a, VBI_FMT_STATE)
                                         : NULL;
                            if (t) {
                                D->num_type = dup(S, a, dash - a);
                                D->num_issuer = dup(S, dash + 1, b - dash - 1);
                            } else {
                                D->num_issuer = dup(S, a, b - a);
                            }
                        }
                    }
                    if (!rc && !D->num) rc = VANBAN_ENOMEM;
                }
                break;
            case R_DATELINE:
            case R_DATELINE_NUMERIC:
                if (!D->date[0]) {
                    size_t a, b;
                    if (take_date(S, r, off, D->date)) {
                        D->date_span = mkspan(S, so, eo - so);
                        if (group(S, r, "place", off, &a, &b)) {
                            while (b > a && (s[b - 1] == ' ' || s[b - 1] == ',')) b--;
                            rc = str_of(S, a, b - a, &D->place);
                        }
                    }
                }
                break;
            default:
                break;
            }
            if (rc) return rc;
            rc = carve(S, D, ps, off, so - off, line, depth + 1);
            if (!rc) rc = carve(S, D, ps, eo, off + len - eo, line, depth + 1);
            return rc;
        }
    return add_piece(ps, off, len, line, caps_text(s + off, len) ? P_CAPS : P_TEXT);
}

/* Where does the header zone end?  Returns the first body line. */
static size_t header_end(seg *S, size_t start, size_t end)
{
    bool typed = false, subj = false;
    size_t count = 0, last_nb = start;
    for (size_t i = start; i < end; i++) {
        if (blank(S, i)) continue;
        size_t off = S->L[i].off, len = LEN(S, i);
        if (++count > MAX_HEADER_LINES) return start; /* no header after all */
        if (match(S, R_KINH_GUI, off, len) || match(S, R_CAN_CU, off, len) ||
            match(S, R_NOI_NHAN, off, len) || match(S, R_SIGN_MARKER, off, len))
            return i;
        if (match(S, R_SEPARATOR, off, len)) {
            if (typed || subj) return i + 1;
            continue;
        }
        if (is_anchor_any(S, i) || match(S, R_STAMP_DEN, off, len) ||
            match(S, R_STAMP_NUMBER, off, len) || match(S, R_STAMP_DATE, off, len) ||
            match(S, R_STAMP_OTHER, off, len)) {
            last_nb = i;
            continue;
        }
        if (match(S, R_TYPE_LINE, off, len)) {
            typed = true;
            last_nb = i;
            continue;
        }
        if (match(S, R_VV, off, len)) {
            subj = true;
            last_nb = i;
            continue;
        }
        bool lower = S->L[i].flags & VBI_L_LOWER;
        bool label = is_label(S, i) && !(S->L[i].flags & VBI_L_CELL);
        if (label && !lower) return i;
        if (S->L[i].flags & VBI_L_CAPS) {
            last_nb = i;
            continue;
        }
        /* a subject continues in lower case right after the type, V/v or number */
        if (lower && (typed || subj) && gap(S, last_nb, i) <= 2) {
            last_nb = i;
            continue;
        }
        if (!lower && (match(S, R_BODY_START, off, len) || S->L[i].nchars >= 140 ||
                       ((S->L[i].flags & VBI_L_PUNCT_END) && S->L[i].nchars >= 60)))
            return i;
        if (is_dash_item(S, i) && !typed && !subj) return i;
        subj = true;
        last_nb = i;
    }
    return end;
}

static bool stamp_line(seg *S, size_t off, size_t len)
{
    return match(S, R_STAMP_DEN, off, len) || match(S, R_STAMP_NUMBER, off, len) ||
           match(S, R_STAMP_DATE, off, len) || match(S, R_STAMP_OTHER, off, len);
}

static int parse_header(seg *S, vbi_doc *D, size_t start, size_t hend)
{
    pieces ps = {0};
    int rc = 0;
    /* stamp window: lines around an "ĐẾN" line */
    size_t den = SIZE_MAX;
    for (size_t i = start; i < hend; i++)
        if (!blank(S, i) && match(S, R_STAMP_DEN, S->L[i].off, LEN(S, i))) { den = i; break; }
    size_t wlo = den, whi = den;
    if (den != SIZE_MAX) {
        size_t k = den, nb = 0;
        while (k > start && nb < 4) {
            k--;
            if (blank(S, k)) continue;
            nb++;
            if (stamp_line(S, S->L[k].off, LEN(S, k))) wlo = k;
        }
        /* short upper-case fragments of a vertical stamp label ("VĂN", "ĐẾN") */
        while (wlo > start) {
            k = wlo - 1;
            while (k > start && blank(S, k)) k--;
            if (blank(S, k) || !(S->L[k].flags & VBI_L_CAPS) || S->L[k].nchars > 6) break;
            wlo = k;
        }
        k = den;
        nb = 0;
        while (k + 1 < hend && nb < 4) {
            k++;
            if (blank(S, k)) continue;
            nb++;
            if (stamp_line(S, S->L[k].off, LEN(S, k))) whi = k;
        }
    }
    size_t type_line = SIZE_MAX, number_line = SIZE_MAX, vv_line = SIZE_MAX, date_line = SIZE_MAX;
    vbi_span stamp_sp = {VBI_NONE, VBI_NONE};
    for (size_t i = start; i < hend && !rc; i++) {
        if (blank(S, i)) continue;
        size_t off = S->L[i].off, len = LEN(S, i);
        if (match(S, R_SEPARATOR, off, len)) continue;
        if (den != SIZE_MAX && i >= wlo && i <= whi) {
            /* inside the stamp */
            size_t a, b;
            if (match_piece(S, R_STAMP_NUMBER, off, len, NULL, NULL)) {
                if (group(S, R_STAMP_NUMBER, "n", off, &a, &b) && !D->stamp_number)
                    D->stamp_number = dup(S, a, b - a);
                stamp_sp = span_join(stamp_sp, mkspan(S, off, len));
                continue;
            }
            if (match_piece(S, R_STAMP_DEN, off, len, &a, &b)) {
                stamp_sp = span_join(stamp_sp, mkspan(S, off, len));
                size_t roff = b, rlen = off + len - b;
                while (rlen && S->t[roff] == ' ') { roff++; rlen--; }
                if (rlen && match_piece(S, R_STAMP_NUMBER, roff, rlen, NULL, NULL) &&
                    group(S, R_STAMP_NUMBER, "n", roff, &a, &b) && !D->stamp_number)
                    D->stamp_number = dup(S, a, b - a);
                continue;
            }
            if (match_piece(S, R_STAMP_DATE, off, len, NULL, NULL)) {
                stamp_sp = span_join(stamp_sp, mkspan(S, off, len));
                if (group(S, R_STAMP_DATE, "rest", off, &a, &b) &&
                    vbi_match(S->p, R_NUMERIC_DATE, S->t + a, b - a, 0))
                    take_date(S, R_NUMERIC_DATE, a, D->stamp_date);
                continue;
            }
            if (match_piece(S, R_STAMP_OTHER, off, len, NULL, NULL)) {
                stamp_sp = span_join(stamp_sp, mkspan(S, off, len));
                continue;
            }
            if ((S->L[i].flags & VBI_L_CAPS) && S->L[i].nchars <= 6) continue; /* "VĂN" */
        }
        size_t a, b;
        if (match_piece(S, R_VV, off, len, NULL, NULL) && vv_line == SIZE_MAX) {
            vv_line = i;
            if (group(S, R_VV, "s", off, &a, &b)) rc = add_piece(&ps, a, b - a, i, P_TEXT);
            continue;
        }
        if (match_piece(S, R_TYPE_LINE, off, len, NULL, NULL) && type_line == SIZE_MAX) {
            type_line = i;
            if (group(S, R_TYPE_LINE, "type", off, &a, &b)) {
                D->type = vbi_doctype_by_caps(S->m, S->t + a, b - a);
                D->type_span = mkspan(S, a, b - a);
            }
            if (group(S, R_TYPE_LINE, "of", off, &a, &b) && !D->issuer.s) {
                rc = str_of(S, a, b - a, &D->issuer);
                D->issuer_inferred = true;
            }
            continue;
        }
        if (type_line != SIZE_MAX && next_nb(S, type_line + 1, hend) == i && !D->issuer.s &&
            match_piece(S, R_OF_LINE, off, len, NULL, NULL) &&
            group(S, R_OF_LINE, "of", off, &a, &b)) {
            rc = str_of(S, a, b - a, &D->issuer);
            D->issuer_inferred = true;
            continue;
        }
        size_t before = ps.n;
        bool had_number = D->has_number, had_date = D->date[0] != 0;
        rc = carve(S, D, &ps, off, len, i, 0);
        if (!had_number && D->has_number) number_line = i;
        if (!had_date && D->date[0]) date_line = i;
        (void)before;
    }
    if (rc) goto out;
    if (den != SIZE_MAX) {
        D->has_stamp = true;
        /* receiver: nearest upper-case piece within 3 lines before the stamp */
        size_t first = wlo;
        for (size_t k = ps.n; k-- > 0;) {
            piece *pc = &ps.v[k];
            if (pc->line >= first) continue;
            if (first - pc->line > 6) break;
            if (pc->kind == P_CAPS) {
                size_t words = 1;
                for (size_t q = 0; q < pc->len; q++)
                    if (S->t[pc->off + q] == ' ') words++;
                if (words < 3) continue;
                rc = str_of(S, pc->off, pc->len, &D->stamp_receiver);
                pc->kind = P_USED;
                stamp_sp = span_join(stamp_sp, D->stamp_receiver.span);
                break;
            }
        }
        D->stamp_span = stamp_sp;
    }
    if (rc) goto out;
    /* issuer: upper-case pieces before the number / type / date */
    size_t limit = number_line;
    if (type_line < limit) limit = type_line;
    if (limit == SIZE_MAX) limit = date_line;
    if (limit == SIZE_MAX) limit = vv_line;
    if (!D->issuer.s && limit != SIZE_MAX) {
        /* units: consecutive caps pieces; continuation lines join the previous */
        acc units[2];
        acc_init(&units[0]);
        acc_init(&units[1]);
        acc cur;
        acc_init(&cur);
        size_t nunits = 0;
        const char *prev_end = NULL;
        for (size_t k = 0; k < ps.n && !rc; k++) {
            piece *pc = &ps.v[k];
            if (pc->line > limit || pc->kind != P_CAPS) continue;
            if (pc->line == limit && limit == number_line) {
                /* issuer glued before "Số" on the number line is fine */
            }
            bool cont = cur.b.len &&
                        (match_piece(S, R_ISSUER_CONTINUATION, pc->off, pc->len, NULL, NULL) ||
                         (prev_end && vbi_match(S->p, R_ISSUER_OPEN_END, cur.b.p, cur.b.len, 0)));
            if (!cont && cur.b.len) {
                /* close current unit: keep the last two */
                vbi_buf_free(&units[0].b);
                units[0] = units[1];
                units[1] = cur;
                acc_init(&cur);
                nunits++;
            }
            rc = acc_add(S, &cur, pc->off, pc->len);
            prev_end = "";
            pc->kind = P_USED;
        }
        if (cur.b.len) {
            vbi_buf_free(&units[0].b);
            units[0] = units[1];
            units[1] = cur;
            acc_init(&cur);
            nunits++;
        }
        if (!rc && nunits >= 1) {
            rc = acc_take(S, &units[1], &D->issuer);
            if (!rc && nunits >= 2) rc = acc_take(S, &units[0], &D->issuer_parent);
            D->issuer_inferred = false;
        }
        vbi_buf_free(&units[0].b);
        vbi_buf_free(&units[1].b);
        vbi_buf_free(&cur.b);
        if (rc) goto out;
    }
    /* subject: text pieces after the V/v, the type line, or the number */
    size_t from = vv_line != SIZE_MAX ? vv_line : type_line != SIZE_MAX ? type_line : number_line;
    if (from != SIZE_MAX) {
        acc a;
        acc_init(&a);
        for (size_t k = 0; k < ps.n && !rc; k++) {
            piece *pc = &ps.v[k];
            if (pc->line < from || pc->kind != P_TEXT) continue;
            if (S->t[pc->off] == '*' && pc->len == 1) continue;
            rc = acc_add(S, &a, pc->off, pc->len);
        }
        if (!rc) rc = acc_take(S, &a, &D->subject);
        else vbi_buf_free(&a.b);
    }
    if (vv_line != SIZE_MAX && !D->type) D->type = vbi_doctype_by_name(S->m, "Công văn", strlen("Công văn"));
out:
    free(ps.v);
    return rc;
}

/* ---- lists (addressees, recipients) ------------------------------------ */

typedef struct {
    vbi_str *v;
    size_t n, cap;
} strlist;

static int list_push(strlist *l, vbi_str s)
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

/* An item accumulating over lines. */
typedef struct {
    acc a;
    bool open;
    bool ended; /* the last piece ended with . or ; */
} item;

static int item_flush(seg *S, item *it, strlist *l)
{
    if (!it->open) return 0;
    it->open = false;
    vbi_str s;
    /* trim trailing , ; . of the joined text */
    while (it->a.b.len && strchr(",;. ", it->a.b.p[it->a.b.len - 1])) it->a.b.len--;
    if (acc_take(S, &it->a, &s)) return VANBAN_ENOMEM;
    if (!s.s) return 0;
    return list_push(l, s);
}

static int item_add(seg *S, item *it, size_t off, size_t len, bool is_new, strlist *l)
{
    if (is_new) {
        int rc = item_flush(S, it, l);
        if (rc) return rc;
        acc_init(&it->a);
        it->open = true;
    }
    size_t o = off, n = len;
    if (is_new) trim_item(S, &o, &n);
    else {
        while (n && S->t[o + n - 1] == ' ') n--;
    }
    const char *s = S->t + off;
    size_t m = len;
    while (m && s[m - 1] == ' ') m--;
    it->ended = m && (s[m - 1] == '.' || s[m - 1] == ';');
    if (!is_new) {
        /* continuation: keep its text, trailing punctuation is trimmed at flush */
    }
    return acc_add(S, &it->a, o, n);
}

/* Addressees from line k ("Kính gửi: …").  Returns the first line after. */
static int parse_addressees(seg *S, vbi_doc *D, size_t k, size_t end, size_t *next)
{
    strlist l = {0};
    item it = {0};
    int rc = 0;
    size_t off = S->L[k].off, len = LEN(S, k), a, b;
    match_piece(S, R_KINH_GUI, off, len, NULL, NULL);
    if (group(S, R_KINH_GUI, "rest", off, &a, &b)) {
        size_t o = a, n = b - a;
        while (n && S->t[o] == ' ') { o++; n--; }
        if (n) rc = item_add(S, &it, o, n, true, &l);
    }
    size_t i = k + 1, last = k;
    while (!rc && i < end) {
        if (blank(S, i)) { i++; continue; }
        size_t g = gap(S, last, i);
        bool dash = is_dash_item(S, i);
        if (dash) {
            if (g > 1) break;
            rc = item_add(S, &it, S->L[i].off, LEN(S, i), true, &l);
        } else {
            bool lower = S->L[i].flags & VBI_L_LOWER;
            bool cont = it.open && S->L[i].nchars < 200 && g == 0 && (lower || !it.ended) &&
                        !is_label(S, i) && !match(S, R_BODY_START, S->L[i].off, LEN(S, i));
            if (it.open && lower && !it.ended && g <= 1 && S->L[i].nchars < 200) cont = true;
            if (!cont) break;
            rc = item_add(S, &it, S->L[i].off, LEN(S, i), false, &l);
        }
        last = i;
        i++;
    }
    if (!rc) rc = item_flush(S, &it, &l);
    vbi_buf_free(&it.a.b);
    D->addressees = l.v;
    D->naddressees = l.n;
    *next = last + 1;
    return rc;
}

/* ---- paragraphs and sections ------------------------------------------- */

typedef vbi_para para; /* lines first..last (private.h) */

static bool breaks_before(seg *S, size_t b)
{
    size_t off = S->L[b].off, len = LEN(S, b);
    return is_label(S, b) || is_dash_item(S, b) || is_heading_line(S, b) ||
           match(S, R_KINH_GUI, off, len) || match(S, R_NOI_NHAN, off, len) ||
           match(S, R_SIGN_MARKER, off, len) || match(S, R_CAN_CU, off, len);
}

static bool joins(seg *S, size_t a, size_t b)
{
    if (breaks_before(S, b)) return false;
    if (is_heading_line(S, a)) return false;
    size_t g = gap(S, a, b);
    bool lower = S->L[b].flags & VBI_L_LOWER;
    bool punct = S->L[a].flags & VBI_L_PUNCT_END;
    if (g == 0) {
        if (lower) return true;
        if (punct) return false;
        /* a full-width line was wrapped; a short one ended its paragraph (a
           numbered heading must be fuller still to run on) */
        uint32_t pct = is_label(S, a) ? 90 : 85;
        return S->wrap >= 40 && S->L[a].nchars * 100 >= S->wrap * pct;
    }
    return lower && !punct;
}

static int label_rank(seg *S, size_t base, int *rank)
{
    size_t a, b;
    vbi_rule_id r = R_SECTION_LABEL;
    if (group(S, r, "phan", base, &a, &b)) *rank = 0;
    else if (group(S, r, "chuong", base, &a, &b)) *rank = 2;
    else if (group(S, r, "muc", base, &a, &b)) *rank = 4;
    else if (group(S, r, "roman", base, &a, &b)) *rank = 6;
    else if (group(S, r, "dieu", base, &a, &b)) *rank = 8;
    else if (group(S, r, "arabic", base, &a, &b)) *rank = 10;
    else if (group(S, r, "multi", base, &a, &b)) {
        int dots = 0;
        for (size_t k = a; k < b; k++)
            if (S->t[k] == '.') dots++;
        *rank = 10 + 2 * dots;
    } else if (group(S, r, "letter", base, &a, &b)) *rank = 20;
    else return 0;
    return 1;
}

typedef struct {
    vbi_section *v;
    size_t n, cap;
} seclist;

static int sec_push(seclist *l, vbi_section s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        vbi_section *v = realloc(l->v, cap * sizeof *v);
        if (!v) return VANBAN_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

#define UNLABELLED_TOP 100

static int build_sections(seg *S, vbi_doc *D, para *P, size_t np)
{
    seclist sl = {0};
    size_t *stack = NULL;
    size_t depth = 0;
    int rc = 0;
    stack = malloc((np + 1) * sizeof *stack);
    if (!stack && np) return VANBAN_ENOMEM;
    uint32_t last_end = VBI_NONE;
    for (size_t k = 0; k < np && !rc; k++) {
        size_t f = P[k].first;
        size_t off = S->L[f].off, len = LEN(S, f);
        vbi_span psp = {S->p->ms[off], S->p->me[S->L[P[k].last].off + LEN(S, P[k].last) - 1]};
        if (match(S, R_CAN_CU, off, len) || match(S, R_ENACTING, off, len)) {
            last_end = psp.e;
            continue;
        }
        int rank = -1;
        size_t lab_o = 0, lab_l = 0, title_from = off;
        bool labelled = false;
        if (match_piece(S, R_SECTION_LABEL, off, len, NULL, NULL) && label_rank(S, off, &rank)) {
            size_t a, b, so, eo;
            group(S, R_SECTION_LABEL, "label", off, &a, &b);
            vbi_group0(S->p, &so, &eo);
            lab_o = a;
            lab_l = b - a;
            while (lab_l && S->t[lab_o + lab_l - 1] == ' ') lab_l--;
            title_from = off + eo;
            labelled = true;
        } else if (P[k].first == P[k].last && is_heading_line(S, f) &&
                   !(S->L[f].flags & VBI_L_LOWER) && !match(S, R_SEPARATOR, off, len)) {
            if (depth == 0) rank = UNLABELLED_TOP;
            else {
                vbi_section *top = &sl.v[stack[depth - 1]];
                if (top->label == NULL) depth--; /* heading after heading: sibling */
                rank = depth == 0 ? UNLABELLED_TOP : sl.v[stack[depth - 1]].rank + 1;
            }
        } else {
            last_end = psp.e;
            continue;
        }
        /* close sections of the same or lower rank */
        while (depth > 0 && sl.v[stack[depth - 1]].rank >= rank) {
            sl.v[stack[depth - 1]].span.e = last_end;
            depth--;
        }
        vbi_section s = {0};
        s.rank = rank;
        s.level = (int)depth + 1;
        s.parent = depth ? stack[depth - 1] : SIZE_MAX;
        s.span = psp;
        if (labelled && !(s.label = dup(S, lab_o, lab_l))) { rc = VANBAN_ENOMEM; break; }
        acc a;
        acc_init(&a);
        rc = acc_add(S, &a, title_from, off + len - title_from);
        for (size_t q = P[k].first + 1; q <= P[k].last && !rc; q++)
            if (!blank(S, q)) rc = acc_add(S, &a, S->L[q].off, LEN(S, q));
        /* "Chương I" alone: the title is the next paragraph */
        if (!rc && labelled && a.b.len == 0 && rank <= 4 && k + 1 < np) {
            size_t f2 = P[k + 1].first;
            if (!is_label(S, f2)) {
                for (size_t q = P[k + 1].first; q <= P[k + 1].last && !rc; q++)
                    if (!blank(S, q)) rc = acc_add(S, &a, S->L[q].off, LEN(S, q));
                psp.e = S->p->me[S->L[P[k + 1].last].off + LEN(S, P[k + 1].last) - 1];
                k++;
            }
        }
        vbi_str title;
        if (!rc) rc = acc_take(S, &a, &title);
        else vbi_buf_free(&a.b);
        if (rc) break;
        s.title = title.s;
        s.span.e = psp.e;
        last_end = psp.e;
        if ((rc = sec_push(&sl, s))) break;
        stack[depth++] = sl.n - 1;
    }
    while (depth > 0) {
        sl.v[stack[depth - 1]].span.e = last_end;
        depth--;
    }
    free(stack);
    D->sections = sl.v;
    D->nsections = sl.n;
    return rc;
}

/* ---- body --------------------------------------------------------------- */

static size_t walkback(seg *S, size_t anchor, size_t floor)
{
    size_t j = anchor, nb = 0;
    while (j > floor) {
        size_t k = j - 1;
        if (blank(S, k)) { j = k; continue; }
        size_t off = S->L[k].off, len = LEN(S, k);
        bool capsish = (S->L[k].flags & VBI_L_CAPS) || (LEN(S, k) == 1 && S->t[off] == '*') ||
                       is_anchor_any(S, k);
        if (!capsish || match(S, R_SIGN_MARKER, off, len) || ++nb > 6) break;
        /* an upper-case line right under a signing marker is a title, not a header */
        size_t q = k;
        while (q > floor && blank(S, q - 1)) q--;
        if (q > floor && match(S, R_SIGN_MARKER, S->L[q - 1].off, LEN(S, q - 1))) break;
        j = k;
    }
    while (j < anchor && blank(S, j)) j++;
    return j;
}

static bool cluster(seg *S, size_t i, size_t end)
{
    size_t seen = 0;
    for (size_t k = i + 1; k < end && seen < 8; k++) {
        if (blank(S, k)) continue;
        seen++;
        if (is_anchor_any(S, k)) return true;
    }
    return false;
}

/* Parse one document starting at line `start`; returns the line where the next
   document starts (or end). */
static int parse_doc(seg *S, vbi_doc *D, size_t start, size_t end, size_t *next)
{
    int rc = 0;
    size_t hend = header_end(S, start, end);
    if (hend > start) rc = parse_header(S, D, start, hend);
    if (rc) return rc;
    size_t i = next_nb(S, hend, end);
    if (i < end && match(S, R_KINH_GUI, S->L[i].off, LEN(S, i))) {
        rc = parse_addressees(S, D, i, end, &i);
        if (rc) return rc;
    }
    /* typical full line: 90th percentile of line lengths ahead */
    {
        uint32_t h[64] = {0};
        size_t cnt = 0;
        for (size_t k = i; k < end && cnt < 400; k++)
            if (!blank(S, k)) {
                uint32_t c = S->L[k].nchars / 8;
                h[c < 63 ? c : 63]++;
                cnt++;
            }
        size_t acc_n = 0, want = cnt - cnt / 10;
        S->wrap = 0;
        for (int b = 0; b < 64 && cnt; b++) {
            acc_n += h[b];
            if (acc_n >= want) {
                S->wrap = (uint32_t)b * 8 + 4;
                break;
            }
        }
    }
    /* content until the tail or the next document */
    para *P = NULL;
    size_t np = 0, pcap = 0;
    size_t doc_end = end, tail = end;
    size_t prev = SIZE_MAX;
    for (; i < end; i++) {
        if (blank(S, i)) continue;
        size_t off = S->L[i].off, len = LEN(S, i);
        if (match(S, R_NOI_NHAN, off, len) || match(S, R_SIGN_MARKER, off, len)) {
            tail = i;
            break;
        }
        if (is_anchor(S, i) && cluster(S, i, end)) {
            doc_end = tail = walkback(S, i, hend);
            break;
        }
        if (prev != SIZE_MAX && joins(S, prev, i)) {
            P[np - 1].last = i;
        } else {
            if (np == pcap) {
                pcap = pcap ? pcap * 2 : 64;
                para *q = realloc(P, pcap * sizeof *q);
                if (!q) { free(P); return VANBAN_ENOMEM; }
                P = q;
            }
            P[np++] = (para){i, i};
        }
        prev = i;
    }
    /* tail: recipients and signature */
    strlist rl = {0};
    item it = {0};
    acc auth;
    acc_init(&auth);
    bool in_rec = false, sig = false;
    size_t last_nb = SIZE_MAX;
    /* the next document starts at the first header anchor after the tail */
    for (size_t k = tail + 1; k < doc_end; k++)
        if (!blank(S, k) && is_anchor(S, k)) {
            doc_end = walkback(S, k, tail + 1);
            break;
        }
    for (i = tail; i < doc_end && !rc; i++) {
        if (blank(S, i)) continue;
        size_t off = S->L[i].off, len = LEN(S, i), a, b;
        last_nb = i;
        if (match_piece(S, R_NOI_NHAN, off, len, NULL, NULL)) {
            in_rec = true;
            if (group(S, R_NOI_NHAN, "rest", off, &a, &b)) {
                size_t o = a, n = b - a;
                while (n && S->t[o] == ' ') { o++; n--; }
                if (n) rc = item_add(S, &it, o, n, true, &rl);
            }
            continue;
        }
        if (match_piece(S, R_SIGN_MARKER, off, len, NULL, NULL)) {
            if (!D->sig_marker.s && group(S, R_SIGN_MARKER, "m", off, &a, &b))
                rc = str_of(S, a, b - a, &D->sig_marker);
            if (!rc) rc = acc_add(S, &auth, off, len);
            if (!rc) rc = vbi_buf_put(&auth.b, " /", 2); /* separator, trimmed at the end */
            sig = true;
            D->sig_span = span_join(D->sig_span, mkspan(S, off, len));
            continue;
        }
        if (match(S, R_SIGN_SKIP, off, len)) continue;
        if (is_dash_item(S, i) && in_rec) {
            rc = item_add(S, &it, off, len, true, &rl);
            continue;
        }
        if (is_name(S, i) && !D->sig_name.s) {
            rc = str_of(S, off, len, &D->sig_name);
            while (D->sig_name.s && strlen(D->sig_name.s) && D->sig_name.s[strlen(D->sig_name.s) - 1] == '.')
                D->sig_name.s[strlen(D->sig_name.s) - 1] = 0;
            D->sig_span = span_join(D->sig_span, D->sig_name.span);
            continue;
        }
        bool capsish = (S->L[i].flags & VBI_L_CAPS) || (sig && mostly_caps(TXT(S, i), len));
        if (capsish && !D->sig_title.s && (sig || !it.open || it.ended)) {
            rc = str_of(S, off, len, &D->sig_title);
            D->sig_span = span_join(D->sig_span, D->sig_title.span);
            continue;
        }
        if (in_rec && it.open && !D->sig_name.s) rc = item_add(S, &it, off, len, false, &rl);
    }
    if (!rc) rc = item_flush(S, &it, &rl);
    vbi_buf_free(&it.a.b);
    D->recipients = rl.v;
    D->nrecipients = rl.n;
    if (!rc && auth.b.len) {
        while (auth.b.len && (auth.b.p[auth.b.len - 1] == '/' || auth.b.p[auth.b.len - 1] == ' '))
            auth.b.len--;
        rc = acc_take(S, &auth, &D->sig_authority);
    } else {
        vbi_buf_free(&auth.b);
    }
    /* no tail found: a signature may still close the content ("CHỦ TỊCH" / name) */
    if (!rc && tail == doc_end && np > 0) {
        para *lp = &P[np - 1];
        if (lp->first == lp->last && is_name(S, lp->first)) {
            rc = str_of(S, S->L[lp->first].off, LEN(S, lp->first), &D->sig_name);
            D->sig_span = D->sig_name.span;
            np--;
            if (!rc && np > 0 && P[np - 1].first == P[np - 1].last &&
                (S->L[P[np - 1].first].flags & VBI_L_CAPS)) {
                size_t q = P[np - 1].first;
                rc = str_of(S, S->L[q].off, LEN(S, q), &D->sig_title);
                D->sig_span = span_join(D->sig_span, D->sig_title.span);
                np--;
            }
        }
    }
    D->has_signature = D->sig_name.s || D->sig_title.s || D->sig_authority.s;
    if (!rc) rc = build_sections(S, D, P, np);
    /* issuer and type from the body when the header has none */
    for (size_t k = 0; k < np && k < 4 && !rc && !D->issuer.s; k++) {
        size_t f = P[k].first;
        acc a;
        acc_init(&a);
        for (size_t q = f; q <= P[k].last && !rc; q++)
            if (!blank(S, q)) rc = acc_add(S, &a, S->L[q].off, LEN(S, q));
        if (!rc && a.b.len && vbi_match(S->p, R_BODY_ISSUER, a.b.p, a.b.len, 0)) {
            size_t so, eo;
            vbi_group(S->p, R_BODY_ISSUER, "org", &so, &eo);
            /* map the joined text back: find the org text in the lines */
            D->issuer.s = vbi_arena_strndup(&S->r->arena, a.b.p + so, eo - so);
            if (!D->issuer.s) rc = VANBAN_ENOMEM;
            D->issuer_inferred = true;
            for (size_t q = f; q <= P[k].last && D->issuer.s; q++) {
                const char *hit = NULL;
                size_t L = LEN(S, q), nl = eo - so;
                for (size_t x = 0; x + nl <= L; x++)
                    if (!memcmp(TXT(S, q) + x, D->issuer.s, nl)) { hit = TXT(S, q) + x; break; }
                if (hit) {
                    D->issuer.span = mkspan(S, (size_t)(hit - S->t), nl);
                    break;
                }
            }
        }
        vbi_buf_free(&a.b);
    }
    if (!rc && !D->type) {
        for (size_t k = 0; k < np && !D->type; k++)
            for (size_t q = P[k].first; q <= P[k].last && !D->type; q++) {
                if (blank(S, q)) continue;
                if (match(S, R_SELF_TYPE, S->L[q].off, LEN(S, q))) {
                    size_t a, b;
                    vbi_group(S->p, R_SELF_TYPE, "t", &a, &b);
                    a += S->L[q].off;
                    b += S->L[q].off;
                    D->type = vbi_doctype_by_name(S->m, S->t + a, b - a);
                    D->type_inferred = D->type != NULL;
                    D->type_span = mkspan(S, a, b - a);
                }
            }
    }
    /* references and tasks (refs.c, tasks.c) */
    if (!rc) {
        vbi_docview v = {S->p, &S->r->arena, S->t, S->L, S->soft, start, hend, P, np};
        rc = vbi_extract_refs(&v, D);
        if (!rc) rc = vbi_extract_tasks(&v, D);
    }
    free(P);
    if (rc) return rc;
    /* document span */
    size_t first = next_nb(S, start, doc_end), lastl = last_nb;
    if (lastl == SIZE_MAX || lastl >= doc_end) {
        lastl = doc_end;
        while (lastl > first && blank(S, lastl - 1)) lastl--;
        lastl = lastl ? lastl - 1 : 0;
    }
    if (first < doc_end) {
        D->span.s = S->L[first].ostart;
        D->span.e = S->L[lastl].oend;
    }
    *next = doc_end;
    return 0;
}

/* ---- format and codes --------------------------------------------------- */

static void finish_doc(seg *S, vbi_doc *D)
{
    const char *nat = D->national.s;
    int fmt = VBI_FMT_UNKNOWN;
    if (nat && vbi_match(S->p, R_NATIONAL_PARTY, nat, strlen(nat), 0)) fmt = VBI_FMT_PARTY;
    else if (nat) fmt = VBI_FMT_STATE;
    else if (D->has_number && D->number_raw.s) {
        const char *r = D->number_raw.s;
        const char *slash = strchr(r, '/'), *dash = strchr(r, '-');
        fmt = (dash && (!slash || dash < slash)) ? VBI_FMT_PARTY : VBI_FMT_STATE;
    } else if (D->sig_marker.s) {
        fmt = strchr(D->sig_marker.s, '/') ? VBI_FMT_PARTY : VBI_FMT_STATE;
    } else if (D->issuer.s &&
               vbi_match(S->p, R_PARTY_BODY, D->issuer.s, strlen(D->issuer.s), 0)) {
        fmt = VBI_FMT_PARTY;
    }
    D->format = fmt;
    if (!D->type && D->num_type) {
        D->type = vbi_doctype_by_code(S->m, D->num_type, strlen(D->num_type), fmt);
        D->type_span = D->number_raw.span;
    }
    if (D->num_type && D->type) {
        D->type_code = D->num_type;
    } else if (D->type) {
        const char *c = fmt == VBI_FMT_PARTY ? D->type->party : fmt == VBI_FMT_STATE ? D->type->state : NULL;
        D->type_code = (char *)c;
    }
    if (D->issuer.s && D->issuer_span.s == VBI_NONE)
        D->issuer_span = span_join(D->issuer.span, D->issuer_parent.span);
}

/* ---- entry -------------------------------------------------------------- */

static void doc_init(vbi_doc *D)
{
    static const vbi_span none = {VBI_NONE, VBI_NONE};
    memset(D, 0, sizeof *D);
    D->span = D->issuer_span = D->type_span = D->date_span = D->stamp_span = D->sig_span = none;
    vbi_str *strs[] = {&D->national, &D->motto, &D->issuer, &D->issuer_parent, &D->number_raw,
                       &D->place, &D->subject, &D->stamp_receiver, &D->sig_marker,
                       &D->sig_authority, &D->sig_title, &D->sig_name};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) strs[i]->span = none;
}

int vbi_segment(vanban_parser *p)
{
    seg S = {0};
    S.p = p;
    S.m = p->model;
    S.r = p->res;
    S.t = p->text.p ? p->text.p : "";
    S.L = p->lines;
    S.n = p->nlines;
    if (S.n == 0) return 0;
    S.soft = calloc(S.n, 1);
    if (!S.soft) return VANBAN_ENOMEM;
    /* hard-wrapped text: a single blank line after nearly every line */
    size_t nb = 0, single = 0;
    for (size_t i = 0; i < S.n; i++) {
        if (blank(&S, i)) continue;
        nb++;
        if (i + 2 < S.n && blank(&S, i + 1) && !blank(&S, i + 2)) single++;
    }
    S.hardwrap = nb >= 8 && single * 10 >= nb * 6;
    /* page furniture (running heads, page numbers, signing stamps of the
       gazette) is skipped like a blank line */
    for (size_t i = 0; i < S.n; i++)
        if (!blank(&S, i) && S.L[i].nchars <= 80 &&
            vbi_match(p, R_PAGE_FURNITURE, S.t + S.L[i].off, S.L[i].len, 0)) {
            S.L[i].flags |= VBI_L_BLANK;
            S.soft[i] = 1;
        }
    if (S.hardwrap)
        for (size_t i = 1; i + 1 < S.n; i++)
            if (blank(&S, i) && !blank(&S, i - 1) && !blank(&S, i + 1)) S.soft[i] = 1;
    int rc = 0;
    size_t cap = 0;
    size_t i = next_nb(&S, 0, S.n);
    while (i < S.n && !rc) {
        if (S.r->ndocs == cap) {
            cap = cap ? cap * 2 : 4;
            vbi_doc *d = realloc(S.r->docs, cap * sizeof *d);
            if (!d) { rc = VANBAN_ENOMEM; break; }
            S.r->docs = d;
        }
        vbi_doc *D = &S.r->docs[S.r->ndocs++];
        doc_init(D);
        size_t nx;
        rc = parse_doc(&S, D, i, S.n, &nx);
        if (rc) break;
        finish_doc(&S, D);
        if (nx <= i) nx = i + 1; /* always progress */
        i = next_nb(&S, nx, S.n);
    }
    free(S.soft);
    return rc;
}
