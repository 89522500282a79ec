/* seg.h - what the stages of segmentation share (not installed).
 *
 * segment.c drives one file: it marks page furniture, asks seg_bound.c where
 * documents, their late header blocks and their annexes begin, and parses
 * each document with the stage files:
 *   seg_header.c  the header zone: issuer, national header, number, date,
 *                 type, subject, received stamp
 *   seg_body.c    addressees, paragraphs, sections; issuer and type from the
 *                 body when the header has none
 *   seg_sign.c    recipients and signature
 *   seg_annex.c   annexes: label, title, span
 * seg_util.c holds the helpers they all use.  Every stage looks at each line
 * a bounded number of times, so the work stays linear in the input.
 */
#ifndef VANBAN_SEG_H
#define VANBAN_SEG_H

#include "private.h"

typedef vbi_para para; /* lines first..last (private.h) */

/* Evidence a line gives of a document header (seg_bound.c). */
enum {
    EV_NAT = 1 << 0,      /* national header of the state, in a header position */
    EV_PARTY = 1 << 1,    /* "ĐẢNG CỘNG SẢN VIỆT NAM" in a header position */
    EV_MOTTO = 1 << 2,    /* "Độc lập - Tự do - Hạnh phúc" */
    EV_NUM = 1 << 3,      /* "Số: 12/QĐ-UBND" with a number */
    EV_NUMX = 1 << 4,     /* a number line left blank ("Số: /QĐ-UBND", "Số: ....") */
    EV_DATE = 1 << 5,     /* "Hà Nội, ngày 5 tháng 3 năm 2024" */
    EV_DATEX = 1 << 6,    /* a date line left blank ("…, ngày … tháng … năm …") */
    EV_TYPE = 1 << 7,     /* a document type alone on its line ("QUYẾT ĐỊNH") */
    EV_VV = 1 << 8,       /* "V/v …" */
    EV_XACTHUC = 1 << 9,  /* "XÁC THỰC VĂN BẢN HỢP NHẤT" */
    EV_KEMTHEO = 1 << 10, /* "(Ban hành kèm theo Quyết định số …)" */
    EV_ANNEX = 1 << 11,   /* an annex label ("PHỤ LỤC II", "Mẫu số 01") */
    EV_TAIL = 1 << 12,    /* "Nơi nhận:" or a signing marker */
    EV_BODY = 1 << 13     /* a line only a body has ("Điều 1.", "Chương I", "Kính gửi:") */
};

/* What seg_bound.c found: the documents of the file, and inside each the
   blocks that are not its body. */
enum { BLK_LATE_HEADER, BLK_ANNEX };

typedef struct {
    size_t first, last; /* lines [first, last] */
    int kind;           /* BLK_* */
} seg_block;

typedef struct {
    size_t start, end;  /* lines [start, end) */
    seg_block *blk;     /* in line order */
    size_t nblk;
} seg_range;

typedef struct {
    vanban_parser *p;
    const vanban_model *m;
    vanban_result *r;
    const char *t;
    vbi_line *L;
    size_t n;
    unsigned char *soft; /* blank line ignored in a hard-wrapped text */
    bool hardwrap;
    uint32_t wrap;       /* typical length of a full line of the current document */
    uint16_t *ev;        /* EV_* of each line (seg_bound.c) */
    unsigned char *late; /* lines of a late header block: not body text */
} seg;

#define TXT(S, i) ((S)->t + (S)->L[i].off)
#define LEN(S, i) ((S)->L[i].len)

/* ---- seg_util.c --------------------------------------------------------- */
static inline bool blank(const seg *S, size_t i) { return S->L[i].flags & VBI_L_BLANK; }

vbi_span seg_span(const seg *S, size_t off, size_t len);
vbi_span span_join(vbi_span a, vbi_span b);
vbi_span line_span(const seg *S, size_t i);
/* rule r against [off, off+len) as a subject of its own (^ and $ anchor to it) */
bool match(seg *S, vbi_rule_id r, size_t off, size_t len);
bool match_line(seg *S, vbi_rule_id r, size_t i);
/* the same; *so, *eo: whole match, as text offsets */
bool match_piece(seg *S, vbi_rule_id r, size_t off, size_t len, size_t *so, size_t *eo);
/* after a match at base: group name as text offsets; false when unset or empty */
bool group(seg *S, vbi_rule_id r, const char *name, size_t base, size_t *so, size_t *eo);

typedef struct {
    vbi_buf b;
    vbi_span span;
} acc;

void acc_init(acc *a);
int acc_add(seg *S, acc *a, size_t off, size_t len);
int acc_take(seg *S, acc *a, vbi_str *out);
int str_of(seg *S, size_t off, size_t len, vbi_str *out);
char *seg_dup(seg *S, size_t off, size_t len);
void trim_item(seg *S, size_t *off, size_t *len);

bool is_dash_item(seg *S, size_t i);
bool is_label(seg *S, size_t i);
bool is_heading_line(const seg *S, size_t i);
bool is_name(seg *S, size_t i);
size_t next_nb(const seg *S, size_t i, size_t end);
size_t gap(const seg *S, size_t a, size_t b);
bool take_date(seg *S, vbi_rule_id r, size_t base, char out[11]);
bool upper_at(const char *s, size_t n);
bool caps_text(const char *s, size_t n);
bool mostly_caps(const char *s, size_t n);
bool only_punct(const char *s, size_t n);
bool is_luu_item(const char *s, size_t n); /* "Lưu: ..." */
/* no lower-case letter in [s, s+n) */
bool no_lower(const char *s, size_t n);
size_t count_words(const char *s, size_t n);
/* The first occurrence of needle[0, m) in s[0, n), or NULL (memmem, in C11). */
const char *seg_find(const char *s, size_t n, const char *needle, size_t m);
/* Does s[0, n) contain the NUL-terminated string needle? */
bool seg_has(const char *s, size_t n, const char *needle);

typedef struct {
    vbi_str *v;
    size_t n, cap;
} strlist;

int list_push(strlist *l, vbi_str s);

/* An item of a list (addressees, recipients) accumulating over lines. */
typedef struct {
    acc a;
    bool open;
    bool ended; /* the last piece ended with . or ; */
    bool semi;  /* … with ; (the list goes on) */
} item;

int item_flush(seg *S, item *it, strlist *l);
int item_add(seg *S, item *it, size_t off, size_t len, bool is_new, strlist *l);

/* ---- seg_lines.c: lines that OCR or a table export flattened ------------ */
int seg_split_lines(vanban_parser *p);

/* ---- seg_bound.c -------------------------------------------------------- */
void seg_evidence(seg *S);
/* The documents of the file; *out is malloc'd (each range's blk too). */
int seg_bounds(seg *S, seg_range **out, size_t *nout);
void seg_ranges_free(seg_range *v, size_t n);

/* ---- seg_header.c ------------------------------------------------------- */
/* First line after the header zone that starts at start. */
size_t header_end(seg *S, size_t start, size_t end);
int parse_header(seg *S, vbi_doc *D, size_t start, size_t hend);

/* ---- seg_body.c --------------------------------------------------------- */
int parse_addressees(seg *S, vbi_doc *D, size_t k, size_t end, size_t *next);
void measure_wrap(seg *S, size_t from, size_t end);
/* Paragraphs of [from, end) until the tail: *P grows; *tail = first tail line
   (or end). */
int collect_paras(seg *S, size_t from, size_t end, para **P, size_t *np, size_t *pcap,
                  size_t *tail);
int push_para(para **P, size_t *np, size_t *pcap, size_t first, size_t last);
int build_sections(seg *S, vbi_section **out, size_t *nout, const para *P, size_t np);
int body_issuer_and_type(seg *S, vbi_doc *D, const para *P, size_t np);

/* ---- seg_sign.c --------------------------------------------------------- */
/* The tail [tail, end): recipients and signature; *last = last line used. */
int parse_tail(seg *S, vbi_doc *D, size_t tail, size_t end, size_t *last);
/* A signature closing paragraphs without a marker ("CHỦ TỊCH" / name). */
int bare_signature(seg *S, vbi_doc *D, para *P, size_t *np);

/* ---- seg_annex.c -------------------------------------------------------- */
void dedup_annexes(vbi_doc *D); /* seg_annex.c: a listed label that comes again */
int parse_annex(seg *S, vbi_doc *D, size_t first, size_t end, para **P, size_t *np,
                size_t *pcap);

#endif
