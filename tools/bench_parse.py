#!/usr/bin/env python3
"""Benchmark `vanban parse`: MB/s, files/s and peak memory (one core).

usage: bench_parse.py VANBAN [--mb 110] [--files 5000] [--workdir DIR]

1. one large file: the corpus files concatenated until --mb megabytes
   (thousands of documents in one input);
2. many files: --files copies of the corpus files parsed by one process.
Each run is timed by wall clock; peak memory is the child's max RSS.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd):
    """Run cmd with stdout to /dev/null; return wall seconds and its peak RSS (MB)."""
    t = time.perf_counter()
    with open(os.devnull, 'wb') as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
    el = time.perf_counter() - t
    if status != 0:
        sys.exit('failed: %s\n%s' % (' '.join(cmd[:4]), err.decode()[:500]))
    return el, usage.ru_maxrss / 1024.0, usage.ru_utime


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    vanban = os.path.abspath(args[0])
    mb = int(args[args.index('--mb') + 1]) if '--mb' in args else 110
    nfiles = int(args[args.index('--files') + 1]) if '--files' in args else 5000
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    corpus = sorted(glob.glob(os.path.join(root, 'corpus', '*.txt')))
    texts = [open(f, 'rb').read() for f in corpus]
    work = args[args.index('--workdir') + 1] if '--workdir' in args else tempfile.mkdtemp(prefix='vanban-bench-')
    os.makedirs(work, exist_ok=True)
    try:
        big = os.path.join(work, 'big.txt')
        size = 0
        with open(big, 'wb') as f:
            i = 0
            while size < mb * 1000 * 1000:
                t = texts[i % len(texts)] + b'\n\n'
                f.write(t)
                size += len(t)
                i += 1
        el, rss, cpu = run([vanban, 'parse', '--compact', '--max-bytes', str(size + 1), big])
        print('one file:   %7.1f MB in %6.2f s  %7.1f MB/s   peak %6.0f MB' % (size / 1e6, el, size / 1e6 / el, rss))
        d = os.path.join(work, 'many')
        os.makedirs(d, exist_ok=True)
        paths, total = [], 0
        for i in range(nfiles):
            p = os.path.join(d, '%05d.txt' % i)
            t = texts[i % len(texts)]
            with open(p, 'wb') as f:
                f.write(t)
            paths.append(p)
            total += len(t)
        el2, rss2, cpu2 = run([vanban, 'parse', '--compact'] + paths)
        print('many files: %7d files (%.1f MB) in %6.2f s  %7.0f files/s  %6.1f MB/s   peak %6.0f MB' % (
            nfiles, total / 1e6, el2, nfiles / el2, total / 1e6 / el2, rss2))
        el3, _, _ = run([vanban, 'parse', '--compact', corpus[0]])
        print('start-up + one sample file: %.1f ms' % (el3 * 1000))
    finally:
        if '--workdir' not in args:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
