/*
 * bert.c — the BERT encoder (MiniLM, BGE, ...) behind the architecture vtable.
 *
 * Where it sits: a GGUF file (or any format) → rg_source with llama.cpp's
 * bert tensor names → [this] → hidden states [n, d] → pooling in
 * src/infer/embed.c → one embedding per text.
 *
 * The model, sizes V vocabulary, d width, h heads (dh = d/h), H FFN width,
 * L layers, T positions:
 *
 *   x = LN_emb( tok_emb[id_t] + type_emb[0] + pos_emb[t] )   every token, type 0
 *   for each layer (post-LayerNorm, as the original BERT):
 *       q, k, v = x Wqᵀ + bq,  x Wkᵀ + bk,  x Wvᵀ + bv        [n, d] each
 *       a = softmax( q kᵀ / sqrt(dh) ) v   per head, NO causal mask: every
 *           token sees every token of its own text, none of the others
 *       x = LN_attn( x + a Woᵀ + bo )
 *       x = LN_out ( x + gelu( x Wupᵀ + bup ) Wdownᵀ + bdown )
 *   hidden = x                                               no final norm
 *
 * LayerNorm uses the file's bert.attention.layer_norm_epsilon (1e-12 in
 * BERT). GELU is the tanh approximation, because that is what llama.cpp's
 * bert graph computes (ggml_gelu), and matching llama.cpp's numbers is the
 * point; the erf form differs from it by less than 1e-3 per activation.
 *
 * Several texts run as one packed batch: their tokens are stacked without
 * padding, so every matrix product runs over all of them at once while
 * attention stays inside each text — the padding mask is the packing
 * itself, and a text's result does not depend on what it was batched with.
 *
 * Tensor names and keys are llama.cpp's (docs/18-embeddings.md lists them).
 * Weights of any type the format gives are converted to float once at load;
 * F32 tensors are used in place.
 */
#include "archs/bert.h"
#include "archs/tensor_f32.h"
#include "core/tensor.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    float *qkv_w, *qkv_b;          /* [3d, d], [3d]: q rows, then k, then v */
    const float *out_w, *out_b;    /* [d, d], [d]                            */
    const float *ln_attn_w, *ln_attn_b;
    const float *up_w, *up_b;      /* [H, d], [H]                            */
    const float *down_w, *down_b;  /* [d, H], [d]                            */
    const float *ln_out_w, *ln_out_b;
} BertLayer;

typedef struct {
    int32_t n_vocab, d, n_heads, d_ff, n_layers, n_ctx, n_types;
    float eps;
    const float *tok_emb, *type_emb, *pos_emb;   /* [V,d], [n_types,d] (may be NULL), [T,d] */
    const float *ln_emb_w, *ln_emb_b;
    BertLayer *layers;
    void **owned;                                /* converted tensors to free */
    int n_owned;
} Bert;

typedef struct {
    const Bert *model;
    int32_t n_threads;
    size_t rows_cap;                             /* rows the buffers below hold */
    float *x, *qkv, *att, *tmp, *ff;             /* [R,d] [R,3d] [R,d] [R,d] [R,H] */
    float *scores;                               /* [threads, n_ctx]            */
    int scores_threads;
} BertContext;

/* ---- loading ------------------------------------------------------------- */

static void bert_destroy(void *state)
{
    Bert *m = state;
    if (!m) return;
    for (int i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    if (m->layers)
        for (int i = 0; i < m->n_layers; i++) {
            free(m->layers[i].qkv_w);
            free(m->layers[i].qkv_b);
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
    free(c->x); free(c->qkv); free(c->att); free(c->tmp); free(c->ff); free(c->scores);
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

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Grow the scratch to hold `rows` packed tokens. */
static int reserve(BertContext *c, size_t rows)
{
    const Bert *m = c->model;
    int threads = max_threads();
    if (rows > c->rows_cap) {
        size_t cap = rows < 64 ? 64 : rows;
        free(c->x); free(c->qkv); free(c->att); free(c->tmp); free(c->ff);
        c->x = xmalloc(cap * (size_t)m->d, sizeof(float));
        c->qkv = xmalloc(cap * 3 * (size_t)m->d, sizeof(float));
        c->att = xmalloc(cap * (size_t)m->d, sizeof(float));
        c->tmp = xmalloc(cap * (size_t)m->d, sizeof(float));
        c->ff = xmalloc(cap * (size_t)m->d_ff, sizeof(float));
        c->rows_cap = (c->x && c->qkv && c->att && c->tmp && c->ff) ? cap : 0;
        if (!c->rows_cap) return -1;
    }
    if (threads > c->scores_threads) {
        free(c->scores);
        c->scores = xmalloc((size_t)threads * (size_t)m->n_ctx, sizeof(float));
        c->scores_threads = c->scores ? threads : 0;
        if (!c->scores) return -1;
    }
    return 0;
}

/* ---- the forward pass ------------------------------------------------------ */

/* out = LN(inp) over rows [R, d]: (x - mean) / sqrt(var + eps) * w + b,
 * mean and variance summed in double as ggml_norm does. out may be inp. */
static void layernorm(float *out, const float *inp, const float *w, const float *b, long R, int d, float eps)
{
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (R * d >= 16384)
    for (long r = 0; r < R; r++) {
        const float *x = inp + r * d;
        float *y = out + r * d;
        double sum = 0, var = 0;
        for (int i = 0; i < d; i++) sum += x[i];
        float mean = (float)(sum / d);
        for (int i = 0; i < d; i++) var += (double)(x[i] - mean) * (x[i] - mean);
        float scale = (float)(1.0 / sqrt(var / d + eps));
        for (int i = 0; i < d; i++) y[i] = (x[i] - mean) * scale * w[i] + b[i];
    }
}

/* gelu(x) ≈ 0.5 x (1 + tanh( sqrt(2/π) (x + 0.044715 x³) )), in place. */
static void gelu(float *x, size_t n)
{
    const float c = 0.79788456080286535588f;
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (n >= 65536)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + tanhf(c * v * (1.0f + 0.044715f * v * v)));
    }
}

/* Bidirectional attention inside each text. qkv [R, 3d] (q | k | v per
 * row), out [R, d]; text s owns rows starts[s] .. starts[s] + lens[s]. For
 * each text, head and query row i:
 *   p_j = softmax_j( q_i · k_j / sqrt(dh) ),  out_i = Σ_j p_j v_j          */
static void attention(float *out, const float *qkv, float *scores_all, int n_seqs, const int32_t *lens,
                      const int32_t *starts, int d, int n_heads, int n_ctx)
{
    int dh = d / n_heads;
    float scale = 1.0f / sqrtf((float)dh);
    long jobs = (long)n_seqs * n_heads;
    const Kernels *k = kernels();
    #pragma omp parallel for schedule(dynamic) num_threads(kernel_threads()) if (jobs > 1)
    for (long job = 0; job < jobs; job++) {
        int s = (int)(job / n_heads), h = (int)(job % n_heads);
#ifdef _OPENMP
        float *scores = scores_all + (size_t)omp_get_thread_num() * n_ctx;
#else
        float *scores = scores_all;
#endif
        const float *base = qkv + (size_t)starts[s] * 3 * d;
        int T = lens[s];
        for (int i = 0; i < T; i++) {
            const float *q = base + (size_t)i * 3 * d + h * dh;
            for (int j = 0; j < T; j++) {
                const float *kj = base + (size_t)j * 3 * d + d + h * dh;
                float dot = 0;
                for (int e = 0; e < dh; e++) dot += q[e] * kj[e];
                scores[j] = dot * scale;
            }
            k->softmax(scores, T);
            float *o = out + ((size_t)starts[s] + i) * d + h * dh;
            for (int e = 0; e < dh; e++) o[e] = 0;
            for (int j = 0; j < T; j++) {
                const float *vj = base + (size_t)j * 3 * d + 2 * d + h * dh;
                float p = scores[j];
                for (int e = 0; e < dh; e++) o[e] += p * vj[e];
            }
        }
    }
}

/* tokens: the n_seqs texts' ids back to back (lens[s] each); out [Σ lens, d]. */
static rg_status bert_hidden_batch(const void *model_state, void *ctx_state, int32_t n_seqs,
                                   const int32_t *lens, const int32_t *tokens, float *out)
{
    const Bert *m = model_state;
    BertContext *c = ctx_state;
    if (n_seqs <= 0) return RG_OK;
    int32_t *starts = xmalloc((size_t)n_seqs, sizeof *starts);
    if (!starts) return RG_ERR_NOMEM;
    long R = 0;
    for (int32_t s = 0; s < n_seqs; s++) {
        if (lens[s] < 1 || lens[s] > m->n_ctx) {
            free(starts);
            fail("bert: a sequence of %d tokens does not fit the context of %d", lens[s], m->n_ctx);
            return RG_ERR_LIMIT;
        }
        starts[s] = (int32_t)R;
        R += lens[s];
    }
    for (long r = 0; r < R; r++)
        if (tokens[r] < 0 || tokens[r] >= m->n_vocab) {
            free(starts);
            fail("bert: token id %d is outside the vocabulary of %d", tokens[r], m->n_vocab);
            return RG_ERR_INVALID;
        }
#ifdef _OPENMP
    if (c->n_threads > 0) omp_set_num_threads(c->n_threads);
#endif
    if (reserve(c, (size_t)R) != 0) {
        free(starts);
        return RG_ERR_NOMEM;
    }
    int d = m->d, H = m->d_ff;
    float *x = c->x;
    for (int32_t s = 0; s < n_seqs; s++)                 /* embeddings */
        for (int32_t t = 0; t < lens[s]; t++) {
            long r = starts[s] + t;
            const float *te = m->tok_emb + (size_t)tokens[r] * d, *pe = m->pos_emb + (size_t)t * d;
            float *xr = x + r * d;
            for (int i = 0; i < d; i++) xr[i] = te[i] + pe[i] + (m->type_emb ? m->type_emb[i] : 0.0f);
        }
    layernorm(x, x, m->ln_emb_w, m->ln_emb_b, R, d, m->eps);
    for (int l = 0; l < m->n_layers; l++) {
        const BertLayer *L = &m->layers[l];
        matmul_forward(c->qkv, x, L->qkv_w, L->qkv_b, (int)R, d, 3 * d);
        attention(c->att, c->qkv, c->scores, n_seqs, lens, starts, d, m->n_heads, m->n_ctx);
        matmul_forward(c->tmp, c->att, L->out_w, L->out_b, (int)R, d, d);
        vec_add(c->tmp, x, (size_t)R * d);
        layernorm(x, c->tmp, L->ln_attn_w, L->ln_attn_b, R, d, m->eps);
        matmul_forward(c->ff, x, L->up_w, L->up_b, (int)R, d, H);
        gelu(c->ff, (size_t)R * H);
        matmul_forward(c->tmp, c->ff, L->down_w, L->down_b, (int)R, H, d);
        vec_add(c->tmp, x, (size_t)R * d);
        layernorm(l == m->n_layers - 1 ? out : x, c->tmp, L->ln_out_w, L->ln_out_b, R, d, m->eps);
    }
    free(starts);
    return RG_OK;
}

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
