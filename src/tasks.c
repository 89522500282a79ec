/* tasks.c - directive items -> tasks.
 *
 * A task is an order to a named body.  The units looked at are the content
 * paragraphs of a document, with their place in the section tree:
 *   - a paragraph that asks a body to act ("… yêu cầu các cấp công đoàn
 *     nghiêm túc triển khai …") gives a task for that body (task_request);
 *   - a paragraph that starts with a body and a verb ("Văn phòng Tỉnh ủy sao
 *     gửi …", "Giao Ban Tổ chức Huyện ủy theo dõi …") gives a task for that body
 *     (task_assignee); later sentences of the paragraph that start the same way
 *     give further tasks;
 *   - a lead-in ending with ":" that names a body ("Ban Bí thư yêu cầu các cấp
 *     uỷ … làm tốt các nhiệm vụ sau:", "Giao Hạt Kiểm lâm huyện:", "Tổ công tác
 *     có nhiệm vụ:") passes that body to the items under it that start with a
 *     verb; in a "Tổ chức thực hiện" section a heading that is only the name of a
 *     body passes it to the paragraphs under it.
 * Reports and submissions (Báo cáo, Tờ trình) order no one: they have no tasks.
 * Every rule is matched once per paragraph or sentence, so the work is linear.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

enum { LEAD_NONE, LEAD_TITLE, LEAD_PARA, LEAD_HEADING };

typedef struct {
    const vbi_docview *v;
    vbi_doc *D;
    vbi_jtext j;
    vbi_task *tv;
    size_t n, cap;
    int doc_year;
} tstate;

static char *tdup(tstate *T, size_t a, size_t b)
{
    const char *s = T->j.b.p;
    while (a < b && (s[a] == ' ' || s[a] == ',')) a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == ',' || s[b - 1] == ':')) b--;
    return vbi_arena_strndup(T->v->arena, s + a, b - a);
}

static bool tgrp(tstate *T, vbi_rule_id r, const char *name, size_t base, size_t *so, size_t *eo)
{
    if (!vbi_group(T->v->p, r, name, so, eo)) return false;
    *so += base;
    *eo += base;
    return *eo > *so;
}

static bool tmatch(tstate *T, vbi_rule_id r, size_t a, size_t b)
{
    return vbi_match(T->v->p, r, T->j.b.p + a, b - a, 0);
}

static int last_day(int y, int m)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return md[m - 1];
}

/* A task for `who` over the text [a, b) (the action starts at act). */
static int add_task(tstate *T, char *who, size_t a, size_t act, size_t b, const char *section)
{
    if (!who) return VANBAN_ENOMEM;
    if (T->n == T->cap) {
        size_t cap = T->cap ? T->cap * 2 : 16;
        vbi_task *v = realloc(T->tv, cap * sizeof *v);
        if (!v) return VANBAN_ENOMEM;
        T->tv = v;
        T->cap = cap;
    }
    vbi_task *t = &T->tv[T->n];
    memset(t, 0, sizeof *t);
    t->assignee = who;
    t->section = (char *)section;
    t->span = vbi_jtext_span(&T->j, T->v->p, a, b);
    while (b > act && strchr(" ./", T->j.b.p[b - 1])) b--;
    if (!(t->action = tdup(T, act, b))) return VANBAN_ENOMEM;
    size_t so, eo;
    const char *s = T->j.b.p;
    if (tmatch(T, R_TASK_DEADLINE, act, b)) {
        int y = 0, m = 0, d = 0;
        bool hy = false, ok = false;
        if (tgrp(T, R_TASK_DEADLINE, "date", act, &so, &eo)) {
            ok = vbi_parse_date(s + so, eo - so, &y, &m, &d, &hy);
            if (ok && !hy) y = T->doc_year, ok = y != 0;
        } else if (tgrp(T, R_TASK_DEADLINE, "mm", act, &so, &eo)) {
            m = atoi(s + so);
            if (tgrp(T, R_TASK_DEADLINE, "yy", act, &so, &eo)) y = atoi(s + so);
            ok = m >= 1 && m <= 12 && y >= 1900 && y <= 2100;
            if (ok) d = last_day(y, m);
        }
        if (ok) vbi_format_date(t->deadline, y, m, d);
        vbi_group0(T->v->p, &so, &eo);
        if (!(t->deadline_raw = tdup(T, act + so, act + eo))) return VANBAN_ENOMEM;
    }
    if (tmatch(T, R_TASK_RECUR, act, b)) {
        vbi_group0(T->v->p, &so, &eo);
        if (!(t->recurrence = tdup(T, act + so, act + eo))) return VANBAN_ENOMEM;
    }
    if (tmatch(T, R_TASK_REPORT, act, b) && tgrp(T, R_TASK_REPORT, "to", act, &so, &eo) &&
        !(t->report_to = tdup(T, so, eo)))
        return VANBAN_ENOMEM;
    if (tmatch(T, R_TASK_PARTNERS, act, b)) {
        if (tgrp(T, R_TASK_PARTNERS, "lead", act, &so, &eo)) t->lead = who;
        if (tgrp(T, R_TASK_PARTNERS, "p", act, &so, &eo)) {
            t->partners = vbi_arena_alloc(T->v->arena, 2 * sizeof *t->partners);
            if (!t->partners || !(t->partners[0] = tdup(T, so, eo))) return VANBAN_ENOMEM;
            t->partners[1] = NULL;
            t->npartners = 1;
        }
    }
    if (!t->lead && b - act >= 8 && (!memcmp(s + act, "Chủ trì", 8) || !memcmp(s + act, "chủ trì", 8)))
        t->lead = who;
    T->n++;
    return 0;
}

/* Next sentence start in [a, b): after ". " followed by an upper-case letter. */
static size_t next_sentence(const char *s, size_t a, size_t b)
{
    for (size_t k = a; k + 2 < b; k++)
        if (s[k] == '.' && s[k + 1] == ' ' && k + 2 < b) {
            size_t adv;
            int32_t c = vbi_utf8_decode(s + k + 2, b - k - 2, &adv);
            if (c > 0 && !vbi_is_lower_cp(c) && vbi_is_letter_cp(c)) return k + 2;
            if (c >= 'A' && c <= 'Z') return k + 2;
        }
    return b;
}

/* Tasks named at the start of sentences of [a, b).  Returns how many. */
static int own_tasks(tstate *T, size_t a, size_t b, const char *section, size_t *made)
{
    *made = 0;
    size_t s = a;
    while (s < b) {
        size_t e = next_sentence(T->j.b.p, s, b), so, eo;
        if (tmatch(T, R_TASK_ASSIGNEE, s, e) && tgrp(T, R_TASK_ASSIGNEE, "a", s, &so, &eo)) {
            size_t vs, ve;
            tgrp(T, R_TASK_ASSIGNEE, "v", s, &vs, &ve);
            /* the task runs to the next sentence that names another body */
            size_t end = e;
            while (end < b) {
                size_t e2 = next_sentence(T->j.b.p, end, b);
                if (tmatch(T, R_TASK_ASSIGNEE, end, e2)) break;
                end = e2;
            }
            size_t act = eo;
            while (act < vs && T->j.b.p[act] == ' ') act++;
            int rc = add_task(T, tdup(T, so, eo), s, act, end, section);
            if (rc) return rc;
            (*made)++;
            s = end;
        } else {
            if (s == a && *made == 0) return 0; /* the paragraph does not start with a body */
            s = e;
        }
    }
    return 0;
}

/* ---- sections ------------------------------------------------------------ */

static bool is_ancestor_or_self(const vbi_doc *D, size_t anc, size_t x)
{
    for (size_t k = x, guard = 0; k != SIZE_MAX && guard < 64; k = D->sections[k].parent, guard++)
        if (k == anc) return true;
    return false;
}

static const char *label_of(const vbi_doc *D, size_t x)
{
    for (size_t k = x, guard = 0; k != SIZE_MAX && guard < 64; k = D->sections[k].parent, guard++)
        if (D->sections[k].label) return D->sections[k].label;
    return NULL;
}

/* ---- entry -------------------------------------------------------------- */

int vbi_extract_tasks(const vbi_docview *v, vbi_doc *D)
{
    if (D->type && (!strcmp(D->type->name, "Báo cáo") || !strcmp(D->type->name, "Tờ trình")))
        return 0;
    tstate T;
    memset(&T, 0, sizeof T);
    T.v = v;
    T.D = D;
    if (D->date[0]) T.doc_year = atoi(D->date);
    int rc = 0;
    size_t ns = D->nsections;
    bool *s1 = calloc(ns ? ns : 1, sizeof *s1);
    if (!s1) return VANBAN_ENOMEM;
    for (size_t i = 0; i < ns; i++) {
        const vbi_section *sc = &D->sections[i];
        s1[i] = (sc->parent != SIZE_MAX && s1[sc->parent]) ||
                (sc->title && vbi_match(v->p, R_TASK_SECTION, sc->title, strlen(sc->title), 0));
    }
    int lead_kind = LEAD_NONE;
    char *lead_who = NULL;
    size_t lead_sec = SIZE_MAX;
    size_t si = 0; /* next section to enter */
    for (size_t k = 0; k < v->np && !rc; k++) {
        /* joined paragraph */
        size_t a = T.j.b.len;
        for (size_t q = v->P[k].first; q <= v->P[k].last && !rc; q++) {
            if (v->L[q].flags & VBI_L_BLANK) continue;
            rc = vbi_jtext_add(&T.j, v->t, v->L[q].off, v->L[q].len);
            if (!rc) rc = vbi_jtext_sep(&T.j, ' ');
        }
        if (rc) break;
        size_t b = T.j.b.len;
        while (b > a && T.j.b.p[b - 1] == ' ') b--;
        if (!rc) rc = vbi_jtext_sep(&T.j, '\n');
        if (rc || b <= a) continue;
        /* its section: the deepest one that contains its start */
        uint32_t os = v->p->ms[v->L[v->P[k].first].off];
        while (si < ns && D->sections[si].span.s <= os) si++;
        size_t sec = si ? si - 1 : SIZE_MAX;
        while (sec != SIZE_MAX &&
               !(D->sections[sec].span.s <= os && os < D->sections[sec].span.e + 1))
            sec = D->sections[sec].parent;
        bool title = sec != SIZE_MAX && D->sections[sec].span.s == os;
        bool labelled = title && D->sections[sec].label;
        size_t owner = title ? D->sections[sec].parent : sec;
        bool in_s1 = sec != SIZE_MAX && s1[sec];
        const char *section = sec != SIZE_MAX ? label_of(D, sec) : NULL;
        /* strip the label or the dash */
        size_t ta = a, so, eo;
        bool dash = false;
        if (labelled && tmatch(&T, R_SECTION_LABEL, a, b)) {
            vbi_group0(v->p, &so, &eo);
            ta = a + eo;
        } else if (!title && tmatch(&T, R_LIST_ITEM, a, b) &&
                   tgrp(&T, R_LIST_ITEM, "rest", a, &so, &eo)) {
            ta = so;
            dash = true;
        }
        while (ta < b && T.j.b.p[ta] == ' ') ta++;
        if (ta >= b) continue;
        bool item = labelled || dash;
        /* a "Tổ chức thực hiện" heading orders no one itself */
        if (title && vbi_match(v->p, R_TASK_SECTION, T.j.b.p + ta, b - ta, 0)) continue;
        bool colon = T.j.b.p[b - 1] == ':';
        if (colon) {
            /* a lead-in: who the following items are for */
            char *who = NULL;
            if (tmatch(&T, R_TASK_REQUEST, ta, b) && tgrp(&T, R_TASK_REQUEST, "a", ta, &so, &eo)) {
                who = tdup(&T, so, eo);
            } else if (tmatch(&T, R_TASK_LEAD, ta, b)) {
                if (tgrp(&T, R_TASK_LEAD, "g", ta, &so, &eo) ||
                    tgrp(&T, R_TASK_LEAD, "h", ta, &so, &eo) ||
                    tgrp(&T, R_TASK_LEAD, "x", ta, &so, &eo))
                    who = tdup(&T, so, eo);
            }
            if (who) {
                lead_who = who;
                lead_kind = title ? LEAD_TITLE : LEAD_PARA;
                lead_sec = title ? sec : owner;
            } else if (lead_kind == LEAD_PARA && !item && owner == lead_sec) {
                lead_kind = LEAD_NONE;
            }
            continue;
        }
        /* "… yêu cầu <body> <verb> …" */
        if (tmatch(&T, R_TASK_REQUEST, ta, b) && tgrp(&T, R_TASK_REQUEST, "a", ta, &so, &eo)) {
            rc = add_task(&T, tdup(&T, so, eo), a, eo, b, section);
            continue;
        }
        /* "<body> <verb> …" */
        /* plain paragraphs outside "Tổ chức thực hiện" count inside a numbered item */
        bool in_item = owner != SIZE_MAX && D->sections[owner].label;
        if (item || in_s1 || (!title && in_item)) {
            size_t made;
            rc = own_tasks(&T, ta, b, section, &made);
            if (rc || made) continue;
        }
        /* a heading in "Tổ chức thực hiện" that is only a body's name */
        if (title && in_s1 && tmatch(&T, R_TASK_LEAD, ta, b) &&
            tgrp(&T, R_TASK_LEAD, "o", ta, &so, &eo)) {
            lead_who = tdup(&T, so, eo);
            lead_kind = LEAD_HEADING;
            lead_sec = sec;
            if (!lead_who) rc = VANBAN_ENOMEM;
            continue;
        }
        /* the body comes from the lead-in */
        bool applies = false;
        if (lead_kind == LEAD_TITLE)
            applies = item && owner != SIZE_MAX && is_ancestor_or_self(D, lead_sec, owner);
        else if (lead_kind == LEAD_PARA)
            applies = item && owner == lead_sec;
        else if (lead_kind == LEAD_HEADING)
            applies = owner != SIZE_MAX && is_ancestor_or_self(D, lead_sec, owner);
        if (applies && tmatch(&T, R_TASK_VERB, ta, b)) {
            rc = add_task(&T, lead_who, a, ta, b, section);
            continue;
        }
        if (lead_kind == LEAD_PARA && !item && owner == lead_sec) lead_kind = LEAD_NONE;
    }
    free(s1);
    if (!rc && T.n) {
        D->tasks = vbi_arena_alloc(v->arena, T.n * sizeof *D->tasks);
        if (!D->tasks) rc = VANBAN_ENOMEM;
        else {
            memcpy(D->tasks, T.tv, T.n * sizeof *D->tasks);
            D->ntasks = T.n;
        }
    }
    free(T.tv);
    vbi_jtext_free(&T.j);
    return rc;
}
