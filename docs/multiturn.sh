#!/bin/sh
# docs/multiturn.sh — does chat history help? Measures, for the bundled
# multi-turn set data/multiturn.json (24 conversations of three exchanges:
# "Tell me about X." "How big is it?" "What is it made of?"), how many of
# the 72 answers greedy chat reproduces exactly with --history 0 and with
# --history all, for a model of the docs/README.md size trained on the
# bundled data with and without the multi-turn set. The follow-up questions
# are the same in every conversation, so only the earlier turns say what
# "it" is. Usage: sh docs/multiturn.sh [RUSTGPT] (default ./rustgpt).
RUSTGPT=${1:-./rustgpt}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
SMALL="--dim 64 --heads 4 --hidden 128 --layers 2 --epochs 30 --batch 1 --threads 1 -q"

# The user lines, a /clear after each conversation; the expected answers.
python3 - "$OUT" << 'PY'
import json, sys
out = sys.argv[1]
conversations = json.load(open("data/multiturn.json"))
with open(out + "/questions.txt", "w") as q, open(out + "/answers.txt", "w") as a:
    for c in conversations:
        for m in c["messages"]:
            (q if m["role"] == "user" else a).write(m["content"] + "\n")
        q.write("/clear\n")
PY

# exact MODEL HISTORY: answers reproduced word for word, of 72
exact() {
    "$RUSTGPT" chat --model "$1" --history "$2" --max-tokens 25 < "$OUT/questions.txt" 2> /dev/null |
        awk 'NR == FNR { want[FNR] = $0; next } $0 == want[FNR] { n++ } END { print n + 0 }' \
            "$OUT/answers.txt" -
}

"$RUSTGPT" train --pretrain data/pretrain.json --chat data/chat.json $SMALL --out "$OUT/single.bin" > /dev/null
"$RUSTGPT" train --pretrain data/pretrain.json --chat data/chat.json --chat data/multiturn.json $SMALL \
    --out "$OUT/multi.bin" > /dev/null
echo "| trained on | --history 0 | --history all |"
echo "|------------|------------:|--------------:|"
echo "| data/chat.json | $(exact "$OUT/single.bin" 0)/72 | $(exact "$OUT/single.bin" all)/72 |"
echo "| data/chat.json + data/multiturn.json | $(exact "$OUT/multi.bin" 0)/72 | $(exact "$OUT/multi.bin" all)/72 |"
