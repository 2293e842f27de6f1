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
