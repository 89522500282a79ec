#!/usr/bin/env python3
"""CLI tests: exit codes, messages, atomic output, bad input.

usage: cli_test.py VANBAN CORPUS_DIR   (prints TAP-like lines; exit 1 on failure)
"""
import json
import os
import subprocess
import sys
import tempfile

VANBAN, CORPUS = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, done  # noqa: E402


def run(*args, stdin=None, timeout=120):
    p = subprocess.run([VANBAN] + list(args), input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


with tempfile.TemporaryDirectory() as tmp:
    def path(name, data):
        p = os.path.join(tmp, name)
        with open(p, 'wb') as f:
            f.write(data)
        return p

    rc, out, err = run('--version')
    check(rc == 0 and out.startswith(b'vanban '), '--version', out)
    rc, out, err = run('--help')
    check(rc == 0 and b'vanban parse' in out, '--help')
    rc, out, err = run()
    check(rc == 2 and 'usage' in err, 'no arguments: usage, exit 2', err)
    rc, out, err = run('frobnicate')
    check(rc == 2 and "unknown command 'frobnicate'" in err, 'unknown command', err)
    rc, out, err = run('parse')
    check(rc == 2 and 'no input file' in err, 'parse without a file', err)
    rc, out, err = run('parse', '--bogus', 'x')
    check(rc == 2 and "--bogus" in err, 'unknown option', err)
    missing = os.path.join(tmp, 'missing.txt')
    rc, out, err = run('parse', missing)
    check(rc == 2 and 'missing.txt: No such file or directory' in err and out == b'',
          'missing file: message, exit 2, no output', err)
    rc, out, err = run('parse', tmp)
    check(rc == 2 and 'is a directory' in err, 'directory: message, exit 2', err)

    empty = path('empty.txt', b'')
    for enc in ('utf-16le', 'windows-1258', 'vni'):  # (a fuzzer-found NULL + 0 under UBSan)
        rc, out, err = run('parse', '--encoding', enc, empty)
        check(rc == 0 and json.loads(out)['documents'] == [], 'empty file, encoding %s forced' % enc, err)
    rc, out, err = run('parse', empty)
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc.get('documents') == [] and doc['warnings'][0]['code'] == 'empty',
          'empty file: zero documents and a warning', out[:300])

    binf = path('image.png', b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR')
    rc, out, err = run('parse', binf)
    check(rc == 1 and 'not text (NUL byte at offset 8)' in err and out == b'',
          'binary file: "not text" with the NUL offset, exit 1, no output', err)

    bad = path('bad.txt', 'Kính gửi: Sở Nội vụ.\nabc '.encode() + b'\xff' + ' def\n'.encode())
    rc, out, err = run('parse', bad)
    doc = json.loads(out) if rc == 0 else {}
    w = doc.get('warnings', [{}])[0]
    check(rc == 0 and w.get('code') == 'invalid-utf8' and w.get('offset') == 34,
          'invalid UTF-8: U+FFFD and a warning with the offset', out[:400])

    rc, out, err = run('parse', '-', stdin=open(os.path.join(CORPUS, '004_0b34238a42a14946.txt'), 'rb').read())
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc['source']['path'] is None and doc['documents'][0]['number']['raw'] == '967/LĐLĐ',
          'standard input', out[:200])

    seed = os.path.join(CORPUS, '000_2f9b38297f144349.txt')
    outp = os.path.join(tmp, 'out.json')
    rc, out, err = run('parse', '-o', outp, seed)
    files = os.listdir(tmp)
    check(rc == 0 and out == b'' and json.load(open(outp))['schema'] == 'vanban/1'
          and not any('.tmp.' in f for f in files), '-o writes the file atomically, no temp left')
    rc, out, err = run('parse', '-o', os.path.join(tmp, 'no', 'such', 'dir.json'), seed)
    check(rc == 2 and 'No such file or directory' in err, '-o into a missing directory: exit 2', err)

    rc, out, err = run('parse', '--compact', seed, seed)
    lines = out.decode().splitlines()
    check(rc == 0 and len(lines) == 2 and json.loads(lines[0]) == json.loads(lines[1]),
          '--compact: one JSON line per file')

    # one option parser (getopt_long) for every command: options anywhere,
    # '--' ends them, values glued or apart, --help everywhere with exit 0
    outp2 = os.path.join(tmp, 'after.json')
    rc, out, err = run('parse', seed, '-o', outp2, '--compact')
    check(rc == 0 and out == b'' and open(outp2).read().count('\n') == 1,
          'options after the file: -o and --compact are read', err)
    rc, out, err = run('parse', '--', '--compact')
    check(rc == 2 and '--compact: No such file or directory' in err, "'--' ends the options", err)
    for cmd in ('parse', 'link', 'graph', 'normalize', 'batch'):
        rc, out, err = run(cmd, '--help')
        check(rc == 0 and b'usage: vanban' in out and err == '', '%s --help: usage on stdout, exit 0' % cmd, err)
    rc, out, err = run('parse', seed, '--bogus')
    check(rc == 2 and "unknown option '--bogus'" in err and 'usage: vanban' in err,
          'unknown option after the file: exit 2 with the usage line', err)
    rc, out, err = run('normalize', '--dot', seed)
    check(rc == 2 and "unknown option '--dot'" in err, "another command's option is unknown", err)
    rc, out, err = run('parse', seed, '-o')
    check(rc == 2 and "option '-o' needs a value" in err, 'a missing value', err)
    rc, out, err = run('parse', '--compact=yes', seed)
    check(rc == 2 and "option '--compact' takes no value" in err, 'a value for a flag', err)
    rc1, out1, _ = run('normalize', '--margin=7', seed)
    rc2, out2, _ = run('normalize', seed, '--margin', '7')
    check(rc1 == 0 and out1 == out2, '--margin=7 and --margin 7 after the file agree')
    rc, out, err = run('normalize', '--margin=abc', seed)
    check(rc == 2 and '--margin needs a positive number' in err, 'a bad value', err)
    bdir = os.path.join(tmp, 'bin_in')
    os.mkdir(bdir)
    open(os.path.join(bdir, 'a.txt'), 'wb').write(open(seed, 'rb').read())
    rc, out, err = run('batch', '-j2', '-q', bdir, '-o', os.path.join(tmp, 'bout'))
    check(rc == 0 and os.path.exists(os.path.join(tmp, 'bout', 'a.json')), 'batch -j2 (value glued)', err)

    rc, out, err = run('parse', '--max-bytes', '100', seed)
    check(rc == 1 and 'input too large' in err, '--max-bytes enforced', err)

    rc, out, err = run('parse', '--no-repair', seed)
    d = json.loads(out)['documents'][0] if rc == 0 else {}
    check(rc == 0 and d['signature']['title'] == 'PHÓ Bí THƯ' and d['corrections'] == [],
          '--no-repair keeps the text as written')

    rc, out, err = run('parse', '--grammars', os.path.join(os.path.dirname(CORPUS), 'grammars'), seed)
    rc2, out2, err2 = run('parse', seed)
    check(rc == 0 and out == out2, '--grammars DIR gives the same output as the built-in grammars')
    rc, out, err = run('parse', '--grammars', tmp, seed)
    check(rc == 2 and 'cannot load grammars' in err, '--grammars with no grammars: exit 2', err)

    for chunk in ('1', '7', 'random:42'):
        rc, out3, err = run('parse', '--chunk', chunk, seed)
        check(rc == 0 and out3 == out2, '--chunk %s gives identical output' % chunk)

    # hostile tiny inputs: each parses to valid JSON (exit 0) and one
    # directory of them goes through batch with a summary
    hostile = ['V/v:', 'V/v', 'Số:', 'Kính gửi:', 'KT.', 'TM.', 'T/M', 'TL.', 'TUQ.',
               'Nơi nhận:', 'Căn cứ', 'ĐẾN', 'Điều 1.', 'Chương I', 'a)', '- ', '\r\r\r',
               'Số: 1/QĐ\nV/v:', 'CÔNG TY\nV/v:', 'V/v:\nV/v:\nSố:', 'Kính gửi:\nKính gửi:',
               'QUYẾT ĐỊNH\nV/v:', 'Nơi nhận:\n- \nKT.', 'PHỤ LỤC', 'Mẫu số', '---\n---',
               '| Số: | V/v: |', '**V/v:**', 'KT. BỘ TRƯỞNG THỨ TRƯỞNG', 'Ngày tháng năm']
    hdir = os.path.join(tmp, 'hostile')
    os.mkdir(hdir)
    for k, h in enumerate(hostile):
        f = os.path.join(hdir, 'h%02d.txt' % k)
        with open(f, 'wb') as fh:
            fh.write(h.encode())
        rc, out, err = run('parse', '--compact', f)
        ok = rc == 0
        try:
            ok = ok and json.loads(out)['schema'] == 'vanban/1'
        except ValueError:
            ok = False
        check(ok, 'hostile input %r: exit 0 and JSON' % h, 'rc=%d %s' % (rc, err))
    rc, out, err = run('batch', hdir, '-o', os.path.join(tmp, 'hostile-out'))
    summ = os.path.join(tmp, 'hostile-out', 'summary.json')
    check(rc == 0 and os.path.exists(summ) and
          len(os.listdir(os.path.join(tmp, 'hostile-out'))) == len(hostile) + 1,
          'batch over the hostile inputs: every output and a summary', 'rc=%d %s' % (rc, err))

    # a 50 MB file with no newline: an answer, not a crash
    big = os.path.join(tmp, 'big.txt')
    unit = 'Nội dung văn bản đối ngoại nhân dân '.encode()
    with open(big, 'wb') as f:
        f.write(unit * (50 * 1024 * 1024 // len(unit)))
    rc, out, err = run('parse', '--compact', big, timeout=240)
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and any(w['code'] == 'long-line' for w in doc.get('warnings', [])),
          '50 MB without a newline: output and a long-line warning', err)

    # UTF-8 once read as Windows-1252: curly quotes and dashes come back
    # (their second byte 0x80 stands as U+20AC, E2 82 AC in UTF-8)
    quoted = 'He said “yes” – it’s done.\n'
    moji = ''.join(chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode('cp1252')
                   for b in quoted.encode()).encode()
    rc, out, err = run('normalize', '--no-context', path('moji.txt', moji))
    check(rc == 0 and out.decode() == quoted, 'mojibake with curly quotes is repaired', out)
    rc, out, err = run('parse', path('moji2.txt', moji))
    check(rc == 0 and json.loads(out)['source']['encoding'] == 'utf-8-mojibake',
          'mojibake with curly quotes: encoding utf-8-mojibake', out[:300])
    # ordinary UTF-8 with what mojibake starts with ("à" before a no-break
    # space or a curly quote, many times) is left as it is
    plain = ('Về việc giao cho các đơn vị thực hiện là\u00a0cần thiết, “à” và '
             '“là” đã rõ.\n').encode() * 40
    rc, out, err = run('normalize', '--no-context', path('plain.txt', plain))
    check(rc == 0 and out == plain, 'UTF-8 with à + no-break space is not mojibake', out[:200])
    rc, out, err = run('parse', path('plain2.txt', plain))
    check(rc == 0 and json.loads(out)['source']['encoding'] == 'utf-8', 'its encoding is utf-8', out[:300])

done()
