#!/bin/sh
# parallel-batch.sh - run "vanban batch" as a map step under GNU parallel,
# on this machine or across hosts, then reduce into one summary and stream.
#
# usage: tools/parallel-batch.sh IN_DIR OUT_DIR [extra GNU parallel options]
#
# environment:
#   VANBAN     the vanban binary (default: vanban on PATH); on remote hosts it
#              must be at the same path
#   JOBS       parallel jobs per host (default: one per core, parallel's -j 100%)
#   BLOCK      files per job (default 200)
#   THREADS    vanban worker threads per job (default 1)
#   SSHLOGIN   hosts for parallel --sshlogin, e.g. "8/node1,8/node2" (default:
#              this machine only).  IN_DIR and OUT_DIR must then be on a file
#              system shared by every host, at the same path.
#   JSONL      also write one JSON Lines stream to this file (input order)
#
# Map: the file list (hidden files skipped, as vanban batch does) is cut into
# blocks of BLOCK lines; each block runs "vanban batch IN_DIR --files-from -
# -o OUT_DIR" on some host, with its own summary under OUT_DIR/.parts/.
# Reduce: "vanban batch IN_DIR -o OUT_DIR --resume" finds every output done
# (same input checksum), writes OUT_DIR/summary.json and the stream, and
# converts anything a failed map job left undone.  Its exit status is the
# result: 0 all converted, 1 some file failed (see summary.json), 2 set-up.
set -eu
[ $# -ge 2 ] || { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
in=$1 out=$2
shift 2
vanban=${VANBAN:-vanban}
block=${BLOCK:-200}
threads=${THREADS:-1}
jobs=${JOBS:-100%}
mkdir -p "$out/.parts"
set -- --will-cite --halt never -j "$jobs" "$@"
[ -n "${SSHLOGIN:-}" ] && set -- "$@" --sshlogin "$SSHLOGIN"
# list in a fixed order; the reduce step puts the stream in walk order anyway
(cd "$in" && find . -type f ! -path '*/.*' | sed 's|^\./||' | LC_ALL=C sort) |
    parallel "$@" --pipe -N "$block" \
        "$vanban" batch "$in" --files-from - -o "$out" -q -j "$threads" \
        --summary "$out/.parts/summary-{#}.json" || true
if [ -n "${JSONL:-}" ]; then
    exec "$vanban" batch "$in" -o "$out" --resume -q --jsonl "$JSONL"
fi
exec "$vanban" batch "$in" -o "$out" --resume -q
