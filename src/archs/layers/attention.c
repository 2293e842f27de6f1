/*
 * layers/attention.c — causal multi-head self-attention (docs/04-attention.md).
 *
 * The qkv linear layer has already produced, for every position, a query, a
 * key and a value of width d side by side: qkv[b,t,:] = [ q | k | v ]. Head j
 * owns dims j*dh .. (j+1)*dh of each. For one head and one position t:
 *
 *   score[s] = (q_t · k_s) / sqrt(dh)        for s <= t (causal: no peeking)
 *   p        = softmax(score)                 a distribution over the past
 *   out_t    = Σ_s p[s] v_s                   what position t reads
 *
 * The heads' outputs are placed side by side in out[b,t,:] (width d) for the
 * output projection. Positions s > t get probability 0; storing them as 0 in
 * att_probs [B,h,T,T] keeps the picture of the masked matrix intact.
 * Right padding needs no extra mask: a real token never looks right.
 */
#include "archs/layers/layers.h"
#include "core/kernels/kernels.h"

/* out [B,T,d], att_probs [B,h,T,T], qkv [B,T,3d]
 * Each (b, head) pair is independent and writes its own slices of out and
 * att_probs, so the pairs are split across threads. The loops for one head
 * are the kernel table's attention_forward (kernels/scalar.c is the plain
 * version of the formulas above). */
void attention_forward(float *out, float *att_probs, const float *qkv,
                       int B, int T, int d, int n_heads)
{
    const Kernels *k = kernels();
    int dh = d / n_heads;
    #pragma omp parallel for collapse(2) schedule(static) num_threads(kernel_threads()) if (B * n_heads >= 2 && T >= 8)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < n_heads; h++) {
            const float *q = qkv + (size_t)b * T * 3 * d + h * dh;
            k->attention_forward(out + (size_t)b * T * d + h * dh,
                                 att_probs + ((size_t)b * n_heads + h) * T * T,
                                 q, q + d, q + 2 * d, T, dh, 3 * d, d);
        }
    }
}

/* Backward, for one head and position t, given dout_t = dL/dout_t:
 *   dp[s]     = dout_t · v_s,            dv_s += p[s] dout_t
 *   dz[s]     = p[s] (dp[s] - Σ_j p[j] dp[j])      (the softmax Jacobian)
 *   dq_t     += scale Σ_s dz[s] k_s,     dk_s += scale dz[s] q_t
 * with z[s] = scale · q_t · k_s the score (docs/04-attention.md; the kernels
 * fold the scale into their dscore = scale · dz).
 * dqkv [B,T,3d] accumulates; d_probs [B,h,T] is scratch, one row per (b, h).
 * Keys and values of one (b, h) are written by several t, so the loop runs
 * (b, h) pairs in parallel (each owns its head's dims) and t serially. */
void attention_backward(float *dqkv, float *d_probs, const float *dout,
                        const float *qkv, const float *att_probs,
                        int B, int T, int d, int n_heads)
{
    const Kernels *k = kernels();
    int dh = d / n_heads;
    #pragma omp parallel for collapse(2) schedule(static) num_threads(kernel_threads()) if (B * n_heads >= 2 && T >= 8)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < n_heads; h++) {
            size_t at = (size_t)b * T * 3 * d + h * dh;
            const float *q = qkv + at;
            float *dq = dqkv + at;
            k->attention_backward(dq, dq + d, dq + 2 * d, d_probs + ((size_t)b * n_heads + h) * T,
                                  dout + (size_t)b * T * d + h * dh, q, q + d, q + 2 * d,
                                  att_probs + ((size_t)b * n_heads + h) * T * T, T, dh, 3 * d, d);
        }
    }
}

/* Generation's single row: the query of the newest position against every
 * cached key and value (which include its own), head by head. */
void attention_decode_row(float *out, float *scratch, const float *q, const float *keys,
                          const float *values, int n_keys, int stride, int d, int n_heads)
{
    const Kernels *k = kernels();
    int dh = d / n_heads;
    for (int h = 0; h < n_heads; h++)
        k->attention_row(out + h * dh, scratch, q + h * dh, keys + h * dh, values + h * dh,
                         n_keys, dh, stride);
}
