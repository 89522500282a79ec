#!/usr/bin/env python3
"""vanban batch worker processes: a file that crashes its worker, hangs it or
needs more memory than --file-memory becomes an error record (kind crash,
timeout, memory) and the batch goes on; --resume retries such a file once,
then keeps its record; outputs equal those of --no-isolate (threads).

usage: test_isolate.py VANBAN CORPUS_DIR FAULTSHIM SANITIZE

FAULTSHIM is tests/faultshim.c built as a module: preloaded, it makes a
worker process (never the batch itself) die or hang when it reads the
marker VANBAN-TEST-CRASH or VANBAN-TEST-HANG.
"""
import json
import os
import sys

from common import check, finish, run, corpus_files, tree_files, read, tmpdir, rmtree

vanban, corpus, shim, sanitize = sys.argv[1:5]
sanitized = sanitize not in ('', 'none')
work = tmpdir()
names = corpus_files(corpus)
env = dict(os.environ, LD_PRELOAD=shim)
if sanitized:  # the shim comes before the sanitizer's runtime: allowed here
    env['ASAN_OPTIONS'] = os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as fh:
        fh.write(data)


DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs')
try:
    import jsonschema
    SCHEMA = {n: jsonschema.Draft202012Validator(json.loads(read(os.path.join(DOCS, n))))
              for n in ('vanban.schema.json', 'vanban-batch.schema.json')}
except ImportError:  # check_schemas.py, in the same suite, reports it
    SCHEMA = None


def valid(j, name):
    return SCHEMA is None or not list(SCHEMA[name].iter_errors(j))


def record(path):
    j = json.loads(read(path))
    check(valid(j, 'vanban.schema.json'), '%s: valid against docs/vanban.schema.json' % os.path.basename(path))
    return j.get('error') or {}, j


# 1. processes and threads give the same bytes
inp = os.path.join(work, 'in')
for n in names:
    write(os.path.join(inp, n), read(os.path.join(corpus, n)))
write(os.path.join(inp, 'tiny', 'vv.txt'), b'V/v:')
a, b = os.path.join(work, 'proc'), os.path.join(work, 'thr')
r1 = run([vanban, 'batch', inp, '-o', a, '-j', '3', '-q'])
r2 = run([vanban, 'batch', inp, '-o', b, '-j', '3', '-q', '--no-isolate'])
check(r1.returncode == 0 and r2.returncode == 0, 'both modes exit 0 (%d, %d)' % (r1.returncode, r2.returncode))
fa = [f for f in tree_files(a) if f != 'summary.json']
check(fa == [f for f in tree_files(b) if f != 'summary.json'] and len(fa) == len(names) + 1,
      'the same %d outputs' % len(fa))
check(all(read(os.path.join(a, f)) == read(os.path.join(b, f)) for f in fa),
      'worker processes and threads write identical outputs')

# 2. a crash: the batch goes on, the other files convert
good = names[0]
inp = os.path.join(work, 'crash')
write(os.path.join(inp, 'a.txt'), read(os.path.join(corpus, good)))
write(os.path.join(inp, 'boom.txt'), read(os.path.join(corpus, good)) + b'\nVANBAN-TEST-CRASH\n')
write(os.path.join(inp, 'z.txt'), read(os.path.join(corpus, names[1])))
out = os.path.join(work, 'crash-out')
r = run([vanban, 'batch', inp, '-o', out, '-j', '1', '-q'], env=env)
check(r.returncode == 1, 'a crashing file: exit 1, not a dead batch (%d)' % r.returncode)
e, j = record(os.path.join(out, 'boom.json'))
check(e.get('kind') == 'crash' and 'died of signal' in e.get('message', ''),
      'crash record: %s' % e)
check(e.get('attempts') == 1 and j['source'].get('sha256'), 'crash record: attempts 1 and the checksum')
check(all('error' not in json.loads(read(os.path.join(out, f))) for f in ('a.json', 'z.json')),
      'the files before and after the crash convert (same worker slot, new process)')
s = json.loads(read(os.path.join(out, 'summary.json')))
check(s['errors_by_kind'] == {'crash': 1} and s['converted'] == 2 and valid(s, 'vanban-batch.schema.json'),
      'summary (schema-valid): %s' % s['errors_by_kind'])

# 3. --resume retries a crashed file once, then keeps its record
r = run([vanban, 'batch', inp, '-o', out, '-j', '1', '-q', '--resume'], env=env)
e, _ = record(os.path.join(out, 'boom.json'))
check(r.returncode == 1 and e.get('attempts') == 2, 'first --resume retries it: attempts 2 (%s)' % e)
before = read(os.path.join(out, 'boom.json'))
r = run([vanban, 'batch', inp, '-o', out, '-j', '1', '-q', '--resume'], env=env)
s = json.loads(read(os.path.join(out, 'summary.json')))
check(r.returncode == 1 and read(os.path.join(out, 'boom.json')) == before and s['skipped'] == 3,
      'second --resume keeps the record without a retry (skipped %d)' % s['skipped'])
write(os.path.join(inp, 'boom.txt'), read(os.path.join(corpus, good)))  # the file is fixed
r = run([vanban, 'batch', inp, '-o', out, '-j', '1', '-q', '--resume'], env=env)
check(r.returncode == 0 and 'error' not in json.loads(read(os.path.join(out, 'boom.json'))),
      'a changed file is parsed again')

# 4. a hang becomes a timeout; the stream keeps one line per input, in order
inp = os.path.join(work, 'hang')
write(os.path.join(inp, 'hang.txt'), b'V/v: VANBAN-TEST-HANG\n')
out = os.path.join(work, 'hang-out')
jl = os.path.join(work, 'hang.jsonl')
r = run([vanban, 'batch', inp, '-o', out, '--jsonl', jl, '-q', '--file-timeout', '1'], env=env,
        timeout=120)
e, _ = record(os.path.join(out, 'hang.json'))
check(r.returncode == 1 and e.get('kind') == 'timeout' and '--file-timeout 1 s' in e.get('message', ''),
      'a hanging file: a timeout record (%s)' % e)
lines = read(jl).splitlines()
check(len(lines) == 1 and json.loads(lines[0])['error']['kind'] == 'timeout', 'the stream has its record')

# 5. --file-memory: beyond it a memory record, within it a result
if sanitized:
    check.count = getattr(check, 'count', 0) + 1
    print('ok %d # SKIP --file-memory under the %s sanitizer (its runtime needs the address space)'
          % (check.count, sanitize))
else:
    inp = os.path.join(work, 'mem')
    write(os.path.join(inp, 'big.txt'), b''.join(read(os.path.join(corpus, n)) for n in names))
    write(os.path.join(inp, 'small.txt'), b'V/v: a\n')
    out = os.path.join(work, 'mem-out')
    r = run([vanban, 'batch', inp, '-o', out, '-q', '-j', '1', '--file-memory', '4M'])
    e, _ = record(os.path.join(out, 'big.json'))
    check(r.returncode == 1 and e.get('kind') == 'memory' and e.get('attempts') == 1,
          'a file beyond --file-memory 4M: a memory record (%s)' % e)
    check('error' not in json.loads(read(os.path.join(out, 'small.json'))),
          'the next file in the same worker converts')
    r = run([vanban, 'batch', inp, '-o', out, '-q', '-j', '1', '--file-memory', '1G'])
    check(r.returncode == 0, 'within --file-memory 1G it converts (%d)' % r.returncode)

# 6. options
r = run([vanban, 'batch', inp, '-o', out, '--no-isolate', '--file-timeout', '5'])
check(r.returncode == 2 and b'--no-isolate' in r.stderr, '--file-timeout with --no-isolate: exit 2')
for bad in ('0', 'x', '12Q', '-5'):
    r = run([vanban, 'batch', inp, '-o', out, '--file-memory', bad])
    check(r.returncode == 2, '--file-memory %s refused' % bad)
r = run([vanban, 'batch', inp, '-o', out, '--file-timeout', 'soon'])
check(r.returncode == 2, '--file-timeout soon refused')

rmtree(work)
finish()
