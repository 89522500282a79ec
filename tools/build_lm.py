#!/usr/bin/env python3
"""Build the binary repair model from the committed counts (run by Meson).

usage: build_lm.py LMDIR OUT.bin OUT.S

LMDIR holds unigrams.tsv, bigrams.tsv and abbrev.tsv written by vanban-train
("<num>" stands for a number, "<s>" for the start of a sentence; the codes
of abbrev.tsv become vocabulary entries "#CODE" that carry only a count;
the hand-written reduplicatives.txt flags syllables whose doubling is
Vietnamese, the hand-written lexicon.txt pairs of syllables that belong
to one word, the hand-written numerals.tsv the number words' values and
labels.tsv the received stamp's labels and word).  The model
is an interpolated absolute-discount (Kneser-Ney style) bigram model:

    P(b|a) = max(c(a b) - D, 0) / c(a .) + bow(a) * Pcont(b)
    Pcont(b) = (N1+(. b) + 0.5) / (N1+(. .) + 0.5 V)

Layout (little endian, every field 4 bytes):
    header   "VBLM" version nvocab slots_log2 strings_len unk_logp 0 0
    vocab    nvocab x {string offset, count, log Pcont, log bow, capitalised
             inside a sentence, flags (1: doubles as a reduplicative; 2, 4:
             first, second syllable of a pair of lexicon.txt; bits 8-11: the
             value of a number word of numerals.tsv; 4096, 8192: a label of
             the received stamp, the stamp's own word, labels.tsv)}
    strings  NUL-terminated keys, padded to 4 bytes
    slots    2^slots_log2 x {a, b, log P(b|a), count}; a = 0xFFFFFFFF when empty;
             bit 31 of count: (a b) is part of a word (lexicon.txt, or
             words.tsv often enough); bit 30: of a word of lexicon.txt; bit
             29: seen >= 5 times, never as a word (a pair the counts never
             saw has count 0 and the backed-off
             log P(b|a), bow(a) + Pcont(b) as float32 sums)
Slot of (a, b): ((a << 32 | b) * 0x9E3779B97F4A7C15 mod 2^64) >> (64 - slots_log2),
then linear probing.  OUT.S embeds OUT.bin with .incbin.
"""
import math
import os
import struct
import sys
import unicodedata

D = 0.75
MIN_UNIGRAM = 2


WORD = 1 << 31  # bit of a slot's count: the pair is part of a word (lexicon.txt, words.tsv)
LEX = 1 << 30   # ... of a word of lexicon.txt
NONWORD = 1 << 29  # seen >= 5 times in training, never as a word
TONES = {'\u0300': 1, '\u0301': 2, '\u0309': 3, '\u0303': 4, '\u0323': 5}


def f32(x: float) -> float:
    """x rounded to float32, as the C side stores and adds it."""
    return struct.unpack('<f', struct.pack('<f', x))[0]


def untoned(w: str):
    """A syllable as (letters without the tone, tone): the same for hoà and
    hòa, so that the lexicon may use either placement."""
    d = unicodedata.normalize('NFD', w)
    tone = 0
    for ch in d:
        tone = TONES.get(ch, tone)
    base = unicodedata.normalize('NFC', ''.join(ch for ch in d if ch not in TONES))
    return base, tone


WORD_MIN = 5  # words.tsv: a pair read as a word this often ...
WORD_SHARE = 0.5  # ... and in this share of its occurrences is a word;
                  # one never read as a word is flagged NONWORD


def hand_list(lmdir: str, name: str) -> list:
    """The lines of a hand-written list of LMDIR in NFC, without comments
    ('#' to the end of the line) and blank lines; [] when there is none."""
    path = os.path.join(lmdir, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        lines = (unicodedata.normalize('NFC', x.split('#', 1)[0].strip()) for x in f)
        return [x for x in lines if x]


def lexicon_pairs(lmdir: str, ids: dict):
    """The (id, id) pairs of neighbouring syllables in lexicon.txt's words
    (a word with a syllable the model does not know is left out), and the
    pairs words.tsv counts as a word often enough (these only keep a pair
    from being changed: see docs/repair.md)."""
    pairs, counted, never = set(), set(), set()
    wpath = os.path.join(lmdir, 'words.tsv')
    if os.path.exists(wpath):
        with open(wpath, encoding='utf-8') as f:
            for line in f:
                a, b, wocc, c = line.rstrip('\n').split('\t')
                if a not in ids or b not in ids:
                    continue
                if int(wocc) >= WORD_MIN and int(wocc) >= WORD_SHARE * int(c):
                    counted.add((ids[a], ids[b]))
                elif int(wocc) == 0:
                    never.add((ids[a], ids[b]))
    by_form = {}
    for k, i in ids.items():
        by_form.setdefault(untoned(k), i)
    for w in hand_list(lmdir, 'lexicon.txt'):
        syl = w.lower().split()
        if len(syl) < 2:
            continue
        got = [ids.get(x, by_form.get(untoned(x))) for x in syl]
        if None in got:
            continue
        pairs.update(zip(got, got[1:]))
    return pairs, counted, never


def main() -> None:
    lmdir, out_bin, out_s = sys.argv[1:4]
    uni = {}
    with open(os.path.join(lmdir, 'unigrams.tsv'), encoding='utf-8') as f:
        for line in f:
            f5 = line.rstrip('\n').split('\t')
            k, c, left, nf, npre = f5[:5]
            title = int(f5[5]) if len(f5) > 5 else 0
            uni[k] = (int(c), int(left), int(nf), int(npre), title)
    uni.setdefault('<s>', (0, 0, 0, 0, 0))
    vocab = ['<s>'] + sorted(k for k, v in uni.items() if k != '<s>' and v[0] >= MIN_UNIGRAM)
    ids = {k: i for i, k in enumerate(vocab)}
    V = len(vocab)
    # codes ("NĐ", "BLĐTBXH") follow the syllables as "#CODE" with their
    # count only: the repair stage restores a code's Đ from them
    codes = {}
    cpath = os.path.join(lmdir, 'abbrev.tsv')
    if os.path.exists(cpath):
        with open(cpath, encoding='utf-8') as f:
            for line in f:
                k, c = line.rstrip('\n').split('\t')
                codes['#' + k] = int(c)
    total_pre = sum(uni[k][3] for k in vocab)
    pcont = [(uni[k][3] + 0.5) / (total_pre + 0.5 * V) for k in vocab]
    pcont[0] = 0.5 / (total_pre + 0.5 * V)
    unk = math.log(0.5 / (total_pre + 0.5 * V))
    big = []
    mass = [0.0] * V
    with open(os.path.join(lmdir, 'bigrams.tsv'), encoding='utf-8') as f:
        for line in f:
            a, b, c = line.rstrip('\n').split('\t')
            if a in ids and b in ids and ids[b] != 0:
                ia, ib, c = ids[a], ids[b], int(c)
                left = uni[a][1]
                if left <= 0:
                    continue
                disc = (c - D) / left
                mass[ia] += disc
                big.append((ia, ib, disc, c))
    bow = [max(1.0 - mass[i], 1e-6) for i in range(V)]
    lex, counted, never = lexicon_pairs(lmdir, ids)
    lex_first = {a for a, _ in lex}
    lex_second = {b for _, b in lex}
    have = {(ia, ib) for ia, ib, _, _ in big}
    extra = sorted(p for p in lex | counted if p not in have)

    def flags(p):
        return ((WORD if p in lex or p in counted else 0) | (LEX if p in lex else 0) |
                (NONWORD if p in never and p not in lex else 0))
    bits = max(10, ((len(big) + len(extra)) * 2 - 1).bit_length())
    nslots = 1 << bits
    slots = [None] * nslots
    mask = nslots - 1
    entries = [(ia, ib, math.log(disc + bow[ia] * pcont[ib]), c | flags((ia, ib)))
               for ia, ib, disc, c in big]
    entries += [(ia, ib, f32(f32(math.log(bow[ia])) + f32(math.log(pcont[ib]))), flags((ia, ib)))
                for ia, ib in extra]
    for ia, ib, lp, c in entries:
        h = (((ia << 32) | ib) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF) >> (64 - bits)
        while slots[h] is not None:
            h = (h + 1) & mask
        slots[h] = (ia, ib, lp, c)
    redup = set(hand_list(lmdir, 'reduplicatives.txt'))
    numeral = {}
    for line in hand_list(lmdir, 'numerals.tsv'):
        w, v = line.split('\t')
        if not 1 <= int(v) <= 15:
            sys.exit('numerals.tsv: %s: a value from 1 to 15' % w)
        numeral[w] = int(v)
    label = {}
    for line in hand_list(lmdir, 'labels.tsv'):
        w, what = line.split('\t')
        kinds = {'stamp': 1 << 12, 'stamp-word': 1 << 13}
        if what not in kinds:
            sys.exit('labels.tsv: %s: "%s" is neither "stamp" nor "stamp-word"' % (w, what))
        label[w] = label.get(w, 0) | kinds[what]
    vocab += sorted(codes)
    strings = bytearray()
    offs = []
    for k in vocab:
        offs.append(len(strings))
        strings += k.encode('utf-8') + b'\0'
    while len(strings) % 4:
        strings += b'\0'
    out = bytearray()
    out += b'VBLM' + struct.pack('<IIII', 3, len(vocab), bits, len(strings)) + struct.pack('<f', unk)
    out += struct.pack('<II', 0, 0)
    for i, k in enumerate(vocab):
        if i >= V:
            out += struct.pack('<IIffII', offs[i], codes[k], unk, 0.0, 0, 0)
            continue
        c, title = (uni[k][0], uni[k][4]) if k in uni else (0, 0)
        flags = (1 if k in redup else 0) | (2 if i in lex_first else 0) | (4 if i in lex_second else 0)
        flags |= numeral.get(k, 0) << 8 | label.get(k, 0)
        out += struct.pack('<IIffII', offs[i], c, math.log(pcont[i]), math.log(bow[i]), title, flags)
    out += strings
    empty = struct.pack('<IIfI', 0xFFFFFFFF, 0xFFFFFFFF, 0.0, 0)
    for s in slots:
        out += empty if s is None else struct.pack('<IIfI', *s)
    with open(out_bin, 'wb') as f:
        f.write(out)
    with open(out_s, 'w', encoding='ascii') as f:
        f.write('/* generated by tools/build_lm.py; DO NOT EDIT */\n'
                '    .section .rodata\n'
                '    .balign 16\n'
                '    .globl vbi_lm_image\n'
                '    .hidden vbi_lm_image\n'
                '    .type vbi_lm_image, @object\n'
                'vbi_lm_image:\n'
                '    .incbin "%s"\n'
                '    .globl vbi_lm_image_end\n'
                '    .hidden vbi_lm_image_end\n'
                'vbi_lm_image_end:\n'
                '    .byte 0\n'
                '    .section .note.GNU-stack,"",@progbits\n' % os.path.abspath(out_bin))


if __name__ == '__main__':
    main()
