# tests/cli/flow_examples.sh — the example flows of examples/flows, end to
# end, on a tiny model trained here in a few seconds on the bundled chat
# data: retrieval-augmented QA, the agent loop, parallel map-reduce
# summarisation and the intent router. What a model this small says is not
# checked word for word; what the flow does with it is: which document was
# retrieved and cited, which way the agent and the router went, how many
# steps, which files were written and what they hold. (The transcripts of
# docs/20-flows.md are re-run by tests/cli/docs.sh.)
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
EX=examples/flows
MODEL="$WORK/tiny.bin"
if ! "$RUSTGPT" train --chat data/chat.json --layers 1 --dim 48 --heads 4 --hidden 96 --seq-len 48 \
        --epochs 20 --threads 2 --out "$MODEL" -q > "$WORK/train.log" 2>&1; then
    fail flow_examples_model "training the tiny model failed: $(tail -3 "$WORK/train.log")"
    exit 0
fi

run() { "$RUSTGPT" flow run "$@" --model "$MODEL" > "$WORK/out" 2> "$WORK/err"; }

# Retrieval-augmented QA: the cheetah question is answered from animals.txt.
run "$EX/rag.json" --dir "$EX"
expect_grep flow_example_rag_cites_source "$WORK/out" '"reply":[[:space:]]*".* \[source: animals.txt\]"'
expect_grep flow_example_rag_retrieved "$WORK/out" '"name":[[:space:]]*"animals.txt"'
expect_grep flow_example_rag_prompt "$WORK/out" '"prompt":[[:space:]]*"The cheetah is the fastest land animal.*User: Which animal is the fastest on land\? Assistant:"'
run "$EX/rag.json" --dir "$EX" --set "question=Why do we have seasons?" --print reply
expect_grep flow_example_rag_other_question "$WORK/out" '\[source: weather.txt\]$'
run "$EX/rag.json" --dir "$EX" --set "question=qwerty zxcv" --print reply
expect_grep flow_example_rag_nothing_found "$WORK/out" '^No document mentions that\.$'

# The agent: one search finds the cheetah; out of budget it gives up.
run "$EX/agent.json" --dir "$EX" --print reply
expect_grep flow_example_agent_answers "$WORK/out" '\[found in animals.txt after 1 search step\(s\)\]$'
run "$EX/agent.json" --dir "$EX" --set steps=3 --print reply
expect_grep flow_example_agent_step_limit "$WORK/out" '^I could not find it in 3 steps\.$'
run "$EX/agent.json" --dir "$EX" --set "question=zzzz qqqq"
if grep -Eq '"steps":[[:space:]]*[1-3]' "$WORK/out" && grep -Eq '"reply":' "$WORK/out"; then
    pass flow_example_agent_rewords
else
    fail flow_example_agent_rewords "$(cat "$WORK/out" "$WORK/err" | head -c 600)"
fi

# Map-reduce: every document summarised (in parallel), gathered in name order, written.
mkdir -p "$WORK/mr" && cp -r "$EX/docs" "$WORK/mr/"
run "$EX/mapreduce.json" --dir "$WORK/mr" --print report
if [ -f "$WORK/mr/summary.md" ] && [ "$(grep -c '^- ' "$WORK/mr/summary.md")" -eq 5 ] &&
   [ "$(grep '^- ' "$WORK/mr/summary.md" | cut -d: -f1 | tr '\n' ' ')" = \
     "- animals.txt - body.txt - space.txt - water.txt - weather.txt " ] &&
   { cat "$WORK/mr/summary.md"; echo; } | cmp -s - "$WORK/out"; then
    pass flow_example_mapreduce
else
    fail flow_example_mapreduce "$(cat "$WORK/err" "$WORK/mr/summary.md" 2> /dev/null | head -c 600)"
fi

# The router: each intent takes its own branch.
run "$EX/chat_router.json" --set "message=hello there" --print reply
expect_grep flow_example_router_greet "$WORK/out" '^Hello! Ask me a question about science\.$'
run "$EX/chat_router.json" --set "message=bye for now" --print reply
expect_grep flow_example_router_farewell "$WORK/out" '^Goodbye!$'
run "$EX/chat_router.json" --set "message=purple" --print reply
expect_grep flow_example_router_other "$WORK/out" "^You said \"purple\"\\. Ask me a question ending in '\\?'\\.$"
run "$EX/chat_router.json" --set "message=Why does ice float on water?"
if [ -s "$WORK/out" ] && ! grep -q "Hello!\|Goodbye!\|You said" "$WORK/out" && grep -q '"reply"' "$WORK/out"; then
    pass flow_example_router_question
else
    fail flow_example_router_question "$(cat "$WORK/out" "$WORK/err" | head -c 600)"
fi
