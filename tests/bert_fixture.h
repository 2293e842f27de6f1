/*
 * bert_fixture.h — a tiny random-weight BERT as an rg_source, with a small
 * WordPiece vocabulary in llama.cpp's stored form, for the embedding tests.
 * Every tensor and key is what a GGUF bert file carries (bert.c reads it).
 */
#ifndef RUSTGPT_BERT_FIXTURE_H
#define RUSTGPT_BERT_FIXTURE_H

#include "rustgpt/plugin.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [PAD] [UNK] [CLS] [SEP] [MASK] then words (WB: the U+2581 word mark) and
 * continuations. */
#define WB "\xe2\x96\x81"
static const char *const fixture_vocab[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    WB "the", WB "cat", WB "sat", WB "on", WB "mat",
    WB "un", "aff", "able", WB ".", WB ",", WB "!",
    WB "a", "s", WB "dog", WB "cafe", WB "\xe4\xb8\xad",
    WB "\xe6\x96\x87", WB "hello", WB "world", "ing", WB "run",
    WB "'", WB "b", WB "c", WB "d", "e", WB "(", WB ")",
    WB "x", "x", WB "na\xc3\xafve", WB "na", "ive",
};
enum { FIXTURE_VOCAB = sizeof fixture_vocab / sizeof fixture_vocab[0] };

typedef struct {
    rg_source *src;
    float *data;           /* every tensor's floats, freed with the source */
} BertFixture;

static void fixture_tensor(rg_source *src, float **at, const char *name, int64_t rows, int64_t cols,
                           Rng *rng, float scale, float offset)
{
    rg_tensor t = { .name = name, .type = RG_TYPE_F32, .n_dims = rows ? 2 : 1,
                    .dims = { cols, rows ? rows : 1 }, .data = *at };
    int64_t n = cols * (rows ? rows : 1);
    for (int64_t i = 0; i < n; i++) (*at)[i] = offset + scale * rng_normal(rng);
    t.n_bytes = (size_t)n * sizeof(float);
    rg_source_add_tensor(src, &t);
    *at += n;
}

/* d width, L layers, T positions; lowercase sets the normaliser key. */
static rg_source *bert_fixture(int d, int heads, int ff, int layers, int T, int lowercase, uint64_t seed)
{
    rg_source *src;
    if (rg_source_new(&src) != RG_OK) return NULL;
    int64_t V = FIXTURE_VOCAB;
    size_t total = (size_t)((V + T + 2 + 2) * d + layers * (4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d));
    float *data = malloc(total * sizeof *data), *at = data;
    rg_source_keep(src, data, 0);
    Rng rng;
    rng_seed(&rng, seed);
    rg_source_set_string(src, "general.architecture", "bert", 4);
    rg_source_set_int(src, "bert.embedding_length", d);
    rg_source_set_int(src, "bert.block_count", layers);
    rg_source_set_int(src, "bert.attention.head_count", heads);
    rg_source_set_int(src, "bert.feed_forward_length", ff);
    rg_source_set_int(src, "bert.context_length", T);
    rg_source_set_float(src, "bert.attention.layer_norm_epsilon", 1e-12);
    rg_source_set_bool(src, "bert.attention.causal", 0);
    rg_source_set_int(src, "bert.pooling_type", 1);
    rg_source_set_int(src, "tokenizer.ggml.token_type_count", 2);
    rg_source_set_string(src, "tokenizer.ggml.model", "bert", 4);
    size_t lens[FIXTURE_VOCAB];
    for (int i = 0; i < FIXTURE_VOCAB; i++) lens[i] = strlen(fixture_vocab[i]);
    rg_source_set_string_array(src, "tokenizer.ggml.tokens", fixture_vocab, lens, FIXTURE_VOCAB);
    rg_source_set_int(src, "tokenizer.ggml.bos_token_id", 2);
    rg_source_set_int(src, "tokenizer.ggml.seperator_token_id", 3);
    rg_source_set_int(src, "tokenizer.ggml.unknown_token_id", 1);
    rg_source_set_int(src, "tokenizer.ggml.padding_token_id", 0);
    rg_source_set_bool(src, "tokenizer.ggml.normalizer.lowercase", lowercase);
    fixture_tensor(src, &at, "token_embd.weight", V, d, &rng, 0.5f, 0);
    fixture_tensor(src, &at, "token_types.weight", 2, d, &rng, 0.1f, 0);
    fixture_tensor(src, &at, "position_embd.weight", T, d, &rng, 0.1f, 0);
    fixture_tensor(src, &at, "token_embd_norm.weight", 0, d, &rng, 0.1f, 1);
    fixture_tensor(src, &at, "token_embd_norm.bias", 0, d, &rng, 0.1f, 0);
    char name[64];
    float ws = 1.0f / (float)d;
    for (int l = 0; l < layers; l++) {
#define T2(suffix, r, c, s, o) (snprintf(name, sizeof name, "blk.%d." suffix, l), \
                                fixture_tensor(src, &at, name, r, c, &rng, s, o))
        T2("attn_q.weight", d, d, 2 * ws, 0);  T2("attn_q.bias", 0, d, 0.1f, 0);
        T2("attn_k.weight", d, d, 2 * ws, 0);  T2("attn_k.bias", 0, d, 0.1f, 0);
        T2("attn_v.weight", d, d, 2 * ws, 0);  T2("attn_v.bias", 0, d, 0.1f, 0);
        T2("attn_output.weight", d, d, 2 * ws, 0);  T2("attn_output.bias", 0, d, 0.1f, 0);
        T2("attn_output_norm.weight", 0, d, 0.1f, 1);  T2("attn_output_norm.bias", 0, d, 0.1f, 0);
        T2("ffn_up.weight", ff, d, 2 * ws, 0);  T2("ffn_up.bias", 0, ff, 0.1f, 0);
        T2("ffn_down.weight", d, ff, 2 * ws, 0);  T2("ffn_down.bias", 0, d, 0.1f, 0);
        T2("layer_output_norm.weight", 0, d, 0.1f, 1);  T2("layer_output_norm.bias", 0, d, 0.1f, 0);
#undef T2
    }
    return src;
}

#endif
