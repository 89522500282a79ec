#!/bin/sh
# bench_batch.sh - figures for "vanban batch": files/s, MB/s and peak memory
# for -j 1 and -j 2 over a large batch, and the start-up time (model load).
#
# usage: tools/bench_batch.sh [VANBAN] [FILES]
#   VANBAN  the binary (default build/vanban); FILES inputs (default 10000)
#
# The inputs are the corpus (corpus/*.txt) repeated and varied: each copy
# gets its own trailing line, so every file has its own checksum.  Needs GNU
# time (/usr/bin/time) for peak memory.  Not a test: timings depend on the
# machine; docs/batch.md records them with the machine they came from.
set -eu
vanban=${1:-build/vanban}
files=${2:-10000}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vanban-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 - "$top/corpus" "$work/in" "$files" <<'PY'
import os, sys
corpus, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = [open(os.path.join(corpus, f), 'rb').read()
         for f in sorted(os.listdir(corpus)) if f.endswith('.txt')]
for i in range(n):
    d = os.path.join(out, 'd%03d' % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'f%05d.txt' % i), 'wb') as fh:
        fh.write(texts[i % len(texts)] + ('\nBản số %d\n' % i).encode())
PY
bytes=$(du -sb "$work/in" | cut -f1)
echo "inputs: $files files, $bytes bytes (corpus repeated and varied)"
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
for j in 1 2; do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %M' -o "$work/time" "$vanban" batch "$work/in" -o "$work/out" -q -j $j || true
    read secs kb < "$work/time"
    python3 -c "
s, kb, n, b = $secs, $kb, $files, $bytes
print('-j $j: %.2f s  %.0f files/s  %.2f MB/s  peak RSS %.1f MB' % (s, n / s, b / 1e6 / s, kb / 1024))" | tee -a "$work/figs"
done
# peak memory does not grow with the number of files: a tenth of the batch
rm -rf "$work/out"
mkdir -p "$work/small" && cp -r "$work/in/d000" "$work/in/d001" "$work/small/"
/usr/bin/time -f '%M' -o "$work/time" "$vanban" batch "$work/small" -o "$work/out" -q -j 2 || true
echo "-j 2 on $(find "$work/small" -type f | wc -l) files: peak RSS $(awk '{printf "%.1f MB", $1/1024}' "$work/time")"
python3 - "$work/figs" <<'PY'
import re, sys
t = [float(re.search(r'([\d.]+) s', l).group(1)) for l in open(sys.argv[1])]
print('speed-up -j 2 / -j 1: %.2fx' % (t[0] / t[1]))
PY
# what the machine allows: the same CPU-bound loop in 1 and 2 processes
python3 - <<'PY'
import multiprocessing as mp, time
def burn(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
n = 5_000_000
t = time.perf_counter(); burn(n); one = time.perf_counter() - t
t = time.perf_counter()
with mp.Pool(2) as p:
    p.map(burn, [n, n])
two = time.perf_counter() - t
print('machine ceiling: 2 CPU-bound processes run %.2fx as fast as 1' % (2 * one / two))
PY
# start-up: model load + one tiny document, best of 20
printf 'Số: 1/QĐ-UBND\n' > "$work/tiny.txt"
python3 - "$vanban" "$work/tiny.txt" <<'PY'
import subprocess, sys, time
best = 1e9
for _ in range(20):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], 'parse', sys.argv[2]], stdout=subprocess.DEVNULL, check=True)
    best = min(best, time.perf_counter() - t)
print('start-up (vanban parse on a one-line file, model load included): %.1f ms' % (best * 1000))
PY
