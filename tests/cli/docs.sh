# tests/cli/docs.sh — keeps docs/ true to the code it teaches.
#
# The chapters follow three conventions (docs/README.md states them for
# writers), and this script checks each one, printing PASS or FAIL per chapter
# and per quoted block:
#
#   1. A function is named in an inline code span with parentheses,
#      `layernorm_backward()`, or with its file, `src/archs/layers/layernorm.c:
#      layernorm_backward()`. The function must be defined in src/ (in that
#      file, when one is given). Fenced code blocks are not checked: the
#      formulas in them use exp() and friends freely.
#   2. A path in a code span (`src/archs/gpt.c`, `tests/cli/docs.sh`,
#      `data/chat.json`) must exist, and a link to another chapter
#      ([..](04-attention.md)) must point to a file in docs/.
#   3. A fenced block whose info string is `text explain:NAME` quotes the
#      output of `rustgpt explain --section NAME`, and must equal it byte for
#      byte. When the model's arithmetic changes, the stale quotes fail here;
#      `DOCS_UPDATE=1 sh tests/cli/docs.sh` rewrites them from the current
#      binary (then read the prose around them: it may quote a number too).
#
# And the other direction: every docs/*.md that a comment in src/ names must
# exist, so the code's pointers to its chapters stay right.
. tests/cli/lib.sh

DOCS=docs

if [ "${DOCS_UPDATE:-0}" = 1 ]; then
    for chapter in "$DOCS"/*.md; do
        awk -v bin="$RUSTGPT" '
            /^```text explain:/ {
                print
                cmd = "\"" bin "\" explain --section " substr($0, length("```text explain:") + 1)
                while ((cmd | getline line) > 0) print line
                close(cmd)
                skip = 1
                next
            }
            skip && /^```/ { skip = 0 }
            !skip' "$chapter" > "$WORK/updated" && cat "$WORK/updated" > "$chapter"
    done
fi

# Is function $1 defined in file $2 (or anywhere under src/ when $2 is empty)?
# A definition is a line that starts at column 0 with its type (or, when the
# type is on the line before, with the name), names the function followed by
# '(', and is not a declaration (does not end in ';').
defined() {
    name=$1 where=$2
    [ -n "$where" ] || where=$(find src -name '*.[ch]')
    grep -E "^([A-Za-z_][A-Za-z0-9_ *]*[^A-Za-z0-9_])?$name\(" $where 2>/dev/null | grep -qv ';[[:space:]]*$'
}

# The inline code spans of a Markdown file, one per line, outside fenced
# blocks. Each paragraph is joined into one line first, so that a span broken
# across two lines is read whole.
code_spans() {
    awk '/^[[:space:]]*```/ { fenced = !fenced; print para; para = ""; next }
         fenced { next }
         /^[[:space:]]*$/ { print para; para = ""; next }
         { para = para (para == "" ? "" : " ") $0 }
         END { print para }' "$1" | grep -o '`[^`]*`' | tr -d '`'
}

for chapter in "$DOCS"/*.md; do
    base=$(basename "$chapter")

    # 1 and 2: functions and paths named in code spans
    missing=""
    code_spans "$chapter" > "$WORK/spans"
    while IFS= read -r span; do
        case "$span" in
            *"()")
                ref=${span%"()"}
                file="" func=$ref
                case "$ref" in *": "*) file=${ref%%": "*}; func=${ref#*": "} ;; esac
                if ! printf '%s' "$func" | grep -Eq '^[A-Za-z_][A-Za-z0-9_]*$'; then
                    missing="$missing
not a function name: \`$span\`"
                elif [ -n "$file" ] && [ ! -f "$file" ]; then
                    missing="$missing
no such file: $file (in \`$span\`)"
                elif ! defined "$func" "$file"; then
                    missing="$missing
not defined${file:+ in $file}: $func()"
                fi ;;
            src/*|tests/*|docs/*|data/*)
                path=${span%%[ :]*}
                [ -e "$path" ] || missing="$missing
no such path: $path" ;;
        esac
    done < "$WORK/spans"
    for link in $(grep -o '](\([A-Za-z0-9_.-]*\.md\)' "$chapter" | sed 's/^](//'); do
        [ -f "$DOCS/$link" ] || missing="$missing
broken link: $link"
    done
    if [ -z "$missing" ]; then pass "docs_${base}_names_real_code"
    else fail "docs_${base}_names_real_code" "$(printf '%s' "$missing" | sed '1d')"; fi

    # 3: quoted output of rustgpt explain
    awk -v dir="$WORK" -v base="$base" '
        /^[[:space:]]*```/ {
            if (out) { close(out); out = ""; next }
            if ($0 ~ /^```text explain:/) {
                name = substr($0, length("```text explain:") + 1)
                n++; out = sprintf("%s/%s.%03d.%s", dir, base, n, name)
                printf "" > out
                next
            }
        }
        out { print > out }' "$chapter"
    for block in "$WORK/$base".*.*; do
        [ -e "$block" ] || continue
        section=${block##*.}
        if "$RUSTGPT" explain --section "$section" > "$WORK/explain.out" 2> "$WORK/explain.err" &&
           cmp -s "$WORK/explain.out" "$block"; then
            pass "docs_${base}_explain_$section"
        else
            fail "docs_${base}_explain_$section" \
                 "the quote differs from 'rustgpt explain --section $section':" \
                 "$(diff "$block" "$WORK/explain.out" | head -n 8; head -c 300 "$WORK/explain.err")"
        fi
        rm -f "$block"
    done
done

# The code's pointers into docs/ name real chapters.
stale=""
for ref in $(grep -rhoE 'docs/[A-Za-z0-9_.-]+\.md' src | sort -u); do
    [ -f "$ref" ] || stale="$stale $ref ($(grep -rl "$ref" src | tr '\n' ' '))"
done
if [ -z "$stale" ]; then pass "docs_chapters_named_in_src_exist"
else fail "docs_chapters_named_in_src_exist" "missing:$stale"; fi
