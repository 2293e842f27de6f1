/*
 * gpt_arch.c — the trainable GPT (gpt.h) behind the architecture interface
 * of rustgpt/plugin.h, registered as "gpt".
 *
 * The model state is a Model built from the source (gpt_source.c) plus its
 * parameter table. A context holds one Generator (infer/generate.h: KV cache
 * and logits) per sequence and one RowBatch (infer/batch_forward.h) that
 * runs every entry of an rg_decode call through the model together,
 * GPT_BATCH_ROWS rows per pass over the weights, whatever sequences they
 * belong to: the server's slots are decoded as one matrix product per layer.
 * All of it is allocated up front, so decoding does not allocate; a full
 * window slides the way DESIGN.md §2 says (keep the newest half), so a gpt
 * context never runs out of room. hidden() runs a sequence alone through
 * the same batch and keeps ln_f's output of every row.
 * forward_backward() is model_forward + model_backward over Activations the
 * context allocates on first use.
 */
#include "archs/gpt_source.h"
#include "infer/batch_forward.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    Model model;
    int n_tensors;
    TensorInfo *tensors;         /* the parameter table, names included */
} GptModel;

/* Rows per forward step: the slots of a server, or 64 tokens of a prompt. */
enum { GPT_BATCH_ROWS = 64 };

typedef struct {
    const GptModel *gm;
    int32_t n_seq;
    Generator *gens;             /* [n_seq] */
    Generator **seq_gens;        /* [n_seq] &gens[i], as row_batch_feed takes them */
    RowBatch batch;
    Activations act;             /* training, allocated on first use */
    int act_batch;
    int32_t *targets;            /* [act_batch * T] targets with -1 mapped to <pad> */
} GptContext;

static void gpt_destroy(void *state)
{
    GptModel *gm = state;
    if (!gm) return;
    model_free(&gm->model);
    free(gm->tensors);
    free(gm);
}

static rg_status gpt_create(const rg_source *src, void **state, rg_model_info *info)
{
    GptModel *gm = calloc(1, sizeof *gm);
    if (!gm) return fail_status(RG_ERR_NOMEM, "out of memory creating a model");
    rg_status st = gpt_model_from_source(&gm->model, src);
    if (st != RG_OK) {
        free(gm);
        return st;
    }
    const ModelConfig *c = &gm->model.config;
    gm->n_tensors = model_tensor_count(c);
    gm->tensors = calloc((size_t)gm->n_tensors, sizeof *gm->tensors);
    if (!gm->tensors) {
        gpt_destroy(gm);
        return fail_status(RG_ERR_NOMEM, "out of memory creating a model");
    }
    for (int i = 0; i < gm->n_tensors; i++) gm->tensors[i] = model_tensor_info(c, i);
    info->n_vocab = c->vocab_size;
    info->n_ctx = c->seq_len;
    info->d_model = c->d_model;
    info->n_layers = c->n_layers;
    info->n_heads = c->n_heads;
    info->n_embd = c->d_model;
    info->n_params = gm->model.n_params;
    info->causal = 1;
    info->can_generate = 1;
    info->can_train = 1;
    *state = gm;
    return RG_OK;
}

static void gpt_context_free(void *state)
{
    GptContext *ctx = state;
    if (!ctx) return;
    for (int32_t i = 0; ctx->gens && i < ctx->n_seq; i++) generator_free(&ctx->gens[i]);
    free(ctx->gens);
    free(ctx->seq_gens);
    row_batch_free(&ctx->batch);
    activations_free(&ctx->act);
    free(ctx->targets);
    free(ctx);
}

static rg_status gpt_context_new(const void *model_state, const rg_context_options *opt, void **state)
{
    const GptModel *gm = model_state;
    int32_t n_seq = opt && opt->n_seq > 0 ? opt->n_seq : 1;
    if (opt && opt->n_ctx > gm->model.config.seq_len)
        return fail_status(RG_ERR_INVALID, "n_ctx %d is more than the model's context of %d positions",
                           opt->n_ctx, gm->model.config.seq_len);
    GptContext *ctx = calloc(1, sizeof *ctx);
    if (!ctx || !(ctx->gens = calloc((size_t)n_seq, sizeof *ctx->gens)) ||
        !(ctx->seq_gens = calloc((size_t)n_seq, sizeof *ctx->seq_gens))) {
        if (ctx) free(ctx->gens);
        free(ctx);
        return fail_status(RG_ERR_NOMEM, "out of memory creating a context");
    }
    ctx->gm = gm;
    ctx->n_seq = n_seq;
    if (row_batch_create(&ctx->batch, &gm->model, GPT_BATCH_ROWS) != 0) {
        gpt_context_free(ctx);
        return RG_ERR_NOMEM;
    }
    for (int32_t i = 0; i < n_seq; i++) {
        ctx->seq_gens[i] = &ctx->gens[i];
        if (generator_create_rows(&ctx->gens[i], &gm->model, 1) != 0) {
            gpt_context_free(ctx);
            return RG_ERR_NOMEM;
        }
    }
    *state = ctx;
    return RG_OK;
}

static void gpt_context_reset(void *state, int32_t seq)
{
    GptContext *ctx = state;
    for (int32_t i = 0; i < ctx->n_seq; i++)
        if (seq < 0 || seq == i) generator_reset(&ctx->gens[i]);
}

static int32_t gpt_context_n_tokens(const void *state, int32_t seq)
{
    const GptContext *ctx = state;
    return seq >= 0 && seq < ctx->n_seq ? ctx->gens[seq].n_context : 0;
}

static rg_status gpt_decode(const void *model_state, void *state, int32_t n, const int32_t *tokens,
                            const int32_t *seq_ids, const uint8_t *want_logits, float *logits)
{
    const GptModel *gm = model_state;
    GptContext *ctx = state;
    int V = gm->model.config.vocab_size;
    for (int32_t i = 0; i < n; i++) {         /* check everything before changing anything */
        int32_t seq = seq_ids ? seq_ids[i] : 0;
        if (tokens[i] < 0 || tokens[i] >= V)
            return fail_status(RG_ERR_INVALID, "token %d is outside the vocabulary (%d tokens)", tokens[i], V);
        if (seq < 0 || seq >= ctx->n_seq)
            return fail_status(RG_ERR_INVALID, "sequence %d is outside [0, %d)", seq, ctx->n_seq);
    }
    RowOutputs outputs = { want_logits, logits, NULL };
    row_batch_feed(&ctx->batch, ctx->seq_gens, seq_ids, tokens, n, &outputs);
    return RG_OK;
}

static rg_status gpt_hidden(const void *model_state, void *state, int32_t n, const int32_t *tokens, float *out)
{
    const GptModel *gm = model_state;
    GptContext *ctx = state;
    int T = gm->model.config.seq_len, V = gm->model.config.vocab_size;
    if (n > T) return fail_status(RG_ERR_LIMIT, "%d tokens are more than the model's context of %d", n, T);
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return fail_status(RG_ERR_INVALID, "token %d is outside the vocabulary (%d tokens)", tokens[i], V);
    Generator *g = &ctx->gens[0];
    generator_reset(g);
    RowOutputs outputs = { NULL, NULL, out };      /* ln_f(x) of every position */
    row_batch_feed(&ctx->batch, ctx->seq_gens, NULL, tokens, n, &outputs);
    generator_reset(g);
    return RG_OK;
}

static int32_t gpt_n_params(const void *model_state) { return ((const GptModel *)model_state)->n_tensors; }

static rg_status gpt_param(const void *model_state, int32_t i, rg_tensor *out)
{
    const GptModel *gm = model_state;
    if (i < 0 || i >= gm->n_tensors) return fail_status(RG_ERR_INVALID, "parameter %d is outside [0, %d)", i, gm->n_tensors);
    const TensorInfo *info = &gm->tensors[i];
    *out = (rg_tensor){ info->name, RG_TYPE_F32, info->ndim, { 0 }, gm->model.params + info->offset,
                        info->numel * sizeof(float) };
    for (int d = 0; d < info->ndim; d++) out->dims[d] = info->shape[info->ndim - 1 - d];
    return RG_OK;
}

static rg_status gpt_forward_backward(void *model_state, void *state, int32_t batch, int32_t seq_len,
                                      const int32_t *ids, const int32_t *targets, float *grads, float *loss)
{
    GptModel *gm = model_state;
    GptContext *ctx = state;
    const ModelConfig *c = &gm->model.config;
    if (batch <= 0 || seq_len <= 0 || seq_len > c->seq_len)
        return fail_status(RG_ERR_INVALID, "a batch of %d x %d does not fit a context of %d", batch, seq_len, c->seq_len);
    size_t N = (size_t)batch * seq_len;
    if (batch > ctx->act_batch) {
        activations_free(&ctx->act);
        free(ctx->targets);
        ctx->act_batch = 0;
        ctx->targets = xmalloc((size_t)batch * c->seq_len, sizeof *ctx->targets);
        if (!ctx->targets || activations_create(&ctx->act, c, batch) != 0) return RG_ERR_NOMEM;
        ctx->act_batch = batch;
    }
    for (size_t r = 0; r < N; r++) {
        if (ids[r] < 0 || ids[r] >= c->vocab_size || targets[r] < -1 || targets[r] >= c->vocab_size)
            return fail_status(RG_ERR_INVALID, "token %d or target %d is outside the vocabulary", ids[r], targets[r]);
        ctx->targets[r] = targets[r] < 0 ? TOKEN_PAD : targets[r];
    }
    int n_targets;
    float l = model_forward(&gm->model, &ctx->act, ids, ctx->targets, batch, seq_len, &n_targets);
    model_backward(&gm->model, &ctx->act, grads, ids, ctx->targets);
    if (loss) *loss = l;
    return RG_OK;
}

const rg_arch_vtable rg_gpt_arch = {
    .abi_version = RG_ABI_VERSION,
    .name = GPT_ARCH_NAME,
    .version = 1,
    .create = gpt_create,
    .destroy = gpt_destroy,
    .context_new = gpt_context_new,
    .context_free = gpt_context_free,
    .context_reset = gpt_context_reset,
    .context_n_tokens = gpt_context_n_tokens,
    .decode = gpt_decode,
    .hidden = gpt_hidden,
    .n_params = gpt_n_params,
    .param = gpt_param,
    .forward_backward = gpt_forward_backward,
};
