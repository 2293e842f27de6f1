# tests/cli/embed.sh — `rustgpt embed`, `index`, `search` and `embed-eval`
# from the outside: output formats, JSONL input, input order, batch and
# thread independence, errors that name the line, truncation refusal, an
# index refusing another model or pooling, and retrieval metrics. Uses a
# random-weight BERT GGUF (tests/embed/bert_gguf.py; needs numpy).
. tests/cli/lib.sh

PY=/usr/bin/python3
if ! "$PY" -c 'import numpy' > /dev/null 2>&1; then
    echo "SKIP embed: numpy missing (apt-get install python3-numpy)"; exit 0
fi
M="$WORK/bert.gguf"
"$PY" tests/embed/bert_gguf.py make "$M" --layers 2 --dim 32 --heads 4 --ff 64 --ctx 32 --seed 3
"$PY" tests/embed/bert_gguf.py make "$WORK/other.gguf" --layers 2 --dim 32 --heads 4 --ff 64 --ctx 32 --seed 4
printf 'the cat sat on the mat\n\nwater is frozen ice\nHello, World!\nthe sun rises in the east\n   \nsnow and rain\n' > "$WORK/t.txt"

expect_status embed_jsonl_output 0 "$RUSTGPT" embed --model "$M" "$WORK/t.txt"
cp "$WORK/out" "$WORK/base.jsonl"
expect_grep embed_reports_dimension_and_count "$WORK/err" "embedded 7 texts, dimension 32, pooling mean, normalized"
"$PY" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["index"] for r in rows] == list(range(7)), "order"
assert all(len(r["embedding"]) == 32 for r in rows), "width"
assert rows[1]["embedding"] == rows[5]["embedding"], "empty and blank lines embed alike"
' "$WORK/base.jsonl" && pass embed_keeps_order_and_defines_empty_lines || fail embed_keeps_order_and_defines_empty_lines

# same vectors whatever the batch size and thread count
same() {  # NAME FILE: FILE's vectors equal base.jsonl's to 1e-6
    "$PY" -c '
import json, sys
a = [json.loads(l)["embedding"] for l in open(sys.argv[1])]
b = [json.loads(l)["embedding"] for l in open(sys.argv[2])]
assert len(a) == len(b) and max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v)) <= 1e-6
' "$WORK/base.jsonl" "$2" && pass "$1" || fail "$1"
}
"$RUSTGPT" embed --model "$M" --batch 1 --threads 1 "$WORK/t.txt" > "$WORK/b1.jsonl" 2> /dev/null
same embed_batch_1_one_thread_equals_default "$WORK/b1.jsonl"
"$RUSTGPT" embed --model "$M" --batch 3 --threads 2 - < "$WORK/t.txt" > "$WORK/b3.jsonl" 2> /dev/null
same embed_batch_3_two_threads_from_stdin_equals_default "$WORK/b3.jsonl"

# same_bits_alone_and_batched NAME MODEL: a text gets the same bits alone
# on one thread as in batches of 3 on two
same_bits_alone_and_batched() {
    "$RUSTGPT" embed --model "$2" --batch 1 --threads 1 "$WORK/t.txt" > "$WORK/alone.jsonl" 2> /dev/null
    "$RUSTGPT" embed --model "$2" --batch 3 --threads 2 "$WORK/t.txt" > "$WORK/batched.jsonl" 2> /dev/null
    if [ -s "$WORK/alone.jsonl" ] && cmp -s "$WORK/alone.jsonl" "$WORK/batched.jsonl"; then pass "$1"
    else fail "$1"; fi
}

# a Q8_0 file (on integer tiles where the CPU has AVX-512 VNNI, else in float)
"$PY" tests/embed/bert_gguf.py make "$WORK/b64.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 32 --seed 3
"$RUSTGPT" quantize "$WORK/b64.gguf" "$WORK/q8.gguf" Q8_0 > /dev/null 2>&1
same_bits_alone_and_batched embed_q8_0_same_bits_alone_and_batched "$WORK/q8.gguf"

# nomic-bert turns q and k by each token's place in its own text, not in
# the packed batch
"$PY" tests/embed/bert_gguf.py make "$WORK/nomic.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 32 --seed 4 --nomic
same_bits_alone_and_batched embed_nomic_bert_same_bits_alone_and_batched "$WORK/nomic.gguf"

# JSONL input with a "text" field gives the same vectors
"$PY" -c '
import json, sys
for line in open(sys.argv[1]): print(json.dumps({"id": 1, "text": line.rstrip("\n")}))' "$WORK/t.txt" > "$WORK/t.jsonl"
"$RUSTGPT" embed --model "$M" "$WORK/t.jsonl" > "$WORK/j.jsonl" 2> /dev/null
same embed_reads_jsonl_text_fields "$WORK/j.jsonl"

# tsv, f32 and npy
"$RUSTGPT" embed --model "$M" --format tsv "$WORK/t.txt" > "$WORK/v.tsv" 2> /dev/null
"$RUSTGPT" embed --model "$M" --format f32 "$WORK/t.txt" > "$WORK/v.f32" 2> /dev/null
"$RUSTGPT" embed --model "$M" --format npy "$WORK/t.txt" > "$WORK/v.npy" 2> /dev/null
"$PY" -c '
import json, sys, numpy as np
base = np.array([json.loads(l)["embedding"] for l in open(sys.argv[1])], dtype=np.float32)
tsv = np.loadtxt(sys.argv[2], dtype=np.float32, delimiter="\t")
f32 = np.fromfile(sys.argv[3], dtype="<f4").reshape(-1, 32)
npy = np.load(sys.argv[4])
assert tsv.shape == f32.shape == npy.shape == (7, 32), (tsv.shape, f32.shape, npy.shape)
assert np.abs(tsv - base).max() < 1e-6 and (f32 == npy).all() and np.abs(f32 - base).max() < 1e-6
' "$WORK/base.jsonl" "$WORK/v.tsv" "$WORK/v.f32" "$WORK/v.npy" && pass embed_tsv_f32_npy_agree || fail embed_tsv_f32_npy_agree

# errors
printf 'fine\nbro\303ken\n' > "$WORK/bad.txt"
expect_status embed_invalid_utf8_fails 1 "$RUSTGPT" embed --model "$M" "$WORK/bad.txt"
expect_grep embed_invalid_utf8_names_the_line "$WORK/err" "bad.txt:2: invalid UTF-8"
printf '{"text": "ok"}\n{"txt": "no"}\n' > "$WORK/bad.jsonl"
expect_status embed_jsonl_without_text_fails 1 "$RUSTGPT" embed --model "$M" "$WORK/bad.jsonl"
expect_grep embed_jsonl_error_names_the_line "$WORK/err" "bad.jsonl:2: expected a JSON object"
"$PY" -c 'print("the " * 40); print("short")' > "$WORK/long.txt"
expect_status embed_truncates_with_a_warning 0 "$RUSTGPT" embed --model "$M" "$WORK/long.txt"
expect_grep embed_truncation_is_counted "$WORK/err" "warning: 1 texts were longer than the context of 32"
expect_status embed_no_truncate_refuses 1 "$RUSTGPT" embed --model "$M" --no-truncate "$WORK/long.txt"
expect_grep embed_no_truncate_names_the_line "$WORK/err" "line 1: is longer than|text 0|line 1"
expect_status embed_needs_a_model 2 "$RUSTGPT" embed "$WORK/t.txt"
expect_status embed_bad_pooling_is_usage 2 "$RUSTGPT" embed --model "$M" --pooling sum "$WORK/t.txt"
expect_status embed_bad_format_is_usage 2 "$RUSTGPT" embed --model "$M" --format xml "$WORK/t.txt"

# index and search
expect_status index_writes_an_index 0 "$RUSTGPT" index --model "$M" "$WORK/t.txt" -o "$WORK/docs.idx"
expect_grep index_reports_what_it_did "$WORK/err" "indexed 7 texts, dimension 32, pooling mean"
expect_status search_finds_the_line_itself 0 "$RUSTGPT" search "$WORK/docs.idx" "water is frozen ice" -k 3
first=$(head -n 1 "$WORK/out")
case "$first" in
    1.0000*"	3	water is frozen ice") pass search_ranks_the_same_text_first ;;
    *) fail search_ranks_the_same_text_first "first hit: $first" ;;
esac
[ "$(wc -l < "$WORK/out")" -eq 3 ] && pass search_prints_k_hits || fail search_prints_k_hits "$(cat "$WORK/out")"
expect_status search_refuses_another_model 1 "$RUSTGPT" search "$WORK/docs.idx" "water" --model "$WORK/other.gguf"
expect_grep search_says_another_model "$WORK/err" "made with another model"
expect_status search_refuses_another_pooling 1 "$RUSTGPT" search "$WORK/docs.idx" "water" --pooling cls
expect_grep search_says_another_pooling "$WORK/err" "made with pooling mean, not cls"
cp "$WORK/docs.idx" "$WORK/broken.idx"
printf 'X' | dd of="$WORK/broken.idx" bs=1 seek=300 conv=notrunc 2> /dev/null
expect_status search_refuses_a_damaged_index 1 "$RUSTGPT" search "$WORK/broken.idx" "water"
expect_grep search_says_damaged "$WORK/err" "damaged"
head -c 100 "$WORK/docs.idx" > "$WORK/short.idx"
expect_status search_refuses_a_truncated_index 1 "$RUSTGPT" search "$WORK/short.idx" "water"

# embed-eval: each query is its own relevant text, so everything ranks first
printf 'the cat sat\tthe cat sat\nwater is frozen ice\twater is frozen ice\nHello, World!\tHello, World!\n' > "$WORK/pairs.tsv"
expect_status embed_eval_runs 0 "$RUSTGPT" embed-eval --model "$M" "$WORK/pairs.tsv"
expect_grep embed_eval_reports_metrics "$WORK/out" "pairs 3  pooling mean  recall@1 1.0000  recall@5 1.0000  MRR 1.0000"
printf 'no tab here\n' > "$WORK/badpairs.tsv"
expect_status embed_eval_needs_tabs 1 "$RUSTGPT" embed-eval --model "$M" "$WORK/badpairs.tsv"
