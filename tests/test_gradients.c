/*
 * test_gradients.c — every backward pass against finite differences.
 *
 * For a function out = f(inp) we pick a fixed random "upstream gradient" R
 * and define the scalar L = Σ out·R, so dL/dout = R. The analytic gradient
 * (the layer's backward with dout = R) must match the central difference
 * (L(x + eps) - L(x - eps)) / 2eps for every input. In float arithmetic
 * eps = 5e-3 balances rounding against curvature and ReLU kinks; the
 * agreement is then about 1e-3, so the comparison is on the whole gradient
 * vector:  |num - ana| / |num| < 1e-2  (Euclidean norms). A missing
 * 1/sqrt(dh), a dropped LayerNorm term or a transposed matmul all give
 * errors of order 1 and fail loudly.
 */
#include "test.h"
#include "archs/layers/layers.h"
#include "archs/gpt.h"
#include "core/tensor.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define EPS 5e-3f
#define TOLERANCE 1e-2

static Rng rng;

static float *random_array(size_t n, float scale)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (rng_uniform(&rng) * 2.0f - 1.0f) * scale;
    return x;
}

static double dot_double(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Relative error between two gradient vectors. */
static double relative_error(const double *num, const float *ana, size_t n)
{
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        diff += (num[i] - ana[i]) * (num[i] - ana[i]);
        norm += num[i] * num[i];
    }
    return norm > 0 ? sqrt(diff / norm) : sqrt(diff);
}

/* A layer under test: computes L = Σ out·R for the current inputs. */
typedef double (*ScalarLoss)(void *ctx);

/* Central differences of loss() with respect to each element of x [n]. */
static double *numeric_gradient(ScalarLoss loss, void *ctx, float *x, size_t n)
{
    double *g = malloc(n * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        float saved = x[i];
        x[i] = saved + EPS;
        double up = loss(ctx);
        x[i] = saved - EPS;
        double down = loss(ctx);
        x[i] = saved;
        g[i] = (up - down) / (2.0 * EPS);
    }
    return g;
}

static void expect_gradient(const char *what, ScalarLoss loss, void *ctx, float *x,
                            const float *analytic, size_t n)
{
    double *num = numeric_gradient(loss, ctx, x, n);
    double err = relative_error(num, analytic, n);
    if (!(err < TOLERANCE)) printf("    %s: relative error %.3g\n", what, err);
    CHECK(err < TOLERANCE);
    free(num);
}

/* ---- matmul -------------------------------------------------------------- */

typedef struct { float *inp, *w, *b, *out, *R; int rows, in, out_dim; } MatmulCase;

static double matmul_loss(void *p)
{
    MatmulCase *c = p;
    matmul_forward(c->out, c->inp, c->w, c->b, c->rows, c->in, c->out_dim);
    return dot_double(c->out, c->R, (size_t)c->rows * c->out_dim);
}

static void test_matmul_backward_matches_finite_differences(void)
{
    MatmulCase c = { .rows = 5, .in = 7, .out_dim = 3 };
    c.inp = random_array(35, 1); c.w = random_array(21, 1); c.b = random_array(3, 1);
    c.out = random_array(15, 0); c.R = random_array(15, 1);
    float *dinp = calloc(35, 4), *dw = calloc(21, 4), *db = calloc(3, 4);
    matmul_backward(dinp, dw, db, c.R, c.inp, c.w, c.rows, c.in, c.out_dim);
    expect_gradient("dinp", matmul_loss, &c, c.inp, dinp, 35);
    expect_gradient("dweight", matmul_loss, &c, c.w, dw, 21);
    expect_gradient("dbias", matmul_loss, &c, c.b, db, 3);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.R); free(dinp); free(dw); free(db);
}

/* ---- layernorm ----------------------------------------------------------- */

typedef struct { float *inp, *w, *b, *out, *mean, *rstd, *R; int N, d; } LayerNormCase;

static double layernorm_loss(void *p)
{
    LayerNormCase *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->d);
    return dot_double(c->out, c->R, (size_t)c->N * c->d);
}

static void test_layernorm_backward_has_all_three_terms(void)
{
    LayerNormCase c = { .N = 4, .d = 9 };
    size_t n = 36;
    c.inp = random_array(n, 2); c.w = random_array(9, 1); c.b = random_array(9, 1);
    c.out = calloc(n, 4); c.mean = calloc(4, 4); c.rstd = calloc(4, 4); c.R = random_array(n, 1);
    layernorm_loss(&c);
    float *dinp = calloc(n, 4), *dw = calloc(9, 4), *db = calloc(9, 4);
    layernorm_backward(dinp, dw, db, c.R, c.inp, c.w, c.mean, c.rstd, c.N, c.d);
    expect_gradient("dinp", layernorm_loss, &c, c.inp, dinp, n);
    expect_gradient("dweight", layernorm_loss, &c, c.w, dw, 9);
    expect_gradient("dbias", layernorm_loss, &c, c.b, db, 9);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.mean); free(c.rstd); free(c.R);
    free(dinp); free(dw); free(db);
}

/* ---- attention ----------------------------------------------------------- */

typedef struct { float *qkv, *out, *probs, *R; int B, T, d, h; } AttentionCase;

static double attention_loss(void *p)
{
    AttentionCase *c = p;
    attention_forward(c->out, c->probs, c->qkv, c->B, c->T, c->d, c->h);
    return dot_double(c->out, c->R, (size_t)c->B * c->T * c->d);
}

static void test_attention_backward_through_softmax_and_scale(void)
{
    AttentionCase c = { .B = 2, .T = 5, .d = 8, .h = 2 };
    size_t n_qkv = (size_t)c.B * c.T * 3 * c.d, n_out = (size_t)c.B * c.T * c.d;
    c.qkv = random_array(n_qkv, 1.5f); c.out = calloc(n_out, 4);
    c.probs = calloc((size_t)c.B * c.h * c.T * c.T, 4); c.R = random_array(n_out, 1);
    attention_loss(&c);
    float *dqkv = calloc(n_qkv, 4), *scratch = calloc((size_t)c.B * c.h * c.T, 4);
    attention_backward(dqkv, scratch, c.R, c.qkv, c.probs, c.B, c.T, c.d, c.h);
    expect_gradient("dqkv", attention_loss, &c, c.qkv, dqkv, n_qkv);
    free(c.qkv); free(c.out); free(c.probs); free(c.R); free(dqkv); free(scratch);
}

/* h heads of width dh are h independent single-head attentions over their
 * own slices of q, k and v, placed side by side. */
static void test_multihead_equals_separate_single_heads(void)
{
    int B = 2, T = 6, d = 12, h = 3, dh = d / h;
    float *qkv = random_array((size_t)B * T * 3 * d, 2), *out = calloc((size_t)B * T * d, 4);
    float *probs = calloc((size_t)B * h * T * T, 4);
    attention_forward(out, probs, qkv, B, T, d, h);
    float *slice = calloc((size_t)B * T * 3 * dh, 4), *one = calloc((size_t)B * T * dh, 4);
    float *one_probs = calloc((size_t)B * T * T, 4);
    for (int j = 0; j < h; j++) {
        for (int r = 0; r < B * T; r++)
            for (int part = 0; part < 3; part++)
                memcpy(slice + (size_t)r * 3 * dh + part * dh,
                       qkv + (size_t)r * 3 * d + part * d + j * dh, dh * sizeof(float));
        attention_forward(one, one_probs, slice, B, T, dh, 1);
        for (int r = 0; r < B * T; r++)
            for (int i = 0; i < dh; i++)
                CHECK_NEAR(out[(size_t)r * d + j * dh + i], one[(size_t)r * dh + i], 1e-6);
    }
    free(qkv); free(out); free(probs); free(slice); free(one); free(one_probs);
}

static void test_attention_is_causal(void)
{
    int B = 1, T = 5, d = 4, h = 2;
    float *qkv = random_array((size_t)T * 3 * d, 1), *out = calloc((size_t)T * d, 4);
    float *after = calloc((size_t)T * d, 4), *probs = calloc((size_t)h * T * T, 4);
    attention_forward(out, probs, qkv, B, T, d, h);
    for (int i = 0; i < 3 * d; i++) qkv[4 * 3 * d + i] += 10.0f;   /* change the last position */
    attention_forward(after, probs, qkv, B, T, d, h);
    for (int i = 0; i < 4 * d; i++) CHECK(out[i] == after[i]);     /* earlier ones unchanged */
    for (int t = 0; t < T; t++)
        for (int s = t + 1; s < T; s++) CHECK(probs[t * T + s] == 0.0f);
    free(qkv); free(out); free(after); free(probs);
}

/* ---- embedding, relu, cross-entropy ----------------------------------- */

typedef struct { float *tok, *pos, *out, *R; int *ids; int B, T, d; } EmbeddingCase;

static double embedding_loss(void *p)
{
    EmbeddingCase *c = p;
    embedding_forward(c->out, c->ids, c->tok, c->pos, c->B, c->T, c->d);
    return dot_double(c->out, c->R, (size_t)c->B * c->T * c->d);
}

static void test_embedding_backward_collects_repeated_tokens(void)
{
    int ids[6] = { 3, 1, 3, 0, 3, 2 };
    EmbeddingCase c = { .B = 2, .T = 3, .d = 4, .ids = ids };
    c.tok = random_array(16, 1); c.pos = random_array(12, 1);
    c.out = calloc(24, 4); c.R = random_array(24, 1);
    float *dtok = calloc(16, 4), *dpos = calloc(12, 4);
    embedding_backward(dtok, dpos, c.R, ids, c.B, c.T, c.d);
    expect_gradient("dtok_emb", embedding_loss, &c, c.tok, dtok, 16);
    expect_gradient("dpos_emb", embedding_loss, &c, c.pos, dpos, 12);
    free(c.tok); free(c.pos); free(c.out); free(c.R); free(dtok); free(dpos);
}

typedef struct { float *logits, *probs; int *targets; int N, V; } LossCase;

static double crossentropy_loss(void *p)
{
    LossCase *c = p;
    int n;
    return crossentropy_forward(c->probs, c->logits, c->targets, c->N, c->V, &n);
}

static void test_crossentropy_gradient_is_probs_minus_onehot(void)
{
    int targets[4] = { 2, 0, 4, 1 };   /* row 1 targets <pad>: it is skipped */
    LossCase c = { .N = 4, .V = 5, .targets = targets };
    c.logits = random_array(20, 3); c.probs = calloc(20, 4);
    int count;
    crossentropy_forward(c.probs, c.logits, targets, c.N, c.V, &count);
    CHECK(count == 3);
    float *dlogits = calloc(20, 4);
    crossentropy_backward(dlogits, c.probs, targets, c.N, c.V, 1.0f / count);
    expect_gradient("dlogits", crossentropy_loss, &c, c.logits, dlogits, 20);
    for (int i = 0; i < 5; i++) CHECK(dlogits[5 + i] == 0.0f);   /* the <pad> row */
    free(c.logits); free(c.probs); free(dlogits);
}

static void test_relu_gradient_passes_only_active_units(void)
{
    float x[4] = { -1, 2, 0, 3 }, dout[4] = { 5, 6, 7, 8 }, dx[4];
    relu_backward(dx, dout, x, 4);
    CHECK(dx[0] == 0 && dx[1] == 6 && dx[2] == 0 && dx[3] == 8);
}

/* gelu: L = Σ gelu(x)·R, so dL/dx = R·gelu'(x), checked at points on both
 * sides of 0 and in the curved region around it. */
typedef struct { float *x, *out, *R; size_t n; } GeluCase;

static double gelu_loss(void *p)
{
    GeluCase *c = p;
    gelu_forward(c->out, c->x, c->n);
    return dot_double(c->out, c->R, c->n);
}

static void test_gelu_backward_matches_finite_differences(void)
{
    GeluCase c = { .n = 24 };
    c.x = random_array(c.n, 3); c.out = random_array(c.n, 0); c.R = random_array(c.n, 1);
    float *dx = malloc(c.n * sizeof *dx);
    gelu_backward(dx, c.R, c.x, c.n);
    expect_gradient("dx", gelu_loss, &c, c.x, dx, c.n);
    float zero = 0.0f, g;                         /* gelu(0) = 0, gelu'(0) = 1/2 */
    gelu_forward(&g, &zero, 1);
    CHECK(g == 0.0f);
    float one = 1.0f;
    gelu_backward(&g, &one, &zero, 1);
    CHECK_NEAR(g, 0.5, 1e-6);
    free(c.x); free(c.out); free(c.R); free(dx);
}

/* ---- the whole model ----------------------------------------------------- */

typedef struct { Model *m; Activations *a; int *ids, *targets; int B, T; } ModelCase;

static double model_loss(void *p)
{
    ModelCase *c = p;
    return model_forward(c->m, c->a, c->ids, c->targets, c->B, c->T, NULL);
}

static void check_whole_model_gradient(int variant)
{
    ModelConfig cfg = { .vocab_size = 11, .d_model = 8, .n_heads = 2, .d_hidden = 12,
                        .n_layers = 2, .seq_len = 6, .variant = variant };
    Model m;
    CHECK(model_create(&m, &cfg) == 0);
    model_init_weights(&m, 7);
    /* larger weights than the 0.02 init, so every path carries signal */
    for (size_t i = 0; i < m.n_params; i++) m.params[i] += (rng_uniform(&rng) - 0.5f) * 0.6f;
    Activations a;
    CHECK(activations_create(&a, &cfg, 2) == 0);
    int ids[10] = { 3, 5, 7, 9, 4, 6, 8, 10, 0, 0 };          /* second row padded */
    int targets[10] = { 5, 7, 9, 4, 2, 8, 10, 2, 0, 0 };
    ModelCase c = { &m, &a, ids, targets, 2, 5 };
    float *grads = calloc(m.n_params, 4);
    model_loss(&c);
    model_backward(&m, &a, grads, ids, targets);
    for (int t = 0; t < model_tensor_count(&cfg); t++) {
        TensorInfo info = model_tensor_info(&cfg, t);
        double *num = numeric_gradient(model_loss, &c, m.params + info.offset, info.numel);
        double err = relative_error(num, grads + info.offset, info.numel);
        if (!(err < TOLERANCE)) printf("    %s: relative error %.3g\n", info.name, err);
        CHECK(err < TOLERANCE);
        free(num);
    }
    free(grads);
    activations_free(&a);
    model_free(&m);
}

static void test_whole_model_gradient_matches_finite_differences(void)
{
    check_whole_model_gradient(GPT_RUSTGPT);
}

/* The GPT-2 variant: GELU in the feed-forward layer, no head bias (its
 * parameter table has one tensor less, and every one is checked). */
static void test_gpt2_variant_gradient_matches_finite_differences(void)
{
    ModelConfig cfg = { .vocab_size = 11, .d_model = 8, .n_heads = 2, .d_hidden = 12,
                        .n_layers = 2, .seq_len = 6, .variant = GPT_GPT2 };
    CHECK(model_tensor_count(&cfg) == 2 + 12 * 2 + 3);
    CHECK(strcmp(model_tensor_info(&cfg, model_tensor_count(&cfg) - 1).name, "head.weight") == 0);
    check_whole_model_gradient(GPT_GPT2);
}

int main(void)
{
    rng_seed(&rng, 42);
    RUN(test_matmul_backward_matches_finite_differences);
    RUN(test_layernorm_backward_has_all_three_terms);
    RUN(test_attention_backward_through_softmax_and_scale);
    RUN(test_multihead_equals_separate_single_heads);
    RUN(test_attention_is_causal);
    RUN(test_embedding_backward_collects_repeated_tokens);
    RUN(test_crossentropy_gradient_is_probs_minus_onehot);
    RUN(test_relu_gradient_passes_only_active_units);
    RUN(test_whole_model_gradient_matches_finite_differences);
    RUN(test_gpt2_variant_gradient_matches_finite_differences);
    RUN(test_gelu_backward_matches_finite_differences);
    TESTS_DONE();
}
