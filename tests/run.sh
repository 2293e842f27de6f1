#!/bin/sh
# tests/run.sh — run every test binary and every CLI test script, count the
# PASS/FAIL lines they print and end with "N passed, N failed".
# Called by `make test` with RUSTGPT (the binary) and TEST_BIN_DIR set.
cd "$(dirname "$0")/.." || exit 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for t in "$TEST_BIN_DIR"/test_* tests/cli/*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t")
    echo "== $name"
    case "$t" in
        *.sh) sh "$t" > "$log.one" 2>&1 ;;
        *) "$t" > "$log.one" 2>&1 ;;
    esac
    rc=$?
    cat "$log.one"
    cat "$log.one" >> "$log"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log.one"; then
        echo "FAIL $name (exited with status $rc)" | tee -a "$log"
    fi
    rm -f "$log.one"
done
passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^SKIP ' "$log")
[ "$failed" -eq 0 ] || status=1
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
exit $status
