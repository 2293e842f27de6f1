# tests/cli/crosscheck.sh — rustgpt against a second implementation written
# from DESIGN.md in numpy (tests/crosscheck/crosscheck.py): train a small
# model, export it as .safetensors, and compare `rustgpt eval`'s loss with the
# one numpy computes from the exported file alone (to 1e-4 relative). Also
# checks that the .json export holds the same tensors bit for bit, read by
# Python's own JSON parser. Needs python3 with numpy; without it, SKIP.
. tests/cli/lib.sh

PY=
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" > /dev/null 2>&1 && "$candidate" -c 'import numpy' > /dev/null 2>&1; then
        PY=$candidate
        break
    fi
done
if [ -z "$PY" ]; then
    echo "SKIP crosscheck: numpy not available"
    exit 0
fi
CROSSCHECK=tests/crosscheck/crosscheck.py

cat > "$WORK/train.json" <<'JSON'
["The sun rises in the east. </s>",
 "User: what is ice? Assistant: ice is frozen water. </s>",
 "User: where does the sun set? Assistant: in the west, every evening! </s>",
 "Water boils at 100 degrees; it's hot. </s>",
 {"prompt": "what is snow?", "response": "snow is frozen rain."}]
JSON
# one sentence (one example: no question of how examples are averaged), with
# punctuation, an apostrophe, "</s>" glued to a word and a word the model
# has never seen (<unk>)
cat > "$WORK/one.json" <<'JSON'
["User: where does the ice go? Assistant: it's gone, sadly west.</s>"]
JSON
# several examples of different lengths: the mean over all predicted tokens
cat > "$WORK/many.json" <<'JSON'
["The sun rises in the west. </s>",
 "ice is frozen water, in the east!",
 {"prompt": "what is water?", "response": "water is wet."}]
JSON
SMALL="--dim 16 --heads 4 --hidden 32 --layers 2 --seq-len 32 --batch 2 --lr 0.01 --seed 3"

expect_status "crosscheck_train_small_model" 0 \
    "$RUSTGPT" train "$WORK/train.json" $SMALL --epochs 100 -q --out "$WORK/m.bin"
expect_status "crosscheck_export_safetensors" 0 \
    "$RUSTGPT" convert "$WORK/m.bin" "$WORK/m.safetensors"
expect_status "crosscheck_export_json" 0 "$RUSTGPT" convert "$WORK/m.bin" "$WORK/m.json"

if "$PY" "$CROSSCHECK" same-tensors "$WORK/m.safetensors" "$WORK/m.json" > "$WORK/py" 2>&1; then
    pass "crosscheck_json_and_safetensors_hold_the_same_tensors"
else
    fail "crosscheck_json_and_safetensors_hold_the_same_tensors" "$(head -c 600 "$WORK/py")"
fi

# compare_loss NAME DATA: rustgpt eval on the .safetensors export against numpy
compare_loss() {
    "$RUSTGPT" eval --model "$WORK/m.safetensors" "$2" > "$WORK/eval" 2> "$WORK/eval.err" < /dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "$1" "rustgpt eval exited with status $rc" "$(head -c 400 "$WORK/eval.err")"
        return
    fi
    if "$PY" "$CROSSCHECK" loss "$WORK/m.safetensors" "$2" --eval-output "$WORK/eval" \
        > "$WORK/py" 2>&1; then
        pass "$1"
    else
        fail "$1" "$(head -c 800 "$WORK/py")" "rustgpt eval said: $(head -c 300 "$WORK/eval")"
    fi
}

# on the training data the model has fitted (loss ~0.06), every part of the
# forward pass shows: a wrong attention scale, a missing causal mask or a
# different LayerNorm eps each moves the loss by far more than 1e-4
compare_loss "crosscheck_numpy_loss_matches_eval_on_training_data" "$WORK/train.json"
compare_loss "crosscheck_numpy_loss_matches_eval_on_one_sentence" "$WORK/one.json"
compare_loss "crosscheck_numpy_loss_matches_eval_on_several_examples" "$WORK/many.json"
