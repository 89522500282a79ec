/* repair_decode.c - the context decoder: what reading a syllable costs,
   the document cache and its mixture with the bigram model, the candidates
   of a token and the Viterbi search over each sentence (layer 4). */
#include "repair_int.h"

/* ---- helpers -------------------------------------------------------------- */


/* Cost of reading candidate c where o was written (same skeleton). */
double vbi_rp_edit_cost(const vbi_syl *o, const vbi_syl *c)
{
    int edits = 0;
    double cost = 0;
    size_t at = SIZE_MAX; /* the letter that differs */
    for (size_t i = 0; i < o->n; i++)
        if (o->l[i] != c->l[i]) {
            edits++;
            at = i;
            cost += plain(o->l[i]) ? 1 : plain(c->l[i]) ? 3 : 1;
        }
    if (o->tone != c->tone) {
        edits++;
        cost += o->tone == 0 ? 1 : c->tone == 0 ? 2 : 1;
    }
    /* One glyph misread whole: a vowel whose stacked marks (a circumflex,
       breve or horn under a tone above it: not nặng, 5, which sits below)
       came out as a plain vowel with another tone above ("phò" for "phổ").
       Two edits, but one error of the scan. */
    if (edits == 2 && at != SIZE_MAX && o->tone && o->tone < 5 && c->tone && c->tone < 5 &&
        plain(o->l[at]) &&
        !plain(c->l[at]) && o->tpos == (int8_t)at && c->tpos == (int8_t)at)
        return 3;
    if (edits >= 2) cost = 6 + 2 * (edits - 2);
    return cost;
}

/* The same for a token whose tone vbi_rp_layer_structure moved (tone_moved): its
   tone is no evidence, so changing or removing it costs one edit; a
   changed letter costs as in vbi_rp_edit_cost. */
static double moved_cost(const vbi_syl *o, const vbi_syl *c)
{
    vbi_syl t = *o;
    t.tone = c->tone;
    t.tpos = c->tpos;
    double cost = vbi_rp_edit_cost(&t, c);
    return cost + (o->tone != c->tone ? MOVED_TONE_COST : 0);
}

static size_t bslot(const rstate *R, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (R->bcap - 1);
}

static uint64_t bkey_of(int32_t a, int32_t b)
{
    return (uint64_t)(uint32_t)(a + 1) << 32 | (uint32_t)(b + 1);
}

/* The slot of the pair (a b): where it is, or the empty slot it would take. */
size_t vbi_rp_bprobe(const rstate *R, int32_t a, int32_t b)
{
    uint64_t key = bkey_of(a, b);
    size_t h = bslot(R, key);
    while (R->bkey[h] && R->bkey[h] != key) h = (h + 1) & (R->bcap - 1);
    return h;
}

uint32_t vbi_rp_bget(const rstate *R, int32_t a, int32_t b)
{
    if (!R->bcap) return 0;
    size_t h = vbi_rp_bprobe(R, a, b);
    return R->bkey[h] ? R->bval[h] : 0;
}

/* Empty the document's bigram table (sized by its distinct pairs, which
   repeated administrative text keeps few: clearing and probing stay cheap). */
void vbi_rp_bclear(rstate *R)
{
    memset(R->bkey, 0, R->bcap * sizeof *R->bkey);
    memset(R->bval, 0, R->bcap * sizeof *R->bval);
    R->bn = 0;
}

/* Count the pair (a b); *slot (when not NULL) gets its slot, which holds
   until the table next grows. */
int vbi_rp_badd(rstate *R, int32_t a, int32_t b, uint32_t *slot)
{
    if ((R->bn + 1) * 2 > R->bcap) {
        size_t oc = R->bcap, nc = oc * 2;
        uint64_t *ok = R->bkey, *nk = calloc(nc, sizeof *nk);
        uint32_t *ov = R->bval, *nv = calloc(nc, sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return VANBAN_ENOMEM;
        }
        R->bkey = nk;
        R->bval = nv;
        R->bcap = nc;
        for (size_t i = 0; i < oc; i++)
            if (ok[i]) {
                size_t h = bslot(R, ok[i]);
                while (nk[h]) h = (h + 1) & (nc - 1);
                nk[h] = ok[i];
                nv[h] = ov[i];
            }
        free(ok);
        free(ov);
    }
    size_t h = vbi_rp_bprobe(R, a, b);
    if (!R->bkey[h]) R->bn++;
    R->bkey[h] = bkey_of(a, b);
    R->bval[h]++;
    if (slot) *slot = (uint32_t)h;
    return 0;
}

/* log P(b | a) at a position whose first-pass readings are (oa, ob): the
   model mixed with the document's own counts, leaving the position itself
   out.  The cache counts what the first pass read, not what was written, so
   errors OCR repeats ("cong tác" twice) do not vouch for themselves. */
static double trans(const rstate *R, int32_t a, int32_t b, int32_t oa, int32_t ob)
{
    double lp = vbi_lm_logp(R->lm, a, b);
    if (b < 0 || R->ndoc < 50 || R->pass1) return lp;
    double cu = (double)R->ucount[b] - (b == ob);
    if (cu <= 0) return lp + R->log_keep; /* b is nowhere else in the document: no (a b) either */
    double pc;
    if (a > 0) {
        double ca = (double)R->ucount[a] - (a == oa);
        double cab = (double)vbi_rp_bget(R, a, b) - (a == oa && b == ob);
        if (ca < 0) ca = 0;
        if (cab < 0) cab = 0;
        pc = (cab + CACHE_BETA * cu / R->ndoc) / (ca + CACHE_BETA);
    } else {
        pc = cu / R->ndoc;
    }
    return log((1 - CACHE_LAMBDA) * exp(lp) + CACHE_LAMBDA * pc);
}

/* ---- layer 4: context decoder --------------------------------------------- */

typedef struct {
    int32_t id[MAXC];
    double local[MAXC];
    double rank[MAXC];
    double score[MAXC];
    uint8_t back[MAXC];
    uint8_t nc;
} lattice;

/* A token's candidate states depend only on its written word and its
   written neighbours (when the first pass agreed with them) and on the
   document counts, which are fixed during a pass: administrative text
   repeats its phrases, so the states are kept per context and reused. */
typedef struct lat_ent {
    uint64_t key; /* 0 = empty */
    uint32_t off; /* states 1..nc-1 in the pool (state 0 is the written form) */
    uint8_t nc;
} lat_ent;

typedef struct lat_state {
    int32_t id;
    double local, rank;
} lat_state;

#define LAT_MAX ((size_t)1 << 16) /* slots, 16 bytes each: the table stays in cache */

static uint64_t lat_key(int32_t prev, int32_t obs, int32_t next, bool name)
{
    return (uint64_t)(uint32_t)(prev + 2) | (uint64_t)(uint32_t)(obs + 2) << 21 |
           (uint64_t)(uint32_t)(next + 2) << 42 | (uint64_t)name << 63;
}

static lat_ent *lat_slot(rstate *R, uint64_t key)
{
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 24) & (R->lat_cap - 1);
    while (R->lat[h].key && R->lat[h].key != key) h = (h + 1) & (R->lat_cap - 1);
    return &R->lat[h];
}

/* Keep the MAXC best states by rank (local score + unigram); state 0 is
   the written form and always stays. */
static void add_state(lattice *L, int32_t id, double local, double rank)
{
    if (L->nc < MAXC) {
        L->id[L->nc] = id;
        L->rank[L->nc] = rank;
        L->local[L->nc++] = local;
        return;
    }
    int worst = 1;
    for (int k = 2; k < MAXC; k++)
        if (L->rank[k] < L->rank[worst]) worst = k;
    if (rank > L->rank[worst]) {
        L->id[worst] = id;
        L->local[worst] = local;
        L->rank[worst] = rank;
    }
}

/* Did vbi_rp_layer_structure move this token's tone to its vowel?  The scan put
   the tone where no writer does, so the tone itself is in doubt: real OCR
   adds a tone to a toneless syllable ("theõ" for "theo") or moves and
   changes it ("cuã" for "của") far more often than it misplaces a right one. */
static bool tone_moved(const rstate *R, const tok *x)
{
    return (x->flags & (T_CHANGED | T_DECODED)) == T_CHANGED &&
           R->fx[x - R->t].kind == K_SPELLING;
}

/* Does the document write token i, a valid syllable the model never saw,
   at least UNSEEN_DOC_MIN times in these very bytes, and at least
   UNSEEN_DOC_RATIO times as often as any other marking of its letters
   (that the first pass kept)?  Damage repeats too, but rarely more often
   than the word it damages ("dồng" 5 times beside "đồng" 95 times). */
static bool unseen_word(const rstate *R, size_t i)
{
    uint32_t id = R->wm->tid[i];
    if (!R->wcount || id == MEMO_NONE || R->wcount[id] < UNSEEN_DOC_MIN) return false;
    char sk[VBI_SYL_MAX + 1];
    size_t sn = vbi_syl_skeleton(SYL(R, &R->t[i]), sk);
    const uint32_t *ids;
    size_t nc = vbi_lm_candidates(R->lm, sk, sn, &ids);
    for (size_t k = 0; k < nc; k++)
        if ((uint64_t)R->ucount[ids[k]] * UNSEEN_DOC_RATIO > R->wcount[id]) return false;
    return true;
}

/* Does syllable c form a word the model knows with the syllable before
   (prev) or after (next) it? */
static bool word_with(const rstate *R, int32_t c, int32_t prev, int32_t next)
{
    return (prev >= 0 && (vbi_lm_pairword(R->lm, prev, c) & VBI_WORD)) ||
           (next >= 0 && (vbi_lm_pairword(R->lm, c, next) & VBI_WORD));
}

/* ... and does training write that word at least WORD_RATIO times as often
   as the written syllable beside the same neighbour ("chi tiết" 1,423 times,
   "chỉ tiết" 7)?  Pairs that are both common ("hình dạng", "hình dáng";
   "hệ số lương", "số lượng") give no such evidence. */
static bool word_wins(const rstate *R, int32_t c, int32_t obs, int32_t prev, int32_t next)
{
    unsigned w;
    if (prev >= 0) {
        uint32_t cc = vbi_lm_bigram(R->lm, prev, c, &w);
        if ((w & VBI_WORD) && cc >= WORD_RATIO * ((uint64_t)vbi_lm_bigram_count(R->lm, prev, obs) + 1))
            return true;
    }
    if (next >= 0) {
        uint32_t cc = vbi_lm_bigram(R->lm, c, next, &w);
        if ((w & VBI_WORD) && cc >= WORD_RATIO * ((uint64_t)vbi_lm_bigram_count(R->lm, obs, next) + 1))
            return true;
    }
    return false;
}

static void candidates(rstate *R, size_t i, lattice *L, int32_t oprev, int32_t onext,
                       int32_t lprev, int32_t lnext)
{
    tok *x = &R->t[i];
    L->nc = 0;
    if (x->flags & T_NUM) {
        add_state(L, x->obs, 0, 0);
        return;
    }
    bool valid = x->flags & T_VALID;
    bool strip = x->flags & T_STRIP;
    bool moved = valid && !strip && tone_moved(R, x);
    double bonus = strip ? 0 : R->pass1 ? R->margin * PASS1_MARGIN : R->margin;
    /* a syllable the model never saw is more likely damage than a word,
       unless the document writes it again and again ("tin buồn" in a
       text on funerals, where the gazette never wrote "buồn"): then it is
       a word of the document, and stays */
    bool docword = x->obs < 0 && !strip && unseen_word(R, i);
    if (x->obs < 0 && !strip && !docword) bonus *= UNSEEN_BONUS;
    if (moved) bonus = MOVED_BONUS;
    add_state(L, x->obs, valid ? bonus : -30, 0);
    bool name = !(x->flags & T_BREAK) && x->ncase == VBI_CASE_TITLE && !(x->flags & T_CAPSLINE);
    if (x->flags & (T_ABBR | T_CODE) || docword) return;
    lat_ent *me = NULL;
    if (R->lat_cap && valid && !strip && !moved && x->obs >= 0 && lprev == oprev &&
        x->p1 == x->obs && lnext == onext) {
        uint64_t key = lat_key(oprev, x->obs, onext, name);
        me = lat_slot(R, key);
        if (me->key == key) {
            for (int k = 1; k < me->nc; k++) {
                const lat_state *ms = &R->lat_pool[me->off + (uint32_t)k - 1];
                L->id[k] = ms->id;
                L->local[k] = ms->local;
                L->rank[k] = ms->rank;
            }
            L->nc = me->nc;
            return;
        }
        if (R->lat_n * 10 >= R->lat_cap * 7) me = NULL; /* full: no new entries */
        else me->key = key;
    }
    char sk[VBI_SYL_MAX + 1];
    size_t sn = vbi_syl_skeleton(SYL(R, x), sk);
    const uint32_t *ids;
    size_t nc = vbi_lm_candidates(R->lm, sk, sn, &ids);
    double keep = NAN; /* the written form's score with the written neighbours */
    /* is the written form part of a word with a neighbour ("chỉ" in "chỉ
       đạo")?  If not, a reading that is ("chi tiết", "chi thường xuyên")
       gets WORD_BONUS (asked only for readings that pass the quick bound
       with the bonus, and then once: -1 not asked yet) */
    int written_word = -1;
    bool may_bonus = !strip && valid && x->obs >= 0;
    for (size_t k = 0; k < nc; k++) {
        int32_t c = (int32_t)ids[k];
        if (c == x->obs) continue;
        const vbi_syl *cs = vbi_lm_syl(R->lm, (uint32_t)c);
        double local = strip ? 0 : moved ? -moved_cost(SYL(R, x), cs) : -vbi_rp_edit_cost(SYL(R, x), cs);
        if (name && valid && !strip) {
            /* a capitalised word inside a sentence is a name unless the
               document itself writes the other form more often */
            uint32_t co = x->obs >= 0 ? R->ucount[x->obs] : 0;
            /* ... or training text writes the other form with a capital
               far more often ("Bổ Tài chính" -> "Bộ") */
            uint32_t tc = vbi_lm_title(R->lm, c), to = vbi_lm_title(R->lm, x->obs);
            bool doc = R->ucount[c] >= 3 && R->ucount[c] >= 2 * co;
            if (!doc && !(tc >= TITLE_MIN && tc >= TITLE_RATIO * ((uint64_t)to + 1))) continue;
            local -= NAME_BONUS;
        }
        if (valid && !strip && x->obs >= 0) {
            /* quick bound with the written neighbours: skip hopeless ones */
            if (isnan(keep)) {
                keep = trans(R, oprev, x->obs, lprev, x->p1);
                if (onext != -2) keep += trans(R, x->obs, onext, x->p1, lnext);
            }
            double gain = trans(R, oprev, c, lprev, x->p1) + local - bonus - keep;
            if (onext != -2) gain += trans(R, c, onext, x->p1, lnext);
            if (gain + (may_bonus ? WORD_BONUS : 0) < -4) continue;
            if (may_bonus) {
                if (written_word < 0) written_word = word_with(R, x->obs, oprev, onext);
                if (!written_word && word_wins(R, c, x->obs, oprev, onext)) {
                    local += WORD_BONUS;
                    gain += WORD_BONUS;
                }
            }
            if (gain < -4) continue;
        }
        add_state(L, c, local, local + vbi_lm_unigram(R->lm, c));
    }
    if (me) {
        if (R->lat_pool_n + MAXC > R->lat_pool_cap) {
            size_t cap = R->lat_pool_cap ? R->lat_pool_cap * 2 : 4096;
            lat_state *np = realloc(R->lat_pool, cap * sizeof *np);
            if (!np) { /* no room: forget the slot, the result is the same */
                me->key = 0;
                return;
            }
            R->lat_pool = np;
            R->lat_pool_cap = cap;
        }
        R->lat_n++;
        me->nc = L->nc;
        me->off = (uint32_t)R->lat_pool_n;
        for (int k = 1; k < L->nc; k++) {
            lat_state *ms = &R->lat_pool[R->lat_pool_n++];
            ms->id = L->id[k];
            ms->local = L->local[k];
            ms->rank = L->rank[k];
        }
    }
}

/* Apply the states chosen for positions s..e of a sentence (k: the state at
   e, then back); d is how much better the path is than the written one. */
static void apply_run(rstate *R, const size_t *ix, lattice *lat, size_t s, size_t e, int k,
                      double d)
{
    for (size_t q = e + 1; q-- > s;) {
        const lattice *L = &lat[q];
        if (R->pass1) {
            R->t[ix[q]].p1 = L->id[k];
        } else if (k != 0) {
            tok *x = &R->t[ix[q]];
            int32_t c = L->id[k];
            bool moved = tone_moved(R, x);
            if (c >= 0 && (!(x->flags & T_CHANGED) || moved)) {
                const vbi_syl *cs = vbi_lm_syl(R->lm, (uint32_t)c);
                FX(R, x)->out = *cs;
                FX(R, x)->out.ncase = x->ncase;
                x->flags |= T_CHANGED | T_DECODED;
                FX(R, x)->kind = (x->flags & T_VALID) && !moved ? K_DIACRITIC : K_SPELLING;
                FX(R, x)->conf = (float)(d / (d + 2.0));
            }
        }
        k = L->back[k];
    }
}

/* Viterbi over one sentence.  A position with one state (the written form,
   nearly all of them) fixes the path through it, so only the runs of
   positions with a choice are decoded, each between its fixed neighbours:
   the same path as decoding the whole sentence, without scoring the
   transitions between fixed words. */
static int decode_sentence(rstate *R, size_t *ix, size_t m, lattice *lat)
{
    for (size_t q = 0; q < m; q++) {
        int32_t oprev = q ? R->t[ix[q - 1]].obs : VBI_LM_BOS;
        int32_t onext = q + 1 < m ? R->t[ix[q + 1]].obs : -2;
        int32_t lprev = q ? R->t[ix[q - 1]].p1 : VBI_LM_BOS;
        int32_t lnext = q + 1 < m ? R->t[ix[q + 1]].p1 : -2;
        candidates(R, ix[q], &lat[q], oprev, onext, lprev, lnext);
    }
    for (size_t s = 0; s < m; s++) {
        if (lat[s].nc < 2) continue;
        size_t e = s;
        while (e + 1 < m && lat[e + 1].nc >= 2) e++;
        /* the fixed word before the run (or the sentence start) */
        int32_t before = s ? lat[s - 1].id[0] : VBI_LM_BOS;
        int32_t obefore = s ? R->t[ix[s - 1]].p1 : VBI_LM_BOS;
        double kept = 0; /* the written path's score */
        for (size_t q = s; q <= e; q++) {
            lattice *L = &lat[q];
            int32_t ob = R->t[ix[q]].p1;
            for (int k = 0; k < L->nc; k++) {
                if (q == s) {
                    L->score[k] = L->local[k] + trans(R, before, L->id[k], obefore, ob);
                    L->back[k] = 0;
                    continue;
                }
                const lattice *P = &lat[q - 1];
                int32_t oa = R->t[ix[q - 1]].p1;
                double best = -INFINITY;
                int bk = 0;
                for (int j = 0; j < P->nc; j++) {
                    double sc = P->score[j] + trans(R, P->id[j], L->id[k], oa, ob);
                    if (sc > best) {
                        best = sc;
                        bk = j;
                    }
                    if (j == 0 && k == 0) kept += sc - P->score[0];
                }
                L->score[k] = best + L->local[k];
                L->back[k] = (uint8_t)bk;
            }
            kept += L->local[0];
            if (q == s) kept += L->score[0] - L->local[0];
        }
        /* into the fixed word after the run, if any */
        const lattice *E = &lat[e];
        int k = 0;
        double best = -INFINITY, k0 = 0;
        for (int j = 0; j < E->nc; j++) {
            double sc = E->score[j];
            if (e + 1 < m)
                sc += trans(R, E->id[j], lat[e + 1].id[0], R->t[ix[e]].p1, R->t[ix[e + 1]].p1);
            if (j == 0) k0 = sc - E->score[0];
            if (sc > best) {
                best = sc;
                k = j;
            }
        }
        kept += k0;
        double d = best - kept;
        apply_run(R, ix, lat, s, e, k, d > 0 ? d : 1);
        s = e;
    }
    return 0;
}

static bool lm_token(const tok *x)
{
    return (x->flags & T_NUM) ||
           ((x->flags & T_SYL) && !(x->flags & (T_CODE | T_ABBR | T_DELETE)) &&
            (x->flags & (T_VALID | T_LOWER | T_CAPSLINE)));
}

/* The document cache: counts of the written forms the first pass agreed
   with.  Words the first pass wanted to change count for neither reading:
   repeated OCR errors ("cong tác" twice) cannot vouch for themselves, and a
   rare correct word the model alone would change ("vĩ đại") does not lend
   its context to the wrong reading.  Text typed without marks stays out: it would only teach
   the decoder to keep them off.  The first pass reads only the word counts
   (pairs: false), the second the pairs too. */
static int fill_cache(rstate *R, uint32_t nv, bool pairs)
{
    memset(R->ucount, 0, nv * sizeof *R->ucount);
    vbi_rp_bclear(R);
    R->ndoc = 0;
    int32_t prev = VBI_LM_BOS;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if (!lm_token(x) || (x->flags & T_STRIP)) {
            prev = VBI_LM_BOS;
            continue;
        }
        if (x->flags & T_BREAK) prev = VBI_LM_BOS;
        if (x->p1 >= 0 && x->p1 == x->obs) {
            R->ucount[x->p1]++;
            R->ndoc++;
            if (pairs && vbi_rp_badd(R, prev, x->p1, NULL)) return VANBAN_ENOMEM;
        }
        prev = x->p1;
    }
    return 0;
}

static void decode_all(rstate *R, lattice *lat)
{
    size_t ix[MAXS];
    size_t m = 0;
    for (size_t i = 0; i <= R->n; i++) {
        tok *x = i < R->n ? &R->t[i] : NULL;
        bool end = !x || !lm_token(x) || (x->flags & T_BREAK) || m == MAXS;
        if (end && m) {
            decode_sentence(R, ix, m, lat);
            m = 0;
        }
        if (x && lm_token(x)) {
            x->flags |= T_LM;
            ix[m++] = i;
        }
    }
}

int vbi_rp_layer_context(rstate *R)
{
    uint32_t nv = vbi_lm_size(R->lm);
    R->ucount = calloc(nv, sizeof *R->ucount);
    if (!R->ucount) return VANBAN_ENOMEM;
    size_t nlm = 0;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if (!(x->flags & T_SYL)) continue;
        uint32_t id = R->wm->tid[i];
        x->obs = !(x->flags & T_VALID) ? -1 : id != MEMO_NONE ? R->wm->e[id].obs : vbi_rp_key_id(R, SYL(R, x));
        if (lm_token(x)) nlm++;
        if (x->obs < 0 && (x->flags & T_VALID) && id != MEMO_NONE) {
            if (!R->wcount && !(R->wcount = calloc(R->wm->n, sizeof *R->wcount)))
                return VANBAN_ENOMEM;
            R->wcount[id]++;
        }
    }
    R->bcap = 4096;
    R->bkey = calloc(R->bcap, sizeof *R->bkey);
    R->bval = calloc(R->bcap, sizeof *R->bval);
    if (!R->bkey || !R->bval) return VANBAN_ENOMEM;
    /* paragraphs (and documents) written without marks */
    size_t par = 0, marked = 0, total = 0, dmarked = 0, dtotal = 0;
    for (size_t i = 0; i <= R->n; i++) {
        tok *x = i < R->n ? &R->t[i] : NULL;
        bool newpar = !x || ((x->flags & T_BREAK) && i > 0 && R->t[i - 1].line + 1 < x->line);
        if (newpar) {
            if (total >= 8 && marked * 10 < total)
                for (size_t k = par; k < i; k++) R->t[k].flags |= T_STRIP;
            par = i;
            marked = total = 0;
        }
        if (!x) break;
        if (!lm_token(x) || (x->flags & T_NUM)) continue;
        total++;
        dtotal++;
        if (x->marked) marked++, dmarked++;
    }
    if (dtotal >= 8 && dmarked * 10 < dtotal)
        for (size_t k = 0; k < R->n; k++) R->t[k].flags |= T_STRIP;
    for (size_t i = 0; i < R->n; i++) R->t[i].p1 = R->t[i].obs;
    lattice *lat = malloc(MAXS * sizeof *lat);
    if (!lat) return VANBAN_ENOMEM;
    if (vbi_lm_size(R->lm) < (1u << 21) - 2) {
        R->lat_cap = 1024;
        while (R->lat_cap < nlm && R->lat_cap < LAT_MAX) R->lat_cap <<= 1;
        R->lat = calloc(R->lat_cap, sizeof *R->lat);
        if (!R->lat) R->lat_cap = 0; /* slower, same result */
    }
    /* pass 1: the model alone, a lower margin; its readings fill the cache */
    if (fill_cache(R, nv, false)) {
        free(lat);
        return VANBAN_ENOMEM;
    }
    R->pass1 = true;
    decode_all(R, lat);
    R->pass1 = false;
    if (fill_cache(R, nv, true)) {
        free(lat);
        return VANBAN_ENOMEM;
    }
    if (R->lat_cap) { /* the counts changed */
        memset(R->lat, 0, R->lat_cap * sizeof *R->lat);
        R->lat_n = R->lat_pool_n = 0;
    }
    decode_all(R, lat);
    free(lat);
    return 0;
}

