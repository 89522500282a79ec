/* lm.c - the syllable bigram model of the repair stage, read in place.
 *
 * The image (tools/build_lm.py) is used where it lies: embedded in the
 * library, or a file read by vanban_model_load(dir).  Loading only builds two
 * small indexes over the vocabulary (key -> id, skeleton -> ids); bigram
 * lookups hash straight into the image.  Immutable once opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"

typedef struct {
    uint32_t str, count;
    float lp, bow;
    uint32_t title; /* times written with a capital inside a sentence */
    uint32_t flags; /* 1: doubles as a reduplicative ("từ từ"); 2, 4: lexicon
                       first, second; bits 8-11: a number word's value;
                       4096, 8192: a label of the received stamp, its word */
} lm_vocab;

typedef struct {
    uint32_t a, b;
    float lp;
    uint32_t count;
} lm_slot;

struct vbi_lm {
    const lm_vocab *v;
    const char *strings;
    size_t strings_len;
    const lm_slot *slots;
    uint32_t nvocab, bits;
    float unk;
    /* indexes built at load */
    uint32_t *key_ix; /* open addressing, id + 1, 0 = empty */
    size_t key_cap;
    vbi_syl *syl;
    uint32_t *skel_head; /* open addressing over skeletons: index into groups + 1 */
    size_t skel_cap;
    uint32_t *grp_start; /* per group: first position in grp_ids */
    uint32_t *grp_len;
    uint32_t *grp_rep;   /* per group: a vocab id with this skeleton */
    uint32_t *grp_ids;
    uint32_t ngroups;
};

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void vbi_lm_free(vbi_lm *lm)
{
    if (!lm) return;
    free(lm->key_ix);
    free(lm->syl);
    free(lm->skel_head);
    free(lm->grp_start);
    free(lm->grp_len);
    free(lm->grp_rep);
    free(lm->grp_ids);
    free(lm);
}

static bool skel_eq(const vbi_lm *lm, uint32_t grp, const char *s, size_t n)
{
    const vbi_syl *y = &lm->syl[lm->grp_rep[grp]];
    char k[VBI_SYL_MAX + 1];
    size_t kl = vbi_syl_skeleton(y, k);
    return kl == n && !memcmp(k, s, n);
}

int vbi_lm_open(vbi_lm **out, const vbi_sylgram *g, const void *data, size_t len, char *msg,
                size_t msglen)
{
    *out = NULL;
    const unsigned char *d = data;
    /* version 2 is version 3 without lexicon flags */
    if (len < 32 || memcmp(d, "VBLM", 4) || rd32(d + 4) < 2 || rd32(d + 4) > 3 ||
        ((uintptr_t)d & 3)) {
        snprintf(msg, msglen, "lm.bin: not a vanban model image (version 2 or 3)");
        return VANBAN_EGRAMMAR;
    }
    uint32_t nv = rd32(d + 8), bits = rd32(d + 12), sl = rd32(d + 16);
    if (nv == 0 || bits < 4 || bits > 30 ||
        (uint64_t)32 + (uint64_t)nv * 24 + sl + ((uint64_t)16 << bits) > len) {
        snprintf(msg, msglen, "lm.bin: truncated or corrupt");
        return VANBAN_EGRAMMAR;
    }
    vbi_lm *lm = calloc(1, sizeof *lm);
    if (!lm) return VANBAN_ENOMEM;
    lm->nvocab = nv;
    lm->bits = bits;
    memcpy(&lm->unk, d + 20, 4);
    lm->v = (const lm_vocab *)(const void *)(d + 32);
    lm->strings = (const char *)(d + 32 + (size_t)nv * 24);
    lm->strings_len = sl;
    lm->slots = (const lm_slot *)(const void *)(d + 32 + (size_t)nv * 24 + sl);
    for (uint32_t i = 0; i < nv; i++)
        if (lm->v[i].str >= sl || !memchr(lm->strings + lm->v[i].str, 0, sl - lm->v[i].str)) {
            snprintf(msg, msglen, "lm.bin: bad string offset");
            vbi_lm_free(lm);
            return VANBAN_EGRAMMAR;
        }
    lm->key_cap = 1;
    while (lm->key_cap < (size_t)nv * 2) lm->key_cap <<= 1;
    lm->key_ix = calloc(lm->key_cap, sizeof *lm->key_ix);
    lm->syl = calloc(nv, sizeof *lm->syl);
    lm->skel_head = calloc(lm->key_cap, sizeof *lm->skel_head);
    lm->grp_start = calloc(nv, sizeof *lm->grp_start);
    lm->grp_len = calloc(nv, sizeof *lm->grp_len);
    lm->grp_rep = calloc(nv, sizeof *lm->grp_rep);
    lm->grp_ids = calloc(nv, sizeof *lm->grp_ids);
    uint32_t *grp_of = calloc(nv, sizeof *grp_of);
    if (!lm->key_ix || !lm->syl || !lm->skel_head || !lm->grp_start || !lm->grp_len ||
        !lm->grp_rep || !lm->grp_ids || !grp_of) {
        free(grp_of);
        vbi_lm_free(lm);
        return VANBAN_ENOMEM;
    }
    lm->skel_cap = lm->key_cap;
    size_t mask = lm->key_cap - 1;
    for (uint32_t i = 1; i < nv; i++) {
        const char *k = lm->strings + lm->v[i].str;
        size_t kl = strlen(k);
        size_t h = vbi_hash_bytes(k, kl) & mask;
        while (lm->key_ix[h]) h = (h + 1) & mask;
        lm->key_ix[h] = i + 1;
        if (vbi_syl_decode_utf8(g, k, kl, &lm->syl[i])) {
            grp_of[i] = UINT32_MAX;
            continue;
        }
        char sk[VBI_SYL_MAX + 1];
        size_t sn = vbi_syl_skeleton(&lm->syl[i], sk);
        size_t sh = vbi_hash_bytes(sk, sn) & mask;
        while (lm->skel_head[sh] && !skel_eq(lm, lm->skel_head[sh] - 1, sk, sn))
            sh = (sh + 1) & mask;
        if (!lm->skel_head[sh]) {
            lm->grp_rep[lm->ngroups] = i;
            lm->skel_head[sh] = ++lm->ngroups;
        }
        grp_of[i] = lm->skel_head[sh] - 1;
        lm->grp_len[grp_of[i]]++;
    }
    uint32_t pos = 0;
    for (uint32_t k = 0; k < lm->ngroups; k++) {
        lm->grp_start[k] = pos;
        pos += lm->grp_len[k];
        lm->grp_len[k] = 0;
    }
    for (uint32_t i = 1; i < nv; i++)
        if (grp_of[i] != UINT32_MAX) {
            uint32_t k = grp_of[i];
            lm->grp_ids[lm->grp_start[k] + lm->grp_len[k]++] = i;
        }
    free(grp_of);
    *out = lm;
    return 0;
}

uint32_t vbi_lm_size(const vbi_lm *lm) { return lm->nvocab; }

int32_t vbi_lm_id(const vbi_lm *lm, const char *key, size_t n)
{
    size_t mask = lm->key_cap - 1, h = vbi_hash_bytes(key, n) & mask;
    while (lm->key_ix[h]) {
        uint32_t id = lm->key_ix[h] - 1;
        const char *k = lm->strings + lm->v[id].str;
        if (!strncmp(k, key, n) && k[n] == 0) return (int32_t)id;
        h = (h + 1) & mask;
    }
    return -1;
}

const char *vbi_lm_word(const vbi_lm *lm, uint32_t id, size_t *n)
{
    const char *k = lm->strings + lm->v[id].str;
    if (n) *n = strlen(k);
    return k;
}

const vbi_syl *vbi_lm_syl(const vbi_lm *lm, uint32_t id) { return &lm->syl[id]; }

size_t vbi_lm_candidates(const vbi_lm *lm, const char *skel, size_t n, const uint32_t **ids)
{
    size_t mask = lm->skel_cap - 1, h = vbi_hash_bytes(skel, n) & mask;
    while (lm->skel_head[h]) {
        uint32_t grp = lm->skel_head[h] - 1;
        if (skel_eq(lm, grp, skel, n)) {
            *ids = lm->grp_ids + lm->grp_start[grp];
            return lm->grp_len[grp];
        }
        h = (h + 1) & mask;
    }
    *ids = NULL;
    return 0;
}

static const lm_slot *find(const vbi_lm *lm, uint32_t a, uint32_t b)
{
    uint64_t key = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;
    size_t mask = ((size_t)1 << lm->bits) - 1, h = (size_t)(key >> (64 - lm->bits));
    for (;;) {
        const lm_slot *s = &lm->slots[h];
        if (s->a == UINT32_MAX) return NULL;
        if (s->a == a && s->b == b) return s;
        h = (h + 1) & mask;
    }
}

float vbi_lm_unigram(const vbi_lm *lm, int32_t b)
{
    return b < 0 ? lm->unk : lm->v[b].lp;
}

float vbi_lm_logp(const vbi_lm *lm, int32_t a, int32_t b)
{
    if (b < 0) return lm->unk;
    if (a < 0) return lm->v[b].lp;
    const lm_slot *s = find(lm, (uint32_t)a, (uint32_t)b);
    if (s) return s->lp;
    return lm->v[a].bow + lm->v[b].lp;
}

#define LM_WORD 0x80000000u /* slot count bits: the pair is part of a word, */
#define LM_LEX 0x40000000u  /* of a word of lexicon.txt, */
#define LM_NONWORD 0x20000000u /* seen, never as a word */

uint32_t vbi_lm_bigram(const vbi_lm *lm, int32_t a, int32_t b, unsigned *word)
{
    *word = 0;
    if (a < 0 || b < 0) return 0;
    const lm_slot *s = find(lm, (uint32_t)a, (uint32_t)b);
    if (!s) return 0;
    *word = (s->count & LM_WORD ? VBI_WORD : 0) | (s->count & LM_LEX ? VBI_WORD_LEX : 0) |
            (s->count & LM_NONWORD ? VBI_NONWORD : 0);
    return s->count & ~(LM_WORD | LM_LEX | LM_NONWORD);
}

uint32_t vbi_lm_bigram_count(const vbi_lm *lm, int32_t a, int32_t b)
{
    unsigned w;
    return vbi_lm_bigram(lm, a, b, &w);
}

unsigned vbi_lm_pairword(const vbi_lm *lm, int32_t a, int32_t b)
{
    unsigned w;
    vbi_lm_bigram(lm, a, b, &w);
    return w;
}

uint32_t vbi_lm_count(const vbi_lm *lm, int32_t a) { return a < 0 ? 0 : lm->v[a].count; }

uint32_t vbi_lm_title(const vbi_lm *lm, int32_t a) { return a < 0 ? 0 : lm->v[a].title; }

bool vbi_lm_redup(const vbi_lm *lm, int32_t a) { return a >= 0 && (lm->v[a].flags & 1); }

unsigned vbi_lm_lexpos(const vbi_lm *lm, int32_t a) { return a < 0 ? 0 : (lm->v[a].flags >> 1) & 3; }

unsigned vbi_lm_numeral(const vbi_lm *lm, int32_t a) { return a < 0 ? 0 : (lm->v[a].flags >> 8) & 15; }

unsigned vbi_lm_stamp(const vbi_lm *lm, int32_t a) { return a < 0 ? 0 : (lm->v[a].flags >> 12) & 3; }
