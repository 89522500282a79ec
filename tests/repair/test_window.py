#!/usr/bin/env python3
"""vanban normalize in windows (--window): where windows end, what a windowed
run prints against runs of its windows alone, offsets (--log) and line numbers
(--diff) counted from the start of the input, standard input, chunked reads,
UTF-16, and the limits.

usage: test_window.py VANBAN SOURCE_ROOT   (TAP-like lines; exit 1 on failure)
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

VANBAN, ROOT = sys.argv[1], sys.argv[2]
W = 4096
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from tap import check, done  # noqa: E402


def run(args, data=None):
    p = subprocess.run([VANBAN, 'normalize'] + args, input=data, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def out(args, path):
    rc, o, err = run(args + [path])
    if rc:
        raise RuntimeError('%s %s: exit %d: %s' % (' '.join(args), path, rc, err))
    return o


corpus = sorted(glob.glob(os.path.join(ROOT, 'corpus', '*.txt')))
tmp = tempfile.mkdtemp(prefix='vanban-window-')


def write(name, data):
    p = os.path.join(tmp, name)
    with open(p, 'wb') as f:
        f.write(data)
    return p


# 1. A corpus file cut into 4 KiB windows: without repair, and with the
# structure layers alone, the output is the one-window output.  (Those
# layers use no evidence but each window's tone style, the same here.)
for f in corpus:
    name = os.path.basename(f)[:3]
    for mode in (['--no-repair'], ['--no-context'], ['--no-context', '--log']):
        whole = out(mode, f)
        check(out(mode + ['--window=%d' % W], f) == whole,
              '%s %s: --window=%d gives the one-window output' % (name, ' '.join(mode), W))

# 2. Documents with no blank line inside, of 4-6 KiB, separated by blank lines:
# every window of 4 KiB is exactly one document (the first blank line at or
# after 4096 bytes ends it), so a windowed run prints what runs of each
# document alone print, with --log spans and --diff line numbers shifted.
# The documents are the corpus files' lines (blank lines left out), a few
# small files to a document, with OCR damage put in so that every layer has
# work: tones on the wrong letter, a look-alike, a zero-width space,
# decomposed marks, a lower-case word in a line of capitals.
DAMAGE = [('lượng', 'lựơng'), ('nghiệm', 'nghịêm'), ('Đảng', '\u00d0ảng'), ('cán bộ', 'cán\u200b bộ'),
          ('tài chính', 'ta\u0300i chi\u0301nh'), ('BÍ THƯ', 'Bí THƯ'), ('người', 'ngưòi')]
docs, doc = [], b''
for f in corpus:
    data = open(f, 'rb').read()
    for good, bad in DAMAGE:
        data = data.replace(good.encode(), bad.encode())
    eol = b'\r\n' if b'\r\n' in data else b'\n'
    for ln in data.split(eol):
        if ln.strip(b' \t') and len(doc) + len(ln) + len(eol) <= W + W // 2 - 64:
            doc += ln + eol
        if len(doc) >= W:
            docs.append(doc + eol)  # the blank line after it
            doc = b''
check(len(docs) >= 15, 'at least 15 corpus documents of 4-6 KiB (%d)' % len(docs))
parts = [write('doc%02d.txt' % i, d) for i, d in enumerate(docs)]
multi = write('multi.txt', b''.join(docs))


def shift_log(items, base):
    for c in items:
        c['span'] = [c['span'][0] + base, c['span'][1] + base]
    return items


def shift_diff(text, first):
    return re.sub(rb'^@@ line (\d+)$', lambda m: b'@@ line %d' % (int(m.group(1)) + first),
                  text, flags=re.M)


for mode in ([], ['--no-context'], ['--no-repair']):
    label = ' '.join(mode) or 'full repair'
    got = out(mode + ['--window=%d' % W], multi)
    want = b''.join(out(mode, p) for p in parts)
    check(got == want, '%d documents, %s: windowed text = the documents run alone' % (len(docs), label))
    got = json.loads(out(mode + ['--log', '--window=%d' % W], multi))
    want, base = [], 0
    for p, d in zip(parts, docs):
        want += shift_log(json.loads(out(mode + ['--log'], p)), base)
        base += len(d)
    check(got == want, '%s: windowed --log = the documents run alone, spans shifted (%d)'
          % (label, len(want)), [g for g in got if g not in want][:3])
    got = out(mode + ['--diff', '--window=%d' % W], multi)
    want, first = b'', 0
    for p, d in zip(parts, docs):
        want += shift_diff(out(mode + ['--diff'], p), first)
        first += d.count(b'\n')
    check(got == want, '%s: windowed --diff = the documents run alone, lines shifted' % label)
# With repair, a window is the evidence the repair reads (document counts,
# codes, tone style), so a windowed run equals the documents run alone, not
# one window of them all; without repair, and with only the structure layers
# (no evidence but the tone style, the same in every document here), it is
# the one-window output too.
for mode in (['--no-repair'], ['--no-context'], ['--no-context', '--log']):
    check(out(mode + ['--window=%d' % W], multi) == out(mode, multi),
          'documents, %s: windowed = one window' % ' '.join(mode))

# 3. All corpus files one after the other, cut anywhere a blank line allows:
# every --log span points at its "from" in the input, every --diff line "-"
# is the input's line of that number.
allc = b''.join(open(f, 'rb').read() + b'\n\n' for f in corpus)
allp = write('all.txt', allc)
all_lines = allc.split(b'\n')
for mode in ([], ['--no-context']):
    label = ' '.join(mode) or 'full repair'
    log = json.loads(out(mode + ['--log', '--window=%d' % W], allp))
    bad = [c for c in log if allc[c['span'][0]:c['span'][1]].decode('utf-8', 'replace') != c['from']]
    check(log and not bad, '%s, %d windows: every --log span holds its "from" (%d corrections)'
          % (label, len(allc) // W, len(log)), bad[:3])
    ordered = all(a['span'][1] <= b['span'][0] for a, b in zip(log, log[1:]))
    check(ordered, '%s: spans in order, not overlapping, across windows' % label)
    diff = out(mode + ['--diff', '--window=%d' % W], allp).split(b'\n')
    bad, line = [], None
    for d in diff:
        m = re.match(rb'^@@ line (\d+)$', d)
        if m:
            line = int(m.group(1))
        elif d.startswith(b'-') and line is not None:
            if all_lines[line - 1].rstrip(b'\r') != d[1:].rstrip(b'\r'):
                bad.append((line, d[:60]))
            line += 1
    check(not bad, '%s: every --diff "-" line is the input line of that number' % label, bad[:3])

# 4. Standard input, and reads of any size, give the same windows.
for args in (['--log'], ['--no-context', '--log']):
    want = out(args + ['--window=%d' % W], allp)
    rc, got, err = run(args + ['--window=%d' % W, '-'], allc)
    check(rc == 0 and got == want, 'stdin = file (%s)' % ' '.join(args), err)
    for ch in ('1000', 'random:7'):
        rc, got, err = run(args + ['--window=%d' % W, '--chunk', ch, allp])
        check(rc == 0 and got == want, '--chunk %s = whole reads (%s)' % (ch, ' '.join(args)), err)

# 5. UTF-16 (with a byte order mark) is cut on its own line breaks: the
# output (UTF-8) is the one-window output, and spans are offsets of the
# UTF-16 input.
text = b''.join(open(f, 'rb').read() for f in corpus[:6]).decode('utf-8').replace('\r\n', '\n')
for enc, bom in (('utf-16-le', b'\xff\xfe'), ('utf-16-be', b'\xfe\xff')):
    raw = bom + text.encode(enc)
    p = write('u16-%s.txt' % enc, raw)
    for mode in (['--no-repair'], ['--no-context']):
        check(out(mode + ['--window=%d' % W], p) == out(mode, p),
              '%s %s: windowed = one window' % (enc, mode[0]))
    log = json.loads(out(['--no-context', '--log', '--window=%d' % W], p))
    bad = [c for c in log if raw[c['span'][0]:c['span'][1]].decode(enc) != c['from']]
    check(not bad, '%s: --log spans are UTF-16 offsets of the input (%d)' % (enc, len(log)), bad[:3])

# 6. Limits and bad values.
rc, o, err = run(['--window=100', allp])
check(rc == 2 and o == b'' and '--window' in err, '--window below 4096: usage error', err)
rc, o, err = run(['--max-bytes', '1000', allp])
check(rc == 1 and o == b'' and 'input too large' in err,
      '--max-bytes limits the whole input: nothing printed', err)
rc, o, err = run(['--max-bytes', '1000', '-'], allc)
check(rc == 1 and 'input too large' in err, '--max-bytes on standard input', err)
rc, o, err = run(['--window=%d' % W, write('bin.txt', b'abc\x00def\n' * 10)])
check(rc == 1 and o == b'' and 'not text' in err, 'binary input: nothing printed, exit 1', err)
rc, o, err = run(['--window=%d' % W, '--log', write('empty.txt', b'')])
check(rc == 0 and o == b'[]\n', 'empty input: --log prints []', o)

# 7. A line longer than two windows (a file flattened to one line) is cut
# too: after a run of spaces in [W, 2W], else at a character boundary; the
# text is kept byte for byte, spans point at the input, the cuts do not
# depend on how reads fall, and memory does not grow with the line.
words = re.sub(rb'\s+', b' ', b' '.join(open(f, 'rb').read() for f in corpus[:8]))
longp = write('long.txt', words)
check(len(words) > 20 * W and b'\n' not in words, 'one line of %d bytes' % len(words))
check(out(['--no-repair', '--window=%d' % W], longp) == words, 'long line, --no-repair: the input, byte for byte')
log = json.loads(out(['--log', '--window=%d' % W], longp))
bad = [c for c in log if words[c['span'][0]:c['span'][1]].decode('utf-8', 'replace') != c['from']]
check(log and not bad, 'long line: --log spans point at the input (%d)' % len(log), bad[:3])
want = out(['--window=%d' % W], longp)
for ch in ('1', 'random:3'):
    rc, got, err = run(['--window=%d' % W, '--chunk', ch, longp])
    check(rc == 0 and got == want, 'long line: --chunk %s = whole reads' % ch, err)
rc, got, err = run(['--window=%d' % W, '-'], words)
check(rc == 0 and got == want, 'long line: stdin = file', err)
nospace = ('ạ' * 30000 + 'ư' * 30000).encode()  # no space: cut at a character boundary
p = write('nospace.txt', nospace)
check(out(['--no-repair', '--window=%d' % W], p) == nospace, 'a line with no space: kept, no character split')
u16 = b'\xff\xfe' + words.decode('utf-8').encode('utf-16-le')
p = write('long16.txt', u16)
log = json.loads(out(['--log', '--window=%d' % W], p))
bad = [c for c in log if u16[c['span'][0]:c['span'][1]].decode('utf-16-le') != c['from']]
check(not bad, 'long UTF-16 line: spans are offsets of the input (%d)' % len(log), bad[:3])


def peak_kb(path):
    """Peak RSS of one run (a fresh process measures its child)."""
    env = dict(os.environ)
    env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + ':quarantine_size_mb=1'
    code = ('import resource, subprocess, sys\n'
            'subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n'
            'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    r = subprocess.run([sys.executable, '-c', code, VANBAN, 'normalize', '--window=%d' % W, path],
                       capture_output=True, env=env, timeout=600)
    return int(r.stdout)


small = write('line1.txt', words[:len(words) // 8])
big = write('line8.txt', words * 4)
a, b = peak_kb(small), peak_kb(big)
check(b < a * 1.5, 'one line 32x longer: peak memory %d KB against %d KB (flat)' % (b, a))

for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
done()
