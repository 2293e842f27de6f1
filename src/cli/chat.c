/*
 * chat.c — `rustgpt chat`: talk to a trained model in a terminal, or answer
 * lines from a script.
 *
 * On a terminal: a startup line (model file, parameters, vocabulary, how to
 * get help), a prompt with line editing and history when rustgpt was built
 * with libedit, answers streamed token by token, slash commands
 * (chat_commands.c). Ctrl-C during an answer stops it and returns to the
 * prompt; Ctrl-C at an empty prompt leaves with status 130, Ctrl-D with 0;
 * Ctrl-C on a line being typed discards the line, as a shell does.
 *
 * Not a terminal (stdin is a pipe or a file): no startup line, no prompt, no
 * colour, and each input line gets exactly one answer line on stdout, so
 * `echo "How do mountains form?" | rustgpt chat` works in scripts. Notes and
 * slash-command output go to stderr there. An empty line gets an empty line.
 *
 * The conversation itself (earlier turns in the context, dropping the oldest
 * when it would overflow) is chat_session.c's business. --history defaults
 * to 0 because models trained on single exchanges answer worse with earlier
 * turns before the question (docs/10-decoding.md has the measurement).
 *
 * Ctrl-C is a signal: on_sigint() only sets a flag, which the token printer
 * reads after every token and answers with "stop". While libedit reads a
 * line it turns the terminal's signal keys off (setty -d -isig), so there
 * Ctrl-C arrives as a key, bound to on_ctrl_c(), which can see whether the
 * line is empty.
 *
 * RUSTGPT_TEST_TOKEN_DELAY_MS=N sleeps N ms after each streamed token. It
 * exists for tests/cli/chat_pty.sh, which needs an answer slow enough to
 * press Ctrl-C in the middle of it.
 */
#include "cli/chat.h"
#include "cli/cli.h"
#include "formats/modelfile.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBEDIT
#include <histedit.h>
#include <wchar.h>
#endif

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

/* ---- reading lines ------------------------------------------------------ */

enum { LINE_READ, LINE_EOF, LINE_INTERRUPT, LINE_DISCARDED };

typedef struct {
    int show_prompt;            /* print "> " (terminal without libedit)    */
    char *line;                 /* the last line read, without its newline  */
    size_t cap;
#ifdef HAVE_LIBEDIT
    EditLine *el;               /* NULL when stdin or stdout is no terminal */
    History *history;
    int ctrl_c;                 /* Ctrl-C pressed during the last el_gets   */
#endif
} LineReader;

#ifdef HAVE_LIBEDIT
static char *plain_prompt(EditLine *el) { (void)el; return "> "; }
static char *bold_prompt(EditLine *el) { (void)el; return "\1\033[1m\1> \1\033[0m\1"; }

/* Ctrl-C while typing: leave at an empty prompt (el_gets returns NULL).
 * On a line with text, show "^C" at its end and press Enter for the user;
 * read_edited_line() then discards the line, as a shell would. */
static unsigned char on_ctrl_c(EditLine *el, int ch)
{
    (void)ch;
    LineReader *r;
    el_get(el, EL_CLIENTDATA, &r);
    r->ctrl_c = 1;
    const LineInfo *li = el_line(el);
    if (li->lastchar == li->buffer) return CC_EOF;
    el_cursor(el, (int)(li->lastchar - li->cursor));
    el_insertstr(el, "^C");
    el_push(el, "\n");
    return CC_REFRESH;
}
#endif

static void reader_open(LineReader *r, int terminal, int colour)
{
    memset(r, 0, sizeof *r);
    r->show_prompt = terminal;
#ifdef HAVE_LIBEDIT
    if (!terminal || !isatty(STDOUT_FILENO)) return;
    r->el = el_init("rustgpt", stdin, stdout, stderr);
    r->history = history_init();
    if (!r->el || !r->history) {            /* plain reading still works */
        if (r->el) el_end(r->el);
        if (r->history) history_end(r->history);
        r->el = NULL;
        r->history = NULL;
        return;
    }
    HistEvent ev;
    history(r->history, &ev, H_SETSIZE, 1000);
    history(r->history, &ev, H_SETUNIQUE, 1);
    el_set(r->el, EL_EDITOR, "emacs");
    el_set(r->el, EL_HIST, history, r->history);
    el_set(r->el, EL_CLIENTDATA, r);
    el_set(r->el, EL_PROMPT_ESC, colour ? bold_prompt : plain_prompt, '\1');
    el_source(r->el, NULL);                 /* the user's ~/.editrc */
    el_set(r->el, EL_SETTY, "-d", "-isig", NULL);
    /* el_wset: the narrow el_set copies these two strings and never frees them. */
    el_wset(r->el, EL_ADDFN, L"rustgpt-ctrl-c", L"leave, or discard the line", on_ctrl_c);
    el_set(r->el, EL_BIND, "^C", "rustgpt-ctrl-c", NULL);
#else
    (void)colour;
#endif
}

static void reader_close(LineReader *r)
{
#ifdef HAVE_LIBEDIT
    if (r->el) el_end(r->el);
    if (r->history) history_end(r->history);
#endif
    free(r->line);
}

/* Keep text [len] (which may be r->line itself) in r->line, without the
 * line ending. */
static int keep_line(LineReader *r, const char *text, size_t len)
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
    if (len + 1 > r->cap) {
        char *grown = realloc(r->line, len + 1);
        if (!grown) return LINE_EOF;
        r->line = grown;
        r->cap = len + 1;
    }
    memmove(r->line, text, len);
    r->line[len] = '\0';
    return LINE_READ;
}

#ifdef HAVE_LIBEDIT
static int read_edited_line(LineReader *r)
{
    int count = 0;
    r->ctrl_c = 0;
    const char *text = el_gets(r->el, &count);
    if (r->ctrl_c) return text ? LINE_DISCARDED : LINE_INTERRUPT;
    if (!text || count <= 0) return interrupted ? LINE_INTERRUPT : LINE_EOF;
    int rc = keep_line(r, text, (size_t)count);
    if (rc == LINE_READ && r->line[strspn(r->line, " \t")]) {
        HistEvent ev;
        history(r->history, &ev, H_ENTER, r->line);
    }
    return rc;
}
#endif

/* Read one line into r->line. */
static int read_line(LineReader *r)
{
#ifdef HAVE_LIBEDIT
    if (r->el) return read_edited_line(r);
#endif
    if (r->show_prompt) {
        fputs("> ", stdout);
        fflush(stdout);
    }
    ssize_t len = getline(&r->line, &r->cap, stdin);
    if (len < 0) return interrupted ? LINE_INTERRUPT : LINE_EOF;
    return keep_line(r, r->line, (size_t)len);
}

/* ---- answering ---------------------------------------------------------- */

typedef struct {
    TokenPrinter printer;       /* cli.h: the detokenizer, flushed per token */
    long delay_ms;              /* RUSTGPT_TEST_TOKEN_DELAY_MS */
} AnswerPrinter;

/* Stream one token (print_token), then answer "stop" once Ctrl-C was
 * pressed. */
static int print_answer_token(int token, void *ctx)
{
    AnswerPrinter *p = ctx;
    print_token(token, &p->printer);
    if (p->delay_ms > 0) {
        struct timespec pause = { p->delay_ms / 1000, p->delay_ms % 1000 * 1000000L };
        nanosleep(&pause, NULL);              /* a Ctrl-C cuts it short */
    }
    return interrupted != 0;
}

/* A note about the answer: dim on the terminal, "rustgpt: line N: ..." on
 * stderr when scripted (stdout keeps nothing but the answers). */
static void answer_note(const ChatStyle *style, long line_no, const char *what, const char *detail)
{
    if (style->terminal) chat_note(style, "(%s%s)", what, detail);
    else fprintf(stderr, "rustgpt: line %ld: %s%s\n", line_no, what, detail);
}

/* Answer one line; returns EXIT_OK, or EXIT_INTERRUPTED when Ctrl-C stopped
 * a scripted chat, or EXIT_RUNTIME after fail(). */
static int answer_line(ChatSession *s, const char *line, const ChatStyle *style, long line_no)
{
    const char *delay = getenv("RUSTGPT_TEST_TOKEN_DELAY_MS");
    AnswerPrinter printer = { .delay_ms = delay ? atol(delay) : 0 };
    token_printer_init_model(&printer.printer, s->model, stdout);
    ChatTurn turn;
    interrupted = 0;
    int rc = chat_answer(s, line, print_answer_token, &printer, &turn);
    fputc('\n', stdout);
    fflush(stdout);
    interrupted = 0;
    if (rc != 0) return EXIT_RUNTIME;
    if (turn.stopped && style->terminal) answer_note(style, line_no, "stopped", "");
    if (turn.unknown[0]) answer_note(style, line_no, "not in the vocabulary, read as <unk>: ", turn.unknown);
    if (turn.prompt_cut) {
        char detail[96];
        snprintf(detail, sizeof detail, "%d tokens, only the last %d were read",
                 turn.n_prompt + turn.prompt_cut, turn.n_prompt);
        answer_note(style, line_no, "too long for the model's context: ", detail);
    }
    if (style->terminal) fputc('\n', stdout);
    return turn.stopped && !style->terminal ? EXIT_INTERRUPTED : EXIT_OK;
}

/* The read-answer loop. Returns the exit status. */
static int converse(ChatSession *s, const ChatStyle *style)
{
    LineReader reader;
    reader_open(&reader, style->terminal, style->colour);
    int status = EXIT_OK;
    for (long line_no = 1;; line_no++) {
        int r = read_line(&reader);
        if (r == LINE_DISCARDED) continue;
        if (r != LINE_READ) {
            if (style->terminal) fputc('\n', stdout);
            status = r == LINE_INTERRUPT ? EXIT_INTERRUPTED : EXIT_OK;
            break;
        }
        const char *line = reader.line + strspn(reader.line, " \t");
        if (line[0] == '/') {
            if (chat_command(s, line, style) == COMMAND_EXIT) break;
        } else if (line[0] == '\0') {
            if (!style->terminal) fputc('\n', stdout);     /* one line per line */
        } else if ((status = answer_line(s, line, style, line_no)) != EXIT_OK) {
            break;
        }
        fflush(stdout);
    }
    reader_close(&reader);
    return status;
}

const char chat_help[] =
    "usage: rustgpt chat [--model FILE] [--history N|all] [sampling options]\n"
    "\n"
    "Answers each line you type as the model's chat data taught it. In a terminal: line\n"
    "editing, /help for the slash commands (/set, /show, /clear, /save, /exit); from a\n"
    "pipe: one answer line per input line.\n"
    "\n"
    "  --model FILE (" DEFAULT_MODEL_PATH ")\n"
    "  --history N|all (0)    earlier turns kept in the context (all: every turn that fits)\n"
    "sampling:\n"
    "  --temperature T (0)    0 = greedy; higher is more random\n"
    "  --top-k K (0 = off)    keep the K most likely tokens\n"
    "  --top-p P (1 = off)    keep the most likely tokens whose probabilities add up to P\n"
    "  --repeat-penalty R (1 = off)  discourage tokens already in the context\n"
    "  --max-tokens N (60)    longest answer\n"
    "  --seed S (42)          the sampler's generator\n"
    "  --beams N (1 = off)    beam search with N hypotheses (deterministic)\n"    "NO_COLOR set in the environment turns the terminal styles off.\n";

int cmd_chat(int argc, char **argv)
{
    const char *model_path = DEFAULT_MODEL_PATH, *history = "0";
    SamplingOptions opt = sampling_default();
    int max_history;
    for (int i = 1; i < argc; i++) {
        int r = parse_sampling_option(argc, argv, &i, &opt);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        if (strcmp(argv[i], "--model") == 0) {
            if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--history") == 0) {
            if (!(history = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else {
            return unknown_argument("chat", argv[i]);
        }
    }
    if (chat_parse_history(history, &max_history) != 0) return EXIT_USAGE;
    Model m;
    if (model_load(&m, model_path) != 0) return EXIT_RUNTIME;
    ChatSession s;
    if (chat_session_create(&s, &m, model_path, &opt) != 0) {
        model_free(&m);
        return EXIT_RUNTIME;
    }
    s.max_history = max_history;
    const char *no_color = getenv("NO_COLOR");
    ChatStyle style = { .terminal = isatty(STDIN_FILENO) };
    style.colour = style.terminal && isatty(STDOUT_FILENO) && !(no_color && no_color[0]);
    style.info = style.terminal ? stdout : stderr;
    if (style.terminal) {
        char params[32];
        printf("%srustgpt chat%s · %s · %s parameters · vocabulary %d · /help for commands, "
               "Ctrl-D to leave\n\n", style.colour ? "\033[1m" : "", style.colour ? "\033[0m" : "",
               model_path, with_commas(params, m.n_params), m.config.vocab_size);
    }
    /* No SA_RESTART: a Ctrl-C must interrupt a blocked read. */
    struct sigaction action = { .sa_handler = on_sigint }, previous;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous);
    int status = converse(&s, &style);
    sigaction(SIGINT, &previous, NULL);
    chat_session_free(&s);
    model_free(&m);
    return status;
}
