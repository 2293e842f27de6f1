#!/bin/sh
# scripts/bench_mpi.sh — `make bench-mpi`: training throughput of one
# process (1 and 2 threads) against 2 MPI ranks of 1 thread each, on the
# same model, data and global batch, and the time the 2-rank run spends in
# the gradient all-reduce per step (docs/21-data-parallel.md).
#   EPOCHS (5), BATCH (8), DATA (data/chat.json) may be set in the environment.
set -eu
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-5}
BATCH=${BATCH:-8}
DATA=${DATA:-data/chat.json}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common="$DATA --epochs $EPOCHS --batch $BATCH --out $out/model.bin"

rate() { sed -n 's/.*(\([0-9,]*\) tokens\/s).*/\1/p' "$1" | tr -d ,; }

build/rustgpt train $common --threads 1 > "$out/one1"
build/rustgpt train $common --threads 2 > "$out/one2"
mpirun --oversubscribe -np 2 build-mpi/rustgpt train $common --threads 1 > "$out/two"

r11=$(rate "$out/one1"); r12=$(rate "$out/one2"); r21=$(rate "$out/two")
printf 'default model, %s, %s epochs, global batch %s\n' "$DATA" "$EPOCHS" "$BATCH"
printf '%-34s %12s %8s\n' "run" "tokens/s" "ratio"
printf '%-34s %12s %8s\n' "1 process, 1 thread" "$r11" "1.00"
printf '%-34s %12s %8.2f\n' "1 process, 2 threads" "$r12" "$(awk "BEGIN{print $r12 / $r11}")"
printf '%-34s %12s %8.2f\n' "2 ranks x 1 thread (mpirun)" "$r21" "$(awk "BEGIN{print $r21 / $r11}")"
grep 'all-reduce' "$out/two"
