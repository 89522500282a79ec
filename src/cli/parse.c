/* parse.c - "vanban parse FILE...": one JSON object per input file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_one(const vanban_model *model, const cli_common *c, const char *path, cli_out *out)
{
    vanban_options opt = c->opt;
    opt.source_path = strcmp(path, "-") ? path : NULL;
    vanban_parser *p;
    int rc = vanban_parser_new(model, &opt, &p);
    if (rc) {
        fprintf(stderr, "vanban: %s\n", vanban_strerror(rc));
        return 2;
    }
    int ret = cli_feed_file(p, path, &c->fm, &rc);
    vanban_result *r = NULL;
    if (!ret && !rc) rc = vanban_parser_finish(p, &r);
    if (!ret && rc) ret = cli_report_finish(p, path, rc, &opt);
    if (r) {
        rc = vanban_result_write_json(r, c->jflags, cli_out_write, out);
        if (rc) {
            fprintf(stderr, "vanban: %s: %s\n", path, vanban_strerror(rc));
            ret = 2;
        }
        vanban_result_free(r);
    }
    vanban_parser_free(p);
    return ret;
}

int cmd_parse(int argc, char **argv)
{
    cli_common c;
    cli_common_init(&c);
    int first = argc;
    const char *jsonl_in = NULL; /* --jsonl IN: one path or document per line (batch.c) */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--jsonl") && i + 1 < argc) {
            jsonl_in = argv[++i];
            continue;
        }
        if (!strcmp(a, "--encoding") && i + 1 < argc) {
            c.opt.encoding = argv[++i];
            continue;
        }
        if (!strcmp(a, "--")) {
            first = i + 1;
            break;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            first = i;
            break;
        }
        int k = cli_common_option(&c, argc, argv, &i);
        if (k < 0) return 2;
        if (k == 0) {
            fprintf(stderr, "vanban: parse: unknown option '%s' (see vanban --help)\n", a);
            return 2;
        }
    }
    if (jsonl_in && first < argc) {
        fprintf(stderr, "vanban: parse: --jsonl reads its inputs from a list, not FILE\n");
        return 2;
    }
    if (jsonl_in) return cmd_parse_jsonl(&c, jsonl_in);
    if (first >= argc) {
        fprintf(stderr, "vanban: parse: no input file (see vanban --help)\n");
        return 2;
    }
    vanban_model *model;
    if (cli_load_model(&c, &model)) return 2;
    cli_out out;
    if (cli_out_open(&out, c.outpath)) {
        vanban_model_free(model);
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc && !out.failed; i++) {
        int s = parse_one(model, &c, argv[i], &out);
        if (s > status) status = s;
    }
    /* with -o the file appears only if every input was parsed */
    int e = cli_out_close(&out, status == 0);
    if (e > status) status = e;
    vanban_model_free(model);
    return status;
}
