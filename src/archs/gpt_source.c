/*
 * gpt_source.c — the GPT's config, weights and vocabulary to and from an
 * rg_source (gpt_source.h has the keys). The formats of rustgpt's own files
 * go through here, so a model loaded from .bin, .json or .safetensors and
 * one built from any other format's source are the same thing.
 */
#include "archs/gpt_source.h"
#include "api/handles.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const config_keys[6] = {
    "gpt.vocab_size", "gpt.embedding_length", "gpt.attention.head_count",
    "gpt.feed_forward_length", "gpt.block_count", "gpt.context_length",
};

rg_status gpt_config_from_source(ModelConfig *c, const rg_source *src)
{
    int *fields[6] = { &c->vocab_size, &c->d_model, &c->n_heads, &c->d_hidden, &c->n_layers, &c->seq_len };
    c->variant = GPT_RUSTGPT;
    for (int i = 0; i < 6; i++) {
        int64_t v;
        rg_status st = rg_source_int(src, config_keys[i], &v);
        if (st != RG_OK) return st == RG_ERR_NOT_FOUND ? RG_ERR_FORMAT : st;
        if (v <= 0 || v > (1 << 30))
            return fail_status(RG_ERR_FORMAT, "%s is %lld, outside 1..2^30", config_keys[i], (long long)v);
        *fields[i] = (int)v;
    }
    const char *variant;                 /* absent: rustgpt's own block */
    if (rg_source_string(src, "gpt.variant", &variant, NULL) == RG_OK &&
        (c->variant = model_variant_parse(variant)) < 0)
        return fail_status(RG_ERR_FORMAT, "gpt.variant \"%s\" is neither \"rustgpt\" nor \"gpt2\"", variant);
    if (config_validate(c) != 0) return RG_ERR_FORMAT;
    return RG_OK;
}

/* The tensor named by info, checked against the shape info says. */
static rg_status find_tensor(const rg_source *src, const TensorInfo *info, const rg_tensor **out)
{
    const rg_tensor *t = rg_source_tensor(src, info->name);
    if (!t) return fail_status(RG_ERR_FORMAT, "tensor %s is missing", info->name);
    if (t->type != RG_TYPE_F32)
        return fail_status(RG_ERR_UNSUPPORTED, "tensor %s has type %d; the gpt architecture reads F32 only",
                           info->name, (int)t->type);
    int ok = t->n_dims == info->ndim && t->n_bytes == info->numel * sizeof(float);
    for (int d = 0; ok && d < info->ndim; d++)
        ok = t->dims[d] == info->shape[info->ndim - 1 - d];
    if (!ok)
        return fail_status(RG_ERR_FORMAT, "tensor %s does not have the shape the config gives it", info->name);
    *out = t;
    return RG_OK;
}

/* The word vocabulary of src, when its tokenizer is "word" (or unnamed). */
static rg_status vocab_from_source(Vocab *vocab, const rg_source *src)
{
    const char *model = "word";
    if (rg_source_string(src, "tokenizer.ggml.model", &model, NULL) == RG_ERR_FORMAT) return RG_ERR_FORMAT;
    if (strcmp(model, "word") != 0) return RG_OK;
    rg_status st = word_vocab_from_source(vocab, src);
    return st == RG_ERR_NOT_FOUND ? RG_OK : st;
}

rg_status gpt_model_from_source(Model *m, const rg_source *src)
{
    memset(m, 0, sizeof *m);
    ModelConfig c;
    rg_status st = gpt_config_from_source(&c, src);
    if (st != RG_OK) return st;
    if (model_create(m, &c) != 0) return RG_ERR_NOMEM;
    int n = model_tensor_count(&c);
    for (int i = 0; i < n; i++) {
        TensorInfo info = model_tensor_info(&c, i);
        const rg_tensor *t = NULL;
        if ((st = find_tensor(src, &info, &t)) != RG_OK) {
            model_free(m);
            return st;
        }
        memcpy(m->params + info.offset, t->data, info.numel * sizeof(float));
    }
    const char *kind = "word";
    rg_source_string(src, "tokenizer.ggml.model", &kind, NULL);
    if (strcmp(kind, "word") == 0) st = vocab_from_source(&m->vocab, src);
    else st = tokenizer_from_source(src, "the model", &m->tokenizer);
    if (st == RG_OK && m->vocab.words && m->vocab.size != c.vocab_size)
        st = fail_status(RG_ERR_FORMAT, "the vocabulary has %d words but vocab_size is %d",
                         m->vocab.size, c.vocab_size);
    if (st == RG_OK && m->tokenizer && rg_tokenizer_n_vocab(m->tokenizer) != c.vocab_size)
        st = fail_status(RG_ERR_FORMAT, "the %s tokenizer has %d tokens but vocab_size is %d",
                         rg_tokenizer_kind(m->tokenizer), rg_tokenizer_n_vocab(m->tokenizer), c.vocab_size);
    if (st != RG_OK) model_free(m);
    return st;
}

rg_status gpt_model_to_source(const Model *m, rg_source *dst)
{
    const ModelConfig *c = &m->config;
    const int values[6] = { c->vocab_size, c->d_model, c->n_heads, c->d_hidden, c->n_layers, c->seq_len };
    rg_status st = rg_source_set_string(dst, "general.architecture", GPT_ARCH_NAME, strlen(GPT_ARCH_NAME));
    for (int i = 0; i < 6 && st == RG_OK; i++) st = rg_source_set_int(dst, config_keys[i], values[i]);
    if (st == RG_OK && c->variant != GPT_RUSTGPT)
        st = rg_source_set_string(dst, "gpt.variant", model_variant_name(c->variant),
                                  strlen(model_variant_name(c->variant)));
    int n = model_tensor_count(c);
    for (int i = 0; i < n && st == RG_OK; i++) {
        TensorInfo info = model_tensor_info(c, i);
        rg_tensor t = { info.name, RG_TYPE_F32, info.ndim, { 0 }, m->params + info.offset,
                        info.numel * sizeof(float) };
        for (int d = 0; d < info.ndim; d++) t.dims[d] = info.shape[info.ndim - 1 - d];
        st = rg_source_add_tensor(dst, &t);
    }
    if (st == RG_OK && m->tokenizer) {
        if (!m->tokenizer->vt->to_source)
            return fail_status(RG_ERR_UNSUPPORTED, "the %s tokenizer cannot be stored with a model",
                               rg_tokenizer_kind(m->tokenizer));
        st = m->tokenizer->vt->to_source(m->tokenizer->state, dst);
    } else if (st == RG_OK && m->vocab.words) {
        st = word_vocab_to_source(&m->vocab, dst);
    }
    return st;
}
