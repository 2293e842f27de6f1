#!/bin/sh
# scripts/load_serve.sh — `make load-serve`: LOAD_SECONDS (60) of autocannon
# with 32 connections on a mix of chat and embedding requests against
# `rustgpt serve` with a small queue, so that some requests are deliberately
# refused with 503. Reports requests by status, errors (anything but
# 2xx/503/429 or a socket error is a failure), resident memory after warm-up
# and at the end, and open file descriptors before and after.
RUSTGPT=${1:-./rustgpt}
SECONDS_TOTAL=${LOAD_SECONDS:-60}
WORK=$(mktemp -d)
trap 'kill $SERVER 2> /dev/null; rm -rf "$WORK"' EXIT
cat > "$WORK/data.json" <<'JSON'
["the sun is a star . </s>",
 "User: what is the sun ? Assistant: the sun is a star . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>"]
JSON
"$RUSTGPT" train "$WORK/data.json" --dim 64 --heads 4 --hidden 256 --layers 2 --seq-len 128 \
    --batch 3 --lr 0.01 --epochs 100 -q --out "$WORK/load.bin" || exit 1
"$RUSTGPT" serve --model "$WORK/load.bin" --port 0 --parallel 8 --queue 16 --quiet 2> "$WORK/log" &
SERVER=$!
for i in $(seq 1 100); do
    PORT=$(grep -o '"port":[0-9]*' "$WORK/log" | head -n 1 | cut -d: -f2)
    [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
    sleep 0.1
done
rss() { grep VmRSS "/proc/$SERVER/status" | awk '{print $2}'; }
fds() { ls "/proc/$SERVER/fd" | wc -l; }
fd0=$(fds)
node tests/interop/serve_load.mjs "http://127.0.0.1:$PORT" 5 > /dev/null     # warm-up
rss_warm=$(rss)
node tests/interop/serve_load.mjs "http://127.0.0.1:$PORT" "$SECONDS_TOTAL" "$SERVER"
sleep 1
rss_end=$(rss)
fd1=$(fds)
echo "resident memory: $rss_warm kB after warm-up, $rss_end kB at the end"
echo "open file descriptors: $fd0 before, $fd1 after"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^rustgpt_(requests_total|rejected_total|generated_tokens_total)'
kill -TERM $SERVER; wait $SERVER; echo "exit status $?"
