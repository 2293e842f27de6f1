/*
 * layers/embedding.c — token and position embeddings (docs/02-embeddings.md).
 *
 * The first step of the forward pass: each token id selects a learned row of
 * tok_emb and each position t a learned row of pos_emb; their sum is the
 * residual stream x that every block reads and adds to.
 */
#include "archs/layers/layers.h"

/* out [B,T,d], ids [B,T], tok_emb [V,d], pos_emb [>=T,d]
 *   out[b,t,:] = tok_emb[ids[b,t],:] + pos_emb[t,:] */
void embedding_forward(float *out, const int *ids, const float *tok_emb,
                       const float *pos_emb, int B, int T, int d)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            float *x = out + ((size_t)b * T + t) * d;
            const float *tok = tok_emb + (size_t)ids[b * T + t] * d;
            const float *pos = pos_emb + (size_t)t * d;
            for (int i = 0; i < d; i++) x[i] = tok[i] + pos[i];
        }
    }
}

/* A lookup is a matrix product with a one-hot row, so its gradient routes
 * each row of dout back to the row it came from:
 *   dtok_emb[ids[b,t],:] += dout[b,t,:]      dpos_emb[t,:] += dout[b,t,:]
 * A token seen twice collects both gradients. */
void embedding_backward(float *dtok_emb, float *dpos_emb, const float *dout,
                        const int *ids, int B, int T, int d)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float *g = dout + ((size_t)b * T + t) * d;
            float *dtok = dtok_emb + (size_t)ids[b * T + t] * d;
            float *dpos = dpos_emb + (size_t)t * d;
            for (int i = 0; i < d; i++) {
                dtok[i] += g[i];
                dpos[i] += g[i];
            }
        }
    }
}
