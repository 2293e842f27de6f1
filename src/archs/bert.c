/*
 * bert.c — the BERT encoder (MiniLM, BGE, ...) behind the architecture
 * vtable: loading its weights and making contexts. The forward pass, with
 * the model's math, is bert_forward.c; the structs are bert_model.h.
 *
 * Where it sits: a GGUF file (or any format) → rg_source with llama.cpp's
 * bert tensor names → [this, bert_forward.c] → hidden states [n, d] →
 * pooling in src/infer/embed.c → one embedding per text.
 *
 * Tensor names and keys are llama.cpp's (docs/18-embeddings.md lists them).
 * Weights of any type the format gives are converted to float once at load;
 * F32 tensors are used in place. The four matrices of each layer are then
 * packed once into the kernel table's tile order (kernels.h: PackedWeight),
 * so that no product re-packs a weight: for the few dozen rows of a batch
 * of short texts, packing would cost as much as the product.
 */
#include "archs/bert.h"
#include "archs/bert_model.h"
#include "archs/tensor_f32.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ------------------------------------------------------------- */

static void bert_destroy(void *state)
{
    Bert *m = state;
    if (!m) return;
    for (int i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    if (m->layers)
        for (int i = 0; i < m->n_layers; i++) {
            BertLayer *l = &m->layers[i];
            free(l->qkv_w);
            free(l->qkv_b);
            packed_weight_free(&l->qkv);
            packed_weight_free(&l->out);
            packed_weight_free(&l->up);
            packed_weight_free(&l->down);
        }
    free(m->layers);
    free(m);
}

static int keep_owned(Bert *m, float *p)
{
    void **grown = realloc(m->owned, (size_t)(m->n_owned + 1) * sizeof *grown);
    if (!grown) {
        free(p);
        return fail("out of memory loading a bert model");
    }
    m->owned = grown;
    m->owned[m->n_owned++] = p;
    return 0;
}

/* The tensor `name` as floats, checked to be [rows, cols] (GGUF dims
 * {cols, rows}; rows 0 for a vector). NULL after fail() when it is missing
 * (and required) or has another shape. */
static const float *weight(Bert *m, const rg_source *src, const char *name, int64_t rows, int64_t cols,
                           int required)
{
    const rg_tensor *t = rg_source_tensor(src, name);
    if (!t) {
        if (required) fail("bert: tensor %s is missing", name);
        return NULL;
    }
    int ok = rows ? (t->n_dims == 2 && t->dims[0] == cols && t->dims[1] == rows)
                  : (t->n_dims == 1 && t->dims[0] == cols);
    if (!ok) {
        fail("bert: tensor %s has shape [%lld, %lld], expected [%lld, %lld]", name,
             (long long)t->dims[0], (long long)(t->n_dims > 1 ? t->dims[1] : 1), (long long)cols,
             (long long)(rows ? rows : 1));
        return NULL;
    }
    float *copy = NULL;
    const float *f = tensor_f32(t, &copy);
    if (!f) return NULL;
    if (copy && keep_owned(m, copy) != 0) return NULL;
    return f;
}

static int read_int(const rg_source *src, const char *key, int64_t lo, int64_t hi, int32_t *out)
{
    int64_t v;
    if (rg_source_int(src, key, &v) != RG_OK) return fail("bert: key %s is missing or not an integer", key);
    if (v < lo || v > hi) return fail("bert: %s = %lld is out of range [%lld, %lld]", key, (long long)v,
                                      (long long)lo, (long long)hi);
    *out = (int32_t)v;
    return 0;
}

static int load_layer(Bert *m, const rg_source *src, int i)
{
    BertLayer *l = &m->layers[i];
    int64_t d = m->d, H = m->d_ff;
    char name[64];
#define W(field, suffix, rows, cols) \
    (snprintf(name, sizeof name, "blk.%d." suffix, i), (l->field = weight(m, src, name, rows, cols, 1)) != NULL)
    const float *q, *k, *v, *qb, *kb, *vb;
    snprintf(name, sizeof name, "blk.%d.attn_q.weight", i);   q = weight(m, src, name, d, d, 1);
    snprintf(name, sizeof name, "blk.%d.attn_k.weight", i);   k = q ? weight(m, src, name, d, d, 1) : NULL;
    snprintf(name, sizeof name, "blk.%d.attn_v.weight", i);   v = k ? weight(m, src, name, d, d, 1) : NULL;
    snprintf(name, sizeof name, "blk.%d.attn_q.bias", i);     qb = v ? weight(m, src, name, 0, d, 1) : NULL;
    snprintf(name, sizeof name, "blk.%d.attn_k.bias", i);     kb = qb ? weight(m, src, name, 0, d, 1) : NULL;
    snprintf(name, sizeof name, "blk.%d.attn_v.bias", i);     vb = kb ? weight(m, src, name, 0, d, 1) : NULL;
    if (!vb) return -1;
    l->qkv_w = xmalloc((size_t)(3 * d * d), sizeof(float));
    l->qkv_b = xmalloc((size_t)(3 * d), sizeof(float));
    if (!l->qkv_w || !l->qkv_b) return -1;
    memcpy(l->qkv_w, q, (size_t)(d * d) * sizeof(float));
    memcpy(l->qkv_w + d * d, k, (size_t)(d * d) * sizeof(float));
    memcpy(l->qkv_w + 2 * d * d, v, (size_t)(d * d) * sizeof(float));
    memcpy(l->qkv_b, qb, (size_t)d * sizeof(float));
    memcpy(l->qkv_b + d, kb, (size_t)d * sizeof(float));
    memcpy(l->qkv_b + 2 * d, vb, (size_t)d * sizeof(float));
    if (!W(out_w, "attn_output.weight", d, d) || !W(out_b, "attn_output.bias", 0, d) ||
        !W(ln_attn_w, "attn_output_norm.weight", 0, d) || !W(ln_attn_b, "attn_output_norm.bias", 0, d) ||
        !W(up_w, "ffn_up.weight", H, d) || !W(up_b, "ffn_up.bias", 0, H) ||
        !W(down_w, "ffn_down.weight", d, H) || !W(down_b, "ffn_down.bias", 0, d) ||
        !W(ln_out_w, "layer_output_norm.weight", 0, d) || !W(ln_out_b, "layer_output_norm.bias", 0, d))
        return -1;
#undef W
    if (packed_weight_init(&l->qkv, l->qkv_w, (int)(3 * d), (int)d) != 0 ||
        packed_weight_init(&l->out, l->out_w, (int)d, (int)d) != 0 ||
        packed_weight_init(&l->up, l->up_w, (int)H, (int)d) != 0 ||
        packed_weight_init(&l->down, l->down_w, (int)d, (int)H) != 0)
        return -1;
    return 0;
}

static rg_status bert_create(const rg_source *src, void **model_state, rg_model_info *info)
{
    Bert *m = xcalloc(1, sizeof *m);
    if (!m) return RG_ERR_NOMEM;
    int causal = 0;
    double eps = 1e-12;
    m->n_types = 2;
    if (read_int(src, "bert.embedding_length", 1, 1 << 16, &m->d) != 0 ||
        read_int(src, "bert.block_count", 1, 1024, &m->n_layers) != 0 ||
        read_int(src, "bert.attention.head_count", 1, 1024, &m->n_heads) != 0 ||
        read_int(src, "bert.feed_forward_length", 1, 1 << 20, &m->d_ff) != 0 ||
        read_int(src, "bert.context_length", 1, 1 << 20, &m->n_ctx) != 0)
        goto bad;
    if (m->d % m->n_heads != 0) {
        fail("bert: embedding_length %d is not a multiple of head_count %d", m->d, m->n_heads);
        goto bad;
    }
    if (rg_source_bool(src, "bert.attention.causal", &causal) == RG_OK && causal) {
        fail("bert: causal attention is not supported for bert");
        goto unsupported;
    }
    rg_source_float(src, "bert.attention.layer_norm_epsilon", &eps);
    if (!(eps > 0 && eps < 1)) {
        fail("bert: layer_norm_epsilon %g is out of range", eps);
        goto bad;
    }
    m->eps = (float)eps;
    int64_t types;
    if (rg_source_int(src, "tokenizer.ggml.token_type_count", &types) == RG_OK) m->n_types = (int32_t)types;
    const rg_tensor *emb = rg_source_tensor(src, "token_embd.weight");
    if (!emb || emb->n_dims != 2 || emb->dims[1] < 1 || emb->dims[1] > INT32_MAX / 4) {
        fail("bert: tensor token_embd.weight is missing or malformed");
        goto bad;
    }
    m->n_vocab = (int32_t)emb->dims[1];
    const rg_tensor *pos = rg_source_tensor(src, "position_embd.weight");
    if (pos && pos->n_dims == 2 && pos->dims[1] < m->n_ctx) m->n_ctx = (int32_t)pos->dims[1];
    if (!(m->tok_emb = weight(m, src, "token_embd.weight", m->n_vocab, m->d, 1)) ||
        !(m->pos_emb = weight(m, src, "position_embd.weight", m->n_ctx, m->d, 1)) ||
        !(m->ln_emb_w = weight(m, src, "token_embd_norm.weight", 0, m->d, 1)) ||
        !(m->ln_emb_b = weight(m, src, "token_embd_norm.bias", 0, m->d, 1)))
        goto bad;
    const rg_tensor *tt = rg_source_tensor(src, "token_types.weight");
    if (tt && (tt->n_dims != 2 || tt->dims[1] < 1)) {
        fail("bert: tensor token_types.weight is malformed");
        goto bad;
    }
    if (tt && !(m->type_emb = weight(m, src, "token_types.weight", tt->dims[1], m->d, 1))) goto bad;
    m->layers = xcalloc((size_t)m->n_layers, sizeof *m->layers);
    if (!m->layers) goto nomem;
    for (int i = 0; i < m->n_layers; i++)
        if (load_layer(m, src, i) != 0) goto bad;

    int64_t d = m->d, H = m->d_ff;
    info->n_vocab = m->n_vocab;
    info->n_ctx = m->n_ctx;
    info->d_model = info->n_embd = m->d;
    info->n_layers = m->n_layers;
    info->n_heads = m->n_heads;
    info->n_params = (uint64_t)((m->n_vocab + m->n_ctx + (tt ? tt->dims[1] : 0) + 2) * d +
                                m->n_layers * (4 * d * d + 4 * d + 2 * d * H + H + d + 4 * d));
    info->causal = 0;
    info->can_generate = 0;
    info->can_train = 0;
    *model_state = m;
    return RG_OK;
unsupported:
    bert_destroy(m);
    return RG_ERR_UNSUPPORTED;
nomem:
    bert_destroy(m);
    return RG_ERR_NOMEM;
bad:
    bert_destroy(m);
    return RG_ERR_FORMAT;
}

/* ---- contexts ------------------------------------------------------------- */

static void bert_context_free(void *state)
{
    BertContext *c = state;
    if (!c) return;
    bert_scratch_free(c);
    free(c);
}

static rg_status bert_context_new(const void *model_state, const rg_context_options *opt, void **ctx_state)
{
    BertContext *c = xcalloc(1, sizeof *c);
    if (!c) return RG_ERR_NOMEM;
    c->model = model_state;
    c->n_threads = opt ? opt->n_threads : 0;
    if (opt && opt->n_ctx > c->model->n_ctx) {
        fail("bert: context of %d positions is longer than the model's %d", opt->n_ctx, c->model->n_ctx);
        free(c);
        return RG_ERR_INVALID;
    }
    *ctx_state = c;
    return RG_OK;
}

static void bert_context_reset(void *ctx_state, int32_t seq) { (void)ctx_state; (void)seq; }
static int32_t bert_context_n_tokens(const void *ctx_state, int32_t seq) { (void)ctx_state; (void)seq; return 0; }

static rg_status bert_hidden(const void *model_state, void *ctx_state, int32_t n, const int32_t *tokens,
                             float *out)
{
    return bert_hidden_batch(model_state, ctx_state, 1, &n, tokens, out);
}

static rg_status bert_decode(const void *model_state, void *ctx_state, int32_t n, const int32_t *tokens,
                             const int32_t *seq_ids, const uint8_t *want_logits, float *logits)
{
    fail("bert is an encoder: it has no output head to generate with (use embed)");
    return RG_ERR_UNSUPPORTED;
}

const rg_arch_vtable bert_arch_vtable = {
    .abi_version = RG_ABI_VERSION,
    .name = "bert",
    .version = 1,
    .create = bert_create,
    .destroy = bert_destroy,
    .context_new = bert_context_new,
    .context_free = bert_context_free,
    .context_reset = bert_context_reset,
    .context_n_tokens = bert_context_n_tokens,
    .decode = bert_decode,
    .hidden = bert_hidden,
    .hidden_batch = bert_hidden_batch,
};
