/* cli.h - shared pieces of the vanban command-line tool. */
#ifndef VANBAN_CLI_H
#define VANBAN_CLI_H

#include <stddef.h>

#include "vanban.h"

/* Output collected in memory and written at the end (never half-written). */
typedef struct {
    char *p;
    size_t len, cap;
    int failed; /* a write could not grow the buffer: later writes fail too */
} obuf;

int obuf_write(const char *buf, size_t len, void *ud); /* a vanban_write_fn */

/* jansson through an allocator that notes failures (main() calls
   cli_json_init first): after json_load*, cli_json_failed() says whether an
   allocation failed since the last call, which jansson may not report. */
void cli_json_init(void);
int cli_json_failed(void);

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

/* Options every command shares (filled by cli_args_parse). */
typedef struct {
    vanban_options opt;
    const char *grammars;
    const char *outpath;
    unsigned jflags;
    feedmode fm;
} cli_common;

void cli_common_init(cli_common *c);
/* v, whole, is a positive decimal number: 1 and *out set, else 0. */
int cli_positive(const char *v, size_t *out);
int cli_load_model(const cli_common *c, vanban_model **model);
void cli_model_free(vanban_model *m); /* leaves cli_fixed_model alone */
extern vanban_model *cli_fixed_model;

/* ---- options (args.c): one getopt_long parser for every command ---- */
enum { CLI_PARSE = 1, CLI_LINK = 2, CLI_GRAPH = 4, CLI_NORMALIZE = 8, CLI_BATCH = 16 };
#define CLI_DEFAULT_WINDOW ((size_t)8 << 20) /* normalize --window */
#define CLI_MIN_WINDOW ((size_t)4096)

typedef struct {
    cli_common c;       /* -o, --compact, --grammars, --no-repair, --no-jit, --encoding,
                           --max-bytes, --chunk */
    unsigned cmd;       /* CLI_* */
    const char *usage_line;
    char **files;       /* the operands, in order */
    int nfiles;
    int max_bytes_set;  /* --max-bytes given */
    const char *jsonl;  /* parse --jsonl IN, batch --jsonl OUT */
    int mode;           /* normalize: 0 text, 1 --diff, 2 --log */
    size_t window;      /* normalize --window */
    int dot;            /* graph --dot */
    int quiet, resume, sync, jobs; /* batch -q --resume --sync -j */
    int no_isolate;        /* batch --no-isolate */
    double file_timeout;   /* batch --file-timeout (seconds; -1 = not given) */
    size_t file_memory;    /* batch --file-memory (bytes; 0 = none) */
    const char *files_from, *summary;
    size_t max_line;    /* batch --max-line (0: default) */
} cli_args;

/* Parse argv[2..] for the command: 0, 1 after printing the usage for
   --help (exit 0), or 2 after printing the error and usage_line. */
int cli_args_parse(cli_args *a, unsigned cmd, int argc, char **argv, const char *usage,
                   const char *usage_line);
extern const char cli_usage[];      /* main.c: parse, link, graph, normalize */
extern const char cli_usage_line[]; /* "see vanban --help" */

/* Commands: each returns the exit status. */
int cmd_parse(int argc, char **argv);
int cmd_link(int argc, char **argv);  /* link.c */
int cmd_graph(int argc, char **argv); /* link.c */
int cmd_normalize(int argc, char **argv);
int cmd_batch(int argc, char **argv); /* batch.c */
int cmd_parse_jsonl(const cli_common *c, const char *in); /* batch.c: parse --jsonl IN */

#endif
