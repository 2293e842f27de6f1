/*
 * bert_model.h — the BERT encoder's three structs, shared by its loader
 * (bert.c: the file's tensors and keys → Bert) and its forward pass
 * (bert_forward.c: token ids → hidden states), as llama2.c's run.c keeps
 * config, weights and run state side by side.
 *
 * Sizes: V vocabulary, d width, h heads, H FFN width, L layers, T
 * positions; R packed tokens of a batch.
 *
 * Two architectures share them: `bert` (learned positions, GELU FFN, every
 * product with a bias) and `nomic-bert` (rotary positions on q and k, a
 * SwiGLU FFN with a gate matrix, no biases), as llama.cpp's bert graph
 * runs both.
 */
#ifndef RUSTGPT_BERT_MODEL_H
#define RUSTGPT_BERT_MODEL_H

#include "core/kernels/kernels.h"
#include "core/quant.h"
#include "rustgpt/plugin.h"

/* One weight matrix of a layer, unpacked once at load into the form its
 * products run fastest: integer tiles when the file's type has them with
 * these kernels (quant.h: QuantPacked; Q8_0, Q4_0 and Q4_K on AVX-512
 * VNNI), else floats in the order the kernel table's tile reads (kernels.h:
 * PackedWeight). */
typedef struct {
    QuantPacked tiles;             /* tiles.tiles NULL: use packed */
    PackedWeight packed;
} BertMatrix;

/* One layer's weights; the plain float matrices (NULL where the layer runs
 * on integer tiles) stay where the file or the loader put them. */
typedef struct {
    float *qkv_w, *qkv_b;          /* [3d, d], [3d]: q rows, then k, then v;
                                      NULL where the file has them fused / none */
    BertMatrix qkv, out, up, down, gate;
    const float *gate_w;           /* [H, d] nomic-bert's SwiGLU gate; else NULL */
    const float *out_w, *out_b;    /* [d, d], [d]; a bias may be NULL (none)  */
    const float *ln_attn_w, *ln_attn_b;
    const float *up_w, *up_b;      /* [H, d], [H]                            */
    const float *down_w, *down_b;  /* [d, H], [d]                            */
    const float *ln_out_w, *ln_out_b;
} BertLayer;

typedef struct {
    int32_t n_vocab, d, n_heads, d_ff, n_layers, n_ctx, n_types;
    float eps;
    int rope;                                    /* nomic-bert: rotary positions, and with them the SwiGLU FFN */
    int32_t n_rot;                               /* dims of a head they turn          */
    float rope_base;
    float *rope_cos, *rope_sin;                  /* [T, n_rot/2]: each place's angles */
    const float *tok_emb, *type_emb, *pos_emb;   /* [V,d], [n_types,d] (may be NULL), [T,d] (NULL with rope) */
    const float *ln_emb_w, *ln_emb_b;
    BertLayer *layers;
    void **owned;                                /* converted tensors to free */
    int n_owned;
} Bert;

/* The activations of one group of texts run by one thread (bert_forward.c
 * gives each thread whole texts), sized for `rows_cap` packed tokens. */
typedef struct {
    size_t rows_cap;
    float *x, *qkv, *att, *tmp, *ff, *gate;      /* [R,d] [R,3d] [R,d] [R,d] [R,H] [R,H] (gate: nomic-bert) */
    float *scores;                               /* [scores_threads, T]            */
    int scores_threads;
    int32_t *starts;                             /* [seqs_cap]: each text's first row */
    int32_t seqs_cap;
} BertScratch;

/* A context: one user of a shared Bert, one scratch per thread. */
typedef struct {
    const Bert *model;
    int32_t n_threads;                           /* 0: OpenMP's default */
    BertScratch *scratch;
    int n_scratch;
} BertContext;

/* bert_forward.c: the n_seqs texts' ids back to back (lens[s] each) →
 * hidden states out [Σ lens, d]. The vtable's hidden_batch. */
rg_status bert_hidden_batch(const void *model_state, void *ctx_state, int32_t n_seqs, const int32_t *lens,
                            const int32_t *tokens, float *out);

/* bert_forward.c: every scratch buffer of a context. */
void bert_scratch_free(BertContext *c);

#endif
