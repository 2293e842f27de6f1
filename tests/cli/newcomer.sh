# tests/cli/newcomer.sh — what a new user meets first: each command's own
# --help (with every option the command accepts), unknown options reported as
# unknown, and training that never succeeds silently (--epochs 0, a missing
# --out directory, a replaced model). Issue 19.
. tests/cli/lib.sh

# Every command's --help is its own, and names every option its parser knows
# (the option strings its source file compares arguments with, or lists in an
# array; the sampling options for the commands that generate).
sampling=$(grep -o '"--[a-z-]*"' src/cli/cli.c | tr -d '"' | sort -u)
for pair in train:cmd_train.c chat:chat.c generate:- eval:- tokenize:- info:- convert:- bench:bench.c explain:explain.c; do
    cmd=${pair%%:*} file=${pair#*:}
    expect_status "help_${cmd}_exits_0" 0 "$RUSTGPT" "$cmd" --help
    expect_grep "help_${cmd}_is_its_own" "$WORK/out" "^usage: rustgpt $cmd "
    options=""
    [ "$file" = - ] || options=$(grep -oE 'strcmp\((arg|argv\[i\]), "--[a-z-]+"\)|^ +"--[a-z-]+",' "src/cli/$file" |
                                 grep -oE '"--[a-z-]+"' | tr -d '"' | sort -u)
    case $cmd in chat|generate) options="$options $sampling" ;; esac
    [ "$cmd" = generate ] && options="$options --model --prompt"
    missing=""
    for o in $options; do grep -q -- "$o" "$WORK/out" || missing="$missing $o"; done
    if [ -z "$missing" ]; then pass "help_${cmd}_lists_every_option"
    else fail "help_${cmd}_lists_every_option" "not in 'rustgpt $cmd --help':$missing"; fi
    expect_status "unknown_option_${cmd}_is_a_usage_error" 2 "$RUSTGPT" "$cmd" --foo
    expect_grep "unknown_option_${cmd}_is_called_unknown" "$WORK/err" "^rustgpt: $cmd: unknown option '--foo'"
    expect_grep "unknown_option_${cmd}_points_to_its_help" "$WORK/err" "^Try 'rustgpt $cmd --help'"
done
expect_status help_command_form 0 "$RUSTGPT" help bench
expect_grep help_command_form_is_the_commands "$WORK/out" "^usage: rustgpt bench "
expect_status global_help 0 "$RUSTGPT" --help
expect_grep global_help_names_command_help "$WORK/out" "COMMAND --help"
expect_status bench_option_without_value 2 "$RUSTGPT" bench --threads
expect_grep bench_option_without_value_says_so "$WORK/err" "--threads needs a value"

# Training never succeeds silently.
printf '["the cat sat .", "the dog sat ."]\n' > "$WORK/tiny.json"
TINY="$WORK/tiny.json --dim 4 --heads 2 --hidden 8 --layers 1 --seq-len 8 -q"
# shellcheck disable=SC2086
expect_status epochs_0_still_saves 0 "$RUSTGPT" train $TINY --epochs 0 --out "$WORK/zero.bin"
expect_grep epochs_0_warns_nothing_was_trained "$WORK/err" "warning: --epochs 0 trains nothing; .*untrained"

# shellcheck disable=SC2086
expect_status out_in_missing_directory_fails 1 "$RUSTGPT" train $TINY --epochs 1 --out "$WORK/no/such/dir/x.bin"
expect_grep out_in_missing_directory_names_it "$WORK/err" "the directory $WORK/no/such/dir does not exist .*--mkdir"
if [ ! -e "$WORK/no" ]; then pass out_in_missing_directory_creates_nothing
else fail out_in_missing_directory_creates_nothing "$WORK/no was created"; fi
# shellcheck disable=SC2086
expect_status out_mkdir_creates_the_directory 0 "$RUSTGPT" train $TINY --epochs 1 --mkdir --out "$WORK/new/dir/x.bin"
if [ -s "$WORK/new/dir/x.bin" ]; then pass out_mkdir_saved_the_model
else fail out_mkdir_saved_the_model "no $WORK/new/dir/x.bin"; fi
if grep -q 'replaced' "$WORK/out"; then fail first_save_says_nothing_replaced "$(cat "$WORK/out")"
else pass first_save_says_nothing_replaced; fi
# shellcheck disable=SC2086
expect_status train_over_a_model 0 "$RUSTGPT" train $TINY --epochs 1 --out "$WORK/new/dir/x.bin"
expect_grep train_over_a_model_says_it_replaced_it "$WORK/out" "^saved $WORK/new/dir/x.bin: .*\(replaced the previous file\)"

# Chat's next steps.
(cd "$WORK" && "$RUSTGPT" chat < /dev/null > out 2> err)
expect_grep chat_without_a_model_suggests_train "$WORK/err" "models/model.bin: cannot open: .*'rustgpt train' trains one"
expect_status generate_with_a_missing_model 1 "$RUSTGPT" generate --model "$WORK/none.bin" --prompt hi
expect_grep generate_with_a_missing_model_suggests_train "$WORK/err" "'rustgpt train --out $WORK/none.bin' trains one"
printf '["The cat sat .", "the dog sat ."]\n' > "$WORK/cased.json"
"$RUSTGPT" train "$WORK/cased.json" --dim 4 --heads 2 --hidden 8 --layers 1 --seq-len 8 --epochs 1 -q \
    --out "$WORK/cased.bin" > /dev/null 2>&1
printf 'CAT sat\nthe Dog\n' | "$RUSTGPT" chat --model "$WORK/cased.bin" > "$WORK/out" 2> "$WORK/err"
expect_grep chat_names_the_unknown_word "$WORK/err" "line 1: not in the vocabulary, read as <unk>: CAT"
expect_grep chat_suggests_the_vocabularys_case "$WORK/err" "line 1: the vocabulary has it in another case: cat$"
expect_grep chat_suggests_the_vocabularys_case_line_2 "$WORK/err" "line 2: the vocabulary has it in another case: dog$"
if [ "$(grep -c '' "$WORK/out")" -eq 2 ]; then pass chat_notes_keep_one_answer_line_per_line
else fail chat_notes_keep_one_answer_line_per_line "$(cat "$WORK/out")"; fi
# --lowercase: one word whatever its case, in the data and in what is typed,
# kept by every model format and by the library's loader.
printf '["The Cat sat .", "the CAT sat .", "a dog sat ."]\n' > "$WORK/mixed.json"
for ext in bin json safetensors; do
    expect_status "lowercase_trains_$ext" 0 "$RUSTGPT" train "$WORK/mixed.json" --lowercase --dim 4 --heads 2 \
        --hidden 8 --layers 1 --seq-len 8 --epochs 1 -q --out "$WORK/lower.$ext"
    "$RUSTGPT" info "$WORK/lower.$ext" > "$WORK/out" 2>&1
    expect_grep "lowercase_kept_by_$ext" "$WORK/out" "^vocabulary: 9 words, lowercase$"
    "$RUSTGPT" tokenize --model "$WORK/lower.$ext" --ids "CAT Cat cat" > "$WORK/out" 2>&1
    expect_grep "lowercase_folds_input_$ext" "$WORK/out" "^([0-9]+) \\1 \\1$"
done
"$RUSTGPT" info "$WORK/cased.bin" > "$WORK/out" 2>&1
expect_grep cased_model_says_nothing_of_case "$WORK/out" "^vocabulary: [0-9]+ words$"
printf 'THE CAT\n' | "$RUSTGPT" chat --model "$WORK/lower.bin" > "$WORK/out" 2> "$WORK/err"
if grep -q 'vocabulary' "$WORK/err"; then fail lowercase_chat_knows_every_case "$(cat "$WORK/err")"
else pass lowercase_chat_knows_every_case; fi
"$RUSTGPT" generate --model "$WORK/lower.json" --prompt "THE CAT" --temperature 0 --max-tokens 4 > "$WORK/upper" 2>&1
"$RUSTGPT" generate --model "$WORK/lower.json" --prompt "the cat" --temperature 0 --max-tokens 4 > "$WORK/lower" 2>&1
if cmp -s "$WORK/upper" "$WORK/lower"; then pass lowercase_generate_same_for_any_case
else fail lowercase_generate_same_for_any_case "$(cat "$WORK/upper")" "$(cat "$WORK/lower")"; fi
cp "$WORK/lower.bin" "$WORK/both.bin"
printf '\012' | dd of="$WORK/both.bin" bs=1 seek=8 conv=notrunc 2> /dev/null     # flags: lowercase + tokenizer
expect_status lowercase_with_a_tokenizer_section_refused 1 "$RUSTGPT" info "$WORK/both.bin"
expect_grep lowercase_with_a_tokenizer_section_says_why "$WORK/err" "flags 0xa: a lowercase vocabulary is the word tokenizer's"
expect_status lowercase_refused_with_bpe 2 "$RUSTGPT" train "$WORK/mixed.json" --lowercase --tokenizer bpe:300
expect_grep lowercase_refused_with_bpe_says_why "$WORK/err" "--lowercase folds the word tokenizer's vocabulary"
expect_status lowercase_refused_with_init 2 "$RUSTGPT" train "$WORK/mixed.json" --lowercase --init "$WORK/lower.bin"
printf '/set temperature abc\n' | "$RUSTGPT" chat --model "$WORK/cased.bin" > "$WORK/out" 2> "$WORK/err"
expect_grep chat_set_names_the_setting "$WORK/err" "^/set temperature: expects a number from 0 to 100, got 'abc'"
if grep -q -- '--temperature' "$WORK/err"; then fail chat_set_does_not_name_the_flag "$(cat "$WORK/err")"
else pass chat_set_does_not_name_the_flag; fi

# make plot draws what a log has, quietly (no validation column here).
if command -v gnuplot > /dev/null 2>&1 && command -v make > /dev/null 2>&1; then
    printf 'step,epoch,stage,lr,train_loss,val_loss,tokens_per_s\n29,1,train,0.0005,6.6,,1000\n58,2,train,0.0005,6.2,,1000\n' \
        > "$WORK/loss.csv"
    env -u MAKEFLAGS -u MFLAGS make -s plot LOG="$WORK/loss.csv" PNG="$WORK/loss.png" > "$WORK/out" 2> "$WORK/err"
    if [ -s "$WORK/loss.png" ] && [ ! -s "$WORK/err" ]; then pass make_plot_without_validation_is_quiet
    else fail make_plot_without_validation_is_quiet "$(head -c 300 "$WORK/err")"; fi
else
    echo "SKIP make_plot_without_validation_is_quiet (gnuplot is not installed; Debian package: gnuplot-nox)"
fi

# Chat stops at the next turn's marker: a model that goes on past its answer
# into "User: ..." answers only its own part.
printf '["User: hi Assistant: hello friend User: what now Assistant: nothing"]\n' > "$WORK/marker.json"
"$RUSTGPT" train "$WORK/marker.json" --dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 16 --epochs 150 \
    --lr 1e-2 -q --out "$WORK/marker.bin" > /dev/null 2>&1
"$RUSTGPT" generate --model "$WORK/marker.bin" --prompt "User: hi Assistant:" > "$WORK/out" 2>&1
if grep -q 'hello friend User' "$WORK/out"; then
    echo hi | "$RUSTGPT" chat --model "$WORK/marker.bin" > "$WORK/out" 2> "$WORK/err"
    if [ "$(cat "$WORK/out")" = "hello friend" ]; then pass chat_answer_stops_at_the_next_turn_marker
    else fail chat_answer_stops_at_the_next_turn_marker "answered: $(cat "$WORK/out")"; fi
else
    fail chat_marker_model_learned_its_text "generate gave: $(cat "$WORK/out")"
fi

# Multi-turn data: {"messages": [...]} rendered turn by turn, as chat keeps
# its history; roles must alternate, user first.
cat > "$WORK/turns.json" << 'JSON'
[{"messages": [{"role": "user", "content": "Tell me about the sun."},
               {"role": "assistant", "content": "The sun is a star."},
               {"role": "user", "content": "How far is it?"},
               {"role": "assistant", "content": "About 150 million kilometres."}]}]
JSON
expect_status messages_train 0 "$RUSTGPT" train "$WORK/turns.json" --dim 8 --heads 2 --hidden 8 --layers 1 \
    --epochs 1 --out "$WORK/turns.bin"
"$RUSTGPT" eval --model "$WORK/turns.bin" "$WORK/turns.json" > "$WORK/out" 2>&1
expect_grep messages_render_every_turn "$WORK/out" "^tokens 31$"  # 8 + 8 + </s> + 7 + 6 + </s>
printf '[{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}]' > "$WORK/bad.json"
expect_status messages_must_alternate 1 "$RUSTGPT" train "$WORK/bad.json" --epochs 1 --out "$WORK/bad.bin"
expect_grep messages_must_alternate_says_where "$WORK/err" "bad.json: entry 1: message 2: role \"user\", expected \"assistant\""
printf '[{"messages": [{"role": "user", "content": "a"}]}]' > "$WORK/bad.json"
expect_status messages_end_with_an_answer 1 "$RUSTGPT" train "$WORK/bad.json" --epochs 1 --out "$WORK/bad.bin"
expect_grep messages_end_with_an_answer_says_so "$WORK/err" "message 1 \(the user's\) has no assistant answer"
