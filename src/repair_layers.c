/* repair_layers.c - the layers after the decoder: word pairs the document
   writes one way (and lexicon words), page breaks and doubled syllables,
   number words, the received stamp's labels, words broken by a page break. */
#include "repair_int.h"

/* ---- layer 4: word pairs the document writes one way far more often -------- */

/* The reading of a token after the decoder: its model id, or -1. */
static int32_t final_id(rstate *R, const tok *x)
{
    if (x->flags & T_NUM) return x->obs;
    if (!(x->flags & T_CHANGED)) return x->obs;
    if (x->flags & (T_REPL | T_DELETE)) return -1;
    return vbi_rp_key_id(R, &FX(R, x)->out);
}

/* "đổi ngoại" 5 times, "đối ngoại" 36 times in one document: when a pair of
   adjacent words is unknown to the model, and the document writes the same
   letters with other marks on one of the two at least PAIR_MIN times and
   PAIR_RATIO times as often, and the model knows that pair, the minority
   follows.  OCR repeats its errors, so the decoder's cache cannot see these
   (each wrong pair vouches for the others). */
/* Three words of the document as one key (ids < 2^21), never 0. */
static uint64_t tkey(int32_t a, int32_t b, int32_t c)
{
    return (uint64_t)(uint32_t)(a + 1) | (uint64_t)(uint32_t)(b + 1) << 21 |
           (uint64_t)(uint32_t)(c + 1) << 42;
}

/* The slot of key k in the triple set: where it is, or the empty slot. */
static size_t tprobe(const uint64_t *tk, size_t cap, uint64_t k)
{
    size_t h = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
    while (tk[h] && tk[h] != k) h = (h + 1) & (cap - 1);
    return h;
}

/* Add the key k (not 0) to the set *tk of *cap slots (a power of two, at
   most half full) holding *n keys. */
static int keyset_add(uint64_t **tk, size_t *cap, size_t *n, uint64_t k)
{
    if ((*n + 1) * 2 > *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        uint64_t *nk = calloc(nc, sizeof *nk);
        if (!nk) return VANBAN_ENOMEM;
        for (size_t i = 0; i < *cap; i++)
            if ((*tk)[i]) nk[tprobe(nk, nc, (*tk)[i])] = (*tk)[i];
        free(*tk);
        *tk = nk;
        *cap = nc;
    }
    size_t h = tprobe(*tk, *cap, k);
    if (!(*tk)[h]) {
        (*tk)[h] = k;
        (*n)++;
    }
    return 0;
}

/* Is the key k in the set tk of cap slots? */
static bool keyset_has(const uint64_t *tk, size_t cap, uint64_t k)
{
    return cap && tk[tprobe(tk, cap, k)] == k;
}

typedef struct {
    int32_t bid[2];   /* the best other reading of the first, the second word */
    uint32_t best[2]; /* how often the document writes the pair with it */
    int32_t lid[2];   /* ... that makes a lexicon word the document writes */
    uint32_t lbest[2];
    int32_t jid[2];   /* both words read otherwise: a lexicon word training writes */
    uint8_t state;    /* 0 not worked out, 1 unknown to the model, 2 known */
} pair_alt;

/* What the pair (fa fb), at slot h of the bigram table, could become: it
   depends on the pair alone, so it is worked out once per distinct pair. */
static void pair_work(rstate *R, pair_alt *pa, int32_t fa, int32_t fb)
{
    unsigned fl;
    pa->state = vbi_lm_bigram(R->lm, fa, fb, &fl) ? 2 : 1;
    /* a pair that is no word: the other readings of one of its words that
       make a word of the lexicon with the other, which the document writes;
       only a pair the model never saw, or saw but never as a word ("đổi
       nội" of "thay đổi nội dung"): one it saw now and then may be a word
       it does not know ("công tắc") */
    bool word = pa->state == 2 && !(fl & VBI_NONWORD);
    for (int sd = 0; sd < 2; sd++) {
        pa->lid[sd] = -1;
        pa->lbest[sd] = 0;
        int32_t keep = sd ? fa : fb, was = sd ? fb : fa;
        unsigned need = sd ? VBI_LEX_SECOND : VBI_LEX_FIRST; /* of the new reading */
        if (word || !(vbi_lm_lexpos(R->lm, keep) & (sd ? VBI_LEX_FIRST : VBI_LEX_SECOND)))
            continue;
        char sk[VBI_SYL_MAX + 1];
        size_t sn = vbi_syl_skeleton(vbi_lm_syl(R->lm, (uint32_t)was), sk);
        const uint32_t *ids;
        size_t nc = vbi_lm_candidates(R->lm, sk, sn, &ids);
        for (size_t k = 0; k < nc; k++) {
            int32_t c = (int32_t)ids[k];
            if (c == was || !(vbi_lm_lexpos(R->lm, c) & need)) continue;
            int32_t x = sd ? fa : c, y = sd ? c : fb;
            unsigned wf;
            uint32_t seen = vbi_lm_bigram(R->lm, x, y, &wf), n;
            if (!(wf & VBI_WORD_LEX)) continue;
            /* written elsewhere in the document; or, for a pair the model
               never saw, a word training text writes LEX_SEEN times */
            n = vbi_rp_bget(R, x, y);
            if ((n > pa->lbest[sd] || pa->lid[sd] < 0) &&
                (n || (pa->state == 1 && seen >= LEX_SEEN))) {
                pa->lbest[sd] = n;
                pa->lid[sd] = c;
            }
        }
    }
    /* a pair never seen whose two words both lost or changed a mark ("KÉT
       QUÁ", "thầm quyên"): the lexicon word of training text one mark
       from each */
    pa->jid[0] = pa->jid[1] = -1;
    if (pa->state == 1 && pa->lid[0] < 0 && pa->lid[1] < 0) {
        char s0[VBI_SYL_MAX + 1], s1[VBI_SYL_MAX + 1];
        size_t n0 = vbi_syl_skeleton(vbi_lm_syl(R->lm, (uint32_t)fa), s0);
        size_t n1 = vbi_syl_skeleton(vbi_lm_syl(R->lm, (uint32_t)fb), s1);
        const uint32_t *i0, *i1;
        size_t c0 = vbi_lm_candidates(R->lm, s0, n0, &i0);
        size_t c1 = vbi_lm_candidates(R->lm, s1, n1, &i1);
        uint32_t best = 0;
        for (size_t k = 0; k < c0; k++) {
            int32_t x = (int32_t)i0[k];
            if (x == fa || !(vbi_lm_lexpos(R->lm, x) & VBI_LEX_FIRST)) continue;
            for (size_t j = 0; j < c1; j++) {
                int32_t y = (int32_t)i1[j];
                unsigned wf;
                if (y == fb || !(vbi_lm_lexpos(R->lm, y) & VBI_LEX_SECOND)) continue;
                uint32_t seen = vbi_lm_bigram(R->lm, x, y, &wf);
                if ((wf & VBI_WORD_LEX) && seen >= LEX_SEEN && seen > best) {
                    best = seen;
                    pa->jid[0] = x;
                    pa->jid[1] = y;
                }
            }
        }
    }
    for (int sd = 0; sd < 2 && pa->state == 1; sd++) {
        pa->bid[sd] = -1;
        pa->best[sd] = 0;
        char sk[VBI_SYL_MAX + 1];
        size_t sn = vbi_syl_skeleton(vbi_lm_syl(R->lm, (uint32_t)(sd ? fb : fa)), sk);
        const uint32_t *ids;
        size_t nc = vbi_lm_candidates(R->lm, sk, sn, &ids);
        for (size_t k = 0; k < nc; k++) {
            int32_t c = (int32_t)ids[k];
            if (c == (sd ? fb : fa)) continue;
            uint32_t n = sd ? vbi_rp_bget(R, fa, c) : vbi_rp_bget(R, c, fb);
            if (n > pa->best[sd] &&
                vbi_lm_bigram_count(R->lm, sd ? fa : c, sd ? c : fb) >= PAIR_LM_MIN) {
                pa->best[sd] = n;
                pa->bid[sd] = c;
            }
        }
    }
}

/* The pairs layer's working set: the document's decoder tokens (ix, m of
   them), their readings after the decoder (fid), each pair's bigram slot
   (hq), per slot the pair's alternatives (alt), and the word triples the
   layer asks about (a set: key, then whether the document writes them). */
typedef struct {
    size_t *ix;
    int32_t *fid;
    uint32_t *hq; /* the pair (q-1 q)'s bigram slot; PAIR_SKIP: nothing to do */
    size_t m;
    pair_alt *alt;
    uint64_t *qk;
    uint8_t *qhit;
    size_t qn, qcap; /* keys, slots (a power of two, at most half full) */
} pairs_ws;

#define PAIR_SKIP UINT32_MAX

/* The word on the far side of the pair (q-1 q) from the changed side: the
   one before the pair when the second word changes, after it when the
   first does; -1 when a break or an unknown word is there. */
static int32_t far_word(const rstate *R, const pairs_ws *w, size_t q, int side)
{
    const tok *a = &R->t[w->ix[q - 1]];
    if (side) return q >= 2 && !(a->flags & T_BREAK) ? w->fid[q - 2] : -1;
    return q + 1 < w->m && !(R->t[w->ix[q + 1]].flags & T_BREAK) ? w->fid[q + 1] : -1;
}

static int query_add(pairs_ws *w, uint64_t k) { return keyset_add(&w->qk, &w->qcap, &w->qn, k); }

/* Whether the document writes the triple k (one of the queries). */
static bool query_hit(const pairs_ws *w, uint64_t k)
{
    if (!w->qcap) return false;
    size_t h = tprobe(w->qk, w->qcap, k);
    return w->qk[h] == k && w->qhit[h];
}

/* Token x becomes the model's syllable c in its own case: a diacritic
   change of confidence conf. */
static void take_syl(rstate *R, tok *x, const vbi_syl *c, float conf)
{
    FX(R, x)->out = *c;
    FX(R, x)->out.ncase = x->ncase;
    x->flags |= T_CHANGED;
    FX(R, x)->kind = K_DIACRITIC;
    FX(R, x)->conf = conf;
}

/* A token the lexicon sweeps leave as it is: in text typed without marks,
   or changed by a layer other than the decoder (whose reading of a pair
   that is no word they may redo: "tỉnh thần" read "tính thần" becomes
   "tinh thần"). */
static bool fixed_tok(const tok *x)
{
    return (x->flags & T_STRIP) || ((x->flags & T_CHANGED) && !(x->flags & T_DECODED));
}

/* The lexicon sweeps of vbi_rp_layer_pairs, over its working set w (the pairs'
   slots hq, alternatives, final readings). */
static void lexicon_sweeps(rstate *R, const pairs_ws *w)
{
    const size_t *ix = w->ix;
    size_t m = w->m;
    const int32_t *fid = w->fid;
    const uint32_t *hq = w->hq;
    /* third sweep: a pair that is no word, one mark from a word of the
       lexicon that the document writes elsewhere ("chính sách đổi nội, đối
       ngoại" in a file that writes "đối nội"; "tinh cảm" beside "tình
       cảm").  Not when the word to change makes a word with its other
       neighbour ("thay đổi nội dung") or follows it far more often in the
       model's counts than the new reading does, or the model has never
       seen the new reading beside that neighbour; nor when the word that
       stays makes one with its own ("có quan hệ"), nor when the document
       writes the pair as it is more than LEX_RATIO times as often; nor in
       a name (a capital inside a sentence). */
    for (size_t q = 1; q < m; q++) {
        if (hq[q] == PAIR_SKIP) continue;
        const pair_alt *pa = &w->alt[hq[q]];
        if (pa->lid[0] < 0 && pa->lid[1] < 0) continue;
        tok *a = &R->t[ix[q - 1]], *b = &R->t[ix[q]];
        if (fixed_tok(a) || fixed_tok(b)) continue;
        int side = pa->lbest[1] > pa->lbest[0] ? 1 : 0;
        if (pa->lid[side] < 0) side = !side;
        /* the document must not write the pair as it is far more often
           ("hình dạng" 22 times beside one "hình dáng") */
        if (R->bval[hq[q]] > LEX_RATIO * (pa->lbest[side] ? pa->lbest[side] : 1)) continue;
        /* the guards weigh the word as written, not as the decoder read it */
        const tok *cw = side ? b : a;
        int32_t c = pa->lid[side], was = (cw->flags & T_DECODED) ? cw->obs : fid[side ? q : q - 1];
        /* the word that stays is not already part of a word with its other
           neighbour ("ĐNND có quan hệ" is not "cơ quan") */
        int32_t f = far_word(R, w, q, side), keep = fid[side ? q - 1 : q];
        if (f >= 0 && ((side ? vbi_lm_pairword(R->lm, f, keep) : vbi_lm_pairword(R->lm, keep, f)) &
                       VBI_WORD))
            continue;
        int32_t o = far_word(R, w, q, !side); /* the changed word's other neighbour */
        if (o >= 0) {
            int32_t x = side ? was : o, y = side ? o : was;   /* the pair as written */
            int32_t nx = side ? c : o, ny = side ? o : c;     /* and as it would be */
            uint32_t nn = vbi_lm_bigram_count(R->lm, nx, ny), xy = vbi_lm_bigram_count(R->lm, x, y);
            /* in a line of capitals, a neighbour seen with neither reading is
               another cell's flattened onto the line ("TỈNH ỦY LÀO CAI ĐÁNG
               CỘNG SẢN VIỆT NAM"): no evidence either way */
            bool cell = nn == 0 && xy == 0 && ((side ? b : a)->flags & T_CAPSLINE);
            if ((vbi_lm_pairword(R->lm, x, y) & VBI_WORD) || (nn == 0 && !cell) ||
                xy > LEX_GUARD * ((uint64_t)nn + 1))
                continue;
        }
        tok *t = side ? b : a;
        /* a capitalised word inside a sentence is a name ("Chi khu Giáo Đức") */
        if (t->ncase == VBI_CASE_TITLE && !(t->flags & (T_BREAK | T_CAPSLINE))) continue;
        take_syl(R, t, vbi_lm_syl(R->lm, (uint32_t)c),
                 (float)pa->lbest[side] / (float)(pa->lbest[side] + 1));
    }
    /* fourth sweep: both words of a pair never seen (pair_work's jid), with
       the guards above on each side: neither word is part of a word with
       its outer neighbour, each new word was seen beside that neighbour,
       the document writes the pair at most LEX_RATIO times, no name */
    for (size_t q = 1; q < m; q++) {
        if (hq[q] == PAIR_SKIP) continue;
        const pair_alt *pa = &w->alt[hq[q]];
        if (pa->jid[0] < 0 || R->bval[hq[q]] > LEX_RATIO) continue;
        tok *a = &R->t[ix[q - 1]], *b = &R->t[ix[q]];
        if (fixed_tok(a) || fixed_tok(b)) continue;
        bool ok = true;
        for (int sd = 0; sd < 2 && ok; sd++) {
            tok *t = sd ? b : a;
            int32_t was = (t->flags & T_DECODED) ? t->obs : fid[sd ? q : q - 1], c = pa->jid[sd];
            int32_t o = far_word(R, w, q, !sd); /* the outer neighbour */
            if (t->ncase == VBI_CASE_TITLE && !(t->flags & (T_BREAK | T_CAPSLINE))) ok = false;
            if (ok && o >= 0) {
                int32_t x = sd ? was : o, y = sd ? o : was, nx = sd ? c : o, ny = sd ? o : c;
                ok = !(vbi_lm_pairword(R->lm, x, y) & VBI_WORD) &&
                     vbi_lm_bigram_count(R->lm, nx, ny) > 0;
            }
        }
        if (!ok) continue;
        for (int sd = 0; sd < 2; sd++) {
            tok *t = sd ? b : a;
            take_syl(R, t, vbi_lm_syl(R->lm, (uint32_t)pa->jid[sd]), 0.5f);
        }
    }
}

int vbi_rp_layer_pairs(rstate *R)
{
    if (vbi_lm_size(R->lm) >= (1u << 21) - 1) return 0;
    pairs_ws w;
    memset(&w, 0, sizeof w);
    w.ix = malloc((R->n + 1) * sizeof *w.ix);
    w.fid = malloc((R->n + 1) * sizeof *w.fid);
    w.hq = malloc((R->n + 1) * sizeof *w.hq);
    int rc = VANBAN_ENOMEM;
    if (!w.ix || !w.fid || !w.hq) goto out;
    size_t m = 0;
    for (size_t i = 0; i < R->n; i++)
        if (R->t[i].flags & T_LM) {
            w.ix[m] = i;
            w.fid[m++] = final_id(R, &R->t[i]);
        }
    w.m = m;
    const int32_t *fid = w.fid;
    const size_t *ix = w.ix;
    uint32_t *hq = w.hq;
    vbi_rp_bclear(R);
    memset(R->ucount, 0, vbi_lm_size(R->lm) * sizeof *R->ucount);
    /* the table is sized for the decoder's pairs, nearly the same ones: a
       slot vbi_rp_badd gives stays put unless the table grows */
    size_t bcap0 = R->bcap;
    for (size_t q = 0; q < m; q++) {
        hq[q] = PAIR_SKIP;
        if (fid[q] >= 0) R->ucount[fid[q]]++;
        if (q && !(R->t[ix[q]].flags & T_BREAK) && fid[q - 1] >= 0 && fid[q] >= 0 &&
            vbi_rp_badd(R, fid[q - 1], fid[q], &hq[q]))
            goto out;
    }
    w.alt = calloc(R->bcap, sizeof *w.alt); /* by slot of the bigram table, now complete */
    if (!w.alt) goto out;
    /* first sweep: each pair's alternatives, and the triples the second
       sweep may ask about (both sides: which side changes depends on what
       changed before) */
    for (size_t q = 1; q < m; q++) {
        if (hq[q] == PAIR_SKIP) continue;
        const tok *a = &R->t[ix[q - 1]], *b = &R->t[ix[q]];
        int32_t fa = fid[q - 1], fb = fid[q];
        if ((a->flags & T_NUM) || (b->flags & T_NUM)) {
            hq[q] = PAIR_SKIP;
            continue;
        }
        if (R->bcap != bcap0) hq[q] = (uint32_t)vbi_rp_bprobe(R, fa, fb); /* it grew */
        pair_alt *pa = &w.alt[hq[q]]; /* the pair is in the table */
        if (!pa->state) pair_work(R, pa, fa, fb);
        if (pa->state != 1) { /* the model knows the pair: the third sweep's, or none's */
            if (pa->lid[0] < 0 && pa->lid[1] < 0) hq[q] = PAIR_SKIP;
            continue;
        }
        for (int sd = 0; sd < 2; sd++) {
            int32_t f = far_word(R, &w, q, sd), bid = pa->bid[sd];
            if (bid < 0 || f < 0 || pa->best[sd] < PAIR_MIN) continue;
            if (query_add(&w, sd ? tkey(f, fa, bid) : tkey(bid, fb, f))) goto out;
        }
    }
    if (w.qn) { /* one look over the document's triples */
        w.qhit = calloc(w.qcap, 1);
        if (!w.qhit) goto out;
        for (size_t r = 2; r < m; r++)
            if (!(R->t[ix[r]].flags & T_BREAK) && !(R->t[ix[r - 1]].flags & T_BREAK) &&
                fid[r - 2] >= 0 && fid[r - 1] >= 0 && fid[r] >= 0) {
                uint64_t k = tkey(fid[r - 2], fid[r - 1], fid[r]);
                size_t h = tprobe(w.qk, w.qcap, k);
                if (w.qk[h]) w.qhit[h] = 1;
            }
    }
    for (size_t q = 1; q < m; q++) {
        if (hq[q] == PAIR_SKIP) continue;
        tok *a = &R->t[ix[q - 1]], *b = &R->t[ix[q]];
        int32_t fa = fid[q - 1], fb = fid[q];
        size_t h = hq[q];
        const pair_alt *pa = &w.alt[h];
        if (pa->state != 1) continue; /* the model knows the pair */
        uint32_t mine = R->bval[h], best = 0;
        int32_t bid = -1;
        int side = 0;
        for (int sd = 0; sd < 2; sd++) {
            tok *x = sd ? b : a;
            if ((x->flags & (T_CHANGED | T_STRIP)) || pa->bid[sd] < 0 || pa->best[sd] <= best) continue;
            best = pa->best[sd];
            bid = pa->bid[sd];
            side = sd;
        }
        if (bid < 0 || best < PAIR_MIN || best < PAIR_RATIO * mine) continue;
        tok *x = side ? b : a;
        /* The changed word's other neighbour must agree: the model knows
           the new pair it makes ("củng cố quan hệ" is not "củng cơ quan");
           with no neighbour there, the document must show the same three
           words ("mối quan hệ" for "mỗi quan hệ"; "trong tình hình" does
           not make "trong tỉnh," wrong) or write the pair PAIR_STRONG times
           ("chính trị - đổi ngoại" in a file with "đối ngoại" 45 times). */
        int32_t o = far_word(R, &w, q, !side); /* the neighbour on the changed side */
        if (o >= 0) {
            if (!(side ? vbi_lm_bigram_count(R->lm, bid, o) : vbi_lm_bigram_count(R->lm, o, bid)))
                continue;
        } else {
            int32_t f = far_word(R, &w, q, side);
            bool strong = best >= PAIR_STRONG && best >= 2 * PAIR_RATIO * mine;
            if (!strong &&
                (f < 0 || !query_hit(&w, side ? tkey(f, fa, bid) : tkey(bid, fb, f))))
                continue;
        }
        FX(R, x)->out = *vbi_lm_syl(R->lm, (uint32_t)bid);
        FX(R, x)->out.ncase = x->ncase;
        x->flags |= T_CHANGED;
        FX(R, x)->kind = K_DIACRITIC;
        FX(R, x)->conf = (float)best / (float)(best + mine);
    }
    lexicon_sweeps(R, &w);
    rc = 0;
out:
    free(w.ix);
    free(w.fid);
    free(w.hq);
    free(w.alt);
    free(w.qk);
    free(w.qhit);
    return rc;
}

/* ---- layer 5: page breaks and doubled syllables ---------------------------- */

#define BOND_MIN 20      /* training count of a pair that bonds by association */
#define BOND_PMI 3.0     /* ... and its log P(b | a) - log P(b), at least */
#define BOND_RARE 3       /* a rarer pair bonds when ... */
#define BOND_RARE_PMI 5.0 /* ... it is this much above chance ("thỉnh giảng") */
#define BOND_NUM (-1.6)  /* log P(<num> | a) of a word that introduces numbers */

/* Does token x (model id a) hold to its neighbour y (id b) on its own?
   The two form a word the model knows ("thỉnh giảng", "định mức"), or
   training wrote them together far more than chance would (and not as a
   pair the model knows is no word), or y is a
   number that a follows as a rule ("số 71").  side: y stands after x. */
static bool bonds(const rstate *R, int32_t a, int32_t b, bool num_b)
{
    if (a < 0 || b < 0) return false;
    if (num_b) return vbi_lm_logp(R->lm, a, b) >= BOND_NUM;
    unsigned word = 0;
    uint32_t c = vbi_lm_bigram(R->lm, a, b, &word);
    if (word & VBI_WORD) return true;
    if (word & VBI_NONWORD) return false; /* "cao hiệu" of "nâng cao hiệu quả" */
    double pmi = vbi_lm_logp(R->lm, a, b) - vbi_lm_unigram(R->lm, b);
    return (c >= BOND_MIN && pmi >= BOND_PMI) || (c >= BOND_RARE && pmi >= BOND_RARE_PMI);
}

/* "công nghệ số số 71", "thỉnh giảng giảng dạy", "quyết định định mức":
   each copy of a doubled syllable holds to its own neighbour, so the
   doubling is the text's, not the scanner's.  A stray doubling has at
   most one side that holds ("nâng cao cao hiệu quả", "các các hoạt
   động"). */
static bool doubling_bonded(rstate *R, size_t i, int32_t id)
{
    if (i < 2 || i + 1 >= R->n) return false;
    tok *p = &R->t[i - 2], *n = &R->t[i + 1];
    /* a number that opens the next line is flagged as a sentence start;
       "số số" at a line's end goes on into it */
    bool wrapped_num = (n->flags & T_NUM) && n->line != R->t[i].line;
    if ((R->t[i - 1].flags & T_BREAK) || ((n->flags & T_BREAK) && !wrapped_num)) return false;
    if (!(p->flags & (T_VALID | T_NUM)) || !(n->flags & (T_VALID | T_NUM))) return false;
    int32_t pid = final_id(R, p), nid = final_id(R, n);
    if (pid < 0 || nid < 0) return false;
    bool left = bonds(R, pid, id, false);
    bool right = bonds(R, id, nid, (n->flags & T_NUM) != 0);
    /* before a number, the word only has to be one training wrote after
       its neighbour ("Chuyển đổi số số 148/2025/QH15") */
    if (!left && (n->flags & T_NUM) && right)
        left = vbi_lm_bigram_count(R->lm, pid, id) >= BOND_MIN;
    return left && right;
}

int vbi_rp_layer_breaks(rstate *R)
{
    for (size_t i = 1; i < R->n; i++) {
        tok *a = &R->t[i - 1], *b = &R->t[i];
        if (!(a->flags & T_VALID) || !(b->flags & T_VALID) || (b->flags & T_BREAK) ||
            (a->flags & T_UPPER) || (b->flags & T_UPPER) || !vbi_rp_same_text(R, a, b) ||
            (a->flags & (T_CODE | T_DELETE)) || (b->flags & T_CODE))
            continue;
        const vbi_syl *sa = (a->flags & T_CHANGED) ? &FX(R, a)->out : SYL(R, a);
        const vbi_syl *sb = (b->flags & T_CHANGED) ? &FX(R, b)->out : SYL(R, b);
        if (sa->n != sb->n || sa->tone != sb->tone || memcmp(sa->l, sb->l, sa->n)) continue;
        /* only plain white space between the two */
        const char *gap = R->p->text.p + a->off + a->len;
        size_t gl = b->off - (a->off + a->len);
        if (b->line == a->line && (gl != 1 || gap[0] != ' ')) continue;
        int32_t id = vbi_rp_key_id(R, sa);
        uint32_t dd = vbi_lm_bigram_count(R->lm, id, id);
        /* a reduplication the model knows ("xanh xanh"), not a stray doubling */
        if (id < 0 || vbi_lm_redup(R->lm, id) ||
            (dd >= 3 && (uint64_t)dd * 500 >= vbi_lm_count(R->lm, id)) ||
            doubling_bonded(R, i, id))
            continue;
        b->flags |= T_DELETE;
        FX(R, b)->kind = K_BREAK;
        FX(R, b)->conf = 0.9f;
    }
    return 0;
}

/* Are tokens i and i + 1 on one line with only spaces between them? */
static bool spaced(const rstate *R, size_t i)
{
    const tok *x = &R->t[i], *y = &R->t[i + 1];
    if (y->line != x->line) return false;
    const char *s = R->p->text.p;
    for (size_t k = (size_t)x->off + x->len; k < y->off; k++)
        if (s[k] != ' ') return false;
    return true;
}

/* ... and both valid syllables the model knows: words of one phrase */
static bool phrase_pair(const rstate *R, size_t i)
{
    const tok *x = &R->t[i], *y = &R->t[i + 1];
    return (x->flags & y->flags & T_VALID) && x->obs >= 0 && y->obs >= 0 && spaced(R, i);
}

/* A number word read wrong: "Tầm nhiệm vụ trọng tâm" in a file that says
   "08 NHIỆM VỤ" is "Tám nhiệm vụ".  All of these must hold:
   - the document writes the count in digits before the same two words
     ("08 nhiệm vụ"), and here the word stands before them, with only
     spaces between, in both places;
   - the model never saw the word beside the next ("tầm nhiệm");
   - it starts a phrase ("3. Tầm"), or the model never saw it beside the
     word before but has seen the number there ("thiệt hại", "hàng hải",
     "tàu bay", "trung tâm" stay);
   - a number word of grammars/lm/numerals.tsv has its letters, at most two
     marks away (vbi_rp_edit_cost);
   - it is no name, and no other layer changed it.
   Training text spells out too few counts for the decoder to see this. */
#define NUM_MAX_COST 6 /* vbi_rp_edit_cost of two marks */
/* A count v (0: any count) written before the words a b, as a key of a
   set (bit 63 keeps it from 0, the empty slot). */
static uint64_t num_key(unsigned v, int32_t a, int32_t b)
{
    return 1ull << 63 | (uint64_t)v << 42 | (uint64_t)(uint32_t)a << 21 | (uint32_t)b;
}

int vbi_rp_layer_numerals(rstate *R)
{
    if (vbi_lm_size(R->lm) >= (1u << 21)) return 0; /* ids do not fit num_key */
    /* num_key(count, the two words after the digits), and num_key(0, the
       words) so that most words are turned away with one look */
    uint64_t *said = NULL;
    size_t ns = 0, cap = 0;
    for (size_t i = 0; i + 2 < R->n; i++) {
        const tok *x = &R->t[i];
        if (!(x->flags & T_NUM) || !spaced(R, i) || !phrase_pair(R, i + 1)) continue;
        const char *s = R->p->text.p + x->off;
        unsigned v = 0;
        size_t k = 0;
        for (; k < x->len && s[k] >= '0' && s[k] <= '9' && v < 16; k++) v = v * 10 + (unsigned)(s[k] - '0');
        if (k < x->len || v == 0 || v > 15) continue; /* "08": 8; not "2024", "12-CT" */
        int32_t a = R->t[i + 1].obs, b = R->t[i + 2].obs;
        if (keyset_add(&said, &cap, &ns, num_key(v, a, b)) ||
            keyset_add(&said, &cap, &ns, num_key(0, a, b))) {
            free(said);
            return VANBAN_ENOMEM;
        }
    }
    if (!ns) return 0;
    for (size_t i = 0; i + 2 < R->n; i++) {
        tok *x = &R->t[i];
        const tok *y = &R->t[i + 1], *z = &R->t[i + 2];
        if (y->obs < 0 || z->obs < 0 || !keyset_has(said, cap, num_key(0, y->obs, z->obs)) ||
            (x->flags & (T_VALID | T_CODE | T_NUM | T_CHANGED | T_STRIP)) != T_VALID ||
            !phrase_pair(R, i) || !phrase_pair(R, i + 1))
            continue;
        if (vbi_lm_numeral(R->lm, x->obs) || vbi_lm_bigram_count(R->lm, x->obs, y->obs)) continue;
        int32_t before = i > 0 && phrase_pair(R, i - 1) ? R->t[i - 1].obs : -1;
        if (before >= 0 && vbi_lm_bigram_count(R->lm, before, x->obs)) continue;
        if (x->ncase == VBI_CASE_TITLE && !(x->flags & (T_BREAK | T_CAPSLINE))) continue; /* a name */
        char sk[VBI_SYL_MAX + 1];
        size_t sn = vbi_syl_skeleton(SYL(R, x), sk);
        const uint32_t *ids;
        size_t nc = vbi_lm_candidates(R->lm, sk, sn, &ids);
        for (size_t k = 0; k < nc; k++) {
            unsigned v = vbi_lm_numeral(R->lm, (int32_t)ids[k]);
            const vbi_syl *c = vbi_lm_syl(R->lm, ids[k]);
            if (!v || vbi_rp_edit_cost(SYL(R, x), c) > NUM_MAX_COST ||
                (before >= 0 && !vbi_lm_bigram_count(R->lm, before, (int32_t)ids[k])) ||
                !keyset_has(said, cap, num_key(v, y->obs, z->obs)))
                continue;
            take_syl(R, x, c, 0.75f);
            break;
        }
    }
    free(said);
    return 0;
}

/* A label of the received stamp misread: "Chuyên:" under "ĐẾN" is
   "Chuyển:".  The first word of a line (or cell), right before a colon,
   within STAMP_LINES lines after a line that is the stamp's own word
   alone, one mark (vbi_rp_edit_cost <= 3) from a label, and no label itself (the
   words of grammars/lm/labels.tsv). */
#define STAMP_LINES 4
void vbi_rp_layer_stamp(rstate *R)
{
    size_t den_line = SIZE_MAX; /* the last line that is "ĐẾN" alone */
    const char *s = R->p->text.p;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if (i > 0 && R->t[i - 1].line == x->line) continue; /* the first word of its line */
        if ((vbi_lm_stamp(R->lm, x->obs) & VBI_STAMP_WORD) &&
            (i + 1 == R->n || R->t[i + 1].line != x->line)) {
            den_line = x->line;
            continue;
        }
        if (den_line == SIZE_MAX || x->line > den_line + STAMP_LINES) continue;
        const vbi_line *l = &R->p->lines[x->line];
        size_t e = (size_t)x->off + x->len;
        if (e >= (size_t)l->off + l->len || s[e] != ':' ||
            (x->flags & (T_VALID | T_CODE | T_CHANGED)) != T_VALID || x->obs < 0 ||
            (vbi_lm_stamp(R->lm, x->obs) & VBI_STAMP_LABEL))
            continue;
        char sk[VBI_SYL_MAX + 1];
        size_t sn = vbi_syl_skeleton(SYL(R, x), sk);
        const uint32_t *ids;
        size_t nc = vbi_lm_candidates(R->lm, sk, sn, &ids);
        for (size_t k = 0; k < nc; k++) {
            const vbi_syl *c = vbi_lm_syl(R->lm, ids[k]);
            if (!(vbi_lm_stamp(R->lm, (int32_t)ids[k]) & VBI_STAMP_LABEL) ||
                vbi_rp_edit_cost(SYL(R, x), c) > 3)
                continue;
            take_syl(R, x, c, 0.8f);
            break;
        }
    }
}

/* A marked non-syllable right after a page break ("hữu" ... "ngệ"): the
   known syllable within two letter edits that best follows the previous word. */
int vbi_rp_layer_broken_words(rstate *R)
{
    static const char letters[] = "abcdeghiklmnopqrstuvxy";
    for (size_t i = 1; i < R->n; i++) {
        tok *x = &R->t[i];
        if (!(x->flags & T_JOIN) || !(x->flags & T_SYL) || (x->flags & (T_VALID | T_CHANGED)) ||
            !x->marked)
            continue;
        tok *pv = &R->t[i - 1];
        int32_t prev = pv->obs;
        char sk[VBI_SYL_MAX + 1];
        size_t sn = vbi_syl_skeleton(SYL(R, x), sk);
        double best = -INFINITY;
        int32_t bid = -1;
        /* edits of the skeleton: one insertion, then one substitution */
        char v1[VBI_SYL_MAX + 2], v2[VBI_SYL_MAX + 2];
        for (size_t pos = 0; pos <= sn && sn + 1 <= VBI_SYL_MAX; pos++)
            for (const char *L = letters; *L; L++) {
                memcpy(v1, sk, pos);
                v1[pos] = *L;
                memcpy(v1 + pos + 1, sk + pos, sn - pos);
                for (size_t q = 0; q <= sn + 1; q++)
                    for (const char *M = letters; *M; M++) {
                        memcpy(v2, v1, sn + 1);
                        if (q < sn + 1) v2[q] = *M;
                        else if (M != letters) break;
                        const uint32_t *ids;
                        size_t nc = vbi_lm_candidates(R->lm, v2, sn + 1, &ids);
                        for (size_t k = 0; k < nc; k++) {
                            const vbi_syl *cs = vbi_lm_syl(R->lm, ids[k]);
                            if (cs->tone != SYL(R, x)->tone) continue; /* keep the tone seen */
                            double s = vbi_lm_logp(R->lm, prev, (int32_t)ids[k]);
                            if (vbi_lm_bigram_count(R->lm, prev, (int32_t)ids[k]) < 5) continue;
                            if (s > best) {
                                best = s;
                                bid = (int32_t)ids[k];
                            }
                        }
                    }
            }
        (void)letters;
        if (bid >= 0) {
            FX(R, x)->out = *vbi_lm_syl(R->lm, (uint32_t)bid);
            FX(R, x)->out.ncase = x->ncase;
            x->flags |= T_CHANGED;
            FX(R, x)->kind = K_SPELLING;
            FX(R, x)->conf = 0.8f;
        }
    }
    return 0;
}


/* ---- letter-spaced words ----------------------------------------------------
   Text taken from a PDF whose small print was set letter-spaced comes out
   with spaces inside words: "Nh ư tr ê n", "Bộ tr ưở n g", "T hủ tướ ng C h í
   nh ph ủ".  On each line, a run of letter tokens with only spaces between
   them that holds a piece which is no syllable is cut again into groups:
   one token as it is (free when the model knows it, dear when it is no
   syllable), or two to SPACED_GROUP tokens written together that make a
   syllable the model has seen at least SPACED_MIN times (a small cost).
   The cheapest cut is kept when it joins something; the first token of a
   group takes the group's text, the others go with the space before them
   (corrections of kind break).  Pieces that are syllables on their own
   ("ho a") are never joined: only a piece that is no syllable, or one the
   model never saw ("Ngu y ễn"), asks for it. */
#define SPACED_GROUP 6
#define SPACED_MIN 20
#define SPACED_BAD 10 /* a piece left that is no syllable */
#define SPACED_UNKNOWN 3 /* a valid syllable the model never saw */

/* The group of tokens ix[a..b) written together: its bytes in out (the
   letters of each token in turn) and whether it is a syllable the model
   knows well. */
static bool spaced_group(const rstate *R, const size_t *ix, size_t a, size_t b, char *out,
                         size_t *olen)
{
    /* a word and a lone letter after it: a variable ("trong đó n là"),
       not the word's last letter */
    const tok *x0 = &R->t[ix[a]];
    bool lone = (x0->flags & T_VALID) && x0->obs >= 0;
    for (size_t k = a + 1; k < b && lone; k++)
        lone = R->t[ix[k]].len == 1;
    if (lone) return false;
    size_t o = 0;
    for (size_t k = a; k < b; k++) {
        const tok *x = &R->t[ix[k]];
        if (o + x->len > 4 * VBI_SYL_MAX) return false;
        memcpy(out + o, R->p->text.p + x->off, x->len);
        o += x->len;
    }
    *olen = o;
    vbi_syl s;
    if (vbi_syl_decode_utf8(R->g, out, o, &s) || !vbi_syl_valid(R->g, &s) ||
        s.ncase == VBI_CASE_MIXED)
        return false;
    int32_t id = vbi_rp_key_id(R, &s);
    return id >= 0 && vbi_lm_count(R->lm, id) >= SPACED_MIN;
}

static double spaced_cost(const tok *x)
{
    if (!(x->flags & T_VALID)) return SPACED_BAD;
    return x->obs >= 0 ? 0 : SPACED_UNKNOWN;
}

/* Cut the run ix[0..m) (see above); m <= MAXS. */
static int spaced_run(rstate *R, const size_t *ix, size_t m)
{
    double best[MAXS + 1];
    uint8_t take[MAXS + 1];
    char buf[4 * VBI_SYL_MAX + 8];
    size_t bl;
    best[0] = 0;
    for (size_t j = 1; j <= m; j++) {
        best[j] = best[j - 1] + spaced_cost(&R->t[ix[j - 1]]);
        take[j] = 1;
        for (size_t g = 2; g <= SPACED_GROUP && g <= j; g++)
            if (best[j - g] + 1 < best[j] && spaced_group(R, ix, j - g, j, buf, &bl)) {
                best[j] = best[j - g] + 1;
                take[j] = (uint8_t)g;
            }
    }
    for (size_t j = m; j > 0; j -= take[j]) {
        size_t g = take[j];
        if (g < 2) continue;
        if (!spaced_group(R, ix, j - g, j, buf, &bl)) continue; /* cannot be: it was chosen */
        tok *x = &R->t[ix[j - g]];
        x->flags = (uint16_t)((x->flags | T_CHANGED | T_REPL | T_VALID) & ~T_DELETE);
        FX(R, x)->kind = K_BREAK;
        FX(R, x)->conf = 0.8f;
        FX(R, x)->roff = (uint32_t)R->repl.len;
        FX(R, x)->rlen = (uint32_t)bl;
        if (vbi_buf_put(&R->repl, buf, bl)) return VANBAN_ENOMEM;
        for (size_t k = j - g + 1; k < j; k++) {
            tok *y = &R->t[ix[k]];
            y->flags = (uint16_t)((y->flags | T_DELETE) & ~(T_CHANGED | T_REPL));
            FX(R, y)->kind = K_BREAK;
            FX(R, y)->conf = 0.8f;
        }
    }
    return 0;
}

int vbi_rp_layer_spaced(rstate *R)
{
    size_t ix[MAXS];
    size_t m = 0;
    bool bad = false;
    for (size_t i = 0; i <= R->n; i++) {
        const tok *x = i < R->n ? &R->t[i] : NULL;
        bool ok = x && (x->flags & T_SYL) && !(x->flags & (T_CODE | T_NUM | T_DELETE | T_REPL));
        /* the run goes on while the next letter token follows after spaces */
        if (ok && m && (m == MAXS || !spaced(R, ix[m - 1]) || ix[m - 1] + 1 != i)) {
            if (bad && m >= 2 && spaced_run(R, ix, m)) return VANBAN_ENOMEM;
            m = 0;
            bad = false;
        }
        if (!ok) {
            if (bad && m >= 2 && spaced_run(R, ix, m)) return VANBAN_ENOMEM;
            m = 0;
            bad = false;
            continue;
        }
        ix[m++] = i;
        bad |= !(x->flags & T_VALID) || x->obs < 0;
    }
    return 0;
}
