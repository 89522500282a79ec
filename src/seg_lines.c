/* seg_lines.c - cut lines that OCR, a PDF text layer or a table export
 * flattened into one, so that each header item, list item and signature line
 * stands on a line of its own:
 *   "UBND TỈNH X CỘNG HÒA XÃ HỘI …"          issuer | national header
 *   "CỘNG HÒA … Độc lập - Tự do - Hạnh phúc"   national header | motto
 *   "BỘ X -------"                             issuer | rule
 *   "Số: 12/UBND-KT V/v … Hà Nội, ngày …"      number | V/v … | place and date
 *   "… Kính gửi: Sở X. Thực hiện …"            Kính gửi: Sở X. | Thực hiện …
 *   "Nơi nhận: - A; - B;"                      Nơi nhận: | - A; | - B;
 *   "- Lưu: VT; KT. THỦ TƯỚNG"                 - Lưu: VT; | KT. THỦ TƯỚNG
 *   "KT. BỘ TRƯỞNG THỨ TRƯỞNG Nguyễn Văn A"    KT. BỘ TRƯỞNG | THỨ TRƯỞNG | Nguyễn Văn A
 * The pieces are lines like any other: each keeps its place in the normalized
 * text, so every span still points at the input.  Only lines that start the
 * way a header, a list or a signature starts are looked into, with a cheap
 * byte test first; body sentences are left whole.
 */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

#define MAX_CUTS 32

typedef struct {
    vanban_parser *p;
    const char *s; /* the line */
    size_t n;
    size_t cut[MAX_CUTS];
    size_t ncut;
} cutter;

static void add_cut(cutter *c, size_t k)
{
    if (k == 0 || k >= c->n || c->ncut == MAX_CUTS) return;
    for (size_t i = 0; i < c->ncut; i++)
        if (c->cut[i] == k) return;
    c->cut[c->ncut++] = k;
}

static bool starts(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    return n >= m && !memcmp(s, w, m);
}

/* Find rule r in s[from, n): its start and end, or false. */
static bool find(cutter *c, vbi_rule_id r, size_t from, size_t *so, size_t *eo)
{
    if (from >= c->n || !vbi_match(c->p, r, c->s, c->n, from)) return false;
    vbi_group0(c->p, so, eo);
    return true;
}

static bool is_sep_char(const unsigned char *s, size_t n, size_t k, size_t *adv)
{
    if (s[k] == '-' || s[k] == '_' || s[k] == '=') { *adv = 1; return true; }
    if (k + 2 < n && s[k] == 0xE2 && s[k + 1] == 0x80 && (s[k + 2] == 0x93 || s[k + 2] == 0x94)) {
        *adv = 3; /* – — */
        return true;
    }
    return false;
}

/* Runs of three or more rule characters between spaces: cut around them. */
static void cut_rules(cutter *c)
{
    const unsigned char *s = (const unsigned char *)c->s;
    for (size_t k = 0; k < c->n;) {
        size_t adv, e = k, cnt = 0;
        while (e < c->n && is_sep_char(s, c->n, e, &adv)) { e += adv; cnt++; }
        if (cnt >= 3 && (k == 0 || s[k - 1] == ' ') && (e == c->n || s[e] == ' ')) {
            add_cut(c, k);
            add_cut(c, e);
        }
        k = e > k ? e : k + 1;
    }
}

/* The place before ", ngày d tháng m năm y": capitalised words (and "phố",
   "xã" of a city's or town's name) right before the comma. */
static size_t place_start(const char *s, size_t comma)
{
    size_t k = comma, start = comma;
    for (;;) {
        while (k > 0 && s[k - 1] == ' ') k--;
        size_t e = k;
        while (k > 0 && s[k - 1] != ' ') k--;
        if (k == e) break;
        unsigned char f = (unsigned char)s[k];
        bool cap = (f >= 'A' && f <= 'Z') || f == 0xC3 || f == 0xC4 || f == 0xC6 || f == 0xE1;
        if (f >= 0x80) { /* an upper-case letter? decode it */
            size_t adv;
            int32_t cp = vbi_utf8_decode(s + k, e - k, &adv);
            cap = vbi_is_letter_cp(cp) && !vbi_is_lower_cp(cp);
        }
        bool town = (e - k == 5 && !memcmp(s + k, "phố", 5)) || (e - k == 3 && !memcmp(s + k, "xã", 3));
        if (!cap && !town) break;
        start = k;
        if (comma - start > 48) break;
    }
    return start;
}

/* Date lines inside the line from `from` on: cut before their place. */
static void cut_datelines(cutter *c, size_t from)
{
    size_t so, eo;
    while (find(c, R_DATE_CUE, from, &so, &eo)) {
        size_t k = so;
        while (k > from && c->s[k - 1] == ' ') k--;
        if (k > from && c->s[k - 1] == ',') add_cut(c, place_start(c->s, k - 1));
        else add_cut(c, so);
        from = eo;
    }
}

/* Cues inside the line: "V/v", "Kính gửi:", "Nơi nhận:", signing markers. */
static void cut_body_after(cutter *c, size_t from);

static void cut_cues(cutter *c, size_t from, bool markers)
{
    size_t so, eo, a, b;
    while (find(c, R_SPLIT_CUE, from, &so, &eo)) {
        bool mk = vbi_group(c->p, R_SPLIT_CUE, "mk", &a, &b);
        if (!mk || markers) add_cut(c, so);
        /* "… Kính gửi: Sở X. Thực hiện …": the body follows the addressee */
        if (!mk && c->s[so] == 'K') cut_body_after(c, eo);
        from = eo > so ? eo : so + 1;
    }
}

/* "Kính gửi: Sở X. Thực hiện …": the body starts after the addressee. */
static void cut_body_after(cutter *c, size_t from)
{
    for (size_t k = from; k + 2 < c->n; k++)
        if ((c->s[k] == '.' || c->s[k] == ';') && c->s[k + 1] == ' ' &&
            vbi_match(c->p, R_BODY_START, c->s + k + 2, c->n - k - 2, 0)) {
            add_cut(c, k + 2);
            return;
        }
}

/* "…; - B; - C" and "Nơi nhận: - A": a dash after punctuation starts an item. */
static void cut_items(cutter *c)
{
    const unsigned char *s = (const unsigned char *)c->s;
    for (size_t k = 1; k + 2 < c->n; k++) {
        if (s[k] != ' ') continue;
        size_t d = k + 1;
        bool dash = s[d] == '-' || s[d] == '+' || s[d] == '~' ||
                    (d + 2 < c->n && s[d] == 0xE2 && s[d + 1] == 0x80 &&
                     (s[d + 2] == 0x93 || s[d + 2] == 0xA2));
        size_t after = d + (s[d] < 0x80 ? 1 : 3);
        if (!dash || after >= c->n || s[after] != ' ') continue;
        size_t q = k;
        while (q > 0 && s[q - 1] == ' ') q--;
        if (q > 0 && strchr(";:,.)", s[q - 1])) add_cut(c, d);
    }
}

/* A line that starts with a signing marker: cut before further markers, the
   post (the title under the marker) and the signer's name. */
/* "THỦ TƯỚNG Nguyễn Tấn Dũng", "PHÓ CHỦ TỊCH LÂM HẢI GIANG": a post and a
   name (in capitals: a family name two to five words from the end). */
static void cut_post_name(cutter *c, size_t a, size_t b)
{
    /* two posts: the one the signer signs in and the office they hold
       ("TRƯỞNG BAN PHÓ THỦ TƯỚNG", a steering committee's head) */
    size_t t0, t1;
    if (vbi_match(c->p, R_SIGN_TITLE, c->s + a, b - a, 0)) {
        vbi_group0(c->p, &t0, &t1);
        size_t q = a + t1;
        while (q < b && c->s[q] == ' ') q++;
        if (q > a + t1 && q < b && vbi_match(c->p, R_SIGN_TITLE, c->s + q, b - q, 0)) add_cut(c, q);
    }
    /* the name: the first word with a lower-case letter ("Lê", "Hồ": the
       letter may be a multi-byte one) */
    size_t k = a;
    while (k < b) {
        while (k < b && c->s[k] == ' ') k++;
        size_t e = k;
        while (e < b && c->s[e] != ' ') e++;
        if (e > k && !no_lower(c->s + k, e - k)) break;
        k = e;
    }
    if (k > a && k < b) {
        if (vbi_match(c->p, R_PERSON_NAME, c->s + k, b - k, 0)) add_cut(c, k);
        return;
    }
    if (!no_lower(c->s + a, b - a)) return;
    size_t starts[8], ns = 0;
    for (size_t q = b; q > a && ns < 5;) {
        while (q > a && c->s[q - 1] == ' ') q--;
        while (q > a && c->s[q - 1] != ' ') q--;
        starts[ns++] = q;
    }
    for (size_t i = 2; i <= ns && i <= 5; i++) { /* the shortest name first */
        size_t q = starts[i - 1];
        if (q > a && vbi_match(c->p, R_CAPS_NAME, c->s + q, b - q, 0) &&
            vbi_match(c->p, R_SIGN_TITLE, c->s + a, q - a, 0)) {
            add_cut(c, q);
            return;
        }
    }
}

/* A line that starts with a signing marker: cut before further markers, the
   post (the title under the marker) and the signer's name. */
static void cut_signature(cutter *c, size_t from, size_t to)
{
    size_t a, b;
    /* the name: the first word with a lower-case letter after the caps */
    size_t name = to;
    for (size_t k = from; k < to; k++) {
        if (c->s[k] == ' ' || (k > from && c->s[k - 1] != ' ')) continue;
        size_t e = k;
        while (e < to && c->s[e] != ' ') e++;
        if (!no_lower(c->s + k, e - k)) {
            name = k;
            break;
        }
        k = e;
    }
    if (name < to && vbi_match(c->p, R_PERSON_NAME, c->s + name, to - name, 0)) add_cut(c, name);
    else name = to;
    /* the post: where a title starts after the marker's own words ("KT. BỘ
       TRƯỞNG" | "THỨ TRƯỞNG"; "TL. TỔNG CỤC TRƯỞNG" is the marker's title
       whole); after KT. it is a deputy's ("PHÓ …", "THỨ TRƯỞNG") */
    size_t mend = from;
    if (vbi_match(c->p, R_SIGN_MARKER, c->s + from, name - from, 0) &&
        vbi_group(c->p, R_SIGN_MARKER, "m", &a, &b))
        mend = from + b;
    while (mend < name && c->s[mend] == ' ') mend++;
    size_t own = mend;
    if (vbi_match(c->p, R_SIGN_TITLE, c->s + mend, name - mend, 0)) {
        vbi_group0(c->p, &a, &b);
        own = mend + b;
    } else {
        while (own < name && c->s[own] != ' ') own++; /* at least one word */
    }
    bool deputy = c->s[from] == 'K';
    for (size_t k = own + 1; k < name; k++) {
        if (c->s[k] == ' ' || c->s[k - 1] != ' ') continue;
        if (!vbi_match(c->p, R_SIGN_TITLE, c->s + k, name - k, 0)) continue;
        if (deputy && !starts(c->s + k, name - k, "PHÓ") && !starts(c->s + k, name - k, "THỨ"))
            continue;
        add_cut(c, k);
        if (name == to) cut_post_name(c, k, to);
        break;
    }
}

/* A post in capitals at the end of a list item, after its punctuation. */
static void cut_trailing_post(cutter *c, size_t a, size_t b)
{
    for (size_t k = a + 2; k < b; k++) {
        if (c->s[k - 1] != ' ' || c->s[k] == ' ') continue;
        size_t q = k - 1;
        while (q > a && c->s[q - 1] == ' ') q--;
        if (q == a || !strchr(".;),:", c->s[q - 1])) continue;
        size_t e = k;
        while (e < b && (no_lower(c->s + e, 1) || c->s[e] == ' ')) e++;
        while (e > k && e < b && c->s[e - 1] != ' ') e--; /* back to a word start */
        if (e == b || vbi_match(c->p, R_PERSON_NAME, c->s + e, b - e, 0)) {
            if (vbi_match(c->p, R_SIGN_TITLE, c->s + k, (e == b ? b : e) - k, 0)) {
                add_cut(c, k);
                if (e < b) add_cut(c, e);
                return;
            }
        }
    }
}

/* Where to cut line text s[0, n). */
/* Does the line hold "; - Lưu" (a dash item after punctuation that files
   the copies: the last item of every distribution list)? */
static bool luu_item(const char *s, size_t n)
{
    for (const char *q = s; (q = seg_find(q, n - (size_t)(q - s), "Lưu", strlen("Lưu")));
         q += strlen("Lưu")) {
        size_t k = (size_t)(q - s);
        while (k > 0 && s[k - 1] == ' ') k--;
        if (k >= 3 && (unsigned char)s[k - 3] == 0xE2 && (unsigned char)s[k - 2] == 0x80 &&
            (unsigned char)s[k - 1] == 0x93)
            k -= 3; /* – */
        else if (k >= 1 && strchr("-~+", s[k - 1]))
            k--;
        else
            continue;
        while (k > 0 && s[k - 1] == ' ') k--;
        if (k > 0 && strchr(";,.", s[k - 1])) return true;
    }
    return false;
}

static void find_cuts(cutter *c)
{
    const char *s = c->s;
    size_t n = c->n, so, eo;
    if (n < 8) return;
    if (seg_has(s, n, "---") || seg_has(s, n, "___") || seg_has(s, n, "===") || seg_has(s, n, "\xE2\x80\x94\xE2\x80\x94"))
        cut_rules(c);
    /* issuer | national header | motto */
    if ((seg_has(s, n, "CỘNG H") || seg_has(s, n, "NG CỘNG")) && /* ĐẢNG, or its tone misread */
        (find(c, R_NATIONAL_STATE, 0, &so, &eo) || find(c, R_NATIONAL_PARTY, 0, &so, &eo)) &&
        no_lower(s, so) && mostly_caps(s + so, eo - so)) {
        add_cut(c, so);
        add_cut(c, eo);
        size_t mo, me;
        if (find(c, R_MOTTO, eo, &mo, &me)) {
            add_cut(c, mo);
            add_cut(c, me);
        }
        return;
    }
    unsigned char c0 = (unsigned char)s[0], c1 = (unsigned char)s[1];
    bool dash0 = c0 == '-' || c0 == '+' || c0 == '~' || c0 == 0xE2; /* - + ~ – • */
    bool num = (starts(s, n, "Số") || starts(s, n, "SỐ") || starts(s, n, "So")) &&
               find(c, R_NUMBER, 0, &so, &eo) && so == 0;
    if (num || (c0 == 'V' && vbi_match(c->p, R_VV, s, n, 0))) {
        size_t from = num ? eo : 3;
        cut_cues(c, from, false);
        cut_datelines(c, from);
        return;
    }
    if ((c0 == 'K' || dash0) && vbi_match(c->p, R_KINH_GUI, s, n, 0)) {
        cut_items(c);
        cut_body_after(c, 0);
        return;
    }
    bool sign = (c0 == 'T' || c0 == 'K' || c0 == 'Q') && vbi_match(c->p, R_SIGN_MARKER, s, n, 0);
    bool list = ((c0 == 'N' || c1 == 'N' || dash0) && vbi_match(c->p, R_NOI_NHAN, s, n, 0)) ||
                (dash0 && vbi_match(c->p, R_LIST_ITEM, s, n, 0));
    if (!sign && !list) {
        /* "… thi hành Nghị định này./. Nơi nhận: …" flattened into the body */
        const char *nn = seg_find(s, n, "Nơi nhận:", strlen("Nơi nhận:"));
        size_t q = nn ? (size_t)(nn - s) : 0;
        while (q > 0 && s[q - 1] == ' ') q--;
        if (nn && q > 0 && nn[-1] == ' ' && strchr(".;", s[q - 1])) {
            add_cut(c, (size_t)(nn - s));
            list = true;
        }
    }
    /* the wrapped tail of a flattened list: "các Vụ, Cục, Công báo; - Lưu: VT" */
    if (!sign && !list && luu_item(s, n)) list = true;
    if (list) {
        cut_items(c);
        cut_cues(c, 1, true);
    }
    if (sign) cut_cues(c, 3, true);
    if (!sign && !list && !((c0 >= 'A' && c0 <= 'Z') || c0 >= 0xC3)) return;
    if (!sign && !list && !vbi_match(c->p, R_SIGN_TITLE, s, n, 0)) return;
    /* each piece: a marker line gets its post and name cut; a list item its
       trailing post ("- Lưu: VT, CS (2b). PHÓ VỤ TRƯỞNG"); a post its name */
    size_t pts[MAX_CUTS + 2], np = 0;
    pts[np++] = 0;
    for (size_t i = 0; i < c->ncut; i++) pts[np++] = c->cut[i];
    for (size_t i = 0; i < np; i++) {
        size_t a = pts[i], b = n;
        for (size_t j = 0; j < np; j++)
            if (pts[j] > a && pts[j] < b) b = pts[j];
        while (a < b && s[a] == ' ') a++;
        if (a >= b) continue;
        if (vbi_match(c->p, R_SIGN_MARKER, s + a, b - a, 0)) cut_signature(c, a, b);
        else if (vbi_match(c->p, R_SIGN_TITLE, s + a, b - a, 0)) cut_post_name(c, a, b);
        else cut_trailing_post(c, a, b);
    }
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Letters, case and last character of text [s, s+n): the shape flags. */
static uint16_t shape(const char *s, size_t n, uint32_t *nchars)
{
    size_t letters = 0, lowers = 0, cps = 0;
    int first = 0;
    int32_t last = 0;
    for (size_t k = 0; k < n;) {
        size_t adv;
        int32_t c = vbi_utf8_decode(s + k, n - k, &adv);
        k += adv ? adv : 1;
        cps++;
        if (vbi_is_letter_cp(c)) {
            bool lo = vbi_is_lower_cp(c);
            if (!first) first = lo ? 1 : 2;
            letters++;
            lowers += lo;
        }
        last = c;
    }
    *nchars = (uint32_t)cps;
    uint16_t f = 0;
    if (n == 0) f |= VBI_L_BLANK;
    if (letters >= 2 && lowers == 0) f |= VBI_L_CAPS;
    if (first == 1) f |= VBI_L_LOWER;
    if (last == '.' || last == ':' || last == ';' || last == '!' || last == '?') f |= VBI_L_PUNCT_END;
    return f;
}

/* Does the cell text s[0, n) end where a header item goes on in the next
   cell: "Số: 904" | "/BC-SNNMT", "ngày 23 tháng" | "7" | "năm 2026" (a blank
   left for the number or the day, filled in by hand, made columns of it)? */
static bool open_end(const char *s, size_t n)
{
    while (n && s[n - 1] >= '0' && s[n - 1] <= '9') n--;
    while (n && s[n - 1] == ' ') n--;
    if (n && s[n - 1] == ':') n--;
    static const char *const ends[] = {"Số", "SỐ", "ngày", "tháng", "năm", "Ngày", "NGÀY", "THÁNG"};
    for (size_t k = 0; k < sizeof ends / sizeof *ends; k++) {
        size_t m = strlen(ends[k]);
        if (n >= m && !memcmp(s + n - m, ends[k], m) && (n == m || s[n - m - 1] == ' ' ||
                                                         s[n - m - 1] == ','))
            return true;
    }
    return false;
}

static bool goes_on(const char *s, size_t n)
{
    return n && ((s[0] >= '0' && s[0] <= '9') || s[0] == '/' || (n >= 5 && !memcmp(s, "năm", 4)) ||
                 (n >= 6 && !memcmp(s, "tháng", 6)));
}

/* "Số: 01/2022/TTLT-VKSNDTC-" / "TANDTC-BCA-BQP-BLĐTBXH": a number line
   whose symbol runs on to the next line. */
static bool number_runs_on(const char *s, size_t n, const char *t, size_t m)
{
    if (n < 6 || s[n - 1] != '-' || !(s[n - 2] >= 'A' && s[n - 2] <= 'Z') ||
        !(!memcmp(s, "Số", 3) || !memcmp(s, "SỐ", 3)))
        return false;
    if (!m || m > 40 || !no_lower(t, m)) return false;
    for (size_t k = 0; k < m; k++)
        if (t[k] == ' ') return false;
    return true;
}

/* Join such cells back into one line (their texts are adjacent). */
static void merge_cells(vanban_parser *p)
{
    vbi_line *L = p->lines;
    size_t w = 0;
    for (size_t i = 0; i < p->nlines; i++) {
        bool merge = false;
        if (w > 0 && (L[i].flags & VBI_L_CELL) && !(L[i].flags & VBI_L_BLANK) &&
            !(L[w - 1].flags & VBI_L_BLANK) && L[w - 1].off + L[w - 1].len == L[i].off &&
            L[w - 1].len < 200 && open_end(p->text.p + L[w - 1].off, L[w - 1].len) &&
            goes_on(p->text.p + L[i].off, L[i].len)) {
            merge = true;
        } else if (w > 0 && !(L[i].flags & VBI_L_BLANK) && L[w - 1].off + L[w - 1].len == L[i].off &&
                   number_runs_on(p->text.p + L[w - 1].off, L[w - 1].len, p->text.p + L[i].off,
                                  L[i].len)) {
            merge = true;
        }
        if (merge) {
            vbi_line *m = &L[w - 1];
            m->len += L[i].len;
            m->nchars += L[i].nchars;
            m->oend = L[i].oend;
            m->flags &= (uint16_t)~(VBI_L_CAPS | VBI_L_PUNCT_END);
            m->flags |= L[i].flags & VBI_L_PUNCT_END;
            continue;
        }
        L[w++] = L[i];
    }
    p->nlines = w;
}

int seg_split_lines(vanban_parser *p)
{
    merge_cells(p);
    vbi_line *out = NULL;
    size_t nout = 0, cap = 0;
    bool any = false;
    const uint16_t keep = VBI_L_BOLD | VBI_L_ITALIC | VBI_L_HEADING | VBI_L_PLAIN;
    for (size_t i = 0; i < p->nlines; i++) {
        vbi_line l = p->lines[i];
        cutter c = {p, p->text.p + l.off, l.len, {0}, 0};
        if (!(l.flags & VBI_L_BLANK)) find_cuts(&c);
        if (!c.ncut && !any) continue; /* nothing cut yet: lines stay in place */
        if (!any) {
            any = true;
            cap = p->nlines + 64;
            out = malloc(cap * sizeof *out);
            if (!out) return VANBAN_ENOMEM;
            memcpy(out, p->lines, i * sizeof *out);
            nout = i;
        }
        if (nout + c.ncut + 1 > cap) {
            size_t ncap = cap * 2 + c.ncut + 1;
            vbi_line *q = realloc(out, ncap * sizeof *q);
            if (!q) { free(out); return VANBAN_ENOMEM; }
            out = q;
            cap = ncap;
        }
        if (!c.ncut) { out[nout++] = l; continue; }
        qsort(c.cut, c.ncut, sizeof *c.cut, cmp_size);
        size_t a = 0;
        for (size_t k = 0; k <= c.ncut; k++) {
            size_t b = k < c.ncut ? c.cut[k] : l.len;
            size_t s0 = a, e0 = b;
            while (s0 < e0 && c.s[s0] == ' ') s0++;
            while (e0 > s0 && c.s[e0 - 1] == ' ') e0--;
            a = b;
            if (s0 == e0) continue;
            vbi_line m = l;
            m.off = l.off + (uint32_t)s0;
            m.len = (uint32_t)(e0 - s0);
            m.moff = l.moff + (uint32_t)s0;
            m.ostart = p->ms[m.off];
            m.oend = p->me[m.off + m.len - 1];
            m.flags = (uint16_t)((l.flags & keep) | shape(c.s + s0, e0 - s0, &m.nchars));
            if (s0 > 0 || (l.flags & VBI_L_CELL)) m.flags |= VBI_L_CELL;
            out[nout++] = m;
        }
    }
    if (!any) return 0;
    free(p->lines);
    p->lines = out;
    p->nlines = nout;
    p->lcap = cap;
    return 0;
}
