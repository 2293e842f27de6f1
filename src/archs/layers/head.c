/*
 * layers/head.c — softmax and cross-entropy over the vocabulary
 * (docs/06-head-and-loss.md).
 *
 * The head's linear layer turns each row of ln_f(x) into V logits; this file
 * turns logits into probabilities and the mean negative log-likelihood of the
 * next token, and back into the gradient of the logits.
 */
#include "archs/layers/layers.h"
#include "core/kernels/kernels.h"
#include "tokenizers/word.h"

#include <math.h>
#include <string.h>

/* x [n] becomes softmax(x) in place: exp(x - max) / Σ exp(x - max).
 * Subtracting the max changes nothing mathematically and keeps exp() from
 * overflowing: the largest term becomes exp(0) = 1. (The loops are the
 * kernel table's softmax; kernels/scalar.c has the plain version.)
 *
 * That handles any finite logits, however large. An infinite one (sampling
 * divides by the temperature, and a temperature near 0 overflows) would
 * give inf - inf = NaN, so here the limit is taken instead: the mass is
 * shared evenly by the largest logits, and a NaN, which orders nothing,
 * gets none. One extra pass finds the max; this is the sampler's softmax,
 * once per generated token, not the training loop's. */
void softmax_row(float *x, int n)
{
    float max = -INFINITY;
    int has_nan = 0;
    for (int i = 0; i < n; i++) {
        if (x[i] > max) max = x[i];
        else if (isnan(x[i])) has_nan = 1;
    }
    if (isfinite(max) && !has_nan) {
        kernels()->softmax(x, n);
        return;
    }
    int ties = 0;
    for (int i = 0; i < n; i++) ties += x[i] == max;
    if (ties == 0) {                      /* every logit NaN: nothing to prefer */
        for (int i = 0; i < n; i++) x[i] = 1.0f / (float)n;
        return;
    }
    if (!isfinite(max)) {                 /* +inf, or every logit -inf */
        for (int i = 0; i < n; i++) x[i] = x[i] == max ? 1.0f / (float)ties : 0.0f;
        return;
    }
    for (int i = 0; i < n; i++)           /* finite max, some NaN: they get 0 */
        if (isnan(x[i])) x[i] = -INFINITY;
    kernels()->softmax(x, n);
}

/* probs, logits [N,V] (may be the same array); targets [N]
 * For each row whose target is not TOKEN_PAD:
 *   loss_row = -log softmax(logits)[target] = logsumexp(logits) - logits[target]
 * computed before normalising so a tiny probability cannot become log(0).
 * Returns the mean over those rows and their count in *n_targets. */
float crossentropy_forward(float *probs, const float *logits, const int *targets,
                           int N, int V, int *n_targets)
{
    /* Rows are split across threads in fixed chunks whose loss sums are
     * added in chunk order: the same mean on any number of threads. */
    enum { MAX_CHUNKS = 256 };
    const Kernels *k = kernels();
    int chunk = N / MAX_CHUNKS + 1 > 16 ? N / MAX_CHUNKS + 1 : 16;
    int chunks = (N + chunk - 1) / chunk;
    double chunk_loss[MAX_CHUNKS];
    int chunk_count[MAX_CHUNKS];
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (chunks > 1)
    for (int c = 0; c < chunks; c++) {
        double loss_sum = 0.0;
        int count = 0;
        for (int r = c * chunk; r < N && r < (c + 1) * chunk; r++) {
            const float *z = logits + (size_t)r * V;
            float *p = probs + (size_t)r * V;
            float target_logit = targets[r] != TOKEN_PAD ? z[targets[r]] : 0.0f;
            if (p != z) memcpy(p, z, (size_t)V * sizeof(float));
            float log_sum = k->softmax(p, V);          /* logsumexp(logits) */
            if (targets[r] != TOKEN_PAD) {
                loss_sum += (double)log_sum - (double)target_logit;   /* no float overflow */
                count++;
            }
        }
        chunk_loss[c] = loss_sum;
        chunk_count[c] = count;
    }
    double loss_sum = 0.0;
    int count = 0;
    for (int c = 0; c < chunks; c++) {
        loss_sum += chunk_loss[c];
        count += chunk_count[c];
    }
    *n_targets = count;
    return count ? (float)(loss_sum / count) : 0.0f;
}

/* The gradient of -log softmax(z)[y] with respect to z is probs - onehot(y):
 * the softmax Jacobian p_i (δ_ij - p_j) contracted with -1/p_y collapses to
 * it. scale = 1 / n_targets makes it the gradient of the mean; padded rows
 * get zero. dlogits may be the probs array itself. */
void crossentropy_backward(float *dlogits, const float *probs, const int *targets,
                           int N, int V, float scale)
{
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (N >= 16)
    for (int r = 0; r < N; r++) {
        const float *p = probs + (size_t)r * V;
        float *g = dlogits + (size_t)r * V;
        if (targets[r] == TOKEN_PAD) {
            for (int i = 0; i < V; i++) g[i] = 0.0f;
            continue;
        }
        #pragma omp simd
        for (int i = 0; i < V; i++) g[i] = p[i] * scale;
        g[targets[r]] -= scale;
    }
}
