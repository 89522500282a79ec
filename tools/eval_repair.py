#!/usr/bin/env python3
"""Measure the repair stage on held-out clean text damaged the way OCR does.

usage: eval_repair.py [--vanban build/vanban] [--data ../shared/data]
                      [--rate 0.05] [--seed 1] [--margin M] [--files N] [--strip]
                      [--kind K | --mix FILE] [--part all|tune|test]

Held-out files are those of tools/split_data.py (never used by the trainer).
Damage: a share (--rate) of the syllables (words that the syllable grammar,
grammars/syllable.tsv, accepts: not foreign words, codes or Roman numerals)
gets exactly one error, chosen at
random among those that apply (see damages(): a tone changed in place or
dropped, a breve/circumflex/horn dropped, Đ/đ as D/d, the tone moved to
another vowel, a tone added to a toneless syllable); --kind K damages only
with kind K (syllables it cannot apply to stay clean); --mix FILE draws the
kind by the weights of a damage model (tests/repair/damage_model.tsv, the
mix counted on real OCR).  The damaged text goes through `vanban
normalize`; every syllable is compared with the clean text.

--part tune / test: the two halves of the held-out files (FNV hash of the
path modulo 20: 0 or 10); tune decisions on one, report the other.

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


VOWELS = set('aeiouyAEIOUY')


def load_grammar(path):
    """Onsets and rhymes of grammars/syllable.tsv."""
    onsets, rhymes = set(), set()
    for line in open(path, encoding='utf-8'):
        if line.startswith('#') or '\t' not in line:
            continue
        key, items = line.rstrip('\n').split('\t', 1)
        items = items.split('#')[0].split()
        if key == 'onset':
            onsets.update(items)
        elif key == 'rhyme':
            rhymes.update(items)
    return onsets, rhymes


ONSETS, RHYMES = load_grammar(os.path.join(HERE, '..', 'grammars', 'syllable.tsv'))


def is_syllable(w):
    """Is w a Vietnamese syllable (grammars/syllable.tsv, tone ignored)?  Only
    syllables are damaged: a foreign word, a code or a Roman numeral is no
    syllable, and OCR damage to the marks of Vietnamese is what is measured."""
    base = nfc(''.join(c for c in nfd(w.lower()) if c not in TONES))
    for k in range(min(3, len(base)), -1, -1):
        on, rh = base[:k], base[k:]
        if k and on not in ONSETS:
            continue
        if rh in RHYMES or (on == 'gi' and (rh == '' or 'i' + rh in RHYMES)):
            return True
    return False
KINDS = ['tone', 'drop_tone', 'drop_mark', 'dd', 'move_tone', 'add_tone']


def damages(w):
    """The one-error damages of w, by kind: a tone replaced in place
    (tone), dropped (drop_tone), a breve/circumflex/horn dropped
    (drop_mark), Đ/đ written D/d (dd), the tone moved to another vowel,
    with the same or another tone (move_tone: "cuả", "cuã" for "của"), a
    tone added to a toneless syllable on any of its vowels (add_tone:
    "theõ", "thẽo" for "theo")."""
    out = {k: [] for k in KINDS}
    chars = [split_char(c) for c in w]
    vix = [i for i, (b, _, _) in enumerate(chars) if b in VOWELS]
    toned = [i for i, (_, _, t) in enumerate(chars) if t]

    def put(i, b, mods, tones, kind, base=None):
        cs = list(base if base is not None else chars)
        cs[i] = (b, mods, tones)
        out[kind].append(''.join(nfc(x[0] + ''.join(x[1]) + ''.join(x[2])) for x in cs))

    for i, (b, mods, tones) in enumerate(chars):
        if tones:
            put(i, b, mods, [], 'drop_tone')
            for t in TONES:
                if t != tones[0]:
                    put(i, b, mods, [t], 'tone')
        for m in mods:
            put(i, b, [x for x in mods if x != m], tones, 'drop_mark')
    if len(toned) == 1:
        i = toned[0]
        bare = list(chars)
        bare[i] = (chars[i][0], chars[i][1], [])
        for j in vix:
            if j != i:
                for t in TONES:
                    put(j, bare[j][0], bare[j][1], [t], 'move_tone', bare)
    if not toned:
        for j in vix:
            for t in TONES:
                put(j, chars[j][0], chars[j][1], [t], 'add_tone')
    if 'đ' in w or 'Đ' in w:
        out['dd'].append(w.replace('đ', 'd').replace('Đ', 'D'))
    for k in KINDS:
        out[k] = [x for x in out[k] if x != w and len(WORD.findall(x)) == 1]
    return out


def pick(rng, opts, kind, weights):
    """One damage of a word: of the given kind, or a kind drawn by weight
    among those that apply (uniform over all damages when weights is None)."""
    if kind:
        return rng.choice(opts[kind]) if opts.get(kind) else None
    kinds = [k for k in KINDS if opts[k]]
    if not kinds:
        return None
    if weights is None:
        allo = [x for k in kinds for x in opts[k]]
        return rng.choice(allo)
    ws = [weights.get(k, 0) for k in kinds]
    if sum(ws) <= 0:
        return None
    return rng.choice(opts[rng.choices(kinds, ws)[0]])


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
                ctx = ' '.join(x for x in a[max(0, i - 3):i + 4])
                stats['missed'].append((w, o, ctx))
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
    ap.add_argument('--part', choices=['all', 'tune', 'test'], default='all',
                    help='half of the held-out files: tune on one, report the other')
    ap.add_argument('--strip', action='store_true')
    ap.add_argument('--show', action='store_true')
    ap.add_argument('--kind', choices=KINDS, default=None,
                    help='damage of this kind only (syllables it cannot apply to stay clean)')
    ap.add_argument('--mix', default=None,
                    help='damage kinds drawn by the weights of this TSV (kind, weight); '
                         'default: every one-error damage equally likely')
    args = ap.parse_args()
    weights = None
    if args.mix:
        weights = {}
        for line in open(args.mix, encoding='utf-8'):
            if line.strip() and not line.startswith('#'):
                k, v = line.split('\t')[:2]
                weights[k] = float(v)
    files = split_data.files('heldout', args.data)
    if args.part != 'all':
        want = 0 if args.part == 'tune' else 10
        files = [f for f in files
                 if split_data.fnv(os.path.relpath(f, args.data).encode()) % 20 == want]
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
            if VIET.match(nfd(w)) and is_syllable(w) and rng.random() < args.rate:
                d = pick(rng, damages(w), args.kind, weights)
                if d:
                    parts.append(clean[last:pos])
                    parts.append(d)
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
    print('held-out files (%s): %d (%.2f MB), damage rate %.3f, seed %d, margin %s, damage %s'
          % (args.part, len(files), nbytes / 1e6, args.rate, args.seed, args.margin or 'default',
             args.kind or (args.mix and 'mix ' + os.path.basename(args.mix)) or 'uniform'))
    print('damaged syllables: %d, fixed: %.2f%%' % (st['damaged'], 100.0 * st['fixed'] / max(1, st['damaged'])))
    print('clean syllables: %d, changed (false changes): %.3f%%'
          % (st['clean'], 100.0 * st['changed'] / max(1, st['clean'])))
    if args.strip:
        print('every mark stripped: token accuracy %.2f%% (%d tokens)'
              % (100.0 * ss['fixed'] / max(1, ss['damaged']), ss['damaged']))
    if args.show:
        for w, o in st['examples']:
            print('  false change: %s -> %s' % (w, o))
        for w, o, ctx in st['missed']:
            print('  not fixed: %s (left %s) in: %s' % (w, o, ctx))


if __name__ == '__main__':
    main()
