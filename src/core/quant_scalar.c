/*
 * quant_scalar.c — the reference dot products of quant.h: one weight row
 * (in its block format) against one activation row. The SIMD tables
 * (kernels/quant_avx2.c, quant_avx512.c, quant_neon.c) compute the same
 * sums and are tested against these (tests/test_quant.c).
 *
 * The integer products: a weight block of scale d_w and integers q_w, and an
 * activation block of scale d_a and int8 q_a, give
 *     sum_j (d_w q_w[j]) (d_a q_a[j]) = d_w d_a · sum_j q_w[j] q_a[j]
 * so each block costs one integer dot product and one float multiply. The
 * K-quants' mins enter as  − dmin·m_j · d_a · sum_{j in sub-block} q_a[j],
 * and those sums are precomputed in the Q8_K block (bsums).
 */
#include "core/quant_blocks.h"
#include "core/quant.h"

static float dot_f32(const float *w, const float *x, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n; i++) sum += quant_f16_to_f32(w[i]) * x[i];
    return sum;
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n; i++) sum += quant_bf16_to_f32(w[i]) * x[i];
    return sum;
}

static float dot_q8_0(const block_q8_0 *w, const act_q8_0 *a, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int32_t s = 0;
        for (int j = 0; j < QK8_0; j++) s += w[i].qs[j] * a[i].qs[j];
        sum += quant_f16_to_f32(w[i].d) * a[i].d * (float)s;
    }
    return sum;
}

static float dot_q4_0(const block_q4_0 *w, const act_q8_0 *a, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n / QK4_0; i++) {
        int32_t s = 0;
        for (int j = 0; j < QK4_0 / 2; j++) {
            s += ((w[i].qs[j] & 0xF) - 8) * a[i].qs[j];
            s += ((w[i].qs[j] >> 4) - 8) * a[i].qs[j + QK4_0 / 2];
        }
        sum += quant_f16_to_f32(w[i].d) * a[i].d * (float)s;
    }
    return sum;
}

/* Q4_K: value = d·s_j·q − dmin·m_j on sub-block j, so
 * dot = d·d_a·sum_j s_j (q·q_a)_j − dmin·d_a·sum_j m_j (sum q_a)_j. */
static float dot_q4_K(const block_q4_K *w, const block_q8_K *a, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = w[i].qs;
        const int8_t *qa = a[i].qs;
        int32_t sum_scaled = 0, sum_mins = 0;
        for (int j = 0; j < 8; j += 2, q += 32, qa += 64) {
            uint8_t sc_lo, m_lo, sc_hi, m_hi;
            kquant_scale_min(j, w[i].scales, &sc_lo, &m_lo);
            kquant_scale_min(j + 1, w[i].scales, &sc_hi, &m_hi);
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += (q[l] & 0xF) * qa[l];
                hi += (q[l] >> 4) * qa[l + 32];
            }
            sum_scaled += sc_lo * lo + sc_hi * hi;
            sum_mins += m_lo * (a[i].bsums[2 * j] + a[i].bsums[2 * j + 1])
                      + m_hi * (a[i].bsums[2 * j + 2] + a[i].bsums[2 * j + 3]);
        }
        sum += quant_f16_to_f32(w[i].d) * a[i].d * (float)sum_scaled
             - quant_f16_to_f32(w[i].dmin) * a[i].d * (float)sum_mins;
    }
    return sum;
}

/* Q5_K: as Q4_K with the fifth bit from qh. */
static float dot_q5_K(const block_q5_K *w, const block_q8_K *a, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = w[i].qs, *qh = w[i].qh;
        const int8_t *qa = a[i].qs;
        int32_t sum_scaled = 0, sum_mins = 0;
        for (int j = 0, k = 0; j < 8; j += 2, k++, q += 32, qa += 64) {
            uint8_t sc_lo, m_lo, sc_hi, m_hi;
            kquant_scale_min(j, w[i].scales, &sc_lo, &m_lo);
            kquant_scale_min(j + 1, w[i].scales, &sc_hi, &m_hi);
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += ((q[l] & 0xF) + (qh[l] >> (2 * k) & 1) * 16) * qa[l];
                hi += ((q[l] >> 4) + (qh[l] >> (2 * k + 1) & 1) * 16) * qa[l + 32];
            }
            sum_scaled += sc_lo * lo + sc_hi * hi;
            sum_mins += m_lo * (a[i].bsums[2 * j] + a[i].bsums[2 * j + 1])
                      + m_hi * (a[i].bsums[2 * j + 2] + a[i].bsums[2 * j + 3]);
        }
        sum += quant_f16_to_f32(w[i].d) * a[i].d * (float)sum_scaled
             - quant_f16_to_f32(w[i].dmin) * a[i].d * (float)sum_mins;
    }
    return sum;
}

/* Q6_K: value = d·s_j·(q − 32) on sub-block j of 16. */
static float dot_q6_K(const block_q6_K *w, const block_q8_K *a, int64_t n)
{
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int8_t levels[QK_K];
        const uint8_t *ql = w[i].ql, *qh = w[i].qh;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                levels[j + l] = (int8_t)(((ql[l] & 0xF) | ((qh[l] >> 0 & 3) << 4)) - 32);
                levels[j + l + 32] = (int8_t)(((ql[l + 32] & 0xF) | ((qh[l] >> 2 & 3) << 4)) - 32);
                levels[j + l + 64] = (int8_t)(((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32);
                levels[j + l + 96] = (int8_t)(((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32);
            }
        }
        int32_t total = 0;
        for (int j = 0; j < 16; j++) {
            int32_t s = 0;
            for (int l = 0; l < 16; l++) s += levels[16 * j + l] * a[i].qs[16 * j + l];
            total += w[i].scales[j] * s;
        }
        sum += quant_f16_to_f32(w[i].d) * a[i].d * (float)total;
    }
    return sum;
}

static void f16_row(const uint16_t *in, float *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = quant_f16_to_f32(in[i]);
}

static void attn_scores_f16(float *scores, const float *q, const uint16_t *keys, int64_t n, int64_t hd,
                            float scale)
{
    for (int64_t s = 0; s < n; s++) scores[s] = scale * dot_f16(keys + s * hd, q, hd);
}

static void attn_values_f16(float *out, float *p, const uint16_t *values, int64_t n, int64_t hd)
{
    for (int64_t i = 0; i < hd; i++) out[i] = 0.0f;
    for (int64_t s = 0; s < n; s++) {
        p[s] = quant_f16_to_f32(quant_f32_to_f16(p[s]));
        for (int64_t i = 0; i < hd; i++) out[i] += p[s] * quant_f16_to_f32(values[s * hd + i]);
    }
}

const QuantKernels quant_kernels_scalar = {
    .name = "scalar",
    .dot_f32 = dot_f32, .dot_f16 = dot_f16, .dot_bf16 = dot_bf16,
    .dot_q8_0 = dot_q8_0, .dot_q4_0 = dot_q4_0,
    .dot_q4_K = dot_q4_K, .dot_q5_K = dot_q5_K, .dot_q6_K = dot_q6_K,
    .f16_row = f16_row,
    .attn_scores_f16 = attn_scores_f16, .attn_values_f16 = attn_values_f16,
};
