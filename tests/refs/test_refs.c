/* test_refs.c - unit tests of references and tasks (TAP). */
#include <stdio.h>
#include <string.h>

#include "private.h"

static int n_test, n_fail;

static void ok(int cond, const char *what)
{
    n_test++;
    if (!cond) n_fail++;
    printf("%s %d - %s\n", cond ? "ok" : "not ok", n_test, what);
}

static void str_eq(const char *got, const char *want, const char *what)
{
    int same = (!got && !want) || (got && want && !strcmp(got, want));
    ok(same, what);
    if (!same) printf("#   got  '%s'\n#   want '%s'\n", got ? got : "(null)", want ? want : "(null)");
}

static vanban_model *model;

static vanban_result *parse(const char *text)
{
    vanban_result *r = NULL;
    if (vanban_parse_buffer(model, NULL, text, strlen(text), &r)) return NULL;
    return r;
}

static const vbi_ref *find(const vanban_result *r, const char *number)
{
    for (size_t d = 0; r && d < r->ndocs; d++)
        for (size_t i = 0; i < r->docs[d].nrefs; i++) {
            const vbi_ref *x = &r->docs[d].refs[i];
            if ((x->number && !strcmp(x->number, number)) || (x->name && !strcmp(x->name, number)))
                return x;
        }
    return NULL;
}

/* One citation: check type, date, issuer, term. */
static void cite(const char *text, const char *number, const char *type, const char *date,
                 const char *issuer, const char *term, const char *what)
{
    vanban_result *r = parse(text);
    const vbi_ref *x = find(r, number);
    char buf[160];
    snprintf(buf, sizeof buf, "%s: found %s", what, number);
    ok(x != NULL, buf);
    if (x) {
        snprintf(buf, sizeof buf, "%s: type", what);
        str_eq(x->type, type, buf);
        snprintf(buf, sizeof buf, "%s: date", what);
        str_eq(x->date[0] ? x->date : NULL, date, buf);
        snprintf(buf, sizeof buf, "%s: issuer", what);
        str_eq(x->issuer, issuer, buf);
        snprintf(buf, sizeof buf, "%s: term", what);
        str_eq(x->term, term, buf);
    }
    vanban_result_free(r);
}

static void citation_forms(void)
{
    cite("Thực hiện Chỉ thị số 12-CT/TW, ngày 05/01/2022 của Ban Bí thư về tăng cường sự lãnh "
         "đạo của Đảng, Thường trực Tỉnh ủy yêu cầu các cấp ủy thực hiện.\n",
         "12-CT/TW", "Chỉ thị", "2022-01-05", "Ban Bí thư", NULL, "party, comma before ngày");
    cite("Căn cứ Quyết định số 1060-QĐ/TU ngày 31/3/2017 của Ban Thường vụ Tỉnh ủy về ban hành "
         "Quy chế quản lý thống nhất các hoạt động đối ngoại.\n",
         "1060-QĐ/TU", "Quyết định", "2017-03-31", "Ban Thường vụ Tỉnh ủy", NULL, "party QĐ/TU");
    cite("Thực hiện Quy định 08-QĐi/TW của Bộ Chính trị về trách nhiệm nêu gương.\n", "08-QĐi/TW",
         "Quy định", NULL, "Bộ Chính trị", NULL, "party QĐi");
    cite("Căn cứ Nghị định số 145/2020/NĐ-CP ngày 14 tháng 12 năm 2020 của Chính phủ quy định chi "
         "tiết một số điều của Bộ luật Lao động;\n",
         "145/2020/NĐ-CP", "Nghị định", "2020-12-14", "Chính phủ", NULL, "legal-normative");
    cite("Căn cứ Thông tư số 01/2011/TT-BNV ngày 19/01/2011 của Bộ Nội vụ hướng dẫn thể thức;\n",
         "01/2011/TT-BNV", "Thông tư", "2011-01-19", "Bộ Nội vụ", NULL, "Thông tư");
    cite("Căn cứ Luật Doanh nghiệp số 59/2020/QH14;\n", "59/2020/QH14", "Luật", NULL, NULL, NULL,
         "law with number");
    cite("Căn cứ Luật Tổ chức Chính phủ ngày 19 tháng 6 năm 2015;\n", "Luật Tổ chức Chính phủ",
         "Luật", "2015-06-19", NULL, NULL, "law by name and date");
    cite("Thực hiện Quyết định số 1125/QĐ-TTg của Thủ tướng Chính phủ về phê duyệt đề án.\n",
         "1125/QĐ-TTg", "Quyết định", NULL, "Thủ tướng Chính phủ", NULL, "individual state");
    cite("Ngày 05 tháng 01 năm 2022, Ban Bí thư Trung ương Đảng ban hành Chỉ thị số 12-CT/TW về "
         "tăng cường sự lãnh đạo của Đảng.\n",
         "12-CT/TW", "Chỉ thị", "2022-01-05", "Ban Bí thư Trung ương Đảng", NULL, "date before");
    cite("Thực hiện Chỉ thị số 04-CT/TW ngày 06/7/2011 của Ban Bí thư (khóa XI) về công tác đối "
         "ngoại nhân dân.\n",
         "04-CT/TW", "Chỉ thị", "2011-07-06", "Ban Bí thư", "XI", "term in parentheses");
    cite("Sau khi có Chỉ thị số 04-CT/TW, ngày 06/7/2011 của Ban Bí thư khoá XI, công tác đạt kết "
         "quả.\n",
         "04-CT/TW", "Chỉ thị", "2011-07-06", "Ban Bí thư", "XI", "term without parentheses");
}

static void date_forms(void)
{
    cite("Thực hiện Quyết định số 31-QĐ/TW, ngày 01-10-1997 của Bộ Chính trị về ban hành.\n",
         "31-QĐ/TW", "Quyết định", "1997-10-01", "Bộ Chính trị", NULL, "dd-mm-yyyy");
    cite("Thực hiện Chỉ thị số 05-CT/TW ngày 15 tháng Năm năm 2016 của Bộ Chính trị về học tập.\n",
         "05-CT/TW", "Chỉ thị", "2016-05-15", "Bộ Chính trị", NULL, "month in words");
    cite("Thực hiện Kết luận số 33-KL/TW ngày 25.7.2018 của Bộ Chính trị.\n", "33-KL/TW",
         "Kết luận", "2018-07-25", "Bộ Chính trị", NULL, "dd.mm.yyyy");
    int y, m, d;
    bool hy;
    ok(vbi_parse_date("12 tháng 5", 11, &y, &m, &d, &hy) && !hy && m == 5 && d == 12,
       "date without a year parses, year not written");
    ok(!vbi_parse_date("31/02/2020", 10, &y, &m, &d, &hy), "31/02 is not a date");
}

static void short_forms(void)
{
    vanban_result *r = parse(
        "Ngày 05/01/2022, Ban Bí thư ban hành Chỉ thị số 12-CT/TW về tăng cường sự lãnh đạo của "
        "Đảng (Chỉ thị 12).\n\nBan Đối ngoại Trung ương hướng dẫn việc triển khai Chỉ thị 12 như "
        "sau:\n\n1. Quán triệt Chỉ thị 12-CT/TW và Chỉ thị số 12 CT/TW của Ban Bí thư.\n\n2. Bảo "
        "đảm theo Quyết định số 272-QĐ/TW ngày 21/01/2015 của Bộ Chính trị về ban hành Quy chế "
        "quản lý thống nhất các hoạt động đối ngoại, Kết luận số 33-KL/TW của Bộ Chính trị về "
        "tiếp tục thực hiện Quy chế 272.\n");
    const vbi_ref *x = find(r, "12-CT/TW");
    ok(x && x->mentions == 5, "Chỉ thị 12, (Chỉ thị 12), 12-CT/TW, 12 CT/TW: one reference, 5 mentions");
    ok(x && x->relation == VBI_REL_HUONGDAN, "relation from 'hướng dẫn việc triển khai'");
    x = find(r, "272-QĐ/TW");
    ok(x && x->mentions == 2, "Quy chế 272 resolves to Quyết định 272-QĐ/TW");
    ok(find(r, "12") == NULL && find(r, "272") == NULL, "no reference left with a bare number");
    vanban_result_free(r);
    r = parse("Thực hiện Chỉ thị 15 của Ban Bí thư.\n");
    ok(r && r->ndocs && r->docs[0].nrefs == 0, "an unresolved short form is not a reference");
    vanban_result_free(r);
    /* OCR damage in the type name: the number is the evidence */
    r = parse("Thực hiện Chỉ thi số 12-CT/TW ngày 05/01/2022 của Ban Bí thư, Ban Thường vụ yêu cầu "
              "quán triệt Chi thị 12 và Huớng dẫn so 01-HD/BĐNTW.\n");
    x = find(r, "12-CT/TW");
    ok(x && x->mentions == 2, "'Chỉ thi số 12-CT/TW' and 'Chi thị 12': one reference, 2 mentions");
    str_eq(x ? x->type : NULL, "Chỉ thị", "damaged type name gives the canonical type");
    str_eq(x ? x->date : NULL, "2022-01-05", "damaged citation keeps its date");
    x = find(r, "01-HD/BĐNTW");
    str_eq(x ? x->type : NULL, "Hướng dẫn", "'Huớng dẫn so 01-HD/BĐNTW' found");
    vanban_result_free(r);
    r = parse("Đơn vị chi thi đua 12 lần trong năm.\n");
    ok(r && r->ndocs && r->docs[0].nrefs == 0, "a loose type name without a cited number is not a reference");
    vanban_result_free(r);
}

static void traps(void)
{
    vanban_result *r = parse("ỦY BAN NHÂN DÂN\nTỈNH HÒA BÌNH\n\nSố: 15/QĐ-UBND\n\nHòa Bình, ngày "
                             "05 tháng 3 năm 2024\n\nQUYẾT ĐỊNH\nVề việc phê duyệt\n\nCăn cứ Quyết "
                             "định số 12/QĐ-UBND ngày 14 tháng 8 năm 2023 của Ủy ban nhân dân "
                             "tỉnh;\n\nCăn cứ Nghị quyết số 05/NQ-HĐND ngày 12 tháng 5 của Hội đồng "
                             "nhân dân tỉnh;\n\nĐiều 1. Quyết định số 15/QĐ-UBND này có hiệu lực.\n");
    ok(r && r->ndocs == 1, "one document");
    if (r && r->ndocs) {
        str_eq(r->docs[0].num, "15", "the document's own number is not taken from Căn cứ");
        ok(find(r, "12/QĐ-UBND") != NULL, "the number in Căn cứ is a reference");
        ok(find(r, "15/QĐ-UBND") == NULL, "the document's own number is never a reference");
        const vbi_ref *x = find(r, "05/NQ-HĐND");
        ok(x && !strcmp(x->date, "2024-05-12") && x->date_inferred,
           "ngày 12 tháng 5 without a year takes the document's year, marked inferred");
        ok(x && x->relation == VBI_REL_CANCU, "relation căn cứ");
    }
    vanban_result_free(r);
    r = parse("Căn cứ Nghị định số 145/2020/NĐ-CP ngày 14 tháng 12 của Chính phủ;\n");
    const vbi_ref *x = find(r, "145/2020/NĐ-CP");
    ok(x && !strcmp(x->date, "2020-12-14") && x->date_inferred, "year from the number's year");
    vanban_result_free(r);
}

static const vbi_task *task_of(const vanban_result *r, const char *who)
{
    for (size_t d = 0; r && d < r->ndocs; d++)
        for (size_t i = 0; i < r->docs[d].ntasks; i++)
            if (!strcmp(r->docs[d].tasks[i].assignee, who)) return &r->docs[d].tasks[i];
    return NULL;
}

static void tasks(void)
{
    vanban_result *r = parse(
        "TỈNH ỦY LAI CHÂU\n*\nSố 902-CV/TU\n\nLai Châu, ngày 12 tháng 5 năm 2022\n\nThực hiện Chỉ "
        "thị số 12-CT/TW, Thường trực Tỉnh ủy yêu cầu:\n\n1. Văn phòng Tỉnh ủy sao gửi Chỉ thị số "
        "12-CT/TW tới các huyện ủy trước ngày 15/6/2022.\n\n2. Ban Tuyên giáo Tỉnh ủy chủ trì, phối "
        "hợp với Ban Dân vận Tỉnh ủy hướng dẫn tuyên truyền trong tháng 6/2022, báo cáo kết quả về "
        "Thường trực Tỉnh ủy.\n\n3. Các huyện ủy, thành ủy tổ chức quán triệt; hằng năm báo cáo "
        "Ban Thường vụ Tỉnh ủy.\n\n4. Mục tiêu là nâng cao nhận thức.\n");
    ok(r && r->ndocs == 1 && r->docs[0].ntasks == 3, "three tasks; a goal is not a task");
    const vbi_task *t = task_of(r, "Văn phòng Tỉnh ủy");
    ok(t && !strcmp(t->deadline, "2022-06-15"), "trước ngày 15/6/2022");
    t = task_of(r, "Ban Tuyên giáo Tỉnh ủy");
    ok(t && !strcmp(t->deadline, "2022-06-30") && t->deadline_raw &&
           !strcmp(t->deadline_raw, "trong tháng 6/2022"),
       "trong tháng 6/2022 -> last day, raw phrase kept");
    ok(t && t->lead && !strcmp(t->lead, "Ban Tuyên giáo Tỉnh ủy"), "lead from chủ trì");
    ok(t && t->npartners == 1 && !strcmp(t->partners[0], "Ban Dân vận Tỉnh ủy"), "partners");
    ok(t && t->report_to && !strcmp(t->report_to, "Thường trực Tỉnh ủy"), "report_to");
    t = task_of(r, "Các huyện ủy, thành ủy");
    ok(t && !t->deadline[0] && t->recurrence && !strcmp(t->recurrence, "hằng năm"),
       "recurring duty kept as text");
    vanban_result_free(r);
}

/* Many distinct citations in one document: must stay fast (linear). */
static void pathological(void)
{
    vbi_buf b = {0};
    char line[160];
    int bad = 0;
    for (int i = 0; i < 20000 && !bad; i++) {
        int n = snprintf(line, sizeof line,
                         "Căn cứ Chỉ thị số %d-CT/TW ngày 05/01/2022 của Ban Bí thư (Chỉ thị %d);\n\n", i, i);
        bad = vbi_buf_put(&b, line, (size_t)n);
    }
    vanban_result *r = NULL;
    if (!bad && !vbi_buf_put(&b, "", 1)) r = parse(b.p);
    size_t n = 0, mentions = 0;
    for (size_t d = 0; r && d < r->ndocs; d++)
        for (size_t i = 0; i < r->docs[d].nrefs; i++, n++) mentions += r->docs[d].refs[i].mentions;
    ok(n == 20000 && mentions == 40000, "20000 distinct citations with their short forms");
    vanban_result_free(r);
    vbi_buf_free(&b);
}

int main(void)
{
    vanban_error err;
    if (vanban_model_load(NULL, &model, &err)) {
        printf("Bail out! %s\n", err.text);
        return 1;
    }
    citation_forms();
    date_forms();
    short_forms();
    traps();
    tasks();
    pathological();
    vanban_model_free(model);
    printf("1..%d\n", n_test);
    return n_fail != 0;
}
