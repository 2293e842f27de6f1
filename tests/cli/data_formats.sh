# tests/cli/data_formats.sh — `rustgpt train` and `rustgpt eval` on plain
# text (.txt) and JSON Lines (.jsonl): the same data in .json, .jsonl, .txt
# and .csv trains bit-identical models; instruction data and conversations
# in .jsonl; a long document trains as windows, not cut; eval's loss per
# byte; and every bad file is refused with its file and line.
. tests/cli/lib.sh

cd "$WORK" || exit 1
T="--dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 24 --batch 2 --epochs 2 -q"

# expect_same NAME A B: the two model files are byte for byte the same.
expect_same() {
    if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$2 and $3 differ"; fi
}

# expect_error NAME MESSAGE FILE: training on FILE fails (status 1) and
# stderr holds MESSAGE (grep -E).
expect_error() {
    expect_status "$1" 1 "$RUSTGPT" train "$3" $T --out bad.bin
    if grep -Eq -- "$2" err; then pass "$1_message"
    else fail "$1_message" "no match for /$2/ in:" "$(head -c 400 err)"; fi
}

# ---- the same pretraining data in four formats ----------------------------
cat > pre.json <<'EOF'
["the sun is a star .", "the moon is a rock .\nit has no air .", "water is wet ."]
EOF
printf 'the sun is a star .\n\nthe moon is a rock .\nit has no air .\n\n\n  \nwater is wet .\n' > pre.txt
cat > pre.jsonl <<'EOF'
{"text": "the sun is a star ."}
{"text": "the moon is a rock .\nit has no air ."}

{"text": "water is wet ."}
EOF
printf 'text\nthe sun is a star .\n"the moon is a rock .\nit has no air ."\nwater is wet .\n' > pre.csv
for f in json jsonl csv; do "$RUSTGPT" train pre.$f $T --out pre_$f.bin > /dev/null 2>&1; done
expect_status "txt_trains" 0 "$RUSTGPT" train pre.txt $T --out pre_txt.bin
expect_grep "txt_trains_and_saves" out '^saved pre_txt\.bin: '
expect_same "txt_documents_train_as_the_json_texts" pre_json.bin pre_txt.bin
expect_same "jsonl_texts_train_as_the_json_texts" pre_json.bin pre_jsonl.bin
expect_same "csv_texts_train_as_the_json_texts" pre_json.bin pre_csv.bin

# ---- instruction tuning in JSON Lines --------------------------------------
cat > chat.json <<'EOF'
[{"prompt": "what is the sun ?", "response": "the sun is a star ."},
 {"prompt": "what is ice ?", "response": "ice is frozen water ."}]
EOF
cat > chat.jsonl <<'EOF'
{"prompt": "what is the sun ?", "response": "the sun is a star ."}
{"prompt": "what is ice ?", "response": "ice is frozen water ."}
EOF
"$RUSTGPT" train --pretrain pre.txt --chat chat.json $T --mask-prompt --out chat_json.bin > /dev/null 2>&1
expect_status "jsonl_prompt_response_trains_two_stages" 0 \
    "$RUSTGPT" train --pretrain pre.txt --chat chat.jsonl $T --mask-prompt --out chat_jsonl.bin
expect_same "jsonl_pairs_train_as_the_json_pairs" chat_json.bin chat_jsonl.bin
cat > turns.jsonl <<'EOF'
{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello ."}, {"role": "user", "content": "what is ice ?"}, {"role": "assistant", "content": "ice is frozen water ."}]}
EOF
expect_status "jsonl_conversations_train" 0 "$RUSTGPT" train turns.jsonl $T --out turns.bin
expect_status "eval_reads_jsonl" 0 "$RUSTGPT" eval --model chat_jsonl.bin chat.jsonl
expect_grep "eval_scores_jsonl_answers" out '^answers exact [0-9]+/2 '
expect_status "validation_file_may_be_jsonl" 0 "$RUSTGPT" train pre.txt --val chat.jsonl $T --out val.bin
expect_status "bpe_tokenizer_trains_on_txt" 0 "$RUSTGPT" train pre.txt $T --tokenizer bpe:300 --out bpe.bin

# ---- eval: loss per byte ----------------------------------------------------
expect_status "eval_reads_txt" 0 "$RUSTGPT" eval --model pre_txt.bin pre.txt
# 24 + 41 + 19: the three texts, each with its " </s>"
expect_grep "eval_prints_the_bytes" out '^bytes 84$'
awk '$1=="tokens"{t=$2} $1=="loss"{l=$2} $1=="bytes"{b=$2} $1=="loss/byte"{lb=$2}
     END { d = l * t / b - lb; exit !(b > 0 && d < 1e-5 && d > -1e-5) }' out \
    && pass "eval_loss_per_byte_is_the_total_loss_over_the_bytes" \
    || fail "eval_loss_per_byte_is_the_total_loss_over_the_bytes" "$(cat out)"

# ---- one long document trains as windows -----------------------------------
i=0; : > book.txt
while [ $i -lt 40 ]; do echo "line $i of the book goes on and on without a blank line ." >> book.txt; i=$((i + 1)); done
expect_status "a_long_document_trains" 0 "$RUSTGPT" train book.txt $T --out book.bin
if grep -q "were cut" err; then fail "a_long_document_is_not_cut" "$(cat err)"; else pass "a_long_document_is_not_cut"; fi
"$RUSTGPT" eval --model book.bin book.txt > out 2>&1
# every token after the first is a target once: windows of 25 tokens
# (seq-len 24 + 1) overlap by one, so t targets make ceil(t / 24) windows
awk '$1=="examples"{e=$2} $1=="tokens"{t=$2} $1=="cut"{c=$2}
     END { exit !(c == 0 && e > 1 && e == int((t + 23) / 24)) }' out \
    && pass "a_long_document_is_windows_of_the_context" \
    || fail "a_long_document_is_windows_of_the_context" "$(cat out)"

# ---- bad files name the file and the line ----------------------------------
printf 'fine\n\nstill fine\nbad \377 byte\n' > utf8.txt
expect_error "txt_invalid_utf8" '^rustgpt: utf8\.txt:4: invalid UTF-8 at column 5$' utf8.txt
printf '{"text": "a"}\n{"text": "b\0"}\n' > nul.jsonl
expect_error "jsonl_nul_byte" '^rustgpt: nul\.jsonl:2: NUL byte at column 12' nul.jsonl
printf '{"text": "a"}\n\n{"text": "b" "c"}\n' > syntax.jsonl
expect_error "jsonl_bad_json" '^rustgpt: syntax\.jsonl:3: invalid JSON near column' syntax.jsonl
printf '{"text": "a"}\n{"prompt": "p", "response": 7}\n' > type.jsonl
expect_error "jsonl_wrong_field_type" '^rustgpt: type\.jsonl:2: "response" is a number; expected a string$' type.jsonl
: > empty.txt
expect_error "txt_empty_file" '^rustgpt: empty\.txt: file is empty$' empty.txt
printf '\n\n' > empty.jsonl
expect_error "jsonl_blank_file" '^rustgpt: empty\.jsonl: file is empty$' empty.jsonl
mkdir -p folder.txt
expect_error "txt_directory" '^rustgpt: folder\.txt: is a directory, not a regular file$' folder.txt
expect_error "jsonl_missing_file" '^rustgpt: missing\.jsonl: cannot open: No such file' missing.jsonl

expect_status "train_help_names_the_formats" 0 "$RUSTGPT" train --help
expect_grep "train_help_names_the_formats_text" out '\.jsonl, \.csv or \.txt'
