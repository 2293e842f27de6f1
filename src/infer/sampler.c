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

/* Does id a come before id b: higher probability first, lower id on ties?
 * A total order, so any correct sort gives the same list. */
static inline int before(const float *probs, int a, int b)
{
    return probs[a] != probs[b] ? probs[a] > probs[b] : a < b;
}

/* Heapsort ids[0..n) by before(): in place, no allocation (glibc's qsort
 * may call malloc, and sampling is on the path that must not allocate). */
static void sort_by_probability(int *ids, int n, const float *probs)
{
    for (int start = n / 2 - 1, end = n; end > 1;) {
        int root;
        if (start >= 0) {
            root = start--;                      /* heapify */
        } else {
            int t = ids[0]; ids[0] = ids[--end]; ids[end] = t;   /* move the last in order to the end */
            root = 0;
        }
        for (int child; (child = 2 * root + 1) < end; root = child) {
            if (child + 1 < end && before(probs, ids[child + 1], ids[child])) child++;
            if (!before(probs, ids[child], ids[root])) break;
            int t = ids[root]; ids[root] = ids[child]; ids[child] = t;
        }
    }
    /* the heap was a min-heap in before() order, so ids now run last to first */
    for (int i = 0, j = n - 1; i < j; i++, j--) { int t = ids[i]; ids[i] = ids[j]; ids[j] = t; }
}

int sample_token(float *logits, int V, const SamplingOptions *opt, Rng *rng, int *scratch)
{
    if (opt->temperature <= 0.0f || opt->top_k == 1) return argmax(logits, V);
    for (int i = 0; i < V; i++) logits[i] /= opt->temperature;
    softmax_row(logits, V);                    /* logits are now probabilities */

    /* Candidates in order of probability, cut by top-k then by top-p. */
    int *ids = scratch;
    for (int i = 0; i < V; i++) ids[i] = i;
    sort_by_probability(ids, V, logits);
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
