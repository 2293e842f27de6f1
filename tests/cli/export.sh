# tests/cli/export.sh — models leaving rustgpt for llama.cpp, checked by
# llama.cpp itself (node-llama-cpp): a Hugging Face GPT-2 directory
# (random weights from tests/hf/make_hf_gpt2.py, with PyTorch's logits) is
# exported to GGUF, and llama.cpp must tokenize like GPT-2's BPE and give
# PyTorch's next-token probabilities; models trained by rustgpt (fine-tuned
# from it with --init, or from scratch with --arch gpt2 and a BPE tokenizer)
# must export, load in llama.cpp and continue greedily as rustgpt does; a model llama.cpp cannot represent is
# refused with the reason and no file. Needs /usr/bin/python3 with torch.
. tests/cli/lib.sh

NODE_DIR=tests/interop
if ! /usr/bin/python3 -c 'import torch' 2> /dev/null; then
    echo "SKIP export: /usr/bin/python3 has no torch (apt-get install python3-torch)"
    exit 0
fi
mkdir -p "$WORK/hf"
/usr/bin/python3 tests/hf/make_hf_gpt2.py "$WORK/hf" > /dev/null 2>&1 || { fail export_fixture; exit 1; }

expect_status export_hf_checkpoint_to_gguf 0 "$RUSTGPT" export "$WORK/hf" "$WORK/hf.gguf"
IDS=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["ids"])))' "$WORK/hf/reference.json")
TEXT=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$WORK/hf/reference.json")
(cd "$NODE_DIR" && node llama_next.mjs "$WORK/hf.gguf" "$TEXT" "$IDS" 8) > "$WORK/llama.json" 2> "$WORK/llama.err"
if /usr/bin/python3 - "$WORK/hf/reference.json" "$WORK/llama.json" > "$WORK/cmp.txt" 2>&1 <<'PY'
import json, math, sys
ref, got = (json.load(open(p)) for p in sys.argv[1:3])
last = ref["logits"][-1]
m = max(last)
z = sum(math.exp(x - m) for x in last)
worst = max(abs(p - math.exp(last[i] - m) / z) for i, p in got["next"])
print("tokens", got["text_ids"] == ref["text_ids"], "largest probability difference", worst)
sys.exit(0 if got["text_ids"] == ref["text_ids"] and worst < 2e-3 else 1)
PY
then pass export_llama_cpp_agrees_with_pytorch_on_the_exported_file
else fail export_llama_cpp_agrees_with_pytorch_on_the_exported_file "$(cat "$WORK/cmp.txt")" "$(head -c 400 "$WORK/llama.err")"; fi

# Trained by rustgpt, two ways: fine-tuned from the checkpoint (--init), and
# from scratch with --arch gpt2 and a byte-level BPE learned on the data.
# llama.cpp must continue a prompt greedily exactly as rustgpt does.
check_trained() {    # NAME MODEL.bin
    expect_status "export_$1" 0 "$RUSTGPT" export --format gguf "$2" "$WORK/$1.gguf"
    ids=$("$RUSTGPT" tokenize --model "$WORK/$1.gguf" --ids --no-bos "User: what is ice? Assistant:" 2> "$WORK/tok.err")
    "$RUSTGPT" generate --model "$2" --prompt-ids "$ids" --ids --max-tokens 12 > "$WORK/ours.txt" 2>&1
    (cd "$NODE_DIR" && node llama_next.mjs "$WORK/$1.gguf" "x" "$ids" 12) > "$WORK/theirs.json" 2> "$WORK/theirs.err"
    theirs=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["greedy"])))' \
             "$WORK/theirs.json" 2> /dev/null)
    ours=$(tr -s ' \n' '  ' < "$WORK/ours.txt" | sed 's/^ //; s/ $//')
    if [ -n "$ids" ] && [ -n "$theirs" ] && [ "$ours" = "$theirs" ]; then pass "export_llama_cpp_continues_$1_as_rustgpt_does"
    else fail "export_llama_cpp_continues_$1_as_rustgpt_does" "prompt: $ids" "rustgpt:   $ours" "llama.cpp: $theirs" \
        "$(head -c 300 "$WORK/tok.err")" "$(head -c 300 "$WORK/theirs.err")"; fi
}
SMALL="--dim 32 --heads 2 --hidden 64 --layers 1 --threads 1 -q"
"$RUSTGPT" train data/chat.json --init "$WORK/hf" --epochs 1 --threads 1 -q --out "$WORK/finetuned.bin" \
    > /dev/null 2> "$WORK/train.err"
expect_status export_finetuned_model_loads 0 "$RUSTGPT" info "$WORK/finetuned.bin"
expect_grep export_finetuned_model_is_the_gpt2_variant "$WORK/out" '^variant: gpt2'
check_trained finetuned "$WORK/finetuned.bin"
"$RUSTGPT" train data/chat.json --arch gpt2 --tokenizer bpe:400 $SMALL --epochs 2 --out "$WORK/scratch.bin" \
    > /dev/null 2> "$WORK/train.err"
check_trained scratch "$WORK/scratch.bin"

# What llama.cpp cannot represent is refused, and no file is left.
"$RUSTGPT" train data/chat.json $SMALL --epochs 1 --out "$WORK/plain.bin" > /dev/null 2>&1
expect_status export_refuses_rustgpts_own_block 1 "$RUSTGPT" export "$WORK/plain.bin" "$WORK/plain.gguf"
expect_grep export_says_why_the_block_is_refused "$WORK/err" 'train with --arch gpt2'
[ ! -e "$WORK/plain.gguf" ] && pass export_leaves_no_file_when_refused || fail export_leaves_no_file_when_refused
"$RUSTGPT" train data/chat.json --arch gpt2 $SMALL --epochs 1 --out "$WORK/word.bin" > /dev/null 2>&1
expect_status export_refuses_the_word_tokenizer 1 "$RUSTGPT" export "$WORK/word.bin" "$WORK/word.gguf"
expect_grep export_says_why_the_tokenizer_is_refused "$WORK/err" 'byte-level BPE'
expect_status export_wants_a_gguf_name 2 "$RUSTGPT" export "$WORK/word.bin" "$WORK/word.bin2"
