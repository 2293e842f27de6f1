/*
 * generate.c — one row at a time through the model, with a KV cache
 * (docs/10-decoding.md).
 *
 * generator_feed() is model_forward() for a single new position t: the same
 * layers in the same order, but attention reads the keys and values of
 * positions 0..t from the cache instead of recomputing them. test_generate.c
 * checks that it predicts exactly what the full forward pass predicts.
 */
#include "infer/generate.h"
#include "infer/text.h"
#include "archs/layers/layers.h"
#include "core/tensor.h"
#include "tokenizers/word.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int generator_create(Generator *g, const Model *m)
{
    memset(g, 0, sizeof *g);
    const ModelConfig *c = &m->config;
    size_t d = c->d_model, T = c->seq_len, L = c->n_layers;
    size_t row_floats = d + d + 3 * d + d + d + c->d_hidden + T + c->vocab_size;
    g->model = m;
    g->key_cache = xmalloc(L * T * d, sizeof(float));
    g->value_cache = xmalloc(L * T * d, sizeof(float));
    g->context = xmalloc(T, sizeof(int));
    g->memory = xmalloc(row_floats, sizeof(float));
    g->scratch = xmalloc((size_t)c->vocab_size, sizeof(int));
    if (!g->key_cache || !g->value_cache || !g->context || !g->memory || !g->scratch) {
        generator_free(g);
        return -1;
    }
    float *p = g->memory;
    g->x = p;       p += d;
    g->ln = p;      p += d;
    g->qkv = p;     p += 3 * d;
    g->att = p;     p += d;
    g->branch = p;  p += d;
    g->hidden = p;  p += c->d_hidden;
    g->scores = p;  p += T;
    g->logits = p;
    return 0;
}

void generator_free(Generator *g)
{
    free(g->key_cache);
    free(g->value_cache);
    free(g->context);
    free(g->memory);
    free(g->scratch);
    memset(g, 0, sizeof *g);
}

void generator_reset(Generator *g) { g->n_context = 0; }

void generator_copy(Generator *dst, const Generator *src)
{
    const ModelConfig *c = &src->model->config;
    size_t d = c->d_model, layer_stride = (size_t)c->seq_len * d, rows = (size_t)src->n_context * d;
    for (int l = 0; l < c->n_layers; l++) {
        memcpy(dst->key_cache + l * layer_stride, src->key_cache + l * layer_stride, rows * sizeof(float));
        memcpy(dst->value_cache + l * layer_stride, src->value_cache + l * layer_stride, rows * sizeof(float));
    }
    memcpy(dst->context, src->context, (size_t)src->n_context * sizeof(int));
    memcpy(dst->logits, src->logits, (size_t)c->vocab_size * sizeof(float));
    dst->n_context = src->n_context;
}

/* The forward pass for the token at position pos, given the cache holds
 * positions 0..pos-1. Shapes are single rows: x [d], qkv [3d], hidden [H]. */
static void forward_row(Generator *g, int token, int pos)
{
    const ModelConfig *c = &g->model->config;
    const Weights *w = &g->model->w;
    int d = c->d_model, H = c->d_hidden;
    size_t layer_stride = (size_t)c->seq_len * d;

    embedding_forward(g->x, &token, w->tok_emb, w->pos_emb + (size_t)pos * d, 1, 1, d);
    for (int l = 0; l < c->n_layers; l++) {
        const BlockWeights *bw = &w->blocks[l];
        float *keys = g->key_cache + l * layer_stride, *values = g->value_cache + l * layer_stride;
        float mean, rstd;
        layernorm_forward(g->ln, &mean, &rstd, g->x, bw->ln1_w, bw->ln1_b, 1, d);
        matmul_forward(g->qkv, g->ln, bw->qkv_w, bw->qkv_b, 1, d, 3 * d);
        memcpy(keys + (size_t)pos * d, g->qkv + d, d * sizeof(float));
        memcpy(values + (size_t)pos * d, g->qkv + 2 * d, d * sizeof(float));
        attention_decode_row(g->att, g->scores, g->qkv, keys, values, pos + 1, d, d, c->n_heads);
        matmul_forward(g->branch, g->att, bw->proj_w, bw->proj_b, 1, d, d);
        vec_add(g->x, g->branch, d);
        layernorm_forward(g->ln, &mean, &rstd, g->x, bw->ln2_w, bw->ln2_b, 1, d);
        matmul_forward(g->hidden, g->ln, bw->fc1_w, bw->fc1_b, 1, d, H);
        relu_forward(g->hidden, g->hidden, H);
        matmul_forward(g->branch, g->hidden, bw->fc2_w, bw->fc2_b, 1, H, d);
        vec_add(g->x, g->branch, d);
    }
    float mean, rstd;
    layernorm_forward(g->ln, &mean, &rstd, g->x, w->lnf_w, w->lnf_b, 1, d);
    matmul_forward(g->logits, g->ln, w->head_w, w->head_b, 1, d, c->vocab_size);
}

void generator_feed(Generator *g, int token)
{
    int T = g->model->config.seq_len;
    if (g->n_context == T) {
        /* Slide: keep the newest half and recompute its cache from position 0. */
        int keep = T / 2;
        memmove(g->context, g->context + (T - keep), (size_t)keep * sizeof(int));
        for (int pos = 0; pos < keep; pos++) forward_row(g, g->context[pos], pos);
        g->n_context = keep;
    }
    forward_row(g, token, g->n_context);
    g->context[g->n_context++] = token;
}

int generate(Generator *g, const int *prompt, int n_prompt, const SamplingOptions *opt,
             Rng *rng, TokenCallback on_token, void *ctx)
{
    for (int i = 0; i < n_prompt; i++) generator_feed(g, prompt[i]);
    int V = g->model->config.vocab_size, produced = 0, eos = model_eos(g->model);
    while (produced < opt->max_tokens) {
        apply_repeat_penalty(g->logits, V, g->context, g->n_context, opt->repeat_penalty);
        int next = sample_token(g->logits, V, opt, rng, g->scratch);
        produced++;
        generator_feed(g, next);
        int stop = on_token ? on_token(next, ctx) : 0;
        if (next == eos || stop) break;
    }
    return produced;
}

int answer_reproduced(Generator *g, const int *tokens, int n)
{
    int start = model_answer_start(g->model, tokens, n);
    if (start == 0) return -1;
    /* Greedy decoding must produce every reference token in turn: the same
     * as generating the whole answer and comparing it. */
    int V = g->model->config.vocab_size;
    generator_reset(g);
    for (int i = 0; i < start; i++) generator_feed(g, tokens[i]);
    for (int i = start; i < n; i++) {
        if (argmax(g->logits, V) != tokens[i]) return 0;
        if (i + 1 < n) generator_feed(g, tokens[i]);
    }
    return 1;
}
