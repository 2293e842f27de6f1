/*
 * generate.c — generation with a KV cache (docs/10-decoding.md).
 *
 * generator_feed() is model_forward() for a single new position t: the same
 * layers in the same order, but attention reads the keys and values of
 * positions 0..t from the cache instead of recomputing them. The pass
 * itself is batch_forward.c's, with one row (or, for a prompt, up to
 * GENERATOR_BATCH_ROWS rows at once). test_generate.c checks that it
 * predicts exactly what the full forward pass predicts.
 */
#include "infer/generate.h"
#include "infer/batch_forward.h"
#include "infer/text.h"
#include "archs/layers/layers.h"
#include "core/tensor.h"
#include "tokenizers/word.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int generator_create_rows(Generator *g, const Model *m, int batch_rows)
{
    memset(g, 0, sizeof *g);
    const ModelConfig *c = &m->config;
    size_t d = c->d_model, T = c->seq_len, L = c->n_layers;
    g->model = m;
    g->key_cache = xmalloc(L * T * d, sizeof(float));
    g->value_cache = xmalloc(L * T * d, sizeof(float));
    g->context = xmalloc(T, sizeof(int));
    g->logits = xmalloc((size_t)c->vocab_size, sizeof(float));
    g->scratch = xmalloc((size_t)c->vocab_size, sizeof(int));
    g->batch = xcalloc(1, sizeof *g->batch);   /* zeroed: safe to free unmade */
    if (!g->key_cache || !g->value_cache || !g->context || !g->logits || !g->scratch || !g->batch ||
        row_batch_create(g->batch, m, batch_rows) != 0) {
        generator_free(g);
        return -1;
    }
    return 0;
}

int generator_create(Generator *g, const Model *m)
{
    return generator_create_rows(g, m, GENERATOR_BATCH_ROWS);
}

void generator_free(Generator *g)
{
    free(g->key_cache);
    free(g->value_cache);
    free(g->context);
    free(g->logits);
    free(g->scratch);
    if (g->batch) row_batch_free(g->batch);
    free(g->batch);
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

/* One token is a batch of one row (batch_forward.c); slides included. */
void generator_feed(Generator *g, int token)
{
    row_batch_feed(g->batch, &g, NULL, &token, 1, NULL);
}

void generator_feed_many(Generator *g, const int *tokens, int n)
{
    row_batch_feed(g->batch, &g, NULL, tokens, n, NULL);
}

int generate(Generator *g, const int *prompt, int n_prompt, const SamplingOptions *opt,
             Rng *rng, TokenCallback on_token, void *ctx)
{
    generator_feed_many(g, prompt, n_prompt);
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
    generator_feed_many(g, tokens, start);
    for (int i = start; i < n; i++) {
        if (argmax(g->logits, V) != tokens[i]) return 0;
        if (i + 1 < n) generator_feed(g, tokens[i]);
    }
    return 1;
}
