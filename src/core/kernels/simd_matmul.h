/*
 * kernels/simd_matmul.h — the register-blocked matrix products, written once
 * for every vector instruction set. avx2.c, avx512.c and neon.c each define
 * the vector primitives (vfloat, VLEN, v_load, v_fma, ...) and the tile shape
 * MR x NV, then include this file, so that one text gives three kernels
 * compiled for three instruction sets. They accelerate kernels/scalar.c's
 * matmul_forward, matmul_backward_input and matmul_backward_weight.
 *
 * All three products have the form C (+)= A · B with C [M, N]:
 *
 *   forward          out   = inp · Wᵀ     A = inp [rows, in]    B(k,n) = W[n,k]
 *   backward_input   dinp += dout · W     A = dout [rows, out]  B(k,n) = W[k,n]
 *   backward_weight  dW   += doutᵀ · inp  A(m,k) = dout[k,m]    B(k,n) = inp[k,n]
 *
 * The micro-kernel keeps an MR x NR block of C in MR*NV vector registers
 * (NR = NV*VLEN columns) for a whole run over k: each step loads NV vectors
 * of one row of B, broadcasts MR numbers of A, and issues MR*NV independent
 * FMAs — enough independent chains to hide the FMA latency, and MR+NV loads
 * per MR*NV FMAs, so that the loads never become the bottleneck.
 *
 * Around it, the blocking of Goto's GEMM, sized for the shapes that matter
 * (k = 128 or 256, columns up to V = 1,550, rows B·T up to a few thousand):
 * a block of KC rows x NC columns of B is packed once into contiguous,
 * zero-padded [KC][NR] panels (512 KB, held in L2: the strided reads of W or
 * of its transpose happen once, and the column edge needs no masking inside
 * the k loop); then each MR-row strip of A, which stays in L1, runs across
 * all the panels of the block. A — which for the vocabulary head is the
 * [B·T, V] gradient, 8 MB at batch 16 — is thus read from memory once per
 * block instead of once per panel. doutᵀ, the A of the weight gradient, has
 * its columns a whole row of dout apart, which would fight over the same L1
 * sets: each strip is packed [KC][MR] first, and the bias gradient is summed
 * on the way through.
 *
 * Every element of C is one chain of FMAs over k in increasing order,
 * started from C itself (the backward products, +=) or from the bias, the
 * same chain whichever tile or thread slice computes it. So results do not
 * depend on the tiling or the number of threads, and differ from the scalar
 * reference only by the rounding of fused multiply-adds.
 */

#define NR (NV * VLEN)
enum {
    KC = 256,             /* k-block: rows of B packed at a time                    */
    NC = 512,             /* column block: B is packed KC x NC (512 KB) into L2     */
};

/* The per-thread packing buffer: KC x NC floats of B, then KC x MR of A
 * (64-byte aligned). NULL if it cannot be allocated; the caller then falls
 * back to the scalar kernel. */
static _Thread_local float *pack_scratch;

static float *pack_buffer(void)
{
    if (!pack_scratch) pack_scratch = aligned_alloc(64, ((size_t)KC * NC + (size_t)KC * MR) * sizeof(float));
    return pack_scratch;
}

/* C[m, 0:nr] for m < mr from A(m,k) = a[m*a_row + k*a_col], k < kc, and the
 * packed panel bp [kc][NR]. C rows are ldc apart. The chain starts from C
 * (start == 0), from bias[0:nr] (start == 1, bias may be NULL: zero).
 * mr, a_row and a_col are compile-time constants after inlining. */
static inline __attribute__((always_inline)) void
micro_kernel(int mr, const float *a, long a_row, long a_col, const float *bp, int kc,
             float *c, long ldc, int nr, int start, const float *bias)
{
    vfloat acc[MR][NV];
    #pragma GCC unroll 16
    for (int m = 0; m < MR; m++) {
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            if (m >= mr) continue;
            int cols = nr - v * VLEN;
            const float *src = start ? bias + v * VLEN : c + m * ldc + v * VLEN;
            if (start && !bias) acc[m][v] = v_zero();
            else if (cols >= VLEN) acc[m][v] = v_load(src);
            else if (cols > 0) acc[m][v] = v_load_part(src, cols);
            else acc[m][v] = v_zero();
        }
    }
    for (int k = 0; k < kc; k++) {
        vfloat b[NV];
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++) b[v] = v_load(bp + (size_t)k * NR + v * VLEN);
        #pragma GCC unroll 16
        for (int m = 0; m < MR; m++) {
            if (m >= mr) continue;
            vfloat am = v_set1(a[m * a_row + k * a_col]);
            #pragma GCC unroll 8
            for (int v = 0; v < NV; v++) acc[m][v] = v_fma(am, b[v], acc[m][v]);
        }
    }
    #pragma GCC unroll 16
    for (int m = 0; m < MR; m++) {
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            if (m >= mr) continue;
            int cols = nr - v * VLEN;
            if (cols >= VLEN) v_store(c + m * ldc + v * VLEN, acc[m][v]);
            else if (cols > 0) v_store_part(c + m * ldc + v * VLEN, acc[m][v], cols);
        }
    }
}

/* Instantiate the micro-kernel for every mr (so the loops above unroll into
 * straight-line code) and for the two ways A arrives: rows along k (a_col =
 * 1: inp and dout rows, read in place) or packed [kc][MR] (doutᵀ, whose
 * columns are far apart in memory and would fight over L1 sets). */
#define MICRO_CASE(n) case n: \
    if (a_col == 1) micro_kernel(n, a, a_row, 1, bp, kc, c, ldc, nr, start, bias); \
    else micro_kernel(n, a, 1, MR, bp, kc, c, ldc, nr, start, bias); \
    break;

static void micro_tile(int mr, const float *a, long a_row, long a_col, const float *bp, int kc,
                       float *c, long ldc, int nr, int start, const float *bias)
{
    switch (mr) {
    MICRO_CASE(1) MICRO_CASE(2) MICRO_CASE(3) MICRO_CASE(4)
#if MR > 4
    MICRO_CASE(5) MICRO_CASE(6)
#endif
#if MR > 6
    MICRO_CASE(7) MICRO_CASE(8)
#endif
#if MR > 8
    MICRO_CASE(9) MICRO_CASE(10) MICRO_CASE(11) MICRO_CASE(12)
#endif
#if MR > 12
#error "MR above 12 needs more cases"
#endif
    default: break;
    }
}
#undef MICRO_CASE

/* dst [kc][MR] = the A micro-panel am(m, k) = am[k*a_col + m] for m < mr (A
 * stored along m, as doutᵀ is); adds each column's sum over k to
 * col_sums[0:mr] when col_sums is not NULL (the bias gradient, for free
 * while the numbers pass through registers). */
static void pack_a_transposed(float *dst, const float *am, long a_col, int kc, int mr,
                              float *col_sums)
{
    enum { MR_VECTORS = (MR + VLEN - 1) / VLEN };
    vfloat sums[MR_VECTORS];
    for (int j = 0; j < MR_VECTORS; j++) sums[j] = v_zero();
    for (int k = 0; k < kc; k++)
        for (int m = 0, j = 0; m < mr; m += VLEN, j++) {
            int n = mr - m < VLEN ? mr - m : VLEN;
            vfloat x = n == VLEN ? v_load(am + k * a_col + m) : v_load_part(am + k * a_col + m, n);
            if (n == VLEN) v_store(dst + k * MR + m, x);
            else v_store_part(dst + k * MR + m, x, n);
            sums[j] = v_add(sums[j], x);
        }
    for (int m = 0, j = 0; col_sums && m < mr; m += VLEN, j++) {
        int n = mr - m < VLEN ? mr - m : VLEN;
        if (n == VLEN) v_store(col_sums + m, v_add(v_load(col_sums + m), sums[j]));
        else v_store_part(col_sums + m, v_add(v_load_part(col_sums + m, n), sums[j]), n);
    }
}

/* C [M, N] (+)= A · B, B(k, n) = b[k*b_row + n*b_col], over k < K, with
 * the loop order of Goto's GEMM: for each block of NC columns and KC rows of
 * B, pack it panel by panel ([NR panels][kc][NR], zero-padded); then for
 * each micro-tile of MR rows of A, run across all panels of the block while
 * those MR x kc numbers of A stay in L1. A is thus read once per column
 * block (A can be the big [B·T, V] gradient of the head), the packed block
 * sits in L2 and each panel streams through L1. start_from_bias: C = bias +
 * A·B instead of +=. */
static void gemm(int M, int N, int K, const float *a, long a_row, long a_col,
                 const float *b, long b_row, long b_col, float *c, long ldc,
                 int start_from_bias, const float *bias, float *a_col_sums, float *buf)
{
    for (int n0 = 0; n0 < N; n0 += NC) {
        int nc = N - n0 < NC ? N - n0 : NC;
        for (int k0 = 0; k0 < K; k0 += KC) {
            int kc = K - k0 < KC ? K - k0 : KC;
            for (int p0 = 0; p0 < nc; p0 += NR) {
                int nr = nc - p0 < NR ? nc - p0 : NR;
                float *panel = buf + (size_t)p0 * kc;
                for (int k = 0; k < kc; k++) {
                    const float *src = b + (size_t)(k0 + k) * b_row + (size_t)(n0 + p0) * b_col;
                    float *dst = panel + (size_t)k * NR;
                    int n = 0;
                    if (b_col == 1)
                        for (; n + VLEN <= nr; n += VLEN) v_store(dst + n, v_load(src + n));
                    for (; n < nr; n++) dst[n] = src[n * b_col];
                    for (; n < NR; n++) dst[n] = 0.0f;
                }
            }
            int start = start_from_bias && k0 == 0;
            float *a_packed = buf + (size_t)KC * NC;
            for (int m0 = 0; m0 < M; m0 += MR) {
                int mr = M - m0 < MR ? M - m0 : MR;
                const float *am = a + m0 * a_row + k0 * a_col;
                if (a_col != 1) {          /* A(m, k) along m (a_row = 1): pack it [kc][MR] */
                    pack_a_transposed(a_packed, am, a_col, kc, mr,
                                      a_col_sums && n0 == 0 ? a_col_sums + m0 : NULL);
                    am = a_packed;
                }
                for (int p0 = 0; p0 < nc; p0 += NR)
                    micro_tile(mr, am, a_row, a_col, buf + (size_t)p0 * kc, kc,
                               c + m0 * ldc + n0 + p0, ldc, nc - p0 < NR ? nc - p0 : NR, start,
                               bias ? bias + n0 + p0 : NULL);
            }
        }
    }
}

/* ---- the three products ------------------------------------------------ */

/* Rows on their own (kernels.h: matvec_forward; generation feeds one row,
 * a server decoding several streams one per stream): no packing, one dot
 * product per output along the contiguous rows of W. Each output is
 *     y[r,o] = reduce_add(s) + bias[o],  s = Σ_i x[r, i:i+VLEN] ⊙ W[o, i:i+VLEN]
 * one vector chain of FMAs over i, the same for a row alone as among
 * others (a stream's text does not depend on who shares its step). Four
 * outputs go at a time, so that the four rows of W stay in L1 while every
 * input row meets them and W is read from memory once per call whatever
 * the number of rows; and MV_ROWS input rows go at a time, so that each
 * load of W feeds MV_ROWS FMAs and 4 x MV_ROWS chains are in flight — one
 * row at a time, four chains and five loads per four FMAs kept the FMA
 * units a third busy when a server decoded 16 streams. (Packing W, as the
 * blocked product does, costs about as much as reading it: for a handful
 * of rows it would more than double the work.) */
#ifndef MV_ROWS
#define MV_ROWS 2   /* 4 x MV_ROWS accumulators + 5 vectors must fit the registers */
#endif

/* Outputs o..o+3 (weight rows w[0..3]) of input rows r0..r0+nr-1, nr <=
 * MV_ROWS a compile-time constant after inlining. */
static inline __attribute__((always_inline)) void
matvec_block(float *out, const float *inp, const float *const w[4], const float *bias, int r0, int nr,
             int in_dim, int out_dim, int o)
{
    vfloat s[MV_ROWS][4];
    const float *x[MV_ROWS];
    #pragma GCC unroll 8
    for (int m = 0; m < MV_ROWS; m++) {
        x[m] = inp + (size_t)(r0 + (m < nr ? m : 0)) * in_dim;
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) s[m][j] = v_zero();
    }
    int i = 0;
    for (; i + VLEN <= in_dim; i += VLEN) {
        vfloat wv[4];
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) wv[j] = v_load(w[j] + i);
        #pragma GCC unroll 8
        for (int m = 0; m < MV_ROWS; m++) {
            if (m >= nr) continue;
            vfloat xv = v_load(x[m] + i);
            #pragma GCC unroll 4
            for (int j = 0; j < 4; j++) s[m][j] = v_fma(xv, wv[j], s[m][j]);
        }
    }
    if (i < in_dim) {
        int n = in_dim - i;
        vfloat wv[4];
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) wv[j] = v_load_part(w[j] + i, n);
        #pragma GCC unroll 8
        for (int m = 0; m < MV_ROWS; m++) {
            if (m >= nr) continue;
            vfloat xv = v_load_part(x[m] + i, n);
            #pragma GCC unroll 4
            for (int j = 0; j < 4; j++) s[m][j] = v_fma(xv, wv[j], s[m][j]);
        }
    }
    #pragma GCC unroll 8
    for (int m = 0; m < MV_ROWS; m++) {
        if (m >= nr) continue;
        float *y = out + (size_t)(r0 + m) * out_dim;
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) y[o + j] = v_reduce_add(s[m][j]) + (bias ? bias[o + j] : 0.0f);
    }
}

static void matvec_forward(float *out, const float *inp, const float *weight, const float *bias,
                           int rows, int in_dim, int out_dim, int o_begin, int o_end)
{
    int o = o_begin;
    for (; o + 4 <= o_end; o += 4) {
        const float *w[4] = { weight + (size_t)o * in_dim, weight + (size_t)(o + 1) * in_dim,
                              weight + (size_t)(o + 2) * in_dim, weight + (size_t)(o + 3) * in_dim };
        int r = 0;
        for (; r + MV_ROWS <= rows; r += MV_ROWS) matvec_block(out, inp, w, bias, r, MV_ROWS, in_dim, out_dim, o);
        for (; r < rows; r++) matvec_block(out, inp, w, bias, r, 1, in_dim, out_dim, o);
    }
    for (; o < o_end; o++) {
        const float *w = weight + (size_t)o * in_dim;
        for (int r = 0; r < rows; r++) {
            const float *x = inp + (size_t)r * in_dim;
            vfloat s = v_zero();
            int i = 0;
            for (; i + VLEN <= in_dim; i += VLEN) s = v_fma(v_load(x + i), v_load(w + i), s);
            if (i < in_dim) s = v_fma(v_load_part(x + i, in_dim - i), v_load_part(w + i, in_dim - i), s);
            out[(size_t)r * out_dim + o] = v_reduce_add(s) + (bias ? bias[o] : 0.0f);
        }
    }
}

/* y[0:n] += g * x[0:n] */
static void axpy(float *y, float g, const float *x, int n)
{
    vfloat gv = v_set1(g);
    int i = 0;
    for (; i + VLEN <= n; i += VLEN) v_store(y + i, v_fma(gv, v_load(x + i), v_load(y + i)));
    if (i < n) v_store_part(y + i, v_fma(gv, v_load_part(x + i, n - i), v_load_part(y + i, n - i)), n - i);
}

enum { FEW_ROWS = 4 };   /* below this, no packing (kernels/parallel.c never slices smaller) */

static void simd_matmul_forward(float *out, const float *inp, const float *weight,
                                const float *bias, int rows, int in_dim, int out_dim,
                                int o_begin, int o_end)
{
    float *buf = rows < FEW_ROWS ? NULL : pack_buffer();
    if (rows < FEW_ROWS) {
        matvec_forward(out, inp, weight, bias, rows, in_dim, out_dim, o_begin, o_end);
    } else if (!buf) {
        kernels_scalar.matmul_forward(out, inp, weight, bias, rows, in_dim, out_dim, o_begin, o_end);
    } else {
        gemm(rows, o_end - o_begin, in_dim, inp, in_dim, 1, weight + (size_t)o_begin * in_dim, 1, in_dim,
             out + o_begin, out_dim, 1, bias ? bias + o_begin : NULL, NULL, buf);
    }
}

static void simd_matmul_backward_input(float *dinp, const float *dout, const float *weight,
                                       int rows, int in_dim, int out_dim)
{
    float *buf = rows < FEW_ROWS ? NULL : pack_buffer();
    if (rows < FEW_ROWS) {
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out_dim; o++)
                axpy(dinp + (size_t)r * in_dim, dout[(size_t)r * out_dim + o],
                     weight + (size_t)o * in_dim, in_dim);
    } else if (!buf) {
        kernels_scalar.matmul_backward_input(dinp, dout, weight, rows, in_dim, out_dim);
    } else {
        gemm(rows, in_dim, out_dim, dout, out_dim, 1, weight, in_dim, 1, dinp, in_dim, 0, NULL, NULL, buf);
    }
}

static void simd_matmul_backward_weight(float *dweight, float *dbias, const float *dout,
                                        const float *inp, int rows, int in_dim, int out_dim,
                                        int o_begin, int o_end)
{
    float *buf = rows < FEW_ROWS ? NULL : pack_buffer();
    if (buf) {   /* dbias comes out of the packing of doutᵀ */
        gemm(o_end - o_begin, in_dim, rows, dout + o_begin, 1, out_dim, inp, in_dim, 1,
             dweight + (size_t)o_begin * in_dim, in_dim, 0, NULL, dbias ? dbias + o_begin : NULL, buf);
        return;
    }
    if (rows >= FEW_ROWS) {
        kernels_scalar.matmul_backward_weight(dweight, dbias, dout, inp, rows, in_dim, out_dim,
                                              o_begin, o_end);
        return;
    }
    for (int o = o_begin; o < o_end; o++) {
        float bias_sum = 0.0f;
        for (int r = 0; r < rows; r++) {
            float g = dout[(size_t)r * out_dim + o];
            axpy(dweight + (size_t)o * in_dim, g, inp + (size_t)r * in_dim, in_dim);
            bias_sum += g;
        }
        if (dbias) dbias[o] += bias_sum;
    }
}

/* ---- weights packed once (kernels.h: pack_weight) ------------------------ */

/* Panel p holds output columns p*NR .. p*NR + NR - 1 as the micro-kernel
 * reads them: [in_dim][NR], element (k, j) = W[p*NR + j, k], zeros past
 * out_dim. The panels lie one after the other, so the k-block at k0 of
 * the panel starting at column c is packed + c*in_dim + k0*NR. */
static size_t simd_packed_floats(int out_dim, int in_dim)
{
    return (size_t)((out_dim + NR - 1) / NR) * NR * (size_t)in_dim;
}

static void simd_pack_weight(float *packed, const float *weight, int out_dim, int in_dim)
{
    for (int p0 = 0; p0 < out_dim; p0 += NR) {
        float *panel = packed + (size_t)p0 * in_dim;
        for (int k = 0; k < in_dim; k++)
            for (int j = 0; j < NR; j++)
                panel[(size_t)k * NR + j] = p0 + j < out_dim ? weight[(size_t)(p0 + j) * in_dim + k] : 0.0f;
    }
}

/* simd_matmul_forward with the packing done, in the order that keeps the
 * weight still: for each chunk of MC rows, each panel of NR columns and
 * each k-block, the [kc][NR] slice of the panel (32 KB at most) stays in
 * L1 while the MR-row strips of the chunk's A stream past it from L2 (MC
 * rows x KC floats, 128 KB). Chunking the rows keeps that stream in L2
 * beside the output; a whole batch of 512 rows at once would not fit.
 * No matvec shortcut for few rows: every row takes the same tile path,
 * so its result does not depend on how many rows share the call. */
enum { MC = 128 };

static void simd_matmul_forward_packed(float *out, const float *inp, const float *packed,
                                       const float *bias, int rows, int in_dim, int out_dim,
                                       int o_begin, int o_end)
{
    for (int c0 = 0; c0 < rows; c0 += MC) {
        int c1 = rows - c0 < MC ? rows : c0 + MC;
        for (int p0 = o_begin; p0 < o_end; p0 += NR) {
            int nr = o_end - p0 < NR ? o_end - p0 : NR;
            for (int k0 = 0; k0 < in_dim; k0 += KC) {
                int kc = in_dim - k0 < KC ? in_dim - k0 : KC;
                const float *bp = packed + (size_t)p0 * in_dim + (size_t)k0 * NR;
                for (int m0 = c0; m0 < c1; m0 += MR)
                    micro_tile(c1 - m0 < MR ? c1 - m0 : MR, inp + (size_t)m0 * in_dim + k0, in_dim, 1, bp, kc,
                               out + (size_t)m0 * out_dim + p0, out_dim, nr, k0 == 0, bias ? bias + p0 : NULL);
            }
        }
    }
}

/* ---- the yardstick (scalar.c: fma_loop) ---------------------------------- */

/* FMA_CHAINS independent vector FMAs per round, all in registers: at least
 * latency x ports of them, so that the FMA units never wait. */
static double simd_fma_loop(long rounds, float *sink)
{
    vfloat a[FMA_CHAINS], m = v_set1(0.999999f), c = v_set1(1e-7f);
    for (int j = 0; j < FMA_CHAINS; j++) a[j] = v_set1((float)j);
    for (long r = 0; r < rounds; r++) {
        #pragma GCC unroll 32
        for (int j = 0; j < FMA_CHAINS; j++) a[j] = v_fma(a[j], m, c);
    }
    vfloat sum = a[0];
    for (int j = 1; j < FMA_CHAINS; j++) sum = v_add(sum, a[j]);
    *sink = v_reduce_add(sum);
    return 2.0 * FMA_CHAINS * VLEN * (double)rounds;
}
