# tests/cli/bpe_tiktoken.sh — the byte-level BPE against OpenAI's tiktoken
# (npm `tiktoken`, the Rust library built to WebAssembly): exactly the same
# ids for gpt2, r50k_base, cl100k_base and o200k_base on English text made
# from this machine's /usr/share/doc (tests/interop/make_corpus.py) and on
# hostile Unicode (tests/interop/hostile_text.py), specials allowed, plain
# and refused; then the other file forms (tokenizer.json written by
# `rustgpt tokenizer convert`, .tiktoken, vocab.json + merges.txt) give the
# same ids, multi-threaded encoding gives the single-threaded ids, and bad
# files give errors that say where.
. "$(dirname "$0")/lib.sh"
NODE_DIR=tests/interop/node_modules
if ! command -v node > /dev/null || [ ! -d "$NODE_DIR/tiktoken" ]; then
    fail bpe_tiktoken_setup "node and tests/interop/node_modules/tiktoken are needed (make interop-deps)"
    exit 0
fi
export RUSTGPT_DATA="$(pwd)/$NODE_DIR/tiktoken/encoders"
python3 tests/interop/make_corpus.py "$WORK/corpus.txt" 1
python3 tests/interop/hostile_text.py "$WORK/hostile.txt" --specials
python3 tests/interop/hostile_text.py "$WORK/hostile_plain.txt"
# One 60 KB "word" of random letters: the long-piece (heap) merge.
python3 -c "import random,sys; r=random.Random(3); sys.stdout.write(''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(60000)))" > "$WORK/word.txt"

# tiktoken's ids for every (encoding, mode, file), in one node process:
# $WORK/ref.ENCODING.MODE.BASENAME
: > "$WORK/jobs"
for enc in gpt2 r50k_base cl100k_base o200k_base; do
    for job in "plain corpus.txt" "plain hostile.txt" "allow hostile.txt" "refuse hostile_plain.txt" \
               "plain word.txt" "refuse hostile.txt"; do
        set -- $job
        echo "$enc $1 $WORK/$2 $WORK/ref.$enc.$1.$2" >> "$WORK/jobs"
    done
done
node tests/interop/tiktoken_ids.mjs --batch "$WORK/jobs" 2> "$WORK/node_err" ||
    fail bpe_tiktoken_reference_ran "$(head -c 400 "$WORK/node_err")"

# same_ids NAME ENCODING MODE FILE [TOKENIZER]: ours (TOKENIZER, default ENCODING) == tiktoken's.
same_ids() {
    ref="$WORK/ref.$2.$3.$(basename "$4")"
    "$RUSTGPT" tokenize --tokenizer "${5:-$2}" --special "$3" "$4" > "$WORK/ours" 2> "$WORK/err"
    if [ -s "$ref" ] && cmp -s "$ref" "$WORK/ours"; then pass "$1"
    else fail "$1" "tiktoken: $(head -c 200 "$ref" 2> /dev/null)" \
                   "ours:     $(head -c 200 "$WORK/ours") $(head -c 200 "$WORK/err")"; fi
}

for enc in gpt2 r50k_base cl100k_base o200k_base; do
    same_ids "bpe_${enc}_english_text" $enc plain "$WORK/corpus.txt"
    same_ids "bpe_${enc}_hostile_unicode" $enc plain "$WORK/hostile.txt"
    same_ids "bpe_${enc}_specials_allowed" $enc allow "$WORK/hostile.txt"
    same_ids "bpe_${enc}_no_specials_default_mode" $enc refuse "$WORK/hostile_plain.txt"
    same_ids "bpe_${enc}_long_word" $enc plain "$WORK/word.txt"
    # Refused: tiktoken throws, we exit 1 naming the special and its offset.
    expect_status "bpe_${enc}_specials_refused" 1 "$RUSTGPT" tokenize --tokenizer $enc "$WORK/hostile.txt"
    if grep -q REFUSED "$WORK/ref.$enc.refuse.hostile.txt" && grep -q 'special token "<|endoftext|>" at byte' "$WORK/err"; then
        pass "bpe_${enc}_specials_refused_like_tiktoken"
    else fail "bpe_${enc}_specials_refused_like_tiktoken" "$(head -c 100 "$WORK/ref.$enc.refuse.hostile.txt")" "$(cat "$WORK/err")"; fi
done

# The other file forms of the same vocabularies.
"$RUSTGPT" tokenizer convert cl100k_base "$WORK/cl100k.json"
same_ids bpe_tokenizer_json_written_reads_back cl100k_base allow "$WORK/hostile.txt" "$WORK/cl100k.json"
same_ids bpe_tokenizer_json_english cl100k_base plain "$WORK/corpus.txt" "$WORK/cl100k.json"
"$RUSTGPT" tokenizer convert o200k_base "$WORK/o200k.json"
same_ids bpe_tokenizer_json_o200k o200k_base plain "$WORK/hostile.txt" "$WORK/o200k.json"
python3 - "$RUSTGPT_DATA/cl100k_base.json" "$WORK/cl100k_base.tiktoken" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as o:
    for line in d["bpe_ranks"].split("\n"):
        f = line.split(" ")
        for i, tok in enumerate(f[2:]):
            o.write(f"{tok} {int(f[1]) + i}\n")
PY
same_ids bpe_tiktoken_rank_file cl100k_base allow "$WORK/hostile.txt" "$WORK/cl100k_base.tiktoken"
"$RUSTGPT" tokenizer convert gpt2 "$WORK/gpt2.json"
mkdir -p "$WORK/gpt2"
python3 - "$WORK/gpt2.json" "$WORK/gpt2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vocab = dict(d["model"]["vocab"])
for t in d["added_tokens"]:
    vocab[t["content"]] = t["id"]
json.dump(vocab, open(sys.argv[2] + "/vocab.json", "w"), ensure_ascii=False)
open(sys.argv[2] + "/merges.txt", "w").write("#version: 0.2\n" + "\n".join(d["model"]["merges"]) + "\n")
PY
same_ids bpe_gpt2_vocab_json_merges_txt gpt2 plain "$WORK/corpus.txt" "$WORK/gpt2/vocab.json"
same_ids bpe_gpt2_vocab_json_merges_txt_hostile gpt2 allow "$WORK/hostile.txt" "$WORK/gpt2/vocab.json"

# Threads: the file is cut at safe places; the ids are the same.
"$RUSTGPT" tokenize --tokenizer cl100k_base --special plain --threads 1 "$WORK/corpus.txt" > "$WORK/t1"
"$RUSTGPT" tokenize --tokenizer cl100k_base --special plain --threads 4 "$WORK/corpus.txt" > "$WORK/t4"
if [ -s "$WORK/t1" ] && cmp -s "$WORK/t1" "$WORK/t4"; then pass bpe_threads_same_ids; else fail bpe_threads_same_ids; fi
"$RUSTGPT" tokenize --tokenizer cl100k_base --count < "$WORK/corpus.txt" > "$WORK/count"
if [ "$(cat "$WORK/count")" = "$(wc -w < "$WORK/t1" | tr -d ' ')" ]; then pass bpe_count_from_stdin
else fail bpe_count_from_stdin "$(cat "$WORK/count") vs $(wc -w < "$WORK/t1")"; fi
printf 'I'"'"'ve 12345 cats!\n' | "$RUSTGPT" tokenize --tokenizer cl100k_base --pieces > "$WORK/pieces"
expect_grep bpe_pieces_show_the_split "$WORK/pieces" '4513  "123"'

# Bad files: errors that name the place.
printf 'IQ== 0\nIg== 1\n!!bad 2\n' > "$WORK/bad.tiktoken"
expect_status bpe_bad_base64_line_refused 1 "$RUSTGPT" tokenize --tokenizer "$WORK/bad.tiktoken" "$WORK/corpus.txt"
expect_grep bpe_bad_base64_line_named "$WORK/err" 'bad.tiktoken: line 3: bad base64'
printf 'IQ== 0\nIg== 0\n' > "$WORK/dup.tiktoken"
expect_status bpe_duplicate_rank_refused 1 "$RUSTGPT" tokenize --tokenizer "$WORK/dup.tiktoken" "$WORK/corpus.txt"
expect_grep bpe_duplicate_rank_named "$WORK/err" 'dup.tiktoken: line 2: token id 0 given twice'
python3 -c "
import json; d=json.load(open('$WORK/gpt2.json')); del d['model']['merges']; json.dump(d, open('$WORK/nomerges.json','w'))"
expect_status bpe_tokenizer_json_without_merges_refused 1 "$RUSTGPT" tokenize --tokenizer "$WORK/nomerges.json" "$WORK/corpus.txt"
expect_grep bpe_tokenizer_json_without_merges_named "$WORK/err" 'model.merges is missing'
head -c 100000 "$WORK/gpt2.json" > "$WORK/truncated.json"
expect_status bpe_truncated_json_refused 1 "$RUSTGPT" tokenize --tokenizer "$WORK/truncated.json" "$WORK/corpus.txt"
expect_grep bpe_truncated_json_named "$WORK/err" 'truncated.json: not valid JSON'
expect_status bpe_unknown_name_refused 1 "$RUSTGPT" tokenize --tokenizer no_such_base "$WORK/corpus.txt"
expect_grep bpe_unknown_name_says_where "$WORK/err" 'not found: looked for no_such_base.json'
: > "$WORK/empty.txt"
expect_status bpe_empty_input 0 "$RUSTGPT" tokenize --tokenizer cl100k_base --count "$WORK/empty.txt"
expect_grep bpe_empty_input_zero_tokens "$WORK/out" '^0$'

# The trainer: deterministic whatever the threads, and its file reads back.
"$RUSTGPT" tokenizer train --vocab 600 --special '<|endoftext|>' --threads 1 "$WORK/corpus.txt" -o "$WORK/tok1.json" 2> /dev/null
"$RUSTGPT" tokenizer train --vocab 600 --special '<|endoftext|>' --threads 2 "$WORK/corpus.txt" -o "$WORK/tok2.json" 2> /dev/null
if [ -s "$WORK/tok1.json" ] && cmp -s "$WORK/tok1.json" "$WORK/tok2.json"; then pass bpe_train_deterministic
else fail bpe_train_deterministic; fi
"$RUSTGPT" tokenize --tokenizer "$WORK/tok1.json" --special allow "$WORK/hostile.txt" > "$WORK/ids1"
n_vocab=$(python3 -c "import json; d=json.load(open('$WORK/tok1.json')); print(len(d['model']['vocab']) + len(d['added_tokens']), len(d['model']['merges']))")
if [ "$n_vocab" = "600 343" ] && [ -s "$WORK/ids1" ]; then pass bpe_train_vocab_size_and_reload
else fail bpe_train_vocab_size_and_reload "vocab, merges: $n_vocab"; fi
