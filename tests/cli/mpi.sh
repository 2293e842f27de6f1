# tests/cli/mpi.sh — data-parallel training under Open MPI
# (docs/21-data-parallel.md). Builds `make MPI=1` into build-mpi/ and runs
# 2-rank trainings against one process forming the same batches
# (--data-shards 2): the same loss curve, the same model up to the order of
# the gradient sums; bit-identical from run to run; rank 0 alone prints;
# --resume; a rank with bad data or a killed rank ends the job with a
# message instead of a hang. Needs mpirun (Debian openmpi-bin and
# libopenmpi-dev); without it, SKIP.
. tests/cli/lib.sh

if ! command -v mpirun > /dev/null 2>&1 || ! command -v mpicc > /dev/null 2>&1; then
    echo "SKIP mpi: mpirun/mpicc not installed (apt-get install openmpi-bin libopenmpi-dev)"
    exit 0
fi
# Always the plain MPI build: under `make test SANITIZE=1` the inherited
# SANITIZE=1 would switch BUILD to build-asan, leaving no rule for
# build-mpi/rustgpt (or a stale binary from an earlier run being used).
if ! make -s MPI=1 SANITIZE=0 build-mpi/rustgpt > "$WORK/build.log" 2>&1; then
    fail mpi_build_with_open_mpi "$(tail -n 20 "$WORK/build.log")"
    exit 1
fi
pass mpi_build_with_open_mpi
MPI_RUSTGPT=$(pwd)/build-mpi/rustgpt
# CI runs as root; Open MPI refuses that unless told it is meant.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="timeout 120 mpirun --oversubscribe -np 2"
SMALL="--dim 32 --heads 2 --hidden 64 --layers 1 --epochs 3 --batch 8 --threads 1 --seed 7"

$MPIRUN "$MPI_RUSTGPT" train data/chat.json $SMALL --out "$WORK/two.bin" > "$WORK/two.out" 2> "$WORK/two.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$WORK/two.bin" ]; then pass mpi_two_ranks_train
else fail mpi_two_ranks_train "exit $rc" "$(head -c 600 "$WORK/two.err")"; fi

"$RUSTGPT" train data/chat.json $SMALL --data-shards 2 --out "$WORK/one.bin" > "$WORK/one.out" 2>&1

# The epoch lines print the loss to 4 decimals: the same curve.
grep 'epoch' "$WORK/two.out" > "$WORK/two.curve"
grep 'epoch' "$WORK/one.out" > "$WORK/one.curve"
if [ -s "$WORK/one.curve" ] && cmp -s "$WORK/two.curve" "$WORK/one.curve"; then pass mpi_loss_curve_matches_one_process
else fail mpi_loss_curve_matches_one_process "2 ranks:" "$(cat "$WORK/two.curve")" "1 process:" "$(cat "$WORK/one.curve")"; fi

if [ "$(grep -c 'epoch 1/' "$WORK/two.out")" -eq 1 ] && grep -q '^2 ranks: all-reduce' "$WORK/two.out"; then
    pass mpi_rank_0_alone_prints
else fail mpi_rank_0_alone_prints "$(cat "$WORK/two.out")"; fi

# The same model up to reduction order: every parameter within 1e-4 of the
# one-process run (read from the .json export by Python's own parser).
"$RUSTGPT" convert "$WORK/two.bin" "$WORK/two.json" > /dev/null 2>&1
"$RUSTGPT" convert "$WORK/one.bin" "$WORK/one.json" > /dev/null 2>&1
if python3 - "$WORK/two.json" "$WORK/one.json" > "$WORK/diff.txt" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
worst = 0.0
for name, t in a["tensors"].items():
    for x, y in zip(t["data"], b["tensors"][name]["data"]):
        worst = max(worst, abs(x - y) / max(1.0, abs(y)))
print("largest relative difference", worst)
sys.exit(0 if worst < 1e-4 and a["vocab"] == b["vocab"] else 1)
PY
then pass mpi_model_matches_one_process_up_to_reduction_order
else fail mpi_model_matches_one_process_up_to_reduction_order "$(cat "$WORK/diff.txt")"; fi

$MPIRUN "$MPI_RUSTGPT" train data/chat.json $SMALL -q --out "$WORK/again.bin" > /dev/null 2>&1
if cmp -s "$WORK/two.bin" "$WORK/again.bin"; then pass mpi_same_ranks_and_seed_are_bit_identical
else fail mpi_same_ranks_and_seed_are_bit_identical "two 2-rank runs wrote different models"; fi

# Stop after 20 steps (rank 0 writes the checkpoint), resume under mpirun:
# the same model as the straight run, bit for bit.
$MPIRUN "$MPI_RUSTGPT" train data/chat.json $SMALL -q --out "$WORK/resumed.bin" \
    --stop-after 20 > /dev/null 2> "$WORK/stop.err"
$MPIRUN "$MPI_RUSTGPT" train data/chat.json $SMALL -q --out "$WORK/resumed.bin" \
    --resume "$WORK/resumed.ckpt.bin" > /dev/null 2> "$WORK/resume.err"
if cmp -s "$WORK/two.bin" "$WORK/resumed.bin"; then pass mpi_resume_is_bit_identical
else fail mpi_resume_is_bit_identical "$(head -c 400 "$WORK/stop.err")" "$(head -c 400 "$WORK/resume.err")"; fi

expect_status mpi_batch_must_split_over_ranks 2 \
    $MPIRUN "$MPI_RUSTGPT" train data/chat.json $SMALL --batch 7 --out "$WORK/x.bin"

# Entry 2 goes to rank 1 alone (each rank checks only its share): rank 0
# must report rank 1's error and every rank exit, not wait for it.
printf '["The sun is hot.", "", "Ice is cold.", "Rain is wet."]\n' > "$WORK/bad.json"
expect_status mpi_bad_data_on_one_rank_stops_the_job 1 \
    $MPIRUN "$MPI_RUSTGPT" train "$WORK/bad.json" $SMALL --out "$WORK/bad.bin"
expect_grep mpi_rank_0_names_the_failing_rank "$WORK/err" 'rank 1 of 2: .*bad.json: entry 2: text is empty'
[ "$(grep -c 'rank 1 of 2' "$WORK/err")" -eq 1 ] && pass mpi_error_is_printed_once \
    || fail mpi_error_is_printed_once "$(cat "$WORK/err")"

# A killed rank: mpirun must end the job (non-zero) well before the timeout.
$MPIRUN "$MPI_RUSTGPT" train data/chat.json $SMALL --epochs 100000 -q --out "$WORK/long.bin" \
    > /dev/null 2> "$WORK/killed.err" &
job=$!
victim=
for _ in $(seq 1 100); do
    victim=$(pgrep -f "$MPI_RUSTGPT train data/chat.json.*long.bin" | tail -n 1)
    [ -n "$victim" ] && break
    sleep 0.1
done
sleep 1
[ -n "$victim" ] && kill -9 "$victim"
wait $job
rc=$?
if [ -n "$victim" ] && [ $rc -ne 0 ] && [ $rc -ne 124 ]; then pass mpi_killed_rank_ends_the_job
else fail mpi_killed_rank_ends_the_job "victim '$victim', exit $rc" "$(head -c 400 "$WORK/killed.err")"; fi
