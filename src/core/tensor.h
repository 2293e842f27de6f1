/*
 * tensor.h — the matrix module every layer uses.
 *
 * rustgpt keeps tensors as plain float arrays with their shapes written in
 * comments, as llm.c does: a [rows, cols] matrix is row-major, element (r, c)
 * at r*cols + c. This header is the one entry point for the linear algebra;
 * behind it kernels() picks the scalar reference or a SIMD path at run time
 * and kernels/parallel.c splits the work across threads, so layers never
 * know which one ran or on how many cores.
 */
#ifndef RUSTGPT_TENSOR_H
#define RUSTGPT_TENSOR_H

#include "core/kernels/kernels.h"

#include <stddef.h>
#include <string.h>

/* y = x Wᵀ + b : out [rows,out_dim] = inp [rows,in_dim] · weight[out_dim,in_dim]ᵀ + bias */
static inline void matmul_forward(float *out, const float *inp, const float *weight,
                                  const float *bias, int rows, int in_dim, int out_dim)
{
    parallel_matmul_forward(out, inp, weight, bias, rows, in_dim, out_dim);
}

/* The same y = x Wᵀ + b for the rows of several sequences decoded together
 * (infer/batch_forward.c): below MATVEC_MAX_ROWS rows each row is its own
 * matrix-vector product, all of them in one pass over W, so a row's numbers
 * are exactly those it gets alone (a stream's text does not depend on who
 * shares its step) and W is read once per step, not packed as the blocked
 * product packs it, which would cost more than the product itself for a
 * handful of rows. From MATVEC_MAX_ROWS rows on (a prompt) the blocked
 * product is faster, and this is matmul_forward. */
enum { MATVEC_MAX_ROWS = 32 };

static inline void matmul_forward_rows(float *out, const float *inp, const float *weight,
                                       const float *bias, int rows, int in_dim, int out_dim)
{
    if (rows < MATVEC_MAX_ROWS) parallel_matvec_forward(out, inp, weight, bias, rows, in_dim, out_dim);
    else parallel_matmul_forward(out, inp, weight, bias, rows, in_dim, out_dim);
}

/* The same y = x Wᵀ + b from a weight packed once at load (kernels.h:
 * PackedWeight), for inference that runs the same weights again and again:
 * out [rows, w->out_dim], inp [rows, w->in_dim]. */
static inline void matmul_forward_packed(float *out, const float *inp, const PackedWeight *w,
                                         const float *bias, int rows)
{
    parallel_matmul_forward_packed(out, inp, w, bias, rows);
}

/* The two products of y = x Wᵀ + b's backward pass, given dy = dout:
 *   dx += dy · W          (skipped when dinp is NULL)
 *   dW += dyᵀ · x,  db += Σ_rows dy                                     */
static inline void matmul_backward(float *dinp, float *dweight, float *dbias,
                                   const float *dout, const float *inp, const float *weight,
                                   int rows, int in_dim, int out_dim)
{
    if (dinp) parallel_matmul_backward_input(dinp, dout, weight, rows, in_dim, out_dim);
    parallel_matmul_backward_weight(dweight, dbias, dout, inp, rows, in_dim, out_dim);
}

/* One Adam step over n parameters (kernels.h has the formula), and the
 * squared global norm of a gradient, both split across threads. */
static inline void adam_update(float *param, const float *grad, float *m, float *v,
                               size_t n, AdamStep s)
{
    parallel_adam_update(param, grad, m, v, n, s);
}

static inline double sum_squares(const float *x, size_t n) { return parallel_sum_squares(x, n); }

/* The vector helpers are memory-bound: a batch-sized array is split across
 * threads in fixed chunks of VEC_CHUNK floats; a small one (a single row, in
 * generation) stays on the calling thread without entering an OpenMP region
 * at all, since even a one-thread region costs about a microsecond. */
enum { VEC_CHUNK = 1 << 15 };

static inline void vec_zero(float *x, size_t n)
{
    long chunks = (long)((n + VEC_CHUNK - 1) / VEC_CHUNK);
    if (chunks <= 1) {
        memset(x, 0, n * sizeof *x);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (long c = 0; c < chunks; c++) {
        size_t at = (size_t)c * VEC_CHUNK;
        memset(x + at, 0, (n - at < VEC_CHUNK ? n - at : VEC_CHUNK) * sizeof *x);
    }
}

static inline void vec_copy(float *dst, const float *src, size_t n)
{
    memcpy(dst, src, n * sizeof *dst);
}

/* y += x */
static inline void vec_add(float *y, const float *x, size_t n)
{
    long chunks = (long)((n + VEC_CHUNK - 1) / VEC_CHUNK);
    if (chunks <= 1) {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) y[i] += x[i];
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (long c = 0; c < chunks; c++) {
        size_t at = (size_t)c * VEC_CHUNK, end = n - at < VEC_CHUNK ? n : at + VEC_CHUNK;
        #pragma omp simd
        for (size_t i = at; i < end; i++) y[i] += x[i];
    }
}

#endif
