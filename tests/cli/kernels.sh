# tests/cli/kernels.sh — every kernel path this CPU runs, end to end: the
# gradient checks of test_gradients under each RUSTGPT_KERNELS value and on
# one thread, the same loss curve from --threads 1 and --threads 2, a warning
# (not a failure) for an unknown path, and the table of `rustgpt bench`.
# Paths the CPU lacks print SKIP.
. tests/cli/lib.sh

TEST_BIN_DIR=${TEST_BIN_DIR:-$(pwd)/build/tests}

for k in scalar avx2 avx512 neon; do
    name="gradients_pass_with_${k}_kernels"
    if ! "$TEST_BIN_DIR/test_kernels" --has "$k"; then
        echo "SKIP $name (this CPU has no $k)"
        continue
    fi
    RUSTGPT_KERNELS=$k "$TEST_BIN_DIR/test_gradients" > "$WORK/grad" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^PASS' "$WORK/grad" && ! grep -q '^FAIL' "$WORK/grad"; then pass "$name"
    else fail "$name" "exit status $rc" "$(grep -v '^PASS' "$WORK/grad" | head -20)"; fi
done

OMP_NUM_THREADS=1 "$TEST_BIN_DIR/test_gradients" > "$WORK/grad" 2>&1
if [ $? -eq 0 ] && ! grep -q '^FAIL' "$WORK/grad"; then pass "gradients_pass_on_one_thread"
else fail "gradients_pass_on_one_thread" "$(grep -v '^PASS' "$WORK/grad" | head -20)"; fi

cat > "$WORK/data.json" <<'JSON'
["the sun is a star and the moon goes round the earth . </s>",
 "User: what is the sun ? Assistant: the sun is a star . </s>",
 "User: what is ice ? Assistant: ice is frozen water . </s>",
 "water boils at one hundred degrees and freezes at zero . </s>"]
JSON
SMALL="--dim 64 --heads 4 --hidden 128 --layers 2 --seq-len 32 --batch 4 --lr 0.003 --epochs 6"
"$RUSTGPT" train "$WORK/data.json" $SMALL --threads 1 --out "$WORK/one.bin" > "$WORK/one" 2>&1
"$RUSTGPT" train "$WORK/data.json" $SMALL --threads 2 --out "$WORK/two.bin" > "$WORK/two" 2>&1
grep 'epoch' "$WORK/one" > "$WORK/one.loss"
grep 'epoch' "$WORK/two" > "$WORK/two.loss"
if [ -s "$WORK/one.loss" ] && cmp -s "$WORK/one.loss" "$WORK/two.loss"; then
    pass "training_loss_curve_is_the_same_on_1_and_2_threads"
else
    fail "training_loss_curve_is_the_same_on_1_and_2_threads" "1 thread:" "$(cat "$WORK/one")" \
         "2 threads:" "$(cat "$WORK/two")"
fi

RUSTGPT_KERNELS=avx9000 "$RUSTGPT" train "$WORK/data.json" --dim 16 --heads 2 --hidden 32 \
    --layers 1 --epochs 1 --out "$WORK/w.bin" > "$WORK/out" 2> "$WORK/err"
if [ $? -eq 0 ] && grep -q 'RUSTGPT_KERNELS.*avx9000' "$WORK/err"; then
    pass "unknown_kernel_path_warns_and_uses_the_best_one"
else
    fail "unknown_kernel_path_warns_and_uses_the_best_one" "$(head -c 400 "$WORK/err")"
fi

best=scalar
for k in neon avx2 avx512; do "$TEST_BIN_DIR/test_kernels" --has "$k" && best=$k; done
expect_status "bench_runs" 0 "$RUSTGPT" bench --seconds 0 --kernels "$best"
expect_grep "bench_reports_training_at_batch_16" "$WORK/out" '^train batch 16, seq-len 80 +tokens/s'
expect_grep "bench_reports_percent_of_the_measured_peak" "$WORK/out" '% of peak +[0-9.]+%'
expect_grep "bench_reports_generation_per_token" "$WORK/out" '^generation, KV cache +ms/token +[0-9.]+'
expect_grep "bench_reports_decode_product_of_16_rows" "$WORK/out" '^decode product, 16 rows +GFLOP/s +[0-9.]+'
expect_grep "bench_reports_tokenizer_speed" "$WORK/out" '^tokenizer, 1 core +tokens/s'
expect_grep "bench_reports_peak_memory_of_training" "$WORK/out" '^peak RSS, default training +MB +[0-9.]+'
expect_status "bench_rejects_an_unknown_path" 2 "$RUSTGPT" bench --kernels avx9000
