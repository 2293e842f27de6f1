#!/bin/sh
# tests/fuzz/run.sh — run libFuzzer targets, called by `make fuzz`:
#   FUZZ_DIR=build-fuzz FUZZ_SECONDS=60 sh tests/fuzz/run.sh fuzz_model_bin ...
# Each target fuzz_NAME runs for FUZZ_SECONDS (or, when FUZZ_RUNS is set, for
# that many executions, however long it takes) on build-fuzz/corpus/NAME, which
# starts as a copy of tests/fuzz/corpus/NAME and keeps what the fuzzer finds
# across runs (the repository's seeds are never modified). tests/fuzz/NAME.dict
# is passed as a dictionary when present. Prints one line per target:
#   fuzz_model_bin: 1,234,567 executions, cov: 812, no crash
# and exits 1 if any target crashed (the input is kept in build-fuzz/crashes/).
cd "$(dirname "$0")/../.." || exit 2
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# One input running longer than this (wall seconds) counts as a hang; raise it
# when the machine is busy and the fuzzer gets only part of a core.
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
# ASan keeps no allocation stacks (malloc_context_size=0): a loader fuzzer
# that allocates per input runs 1.4x faster, and every error is still caught.
# To see where a crashing input's memory came from, run it again by hand:
#   build-fuzz/fuzz_NAME build-fuzz/crashes/fuzz_NAME-crash-...
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}
limit="-max_total_time=$FUZZ_SECONDS"
[ -n "${FUZZ_RUNS:-}" ] && limit="-runs=$FUZZ_RUNS"
status=0
mkdir -p "$FUZZ_DIR/crashes"
for target in "$@"; do
    name=${target#fuzz_}
    corpus=$FUZZ_DIR/corpus/$name
    mkdir -p "$corpus"
    if [ -d "tests/fuzz/corpus/$name" ]; then
        for seed in "tests/fuzz/corpus/$name"/*; do
            [ -f "$seed" ] && [ ! -e "$corpus/$(basename "$seed")" ] && cp "$seed" "$corpus/"
        done
    fi
    dict=
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    log=$FUZZ_DIR/$target.log
    "$FUZZ_DIR/$target" "$limit" -timeout="$FUZZ_TIMEOUT" -print_final_stats=1 \
        -artifact_prefix="$FUZZ_DIR/crashes/$target-" $dict "$corpus" > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "$target: ${execs:-?} executions, ${cov:-cov: ?}, no crash"
    else
        echo "$target: CRASH (exit $rc) after ${execs:-?} executions; see $log and $FUZZ_DIR/crashes/"
        grep -m 3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /'
        status=1
    fi
done
exit $status
