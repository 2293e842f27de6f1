/*
 * quant_tiles.c — the integer-tile products of quant.h on CPUs whose
 * kernels have them (AVX-512 VNNI, kernels/quant_vnni.c): the activation
 * and weight layouts those kernels read (quant_blocks.h draws them), and
 * the two drivers quant_matmul hands Q8_0, Q4_0 and Q4_K products to.
 *
 *   decoding (n < TILE_MIN_ROWS activation rows; Q4_0, Q4_K): each
 *     activation row is quantized as for the dot products (quant_act_q8_0 /
 *     quant_act_q8_K) and every weight row is read in place by a rows_*
 *     kernel; the bits of each output do not depend on n or on the thread
 *     count (Q8_0 decodes on the dot products, which stream faster);
 *   prompts (n >= TILE_MIN_ROWS): each thread unpacks 16 weight rows at a
 *     time into tile blocks (quant_tile_pack, the cost of one pass over the
 *     weights) and multiplies all n activation rows by them (gemm), so the
 *     unpacking is paid once for n rows and each vpdpbusd does 64
 *     multiply-adds of 16 weight rows.
 *
 * A model that multiplies the same weights by many small batches can
 * unpack them once instead (QuantPacked: quant_packed_init, then
 * quant_matmul_packed, the prompt path without its unpacking).
 *
 * The layouts are plain C, written for reading; the SIMD is all in the
 * kernels. Each path is tested against the scalar dot products
 * (tests/test_quant.c).
 */
#include "core/quant.h"
#include "core/quant_blocks.h"
#include "core/kernels/kernels.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const QuantTiles *quant_tiles(void)
{
#if defined(__x86_64__)
    static int has_vnni = -1;
    if (has_vnni < 0) {   /* RUSTGPT_TILES=0 turns them off, to compare */
        const char *env = getenv("RUSTGPT_TILES");
        __builtin_cpu_init();
        has_vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                   !(env && strcmp(env, "0") == 0);
    }
    if (has_vnni && strcmp(kernels()->name, "avx512") == 0) return &quant_tiles_vnni;
#endif
    return NULL;
}

/* Weight types with a tile path, and the row lengths it takes: whole pairs
 * of 32-blocks for the decoding layout of Q8_0 / Q4_0. */
int quant_has_integer_tiles(rg_type type, int64_t cols)
{
    if (!quant_tiles() || cols <= 0) return 0;
    switch (type) {
    case RG_TYPE_Q8_0: case RG_TYPE_Q4_0: return cols % 64 == 0;
    case RG_TYPE_Q4_K: return cols % QK_K == 0;
    default: return 0;
    }
}

/* ---- activations ------------------------------------------------------------ */

/* Pairs of Q8_0 blocks (quant_act_q8_0's rounding) with their scales and
 * the bias −offset·(sum of the four values) of each int32 lane. */
void quant_act_pairs(const float *x, act_pair *out, int64_t n, int offset)
{
    for (int64_t p = 0; p < n / 64; p++, x += 64) {
        act_q8_0 blocks[2];
        quant_act_q8_0(x, blocks, 64);
        for (int h = 0; h < 2; h++) {
            memcpy(out[p].qs + 32 * h, blocks[h].qs, 32);
            out[p].d[h] = blocks[h].d;
        }
        for (int l = 0; l < 16; l++) {
            const int8_t *q = out[p].qs + 4 * l;
            out[p].bias[l] = -offset * (q[0] + q[1] + q[2] + q[3]);
        }
    }
}

/* One act_tile per 32 values: Q8_0 blocks for Q8_0/Q4_0 weights, Q8_K
 * (one scale per 256, its sums of 16 kept) for the K-quants. */
void quant_act_tiles(rg_type type, const float *x, act_tile *out, int64_t n)
{
    if (type == RG_TYPE_Q4_K) {
        for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
            block_q8_K q;
            quant_act_q8_K(x, &q, QK_K);
            for (int j = 0; j < 8; j++) {
                act_tile *t = &out[i * 8 + j];
                memcpy(t->qs, q.qs + 32 * j, 32);
                t->d = q.d;
                t->dsum = q.d * (float)(q.bsums[2 * j] + q.bsums[2 * j + 1]);
            }
        }
        return;
    }
    for (int64_t b = 0; b < n / QK8_0; b++, x += QK8_0) {
        act_q8_0 q;
        quant_act_q8_0(x, &q, QK8_0);
        int32_t sum = 0;
        for (int j = 0; j < QK8_0; j++) sum += q.qs[j];
        memcpy(out[b].qs, q.qs, 32);
        out[b].d = q.d;
        out[b].dsum = q.d * (float)sum;
    }
}

/* ---- weights ------------------------------------------------------------------ */

/* Block b (32 values) of one weight row as w = s·u + c. */
static void unpack_block(rg_type type, const void *row, int64_t b, uint8_t u[32], float *s, float *c)
{
    if (type == RG_TYPE_Q8_0) {
        const block_q8_0 *q = (const block_q8_0 *)row + b;
        for (int j = 0; j < 32; j++) u[j] = (uint8_t)(q->qs[j] + 128);
        *s = quant_f16_to_f32(q->d);
        *c = -128.0f * *s;
    } else if (type == RG_TYPE_Q4_0) {
        const block_q4_0 *q = (const block_q4_0 *)row + b;
        for (int j = 0; j < 16; j++) {
            u[j] = q->qs[j] & 0xF;
            u[j + 16] = q->qs[j] >> 4;
        }
        *s = quant_f16_to_f32(q->d);
        *c = -8.0f * *s;
    } else {   /* Q4_K: sub-block j of super-block b / 8 */
        const block_q4_K *q = (const block_q4_K *)row + b / 8;
        int j = (int)(b % 8);
        const uint8_t *qs = q->qs + 32 * (j / 2);
        for (int l = 0; l < 32; l++) u[l] = j % 2 ? qs[l] >> 4 : qs[l] & 0xF;
        uint8_t sc, m;
        kquant_scale_min(j, q->scales, &sc, &m);
        *s = quant_f16_to_f32(q->d) * sc;
        *c = -quant_f16_to_f32(q->dmin) * m;
    }
}

/* n_rows (<= 16) weight rows from W into cols / 32 tile blocks; the lanes
 * of missing rows are zero. */
void quant_tile_pack(rg_type type, const void *W, size_t row_bytes, int64_t cols, int n_rows, tile_block *out)
{
    int64_t n_blocks = cols / 32;
    for (int64_t b = 0; b < n_blocks; b++) {
        tile_block *t = &out[b];
        for (int r = 0; r < TILE_ROWS_INT; r++) {
            uint8_t u[32] = { 0 };
            float s = 0.0f, c = 0.0f;
            if (r < n_rows) unpack_block(type, (const char *)W + (size_t)r * row_bytes, b, u, &s, &c);
            for (int k = 0; k < 8; k++) memcpy(t->u[k][r], u + 4 * k, 4);
            t->s[r] = s;
            t->c[r] = c;
        }
    }
}

/* ---- the drivers ------------------------------------------------------------ */

/* quant_act_tiles of one row, in the kernels' vectors where they have it. */
static void act_tiles(const QuantTiles *k, rg_type type, const float *x, act_tile *out, int64_t cols)
{
    if (type == RG_TYPE_Q4_K) quant_act_tiles(type, x, out, cols);
    else k->act_tiles_q8_0(x, out, cols);
}

enum { TILE_MIN_ROWS = 16, ROW_CHUNK_INT = 32 };

/* aligned_alloc wants a size that is a multiple of the alignment. */
static void *alloc64(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

/* n < TILE_MIN_ROWS: every weight row read in place, per activation row. */
static int matmul_rows(const QuantTiles *k, rg_type type, const void *W, int64_t rows, int64_t cols,
                       const float *X, int64_t n, float *Y)
{
    size_t row_bytes = quant_row_bytes(type, cols);
    size_t a_bytes = type == RG_TYPE_Q4_K ? (size_t)(cols / QK_K) * sizeof(block_q8_K)
                                          : (size_t)(cols / 64) * sizeof(act_pair);
    char *act = alloc64((size_t)n * a_bytes);
    if (!act) return -1;
    for (int64_t i = 0; i < n; i++) {
        void *a = act + (size_t)i * a_bytes;
        if (type == RG_TYPE_Q4_K) quant_act_q8_K(X + i * cols, a, cols);
        else quant_act_pairs(X + i * cols, a, cols, 8);
    }
    int64_t chunks = (rows + ROW_CHUNK_INT - 1) / ROW_CHUNK_INT;
    int threads = rows * cols >= (1 << 16) ? kernel_threads() : 1;
    (void)threads;   /* unused in a serial (OMP=0) build */
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t r0 = c * ROW_CHUNK_INT, len = rows - r0 < ROW_CHUNK_INT ? rows - r0 : ROW_CHUNK_INT;
        const char *w = (const char *)W + (size_t)r0 * row_bytes;
        for (int64_t i = 0; i < n; i++) {
            const void *a = act + (size_t)i * a_bytes;
            float *y = Y + i * rows + r0;
            if (type == RG_TYPE_Q4_K) k->rows_q4_K(w, row_bytes, a, cols, len, y);
            else k->rows_q4_0(w, row_bytes, a, cols, len, y);
        }
    }
    free(act);
    return 0;
}

/* n >= TILE_MIN_ROWS: 16 weight rows at a time unpacked into tile blocks. */
static int matmul_tiles(const QuantTiles *k, rg_type type, const void *W, int64_t rows, int64_t cols,
                        const float *X, int64_t n, float *Y)
{
    size_t row_bytes = quant_row_bytes(type, cols);
    int64_t n_blocks = cols / 32;
    size_t tile_bytes = (size_t)n_blocks * sizeof(tile_block);
    int threads = kernel_threads();
    act_tile *acts = alloc64((size_t)n * (size_t)n_blocks * sizeof(act_tile));
    char *tiles = alloc64((size_t)threads * tile_bytes);
    if (!acts || !tiles) {
        free(acts);
        free(tiles);
        return -1;
    }
    #pragma omp parallel for schedule(static) num_threads(threads) if (n >= 64)
    for (int64_t i = 0; i < n; i++) act_tiles(k, type, X + i * cols, acts + i * n_blocks, cols);
    int64_t chunks = (rows + TILE_ROWS_INT - 1) / TILE_ROWS_INT;
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t c = 0; c < chunks; c++) {
#ifdef _OPENMP
        tile_block *tile = (tile_block *)(tiles + (size_t)omp_get_thread_num() * tile_bytes);
#else
        tile_block *tile = (tile_block *)tiles;
#endif
        int64_t r0 = c * TILE_ROWS_INT;
        int len = (int)(rows - r0 < TILE_ROWS_INT ? rows - r0 : TILE_ROWS_INT);
        quant_tile_pack(type, (const char *)W + (size_t)r0 * row_bytes, row_bytes, cols, len, tile);
        k->gemm(tile, n_blocks, acts, n, Y + r0, rows, len);
    }
    free(acts);
    free(tiles);
    return 0;
}

/* ---- weights unpacked once ---------------------------------------------------- */

int quant_packed_init(QuantPacked *p, rg_type type, const void *W, int64_t rows, int64_t cols)
{
    *p = (QuantPacked){ 0 };
    if (!quant_has_integer_tiles(type, cols) || rows <= 0) return -1;
    size_t row_bytes = quant_row_bytes(type, cols);
    int64_t n_blocks = cols / 32, groups = (rows + TILE_ROWS_INT - 1) / TILE_ROWS_INT;
    tile_block *tiles = alloc64((size_t)groups * (size_t)n_blocks * sizeof *tiles);
    if (!tiles) return -1;
    #pragma omp parallel for schedule(static) num_threads(kernel_threads())
    for (int64_t g = 0; g < groups; g++) {
        int64_t r0 = g * TILE_ROWS_INT;
        int len = (int)(rows - r0 < TILE_ROWS_INT ? rows - r0 : TILE_ROWS_INT);
        quant_tile_pack(type, (const char *)W + (size_t)r0 * row_bytes, row_bytes, cols, len, tiles + g * n_blocks);
    }
    *p = (QuantPacked){ .tiles = tiles, .type = type, .rows = rows, .cols = cols };
    return 0;
}

void quant_packed_free(QuantPacked *p)
{
    free(p->tiles);
    *p = (QuantPacked){ 0 };
}

/* Below this many multiply-adds a product stays on one thread. */
enum { PACKED_PARALLEL_MACS = 1 << 18 };

void quant_matmul_packed(const QuantPacked *p, const float *X, int64_t n, float *Y)
{
    const QuantTiles *k = quant_tiles();
    int64_t rows = p->rows, cols = p->cols, n_blocks = cols / 32;
    act_tile *acts = alloc64((size_t)n * (size_t)n_blocks * sizeof *acts);
    if (!acts || !k) {   /* (k is there: the tiles were packed for these kernels) */
        free(acts);
        memset(Y, 0, (size_t)n * (size_t)rows * sizeof *Y);
        return;
    }
    int threads = (double)n * (double)rows * (double)cols >= PACKED_PARALLEL_MACS ? kernel_threads() : 1;
    (void)threads;   /* read only by the pragmas, which a build without OpenMP (make OMP=0) drops */
    #pragma omp parallel for schedule(static) num_threads(threads) if (n >= 64)
    for (int64_t i = 0; i < n; i++) act_tiles(k, p->type, X + i * cols, acts + i * n_blocks, cols);
    int64_t groups = (rows + TILE_ROWS_INT - 1) / TILE_ROWS_INT;
    const tile_block *tiles = p->tiles;
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t g = 0; g < groups; g++) {
        int64_t r0 = g * TILE_ROWS_INT;
        int len = (int)(rows - r0 < TILE_ROWS_INT ? rows - r0 : TILE_ROWS_INT);
        k->gemm(tiles + g * n_blocks, n_blocks, acts, n, Y + r0, rows, len);
    }
    free(acts);
}

int quant_matmul_integer(rg_type type, const void *W, int64_t rows, int64_t cols, const float *X, int64_t n,
                         float *Y)
{
    const QuantTiles *k = quant_tiles();
    if (!k || !quant_has_integer_tiles(type, cols)) return -1;
    if (n >= TILE_MIN_ROWS) return matmul_tiles(k, type, W, rows, cols, X, n, Y);
    if (type == RG_TYPE_Q8_0) return -1;
    return matmul_rows(k, type, W, rows, cols, X, n, Y);
}
