# tests/cli/chat_pty.sh — `rustgpt chat` on a real (pseudo-)terminal, driven
# by expect: the startup line, the prompt, /help, an answer that streams in
# token by token, history on the Up arrow and Ctrl-C on a typed line
# (discards it; both only when built with libedit), Ctrl-C in the middle of
# an answer (stops it, back to the prompt),
# Ctrl-C at an empty prompt (leaves with 130), Ctrl-D (leaves with 0), and
# colour that NO_COLOR turns off.
#
# Needs expect (Debian package "expect"); prints SKIP without it. The model
# is untrained (--epochs 0); RUSTGPT_TEST_TOKEN_DELAY_MS slows each token to
# 150 ms so that a Ctrl-C can land in the middle of an answer.
. "$(dirname "$0")/lib.sh"

if ! command -v expect > /dev/null 2>&1; then
    echo "SKIP chat_pty (expect is not installed; Debian package: expect)"
    exit 0
fi
"$RUSTGPT" train --dim 16 --heads 2 --hidden 32 --layers 1 --epochs 0 -q \
    --out "$WORK/m.bin" > /dev/null 2>&1 || { fail chat_pty_model "could not create a model"; exit 1; }

cat > "$WORK/chat.exp" << 'EOF'
log_user 0
set timeout 10
set rustgpt $env(RUSTGPT)
set model $env(MODEL)
set env(TERM) xterm
set env(RUSTGPT_TEST_TOKEN_DELAY_MS) 150
unset -nocomplain env(NO_COLOR)

proc check {name ok {detail ""}} {
    if {$ok} {
        puts "PASS $name"
    } else {
        puts "FAIL $name"
        if {$detail ne ""} { puts "    $detail" }
    }
}

# Wait for PATTERN (a regular expression); 1 if it came, 0 on timeout or eof.
proc saw {pattern {seconds 10}} {
    global expect_out
    expect {
        -timeout $seconds
        -re $pattern { return 1 }
        timeout { return 0 }
        eof { return 0 }
    }
}

# Type at the prompt. A person never types within microseconds of the prompt
# appearing; a test would, while libedit is still switching the terminal to
# its editing mode, and the keys could land in the wrong mode.
proc type {keys} {
    after 300
    send -- $keys
}

# Wait for the process to end; its exit status ("hung" if it had to be killed).
proc exit_status {} {
    set hung 0
    expect {
        -timeout 10
        eof {}
        timeout { set hung 1; exec kill -9 [exp_pid] }
    }
    set status [lindex [wait] 3]
    return [expr {$hung ? "hung" : $status}]
}

spawn $rustgpt chat --model $model --max-tokens 4
set startup [saw {rustgpt chat[^\r\n]* · [0-9,]+ parameters · vocabulary [0-9]+ · /help for commands}]
check chat_pty_startup_line $startup
check chat_pty_startup_line_is_bold_on_a_terminal [expr {[string first "\033\[1m" $expect_out(buffer)] >= 0}]
check chat_pty_prompt [saw {> }]

type "/help\r"
check chat_pty_help [saw {/set NAME VALUE.*Ctrl-C stops an answer.*> }]

# Streaming: the first token is on the screen while the answer (4 tokens,
# 150 ms apart) is still being made, so no new prompt has come yet.
type "How do mountains form?\r"
saw {form\?\r\n}
set first [saw {[^\s]}]
set early [saw {\n[^\n]*> } 0]
set done [saw {\n[^\n]*> }]
check chat_pty_streamed_answer [expr {$first && !$early && $done}] \
    "first token seen: $first, prompt before the end: $early, prompt after: $done"

# History and Ctrl-C on a typed line need libedit; /show says if it is in.
type "/show\r"
if {[saw {line editing and history: libedit.*> }]} {
    type "\033\[A"
    check chat_pty_history_recalls_the_last_line [saw {/show}]
    type "\003"
    check chat_pty_ctrl_c_discards_a_typed_line [saw {\^C.*> }]
} else {
    puts "SKIP chat_pty_history_recalls_the_last_line (built without libedit)"
    puts "SKIP chat_pty_ctrl_c_discards_a_typed_line (built without libedit)"
}

type "/set max-tokens 60\r"
saw {max-tokens = 60.*> }
type "What is gravity?\r"
saw {gravity\?\r\n}
saw {[^\s]}
set sent [clock milliseconds]
send "\003"
set stopped [saw {\(stopped\).*> } 3]
set took [expr {[clock milliseconds] - $sent}]
check chat_pty_ctrl_c_stops_the_answer [expr {$stopped && $took < 3000}] "stopped: $stopped after $took ms"

type "\003"
set status [exit_status]
check chat_pty_ctrl_c_at_an_empty_prompt_leaves_with_130 [expr {$status eq 130}] "exit status $status"

spawn $rustgpt chat --model $model
saw {> }
type "\004"
set status [exit_status]
check chat_pty_ctrl_d_leaves_with_0 [expr {$status eq 0}] "exit status $status"

set env(NO_COLOR) 1
spawn $rustgpt chat --model $model
saw {> }
check chat_pty_no_color_means_no_escape_codes [expr {[string first "\033" $expect_out(buffer)] < 0}]
type "/exit\r"
set status [exit_status]
check chat_pty_exit_command_leaves_with_0 [expr {$status eq 0}] "exit status $status"
EOF

RUSTGPT="$RUSTGPT" MODEL="$WORK/m.bin" HOME="$WORK" expect "$WORK/chat.exp"
