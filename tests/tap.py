"""TAP-like checks for the Python test scripts: check() prints one line per
assertion, done() prints the plan and exits 1 if any failed."""
import sys

_n = _failed = 0


def check(cond, what, detail=''):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', _n, what))
    if not cond and detail:
        print('#   ' + str(detail)[:600])
    return cond


def done():
    print('1..%d' % _n)
    sys.exit(1 if _failed else 0)
