# tests/cli/lib.sh — helpers for the command-line tests (sourced, not run).
# Each check prints "PASS name" or "FAIL name"; tests/run.sh counts them.
RUSTGPT=${RUSTGPT:-$(pwd)/rustgpt}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; shift; for line in "$@"; do echo "    $line"; done; }

# expect_status NAME STATUS CMD...: run CMD, compare its exit status;
# stdout and stderr are kept in $WORK/out and $WORK/err.
expect_status() {
    name=$1 want=$2
    shift 2
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    if [ "$got" -eq "$want" ]; then pass "$name"
    else fail "$name" "exit status $got, expected $want" "stderr: $(head -c 400 "$WORK/err")"; fi
}

# expect_grep NAME FILE PATTERN: FILE must contain PATTERN (grep -E).
expect_grep() {
    if grep -Eq -- "$3" "$2"; then pass "$1"
    else fail "$1" "no match for /$3/ in:" "$(head -c 400 "$2")"; fi
}
