/* repair.c - the repair stage: fix OCR damage to Vietnamese text, log every change.
 *
 * Runs after the lines are normalized and before segmentation, over
 * p->text (with its byte map p->ms / p->me to the original input):
 *
 *   1. unicode    NFC, look-alikes and zero-width characters are applied by
 *                 normalize.c; here every word they changed becomes one
 *                 correction of kind "unicode" (or "case" for fix_case).
 *   2. spelling   a tone mark on the wrong letter of a valid syllable
 *                 ("lựơng" -> "lượng"); a marked non-syllable next to a page
 *                 break is matched against near syllables ("ngệ" -> "nghị").
 *   3. style      tone placement (hoà/hòa) follows the document's own style,
 *                 or options.tone_style when set.
 *   4. diacritic  a Viterbi decoder over each sentence picks, for every
 *                 syllable, one of the known syllables with the same letters
 *                 (marks and đ/d free), scored by the bigram model mixed with
 *                 a leave-one-out cache of the document itself; the written
 *                 form gets a bonus (the margin) so only clear evidence
 *                 changes a valid syllable.  Codes written in the document
 *                 with marks elsewhere ("DNND" vs "ĐNND") follow the
 *                 document.  Paragraphs typed without marks are restored.
 *                 Pairs the model never saw take a word of the lexicon
 *                 (vbi_rp_layer_pairs), and a number word read wrong takes the
 *                 count the document writes in digits (vbi_rp_layer_numerals),
 *                 a misread label of the received stamp the label
 *                 (vbi_rp_layer_stamp).
 *   5. break      words cut by a page break are joined, syllables doubled by
 *                 page overlap ("các các") are removed unless the model knows
 *                 the reduplication.
 *
 * Afterwards the text is rebuilt with the new words and every changed span
 * is recorded once, in original-input offsets, sorted and non-overlapping,
 * so vanban_result_write_text can replay them.  Time is linear: each token
 * has at most MAXC candidates and sentences are cut at MAXS tokens.
 */
#include "repair_int.h"

#include <utf8proc.h>

static const char *const kind_names[] = {"", "unicode", "case", "spelling", "style", "diacritic", "break"};

/* ---- layer 2: tone on the wrong letter ------------------------------------ */

void vbi_rp_layer_structure(rstate *R, const wmemo *m)
{
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if ((x->flags & (T_VALID | T_CODE)) != T_VALID || !SYL(R, x)->tone) continue;
        const wentry *e = m->tid[i] != MEMO_NONE ? &m->e[m->tid[i]] : NULL;
        int tp = e ? e->tp : vbi_syl_tone_pos(R->g, SYL(R, x), VBI_STYLE_TRADITIONAL);
        int mp = e ? e->mp : vbi_syl_tone_pos(R->g, SYL(R, x), VBI_STYLE_MODERN);
        if (SYL(R, x)->tpos == tp || SYL(R, x)->tpos == mp || tp < 0) continue;
        FX(R, x)->out = *SYL(R, x);
        FX(R, x)->out.tpos = (int8_t)tp;
        x->flags |= T_CHANGED;
        FX(R, x)->kind = K_SPELLING;
        FX(R, x)->conf = 0.99f;
    }
}

/* vbi_syl_style of token i (a valid syllable), from the memo. */
static int tok_style(const rstate *R, const wmemo *m, size_t i)
{
    return m->tid[i] != MEMO_NONE ? m->e[m->tid[i]].style : vbi_syl_style(R->g, SYL(R, &R->t[i]));
}

static int doc_style(rstate *R, const wmemo *m)
{
    size_t t = 0, md = 0;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if ((x->flags & (T_VALID | T_CODE)) != T_VALID) continue;
        int s = tok_style(R, m, i);
        if (s == VBI_STYLE_TRADITIONAL) t++;
        else if (s == VBI_STYLE_MODERN) md++;
    }
    return md > t ? VBI_STYLE_MODERN : VBI_STYLE_TRADITIONAL;
}

/* ---- layer 4: codes the document writes with marks elsewhere --------------- */

typedef struct {
    uint32_t tok; /* a token with this text */
    uint32_t count;
} surf;

bool vbi_rp_same_text(const rstate *R, const tok *a, const tok *b)
{
    return a->len == b->len && !memcmp(R->p->text.p + a->off, R->p->text.p + b->off, a->len);
}

/* Does b only add marks to a (letter by letter)? */
static bool adds_marks(const vbi_syl *a, const vbi_syl *b)
{
    if (a->n != b->n || (a->tone && a->tone != b->tone)) return false;
    bool more = b->tone && !a->tone;
    for (size_t i = 0; i < a->n; i++) {
        if (a->l[i] == b->l[i]) continue;
        if (!plain(a->l[i])) return false;
        char b0 = b->l[i];
        char base = b0 == 'W' || b0 == 'A' ? 'a' : b0 == 'E' ? 'e' : b0 == 'O' || b0 == 'F' ? 'o'
                  : b0 == 'U' ? 'u' : b0 == 'D' ? 'd' : b0;
        if (base != a->l[i]) return false;
        more = true;
    }
    return more;
}

/* Count of a code ("NĐ") in the model's training text, 0 when unknown. */
static uint32_t code_count(const rstate *R, const char *s, size_t n)
{
    char k[64];
    if (n + 1 > sizeof k) return 0;
    k[0] = '#';
    memcpy(k + 1, s, n);
    int32_t id = vbi_lm_id(R->lm, k, n + 1);
    return id < 0 ? 0 : vbi_lm_count(R->lm, id);
}

/* A code written with D that training text writes with Đ far more often
   ("ND" 5 times, "NĐ" 4,563; "BLDTBXH" never, "BLĐTBXH" 2,314): every way of
   turning its D's into Đ is looked up, the most frequent wins when it is
   CODE_MIN times seen and CODE_RATIO times the written form. */
static int model_code(rstate *R, tok *x)
{
    const char *w = R->p->text.p + x->off;
    size_t nd = 0, pos[4];
    for (size_t k = 0; k < x->len; k++)
        if (w[k] == 'D') {
            if (nd == 4) return 0;
            pos[nd++] = k;
        }
    if (!nd || x->len + 2 * nd + 1 > 64) return 0;
    uint32_t mine = code_count(R, w, x->len), best = 0;
    char v[64], bv[64];
    size_t bl = 0;
    for (unsigned mask = 1; mask < (1u << nd); mask++) {
        size_t o = 0, q = 0;
        for (size_t k = 0; k < x->len; k++) {
            if (q < nd && pos[q] == k && (mask >> q++ & 1)) {
                v[o++] = (char)0xC4; /* Đ */
                v[o++] = (char)0x90;
            } else {
                v[o++] = w[k];
            }
        }
        uint32_t c = code_count(R, v, o);
        if (c > best) {
            best = c;
            memcpy(bv, v, o);
            bl = o;
        }
    }
    if (best < CODE_MIN || best < CODE_RATIO * ((uint64_t)mine + 1)) return 0;
    x->flags |= T_CHANGED | T_REPL;
    FX(R, x)->kind = K_DIACRITIC;
    FX(R, x)->conf = (float)best / (float)(best + mine);
    FX(R, x)->roff = (uint32_t)R->repl.len;
    FX(R, x)->rlen = (uint32_t)bl;
    return vbi_buf_put(&R->repl, bv, bl) ? VANBAN_ENOMEM : 0;
}

static int layer_codes(rstate *R)
{
    size_t cap = 64;
    while (cap < R->n * 2 + 2) cap <<= 1;
    surf *h = calloc(cap, sizeof *h);
    if (!h) return VANBAN_ENOMEM;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if (!(x->flags & T_ABBR) || !(x->flags & T_SYL) || (x->flags & (T_VALID | T_CODE)))
            continue;
        size_t k = vbi_hash_bytes(R->p->text.p + x->off, x->len) & (cap - 1);
        while (h[k].count && !vbi_rp_same_text(R, &R->t[h[k].tok], x)) k = (k + 1) & (cap - 1);
        h[k].tok = (uint32_t)i;
        h[k].count++;
    }
    /* the codes seen at least 3 times, compacted: the scan below is
       O(codes * frequent codes), never O(codes * table size) */
    size_t distinct = 0, nfreq = 0;
    for (size_t q = 0; q < cap; q++) {
        distinct += h[q].count > 0;
        if (h[q].count >= 3) nfreq++;
    }
    surf *freq = malloc((nfreq + 1) * sizeof *freq);
    if (!freq) {
        free(h);
        return VANBAN_ENOMEM;
    }
    nfreq = 0;
    for (size_t q = 0; q < cap; q++)
        if (h[q].count >= 3) freq[nfreq++] = h[q];
    for (size_t i = 0; i < R->n && distinct <= 512 && nfreq; i++) { /* O(n * frequent codes) */
        tok *x = &R->t[i];
        if (!(x->flags & T_ABBR) || !(x->flags & T_SYL) || (x->flags & (T_VALID | T_CODE)))
            continue;
        size_t k = vbi_hash_bytes(R->p->text.p + x->off, x->len) & (cap - 1);
        while (!vbi_rp_same_text(R, &R->t[h[k].tok], x)) k = (k + 1) & (cap - 1);
        uint32_t mine = h[k].count;
        /* the best marked variant with the same letters (few distinct codes: scan) */
        uint32_t best = 0, bt = 0;
        for (size_t q = 0; q < nfreq; q++) {
            if (freq[q].count < 2 * mine) continue;
            const tok *y = &R->t[freq[q].tok];
            if (adds_marks(SYL(R, x), SYL(R, y)) && freq[q].count > best) {
                best = freq[q].count;
                bt = freq[q].tok;
            }
        }
        if (best) {
            x->flags |= T_CHANGED | T_REPL;
            FX(R, x)->kind = K_DIACRITIC;
            FX(R, x)->conf = (float)best / (float)(best + mine);
            FX(R, x)->roff = (uint32_t)R->repl.len;
            FX(R, x)->rlen = R->t[bt].len;
            if (vbi_buf_put(&R->repl, R->p->text.p + R->t[bt].off, R->t[bt].len)) {
                free(freq);
                free(h);
                return VANBAN_ENOMEM;
            }
        }
    }
    free(freq);
    free(h);
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if ((x->flags & (T_SYL | T_VALID | T_LOWER | T_CHANGED)) != T_SYL || SYL(R, x)->n < 2) continue;
        int rc = model_code(R, x);
        if (rc) return rc;
    }
    return 0;
}

/* ---- output ----------------------------------------------------------------- */

typedef struct {
    vbi_span span;
    uint32_t kind;
    uint32_t roff, rlen; /* replacement in the repl buffer */
    float conf;
} pending;

/* Append a slot to the pending corrections; NULL when out of memory. */
static pending *push_pending(pending **pend, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t c2 = *cap ? *cap * 2 : 64;
        pending *np = realloc(*pend, c2 * sizeof *np);
        if (!np) return NULL;
        *pend = np;
        *cap = c2;
    }
    return &(*pend)[(*n)++];
}

static int cmp_corr(const void *a, const void *b)
{
    const vbi_correction *x = a, *y = b;
    return x->span.s < y->span.s ? -1 : x->span.s > y->span.s;
}

/* Are c[a, b) in order (cmp_corr)? */
static bool sorted_from(const vbi_correction *c, size_t a, size_t b)
{
    for (size_t k = a + 1; k < b; k++)
        if (c[k - 1].span.s > c[k].span.s) return false;
    return true;
}

/* Put c[0, n) in order when c[0, m) and c[m, n) are (a stable merge, as the
   sort would give): a copy of the second part is merged from the back.
   Returns nonzero when they are not in order, or out of memory: then sort. */
static int merge_sorted(vbi_correction *c, size_t m, size_t n)
{
    if (!sorted_from(c, 0, m) || !sorted_from(c, m, n)) return 1;
    if (m == 0 || m == n || c[m - 1].span.s <= c[m].span.s) return 0; /* in order already */
    vbi_correction *b = malloc((n - m) * sizeof *b);
    if (!b) return 1;
    memcpy(b, c + m, (n - m) * sizeof *b);
    size_t i = m, j = n - m, o = n;
    while (j > 0) /* from the back: the later of equal ones is the second part's */
        c[--o] = i > 0 && c[i - 1].span.s > b[j - 1].span.s ? c[--i] : b[--j];
    free(b);
    return 0;
}

/* Make room for add more bytes in the new text and its maps. */
static int grow_out(vbi_buf *nt, uint32_t **ms, uint32_t **me, size_t *mcap, size_t add)
{
    if (nt->len + add <= *mcap) return 0;
    if (vbi_buf_reserve(nt, add)) return VANBAN_ENOMEM;
    uint32_t *a = realloc(*ms, nt->cap * sizeof *a);
    if (!a) return VANBAN_ENOMEM;
    *ms = a;
    uint32_t *b = realloc(*me, nt->cap * sizeof *b);
    if (!b) return VANBAN_ENOMEM;
    *me = b;
    *mcap = nt->cap;
    return 0;
}

/* Replace the text and record the corrections. */

/* The input text (UTF-8) behind the original byte range [os, oe).  When the
   input was converted from another encoding, the original bytes are not
   UTF-8: the range is found in the converted text through its offset map
   (monotonic), by binary search. */
static const char *orig_utf8(const vanban_parser *p, uint32_t os, uint32_t oe, size_t *len)
{
    if (!p->omap) {
        *len = oe - os;
        return p->input.p + os;
    }
    size_t cs = vbi_map_lower_bound(p->omap, p->conv.len, os);
    *len = vbi_map_lower_bound(p->omap, p->conv.len, oe) - cs;
    return p->conv.p + cs;
}

/* Original offsets of text bytes: where byte a of line l starts, and where
   the character before byte b ends (a and b on character boundaries).  A
   VBI_L_DIRECT line has no map entries: its text is the input's own bytes
   after the line's leading spaces. */
static uint32_t direct_base(const vanban_parser *p, const vbi_line *l)
{
    uint32_t o = l->ostart;
    while (o < l->oend && p->input.p[o] == ' ') o++;
    return o - l->off;
}
static int map_s(const vanban_parser *p, const vbi_line *l, size_t a, uint32_t *os)
{
    uint32_t e;
    if (l->flags & VBI_L_DIRECT) *os = direct_base(p, l) + (uint32_t)a;
    else if (l->flags & VBI_L_NOMAP) return vbi_line_map(p, l, a, os, &e);
    else if (l->flags & VBI_L_CMAP) *os = p->ms[l->moff + (a - l->off)];
    else *os = p->ms[a];
    return 0;
}
static int map_e(const vanban_parser *p, const vbi_line *l, size_t b, uint32_t *oe)
{
    uint32_t s;
    if (l->flags & VBI_L_DIRECT) *oe = direct_base(p, l) + (uint32_t)b;
    else if (l->flags & VBI_L_NOMAP) return vbi_line_map(p, l, b - 1, &s, oe);
    else if (l->flags & VBI_L_CMAP) *oe = p->me[l->moff + (b - 1 - l->off)];
    else *oe = p->me[b - 1];
    return 0;
}

/* Append bytes [a, b) of the old text with their map entries, in bulk. */
static int copy_run(const vanban_parser *p, vbi_buf *nt, uint32_t **ms, uint32_t **me,
                    size_t *mcap, size_t a, size_t b)
{
    size_t n = b - a;
    if (!n) return 0;
    if (grow_out(nt, ms, me, mcap, n)) return VANBAN_ENOMEM;
    memcpy(nt->p + nt->len, p->text.p + a, n);
    memcpy(*ms + nt->len, p->ms + a, n * sizeof **ms);
    memcpy(*me + nt->len, p->me + a, n * sizeof **me);
    nt->len += n;
    return 0;
}

/* Is the gap between the two halves of a sentence cut by a page break
   only white space (form feeds too), with at most page-number lines in
   it ("9", "` 11":
   one to four digits, a stray quote before them)? */
static bool page_gap(const char *g, size_t n)
{
    size_t k = 0;
    while (k < n) {
        size_t e = k;
        while (e < n && g[e] != '\n') e++;
        size_t a = k, digits = 0;
        while (a < e && (g[a] == ' ' || g[a] == '\t' || g[a] == '\r' || g[a] == '\f')) a++;
        if (a < e && (g[a] == '`' || g[a] == '\'')) {
            a++;
            while (a < e && g[a] == ' ') a++;
        }
        while (a < e && g[a] >= '0' && g[a] <= '9') a++, digits++;
        while (a < e && (g[a] == ' ' || g[a] == '\t' || g[a] == '\r' || g[a] == '\f')) a++;
        if (a < e || digits > 4) return false;
        k = e + 1;
    }
    return true;
}

/* A word normalize.c changed (NFC, look-alike, zero width, case): is it a
   correction?  Not when markup sits inside the word, nor when composing
   the tone marks Windows-1258 writes apart is all there is (that is
   decoding, not a repair).  Clears *changed then; VANBAN_ENOMEM or 0. */
static int unicode_change(const vanban_parser *p, const char *otext, size_t olen, const char *w,
                          size_t wl, bool *changed)
{
    for (size_t k = 0; k < olen; k++)
        if (otext[k] == '*' || otext[k] == '\\' || otext[k] == '_' || otext[k] == '#') {
            *changed = false;
            return 0;
        }
    if (!p->enc_decomposed) return 0;
    utf8proc_uint8_t *nf = NULL;
    utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)otext, (utf8proc_ssize_t)olen,
                                       &nf, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (nl == UTF8PROC_ERROR_NOMEM) return VANBAN_ENOMEM;
    if (nl >= 0 && (size_t)nl == wl && !memcmp(nf, w, wl)) *changed = false;
    free(nf);
    return 0;
}

/* Record the change of token x (original span os..oe, new text *w of wl
   bytes) as a pending correction; the corrections normalize.c made inside
   it are folded into it (drop).  *w then points at the copy in R->repl. */
static int record_change(rstate *R, const tok *x, uint32_t os, uint32_t oe, const char **w,
                         size_t wl, bool *drop, size_t nold, size_t *oc, pending **pend,
                         size_t *npend, size_t *pcap)
{
    vanban_result *res = R->p->res;
    uint32_t kind = FX(R, x)->kind ? FX(R, x)->kind : K_UNICODE;
    float conf = FX(R, x)->kind ? FX(R, x)->conf : 1.0f;
    while (*oc < nold && res->corrections[*oc].span.s < os) (*oc)++;
    for (size_t k = *oc; k < nold && res->corrections[k].span.s < oe; k++) {
        drop[k] = true;
        if (!FX(R, x)->kind && !strcmp(res->corrections[k].kind, "case")) kind = K_CASE;
        if (!FX(R, x)->kind) conf = (float)res->corrections[k].confidence;
    }
    pending *pd = push_pending(pend, npend, pcap);
    if (!pd) return VANBAN_ENOMEM;
    pd->span.s = os;
    pd->span.e = oe;
    pd->kind = kind;
    pd->conf = conf;
    pd->rlen = (uint32_t)wl;
    if (x->flags & T_REPL) { /* already in repl: copying it into itself could
                                read freed memory when the buffer grows */
        pd->roff = FX(R, x)->roff;
    } else {
        pd->roff = (uint32_t)R->repl.len;
        if (vbi_buf_put(&R->repl, *w, wl)) return VANBAN_ENOMEM;
    }
    *w = R->repl.p + pd->roff; /* buffer may have moved */
    return 0;
}

/* Page-break joins: the blank lines between the two halves of a sentence
   go, and the break becomes one space (a correction of kind break). */
static int page_joins(rstate *R, pending **pend, size_t *npend, size_t *pcap)
{
    vanban_parser *p = R->p;
    bool joined = false;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if (!(x->flags & T_JOIN) || !i || (p->opt.flags & VANBAN_OPT_NO_CONTEXT)) continue;
        /* the word before: a page number on a line of its own between the
           two halves goes with the break */
        size_t q = i - 1;
        while (q > 0 && (R->t[q].flags & T_NUM) && R->t[q].line != x->line &&
               R->t[q - 1].line < R->t[q].line)
            q--;
        tok *pv = &R->t[q];
        uint32_t s, e;
        if (map_e(p, &p->lines[pv->line], (size_t)pv->off + pv->len, &s) ||
            map_s(p, &p->lines[x->line], x->off, &e))
            return VANBAN_ENOMEM;
        /* only white space and page numbers go: markup or a stray byte
           between the two words (a heading's "**", a damaged line) stays
           as it was */
        size_t gl;
        const char *gap = orig_utf8(p, s, e, &gl);
        if (!page_gap(gap, gl)) continue;
        pending *pd = push_pending(pend, npend, pcap);
        if (!pd) return VANBAN_ENOMEM;
        pd->span.s = s;
        pd->span.e = e;
        pd->kind = K_BREAK;
        pd->conf = 0.8f;
        pd->roff = (uint32_t)R->repl.len;
        pd->rlen = 1;
        if (vbi_buf_put(&R->repl, " ", 1)) return VANBAN_ENOMEM;
        for (size_t k = pv->line + 1; k < x->line; k++) p->lines[k].flags |= 0x8000;
        joined = true;
    }
    if (joined) { /* every line is copied: only when some go */
        size_t o = 0;
        for (size_t k = 0; k < p->nlines; k++)
            if (!(p->lines[k].flags & 0x8000)) p->lines[o++] = p->lines[k];
        p->nlines = o;
    }
    return 0;
}

/* The corrections: the old ones not folded into a word (drop), then ours
   (pend), in input order. */
static int emit_corrections(rstate *R, const bool *drop, size_t nold, const pending *pend,
                            size_t npend)
{
    vanban_parser *p = R->p;
    vanban_result *res = p->res;
    int rc;
    size_t o = 0, kept;
    for (size_t k = 0; k < nold; k++)
        if (!drop[k]) res->corrections[o++] = res->corrections[k];
    res->ncorrections = kept = o;
    for (size_t k = 0; k < npend; k++) {
        const pending *pd = &pend[k];
        size_t flen;
        const char *from = orig_utf8(p, pd->span.s, pd->span.e, &flen);
        utf8proc_uint8_t *nf = NULL;
        if (p->enc_decomposed) { /* Windows-1258: "from" in NFC like the rest */
            utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)from,
                                               (utf8proc_ssize_t)flen, &nf,
                                               UTF8PROC_STABLE | UTF8PROC_COMPOSE);
            if (nl == UTF8PROC_ERROR_NOMEM) return VANBAN_ENOMEM;
            if (nl >= 0) {
                from = (const char *)nf;
                flen = (size_t)nl;
            }
        }
        rc = vbi_add_correction(p, pd->span, from, flen, R->repl.p + pd->roff, pd->rlen,
                                kind_names[pd->kind], pd->conf);
        free(nf);
        if (rc) return rc;
    }
    if (merge_sorted(res->corrections, kept, res->ncorrections))
        qsort(res->corrections, res->ncorrections, sizeof *res->corrections, cmp_corr);
    return 0;
}

static int rebuild(rstate *R)
{
    vanban_parser *p = R->p;
    vanban_result *res = p->res;
    /* the new text and its maps are for segmentation: a text-only result
       needs the corrections alone */
    bool build = !(p->opt.flags & VANBAN_OPT_TEXT_ONLY);
    /* existing corrections (unicode, case from normalize.c), sorted */
    if (!sorted_from(res->corrections, 0, res->ncorrections))
        qsort(res->corrections, res->ncorrections, sizeof *res->corrections, cmp_corr);
    size_t nold = res->ncorrections;
    bool *drop = calloc(nold + 1, sizeof *drop);
    vbi_buf nt = {0};
    uint32_t *ms = NULL, *me = NULL;
    pending *pend = NULL;
    size_t npend = 0, pcap = 0, mcap = 0;
    int rc = VANBAN_ENOMEM;
    if (!drop) goto out;
    if (build) {
        if (vbi_buf_reserve(&nt, p->text.len + R->repl.len + 16)) goto out;
        mcap = nt.cap;
        ms = malloc(mcap * sizeof *ms);
        me = malloc(mcap * sizeof *me);
        if (!ms || !me) goto out;
    }
    size_t ti = 0, oc = 0;
    for (size_t li = 0; li < p->nlines; li++) {
        if (!build) { /* only the lines with words matter: on to the next word's */
            if (ti >= R->n) break;
            li = R->t[ti].line;
        }
        vbi_line *l = &p->lines[li];
        size_t a = l->off, e = (size_t)l->off + l->len;
        size_t start = nt.len;
        /* a line the fast path copied holds the input's own bytes: its
           words differ from the input only where a layer changed them */
        bool same = l->flags & VBI_L_PLAIN;
        for (; ti < R->n && R->t[ti].off < e; ti++) { /* the words of this line, in order */
            tok *x = &R->t[ti];
            if (x->flags & T_NUM) continue; /* context only: its bytes go as they are */
            bool untouched = same && !(x->flags & (T_CHANGED | T_DELETE));
            if (untouched && !build) continue;
            if (build && copy_run(p, &nt, &ms, &me, &mcap, a, x->off)) goto out;
            uint32_t os, oe;
            if (map_s(p, l, x->off, &os) || map_e(p, l, (size_t)x->off + x->len, &oe)) goto out;
            char buf[4 * VBI_SYL_MAX + 8];
            const char *w = p->text.p + x->off;
            size_t wl = x->len;
            if (x->flags & T_DELETE) {
                /* drop the word and the white space before it */
                if (nt.len > start && nt.p[nt.len - 1] == ' ') nt.len--;
                if (ti >= 1) {
                    const tok *pv = &R->t[ti - 1];
                    if (map_e(p, &p->lines[pv->line], (size_t)pv->off + pv->len, &os)) goto out;
                }
                wl = 0;
            } else if (x->flags & T_REPL) {
                w = R->repl.p + FX(R, x)->roff;
                wl = FX(R, x)->rlen;
            } else if (x->flags & T_CHANGED) {
                wl = vbi_syl_render(R->g, &FX(R, x)->out, R->style, FX(R, x)->out.ncase, buf);
                w = buf;
            }
            size_t olen = 0;
            const char *otext = untouched ? w : orig_utf8(p, os, oe, &olen);
            bool changed = !untouched && (olen != wl || memcmp(otext, w, wl) != 0);
            if (changed && !(x->flags & (T_CHANGED | T_DELETE)) &&
                unicode_change(p, otext, olen, w, wl, &changed))
                goto out;
            if (changed && record_change(R, x, os, oe, &w, wl, drop, nold, &oc, &pend, &npend, &pcap))
                goto out;
            a = (size_t)x->off + x->len;
            if (!build) continue;
            if (grow_out(&nt, &ms, &me, &mcap, wl)) goto out;
            for (size_t k = 0; k < wl; k++) {
                ms[nt.len + k] = os;
                me[nt.len + k] = oe;
            }
            if (wl) memcpy(nt.p + nt.len, w, wl);
            nt.len += wl;
        }
        if (!build) continue;
        if (copy_run(p, &nt, &ms, &me, &mcap, a, e)) goto out;
        l->off = (uint32_t)start;
        l->len = (uint32_t)(nt.len - start);
    }
    if (page_joins(R, &pend, &npend, &pcap)) goto out;
    rc = emit_corrections(R, drop, nold, pend, npend);
    if (rc) goto out;
    rc = VANBAN_ENOMEM;
    if (build) {
        vbi_buf_free(&p->text);
        p->text = nt;
        nt.p = NULL;
        free(p->ms);
        free(p->me);
        p->ms = ms;
        p->me = me;
        p->mcap = mcap;
        ms = me = NULL;
    }
    rc = 0;
out:
    free(drop);
    free(pend);
    free(ms);
    free(me);
    vbi_buf_free(&nt);
    return rc;
}

int vbi_repair(vanban_parser *p)
{
    if (!p->model->lm || !p->model->sylgram) return 0;
    rstate R;
    memset(&R, 0, sizeof R);
    R.p = p;
    R.g = p->model->sylgram;
    R.lm = p->model->lm;
    R.margin = p->opt.repair_margin > 0 ? p->opt.repair_margin : DEFAULT_MARGIN;
    R.num = vbi_lm_id(R.lm, "<num>", 5);
    R.log_keep = log(1 - CACHE_LAMBDA);
    wmemo memo;
    memset(&memo, 0, sizeof memo);
    R.wm = &memo;
    /* never a NULL repl buffer: replacement pointers are repl.p + offset */
    int rc = vbi_buf_reserve(&R.repl, 64) ? VANBAN_ENOMEM : vbi_rp_tokenize(&R, &memo);
    if (!rc && !(R.fx = calloc(R.n + 1, sizeof *R.fx))) rc = VANBAN_ENOMEM;
    if (!rc) { /* the front matter's keys and slugs are codes: never touched */
        size_t fm = vbi_rp_front_matter_end(p);
        for (size_t i = 0; i < R.n && R.t[i].line < fm; i++)
            if (vbi_rp_yaml_ident(p, &R.t[i])) R.t[i].flags |= T_CODE;
    }
    if (!rc) {
        vbi_rp_layer_structure(&R, &memo);
        R.style = doc_style(&R, &memo);
        if (p->opt.tone_style == VANBAN_TONE_MODERN) R.style = VBI_STYLE_MODERN;
        if (p->opt.tone_style == VANBAN_TONE_TRADITIONAL) R.style = VBI_STYLE_TRADITIONAL;
        if (!(p->opt.flags & VANBAN_OPT_NO_CONTEXT)) rc = layer_codes(&R);
    }
    if (!(p->opt.flags & VANBAN_OPT_NO_CONTEXT)) { /* the layers that need the model */
        if (!rc) rc = vbi_rp_layer_context(&R);
        if (!rc && R.bcap) rc = vbi_rp_layer_pairs(&R);
        if (!rc) rc = vbi_rp_layer_numerals(&R);
        if (!rc) vbi_rp_layer_stamp(&R);
        if (!rc) rc = vbi_rp_layer_broken_words(&R);
        if (!rc) rc = vbi_rp_layer_spaced(&R);
        if (!rc) rc = vbi_rp_layer_breaks(&R);
    }
    if (!rc && p->opt.tone_style != VANBAN_TONE_KEEP)
        for (size_t i = 0; i < R.n; i++) {
            tok *x = &R.t[i];
            if ((x->flags & (T_VALID | T_CODE | T_CHANGED)) != T_VALID) continue;
            int s = tok_style(&R, &memo, i);
            if (s >= 0 && s != R.style) {
                FX(&R, x)->out = *SYL(&R, x);
                x->flags |= T_CHANGED;
                FX(&R, x)->kind = K_STYLE;
                FX(&R, x)->conf = 1.0f;
            }
        }
    if (!rc) rc = rebuild(&R);
    vbi_rp_memo_free(&memo);
    free(R.t);
    free(R.fx);
    free(R.ucount);
    free(R.wcount);
    free(R.bkey);
    free(R.bval);
    free(R.lat);
    free(R.lat_pool);
    vbi_buf_free(&R.repl);
    return rc;
}

