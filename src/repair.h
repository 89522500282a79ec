/* repair.h - internal interface of the repair stage (syllables, language model).
 *
 * Letters of a syllable are kept in a one-byte internal code: plain letters
 * are themselves ('a'..'z'), and the letters with a mark use the upper-case
 * Telex-like codes W=ă A=â E=ê O=ô F=ơ U=ư D=đ.  Tones: 0 none, 1 huyền,
 * 2 sắc, 3 hỏi, 4 ngã, 5 nặng.
 */
#ifndef VANBAN_REPAIR_H
#define VANBAN_REPAIR_H

#include "private.h"

#define VBI_SYL_MAX 10 /* letters in the longest syllable we look at ("nghiêng" = 7) */

enum { VBI_CASE_LOWER = 0, VBI_CASE_TITLE = 1, VBI_CASE_UPPER = 2, VBI_CASE_MIXED = 3 };
enum { VBI_STYLE_TRADITIONAL = 0, VBI_STYLE_MODERN = 1 };

typedef struct {
    char l[VBI_SYL_MAX + 1]; /* internal letter codes, NUL-terminated */
    uint8_t n;               /* letters */
    uint8_t tone;            /* 0..5 */
    int8_t tpos;             /* letter that carries the tone as written, -1 if none */
    uint8_t ncase;           /* VBI_CASE_* */
    uint8_t marked;          /* 1 when any tone, modifier or đ is present */
} vbi_syl;

/* Syllable grammar (grammars/syllable.tsv), part of the immutable model. */
typedef struct vbi_sylgram vbi_sylgram;

int vbi_sylgram_load(vbi_sylgram **out, const char *data, size_t len, char *msg, size_t msglen);
void vbi_sylgram_free(vbi_sylgram *g);

/* Decode n code points (NFC) into s.  Returns 0, or -1 when a code point is
   not a letter of the Vietnamese alphabet (or the word is too long). */
int vbi_syl_decode(const vbi_sylgram *g, const int32_t *cp, size_t n, vbi_syl *s);
/* Same from UTF-8. */
int vbi_syl_decode_utf8(const vbi_sylgram *g, const char *s, size_t n, vbi_syl *out);

/* Is the toneless letter sequence + tone a valid Vietnamese syllable? */
bool vbi_syl_valid(const vbi_sylgram *g, const vbi_syl *s);
/* Where the tone belongs for the given style (-1 when tone == 0 or invalid). */
int vbi_syl_tone_pos(const vbi_sylgram *g, const vbi_syl *s, int style);
/* Does the syllable's placement show a style?  Returns STYLE_* or -1 if it
   looks the same in both styles. */
int vbi_syl_style(const vbi_sylgram *g, const vbi_syl *s);
/* Render as UTF-8 (NFC) with the tone placed for style and the given case;
   out needs 4 * VBI_SYL_MAX + 1 bytes.  Returns the byte length. */
size_t vbi_syl_render(const vbi_sylgram *g, const vbi_syl *s, int style, int ncase, char *out);
/* The lower-case canonical key (traditional placement) used by the model. */
size_t vbi_syl_key(const vbi_sylgram *g, const vbi_syl *s, char *out);
/* The skeleton: lower-case ASCII letters, marks removed, đ -> d. */
size_t vbi_syl_skeleton(const vbi_syl *s, char *out);
/* Letter code and tone of a code point: returns the code (0 if not a
   Vietnamese letter); *tone and *upper are set. */
int vbi_syl_letter(const vbi_sylgram *g, int32_t cp, int *tone, int *upper);

/* ---- language model (lm.c) ------------------------------------------- */
typedef struct vbi_lm vbi_lm;

/* Map a model image (tools/build_lm.py format).  data must stay valid and
   4-byte aligned while the model lives. */
int vbi_lm_open(vbi_lm **out, const vbi_sylgram *g, const void *data, size_t len, char *msg,
                size_t msglen);
void vbi_lm_free(vbi_lm *lm);
uint32_t vbi_lm_size(const vbi_lm *lm);
/* Vocabulary id of a key, or -1. */
int32_t vbi_lm_id(const vbi_lm *lm, const char *key, size_t n);
const char *vbi_lm_word(const vbi_lm *lm, uint32_t id, size_t *n);
/* Letters and tone of a vocabulary entry (decoded at load). */
const vbi_syl *vbi_lm_syl(const vbi_lm *lm, uint32_t id);
/* Ids of the entries with the given skeleton; returns the count. */
size_t vbi_lm_candidates(const vbi_lm *lm, const char *skel, size_t n, const uint32_t **ids);
/* log P(b | a) (natural log); a or b may be VBI_LM_UNK; a may be VBI_LM_BOS. */
float vbi_lm_logp(const vbi_lm *lm, int32_t a, int32_t b);
float vbi_lm_unigram(const vbi_lm *lm, int32_t b);
/* Raw count of the bigram in training (0 when unseen or pruned). */
uint32_t vbi_lm_bigram_count(const vbi_lm *lm, int32_t a, int32_t b);
uint32_t vbi_lm_count(const vbi_lm *lm, int32_t a);
/* Times the entry was written with a capital inside a sentence in training. */
uint32_t vbi_lm_title(const vbi_lm *lm, int32_t a);
/* Is the entry's doubling ordinary Vietnamese (grammars/lm/reduplicatives.txt)? */
bool vbi_lm_redup(const vbi_lm *lm, int32_t a);
/* Are a and b neighbouring syllables of a word: VBI_WORD of any word the
   model knows (lexicon.txt, words.tsv), VBI_WORD_LEX of lexicon.txt's?
   VBI_NONWORD: training wrote the pair often, never as a word. */
enum { VBI_WORD = 1, VBI_WORD_LEX = 2, VBI_NONWORD = 4 };
unsigned vbi_lm_pairword(const vbi_lm *lm, int32_t a, int32_t b);
/* The training count of the pair and, in *word, its VBI_WORD* flags. */
uint32_t vbi_lm_bigram(const vbi_lm *lm, int32_t a, int32_t b, unsigned *word);
/* VBI_LEX_FIRST, VBI_LEX_SECOND: the entry starts, ends a pair of lexicon.txt. */
enum { VBI_LEX_FIRST = 1, VBI_LEX_SECOND = 2 };
unsigned vbi_lm_lexpos(const vbi_lm *lm, int32_t a);
/* The value of a number word of grammars/lm/numerals.tsv ("tám": 8), else 0. */
unsigned vbi_lm_numeral(const vbi_lm *lm, int32_t a);
/* What the entry is in the received stamp (grammars/lm/labels.tsv): a
   label ("chuyển"), the stamp's own word ("đến"), or 0. */
enum { VBI_STAMP_LABEL = 1, VBI_STAMP_WORD = 2 };
unsigned vbi_lm_stamp(const vbi_lm *lm, int32_t a);

#define VBI_LM_BOS 0
#define VBI_LM_UNK (-1)

/* ---- model loading (repair_model.c) ----------------------------------- */
int vbi_repair_model_load(vanban_model *m, const char *dir, vanban_error *err);
void vbi_repair_model_free(vanban_model *m);

/* ---- the stage ------------------------------------------------------- */
int vbi_repair(vanban_parser *p);

#endif
