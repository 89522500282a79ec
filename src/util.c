/* util.c - buffers, arena, SHA-256, status strings. */
#include <stdlib.h>
#include <string.h>

#include "private.h"

const char *vanban_version(void) { return VANBAN_VERSION_STRING; }

const char *vanban_strerror(int status)
{
    switch (status) {
    case VANBAN_OK: return "success";
    case VANBAN_ENOMEM: return "out of memory";
    case VANBAN_EINVAL: return "invalid argument";
    case VANBAN_EGRAMMAR: return "grammar error";
    case VANBAN_EIO: return "cannot read grammar file";
    case VANBAN_ENOTTEXT: return "not text";
    case VANBAN_ETOOBIG: return "input too large";
    case VANBAN_ESTATE: return "call out of order";
    case VANBAN_EWRITE: return "write failed";
    default: return "unknown status";
    }
}

int vbi_buf_reserve(vbi_buf *b, size_t add)
{
    if (b->cap - b->len >= add) return 0;
    size_t need = b->len + add;
    if (need < b->len) return VANBAN_ENOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) return VANBAN_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int vbi_buf_put(vbi_buf *b, const void *src, size_t n)
{
    if (n == 0) return 0;
    if (vbi_buf_reserve(b, n)) return VANBAN_ENOMEM;
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

void vbi_buf_free(vbi_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

struct vbi_arena_chunk {
    vbi_arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *vbi_arena_alloc(vbi_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0) n = sizeof(max_align_t);
    vbi_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = 64 * 1024;
        if (n > cap) cap = n;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *r = (char *)c->data + c->used;
    c->used += n;
    return r;
}

char *vbi_arena_strndup(vbi_arena *a, const char *s, size_t n)
{
    char *r = vbi_arena_alloc(a, n + 1);
    if (!r) return NULL;
    if (n) memcpy(r, s, n);
    r[n] = 0;
    return r;
}

void vbi_arena_free(vbi_arena *a)
{
    vbi_arena_chunk *c = a->head;
    while (c) {
        vbi_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

/* SHA-256 (FIPS 180-4). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(vbi_sha256 *c, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5],
             g = c->h[6], h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + K[i] + w[i];
        uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t mj = (a & b) ^ (a & cc) ^ (b & cc);
        uint32_t t2 = S0 + mj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
    c->h[5] += f;
    c->h[6] += g;
    c->h[7] += h;
}

void vbi_sha256_init(vbi_sha256 *c)
{
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, H0, sizeof H0);
    c->nbytes = 0;
    c->nblk = 0;
}

void vbi_sha256_update(vbi_sha256 *c, const void *data, size_t n)
{
    const unsigned char *p = data;
    c->nbytes += n;
    if (c->nblk) {
        size_t k = 64 - c->nblk;
        if (k > n) k = n;
        memcpy(c->blk + c->nblk, p, k);
        c->nblk += k;
        p += k;
        n -= k;
        if (c->nblk == 64) {
            sha_block(c, c->blk);
            c->nblk = 0;
        }
    }
    while (n >= 64) {
        sha_block(c, p);
        p += 64;
        n -= 64;
    }
    if (n) {
        memcpy(c->blk, p, n);
        c->nblk = n;
    }
}

void vbi_sha256_final(vbi_sha256 *c, char hex[65])
{
    uint64_t bits = c->nbytes * 8;
    unsigned char pad = 0x80;
    vbi_sha256_update(c, &pad, 1);
    unsigned char z = 0;
    while (c->nblk != 56) vbi_sha256_update(c, &z, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    vbi_sha256_update(c, len, 8);
    static const char *x = "0123456789abcdef";
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) {
            unsigned v = (c->h[i] >> (24 - 8 * j)) & 0xff;
            hex[i * 8 + j * 2] = x[v >> 4];
            hex[i * 8 + j * 2 + 1] = x[v & 15];
        }
    hex[64] = 0;
}

uint64_t vbi_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

size_t vbi_map_lower_bound(const uint32_t *map, size_t n, size_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (map[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int32_t vbi_utf8_decode(const char *s, size_t n, size_t *adv)
{
    /* s is valid UTF-8 (normalized text) */
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0) { *adv = 0; return -1; }
    if (u[0] < 0x80) { *adv = 1; return u[0]; }
    if ((u[0] & 0xe0) == 0xc0 && n >= 2) { *adv = 2; return ((u[0] & 0x1f) << 6) | (u[1] & 0x3f); }
    if ((u[0] & 0xf0) == 0xe0 && n >= 3) {
        *adv = 3;
        return ((u[0] & 0x0f) << 12) | ((u[1] & 0x3f) << 6) | (u[2] & 0x3f);
    }
    if (n >= 4) {
        *adv = 4;
        return ((u[0] & 0x07) << 18) | ((u[1] & 0x3f) << 12) | ((u[2] & 0x3f) << 6) | (u[3] & 0x3f);
    }
    *adv = 1;
    return 0xfffd;
}

/* A calendar date; y == 0 means the year is not known yet (any year). */
bool vbi_valid_date(int y, int m, int d)
{
    static const int md[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > md[m - 1]) return false;
    if (y == 0) return true; /* year not known yet */
    if (y < 1900 || y > 2100) return false;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* YYYY-MM-DD */
void vbi_format_date(char out[11], int y, int m, int d)
{
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = 0;
}
