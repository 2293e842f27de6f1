/*
 * batch_forward.c — the forward pass of rustgpt's own model for R new
 * positions at once, each with its own KV cache (batch_forward.h).
 *
 * It is model_forward() (archs/gpt.c) where the B x T grid of a training
 * batch becomes a list of rows, each with its own generator and position:
 *
 *   x[r]  = tok_emb[token r] + pos_emb[pos r]                   x [R, d]
 *   for each block:
 *       qkv = ln1(x) Wqkvᵀ + b                                   [R, 3d]
 *       K, V of row r -> its generator's cache at pos r
 *       att[r] = attention(q[r], that cache's rows 0..pos r)     [R, d]
 *       x += att Wprojᵀ + b
 *       x += relu(ln2(x) W1ᵀ + b1) W2ᵀ + b2      (gelu for gpt2)
 *   logits[r] = ln_f(x[r]) Wheadᵀ + b      only for the rows that need them
 *
 * The products are tensor.h's matmul_forward_rows: up to 31 rows, each
 * row's numbers are the bits it gets alone, so batching changes no
 * stream's output; a longer prompt step takes the blocked product.
 *
 * Every K and V of a step is written before any row attends, so a row can
 * attend to earlier rows of its own sequence in the same step (a prompt
 * fed whole). The head, V x d, is the largest matrix of a small model; it
 * runs only on the rows whose logits someone reads: the entries the caller
 * wants and each generator's last row.
 */
#include "infer/batch_forward.h"
#include "archs/layers/layers.h"
#include "core/tensor.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int row_batch_create(RowBatch *rb, const Model *m, int max_rows)
{
    memset(rb, 0, sizeof *rb);
    const ModelConfig *c = &m->config;
    size_t R = (size_t)(max_rows > 0 ? max_rows : 1), d = c->d_model;
    rb->model = m;
    rb->max_rows = (int)R;
#ifdef _OPENMP
    rb->n_score_rows = omp_get_max_threads();
#endif
    if (rb->n_score_rows < 1) rb->n_score_rows = 1;
    size_t floats = R * (d + d + 3 * d + d + d + (size_t)c->d_hidden + 2 + d + (size_t)c->vocab_size)
                  + (size_t)rb->n_score_rows * (size_t)c->seq_len;
    rb->memory = xmalloc(floats, sizeof(float));
    rb->gen = xmalloc(R, sizeof *rb->gen);
    rb->pos = xmalloc(R, sizeof *rb->pos);
    rb->token = xmalloc(R, sizeof *rb->token);
    rb->index = xmalloc(R, sizeof *rb->index);
    rb->out = xmalloc(R, sizeof *rb->out);
    rb->last = xmalloc(R, sizeof *rb->last);
    if (!rb->memory || !rb->gen || !rb->pos || !rb->token || !rb->index || !rb->out || !rb->last) {
        row_batch_free(rb);
        return -1;
    }
    float *p = rb->memory;
#define TAKE(field, count) do { (field) = p; p += (count); } while (0)
    TAKE(rb->x, R * d); TAKE(rb->ln, R * d); TAKE(rb->qkv, R * 3 * d);
    TAKE(rb->att, R * d); TAKE(rb->branch, R * d); TAKE(rb->hidden, R * c->d_hidden);
    TAKE(rb->mean, R); TAKE(rb->rstd, R);
    TAKE(rb->head_in, R * d); TAKE(rb->logits, R * c->vocab_size);
    TAKE(rb->scores, (size_t)rb->n_score_rows * c->seq_len);
#undef TAKE
    return 0;
}

void row_batch_free(RowBatch *rb)
{
    free(rb->memory);
    free(rb->gen); free(rb->pos); free(rb->token); free(rb->index); free(rb->out); free(rb->last);
    memset(rb, 0, sizeof *rb);
}

/* Self-attention of the n staged rows at layer l, qkv [n, 3d] computed:
 * first every row's key and value go into its cache at its position, then
 * each row attends to its cache up to its own position. */
static void attend_rows(RowBatch *rb, int l, int n)
{
    const ModelConfig *c = &rb->model->config;
    int d = c->d_model, T = c->seq_len;
    size_t layer = (size_t)l * T * d;
    for (int r = 0; r < n; r++) {
        Generator *g = rb->gen[r];
        const float *qkv = rb->qkv + (size_t)r * 3 * d;
        memcpy(g->key_cache + layer + (size_t)rb->pos[r] * d, qkv + d, (size_t)d * sizeof(float));
        memcpy(g->value_cache + layer + (size_t)rb->pos[r] * d, qkv + 2 * d, (size_t)d * sizeof(float));
    }
    int threads = kernel_threads();
    if (threads > rb->n_score_rows) threads = rb->n_score_rows;
    #pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (n >= 4 && threads > 1)
    for (int r = 0; r < n; r++) {
        const Generator *g = rb->gen[r];
        float *scores = rb->scores + (size_t)kernel_thread_id() * T;
        attention_decode_row(rb->att + (size_t)r * d, scores, rb->qkv + (size_t)r * 3 * d,
                             g->key_cache + layer, g->value_cache + layer, rb->pos[r] + 1, d, d,
                             c->n_heads);
    }
}

/* One forward step over the n staged rows; each row's generator has its
 * token in its context already. hidden, when not NULL, gets ln_f(x) of
 * each row at its caller's index. */
static void run_step(RowBatch *rb, int n, float *hidden)
{
    if (n == 0) return;
    const ModelConfig *c = &rb->model->config;
    const Weights *w = &rb->model->w;
    int d = c->d_model, H = c->d_hidden, V = c->vocab_size;
    size_t nd = (size_t)n * d, nH = (size_t)n * H;

    for (int r = 0; r < n; r++)
        embedding_forward(rb->x + (size_t)r * d, &rb->token[r], w->tok_emb,
                          w->pos_emb + (size_t)rb->pos[r] * d, 1, 1, d);
    for (int l = 0; l < c->n_layers; l++) {
        const BlockWeights *bw = &w->blocks[l];
        layernorm_forward(rb->ln, rb->mean, rb->rstd, rb->x, bw->ln1_w, bw->ln1_b, n, d);
        matmul_forward_rows(rb->qkv, rb->ln, bw->qkv_w, bw->qkv_b, n, d, 3 * d);
        attend_rows(rb, l, n);
        matmul_forward_rows(rb->branch, rb->att, bw->proj_w, bw->proj_b, n, d, d);
        vec_add(rb->x, rb->branch, nd);
        layernorm_forward(rb->ln, rb->mean, rb->rstd, rb->x, bw->ln2_w, bw->ln2_b, n, d);
        matmul_forward_rows(rb->hidden, rb->ln, bw->fc1_w, bw->fc1_b, n, d, H);
        if (c->variant == GPT_GPT2) gelu_forward(rb->hidden, rb->hidden, nH);
        else relu_forward(rb->hidden, rb->hidden, nH);
        matmul_forward_rows(rb->branch, rb->hidden, bw->fc2_w, bw->fc2_b, n, H, d);
        vec_add(rb->x, rb->branch, nd);
    }
    layernorm_forward(rb->ln, rb->mean, rb->rstd, rb->x, w->lnf_w, w->lnf_b, n, d);
    for (int r = 0; hidden && r < n; r++)
        if (rb->index[r] >= 0)
            memcpy(hidden + (size_t)rb->index[r] * d, rb->ln + (size_t)r * d, (size_t)d * sizeof(float));

    /* The head, on the rows whose logits are read, gathered into head_in. */
    int k = 0;
    for (int r = 0; r < n; r++)
        if (rb->out[r] || rb->last[r])
            memcpy(rb->head_in + (size_t)k++ * d, rb->ln + (size_t)r * d, (size_t)d * sizeof(float));
    if (k == 0) return;
    matmul_forward_rows(rb->logits, rb->head_in, w->head_w, w->head_b, k, d, V);
    k = 0;
    for (int r = 0; r < n; r++) {
        if (!rb->out[r] && !rb->last[r]) continue;
        const float *row = rb->logits + (size_t)k++ * V;
        if (rb->out[r]) memcpy(rb->out[r], row, (size_t)V * sizeof(float));
        if (rb->last[r]) memcpy(rb->gen[r]->logits, row, (size_t)V * sizeof(float));
    }
}

/* Stage token for g at its next position. */
static void stage(RowBatch *rb, int *n_staged, Generator *g, int token, int index, float *out, int last)
{
    int r = (*n_staged)++;
    int pos = g->n_context++;
    g->context[pos] = token;
    rb->gen[r] = g;
    rb->pos[r] = pos;
    rb->token[r] = token;
    rb->index[r] = index;
    rb->out[r] = out;
    rb->last[r] = (uint8_t)last;
}

/* g's window is full: run what is staged (rows of g among it attend to the
 * cache as it is), then keep the newest half of g's tokens and stage them
 * again at positions 0.. (generate.h says why). */
static void slide(RowBatch *rb, int *n_staged, Generator *g, float *hidden)
{
    run_step(rb, *n_staged, hidden);
    *n_staged = 0;
    int T = rb->model->config.seq_len, keep = T / 2;
    memmove(g->context, g->context + (T - keep), (size_t)keep * sizeof(int));
    g->n_context = 0;
    for (int p = 0; p < keep; p++) {
        if (*n_staged == rb->max_rows) {
            run_step(rb, *n_staged, hidden);
            *n_staged = 0;
        }
        stage(rb, n_staged, g, g->context[p], -1, NULL, 0);   /* context[p] stays itself */
    }
}

void row_batch_feed(RowBatch *rb, Generator *const *gens, const int32_t *seq, const int *tokens,
                    int n, const RowOutputs *outputs)
{
    const ModelConfig *c = &rb->model->config;
    const uint8_t *want = outputs ? outputs->want : NULL;
    float *out_next = outputs ? outputs->logits : NULL;
    float *hidden = outputs ? outputs->hidden : NULL;
    /* rows_left counts each generator's entries still to come: the entry
     * that brings it to 0 is the generator's last. */
    for (int i = 0; i < n; i++) gens[seq ? seq[i] : 0]->rows_left = 0;
    for (int i = 0; i < n; i++) gens[seq ? seq[i] : 0]->rows_left++;
    int staged = 0;
    for (int i = 0; i < n; i++) {
        Generator *g = gens[seq ? seq[i] : 0];
        if (g->n_context == c->seq_len) slide(rb, &staged, g, hidden);
        if (staged == rb->max_rows) {
            run_step(rb, staged, hidden);
            staged = 0;
        }
        int last = --g->rows_left == 0;
        float *out = NULL;
        if (out_next && (want ? want[i] != 0 : last)) {
            out = out_next;
            out_next += c->vocab_size;
        }
        stage(rb, &staged, g, tokens[i], i, out, last);
    }
    run_step(rb, staged, hidden);
}
