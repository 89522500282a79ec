#!/usr/bin/env python3
"""The map/reduce paths: GNU parallel (local jobs, and --sshlogin ':' which is
this machine through parallel's remote-job code), 'vanban parse --jsonl -'
under 'parallel --pipe -k', and the Slurm array script run task by task.
Each must give exactly what one 'vanban batch' process gives.

usage: test_parallel.py VANBAN CORPUS_DIR TOOLS_DIR
"""
import os
import shutil
import sys

from common import check, finish, run, corpus_files, tree_files, read, tmpdir, rmtree

vanban, corpus, tools = sys.argv[1:4]
vanban = os.path.abspath(vanban)
if not shutil.which('parallel'):
    print('1..0 # SKIP GNU parallel is not installed (apt-get install parallel)')
    sys.exit(0)
work = tmpdir()
inp = os.path.join(work, 'in')
names = corpus_files(corpus)
for d in range(4):
    os.makedirs(os.path.join(inp, 'd%d' % d, 'x'))
    for i, n in enumerate(names):
        sub = 'x' if i % 3 == 0 else ''
        data = read(os.path.join(corpus, n)) + ('\n%d\n' % d).encode()
        with open(os.path.join(inp, 'd%d' % d, sub, n), 'wb') as fh:
            fh.write(data)
with open(os.path.join(inp, 'd1', 'bad.pdf'), 'wb') as fh:
    fh.write(b'%PDF-1.5\n\0')

ref = os.path.join(work, 'ref')
r = run([vanban, 'batch', inp, '-o', ref, '-q', '--jsonl', os.path.join(work, 'ref.jsonl')])
check(r.returncode == 1, 'reference run (one failing file) exits 1')
outputs = [f for f in tree_files(ref) if f != 'summary.json']


def same_tree(out):
    got = [f for f in tree_files(out)
           if f not in ('summary.json', 'all.jsonl') and not f.startswith('.parts')]
    return got == outputs and all(read(os.path.join(out, f)) == read(os.path.join(ref, f))
                                  for f in outputs)


env = dict(os.environ, VANBAN=vanban, JOBS='2', BLOCK='7')
for label, extra in (('local jobs', {}), ("--sshlogin ':'", {'SSHLOGIN': ':'})):
    out = os.path.join(work, 'out-%d' % len(extra))
    e = dict(env, JSONL=os.path.join(work, 'par.jsonl'), **extra)
    r = run(['sh', os.path.join(tools, 'parallel-batch.sh'), inp, out], env=e)
    check(r.returncode == 1, 'parallel-batch.sh (%s) exits 1 for the failing file (%d)'
          % (label, r.returncode))
    if r.returncode not in (0, 1):
        print('#', r.stderr.decode()[-500:])
    check(same_tree(out), 'parallel-batch.sh (%s): outputs equal one process' % label)
    check(read(os.path.join(work, 'par.jsonl')) == read(os.path.join(work, 'ref.jsonl')),
          'parallel-batch.sh (%s): merged stream equals one process' % label)
    parts = os.listdir(os.path.join(out, '.parts'))
    check(len(parts) >= 2, 'the map step ran as %d jobs' % len(parts))

# vanban parse --jsonl - under parallel --pipe -k: the same lines as batch --files-from
lst = sorted(os.path.relpath(os.path.join(d, f), inp)
             for d, _, fs in os.walk(inp) for f in fs)
listing = ('\n'.join(lst) + '\n').encode()
single = run([vanban, 'batch', '--files-from', '-', '--jsonl', '-', '-q'], input=listing, cwd=inp)
par = run(['parallel', '--will-cite', '--pipe', '-k', '-N', '5', '-j', '2', vanban, 'parse',
           '--jsonl', '-'], input=listing, cwd=inp)
check(par.stdout == single.stdout and par.stdout.count(b'\n') == len(lst),
      'parallel --pipe -k vanban parse --jsonl - equals batch --files-from (%d lines)' % len(lst))
docs = ''.join('{"path": "%s", "text": %s}\n' % (p, __import__('json').dumps(read(os.path.join(inp, p)).decode('utf-8', 'replace')))
               for p in lst if p.endswith('.txt'))
a = run([vanban, 'parse', '--jsonl', '-'], input=docs.encode())
b = run(['parallel', '--will-cite', '--pipe', '-k', '-N', '3', '-j', '2', vanban, 'parse',
         '--jsonl', '-'], input=docs.encode())
check(a.returncode == 0 and a.stdout == b.stdout and a.stdout.count(b'\n') == docs.count('\n'),
      'documents as JSON lines: parallel equals one process')
files = run([vanban, 'parse', '--compact'] + [p for p in lst if p.endswith('.txt')], cwd=inp)
check(a.stdout == files.stdout, 'a document sent as a JSON line gives the same JSON as its file')

# Slurm array script, tasks run by hand with Slurm's variables
out = os.path.join(work, 'slurm')
os.makedirs(os.path.join(out, '.parts'))
with open(os.path.join(out, '.parts', 'files'), 'w') as fh:
    fh.write('\n'.join(lst) + '\n')
ok = True
for t in range(3):
    e = dict(env, SLURM_ARRAY_TASK_ID=str(t), SLURM_ARRAY_TASK_COUNT='3', SLURM_CPUS_PER_TASK='2')
    r = run(['bash', os.path.join(tools, 'slurm-array.sh'), 'task', inp, out], env=e)
    ok &= r.returncode in (0, 1)
r = run(['bash', os.path.join(tools, 'slurm-array.sh'), 'reduce', inp, out], env=env)
check(ok and r.returncode == 1, 'slurm-array.sh tasks and reduce run')
check(same_tree(out) and read(os.path.join(out, 'all.jsonl')) == read(os.path.join(work, 'ref.jsonl')),
      'slurm-array.sh: outputs and stream equal one process')
rmtree(work)
finish()
