/* vanban - command-line front end of libvanban: dispatch to a command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"parse", cmd_parse},
    {"link", cmd_link},
    {"graph", cmd_graph},
    {"normalize", cmd_normalize},
    {"batch", cmd_batch}, /* batch.c; see vanban batch --help */
};

int main(int argc, char **argv)
{
    cli_json_init();
    if (argc < 2) {
        fputs(cli_usage, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vanban %s\n", vanban_version());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(cli_usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc, argv);
    fprintf(stderr, "vanban: unknown command '%s'\n%s", argv[1], cli_usage);
    return 2;
}
