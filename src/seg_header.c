/* seg_header.c - the header zone of a document.
 *
 * The zone runs from the document's first line until the body starts
 * (Kính gửi, Căn cứ, a section label, a separator rule after the type or
 * subject, a sentence paragraph).  Every line is cut into pieces: national
 * header, motto, number, date line and stamp fields are carved out wherever
 * they stand (OCR flattens the two columns); what is left is an upper-case
 * piece (issuer, type, stamp receiver) or text (subject).
 */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

#define MAX_HEADER_LINES 48

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

static bool stamp_line(seg *S, size_t off, size_t len)
{
    return match(S, R_STAMP_DEN, off, len) || match(S, R_STAMP_NUMBER, off, len) ||
           match(S, R_STAMP_DATE, off, len) || match(S, R_STAMP_OTHER, off, len);
}

static bool is_anchor_any(seg *S, size_t i)
{
    if (blank(S, i) || S->L[i].nchars > 120) return false;
    size_t off = S->L[i].off, len = LEN(S, i);
    if (match(S, R_STAMP_DEN, off, len)) return false;
    return match(S, R_NUMBER, off, len) || match(S, R_NATIONAL_STATE, off, len) ||
           match(S, R_NATIONAL_PARTY, off, len) || match(S, R_DATELINE, off, len) ||
           match(S, R_MOTTO, off, len) || (S->ev[i] & (EV_NUMX | EV_DATEX | EV_XACTHUC));
}

size_t header_end(seg *S, size_t start, size_t end)
{
    bool typed = false, subj = false, caps_subj = false;
    size_t count = 0, last_nb = start, last_item = start;
    for (size_t i = start; i < end; i++) {
        if (blank(S, i)) continue;
        size_t off = S->L[i].off, len = LEN(S, i);
        if (++count > MAX_HEADER_LINES) return last_item + 1; /* the body began unseen */
        if (S->ev[i] & (EV_NAT | EV_PARTY | EV_MOTTO | EV_NUM | EV_DATE | EV_TYPE | EV_VV))
            last_item = i;
        if (match(S, R_KINH_GUI, off, len) || match(S, R_CAN_CU, off, len) ||
            match(S, R_NOI_NHAN, off, len) || match(S, R_SIGN_MARKER, off, len))
            return i;
        if (match(S, R_SEPARATOR, off, len)) {
            /* a rule under the type or subject ends the header, unless the
               number or the national header comes next, or an issuer line
               and then one of them ("# THÔNG TƯ" / "Số: …" / "---" /
               "BỘ X" / national header), or the type again before any
               subject */
            size_t nx = next_nb(S, i + 1, end), nx2 = nx < end ? next_nb(S, nx + 1, end) : end;
            bool more = (nx < end && (is_anchor_any(S, nx) || (!subj && (S->ev[nx] & EV_TYPE)))) ||
                        (nx2 < end && (S->L[nx].flags & VBI_L_CAPS) && is_anchor_any(S, nx2));
            if ((typed || subj) && !more) return i + 1;
            continue;
        }
        if (only_punct(TXT(S, i), len)) continue; /* the star under a Party issuer, "*+" */
        if (is_anchor_any(S, i) || stamp_line(S, off, len)) {
            last_nb = i;
            continue;
        }
        if (match(S, R_TYPE_LINE, off, len)) {
            typed = true;
            caps_subj = false;
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
            caps_subj |= typed && !subj && next_nb(S, last_nb + 1, end) == i &&
                         match_line(S, R_TYPE_LINE, last_nb);
            last_nb = i;
            continue;
        }
        /* a subject in capitals under the type does not go on in sentence
           case: "LUẬT" / "AN TOÀN, VỆ SINH LAO ĐỘNG" / "Luật An toàn, vệ
           sinh lao động số 84/2015/QH13 ngày …" (a consolidated text) */
        if (caps_subj && !subj && !lower) return i;
        /* the line right under the type is its subject, however long */
        if (typed && !subj && S->L[i].nchars < 600 && !match(S, R_BODY_START, off, len) &&
            next_nb(S, last_nb + 1, end) == i && match_line(S, R_TYPE_LINE, last_nb)) {
            subj = true;
            last_nb = i;
            continue;
        }
        /* a subject continues in lower case right after the type, V/v or number */
        if (lower && (typed || subj) && gap(S, last_nb, i) <= 2) {
            last_nb = i;
            continue;
        }
        /* after a blank line, a subject does not go on in sentence case */
        if (subj && gap(S, last_nb, i) >= 1) return i;
        if (!lower && (match(S, R_BODY_START, off, len) || S->L[i].nchars >= 140 ||
                       ((S->L[i].flags & VBI_L_PUNCT_END) && S->L[i].nchars >= 60)))
            return i;
        if (is_dash_item(S, i) && !typed && !subj) return i;
        subj = true;
        last_nb = i;
    }
    return end;
}

/* ---- carving a line into header items ----------------------------------- */

static int take_number(seg *S, vbi_doc *D, size_t off)
{
    const char *s = S->t;
    vbi_rule_id r = R_NUMBER;
    size_t a, b;
    int rc = 0;
    D->has_number = true;
    if (group(S, r, "raw", off, &a, &b)) rc = str_of(S, a, b - a, &D->number_raw);
    if (!rc && group(S, r, "pnum", off, &a, &b)) {
        D->num = seg_dup(S, a, b - a);
        if (group(S, r, "ptype", off, &a, &b)) D->num_type = seg_dup(S, a, b - a);
        if (group(S, r, "pissuer", off, &a, &b)) D->num_issuer = seg_dup(S, a, b - a);
    } else if (!rc && group(S, r, "snum", off, &a, &b)) {
        D->num = seg_dup(S, a, b - a);
        if (group(S, r, "year", off, &a, &b)) D->num_year = seg_dup(S, a, b - a);
        if (group(S, r, "ssym", off, &a, &b)) {
            /* "QĐ-UBND": type code then issuer; "UBND-VX": issuer only */
            size_t dash = a;
            while (dash < b && s[dash] != '-') dash++;
            const vbi_doctype *t =
                dash < b ? vbi_doctype_by_code(S->m, s + a, dash - a, VBI_FMT_STATE) : NULL;
            if (t) {
                D->num_type = seg_dup(S, a, dash - a);
                D->num_issuer = seg_dup(S, dash + 1, b - dash - 1);
            } else {
                D->num_issuer = seg_dup(S, a, b - a);
            }
        }
    }
    if (!rc && !D->num) rc = VANBAN_ENOMEM;
    return rc;
}

static int take_dateline(seg *S, vbi_doc *D, vbi_rule_id r, size_t off, size_t so, size_t eo)
{
    size_t a, b;
    if (D->date[0] || !take_date(S, r, off, D->date)) return 0;
    D->date_span = seg_span(S, so, eo - so);
    if (group(S, r, "place", off, &a, &b)) {
        while (b > a && (S->t[b - 1] == ' ' || S->t[b - 1] == ',')) b--;
        return str_of(S, a, b - a, &D->place);
    }
    return 0;
}

/* Carve a piece: try every header rule; recurse on the rest. */
static int carve(seg *S, vbi_doc *D, pieces *ps, size_t off, size_t len, size_t line, int depth)
{
    const char *s = S->t;
    while (len && s[off] == ' ') { off++; len--; }
    while (len && s[off + len - 1] == ' ') len--;
    if (!len || only_punct(s + off, len)) return 0;
    static const vbi_rule_id order[] = {R_NATIONAL_STATE, R_NATIONAL_PARTY, R_MOTTO, R_NUMBER,
                                        R_DATELINE, R_DATELINE_NUMERIC, R_DATE_BLANK};
    if (depth < 6)
        for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
            vbi_rule_id r = order[k];
            size_t so, eo, a, b;
            /* a second number or date in the header is a subject's citation
               ("… QUYẾT ĐỊNH SỐ 1237/QĐ-TTG NGÀY 27 THÁNG 7 NĂM 2013 …") */
            if ((r == R_NUMBER && D->has_number) ||
                ((r == R_DATELINE || r == R_DATELINE_NUMERIC) && D->date[0]))
                continue;
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
                if (!D->has_number) rc = take_number(S, D, off);
                break;
            case R_DATE_BLANK: /* "Hà Trung, ngày … tháng … năm 2026": a place, no date */
                if (!D->place.s && !D->date[0] && group(S, r, "place", off, &a, &b) &&
                    upper_at(S->t + a, b - a) && !only_punct(S->t + a, b - a))
                    rc = str_of(S, a, b - a, &D->place);
                break;
            default:
                rc = take_dateline(S, D, r, off, so, eo);
                break;
            }
            if (rc) return rc;
            rc = carve(S, D, ps, off, so - off, line, depth + 1);
            if (!rc) rc = carve(S, D, ps, eo, off + len - eo, line, depth + 1);
            return rc;
        }
    return add_piece(ps, off, len, line, caps_text(s + off, len) ? P_CAPS : P_TEXT);
}

/* ---- the received stamp ------------------------------------------------- */

typedef struct {
    size_t den, lo, hi; /* the "ĐẾN" line and the window of stamp lines around it */
    vbi_span span;
} stamp_win;

static void find_stamp(seg *S, size_t start, size_t hend, stamp_win *w)
{
    w->den = w->lo = w->hi = SIZE_MAX;
    w->span.s = w->span.e = VBI_NONE;
    for (size_t i = start; i < hend; i++)
        if (!blank(S, i) && match_line(S, R_STAMP_DEN, i)) { w->den = i; break; }
    if (w->den == SIZE_MAX) return;
    w->lo = w->hi = w->den;
    size_t k = w->den, nb = 0;
    while (k > start && nb < 4) {
        k--;
        if (blank(S, k)) continue;
        nb++;
        if (stamp_line(S, S->L[k].off, LEN(S, k))) w->lo = k;
    }
    /* short upper-case fragments of a vertical stamp label ("VĂN", "ĐẾN") */
    while (w->lo > start) {
        k = w->lo - 1;
        while (k > start && blank(S, k)) k--;
        if (blank(S, k) || !(S->L[k].flags & VBI_L_CAPS) || S->L[k].nchars > 6) break;
        w->lo = k;
    }
    k = w->den;
    nb = 0;
    while (k + 1 < hend && nb < 4) {
        k++;
        if (blank(S, k)) continue;
        nb++;
        if (stamp_line(S, S->L[k].off, LEN(S, k))) w->hi = k;
    }
}

/* A line inside the stamp window: its number and date.  True when used. */
static bool stamp_item(seg *S, vbi_doc *D, stamp_win *w, size_t i)
{
    size_t off = S->L[i].off, len = LEN(S, i), a, b;
    if (match_piece(S, R_STAMP_NUMBER, off, len, NULL, NULL)) {
        if (group(S, R_STAMP_NUMBER, "n", off, &a, &b) && !D->stamp_number)
            D->stamp_number = seg_dup(S, a, b - a);
        w->span = span_join(w->span, seg_span(S, off, len));
        return true;
    }
    if (match_piece(S, R_STAMP_DEN, off, len, &a, &b)) {
        w->span = span_join(w->span, seg_span(S, off, len));
        size_t roff = b, rlen = off + len - b;
        while (rlen && S->t[roff] == ' ') { roff++; rlen--; }
        if (rlen && match_piece(S, R_STAMP_NUMBER, roff, rlen, NULL, NULL) &&
            group(S, R_STAMP_NUMBER, "n", roff, &a, &b) && !D->stamp_number)
            D->stamp_number = seg_dup(S, a, b - a);
        return true;
    }
    if (match_piece(S, R_STAMP_DATE, off, len, NULL, NULL)) {
        w->span = span_join(w->span, seg_span(S, off, len));
        if (group(S, R_STAMP_DATE, "rest", off, &a, &b) &&
            vbi_match(S->p, R_NUMERIC_DATE, S->t + a, b - a, 0))
            take_date(S, R_NUMERIC_DATE, a, D->stamp_date);
        return true;
    }
    if (match_piece(S, R_STAMP_OTHER, off, len, NULL, NULL)) {
        w->span = span_join(w->span, seg_span(S, off, len));
        return true;
    }
    return (S->L[i].flags & VBI_L_CAPS) && S->L[i].nchars <= 6; /* "VĂN" */
}

/* The receiver: the nearest upper-case piece of 3 words or more before the stamp. */
static int stamp_receiver(seg *S, vbi_doc *D, pieces *ps, stamp_win *w)
{
    int rc = 0;
    D->has_stamp = true;
    for (size_t k = ps->n; k-- > 0;) {
        piece *pc = &ps->v[k];
        if (pc->line >= w->lo) continue;
        if (w->lo - pc->line > 6) break;
        if (pc->kind == P_CAPS && count_words(S->t + pc->off, pc->len) >= 3) {
            rc = str_of(S, pc->off, pc->len, &D->stamp_receiver);
            pc->kind = P_USED;
            w->span = span_join(w->span, D->stamp_receiver.span);
            break;
        }
    }
    D->stamp_span = w->span;
    return rc;
}

/* ---- issuer and subject ------------------------------------------------- */

static void unit_close(acc units[2], acc *cur, size_t *nunits)
{
    vbi_buf_free(&units[0].b);
    units[0] = units[1];
    units[1] = *cur;
    acc_init(cur);
    (*nunits)++;
}

/* "BỘ TÀI CHÍNH TỔNG CỤC THUẾ" on one line: the superior and the body.  The
   issuer's text came from the lines as they are, so it is found in them. */
static int split_issuer(seg *S, vbi_doc *D)
{
    const char *s = D->issuer.s;
    size_t n = strlen(s), a, b, c, d;
    if (n > 200 || !vbi_match(S->p, R_ISSUER_SPLIT, s, n, 0) ||
        !vbi_group(S->p, R_ISSUER_SPLIT, "parent", &a, &b) ||
        !vbi_group(S->p, R_ISSUER_SPLIT, "name", &c, &d))
        return 0;
    char *parent = vbi_arena_strndup(&S->r->arena, s + a, b - a);
    char *name = vbi_arena_strndup(&S->r->arena, s + c, d - c);
    if (!parent || !name) return VANBAN_ENOMEM;
    D->issuer_parent.s = parent;
    D->issuer.s = name;
    D->issuer_parent.span = D->issuer.span; /* one line holds both */
    return 0;
}

/* The issuer: upper-case pieces before the limit line; the last unit is the
   issuer, the one before it its parent.  A piece continues the previous one
   when it starts with TỈNH, HUYỆN … or the previous ends open (VÀ, CỦA, -). */
static int take_issuer(seg *S, vbi_doc *D, pieces *ps, size_t limit)
{
    acc units[2], cur;
    acc_init(&units[0]);
    acc_init(&units[1]);
    acc_init(&cur);
    size_t nunits = 0;
    int rc = 0;
    for (size_t k = 0; k < ps->n && !rc; k++) {
        piece *pc = &ps->v[k];
        if (pc->line > limit || pc->kind != P_CAPS) continue;
        /* a portal's title "THÔNG TƯ SỐ 08/2026/TT-BKHCN" leaves its type */
        if (match_piece(S, R_TYPE_LINE, pc->off, pc->len, NULL, NULL)) continue;
        bool cont = cur.b.len &&
                    (match_piece(S, R_ISSUER_CONTINUATION, pc->off, pc->len, NULL, NULL) ||
                     vbi_match(S->p, R_ISSUER_OPEN_END, cur.b.p, cur.b.len, 0));
        if (!cont && cur.b.len) unit_close(units, &cur, &nunits);
        rc = acc_add(S, &cur, pc->off, pc->len);
        pc->kind = P_USED;
    }
    if (!rc && cur.b.len) unit_close(units, &cur, &nunits);
    if (!rc && nunits >= 1) {
        rc = acc_take(S, &units[1], &D->issuer);
        if (!rc && nunits >= 2) rc = acc_take(S, &units[0], &D->issuer_parent);
        D->issuer_inferred = false;
    }
    /* the gazette prints the issuer above the document too: one body, not two */
    if (!rc && D->issuer_parent.s && !strcmp(D->issuer_parent.s, D->issuer.s)) {
        D->issuer_parent.s = NULL;
        D->issuer_parent.span = D->issuer.span;
        D->issuer_parent.span.s = D->issuer_parent.span.e = VBI_NONE;
    }
    if (!rc && D->issuer.s && !D->issuer_parent.s)
        rc = split_issuer(S, D);
    vbi_buf_free(&units[0].b);
    vbi_buf_free(&units[1].b);
    vbi_buf_free(&cur.b);
    return rc;
}

/* An issuer printed below the type or the number ("# THÔNG TƯ" / "Số: …" /
   "BỘ Y TẾ" / "CỘNG HÒA …"): a body's name in capitals on a line that holds,
   or stands next to, the national header, the motto, the number or the date.
   A line that continues it (R_ISSUER_CONTINUATION) joins it. */
static int take_issuer_late(seg *S, vbi_doc *D, pieces *ps, size_t start, size_t hend)
{
    const uint16_t near = EV_NAT | EV_PARTY | EV_MOTTO | EV_NUM | EV_NUMX | EV_DATE | EV_DATEX;
    for (size_t k = 0; k < ps->n; k++) {
        piece *pc = &ps->v[k];
        if (pc->kind != P_CAPS || !match_piece(S, R_ISSUER_BODY, pc->off, pc->len, NULL, NULL))
            continue;
        size_t i = pc->line, nx = next_nb(S, i + 1, hend), pv = i;
        while (pv > start && blank(S, pv - 1)) pv--;
        pv = pv > start ? pv - 1 : SIZE_MAX;
        if (!((S->ev[i] & near) || (nx < hend && (S->ev[nx] & near)) ||
              (pv != SIZE_MAX && (S->ev[pv] & near))))
            continue;
        acc a;
        acc_init(&a);
        int rc = acc_add(S, &a, pc->off, pc->len);
        pc->kind = P_USED;
        for (size_t j = k + 1; !rc && j < ps->n; j++) {
            piece *q = &ps->v[j];
            if (q->kind != P_CAPS || q->line != next_nb(S, ps->v[j - 1].line + 1, hend) ||
                !match_piece(S, R_ISSUER_CONTINUATION, q->off, q->len, NULL, NULL))
                break;
            rc = acc_add(S, &a, q->off, q->len);
            q->kind = P_USED;
        }
        if (!rc) rc = acc_take(S, &a, &D->issuer);
        vbi_buf_free(&a.b);
        D->issuer_inferred = false;
        if (!rc && D->issuer.s) rc = split_issuer(S, D);
        return rc;
    }
    return 0;
}

/* The subject: text pieces from the V/v, type or number line on; under a
   type line, pieces in capitals too ("QUYẾT ĐỊNH" / "VỀ VIỆC …"), until the
   enacting body ("ỦY BAN NHÂN DÂN TỈNH X"). */
static int take_subject(seg *S, vbi_doc *D, pieces *ps, size_t from, bool caps)
{
    acc a;
    acc_init(&a);
    int rc = 0;
    for (size_t k = 0; k < ps->n && !rc; k++) {
        piece *pc = &ps->v[k];
        if (pc->line <= from && !(pc->line == from && pc->kind == P_TEXT)) continue;
        if (pc->kind == P_CAPS && caps) {
            if (match_piece(S, R_AUTHORITY_LINE, pc->off, pc->len, NULL, NULL)) caps = false;
            else pc->kind = P_TEXT;
        }
        if (pc->kind != P_TEXT) continue;
        if (S->t[pc->off] == '*' && pc->len == 1) continue;
        rc = acc_add(S, &a, pc->off, pc->len);
    }
    if (rc) {
        vbi_buf_free(&a.b);
        return rc;
    }
    if (!a.b.len) {
        vbi_buf_free(&a.b);
        return 0;
    }
    return acc_take(S, &a, &D->subject);
}

typedef struct {
    size_t type_line, number_line, vv_line, date_line;
    size_t of_s, of_e; /* "CỦA BAN THƯỜNG VỤ TỈNH ỦY" under the type: the body, if no header names one */
} hdr_lines;

/* Is there a piece in capitals on a line in (a, b)? */
static bool caps_between(const pieces *ps, size_t a, size_t b)
{
    for (size_t k = 0; k < ps->n; k++)
        if (ps->v[k].kind == P_CAPS && ps->v[k].line > a && ps->v[k].line < b) return true;
    return false;
}

/* The type line ("QUYẾT ĐỊNH", "CHỈ THỊ CỦA BAN BÍ THƯ") and the "CỦA X" line
   under it.  True when line i was one of them. */
static bool type_item(seg *S, vbi_doc *D, hdr_lines *h, size_t i, size_t hend, int *rc)
{
    size_t off = S->L[i].off, len = LEN(S, i), a, b, c, d;
    if (h->type_line == SIZE_MAX && match_piece(S, R_TYPE_LINE, off, len, NULL, NULL)) {
        h->type_line = i;
        if (group(S, R_TYPE_LINE, "type", off, &a, &b)) {
            D->type = vbi_doctype_by_caps(S->m, S->t + a, b - a);
            D->type_span = seg_span(S, a, b - a);
        }
        if (group(S, R_TYPE_LINE, "of", off, &a, &b) && !D->issuer.s) {
            *rc = str_of(S, a, b - a, &D->issuer);
            D->issuer_inferred = true;
        }
        return true;
    }
    /* "GIẤY PHÉP SỬ DỤNG …" under "Số: 2507/GP-UBND": type and subject */
    if (h->type_line == SIZE_MAX && D->num_type && match_piece(S, R_TYPE_HEAD, off, len, NULL, NULL) &&
        group(S, R_TYPE_HEAD, "type", off, &a, &b) && group(S, R_TYPE_HEAD, "rest", off, &c, &d)) {
        const vbi_doctype *t = vbi_doctype_by_caps(S->m, S->t + a, b - a);
        if (t && t == vbi_doctype_by_code(S->m, D->num_type, strlen(D->num_type), VBI_FMT_UNKNOWN)) {
            h->type_line = i;
            D->type = t;
            D->type_span = seg_span(S, a, b - a);
            *rc = str_of(S, c, d - c, &D->subject);
            return true;
        }
    }
    /* the type printed twice ("# THÔNG TƯ" above the header, "## THÔNG TƯ"
       under it) is one type, not a subject */
    if (h->type_line != SIZE_MAX && D->type && match_piece(S, R_TYPE_LINE, off, len, NULL, NULL) &&
        group(S, R_TYPE_LINE, "type", off, &a, &b) && !group(S, R_TYPE_LINE, "of", off, &c, &d) &&
        vbi_doctype_by_caps(S->m, S->t + a, b - a) == D->type)
        return true;
    if (h->type_line != SIZE_MAX && next_nb(S, h->type_line + 1, hend) == i && !D->issuer.s &&
        match_piece(S, R_OF_LINE, off, len, NULL, NULL) && group(S, R_OF_LINE, "of", off, &a, &b)) {
        /* the issuer only when the header names none (taken after it) */
        h->of_s = a;
        h->of_e = b;
        return true;
    }
    return false;
}

int parse_header(seg *S, vbi_doc *D, size_t start, size_t hend)
{
    pieces ps = {0};
    int rc = 0;
    stamp_win w;
    find_stamp(S, start, hend, &w);
    hdr_lines h = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX};
    for (size_t i = start; i < hend && !rc; i++) {
        if (blank(S, i)) continue;
        size_t off = S->L[i].off, len = LEN(S, i), a, b;
        if (match(S, R_SEPARATOR, off, len)) continue;
        if (w.den != SIZE_MAX && i >= w.lo && i <= w.hi && stamp_item(S, D, &w, i)) continue;
        if (h.vv_line == SIZE_MAX && match_piece(S, R_VV, off, len, NULL, NULL)) {
            h.vv_line = i;
            if (group(S, R_VV, "s", off, &a, &b)) rc = add_piece(&ps, a, b - a, i, P_TEXT);
            continue;
        }
        if (type_item(S, D, &h, i, hend, &rc)) continue;
        bool had_number = D->has_number, had_date = D->date[0] != 0;
        rc = carve(S, D, &ps, off, len, i, 0);
        if (!had_number && D->has_number) h.number_line = i;
        if (!had_date && D->date[0]) h.date_line = i;
    }
    if (!rc && w.den != SIZE_MAX) rc = stamp_receiver(S, D, &ps, &w);
    /* the issuer stands before the number (or before the type when there
       is no number; a type line above the issuer, "# THÔNG TƯ" / subject /
       "BỘ CÔNG AN" / "Số: …", does not end it) */
    size_t limit = h.number_line;
    if (h.type_line < limit && (limit == SIZE_MAX || !caps_between(&ps, h.type_line, limit)))
        limit = h.type_line;
    if (limit == SIZE_MAX) limit = h.date_line;
    if (limit == SIZE_MAX) limit = h.vv_line;
    if (!rc && !D->issuer.s && limit != SIZE_MAX) rc = take_issuer(S, D, &ps, limit);
    if (!rc && !D->issuer.s) rc = take_issuer_late(S, D, &ps, start, hend);
    if (!rc && !D->issuer.s && h.of_s != SIZE_MAX) { /* "CHỈ THỊ / CỦA BAN BÍ THƯ" */
        rc = str_of(S, h.of_s, h.of_e - h.of_s, &D->issuer);
        D->issuer_inferred = true;
    }
    /* no header at all, but the text opens with a body's name, as the
       gazette heads a continued text ("BỘ QUỐC PHÒNG") */
    if (!rc && !D->issuer.s && limit == SIZE_MAX && !D->national.s && ps.n &&
        ps.v[0].kind == P_CAPS && match_piece(S, R_ISSUER_BODY, ps.v[0].off, ps.v[0].len, NULL, NULL)) {
        rc = str_of(S, ps.v[0].off, ps.v[0].len, &D->issuer);
        ps.v[0].kind = P_USED;
    }
    size_t from = h.vv_line != SIZE_MAX ? h.vv_line : h.type_line != SIZE_MAX ? h.type_line : h.number_line;
    if (!rc && from != SIZE_MAX && !D->subject.s)
        rc = take_subject(S, D, &ps, from, from == h.type_line);
    if (h.vv_line != SIZE_MAX && !D->type) D->type = vbi_doctype_by_name(S->m, "Công văn", strlen("Công văn"));
    free(ps.v);
    return rc;
}
