# tests/cli/embed_docs.sh — re-runs the worked example of
# docs/18-embeddings.md and compares each output with the block the chapter
# quotes (fenced blocks ```text embed-doc:NAME), byte for byte.
. tests/cli/lib.sh

PY=/usr/bin/python3
if ! "$PY" -c 'import numpy' > /dev/null 2>&1; then
    echo "SKIP embed_docs: numpy missing (apt-get install python3-numpy)"; exit 0
fi
CHAPTER=docs/18-embeddings.md

quoted() {  # the block NAME of the chapter
    awk -v name="$1" '$0 == "```text embed-doc:" name { on = 1; next } on && /^```/ { exit } on' "$CHAPTER"
}
compare() {  # NAME FILE
    quoted "$1" > "$WORK/want"
    if cmp -s "$WORK/want" "$2"; then pass "embed_docs_$1"
    else fail "embed_docs_$1" "the chapter quotes:" "$(cat "$WORK/want")" "the program prints:" "$(cat "$2")"; fi
}

quoted sentences > "$WORK/sentences.txt"
[ -s "$WORK/sentences.txt" ] && pass embed_docs_sentences || fail embed_docs_sentences "no sentences block"
"$PY" tests/embed/bert_gguf.py make "$WORK/bert.gguf" --layers 2 --dim 64 --heads 4 --ff 128 --ctx 128 --seed 1
(cd "$WORK" && "$RUSTGPT" index --model bert.gguf sentences.txt -o docs.idx 2> index.txt > /dev/null)
compare index "$WORK/index.txt"
(cd "$WORK" && "$RUSTGPT" search docs.idx "frozen water" -k 3 > s1.txt 2> /dev/null)
compare search-frozen "$WORK/s1.txt"
(cd "$WORK" && "$RUSTGPT" search docs.idx "where does the sun rise?" -k 3 > s2.txt 2> /dev/null)
compare search-sun "$WORK/s2.txt"
printf 'frozen water\tice is frozen water\nthe sun in the east\tthe sun rises in the east\na fox and a dog\tthe quick brown fox jumps over the lazy dog\nrain and snow\tsnow and rain fall from the sky\n' > "$WORK/pairs.tsv"
(cd "$WORK" && for p in mean max; do "$RUSTGPT" embed-eval --model bert.gguf --pooling $p pairs.tsv; done > eval.txt 2> /dev/null)
compare eval "$WORK/eval.txt"
