# tests/cli/serve_interop.sh — the npm `openai` and `ollama` clients, used
# exactly as an application would, against `rustgpt serve` with an API key
# (tests/interop/serve_clients.mjs prints the checks).
. tests/cli/lib.sh
. tests/cli/serve_lib.sh

if [ ! -d tests/interop/node_modules/openai ] || [ ! -d tests/interop/node_modules/ollama ]; then
    fail "serve_interop_clients_installed" "run make interop-deps"
    exit 1
fi
train_tiny_model
if ! start_server interop --model "$WORK/tiny.bin" --api-key secret-key-1 --api-key other-key; then
    fail "serve_interop_starts" "$(cat "$WORK/interop.log")"
    exit 1
fi
node tests/interop/serve_clients.mjs "$BASE" secret-key-1 tiny
stop_server
