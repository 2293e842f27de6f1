/*
 * kernels/neon.c — the kernel table for AArch64 (Advanced SIMD, which every
 * AArch64 CPU has: Apple M-series, Graviton, Raspberry Pi 4/5). Compiled only
 * on aarch64 (Makefile) and always chosen there by dispatch.c; it
 * accelerates every entry of kernels/scalar.c.
 *
 * This file supplies the 4-float vector primitives and the tile shape; the
 * loops themselves are the shared ones of simd_matmul.h and simd_rows.h.
 *
 * Tile: MR = 8 rows x NR = 8 columns (two q registers) of C: 16
 * accumulators of the 32 vector registers, 2 for the packed panel and a few
 * for broadcasts. Cores with two or four 128-bit FMA pipes and a 4-cycle
 * latency need 8 to 16 chains in flight; each k step issues 10 loads for 16
 * FMAs. An 8-column panel of a 256-deep k-block is 8 KB of L1.
 */
#include "core/kernels/kernels.h"

#include <arm_neon.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VLEN 4
#define MR 8
#define NV 2
#define MV_ROWS 4  /* input rows per pass of matvec_forward (simd_matmul.h) */
#define FMA_CHAINS 16   /* the yardstick: 2 FMA ports x 4-cycle latency, and more */
typedef float32x4_t vfloat;

static inline vfloat v_zero(void) { return vdupq_n_f32(0.0f); }
static inline vfloat v_set1(float x) { return vdupq_n_f32(x); }
static inline vfloat v_load(const float *p) { return vld1q_f32(p); }
static inline void v_store(float *p, vfloat x) { vst1q_f32(p, x); }
/* the first n (< VLEN) lanes; the others 0, or fill (NEON has no masked
 * loads, so the tail goes through a small buffer) */
static inline vfloat v_load_part_or(const float *p, int n, float fill)
{
    float tmp[4] = { fill, fill, fill, fill };
    memcpy(tmp, p, (size_t)n * sizeof(float));
    return vld1q_f32(tmp);
}
static inline vfloat v_load_part(const float *p, int n) { return v_load_part_or(p, n, 0.0f); }
static inline void v_store_part(float *p, vfloat x, int n)
{
    float tmp[4];
    vst1q_f32(tmp, x);
    memcpy(p, tmp, (size_t)n * sizeof(float));
}
static inline vfloat v_add(vfloat a, vfloat b) { return vaddq_f32(a, b); }
static inline vfloat v_sub(vfloat a, vfloat b) { return vsubq_f32(a, b); }
static inline vfloat v_mul(vfloat a, vfloat b) { return vmulq_f32(a, b); }
static inline vfloat v_div(vfloat a, vfloat b) { return vdivq_f32(a, b); }
static inline vfloat v_max(vfloat a, vfloat b) { return vmaxq_f32(a, b); }
static inline vfloat v_sqrt(vfloat a) { return vsqrtq_f32(a); }
/* a * b + c, one rounding */
static inline vfloat v_fma(vfloat a, vfloat b, vfloat c) { return vfmaq_f32(c, a, b); }
static inline float v_reduce_add(vfloat a) { return vaddvq_f32(a); }
static inline float v_reduce_max(vfloat a) { return vmaxvq_f32(a); }

/* exp(x) as Cephes' expf: x = n ln2 + r with |r| <= ln2/2, a degree-6
 * polynomial for e^r, then 2^n built in the exponent bits. About 1 ulp;
 * inputs below -87.3 (where expf goes subnormal) give 0, above 88 are
 * clamped. */
static inline vfloat v_exp(vfloat x)
{
    uint32x4_t keep = vcgeq_f32(x, vdupq_n_f32(-87.33f));
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.33f)), vdupq_n_f32(88.0f));
    vfloat n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    vfloat r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    vfloat p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    vfloat y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(p, r), r);
    int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23);
    vfloat scaled = vmulq_f32(y, vreinterpretq_f32_s32(e));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(scaled), keep));
}

#include "core/kernels/simd_matmul.h"
#include "core/kernels/simd_rows.h"

/* scalar.c: sum_squares — squares summed in double, 2 lanes at a time. */
static double simd_sum_squares(const float *x, size_t n)
{
    float64x2_t acc0 = vdupq_n_f64(0.0), acc1 = vdupq_n_f64(0.0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t v = vld1q_f32(x + i);
        float64x2_t lo = vcvt_f64_f32(vget_low_f32(v)), hi = vcvt_high_f64_f32(v);
        acc0 = vfmaq_f64(acc0, lo, lo);
        acc1 = vfmaq_f64(acc1, hi, hi);
    }
    double sum = vaddvq_f64(vaddq_f64(acc0, acc1));
    for (; i < n; i++) sum += (double)x[i] * x[i];
    return sum;
}

SIMD_KERNEL_TABLE(kernels_neon, "neon");
