/*
 * kernels/quant_avx512.c — the dot products of quant.h for x86-64 CPUs with
 * AVX-512F (built with AVX-512 flags for this file only, Makefile; chosen
 * with the AVX-512 float kernels, core/quant.c). The float rows use 16-lane
 * vectors; the integer blocks are the 256-bit code of quant_x86.h (a Q8_0
 * block is exactly one 256-bit vector), compiled here with AVX-512VL/BW so
 * the compiler may use the wider register file. Accelerates
 * core/quant_scalar.c.
 */
#include "core/kernels/quant_x86.h"

static inline float hsum_ps512(__m512 v) { return _mm512_reduce_add_ps(v); }

static float dot_f32(const float *w, const float *x, int64_t n)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    }
    float sum = hsum_ps512(_mm512_add_ps(acc0, acc1));
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 w0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i)));
        __m512 w1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i + 16)));
        acc0 = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i), acc0);
        acc1 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i + 16), acc1);
    }
    float sum = hsum_ps512(_mm512_add_ps(acc0, acc1));
    for (; i < n; i++) sum += quant_f16_to_f32(w[i]) * x[i];
    return sum;
}

static inline __m512 load_bf16(const uint16_t *p)
{
    __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(load_bf16(w + i), _mm512_loadu_ps(x + i), acc0);
        acc1 = _mm512_fmadd_ps(load_bf16(w + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    }
    float sum = hsum_ps512(_mm512_add_ps(acc0, acc1));
    for (; i < n; i++) sum += quant_bf16_to_f32(w[i]) * x[i];
    return sum;
}

static void f16_row(const uint16_t *in, float *out, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(in + i))));
    for (; i < n; i++) out[i] = _cvtsh_ss(in[i]);
}

/* A head of 64 is four 16-lane steps: one multiply-add each, then one sum
 * across the lanes per position. */
static void attn_scores_f16(float *scores, const float *q, const uint16_t *keys, int64_t n, int64_t hd,
                            float scale)
{
    if (hd % 16 != 0) {
        for (int64_t s = 0; s < n; s++) scores[s] = scale * dot_f16(keys + s * hd, q, hd);
        return;
    }
    for (int64_t s = 0; s < n; s++) {
        const uint16_t *k = keys + s * hd;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t i = 0; i < hd; i += 16)
            acc = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(k + i))),
                                  _mm512_loadu_ps(q + i), acc);
        scores[s] = scale * _mm512_reduce_add_ps(acc);
    }
}

static void attn_values_f16(float *out, float *p, const uint16_t *values, int64_t n, int64_t hd)
{
    int64_t s = 0;
    for (; s + 16 <= n; s += 16)   /* round to half precision and back, 16 at a time */
        _mm512_storeu_ps(p + s, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_loadu_ps(p + s), _MM_FROUND_TO_NEAREST_INT)));
    for (; s < n; s++) p[s] = _cvtsh_ss(_cvtss_sh(p[s], _MM_FROUND_TO_NEAREST_INT));
    int64_t i = 0;
    for (; i + 16 <= hd; i += 16) {   /* one slice of the head, summed over every position */
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        for (s = 0; s + 2 <= n; s += 2) {
            acc0 = _mm512_fmadd_ps(_mm512_set1_ps(p[s]),
                                   _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(values + s * hd + i))), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_set1_ps(p[s + 1]),
                                   _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(values + (s + 1) * hd + i))),
                                   acc1);
        }
        if (s < n)
            acc0 = _mm512_fmadd_ps(_mm512_set1_ps(p[s]),
                                   _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(values + s * hd + i))), acc0);
        _mm512_storeu_ps(out + i, _mm512_add_ps(acc0, acc1));
    }
    for (; i < hd; i++) {
        float acc = 0.0f;
        for (s = 0; s < n; s++) acc += p[s] * _cvtsh_ss(values[s * hd + i]);
        out[i] = acc;
    }
}

const QuantKernels quant_kernels_avx512 = {
    .name = "avx512",
    .dot_f32 = dot_f32, .dot_f16 = dot_f16, .dot_bf16 = dot_bf16,
    .dot_q8_0 = x86_dot_q8_0, .dot_q4_0 = x86_dot_q4_0,
    .dot_q4_K = x86_dot_q4_K, .dot_q5_K = x86_dot_q5_K, .dot_q6_K = x86_dot_q6_K,
    .f16_row = f16_row,
    .attn_scores_f16 = attn_scores_f16, .attn_values_f16 = attn_values_f16,
};
