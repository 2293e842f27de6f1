/*
 * decoder_ops.c — the row-wise pieces of the GGUF decoders (decoder.h):
 * RMSNorm, LayerNorm, rotary position embeddings, SwiGLU and GELU. Each
 * works on one row; decoder_run.c calls them per token. The formulas are
 * those llama.cpp's ggml applies, so that results agree with it to float
 * rounding (docs/15-llama-block.md works an example of each).
 */
#include "archs/decoder.h"
#include "core/kernels/kernels.h"

#include <math.h>

#include "core/quant.h"

/* RMSNorm (Zhang & Sennrich 2019): no mean subtraction, no bias.
 *   out_i = x_i / sqrt(mean_j x_j² + eps) * w_i
 * The sum is accumulated in double, as ggml does. */
void rmsnorm_row(float *out, const float *x, const float *w, int d, float eps)
{
    double sum_sq = 0.0;
    for (int i = 0; i < d; i++) sum_sq += (double)x[i] * x[i];
    float scale = 1.0f / sqrtf((float)(sum_sq / d) + eps);
    for (int i = 0; i < d; i++) out[i] = x[i] * scale * w[i];
}

/* LayerNorm: out_i = (x_i - mean) / sqrt(var + eps) * w_i + b_i (b may be NULL). */
void layernorm_row(float *out, const float *x, const float *w, const float *b, int d, float eps)
{
    double sum = 0.0;
    for (int i = 0; i < d; i++) sum += x[i];
    float mean = (float)(sum / d);
    double sum_sq = 0.0;
    for (int i = 0; i < d; i++) {
        float c = x[i] - mean;
        sum_sq += (double)c * c;
    }
    float rstd = 1.0f / sqrtf((float)(sum_sq / d) + eps);
    for (int i = 0; i < d; i++) out[i] = (x[i] - mean) * rstd * w[i] + (b ? b[i] : 0.0f);
}

/* Rotary position embedding (Su et al. 2021). Pair i of the first n_rot
 * dims is turned by the angle
 *     theta_i = pos * freq_scale * base^(-2i / n_rot) / freq_factors[i]
 *     (a, b) -> (a cos theta_i - b sin theta_i,  a sin theta_i + b cos theta_i)
 * The "normal" layout (llama) pairs neighbours (v[2i], v[2i+1]); the "neox"
 * layout (qwen2, gpt-neox) pairs the two halves (v[i], v[i + n_rot/2]).
 * The angle is built as ggml builds it: theta_0 = pos * freq_scale, then
 * multiplied by base^(-2/n_rot) from pair to pair. */
void rope_apply(float *v, int32_t n_rot, int neox, int32_t pos, float base, float freq_scale,
                const float *freq_factors)
{
    const float theta_scale = powf(base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    for (int32_t i = 0; i < n_rot / 2; i++) {
        float angle = freq_scale * (freq_factors ? theta / freq_factors[i] : theta);
        float c = cosf(angle), s = sinf(angle);
        int32_t ia = neox ? i : 2 * i;
        int32_t ib = neox ? i + n_rot / 2 : 2 * i + 1;
        float a = v[ia], b = v[ib];
        v[ia] = a * c - b * s;
        v[ib] = a * s + b * c;
        theta *= theta_scale;
    }
}

/* SwiGLU's gate (Shazeer 2020): x = silu(x) * y, silu(x) = x / (1 + e^-x),
 * in the kernel table's loop (kernels.h: swiglu_forward). */
void swiglu(float *x, const float *y, int64_t n)
{
    kernels()->swiglu_forward(x, y, (size_t)n);
}

