/*
 * bench_quant.c — `rustgpt bench quant`: how fast quant_matvec reads each
 * weight type, against the memory bandwidth that bounds it.
 *
 * Decoding one token multiplies every weight matrix by one vector: each
 * weight byte is read once and used for one multiply-add, so the speed
 * limit is memory bandwidth, not arithmetic. This measures
 *   - the bound: a threaded memcpy of a buffer far larger than the caches,
 *     as bytes read per second (the copy also writes as many bytes, so the
 *     read rate a product could reach alone is somewhat higher);
 *   - for each type and kernel path: quant_matvec on a rows x cols matrix
 *     (default 8192 x 12288, about 100M parameters, a 100M-parameter model's
 *     weights in one piece), as GB/s of weights read, GFLOP/s (2 per weight)
 *     and the percentage of the bound;
 *   - quant_matmul with 64 activation rows (prompt processing), GFLOP/s, on
 *     the default path.
 * The matrix is one quantized random row repeated (the speed does not
 * depend on the values; quantizing 100M values with the K-quants' search
 * would take longer than the measurement).
 */
#include "cli/cli.h"
#include "core/kernels/kernels.h"
#include "core/quant.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static const rg_type bench_types[] = { RG_TYPE_F32, RG_TYPE_F16, RG_TYPE_BF16, RG_TYPE_Q8_0,
                                       RG_TYPE_Q6_K, RG_TYPE_Q5_K, RG_TYPE_Q4_K, RG_TYPE_Q4_0 };
enum { N_BENCH_TYPES = sizeof bench_types / sizeof bench_types[0], MATMUL_ROWS = 64 };

/* Bytes read per second by a threaded memcpy of n bytes (best of a few). */
static double copy_bandwidth(size_t n, double seconds)
{
    unsigned char *src = malloc(n), *dst = malloc(n);
    if (!src || !dst) {
        free(src);
        free(dst);
        return 0;
    }
    memset(src, 1, n);
    memset(dst, 2, n);
    double best = 0, start = now_seconds();
    do {
        double t0 = now_seconds();
        int64_t chunks = 256;
        #pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < chunks; c++) {
            size_t begin = n / (size_t)chunks * (size_t)c, end = c == chunks - 1 ? n : n / (size_t)chunks * (size_t)(c + 1);
            memcpy(dst + begin, src + begin, end - begin);
        }
        double rate = (double)n / (now_seconds() - t0);
        if (rate > best) best = rate;
    } while (now_seconds() - start < seconds);
    free(src);
    free(dst);
    return best;
}

/* Seconds per call of quant_matmul(n) (n = 1: quant_matvec), best of runs
 * over at least `seconds`. */
static double time_product(rg_type type, const void *W, int64_t rows, int64_t cols, const float *X, int64_t n,
                           float *Y, double seconds)
{
    double best = 1e30, start = now_seconds();
    int runs = 0;
    do {
        double t0 = now_seconds();
        if (n == 1) quant_matvec(type, W, rows, cols, X, Y);
        else quant_matmul(type, W, rows, cols, X, n, Y);
        double t = now_seconds() - t0;
        if (t < best) best = t;
        runs++;
    } while (now_seconds() - start < seconds || runs < 2);
    return best;
}

int bench_quant(int argc, char **argv)
{
    int64_t rows = 8192, cols = 12288;
    double seconds = 0.5;
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        int n;
        float f;
        if (strcmp(opt, "--rows") == 0 || strcmp(opt, "--cols") == 0 || strcmp(opt, "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int(opt, v, 1, 1 << 20, &n) != 0) return EXIT_USAGE;
            if (strcmp(opt, "--rows") == 0) rows = n;
            else if (strcmp(opt, "--cols") == 0) cols = n;
            else threads = n;
        } else if (strcmp(opt, "--seconds") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_float(opt, v, 0.01, 60, &f) != 0) return EXIT_USAGE;
            seconds = f;
        } else {
            return usage_error("usage: rustgpt bench quant [--rows N (8192)] [--cols N (12288, a multiple of 256)] "
                               "[--seconds S (0.5)] [--threads N]");
        }
    }
    if (cols % 256 != 0) return usage_error("--cols must be a multiple of 256 (the K-quants' block)");
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
    threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    const Kernels *paths[4];
    int n_paths = kernels_available(paths, 4);
    const Kernels *chosen = kernels();

    double bound = copy_bandwidth((size_t)1 << 28, seconds);
    char buf[32];
    printf("rustgpt bench quant: %lld x %lld matrix (%s parameters), %d thread%s, default kernels %s\n",
           (long long)rows, (long long)cols, with_commas(buf, (unsigned long long)(rows * cols)), threads,
           threads == 1 ? "" : "s", chosen->name);
    printf("memory bound: memcpy of 256 MiB reads %.1f GB/s\n\n", bound / 1e9);
    printf("%-5s %8s %7s", "type", "bits/w", "MB");
    for (int k = 0; k < n_paths; k++) printf("  %10s GB/s GFLOP/s  bound", paths[k]->name);
    printf("  matmul x%d GFLOP/s\n", MATMUL_ROWS);

    Rng rng;
    rng_seed(&rng, 1);
    float *x = malloc((size_t)(cols * MATMUL_ROWS) * sizeof *x);
    float *y = malloc((size_t)(rows * MATMUL_ROWS) * sizeof *y);
    float *row = malloc((size_t)cols * sizeof *row);
    if (!x || !y || !row) {
        free(x); free(y); free(row);
        fail("out of memory for the benchmark vectors");
        return EXIT_RUNTIME;
    }
    for (int64_t i = 0; i < cols * MATMUL_ROWS; i++) x[i] = rng_normal(&rng);
    for (int64_t i = 0; i < cols; i++) row[i] = rng_normal(&rng) * 0.02f;
    double flops = 2.0 * (double)rows * (double)cols;
    for (int t = 0; t < N_BENCH_TYPES; t++) {
        rg_type type = bench_types[t];
        size_t rb = quant_row_bytes(type, cols), bytes = rb * (size_t)rows;
        unsigned char *W = malloc(bytes);
        if (!W) {
            printf("%-5s (out of memory for %zu bytes)\n", quant_type_name(type), bytes);
            continue;
        }
        quant_quantize_row(type, row, W, cols);
        #pragma omp parallel for schedule(static)
        for (int64_t r = 1; r < rows; r++) memcpy(W + rb * (size_t)r, W, rb);   /* also faults the pages in */
        printf("%-5s %8.2f %7.1f", quant_type_name(type), 8.0 * (double)rb / (double)cols, (double)bytes / 1e6);
        fflush(stdout);
        for (int k = 0; k < n_paths; k++) {
            kernels_select(paths[k]->name);
            double s = time_product(type, W, rows, cols, x, 1, y, seconds);
            printf("  %10.1f %4s %7.1f %5.0f%%", (double)bytes / s / 1e9, "", flops / s / 1e9,
                   100.0 * (double)bytes / s / bound);
            fflush(stdout);
        }
        kernels_select(chosen->name);
        double s = time_product(type, W, rows, cols, x, MATMUL_ROWS, y, seconds);
        printf("  %17.1f\n", flops * MATMUL_ROWS / s / 1e9);
        free(W);
    }
    free(x);
    free(y);
    free(row);
    return EXIT_OK;
}
