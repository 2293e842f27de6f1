/*
 * test_chat.c — the chat conversation (chat_session.c, chat_commands.c)
 * without a terminal: earlier turns stay in the context, the oldest are
 * dropped whole when it is full (before an answer and in the middle of
 * one), --history limits them, a prompt longer than the context keeps its
 * tail, a stop request (Ctrl-C) closes the turn, unknown words are named,
 * the slash commands and the transcript. tests/cli/chat.sh and
 * chat_pty.sh run the same through the command line and a terminal.
 */
#include "tiny_model.h"
#include "cli/chat.h"
#include "infer/generate.h"
#include "archs/gpt.h"
#include "tokenizers/word.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int id_of(const Model *m, const char *word)
{
    return vocab_lookup(&m->vocab, word, strlen(word));
}

/* ---- the chat session ---------------------------------------------------- */

/* A tiny model (tiny_model.h: seq_len positions, trained or not) and a
 * chat session over it that answers at most max_tokens (0: the default). */
typedef struct {
    Model m;
    ChatSession s;
} Chat;

static int chat_open(Chat *c, int seq_len, int trained, int max_tokens, const char *name)
{
    tiny_model(&c->m, seq_len, trained);
    SamplingOptions opt = sampling_default();
    if (max_tokens > 0) opt.max_tokens = max_tokens;
    return chat_session_create(&c->s, &c->m, name, &opt);
}

static void chat_close(Chat *c)
{
    chat_session_free(&c->s);
    model_free(&c->m);
}


typedef struct {
    int stop_after;     /* ask to stop after this many tokens; 0 = never */
    int seen;
} StopAfter;

static int stop_after(int token, void *ctx)
{
    (void)token;
    StopAfter *s = ctx;
    return ++s->seen == s->stop_after;
}

/* Does the session's context consist of whole turns "User : ... </s>"? */
static int whole_turns(const ChatSession *s)
{
    int start = 0, ok = s->n_turns > 0;
    for (int t = 0; t < s->n_turns && ok; t++) {
        int end = s->turn_ends[t];
        ok = s->tokens[start] == id_of(s->model, "User") && s->tokens[end - 1] == TOKEN_EOS;
        for (int i = start; i < end - 1 && ok; i++) ok = s->tokens[i] != TOKEN_EOS;
        start = end;
    }
    return ok && start == s->n_tokens;
}

static void test_chat_keeps_earlier_turns_in_the_context(void)
{
    Chat c;
    CHECK(chat_open(&c, 64, 1, 5, "tiny") == 0);
    ChatSession *s = &c.s;
    ChatTurn turn;
    CHECK(chat_answer(s, "a b", NULL, NULL, &turn) == 0);
    CHECK(turn.n_answer == 5 && !turn.ended && turn.dropped == 0);
    CHECK(s->n_turns == 1 && s->n_tokens == 6 + 5 + 1);        /* User : a b Assistant : + 5 + </s> */
    CHECK(chat_answer(s, "c", NULL, NULL, &turn) == 0);
    CHECK(s->n_turns == 2 && s->n_tokens == 12 + 5 + 5 + 1);
    CHECK(whole_turns(s));
    CHECK(s->tokens[12] == id_of(&c.m, "User") && s->tokens[14] == id_of(&c.m, "c"));
    CHECK(s->gen.n_context == s->n_tokens);                    /* the model saw all of it */
    CHECK(memcmp(s->gen.context, s->tokens, (size_t)s->n_tokens * sizeof(int)) == 0);
    chat_close(&c);
}

/* A conversation many times longer than the context never fails: before
 * each answer the oldest whole turns go, the context never passes seq_len
 * and always starts at a turn's "User". */
static void test_chat_drops_the_oldest_whole_turns_when_the_context_is_full(void)
{
    Chat c;
    CHECK(chat_open(&c, 24, 1, 4, "tiny") == 0);
    ChatSession *s = &c.s;
    int dropped = 0;
    for (int i = 0; i < 30; i++) {
        ChatTurn turn;
        CHECK(chat_answer(s, i % 2 ? "a b c" : "d", NULL, NULL, &turn) == 0);
        CHECK(turn.n_answer == 4 && turn.prompt_cut == 0);
        dropped += turn.dropped;
        CHECK(s->gen.n_context <= 24 && s->n_tokens <= 24);
        CHECK(s->tokens[0] == id_of(&c.m, "User"));
        CHECK(whole_turns(s));
        CHECK(memcmp(s->gen.context, s->tokens, (size_t)s->n_tokens * sizeof(int)) == 0);
    }
    CHECK(dropped > 20 && dropped == s->n_dropped);
    CHECK(s->transcript_turns == 30);                 /* the transcript keeps them all */
    chat_close(&c);
}

/* An answer that runs into the end of the context pushes one more old turn
 * out and goes on: prompt 5 + answer 24 fit in 32 only without turn 1. */
static void test_chat_answer_continues_past_the_context_end(void)
{
    Model m;
    tiny_model(&m, 32, 1);
    SamplingOptions opt = sampling_default();
    opt.max_tokens = 24;                             /* room kept before: 16 */
    ChatSession s;
    CHECK(chat_session_create(&s, &m, "tiny", &opt) == 0);
    ChatTurn turn;
    StopAfter early = { 2, 0 };
    CHECK(chat_answer(&s, "a", stop_after, &early, &turn) == 0);
    CHECK(turn.stopped && turn.n_answer == 2 && s.n_tokens == 8);
    CHECK(chat_answer(&s, "b", NULL, NULL, &turn) == 0);
    CHECK(turn.n_answer == 24 && turn.dropped == 1);
    CHECK(s.n_turns == 1 && s.n_tokens == 5 + 24 + 1);
    /* The continued answer is what a fresh context of the same tokens predicts. */
    Generator g;
    CHECK(generator_create(&g, &m) == 0);
    for (int i = 0; i < 5 + 23; i++) generator_feed(&g, s.tokens[i]);
    CHECK(argmax(g.logits, V) == s.tokens[5 + 23]);
    generator_free(&g);
    chat_session_free(&s);
    model_free(&m);
}

/* --history N keeps at most N earlier turns, 0 none; "all" is -1. */
static void test_chat_history_limits_the_earlier_turns(void)
{
    Chat c;
    CHECK(chat_open(&c, 64, 1, 2, "tiny") == 0);
    ChatSession *s = &c.s;
    CHECK(s->max_history == -1);
    CHECK(chat_parse_history("1", &s->max_history) == 0 && s->max_history == 1);
    ChatTurn turn;
    for (int i = 0; i < 4; i++) CHECK(chat_answer(s, "a", NULL, NULL, &turn) == 0);
    CHECK(s->n_turns == 2 && s->n_dropped == 2);        /* one earlier turn + this one */
    CHECK(chat_parse_history("0", &s->max_history) == 0);
    CHECK(chat_answer(s, "b", NULL, NULL, &turn) == 0);
    CHECK(s->n_turns == 1 && turn.dropped == 2 && s->gen.n_context == 5 + 2 + 1);
    CHECK(chat_parse_history("all", &s->max_history) == 0 && s->max_history == -1);
    CHECK(chat_parse_history("-2", &s->max_history) != 0 && s->max_history == -1);
    chat_close(&c);
}

static void test_chat_keeps_the_tail_of_a_prompt_longer_than_the_context(void)
{
    Chat c;
    CHECK(chat_open(&c, 16, 1, 4, "tiny") == 0);
    ChatSession *s = &c.s;
    ChatTurn turn;
    CHECK(chat_answer(s, "a b c d e f a b c d e f a b c d e f a b c d e f", NULL, NULL, &turn) == 0);
    CHECK(turn.prompt_cut == 28 - 12 && turn.n_prompt == 12);   /* 28 tokens, 16 - 4 kept */
    CHECK(turn.n_answer == 4);
    CHECK(s->gen.n_context == 16);
    CHECK(s->tokens[10] == id_of(&c.m, "Assistant") && s->tokens[11] == id_of(&c.m, ":"));
    chat_close(&c);
}

static void test_chat_stop_ends_the_answer_and_closes_the_turn(void)
{
    Chat c;
    CHECK(chat_open(&c, 64, 1, 0, "tiny") == 0);
    ChatSession *s = &c.s;
    ChatTurn turn;
    StopAfter stop = { 3, 0 };
    CHECK(chat_answer(s, "a", stop_after, &stop, &turn) == 0);
    CHECK(turn.stopped && turn.n_answer == 3 && stop.seen == 3);
    CHECK(s->n_tokens == 5 + 3 + 1 && s->tokens[8] == TOKEN_EOS);
    CHECK(s->gen.n_context == s->n_tokens);            /* </s> went into the model too */
    chat_close(&c);
}

static void test_chat_names_the_unknown_words(void)
{
    Chat c;
    CHECK(chat_open(&c, 64, 1, 2, "tiny") == 0);
    ChatSession *s = &c.s;
    ChatTurn turn;
    CHECK(chat_answer(s, "a zork b zork qux", NULL, NULL, &turn) == 0);
    CHECK(strcmp(turn.unknown, "zork, qux") == 0);
    CHECK(s->tokens[3] == TOKEN_UNK && s->tokens[5] == TOKEN_UNK);   /* still run, as <unk> */
    CHECK(chat_answer(s, "qux a", NULL, NULL, &turn) == 0);
    CHECK(strcmp(turn.unknown, "qux") == 0);
    CHECK(s->n_unknown == 2 && strcmp(s->unknown[1], "qux") == 0);
    chat_close(&c);
}

/* Run a slash command with its output captured into out [cap]. */
static int command(ChatSession *s, const char *line, char *out, size_t cap)
{
    FILE *f = tmpfile();
    ChatStyle style = { 0, 0, f };
    int status = chat_command(s, line, &style);
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return status;
}

static void test_slash_commands(void)
{
    Chat c;
    CHECK(chat_open(&c, 64, 1, 3, "tiny.bin") == 0);
    ChatSession *s = &c.s;
    char out[2048];
    CHECK(command(s, "/help", out, sizeof out) == COMMAND_CONTINUE && strstr(out, "/set NAME VALUE"));
    CHECK(command(s, "/set temperature 0.7", out, sizeof out) == COMMAND_CONTINUE);
    CHECK(s->opt.temperature == 0.7f && strstr(out, "temperature = 0.7"));
    command(s, "/set top_k 5", out, sizeof out);
    command(s, "/set max-tokens 7", out, sizeof out);
    CHECK(s->opt.top_k == 5 && s->opt.max_tokens == 7);
    command(s, "/set top-p 2", out, sizeof out);
    CHECK(s->opt.top_p == 1.0f && strstr(out, "/set top-p: expects a number from 0 to 1") && !strstr(out, "--top-p"));
    command(s, "/set warmth 3", out, sizeof out);
    CHECK(strstr(out, "unknown setting 'warmth'") != NULL);
    command(s, "/show", out, sizeof out);
    CHECK(strstr(out, "tiny.bin") && strstr(out, "vocabulary 12") && strstr(out, "top-k 5"));
    command(s, "/frobnicate", out, sizeof out);
    CHECK(strstr(out, "unknown command '/frobnicate'") != NULL);
    ChatTurn turn;
    CHECK(chat_answer(s, "a zork", NULL, NULL, &turn) == 0);
    command(s, "/show unknown", out, sizeof out);
    CHECK(strstr(out, "zork") != NULL);
    CHECK(command(s, "/clear", out, sizeof out) == COMMAND_CONTINUE);
    CHECK(s->n_turns == 0 && s->n_tokens == 0 && s->gen.n_context == 0 && s->n_unknown == 0);
    CHECK(command(s, "/exit", out, sizeof out) == COMMAND_EXIT);
    CHECK(command(s, "/quit", out, sizeof out) == COMMAND_EXIT);
    chat_close(&c);
}

static void test_save_writes_the_transcript(void)
{
    Chat c;
    CHECK(chat_open(&c, 64, 1, 3, "tiny") == 0);
    ChatSession *s = &c.s;
    ChatTurn turn;
    CHECK(chat_answer(s, "a b", NULL, NULL, &turn) == 0);
    CHECK(chat_answer(s, "zork", NULL, NULL, &turn) == 0);
    char path[64], line[128], out[256];
    snprintf(path, sizeof path, "/tmp/rustgpt-transcript-%d.txt", (int)getpid());
    snprintf(line, sizeof line, "/save %s", path);
    command(s, line, out, sizeof out);
    CHECK(strstr(out, "saved 2 turns") != NULL);
    size_t len;
    char *text = read_whole_file(path, &len);
    CHECK(text && strncmp(text, "User: a b\nAssistant: ", 21) == 0);
    CHECK(text && strstr(text, "\n\nUser: zork\nAssistant: ") != NULL);
    free(text);
    unlink(path);
    chat_close(&c);
}

/* Sampled chat answers depend only on the seed. */
static void test_chat_with_the_same_seed_answers_the_same(void)
{
    Model m;
    tiny_model(&m, 64, 0);
    SamplingOptions opt = sampling_default();
    opt.temperature = 1.0f;
    opt.max_tokens = 12;
    ChatSession s1, s2;
    CHECK(chat_session_create(&s1, &m, "tiny", &opt) == 0);
    CHECK(chat_session_create(&s2, &m, "tiny", &opt) == 0);
    const char *lines[3] = { "a b", "c", "d e f" };
    for (int i = 0; i < 3; i++) {
        ChatTurn t1, t2;
        CHECK(chat_answer(&s1, lines[i], NULL, NULL, &t1) == 0);
        CHECK(chat_answer(&s2, lines[i], NULL, NULL, &t2) == 0);
    }
    CHECK(s1.n_tokens == s2.n_tokens && memcmp(s1.tokens, s2.tokens, (size_t)s1.n_tokens * sizeof(int)) == 0);
    CHECK(s1.transcript_len == s2.transcript_len && strcmp(s1.transcript, s2.transcript) == 0);
    chat_session_free(&s1);
    chat_session_free(&s2);
    model_free(&m);
}

/* Beam search in chat behaves like any other decoding: whole turns kept. */
static void test_chat_with_beam_search(void)
{
    Model m;
    tiny_model(&m, 24, 0);
    SamplingOptions opt = sampling_default();
    opt.max_tokens = 6;
    opt.beams = 3;
    ChatSession s;
    CHECK(chat_session_create(&s, &m, "tiny", &opt) == 0);
    for (int i = 0; i < 8; i++) {
        ChatTurn turn;
        CHECK(chat_answer(&s, "a b", NULL, NULL, &turn) == 0);
        CHECK(turn.n_answer >= 1 && turn.n_answer <= 6);
        CHECK(whole_turns(&s) && s.gen.n_context <= 24);
    }
    chat_session_free(&s);
    model_free(&m);
}

int main(void)
{
    RUN(test_chat_keeps_earlier_turns_in_the_context);
    RUN(test_chat_drops_the_oldest_whole_turns_when_the_context_is_full);
    RUN(test_chat_answer_continues_past_the_context_end);
    RUN(test_chat_history_limits_the_earlier_turns);
    RUN(test_chat_keeps_the_tail_of_a_prompt_longer_than_the_context);
    RUN(test_chat_stop_ends_the_answer_and_closes_the_turn);
    RUN(test_chat_names_the_unknown_words);
    RUN(test_slash_commands);
    RUN(test_save_writes_the_transcript);
    RUN(test_chat_with_the_same_seed_answers_the_same);
    RUN(test_chat_with_beam_search);
    TESTS_DONE();
}
