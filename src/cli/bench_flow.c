/*
 * bench_flow.c — `rustgpt bench flow`: what the flow engine costs.
 *
 *   - node transitions per second for a chain of 1,000 nodes and for a
 *     loop of two nodes that passes 100,000 times between them: the price
 *     of the engine's own bookkeeping (params, the three steps, the edge
 *     lookup), with posts that do nothing but choose the action;
 *   - the same loop with each node writing a counter to the shared store
 *     (one copy in, one copy out, under its mutex);
 *   - a parallel batch of CPU-bound items (each a fixed amount of integer
 *     hashing, 4 million rounds) on 1 and on 2 threads: the wall time and the
 *     speedup, which shows the thread pool keeping every core busy;
 *   - the same chain, loop and batch with Python nodes (python/bench_flow.py
 *     over librustgpt.so), when python3 and the library are found: the cost
 *     of a ctypes callback per step, and the GIL, which keeps a pure-Python
 *     CPU-bound batch at one core however many threads run it.
 * Every number is measured in this run.
 */
#include "cli/cli.h"
#include "core/util.h"
#include "rustgpt/flow.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CHAIN_NODES = 1000, LOOP_PASSES = 100000, BATCH_ITEMS = 16 };

/* ---- the workloads ----------------------------------------------------------- */

typedef struct {
    long passes, limit;
} LoopState;

static rg_status loop_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    LoopState *s = ctx->user;
    strcpy(action, ++s->passes < s->limit ? "again" : "done");
    return RG_OK;
}

static rg_status store_loop_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    double n;
    rg_status st = rg_flow_store_add(ctx->store, "passes", 1, &n);
    LoopState *s = ctx->user;
    strcpy(action, n < (double)s->limit ? "again" : "done");
    return st;
}

/* A fixed amount of integer work on one core, the same for every item. */
static rg_status cpu_exec(const rg_flow_ctx *ctx, const cJSON *item, cJSON **out)
{
    uint64_t h = (uint64_t)item->valueint + 1;
    for (long i = 0; i < 4000000; i++) h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL + (uint64_t)i;
    *out = cJSON_CreateNumber((double)(h & 0xffff));
    return RG_OK;
}

static rg_status batch_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    *out = cJSON_CreateArray();
    for (int i = 0; i < BATCH_ITEMS; i++) cJSON_AddItemToArray(*out, cJSON_CreateNumber(i));
    return RG_OK;
}

/* Transitions per second of a chain of CHAIN_NODES nodes, run for at least
 * `seconds`. */
static double bench_chain(double seconds)
{
    rg_flow_graph *g;
    rg_flow_node *prev = NULL, *first = NULL, *flow;
    rg_flow_graph_new(&g);
    for (int i = 0; i < CHAIN_NODES; i++) {
        char name[32];
        rg_flow_node *n;
        snprintf(name, sizeof name, "n%d", i);
        rg_flow_node_new(g, name, RG_FLOW_NODE, NULL, NULL, &n);
        if (prev) rg_flow_connect(prev, NULL, n);
        else first = n;
        prev = n;
    }
    rg_flow_new(g, "chain", first, NULL, NULL, &flow);
    rg_flow_store *store;
    rg_flow_store_new(&store);
    unsigned long long before = rg_flow_transitions();
    double t0 = now_seconds(), elapsed;
    do rg_flow_run(flow, store, NULL, NULL, 0);
    while ((elapsed = now_seconds() - t0) < seconds);
    double rate = (double)(rg_flow_transitions() - before) / elapsed;
    rg_flow_store_free(store);
    rg_flow_graph_free(g);
    return rate;
}

static double bench_loop(int with_store)
{
    rg_flow_graph *g;
    rg_flow_node *a, *b, *flow;
    LoopState state = { 0, LOOP_PASSES };
    rg_flow_ops ops = { .post = with_store ? store_loop_post : loop_post };
    rg_flow_graph_new(&g);
    rg_flow_node_new(g, "ping", RG_FLOW_NODE, &ops, &state, &a);
    rg_flow_node_new(g, "pong", RG_FLOW_NODE, &ops, &state, &b);
    rg_flow_connect(a, "again", b);
    rg_flow_connect(b, "again", a);
    rg_flow_new(g, "loop", a, NULL, NULL, &flow);
    rg_flow_store *store;
    rg_flow_store_new(&store);
    unsigned long long before = rg_flow_transitions();
    double t0 = now_seconds();
    rg_flow_run(flow, store, NULL, NULL, 0);
    double rate = (double)(rg_flow_transitions() - before) / (now_seconds() - t0);
    rg_flow_store_free(store);
    rg_flow_graph_free(g);
    return rate;
}

/* Seconds for the CPU-bound batch on n_threads (best of `repeats`). */
static double bench_batch(int n_threads, int repeats)
{
    rg_flow_graph *g;
    rg_flow_node *node;
    rg_flow_ops ops = { .prep = batch_prep, .exec = cpu_exec };
    rg_flow_graph_new(&g);
    rg_flow_node_new(g, "work", RG_FLOW_PARALLEL_BATCH, &ops, NULL, &node);
    rg_flow_set_threads(node, n_threads);
    rg_flow_store *store;
    rg_flow_store_new(&store);
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t0 = now_seconds();
        rg_flow_run(node, store, NULL, NULL, 0);
        double t = now_seconds() - t0;
        if (t < best) best = t;
    }
    rg_flow_store_free(store);
    rg_flow_graph_free(g);
    return best;
}

/* ---- the command ------------------------------------------------------------------ */

/* python/bench_flow.py, run over the library beside this binary; its lines
 * are printed as they come. */
static void bench_python(double seconds)
{
    const char *script = "python/bench_flow.py";
    char self[4096] = ".", lib[4096], cmd[8192];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 1] = '\0';
    const char *slash = strrchr(self, '/');
    /* Beside the binary (build/rustgpt), or in build/ under it (./rustgpt). */
    snprintf(lib, sizeof lib, "%.*s/librustgpt.so", slash ? (int)(slash - self) : 1, slash ? self : ".");
    if (access(lib, R_OK) != 0)
        snprintf(lib, sizeof lib, "%.*s/build/librustgpt.so", slash ? (int)(slash - self) : 1, slash ? self : ".");
    if (access(script, R_OK) != 0 || access(lib, R_OK) != 0) {
        printf("\nPython nodes: skipped (run from the source tree, after make, for %s and %s)\n", script, lib);
        return;
    }
    snprintf(cmd, sizeof cmd, "RUSTGPT_LIB='%s' python3 %s --seconds %g 2>&1", lib, script, seconds);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) return;
    char line[512];
    while (fgets(line, sizeof line, p)) fputs(line, stdout);
    if (pclose(p) != 0) printf("  (python3 %s failed)\n", script);
}

int cmd_bench_flow(int argc, char **argv)
{
    double seconds = 0.5;
    int python = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0) {
            const char *v = option_value(argc, argv, &i);
            float s;
            if (!v || parse_float("--seconds", v, 0.01, 60, &s)) return EXIT_USAGE;
            seconds = s;
        } else if (strcmp(argv[i], "--no-python") == 0) {
            python = 0;
        } else {
            return usage_error("unknown option '%s' for bench flow (--seconds S, --no-python)", argv[i]);
        }
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char a[32], b[32], c[32];
    /* The load says how much of the cores other processes took meanwhile:
     * with it near the core count, no batch can run twice as fast. */
    double load = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = 0;
        fclose(f);
    }
    printf("rustgpt bench flow: %ld core%s, load average %.2f\n\n", cores, cores == 1 ? "" : "s", load);
    printf("C nodes\n");
    printf("  chain of %d nodes       %14s transitions/s\n", CHAIN_NODES, with_commas(a, (unsigned long long)bench_chain(seconds)));
    printf("  loop of 2 nodes          %14s transitions/s\n", with_commas(b, (unsigned long long)bench_loop(0)));
    printf("  loop, counter in store   %14s transitions/s\n", with_commas(c, (unsigned long long)bench_loop(1)));
    double t1 = bench_batch(1, 3), t2 = bench_batch(2, 3);
    printf("  parallel batch, %d CPU-bound items: 1 thread %.3f s, 2 threads %.3f s, speedup %.2fx\n",
           BATCH_ITEMS, t1, t2, t1 / t2);
    if (python) bench_python(seconds);
    return EXIT_OK;
}
