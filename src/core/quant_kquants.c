/*
 * quant_kquants.c — rows of the K-quants (Q4_K, Q5_K, Q6_K, Q8_K): 256
 * values per "super-block", split into sub-blocks that each get their own
 * small integer scale (and, for Q4_K/Q5_K, a min), themselves scaled by one
 * f16 per super-block. Layouts: quant_blocks.h; worked example:
 * docs/16-quantization.md.
 *
 * Quantizing searches each sub-block's scale (and min) for the smallest
 * weighted squared error, the method of llama.cpp's reference quantizer:
 * start from the range, try a few nearby scales, and for each fit the
 * scale and min by least squares to the rounded levels.
 */
#include "core/quant.h"
#include "core/quant_blocks.h"

#include <math.h>
#include <string.h>

#define GROUP_MAX_EPS 1e-15f

/* ---- fitting one sub-block ------------------------------------------------ */

/* Fit x[n] ≈ scale·L − min with L in [0, nmax], minimising sum w·err².
 * Tries iscale = (nmax + rmin + rdelta·k) / (max − min) for k < nstep, and
 * for each the least-squares scale and min of the levels it rounds to.
 * Returns the scale; *min_out gets min (>= 0: the sub-block's minimum is
 * never above 0). L gets the levels. */
static float fit_scale_min(int n, int nmax, const float *x, const float *w, uint8_t *L,
                           float *min_out, float rmin, float rdelta, int nstep)
{
    float min = x[0], max = x[0], sum_w = w[0], sum_x = w[0] * x[0];
    for (int i = 1; i < n; i++) {
        min = fminf(min, x[i]);
        max = fmaxf(max, x[i]);
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *min_out = -min;
        return 0.0f;
    }
    float iscale = nmax / (max - min), scale = 1.0f / iscale, best_err = 0.0f;
    for (int i = 0; i < n; i++) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)(l < 0 ? 0 : l > nmax ? nmax : l);
        float diff = scale * L[i] + min - x[i];
        best_err += w[i] * diff * diff;
    }
    uint8_t trial[QK_K];
    for (int step = 0; step < nstep; step++) {
        iscale = (rmin + rdelta * step + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = nearest_int(iscale * (x[i] - min));
            l = l < 0 ? 0 : l > nmax ? nmax : l;
            trial[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        /* least squares for x ≈ a·l + b: the 2x2 normal equations */
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D <= 0) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0) {
            this_min = 0;
            this_scale = sum_xl / sum_l2;
        }
        float err = 0;
        for (int i = 0; i < n; i++) {
            float diff = this_scale * trial[i] + this_min - x[i];
            err += w[i] * diff * diff;
        }
        if (err < best_err) {
            memcpy(L, trial, (size_t)n);
            best_err = err;
            scale = this_scale;
            min = this_min;
        }
    }
    *min_out = -min;
    return scale;
}

/* Fit x[n] ≈ scale·(L − nmax) with L − nmax in [−nmax, nmax − 1], the value
 * of largest magnitude at the end of the range, weights x², trying 18
 * nearby scales. Returns the scale (signed). */
static float fit_symmetric(int n, int nmax, const float *x, uint8_t *L)
{
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); max = x[i]; }
    }
    if (amax < GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float best_scale = 0, best = -1;
    for (int k = 0; k <= 18; k++) {
        int is = k - 9;
        float iscale = -(nmax + 0.1f * is) / max, sum_lx = 0, sum_l2 = 0;
        for (int i = 0; i < n; i++) {
            int l = nearest_int(iscale * x[i]);
            l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
            float w = x[i] * x[i];
            sum_lx += w * x[i] * l;
            sum_l2 += w * l * l;
        }
        /* the best scale for these levels is sum_lx / sum_l2, which lowers
         * the error by sum_lx² / sum_l2: keep the largest */
        if (sum_l2 > 0 && (best < 0 || sum_lx * sum_lx > best * sum_l2)) {
            for (int i = 0; i < n; i++) {
                int l = nearest_int(iscale * x[i]);
                l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
                L[i] = (uint8_t)(l + nmax);
            }
            best_scale = sum_lx / sum_l2;
            best = best_scale * sum_lx;
        }
    }
    return best_scale;
}

/* ---- Q4_K and Q5_K ----------------------------------------------------------- */

/* Pack 8 six-bit scales and mins into the 12 bytes kquant_scale_min reads. */
static void pack_scales(uint8_t *q, const uint8_t *ls, const uint8_t *lm)
{
    memset(q, 0, K_SCALE_SIZE);
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            q[j] = ls[j];
            q[j + 4] = lm[j];
        } else {
            q[j + 4] = (uint8_t)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            q[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            q[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

/* Shared by Q4_K (nmax 15) and Q5_K (nmax 31): fit the 8 sub-blocks of
 * one super-block, quantize their scales and mins to 6 bits against the
 * super-block's d and dmin, then requantize the values with the scales
 * as stored. L [256] gets the levels. */
static void quantize_superblock_scale_min(const float *x, int nmax, float rmin, int nstep,
                                          uint16_t *d_out, uint16_t *dmin_out, uint8_t *scales,
                                          uint8_t *L)
{
    float sub_scale[8], sub_min[8], weights[32], max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        const float *xs = x + 32 * j;
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++) sum_x2 += xs[l] * xs[l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++) weights[l] = av_x + fabsf(xs[l]);
        sub_scale[j] = fit_scale_min(32, nmax, xs, weights, L + 32 * j, &sub_min[j], rmin, 0.1f, nstep);
        max_scale = fmaxf(max_scale, sub_scale[j]);
        max_min = fmaxf(max_min, sub_min[j]);
    }
    float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; j++) {
        int s = nearest_int(inv_scale * sub_scale[j]), m = nearest_int(inv_min * sub_min[j]);
        ls[j] = (uint8_t)(s > 63 ? 63 : s);
        lm[j] = (uint8_t)(m > 63 ? 63 : m);
    }
    pack_scales(scales, ls, lm);
    *d_out = quant_f32_to_f16(max_scale / 63.0f);
    *dmin_out = quant_f32_to_f16(max_min / 63.0f);
    float d = quant_f16_to_f32(*d_out), dmin = quant_f16_to_f32(*dmin_out);
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        kquant_scale_min(j, scales, &sc, &m);
        float ds = d * sc;
        if (ds == 0.0f) continue;
        float dm = dmin * m;
        for (int l = 0; l < 32; l++) {
            int q = nearest_int((x[32 * j + l] + dm) / ds);
            L[32 * j + l] = (uint8_t)(q < 0 ? 0 : q > nmax ? nmax : q);
        }
    }
}

/* Q4_K values: each 64 values are 32 bytes, the first 32 in the low
 * nibbles, the next 32 in the high nibbles. */
void quantize_row_q4_K(const float *x, block_q4_K *b, int64_t n)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        quantize_superblock_scale_min(x, 15, -1.0f, 20, &b[i].d, &b[i].dmin, b[i].scales, L);
        for (int j = 0; j < QK_K; j += 64)
            for (int l = 0; l < 32; l++)
                b[i].qs[j / 2 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
}

void dequantize_row_q4_K(const block_q4_K *b, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = quant_f16_to_f32(b[i].d), dmin = quant_f16_to_f32(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int j = 0; j < 8; j += 2, q += 32) {
            uint8_t sc, m;
            kquant_scale_min(j, b[i].scales, &sc, &m);
            float d1 = d * sc, m1 = dmin * m;
            kquant_scale_min(j + 1, b[i].scales, &sc, &m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
        }
    }
}

/* Q5_K: the low 4 bits as Q4_K; the fifth bit of value 64k + l (l < 32) is
 * bit 2k of qh[l], of value 64k + 32 + l bit 2k + 1. */
void quantize_row_q5_K(const float *x, block_q5_K *b, int64_t n)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        quantize_superblock_scale_min(x, 31, -0.5f, 15, &b[i].d, &b[i].dmin, b[i].scales, L);
        memset(b[i].qh, 0, sizeof b[i].qh);
        for (int j = 0, k = 0; j < QK_K; j += 64, k++) {
            for (int l = 0; l < 32; l++) {
                int lo = L[j + l], hi = L[j + l + 32];
                if (lo > 15) { lo -= 16; b[i].qh[l] |= (uint8_t)(1 << (2 * k)); }
                if (hi > 15) { hi -= 16; b[i].qh[l] |= (uint8_t)(1 << (2 * k + 1)); }
                b[i].qs[j / 2 + l] = (uint8_t)(lo | (hi << 4));
            }
        }
    }
}

void dequantize_row_q5_K(const block_q5_K *b, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = quant_f16_to_f32(b[i].d), dmin = quant_f16_to_f32(b[i].dmin);
        const uint8_t *ql = b[i].qs, *qh = b[i].qh;
        for (int j = 0, k = 0; j < 8; j += 2, k++, ql += 32) {
            uint8_t sc, m;
            kquant_scale_min(j, b[i].scales, &sc, &m);
            float d1 = d * sc, m1 = dmin * m;
            kquant_scale_min(j + 1, b[i].scales, &sc, &m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++)
                *y++ = d1 * ((ql[l] & 0xF) + (qh[l] >> (2 * k) & 1) * 16) - m1;
            for (int l = 0; l < 32; l++)
                *y++ = d2 * ((ql[l] >> 4) + (qh[l] >> (2 * k + 1) & 1) * 16) - m2;
        }
    }
}

/* ---- Q6_K ----------------------------------------------------------------------- */

/* Q6_K: 16 sub-blocks of 16 with an int8 scale each (against one f16 d);
 * a value's 6 bits q (value = d·s·(q − 32)) are split: for each half of 128
 * values and l < 32, values l, l+32, l+64, l+96 keep their low 4 bits in
 * ql[l] (low, high nibble: l, l+64) and ql[l+32] (l+32, l+96), and their
 * high 2 bits in qh[l] at bits 0, 2, 4, 6. */
void quantize_row_q6_K(const float *x, block_q6_K *b, int64_t n)
{
    uint8_t L[QK_K];
    float scales[16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float max_scale = 0, max_abs = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = fit_symmetric(16, 32, x + 16 * j, L + 16 * j);
            if (fabsf(scales[j]) > max_abs) { max_abs = fabsf(scales[j]); max_scale = scales[j]; }
        }
        memset(&b[i], 0, sizeof b[i]);
        if (max_abs < GROUP_MAX_EPS) continue;
        float iscale = -128.0f / max_scale;
        b[i].d = quant_f32_to_f16(1.0f / iscale);
        for (int j = 0; j < 16; j++) {
            int s = nearest_int(iscale * scales[j]);
            b[i].scales[j] = (int8_t)(s > 127 ? 127 : s);
        }
        float d = quant_f16_to_f32(b[i].d);
        for (int j = 0; j < 16; j++) {
            float ds = d * b[i].scales[j];
            if (ds == 0.0f) continue;
            for (int l = 0; l < 16; l++) {
                int q = nearest_int(x[16 * j + l] / ds);
                q = q < -32 ? -32 : q > 31 ? 31 : q;
                L[16 * j + l] = (uint8_t)(q + 32);
            }
        }
        uint8_t *ql = b[i].ql, *qh = b[i].qh;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                const uint8_t *q = L + j + l;
                ql[l] = (uint8_t)((q[0] & 0xF) | ((q[64] & 0xF) << 4));
                ql[l + 32] = (uint8_t)((q[32] & 0xF) | ((q[96] & 0xF) << 4));
                qh[l] = (uint8_t)((q[0] >> 4) | ((q[32] >> 4) << 2) | ((q[64] >> 4) << 4) | ((q[96] >> 4) << 6));
            }
        }
    }
}

void dequantize_row_q6_K(const block_q6_K *b, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = quant_f16_to_f32(b[i].d);
        const uint8_t *ql = b[i].ql, *qh = b[i].qh;
        const int8_t *sc = b[i].scales;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32, sc += 8, y += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0 & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2 & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
                y[l] = d * sc[is] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

void dequantize_row_q8_K(const block_q8_K *b, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++)
        for (int j = 0; j < QK_K; j++) *y++ = b[i].d * b[i].qs[j];
}
