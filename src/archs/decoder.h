/*
 * decoder.h — the decoder-only transformers of GGUF files (llama, qwen2,
 * gpt2): their hyper-parameters, their weights used in place in the mapped
 * file, and the batched forward pass with one KV cache per sequence.
 *
 * One block, for the two families (docs/15-llama-block.md):
 *
 *   llama / qwen2                          gpt2
 *   h = rmsnorm(x) * attn_norm             h = layernorm(x) * w + b
 *   q, k, v = h Wqᵀ, h Wkᵀ, h Wvᵀ (+b)      q|k|v = h Wqkvᵀ + b
 *   q, k = rope(q, pos), rope(k, pos)       (positions were added to x)
 *   x += attention(q, K, V) Woᵀ             x += attention(q, K, V) Woᵀ + b
 *   h = rmsnorm(x) * ffn_norm               h = layernorm(x) * w + b
 *   x += (silu(h Wgᵀ) ⊙ h Wuᵀ) Wdᵀ          x += gelu(h Wuᵀ + b) Wdᵀ + b
 *
 * then logits = norm(x) Woutᵀ. Attention is grouped-query: n_head query
 * heads share n_head_kv key/value heads (n_head / n_head_kv queries per
 * group; n_head_kv = 1 is multi-query, = n_head is plain multi-head).
 *
 * Matrices stay in the file's type (F32, F16, Q8_0, Q4_K, ...) and every
 * product goes through core/quant.h (quant_matvec / quant_matmul), which
 * reads the blocks in place. Only the small vectors (norm weights, biases)
 * are converted to float once at load.
 *
 * Shapes: B tokens in one step, d = d_model, hd = head_dim,
 * q_dim = n_head*hd, kv_dim = n_head_kv*hd, ff = d_ff, V = n_vocab.
 */
#ifndef RUSTGPT_DECODER_H
#define RUSTGPT_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "rustgpt/plugin.h"

/* The largest number of tokens one forward step handles; rg_decode splits
 * bigger batches into steps of this many (the scratch is sized for it). */
#define DECODER_MAX_BATCH 512
/* A context's default length when the model allows more (the KV cache of a
 * 128k-token model would not fit in memory for nothing). */
#define DECODER_DEFAULT_CTX 4096

typedef enum { DECODER_LLAMA, DECODER_QWEN2, DECODER_GPT2 } decoder_variant;

/* A matrix [rows, cols] (rows = output features) in its file type, with an
 * optional float bias [rows]. */
typedef struct {
    rg_type type;
    const void *data;
    int64_t rows, cols;
    const float *bias;
} decoder_linear;

typedef struct {
    const float *attn_norm_w, *attn_norm_b;   /* [d] (b: gpt2 only)              */
    decoder_linear wq, wk, wv;                /* llama: [q_dim,d], [kv_dim,d] x2 */
    decoder_linear wqkv;                      /* gpt2: [q_dim + 2 kv_dim, d]     */
    decoder_linear wo;                        /* [d, q_dim]                      */
    const float *ffn_norm_w, *ffn_norm_b;     /* [d]                             */
    decoder_linear gate, up, down;            /* [ff,d], [ff,d], [d,ff]          */
} decoder_layer;

typedef struct {
    decoder_variant variant;
    int32_t n_vocab, n_ctx_train, d_model, n_layers, n_head, n_head_kv;
    int32_t head_dim, d_ff;
    float norm_eps;                /* RMSNorm or LayerNorm epsilon              */
    /* Rotary embeddings (llama, qwen2): the first n_rot dims of each head
     * turn by pos * freq_scale * base^(-2i/n_rot) / rope_freqs[i]. neox: pairs
     * are (i, i + n_rot/2) instead of (2i, 2i+1). */
    int32_t n_rot;
    int rope_neox;
    float rope_base, rope_freq_scale;
    const float *rope_freqs;       /* [n_rot/2] or NULL                         */
    decoder_linear tok_embd;       /* [V, d]: row id is token id's vector       */
    decoder_linear pos_embd;       /* gpt2: [n_ctx_train, d]                    */
    const float *out_norm_w, *out_norm_b;
    decoder_linear output;         /* [V, d], possibly tok_embd itself (tied)   */
    decoder_layer *layers;
    float **owned;                 /* the float vectors converted at load       */
    int n_owned;
    uint64_t n_params;
} decoder_model;

/* ---- building (decoder.c) -------------------------------------------------- */

/* Fill the sizes common to every variant from "<arch>.*" keys, as llama.cpp
 * reads them. Returns -1 after fail() naming the missing or bad key. */
int decoder_read_hparams(decoder_model *m, const rg_source *src, const char *arch);
/* A matrix named name ("blk.3.attn_q.weight") that must be [rows, cols]
 * (bias_name may be NULL; optional says a missing tensor is no error and
 * leaves out->data NULL). */
int decoder_get_linear(decoder_model *m, const rg_source *src, decoder_linear *out,
                       const char *name, const char *bias_name, int64_t rows, int64_t cols,
                       int optional);
/* A float vector [n] converted from the tensor name (NULL data if optional
 * and absent). */
int decoder_get_vector(decoder_model *m, const rg_source *src, const float **out,
                       const char *name, int64_t n, int optional);
void decoder_model_free(decoder_model *m);
/* rg_model_info's numeric fields. */
void decoder_fill_info(const decoder_model *m, rg_model_info *info);

/* ---- running (decoder_run.c) -------------------------------------------- */

/* The vtable entries shared by every variant (ctx_state is a decoder_ctx). */
rg_status decoder_context_new(const void *model_state, const rg_context_options *opt,
                              void **ctx_state);
void decoder_context_free(void *ctx_state);
void decoder_context_reset(void *ctx_state, int32_t seq);
int32_t decoder_context_n_tokens(const void *ctx_state, int32_t seq);
rg_status decoder_decode(const void *model_state, void *ctx_state, int32_t n,
                         const int32_t *tokens, const int32_t *seq_ids,
                         const uint8_t *want_logits, float *logits);
rg_status decoder_hidden(const void *model_state, void *ctx_state, int32_t n,
                         const int32_t *tokens, float *out);
void decoder_destroy(void *model_state);

/* ---- the math of one row (decoder_ops.c), exposed for tests and docs ------ */

/* out[d] = x / sqrt(mean(x²) + eps) * w */
void rmsnorm_row(float *out, const float *x, const float *w, int d, float eps);
/* out[d] = (x - mean) / sqrt(var + eps) * w + b */
void layernorm_row(float *out, const float *x, const float *w, const float *b, int d, float eps);
/* Rotate the first n_rot dims of one head vector v[head_dim] for position pos. */
void rope_apply(float *v, int32_t n_rot, int neox, int32_t pos, float base, float freq_scale,
                const float *freq_factors);
/* x[n] = silu(x) * y = x / (1 + e^-x) * y */
void swiglu(float *x, const float *y, int64_t n);

/* The architectures (llama.c, gpt2.c), for the registry. */
extern const rg_arch_vtable llama_arch, qwen2_arch, gpt2_arch;

/* The vtable of a decoder architecture: its name and create function; the
 * rest is the shared machinery above. */
#define DECODER_ARCH_VTABLE(arch_name, create_fn) {                                    \
        .abi_version = RG_ABI_VERSION, .name = (arch_name), .version = 1,            \
        .create = (create_fn), .destroy = decoder_destroy,                            \
        .context_new = decoder_context_new, .context_free = decoder_context_free,    \
        .context_reset = decoder_context_reset,                                       \
        .context_n_tokens = decoder_context_n_tokens,                                 \
        .decode = decoder_decode, .hidden = decoder_hidden,                           \
    }

#endif
