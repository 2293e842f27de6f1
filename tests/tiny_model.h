/*
 * tiny_model.h — the small random model the decoding tests share
 * (test_sampling.c, test_chat.c): twelve words, the chat markers among
 * them, and weights large enough that predictions are sharp.
 */
#ifndef RUSTGPT_TINY_MODEL_H
#define RUSTGPT_TINY_MODEL_H

#include "test.h"
#include "archs/gpt.h"
#include "tokenizers/word.h"
#include "core/util.h"

static const char *const words[] = { "<pad>", "<unk>", "</s>", ":", "Assistant", "User",
                                     "a", "b", "c", "d", "e", "f" };
enum { V = 12 };

/* With never_ends, </s> is never predicted, so answers run until a limit. */
static inline void tiny_model(Model *m, int seq_len, int never_ends)
{
    ModelConfig c = { .vocab_size = V, .d_model = 16, .n_heads = 4, .d_hidden = 24,
                      .n_layers = 2, .seq_len = seq_len };
    CHECK(model_create(m, &c) == 0);
    CHECK(vocab_from_words(&m->vocab, words, V) == 0);
    model_init_weights(m, 5);
    Rng rng;
    rng_seed(&rng, 9);
    for (size_t i = 0; i < m->n_params; i++) m->params[i] += (rng_uniform(&rng) - 0.5f) * 0.5f;
    if (never_ends) m->w.head_b[TOKEN_EOS] = -1e4f;
}

#endif
