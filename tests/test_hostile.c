/*
 * test_hostile.c — what rustgpt does with inputs chosen to break it, at the
 * level of the functions (tests/cli/hostile.sh does the same through the
 * command line).
 *
 *   numbers  softmax and LayerNorm stay finite, and right, for logits and
 *            activations near the limits of float: huge, tiny, constant
 *            rows, and the infinities a near-zero temperature produces;
 *            on every kernel table this CPU runs
 *   data     the JSON and CSV loaders on the tricks a parser can miss:
 *            \u0000 inside a string, a key given twice, oversize text
 *            hidden behind escapes, a field over the limit in a column
 *            nobody reads, an array that never closes
 *   files    read_whole_file on a FIFO (must not hang), a directory, a
 *            /proc file; the atomic writer on a directory in the way, and
 *            keeping the permission bits of the file it replaces
 *   memory   an impossible allocation is a message, not a crash
 *
 * Regression inputs found by the fuzzers live in tests/fuzz/corpus/ and are
 * replayed by tests/cli/hostile.sh through the fuzz targets' loaders.
 */
#include "train/data.h"
#include "core/kernels/kernels.h"
#include "archs/layers/layers.h"
#include "test.h"
#include "tokenizers/word.h"
#include "core/util.h"

#include <fcntl.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char temp_dir[64];

/* Under AddressSanitizer an impossible malloc() aborts by default; these
 * tests want to see it return NULL, as the C library does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

/* ---- helpers ----------------------------------------------------------- */

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Is p a probability distribution: finite entries in [0, 1] summing to 1? */
static int is_distribution(const float *p, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(p[i]) || p[i] < 0.0f || p[i] > 1.0f) return 0;
        sum += p[i];
    }
    return fabs(sum - 1.0) < 1e-5;
}

/* Run body once with each kernel table this CPU has forced active. */
static const Kernels *tables[4];
static int n_tables;
#define FOR_EACH_TABLE(t) \
    for (int t = 0; t < n_tables && kernels_select(tables[t]->name) == 0; t++)

static int rejects(const char *name, const char *bytes, size_t len, const char *want)
{
    Dataset ds = { 0 };
    int rc = data_load_buffer(&ds, name, bytes, len);
    int ok = rc == -1 && strstr(last_error(), want) && ds.count == 0 && !strchr(last_error(), '\n');
    if (!ok) printf("    %s: rc %d, message \"%s\" (wanted \"%s\")\n", name, rc, last_error(), want);
    dataset_free(&ds);
    return ok;
}

/* ---- softmax ----------------------------------------------------------- */

static void softmax_of_huge_tiny_and_constant_logits_is_a_distribution(void)
{
    enum { V = 5003 };
    static float row[V];
    FOR_EACH_TABLE(t) {
        /* huge, of both signs */
        float a[] = { 1e30f, -1e30f, 0.0f, 5.0f };
        float lse = kernels()->softmax(a, 4);
        CHECK(is_distribution(a, 4) && a[0] == 1.0f && isfinite(lse));
        /* the ends of the float range: max - (-max) overflows to -inf */
        float b[] = { FLT_MAX, -FLT_MAX, FLT_MAX };
        lse = kernels()->softmax(b, 3);
        CHECK(is_distribution(b, 3) && b[0] == 0.5f && b[1] == 0.0f && isfinite(lse));
        /* tiny and denormal */
        float c[] = { 1e-45f, -1e-45f, 0.0f, 1e-38f };
        kernels()->softmax(c, 4);
        CHECK(is_distribution(c, 4));
        CHECK_NEAR(c[0], 0.25, 1e-6);
        /* constant rows, huge or not, of awkward lengths: uniform */
        for (int n = 1; n <= 33; n += 8) {
            for (int i = 0; i < n; i++) row[i] = n % 2 ? 1e30f : -3e38f;
            lse = kernels()->softmax(row, n);
            CHECK(is_distribution(row, n) && isfinite(lse));
            CHECK_NEAR(row[n - 1], 1.0 / n, 1e-6);
        }
        /* a long row where exp() of the raw logits would overflow */
        for (int i = 0; i < V; i++) row[i] = 88.8f + (float)(i % 7);
        lse = kernels()->softmax(row, V);
        CHECK(is_distribution(row, V) && isfinite(lse));
        /* one logit far above the rest */
        for (int i = 0; i < V; i++) row[i] = -80.0f;
        row[V / 2] = 1e20f;
        kernels()->softmax(row, V);
        CHECK(is_distribution(row, V) && row[V / 2] == 1.0f);
    }
}

/* A temperature near 0 divides logits into overflow: softmax_row (what the
 * sampler calls) takes the limit instead of producing NaN. */
static void softmax_row_takes_the_limit_for_infinite_logits(void)
{
    FOR_EACH_TABLE(t) {
        float a[] = { INFINITY, 1.0f, INFINITY, -INFINITY };
        softmax_row(a, 4);
        CHECK(is_distribution(a, 4) && a[0] == 0.5f && a[1] == 0.0f && a[2] == 0.5f);
        float b[] = { -INFINITY, -INFINITY, -INFINITY };
        softmax_row(b, 3);
        CHECK(is_distribution(b, 3));
        CHECK_NEAR(b[1], 1.0 / 3, 1e-6);
        float c[] = { NAN, 1.0f, 1.0f };
        softmax_row(c, 3);
        CHECK(is_distribution(c, 3) && c[0] == 0.0f && c[1] == 0.5f);
        float d[] = { 30.0f / 1e-38f, -30.0f / 1e-38f, 2.0f / 1e-38f };   /* --temperature 1e-38 */
        softmax_row(d, 3);
        CHECK(is_distribution(d, 3) && d[0] == 1.0f);
    }
}

static void cross_entropy_of_extreme_logits_is_finite(void)
{
    FOR_EACH_TABLE(t) {
        float logits[] = { 1e30f, -1e30f, 0.0f, 7.0f,      /* target 1: the least likely */
                           3.0f, 3.0f, 3.0f, 3.0f };       /* constant row */
        float probs[8];
        int targets[] = { 1, 3 }, n_targets;
        float loss = crossentropy_forward(probs, logits, targets, 2, 4, &n_targets);
        CHECK(n_targets == 2 && isfinite(loss) && loss > 0.0f);
        CHECK(is_distribution(probs, 4) && is_distribution(probs + 4, 4));
        CHECK_NEAR(probs[5], 0.25, 1e-6);
        crossentropy_backward(probs, probs, targets, 2, 4, 0.5f);
        CHECK(all_finite(probs, 8));
    }
}

/* ---- LayerNorm --------------------------------------------------------- */

/* LayerNorm over `rows` rows of width d, each given by fill(r, i). Checks
 * every output, mean and rstd is finite, and that each output row has mean
 * 0 and variance var / (var + eps) (computed in double from the input):
 * 1 for a row of any real spread, 0 for a constant or a denormal one. */
enum { FORWARD = 1, VARIANCE = 2, BACKWARD = 4, ALL = 7 };
static void check_layernorm(int rows, int d, float (*fill)(int r, int i), const char *what, int checks)
{
    size_t n = (size_t)rows * d;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *dy = malloc(n * sizeof *dy);
    float *dx = calloc(n, sizeof *dx), *w = malloc(d * sizeof *w), *b = calloc(d, sizeof *b);
    float *dw = calloc(d, sizeof *dw), *db = calloc(d, sizeof *db);
    float *mean = malloc(rows * sizeof *mean), *rstd = malloc(rows * sizeof *rstd);
    for (int r = 0; r < rows; r++)
        for (int i = 0; i < d; i++) x[(size_t)r * d + i] = fill(r, i), dy[(size_t)r * d + i] = 0.01f * (i % 5);
    for (int i = 0; i < d; i++) w[i] = 1.0f;
    layernorm_forward(y, mean, rstd, x, w, b, rows, d);
    int ok = all_finite(y, n) && all_finite(mean, rows) && all_finite(rstd, rows);
    if (!ok) printf("    %s: forward is not finite\n", what);
    for (int r = 0; ok && r < rows; r++) {
        const float *yr = y + (size_t)r * d, *xr = x + (size_t)r * d;
        double xm = 0, xv = 0, m = 0, v = 0;
        for (int i = 0; i < d; i++) xm += xr[i], m += yr[i];
        xm /= d, m /= d;
        for (int i = 0; i < d; i++) xv += (xr[i] - xm) * (xr[i] - xm), v += (yr[i] - m) * (yr[i] - m);
        xv /= d, v /= d;
        double want = xv / (xv + LAYERNORM_EPS);
        ok = !(checks & VARIANCE) || (fabs(m) < 1e-3 && fabs(v - want) < 1e-2);
        if (!ok) printf("    %s: row %d: mean %g, variance %g, expected %g\n", what, r, m, v, want);
    }
    layernorm_backward(dx, dw, db, dy, x, w, mean, rstd, rows, d);
    if ((checks & BACKWARD) && (!all_finite(dx, n) || !all_finite(dw, d) || !all_finite(db, d))) {
        printf("    %s: backward is not finite\n", what);
        ok = 0;
    }
    if (!ok) test_failed_checks++;
    free(x), free(y), free(dy), free(dx), free(w), free(b), free(dw), free(db), free(mean), free(rstd);
}

static float constant_zero(int r, int i) { return 0.0f; }
static float constant_huge(int r, int i) { return r % 2 ? 1e30f : -3e38f; }
static float alternating_huge(int r, int i) { return (i % 2 ? 1.0f : -1.0f) * (r % 2 ? 1e30f : 1e20f); }
static float near_float_max(int r, int i) { return (i % 3 ? 3e38f : -3e38f) * (r % 2 ? 1.0f : 0.5f); }
static float tiny(int r, int i) { return (float)(i % 4) * (r % 2 ? 1e-30f : 1e-44f); }
static float large_mean_small_spread(int r, int i) { return 1e6f + (float)(i % 3) * 0.25f; }

/* Forward: finite and correctly normalised everywhere (layers/layernorm.c
 * redoes in double the rows whose float sums overflow). Backward: finite
 * wherever the row's spread fits in a float. */
static void layernorm_stays_finite_for_extreme_rows(void)
{
    FOR_EACH_TABLE(t) {
        check_layernorm(3, 16, constant_huge, "constant huge, full vectors", ALL);
        check_layernorm(3, 1, constant_huge, "constant huge, d = 1", ALL);
        check_layernorm(5, 33, constant_huge, "constant huge, d = 33", ALL);
        check_layernorm(5, 128, constant_zero, "constant 0", ALL);
        check_layernorm(4, 128, alternating_huge, "alternating +-1e30", ALL);
        check_layernorm(4, 17, near_float_max, "near FLT_MAX", FORWARD | VARIANCE);
        check_layernorm(4, 64, tiny, "tiny", ALL);
        /* enough rows to take the threaded path of layers/layernorm.c */
        check_layernorm(300, 128, alternating_huge, "300 rows", ALL);
    }
}

/* A row near 1e37 whose width is not a whole number of vectors: the SIMD
 * kernels once padded the tail with x = 0, where (0 - mean) * rstd
 * overflowed and 0 * inf made NaN. Tails now run as scalar loops. */
static float constant_1e37(int r, int i) { return r % 2 ? 1e37f : -2e37f; }
static void layernorm_backward_of_a_constant_row_near_1e37_with_a_partial_vector(void)
{
    FOR_EACH_TABLE(t) {
        check_layernorm(3, 33, constant_1e37, "constant 1e37, d = 33", ALL);
        check_layernorm(3, 13, constant_1e37, "constant 1e37, d = 13", ALL);
        check_layernorm(3, 7, constant_1e37, "constant 1e37, d = 7", ALL);
    }
}

/* A row 1e6 + 0.25·(i mod 3): its mean 1e6 + 0.248 is not a float (their
 * spacing there is 0.0625), so a single float mean leaves every centred
 * value off by 0.002 and the output mean at -0.0096. The kernels keep the
 * mean as two floats (scalar.c: mean_correction). */
static void layernorm_of_a_row_with_mean_1e6_and_spread_0_5(void)
{
    FOR_EACH_TABLE(t) {
        check_layernorm(4, 128, large_mean_small_spread, "mean 1e6, spread 0.5, d = 128", ALL);
        check_layernorm(4, 37, large_mean_small_spread, "mean 1e6, spread 0.5, d = 37", ALL);
    }
}

/* ---- data -------------------------------------------------------------- */

static void json_strings_are_checked_before_cjson_copies_them(void)
{
    static const char nul[] = "[\"fine\", \"a\\u0000b\"]";
    CHECK(rejects("n.json", nul, sizeof nul - 1, "n.json: entry 2: a string holds \\u0000"));
    static const char dup[] = "[{\"text\": \"a\", \"text\": \"b\"}]";
    CHECK(rejects("d.json", dup, sizeof dup - 1, "d.json: entry 1: \"text\" appears twice"));
    /* 600,000 escapes of é: 3.6 MB of JSON decoding to 1,200,000 bytes */
    size_t n = 600000, len = 0;
    char *big = malloc(6 * n + 16);
    big[len++] = '[', big[len++] = '"';
    for (size_t i = 0; i < n; i++) memcpy(big + len, "\\u00e9", 6), len += 6;
    big[len++] = '"', big[len++] = ']';
    CHECK(rejects("e.json", big, len, "e.json: entry 1: text is 1,200,000 bytes; the limit is 1,048,576"));
    /* exactly the limit loads */
    len = 0;
    big[len++] = '[', big[len++] = '"';
    memset(big + len, 'a', DATA_MAX_TEXT_BYTES), len += DATA_MAX_TEXT_BYTES;
    big[len++] = '"', big[len++] = ']';
    Dataset ds = { 0 };
    CHECK(data_load_buffer(&ds, "limit.json", big, len) == 0 && ds.count == 1);
    dataset_free(&ds);
    free(big);
}

static void json_arrays_that_never_close_say_so(void)
{
    CHECK(rejects("o.json", "[\"a\",\n\"b\"\n", 10, "o.json:3: the array is never closed"));
    CHECK(rejects("o.json", "[", 1, "o.json:1: the array is never closed"));
    CHECK(rejects("o.json", "[\"a\",]", 6, "o.json:1: trailing comma at column 5"));
    CHECK(rejects("t.json", "[\"a\",\n  \"b\",\n]", 14, "t.json:2: trailing comma at column 6"));
    CHECK(rejects("t.json", "[{\"text\": \"a\",}]", 16, "t.json:1: trailing comma at column 14"));
    CHECK(rejects("o.json", "[\"a\"] [", 7, "o.json:1: unexpected text after"));
    /* nesting deeper than cJSON allows is a syntax error, not a stack overflow */
    size_t depth = 100000;
    char *deep = malloc(depth);
    memset(deep, '[', depth);
    CHECK(rejects("deep.json", deep, depth, "deep.json:1: invalid JSON"));
    free(deep);
}

static void csv_fields_over_the_limit_are_refused_while_being_read(void)
{
    /* The long field is in a column nobody reads, on a record that starts on
     * line 3 and spans lines; it is still refused, at the line it began. */
    size_t n = 3 * DATA_MAX_TEXT_BYTES, len = 0;
    char *csv = malloc(n + 64);
    len += (size_t)sprintf(csv, "notes,text\nx,ok\n\"");
    memset(csv + len, 'z', n), len += n;
    csv[len / 2] = '\n';
    len += (size_t)sprintf(csv + len, "\",fine\n");
    CHECK(rejects("f.csv", csv, len, "f.csv:3: field is more than"));
    CHECK(rejects("f.csv", csv, len, "the limit is 1,048,576"));
    free(csv);
}

static void data_edge_shapes_are_rejected_with_a_place(void)
{
    CHECK(rejects("b.json", "\xEF\xBB\xBF", 3, "b.json: file is empty"));
    CHECK(rejects("b.json", "[]", 2, "b.json:1: the array is empty"));
    CHECK(rejects("b.json", "[\"\\ud800\"]", 10, "b.json:1: invalid JSON"));   /* lone surrogate */
    CHECK(rejects("b.json", "[{}]", 4, "b.json: entry 1: object has neither"));
    CHECK(rejects("b.csv", "text\r\n\"a\r\n", 10, "b.csv:2: quoted field is never closed"));
    CHECK(rejects("b.csv", "\"text\n", 6, "b.csv:1: quoted field is never closed"));
    CHECK(rejects("b.csv", "text,text\n", 10, "b.csv:1: header names `text` twice"));
}

/* ---- files ------------------------------------------------------------- */

static void read_whole_file_refuses_what_is_not_a_regular_file(void)
{
    char path[128];
    size_t len;
    snprintf(path, sizeof path, "%s/pipe.json", temp_dir);
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(read_whole_file(path, &len) == NULL && strstr(last_error(), "is a pipe (FIFO)"));
    unlink(path);
    CHECK(read_whole_file(temp_dir, &len) == NULL && strstr(last_error(), "is a directory"));
    /* /proc files report size 0 but have content */
    char *text = read_whole_file("/proc/self/status", &len);
    CHECK(text && len > 0 && strstr(text, "Name:"));
    free(text);
    /* /proc/self/mem cannot be read at offset 0: a read error, named */
    CHECK(read_whole_file("/proc/self/mem", &len) == NULL && strstr(last_error(), "/proc/self/mem: read error"));
}

static void the_atomic_writer_refuses_a_directory_and_keeps_permissions(void)
{
    AtomicFile w;
    char path[128];
    CHECK(atomic_open(&w, temp_dir) == -1 && strstr(last_error(), "is a directory"));
    snprintf(path, sizeof path, "%s/model.bin", temp_dir);
    FILE *fp = fopen(path, "wb");
    if (fp) fclose(fp);
    chmod(path, 0600);
    CHECK(atomic_open(&w, path) == 0);
    fputs("new", w.fp);
    CHECK(atomic_commit(&w) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 3);
    unlink(path);
}

static void impossible_allocations_are_messages(void)
{
    CHECK(xmalloc(SIZE_MAX / 2, 4) == NULL && strstr(last_error(), "out of memory"));
    CHECK(xmalloc((size_t)1 << 62, 1) == NULL && strstr(last_error(), "GiB"));
    CHECK(xcalloc((size_t)1 << 62, 4) == NULL && strstr(last_error(), "out of memory"));
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/rustgpt-test-hostile.XXXXXX");
    if (!mkdtemp(temp_dir)) {
        printf("FAIL cannot create a temporary directory\n");
        return 1;
    }
    n_tables = kernels_available(tables, 4);
    RUN(softmax_of_huge_tiny_and_constant_logits_is_a_distribution);
    RUN(softmax_row_takes_the_limit_for_infinite_logits);
    RUN(cross_entropy_of_extreme_logits_is_finite);
    RUN(layernorm_stays_finite_for_extreme_rows);
    RUN(layernorm_backward_of_a_constant_row_near_1e37_with_a_partial_vector);
    RUN(layernorm_of_a_row_with_mean_1e6_and_spread_0_5);
    RUN(json_strings_are_checked_before_cjson_copies_them);
    RUN(json_arrays_that_never_close_say_so);
    RUN(csv_fields_over_the_limit_are_refused_while_being_read);
    RUN(data_edge_shapes_are_rejected_with_a_place);
    RUN(read_whole_file_refuses_what_is_not_a_regular_file);
    RUN(the_atomic_writer_refuses_a_directory_and_keeps_permissions);
    RUN(impossible_allocations_are_messages);
    rmdir(temp_dir);
    TESTS_DONE();
}
