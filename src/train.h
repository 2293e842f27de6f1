/*
 * train.h — from texts to trained weights (docs/09-training-loop.md).
 *
 * data → tokenizer → TokenizedSet → shuffled mini-batches → forward → loss →
 * backward → clip → Adam. A Trainer owns everything a step needs: the
 * activations, the gradient buffer and the two Adam moments (all laid out
 * like the parameters), and the batch arrays.
 */
#ifndef RUSTGPT_TRAIN_H
#define RUSTGPT_TRAIN_H

#include "data.h"
#include "model.h"
#include "util.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* Every example as token ids, stored flat: example i is
 * ids[offsets[i] .. offsets[i+1]). */
typedef struct {
    int *ids;
    size_t *offsets;      /* [count + 1] */
    size_t count;
    size_t n_cut;         /* examples cut to fit the context */
    size_t n_unknown;     /* tokens that became <unk> */
} TokenizedSet;

/* Encode every text of ds. An example of n tokens gives n-1 predictions;
 * examples longer than seq_len + 1 tokens are cut to that (counted in
 * n_cut, so that the caller can warn). */
int tokenized_set_build(TokenizedSet *set, const Vocab *vocab, const Dataset *ds, int seq_len);
void tokenized_set_free(TokenizedSet *set);

typedef struct {
    const char *stage;    /* name printed in the log: "pretrain", "chat", "train" */
    int epochs;
    float lr;
    int batch;            /* examples per Adam step */
    float clip;           /* global gradient-norm limit, 0 = none */
    int quiet;            /* no per-epoch lines */
} StageOptions;

typedef struct {
    Model *model;
    Activations acts;
    float *grads;         /* [n_params] */
    float *adam_m;        /* [n_params] */
    float *adam_v;        /* [n_params] */
    uint64_t step;        /* Adam steps taken */
    int max_batch;
    int *batch_ids;       /* [max_batch, T] inputs  */
    int *batch_targets;   /* [max_batch, T] the next tokens, <pad> where none */
    Rng rng;              /* shuffles the examples each epoch */
    volatile sig_atomic_t *stop;  /* set by a signal handler: stop after this step */
} Trainer;

#define MAX_BATCH 256

/* max_batch (1..MAX_BATCH) sizes the activations; seed drives shuffling. */
int trainer_create(Trainer *t, Model *m, int max_batch, uint64_t seed);
void trainer_free(Trainer *t);

/* One optimisation step on examples[0..n) of set: pads them into a batch,
 * runs forward and backward, clips and applies Adam. Returns the mean loss
 * over the batch's predicted tokens; *n_targets gets their count. */
float trainer_step(Trainer *t, const TokenizedSet *set, const size_t *examples, int n,
                   float lr, float clip, int *n_targets);

/* Mean loss of the model over every example of set (no training). */
float evaluate_loss(Trainer *t, const TokenizedSet *set, size_t *n_targets);

/* Train one stage: opt->epochs passes over set in shuffled mini-batches,
 * one line per epoch to out ("pretrain epoch 3/100: loss 2.3456"). Returns
 * the last epoch's mean loss, or a negative value after fail() (a loss that
 * is not finite), or stops early when *t->stop is set. */
float train_stage(Trainer *t, const TokenizedSet *set, const StageOptions *opt, FILE *out);

#endif
