/*
 * model.h — the GPT of DESIGN.md §2: its configuration, its parameters and
 * the memory picture of a forward and backward pass.
 *
 *   x = tok_emb[ids] + pos_emb[0..t)
 *   for each block (pre-LayerNorm, as in GPT-2):
 *       x = x + proj( causal_multihead_attention( qkv( ln1(x) ) ) )
 *       x = x + fc2( relu( fc1( ln2(x) ) ) )
 *   logits = head( ln_f(x) ),   loss = mean cross-entropy of the next token
 *
 * Three structs make the memory obvious, as in llama2.c: ModelConfig (sizes),
 * Weights (named pointers into ONE contiguous float buffer — the parameters,
 * or their gradients, or an Adam moment, all with the same layout) and
 * Activations (everything the forward pass keeps for the backward pass).
 * docs/07-backprop.md draws the buffer layout.
 */
#ifndef RUSTGPT_MODEL_H
#define RUSTGPT_MODEL_H

#include "tokenizers/word.h"
#include "rustgpt.h"

#include <stddef.h>
#include <stdint.h>

#define MAX_LAYERS 64

typedef struct {
    int vocab_size;   /* V: tokens, specials included            */
    int d_model;      /* d: width of the residual stream          */
    int n_heads;      /* h: attention heads, dh = d / h           */
    int d_hidden;     /* H: feed-forward hidden width             */
    int n_layers;     /* L: transformer blocks                    */
    int seq_len;      /* T: longest context, positions 0..T-1     */
} ModelConfig;

/* The defaults of DESIGN.md §1 (vocab_size left 0: it comes from the data). */
ModelConfig config_default(void);

/* Check every size is positive, within sane limits, and that heads divide
 * the width. Returns -1 after fail() naming the bad field. */
int config_validate(const ModelConfig *c);

/* One block's tensors. Linear weights are [out, in] (nn.Linear). */
typedef struct {
    float *ln1_w, *ln1_b;       /* [d], [d]                                  */
    float *qkv_w, *qkv_b;       /* [3d, d], [3d]: rows Q | K | V              */
    float *proj_w, *proj_b;     /* [d, d], [d]                               */
    float *ln2_w, *ln2_b;       /* [d], [d]                                  */
    float *fc1_w, *fc1_b;       /* [H, d], [H]                               */
    float *fc2_w, *fc2_b;       /* [d, H], [d]                               */
} BlockWeights;

typedef struct {
    float *tok_emb;             /* [V, d]                                    */
    float *pos_emb;             /* [T, d]                                    */
    BlockWeights blocks[MAX_LAYERS];
    float *lnf_w, *lnf_b;       /* [d], [d]                                  */
    float *head_w, *head_b;     /* [V, d], [V]                               */
} Weights;

/* One named tensor of the buffer, as every model file format lists them. */
typedef struct {
    char name[48];              /* "blocks.0.attn.qkv.weight"                */
    int ndim;                   /* 1 or 2                                    */
    int shape[2];
    size_t offset;              /* in floats, from the start of the buffer   */
    size_t numel;
} TensorInfo;

/* Number of named tensors (4 + 12 L + 4) and the i-th one, in buffer order. */
int model_tensor_count(const ModelConfig *c);
TensorInfo model_tensor_info(const ModelConfig *c, int index);
/* Total floats in the buffer. */
size_t model_param_count(const ModelConfig *c);
/* Point every field of w into buffer (laid out as model_tensor_info says). */
void weights_map(Weights *w, const ModelConfig *c, float *buffer);

typedef struct {
    ModelConfig config;
    Vocab vocab;                /* the word tokenizer's words (when tokenizer is NULL) */
    rg_tokenizer *tokenizer;    /* any other tokenizer (owned), or NULL for vocab      */
    size_t n_params;
    float *params;              /* the one parameter buffer                  */
    Weights w;                  /* named views into params                   */
} Model;

/* Allocate a zeroed model for config c (vocab left empty). */
int model_create(Model *m, const ModelConfig *c);
/* GPT-2 style initialisation: N(0, 0.02) weights, residual projections
 * scaled by 1/sqrt(2L), zero biases, LayerNorm weight 1. */
void model_init_weights(Model *m, uint64_t seed);
void model_free(Model *m);

/* ---- training pass ----------------------------------------------------- */

/* What one block's forward pass keeps for its backward pass (N = B*T rows). */
typedef struct {
    float *ln1_out, *ln1_mean, *ln1_rstd;    /* [N,d], [N], [N]              */
    float *qkv;                              /* [N,3d]                       */
    float *att_probs;                        /* [B,h,T,T] softmax rows        */
    float *att_out;                          /* [N,d] heads side by side     */
    float *x_mid;                            /* [N,d] x after attention      */
    float *ln2_out, *ln2_mean, *ln2_rstd;    /* [N,d], [N], [N]              */
    float *fc1_out;                          /* [N,H] before ReLU            */
    float *relu_out;                         /* [N,H]                        */
    float *x_out;                            /* [N,d] block output           */
} BlockActivations;

typedef struct {
    int max_rows;                /* B*T the buffers were sized for           */
    int batch, seq;              /* shape of the current pass                */
    float *memory;               /* one allocation behind every pointer      */
    float *x_emb;                /* [N,d] embeddings                         */
    BlockActivations blocks[MAX_LAYERS];
    float *lnf_out, *lnf_mean, *lnf_rstd;     /* [N,d], [N], [N]             */
    float *probs;                /* [N,V] logits, then softmax, then dlogits */
    /* backward scratch */
    float *d_x, *d_ln, *d_att, *d_qkv, *d_hidden;  /* [N,d] [N,d] [N,d] [N,3d] [N,H] */
    float *d_probs;              /* [B,h,T] attention rows' gradient scratch  */
} Activations;

int activations_create(Activations *a, const ModelConfig *c, int max_batch);
void activations_free(Activations *a);

/* Forward pass over ids [B,T] (padded with TOKEN_PAD on the right). When
 * targets [B,T] is given, returns the mean cross-entropy over positions whose
 * target is not TOKEN_PAD and leaves softmax probabilities in a->probs;
 * otherwise leaves logits there and returns 0. *n_targets gets the count. */
float model_forward(const Model *m, Activations *a, const int *ids, const int *targets,
                    int batch, int seq, int *n_targets);

/* Backward pass of the last model_forward (which had targets): adds the
 * gradient of the mean loss to grads (a buffer laid out like params). */
void model_backward(const Model *m, Activations *a, float *grads, const int *ids,
                    const int *targets);

#endif
