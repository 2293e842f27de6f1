/*
 * tensor_f32.c — stored tensors as floats (tensor_f32.h).
 *
 * A half float is 1 sign bit, 5 exponent bits (bias 15) and 10 mantissa
 * bits; widening is exact: normal numbers re-bias the exponent, subnormals
 * are scaled by 2^-24, infinities and NaNs keep their class. bfloat16 is
 * the top half of a float.
 */
#include "archs/tensor_f32.h"
#include "core/quant.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    float v;
    if (exp == 0) v = ldexpf((float)mant, -24);
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else {
        uint32_t bits = ((exp + 112) << 23) | (mant << 13);
        memcpy(&v, &bits, 4);
    }
    return sign ? -v : v;
}

float bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

/* A block-quantized tensor (Q8_0, Q4_0, K-quants), row by row. */
static const float *dequantized(const rg_tensor *t, uint64_t n, float **copy)
{
    int64_t cols = t->n_dims > 0 ? t->dims[0] : 1;
    size_t row_bytes = quant_block_size(t->type) > 1 ? quant_row_bytes(t->type, cols) : 0;
    if (!row_bytes) {
        fail("tensor %s: type %d with rows of %lld is not supported", t->name, (int)t->type, (long long)cols);
        return NULL;
    }
    uint64_t rows = cols ? n / (uint64_t)cols : 0;
    if (rows && (rows > SIZE_MAX / row_bytes || t->n_bytes < rows * row_bytes || !t->data)) {
        fail("tensor %s: %zu bytes of data for %llu rows", t->name, t->n_bytes, (unsigned long long)rows);
        return NULL;
    }
    float *out = xmalloc(n ? n : 1, sizeof *out);
    if (!out) return NULL;
    for (uint64_t r = 0; r < rows; r++)
        quant_dequantize_row(t->type, (const unsigned char *)t->data + r * row_bytes, out + r * cols, cols);
    *copy = out;
    return out;
}

const float *tensor_f32(const rg_tensor *t, float **copy)
{
    *copy = NULL;
    uint64_t n = 1;
    for (int i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (t->dims[i] && n > UINT64_MAX / (uint64_t)t->dims[i])) {
            fail("tensor %s: bad dimensions", t->name);
            return NULL;
        }
        n *= (uint64_t)t->dims[i];
    }
    size_t width = t->type == RG_TYPE_F32 ? 4 : (t->type == RG_TYPE_F16 || t->type == RG_TYPE_BF16) ? 2 : 0;
    if (!width) return dequantized(t, n, copy);
    if (n > SIZE_MAX / width || t->n_bytes < n * width || (n && !t->data)) {
        fail("tensor %s: %zu bytes of data for %llu elements", t->name, t->n_bytes, (unsigned long long)n);
        return NULL;
    }
    if (t->type == RG_TYPE_F32 && ((uintptr_t)t->data & 3) == 0) return t->data;
    float *out = xmalloc(n ? n : 1, sizeof *out);
    if (!out) return NULL;
    const unsigned char *p = t->data;
    for (uint64_t i = 0; i < n; i++) {
        if (t->type == RG_TYPE_F32) memcpy(&out[i], p + 4 * i, 4);
        else {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            out[i] = t->type == RG_TYPE_F16 ? f16_to_f32(h) : bf16_to_f32(h);
        }
    }
    *copy = out;
    return out;
}
