"""Helpers shared by the batch tests (tests/batch/*.py)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

FAILURES = []


def check(cond, what):
    """Record one assertion; print it TAP-style."""
    n = check.count = getattr(check, 'count', 0) + 1
    print(('ok %d - %s' if cond else 'not ok %d - %s') % (n, what))
    if not cond:
        FAILURES.append(what)
    return cond


def finish():
    print('1..%d' % getattr(check, 'count', 0))
    sys.exit(1 if FAILURES else 0)


def run(args, **kw):
    kw.setdefault('capture_output', True)
    return subprocess.run(args, **kw)


def corpus_files(corpus):
    return sorted(f for f in os.listdir(corpus) if f.endswith('.txt'))


def tree_files(root):
    """Every file under root, relative, sorted."""
    out = []
    for d, _, fs in os.walk(root):
        for f in fs:
            out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def read(path, mode='rb'):
    with open(path, mode) as fh:
        return fh.read()


def tmpdir():
    d = tempfile.mkdtemp(prefix='vanban-test-')
    return d


def rmtree(d):
    shutil.rmtree(d, ignore_errors=True)


def load_json(path):
    return json.loads(read(path))
