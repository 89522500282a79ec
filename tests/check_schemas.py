#!/usr/bin/env python3
"""Every kind of output validated against its schema (docs/*.schema.json):

  parse           vanban.schema.json       (also checked, with spans, by check_output.py)
  error records   vanban.schema.json       (a batch over files that fail in every way)
  summary.json    vanban-batch.schema.json
  link            vanban-link.schema.json
  graph           vanban-graph.schema.json
  normalize --log vanban-log.schema.json

over the corpus, hostile inputs written here, and, when ../shared/data is
present, a batch over its admin/ folder (61 real files).

usage: check_schemas.py VANBAN ROOT
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

VANBAN, ROOT = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, done  # noqa: E402


def schema(name):
    s = json.load(open(os.path.join(ROOT, 'docs', name), encoding='utf-8'))
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


PARSE, BATCH, LINK = schema('vanban.schema.json'), schema('vanban-batch.schema.json'), schema('vanban-link.schema.json')
GRAPH, LOG = schema('vanban-graph.schema.json'), schema('vanban-log.schema.json')


def errors(v, doc):
    return ['%s: %s' % ('/'.join(map(str, e.absolute_path)), e.message[:200]) for e in v.iter_errors(doc)]


def run(*args):
    p = subprocess.run([VANBAN] + list(args), capture_output=True, timeout=600)
    return p.returncode, p.stdout


corpus = sorted(glob.glob(os.path.join(ROOT, 'corpus', '*.txt')))

bad = []
for f in corpus:
    rc, out = run('normalize', '--log', f)
    bad += ['%s: %s' % (os.path.basename(f), e) for e in errors(LOG, json.loads(out))]
check(not bad, 'normalize --log of every corpus file: vanban-log schema', bad[:5])

rc, out = run('link', '--compact', *corpus)
e = errors(LINK, json.loads(out))
check(rc == 0 and not e, 'link over the corpus: vanban-link schema', e[:5])
rc, out = run('graph', '--compact', *corpus)
e = errors(GRAPH, json.loads(out))
check(rc == 0 and not e, 'graph over the corpus: vanban-graph schema', e[:5])


def batch_dir(indir, label):
    with tempfile.TemporaryDirectory() as out:
        rc, _ = run('batch', '-q', '-j', '2', indir, '-o', out)
        bad = []
        n = 0
        for d, _, names in os.walk(out):
            for name in names:
                p = os.path.join(d, name)
                doc = json.load(open(p, encoding='utf-8'))
                n += 1
                v = BATCH if name == 'summary.json' and d == out else PARSE
                bad += ['%s: %s' % (os.path.relpath(p, out), x) for x in errors(v, doc)]
        check(rc in (0, 1) and n > 1 and not bad,
              '%s: %d outputs, error records and summary.json valid' % (label, n), bad[:5])


with tempfile.TemporaryDirectory() as tmp:
    inputs = {
        'binary.txt': b'\x89PNG\r\n\x1a\n\x00\x00',
        'vv.txt': b'V/v:',
        'so.txt': 'Số:'.encode(),
        'kinhgui.txt': 'Kính gửi:'.encode(),
        'kt.txt': b'KT.',
        'cr.txt': b'a\rb\rKT.\r',
        'empty.txt': b'',
        'bad-utf8.txt': b'\xff\xfe\xfd abc\n',
        'long-line.txt': b'x' * (2 << 20),
    }
    for name, data in inputs.items():
        with open(os.path.join(tmp, name), 'wb') as fh:
            fh.write(data)
    os.symlink(os.path.join(tmp, 'gone.txt'), os.path.join(tmp, 'dangling.txt'))
    for f in corpus[:3]:
        with open(f, 'rb') as src, open(os.path.join(tmp, os.path.basename(f)), 'wb') as dst:
            dst.write(src.read())
    batch_dir(tmp, 'batch over hostile inputs and corpus files')

admin = os.path.join(ROOT, '..', 'shared', 'data', 'admin')
if os.path.isdir(admin):
    batch_dir(admin, 'batch over ../shared/data/admin')
else:
    print('# SKIP: ../shared/data/admin is absent')
done()
