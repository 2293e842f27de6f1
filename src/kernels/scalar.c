/*
 * kernels/scalar.c — the reference implementation of every hot loop.
 *
 * Plain C loops in the order a textbook writes the formulas. They are the
 * truth the SIMD tables are tested against, and the path taken where the CPU
 * has no vector unit we know (RUSTGPT_KERNELS=scalar forces it).
 */
#include "kernels.h"

#include <math.h>

static void matmul_forward(float *out, const float *inp, const float *weight,
                           const float *bias, int rows, int in_dim, int out_dim)
{
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * in_dim;
        for (int o = 0; o < out_dim; o++) {
            const float *w = weight + (size_t)o * in_dim;
            float sum = bias ? bias[o] : 0.0f;
            for (int i = 0; i < in_dim; i++) sum += x[i] * w[i];
            out[(size_t)r * out_dim + o] = sum;
        }
    }
}

static void matmul_backward_input(float *dinp, const float *dout, const float *weight,
                                  int rows, int in_dim, int out_dim)
{
    for (int r = 0; r < rows; r++) {
        float *dx = dinp + (size_t)r * in_dim;
        for (int o = 0; o < out_dim; o++) {
            float g = dout[(size_t)r * out_dim + o];
            const float *w = weight + (size_t)o * in_dim;
            for (int i = 0; i < in_dim; i++) dx[i] += g * w[i];
        }
    }
}

static void matmul_backward_weight(float *dweight, float *dbias, const float *dout,
                                   const float *inp, int rows, int in_dim, int out_dim)
{
    for (int o = 0; o < out_dim; o++) {
        float *dw = dweight + (size_t)o * in_dim;
        float bias_sum = 0.0f;
        for (int r = 0; r < rows; r++) {
            float g = dout[(size_t)r * out_dim + o];
            const float *x = inp + (size_t)r * in_dim;
            bias_sum += g;
            for (int i = 0; i < in_dim; i++) dw[i] += g * x[i];
        }
        if (dbias) dbias[o] += bias_sum;
    }
}

static void adam_update(float *param, const float *grad, float *m, float *v,
                        size_t n, AdamStep s)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] * s.grad_scale;
        m[i] = s.beta1 * m[i] + (1.0f - s.beta1) * g;
        v[i] = s.beta2 * v[i] + (1.0f - s.beta2) * g * g;
        float m_hat = m[i] * s.correction1, v_hat = v[i] * s.correction2;
        param[i] -= s.lr * (m_hat / (sqrtf(v_hat) + s.eps) + s.weight_decay * param[i]);
    }
}

static double sum_squares(const float *x, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)x[i] * x[i];
    return sum;
}

const Kernels kernels_scalar = {
    .name = "scalar",
    .matmul_forward = matmul_forward,
    .matmul_backward_input = matmul_backward_input,
    .matmul_backward_weight = matmul_backward_weight,
    .adam_update = adam_update,
    .sum_squares = sum_squares,
};
