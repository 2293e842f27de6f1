/*
 * layers/head.c — softmax and cross-entropy over the vocabulary
 * (docs/06-head-and-loss.md).
 *
 * The head's linear layer turns each row of ln_f(x) into V logits; this file
 * turns logits into probabilities and the mean negative log-likelihood of the
 * next token, and back into the gradient of the logits.
 */
#include "layers.h"
#include "../tokenizer.h"

#include <math.h>

/* x [n] becomes softmax(x) in place: exp(x - max) / Σ exp(x - max).
 * Subtracting the max changes nothing mathematically and keeps exp() from
 * overflowing: the largest term becomes exp(0) = 1. */
void softmax_row(float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < n; i++) x[i] *= inv;
}

/* probs, logits [N,V] (may be the same array); targets [N]
 * For each row whose target is not TOKEN_PAD:
 *   loss_row = -log softmax(logits)[target] = logsumexp(logits) - logits[target]
 * computed before normalising so a tiny probability cannot become log(0).
 * Returns the mean over those rows and their count in *n_targets. */
float crossentropy_forward(float *probs, const float *logits, const int *targets,
                           int N, int V, int *n_targets)
{
    double loss_sum = 0.0;
    int count = 0;
    #pragma omp parallel for schedule(static) reduction(+ : loss_sum, count) if (N >= 16)
    for (int r = 0; r < N; r++) {
        const float *z = logits + (size_t)r * V;
        float *p = probs + (size_t)r * V;
        float max = z[0];
        for (int i = 1; i < V; i++) if (z[i] > max) max = z[i];
        float target_logit = targets[r] != TOKEN_PAD ? z[targets[r]] : 0.0f;
        float sum = 0.0f;
        for (int i = 0; i < V; i++) {
            p[i] = expf(z[i] - max);
            sum += p[i];
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < V; i++) p[i] *= inv;
        if (targets[r] != TOKEN_PAD) {
            loss_sum += (double)(logf(sum) + max - target_logit);
            count++;
        }
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
    #pragma omp parallel for schedule(static) if (N >= 16)
    for (int r = 0; r < N; r++) {
        const float *p = probs + (size_t)r * V;
        float *g = dlogits + (size_t)r * V;
        if (targets[r] == TOKEN_PAD) {
            for (int i = 0; i < V; i++) g[i] = 0.0f;
            continue;
        }
        for (int i = 0; i < V; i++) g[i] = p[i] * scale;
        g[targets[r]] -= scale;
    }
}
