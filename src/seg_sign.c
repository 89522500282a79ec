/* seg_sign.c - the tail of a document: the distribution list after
 * "Nơi nhận:" and the signature block (markers TM. KT. TL. TUQ. Q. T/M K/T
 * T/L, the post, the signer's name).  OCR and PDF text interleave the two
 * columns; seg_lines.c has already cut lines where a marker or a post was
 * glued to a list item, so here each line is one of: list start, list item,
 * its continuation, marker line, post, name, or a line that carries nothing
 * ("(Đã ký)").
 */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

typedef struct {
    strlist rl;
    item it;
    acc auth;
    bool in_rec, sig, bare_marker;
    bool luu; /* the "Lưu" item was read: the list is closed */
} tail_state;

/* The signer's name on line [off, off+len) without a rank before it. */
static int take_name(seg *S, vbi_doc *D, size_t off, size_t len)
{
    size_t a, b;
    if (!match_piece(S, R_PERSON_NAME, off, len, NULL, NULL) ||
        !group(S, R_PERSON_NAME, "n", off, &a, &b)) {
        a = off;
        b = off + len;
    }
    while (b > a && S->t[b - 1] == '.') b--;
    int rc = str_of(S, a, b - a, &D->sig_name);
    D->sig_span = span_join(D->sig_span, D->sig_name.span);
    return rc;
}

/* "- Lưu: VT, KT. Nguyễn Văn A": a name glued to the last item. */
static bool glued_name(seg *S, size_t off, size_t len, size_t *name_off)
{
    const char *s = S->t + off;
    size_t k = len;
    while (k > 1 && !(s[k - 1] == ' ' && (s[k - 2] == '.' || s[k - 2] == ';' || s[k - 2] == ','))) k--;
    if (k <= 1) return false;
    if (!vbi_match(S->p, R_PERSON_NAME, s + k, len - k, 0)) return false;
    *name_off = off + k;
    return true;
}

static int marker_line(seg *S, vbi_doc *D, tail_state *ts, size_t off, size_t len)
{
    size_t a, b;
    int rc = 0;
    while (len && strchr(" ,;:'\"`|_~", S->t[off + len - 1])) len--; /* OCR debris after it */
    if (!D->sig_marker.s && group(S, R_SIGN_MARKER, "m", off, &a, &b))
        rc = str_of(S, a, b - a, &D->sig_marker);
    ts->bare_marker = !group(S, R_SIGN_MARKER, "rest", off, &a, &b);
    if (!rc && ts->auth.b.len) rc = vbi_buf_put(&ts->auth.b, " /", 2);
    if (!rc) rc = acc_add(S, &ts->auth, off, len);
    ts->sig = true;
    D->sig_span = span_join(D->sig_span, seg_span(S, off, len));
    return rc;
}

/* Past OCR debris before the first capital ("p _PHÓ THỦ TƯỚNG"): at most 4
   bytes of lower-case letters, punctuation and spaces. */
static void skip_debris(const seg *S, size_t *a, size_t *m)
{
    size_t k = 0;
    while (k < *m && k < 5 && !upper_at(S->t + *a + k, *m - k)) k++;
    if (k && k < 5 && k < *m) {
        *a += k;
        *m -= k;
    }
}

/* Two columns read as one line: "- Ban Bí thư Trung ương Đảng; KT. THỦ
   TƯỚNG", "Nơi nhận: \" CHÍNH PHỦ".  After an item's own ';' (or after
   "Nơi nhận:"), a fragment is the signature column's when it is a signing
   marker or a post, or when it does not end an item itself and the next line
   starts a new item or the list ends.  Returns the fragment's offset in the
   line (its length is the rest), or 0 when the line is one column. */
static size_t other_column(seg *S, size_t i, size_t from, size_t end)
{
    const char *s = S->t;
    size_t off = S->L[i].off, e = off + LEN(S, i), cut = 0;
    for (size_t k = from > off ? from : off; k + 1 < e; k++)
        if (s[k] == ';' && s[k + 1] == ' ') cut = k + 2;
    if (from > off && !cut) cut = from;
    if (!cut) return 0;
    while (cut < e && s[cut] == ' ') cut++;
    size_t n = e - cut;
    while (n && s[cut + n - 1] == ' ') n--;
    if (!n) return 0;
    size_t a = cut, m = n;
    trim_item(S, &a, &m);
    skip_debris(S, &a, &m);
    if (m && (match_piece(S, R_SIGN_MARKER, a, m, NULL, NULL) ||
              (mostly_caps(s + a, m) && match_piece(S, R_SIGN_TITLE, a, m, NULL, NULL))))
        return cut;
    if (only_punct(s + cut, n)) return cut; /* "; :", "; ." */
    size_t nm = n; /* "Phạm Thị Thanh Tì 8": the signer's name, stamp debris after it */
    while (nm && !((unsigned char)s[cut + nm - 1] >= 0x80 || (s[cut + nm - 1] | 0x20) >= 'a')) nm--;
    if (nm && match_piece(S, R_FAMILY_NAME, cut, nm, NULL, NULL)) return cut;
    char last = s[cut + n - 1];
    if (last == ';' || last == ',' || last == ':') return 0;
    size_t nx = next_nb(S, i + 1, end);
    if (nx < end && !is_dash_item(S, nx) && !match_line(S, R_SIGN_MARKER, nx)) return 0;
    /* the list's own words in sentence case go on ("Bộ Tài chính") */
    if (from <= off && !mostly_caps(s + cut, n) && m > 6) return 0;
    return cut;
}

/* The other column's fragment: a marker or a post goes to the signature,
   anything else (stamp marks, OCR debris) is dropped. */
static int other_fragment(seg *S, vbi_doc *D, tail_state *ts, size_t off, size_t len)
{
    size_t a = off, m = len;
    trim_item(S, &a, &m);
    skip_debris(S, &a, &m);
    if (!m) return 0;
    if (match_piece(S, R_SIGN_MARKER, a, m, NULL, NULL)) {
        size_t k = 0;
        while (k < m && !(S->t[a + k] >= 'A' && S->t[a + k] <= 'Z')) k++; /* "—TM." */
        return marker_line(S, D, ts, a + k, m - k);
    }
    size_t nm = m;
    while (nm && !((unsigned char)S->t[a + nm - 1] >= 0x80 || (S->t[a + nm - 1] | 0x20) >= 'a')) nm--;
    if (!D->sig_name.s && nm && match_piece(S, R_FAMILY_NAME, a, nm, NULL, NULL))
        return take_name(S, D, a, nm);
    if (!D->sig_title.s && mostly_caps(S->t + a, m) && match_piece(S, R_SIGN_TITLE, a, m, NULL, NULL)) {
        int rc = str_of(S, a, m, &D->sig_title);
        D->sig_span = span_join(D->sig_span, D->sig_title.span);
        return rc;
    }
    return 0;
}

static int tail_line(seg *S, vbi_doc *D, tail_state *ts, size_t i)
{
    size_t off = S->L[i].off, len = LEN(S, i), a, b, name;
    if (only_punct(TXT(S, i), len)) return 0; /* a rule, a table's "---" row */
    if (len >= 5 && TXT(S, i)[0] == '!' && TXT(S, i)[1] == '[' && TXT(S, i)[len - 1] == ')')
        return 0; /* a markdown image (a scanned stamp or signature) */
    bool capsish = (S->L[i].flags & VBI_L_CAPS) || (ts->sig && mostly_caps(TXT(S, i), len));
    if (match_piece(S, R_NOI_NHAN, off, len, NULL, NULL)) {
        ts->in_rec = true;
        if (group(S, R_NOI_NHAN, "rest", off, &a, &b)) {
            while (a < b && S->t[a] == ' ') a++;
            size_t cut = a < b ? other_column(S, i, a, S->n) : 0;
            if (cut) return other_fragment(S, D, ts, cut, b - cut);
            if (a < b) return item_add(S, &ts->it, a, b - a, true, &ts->rl);
        }
        return 0;
    }
    if (match_piece(S, R_SIGN_MARKER, off, len, NULL, NULL)) return marker_line(S, D, ts, off, len);
    if (match_line(S, R_SIGN_SKIP, i)) return 0;
    if (ts->bare_marker && capsish) { /* "TL." / "BỘ TRƯỞNG" */
        ts->bare_marker = false;
        D->sig_span = span_join(D->sig_span, seg_span(S, off, len));
        return acc_add(S, &ts->auth, off, len);
    }
    if (is_dash_item(S, i) && ts->in_rec) {
        size_t ta = off, tn = len;
        trim_item(S, &ta, &tn);
        if (tn && match_piece(S, R_SIGN_MARKER, ta, tn, NULL, NULL)) /* "- —TM.CHÍNH PHỦ" */
            return marker_line(S, D, ts, ta, tn);
        if (ts->luu) return 0; /* after "Lưu": a portal's notes, a report's items */
        if (is_luu_item(S->t + ta, tn)) ts->luu = true;
        size_t cut = other_column(S, i, 0, S->n);
        if (cut) {
            int rc = item_add(S, &ts->it, off, cut - off, true, &ts->rl);
            return rc ? rc : other_fragment(S, D, ts, cut, off + len - cut);
        }
        if (!D->sig_name.s && glued_name(S, off, len, &name)) {
            int rc = item_add(S, &ts->it, off, name - off, true, &ts->rl);
            return rc ? rc : take_name(S, D, name, off + len - name);
        }
        return item_add(S, &ts->it, off, len, true, &ts->rl);
    }
    if (is_name(S, i) && !D->sig_name.s) return take_name(S, D, off, len);
    bool post = capsish && match_line(S, R_SIGN_TITLE, i);
    if (D->sig_title.s && !D->sig_name.s && capsish && !post && match_line(S, R_CAPS_NAME, i) &&
        S->L[i].nchars <= 40)
        return take_name(S, D, off, len); /* "NGUYỄN SINH HÙNG" under the post */
    bool digits = false; /* a post has none ("CÁC CHỈ TIÊU GIAI ĐOẠN 2026 - 2030" is a title) */
    for (size_t k = 0; k < len && !digits; k++) digits = S->t[off + k] >= '0' && S->t[off + k] <= '9';
    if (capsish && !D->sig_title.s && (post || !digits) &&
        (post || ts->sig || !ts->it.open || ts->it.ended)) {
        /* "KT. CHÁNH ÁN" / "TÒA ÁN NHÂN DÂN TỐI CAO" / "PHÓ CHÁNH ÁN": a body
           under the marker, before the post, is part of the authority */
        size_t nx = next_nb(S, i + 1, S->n);
        if (ts->sig && !post && nx < S->n && (S->L[nx].flags & VBI_L_CAPS) &&
            match_line(S, R_SIGN_TITLE, nx)) {
            D->sig_span = span_join(D->sig_span, seg_span(S, off, len));
            return acc_add(S, &ts->auth, off, len);
        }
        int rc = str_of(S, off, len, &D->sig_title);
        D->sig_span = span_join(D->sig_span, D->sig_title.span);
        return rc;
    }
    if (ts->in_rec && ts->it.open && !D->sig_name.s && !(ts->luu && ts->it.ended))
        return item_add(S, &ts->it, off, len, false, &ts->rl);
    return 0;
}

int parse_tail(seg *S, vbi_doc *D, size_t tail, size_t end, size_t *last)
{
    tail_state ts;
    memset(&ts, 0, sizeof ts);
    acc_init(&ts.auth);
    int rc = 0;
    *last = SIZE_MAX;
    for (size_t i = tail; i < end && !rc; i++) {
        if (blank(S, i) || (S->late && S->late[i])) continue;
        *last = i;
        rc = tail_line(S, D, &ts, i);
    }
    if (!rc) rc = item_flush(S, &ts.it, &ts.rl);
    vbi_buf_free(&ts.it.a.b);
    D->recipients = ts.rl.v;
    D->nrecipients = ts.rl.n;
    if (!rc && ts.auth.b.len) {
        rc = acc_take(S, &ts.auth, &D->sig_authority);
    } else {
        vbi_buf_free(&ts.auth.b);
    }
    return rc;
}

/* No tail found: a signature may still close the content ("CHỦ TỊCH" / name). */
int bare_signature(seg *S, vbi_doc *D, para *P, size_t *np)
{
    if (*np == 0) return 0;
    para *lp = &P[*np - 1];
    if (lp->first != lp->last || !is_name(S, lp->first)) return 0;
    int rc = take_name(S, D, S->L[lp->first].off, LEN(S, lp->first));
    (*np)--;
    if (!rc && *np > 0 && P[*np - 1].first == P[*np - 1].last &&
        (S->L[P[*np - 1].first].flags & VBI_L_CAPS)) {
        size_t q = P[*np - 1].first;
        rc = str_of(S, S->L[q].off, LEN(S, q), &D->sig_title);
        D->sig_span = span_join(D->sig_span, D->sig_title.span);
        (*np)--;
    }
    return rc;
}
