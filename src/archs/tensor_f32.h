/*
 * tensor_f32.h — any stored tensor as floats, for architectures that compute
 * in float: F32 data is used in place (when aligned), F16 and BF16 are
 * widened, quantized types are dequantized row by row.
 */
#ifndef RUSTGPT_TENSOR_F32_H
#define RUSTGPT_TENSOR_F32_H

#include "rustgpt/plugin.h"

/* The elements of t as floats. Returns t's own data when it is aligned F32
 * (*copy = NULL), else a new array the caller frees (*copy = it). NULL after
 * fail() for an unsupported type or a data size that does not match the
 * dims. */
const float *tensor_f32(const rg_tensor *t, float **copy);

/* IEEE half and bfloat16 to float. */
float f16_to_f32(uint16_t h);
float bf16_to_f32(uint16_t h);

#endif
