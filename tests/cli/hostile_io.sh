# tests/cli/hostile_io.sh — hostile options, writes that cannot succeed
# (a directory, /dev/full, a file-size limit, a full or read-only disk, no
# permission), memory limits and extreme numbers: one clear error each, and
# the guard models stay unchanged (the checks: tests/cli/hostile_lib.sh).
. tests/cli/lib.sh
. tests/cli/hostile_lib.sh
hostile_fixtures

# ---- command line ------------------------------------------------------------

hostile "option_dim_zero" 2 '--dim expects a whole number from 1 to 4096' train "$WORK/tiny.json" --dim 0
hostile "option_dim_negative" 2 '--dim .* got .-16.' train "$WORK/tiny.json" --dim -16
hostile "option_dim_too_large" 2 '--dim .* got .99999.' train "$WORK/tiny.json" --dim 99999
hostile "option_dim_not_a_number" 2 "--dim .* got 'wide'" train "$WORK/tiny.json" --dim wide
hostile "option_dim_empty" 2 "--dim .* got ''" train "$WORK/tiny.json" --dim ''
hostile "option_dim_with_junk_after" 2 "--dim .* got '16x'" train "$WORK/tiny.json" --dim 16x
hostile "option_dim_as_a_float" 2 "--dim .* got '1e3'" train "$WORK/tiny.json" --dim 1e3
hostile "option_heads_must_divide_dim" 2 '--heads 3 must divide --dim 16' \
    "$RUSTGPT" train "$WORK/tiny.json" --dim 16 --heads 3 $OUT
hostile "option_layers_zero" 2 '--layers expects a whole number from 1 to 64' train "$WORK/tiny.json" --layers 0
hostile "option_layers_too_many" 2 '--layers .* got .65.' train "$WORK/tiny.json" --layers 65
hostile "option_seq_len_one" 2 '--seq-len expects a whole number from 2' train "$WORK/tiny.json" --seq-len 1
hostile "option_batch_zero" 2 '--batch expects a whole number from 1 to 256' train "$WORK/tiny.json" --batch 0
hostile "option_epochs_negative" 2 '--epochs .* got .-1.' train "$WORK/tiny.json" --epochs -1
hostile "option_epochs_overflowing_int" 2 '--epochs .* got .99999999999999999999.' \
    train "$WORK/tiny.json" --epochs 99999999999999999999
hostile "option_lr_zero" 2 '--lr expects a number from 1e-09 to 10' train "$WORK/tiny.json" --lr 0
hostile "option_lr_nan" 2 "--lr .* got 'nan'" train "$WORK/tiny.json" --lr nan
hostile "option_lr_infinite" 2 "--lr .* got 'inf'" train "$WORK/tiny.json" --lr inf
hostile "option_lr_underflowing" 2 "--lr .* got '1e-400'" train "$WORK/tiny.json" --lr 1e-400
hostile "option_val_split_above_0.9" 2 '--val-split expects a number from 0 to 0.9' \
    train "$WORK/tiny.json" --val-split 0.95
hostile "option_weight_decay_above_1" 2 '--weight-decay' train "$WORK/tiny.json" --weight-decay 2
hostile "option_seed_negative" 2 "--seed expects a non-negative whole number, got '-1'" \
    train "$WORK/tiny.json" --seed -1
hostile "option_seed_negative_behind_a_space" 2 "--seed .* got ' -1'" train "$WORK/tiny.json" --seed ' -1'
hostile "option_seed_beyond_64_bits" 2 '--seed .* got .18446744073709551616.' \
    train "$WORK/tiny.json" --seed 18446744073709551616
hostile "option_lr_schedule_unknown" 2 "--lr-schedule is constant or cosine, not 'linear'" \
    train "$WORK/tiny.json" --lr-schedule linear
hostile "option_unknown" 2 "train: unknown option '--frobnicate'" train "$WORK/tiny.json" --frobnicate 3
hostile "option_missing_its_value" 2 '--epochs needs a value' "$RUSTGPT" train "$WORK/tiny.json" --epochs
hostile "option_out_unknown_format" 2 '--out model.txt: unknown model format' \
    "$RUSTGPT" train "$WORK/tiny.json" --out model.txt
hostile "option_checkpoint_not_bin" 2 '--checkpoint c.json: checkpoints are .bin files' \
    train "$WORK/tiny.json" --checkpoint c.json
hostile "option_data_and_stages_together" 2 'give DATA files or --pretrain/--chat, not both' \
    train "$WORK/tiny.json" --chat "$WORK/tiny.json"
hostile "option_seventeen_data_files" 2 'at most 16 data files' \
    train a.json b.json c.json d.json e.json f.json g.json h.json i.json j.json k.json l.json m.json \
    n.json o.json p.json q.json
hostile "option_top_p_above_1" 2 '--top-p expects a number from 0 to 1' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --top-p 1.5
hostile "option_top_p_negative" 2 '--top-p .* got .-0.1.' "$RUSTGPT" generate --model "$GUARD" --prompt hi --top-p -0.1
hostile "option_temperature_negative" 2 '--temperature expects a number from 0' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --temperature -1
hostile "option_temperature_nan" 2 "--temperature .* got 'nan'" \
    "$RUSTGPT" chat --model "$GUARD" --temperature nan
hostile "option_top_k_negative" 2 '--top-k expects a whole number from 0' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --top-k -1
hostile "option_max_tokens_zero" 2 '--max-tokens expects a whole number from 1' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --max-tokens 0
hostile "option_beams_zero" 2 '--beams expects a whole number from 1 to 64' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --beams 0
hostile "option_repeat_penalty_zero" 2 '--repeat-penalty expects a number from 0.01' \
    "$RUSTGPT" generate --model "$GUARD" --prompt hi --repeat-penalty 0
hostile "generate_without_a_prompt" 2 'generate needs --prompt TEXT' "$RUSTGPT" generate --model "$GUARD"
hostile "generate_with_an_empty_prompt" 2 'the prompt is empty' "$RUSTGPT" generate --model "$GUARD" --prompt ''
hostile "tokenize_without_text" 2 'tokenize needs TEXT' "$RUSTGPT" tokenize --model "$GUARD"
hostile "eval_without_data" 2 'eval needs a DATA file' "$RUSTGPT" eval --model "$GUARD"
hostile "info_without_a_file" 2 'usage: rustgpt info FILE' "$RUSTGPT" info
hostile "info_with_two_files" 2 'usage: rustgpt info FILE' "$RUSTGPT" info "$GUARD" "$GUARD"
hostile "convert_with_one_file" 2 'usage: rustgpt convert IN OUT' "$RUSTGPT" convert "$GUARD"
hostile "convert_to_an_unknown_format" 2 'out.txt: unknown model format' "$RUSTGPT" convert "$GUARD" out.txt
hostile "chat_with_a_stray_argument" 2 "chat: unexpected argument 'extra'" "$RUSTGPT" chat --model "$GUARD" extra
hostile "bench_threads_zero" 2 '--threads expects a whole number from 1' "$RUSTGPT" bench --threads 0
hostile "unknown_command" 2 "unknown command 'trian'" "$RUSTGPT" trian "$WORK/tiny.json"

"$RUSTGPT" > "$WORK/out" 2> "$WORK/err"
rc=$?
if [ $rc -eq 2 ] && [ ! -s "$WORK/out" ] && grep -q '^usage:' "$WORK/err"; then pass "no_command_prints_usage_to_stderr_exit_2"
else fail "no_command_prints_usage_to_stderr_exit_2" "status $rc"; fi
for args in "--help" "-h" "help" "train --help" "generate --prompt x --help"; do
    # shellcheck disable=SC2086
    "$RUSTGPT" $args > "$WORK/out" 2> "$WORK/err"
    rc=$?
    name="help_to_stdout_exit_0 ($args)"
    if [ $rc -eq 0 ] && [ ! -s "$WORK/err" ] && grep -q '^usage:' "$WORK/out"; then pass "$name"
    else fail "$name" "status $rc"; fi
done
"$RUSTGPT" --version > "$WORK/out" 2> "$WORK/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$WORK/err" ] && grep -Eq '^rustgpt [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out"; then
    pass "version_to_stdout_exit_0"
else fail "version_to_stdout_exit_0" "status $rc"; fi

# ---- never overwrite what the run reads --------------------------------------

cp "$WORK/tiny.json" mine.json
hostile "out_is_a_data_file" 2 '--out mine.json is also a data file; it would be overwritten' \
    "$RUSTGPT" train mine.json --out mine.json
hostile "out_reaches_a_data_file_through_a_symlink" 2 'is also a data file' \
    sh -c "ln -sf mine.json alias.json && exec \"$RUSTGPT\" train mine.json --out ./alias.json"
hostile "log_is_a_data_file" 2 '--log mine.json is also a data file' train mine.json --log mine.json
hostile "log_is_the_model" 2 '--out and --log name the same file' train mine.json --log "$GUARD"
hostile "checkpoint_is_the_model" 2 '--out and --checkpoint name the same file' train mine.json --checkpoint "$GUARD"
if cmp -s mine.json "$WORK/tiny.json"; then pass "the_data_file_survived_those_attempts"
else fail "the_data_file_survived_those_attempts"; fi

# ---- writing: where it cannot -------------------------------------------------

mkdir -p "$D/already.bin"
hostile "out_is_a_directory" 1 'already.bin: is a directory' train "$WORK/tiny.json" --out "$D/already.bin"
hostile "out_under_proc" 1 '/proc/self/model.bin: cannot create temporary file' \
    train "$WORK/tiny.json" --out /proc/self/model.bin
hostile "out_under_sys" 1 '/sys/model.bin: cannot create temporary file' train "$WORK/tiny.json" --out /sys/model.bin
hostile "out_under_a_file" 1 '/dev/null/model.bin: cannot create temporary file: Not a directory' \
    train "$WORK/tiny.json" --out /dev/null/model.bin
hostile "convert_into_proc" 1 '/proc/self/m.json: cannot create temporary file' \
    "$RUSTGPT" convert "$GUARD" /proc/self/m.json
hostile "log_under_proc" 1 '/proc/self/log.csv: cannot write the log' train "$WORK/tiny.json" --log /proc/self/log.csv
if [ ! -e "$D/already.bin/model.bin" ] && [ -z "$(ls -A "$D/already.bin")" ]; then pass "nothing_was_written_into_the_directory"
else fail "nothing_was_written_into_the_directory"; fi

# ---- writing: results on stdout (/dev/full: every write fails with ENOSPC) ---

if [ -w /dev/full ]; then
    hostile "version_onto_a_full_disk" 1 'cannot write the output: No space left on device' \
        sh -c '"$0" --version > /dev/full' "$RUSTGPT"
    hostile "info_onto_a_full_disk" 1 'cannot write the output: No space left on device' \
        sh -c '"$0" info "$1" > /dev/full' "$RUSTGPT" "$GUARD"
    hostile "generate_onto_a_full_disk" 1 'cannot write the output' \
        sh -c '"$0" generate --model "$1" --prompt "the sun" > /dev/full' "$RUSTGPT" "$GUARD"
else
    skip "stdout_write_failures" "no /dev/full here"
fi

# ---- writing: a file-size limit mid-write (ulimit -f applies to root) ---------

if command -v prlimit > /dev/null 2>&1 && prlimit --fsize=100000 true 2> /dev/null; then
    hostile "train_save_past_the_file_size_limit" 1 'guard.json: write failed: File too large' \
        prlimit --fsize=20000 "$RUSTGPT" train "$WORK/tiny.json" $T --epochs 2 -q --out "$G/guard.json" \
        --checkpoint "$D/limit.ckpt.bin"
    hostile "convert_past_the_file_size_limit" 1 'guard.safetensors: write failed: File too large' \
        prlimit --fsize=3000 "$RUSTGPT" convert "$GUARD" "$G/guard.safetensors"
    hostile "convert_to_json_past_the_file_size_limit" 1 'guard.json: write failed: File too large' \
        prlimit --fsize=5000 "$RUSTGPT" convert "$GUARD" "$G/guard.json"
    # A save that fails after training keeps the run as a checkpoint, when
    # that fits: the limit sits between the checkpoint's size and the JSON's.
    W="--dim 32 --heads 2 --hidden 32 --layers 1 --seq-len 16 --epochs 2 -q"
    "$RUSTGPT" train "$WORK/tiny.json" $W --out probe.json --checkpoint probe.ckpt.bin --stop-after 1 > /dev/null 2>&1
    "$RUSTGPT" train "$WORK/tiny.json" $W --out probe.json --checkpoint probe.ckpt.bin > /dev/null 2>&1
    ckpt=$(wc -c < probe.ckpt.bin) json=$(wc -c < probe.json)
    if [ "$ckpt" -lt "$json" ]; then
        cp "$G/guard.json" before.json
        hostile "failed_save_keeps_the_trained_model_as_a_checkpoint" 1 \
            'guard.json: write failed: File too large; the trained model is kept in .*kept.ckpt.bin' \
            prlimit --fsize=$(((ckpt + json) / 2)) "$RUSTGPT" train "$WORK/tiny.json" $W \
            --out "$G/guard.json" --checkpoint "$D/kept.ckpt.bin"
        ok "the_kept_checkpoint_converts_to_the_model" "$RUSTGPT" convert "$D/kept.ckpt.bin" "$D/kept.json"
    else
        skip "failed_save_keeps_the_trained_model_as_a_checkpoint" "checkpoint ($ckpt) not smaller than JSON ($json)"
    fi
else
    skip "file_size_limit_cases" "prlimit --fsize is not available"
fi

# ---- writing: a full disk and a read-only file system (a 64 KiB tmpfs) --------

mkdir -p "$FULL"
if mount -t tmpfs -o size=64k tmpfs "$FULL" 2> /dev/null; then
    "$RUSTGPT" train "$WORK/tiny.json" --dim 64 --heads 4 --hidden 128 --layers 2 --seq-len 24 --epochs 1 -q \
        --out "$D/big.bin" > /dev/null 2>&1
    cp "$G/guard.bin" "$FULL/keep.bin"
    cp "$G/guard.bin" "$WORK/pristine-full.bin"
    hostile "convert_onto_a_full_disk" 1 'keep.bin: write failed: No space left on device' \
        "$RUSTGPT" convert "$D/big.bin" "$FULL/keep.bin"
    hostile "train_onto_a_full_disk" 1 'keep.bin: write failed: No space left on device' \
        "$RUSTGPT" train "$WORK/tiny.json" --dim 64 --heads 4 --hidden 128 --layers 2 --seq-len 24 \
        --epochs 1 -q --out "$FULL/keep.bin"
    if cmp -s "$FULL/keep.bin" "$WORK/pristine-full.bin" && [ -z "$(ls -A "$FULL" | grep '\.tmp\.')" ]; then
        pass "full_disk_left_the_old_model_and_no_temporary_file"
    else
        fail "full_disk_left_the_old_model_and_no_temporary_file" "$(ls -la "$FULL")"
    fi
    if mount -o remount,ro "$FULL" 2> /dev/null; then
        hostile "train_onto_a_read_only_file_system" 1 'keep.bin: cannot create temporary file: Read-only file system' \
            train "$WORK/tiny.json" --out "$FULL/keep.bin"
        hostile "convert_onto_a_read_only_file_system" 1 'keep.json: cannot create temporary file: Read-only' \
            "$RUSTGPT" convert "$GUARD" "$FULL/keep.json"
        if cmp -s "$FULL/keep.bin" "$WORK/pristine-full.bin"; then pass "read_only_file_system_kept_the_model"
        else fail "read_only_file_system_kept_the_model"; fi
    else
        skip "read_only_file_system_cases" "cannot remount the tmpfs read-only"
    fi
    umount "$FULL"
else
    skip "full_disk_cases" "cannot mount a 64 KiB tmpfs here (not root, or no CAP_SYS_ADMIN)"
fi

# ---- permissions: as an unprivileged user ------------------------------------

# As root chmod stops nothing, so drop to nobody with setpriv; as another
# user, chmod works directly.
AS=""
if [ "$(id -u)" -eq 0 ]; then
    if command -v setpriv > /dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
        AS="setpriv --reuid=65534 --regid=65534 --clear-groups --"
    else
        AS="none"
    fi
fi
P="$WORK/perm"
mkdir -p "$P/ro" "$P/w"
chmod 755 "$WORK" "$P"
chmod 777 "$P/w"
cp "$WORK/tiny.json" "$P/tiny.json"
cp "$WORK/tiny.json" "$P/secret.json"
cp "$G/guard.bin" "$P/ro/keep.bin"
chmod 644 "$P/tiny.json" "$P/ro/keep.bin"
chmod 000 "$P/secret.json"
chmod 555 "$P/ro"
if [ "$AS" = none ]; then
    skip "permission_cases" "running as root without a working setpriv"
elif $AS "$RUSTGPT" --version > /dev/null 2>&1; then
    hostile "data_file_without_read_permission" 1 'secret.json: cannot open: Permission denied' \
        $AS "$RUSTGPT" train "$P/secret.json" $T --out "$P/w/x.bin"
    hostile "out_in_a_read_only_directory" 1 'keep.bin: cannot create temporary file: Permission denied' \
        $AS "$RUSTGPT" train "$P/tiny.json" $T --epochs 1 -q --out "$P/ro/keep.bin"
    if cmp -s "$P/ro/keep.bin" "$G/guard.bin"; then pass "read_only_directory_kept_the_model"
    else fail "read_only_directory_kept_the_model"; fi
else
    skip "permission_cases" "the binary cannot run as nobody here"
fi
chmod 755 "$P/ro"

# ---- memory --------------------------------------------------------------------

# The largest model the options allow needs about 200 GB to train: refused
# up front (or, on a machine that big, when the allocation fails).
hostile "model_too_big_for_memory" 1 'needs [0-9.]+ GiB for training, more than this machine|out of memory' \
    train "$WORK/tiny.json" --dim 4096 --heads 8 --hidden 16384 --layers 64 --seq-len 4096
# A cap on the address space makes a modest allocation fail for real. The
# sanitizers reserve terabytes of address space up front, so a binary built
# with them cannot run under the cap at all: that is SKIPped.
if (ulimit -v 400000 && "$RUSTGPT" --version) > /dev/null 2>&1; then
    hostile "allocation_failure_under_an_address_space_cap" 1 'out of memory' \
        sh -c "ulimit -v 400000 && exec \"$RUSTGPT\" train \"$WORK/tiny.json\" --dim 1024 --heads 8 --hidden 4096 \
        --layers 8 --seq-len 64 --epochs 1 -q --out \"$GUARD\""
else
    skip "allocation_failure_under_an_address_space_cap" "this binary cannot start under ulimit -v (sanitizers)"
fi

# ---- numbers ---------------------------------------------------------------------

# A temperature near 0 divides the logits into overflow (inf); softmax then
# takes the limit, which is the greedy answer.
"$RUSTGPT" generate --model "$GUARD" --prompt "User: what is ice ? Assistant:" > greedy.txt 2> /dev/null
ok "temperature_1e-38_does_not_make_nan" \
    "$RUSTGPT" generate --model "$GUARD" --prompt "User: what is ice ? Assistant:" --temperature 1e-38
if cmp -s "$WORK/out" greedy.txt; then pass "temperature_1e-38_gives_the_greedy_answer"
else fail "temperature_1e-38_gives_the_greedy_answer" "$(cat "$WORK/out")" "greedy: $(cat greedy.txt)"; fi
ok "extreme_sampling_settings_together" "$RUSTGPT" generate --model "$GUARD" --prompt "the sun" \
    --temperature 100 --top-k 1000000 --top-p 0 --repeat-penalty 0.01 --max-tokens 20

# ---- kills at the wrong moment ---------------------------------------------------

# Ctrl-C mid-training: exit 130, a checkpoint, the old model untouched.
"$RUSTGPT" train "$WORK/tiny.json" $T --epochs 1000000 --out "$GUARD" --checkpoint "$D/int.ckpt.bin" \
    --log "$D/int.csv" > /dev/null 2> int_err &
pid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "$D/int.csv" 2> /dev/null | wc -l)" -lt 3 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -INT $pid 2> /dev/null
wait $pid
rc=$?
if [ $rc -eq 130 ] && cmp -s "$GUARD" "$WORK/pristine/guard.bin" && "$RUSTGPT" info "$D/int.ckpt.bin" > /dev/null 2>&1; then
    pass "interrupted_training_exits_130_keeps_the_model_and_checkpoints"
else
    fail "interrupted_training_exits_130_keeps_the_model_and_checkpoints" "status $rc" "$(head -c 300 int_err)"
fi

# kill -9 at random moments of a save: the target is always a complete
# model, the old one or the new one (temporary files may be left behind by
# a process killed outright; they never replace anything).
"$RUSTGPT" train "$WORK/tiny.json" --dim 64 --heads 4 --hidden 256 --layers 4 --seq-len 64 --epochs 1 -q \
    --out "$D/killsrc.bin" > /dev/null 2>&1
cp "$G/guard.json" "$D/victim.json"
killed_ok=1
for delay in 0.01 0.02 0.03 0.05 0.08 0.1 0.13 0.17 0.2 0.25; do
    "$RUSTGPT" convert "$D/killsrc.bin" "$D/victim.json" > /dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    if ! "$RUSTGPT" info "$D/victim.json" > /dev/null 2> kill_err; then
        killed_ok=0
        echo "    after $delay s: $(head -c 200 kill_err)"
    fi
    rm -f "$D"/.victim.json.tmp.*
done
if [ $killed_ok -eq 1 ]; then pass "kill_9_during_a_save_never_leaves_a_broken_model"
else fail "kill_9_during_a_save_never_leaves_a_broken_model"; fi

cd "$ROOT" || exit 1
