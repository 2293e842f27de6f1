# tests/cli/hostile_lib.sh — what the hostile tests share (sourced after
# lib.sh by hostile.sh, data and model files, and hostile_io.sh, the
# command line, writing, permissions, memory and numbers): whatever a user
# feeds rustgpt, it answers with a clear error and keeps their data
# (tests/test_hostile.c does the function-level half).
#
# Every case runs one command and asserts, in one PASS/FAIL line:
#   - the exit status (1 runtime error, 2 usage error);
#   - stderr is one line "rustgpt: ..." matching a pattern that names the
#     problem (the file and its line or entry, or the option), plus the hint
#     "Try 'rustgpt [COMMAND] --help'." after a usage error;
#   - nothing crashed (no signal, no sanitizer report);
#   - the guard models in $G (a .bin, a .json and a .safetensors that many
#     cases try to overwrite) are byte-for-byte unchanged, and no temporary
#     file was left beside them.
# Real failure mechanisms only, since the tests may run as root (where
# chmod stops nothing): a directory or a FIFO where a file should be, paths
# under /proc and /sys, /proc/self/mem (a read error), prlimit --fsize (the
# file-size limit applies to root: a write fails with EFBIG mid-file), a
# 64 KiB tmpfs (disk full) and a read-only remount of it, and setpriv to drop
# to nobody for permission errors. What this machine cannot do is SKIPped
# with the reason. The 1 GB line and the 100 MB dataset are in
# tests/stress.sh (`make stress`): too big for every `make test`.
# HOSTILE_VERBOSE=1 prints every message under its case, for reading them.
ROOT=$(pwd)

# Under AddressSanitizer an impossible allocation aborts unless told to
# return NULL as the C library does; rustgpt must then report it.
ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

FULL="$WORK/full"
cleanup() {
    mountpoint -q "$FULL" 2> /dev/null && umount "$FULL"
    rm -rf "$WORK"
}
trap cleanup EXIT

skip() { echo "SKIP $1: $2"; }

# ---- fixtures ----------------------------------------------------------------

# hostile_fixtures: the tiny dataset, the guard models in $G and their
# pristine copies, and the data folder $D, made the working directory.
hostile_fixtures() {
    printf '%s\n' '["the sun is a star . </s>",' \
        ' "User: what is the sun ? Assistant: the sun is a star . </s>",' \
        ' "User: what is ice ? Assistant: ice is frozen water . </s>"]' > "$WORK/tiny.json"
    T="--dim 16 --heads 2 --hidden 32 --layers 1 --seq-len 24 --batch 3 --lr 0.01"
    G="$WORK/guard"
    mkdir -p "$G"
    "$RUSTGPT" train "$WORK/tiny.json" $T --epochs 60 -q --out "$G/guard.bin" > /dev/null 2>&1 &&
        "$RUSTGPT" convert "$G/guard.bin" "$G/guard.json" > /dev/null 2>&1 &&
        "$RUSTGPT" convert "$G/guard.bin" "$G/guard.safetensors" > /dev/null 2>&1 ||
        { fail "hostile_fixtures" "could not train the guard model"; exit 1; }
    mkdir -p "$WORK/pristine"
    cp "$G"/guard.* "$WORK/pristine/"
    GUARD="$G/guard.bin"
    OUT="--out $GUARD"
    D="$WORK/data"
    mkdir -p "$D"
    cd "$D" || exit 1
}

# hostile NAME STATUS PATTERN CMD...: the assertions described at the top.
hostile() {
    name=$1 want=$2 pattern=$3
    shift 3
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    why=""
    [ "$got" -eq "$want" ] || why="exit status $got, expected $want"
    lines=$(grep -c '' "$WORK/err")
    if [ "$want" -eq 2 ]; then
        [ "$lines" -eq 2 ] && tail -n 1 "$WORK/err" | grep -Eqx "Try 'rustgpt ([a-z]+ )?--help'\." ||
            why="$why; no usage hint on a second line"
    else
        [ "$lines" -eq 1 ] || why="$why; stderr has $lines lines, not one"
    fi
    head -n 1 "$WORK/err" | grep -q '^rustgpt: ' || why="$why; stderr does not start with 'rustgpt: '"
    head -n 1 "$WORK/err" | grep -Eq -- "$pattern" || why="$why; stderr does not match /$pattern/"
    grep -Eq 'Sanitizer|runtime error|Segmentation|Aborted' "$WORK/err" && why="$why; it crashed"
    for f in "$WORK"/pristine/*; do
        cmp -s "$f" "$G/$(basename "$f")" || why="$why; $(basename "$f") changed"
    done
    [ -z "$(ls -A "$G" | grep '\.tmp\.')" ] || why="$why; a temporary file was left in $G"
    if [ -z "$why" ]; then pass "$name"
    else fail "$name" "${why#; }" "stderr: $(head -c 600 "$WORK/err")"; fi
    [ -z "$HOSTILE_VERBOSE" ] || sed 's/^/    | /' "$WORK/err"
}

# ok NAME CMD...: a control case that must succeed (exit 0, no crash).
ok() {
    name=$1
    shift
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    if [ "$got" -eq 0 ] && ! grep -Eq 'Sanitizer|runtime error' "$WORK/err"; then pass "$name"
    else fail "$name" "exit status $got" "stderr: $(head -c 400 "$WORK/err")"; fi
}

# train ARGS...: a quick training run saving over the guard model unless
# ARGS give another --out (the last one wins).
train() { "$RUSTGPT" train $T --epochs 1 -q $OUT "$@"; }
