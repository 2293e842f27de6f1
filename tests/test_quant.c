/*
 * test_quant.c — the quantized types of core/quant.h.
 *
 *  - the 16-bit float conversions: every f16 and bf16 bit pattern round-trips;
 *  - the block layouts, decoded from hand-built blocks whose values are known
 *    (the layouts of ggml-common.h: Q8_0, Q4_0, Q4_K, Q5_K, Q6_K);
 *  - quantize → dequantize on normal data: the error of each type stays under
 *    its bound (relative RMS error; printed, docs/16-quantization.md);
 *  - the products: every SIMD table equals the scalar reference within
 *    1e-5 of the summed magnitudes (the integer sums are exact, only the
 *    float accumulation order differs); matvec equals the float product of
 *    the dequantized weights within the activation's 8-bit rounding; matmul
 *    of fewer than 16 rows equals n matvecs bit for bit, of more the float
 *    product of the dequantized weights (1e-5) except on integer tiles
 *    (test_quant_tiles.c); 1 and 2 threads give the same bits.
 */
#include "test.h"
#include "core/quant.h"
#include "core/quant_blocks.h"
#include "core/kernels/kernels.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static Rng rng;

static const rg_type all_types[] = {
    RG_TYPE_F32, RG_TYPE_F16, RG_TYPE_BF16, RG_TYPE_Q8_0, RG_TYPE_Q4_0,
    RG_TYPE_Q4_K, RG_TYPE_Q5_K, RG_TYPE_Q6_K,
};
enum { N_ALL = sizeof(all_types) / sizeof(all_types[0]) };

static float *normal_array(size_t n, float scale)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(&rng) * scale;
    return x;
}

static void f16_round_trips_every_pattern(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = quant_f16_to_f32((uint16_t)h);
        if (f != f) continue;   /* nan */
        if (quant_f32_to_f16(f) != h) bad++;
        if (quant_f32_to_bf16(quant_bf16_to_f32((uint16_t)h)) != h) bad++;
    }
    CHECK(bad == 0);
    CHECK(quant_f16_to_f32(0x3C00) == 1.0f);
    CHECK(quant_f16_to_f32(0xC000) == -2.0f);
    CHECK(quant_f16_to_f32(0x7BFF) == 65504.0f);
    CHECK(quant_f16_to_f32(0x0001) == 5.9604645e-8f);
    CHECK(quant_f32_to_f16(1.0f + 1.0f / 4096) == 0x3C00);   /* a tie rounds to even */
    CHECK(quant_f32_to_f16(1e6f) == 0x7C00);
    CHECK(quant_f32_to_bf16(1.0f) == 0x3F80);
}

static void type_table_matches_ggml(void)
{
    CHECK(quant_row_bytes(RG_TYPE_Q8_0, 64) == 68);
    CHECK(quant_row_bytes(RG_TYPE_Q4_0, 64) == 36);
    CHECK(quant_row_bytes(RG_TYPE_Q4_K, 512) == 288);
    CHECK(quant_row_bytes(RG_TYPE_Q5_K, 256) == 176);
    CHECK(quant_row_bytes(RG_TYPE_Q6_K, 256) == 210);
    CHECK(quant_row_bytes(RG_TYPE_Q8_K, 256) == 292);
    CHECK(quant_row_bytes(RG_TYPE_F16, 7) == 14);
    CHECK(quant_row_bytes(RG_TYPE_Q4_K, 100) == 0);
    CHECK(quant_row_bytes(RG_TYPE_Q8_0, 0) == 0);
    CHECK(quant_row_bytes((rg_type)9999, 32) == 0);
    CHECK(quant_block_size(RG_TYPE_Q6_K) == 256);
    rg_type t;
    CHECK(quant_type_from_name("q4_k", &t) == 0 && t == RG_TYPE_Q4_K);
    CHECK(quant_type_from_name("Q3_K", &t) == -1);
    CHECK(strcmp(quant_type_name(RG_TYPE_BF16), "BF16") == 0);
    CHECK(quant_type_name((rg_type)9999) == NULL);
}

/* Hand-built blocks: byte layouts as ggml-common.h defines them. */
static void blocks_decode_as_ggml_lays_them_out(void)
{
    float y[256];
    /* Q8_0: f16 d then 32 int8 */
    unsigned char q8[34];
    q8[0] = 0x00; q8[1] = 0x38;   /* 0.5 */
    for (int j = 0; j < 32; j++) q8[2 + j] = (unsigned char)(int8_t)(j - 16);
    quant_dequantize_row(RG_TYPE_Q8_0, q8, y, 32);
    CHECK(y[0] == -8.0f && y[31] == 7.5f);
    /* Q4_0: byte j = value j (low nibble) and value j+16 (high), (q-8)·d */
    unsigned char q4[18] = { 0x00, 0x40 };   /* d = 2 */
    for (int j = 0; j < 16; j++) q4[2 + j] = (unsigned char)((j & 0xF) | ((15 - j) << 4));
    quant_dequantize_row(RG_TYPE_Q4_0, q4, y, 32);
    CHECK(y[0] == -16.0f && y[15] == 14.0f && y[16] == 14.0f && y[31] == -16.0f);
    /* Q4_K: d = 1, dmin = 0.5; sub-block 0 scale 3 min 2; sub-block 5 scale
     * 33 (0b100001: low 4 in byte 9, high 2 in byte 1's top) min 17 */
    block_q4_K k4;
    memset(&k4, 0, sizeof k4);
    k4.d = 0x3C00; k4.dmin = 0x3800;
    k4.scales[0] = 3; k4.scales[4] = 2;
    k4.scales[9] = (uint8_t)((33 & 0xF) | ((17 & 0xF) << 4));
    k4.scales[1] |= (uint8_t)((33 >> 4) << 6);
    k4.scales[5] |= (uint8_t)((17 >> 4) << 6);
    k4.qs[0] = 0x07;          /* value 0 = 7 (sub-block 0) */
    k4.qs[64 + 3] = 0x50;     /* value 128+32+3 = 163 (sub-block 5) = 5 */
    quant_dequantize_row(RG_TYPE_Q4_K, &k4, y, 256);
    CHECK(y[0] == 3 * 7 - 0.5f * 2);
    CHECK(y[1] == -1.0f);
    CHECK(y[163] == 33 * 5 - 0.5f * 17);
    /* Q5_K: the fifth bit of value 64k + 32 + l is bit 2k+1 of qh[l] */
    block_q5_K k5;
    memset(&k5, 0, sizeof k5);
    k5.d = 0x3C00;
    k5.scales[1] = 1;          /* sub-block 1 (values 32..63): scale 1 */
    k5.qs[4] = 0x20;           /* value 36: low 4 bits 2 */
    k5.qh[4] = 0x02;           /* ... plus 16 */
    quant_dequantize_row(RG_TYPE_Q5_K, &k5, y, 256);
    CHECK(y[36] == 18.0f && y[4] == 0.0f);
    /* Q6_K: value 64 + l keeps its low 4 bits in ql[l]'s high nibble and
     * its high 2 bits at bits 4-5 of qh[l]; sub-block 4 */
    block_q6_K k6;
    memset(&k6, 0, sizeof k6);
    k6.d = 0x3C00;
    k6.scales[4] = -2;
    k6.ql[1] = 0x90;           /* value 65: low 4 bits 9 */
    k6.qh[1] = 0x30;           /* ... high bits 3: q = 57, q - 32 = 25 */
    quant_dequantize_row(RG_TYPE_Q6_K, &k6, y, 256);
    CHECK(y[65] == -50.0f);
    CHECK(y[64] == -2.0f * -32);
}

/* Relative RMS error of quantize → dequantize on N(0, 1) rows. */
static double round_trip_error(rg_type type, int64_t n, const float *x)
{
    void *row = malloc(quant_row_bytes(type, n));
    float *y = malloc((size_t)n * sizeof *y);
    if (quant_quantize_row(type, x, row, n) != 0) { free(row); free(y); return 1e9; }
    quant_dequantize_row(type, row, y, n);
    double err = 0, ref = 0;
    for (int64_t i = 0; i < n; i++) {
        err += (double)(y[i] - x[i]) * (y[i] - x[i]);
        ref += (double)x[i] * x[i];
    }
    free(row);
    free(y);
    return sqrt(err / ref);
}

static void quantize_dequantize_error_within_bounds(void)
{
    /* bounds measured on this data with a margin (docs/16-quantization.md) */
    static const struct { rg_type type; double bound; } cases[] = {
        { RG_TYPE_F32, 0 }, { RG_TYPE_F16, 3e-4 }, { RG_TYPE_BF16, 3e-3 },
        { RG_TYPE_Q8_0, 0.006 }, { RG_TYPE_Q6_K, 0.02 }, { RG_TYPE_Q5_K, 0.04 },
        { RG_TYPE_Q4_K, 0.08 }, { RG_TYPE_Q4_0, 0.10 }, { RG_TYPE_Q8_K, 0.008 },
    };
    int64_t n = 4096;
    float *x = normal_array((size_t)n, 1.0f);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double e = round_trip_error(cases[c].type, n, x);
        printf("    %-5s relative RMS error %.5f (bound %.5f)\n", quant_type_name(cases[c].type), e,
               cases[c].bound);
        CHECK(e <= cases[c].bound);
    }
    /* a row of zeros and a row with one outlier stay finite */
    float zeros[256] = { 0 }, y[256];
    unsigned char row[256 * sizeof(float)];   /* F32 is the widest */
    for (int t = 0; t < N_ALL; t++) {
        CHECK(quant_quantize_row(all_types[t], zeros, row, 256) == 0);
        quant_dequantize_row(all_types[t], row, y, 256);
        int ok = 1;
        for (int i = 0; i < 256; i++) ok &= y[i] == 0.0f;
        CHECK(ok);
    }
    CHECK(quant_quantize_row(RG_TYPE_Q4_K, x, row, 255) == -1);
    CHECK(strstr(last_error(), "multiple of 256") != NULL);
    free(x);
}

/* W [rows, cols] of type with random normal values; returns its bytes. */
static void *random_weights(rg_type type, int64_t rows, int64_t cols, float **dequant)
{
    size_t rb = quant_row_bytes(type, cols);
    unsigned char *w = malloc(rb * (size_t)rows);
    float *src = normal_array((size_t)(rows * cols), 0.05f);
    *dequant = malloc((size_t)(rows * cols) * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        quant_quantize_row(type, src + r * cols, w + rb * (size_t)r, cols);
        quant_dequantize_row(type, w + rb * (size_t)r, *dequant + r * cols, cols);
    }
    free(src);
    return w;
}

static void simd_products_equal_scalar(void)
{
    const Kernels *tables[4];
    int n_tables = kernels_available(tables, 4);
    int64_t rows = 37, cols = 512, n = 3;
    float *x = normal_array((size_t)(n * cols), 1.0f);
    for (int t = 0; t < N_ALL; t++) {
        rg_type type = all_types[t];
        float *deq;
        void *w = random_weights(type, rows, cols, &deq);
        float *want = malloc((size_t)(n * rows) * sizeof(float));
        float *got = malloc((size_t)(n * rows) * sizeof(float));
        kernels_select("scalar");
        quant_matmul(type, w, rows, cols, x, n, want);
        /* against the float product of the dequantized weights: only the
         * activation's rounding to 8 bits (or none) separates them */
        double worst = 0;
        for (int64_t i = 0; i < n; i++) {
            for (int64_t r = 0; r < rows; r++) {
                double exact = 0, mag = 0;
                for (int64_t c = 0; c < cols; c++) {
                    exact += (double)deq[r * cols + c] * x[i * cols + c];
                    mag += fabs((double)deq[r * cols + c] * x[i * cols + c]);
                }
                worst = fmax(worst, fabs(want[i * rows + r] - exact) / mag);
            }
        }
        if (!(worst < 0.01)) printf("    %s: scalar vs float product off by %g\n", quant_type_name(type), worst);
        CHECK(worst < 0.01);
        for (int k = 1; k < n_tables; k++) {
            kernels_select(tables[k]->name);
            quant_matmul(type, w, rows, cols, x, n, got);
            double off = 0;
            for (int64_t i = 0; i < n * rows; i++) off = fmax(off, fabs(got[i] - want[i]));
            if (!(off < 1e-5)) printf("    %s %s: %g from scalar\n", tables[k]->name, quant_type_name(type), off);
            CHECK(off < 1e-5);
            CHECK(strcmp(quant_kernels_name(), tables[k]->name) == 0);
        }
        free(w); free(deq); free(want); free(got);
    }
    kernels_select(tables[n_tables - 1]->name);
    free(x);
}

static void matmul_is_matvec_per_row_and_thread_independent(void)
{
    int64_t rows = 300, cols = 1024, n = 5;
    float *x = normal_array((size_t)(n * cols), 1.0f);
    for (int t = 0; t < N_ALL; t++) {
        rg_type type = all_types[t];
        float *deq;
        void *w = random_weights(type, rows, cols, &deq);
        float *Y = malloc((size_t)(n * rows) * sizeof(float)), *y = malloc((size_t)rows * sizeof(float));
        quant_matmul(type, w, rows, cols, x, n, Y);
        int same = 1;
        for (int64_t i = 0; i < n; i++) {
            quant_matvec(type, w, rows, cols, x + i * cols, y);
            same &= memcmp(y, Y + i * rows, (size_t)rows * sizeof(float)) == 0;
        }
        CHECK(same);
#ifdef _OPENMP
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        float *Y1 = malloc((size_t)(n * rows) * sizeof(float));
        quant_matmul(type, w, rows, cols, x, n, Y1);
        omp_set_num_threads(threads > 1 ? threads : 2);
        quant_matmul(type, w, rows, cols, x, n, Y);
        omp_set_num_threads(threads);
        CHECK(memcmp(Y, Y1, (size_t)(n * rows) * sizeof(float)) == 0);
        free(Y1);
#endif
        free(w); free(deq); free(Y); free(y);
    }
    free(x);
}

/* From 16 activation rows quant_matmul dequantizes the weights and uses the
 * float SGEMM: the result is the float product of the dequantized weights,
 * on every kernel path and thread count. (Where the kernels have integer
 * tiles for the type, the activations are rounded to 8 bits instead:
 * test_quant_tiles.c holds that path to the scalar dot products.) */
static void tiled_matmul_equals_float_product(void)
{
    const Kernels *tables[4];
    int n_tables = kernels_available(tables, 4);
    int64_t rows = 300, cols = 512, n = 40;   /* 300 = two tiles of 128 and a part */
    float *x = normal_array((size_t)(n * cols), 1.0f);
    for (int t = 0; t < N_ALL; t++) {
        rg_type type = all_types[t];
        float *deq;
        void *w = random_weights(type, rows, cols, &deq);
        float *Y = malloc((size_t)(n * rows) * sizeof(float)), *Y1 = malloc((size_t)(n * rows) * sizeof(float));
        for (int k = 0; k < n_tables; k++) {
            kernels_select(tables[k]->name);
            if (quant_has_integer_tiles(type, cols)) continue;
            quant_matmul(type, w, rows, cols, x, n, Y);
            double worst = 0;
            for (int64_t i = 0; i < n; i++) {
                for (int64_t r = 0; r < rows; r++) {
                    double exact = 0, mag = 0;
                    for (int64_t c = 0; c < cols; c++) {
                        exact += (double)deq[r * cols + c] * x[i * cols + c];
                        mag += fabs((double)deq[r * cols + c] * x[i * cols + c]);
                    }
                    worst = fmax(worst, fabs(Y[i * rows + r] - exact) / mag);
                }
            }
            if (!(worst < 1e-5)) printf("    %s %s: %g\n", tables[k]->name, quant_type_name(type), worst);
            CHECK(worst < 1e-5);
        }
#ifdef _OPENMP
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        quant_matmul(type, w, rows, cols, x, n, Y1);
        omp_set_num_threads(threads > 1 ? threads : 2);
        quant_matmul(type, w, rows, cols, x, n, Y);
        omp_set_num_threads(threads);
        CHECK(memcmp(Y, Y1, (size_t)(n * rows) * sizeof(float)) == 0);
#endif
        free(w); free(deq); free(Y); free(Y1);
    }
    kernels_select(tables[n_tables - 1]->name);
    free(x);
}

/* The attention kernels over an F16 cache: every table gives the scalar
 * reference's scores and outputs (1e-5 relative), and rounds the weights p
 * to half precision in place as it does; head sizes 64 and 40 (a tail). */
static void attention_f16_kernels_equal_scalar(void)
{
    const Kernels *tables[4];
    int n_tables = kernels_available(tables, 4);
    static const int64_t sizes[][2] = { { 64, 37 }, { 40, 5 } };   /* hd, positions */
    for (int c = 0; c < 2; c++) {
        int64_t hd = sizes[c][0], n = sizes[c][1];
        float *q = normal_array((size_t)hd, 1.0f), *kv = normal_array((size_t)(n * hd), 1.0f);
        uint16_t *cache = malloc((size_t)(n * hd) * sizeof *cache);
        quant_quantize_row(RG_TYPE_F16, kv, cache, n * hd);
        float want_s[64], got_s[64], want_o[64], got_o[64], p0[64] = { 0 }, want_p[64], p[64];
        for (int64_t s = 0; s < n; s++) p0[s] = (float)rng_uniform(&rng) / (float)n;
        kernels_select("scalar");
        quant_kernels()->attn_scores_f16(want_s, q, cache, n, hd, 0.125f);
        memcpy(want_p, p0, sizeof p0);
        quant_kernels()->attn_values_f16(want_o, want_p, cache, n, hd);
        for (int64_t s = 0; s < n; s++) CHECK(want_p[s] == quant_f16_to_f32(quant_f32_to_f16(p0[s])));
        for (int k = 1; k < n_tables; k++) {
            kernels_select(tables[k]->name);
            quant_kernels()->attn_scores_f16(got_s, q, cache, n, hd, 0.125f);
            memcpy(p, p0, sizeof p0);
            quant_kernels()->attn_values_f16(got_o, p, cache, n, hd);
            for (int64_t s = 0; s < n; s++) {
                CHECK_NEAR(got_s[s], want_s[s], 1e-5);
                CHECK(p[s] == want_p[s]);
            }
            for (int64_t i = 0; i < hd; i++) CHECK_NEAR(got_o[i], want_o[i], 1e-5);
        }
        free(q); free(kv); free(cache);
    }
    kernels_select(tables[n_tables - 1]->name);
}

int main(void)
{
    rng_seed(&rng, 15);
    RUN(f16_round_trips_every_pattern);
    RUN(type_table_matches_ggml);
    RUN(blocks_decode_as_ggml_lays_them_out);
    RUN(quantize_dequantize_error_within_bounds);
    RUN(simd_products_equal_scalar);
    RUN(matmul_is_matvec_per_row_and_thread_independent);
    RUN(tiled_matmul_equals_float_product);
    RUN(attention_f16_kernels_equal_scalar);
    TESTS_DONE();
}
