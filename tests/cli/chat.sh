# tests/cli/chat.sh — `rustgpt chat` in a script: not a terminal, so no
# banner, no prompt, no colour and one answer line per input line; slash
# commands (their output on stderr); sampling options; unknown words; a
# conversation far longer than the context; `generate --beams`.
# The model is untrained (--epochs 0): these tests are about the tool, not
# about the answers. tests/cli/chat_pty.sh drives a real terminal.
. "$(dirname "$0")/lib.sh"

"$RUSTGPT" train --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 0 -q \
    --out "$WORK/m.bin" > /dev/null 2>&1 || { fail chat_model "could not create a model"; exit 1; }
"$RUSTGPT" train --dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 24 --epochs 0 -q \
    --out "$WORK/short.bin" > /dev/null 2>&1 || { fail chat_model "could not create a model"; exit 1; }

# chat_pipe MODEL [OPTIONS...] < input: stdout in $WORK/out, stderr in
# $WORK/err, status in $status. (Redirect its input from a file: in a
# pipeline it would run in a subshell and $status would be lost.)
chat_pipe() {
    model=$1
    shift
    "$RUSTGPT" chat --model "$model" --max-tokens 8 "$@" > "$WORK/out" 2> "$WORK/err"
    status=$?
}

lines() { wc -l < "$1" | tr -d ' '; }

# A real pipe: the status of a pipeline is its last command's.
printf 'How do mountains form?\nWhat is gravity?\n\nWhy does ice float on water?\n' |
    "$RUSTGPT" chat --model "$WORK/m.bin" --max-tokens 8 > "$WORK/out" 2> "$WORK/err"
status=$?
if [ "$status" -eq 0 ] && [ "$(lines "$WORK/out")" -eq 4 ]; then pass chat_pipe_one_answer_line_per_input_line
else fail chat_pipe_one_answer_line_per_input_line "status $status, $(lines "$WORK/out") lines:" "$(cat "$WORK/out")"; fi
if [ "$(sed -n 3p "$WORK/out")" = "" ] && [ -n "$(sed -n 1p "$WORK/out")" ]; then pass chat_pipe_empty_line_gets_an_empty_line
else fail chat_pipe_empty_line_gets_an_empty_line "$(cat "$WORK/out")"; fi
if ! grep -q 'rustgpt chat\|^> \|/help' "$WORK/out" "$WORK/err" && ! grep -q "$(printf '\033')" "$WORK/out"; then
    pass chat_pipe_has_no_banner_prompt_or_colour
else fail chat_pipe_has_no_banner_prompt_or_colour "$(cat "$WORK/out" "$WORK/err")"; fi

echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" --temperature 1 --seed 7 < "$WORK/in"
cp "$WORK/out" "$WORK/seed7a"
echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" --temperature 1 --seed 7 < "$WORK/in"
cp "$WORK/out" "$WORK/seed7b"
echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" --temperature 1 --seed 8 < "$WORK/in"
if cmp -s "$WORK/seed7a" "$WORK/seed7b" && ! cmp -s "$WORK/seed7a" "$WORK/out"; then pass chat_same_seed_same_answer
else fail chat_same_seed_same_answer "seed 7: $(cat "$WORK/seed7a")" "seed 7: $(cat "$WORK/seed7b")" "seed 8: $(cat "$WORK/out")"; fi

echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" < "$WORK/in"
cp "$WORK/out" "$WORK/greedy"
echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" --temperature 0 --seed 3 < "$WORK/in"
cp "$WORK/out" "$WORK/temp0"
echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" --temperature 1.5 --top-k 1 < "$WORK/in"
if cmp -s "$WORK/greedy" "$WORK/temp0" && cmp -s "$WORK/greedy" "$WORK/out"; then
    pass chat_greedy_equals_temperature_0_and_top_k_1
else fail chat_greedy_equals_temperature_0_and_top_k_1 "$(cat "$WORK/greedy" "$WORK/temp0" "$WORK/out")"; fi

printf '/set max-tokens 3\n/set temperature 0.5\n/set heat 2\n/show\nHow do mountains form?\n/frobnicate\n/exit\nnot answered\n' > "$WORK/in"
chat_pipe "$WORK/m.bin" < "$WORK/in"
if [ "$status" -eq 0 ] && [ "$(lines "$WORK/out")" -eq 1 ]; then pass chat_slash_commands_leave_stdout_to_answers
else fail chat_slash_commands_leave_stdout_to_answers "status $status, stdout:" "$(cat "$WORK/out")"; fi
expect_grep chat_set_reports_the_new_value "$WORK/err" '^max-tokens = 3$'
expect_grep chat_set_rejects_an_unknown_setting "$WORK/err" "unknown setting 'heat'"
expect_grep chat_show_tells_settings_and_model "$WORK/err" 'temperature 0\.5.*top-k 0'
expect_grep chat_show_tells_the_model_file "$WORK/err" "model $WORK/m.bin: [0-9,]+ parameters, vocabulary [0-9]+"
expect_grep chat_unknown_command_says_so "$WORK/err" "unknown command '/frobnicate'"

printf '/help\n/quit\n' > "$WORK/in"
chat_pipe "$WORK/m.bin" < "$WORK/in"
expect_grep chat_help_lists_the_commands "$WORK/err" '/save FILE'

echo "What is a Zorblax and a Quuxle?" > "$WORK/in"
chat_pipe "$WORK/m.bin" < "$WORK/in"
expect_grep chat_names_unknown_words "$WORK/err" 'line 1: not in the vocabulary, read as <unk>: Zorblax, Quuxle'
if [ "$status" -eq 0 ] && [ "$(lines "$WORK/out")" -eq 1 ]; then pass chat_unknown_words_still_get_an_answer
else fail chat_unknown_words_still_get_an_answer "status $status" "$(cat "$WORK/out" "$WORK/err")"; fi

# A line longer than the whole context: its tail is read, and stderr says so.
awk 'BEGIN { for (i = 0; i < 300; i++) printf "rock "; print "How do mountains form?" }' > "$WORK/in"
chat_pipe "$WORK/m.bin" < "$WORK/in"
if [ "$status" -eq 0 ] && [ "$(lines "$WORK/out")" -eq 1 ]; then pass chat_line_longer_than_the_context
else fail chat_line_longer_than_the_context "status $status" "$(cat "$WORK/err")"; fi
expect_grep chat_line_longer_than_the_context_is_reported "$WORK/err" \
    "line 1: too long for the model's context: 309 tokens, only the last [0-9]+ were read"

# 60 questions through a 24-token context: the oldest turns are dropped.
i=0
while [ $i -lt 60 ]; do echo "Why is the sky blue?"; i=$((i + 1)); done > "$WORK/many"
chat_pipe "$WORK/short.bin" --max-tokens 20 --history all < "$WORK/many"
if [ "$status" -eq 0 ] && [ "$(lines "$WORK/out")" -eq 60 ] && [ ! -s "$WORK/err" ]; then
    pass chat_conversation_longer_than_the_context
else fail chat_conversation_longer_than_the_context "status $status, $(lines "$WORK/out") lines" "$(head -c 300 "$WORK/err")"; fi

# --history 0: every line is answered alone, so the same line, the same answer.
printf 'How do mountains form?\nHow do mountains form?\nHow do mountains form?\n' > "$WORK/in"
chat_pipe "$WORK/m.bin" --history 0 < "$WORK/in"
if [ "$status" -eq 0 ] && [ "$(sort -u "$WORK/out" | wc -l)" -eq 1 ] && [ "$(lines "$WORK/out")" -eq 3 ]; then
    pass chat_history_0_answers_each_line_alone
else fail chat_history_0_answers_each_line_alone "status $status" "$(cat "$WORK/out" "$WORK/err")"; fi
expect_status chat_rejects_a_bad_history 2 "$RUSTGPT" chat --model "$WORK/m.bin" --history some

printf 'How do mountains form?\nWhat is gravity?\n/save %s\n' "$WORK/transcript.txt" > "$WORK/in"
chat_pipe "$WORK/m.bin" < "$WORK/in"
if grep -q '^User: How do mountains form?$' "$WORK/transcript.txt" 2>/dev/null &&
   [ "$(grep -c '^Assistant: ' "$WORK/transcript.txt")" -eq 2 ]; then pass chat_save_writes_the_transcript
else fail chat_save_writes_the_transcript "$(cat "$WORK/err")"; fi

echo "How do mountains form?" > "$WORK/in"
chat_pipe "$WORK/m.bin" --beams 4 < "$WORK/in"
if [ "$status" -eq 0 ] && [ "$(lines "$WORK/out")" -eq 1 ]; then pass chat_beam_search
else fail chat_beam_search "status $status" "$(cat "$WORK/err")"; fi

expect_status generate_beam_search 0 "$RUSTGPT" generate --model "$WORK/m.bin" \
    --prompt "User: How do mountains form? Assistant:" --beams 3 --max-tokens 6
expect_status chat_rejects_a_bad_sampling_value 2 "$RUSTGPT" chat --model "$WORK/m.bin" --top-p 1.5
expect_grep chat_bad_value_message "$WORK/err" 'top-p expects a number from 0 to 1'
expect_status chat_missing_model_is_a_runtime_error 1 "$RUSTGPT" chat --model "$WORK/none.bin"
