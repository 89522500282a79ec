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
 *                 (layer_pairs), and a number word read wrong takes the
 *                 count the document writes in digits (layer_numerals),
 *                 a misread label of the received stamp the label
 *                 (layer_stamp).
 *   5. break      words cut by a page break are joined, syllables doubled by
 *                 page overlap ("các các") are removed unless the model knows
 *                 the reduplication.
 *
 * Afterwards the text is rebuilt with the new words and every changed span
 * is recorded once, in original-input offsets, sorted and non-overlapping,
 * so vanban_result_write_text can replay them.  Time is linear: each token
 * has at most MAXC candidates and sentences are cut at MAXS tokens.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "repair.h"

#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
#include <emmintrin.h>
#endif

#define MAXC 10  /* candidates kept per syllable */
#define MAXS 200 /* tokens per decoded sentence */

#define DEFAULT_MARGIN 8.0
#define NAME_BONUS 3.0
#define PASS1_MARGIN 0.5 /* share of the margin in the first pass */
#define UNSEEN_BONUS 0.5 /* share of the margin for a syllable the model never saw */
#define UNSEEN_DOC_MIN 5 /* ... unless the document writes it this often (unseen_word) */
#define UNSEEN_DOC_RATIO 4 /* ... and this many times as often as another marking */
#define MOVED_BONUS 2.0 /* the margin of a syllable whose tone was misplaced (tone_moved) */
#define MOVED_TONE_COST 1.0 /* ... and the cost of reading it with another tone or none */
#define TITLE_MIN 50    /* a capitalised reading needs this many capitalised uses in training */
#define TITLE_RATIO 20  /* ... and this many times those of the written form */
#define CODE_MIN 20     /* a code's Đ is restored from training counts of at least ... */
#define CODE_RATIO 10   /* ... this many times the written form's */
#define PAIR_MIN 3      /* layer_pairs: the document's form of a pair, at least ... */
#define PAIR_RATIO 3    /* ... and this many times the minority's */
#define PAIR_LM_MIN 5   /* ... and known to the model this many times */
#define PAIR_STRONG 10  /* a pair written this often needs no third word (see layer_pairs) */
/* layer_pairs' third sweep, lexicon words: */
#define LEX_GUARD 3 /* the written word follows its other neighbour at most this much more */
#define LEX_RATIO 2 /* the document writes the pair as it is at most this much more */
#define LEX_SEEN 5  /* a word the document does not write: seen in training this often */
#define CACHE_LAMBDA 0.35
#define CACHE_BETA 1.0

enum {
    T_SYL = 1 << 0,     /* letters of the Vietnamese alphabet, <= VBI_SYL_MAX */
    T_VALID = 1 << 1,   /* a valid syllable */
    T_CODE = 1 << 2,    /* code, URL, foreign or transliterated name: never touched */
    T_BREAK = 1 << 3,   /* a sentence starts here */
    T_ABBR = 1 << 4,    /* upper-case word in a mixed-case line */
    T_CAPSLINE = 1 << 5,
    T_CHANGED = 1 << 6, /* write out/repl instead of the text */
    T_REPL = 1 << 7,    /* replacement text in the repl buffer */
    T_DELETE = 1 << 8,  /* removed (doubled syllable) */
    T_JOIN = 1 << 9,    /* joined to the previous word across a page break */
    T_STRIP = 1 << 10,  /* in a paragraph written without marks */
    T_LOWER = 1 << 11,  /* has a lower-case letter */
    T_UPPER = 1 << 12,  /* has an upper-case letter */
    T_LM = 1 << 13,     /* takes part in the decoder */
    T_NUM = 1 << 14,    /* a number: the model's <num>, context only, never changed */
    T_DECODED = 1 << 15 /* changed by the context decoder (the lexicon sweeps may redo it) */
};

enum { K_NONE, K_UNICODE, K_CASE, K_SPELLING, K_STYLE, K_DIACRITIC, K_BREAK };
static const char *const kind_names[] = {"", "unicode", "case", "spelling", "style", "diacritic", "break"};

typedef struct {
    uint32_t off, len; /* bytes in p->text */
    uint32_t line;
    int32_t obs;       /* model id of the written syllable, -1 unknown */
    int32_t p1;        /* what the first pass (no cache) read here: the cache's id */
    uint16_t flags;
    uint8_t ncase, marked; /* of the written syllable (SYL has the rest) */
} tok;

/* What a token becomes when a layer changes it: R->fx[i] for token i, in
   an array of its own, so that the passes over the tokens read only what
   every token has (the pages of tokens nothing changes stay untouched). */
typedef struct {
    vbi_syl out;          /* the new syllable (T_CHANGED) */
    uint8_t kind;         /* K_*, 0 while nothing changed it */
    float conf;
    uint32_t roff, rlen;  /* the replacement in R->repl (T_REPL) */
} tfix;

typedef struct {
    vanban_parser *p;
    const vbi_sylgram *g;
    const vbi_lm *lm;
    tok *t;
    size_t n, cap;
    tfix *fx; /* by token, made after tokenize */
    vbi_buf repl;
    uint32_t *ucount; /* document unigram counts by model id */
    uint64_t *bkey;   /* document bigram hash: key (a+1)<<32|(b+1), 0 empty */
    uint32_t *bval;
    size_t bcap, bn; /* slots (a power of two), entries: grown at half full */
    uint32_t ndoc;
    size_t gaps, joins; /* blank-line gaps; those inside a sentence */
    double margin;
    int32_t num; /* model id of <num>, -1 when the model has none */
    int style;
    bool pass1; /* first pass: no cache, record the reading in tok.p1 */
    struct lat_ent *lat; /* candidate lattices by written context (see candidates) */
    size_t lat_cap, lat_n;
    struct lat_state *lat_pool;
    size_t lat_pool_n, lat_pool_cap;
    double log_keep; /* log(1 - CACHE_LAMBDA) */
    const struct wmemo *wm; /* tokenize's word memo: what each token is */
    uint32_t *wcount; /* by memo entry: tokens of a valid syllable the model never saw */
} rstate;

#define FX(R, x) (&(R)->fx[(x) - (R)->t])

/* ---- tokens --------------------------------------------------------------- */

static bool is_space_cp(int32_t c) { return c == ' ' || c == '\t'; }
/* A letter or a combining mark: vbi_is_letter_cp answered inline for the
   Latin ranges Vietnamese uses (all letters there but × and ÷). */
static inline bool is_word_cp(int32_t c)
{
    if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    if (c >= 0xC0 && c < 0x250) return c != 0xD7 && c != 0xF7;
    if ((c >= 0x300 && c < 0x370) || (c >= 0x1E00 && c < 0x1F00)) return true;
    return vbi_is_letter_cp(c);
}
static bool is_glue_cp(int32_t c)
{
    return (c >= '0' && c <= '9') || c == '/' || c == '@' || c == '_' || c == '\\' || c == '&' ||
           c == '=' || c == '%' || c == '#' || c == '$';
}

/* vbi_utf8_decode, inline: the normalized text is valid UTF-8. */
static inline int32_t utf8_at(const char *s, size_t n, size_t *adv)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *adv = 1;
        return u[0];
    }
    if ((u[0] & 0xE0) == 0xC0 && n >= 2) {
        *adv = 2;
        return (u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    }
    if ((u[0] & 0xF0) == 0xE0 && n >= 3) {
        *adv = 3;
        return (u[0] & 0x0F) << 12 | (u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    }
    return vbi_utf8_decode(s, n, adv);
}

static int push_tok(rstate *R, const tok *x)
{
    if (R->n == R->cap) {
        size_t cap = R->cap ? R->cap * 2 : 1024;
        tok *t = realloc(R->t, cap * sizeof *t);
        if (!t) return VANBAN_ENOMEM;
        R->t = t;
        R->cap = cap;
    }
    R->t[R->n++] = *x;
    return 0;
}

/* ---- word memo ---------------------------------------------------------------
   What a word is (its letters decoded, valid or not, where its tone belongs)
   depends on its bytes alone, so each distinct word is judged once per call:
   an open-addressing table from the bytes to the answer.  tid[i] is the
   entry of token i (the structure and style layers read it). */

#define MEMO_MAXLEN 64 /* longer words are judged each time (none is a syllable) */
#define MEMO_NONE UINT32_MAX

typedef struct {
    uint64_t k0, k1; /* the bytes of a word of up to 16 bytes (word_key) */
    uint32_t off;    /* the word's bytes in p->text (first occurrence) */
    uint32_t hash;
    uint8_t len;    /* bytes */
    uint16_t flags; /* T_SYL | T_VALID | T_LOWER | T_UPPER */
    int8_t tp, mp;  /* tone positions, traditional and modern (valid and toned), else -1 */
    int8_t style;   /* vbi_syl_style of a valid syllable, else -1 */
    int32_t obs;    /* model id of a valid syllable, else -1 */
    vbi_syl syl;    /* as vbi_syl_decode leaves it */
} wentry;

typedef struct wmemo {
    wentry *e;      /* entries, by id */
    size_t n, ecap;
    uint32_t *slot; /* open addressing: id + 1, 0 = empty */
    size_t cap;     /* slots, a power of two */
    uint32_t *tid;  /* per token: entry id or MEMO_NONE */
    size_t tcap;
    /* chunks of plain lines (scan_plain): the words of a chunk that can
       change, judged once per distinct chunk */
    struct ctable {
        struct chunk *c;       /* open addressing, at most half full; len 0: empty */
        struct chunk_more *cm; /* by slot */
        size_t cn, ccap;
    } ct[2]; /* CT_LEAN: scan_plain's words that can change; CT_ALL: every token */
    struct cword *cw;
    size_t cwn, cwcap;
} wmemo;

/* A word of a chunk (CT_LEAN: one that can change; CT_ALL: any token):
   where, what tokenize makes of it. */
typedef struct cword {
    uint16_t off, len;
    uint16_t flags;  /* as in a line that is not all capitals; CT_ALL: T_NUM a
                        number, T_BREAK a sign before it in the chunk */
    uint32_t wid;    /* its word memo entry */
} cword;

enum { CT_LEAN = 0, CT_ALL = 1 };
/* chunk.bits (CT_ALL): a sign after its last token; it ends with a letter */
enum { CH_TAIL = 1, CH_ENDWORD = 2 };

typedef struct chunk { /* 16 bytes, so that the table the scan looks at stays small */
    uint64_t k0;      /* chunk_key of the bytes (the first 8 of a longer chunk) */
    uint32_t first;   /* its words: cw[first, first + count) */
    uint16_t count;
    uint8_t len;      /* bytes; 0: an empty slot */
    uint8_t bits;     /* CH_* */
} chunk;

/* What a chunk of more than 8 bytes needs besides (slot by slot). */
typedef struct chunk_more {
    uint64_t k1;  /* chunk_key: the last 8 bytes */
    uint32_t off; /* the bytes in p->text (compared whole when more than 16) */
} chunk_more;

/* The written syllable of token x, from the word memo (all zero for a
   number or a word too long to be a syllable). */
static const vbi_syl no_syl;

static inline const vbi_syl *tok_syl(const rstate *R, const tok *x)
{
    uint32_t id = R->wm->tid[x - R->t];
    return id == MEMO_NONE ? &no_syl : &R->wm->e[id].syl;
}

#define SYL(R, x) tok_syl(R, x)

static void memo_free(wmemo *m)
{
    free(m->e);
    free(m->slot);
    free(m->tid);
    for (int k = 0; k < 2; k++) {
        free(m->ct[k].c);
        free(m->ct[k].cm);
    }
    free(m->cw);
}

/* Two loads that cover a word of up to 16 bytes (overlapping): with the
   length they tell the bytes; longer words are compared whole. */
static inline void word_key(const char *s, size_t n, uint64_t *k0, uint64_t *k1)
{
    uint32_t a, b;
    if (n >= 8) {
        memcpy(k0, s, 8);
        memcpy(k1, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        *k0 = a;
        *k1 = b;
    } else {
        *k0 = (unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8;
        *k1 = (unsigned char)s[n - 1];
    }
}

static inline uint32_t word_hash(const char *s, size_t n, uint64_t k0, uint64_t k1)
{
    uint64_t h = (k0 * 0x9E3779B97F4A7C15ull) ^ (k1 + n) * 0xC2B2AE3D27D4EB4Full;
    for (size_t i = 16; i < n; i += 8) { /* the middle of a longer word */
        uint64_t x = 0;
        memcpy(&x, s + i - 8, n - i < 8 ? n - i : 8);
        h = (h ^ x) * 0x9E3779B97F4A7C15ull;
    }
    return (uint32_t)(h >> 32);
}

/* Room for one more entry (the table stays at most half full). */
static int memo_grow(wmemo *m)
{
    if (m->n == m->ecap) {
        size_t ecap = m->ecap ? m->ecap * 2 : 1024;
        wentry *e = realloc(m->e, ecap * sizeof *e);
        if (!e) return VANBAN_ENOMEM;
        m->e = e;
        m->ecap = ecap;
    }
    if ((m->n + 1) * 2 <= m->cap) return 0;
    size_t cap = m->cap ? m->cap * 2 : 4096;
    uint32_t *sl = calloc(cap, sizeof *sl);
    if (!sl) return VANBAN_ENOMEM;
    for (size_t id = 0; id < m->n; id++) {
        size_t h = m->e[id].hash & (cap - 1);
        while (sl[h]) h = (h + 1) & (cap - 1);
        sl[h] = (uint32_t)id + 1;
    }
    free(m->slot);
    m->slot = sl;
    m->cap = cap;
    return 0;
}

/* Judge the word s[0, n) (nc code points) as tokenize always did. */
/* Model id of a syllable (its lower-case traditional key), -1 if unknown. */
static int32_t key_id(const rstate *R, const vbi_syl *s)
{
    char key[4 * VBI_SYL_MAX + 1];
    size_t kl = vbi_syl_key(R->g, s, key);
    return vbi_lm_id(R->lm, key, kl);
}

static void judge(const rstate *R, const char *s, size_t n, wentry *e)
{
    int32_t cps[VBI_SYL_MAX + 1];
    size_t nc = 0;
    memset(&e->syl, 0, sizeof e->syl);
    e->flags = 0;
    for (size_t j = 0; j < n;) {
        size_t adv;
        int32_t c = utf8_at(s + j, n - j, &adv);
        if (nc <= VBI_SYL_MAX) cps[nc] = c;
        nc++;
        if (vbi_is_lower_cp(c)) e->flags |= T_LOWER;
        else if (vbi_is_letter_cp(c)) e->flags |= T_UPPER;
        j += adv;
    }
    if (nc <= VBI_SYL_MAX && vbi_syl_decode(R->g, cps, nc, &e->syl) == 0) {
        e->flags |= T_SYL;
        if (vbi_syl_valid(R->g, &e->syl)) e->flags |= T_VALID;
    }
    bool v = e->flags & T_VALID;
    e->tp = (int8_t)(v && e->syl.tone ? vbi_syl_tone_pos(R->g, &e->syl, VBI_STYLE_TRADITIONAL) : -1);
    e->mp = (int8_t)(v && e->syl.tone ? vbi_syl_tone_pos(R->g, &e->syl, VBI_STYLE_MODERN) : -1);
    e->style = (int8_t)(v ? vbi_syl_style(R->g, &e->syl) : -1);
    e->obs = v && R->lm ? key_id(R, &e->syl) : -1;
}

/* The entry of the word at text offset off (n bytes), made on first sight;
   MEMO_NONE for a long word (then *tmp holds the answer). */
static inline int memo_get(const rstate *R, wmemo *m, uint32_t off, size_t n, wentry *tmp,
                           uint32_t *out)
{
    const char *s = R->p->text.p + off;
    if (n > MEMO_MAXLEN) {
        judge(R, s, n, tmp);
        *out = MEMO_NONE;
        return 0;
    }
    if (memo_grow(m)) return VANBAN_ENOMEM;
    uint64_t k0, k1;
    word_key(s, n, &k0, &k1);
    uint32_t h = word_hash(s, n, k0, k1);
    size_t k = h & (m->cap - 1);
    const char *t = R->p->text.p;
    for (; m->slot[k]; k = (k + 1) & (m->cap - 1)) {
        const wentry *e = &m->e[m->slot[k] - 1];
        if (e->hash == h && e->len == n && e->k0 == k0 && e->k1 == k1 &&
            (n <= 16 || !memcmp(t + e->off, s, n))) {
            *out = m->slot[k] - 1;
            return 0;
        }
    }
    wentry *e = &m->e[m->n];
    e->k0 = k0;
    e->k1 = k1;
    e->hash = h;
    e->off = off;
    e->len = (uint8_t)n;
    judge(R, s, n, e);
    m->slot[k] = (uint32_t)m->n + 1;
    *out = (uint32_t)m->n++;
    return 0;
}

/* T_CODE and T_ABBR of word x (nc code points) from the characters around
   it: ppc, pc before it, next, next2 after it; url: its space-delimited
   chunk is a URL or an e-mail address. */
static uint16_t code_flags(bool url, int32_t ppc, int32_t pc, int32_t next, int32_t next2,
                           const tok *x, size_t nc)
{
    uint16_t f = 0;
    /* "và/hoặc", "CÔNG BÁO/Số": a slash between two words is glue
       only for a word that is not a syllable ("QĐ/UBND") */
    bool digit_l = pc == '/' && ppc >= '0' && ppc <= '9';
    bool digit_r = next == '/' && next2 >= '0' && next2 <= '9';
    bool slash_l = pc == '/' && (is_word_cp(ppc) || digit_l);
    bool slash_r = next == '/' && (is_word_cp(next2) || digit_r);
    bool slash = false;
    if (url || (is_glue_cp(pc) && !slash_l) || (is_glue_cp(next) && !slash_r) ||
        (pc == '.' && is_word_cp(ppc)) || (next == '.' && is_word_cp(next2)))
        f |= T_CODE;
    else if (slash_l || slash_r)
        slash = true;
    if (slash && (!(x->flags & T_VALID) || nc < 2 ||
                  ((digit_l || digit_r) && !(x->flags & T_LOWER))))
        f |= T_CODE; /* 15/2024/NĐ-CP, 12/PA */
    if ((x->flags & T_UPPER) && (x->flags & T_LOWER) &&
        !((x->flags & T_SYL) && x->ncase == VBI_CASE_TITLE))
        f |= T_CODE; /* TgNc, iPhone */
    if ((x->flags & T_UPPER) && !(x->flags & T_LOWER) && !(x->flags & T_CAPSLINE) && nc >= 2)
        f |= T_ABBR;
    return f;
}

/* Is the space-delimited chunk s[a, e) a URL or an e-mail address? */
static bool url_chunk(const char *s, size_t a, size_t e)
{
    for (size_t k = a; k < e; k++)
        if (s[k] == '@' || (s[k] == ':' && k + 2 < e && s[k + 1] == '/') ||
            (s[k] == 'w' && k + 4 <= e && s[k + 1] == 'w' && s[k + 2] == 'w' && s[k + 3] == '.'))
            return true;
    return false;
}

static int push_tid(wmemo *m, size_t i, uint32_t id)
{
    if (i == m->tcap) {
        size_t cap = m->tcap ? m->tcap * 2 : 1024;
        uint32_t *t = realloc(m->tid, cap * sizeof *t);
        if (!t) return VANBAN_ENOMEM;
        m->tid = t;
        m->tcap = cap;
    }
    m->tid[i] = id;
    return 0;
}

static int cw_push(wmemo *m, cword w)
{
    if (m->cwn == m->cwcap) {
        size_t cap = m->cwcap ? m->cwcap * 2 : 256;
        cword *nw = realloc(m->cw, cap * sizeof *nw);
        if (!nw) return VANBAN_ENOMEM;
        m->cw = nw;
        m->cwcap = cap;
    }
    m->cw[m->cwn++] = w;
    return 0;
}

/* Every token of the chunk s[0, n) at text offset off (no space or tab in
   it), as tokenize's loop reads it (see there): what a token is depends
   only on the chunk's bytes, since the character before a chunk is a
   space, which no test tells from another, and the one after too.  What
   depends on the line or on the chunks before (a new sentence, a page
   break, a line in capitals) is added when the tokens are pushed. */
static int chunk_tokens(const rstate *R, wmemo *m, uint32_t off, size_t n, uint16_t *count,
                        uint8_t *bits)
{
    const char *s = R->p->text.p + off;
    bool url = url_chunk(s, 0, n), sign = false;
    int32_t pc = ' ', ppc = ' ';
    size_t first = m->cwn, chain_start = 0, i = 0;
    *count = 0;
    while (i < n) {
        size_t adv;
        int32_t c = utf8_at(s + i, n - i, &adv);
        if (c >= '0' && c <= '9' && R->num >= 0 && !is_word_cp(pc) && !(pc >= '0' && pc <= '9')) {
            size_t j = i;
            while (j < n && ((s[j] >= '0' && s[j] <= '9') ||
                             ((s[j] == '.' || s[j] == ',' || s[j] == '/') && j > i && j + 1 < n &&
                              s[j + 1] >= '0' && s[j + 1] <= '9')))
                j++;
            size_t a2;
            if (j >= n || !is_word_cp(vbi_utf8_decode(s + j, n - j, &a2))) {
                if (cw_push(m, (cword){(uint16_t)i, (uint16_t)(j - i),
                                       (uint16_t)(T_NUM | (sign ? T_BREAK : 0)), MEMO_NONE}))
                    return VANBAN_ENOMEM;
                (*count)++;
                sign = false;
                ppc = j - i >= 2 ? (unsigned char)s[j - 2] : pc;
                pc = (unsigned char)s[j - 1];
                i = j;
                continue;
            }
        }
        if (!is_word_cp(c) || (c >= 0x300 && c < 0x370)) {
            if (!is_space_cp(c)) sign = true;
            ppc = pc;
            pc = c;
            i += adv;
            continue;
        }
        size_t nc = 0, j = i;
        int32_t c2 = c, lastc = c;
        while (j < n) {
            c2 = utf8_at(s + j, n - j, &adv);
            if (!is_word_cp(c2)) break;
            if (nc < VBI_SYL_MAX) lastc = c2;
            nc++;
            j += adv;
        }
        wentry tmp;
        uint32_t id;
        if (memo_get(R, m, off + (uint32_t)i, j - i, &tmp, &id)) return VANBAN_ENOMEM;
        const wentry *we = id == MEMO_NONE ? &tmp : &m->e[id];
        tok x;
        memset(&x, 0, sizeof x);
        x.flags = we->flags;
        x.ncase = we->syl.ncase;
        int32_t next = j < n ? c2 : ' ', next2 = ' ';
        if (j < n && j + adv < n) next2 = utf8_at(s + j + adv, n - j - adv, &adv);
        x.flags |= code_flags(url, ppc, pc, next, next2, &x, nc);
        /* hyphen chains: U-li-a-nốp, Ót-xtrây-li-a (a capital first: codes) */
        bool in_chain = pc == '-' && is_word_cp(ppc);
        if (!in_chain) chain_start = m->cwn;
        if (cw_push(m, (cword){(uint16_t)i, (uint16_t)(j - i),
                               (uint16_t)(x.flags | (sign ? T_BREAK : 0)), id}))
            return VANBAN_ENOMEM;
        (*count)++;
        if (in_chain && (m->cw[chain_start].flags & T_UPPER))
            for (size_t k = chain_start; k < m->cwn; k++) m->cw[k].flags |= T_CODE;
        sign = false;
        ppc = c;
        pc = lastc;
        i = j;
    }
    (void)first;
    *bits = (uint8_t)((sign ? CH_TAIL : 0) | (is_word_cp(pc) ? CH_ENDWORD : 0));
    return 0;
}

/* The words of the chunk at text offset off (n bytes) that the structure
   and style layers may change (a valid syllable whose tone could sit
   elsewhere), as tokenize reads them: chunk_tokens' tokens, the others
   dropped (flags as in a line that is not all capitals, no sentence
   marks: scan_plain's layers read none). */
static int chunk_words(const rstate *R, wmemo *m, uint32_t off, size_t n, uint16_t *count)
{
    size_t first = m->cwn, o = first;
    uint16_t all;
    uint8_t bits;
    if (chunk_tokens(R, m, off, n, &all, &bits)) return VANBAN_ENOMEM;
    for (size_t k = first; k < first + all; k++) {
        cword w = m->cw[k];
        if (w.wid == MEMO_NONE) continue; /* a number, or too long for a syllable */
        const wentry *e = &m->e[w.wid];
        if (!(e->flags & T_VALID) || !e->syl.tone || e->tp < 0 ||
            (e->tp == e->mp && e->syl.tpos == e->tp))
            continue;
        w.flags &= (uint16_t)~T_BREAK;
        m->cw[o++] = w;
    }
    m->cwn = o;
    *count = (uint16_t)(o - first);
    return 0;
}

#define CHUNK_MAXLEN 64 /* longer chunks are judged each time */

/* The bytes of a chunk of up to 16 bytes as two words, so that with its
   length they tell them: up to 8 in k0 (zero-padded), more in overlapping
   loads of the first and the last 8.  A longer chunk is compared whole. */
static inline void chunk_key(const char *s, size_t n, bool slack, uint64_t *k0, uint64_t *k1)
{
    *k1 = 0;
    if (n <= 8) {
        if (slack) { /* 8 bytes readable: one load */
            memcpy(k0, s, 8);
            *k0 &= ~0ull >> (64 - 8 * n);
        } else {
            *k0 = 0;
            memcpy(k0, s, n);
        }
        return;
    }
    memcpy(k0, s, 8);
    memcpy(k1, s + n - 8, 8);
}

static inline size_t chunk_slot(uint64_t k0, uint64_t k1, size_t n, size_t cap)
{
    uint64_t h = (k0 ^ (k1 * 0xC2B2AE3D27D4EB4Full) ^ n) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 40) & (cap - 1);
}

static int chunk_grow(struct ctable *t)
{
    size_t cap = t->ccap ? t->ccap * 2 : 4096;
    chunk *c = calloc(cap, sizeof *c);
    chunk_more *cm = malloc(cap * sizeof *cm);
    if (!c || !cm) {
        free(c);
        free(cm);
        return VANBAN_ENOMEM;
    }
    for (size_t q = 0; q < t->ccap; q++) {
        const chunk *o = &t->c[q];
        if (!o->len) continue;
        uint64_t k1 = o->len > 8 ? t->cm[q].k1 : 0;
        size_t k = chunk_slot(o->k0, k1, o->len, cap);
        while (c[k].len) k = (k + 1) & (cap - 1);
        c[k] = *o;
        cm[k] = t->cm[q];
    }
    free(t->c);
    free(t->cm);
    t->c = c;
    t->cm = cm;
    t->ccap = cap;
    return 0;
}

/* The words of the chunk at text offset off (n bytes): table CT_LEAN
   those that can change (chunk_words), CT_ALL every token (chunk_tokens,
   *bits its CH_*): m->cw[*first, *first + *count), judged on first sight. */
static inline int chunk_get(const rstate *R, wmemo *m, int which, uint32_t off, size_t n,
                            uint32_t *first, uint16_t *count, uint8_t *bits)
{
    const char *s = R->p->text.p + off;
    struct ctable *t = &m->ct[which];
    *bits = 0;
    if (n > CHUNK_MAXLEN) {
        *first = (uint32_t)m->cwn;
        return which == CT_ALL ? chunk_tokens(R, m, off, n, count, bits)
                               : chunk_words(R, m, off, n, count);
    }
    if ((t->cn + 1) * 2 > t->ccap && chunk_grow(t)) return VANBAN_ENOMEM;
    uint64_t k0, k1;
    chunk_key(s, n, off + 8 <= R->p->text.cap, &k0, &k1);
    size_t k = chunk_slot(k0, k1, n, t->ccap);
    for (;; k = (k + 1) & (t->ccap - 1)) {
        chunk *c = &t->c[k];
        if (!c->len) break;
        if (c->k0 == k0 && c->len == n &&
            (n <= 8 || (t->cm[k].k1 == k1 &&
                        (n <= 16 || !memcmp(R->p->text.p + t->cm[k].off, s, n))))) {
            *first = c->first;
            *count = c->count;
            *bits = c->bits;
            return 0;
        }
    }
    uint32_t f = (uint32_t)m->cwn;
    uint16_t cnt;
    if (which == CT_ALL ? chunk_tokens(R, m, off, n, &cnt, bits) : chunk_words(R, m, off, n, &cnt))
        return VANBAN_ENOMEM;
    chunk *c = &t->c[k];
    c->k0 = k0;
    c->len = (uint8_t)n;
    c->first = f;
    c->count = cnt;
    c->bits = *bits;
    t->cm[k].k1 = k1;
    t->cm[k].off = off;
    t->cn++;
    *first = f;
    *count = cnt;
    return 0;
}

static inline size_t ctz64(uint64_t x)
{
#if defined(__GNUC__)
    return (size_t)__builtin_ctzll(x);
#else
    size_t k = 0;
    for (; !(x & 1); x >>= 1) k++;
    return k;
#endif
}

static inline size_t clz64(uint64_t x)
{
#if defined(__GNUC__)
    return (size_t)__builtin_clzll(x);
#else
    size_t k = 0;
    for (; !(x & 0x8000000000000000ull); x <<= 1) k++;
    return k;
#endif
}

/* What scan_plain needs to know of 64 bytes of a line, s[b, b + 64), bit k
   for byte b + k (only bytes of the line, b + k < n: the others 0).  A
   word's tone can sit elsewhere, or on the wrong vowel, only when it has
   two vowels side by side ("hoà", "của", "lựơng"): in a plain line
   (normalize's VBI_L_PLAIN: NFC, no combining mark) a toned vowel is a
   character led by C3, C4, C5 (à, ĩ, ũ...) or E1 (ạ..ỹ), and a vowel
   beside it is an ASCII vowel or another multi-byte character.  So:
   lead2 (C3..C5) and lead3 (E1); prev, a byte that may end a vowel (an
   ASCII vowel, a continuation byte); next, a byte that may start one (an
   ASCII vowel, a byte from C3).  Supersets all: a chunk they let through
   that has no such word gives no word (chunk_words). */
typedef struct {
    uint64_t sp, lead2, lead3, prev, next;
} blockbits;

#define BLOCK 64

static inline void block_bits(const unsigned char *s, size_t b, size_t n, size_t readable,
                              blockbits *o)
{
    uint64_t keep = b >= n ? 0 : n - b >= BLOCK ? ~0ull : (1ull << (n - b)) - 1;
    memset(o, 0, sizeof *o);
    if (!keep) return;
#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
    if (b + BLOCK <= readable) {
        for (size_t q = 0; q < BLOCK; q += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(s + b + q)), zero = _mm_setzero_si128();
            __m128i x20 = _mm_or_si128(x, _mm_set1_epi8(0x20));
            __m128i v = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x20, _mm_set1_epi8('a')),
                                                  _mm_cmpeq_epi8(x20, _mm_set1_epi8('e'))),
                                     _mm_or_si128(_mm_cmpeq_epi8(x20, _mm_set1_epi8('i')),
                                                  _mm_cmpeq_epi8(x20, _mm_set1_epi8('o'))));
            v = _mm_or_si128(v, _mm_or_si128(_mm_cmpeq_epi8(x20, _mm_set1_epi8('u')),
                                             _mm_cmpeq_epi8(x20, _mm_set1_epi8('y'))));
            /* signed bytes: 80..BF below C0; C3 and up above C2 and below 0 */
            __m128i cont = _mm_cmplt_epi8(x, _mm_set1_epi8((char)0xC0));
            __m128i c3 = _mm_cmpgt_epi8(x, _mm_set1_epi8((char)0xC2));
            __m128i from_c3 = _mm_and_si128(c3, _mm_cmplt_epi8(x, zero));
            __m128i l2 = _mm_and_si128(c3, _mm_cmplt_epi8(x, _mm_set1_epi8((char)0xC6)));
            o->sp |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')))
                     << q;
            o->lead2 |= (uint64_t)(uint16_t)_mm_movemask_epi8(l2) << q;
            o->lead3 |=
                (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xE1)))
                << q;
            o->prev |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(v, cont)) << q;
            o->next |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(v, from_c3)) << q;
        }
        o->sp &= keep;
        o->lead2 &= keep;
        o->lead3 &= keep;
        o->prev &= keep;
        o->next &= keep;
        return;
    }
#endif
    (void)readable;
    for (size_t k = 0; k < BLOCK && b + k < n; k++) {
        unsigned c = s[b + k], l = c | 0x20;
        bool v = l == 'a' || l == 'e' || l == 'i' || l == 'o' || l == 'u' || l == 'y';
        o->sp |= (uint64_t)(c == ' ') << k;
        o->lead2 |= (uint64_t)(c - 0xC3 <= 2) << k;
        o->lead3 |= (uint64_t)(c == 0xE1) << k;
        o->prev |= (uint64_t)(v || (c >= 0x80 && c < 0xC0)) << k;
        o->next |= (uint64_t)(v || c >= 0xC3) << k;
    }
}

/* Push the word w of the chunk at line offset a as a token. */
static int push_word(rstate *R, wmemo *m, size_t li, size_t a, const cword *w)
{
    const vbi_line *l = &R->p->lines[li];
    tok x;
    memset(&x, 0, sizeof x);
    x.off = (uint32_t)(l->off + a + w->off);
    x.len = w->len;
    x.line = (uint32_t)li;
    x.obs = -1;
    x.flags = w->flags;
    if (l->flags & VBI_L_CAPS) x.flags = (uint16_t)((x.flags | T_CAPSLINE) & ~T_ABBR);
    if (w->wid != MEMO_NONE) { /* a long word has no syllable: left zero */
        x.ncase = m->e[w->wid].syl.ncase;
        x.marked = m->e[w->wid].syl.marked;
    }
    return push_tid(m, R->n, w->wid) || push_tok(R, &x) ? VANBAN_ENOMEM : 0;
}

/* tokenize() for a VBI_L_PLAIN line when only the structure and style
   layers run on a text-only result (no context layers, nothing built from
   the tokens but corrections): only the words that can change become
   tokens (chunk_words), with the flags tokenize gives them but for the
   ones the sentence and page-break layers read (T_BREAK, T_JOIN): those
   layers do not run. */
static int scan_plain(rstate *R, wmemo *m, size_t li)
{
    const vbi_line *l = &R->p->lines[li];
    const unsigned char *s = (const unsigned char *)R->p->text.p + l->off;
    size_t n = l->len, last_sp = SIZE_MAX; /* the last space before the block */
    size_t readable = R->p->text.cap - l->off;
    uint64_t carry = 0;    /* the chunk that goes on into the block has a toned byte */
    uint64_t prev_end = 0; /* the byte before the block may end a vowel */
    blockbits cur, nxt;
    block_bits(s, 0, n, readable, &cur);
    for (size_t blk = 0; blk <= n; blk += BLOCK) {
        block_bits(s, blk + BLOCK, n, readable, &nxt);
        /* toned vowels with a vowel before or after them (see block_bits):
           the character after a lead starts 2 or 3 bytes on */
        uint64_t sp = cur.sp;
        uint64_t tb = (cur.lead2 & (cur.next >> 2 | nxt.next << (BLOCK - 2))) |
                      (cur.lead3 & (cur.next >> 3 | nxt.next << (BLOCK - 3))) |
                      ((cur.lead2 | cur.lead3) & (cur.prev << 1 | prev_end));
        prev_end = cur.prev >> (BLOCK - 1);
        cur = nxt;
        uint64_t in = ~0ull, end = 0; /* bytes of the line; the end, which ends the last chunk */
        if (blk + BLOCK > n) {
            in = (1ull << (n - blk)) - 1;
            end = 1ull << (n - blk);
        }
        /* the spaces that end a chunk with a toned byte: adding a toned bit
           to the run of non-space bits it lies in carries into the space
           after the run (carry: from the block before, and into the next) */
        uint64_t z = ~sp & in, sum = z + tb, sum2 = sum + carry;
        uint64_t ends = sum2 & (sp | end);
        carry = (uint64_t)(sum < z) | (uint64_t)(sum2 < sum);
        sp |= end;
        for (; ends; ends &= ends - 1) {
            size_t e = blk + ctz64(ends), a;
            uint64_t before = sp & ((1ull << (e - blk)) - 1);
            a = before ? blk + 64 - clz64(before) : last_sp + 1; /* after the space before */
            uint32_t first;
            uint16_t count;
            uint8_t bits;
            if (chunk_get(R, m, CT_LEAN, (uint32_t)(l->off + a), e - a, &first, &count, &bits))
                return VANBAN_ENOMEM;
            for (uint16_t q = 0; q < count; q++)
                if (push_word(R, m, li, a, &m->cw[first + q])) return VANBAN_ENOMEM;
            if (e - a > CHUNK_MAXLEN) m->cwn = first; /* a chunk not kept */
        }
        if (sp) last_sp = blk + 63 - clz64(sp);
    }
    return 0;
}

/* Is the line "---"? */
static bool rule_line(const vanban_parser *p, const vbi_line *l)
{
    return l->len == 3 && !memcmp(p->text.p + l->off, "---", 3);
}

/* A line of YAML front matter: "key: value" (a key without spaces),
   "  - item", an indented continuation, or blank. */
static bool yaml_line(const vanban_parser *p, const vbi_line *l)
{
    const char *s = p->text.p + l->off;
    size_t n = l->len, k = 0;
    if (n == 0 || s[0] == ' ' || s[0] == '-') return true;
    while (k < n && s[k] != ':' && s[k] != ' ' && s[k] != '\t') k++; /* the key ("nhóm") */
    return k > 0 && k < n && s[k] == ':';
}

/* Is token x of a front matter line an identifier: part of the key
   ("phuong-phap-so-hoa:") or of a slug ("can-bo-cong-chuc", "trang_thai"),
   a word glued to a hyphen or an underscore? */
static bool yaml_ident(const vanban_parser *p, const tok *x)
{
    const vbi_line *l = &p->lines[x->line];
    const char *s = p->text.p;
    size_t a = x->off, e = (size_t)x->off + x->len, ls = l->off, le = (size_t)l->off + l->len;
    if ((a > ls && (s[a - 1] == '-' || s[a - 1] == '_')) ||
        (e < le && (s[e] == '-' || s[e] == '_')))
        return true;
    if (s[ls] == ' ' || s[ls] == '-') return false; /* a list item or a continuation */
    const char *colon = memchr(s + ls, ':', l->len);
    return colon && (size_t)(colon - s) >= e; /* before the key's colon */
}

/* The first line after a YAML front matter block at the start of the text
   ("---", then "key: value" lines, then "---", within FM_MAX_LINES), or 0.
   Its keys and slugs are identifiers written without marks ("group:
   can-bo-cong-chuc"), not Vietnamese typed without them: they are codes
   (yaml_ident, T_CODE), never touched and no evidence.  Its titles and
   descriptions are text like any other, and evidence ("ổn định"). */
#define FM_MAX_LINES 200
static size_t front_matter_end(const vanban_parser *p)
{
    if (p->nlines < 2 || !rule_line(p, &p->lines[0])) return 0;
    for (size_t li = 1; li < p->nlines && li <= FM_MAX_LINES; li++) {
        if (rule_line(p, &p->lines[li])) return li + 1;
        if (!yaml_line(p, &p->lines[li])) return 0;
    }
    return 0;
}

/* Cut the lines into words and mark what each word is. */
/* Does the line open a lettered item ("a) ...", "đ. ...", "aa) ...")?  Such
   a line is never the rest of a sentence cut by a page break: the heading
   above it ends where it stands. */
static bool list_item(const char *s, size_t n)
{
    size_t i = 0, k = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    while (i < n && k < 2) {
        if (s[i] >= 'a' && s[i] <= 'z') i++;
        else if (i + 1 < n && (unsigned char)s[i] == 0xC4 && (unsigned char)s[i + 1] == 0x91)
            i += 2; /* đ */
        else break;
        k++;
    }
    return k > 0 && i < n && (s[i] == ')' || s[i] == '.') && (i + 1 == n || s[i + 1] == ' ');
}

static int tokenize(rstate *R, wmemo *m)
{
    vanban_parser *p = R->p;
    bool brk = true, blank = false, trail = false;
    size_t prev_line_tok = SIZE_MAX; /* last token of the previous non-blank line */
    uint32_t prev_line_len = 0;
    /* text-only and no context: see scan_plain */
    bool lean = (p->opt.flags & (VANBAN_OPT_TEXT_ONLY | VANBAN_OPT_NO_CONTEXT)) ==
                (VANBAN_OPT_TEXT_ONLY | VANBAN_OPT_NO_CONTEXT);
    for (size_t li = 0; li < p->nlines; li++) {
        const vbi_line *l = &p->lines[li];
        if (l->flags & VBI_L_BLANK) {
            blank = true;
            continue;
        }
        if (lean && (l->flags & VBI_L_PLAIN)) {
            if (scan_plain(R, m, li)) return VANBAN_ENOMEM;
            blank = false;
            continue;
        }
        const char *s = p->text.p + l->off;
        size_t n = l->len, i = 0;
        bool first = true, lead = false, caps = l->flags & VBI_L_CAPS;
        uint8_t bits = 0;
        if (l->flags & VBI_L_CELL) brk = true;
        /* chunk by chunk (runs without space or tab), each read once per
           distinct chunk (chunk_tokens) */
        while (i < n) {
            if (s[i] == ' ' || s[i] == '\t') {
                i++;
                continue;
            }
            size_t e = i;
            while (e < n && s[e] != ' ' && s[e] != '\t') e++;
            uint32_t cf;
            uint16_t count;
            if (chunk_get(R, m, CT_ALL, (uint32_t)(l->off + i), e - i, &cf, &count, &bits))
                return VANBAN_ENOMEM;
            for (uint16_t q = 0; q < count; q++) {
                const cword *w = &m->cw[cf + q];
                if (w->flags & T_BREAK) { /* a sign before it: a new sentence */
                    brk = true;
                    if (first) lead = true;
                }
                tok x;
                memset(&x, 0, sizeof x);
                x.off = (uint32_t)(l->off + i + w->off);
                x.len = w->len;
                x.line = (uint32_t)li;
                if (w->flags & T_NUM) {
                    /* a number not glued to a letter ("năm 2024", "15/3/2024")
                       is context for the model (<num>), as in vanban-train */
                    x.obs = R->num;
                    x.flags = T_NUM;
                    if (first) lead = true; /* "1. ..." starts the line: a new sentence after it */
                    if (brk || first) x.flags |= T_BREAK;
                    if (push_tid(m, R->n, MEMO_NONE) || push_tok(R, &x)) return VANBAN_ENOMEM;
                    brk = false;
                    continue;
                }
                x.obs = -1;
                x.flags = (uint16_t)(w->flags & ~T_BREAK);
                if (w->wid != MEMO_NONE) {
                    x.ncase = m->e[w->wid].syl.ncase;
                    x.marked = m->e[w->wid].syl.marked;
                }
                if (first) {
                    if (blank) R->gaps++;
                    /* a new line: does the sentence go on from the previous line? */
                    if (blank || lead || trail || li == 0 || prev_line_tok == SIZE_MAX) brk = true;
                    if (blank && !lead && !trail && prev_line_tok != SIZE_MAX && prev_line_len >= 50 &&
                        (x.flags & T_LOWER) && !(x.flags & T_UPPER) && !(l->flags & VBI_L_CELL) &&
                        !list_item(s, n) &&
                        (R->t[prev_line_tok].flags & T_LOWER) &&
                        !(R->t[prev_line_tok].flags & (T_UPPER | T_CODE))) {
                        x.flags |= T_JOIN; /* a page break inside a sentence */
                        R->joins++;
                        brk = false;
                    }
                }
                if (brk) x.flags |= T_BREAK;
                if (caps) x.flags = (uint16_t)((x.flags | T_CAPSLINE) & ~T_ABBR);
                if (push_tid(m, R->n, w->wid) || push_tok(R, &x)) return VANBAN_ENOMEM;
                brk = false;
                first = false;
                lead = false;
                blank = false;
            }
            if (bits & CH_TAIL) {
                brk = true;
                if (first) lead = true;
            }
            if (e - i > CHUNK_MAXLEN) m->cwn = cf; /* a chunk not kept */
            i = e;
        }
        if (!first) {
            prev_line_tok = R->n - 1;
            prev_line_len = l->len;
            /* anything but a letter at the end of the line ends the sentence */
            trail = s[n - 1] == ' ' || s[n - 1] == '\t' || !(bits & CH_ENDWORD);
            blank = false;
        }
    }
    for (size_t i = 0; i < R->n + 2; i++) {
        /* a word in capitals is no abbreviation: token i - 2 is no longer
           looked at below (the loop reads a word's two neighbours) */
        if (i >= 2 && (R->t[i - 2].flags & T_CAPSLINE)) R->t[i - 2].flags &= (uint16_t)~T_ABBR;
        if (i >= R->n) continue;
        tok *x = &R->t[i];
        if (!(x->flags & T_ABBR) || !(x->flags & T_SYL) || !((x->flags & T_VALID) || x->marked))
            continue;
        for (int d = -1; d <= 1; d += 2) {
            size_t j = i + (size_t)d;
            if ((d < 0 && i == 0) || j >= R->n) continue;
            tok *y = &R->t[j];
            if (y->line == x->line && (y->flags & T_ABBR) && (y->flags & T_SYL) && SYL(R, y)->n >= 2 &&
                ((y->flags & T_VALID) || y->marked) && SYL(R, x)->n >= 2) {
                x->flags |= T_CAPSLINE;
                break;
            }
        }
    }
    if (R->joins * 4 > R->gaps) /* blank lines between all lines: layout, not page breaks */
        for (size_t i = 0; i < R->n; i++)
            if (R->t[i].flags & T_JOIN) R->t[i].flags = (uint16_t)((R->t[i].flags & ~T_JOIN) | T_BREAK);
    return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static bool plain(char c) { return c >= 'a' && c <= 'z'; }

/* Cost of reading candidate c where o was written (same skeleton). */
static double edit_cost(const vbi_syl *o, const vbi_syl *c)
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

/* The same for a token whose tone layer_structure moved (tone_moved): its
   tone is no evidence, so changing or removing it costs one edit; a
   changed letter costs as in edit_cost. */
static double moved_cost(const vbi_syl *o, const vbi_syl *c)
{
    vbi_syl t = *o;
    t.tone = c->tone;
    t.tpos = c->tpos;
    double cost = edit_cost(&t, c);
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
static size_t bprobe(const rstate *R, int32_t a, int32_t b)
{
    uint64_t key = bkey_of(a, b);
    size_t h = bslot(R, key);
    while (R->bkey[h] && R->bkey[h] != key) h = (h + 1) & (R->bcap - 1);
    return h;
}

static uint32_t bget(const rstate *R, int32_t a, int32_t b)
{
    if (!R->bcap) return 0;
    size_t h = bprobe(R, a, b);
    return R->bkey[h] ? R->bval[h] : 0;
}

/* Empty the document's bigram table (sized by its distinct pairs, which
   repeated administrative text keeps few: clearing and probing stay cheap). */
static void bclear(rstate *R)
{
    memset(R->bkey, 0, R->bcap * sizeof *R->bkey);
    memset(R->bval, 0, R->bcap * sizeof *R->bval);
    R->bn = 0;
}

/* Count the pair (a b); *slot (when not NULL) gets its slot, which holds
   until the table next grows. */
static int badd(rstate *R, int32_t a, int32_t b, uint32_t *slot)
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
    size_t h = bprobe(R, a, b);
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
        double cab = (double)bget(R, a, b) - (a == oa && b == ob);
        if (ca < 0) ca = 0;
        if (cab < 0) cab = 0;
        pc = (cab + CACHE_BETA * cu / R->ndoc) / (ca + CACHE_BETA);
    } else {
        pc = cu / R->ndoc;
    }
    return log((1 - CACHE_LAMBDA) * exp(lp) + CACHE_LAMBDA * pc);
}

/* ---- layer 2: tone on the wrong letter ------------------------------------ */

static void layer_structure(rstate *R, const wmemo *m)
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

static bool same_text(const rstate *R, const tok *a, const tok *b)
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
        while (h[k].count && !same_text(R, &R->t[h[k].tok], x)) k = (k + 1) & (cap - 1);
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
        while (!same_text(R, &R->t[h[k].tok], x)) k = (k + 1) & (cap - 1);
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

/* Did layer_structure move this token's tone to its vowel?  The scan put
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
    for (size_t k = 0; k < nc; k++) {
        int32_t c = (int32_t)ids[k];
        if (c == x->obs) continue;
        const vbi_syl *cs = vbi_lm_syl(R->lm, (uint32_t)c);
        double local = strip ? 0 : moved ? -moved_cost(SYL(R, x), cs) : -edit_cost(SYL(R, x), cs);
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
    bclear(R);
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
            if (pairs && badd(R, prev, x->p1, NULL)) return VANBAN_ENOMEM;
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

static int layer_context(rstate *R)
{
    uint32_t nv = vbi_lm_size(R->lm);
    R->ucount = calloc(nv, sizeof *R->ucount);
    if (!R->ucount) return VANBAN_ENOMEM;
    size_t nlm = 0;
    for (size_t i = 0; i < R->n; i++) {
        tok *x = &R->t[i];
        if (!(x->flags & T_SYL)) continue;
        uint32_t id = R->wm->tid[i];
        x->obs = !(x->flags & T_VALID) ? -1 : id != MEMO_NONE ? R->wm->e[id].obs : key_id(R, SYL(R, x));
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

/* ---- layer 4: word pairs the document writes one way far more often -------- */

/* The reading of a token after the decoder: its model id, or -1. */
static int32_t final_id(rstate *R, const tok *x)
{
    if (x->flags & T_NUM) return x->obs;
    if (!(x->flags & T_CHANGED)) return x->obs;
    if (x->flags & (T_REPL | T_DELETE)) return -1;
    return key_id(R, &FX(R, x)->out);
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
            n = bget(R, x, y);
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
            uint32_t n = sd ? bget(R, fa, c) : bget(R, c, fb);
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

/* The lexicon sweeps of layer_pairs, over its working set w (the pairs'
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
            uint32_t nn = vbi_lm_bigram_count(R->lm, nx, ny);
            if ((vbi_lm_pairword(R->lm, x, y) & VBI_WORD) || nn == 0 ||
                vbi_lm_bigram_count(R->lm, x, y) > LEX_GUARD * ((uint64_t)nn + 1))
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

static int layer_pairs(rstate *R)
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
    bclear(R);
    memset(R->ucount, 0, vbi_lm_size(R->lm) * sizeof *R->ucount);
    /* the table is sized for the decoder's pairs, nearly the same ones: a
       slot badd gives stays put unless the table grows */
    size_t bcap0 = R->bcap;
    for (size_t q = 0; q < m; q++) {
        hq[q] = PAIR_SKIP;
        if (fid[q] >= 0) R->ucount[fid[q]]++;
        if (q && !(R->t[ix[q]].flags & T_BREAK) && fid[q - 1] >= 0 && fid[q] >= 0 &&
            badd(R, fid[q - 1], fid[q], &hq[q]))
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
        if (R->bcap != bcap0) hq[q] = (uint32_t)bprobe(R, fa, fb); /* it grew */
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

static int layer_breaks(rstate *R)
{
    for (size_t i = 1; i < R->n; i++) {
        tok *a = &R->t[i - 1], *b = &R->t[i];
        if (!(a->flags & T_VALID) || !(b->flags & T_VALID) || (b->flags & T_BREAK) ||
            (a->flags & T_UPPER) || (b->flags & T_UPPER) || !same_text(R, a, b) ||
            (a->flags & (T_CODE | T_DELETE)) || (b->flags & T_CODE))
            continue;
        const vbi_syl *sa = (a->flags & T_CHANGED) ? &FX(R, a)->out : SYL(R, a);
        const vbi_syl *sb = (b->flags & T_CHANGED) ? &FX(R, b)->out : SYL(R, b);
        if (sa->n != sb->n || sa->tone != sb->tone || memcmp(sa->l, sb->l, sa->n)) continue;
        /* only plain white space between the two */
        const char *gap = R->p->text.p + a->off + a->len;
        size_t gl = b->off - (a->off + a->len);
        if (b->line == a->line && (gl != 1 || gap[0] != ' ')) continue;
        int32_t id = key_id(R, sa);
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
     marks away (edit_cost);
   - it is no name, and no other layer changed it.
   Training text spells out too few counts for the decoder to see this. */
#define NUM_MAX_COST 6 /* edit_cost of two marks */
/* A count v (0: any count) written before the words a b, as a key of a
   set (bit 63 keeps it from 0, the empty slot). */
static uint64_t num_key(unsigned v, int32_t a, int32_t b)
{
    return 1ull << 63 | (uint64_t)v << 42 | (uint64_t)(uint32_t)a << 21 | (uint32_t)b;
}

static int layer_numerals(rstate *R)
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
            if (!v || edit_cost(SYL(R, x), c) > NUM_MAX_COST ||
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
   alone, one mark (edit_cost <= 3) from a label, and no label itself (the
   words of grammars/lm/labels.tsv). */
#define STAMP_LINES 4
static void layer_stamp(rstate *R)
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
                edit_cost(SYL(R, x), c) > 3)
                continue;
            take_syl(R, x, c, 0.8f);
            break;
        }
    }
}

/* A marked non-syllable right after a page break ("hữu" ... "ngệ"): the
   known syllable within two letter edits that best follows the previous word. */
static int layer_broken_words(rstate *R)
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
            if (changed && !(x->flags & (T_CHANGED | T_DELETE))) {
                /* normalize.c changed it (NFC, look-alike, zero width, case);
                   markup inside a word is left alone */
                for (size_t k = 0; k < olen && changed; k++)
                    if (otext[k] == '*' || otext[k] == '\\' || otext[k] == '_' || otext[k] == '#')
                        changed = false;
                /* Windows-1258 writes tone marks apart by design: composing
                   them is decoding, not a repair */
                if (changed && p->enc_decomposed) {
                    utf8proc_uint8_t *nf = NULL;
                    utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)otext,
                                                       (utf8proc_ssize_t)olen, &nf,
                                                       UTF8PROC_STABLE | UTF8PROC_COMPOSE);
                    if (nl < 0 && nl == UTF8PROC_ERROR_NOMEM) goto out;
                    if (nl >= 0 && (size_t)nl == wl && !memcmp(nf, w, wl)) changed = false;
                    free(nf);
                }
            }
            if (changed) {
                uint32_t kind = FX(R, x)->kind ? FX(R, x)->kind : K_UNICODE;
                float conf = FX(R, x)->kind ? FX(R, x)->conf : 1.0f;
                while (oc < nold && res->corrections[oc].span.s < os) oc++;
                for (size_t k = oc; k < nold && res->corrections[k].span.s < oe; k++) {
                    drop[k] = true;
                    if (!FX(R, x)->kind && !strcmp(res->corrections[k].kind, "case")) kind = K_CASE;
                    if (!FX(R, x)->kind) conf = (float)res->corrections[k].confidence;
                }
                pending *pd = push_pending(&pend, &npend, &pcap);
                if (!pd) goto out;
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
                    if (vbi_buf_put(&R->repl, w, wl)) goto out;
                }
                w = R->repl.p + pd->roff; /* buffer may have moved */
            }
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
    /* page-break joins: the blank lines between go, the break becomes a space */
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
            goto out;
        /* only white space and page numbers go: markup or a stray byte
           between the two words (a heading's "**", a damaged line) stays
           as it was */
        size_t gl;
        const char *gap = orig_utf8(p, s, e, &gl);
        if (!page_gap(gap, gl)) continue;
        pending *pd = push_pending(&pend, &npend, &pcap);
        if (!pd) goto out;
        pd->span.s = s;
        pd->span.e = e;
        pd->kind = K_BREAK;
        pd->conf = 0.8f;
        pd->roff = (uint32_t)R->repl.len;
        pd->rlen = 1;
        if (vbi_buf_put(&R->repl, " ", 1)) goto out;
        for (size_t k = pv->line + 1; k < x->line; k++) p->lines[k].flags |= 0x8000;
        joined = true;
    }
    if (joined) { /* every line is copied: only when some go */
        size_t o = 0;
        for (size_t k = 0; k < p->nlines; k++)
            if (!(p->lines[k].flags & 0x8000)) p->lines[o++] = p->lines[k];
        p->nlines = o;
    }
    /* corrections: keep the old ones not folded into a word, add ours, sort */
    {
        size_t o = 0, kept;
        for (size_t k = 0; k < nold; k++)
            if (!drop[k]) res->corrections[o++] = res->corrections[k];
        res->ncorrections = kept = o;
        for (size_t k = 0; k < npend; k++) {
            pending *pd = &pend[k];
            size_t flen;
            const char *from = orig_utf8(p, pd->span.s, pd->span.e, &flen);
            utf8proc_uint8_t *nf = NULL;
            if (p->enc_decomposed) { /* Windows-1258: "from" in NFC like the rest */
                utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)from,
                                                   (utf8proc_ssize_t)flen, &nf,
                                                   UTF8PROC_STABLE | UTF8PROC_COMPOSE);
                if (nl == UTF8PROC_ERROR_NOMEM) goto out;
                if (nl >= 0) {
                    from = (const char *)nf;
                    flen = (size_t)nl;
                }
            }
            rc = vbi_add_correction(p, pd->span, from, flen, R->repl.p + pd->roff, pd->rlen,
                                    kind_names[pd->kind], pd->conf);
            free(nf);
            if (rc) goto out;
        }
        if (merge_sorted(res->corrections, kept, res->ncorrections))
            qsort(res->corrections, res->ncorrections, sizeof *res->corrections, cmp_corr);
    }
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
    int rc = vbi_buf_reserve(&R.repl, 64) ? VANBAN_ENOMEM : tokenize(&R, &memo);
    if (!rc && !(R.fx = calloc(R.n + 1, sizeof *R.fx))) rc = VANBAN_ENOMEM;
    if (!rc) { /* the front matter's keys and slugs are codes: never touched */
        size_t fm = front_matter_end(p);
        for (size_t i = 0; i < R.n && R.t[i].line < fm; i++)
            if (yaml_ident(p, &R.t[i])) R.t[i].flags |= T_CODE;
    }
    if (!rc) {
        layer_structure(&R, &memo);
        R.style = doc_style(&R, &memo);
        if (p->opt.tone_style == VANBAN_TONE_MODERN) R.style = VBI_STYLE_MODERN;
        if (p->opt.tone_style == VANBAN_TONE_TRADITIONAL) R.style = VBI_STYLE_TRADITIONAL;
        if (!(p->opt.flags & VANBAN_OPT_NO_CONTEXT)) rc = layer_codes(&R);
    }
    if (!(p->opt.flags & VANBAN_OPT_NO_CONTEXT)) { /* the layers that need the model */
        if (!rc) rc = layer_context(&R);
        if (!rc && R.bcap) rc = layer_pairs(&R);
        if (!rc) rc = layer_numerals(&R);
        if (!rc) layer_stamp(&R);
        if (!rc) rc = layer_broken_words(&R);
        if (!rc) rc = layer_breaks(&R);
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
    memo_free(&memo);
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
