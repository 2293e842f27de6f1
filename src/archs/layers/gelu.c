/*
 * layers/gelu.c — GPT-2's feed-forward nonlinearity, for the GPT_GPT2
 * variant (archs/gpt.h): fc2(gelu(fc1(x))) instead of fc2(relu(fc1(x))).
 *
 * GELU weighs x by the probability that a standard normal is below it,
 * x·Φ(x); GPT-2 (and llama.cpp's gpt2, and PyTorch's approximate="tanh")
 * uses the tanh approximation
 *
 *   gelu(x) = ½ x (1 + tanh u),   u = √(2/π) (x + 0.044715 x³)
 *
 * and its derivative, by the product and chain rules (tanh' = 1 − tanh²):
 *
 *   gelu'(x) = ½ (1 + tanh u) + ½ x (1 − tanh² u) · √(2/π) (1 + 3·0.044715 x²)
 *
 * Unlike ReLU it lets a little gradient through for negative inputs, and it
 * is smooth at 0. This one function serves the trainable GPT-2 variant,
 * the GGUF gpt2 decoder and bert: float math, no table (llama.cpp reads a
 * table of GELU at every half-precision input; the difference is within
 * the tolerances its comparisons state). Large inputs are split across
 * threads, as relu_forward does.
 */
#include "archs/layers/layers.h"
#include "core/kernels/kernels.h"

#include <math.h>

static const float SQRT_2_OVER_PI = 0.7978845608028654f, GELU_A = 0.044715f;

enum { GELU_CHUNK = 1 << 14 };

/* out = gelu(inp), elementwise over n values (out may be inp): the kernel
 * table's loop (scalar.c has the formula as written above; the SIMD tables
 * compute it as x·σ(2u)), over chunks split across threads. */
void gelu_forward(float *out, const float *inp, size_t n)
{
    const Kernels *k = kernels();
    long chunks = (long)((n + GELU_CHUNK - 1) / GELU_CHUNK);
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (chunks >= 4)
    for (long c = 0; c < chunks; c++) {
        size_t at = (size_t)c * GELU_CHUNK;
        k->gelu_forward(out + at, inp + at, n - at < GELU_CHUNK ? n - at : GELU_CHUNK);
    }
}

/* dinp = dout · gelu'(inp). Like relu_backward it assigns rather than adds,
 * so that it can work in place (dinp == dout). */
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = inp[i], t = tanhf(SQRT_2_OVER_PI * (x + GELU_A * x * x * x));
        float slope = 0.5f * (1.0f + t) +
                      0.5f * x * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_A * x * x);
        dinp[i] = dout[i] * slope;
    }
}
