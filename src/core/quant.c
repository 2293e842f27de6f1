/*
 * quant.c — the element types of quant.h: their sizes and names, the 16-bit
 * float conversions, Q8_0 and Q4_0 rows, the activation quantizers, and the
 * two products (matrix-vector and matrix-matrix) that split the weight rows
 * across threads and call the dot kernels of the active instruction set.
 * The K-quants' rows are in quant_kquants.c, the dot kernels in
 * quant_scalar.c (the reference) and kernels/quant_*.c (SIMD).
 */
#include "core/quant.h"
#include "core/quant_blocks.h"
#include "core/kernels/kernels.h"
#include "core/util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- the types ------------------------------------------------------------ */

typedef struct {
    rg_type type;
    const char *name;
    int block_size;
    size_t block_bytes;
} TypeInfo;

static const TypeInfo type_table[] = {
    { RG_TYPE_F32, "F32", 1, 4 },
    { RG_TYPE_F16, "F16", 1, 2 },
    { RG_TYPE_BF16, "BF16", 1, 2 },
    { RG_TYPE_I32, "I32", 1, 4 },
    { RG_TYPE_Q8_0, "Q8_0", QK8_0, sizeof(block_q8_0) },
    { RG_TYPE_Q4_0, "Q4_0", QK4_0, sizeof(block_q4_0) },
    { RG_TYPE_Q4_K, "Q4_K", QK_K, sizeof(block_q4_K) },
    { RG_TYPE_Q5_K, "Q5_K", QK_K, sizeof(block_q5_K) },
    { RG_TYPE_Q6_K, "Q6_K", QK_K, sizeof(block_q6_K) },
    { RG_TYPE_Q8_K, "Q8_K", QK_K, sizeof(block_q8_K) },
};
enum { N_TYPES = sizeof(type_table) / sizeof(type_table[0]) };

static const TypeInfo *type_info(int64_t type)
{
    for (int i = 0; i < N_TYPES; i++)
        if ((int64_t)type_table[i].type == type) return &type_table[i];
    return NULL;
}

const char *quant_type_name(rg_type type)
{
    const TypeInfo *t = type_info(type);
    return t ? t->name : NULL;
}

int quant_type_from_name(const char *name, rg_type *out)
{
    for (int i = 0; i < N_TYPES; i++) {
        if (strcasecmp(type_table[i].name, name) == 0) {
            *out = type_table[i].type;
            return 0;
        }
    }
    return fail("unknown tensor type '%s' (known: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q8_K)",
                name);
}

int quant_type_known(int64_t type) { return type_info(type) != NULL; }

int quant_block_size(rg_type type)
{
    const TypeInfo *t = type_info(type);
    return t ? t->block_size : 0;
}

size_t quant_block_bytes(rg_type type)
{
    const TypeInfo *t = type_info(type);
    return t ? t->block_bytes : 0;
}

size_t quant_row_bytes(rg_type type, int64_t n_cols)
{
    const TypeInfo *t = type_info(type);
    if (!t || n_cols <= 0 || n_cols % t->block_size != 0) return 0;
    uint64_t blocks = (uint64_t)n_cols / (uint64_t)t->block_size;
    if (blocks > SIZE_MAX / t->block_bytes) return 0;
    return (size_t)blocks * t->block_bytes;
}

/* ---- 16-bit floats ---------------------------------------------------------- */

static inline uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* IEEE half: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
float quant_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0x1F) return bits_float(sign | 0x7F800000u | (mant << 13));   /* inf, nan */
    if (exp == 0) {   /* zero or subnormal: mant · 2^-24 */
        float v = (float)mant * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    return bits_float(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t quant_f32_to_f16(float f)
{
    uint32_t u = float_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t abs = u & 0x7FFFFFFFu;
    if (abs >= 0x7F800000u)   /* inf stays inf, nan stays a (quiet) nan */
        return (uint16_t)(sign | 0x7C00 | (abs > 0x7F800000u ? 0x200 : 0));
    if (abs >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);   /* rounds past 65504 */
    if (abs < 0x38800000u) {   /* below 2^-14: a subnormal half, units of 2^-24 */
        float v = bits_float(abs) * 16777216.0f;     /* exact: a power-of-two scale */
        uint32_t q = (uint32_t)v;
        float rest = v - (float)q;
        if (rest > 0.5f || (rest == 0.5f && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    /* normal: drop 13 mantissa bits, rounding to nearest even (a carry into
     * the exponent is the right answer) */
    uint32_t rounded = abs + 0xFFFu + ((abs >> 13) & 1);
    return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

/* bfloat16: the top half of an f32. */
float quant_bf16_to_f32(uint16_t h) { return bits_float((uint32_t)h << 16); }

uint16_t quant_f32_to_bf16(float f)
{
    uint32_t u = float_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40);   /* quiet nan */
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1)) >> 16);
}

/* ---- Q8_0 and Q4_0 rows ------------------------------------------------------- */

/* Q8_0: d = max|x| / 127, q = round(x / d). */
static void quantize_row_q8_0(const float *x, block_q8_0 *b, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = quant_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++) b[i].qs[j] = (int8_t)nearest_int(x[j] * id);
    }
}

static void dequantize_row_q8_0(const block_q8_0 *b, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_0; i++) {
        float d = quant_f16_to_f32(b[i].d);
        for (int j = 0; j < QK8_0; j++) *y++ = d * b[i].qs[j];
    }
}

/* Q4_0: the value of largest magnitude, m, maps to -8: d = m / -8, and
 * q = clamp(round(x / d) + 8, 0, 15). The sign of d lets the extreme use
 * the one extra negative level. */
static void quantize_row_q4_0(const float *x, block_q4_0 *b, int64_t n)
{
    for (int64_t i = 0; i < n / QK4_0; i++, x += QK4_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK4_0; j++) {
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        }
        float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = quant_f32_to_f16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            int lo = (int)(x[j] * id + 8.5f), hi = (int)(x[j + QK4_0 / 2] * id + 8.5f);
            lo = lo < 0 ? 0 : lo > 15 ? 15 : lo;
            hi = hi < 0 ? 0 : hi > 15 ? 15 : hi;
            b[i].qs[j] = (uint8_t)(lo | (hi << 4));
        }
    }
}

static void dequantize_row_q4_0(const block_q4_0 *b, float *y, int64_t n)
{
    for (int64_t i = 0; i < n / QK4_0; i++, y += QK4_0) {
        float d = quant_f16_to_f32(b[i].d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            y[j] = d * ((b[i].qs[j] & 0xF) - 8);
            y[j + QK4_0 / 2] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

/* ---- activations ----------------------------------------------------------------- */

void quant_act_q8_0(const float *x, act_q8_0 *out, int64_t n)
{
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) {   /* (a compare, not fmaxf: a call to libm per value) */
            float a = fabsf(x[j]);
            amax = a > amax ? a : amax;
        }
        float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;   /* as llama.cpp's x86 path */
        out[i].d = quant_f16_to_f32(quant_f32_to_f16(d));   /* stored as f16, as llama.cpp does */
        for (int j = 0; j < QK8_0; j++) out[i].qs[j] = (int8_t)nearest_int(x[j] * id);
    }
}

/* Q8_K: the value of largest magnitude maps to -127 (as llama.cpp), and the
 * sums of each 16 quants are kept for the K-quants' min terms. */
void quant_act_q8_K(const float *x, block_q8_K *out, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        }
        if (amax == 0.0f) {
            memset(&out[i], 0, sizeof out[i]);
            continue;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            int v = nearest_int(iscale * x[j]);
            out[i].qs[j] = (int8_t)(v > 127 ? 127 : v);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            int sum = 0;
            for (int k = 0; k < 16; k++) sum += out[i].qs[j * 16 + k];
            out[i].bsums[j] = (int16_t)sum;
        }
        out[i].d = 1.0f / iscale;
    }
}

/* ---- rows of any type ---------------------------------------------------------------- */

void quant_dequantize_row(rg_type type, const void *row, float *out, int64_t n)
{
    switch (type) {
    case RG_TYPE_F32: memcpy(out, row, (size_t)n * sizeof(float)); break;
    case RG_TYPE_F16: quant_kernels()->f16_row(row, out, n); break;
    case RG_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) out[i] = quant_bf16_to_f32(((const uint16_t *)row)[i]);
        break;
    case RG_TYPE_I32:
        for (int64_t i = 0; i < n; i++) out[i] = (float)((const int32_t *)row)[i];
        break;
    case RG_TYPE_Q8_0: dequantize_row_q8_0(row, out, n); break;
    case RG_TYPE_Q4_0: dequantize_row_q4_0(row, out, n); break;
    case RG_TYPE_Q4_K: dequantize_row_q4_K(row, out, n); break;
    case RG_TYPE_Q5_K: dequantize_row_q5_K(row, out, n); break;
    case RG_TYPE_Q6_K: dequantize_row_q6_K(row, out, n); break;
    case RG_TYPE_Q8_K: dequantize_row_q8_K(row, out, n); break;
    }
}

int quant_quantize_row(rg_type type, const float *in, void *row, int64_t n)
{
    const TypeInfo *t = type_info(type);
    if (!t) return fail("cannot quantize to type %d: unknown", (int)type);
    if (n <= 0 || n % t->block_size != 0)
        return fail("cannot quantize a row of %lld values to %s: the row length must be a multiple of %d",
                    (long long)n, t->name, t->block_size);
    switch (type) {
    case RG_TYPE_F32: memcpy(row, in, (size_t)n * sizeof(float)); return 0;
    case RG_TYPE_F16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)row)[i] = quant_f32_to_f16(in[i]);
        return 0;
    case RG_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)row)[i] = quant_f32_to_bf16(in[i]);
        return 0;
    case RG_TYPE_Q8_0: quantize_row_q8_0(in, row, n); return 0;
    case RG_TYPE_Q4_0: quantize_row_q4_0(in, row, n); return 0;
    case RG_TYPE_Q4_K: quantize_row_q4_K(in, row, n); return 0;
    case RG_TYPE_Q5_K: quantize_row_q5_K(in, row, n); return 0;
    case RG_TYPE_Q6_K: quantize_row_q6_K(in, row, n); return 0;
    case RG_TYPE_Q8_K: quant_act_q8_K(in, row, n); return 0;
    case RG_TYPE_I32: break;
    }
    return fail("cannot quantize to %s", t->name);
}

/* ---- the kernel set ---------------------------------------------------------------------- */

const QuantKernels *quant_kernels(void)
{
    const char *name = kernels()->name;
#if defined(__x86_64__)
    if (strcmp(name, "avx512") == 0) return &quant_kernels_avx512;
    if (strcmp(name, "avx2") == 0) return &quant_kernels_avx2;
#endif
#if defined(__aarch64__)
    if (strcmp(name, "neon") == 0) return &quant_kernels_neon;
#endif
    return &quant_kernels_scalar;
}

const char *quant_kernels_name(void) { return quant_kernels()->name; }

/* ---- products ------------------------------------------------------------------------------ */

int quant_type_has_matvec(rg_type type)
{
    switch (type) {
    case RG_TYPE_F32: case RG_TYPE_F16: case RG_TYPE_BF16: case RG_TYPE_Q8_0:
    case RG_TYPE_Q4_0: case RG_TYPE_Q4_K: case RG_TYPE_Q5_K: case RG_TYPE_Q6_K:
        return 1;
    default:
        return 0;
    }
}

/* The activation form a weight type is dotted with. */
typedef enum { ACT_FLOAT, ACT_Q8_0, ACT_Q8_K } ActKind;

static ActKind act_kind(rg_type type)
{
    switch (type) {
    case RG_TYPE_Q8_0: case RG_TYPE_Q4_0: return ACT_Q8_0;
    case RG_TYPE_Q4_K: case RG_TYPE_Q5_K: case RG_TYPE_Q6_K: return ACT_Q8_K;
    default: return ACT_FLOAT;
    }
}

static size_t act_row_bytes(ActKind kind, int64_t cols)
{
    switch (kind) {
    case ACT_Q8_0: return (size_t)(cols / QK8_0) * sizeof(act_q8_0);
    case ACT_Q8_K: return (size_t)(cols / QK_K) * sizeof(block_q8_K);
    default: return (size_t)cols * sizeof(float);
    }
}

static void quantize_act(ActKind kind, const float *x, void *out, int64_t cols)
{
    if (kind == ACT_Q8_0) quant_act_q8_0(x, out, cols);
    else if (kind == ACT_Q8_K) quant_act_q8_K(x, out, cols);
    else memcpy(out, x, (size_t)cols * sizeof(float));
}

/* dot(W row, activation row) with the kernel for the type. */
static inline float dot_row(const QuantKernels *k, rg_type type, const void *w, const void *a, int64_t cols)
{
    switch (type) {
    case RG_TYPE_F32: return k->dot_f32(w, a, cols);
    case RG_TYPE_F16: return k->dot_f16(w, a, cols);
    case RG_TYPE_BF16: return k->dot_bf16(w, a, cols);
    case RG_TYPE_Q8_0: return k->dot_q8_0(w, a, cols);
    case RG_TYPE_Q4_0: return k->dot_q4_0(w, a, cols);
    case RG_TYPE_Q4_K: return k->dot_q4_K(w, a, cols);
    case RG_TYPE_Q5_K: return k->dot_q5_K(w, a, cols);
    case RG_TYPE_Q6_K: return k->dot_q6_K(w, a, cols);
    default: return 0.0f;
    }
}

/* Below this many weight values a product stays on one thread. */
enum { PARALLEL_MIN_VALUES = 1 << 16, ROW_CHUNK = 16 };

void quant_matvec(rg_type type, const void *W, int64_t rows, int64_t cols, const float *x, float *y)
{
    quant_matmul(type, W, rows, cols, x, 1, y);
}

/* Many activation rows (a prompt): the weights are dequantized once, TILE_ROWS
 * rows at a time into each thread's buffer, and the float kernels' tiled
 * SGEMM (kernels.h matmul_forward) multiplies all n rows by them. Unpacking
 * a block then costs 1/n of a product instead of once per activation row,
 * and the activations stay in float (no 8-bit rounding). Returns -1 if the
 * buffers cannot be had (the caller falls back to the dot products). */
enum { TILED_MIN_ROWS = 16, TILE_ROWS = 128 };

static int matmul_tiled(rg_type type, const void *W, int64_t rows, int64_t cols, const float *X, int64_t n,
                        float *Y)
{
    if (rows > INT_MAX || cols > INT_MAX / TILE_ROWS || n > INT_MAX) return -1;
    const Kernels *k = kernels();
    size_t row_bytes = quant_row_bytes(type, cols);
    int threads = kernel_threads();
    float *buffers = NULL;
    if (type != RG_TYPE_F32) {
        buffers = malloc((size_t)threads * TILE_ROWS * (size_t)cols * sizeof(float));
        if (!buffers) return -1;
    }
    int64_t chunks = (rows + TILE_ROWS - 1) / TILE_ROWS;
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t r0 = c * TILE_ROWS, len = rows - r0 < TILE_ROWS ? rows - r0 : TILE_ROWS;
        const float *w;
        if (type == RG_TYPE_F32) {
            w = (const float *)W + r0 * cols;
        } else {
#ifdef _OPENMP
            float *buf = buffers + (size_t)omp_get_thread_num() * TILE_ROWS * (size_t)cols;
#else
            float *buf = buffers;
#endif
            for (int64_t r = 0; r < len; r++)
                quant_dequantize_row(type, (const char *)W + (size_t)(r0 + r) * row_bytes, buf + r * cols, cols);
            w = buf;
        }
        /* Y[i, r0 + o] for o < len: the output block starts at Y + r0 with rows Y's width apart */
        k->matmul_forward(Y + r0, X, w, NULL, (int)n, (int)cols, (int)rows, 0, (int)len);
    }
    free(buffers);
    return 0;
}

void quant_matmul(rg_type type, const void *W, int64_t rows, int64_t cols, const float *X,
                  int64_t n, float *Y)
{
    if (quant_matmul_integer(type, W, rows, cols, X, n, Y) == 0) return;   /* quant_tiles.c */
    if (n >= TILED_MIN_ROWS && matmul_tiled(type, W, rows, cols, X, n, Y) == 0) return;
    const QuantKernels *k = quant_kernels();
    size_t row_bytes = quant_row_bytes(type, cols);
    ActKind kind = act_kind(type);
    size_t a_bytes = act_row_bytes(kind, cols);
    /* The quantized activations (n rows). The products have no error path:
     * if even this small buffer cannot be had, Y is zeroed. */
    void *act = kind == ACT_FLOAT ? NULL : malloc((size_t)n * a_bytes);
    if (kind != ACT_FLOAT && !act) {
        memset(Y, 0, (size_t)n * (size_t)rows * sizeof(float));
        return;
    }
    for (int64_t i = 0; i < n && act; i++)
        quantize_act(kind, X + i * cols, (char *)act + (size_t)i * a_bytes, cols);
    const char *acts = act ? act : (const char *)X;

    int64_t chunks = (rows + ROW_CHUNK - 1) / ROW_CHUNK;
    int threads = (double)rows * (double)cols * (double)n >= PARALLEL_MIN_VALUES ? kernel_threads() : 1;
    (void)threads;   /* unused in a serial (OMP=0) build */
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t r_end = (c + 1) * ROW_CHUNK < rows ? (c + 1) * ROW_CHUNK : rows;
        /* ROW_CHUNK weight rows stay in cache while every activation row
         * passes by them */
        for (int64_t i = 0; i < n; i++) {
            const char *a = acts + (size_t)i * a_bytes;
            for (int64_t r = c * ROW_CHUNK; r < r_end; r++)
                Y[i * rows + r] = dot_row(k, type, (const char *)W + (size_t)r * row_bytes, a, cols);
        }
    }
    free(act);
}
