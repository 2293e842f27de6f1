/*
 * kernels/avx512.c — the kernel table for x86-64 CPUs with AVX-512F
 * (Skylake-SP and later Xeons, Ice Lake, Zen 4). Built with
 * -mavx512f -mavx512vl -mavx2 -mfma for this file only (Makefile) and chosen
 * at run time by dispatch.c when the CPU reports AVX-512F; it accelerates
 * every entry of kernels/scalar.c.
 *
 * This file supplies the 16-float vector primitives and the tile shape; the
 * loops themselves are the shared ones of simd_matmul.h and simd_rows.h.
 *
 * Tile: MR = 8 rows x NR = 32 columns (two zmm vectors) of C live in 16 of
 * the 32 zmm registers during a run over k. A core with two 512-bit FMA
 * ports and a 4-cycle FMA latency needs at least 8 independent chains in
 * flight; 16 leave headroom. Each k step loads 2 vectors of the packed panel
 * and 8 broadcast numbers of A (folded into the FMAs as {1to16} memory
 * operands) for 16 FMAs: 10 loads per 8 cycles, within the two load ports.
 * 8 rows also divide the shapes that matter (B·T = 1280, d = 128, H = 256),
 * so few tiles are partial; the 32-column panel of a 256-deep k-block is
 * 32 KB and stays in L1 while the tile sweeps down all the rows.
 */
#include "core/kernels/kernels.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>

#define VLEN 16
#define MR 8
#define NV 2
#define MV_ROWS 4  /* input rows per pass of matvec_forward (simd_matmul.h) */
#define ATTN_ROWS 16  /* attention rows per register block (simd_rows.h) */
#define FMA_CHAINS 24   /* the yardstick: 2 FMA ports x 4-cycle latency, and more */
typedef __m512 vfloat;

static inline __mmask16 lanes(int n) { return (__mmask16)((1u << n) - 1u); }

static inline vfloat v_zero(void) { return _mm512_setzero_ps(); }
static inline vfloat v_set1(float x) { return _mm512_set1_ps(x); }
static inline vfloat v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void v_store(float *p, vfloat x) { _mm512_storeu_ps(p, x); }
/* the first n (< VLEN) lanes; the others 0, or fill */
static inline vfloat v_load_part(const float *p, int n) { return _mm512_maskz_loadu_ps(lanes(n), p); }
static inline vfloat v_load_part_or(const float *p, int n, float fill)
{
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), lanes(n), p);
}
static inline void v_store_part(float *p, vfloat x, int n) { _mm512_mask_storeu_ps(p, lanes(n), x); }
static inline vfloat v_add(vfloat a, vfloat b) { return _mm512_add_ps(a, b); }
static inline vfloat v_sub(vfloat a, vfloat b) { return _mm512_sub_ps(a, b); }
static inline vfloat v_mul(vfloat a, vfloat b) { return _mm512_mul_ps(a, b); }
static inline vfloat v_div(vfloat a, vfloat b) { return _mm512_div_ps(a, b); }
static inline vfloat v_max(vfloat a, vfloat b) { return _mm512_max_ps(a, b); }
static inline vfloat v_sqrt(vfloat a) { return _mm512_sqrt_ps(a); }
/* a * b + c, one rounding */
static inline vfloat v_fma(vfloat a, vfloat b, vfloat c) { return _mm512_fmadd_ps(a, b, c); }
static inline float v_reduce_add(vfloat a) { return _mm512_reduce_add_ps(a); }
static inline float v_reduce_max(vfloat a) { return _mm512_reduce_max_ps(a); }

/* exp(x) as Cephes' expf: x = n ln2 + r with |r| <= ln2/2, a degree-6
 * polynomial for e^r, then scaling by 2^n (scalef). About 1 ulp; inputs
 * below -87.3 (where expf goes subnormal) give 0, above 88 are clamped. */
static inline vfloat v_exp(vfloat x)
{
    __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33f), _CMP_LT_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33f)), _mm512_set1_ps(88.0f));
    vfloat n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    vfloat r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    vfloat p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    vfloat y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_mov_ps((__mmask16)~tiny, _mm512_scalef_ps(y, n));
}

#include "core/kernels/simd_matmul.h"
#include "core/kernels/simd_rows.h"

/* scalar.c: sum_squares — squares summed in double, 8 lanes at a time. */
static double simd_sum_squares(const float *x, size_t n)
{
    __m512d acc0 = _mm512_setzero_pd(), acc1 = _mm512_setzero_pd();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512d lo = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
        __m512d hi = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
        acc0 = _mm512_fmadd_pd(lo, lo, acc0);
        acc1 = _mm512_fmadd_pd(hi, hi, acc1);
    }
    double sum = _mm512_reduce_add_pd(_mm512_add_pd(acc0, acc1));
    for (; i < n; i++) sum += (double)x[i] * x[i];
    return sum;
}

SIMD_KERNEL_TABLE(kernels_avx512, "avx512");
