#!/bin/sh
# gguf_llamacpp.sh — rustgpt against llama.cpp itself (node-llama-cpp) on
# small random-weight GGUF files of each architecture (llama with multi-head,
# grouped-query and multi-query attention, qwen2, gpt2) and tensor type:
# the same tokenization, the same greedy continuation of 32 tokens, and
# next-token probabilities within a tolerance (tests/interop/gguf_compare.mjs).
#
# Tolerances (absolute, on probabilities): 0.002 for F32/F16, whose products
# round the same way in both; 0.04 for the quantized types, where the 8-bit
# rounding of each product's inputs turns differences of 1e-6 upstream
# (summation order) into a changed integer here and there. Measured on these
# files: see the "max |diff|" each check prints.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
GEN="$ROOT/tests/gguf/random_models.py"

if ! [ -d "$ROOT/tests/interop/node_modules/node-llama-cpp" ]; then
    fail gguf_llamacpp "node-llama-cpp is not installed: make interop-deps"
    exit 0
fi

make_model() {   # NAME ARGS...
    name=$1; shift
    "$PY" "$GEN" "$WORK/$name.gguf" "$@" || fail "gguf_make_$name" "random_models.py $*"
}
make_model llama_mha_f32  --arch llama --type F32 --seed 1
make_model llama_gqa_f16  --arch llama --type F16 --kv-heads 2 --seed 2
make_model llama_mqa_q8_0 --arch llama --type Q8_0 --kv-heads 1 --seed 3
make_model llama_q4_0     --arch llama --type Q4_0 --kv-heads 2 --seed 5 --tied
make_model qwen2_q8_0     --arch qwen2 --type Q8_0 --kv-heads 2 --seed 4
make_model gpt2_f32       --arch gpt2 --type F32 --seed 6
make_model gpt2_q8_0      --arch gpt2 --type Q8_0 --seed 10
# K-quants: written by rustgpt quantize from an F32 file
make_model kquant_src     --arch llama --type F32 --kv-heads 2 --seed 7
"$RUSTGPT" quantize "$WORK/kquant_src.gguf" "$WORK/llama_q4_k.gguf" Q4_K > /dev/null || fail gguf_quantize_q4_k
"$RUSTGPT" quantize "$WORK/kquant_src.gguf" "$WORK/llama_q6_k.gguf" Q6_K > /dev/null || fail gguf_quantize_q6_k

cd "$ROOT/tests/interop" && node gguf_compare.mjs "$RUSTGPT" 32 \
    llama_mha_f32="$WORK/llama_mha_f32.gguf":0.002 \
    llama_gqa_f16="$WORK/llama_gqa_f16.gguf":0.002 \
    llama_mqa_q8_0="$WORK/llama_mqa_q8_0.gguf":0.04 \
    llama_q4_0="$WORK/llama_q4_0.gguf":0.04 \
    qwen2_q8_0="$WORK/qwen2_q8_0.gguf":0.04 \
    gpt2_f32="$WORK/gpt2_f32.gguf":0.002 \
    gpt2_q8_0="$WORK/gpt2_q8_0.gguf":0.04 \
    llama_q4_k="$WORK/llama_q4_k.gguf":0.04 \
    llama_q6_k="$WORK/llama_q6_k.gguf":0.04
