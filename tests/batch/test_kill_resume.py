#!/usr/bin/env python3
"""Kill a batch at random points (SIGKILL and SIGINT), resume, and check that
nothing is lost: after every kill only complete outputs exist, and once the
resumes finish the outputs equal one uninterrupted run, byte for byte.

usage: test_kill_resume.py VANBAN CORPUS_DIR
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

from common import check, finish, run, corpus_files, tree_files, read, tmpdir, rmtree

vanban, corpus = sys.argv[1], sys.argv[2]
rng = random.Random(20261122)
work = tmpdir()
inp = os.path.join(work, 'in')
names = corpus_files(corpus)
# ~600 inputs in 12 directories, each corpus file varied by a trailing line
for d in range(12):
    os.makedirs(os.path.join(inp, 'd%02d' % d))
    for i, n in enumerate(names * 2):
        data = read(os.path.join(corpus, n)) + ('\nBản sao %d-%d\n' % (d, i)).encode()
        with open(os.path.join(inp, 'd%02d' % d, '%03d_%s' % (i, n)), 'wb') as fh:
            fh.write(data)
ref = os.path.join(work, 'ref')
r = run([vanban, 'batch', inp, '-o', ref, '-j', '2', '-q', '--jsonl', os.path.join(work, 'ref.jsonl')])
check(r.returncode == 0, 'uninterrupted run succeeds')
want = [f for f in tree_files(ref) if f != 'summary.json']
check(len(want) == 12 * 2 * len(names), 'reference has every output (%d)' % len(want))

t0 = time.time()
run([vanban, 'batch', inp, '-o', os.path.join(work, 'timing'), '-j', '2', '-q'])
full = max(time.time() - t0, 0.05)

out = os.path.join(work, 'out')
complete_ok = True
kills = 0
for round_ in range(8):
    sig = signal.SIGKILL if round_ % 2 == 0 else signal.SIGINT
    p = subprocess.Popen([vanban, 'batch', inp, '-o', out, '-j', str(1 + round_ % 2), '-q',
                          '--resume'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(rng.uniform(0.0, full * 0.35))
    if p.poll() is None:
        p.send_signal(sig)
        kills += 1
    p.communicate()
    if sig == signal.SIGINT and p.returncode not in (0, 130):
        complete_ok = False
        print('# SIGINT exit status', p.returncode)
    # every visible output is complete JSON; temporary files are hidden
    for f in tree_files(out):
        base = os.path.basename(f)
        if base.startswith('.'):
            continue
        try:
            json.loads(read(os.path.join(out, f)))
        except ValueError:
            complete_ok = False
            print('# incomplete output after a kill:', f)
check(kills >= 3, 'batch killed mid-run %d times' % kills)
check(complete_ok, 'after every kill only complete outputs are visible')

r = run([vanban, 'batch', inp, '-o', out, '-j', '2', '-q', '--resume', '--jsonl',
         os.path.join(work, 'out.jsonl')])
check(r.returncode == 0, 'final resume succeeds')
got = tree_files(out)
check([f for f in got if f != 'summary.json'] == want, 'same files as the uninterrupted run, no temporaries left')
check(all(read(os.path.join(out, f)) == read(os.path.join(ref, f)) for f in want),
      'every output equals the uninterrupted run')
check(read(os.path.join(work, 'out.jsonl')) == read(os.path.join(work, 'ref.jsonl')),
      'JSON Lines stream after resume equals the uninterrupted one')
s1, s2 = json.loads(read(os.path.join(ref, 'summary.json'))), json.loads(read(os.path.join(out, 'summary.json')))
keys = ('files', 'failed', 'documents', 'fields', 'repairs', 'warnings', 'encodings')
check(all(s1[k] == s2[k] for k in keys), 'summary totals equal the uninterrupted run')
rmtree(work)
finish()
