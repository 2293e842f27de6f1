/*
 * decoder_run.c — contexts and the batched forward pass of the GGUF
 * decoders (decoder.h).
 *
 * A context holds one KV cache per sequence and the scratch of one step of
 * at most DECODER_MAX_BATCH tokens, all allocated when it is made, so that
 * rg_decode never allocates. The memory picture, for L layers, S sequences
 * of up to C positions and B tokens per step:
 *
 *   k_cache, v_cache   [L, S, H_kv, C, hd] the keys and values of every
 *                                          position seen, per sequence and
 *                                          head, in half precision (F16)
 *   x                  [B, d]              the residual stream
 *   h                  [B, max(d, q_dim)]  a normed copy / a product's output
 *   q, att             [B, q_dim]          queries, attention outputs
 *   k, v               [B, kv_dim]         this step's keys and values
 *   qkv                [B, q_dim+2 kv_dim] gpt2's fused projection
 *   ff_a, ff_b         [B, ff]             the feed-forward hidden layer
 *   scores             [threads, C]        one attention row per thread
 *
 * One step runs every token of the batch through each layer together, so a
 * weight matrix is read once per step whatever the number of tokens: a
 * prompt is one matrix-matrix product per weight (quant_matmul), and a
 * server decoding eight streams pays for the weights once, not eight times.
 * Tokens of different sequences only meet in those products; attention
 * reads each token's own sequence's cache up to its own position.
 */
#include "archs/decoder.h"
#include "archs/layers/layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/tensor.h"
#include "core/quant.h"
#include "core/quant_blocks.h"
#include "core/util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { GEMM_MIN_ROWS = 32, GEMM_CHUNK = 256 };

typedef struct {
    float *rounded;      /* [n, cols]: inputs of F16 products            */
    float *w_chunk;      /* [GEMM_CHUNK, cols]: weight rows as floats    */
    float *y_chunk;      /* [n, GEMM_CHUNK]: their products              */
} linear_scratch;

typedef struct {
    const decoder_model *m;
    int32_t n_ctx, n_seq, n_threads, n_score_rows;
    int32_t *n_tokens;           /* [S] positions cached per sequence     */
    int32_t *pending;            /* [S] scratch: tokens of a batch per seq */
    uint16_t *k_cache, *v_cache; /* F16: half the bytes decoding reads   */
    float *x, *h, *q, *k, *v, *att, *qkv, *ff_a, *ff_b, *scores;
    linear_scratch lin;          /* rounded [B, widest], w_chunk [GEMM_CHUNK, widest], y_chunk [B, GEMM_CHUNK] */
    int32_t *pos, *seq;          /* [B] of the step                        */
    uint8_t *want;               /* [B]                                    */
} decoder_ctx;

static int32_t q_dim(const decoder_model *m) { return m->n_head * m->head_dim; }
static int32_t kv_dim(const decoder_model *m) { return m->n_head_kv * m->head_dim; }

static int thread_count(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---- contexts ------------------------------------------------------------ */

void decoder_context_free(void *ctx_state)
{
    decoder_ctx *c = ctx_state;
    if (!c) return;
    free(c->n_tokens); free(c->pending);
    free(c->k_cache); free(c->v_cache);
    free(c->x); free(c->h); free(c->q); free(c->k); free(c->v); free(c->att);
    free(c->qkv); free(c->ff_a); free(c->ff_b); free(c->scores);
    free(c->lin.rounded); free(c->lin.w_chunk); free(c->lin.y_chunk);
    free(c->pos); free(c->seq); free(c->want);
    free(c);
}

rg_status decoder_context_new(const void *model_state, const rg_context_options *opt,
                              void **ctx_state)
{
    const decoder_model *m = model_state;
    *ctx_state = NULL;
    int32_t n_ctx = opt && opt->n_ctx > 0 ? opt->n_ctx : m->n_ctx_train;
    if (!(opt && opt->n_ctx > 0) && n_ctx > DECODER_DEFAULT_CTX) n_ctx = DECODER_DEFAULT_CTX;
    int32_t n_seq = opt && opt->n_seq > 0 ? opt->n_seq : 1;
    if (n_ctx > m->n_ctx_train) {
        fail("context: n_ctx %d is more than the model's %d positions", n_ctx, m->n_ctx_train);
        return RG_ERR_INVALID;
    }
    if (n_seq > 4096) {
        fail("context: n_seq %d is more than 4096", n_seq);
        return RG_ERR_INVALID;
    }
    decoder_ctx *c = xcalloc(1, sizeof *c);
    if (!c) return RG_ERR_NOMEM;
    c->m = m;
    c->n_ctx = n_ctx;
    c->n_seq = n_seq;
    c->n_threads = opt && opt->n_threads > 0 ? opt->n_threads : 0;
    c->n_score_rows = c->n_threads > 0 ? c->n_threads : thread_count();
    if (c->n_score_rows < 1) c->n_score_rows = 1;

    size_t B = DECODER_MAX_BATCH, d = (size_t)m->d_model, qd = (size_t)q_dim(m);
    size_t kvd = (size_t)kv_dim(m), ff = (size_t)m->d_ff;
    size_t cache = (size_t)m->n_layers * (size_t)n_seq * (size_t)n_ctx * kvd;
    size_t wide = qd > d ? qd : d;
    c->n_tokens = xcalloc((size_t)n_seq, sizeof *c->n_tokens);
    c->pending = xcalloc((size_t)n_seq, sizeof *c->pending);
    c->k_cache = xmalloc(cache, sizeof(uint16_t));
    c->v_cache = xmalloc(cache, sizeof(uint16_t));
    c->x = xmalloc(B * d, sizeof(float));
    c->h = xmalloc(B * wide, sizeof(float));
    c->q = xmalloc(B * qd, sizeof(float));
    c->att = xmalloc(B * qd, sizeof(float));
    c->k = xmalloc(B * kvd, sizeof(float));
    c->v = xmalloc(B * kvd, sizeof(float));
    c->qkv = m->variant == DECODER_GPT2 ? xmalloc(B * (qd + 2 * kvd), sizeof(float))
                                        : xmalloc(1, sizeof(float));
    c->ff_a = xmalloc(B * ff, sizeof(float));
    c->ff_b = xmalloc(B * ff, sizeof(float));
    size_t widest = wide > ff ? wide : ff;
    c->lin.rounded = xmalloc(B * widest, sizeof(float));
    c->lin.w_chunk = xmalloc((size_t)GEMM_CHUNK * widest, sizeof(float));
    c->lin.y_chunk = xmalloc(B * (size_t)GEMM_CHUNK, sizeof(float));
    c->scores = xmalloc((size_t)c->n_score_rows * (size_t)n_ctx, sizeof(float));
    c->pos = xmalloc(B, sizeof *c->pos);
    c->seq = xmalloc(B, sizeof *c->seq);
    c->want = xmalloc(B, sizeof *c->want);
    if (!c->n_tokens || !c->pending || !c->k_cache || !c->v_cache || !c->x || !c->h ||
        !c->q || !c->att || !c->k || !c->v || !c->qkv || !c->ff_a || !c->ff_b ||
        !c->scores || !c->lin.rounded || !c->lin.w_chunk || !c->lin.y_chunk || !c->pos || !c->seq || !c->want) {
        decoder_context_free(c);
        return RG_ERR_NOMEM;
    }
    *ctx_state = c;
    return RG_OK;
}

void decoder_context_reset(void *ctx_state, int32_t seq)
{
    decoder_ctx *c = ctx_state;
    for (int32_t s = 0; s < c->n_seq; s++)
        if (seq < 0 || s == seq) c->n_tokens[s] = 0;
}

int32_t decoder_context_n_tokens(const void *ctx_state, int32_t seq)
{
    const decoder_ctx *c = ctx_state;
    return seq >= 0 && seq < c->n_seq ? c->n_tokens[seq] : 0;
}

/* ---- one step --------------------------------------------------------------- */

static float half_precision(float x) { return quant_f16_to_f32(quant_f32_to_f16(x)); }

/* Big batches (a prompt) are cheaper as float matrix products: from this
 * many rows on, GEMM_CHUNK weight rows at a time are expanded to float and
 * multiplied with the float kernels of tensor.h, which run several times
 * faster than the integer dot products. Smaller batches (decoding) read the
 * quantized blocks directly, with their inputs rounded as llama.cpp rounds
 * them (8-bit blocks for quantized weights, half precision for F16), so
 * that decoding agrees with llama.cpp to the last digits it can. */
static void linear_gemm(const decoder_linear *w, const float *X, int32_t n, float *Y,
                        const linear_scratch *s)
{
    if (w->type == RG_TYPE_F32) {
        matmul_forward(Y, X, w->data, w->bias, n, (int)w->cols, (int)w->rows);
        return;
    }
    size_t row_bytes = quant_row_bytes(w->type, w->cols);
    for (int64_t r0 = 0; r0 < w->rows; r0 += GEMM_CHUNK) {
        int64_t rc = w->rows - r0 < GEMM_CHUNK ? w->rows - r0 : GEMM_CHUNK;
        #pragma omp parallel for num_threads(kernel_threads())
        for (int64_t r = 0; r < rc; r++)
            quant_dequantize_row(w->type, (const char *)w->data + (size_t)(r0 + r) * row_bytes,
                                 s->w_chunk + r * w->cols, w->cols);
        matmul_forward(s->y_chunk, X, s->w_chunk, w->bias ? w->bias + r0 : NULL, n, (int)w->cols, (int)rc);
        for (int32_t i = 0; i < n; i++)
            memcpy(Y + (size_t)i * w->rows + r0, s->y_chunk + (size_t)i * rc, (size_t)rc * sizeof(float));
    }
}

/* Y[n, rows] = X[n, cols] · Wᵀ + bias */
static void linear(const decoder_linear *w, const float *X, int32_t n, float *Y, const linear_scratch *s)
{
    /* (with integer tiles, quant_matmul's own prompt path is faster still) */
    if (n >= GEMM_MIN_ROWS && !quant_has_integer_tiles(w->type, w->cols)) {
        linear_gemm(w, X, n, Y, s);
        return;
    }
    if (w->type == RG_TYPE_F16 || w->type == RG_TYPE_BF16) {
        size_t count = (size_t)n * (size_t)w->cols;
        for (size_t i = 0; i < count; i++)
            s->rounded[i] = w->type == RG_TYPE_F16 ? half_precision(X[i])
                                                   : quant_bf16_to_f32(quant_f32_to_bf16(X[i]));
        X = s->rounded;
    }
    if (n == 1) quant_matvec(w->type, w->data, w->rows, w->cols, X, Y);
    else quant_matmul(w->type, w->data, w->rows, w->cols, X, n, Y);
    if (w->bias)
        for (int32_t i = 0; i < n; i++)
            for (int64_t r = 0; r < w->rows; r++) Y[i * w->rows + r] += w->bias[r];
}

/* out[n, d] = norm(x[n, d]) with the layer's weights */
static void norm_rows(const decoder_model *m, float *out, const float *x, int32_t n,
                      const float *w, const float *b)
{
    int d = m->d_model;
    #pragma omp parallel for num_threads(kernel_threads()) if (n >= 8)
    for (int32_t i = 0; i < n; i++) {
        if (m->variant == DECODER_GPT2) layernorm_row(out + (size_t)i * d, x + (size_t)i * d, w, b, d, m->norm_eps);
        else rmsnorm_row(out + (size_t)i * d, x + (size_t)i * d, w, d, m->norm_eps);
    }
}

static void add_rows(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* The cached rows of one key/value head: [C, hd], a position per row. */
static uint16_t *cache_head(const decoder_ctx *c, uint16_t *cache, int32_t layer, int32_t seq, int32_t head)
{
    size_t rows = (((size_t)layer * c->n_seq + (size_t)seq) * c->m->n_head_kv + (size_t)head) * c->n_ctx;
    return cache + rows * (size_t)c->m->head_dim;
}

/* out[n] = x[n] rounded to half precision. */
static void to_half_precision(float *out, const float *x, int32_t n)
{
    for (int32_t i = 0; i < n; i++) out[i] = half_precision(x[i]);
}

/* One query head q [hd] against the first n_keys rows of a head's cache:
 *     p = softmax(q · k_s / sqrt(hd)),   out = sum_s p_s v_s
 * The numbers follow llama.cpp's default path: keys and values are held at
 * half precision (its F16 cache), the query is rounded to half precision
 * to meet them, and so are the weights p_s before they meet the values.
 * The two products are kernels (core/quant_blocks.h attn_*_f16), and so is
 * the softmax between them (the float kernels', kernels.h). */
static void attend(const QuantKernels *k, float *out, float *scores, const float *q, const uint16_t *keys,
                   const uint16_t *values, int32_t n_keys, int32_t hd)
{
    k->attn_scores_f16(scores, q, keys, n_keys, hd, 1.0f / sqrtf((float)hd));
    kernels()->softmax(scores, n_keys);
    k->attn_values_f16(out, scores, values, n_keys, hd);
}

/* Self-attention of the step's n tokens: q, k, v [n, ...] are this step's
 * projections (rotated); each token's keys and values go into its
 * sequence's cache at its position, then each query head attends to the
 * cache of its sequence up to its own position. Query head hh reads the
 * key/value head hh / (n_head / n_head_kv): grouped-query attention. */
static void attention(decoder_ctx *c, int32_t layer, int32_t n)
{
    const decoder_model *m = c->m;
    const QuantKernels *k = quant_kernels();
    int32_t hd = m->head_dim, qd = q_dim(m), kvd = kv_dim(m);
    int32_t group = m->n_head / m->n_head_kv;
    for (int32_t i = 0; i < n; i++) {
        for (int32_t g = 0; g < m->n_head_kv; g++) {
            size_t at = (size_t)c->pos[i] * hd;
            quant_quantize_row(RG_TYPE_F16, c->k + (size_t)i * kvd + (size_t)g * hd,
                               cache_head(c, c->k_cache, layer, c->seq[i], g) + at, hd);
            quant_quantize_row(RG_TYPE_F16, c->v + (size_t)i * kvd + (size_t)g * hd,
                               cache_head(c, c->v_cache, layer, c->seq[i], g) + at, hd);
        }
        to_half_precision(c->q + (size_t)i * qd, c->q + (size_t)i * qd, qd);
    }
    int32_t jobs = n * m->n_head;
    int nt = kernel_threads();
    if (nt > c->n_score_rows) nt = c->n_score_rows;
    #pragma omp parallel for num_threads(nt) schedule(dynamic, 4) if (jobs >= 4)
    for (int32_t job = 0; job < jobs; job++) {
        int32_t i = job / m->n_head, hh = job % m->n_head, g = hh / group;
        float *scores = c->scores + (size_t)kernel_thread_id() * c->n_ctx;
        attend(k, c->att + (size_t)i * qd + (size_t)hh * hd, scores, c->q + (size_t)i * qd + (size_t)hh * hd,
               cache_head(c, c->k_cache, layer, c->seq[i], g), cache_head(c, c->v_cache, layer, c->seq[i], g),
               c->pos[i] + 1, hd);
    }
}

static void rotate(decoder_ctx *c, int32_t n)
{
    const decoder_model *m = c->m;
    int32_t hd = m->head_dim;
    #pragma omp parallel for num_threads(kernel_threads()) if (n >= 8)
    for (int32_t i = 0; i < n; i++) {
        for (int32_t hh = 0; hh < m->n_head; hh++)
            rope_apply(c->q + ((size_t)i * m->n_head + hh) * hd, m->n_rot, m->rope_neox, c->pos[i],
                       m->rope_base, m->rope_freq_scale, m->rope_freqs);
        for (int32_t hh = 0; hh < m->n_head_kv; hh++)
            rope_apply(c->k + ((size_t)i * m->n_head_kv + hh) * hd, m->n_rot, m->rope_neox, c->pos[i],
                       m->rope_base, m->rope_freq_scale, m->rope_freqs);
    }
}

static void block(decoder_ctx *c, const decoder_layer *L, int32_t layer, int32_t n)
{
    const decoder_model *m = c->m;
    size_t d = (size_t)m->d_model, qd = (size_t)q_dim(m), kvd = (size_t)kv_dim(m);
    size_t ff = (size_t)m->d_ff;

    /* attention */
    norm_rows(m, c->h, c->x, n, L->attn_norm_w, L->attn_norm_b);
    if (m->variant == DECODER_GPT2) {
        size_t w = qd + 2 * kvd;
        linear(&L->wqkv, c->h, n, c->qkv, &c->lin);
        for (int32_t i = 0; i < n; i++) {
            memcpy(c->q + i * qd, c->qkv + i * w, qd * sizeof(float));
            memcpy(c->k + i * kvd, c->qkv + i * w + qd, kvd * sizeof(float));
            memcpy(c->v + i * kvd, c->qkv + i * w + qd + kvd, kvd * sizeof(float));
        }
    } else {
        linear(&L->wq, c->h, n, c->q, &c->lin);
        linear(&L->wk, c->h, n, c->k, &c->lin);
        linear(&L->wv, c->h, n, c->v, &c->lin);
        if (m->n_rot > 0) rotate(c, n);
    }
    attention(c, layer, n);
    linear(&L->wo, c->att, n, c->h, &c->lin);
    add_rows(c->x, c->h, (size_t)n * d);

    /* feed-forward */
    norm_rows(m, c->h, c->x, n, L->ffn_norm_w, L->ffn_norm_b);
    if (m->variant == DECODER_GPT2) {
        linear(&L->up, c->h, n, c->ff_a, &c->lin);
        gelu_forward(c->ff_a, c->ff_a, (size_t)n * (size_t)ff);   /* layers/gelu.c */
    } else {
        linear(&L->gate, c->h, n, c->ff_a, &c->lin);
        linear(&L->up, c->h, n, c->ff_b, &c->lin);
        #pragma omp parallel for num_threads(kernel_threads()) if (n >= 8)
        for (int32_t i = 0; i < n; i++) swiglu(c->ff_a + i * ff, c->ff_b + i * ff, (int64_t)ff);
    }
    linear(&L->down, c->ff_a, n, c->h, &c->lin);
    add_rows(c->x, c->h, (size_t)n * d);
}

/* Run n tokens (positions and sequences already in c->pos / c->seq) and
 * write the logits of the entries with c->want[i] to logits (in order), or
 * when hidden is not NULL the final normed states of all n to hidden. */
static void forward_step(decoder_ctx *c, const int32_t *tokens, int32_t n, float *logits,
                         float *hidden)
{
    const decoder_model *m = c->m;
    size_t d = (size_t)m->d_model;
    size_t emb_row = quant_row_bytes(m->tok_embd.type, m->d_model);
    size_t pos_row = m->pos_embd.data ? quant_row_bytes(m->pos_embd.type, m->d_model) : 0;
    for (int32_t i = 0; i < n; i++) {
        float *x = c->x + i * d;
        quant_dequantize_row(m->tok_embd.type, (const char *)m->tok_embd.data + emb_row * tokens[i], x, m->d_model);
        if (pos_row) {
            quant_dequantize_row(m->pos_embd.type, (const char *)m->pos_embd.data + pos_row * c->pos[i], c->h, m->d_model);
            add_rows(x, c->h, d);
        }
    }
    for (int32_t l = 0; l < m->n_layers; l++) block(c, &m->layers[l], l, n);

    if (hidden) {
        norm_rows(m, hidden, c->x, n, m->out_norm_w, m->out_norm_b);
        return;
    }
    int32_t n_out = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!c->want[i]) continue;
        norm_rows(m, c->h + n_out * d, c->x + i * d, 1, m->out_norm_w, m->out_norm_b);
        n_out++;
    }
    if (n_out > 0) linear(&m->output, c->h, n_out, logits, &c->lin);
}

/* Check the whole batch before anything changes: ids in the vocabulary,
 * sequences in range, every sequence within n_ctx. */
static rg_status check_batch(decoder_ctx *c, int32_t n, const int32_t *tokens, const int32_t *seq_ids)
{
    const decoder_model *m = c->m;
    memset(c->pending, 0, (size_t)c->n_seq * sizeof *c->pending);
    for (int32_t i = 0; i < n; i++) {
        int32_t s = seq_ids ? seq_ids[i] : 0;
        if (tokens[i] < 0 || tokens[i] >= m->n_vocab) {
            fail("decode: token %d (entry %d) is outside the vocabulary of %d", tokens[i], i, m->n_vocab);
            return RG_ERR_INVALID;
        }
        if (s < 0 || s >= c->n_seq) {
            fail("decode: sequence %d (entry %d) is outside [0, %d)", s, i, c->n_seq);
            return RG_ERR_INVALID;
        }
        if (c->n_tokens[s] + ++c->pending[s] > c->n_ctx) {
            fail("decode: sequence %d would exceed the context of %d tokens", s, c->n_ctx);
            return RG_ERR_LIMIT;
        }
    }
    return RG_OK;
}

rg_status decoder_decode(const void *model_state, void *ctx_state, int32_t n,
                         const int32_t *tokens, const int32_t *seq_ids,
                         const uint8_t *want_logits, float *logits)
{
    decoder_ctx *c = ctx_state;
    const decoder_model *m = model_state;
    if (n <= 0) return RG_OK;
    rg_status st = check_batch(c, n, tokens, seq_ids);
    if (st != RG_OK) return st;
#ifdef _OPENMP
    int saved_threads = omp_get_max_threads();
    if (c->n_threads > 0) omp_set_num_threads(c->n_threads);
#endif
    /* pending[s] counts down the entries of s still to come: the entry
     * that brings it to 0 is s's last (the default want_logits). */
    for (int32_t b0 = 0; b0 < n; b0 += DECODER_MAX_BATCH) {
        int32_t nb = n - b0 < DECODER_MAX_BATCH ? n - b0 : DECODER_MAX_BATCH;
        int32_t n_out = 0;
        for (int32_t j = 0; j < nb; j++) {
            int32_t i = b0 + j, s = seq_ids ? seq_ids[i] : 0;
            c->seq[j] = s;
            c->pos[j] = c->n_tokens[s]++;
            c->pending[s]--;
            c->want[j] = want_logits ? want_logits[i] != 0 : c->pending[s] == 0;
            n_out += c->want[j];
        }
        forward_step(c, tokens + b0, nb, logits, NULL);
        if (logits) logits += (size_t)n_out * m->n_vocab;
    }
#ifdef _OPENMP
    omp_set_num_threads(saved_threads);
#endif
    return RG_OK;
}

rg_status decoder_hidden(const void *model_state, void *ctx_state, int32_t n,
                         const int32_t *tokens, float *out)
{
    decoder_ctx *c = ctx_state;
    const decoder_model *m = model_state;
    if (n > DECODER_MAX_BATCH || n > c->n_ctx) {
        fail("hidden: %d tokens are more than one step of %d", n,
             c->n_ctx < DECODER_MAX_BATCH ? c->n_ctx : DECODER_MAX_BATCH);
        return RG_ERR_LIMIT;
    }
    for (int32_t i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= m->n_vocab) {
            fail("hidden: token %d is outside the vocabulary of %d", tokens[i], m->n_vocab);
            return RG_ERR_INVALID;
        }
        c->seq[i] = 0;
        c->pos[i] = i;
        c->want[i] = 0;
    }
    forward_step(c, tokens, n, NULL, out);
    c->n_tokens[0] = 0;   /* the sequence ran alone: leave nothing cached */
    return RG_OK;
}
