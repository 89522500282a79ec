#!/usr/bin/env python3
"""List the training or the held-out files of a data folder (one path a line).

usage: split_data.py train|heldout DATA_DIR

A file is held out when the FNV-1a hash of its path relative to DATA_DIR is
0 modulo 10, so the split is fixed and never depends on the file order.
Held-out text is used only by tools/eval_repair.py, never by the trainer.
Only congbao/ and markdown-clean/ are used (ocr-noisy/ has real errors and no
reference, so it is neither training nor test text).
"""
import os
import sys


def fnv(s: bytes) -> int:
    h = 2166136261
    for b in s:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def files(which: str, root: str):
    out = []
    for sub in ('congbao', 'markdown-clean'):
        for d, _, names in os.walk(os.path.join(root, sub)):
            for n in names:
                if not (n.endswith('.txt') or n.endswith('.md')):
                    continue
                p = os.path.join(d, n)
                rel = os.path.relpath(p, root).encode()
                held = fnv(rel) % 10 == 0
                if held == (which == 'heldout'):
                    out.append(p)
    return sorted(out)


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('train', 'heldout'):
        sys.exit(__doc__)
    for p in files(sys.argv[1], sys.argv[2]):
        print(p)
