# tests/cli/hostile.sh — hostile data and model files, and hostile text for
# chat and tokenize, through the command line: each gets one clear error
# naming the file and its line or entry, or a defined result, and the guard
# models stay unchanged (the checks: tests/cli/hostile_lib.sh).
. tests/cli/lib.sh
. tests/cli/hostile_lib.sh
hostile_fixtures

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

cd "$ROOT" || exit 1
