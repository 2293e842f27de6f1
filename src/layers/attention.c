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
#include "layers.h"

#include <math.h>

/* out [B,T,d], att_probs [B,h,T,T], qkv [B,T,3d] */
void attention_forward(float *out, float *att_probs, const float *qkv,
                       int B, int T, int d, int n_heads)
{
    int dh = d / n_heads;
    float scale = 1.0f / sqrtf((float)dh);
    #pragma omp parallel for collapse(2) schedule(static) if (B * n_heads >= 2 && T >= 8)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < n_heads; h++) {
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * d + h * dh;
                float *p = att_probs + (((size_t)b * n_heads + h) * T + t) * T;
                for (int s = 0; s <= t; s++) {
                    const float *k = qkv + ((size_t)b * T + s) * 3 * d + d + h * dh;
                    float dot = 0.0f;
                    for (int i = 0; i < dh; i++) dot += q[i] * k[i];
                    p[s] = dot * scale;
                }
                softmax_row(p, t + 1);
                for (int s = t + 1; s < T; s++) p[s] = 0.0f;

                float *o = out + ((size_t)b * T + t) * d + h * dh;
                for (int i = 0; i < dh; i++) o[i] = 0.0f;
                for (int s = 0; s <= t; s++) {
                    const float *v = qkv + ((size_t)b * T + s) * 3 * d + 2 * d + h * dh;
                    for (int i = 0; i < dh; i++) o[i] += p[s] * v[i];
                }
            }
        }
    }
}

/* Backward, for one head and position t, given dout_t = dL/dout_t:
 *   dp[s]     = dout_t · v_s,            dv_s += p[s] dout_t
 *   dscore[s] = p[s] (dp[s] - Σ_j p[j] dp[j])      (the softmax Jacobian)
 *   dq_t     += scale Σ_s dscore[s] k_s,  dk_s += scale dscore[s] q_t
 * dqkv [B,T,3d] accumulates; d_probs [B,h,T] is scratch, one row per (b, h).
 * Keys and values of one (b, h) are written by several t, so the loop runs
 * (b, h) pairs in parallel (each owns its head's dims) and t serially. */
void attention_backward(float *dqkv, float *d_probs, const float *dout,
                        const float *qkv, const float *att_probs,
                        int B, int T, int d, int n_heads)
{
    int dh = d / n_heads;
    float scale = 1.0f / sqrtf((float)dh);
    #pragma omp parallel for collapse(2) schedule(static) if (B * n_heads >= 2 && T >= 8)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < n_heads; h++) {
            float *dp = d_probs + ((size_t)b * n_heads + h) * T;
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * d + h * dh;
                float *dq = dqkv + ((size_t)b * T + t) * 3 * d + h * dh;
                const float *p = att_probs + (((size_t)b * n_heads + h) * T + t) * T;
                const float *g = dout + ((size_t)b * T + t) * d + h * dh;

                float weighted = 0.0f;            /* Σ_j p[j] dp[j] */
                for (int s = 0; s <= t; s++) {
                    const float *v = qkv + ((size_t)b * T + s) * 3 * d + 2 * d + h * dh;
                    float *dv = dqkv + ((size_t)b * T + s) * 3 * d + 2 * d + h * dh;
                    float dot = 0.0f;
                    for (int i = 0; i < dh; i++) {
                        dot += g[i] * v[i];
                        dv[i] += p[s] * g[i];
                    }
                    dp[s] = dot;
                    weighted += p[s] * dot;
                }
                for (int s = 0; s <= t; s++) {
                    float dscore = p[s] * (dp[s] - weighted) * scale;
                    const float *k = qkv + ((size_t)b * T + s) * 3 * d + d + h * dh;
                    float *dk = dqkv + ((size_t)b * T + s) * 3 * d + d + h * dh;
                    for (int i = 0; i < dh; i++) {
                        dq[i] += dscore * k[i];
                        dk[i] += dscore * q[i];
                    }
                }
            }
        }
    }
}

/* Generation's single row: the query of the newest position against every
 * cached key and value (which include its own). */
void attention_decode_row(float *out, float *scratch, const float *q, const float *keys,
                          const float *values, int n_keys, int stride, int d, int n_heads)
{
    int dh = d / n_heads;
    float scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < n_heads; h++) {
        const float *qh = q + h * dh;
        for (int s = 0; s < n_keys; s++) {
            const float *k = keys + (size_t)s * stride + h * dh;
            float dot = 0.0f;
            for (int i = 0; i < dh; i++) dot += qh[i] * k[i];
            scratch[s] = dot * scale;
        }
        softmax_row(scratch, n_keys);
        float *o = out + h * dh;
        for (int i = 0; i < dh; i++) o[i] = 0.0f;
        for (int s = 0; s < n_keys; s++) {
            const float *v = values + (size_t)s * stride + h * dh;
            for (int i = 0; i < dh; i++) o[i] += scratch[s] * v[i];
        }
    }
}
