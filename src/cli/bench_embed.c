/*
 * bench_embed.c — `rustgpt bench embed`: embedding throughput, latency and
 * search speed (make bench-embed runs it beside llama.cpp on the same model
 * and texts: tests/embed/bench_embed.sh).
 *
 *   rustgpt bench embed --model M [--texts FILE] [--threads N] [--search-rows 1000000]
 *                       [--search-dim 384] [--rounds 3]
 *
 * Embeddings per second at batch 1, 16 and 64 over the texts (one per
 * line; default: 256 generated sentences of ~16 tokens), the latency of
 * one text (median over the batch-1 run), and the time of one exact top-5
 * search over search-rows random unit vectors (median of `rounds` queries).
 * Times exclude loading; the best of `rounds` runs is reported for
 * throughput, by the wall clock and per CPU-second of the process (on a
 * shared machine the second says what the code does with the cores it
 * got). Results go to stdout, one "key value" per line, so that the
 * bench script can put them in a table.
 */
#include "cli/cli.h"
#include "cli/embed_cli.h"
#include "core/kernels/kernels.h"
#include "core/util.h"
#include "infer/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Embeddings per second of texts[n] at batch size `batch` (best of rounds),
 * and per CPU-second of the process (*per_cpu, best of rounds: on a shared
 * machine, what the work got of the cores); per-text latencies go to lat[n]
 * when batch is 1. */
static double throughput(Embedder *e, const char *const *texts, int32_t n, int batch, int rounds, float *out,
                         double *lat, double *per_cpu)
{
    rg_embed_options opt = rg_embed_default();
    opt.batch_size = batch;
    double best = 0, best_cpu = 0;
    for (int r = 0; r < rounds; r++) {
        double start = now_seconds(), cpu_start = cpu_seconds();
        for (int32_t from = 0; from < n; from += batch) {
            int32_t count = n - from < batch ? n - from : batch;
            double t0 = now_seconds();
            if (rg_embed(e->ctx, texts + from, count, &opt, out) != RG_OK) return -1;
            if (lat && r == rounds - 1) lat[from] = now_seconds() - t0;
        }
        double rate = n / (now_seconds() - start), rate_cpu = n / (cpu_seconds() - cpu_start);
        if (rate > best) best = rate;
        if (rate_cpu > best_cpu) best_cpu = rate_cpu;
    }
    if (per_cpu) *per_cpu = best_cpu;
    return best;
}

int cmd_bench_embed(int argc, char **argv)
{
    const char *model_path = NULL, *texts_path = NULL, *v;
    int threads = 0, rounds = 3, search_rows = 1000000, search_dim = 384;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) {
            if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--texts") == 0) {
            if (!(texts_path = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 1024, &threads)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--rounds") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--rounds", v, 1, 100, &rounds)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--search-rows") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--search-rows", v, 0, 100000000, &search_rows))
                return EXIT_USAGE;
        } else if (strcmp(argv[i], "--search-dim") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--search-dim", v, 1, 65536, &search_dim))
                return EXIT_USAGE;
        } else {
            return usage_error("bench embed: unknown argument '%s'", argv[i]);
        }
    }
    if (!model_path) return usage_error("usage: rustgpt bench embed --model M [--texts FILE]");
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
    threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    TextList list = { 0 };
    static const char *const words[] = { "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "water",
                                         "ice", "sun", "rises", "east", "west", "frozen", "rain", "snow", "book",
                                         "music", "river", "mountain", "house", "computer", "language" };
    enum { GENERATED = 256, WORDS_PER_TEXT = 14 };
    char generated[GENERATED][256];
    const char *gen_texts[GENERATED];
    const char *const *texts = gen_texts;
    int32_t n = GENERATED;
    if (texts_path) {
        if (read_texts(texts_path, &list) != 0) return EXIT_RUNTIME;
        texts = (const char *const *)list.texts;
        n = list.n;
    } else {
        Rng rng;
        rng_seed(&rng, 1);
        for (int i = 0; i < GENERATED; i++) {           /* 14 words + [CLS] + [SEP] = 16 tokens */
            generated[i][0] = 0;
            for (int w = 0; w < WORDS_PER_TEXT; w++) {
                strcat(generated[i], w ? " " : "");
                strcat(generated[i], words[rng_u32(&rng) % (sizeof words / sizeof words[0])]);
            }
            gen_texts[i] = generated[i];
        }
    }
    Embedder e;
    if (n == 0 || embedder_open(&e, model_path, threads) != 0) {
        text_list_free(&list);
        return n == 0 ? usage_error("bench embed: no texts") : EXIT_RUNTIME;
    }
    int32_t d = e.info.n_embd;
    float *out = xmalloc((size_t)64 * d, sizeof *out);
    double *lat = xcalloc((size_t)n, sizeof *lat);
    int status = EXIT_RUNTIME;
    if (!out || !lat) goto done;
    throughput(&e, texts, n < 16 ? n : 16, 16, 1, out, NULL, NULL);     /* warm up */
    printf("model %s  layers %d  width %d  heads %d  threads %d  texts %d\n", e.info.name, e.info.n_layers, d,
           e.info.n_heads, threads, n);
    double cpu1, cpu16, cpu64;
    double rate1 = throughput(&e, texts, n, 1, rounds, out, lat, &cpu1);
    double rate16 = throughput(&e, texts, n, 16, rounds, out, NULL, &cpu16);
    double rate64 = throughput(&e, texts, n, 64, rounds, out, NULL, &cpu64);
    if (rate1 < 0 || rate16 < 0 || rate64 < 0) {
        fail("%s", rg_last_error());
        goto done;
    }
    qsort(lat, (size_t)n, sizeof *lat, compare_double);
    printf("embed_per_s_batch1 %.1f\nembed_per_s_batch16 %.1f\nembed_per_s_batch64 %.1f\nlatency_ms %.2f\n",
           rate1, rate16, rate64, lat[n / 2] * 1e3);
    printf("embed_per_cpu_s_batch1 %.1f\nembed_per_cpu_s_batch16 %.1f\nembed_per_cpu_s_batch64 %.1f\n", cpu1,
           cpu16, cpu64);
    /* times a thread found its core taken and the work ran on one thread
     * for a moment (kernels/parallel.c): nonzero means a busy machine */
    printf("busy_fallbacks %ld\n", kernel_busy_fallbacks());
    fflush(stdout);
    if (search_rows > 0) {
        size_t total = (size_t)search_rows * search_dim;
        float *vectors = xmalloc(total, sizeof *vectors), *query = xmalloc((size_t)search_dim, sizeof *query);
        IndexHit hits[5];
        if (!vectors || !query) {
            free(vectors);
            free(query);
            goto done;
        }
        Rng rng;
        rng_seed(&rng, 2);
        for (size_t i = 0; i < total; i++) vectors[i] = rng_uniform(&rng) - 0.5f;
        double times[16];
        int q_rounds = rounds < 16 ? rounds : 16;
        for (int r = 0; r < q_rounds + 1; r++) {
            memcpy(query, vectors + (size_t)(r * 7919 % search_rows) * search_dim, (size_t)search_dim * sizeof *query);
            double t0 = now_seconds();
            index_search(vectors, (uint64_t)search_rows, (uint32_t)search_dim, query, 5, hits);
            if (r) times[r - 1] = now_seconds() - t0;               /* the first is a warm-up */
        }
        qsort(times, (size_t)q_rounds, sizeof *times, compare_double);
        printf("search_rows %d\nsearch_dim %d\nsearch_ms %.1f\n", search_rows, search_dim, times[q_rounds / 2] * 1e3);
        free(vectors);
        free(query);
    }
    status = EXIT_OK;
done:
    free(out);
    free(lat);
    embedder_close(&e);
    text_list_free(&list);
    return status;
}
