# tests/cli/embed_interop.sh — rustgpt's embeddings against llama.cpp's
# (node-llama-cpp's createEmbeddingContext / getEmbeddingFor) and against a
# numpy BERT (tests/embed/bert_gguf.py), on random-weight BERT and
# nomic-bert GGUF files.
#
# For a varied set of texts (short, long, truncated, accented, CJK, Greek,
# punctuation, mixed case): cosine >= 0.9999 with llama.cpp for each pooling
# it offers (mean and cls, as the file declares them), also with F16, Q8_0,
# Q4_0 and Q4_K weights, and with numpy for max and mean-sqrt; normalised
# vectors have unit norm. Needs node with the
# interop packages and python3 with numpy.
. tests/cli/lib.sh

PY=/usr/bin/python3
NODE_MODULES=tests/interop/node_modules/node-llama-cpp
if ! command -v node > /dev/null 2>&1 || [ ! -d "$NODE_MODULES" ]; then
    echo "SKIP embed_interop: node or node-llama-cpp missing (make interop-deps)"; exit 0
fi
if ! "$PY" -c 'import numpy' > /dev/null 2>&1; then
    echo "SKIP embed_interop: numpy missing (apt-get install python3-numpy)"; exit 0
fi
GEN=tests/embed/bert_gguf.py
CHECK=tests/embed/check.py

# The texts: one per line for rustgpt, a JSON list for llama.cpp (the long
# ones as {"text", "max": 64}: llama.cpp refuses inputs longer than the
# context, so it gets the tokens rustgpt keeps: the first 63 and [SEP]).
"$PY" - "$WORK" <<'PYEOF'
import json, sys
work = sys.argv[1]
texts = [
    "the cat sat on the mat", "Hello, World!", "a", "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.",
    "Café naïve résumé — déjà vu", "中文 日本語 text", "α β γ and д ж", "search (embedding) model; 42 + 7 = 49?",
    "running jumped quickly sadness", "unknownword xyzzy qwertyuiop", "  leading and trailing spaces  ",
    "tabs\tin\tthe middle", "e-mail: someone@example.com #tag $5 100%", "Straße Ørsted çedilla niño",
    "the " * 20 + "end",
    " ".join(["water ice sun rises east west frozen rain snow book"] * 12),
    "The river runs over the mountain to the house, and the music of the computer language is new. " * 4,
]
open(f"{work}/texts.txt", "w").write("\n".join(texts) + "\n")
json.dump([{"text": t, "max": 64} for t in texts], open(f"{work}/texts.json", "w"))
PYEOF

# llama_check NAME MODEL [MIN_COSINE]: the texts through llama.cpp and through
# rustgpt, compared text by text
llama_check() {
    node tests/embed/llama_embed.mjs "$2" "$WORK/texts.json" 512 > "$WORK/llama.jsonl" 2> "$WORK/node_err"
    "$RUSTGPT" embed --model "$2" --no-normalize "$WORK/texts.txt" > "$WORK/ours.jsonl" 2> "$WORK/err"
    if [ -s "$WORK/llama.jsonl" ]; then
        "$PY" $CHECK "$1" "$WORK/ours.jsonl" "$WORK/llama.jsonl" ${3:-}
    else
        fail "$1" "node-llama-cpp gave nothing:" "$(head -c 400 "$WORK/node_err")"
    fi
}

for pooling in 1 2; do
    name=$([ $pooling = 1 ] && echo mean || echo cls)
    "$PY" $GEN make "$WORK/bert_$name.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 64 --pooling $pooling --seed $pooling
    llama_check "embed_bert_${name}_matches_llama_cpp" "$WORK/bert_$name.gguf"
    cp "$WORK/llama.jsonl" "$WORK/llama_$name.jsonl"      # its token ids feed numpy below
    expect_grep "embed_bert_${name}_counts_truncations" "$WORK/err" "warning: 2 texts were longer than the context of 64"
done

# f16 weights: the same numbers as llama.cpp (which converts them the same way)
"$PY" $GEN make "$WORK/bert_f16.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 64 --pooling 1 --seed 5 --f16
llama_check embed_bert_f16_matches_llama_cpp "$WORK/bert_f16.gguf"

# quantized weights (rustgpt quantize; on integer tiles where the CPU has
# AVX-512 VNNI): rustgpt and llama.cpp both round the activations to 8 bits
# per block the same way, so the vectors still agree to 0.9999
"$PY" $GEN make "$WORK/bert_256.gguf" --layers 2 --dim 256 --heads 4 --ff 512 --ctx 64 --pooling 1 --seed 6
for type in Q8_0 Q4_0 Q4_K; do
    "$RUSTGPT" quantize "$WORK/bert_256.gguf" "$WORK/bert_$type.gguf" $type > /dev/null
    llama_check "embed_bert_${type}_matches_llama_cpp" "$WORK/bert_$type.gguf"
done

# nomic-bert (rotary positions, fused qkv, SwiGLU, no biases): F32 with
# each pooling, F16, and quantized. Quantizing moves these random-weight
# vectors by far more than the two programs differ (Q4_K: cosine 0.982 to
# the F32 vectors, in rustgpt and llama.cpp alike, while the two agree to
# 0.9998), so the quantized files are held to 0.9999 for Q8_0 and 0.999
# for Q4_K.
for pooling in 1 2; do
    name=$([ $pooling = 1 ] && echo mean || echo cls)
    "$PY" $GEN make "$WORK/nomic_$name.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 64 --pooling $pooling \
        --seed $((pooling + 10)) --nomic
    llama_check "embed_nomic_bert_${name}_matches_llama_cpp" "$WORK/nomic_$name.gguf"
done
"$PY" $GEN make "$WORK/nomic_f16.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 64 --seed 13 --nomic --f16
"$PY" $GEN make "$WORK/nomic_256.gguf" --layers 2 --dim 256 --heads 4 --ff 512 --ctx 64 --seed 14 --nomic
"$RUSTGPT" quantize "$WORK/nomic_256.gguf" "$WORK/nomic_Q8_0.gguf" Q8_0 > /dev/null
"$RUSTGPT" quantize "$WORK/nomic_256.gguf" "$WORK/nomic_Q4_K.gguf" Q4_K > /dev/null
for case in f16:0.9999 Q8_0:0.9999 Q4_K:0.999; do
    llama_check "embed_nomic_bert_${case%%:*}_matches_llama_cpp" "$WORK/nomic_${case%%:*}.gguf" "${case#*:}"
done

# decoders: llama.cpp pools a llama or gpt2 file without pooling_type as
# the last token's hidden state (after the final norm), rustgpt with
# --pooling last. (The gpt2 file asks for a BOS: tokenizer.ggml.add_bos_token.)
"$PY" -c '
import json, sys
texts = [l.rstrip("\n") for l in open(sys.argv[1])]
json.dump([{"text": t, "max": 64} for t in texts], open(sys.argv[2], "w"))' "$WORK/texts.txt" "$WORK/dec.json"
"$PY" tests/gguf/make_gguf.py --arch llama --out "$WORK/llama.gguf" --layers 2 --embd 64 --heads 4 --kv-heads 2 \
    --ff 128 --ctx 64 --tokenizer llama --seed 3 > /dev/null
"$PY" tests/gguf/make_gguf.py --arch gpt2 --out "$WORK/gpt2.gguf" --layers 2 --embd 64 --heads 4 --ff 128 --ctx 64 \
    --tokenizer gpt2 --seed 3 --add-bos 1 > /dev/null
for arch in llama gpt2; do
    node tests/embed/llama_embed.mjs "$WORK/$arch.gguf" "$WORK/dec.json" 512 > "$WORK/llama_$arch.jsonl" 2> "$WORK/node_err"
    "$RUSTGPT" embed --model "$WORK/$arch.gguf" --pooling last --no-normalize "$WORK/texts.txt" > "$WORK/ours_$arch.jsonl" 2> /dev/null
    if [ -s "$WORK/llama_$arch.jsonl" ]; then
        "$PY" $CHECK "embed_${arch}_last_matches_llama_cpp" "$WORK/ours_$arch.jsonl" "$WORK/llama_$arch.jsonl"
    else
        fail "embed_${arch}_last_matches_llama_cpp" "node-llama-cpp gave nothing:" "$(head -c 400 "$WORK/node_err")"
    fi
done

# max and mean-sqrt, which llama.cpp lacks: numpy from llama.cpp's token ids
"$PY" -c '
import json, sys
ids = [json.loads(l)["tokens"] for l in open(sys.argv[1])]
json.dump(ids, open(sys.argv[2], "w"))' "$WORK/llama_mean.jsonl" "$WORK/ids.json"
for pooling in max mean-sqrt mean cls; do
    for arch in bert nomic; do
        model="$WORK/${arch}_mean.gguf"
        "$PY" $GEN ref "$model" "$WORK/ids.json" $pooling > "$WORK/numpy_$pooling.jsonl"
        "$RUSTGPT" embed --model "$model" --pooling $pooling --no-normalize "$WORK/texts.txt" > "$WORK/ours_p.jsonl" 2> /dev/null
        "$PY" $CHECK "embed_$([ $arch = bert ] && echo bert || echo nomic_bert)_${pooling}_matches_numpy" \
            "$WORK/ours_p.jsonl" "$WORK/numpy_$pooling.jsonl"
    done
done

# normalised by default: unit norm
"$RUSTGPT" embed --model "$WORK/bert_cls.gguf" "$WORK/texts.txt" > "$WORK/unit.jsonl" 2> /dev/null
"$PY" $CHECK unit embed_vectors_have_unit_norm "$WORK/unit.jsonl"
