/*
 * test_kernels.c — every SIMD kernel table against the scalar reference.
 *
 * Each test runs the same inputs through kernels_scalar and through every
 * other table this CPU can run (avx2, avx512, neon), on odd shapes — 1, 3,
 * 17, 129, ... — so that every tail, partial tile and k-block edge is
 * exercised, not only multiples of the vector width. Results must agree to
 * a tolerance a few float roundings wide, measured against the size of the
 * terms that were summed (the SIMD paths fuse multiply-adds and add in a
 * different order, so the last bits may differ).
 *
 * The threading contract of kernels/parallel.c (the same bits on 1 and 2
 * threads) is tests/test_threads.c.
 *
 * `test_kernels --has NAME` exits 0 when this CPU runs the table NAME
 * (tests/cli/kernels.sh uses it to skip what the CPU lacks).
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

#define TOL 2e-6   /* relative to the sum of the magnitudes of the terms */

static float *copy_array(const float *x, size_t n)
{
    float *y = malloc((n ? n : 1) * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    return y;
}

/* got[i] must be within tol * (1 + magnitude[i]) of want[i]; reports the
 * first miss with its table and shape. */
static void expect_close(const char *table, const char *what, const float *got, const float *want,
                         const double *magnitude, size_t n, double tol, int a, int b, int c)
{
    for (size_t i = 0; i < n; i++) {
        double bound = tol * (1.0 + (magnitude ? magnitude[i] : fabs(want[i])));
        if (!(fabs((double)got[i] - want[i]) <= bound)) {
            printf("    %s %s (%d, %d, %d) [%zu]: %.9g, scalar %.9g\n", table, what, a, b, c, i,
                   got[i], want[i]);
            test_failed_checks++;
            return;
        }
    }
}

/* ---- matrix products ----------------------------------------------------- */

static const int shapes[][3] = {   /* rows, in_dim, out_dim */
    { 1, 1, 1 }, { 1, 3, 17 }, { 3, 17, 129 }, { 17, 129, 3 }, { 4, 16, 32 }, { 5, 33, 70 },
    { 9, 7, 600 }, { 31, 300, 47 }, { 129, 17, 33 }, { 600, 5, 9 }, { 80, 128, 1550 },
};

/* Σ_i |a(r,i)| |b(i,c)| for every output element: the scale of its error. */
static double *magnitudes(const float *a, long a_row, long a_col, const float *b, long b_row,
                          long b_col, const float *start, int rows, int cols, int inner)
{
    double *m = malloc((size_t)rows * cols * sizeof *m);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double s = start ? fabs(start[(size_t)r * cols + c]) : 0.0;
            for (int i = 0; i < inner; i++)
                s += fabs(a[r * a_row + i * a_col]) * fabs(b[i * b_row + c * b_col]);
            m[(size_t)r * cols + c] = s;
        }
    return m;
}

static void test_matmul_forward_matches_scalar_on_odd_shapes(void)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int R = shapes[s][0], K = shapes[s][1], O = shapes[s][2];
        float *x = random_array((size_t)R * K, 1), *w = random_array((size_t)O * K, 1);
        float *bias = random_array(O, 1), *want = random_array((size_t)R * O, 0);
        kernels_scalar.matmul_forward(want, x, w, bias, R, K, O, 0, O);
        double *mag = magnitudes(x, K, 1, w, 1, K, NULL, R, O, K);
        for (int t = 1; t < n_tables; t++) {
            float *got = random_array((size_t)R * O, 9);
            tables[t]->matmul_forward(got, x, w, bias, R, K, O, 0, O);
            expect_close(tables[t]->name, "forward", got, want, mag, (size_t)R * O, TOL, R, K, O);
            tables[t]->matvec_forward(got, x, w, bias, R, K, O, 0, O);
            expect_close(tables[t]->name, "matvec", got, want, mag, (size_t)R * O, TOL, R, K, O);
            /* no bias, and only a slice of the columns: the rest untouched */
            float *slice = random_array((size_t)R * O, 9), *before = copy_array(slice, (size_t)R * O);
            int o0 = O / 3, o1 = O - O / 4;
            tables[t]->matmul_forward(slice, x, w, NULL, R, K, O, o0, o1);
            for (int r = 0; r < R; r++)
                for (int o = 0; o < O; o++) {
                    size_t i = (size_t)r * O + o;
                    if (o < o0 || o >= o1) CHECK(slice[i] == before[i]);
                    else CHECK(fabs(slice[i] - (want[i] - bias[o])) <= TOL * 4 * (1 + mag[i] + fabs(bias[o])));
                }
            free(got); free(slice); free(before);
        }
        free(x); free(w); free(bias); free(want); free(mag);
    }
}

/* The packed product (weights packed once, for inference): the scalar
 * forward's numbers from every table's panels, on the odd shapes and a
 * slice starting at a multiple of 64; each row's result bit for bit the
 * same whether it is computed alone or among all the rows. */
static void test_packed_forward_matches_scalar_and_ignores_its_neighbours(void)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int R = shapes[s][0], K = shapes[s][1], O = shapes[s][2];
        float *x = random_array((size_t)R * K, 1), *w = random_array((size_t)O * K, 1);
        float *bias = random_array(O, 1), *want = random_array((size_t)R * O, 0);
        kernels_scalar.matmul_forward(want, x, w, bias, R, K, O, 0, O);
        double *mag = magnitudes(x, K, 1, w, 1, K, NULL, R, O, K);
        for (int t = 1; t < n_tables; t++) {
            const Kernels *k = tables[t];
            float *packed = malloc(k->packed_floats(O, K) * sizeof *packed);
            k->pack_weight(packed, w, O, K);
            float *got = random_array((size_t)R * O, 9), *alone = random_array((size_t)O, 9);
            k->matmul_forward_packed(got, x, packed, bias, R, K, O, 0, O);
            expect_close(k->name, "forward packed", got, want, mag, (size_t)R * O, TOL, R, K, O);
            int r = R / 2;
            k->matmul_forward_packed(alone, x + (size_t)r * K, packed, bias, 1, K, O, 0, O);
            CHECK(memcmp(alone, got + (size_t)r * O, (size_t)O * sizeof *alone) == 0);
            if (O > 64) {                         /* columns from 64 on, no bias */
                float *slice = random_array((size_t)R * O, 9), *before = copy_array(slice, (size_t)R * O);
                k->matmul_forward_packed(slice, x, packed, NULL, R, K, O, 64, O);
                for (int i = 0; i < R * O; i++) {
                    int o = i % O;
                    if (o < 64) CHECK(slice[i] == before[i]);
                    else CHECK(fabs(slice[i] - (want[i] - bias[o])) <= TOL * 4 * (1 + mag[i] + fabs(bias[o])));
                }
                free(slice); free(before);
            }
            free(packed); free(got); free(alone);
        }
        free(x); free(w); free(bias); free(want); free(mag);
    }
}

/* PackedWeight: packed for the active table, and the plain product when
 * another table is active by the time it is used. */
static void test_packed_weight_follows_the_active_table(void)
{
    int R = 19, K = 45, O = 150;
    float *x = random_array((size_t)R * K, 1), *w = random_array((size_t)O * K, 1), *bias = random_array(O, 1);
    float *want = random_array((size_t)R * O, 0), *got = random_array((size_t)R * O, 0);
    double *mag = magnitudes(x, K, 1, w, 1, K, NULL, R, O, K);
    kernels_scalar.matmul_forward(want, x, w, bias, R, K, O, 0, O);
    const char *active = kernels()->name;
    PackedWeight p;
    CHECK(packed_weight_init(&p, w, O, K) == 0);
    CHECK((p.packed != NULL) == (kernels()->pack_weight != NULL));
    parallel_matmul_forward_packed(got, x, &p, bias, R);
    expect_close(active, "PackedWeight", got, want, mag, (size_t)R * O, TOL, R, K, O);
    CHECK(kernels_select("scalar") == 0);
    parallel_matmul_forward_packed(got, x, &p, bias, R);
    CHECK(memcmp(got, want, (size_t)R * O * sizeof *got) == 0);
    CHECK(kernels_select(active) == 0);
    packed_weight_free(&p);
    free(x); free(w); free(bias); free(want); free(got); free(mag);
}

/* GELU: each table within 1e-6 (1 + |x|) of the scalar tanh form, from the
 * far negative tail (where ½x(1 + tanh u) cancels) to large x, and on
 * lengths that leave every possible vector tail. */
static void test_gelu_matches_scalar(void)
{
    enum { N = 4099 };
    float *x = malloc(N * sizeof *x), *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
    for (int i = 0; i < N; i++) x[i] = -30.0f + 60.0f * (float)i / (N - 1);
    x[0] = -1e4f; x[1] = 1e4f; x[2] = 0.0f; x[3] = -1e-30f;
    kernels_scalar.gelu_forward(want, x, N);
    CHECK(want[2] == 0.0f && want[1] == 1e4f && fabs(want[0]) < 1e-30);
    for (int t = 1; t < n_tables; t++)
        for (int n = N - 17; n <= N; n++) {
            memset(got, 0, N * sizeof *got);
            tables[t]->gelu_forward(got, x, (size_t)n);
            for (int i = 0; i < n; i++)
                if (!(fabs((double)got[i] - want[i]) <= 1e-6 * (1 + fabs(x[i])))) {
                    printf("    %s gelu(%.9g) = %.9g, scalar %.9g\n", tables[t]->name, x[i], got[i], want[i]);
                    test_failed_checks++;
                    break;
                }
            for (int i = n; i < N; i++) CHECK(got[i] == 0.0f);
        }
    free(x); free(want); free(got);
}

static void test_swiglu_matches_scalar(void)
{
    enum { N = 4099 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *want = malloc(N * sizeof *want);
    float *got = malloc(N * sizeof *got);
    for (int i = 0; i < N; i++) {
        x[i] = -30.0f + 60.0f * (float)i / (N - 1);
        y[i] = 0.5f - (float)(i % 7) / 3.0f;
    }
    x[0] = -1e4f; x[1] = 1e4f; x[2] = 0.0f; x[3] = -1e-30f;
    memcpy(want, x, N * sizeof *x);
    kernels_scalar.swiglu_forward(want, y, N);
    CHECK(want[2] == 0.0f && want[1] == 1e4f * y[1] && fabs(want[0]) < 1e-30);
    for (int t = 1; t < n_tables; t++)
        for (int n = N - 17; n <= N; n++) {
            memcpy(got, x, N * sizeof *x);
            tables[t]->swiglu_forward(got, y, (size_t)n);
            for (int i = 0; i < n; i++)
                if (!(fabs((double)got[i] - want[i]) <= 1e-6 * (1 + fabs(x[i] * y[i])))) {
                    printf("    %s swiglu(%.9g, %.9g) = %.9g, scalar %.9g\n", tables[t]->name, x[i], y[i], got[i],
                           want[i]);
                    test_failed_checks++;
                    break;
                }
            for (int i = n; i < N; i++) CHECK(got[i] == x[i]);
        }
    free(x); free(y); free(want); free(got);
}

static void test_matmul_backward_matches_scalar_on_odd_shapes(void)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int R = shapes[s][0], K = shapes[s][1], O = shapes[s][2];
        float *x = random_array((size_t)R * K, 1), *w = random_array((size_t)O * K, 1);
        float *dy = random_array((size_t)R * O, 1);
        float *dx0 = random_array((size_t)R * K, 1), *dw0 = random_array((size_t)O * K, 1);
        float *db0 = random_array(O, 1);
        float *dx_want = copy_array(dx0, (size_t)R * K), *dw_want = copy_array(dw0, (size_t)O * K);
        float *db_want = copy_array(db0, O);
        kernels_scalar.matmul_backward_input(dx_want, dy, w, R, K, O);
        kernels_scalar.matmul_backward_weight(dw_want, db_want, dy, x, R, K, O, 0, O);
        double *mag_dx = magnitudes(dy, O, 1, w, K, 1, dx0, R, K, O);
        double *mag_dw = magnitudes(dy, 1, O, x, K, 1, dw0, O, K, R);
        double *mag_db = malloc((size_t)O * sizeof *mag_db);
        for (int o = 0; o < O; o++) {
            double sum = fabs(db0[o]);
            for (int r = 0; r < R; r++) sum += fabs(dy[(size_t)r * O + o]);
            mag_db[o] = sum;
        }
        for (int t = 1; t < n_tables; t++) {
            float *dx = copy_array(dx0, (size_t)R * K), *dw = copy_array(dw0, (size_t)O * K);
            float *db = copy_array(db0, O);
            tables[t]->matmul_backward_input(dx, dy, w, R, K, O);
            tables[t]->matmul_backward_weight(dw, db, dy, x, R, K, O, 0, O);
            expect_close(tables[t]->name, "backward_input", dx, dx_want, mag_dx, (size_t)R * K, TOL, R, K, O);
            expect_close(tables[t]->name, "backward_weight", dw, dw_want, mag_dw, (size_t)O * K, TOL, R, K, O);
            expect_close(tables[t]->name, "dbias", db, db_want, mag_db, O, TOL, R, K, O);
            free(dx); free(dw); free(db);
        }
        free(x); free(w); free(dy); free(dx0); free(dw0); free(db0);
        free(dx_want); free(dw_want); free(db_want); free(mag_dx); free(mag_dw); free(mag_db);
    }
}

/* ---- rows ------------------------------------------------------------------ */

static void test_softmax_matches_scalar_and_returns_logsumexp(void)
{
    static const int lengths[] = { 1, 2, 3, 15, 16, 17, 33, 129, 1550 };
    for (size_t s = 0; s < sizeof lengths / sizeof lengths[0]; s++) {
        int n = lengths[s];
        float *x = random_array(n, 20);
        x[n / 2] = -200.0f;                 /* underflows to 0 in every path */
        float *want = copy_array(x, n);
        float lse = kernels_scalar.softmax(want, n);
        for (int t = 1; t < n_tables; t++) {
            float *got = copy_array(x, n);
            float got_lse = tables[t]->softmax(got, n);
            expect_close(tables[t]->name, "softmax", got, want, NULL, n, 1e-6, n, 0, 0);
            CHECK_NEAR(got_lse, lse, 1e-6);
            free(got);
        }
        free(x); free(want);
    }
}

static void test_layernorm_matches_scalar(void)
{
    static const int widths[] = { 1, 3, 16, 17, 129 };
    int N = 5;
    for (size_t s = 0; s < sizeof widths / sizeof widths[0]; s++) {
        int d = widths[s];
        size_t n = (size_t)N * d;
        float *x = random_array(n, 3), *w = random_array(d, 1), *b = random_array(d, 1);
        float *dy = random_array(n, 1), *dx0 = random_array(n, 1), *dw0 = random_array(d, 1);
        float *db0 = random_array(d, 1);
        float *y = malloc(n * 4), *mean = malloc(N * 4), *rstd = malloc(N * 4);
        kernels_scalar.layernorm_forward(y, mean, rstd, x, w, b, N, d);
        float *dx = copy_array(dx0, n), *dw = copy_array(dw0, d), *db = copy_array(db0, d);
        kernels_scalar.layernorm_backward(dx, dw, db, dy, x, w, mean, rstd, N, d);
        for (int t = 1; t < n_tables; t++) {
            float *y2 = malloc(n * 4), *mean2 = malloc(N * 4), *rstd2 = malloc(N * 4);
            tables[t]->layernorm_forward(y2, mean2, rstd2, x, w, b, N, d);
            expect_close(tables[t]->name, "layernorm out", y2, y, NULL, n, 1e-5, N, d, 0);
            expect_close(tables[t]->name, "layernorm mean", mean2, mean, NULL, N, 1e-6, N, d, 0);
            expect_close(tables[t]->name, "layernorm rstd", rstd2, rstd, NULL, N, 1e-5, N, d, 0);
            float *dx2 = copy_array(dx0, n), *dw2 = copy_array(dw0, d), *db2 = copy_array(db0, d);
            tables[t]->layernorm_backward(dx2, dw2, db2, dy, x, w, mean, rstd, N, d);
            expect_close(tables[t]->name, "layernorm dx", dx2, dx, NULL, n, 1e-5, N, d, 0);
            expect_close(tables[t]->name, "layernorm dweight", dw2, dw, NULL, d, 1e-5, N, d, 0);
            expect_close(tables[t]->name, "layernorm dbias", db2, db, NULL, d, 1e-5, N, d, 0);
            free(y2); free(mean2); free(rstd2); free(dx2); free(dw2); free(db2);
        }
        free(x); free(w); free(b); free(dy); free(dx0); free(dw0); free(db0);
        free(y); free(mean); free(rstd); free(dx); free(dw); free(db);
    }
}

/* ---- one attention head ------------------------------------------------- */

static void test_attention_head_matches_scalar(void)
{
    static const int lengths[] = { 1, 3, 8, 17, 33, 80 }, widths[] = { 1, 3, 4, 16, 17, 20, 64, 100 };
    for (size_t a = 0; a < sizeof lengths / sizeof lengths[0]; a++) {
        for (size_t c = 0; c < sizeof widths / sizeof widths[0]; c++) {
            int T = lengths[a], dh = widths[c], stride = 3 * dh + 5, out_stride = dh + 2;
            size_t n_in = (size_t)T * stride, n_out = (size_t)T * out_stride;
            float *qkv = random_array(n_in + 2 * dh, 2), *q = qkv, *k = qkv + dh, *v = qkv + 2 * dh;
            float *out = random_array(n_out, 0), *probs = malloc((size_t)T * T * 4);
            float *dout = random_array(n_out, 1), *scratch = malloc((size_t)T * 4);
            float *dqkv0 = random_array(n_in + 2 * dh, 1), *dqkv = copy_array(dqkv0, n_in + 2 * dh);
            kernels_scalar.attention_forward(out, probs, q, k, v, T, dh, stride, out_stride);
            kernels_scalar.attention_backward(dqkv, dqkv + dh, dqkv + 2 * dh, scratch, dout, q, k, v,
                                              probs, T, dh, stride, out_stride);
            float *row_out = malloc(dh * 4), *scores = malloc((size_t)T * 4);
            kernels_scalar.attention_row(row_out, scores, q + (size_t)(T - 1) * stride, k, v, T, dh, stride);
            for (int t = 1; t < n_tables; t++) {
                float *out2 = copy_array(out, n_out), *probs2 = random_array((size_t)T * T, 9);
                for (int r = 0; r < T; r++)          /* the gaps between rows must stay untouched */
                    for (int i = 0; i < dh; i++) out2[(size_t)r * out_stride + i] = 7.0f;
                tables[t]->attention_forward(out2, probs2, q, k, v, T, dh, stride, out_stride);
                expect_close(tables[t]->name, "attention out", out2, out, NULL, n_out, 1e-5, T, dh, 0);
                expect_close(tables[t]->name, "attention probs", probs2, probs, NULL, (size_t)T * T, 1e-6, T, dh, 0);
                float *dqkv2 = copy_array(dqkv0, n_in + 2 * dh);
                tables[t]->attention_backward(dqkv2, dqkv2 + dh, dqkv2 + 2 * dh, scratch, dout, q, k, v,
                                              probs, T, dh, stride, out_stride);
                expect_close(tables[t]->name, "attention dqkv", dqkv2, dqkv, NULL, n_in + 2 * dh, 1e-5, T, dh, 0);
                float *row2 = malloc(dh * 4), *scores2 = malloc((size_t)T * 4);
                tables[t]->attention_row(row2, scores2, q + (size_t)(T - 1) * stride, k, v, T, dh, stride);
                expect_close(tables[t]->name, "attention_row", row2, row_out, NULL, dh, 1e-5, T, dh, 0);
                /* the decode row is the full pass's last row */
                expect_close(tables[t]->name, "row vs full", row2, out2 + (size_t)(T - 1) * out_stride,
                             NULL, dh, 1e-5, T, dh, 0);
                free(out2); free(probs2); free(dqkv2); free(row2); free(scores2);
            }
            free(qkv); free(out); free(probs); free(dout); free(scratch); free(dqkv0); free(dqkv);
            free(row_out); free(scores);
        }
    }
}

/* attention_row scores keys four at a time, then one by one. Each key's
 * score must be the same bits on either path (a stream's text must not
 * depend on how many keys its cache holds), so identical keys must get
 * identical probabilities wherever they fall. */
static void test_attention_row_scores_a_key_alike_on_every_path(void)
{
    static const int lengths[] = { 16, 23, 37, 71 }, widths[] = { 16, 20, 64 };
    for (size_t a = 0; a < sizeof lengths / sizeof lengths[0]; a++) {
        for (size_t c = 0; c < sizeof widths / sizeof widths[0]; c++) {
            int T = lengths[a], dh = widths[c], stride = dh + 3;
            float *q = random_array(dh, 2), *key = random_array(dh, 1);
            float *keys = malloc((size_t)T * stride * sizeof *keys), *values = random_array((size_t)T * stride, 1);
            for (int s = 0; s < T; s++) memcpy(keys + (size_t)s * stride, key, (size_t)dh * sizeof *key);
            float *out = malloc((size_t)dh * sizeof *out), *probs = malloc((size_t)T * sizeof *probs);
            for (int t = 0; t < n_tables; t++) {
                tables[t]->attention_row(out, probs, q, keys, values, T, dh, stride);
                for (int s = 1; s < T; s++)
                    if (memcmp(&probs[s], &probs[0], sizeof probs[0]) != 0) {
                        printf("    %s T %d dh %d: key %d has probability %.9g, key 0 %.9g\n",
                               tables[t]->name, T, dh, s, probs[s], probs[0]);
                        test_failed_checks++;
                        break;
                    }
            }
            free(q); free(key); free(keys); free(values); free(out); free(probs);
        }
    }
}

/* ---- the optimiser -------------------------------------------------------- */

static void test_adam_and_norm_match_scalar(void)
{
    static const size_t lengths[] = { 1, 3, 17, 129, 1000 };
    AdamStep step = { .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                      .correction1 = 1.0f / 0.19f, .correction2 = 1.0f / 0.002f,
                      .weight_decay = 0.01f, .grad_scale = 0.5f };
    for (size_t s = 0; s < sizeof lengths / sizeof lengths[0]; s++) {
        size_t n = lengths[s];
        float *p = random_array(n, 1), *g = random_array(n, 1), *m = random_array(n, 0.1f);
        float *v = random_array(n, 0.1f);
        for (size_t i = 0; i < n; i++) v[i] = fabsf(v[i]);
        float *p1 = copy_array(p, n), *m1 = copy_array(m, n), *v1 = copy_array(v, n);
        kernels_scalar.adam_update(p1, g, m1, v1, n, step);
        double norm = kernels_scalar.sum_squares(g, n);
        for (int t = 1; t < n_tables; t++) {
            float *p2 = copy_array(p, n), *m2 = copy_array(m, n), *v2 = copy_array(v, n);
            tables[t]->adam_update(p2, g, m2, v2, n, step);
            expect_close(tables[t]->name, "adam param", p2, p1, NULL, n, 1e-6, (int)n, 0, 0);
            expect_close(tables[t]->name, "adam m", m2, m1, NULL, n, 1e-6, (int)n, 0, 0);
            expect_close(tables[t]->name, "adam v", v2, v1, NULL, n, 1e-6, (int)n, 0, 0);
            CHECK_NEAR(tables[t]->sum_squares(g, n), norm, 1e-12);
            free(p2); free(m2); free(v2);
        }
        free(p); free(g); free(m); free(v); free(p1); free(m1); free(v1);
    }
}

/* ---- dispatch and threads ------------------------------------------------- */

static void test_dispatch_lists_scalar_first_and_rejects_unknown_names(void)
{
    CHECK(n_tables >= 1 && tables[0] == &kernels_scalar);
    for (int t = 0; t < n_tables; t++) {
        CHECK(kernels_select(tables[t]->name) == 0);
        CHECK(kernels() == tables[t]);
    }
    CHECK(kernels_select("avx9000") == -1);
    CHECK(strstr(last_error(), "avx9000") != NULL);
}

int main(int argc, char **argv)
{
    n_tables = kernels_available(tables, 4);
    if (argc == 3 && strcmp(argv[1], "--has") == 0) {
        for (int t = 0; t < n_tables; t++)
            if (strcmp(tables[t]->name, argv[2]) == 0) return 0;
        return 1;
    }
    printf("    kernel tables on this CPU:");
    for (int t = 0; t < n_tables; t++) printf(" %s", tables[t]->name);
    printf("\n");
    rng_seed(&rng, 42);
    RUN(test_matmul_forward_matches_scalar_on_odd_shapes);
    RUN(test_packed_forward_matches_scalar_and_ignores_its_neighbours);
    RUN(test_packed_weight_follows_the_active_table);
    RUN(test_gelu_matches_scalar);
    RUN(test_swiglu_matches_scalar);
    RUN(test_matmul_backward_matches_scalar_on_odd_shapes);
    RUN(test_softmax_matches_scalar_and_returns_logsumexp);
    RUN(test_layernorm_matches_scalar);
    RUN(test_attention_head_matches_scalar);
    RUN(test_attention_row_scores_a_key_alike_on_every_path);
    RUN(test_adam_and_norm_match_scalar);
    RUN(test_dispatch_lists_scalar_first_and_rejects_unknown_names);
    TESTS_DONE();
}
