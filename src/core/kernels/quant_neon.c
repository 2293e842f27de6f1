/*
 * kernels/quant_neon.c — the dot products of quant.h for AArch64 (Advanced
 * SIMD is part of the architecture; compiled only there, Makefile).
 * Accelerates core/quant_scalar.c: float rows with 4-lane FMAs, Q8_0 and
 * Q4_0 blocks with widening byte multiplies (vmull_s8, pairwise-added into
 * int32). The K-quants use the scalar reference on this CPU for now.
 */
#include "core/quant_blocks.h"
#include "core/quant.h"

#include <arm_neon.h>

extern const QuantKernels quant_kernels_scalar;

/* An f16 scale to float with the hardware conversion. */
static inline float f16_scale(uint16_t h)
{
    __fp16 f;
    __builtin_memcpy(&f, &h, 2);
    return (float)f;
}

static float dot_f32(const float *w, const float *x, int64_t n)
{
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 = vfmaq_f32(acc0, vld1q_f32(w + i), vld1q_f32(x + i));
        acc1 = vfmaq_f32(acc1, vld1q_f32(w + i + 4), vld1q_f32(x + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n)
{
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(w + i));
        acc0 = vfmaq_f32(acc0, vcvt_f32_f16(vget_low_f16(h)), vld1q_f32(x + i));
        acc1 = vfmaq_f32(acc1, vcvt_f32_f16(vget_high_f16(h)), vld1q_f32(x + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++) sum += quant_f16_to_f32(w[i]) * x[i];
    return sum;
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n)
{
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t h = vld1q_u16(w + i);
        float32x4_t lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16));
        float32x4_t hi = vreinterpretq_f32_u32(vshll_n_u16(vget_high_u16(h), 16));
        acc0 = vfmaq_f32(acc0, lo, vld1q_f32(x + i));
        acc1 = vfmaq_f32(acc1, hi, vld1q_f32(x + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++) sum += quant_bf16_to_f32(w[i]) * x[i];
    return sum;
}

/* sum of 16 signed byte products, as int32 lanes */
static inline int32x4_t dot16(int8x16_t a, int8x16_t b)
{
    int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    int16x8_t hi = vmull_s8(vget_high_s8(a), vget_high_s8(b));
    return vpadalq_s16(vpaddlq_s16(lo), hi);
}

static float dot_q8_0(const block_q8_0 *w, const act_q8_0 *a, int64_t n)
{
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int32x4_t s = vaddq_s32(dot16(vld1q_s8(w[i].qs), vld1q_s8(a[i].qs)),
                                dot16(vld1q_s8(w[i].qs + 16), vld1q_s8(a[i].qs + 16)));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_scale(w[i].d) * a[i].d);
    }
    return vaddvq_f32(acc);
}

static float dot_q4_0(const block_q4_0 *w, const act_q8_0 *a, int64_t n)
{
    float32x4_t acc = vdupq_n_f32(0);
    const uint8x16_t mask = vdupq_n_u8(0xF);
    const int8x16_t eight = vdupq_n_s8(8);
    for (int64_t i = 0; i < n / QK4_0; i++) {
        uint8x16_t q = vld1q_u8(w[i].qs);
        int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, mask)), eight);
        int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
        int32x4_t s = vaddq_s32(dot16(lo, vld1q_s8(a[i].qs)), dot16(hi, vld1q_s8(a[i].qs + 16)));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_scale(w[i].d) * a[i].d);
    }
    return vaddvq_f32(acc);
}

static float dot_q4_K(const block_q4_K *w, const block_q8_K *a, int64_t n)
{
    return quant_kernels_scalar.dot_q4_K(w, a, n);
}
static float dot_q5_K(const block_q5_K *w, const block_q8_K *a, int64_t n)
{
    return quant_kernels_scalar.dot_q5_K(w, a, n);
}
static float dot_q6_K(const block_q6_K *w, const block_q8_K *a, int64_t n)
{
    return quant_kernels_scalar.dot_q6_K(w, a, n);
}

static void f16_row(const uint16_t *in, float *out, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(in + i))));
    for (; i < n; i++) out[i] = f16_scale(in[i]);
}

static void attn_scores_f16(float *scores, const float *q, const uint16_t *keys, int64_t n, int64_t hd,
                            float scale)
{
    for (int64_t s = 0; s < n; s++) scores[s] = scale * dot_f16(keys + s * hd, q, hd);
}

/* (the scalar reference, until a NEON version is written and tested) */
static void attn_values_f16(float *out, float *p, const uint16_t *values, int64_t n, int64_t hd)
{
    quant_kernels_scalar.attn_values_f16(out, p, values, n, hd);
}

const QuantKernels quant_kernels_neon = {
    .name = "neon",
    .dot_f32 = dot_f32, .dot_f16 = dot_f16, .dot_bf16 = dot_bf16,
    .dot_q8_0 = dot_q8_0, .dot_q4_0 = dot_q4_0,
    .dot_q4_K = dot_q4_K, .dot_q5_K = dot_q5_K, .dot_q6_K = dot_q6_K,
    .f16_row = f16_row,
    .attn_scores_f16 = attn_scores_f16, .attn_values_f16 = attn_values_f16,
};
