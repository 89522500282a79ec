/* args.c - the one option parser of every vanban command (getopt_long).
 *
 * Options go anywhere among the files ("vanban parse a.txt -o out.json"),
 * "--" ends them, short options take their value glued or apart ("-j2",
 * "-j 2"), long ones with "=" or apart ("--margin=7", "--margin 7"); each
 * command accepts only its own options (the table below says which), and
 * "--help" prints the command's usage with exit 0.  An unknown option, a
 * missing or bad value exits 2 with a message and the usage line.
 */
#define _GNU_SOURCE /* getopt_long's argument permutation is the GNU behaviour */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    O_HELP = 'h', O_OUT = 'o', O_QUIET = 'q', O_JOBS = 'j',
    O_COMPACT = 256, O_GRAMMARS, O_NO_REPAIR, O_NO_JIT, O_ENCODING, O_MAX_BYTES, O_CHUNK,
    O_JSONL, O_DIFF, O_LOG, O_NO_CONTEXT, O_WINDOW, O_TONE, O_MARGIN, O_DOT, O_RESUME, O_SYNC,
    O_FILES_FROM, O_SUMMARY, O_MAX_LINE, O_NO_ISOLATE, O_FILE_TIMEOUT, O_FILE_MEMORY
};

static const struct option longopts[] = {
    {"help", no_argument, NULL, O_HELP},
    {"compact", no_argument, NULL, O_COMPACT},
    {"grammars", required_argument, NULL, O_GRAMMARS},
    {"no-repair", no_argument, NULL, O_NO_REPAIR},
    {"no-jit", no_argument, NULL, O_NO_JIT},
    {"encoding", required_argument, NULL, O_ENCODING},
    {"max-bytes", required_argument, NULL, O_MAX_BYTES},
    {"chunk", required_argument, NULL, O_CHUNK},
    {"jsonl", required_argument, NULL, O_JSONL},
    {"diff", no_argument, NULL, O_DIFF},
    {"log", no_argument, NULL, O_LOG},
    {"no-context", no_argument, NULL, O_NO_CONTEXT},
    {"window", required_argument, NULL, O_WINDOW},
    {"tone-style", required_argument, NULL, O_TONE},
    {"margin", required_argument, NULL, O_MARGIN},
    {"dot", no_argument, NULL, O_DOT},
    {"resume", no_argument, NULL, O_RESUME},
    {"sync", no_argument, NULL, O_SYNC},
    {"files-from", required_argument, NULL, O_FILES_FROM},
    {"summary", required_argument, NULL, O_SUMMARY},
    {"max-line", required_argument, NULL, O_MAX_LINE},
    {"no-isolate", no_argument, NULL, O_NO_ISOLATE},
    {"file-timeout", required_argument, NULL, O_FILE_TIMEOUT},
    {"file-memory", required_argument, NULL, O_FILE_MEMORY},
    {NULL, 0, NULL, 0},
};

/* Which commands take each option (the help and -o: all of them). */
static unsigned allowed(int o)
{
    const unsigned all = CLI_PARSE | CLI_LINK | CLI_GRAPH | CLI_NORMALIZE | CLI_BATCH;
    switch (o) {
    case O_HELP: case O_OUT: case O_GRAMMARS: case O_NO_REPAIR: case O_NO_JIT: case O_MAX_BYTES:
        return all;
    case O_COMPACT: return all & ~(unsigned)CLI_NORMALIZE;
    case O_ENCODING: return CLI_PARSE | CLI_NORMALIZE | CLI_BATCH;
    case O_CHUNK: return all & ~(unsigned)CLI_BATCH;
    case O_JSONL: return CLI_PARSE | CLI_BATCH;
    case O_DIFF: case O_LOG: case O_NO_CONTEXT: case O_WINDOW: case O_TONE: case O_MARGIN:
        return CLI_NORMALIZE;
    case O_DOT: return CLI_GRAPH;
    default: return CLI_BATCH; /* -q -j --resume --sync --files-from --summary --max-line,
                                   --no-isolate --file-timeout --file-memory */
    }
}

static const char *cmd_name(unsigned cmd)
{
    switch (cmd) {
    case CLI_PARSE: return "parse";
    case CLI_LINK: return "link";
    case CLI_GRAPH: return "graph";
    case CLI_NORMALIZE: return "normalize";
    default: return "batch";
    }
}

/* The option as the user would write it ("--margin", "-j"). */
static void opt_label(int o, char *buf, size_t n)
{
    if (o > 0 && o < 256) {
        snprintf(buf, n, "-%c", o);
        return;
    }
    for (const struct option *L = longopts; L->name; L++)
        if (L->val == o) {
            snprintf(buf, n, "--%s", L->name);
            return;
        }
    snprintf(buf, n, "?");
}

static int bad_value(const cli_args *a, const char *opt, const char *what)
{
    fprintf(stderr, "vanban: %s: %s needs %s\n%s", cmd_name(a->cmd), opt, what, a->usage_line);
    return 2;
}

/* "512M", "2G", "1048576": a size in bytes (K, M, G: powers of 1024). */
static int parse_size(const char *v, size_t *out)
{
    char *e;
    if (!*v || *v < '0' || *v > '9') return 0;
    unsigned long long x = strtoull(v, &e, 10);
    unsigned shift = 0;
    if (*e == 'K' || *e == 'k') shift = 10;
    else if (*e == 'M' || *e == 'm') shift = 20;
    else if (*e == 'G' || *e == 'g') shift = 30;
    if (shift) e++;
    if (*e || x == 0 || x > (SIZE_MAX >> shift)) return 0;
    *out = (size_t)x << shift;
    return 1;
}

/* The value of an option that takes one. */
static int take_value(cli_args *a, int o, const char *v)
{
    cli_common *c = &a->c;
    size_t x;
    char *e;
    switch (o) {
    case O_OUT: c->outpath = v; return 0;
    case O_GRAMMARS: c->grammars = v; return 0;
    case O_ENCODING: c->opt.encoding = v; return 0;
    case O_JSONL: a->jsonl = v; return 0;
    case O_FILES_FROM: a->files_from = v; return 0;
    case O_SUMMARY: a->summary = v; return 0;
    case O_MAX_BYTES:
        if (!cli_positive(v, &c->opt.max_input_bytes)) return bad_value(a, "--max-bytes", "a positive number");
        a->max_bytes_set = 1;
        return 0;
    case O_MAX_LINE:
        if (!cli_positive(v, &a->max_line)) return bad_value(a, "--max-line", "a positive number");
        return 0;
    case O_JOBS:
        if (!cli_positive(v, &x) || x > 1024) return bad_value(a, "-j", "a number from 1 to 1024");
        a->jobs = (int)x;
        return 0;
    case O_FILE_TIMEOUT: {
        double t = strtod(v, &e);
        if (*e || !*v || !(t >= 0) || t > 1e7)
            return bad_value(a, "--file-timeout", "a number of seconds (0 = none)");
        a->file_timeout = t;
        return 0;
    }
    case O_FILE_MEMORY:
        if (!parse_size(v, &a->file_memory))
            return bad_value(a, "--file-memory", "a size in bytes (K, M, G allowed)");
        return 0;
    case O_CHUNK:
        if (!strncmp(v, "random:", 7)) {
            c->fm.random = 1;
            c->fm.seed = strtoull(v + 7, NULL, 10);
        } else if (!cli_positive(v, &c->fm.chunk)) {
            return bad_value(a, "--chunk", "a positive number or random:SEED");
        }
        return 0;
    case O_WINDOW: {
        unsigned long long w = strtoull(v, &e, 10);
        if (*e || !*v || v[0] == '-' || w < CLI_MIN_WINDOW || w > ((size_t)1 << 30))
            return bad_value(a, "--window", "a number of bytes from 4096 to 1073741824");
        a->window = (size_t)w;
        return 0;
    }
    case O_TONE:
        if (!strcmp(v, "modern")) c->opt.tone_style = VANBAN_TONE_MODERN;
        else if (!strcmp(v, "traditional")) c->opt.tone_style = VANBAN_TONE_TRADITIONAL;
        else if (!strcmp(v, "keep")) c->opt.tone_style = VANBAN_TONE_KEEP;
        else return bad_value(a, "--tone-style", "modern, traditional or keep");
        return 0;
    case O_MARGIN: {
        double m = strtod(v, &e);
        if (*e || !*v || !(m > 0) || m > 1000) return bad_value(a, "--margin", "a positive number");
        c->opt.repair_margin = m;
        return 0;
    }
    default: return 0;
    }
}

static void take_flag(cli_args *a, int o)
{
    switch (o) {
    case O_COMPACT: a->c.jflags = 0; break;
    case O_NO_REPAIR: a->c.opt.flags |= VANBAN_OPT_NO_REPAIR; break;
    case O_NO_JIT: a->c.opt.flags |= VANBAN_OPT_NO_JIT; break;
    case O_NO_CONTEXT: a->c.opt.flags |= VANBAN_OPT_NO_CONTEXT; break;
    case O_DIFF: a->mode = 1; break;
    case O_LOG: a->mode = 2; break;
    case O_DOT: a->dot = 1; break;
    case O_QUIET: a->quiet = 1; break;
    case O_RESUME: a->resume = 1; break;
    case O_SYNC: a->sync = 1; break;
    case O_NO_ISOLATE: a->no_isolate = 1; break;
    default: break;
    }
}

int cli_args_parse(cli_args *a, unsigned cmd, int argc, char **argv, const char *usage,
                   const char *usage_line)
{
    memset(a, 0, sizeof *a);
    cli_common_init(&a->c);
    a->cmd = cmd;
    a->usage_line = usage_line;
    a->window = CLI_DEFAULT_WINDOW;
    a->file_timeout = -1;
    /* argv[1] is the command: getopt reads argv[1..] as its own argv */
    int n = argc - 1;
    char **v = argv + 1;
    optind = 0; /* a full reset of getopt's state (GNU) */
    opterr = 0;
    for (;;) {
        int o = getopt_long(n, v, ":ho:qj:", longopts, NULL);
        if (o == -1) break;
        char name[64];
        if (o == '?' || o == ':') {
            if (optopt) opt_label(optopt, name, sizeof name);
            else snprintf(name, sizeof name, "%s", optind > 0 && optind <= n ? v[optind - 1] : "?");
            if (o == ':')
                fprintf(stderr, "vanban: %s: option '%s' needs a value\n%s", cmd_name(cmd), name, usage_line);
            else if (optopt >= 256) /* a long option that takes no value got one */
                fprintf(stderr, "vanban: %s: option '%s' takes no value\n%s", cmd_name(cmd), name, usage_line);
            else
                fprintf(stderr, "vanban: %s: unknown option '%s'\n%s", cmd_name(cmd), name, usage_line);
            return 2;
        }
        if (!(allowed(o) & cmd)) {
            opt_label(o, name, sizeof name);
            fprintf(stderr, "vanban: %s: unknown option '%s'\n%s", cmd_name(cmd), name, usage_line);
            return 2;
        }
        if (o == O_HELP) {
            fputs(usage, stdout);
            return 1;
        }
        if (optarg && take_value(a, o, optarg)) return 2;
        if (!optarg) take_flag(a, o);
    }
    a->files = v + optind;
    a->nfiles = n - optind;
    return 0;
}
