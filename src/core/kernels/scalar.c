/*
 * kernels/scalar.c — the reference implementation of every hot loop.
 *
 * Plain C loops in the order a textbook writes the formulas (the layers in
 * layers/ carry the math; kernels.h the contract of each entry). They are the
 * truth the SIMD tables are tested against, and the path taken where the CPU
 * has no vector unit we know (RUSTGPT_KERNELS=scalar forces it).
 */
#include "core/kernels/kernels.h"

#include <math.h>

/* ---- the products of a linear layer ------------------------------------ */

static void matmul_forward(float *out, const float *inp, const float *weight,
                           const float *bias, int rows, int in_dim, int out_dim,
                           int o_begin, int o_end)
{
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * in_dim;
        for (int o = o_begin; o < o_end; o++) {
            const float *w = weight + (size_t)o * in_dim;
            float sum = bias ? bias[o] : 0.0f;
            for (int i = 0; i < in_dim; i++) sum += x[i] * w[i];
            out[(size_t)r * out_dim + o] = sum;
        }
    }
}

static void matmul_backward_input(float *dinp, const float *dout, const float *weight,
                                  int rows, int in_dim, int out_dim)
{
    for (int r = 0; r < rows; r++) {
        float *dx = dinp + (size_t)r * in_dim;
        for (int o = 0; o < out_dim; o++) {
            float g = dout[(size_t)r * out_dim + o];
            const float *w = weight + (size_t)o * in_dim;
            for (int i = 0; i < in_dim; i++) dx[i] += g * w[i];
        }
    }
}

static void matmul_backward_weight(float *dweight, float *dbias, const float *dout,
                                   const float *inp, int rows, int in_dim, int out_dim,
                                   int o_begin, int o_end)
{
    for (int o = o_begin; o < o_end; o++) {
        float *dw = dweight + (size_t)o * in_dim;
        float bias_sum = 0.0f;
        for (int r = 0; r < rows; r++) {
            float g = dout[(size_t)r * out_dim + o];
            const float *x = inp + (size_t)r * in_dim;
            bias_sum += g;
            for (int i = 0; i < in_dim; i++) dw[i] += g * x[i];
        }
        if (dbias) dbias[o] += bias_sum;
    }
}

/* ---- rows ---------------------------------------------------------------- */

/* layers/gelu.c: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) */
static void gelu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    }
}

/* archs/decoder_ops.c: x = silu(x) * y, silu(x) = x / (1 + e^-x) */
static void swiglu_forward(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i])) * y[i];
}

/* exp(x - max) / Σ exp(x - max): subtracting the max changes nothing
 * mathematically and keeps exp() from overflowing. */
static float softmax(float *x, int n)
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
    return max + logf(sum);
}

/* The mean of a row is held as two floats, mu + lo. mu = Σx / d is the
 * float sum's mean; lo = Σ(x - mu) / d is what its rounding lost (0 in exact
 * arithmetic). A float cannot hold 1e6 + 0.248 (its spacing there is
 * 0.0625), but x - mu is exact for x near mu, so centring as (x - mu) - lo
 * keeps the digits a single float mean would drop: a row like
 * 1e6 + 0.25·(i mod 3) comes out with mean 0 and variance 1. The backward
 * pass gets mu from mean[] and recomputes lo the same way, so both passes
 * centre identically. A non-finite lo (a row the layer redid in double,
 * whose differences overflow a float) counts as 0. */
static float mean_correction(const float *x, int d, float mu)
{
    float lo = 0.0f;
    for (int i = 0; i < d; i++) lo += x[i] - mu;
    lo /= d;
    return isfinite(lo) ? lo : 0.0f;
}

static void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, int N, int d)
{
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * d;
        float *y = out + (size_t)r * d;
        float sum = 0.0f;
        for (int i = 0; i < d; i++) sum += x[i];
        float mu = sum / d, lo = mean_correction(x, d, mu);
        float var = 0.0f;       /* second pass, over the centred values */
        for (int i = 0; i < d; i++) {
            float c = (x[i] - mu) - lo;
            var += c * c;
        }
        float s = 1.0f / sqrtf(var / d + LAYERNORM_EPS);
        for (int i = 0; i < d; i++) y[i] = ((x[i] - mu) - lo) * s * weight[i] + bias[i];
        mean[r] = mu;
        rstd[r] = s;
    }
}

static void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                               const float *inp, const float *weight, const float *mean,
                               const float *rstd, int N, int d)
{
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * d, *g = dout + (size_t)r * d;
        float *dx = dinp + (size_t)r * d;
        float mu = mean[r], s = rstd[r], lo = mean_correction(x, d, mu);
        float dn_mean = 0.0f, dn_n_mean = 0.0f;
        for (int i = 0; i < d; i++) {
            float n = ((x[i] - mu) - lo) * s, dn = g[i] * weight[i];
            dn_mean += dn;
            dn_n_mean += dn * n;
            dweight[i] += g[i] * n;
            dbias[i] += g[i];
        }
        dn_mean /= d;
        dn_n_mean /= d;
        for (int i = 0; i < d; i++) {
            float n = ((x[i] - mu) - lo) * s, dn = g[i] * weight[i];
            dx[i] += s * (dn - dn_mean - n * dn_n_mean);
        }
    }
}

/* ---- one attention head -------------------------------------------------- */

static void attention_forward(float *out, float *probs, const float *q, const float *k,
                              const float *v, int T, int dh, int stride, int out_stride)
{
    float scale = 1.0f / sqrtf((float)dh);
    for (int t = 0; t < T; t++) {
        const float *qt = q + (size_t)t * stride;
        float *p = probs + (size_t)t * T;
        for (int s = 0; s <= t; s++) {
            const float *ks = k + (size_t)s * stride;
            float dot = 0.0f;
            for (int i = 0; i < dh; i++) dot += qt[i] * ks[i];
            p[s] = dot * scale;
        }
        softmax(p, t + 1);
        for (int s = t + 1; s < T; s++) p[s] = 0.0f;

        float *o = out + (size_t)t * out_stride;
        for (int i = 0; i < dh; i++) o[i] = 0.0f;
        for (int s = 0; s <= t; s++) {
            const float *vs = v + (size_t)s * stride;
            for (int i = 0; i < dh; i++) o[i] += p[s] * vs[i];
        }
    }
}

static void attention_backward(float *dq, float *dk, float *dv, float *scratch,
                               const float *dout, const float *q, const float *k,
                               const float *v, const float *probs,
                               int T, int dh, int stride, int dout_stride)
{
    float scale = 1.0f / sqrtf((float)dh);
    float *dp = scratch;
    for (int t = 0; t < T; t++) {
        const float *qt = q + (size_t)t * stride, *g = dout + (size_t)t * dout_stride;
        const float *p = probs + (size_t)t * T;
        float *dqt = dq + (size_t)t * stride;

        float weighted = 0.0f;            /* Σ_j p[j] dp[j] */
        for (int s = 0; s <= t; s++) {
            const float *vs = v + (size_t)s * stride;
            float *dvs = dv + (size_t)s * stride;
            float dot = 0.0f;
            for (int i = 0; i < dh; i++) {
                dot += g[i] * vs[i];
                dvs[i] += p[s] * g[i];
            }
            dp[s] = dot;
            weighted += p[s] * dot;
        }
        for (int s = 0; s <= t; s++) {
            float dscore = p[s] * (dp[s] - weighted) * scale;
            const float *ks = k + (size_t)s * stride;
            float *dks = dk + (size_t)s * stride;
            for (int i = 0; i < dh; i++) {
                dqt[i] += dscore * ks[i];
                dks[i] += dscore * qt[i];
            }
        }
    }
}

static void attention_row(float *out, float *scores, const float *q, const float *keys,
                          const float *values, int n_keys, int dh, int stride)
{
    float scale = 1.0f / sqrtf((float)dh);
    for (int s = 0; s < n_keys; s++) {
        const float *ks = keys + (size_t)s * stride;
        float dot = 0.0f;
        for (int i = 0; i < dh; i++) dot += q[i] * ks[i];
        scores[s] = dot * scale;
    }
    softmax(scores, n_keys);
    for (int i = 0; i < dh; i++) out[i] = 0.0f;
    for (int s = 0; s < n_keys; s++) {
        const float *vs = values + (size_t)s * stride;
        for (int i = 0; i < dh; i++) out[i] += scores[s] * vs[i];
    }
}

/* ---- the optimiser ------------------------------------------------------- */

static void adam_update(float *param, const float *grad, float *m, float *v,
                        size_t n, AdamStep s)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] * s.grad_scale;
        m[i] = s.beta1 * m[i] + (1.0f - s.beta1) * g;
        v[i] = s.beta2 * v[i] + (1.0f - s.beta2) * g * g;
        float m_hat = m[i] * s.correction1, v_hat = v[i] * s.correction2;
        param[i] -= s.lr * (m_hat / (sqrtf(v_hat) + s.eps) + s.weight_decay * param[i]);
    }
}

static double sum_squares(const float *x, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)x[i] * x[i];
    return sum;
}

/* ---- the yardstick --------------------------------------------------------- */

/* Sixteen independent chains a = a*m + c: enough to keep both multiply and
 * add units busy through their latency. Baseline x86-64 has no FMA, so this
 * is the scalar path's peak: a separate multiply and add per 2 flops. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))   /* scalar on purpose, not SSE */
#endif
static double fma_loop(long rounds, float *sink)
{
    enum { CHAINS = 16 };
    float a[CHAINS], m = 0.999999f, c = 1e-7f;
    for (int j = 0; j < CHAINS; j++) a[j] = (float)j;
    for (long r = 0; r < rounds; r++) {
        #pragma GCC unroll 16
        for (int j = 0; j < CHAINS; j++) a[j] = a[j] * m + c;
    }
    float sum = 0.0f;
    for (int j = 0; j < CHAINS; j++) sum += a[j];
    *sink = sum;
    return 2.0 * CHAINS * (double)rounds;
}

const Kernels kernels_scalar = {
    .name = "scalar",
    .matmul_forward = matmul_forward,
    .matvec_forward = matmul_forward,     /* its rows are already independent */
    .matmul_backward_input = matmul_backward_input,
    .matmul_backward_weight = matmul_backward_weight,
    .gelu_forward = gelu_forward,
    .swiglu_forward = swiglu_forward,
    .softmax = softmax,
    .layernorm_forward = layernorm_forward,
    .layernorm_backward = layernorm_backward,
    .attention_forward = attention_forward,
    .attention_backward = attention_backward,
    .attention_row = attention_row,
    .adam_update = adam_update,
    .sum_squares = sum_squares,
    .fma_loop = fma_loop,
};
