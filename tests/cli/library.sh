# tests/cli/library.sh — librustgpt as a user gets it: `make install` into a
# temporary prefix (static and shared library, headers, rustgpt.pc), then
# examples/hello.c built with `pkg-config --cflags --libs rustgpt` against
# that copy only, and run on a model. Also `rustgpt plugins`, --plugin and
# RUSTGPT_PLUGIN_PATH from the command line.
. "$(dirname "$0")/lib.sh"
BUILD_DIR=${BUILD_DIR:-$(pwd)/build}
build=$(basename "$BUILD_DIR")
prefix="$WORK/prefix"

if make -s install PREFIX="$prefix" BUILD="$build" SANITIZE="${SANITIZE:-0}" > "$WORK/install.log" 2>&1 &&
   [ -f "$prefix/lib/librustgpt.a" ] && [ -f "$prefix/lib/librustgpt.so" ] &&
   [ -f "$prefix/include/rustgpt.h" ] && [ -f "$prefix/include/rustgpt/plugin.h" ] &&
   [ -f "$prefix/lib/pkgconfig/rustgpt.pc" ]; then
    pass install_puts_library_headers_and_pc
else
    fail install_puts_library_headers_and_pc "$(tail -5 "$WORK/install.log")"
fi

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
extra=""
[ "${SANITIZE:-0}" = 1 ] && extra="-fsanitize=address,undefined"
if cc -std=c11 -Wall -Wextra -Werror $extra examples/hello.c $(pkg-config --cflags --libs rustgpt) \
      -o "$WORK/hello" 2> "$WORK/cc.log"; then
    pass hello_builds_with_pkg_config
else
    fail hello_builds_with_pkg_config "$(head -5 "$WORK/cc.log")"
fi
if ldd "$WORK/hello" 2>/dev/null | grep -q "$prefix/lib/librustgpt.so"; then
    pass hello_links_the_installed_shared_library
else
    fail hello_links_the_installed_shared_library "$(ldd "$WORK/hello" 2>&1 | head -5)"
fi

"$RUSTGPT" train --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 1 -q \
    --out "$WORK/m.bin" > /dev/null 2>&1 || fail library_model "could not train a model"
expect_status hello_runs_and_replies 0 "$WORK/hello" "$WORK/m.bin" "How do mountains form?"
expect_grep hello_prints_the_count "$WORK/out" "^\([0-9]+ tokens, librustgpt [0-9.]+\)$"
expect_status hello_reports_a_missing_model 1 "$WORK/hello" "$WORK/none.bin" "hi"
expect_grep hello_names_the_missing_file "$WORK/err" "none.bin"

# rustgpt plugins, --plugin, RUSTGPT_PLUGIN_PATH
char="$BUILD_DIR/examples/char_tokenizer.so"
expect_status plugins_lists_builtins 0 "$RUSTGPT" plugins
expect_grep plugins_lists_word "$WORK/out" "^tokenizer +word +1 +built-in$"
expect_grep plugins_lists_gpt "$WORK/out" "^arch +gpt +1 +built-in$"
expect_status plugins_with_a_plugin 0 "$RUSTGPT" plugins --plugin "$char"
expect_grep plugins_names_the_file "$WORK/out" "^tokenizer +char +1 +.*char_tokenizer\.so$"
RUSTGPT_PLUGIN_PATH="/nonexistent.so:$char" expect_status plugin_path_refuses_a_missing_file 1 "$RUSTGPT" plugins
expect_grep plugin_path_names_the_missing_file "$WORK/err" "plugin /nonexistent.so: no such file"
RUSTGPT_PLUGIN_PATH="$char" expect_status plugin_path_loads 0 "$RUSTGPT" plugins
expect_grep plugin_path_lists_char "$WORK/out" "char_tokenizer\.so"
expect_status plugin_bad_abi_refused 1 "$RUSTGPT" plugins --plugin "$BUILD_DIR/tests/plugins/bad_abi.so"
expect_grep plugin_bad_abi_message "$WORK/err" "bad_abi.so: .*ABI version 2; this library has ABI version 1"
expect_status plugin_failing_init_refused 1 "$RUSTGPT" info --plugin "$BUILD_DIR/tests/plugins/failing_init.so" "$WORK/m.bin"
expect_grep plugin_failing_init_named "$WORK/err" "failing_init.so: its initialisation failed, so it was unloaded"
expect_status plugin_option_needs_a_value 2 "$RUSTGPT" plugins --plugin
expect_status plugins_takes_no_arguments 2 "$RUSTGPT" plugins extra
