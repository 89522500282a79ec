#!/usr/bin/env python3
"""vanban batch: mirroring, identity with 'vanban parse', -j independence,
error records, limits, summary, exit status, resume.

usage: test_batch.py VANBAN CORPUS_DIR
"""
import json
import os
import sys

from common import check, finish, run, corpus_files, tree_files, read, tmpdir, rmtree

vanban, corpus = sys.argv[1], sys.argv[2]
work = tmpdir()
inp, out1, out2 = (os.path.join(work, x) for x in ('in', 'out1', 'out2'))
names = corpus_files(corpus)

# a tree: corpus at the top, again under a/b/, again under c/ with .md names
os.makedirs(os.path.join(inp, 'a', 'b'))
os.makedirs(os.path.join(inp, 'c'))
for n in names:
    data = read(os.path.join(corpus, n))
    for rel in (n, os.path.join('a', 'b', n), os.path.join('c', n[:-4] + '.md')):
        with open(os.path.join(inp, rel), 'wb') as fh:
            fh.write(data)
good = len(names) * 3
with open(os.path.join(inp, 'a', 'scan.pdf'), 'wb') as fh:
    fh.write(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n')
with open(os.path.join(inp, 'a', 'photo.png'), 'wb') as fh:
    fh.write(b'\x89PNG\r\n\x1a\n\0\0\0\rIHDR')
with open(os.path.join(inp, 'nul.txt'), 'wb') as fh:
    fh.write(b'abc\ndef\0ghi\n')
with open(os.path.join(inp, 'big.txt'), 'wb') as fh:
    fh.write(b'x' * 70000 + b'\n')
with open(os.path.join(inp, 'longline.txt'), 'wb') as fh:
    fh.write(b'ok\n' + b'y' * 9000 + b'\n')
with open(os.path.join(inp, '.hidden.txt'), 'wb') as fh:
    fh.write(b'hidden\n')
os.symlink('../../a', os.path.join(inp, 'a', 'b', 'loop'))
os.symlink('selfloop', os.path.join(inp, 'selfloop'))
os.symlink('nowhere', os.path.join(inp, 'dangling'))
os.mkfifo(os.path.join(inp, 'fifo'))
bad = {'a/scan.pdf': 'not-text', 'a/photo.png': 'not-text', 'nul.txt': 'not-text',
       'big.txt': 'too-big', 'longline.txt': 'line-too-long', 'a/b/loop': 'symlink-loop',
       'selfloop': 'symlink-loop', 'dangling': 'unreadable', 'fifo': 'not-regular'}
limits = ['--max-bytes', '65536', '--max-line', '8192']

r1 = run([vanban, 'batch', inp, '-o', out1, '-j', '1', '-q', '--jsonl',
          os.path.join(work, 'j1.jsonl')] + limits)
r2 = run([vanban, 'batch', inp, '-o', out2, '-j', '3', '-q', '--jsonl',
          os.path.join(work, 'j2.jsonl')] + limits)
check(r1.returncode == 1, 'exit status 1 when some file failed (got %d)' % r1.returncode)
check(r2.returncode == 1, 'exit status 1 with -j 3')
err = r1.stderr.decode()
for p, k in sorted(bad.items()):
    check(('vanban: %s: %s' % (p, k)) in err, 'stderr reports %s as %s' % (p, k))

files1 = tree_files(out1)
expect = sorted([n[:-4] + '.json' for n in names] +
                [os.path.join('a', 'b', n[:-4] + '.json') for n in names] +
                [os.path.join('c', n[:-4] + '.md.json') for n in names] +
                ['a/scan.pdf.json', 'a/photo.png.json', 'nul.json', 'big.json',
                 'longline.json', 'summary.json'])
check(files1 == expect, 'output tree mirrors the input (x.txt -> x.json, y.md -> y.md.json)')
if files1 != expect:
    print('# extra:', sorted(set(files1) - set(expect)), 'missing:', sorted(set(expect) - set(files1)))
check(tree_files(out2) == files1, '-j 3 writes the same files')
same = all(read(os.path.join(out1, f)) == read(os.path.join(out2, f))
           for f in files1 if f != 'summary.json')
check(same, 'outputs identical for -j 1 and -j 3')
check(read(os.path.join(work, 'j1.jsonl')) == read(os.path.join(work, 'j2.jsonl')),
      'JSON Lines stream identical for -j 1 and -j 3')

# identical to the single-file command run from IN_DIR
ident = True
for rel in (names[0], os.path.join('a', 'b', names[-1]), os.path.join('c', names[3][:-4] + '.md')):
    p = run([vanban, 'parse', rel], cwd=inp)
    o = rel[:-4] + '.json' if rel.endswith('.txt') else rel + '.json'
    ident &= p.stdout == read(os.path.join(out1, o))
check(ident, 'each output equals "vanban parse REL" run in IN_DIR')
p = run([vanban, 'parse', '--compact', names[1]], cwd=inp)
lines = read(os.path.join(work, 'j1.jsonl')).splitlines(keepends=True)
check(p.stdout in lines, 'JSON Lines entries equal "vanban parse --compact"')
check(len(lines) == good + len(bad), 'one JSON line per input (%d)' % len(lines))
paths = [json.loads(l)['source']['path'] for l in lines]


def walk_order(root, rel=''):
    out = []
    for n in sorted(os.listdir(os.path.join(root, rel))):
        r = os.path.join(rel, n) if rel else n
        if n.startswith('.') or r in ('a/b/loop',):
            out += [] if n.startswith('.') else [r]
        elif os.path.isdir(os.path.join(root, r)):
            out += walk_order(root, r)
        else:
            out.append(r)
    return out


check(paths == walk_order(inp), 'stream in walk order (depth first, names sorted)')

# error records
rec = json.loads(read(os.path.join(out1, 'nul.json')))
check(rec['error']['kind'] == 'not-text' and rec['error']['offset'] == 7,
      'error record: NUL byte with its offset (7)')
check(rec['source']['path'] == 'nul.txt' and len(rec['source']['sha256']) == 64,
      'error record names the file and its checksum')
rec = json.loads(read(os.path.join(out1, 'longline.json')))
check(rec['error']['kind'] == 'line-too-long' and rec['error']['offset'] == 3,
      'error record: long line at offset 3')
rec = json.loads(read(os.path.join(out1, 'big.json')))
check(rec['error']['kind'] == 'too-big', 'error record: file over --max-bytes')

# summary
s = json.loads(read(os.path.join(out1, 'summary.json')))
check(s['files'] == good + len(bad) and s['converted'] == good and s['failed'] == len(bad),
      'summary counts files, converted, failed')
byk = {}
for k in bad.values():
    byk[k] = byk.get(k, 0) + 1
check(s['errors_by_kind'] == byk, 'summary errors by kind %s' % byk)
check([e['path'] for e in s['errors']] == [p for p in walk_order(inp) if p in bad],
      'summary lists every error, in walk order')
docs = sum(len(json.loads(read(os.path.join(out1, f)))['documents'])
           for f in files1 if f != 'summary.json')
check(s['documents'] == docs and docs > 0, 'summary documents = sum over outputs (%d)' % docs)
check(s['fields'] > s['documents'] and 'repairs' in s and s['encodings'].get('utf-8') == good,
      'summary fields, repairs, encodings')

# resume: nothing to do; then one input changes and one output disappears
m1 = {f: os.stat(os.path.join(out1, f)).st_mtime_ns for f in files1}
r = run([vanban, 'batch', inp, '-o', out1, '--resume', '-q', '--jsonl',
         os.path.join(work, 'j3.jsonl')] + limits)
s = json.loads(read(os.path.join(out1, 'summary.json')))
check(r.returncode == 1 and s['skipped'] == good + 4 and s['converted'] == 0,
      'resume skips every finished input (and error records with a checksum)')
check(all(os.stat(os.path.join(out1, f)).st_mtime_ns == m1[f] for f in files1 if f != 'summary.json'),
      'resume rewrites nothing')
check(read(os.path.join(work, 'j3.jsonl')) == read(os.path.join(work, 'j1.jsonl')),
      'resumed JSON Lines stream equals the first one')
os.unlink(os.path.join(out1, names[2][:-4] + '.json'))
with open(os.path.join(inp, 'a', 'b', names[0]), 'ab') as fh:
    fh.write('\nThêm một dòng.\n'.encode())
r = run([vanban, 'batch', inp, '-o', out1, '--resume', '-q'] + limits)
s = json.loads(read(os.path.join(out1, 'summary.json')))
check(s['converted'] == 2, 'resume redoes a missing output and a changed input (%d)' % s['converted'])
p = run([vanban, 'parse', os.path.join('a', 'b', names[0])], cwd=inp)
check(p.stdout == read(os.path.join(out1, 'a', 'b', names[0][:-4] + '.json')),
      'changed input reconverted')

# --files-from, relative to IN_DIR
lst = os.path.join(work, 'list')
with open(lst, 'w') as fh:
    fh.write('%s\n./a/b/%s\n\nmissing.txt\n../escape.txt\n' % (names[4], names[5]))
out3 = os.path.join(work, 'out3')
r = run([vanban, 'batch', inp, '--files-from', lst, '-o', out3, '-q'])
check(r.returncode == 1, '--files-from: exit 1 for the missing file')
check(tree_files(out3) == sorted([names[4][:-4] + '.json', 'a/b/%s.json' % names[5][:-4],
                                  'missing.json', 'summary.json']),
      '--files-from mirrors listed paths; a missing file gets an error record; ".." refused')
check(read(os.path.join(out3, names[4][:-4] + '.json')) == read(os.path.join(out2, names[4][:-4] + '.json')),
      '--files-from output equals the walk output')

# usage errors
check(run([vanban, 'batch', inp]).returncode == 2, 'no output given: exit 2')
check(run([vanban, 'batch', inp, '--jsonl', '-', '--resume']).returncode == 2,
      '--resume without -o: exit 2')
check(run([vanban, 'batch', os.path.join(work, 'nope'), '-o', out3]).returncode == 2,
      'missing IN_DIR: exit 2')
# output directory inside the input: not walked
inner = os.path.join(inp, 'zz-out')
r = run([vanban, 'batch', inp, '-o', inner, '-q'] + limits)
r = run([vanban, 'batch', inp, '-o', inner, '-q'] + limits)
check(not os.path.exists(os.path.join(inner, 'zz-out')), 'OUT_DIR inside IN_DIR is not converted')

rmtree(work)
finish()
