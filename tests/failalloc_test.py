#!/usr/bin/env python3
"""The failing allocator (tests/failalloc.c) through every command.

usage: failalloc_test.py VANBAN FAILALLOC_SO CORPUS_DIR [B_SANITIZE]

Each run makes one allocation fail (FAILALLOC_NTH=N: every N for parse,
a sample for the others), every allocation from N on (FAILALLOC_FROM), or
every 5th (FAILALLOC_EVERY=5, issue 14's bar).  A run passes when it
  - ends by itself (no signal: no crash),
  - exits 0 with exactly the output of a run without failures, or exits
    non-zero saying "out of memory" (with -o: and leaves no file, no
    temporary file).
vanban never aborts or prints a wrong result because an allocation failed.
Skipped under sanitizers (their runtime must come first in the process):
the TAP plan 1..0 # SKIP.
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

VANBAN, SO, CORPUS = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, done  # noqa: E402

if len(sys.argv) > 4 and sys.argv[4] not in ('', 'none'):
    print('1..0 # SKIP failing allocator under the %s sanitizer' % sys.argv[4])
    sys.exit(0)  # (TAP: the plan says skip)

OOM = ('out of memory', 'cannot allocate memory')


def run(args, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
        e['LD_PRELOAD'] = SO
    p = subprocess.run([VANBAN] + args, capture_output=True, env=e, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def allocations(args):
    rc, _, err = run(args, {'FAILALLOC_COUNT': '1'})
    lines = [l for l in err.splitlines() if l.startswith('failalloc: ')]
    return int(lines[-1].split()[1]) if rc == 0 and lines else 0


def judge(args, ref, env, outfile=None):
    rc, out, err = run(args, env)
    if rc < 0:
        return 'signal %d' % -rc
    if outfile:
        if rc == 0:
            got = open(outfile, 'rb').read()
            os.unlink(outfile)
            return None if got == ref else 'exit 0 and a different -o file'
        d = os.path.dirname(outfile)
        if os.path.exists(outfile) or any('.tmp.' in f for f in os.listdir(d)):
            return 'exit %d and a file left behind' % rc
    elif rc == 0:
        return None if out == ref else 'exit 0 and a different output'
    if not any(m in err.lower() for m in OOM):
        return 'exit %d without "out of memory": %r' % (rc, err[-160:])
    return None


def sweep(label, args, step, outfile=None):
    ref_rc, ref, _ = run(args)
    if outfile:
        ref = open(outfile, 'rb').read()
        os.unlink(outfile)
    total = allocations(args)
    if outfile and os.path.exists(outfile):
        os.unlink(outfile)
    if ref_rc != 0 or total == 0:
        check(False, '%s: a run without failures works and is counted' % label, (ref_rc, total))
        return
    envs = [{'FAILALLOC_NTH': str(n)} for n in range(1, total + 1, step)]
    envs += [{'FAILALLOC_FROM': str(n)} for n in range(1, total + 1, max(step * 25, 50))]
    envs.append({'FAILALLOC_EVERY': '5'})
    bad = []
    with concurrent.futures.ThreadPoolExecutor(1 if outfile else 4) as ex:  # one -o file
        for env, r in zip(envs, ex.map(lambda e: judge(args, ref, e, outfile), envs)):
            if r:
                bad.append('%s: %s' % (' '.join('%s=%s' % kv for kv in env.items()), r))
    check(not bad, '%s: %d allocations, %d runs with failures, none crashes or lies'
          % (label, total, len(envs)), bad[:5])


def corpus(name):
    return os.path.join(CORPUS, name)


small, other = corpus('004_0b34238a42a14946.txt'), corpus('001_147101109611e5ea.txt')
with tempfile.TemporaryDirectory() as tmp:
    sweep('parse', ['parse', small], 1)
    sweep('parse -o', ['parse', '-o', os.path.join(tmp, 'out.json'), small], 7,
          outfile=os.path.join(tmp, 'out.json'))
    sweep('normalize --log', ['normalize', '--log', small], 2)
    sweep('link', ['link', '--compact', small, other], 4)
    sweep('graph --dot', ['graph', '--dot', small, other], 8)
    indir = os.path.join(tmp, 'in')
    os.mkdir(indir)
    for f in (small, other):
        shutil.copy(f, indir)
    with open(os.path.join(indir, 'vv.txt'), 'wb') as fh:
        fh.write(b'V/v:')
    sweep('batch -j 1 --jsonl -', ['batch', '-q', '-j', '1', indir, '--jsonl', '-'], 4)
done()
