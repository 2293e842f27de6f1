/*
 * layers.h — every layer of the model as a forward/backward pair of plain
 * functions over flat float arrays (the discipline of llm.c's train_gpt2.c).
 *
 * Shapes: B batch, T (padded) sequence length, N = B*T rows, d width,
 * h heads of dh = d/h dims, H hidden width, V vocabulary.
 * Backward functions ADD into their gradient outputs (+=), so the caller
 * zeroes gradients once per step and residual branches simply accumulate.
 * The linear layers are tensor.h's matmul_forward/matmul_backward.
 * docs/ has one chapter per layer with the derivations in full.
 */
#ifndef RUSTGPT_LAYERS_H
#define RUSTGPT_LAYERS_H

#include <stddef.h>

/* embedding.c — out[b,t,:] = tok_emb[ids[b,t],:] + pos_emb[t,:] */
void embedding_forward(float *out, const int *ids, const float *tok_emb,
                       const float *pos_emb, int B, int T, int d);
void embedding_backward(float *dtok_emb, float *dpos_emb, const float *dout,
                        const int *ids, int B, int T, int d);

/* layernorm.c — out = (x - mean) * rstd * weight + bias, per row of d */
#define LAYERNORM_EPS 1e-5f
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int d);
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int d);

/* attention.c — causal multi-head self-attention over qkv [B,T,3d] */
void attention_forward(float *out, float *att_probs, const float *qkv,
                       int B, int T, int d, int n_heads);
void attention_backward(float *dqkv, float *d_probs, const float *dout,
                        const float *qkv, const float *att_probs,
                        int B, int T, int d, int n_heads);
/* One query row against a cache of n_keys keys and values (generation):
 * q [d], keys/values [n_keys, d] with row stride `stride`, out [d],
 * scratch [n_keys]. The same math as attention_forward's row t = n_keys-1. */
void attention_decode_row(float *out, float *scratch, const float *q, const float *keys,
                          const float *values, int n_keys, int stride, int d, int n_heads);

/* ffn.c — the nonlinearity between fc1 and fc2 */
void relu_forward(float *out, const float *inp, size_t n);
void relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
/* gelu.c — GPT-2's nonlinearity, the tanh approximation */
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);

/* head.c — softmax and cross-entropy over logits [N,V] */
float crossentropy_forward(float *probs, const float *logits, const int *targets,
                           int N, int V, int *n_targets);
void crossentropy_backward(float *dlogits, const float *probs, const int *targets,
                           int N, int V, float scale);
void softmax_row(float *x, int n);

#endif
