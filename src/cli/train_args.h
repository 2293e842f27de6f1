/*
 * cli/train_args.h — `rustgpt train`'s settings as its command line gives
 * them (cmd_train_args.c parses and checks them; cmd_train.c runs them).
 */
#ifndef RUSTGPT_CLI_TRAIN_ARGS_H
#define RUSTGPT_CLI_TRAIN_ARGS_H

#include "train/data.h"
#include "train/train_run.h"

#include <stdio.h>

enum { MAX_STAGES = 2, MAX_FILES = 16 };

typedef struct {
    const char *files[MAX_FILES];
    int n_files;
    Dataset data, val;
} StageData;

typedef struct {
    ModelConfig config;
    TrainRunOptions run;
    TrainStage stages[MAX_STAGES];
    StageData data[MAX_STAGES];
    const char *val_file;
    float val_split;           /* < 0: the default (5% of stages with >= 1000 examples) */
    int threads;
    float lr;                  /* < 0: each stage's default */
    unsigned long long seed;
    const char *resume;
    const char *init;          /* --init: start from this model's weights */
    char checkpoint_path[4200];
    const char *log_path;
    FILE *log_file;
    int out_is_default;        /* no --out: its directory is created if missing */
    int make_dir;              /* --mkdir */
    int lowercase;             /* --lowercase: a case-folded word vocabulary */
    const char *tokenizer;     /* --tokenizer: NULL or "word" for the word tokenizer */
    int replacing;             /* --out exists already */
} TrainArgs;

/* argv (after "train") into a: every option with its range, the data files
 * per stage (the bundled recipe when none is given), the files it would
 * overwrite checked, and the --log file opened. 0, or an exit status
 * (EXIT_USAGE, EXIT_RUNTIME) after fail(). */
int parse_train_args(int argc, char **argv, TrainArgs *a);

#endif
