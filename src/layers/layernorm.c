/*
 * layers/layernorm.c — layer normalisation (docs/03-layernorm.md).
 *
 * Each block normalises the residual stream before attention (ln1) and before
 * the feed-forward layer (ln2), and the model once more before the head
 * (ln_f): every row is shifted to mean 0 and scaled to variance 1, then a
 * learned per-feature weight and bias give the network back its freedom.
 */
#include "layers.h"

#include <math.h>

/* out, inp [N,d]; mean, rstd [N] (kept for backward); weight, bias [d]
 *   mean = Σ x / d,  var = Σ (x - mean)² / d,  rstd = 1 / sqrt(var + eps)
 *   n = (x - mean) * rstd,   out = n * weight + bias
 * The variance is computed from the centred values (two passes), which
 * stays accurate when the mean is large compared with the spread. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int d)
{
    #pragma omp parallel for schedule(static) if (N >= 64)
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * d;
        float *y = out + (size_t)r * d;
        float sum = 0.0f;
        for (int i = 0; i < d; i++) sum += x[i];
        float mu = sum / d;
        float var = 0.0f;
        for (int i = 0; i < d; i++) var += (x[i] - mu) * (x[i] - mu);
        float s = 1.0f / sqrtf(var / d + LAYERNORM_EPS);
        for (int i = 0; i < d; i++) y[i] = (x[i] - mu) * s * weight[i] + bias[i];
        mean[r] = mu;
        rstd[r] = s;
    }
}

/* Given dout = dL/dout, with n = (x - mean) * rstd and dn = dout * weight:
 *   dweight += dout * n,   dbias += dout
 *   dx = rstd * ( dn - mean(dn) - n * mean(dn * n) )
 * The three terms of dx: the direct path through n, the path through the
 * mean (every x moved the mean), and the path through the variance (every x
 * moved rstd); docs/03-layernorm.md derives them. */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int d)
{
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * d, *g = dout + (size_t)r * d;
        float *dx = dinp + (size_t)r * d;
        float mu = mean[r], s = rstd[r];
        float dn_mean = 0.0f, dn_n_mean = 0.0f;
        for (int i = 0; i < d; i++) {
            float n = (x[i] - mu) * s, dn = g[i] * weight[i];
            dn_mean += dn;
            dn_n_mean += dn * n;
            dweight[i] += g[i] * n;
            dbias[i] += g[i];
        }
        dn_mean /= d;
        dn_n_mean /= d;
        for (int i = 0; i < d; i++) {
            float n = (x[i] - mu) * s, dn = g[i] * weight[i];
            dx[i] += s * (dn - dn_mean - n * dn_n_mean);
        }
    }
}
