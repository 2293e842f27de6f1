#!/bin/sh
# scripts/mem_tokenize.sh — `make mem-tokenize`: the peak memory (maximum
# resident set size, from /usr/bin/time -v) of `rustgpt tokenize --tokenizer
# cl100k_base` writing the ids of a large input, which it reads in blocks
# (src/cli/cmd_tokenize.c) so that memory does not grow with the file:
#   - MEM_MB megabytes of English (TEXT, the bench text, repeated), and
#   - the same bytes as one single line (newlines made spaces);
# and a line of MEM_MB megabytes of one letter, which has no place to cut
# and must be refused with an error, not read whole.
#   sh scripts/mem_tokenize.sh ./rustgpt build/bench-text-100mb.txt
RUSTGPT=${1:-./rustgpt}
TEXT=${2:?usage: scripts/mem_tokenize.sh RUSTGPT TEXT}
MB=${MEM_MB:-1000}
THREADS=${MEM_THREADS:-2}
command -v /usr/bin/time > /dev/null || { echo "mem-tokenize needs /usr/bin/time (apt-get install time)"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mem-tokenize.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
python3 - "$TEXT" "$WORK" "$MB" <<'PY'
import sys
text, work, mb = open(sys.argv[1], 'rb').read(), sys.argv[2], int(sys.argv[3])
size = mb * 1000 * 1000
with open(work + '/file.txt', 'wb') as f, open(work + '/line.txt', 'wb') as g:
    left = size
    while left > 0:
        part = text[:left]
        f.write(part)
        g.write(part.replace(b'\n', b' '))
        left -= len(part)
with open(work + '/word.txt', 'wb') as w:
    block = b'a' * (1 << 20)
    for _ in range(size >> 20):
        w.write(block)
PY
peak() {   # NAME FILE: tokenize FILE into ids, print the peak memory and the time
    /usr/bin/time -v "$RUSTGPT" tokenize --tokenizer cl100k_base --threads "$THREADS" "$2" \
        > /dev/null 2> "$WORK/time"
    rc=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time")
    cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$WORK/time")
    printf "%-34s %5d MB input   max RSS %5d MB   %6s s cpu   exit %d\n" "$1" "$MB" $((rss / 1024)) "$cpu" $rc
    [ $rc -eq 0 ] || head -n 1 "$WORK/time" | sed 's/^/    /'
}
echo "rustgpt tokenize --tokenizer cl100k_base --threads $THREADS FILE > /dev/null"
peak "English, lines" "$WORK/file.txt"
peak "English, one single line" "$WORK/line.txt"
peak "one letter, no place to cut" "$WORK/word.txt"
