#!/bin/sh
# tests/valgrind.sh BINARY — a short training run, a piped chat, generate and
# eval under valgrind memcheck: any memory error or leak fails. `make
# valgrind` builds a serial binary for it (OpenMP's thread pool keeps memory
# that memcheck would report as "possibly lost").
RUSTGPT=${1:?usage: tests/valgrind.sh BINARY}
command -v valgrind > /dev/null || { echo "SKIP valgrind: not installed"; exit 0; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
cat > "$WORK/tiny.json" <<'JSON'
["the sun is a star . </s>", "water is wet . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>"]
JSON
passed=0 failed=0
check() {   # NAME CMD...: the command must exit 0 with a clean valgrind report
    name=$1
    shift
    if "$@" > "$WORK/out" 2> "$WORK/err" < "${STDIN:-/dev/null}"; then
        echo "PASS $name"; passed=$((passed + 1))
    else
        echo "FAIL $name"; sed 's/^/    /' "$WORK/err" | head -40; failed=$((failed + 1))
    fi
}
SMALL="--dim 16 --heads 2 --hidden 32 --layers 2 --seq-len 24 --batch 2"
check valgrind_train $VG "$RUSTGPT" train --pretrain "$WORK/tiny.json" --chat "$WORK/tiny.json" \
    $SMALL --epochs 3 --val-split 0.3 --log "$WORK/log.csv" --out "$WORK/m.bin"
printf 'what is ice ?\n/help\nwhat is water ?\n' > "$WORK/in"
STDIN="$WORK/in" check valgrind_chat_through_a_pipe $VG "$RUSTGPT" chat --model "$WORK/m.bin"
check valgrind_generate_sampling $VG "$RUSTGPT" generate --model "$WORK/m.bin" --prompt "the sun" \
    --temperature 0.8 --top-k 5 --top-p 0.9 --max-tokens 10
check valgrind_eval $VG "$RUSTGPT" eval --model "$WORK/m.bin" "$WORK/tiny.json"
check valgrind_convert $VG "$RUSTGPT" convert "$WORK/m.bin" "$WORK/m.safetensors"
# The error paths, where a half-built thing is most easily leaked: each must
# fail with its own status (1 runtime, 2 usage) and a clean report (valgrind
# itself exits 99 on an error or a leak).
check_fails() {   # NAME STATUS CMD...
    name=$1 want=$2
    shift 2
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    if [ "$got" -eq "$want" ]; then
        echo "PASS $name"; passed=$((passed + 1))
    else
        echo "FAIL $name (status $got, expected $want)"; sed 's/^/    /' "$WORK/err" | head -40
        failed=$((failed + 1))
    fi
}
printf '["fine", "also fine", 42]' > "$WORK/bad.json"
printf 'text\nfine\n"never closed\n' > "$WORK/bad.csv"
head -c 3000 "$WORK/m.bin" > "$WORK/cut.bin"
check_fails valgrind_missing_data 1 $VG "$RUSTGPT" train "$WORK/missing.json" --out "$WORK/x.bin"
check_fails valgrind_bad_json_entry 1 $VG "$RUSTGPT" train "$WORK/tiny.json" "$WORK/bad.json" --out "$WORK/x.bin"
check_fails valgrind_bad_csv 1 $VG "$RUSTGPT" eval --model "$WORK/m.bin" "$WORK/bad.csv"
check_fails valgrind_truncated_model 1 $VG "$RUSTGPT" generate --model "$WORK/cut.bin" --prompt hi
check_fails valgrind_unwritable_out 1 $VG "$RUSTGPT" convert "$WORK/m.bin" /proc/self/m.json
check_fails valgrind_usage_error 2 $VG "$RUSTGPT" train "$WORK/tiny.json" --dim 10 --heads 3
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
