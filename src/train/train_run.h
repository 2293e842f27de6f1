/*
 * train_run.h — a whole training run around train_stage(): stages in order,
 * validation after each epoch, the progress line, the CSV loss log,
 * checkpoints, --save-best, resuming, and stopping cleanly on Ctrl-C
 * (docs/09-training-loop.md).
 */
#ifndef RUSTGPT_TRAIN_RUN_H
#define RUSTGPT_TRAIN_RUN_H

#include "formats/modelfile.h"
#include "train/train.h"

#include <stdio.h>

typedef struct {
    const char *name;          /* "pretrain", "chat" or "train" */
    TokenizedSet train;
    TokenizedSet val;          /* count 0: no validation for this stage */
    float lr;
} TrainStage;

typedef struct {
    TrainStage *stages;
    int n_stages;
    StageOptions common;       /* epochs, batch, clip, schedule, ... (lr per stage) */
    const char *out;           /* the final model */
    const char *checkpoint;    /* where checkpoints go */
    uint64_t checkpoint_every; /* steps between checkpoints, 0 = only when stopped */
    uint64_t stop_after;       /* stop (with a checkpoint) after this many steps, 0 = never */
    int save_best;             /* save to out whenever validation loss improves */
    FILE *log;                 /* CSV loss log, or NULL */
    int progress;              /* draw a progress line on stderr */
    int color;
} TrainRunOptions;

typedef struct {
    size_t examples;           /* training examples over all stages */
    size_t tokens;             /* predicted tokens processed */
    uint64_t steps;            /* Adam steps taken in this run */
    double seconds;
    float train_loss;          /* last epoch's */
    float val_loss;            /* last validation, NaN when there was none */
    float best_val_loss;       /* NaN when there was none */
    int stopped;               /* 1: interrupted or --stop-after */
} TrainSummary;

/* Continue t from the checkpoint state opt (already loaded with the model):
 * restores the optimizer moments, the step count and the position in the
 * run. Fails when the checkpoint does not fit this run's stages and options. */
int train_resume(Trainer *t, const OptimizerState *opt, const TrainRunOptions *o);

/* Write a checkpoint of where t stands to path. */
int train_checkpoint(const Trainer *t, const char *path);

/* Run every stage from where t stands. Returns EXIT_OK, EXIT_INTERRUPTED
 * (a checkpoint was written and named on stderr) or EXIT_RUNTIME after
 * fail(). */
int train_run(Trainer *t, const TrainRunOptions *o, TrainSummary *summary);

/* The progress line's time left. The first steps of a run are slow (memory
 * touched for the first time, threads starting), so elapsed / done * left
 * would promise far too long at first. eta_update() instead measures the
 * rate from step ETA_SKIP_STEPS on, smooths it exponentially between calls
 * at least 0.2 s apart, and returns the seconds left, or -1 while it does
 * not know yet. */
enum { ETA_SKIP_STEPS = 2 };
typedef struct {
    uint64_t from_step;        /* the last sample: step and time */
    double from_time;
    double steps_per_second;   /* smoothed; 0 = not yet measured */
    int started;
} EtaEstimate;
double eta_update(EtaEstimate *e, uint64_t steps_done, uint64_t steps_left, double now);

#endif
