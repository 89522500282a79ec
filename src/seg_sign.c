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
    if (!D->sig_marker.s && group(S, R_SIGN_MARKER, "m", off, &a, &b))
        rc = str_of(S, a, b - a, &D->sig_marker);
    ts->bare_marker = !group(S, R_SIGN_MARKER, "rest", off, &a, &b);
    if (!rc && ts->auth.b.len) rc = vbi_buf_put(&ts->auth.b, " /", 2);
    if (!rc) rc = acc_add(S, &ts->auth, off, len);
    ts->sig = true;
    D->sig_span = span_join(D->sig_span, seg_span(S, off, len));
    return rc;
}

static int tail_line(seg *S, vbi_doc *D, tail_state *ts, size_t i)
{
    size_t off = S->L[i].off, len = LEN(S, i), a, b, name;
    if (only_punct(TXT(S, i), len)) return 0; /* a rule, a table's "---" row */
    bool capsish = (S->L[i].flags & VBI_L_CAPS) || (ts->sig && mostly_caps(TXT(S, i), len));
    if (match_piece(S, R_NOI_NHAN, off, len, NULL, NULL)) {
        ts->in_rec = true;
        if (group(S, R_NOI_NHAN, "rest", off, &a, &b)) {
            while (a < b && S->t[a] == ' ') a++;
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
        if (!D->sig_name.s && glued_name(S, off, len, &name)) {
            int rc = item_add(S, &ts->it, off, name - off, true, &ts->rl);
            return rc ? rc : take_name(S, D, name, off + len - name);
        }
        return item_add(S, &ts->it, off, len, true, &ts->rl);
    }
    if (is_name(S, i) && !D->sig_name.s) return take_name(S, D, off, len);
    bool post = capsish && match_line(S, R_SIGN_TITLE, i);
    if (D->sig_title.s && !D->sig_name.s && capsish && match_line(S, R_CAPS_NAME, i) &&
        S->L[i].nchars <= 40)
        return take_name(S, D, off, len); /* "NGUYỄN SINH HÙNG" under the post */
    if (capsish && !D->sig_title.s && (post || ts->sig || !ts->it.open || ts->it.ended)) {
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
    if (ts->in_rec && ts->it.open && !D->sig_name.s)
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
