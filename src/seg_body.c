/* seg_body.c - the body of a document: addressees, paragraphs (wrapped
 * lines rejoined), the section tree, and the issuer and type a body names
 * when the header has none. */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

/* ---- addressees --------------------------------------------------------- */

/* After a bare "Kính gửi:", a line without a dash is an addressee of its own
   when the list is still open: the first line (a short one, or one the list
   goes on after with ';'), or a line after an item that ended with ';'.  A
   long sentence, a label, "Căn cứ …" and the like start the body. */
static bool undashed_item(seg *S, const item *it, size_t i, size_t g, size_t nitems)
{
    if (g > 1 || S->L[i].nchars > 160 || (S->L[i].flags & VBI_L_LOWER) || is_label(S, i) ||
        match_line(S, R_BODY_START, i) || (S->ev[i] & (EV_BODY | EV_TAIL)))
        return false;
    const char *t = TXT(S, i);
    size_t n = LEN(S, i);
    while (n && t[n - 1] == ' ') n--;
    char last = n ? t[n - 1] : 0;
    if (!it->open && nitems == 0) /* the first: a list ends its lines with ';' */
        return last == ';' || ((last == '.' || last == ',' || S->L[i].nchars <= 100) &&
                               S->L[i].nchars <= 120);
    return it->open && it->semi;
}

/* Addressees from line k ("Kính gửi: …").  *next: the first line after. */
int parse_addressees(seg *S, vbi_doc *D, size_t k, size_t end, size_t *next)
{
    strlist l = {0};
    item it = {0};
    int rc = 0;
    size_t off = S->L[k].off, len = LEN(S, k), a, b;
    match_piece(S, R_KINH_GUI, off, len, NULL, NULL);
    if (group(S, R_KINH_GUI, "rest", off, &a, &b)) {
        /* "Kính gửi: Sở Y tế; Sở Công Thương; …": items on one line */
        size_t o = a;
        while (o < b && S->t[o] == ' ') o++;
        while (!rc && o < b) {
            size_t e = o;
            while (e < b && !(S->t[e] == ';' && e + 2 < b && S->t[e + 1] == ' ' &&
                              upper_at(S->t + e + 2, b - e - 2)))
                e++;
            if (e < b) e++; /* keep the ';', trimmed when the item is flushed */
            rc = item_add(S, &it, o, e - o, true, &l);
            o = e;
            while (o < b && S->t[o] == ' ') o++;
        }
    }
    size_t i = k + 1, last = k;
    bool bare = !it.open; /* "Kính gửi:" alone: the items follow, with or without dashes */
    while (!rc && i < end) {
        if (blank(S, i)) { i++; continue; }
        size_t g = gap(S, last, i);
        if (is_dash_item(S, i)) {
            if (g > 1) break;
            rc = item_add(S, &it, S->L[i].off, LEN(S, i), true, &l);
        } else if (bare && undashed_item(S, &it, i, g, l.n)) {
            rc = item_add(S, &it, S->L[i].off, LEN(S, i), true, &l);
        } else {
            bool lower = S->L[i].flags & VBI_L_LOWER;
            bool cont = it.open && S->L[i].nchars < 200 && g == 0 && (lower || !it.ended) &&
                        !is_label(S, i) && !match_line(S, R_BODY_START, i) &&
                        !(S->ev[i] & (EV_BODY | EV_TAIL));
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

/* ---- paragraphs --------------------------------------------------------- */

static bool breaks_before(seg *S, size_t b)
{
    return is_label(S, b) || is_dash_item(S, b) || is_heading_line(S, b) ||
           match_line(S, R_KINH_GUI, b) || match_line(S, R_NOI_NHAN, b) ||
           match_line(S, R_SIGN_MARKER, b) || match_line(S, R_CAN_CU, b);
}

/* Does the line end on a word that cannot end a sentence? */
static bool open_word_end(const char *s, size_t n)
{
    static const char *const words[] = {"số", "của", "và", "tại", "theo", "về", "ngày", "tháng",
                                        "năm", "các", "những", "với", "cho", "được", "bởi", "từ",
                                        "đến", "là", "để", "trong", "hoặc", "do", "bằng", "đối"};
    while (n && s[n - 1] == ' ') n--;
    size_t k = n;
    while (k > 0 && s[k - 1] != ' ') k--;
    if (k == 0) return false; /* one word alone is a heading or a label */
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (n - k == strlen(words[i]) && !memcmp(s + k, words[i], n - k)) return true;
    return false;
}

static bool joins(seg *S, size_t a, size_t b)
{
    /* "… Nghị định số 289/2025/NĐ-" / "CP ngày …": a symbol cut at the line's end */
    const char *ta = TXT(S, a);
    size_t la = LEN(S, a);
    unsigned char pre = la >= 2 ? (unsigned char)ta[la - 2] : ' ';
    bool alnum = (pre >= '0' && pre <= '9') || ((pre | 0x20) >= 'a' && (pre | 0x20) <= 'z') || pre >= 0x80;
    if (la >= 3 && ta[la - 1] == '-' && alnum && gap(S, a, b) == 0 &&
        (unsigned char)TXT(S, b)[0] != '-')
        return true;
    if (breaks_before(S, b)) return false;
    if (is_heading_line(S, a)) return false;
    /* a line that ends on a word no sentence ends with runs on ("… doanh
       nghiệp số" / "68/2025/QH15;") */
    if (gap(S, a, b) == 0 && open_word_end(ta, la)) return true;
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

/* Typical full line: the 90th percentile of the next 400 line lengths. */
void measure_wrap(seg *S, size_t from, size_t end)
{
    uint32_t h[64] = {0};
    size_t cnt = 0;
    for (size_t k = from; k < end && cnt < 400; k++)
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

int push_para(para **P, size_t *np, size_t *pcap, size_t first, size_t last)
{
    if (*np == *pcap) {
        size_t cap = *pcap ? *pcap * 2 : 64;
        para *q = realloc(*P, cap * sizeof *q);
        if (!q) return VANBAN_ENOMEM;
        *P = q;
        *pcap = cap;
    }
    (*P)[(*np)++] = (para){first, last};
    return 0;
}

int collect_paras(seg *S, size_t from, size_t end, para **P, size_t *np, size_t *pcap,
                  size_t *tail)
{
    size_t prev = SIZE_MAX;
    *tail = end;
    for (size_t i = from; i < end; i++) {
        if (blank(S, i) || (S->late && S->late[i])) continue;
        if (S->ev[i] & EV_TAIL) {
            *tail = i;
            return 0;
        }
        if (prev != SIZE_MAX && joins(S, prev, i) && !(S->late && S->late[i - 1])) {
            (*P)[*np - 1].last = i;
        } else if (push_para(P, np, pcap, i, i)) {
            return VANBAN_ENOMEM;
        }
        prev = i;
    }
    return 0;
}

/* ---- sections ----------------------------------------------------------- */

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

static vbi_span para_span(const seg *S, const para *p)
{
    vbi_span sp = {S->p->ms[S->L[p->first].off], S->p->me[S->L[p->last].off + LEN(S, p->last) - 1]};
    return sp;
}

/* The title of the section opened by paragraph k: the rest of its first line
   and its other lines; a "Chương I" alone takes the next paragraph. */
static int section_title(seg *S, const para *P, size_t np, size_t *k, size_t title_from,
                         bool labelled, int rank, vbi_span *psp, char **title)
{
    size_t f = P[*k].first, off = S->L[f].off, len = LEN(S, f);
    acc a;
    acc_init(&a);
    int rc = acc_add(S, &a, title_from, off + len - title_from);
    for (size_t q = P[*k].first + 1; q <= P[*k].last && !rc; q++)
        if (!blank(S, q)) rc = acc_add(S, &a, S->L[q].off, LEN(S, q));
    if (!rc && labelled && a.b.len == 0 && rank <= 4 && *k + 1 < np && !is_label(S, P[*k + 1].first)) {
        for (size_t q = P[*k + 1].first; q <= P[*k + 1].last && !rc; q++)
            if (!blank(S, q)) rc = acc_add(S, &a, S->L[q].off, LEN(S, q));
        psp->e = para_span(S, &P[*k + 1]).e;
        (*k)++;
    }
    vbi_str t;
    if (!rc) rc = acc_take(S, &a, &t);
    else vbi_buf_free(&a.b);
    *title = rc ? NULL : t.s;
    return rc;
}

static int label_rank(seg *S, size_t base, int *rank);

/* The label of paragraph p: its rank and, when it has one, its number
   ("Điều 12." 12, "III." 3, "2.1." -1). */
static bool para_label(seg *S, const para *p, int *rank, int *val)
{
    size_t o = S->L[p->first].off, n = LEN(S, p->first), a, b;
    if (!match_piece(S, R_SECTION_LABEL, o, n, NULL, NULL) || !label_rank(S, o, rank)) return false;
    *val = -1;
    if (!group(S, R_SECTION_LABEL, "label", o, &a, &b)) return true;
    int v = 0, digits = 0, roman = 0, prev = 0;
    for (size_t k = a; k < b; k++) {
        char c = S->t[k];
        if (c >= '0' && c <= '9') {
            v = v * 10 + (c - '0');
            if (++digits > 4) return true;
        } else if (digits && c == '.' && k + 1 < b && S->t[k + 1] >= '0' && S->t[k + 1] <= '9') {
            return true; /* "2.1." */
        }
    }
    if (digits) {
        *val = v;
        return true;
    }
    for (size_t k = b; k > a; k--) { /* roman, read from the right */
        char c = S->t[k - 1];
        int d = c == 'I' ? 1 : c == 'V' ? 5 : c == 'X' ? 10 : c == 'L' ? 50 : 0;
        if (!d) {
            if (roman) break;
            continue;
        }
        roman += d < prev ? -d : d;
        prev = d > prev ? d : prev;
    }
    if (roman) *val = roman;
    return true;
}

/* The quotation marks of a paragraph: 1 when it opens with “ or " and
   leaves the quote open, 2 when it closes one opened before it (more ” than
   “, or an odd number of straight quotes, with the paragraph not opening). */
static int quote_ends(seg *S, const para *p)
{
    const unsigned char *a = (const unsigned char *)TXT(S, p->first);
    size_t na = LEN(S, p->first);
    int open = 0, close = 0, straight = 0;
    for (size_t q = p->first; q <= p->last; q++) {
        if (blank(S, q)) continue;
        const unsigned char *t = (const unsigned char *)TXT(S, q);
        size_t n = LEN(S, q);
        for (size_t k = 0; k < n; k++) {
            if (t[k] == '"') straight++;
            else if (t[k] == 0xE2 && k + 2 < n && t[k + 1] == 0x80) {
                open += t[k + 2] == 0x9C;
                close += t[k + 2] == 0x9D;
            }
        }
    }
    bool starts = (na && a[0] == '"') || (na >= 3 && a[0] == 0xE2 && a[1] == 0x80 && a[2] == 0x9C);
    if (starts && (open > close || (straight & 1))) return 1;
    return (close > open || (straight & 1)) ? 2 : 0;
}

#define QUOTE_SPAN 400 /* paragraphs a quotation may run before it must close */

/* Mark the paragraphs inside a quotation of several paragraphs (“1. Đối
   tượng …” … “l) … cách mạng”; an amended article quoted whole): their
   labels are the quoted text's, not the document's sections.  A quote that
   does not close within QUOTE_SPAN paragraphs is no quotation (a quote mark
   OCR lost); each paragraph is looked at a bounded number of times. */
static int quoted_paras(seg *S, const para *P, size_t np, unsigned char **out)
{
    unsigned char *q = calloc(np ? np : 1, 1), *qe = malloc(np ? np : 1);
    if (!q || !qe) {
        free(q);
        free(qe);
        return VANBAN_ENOMEM;
    }
    for (size_t k = 0; k < np; k++) qe[k] = (unsigned char)quote_ends(S, &P[k]);
    for (size_t k = 0; k < np; k++) {
        if (qe[k] != 1) continue;
        size_t e = k + 1;
        bool part = false;
        int last_rank = -1, last_val = -1, rank, val;
        for (; e < np && e <= k + QUOTE_SPAN && !part && !(qe[e] & 2); e++) {
            if (qe[e] & 1) { /* a new quote opens: this one's close was lost */
                part = true;
                break;
            }
            if (para_label(S, &P[e], &rank, &val)) {
                part = rank <= 4; /* a chapter inside */
                last_rank = rank;
                last_val = val;
            }
        }
        if (part || e >= np || e > k + QUOTE_SPAN) continue;
        /* the numbering goes on after the closing mark ("Điều 3." inside,
           "Điều 4." after): the gazette put a footnote's quote around body
           text, and the labels inside are the document's */
        if (last_rank >= 0 && last_val >= 0) {
            size_t f = e + 1;
            while (f < np && f <= e + QUOTE_SPAN && !(para_label(S, &P[f], &rank, &val) && rank == last_rank)) f++;
            if (f < np && f <= e + QUOTE_SPAN && val == last_val + 1) continue;
        }
        for (size_t j = k + 1; j <= e; j++) q[j] = 1;
        k = e;
    }
    free(qe);
    *out = q;
    return 0;
}

/* The heading just read repeats the open section's, with nothing between
   (an export that gives each heading as a markdown heading and as text). */
static bool same_heading(const seclist *l, size_t top, const vbi_section *s, bool content)
{
    if (content || top == SIZE_MAX || top != l->n - 1 || !s->label) return false;
    const vbi_section *t = &l->v[top];
    if (!t->label || strcmp(t->label, s->label)) return false;
    return (!t->title && !s->title) || (t->title && s->title && !strcmp(t->title, s->title));
}

int build_sections(seg *S, vbi_section **out, size_t *nout, const para *P, size_t np)
{
    seclist sl = {0};
    size_t depth = 0;
    int rc = 0;
    unsigned char *quoted = NULL;
    if ((rc = quoted_paras(S, P, np, &quoted))) return rc;
    size_t *stack = malloc((np + 1) * sizeof *stack);
    if (!stack) {
        free(quoted);
        return VANBAN_ENOMEM;
    }
    uint32_t last_end = VBI_NONE;
    bool content = true; /* a paragraph other than a heading since the last section */
    for (size_t k = 0; k < np && !rc; k++) {
        size_t f = P[k].first, off = S->L[f].off, len = LEN(S, f);
        vbi_span psp = para_span(S, &P[k]);
        if (quoted[k] || match(S, R_CAN_CU, off, len) || match(S, R_ENACTING, off, len)) {
            last_end = psp.e;
            content = true;
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
                if (sl.v[stack[depth - 1]].label == NULL) depth--; /* heading after heading: sibling */
                rank = depth == 0 ? UNLABELLED_TOP : sl.v[stack[depth - 1]].rank + 1;
            }
        } else {
            last_end = psp.e;
            content = true;
            continue;
        }
        /* inside an article, the parts of what it approves ("Điều 1." /
           "I. MỤC TIÊU") are the article's, not the document's */
        if (rank == 6)
            for (size_t q = 0; q < depth; q++)
                if (sl.v[stack[q]].rank == 8) rank = 9;
        vbi_section s = {0};
        if (labelled && !(s.label = seg_dup(S, lab_o, lab_l))) { rc = VANBAN_ENOMEM; break; }
        rc = section_title(S, P, np, &k, title_from, labelled, rank, &psp, &s.title);
        if (rc) break;
        if (same_heading(&sl, depth ? stack[depth - 1] : SIZE_MAX, &s, content)) {
            last_end = psp.e; /* "## Chương I" then "Chương I": one heading, given twice */
            continue;
        }
        content = false;
        /* close sections of the same or lower rank */
        while (depth > 0 && sl.v[stack[depth - 1]].rank >= rank) {
            sl.v[stack[depth - 1]].span.e = last_end;
            depth--;
        }
        s.rank = rank;
        s.level = (int)depth + 1;
        s.parent = depth ? stack[depth - 1] : SIZE_MAX;
        s.span = psp;
        last_end = psp.e;
        if ((rc = sec_push(&sl, s))) break;
        stack[depth++] = sl.n - 1;
    }
    while (depth > 0) {
        sl.v[stack[depth - 1]].span.e = last_end;
        depth--;
    }
    free(stack);
    free(quoted);
    *out = sl.v;
    *nout = sl.n;
    return rc;
}

/* ---- issuer and type from the body -------------------------------------- */

/* "…, Ban Thường vụ Tỉnh ủy yêu cầu …": the body that speaks. */
static int issuer_in(seg *S, vbi_doc *D, const para *p)
{
    acc a;
    acc_init(&a);
    int rc = 0;
    for (size_t q = p->first; q <= p->last && !rc; q++)
        if (!blank(S, q)) rc = acc_add(S, &a, S->L[q].off, LEN(S, q));
    if (!rc && a.b.len && vbi_match(S->p, R_BODY_ISSUER, a.b.p, a.b.len, 0)) {
        size_t so, eo;
        vbi_group(S->p, R_BODY_ISSUER, "org", &so, &eo);
        size_t nl = eo - so;
        D->issuer.s = vbi_arena_strndup(&S->r->arena, a.b.p + so, nl);
        if (!D->issuer.s) rc = VANBAN_ENOMEM;
        D->issuer_inferred = true;
        /* the span: find the name in the paragraph's lines */
        for (size_t q = p->first; q <= p->last && D->issuer.s; q++) {
            size_t L = LEN(S, q);
            const char *hit = nl <= L ? seg_find(TXT(S, q), L, D->issuer.s, nl) : NULL;
            if (hit) {
                D->issuer.span = seg_span(S, (size_t)(hit - S->t), nl);
                break;
            }
        }
    }
    vbi_buf_free(&a.b);
    return rc;
}

/* A law has no date line: its passing date ("… thông qua ngày 27 tháng 6 năm
   2024"), in the last paragraphs of the body. */
static void passed_date(seg *S, vbi_doc *D, const para *P, size_t np)
{
    for (size_t k = np; k-- > 0 && np - k <= 12 && !D->date[0];)
        for (size_t q = P[k].first; q <= P[k].last; q++) {
            if (blank(S, q) || !seg_has(TXT(S, q), LEN(S, q), "thông qua")) continue;
            /* the clause may wrap: the next line's text follows this one's */
            size_t off = S->L[q].off, end = off + LEN(S, q), so, eo;
            if (q + 1 <= P[k].last && S->L[q + 1].off == end) end += LEN(S, q + 1);
            if (match_piece(S, R_PASSED_DATE, off, end - off, &so, &eo) &&
                take_date(S, R_PASSED_DATE, off, D->date)) {
                D->date_span = seg_span(S, so, eo - so);
                return;
            }
        }
}

int body_issuer_and_type(seg *S, vbi_doc *D, const para *P, size_t np)
{
    int rc = 0;
    if (!D->date[0]) passed_date(S, D, P, np);
    for (size_t k = 0; k < np && k < 4 && !rc && !D->issuer.s; k++) rc = issuer_in(S, D, &P[k]);
    for (size_t k = 0; k < np && !D->type && !rc; k++)
        for (size_t q = P[k].first; q <= P[k].last && !D->type; q++) {
            if (blank(S, q) || !match_line(S, R_SELF_TYPE, q)) continue;
            size_t a, b;
            vbi_group(S->p, R_SELF_TYPE, "t", &a, &b);
            a += S->L[q].off;
            b += S->L[q].off;
            D->type = vbi_doctype_by_name(S->m, S->t + a, b - a);
            D->type_inferred = D->type != NULL;
            D->type_span = seg_span(S, a, b - a);
        }
    return rc;
}
