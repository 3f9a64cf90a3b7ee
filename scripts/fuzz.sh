#!/usr/bin/env bash
#
# Fuzz the core with libFuzzer: builds every target of tests/fuzz/ with
# clang (-fsanitize=fuzzer,address,undefined) into build-fuzz/, runs each
# for FUZZ_TIME seconds, and prints one line a target:
#
#   fuzz fuzz_ticket: 1234567 execs, cov 1234, ft 5678, crashes 0
#
# Usage: scripts/fuzz.sh [TARGET]...        (default: every target)
#
#   FUZZ_TIME=60     seconds a target (make fuzz; FUZZ_TIME=10 for CI)
#   FUZZ_JOBS=1      targets run at once
#   FUZZ_ARGS=...    more libFuzzer options
#
# The checked-in seeds (tests/fuzz/corpora/TARGET) and saved crash inputs
# (tests/fuzz/regressions/TARGET) are read, never written: new inputs go
# to build-fuzz/corpus/TARGET, which later runs start from.  A crash,
# leak, timeout or OOM leaves its input in build-fuzz/artifacts/TARGET/
# and makes the exit status 1; minimize it (build-fuzz/TARGET
# -minimize_crash=1 -runs=10000 FILE), save it as
# tests/fuzz/regressions/TARGET/NAME, and `make test` replays it.

set -euo pipefail

cd "$(dirname "$0")/.."

FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_ARGS=${FUZZ_ARGS:-}
CLANG=${CLANG:-clang}
OUT=build-fuzz

FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -W -Wall -Wextra -Wno-unused-parameter -Werror \
    -Ingx_ticket_module/core -Itests/fuzz"
LIBS="-ljansson -lcrypto -lhiredis"

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in tests/fuzz/fuzz_*.c; do
        targets+=("$(basename "$f" .c)")
    done
fi

command -v "$CLANG" > /dev/null \
    || { echo "fuzz.sh: $CLANG not found (libFuzzer needs clang)" >&2;
         exit 2; }

mkdir -p "$OUT/core"

# the core once, instrumented for coverage (fuzzer-no-link: no main)

core_objs=()
for src in ngx_ticket_module/core/*.c; do
    obj="$OUT/core/$(basename "$src" .c).o"
    if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] \
        || [ -n "$(find ngx_ticket_module/core -name '*.h' -newer "$obj")" ]
    then
        # shellcheck disable=SC2086
        $CLANG ${FLAGS/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,} \
            -c -o "$obj" "$src"
    fi
    core_objs+=("$obj")
done

for t in "${targets[@]}"; do
    [ -f "tests/fuzz/$t.c" ] \
        || { echo "fuzz.sh: no target tests/fuzz/$t.c" >&2; exit 2; }
    # shellcheck disable=SC2086
    $CLANG $FLAGS -o "$OUT/$t" "tests/fuzz/$t.c" "${core_objs[@]}" $LIBS
done

run() {
    local t=$1 art="$OUT/artifacts/$1/" log="$OUT/$1.log"

    mkdir -p "$OUT/corpus/$t" "$art" "tests/fuzz/regressions/$t"

    # shellcheck disable=SC2086
    "$OUT/$t" -max_total_time="$FUZZ_TIME" -max_len=20000 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art" \
        $FUZZ_ARGS "$OUT/corpus/$t" "tests/fuzz/corpora/$t" \
        "tests/fuzz/regressions/$t" > "$log" 2>&1 || true
}

summary() {
    local t=$1 log="$OUT/$1.log" execs cov ft crashes f

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" \
            | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)

    # inputs this run left behind (older ones were reported before)

    crashes=0
    for f in "$OUT/artifacts/$t"/*; do
        [ -e "$f" ] && [ "$f" -nt "$OUT/$t.start" ] || continue
        case $(basename "$f") in
            crash-*|leak-*|timeout-*|oom-*) crashes=$((crashes + 1))
                                            echo "fuzz.sh: $t: $f" >&2 ;;
        esac
    done

    # a sanitizer or invariant report with no artifact still fails

    if [ "$crashes" -eq 0 ] && grep -q '^==[0-9]*==ERROR\|^SUMMARY: \|invariant failed\|deadly signal' "$log"
    then
        crashes=1
    fi

    echo "fuzz $t: ${execs:-0} execs, cov ${cov:-0}, ft ${ft:-0}," \
         "crashes $crashes"

    [ "$crashes" -eq 0 ] || { echo "fuzz.sh: $t: see $log" >&2; return 1; }
}

for t in "${targets[@]}"; do
    touch "$OUT/$t.start"
    sleep 0.01
done

running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run "$t" &
    running=$((running + 1))
done
wait

status=0
for t in "${targets[@]}"; do
    summary "$t" || status=1
done

exit $status
