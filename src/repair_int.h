/* repair_int.h - what the files of the repair stage share (not installed).
 *
 * The stage (see repair.c for the layers) is cut by what each part does:
 *   repair.c         the driver: the layers in order, tone placement, codes,
 *                    and the rebuilt text with its corrections;
 *   repair_tok.c     tokens: the word memo, chunked scanning, front matter;
 *   repair_decode.c  the context decoder: edit costs, the document cache,
 *                    candidates and the Viterbi search;
 *   repair_layers.c  the layers after the decoder: word pairs, page breaks
 *                    and doublings, number words, the received stamp,
 *                    broken words.
 * Every state lives in one rstate per call; nothing here is global.
 */
#ifndef VANBAN_REPAIR_INT_H
#define VANBAN_REPAIR_INT_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"

#define MAXC 10  /* candidates kept per syllable */
#define MAXS 200 /* tokens per decoded sentence */

#define DEFAULT_MARGIN 8.0
#define NAME_BONUS 3.0
#define PASS1_MARGIN 0.5 /* share of the margin in the first pass */
#define UNSEEN_BONUS 0.5 /* share of the margin for a syllable the model never saw */
#define UNSEEN_DOC_MIN 5 /* ... unless the document writes it this often (unseen_word) */
#define UNSEEN_DOC_RATIO 4 /* ... and this many times as often as another marking */
#define WORD_BONUS 2.0 /* a reading that makes a word with a neighbour the written form does not */
#define WORD_RATIO 50 /* ... and training writes that word this many times as often (word_wins) */
#define MOVED_BONUS 2.0 /* the margin of a syllable whose tone was misplaced (tone_moved) */
#define MOVED_TONE_COST 1.0 /* ... and the cost of reading it with another tone or none */
#define TITLE_MIN 50    /* a capitalised reading needs this many capitalised uses in training */
#define TITLE_RATIO 20  /* ... and this many times those of the written form */
#define CODE_MIN 20     /* a code's Đ is restored from training counts of at least ... */
#define CODE_RATIO 10   /* ... this many times the written form's */
#define PAIR_MIN 3      /* vbi_rp_layer_pairs: the document's form of a pair, at least ... */
#define PAIR_RATIO 3    /* ... and this many times the minority's */
#define PAIR_LM_MIN 5   /* ... and known to the model this many times */
#define PAIR_STRONG 10  /* a pair written this often needs no third word (see vbi_rp_layer_pairs) */
/* vbi_rp_layer_pairs' third sweep, lexicon words: */
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
    tfix *fx; /* by token, made after vbi_rp_tokenize */
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
    const struct wmemo *wm; /* vbi_rp_tokenize's word memo: what each token is */
    uint32_t *wcount; /* by memo entry: tokens of a valid syllable the model never saw */
} rstate;

#define FX(R, x) (&(R)->fx[(x) - (R)->t])

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

/* The written syllable of token x, from the word memo (all zero for a
   number or a word too long to be a syllable). */
static const vbi_syl no_syl;

static inline const vbi_syl *tok_syl(const rstate *R, const tok *x)
{
    uint32_t id = R->wm->tid[x - R->t];
    return id == MEMO_NONE ? &no_syl : &R->wm->e[id].syl;
}

#define SYL(R, x) tok_syl(R, x)

/* A letter without marks (a vbi_syl letter byte). */
static inline bool plain(char c) { return c >= 'a' && c <= 'z'; }

/* ---- across the files (vbi_rp_: the repair stage's own) ---------------- */

/* repair_tok.c */
int vbi_rp_tokenize(rstate *R, wmemo *m);
void vbi_rp_memo_free(wmemo *m);
int32_t vbi_rp_key_id(const rstate *R, const vbi_syl *s);
bool vbi_rp_yaml_ident(const vanban_parser *p, const tok *x);
size_t vbi_rp_front_matter_end(const vanban_parser *p);

/* repair_decode.c */
double vbi_rp_edit_cost(const vbi_syl *o, const vbi_syl *c);
size_t vbi_rp_bprobe(const rstate *R, int32_t a, int32_t b);
uint32_t vbi_rp_bget(const rstate *R, int32_t a, int32_t b);
void vbi_rp_bclear(rstate *R);
int vbi_rp_badd(rstate *R, int32_t a, int32_t b, uint32_t *slot);
int vbi_rp_layer_context(rstate *R);

/* repair.c */
void vbi_rp_layer_structure(rstate *R, const wmemo *m);
bool vbi_rp_same_text(const rstate *R, const tok *a, const tok *b);

/* repair_layers.c */
int vbi_rp_layer_pairs(rstate *R);
int vbi_rp_layer_breaks(rstate *R);
int vbi_rp_layer_numerals(rstate *R);
void vbi_rp_layer_stamp(rstate *R);
int vbi_rp_layer_broken_words(rstate *R);
int vbi_rp_layer_spaced(rstate *R);

#endif
