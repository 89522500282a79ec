/* segment.c - normalized lines -> documents, each with its header fields,
 * addressees, sections, recipients, signature and annexes.
 *
 * The driver of the stages in seg_*.c (seg.h says which does what):
 *   1. cut flattened lines (seg_lines.c) and skip page furniture (running
 *      heads, page numbers, signing stamps of the gazette) like blank lines;
 *   2. weigh each line's header evidence and find the documents, their late
 *      header blocks and their annexes (seg_bound.c); text before the first
 *      document is a preamble and is reported, not parsed as a document;
 *   3. parse each document: header zone, addressees, body paragraphs and
 *      sections, tail (recipients and signature), annexes, then references
 *      and tasks (refs.c, tasks.c) over the header, body and annexes.
 * All work is linear in the number of lines.
 */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

/* ---- one document ------------------------------------------------------- */

/* Late header blocks: a consolidated text's authentication, a header the
   text layer put after the first lines of the body. */
static int late_headers(seg *S, vbi_doc *D, const seg_range *r)
{
    int rc = 0;
    for (size_t b = 0; b < r->nblk && !rc; b++) {
        const seg_block *k = &r->blk[b];
        if (k->kind != BLK_LATE_HEADER) continue;
        bool xacthuc = false;
        for (size_t i = k->first; i <= k->last; i++) xacthuc |= (S->ev[i] & EV_XACTHUC) != 0;
        if (xacthuc) {
            /* a consolidated text is numbered, dated and issued by its
               authentication: those fields come from this block */
            static const vbi_str none = {NULL, {VBI_NONE, VBI_NONE}};
            D->has_number = false;
            D->number_raw = none;
            D->date[0] = 0;
            D->date_span = none.span;
            D->place = D->issuer = D->issuer_parent = none;
        }
        rc = parse_header(S, D, k->first, k->last + 1);
        if (xacthuc) {
            const vbi_doctype *t = vbi_doctype_by_name(S->m, "Văn bản hợp nhất",
                                                        strlen("Văn bản hợp nhất"));
            if (t) {
                D->type = t;
                D->type_inferred = false;
            }
        }
    }
    return rc;
}

static void mark_late(seg *S, const seg_range *r, unsigned char v)
{
    for (size_t b = 0; b < r->nblk; b++)
        if (r->blk[b].kind == BLK_LATE_HEADER)
            for (size_t i = r->blk[b].first; i <= r->blk[b].last; i++) S->late[i] = v;
}

static size_t body_end_of(const seg_range *r)
{
    for (size_t b = 0; b < r->nblk; b++)
        if (r->blk[b].kind == BLK_ANNEX) return r->blk[b].first;
    return r->end;
}

static int annexes(seg *S, vbi_doc *D, const seg_range *r, para **P, size_t *np, size_t *pcap)
{
    int rc = 0;
    for (size_t b = 0; b < r->nblk && !rc; b++) {
        if (r->blk[b].kind != BLK_ANNEX) continue;
        size_t end = r->end;
        for (size_t c = b + 1; c < r->nblk; c++)
            if (r->blk[c].kind == BLK_ANNEX) { end = r->blk[c].first; break; }
        rc = parse_annex(S, D, r->blk[b].first, end, P, np, pcap);
    }
    return rc;
}

static void doc_span(seg *S, vbi_doc *D, const seg_range *r)
{
    size_t first = next_nb(S, r->start, r->end), last = r->end;
    while (last > first && blank(S, last - 1)) last--;
    if (first < last) {
        D->span.s = S->L[first].ostart;
        D->span.e = S->L[last - 1].oend;
    }
}

static int parse_doc(seg *S, vbi_doc *D, const seg_range *r)
{
    size_t body_end = body_end_of(r);
    mark_late(S, r, 1);
    size_t hend = header_end(S, r->start, body_end);
    int rc = hend > r->start ? parse_header(S, D, r->start, hend) : 0;
    if (!rc) rc = late_headers(S, D, r);
    size_t i = next_nb(S, hend, body_end);
    if (!rc && i < body_end && match_line(S, R_KINH_GUI, i)) rc = parse_addressees(S, D, i, body_end, &i);
    para *P = NULL;
    size_t np = 0, pcap = 0, tail = body_end, last;
    if (!rc) {
        measure_wrap(S, i, body_end);
        rc = collect_paras(S, i, body_end, &P, &np, &pcap, &tail);
    }
    if (!rc) rc = parse_tail(S, D, tail, body_end, &last);
    if (!rc && tail == body_end) rc = bare_signature(S, D, P, &np);
    D->has_signature = D->sig_name.s || D->sig_title.s || D->sig_authority.s;
    if (!rc) rc = build_sections(S, &D->sections, &D->nsections, P, np);
    if (!rc) rc = body_issuer_and_type(S, D, P, np);
    if (!rc) rc = annexes(S, D, r, &P, &np, &pcap);
    if (!rc) dedup_annexes(D);
    if (!rc) {
        vbi_docview v = {S->p, &S->r->arena, S->t, S->L, S->soft, r->start, hend, P, np};
        rc = vbi_extract_refs(&v, D);
        if (!rc) rc = vbi_extract_tasks(&v, D);
    }
    free(P);
    mark_late(S, r, 0);
    if (!rc) doc_span(S, D, r);
    return rc;
}

/* ---- format and codes --------------------------------------------------- */

static int finish_doc(seg *S, vbi_doc *D)
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
    } else if (D->issuer.s && vbi_match(S->p, R_PARTY_BODY, D->issuer.s, strlen(D->issuer.s), 0)) {
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
    /* no issuer line, but the number's code names one body ("NĐ-CP") */
    const char *by_code = !D->issuer.s && D->num_issuer
                              ? vbi_issuer_by_code(S->m, D->num_issuer, strlen(D->num_issuer))
                              : NULL;
    if (by_code) {
        D->issuer.s = vbi_arena_strndup(&S->r->arena, by_code, strlen(by_code));
        if (!D->issuer.s) return VANBAN_ENOMEM;
        D->issuer.span = D->number_raw.span;
        D->issuer_inferred = true;
    }
    if (D->issuer.s && D->issuer_span.s == VBI_NONE)
        D->issuer_span = span_join(D->issuer.span, D->issuer_parent.span);
    return 0;
}

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

/* ---- the file ----------------------------------------------------------- */

/* Hard-wrapped text: a single blank line after nearly every line; page
   furniture is skipped like a blank line.  Returns the furniture count. */
static size_t soft_lines(seg *S, size_t *first_furniture)
{
    /* YAML front matter ("---" … "---" at the top): metadata, never text,
       and no evidence of how the text is wrapped */
    size_t f = next_nb(S, 0, S->n);
    if (f < S->n && LEN(S, f) == 3 && !memcmp(TXT(S, f), "---", 3))
        for (size_t i = f + 1; i < S->n && i < f + 400; i++)
            if (LEN(S, i) == 3 && !memcmp(TXT(S, i), "---", 3)) {
                for (size_t k = f; k <= i; k++)
                    if (!blank(S, k)) {
                        S->L[k].flags |= VBI_L_BLANK;
                        S->soft[k] = 1;
                    }
                break;
            }
    size_t nb = 0, single = 0, furniture = 0;
    for (size_t i = 0; i < S->n; i++) {
        if (blank(S, i)) continue;
        nb++;
        if (i + 2 < S->n && blank(S, i + 1) && !blank(S, i + 2)) single++;
    }
    S->hardwrap = nb >= 8 && single * 10 >= nb * 6;
    for (size_t i = 0; i < S->n; i++)
        if (!blank(S, i) && S->L[i].nchars <= 80 && match_line(S, R_PAGE_FURNITURE, i)) {
            if (!furniture++) *first_furniture = S->L[i].ostart;
            S->L[i].flags |= VBI_L_BLANK;
            S->soft[i] = 1;
        }
    if (S->hardwrap)
        for (size_t i = 1; i + 1 < S->n; i++)
            if (blank(S, i) && !blank(S, i - 1) && !blank(S, i + 1)) S->soft[i] = 1;
    return furniture;
}

static int file_warnings(seg *S, const seg_range *R, size_t nr, size_t furniture, size_t ffirst)
{
    vanban_parser *p = S->p;
    int rc = 0;
    size_t first = 0; /* the front matter, though skipped, is preamble too */
    while (first < S->n && LEN(S, first) == 0) first++;
    if (nr && first < S->n && R[0].start > first) {
        uint32_t s = S->L[first].ostart, e = S->L[R[0].start].ostart;
        rc = vbi_add_warning(p, "preamble", s,
                             "%u bytes before the first document (a portal's banner, title or "
                             "metadata) are not part of any document",
                             (unsigned)(e - s));
    }
    for (size_t k = 0; k < nr && !rc; k++) { /* a portal's sections after a document */
        size_t stop = k + 1 < nr ? R[k + 1].start : S->n, f = next_nb(S, R[k].end, stop);
        if (f < stop) {
            size_t last = stop;
            while (last > f && blank(S, last - 1)) last--;
            uint32_t s0 = S->L[f].ostart, e0 = S->L[last - 1].oend;
            rc = vbi_add_warning(p, "trailer", s0,
                                 "%u bytes after a document (a portal's notes, related texts) "
                                 "are not part of it",
                                 (unsigned)(e0 > s0 ? e0 - s0 : 0));
        }
    }
    if (!rc && furniture)
        rc = vbi_add_warning(p, "furniture", ffirst,
                             "%zu lines of page furniture (running heads, page numbers, "
                             "signing stamps) skipped",
                             furniture);
    return rc;
}

int vbi_segment(vanban_parser *p)
{
    int rc = seg_split_lines(p);
    if (rc || p->nlines == 0) return rc;
    seg S = {0};
    S.p = p;
    S.m = p->model;
    S.r = p->res;
    S.t = p->text.p ? p->text.p : "";
    S.L = p->lines;
    S.n = p->nlines;
    S.soft = calloc(S.n, 1);
    S.late = calloc(S.n, 1);
    S.ev = calloc(S.n, sizeof *S.ev);
    seg_range *R = NULL;
    size_t nr = 0, ffirst = 0;
    if (!S.soft || !S.late || !S.ev) {
        rc = VANBAN_ENOMEM;
        goto out;
    }
    size_t furniture = soft_lines(&S, &ffirst);
    seg_evidence(&S);
    rc = seg_bounds(&S, &R, &nr);
    if (!rc) rc = file_warnings(&S, R, nr, furniture, ffirst);
    if (!rc && nr) {
        S.r->docs = calloc(nr, sizeof *S.r->docs);
        if (!S.r->docs) rc = VANBAN_ENOMEM;
    }
    for (size_t k = 0; k < nr && !rc; k++) {
        vbi_doc *D = &S.r->docs[S.r->ndocs++];
        doc_init(D);
        rc = parse_doc(&S, D, &R[k]);
        if (!rc) rc = finish_doc(&S, D);
        if (!rc && !D->has_number && !D->date[0] && !D->issuer.s && !D->type && !D->national.s &&
            !D->subject.s && D->span.s != VBI_NONE)
            rc = vbi_add_warning(p, "no-header", D->span.s,
                                 "no document header found: the text is read as a document "
                                 "without one");
    }
out:
    seg_ranges_free(R, nr);
    free(S.soft);
    free(S.late);
    free(S.ev);
    return rc;
}
