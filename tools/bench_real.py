#!/usr/bin/env python3
"""Benchmark `vanban parse` on real text that does not repeat.

usage: bench_real.py VANBAN [--data DIR] [--runs N] [--mode MODE ...]

Inputs, all from ../shared/data (public Vietnamese legal and administrative
text; nothing is repeated, so no cache is flattered):
  big    every file of the data set concatenated, in path order, as one input
         (about 20 MB: hundreds of documents, tables, annexes);
  files  every file parsed one by one in a single `vanban parse --compact`
         process (462 files).
Modes (default: both): parse (with repair), no-repair.  Each measurement is the best wall time of
--runs runs (default 3) on one core; peak memory is the child's max RSS.
Prints one line per measurement: MB/s, files/s, peak MB and the ratio of
peak memory to the input.  Exits 0 with SKIP when the data is absent.
"""
import glob
import os
import subprocess
import sys
import tempfile
import time

MODES = {'parse': [], 'no-repair': ['--no-repair']}


def run(cmd):
    t = time.perf_counter()
    with open(os.devnull, 'wb') as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
    el = time.perf_counter() - t
    if status != 0:
        sys.exit('failed: %s\n%s' % (' '.join(cmd[:5]), err.decode('utf-8', 'replace')[:500]))
    return el, usage.ru_maxrss / 1024.0


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    vanban = args[0]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = os.path.join(os.path.dirname(root), 'shared', 'data')
    runs, modes = 3, []
    i = 1
    while i < len(args):
        if args[i] == '--data':
            data = args[i + 1]
            i += 2
        elif args[i] == '--runs':
            runs = int(args[i + 1])
            i += 2
        elif args[i] == '--mode':
            modes.append(args[i + 1])
            i += 2
        else:
            sys.exit('unknown argument %s' % args[i])
    if not os.path.isdir(data):
        print('SKIP: %s is absent' % data)
        return 0
    modes = modes or list(MODES)
    files = sorted(p for p in glob.glob(os.path.join(data, '**', '*'), recursive=True)
                   if os.path.isfile(p) and os.path.dirname(p) != data.rstrip('/'))
    total = sum(os.path.getsize(p) for p in files)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, 'all.txt')
        with open(big, 'wb') as out:
            for p in files:
                with open(p, 'rb') as f:
                    out.write(f.read())
                out.write(b'\n\n')
        size = os.path.getsize(big)
        print('input: %d files, %.1f MB; big file %.1f MB' % (len(files), total / 1e6, size / 1e6))
        for mode in modes:
            extra = MODES[mode]
            best = min((run(['taskset', '-c', '0', vanban, 'parse', '--compact', '--max-bytes',
                             str(size + 1)] + extra + [big]) for _ in range(runs)),
                       key=lambda r: r[0])
            print('%-10s big   %6.2f s  %7.2f MB/s  peak %6.1f MB  (%.1fx input)' % (
                mode, best[0], size / 1e6 / best[0], best[1], best[1] * 1e6 / size / 1.048576))
            best = min((run(['taskset', '-c', '0', vanban, 'parse', '--compact', '--max-bytes',
                             '200000000'] + extra + files) for _ in range(runs)),
                       key=lambda r: r[0])
            print('%-10s files %6.2f s  %7.2f MB/s  %7.1f files/s  peak %6.1f MB' % (
                mode, best[0], total / 1e6 / best[0], len(files) / best[0], best[1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
