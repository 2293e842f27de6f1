/*
 * kernels.h — the table of hot loops, one implementation per instruction set.
 *
 * Every layer calls the matrix module (tensor.h), which calls through the
 * active table here. The scalar table (kernels/scalar.c) is the readable
 * reference: each SIMD table beside it must compute the same thing and is
 * tested against it (tests/test_kernels.c). The table is chosen once at start
 * from what the CPU supports, or forced with RUSTGPT_KERNELS=scalar|avx2|avx512
 * (kernels/dispatch.c).
 *
 * Conventions: matrices are row-major; a weight is [out_dim, in_dim] as in
 * PyTorch's nn.Linear; gradients accumulate (+=) so that a tensor used twice
 * (the residual stream) collects both contributions.
 */
#ifndef RUSTGPT_KERNELS_H
#define RUSTGPT_KERNELS_H

#include <stddef.h>

/* One Adam step's scalar settings (bias corrections already folded in). */
typedef struct {
    float lr;            /* learning rate for this step                      */
    float beta1, beta2;  /* moment decay rates (0.9, 0.999)                   */
    float eps;           /* 1e-8                                              */
    float correction1;   /* 1 / (1 - beta1^t)                                 */
    float correction2;   /* 1 / (1 - beta2^t)                                 */
    float weight_decay;  /* decoupled (AdamW) decay, 0 = plain Adam           */
    float grad_scale;    /* multiplies every gradient: global-norm clipping   */
} AdamStep;

typedef struct {
    const char *name;   /* "scalar", "avx2", "avx512", "neon" */

    /* out[r,o] = bias[o] + sum_i inp[r,i] * weight[o,i]       (bias may be NULL)
     * out [rows,out_dim], inp [rows,in_dim], weight [out_dim,in_dim] */
    void (*matmul_forward)(float *out, const float *inp, const float *weight,
                           const float *bias, int rows, int in_dim, int out_dim);

    /* dinp[r,i] += sum_o dout[r,o] * weight[o,i]      i.e. dinp += dout · W */
    void (*matmul_backward_input)(float *dinp, const float *dout, const float *weight,
                                  int rows, int in_dim, int out_dim);

    /* dweight[o,i] += sum_r dout[r,o] * inp[r,i]        i.e. dW += doutᵀ · inp
     * dbias[o]     += sum_r dout[r,o]                   (dbias may be NULL) */
    void (*matmul_backward_weight)(float *dweight, float *dbias, const float *dout,
                                   const float *inp, int rows, int in_dim, int out_dim);

    /* For each i < n, with g = grad[i] * s.grad_scale:
     *   m = b1 m + (1-b1) g;   v = b2 v + (1-b2) g²
     *   param -= lr * ( (m c1) / (sqrt(v c2) + eps) + weight_decay * param ) */
    void (*adam_update)(float *param, const float *grad, float *m, float *v,
                        size_t n, AdamStep s);

    /* sum_i x[i]², accumulated in double: the global gradient norm. */
    double (*sum_squares)(const float *x, size_t n);
} Kernels;

/* The active table (chosen on first use). */
const Kernels *kernels(void);
/* Force a table by name; returns -1 (after fail()) if unknown or unsupported. */
int kernels_select(const char *name);
/* Every table this CPU can run, scalar first; returns how many (at most 4). */
int kernels_available(const Kernels **out, int max);

extern const Kernels kernels_scalar;

#endif
