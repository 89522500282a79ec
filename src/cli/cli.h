/* cli.h - shared pieces of the vanban command-line tool. */
#ifndef VANBAN_CLI_H
#define VANBAN_CLI_H

#include <stddef.h>

#include "vanban.h"

/* Output collected in memory and written at the end (never half-written). */
typedef struct {
    char *p;
    size_t len, cap;
} obuf;

int obuf_write(const char *buf, size_t len, void *ud); /* a vanban_write_fn */

/* How to feed a file to the parser (testing the chunking property). */
typedef struct {
    size_t chunk;            /* 0 = whole reads */
    int random;              /* random chunk sizes */
    unsigned long long seed; /* for random */
} feedmode;

/* Feed the file at path ("-" = standard input) into p.  Returns 0, or 2 after
   printing an I/O error, or 1 after printing a parse error (rc in *prc). */
int cli_feed_file(vanban_parser *p, const char *path, const feedmode *fm, int *prc);

/* Print the message for a failed finish() and return the exit status. */
int cli_report_finish(vanban_parser *p, const char *path, int rc, const vanban_options *opt);

/* write(2) all of p, retrying after EINTR; 0 or -1 (errno set). */
int cli_write_all(int fd, const char *p, size_t n);

/* Write buf to path atomically (temp file + fsync + rename), or to stdout
   when path is NULL.  Returns 0 or 2 after printing the error. */
int cli_emit(const char *path, const char *buf, size_t len);

/* Streaming output: to stdout, or to a temporary file beside path that
   cli_out_close renames into place only when everything was written. */
typedef struct {
    void *f; /* FILE* */
    char *path, *tmp;
    int failed;
} cli_out;

int cli_out_open(cli_out *o, const char *path); /* 0 or 2 (message printed) */
int cli_out_write(const char *buf, size_t len, void *ud); /* a vanban_write_fn */
int cli_out_close(cli_out *o, int ok); /* commits if ok; returns 0 or 2 */

/* Common options: returns 1 if argv[*i] was one (consuming its value), 0 if
   not, -1 on a bad value (message printed). */
typedef struct {
    vanban_options opt;
    const char *grammars;
    const char *outpath;
    unsigned jflags;
    feedmode fm;
} cli_common;

void cli_common_init(cli_common *c);
int cli_common_option(cli_common *c, int argc, char **argv, int *i);
/* v, whole, is a positive decimal number: 1 and *out set, else 0. */
int cli_positive(const char *v, size_t *out);
int cli_load_model(const cli_common *c, vanban_model **model);

/* Commands: each returns the exit status. */
int cmd_parse(int argc, char **argv);
int cmd_link(int argc, char **argv);  /* link.c */
int cmd_graph(int argc, char **argv); /* link.c */
int cmd_normalize(int argc, char **argv);
int cmd_batch(int argc, char **argv); /* batch.c */
int cmd_parse_jsonl(const cli_common *c, const char *in); /* batch.c: parse --jsonl IN */

#endif
