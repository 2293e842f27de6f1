/*
 * api_cli.h — the commands that run models through the public API
 * (rustgpt.h): generate, tokenize, chat and bench of GGUF files. The
 * commands of rustgpt's own models (cmd_model.c, chat.c) hand over to
 * these when --model names a .gguf file (wants_api_model).
 */
#ifndef RUSTGPT_API_CLI_H
#define RUSTGPT_API_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "rustgpt.h"

/* Do these arguments ask for the API path (--model X.gguf)? */
int wants_api_model(int argc, char **argv);

int cmd_generate_api(int argc, char **argv, const SamplingOptions *defaults);
int cmd_tokenize_api(int argc, char **argv);
int cmd_chat_api(int argc, char **argv);
int cmd_bench_api(int argc, char **argv);

/* Record rg_last_error() with fail() and return the exit status for st. */
int api_fail(rg_status st);
/* Load path and make a context of one sequence (n_ctx, n_threads 0: defaults). */
int api_open(const char *path, int32_t n_ctx, int32_t n_threads, rg_model **model,
             rg_context **ctx);
/* Tokenize text into a new array *ids [*n]. */
int api_tokenize(const rg_tokenizer *tok, const char *text, int flags, int32_t **ids, size_t *n);
/* Is id one of the tokens that end a turn (EOS, <|im_end|>, <|eot_id|>, ...)? */
int api_is_end_token(const rg_tokenizer *tok, int32_t id);

/* Decode prompt[n_prompt] into sequence 0 of ctx, then sample until an end
 * token or sp->max_tokens, printing text (or ids) to out as it goes;
 * probs_k > 0 prints the probs_k most likely tokens before each choice. */
int api_continue(rg_context *ctx, const rg_tokenizer *tok, const int32_t *prompt, size_t n_prompt,
                 const rg_sampling *sp, int print_ids, int probs_k, FILE *out, int32_t *n_generated);

/* The same, printing text, with the generated ids in generated[max_tokens]. */
int api_continue_into(rg_context *ctx, const rg_tokenizer *tok, const int32_t *prompt, size_t n_prompt,
                      const rg_sampling *sp, FILE *out, int32_t *generated, int32_t *n_generated);

/* Printing generated ids as text, complete UTF-8 characters at a time. */
typedef struct {
    const rg_tokenizer *tok;
    FILE *out;
    int32_t *ids;
    size_t n_ids, cap_ids;
    char *text;
    size_t cap_text, printed;
} text_stream;
void text_stream_init(text_stream *s, const rg_tokenizer *tok, FILE *out);
/* Add id (-1: none) and print what is new; flush_all prints a partial
 * character too (at the end). Returns -1 after fail(). */
int text_stream_push(text_stream *s, int32_t id, int flush_all);
void text_stream_free(text_stream *s);

#endif
