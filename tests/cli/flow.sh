# tests/cli/flow.sh — `rustgpt flow`: running flow files, drawing them, and
# refusing bad ones (malformed JSON, unknown types, missing keys, loops with
# no way out, paths outside --dir) with a message naming the place and
# nothing written. http_chat talks to a stand-in OpenAI server.
. "$(dirname "$0")/lib.sh"
FLOWS=$(cd "$(dirname "$0")/flows" && pwd)
D="$WORK/dir"
mkdir -p "$D"

# expect_error NAME PATTERN FLOW [ARGS...]: the run fails with status 1, the
# message matches PATTERN, and nothing appeared in $D.
expect_error() {
    name=$1 pattern=$2
    shift 2
    rm -rf "$D" && mkdir -p "$D"
    "$RUSTGPT" flow run "$@" --dir "$D" > "$WORK/out" 2> "$WORK/err" < /dev/null
    got=$?
    if [ "$got" -ne 1 ]; then fail "$name" "exit status $got, expected 1" "$(cat "$WORK/err")"
    elif ! grep -Eq -- "$pattern" "$WORK/err"; then fail "$name" "no /$pattern/ in:" "$(cat "$WORK/err")"
    elif [ -n "$(ls -A "$D")" ]; then fail "$name" "files were written: $(ls -A "$D")"
    else pass "$name"; fi
}

# A flow with every model-free node type: template, branch, map (parallel), write_file.
expect_status flow_run_ok 0 "$RUSTGPT" flow run "$FLOWS/demo.json" --dir "$D" --print report
expect_grep flow_run_output "$WORK/out" '^hello world: <a:0> <bb:1> <ccc:2>$'
expect_grep flow_run_wrote "$D/out/report.txt" '^hello world: <a:0> <bb:1> <ccc:2>$'
expect_status flow_run_set 0 "$RUSTGPT" flow run "$FLOWS/demo.json" --dir "$D" --set name=moon --print report
expect_grep flow_run_set_routes "$WORK/out" '^hello moon: \(no list\)$'
expect_status flow_run_store 0 "$RUSTGPT" flow run "$FLOWS/demo.json" --dir "$D"
expect_grep flow_run_prints_store "$WORK/out" '"greeting":[[:space:]]*"hello world"'
expect_status flow_check_ok 0 "$RUSTGPT" flow check "$FLOWS/demo.json"
expect_status flow_graph_mermaid 0 "$RUSTGPT" flow graph "$FLOWS/demo.json"
expect_grep flow_graph_mermaid_edges "$WORK/out" '-->\|world\| n[0-9]'
expect_status flow_graph_dot 0 "$RUSTGPT" flow graph "$FLOWS/demo.json" --format dot
expect_grep flow_graph_dot_edges "$WORK/out" '\[label="other"\]'
expect_status flow_bad_format 2 "$RUSTGPT" flow graph "$FLOWS/demo.json" --format png

# Bad flow files: each message names the file, the node and the key.
printf '{"start": "a",\n "nodes": {"a": {"type": "template",, }}}\n' > "$WORK/malformed.json"
expect_error flow_malformed_json 'malformed.json: malformed JSON at line 2, column [0-9]+' "$WORK/malformed.json"
bad() { printf '%s\n' "$2" > "$WORK/$1.json"; }
bad unknown_type '{"start": "a", "nodes": {"a": {"type": "shell", "command": "rm -rf /"}}}'
expect_error flow_unknown_type "node 'a': unknown type 'shell'" "$WORK/unknown_type.json"
bad missing_key '{"start": "a", "nodes": {"a": {"type": "template", "template": "x"}}}'
expect_error flow_missing_key "node 'a': missing key 'to'" "$WORK/missing_key.json"
bad unknown_key '{"start": "a", "nodes": {"a": {"type": "template", "template": "x", "to": "y", "too": 1}}}'
expect_error flow_unknown_key "node 'a': unknown key 'too' for a template node" "$WORK/unknown_key.json"
bad no_such_next '{"start": "a", "nodes": {"a": {"type": "template", "template": "x", "to": "y", "next": "b"}}}'
expect_error flow_next_names_no_node "node 'a': key 'next': no node named 'b'" "$WORK/no_such_next.json"
bad loop '{"start": "a", "nodes": {"a": {"type": "template", "template": "x", "to": "y", "next": "b"},
                                  "b": {"type": "template", "template": "x", "to": "y", "next": "a"}}}'
expect_error flow_loop_without_exit "a loop with no way out: nodes 'a', 'b'" "$WORK/loop.json"
bad wrong_action '{"start": "a", "nodes": {"a": {"type": "branch", "key": "k", "cases": [{"equals": 1, "action": "one"}],
                   "next": {"One": "b"}}, "b": {"type": "template", "template": "x", "to": "y"}}}'
expect_error flow_undeclared_action "node 'a': a successor for action 'One', which it never returns" "$WORK/wrong_action.json"
bad unreachable '{"start": "a", "nodes": {"a": {"type": "template", "template": "x", "to": "y"},
                  "lost": {"type": "template", "template": "x", "to": "y"}}}'
expect_error flow_unreachable "node 'lost': no path from the start of flow 'main' reaches it" "$WORK/unreachable.json"
bad bad_regex '{"start": "a", "nodes": {"a": {"type": "branch", "key": "k", "cases": [{"match": "(", "action": "x"}]}}}'
expect_error flow_bad_regex "node 'a': cases\[0\]: bad regular expression" "$WORK/bad_regex.json"

# Paths outside --dir: refused when loading (fixed paths) or when the node runs (placeholders).
bad dotdot '{"start": "w", "nodes": {"w": {"type": "write_file", "path": "../escape.txt", "content": "x"}}}'
expect_error flow_path_dotdot "node 'w': key 'path': '../escape.txt' leaves the directory" "$WORK/dotdot.json"
bad absolute '{"start": "r", "nodes": {"r": {"type": "read_file", "path": "/etc/passwd", "to": "t"}}}'
expect_error flow_path_absolute "node 'r': key 'path': '/etc/passwd' is an absolute path" "$WORK/absolute.json"
bad templated '{"start": "w", "nodes": {"w": {"type": "write_file", "path": "{{p}}", "content": "x"}}}'
expect_error flow_path_placeholder "node 'w': prep: 'a/../../x' leaves the directory" "$WORK/templated.json" --set p=a/../../x
# A symbolic link inside --dir that points outside it.
bad via_link '{"start": "r", "nodes": {"r": {"type": "read_file", "path": "{{p}}", "to": "t"}}}'
rm -rf "$D" && mkdir -p "$D" && ln -s /etc "$D/etc"
"$RUSTGPT" flow run "$WORK/via_link.json" --dir "$D" --set p=etc/passwd > "$WORK/out" 2> "$WORK/err"
if [ $? -eq 1 ] && grep -q "leads outside the directory" "$WORK/err"; then pass flow_path_symlink
else fail flow_path_symlink "$(cat "$WORK/err")"; fi
"$RUSTGPT" flow run "$FLOWS/demo.json" > "$WORK/out" 2> "$WORK/err"
if [ $? -eq 1 ] && grep -q "node 'save': write_file needs a directory to work in (--dir DIR)" "$WORK/err"
then pass flow_needs_dir; else fail flow_needs_dir "$(cat "$WORK/err")"; fi
expect_status flow_run_usage 2 "$RUSTGPT" flow run "$FLOWS/demo.json" --set novalue

# http_chat against a stand-in OpenAI-compatible server.
if command -v python3 > /dev/null; then
    python3 "$(dirname "$0")/fake_openai.py" > "$WORK/port" &
    server=$!
    i=0
    while [ ! -s "$WORK/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    port=$(cat "$WORK/port")
    expect_status flow_http_chat 0 "$RUSTGPT" flow run "$FLOWS/http_chat.json" --set "url=http://127.0.0.1:$port/v1" \
        --set "question=is it raining" --print answer
    expect_grep flow_http_chat_answer "$WORK/out" '^ECHO: IS IT RAINING$'
    expect_status flow_http_chat_error 1 "$RUSTGPT" flow run "$FLOWS/http_chat.json" \
        --set "url=http://127.0.0.1:$port/v1" --set question=fail
    expect_grep flow_http_chat_error_message "$WORK/err" "node 'ask': exec \(2 tries\): the server answered HTTP 500: the model is asleep"
    kill "$server"
    expect_status flow_http_chat_refused 1 "$RUSTGPT" flow run "$FLOWS/http_chat.json" \
        --set "url=http://127.0.0.1:$port/v1" --set question=hi
    expect_grep flow_http_chat_refused_message "$WORK/err" "node 'ask': exec \(2 tries\): http://127.0.0.1:$port/v1/chat/completions"
else
    echo "SKIP flow_http_chat (no python3)"
fi
