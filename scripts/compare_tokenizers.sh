#!/bin/sh
# scripts/compare_tokenizers.sh — the word tokenizer against a byte-level BPE
# at equal model width, on the same text (docs/14-subword-tokenizers.md).
# `make compare-tokenizers` runs it.
#
#   sh scripts/compare_tokenizers.sh [RUSTGPT]
#
# The text is WordNet's noun definitions (Debian's wordnet-base package,
# /usr/share/wordnet/data.noun): the first N_TRAIN + N_TRAIN/20 glosses, one
# document each in a .txt file, every 21st held out for validation. Each
# tokenizer trains the same model (--dim 64 --layers 2, one epoch) on the
# training file with nothing held out, so the validation file is text the
# tokenizer never saw; `rustgpt eval` then scores it. Printed per
# tokenizer: vocabulary, parameters, training tokens, tokens per second of
# wall-clock and per CPU-second (user + system, the fair figure on a shared
# machine; BPE's own training is inside it), peak memory (GNU time's
# maximum resident set), and on the validation file the unknown tokens and
# the loss per token and per byte. Only loss per byte compares the two:
# their tokens are different units.
#
# Settings (environment): N_TRAIN (10000), DIM (64), LAYERS (2), EPOCHS (1),
# BPE (4096), THREADS (2), WORDNET (/usr/share/wordnet/data.noun).
RUSTGPT=${1:-./rustgpt}
N_TRAIN=${N_TRAIN:-10000}
DIM=${DIM:-64}
LAYERS=${LAYERS:-2}
EPOCHS=${EPOCHS:-1}
BPE=${BPE:-4096}
THREADS=${THREADS:-2}
WORDNET=${WORDNET:-/usr/share/wordnet/data.noun}
TIME=/usr/bin/time

for need in "$RUSTGPT" "$WORDNET" "$TIME"; do
    if [ ! -e "$need" ]; then
        echo "compare_tokenizers: $need is missing (the WordNet data is Debian's wordnet-base," \
             "GNU time is Debian's time)" >&2
        exit 2
    fi
done
case $RUSTGPT in /*) ;; *) RUSTGPT=$(pwd)/$RUSTGPT ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One gloss per document: the text after "| " on each synset line (lines
# that start with two spaces are the licence header).
awk -v n="$N_TRAIN" -v train="$work/train.txt" -v val="$work/val.txt" '
    /^  / { next }
    {
        i = index($0, "| "); if (i == 0) next
        gloss = substr($0, i + 2); sub(/[ \t]+$/, "", gloss)
        k++
        if (k % 21 == 0) print gloss "\n" > val
        else { print gloss "\n" > train; if (++kept == n) exit }
    }' "$WORDNET"
printf 'text: %s definitions for training (%s bytes), %s held out (%s bytes), from %s\n' \
    "$N_TRAIN" "$(wc -c < "$work/train.txt")" "$(grep -c . "$work/val.txt")" \
    "$(wc -c < "$work/val.txt")" "$WORDNET"
printf 'model: --dim %s --layers %s, %s epoch(s), %s threads; load average %s\n\n' \
    "$DIM" "$LAYERS" "$EPOCHS" "$THREADS" "$(cut -d' ' -f1-3 /proc/loadavg)"

printf '%-10s %7s %10s %9s %9s %12s %8s %8s %9s %9s\n' tokenizer vocab params tokens \
    tokens/s tokens/cpu-s "peak MB" "val unk" loss/tok loss/byte
for tok in word "bpe:$BPE"; do
    name=$(echo "$tok" | tr ':' '-')
    if ! $TIME -v "$RUSTGPT" train "$work/train.txt" --tokenizer "$tok" --dim "$DIM" \
            --layers "$LAYERS" --epochs "$EPOCHS" --val-split 0 --threads "$THREADS" \
            --out "$work/$name.bin" > "$work/$name.train" 2> "$work/$name.time"; then
        echo "compare_tokenizers: training with $tok failed:" >&2
        tail -n 5 "$work/$name.time" >&2
        exit 1
    fi
    if ! "$RUSTGPT" eval --model "$work/$name.bin" "$work/val.txt" > "$work/$name.eval" 2>&1; then
        echo "compare_tokenizers: eval with $tok failed:" >&2
        cat "$work/$name.eval" >&2
        exit 1
    fi
    # trained 9,999 examples: 123,456 tokens in 1,250 steps, 60.2 s (2,050 tokens/s)
    # saved X: 2,264,656 parameters, vocabulary 16696
    awk -v tok="$tok" '
        FILENAME ~ /train$/ && /^trained / { gsub(",", ""); tokens = $4; wall = $9 + 0 }
        FILENAME ~ /train$/ && /^saved / { gsub(",", ""); params = $3; vocab = $NF }
        FILENAME ~ /time$/ && /User time/ { cpu += $NF }
        FILENAME ~ /time$/ && /System time/ { cpu += $NF }
        FILENAME ~ /time$/ && /Maximum resident/ { peak = $NF / 1024 }
        FILENAME ~ /eval$/ && $1 == "unknown" { unk = $2 }
        FILENAME ~ /eval$/ && $1 == "loss" { loss = $2 }
        FILENAME ~ /eval$/ && $1 == "loss/byte" { per_byte = $2 }
        END {
            printf "%-10s %7d %10d %9d %9.0f %12.0f %8.1f %8d %9.3f %9.3f\n", tok, vocab, params,
                   tokens, (wall > 0 ? tokens / wall : 0), (cpu > 0 ? tokens / cpu : 0), peak, unk,
                   loss, per_byte
        }' "$work/$name.train" "$work/$name.time" "$work/$name.eval"
done
