#!/usr/bin/env python3
"""bench_isolate.py - what worker processes cost "vanban batch" against threads.

usage: tools/bench_isolate.py [VANBAN] [IN_DIR] [--jobs 1,2] [--runs 5]

Runs "vanban batch IN_DIR -o TMP -q -j N" with worker processes (the
default) and with --no-isolate (threads of one process), alternating the two
modes run by run so that the machine's drift hits both alike, and reports
the best time of each, files/s, MB/s and the loss.  IN_DIR defaults to
../shared/data (real text that does not repeat).  Not a test: timings
depend on the machine; docs/batch.md records them with the machine.
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument('vanban', nargs='?', default=os.path.join(top, 'build-release', 'vanban'))
ap.add_argument('indir', nargs='?', default=os.path.join(top, '..', 'shared', 'data'))
ap.add_argument('--jobs', default='1,2')
ap.add_argument('--runs', type=int, default=5)
a = ap.parse_args()

files = nbytes = 0
for d, _, fs in os.walk(a.indir):
    for f in fs:
        if not f.startswith('.'):
            files += 1
            nbytes += os.path.getsize(os.path.join(d, f))
print('inputs: %s, %d files, %.1f MB' % (a.indir, files, nbytes / 1e6))
print('machine: %d cores' % os.cpu_count())
work = tempfile.mkdtemp(prefix='vanban-bench-')
try:
    for j in a.jobs.split(','):
        best = {}
        for _ in range(a.runs):
            for mode, extra in (('processes', []), ('threads', ['--no-isolate'])):
                out = os.path.join(work, 'out')
                shutil.rmtree(out, ignore_errors=True)
                t = time.perf_counter()
                r = subprocess.run([a.vanban, 'batch', a.indir, '-o', out, '-q', '-j', j] + extra)
                dt = time.perf_counter() - t
                if r.returncode not in (0, 1):
                    raise SystemExit('vanban batch failed: exit %d' % r.returncode)
                best[mode] = min(best.get(mode, dt), dt)
        for mode in ('threads', 'processes'):
            s = best[mode]
            print('-j %s %-9s best of %d: %.2f s  %.0f files/s  %.2f MB/s'
                  % (j, mode, a.runs, s, files / s, nbytes / 1e6 / s))
        print('-j %s worker processes cost %+.1f%% time against threads'
              % (j, 100 * (best['processes'] / best['threads'] - 1)))
finally:
    shutil.rmtree(work, ignore_errors=True)
