#!/usr/bin/env python3
"""Check gold annotation files (tests/real/gold/**.json) against their format
(tests/real/README.md) and against the texts they describe.

usage: gold_check.py [GOLD.json ...] [--data DIR]

With no file, checks every gold file.  For each: keys and types, dates,
canonical type names, the file's SHA-256, and that each document's start and
end offsets point at the text recorded with them.  Prints one line per
problem and exits 1 if there is any.  Exits 0 with SKIP when the data
directory is absent.
"""
import glob
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOC_KEYS = ['start', 'end', 'format', 'national_header', 'motto', 'issuer', 'number', 'type',
            'place', 'date', 'subject', 'received_stamp', 'addressees', 'recipients',
            'signature', 'sections', 'annexes', 'references', 'tasks']
DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')


def type_names():
    names = set()
    for line in open(os.path.join(ROOT, 'grammars', 'doctypes.tsv'), encoding='utf-8'):
        if line.startswith('#') or not line.strip():
            continue
        names.add(line.split('\t')[0])
    return names


def check_file(path, data_dir, types):
    errs = []
    try:
        g = json.load(open(path, encoding='utf-8'))
    except ValueError as e:
        return ['not JSON: %s' % e]
    for k in ('file', 'sha256', 'split', 'documents', 'notes'):
        if k not in g:
            errs.append('missing key %s' % k)
    if errs:
        return errs
    src = os.path.join(data_dir, g['file'])
    if not os.path.exists(src):
        return ['no such data file %s' % g['file']]
    data = open(src, 'rb').read()
    if hashlib.sha256(data).hexdigest() != g['sha256']:
        errs.append('sha256 differs from the data file')
    if g['split'] not in ('dev', 'heldout'):
        errs.append('split must be dev or heldout')
    if not g['documents'] and not g['notes'].strip():
        errs.append('no documents, and no note saying why')
    prev = -1
    for n, d in enumerate(g['documents']):
        w = 'doc %d: ' % (n + 1)
        for k in DOC_KEYS:
            if k not in d:
                errs.append(w + 'missing key %s' % k)
        for k in d:
            if k not in DOC_KEYS:
                errs.append(w + 'unknown key %s' % k)
        for k in ('start', 'end'):
            a = d.get(k)
            if not isinstance(a, dict) or not isinstance(a.get('offset'), int) or not a.get('text'):
                errs.append(w + '%s must be {offset, text}' % k)
                continue
            t = a['text'].encode('utf-8')
            o = a['offset']
            got = data[o:o + len(t)] if k == 'start' else data[o - len(t):o]
            if got != t:
                errs.append(w + '%s text is not at offset %d (found %r)' %
                            (k, o, got.decode('utf-8', 'replace')[:40]))
        s, e = (d.get('start') or {}).get('offset'), (d.get('end') or {}).get('offset')
        if isinstance(s, int) and isinstance(e, int):
            if not s < e:
                errs.append(w + 'start must be before end')
            if s < prev:
                errs.append(w + 'documents must be in file order and not overlap')
            prev = e
        if d.get('format') not in ('state', 'party', 'unknown'):
            errs.append(w + 'format must be state, party or unknown')
        for k in ('date',):
            if d.get(k) is not None and not DATE.match(d[k]):
                errs.append(w + '%s must be YYYY-MM-DD' % k)
        if d.get('type') is not None and d['type'] not in types:
            errs.append(w + 'type %r is not a canonical name' % d['type'])
        iss = d.get('issuer')
        if iss is not None and (not isinstance(iss, dict) or set(iss) - {'inferred'} != {'name', 'parent'}
                                or iss.get('inferred', True) is not True):
            errs.append(w + 'issuer must be null, {name, parent} or {name, parent, inferred: true}')
        sig = d.get('signature')
        if sig is not None and (not isinstance(sig, dict) or
                                set(sig) != {'marker', 'authority', 'title', 'name'}):
            errs.append(w + 'signature must be null or {marker, authority, title, name}')
        st = d.get('received_stamp')
        if st is not None and (not isinstance(st, dict) or set(st) != {'receiver', 'number', 'date'}):
            errs.append(w + 'received_stamp must be null or {receiver, number, date}')
        for k in ('addressees', 'recipients', 'sections'):
            if not isinstance(d.get(k), list) or not all(isinstance(x, str) for x in d[k]):
                errs.append(w + '%s must be a list of strings' % k)
        for a in d.get('annexes') or []:
            if not isinstance(a, dict) or set(a) != {'label', 'title'}:
                errs.append(w + 'annexes items must be {label, title}')
        for r in d.get('references') or []:
            if not isinstance(r, dict) or set(r) != {'type', 'number', 'name', 'date'}:
                errs.append(w + 'references items must be {type, number, name, date}: %r' % (r,))
                continue
            if r['type'] not in types:
                errs.append(w + 'reference type %r is not a canonical name' % r['type'])
            if r['date'] is not None and not DATE.match(r['date']):
                errs.append(w + 'reference date %r must be YYYY-MM-DD' % r['date'])
            if not r['number'] and not r['name']:
                errs.append(w + 'a reference needs a number or a name: %r' % (r,))
        t = d.get('tasks')
        if t is not None:
            for x in t:
                if not isinstance(x, dict) or set(x) != {'assignee', 'deadline'}:
                    errs.append(w + 'tasks items must be {assignee, deadline}')
                elif x['deadline'] is not None and not DATE.match(x['deadline']):
                    errs.append(w + 'task deadline must be YYYY-MM-DD')
    return errs


def main():
    args = sys.argv[1:]
    data_dir = os.path.join(os.path.dirname(ROOT), 'shared', 'data')
    if '--data' in args:
        i = args.index('--data')
        data_dir = args[i + 1]
        del args[i:i + 2]
    if not os.path.isdir(data_dir):
        print('SKIP: %s is absent' % data_dir)
        return 0
    files = args or sorted(glob.glob(os.path.join(ROOT, 'tests', 'real', 'gold', '**', '*.json'),
                                     recursive=True))
    types = type_names()
    bad = 0
    for f in files:
        for e in check_file(f, data_dir, types):
            bad += 1
            print('%s: %s' % (os.path.relpath(f, ROOT), e))
    print('%d gold files, %d problems' % (len(files), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
