/* fuzz_cli.c - libFuzzer target for the command-line entry points, run in
 * this process over one model loaded once (cli_fixed_model):
 *
 *   byte 0 % 10: 0 normalize --window 4096   1 normalize --diff --window 4096
 *                2 normalize --log --window 4096   3 normalize --no-context
 *                4 link   5 graph   6 graph --dot   7 parse (two files)
 *                8 parse --jsonl LIST   9 batch --files-from LIST --no-isolate
 *   byte 1: bit 0 --compact, bit 1 --no-repair, bits 2-4 a forced encoding
 *           (parse, normalize, batch; 0 = detect)
 *   the rest: up to four files d0.txt .. d3.txt, split on byte 0x1E; for 8
 *           and 9 d0.txt is the list (paths, or JSON strings / objects).
 *
 * The files live in a private directory that is the working directory while
 * a command runs, so listed names reach them; outputs go to /dev/null or to a
 * directory emptied after each run.  Crashes, sanitizer reports and leaks are the
 * findings.  Run with -close_fd_mask=2 (the commands' messages to stderr).
 * Build with -Dfuzz=true (clang); see docs/fuzzing.md. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/cli/cli.h"

extern volatile sig_atomic_t batch_stop;

static char dir[64];
static int home = -1; /* the working directory libFuzzer reads its corpus from */

static const char *const encodings[8] = {NULL,  "utf-8", "utf-16le", "utf-16be", "windows-1258",
                                         "vni", "tcvn3", "viscii"};

static void init(void)
{
    cli_json_init();
    vanban_error err;
    if (vanban_model_load(NULL, &cli_fixed_model, &err)) abort();
    snprintf(dir, sizeof dir, "/tmp/vanban-fuzz-cli.XXXXXX");
    if (!mkdtemp(dir)) abort();
    home = open(".", O_RDONLY | O_DIRECTORY);
    if (home < 0) abort();
    int dn = open("/dev/null", O_WRONLY);
    if (dn < 0 || dup2(dn, 1) < 0) abort(); /* the commands' output */
    close(dn);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    if (flag == FTW_DP) rmdir(p);
    else unlink(p);
    return 0;
}

static void put(const char *name, const unsigned char *d, size_t n)
{
    FILE *f = fopen(name, "wb");
    if (!f) abort();
    if (n && fwrite(d, 1, n, f) != n) abort();
    fclose(f);
}

/* Split the input on 0x1E into d0.txt .. d3.txt; returns how many. */
static int files(const unsigned char *d, size_t n)
{
    int k = 0;
    size_t at = 0;
    while (k < 4) {
        const unsigned char *e = k < 3 ? memchr(d + at, 0x1E, n - at) : NULL;
        size_t len = e ? (size_t)(e - (d + at)) : n - at;
        char name[16];
        snprintf(name, sizeof name, "d%d.txt", k++);
        put(name, d + at, len);
        if (!e) break;
        at += len + 1;
    }
    return k;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (!cli_fixed_model) init();
    if (size < 2) return 0;
    if (chdir(dir)) abort();
    int nf = files(data + 2, size - 2);
    if (fchdir(home)) abort();
    unsigned op = data[0] % 10;
    char *av[32];
    int ac = 0;
    static const char *const cmd[10] = {"normalize", "normalize", "normalize", "normalize", "link",
                                        "graph", "graph", "parse", "parse", "batch"};
    av[ac++] = "vanban";
    av[ac++] = (char *)cmd[op];
    if (op <= 2) av[ac++] = "--window=4096";
    if (op == 1) av[ac++] = "--diff";
    if (op == 2) av[ac++] = "--log";
    if (op == 3) av[ac++] = "--no-context";
    if (op == 6) av[ac++] = "--dot";
    if ((data[1] & 1) && op > 3 && op != 6) av[ac++] = "--compact";
    if ((data[1] & 2) && op != 3) av[ac++] = "--no-repair";
    const char *enc = encodings[(data[1] >> 2) & 7];
    if (enc && (op <= 3 || op >= 7)) {
        av[ac++] = "--encoding";
        av[ac++] = (char *)enc;
    }
    av[ac++] = "--max-bytes=65536";
    if (op == 8) {
        av[ac++] = "--jsonl";
        av[ac++] = "d0.txt";
    } else if (op == 9) {
        av[ac++] = "--files-from=d0.txt";
        av[ac++] = "--no-isolate";
        av[ac++] = "-j1";
        av[ac++] = "-q";
        av[ac++] = "-o";
        av[ac++] = "out";
        av[ac++] = "--jsonl=-";
        av[ac++] = ".";
    } else {
        for (int i = 0; i < (op <= 3 ? 1 : nf); i++) {
            static char *names[4] = {"d0.txt", "d1.txt", "d2.txt", "d3.txt"};
            av[ac++] = names[i];
        }
    }
    av[ac] = NULL;
    struct sigaction keep[3];
    if (op == 9) { /* batch sets its own handlers: give libFuzzer its own back */
        sigaction(SIGINT, NULL, &keep[0]);
        sigaction(SIGTERM, NULL, &keep[1]);
        sigaction(SIGHUP, NULL, &keep[2]);
    }
    int rc;
    if (chdir(dir)) abort();
    if (op <= 3) rc = cmd_normalize(ac, av);
    else if (op == 4) rc = cmd_link(ac, av);
    else if (op <= 6) rc = cmd_graph(ac, av);
    else if (op <= 8) rc = cmd_parse(ac, av);
    else rc = cmd_batch(ac, av);
    fflush(stdout);
    if (op == 9) {
        sigaction(SIGINT, &keep[0], NULL);
        sigaction(SIGTERM, &keep[1], NULL);
        sigaction(SIGHUP, &keep[2], NULL);
        batch_stop = 0;
        nftw("out", rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (fchdir(home)) abort();
    if (rc < 0 || rc > 2) abort(); /* the documented exit statuses only */
    return 0;
}
