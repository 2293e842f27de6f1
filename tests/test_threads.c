/*
 * test_threads.c — the threading contract of kernels/parallel.c: each output
 * is computed by the same operations whichever thread computes it, so the
 * matrix products, the gradient norm, rows decoded together and a short
 * training run give the same bits on 1 and 2 threads, in every kernel table
 * this CPU runs. (The tables against the scalar reference are
 * test_kernels.c.)
 */
#include "test.h"
#include "test_tables.h"
#include "core/kernels/kernels.h"
#include "archs/layers/layers.h"
#include "archs/gpt.h"
#include "core/tensor.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* The products of a batch-sized problem, on 1 and then 2 threads. */
static void test_products_are_the_same_bits_on_any_thread_count(void)
{
    int R = 96, K = 128, O = 1550;
    float *x = random_array((size_t)R * K, 1), *w = random_array((size_t)O * K, 1);
    float *b = random_array(O, 1), *dy = random_array((size_t)R * O, 1);
    for (int t = 0; t < n_tables; t++) {
        kernels_select(tables[t]->name);
        float *out[2], *dx[2], *dw[2], *db[2];
        double norm[2];
        for (int run = 0; run < 2; run++) {
            set_threads(run + 1);
            out[run] = calloc((size_t)R * O, 4); dx[run] = calloc((size_t)R * K, 4);
            dw[run] = calloc((size_t)O * K, 4); db[run] = calloc(O, 4);
            matmul_forward(out[run], x, w, b, R, K, O);
            matmul_backward(dx[run], dw[run], db[run], dy, x, w, R, K, O);
            norm[run] = sum_squares(dy, (size_t)R * O);
            /* one row (generation) takes the column split */
            matmul_forward(out[run], x, w, b, 1, K, O);
        }
        CHECK(memcmp(out[0], out[1], (size_t)R * O * 4) == 0);
        CHECK(memcmp(dx[0], dx[1], (size_t)R * K * 4) == 0);
        CHECK(memcmp(dw[0], dw[1], (size_t)O * K * 4) == 0);
        CHECK(memcmp(db[0], db[1], (size_t)O * 4) == 0);
        CHECK(norm[0] == norm[1]);
        for (int run = 0; run < 2; run++) { free(out[run]); free(dx[run]); free(dw[run]); free(db[run]); }
    }
    set_threads(2);
    free(x); free(w); free(b); free(dy);
}

/* matmul_forward_rows (tensor.h), below MATVEC_MAX_ROWS rows: every row
 * gets the bits it gets alone, whatever rows share its call, in every
 * table and on 1 or 2 threads. Decoding streams together changes no
 * stream's numbers. */
static void test_rows_decoded_together_get_the_bits_they_get_alone(void)
{
    int K = 96, O = 300, R = MATVEC_MAX_ROWS - 1;
    float *x = random_array((size_t)R * K, 1), *w = random_array((size_t)O * K, 1);
    float *b = random_array(O, 1), *alone = calloc((size_t)R * O, 4), *batch = calloc((size_t)R * O, 4);
    for (int t = 0; t < n_tables; t++) {
        kernels_select(tables[t]->name);
        set_threads(1);
        for (int r = 0; r < R; r++)
            matmul_forward_rows(alone + (size_t)r * O, x + (size_t)r * K, w, b, 1, K, O);
        for (int threads = 1; threads <= 2; threads++) {
            set_threads(threads);
            for (int rows = 2; rows <= R; rows += 7) {
                matmul_forward_rows(batch, x, w, b, rows, K, O);
                CHECK(memcmp(batch, alone, (size_t)rows * O * 4) == 0);
            }
        }
    }
    set_threads(2);
    free(x); free(w); free(b); free(alone); free(batch);
}

/* Five Adam steps of a small model: the loss curve on 1 and 2 threads is
 * the same, bit for bit (every reduction is split in fixed chunks). */
static void train_curve(float *losses, int steps)
{
    ModelConfig cfg = { .vocab_size = 50, .d_model = 32, .n_heads = 4, .d_hidden = 64,
                        .n_layers = 2, .seq_len = 24 };
    Model m;
    Activations a;
    CHECK(model_create(&m, &cfg) == 0);
    model_init_weights(&m, 3);
    CHECK(activations_create(&a, &cfg, 8) == 0);
    float *grads = calloc(m.n_params, 4), *adam_m = calloc(m.n_params, 4), *adam_v = calloc(m.n_params, 4);
    int ids[8 * 24], targets[8 * 24];
    Rng data;
    rng_seed(&data, 11);
    for (int i = 0; i < 8 * 24; i++) ids[i] = 3 + (int)(rng_u32(&data) % 47);
    for (int i = 0; i < 8 * 24; i++) targets[i] = (i % 24 == 23) ? TOKEN_PAD : ids[i + 1];
    for (int s = 0; s < steps; s++) {
        losses[s] = model_forward(&m, &a, ids, targets, 8, 24, NULL);
        memset(grads, 0, m.n_params * 4);
        model_backward(&m, &a, grads, ids, targets);
        AdamStep st = { .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                        .correction1 = 1.0f, .correction2 = 1.0f, .grad_scale = 1.0f };
        (void)sum_squares(grads, m.n_params);
        adam_update(m.params, grads, adam_m, adam_v, m.n_params, st);
    }
    free(grads); free(adam_m); free(adam_v);
    activations_free(&a);
    model_free(&m);
}

static void test_training_loss_curve_is_the_same_on_1_and_2_threads(void)
{
    enum { STEPS = 5 };
    for (int t = 0; t < n_tables; t++) {
        kernels_select(tables[t]->name);
        float one[STEPS], two[STEPS];
        set_threads(1);
        train_curve(one, STEPS);
        set_threads(2);
        train_curve(two, STEPS);
        for (int s = 0; s < STEPS; s++) CHECK(one[s] == two[s]);   /* not just close: equal */
        CHECK(two[STEPS - 1] < two[0]);        /* and it learns */
    }
}

int main(void)
{
    n_tables = kernels_available(tables, 4);
    rng_seed(&rng, 42);
    RUN(test_products_are_the_same_bits_on_any_thread_count);
    RUN(test_rows_decoded_together_get_the_bits_they_get_alone);
    RUN(test_training_loss_curve_is_the_same_on_1_and_2_threads);
    TESTS_DONE();
}
