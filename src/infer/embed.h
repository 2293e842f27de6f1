/*
 * embed.h — texts to embedding vectors (embed.c), below rg_embed.
 *
 * rg_embed (include/rustgpt.h) finds the pieces of its context (the
 * architecture and its states, the tokenizer, the declared pooling) and
 * hands them here as an EmbedModel, so that this file depends on nothing
 * but the vtables.
 */
#ifndef RUSTGPT_EMBED_H
#define RUSTGPT_EMBED_H

#include "rustgpt/plugin.h"

typedef struct {
    const rg_arch_vtable *arch;
    const void *model_state;
    void *ctx_state;                 /* one context: one thread at a time     */
    const rg_tokenizer_vtable *tok;
    const void *tok_state;
    int32_t n_ctx;                   /* positions per text                    */
    int32_t n_embd;                  /* width of a hidden state / embedding   */
    rg_pooling declared;             /* the file's <arch>.pooling_type, or RG_POOL_DEFAULT */
} EmbedModel;

/* The texts' embeddings into out [n, n_embd] (rg_embed's contract). */
rg_status embed_texts(const EmbedModel *m, const char *const *texts, int32_t n, rg_embed_options *opt,
                      float *out);

/* Pool hidden [n_tokens, d] into out [d]; n_tokens 0 gives zeros. */
void embed_pool(rg_pooling pooling, const float *hidden, int32_t n_tokens, int32_t d, float *out);

/* Scale x [d] to unit L2 norm (a zero vector stays zero). */
void embed_normalize(float *x, int32_t d);

/* "mean", "cls", "last", "max", "mean-sqrt", "none"; NULL for others. And
 * back (-1 after fail() for an unknown name). */
const char *embed_pooling_name(rg_pooling p);
int embed_pooling_from_name(const char *name, rg_pooling *out);

/* The pooling the model file declares (<arch>.pooling_type: mean, cls or
 * last), or RG_POOL_DEFAULT. */
rg_pooling embed_declared_pooling(const rg_model *model);

/* The pooling rg_embed uses for `requested` on a model declaring
 * `declared` (RG_POOL_DEFAULT: none declared): an explicit request wins,
 * then the declaration, then mean. */
rg_pooling embed_resolve_pooling(rg_pooling requested, rg_pooling declared);

#endif
