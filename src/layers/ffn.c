/*
 * layers/ffn.c — the feed-forward layer's nonlinearity (docs/05-ffn.md).
 *
 * The feed-forward sublayer is fc2(relu(fc1(x))): two linear layers from
 * tensor.h with a ReLU between them. The linear parts live in the matrix
 * module; this file holds the ReLU pair.
 */
#include "layers.h"

/* out = max(0, inp), elementwise over n values */
void relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

/* d relu(x)/dx is 1 where x > 0 and 0 elsewhere: the gradient passes through
 * the units that were active and stops at the others.
 *   dinp = dout * [inp > 0]
 * Unlike the other backward functions this one assigns rather than adds, so
 * that it can work in place (dinp == dout): nothing else feeds fc1's output. */
void relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
}
