# tests/cli/train_run.sh — a training run that can stop and resume: bit-exact
# resume (after --stop-after and after Ctrl-C), the CSV log, validation.
. tests/cli/lib.sh

cat > "$WORK/tiny.json" <<'JSON'
["the sun is a star . </s>", "the moon is a rock . </s>", "water is wet . </s>",
 "fire is hot . </s>", "ice is cold . </s>",
 "User: what is the sun ? Assistant: the sun is a star . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>"]
JSON
cd "$WORK" || exit 1
OPTS="--pretrain tiny.json --chat tiny.json --dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 24 --batch 2 --epochs 7"

"$RUSTGPT" train $OPTS --out full.bin -q > /dev/null 2>&1
expect_status "stop_after_writes_a_checkpoint" 0 "$RUSTGPT" train $OPTS --out part.bin --stop-after 9
expect_grep "stop_says_where_the_checkpoint_is" err 'checkpoint written to part.ckpt.bin'
# the second leg crosses from pretraining into the chat stage (28 steps each)
expect_status "resume_runs_a_second_leg" 0 "$RUSTGPT" train $OPTS --out part.bin --resume part.ckpt.bin --stop-after 20
expect_status "resume_finishes_the_run" 0 "$RUSTGPT" train $OPTS --out part.bin --resume part.ckpt.bin -q
if cmp -s full.bin part.bin; then pass "resumed_run_is_bit_identical_to_a_straight_run"
else fail "resumed_run_is_bit_identical_to_a_straight_run"; fi

expect_status "resume_with_other_options_is_refused" 1 \
    "$RUSTGPT" train $OPTS --batch 3 --out part.bin --resume part.ckpt.bin
expect_grep "resume_mismatch_is_explained" err 'does not fit this run'

# Ctrl-C: finish the step, write a checkpoint, exit 130. Ten more steps
# from that checkpoint must equal a straight run stopped at the same step.
LONG="--epochs 100000"
"$RUSTGPT" train $OPTS $LONG --out int.bin > out 2> err &
pid=$!
i=0
while [ $i -lt 300 ] && ! grep -q epoch out; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
if [ $rc -eq 130 ] && [ -f int.ckpt.bin ] && [ ! -f int.bin ]; then pass "ctrl_c_checkpoints_and_exits_130"
else fail "ctrl_c_checkpoints_and_exits_130" "status $rc" "$(cat err)"; fi
step=$(sed -n 's/.*stopped at step \([0-9]*\).*/\1/p' err)
"$RUSTGPT" train $OPTS $LONG --out int.bin --resume int.ckpt.bin --stop-after 10 -q > /dev/null 2>&1
"$RUSTGPT" train $OPTS $LONG --out ref.bin --stop-after $((step + 10)) -q > /dev/null 2>&1
if [ -n "$step" ] && cmp -s int.ckpt.bin ref.ckpt.bin; then pass "run_resumed_after_ctrl_c_is_bit_identical"
else fail "run_resumed_after_ctrl_c_is_bit_identical" "interrupted at step '$step'"; fi

# CSV log and validation
expect_status "train_with_log_and_validation" 0 \
    "$RUSTGPT" train tiny.json --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 3 \
    --val-split 0.3 --log log.csv --out v.bin
expect_grep "log_has_the_promised_columns" log.csv '^step,epoch,stage,lr,train_loss,val_loss,tokens_per_s$'
if [ "$(wc -l < log.csv)" -eq 4 ]; then pass "log_has_a_row_per_epoch"; else fail "log_has_a_row_per_epoch" "$(cat log.csv)"; fi
expect_grep "epoch_line_shows_validation" out 'train epoch 3/3: loss [0-9.]+  val [0-9.]+ \(perplexity [0-9.]+\)'
expect_grep "summary_shows_validation" out 'validation [0-9.]+'
expect_status "save_best_keeps_the_best_model" 0 \
    "$RUSTGPT" train tiny.json --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 3 \
    --val-split 0.3 --save-best --out best.bin
expect_grep "save_best_is_reported" out 'best validation'
expect_status "cosine_schedule_with_warmup_trains" 0 \
    "$RUSTGPT" train tiny.json --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 2 \
    --lr-schedule cosine --warmup 3 --weight-decay 0.01 --mask-prompt --out c.bin
expect_status "unknown_schedule_is_a_usage_error" 2 "$RUSTGPT" train tiny.json --lr-schedule step
