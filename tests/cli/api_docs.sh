#!/bin/sh
# tests/cli/api_docs.sh — every public function and type in include/ has a
# doc comment: a comment after the last blank line before its declaration
# (one comment may head a block of declarations with no blank line between).
# Run by `make test`; fails naming each undocumented symbol.
cd "$(dirname "$0")/../.." || exit 2
. tests/cli/lib.sh

check_header() {
    awk -v file="$1" '
        function flag(name) { if (comment_end <= blank) { print file ":" NR ": " name; bad++ } }
        /^[ \t]*$/ { blank = NR; next }
        /\*\/[ \t]*$/ { comment_end = NR }
        /^[ \t]*(\/\*|\*)/ { next }                       # inside or start of a comment
        /^typedef/ {
            line = $0
            if (match(line, /\(\*rg_[a-z0-9_]+\)/)) { flag(substr(line, RSTART + 2, RLENGTH - 3)); next }
            if (match(line, /rg_[a-z0-9_]+;/)) { flag(substr(line, RSTART, RLENGTH - 1)); next }
            pending = 1; pending_ok = comment_end > blank; next
        }
        pending && /^}/ {                                 # } rg_name; closes a typedef
            if (match($0, /rg_[a-z0-9_]+/) && !pending_ok) { print file ":" NR ": " substr($0, RSTART, RLENGTH); bad++ }
            pending = 0; next
        }
        /^[A-Za-z].*[ *]rg_[a-z0-9_]+\(/ {
            if (match($0, /rg_[a-z0-9_]+\(/)) flag(substr($0, RSTART, RLENGTH - 1))
        }
        END { exit bad ? 1 : 0 }
    ' "$1"
}

for h in $(find include -name '*.h' | sort); do
    if out=$(check_header "$h"); then
        pass "api_docs_$(basename "$h")"
    else
        fail "api_docs_$(basename "$h")" "public symbols without a doc comment:" "$out"
    fi
done

# The check itself: a header with an undocumented function and type fails.
cat > "$WORK/bad.h" <<'H'
/* documented */
int rg_documented(void);

int rg_undocumented(void);

typedef struct rg_bare rg_bare;
H
if out=$(check_header "$WORK/bad.h"); then
    fail api_docs_check_catches_missing "an undocumented header passed"
elif echo "$out" | grep -q rg_undocumented && echo "$out" | grep -q rg_bare && ! echo "$out" | grep -q rg_documented; then
    pass api_docs_check_catches_missing
else
    fail api_docs_check_catches_missing "$out"
fi
