#!/usr/bin/env python3
"""vanban graph over the sample files draws the links of issue 4 (TAP)."""
import json
import subprocess
import sys

vanban, corpus = sys.argv[1], sys.argv[2]
names = ['000_2f9b38297f144349', '001_147101109611e5ea', '002_1ea1c1a67ae86786',
         '003_a6ff4df9ce128470', '004_0b34238a42a14946']
files = ['%s/%s.txt' % (corpus, n) for n in names]
g = json.loads(subprocess.run([vanban, 'graph', '--compact'] + files, check=True,
                              capture_output=True).stdout)
nodes = {n['id']: n for n in g['nodes']}
edges = {(e['from'], e['to']) for e in g['edges']}
d = {n: '%s/%s.txt#' % (corpus, n) for n in names}
checks = [
    ((d[names[0]] + '1', d[names[0]] + '2') in edges, 'seed 000 doc 1 cites Hướng dẫn 01-HD/BĐNTW (doc 2)'),
    ((d[names[2]] + '1', d[names[0]] + '2') in edges, 'seed 002 cites Hướng dẫn 01-HD/BĐNTW'),
    (nodes.get(d[names[1]] + '1', {}).get('label') == 'Chỉ thị 12-CT/TW', 'seed 001 is Chỉ thị 12-CT/TW'),
    (nodes.get(d[names[1]] + '1', {}).get('inferred') is True, 'its number is inferred'),
    (all((d[n] + '1', d[names[1]] + '1') in edges for n in (names[0], names[2], names[3], names[4])),
     'seeds 000, 002, 003, 004 cite seed 001'),
    ((d[names[0]] + '2', d[names[1]] + '1') in edges, 'Hướng dẫn 01 cites seed 001'),
    (any(not n['in_batch'] and n['label'] == 'Chỉ thị 04-CT/TW' for n in g['nodes']),
     'Chỉ thị 04-CT/TW is outside the batch'),
]
dot = subprocess.run([vanban, 'graph', '--dot'] + files, check=True, capture_output=True).stdout.decode()
checks.append((dot.startswith('digraph') and 'style=dashed' in dot, 'DOT output, outside documents dashed'))
link = json.loads(subprocess.run([vanban, 'link', '--compact'] + files, check=True,
                                 capture_output=True).stdout)
doc1 = link['files'][1]['documents'][0]
checks.append((doc1['number'] == {'raw': '12-CT/TW', 'inferred': True} and doc1['date'] == '2022-01-05'
               and doc1.get('date_inferred') is True, 'link fills in number and date of seed 001'))
for i, (c, what) in enumerate(checks, 1):
    print('%s %d - %s' % ('ok' if c else 'not ok', i, what))
print('1..%d' % len(checks))
sys.exit(0 if all(c for c, _ in checks) else 1)
