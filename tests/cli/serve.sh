# tests/cli/serve.sh — `rustgpt serve` over raw HTTP with curl: the OpenAI
# and Ollama routes, SSE and NDJSON framing, error objects and status codes,
# metrics, log lines, settings from file/env/flags, graceful shutdown.
. tests/cli/lib.sh
. tests/cli/serve_lib.sh

train_tiny_model
if ! start_server main --model "$WORK/tiny.bin" --parallel 2; then
    fail "serve_starts" "$(cat "$WORK/main.log")"
    exit 1
fi
pass "serve_starts_and_reports_healthy"
CHAT='{"messages":[{"role":"user","content":"what is ice ?"}],"temperature":0}'

expect_http "models_lists_the_model" 200 "$BASE/v1/models"
expect_grep "models_names_tiny" "$WORK/body" '"id":"tiny"'

expect_http "chat_completion_answers" 200 "$BASE/v1/chat/completions" -d "$CHAT"
expect_grep "chat_completion_has_the_trained_answer" "$WORK/body" '"content":"ice is frozen water\."'
expect_grep "chat_completion_has_usage" "$WORK/body" '"usage":\{"prompt_tokens":[0-9]+,"completion_tokens":[0-9]+'

# Raw SSE framing: every event is "data: {json}" then a blank line; the
# last is data: [DONE]; joined deltas give the answer.
curl -sN "$BASE/v1/chat/completions" -d '{"messages":[{"role":"user","content":"what is ice ?"}],"temperature":0,"stream":true,"stream_options":{"include_usage":true}}' > "$WORK/sse"
if awk 'NR % 2 == 1 && !/^data: / { bad = 1 } NR % 2 == 0 && $0 != "" { bad = 1 } END { exit bad }' "$WORK/sse" &&
   [ "$(tail -n 2 "$WORK/sse" | head -n 1)" = "data: [DONE]" ]; then pass "sse_events_are_data_lines_and_blank_lines_ending_with_done"
else fail "sse_events_are_data_lines_and_blank_lines_ending_with_done" "$(head -c 600 "$WORK/sse")"; fi
text=$(grep '^data: {' "$WORK/sse" | sed 's/^data: //' | node -e '
  let s = ""; require("readline").createInterface({input: process.stdin}).on("line", l => {
    const c = JSON.parse(l); if (c.choices[0] && c.choices[0].delta.content) s += c.choices[0].delta.content;
  }).on("close", () => console.log(s));')
if [ "$text" = "ice is frozen water." ]; then pass "sse_deltas_join_to_the_answer"; else fail "sse_deltas_join_to_the_answer" "got '$text'"; fi
expect_grep "sse_usage_chunk_when_asked" "$WORK/sse" '"choices":\[\],.*"usage"|"usage".*"choices":\[\]'
expect_grep "sse_last_chunk_has_finish_reason" "$WORK/sse" '"finish_reason":"stop"'

curl -sN "$BASE/v1/completions" -d '{"prompt":"User: what is the sun ? Assistant:","temperature":0,"stream":true}' > "$WORK/sse2"
expect_grep "completion_stream_is_text_completion" "$WORK/sse2" '"object":"text_completion"'
expect_grep "completion_stream_ends_with_done" "$WORK/sse2" '^data: \[DONE\]$'

curl -sN "$BASE/api/generate" -d '{"model":"tiny","prompt":"User: what is ice ? Assistant:","options":{"temperature":0}}' > "$WORK/nd"
if node -e 'const ls = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const last = ls[ls.length - 1]; process.exit(last.done === true && ls.slice(0, -1).every(l => l.done === false) &&
  ls.map(l => l.response).join("") === "ice is frozen water." ? 0 : 1)' "$WORK/nd"; then pass "ollama_generate_streams_ndjson_ending_done_true"
else fail "ollama_generate_streams_ndjson_ending_done_true" "$(cat "$WORK/nd")"; fi
expect_http "ollama_chat_without_stream" 200 "$BASE/api/chat" -d '{"model":"tiny","stream":false,"messages":[{"role":"user","content":"what is the sun ?"}],"options":{"temperature":0}}'
expect_grep "ollama_chat_answers" "$WORK/body" '"content":"the sun is a star\.".*"done":true'
expect_http "ollama_tags" 200 "$BASE/api/tags"
expect_grep "ollama_tags_names_tiny" "$WORK/body" '"name":"tiny"'
expect_http "ollama_show" 200 "$BASE/api/show" -d '{"model":"tiny"}'
expect_http "ollama_version" 200 "$BASE/api/version"
# Embeddings: the model's hidden states (rg_embed; for rustgpt's own
# models, the batched forward pass's ln_f rows), pooled and normalised.
expect_http "ollama_embed" 200 "$BASE/api/embed" -d '{"model":"tiny","input":["ice","sun"]}'
expect_grep "ollama_embed_gives_two_vectors" "$WORK/body" '"embeddings":\[\[[-0-9.e]+,.*\],\[[-0-9.e]+'
expect_http "embeddings_float" 200 "$BASE/v1/embeddings" -d '{"input":"ice"}'
expect_grep "embeddings_float_is_an_array" "$WORK/body" '"embedding":\[[-0-9.e]+,'
expect_http "embeddings_base64" 200 "$BASE/v1/embeddings" -d '{"input":["ice"],"encoding_format":"base64"}'
expect_grep "embeddings_base64_is_a_string" "$WORK/body" '"embedding":"[A-Za-z0-9+/]+=*"'

# Errors: the right status, OpenAI's error object or Ollama's, and the
# server keeps serving.
expect_http "unknown_route_is_404" 404 "$BASE/v2/nothing"
expect_grep "error_is_an_openai_error_object" "$WORK/body" '"error":\{"message":".*","type":"invalid_request_error","param":null,"code":null\}'
expect_http "wrong_method_is_405" 405 -X DELETE "$BASE/v1/chat/completions"
expect_http "malformed_json_is_400" 400 "$BASE/v1/chat/completions" -d '{"messages": [}'
expect_http "messages_of_the_wrong_type_is_400" 400 "$BASE/v1/chat/completions" -d '{"messages":"hi"}'
expect_http "temperature_as_string_is_400" 400 "$BASE/v1/chat/completions" -d '{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}'
expect_http "huge_max_tokens_is_400" 400 "$BASE/v1/chat/completions" -d '{"messages":[{"role":"user","content":"x"}],"max_tokens":1e300}'
expect_http "negative_max_tokens_is_400" 400 "$BASE/v1/completions" -d '{"prompt":"x","max_tokens":-5}'
expect_http "n_above_one_is_400" 400 "$BASE/v1/chat/completions" -d '{"messages":[{"role":"user","content":"x"}],"n":2}'
expect_http "unknown_model_is_404" 404 "$BASE/v1/chat/completions" -d '{"model":"../../etc/passwd","messages":[{"role":"user","content":"x"}]}'
expect_http "ollama_unknown_model_is_404" 404 "$BASE/api/generate" -d '{"model":"/tmp/tiny","prompt":"x"}'
expect_grep "ollama_error_is_a_string" "$WORK/body" '^\{"error":"model'
expect_http "too_long_prompt_is_400" 400 "$BASE/v1/completions" -d "{\"prompt\":\"$(printf 'ice %.0s' $(seq 1 80))\"}"
expect_http "still_serving_after_errors" 200 "$BASE/v1/chat/completions" -d "$CHAT"

expect_http "metrics_answers" 200 "$BASE/metrics"
expect_grep "metrics_counts_requests_by_route_and_status" "$WORK/body" '^rustgpt_requests_total\{route="/v1/chat/completions",status="200"\} [1-9]'
expect_grep "metrics_counts_404s" "$WORK/body" '^rustgpt_requests_total\{route="other",status="404"\} [1-9]'
expect_grep "metrics_has_ttft_histogram" "$WORK/body" '^rustgpt_time_to_first_token_seconds_bucket\{le="\+Inf"\} [1-9]'
expect_grep "metrics_has_token_latency" "$WORK/body" '^rustgpt_token_latency_seconds_count [1-9]'
expect_grep "metrics_counts_generated_tokens" "$WORK/body" '^rustgpt_generated_tokens_total [1-9]'
expect_grep "metrics_has_resident_memory" "$WORK/body" '^process_resident_memory_bytes [1-9]'
expect_grep "metrics_has_slots" "$WORK/body" '^rustgpt_slots_total 2$'

expect_http "page_is_served" 200 "$BASE/"
expect_grep "page_is_html" "$WORK/body" '<!doctype html>'
curl -s -D "$WORK/headers" -o /dev/null "$BASE/v1/models"
if grep -qi '^access-control' "$WORK/headers"; then fail "no_cors_headers_by_default"; else pass "no_cors_headers_by_default"; fi
expect_grep "responses_carry_a_request_id" "$WORK/headers" '^X-Request-Id: [0-9a-f]+'

stop_server
if [ "$SERVER_STATUS" -eq 0 ]; then pass "sigterm_exits_0"; else fail "sigterm_exits_0" "status $SERVER_STATUS"; fi
expect_grep "one_json_log_line_per_request" "$WORK/main.log" '^\{"ts":[0-9.]+,"id":"[0-9a-f]+","method":"POST","path":"/v1/chat/completions","status":200,'
expect_grep "shutdown_is_logged" "$WORK/main.log" '"event":"stopped"'

# Settings: the config file, then RUSTGPT_* over it, then flags over both.
printf '{"model": "%s", "parallel": 3, "cors": "http://example.test", "queue": 9}' "$WORK/tiny.bin" > "$WORK/conf.json"
if RUSTGPT_PARALLEL=5 start_server conf --config "$WORK/conf.json" --queue 7; then
    expect_http "config_file_serves" 200 "$BASE/metrics"
    expect_grep "environment_overrides_config_file" "$WORK/body" '^rustgpt_slots_total 5$'
    curl -s -D "$WORK/headers" -o /dev/null "$BASE/v1/models"
    expect_grep "cors_from_config_file" "$WORK/headers" '^Access-Control-Allow-Origin: http://example.test'
    expect_http "cors_preflight_is_204" 204 -X OPTIONS "$BASE/v1/chat/completions"
    stop_server
else
    fail "config_file_serves" "$(cat "$WORK/conf.log")"
fi
expect_status "unknown_setting_is_a_usage_error" 2 "$RUSTGPT" serve --model "$WORK/tiny.bin" --bogus 1
expect_status "missing_model_file_is_a_runtime_error" 1 "$RUSTGPT" serve --model "$WORK/none.bin" --port 0
expect_status "no_model_is_a_runtime_error" 1 "$RUSTGPT" serve --port 0
