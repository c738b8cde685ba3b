#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs host fuzzers (built by `make fuzz-build` into build/fuzz/) for SECONDS each and prints one
# line per target: executions, executions per second, crashes, corpus size. Exits 1 when any target
# crashed.
#   tests/fuzz/run.sh SECONDS NAME...
# Each target starts from its committed seeds (tests/fuzz/corpus/NAME) plus what earlier runs found
# (build/fuzz/corpus/NAME, where new inputs go, so the tree is never written). Crashing inputs are
# kept in build/fuzz/artifacts/NAME/ and the whole libFuzzer output in build/fuzz/log/NAME.log.
# FUZZ_JOBS=2 runs two targets at a time; FUZZ_ARGS adds libFuzzer options.
set -uo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 SECONDS NAME..." >&2
    exit 2
fi
seconds=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
jobs=${FUZZ_JOBS:-1}

# Inputs libFuzzer kept because they crashed, leaked, hung or ran out of memory (not slow units).
found() {
    find "$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) | wc -l
}

run_one() {
    local name=$1 corpus="$build/fuzz/corpus/$1" art="$build/fuzz/artifacts/$1/"
    local log="$build/fuzz/log/$1.log"
    mkdir -p "$corpus" "$art" "$(dirname "$log")"
    cp -n "$root/tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
    local before
    before=$(found "$art")
    # -timeout: one input running longer than 25 s is a hang, reported as a crash.
    # shellcheck disable=SC2086
    "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
    local rc=$?
    local runs rate crashes size
    runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\)/\1/p' "$log" | tail -1)
    crashes=$(($(found "$art") - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1 # died without leaving an input (out of memory in the harness, a signal)
    fi
    if [ -z "$runs" ]; then
        # A crash ends the run before "Done": the last status line says how far it got.
        runs=$(sed -n 's/^#\([0-9]*\)\t.*/\1/p' "$log" | tail -1)
    fi
    size=$(find "$corpus" -type f | wc -l)
    printf '%s %s %s %s %s\n' "$name" "${runs:-0}" "${rate:-0}" "$crashes" "$size" \
        >"$build/fuzz/log/$name.result"
}

for name in "$@"; do
    if [ ! -x "$build/fuzz/fuzz_$name" ]; then
        echo "fuzz: $build/fuzz/fuzz_$name is not built (make fuzz-build)" >&2
        exit 2
    fi
    rm -f "$build/fuzz/log/$name.result"
done

echo "fuzz: $# targets, $seconds s each, $jobs at a time"
running=0
for name in "$@"; do
    run_one "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

failed=0
printf '  %-10s %12s %10s %8s %8s\n' target executions execs/s crashes corpus
for name in "$@"; do
    read -r n runs rate crashes size <"$build/fuzz/log/$name.result" || {
        n=$name runs=0 rate=0 crashes=1 size=0
    }
    printf '  %-10s %12s %10s %8s %8s\n' "$n" "$runs" "$rate" "$crashes" "$size"
    if [ "$crashes" -ne 0 ]; then
        failed=1
        echo "    see $build/fuzz/log/$name.log and $build/fuzz/artifacts/$name/" >&2
    fi
done
exit $failed
