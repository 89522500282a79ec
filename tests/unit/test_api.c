/* test_api.c - public API: model loading, options, chunked feeding, bad input. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vanban.h"
/* under valgrind the tests run without JIT (see .ci/run) */
static unsigned test_flags(void) { return getenv("VANBAN_TEST_NO_JIT") ? VANBAN_OPT_NO_JIT : 0; }

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static int sink(const char *b, size_t n, void *ud)
{
    sbuf *s = ud;
    if (s->cap - s->len < n + 1) {
        size_t cap = (s->cap ? s->cap * 2 : 4096) + n;
        char *p = realloc(s->p, cap);
        if (!p) return -1;
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, b, n);
    s->len += n;
    s->p[s->len] = 0;
    return 0;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return b;
}

/* Parse buf fed in pieces of `chunk` bytes (0 = whole, SIZE_MAX = random). */
static char *parse_json(const vanban_model *m, const char *buf, size_t n, size_t chunk,
                        unsigned seed, int *status)
{
    vanban_options opt;
    vanban_options_init(&opt);
    opt.flags |= test_flags();
    opt.source_path = "x.txt";
    vanban_parser *p;
    *status = vanban_parser_new(m, &opt, &p);
    if (*status) return NULL;
    size_t i = 0;
    while (i < n && !*status) {
        size_t k = n - i;
        if (chunk == SIZE_MAX) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % 97;
        } else if (chunk) {
            k = chunk;
        }
        if (k > n - i) k = n - i;
        *status = vanban_parser_feed(p, buf + i, k);
        i += k;
    }
    vanban_result *r = NULL;
    if (!*status) *status = vanban_parser_finish(p, &r);
    sbuf out = {0};
    if (r) {
        int rc = vanban_result_write_json(r, 0, sink, &out);
        if (rc) *status = rc;
    }
    vanban_result_free(r);
    vanban_parser_free(p);
    return out.p;
}

static json_t *parse_obj(const vanban_model *m, const char *text)
{
    int st;
    char *j = parse_json(m, text, strlen(text), 0, 0, &st);
    json_t *o = j ? json_loads(j, 0, NULL) : NULL;
    free(j);
    return o;
}

static void test_model(const char *grammar_dir)
{
    vanban_model *m = NULL;
    vanban_error err;
    INT_EQ(vanban_model_load(NULL, &m, &err), VANBAN_OK, "embedded model loads");
    vanban_model_free(m);
    m = NULL;
    INT_EQ(vanban_model_load(grammar_dir, &m, &err), VANBAN_OK, "model loads from %s", grammar_dir);
    vanban_model_free(m);
    m = NULL;
    int rc = vanban_model_load("/nonexistent-dir", &m, &err);
    INT_EQ(rc, VANBAN_EIO, "missing grammar dir is an I/O error");
    OK(m == NULL && strstr(err.text, "/nonexistent-dir") != NULL, "message names the path: %s",
       err.text);
    INT_EQ(vanban_model_load(NULL, NULL, &err), VANBAN_EINVAL, "NULL out is EINVAL");
    STR_EQ(vanban_strerror(VANBAN_ENOTTEXT), "not text", "strerror");
    STR_EQ(vanban_version(), VANBAN_VERSION_STRING, "version");
}

static void test_bad_grammar(void)
{
    char dir[] = "/tmp/vanban-grammar-XXXXXX";
    if (!mkdtemp(dir)) {
        OK(0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/doctypes.tsv", dir);
    FILE *f = fopen(path, "w");
    fputs("Công văn\tCÔNG VĂN\tCV\t-\t-\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/header.pcre", dir);
    f = fopen(path, "w");
    fputs("# comment\n@rule motto\n(unclosed\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/body.pcre", dir);
    f = fopen(path, "w");
    fputs("", f);
    fclose(f);
    vanban_model *m = NULL;
    vanban_error err;
    int rc = vanban_model_load(dir, &m, &err);
    INT_EQ(rc, VANBAN_EGRAMMAR, "a broken pattern is a grammar error");
    STR_EQ(err.file, "header.pcre", "error names the file");
    INT_EQ(err.line, 2, "error names the rule's line");
    OK(strstr(err.text, "motto") != NULL, "error names the rule: %s", err.text);
    vanban_model_free(m);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    OK(system(path) == 0, "cleanup");
}

static void test_chunking(const vanban_model *m, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        size_t n;
        char *buf = slurp(argv[i], &n);
        if (!buf) {
            OK(0, "read %s", argv[i]);
            continue;
        }
        int st;
        char *whole = parse_json(m, buf, n, 0, 0, &st);
        OK(whole && st == 0, "%s parses", argv[i]);
        size_t sizes[] = {1, 7, SIZE_MAX};
        for (size_t k = 0; k < 3 && whole; k++) {
            char *part = parse_json(m, buf, n, sizes[k], 12345u + (unsigned)i, &st);
            OK(part && !strcmp(part, whole), "%s: %s chunks give identical output", argv[i],
               k == 0 ? "1-byte" : k == 1 ? "7-byte" : "random");
            free(part);
        }
        free(whole);
        free(buf);
    }
}

static void test_bad_input(const vanban_model *m)
{
    int st;
    /* NUL byte: not text, with the offset */
    const char bin[] = "Số 12\0abc";
    vanban_parser *p;
    vanban_options o0;
    vanban_options_init(&o0);
    o0.flags |= test_flags();
    vanban_parser_new(m, &o0, &p);
    vanban_parser_feed(p, bin, sizeof bin - 1);
    vanban_result *r = NULL;
    INT_EQ(vanban_parser_finish(p, &r), VANBAN_ENOTTEXT, "NUL byte: not text");
    INT_EQ(vanban_parser_error_offset(p), 7, "offset of the first NUL (\"Số 12\" is 7 bytes)");
    OK(r == NULL, "no result for binary input");
    vanban_parser_free(p);

    /* a stray NUL late in a long text: dropped with a warning */
    {
        char *t = malloc(10000);
        memset(t, 'a', 10000);
        for (int i = 80; i < 10000; i += 80) t[i] = '\n';
        t[9000] = 0;
        int st2;
        char *j = parse_json(m, t, 10000, 0, 0, &st2);
        INT_EQ(st2, 0, "a NUL after 8 KiB is not binary");
        OK(j && strstr(j, "\"nul-byte\"") && strstr(j, "\"offset\":9000"), "nul-byte warning with offset");
        free(j);
        free(t);
    }

    /* empty input: zero documents and a warning */
    json_t *o = parse_obj(m, "");
    OK(o && json_array_size(json_object_get(o, "documents")) == 0, "empty: no documents");
    json_t *w = json_array_get(json_object_get(o, "warnings"), 0);
    STR_EQ(json_string_value(json_object_get(w, "code")), "empty", "empty: warning");
    json_decref(o);

    /* invalid UTF-8: U+FFFD and a warning with the byte offset */
    o = parse_obj(m, "Kính gửi: Sở Nội vụ.\nabc \xff\xfe def\n");
    w = json_array_get(json_object_get(o, "warnings"), 0);
    STR_EQ(json_string_value(json_object_get(w, "code")), "invalid-utf8", "invalid UTF-8 warned");
    INT_EQ(json_integer_value(json_object_get(w, "offset")), 34, "offset of the bad byte");
    json_decref(o);

    /* truncated UTF-8 at the end of input */
    o = parse_obj(m, "Nội dung \xe1\xbb");
    OK(o != NULL, "truncated UTF-8 sequence still gives output");
    w = json_array_get(json_object_get(o, "warnings"), 0);
    STR_EQ(json_string_value(json_object_get(w, "code")), "invalid-utf8", "truncated sequence warned");
    json_decref(o);

    /* size limit */
    vanban_options opt;
    vanban_options_init(&opt);
    opt.flags |= test_flags();
    opt.max_input_bytes = 10;
    vanban_parser_new(m, &opt, &p);
    INT_EQ(vanban_parser_feed(p, "0123456789abc", 13), VANBAN_ETOOBIG, "size limit enforced");
    INT_EQ(vanban_parser_feed(p, "x", 1), VANBAN_ETOOBIG, "failure is sticky");
    vanban_parser_free(p);

    /* call order */
    vanban_parser_new(m, &o0, &p);
    vanban_parser_finish(p, &r);
    vanban_result_free(r);
    INT_EQ(vanban_parser_feed(p, "x", 1), VANBAN_ESTATE, "feed after finish");
    vanban_parser_free(p);
    INT_EQ(vanban_parser_new(NULL, NULL, &p), VANBAN_EINVAL, "NULL model");
    opt.abi_version = 999;
    INT_EQ(vanban_parser_new(m, &opt, &p), VANBAN_EINVAL, "wrong options ABI");

    /* many numbered headings: all found, flat */
    size_t N = 100000;
    char *big = malloc(N * 24);
    size_t len = 0;
    for (size_t i = 0; i < N; i++) len += (size_t)sprintf(big + len, "%zu. Mục số %zu\n", i % 999 + 1, i);
    char *j = parse_json(m, big, len, 0, 0, &st);
    json_t *root = j ? json_loads(j, 0, NULL) : NULL;
    json_t *secs = json_object_get(json_array_get(json_object_get(root, "documents"), 0), "sections");
    INT_EQ(json_array_size(secs), N, "10^5 numbered headings are 10^5 sections");
    json_decref(root);
    free(j);
    free(big);

    /* 1,000 combining marks in a row, isolated marks, mixed scripts */
    char marks[4000];
    size_t ml = 0;
    marks[ml++] = 'a';
    for (int i = 0; i < 1000; i++) {
        marks[ml++] = (char)0xCC;
        marks[ml++] = (char)0x81;
    }
    marks[ml] = 0;
    j = parse_json(m, marks, ml, 7, 0, &st);
    INT_EQ(st, 0, "1,000 combining marks parse");
    free(j);
    o = parse_obj(m, "\xcc\x81 Кириллица 中文 العربية Tiếng Việt\n");
    OK(o != NULL, "isolated mark and mixed scripts parse");
    json_decref(o);
}

/* source.encoding of the result of text (malloc'd), or NULL */
static char *encoding_of(const vanban_model *m, const char *text)
{
    json_t *o = parse_obj(m, text);
    const char *e = json_string_value(json_object_get(json_object_get(o, "source"), "encoding"));
    char *copy = e ? strdup(e) : NULL;
    json_decref(o);
    return copy;
}

static void encoding_is(const vanban_model *m, const char *text, const char *want, const char *what)
{
    char *e = encoding_of(m, text);
    STR_EQ(e, want, "%s", what);
    free(e);
}

/* Detection reads the common UTF-8 forms 16 bytes at a time and everything
   else byte by byte: both must agree on what is UTF-8. */
static void test_utf8_detection(const vanban_model *m)
{
    encoding_is(m, "Kính gửi: Sở Nội vụ tỉnh Nghệ An, Ủy ban nhân dân huyện\n", "utf-8",
                "2- and 3-byte sequences: UTF-8");
    /* E0 (U+0800), ED 9F BF (U+D7FF) and a 4-byte emoji take the slow way */
    encoding_is(m, "Tiếng Việt \xe0\xa0\x80 \xed\x9f\xbf \xf0\x9f\x98\x80 và chữ Hán 中文\n", "utf-8",
                "E0, ED and 4-byte sequences: UTF-8");
    /* a sequence cut off by the end of the input: at the end of a 16-byte
       block (16 bytes), and inside one (17) */
    encoding_is(m, "Số: 12-CT/TW\xe1\xbb", "utf-8", "truncated at the end of a block: UTF-8");
    encoding_is(m, "Số: 12-CT/TW \xe1\xbb", "utf-8", "truncated inside a block: UTF-8");
    /* a continuation byte where a lead is due, among plenty of good text */
    encoding_is(m, "Quyết định về việc ban hành quy chế làm việc của Ủy ban \x80 nhân dân\n",
                "utf-8", "one stray byte in UTF-8 text: UTF-8");
    /* surrogates (ED A0..BF) and overlong forms (C0, C1, E0 80..9F) are not
       UTF-8, though their bytes sit where the common forms' would */
    const char *not_utf8[] = {"ab \xed\xa0\x80 cd \xed\xbf\xbf ef\n", "ab \xc0\xaf cd \xc1\x81 ef\n",
                              "ab \xe0\x80\xaf cd \xe0\x9f\xbf ef\n"};
    for (size_t i = 0; i < sizeof not_utf8 / sizeof *not_utf8; i++) {
        char *e = encoding_of(m, not_utf8[i]);
        OK(e && strcmp(e, "utf-8") != 0, "surrogates, overlong forms (%zu): not UTF-8", i);
        free(e);
    }
    /* Windows-1258 (tones apart): not UTF-8 */
    encoding_is(m, "Vi\xea\xf2t Nam d\xe2n chu\xd2 c\xf4\xf2ng hoa\xcc va\xcc \xf0i\xea\xccu khoa\xd2n\n",
                "windows-1258", "Windows-1258: not UTF-8");
}

static void test_fields(const vanban_model *m)
{
    json_t *o = parse_obj(m,
        "UBND TỈNH LAI CHÂU\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\r\n"
        "SỞ NỘI VỤ\tĐộc lập - Tự do - Hạnh phúc\r\n"
        "Số: 15/QĐ-SNV\tLai Châu, ngày 05 tháng 01 năm 2024\r\n"
        "\r\nQUYẾT ĐỊNH\r\nVề việc kiện toàn Tổ công tác\r\n\r\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\r\n"
        "QUYẾT ĐỊNH:\r\n"
        "Điều 1. Kiện toàn Tổ công tác.\r\n"
        "Điều 2. Quyết định có hiệu lực kể từ ngày ký.\r\n"
        "Nơi nhận:\r\n- Như Điều 2;\r\n- Lưu: VT.\r\n\r\n"
        "KT. GIÁM ĐỐC\r\nPHÓ GIÁM ĐỐC\r\n\r\nNguyễn Văn An\r\n");
    json_t *d = json_array_get(json_object_get(o, "documents"), 0);
    STR_EQ(json_string_value(json_object_get(d, "format")), "state", "format");
    STR_EQ(json_string_value(json_object_get(d, "national_header")),
           "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "national header from a flattened line");
    json_t *iss = json_object_get(d, "issuer");
    STR_EQ(json_string_value(json_object_get(iss, "name")), "SỞ NỘI VỤ", "issuer");
    STR_EQ(json_string_value(json_object_get(iss, "parent")), "UBND TỈNH LAI CHÂU", "parent");
    json_t *num = json_object_get(d, "number");
    STR_EQ(json_string_value(json_object_get(num, "raw")), "15/QĐ-SNV", "number raw");
    STR_EQ(json_string_value(json_object_get(num, "type_code")), "QĐ", "type code");
    STR_EQ(json_string_value(json_object_get(num, "issuer_code")), "SNV", "issuer code");
    STR_EQ(json_string_value(json_object_get(d, "date")), "2024-01-05", "date");
    STR_EQ(json_string_value(json_object_get(d, "place")), "Lai Châu", "place");
    STR_EQ(json_string_value(json_object_get(json_object_get(d, "type"), "name")), "Quyết định", "type");
    STR_EQ(json_string_value(json_object_get(d, "subject")), "Về việc kiện toàn Tổ công tác", "subject");
    json_t *secs = json_object_get(d, "sections");
    INT_EQ(json_array_size(secs), 2, "Căn cứ and QUYẾT ĐỊNH: are not sections");
    STR_EQ(json_string_value(json_object_get(json_array_get(secs, 0), "label")), "Điều 1.", "Điều label");
    json_t *rec = json_object_get(d, "recipients");
    STR_EQ(json_string_value(json_array_get(rec, 1)), "Lưu: VT", "recipient trimmed");
    json_t *sig = json_object_get(d, "signature");
    STR_EQ(json_string_value(json_object_get(sig, "marker")), "KT.", "marker");
    STR_EQ(json_string_value(json_object_get(sig, "title")), "PHÓ GIÁM ĐỐC", "title");
    STR_EQ(json_string_value(json_object_get(sig, "name")), "Nguyễn Văn An", "name");
    json_decref(o);
}

static void test_real_world_forms(const vanban_model *m)
{
    /* gazette running heads are page furniture, not the number */
    json_t *o = parse_obj(m,
        "CÔNG BÁO/Số 290/Ngày 29-05-2026\n10\n\nCHÍNH PHỦ\n\nSố: 162/2026/NĐ-CP\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Hà Nội, ngày 15 tháng 5 năm 2026\n\nNGHỊ ĐỊNH\nĐiều chỉnh lương hưu\n\n"
        "Căn cứ Luật Tổ chức Chính phủ số 63/2025/QH15;\n\nChương I\nQUY ĐỊNH CHUNG\n"
        "Điều 1. Phạm vi\n1. Nghị định này điều chỉnh mức lương hưu.\n");
    json_t *d = json_array_get(json_object_get(o, "documents"), 0);
    json_t *num = json_object_get(d, "number");
    STR_EQ(json_string_value(json_object_get(num, "raw")), "162/2026/NĐ-CP", "gazette: number");
    STR_EQ(json_string_value(json_object_get(num, "year")), "2026", "gazette: year");
    STR_EQ(json_string_value(json_object_get(num, "type_code")), "NĐ", "gazette: type code");
    STR_EQ(json_string_value(json_object_get(json_object_get(d, "type"), "name")), "Nghị định", "gazette: type");
    STR_EQ(json_string_value(json_object_get(json_object_get(d, "issuer"), "name")), "CHÍNH PHỦ", "gazette: issuer");
    json_t *ch = json_array_get(json_object_get(d, "sections"), 0);
    STR_EQ(json_string_value(json_object_get(ch, "label")), "Chương I", "Chương label");
    STR_EQ(json_string_value(json_object_get(ch, "title")), "QUY ĐỊNH CHUNG", "Chương title from the next line");
    json_t *dieu = json_array_get(json_object_get(ch, "children"), 0);
    STR_EQ(json_string_value(json_object_get(dieu, "label")), "Điều 1.", "Điều under Chương");
    INT_EQ(json_array_size(json_object_get(dieu, "children")), 1, "khoản under Điều");
    json_decref(o);

    /* a header laid out as a markdown table with <br> */
    o = parse_obj(m,
        "| **CHÍNH PHỦ**<br>Số: 204/2026/NĐ-CP | **CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**<br>"
        "**Độc lập – Tự do – Hạnh phúc**<br>*Hà Nội, ngày 11 tháng 6 năm 2026* |\n|---|---|\n\n"
        "**NGHỊ ĐỊNH**\n\nQuy định xử phạt vi phạm hành chính trong lĩnh vực thú y\n\n"
        "Căn cứ Luật Thú y;\n");
    d = json_array_get(json_object_get(o, "documents"), 0);
    STR_EQ(json_string_value(json_object_get(json_object_get(d, "number"), "raw")), "204/2026/NĐ-CP",
           "markdown table header: number");
    STR_EQ(json_string_value(json_object_get(d, "date")), "2026-06-11", "markdown table header: date");
    STR_EQ(json_string_value(json_object_get(d, "motto")), "Độc lập – Tự do – Hạnh phúc",
           "motto with en dashes");
    json_decref(o);
}

/* A result of buf[0, n) parsed with the given flags (and the test flags). */
static vanban_result *parse_flags(const vanban_model *m, const char *buf, size_t n, unsigned flags)
{
    vanban_options opt;
    vanban_options_init(&opt);
    opt.flags |= test_flags() | flags;
    vanban_result *r = NULL;
    if (vanban_parse_buffer(m, &opt, buf, n, &r)) return NULL;
    return r;
}

/* Corrections as one string: "start end from>to kind;" each. */
static char *corrections_of(const vanban_result *r)
{
    sbuf b = {0};
    sink("", 0, &b);
    for (size_t i = 0; i < vanban_result_correction_count(r); i++) {
        vanban_correction c;
        char head[64];
        if (vanban_result_correction(r, i, &c)) break;
        snprintf(head, sizeof head, "%zu %zu ", c.start, c.end);
        sink(head, strlen(head), &b);
        sink(c.from, strlen(c.from), &b);
        sink(">", 1, &b);
        sink(c.to, strlen(c.to), &b);
        sink(" ", 1, &b);
        sink(c.kind, strlen(c.kind), &b);
        sink(";", 1, &b);
    }
    return b.p;
}

/* VANBAN_OPT_TEXT_ONLY: no documents, the same text and corrections; and
   VANBAN_OPT_NO_CONTEXT: only the layers that need no model. */
static void test_text_only(const vanban_model *m, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        size_t n;
        char *buf = slurp(argv[i], &n);
        if (!buf) {
            OK(0, "read %s", argv[i]);
            continue;
        }
        for (int nc = 0; nc < 2; nc++) {
            unsigned extra = nc ? VANBAN_OPT_NO_CONTEXT : 0;
            vanban_result *full = parse_flags(m, buf, n, extra);
            vanban_result *to = parse_flags(m, buf, n, extra | VANBAN_OPT_TEXT_ONLY);
            OK(full && to, "%s%s: parses with and without TEXT_ONLY", argv[i],
               nc ? " (no context)" : "");
            if (!full || !to) {
                vanban_result_free(full);
                vanban_result_free(to);
                continue;
            }
            OK(vanban_result_document_count(full) > 0 && vanban_result_document_count(to) == 0,
               "%s: TEXT_ONLY gives 0 documents (the full run %zu)", argv[i],
               vanban_result_document_count(full));
            sbuf t1 = {0}, t2 = {0};
            sink("", 0, &t1);
            sink("", 0, &t2);
            INT_EQ(vanban_result_write_text(full, sink, &t1), VANBAN_OK, "write_text");
            INT_EQ(vanban_result_write_text(to, sink, &t2), VANBAN_OK, "write_text (text only)");
            OK(t1.len == t2.len && !memcmp(t1.p, t2.p, t1.len),
               "%s%s: TEXT_ONLY writes the same text", argv[i], nc ? " (no context)" : "");
            char *c1 = corrections_of(full), *c2 = corrections_of(to);
            STR_EQ(c2, c1, "%s%s: TEXT_ONLY makes the same corrections", argv[i],
                   nc ? " (no context)" : "");
            if (nc) /* no context: no diacritic or break corrections */
                OK(!strstr(c2, " diacritic;") && !strstr(c2, " break;"),
                   "%s: no context, no diacritic or break corrections", argv[i]);
            free(c1);
            free(c2);
            free(t1.p);
            free(t2.p);
            /* the JSON of a text-only result: valid, no documents, no checksum */
            sbuf j = {0};
            INT_EQ(vanban_result_write_json(to, 0, sink, &j), VANBAN_OK, "JSON of a text-only result");
            json_t *o = j.p ? json_loads(j.p, 0, NULL) : NULL;
            json_t *src = json_object_get(o, "source");
            OK(o && json_array_size(json_object_get(o, "documents")) == 0 &&
                   json_is_null(json_object_get(src, "sha256")) &&
                   json_integer_value(json_object_get(src, "bytes")) == (json_int_t)n,
               "%s: text-only JSON: documents [], sha256 null, bytes %zu", argv[i], n);
            json_decref(o);
            free(j.p);
            vanban_result_free(full);
            vanban_result_free(to);
        }
        free(buf);
    }
    /* an empty text-only input: the "empty" warning, no "no-text" */
    vanban_result *r = parse_flags(m, "", 0, VANBAN_OPT_TEXT_ONLY);
    OK(r && vanban_result_warning_count(r) == 1, "empty text-only input: one warning (empty)");
    vanban_result_free(r);
    /* found by the fuzzer: an empty line through the general path before
       any byte map existed made p->ms + 0 of a null p->ms (clang's UBSan) */
    static const char odd[] = " \x20\x0au\xe2`**\n \xb5\xb5";
    r = parse_flags(m, odd, sizeof odd - 1, VANBAN_OPT_TEXT_ONLY | VANBAN_OPT_NO_CONTEXT);
    sbuf t = {0};
    OK(r && vanban_result_write_text(r, sink, &t) == VANBAN_OK && t.len > 0,
       "text only, no context: an empty line, invalid UTF-8, stars");
    free(t.p);
    vanban_result_free(r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_api GRAMMAR_DIR [CORPUS_FILE...]\n");
        return 2;
    }
    test_model(argv[1]);
    test_bad_grammar();
    vanban_model *m;
    vanban_error err;
    if (vanban_model_load(NULL, &m, &err)) {
        printf("Bail out! model: %s\n", err.text);
        return 1;
    }
    test_fields(m);
    test_utf8_detection(m);
    test_real_world_forms(m);
    test_bad_input(m);
    test_chunking(m, argc - 2, argv + 2);
    test_text_only(m, argc - 2, argv + 2);
    vanban_model_free(m);
    return tap_done();
}
