/*
 * gpt_source.h — the trainable GPT (archs/gpt.h) in and out of an rg_source,
 * the tensors-plus-metadata form every file format and architecture share
 * (rustgpt/plugin.h).
 *
 * Metadata keys, GGUF style:
 *   general.architecture        "gpt"
 *   gpt.vocab_size              V
 *   gpt.embedding_length        d
 *   gpt.attention.head_count    h
 *   gpt.feed_forward_length     H
 *   gpt.block_count             L
 *   gpt.context_length          T
 *   tokenizer.ggml.model        "word" (or the model's tokenizer's name)
 *   tokenizer.ggml.tokens       the vocabulary, in id order
 * Tensors: the names of DESIGN.md §2, F32, dims in GGUF order (a [out, in]
 * matrix has dims {in, out}).
 */
#ifndef RUSTGPT_GPT_SOURCE_H
#define RUSTGPT_GPT_SOURCE_H

#include "archs/gpt.h"
#include "rustgpt/plugin.h"

#define GPT_ARCH_NAME "gpt"

/* Read the config keys (rg_status on a missing or out-of-range one). */
rg_status gpt_config_from_source(ModelConfig *c, const rg_source *src);

/* m = a new model (config, a copy of the weights, and the word vocabulary
 * when the source's tokenizer is "word"). m is zeroed on failure. */
rg_status gpt_model_from_source(Model *m, const rg_source *src);

/* Describe m into dst: config keys, tensors pointing into m->params (m must
 * outlive dst) and, when m has a word vocabulary, the word tokenizer. */
rg_status gpt_model_to_source(const Model *m, rg_source *dst);

/* The word tokenizer's keys for vocab (tokenizers/word_vtable.c). */
rg_status word_vocab_to_source(const Vocab *vocab, rg_source *dst);
/* The word vocabulary a source holds (RG_ERR_NOT_FOUND when it has no
 * tokenizer.ggml.tokens), with its lowercase flag. */
rg_status word_vocab_from_source(Vocab *vocab, const rg_source *src);
#define WORD_LOWERCASE_KEY "tokenizer.ggml.normalizer.lowercase"

#endif
