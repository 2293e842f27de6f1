/*
 * kernels/parallel.c — how the matrix products and the optimiser loops are
 * split across OpenMP threads (tensor.h and train.c call these).
 *
 * Rule one: each thread writes its own slice of the output, so there are no
 * locks and no atomics, and every output element is computed by exactly the
 * same operations whichever thread computes it: the result is the same bits
 * for 1, 2 or 16 threads. The only reduction, the gradient norm, is summed
 * in fixed-size chunks that are combined in order, for the same reason.
 *
 * Rule two: threads must never slow a problem down. Waking a team costs
 * about a microsecond, so a product smaller than PARALLEL_MIN_MACS
 * multiply-adds stays on the calling thread. And on a machine busy with
 * other programs, a thread can wait milliseconds for a core, during which
 * its partner spins at the barrier: when a thread of a product starts more
 * than LATE_START after the region began, LATE_STREAK products in a row,
 * every parallel loop runs on one thread for the next SOLO_SECONDS, then
 * tries the team again. One late start alone means nothing: a worker that
 * slept between two far-apart products (OpenMP parks idle threads after a
 * while) takes that long to wake on a virtual machine, and then keeps up.
 * Since the results do not depend on the thread count, this changes only
 * the speed.
 *
 * The slices:
 *   matvec_forward   out [rows, out_dim]: by output columns.
 *   forward          out [rows, out_dim]: by output columns when the rows
 *                    are few (generation: each core then keeps its half of
 *                    the weights in its own L2 cache from token to token) or
 *                    the columns many (the vocabulary head), else by rows.
 *   backward_input   dinp [rows, in_dim]: by rows.
 *   backward_weight  dweight [out_dim, in_dim]: by output rows o, so the sum
 *                    over the batch stays in one thread, in order.
 */
#include "core/kernels/kernels.h"
#include "core/util.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define LATE_START 5e-4          /* seconds: a team member this late means a busy machine */
#define SOLO_SECONDS 0.2          /* how long one thread then does all the work            */
#define LATE_STREAK 3             /* late starts in a row that mean a busy machine         */

enum {
    PARALLEL_MIN_MACS = 1 << 15,  /* below this a product runs on one thread        */
    COLUMN_ALIGN = 64,            /* column slices start at multiples of this (>= NR) */
    ROW_ALIGN = 16,               /* row slices start at multiples of this (>= MR)    */
    MAX_PARTS = 256,
};

#ifdef _OPENMP
static double solo_until;         /* omp_get_wtime() before which loops use one thread */
static int started_late;          /* set by a team member that found its core busy      */
static int late_streak;           /* products in a row that had a late starter          */
#endif
static long busy_fallbacks;

int kernel_threads(void)
{
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;
    int n = omp_get_max_threads();
    if (n > 1 && solo_until > 0.0 && omp_get_wtime() < solo_until) return 1;
    return n;
#else
    return 1;
#endif
}

long kernel_busy_fallbacks(void) { return busy_fallbacks; }

int kernel_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

#ifdef _OPENMP
static double region_clock(void) { return omp_get_wtime(); }

/* Called by each member of a product's team as it starts. */
static void note_start(double region_start)
{
    if (omp_get_thread_num() != 0 && omp_get_wtime() - region_start > LATE_START) {
        #pragma omp atomic write
        started_late = 1;
    }
}

/* Called after the region: fall back to one thread for a while if needed. */
static void check_late_start(void)
{
    if (!started_late) {
        late_streak = 0;
        return;
    }
    started_late = 0;
    if (++late_streak >= LATE_STREAK) {
        late_streak = 0;
        solo_until = omp_get_wtime() + SOLO_SECONDS;
        busy_fallbacks++;
    }
}
#else
static double region_clock(void) { return 0.0; }
static void note_start(double region_start) { (void)region_start; }
static void check_late_start(void) {}
#endif

/* How many threads a product of `macs` multiply-adds deserves. */
static int threads_for(double macs)
{
    int n = kernel_threads();
    if (n > MAX_PARTS) n = MAX_PARTS;
    return macs < PARALLEL_MIN_MACS ? 1 : n;
}

/* Part `part` of `parts` of [0, n), boundaries at multiples of align, and no
 * part shorter than align (there are fewer parts, some threads idle, if n
 * is small): a slice of a batch never looks like a one-row product. */
static void slice(int n, int parts, int part, int align, int *begin, int *end)
{
    if (parts > n / align) parts = n / align > 0 ? n / align : 1;
    if (part >= parts) {
        *begin = *end = n;
        return;
    }
    int units = (n + align - 1) / align;
    int b = (int)((long)units * part / parts) * align, e = (int)((long)units * (part + 1) / parts) * align;
    *begin = b < n ? b : n;
    *end = e < n ? e : n;
}

/* This thread's share [*begin, *end) of n rows, inside a parallel region. */
static void my_slice(int n, int align, int *begin, int *end)
{
#ifdef _OPENMP
    slice(n, omp_get_num_threads(), omp_get_thread_num(), align, begin, end);
#else
    slice(n, 1, 0, align, begin, end);
#endif
}

/* ---- the products ------------------------------------------------------ */

typedef void ForwardSlice(float *out, const float *inp, const float *weight, const float *bias,
                          int rows, int in_dim, int out_dim, int o_begin, int o_end);

/* The forward product over threads, plain or packed (the same slices:
 * `weight` is what `product` reads), by output columns or, when
 * rows_may_split, by rows. column_align: where column slices may start. */
static void forward_in_slices(ForwardSlice *product, int rows_may_split, int column_align, float *out,
                              const float *inp, const float *weight, const float *bias, int rows, int in_dim,
                              int out_dim)
{
    int n = threads_for((double)rows * in_dim * out_dim);
    if (n == 1) {
        product(out, inp, weight, bias, rows, in_dim, out_dim, 0, out_dim);
        return;
    }
    /* Columns when there are few rows or columns to spare, rows otherwise. */
    int by_columns = !rows_may_split || rows < 4 * ROW_ALIGN || out_dim >= 8 * COLUMN_ALIGN * n;
    int align = by_columns ? column_align : ROW_ALIGN;
    double start = region_clock();
    #pragma omp parallel num_threads(n)
    {
        note_start(start);
        int begin, end;
        my_slice(by_columns ? out_dim : rows, align, &begin, &end);
        if (begin < end && by_columns)
            product(out, inp, weight, bias, rows, in_dim, out_dim, begin, end);
        else if (begin < end)
            product(out + (size_t)begin * out_dim, inp + (size_t)begin * in_dim,
                    weight, bias, end - begin, in_dim, out_dim, 0, out_dim);
    }
    check_late_start();
}

void parallel_matmul_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int rows, int in_dim, int out_dim)
{
    forward_in_slices(kernels()->matmul_forward, 1, rows < ROW_ALIGN ? 16 : COLUMN_ALIGN, out, inp, weight,
                      bias, rows, in_dim, out_dim);
}

/* Always by output columns: the rows are few, and a column slice leaves
 * every row's chain of operations as it is alone. */
void parallel_matvec_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int rows, int in_dim, int out_dim)
{
    forward_in_slices(kernels()->matvec_forward, 0, rows < ROW_ALIGN ? 16 : COLUMN_ALIGN, out, inp, weight,
                      bias, rows, in_dim, out_dim);
}

/* Packed panels are NR columns wide (at most 64): slices start at multiples
 * of COLUMN_ALIGN so that each begins on a panel. */
void parallel_matmul_forward_packed(float *out, const float *inp, const PackedWeight *w,
                                    const float *bias, int rows)
{
    const Kernels *k = kernels();
    if (w->packed && w->table == k)
        forward_in_slices(k->matmul_forward_packed, 1, COLUMN_ALIGN, out, inp, w->packed, bias, rows,
                          w->in_dim, w->out_dim);
    else
        parallel_matmul_forward(out, inp, w->weight, bias, rows, w->in_dim, w->out_dim);
}

int packed_weight_init(PackedWeight *p, const float *weight, int out_dim, int in_dim)
{
    const Kernels *k = kernels();
    *p = (PackedWeight){ .table = k, .weight = weight, .out_dim = out_dim, .in_dim = in_dim };
    if (!k->pack_weight) return 0;
    size_t bytes = k->packed_floats(out_dim, in_dim) * sizeof(float);
    p->packed = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p->packed) return fail("out of memory packing a [%d, %d] weight", out_dim, in_dim);
    k->pack_weight(p->packed, weight, out_dim, in_dim);
    return 0;
}

void packed_weight_free(PackedWeight *p)
{
    free(p->packed);
    p->packed = NULL;
}

void parallel_matmul_backward_input(float *dinp, const float *dout, const float *weight,
                                    int rows, int in_dim, int out_dim)
{
    const Kernels *k = kernels();
    int n = rows < 2 * ROW_ALIGN ? 1 : threads_for((double)rows * in_dim * out_dim);
    if (n == 1) {
        k->matmul_backward_input(dinp, dout, weight, rows, in_dim, out_dim);
        return;
    }
    double start = region_clock();
    #pragma omp parallel num_threads(n)
    {
        note_start(start);
        int begin, end;
        my_slice(rows, ROW_ALIGN, &begin, &end);
        if (begin < end)
            k->matmul_backward_input(dinp + (size_t)begin * in_dim, dout + (size_t)begin * out_dim,
                                     weight, end - begin, in_dim, out_dim);
    }
    check_late_start();
}

void parallel_matmul_backward_weight(float *dweight, float *dbias, const float *dout,
                                     const float *inp, int rows, int in_dim, int out_dim)
{
    const Kernels *k = kernels();
    int n = out_dim < 2 * ROW_ALIGN ? 1 : threads_for((double)rows * in_dim * out_dim);
    if (n == 1) {
        k->matmul_backward_weight(dweight, dbias, dout, inp, rows, in_dim, out_dim, 0, out_dim);
        return;
    }
    double start = region_clock();
    #pragma omp parallel num_threads(n)
    {
        note_start(start);
        int begin, end;
        my_slice(out_dim, ROW_ALIGN, &begin, &end);
        if (begin < end)
            k->matmul_backward_weight(dweight, dbias, dout, inp, rows, in_dim, out_dim, begin, end);
    }
    check_late_start();
}

/* ---- the optimiser --------------------------------------------------------- */

enum { ADAM_CHUNK = 1 << 14, NORM_CHUNK = 1 << 14 };

void parallel_adam_update(float *param, const float *grad, float *m, float *v,
                          size_t n, AdamStep s)
{
    const Kernels *k = kernels();
    long chunks = (long)((n + ADAM_CHUNK - 1) / ADAM_CHUNK);
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (chunks > 1)
    for (long c = 0; c < chunks; c++) {
        size_t at = (size_t)c * ADAM_CHUNK, len = n - at < ADAM_CHUNK ? n - at : ADAM_CHUNK;
        k->adam_update(param + at, grad + at, m + at, v + at, len, s);
    }
}

double parallel_sum_squares(const float *x, size_t n)
{
    const Kernels *k = kernels();
    /* Chunks of a fixed size (grown for huge n so that there are at most
     * MAX_PARTS of them), each summed by one thread, then added in order. */
    size_t chunk = NORM_CHUNK;
    while ((n + chunk - 1) / chunk > MAX_PARTS) chunk *= 2;
    long chunks = (long)((n + chunk - 1) / chunk);
    double partial[MAX_PARTS];
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (chunks > 1)
    for (long c = 0; c < chunks; c++) {
        size_t at = (size_t)c * chunk, len = n - at < chunk ? n - at : chunk;
        partial[c] = k->sum_squares(x + at, len);
    }
    double sum = 0.0;
    for (long c = 0; c < chunks; c++) sum += partial[c];
    return sum;
}

void kernels_release_scratch(void)
{
    const Kernels *k = kernels();
    if (!k->release_scratch) return;
    /* The pool's threads are reused from region to region, so one region
     * as wide as the pool reaches every thread that ever allocated. */
#ifdef _OPENMP
    #pragma omp parallel num_threads(omp_get_max_threads())
#endif
    k->release_scratch();
}
