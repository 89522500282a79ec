#!/usr/bin/env python3
"""Score `vanban parse` on real documents: the gold set of tests/real/ and the
coverage of all of ../shared/data.

usage: score_real.py VANBAN [--data DIR] [--gold DIR] [--split dev|heldout|all]
                     [--show-heldout] [--verbose] [--only SUBSTR] [-j N]
                     [--json OUT] [--min-structure R] [--min-refs R]
                     [--min-first R] [--max-empty R] [--no-coverage]

Gold (tests/real/README.md): every document of each gold file is matched to
the output document that overlaps it most; a gold document with no match is
lost, an output document with no match is invented.  Per document the
structure fields are format, national_header, motto, issuer.name,
issuer.parent, number, type, place, date, subject, received_stamp,
addressees, recipients, signature.{marker,authority,title,name}, sections
(the labels of the top rank), annexes (their labels): a field is right when
output and gold agree after the clean-ups of docs/output.md (case, markup,
white space, dashes; long texts at 90% similarity; list items without their
parenthesised notes).  A lost document counts all its fields wrong.
Reference fields: for each gold reference, found (same type and number, or
same law name) and its date; each output reference with no gold counterpart
counts one wrong field.

Coverage (all files of DIR but README.md and MANIFEST.tsv): the share of
files whose first document has number, date, issuer and type, and the share
of emitted documents that carry none of number, date, issuer, type, subject,
signer ("empty").

Held-out files are scored but never listed one by one unless
--show-heldout is given: the parser is not tuned on them.  The --min-* and
--max-empty checks apply to the dev part and to coverage; exit 1 if one
fails, or if vanban fails on any file.  Exit 77 (skipped, for meson) with
SKIP when the data directory is absent.
"""
import concurrent.futures
import difflib
import glob
import json
import os
import re
import subprocess
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

STRUCT = ['format', 'national_header', 'motto', 'issuer.name', 'issuer.parent', 'number', 'type',
          'place', 'date', 'subject', 'received_stamp', 'addressees', 'recipients',
          'signature.marker', 'signature.authority', 'signature.title', 'signature.name',
          'sections', 'annexes']
HEADER4 = ('number', 'date', 'issuer', 'type')


# ---- comparison ---------------------------------------------------------

def norm(s):
    if s is None:
        return None
    s = unicodedata.normalize('NFC', str(s))
    s = re.sub(r'\\(.)', r'\1', s)
    s = re.sub(r'[*#|>_`]', ' ', s)
    s = re.sub(r'[\u2010-\u2015\u2212]', '-', s)
    s = re.sub(r'\s+', ' ', s).strip()
    s = re.sub(r'\s*([-/])\s*', r'\1', s)
    s = s.strip(' ,.;:')
    return s.casefold()


def same_text(a, b):
    a, b = norm(a), norm(b)
    if not a and not b:
        return True
    if not a or not b:
        return False
    if a == b:
        return True
    if min(len(a), len(b)) >= 25:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9
    return False


def item_norm(s):
    return re.sub(r'\([^()]*\)', ' ', s or '')


def same_list(g, o):
    g = [x for x in (item_norm(x) for x in g or []) if norm(x)]
    o = [x for x in (item_norm(x) for x in o or []) if norm(x)]
    return len(g) == len(o) and all(same_text(a, b) for a, b in zip(g, o))


def code_norm(s):
    s = norm(s)
    if s is None:
        return None
    return re.sub(r'\s', '', s).replace('đ', 'd')


LABEL_RANK = [(0, r'^(?i:phần)\b'), (2, r'^(?i:chương)\b'), (4, r'^(?i:mục)\b'),
              (6, r'^[IVXLC]+[.\-)–]?$'), (8, r'^(?i:điều)\b'), (10, r'^\d+[.\-)–]?$'),
              (12, r'^\d+(\.\d+)+\.?$'), (20, r'^[a-zđ][.)\-–]?$')]


def label_rank(label):
    l = re.sub(r'\s+', ' ', unicodedata.normalize('NFC', label or '')).strip()
    for r, pat in LABEL_RANK:
        if re.match(pat, l):
            return r
    return 30


def label_key(label):
    return re.sub(r'[\s.:\-)]+$', '', norm(label) or '')


def top_labels(sections):
    """Labels of the top labelled sections of the output's tree: a labelled
    root, or the top labelled sections under an unlabelled heading."""
    out = []

    def walk(ss):
        for s in ss:
            if s.get('label'):
                out.append(label_key(s['label']))
            else:
                walk(s.get('children') or [])
    walk(sections or [])
    return out


# ---- field extraction ---------------------------------------------------

def out_fields(d):
    iss = d.get('issuer') or {}
    sig = d.get('signature') or {}
    num = d.get('number') or {}
    typ = d.get('type') or {}
    st = d.get('received_stamp')
    return {
        'format': d.get('format'),
        'national_header': d.get('national_header'),
        'motto': d.get('motto'),
        'issuer.name': iss.get('name'),
        'issuer.parent': iss.get('parent'),
        'number': num.get('raw'),
        'type': typ.get('name'),
        'place': d.get('place'),
        'date': d.get('date'),
        'subject': d.get('subject'),
        'received_stamp': st,
        'addressees': d.get('addressees') or [],
        'recipients': d.get('recipients') or [],
        'signature.marker': sig.get('marker'),
        'signature.authority': sig.get('authority'),
        'signature.title': sig.get('title'),
        'signature.name': sig.get('name'),
        'sections': top_labels(d.get('sections')),
        'annexes': [label_key(a.get('label')) for a in d.get('annexes') or []],
    }


def gold_fields(g):
    iss = g.get('issuer') or {}
    sig = g.get('signature') or {}
    return {
        'format': g.get('format'),
        'national_header': g.get('national_header'),
        'motto': g.get('motto'),
        'issuer.name': iss.get('name'),
        'issuer.parent': iss.get('parent'),
        'number': g.get('number'),
        'type': g.get('type'),
        'place': g.get('place'),
        'date': g.get('date'),
        'subject': g.get('subject'),
        'received_stamp': g.get('received_stamp'),
        'addressees': g.get('addressees') or [],
        'recipients': g.get('recipients') or [],
        'signature.marker': sig.get('marker'),
        'signature.authority': sig.get('authority'),
        'signature.title': sig.get('title'),
        'signature.name': sig.get('name'),
        'sections': [label_key(l) for l in g.get('sections') or []],
        'annexes': [label_key(a.get('label')) for a in g.get('annexes') or []],
    }


def field_right(name, g, o):
    if name in ('addressees', 'recipients'):
        return same_list(g, o)
    if name in ('sections', 'annexes'):
        return list(g) == list(o)
    if name == 'received_stamp':
        if not g or not o:
            return not g and not o
        return (same_text(g.get('receiver'), o.get('receiver')) and
                code_norm(g.get('number')) == code_norm(o.get('number')) and
                g.get('date') == o.get('date'))
    if name in ('number',):
        return code_norm(g) == code_norm(o)
    if name in ('date', 'format', 'type'):
        return (g or None) == (o or None)
    if name == 'signature.marker':
        return (norm(g) or '').rstrip('.') == (norm(o) or '').rstrip('.')
    return same_text(g, o)


# ---- references ---------------------------------------------------------

def ref_key(r):
    if r.get('number'):
        return ('n', code_norm(r['number']))
    return ('l', norm(r.get('type')), norm(r.get('name')))


def score_refs(gold, out):
    """-> (right, total, details) over reference fields."""
    used = set()
    right = total = 0
    missing, wrong_date = [], []
    for g in gold or []:
        total += 2
        kg = ref_key(g)
        hit = None
        for i, o in enumerate(out or []):
            if i in used:
                continue
            ko = ref_key(o)
            if kg[0] == 'n' and ko == kg:
                hit = i
                break
            if kg[0] == 'l' and ko[0] == 'l' and ko[1] == kg[1] and same_text(ko[2], kg[2]):
                hit = i
                break
        if hit is None:
            missing.append(g.get('number') or g.get('name'))
            continue
        used.add(hit)
        right += 1
        if (g.get('date') or None) == (out[hit].get('date') or None):
            right += 1
        else:
            wrong_date.append('%s: %s != %s' % (g.get('number') or g.get('name'), g.get('date'),
                                                out[hit].get('date')))
    extra = [o.get('number') or o.get('name') for i, o in enumerate(out or []) if i not in used]
    total += len(extra)
    return right, total, {'missing': missing, 'extra': extra, 'date': wrong_date}


def score_tasks(gold, out):
    if gold is None:
        return None
    used = set()
    hit = 0
    for g in gold:
        for i, o in enumerate(out or []):
            if i in used:
                continue
            a, b = norm(g.get('assignee')) or '', norm(o.get('assignee')) or ''
            if a and b and (a == b or a in b or b in a or
                            difflib.SequenceMatcher(None, a, b).ratio() >= 0.8):
                used.add(i)
                hit += 1
                break
    return hit, len(gold), len(out or [])


# ---- running vanban -----------------------------------------------------

def run_parse(vanban, path):
    p = subprocess.run([vanban, 'parse', '--compact', '--max-bytes', '200000000', path],
                       capture_output=True, timeout=600)
    if p.returncode != 0:
        return None, p.stderr.decode('utf-8', 'replace').strip()
    try:
        return json.loads(p.stdout), None
    except ValueError as e:
        return None, 'bad JSON: %s' % e


def parse_all(vanban, paths, jobs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        return dict(zip(paths, ex.map(lambda p: run_parse(vanban, p), paths)))


# ---- matching -----------------------------------------------------------

def match_docs(gdocs, odocs):
    """gold index -> output index, by largest overlap of byte ranges."""
    pairs = []
    for gi, g in enumerate(gdocs):
        gs, ge = g['start']['offset'], g['end']['offset']
        for oi, o in enumerate(odocs):
            sp = o.get('span') or [0, 0]
            inter = min(ge, sp[1]) - max(gs, sp[0])
            if inter > 0:
                frac = inter / max(1, min(ge - gs, sp[1] - sp[0]))
                pairs.append((-inter, -frac, gi, oi))
    pairs.sort()
    m, used = {}, set()
    for _, frac, gi, oi in pairs:
        if gi in m or oi in used or -frac < 0.3:
            continue
        m[gi] = oi
        used.add(oi)
    return m


class Tally:
    def __init__(self):
        self.f = {k: [0, 0] for k in STRUCT}
        self.refs = [0, 0]
        self.ref_err = [0, 0, 0]  # missing, extra, wrong date
        self.lost_refs = 0  # gold references of lost documents
        self.tasks = [0, 0, 0]
        self.docs = self.lost = self.invented = self.files = 0

    def struct(self):
        r = sum(v[0] for v in self.f.values())
        t = sum(v[1] for v in self.f.values())
        return r, t


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def score_file(gold, result, tallies, verbose, show, lines):
    odocs = (result or {}).get('documents') or []
    gdocs = gold['documents']
    m = match_docs(gdocs, odocs)
    for t in tallies:
        t.files += 1
        t.docs += len(gdocs)
        t.lost += len(gdocs) - len(m)
        t.invented += len(odocs) - len(m)
    if show and (len(m) < len(gdocs) or len(odocs) > len(m)):
        lines.append('  documents: %d gold, %d output, %d matched' % (len(gdocs), len(odocs), len(m)))
    for gi, g in enumerate(gdocs):
        gf = gold_fields(g)
        o = odocs[m[gi]] if gi in m else None
        of = out_fields(o) if o else None
        for k in STRUCT:
            ok = of is not None and field_right(k, gf[k], of[k])
            for t in tallies:
                t.f[k][0] += ok
                t.f[k][1] += 1
            if show and not ok and verbose:
                lines.append('  doc %d %-20s gold %s | out %s' % (
                    gi + 1, k, json.dumps(gf[k], ensure_ascii=False)[:int(os.environ.get("SCORE_WIDTH", "150"))],
                    json.dumps(of[k] if of else None, ensure_ascii=False)[:int(os.environ.get("SCORE_WIDTH", "150"))]))
        r, tot, det = score_refs(g.get('references'), (o or {}).get('references') or [])
        if o is None:
            for t in tallies:
                t.lost_refs += len(g.get('references') or [])
        for t in tallies:
            t.refs[0] += r
            t.refs[1] += tot
            t.ref_err[0] += len(det['missing'])
            t.ref_err[1] += len(det['extra'])
            t.ref_err[2] += len(det['date'])
        if show and verbose and (det['missing'] or det['extra'] or det['date']):
            lines.append('  doc %d refs: missing %s; extra %s; dates %s' % (
                gi + 1, det['missing'][:8], det['extra'][:8], det['date'][:5]))
        ts = score_tasks(g.get('tasks'), (o or {}).get('tasks'))
        if ts:
            for t in tallies:
                for i in range(3):
                    t.tasks[i] += ts[i]


def report(name, t, out):
    r, tot = t.struct()
    out.append('%s: %d files, %d documents (%d lost, %d invented); structure %d/%d = %.1f%%; '
               'references %d/%d = %.1f%%; tasks: %d of %d gold found, %d emitted' % (
                   name, t.files, t.docs, t.lost, t.invented, r, tot, pct(r, tot),
                   t.refs[0], t.refs[1], pct(*t.refs), t.tasks[0], t.tasks[1], t.tasks[2]))


def coverage(vanban, data_dir, jobs):
    paths = sorted(p for p in glob.glob(os.path.join(data_dir, '**', '*'), recursive=True)
                   if os.path.isfile(p) and os.path.dirname(p) != data_dir.rstrip('/'))
    res = parse_all(vanban, paths, jobs)
    by = {}
    for p in paths:
        folder = os.path.relpath(p, data_dir).split('/')[0]
        b = by.setdefault(folder, [0, 0, 0, 0])
        out, err = res[p]
        b[0] += 1
        ds = (out or {}).get('documents') or []
        if ds and all(ds[0].get(k) for k in HEADER4):
            b[1] += 1
        for d in ds:
            b[2] += 1
            sig = d.get('signature') or {}
            if not any([d.get('number'), d.get('date'), d.get('issuer'), d.get('type'),
                        d.get('subject'), sig.get('name')]):
                b[3] += 1
    failed = [os.path.relpath(p, data_dir) for p in paths if res[p][0] is None]
    return by, failed


def main():
    args = sys.argv[1:]
    opts = {'--data': os.path.join(os.path.dirname(ROOT), 'shared', 'data'),
            '--gold': os.path.join(ROOT, 'tests', 'real', 'gold'), '--split': 'all',
            '--only': '', '-j': str(os.cpu_count() or 2), '--json': None,
            '--min-structure': None, '--min-refs': None, '--min-first': None,
            '--max-empty': None}
    flags = {'--show-heldout': False, '--verbose': False, '--no-coverage': False}
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in opts:
            opts[a] = args[i + 1]
            i += 2
        elif a in flags:
            flags[a] = True
            i += 1
        else:
            pos.append(a)
            i += 1
    if len(pos) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    vanban, data_dir = pos[0], opts['--data']
    if not os.path.isdir(data_dir):
        print('SKIP: %s is absent' % data_dir)
        return 77  # meson's exit status for a skipped test
    jobs = int(opts['-j'])
    groups = {}
    for line in open(os.path.join(ROOT, 'tests', 'real', 'files.tsv'), encoding='utf-8'):
        if not line.startswith('#') and line.strip():
            f = line.rstrip('\n').split('\t')
            groups[f[0]] = f[1]
    golds = []
    for gp in sorted(glob.glob(os.path.join(opts['--gold'], '**', '*.json'), recursive=True)):
        g = json.load(open(gp, encoding='utf-8'))
        if opts['--only'] and opts['--only'] not in g['file']:
            continue
        if opts['--split'] != 'all' and g['split'] != opts['--split']:
            continue
        golds.append(g)
    paths = [os.path.join(data_dir, g['file']) for g in golds]
    res = parse_all(vanban, paths, jobs)
    tal = {'dev': Tally(), 'heldout': Tally()}
    folder_tal = {}
    detail = []
    for g, p in zip(golds, paths):
        out, err = res[p]
        sp = g['split']
        grp = groups.get(g['file'], g['file'].split('/')[0])
        ft = folder_tal.setdefault((sp, grp), Tally())
        show = sp == 'dev' or flags['--show-heldout']
        lines = []
        if err and show:
            lines.append('  vanban failed: %s' % err)
        score_file(g, out, [tal[sp], ft], flags['--verbose'], show, lines)
        if lines:
            detail.append('%s [%s]' % (g['file'], sp))
            detail.extend(lines)
    out = []
    if flags['--verbose'] and detail:
        out.extend(detail)
        out.append('')
    for sp in ('dev', 'heldout'):
        t = tal[sp]
        if not t.files:
            continue
        report(sp, t, out)
        out.append('  reference errors: %d missing (%d of them in lost documents), %d extra, '
                   '%d wrong date' % (t.ref_err[0], t.lost_refs, t.ref_err[1], t.ref_err[2]))
        out.append('  %-20s %s' % ('field', 'right'))
        for k in STRUCT:
            out.append('  %-20s %4d/%-4d %5.1f%%' % (k, t.f[k][0], t.f[k][1], pct(*t.f[k])))
        for (s2, grp), ft in sorted(folder_tal.items()):
            if s2 == sp:
                r, tot = ft.struct()
                out.append('  folder %-32s %3d files  structure %5.1f%%  references %5.1f%%  lost %d  invented %d' % (
                    grp, ft.files, pct(r, tot), pct(*ft.refs), ft.lost, ft.invented))
    cov = None
    failed = [g['file'] for g, p in zip(golds, paths) if res[p][0] is None]
    if not flags['--no-coverage']:
        cov, cfailed = coverage(vanban, data_dir, jobs)
        failed = sorted(set(failed) | set(cfailed))
        n = sum(b[0] for b in cov.values())
        first = sum(b[1] for b in cov.values())
        docs = sum(b[2] for b in cov.values())
        empty = sum(b[3] for b in cov.values())
        out.append('coverage: %d files; first document with number, date, issuer and type: %d (%.1f%%); '
                   '%d documents, %d empty (%.1f%%)' % (n, first, pct(first, n), docs, empty,
                                                        pct(empty, docs)))
        for folder, b in sorted(cov.items()):
            out.append('  %-16s %3d files  first complete %5.1f%%  documents %4d  empty %d' % (
                folder, b[0], pct(b[1], b[0]), b[2], b[3]))
    print('\n'.join(out))
    if opts['--json']:
        js = {sp: {'files': t.files, 'documents': t.docs, 'lost': t.lost, 'invented': t.invented,
                   'structure': t.struct(), 'references': t.refs, 'tasks': t.tasks,
                   'fields': t.f} for sp, t in tal.items()}
        js['coverage'] = cov
        json.dump(js, open(opts['--json'], 'w'), indent=1)
    fails = []
    dv = tal['dev']
    if opts['--min-structure'] and pct(*dv.struct()) < 100 * float(opts['--min-structure']):
        fails.append('dev structure below %s' % opts['--min-structure'])
    if opts['--min-refs'] and pct(*dv.refs) < 100 * float(opts['--min-refs']):
        fails.append('dev references below %s' % opts['--min-refs'])
    if cov and opts['--min-first']:
        n = sum(b[0] for b in cov.values())
        if pct(sum(b[1] for b in cov.values()), n) < 100 * float(opts['--min-first']):
            fails.append('coverage: first complete below %s' % opts['--min-first'])
    if cov and opts['--max-empty']:
        docs = sum(b[2] for b in cov.values())
        if pct(sum(b[3] for b in cov.values()), docs) > 100 * float(opts['--max-empty']):
            fails.append('coverage: empty documents above %s' % opts['--max-empty'])
    for f in failed:
        fails.append('vanban failed on %s' % f)
    for f in fails:
        print('FAIL: ' + f)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
