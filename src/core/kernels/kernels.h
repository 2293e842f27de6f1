/*
 * kernels.h — the table of hot loops, one implementation per instruction set.
 *
 * Every layer calls the matrix module (tensor.h) or, for the row-wise loops,
 * the active table here. The scalar table (kernels/scalar.c) is the readable
 * reference: each SIMD table beside it (avx2.c, avx512.c, neon.c, all built
 * from the shared loops of simd_matmul.h and simd_rows.h) computes the same
 * thing and is tested against it (tests/test_kernels.c). The table is chosen
 * once at start from what the CPU supports, or forced with
 * RUSTGPT_KERNELS=scalar|avx2|avx512|neon (kernels/dispatch.c).
 *
 * A table entry is single-threaded and computes one slice of the work; the
 * callers split the work across OpenMP threads so that each thread writes its
 * own part of the output (kernels/parallel.c for the matrix products, the
 * layers for the rest). Every output element is computed by the same
 * sequence of operations whichever slice it falls in, so results do not
 * depend on the number of threads.
 *
 * Conventions: matrices are row-major; a weight is [out_dim, in_dim] as in
 * PyTorch's nn.Linear; gradients accumulate (+=) so that a tensor used twice
 * (the residual stream) collects both contributions.
 */
#ifndef RUSTGPT_KERNELS_H
#define RUSTGPT_KERNELS_H

#include <stddef.h>

/* LayerNorm's epsilon (the same definition as layers/layers.h). */
#define LAYERNORM_EPS 1e-5f

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

    /* ---- the three products of a linear layer (tensor.h) ---------------- */

    /* out[r,o] = bias[o] + sum_i inp[r,i] * weight[o,i]       (bias may be NULL)
     * for every row r < rows and the columns o_begin <= o < o_end only.
     * out [rows,out_dim], inp [rows,in_dim], weight [out_dim,in_dim] */
    void (*matmul_forward)(float *out, const float *inp, const float *weight,
                           const float *bias, int rows, int in_dim, int out_dim,
                           int o_begin, int o_end);

    /* The same product, each row on its own: out[r,o] is computed by the
     * same operations whatever the other rows are (a stream decoded beside
     * others gets the numbers it gets alone), and W is read once for all
     * rows (for a handful of rows: no packing). */
    void (*matvec_forward)(float *out, const float *inp, const float *weight,
                           const float *bias, int rows, int in_dim, int out_dim,
                           int o_begin, int o_end);

    /* dinp[r,i] += sum_o dout[r,o] * weight[o,i]      i.e. dinp += dout · W */
    void (*matmul_backward_input)(float *dinp, const float *dout, const float *weight,
                                  int rows, int in_dim, int out_dim);

    /* dweight[o,i] += sum_r dout[r,o] * inp[r,i]        i.e. dW += doutᵀ · inp
     * dbias[o]     += sum_r dout[r,o]                   (dbias may be NULL)
     * for the rows o_begin <= o < o_end of dweight only. */
    void (*matmul_backward_weight)(float *dweight, float *dbias, const float *dout,
                                   const float *inp, int rows, int in_dim, int out_dim,
                                   int o_begin, int o_end);

    /* ---- a weight packed once, for inference (archs/bert_forward.c) ------ */

    /* matmul_forward re-packs the weight into its tile order on every call,
     * which for a product of a few dozen rows costs as much as the product
     * itself. An encoder that runs the same weights over and over packs them
     * once at load instead (PackedWeight below):
     *   packed_floats(out_dim, in_dim)  floats the packed copy needs;
     *   pack_weight   weight [out_dim, in_dim] into panels of NR output
     *                 columns, each [in_dim][NR], the last zero-padded;
     *   matmul_forward_packed  matmul_forward's out[r,o] (columns o_begin <=
     *                 o < o_end, o_begin a multiple of 64) read from them.
     * Every out[r,o] is one chain of FMAs in k order, whatever `rows` is, so
     * a row's result does not depend on the rows around it. NULL in the
     * scalar table: the plain weight is already its order. */
    size_t (*packed_floats)(int out_dim, int in_dim);
    void (*pack_weight)(float *packed, const float *weight, int out_dim, int in_dim);
    void (*matmul_forward_packed)(float *out, const float *inp, const float *packed,
                                  const float *bias, int rows, int in_dim, int out_dim,
                                  int o_begin, int o_end);

    /* ---- rows (layers/head.c, layers/layernorm.c, layers/gelu.c) -------- */

    /* out = gelu(inp) over n values, the tanh form layers/gelu.c derives
     * (out may be inp). */
    void (*gelu_forward)(float *out, const float *inp, size_t n);

    /* x[i] = silu(x[i]) * y[i] = x / (1 + e^-x) * y over n values: the
     * SwiGLU gate of llama's and nomic-bert's FFN (archs/decoder_ops.c). */
    void (*swiglu_forward)(float *x, const float *y, size_t n);

    /* x [n] becomes softmax(x) in place; returns log sum_i exp(x_i), the
     * log-normaliser that cross-entropy needs. */
    float (*softmax)(float *x, int n);

    /* layers/layernorm.c's forward and backward over N rows of width d
     * (the math is there). Backward adds into dinp, dweight and dbias. */
    void (*layernorm_forward)(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, int N, int d);
    void (*layernorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                               const float *inp, const float *weight, const float *mean,
                               const float *rstd, int N, int d);

    /* ---- one attention head (layers/attention.c has the math) ----------- */

    /* Causal attention of one head over T positions: q, k, v [T,dh] with
     * rows `stride` floats apart, out [T,dh] rows `out_stride` apart, probs
     * [T,T] (row t: the softmax over s <= t, zeros after). */
    void (*attention_forward)(float *out, float *probs, const float *q, const float *k,
                              const float *v, int T, int dh, int stride, int out_stride);

    /* Its backward: adds into dq, dk, dv [T,dh] (rows `stride` apart) given
     * dout [T,dh] (rows `dout_stride` apart); scratch [T]. */
    void (*attention_backward)(float *dq, float *dk, float *dv, float *scratch,
                               const float *dout, const float *q, const float *k,
                               const float *v, const float *probs,
                               int T, int dh, int stride, int dout_stride);

    /* One query q [dh] against n_keys cached keys and values (rows `stride`
     * apart): out [dh] = sum_s softmax(q·k_s / sqrt(dh))_s v_s; scores [n_keys]. */
    void (*attention_row)(float *out, float *scores, const float *q, const float *keys,
                          const float *values, int n_keys, int dh, int stride);

    /* ---- the optimiser (train.c) ---------------------------------------- */

    /* For each i < n, with g = grad[i] * s.grad_scale:
     *   m = b1 m + (1-b1) g;   v = b2 v + (1-b2) g²
     *   param -= lr * ( (m c1) / (sqrt(v c2) + eps) + weight_decay * param ) */
    void (*adam_update)(float *param, const float *grad, float *m, float *v,
                        size_t n, AdamStep s);

    /* sum_i x[i]², accumulated in double: the global gradient norm. */
    double (*sum_squares)(const float *x, size_t n);

    /* ---- the yardstick (rustgpt bench) ---------------------------------- */

    /* `rounds` rounds of independent multiply-adds on full vectors that
     * never leave the registers: the FP32 peak of this instruction set on
     * one core. Returns the floating-point operations done (2 per lane per
     * multiply-add); *sink gets a value that depends on all of them. */
    double (*fma_loop)(long rounds, float *sink);

    /* Free the calling thread's scratch buffers (packing, attention rows);
     * NULL where the table keeps none. */
    void (*release_scratch)(void);
} Kernels;

/* The active table (chosen on first use). */
const Kernels *kernels(void);
/* Force a table by name; returns -1 (after fail()) if unknown or unsupported. */
int kernels_select(const char *name);
/* Every table this CPU can run, scalar first; returns how many (at most 4). */
int kernels_available(const Kernels **out, int max);

extern const Kernels kernels_scalar;
#if defined(__x86_64__)
extern const Kernels kernels_avx2, kernels_avx512;
#endif
#if defined(__aarch64__)
extern const Kernels kernels_neon;
#endif

/* ---- threads (kernels/parallel.c) -------------------------------------- */

/* How many OpenMP threads a parallel loop gets: omp_get_max_threads(), or 1
 * in a serial build, inside a parallel region, or for a moment after a
 * thread found the machine too busy to start on time (kernels/parallel.c).
 * Every parallel loop of the hot path asks this (num_threads). */
int kernel_threads(void);
/* This thread's number in its parallel loop (0 outside one, or in a serial
 * build): the row of a per-thread scratch it may use. */
int kernel_thread_id(void);

/* Before the program ends: every thread of the pool frees its scratch, so
 * that a memory checker sees nothing left behind. */
void kernels_release_scratch(void);
/* How many times that busy-machine fallback has happened (rustgpt bench). */
long kernel_busy_fallbacks(void);

/* The threaded forms of the table's matrix products and optimiser loops:
 * they split the work into per-thread slices (by rows, by output columns or
 * by fixed-size chunks) and run the active table on each. Small problems
 * stay on one thread. tensor.h's entry points call these. */
void parallel_matmul_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int rows, int in_dim, int out_dim);
void parallel_matvec_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int rows, int in_dim, int out_dim);
void parallel_matmul_backward_input(float *dinp, const float *dout, const float *weight,
                                    int rows, int in_dim, int out_dim);
void parallel_matmul_backward_weight(float *dweight, float *dbias, const float *dout,
                                     const float *inp, int rows, int in_dim, int out_dim);
/* A weight packed for the table that was active when it was packed, with
 * the plain matrix kept: a product asked for under another table (tests
 * switch tables) or where the table packs nothing runs matmul_forward on it. */
typedef struct {
    const Kernels *table;     /* the table whose pack_weight laid it out */
    float *packed;            /* NULL: use weight                        */
    const float *weight;      /* [out_dim, in_dim], not owned            */
    int out_dim, in_dim;
} PackedWeight;

/* Pack weight (which must outlive p) for the active table; -1 after fail()
 * when out of memory. packed_weight_free releases the packed copy. */
int packed_weight_init(PackedWeight *p, const float *weight, int out_dim, int in_dim);
void packed_weight_free(PackedWeight *p);

/* out [rows, out_dim] = inp [rows, in_dim] · Wᵀ + bias, threaded as
 * parallel_matmul_forward (by columns, in whole panels, for a few rows). */
void parallel_matmul_forward_packed(float *out, const float *inp, const PackedWeight *w,
                                    const float *bias, int rows);
void parallel_adam_update(float *param, const float *grad, float *m, float *v,
                          size_t n, AdamStep s);
/* Summed in fixed-size chunks combined in order: the same bits for any
 * number of threads. */
double parallel_sum_squares(const float *x, size_t n);

#endif
