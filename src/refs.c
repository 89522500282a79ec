/* refs.c - references: citations of other documents, aggregated per document.
 *
 * The document's header lines and content paragraphs are joined into one text
 * (vbi_jtext) whose bytes map back to the normalized text, and from there to
 * the original input.  One left-to-right scan with the ref_cite rule finds
 * every citation; the ref_tail rule, anchored at its end, reads the date, the
 * issuer, the Party term and the subject; ref_before reads a date and issuer
 * written before it ("Ngày 05 tháng 01 năm 2022, Ban Bí thư ban hành …").
 * Short forms ("Chỉ thị 12", "Quy chế 272") are resolved to a full citation of
 * the same document afterwards, and mentions are aggregated by type + number
 * (or type + name for laws).  Work is linear in the text: every rule runs over
 * a bounded window or from the end of the previous citation.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define BEFORE_WINDOW 320 /* bytes looked at before a citation */

/* ---- joined text ---------------------------------------------------------- */

static int jt_reserve(vbi_jtext *j, size_t add)
{
    if (vbi_buf_reserve(&j->b, add)) return VANBAN_ENOMEM;
    if (j->b.len + add > j->mcap) {
        size_t cap = j->mcap ? j->mcap : 1024;
        while (cap < j->b.len + add) cap *= 2;
        uint32_t *m = realloc(j->map, cap * sizeof *m);
        if (!m) return VANBAN_ENOMEM;
        j->map = m;
        j->mcap = cap;
    }
    return 0;
}

int vbi_jtext_add(vbi_jtext *j, const char *t, size_t off, size_t len)
{
    while (len && t[off] == ' ') { off++; len--; }
    while (len && t[off + len - 1] == ' ') len--;
    if (!len) return 0;
    if (jt_reserve(j, len)) return VANBAN_ENOMEM;
    memcpy(j->b.p + j->b.len, t + off, len);
    for (size_t k = 0; k < len; k++) j->map[j->b.len + k] = (uint32_t)(off + k);
    j->b.len += len;
    return 0;
}

int vbi_jtext_sep(vbi_jtext *j, char c)
{
    if (!j->b.len || j->b.p[j->b.len - 1] == '\n') return 0;
    if (c == ' ' && j->b.p[j->b.len - 1] == ' ') return 0;
    if (j->b.p[j->b.len - 1] == ' ') j->b.len--; /* '\n' replaces a pending space */
    if (jt_reserve(j, 1)) return VANBAN_ENOMEM;
    j->map[j->b.len] = j->b.len ? j->map[j->b.len - 1] : 0;
    j->b.p[j->b.len++] = c;
    return 0;
}

void vbi_jtext_free(vbi_jtext *j)
{
    vbi_buf_free(&j->b);
    free(j->map);
    j->map = NULL;
    j->mcap = 0;
}

vbi_span vbi_jtext_span(const vbi_jtext *j, const vanban_parser *p, size_t s, size_t e)
{
    vbi_span sp = {VBI_NONE, VBI_NONE};
    while (s < e && (j->b.p[s] == ' ' || j->b.p[s] == '\n')) s++;
    while (e > s && (j->b.p[e - 1] == ' ' || j->b.p[e - 1] == '\n')) e--;
    if (e <= s) return sp;
    sp.s = p->ms[j->map[s]];
    sp.e = p->me[j->map[e - 1]];
    return sp;
}

/* ---- dates ---------------------------------------------------------------- */

static const struct {
    const char *w;
    int m;
} month_words[] = {{"Giêng", 1}, {"Chạp", 12}, {"Mười một", 11}, {"Mười Một", 11},
                   {"Mười hai", 12}, {"Mười Hai", 12}, {"Một", 1}, {"Hai", 2},
                   {"Ba", 3},      {"Tư", 4},     {"Năm", 5},      {"Sáu", 6},
                   {"Bảy", 7},     {"Tám", 8},    {"Chín", 9},     {"Mười", 10}};

static size_t digits(const char *s, size_t n, size_t i, int *v)
{
    size_t k = i;
    *v = 0;
    while (k < n && k - i < 4 && s[k] >= '0' && s[k] <= '9') *v = *v * 10 + (s[k++] - '0');
    return k - i;
}

static size_t skip_sp(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) i++;
    return i;
}

static bool starts(const char *s, size_t n, size_t i, const char *w)
{
    size_t l = strlen(w);
    return n - i >= l && !memcmp(s + i, w, l);
}

bool vbi_parse_date(const char *s, size_t n, int *y, int *m, int *d, bool *has_year)
{
    size_t i = 0, k;
    *y = *m = *d = 0;
    *has_year = false;
    if (!(k = digits(s, n, i, d))) return false;
    i += k;
    while (i < n && s[i] == ' ') i++;
    if (i < n && (s[i] == '/' || s[i] == '-' || s[i] == '.')) {
        i = i + 1;
        while (i < n && s[i] == ' ') i++;
        if (!(k = digits(s, n, i, m))) return false;
        i += k;
        while (i < n && s[i] == ' ') i++;
        if (i >= n || !(s[i] == '/' || s[i] == '-' || s[i] == '.')) return false;
        i++;
        while (i < n && s[i] == ' ') i++;
        if (digits(s, n, i, y) != 4) return false;
        *has_year = true;
        return vbi_valid_date(*y, *m, *d);
    }
    if (!starts(s, n, i, "tháng")) return false;
    i = skip_sp(s, n, i + strlen("tháng"));
    if (!(k = digits(s, n, i, m))) {
        for (size_t w = 0; w < sizeof month_words / sizeof *month_words && !*m; w++)
            if (starts(s, n, i, month_words[w].w)) {
                *m = month_words[w].m;
                k = strlen(month_words[w].w);
            }
        if (!*m) return false;
    }
    i = skip_sp(s, n, i + k);
    if (starts(s, n, i, "năm")) {
        i = skip_sp(s, n, i + strlen("năm"));
        if (digits(s, n, i, y) != 4) return false;
        *has_year = true;
    }
    return vbi_valid_date(*y, *m, *d);
}


/* ---- one citation --------------------------------------------------------- */

typedef struct {
    size_t s, e;          /* the citation in the joined text */
    size_t sub_s, sub_e;  /* its subject, to tell nested citations */
    const char *type;
    char *number, *name;
    char *fold;           /* the name's letters without marks or case (same_name) */
    unsigned long lead;   /* leading digits of the number */
    bool bare;            /* short form without a symbol: "Chỉ thị 12" */
    int y, m, d;
    bool has_date, year_written;
    char *issuer, *subject, *term;
    int rel;
    size_t key;           /* index of the aggregated reference */
} mention;

typedef struct {
    const vbi_docview *v;
    vbi_doc *D;
    vbi_jtext j;
    mention *mv;
    size_t n, cap;
    int doc_year;
} rstate;

static bool grp(rstate *R, vbi_rule_id r, const char *name, size_t base, size_t *so, size_t *eo)
{
    if (!vbi_group(R->v->p, r, name, so, eo)) return false;
    *so += base;
    *eo += base;
    return *eo > *so;
}

static char *adup(rstate *R, const char *s, size_t n)
{
    while (n && (s[0] == ' ' || s[0] == ',')) { s++; n--; }
    while (n && (s[n - 1] == ' ' || s[n - 1] == ',')) n--;
    return vbi_arena_strndup(R->v->arena, s, n);
}

/* "12 CT/TW", "12- KL/TW", "145 / 2020 / NĐ–CP" -> "12-CT/TW", "12-KL/TW",
   "145/2020/NĐ-CP". */
/* "QHI5", "QHI15", "QHl5": the legislature's code read by OCR with an I or l
   for a 1 is QH + two digits. */
static void fix_qh(char *o)
{
    for (char *q = strstr(o, "QH"); q; q = strstr(q + 2, "QH")) {
        char *d = q + 2, digits[4];
        size_t nd = 0, k = 0;
        bool odd = false;
        while (d[k] && d[k] != '-' && d[k] != '/' && k < 4) {
            char c = d[k++];
            if (c >= '0' && c <= '9') {
                if (nd < 3) digits[nd++] = c;
            } else if (c == 'I' || c == 'l' || c == '|') {
                odd = true;
            } else {
                return;
            }
        }
        if (!odd || nd == 0 || nd > 2) continue;
        char fixed[3] = {nd == 1 ? '1' : digits[0], nd == 1 ? digits[0] : digits[1], 0};
        memmove(d + 2, d + k, strlen(d + k) + 1);
        d[0] = fixed[0];
        d[1] = fixed[1];
    }
}

static char *norm_number(rstate *R, const char *s, size_t n)
{
    char *o = vbi_arena_alloc(R->v->arena, n + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') {
            if (k && o[k - 1] >= '0' && o[k - 1] <= '9' && i + 1 < n && s[i + 1] != '/' &&
                s[i + 1] != '-' && (unsigned char)s[i + 1] != 0xE2)
                o[k++] = '-';
            continue;
        }
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x93) { /* en dash */
            o[k++] = '-';
            i += 2;
            continue;
        }
        o[k++] = (char)c;
    }
    o[k] = 0;
    fix_qh(o);
    return o;
}

static int push(rstate *R, const mention *m0)
{
    mention tmp = *m0, *m = &tmp;
    if (m->name) { /* folded once: names are compared often */
        size_t n = strlen(m->name);
        if (!(m->fold = vbi_arena_alloc(R->v->arena, n + 1))) return VANBAN_ENOMEM;
        vbi_fold_base(m->name, n, m->fold, n + 1);
    }
    if (R->n == R->cap) {
        size_t cap = R->cap ? R->cap * 2 : 32;
        mention *v = realloc(R->mv, cap * sizeof *v);
        if (!v) return VANBAN_ENOMEM;
        R->mv = v;
        R->cap = cap;
    }
    R->mv[R->n++] = *m;
    return 0;
}

static int rel_of(const char *s, size_t n)
{
    /* s is the matched relation phrase, lower or upper case first letter */
    static const struct {
        const char *w;
        int r;
    } tab[] = {{"ăn cứ", VBI_REL_CANCU},       {"ửa đổi", VBI_REL_SUADOI},
               {"ổ sung", VBI_REL_SUADOI},     {"hay thế", VBI_REL_THAYTHE},
               {"ãi bỏ", VBI_REL_BAIBO},       {"ướng dẫn", VBI_REL_HUONGDAN},
               {"uy định chi tiết", VBI_REL_HUONGDAN}, {"hực hiện", VBI_REL_THUCHIEN},
               {"riển khai", VBI_REL_THUCHIEN}, {"uán triệt", VBI_REL_THUCHIEN},
               {"heo đề nghị", VBI_REL_OTHER}, {"ét", VBI_REL_OTHER}};
    size_t adv;
    (void)vbi_utf8_decode(s, n, &adv); /* skip the first letter, whatever its case */
    if (!adv || adv > n) return VBI_REL_NONE;
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        size_t l = strlen(tab[i].w);
        if (n - adv >= l && !memcmp(s + adv, tab[i].w, l)) return tab[i].r;
    }
    return VBI_REL_NONE;
}

/* Start of the sentence that holds position s (after '\n', ". ", ": "). */
static size_t sentence_start(const char *t, size_t s)
{
    size_t lim = s > 2000 ? s - 2000 : 0;
    for (size_t k = s; k > lim; k--) {
        char c = t[k - 1];
        if (c == '\n') return k;
        if ((c == ' ') && k >= 2 && (t[k - 2] == '.' || t[k - 2] == ':')) return k;
    }
    return lim;
}

static size_t char_start(const char *t, size_t i)
{
    while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80) i--;
    return i;
}

static void take_date(rstate *R, mention *m, vbi_rule_id r, const char *name, size_t base)
{
    size_t a, b;
    if (m->has_date || !grp(R, r, name, base, &a, &b)) return;
    int y, mo, d;
    bool hy;
    if (vbi_parse_date(R->j.b.p + a, b - a, &y, &mo, &d, &hy)) {
        m->y = y;
        m->m = mo;
        m->d = d;
        m->has_date = true;
        m->year_written = hy;
    }
}

/* The type a number's symbol names ("87/TB-VPCP": Thông báo, "12-CT/TW":
   Chỉ thị); a symbol that names none is a công văn's ("5865/BQP-TC"). */
static const vbi_doctype *type_of_number(const vanban_model *m, const char *num)
{
    const char *p = num + strspn(num, "0123456789");
    const char *code = NULL;
    size_t n = 0;
    if (*p == '-') { /* Party: 12-CT/TW */
        code = p + 1;
        n = strcspn(code, "/");
    } else if (*p == '/') { /* state: 87/TB-VPCP, 15/2020/NĐ-CP */
        code = p + 1;
        if (strspn(code, "0123456789") == 4 && code[4] == '/') code += 5;
        n = strcspn(code, "-/");
        if (!code[n]) n = 0; /* "967/LĐLĐ": the issuer only */
    }
    const vbi_doctype *t = n ? vbi_doctype_by_code(m, code, n, 0) : NULL;
    return t ? t : vbi_doctype_by_name(m, "Công văn", strlen("Công văn"));
}

static int set_number(rstate *R, mention *m, size_t a, size_t b)
{
    if (!(m->number = norm_number(R, R->j.b.p + a, b - a))) return VANBAN_ENOMEM;
    for (const char *q = m->number; *q >= '0' && *q <= '9' && m->lead < 100000000UL; q++)
        m->lead = m->lead * 10 + (unsigned long)(*q - '0');
    m->bare = strspn(m->number, "0123456789") == strlen(m->number);
    return 0;
}

/* Type, number and name of the citation ref_cite matched. */
static int identify(rstate *R, vbi_rule_id rule, mention *m, const vbi_doctype **dt)
{
    const vbi_docview *v = R->v;
    const vanban_model *md = v->p->model;
    const char *t = R->j.b.p;
    size_t a, b, na, nb;
    *dt = NULL;
    if (rule == R_REF_CITE && grp(R, R_REF_CITE, "ltype", 0, &a, &b)) {
        *dt = vbi_doctype_by_name(md, t + a, b - a);
        if (grp(R, R_REF_CITE, "lname", 0, &na, &nb) && !(m->name = adup(R, t + a, nb - a)))
            return VANBAN_ENOMEM;
        if (grp(R, R_REF_CITE, "lnum", 0, &na, &nb) && !(m->number = norm_number(R, t + na, nb - na)))
            return VANBAN_ENOMEM;
    } else if (rule == R_REF_LAW &&
               (grp(R, R_REF_LAW, "ntype", 0, &a, &b) || grp(R, R_REF_LAW, "gtype", 0, &a, &b))) {
        /* a law by its name alone: a known name (laws.txt), or one that ends
           where its clause does */
        *dt = vbi_doctype_by_name(md, t + a, b - a);
        if (!*dt && b - a > 4) *dt = vbi_doctype_by_name(md, "Bộ luật", strlen("Bộ luật"));
        if ((grp(R, R_REF_LAW, "nname", 0, &na, &nb) || grp(R, R_REF_LAW, "gname", 0, &na, &nb)) &&
            !(m->name = adup(R, t + a, nb - a)))
            return VANBAN_ENOMEM;
        for (char *c = m->name; c && *c; c++)
            if (*c == '\n') *c = ' '; /* a known name wrapped at a paragraph's end */
        if (grp(R, R_REF_LAW, "nnum", 0, &na, &nb) && !(m->number = norm_number(R, t + na, nb - na)))
            return VANBAN_ENOMEM;
    } else if (rule == R_REF_LOW) {
        if (!grp(R, R_REF_LOW, "ltype", 0, &a, &b) || !grp(R, R_REF_LOW, "lnum", 0, &na, &nb))
            return 0;
        if (set_number(R, m, na, nb)) return VANBAN_ENOMEM;
        /* "văn bản số 87/TB-VPCP": the symbol's code tells the type */
        if (t[a] == 'v' || t[a] == 'V') *dt = type_of_number(md, m->number);
        else *dt = vbi_doctype_by_name_loose(md, t + a, b - a);
    } else if (rule == R_REF_CITE && grp(R, R_REF_CITE, "xtype", 0, &a, &b)) {
        /* "công văn số …", "Chương trình hành động số …", "Quyết định của Thủ
           tướng Chính phủ số …", a type and its number in two table cells */
        *dt = vbi_doctype_by_name_loose(md, t + a, b - a);
        if (grp(R, R_REF_CITE, "xnum", 0, &na, &nb) && set_number(R, m, na, nb)) return VANBAN_ENOMEM;
    } else if (rule == R_REF_CITE && grp(R, R_REF_CITE, "type", 0, &a, &b)) {
        /* OCR drops or swaps marks in type names ("Chi thị", "Huớng dẫn"):
           the number that follows is the evidence, the name is matched loosely */
        *dt = vbi_doctype_by_name_loose(md, t + a, b - a);
        if (grp(R, R_REF_CITE, "num", 0, &na, &nb) && set_number(R, m, na, nb)) return VANBAN_ENOMEM;
    }
    return 0;
}

/* What follows the citation [so, eo) and what comes before it; *tail_end:
   where what follows ends. */
static int finish(rstate *R, mention *m, size_t so, size_t eo, size_t *tail_end)
{
    const vbi_docview *v = R->v;
    const char *t = R->j.b.p;
    size_t a, b;
    *tail_end = eo;
    if (vbi_match(v->p, R_REF_TAIL, t, R->j.b.len, eo)) {
        vbi_group0(v->p, &a, tail_end);
        take_date(R, m, R_REF_TAIL, "date", 0);
        if (grp(R, R_REF_TAIL, "issuer", 0, &a, &b) && !(m->issuer = adup(R, t + a, b - a)))
            return VANBAN_ENOMEM;
        if (grp(R, R_REF_TAIL, "term", 0, &a, &b) && !(m->term = adup(R, t + a, b - a)))
            return VANBAN_ENOMEM;
        take_date(R, m, R_REF_TAIL, "date2", 0);
        if (grp(R, R_REF_TAIL, "subject", 0, &a, &b)) {
            if (!(m->subject = adup(R, t + a, b - a))) return VANBAN_ENOMEM;
            m->sub_s = a;
            m->sub_e = b;
        }
    }
    /* what comes before: date and issuer, how the document uses it */
    size_t ws = char_start(t, so > BEFORE_WINDOW ? so - BEFORE_WINDOW : 0);
    if (vbi_match(v->p, R_REF_BEFORE, t, so, ws)) {
        take_date(R, m, R_REF_BEFORE, "date", 0);
        if (!m->issuer && grp(R, R_REF_BEFORE, "issuer", 0, &a, &b) && !(m->issuer = adup(R, t + a, b - a)))
            return VANBAN_ENOMEM;
        if (!m->term && grp(R, R_REF_BEFORE, "term", 0, &a, &b) && !(m->term = adup(R, t + a, b - a)))
            return VANBAN_ENOMEM;
    }
    /* nested in the subject of the previous citation: no relation of its own */
    bool nested = false;
    for (size_t k = R->n; k-- > 0 && !nested;) {
        if (R->mv[k].sub_e && so >= R->mv[k].sub_s && so < R->mv[k].sub_e) nested = true;
        if (R->mv[k].e + 2000 < so) break;
    }
    if (!nested) {
        if (vbi_match(v->p, R_REF_NEAR, t, so, ws) && grp(R, R_REF_NEAR, "rel", 0, &a, &b))
            m->rel = rel_of(t + a, b - a);
        size_t ss = sentence_start(t, so);
        if (!m->rel && vbi_match(v->p, R_REF_CLAUSE, t + ss, so - ss, 0) &&
            grp(R, R_REF_CLAUSE, "rel", ss, &a, &b))
            m->rel = rel_of(t + a, b - a);
    }
    /* the year of "ngày 12 tháng 5": the number's year, else the document's */
    if (m->has_date && !m->year_written) {
        int y = 0;
        if (m->number) {
            const char *q = strchr(m->number, '/');
            if (q && strlen(q) > 5 && q[5] == '/' && (q[1] == '1' || q[1] == '2'))
                y = (q[1] - '0') * 1000 + (q[2] - '0') * 100 + (q[3] - '0') * 10 + (q[4] - '0');
        }
        if (!y) y = R->doc_year;
        if (y && vbi_valid_date(y, m->m, m->d)) m->y = y;
        else m->has_date = false;
    }
    return push(R, m);
}

/* The citation ref_cite matched at [so, eo), and the numbers of the same type
   listed after it.  *next: where the scan goes on. */
static int read_citation(rstate *R, vbi_rule_id rule, size_t so, size_t eo, size_t *next)
{
    mention m;
    memset(&m, 0, sizeof m);
    m.s = so;
    m.e = eo;
    const vbi_doctype *dt;
    int rc = identify(R, rule, &m, &dt);
    *next = eo;
    if (rc || !dt) return rc;
    m.type = dt->name;
    size_t end;
    if ((rc = finish(R, &m, so, eo, &end))) return rc;
    if (!m.number || m.bare) return 0;
    /* "…, số 53/2010/QĐ-TTg … và số 62/2011/QĐ-TTg" */
    for (int k = 0; k < 32 && vbi_match(R->v->p, R_REF_MORE, R->j.b.p, R->j.b.len, end); k++) {
        size_t a, b, ms, me;
        vbi_group0(R->v->p, &ms, &me);
        if (!grp(R, R_REF_MORE, "num", 0, &a, &b)) break;
        mention x;
        memset(&x, 0, sizeof x);
        x.s = a;
        x.e = b;
        x.type = dt->name;
        if ((rc = set_number(R, &x, a, b)) || (rc = finish(R, &x, a, b, &end))) return rc;
        *next = end;
    }
    return 0;
}

/* ---- aggregation ------------------------------------------------------- */

/* Law names compare by their letters without marks or case ("Luật ngân sách
   nhà nước", "Luật Phòng cháy, chữa cháy"): the way each is written varies. */
static bool same_name(const mention *a, const mention *b)
{
    return a->fold && b->fold && !strcmp(a->fold, b->fold);
}

/* Numbers compare ignoring the case of ASCII letters ("1237/QĐ-TTG" in a
   title in capitals is "1237/QĐ-TTg"). */
static bool same_number(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'a' && x <= 'z') x = (char)(x - 32);
        if (y >= 'a' && y <= 'z') y = (char)(y - 32);
        if (x != y) return false;
    }
    return !*a && !*b;
}

static bool same_key(const mention *a, const mention *b)
{
    if (a->type != b->type) return false;
    if (a->number && b->number) return same_number(a->number, b->number);
    if (!a->number && !b->number && a->name && b->name)
        /* the 2012 and the 2019 Bộ luật Lao động are two codes */
        return same_name(a, b) && (!a->has_date || !b->has_date || a->y == b->y);
    return false;
}

/* "289/2025/NĐ" of a citation cut at a line's end is "289/2025/NĐ-CP". */
static bool number_prefix(const char *shortn, const char *longn)
{
    size_t n = strlen(shortn);
    return strlen(longn) > n + 1 && !strncmp(shortn, longn, n) && longn[n] == '-' &&
           strchr(shortn, '/');
}

/* Does the document's own number equal this one? */
static bool own_number(const vbi_doc *D, const mention *m)
{
    if (!D->has_number || !D->number_raw.s || !m->number) return false;
    const char *r = D->number_raw.s, *n = m->number;
    size_t i = 0, k = 0;
    for (;;) { /* compare ignoring spaces and dash kinds */
        while (r[i] == ' ') i++;
        if (!r[i] || !n[k]) return !r[i] && !n[k];
        bool dr = r[i] == '-' || (unsigned char)r[i] == 0xE2;
        if (dr && n[k] == '-') {
            i += r[i] == '-' ? 1 : 3;
            k++;
            continue;
        }
        if (r[i] != n[k]) return false;
        i++;
        k++;
    }
}

static bool contains(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

/* Open-addressing hash of the keys: full citations by type + number (or
   name), and by type-less leading number for the short forms. */
static uint64_t hstr(uint64_t h, const char *s)
{
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* As same_number compares: ASCII case ignored. */
static uint64_t hnum(uint64_t h, const char *s, size_t n)
{
    for (size_t q = 0; q < n; q++) {
        char c = s[q] >= 'a' && s[q] <= 'z' ? (char)(s[q] - 32) : s[q];
        h = (h ^ (unsigned char)c) * 1099511628211ULL;
    }
    return h;
}

static uint64_t key_hash(const mention *m)
{
    uint64_t h = hstr(14695981039346656037ULL, m->type);
    if (m->number) return hnum(h ^ 0x1f, m->number, strlen(m->number));
    return hstr(h ^ 0x1f, m->fold);
}

/* Renumber keys so that key order is the order of first mention (pos[k]:
   a law named alone may be mentioned before its numbered citation). */
static int sort_keys(rstate *R, size_t *first, size_t *pos, size_t nk)
{
    size_t *order = malloc(nk * sizeof *order), *rank = malloc(nk * sizeof *rank);
    size_t *f2 = malloc(nk * sizeof *f2);
    if (!order || !rank || !f2) {
        free(order);
        free(rank);
        free(f2);
        return VANBAN_ENOMEM;
    }
    /* keys are nearly sorted already: insertion sort by first mention */
    for (size_t k = 0; k < nk; k++) {
        size_t q = k;
        while (q > 0 && pos[order[q - 1]] > pos[k]) {
            order[q] = order[q - 1];
            q--;
        }
        order[q] = k;
    }
    for (size_t q = 0; q < nk; q++) {
        rank[order[q]] = q;
        f2[q] = first[order[q]];
    }
    memcpy(first, f2, nk * sizeof *first);
    for (size_t q = 0; q < nk; q++) f2[q] = pos[order[q]];
    memcpy(pos, f2, nk * sizeof *pos);
    for (size_t i = 0; i < R->n; i++)
        if (R->mv[i].key != SIZE_MAX) R->mv[i].key = rank[R->mv[i].key];
    free(order);
    free(rank);
    free(f2);
    return 0;
}

static int aggregate(rstate *R)
{
    vbi_doc *D = R->D;
    int rc = VANBAN_ENOMEM; /* until every allocation succeeded */
    size_t nk = 0, hcap = 16;
    while (hcap < 2 * R->n + 2) hcap *= 2;
    size_t *first = malloc((R->n ? R->n : 1) * sizeof *first); /* key -> first mention */
    size_t *count = calloc(R->n ? R->n : 1, sizeof *count);
    size_t *next = malloc((R->n ? R->n : 1) * sizeof *next);   /* keys with the same lead */
    const char **subj = calloc(R->n ? R->n : 1, sizeof *subj);  /* key -> first subject */
    size_t *tab = malloc(hcap * sizeof *tab), *lt = malloc(hcap * sizeof *lt);
    size_t *pos = malloc((R->n ? R->n : 1) * sizeof *pos); /* key -> its first mention */
    size_t *ntab = malloc(hcap * sizeof *ntab); /* numbered laws by name */
    size_t pcap = hcap; /* numbers' prefixes: a few per number */
    while (pcap < 8 * R->n + 8) pcap *= 2;
    struct prefix { size_t k, len; } *ptab = malloc(pcap * sizeof *ptab);
    if (!first || !count || !next || !subj || !tab || !lt || !pos || !ntab || !ptab) goto nomem;
    for (size_t i = 0; i < hcap; i++) tab[i] = lt[i] = ntab[i] = SIZE_MAX;
    for (size_t i = 0; i < pcap; i++) ptab[i].k = SIZE_MAX;
    /* full citations first: each new type+number or law name is a key; a law
       named alone joins the numbered citation of the same name, wherever
       that stands (so those wait for a second round) */
    for (size_t i = 0; i < R->n; i++) R->mv[i].key = SIZE_MAX;
    for (int round = 0; round < 2; round++)
    for (size_t i = 0; i < R->n; i++) {
        mention *m = &R->mv[i];
        if (m->bare || own_number(D, m)) continue;
        if (!m->number && !m->name) continue;
        bool named_only = !m->number;
        if (named_only != (round == 1)) continue;
        if (named_only) { /* the numbered citation of the same law */
            size_t same = SIZE_MAX;
            size_t h = (size_t)hstr(0x51ed27 ^ (uint64_t)(uintptr_t)m->type, m->fold) & (hcap - 1);
            for (; ntab[h] != SIZE_MAX && same == SIZE_MAX; h = (h + 1) & (hcap - 1))
                if (R->mv[first[ntab[h]]].type == m->type && same_name(&R->mv[first[ntab[h]]], m))
                    same = ntab[h];
            if (same != SIZE_MAX) {
                m->key = same;
                if (i < pos[same]) pos[same] = i;
                continue;
            }
        }
        size_t h = (size_t)key_hash(m) & (hcap - 1);
        while (tab[h] != SIZE_MAX && !same_key(&R->mv[first[tab[h]]], m)) h = (h + 1) & (hcap - 1);
        if (tab[h] == SIZE_MAX) {
            first[nk] = i;
            pos[nk] = i;
            tab[h] = nk;
            if (m->number && m->fold) { /* a numbered law, found by its name */
                size_t g = (size_t)hstr(0x51ed27 ^ (uint64_t)(uintptr_t)m->type, m->fold) & (hcap - 1);
                while (ntab[g] != SIZE_MAX) g = (g + 1) & (hcap - 1);
                ntab[g] = nk;
            }
            if (m->number) { /* its prefixes at a '-': "289/2025/NĐ" of "289/2025/NĐ-CP" */
                for (size_t q = strlen(m->number); q-- > 0;)
                    if (m->number[q] == '-' && memchr(m->number, '/', q)) {
                        size_t g = (size_t)hnum(0x9e37 ^ (uint64_t)(uintptr_t)m->type, m->number, q) &
                                   (pcap - 1);
                        while (ptab[g].k != SIZE_MAX) g = (g + 1) & (pcap - 1);
                        ptab[g].k = nk;
                        ptab[g].len = q;
                    }
            }
            /* chain by leading number */
            size_t g = (size_t)(m->lead * 11400714819323198485ULL) & (hcap - 1);
            while (lt[g] != SIZE_MAX && R->mv[first[lt[g]]].lead != m->lead) g = (g + 1) & (hcap - 1);
            next[nk] = lt[g];
            lt[g] = nk;
            nk++;
        }
        m->key = tab[h];
        if (!subj[m->key]) subj[m->key] = m->subject;
    }
    /* a number cut short at a line's end joins the full one ("289/2025/NĐ") */
    size_t *moved = NULL; /* key -> key it merged into, or SIZE_MAX */
    for (size_t i = 0; i < R->n; i++) {
        mention *m = &R->mv[i];
        if (m->key == SIZE_MAX || !m->number || first[m->key] != i || !strchr(m->number, '/'))
            continue;
        size_t len = strlen(m->number), k = SIZE_MAX;
        size_t g = (size_t)hnum(0x9e37 ^ (uint64_t)(uintptr_t)m->type, m->number, len) & (pcap - 1);
        for (; ptab[g].k != SIZE_MAX; g = (g + 1) & (pcap - 1)) {
            size_t c = ptab[g].k;
            const mention *f = &R->mv[first[c]];
            if (c != m->key && pos[c] != SIZE_MAX && ptab[g].len == len && f->type == m->type &&
                number_prefix(m->number, f->number)) {
                k = c;
                break;
            }
        }
        if (k == SIZE_MAX) continue;
        if (!moved) {
            if (!(moved = malloc(nk * sizeof *moved))) goto nomem;
            for (size_t q = 0; q < nk; q++) moved[q] = SIZE_MAX;
        }
        moved[m->key] = k;
        if (pos[m->key] < pos[k]) pos[k] = pos[m->key];
        pos[m->key] = SIZE_MAX; /* an empty key: dropped below */
    }
    if (moved) /* every mention of a merged key to where it went (chains too) */
        for (size_t q = 0; q < R->n; q++) {
            size_t k = R->mv[q].key, hops = 0;
            while (k != SIZE_MAX && moved[k] != SIZE_MAX && hops++ < nk) k = moved[k];
            R->mv[q].key = k;
        }
    free(moved);
    /* short forms: same type and leading number; else a citation whose subject
       names the type ("Quy chế 272" -> "Quyết định 272-QĐ/TW … ban hành Quy chế …") */
    for (size_t i = 0; i < R->n; i++) {
        mention *m = &R->mv[i];
        if (!m->bare) continue;
        size_t g = (size_t)(m->lead * 11400714819323198485ULL) & (hcap - 1);
        while (lt[g] != SIZE_MAX && R->mv[first[lt[g]]].lead != m->lead) g = (g + 1) & (hcap - 1);
        for (int pass = 0; pass < 2 && m->key == SIZE_MAX; pass++)
            for (size_t k = lt[g]; k != SIZE_MAX && m->key == SIZE_MAX; k = next[k]) {
                const mention *f = &R->mv[first[k]];
                if (!f->number || pos[k] == SIZE_MAX) continue; /* emptied by a merge */
                if (pass == 0 ? f->type == m->type : contains(subj[k], m->type)) m->key = k;
            }
    }
    /* references in order of first mention: renumber the keys */
    if (nk > 1 && sort_keys(R, first, pos, nk)) goto nomem;
    while (nk > 0 && pos[nk - 1] == SIZE_MAX) nk--; /* keys emptied by a merge, sorted last */
    for (size_t i = 0; i < R->n; i++)
        if (R->mv[i].key != SIZE_MAX) count[R->mv[i].key]++;
    for (size_t i = 0; i < R->n; i++) /* every mention's key is a kept one */
        if (R->mv[i].key != SIZE_MAX && R->mv[i].key >= nk) R->mv[i].key = SIZE_MAX;
    vbi_ref *refs = nk ? vbi_arena_alloc(R->v->arena, nk * sizeof *refs) : NULL;
    if (nk && !refs) goto nomem;
    for (size_t k = 0; k < nk; k++) {
        vbi_ref *r = &refs[k];
        memset(r, 0, sizeof *r);
        const mention *f = &R->mv[first[k]];
        r->type = f->type;
        r->number = f->number;
        r->name = f->name;
        r->spans = vbi_arena_alloc(R->v->arena, count[k] * sizeof *r->spans);
        if (!r->spans) goto nomem;
    }
    /* merge: first value of each field in text order; the strongest relation */
    static const int strength[] = {[VBI_REL_NONE] = 0,     [VBI_REL_OTHER] = 1,
                                   [VBI_REL_THUCHIEN] = 2, [VBI_REL_HUONGDAN] = 3,
                                   [VBI_REL_BAIBO] = 4,    [VBI_REL_THAYTHE] = 5,
                                   [VBI_REL_SUADOI] = 6,   [VBI_REL_CANCU] = 7};
    for (size_t i = 0; i < R->n; i++) {
        const mention *m = &R->mv[i];
        if (m->key == SIZE_MAX) continue;
        vbi_ref *r = &refs[m->key];
        if (!r->date[0] && m->has_date) {
            vbi_format_date(r->date, m->y, m->m, m->d);
            r->date_inferred = !m->year_written;
        }
        if (!r->issuer) r->issuer = m->issuer;
        if (!r->subject) r->subject = m->subject;
        if (!r->term) r->term = m->term;
        if (strength[m->rel] > strength[r->relation]) r->relation = m->rel;
        r->spans[r->mentions++] = vbi_jtext_span(&R->j, R->v->p, m->s, m->e);
    }
    D->refs = refs;
    D->nrefs = nk;
    rc = 0;
nomem:
    free(first);
    free(count);
    free(next);
    free(subj);
    free(tab);
    free(lt);
    free(pos);
    free(ntab);
    free(ptab);
    return rc;
}

/* The next citation of ref_low at or after pos: at each "số"/"SỐ" followed by
   a digit, the words before it are tried, farthest first. */
static void next_low(rstate *R, size_t pos, size_t *so, size_t *eo)
{
    const char *t = R->j.b.p;
    size_t n = R->j.b.len;
    for (size_t h = pos; h + 4 < n; h++) {
        const char *q = memchr(t + h, 0xE1, n - h); /* ố, Ố: E1 BB 91, E1 BB 90 */
        if (!q) return;
        h = (size_t)(q - t);
        if (h < 1 || (t[h - 1] != 's' && t[h - 1] != 'S') || h + 3 > n || (unsigned char)t[h + 1] != 0xBB ||
            ((unsigned char)t[h + 2] != 0x91 && (unsigned char)t[h + 2] != 0x90))
            continue;
        size_t d = h + 3;
        while (d < n && (t[d] == ' ' || t[d] == ':')) d++;
        if (d >= n || t[d] < '0' || t[d] > '9') continue;
        /* word starts before "số", up to five words and 64 bytes back */
        size_t starts[6], ns = 0, k = h - 1;
        while (k > pos && ns < 6 && h - k < 64) {
            while (k > pos && t[k - 1] == ' ') k--;
            while (k > pos && t[k - 1] != ' ' && t[k - 1] != '\n') k--;
            if (k < pos || (k > 0 && t[k - 1] == '\n' && ns)) break;
            size_t w = k; /* "(văn bản số …": the word starts after the bracket */
            while (w < h && t[w] && strchr("([\"'", t[w])) w++;
            if (w + 3 < h && (unsigned char)t[w] == 0xE2 && (unsigned char)t[w + 1] == 0x80) w += 3;
            starts[ns++] = w;
            if (k > 0 && t[k - 1] == '\n') break;
        }
        for (size_t i = ns; i-- > 0;)
            if (starts[i] >= pos && vbi_match(R->v->p, R_REF_LOW, t, n, starts[i])) {
                vbi_group0(R->v->p, so, eo);
                if (*so == starts[i]) return;
            }
        *so = SIZE_MAX;
    }
}

/* ---- entry -------------------------------------------------------------- */

static bool is_blank(const vbi_docview *v, size_t i) { return v->L[i].flags & VBI_L_BLANK; }

/* Does line i end with the word w? */
static bool ends_with(const vbi_docview *v, size_t i, const char *w)
{
    const char *s = v->t + v->L[i].off;
    size_t n = v->L[i].len, m = strlen(w);
    while (n && s[n - 1] == ' ') n--;
    return n >= m && !memcmp(s + n - m, w, m) && (n == m || s[n - m - 1] == ' ');
}

/* Line a ends inside a number's symbol ("… số 23/NQ-") and line b goes on
   with the rest of it ("CP ngày …"): capitals, then a space or the end. */
static bool symbol_cut(const vbi_docview *v, size_t a, size_t b)
{
    const char *s = v->t + v->L[a].off, *t = v->t + v->L[b].off;
    size_t n = v->L[a].len, m = v->L[b].len, k = n;
    while (k && s[k - 1] == ' ') k--;
    if (k < 3 || s[k - 1] != '-') return false;
    size_t w = k - 1; /* the symbol's word: digits, '/', letters */
    while (w && s[w - 1] != ' ') w--;
    if (!memchr(s + w, '/', k - w)) return false;
    size_t e = 0;
    while (e < m && t[e] != ' ' && t[e] != ';' && t[e] != ',') e++;
    if (!e || e > 16) return false;
    for (size_t i = 0; i < e; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c >= 0xC3)) return false;
    }
    return true;
}

int vbi_extract_refs(const vbi_docview *v, vbi_doc *D)
{
    rstate R;
    memset(&R, 0, sizeof R);
    R.v = v;
    R.D = D;
    if (D->date[0]) R.doc_year = atoi(D->date);
    int rc = 0;
    /* header: a line runs on into the next when that one starts in lower case */
    for (size_t i = v->hstart; i < v->hend && !rc; i++) {
        if (is_blank(v, i)) continue;
        rc = vbi_jtext_add(&R.j, v->t, v->L[i].off, v->L[i].len);
        size_t k = i + 1;
        while (k < v->hend && is_blank(v, k) && v->soft && v->soft[k]) k++;
        bool joins = k < v->hend && !is_blank(v, k) && (v->L[k].flags & VBI_L_LOWER);
        if (!rc) rc = vbi_jtext_sep(&R.j, joins ? ' ' : '\n');
    }
    if (!rc) rc = vbi_jtext_sep(&R.j, '\n');
    size_t prev = SIZE_MAX; /* the last line added */
    for (size_t k = 0; k < v->np && !rc; k++) {
        for (size_t q = v->P[k].first; q <= v->P[k].last && !rc; q++) {
            if (is_blank(v, q)) continue;
            if (prev != SIZE_MAX && symbol_cut(v, prev, q)) {
                /* "23/NQ-" | "CP ngày …": the symbol goes on, even across
                   the cells of a table */
                while (R.j.b.len && strchr(" \n", R.j.b.p[R.j.b.len - 1])) R.j.b.len--;
            }
            rc = vbi_jtext_add(&R.j, v->t, v->L[q].off, v->L[q].len);
            if (!rc) rc = vbi_jtext_sep(&R.j, ' ');
            prev = q;
        }
        /* a cell that ends on "ngày" or "số" goes on in the next one */
        bool open = prev != SIZE_MAX && (ends_with(v, prev, "ngày") || ends_with(v, prev, "số"));
        if (!rc) rc = vbi_jtext_sep(&R.j, open ? ' ' : '\n');
    }
    /* scan */
    /* three sources (ref_cite, ref_law, ref_low before a "số"): the earliest
       match wins, the first source on a tie; each source's next match is
       kept until the scan passes it */
    size_t pos = 0, nx[3] = {0, 0, 0}, ne[3] = {0, 0, 0};
    bool stale[3] = {true, true, true};
    const vbi_rule_id rules[3] = {R_REF_CITE, R_REF_LAW, R_REF_LOW};
    while (!rc && pos < R.j.b.len) {
        for (int k = 0; k < 3; k++) {
            if (!stale[k]) continue;
            stale[k] = false;
            nx[k] = SIZE_MAX;
            if (k == 2) next_low(&R, pos, &nx[k], &ne[k]);
            else if (vbi_match(v->p, rules[k], R.j.b.p, R.j.b.len, pos)) vbi_group0(v->p, &nx[k], &ne[k]);
        }
        int k = 0;
        for (int q = 1; q < 3; q++)
            if (nx[q] < nx[k]) k = q;
        if (nx[k] == SIZE_MAX || ne[k] <= nx[k]) break;
        /* match again: the groups read next are the last match's */
        if (!vbi_match(v->p, rules[k], R.j.b.p, R.j.b.len, nx[k])) break;
        size_t so, eo, next;
        vbi_group0(v->p, &so, &eo);
        rc = read_citation(&R, rules[k], so, eo, &next);
        pos = next > eo ? next : eo;
        for (int q = 0; q < 3; q++)
            if (nx[q] < pos) stale[q] = true;
    }
    if (!rc) rc = aggregate(&R);
    free(R.mv);
    vbi_jtext_free(&R.j);
    return rc;
}
