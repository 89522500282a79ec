/* model.c - load grammars/ (embedded or from a directory) into an immutable model. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "repair.h"

static const char *const rule_names[R__COUNT] = {
    [R_NATIONAL_STATE] = "national_state",
    [R_NATIONAL_PARTY] = "national_party",
    [R_MOTTO] = "motto",
    [R_NUMBER] = "number",
    [R_DATELINE] = "dateline",
    [R_DATELINE_NUMERIC] = "dateline_numeric",
    [R_NUMERIC_DATE] = "numeric_date",
    [R_STAMP_DEN] = "stamp_den",
    [R_STAMP_NUMBER] = "stamp_number",
    [R_STAMP_DATE] = "stamp_date",
    [R_STAMP_OTHER] = "stamp_other",
    [R_TYPE_LINE] = "type_line",
    [R_OF_LINE] = "of_line",
    [R_VV] = "vv",
    [R_SEPARATOR] = "separator",
    [R_ISSUER_CONTINUATION] = "issuer_continuation",
    [R_ISSUER_OPEN_END] = "issuer_open_end",
    [R_PARTY_BODY] = "party_body",
    [R_BODY_START] = "body_start",
    [R_CAN_CU] = "can_cu",
    [R_ENACTING] = "enacting",
    [R_KINH_GUI] = "kinh_gui",
    [R_NOI_NHAN] = "noi_nhan",
    [R_LIST_ITEM] = "list_item",
    [R_SIGN_MARKER] = "sign_marker",
    [R_SIGN_SKIP] = "sign_skip",
    [R_PERSON_NAME] = "person_name",
    [R_SECTION_LABEL] = "section_label",
    [R_BODY_ISSUER] = "body_issuer",
    [R_SELF_TYPE] = "self_type",
    [R_PAGE_FURNITURE] = "page_furniture",
    [R_SIGN_TITLE] = "sign_title",
    [R_SPLIT_CUE] = "split_cue",
    [R_DATE_CUE] = "date_cue",
    [R_NUMBER_BLANK] = "number_blank",
    [R_DATE_BLANK] = "date_blank",
    [R_KEMTHEO] = "kemtheo",
    [R_ANNEX_LABEL] = "annex_label",
    [R_AUTHORITY_LINE] = "authority_line",
    [R_ISSUER_SPLIT] = "issuer_split",
    [R_PORTAL_HEAD] = "portal_head",
    [R_ISSUER_BODY] = "issuer_body",
    [R_TYPE_HEAD] = "type_head",
    [R_FAMILY_NAME] = "family_name",
    [R_CAPS_NAME] = "caps_name",
    [R_PASSED_DATE] = "passed_date",
    [R_REF_CITE] = "ref_cite",
    [R_REF_TAIL] = "ref_tail",
    [R_REF_BEFORE] = "ref_before",
    [R_REF_CLAUSE] = "ref_clause",
    [R_REF_NEAR] = "ref_near",
    [R_REF_MORE] = "ref_more",
    [R_REF_LAW] = "ref_law",
    [R_REF_LOW] = "ref_low",
    [R_TASK_SECTION] = "task_section",
    [R_TASK_ASSIGNEE] = "task_assignee",
    [R_TASK_REQUEST] = "task_request",
    [R_TASK_LEAD] = "task_lead",
    [R_TASK_VERB] = "task_verb",
    [R_TASK_PARTNERS] = "task_partners",
    [R_TASK_REPORT] = "task_report",
    [R_TASK_DEADLINE] = "task_deadline",
    [R_TASK_RECUR] = "task_recur",
};

/* Files that make up a model, in load order. */
static const char *const model_files[] = {"doctypes.tsv", "laws.txt", "issuers.tsv",
                                          "header.pcre", "body.pcre", "refs.pcre"};

static void set_err(vanban_error *err, int code, const char *file, int line, size_t off,
                    const char *fmt, ...)
{
    if (!err || err->code) return; /* first error wins */
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->offset = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
}

static int read_file(const char *dir, const char *name, vbi_buf *out, vanban_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, VANBAN_EIO, name, 0, 0, "cannot open %s: %s", path, strerror(errno));
        return VANBAN_EIO;
    }
    char tmp[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (vbi_buf_put(out, tmp, n)) { rc = VANBAN_ENOMEM; break; }
    if (!rc && ferror(f)) {
        set_err(err, VANBAN_EIO, name, 0, 0, "cannot read %s", path);
        rc = VANBAN_EIO;
    }
    fclose(f);
    if (rc == VANBAN_ENOMEM) set_err(err, rc, name, 0, 0, "out of memory");
    return rc;
}

/* ---- doctypes.tsv ------------------------------------------------------ */

static char *field_dup(vbi_arena *a, const char *s, size_t n)
{
    if (n == 1 && s[0] == '-') return NULL;
    return vbi_arena_strndup(a, s, n);
}

static int load_doctypes(vanban_model *m, const char *data, size_t len, vanban_error *err)
{
    size_t cap = 64;
    m->types = vbi_arena_alloc(&m->arena, cap * sizeof *m->types);
    if (!m->types) goto nomem;
    const char *p = data, *end = data + len;
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        if (le > p && le[-1] == '\r') le--;
        if (le > p && *p != '#') {
            const char *f[5];
            size_t fl[5];
            int nf = 0;
            const char *q = p;
            while (nf < 5) {
                const char *t = memchr(q, '\t', (size_t)(le - q));
                const char *fe = t ? t : le;
                f[nf] = q;
                fl[nf] = (size_t)(fe - q);
                nf++;
                if (!t) break;
                q = t + 1;
            }
            if (nf != 5) {
                set_err(err, VANBAN_EGRAMMAR, "doctypes.tsv", lineno, 0,
                        "doctypes.tsv:%d: expected 5 tab-separated fields, got %d", lineno, nf);
                return VANBAN_EGRAMMAR;
            }
            if (m->ntypes == cap) {
                set_err(err, VANBAN_EGRAMMAR, "doctypes.tsv", lineno, 0,
                        "doctypes.tsv: more than %zu types", cap);
                return VANBAN_EGRAMMAR;
            }
            vbi_doctype *t = &m->types[m->ntypes++];
            t->name = vbi_arena_strndup(&m->arena, f[0], fl[0]);
            t->caps = vbi_arena_strndup(&m->arena, f[1], fl[1]);
            t->party = field_dup(&m->arena, f[2], fl[2]);
            t->state = field_dup(&m->arena, f[3], fl[3]);
            if (!t->name || !t->caps) goto nomem;
            if ((fl[2] > 1 || f[2][0] != '-') && !t->party) goto nomem;
            if ((fl[3] > 1 || f[3][0] != '-') && !t->state) goto nomem;
            /* variants */
            size_t nv = 0;
            if (!(fl[4] == 1 && f[4][0] == '-'))
                for (size_t i = 0; i <= fl[4]; i++)
                    if (i == fl[4] || f[4][i] == ',') nv++;
            t->variants = vbi_arena_alloc(&m->arena, (nv + 1) * sizeof(char *));
            if (!t->variants) goto nomem;
            size_t k = 0, st = 0;
            if (nv)
                for (size_t i = 0; i <= fl[4]; i++)
                    if (i == fl[4] || f[4][i] == ',') {
                        t->variants[k] = vbi_arena_strndup(&m->arena, f[4] + st, i - st);
                        if (!t->variants[k]) goto nomem;
                        k++;
                        st = i + 1;
                    }
            t->variants[k] = NULL;
        }
        p = nl ? nl + 1 : end;
    }
    if (m->ntypes == 0) {
        set_err(err, VANBAN_EGRAMMAR, "doctypes.tsv", 0, 0, "doctypes.tsv: no types");
        return VANBAN_EGRAMMAR;
    }
    return 0;
nomem:
    set_err(err, VANBAN_ENOMEM, "doctypes.tsv", 0, 0, "out of memory");
    return VANBAN_ENOMEM;
}

/* laws.txt: "L name", "B name", "P name" lines; '#' comments. */
static int load_laws(vanban_model *m, const char *data, size_t len, vanban_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < len; i++) cap += data[i] == '\n';
    m->laws = vbi_arena_alloc(&m->arena, (cap + 1) * sizeof *m->laws);
    if (!m->laws) goto nomem;
    const char *p = data, *end = data + len;
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        while (le > p && (le[-1] == '\r' || le[-1] == ' ')) le--;
        if (le > p && *p != '#') {
            if (le - p < 3 || !strchr("LBP", *p) || p[1] != ' ') {
                set_err(err, VANBAN_EGRAMMAR, "laws.txt", lineno, 0,
                        "laws.txt:%d: expected 'L name', 'B name' or 'P name'", lineno);
                return VANBAN_EGRAMMAR;
            }
            for (const char *c = p + 2; c < le; c++)
                if (strchr("\\()[]{}|.*+?^$", *c)) {
                    set_err(err, VANBAN_EGRAMMAR, "laws.txt", lineno, 0,
                            "laws.txt:%d: a name may not hold regex characters", lineno);
                    return VANBAN_EGRAMMAR;
                }
            if (m->nlaws < cap && !(m->laws[m->nlaws++] = vbi_arena_strndup(&m->arena, p + 2, (size_t)(le - p - 2))))
                goto nomem;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
nomem:
    set_err(err, VANBAN_ENOMEM, "laws.txt", 0, 0, "out of memory");
    return VANBAN_ENOMEM;
}

/* issuers.tsv: "code<TAB>name" lines; '#' comments. */
static int load_issuers(vanban_model *m, const char *data, size_t len, vanban_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < len; i++) cap += data[i] == '\n';
    m->issuer_codes = vbi_arena_alloc(&m->arena, (cap + 1) * sizeof *m->issuer_codes);
    m->issuer_names = vbi_arena_alloc(&m->arena, (cap + 1) * sizeof *m->issuer_names);
    if (!m->issuer_codes || !m->issuer_names) goto nomem;
    const char *p = data, *end = data + len;
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        while (le > p && (le[-1] == '\r' || le[-1] == ' ')) le--;
        if (le > p && *p != '#') {
            const char *tab = memchr(p, '\t', (size_t)(le - p));
            if (!tab || tab == p || tab + 1 >= le) {
                set_err(err, VANBAN_EGRAMMAR, "issuers.tsv", lineno, 0,
                        "issuers.tsv:%d: expected 'code<TAB>name'", lineno);
                return VANBAN_EGRAMMAR;
            }
            size_t k = m->nissuers;
            if (k < cap) {
                m->issuer_codes[k] = vbi_arena_strndup(&m->arena, p, (size_t)(tab - p));
                m->issuer_names[k] = vbi_arena_strndup(&m->arena, tab + 1, (size_t)(le - tab - 1));
                if (!m->issuer_codes[k] || !m->issuer_names[k]) goto nomem;
                m->nissuers++;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
nomem:
    set_err(err, VANBAN_ENOMEM, "issuers.tsv", 0, 0, "out of memory");
    return VANBAN_ENOMEM;
}

/* Alternation of the law names, longest first, spaces as \h+. */
static int append_laws(const vanban_model *m, vbi_buf *b)
{
    size_t n = m->nlaws;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return VANBAN_ENOMEM;
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort by length, n is small */
        size_t x = order[i], lx = strlen(m->laws[x]), j = i;
        while (j > 0 && strlen(m->laws[order[j - 1]]) < lx) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    int rc = vbi_buf_put(b, "(?:", 3);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i) rc = vbi_buf_put(b, "|", 1);
        for (const char *c = m->laws[order[i]]; *c && !rc; c++)
            rc = *c == ' ' ? vbi_buf_put(b, "\\s+", 3) : vbi_buf_put(b, c, 1); /* a name may wrap */
    }
    if (!rc && !n) rc = vbi_buf_put(b, "(?!)", 4);
    if (!rc) rc = vbi_buf_put(b, ")", 1);
    free(order);
    return rc;
}

/* Alternation of the caps or canonical names, longest first so that
   "THÔNG TƯ LIÊN TỊCH" wins over "THÔNG TƯ". */
static int append_alternation(const vanban_model *m, bool caps, vbi_buf *b)
{
    size_t n = m->ntypes;
    const vbi_doctype **order = malloc(n * sizeof *order);
    if (!order) return VANBAN_ENOMEM;
    for (size_t i = 0; i < n; i++) order[i] = &m->types[i];
    for (size_t i = 1; i < n; i++) { /* insertion sort by length, n is small */
        const vbi_doctype *x = order[i];
        size_t lx = strlen(caps ? x->caps : x->name), j = i;
        while (j > 0 && strlen(caps ? order[j - 1]->caps : order[j - 1]->name) < lx) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    int rc = vbi_buf_put(b, "(?:", 3);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *s = caps ? order[i]->caps : order[i]->name;
        if (i) rc = vbi_buf_put(b, "|", 1);
        for (const char *c = s; *c && !rc; c++) {
            if (*c == ' ') rc = vbi_buf_put(b, "\\s+", 3);
            else rc = vbi_buf_put(b, c, 1);
        }
    }
    if (!rc) rc = vbi_buf_put(b, ")", 1);
    free(order);
    return rc;
}

/* Vietnamese letters by base letter: a name written with any marks (or none,
   as OCR often leaves it) matches the loose alternation. */
static const char *const loose_classes[][2] = {
    {"a", "aàáảãạăằắẳẵặâầấẩẫậAÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"}, {"e", "eèéẻẽẹêềếểễệEÈÉẺẼẸÊỀẾỂỄỆ"},
    {"i", "iìíỉĩịIÌÍỈĨỊ"}, {"o", "oòóỏõọôồốổỗộơờớởỡợOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"},
    {"u", "uùúủũụưừứửữựUÙÚỦŨỤƯỪỨỬỮỰ"}, {"y", "yỳýỷỹỵYỲÝỶỸỴ"}, {"d", "dđDĐ"}};

/* Base letter (lower case ASCII) of a Vietnamese letter, or 0. */
static char base_letter(const char *s, size_t len)
{
    for (size_t k = 0; k < sizeof loose_classes / sizeof *loose_classes; k++) {
        const char *c = loose_classes[k][1];
        size_t cl = strlen(c);
        for (size_t q = 0; q < cl;) {
            size_t adv = 1;
            while (q + adv < cl && ((unsigned char)c[q + adv] & 0xC0) == 0x80) adv++;
            if (adv == len && !memcmp(c + q, s, len)) return loose_classes[k][0][0];
            q += adv;
        }
    }
    if (len == 1 && ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')) return (char)(*s | 0x20);
    return 0;
}

static int append_loose(const vanban_model *m, vbi_buf *b)
{
    int rc = vbi_buf_put(b, "(?:", 3);
    for (size_t i = 0; i < m->ntypes && !rc; i++) {
        const char *s = m->types[i].name;
        if (i) rc = vbi_buf_put(b, "|", 1);
        for (size_t k = 0; s[k] && !rc;) {
            size_t adv = 1;
            while (s[k + adv] && ((unsigned char)s[k + adv] & 0xC0) == 0x80) adv++;
            char base = base_letter(s + k, adv);
            const char *cls = NULL;
            for (size_t c = 0; c < sizeof loose_classes / sizeof *loose_classes; c++)
                if (base == loose_classes[c][0][0]) cls = loose_classes[c][1];
            if (s[k] == ' ') rc = vbi_buf_put(b, "\\h+", 3);
            else if (cls && k == 0) { /* first letter: capital, any marks */
                const char *cap = strchr(cls, base & ~0x20);
                rc = vbi_buf_put(b, "[", 1);
                if (!rc) rc = vbi_buf_put(b, cap ? cap : cls, strlen(cap ? cap : cls));
                if (!rc) rc = vbi_buf_put(b, "]", 1);
            } else if (cls) {
                rc = vbi_buf_put(b, "[", 1);
                if (!rc) rc = vbi_buf_put(b, cls, strlen(cls));
                if (!rc) rc = vbi_buf_put(b, "]", 1);
            } else if (adv == 1 && ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z') && k > 0 &&
                       s[k - 1] == ' ') {
                /* a later word may start in capitals ("Thông tư Liên tịch"),
                   not the rest of it: "CHỈ THỊ 12" of a heading is no citation */
                char cls2[5] = {'[', (char)(s[k] | 0x20), (char)(s[k] & ~0x20), ']', 0};
                rc = vbi_buf_put(b, cls2, 4);
            } else {
                rc = vbi_buf_put(b, s + k, adv);
            }
            k += adv;
        }
    }
    if (!rc) rc = vbi_buf_put(b, ")", 1);
    return rc;
}

int vbi_fold_base(const char *s, size_t n, char *out, size_t cap)
{
    /* letters to their base letter, lower case; spaces kept; others dropped */
    size_t o = 0;
    for (size_t k = 0; k < n && o + 1 < cap;) {
        size_t adv = 1;
        while (k + adv < n && ((unsigned char)s[k + adv] & 0xC0) == 0x80) adv++;
        char c = base_letter(s + k, adv);
        if (c) out[o++] = c;
        else if (s[k] == ' ' && o && out[o - 1] != ' ') out[o++] = ' ';
        k += adv;
    }
    while (o && out[o - 1] == ' ') o--;
    out[o] = 0;
    return (int)o;
}

const vbi_doctype *vbi_doctype_by_name_loose(const vanban_model *m, const char *s, size_t n)
{
    const vbi_doctype *t = vbi_doctype_by_name(m, s, n);
    if (t) return t;
    char a[96], b[96];
    if (n >= sizeof a) return NULL;
    vbi_fold_base(s, n, a, sizeof a);
    for (size_t i = 0; i < m->ntypes; i++) {
        vbi_fold_base(m->types[i].name, strlen(m->types[i].name), b, sizeof b);
        if (!strcmp(a, b)) return &m->types[i];
    }
    return NULL;
}

static int expand(const vanban_model *m, const char *pat, size_t n, vbi_buf *out)
{
    static const char K1[] = "{DOCTYPE_CAPS}", K2[] = "{DOCTYPE_NAMES}",
                      K3[] = "{DOCTYPE_NAMES_LOOSE}", K4[] = "{LAW_NAMES}";
    size_t i = 0;
    while (i < n) {
        if (n - i >= sizeof K1 - 1 && !memcmp(pat + i, K1, sizeof K1 - 1)) {
            if (append_alternation(m, true, out)) return VANBAN_ENOMEM;
            i += sizeof K1 - 1;
        } else if (n - i >= sizeof K3 - 1 && !memcmp(pat + i, K3, sizeof K3 - 1)) {
            if (append_loose(m, out)) return VANBAN_ENOMEM;
            i += sizeof K3 - 1;
        } else if (n - i >= sizeof K2 - 1 && !memcmp(pat + i, K2, sizeof K2 - 1)) {
            if (append_alternation(m, false, out)) return VANBAN_ENOMEM;
            i += sizeof K2 - 1;
        } else if (n - i >= sizeof K4 - 1 && !memcmp(pat + i, K4, sizeof K4 - 1)) {
            if (append_laws(m, out)) return VANBAN_ENOMEM;
            i += sizeof K4 - 1;
        } else {
            if (vbi_buf_put(out, pat + i, 1)) return VANBAN_ENOMEM;
            i++;
        }
    }
    return 0;
}

/* ---- the rules' allocator ----------------------------------------------------
   The PCRE2 Debian 12 ships (10.42) crashes inside pcre2_jit_compile when an
   allocation fails there (a failing allocator in tests/failalloc.c finds it
   on every run).  So while the model loads, the rules are compiled with an
   allocator that never fails inside PCRE2: when malloc fails, it serves the
   request from a reserve taken before the first rule (JIT_RESERVE; no
   reserve, no JIT).  Once the reserve has been touched memory is short: the
   rules after it are not JIT-compiled (the interpreter finds the same
   matches), and the load goes on; the next allocation of vanban's own that
   fails returns VANBAN_ENOMEM as always.  After the load the reserve is
   given back when it served nothing; else it stays, and frees of its own
   blocks are no-ops: the model is shared read-only by threads. */
#define JIT_RESERVE ((size_t)4 << 20)

typedef struct vbi_jitmem {
    char *base;
    size_t size, used;
    bool loading;
} vbi_jitmem;

static void *jm_malloc(PCRE2_SIZE n, void *data)
{
    vbi_jitmem *jm = data;
    void *p = malloc(n);
    if (p || !jm->loading || !jm->base) return p;
    size_t a = (jm->used + 15) & ~(size_t)15;
    if (a > jm->size || n > jm->size - a) return NULL;
    jm->used = a + n;
    return jm->base + a;
}

static void jm_free(void *p, void *data)
{
    vbi_jitmem *jm = data;
    if (jm->base && (char *)p >= jm->base && (char *)p < jm->base + jm->size) return;
    free(p);
}

/* The allocator and the contexts the rules are compiled with. */
static int rules_alloc_init(vanban_model *m)
{
    m->jm = calloc(1, sizeof *m->jm);
    if (!m->jm) return VANBAN_ENOMEM;
    m->jm->loading = true;
    m->jm->base = malloc(JIT_RESERVE); /* NULL: no JIT (see compile_rule) */
    if (m->jm->base) m->jm->size = JIT_RESERVE;
    m->gctx = pcre2_general_context_create(jm_malloc, jm_free, m->jm);
    m->cctx = m->gctx ? pcre2_compile_context_create(m->gctx) : NULL;
    return m->cctx ? 0 : VANBAN_ENOMEM;
}

static int compile_rule(vanban_model *m, const char *file, int line, const char *name,
                        size_t namelen, bool caseless, const char *pat, size_t patlen,
                        vanban_error *err)
{
    int id = -1;
    for (int i = 0; i < R__COUNT; i++)
        if (strlen(rule_names[i]) == namelen && !memcmp(rule_names[i], name, namelen)) id = i;
    if (id < 0) {
        set_err(err, VANBAN_EGRAMMAR, file, line, 0, "%s:%d: unknown rule '%.*s'", file, line,
                (int)namelen, name);
        return VANBAN_EGRAMMAR;
    }
    if (m->rule[id]) {
        set_err(err, VANBAN_EGRAMMAR, file, line, 0, "%s:%d: rule '%s' defined twice", file, line,
                rule_names[id]);
        return VANBAN_EGRAMMAR;
    }
    vbi_buf b = {0};
    if (expand(m, pat, patlen, &b)) {
        vbi_buf_free(&b);
        set_err(err, VANBAN_ENOMEM, file, line, 0, "out of memory");
        return VANBAN_ENOMEM;
    }
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | (caseless ? PCRE2_CASELESS : 0);
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(b.p ? b.p : ""), b.len, opts, &ec, &eo, m->cctx);
    vbi_buf_free(&b);
    if (!code) {
        /* PCRE2 reports an allocation that failed while compiling as
           PCRE2_ERROR_HEAP_FAILED ("failed to allocate heap memory"), not
           PCRE2_ERROR_NOMEMORY: both are out of memory, not a bad rule */
        if (ec == PCRE2_ERROR_NOMEMORY || ec == PCRE2_ERROR_HEAP_FAILED) {
            set_err(err, VANBAN_ENOMEM, file, line, 0, "out of memory (compiling rule '%s')",
                    rule_names[id]);
            return VANBAN_ENOMEM;
        }
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(ec, msg, sizeof msg);
        set_err(err, VANBAN_EGRAMMAR, file, line, (size_t)eo, "%s:%d: rule '%s': %s at offset %zu",
                file, line, rule_names[id], (const char *)msg, (size_t)eo);
        return VANBAN_EGRAMMAR;
    }
    /* JIT is an optimisation: when it is unavailable the interpreter is used;
       only with the whole reserve behind it (see jm_malloc) */
    if (m->jm->base && !m->jm->used) (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    uint32_t cnt = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cnt);
    m->rule[id] = code;
    m->group_count[id] = cnt;
    return 0;
}

/* Parse one .pcre file: "@rule NAME [i]" then pattern lines. */
static int load_rules(vanban_model *m, const char *file, const char *data, size_t len,
                      vanban_error *err)
{
    const char *p = data, *end = data + len;
    int lineno = 0, rule_line = 0;
    const char *name = NULL;
    size_t namelen = 0;
    bool caseless = false;
    vbi_buf pat = {0};
    int rc = 0;
    for (;;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *le = p < end ? (nl ? nl : end) : p;
        bool eof = p >= end;
        if (!eof) lineno++;
        if (!eof && le > p && le[-1] == '\r') le--;
        const char *s = p;
        while (!eof && s < le && (*s == ' ' || *s == '\t')) s++;
        bool is_rule = !eof && (size_t)(le - s) >= 5 && !memcmp(s, "@rule", 5);
        if ((is_rule || eof) && name) {
            if (pat.len == 0) {
                set_err(err, VANBAN_EGRAMMAR, file, rule_line, 0, "%s:%d: rule '%.*s' is empty",
                        file, rule_line, (int)namelen, name);
                rc = VANBAN_EGRAMMAR;
                break;
            }
            rc = compile_rule(m, file, rule_line, name, namelen, caseless, pat.p, pat.len, err);
            if (rc) break;
            pat.len = 0;
            name = NULL;
        }
        if (eof) break;
        if (is_rule) {
            const char *q = s + 5;
            while (q < le && (*q == ' ' || *q == '\t')) q++;
            name = q;
            while (q < le && *q != ' ' && *q != '\t') q++;
            namelen = (size_t)(q - name);
            while (q < le && (*q == ' ' || *q == '\t')) q++;
            caseless = q < le && *q == 'i';
            rule_line = lineno;
            if (namelen == 0) {
                set_err(err, VANBAN_EGRAMMAR, file, lineno, 0, "%s:%d: @rule without a name",
                        file, lineno);
                rc = VANBAN_EGRAMMAR;
                break;
            }
        } else if (s < le && *s != '#') {
            if (!name) {
                set_err(err, VANBAN_EGRAMMAR, file, lineno, 0,
                        "%s:%d: pattern text outside a rule", file, lineno);
                rc = VANBAN_EGRAMMAR;
                break;
            }
            if (vbi_buf_put(&pat, s, (size_t)(le - s))) {
                set_err(err, VANBAN_ENOMEM, file, lineno, 0, "out of memory");
                rc = VANBAN_ENOMEM;
                break;
            }
        }
        p = nl ? nl + 1 : end;
    }
    vbi_buf_free(&pat);
    return rc;
}

int vanban_model_load(const char *dir, vanban_model **out, vanban_error *err)
{
    if (err) memset(err, 0, sizeof *err);
    if (!out) {
        set_err(err, VANBAN_EINVAL, NULL, 0, 0, "out is NULL");
        return VANBAN_EINVAL;
    }
    *out = NULL;
    vanban_model *m = calloc(1, sizeof *m);
    if (!m) {
        set_err(err, VANBAN_ENOMEM, NULL, 0, 0, "out of memory");
        return VANBAN_ENOMEM;
    }
    int rc = rules_alloc_init(m);
    if (rc) set_err(err, VANBAN_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < sizeof model_files / sizeof *model_files && !rc; i++) {
        const char *name = model_files[i];
        const char *data = NULL;
        size_t len = 0;
        vbi_buf b = {0};
        if (dir) {
            /* laws.txt and issuers.tsv are optional in a grammar directory
               (one made before they existed): without them, laws are found
               by number or date, and issuers only where the text names them */
            if (!strcmp(name, "laws.txt") || !strcmp(name, "issuers.tsv")) {
                char lp[4096];
                snprintf(lp, sizeof lp, "%s/%s", dir, name);
                FILE *lf = fopen(lp, "rb");
                if (!lf && errno == ENOENT) continue;
                if (lf) fclose(lf);
            }
            rc = read_file(dir, name, &b, err);
            data = b.p ? b.p : "";
            len = b.len;
        } else {
            for (size_t k = 0; k < vbi_embedded_grammar_count; k++)
                if (!strcmp(vbi_embedded_grammars[k].name, name)) {
                    data = vbi_embedded_grammars[k].data;
                    len = vbi_embedded_grammars[k].len;
                }
            if (!data) {
                set_err(err, VANBAN_EGRAMMAR, name, 0, 0, "%s is not embedded", name);
                rc = VANBAN_EGRAMMAR;
            }
        }
        if (!rc) {
            size_t nl = strlen(name);
            if (!strcmp(name, "issuers.tsv")) rc = load_issuers(m, data, len, err);
            else if (nl > 4 && !strcmp(name + nl - 4, ".tsv")) rc = load_doctypes(m, data, len, err);
            else if (nl > 4 && !strcmp(name + nl - 4, ".txt")) rc = load_laws(m, data, len, err);
            else rc = load_rules(m, name, data, len, err);
        }
        vbi_buf_free(&b);
    }
    if (!rc) rc = vbi_repair_model_load(m, dir, err); /* src/repair_model.c */
    for (int i = 0; i < R__COUNT && !rc; i++)
        if (!m->rule[i]) {
            set_err(err, VANBAN_EGRAMMAR, NULL, 0, 0, "rule '%s' is missing from the grammars",
                    rule_names[i]);
            rc = VANBAN_EGRAMMAR;
        }
    if (rc) {
        vanban_model_free(m);
        return rc;
    }
    m->jm->loading = false; /* read-only from here on: the model is shared */
    if (!m->jm->used) { /* the reserve served nothing: give it back */
        free(m->jm->base);
        m->jm->base = NULL;
        m->jm->size = 0;
    }
    *out = m;
    return VANBAN_OK;
}

void vanban_model_free(vanban_model *m)
{
    if (!m) return;
    for (int i = 0; i < R__COUNT; i++) pcre2_code_free(m->rule[i]);
    pcre2_compile_context_free(m->cctx);
    pcre2_general_context_free(m->gctx);
    if (m->jm) free(m->jm->base);
    free(m->jm);
    vbi_repair_model_free(m);
    vbi_arena_free(&m->arena);
    free(m);
}

/* ---- lookups ------------------------------------------------------------ */

static bool eq(const char *a, const char *s, size_t n)
{
    return a && strlen(a) == n && !memcmp(a, s, n);
}

/* Compare ignoring ASCII case (codes such as "Ctr"/"CTr"). */
static bool eq_code(const char *a, const char *s, size_t n)
{
    if (!a || strlen(a) != n) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)s[i];
        if (x < 128 && y < 128) {
            if ((x | 0x20) != (y | 0x20)) return false;
        } else if (x != y) {
            return false;
        }
    }
    return true;
}

const vbi_doctype *vbi_doctype_by_caps(const vanban_model *m, const char *s, size_t n)
{
    for (size_t i = 0; i < m->ntypes; i++)
        if (eq(m->types[i].caps, s, n)) return &m->types[i];
    return NULL;
}

const vbi_doctype *vbi_doctype_by_name(const vanban_model *m, const char *s, size_t n)
{
    for (size_t i = 0; i < m->ntypes; i++)
        if (eq(m->types[i].name, s, n)) return &m->types[i];
    return NULL;
}

const char *vbi_issuer_by_code(const vanban_model *m, const char *s, size_t n)
{
    for (size_t i = 0; i < m->nissuers; i++)
        if (strlen(m->issuer_codes[i]) == n && !memcmp(m->issuer_codes[i], s, n))
            return m->issuer_names[i];
    return NULL;
}

const vbi_doctype *vbi_doctype_by_code(const vanban_model *m, const char *s, size_t n, int fmt)
{
    /* exact code of the given format first, then exact any, then variants */
    for (int pass = 0; pass < 4; pass++)
        for (size_t i = 0; i < m->ntypes; i++) {
            const vbi_doctype *t = &m->types[i];
            switch (pass) {
            case 0:
                if ((fmt == VBI_FMT_PARTY && eq(t->party, s, n)) ||
                    (fmt == VBI_FMT_STATE && eq(t->state, s, n)))
                    return t;
                break;
            case 1:
                if (eq(t->party, s, n) || eq(t->state, s, n)) return t;
                break;
            case 2:
                if (eq_code(t->party, s, n) || eq_code(t->state, s, n)) return t;
                break;
            default:
                for (char **v = t->variants; *v; v++)
                    if (eq_code(*v, s, n)) return t;
            }
        }
    return NULL;
}

/* ---- matching ----------------------------------------------------------- */

int vbi_match(vanban_parser *p, vbi_rule_id r, const char *s, size_t n, size_t start)
{
    uint32_t o = PCRE2_NO_UTF_CHECK | ((p->opt.flags & VANBAN_OPT_NO_JIT) ? PCRE2_NO_JIT : 0);
    int rc = pcre2_match(p->model->rule[r], (PCRE2_SPTR)s, n, start, o, p->md, p->mctx);
    if (rc >= 0) return 1;
    return 0; /* no match, or a limit was hit: treated as no match */
}

void vbi_group0(vanban_parser *p, size_t *so, size_t *eo)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
    *so = ov[0];
    *eo = ov[1];
}

int vbi_group(vanban_parser *p, vbi_rule_id r, const char *name, size_t *so, size_t *eo)
{
    int n = pcre2_substring_number_from_name(p->model->rule[r], (PCRE2_SPTR)name);
    if (n < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
    if ((uint32_t)n >= pcre2_get_ovector_count(p->md) || ov[2 * n] == PCRE2_UNSET) return 0;
    *so = ov[2 * n];
    *eo = ov[2 * n + 1];
    return 1;
}
