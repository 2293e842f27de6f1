#!/bin/sh
# scripts/bench_serve.sh — `make bench-serve`: the server's throughput and
# latency at 1, 4 and 16 concurrent streams (tests/interop/serve_bench.mjs),
# and its overhead against `rustgpt generate` producing the same tokens.
#
# BENCH_DIM/BENCH_LAYERS set the model's size (`make bench-serve` runs 512 x 8 and 256 x 4), BENCH_TOKENS the tokens per
# streamed request, BENCH_ROUNDS the requests per level (16 x that many),
# BENCH_CYCLES how many times the 1/4/16 levels run (the best cycle of each
# is reported, as the machine may be shared).
# Overhead: a greedy request through the server and `rustgpt generate` with
# the same prompt and max tokens give the same BENCH_LONG tokens; each is
# timed for BENCH_LONG tokens and for 1 token, best of 5, and the
# difference (the decode steps, without process start, model load or
# connection) is compared, in wall time and in CPU time.
RUSTGPT=${1:-./rustgpt}
DIM=${BENCH_DIM:-256}
LAYERS=${BENCH_LAYERS:-4}
TOKENS=${BENCH_TOKENS:-128}
ROUNDS=${BENCH_ROUNDS:-2}
CYCLES=${BENCH_CYCLES:-3}
LONG=${BENCH_LONG:-480}
WORK=$(mktemp -d)
trap 'kill $SERVER 2> /dev/null; rm -rf "$WORK"' EXIT
# An untrained model over the bundled chat data's vocabulary (1,466 words):
# greedy decoding then rarely meets </s>, so `rustgpt generate` and the
# server both produce the full TOKENS tokens for the overhead comparison.
"$RUSTGPT" train data/chat.json --dim "$DIM" --heads 4 --hidden $((DIM * 4)) --layers "$LAYERS" \
    --seq-len 512 --epochs 0 -q --out "$WORK/bench.bin" 2> /dev/null || exit 1
echo "model: dim $DIM, $LAYERS layers, seq-len 512, $(($(stat -c %s "$WORK/bench.bin") / 1000000)) MB of weights; $TOKENS tokens per request; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$RUSTGPT" serve --model "$WORK/bench.bin" --port 0 --parallel 16 --quiet 2> "$WORK/log" &
SERVER=$!
PORT=
for i in $(seq 1 100); do
    PORT=$(grep -o '"port":[0-9]*' "$WORK/log" | head -n 1 | cut -d: -f2)
    [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
    sleep 0.1
done
BASE="http://127.0.0.1:$PORT"
node tests/interop/serve_bench.mjs "$BASE" "$TOKENS" "$ROUNDS" "$CYCLES" "$SERVER" "$(getconf CLK_TCK)"

# Overhead at one stream, against `rustgpt generate`: best of 5 each, in
# microseconds of wall time and of CPU time. The CPU times are exact (the
# scheduler's nanoseconds, not 10 ms ticks): generate's from getrusage of
# the child (python3 runs it), the server's summed over its threads.
PROMPT="User: what is ice ? Assistant:"
server_cpu_us() { cat /proc/"$SERVER"/task/*/schedstat | awk '{ s += $1 } END { printf "%d", s / 1000 }'; }
best() { sort -n | head -n 1; }
gen_us() {     # $1 tokens; prints "wall cpu"
    for i in 1 2 3 4 5; do
        python3 -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(int((time.monotonic() - t0) * 1e6), int((r.ru_utime + r.ru_stime) * 1e6))' "$WORK/gen$1" \
            "$RUSTGPT" generate --model "$WORK/bench.bin" --prompt "$PROMPT" --max-tokens "$1"
    done > "$WORK/runs"
    echo "$(cut -d' ' -f1 "$WORK/runs" | best) $(cut -d' ' -f2 "$WORK/runs" | best)"
}
srv_us() {
    for i in 1 2 3 4 5; do
        c0=$(server_cpu_us); t0=$(date +%s%N)
        curl -s "$BASE/v1/completions" -d "{\"prompt\":\"$PROMPT\",\"max_tokens\":$1,\"temperature\":0}" > "$WORK/srv$1"
        echo "$((($(date +%s%N) - t0) / 1000)) $(($(server_cpu_us) - c0))"
    done > "$WORK/runs"
    echo "$(cut -d' ' -f1 "$WORK/runs" | best) $(cut -d' ' -f2 "$WORK/runs" | best)"
}
set -- $(gen_us 1) $(gen_us "$LONG") $(srv_us 1) $(srv_us "$LONG")
g1=$1 g1c=$2 gN=$3 gNc=$4 s1=$5 s1c=$6 sN=$7 sNc=$8
n=$(grep -o '"completion_tokens":[0-9]*' "$WORK/srv$LONG" | cut -d: -f2)
echo "one stream, $n tokens (greedy, same as generate; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  rustgpt generate: $(((gN - g1) / 1000)) ms for the decode steps ($((gN / 1000)) ms with start and load)"
echo "  rustgpt serve:    $(((sN - s1) / 1000)) ms for the decode steps ($((sN / 1000)) ms request)"
awk -v g=$((gN - g1)) -v s=$((sN - s1)) 'BEGIN { if (g > 0) printf "  overhead, wall time: %.1f%%\n", (s - g) * 100 / g }'
echo "  CPU time of the decode steps: generate $(((gNc - g1c) / 1000)) ms, serve $(((sNc - s1c) / 1000)) ms"
awk -v g=$((gNc - g1c)) -v s=$((sNc - s1c)) 'BEGIN { if (g > 0) printf "  overhead, CPU time: %.1f%%\n", (s - g) * 100 / g }'
text_gen=$(cat "$WORK/gen$LONG")
text_srv=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).choices[0].text.trim())' "$WORK/srv$LONG")
[ "$text_gen" = "$text_srv" ] && echo "  same text: yes" || echo "  same text: NO (generate: '$text_gen' / serve: '$text_srv')"
kill -TERM $SERVER; wait $SERVER
