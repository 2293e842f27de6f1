/*
 * kernels/avx2.c — the kernel table for x86-64 CPUs with AVX2 and FMA
 * (Haswell and later, Zen). Built with -mavx2 -mfma for this file only
 * (Makefile) and chosen at run time by dispatch.c when the CPU reports both;
 * it accelerates every entry of kernels/scalar.c.
 *
 * This file supplies the 8-float vector primitives and the tile shape; the
 * loops themselves are the shared ones of simd_matmul.h and simd_rows.h.
 *
 * Tile: MR = 6 rows x NR = 16 columns (two ymm vectors) of C: 12
 * accumulators, 2 vectors of the packed panel and 1 broadcast fill 15 of the
 * 16 ymm registers — the classic AVX2 SGEMM shape. Twelve independent FMA
 * chains cover the two FMA ports' 4- to 5-cycle latency, and each k step
 * needs 8 loads for 12 FMAs. A 16-column panel of a 256-deep k-block is
 * 16 KB, half of a typical 32 KB L1.
 */
#include "core/kernels/kernels.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define VLEN 8
#define MR 6
#define NV 2
#define FMA_CHAINS 12   /* the yardstick: 2 FMA ports x 4-cycle latency, and more */
typedef __m256 vfloat;

/* lanes(n): the first n lanes set, as a maskload/maskstore mask */
static const int32_t lane_table[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };
static inline __m256i lanes(int n) { return _mm256_loadu_si256((const __m256i *)(lane_table + 8 - n)); }

static inline vfloat v_zero(void) { return _mm256_setzero_ps(); }
static inline vfloat v_set1(float x) { return _mm256_set1_ps(x); }
static inline vfloat v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void v_store(float *p, vfloat x) { _mm256_storeu_ps(p, x); }
/* the first n (< VLEN) lanes; the others 0, or fill */
static inline vfloat v_load_part(const float *p, int n) { return _mm256_maskload_ps(p, lanes(n)); }
static inline vfloat v_load_part_or(const float *p, int n, float fill)
{
    __m256i m = lanes(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
static inline void v_store_part(float *p, vfloat x, int n) { _mm256_maskstore_ps(p, lanes(n), x); }
static inline vfloat v_add(vfloat a, vfloat b) { return _mm256_add_ps(a, b); }
static inline vfloat v_sub(vfloat a, vfloat b) { return _mm256_sub_ps(a, b); }
static inline vfloat v_mul(vfloat a, vfloat b) { return _mm256_mul_ps(a, b); }
static inline vfloat v_div(vfloat a, vfloat b) { return _mm256_div_ps(a, b); }
static inline vfloat v_max(vfloat a, vfloat b) { return _mm256_max_ps(a, b); }
static inline vfloat v_sqrt(vfloat a) { return _mm256_sqrt_ps(a); }
/* a * b + c, one rounding */
static inline vfloat v_fma(vfloat a, vfloat b, vfloat c) { return _mm256_fmadd_ps(a, b, c); }
static inline float v_reduce_add(vfloat a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}
static inline float v_reduce_max(vfloat a)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps(s, s, 1)));
}

/* exp(x) as Cephes' expf: x = n ln2 + r with |r| <= ln2/2, a degree-6
 * polynomial for e^r, then 2^n built in the exponent bits. About 1 ulp;
 * inputs below -87.3 (where expf goes subnormal) give 0, above 88 are
 * clamped. */
static inline vfloat v_exp(vfloat x)
{
    __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33f), _CMP_GE_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33f)), _mm256_set1_ps(88.0f));
    vfloat n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    vfloat r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    vfloat p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    vfloat y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(e)), keep);
}

#include "core/kernels/simd_matmul.h"
#include "core/kernels/simd_rows.h"

/* scalar.c: sum_squares — squares summed in double, 4 lanes at a time. */
static double simd_sum_squares(const float *x, size_t n)
{
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d lo = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), hi = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
        acc0 = _mm256_fmadd_pd(lo, lo, acc0);
        acc1 = _mm256_fmadd_pd(hi, hi, acc1);
    }
    __m256d acc = _mm256_add_pd(acc0, acc1);
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
    double sum = _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
    for (; i < n; i++) sum += (double)x[i] * x[i];
    return sum;
}

SIMD_KERNEL_TABLE(kernels_avx2, "avx2");
