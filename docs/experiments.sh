#!/bin/sh
# docs/experiments.sh — re-measure the table of docs/experiments.md.
#
# Trains the README's small model and each one-change variant (one thread,
# seed 42), then prints one Markdown table row per run: parameters, the last
# epoch's training loss of each stage, `rustgpt eval` on data/chat.json, how
# many of the 335 chat answers greedy decoding reproduces exactly, and the
# seconds the training took. Training is chaotic: any change to the model's
# arithmetic (a kernel, a summation order) changes these digits, and for a
# model this small even which answers come out right, so re-run this after
# such a change and paste the rows.
#
#   make && sh docs/experiments.sh            every run (about 5 minutes on one core)
#   sh docs/experiments.sh base mask          only these runs
#
# Run from the repository root. Models and logs go to models/experiments/.
# The "nopos" run builds a patched copy of the source there (see
# docs/experiments.md, "No positional embedding").
set -u
RUSTGPT=${RUSTGPT:-./rustgpt}
OUT=models/experiments
BASE="--dim 64 --heads 4 --hidden 128 --layers 2 --epochs 30 --batch 1 --threads 1 --seed 42 -q"
mkdir -p "$OUT"

# The chat questions, each followed by /clear so that every answer starts
# from an empty context, and the answers they were trained on.
pattern='s/^  "User: \(.*\) Assistant: \(.*\) <\/s>",\{0,1\}$/'
sed -n "${pattern}\\1/p" data/chat.json | awk '{ print; print "/clear" }' > "$OUT/questions.txt"
sed -n "${pattern}\\2/p" data/chat.json > "$OUT/answers.txt"

nopos_binary() {
    if [ ! -x "$OUT/nopos/rustgpt" ]; then
        rm -rf "$OUT/nopos" && mkdir -p "$OUT/nopos" && cp -r Makefile src include "$OUT/nopos/" &&
        sed -i 's/x\[i\] = tok\[i\] + pos\[i\];/x[i] = tok[i] + 0.0f * pos[i];/' \
            "$OUT/nopos/src/archs/layers/embedding.c" &&
        make -C "$OUT/nopos" > "$OUT/nopos/build.log" 2>&1 || return 1
    fi
    echo "$OUT/nopos/rustgpt"
}

# run NAME CHANGE-AS-SHOWN [OPTION ...]
run() {
    name=$1 change=$2
    shift 2
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then return; fi
    binary=$RUSTGPT
    if [ "$name" = nopos ]; then binary=$(nopos_binary) || { echo "nopos: build failed" >&2; return; }; fi
    model=$OUT/$name.bin
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$binary" train $BASE "$@" --log "$OUT/$name.csv" --out "$model" > /dev/null || return
    end=$(date +%s.%N)
    params=$("$binary" info "$model" | awk '/^parameters:/ { print $2 }')
    pretrain=$(awk -F, '$3 == "pretrain" { loss = $5 } END { printf "%.4f", loss }' "$OUT/$name.csv")
    chat=$(awk -F, '$3 == "chat" { loss = $5 } END { printf "%.4f", loss }' "$OUT/$name.csv")
    eval_loss=$("$binary" eval --model "$model" data/chat.json | awk '/^loss/ { printf "%.4f", $2 }')
    "$binary" chat --model "$model" < "$OUT/questions.txt" > "$OUT/$name.answers" 2> /dev/null
    answers=$(awk 'NR == FNR { want[FNR] = $0; next } $0 == want[FNR] { n++ } END { print n + 0 }' \
              "$OUT/answers.txt" "$OUT/$name.answers")
    seconds=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
    echo "| $name | $change | $params | $pretrain | $chat | $eval_loss | $answers | $seconds |"
}

only="$*"
echo "| run | change | parameters | pretrain | chat | eval | answers | seconds |"
echo "|-----|--------|-----------:|---------:|-----:|-----:|--------:|--------:|"
run base "—"
run heads1 "\`--heads 1\`" --heads 1
run heads8 "\`--heads 8\`" --heads 8
run layers1 "\`--layers 1\`" --layers 1
run layers4 "\`--layers 4\`" --layers 4
run hidden32 "\`--hidden 32\`" --hidden 32
run nopos "one line of \`embedding_forward()\`"
run lr1e-4 "\`--lr 1e-4\`" --lr 1e-4
run lr2e-3 "\`--lr 2e-3\`" --lr 2e-3
run mask "\`--mask-prompt\`" --mask-prompt
run batch8 "\`--batch 8\`" --batch 8
run batch8lr "\`--batch 8 --lr 2e-3\`" --batch 8 --lr 2e-3
