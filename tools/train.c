/* train.c - count syllable n-grams in clean Vietnamese text for the repair model.
 *
 * usage: vanban-train [-g grammars/syllable.tsv] [-o OUTDIR] [--min-bigram N] FILE...
 *
 * Reads plain text (UTF-8), cuts it into sentences the way the repair stage
 * does (any punctuation, non-syllable word, word glued to a digit and any blank line ends
 * the context; a single line break does not), maps each syllable to its
 * model key (lower case, NFC, traditional tone placement) and writes
 *   OUTDIR/unigrams.tsv  key  count  left-context total  distinct followers  distinct predecessors
 *                        times written with a capital inside a sentence
 *   OUTDIR/bigrams.tsv   key1 key2  count            (count >= --min-bigram, default 2)
 *   OUTDIR/abbrev.tsv    upper-case codes that are not syllables (glued to digits or
 *                        slashes too), seen >= 3 times
 *   OUTDIR/words.tsv     key1 key2  times as a word  count: a pair is read as a
 *                        word where it is written more often than the pair
 *                        before it and the pair after it in the sentence
 *                        ("đổi nội" in "thay đổi nội dung" is not); the pairs
 *                        seen >= 5 times that are a word at least half the
 *                        time, or never
 * The key "<s>" is the start of a sentence, "<num>" a number ("2024",
 * "1.000.000", "15/3/2024") that is not glued to a letter.  The files hold counts only, no
 * text, so they may be committed; tools/build_lm.py turns them into the
 * binary model.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "repair.h"

typedef struct {
    char *key;
    uint64_t count, left, nfollow, nprec, title;
    uint64_t wocc; /* bigrams: times read as a word (see words.tsv) */
} word;

typedef struct {
    word *w;
    size_t n, cap; /* open addressing over keys */
} wtab;

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        fprintf(stderr, "vanban-train: out of memory\n");
        exit(2);
    }
    return p;
}

static word *wt_get(wtab *t, const char *k, size_t n);

static void wt_grow(wtab *t)
{
    wtab nt = {xmalloc((t->cap ? t->cap * 2 : 1024) * sizeof(word)), 0,
               t->cap ? t->cap * 2 : 1024};
    for (size_t i = 0; i < t->cap; i++)
        if (t->w[i].key) {
            word *d = wt_get(&nt, t->w[i].key, strlen(t->w[i].key));
            char *kk = d->key;
            *d = t->w[i];
            free(kk);
        }
    free(t->w);
    *t = nt;
}

static word *wt_get(wtab *t, const char *k, size_t n)
{
    if ((t->n + 1) * 2 > t->cap) wt_grow(t);
    size_t h = vbi_hash_bytes(k, n) & (t->cap - 1);
    while (t->w[h].key) {
        if (strlen(t->w[h].key) == n && !memcmp(t->w[h].key, k, n)) return &t->w[h];
        h = (h + 1) & (t->cap - 1);
    }
    t->w[h].key = xmalloc(n + 1);
    memcpy(t->w[h].key, k, n);
    t->n++;
    return &t->w[h];
}

static wtab words, bigrams, abbrevs; /* bigram keys: "a b" */

static char prev[64];
static size_t prevlen;

/* The token stream of all files, as unigram keys (stable: wt_grow moves
   the entries, not the keys); NULL ends a sentence.  The second pass
   reads it to count words. */
static const char **seq;
static size_t nseq, seqcap;

static void seq_push(const char *key)
{
    if (!key && (nseq == 0 || !seq[nseq - 1])) return;
    if (nseq == seqcap) {
        seqcap = seqcap ? seqcap * 2 : 1 << 20;
        const char **ns = realloc(seq, seqcap * sizeof *ns);
        if (!ns) {
            fprintf(stderr, "vanban-train: out of memory\n");
            exit(2);
        }
        seq = ns;
    }
    seq[nseq++] = key;
}

/* The entry of the bigram (a b), key "a b", made on first sight; NULL when
   the key would be too long. */
static word *bigram(const char *a, size_t la, const char *b, size_t lb)
{
    char bk[160];
    if (la + lb + 2 > sizeof bk) return NULL;
    memcpy(bk, a, la);
    bk[la] = ' ';
    memcpy(bk + la + 1, b, lb);
    return wt_get(&bigrams, bk, la + 1 + lb);
}

/* title: written with a capital inside a sentence (a name, "Bộ Tài chính") */
static void add_token(const char *key, size_t n, bool title)
{
    word *w = wt_get(&words, key, n);
    w->count++;
    seq_push(w->key);
    if (title && !(prevlen == 3 && !memcmp(prev, "<s>", 3))) w->title++;
    word *b = bigram(prev, prevlen, key, n);
    if (!b) return;
    word *pw = wt_get(&words, prev, prevlen);
    pw->left++;
    if (b->count++ == 0) {
        pw->nfollow++;
        wt_get(&words, key, n)->nprec++;
    }
    memcpy(prev, key, n);
    prevlen = n;
}

static void sentence_break(void)
{
    memcpy(prev, "<s>", 3);
    prevlen = 3;
    seq_push(NULL);
}

/* Count of the bigram (a b); 0 when either is missing. */
static uint64_t bigram_count(const char *a, const char *b)
{
    word *w = a && b ? bigram(a, strlen(a), b, strlen(b)) : NULL;
    return w ? w->count : 0;
}

/* Second pass: a pair is read as a word where it is written more often
   than the pair before it and the pair after it. */
static void count_words(void)
{
    for (size_t i = 1; i < nseq; i++) {
        const char *a = seq[i - 1], *b = seq[i];
        if (!a || !b) continue;
        const char *z = i >= 2 ? seq[i - 2] : NULL, *c = i + 1 < nseq ? seq[i + 1] : NULL;
        uint64_t ab = bigram_count(a, b);
        if (ab > bigram_count(z, a) && ab > bigram_count(b, c))
            bigram(a, strlen(a), b, strlen(b))->wocc++; /* ab > 0: it is there */
    }
}

static void train_text(const vbi_sylgram *g, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 20, len = 0;
    char *raw = xmalloc(cap);
    size_t k;
    while ((k = fread(raw + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            char *r = realloc(raw, cap *= 2);
            if (!r) exit(2);
            raw = r;
        }
    }
    fclose(f);
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t nn = utf8proc_map((const utf8proc_uint8_t *)raw, (utf8proc_ssize_t)len,
                                       &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    free(raw);
    if (nn < 0) {
        fprintf(stderr, "%s: not UTF-8, skipped\n", path);
        return;
    }
    int32_t *cp = xmalloc(((size_t)nn + 1) * sizeof *cp);
    size_t m = 0;
    for (utf8proc_ssize_t i = 0; i < nn;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t a = utf8proc_iterate(nfc + i, nn - i, &c);
        if (a <= 0) { a = 1; c = ' '; }
        cp[m++] = c;
        i += a;
    }
    free(nfc);
    sentence_break();
    int newlines = 0;
    for (size_t i = 0; i < m;) {
        int32_t c = cp[i];
        if (c >= '0' && c <= '9') {
            /* a number ("2024", "1.000.000", "15/3/2024") is the token
               <num> unless it is glued to a letter ("12a", "Điều5") */
            size_t s = i;
            while (i < m && ((cp[i] >= '0' && cp[i] <= '9') ||
                             ((cp[i] == '.' || cp[i] == ',' || cp[i] == '/') && i + 1 < m &&
                              cp[i + 1] >= '0' && cp[i + 1] <= '9' && cp[i - 1] >= '0' &&
                              cp[i - 1] <= '9')))
                i++;
            bool glued = (s > 0 && (vbi_is_letter_cp(cp[s - 1]) ||
                                    utf8proc_category(cp[s - 1]) == UTF8PROC_CATEGORY_MN)) ||
                         (i < m && vbi_is_letter_cp(cp[i]));
            newlines = 0;
            if (glued) sentence_break();
            else add_token("<num>", 5, false);
            continue;
        }
        if (!vbi_is_letter_cp(c)) {
            if (c == '\n') {
                if (++newlines >= 2) sentence_break();
            } else if (c != ' ' && c != '\t' && c != '\r' && c != 0xA0) {
                sentence_break();
            }
            i++;
            continue;
        }
        newlines = 0;
        size_t s = i;
        while (i < m && (vbi_is_letter_cp(cp[i]) ||
                         utf8proc_category(cp[i]) == UTF8PROC_CATEGORY_MN))
            i++;
        bool glued = (s > 0 && (cp[s - 1] == '/' || cp[s - 1] == '@' || cp[s - 1] == '_' ||
                                (cp[s - 1] >= '0' && cp[s - 1] <= '9'))) ||
                     (i < m && (cp[i] == '/' || cp[i] == '@' || cp[i] == '_' ||
                                (cp[i] >= '0' && cp[i] <= '9')));
        vbi_syl sy;
        bool syl = !vbi_syl_decode(g, cp + s, i - s, &sy) && vbi_syl_valid(g, &sy);
        if (glued || !syl || sy.ncase == VBI_CASE_MIXED) {
            /* codes, glued or not ("NĐ" in "15/2024/NĐ-CP"): the repair
               stage restores their Đ from these counts */
            if (!syl && i - s >= 2 && i - s < 12) {
                bool caps = true;
                for (size_t t = s; t < i; t++)
                    if (vbi_is_lower_cp(cp[t])) caps = false;
                if (caps) {
                    char b[64];
                    size_t o = 0;
                    for (size_t t = s; t < i; t++)
                        o += (size_t)utf8proc_encode_char(cp[t], (utf8proc_uint8_t *)b + o);
                    wt_get(&abbrevs, b, o)->count++;
                }
            }
            sentence_break();
            continue;
        }
        char key[4 * VBI_SYL_MAX + 1];
        size_t kl = vbi_syl_key(g, &sy, key);
        add_token(key, kl, sy.ncase == VBI_CASE_TITLE);
    }
    free(cp);
}

static int cmp_key(const void *a, const void *b)
{
    const word *x = a, *y = b;
    return strcmp(x->key, y->key);
}

static void dump(const char *dir, const char *name, wtab *t, int kind, uint64_t min)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    word *v = xmalloc((t->n + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->w[i].key && t->w[i].count >= min) v[n++] = t->w[i];
    qsort(v, n, sizeof *v, cmp_key);
    for (size_t i = 0; i < n; i++) {
        if (kind == 0)
            fprintf(f, "%s\t%llu\t%llu\t%llu\t%llu\t%llu\n", v[i].key,
                    (unsigned long long)v[i].count, (unsigned long long)v[i].left,
                    (unsigned long long)v[i].nfollow, (unsigned long long)v[i].nprec,
                    (unsigned long long)v[i].title);
        else if (kind == 3) {
            /* what the model reads of it: mostly a word, or never one */
            if (v[i].wocc && v[i].wocc * 2 < v[i].count) continue;
            char *sp = strchr(v[i].key, ' ');
            if (sp) *sp = '\t';
            fprintf(f, "%s\t%llu\t%llu\n", v[i].key, (unsigned long long)v[i].wocc,
                    (unsigned long long)v[i].count);
            if (sp) *sp = ' ';
        } else {
            char *sp = kind == 1 ? strchr(v[i].key, ' ') : NULL;
            if (sp) *sp = '\t';
            fprintf(f, "%s\t%llu\n", v[i].key, (unsigned long long)v[i].count);
            if (sp) *sp = ' ';
        }
    }
    free(v);
    if (fclose(f)) {
        perror(path);
        exit(2);
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = xmalloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) exit(2);
    fclose(f);
    *len = (size_t)n;
    return b;
}

int main(int argc, char **argv)
{
    const char *gpath = "grammars/syllable.tsv", *out = "grammars/lm";
    uint64_t minb = 2;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "-g") && i + 1 < argc) gpath = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--min-bigram") && i + 1 < argc)
            minb = strtoull(argv[++i], NULL, 10);
        else break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: vanban-train [-g syllable.tsv] [-o OUTDIR] [--min-bigram N] FILE...\n");
        return 2;
    }
    size_t glen;
    char *gd = slurp(gpath, &glen);
    vbi_sylgram *g;
    char msg[200];
    if (vbi_sylgram_load(&g, gd, glen, msg, sizeof msg)) {
        fprintf(stderr, "vanban-train: %s\n", msg);
        return 2;
    }
    free(gd);
    wt_get(&words, "<s>", 3);
    for (; i < argc; i++) train_text(g, argv[i]);
    dump(out, "unigrams.tsv", &words, 0, 0);
    dump(out, "bigrams.tsv", &bigrams, 1, minb);
    dump(out, "abbrev.tsv", &abbrevs, 2, 3);
    count_words();
    dump(out, "words.tsv", &bigrams, 3, 5);
    free(seq);
    fprintf(stderr, "vanban-train: %zu syllable types, %zu bigram types\n", words.n, bigrams.n);
    vbi_sylgram_free(g);
    return 0;
}
