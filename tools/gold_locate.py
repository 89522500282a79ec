#!/usr/bin/env python3
"""Find byte offsets of a piece of text in a file, for writing gold annotations.

usage: gold_locate.py FILE TEXT [--end]

Prints one line per occurrence: the byte offset where TEXT starts (or, with
--end, the offset just after it ends) and the line it is on.  TEXT is matched
as UTF-8 bytes, after NFC, exactly as given (white space included).
"""
import sys
import unicodedata


def main():
    args = [a for a in sys.argv[1:] if a != '--end']
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    end = '--end' in sys.argv
    data = open(args[0], 'rb').read()
    needle = unicodedata.normalize('NFC', args[1]).encode('utf-8')
    if not needle:
        return 2
    found = 0
    i = data.find(needle)
    while i >= 0:
        found += 1
        line = data.count(b'\n', 0, i) + 1
        off = i + len(needle) if end else i
        ls = data.rfind(b'\n', 0, i) + 1
        le = data.find(b'\n', i)
        le = len(data) if le < 0 else le
        print('%d\tline %d\t%s' % (off, line, data[ls:le].decode('utf-8', 'replace')[:160]))
        i = data.find(needle, i + 1)
    if not found:
        print('not found', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
