/*
 * bench.c — `rustgpt bench`: how fast this machine runs rustgpt, in one table
 * (`make bench`).
 *
 * Every number is measured in this run, on this machine:
 *   - the FP32 peak of each kernel path: a register-only multiply-add loop
 *     (the table's fma_loop) on every thread, the yardstick for the rest;
 *   - training throughput of the default model (d=128, 8 heads, H=256,
 *     3 layers, seq-len 80, the bundled data's vocabulary) at batch 1, 8 and
 *     16, as tokens/s, GFLOP/s and the percentage of that path's peak. One
 *     step is trainer_step()'s work: forward, loss, backward, gradient norm,
 *     Adam; its FLOPs are counted from the shapes (the matrix products and
 *     the attention products, causal half only; 2 per multiply-add);
 *   - generation with the KV cache: milliseconds per token, averaged over
 *     contexts of 1 to seq-len tokens;
 *   - the tokenizer on a large text, one core;
 *   - the peak resident memory of a default training run (`rustgpt train
 *     --epochs 1` on the bundled data), measured in a child process before
 *     this one has grown.
 * Kernel paths (scalar, avx2, avx512, neon) are side by side in columns.
 * What the measurements run on (the bundled data, its vocabulary and the
 * FLOP count of a step) is bench_workload.c.
 */
#include "cli/cli.h"
#include "cli/api_cli.h"
#include "cli/bench.h"
#include "train/data.h"
#include "infer/generate.h"
#include "archs/gpt.h"
#include "infer/sampler.h"
#include "core/tensor.h"
#include "tokenizers/word.h"
#include "core/util.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char bench_help[] =
    "usage: rustgpt bench [options]\n"
    "\n"
    "Measures this machine: each kernel path's FP32 peak, training tokens/s of the\n"
    "default model at batch 1, 8 and 16, generation ms/token, tokenizer speed and the\n"
    "peak memory of a training run, with the kernel paths side by side.\n"
    "\n"
    "  --threads N (all cores)   threads for the measurements\n"
    "  --kernels LIST (all)      comma-separated paths: scalar,avx2,avx512,neon\n"
    "  --seconds S (0.5)         minimum time per measurement (0 to 60)\n"
    "\n"
    "rustgpt bench flow [--seconds S] [--no-python]: the flow engine's transitions/s and\n"
    "parallel batches, with C and Python nodes (docs/20-flows.md).\n"
    "rustgpt bench quant [--rows N (8192)] [--cols N (12288)] [--seconds S] [--threads N]\n"
    "  quant_matvec's GB/s and GFLOP/s for every weight type and kernel path against\n"
    "  a measured memcpy bandwidth, and quant_matmul with 64 rows (docs/16-quantization.md).\n";

enum { N_BATCHES = 3 };
static const int batches[N_BATCHES] = { 1, 8, 16 };


/* ---- measurements -------------------------------------------------------- */

/* Each measurement is the best of TRIALS trials of at least seconds/TRIALS
 * each: on a shared machine a trial can lose its core to another process,
 * and the best trial is the closest to what the code can do. */
enum { TRIALS = 3 };

/* The FP32 peak of path k on every thread: each runs the register loop. */
static double measure_peak(const Bench *b, const Kernels *k)
{
    long rounds = 1 << 14;
    double best = 0.0;
    for (int trial = 0; trial < TRIALS;) {
        double flops = 0.0, start = now_seconds();
        #pragma omp parallel reduction(+ : flops) num_threads(b->threads)
        {
            float sink;
            flops += k->fma_loop(rounds, &sink);
            if (sink == 12345.0f) flops += 1.0;   /* keeps the loop alive */
        }
        double t = now_seconds() - start;
        if (t < 0.02 + b->seconds / 20 && rounds < (1L << 40)) {   /* calibrating */
            rounds *= 2;
            continue;
        }
        if (flops / t / 1e9 > best) best = flops / t / 1e9;
        trial++;
    }
    return best;
}

/* One training step of the model on ids/targets [B,T]: trainer_step()'s
 * work (forward and loss, backward, gradient norm and clipping, Adam). */
static void training_step(Model *m, Activations *a, float *grads, float *adam_m, float *adam_v,
                          const int *ids, const int *targets, int B, int T)
{
    model_forward(m, a, ids, targets, B, T, NULL);
    vec_zero(grads, m->n_params);
    model_backward(m, a, grads, ids, targets);
    double norm = sqrt(sum_squares(grads, m->n_params));
    AdamStep s = { .lr = 1e-4f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                   .correction1 = 10.0f, .correction2 = 1000.0f,
                   .grad_scale = norm > 5.0 ? (float)(5.0 / norm) : 1.0f };
    adam_update(m->params, grads, adam_m, adam_v, m->n_params, s);
}

/* Seconds per training step at batch B on windows of seq_len + 1 tokens of
 * the corpus (a first step warms the caches and is not counted). */
static double measure_training(const Bench *b, int B)
{
    const ModelConfig *c = &b->config;
    int T = c->seq_len;
    Model m;
    Activations a;
    if (model_create(&m, c) != 0) return -1;
    model_init_weights(&m, 42);
    if (activations_create(&a, c, B) != 0) {
        model_free(&m);
        return -1;
    }
    float *grads = xcalloc(m.n_params, sizeof(float)), *adam_m = xcalloc(m.n_params, sizeof(float));
    float *adam_v = xcalloc(m.n_params, sizeof(float));
    int *ids = xmalloc((size_t)B * T, sizeof(int)), *targets = xmalloc((size_t)B * T, sizeof(int));
    double best = -1;
    if (grads && adam_m && adam_v && ids && targets) {
        size_t at = 0;
        for (int trial = -1; trial < TRIALS; trial++) {   /* trial -1: the warm-up step */
            int steps = 0;
            double start = now_seconds(), t;
            do {
                for (int r = 0; r < B; r++, at += (size_t)T + 1) {
                    if (at + T + 1 > b->corpus_len) at = 0;
                    memcpy(ids + r * T, b->corpus + at, (size_t)T * sizeof(int));
                    memcpy(targets + r * T, b->corpus + at + 1, (size_t)T * sizeof(int));
                }
                training_step(&m, &a, grads, adam_m, adam_v, ids, targets, B, T);
                steps++;
                t = now_seconds() - start;
            } while (trial >= 0 && t < b->seconds / TRIALS);
            if (trial >= 0 && (best < 0 || t / steps < best)) best = t / steps;
        }
    }
    free(grads); free(adam_m); free(adam_v); free(ids); free(targets);
    activations_free(&a);
    model_free(&m);
    return best;
}

/* Milliseconds per generated token: contexts filled from 1 to seq_len
 * tokens (greedy: one generator_feed and one argmax per token). */
static double measure_generation(const Bench *b)
{
    Model m;
    Generator g;
    if (model_create(&m, &b->config) != 0) return -1;
    model_init_weights(&m, 42);
    if (generator_create(&g, &m) != 0) {
        model_free(&m);
        return -1;
    }
    double best = -1;
    int next = TOKEN_EOS;
    for (int trial = -1; trial < TRIALS; trial++) {
        long tokens = 0;
        double start = now_seconds(), t;
        do {
            generator_reset(&g);
            for (int pos = 0; pos < b->config.seq_len; pos++, tokens++) {
                generator_feed(&g, next);
                next = argmax(g.logits, b->config.vocab_size);
            }
            t = now_seconds() - start;
        } while (t < b->seconds / (2 * TRIALS));
        if (trial >= 0 && (best < 0 || t / tokens < best)) best = t / tokens;
    }
    generator_free(&g);
    model_free(&m);
    return best * 1e3;
}

/* GFLOP/s of the table's matvec_forward, one thread, for `rows` rows
 * through the model's first FFN matrix [hidden, d]: the product of a
 * decoding step, one row per stream a server decodes together. */
static double measure_decode_product(const Bench *b, const Kernels *k, int rows)
{
    int d = b->config.d_model, H = b->config.d_hidden;
    float *x = xmalloc((size_t)rows * d, sizeof *x), *w = xmalloc((size_t)H * d, sizeof *w);
    float *y = xmalloc((size_t)rows * H, sizeof *y);
    double best = -1;
    if (x && w && y) {
        for (size_t i = 0; i < (size_t)rows * d; i++) x[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < (size_t)H * d; i++) w[i] = (float)(i % 5) * 0.1f;
        for (int trial = 0; trial < TRIALS; trial++) {
            long calls = 0;
            double start = now_seconds(), t;
            do {
                k->matvec_forward(y, x, w, NULL, rows, d, H, 0, H);
                calls++;
                t = now_seconds() - start;
            } while (t < b->seconds / (4 * TRIALS));
            double gflops = 2.0 * rows * d * H * calls / t / 1e9;
            if (gflops > best) best = gflops;
        }
    }
    free(x); free(w); free(y);
    return best;
}

/* Tokens per second of tokenizer_encode over the large text into ids (the
 * vocabulary lookup included), one thread. */
static double measure_tokenizer(const Bench *b, size_t *n_tokens)
{
    if (!b->have_data || !b->text) return -1;
    int count = tokenizer_encode(&b->vocab, b->text, NULL, 0);
    int *ids = xmalloc((size_t)count + 1, sizeof *ids);
    if (!ids) return -1;
    double best = -1;
    for (int trial = 0; trial < TRIALS; trial++) {
        double start = now_seconds();
        *n_tokens = (size_t)tokenizer_encode(&b->vocab, b->text, ids, count);
        double rate = (double)*n_tokens / (now_seconds() - start);
        if (rate > best) best = rate;
    }
    free(ids);
    return best;
}

/* Peak RSS in MB of `rustgpt train --epochs 1 -q` on the bundled data, run
 * as a child (its own numbers, not this process's). -1 if it cannot run. */
static double measure_training_rss(void)
{
    char dir[] = "/tmp/rustgpt-bench-XXXXXX", out[64];
    if (!mkdtemp(dir)) return -1;
    snprintf(out, sizeof out, "%s/model.bin", dir);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0); dup2(null, 1); dup2(null, 2);
        }
        char *args[] = { "rustgpt", "train", "--epochs", "1", "-q", "--out", out, NULL };
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    pid_t done = pid > 0 ? wait4(pid, &status, 0, &usage) : -1;
    unlink(out);
    rmdir(dir);
    if (done != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return usage.ru_maxrss / 1024.0;   /* Linux reports kilobytes */
}

/* ---- the table ----------------------------------------------------------- */

static void cpu_name(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (colon && strncmp(line, "model name", 10) == 0) {
            snprintf(buf, cap, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
}

static void row_label(const char *what, const char *unit) { printf("%-28s %-12s", what, unit); }

static int parse_bench_args(int argc, char **argv, Bench *b)
{
    const Kernels *all[MAX_PATHS];
    int n_all = kernels_available(all, MAX_PATHS);
    b->seconds = 0.5;
    b->threads = kernel_threads();
    b->n_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (strcmp(arg, "--threads") != 0 && strcmp(arg, "--seconds") != 0 && strcmp(arg, "--kernels") != 0)
            return unknown_argument("bench", arg);
        if (!(v = option_value(argc, argv, &i))) return EXIT_USAGE;
        if (strcmp(arg, "--threads") == 0) {
            if (parse_int(arg, v, 1, 1024, &b->threads) != 0) return EXIT_USAGE;
        } else if (strcmp(arg, "--seconds") == 0) {
            float s;
            if (parse_float(arg, v, 0.0, 60.0, &s) != 0) return EXIT_USAGE;
            b->seconds = s;
        } else if (strcmp(arg, "--kernels") == 0) {
            char list[64];
            snprintf(list, sizeof list, "%s", v);
            for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
                int found = 0;
                for (int k = 0; k < n_all; k++)
                    if (strcmp(all[k]->name, name) == 0 && b->n_paths < MAX_PATHS) {
                        b->paths[b->n_paths++] = all[k];
                        found = 1;
                    }
                if (!found) return usage_error("--kernels: '%s' is not available on this CPU", name);
            }
        } else {
            return unknown_argument("bench", arg);
        }
    }
    if (b->n_paths == 0)
        for (int k = 0; k < n_all; k++) b->paths[b->n_paths++] = all[k];
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "tokenize") == 0) return bench_tokenize(argc, argv);
    if (argc > 1 && strcmp(argv[1], "embed") == 0) return cmd_bench_embed(argc - 1, argv + 1);
    if (wants_api_model(argc, argv)) return cmd_bench_api(argc, argv);
    if (argc > 1 && strcmp(argv[1], "quant") == 0) return bench_quant(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "flow") == 0) return cmd_bench_flow(argc - 1, argv + 1);
    Bench b;
    memset(&b, 0, sizeof b);
    int rc = parse_bench_args(argc, argv, &b);
    if (rc) return rc;
    /* First, while this process is small: the child's peak is its own. */
    double rss = measure_training_rss();
#ifdef _OPENMP
    omp_set_num_threads(b.threads);
#else
    b.threads = 1;
#endif
    const Kernels *chosen = kernels();
    bench_load_workload(&b);
    const ModelConfig *c = &b.config;
    Model probe;
    size_t n_params = model_create(&probe, c) == 0 ? probe.n_params : 0;
    model_free(&probe);

    char cpu[256], params[32];
    cpu_name(cpu, sizeof cpu);
    printf("rustgpt bench: %s, %d thread%s, default kernels %s\n", cpu, b.threads,
           b.threads == 1 ? "" : "s", chosen->name);
    printf("model: d=%d heads=%d hidden=%d layers=%d seq-len=%d vocab=%d (%s), %s parameters\n\n",
           c->d_model, c->n_heads, c->d_hidden, c->n_layers, c->seq_len, c->vocab_size,
           b.have_data ? "bundled data" : "synthetic", with_commas(params, n_params));

    double peak[MAX_PATHS], step[MAX_PATHS][N_BATCHES], gen[MAX_PATHS], decode1[MAX_PATHS], decode16[MAX_PATHS];
    for (int k = 0; k < b.n_paths; k++) {
        kernels_select(b.paths[k]->name);
        peak[k] = measure_peak(&b, b.paths[k]);
        for (int i = 0; i < N_BATCHES; i++) step[k][i] = measure_training(&b, batches[i]);
        gen[k] = measure_generation(&b);
        decode1[k] = measure_decode_product(&b, b.paths[k], 1);
        decode16[k] = measure_decode_product(&b, b.paths[k], 16);
    }
    kernels_select(chosen->name);

    row_label("", "");
    for (int k = 0; k < b.n_paths; k++) printf("%12s", b.paths[k]->name);
    printf("\n");
    row_label("FP32 FMA peak (registers)", "GFLOP/s");
    for (int k = 0; k < b.n_paths; k++) printf("%12.1f", peak[k]);
    printf("\n");
    for (int i = 0; i < N_BATCHES; i++) {
        char what[64];
        double flops = bench_train_flops(c, batches[i], c->seq_len);
        snprintf(what, sizeof what, "train batch %d, seq-len %d", batches[i], c->seq_len);
        row_label(what, "tokens/s");
        for (int k = 0; k < b.n_paths; k++) {
            char n[32];
            printf("%12s", step[k][i] > 0 ? with_commas(n, (unsigned long long)(batches[i] * c->seq_len / step[k][i])) : "-");
        }
        printf("\n");
        row_label("", "GFLOP/s");
        for (int k = 0; k < b.n_paths; k++) printf("%12.1f", step[k][i] > 0 ? flops / step[k][i] / 1e9 : 0.0);
        printf("\n");
        row_label("", "% of peak");
        for (int k = 0; k < b.n_paths; k++)
            printf("%11.1f%%", step[k][i] > 0 ? 100.0 * flops / step[k][i] / 1e9 / peak[k] : 0.0);
        printf("\n");
    }
    row_label("generation, KV cache", "ms/token");
    for (int k = 0; k < b.n_paths; k++) printf("%12.4f", gen[k]);
    printf("\n");
    row_label("decode product, 1 row", "GFLOP/s");   /* one thread: measure_decode_product */
    for (int k = 0; k < b.n_paths; k++) printf("%12.1f", decode1[k]);
    printf("\n");
    row_label("decode product, 16 rows", "GFLOP/s");
    for (int k = 0; k < b.n_paths; k++) printf("%12.1f", decode16[k]);
    printf("\n");

    size_t n_tokens = 0;
    double tokenizer = measure_tokenizer(&b, &n_tokens);
    row_label("tokenizer, 1 core", "tokens/s");   /* into ids, lookups included */
    if (tokenizer > 0) printf("%11.1fM   (%.1f MB of text, %zu tokens)\n", tokenizer / 1e6,
                              strlen(b.text) / 1048576.0, n_tokens);
    else printf("%12s   (needs the bundled data/)\n", "-");
    row_label("peak RSS, default training", "MB");
    if (rss > 0) printf("%12.1f   (rustgpt train --epochs 1, batch %d)\n", rss, DEFAULT_BATCH);
    else printf("%12s   (could not run rustgpt train on the bundled data/)\n", "-");
    printf("\nGFLOP/s counts the matrix and attention products of forward and backward (2 per\n"
           "multiply-add); %% of peak is against the register-only loop of the same path and\n"
           "thread count, measured above. Each number is the best of %d trials.\n", TRIALS);
    if (kernel_busy_fallbacks() > 0)
        printf("The machine was busy with other programs: %ld time%s a thread could not start\n"
               "on time and the work ran on one thread for a moment; rerun on a quiet machine.\n",
               kernel_busy_fallbacks(), kernel_busy_fallbacks() == 1 ? "" : "s");

    vocab_free(&b.vocab);
    free(b.corpus);
    free(b.text);
    return EXIT_OK;
}
