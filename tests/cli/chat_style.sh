# tests/cli/chat_style.sh — chat never leaves the terminal styled (issue 19).
# Under a pseudo-terminal (Python's pty module), every escape sequence chat
# writes is replayed: after each prompt appears, after an answer, after a
# dim note and at exit, no bold or dim style may still be active (under
# Debian 12's libedit a reset inside the prompt once never reached the
# terminal, and typed text, answers and the shell after exit stayed bold).
# NO_COLOR and a pipe get no escape sequences at all. Needs python3 (SKIP
# without it).
. "$(dirname "$0")/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
    echo "SKIP chat_style (python3 is not installed)"
    exit 0
fi
"$RUSTGPT" train --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 0 -q \
    --out "$WORK/m.bin" > /dev/null 2>&1 || { fail chat_style_model "could not create a model"; exit 1; }

cat > "$WORK/style.py" << 'PY'
import os, pty, re, select, sys, time

rustgpt, model, no_color = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
env = dict(os.environ, TERM="xterm", HOME=os.environ.get("HOME", "/tmp"))
env.pop("NO_COLOR", None)
if no_color:
    env["NO_COLOR"] = "1"
pid, fd = pty.fork()
if pid == 0:
    os.execve(rustgpt, [rustgpt, "chat", "--model", model, "--max-tokens", "3"], env)
out = b""

def read_until(pattern, seconds=10):
    global out
    end = time.time() + seconds
    while time.time() < end:
        if re.search(pattern, out.decode("utf-8", "replace")):
            return True
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
    return False

def active_style(text):
    """Bold or dim left on by the SGR sequences in text, replayed in order."""
    bold = dim = False
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        for p in (params.split(";") if params else ["0"]):
            p = p or "0"
            if p == "0": bold = dim = False
            elif p == "1": bold = True
            elif p == "2": dim = True
            elif p == "22": bold = dim = False
    return ("bold " if bold else "") + ("dim" if dim else "")

def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name)
    if not ok and detail:
        print("    " + detail)

suffix = "_no_color" if no_color else ""
def after(name, pattern):
    seen = read_until(pattern)
    text = out.decode("utf-8", "replace")
    if no_color:
        check(name + suffix, seen and "\x1b[" not in text.replace("\x1b[?", ""),
              "escape sequences: %r" % re.findall(r"\x1b\[[0-9;?]*[A-Za-z]", text)[:5])
    else:
        style = active_style(text)
        check(name, seen and not style, "seen: %s, style left on: %r" % (seen, style))

after("chat_style_reset_after_the_first_prompt", r"> $")
time.sleep(0.3); os.write(fd, b"How do mountains form?\r")
after("chat_style_reset_after_an_answer_and_prompt", r"form\?\r\n(.|\n)*> $")
time.sleep(0.3); os.write(fd, b"Zorblax?\r")
after("chat_style_reset_after_a_dim_note", r"Zorblax(.|\n)*vocabulary(.|\n)*> $")
time.sleep(0.3); os.write(fd, b"\x04")
read_until(r"\Z(?!x)", 2)        # read to the end
_, status = os.waitpid(pid, 0)
after("chat_style_reset_at_exit", r"(.|\n)")
check("chat_style_exit_status_0" + suffix, os.WEXITSTATUS(status) == 0, "status %d" % status)
PY
python3 "$WORK/style.py" "$RUSTGPT" "$WORK/m.bin" 0
python3 "$WORK/style.py" "$RUSTGPT" "$WORK/m.bin" 1

# A pipe is no terminal: no styles, whatever NO_COLOR says.
printf 'hello\n/show\n' | "$RUSTGPT" chat --model "$WORK/m.bin" > "$WORK/out" 2> "$WORK/err"
if grep -q "$(printf '\033')" "$WORK/out" "$WORK/err"; then
    fail chat_style_pipe_has_no_escape_codes "$(od -c "$WORK/out" | head -n 3)"
else pass chat_style_pipe_has_no_escape_codes; fi
