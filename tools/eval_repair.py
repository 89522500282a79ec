#!/usr/bin/env python3
"""Measure the repair stage on held-out clean text damaged the way OCR does.

usage: eval_repair.py [--vanban build/vanban] [--data ../shared/data]
                      [--rate 0.05] [--seed 1] [--margin M] [--files N] [--strip]

Held-out files are those of tools/split_data.py (never used by the trainer).
Damage: a share (--rate) of the syllables gets exactly one error, chosen at
random among those that apply: drop the tone mark, change it to another tone,
drop a breve/circumflex/horn, or write Đ/đ as D/d.  The damaged text goes
through `vanban normalize`; every syllable is compared with the clean text.

Reports: damaged syllables fixed (%), clean syllables changed (%), and with
--strip the token accuracy when every mark of the text is removed.
"""
import argparse
import difflib
import os
import random
import re
import subprocess
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import split_data  # noqa: E402

TONES = ['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']
MODS = ['\u0306', '\u0302', '\u031b']
VIET = re.compile(r'^[a-zA-ZđĐ\u0300-\u036f]+$')
WORD = re.compile(r'[^\W\d_]+')


def nfd(s):
    return unicodedata.normalize('NFD', s)


def nfc(s):
    return unicodedata.normalize('NFC', s)


def split_char(c):
    d = nfd(c)
    return d[0], [m for m in d[1:] if m in MODS], [m for m in d[1:] if m in TONES]


def damages(w):
    """Every one-error damage of w (one tone or one mark or Đ/đ)."""
    out = []
    chars = [split_char(c) for c in w]
    for i, (b, mods, tones) in enumerate(chars):
        vs = []
        if tones:
            vs.append((b, mods, []))
            vs += [(b, mods, [t]) for t in TONES if t != tones[0]]
        for m in mods:
            vs.append((b, [x for x in mods if x != m], tones))
        for v in vs:
            c = nfc(v[0] + ''.join(v[1]) + ''.join(v[2]))
            out.append(w[:i] + c + w[i + 1:])
    if 'đ' in w or 'Đ' in w:
        out.append(w.replace('đ', 'd').replace('Đ', 'D'))
    return [x for x in out if x != w and len(WORD.findall(x)) == 1]


def strip(w):
    d = ''.join(c for c in nfd(w) if c not in TONES and c not in MODS)
    return nfc(d).replace('đ', 'd').replace('Đ', 'D')


def run(vanban, text, margin):
    cmd = [vanban, 'normalize']
    if margin:
        cmd.append('--margin=%s' % margin)
    cmd.append('-')
    r = subprocess.run(cmd, input=text.encode('utf-8'), stdout=subprocess.PIPE, check=True)
    return r.stdout.decode('utf-8')


def words(text):
    return [(m.start(), m.group()) for m in WORD.finditer(text)]


def compare(clean_w, out_w, damaged_ix, stats, only_viet=True):
    a = [w for _, w in clean_w]
    b = [w for _, w in out_w]
    if len(a) == len(b):
        pairs = list(zip(range(len(a)), b))
    else:
        pairs = []
        sm = difflib.SequenceMatcher(a=[x.lower() for x in a], b=[x.lower() for x in b],
                                     autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == 'equal' or (i2 - i1 == j2 - j1):
                pairs += [(i1 + k, b[j1 + k]) for k in range(i2 - i1)]
            else:
                pairs += [(i, None) for i in range(i1, i2)]
    for i, o in pairs:
        w = a[i]
        if only_viet and not VIET.match(nfd(w)):
            continue
        if i in damaged_ix:
            stats['damaged'] += 1
            stats['fixed'] += o == w
            if o != w and len(stats["missed"]) < 100000:
                stats['missed'].append((w, o))
        else:
            stats['clean'] += 1
            if o != w:
                stats['changed'] += 1
                if len(stats["examples"]) < 100000:
                    stats['examples'].append((w, o))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vanban', default=os.path.join(HERE, '..', 'build', 'vanban'))
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', 'shared', 'data'))
    ap.add_argument('--rate', type=float, default=0.05)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--margin', default=None)
    ap.add_argument('--files', type=int, default=0)
    ap.add_argument('--strip', action='store_true')
    ap.add_argument('--show', action='store_true')
    args = ap.parse_args()
    files = split_data.files('heldout', args.data)
    if args.files:
        files = files[:args.files]
    rng = random.Random(args.seed)
    st = {'damaged': 0, 'fixed': 0, 'clean': 0, 'changed': 0, 'examples': [], 'missed': []}
    ss = {'damaged': 0, 'fixed': 0, 'clean': 0, 'changed': 0, 'examples': [], 'missed': []}
    nbytes = 0
    for path in files:
        clean = nfc(open(path, encoding='utf-8', errors='replace').read())
        nbytes += len(clean.encode())
        cw = words(clean)
        parts, last, dam = [], 0, set()
        for i, (pos, w) in enumerate(cw):
            if VIET.match(nfd(w)) and rng.random() < args.rate:
                opts = damages(w)
                if opts:
                    parts.append(clean[last:pos])
                    parts.append(rng.choice(opts))
                    last = pos + len(w)
                    dam.add(i)
        parts.append(clean[last:])
        out = run(args.vanban, ''.join(parts), args.margin)
        compare(cw, words(out), dam, st)
        if args.strip:
            st0 = ss
            parts, last = [], 0
            for pos, w in cw:
                parts.append(clean[last:pos])
                parts.append(strip(w))
                last = pos + len(w)
            parts.append(clean[last:])
            out = run(args.vanban, ''.join(parts), args.margin)
            compare(cw, words(out), set(range(len(cw))), ss)
    print('held-out files: %d (%.2f MB), damage rate %.3f, seed %d, margin %s'
          % (len(files), nbytes / 1e6, args.rate, args.seed, args.margin or 'default'))
    print('damaged syllables: %d, fixed: %.2f%%' % (st['damaged'], 100.0 * st['fixed'] / max(1, st['damaged'])))
    print('clean syllables: %d, changed (false changes): %.3f%%'
          % (st['clean'], 100.0 * st['changed'] / max(1, st['clean'])))
    if args.strip:
        print('every mark stripped: token accuracy %.2f%% (%d tokens)'
              % (100.0 * ss['fixed'] / max(1, ss['damaged']), ss['damaged']))
    if args.show:
        for w, o in st['examples']:
            print('  false change: %s -> %s' % (w, o))
        for w, o in st['missed']:
            print('  not fixed: %s (left %s)' % (w, o))


if __name__ == '__main__':
    main()
