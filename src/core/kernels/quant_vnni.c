/*
 * kernels/quant_vnni.c — the integer tiles of quant_blocks.h for x86-64
 * CPUs with AVX-512 VNNI and BW (built with those flags for this file only,
 * Makefile; used with the AVX-512 kernels when the CPU reports both,
 * core/quant_tiles.c). They compute the sums of the scalar dot products of
 * core/quant_scalar.c (dot_q8_0, dot_q4_0, dot_q4_K), which carry the
 * arithmetic, and are tested against them (tests/test_quant_tiles.c).
 *
 * The instruction: vpdpbusd acc, u, s  adds to each int32 lane of acc the
 * four products of that lane's unsigned bytes of u with the signed bytes
 * of s. The weights supply the unsigned side (a Q4 level is 0..15; a Q8_0
 * value is moved to 0..255), the activations the signed side; the offset
 * that moved the weights comes back as a bias times sum(a).
 *
 * Decoding Q8_0 stays on quant_x86.h's dot product: its rows are read at
 * the speed of memory either way, and one row at a time streams best.
 */
#include "core/quant_blocks.h"
#include "core/quant.h"

#include <immintrin.h>

/* The sum of 8 lanes, in the order of llama.cpp's hsum_float_8 (and of
 * quant_x86.h): halves, then pairs, then the last two. */
static inline float sum_8_lanes(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- decoding: weight rows read in place ------------------------------------ */

/* One pair of blocks of one row. Lane j of the vpdpbusd holds, with its
 * bias, exactly sum_{i<4} q[4j+i]·a[4j+i] (q signed); each block's 8 lanes
 * are then scaled and added to the row's 8-lane sum one block after the
 * other, as llama.cpp's vec_dot does:
 *     acc = fma(d_w·d_a, lanes of block 0, acc);  then block 1 */
static inline __m256 pair_step(__m256 acc, __m512i u, const act_pair *a, float d0, float d1)
{
    __m512i isum = _mm512_dpbusd_epi32(_mm512_loadu_si512(a->bias), u, _mm512_loadu_si512(a->qs));
    __m512 lanes = _mm512_cvtepi32_ps(isum);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lanes), 1));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d0), _mm512_castps512_ps256(lanes), acc);
    return _mm256_fmadd_ps(_mm256_set1_ps(d1), hi, acc);
}

/* Q4_0: the 16 bytes of each block hold values j (low nibble) and j + 16
 * (high nibble); two blocks give [b0 lo, b1 lo] and [b0 hi, b1 hi] and one
 * permutation of 128-bit quarters puts the 64 levels in value order. */
static inline __m512i q4_0_pair(const block_q4_0 *w)
{
    const __m256i low4 = _mm256_set1_epi8(0xF);
    __m256i raw = _mm256_loadu2_m128i((const __m128i *)w[1].qs, (const __m128i *)w[0].qs);
    __m256i lo = _mm256_and_si256(raw, low4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
    return _mm512_permutex2var_epi64(_mm512_castsi256_si512(lo), _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0),
                                     _mm512_castsi256_si512(hi));
}

/* The eight block scales d_w·d_a of a pair of blocks in four rows: one
 * conversion and one multiply (the same products as one at a time). */
static inline void pair_scales(const block_q4_0 *w[4], int64_t p, const act_pair *a, float d[8])
{
    __m128i h = _mm_cvtsi32_si128(w[0][2 * p].d);   /* (vpinsrw takes constant lanes) */
    h = _mm_insert_epi16(h, w[0][2 * p + 1].d, 1);
    h = _mm_insert_epi16(h, w[1][2 * p].d, 2);
    h = _mm_insert_epi16(h, w[1][2 * p + 1].d, 3);
    h = _mm_insert_epi16(h, w[2][2 * p].d, 4);
    h = _mm_insert_epi16(h, w[2][2 * p + 1].d, 5);
    h = _mm_insert_epi16(h, w[3][2 * p].d, 6);
    h = _mm_insert_epi16(h, w[3][2 * p + 1].d, 7);
    double da;
    __builtin_memcpy(&da, a->d, sizeof da);   /* [d_a0, d_a1], repeated */
    _mm256_storeu_ps(d, _mm256_mul_ps(_mm256_cvtph_ps(h), _mm256_castpd_ps(_mm256_set1_pd(da))));
}

/* Four rows at a time, so that four chains of dependent multiply-adds are
 * in flight (each row's own sum must go block after block). The four rows
 * are one stretch of memory read as four interleaved streams, which the
 * hardware prefetchers follow poorly: while a group is summed, the next
 * group's bytes are requested line by line, evenly over its pairs. */
static void rows_q4_0(const void *W, size_t row_bytes, const act_pair *a, int64_t cols, int64_t n_rows, float *y)
{
    int64_t pairs = cols / 64, r = 0;
    for (; r + 4 <= n_rows; r += 4) {
        const block_q4_0 *w[4];
        for (int j = 0; j < 4; j++) w[j] = (const block_q4_0 *)((const char *)W + (size_t)(r + j) * row_bytes);
        const char *ahead = (const char *)W + (size_t)(r + 4) * row_bytes, *ahead_end = ahead;
        size_t step = r + 8 <= n_rows ? 4 * row_bytes / (size_t)pairs : 0;   /* none past the end */
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int64_t p = 0; p < pairs; p++) {
            for (ahead_end += step; ahead < ahead_end; ahead += 64) _mm_prefetch(ahead, _MM_HINT_T0);
            float d[8];
            pair_scales(w, p, &a[p], d);
            acc0 = pair_step(acc0, q4_0_pair(w[0] + 2 * p), &a[p], d[0], d[1]);
            acc1 = pair_step(acc1, q4_0_pair(w[1] + 2 * p), &a[p], d[2], d[3]);
            acc2 = pair_step(acc2, q4_0_pair(w[2] + 2 * p), &a[p], d[4], d[5]);
            acc3 = pair_step(acc3, q4_0_pair(w[3] + 2 * p), &a[p], d[6], d[7]);
        }
        y[r] = sum_8_lanes(acc0);
        y[r + 1] = sum_8_lanes(acc1);
        y[r + 2] = sum_8_lanes(acc2);
        y[r + 3] = sum_8_lanes(acc3);
    }
    for (; r < n_rows; r++) {
        const block_q4_0 *w0 = (const block_q4_0 *)((const char *)W + (size_t)r * row_bytes);
        __m256 acc = _mm256_setzero_ps();
        for (int64_t p = 0; p < pairs; p++)
            acc = pair_step(acc, q4_0_pair(w0 + 2 * p), &a[p], _cvtsh_ss(w0[2 * p].d) * a[p].d[0],
                            _cvtsh_ss(w0[2 * p + 1].d) * a[p].d[1]);
        y[r] = sum_8_lanes(acc);
    }
}

/* vpshufb controls that spread scale 2k over int16 lanes 0-15 and scale
 * 2k+1 over lanes 16-31, from the 8 scales (int16) repeated in each
 * 128-bit quarter. */
static inline __m512i scale_pick(int k)
{
    __m128i lo = _mm_set1_epi16((short)((4 * k) | (4 * k + 1) << 8));
    __m128i hi = _mm_set1_epi16((short)((4 * k + 2) | (4 * k + 3) << 8));
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(lo, lo)), _mm256_set_m128i(hi, hi), 1);
}

/* The scaled integer sums of one super-block in 16 int32 lanes, and the
 * min term sum_j m_j·(sum a)_j in *mins, from a_sums = the activation's
 * sums over each sub-block of 32 (8 int16). Two accumulators, so that the
 * four vpdpwssd form two short chains. */
static inline __m512i q4_K_sums(const block_q4_K *w, const block_q8_K *a, __m128i a_sums, const __m512i pick[4],
                                int32_t *mins)
{
    const __m256i low4 = _mm256_set1_epi8(0xF);
    uint8_t sm[16];
    kquant_unpack_scales(w->scales, sm);
    __m128i m = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(sm + 8))), a_sums);
    m = _mm_add_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    *mins = _mm_cvtsi128_si32(_mm_add_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1))));
    __m512i scales = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sm)));
    __m512i sum[2] = { _mm512_setzero_si512(), _mm512_setzero_si512() };
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        __m256i raw = _mm256_loadu_si256((const __m256i *)(w->qs + 32 * k));
        __m512i u = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(raw, low4)),
                                       _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4), 1);
        __m512i pairs = _mm512_maddubs_epi16(u, _mm512_loadu_si512(a->qs + 64 * k));
        sum[k % 2] = _mm512_dpwssd_epi32(sum[k % 2], pairs, _mm512_shuffle_epi8(scales, pick[k]));
    }
    return _mm512_add_epi32(sum[0], sum[1]);
}

/* Q4_K against Q8_K: 32 bytes of qs hold sub-blocks 2k (low nibbles) and
 * 2k+1 (high). vpmaddubsw sums level × a in pairs (at most 2·15·127, an
 * int16), then vpdpwssd multiplies those by the sub-block's 6-bit scale
 * and sums into int32 lanes; the mins enter through the Q8_K sums:
 *   dot = d·d_a·sum_j s_j (q·a)_j − dmin·d_a·sum_j m_j (sum a)_j
 * Two rows at a time share the activation loads. */
static void rows_q4_K(const void *W, size_t row_bytes, const block_q8_K *a, int64_t cols, int64_t n_rows, float *y)
{
    const __m512i pick[4] = { scale_pick(0), scale_pick(1), scale_pick(2), scale_pick(3) };
    int64_t blocks = cols / QK_K;
    for (int64_t r = 0; r < n_rows; r += 2) {
        int two = r + 1 < n_rows;
        const block_q4_K *w0 = (const block_q4_K *)((const char *)W + (size_t)r * row_bytes);
        const block_q4_K *w1 = two ? (const block_q4_K *)((const char *)w0 + row_bytes) : w0;
        /* the next two rows requested meanwhile, as in rows_q4_0 */
        const char *ahead = (const char *)W + (size_t)(r + 2) * row_bytes, *ahead_end = ahead;
        size_t step = r + 4 <= n_rows ? 2 * row_bytes / (size_t)blocks : 0;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        float mins0 = 0.0f, mins1 = 0.0f;
        for (int64_t i = 0; i < blocks; i++) {
            for (ahead_end += step; ahead < ahead_end; ahead += 64) _mm_prefetch(ahead, _MM_HINT_T0);
            int32_t m0, m1;
            __m128i a_sums = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)a[i].bsums),
                                            _mm_loadu_si128((const __m128i *)(a[i].bsums + 8)));
            __m512i s0 = q4_K_sums(&w0[i], &a[i], a_sums, pick, &m0);
            __m512i s1 = q4_K_sums(&w1[i], &a[i], a_sums, pick, &m1);
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), _mm512_set1_ps(_cvtsh_ss(w0[i].d) * a[i].d), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), _mm512_set1_ps(_cvtsh_ss(w1[i].d) * a[i].d), acc1);
            mins0 += _cvtsh_ss(w0[i].dmin) * a[i].d * (float)m0;
            mins1 += _cvtsh_ss(w1[i].dmin) * a[i].d * (float)m1;
        }
        y[r] = _mm512_reduce_add_ps(acc0) - mins0;
        if (two) y[r + 1] = _mm512_reduce_add_ps(acc1) - mins1;
    }
}

/* ---- prompts: 16 weight rows × M activation rows -------------------------- */

/* One block of 16 weight rows (tile t) against one activation block a:
 * eight vpdpbusd, each adding values 4k..4k+3 of the 16 rows times the
 * activation's four bytes broadcast, then
 *     y_r += s_r · d_a · isum_r + c_r · (d_a · sum a) */
static inline __m512i block_isum(const tile_block *t, const act_tile *a)
{
    __m512i isum = _mm512_setzero_si512();
    #pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
        int32_t four;
        __builtin_memcpy(&four, a->qs + 4 * k, 4);
        isum = _mm512_dpbusd_epi32(isum, _mm512_load_si512(t->u[k]), _mm512_set1_epi32(four));
    }
    return isum;
}

static inline __m512 block_scale(__m512 acc, __m512i isum, const tile_block *t, const act_tile *a)
{
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(_mm512_load_ps(t->s), _mm512_set1_ps(a->d)), acc);
    return _mm512_fmadd_ps(_mm512_load_ps(t->c), _mm512_set1_ps(a->dsum), acc);
}

/* Four activation rows at once (a0 + m·stride), so that each weight vector
 * loaded serves four products; written out, as the compiler keeps named
 * vectors in registers where it would spill an array of them. */
static void gemm_4(const tile_block *t, int64_t n_blocks, const act_tile *a0, int64_t stride, float *Y,
                   int64_t ldy, __mmask16 mask)
{
    const act_tile *a1 = a0 + stride, *a2 = a1 + stride, *a3 = a2 + stride;
    __m512 y0 = _mm512_setzero_ps(), y1 = y0, y2 = y0, y3 = y0;
    for (int64_t b = 0; b < n_blocks; b++) {
        __m512i i0 = _mm512_setzero_si512(), i1 = i0, i2 = i0, i3 = i0;
        #pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            __m512i u = _mm512_load_si512(t[b].u[k]);
            int32_t f0, f1, f2, f3;
            __builtin_memcpy(&f0, a0[b].qs + 4 * k, 4);
            __builtin_memcpy(&f1, a1[b].qs + 4 * k, 4);
            __builtin_memcpy(&f2, a2[b].qs + 4 * k, 4);
            __builtin_memcpy(&f3, a3[b].qs + 4 * k, 4);
            i0 = _mm512_dpbusd_epi32(i0, u, _mm512_set1_epi32(f0));
            i1 = _mm512_dpbusd_epi32(i1, u, _mm512_set1_epi32(f1));
            i2 = _mm512_dpbusd_epi32(i2, u, _mm512_set1_epi32(f2));
            i3 = _mm512_dpbusd_epi32(i3, u, _mm512_set1_epi32(f3));
        }
        y0 = block_scale(y0, i0, &t[b], &a0[b]);
        y1 = block_scale(y1, i1, &t[b], &a1[b]);
        y2 = block_scale(y2, i2, &t[b], &a2[b]);
        y3 = block_scale(y3, i3, &t[b], &a3[b]);
    }
    _mm512_mask_storeu_ps(Y, mask, y0);
    _mm512_mask_storeu_ps(Y + ldy, mask, y1);
    _mm512_mask_storeu_ps(Y + 2 * ldy, mask, y2);
    _mm512_mask_storeu_ps(Y + 3 * ldy, mask, y3);
}

static void gemm(const tile_block *tile, int64_t n_blocks, const act_tile *acts, int64_t n, float *Y, int64_t ldy,
                 int n_rows)
{
    __mmask16 mask = (__mmask16)(n_rows >= 16 ? 0xFFFF : (1u << n_rows) - 1);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) gemm_4(tile, n_blocks, acts + i * n_blocks, n_blocks, Y + i * ldy, ldy, mask);
    for (; i < n; i++) {
        __m512 y = _mm512_setzero_ps();
        const act_tile *a = acts + i * n_blocks;
        for (int64_t b = 0; b < n_blocks; b++) y = block_scale(y, block_isum(&tile[b], &a[b]), &tile[b], &a[b]);
        _mm512_mask_storeu_ps(Y + i * ldy, mask, y);
    }
}

/* ---- activations: Q8_0 blocks as act_tile's ------------------------------------ */

/* quant_act_tiles (core/quant_tiles.c) for Q8_0 / Q4_0 weights, 32 values
 * a block, with the bits of the scalar quant_act_q8_0: the block's largest
 * magnitude (a maximum is exact in any order), the scale computed by the
 * same float operations, and vcvtps2dq rounding x·id to nearest even as
 * nearest_int does. A product with many rows spent a quarter of its time
 * in the scalar loop. */
static void act_tiles_q8_0(const float *x, act_tile *out, int64_t n)
{
    for (int64_t b = 0; b < n / QK8_0; b++, x += QK8_0) {
        __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
        __m512 vid = _mm512_set1_ps(id);
        __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, vid)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, vid));
        _mm_storeu_si128((__m128i *)out[b].qs, _mm512_cvtepi32_epi8(q0));
        _mm_storeu_si128((__m128i *)(out[b].qs + 16), _mm512_cvtepi32_epi8(q1));
        out[b].d = quant_f16_to_f32(quant_f32_to_f16(d));
        out[b].dsum = out[b].d * (float)_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
    }
}

const QuantTiles quant_tiles_vnni = {
    .name = "avx512-vnni",
    .rows_q4_0 = rows_q4_0, .rows_q4_K = rows_q4_K,
    .gemm = gemm,
    .act_tiles_q8_0 = act_tiles_q8_0,
};
