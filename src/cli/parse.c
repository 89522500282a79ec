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
        cli_json_failed();
        rc = vanban_result_write_json(r, c->jflags, cli_out_write, out);
        if (!rc && cli_json_failed()) rc = VANBAN_ENOMEM; /* jansson lost bytes: see cli.c */
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
    cli_args A;
    int rc = cli_args_parse(&A, CLI_PARSE, argc, argv, cli_usage, cli_usage_line);
    if (rc) return rc == 1 ? 0 : 2;
    cli_common c = A.c;
    const char *jsonl_in = A.jsonl; /* --jsonl IN: one path or document per line (batch.c) */
    if (jsonl_in && A.nfiles) {
        fprintf(stderr, "vanban: parse: --jsonl reads its inputs from a list, not FILE\n");
        return 2;
    }
    if (jsonl_in) return cmd_parse_jsonl(&c, jsonl_in);
    if (!A.nfiles) {
        fprintf(stderr, "vanban: parse: no input file (see vanban --help)\n");
        return 2;
    }
    vanban_model *model;
    if (cli_load_model(&c, &model)) return 2;
    cli_out out;
    if (cli_out_open(&out, c.outpath)) {
        cli_model_free(model);
        return 2;
    }
    int status = 0;
    for (int i = 0; i < A.nfiles && !out.failed; i++) {
        int s = parse_one(model, &c, A.files[i], &out);
        if (s > status) status = s;
    }
    /* with -o the file appears only if every input was parsed */
    int e = cli_out_close(&out, status == 0);
    if (e > status) status = e;
    cli_model_free(model);
    return status;
}
