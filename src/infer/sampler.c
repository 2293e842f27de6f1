/*
 * sampler.c — greedy choice, temperature, top-k, top-p and the repetition
 * penalty. See sampler.h for what each does; docs/10-decoding.md shows them
 * on a real distribution.
 */
#include "infer/sampler.h"
#include "archs/layers/layers.h"

#include <stdlib.h>

SamplingOptions sampling_default(void)
{
    return (SamplingOptions){ .temperature = 0.0f, .top_k = 0, .top_p = 1.0f,
                              .repeat_penalty = 1.0f, .max_tokens = 60, .seed = 42,
                              .beams = 1 };
}

void apply_repeat_penalty(float *logits, int V, const int *recent, int n, float penalty)
{
    if (penalty == 1.0f) return;
    for (int i = 0; i < n; i++) {
        int id = recent[i], seen = 0;
        if (id < 0 || id >= V) continue;
        for (int j = 0; j < i && !seen; j++) seen = recent[j] == id;
        if (seen) continue;
        logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
    }
}

int argmax(const float *logits, int V)
{
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

/* Sort ids by descending probability (ties: lower id first). */
static _Thread_local const float *sort_probs;   /* per thread: samplers run in parallel */
static int by_probability(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    if (sort_probs[x] != sort_probs[y]) return sort_probs[x] > sort_probs[y] ? -1 : 1;
    return x - y;
}

int sample_token(float *logits, int V, const SamplingOptions *opt, Rng *rng, int *scratch)
{
    if (opt->temperature <= 0.0f || opt->top_k == 1) return argmax(logits, V);
    for (int i = 0; i < V; i++) logits[i] /= opt->temperature;
    softmax_row(logits, V);                    /* logits are now probabilities */

    /* Candidates in order of probability, cut by top-k then by top-p. */
    int *ids = scratch;
    for (int i = 0; i < V; i++) ids[i] = i;
    sort_probs = logits;
    qsort(ids, (size_t)V, sizeof *ids, by_probability);
    int n = (opt->top_k > 0 && opt->top_k < V) ? opt->top_k : V;
    if (opt->top_p < 1.0f) {
        float cumulative = 0.0f;
        for (int i = 0; i < n; i++) {
            cumulative += logits[ids[i]];
            if (cumulative >= opt->top_p) { n = i + 1; break; }
        }
    }
    float mass = 0.0f;
    for (int i = 0; i < n; i++) mass += logits[ids[i]];
    float r = rng_uniform(rng) * mass;
    for (int i = 0; i < n; i++) {
        r -= logits[ids[i]];
        if (r < 0.0f) return ids[i];
    }
    return ids[n - 1];
}
