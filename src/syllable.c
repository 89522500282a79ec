/* syllable.c - the Vietnamese syllable: decode, judge, place the tone, render.
 *
 * The grammar (onsets, rhymes, checked codas) comes from grammars/syllable.tsv
 * and is loaded once into an immutable vbi_sylgram.  A code-point table built
 * at load time maps every Vietnamese letter to its internal code, tone and
 * case, so decoding a word costs one array read per letter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"

#define CP_TABLE 0x1F00
#define RHYME_SLOTS 1024

struct vbi_sylgram {
    uint16_t map[CP_TABLE];     /* code | tone << 8 | upper << 11; 0 = not a letter */
    int32_t out[128][6][2];     /* code -> tone -> upper -> code point */
    char onset[40][4];
    uint8_t onset_len[40];
    int nonsets;
    uint8_t front[40], back[40]; /* by onset index */
    char rhyme[RHYME_SLOTS][8];  /* open addressing, "" = empty */
    char checked[8][3];
    int nchecked;
};

/* Vowels with their tones, lower then upper case; index = letter code order. */
static const char vowel_codes[] = "aWAeEioOFuUy";
static const char *const vowel_lower[] = {"aàáảãạ", "ăằắẳẵặ", "âầấẩẫậ", "eèéẻẽẹ",
                                          "êềếểễệ", "iìíỉĩị", "oòóỏõọ", "ôồốổỗộ",
                                          "ơờớởỡợ", "uùúủũụ", "ưừứửữự", "yỳýỷỹỵ"};
static const char *const vowel_upper[] = {"AÀÁẢÃẠ", "ĂẰẮẲẴẶ", "ÂẦẤẨẪẬ", "EÈÉẺẼẸ",
                                          "ÊỀẾỂỄỆ", "IÌÍỈĨỊ", "OÒÓỎÕỌ", "ÔỒỐỔỖỘ",
                                          "ƠỜỚỞỠỢ", "UÙÚỦŨỤ", "ƯỪỨỬỮỰ", "YỲÝỶỸỴ"};

/* the hot path: a switch, not strchr over vowel_codes */
static bool is_vowel(char c)
{
    switch (c) {
    case 'a': case 'W': case 'A': case 'e': case 'E': case 'i':
    case 'o': case 'O': case 'F': case 'u': case 'U': case 'y':
        return true;
    default:
        return false;
    }
}
static bool is_modified(char c) { return c == 'W' || c == 'A' || c == 'E' || c == 'O' || c == 'F' || c == 'U'; }

static char base_of(char c)
{
    switch (c) {
    case 'W': case 'A': return 'a';
    case 'E': return 'e';
    case 'O': case 'F': return 'o';
    case 'U': return 'u';
    case 'D': return 'd';
    default: return c;
    }
}

static uint32_t hash_str(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static bool rhyme_has(const vbi_sylgram *g, const char *s, size_t n)
{
    if (n >= 8) return false;
    uint32_t h = hash_str(s, n) & (RHYME_SLOTS - 1);
    while (g->rhyme[h][0]) {
        if (!memcmp(g->rhyme[h], s, n) && g->rhyme[h][n] == 0) return true; /* slots are 8 bytes, n < 8 */
        h = (h + 1) & (RHYME_SLOTS - 1);
    }
    return false;
}

static int rhyme_add(vbi_sylgram *g, const char *s, size_t n)
{
    if (n == 0 || n >= 8) return -1;
    if (rhyme_has(g, s, n)) return 0;
    uint32_t h = hash_str(s, n) & (RHYME_SLOTS - 1);
    size_t probes = 0;
    while (g->rhyme[h][0]) {
        h = (h + 1) & (RHYME_SLOTS - 1);
        if (++probes > RHYME_SLOTS / 2) return -1;
    }
    memcpy(g->rhyme[h], s, n);
    g->rhyme[h][n] = 0;
    return 0;
}

static int32_t dec1(const char *s, size_t n, size_t *adv)
{
    return vbi_utf8_decode(s, n, adv);
}

int vbi_syl_letter(const vbi_sylgram *g, int32_t cp, int *tone, int *upper)
{
    if (cp < 0 || cp >= CP_TABLE) return 0;
    uint16_t v = g->map[cp];
    if (!v) return 0;
    *tone = (v >> 8) & 7;
    *upper = (v >> 11) & 1;
    return v & 0xFF;
}

/* Word in the grammar file (real letters, no tone) -> internal codes. */
static int encode_word(const vbi_sylgram *g, const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t adv;
        int32_t c = dec1(s + i, n - i, &adv);
        i += adv;
        int tone, up;
        int code = vbi_syl_letter(g, c, &tone, &up);
        if (!code || tone || up || o + 1 >= cap) return -1;
        out[o++] = (char)code;
    }
    out[o] = 0;
    return (int)o;
}

static void map_set(vbi_sylgram *g, int32_t cp, int code, int tone, int upper)
{
    if (cp >= 0 && cp < CP_TABLE) g->map[cp] = (uint16_t)(code | tone << 8 | upper << 11);
    g->out[code][tone][upper] = cp;
}

int vbi_sylgram_load(vbi_sylgram **out, const char *data, size_t len, char *msg, size_t msglen)
{
    *out = NULL;
    vbi_sylgram *g = calloc(1, sizeof *g);
    if (!g) return VANBAN_ENOMEM;
    for (int c = 'a'; c <= 'z'; c++) {
        map_set(g, c, c, 0, 0);
        map_set(g, c - 32, c, 0, 1);
    }
    map_set(g, 0x111, 'D', 0, 0);
    map_set(g, 0x110, 'D', 0, 1);
    for (int v = 0; v < 12; v++) {
        const char *lo = vowel_lower[v], *up = vowel_upper[v];
        size_t a = 0, b = 0, ll = strlen(lo), ul = strlen(up);
        for (int t = 0; t < 6; t++) {
            size_t adv;
            int32_t c = dec1(lo + a, ll - a, &adv);
            a += adv;
            map_set(g, c, vowel_codes[v], t, 0);
            c = dec1(up + b, ul - b, &adv);
            b += adv;
            map_set(g, c, vowel_codes[v], t, 1);
        }
    }
    const char *p = data, *end = data + len;
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        const char *tab = memchr(p, '\t', (size_t)(le - p));
        if (le > p && *p != '#' && tab) {
            size_t kl = (size_t)(tab - p);
            const char *q = tab + 1;
            while (q < le) {
                while (q < le && (*q == ' ' || *q == '\r')) q++;
                const char *w = q;
                while (q < le && *q != ' ' && *q != '\r') q++;
                if (q == w) break;
                char code[16];
                int cl = encode_word(g, w, (size_t)(q - w), code, sizeof code);
                bool ok = cl > 0;
                if (ok && kl == 5 && !memcmp(p, "onset", 5)) {
                    if (g->nonsets < 40 && cl < 4) {
                        memcpy(g->onset[g->nonsets], code, (size_t)cl + 1);
                        g->onset_len[g->nonsets++] = (uint8_t)cl;
                    } else ok = false;
                } else if (ok && kl == 5 && !memcmp(p, "front", 5)) {
                    ok = false;
                    for (int i = 0; i < g->nonsets; i++)
                        if (!strcmp(g->onset[i], code)) g->front[i] = 1, ok = true;
                } else if (ok && kl == 4 && !memcmp(p, "back", 4)) {
                    ok = false;
                    for (int i = 0; i < g->nonsets; i++)
                        if (!strcmp(g->onset[i], code)) g->back[i] = 1, ok = true;
                } else if (ok && kl == 7 && !memcmp(p, "checked", 7)) {
                    if (g->nchecked < 8 && cl < 3) memcpy(g->checked[g->nchecked++], code, (size_t)cl + 1);
                    else ok = false;
                } else if (ok && kl == 5 && !memcmp(p, "rhyme", 5)) {
                    ok = rhyme_add(g, code, (size_t)cl) == 0;
                } else if (ok && kl == 5 && !memcmp(p, "vowel", 5)) {
                    /* informative: the vowel set is fixed in the code */
                } else {
                    ok = false;
                }
                if (!ok) {
                    snprintf(msg, msglen, "syllable.tsv:%d: bad item '%.*s'", lineno,
                             (int)(q - w), w);
                    free(g);
                    return VANBAN_EGRAMMAR;
                }
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (g->nonsets == 0) {
        snprintf(msg, msglen, "syllable.tsv: no onsets");
        free(g);
        return VANBAN_EGRAMMAR;
    }
    *out = g;
    return 0;
}

void vbi_sylgram_free(vbi_sylgram *g) { free(g); }

int vbi_syl_decode(const vbi_sylgram *g, const int32_t *cp, size_t n, vbi_syl *s)
{
    if (n == 0 || n > VBI_SYL_MAX) return -1;
    size_t up = 0;
    s->tone = 0;
    s->tpos = -1;
    s->marked = 0;
    bool first_up = false;
    for (size_t i = 0; i < n; i++) {
        int tone, u;
        int code = vbi_syl_letter(g, cp[i], &tone, &u);
        if (!code) return -1;
        if (tone) {
            if (s->tone) return -1; /* two tone marks */
            s->tone = (uint8_t)tone;
            s->tpos = (int8_t)i;
        }
        if (code >= 'A' && code <= 'Z') s->marked = 1;
        s->l[i] = (char)code;
        if (u) {
            up++;
            if (i == 0) first_up = true;
        }
    }
    if (s->tone) s->marked = 1;
    s->l[n] = 0;
    s->n = (uint8_t)n;
    if (up == 0) s->ncase = VBI_CASE_LOWER;
    else if (up == n && n > 1) s->ncase = VBI_CASE_UPPER;
    else if (up == 1 && first_up) s->ncase = VBI_CASE_TITLE;
    else s->ncase = VBI_CASE_MIXED;
    return 0;
}

int vbi_syl_decode_utf8(const vbi_sylgram *g, const char *s, size_t n, vbi_syl *out)
{
    int32_t cp[VBI_SYL_MAX + 1];
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t adv;
        if (k == VBI_SYL_MAX) return -1;
        cp[k++] = dec1(s + i, n - i, &adv);
        i += adv;
    }
    return vbi_syl_decode(g, cp, k, out);
}

/* Split into onset length and rhyme start; returns onset index or -1 (empty),
   -2 when no onset fits. */
static int split_onset(const vbi_sylgram *g, const vbi_syl *s, size_t *olen)
{
    int best = -1;
    size_t bl = 0;
    for (int i = 0; i < g->nonsets; i++) {
        size_t l = g->onset_len[i];
        if (g->onset[i][0] != s->l[0]) continue;
        if (l > bl && l <= s->n && (l < 2 || g->onset[i][1] == s->l[1]) &&
            (l < 3 || g->onset[i][2] == s->l[2])) {
            best = i;
            bl = l;
        }
    }
    *olen = bl;
    if (bl == 0 && !is_vowel(s->l[0])) return -2;
    return best;
}

static bool checked_coda(const vbi_sylgram *g, const char *c)
{
    for (int i = 0; i < g->nchecked; i++)
        if (!strcmp(g->checked[i], c)) return true;
    return false;
}

/* Rhyme validity; *rstart gets where the written rhyme starts. */
static bool valid_parts(const vbi_sylgram *g, const vbi_syl *s, int *onset_ix, size_t *rstart,
                        bool *gi_alone)
{
    size_t ol;
    int oi = split_onset(g, s, &ol);
    *gi_alone = false;
    if (oi == -2) return false;
    const char *r = s->l + ol;
    size_t rl = s->n - ol;
    bool is_gi = oi >= 0 && ol == 2 && s->l[0] == 'g' && s->l[1] == 'i';
    bool is_qu = oi >= 0 && ol == 2 && s->l[0] == 'q';
    *onset_ix = oi;
    *rstart = ol;
    if (is_gi) {
        if (rl == 0) {
            *gi_alone = true;
            return true;
        }
        char tmp[VBI_SYL_MAX + 2];
        tmp[0] = 'i';
        memcpy(tmp + 1, r, rl);
        if (!rhyme_has(g, r, rl) && !rhyme_has(g, tmp, rl + 1)) return false;
    } else {
        if (!rhyme_has(g, r, rl)) return false;
        if (is_qu && (r[0] == 'u' || r[0] == 'o')) return false;
        if (!is_qu && rl >= 2 && r[0] == 'y' && (r[1] == 'n' || r[1] == 'c' || r[1] == 't'))
            return false;
        if (oi >= 0) {
            bool fr = r[0] == 'i' || r[0] == 'e' || r[0] == 'E' || r[0] == 'y';
            if (g->back[oi] && fr) return false;
            if (g->front[oi] && !fr) return false;
            if (g->front[oi] && r[0] == 'y' && s->l[0] != 'k') return false;
        } else if (r[0] == 'y' && rl >= 2 && r[1] != 'E') {
            return false;
        }
    }
    /* tone restriction after a checked coda */
    size_t v = s->n;
    while (v > ol && !is_vowel(s->l[v - 1])) v--;
    if (v < s->n && checked_coda(g, s->l + v) && s->tone != 2 && s->tone != 5) return false;
    return true;
}

bool vbi_syl_valid(const vbi_sylgram *g, const vbi_syl *s)
{
    int oi;
    size_t rs;
    bool gi;
    return s->n > 0 && valid_parts(g, s, &oi, &rs, &gi);
}

int vbi_syl_tone_pos(const vbi_sylgram *g, const vbi_syl *s, int style)
{
    int oi;
    size_t rs;
    bool gi;
    if (!valid_parts(g, s, &oi, &rs, &gi)) return -1;
    if (gi) return 1; /* gì */
    size_t a = rs, b = rs;
    while (b < s->n && is_vowel(s->l[b])) b++;
    if (b == a) return -1;
    bool coda = b < s->n;
    int last_mod = -1;
    for (size_t i = a; i < b; i++)
        if (is_modified(s->l[i])) last_mod = (int)i;
    if (last_mod >= 0) return last_mod;
    size_t len = b - a;
    if (coda || len == 1) return (int)(b - 1);
    if (len >= 3) return (int)(a + 1);
    char x = s->l[a], y = s->l[a + 1];
    bool pair = (x == 'o' && (y == 'a' || y == 'e')) || (x == 'u' && y == 'y');
    if (pair && style == VBI_STYLE_MODERN) return (int)(a + 1);
    return (int)a;
}

int vbi_syl_style(const vbi_sylgram *g, const vbi_syl *s)
{
    if (!s->tone) return -1;
    int t = vbi_syl_tone_pos(g, s, VBI_STYLE_TRADITIONAL);
    int m = vbi_syl_tone_pos(g, s, VBI_STYLE_MODERN);
    if (t == m) return -1;
    if (s->tpos == t) return VBI_STYLE_TRADITIONAL;
    if (s->tpos == m) return VBI_STYLE_MODERN;
    return -1;
}

static size_t put_cp(int32_t c, char *o)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | (c >> 12));
    o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
}

size_t vbi_syl_render(const vbi_sylgram *g, const vbi_syl *s, int style, int ncase, char *out)
{
    int tp = s->tone ? vbi_syl_tone_pos(g, s, style) : -1;
    if (s->tone && tp < 0) tp = s->tpos; /* invalid syllable: keep where it was */
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++) {
        int up = ncase == VBI_CASE_UPPER || (ncase == VBI_CASE_TITLE && i == 0);
        int t = (int)i == tp ? s->tone : 0;
        int32_t c = g->out[(unsigned char)s->l[i]][t][up];
        if (!c) c = g->out[(unsigned char)s->l[i]][0][up];
        o += put_cp(c, out + o);
    }
    out[o] = 0;
    return o;
}

size_t vbi_syl_key(const vbi_sylgram *g, const vbi_syl *s, char *out)
{
    return vbi_syl_render(g, s, VBI_STYLE_TRADITIONAL, VBI_CASE_LOWER, out);
}

size_t vbi_syl_skeleton(const vbi_syl *s, char *out)
{
    for (size_t i = 0; i < s->n; i++) out[i] = base_of(s->l[i]);
    out[s->n] = 0;
    return s->n;
}
