/*
 * bench_workload.c — the work `rustgpt bench` (bench.c) times: the default
 * model's configuration over the bundled data's vocabulary, the data as one
 * token stream for training steps, a large text for the tokenizer, and the
 * FLOP count that turns a step's time into GFLOP/s.
 */
#include "cli/bench.h"
#include "train/data.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the workload -------------------------------------------------------- */

/* The bundled data's texts, their vocabulary, one token stream of them all,
 * and a text of at least 8 MB made of them for the tokenizer. Without the
 * data (an installed binary run elsewhere), a vocabulary of 1,550 words and
 * a random stream stand in. */
void bench_load_workload(Bench *b)
{
    Dataset sets[2];
    memset(sets, 0, sizeof sets);
    const char *files[2] = { "data/pretrain.json", "data/chat.json" };
    b->have_data = data_load(&sets[0], files[0]) == 0 && data_load(&sets[1], files[1]) == 0;
    size_t n_texts = b->have_data ? sets[0].count + sets[1].count : 0, bytes = 0;
    const char **texts = xmalloc(n_texts + 1, sizeof *texts);
    for (size_t i = 0; texts && i < n_texts; i++) {
        texts[i] = i < sets[0].count ? sets[0].texts[i] : sets[1].texts[i - sets[0].count];
        bytes += strlen(texts[i]) + 1;
    }
    if (!texts || !b->have_data || vocab_build(&b->vocab, texts, n_texts) != 0) {
        b->have_data = 0;
        char word[16], *words[1550];
        for (int i = 0; i < 1550; i++) {
            if (i < TOKEN_N_SPECIAL) snprintf(word, sizeof word, "%s", i == 0 ? "<pad>" : i == 1 ? "<unk>" : "</s>");
            else snprintf(word, sizeof word, "w%d", i);
            words[i] = xstrdup(word);
        }
        vocab_from_words(&b->vocab, (const char *const *)words, 1550);
        for (int i = 0; i < 1550; i++) free(words[i]);
    }
    b->config = config_default();
    b->config.vocab_size = b->vocab.size;

    size_t repeat = b->have_data ? (8u << 20) / (bytes ? bytes : 1) + 1 : 0;
    b->text = xmalloc(repeat * bytes + 64, 1);
    char *p = b->text;
    for (size_t r = 0; p && r < repeat; r++)
        for (size_t i = 0; i < n_texts; i++) {
            size_t len = strlen(texts[i]);
            memcpy(p, texts[i], len);
            p += len;
            *p++ = '\n';
        }
    if (p) *p = '\0';

    b->corpus_len = 0;
    for (size_t i = 0; i < n_texts; i++) b->corpus_len += (size_t)tokenizer_encode(&b->vocab, texts[i], NULL, 0);
    if (b->corpus_len < 4096) b->corpus_len = 4096;
    b->corpus = xmalloc(b->corpus_len, sizeof(int));
    size_t at = 0;
    for (size_t i = 0; b->corpus && i < n_texts; i++)
        at += (size_t)tokenizer_encode(&b->vocab, texts[i], b->corpus + at, (int)(b->corpus_len - at));
    Rng rng;
    rng_seed(&rng, 1);
    for (; b->corpus && at < b->corpus_len; at++)
        b->corpus[at] = TOKEN_N_SPECIAL + (int)(rng_u32(&rng) % (uint32_t)(b->vocab.size - TOKEN_N_SPECIAL));
    free(texts);
    dataset_free(&sets[0]);
    dataset_free(&sets[1]);
}

/* FLOPs of one training step on B sequences of T tokens (2 per multiply-add):
 * forward, and the two backward products of every linear layer (3x), plus
 * the six attention products q·k, p·v, dout·v, dscore·k, dscoreᵀ·q, pᵀ·dout
 * over the causal half (T(T+1)/2 pairs of dh-long dot products per head). */
double bench_train_flops(const ModelConfig *c, int B, int T)
{
    double d = c->d_model, H = c->d_hidden, V = c->vocab_size, N = (double)B * T;
    double linear = c->n_layers * (3 * d * d + d * d + 2 * d * H) + d * V;
    double attention = c->n_layers * (double)B * 6.0 * d * T * (T + 1);
    return 3.0 * 2.0 * N * linear + attention;
}

