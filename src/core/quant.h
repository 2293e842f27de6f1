/*
 * quant.h — element types of model weights: plain (F32, F16, BF16) and
 * quantized in blocks (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q8_K), with the byte
 * layouts of ggml so that GGUF tensors are used as they lie in the file.
 *
 * A quantized row of n_cols values is n_cols / block_size blocks; each block
 * holds a few scales and one small integer per value (docs/16-quantization.md
 * draws every layout). The products below read the blocks directly: the
 * activation row is quantized once to 8 bits (Q8_0 for Q8_0/Q4_0 weights,
 * Q8_K for the K-quants) and every weight row is then an integer dot product
 * scaled per block, as llama.cpp does. F16/BF16/F32 weights are dotted in
 * float.
 *
 * The scalar code in quant.c / quant_kquants.c is the readable reference;
 * AVX2, AVX-512 and NEON paths beside it (quant_avx2.c, ...) compute the
 * same sums and are chosen at run time with the other kernels
 * (RUSTGPT_KERNELS=scalar|avx2|avx512|neon, core/kernels/dispatch.c).
 * Products are split across OpenMP threads by weight rows; each output
 * element is computed by the same operations whatever the thread count.
 */
#ifndef RUSTGPT_QUANT_H
#define RUSTGPT_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "rustgpt/plugin.h"   /* rg_type */

/* ---- the types ---------------------------------------------------------- */

/* "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
 * "I32"; NULL for a number that is not a known rg_type. */
const char *quant_type_name(rg_type type);
/* The reverse (case-insensitive); returns -1 (after fail()) if unknown. */
int quant_type_from_name(const char *name, rg_type *out);
/* Is type a known rg_type number (any of the above)? */
int quant_type_known(int64_t type);

/* Values per block: 1 for F32/F16/BF16/I32, 32 for Q8_0/Q4_0, 256 for the
 * K-quants; 0 for an unknown type. */
int quant_block_size(rg_type type);
/* Bytes of one block (of one value for F32/F16/BF16/I32); 0 if unknown. */
size_t quant_block_bytes(rg_type type);
/* Bytes of a row of n_cols values; 0 if n_cols is not a positive multiple
 * of the block size (or the type is unknown, or the size overflows). */
size_t quant_row_bytes(rg_type type, int64_t n_cols);

/* ---- rows --------------------------------------------------------------- */

/* out[n_cols] = the values of one row (n_cols a multiple of the block size). */
void quant_dequantize_row(rg_type type, const void *row, float *out, int64_t n_cols);
/* row = in[n_cols] quantized (round to nearest; the K-quants search their
 * scales as llama.cpp's reference quantizer does). Returns -1 (after fail())
 * for a type that cannot be written or n_cols not a multiple of the block. */
int quant_quantize_row(rg_type type, const float *in, void *row, int64_t n_cols);

/* Scalar conversions of the 16-bit float types (round to nearest even). */
float quant_f16_to_f32(uint16_t h);
uint16_t quant_f32_to_f16(float f);
float quant_bf16_to_f32(uint16_t h);
uint16_t quant_f32_to_bf16(float f);

/* ---- products ----------------------------------------------------------- */

/* Can W of this type be multiplied (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K,
 * Q6_K)? cols must also be a multiple of quant_block_size(type). */
int quant_type_has_matvec(rg_type type);

/* y[r] = dot(W row r, x) for r in [0, rows): W is rows x cols of `type`
 * (row-major, rows contiguous, quant_row_bytes(type, cols) apart), x [cols],
 * y [rows]. Threaded by rows. */
void quant_matvec(rg_type type, const void *W, int64_t rows, int64_t cols, const float *x, float *y);

/* Y[n, rows] = X[n, cols] · Wᵀ (prompt processing / batched decoding):
 * Y[i, r] = dot(W row r, X row i). Below 16 rows of X each is quantized
 * once and dotted as quant_matvec does (the same bits per row); from 16
 * rows the weights are dequantized 128 rows at a time and multiplied in
 * float by the tiled SGEMM of the float kernels (activations not rounded).
 * Threaded by blocks of W rows, so every weight row is read once for all n. */
void quant_matmul(rg_type type, const void *W, int64_t rows, int64_t cols, const float *X,
                  int64_t n, float *Y);

/* Does quant_matmul run W of this type and row length on integer tiles
 * with the active kernels (AVX-512 VNNI: Q8_0, Q4_0, Q4_K)? Then from 16
 * activation rows the weights are unpacked 16 rows at a time into a layout
 * where one vpdpbusd does 64 multiply-adds for 16 rows, and below 16 each
 * Q4_0 / Q4_K weight row is read in place by a VNNI kernel (quant_tiles.c);
 * the activations are quantized to 8 bits on both paths. */
int quant_has_integer_tiles(rg_type type, int64_t cols);

/* A weight matrix unpacked once into those tiles, for a model that runs the
 * same weights on many small batches (an encoder, whose batches of short
 * texts are a few dozen rows: unpacking at every product, as quant_matmul
 * does, would cost as much as the product). 1.25 bytes per weight. */
typedef struct {
    void *tiles;             /* tile blocks (quant_blocks.h): ceil(rows/16) groups of cols/32 */
    rg_type type;
    int64_t rows, cols;
} QuantPacked;

/* Unpack W (rows x cols of type) into p. Returns -1 (p left empty, nothing
 * to free) if quant_has_integer_tiles(type, cols) is false or memory is
 * short; the caller then multiplies another way. */
int quant_packed_init(QuantPacked *p, rg_type type, const void *W, int64_t rows, int64_t cols);
void quant_packed_free(QuantPacked *p);

/* Y[n, rows] = X[n, cols] · Wᵀ on the packed tiles, any n >= 1, the
 * activations quantized to 8 bits as quant_matmul's tile path does.
 * Threaded by groups of 16 weight rows; every output is computed by the
 * same operations whatever n and the thread count (the same bits). Y is
 * zeroed if the activation buffer cannot be had. */
void quant_matmul_packed(const QuantPacked *p, const float *X, int64_t n, float *Y);

/* The name of the kernel set the products use now ("scalar", "avx2", ...). */
const char *quant_kernels_name(void);

#endif
