/*
 * api_bench.c — `rustgpt bench --model F.gguf`: the speed of a GGUF model
 * in rustgpt and in llama.cpp, side by side, in the same run.
 *
 *   rustgpt bench --model F.gguf [--threads N] [--prompt 512] [--gen 128]
 *                 [--llamacpp SCRIPT | --no-llamacpp]
 *
 * Both process the same prompt of --prompt tokens in one call (the
 * matrix-matrix path) and then decode --gen tokens one at a time (the
 * matrix-vector path), with the same number of threads. llama.cpp runs
 * through node-llama-cpp (tests/interop/gguf_bench.mjs, timed inside
 * node). Decoding reads every weight once per token, so its speed is
 * bounded by memory bandwidth: the bound printed is a measured copy
 * bandwidth divided by the weight bytes one token reads (every tensor but
 * the embedding table, of which one row is read). Also printed: the load
 * time and the resident memory against file size plus KV cache.
 */
#include "cli/api_cli.h"
#include "core/util.h"
#include "core/quant.h"
#include "formats/gguf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Tokens per second of wall time and per second of the process's CPU time
 * (which the load of other processes does not lower). */
typedef struct { double load_s, pp_tps, tg_tps, pp_cpu_tps, tg_cpu_tps; int ok; } bench_result;

/* Resident set size of this process in bytes (Linux), or 0. */
static double resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* Copy bandwidth in bytes per second (read + write traffic) over a buffer
 * much larger than the caches, best of a few rounds, on the bench's threads. */
static double copy_bandwidth(int threads)
{
    size_t n = (size_t)256 << 20;
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) { free(a); free(b); return 0.0; }
    memset(a, 1, n);
    memset(b, 2, n);
    double best = 0.0;
    for (int round = 0; round < 4; round++) {
        double t0 = now_seconds();
        size_t chunk = n / (size_t)threads;
        #pragma omp parallel for num_threads(threads)
        for (int t = 0; t < threads; t++) memcpy(b + (size_t)t * chunk, a + (size_t)t * chunk, chunk);
        double bw = 2.0 * (double)n / (now_seconds() - t0);
        if (bw > best) best = bw;
    }
    free(a);
    free(b);
    return best;
}

/* Bytes of weights one decoded token reads: every tensor but the
 * embedding table (one row of it), or all of it when the output is tied. */
static double weight_bytes_per_token(const char *path, const char *arch, int32_t n_heads,
                                     const char **type_name, int64_t *n_heads_kv)
{
    gguf_file *f;
    *type_name = "?";
    *n_heads_kv = n_heads;
    if (gguf_open(path, &f) < 0) return 0.0;
    char key[128];
    snprintf(key, sizeof key, "%s.attention.head_count_kv", arch);
    if (gguf_get_int(f, key, n_heads_kv) < 0 || *n_heads_kv <= 0) *n_heads_kv = n_heads;
    double total = 0.0;
    int tied = gguf_find_tensor(f, "output.weight") == NULL;
    size_t largest = 0;
    for (uint64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        int is_embd = t->name.len == 17 && memcmp(t->name.ptr, "token_embd.weight", 17) == 0;
        if (!is_embd || tied) total += (double)t->n_bytes;
        if (t->n_dims == 2 && t->n_bytes > largest && quant_type_name(t->type)) {
            largest = t->n_bytes;
            *type_name = quant_type_name(t->type);
        }
    }
    gguf_close(f);
    return total;
}

static void run_llamacpp(const char *script, const char *model, int threads, int n_prompt, int n_gen,
                         int32_t n_vocab, bench_result *r)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "node '%s' '%s' %d %d %d %d 2>/dev/null", script, model, threads, n_prompt,
             n_gen, n_vocab);
    FILE *p = popen(cmd, "r");
    if (!p) return;
    char line[512] = "";
    if (fgets(line, sizeof line, p) &&
        sscanf(line, "{\"load_s\":%lf,\"pp_tps\":%lf,\"tg_tps\":%lf,\"pp_cpu_tps\":%lf,\"tg_cpu_tps\":%lf}",
               &r->load_s, &r->pp_tps, &r->tg_tps, &r->pp_cpu_tps, &r->tg_cpu_tps) == 5)
        r->ok = 1;
    pclose(p);
}

static void print_row(const char *what, double ours, const bench_result *ref, double theirs)
{
    printf("  %-28s %12.1f", what, ours);
    if (ref->ok) printf(" %12.1f %9.2fx\n", theirs, ours / theirs);
    else printf(" %12s %10s\n", "-", "-");
}

int cmd_bench_api(int argc, char **argv)
{
    const char *model_path = NULL, *script = "tests/interop/gguf_bench.mjs", *v;
    int threads = 0, n_prompt = 512, n_gen = 128, use_llamacpp = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) { if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--llamacpp") == 0) { if (!(script = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--no-llamacpp") == 0) use_llamacpp = 0;
        else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 1024, &threads)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--prompt") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--prompt", v, 1, 1 << 16, &n_prompt)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--gen") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--gen", v, 1, 1 << 16, &n_gen)) return EXIT_USAGE;
        } else return usage_error("bench: unexpected argument '%s'", argv[i]);
    }
    if (!model_path) return usage_error("bench needs --model FILE.gguf");
#ifdef _OPENMP
    if (threads == 0) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    struct stat st;
    if (stat(model_path, &st) != 0) return fail("%s: cannot read it", model_path), EXIT_RUNTIME;

    /* Load twice: the second load reads a file in the page cache. */
    rg_model *model = NULL;
    if (rg_model_load(model_path, NULL, &model) != RG_OK) return api_fail(RG_ERR_IO);
    rg_model_free(model);
    double rss_before = resident_bytes();
    double t0 = now_seconds();
    rg_status s = rg_model_load(model_path, NULL, &model);
    double load_s = now_seconds() - t0;
    if (s != RG_OK) return api_fail(s);
    rg_model_info info;
    rg_model_get_info(model, &info);
    rg_context *ctx;
    rg_context_options copt = { n_prompt + n_gen + 1, 1, threads };
    if ((s = rg_context_new(model, &copt, &ctx)) != RG_OK) {
        rg_model_free(model);
        return api_fail(s);
    }
    int32_t *ids = xmalloc((size_t)n_prompt, sizeof *ids);
    float *logits = xmalloc((size_t)info.n_vocab, sizeof *logits);
    int status = EXIT_RUNTIME;
    if (!ids || !logits) goto done;
    for (int i = 0; i < n_prompt; i++) ids[i] = 3 + (int32_t)(((int64_t)i * 7919) % (info.n_vocab - 3));

    bench_result ours = { 0 };
    t0 = now_seconds();
    double c0 = cpu_seconds();
    if ((s = rg_decode(ctx, n_prompt, ids, NULL, NULL, logits)) != RG_OK) { status = api_fail(s); goto done; }
    ours.pp_tps = n_prompt / (now_seconds() - t0);
    ours.pp_cpu_tps = n_prompt / (cpu_seconds() - c0);
    int32_t next = ids[n_prompt - 1];
    t0 = now_seconds();
    c0 = cpu_seconds();
    for (int i = 0; i < n_gen; i++) {
        if ((s = rg_decode(ctx, 1, &next, NULL, NULL, logits)) != RG_OK) { status = api_fail(s); goto done; }
        int32_t best = 0;
        for (int32_t j = 1; j < info.n_vocab; j++) if (logits[j] > logits[best]) best = j;
        next = best;
    }
    ours.tg_tps = n_gen / (now_seconds() - t0);
    ours.tg_cpu_tps = n_gen / (cpu_seconds() - c0);
    double rss = resident_bytes() - rss_before;

    bench_result ref = { 0 };
    if (use_llamacpp && access(script, R_OK) == 0)
        run_llamacpp(script, model_path, threads, n_prompt, n_gen, info.n_vocab, &ref);

    const char *type_name;
    int64_t n_heads_kv;
    double per_token = weight_bytes_per_token(model_path, info.arch, info.n_heads, &type_name, &n_heads_kv);
    double bw = copy_bandwidth(threads);
    double kv_bytes = 2.0 * info.n_layers * (double)(n_prompt + n_gen + 1) *
                      ((double)info.d_model * n_heads_kv / info.n_heads) * sizeof(uint16_t);   /* F16 */

    char params[32];
    rg_type weight_type;
    int tiles = strcmp(type_name, "?") != 0 && quant_type_from_name(type_name, &weight_type) == 0 &&
                quant_has_integer_tiles(weight_type, info.d_model);
    printf("%s: %s %s, %s parameters, %.1f MB, %d thread%s, kernels %s%s\n", model_path, info.arch, type_name,
           with_commas(params, info.n_params), st.st_size / 1e6, threads, threads == 1 ? "" : "s",
           quant_kernels_name(), tiles ? " with integer tiles (VNNI)" : "");
    printf("  %-28s %12s %12s %10s\n", "tokens/s", "rustgpt", "llama.cpp", "ratio");
    char what[64];
    snprintf(what, sizeof what, "prompt (%d tokens)", n_prompt);
    print_row(what, ours.pp_tps, &ref, ref.pp_tps);
    snprintf(what, sizeof what, "decode (%d tokens)", n_gen);
    print_row(what, ours.tg_tps, &ref, ref.tg_tps);
    snprintf(what, sizeof what, "prompt per CPU-second");
    print_row(what, ours.pp_cpu_tps, &ref, ref.pp_cpu_tps);
    snprintf(what, sizeof what, "decode per CPU-second");
    print_row(what, ours.tg_cpu_tps, &ref, ref.tg_cpu_tps);
    if (!ref.ok) printf("  (llama.cpp not run: %s)\n", use_llamacpp ? "node or its script not found" : "--no-llamacpp");
    if (per_token > 0 && bw > 0) {
        double bound = bw / per_token;
        printf("  bandwidth bound: %.1f GB/s copy / %.1f MB of weights per token = %.1f tokens/s; "
               "decode reaches %.0f%%", bw / 1e9, per_token / 1e6, bound, 100.0 * ours.tg_tps / bound);
        if (ref.ok) printf(" (llama.cpp %.0f%%)", 100.0 * ref.tg_tps / bound);
        printf("\n");
    }
    printf("  load %.3f s (file in the page cache)%s; resident %.1f MB for a %.1f MB file + %.1f MB KV cache\n",
           load_s, ref.ok ? "" : "", rss / 1e6, st.st_size / 1e6, kv_bytes / 1e6);
    if (ref.ok) printf("  llama.cpp load %.3f s\n", ref.load_s);
    status = EXIT_OK;
done:
    free(ids);
    free(logits);
    rg_context_free(ctx);
    rg_model_free(model);
    return status;
}
