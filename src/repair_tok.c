/* repair_tok.c - the repair stage's tokens: each distinct word judged once
   (the word memo), plain lines scanned chunk by chunk, the front matter. */
#include "repair_int.h"

#include <utf8proc.h>

#if defined(__SSE2__) && defined(__GNUC__) && !defined(VBI_NO_SIMD)
#include <emmintrin.h>
#endif

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


/* A word of a chunk (CT_LEAN: one that can change; CT_ALL: any token):
   where, what vbi_rp_tokenize makes of it. */
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

void vbi_rp_memo_free(wmemo *m)
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

/* Judge the word s[0, n) (nc code points) as vbi_rp_tokenize always did. */
/* Model id of a syllable (its lower-case traditional key), -1 if unknown. */
int32_t vbi_rp_key_id(const rstate *R, const vbi_syl *s)
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
    e->obs = v && R->lm ? vbi_rp_key_id(R, &e->syl) : -1;
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
   it), as vbi_rp_tokenize's loop reads it (see there): what a token is depends
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
   elsewhere), as vbi_rp_tokenize reads them: chunk_tokens' tokens, the others
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

/* vbi_rp_tokenize() for a VBI_L_PLAIN line when only the structure and style
   layers run on a text-only result (no context layers, nothing built from
   the tokens but corrections): only the words that can change become
   tokens (chunk_words), with the flags vbi_rp_tokenize gives them but for the
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
bool vbi_rp_yaml_ident(const vanban_parser *p, const tok *x)
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
   (vbi_rp_yaml_ident, T_CODE), never touched and no evidence.  Its titles and
   descriptions are text like any other, and evidence ("ổn định"). */
#define FM_MAX_LINES 200
size_t vbi_rp_front_matter_end(const vanban_parser *p)
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

int vbi_rp_tokenize(rstate *R, wmemo *m)
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

