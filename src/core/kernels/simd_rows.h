/*
 * kernels/simd_rows.h — the row-wise hot loops (softmax, LayerNorm, one
 * attention head) written once for every vector instruction set, like
 * simd_matmul.h beside it: avx2.c, avx512.c and neon.c define the primitives
 * and include both. Each function names the kernels/scalar.c entry it
 * accelerates and computes the same formula; only the order of additions
 * (vector partial sums) and the exp() (a polynomial, v_exp) differ.
 *
 * Attention with head width dh = 16 and T = 80 positions is many tiny
 * products, so the loops are arranged to vectorise along the long axis:
 * the scores q_t·k_s are computed RB query rows x VLEN keys at a time from a
 * transposed copy of K (so one vector load serves RB broadcast FMAs and no
 * horizontal sums are needed), and the weighted sums Σ_s p[s] v_s run along
 * dh with RB rows of p broadcast against one row of V. The backward pass
 * keeps the whole dscore matrix of the head in a per-thread scratch (T x T
 * floats, 25 KB for T = 80, in L1), so that dq, dk and dv are three such
 * register-blocked products instead of scattered read-modify-writes.
 */

#include "core/kernels/simd_elementwise.h"   /* GELU, SwiGLU, Adam */

/* Attention rows per register block: ATTN_ROWS accumulators in flight (the
 * ISA file may set it: 16 where there are 32 vector registers). */
#ifndef ATTN_ROWS
#define ATTN_ROWS 8
#endif
enum { RB = ATTN_ROWS };

/* Per-thread scratch of at least `floats` floats, NULL if it cannot be had
 * (the caller then falls back to the scalar kernel). */
static _Thread_local float *row_scratch_buffer;
static _Thread_local size_t row_scratch_capacity;

static float *row_scratch(size_t floats)
{
    if (floats > row_scratch_capacity) {
        free(row_scratch_buffer);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        row_scratch_buffer = aligned_alloc(64, bytes);
        row_scratch_capacity = row_scratch_buffer ? floats : 0;
    }
    return row_scratch_buffer;
}

/* ---- softmax (scalar.c: softmax) --------------------------------------- */

/* x [n] becomes softmax(x); returns Σ exp(x - max), with max in *max_out. */
static float softmax_in_place(float *x, int n, float *max_out)
{
    vfloat vmax = v_set1(-INFINITY), sum = v_zero();
    int i;
    for (i = 0; i + VLEN <= n; i += VLEN) vmax = v_max(vmax, v_load(x + i));
    if (i < n) vmax = v_max(vmax, v_load_part_or(x + i, n - i, -INFINITY));
    float max = v_reduce_max(vmax);
    vfloat mv = v_set1(max);
    for (i = 0; i + VLEN <= n; i += VLEN) {
        vfloat e = v_exp(v_sub(v_load(x + i), mv));
        v_store(x + i, e);
        sum = v_add(sum, e);
    }
    if (i < n) {   /* the -inf padding becomes exp(-inf) = 0 */
        vfloat e = v_exp(v_sub(v_load_part_or(x + i, n - i, -INFINITY), mv));
        v_store_part(x + i, e, n - i);
        sum = v_add(sum, e);
    }
    float total = v_reduce_add(sum);
    vfloat inv = v_set1(1.0f / total);
    for (i = 0; i + VLEN <= n; i += VLEN) v_store(x + i, v_mul(v_load(x + i), inv));
    if (i < n) v_store_part(x + i, v_mul(v_load_part(x + i, n - i), inv), n - i);
    *max_out = max;
    return total;
}

static float simd_softmax(float *x, int n)
{
    float max, total = softmax_in_place(x, n, &max);
    return max + logf(total);
}

/* ---- LayerNorm (scalar.c: layernorm_forward, layernorm_backward) ------- */

/* The same two-float mean as scalar.c (mean_correction there): mu from the
 * sum, lo = Σ(x - mu) / d, centring as (x - mu) - lo. Full vectors run in
 * lanes and the last d mod VLEN elements in a scalar loop, so no lane ever
 * holds padding: nothing is computed from values that are not in the row. */
static float simd_mean_correction(const float *x, int d, float mu)
{
    vfloat acc = v_zero(), mv = v_set1(mu);
    int i;
    for (i = 0; i + VLEN <= d; i += VLEN) acc = v_add(acc, v_sub(v_load(x + i), mv));
    float lo = v_reduce_add(acc);
    for (; i < d; i++) lo += x[i] - mu;
    lo /= d;
    return isfinite(lo) ? lo : 0.0f;
}

static void simd_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                   const float *weight, const float *bias, int N, int d)
{
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * d;
        float *y = out + (size_t)r * d;
        vfloat sum = v_zero(), var = v_zero();
        int i;
        for (i = 0; i + VLEN <= d; i += VLEN) sum = v_add(sum, v_load(x + i));
        float total = v_reduce_add(sum);
        for (int j = i; j < d; j++) total += x[j];
        float mu = total / d, lo = simd_mean_correction(x, d, mu);
        vfloat mv = v_set1(mu), lov = v_set1(lo);
        for (i = 0; i + VLEN <= d; i += VLEN) {
            vfloat c = v_sub(v_sub(v_load(x + i), mv), lov);
            var = v_fma(c, c, var);
        }
        float var_total = v_reduce_add(var);
        for (int j = i; j < d; j++) {
            float c = (x[j] - mu) - lo;
            var_total += c * c;
        }
        float s = 1.0f / sqrtf(var_total / d + LAYERNORM_EPS);
        vfloat sv = v_set1(s);
        for (i = 0; i + VLEN <= d; i += VLEN)
            v_store(y + i, v_fma(v_mul(v_sub(v_sub(v_load(x + i), mv), lov), sv), v_load(weight + i),
                                 v_load(bias + i)));
        for (; i < d; i++) y[i] = ((x[i] - mu) - lo) * s * weight[i] + bias[i];
        mean[r] = mu;
        rstd[r] = s;
    }
}

static void simd_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *weight, const float *mean,
                                    const float *rstd, int N, int d)
{
    for (int r = 0; r < N; r++) {
        const float *x = inp + (size_t)r * d, *g = dout + (size_t)r * d;
        float *dx = dinp + (size_t)r * d;
        float mu = mean[r], s = rstd[r], lo = simd_mean_correction(x, d, mu);
        vfloat mv = v_set1(mu), lov = v_set1(lo), sv = v_set1(s);
        vfloat dn_sum = v_zero(), dn_n_sum = v_zero();
        int i;
        for (i = 0; i + VLEN <= d; i += VLEN) {
            vfloat gv = v_load(g + i);
            vfloat nv = v_mul(v_sub(v_sub(v_load(x + i), mv), lov), sv), dn = v_mul(gv, v_load(weight + i));
            dn_sum = v_add(dn_sum, dn);
            dn_n_sum = v_fma(dn, nv, dn_n_sum);
            v_store(dweight + i, v_fma(gv, nv, v_load(dweight + i)));
            v_store(dbias + i, v_add(v_load(dbias + i), gv));
        }
        float dn_total = v_reduce_add(dn_sum), dn_n_total = v_reduce_add(dn_n_sum);
        for (int j = i; j < d; j++) {
            float n = ((x[j] - mu) - lo) * s, dn = g[j] * weight[j];
            dn_total += dn;
            dn_n_total += dn * n;
            dweight[j] += g[j] * n;
            dbias[j] += g[j];
        }
        float dn_mean = dn_total / d, dn_n_mean = dn_n_total / d;
        vfloat dn_mean_v = v_set1(dn_mean), dn_n_mean_v = v_set1(dn_n_mean);
        for (i = 0; i + VLEN <= d; i += VLEN) {
            vfloat nv = v_mul(v_sub(v_sub(v_load(x + i), mv), lov), sv);
            vfloat term = v_sub(v_sub(v_mul(v_load(g + i), v_load(weight + i)), dn_mean_v),
                                v_mul(nv, dn_n_mean_v));
            v_store(dx + i, v_fma(sv, term, v_load(dx + i)));
        }
        for (; i < d; i++) {
            float n = ((x[i] - mu) - lo) * s, dn = g[i] * weight[i];
            dx[i] += s * (dn - dn_mean - n * dn_n_mean);
        }
    }
}

/* ---- one attention head (scalar.c: attention_forward, _backward, _row) - */

/* dst [rows_to][Tp] with dst[i][s] = src[s*stride + i] for s < T, 0 after. */
static void transpose_head(float *dst, const float *src, int T, int dh, int stride, int Tp)
{
    for (int i = 0; i < dh; i++) {
        float *row = dst + (size_t)i * Tp;
        for (int s = 0; s < T; s++) row[s] = src[(size_t)s * stride + i];
        for (int s = T; s < Tp; s++) row[s] = 0.0f;
    }
}

/* Rows t0 .. t0+rb-1 of probs [T,T]: row t becomes the softmax of its first
 * t+1 numbers, zeros after — simd_softmax without the log-normaliser, and
 * phase by phase across the rows of the block (all maxima, then all
 * exponentials, then all scalings), so that the horizontal reductions of
 * different rows overlap instead of waiting for each other. */
static void causal_softmax_rows(float *probs, int T, int t0, int rb)
{
    float max[RB], inv[RB];
    for (int r = 0; r < rb; r++) {
        const float *p = probs + (size_t)(t0 + r) * T;
        int n = t0 + r + 1, s;
        vfloat vmax = v_set1(-INFINITY);
        for (s = 0; s + VLEN <= n; s += VLEN) vmax = v_max(vmax, v_load(p + s));
        if (s < n) vmax = v_max(vmax, v_load_part_or(p + s, n - s, -INFINITY));
        max[r] = v_reduce_max(vmax);
    }
    for (int r = 0; r < rb; r++) {
        float *p = probs + (size_t)(t0 + r) * T;
        int n = t0 + r + 1, s;
        vfloat mv = v_set1(max[r]), sum = v_zero();
        for (s = 0; s + VLEN <= n; s += VLEN) {
            vfloat e = v_exp(v_sub(v_load(p + s), mv));
            v_store(p + s, e);
            sum = v_add(sum, e);
        }
        if (s < n) {   /* the -inf padding becomes exp(-inf) = 0 */
            vfloat e = v_exp(v_sub(v_load_part_or(p + s, n - s, -INFINITY), mv));
            v_store_part(p + s, e, n - s);
            sum = v_add(sum, e);
        }
        inv[r] = v_reduce_add(sum);
    }
    for (int r = 0; r < rb; r++) {
        float *p = probs + (size_t)(t0 + r) * T;
        int n = t0 + r + 1, s;
        vfloat iv = v_set1(1.0f / inv[r]);
        for (s = 0; s + VLEN <= n; s += VLEN) v_store(p + s, v_mul(v_load(p + s), iv));
        if (s < n) {       /* the last partial vector, then zeros to the end */
            int m = T - s < VLEN ? T - s : VLEN;
            v_store_part(p + s, v_mul(v_load_part(p + s, n - s), iv), m);
            s += VLEN;
        }
        for (; s < T; s += VLEN) {
            if (T - s >= VLEN) v_store(p + s, v_zero());
            else v_store_part(p + s, v_zero(), T - s);
        }
    }
}

/* out[t0+r, j*VLEN..] = scale * Σ_i a[(t0+r)*a_stride + i] bt[i][j*VLEN..] for
 * r < rb (a block of RB rows; rows past rb repeat the last valid row and are
 * not stored), vectors j <= (t0+rb-1)/VLEN (the causal part), out rows ldo
 * apart and at most width wide. */
static void scores_block(float *out, long ldo, int width, const float *a, int a_stride,
                         const float *bt, int Tp, int dh, int t0, int rb, float scale)
{
    const float *row[RB];
    for (int r = 0; r < RB; r++) row[r] = a + (size_t)(t0 + (r < rb ? r : rb - 1)) * a_stride;
    vfloat sv = v_set1(scale);
    for (int j = 0; j * VLEN <= t0 + rb - 1; j++) {
        vfloat acc[RB];
        #pragma GCC unroll 16
        for (int r = 0; r < RB; r++) acc[r] = v_zero();
        for (int i = 0; i < dh; i++) {
            vfloat kv = v_load(bt + (size_t)i * Tp + j * VLEN);
            #pragma GCC unroll 16
            for (int r = 0; r < RB; r++) acc[r] = v_fma(v_set1(row[r][i]), kv, acc[r]);
        }
        int n = width - j * VLEN < VLEN ? width - j * VLEN : VLEN;
        #pragma GCC unroll 16
        for (int r = 0; r < RB; r++) {     /* unrolled, so that acc stays in registers */
            float *dst = out + (size_t)(t0 + r) * ldo + j * VLEN;
            if (r >= rb) continue;
            if (n == VLEN) v_store(dst, v_mul(acc[r], sv));
            else v_store_part(dst, v_mul(acc[r], sv), n);
        }
    }
}

/* c[(m0+r)*c_stride + 0:dh] (+)= Σ_{k in [k_begin,k_end)} w(r,k) b[k*b_stride + 0:dh]
 * for r < rb, with w(r,k) = w[(m0+r)*w_row + k*w_col] (rows past rb repeat
 * the last valid one and are not stored). accumulate: start from c, else 0. */
static void weighted_rows(float *c, int c_stride, const float *w, long w_row, long w_col,
                          const float *b, int b_stride, int m0, int rb, int k_begin, int k_end,
                          int dh, int accumulate)
{
    const float *wr[RB];
    for (int r = 0; r < RB; r++) wr[r] = w + (m0 + (r < rb ? r : rb - 1)) * w_row;
    for (int i = 0; i < dh; i += VLEN) {
        int n = dh - i < VLEN ? dh - i : VLEN;
        vfloat acc[RB];
        #pragma GCC unroll 16
        for (int r = 0; r < RB; r++) {
            const float *src = c + (size_t)(m0 + (r < rb ? r : rb - 1)) * c_stride + i;
            acc[r] = !accumulate ? v_zero() : n == VLEN ? v_load(src) : v_load_part(src, n);
        }
        for (int k = k_begin; k < k_end; k++) {
            const float *src = b + (size_t)k * b_stride + i;
            vfloat bv = n == VLEN ? v_load(src) : v_load_part(src, n);
            #pragma GCC unroll 16
            for (int r = 0; r < RB; r++) acc[r] = v_fma(v_set1(wr[r][k * w_col]), bv, acc[r]);
        }
        #pragma GCC unroll 16
        for (int r = 0; r < RB; r++) {     /* unrolled, so that acc stays in registers */
            float *dst = c + (size_t)(m0 + r) * c_stride + i;
            if (r >= rb) continue;
            if (n == VLEN) v_store(dst, acc[r]);
            else v_store_part(dst, acc[r], n);
        }
    }
}

static void simd_attention_forward(float *out, float *probs, const float *q, const float *k,
                                   const float *v, int T, int dh, int stride, int out_stride)
{
    int Tp = (T + 15) / 16 * 16;
    float *kt = row_scratch((size_t)dh * Tp);
    if (!kt) {
        kernels_scalar.attention_forward(out, probs, q, k, v, T, dh, stride, out_stride);
        return;
    }
    float scale = 1.0f / sqrtf((float)dh);
    transpose_head(kt, k, T, dh, stride, Tp);
    for (int t0 = 0; t0 < T; t0 += RB) {
        int rb = T - t0 < RB ? T - t0 : RB;
        scores_block(probs, T, T, q, stride, kt, Tp, dh, t0, rb, scale);
        causal_softmax_rows(probs, T, t0, rb);
        /* p[t][s] = 0 for s > t, so the block can run s up to its last row */
        weighted_rows(out, out_stride, probs, T, 1, v, stride, t0, rb, 0, t0 + rb, dh, 0);
    }
}

static void simd_attention_backward(float *dq, float *dk, float *dv, float *scratch,
                                    const float *dout, const float *q, const float *k,
                                    const float *v, const float *probs,
                                    int T, int dh, int stride, int dout_stride)
{
    int Tp = (T + 15) / 16 * 16;
    float *vt = row_scratch((size_t)dh * Tp + (size_t)T * Tp), *ds = vt + (size_t)dh * Tp;
    if (!vt) {
        kernels_scalar.attention_backward(dq, dk, dv, scratch, dout, q, k, v, probs,
                                          T, dh, stride, dout_stride);
        return;
    }
    float scale = 1.0f / sqrtf((float)dh);
    transpose_head(vt, v, T, dh, stride, Tp);
    /* dp[t][s] = dout_t · v_s, then in place
     * dscore[t][s] = p[t][s] (dp[t][s] - Σ_j p[t][j] dp[t][j]) scale, 0 for s > t */
    for (int t0 = 0; t0 < T; t0 += RB) {
        int rb = T - t0 < RB ? T - t0 : RB;
        scores_block(ds, Tp, Tp, dout, dout_stride, vt, Tp, dh, t0, rb, 1.0f);
        for (int t = t0; t < t0 + rb; t++) {
            const float *p = probs + (size_t)t * T;
            float *row = ds + (size_t)t * Tp;
            vfloat acc = v_zero();
            int s, n = t + 1;
            for (s = 0; s + VLEN <= n; s += VLEN) acc = v_fma(v_load(p + s), v_load(row + s), acc);
            if (s < n) acc = v_fma(v_load_part(p + s, n - s), v_load_part(row + s, n - s), acc);
            vfloat wv = v_set1(v_reduce_add(acc)), sv = v_set1(scale);
            for (s = 0; s + VLEN <= n; s += VLEN)
                v_store(row + s, v_mul(v_mul(v_load(p + s), v_sub(v_load(row + s), wv)), sv));
            if (s < n) {   /* p is 0 past n, so the padded lanes store zeros */
                v_store(row + s, v_mul(v_mul(v_load_part(p + s, n - s),
                                             v_sub(v_load_part(row + s, n - s), wv)), sv));
                s += VLEN;
            }
            for (; s < Tp; s += VLEN) v_store(row + s, v_zero());
        }
    }
    for (int t0 = 0; t0 < T; t0 += RB) {
        int rb = T - t0 < RB ? T - t0 : RB;
        /* dq_t += Σ_{s<=t} dscore[t][s] k_s */
        weighted_rows(dq, stride, ds, Tp, 1, k, stride, t0, rb, 0, t0 + rb, dh, 1);
        /* dk_s += Σ_{t>=s} dscore[t][s] q_t,   dv_s += Σ_{t>=s} p[t][s] dout_t */
        weighted_rows(dk, stride, ds, 1, Tp, q, stride, t0, rb, t0, T, dh, 1);
        weighted_rows(dv, stride, probs, 1, T, dout, dout_stride, t0, rb, t0, T, dh, 1);
    }
}

static void simd_attention_row(float *out, float *scores, const float *q, const float *keys,
                               const float *values, int n_keys, int dh, int stride)
{
    float scale = 1.0f / sqrtf((float)dh);
    int s = 0;
    /* four keys at a time: four independent chains (each key's own chain
     * is the one it has alone, so the scores do not change) */
    for (; s + 4 <= n_keys; s += 4) {
        const float *k0 = keys + (size_t)s * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
        vfloat a0 = v_zero(), a1 = v_zero(), a2 = v_zero(), a3 = v_zero();
        int i;
        for (i = 0; i + VLEN <= dh; i += VLEN) {
            vfloat qv = v_load(q + i);
            a0 = v_fma(qv, v_load(k0 + i), a0);
            a1 = v_fma(qv, v_load(k1 + i), a1);
            a2 = v_fma(qv, v_load(k2 + i), a2);
            a3 = v_fma(qv, v_load(k3 + i), a3);
        }
        if (i < dh) {
            int n = dh - i;
            vfloat qv = v_load_part(q + i, n);
            a0 = v_fma(qv, v_load_part(k0 + i, n), a0);
            a1 = v_fma(qv, v_load_part(k1 + i, n), a1);
            a2 = v_fma(qv, v_load_part(k2 + i, n), a2);
            a3 = v_fma(qv, v_load_part(k3 + i, n), a3);
        }
        scores[s] = v_reduce_add(a0) * scale;
        scores[s + 1] = v_reduce_add(a1) * scale;
        scores[s + 2] = v_reduce_add(a2) * scale;
        scores[s + 3] = v_reduce_add(a3) * scale;
    }
    for (; s < n_keys; s++) {
        const float *ks = keys + (size_t)s * stride;
        vfloat acc = v_zero();
        int i;
        for (i = 0; i + VLEN <= dh; i += VLEN) acc = v_fma(v_load(q + i), v_load(ks + i), acc);
        if (i < dh) acc = v_fma(v_load_part(q + i, dh - i), v_load_part(ks + i, dh - i), acc);
        scores[s] = v_reduce_add(acc) * scale;
    }
    float max;
    softmax_in_place(scores, n_keys, &max);
    for (int i = 0; i < dh; i += VLEN) {
        int n = dh - i < VLEN ? dh - i : VLEN;
        vfloat acc0 = v_zero(), acc1 = v_zero();
        s = 0;
        for (; s + 2 <= n_keys; s += 2) {
            const float *v0 = values + (size_t)s * stride + i, *v1 = v0 + stride;
            acc0 = v_fma(v_set1(scores[s]), n == VLEN ? v_load(v0) : v_load_part(v0, n), acc0);
            acc1 = v_fma(v_set1(scores[s + 1]), n == VLEN ? v_load(v1) : v_load_part(v1, n), acc1);
        }
        if (s < n_keys) {
            const float *v0 = values + (size_t)s * stride + i;
            acc0 = v_fma(v_set1(scores[s]), n == VLEN ? v_load(v0) : v_load_part(v0, n), acc0);
        }
        if (n == VLEN) v_store(out + i, v_add(acc0, acc1));
        else v_store_part(out + i, v_add(acc0, acc1), n);
    }
}

/* This thread's scratch, from both files, back to the allocator. */
static void simd_release_scratch(void)
{
    free(row_scratch_buffer);
    row_scratch_buffer = NULL;
    row_scratch_capacity = 0;
    free(pack_scratch);
    pack_scratch = NULL;
}

/* The table an ISA file exports: every entry is the generic code above,
 * compiled for that file's vector primitives. */
#define SIMD_KERNEL_TABLE(symbol, isa_name)                   \
    const Kernels symbol = {                                  \
        .name = isa_name,                                     \
        .matmul_forward = simd_matmul_forward,                \
        .matvec_forward = matvec_forward,                     \
        .matmul_backward_input = simd_matmul_backward_input,  \
        .matmul_backward_weight = simd_matmul_backward_weight,\
        .packed_floats = simd_packed_floats,                  \
        .pack_weight = simd_pack_weight,                      \
        .matmul_forward_packed = simd_matmul_forward_packed,  \
        .gelu_forward = simd_gelu_forward,                    \
        .swiglu_forward = simd_swiglu_forward,                \
        .softmax = simd_softmax,                              \
        .layernorm_forward = simd_layernorm_forward,          \
        .layernorm_backward = simd_layernorm_backward,        \
        .attention_forward = simd_attention_forward,          \
        .attention_backward = simd_attention_backward,        \
        .attention_row = simd_attention_row,                  \
        .adam_update = simd_adam_update,                      \
        .sum_squares = simd_sum_squares,                      \
        .fma_loop = simd_fma_loop,                            \
        .release_scratch = simd_release_scratch,              \
    }
