# tests/cli/serve_models.sh — --models-dir: every model file of a directory
# served by name, loaded on first use, and unloaded least-recently-used
# first when loading another would exceed --memory-budget.
. tests/cli/lib.sh
. tests/cli/serve_lib.sh

train_tiny_model
mkdir -p "$WORK/models"
cp "$WORK/tiny.bin" "$WORK/models/alpha.bin"
cp "$WORK/tiny.bin" "$WORK/models/beta.bin"
echo "not a model" > "$WORK/models/notes.txt"
size=$(wc -c < "$WORK/tiny.bin")
budget="$(( (size * 3 / 2) / 1024 + 1 ))K"      # room for one model, not two
if ! start_server dir --models-dir "$WORK/models" --memory-budget "$budget"; then
    fail "models_dir_serves" "$(cat "$WORK/dir.log")"
    exit 1
fi
loaded() { curl -s "$BASE/metrics" | grep '^rustgpt_models_loaded ' | cut -d' ' -f2; }
ask() { curl -s "$BASE/api/generate" -d "{\"model\":\"$1\",\"stream\":false,\"prompt\":\"User: what is ice ? Assistant:\",\"options\":{\"temperature\":0}}"; }
expect_http "models_dir_lists_model_files" 200 "$BASE/api/tags"
expect_grep "models_dir_lists_alpha" "$WORK/body" '"name":"alpha"'
expect_grep "models_dir_lists_beta" "$WORK/body" '"name":"beta"'
if grep -q notes "$WORK/body"; then fail "models_dir_skips_other_files"; else pass "models_dir_skips_other_files"; fi
[ "$(loaded)" = 0 ] && pass "models_load_on_first_use_not_before" || fail "models_load_on_first_use_not_before" "loaded: $(loaded)"
ask alpha | grep -q '"response":"ice is frozen water\."' && pass "first_use_loads_alpha" || fail "first_use_loads_alpha"
[ "$(loaded)" = 1 ] && pass "one_model_loaded" || fail "one_model_loaded" "loaded: $(loaded)"
ask beta | grep -q '"response":"ice is frozen water\."' && pass "beta_loads_too" || fail "beta_loads_too"
[ "$(loaded)" = 1 ] && pass "budget_unloads_the_least_recently_used" || fail "budget_unloads_the_least_recently_used" "loaded: $(loaded)"
ask alpha | grep -q '"response":"ice is frozen water\."' && pass "unloaded_model_loads_again" || fail "unloaded_model_loads_again"
expect_http "a_file_name_is_not_a_model_name" 404 "$BASE/api/generate" -d '{"model":"alpha.bin","prompt":"x"}'
expect_http "a_path_is_not_a_model_name" 404 "$BASE/api/generate" -d "{\"model\":\"$WORK/models/alpha\",\"prompt\":\"x\"}"
stop_server
[ "$SERVER_STATUS" -eq 0 ] && pass "models_dir_server_exits_0" || fail "models_dir_server_exits_0" "status $SERVER_STATUS"
