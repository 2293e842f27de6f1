/*
 * chat_commands.c — the slash commands of `rustgpt chat`.
 *
 *   /help              what follows
 *   /exit, /quit       leave (status 0)
 *   /clear             forget the conversation
 *   /set NAME VALUE    change a sampling setting: the names of the command
 *                      line's sampling options (temperature, top-k, top-p,
 *                      repeat-penalty, max-tokens, seed, beams), or history
 *                      (how many earlier turns stay in the context, or all)
 *   /show              the settings, the model and how full the context is
 *   /show unknown      the words typed so far that the model never saw
 *   /save FILE         write the transcript
 *
 * /set reuses the command line's parser (parse_sampling_option), so a value
 * means exactly what it means after --name, with the same limits and the
 * same error messages. Output goes to style->info: the terminal, or stderr
 * when chat is scripted, so that stdout keeps one answer line per question.
 */
#include "cli/chat.h"
#include "cli/cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

static const char help_text[] =
    "  /help              this list\n"
    "  /exit, /quit       leave (Ctrl-D does too)\n"
    "  /clear             forget the conversation\n"
    "  /set NAME VALUE    temperature, top-k, top-p, repeat-penalty, max-tokens, seed, beams,\n"
    "                     history (earlier turns kept: a number, or all)\n"
    "                     e.g. /set temperature 0.7  (0 = greedy)\n"
    "  /show              settings, model and context\n"
    "  /show unknown      words the model never saw (they run as <unk>)\n"
    "  /save FILE         write the transcript to FILE\n"
    "  Ctrl-C stops an answer; at an empty prompt it leaves.\n";

void chat_note(const ChatStyle *style, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (style->colour) fputs("\033[2m", style->info);
    vfprintf(style->info, fmt, ap);
    if (style->colour) fputs("\033[0m", style->info);
    fputc('\n', style->info);
    fflush(style->info);
    va_end(ap);
}

int chat_parse_history(const char *value, int *max_history)
{
    if (strcmp(value, "all") == 0) {
        *max_history = -1;
        return 0;
    }
    return parse_int("history", value, 0, 1 << 20, max_history) == 0 ? 0 : -1;
}

/* The next word of *cursor (split at spaces), NUL-terminated in place. */
static char *next_word(char **cursor)
{
    char *p = *cursor;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) {
        *cursor = p;
        return NULL;
    }
    char *word = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    if (*p) *p++ = '\0';
    *cursor = p;
    return word;
}

/* The rest of the line after the words taken, without surrounding spaces. */
static char *rest_of_line(char *cursor)
{
    while (*cursor && isspace((unsigned char)*cursor)) cursor++;
    size_t n = strlen(cursor);
    while (n > 0 && isspace((unsigned char)cursor[n - 1])) cursor[--n] = '\0';
    return cursor;
}

static void print_settings(const ChatSession *s, FILE *out)
{
    const SamplingOptions *o = &s->opt;
    fprintf(out, "  temperature %g%s, top-k %d%s, top-p %g%s, repeat-penalty %g%s\n",
            o->temperature, o->temperature <= 0.0f ? " (greedy)" : "",
            o->top_k, o->top_k == 0 ? " (off)" : "", o->top_p, o->top_p >= 1.0f ? " (off)" : "",
            o->repeat_penalty, o->repeat_penalty == 1.0f ? " (off)" : "");
    fprintf(out, "  max-tokens %d, seed %llu, beams %d%s, history ", o->max_tokens,
            (unsigned long long)o->seed, o->beams, o->beams > 1 ? " (beam search)" : " (off)");
    if (s->max_history < 0) fprintf(out, "all (every earlier turn that fits)\n");
    else fprintf(out, "%d (earlier turns kept at most)\n", s->max_history);
}

static void show(const ChatSession *s, const ChatStyle *style)
{
    const ModelConfig *c = &s->model->config;
    FILE *out = style->info;
    char params[32];
    fprintf(out, "model %s: %s parameters, vocabulary %d\n", s->model_path,
            with_commas(params, s->model->n_params), c->vocab_size);
    fprintf(out, "  layers %d, dim %d, heads %d, hidden %d, seq-len %d\n", c->n_layers, c->d_model,
            c->n_heads, c->d_hidden, c->seq_len);
    fprintf(out, "settings:\n");
    print_settings(s, out);
    fprintf(out, "context: %d of %d tokens, %d turn%s kept", s->n_tokens, c->seq_len, s->n_turns,
            s->n_turns == 1 ? "" : "s");
    if (s->n_dropped) fprintf(out, ", %d older dropped", s->n_dropped);
    fprintf(out, "; %d unknown word%s (/show unknown)\n", s->n_unknown, s->n_unknown == 1 ? "" : "s");
#ifdef HAVE_LIBEDIT
    fprintf(out, "line editing and history: libedit\n");
#else
    fprintf(out, "line editing and history: none (built without libedit)\n");
#endif
}

static void show_unknown(const ChatSession *s, const ChatStyle *style)
{
    if (s->n_unknown == 0) {
        fprintf(style->info, "every word so far is in the vocabulary\n");
        return;
    }
    fprintf(style->info, "not in the vocabulary (read as <unk>):");
    for (int i = 0; i < s->n_unknown; i++) fprintf(style->info, " %s", s->unknown[i]);
    fputc('\n', style->info);
}

/* /set NAME VALUE through the command line's own parser: "--NAME VALUE". */
static void set_option(ChatSession *s, char *name, char *value, const ChatStyle *style)
{
    if (!name || !value || !*value) {
        fprintf(style->info, "usage: /set NAME VALUE, where NAME is one of temperature, top-k, "
                             "top-p, repeat-penalty, max-tokens, seed, beams, history; now:\n");
        print_settings(s, style->info);
        return;
    }
    char option[64];
    snprintf(option, sizeof option, "--%s", name[0] == '-' && name[1] == '-' ? name + 2 : name);
    for (char *p = option + 2; *p; p++)
        if (*p == '_') *p = '-';
    if (strcmp(option, "--history") == 0) {
        if (chat_parse_history(value, &s->max_history) == 0) fprintf(style->info, "history = %s\n", value);
        else fprintf(style->info, "%s\n", last_error());
        return;
    }
    char *argv[2] = { option, value };
    int i = 0;
    SamplingOptions opt = s->opt;
    int r = parse_sampling_option(2, argv, &i, &opt);
    if (r == 0) {
        fprintf(style->info, "unknown setting '%s'; /set lists them\n", name);
    } else if (r < 0) {   /* the parser names the flag: "--temperature expects ..." */
        const char *why = last_error();
        fprintf(style->info, "/set %s: %s\n", option + 2,
                strncmp(why, option, strlen(option)) == 0 ? why + strlen(option) + 1 : why);
    } else if (chat_session_set_options(s, &opt) != 0) {
        fprintf(style->info, "%s\n", last_error());
    } else {
        fprintf(style->info, "%s = %s\n", option + 2, value);
    }
}

static void save(const ChatSession *s, const char *path, const ChatStyle *style)
{
    if (!*path) {
        fprintf(style->info, "usage: /save FILE\n");
    } else if (chat_save_transcript(s, path) != 0) {
        fprintf(style->info, "%s\n", last_error());
    } else {
        fprintf(style->info, "saved %d turn%s to %s\n", s->transcript_turns,
                s->transcript_turns == 1 ? "" : "s", path);
    }
}

int chat_command(ChatSession *s, const char *line, const ChatStyle *style)
{
    char buffer[1024];
    snprintf(buffer, sizeof buffer, "%s", line);
    char *cursor = buffer;
    char *name = next_word(&cursor);
    int status = COMMAND_CONTINUE;
    if (!name) name = "/";
    if (strcmp(name, "/help") == 0 || strcmp(name, "/?") == 0) {
        fputs(help_text, style->info);
    } else if (strcmp(name, "/exit") == 0 || strcmp(name, "/quit") == 0 || strcmp(name, "/bye") == 0) {
        status = COMMAND_EXIT;
    } else if (strcmp(name, "/clear") == 0) {
        chat_session_clear(s);
        chat_note(style, "(the conversation is forgotten)");
    } else if (strcmp(name, "/set") == 0) {
        char *setting = next_word(&cursor);
        set_option(s, setting, rest_of_line(cursor), style);
    } else if (strcmp(name, "/show") == 0) {
        char *what = next_word(&cursor);
        if (!what) show(s, style);
        else if (strcmp(what, "unknown") == 0) show_unknown(s, style);
        else fprintf(style->info, "/show takes nothing or 'unknown', not '%s'\n", what);
    } else if (strcmp(name, "/save") == 0) {
        save(s, rest_of_line(cursor), style);
    } else {
        fprintf(style->info, "unknown command '%s'; /help lists the commands\n", name);
    }
    fflush(style->info);
    return status;
}
