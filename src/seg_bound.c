/* seg_bound.c - where documents begin, by evidence.
 *
 * A document begins where a header stands: national header, motto, number,
 * date line, type (a few of them together, in whatever order and line layout
 * OCR or a portal left them).  One phrase is never enough: a body sentence
 * that names "nước Cộng hòa xã hội chủ nghĩa Việt Nam" or quotes the motto is
 * not in a header position (text in lower case before it, or the words
 * themselves in lower case), and a header needs two kinds of evidence.
 *
 *   evidence    each line: EV_* bits (seg.h), from the header rules, kept only
 *               where a header would write them: at the start of the line or
 *               after text in capitals (an issuer flattened onto the line).
 *   candidates  runs of header evidence within a few lines of each other.
 *   documents   the first candidate that looks like a header opens the first
 *               document; text before it is a preamble (a portal's banner,
 *               title, metadata table, front matter) and costs the document
 *               nothing.  But when that text already reads like a body
 *               (articles, a signature), the document started there and the
 *               header comes late, as PDF text layers sometimes order it.
 *               A later candidate is
 *                 - a late header block of the current document when it is
 *                   a consolidated text's authentication ("XÁC THỰC VĂN BẢN
 *                   HỢP NHẤT") or brings a number or date the document lacks
 *                   before it is signed;
 *                 - an annex when it is attached ("kèm theo …"), follows an
 *                   annex label, or, after the signature, has no number and
 *                   no date of its own (forms, attached regulations);
 *                 - a new document when it has a full header of its own.
 *               After the signature an annex label ("PHỤ LỤC", "Mẫu số")
 *               opens an annex too.
 * Everything is one pass over the lines plus a bounded look around each.
 */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

#define STRONG (EV_NAT | EV_PARTY | EV_MOTTO | EV_NUM | EV_NUMX | EV_DATE | EV_DATEX | EV_XACTHUC)
#define WINDOW 12     /* lines with letters a header spreads over */
#define WALKBACK 6    /* issuer lines above the first evidence */

/* A prefix a header item may have on its line: nothing, text in capitals
   (the issuer column flattened), or the name of a law ("Luật số: 59/…"). */
static bool header_prefix(const char *s, size_t n)
{
    while (n && s[n - 1] == ' ') n--;
    if (!n || no_lower(s, n)) return true;
    static const char *const law[] = {"Luật", "Bộ luật", "Pháp lệnh", "Lệnh", "Nghị quyết"};
    for (size_t k = 0; k < sizeof law / sizeof *law; k++)
        if (n == strlen(law[k]) && !memcmp(s, law[k], n)) return true;
    return false;
}

static bool at_start(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    return n >= m && !memcmp(s, w, m);
}

/* The evidence of line i.  Most lines are body sentences: each test starts
   with what is cheap (the first byte, the length, a rare byte sequence such
   as the capital "ỘNG" of "CỘNG HÒA" and "ĐẢNG CỘNG SẢN") before a rule runs. */
static uint16_t line_evidence(seg *S, size_t i)
{
    const char *s = TXT(S, i);
    size_t n = LEN(S, i), off = S->L[i].off, so, eo, a, b;
    uint16_t ev = 0, fl = S->L[i].flags;
    unsigned char c0 = (unsigned char)s[0], c1 = n > 1 ? (unsigned char)s[1] : 0;
    uint32_t nch = S->L[i].nchars;
    /* a flattened annex label: "Phụ lục I DANH MỤC … (Ban hành kèm theo …)" */
    if (nch > 160 && nch <= 400 && (c0 == 'P' || c0 == 'M' || c0 == 'B') &&
        match_line(S, R_ANNEX_LABEL, i))
        return EV_ANNEX;
    if (nch > 200) return 0;
    if (seg_has(s, n, "ỘNG")) {
        if (match_piece(S, R_NATIONAL_STATE, off, n, &so, &eo) && header_prefix(s, so - off) &&
            mostly_caps(S->t + so, eo - so))
            ev |= EV_NAT;
        if (match_piece(S, R_NATIONAL_PARTY, off, n, &so, &eo) && header_prefix(s, so - off) &&
            mostly_caps(S->t + so, eo - so))
            ev |= EV_PARTY;
    }
    if (nch <= 90 && (seg_has(s, n, "ộc lập") || seg_has(s, n, "ỘC LẬP")) &&
        match_piece(S, R_MOTTO, off, n, &so, &eo) &&
        (header_prefix(s, so - off) || (ev & (EV_NAT | EV_PARTY))))
        ev |= EV_MOTTO;
    if (c0 == 'S' || c0 == 's' || c0 == 'L' || c0 == 'B' || c0 == 'P' || c0 == 'N' || c0 == 0xC4) {
        if (match_piece(S, R_NUMBER, off, n, &so, &eo) && header_prefix(s, so - off))
            ev |= EV_NUM;
        else if (match_line(S, R_NUMBER_BLANK, i))
            ev |= EV_NUMX;
    }
    if (seg_has(s, n, "gày") || seg_has(s, n, "GÀY")) { /* ngày, Ngày, NGÀY */
        if (match_piece(S, R_DATELINE, off, n, &so, &eo) && header_prefix(s, so - off) &&
            /* without a place, the date is the whole line ("ngày 07 tháng 4
               năm 2009 của Bộ …" is a wrapped body line) */
            (group(S, R_DATELINE, "place", off, &a, &b) || only_punct(S->t + eo, off + n - eo)))
            ev |= EV_DATE;
        else if (match_piece(S, R_DATELINE_NUMERIC, off, n, &so, &eo) &&
                 group(S, R_DATELINE_NUMERIC, "place", off, &a, &b) && header_prefix(s, so - off))
            ev |= EV_DATE;
        else if (match_line(S, R_DATE_BLANK, i))
            ev |= EV_DATEX;
    }
    if ((fl & VBI_L_CAPS) && match_line(S, R_TYPE_LINE, i)) ev |= EV_TYPE;
    if (c0 == 'V' && match_line(S, R_VV, i)) ev |= EV_VV;
    if ((fl & VBI_L_CAPS) && seg_has(s, n, "XÁC THỰC VĂN BẢN HỢP NHẤT")) ev |= EV_XACTHUC;
    if ((c0 == '(' || c0 == '[' || c0 == 'B' || c0 == 'K' || c0 == 'k' || c0 == 'b') &&
        match_line(S, R_KEMTHEO, i))
        ev |= EV_KEMTHEO;
    if ((c0 == 'P' || c0 == 'M' || c0 == 'B') && nch <= 160 && match_line(S, R_ANNEX_LABEL, i))
        ev |= EV_ANNEX;
    bool dash0 = c0 == '-' || c0 == 0xE2;
    if (((c0 == 'N' || c1 == 'N' || dash0) && match_line(S, R_NOI_NHAN, i)) ||
        ((c0 == 'T' || c0 == 'K' || c0 == 'Q') && match_line(S, R_SIGN_MARKER, i)))
        ev |= EV_TAIL;
    if ((c0 == 'K' || dash0) && match_line(S, R_KINH_GUI, i)) ev |= EV_BODY;
    else if ((at_start(s, n, "Điều") || at_start(s, n, "Chương")) && is_label(S, i)) ev |= EV_BODY;
    return ev;
}

void seg_evidence(seg *S)
{
    for (size_t i = 0; i < S->n; i++) S->ev[i] = blank(S, i) ? 0 : line_evidence(S, i);
}

/* ---- candidates --------------------------------------------------------- */

typedef struct {
    size_t first, last; /* first and last line with evidence */
    unsigned kinds;     /* EV_* of its lines */
} cand;

static bool has_letters(const seg *S, size_t i)
{
    return !only_punct(TXT(S, i), LEN(S, i));
}

/* A body sentence (not a header line): long, or starting in lower case. */
static bool body_line(const seg *S, size_t i)
{
    uint16_t f = S->L[i].flags;
    if (f & VBI_L_CAPS) return false;
    return S->L[i].nchars > 150 || (f & VBI_L_LOWER && S->L[i].nchars > 60);
}

/* The candidate starting at line i (which has strong evidence). */
static cand grow(seg *S, size_t i)
{
    cand c = {i, i, S->ev[i]};
    size_t seen = 0;
    for (size_t j = i + 1; j < S->n && seen < WINDOW; j++) {
        if (blank(S, j)) continue;
        if (S->ev[j] & (EV_BODY | EV_TAIL)) break;
        if (body_line(S, j) && !(S->ev[j] & STRONG)) break;
        if (has_letters(S, j)) seen++;
        c.kinds |= S->ev[j];
        if (S->ev[j] & (STRONG | EV_TYPE | EV_VV | EV_KEMTHEO)) c.last = j;
    }
    return c;
}

static int strong_kinds(unsigned k)
{
    return !!(k & (EV_NAT | EV_PARTY)) + !!(k & EV_MOTTO) + !!(k & EV_NUM) + !!(k & EV_DATE);
}

/* Enough to open the first document. */
static bool opens_first(unsigned k)
{
    int s = strong_kinds(k);
    return s >= 2 || (s == 1 && (k & (EV_TYPE | EV_VV))) || (k & EV_XACTHUC);
}

/* A full header of its own: a document, not a part of one. */
static bool full_header(unsigned k)
{
    if ((k & (EV_NAT | EV_PARTY)) && (k & (EV_NUM | EV_DATE))) return true;
    return (k & EV_NUM) && (k & EV_DATE) && (k & (EV_TYPE | EV_VV));
}

/* A type line and its subject above the number ("THÔNG TƯ" / "Quy định …" /
   "Số: 15/2026/TT-BYT"): the line the document starts at, or first. */
static size_t type_above(seg *S, size_t first, size_t floor)
{
    size_t seen = 0;
    for (size_t k = first; k > floor && seen < 3;) {
        k--;
        if (blank(S, k)) continue;
        if (S->ev[k] & EV_TYPE) return k;
        if ((S->ev[k] & (EV_BODY | EV_TAIL | EV_ANNEX | EV_KEMTHEO)) || S->L[k].nchars > 400 ||
            match_line(S, R_CAN_CU, k) || match_line(S, R_PORTAL_HEAD, k))
            return first;
        seen++;
    }
    return first;
}

/* Issuer lines above a candidate's first evidence: lines in capitals. */
static size_t walkback(seg *S, size_t first, size_t floor)
{
    first = type_above(S, first, floor);
    size_t j = first, nb = 0;
    while (j > floor) {
        size_t k = j - 1;
        if (blank(S, k)) { j = k; continue; }
        uint16_t f = S->L[k].flags;
        bool capsish = (f & VBI_L_CAPS) || only_punct(TXT(S, k), LEN(S, k));
        if (!capsish || (S->ev[k] & (EV_TAIL | EV_ANNEX)) || ++nb > WALKBACK ||
            match_line(S, R_PORTAL_HEAD, k))
            break;
        /* a line in capitals right under a signing marker is a post, not a header */
        size_t q = k;
        while (q > floor && blank(S, q - 1)) q--;
        if (q > floor && (S->ev[q - 1] & EV_TAIL)) break;
        j = k;
    }
    while (j < first && (blank(S, j) || only_punct(TXT(S, j), LEN(S, j)))) j++;
    return j;
}

/* ---- documents ---------------------------------------------------------- */

typedef struct {
    seg_range *v;
    size_t n, cap;
} ranges;

static int push_range(ranges *R, size_t start)
{
    if (R->n == R->cap) {
        size_t cap = R->cap ? R->cap * 2 : 4;
        seg_range *v = realloc(R->v, cap * sizeof *v);
        if (!v) return VANBAN_ENOMEM;
        R->v = v;
        R->cap = cap;
    }
    R->v[R->n++] = (seg_range){start, start, NULL, 0};
    return 0;
}

static int push_block(seg_range *d, size_t first, size_t last, int kind)
{
    if ((d->nblk & (d->nblk - 1)) == 0) { /* 0, 1, 2, 4 …: grow */
        size_t cap = d->nblk ? d->nblk * 2 : 1;
        seg_block *b = realloc(d->blk, cap * sizeof *b);
        if (!b) return VANBAN_ENOMEM;
        d->blk = b;
    }
    d->blk[d->nblk++] = (seg_block){first, last, kind};
    return 0;
}

void seg_ranges_free(seg_range *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].blk);
    free(v);
}

/* Does the preamble [from, to) read like the body of a document: an article,
   a chapter, an address?  (A portal's metadata table may hold a signing
   marker, "| Người ký | KT. Bộ trưởng … |", so a marker alone does not.) */
static bool body_before(const seg *S, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        if (S->ev[k] & EV_BODY) return true;
    return false;
}

/* Is there an annex label among the few lines before line i? */
static size_t label_before(const seg *S, size_t i, size_t floor)
{
    size_t seen = 0;
    for (size_t k = i; k > floor && seen < 3;) {
        k--;
        if (blank(S, k)) continue;
        if (S->ev[k] & EV_ANNEX) return k;
        seen++;
    }
    return SIZE_MAX;
}

/* Does a "kèm theo" line follow the candidate closely? */
static bool attached(const seg *S, const cand *c)
{
    if (c->kinds & EV_KEMTHEO) return true;
    size_t seen = 0;
    for (size_t k = c->last + 1; k < S->n && seen < 6; k++) {
        if (blank(S, k)) continue;
        if (S->ev[k] & EV_KEMTHEO) return true;
        if (S->ev[k] & (EV_BODY | EV_TAIL)) return false;
        seen++;
    }
    return false;
}

typedef struct {
    ranges R;
    unsigned kinds;   /* header evidence the current document has */
    bool signed_;     /* a tail line seen in the current document */
    bool in_annex;    /* an annex has begun */
    size_t annex_at;  /* where the last annex began */
    size_t trailer;   /* where a portal's trailing sections begin, or SIZE_MAX */
    size_t scanned;   /* lines up to here were checked for tail and annex labels */
} state;

/* The title lines above a "kèm theo" line ("KẾ HOẠCH" / "THỰC HIỆN …" /
   "(Kèm theo Quyết định số …)"): where the attached text starts. */
static size_t title_above(const seg *S, size_t k, size_t floor)
{
    size_t start = k, seen = 0;
    for (size_t q = k; q > floor && seen < 3;) {
        q--;
        if (blank(S, q)) continue;
        if (S->ev[q] & (EV_TAIL | EV_BODY)) break;
        bool title = (S->L[q].flags & VBI_L_CAPS) || is_heading_line(S, q) || (S->ev[q] & EV_ANNEX) ||
                     match_line((seg *)S, R_SECTION_LABEL, q);
        if (!title) break;
        start = q;
        seen++;
    }
    return start;
}

static int open_annex(seg_range *d, state *st, size_t k)
{
    if (d->nblk && d->blk[d->nblk - 1].kind == BLK_ANNEX && d->blk[d->nblk - 1].first >= k)
        return 0;
    st->in_annex = true;
    st->annex_at = k;
    return push_block(d, k, k, BLK_ANNEX);
}

/* Tail lines and annex openings between the last scan and line `to`: after
   the signature an annex label, a type line ("KẾ HOẠCH") or a "kèm theo"
   line under its title opens an annex. */
static int scan_to(seg *S, state *st, size_t to)
{
    seg_range *d = &st->R.v[st->R.n - 1];
    int rc = 0;
    for (size_t k = st->scanned; k < to && !rc; k++) {
        if (blank(S, k)) continue;
        uint16_t ev = S->ev[k];
        if (ev & EV_TAIL) st->signed_ = true;
        /* a portal's own section after the signature ("## Văn bản liên quan",
           "## Điểm mới chính"): the document has ended */
        if (st->signed_ && st->trailer == SIZE_MAX && is_heading_line(S, k) &&
            match_line(S, R_PORTAL_HEAD, k)) {
            st->trailer = k;
            continue;
        }
        if (st->trailer != SIZE_MAX) continue;
        if ((ev & EV_ANNEX) && (st->signed_ || st->in_annex || (S->L[k].flags & VBI_L_CAPS)))
            rc = open_annex(d, st, k);
        else if ((ev & EV_TYPE) && st->signed_ && !st->in_annex)
            rc = open_annex(d, st, k);
        else if ((ev & EV_KEMTHEO) && st->signed_ && (!st->in_annex || k > st->annex_at + 8))
            rc = open_annex(d, st, title_above(S, k, st->in_annex ? st->annex_at + 1 : d->start));
    }
    if (to > st->scanned) st->scanned = to;
    return rc;
}

static int new_doc(state *st, size_t start)
{
    if (st->R.n && st->trailer != SIZE_MAX && st->trailer < st->R.v[st->R.n - 1].end)
        st->R.v[st->R.n - 1].end = st->trailer;
    st->trailer = SIZE_MAX;
    st->kinds = 0;
    st->signed_ = st->in_annex = false;
    st->scanned = start;
    return push_range(&st->R, start);
}

/* Decide what a candidate after the start of the current document is. */
static int place_candidate(seg *S, state *st, const cand *c)
{
    int rc = scan_to(S, st, c->first);
    if (rc) return rc;
    if (st->trailer != SIZE_MAX && !full_header(c->kinds)) return 0;
    seg_range *d = &st->R.v[st->R.n - 1];
    size_t floor = d->nblk ? d->blk[d->nblk - 1].last + 1 : d->start + 1;
    size_t start = walkback(S, c->first, floor);
    if (c->kinds & EV_XACTHUC) {
        st->kinds |= c->kinds;
        return push_block(d, start, c->last, BLK_LATE_HEADER);
    }
    size_t lab = label_before(S, c->first, floor);
    if (attached(S, c) || lab != SIZE_MAX) {
        rc = open_annex(d, st, lab == SIZE_MAX ? start : lab);
        st->scanned = c->last + 1;
        return rc;
    }
    unsigned lacks = ~st->kinds & (EV_NUM | EV_DATE);
    if (full_header(c->kinds) && !st->in_annex) {
        if (!st->signed_ && (c->kinds & lacks)) {
            st->kinds |= c->kinds;
            return push_block(d, start, c->last, BLK_LATE_HEADER);
        }
        /* a new document: after a signature, or (when the signature was
           lost, as OCR loses it) with three kinds of header evidence */
        if (st->signed_ || strong_kinds(c->kinds) >= 3) {
            d->end = start;
            rc = new_doc(st, start);
            st->kinds = c->kinds;
            st->scanned = c->last + 1;
            return rc;
        }
        return 0; /* a header quoted inside an unsigned body */
    }
    if (st->in_annex) return 0; /* a form's own header inside its annex */
    if (st->signed_) {
        if (!(c->kinds & (EV_NAT | EV_PARTY | EV_MOTTO | EV_NUMX | EV_DATEX))) return 0;
        st->scanned = c->last + 1;
        return open_annex(d, st, start);
    }
    if (c->kinds & lacks & (EV_NUM | EV_DATE)) {
        st->kinds |= c->kinds;
        return push_block(d, start, c->last, BLK_LATE_HEADER);
    }
    return 0;
}

int seg_bounds(seg *S, seg_range **out, size_t *nout)
{
    state st = {{NULL, 0, 0}, 0, false, false, 0, 0, SIZE_MAX};
    int rc = 0;
    size_t first_nb = next_nb(S, 0, S->n);
    for (size_t i = first_nb; i < S->n && !rc; i++) {
        if (blank(S, i) || !(S->ev[i] & STRONG)) continue;
        cand c = grow(S, i);
        if (st.R.n == 0) {
            if (!opens_first(c.kinds) && !(c.kinds & (EV_NAT | EV_PARTY))) continue;
            size_t start = walkback(S, c.first, first_nb);
            if (body_before(S, first_nb, start)) {
                rc = new_doc(&st, first_nb);
                if (!rc) rc = place_candidate(S, &st, &c);
            } else {
                rc = new_doc(&st, start);
                st.kinds = c.kinds;
                st.scanned = c.last + 1;
            }
        } else {
            rc = place_candidate(S, &st, &c);
        }
        i = c.last;
    }
    if (!rc && st.R.n == 0 && first_nb < S->n) rc = new_doc(&st, first_nb);
    if (!rc && st.R.n) rc = scan_to(S, &st, S->n);
    if (rc) {
        seg_ranges_free(st.R.v, st.R.n);
        return rc;
    }
    if (st.R.n) st.R.v[st.R.n - 1].end = st.trailer != SIZE_MAX ? st.trailer : S->n;
    *out = st.R.v;
    *nout = st.R.n;
    return 0;
}
