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
 * The four matrices of each layer take one of two forms (bert_model.h:
 * BertMatrix):
 *   - integer tiles (Q8_0, Q4_0, Q4_K, where the kernels have them for
 *     the type): the file's blocks are unpacked once (quant.h:
 *     QuantPacked), and the products quantize the activations to 8 bits,
 *     as llama.cpp does;
 *   - otherwise floats: any type is converted to float once at load (F32
 *     used in place) and packed once into the kernel table's tile order
 *     (kernels.h: PackedWeight), so that no product re-packs a weight: for
 *     the few dozen rows of a batch of short texts, packing would cost as
 *     much as the product.
 * Vectors (biases, norms) and the embedding tables are always floats.
 *
 * The same loader reads `nomic-bert` (nomic-embed-text): no position
 * table but rotary positions (`nomic-bert.rope.freq_base`), q, k and v
 * fused in one attn_qkv matrix, a SwiGLU FFN with ffn_gate, and no biases.
 * Its keys carry its own prefix; every bias is read where the file has one.
 */
#include "archs/bert.h"
#include "archs/bert_model.h"
#include "archs/tensor_f32.h"
#include "core/quant.h"
#include "core/util.h"

#include <math.h>
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
            BertMatrix *mats[5] = { &l->qkv, &l->out, &l->up, &l->down, &l->gate };
            for (int j = 0; j < 5; j++) {
                packed_weight_free(&mats[j]->packed);
                quant_packed_free(&mats[j]->tiles);
            }
        }
    free(m->layers);
    free(m->rope_cos);
    free(m->rope_sin);
    free(m);
}

/* nomic-bert: cos and sin of every angle a rotation turns by, place t and
 * pair i, built as rope_apply() builds them (archs/decoder_ops.c):
 * theta = t · base^(-2i / n_rot), the power taken step by step. -1 after
 * fail() when out of memory. */
static int rope_table(Bert *m)
{
    int half = m->n_rot / 2;
    m->rope_cos = xmalloc((size_t)m->n_ctx * (size_t)half, sizeof(float));
    m->rope_sin = xmalloc((size_t)m->n_ctx * (size_t)half, sizeof(float));
    if (!m->rope_cos || !m->rope_sin) return -1;
    const float theta_scale = powf(m->rope_base, -2.0f / (float)m->n_rot);
    for (int32_t t = 0; t < m->n_ctx; t++) {
        float theta = (float)t;
        for (int i = 0; i < half; i++) {
            m->rope_cos[(size_t)t * half + i] = cosf(theta);
            m->rope_sin[(size_t)t * half + i] = sinf(theta);
            theta *= theta_scale;
        }
    }
    return 0;
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

/* The tensor `name`, checked to be [rows, cols] (GGUF dims {cols, rows};
 * rows 0 for a vector). NULL after fail() when it is missing (and
 * required) or has another shape. */
static const rg_tensor *find(const rg_source *src, const char *name, int64_t rows, int64_t cols, int required)
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
    return t;
}

/* The tensor `name` [rows, cols] as floats (find, then tensor_f32). */
static const float *weight(Bert *m, const rg_source *src, const char *name, int64_t rows, int64_t cols,
                           int required)
{
    const rg_tensor *t = find(src, name, rows, cols, required);
    if (!t) return NULL;
    float *copy = NULL;
    const float *f = tensor_f32(t, &copy);
    if (!f) return NULL;
    if (copy && keep_owned(m, copy) != 0) return NULL;
    return f;
}

/* Can tensor t [rows, cols] be multiplied as it lies, on integer tiles?
 * Its type must have them and its data be exactly rows whole rows. */
static int runs_quantized(const rg_tensor *t, int64_t rows, int64_t cols)
{
    return quant_has_integer_tiles(t->type, cols) && t->n_bytes / (size_t)rows == quant_row_bytes(t->type, cols) &&
           t->n_bytes % (size_t)rows == 0;
}

/* The key "<arch>.<name>" (bert.embedding_length, nomic-bert.block_count). */
static const char *arch_key(const char *arch, const char *name)
{
    static _Thread_local char key[96];
    snprintf(key, sizeof key, "%s.%s", arch, name);
    return key;
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

/* Matrix `name` [rows, cols] of a layer, unpacked into out: on integer
 * tiles, or as floats (*floats, also kept for the layer; NULL on tiles).
 * -1 after fail(). */
static int load_matrix(Bert *m, const rg_source *src, const char *name, int64_t rows, int64_t cols,
                       BertMatrix *out, const float **floats)
{
    const rg_tensor *t = find(src, name, rows, cols, 1);
    *floats = NULL;
    if (!t) return -1;
    if (runs_quantized(t, rows, cols) && quant_packed_init(&out->tiles, t->type, t->data, rows, cols) == 0)
        return 0;
    if (!(*floats = weight(m, src, name, rows, cols, 1))) return -1;
    return packed_weight_init(&out->packed, *floats, (int)rows, (int)cols) == 0
               ? 0 : fail("out of memory loading a bert model");
}

/* q, k and v [d, d] each as one matrix [3d, d]: their blocks copied back to
 * back and unpacked into tiles when all three have one type that runs on
 * them, else floats. */
static int load_qkv(Bert *m, const rg_source *src, int i, BertLayer *l)
{
    int64_t d = m->d;
    const char *parts[3] = { "q", "k", "v" };
    const rg_tensor *t[3];
    char name[64];
    snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", i);
    if (rg_source_tensor(src, name)) {              /* fused, as nomic-bert's converter writes it */
        const float *floats;
        return load_matrix(m, src, name, 3 * d, d, &l->qkv, &floats);
    }
    int quantized = 1;
    for (int p = 0; p < 3; p++) {
        snprintf(name, sizeof name, "blk.%d.attn_%s.weight", i, parts[p]);
        if (!(t[p] = find(src, name, d, d, 1))) return -1;
        quantized = quantized && runs_quantized(t[p], d, d) && t[p]->type == t[0]->type;
    }
    if (quantized) {
        size_t bytes = t[0]->n_bytes;
        char *blocks = malloc(3 * bytes);
        if (!blocks) return fail("out of memory loading a bert model");
        for (int p = 0; p < 3; p++) memcpy(blocks + p * bytes, t[p]->data, bytes);
        int packed = quant_packed_init(&l->qkv.tiles, t[0]->type, blocks, 3 * d, d);
        free(blocks);
        if (packed == 0) return 0;
    }
    if (!(l->qkv_w = xmalloc((size_t)(3 * d * d), sizeof(float)))) return -1;
    for (int p = 0; p < 3; p++) {
        snprintf(name, sizeof name, "blk.%d.attn_%s.weight", i, parts[p]);
        const float *f = weight(m, src, name, d, d, 1);
        if (!f) return -1;
        memcpy(l->qkv_w + p * d * d, f, (size_t)(d * d) * sizeof(float));
    }
    return packed_weight_init(&l->qkv.packed, l->qkv_w, (int)(3 * d), (int)d) == 0
               ? 0 : fail("out of memory loading a bert model");
}

static int load_layer(Bert *m, const rg_source *src, int i)
{
    BertLayer *l = &m->layers[i];
    int64_t d = m->d, H = m->d_ff;
    char name[64];
    if (load_qkv(m, src, i, l) != 0) return -1;
    /* q, k and v biases: fused, three, or none (nomic-bert) */
    char q_bias[64];
    snprintf(name, sizeof name, "blk.%d.attn_qkv.bias", i);
    snprintf(q_bias, sizeof q_bias, "blk.%d.attn_q.bias", i);
    if (rg_source_tensor(src, name)) {
        if (!(l->qkv_b = xmalloc((size_t)(3 * d), sizeof(float)))) return -1;
        const float *b = weight(m, src, name, 0, 3 * d, 1);
        if (!b) return -1;
        memcpy(l->qkv_b, b, (size_t)(3 * d) * sizeof(float));
    } else if (rg_source_tensor(src, q_bias)) {
        if (!(l->qkv_b = xmalloc((size_t)(3 * d), sizeof(float)))) return -1;
        const char *parts[3] = { "q", "k", "v" };
        for (int p = 0; p < 3; p++) {
            snprintf(name, sizeof name, "blk.%d.attn_%s.bias", i, parts[p]);
            const float *b = weight(m, src, name, 0, d, 1);
            if (!b) return -1;
            memcpy(l->qkv_b + p * d, b, (size_t)d * sizeof(float));
        }
    }
#define W(field, suffix, rows, cols) \
    (snprintf(name, sizeof name, "blk.%d." suffix, i), (l->field = weight(m, src, name, rows, cols, 1)) != NULL)
#define B(field, suffix, cols)    /* a bias: NULL when the file has none */ \
    (snprintf(name, sizeof name, "blk.%d." suffix, i), \
     (l->field = weight(m, src, name, 0, cols, 0)) != NULL || !rg_source_tensor(src, name))
#define M(field, suffix, rows, cols) \
    (snprintf(name, sizeof name, "blk.%d." suffix, i), load_matrix(m, src, name, rows, cols, &l->field, &l->field##_w) == 0)
    if (!M(out, "attn_output.weight", d, d) || !B(out_b, "attn_output.bias", d) ||
        !W(ln_attn_w, "attn_output_norm.weight", 0, d) || !W(ln_attn_b, "attn_output_norm.bias", 0, d) ||
        !M(up, "ffn_up.weight", H, d) || !B(up_b, "ffn_up.bias", H) ||
        !M(down, "ffn_down.weight", d, H) || !B(down_b, "ffn_down.bias", d) ||
        !W(ln_out_w, "layer_output_norm.weight", 0, d) || !W(ln_out_b, "layer_output_norm.bias", 0, d) ||
        (m->rope && !M(gate, "ffn_gate.weight", H, d)))
        return -1;
#undef W
#undef B
#undef M
    return 0;
}

/* `arch` is "bert" or "nomic-bert" (rotary positions and a SwiGLU FFN). */
static rg_status create(const rg_source *src, void **model_state, rg_model_info *info, const char *arch)
{
    Bert *m = xcalloc(1, sizeof *m);
    if (!m) return RG_ERR_NOMEM;
    int causal = 0;
    double eps = 1e-12;
    m->n_types = 2;
    m->rope = strcmp(arch, "nomic-bert") == 0;
    if (read_int(src, arch_key(arch, "embedding_length"), 1, 1 << 16, &m->d) != 0 ||
        read_int(src, arch_key(arch, "block_count"), 1, 1024, &m->n_layers) != 0 ||
        read_int(src, arch_key(arch, "attention.head_count"), 1, 1024, &m->n_heads) != 0 ||
        read_int(src, arch_key(arch, "feed_forward_length"), 1, 1 << 20, &m->d_ff) != 0 ||
        read_int(src, arch_key(arch, "context_length"), 1, 1 << 20, &m->n_ctx) != 0)
        goto bad;
    if (m->d % m->n_heads != 0) {
        fail("bert: embedding_length %d is not a multiple of head_count %d", m->d, m->n_heads);
        goto bad;
    }
    if (rg_source_bool(src, arch_key(arch, "attention.causal"), &causal) == RG_OK && causal) {
        fail("bert: causal attention is not supported for %s", arch);
        goto unsupported;
    }
    if (m->rope) {          /* ggml's neox rotation over the whole head, base 10000 unless the file says */
        double base = 10000;
        int64_t n_rot = m->d / m->n_heads;
        rg_source_float(src, arch_key(arch, "rope.freq_base"), &base);
        rg_source_int(src, arch_key(arch, "rope.dimension_count"), &n_rot);
        if (!(base > 1 && base < 1e12) || n_rot < 2 || n_rot > m->d / m->n_heads || n_rot % 2) {
            fail("%s: rope.freq_base %g or rope.dimension_count %lld is out of range", arch, base,
                 (long long)n_rot);
            goto bad;
        }
        m->rope_base = (float)base;
        m->n_rot = (int32_t)n_rot;
    }
    rg_source_float(src, arch_key(arch, "attention.layer_norm_epsilon"), &eps);
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
    if (!m->rope && pos && pos->n_dims == 2 && pos->dims[1] < m->n_ctx) m->n_ctx = (int32_t)pos->dims[1];
    if (!(m->tok_emb = weight(m, src, "token_embd.weight", m->n_vocab, m->d, 1)) ||
        (!m->rope && !(m->pos_emb = weight(m, src, "position_embd.weight", m->n_ctx, m->d, 1))) ||
        !(m->ln_emb_w = weight(m, src, "token_embd_norm.weight", 0, m->d, 1)) ||
        !(m->ln_emb_b = weight(m, src, "token_embd_norm.bias", 0, m->d, 1)))
        goto bad;
    const rg_tensor *tt = rg_source_tensor(src, "token_types.weight");
    if (tt && (tt->n_dims != 2 || tt->dims[1] < 1)) {
        fail("bert: tensor token_types.weight is malformed");
        goto bad;
    }
    if (tt && !(m->type_emb = weight(m, src, "token_types.weight", tt->dims[1], m->d, 1))) goto bad;
    if (m->rope && rope_table(m) != 0) goto nomem;
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
    info->n_params = (uint64_t)((m->n_vocab + (m->rope ? 0 : m->n_ctx) + (tt ? tt->dims[1] : 0) + 2) * d +
                                m->n_layers * (4 * d * d + (m->rope ? 3 : 2) * d * H + 4 * d +
                                               (m->rope ? 0 : 4 * d + H + d)));
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

static rg_status bert_create(const rg_source *src, void **model_state, rg_model_info *info)
{
    return create(src, model_state, info, "bert");
}

static rg_status nomic_bert_create(const rg_source *src, void **model_state, rg_model_info *info)
{
    return create(src, model_state, info, "nomic-bert");
}

/* The two architectures differ only in what create() reads. */
#define BERT_VTABLE(arch_name, create_fn)           \
    {                                               \
        .abi_version = RG_ABI_VERSION,              \
        .name = arch_name,                          \
        .version = 1,                               \
        .create = create_fn,                        \
        .destroy = bert_destroy,                    \
        .context_new = bert_context_new,            \
        .context_free = bert_context_free,          \
        .context_reset = bert_context_reset,        \
        .context_n_tokens = bert_context_n_tokens,  \
        .decode = bert_decode,                      \
        .hidden = bert_hidden,                      \
        .hidden_batch = bert_hidden_batch,          \
    }

const rg_arch_vtable bert_arch_vtable = BERT_VTABLE("bert", bert_create);
const rg_arch_vtable nomic_bert_arch_vtable = BERT_VTABLE("nomic-bert", nomic_bert_create);
