#!/usr/bin/env bash
# Set up vanban on Debian 12 and run it on the sample corpus:
# install the packages in tools/apt-packages.txt, build, parse corpus/*.txt
# into build/corpus-json/NAME.json and print what was found.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2046
$SUDO apt-get install -y -qq $(grep -v '^#' tools/apt-packages.txt) >/dev/null
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null
mkdir -p build/corpus-json
n=0
for f in corpus/*.txt; do
    name=$(basename "$f" .txt)
    ./build/vanban parse -o "build/corpus-json/$name.json" "$f"
    n=$((n + 1))
done
/usr/bin/python3 - <<'PY'
import glob, json
for path in sorted(glob.glob('build/corpus-json/*.json')):
    out = json.load(open(path, encoding='utf-8'))
    for d in out['documents']:
        num = (d['number'] or {}).get('raw') or '-'
        typ = (d['type'] or {}).get('name') or '-'
        iss = (d['issuer'] or {}).get('name') or '-'
        print('%-52s %-12s %-16s %-10s %s' % (path.split('/')[-1][:52], typ, num, d['date'] or '-', iss))
PY
echo "parsed $n files into build/corpus-json/"
