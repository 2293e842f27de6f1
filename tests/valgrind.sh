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
check valgrind_bad_data $VG sh -c "! \"$RUSTGPT\" train \"$WORK/missing.json\""
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
