/* vanban - command-line front end of libvanban: dispatch to a command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char cli_usage[] =
    "usage: vanban parse [options] FILE...   (FILE '-' reads standard input)\n"
    "       vanban link [options] FILE...    (references resolved across the files)\n"
    "       vanban graph [options] [--dot] FILE...  (citation graph: JSON or DOT)\n"
    "       vanban normalize [--diff|--log] [--tone-style=modern|traditional|keep]\n"
    "                        [--margin=M] [--no-context|--no-repair] [--window=BYTES] FILE|-\n"
    "       vanban parse --jsonl LIST   (one path or JSON document per line -> JSON Lines)\n"
    "       vanban batch IN_DIR -o OUT_DIR [options]   (see vanban batch --help)\n"
    "       vanban --version | --help\n"
    "\n"
    "Reads Vietnamese administrative documents (OCR text) and prints one JSON\n"
    "object per input file (schema vanban/1, see docs/output.md).\n"
    "\n"
    "options:\n"
    "  -o FILE           write the output to FILE (atomically: temp file + rename)\n"
    "  --compact         one line per JSON object (JSON Lines)\n"
    "  --grammars DIR    load grammars from DIR instead of the built-in ones\n"
    "  --no-repair       do not change the text (no case or look-alike fixes)\n"
    "  --encoding NAME   force the input encoding (default: detect; see batch --help)\n"
    "  --max-bytes N     refuse inputs larger than N bytes (default 67108864)\n"
    "  --chunk N         feed the parser N bytes at a time (testing)\n"
    "  --chunk random:S  feed random-sized chunks, seed S (testing)\n"
    "  --no-jit          match patterns without PCRE2's JIT (for valgrind)\n"
    "\n"
    "normalize prints the repaired text (every byte not corrected is kept);\n"
    "  --diff            show the changed lines, old (-) and new (+)\n"
    "  --log             print the changes as a JSON list\n"
    "  --tone-style=S    convert tone placement: modern (hoà) or traditional (hòa)\n"
    "  --margin=M        evidence (nats) needed to change a valid syllable\n"
    "  --no-context      only the repairs that need no language model: unicode,\n"
    "                    case, a tone on the wrong letter, tone style\n"
    "  --window=BYTES    read the input in windows of about BYTES (default 8 MiB,\n"
    "                    >= 4096), each repaired on its own: memory stays flat\n"
    "\n"
    "Options may come before or after the files; '--' ends them; '--help' after\n"
    "a command prints this text (batch: its own).\n"
    "\n"
    "exit status: 0 success; 1 an input is not usable (binary, too large);\n"
    "             2 usage error, or a file cannot be read or written.\n";

const char cli_usage_line[] = "usage: vanban COMMAND [options] FILE... (see vanban --help)\n";

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
