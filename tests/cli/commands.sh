# tests/cli/commands.sh — every command end to end on a tiny model: train,
# save, reload in another process, generate, chat through a pipe, eval,
# tokenize, info, convert; and the exit statuses of DESIGN.md §1.
. tests/cli/lib.sh

cat > "$WORK/tiny.json" <<'JSON'
["the sun is a star . </s>",
 "User: what is the sun ? Assistant: the sun is a star . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>"]
JSON
TINY="--dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 24 --batch 3 --lr 0.01"

expect_status "train_tiny_model_succeeds" 0 \
    "$RUSTGPT" train "$WORK/tiny.json" $TINY --epochs 120 --out "$WORK/m.bin"
expect_grep "train_prints_one_line_per_epoch" "$WORK/out" '^train epoch 120/120: loss [0-9.]+$'
expect_grep "train_reports_where_it_saved" "$WORK/out" "saved $WORK/m.bin"

expect_status "train_quiet_prints_only_the_summary" 0 \
    "$RUSTGPT" train "$WORK/tiny.json" $TINY --epochs 3 -q --out "$WORK/q.bin"
if [ "$(wc -l < "$WORK/out")" -eq 1 ]; then pass "train_quiet_is_one_line"; else fail "train_quiet_is_one_line" "$(cat "$WORK/out")"; fi

expect_status "generate_answers_from_a_saved_model" 0 \
    "$RUSTGPT" generate --model "$WORK/m.bin" --prompt "User: what is ice ? Assistant:"
expect_grep "generate_reproduces_the_trained_answer" "$WORK/out" '^ice is frozen water\.$'

printf 'what is ice ?\nwhat is the sun ?\n' | "$RUSTGPT" chat --model "$WORK/m.bin" > "$WORK/chat" 2> "$WORK/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(wc -l < "$WORK/chat")" -eq 2 ] && grep -q '^the sun is a star\.$' "$WORK/chat"; then
    pass "chat_through_a_pipe_answers_one_line_per_input"
else
    fail "chat_through_a_pipe_answers_one_line_per_input" "status $rc" "$(cat "$WORK/chat" "$WORK/err")"
fi

expect_status "eval_prints_loss_and_perplexity" 0 "$RUSTGPT" eval --model "$WORK/m.bin" "$WORK/tiny.json"
expect_grep "eval_output_has_perplexity" "$WORK/out" '^perplexity [0-9.]+$'

expect_status "tokenize_prints_ids_and_pieces" 0 "$RUSTGPT" tokenize --model "$WORK/m.bin" "the sun, unseen"
expect_grep "tokenize_marks_unknown_words" "$WORK/out" '^ +1  <unk>$'

expect_status "info_describes_a_model" 0 "$RUSTGPT" info "$WORK/m.bin"
expect_status "convert_to_json" 0 "$RUSTGPT" convert "$WORK/m.bin" "$WORK/m.json"

# exit statuses
expect_status "no_command_is_a_usage_error" 2 "$RUSTGPT"
expect_status "unknown_command_is_a_usage_error" 2 "$RUSTGPT" frobnicate
expect_status "help_goes_to_stdout" 0 "$RUSTGPT" --help
expect_grep "help_lists_train" "$WORK/out" 'rustgpt train'
expect_status "version_exits_0" 0 "$RUSTGPT" --version
expect_status "bad_option_value_is_a_usage_error" 2 "$RUSTGPT" train "$WORK/tiny.json" --layers zero
expect_grep "bad_option_value_names_the_option" "$WORK/err" '--layers'
expect_status "heads_must_divide_dim" 2 "$RUSTGPT" train "$WORK/tiny.json" --dim 10 --heads 3
expect_status "missing_data_file_is_a_runtime_error" 1 "$RUSTGPT" train "$WORK/none.json" --out "$WORK/x.bin"
expect_grep "missing_data_file_is_named" "$WORK/err" "none.json"
printf '["ok </s>", 42]' > "$WORK/bad.json"
expect_status "bad_data_entry_is_a_runtime_error" 1 "$RUSTGPT" train "$WORK/bad.json" --out "$WORK/x.bin"
expect_grep "bad_data_entry_is_located" "$WORK/err" 'bad.json: entry 2'
if [ ! -e "$WORK/x.bin" ]; then pass "failed_training_writes_no_model"; else fail "failed_training_writes_no_model"; fi
expect_status "missing_model_is_a_runtime_error" 1 "$RUSTGPT" generate --model "$WORK/nope.bin" --prompt hi
