# tests/cli/docs.sh — keeps docs/ true to the code it teaches.
#
# The chapters follow four conventions (docs/README.md states them for
# writers), and this script checks each one, printing PASS or FAIL per chapter
# and per quoted block (the fourth, transcripts, is described at its code):
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

# 4. Transcripts. A fenced block whose first line starts with "$ " quotes
#    commands and what they printed. Each command (continued over lines that
#    end in "\") is run with sh, stdout and stderr together, in one sandbox
#    shared by every chapter in reading order — ./rustgpt is the binary under
#    test, data/ the bundled data, and models/small.bin the model that the
#    recipe in docs/README.md trains (trained once, here, by that very line) —
#    and what it prints must equal the quoted lines. A command also continues
#    after a line that ends by opening a single-quoted script (python3 -c '),
#    up to the line that closes it. A quoted line "..."
#    stands for any number of lines (progress the reader need not see), and
#    a line ending in "..." for any line that starts with the text before it
#    (a timing at the end of a line). A
#    block whose info string says `illustrative` is not run: the prose around
#    it must say why its output cannot be reproduced.
BOOK="$WORK/book"
mkdir -p "$BOOK/models"
ln -s "$RUSTGPT" "$BOOK/rustgpt"
ln -s "$(pwd)/data" "$BOOK/data"
recipe=$(grep -E '^\./rustgpt train .*--out models/small\.bin' "$DOCS/README.md" | head -n 1)
if [ -z "$recipe" ]; then
    fail docs_recipe_trains_small_model "docs/README.md has no './rustgpt train ... --out models/small.bin' line"
elif (cd "$BOOK" && sh -c "$recipe" > recipe.out 2>&1) && [ -s "$BOOK/models/small.bin" ]; then
    pass docs_recipe_trains_small_model
else
    fail docs_recipe_trains_small_model "$recipe" "$(tail -n 3 "$BOOK/recipe.out")"
fi

# Does the output in file $2 match the quote in file $1 ("..." = any lines)?
matches_quote() {
    awk 'function same(w, g) {
             if (w ~ /[^.]\.\.\.$/) return substr(g, 1, length(w) - 3) == substr(w, 1, length(w) - 3)
             return w == g
         }
         NR == FNR { want[++nw] = $0; next } { got[++ng] = $0 }
         END {
             # ok[i,j]: want[i..] matches got[j..]
             ok[nw + 1, ng + 1] = 1
             for (i = nw + 1; i >= 1; i--)
                 for (j = ng + 1; j >= 1; j--) {
                     if (i == nw + 1) { ok[i, j] = (j == ng + 1); continue }
                     if (want[i] == "...") ok[i, j] = ok[i + 1, j] || (j <= ng && ok[i, j + 1])
                     else ok[i, j] = j <= ng && same(want[i], got[j]) && ok[i + 1, j + 1]
                 }
             exit !ok[1, 1]
         }' "$1" "$2"
}

# The comparison itself: a changed line fails, "..." lines and line tails match.
printf 'loss 1.0\nsteps 5, 0.3 s\nsaved\n' > "$WORK/self.got"
printf 'loss 1.1\n...\n' > "$WORK/self.stale"
printf 'loss 1.0\nsteps 5, ...\nsaved\n' > "$WORK/self.tail"
printf '...\nsaved\n' > "$WORK/self.any"
if ! matches_quote "$WORK/self.stale" "$WORK/self.got" && matches_quote "$WORK/self.tail" "$WORK/self.got" &&
   matches_quote "$WORK/self.any" "$WORK/self.got"; then pass docs_transcript_comparison_catches_stale_quotes
else fail docs_transcript_comparison_catches_stale_quotes "matches_quote accepts a changed line or rejects a wildcard"; fi

for chapter in "$DOCS"/*.md; do
    base=$(basename "$chapter")
    rm -f "$WORK"/quote.*
    # Split each transcript into quote.NNN.cmd and quote.NNN.want files.
    awk -v dir="$WORK" '
        /^[[:space:]]*```/ {
            if (fenced) { fenced = 0; transcript = 0; next }
            fenced = 1; info = $0; first = 1; next
        }
        !fenced { next }
        first {
            first = 0
            transcript = ($0 ~ /^\$ /) && info !~ /illustrative/ && info !~ /explain:/
        }
        !transcript { next }
        /^\$ / {
            n++; cmd = sprintf("%s/quote.%03d.cmd", dir, n); want = sprintf("%s/quote.%03d.want", dir, n)
            printf "" > want
            line = substr($0, 3); print line > cmd
            script = line ~ /\047$/ && gsub(/\047/, "&", line) % 2
            continued = line ~ /\\$/ || script
            next
        }
        continued {
            print > cmd
            if (script) continued = script = $0 !~ /\047/
            else continued = $0 ~ /\\$/
            next
        }
        { print > want }' "$chapter"
    for cmd in "$WORK"/quote.*.cmd; do
        [ -e "$cmd" ] || continue
        want=${cmd%.cmd}.want
        name="docs_${base}_transcript_$(basename "$cmd" .cmd | sed 's/^quote\.//')"
        (cd "$BOOK" && sh "$cmd" > "$WORK/got" 2>&1)
        if matches_quote "$want" "$WORK/got"; then pass "$name"
        else
            fail "$name" "\$ $(head -n 1 "$cmd")" "quoted:" "$(head -n 12 "$want")" \
                 "printed:" "$(head -n 12 "$WORK/got")"
        fi
    done
done
