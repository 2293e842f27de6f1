/*
 * layers/layernorm.c — layer normalisation (docs/03-layernorm.md).
 *
 * Each block normalises the residual stream before attention (ln1) and before
 * the feed-forward layer (ln2), and the model once more before the head
 * (ln_f): every row is shifted to mean 0 and scaled to variance 1, then a
 * learned per-feature weight and bias give the network back its freedom.
 */
#include "archs/layers/layers.h"
#include "core/kernels/kernels.h"

#include <math.h>
#include <stdlib.h>

/* Rows are handed to the kernel table (kernels/scalar.c has the plain loops
 * of the formulas below) in chunks of LN_CHUNK, split across threads when
 * there are enough of them to pay for waking the team. A small input (one
 * row, in generation) stays on the calling thread without entering an
 * OpenMP region at all: even a one-thread region costs about a microsecond. */
enum { LN_CHUNK = 32, LN_PARALLEL_MIN = 1 << 15 /* elements */ };

/* out, inp [N,d]; mean, rstd [N] (kept for backward); weight, bias [d]
 *   mean = Σ x / d,  var = Σ (x - mean)² / d,  rstd = 1 / sqrt(var + eps)
 *   n = (x - mean) * rstd,   out = n * weight + bias
 * The variance is computed from the centred values (two passes), which
 * stays accurate when the mean is large compared with the spread; and the
 * mean itself gets the mean of the centred values added (0 in exact
 * arithmetic, the rounding of the float sum in practice), so that a row
 * like 1e6 + 0.25·(i mod 3) still comes out with mean 0 and variance 1. */
/* The kernels sum in float, and the variance squares: a row whose values
 * pass about 1e19 overflows it (rstd comes back 0, and the row would be all
 * bias), one near FLT_MAX overflows even the mean (NaN). Such rows, found
 * by one comparison per row, are done again in double, whose range holds
 * any float squared, and come out correctly normalised. Rows that hold an
 * inf or a NaN stay NaN: there is nothing to normalise. */
static void redo_overflowed_rows(float *out, float *mean, float *rstd, const float *inp,
                                 const float *weight, const float *bias, int N, int d)
{
    for (int r = 0; r < N; r++) {
        if (rstd[r] > 0.0f && isfinite(rstd[r]) && isfinite(mean[r])) continue;
        const float *x = inp + (size_t)r * d;
        float *y = out + (size_t)r * d;
        double mu = 0.0, var = 0.0;
        for (int i = 0; i < d; i++) mu += x[i];
        mu /= d;
        for (int i = 0; i < d; i++) var += ((double)x[i] - mu) * ((double)x[i] - mu);
        double s = 1.0 / sqrt(var / d + LAYERNORM_EPS);
        for (int i = 0; i < d; i++) y[i] = (float)(((double)x[i] - mu) * s * weight[i] + bias[i]);
        mean[r] = (float)mu;
        rstd[r] = (float)s;
    }
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int d)
{
    const Kernels *k = kernels();
    if ((long)N * d < LN_PARALLEL_MIN) {
        k->layernorm_forward(out, mean, rstd, inp, weight, bias, N, d);
        redo_overflowed_rows(out, mean, rstd, inp, weight, bias, N, d);
        return;
    }
    int chunks = (N + LN_CHUNK - 1) / LN_CHUNK;
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (int c = 0; c < chunks; c++) {
        int r0 = c * LN_CHUNK, rows = N - r0 < LN_CHUNK ? N - r0 : LN_CHUNK;
        k->layernorm_forward(out + (size_t)r0 * d, mean + r0, rstd + r0, inp + (size_t)r0 * d,
                             weight, bias, rows, d);
    }
    redo_overflowed_rows(out, mean, rstd, inp, weight, bias, N, d);
}

/* Given dout = dL/dout, with n = (x - mean) * rstd and dn = dout * weight:
 *   dweight += dout * n,   dbias += dout
 *   dx = rstd * ( dn - mean(dn) - n * mean(dn * n) )
 * The three terms of dx: the direct path through n, the path through the
 * mean (every x moved the mean), and the path through the variance (every x
 * moved rstd); docs/03-layernorm.md derives them.
 *
 * dweight and dbias sum over every row. On a large batch each chunk of rows
 * sums into its own partial pair, and the partials are added in chunk order
 * afterwards: the result is the same bits on any number of threads. */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int d)
{
    const Kernels *k = kernels();
    int chunks = (N + LN_CHUNK - 1) / LN_CHUNK;
    float *partial = (long)N * d >= LN_PARALLEL_MIN ? calloc((size_t)chunks * 2 * d, sizeof(float)) : NULL;
    if (!partial) {
        k->layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, d);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (int c = 0; c < chunks; c++) {
        int r0 = c * LN_CHUNK, rows = N - r0 < LN_CHUNK ? N - r0 : LN_CHUNK;
        float *part_w = partial + (size_t)c * 2 * d;
        k->layernorm_backward(dinp + (size_t)r0 * d, part_w, part_w + d, dout + (size_t)r0 * d,
                              inp + (size_t)r0 * d, weight, mean + r0, rstd + r0, rows, d);
    }
    for (int c = 0; c < chunks; c++) {
        const float *part_w = partial + (size_t)c * 2 * d, *part_b = part_w + d;
        for (int i = 0; i < d; i++) {
            dweight[i] += part_w[i];
            dbias[i] += part_b[i];
        }
    }
    free(partial);
}
