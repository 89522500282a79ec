#!/usr/bin/env bash
# Install test: the exported symbols are exactly src/vanban.sym; `meson
# install` puts library, header, pkg-config file, CLI, man page and grammars in
# place; a program built with `pkg-config --cflags --libs vanban` against the
# installed copy parses a sample file.
# usage: check_install.sh SOURCE_ROOT BUILD_DIR [B_SANITIZE]
set -eu
src=$1
build=$2
if [ "${3:-none}" != "none" ]; then
    echo "1..0 # SKIP sanitizer build: its library exports the sanitizer's symbols"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "not ok - $*"; exit 1; }

nm -D --defined-only "$build/libvanban.so" | awk '{print $3}' | sort >"$tmp/syms"
if ! diff -u "$src/src/vanban.sym" "$tmp/syms"; then
    fail "exported symbols differ from src/vanban.sym (update it when the API changes)"
fi
echo "ok 1 - exported symbols match src/vanban.sym"

meson install -C "$build" --no-rebuild --destdir "$tmp/root" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; }
prefix=$(meson introspect "$build" --buildoptions | /usr/bin/python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
root="$tmp/root$prefix"
for f in bin/vanban include/vanban.h share/man/man1/vanban.1 share/vanban/grammars/header.pcre \
         share/vanban/schema/vanban.schema.json share/vanban/schema/vanban-batch.schema.json \
         share/vanban/schema/vanban-link.schema.json share/vanban/schema/vanban-graph.schema.json \
         share/vanban/schema/vanban-log.schema.json; do
    [ -e "$root/$f" ] || fail "$f not installed"
done
pc=$(find "$root" -name vanban.pc | head -1)
[ -n "$pc" ] || fail "vanban.pc not installed"
echo "ok 2 - meson install puts library, header, vanban.pc, CLI, man page, grammars and schemas in place"

libdir=$(dirname "$(dirname "$pc")")
cat >"$tmp/demo.c" <<'C'
#include <stdio.h>
#include <vanban.h>
static int out(const char *b, size_t n, void *ud) { (void)b; *(size_t *)ud += n; return 0; }
int main(int argc, char **argv)
{
    vanban_model *m;
    vanban_error e;
    if (vanban_model_load(argc > 2 ? argv[2] : NULL, &m, &e)) { fprintf(stderr, "%s\n", e.text); return 1; }
    FILE *f = fopen(argv[1], "rb");
    static char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    vanban_result *r;
    if (vanban_parse_buffer(m, NULL, buf, n, &r)) return 1;
    size_t bytes = 0;
    vanban_result_write_json(r, 0, out, &bytes);
    printf("%zu %d\n", vanban_result_document_count(r), bytes > 0);
    vanban_result_free(r);
    vanban_model_free(m);
    return 0;
}
C
export PKG_CONFIG_PATH="$libdir/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs vanban) || fail "pkg-config vanban"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/demo" "$tmp/demo.c" $flags || fail "compile against the installed library"
res=$(LD_LIBRARY_PATH="$libdir" "$tmp/demo" "$src/corpus/000_2f9b38297f144349.txt")
[ "$res" = "2 1" ] || fail "demo program found '$res', want '2 1'"
res=$(LD_LIBRARY_PATH="$libdir" "$tmp/demo" "$src/corpus/000_2f9b38297f144349.txt" "$root/share/vanban/grammars")
[ "$res" = "2 1" ] || fail "demo program with installed grammars found '$res'"
echo "ok 3 - a program built with pkg-config against the installed library parses a sample file"
echo "1..3"
