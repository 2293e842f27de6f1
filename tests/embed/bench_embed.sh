#!/bin/sh
# bench_embed.sh — `make bench-embed`: rustgpt and llama.cpp embedding the
# same texts with the same MiniLM-shaped BERT (6 layers, width 384, 12
# heads, FFN 1536, random weights from bert_gguf.py), one after the other in
# one run, then a side-by-side table; once with F32 weights and once with
# the same model quantized to Q8_0 by `rustgpt quantize` (rustgpt runs it
# on integer tiles where the CPU has AVX-512 VNNI). THREADS (default 2) for
# both. Rates are by the wall clock and per CPU-second of each process: on a
# shared machine the second compares the code, the first also the load.
#   sh tests/embed/bench_embed.sh [RUSTGPT] [THREADS]
set -e
RUSTGPT=${1:-./rustgpt}
THREADS=${2:-2}
DIR=${BENCH_DIR:-build/bench-embed}
mkdir -p "$DIR"
PY=/usr/bin/python3
[ -f "$DIR/minilm.gguf" ] || "$PY" tests/embed/bert_gguf.py make "$DIR/minilm.gguf" \
    --layers 6 --dim 384 --heads 12 --ff 1536 --ctx 512 --seed 1
# 256 texts of 14 words: 16 tokens with [CLS] and [SEP]
"$PY" - > "$DIR/texts.txt" <<'PYEOF'
import random
random.seed(1)
w = ("the quick brown fox jumps over lazy dog water ice sun rises east west frozen rain snow book "
     "music river mountain house computer language").split()
for i in range(256):
    print(" ".join(random.choice(w) for _ in range(14)))
PYEOF
[ -f "$DIR/minilm-q8_0.gguf" ] || "$RUSTGPT" quantize "$DIR/minilm.gguf" "$DIR/minilm-q8_0.gguf" Q8_0 > /dev/null
for model in minilm minilm-q8_0; do
    echo
    echo "== $DIR/$model.gguf"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
    "$RUSTGPT" bench embed --model "$DIR/$model.gguf" --texts "$DIR/texts.txt" --threads "$THREADS" > "$DIR/ours.txt"
    if [ -d tests/interop/node_modules/node-llama-cpp ]; then
        node tests/embed/bench_llama.mjs "$DIR/$model.gguf" "$DIR/texts.txt" "$THREADS" 3 > "$DIR/llama.txt"
    else
        printf "llama_embed_per_s nan\nllama_embed_per_cpu_s nan\nllama_latency_ms nan\n" > "$DIR/llama.txt"
    fi
    echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
    cat "$DIR/ours.txt" "$DIR/llama.txt" | awk '
        { v[$1] = $2 }
        /^model/ { print; next }
        END {
            printf "%-28s %12s %12s\n", "", "rustgpt", "llama.cpp"
            printf "%-28s %12.1f %12s\n", "embeddings/s, batch 1", v["embed_per_s_batch1"], v["llama_embed_per_s"]
            printf "%-28s %12.1f %12s\n", "embeddings/s, batch 16", v["embed_per_s_batch16"], "-"
            printf "%-28s %12.1f %12s\n", "embeddings/s, batch 64", v["embed_per_s_batch64"], "-"
            printf "%-28s %12.1f %12s\n", "per CPU-second, batch 1", v["embed_per_cpu_s_batch1"], v["llama_embed_per_cpu_s"]
            printf "%-28s %12.1f %12s\n", "per CPU-second, batch 16", v["embed_per_cpu_s_batch16"], "-"
            printf "%-28s %12.1f %12s\n", "per CPU-second, batch 64", v["embed_per_cpu_s_batch64"], "-"
            printf "%-28s %12.2f %12s\n", "latency of one text, ms", v["latency_ms"], v["llama_latency_ms"]
            best = v["embed_per_s_batch1"]
            if (v["embed_per_s_batch16"] > best) best = v["embed_per_s_batch16"]
            if (v["embed_per_s_batch64"] > best) best = v["embed_per_s_batch64"]
            if (v["llama_embed_per_s"] > 0)
                printf "%-28s %12.2fx\n", "best rustgpt / llama.cpp", best / v["llama_embed_per_s"]
            printf "search, %d x %d vectors, ms %9.1f\n", v["search_rows"], v["search_dim"], v["search_ms"]
        }'
done
