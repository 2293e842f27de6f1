/*
 * kernels/quant_avx2.c — the dot products of quant.h for x86-64 CPUs with
 * AVX2, FMA and F16C (built with those flags for this file only, Makefile;
 * chosen with the AVX2 float kernels, core/quant.c). Accelerates
 * core/quant_scalar.c: the float rows here, the integer blocks in
 * quant_x86.h.
 */
#include "core/kernels/quant_x86.h"

static float dot_f32(const float *w, const float *x, int64_t n)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float sum = hsum_ps256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i + 8)));
        acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
    }
    float sum = hsum_ps256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += quant_f16_to_f32(w[i]) * x[i];
    return sum;
}

/* bf16 → f32 is a 16-bit shift into the top half. */
static inline __m256 load_bf16(const uint16_t *p)
{
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(load_bf16(w + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(load_bf16(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float sum = hsum_ps256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += quant_bf16_to_f32(w[i]) * x[i];
    return sum;
}

static void f16_row(const uint16_t *in, float *out, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + i))));
    for (; i < n; i++) out[i] = _cvtsh_ss(in[i]);
}

/* One 8-lane f16 load per step of the head; hd not a multiple of 8 ends
 * in scalar code. */
static void attn_scores_f16(float *scores, const float *q, const uint16_t *keys, int64_t n, int64_t hd,
                            float scale)
{
    for (int64_t s = 0; s < n; s++) scores[s] = scale * dot_f16(keys + s * hd, q, hd);
}

static void attn_values_f16(float *out, float *p, const uint16_t *values, int64_t n, int64_t hd)
{
    int64_t s = 0;
    for (; s + 8 <= n; s += 8)   /* round to half precision and back, 8 at a time */
        _mm256_storeu_ps(p + s, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(p + s), _MM_FROUND_TO_NEAREST_INT)));
    for (; s < n; s++) p[s] = _cvtsh_ss(_cvtss_sh(p[s], _MM_FROUND_TO_NEAREST_INT));
    int64_t i = 0;
    for (; i + 8 <= hd; i += 8) {   /* one slice of the head, summed over every position */
        __m256 acc = _mm256_setzero_ps();
        for (s = 0; s < n; s++)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(p[s]),
                                  _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + s * hd + i))), acc);
        _mm256_storeu_ps(out + i, acc);
    }
    for (; i < hd; i++) {
        float acc = 0.0f;
        for (s = 0; s < n; s++) acc += p[s] * _cvtsh_ss(values[s * hd + i]);
        out[i] = acc;
    }
}

const QuantKernels quant_kernels_avx2 = {
    .name = "avx2",
    .dot_f32 = dot_f32, .dot_f16 = dot_f16, .dot_bf16 = dot_bf16,
    .dot_q8_0 = x86_dot_q8_0, .dot_q4_0 = x86_dot_q4_0,
    .dot_q4_K = x86_dot_q4_K, .dot_q5_K = x86_dot_q5_K, .dot_q6_K = x86_dot_q6_K,
    .f16_row = f16_row,
    .attn_scores_f16 = attn_scores_f16, .attn_values_f16 = attn_values_f16,
};
