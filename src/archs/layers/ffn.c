/*
 * layers/ffn.c — the feed-forward layer's nonlinearity (docs/05-ffn.md).
 *
 * The feed-forward sublayer is fc2(relu(fc1(x))): two linear layers from
 * tensor.h with a ReLU between them. The linear parts live in the matrix
 * module; this file holds the ReLU pair.
 */
#include "archs/layers/layers.h"
#include "core/kernels/kernels.h"

/* Both loops are elementwise and memory-bound: vectorised (omp simd) and,
 * on a batch, split across threads in fixed chunks. A small input (one row,
 * in generation) never enters an OpenMP region: even a one-thread region
 * costs about a microsecond. */
enum { RELU_CHUNK = 1 << 15 };

static void relu_forward_range(float *out, const float *inp, size_t begin, size_t end)
{
    #pragma omp simd
    for (size_t i = begin; i < end; i++) {
        float x = inp[i];
        out[i] = x > 0.0f ? x : 0.0f;
    }
}

static void relu_backward_range(float *dinp, const float *dout, const float *inp,
                                size_t begin, size_t end)
{
    #pragma omp simd
    for (size_t i = begin; i < end; i++) {
        float g = dout[i];           /* read unconditionally: a select, not a branch */
        dinp[i] = inp[i] > 0.0f ? g : 0.0f;
    }
}

/* out = max(0, inp), elementwise over n values */
void relu_forward(float *out, const float *inp, size_t n)
{
    long chunks = (long)((n + RELU_CHUNK - 1) / RELU_CHUNK);
    if (chunks <= 1) {
        relu_forward_range(out, inp, 0, n);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (long c = 0; c < chunks; c++) {
        size_t begin = (size_t)c * RELU_CHUNK, end = begin + RELU_CHUNK < n ? begin + RELU_CHUNK : n;
        relu_forward_range(out, inp, begin, end);
    }
}

/* d relu(x)/dx is 1 where x > 0 and 0 elsewhere: the gradient passes through
 * the units that were active and stops at the others.
 *   dinp = dout * [inp > 0]
 * Unlike the other backward functions this one assigns rather than adds, so
 * that it can work in place (dinp == dout): nothing else feeds fc1's output. */
void relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    long chunks = (long)((n + RELU_CHUNK - 1) / RELU_CHUNK);
    if (chunks <= 1) {
        relu_backward_range(dinp, dout, inp, 0, n);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (long c = 0; c < chunks; c++) {
        size_t begin = (size_t)c * RELU_CHUNK, end = begin + RELU_CHUNK < n ? begin + RELU_CHUNK : n;
        relu_backward_range(dinp, dout, inp, begin, end);
    }
}
