#!/bin/sh
# tests/stress.sh [BINARY] — big inputs, too big for every `make test`
# (`make stress` runs it; it needs about 2.5 GB of space under $TMPDIR and a
# minute or two):
#
#   - 100 MB datasets (JSON strings, JSON prompt/response objects, CSV,
#     JSON Lines pairs, plain text) load in memory proportional to the data:
#     peak RSS under 3x the file (2.5x for .jsonl and .txt, which are read
#     a line at a time and never held whole: what remains is the texts and
#     their token ids), and ten times the data takes at most about ten
#     times as long (no quadratic behaviour);
#   - a 1 GB single line, as a JSON string and as a CSV field, is refused
#     with the entry or line and the limit, in about the memory of the file
#     itself and in seconds; as a .jsonl line, in a few megabytes.
#
# Prints PASS/FAIL lines and the measurements; peak memory comes from
# /usr/bin/time (GNU time) when it is installed.
RUSTGPT=${1:-./rustgpt}
case "$RUSTGPT" in /*) ;; *) RUSTGPT=$(pwd)/$RUSTGPT ;; esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rustgpt-stress.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; failed=$((failed + 1)); }

TIME=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true > /dev/null 2>&1; then TIME=/usr/bin/time; fi

# measure OUT CMD...: run CMD; $status, $seconds and $peak_kb (0 when
# unknown) describe it, stderr is in OUT.
measure() {
    out=$1
    shift
    start=$(date +%s.%N)
    if [ -n "$TIME" ]; then
        $TIME -f '%M' -o "$WORK/time" "$@" > /dev/null 2> "$out"
        status=$?
        peak_kb=$(tail -n 1 "$WORK/time")
    else
        "$@" > /dev/null 2> "$out"
        status=$?
        peak_kb=0
    fi
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}

# A dataset of about `bytes` bytes from a 5,000-word vocabulary (awk, so
# that nothing beyond POSIX tools is needed). kind: json, pairs, csv, jsonl
# (pairs, one per line) or txt (documents between blank lines).
make_data() {
    kind=$1 bytes=$2
    awk -v kind="$kind" -v target="$bytes" 'BEGIN {
        srand(1)
        for (i = 0; i < 5000; i++) w[i] = "w" i
        if (kind == "csv") print "prompt,response"; else if (kind == "json" || kind == "pairs") print "["
        size = 0; first = 1
        while (size < target) {
            n = 5 + int(rand() * 30); s = w[int(rand() * 5000)]
            for (k = 1; k < n; k++) s = s " " w[int(rand() * 5000)]
            p = w[int(rand() * 5000)] " " w[int(rand() * 5000)] " ?"
            if (kind == "json") line = (first ? "" : ",\n") "\"" s " .\""
            else if (kind == "pairs") line = (first ? "" : ",\n") "{\"prompt\": \"" p "\", \"response\": \"" s "\"}"
            else if (kind == "jsonl") line = "{\"prompt\": \"" p "\", \"response\": \"" s "\"}"
            else if (kind == "txt") line = s " .\n" p "\n"
            else line = "\"" p "\",\"" s ", \"\"quoted\"\"\""
            if (kind == "csv" || kind == "jsonl" || kind == "txt") print line; else printf "%s", line
            size += length(line) + 1; first = 0
        }
        if (kind == "json" || kind == "pairs") print "\n]"
    }'
}

SMALL="--dim 16 --heads 2 --hidden 16 --layers 1 --seq-len 16 --epochs 0 -q"

for kind in json pairs csv jsonl txt; do
    ext=json bound=3
    case $kind in csv|jsonl|txt) ext=$kind ;; esac
    case $kind in jsonl|txt) bound=2.5 ;; esac
    make_data $kind 10000000 > "d10.$ext"
    make_data $kind 100000000 > "d100.$ext"
    measure err10 "$RUSTGPT" train "d10.$ext" $SMALL --out m.bin
    t10=$seconds
    measure err100 "$RUSTGPT" train "d100.$ext" $SMALL --out m.bin
    size=$(wc -c < "d100.$ext")
    mb=$((size / 1000000))
    echo "    100 MB $kind ($mb MB): exit $status, ${seconds} s (10 MB: ${t10} s), peak $((peak_kb / 1024)) MiB"
    if [ $status -ne 0 ]; then
        fail "load_100mb_$kind" "exit $status: $(head -c 300 err100)"
    elif [ "$peak_kb" -gt 0 ] && awk -v p="$peak_kb" -v b="$bound" -v s="$size" 'BEGIN { exit !(p * 1024 > b * s) }'; then
        fail "load_100mb_${kind}_in_memory_under_${bound}x_the_file" "peak $peak_kb KiB for $size bytes"
    else
        pass "load_100mb_${kind}_in_memory_under_${bound}x_the_file"
    fi
    # ten times the data, at most about ten times the time (a generous 16x,
    # for noise and caches): quadratic growth would be a hundredfold
    if awk -v a="$t10" -v b="$seconds" 'BEGIN { exit !(b <= 16 * a + 1) }'; then pass "load_time_of_${kind}_grows_linearly"
    else fail "load_time_of_${kind}_grows_linearly" "10 MB: $t10 s, 100 MB: $seconds s"; fi
    rm -f "d10.$ext" "d100.$ext"
done

# One line of 1 GiB: a JSON string and a CSV field over the 1 MiB limit.
GIB=1073741824
{ printf '["'; head -c $GIB /dev/zero | tr '\0' 'a'; printf '"]\n'; } > line.json
measure err "$RUSTGPT" train line.json $SMALL --out m.bin
echo "    1 GiB JSON line: exit $status, ${seconds} s, peak $((peak_kb / 1024)) MiB: $(head -n 1 err)"
if [ $status -eq 1 ] && grep -q 'line.json: entry 1: text is 1,073,741,824 bytes; the limit is 1,048,576' err &&
   { [ "$peak_kb" -eq 0 ] || [ $((peak_kb * 1024)) -lt $((GIB + GIB / 4)) ]; }; then
    pass "a_1gb_json_line_is_refused_in_the_memory_of_the_file"
else
    fail "a_1gb_json_line_is_refused_in_the_memory_of_the_file" "$(head -c 300 err)"
fi
rm -f line.json
{ printf 'text\n'; head -c $GIB /dev/zero | tr '\0' 'a'; printf '\n'; } > line.csv
measure err "$RUSTGPT" train line.csv $SMALL --out m.bin
echo "    1 GiB CSV line: exit $status, ${seconds} s, peak $((peak_kb / 1024)) MiB: $(head -n 1 err)"
if [ $status -eq 1 ] && grep -q 'line.csv:2: field is more than .* the limit is 1,048,576' err &&
   { [ "$peak_kb" -eq 0 ] || [ $((peak_kb * 1024)) -lt $((GIB + GIB / 4)) ]; }; then
    pass "a_1gb_csv_line_is_refused_in_the_memory_of_the_file"
else
    fail "a_1gb_csv_line_is_refused_in_the_memory_of_the_file" "$(head -c 300 err)"
fi
rm -f line.csv
{ printf '{"text": "'; head -c $GIB /dev/zero | tr '\0' 'a'; printf '"}\n'; } > line.jsonl
measure err "$RUSTGPT" train line.jsonl $SMALL --out m.bin
echo "    1 GiB JSONL line: exit $status, ${seconds} s, peak $((peak_kb / 1024)) MiB: $(head -n 1 err)"
if [ $status -eq 1 ] && grep -q 'line.jsonl:1: line is longer than 8,388,608 bytes' err &&
   { [ "$peak_kb" -eq 0 ] || [ "$peak_kb" -lt 65536 ]; }; then
    pass "a_1gb_jsonl_line_is_refused_in_a_few_megabytes"
else
    fail "a_1gb_jsonl_line_is_refused_in_a_few_megabytes" "$(head -c 300 err)"
fi
rm -f line.jsonl
[ -n "$TIME" ] || echo "SKIP peak memory: /usr/bin/time (GNU time) is not installed"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
