# tests/cli/hostile.sh — whatever a user feeds rustgpt, it answers with a
# clear error and keeps their data (the hardening issue, through the command
# line; tests/test_hostile.c does the function-level half).
#
# Every case runs one command and asserts, in one PASS/FAIL line:
#   - the exit status (1 runtime error, 2 usage error);
#   - stderr is one line "rustgpt: ..." matching a pattern that names the
#     problem (the file and its line or entry, or the option), plus the hint
#     "Try 'rustgpt [COMMAND] --help'." after a usage error;
#   - nothing crashed (no signal, no sanitizer report);
#   - the guard models in $G (a .bin, a .json and a .safetensors that many
#     cases try to overwrite) are byte-for-byte unchanged, and no temporary
#     file was left beside them.
# Real failure mechanisms only, since the tests may run as root (where
# chmod stops nothing): a directory or a FIFO where a file should be, paths
# under /proc and /sys, /proc/self/mem (a read error), prlimit --fsize (the
# file-size limit applies to root: a write fails with EFBIG mid-file), a
# 64 KiB tmpfs (disk full) and a read-only remount of it, and setpriv to drop
# to nobody for permission errors. What this machine cannot do is SKIPped
# with the reason. The 1 GB line and the 100 MB dataset are in
# tests/stress.sh (`make stress`): too big for every `make test`.
# HOSTILE_VERBOSE=1 prints every message under its case, for reading them.
. tests/cli/lib.sh
ROOT=$(pwd)

# Under AddressSanitizer an impossible allocation aborts unless told to
# return NULL as the C library does; rustgpt must then report it.
ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

FULL="$WORK/full"
cleanup() {
    mountpoint -q "$FULL" 2> /dev/null && umount "$FULL"
    rm -rf "$WORK"
}
trap cleanup EXIT

skip() { echo "SKIP $1: $2"; }

# ---- fixtures ----------------------------------------------------------------

cat > "$WORK/tiny.json" <<'JSON'
["the sun is a star . </s>",
 "User: what is the sun ? Assistant: the sun is a star . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>"]
JSON
T="--dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 24 --batch 3 --lr 0.01"
G="$WORK/guard"
mkdir -p "$G"
"$RUSTGPT" train "$WORK/tiny.json" $T --epochs 60 -q --out "$G/guard.bin" > /dev/null 2>&1 &&
    "$RUSTGPT" convert "$G/guard.bin" "$G/guard.json" > /dev/null 2>&1 &&
    "$RUSTGPT" convert "$G/guard.bin" "$G/guard.safetensors" > /dev/null 2>&1 ||
    { fail "hostile_fixtures" "could not train the guard model"; exit 1; }
mkdir -p "$WORK/pristine"
cp "$G"/guard.* "$WORK/pristine/"
GUARD="$G/guard.bin"
OUT="--out $GUARD"

# hostile NAME STATUS PATTERN CMD...: the assertions described at the top.
hostile() {
    name=$1 want=$2 pattern=$3
    shift 3
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    why=""
    [ "$got" -eq "$want" ] || why="exit status $got, expected $want"
    lines=$(grep -c '' "$WORK/err")
    if [ "$want" -eq 2 ]; then
        [ "$lines" -eq 2 ] && tail -n 1 "$WORK/err" | grep -Eqx "Try 'rustgpt ([a-z]+ )?--help'\." ||
            why="$why; no usage hint on a second line"
    else
        [ "$lines" -eq 1 ] || why="$why; stderr has $lines lines, not one"
    fi
    head -n 1 "$WORK/err" | grep -q '^rustgpt: ' || why="$why; stderr does not start with 'rustgpt: '"
    head -n 1 "$WORK/err" | grep -Eq -- "$pattern" || why="$why; stderr does not match /$pattern/"
    grep -Eq 'Sanitizer|runtime error|Segmentation|Aborted' "$WORK/err" && why="$why; it crashed"
    for f in "$WORK"/pristine/*; do
        cmp -s "$f" "$G/$(basename "$f")" || why="$why; $(basename "$f") changed"
    done
    [ -z "$(ls -A "$G" | grep '\.tmp\.')" ] || why="$why; a temporary file was left in $G"
    if [ -z "$why" ]; then pass "$name"
    else fail "$name" "${why#; }" "stderr: $(head -c 600 "$WORK/err")"; fi
    [ -z "$HOSTILE_VERBOSE" ] || sed 's/^/    | /' "$WORK/err"
}

# ok NAME CMD...: a control case that must succeed (exit 0, no crash).
ok() {
    name=$1
    shift
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    if [ "$got" -eq 0 ] && ! grep -Eq 'Sanitizer|runtime error' "$WORK/err"; then pass "$name"
    else fail "$name" "exit status $got" "stderr: $(head -c 400 "$WORK/err")"; fi
}

D="$WORK/data"
mkdir -p "$D"
cd "$D" || exit 1
# train ARGS...: a quick training run saving over the guard model unless
# ARGS give another --out (the last one wins).
train() { "$RUSTGPT" train $T --epochs 1 -q $OUT "$@"; }

# ---- data files: shape and type ---------------------------------------------

: > empty.json
hostile "data_empty_json_file" 1 'empty.json: file is empty' train empty.json
printf ' \n\t\r\n' > blank.csv
hostile "data_whitespace_only_csv" 1 'blank.csv: file is empty' train blank.csv
printf '\357\273\277\n' > bom.json
hostile "data_only_a_byte_order_mark" 1 'bom.json: file is empty' train bom.json
printf '\n{"text": "a"}\n' > object.json
hostile "data_json_object_where_an_array_is_expected" 1 \
    'object.json:2: expected a JSON array of strings or objects, found an object' train object.json
printf '"just a string"' > string.json
hostile "data_json_string_at_top_level" 1 'string.json:1: .*found a string' train string.json
printf '[]' > emptyarray.json
hostile "data_json_empty_array" 1 'emptyarray.json:1: the array is empty' train emptyarray.json
printf '["ok", 42]' > number.json
hostile "data_number_among_strings" 1 'number.json: entry 2: expected a string or an object, found a number' train number.json
printf '["ok", "fine", null]' > null.json
hostile "data_null_among_strings" 1 'null.json: entry 3: .*found null' train null.json
printf '["ok", ["nested"]]' > nested.json
hostile "data_array_among_strings" 1 'nested.json: entry 2: .*found an array' train nested.json
printf '[true]' > bool.json
hostile "data_boolean_among_strings" 1 'bool.json: entry 1: .*found a boolean' train bool.json
printf '[{"text": 5}]' > textnum.json
hostile "data_text_field_is_a_number" 1 'textnum.json: entry 1: "text" is a number; expected a string' train textnum.json
printf '[{"text": "a"}, {"prompt": "p"}]' > noresp.json
hostile "data_prompt_without_response" 1 'noresp.json: entry 2: object has "prompt" but no "response"' train noresp.json
printf '[{"txt": "typo"}]' > nofield.json
hostile "data_object_without_usable_fields" 1 'nofield.json: entry 1: object has neither' train nofield.json
printf '[{"text": "a", "text": "b"}]' > dupkey.json
hostile "data_key_given_twice" 1 'dupkey.json: entry 1: "text" appears twice' train dupkey.json
printf '["fine", "  \\n "]' > emptytext.json
hostile "data_blank_text" 1 'emptytext.json: entry 2: text is empty' train emptytext.json
printf '{"format":"rustgpt","version":1}' > modelish.json
hostile "data_a_model_file_given_as_data" 1 'modelish.json:1: expected a JSON array' train modelish.json

# ---- data files: encoding ----------------------------------------------------

printf '["ok", "caf\377"]' > utf8.json
hostile "data_invalid_utf8_json" 1 'utf8.json: entry 2: invalid UTF-8 in text at byte offset 3' train utf8.json
printf '["\300\257"]' > overlong.json
hostile "data_overlong_utf8" 1 'overlong.json: entry 1: invalid UTF-8' train overlong.json
printf '["a\355\240\200"]' > surrogate.json
hostile "data_utf8_encoded_surrogate" 1 'surrogate.json: entry 1: invalid UTF-8' train surrogate.json
printf 'text\nfine\n"multi\nline \376"\n' > utf8.csv
hostile "data_invalid_utf8_csv_names_the_record_line" 1 'utf8.csv:3: invalid UTF-8' train utf8.csv
printf '["a",\n"b\000c"]' > nul.json
hostile "data_nul_byte_json" 1 'nul.json:2: NUL byte' train nul.json
printf 'text\na\nb\000\n' > nul.csv
hostile "data_nul_byte_csv" 1 'nul.csv:3: NUL byte' train nul.csv
printf '["fine", "a\\u0000b"]' > escnul.json
hostile "data_escaped_nul_is_not_silently_cut" 1 'escnul.json: entry 2: a string holds \\u0000' train escnul.json
printf '["\\ud800 alone"]' > lone.json
hostile "data_lone_surrogate_escape" 1 'lone.json:1: invalid JSON' train lone.json
awk 'BEGIN { srand(42); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 256) }' > random.json
hostile "data_random_bytes_as_json" 1 'random.json(:[0-9]+)?: ' train random.json

# ---- data files: syntax --------------------------------------------------------

printf '["a",\n "b",\n "c" "d"]' > comma.json
hostile "data_json_missing_comma_names_the_line" 1 'comma.json:3: invalid JSON near column' train comma.json
printf '["a", "b",]' > trailing.json
hostile "data_json_trailing_comma" 1 'trailing.json:1: trailing comma at column 10' train trailing.json
printf '["a",\n "b"\n' > open.json
hostile "data_json_array_never_closed" 1 'open.json:3: the array is never closed' train open.json
printf '["a"]\n\n["b"]' > after.json
hostile "data_json_text_after_the_array" 1 'after.json:3: unexpected text after' train after.json
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; print "" }' > deep.json
hostile "data_json_nested_100000_deep_is_no_stack_overflow" 1 'deep.json:1: invalid JSON' train deep.json
printf 'a,text\n1,"two\nlines"\n1,2,3\n' > ragged.csv
hostile "data_csv_ragged_row" 1 'ragged.csv:4: row has 3 fields, header has 2' train ragged.csv
printf 'text\nfine\n"never\nclosed\n' > unterminated.csv
hostile "data_csv_unterminated_quote" 1 'unterminated.csv:3: quoted field is never closed' train unterminated.csv
printf 'text\nfine\nbad "quote" here\n' > quote.csv
hostile "data_csv_misplaced_quote" 1 'quote.csv:3: misplaced quote' train quote.csv
printf 'text\n' > header.csv
hostile "data_csv_header_only" 1 'header.csv: no rows after the header' train header.csv
printf 'id,body\n1,hello\n' > columns.csv
hostile "data_csv_without_a_text_column" 1 'columns.csv:1: header has no `text` column' train columns.csv
printf 'text,Text\na,b\n' > twice.csv
hostile "data_csv_column_named_twice" 1 'twice.csv:1: header names `text` twice' train twice.csv
printf 'prompt,response\np,\n' > noanswer.csv
hostile "data_csv_empty_response" 1 'noanswer.csv:2: response is empty' train noanswer.csv

# ---- data files: size ----------------------------------------------------------

# 2 MB in one string, one field: over the 1 MiB limit per text (the 1 GB
# line is in tests/stress.sh).
awk 'BEGIN { s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
             for (i = 0; i < 20000; i++) line = line s; print line }' > twomb.txt
{ printf '["'; tr -d '\n' < twomb.txt; printf '"]'; } > long.json
hostile "data_json_2mb_string" 1 'long.json: entry 1: text is 2,000,000 bytes; the limit is 1,048,576' train long.json
{ printf 'text\nshort\n'; cat twomb.txt; } > long.csv
hostile "data_csv_2mb_field" 1 'long.csv:3: field is more than [0-9,]+ bytes; the limit is 1,048,576' train long.csv
{ printf 'notes,text\n"'; cat twomb.txt; printf '",unused column\n'; } > unused.csv
hostile "data_csv_2mb_field_in_a_column_nobody_reads" 1 'unused.csv:2: field is more than' train unused.csv
awk 'BEGIN { printf "[\""; for (i = 0; i < 600000; i++) printf "\\u00e9"; printf "\"]" }' > escapes.json
hostile "data_oversize_text_hidden_in_escapes" 1 'escapes.json: entry 1: text is 1,200,000 bytes' train escapes.json

# ---- data files: what the path is ------------------------------------------

mkdir -p folder.json
hostile "data_path_is_a_directory" 1 'folder.json: is a directory, not a regular file' train folder.json
mkdir -p folder
hostile "data_directory_without_extension_is_a_directory" 1 'folder: is a directory, not a regular file' train folder
mkfifo pipe.json
hostile "data_path_is_a_fifo_and_nothing_hangs" 1 'pipe.json: is a pipe \(FIFO\), not a regular file' \
    timeout 20 "$RUSTGPT" train pipe.json $T $OUT
hostile "data_missing_file" 1 'missing.json: cannot open: No such file or directory' train missing.json
ln -s /proc/self/mem mem.json
hostile "data_file_that_fails_to_read" 1 'mem.json: read error after 0 bytes: Input/output error' train mem.json
ln -s loop.json loop.json
hostile "data_symlink_loop" 1 'loop.json: cannot open: Too many levels of symbolic links' train loop.json
hostile "data_unknown_extension" 1 'notes.md: unknown data format; use .json, .jsonl, .csv or .txt' train notes.md
hostile "data_bad_second_file_fails_the_whole_run" 1 'number.json: entry 2' \
    "$RUSTGPT" train "$WORK/tiny.json" number.json $T --epochs 1 -q $OUT
hostile "data_bad_validation_file" 1 'null.json: entry 3' train "$WORK/tiny.json" --val null.json
hostile "data_bad_chat_stage_file" 1 'ragged.csv:4' \
    "$RUSTGPT" train --pretrain "$WORK/tiny.json" --chat ragged.csv $T --epochs 1 -q $OUT
hostile "eval_with_bad_data" 1 'utf8.csv:3: invalid UTF-8' "$RUSTGPT" eval --model "$GUARD" utf8.csv

# ---- model files: loading ------------------------------------------------------

head -c 1000 "$GUARD" > truncated.bin
hostile "model_truncated_bin" 1 'truncated.bin: ' "$RUSTGPT" generate --model truncated.bin --prompt hi
cp "$GUARD" flipped.bin
printf '\001' | dd of=flipped.bin bs=1 seek=2000 conv=notrunc 2> /dev/null
hostile "model_flipped_byte_fails_the_checksum" 1 'flipped.bin: .*checksum' "$RUSTGPT" chat --model flipped.bin
: > empty.bin
hostile "model_empty_file" 1 'empty.bin: ' "$RUSTGPT" info empty.bin
head -c 5000 "$G/guard.json" > truncated.json
hostile "model_truncated_json" 1 'truncated.json(:[0-9]+)?: ' "$RUSTGPT" eval --model truncated.json "$WORK/tiny.json"
printf '\377\377\377\377\377\377\377\177{}' > huge_header.safetensors
hostile "model_safetensors_header_length_2_to_63" 1 'huge_header.safetensors: ' \
    "$RUSTGPT" tokenize --model huge_header.safetensors hello
hostile "model_training_data_given_as_a_model" 1 'tiny.json' "$RUSTGPT" info "$WORK/tiny.json"
mkdir -p folder.bin
hostile "model_path_is_a_directory" 1 'folder.bin: is a directory' "$RUSTGPT" generate --model folder.bin --prompt hi
mkfifo pipe.bin
hostile "model_info_on_a_fifo_does_not_hang" 1 'pipe.bin: is a pipe \(FIFO\)' timeout 20 "$RUSTGPT" info pipe.bin
hostile "model_chat_on_a_fifo_does_not_hang" 1 'pipe.bin: is a pipe \(FIFO\)' \
    timeout 20 "$RUSTGPT" chat --model pipe.bin
hostile "model_missing" 1 'nope.bin: cannot open: No such file' "$RUSTGPT" generate --model nope.bin --prompt hi
hostile "resume_from_a_data_file" 1 'tiny.json' train "$WORK/tiny.json" --resume "$WORK/tiny.json"

# Every seed of the model-file fuzz corpora, through the command line: a
# clean load or a clean error, never a crash. (Fuzz regressions live there.)
corpus_ok=1 corpus_n=0
for dir in model_bin model_json model_safetensors; do
    ext=${dir#model_}
    for seed in "$ROOT"/tests/fuzz/corpus/$dir/*; do
        [ -f "$seed" ] || continue
        cp "$seed" "seed.$ext"
        for cmd in info generate; do
            if [ $cmd = info ]; then "$RUSTGPT" info "seed.$ext" > out 2> err
            else "$RUSTGPT" generate --model "seed.$ext" --prompt "the sun" --max-tokens 4 > out 2> err; fi
            rc=$?
            corpus_n=$((corpus_n + 1))
            if [ $rc -gt 1 ] || grep -Eq 'Sanitizer|runtime error' err; then
                corpus_ok=0
                echo "    $dir/$(basename "$seed") ($cmd): status $rc: $(head -c 300 err)"
            fi
        done
    done
done
for dir in data_json data_csv; do
    ext=${dir#data_}
    for seed in "$ROOT"/tests/fuzz/corpus/$dir/*; do
        [ -f "$seed" ] || continue
        cp "$seed" "seed.$ext"
        "$RUSTGPT" eval --model "$GUARD" "seed.$ext" > out 2> err
        rc=$?
        corpus_n=$((corpus_n + 1))
        if [ $rc -gt 1 ] || grep -Eq 'Sanitizer|runtime error' err; then
            corpus_ok=0
            echo "    $dir/$(basename "$seed"): status $rc: $(head -c 300 err)"
        fi
    done
done
if [ $corpus_ok -eq 1 ] && [ $corpus_n -gt 0 ]; then pass "fuzz_corpus_seeds_load_or_fail_cleanly"
else fail "fuzz_corpus_seeds_load_or_fail_cleanly" "$corpus_n runs"; fi

# ---- command line ------------------------------------------------------------

hostile "option_dim_zero" 2 '--dim expects a whole number from 1 to 4096' train "$WORK/tiny.json" --dim 0
hostile "option_dim_negative" 2 '--dim .* got .-16.' train "$WORK/tiny.json" --dim -16
hostile "option_dim_too_large" 2 '--dim .* got .99999.' train "$WORK/tiny.json" --dim 99999
hostile "option_dim_not_a_number" 2 "--dim .* got 'wide'" train "$WORK/tiny.json" --dim wide
hostile "option_dim_empty" 2 "--dim .* got ''" train "$WORK/tiny.json" --dim ''
hostile "option_dim_with_junk_after" 2 "--dim .* got '16x'" train "$WORK/tiny.json" --dim 16x
hostile "option_dim_as_a_float" 2 "--dim .* got '1e3'" train "$WORK/tiny.json" --dim 1e3
hostile "option_heads_must_divide_dim" 2 '--heads 3 must divide --dim 16' \
    "$RUSTGPT" train "$WORK/tiny.json" --dim 16 --heads 3 $OUT
hostile "option_layers_zero" 2 '--layers expects a whole number from 1 to 64' train "$WORK/tiny.json" --layers 0
hostile "option_layers_too_many" 2 '--layers .* got .65.' train "$WORK/tiny.json" --layers 65
hostile "option_seq_len_one" 2 '--seq-len expects a whole number from 2' train "$WORK/tiny.json" --seq-len 1
hostile "option_batch_zero" 2 '--batch expects a whole number from 1 to 256' train "$WORK/tiny.json" --batch 0
hostile "option_epochs_negative" 2 '--epochs .* got .-1.' train "$WORK/tiny.json" --epochs -1
hostile "option_epochs_overflowing_int" 2 '--epochs .* got .99999999999999999999.' \
    train "$WORK/tiny.json" --epochs 99999999999999999999
hostile "option_lr_zero" 2 '--lr expects a number from 1e-09 to 10' train "$WORK/tiny.json" --lr 0
hostile "option_lr_nan" 2 "--lr .* got 'nan'" train "$WORK/tiny.json" --lr nan
hostile "option_lr_infinite" 2 "--lr .* got 'inf'" train "$WORK/tiny.json" --lr inf
hostile "option_lr_underflowing" 2 "--lr .* got '1e-400'" train "$WORK/tiny.json" --lr 1e-400
hostile "option_val_split_above_0.9" 2 '--val-split expects a number from 0 to 0.9' \
    train "$WORK/tiny.json" --val-split 0.95
hostile "option_weight_decay_above_1" 2 '--weight-decay' train "$WORK/tiny.json" --weight-decay 2
hostile "option_seed_negative" 2 "--seed expects a non-negative whole number, got '-1'" \
    train "$WORK/tiny.json" --seed -1
hostile "option_seed_negative_behind_a_space" 2 "--seed .* got ' -1'" train "$WORK/tiny.json" --seed ' -1'
hostile "option_seed_beyond_64_bits" 2 '--seed .* got .18446744073709551616.' \
    train "$WORK/tiny.json" --seed 18446744073709551616
hostile "option_lr_schedule_unknown" 2 "--lr-schedule is constant or cosine, not 'linear'" \
    train "$WORK/tiny.json" --lr-schedule linear
hostile "option_unknown" 2 "train: unknown option '--frobnicate'" train "$WORK/tiny.json" --frobnicate 3
hostile "option_missing_its_value" 2 '--epochs needs a value' "$RUSTGPT" train "$WORK/tiny.json" --epochs
hostile "option_out_unknown_format" 2 '--out model.txt: unknown model format' \
    "$RUSTGPT" train "$WORK/tiny.json" --out model.txt
hostile "option_checkpoint_not_bin" 2 '--checkpoint c.json: checkpoints are .bin files' \
    train "$WORK/tiny.json" --checkpoint c.json
hostile "option_data_and_stages_together" 2 'give DATA files or --pretrain/--chat, not both' \
    train "$WORK/tiny.json" --chat "$WORK/tiny.json"
hostile "option_seventeen_data_files" 2 'at most 16 data files' \
    train a.json b.json c.json d.json e.json f.json g.json h.json i.json j.json k.json l.json m.json \
    n.json o.json p.json q.json
hostile "option_top_p_above_1" 2 '--top-p expects a number from 0 to 1' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --top-p 1.5
hostile "option_top_p_negative" 2 '--top-p .* got .-0.1.' "$RUSTGPT" generate --model "$GUARD" --prompt hi --top-p -0.1
hostile "option_temperature_negative" 2 '--temperature expects a number from 0' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --temperature -1
hostile "option_temperature_nan" 2 "--temperature .* got 'nan'" \
    "$RUSTGPT" chat --model "$GUARD" --temperature nan
hostile "option_top_k_negative" 2 '--top-k expects a whole number from 0' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --top-k -1
hostile "option_max_tokens_zero" 2 '--max-tokens expects a whole number from 1' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --max-tokens 0
hostile "option_beams_zero" 2 '--beams expects a whole number from 1 to 64' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --beams 0
hostile "option_repeat_penalty_zero" 2 '--repeat-penalty expects a number from 0.01' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --repeat-penalty 0
hostile "generate_without_a_prompt" 2 'generate needs --prompt TEXT' "$RUSTGPT" generate --model "$GUARD"
hostile "generate_with_an_empty_prompt" 2 'the prompt is empty' "$RUSTGPT" generate --model "$GUARD" --prompt ''
hostile "tokenize_without_text" 2 'tokenize needs TEXT' "$RUSTGPT" tokenize --model "$GUARD"
hostile "eval_without_data" 2 'eval needs a DATA file' "$RUSTGPT" eval --model "$GUARD"
hostile "info_without_a_file" 2 'usage: rustgpt info FILE' "$RUSTGPT" info
hostile "info_with_two_files" 2 'usage: rustgpt info FILE' "$RUSTGPT" info "$GUARD" "$GUARD"
hostile "convert_with_one_file" 2 'usage: rustgpt convert IN OUT' "$RUSTGPT" convert "$GUARD"
hostile "convert_to_an_unknown_format" 2 'out.txt: unknown model format' "$RUSTGPT" convert "$GUARD" out.txt
hostile "chat_with_a_stray_argument" 2 "chat: unexpected argument 'extra'" "$RUSTGPT" chat --model "$GUARD" extra
hostile "bench_threads_zero" 2 '--threads expects a whole number from 1' "$RUSTGPT" bench --threads 0
hostile "unknown_command" 2 "unknown command 'trian'" "$RUSTGPT" trian "$WORK/tiny.json"

"$RUSTGPT" > "$WORK/out" 2> "$WORK/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -s "$WORK/out" ] && grep -q '^usage:' "$WORK/err"; then pass "no_command_prints_usage_to_stderr_exit_2"
else fail "no_command_prints_usage_to_stderr_exit_2" "status $rc"; fi
for args in "--help" "-h" "help" "train --help" "generate --prompt x --help"; do
    # shellcheck disable=SC2086
    "$RUSTGPT" $args > "$WORK/out" 2> "$WORK/err"
    rc=$?
    name="help_to_stdout_exit_0 ($args)"
    if [ $rc -eq 0 ] && [ ! -s "$WORK/err" ] && grep -q '^usage:' "$WORK/out"; then pass "$name"
    else fail "$name" "status $rc"; fi
done
"$RUSTGPT" --version > "$WORK/out" 2> "$WORK/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$WORK/err" ] && grep -Eq '^rustgpt [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out"; then
    pass "version_to_stdout_exit_0"
else fail "version_to_stdout_exit_0" "status $rc"; fi

# ---- never overwrite what the run reads --------------------------------------

cp "$WORK/tiny.json" mine.json
hostile "out_is_a_data_file" 2 '--out mine.json is also a data file; it would be overwritten' \
    "$RUSTGPT" train mine.json --out mine.json
hostile "out_reaches_a_data_file_through_a_symlink" 2 'is also a data file' \
    sh -c "ln -sf mine.json alias.json && exec \"$RUSTGPT\" train mine.json --out ./alias.json"
hostile "log_is_a_data_file" 2 '--log mine.json is also a data file' train mine.json --log mine.json
hostile "log_is_the_model" 2 '--out and --log name the same file' train mine.json --log "$GUARD"
hostile "checkpoint_is_the_model" 2 '--out and --checkpoint name the same file' train mine.json --checkpoint "$GUARD"
if cmp -s mine.json "$WORK/tiny.json"; then pass "the_data_file_survived_those_attempts"
else fail "the_data_file_survived_those_attempts"; fi

# ---- writing: where it cannot -------------------------------------------------

mkdir -p "$D/already.bin"
hostile "out_is_a_directory" 1 'already.bin: is a directory' train "$WORK/tiny.json" --out "$D/already.bin"
hostile "out_under_proc" 1 '/proc/self/model.bin: cannot create temporary file' \
    train "$WORK/tiny.json" --out /proc/self/model.bin
hostile "out_under_sys" 1 '/sys/model.bin: cannot create temporary file' train "$WORK/tiny.json" --out /sys/model.bin
hostile "out_under_a_file" 1 '/dev/null/model.bin: cannot create temporary file: Not a directory' \
    train "$WORK/tiny.json" --out /dev/null/model.bin
hostile "convert_into_proc" 1 '/proc/self/m.json: cannot create temporary file' \
    "$RUSTGPT" convert "$GUARD" /proc/self/m.json
hostile "log_under_proc" 1 '/proc/self/log.csv: cannot write the log' train "$WORK/tiny.json" --log /proc/self/log.csv
if [ ! -e "$D/already.bin/model.bin" ] && [ -z "$(ls -A "$D/already.bin")" ]; then pass "nothing_was_written_into_the_directory"
else fail "nothing_was_written_into_the_directory"; fi

# ---- writing: results on stdout (/dev/full: every write fails with ENOSPC) ---

if [ -w /dev/full ]; then
    hostile "version_onto_a_full_disk" 1 'cannot write the output: No space left on device' \
        sh -c '"$0" --version > /dev/full' "$RUSTGPT"
    hostile "info_onto_a_full_disk" 1 'cannot write the output: No space left on device' \
        sh -c '"$0" info "$1" > /dev/full' "$RUSTGPT" "$GUARD"
    hostile "generate_onto_a_full_disk" 1 'cannot write the output' \
        sh -c '"$0" generate --model "$1" --prompt "the sun" > /dev/full' "$RUSTGPT" "$GUARD"
else
    skip "stdout_write_failures" "no /dev/full here"
fi

# ---- writing: a file-size limit mid-write (ulimit -f applies to root) ---------

if command -v prlimit > /dev/null 2>&1 && prlimit --fsize=100000 true 2> /dev/null; then
    hostile "train_save_past_the_file_size_limit" 1 'guard.json: write failed: File too large' \
        prlimit --fsize=20000 "$RUSTGPT" train "$WORK/tiny.json" $T --epochs 2 -q --out "$G/guard.json" \
        --checkpoint "$D/limit.ckpt.bin"
    hostile "convert_past_the_file_size_limit" 1 'guard.safetensors: write failed: File too large' \
        prlimit --fsize=3000 "$RUSTGPT" convert "$GUARD" "$G/guard.safetensors"
    hostile "convert_to_json_past_the_file_size_limit" 1 'guard.json: write failed: File too large' \
        prlimit --fsize=5000 "$RUSTGPT" convert "$GUARD" "$G/guard.json"
    # A save that fails after training keeps the run as a checkpoint, when
    # that fits: the limit sits between the checkpoint's size and the JSON's.
    W="--dim 32 --heads 2 --hidden 32 --layers 1 --seq-len 16 --epochs 2 -q"
    "$RUSTGPT" train "$WORK/tiny.json" $W --out probe.json --checkpoint probe.ckpt.bin --stop-after 1 > /dev/null 2>&1
    "$RUSTGPT" train "$WORK/tiny.json" $W --out probe.json --checkpoint probe.ckpt.bin > /dev/null 2>&1
    ckpt=$(wc -c < probe.ckpt.bin) json=$(wc -c < probe.json)
    if [ "$ckpt" -lt "$json" ]; then
        cp "$G/guard.json" before.json
        hostile "failed_save_keeps_the_trained_model_as_a_checkpoint" 1 \
            'guard.json: write failed: File too large; the trained model is kept in .*kept.ckpt.bin' \
            prlimit --fsize=$(((ckpt + json) / 2)) "$RUSTGPT" train "$WORK/tiny.json" $W \
            --out "$G/guard.json" --checkpoint "$D/kept.ckpt.bin"
        ok "the_kept_checkpoint_converts_to_the_model" "$RUSTGPT" convert "$D/kept.ckpt.bin" "$D/kept.json"
    else
        skip "failed_save_keeps_the_trained_model_as_a_checkpoint" "checkpoint ($ckpt) not smaller than JSON ($json)"
    fi
else
    skip "file_size_limit_cases" "prlimit --fsize is not available"
fi

# ---- writing: a full disk and a read-only file system (a 64 KiB tmpfs) --------

mkdir -p "$FULL"
if mount -t tmpfs -o size=64k tmpfs "$FULL" 2> /dev/null; then
    "$RUSTGPT" train "$WORK/tiny.json" --dim 64 --heads 4 --hidden 128 --layers 2 --seq-len 24 --epochs 1 -q \
        --out "$D/big.bin" > /dev/null 2>&1
    cp "$G/guard.bin" "$FULL/keep.bin"
    cp "$G/guard.bin" "$WORK/pristine-full.bin"
    hostile "convert_onto_a_full_disk" 1 'keep.bin: write failed: No space left on device' \
        "$RUSTGPT" convert "$D/big.bin" "$FULL/keep.bin"
    hostile "train_onto_a_full_disk" 1 'keep.bin: write failed: No space left on device' \
        "$RUSTGPT" train "$WORK/tiny.json" --dim 64 --heads 4 --hidden 128 --layers 2 --seq-len 24 \
        --epochs 1 -q --out "$FULL/keep.bin"
    if cmp -s "$FULL/keep.bin" "$WORK/pristine-full.bin" && [ -z "$(ls -A "$FULL" | grep '\.tmp\.')" ]; then
        pass "full_disk_left_the_old_model_and_no_temporary_file"
    else
        fail "full_disk_left_the_old_model_and_no_temporary_file" "$(ls -la "$FULL")"
    fi
    if mount -o remount,ro "$FULL" 2> /dev/null; then
        hostile "train_onto_a_read_only_file_system" 1 'keep.bin: cannot create temporary file: Read-only file system' \
            train "$WORK/tiny.json" --out "$FULL/keep.bin"
        hostile "convert_onto_a_read_only_file_system" 1 'keep.json: cannot create temporary file: Read-only' \
            "$RUSTGPT" convert "$GUARD" "$FULL/keep.json"
        if cmp -s "$FULL/keep.bin" "$WORK/pristine-full.bin"; then pass "read_only_file_system_kept_the_model"
        else fail "read_only_file_system_kept_the_model"; fi
    else
        skip "read_only_file_system_cases" "cannot remount the tmpfs read-only"
    fi
    umount "$FULL"
else
    skip "full_disk_cases" "cannot mount a 64 KiB tmpfs here (not root, or no CAP_SYS_ADMIN)"
fi

# ---- permissions: as an unprivileged user ------------------------------------

# As root chmod stops nothing, so drop to nobody with setpriv; as another
# user, chmod works directly.
AS=""
if [ "$(id -u)" -eq 0 ]; then
    if command -v setpriv > /dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
        AS="setpriv --reuid=65534 --regid=65534 --clear-groups --"
    else
        AS="none"
    fi
fi
P="$WORK/perm"
mkdir -p "$P/ro" "$P/w"
chmod 755 "$WORK" "$P"
chmod 777 "$P/w"
cp "$WORK/tiny.json" "$P/tiny.json"
cp "$WORK/tiny.json" "$P/secret.json"
cp "$G/guard.bin" "$P/ro/keep.bin"
chmod 644 "$P/tiny.json" "$P/ro/keep.bin"
chmod 000 "$P/secret.json"
chmod 555 "$P/ro"
if [ "$AS" = none ]; then
    skip "permission_cases" "running as root without a working setpriv"
elif $AS "$RUSTGPT" --version > /dev/null 2>&1; then
    hostile "data_file_without_read_permission" 1 'secret.json: cannot open: Permission denied' \
        $AS "$RUSTGPT" train "$P/secret.json" $T --out "$P/w/x.bin"
    hostile "out_in_a_read_only_directory" 1 'keep.bin: cannot create temporary file: Permission denied' \
        $AS "$RUSTGPT" train "$P/tiny.json" $T --epochs 1 -q --out "$P/ro/keep.bin"
    if cmp -s "$P/ro/keep.bin" "$G/guard.bin"; then pass "read_only_directory_kept_the_model"
    else fail "read_only_directory_kept_the_model"; fi
else
    skip "permission_cases" "the binary cannot run as nobody here"
fi
chmod 755 "$P/ro"

# ---- memory --------------------------------------------------------------------

# The largest model the options allow needs about 200 GB to train: refused
# up front (or, on a machine that big, when the allocation fails).
hostile "model_too_big_for_memory" 1 'needs [0-9.]+ GiB for training, more than this machine|out of memory' \
    train "$WORK/tiny.json" --dim 4096 --heads 8 --hidden 16384 --layers 64 --seq-len 4096
# A cap on the address space makes a modest allocation fail for real. The
# sanitizers reserve terabytes of address space up front, so a binary built
# with them cannot run under the cap at all: that is SKIPped.
if (ulimit -v 400000 && "$RUSTGPT" --version) > /dev/null 2>&1; then
    hostile "allocation_failure_under_an_address_space_cap" 1 'out of memory' \
        sh -c "ulimit -v 400000 && exec \"$RUSTGPT\" train \"$WORK/tiny.json\" --dim 1024 --heads 8 --hidden 4096 \
        --layers 8 --seq-len 64 --epochs 1 -q --out \"$GUARD\""
else
    skip "allocation_failure_under_an_address_space_cap" "this binary cannot start under ulimit -v (sanitizers)"
fi

# ---- numbers ---------------------------------------------------------------------

# A temperature near 0 divides the logits into overflow (inf); softmax then
# takes the limit, which is the greedy answer.
"$RUSTGPT" generate --model "$GUARD" --prompt "User: what is ice ? Assistant:" > greedy.txt 2> /dev/null
ok "temperature_1e-38_does_not_make_nan" \
    "$RUSTGPT" generate --model "$GUARD" --prompt "User: what is ice ? Assistant:" --temperature 1e-38
if cmp -s "$WORK/out" greedy.txt; then pass "temperature_1e-38_gives_the_greedy_answer"
else fail "temperature_1e-38_gives_the_greedy_answer" "$(cat "$WORK/out")" "greedy: $(cat greedy.txt)"; fi
ok "extreme_sampling_settings_together" "$RUSTGPT" generate --model "$GUARD" --prompt "the sun" \
    --temperature 100 --top-k 1000000 --top-p 0 --repeat-penalty 0.01 --max-tokens 20

# ---- chat and tokenize on hostile text --------------------------------------------

printf 'what is ice ?\n\n\000\000\n\377\376 bad bytes\n' > chat_in
"$RUSTGPT" chat --model "$GUARD" < chat_in > chat_out 2> chat_err
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '' chat_out)" -eq 4 ] && ! grep -Eq 'Sanitizer|runtime error' chat_err; then
    pass "chat_answers_nul_bytes_empty_lines_and_bad_utf8_one_line_each"
else
    fail "chat_answers_nul_bytes_empty_lines_and_bad_utf8_one_line_each" "status $rc, $(grep -c '' chat_out) lines"
fi
tr -d '\n' < twomb.txt > chat_in
echo >> chat_in
"$RUSTGPT" chat --model "$GUARD" < chat_in > chat_out 2> chat_err
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '' chat_out)" -eq 1 ]; then pass "chat_survives_a_2mb_line"
else fail "chat_survives_a_2mb_line" "status $rc" "$(head -c 300 chat_err)"; fi
ok "tokenize_invalid_utf8" "$RUSTGPT" tokenize --model "$GUARD" "$(printf 'caf\377 \300\257 ok')"
ok "tokenize_100kb_of_one_word" "$RUSTGPT" tokenize --model "$GUARD" "$(head -c 100000 twomb.txt)"

# ---- kills at the wrong moment ---------------------------------------------------

# Ctrl-C mid-training: exit 130, a checkpoint, the old model untouched.
"$RUSTGPT" train "$WORK/tiny.json" $T --epochs 1000000 --out "$GUARD" --checkpoint "$D/int.ckpt.bin" \
    --log "$D/int.csv" > /dev/null 2> int_err &
pid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "$D/int.csv" 2> /dev/null | wc -l)" -lt 3 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -INT $pid 2> /dev/null
wait $pid
rc=$?
if [ $rc -eq 130 ] && cmp -s "$GUARD" "$WORK/pristine/guard.bin" && "$RUSTGPT" info "$D/int.ckpt.bin" > /dev/null 2>&1; then
    pass "interrupted_training_exits_130_keeps_the_model_and_checkpoints"
else
    fail "interrupted_training_exits_130_keeps_the_model_and_checkpoints" "status $rc" "$(head -c 300 int_err)"
fi

# kill -9 at random moments of a save: the target is always a complete
# model, the old one or the new one (temporary files may be left behind by
# a process killed outright; they never replace anything).
"$RUSTGPT" train "$WORK/tiny.json" --dim 64 --heads 4 --hidden 256 --layers 4 --seq-len 64 --epochs 1 -q \
    --out "$D/killsrc.bin" > /dev/null 2>&1
cp "$G/guard.json" "$D/victim.json"
killed_ok=1
for delay in 0.01 0.02 0.03 0.05 0.08 0.1 0.13 0.17 0.2 0.25; do
    "$RUSTGPT" convert "$D/killsrc.bin" "$D/victim.json" > /dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    if ! "$RUSTGPT" info "$D/victim.json" > /dev/null 2> kill_err; then
        killed_ok=0
        echo "    after $delay s: $(head -c 200 kill_err)"
    fi
    rm -f "$D"/.victim.json.tmp.*
done
if [ $killed_ok -eq 1 ]; then pass "kill_9_during_a_save_never_leaves_a_broken_model"
else fail "kill_9_during_a_save_never_leaves_a_broken_model"; fi

cd "$ROOT" || exit 1
