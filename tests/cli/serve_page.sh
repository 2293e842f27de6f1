# tests/cli/serve_page.sh — the browser chat page (GET /) in Debian's
# chromium, driven by npm playwright-core (tests/interop/serve_page.mjs).
. tests/cli/lib.sh
. tests/cli/serve_lib.sh

if ! command -v chromium > /dev/null; then
    fail "serve_page_chromium_installed" "apt-get install chromium (.ci/apt-packages)"
    exit 1
fi
train_tiny_model
if ! start_server page --model "$WORK/tiny.bin"; then
    fail "serve_page_starts" "$(cat "$WORK/page.log")"
    exit 1
fi
HOME="$WORK" node tests/interop/serve_page.mjs "$BASE"
stop_server
