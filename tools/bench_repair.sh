#!/bin/sh
# bench_repair.sh - throughput and peak memory of vanban normalize (one core:
# the program is single-threaded).
# usage: tools/bench_repair.sh [VANBAN] [MB] [RUNS]
#        (defaults: build-release/vanban, 100 MB of corpus/ text, best of 3 runs)
# Builds a file of at least MB megabytes (10^6 bytes) by repeating corpus/*.txt,
# then runs, RUNS times each, `normalize --no-repair` (decode, normalize),
# `normalize --no-context` (the Unicode and structure layers: NFC, look-alikes,
# zero width, case, tone placement) and `normalize` (full repair), and prints
# the best throughput and the largest peak resident memory.  The input is read
# in windows (--window, 8 MiB by default), so memory should not grow with MB.
VANBAN=${1:-build-release/vanban}
MB=${2:-100}
RUNS=${3:-3}
DIR=$(dirname "$0")/..
IN=$(mktemp)
OUT=$(mktemp)
trap 'rm -f "$IN" "$OUT"' EXIT
while [ "$(stat -c %s "$IN")" -lt $((MB * 1000000)) ]; do cat "$DIR"/corpus/*.txt >> "$IN"; done
SIZE=$(stat -c %s "$IN")
echo "input: $SIZE bytes ($(echo "scale=1; $SIZE / 1000000" | bc) MB), corpus/*.txt repeated; best of $RUNS runs"
for mode in --no-repair --no-context ""; do
    best=
    peak=0
    i=0
    while [ $i -lt "$RUNS" ]; do
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %M" -o "$OUT" "$VANBAN" normalize $mode "$IN" > /dev/null || exit 1
        read -r secs kb < "$OUT"
        if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc)" = 1 ]; then best=$secs; fi
        if [ "$kb" -gt "$peak" ]; then peak=$kb; fi
        i=$((i + 1))
    done
    [ "$(echo "$best == 0" | bc)" = 1 ] && best=0.01
    printf 'normalize %-13s %7s MB/s  %5s s  peak %4d MB\n' "${mode:-(full repair)}" \
        "$(echo "scale=1; $SIZE / 1000000 / $best" | bc)" "$best" $((peak / 1024))
done
