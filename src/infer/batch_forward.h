/*
 * batch_forward.h — many new positions through the model in one forward
 * step, each appended to its own Generator (docs/10-decoding.md, "Many
 * rows at once"; docs/19-serving.md, "Continuous batching").
 *
 * generator_feed() alone runs one row through the network: every weight
 * matrix is read from memory to do one multiply-add with each of its
 * numbers, and a step of a small model is bound by that memory traffic. A
 * RowBatch stacks R rows — the prompt of one sequence, or the next token of
 * each of R sequences being decoded together — into [R, d] matrices, so
 * each layer is one product over all R rows (tensor.h's
 * matmul_forward_rows): the weights are read once per step for all of
 * them. Rows only meet in those products; attention reads each row's own
 * generator's cache, up to the row's own position. Every row's result is
 * what feeding its tokens one by one with generator_feed() gives: the same
 * bits in steps of fewer than 32 rows, the same up to the rounding of sums
 * taken in another order in bigger ones (test_batch_forward.c).
 *
 * Shapes, R = max_rows: x, ln, att, branch, head_in [R, d]; qkv [R, 3d];
 * hidden [R, H]; logits [R, V]; scores [threads, T].
 */
#ifndef RUSTGPT_BATCH_FORWARD_H
#define RUSTGPT_BATCH_FORWARD_H

#include "infer/generate.h"

#include <stdint.h>

typedef struct RowBatch {
    const Model *model;
    int max_rows;                /* R: rows per forward step                      */
    int n_score_rows;            /* one attention scratch row per thread           */
    float *memory;               /* one allocation behind every float buffer       */
    float *x, *ln, *qkv, *att, *branch, *hidden;   /* the rows' activations        */
    float *mean, *rstd;          /* [R] LayerNorm statistics (not kept)            */
    float *head_in, *logits;     /* [R, d], [R, V] the rows that need logits       */
    float *scores;               /* [n_score_rows, T]                              */
    /* The rows staged for the next step: */
    Generator **gen;             /* [R] whose row                                  */
    int *pos, *token, *index;    /* [R] its position, token, entry of the caller's
                                    batch (-1: a row re-fed by a sliding window)   */
    float **out;                 /* [R] where the caller wants its logits, or NULL */
    uint8_t *last;               /* [R] 1: its generator's last row of the call    */
} RowBatch;

/* Room for max_rows rows per step (>= 1). Returns -1 when out of memory. */
int row_batch_create(RowBatch *rb, const Model *m, int max_rows);
void row_batch_free(RowBatch *rb);

/* What a caller of row_batch_feed wants back besides each generator's
 * logits (NULL: nothing more). */
typedef struct {
    const uint8_t *want;    /* [n] entries whose logits to write (NULL: the last
                               entry of each generator, as rg_decode does)        */
    float *logits;          /* [count of them, V] their logits, in entry order,
                               or NULL                                            */
    float *hidden;          /* [n, d] ln_f(x) of every entry, or NULL             */
} RowOutputs;

/* Append tokens[i] to generator gens[seq[i]] (gens[0] when seq is NULL) for
 * i < n, in order: entries of one generator take consecutive positions,
 * entries of different generators may be mixed in any order. Steps of at
 * most rb->max_rows rows; a generator whose window is full slides as
 * generator_feed() says. Afterwards each generator's logits are those
 * after its last entry, as if its entries had been fed one by one. The
 * generators must be of rb's model; one generator may not appear under
 * two seq ids. Never allocates. */
void row_batch_feed(RowBatch *rb, Generator *const *gens, const int32_t *seq, const int *tokens,
                    int n, const RowOutputs *outputs);

#endif
