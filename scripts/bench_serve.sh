#!/bin/sh
# scripts/bench_serve.sh — `make bench-serve`: the server's throughput and
# latency at 1, 4 and 16 concurrent streams (tests/interop/serve_bench.mjs),
# and its overhead against `rustgpt generate` producing the same tokens.
#
# BENCH_DIM/BENCH_LAYERS set the model's size. Overhead: a greedy request
# through the server and `rustgpt generate` with the same prompt and max tokens give the same tokens; each is timed
# for N tokens and for 1 token, and the difference (the N-1 decode steps,
# without process start or model load) is compared.
RUSTGPT=${1:-./rustgpt}
DIM=${BENCH_DIM:-256}
LAYERS=${BENCH_LAYERS:-4}
TOKENS=${BENCH_TOKENS:-128}
ROUNDS=${BENCH_ROUNDS:-3}
WORK=$(mktemp -d)
trap 'kill $SERVER 2> /dev/null; rm -rf "$WORK"' EXIT
# An untrained model over the bundled chat data's vocabulary (1,466 words):
# greedy decoding then rarely meets </s>, so `rustgpt generate` and the
# server both produce the full TOKENS tokens for the overhead comparison.
"$RUSTGPT" train data/chat.json --dim "$DIM" --heads 4 --hidden $((DIM * 4)) --layers "$LAYERS" \
    --seq-len 512 --epochs 0 -q --out "$WORK/bench.bin" 2> /dev/null || exit 1
echo "model: dim $DIM, $LAYERS layers, seq-len 512; $TOKENS tokens per request; $(nproc) cores"

"$RUSTGPT" serve --model "$WORK/bench.bin" --port 0 --parallel 16 --quiet 2> "$WORK/log" &
SERVER=$!
PORT=
for i in $(seq 1 100); do
    PORT=$(grep -o '"port":[0-9]*' "$WORK/log" | head -n 1 | cut -d: -f2)
    [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
    sleep 0.1
done
BASE="http://127.0.0.1:$PORT"
node tests/interop/serve_bench.mjs "$BASE" "$TOKENS" "$ROUNDS"

# Overhead at one stream, against `rustgpt generate` (best of 5 each).
PROMPT="User: what is ice ? Assistant:"
best() { sort -n | head -n 1; }
gen_ms() {
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        "$RUSTGPT" generate --model "$WORK/bench.bin" --prompt "$PROMPT" --max-tokens "$1" > "$WORK/gen$1"
        echo $((($(date +%s%N) - t0) / 1000))
    done | best
}
srv_ms() {
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        curl -s "$BASE/v1/completions" -d "{\"prompt\":\"$PROMPT\",\"max_tokens\":$1,\"temperature\":0}" > "$WORK/srv$1"
        echo $((($(date +%s%N) - t0) / 1000))
    done | best
}
g1=$(gen_ms 1); gN=$(gen_ms "$TOKENS"); s1=$(srv_ms 1); sN=$(srv_ms "$TOKENS")
n=$(grep -o '"completion_tokens":[0-9]*' "$WORK/srv$TOKENS" | cut -d: -f2)
echo "one stream, $n tokens (greedy, same as generate):"
echo "  rustgpt generate: $(((gN - g1) / 1000)) ms for the decode steps ($((gN / 1000)) ms with start and load)"
echo "  rustgpt serve:    $(((sN - s1) / 1000)) ms for the decode steps ($((sN / 1000)) ms request)"
awk -v g=$((gN - g1)) -v s=$((sN - s1)) 'BEGIN { if (g > 0) printf "  overhead: %.1f%%\n", (s - g) * 100 / g }'
text_gen=$(cat "$WORK/gen$TOKENS")
text_srv=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).choices[0].text.trim())' "$WORK/srv$TOKENS")
[ "$text_gen" = "$text_srv" ] && echo "  same text: yes" || echo "  same text: NO (generate: '$text_gen' / serve: '$text_srv')"
kill -TERM $SERVER; wait $SERVER
