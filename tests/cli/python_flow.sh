# tests/cli/python_flow.sh — the Python face of flows (python/rustgpt_flow)
# under `python3 -m unittest`, over the librustgpt.so beside $RUSTGPT. Each
# unittest case becomes a PASS or FAIL line.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
RUSTGPT_LIB=${RUSTGPT_LIB:-$(dirname "$RUSTGPT")/librustgpt.so}
if ! command -v python3 > /dev/null; then echo "SKIP python_flow (no python3)"; exit 0; fi
if [ ! -e "$RUSTGPT_LIB" ]; then fail python_flow_library "no $RUSTGPT_LIB (make builds it)"; exit 0; fi
export RUSTGPT_LIB
# A sanitizer build's library needs its runtime loaded first into python3.
case "$RUSTGPT_LIB" in
    *build-asan*) LD_PRELOAD="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)"
                  ASAN_OPTIONS=detect_leaks=0
                  export LD_PRELOAD ASAN_OPTIONS ;;
esac
python3 -m unittest -v tests/python/test_flow.py > "$WORK/log" 2>&1
status=$?
# "test_name (module.Class.test_name) ... ok" -> "PASS python_test_name"
sed -n 's/^\(test_[a-z_0-9]*\) (.*) \.\.\. \(.*\)$/\1 \2/p' "$WORK/log" | while read -r name result; do
    case "$result" in
        ok) echo "PASS python_$name" ;;
        skipped*) echo "SKIP python_$name ($result)" ;;
        *) echo "FAIL python_$name ($result)" ;;
    esac
done
if [ $status -ne 0 ]; then fail python_flow_unittest "python3 -m unittest exited with $status"; cat "$WORK/log"; fi
