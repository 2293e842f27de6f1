/*
 * test_quant_tiles.c — the integer tiles of core/quant_tiles.c and
 * kernels/quant_vnni.c (quant_blocks.h draws the layouts).
 *
 *  - kquant_unpack_scales gives every sub-block's scale and min as
 *    kquant_scale_min does, on random bytes;
 *  - the layouts in plain C: a packed tile, read back as s·u + c, is the
 *    dequantized row, value for value; an activation pair or tile holds the
 *    Q8_0 / Q8_K quantization of the row, its scales and sums;
 *  - the products on tiles, where this CPU has them (AVX-512 VNNI): below
 *    16 activation rows (decoding) and from 16 (prompts, on rows that are
 *    not a multiple of 16 and not of 4), each output is the scalar dot
 *    product of the same quantized activations within 1e-5 of the summed
 *    magnitudes; 1 and 2 threads give the same bits. Without VNNI the
 *    products are skipped, saying so;
 *  - the vector quantizer of activation tiles gives the scalar one's bits;
 *  - weights unpacked once (QuantPacked) give quant_matmul's bits, the
 *    same for a row alone as in a batch.
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
static const rg_type tile_types[] = { RG_TYPE_Q8_0, RG_TYPE_Q4_0, RG_TYPE_Q4_K };
enum { N_TILE_TYPES = sizeof tile_types / sizeof tile_types[0] };

static float *normal_array(size_t n, float scale)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(&rng) * scale;
    return x;
}

/* rows x cols of type, quantized from N(0, 0.05) values. */
static void *random_weights(rg_type type, int64_t rows, int64_t cols)
{
    size_t rb = quant_row_bytes(type, cols);
    unsigned char *w = malloc(rb * (size_t)rows);
    float *src = normal_array((size_t)(rows * cols), 0.05f);
    for (int64_t r = 0; r < rows; r++) quant_quantize_row(type, src + r * cols, w + rb * (size_t)r, cols);
    free(src);
    return w;
}

static void unpacked_scales_match_one_at_a_time(void)
{
    int bad = 0;
    for (int trial = 0; trial < 1000; trial++) {
        uint8_t packed[12], all[16];
        for (int i = 0; i < 12; i++) packed[i] = (uint8_t)(rng_u32(&rng) & 0xFF);
        kquant_unpack_scales(packed, all);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            kquant_scale_min(j, packed, &sc, &m);
            bad += all[j] != sc || all[8 + j] != m;
        }
    }
    CHECK(bad == 0);
}

/* Lane r of group k of block b holds values 4k..4k+3 of block b of row r. */
static void packed_tile_reads_back_as_the_row(void)
{
    int64_t cols = 512;
    int n_rows = 13;   /* three lanes left empty */
    for (int t = 0; t < N_TILE_TYPES; t++) {
        rg_type type = tile_types[t];
        size_t rb = quant_row_bytes(type, cols);
        unsigned char *w = random_weights(type, n_rows, cols);
        tile_block *tile = malloc((size_t)(cols / 32) * sizeof *tile);
        quant_tile_pack(type, w, rb, cols, n_rows, tile);
        float *row = malloc((size_t)cols * sizeof *row);
        double worst = 0;
        int empty_ok = 1;
        for (int r = 0; r < TILE_ROWS_INT; r++) {
            if (r < n_rows) quant_dequantize_row(type, w + rb * (size_t)r, row, cols);
            for (int64_t c = 0; c < cols; c++) {
                const tile_block *b = &tile[c / 32];
                int k = (int)(c % 32) / 4, j = (int)(c % 4);
                float v = b->s[r] * b->u[k][r][j] + b->c[r];
                if (r < n_rows) worst = fmax(worst, fabs(v - row[c]));
                else empty_ok &= b->u[k][r][j] == 0 && b->s[r] == 0 && b->c[r] == 0;
            }
        }
        if (!(worst < 1e-6)) printf("    %s: %g\n", quant_type_name(type), worst);
        CHECK(worst < 1e-6);
        CHECK(empty_ok);
        free(w); free(tile); free(row);
    }
}

static void activation_layouts_hold_the_quantized_row(void)
{
    int64_t cols = 256;
    float *x = normal_array((size_t)cols, 1.0f);
    act_q8_0 q[8];
    act_pair pairs[4];
    act_tile tiles[8];
    quant_act_q8_0(x, q, cols);
    quant_act_pairs(x, pairs, cols, 8);
    quant_act_tiles(RG_TYPE_Q4_0, x, tiles, cols);
    int ok = 1;
    for (int b = 0; b < 8; b++) {
        int32_t sum = 0;
        for (int j = 0; j < 32; j++) sum += q[b].qs[j];
        const act_pair *p = &pairs[b / 2];
        int h = b % 2;
        ok &= memcmp(p->qs + 32 * h, q[b].qs, 32) == 0 && memcmp(tiles[b].qs, q[b].qs, 32) == 0;
        ok &= p->d[h] == q[b].d;
        for (int l = 0; l < 8; l++) {
            const int8_t *four = q[b].qs + 4 * l;
            ok &= p->bias[8 * h + l] == -8 * (four[0] + four[1] + four[2] + four[3]);
        }
        ok &= tiles[b].d == q[b].d && tiles[b].dsum == q[b].d * (float)sum;
    }
    CHECK(ok);
    block_q8_K k;
    quant_act_q8_K(x, &k, cols);
    quant_act_tiles(RG_TYPE_Q4_K, x, tiles, cols);
    ok = 1;
    for (int b = 0; b < 8; b++)
        ok &= memcmp(tiles[b].qs, k.qs + 32 * b, 32) == 0 && tiles[b].d == k.d &&
              tiles[b].dsum == k.d * (float)(k.bsums[2 * b] + k.bsums[2 * b + 1]);
    CHECK(ok);
    free(x);
}

/* Y [n, rows] against the scalar dot products of each row (quant_matvec on
 * the scalar kernels, which quantize the activations the same way). */
static double worst_vs_scalar(rg_type type, const void *w, int64_t rows, int64_t cols, const float *x,
                              int64_t n, const float *Y)
{
    const char *active = kernels()->name;
    kernels_select("scalar");
    size_t rb = quant_row_bytes(type, cols);
    float *deq = malloc((size_t)cols * sizeof *deq), *y = malloc((size_t)rows * sizeof *y);
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        quant_matvec(type, w, rows, cols, x + i * cols, y);
        for (int64_t r = 0; r < rows; r++) {
            quant_dequantize_row(type, (const char *)w + rb * (size_t)r, deq, cols);
            double mag = 0;
            for (int64_t c = 0; c < cols; c++) mag += fabs((double)deq[c] * x[i * cols + c]);
            worst = fmax(worst, fabs(Y[i * rows + r] - y[r]) / mag);
        }
    }
    kernels_select(active);
    free(deq);
    free(y);
    return worst;
}

static void tile_products_equal_scalar_dots(void)
{
    if (kernels_select("avx512") != 0 || !quant_tiles()) {
        printf("    (no AVX-512 VNNI on this CPU: the tiles are not used, nothing to test)\n");
        return;
    }
    printf("    tiles: %s\n", quant_tiles()->name);
    int64_t rows = 37, cols = 768;
    static const int64_t ns[] = { 1, 3, 16, 23 };   /* decoding; prompts (4 at a time and the rest) */
    float *x = normal_array((size_t)(23 * cols), 1.0f);
    for (int t = 0; t < N_TILE_TYPES; t++) {
        rg_type type = tile_types[t];
        CHECK(quant_has_integer_tiles(type, cols));
        void *w = random_weights(type, rows, cols);
        float *Y = malloc((size_t)(23 * rows) * sizeof *Y), *Y1 = malloc((size_t)(23 * rows) * sizeof *Y1);
        for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
            quant_matmul(type, w, rows, cols, x, ns[c], Y);
            double worst = worst_vs_scalar(type, w, rows, cols, x, ns[c], Y);
            if (!(worst < 1e-5)) printf("    %s n=%lld: %g\n", quant_type_name(type), (long long)ns[c], worst);
            CHECK(worst < 1e-5);
        }
#ifdef _OPENMP
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        quant_matmul(type, w, rows, cols, x, 23, Y1);
        omp_set_num_threads(2);
        quant_matmul(type, w, rows, cols, x, 23, Y);
        omp_set_num_threads(threads);
        CHECK(memcmp(Y, Y1, (size_t)(23 * rows) * sizeof *Y) == 0);
#endif
        free(w); free(Y); free(Y1);
    }
    CHECK(!quant_has_integer_tiles(RG_TYPE_Q6_K, cols));
    CHECK(!quant_has_integer_tiles(RG_TYPE_Q4_0, 96));   /* not whole pairs of blocks */
    kernels_select("scalar");
    CHECK(!quant_has_integer_tiles(RG_TYPE_Q4_0, cols));
    const Kernels *tables[4];
    kernels_select(tables[kernels_available(tables, 4) - 1]->name);
    free(x);
}

/* The kernels' vector quantizer of Q8_0 activation tiles gives the scalar
 * quant_act_tiles' bytes and floats exactly, on rows with a zero block, a
 * block of tiny values (an f16 subnormal scale) and ties x·id = k + 0.5. */
static void vector_activation_tiles_equal_scalar(void)
{
    if (kernels_select("avx512") != 0 || !quant_tiles()) {
        printf("    (no AVX-512 VNNI on this CPU: nothing to test)\n");
        return;
    }
    int64_t cols = 1024;
    float *x = normal_array((size_t)cols, 1.0f);
    for (int j = 0; j < 32; j++) x[j] = 0.0f;                       /* block 0: zeros */
    for (int j = 32; j < 64; j++) x[j] *= 1e-6f;                     /* block 1: tiny  */
    for (int j = 64; j < 96; j++) x[j] = (float)(j - 80) + 0.5f;     /* block 2: id = 1 and */
    x[64] = 127.0f;                                                  /* ties k + 0.5        */
    act_tile *want = malloc((size_t)(cols / 32) * sizeof *want), *got = malloc((size_t)(cols / 32) * sizeof *got);
    memset(want, 0, (size_t)(cols / 32) * sizeof *want);
    memset(got, 0, (size_t)(cols / 32) * sizeof *got);
    quant_act_tiles(RG_TYPE_Q8_0, x, want, cols);
    quant_tiles()->act_tiles_q8_0(x, got, cols);
    CHECK(memcmp(want, got, (size_t)(cols / 32) * sizeof *want) == 0);
    free(x); free(want); free(got);
}

/* quant_matmul_packed (weights unpacked once) against the scalar dot
 * products for n = 1, 5 and 23 rows; the same bits as quant_matmul's tile
 * path (n >= 16), on 1 and 2 threads, and for each row alone as in a batch. */
static void packed_products_equal_scalar_dots(void)
{
    if (kernels_select("avx512") != 0 || !quant_tiles()) {
        printf("    (no AVX-512 VNNI on this CPU: nothing to test)\n");
        return;
    }
    int64_t rows = 37, cols = 768, n = 23;
    float *x = normal_array((size_t)(n * cols), 1.0f);
    for (int t = 0; t < N_TILE_TYPES; t++) {
        rg_type type = tile_types[t];
        void *w = random_weights(type, rows, cols);
        QuantPacked p;
        CHECK(quant_packed_init(&p, type, w, rows, cols) == 0);
        float *Y = malloc((size_t)(n * rows) * sizeof *Y), *Y1 = malloc((size_t)(n * rows) * sizeof *Y1);
        static const int64_t ns[] = { 1, 5, 23 };
        for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
            quant_matmul_packed(&p, x, ns[c], Y);
            double worst = worst_vs_scalar(type, w, rows, cols, x, ns[c], Y);
            if (!(worst < 1e-5)) printf("    %s n=%lld: %g\n", quant_type_name(type), (long long)ns[c], worst);
            CHECK(worst < 1e-5);
        }
        quant_matmul(type, w, rows, cols, x, n, Y1);
        CHECK(memcmp(Y, Y1, (size_t)(n * rows) * sizeof *Y) == 0);
        int alone_same = 1;
        for (int64_t i = 0; i < n; i++) {
            quant_matmul_packed(&p, x + i * cols, 1, Y1);
            alone_same &= memcmp(Y1, Y + i * rows, (size_t)rows * sizeof *Y) == 0;
        }
        CHECK(alone_same);
#ifdef _OPENMP
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        quant_matmul_packed(&p, x, n, Y1);
        omp_set_num_threads(threads);
        CHECK(memcmp(Y, Y1, (size_t)(n * rows) * sizeof *Y) == 0);
#endif
        quant_packed_free(&p);
        free(w); free(Y); free(Y1);
    }
    QuantPacked none;
    CHECK(quant_packed_init(&none, RG_TYPE_Q6_K, x, 16, cols) == -1 && none.tiles == NULL);
    free(x);
}

int main(void)
{
    rng_seed(&rng, 16);
    RUN(unpacked_scales_match_one_at_a_time);
    RUN(packed_tile_reads_back_as_the_row);
    RUN(activation_layouts_hold_the_quantized_row);
    RUN(tile_products_equal_scalar_dots);
    RUN(vector_activation_tiles_equal_scalar);
    RUN(packed_products_equal_scalar_dots);
    TESTS_DONE();
}
