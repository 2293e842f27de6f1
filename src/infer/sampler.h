/*
 * sampler.h — choosing the next token from the logits (docs/10-decoding.md).
 *
 * Greedy decoding takes the most likely token. Sampling draws from the
 * softmax of logits / temperature, optionally restricted to the k most likely
 * tokens (top-k) and then to the smallest set whose probability reaches p
 * (top-p, "nucleus"). A repetition penalty first makes tokens already in the
 * context less likely. Temperature 0 means greedy.
 */
#ifndef RUSTGPT_SAMPLER_H
#define RUSTGPT_SAMPLER_H

#include "core/util.h"

#include <stdint.h>

typedef struct {
    float temperature;      /* 0 = greedy (the default)                     */
    int top_k;              /* 0 = no limit                                 */
    float top_p;            /* 1 = no limit                                 */
    float repeat_penalty;   /* 1 = none; > 1 discourages repeated tokens    */
    int max_tokens;         /* stop after this many generated tokens        */
    uint64_t seed;          /* same seed, same samples                      */
    int beams;              /* beam width for beam search; 1 = off          */
} SamplingOptions;

SamplingOptions sampling_default(void);

/* Apply the repetition penalty to logits [V] for each of the n recent
 * tokens (each distinct token once): a positive logit is divided by the
 * penalty, a negative one multiplied (as in CTRL and llama.cpp). */
void apply_repeat_penalty(float *logits, int V, const int *recent, int n, float penalty);

/* The index of the largest logit (the lowest index on ties). */
int argmax(const float *logits, int V);

/* Pick the next token from logits [V] (modified in place) under opt.
 * scratch must hold V ints. */
int sample_token(float *logits, int V, const SamplingOptions *opt, Rng *rng, int *scratch);

#endif
