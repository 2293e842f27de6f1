# tests/cli/gguf.sh — GGUF files against llama.cpp (npm node-llama-cpp):
#  - tests/gguf/make_gguf.py writes llama (MHA, GQA, MQA), gpt2 and bert
#    files with F32/F16/BF16/Q8_0/Q4_0 tensors and the three tokenizers;
#    llama.cpp loads each, tokenizes and evaluates it; `rustgpt info` lists it
#  - `rustgpt quantize` to Q8_0, Q4_0, Q4_K, Q5_K, Q6_K: llama.cpp loads the
#    result, and the quantized file, dequantized back to F32 by rustgpt,
#    gives llama.cpp the same top tokens with probabilities within 0.03 — so
#    rustgpt's block layouts are llama.cpp's
#  - quantize refuses K-quants for rows that are not multiples of 256
# Needs python3 with numpy (else SKIP); node-llama-cpp for the llama.cpp half.
. tests/cli/lib.sh

PY=
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" > /dev/null 2>&1 && "$candidate" -c 'import numpy' > /dev/null 2>&1; then
        PY=$candidate
        break
    fi
done
if [ -z "$PY" ]; then
    echo "SKIP gguf: numpy not available (apt-get install python3-numpy)"
    exit 0
fi
MAKE_GGUF="$PY tests/gguf/make_gguf.py"
TEXT="Hello world, the cat sat"

# ---- generated files: rustgpt reads them ---------------------------------------------
GENERATED=
gen() {   # gen NAME ARGS...
    gname=$1   # not $name: expect_status sets that
    shift
    if $MAKE_GGUF "$@" --out "$WORK/$gname.gguf" 2> "$WORK/err"; then
        GENERATED="$GENERATED $gname"
        expect_status "info_$gname" 0 "$RUSTGPT" info "$WORK/$gname.gguf"
    else
        fail "make_gguf_$gname" "$(cat "$WORK/err")"
    fi
}
gen llama_f32 --arch llama
gen llama_gqa_f16 --arch llama --kv-heads 2 --type F16
gen llama_mqa_q8 --arch llama --kv-heads 1 --type Q8_0
gen llama_bpe_q4 --arch llama --tokenizer gpt2 --type Q4_0
gen llama_bf16 --arch llama --type BF16
gen gpt2_f32 --arch gpt2
gen gpt2_q8 --arch gpt2 --type Q8_0
gen bert_f16 --arch bert --type F16 --pooling 2

expect_grep info_lists_keys "$WORK/out" 'tokenizer\.ggml\.tokens +string\[\] +\["\[PAD\]", "\[UNK\]"'
"$RUSTGPT" info "$WORK/llama_gqa_f16.gguf" > "$WORK/info" 2>&1
expect_grep info_shows_gqa_shapes "$WORK/info" 'blk\.0\.attn_k\.weight +F16 +\[64, 32\] +4,096'
expect_grep info_sums_parameters "$WORK/info" '^[0-9,]+ parameters in [0-9,]+ bytes of tensor data \(1[0-9]\.[0-9]{2} bits per parameter\)'

# ---- rustgpt quantize ------------------------------------------------------------------
# K-quants need rows of 256: a llama with 256-wide embeddings
$MAKE_GGUF --arch llama --embd 256 --ff 512 --heads 4 --kv-heads 2 --out "$WORK/wide.gguf"
TYPES="Q8_0 Q4_0 Q4_K Q5_K Q6_K"
for type in $TYPES; do
    expect_status "quantize_$type" 0 "$RUSTGPT" quantize "$WORK/wide.gguf" "$WORK/wide_$type.gguf" "$type"
    "$RUSTGPT" info "$WORK/wide_$type.gguf" > "$WORK/info" 2>&1
    if grep -Eq "blk\.0\.ffn_down\.weight +$type " "$WORK/info" && grep -Eq 'output_norm\.weight +F32 ' "$WORK/info"
    then pass "quantize_${type}_types"
    else fail "quantize_${type}_types" "$(head -c 1500 "$WORK/info")"; fi
    # back to F32 through rustgpt's dequantizer
    "$RUSTGPT" quantize "$WORK/wide_$type.gguf" "$WORK/back_$type.gguf" F32 > /dev/null
done
expect_status quantize_refuses_short_rows 1 "$RUSTGPT" quantize "$WORK/llama_f32.gguf" "$WORK/never.gguf" Q4_K
expect_grep quantize_says_why "$WORK/err" "rows of 64 values, not a multiple of 256: Q4_K cannot store it"
if [ ! -e "$WORK/never.gguf" ]; then pass quantize_refusal_writes_nothing; else fail quantize_refusal_writes_nothing; fi
expect_status quantize_unknown_type 2 "$RUSTGPT" quantize "$WORK/llama_f32.gguf" "$WORK/never.gguf" Q3_K

# ---- rustgpt bench quant (a tiny matrix: the table's shape, not its speed) -----------------
expect_status bench_quant_runs 0 "$RUSTGPT" bench quant --rows 64 --cols 512 --seconds 0.01 --threads 1
expect_grep bench_quant_has_bound "$WORK/out" '^memory bound: memcpy of 256 MiB reads [0-9.]+ GB/s'
expect_grep bench_quant_has_q4_k "$WORK/out" '^Q4_K +4\.50 '
expect_status bench_quant_refuses_cols 2 "$RUSTGPT" bench quant --cols 100

# ---- rustgpt bench --model (a few tokens: the report's shape, not its speed) ----------------
expect_status bench_model_runs 0 "$RUSTGPT" bench --model "$WORK/wide_Q4_0.gguf" --prompt 20 --gen 4 --threads 1 \
    --no-llamacpp
expect_grep bench_model_prompt "$WORK/out" '^  prompt \(20 tokens\) +[0-9.]+ +- +-$'
expect_grep bench_model_per_cpu_second "$WORK/out" '^  decode per CPU-second +[0-9.]+ '
expect_grep bench_model_bound "$WORK/out" 'bandwidth bound: [0-9.]+ GB/s copy / [0-9.]+ MB of weights per token'

# ---- llama.cpp: one node process asks about every file -----------------------------------
if ! command -v node > /dev/null 2>&1 || [ ! -d tests/interop/node_modules/node-llama-cpp ]; then
    echo "SKIP gguf_llama_cpp: node-llama-cpp is not installed (make interop-deps)"
    exit 0
fi
FILES=
for g in $GENERATED; do FILES="$FILES $WORK/$g.gguf"; done
for type in $TYPES; do FILES="$FILES $WORK/wide_$type.gguf $WORK/back_$type.gguf"; done
# shellcheck disable=SC2086
timeout 300 node tests/gguf/llama_cpp.mjs "$TEXT" 1 $FILES > "$WORK/llama.jsonl" 2> "$WORK/err"
$PY - "$WORK/llama.jsonl" $GENERATED -- $TYPES <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
args = sys.argv[2:]
generated, types = args[:args.index("--")], args[args.index("--") + 1:]
def report(name, ok, *why):
    print(("PASS " if ok else "FAIL ") + name)
    if not ok:
        for w in why: print("    " + str(w))
i = 0
for g in generated:
    r = lines[i] if i < len(lines) else {"error": "no answer"}
    i += 1
    report("llama_cpp_loads_" + g, "error" not in r and len(r.get("tokens", [])) > 0, r)
for t in types:
    q, b = (lines[i], lines[i + 1]) if i + 1 < len(lines) else ({"error": "no answer"},) * 2
    i += 2
    report("llama_cpp_loads_quantized_" + t, "error" not in q, q)
    if "error" in q or "error" in b:
        report("dequantize_matches_llama_cpp_" + t, False, q, b)
        continue
    # llama.cpp's kernels on rustgpt's blocks, against rustgpt's dequantized floats
    pb = dict(b["top"])
    common = [(tok, p) for tok, p in q["top"] if tok in pb]
    worst = max([abs(p - pb[tok]) for tok, p in common] or [1.0])
    ok = q["tokens"] == b["tokens"] and q["top"][0][0] == b["top"][0][0] and len(common) >= 3 and worst < 0.03
    report("dequantize_matches_llama_cpp_" + t, ok, "largest difference %.4f" % worst, q, b)
PY
