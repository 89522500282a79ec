#!/usr/bin/env python3
"""Evaluate `vanban parse` on real documents nobody in this project wrote.

usage: eval_real.py VANBAN [DATA_DIR] [--verbose] [--min-number R]

DATA_DIR defaults to ../shared/data beside the source tree.  Two sets:
- markdown-clean/*.md: each file's metadata block (so_hieu, loai-van-ban,
  ngay-ban-hanh, nguoi-ky) is the truth; the block itself is removed before
  parsing, so vanban sees only the document.
- congbao/*/*.txt: gazette text; the file name carries the type, number and
  year ("nghi-dinh-so-162-2026-nd-cp-…"), checked against the first document.
Prints the share of documents whose field is right.  Exit 1 if --min-number is
given and the number score of either set is lower.  Exit 0 with a note when
the data directory is missing (the tests skip cleanly).
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata


def nfc(s):
    return unicodedata.normalize('NFC', s or '').strip()


def parse(vanban, path):
    p = subprocess.run([vanban, 'parse', '--compact', '--max-bytes', '200000000', path],
                       capture_output=True)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def front_matter(text):
    m = re.match(r'---\n(.*?)\n---\n', text, re.S)
    if not m:
        return {}, text
    meta, key = {}, None
    for line in m.group(1).split('\n'):
        mm = re.match(r'([\w-]+):\s*(.*)$', line)
        if mm:
            key = mm.group(1)
            meta[key] = mm.group(2).strip().strip('"')
        elif key and re.match(r'\s+-\s+', line):
            meta.setdefault(key + '[]', []).append(line.strip()[2:])
    return meta, text[m.end():]


def meta_get(meta, *names):
    for n in names:
        for k in (n, n.replace('_', '-'), n.replace('_', '')):
            if meta.get(k):
                return meta[k]
    return None


def iso(date):
    if not date:
        return None
    m = re.match(r'(\d{4})-(\d{2})-(\d{2})', date)
    if m:
        return date[:10]
    m = re.match(r'(\d{1,2})/(\d{1,2})/(\d{4})', date)
    return '%s-%02d-%02d' % (m.group(3), int(m.group(2)), int(m.group(1))) if m else None


def pick(docs):
    """The document with its own number (a file may hold a preamble first)."""
    for d in docs:
        if d.get('number'):
            return d
    return docs[0] if docs else {}


def score(rows):
    out = {}
    for field, ok in rows:
        r, t = out.get(field, (0, 0))
        out[field] = (r + (1 if ok else 0), t + 1)
    return out


def main():
    args = [a for a in sys.argv[1:]]
    if not args:
        sys.exit(__doc__)
    vanban = args[0]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = args[1] if len(args) > 1 and not args[1].startswith('--') else os.path.join(root, '..', 'shared', 'data')
    verbose = '--verbose' in args
    minimum = float(args[args.index('--min-number') + 1]) if '--min-number' in args else None
    if not os.path.isdir(data):
        print('SKIP: no data directory at %s' % data)
        return 77  # meson's exit status for a skipped test
    results = {}
    # markdown-clean
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(glob.glob(os.path.join(data, 'markdown-clean', '**', '*.md'), recursive=True)):
            meta, body = front_matter(open(path, encoding='utf-8').read())
            want_num = meta_get(meta, 'so_hieu')
            if not want_num:
                continue
            t = os.path.join(tmp, 'doc.txt')
            open(t, 'w', encoding='utf-8').write(body)
            out = parse(vanban, t)
            d = pick(out['documents'] if out else [])
            num = nfc((d.get('number') or {}).get('raw'))
            typ = nfc((d.get('type') or {}).get('name'))
            sig = nfc((d.get('signature') or {}).get('name'))
            checks = [('number', num == nfc(want_num))]
            want_type, want_date = meta_get(meta, 'loai_van_ban'), iso(meta_get(meta, 'ngay_ban_hanh'))
            want_sig = meta_get(meta, 'nguoi_ky')
            if want_type:
                checks.append(('type', typ.casefold() == nfc(want_type).casefold()))
            if want_date:
                checks.append(('date', d.get('date') == want_date))
            if want_sig and re.search(r'[A-ZĐ][a-zà-ỹ]+ [A-ZĐ]', want_sig):
                checks.append(('signer', bool(sig) and sig in nfc(want_sig)))
            # legal bases listed in the metadata: their numbers must be among
            # the references (recall; the text cites more than its bases)
            bases = meta.get('can-cu-phap-luat[]') or meta.get('can_cu_phap_luat[]') or []
            got_refs = {nfc(r.get('number')) for r in d.get('references', []) if r.get('number')}
            for b in bases:
                for num in re.findall(r'\b\d+/\d{4}/[A-ZĐa-z0-9-]+', nfc(b))[:1]:
                    checks.append(('legal basis cited', num in got_refs))
                    if verbose and num not in got_refs:
                        print('%s: legal basis %s not among references' % (os.path.basename(path)[:50], num))
            rows += checks
            if verbose:
                bad = [f for f, ok in checks if not ok]
                if bad:
                    print('%s: %s | got number=%r type=%r date=%r signer=%r | want %r %r %r %r' % (
                        os.path.basename(path)[:50], ','.join(bad), num, typ, d.get('date'), sig,
                        want_num, want_type, want_date, want_sig))
    results['markdown-clean'] = score(rows)
    # congbao
    rows = []
    for path in sorted(glob.glob(os.path.join(data, 'congbao', '*', '*.txt'))):
        name = os.path.basename(path)
        m = re.search(r'-so-(\d+)-(\d{4})-', name)
        if not m:
            continue
        out = parse(vanban, path)
        docs = out['documents'] if out else []
        nums = [((d.get('number') or {}).get('number') or '').lstrip('0') for d in docs]
        years = [(d.get('number') or {}).get('year') for d in docs]
        want = m.group(1).lstrip('0')
        ok = any(n == want and y == m.group(2) for n, y in zip(nums, years))
        rows.append(('number', ok))
        if verbose and not ok:
            print('%s: got %s' % (name[:60], list(zip(nums, years))[:3]))
    results['congbao'] = score(rows)
    status = 0
    for setname, sc in results.items():
        for field, (r, t) in sc.items():
            print('%-15s %-8s %4d / %4d  %5.1f%%' % (setname, field, r, t, 100.0 * r / t if t else 0))
            if minimum is not None and field == 'number' and t and r / t < minimum:
                status = 1
    return status


if __name__ == '__main__':
    sys.exit(main())
