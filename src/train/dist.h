/*
 * dist.h — data-parallel training over MPI (docs/21-data-parallel.md).
 *
 * N processes ("ranks") each hold the whole model and the same optimiser
 * state. Every step, each rank runs forward and backward on its own share
 * of the global batch; one all-reduce sums the gradient buffer (each rank's
 * gradient pre-scaled by its share of the batch's targets), so every rank
 * then holds the gradient of the whole batch and takes the same Adam step:
 * parameters stay identical without ever being sent.
 *
 * Built with `make MPI=1` these functions call Open MPI; in the default
 * build there is one rank and each of them is the identity, so the
 * single-process path pays nothing. Only src/train and cmd_train use them.
 */
#ifndef RUSTGPT_DIST_H
#define RUSTGPT_DIST_H

#include "tokenizers/word.h"

#include <stddef.h>

/* Start MPI when the program runs under mpirun (a no-op otherwise).
 * Returns 0, or -1 after fail(). */
int dist_init(int *argc, char ***argv);
void dist_finalize(void);

int dist_rank(void);                 /* 0 .. dist_size()-1 */
int dist_size(void);                 /* 1 without MPI      */
static inline int dist_is_root(void) { return dist_rank() == 0; }

/* In-place sums over every rank (MPI_Allreduce with MPI_IN_PLACE). The
 * float version is the one gradient all-reduce per step; the time spent in
 * it is added to dist_allreduce_seconds(). */
void dist_sum_floats(float *buf, size_t n);
void dist_sum_doubles(double *buf, size_t n);
double dist_allreduce_seconds(void);

/* Every rank passes its own result of a step that can fail (0 or a
 * negative code, STAGE_* of train.h); every rank gets back the same one:
 * the first nonzero in rank order, else 0. One tiny collective, so a rank
 * that stops or fails never leaves the others waiting in an all-reduce. */
int dist_agree(int rc);

/* After a phase that can fail on one rank only (reading its share of the
 * data, say): rc is this rank's 0 or -1. Returns 0 when every rank
 * succeeded; else -1 on every rank, and the message (fail()) names the
 * first failing rank and its error, so that rank 0 can print it. */
int dist_check(int rc);

/* The word vocabulary of the union of every rank's texts: each rank's
 * distinct pieces are gathered, so every rank builds exactly the vocabulary
 * one process would build from all the data. As vocab_build otherwise, or
 * vocab_build_lowercase when lowercase is set. */
int dist_vocab_build(Vocab *vocab, const char *const *texts, size_t n, int lowercase);

#endif
