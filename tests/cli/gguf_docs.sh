# tests/cli/gguf_docs.sh — the outputs quoted in docs/16-quantization.md and
# docs/17-gguf-file.md, reproduced. A fenced block whose info string is
# `text run:ID` quotes the output of the command ID below, byte for byte;
# `DOCS_UPDATE=1 sh tests/cli/gguf_docs.sh` rewrites the quotes from the
# current binary (then reread the prose around them).
. tests/cli/lib.sh

PY=
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" > /dev/null 2>&1 && "$candidate" -c 'import numpy' > /dev/null 2>&1; then
        PY=$candidate
        break
    fi
done
ROOT=$(pwd)

# The example file of chapter 17: a one-layer llama, written by the test
# generator with fixed settings, in $WORK as tiny.gguf.
make_tiny() {
    [ -e "$WORK/tiny.gguf" ] && return 0
    [ -n "$PY" ] || return 1
    $PY "$ROOT/tests/gguf/make_gguf.py" --arch llama --layers 1 --embd 32 --heads 2 --ff 64 \
        --vocab-merges 20 --name tiny --out "$WORK/tiny.gguf"
}

# run ID: print the output of the command that ID names.
run() {
    case "$1" in
        show_q8_0) "$RUSTGPT" quantize --show Q8_0 ;;
        show_q4_0) "$RUSTGPT" quantize --show Q4_0 ;;
        show_q4_k) "$RUSTGPT" quantize --show Q4_K ;;
        show_q6_k) "$RUSTGPT" quantize --show Q6_K ;;
        tiny_info) make_tiny && (cd "$WORK" && "$RUSTGPT" info tiny.gguf) ;;
        tiny_head) make_tiny && od -A d -t x1 -N 64 "$WORK/tiny.gguf" ;;
        tiny_key) make_tiny && od -A d -t x1c -j 24 -N 45 "$WORK/tiny.gguf" ;;
        tiny_tensor) make_tiny && od -A d -t x1 -j 7978 -N 57 "$WORK/tiny.gguf" ;;
        *) echo "unknown quote id $1"; return 1 ;;
    esac
}

if [ -z "$PY" ]; then
    echo "SKIP gguf_docs: numpy not available"
    exit 0
fi
for chapter in docs/16-quantization.md docs/17-gguf-file.md; do
    [ -f "$chapter" ] || { fail "gguf_docs_$(basename "$chapter")" "missing"; continue; }
    base=$(basename "$chapter" .md)
    if [ "${DOCS_UPDATE:-0}" = 1 ]; then
        : > "$WORK/updated"
        skip=0
        while IFS= read -r line; do
            case "$line" in
                '```text run:'*)
                    printf '%s\n' "$line" >> "$WORK/updated"
                    run "${line#'```text run:'}" >> "$WORK/updated"
                    skip=1
                    continue ;;
                '```'*) if [ $skip = 1 ]; then skip=0; fi ;;
            esac
            [ $skip = 1 ] || printf '%s\n' "$line" >> "$WORK/updated"
        done < "$chapter"
        cat "$WORK/updated" > "$chapter"
    fi
    n=0
    awk -v dir="$WORK" -v base="$base" '
        /^```/ {
            if (out) { close(out); out = ""; next }
            if ($0 ~ /^```text run:/) { n++; out = sprintf("%s/%s.%03d.%s", dir, base, n, substr($0, 13)); printf "" > out; next }
        }
        out { print > out }' "$chapter"
    for block in "$WORK/$base".*.*; do
        [ -e "$block" ] || continue
        id=${block##*.}
        n=$((n + 1))
        if run "$id" > "$WORK/quote.out" 2>&1 && cmp -s "$WORK/quote.out" "$block"; then
            pass "docs_${base}_quote_$id"
        else
            fail "docs_${base}_quote_$id" "the quote differs from its command:" "$(diff "$block" "$WORK/quote.out" | head -n 8)"
        fi
        rm -f "$block"
    done
    [ $n -gt 0 ] || fail "docs_${base}_has_quotes" "no \`text run:\` block"
done
