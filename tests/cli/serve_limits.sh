# tests/cli/serve_limits.sh — security and limits of `rustgpt serve`: API
# keys (401), rate limits (429), the bounded queue (503 + Retry-After), a
# disconnecting client freeing its slot, body and header limits, and raw
# socket abuse (tests/interop/serve_hostile.mjs).
. tests/cli/lib.sh
. tests/cli/serve_lib.sh

train_tiny_model
printf '# keys\nkey-one\n\nkey-two\n' > "$WORK/keys"
if start_server auth --model "$WORK/tiny.bin" --api-keys "$WORK/keys" --rate-limit 3; then
    expect_http "health_needs_no_key" 200 "$BASE/health"
    expect_http "no_key_is_401" 401 "$BASE/v1/models"
    expect_grep "401_is_an_error_object" "$WORK/body" '"code":"invalid_api_key"'
    expect_http "wrong_key_is_401" 401 -H "Authorization: Bearer key-on" "$BASE/v1/models"
    expect_http "key_prefix_is_401" 401 -H "Authorization: Bearer key-one-and-more" "$BASE/v1/models"
    expect_http "metrics_need_a_key" 401 "$BASE/metrics"
    expect_http "page_needs_a_key" 401 "$BASE/"
    expect_http "ollama_routes_need_a_key" 401 "$BASE/api/tags"
    expect_http "key_from_file_is_accepted" 200 -H "Authorization: Bearer key-one" "$BASE/v1/models"
    expect_http "second_request_within_rate" 200 -H "Authorization: Bearer key-one" "$BASE/v1/models"
    expect_http "third_request_within_rate" 200 -H "Authorization: Bearer key-one" "$BASE/v1/models"
    expect_http "fourth_request_is_rate_limited" 429 -H "Authorization: Bearer key-one" "$BASE/v1/models"
    expect_http "other_key_has_its_own_limit" 200 -H "Authorization: Bearer key-two" "$BASE/v1/models"
    stop_server
else
    fail "auth_server_starts" "$(cat "$WORK/auth.log")"
fi

# A slower model (a few ms a token on a busy machine, a third of one on a
# quiet one) so that requests overlap. A stream ends at the context's end
# at the latest: 4,096 tokens here, so that streams that must still be
# running when the test acts last over a second on the fastest machine.
"$RUSTGPT" train "$WORK/tiny.json" --dim 256 --heads 4 --hidden 1024 --layers 4 --seq-len 4096 --batch 3 \
    --epochs 1 -q --out "$WORK/slow.bin" > /dev/null 2>&1
if start_server limits --model "$WORK/slow.bin" --parallel 1 --queue 1 --max-body 100000 --timeout 1 \
        --max-tokens 5000; then
    LONG='{"prompt":"ice","max_tokens":400,"ignore_eos":true,"stream":true}'
    pids=
    for i in 1 2 3 4 5; do
        curl -s -o /dev/null -D "$WORK/h$i" --max-time 20 "$BASE/v1/completions" -d "$LONG" &
        pids="$pids $!"
    done
    wait $pids
    n503=$(grep -l '^HTTP/1.1 503' "$WORK"/h[1-5] | wc -l)
    n200=$(grep -l '^HTTP/1.1 200' "$WORK"/h[1-5] | wc -l)
    if [ "$n503" -ge 1 ] && [ "$n200" -ge 2 ]; then pass "full_queue_answers_503"
    else fail "full_queue_answers_503" "$n200 answered, $n503 refused"; fi
    if grep -l '^HTTP/1.1 503' "$WORK"/h[1-5] | head -n 1 | xargs grep -qi '^Retry-After: [0-9]'; then pass "503_has_retry_after"
    else fail "503_has_retry_after"; fi

    # A client that goes away mid-stream frees its slot at once.
    curl -sN --max-time 0.5 "$BASE/v1/completions" -d '{"prompt":"ice","max_tokens":5000,"ignore_eos":true,"stream":true}' > "$WORK/cut" 2> /dev/null
    sleep 0.2
    busy=$(curl -s "$BASE/metrics" | grep '^rustgpt_slots_busy ' | cut -d' ' -f2)
    if [ -s "$WORK/cut" ] && [ "$busy" = 0 ]; then pass "disconnect_frees_the_slot"
    else fail "disconnect_frees_the_slot" "slots busy: $busy" "$(head -c 200 "$WORK/cut")"; fi
    expect_grep "disconnect_is_logged_as_499" "$WORK/limits.log" '"status":499'

    head -c 10000000 /dev/zero | tr '\0' a > "$WORK/big"
    expect_http "10_MB_body_is_413" 413 "$BASE/v1/completions" --data-binary @"$WORK/big"
    expect_http "chunked_oversize_body_is_413" 413 -H "Transfer-Encoding: chunked" "$BASE/v1/completions" --data-binary @"$WORK/big"
    node tests/interop/serve_hostile.mjs "$PORT" 1
    expect_http "serves_after_the_abuse" 200 "$BASE/v1/completions" -d '{"prompt":"ice","max_tokens":3}'
    stop_server
    if [ "$SERVER_STATUS" -eq 0 ]; then pass "limits_server_exits_0"; else fail "limits_server_exits_0" "status $SERVER_STATUS"; fi
else
    fail "limits_server_starts" "$(cat "$WORK/limits.log")"
fi

# Graceful shutdown: a stream in flight when SIGTERM arrives is finished
# (or ended) within the grace period, and the exit status is 0; a request
# that arrives meanwhile is refused with 503. The stream (4,000 tokens) is
# still running when SIGTERM is sent as soon as its first bytes arrive, and
# the request is repeated until the signal has been taken (a few ms).
if start_server grace --model "$WORK/slow.bin" --parallel 1 --grace 60; then
    curl -sN "$BASE/v1/completions" -d '{"prompt":"ice","max_tokens":4000,"ignore_eos":true,"stream":true}' > "$WORK/grace" &
    curl_pid=$!
    i=0
    while [ ! -s "$WORK/grace" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
    kill -TERM "$SERVER_PID"
    i=0
    while [ $i -lt 50 ]; do
        code=$(curl -s -o "$WORK/body" -w '%{http_code}' "$BASE/v1/models")
        [ "$code" = 200 ] || break
        sleep 0.01
        i=$((i + 1))
    done
    if [ "$code" = 503 ]; then pass "a_request_while_shutting_down_is_503"
    else fail "a_request_while_shutting_down_is_503" "status $code, expected 503" "$(head -c 200 "$WORK/body")"; fi
    wait "$SERVER_PID"
    SERVER_STATUS=$?
    wait $curl_pid
    if [ "$SERVER_STATUS" -eq 0 ] && tail -n 2 "$WORK/grace" | grep -q '^data: \[DONE\]$'; then pass "sigterm_finishes_the_stream_in_flight"
    else fail "sigterm_finishes_the_stream_in_flight" "status $SERVER_STATUS" "$(tail -c 200 "$WORK/grace")"; fi
fi
if start_server grace0 --model "$WORK/slow.bin" --parallel 1 --grace 0.2; then
    curl -sN "$BASE/v1/completions" -d '{"prompt":"ice","max_tokens":4000,"ignore_eos":true,"stream":true}' > "$WORK/grace0" &
    curl_pid=$!
    i=0
    while [ ! -s "$WORK/grace0" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
    t0=$(date +%s%N)
    stop_server
    wait $curl_pid
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$SERVER_STATUS" -eq 0 ] && [ "$ms" -lt 2000 ] && grep -q '^data: \[DONE\]$' "$WORK/grace0"; then pass "sigterm_cancels_streams_after_the_grace_period"
    else fail "sigterm_cancels_streams_after_the_grace_period" "status $SERVER_STATUS after $ms ms" "$(tail -c 200 "$WORK/grace0")"; fi
fi
