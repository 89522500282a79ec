#!/usr/bin/env python3
"""Every corpus text converted into each supported encoding parses to the same
JSON as the UTF-8 text, apart from "source", spans and offsets.

usage: test_encodings.py VANBAN CORPUS_DIR TABLE_DIR

Encoders: Python's codecs for UTF-8/16 and Windows-1258 (tones written as
combining marks, as Windows does), glibc iconv for VISCII when it is there,
and for VNI and TCVN3 the tables in grammars/encodings/ (themselves checked
against glibc iconv for TCVN3 and VISCII).  Text an encoding cannot carry is
replaced (VISCII has no “ ” – … or no-break space) in both the encoded file
and the UTF-8 reference.  TCVN3 cannot carry upper-case letters with tone
marks: they are written with the lower-case codes, as the ".VnTimeH" fonts
did, and the decoder restores the case; for TCVN3 the strings are compared
case-insensitively and the case errors are counted.
"""
import json
import os
import shutil
import subprocess
import sys
import unicodedata

from common import check, finish, run, corpus_files, read, tmpdir, rmtree

vanban, corpus, tables = sys.argv[1:4]
work = tmpdir()


def load_table(name):
    rows = {}
    for line in read(os.path.join(tables, name), 'r').splitlines():
        if line and not line.startswith('#'):
            hexes, ch = line.split('\t')[:2]
            rows[ch] = bytes.fromhex(hexes)
    return rows


TCVN3, VNI, VISCII = load_table('tcvn3.tsv'), load_table('vni.tsv'), load_table('viscii.tsv')
HAVE_ICONV = shutil.which('iconv') is not None


def iconv(text, enc):
    r = subprocess.run(['iconv', '-f', 'UTF-8', '-t', enc], input=text.encode(),
                       capture_output=True)
    return r.stdout if r.returncode == 0 else None


# the tables agree with an independent implementation (glibc)
for name, tab, enc in (('TCVN3', TCVN3, 'TCVN5712-1'), ('VISCII', VISCII, 'VISCII')):
    if HAVE_ICONV and iconv('a', enc) is not None:
        bad = [c for c, b in tab.items() if iconv(c, enc) != b]
        check(not bad, '%s table equals glibc iconv %s (%d letters)%s' %
              (name, enc, len(tab), ' bad: ' + ''.join(bad) if bad else ''))
# famous strings, known by heart
check(''.join(VNI.get(c, c.encode()).decode('latin-1') if isinstance(VNI.get(c), bytes) else c
              for c in 'Cộng hòa xã hội chủ nghĩa Việt Nam') ==
      'Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam', 'VNI table spells the well-known string')
check(''.join(TCVN3[c].decode('cp1252') if c in TCVN3 else c
              for c in 'Cộng hoà xã hội chủ nghĩa Việt Nam') ==
      'Céng hoµ x· héi chñ nghÜa ViÖt Nam', 'TCVN3 table spells the well-known string')

CP1252_OK = set(range(0x80, 0x100)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def cp1252_char(ch):
    try:
        b = ch.encode('cp1252')
        return b if b[0] in CP1252_OK else None
    except UnicodeEncodeError:
        return None


def enc_cp1258(text):
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode('cp1258')
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize('NFD', ch)
        base, marks = d[0], d[1:]
        for m in ('\u0302', '\u0306', '\u031b'):
            if m in marks:
                base = unicodedata.normalize('NFC', base + m)
                marks = marks.replace(m, '')
        out += (base + marks).encode('cp1258')
    return bytes(out)


def enc_legacy(text, tab, fallback_1252, lower_case_tones=False):
    used = set(b[0] for b in tab.values())
    out = bytearray()
    for ch in text:
        if ch in tab:
            out += tab[ch]
        elif lower_case_tones and ch.lower() in tab and ch != ch.lower():
            out += tab[ch.lower()]
        elif ord(ch) < 0x80:
            out += ch.encode()
        else:
            b = cp1252_char(ch) if fallback_1252 else None
            if b is None or b[0] in used:
                raise ValueError('cannot encode %r' % ch)
            out += b
    return bytes(out)


def mojibake(text):
    return ''.join(chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode('cp1252')
                   for b in text.encode()).encode()


VISCII_SUBST = {'\u00a0': ' ', '\u201c': '"', '\u201d': '"', '\u2013': '-', '\u2026': '...'}
ENCODINGS = {  # name -> (encoder, substitutions in the reference, python codec for spans)
    'utf-8-bom': (lambda t: b'\xef\xbb\xbf' + t.encode(), {}, 'utf-8-sig'),
    'utf-16le': (lambda t: t.encode('utf-16-le') and b'\xff\xfe' + t.encode('utf-16-le'), {},
                 'utf-16'),
    'utf-16be': (lambda t: b'\xfe\xff' + t.encode('utf-16-be'), {}, 'utf-16'),
    'windows-1258': (enc_cp1258, {}, 'cp1258'),
    'vni': (lambda t: enc_legacy(t, VNI, True), {}, None),
    'tcvn3': (lambda t: enc_legacy(t, TCVN3, True, True), {}, None),
    'viscii': ((lambda t: iconv(t, 'VISCII')) if HAVE_ICONV and iconv('a', 'VISCII') else
               (lambda t: enc_legacy(t, VISCII, False)), VISCII_SUBST, None),
    'mojibake': (mojibake, {}, None),
}
EXPECT_NAME = {'utf-8-bom': 'utf-8', 'mojibake': 'utf-8-mojibake'}
FORCE = {'utf-8-bom': 'utf-8', 'mojibake': None}

names = corpus_files(corpus)
texts = {}
for n in names:
    t = read(os.path.join(corpus, n)).decode('utf-8')
    texts[n] = unicodedata.normalize('NFC', t.lstrip('\ufeff'))
encdir, refdir = os.path.join(work, 'enc'), os.path.join(work, 'ref')
for e, (fn, subst, _) in ENCODINGS.items():
    os.makedirs(os.path.join(encdir, e))
    os.makedirs(os.path.join(refdir, e))
    for n in names:
        t = texts[n]
        for a, b in subst.items():
            t = t.replace(a, b)
        data = fn(t)
        with open(os.path.join(encdir, e, n), 'wb') as fh:
            fh.write(data)
        with open(os.path.join(refdir, e, n), 'wb') as fh:
            fh.write(t.encode())


def batch(root, extra=()):
    out = os.path.join(work, 'out.jsonl')
    r = run([vanban, 'batch', root, '--jsonl', out, '-q'] + list(extra))
    res = {}
    for line in read(out).splitlines():
        j = json.loads(line)
        res[j['source']['path']] = j
    return r.returncode, res


def strip(x):
    """Drop what may differ between encodings: spans, offsets, source, nfc notes."""
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items()
                if k not in ('span', 'spans', 'offset', 'source')}
    if isinstance(x, list):
        return [strip(v) for v in x
                if not (isinstance(v, dict) and v.get('code') in ('nfc', 'mojibake'))]
    return x


CASE_CUED = ('corrections', 'references', 'tasks')


def fold(x):
    """Case-folded, without what depends on the case itself.  TCVN3 cannot
    carry toned capitals and decoding guesses them; the repair stage's
    corrections follow the guess, and references and tasks find bodies by
    their capitals ("của Ủy ban nhân dân tỉnh"), so those are checked apart."""
    if isinstance(x, dict):
        return {k: fold(v) for k, v in x.items() if k not in CASE_CUED}
    if isinstance(x, list):
        return [f for f in (fold(v) for v in x) if f is not None]
    return x.casefold() if isinstance(x, str) else x


def count_case_diffs(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return sum(count_case_diffs(a[k], b.get(k)) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return sum(count_case_diffs(x, y) for x, y in zip(a, b))
    return int(isinstance(a, str) and a != b)


def leaves(x, path=''):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from leaves(v, path + '/' + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from leaves(v, path + '/%d' % i)
    else:
        yield path, x


rc, got = batch(encdir)
check(rc == 0, 'all encoded files convert (exit %d)' % rc)
_, ref = batch(refdir)
for e, (fn, subst, codec) in ENCODINGS.items():
    want_name = EXPECT_NAME.get(e, e)
    names_ok, same, spans_ok, case_diffs, exact, cued = True, 0, True, 0, 0, 0
    for n in names:
        g, r = got.get(e + '/' + n), ref.get(e + '/' + n)
        if not g or not r:
            names_ok = False
            continue
        names_ok &= g['source']['encoding'] == want_name
        if strip(g) == strip(r):
            same += 1
            exact += 1
        elif e == 'tcvn3' and fold(strip(g)) == fold(strip(r)):
            same += 1
            sg, sr = strip(g), strip(r)
            if all(fold(json.loads(json.dumps([d[k] for k in CASE_CUED[1:]]).casefold())) ==
                   fold(json.loads(json.dumps([d2[k] for k in CASE_CUED[1:]]).casefold()))
                   for d, d2 in zip(sg['documents'], sr['documents'])):
                cued += 1
            case_diffs += count_case_diffs(strip(r), strip(g))
        else:
            a, b = (fold(strip(r)), fold(strip(g))) if e == 'tcvn3' else (strip(r), strip(g))
            for (p1, v1), (p2, v2) in zip(leaves(a), leaves(b)):
                if v1 != v2:
                    print('# %s %s: %s: %r != %r' % (e, n, p1, v1, v2))
                    break
        if codec:  # spans are offsets of the encoded bytes
            raw, rtext = read(os.path.join(encdir, e, n)), read(os.path.join(refdir, e, n))
            for d1, d2 in zip(g['documents'], r['documents']):
                for (p, s1), (_, s2) in zip(leaves(d1['spans']), leaves(d2['spans'])):
                    if s1 is None or s2 is None or not p.endswith(('/0', '/1')):
                        continue
                for k in d1['spans']:
                    a, b = d1['spans'][k], d2['spans'][k]
                    if a and b and isinstance(a[0], int):
                        x = raw[a[0]:a[1]].decode(codec if a[0] == 0 else
                                                  codec.replace('utf-16', 'utf-16-' + e[-2:])
                                                  .replace('utf-8-sig', 'utf-8'), 'replace')
                        y = rtext[b[0]:b[1]].decode()
                        if unicodedata.normalize('NFC', x).lstrip('\ufeff') != y:
                            spans_ok = False
                            print('# span %s %s %s: %r != %r' % (e, n, k, x[:40], y[:40]))
    check(names_ok, '%s: source.encoding is "%s" for every file' % (e, want_name))
    if e == 'tcvn3':
        check(same == len(names), '%s: JSON equals the UTF-8 run but for letter case, %d/%d files'
              % (e, same, len(names)))
        check(exact >= 16, '%s: exactly equal for %d/%d files (%d strings differ '
              'in case: upper-case toned letters are not in VN3)' % (e, exact, len(names), case_diffs))
        check(exact + cued >= 21, '%s: references and tasks equal but for case in %d/%d files '
              '(they need capitals TCVN3 cannot carry)' % (e, exact + cued, len(names)))
    else:
        check(same == len(names), '%s: JSON equals the UTF-8 run for %d/%d files' %
              (e, same, len(names)))
    if codec:
        check(spans_ok, '%s: spans are byte offsets of the encoded input' % e)
    force = FORCE.get(e, e)
    if force:
        _, forced = batch(os.path.join(encdir, e), ['--encoding', force])
        ok = all(strip(forced.get(n)) == strip(got.get(e + '/' + n)) for n in names)
        check(ok, '%s: --encoding %s gives the same JSON as detection' % (e, force))

r = run([vanban, 'parse', '--encoding', 'klingon', os.path.join(encdir, 'vni', names[0])])
check(r.returncode != 0, 'an unknown --encoding is refused')
rmtree(work)
finish()
