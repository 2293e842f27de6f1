/*
 * tensor.h — the matrix module every layer uses.
 *
 * rustgpt keeps tensors as plain float arrays with their shapes written in
 * comments, as llm.c does: a [rows, cols] matrix is row-major, element (r, c)
 * at r*cols + c. This header is the one entry point for the linear algebra;
 * behind it kernels() picks the scalar reference or a SIMD path at run time,
 * so layers never know which one ran.
 */
#ifndef RUSTGPT_TENSOR_H
#define RUSTGPT_TENSOR_H

#include "kernels/kernels.h"

#include <stddef.h>
#include <string.h>

/* y = x Wᵀ + b : out [rows,out_dim] = inp [rows,in_dim] · weight[out_dim,in_dim]ᵀ + bias */
static inline void matmul_forward(float *out, const float *inp, const float *weight,
                                  const float *bias, int rows, int in_dim, int out_dim)
{
    kernels()->matmul_forward(out, inp, weight, bias, rows, in_dim, out_dim);
}

/* The two products of y = x Wᵀ + b's backward pass, given dy = dout:
 *   dx += dy · W          (skipped when dinp is NULL)
 *   dW += dyᵀ · x,  db += Σ_rows dy                                     */
static inline void matmul_backward(float *dinp, float *dweight, float *dbias,
                                   const float *dout, const float *inp, const float *weight,
                                   int rows, int in_dim, int out_dim)
{
    const Kernels *k = kernels();
    if (dinp) k->matmul_backward_input(dinp, dout, weight, rows, in_dim, out_dim);
    k->matmul_backward_weight(dweight, dbias, dout, inp, rows, in_dim, out_dim);
}

static inline void vec_zero(float *x, size_t n) { memset(x, 0, n * sizeof *x); }

static inline void vec_copy(float *dst, const float *src, size_t n)
{
    memcpy(dst, src, n * sizeof *dst);
}

/* y += x */
static inline void vec_add(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

#endif
