#!/usr/bin/env python3
"""Check vanban's output on every corpus file against the JSON Schema, and check
that every span points at the text of its value (the span property).

usage: check_output.py VANBAN SCHEMA CORPUS_DIR
       check_output.py VANBAN SCHEMA --data DIR   (every file under DIR, as
       ../shared/data; exit 77, skipped, when DIR is absent)
A span is right when the words of the value are, in order, among the words of
the original bytes under the span, and the span starts with the value's first
word and ends with its last (case-insensitive: repairs may change case).
"""
import glob
import json
import os
import re
import subprocess
import sys
import unicodedata

import jsonschema

WORD = re.compile(r'\w+', re.UNICODE)


def words(s):
    return WORD.findall(unicodedata.normalize('NFC', s).casefold())


def subsequence(small, big):
    it = iter(big)
    return all(w in it for w in small)


def corrected(raw, s, e, corrections):
    """The text under [s, e) with the corrections inside it applied."""
    out, pos = [], s
    for c in sorted(corrections, key=lambda c: c['span'][0]):
        cs, ce = c['span']
        if cs < pos or ce > e:
            continue
        out.append(raw[pos:cs].decode('utf-8', 'replace'))
        out.append(c['to'])
        pos = ce
    out.append(raw[pos:e].decode('utf-8', 'replace'))
    return ''.join(out)


CORR = []


def check_span(raw, value, span, what, errors):
    if value is None:
        if span is not None:
            errors.append('%s: span %s for a null value' % (what, span))
        return
    if span is None:
        errors.append('%s: no span for %r' % (what, value))
        return
    s, e = span
    if not (0 <= s < e <= len(raw)):
        errors.append('%s: span %s outside the input' % (what, span))
        return
    vw, sw = words(value), words(corrected(raw, s, e, CORR))
    if not vw:
        return
    if not sw or sw[0] != vw[0] or sw[-1] != vw[-1] or not subsequence(vw, sw):
        errors.append('%s: span %s holds %r, value %r' % (
            what, span, raw[s:e].decode('utf-8', 'replace')[:120], value[:120]))


def check_sections(raw, secs, outer, what, errors, level=1):
    for i, sec in enumerate(secs):
        w = '%s/%s' % (what, sec['label'] or '(heading)')
        if sec['level'] != level:
            errors.append('%s: level %d at depth %d' % (w, sec['level'], level))
        s, e = sec['span']
        if not (outer[0] <= s < e <= outer[1]):
            errors.append('%s: span %s not inside %s' % (w, sec['span'], outer))
        text = corrected(raw, s, e, CORR)
        head = re.sub(r'\s+', ' ', unicodedata.normalize('NFC', text).casefold()[:200])
        if sec['label'] and sec['label'].casefold() not in head:
            errors.append('%s: label not at the start of its span' % w)
        # the title is the repaired text: compare with the span as corrected
        if sec['title'] and not subsequence(words(sec['title']), words(corrected(raw, s, e, CORR))):
            errors.append('%s: title not inside its span' % w)
        check_sections(raw, sec['children'], sec['span'], w, errors, level + 1)


def main():
    vanban, schema_path = sys.argv[1:3]
    validator = jsonschema.Draft202012Validator(json.load(open(schema_path, encoding='utf-8')))
    errors = []
    if sys.argv[3] == '--data':
        data = sys.argv[4]
        if not os.path.isdir(data):
            print('SKIP: %s is absent' % data)
            sys.exit(77)
        files = sorted(p for p in glob.glob(os.path.join(data, '**', '*'), recursive=True)
                       if os.path.isfile(p) and os.path.dirname(p) != data.rstrip('/'))
    else:
        files = sorted(glob.glob(os.path.join(sys.argv[3], '*.txt')))
    for path in files:
        raw = open(path, 'rb').read()
        p = subprocess.run([vanban, 'parse', '--max-bytes', '200000000', path], capture_output=True)
        if p.returncode != 0:
            errors.append('%s: exit %d %s' % (path, p.returncode, p.stderr.decode()))
            continue
        out = json.loads(p.stdout)
        for err in validator.iter_errors(out):
            errors.append('%s: schema: %s at %s' % (path, err.message, list(err.absolute_path)))
        if out['source']['bytes'] != len(raw):
            errors.append('%s: source.bytes %d != %d' % (path, out['source']['bytes'], len(raw)))
        prev_end = 0
        for k, d in enumerate(out['documents']):
            what = '%s doc %d' % (os.path.basename(path), k)
            s, e = d['span']
            if s < prev_end or e > len(raw):
                errors.append('%s: document span %s overlaps or overflows' % (what, d['span']))
            prev_end = e
            sp = d['spans']
            CORR[:] = d['corrections']
            iss = d['issuer']
            if iss:
                full = (iss['parent'] + ' ' if iss['parent'] else '') + iss['name']
                if iss['inferred'] and d['number'] and sp['issuer'] == sp['number']:
                    full = d['number']['raw']  # named by the number's code (issuers.tsv)
                check_span(raw, full, sp['issuer'], what + ' issuer', errors)
            check_span(raw, d['national_header'], sp['national_header'], what + ' national_header', errors)
            check_span(raw, d['motto'], sp['motto'], what + ' motto', errors)
            check_span(raw, d['number'] and d['number']['raw'], sp['number'], what + ' number', errors)
            check_span(raw, d['place'], sp['place'], what + ' place', errors)
            check_span(raw, d['subject'], sp['subject'], what + ' subject', errors)
            if d['date'] and sp['date'] is None:
                errors.append('%s: date without span' % what)
            for key in ('addressees', 'recipients'):
                if len(d[key]) != len(sp[key]):
                    errors.append('%s: %d %s but %d spans' % (what, len(d[key]), key, len(sp[key])))
                for v, vs in zip(d[key], sp[key]):
                    check_span(raw, v, vs, '%s %s' % (what, key), errors)
            sig = d['signature']
            if sig:
                parts = ' '.join(x for x in (sig['title'], sig['name']) if x)
                if parts and sp['signature'] is None:
                    errors.append('%s: signature without span' % what)
            for c in d['corrections']:
                cs, ce = c['span']
                got = raw[cs:ce].decode('utf-8', 'replace')
                if unicodedata.normalize('NFC', got) != unicodedata.normalize('NFC', c['from']):
                    errors.append('%s: correction span %s holds %r, not %r' % (what, c['span'], got, c['from']))
            check_sections(raw, d['sections'], d['span'], what, errors)
            for a in d['annexes']:
                if a['span'] and not (d['span'][0] <= a['span'][0] < a['span'][1] <= d['span'][1]):
                    errors.append('%s: annex %r span %s outside the document' % (what, a['label'], a['span']))
            for ref in d['references']:
                lead = re.match(r'\d+', ref['number'] or '')
                for rs in ref['spans']:
                    text = unicodedata.normalize('NFC', corrected(raw, rs[0], rs[1], CORR))
                    # a law cited by its name alone is a mention of the numbered one
                    named = ref['name'] and subsequence(words(ref['name'])[:2], words(text))
                    if lead and lead.group(0) not in text and not named:
                        errors.append('%s: reference %s span %s holds %r' % (what, ref['number'], rs, text[:80]))
            for task in d['tasks']:
                # the assignee may come from the lead-in of a list ("… yêu cầu
                # X làm tốt các nhiệm vụ sau:"), so only the item is spanned
                ts, te = task['span']
                if not (d['span'][0] <= ts < te <= d['span'][1]):
                    errors.append('%s: task span %s outside the document' % (what, task['span']))
                elif task['action'] and not subsequence(words(task['action'])[:3], words(corrected(raw, ts, te, CORR))):
                    errors.append('%s: task span %s does not hold its action' % (what, task['span']))
    for e in errors:
        print(e)
    print('%d files, %d problems' % (len(files), len(errors)))
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
