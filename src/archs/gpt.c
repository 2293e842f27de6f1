/*
 * model.c — the model's parameters and its forward and backward passes
 * (docs/00-a-sentence.md runs it on one sentence; docs/07-backprop.md walks it).
 *
 * The parameter buffer is one allocation of model_param_count() floats, laid
 * out tensor after tensor in the order of model_tensor_info(), which is also
 * the order every model file lists them. The gradient buffer and the two
 * Adam moments use the same layout, so weights_map() can name any of them.
 *
 * model_forward() chains the layers of layers/ over a batch; model_backward()
 * walks the same chain in reverse, carrying d_x, the gradient of the
 * residual stream, which each sublayer adds its branch's contribution to.
 */
#include "archs/gpt.h"
#include "archs/layers/layers.h"
#include "core/tensor.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ModelConfig config_default(void)
{
    return (ModelConfig){ .vocab_size = 0, .d_model = 128, .n_heads = 8,
                          .d_hidden = 256, .n_layers = 3, .seq_len = 80 };
}

int config_validate(const ModelConfig *c)
{
    struct { const char *name; int value, min, max; } fields[] = {
        { "vocabulary size", c->vocab_size, TOKEN_N_SPECIAL, 1 << 20 },
        { "dim", c->d_model, 1, 4096 },
        { "heads", c->n_heads, 1, 4096 },
        { "hidden", c->d_hidden, 1, 16384 },
        { "layers", c->n_layers, 1, MAX_LAYERS },
        { "seq-len", c->seq_len, 2, 4096 },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].value < fields[i].min || fields[i].value > fields[i].max)
            return fail("%s %d is out of range (%d to %d)", fields[i].name, fields[i].value,
                        fields[i].min, fields[i].max);
    if (c->d_model % c->n_heads != 0)
        return fail("heads %d must divide dim %d", c->n_heads, c->d_model);
    return 0;
}

/* ---- the parameter buffer's layout ------------------------------------- */

/* Each tensor's shape in letters: 'V' vocabulary, 'T' positions, 'd' width,
 * '3' three widths (Q|K|V), 'H' hidden; 0 marks a 1-D tensor. */
typedef struct { const char *name; char rows, cols; } TensorShape;

enum { BLOCK_TENSORS = 12 };
static const TensorShape embedding_tensors[2] = {
    { "tok_emb.weight", 'V', 'd' }, { "pos_emb.weight", 'T', 'd' },
};
static const TensorShape block_tensors[BLOCK_TENSORS] = {
    { "ln1.weight", 'd', 0 },           { "ln1.bias", 'd', 0 },
    { "attn.qkv.weight", '3', 'd' },    { "attn.qkv.bias", '3', 0 },
    { "attn.proj.weight", 'd', 'd' },   { "attn.proj.bias", 'd', 0 },
    { "ln2.weight", 'd', 0 },           { "ln2.bias", 'd', 0 },
    { "ffn.fc1.weight", 'H', 'd' },     { "ffn.fc1.bias", 'H', 0 },
    { "ffn.fc2.weight", 'd', 'H' },     { "ffn.fc2.bias", 'd', 0 },
};
static const TensorShape final_tensors[4] = {
    { "ln_f.weight", 'd', 0 }, { "ln_f.bias", 'd', 0 },
    { "head.weight", 'V', 'd' }, { "head.bias", 'V', 0 },
};

int model_tensor_count(const ModelConfig *c) { return 2 + BLOCK_TENSORS * c->n_layers + 4; }

static int dim_size(const ModelConfig *c, char letter)
{
    switch (letter) {
    case 'V': return c->vocab_size;
    case 'T': return c->seq_len;
    case 'd': return c->d_model;
    case '3': return 3 * c->d_model;
    case 'H': return c->d_hidden;
    default: return 1;
    }
}

/* The i-th tensor's name and shape (offset left 0). */
static TensorInfo tensor_shape(const ModelConfig *c, int index)
{
    TensorInfo t = { .ndim = 1 };
    int n_block = BLOCK_TENSORS * c->n_layers;
    const TensorShape *s;
    if (index < 2) {
        s = &embedding_tensors[index];
        snprintf(t.name, sizeof t.name, "%s", s->name);
    } else if (index < 2 + n_block) {
        s = &block_tensors[(index - 2) % BLOCK_TENSORS];
        snprintf(t.name, sizeof t.name, "blocks.%d.%s", (index - 2) / BLOCK_TENSORS, s->name);
    } else {
        s = &final_tensors[index - 2 - n_block];
        snprintf(t.name, sizeof t.name, "%s", s->name);
    }
    t.shape[0] = dim_size(c, s->rows);
    t.shape[1] = s->cols ? dim_size(c, s->cols) : 0;
    t.ndim = s->cols ? 2 : 1;
    t.numel = (size_t)t.shape[0] * (s->cols ? (size_t)t.shape[1] : 1);
    return t;
}

TensorInfo model_tensor_info(const ModelConfig *c, int index)
{
    size_t offset = 0;
    for (int i = 0; i < index; i++) offset += tensor_shape(c, i).numel;
    TensorInfo t = tensor_shape(c, index);
    t.offset = offset;
    return t;
}

size_t model_param_count(const ModelConfig *c)
{
    size_t total = 0;
    for (int i = 0; i < model_tensor_count(c); i++) total += tensor_shape(c, i).numel;
    return total;
}

void weights_map(Weights *w, const ModelConfig *c, float *buffer)
{
    memset(w, 0, sizeof *w);
    float **slots[2 + BLOCK_TENSORS * MAX_LAYERS + 4];
    int n = 0;
    slots[n++] = &w->tok_emb;
    slots[n++] = &w->pos_emb;
    for (int l = 0; l < c->n_layers; l++) {
        BlockWeights *b = &w->blocks[l];
        float **block[BLOCK_TENSORS] = { &b->ln1_w, &b->ln1_b, &b->qkv_w, &b->qkv_b,
                                         &b->proj_w, &b->proj_b, &b->ln2_w, &b->ln2_b,
                                         &b->fc1_w, &b->fc1_b, &b->fc2_w, &b->fc2_b };
        for (int k = 0; k < BLOCK_TENSORS; k++) slots[n++] = block[k];
    }
    slots[n++] = &w->lnf_w;
    slots[n++] = &w->lnf_b;
    slots[n++] = &w->head_w;
    slots[n++] = &w->head_b;
    float *p = buffer;
    for (int i = 0; i < n; i++) {
        *slots[i] = p;
        p += tensor_shape(c, i).numel;
    }
}

/* ---- creation ---------------------------------------------------------- */

int model_create(Model *m, const ModelConfig *c)
{
    memset(m, 0, sizeof *m);
    if (config_validate(c) != 0) return -1;
    m->config = *c;
    m->n_params = model_param_count(c);
    m->params = xcalloc(m->n_params, sizeof(float));
    if (!m->params) return -1;
    weights_map(&m->w, c, m->params);
    return 0;
}

void model_init_weights(Model *m, uint64_t seed)
{
    const ModelConfig *c = &m->config;
    Rng rng;
    rng_seed(&rng, seed);
    float residual_std = 0.02f / sqrtf(2.0f * c->n_layers);
    for (int i = 0; i < model_tensor_count(c); i++) {
        TensorInfo t = model_tensor_info(c, i);
        float *p = m->params + t.offset;
        int is_layernorm_weight = strstr(t.name, "ln") && strstr(t.name, ".weight");
        int is_residual_proj = strstr(t.name, "attn.proj.weight") || strstr(t.name, "fc2.weight");
        for (size_t j = 0; j < t.numel; j++) {
            if (is_layernorm_weight) p[j] = 1.0f;
            else if (t.ndim == 1) p[j] = 0.0f;   /* biases */
            else p[j] = rng_normal(&rng) * (is_residual_proj ? residual_std : 0.02f);
        }
    }
}

void model_free(Model *m)
{
    free(m->params);
    vocab_free(&m->vocab);
    rg_tokenizer_free(m->tokenizer);
    memset(m, 0, sizeof *m);
}

/* ---- activations ------------------------------------------------------- */

int activations_create(Activations *a, const ModelConfig *c, int max_batch)
{
    memset(a, 0, sizeof *a);
    size_t N = (size_t)max_batch * c->seq_len, d = c->d_model, H = c->d_hidden;
    size_t V = c->vocab_size, h = c->n_heads, T = c->seq_len;
    size_t per_block = N * d * 6 + N * 4 + N * 3 * d + max_batch * h * T * T + N * H * 2;
    size_t total = N * d + per_block * c->n_layers + N * d + N * 2 + N * V
                 + N * d * 3 + N * 3 * d + N * H + max_batch * h * T;
    a->memory = xmalloc(total, sizeof(float));
    if (!a->memory) return -1;
    a->max_rows = (int)N;
    float *p = a->memory;
#define TAKE(field, count) do { (field) = p; p += (count); } while (0)
    TAKE(a->x_emb, N * d);
    for (int l = 0; l < c->n_layers; l++) {
        BlockActivations *b = &a->blocks[l];
        TAKE(b->ln1_out, N * d); TAKE(b->ln1_mean, N); TAKE(b->ln1_rstd, N);
        TAKE(b->qkv, N * 3 * d); TAKE(b->att_probs, max_batch * h * T * T);
        TAKE(b->att_out, N * d); TAKE(b->x_mid, N * d);
        TAKE(b->ln2_out, N * d); TAKE(b->ln2_mean, N); TAKE(b->ln2_rstd, N);
        TAKE(b->fc1_out, N * H); TAKE(b->relu_out, N * H); TAKE(b->x_out, N * d);
    }
    TAKE(a->lnf_out, N * d); TAKE(a->lnf_mean, N); TAKE(a->lnf_rstd, N);
    TAKE(a->probs, N * V);
    TAKE(a->d_x, N * d); TAKE(a->d_ln, N * d); TAKE(a->d_att, N * d);
    TAKE(a->d_qkv, N * 3 * d); TAKE(a->d_hidden, N * H); TAKE(a->d_probs, max_batch * h * T);
#undef TAKE
    return 0;
}

void activations_free(Activations *a)
{
    free(a->memory);
    memset(a, 0, sizeof *a);
}

/* ---- forward (docs/00-a-sentence.md) ----------------------------------- */

float model_forward(const Model *m, Activations *a, const int *ids, const int *targets,
                    int B, int T, int *n_targets)
{
    const ModelConfig *c = &m->config;
    const Weights *w = &m->w;
    int N = B * T, d = c->d_model, H = c->d_hidden, V = c->vocab_size, h = c->n_heads;
    a->batch = B;
    a->seq = T;

    embedding_forward(a->x_emb, ids, w->tok_emb, w->pos_emb, B, T, d);
    const float *x = a->x_emb;
    for (int l = 0; l < c->n_layers; l++) {
        BlockActivations *ba = &a->blocks[l];
        const BlockWeights *bw = &w->blocks[l];
        /* x_mid = x + proj(attention(qkv(ln1(x)))) */
        layernorm_forward(ba->ln1_out, ba->ln1_mean, ba->ln1_rstd, x, bw->ln1_w, bw->ln1_b, N, d);
        matmul_forward(ba->qkv, ba->ln1_out, bw->qkv_w, bw->qkv_b, N, d, 3 * d);
        attention_forward(ba->att_out, ba->att_probs, ba->qkv, B, T, d, h);
        matmul_forward(ba->x_mid, ba->att_out, bw->proj_w, bw->proj_b, N, d, d);
        vec_add(ba->x_mid, x, (size_t)N * d);
        /* x_out = x_mid + fc2(relu(fc1(ln2(x_mid)))) */
        layernorm_forward(ba->ln2_out, ba->ln2_mean, ba->ln2_rstd, ba->x_mid, bw->ln2_w, bw->ln2_b, N, d);
        matmul_forward(ba->fc1_out, ba->ln2_out, bw->fc1_w, bw->fc1_b, N, d, H);
        relu_forward(ba->relu_out, ba->fc1_out, (size_t)N * H);
        matmul_forward(ba->x_out, ba->relu_out, bw->fc2_w, bw->fc2_b, N, H, d);
        vec_add(ba->x_out, ba->x_mid, (size_t)N * d);
        x = ba->x_out;
    }
    layernorm_forward(a->lnf_out, a->lnf_mean, a->lnf_rstd, x, w->lnf_w, w->lnf_b, N, d);
    matmul_forward(a->probs, a->lnf_out, w->head_w, w->head_b, N, d, V);
    int count = 0;
    float loss = 0.0f;
    if (targets) loss = crossentropy_forward(a->probs, a->probs, targets, N, V, &count);
    if (n_targets) *n_targets = count;
    return loss;
}

/* ---- backward (docs/07-backprop.md) ------------------------------------- */

void model_backward(const Model *m, Activations *a, float *grads, const int *ids,
                    const int *targets)
{
    const ModelConfig *c = &m->config;
    const Weights *w = &m->w;
    Weights g;
    weights_map(&g, c, grads);
    int B = a->batch, T = a->seq, N = B * T;
    int d = c->d_model, H = c->d_hidden, V = c->vocab_size, h = c->n_heads;
    size_t Nd = (size_t)N * d;

    int count = 0;
    for (int r = 0; r < N; r++) count += targets[r] != TOKEN_PAD;
    if (count == 0) return;
    float *dlogits = a->probs;      /* overwritten in place */
    crossentropy_backward(dlogits, a->probs, targets, N, V, 1.0f / count);

    const float *x_last = c->n_layers ? a->blocks[c->n_layers - 1].x_out : a->x_emb;
    vec_zero(a->d_ln, Nd);
    matmul_backward(a->d_ln, g.head_w, g.head_b, dlogits, a->lnf_out, w->head_w, N, d, V);
    vec_zero(a->d_x, Nd);
    layernorm_backward(a->d_x, g.lnf_w, g.lnf_b, a->d_ln, x_last, w->lnf_w,
                       a->lnf_mean, a->lnf_rstd, N, d);

    /* d_x is now dL/d(x_out of the last block); walk the blocks backwards. */
    for (int l = c->n_layers - 1; l >= 0; l--) {
        BlockActivations *ba = &a->blocks[l];
        const BlockWeights *bw = &w->blocks[l];
        BlockWeights *bg = &g.blocks[l];
        const float *x_in = l > 0 ? a->blocks[l - 1].x_out : a->x_emb;

        /* feed-forward branch: d_x flows to x_mid directly and through the FFN */
        vec_zero(a->d_hidden, (size_t)N * H);
        matmul_backward(a->d_hidden, bg->fc2_w, bg->fc2_b, a->d_x, ba->relu_out, bw->fc2_w, N, H, d);
        relu_backward(a->d_hidden, a->d_hidden, ba->fc1_out, (size_t)N * H);
        vec_zero(a->d_ln, Nd);
        matmul_backward(a->d_ln, bg->fc1_w, bg->fc1_b, a->d_hidden, ba->ln2_out, bw->fc1_w, N, d, H);
        layernorm_backward(a->d_x, bg->ln2_w, bg->ln2_b, a->d_ln, ba->x_mid, bw->ln2_w,
                           ba->ln2_mean, ba->ln2_rstd, N, d);

        /* attention branch: d_x (now dL/dx_mid) flows to x_in directly and through attention */
        vec_zero(a->d_att, Nd);
        matmul_backward(a->d_att, bg->proj_w, bg->proj_b, a->d_x, ba->att_out, bw->proj_w, N, d, d);
        vec_zero(a->d_qkv, Nd * 3);
        attention_backward(a->d_qkv, a->d_probs, a->d_att, ba->qkv, ba->att_probs, B, T, d, h);
        vec_zero(a->d_ln, Nd);
        matmul_backward(a->d_ln, bg->qkv_w, bg->qkv_b, a->d_qkv, ba->ln1_out, bw->qkv_w, N, d, 3 * d);
        layernorm_backward(a->d_x, bg->ln1_w, bg->ln1_b, a->d_ln, x_in, bw->ln1_w,
                           ba->ln1_mean, ba->ln1_rstd, N, d);
    }
    embedding_backward(g.tok_emb, g.pos_emb, a->d_x, ids, B, T, d);
}
