# tests/cli/plugin_train.sh — a plugin tokenizer end to end: train a model
# with the example character tokenizer (examples/plugins/char_tokenizer.c,
# `make examples`), chat with it (the plugin loaded again), and the clear
# error when the plugin is missing. The model is barely trained: these tests
# are about the plumbing, not the answers.
. "$(dirname "$0")/lib.sh"
BUILD_DIR=${BUILD_DIR:-$(pwd)/build}
char="$BUILD_DIR/examples/char_tokenizer.so"
cat > "$WORK/chat.json" <<'JSON'
[{"prompt": "héllo", "response": "wörld"}, {"prompt": "日本", "response": "ok"}]
JSON
train() {
    "$RUSTGPT" train "$@" --dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 48 --epochs 3 -q \
        --chat "$WORK/chat.json"
}

expect_status train_with_char_plugin 0 train --plugin "$char" --tokenizer char --out "$WORK/char.bin"
expect_grep train_with_char_reports_its_vocabulary "$WORK/out" "vocabulary 24"
expect_status train_char_needs_the_plugin 1 train --tokenizer char --out "$WORK/none.bin"
expect_grep train_char_missing_names_it "$WORK/err" "char: no such file, and no tokenizer of that name is registered"
expect_status train_char_refuses_json_out 2 train --plugin "$char" --tokenizer char --out "$WORK/char.json"

printf 'héllo\n日本\n' > "$WORK/questions"
"$RUSTGPT" chat --plugin "$char" --model "$WORK/char.bin" --max-tokens 6 < "$WORK/questions" > "$WORK/out" 2> "$WORK/err"
status=$?
if [ $status -eq 0 ] && [ "$(wc -l < "$WORK/out")" -eq 2 ]; then pass chat_with_char_model
else fail chat_with_char_model "status $status" "$(head -c 300 "$WORK/out")" "$(head -c 300 "$WORK/err")"; fi

RUSTGPT_PLUGIN_PATH="$char" expect_status chat_with_char_model_via_plugin_path 0 "$RUSTGPT" chat --model "$WORK/char.bin" --max-tokens 4
expect_status chat_without_the_plugin_fails 1 "$RUSTGPT" chat --model "$WORK/char.bin"
expect_grep chat_without_the_plugin_says_which "$WORK/err" 'uses the tokenizer "char", which is not registered; load the plugin'
expect_status generate_with_char_model 0 "$RUSTGPT" generate --plugin "$char" --model "$WORK/char.bin" --prompt "User: héllo Assistant:" --max-tokens 5
expect_status tokenize_with_char_model 0 "$RUSTGPT" tokenize --plugin "$char" --model "$WORK/char.bin" "wö"
expect_grep tokenize_char_model_shows_pieces "$WORK/out" "^ +[0-9]+  ö$"
expect_status info_needs_no_plugin 0 "$RUSTGPT" info "$WORK/char.bin"
expect_status resume_keeps_the_tokenizer 0 train --plugin "$char" --tokenizer char --out "$WORK/char2.bin" \
    --checkpoint "$WORK/c.ckpt.bin" --checkpoint-every 1
expect_status convert_char_model_to_bin 0 "$RUSTGPT" convert --plugin "$char" "$WORK/char.bin" "$WORK/copy.bin"
if cmp -s "$WORK/char.bin" "$WORK/copy.bin"; then pass convert_char_model_is_identical
else fail convert_char_model_is_identical "the converted file differs"; fi
expect_status convert_char_model_to_json_refused 1 "$RUSTGPT" convert --plugin "$char" "$WORK/char.bin" "$WORK/copy.json"
expect_grep convert_char_to_json_says_why "$WORK/err" "is saved as .bin"
