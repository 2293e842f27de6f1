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

#include "train/data.h"
#include "archs/gpt.h"
#include "core/util.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* Every example as token ids, stored flat: example i is
 * ids[offsets[i] .. offsets[i+1]). */
typedef struct {
    int *ids;
    size_t *offsets;      /* [count + 1] */
    size_t count;         /* examples: texts, or windows of a long text */
    int *answer_start;    /* [count] index of the first answer token, or 0 */
    size_t total;         /* examples over every rank of a data-parallel run
                             (train/dist.h); 0 means count: one process */
    size_t n_cut;         /* examples cut to fit the context */
    size_t n_unknown;     /* tokens that became <unk> */
} TokenizedSet;


/* Encode every text of ds. An example of n tokens gives n-1 predictions.
 * A text longer than seq_len + 1 tokens is split into windows of that many
 * tokens, each overlapping the one before by one token, so that every
 * token is still predicted once; a prompt/response text (one holding
 * "Assistant:") is cut to its first seq_len + 1 tokens instead (counted in
 * n_cut, so that the caller can warn). */
int tokenized_set_build(TokenizedSet *set, const Vocab *vocab, const Dataset *ds, int seq_len);
/* The same through the model's tokenizer, whichever it is (infer/text.h);
 * tokenized_set_build is this over a model that has only the vocabulary. */
int tokenized_set_build_model(TokenizedSet *set, const Model *m, const Dataset *ds, int seq_len);
void tokenized_set_free(TokenizedSet *set);

/* The tokenizer `rustgpt train --tokenizer SPEC` asks for, over the training
 * texts[n]: SPEC is NAME[:OPTIONS] of a registered tokenizer that trains
 * (options go to its train, e.g. "bpe:vocab=4096"), or a name or file
 * rg_tokenizer_load knows. Returns 0, or -1 after fail(). */
int tokenizer_for_training(const char *spec, const char *const *texts, size_t n, rg_tokenizer **out);

/* `train --init PATH`: m = the model at PATH (a rustgpt model file, a GGUF
 * gpt2 file or a Hugging Face GPT-2 directory) as a trainable model with its
 * tokenizer (train/init.c). Returns 0, or -1 after fail(). */
int model_init_from(Model *m, const char *path);

/* Move a deterministic random fraction of ds's texts (chosen by seed) into
 * val, keeping the rest in ds in their original order. At least one text
 * stays for training; fraction 0 moves nothing. */
int dataset_split(Dataset *ds, double fraction, uint64_t seed, Dataset *val);

/* Learning-rate schedules (docs/08-adam.md). */
typedef enum { LR_CONSTANT = 0, LR_COSINE } LrSchedule;

/* The rate for step (0-based) of a stage of total steps: constant, or a
 * linear warmup over the first warmup steps followed by a cosine decay
 * from base down to base/10 at the last step. */
float lr_at(LrSchedule schedule, float base, uint64_t step, uint64_t warmup, uint64_t total);

struct Trainer;

/* What train_stage returns. */
enum { STAGE_DONE = 0, STAGE_STOPPED = 1, STAGE_DIVERGED = -1, STAGE_FAILED = -2 };

/* Called by train_stage after every step and every epoch; either may return
 * STAGE_STOPPED to stop the stage, or STAGE_FAILED after fail(). */
typedef struct {
    void *ctx;
    int (*after_step)(void *ctx, struct Trainer *t, float loss, int n_targets);
    int (*after_epoch)(void *ctx, struct Trainer *t, float epoch_loss);
} StageHooks;

typedef struct {
    const char *stage;    /* name printed in the log: "pretrain", "chat", "train" */
    int epochs;
    float lr;             /* base learning rate */
    LrSchedule schedule;
    int warmup;           /* steps of linear warmup (cosine schedule) */
    int batch;            /* examples per Adam step */
    float clip;           /* global gradient-norm limit, 0 = none */
    float weight_decay;   /* AdamW's decoupled decay, 0 = plain Adam */
    int mask_prompt;      /* loss on answer tokens only */
    int quiet;            /* no per-epoch lines */
    int data_shards;      /* >1: the data is cut into this many shards and
                             every batch takes batch/shards from each (a
                             data-parallel run, or one process reproducing
                             it: docs/21-data-parallel.md); 0 or 1: none */
    const StageHooks *hooks;
} StageOptions;

typedef struct Trainer {
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
    /* where training stands, so that a checkpoint can resume exactly */
    uint32_t stage;            /* index of the stage being trained */
    uint32_t epoch;            /* epochs completed in that stage */
    uint64_t batch_in_epoch;   /* batches done in the current epoch */
    uint64_t epoch_rng_state;  /* rng state before this epoch's shuffle */
    float last_grad_norm;      /* of the last step, before clipping */
    int shard;                 /* with data_shards > 1: the one shard this
                                  process holds (its MPI rank), or -1 when it
                                  holds them all */
} Trainer;

#define MAX_BATCH 256

/* max_batch (1..MAX_BATCH) sizes the activations; seed drives shuffling. */
int trainer_create(Trainer *t, Model *m, int max_batch, uint64_t seed);
void trainer_free(Trainer *t);

/* One optimisation step on examples[0..n) of set: pads them into a batch,
 * runs forward and backward, clips and applies Adam. Returns the mean loss
 * over the batch's predicted tokens; *n_targets gets their count. When the
 * loss or the gradient is not finite the parameters are left untouched and
 * the non-finite value is returned. */
float trainer_step(Trainer *t, const TokenizedSet *set, const size_t *examples, int n,
                   const StageOptions *opt, float lr, int *n_targets);

/* Mean loss of the model over every example of set (no training). */
float evaluate_loss(Trainer *t, const TokenizedSet *set, size_t *n_targets);

/* Steps in one epoch of count examples at this batch size. */
uint64_t steps_per_epoch(size_t count, int batch);
/* Steps in one epoch of set under opt: with shards, the largest shard's
 * examples at batch/shards a step. */
uint64_t stage_steps_per_epoch(const TokenizedSet *set, const StageOptions *opt);

/* Train one stage: opt->epochs passes over set in shuffled mini-batches,
 * starting from where t stands (t->epoch, t->batch_in_epoch: zero for a
 * fresh stage, restored from a checkpoint on resume). Without hooks, prints
 * one line per epoch to out ("pretrain epoch 3/100: loss 2.3456") unless
 * quiet. Returns STAGE_DONE; STAGE_STOPPED when *t->stop was set or a hook
 * asked; STAGE_DIVERGED after fail() when the loss or gradient stopped being
 * finite (the parameters are as before that step); or a hook's STAGE_FAILED.
 * The last epoch's mean loss is in *loss (may be NULL). */
int train_stage(Trainer *t, const TokenizedSet *set, const StageOptions *opt, FILE *out,
                float *loss);

#endif
