/*
 * quant_blocks.h — the byte layouts of the quantized blocks and the table of
 * dot-product kernels behind quant.h (internal to src/core).
 *
 * The weight blocks are ggml's, byte for byte (ggml-common.h), so a GGUF
 * tensor is an array of these structs. Scales are IEEE half floats (f16).
 *
 *   Q8_0  32 values   34 bytes  x = d·q,             q int8
 *   Q4_0  32 values   18 bytes  x = d·(q − 8),       q 4 bits; byte j holds
 *                               value j (low nibble) and j+16 (high nibble)
 *   Q4_K 256 values  144 bytes  8 sub-blocks of 32: x = d·s_j·q − dmin·m_j,
 *                               s_j, m_j 6 bits packed in 12 bytes, q 4 bits
 *   Q5_K 256 values  176 bytes  as Q4_K with a fifth bit per value in qh
 *   Q6_K 256 values  210 bytes  16 sub-blocks of 16: x = d·s_j·(q − 32),
 *                               s_j int8, q 6 bits (4 in ql, 2 in qh)
 *   Q8_K 256 values  292 bytes  x = d·q (d float), with the sums of each 16
 *                               values kept (bsums) for the K-quants' mins
 *
 * Activations are quantized to act_q8_0 (Q8_0 with a float scale, used only
 * in memory) or Q8_K before a product.
 */
#ifndef RUSTGPT_QUANT_BLOCKS_H
#define RUSTGPT_QUANT_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rustgpt/plugin.h"   /* rg_type */

#define QK8_0 32
#define QK4_0 32
#define QK_K 256
#define K_SCALE_SIZE 12

typedef struct { uint16_t d; int8_t qs[QK8_0]; } block_q8_0;
typedef struct { uint16_t d; uint8_t qs[QK4_0 / 2]; } block_q4_0;
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qs[QK_K / 2];
} block_q4_K;
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_K;
typedef struct {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    uint16_t d;
} block_q6_K;
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;

/* The activation side of Q8_0 and Q4_0 products: a float scale. */
typedef struct { float d; int8_t qs[QK8_0]; } act_q8_0;

_Static_assert(sizeof(block_q8_0) == 34, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(block_q4_0) == 18, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(block_q4_K) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(block_q5_K) == 176, "Q5_K block is 176 bytes");
_Static_assert(sizeof(block_q6_K) == 210, "Q6_K block is 210 bytes");
_Static_assert(sizeof(block_q8_K) == 292, "Q8_K block is 292 bytes");

/* Sub-block j's 6-bit scale and min of a Q4_K/Q5_K block: j < 4 in the low
 * 6 bits of bytes j and j+4; j >= 4 split into 4 low bits in byte j+4 and 2
 * high bits in the top of bytes j-4 (scale) and j (min). */
static inline void kquant_scale_min(int j, const uint8_t *q, uint8_t *scale, uint8_t *min)
{
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *min = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* All eight at once, as four 32-bit words: out[0..8) the scales, out[8..16)
 * the mins (kquant_scale_min for every j, tested against it). With the
 * 12 bytes as words w0 w1 w2: scales 0-3 are w0's low 6 bits per byte,
 * mins 0-3 w1's; scales 4-7 are w2's low nibbles under w0's top 2 bits,
 * mins 4-7 w2's high nibbles under w1's top 2 bits. */
static inline void kquant_unpack_scales(const uint8_t *packed, uint8_t out[16])
{
    uint32_t w[3], u[4];
    memcpy(w, packed, 12);
    u[0] = w[0] & 0x3F3F3F3Fu;
    u[1] = (w[2] & 0x0F0F0F0Fu) | (((w[0] >> 6) & 0x03030303u) << 4);
    u[2] = w[1] & 0x3F3F3F3Fu;
    u[3] = ((w[2] >> 4) & 0x0F0F0F0Fu) | (((w[1] >> 6) & 0x03030303u) << 4);
    memcpy(out, u, 16);
}

/* The dot products, one set per instruction set. n is the number of values
 * (a multiple of the block); w the weight row, a the quantized activation. */
typedef struct {
    const char *name;
    float (*dot_f32)(const float *w, const float *x, int64_t n);
    float (*dot_f16)(const uint16_t *w, const float *x, int64_t n);
    float (*dot_bf16)(const uint16_t *w, const float *x, int64_t n);
    float (*dot_q8_0)(const block_q8_0 *w, const act_q8_0 *a, int64_t n);
    float (*dot_q4_0)(const block_q4_0 *w, const act_q8_0 *a, int64_t n);
    float (*dot_q4_K)(const block_q4_K *w, const block_q8_K *a, int64_t n);
    float (*dot_q5_K)(const block_q5_K *w, const block_q8_K *a, int64_t n);
    float (*dot_q6_K)(const block_q6_K *w, const block_q8_K *a, int64_t n);
    /* out[n] = an F16 row as floats (exact): the hardware conversion */
    void (*f16_row)(const uint16_t *in, float *out, int64_t n);
    /* Attention over an F16 cache (archs/decoder_run.c), keys and values
     * rows of hd halves, n of them:
     *   scores[s] = scale · sum_i q[i] k_s[i]
     *   out[i] = sum_s p[s] v_s[i], p first rounded to half precision in
     *            place (llama.cpp multiplies the values by f16 weights) */
    void (*attn_scores_f16)(float *scores, const float *q, const uint16_t *keys, int64_t n, int64_t hd,
                            float scale);
    void (*attn_values_f16)(float *out, float *p, const uint16_t *values, int64_t n, int64_t hd);
} QuantKernels;

extern const QuantKernels quant_kernels_scalar;
#if defined(__x86_64__)
extern const QuantKernels quant_kernels_avx2, quant_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const QuantKernels quant_kernels_neon;
#endif

/* The table matching the active float kernels (kernels()->name). */
const QuantKernels *quant_kernels(void);

/* ---- integer tiles (quant_tiles.c, kernels/quant_vnni.c) --------------------
 *
 * CPUs with AVX-512 VNNI multiply 64 unsigned bytes by 64 signed bytes and
 * add each four products into one of 16 int32 lanes in one instruction
 * (vpdpbusd). Two layouts feed it:
 *
 * Decoding (one activation row, the weights read in place): the activation
 * row is prepared in pairs of 32-blocks (act_pair): its 64 int8 values, the
 * two block scales, and an integer bias per int32 lane, with which the lane
 * starts. A Q4_0 level q is unsigned (0..15) and stands for q − 8, so the
 * bias of a lane is −8 times the sum of its four activations. Each lane
 * then holds exactly the sum of its four signed products, as in llama.cpp,
 * and the lanes are scaled and added in llama.cpp's order, so that the
 * results agree with it bit for bit.
 *
 * Prompts (many activation rows): 16 weight rows at a time are unpacked
 * into tile_block's, one per 32 values, where lane r of a vector is row r:
 * group k holds values 4k..4k+3 of the 16 rows. Any weight type with
 * 32-value sub-blocks is written there as  w = s·u + c  with u an unsigned
 * byte and s, c floats per (row, block):
 *     Q8_0  u = q + 128   s = d        c = −128·d
 *     Q4_0  u = q         s = d        c = −8·d
 *     Q4_K  u = q         s = d·s_j    c = −dmin·m_j
 *     Q5_K  u = q (5 bit) s = d·s_j    c = −dmin·m_j
 * so that with an activation block a (scale d_a, int8 a_i):
 *     sum_i w_i·d_a·a_i = s·d_a·sum_i u_i a_i + c·(d_a·sum_i a_i)
 * the first sum one integer dot product, the second precomputed (act_tile).
 * The activations are quantized exactly as for the dot products (Q8_0
 * blocks, or Q8_K for the K-quants, whose scale is shared by 8 blocks). */
typedef struct { int8_t qs[64]; int32_t bias[16]; float d[2]; } act_pair;
typedef struct { int8_t qs[32]; float d, dsum; } act_tile;
typedef struct { uint8_t u[8][16][4]; float s[16], c[16]; } tile_block;
enum { TILE_ROWS_INT = 16 };

/* The kernels over those layouts. rows_*: y[r] = dot(W row r, a) for
 * r < n_rows (rows row_bytes apart). gemm: Y[i·ldy + r] for i < n, r <
 * n_rows (<= 16) from the n_blocks tile blocks of 16 rows and the n
 * activation rows (each n_blocks act_tile's, row i at acts + i·n_blocks). */
typedef struct {
    const char *name;
    void (*rows_q4_0)(const void *W, size_t row_bytes, const act_pair *a, int64_t cols, int64_t n_rows, float *y);
    void (*rows_q4_K)(const void *W, size_t row_bytes, const block_q8_K *a, int64_t cols, int64_t n_rows, float *y);
    void (*gemm)(const tile_block *tile, int64_t n_blocks, const act_tile *acts, int64_t n, float *Y,
                 int64_t ldy, int n_rows);
    /* quant_act_tiles for Q8_0 / Q4_0 weights (n values, Q8_0 blocks), the same bits */
    void (*act_tiles_q8_0)(const float *x, act_tile *out, int64_t n);
} QuantTiles;

#if defined(__x86_64__)
extern const QuantTiles quant_tiles_vnni;
#endif
/* The tiles the active kernels have (AVX-512 with VNNI), or NULL. */
const QuantTiles *quant_tiles(void);

/* quant_matmul on the tiles; returns -1 where they do not apply (no tiles,
 * a type without them, or no memory) and the caller takes the dot path. */
int quant_matmul_integer(rg_type type, const void *W, int64_t rows, int64_t cols, const float *X, int64_t n,
                         float *Y);

/* The layouts (portable C, quant_tiles.c). offset is that of the type's
 * unsigned levels (8 for Q4_0). */
void quant_act_pairs(const float *x, act_pair *out, int64_t n, int offset);
void quant_act_tiles(rg_type type, const float *x, act_tile *out, int64_t n);
void quant_tile_pack(rg_type type, const void *W, size_t row_bytes, int64_t cols, int n_rows, tile_block *out);

/* Activation quantizers (scalar; a row is quantized once per product). */
void quant_act_q8_0(const float *x, act_q8_0 *out, int64_t n);
void quant_act_q8_K(const float *x, block_q8_K *out, int64_t n);

/* K-quant rows (quant_kquants.c). */
void dequantize_row_q4_K(const block_q4_K *b, float *y, int64_t n);
void dequantize_row_q5_K(const block_q5_K *b, float *y, int64_t n);
void dequantize_row_q6_K(const block_q6_K *b, float *y, int64_t n);
void dequantize_row_q8_K(const block_q8_K *b, float *y, int64_t n);
void quantize_row_q4_K(const float *x, block_q4_K *b, int64_t n);
void quantize_row_q5_K(const float *x, block_q5_K *b, int64_t n);
void quantize_row_q6_K(const float *x, block_q6_K *b, int64_t n);

/* Round to nearest, halves to even, for |f| < 2^22: adding 1.5·2^23 puts
 * the integer part in the low mantissa bits, rounded by the FPU itself. */
static inline int nearest_int(float f)
{
    float v = f + 12582912.0f;
    int32_t bits;
    __builtin_memcpy(&bits, &v, 4);
    return (bits & 0x007FFFFF) - 0x00400000;
}

#endif
