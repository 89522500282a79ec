#!/usr/bin/env bash
# Run the whole test suite and end with "N passed, N failed":
#   1. build with warnings as errors, run every suite (meson test)
#   2. the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. the unit suite under valgrind (without PCRE2 JIT, which valgrind
#      cannot follow)
#   4. a short run of every fuzz target (clang, libFuzzer)
# Counts are meson tests (each a program or script with many checks inside).
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0

setup() { # dir, meson options...
    local dir=$1
    shift
    if [ -d "$dir" ]; then
        meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1 || meson setup --wipe "$dir" "$@" >"$dir.setup.log" 2>&1
    else
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
    fi
}

suite() { # label, dir, meson test args...
    local label=$1 dir=$2
    shift 2
    echo "== $label"
    if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
        cat "$dir.build.log" | tail -40
        echo "$label: build failed"
        failed=$((failed + 1))
        return
    fi
    local out
    out=$(meson test -C "$dir" --print-errorlogs "$@" 2>&1)
    echo "$out" | grep -E '^ *[0-9]+/[0-9]+ ' || true
    local ok fail
    ok=$(echo "$out" | awk '/^Ok:/ {print $2}')
    fail=$(echo "$out" | awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}')
    if [ -z "$ok" ]; then
        echo "$out" | tail -40
        echo "$label: meson test did not run"
        failed=$((failed + 1))
        return
    fi
    [ "$fail" -gt 0 ] && echo "$out" | grep -E -A30 '^(not ok|FAIL|ERROR|---)' | head -120
    passed=$((passed + ok))
    failed=$((failed + fail))
}

setup build-test -Dwerror=true -Dbuildtype=debugoptimized
suite "tests (warnings as errors)" build-test

setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    suite "tests under ASan+UBSan" build-asan

if command -v valgrind >/dev/null; then
    VANBAN_TEST_NO_JIT=1 suite "unit tests under valgrind" build-test --suite unit \
        --wrap='valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect -q' \
        --timeout-multiplier=4
else
    echo "valgrind not installed: valgrind run skipped"
    failed=$((failed + 1))
fi

# 4. a short fuzz run of every entry point (tests/fuzz, docs/fuzzing.md): each
#    target for FUZZ_SECONDS (default 20) from its corpus in the repository,
#    under ASan+UBSan; any crash, sanitizer report or leak fails it.  A time
#    budget, not a speed test: a slow machine runs fewer inputs, never fails.
if command -v clang >/dev/null; then
    echo "== short fuzz run (${FUZZ_SECONDS:-20} s per target)"
    CC=clang setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized
    if ! ninja -C build-fuzz tests/fuzz_feed tests/fuzz_model tests/fuzz_cli >build-fuzz.build.log 2>&1; then
        tail -40 build-fuzz.build.log
        echo "fuzz targets: build failed"
        failed=$((failed + 1))
    else
        for t in feed model cli; do
            work=$(mktemp -d)
            cp tests/fuzz/corpus/$t/* "$work/"
            if build-fuzz/tests/fuzz_$t "$work" -max_total_time="${FUZZ_SECONDS:-20}" -max_len=2048 \
                -entropic=0 -close_fd_mask=2 -artifact_prefix="$work/" >"build-fuzz/fuzz_$t.log" 2>&1; then
                echo "fuzz_$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "build-fuzz/fuzz_$t.log" | tail -1)"
                passed=$((passed + 1))
            else
                grep -E -A30 'ERROR|SUMMARY' "build-fuzz/fuzz_$t.log" | head -60
                echo "fuzz_$t: FAILED (the input is kept in the log's artifact line)"
                failed=$((failed + 1))
            fi
            rm -rf "$work"
        done
    fi
else
    echo "clang not installed: fuzz run skipped"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
