#!/bin/sh
# bench_repair.sh - throughput and peak memory of vanban normalize, one core.
# usage: tools/bench_repair.sh [build/vanban] [MB]   (default 100 MB of corpus/ text)
# Builds a file of ~MB megabytes by repeating corpus/*.txt, then times
# `normalize --no-repair` (decode + Unicode layers) and `normalize` (full repair).
VANBAN=${1:-build/vanban}
MB=${2:-100}
DIR=$(dirname "$0")/..
IN=$(mktemp)
while [ $(stat -c %s "$IN") -lt $((MB * 1000000)) ]; do cat "$DIR"/corpus/*.txt >> "$IN"; done
SIZE=$(stat -c %s "$IN")
for mode in --no-repair ""; do
    /usr/bin/time -f "%e %M" -o /tmp/vb_time "$VANBAN" normalize $mode --max-bytes 2000000000 "$IN" > /dev/null
    read secs kb < /tmp/vb_time
    echo "normalize ${mode:-(full repair)}: $(echo "scale=1; $SIZE / 1000000 / $secs" | bc) MB/s, peak $((kb / 1024)) MB, input $((SIZE / 1000000)) MB"
done
rm -f "$IN"
