#!/usr/bin/env python3
"""Compare vanban's output with the expected files in corpus/, field by field.

usage: corpus_report.py VANBAN CORPUS_DIR [--verbose] [--strict GLOB] [--min SCORE]
                        [--markdown]

Prints one row per field: how many documents have the field right, out of how
many.  List fields (addressees, recipients) count a document right when the
whole list is right; sections are scored as the share of (level, label, title)
nodes found.  --strict GLOB fails (exit 1) if any field of a matching file is
wrong; --min fails if the overall score is lower.

References and tasks are scored apart from the fields above, as precision,
recall and F1 over the corpus: a reference is keyed by type + number (type +
name for a law cited by name) and scored on the key, the key + date and the
key + issuer; a task on its assignee and on assignee + deadline (date and
recurrence).  For --strict files every gold reference must come out with the
same type, number, name, date, issuer, term and mentions, with no extra one,
and every gold task with the same assignee, deadline and recurrence.
"""
import fnmatch
import json
import os
import subprocess
import sys
import unicodedata

SCALARS = [
    ('format', lambda d: d.get('format')),
    ('national_header', lambda d: d.get('national_header')),
    ('motto', lambda d: d.get('motto')),
    ('issuer.name', lambda d: (d.get('issuer') or {}).get('name')),
    ('issuer.parent', lambda d: (d.get('issuer') or {}).get('parent')),
    ('issuer.inferred', lambda d: (d.get('issuer') or {}).get('inferred')),
    ('number', lambda d: json.dumps(d.get('number'), ensure_ascii=False, sort_keys=True)),
    ('type', lambda d: json.dumps(d.get('type'), ensure_ascii=False, sort_keys=True)),
    ('place', lambda d: d.get('place')),
    ('date', lambda d: d.get('date')),
    ('subject', lambda d: d.get('subject')),
    ('received_stamp', lambda d: json.dumps(d.get('received_stamp'), ensure_ascii=False, sort_keys=True)),
    ('addressees', lambda d: d.get('addressees')),
    ('recipients', lambda d: d.get('recipients')),
    ('signature', lambda d: json.dumps(d.get('signature'), ensure_ascii=False, sort_keys=True)),
]


def norm(v):
    if isinstance(v, str):
        return ' '.join(unicodedata.normalize('NFC', v).split())
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v


def flat_sections(secs, out=None):
    out = [] if out is None else out
    for s in secs or []:
        out.append((s.get('level'), s.get('label'), norm(s.get('title'))))
        flat_sections(s.get('children'), out)
    return out


REF_STRICT = ('type', 'number', 'name', 'date', 'issuer', 'term', 'mentions')
TASK_STRICT = ('assignee', 'deadline', 'recurrence')


def ref_key(r):
    return (r.get('type'), r.get('number') if r.get('number') else norm(r.get('name')))


def task_assignee(t):
    return norm(t.get('assignee') or '').rstrip(' ,;.:')


class PRF:
    def __init__(self):
        self.tp = self.nout = self.ngold = 0

    def add(self, gold_items, out_items):
        rest = list(out_items)
        for g in gold_items:
            if g in rest:
                rest.remove(g)
                self.tp += 1
        self.ngold += len(gold_items)
        self.nout += len(out_items)

    def row(self):
        p = self.tp / self.nout if self.nout else 1.0
        r = self.tp / self.ngold if self.ngold else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def score_refs_tasks(g, o, prf, bad, i):
    """Add one document's references and tasks to the scores; note mismatches."""
    if 'references' in g:
        gr, orf = g['references'], o.get('references') or []
        gk = [ref_key(r) for r in gr]
        ok = [ref_key(r) for r in orf]
        prf['references: type+number'].add(gk, ok)
        prf['references: date'].add([(ref_key(r), r.get('date')) for r in gr],
                                    [(ref_key(r), r.get('date')) for r in orf])
        prf['references: issuer'].add([(ref_key(r), norm(r.get('issuer'))) for r in gr],
                                      [(ref_key(r), norm(r.get('issuer'))) for r in orf])
        prf['references: relation'].add([(ref_key(r), r.get('relation')) for r in gr],
                                        [(ref_key(r), r.get('relation')) for r in orf])
        byk = {ref_key(r): r for r in orf}
        for r in gr:
            x = byk.get(ref_key(r))
            if x is None:
                bad.append('doc %d reference missing: %s' % (i, json.dumps(r, ensure_ascii=False)))
                continue
            diff = [k for k in REF_STRICT if norm(r.get(k)) != norm(x.get(k))]
            if diff:
                bad.append('doc %d reference %s: %s expected %s got %s' % (
                    i, ref_key(r), ','.join(diff), json.dumps([r.get(k) for k in diff], ensure_ascii=False),
                    json.dumps([x.get(k) for k in diff], ensure_ascii=False)))
        for k in set(ok) - set(gk):
            bad.append('doc %d reference extra: %s' % (i, json.dumps(k, ensure_ascii=False)))
    if 'tasks' in g:
        gt, ot = g['tasks'], o.get('tasks') or []
        prf['tasks: assignee'].add([task_assignee(t) for t in gt], [task_assignee(t) for t in ot])
        dl = lambda t: (task_assignee(t), t.get('deadline'), norm(t.get('recurrence')))
        prf['tasks: assignee+deadline'].add([dl(t) for t in gt], [dl(t) for t in ot])
        rep = lambda t: (task_assignee(t), norm(t.get('report_to')))
        prf['tasks: report_to'].add([rep(t) for t in gt], [rep(t) for t in ot])
        led = lambda t: (task_assignee(t), norm(t.get('lead')))
        prf['tasks: lead'].add([led(t) for t in gt], [led(t) for t in ot])
        sec = lambda t: (task_assignee(t), t.get('section'))
        prf['tasks: section'].add([sec(t) for t in gt], [sec(t) for t in ot])
        rest = [tuple(norm(t.get(k)) if k != 'assignee' else task_assignee(t) for k in TASK_STRICT) for t in ot]
        for t in gt:
            key = tuple(norm(t.get(k)) if k != 'assignee' else task_assignee(t) for k in TASK_STRICT)
            if key in rest:
                rest.remove(key)
            else:
                bad.append('doc %d task missing: %s' % (i, json.dumps(key, ensure_ascii=False)))
        for key in rest:
            bad.append('doc %d task extra: %s' % (i, json.dumps(key, ensure_ascii=False)))


PRF_ROWS = ('references: type+number', 'references: date', 'references: issuer',
            'references: relation', 'tasks: assignee', 'tasks: assignee+deadline', 'tasks: report_to',
            'tasks: lead', 'tasks: section')


def run(vanban, path):
    p = subprocess.run([vanban, 'parse', '--compact', path], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (path, p.returncode, p.stderr.decode()))
    return json.loads(p.stdout)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    vanban, corpus = args[0], args[1]
    verbose = '--verbose' in args
    markdown = '--markdown' in args
    strict = args[args.index('--strict') + 1] if '--strict' in args else None
    minimum = float(args[args.index('--min') + 1]) if '--min' in args else None
    names = sorted(f[:-len('.expected.json')] for f in os.listdir(corpus)
                   if f.endswith('.expected.json'))
    right = {k: 0 for k, _ in SCALARS}
    total = {k: 0 for k, _ in SCALARS}
    sec_found = sec_total = sec_extra = 0
    docs_right = docs_total = 0
    strict_fail = []
    prf = {k: PRF() for k in PRF_ROWS}
    for name in names:
        gold = json.load(open(os.path.join(corpus, name + '.expected.json'), encoding='utf-8'))
        out = run(vanban, os.path.join(corpus, name + '.txt'))
        gd, od = gold['documents'], out['documents']
        docs_total += 1
        bad = []
        if len(gd) == len(od):
            docs_right += 1
        else:
            bad.append('document count: expected %d, got %d' % (len(gd), len(od)))
        for i, g in enumerate(gd):
            o = od[i] if i < len(od) else {}
            for key, get in SCALARS:
                total[key] += 1
                gv, ov = norm(get(g)), norm(get(o))
                if gv == ov:
                    right[key] += 1
                else:
                    bad.append('doc %d %s:\n    expected %s\n    got      %s' % (
                        i, key, json.dumps(gv, ensure_ascii=False), json.dumps(ov, ensure_ascii=False)))
            gs, os_ = flat_sections(g.get('sections')), flat_sections(o.get('sections'))
            sec_total += len(gs)
            rest = list(os_)
            for node in gs:
                if node in rest:
                    rest.remove(node)
                    sec_found += 1
                else:
                    bad.append('doc %d section missing: %s' % (i, json.dumps(node, ensure_ascii=False)[:300]))
            sec_extra += len(rest)
            for node in rest:
                bad.append('doc %d section extra: %s' % (i, json.dumps(node, ensure_ascii=False)[:300]))
            score_refs_tasks(g, o, prf, bad, i)
        if bad and strict and fnmatch.fnmatch(name, strict):
            strict_fail.append(name)
        if verbose and bad:
            print('== %s' % name)
            for b in bad:
                print('  ' + b)
    rows = [('documents per file', docs_right, docs_total)]
    rows += [(k, right[k], total[k]) for k, _ in SCALARS]
    sec_p = sec_found / (sec_found + sec_extra) if sec_found + sec_extra else 1.0
    sec_r = sec_found / sec_total if sec_total else 1.0
    all_right = sum(r for _, r, _ in rows) + sec_found
    all_total = sum(t for _, _, t in rows) + sec_total + sec_extra
    overall = all_right / all_total if all_total else 1.0
    if markdown:
        print('| field | right | of | score |')
        print('|---|---:|---:|---:|')
        for k, r, t in rows:
            print('| %s | %d | %d | %.1f%% |' % (k, r, t, 100.0 * r / t if t else 100))
        print('| sections (nodes) | %d | %d | P %.1f%% R %.1f%% |' % (sec_found, sec_total, 100 * sec_p, 100 * sec_r))
        print('| **all fields** | %d | %d | **%.1f%%** |' % (all_right, all_total, 100 * overall))
    else:
        print('%-22s %6s %6s %8s' % ('field', 'right', 'of', 'score'))
        for k, r, t in rows:
            print('%-22s %6d %6d %7.1f%%' % (k, r, t, 100.0 * r / t if t else 100))
        print('%-22s %6d %6d  P %.1f%% R %.1f%%' % ('sections (nodes)', sec_found, sec_total, 100 * sec_p, 100 * sec_r))
        print('%-22s %6d %6d %7.1f%%' % ('all fields', all_right, all_total, 100 * overall))
    if markdown:
        print()
        print('| references, tasks | P | R | F1 |')
        print('|---|---:|---:|---:|')
        for k in PRF_ROWS:
            print('| %s | %.1f%% | %.1f%% | %.1f%% |' % ((k,) + tuple(100 * x for x in prf[k].row())))
    else:
        print()
        print('%-26s %7s %7s %7s %5s %5s %5s' % ('references, tasks', 'P', 'R', 'F1', 'tp', 'out', 'gold'))
        for k in PRF_ROWS:
            p_, r_, f_ = prf[k].row()
            print('%-26s %6.1f%% %6.1f%% %6.1f%% %5d %5d %5d' % (k, 100 * p_, 100 * r_, 100 * f_,
                                                             prf[k].tp, prf[k].nout, prf[k].ngold))
    status = 0
    if strict_fail:
        print('strict: fields wrong in %s' % ', '.join(strict_fail))
        status = 1
    if minimum is not None and overall < minimum:
        print('overall score %.3f is below %.3f' % (overall, minimum))
        status = 1
    sys.exit(status)


if __name__ == '__main__':
    main()
