/*
 * kernels/quant_x86.h — the 256-bit integer dot products of quant.h's
 * quantized types, shared by quant_avx2.c and quant_avx512.c (each compiles
 * them with its own instruction-set flags). They accelerate the reference
 * loops of core/quant_scalar.c, which carries the arithmetic.
 *
 * The one trick: AVX2 multiplies bytes only as unsigned × signed
 * (vpmaddubsw, pairs summed to int16), then vpmaddwd sums int16 pairs to
 * int32 (here also multiplying by the sub-block scale). Signed × signed
 * (Q8_0, Q4_0) becomes |w| × (a with w's sign). The 4- to 6-bit K-quant
 * levels are unsigned already; Q6_K's −32 offset is taken out afterwards as
 * 32·sum(a), which the Q8_K block has precomputed (bsums).
 *
 * Bounds: |a| <= 127 (the activation quantizers never give −128) and a
 * level <= 63, so a vpmaddubsw pair is at most 2·63·127 = 16002 < 32767.
 */
#include "core/quant_blocks.h"
#include "core/quant.h"

#include <immintrin.h>

/* An f16 scale to float in one instruction (F16C, which every AVX2 CPU
 * has); quant_f16_to_f32() is the portable reference. */
static inline float f16_scale(uint16_t h) { return _cvtsh_ss(h); }

static inline float hsum_ps256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* 32 unsigned bytes × 32 signed bytes, summed in pairs then in fours:
 * eight int32 sums. */
static inline __m256i dot_u8_i8(__m256i u, __m256i s)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* 32 signed × 32 signed bytes: eight int32 sums. */
static inline __m256i dot_i8_i8(__m256i w, __m256i a)
{
    return dot_u8_i8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

static float x86_dot_q8_0(const block_q8_0 *w, const act_q8_0 *a, int64_t n)
{
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK8_0; i++) {
        __m256i p = dot_i8_i8(_mm256_loadu_si256((const __m256i *)w[i].qs),
                              _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(w[i].d) * a[i].d),
                              _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps256(acc);
}

/* The 32 nibbles of a Q4 block as bytes in value order: low nibbles are
 * values 0..15, high nibbles 16..31. */
static inline __m256i unpack_nibbles_16(const uint8_t *qs)
{
    __m128i bytes = _mm_loadu_si128((const __m128i *)qs);
    __m128i mask = _mm_set1_epi8(0xF);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), _mm_and_si128(bytes, mask));
}

static float x86_dot_q4_0(const block_q4_0 *w, const act_q8_0 *a, int64_t n)
{
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK4_0; i++) {
        __m256i q = _mm256_sub_epi8(unpack_nibbles_16(w[i].qs), _mm256_set1_epi8(8));
        __m256i p = dot_i8_i8(q, _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(w[i].d) * a[i].d),
                              _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps256(acc);
}

/* The min term of a Q4_K/Q5_K super-block: sum_j m_j · (sum of a over
 * sub-block j), from the Q8_K block's sums of 16. Also unpacks the scales. */
static inline int32_t kquant_scales_and_mins(const uint8_t *packed, const block_q8_K *a, uint8_t *sc)
{
    int32_t sum_mins = 0;
    for (int j = 0; j < 8; j++) {
        uint8_t m;
        kquant_scale_min(j, packed, &sc[j], &m);
        sum_mins += m * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
    }
    return sum_mins;
}

static float x86_dot_q4_K(const block_q4_K *w, const block_q8_K *a, int64_t n)
{
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    const __m256i mask = _mm256_set1_epi8(0xF);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8];
        int32_t sum_mins = kquant_scales_and_mins(w[i].scales, &a[i], sc);
        __m256i sum = _mm256_setzero_si256();
        for (int k = 0; k < 4; k++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * k));
            __m256i lo = _mm256_and_si256(q, mask), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), mask);
            __m256i p_lo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * k)));
            __m256i p_hi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * k + 32)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p_lo, _mm256_set1_epi16(sc[2 * k])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p_hi, _mm256_set1_epi16(sc[2 * k + 1])));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(w[i].d) * a[i].d), _mm256_cvtepi32_ps(sum), acc);
        mins += f16_scale(w[i].dmin) * a[i].d * (float)sum_mins;
    }
    return hsum_ps256(acc) - mins;
}

static float x86_dot_q5_K(const block_q5_K *w, const block_q8_K *a, int64_t n)
{
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    const __m256i mask = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8];
        int32_t sum_mins = kquant_scales_and_mins(w[i].scales, &a[i], sc);
        __m256i qh = _mm256_loadu_si256((const __m256i *)w[i].qh);
        __m256i sum = _mm256_setzero_si256();
        for (int k = 0; k < 4; k++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * k));
            /* fifth bits: bit 2k of qh for the low nibbles, 2k+1 for the high */
            __m256i h_lo = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * k)), one);
            __m256i h_hi = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * k + 1)), one);
            __m256i lo = _mm256_or_si256(_mm256_and_si256(q, mask), _mm256_slli_epi16(h_lo, 4));
            __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), mask), _mm256_slli_epi16(h_hi, 4));
            __m256i p_lo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * k)));
            __m256i p_hi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * k + 32)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p_lo, _mm256_set1_epi16(sc[2 * k])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p_hi, _mm256_set1_epi16(sc[2 * k + 1])));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(w[i].d) * a[i].d), _mm256_cvtepi32_ps(sum), acc);
        mins += f16_scale(w[i].dmin) * a[i].d * (float)sum_mins;
    }
    return hsum_ps256(acc) - mins;
}

/* Two sub-block scales of Q6_K as int16 lanes: 0..7 get s0, 8..15 get s1
 * (vpmaddubsw's 16 pair sums of 32 values: the first 8 pairs are values
 * 0..15, one sub-block). */
static inline __m256i scale_pair(int8_t s0, int8_t s1)
{
    return _mm256_set_m128i(_mm_set1_epi16(s1), _mm_set1_epi16(s0));
}

static float x86_dot_q6_K(const block_q6_K *w, const block_q8_K *a, int64_t n)
{
    __m256 acc = _mm256_setzero_ps();
    const __m256i mask4 = _mm256_set1_epi8(0xF), mask2 = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const int8_t *sc = w[i].scales;
        int32_t offset = 0;   /* 32 · sum_j s_j · (sum of a over sub-block j) */
        for (int j = 0; j < 16; j++) offset += sc[j] * a[i].bsums[j];
        __m256i sum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = w[i].ql + 64 * h, *qhp = w[i].qh + 32 * h;
            const int8_t *qa = a[i].qs + 128 * h, *s = sc + 8 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i qh = _mm256_loadu_si256((const __m256i *)qhp);
            __m256i q1 = _mm256_or_si256(_mm256_and_si256(l0, mask4),
                                         _mm256_slli_epi16(_mm256_and_si256(qh, mask2), 4));
            __m256i q2 = _mm256_or_si256(_mm256_and_si256(l1, mask4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), mask2), 4));
            __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), mask4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), mask2), 4));
            __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), mask4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), mask2), 4));
            __m256i p1 = _mm256_maddubs_epi16(q1, _mm256_loadu_si256((const __m256i *)qa));
            __m256i p2 = _mm256_maddubs_epi16(q2, _mm256_loadu_si256((const __m256i *)(qa + 32)));
            __m256i p3 = _mm256_maddubs_epi16(q3, _mm256_loadu_si256((const __m256i *)(qa + 64)));
            __m256i p4 = _mm256_maddubs_epi16(q4, _mm256_loadu_si256((const __m256i *)(qa + 96)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p1, scale_pair(s[0], s[1])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p2, scale_pair(s[2], s[3])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p3, scale_pair(s[4], s[5])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p4, scale_pair(s[6], s[7])));
        }
        sum = _mm256_sub_epi32(sum, _mm256_setr_epi32(32 * offset, 0, 0, 0, 0, 0, 0, 0));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(w[i].d) * a[i].d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum_ps256(acc);
}
