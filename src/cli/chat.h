/*
 * chat.h — what the three chat files share.
 *
 *   chat.c           `rustgpt chat`: options, the read-answer loop, line
 *                    editing (libedit when built with it), Ctrl-C, output
 *   chat_session.c   the conversation the model sees: wrapping each line as
 *                    "User: {line} Assistant:", keeping earlier turns in the
 *                    context, dropping the oldest ones when it would overflow,
 *                    unknown words, the transcript
 *   chat_commands.c  the slash commands: /help /exit /clear /set /show /save
 *
 * A ChatSession is usable without a terminal, which is how test_sampling.c
 * drives multi-turn conversations and the context trimming.
 */
#ifndef RUSTGPT_CHAT_H
#define RUSTGPT_CHAT_H

#include "infer/generate.h"
#include "archs/gpt.h"
#include "infer/sampler.h"
#include "core/util.h"

#include <stdio.h>

typedef struct {
    const Model *model;
    const char *model_path;     /* shown by the banner and /show            */
    Generator gen;
    SamplingOptions opt;        /* changed by /set                          */
    Rng rng;

    /* The kept turns, oldest first, each "User: .. Assistant: .. </s>" as
     * token ids: tokens [seq_len + 1], turn t ends at turn_ends[t]. The
     * generator's context is these tokens whenever it is idle. */
    int *tokens, n_tokens;
    int *turn_ends, n_turns;
    int n_dropped;              /* turns dropped since the start or /clear  */
    int max_history;            /* earlier turns kept at most; -1 = all that
                                   fit (--history, /set history)             */
    int *answer;                /* [max_tokens + 1] the answer being made   */

    /* Every turn since the start or /clear, as text, for /save. */
    char *transcript;
    size_t transcript_len, transcript_cap;
    int transcript_turns;

    /* Words of the user's lines that the vocabulary lacks (no repeats). */
    char **unknown;
    int n_unknown;
} ChatSession;

/* What happened in one answer, for the notes chat.c prints. */
typedef struct {
    int n_answer;               /* tokens generated, </s> included          */
    int ended;                  /* the model said </s>                      */
    int stopped;                /* on_token asked to stop (Ctrl-C)          */
    int at_marker;              /* stopped at the next turn's "User :"      */
    int n_prompt;               /* tokens of the prompt the model read      */
    int prompt_cut;             /* tokens cut from its front to make it fit */
    int dropped;                /* oldest turns dropped to make room        */
    char unknown[256];          /* this line's unknown words, ", "-joined   */
    char other_case[256];       /* of those, the ones the vocabulary has in
                                   another case, as they are spelled there */
} ChatTurn;

/* The session keeps pointers to m and model_path. Returns -1 after fail(). */
int chat_session_create(ChatSession *s, const Model *m, const char *model_path,
                        const SamplingOptions *opt);
void chat_session_free(ChatSession *s);
/* /clear: forget the turns, the transcript and the unknown words. */
void chat_session_clear(ChatSession *s);
/* Change the sampling options (/set); reseeds when the seed changed. Returns
 * -1 after fail() when the new --max-tokens needs memory that is not there. */
int chat_session_set_options(ChatSession *s, const SamplingOptions *opt);

/* Answer one line of user text. The earlier turns stay in the context (at
 * most s->max_history of them); the oldest whole turns are dropped first so
 * that the prompt and room for an answer (--max-tokens, at most half of
 * seq_len) fit, and again if the answer reaches the end of the context. A prompt that alone leaves no such room
 * keeps only its last tokens. Each generated token goes to on_token as it is
 * made; a nonzero return stops the answer. Returns 0, or -1 after fail(). */
int chat_answer(ChatSession *s, const char *line, TokenCallback on_token, void *ctx,
                ChatTurn *turn);

/* Write the transcript to path atomically. Returns -1 after fail(). */
int chat_save_transcript(const ChatSession *s, const char *path);

/* How chat output looks: on a terminal, notes and command output go to
 * stdout, dimmed when colour is on; otherwise they go to stderr, plain, and
 * stdout carries nothing but one answer line per input line. */
typedef struct {
    int terminal;               /* stdin is a terminal                      */
    int colour;                 /* stdout is a terminal and NO_COLOR unset  */
    FILE *info;                 /* where notes and command output go        */
} ChatStyle;

/* Print a note (printf-style) to style->info, dimmed in colour, newline added. */
void chat_note(const ChatStyle *style, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --history VALUE and /set history VALUE: a count of earlier turns, or
 * "all" (-1). Returns -1 after a usage error. */
int chat_parse_history(const char *value, int *max_history);

enum { COMMAND_CONTINUE, COMMAND_EXIT };
/* Run a line that starts with '/'. Returns COMMAND_EXIT for /exit and /quit,
 * COMMAND_CONTINUE for everything else (errors included: they are printed). */
int chat_command(ChatSession *s, const char *line, const ChatStyle *style);

#endif
