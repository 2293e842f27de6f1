# tests/cli/serve_lib.sh — helpers for the server tests (sourced after
# lib.sh): a tiny trained model, starting `rustgpt serve` on a free loopback
# port, and stopping it with SIGTERM.

# The tiny model of commands.sh: answers "what is ice ?" with
# "ice is frozen water." (trained in well under a second).
train_tiny_model() {
    cat > "$WORK/tiny.json" <<'JSON'
["the sun is a star . </s>",
 "User: what is the sun ? Assistant: the sun is a star . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>"]
JSON
    "$RUSTGPT" train "$WORK/tiny.json" --dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 48 \
        --batch 3 --lr 0.01 --epochs 120 -q --out "$WORK/tiny.bin" > /dev/null 2>&1
}

# start_server NAME ARGS...: run `rustgpt serve --port 0 ARGS` in the
# background (log in $WORK/NAME.log); sets SERVER_PID and PORT once it
# listens and /health answers 200. Returns 1 if it never does (5 s).
start_server() {
    name=$1
    shift
    "$RUSTGPT" serve --port 0 "$@" > /dev/null 2> "$WORK/$name.log" &
    SERVER_PID=$!
    PORT=
    i=0
    while [ $i -lt 100 ]; do
        [ -z "$PORT" ] && PORT=$(grep -o '"port":[0-9]*' "$WORK/$name.log" | head -n 1 | cut -d: -f2)
        if [ -n "$PORT" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" = 200 ]; then
            BASE="http://127.0.0.1:$PORT"
            return 0
        fi
        kill -0 "$SERVER_PID" 2> /dev/null || return 1
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

# stop_server: SIGTERM, wait; SERVER_STATUS gets the exit status.
stop_server() {
    kill -TERM "$SERVER_PID" 2> /dev/null
    wait "$SERVER_PID"
    SERVER_STATUS=$?
}

# expect_http NAME WANT_STATUS CURL_ARGS...: the status code of one request;
# the body is kept in $WORK/body.
expect_http() {
    name=$1 want=$2
    shift 2
    got=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 10 "$@")
    if [ "$got" = "$want" ]; then pass "$name"
    else fail "$name" "status $got, expected $want" "body: $(head -c 300 "$WORK/body")"; fi
}
