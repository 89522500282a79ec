/* seg_annex.c - an annex of a document: a Phụ lục, a form (Mẫu số …), or a
 * text issued with it (a QUY CHẾ, QUY ĐỊNH, KẾ HOẠCH "ban hành kèm theo"),
 * with or without a header of its own.  It gets a label (the annex label, or
 * the type of the attached text), a title (the lines in capitals that name
 * it) and a span; its paragraphs join the document's for references and
 * tasks, not its sections.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "seg.h"

#define LOOK 16 /* lines looked at for the label */

static vbi_annex *new_annex(vbi_doc *D)
{
    if ((D->nannexes & (D->nannexes - 1)) == 0) { /* 0, 1, 2, 4 …: grow */
        size_t cap = D->nannexes ? D->nannexes * 2 : 1;
        vbi_annex *a = realloc(D->annexes, cap * sizeof *a);
        if (!a) return NULL;
        D->annexes = a;
    }
    vbi_annex *x = &D->annexes[D->nannexes++];
    memset(x, 0, sizeof *x);
    x->label.span.s = x->label.span.e = VBI_NONE;
    x->title.span.s = x->title.span.e = VBI_NONE;
    x->span.s = x->span.e = VBI_NONE;
    return x;
}

/* Header lines of an attached text: national header, motto, rules, dates. */
static bool header_furniture(const seg *S, size_t i)
{
    return (S->ev[i] & (EV_NAT | EV_PARTY | EV_MOTTO | EV_NUM | EV_NUMX | EV_DATE | EV_DATEX)) ||
           only_punct(TXT(S, i), LEN(S, i));
}

/* The label line of the annex in [first, end), and where its title starts:
   an annex label, a type line, a section label that opens the block ("Phần
   I."), the first line in capitals; never the "kèm theo" line. */
static size_t find_label(seg *S, size_t first, size_t end, bool *is_annex_label)
{
    size_t seen = 0, type = SIZE_MAX, caps = SIZE_MAX;
    for (size_t i = first; i < end && seen < LOOK; i++) {
        if (blank(S, i)) continue;
        if (!seen && is_label(S, i) && S->L[i].nchars <= 24 && !(S->ev[i] & EV_ANNEX)) {
            *is_annex_label = false;
            return i;
        }
        seen++;
        if (S->ev[i] & EV_ANNEX) {
            *is_annex_label = true;
            return i;
        }
        if (type == SIZE_MAX && (S->ev[i] & EV_TYPE)) type = i;
        if (caps == SIZE_MAX && (S->L[i].flags & VBI_L_CAPS) && !header_furniture(S, i) &&
            i > first)
            caps = i;
        if (S->ev[i] & (EV_KEMTHEO | EV_BODY)) break;
    }
    *is_annex_label = false;
    if (type != SIZE_MAX) return type;
    if (caps != SIZE_MAX) return caps;
    size_t f = next_nb(S, first, end);
    while (f < end && (blank(S, f) || (S->ev[f] & EV_KEMTHEO))) f++;
    return f;
}

/* Title: the label line's own title, else the lines in capitals (or a
   markdown heading) right under it, until "kèm theo" or the body. */
static int annex_title(seg *S, vbi_annex *x, size_t lab, size_t end, bool annex_label, size_t *body)
{
    acc a;
    acc_init(&a);
    int rc = 0;
    size_t so, eo;
    if (annex_label && match_line(S, R_ANNEX_LABEL, lab) &&
        (group(S, R_ANNEX_LABEL, "title", S->L[lab].off, &so, &eo) ||
         group(S, R_ANNEX_LABEL, "ctitle", S->L[lab].off, &so, &eo)))
        rc = acc_add(S, &a, so, eo - so);
    size_t i = lab + 1, lines = 0;
    for (; i < end && !rc && lines < 4; i++) {
        if (blank(S, i)) {
            if (a.b.len) break;
            continue;
        }
        if (S->ev[i] & (EV_KEMTHEO | EV_BODY | EV_TAIL | EV_ANNEX)) break;
        bool capsish = (S->L[i].flags & VBI_L_CAPS) || is_heading_line(S, i);
        if (!capsish && !(x->label.s && !annex_label && S->L[i].nchars < 160 &&
                          !(S->L[i].flags & VBI_L_PUNCT_END)))
            break;
        if (header_furniture(S, i)) break;
        rc = acc_add(S, &a, S->L[i].off, LEN(S, i));
        lines++;
        if (!capsish) break; /* a sentence-case title is one line */
    }
    *body = i;
    if (rc) {
        vbi_buf_free(&a.b);
        return rc;
    }
    if (!a.b.len) {
        vbi_buf_free(&a.b);
        return 0;
    }
    return acc_take(S, &a, &x->title);
}

int parse_annex(seg *S, vbi_doc *D, size_t first, size_t end, para **P, size_t *np, size_t *pcap)
{
    vbi_annex *x = new_annex(D);
    if (!x) return VANBAN_ENOMEM;
    bool annex_label = false;
    size_t lab = find_label(S, first, end, &annex_label);
    int rc = 0;
    if (lab >= end) return 0;
    size_t so, eo;
    if (annex_label && match_line(S, R_ANNEX_LABEL, lab) &&
        group(S, R_ANNEX_LABEL, "label", S->L[lab].off, &so, &eo))
        rc = str_of(S, so, eo - so, &x->label);
    else if (S->ev[lab] & EV_TYPE && match_line(S, R_TYPE_LINE, lab) &&
             group(S, R_TYPE_LINE, "type", S->L[lab].off, &so, &eo))
        rc = str_of(S, so, eo - so, &x->label);
    else
        rc = str_of(S, S->L[lab].off, LEN(S, lab), &x->label);
    size_t body = lab + 1;
    if (!rc) rc = annex_title(S, x, lab, end, annex_label, &body);
    /* span: from the first line to the last non-blank line */
    size_t last = end;
    while (last > first && blank(S, last - 1)) last--;
    size_t f = next_nb(S, first, end);
    if (f < last) {
        x->span.s = S->L[f].ostart;
        x->span.e = S->L[last - 1].oend;
    }
    /* its paragraphs, for references and tasks */
    for (size_t i = body; i < end && !rc; i++) {
        if (blank(S, i)) continue;
        size_t j = i;
        while (j + 1 < end && !blank(S, j + 1) && (S->L[j + 1].flags & VBI_L_LOWER)) j++;
        rc = push_para(P, np, pcap, i, j);
        i = j;
    }
    return rc;
}

/* Two labels equal but for case ("PHỤ LỤC I.1", "Phụ lục I.1"). */
static bool same_label(const char *a, const char *b)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)a, *q = (const utf8proc_uint8_t *)b;
    for (;;) {
        utf8proc_int32_t x = 0, y = 0;
        utf8proc_ssize_t m = *p ? utf8proc_iterate(p, -1, &x) : 0;
        utf8proc_ssize_t n = *q ? utf8proc_iterate(q, -1, &y) : 0;
        if (m < 0 || n < 0) return false;
        if (!m || !n) return m == n;
        if (utf8proc_tolower(x) != utf8proc_tolower(y)) return false;
        p += m;
        q += n;
    }
}

/* A label that names one annex ("Phụ lục I.1", "Mẫu số 02"), not a bare
   "Phụ lục" that several texts may carry. */
static bool numbered_label(const char *s)
{
    size_t n = strlen(s), k = n;
    if (strpbrk(s, "0123456789")) return true;
    while (k && strchr("IVXLC.", s[k - 1])) k--;
    return k < n && k && s[k - 1] == ' ';
}

/* A brief annex (under 400 bytes) whose numbered label comes again later
   was a row of a listing (a "Danh mục" of the forms, the annex list at the
   head of Phụ lục I): the later one is the annex itself.  (Two long annexes
   may share a label: a consolidated text keeps the original's and the
   amending text's "Phụ lục 1".)  The listed one is dropped and its lines
   go to the annex before it. */
void dedup_annexes(vbi_doc *D)
{
    size_t w = 0;
    for (size_t i = 0; i < D->nannexes; i++) {
        vbi_annex *x = &D->annexes[i];
        bool again = false;
        bool brief = x->span.s == VBI_NONE || x->span.e - x->span.s < 400; /* a listing's row */
        for (size_t j = i + 1; j < D->nannexes && !again && x->label.s && brief; j++)
            again = D->annexes[j].label.s && numbered_label(x->label.s) &&
                    same_label(x->label.s, D->annexes[j].label.s);
        if (again) {
            if (w && x->span.e != VBI_NONE) D->annexes[w - 1].span.e = x->span.e;
            continue;
        }
        D->annexes[w++] = *x;
    }
    D->nannexes = w;
}
