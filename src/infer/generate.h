/*
 * generate.h — text generation with a KV cache (docs/10-decoding.md).
 *
 * A trained model predicts one token at a time. Re-running the whole context
 * for each new token would repeat all the work done for the tokens before it;
 * instead the Generator keeps every layer's keys and values (the KV cache), so
 * a new token costs one row through the network plus one attention row over
 * the cache. When the context reaches the model's seq_len, the window slides:
 * the newest half of the tokens is kept and re-fed at positions 0.., since the
 * learned positions are absolute.
 */
#ifndef RUSTGPT_GENERATE_H
#define RUSTGPT_GENERATE_H

#include "archs/gpt.h"
#include "infer/sampler.h"

struct RowBatch;   /* batch_forward.h */

typedef struct {
    const Model *model;
    float *key_cache;       /* [L, T, d]  keys of every cached position       */
    float *value_cache;     /* [L, T, d]  values                              */
    int *context;           /* [T] the token ids in the cache, in order       */
    int n_context;          /* how many positions are cached                  */
    float *logits;          /* [V] the prediction after the last fed token    */
    int *scratch;           /* [V] sampler scratch                            */
    struct RowBatch *batch; /* its own forward-step scratch (batch_forward.h) */
    int rows_left;          /* row_batch_feed's count of this one's entries   */
} Generator;

/* How many positions one of a generator's own forward steps holds: a
 * prompt is fed this many tokens per pass over the weights. */
enum { GENERATOR_BATCH_ROWS = 16 };

int generator_create(Generator *g, const Model *m);
/* The same with room for batch_rows rows per own step: 1 for a generator
 * that is only fed through someone else's RowBatch. */
int generator_create_rows(Generator *g, const Model *m, int batch_rows);
void generator_free(Generator *g);
/* Forget the context. */
void generator_reset(Generator *g);
/* Make dst (created for the same model) continue exactly where src is: the
 * same context, cache rows and logits. Beam search forks hypotheses with it. */
void generator_copy(Generator *dst, const Generator *src);

/* Append one token to the context and compute the logits for the next one
 * (in g->logits). Slides the window when the context is full. */
void generator_feed(Generator *g, int token);
/* generator_feed() of tokens [n] in turn, GENERATOR_BATCH_ROWS per pass
 * over the weights (batch_forward.h): the same logits, far faster. */
void generator_feed_many(Generator *g, const int *tokens, int n);

/* Called for each generated token; return nonzero to stop early. */
typedef int (*TokenCallback)(int token, void *ctx);

/* Feed prompt [n_prompt] (after whatever context is already there), then
 * generate up to opt->max_tokens tokens, stopping after </s> or when
 * on_token returns nonzero. Every generated token, </s> included, is
 * appended to the context, so a conversation keeps its whole history.
 * Returns the number of tokens generated. rng drives sampling. */
int generate(Generator *g, const int *prompt, int n_prompt, const SamplingOptions *opt,
             Rng *rng, TokenCallback on_token, void *ctx);

/* Beam search (beam.c): feed prompt [n_prompt] like generate(), then keep
 * the opt->beams most probable continuations at every step, ranked by the
 * sum of their tokens' log-probabilities (after the repetition penalty; no
 * length normalisation, since answers end with </s> and that token's
 * probability counts too). A hypothesis ends at </s> or after
 * opt->max_tokens tokens; the search stops when no live hypothesis can still
 * beat the best finished one. Deterministic: temperature, top-k, top-p and
 * the seed are not used, and a width of 1 is exactly greedy decoding.
 * The winner is appended to g's context and passed to on_token token by
 * token (so it arrives all at once, after the search). Returns the number of
 * tokens generated, or -1 after fail() when out of memory. */
int beam_search(Generator *g, const int *prompt, int n_prompt, const SamplingOptions *opt,
                TokenCallback on_token, void *ctx);

/* For an instruction example "User: ... Assistant: answer </s>" as token ids
 * [n]: does greedy decoding from everything up to "Assistant :" reproduce
 * the answer exactly, </s> included? Returns 1 or 0, or -1 when the example
 * has no "Assistant :" (it is not a chat example). */
int answer_reproduced(Generator *g, const int *tokens, int n);

#endif
