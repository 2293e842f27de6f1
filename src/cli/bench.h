/*
 * cli/bench.h — what `rustgpt bench` (bench.c) measures on: the settings,
 * the kernel paths side by side, and the workload bench_workload.c builds.
 */
#ifndef RUSTGPT_CLI_BENCH_H
#define RUSTGPT_CLI_BENCH_H

#include "archs/gpt.h"
#include "core/kernels/kernels.h"
#include "tokenizers/word.h"

#include <stddef.h>

enum { MAX_PATHS = 4 };

typedef struct {
    double seconds;                  /* minimum time per measurement */
    int threads;
    const Kernels *paths[MAX_PATHS];
    int n_paths;
    ModelConfig config;
    int *corpus;                     /* the bundled data as one token stream */
    size_t corpus_len;
    char *text;                      /* a large text for the tokenizer */
    Vocab vocab;
    int have_data;
} Bench;

/* The bundled data's texts, their vocabulary, one token stream of them all
 * and a text of at least 8 MB for the tokenizer, into b (config, corpus,
 * text, vocab, have_data); a synthetic stand-in without the data. */
void bench_load_workload(Bench *b);

/* FLOPs of one training step on B sequences of T tokens (2 per multiply-add). */
double bench_train_flops(const ModelConfig *c, int B, int T);

#endif
