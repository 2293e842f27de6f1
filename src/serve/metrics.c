/*
 * metrics.c — counters and histograms for GET /metrics.
 *
 * Requests are counted by (route, status) in a small table: routes come from
 * the router's fixed list, so the label set stays bounded however hostile the
 * paths. Latencies go into cumulative histograms with fixed bucket bounds
 * (Prometheus "le" buckets): an operator reads p50/p99 time to first token
 * and per-token latency from them. Gauges (queue depth, slots busy, loaded
 * models, resident memory) are read at scrape time.
 */
#include "serve/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SERIES 128
#define N_BUCKETS 12

typedef struct {
    char route[40];
    int status;
    uint64_t count;
    double seconds;
} request_series;

typedef struct {
    const char *name, *help;
    uint64_t counts[N_BUCKETS + 1];    /* the last is +Inf */
    double sum;
    uint64_t n;
} histogram;

static const double bucket_bounds[N_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static request_series series[MAX_SERIES];
static int n_series;
static uint64_t prompt_tokens_total, generated_tokens_total;
static uint64_t rejected_queue_full, rejected_rate_limited, rejected_too_large;
static histogram ttft_hist = { "rustgpt_time_to_first_token_seconds",
                               "Time from request to the first generated token", {0}, 0, 0 };
static histogram token_hist = { "rustgpt_token_latency_seconds",
                                "Time between two generated tokens of one stream", {0}, 0, 0 };

void metrics_request(const char *route, int status, double seconds)
{
    pthread_mutex_lock(&metrics_lock);
    int i = 0;
    while (i < n_series && (series[i].status != status || strcmp(series[i].route, route) != 0)) i++;
    if (i == n_series && n_series < MAX_SERIES) {
        snprintf(series[i].route, sizeof series[i].route, "%s", route);
        series[i].status = status;
        n_series++;
    }
    if (i < n_series) {
        series[i].count++;
        series[i].seconds += seconds;
    }
    pthread_mutex_unlock(&metrics_lock);
}

void metrics_tokens(uint64_t prompt_tokens, uint64_t generated_tokens)
{
    pthread_mutex_lock(&metrics_lock);
    prompt_tokens_total += prompt_tokens;
    generated_tokens_total += generated_tokens;
    pthread_mutex_unlock(&metrics_lock);
}

static void observe(histogram *h, double seconds)
{
    pthread_mutex_lock(&metrics_lock);
    int b = 0;
    while (b < N_BUCKETS && seconds > bucket_bounds[b]) b++;
    h->counts[b]++;
    h->sum += seconds;
    h->n++;
    pthread_mutex_unlock(&metrics_lock);
}

void metrics_ttft(double seconds) { observe(&ttft_hist, seconds); }
void metrics_token_latency(double seconds) { observe(&token_hist, seconds); }

void metrics_rejected(const char *reason)
{
    pthread_mutex_lock(&metrics_lock);
    if (strcmp(reason, "queue_full") == 0) rejected_queue_full++;
    else if (strcmp(reason, "rate_limited") == 0) rejected_rate_limited++;
    else rejected_too_large++;
    pthread_mutex_unlock(&metrics_lock);
}

/* A growing string for the exposition. */
typedef struct { char *s; size_t len, cap; int failed; } text_buf;

static void add(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text_buf *t, const char *fmt, ...)
{
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) { t->failed = 1; return; }
        if ((size_t)n < t->cap - t->len) { t->len += (size_t)n; return; }
        size_t cap = (t->cap + (size_t)n) * 2;
        char *s = realloc(t->s, cap);
        if (!s) { t->failed = 1; return; }
        t->s = s;
        t->cap = cap;
    }
}

static void add_histogram(text_buf *t, const histogram *h)
{
    add(t, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
    uint64_t cumulative = 0;
    for (int b = 0; b < N_BUCKETS; b++) {
        cumulative += h->counts[b];
        add(t, "%s_bucket{le=\"%g\"} %llu\n", h->name, bucket_bounds[b], (unsigned long long)cumulative);
    }
    cumulative += h->counts[N_BUCKETS];
    add(t, "%s_bucket{le=\"+Inf\"} %llu\n", h->name, (unsigned long long)cumulative);
    add(t, "%s_sum %.6f\n%s_count %llu\n", h->name, h->sum, h->name, (unsigned long long)h->n);
}

/* Resident set size from /proc/self/statm (pages), or 0. */
static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    int ok = fscanf(f, "%llu %llu", &size, &resident) == 2;
    fclose(f);
    return ok ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

char *metrics_render(engine *e)
{
    engine_gauges g;
    engine_get_gauges(e, &g);
    text_buf t = { malloc(4096), 0, 4096, 0 };
    if (!t.s) return NULL;
    pthread_mutex_lock(&metrics_lock);
    add(&t, "# HELP rustgpt_requests_total Requests answered, by route and status\n"
            "# TYPE rustgpt_requests_total counter\n");
    for (int i = 0; i < n_series; i++)
        add(&t, "rustgpt_requests_total{route=\"%s\",status=\"%d\"} %llu\n", series[i].route,
            series[i].status, (unsigned long long)series[i].count);
    add(&t, "# HELP rustgpt_request_seconds_total Time spent answering, by route and status\n"
            "# TYPE rustgpt_request_seconds_total counter\n");
    for (int i = 0; i < n_series; i++)
        add(&t, "rustgpt_request_seconds_total{route=\"%s\",status=\"%d\"} %.6f\n", series[i].route,
            series[i].status, series[i].seconds);
    add(&t, "# HELP rustgpt_prompt_tokens_total Prompt tokens read\n"
            "# TYPE rustgpt_prompt_tokens_total counter\nrustgpt_prompt_tokens_total %llu\n",
        (unsigned long long)prompt_tokens_total);
    add(&t, "# HELP rustgpt_generated_tokens_total Tokens generated\n"
            "# TYPE rustgpt_generated_tokens_total counter\nrustgpt_generated_tokens_total %llu\n",
        (unsigned long long)generated_tokens_total);
    add(&t, "# HELP rustgpt_rejected_total Requests refused before any work, by reason\n"
            "# TYPE rustgpt_rejected_total counter\n"
            "rustgpt_rejected_total{reason=\"queue_full\"} %llu\n"
            "rustgpt_rejected_total{reason=\"rate_limited\"} %llu\n"
            "rustgpt_rejected_total{reason=\"too_large\"} %llu\n",
        (unsigned long long)rejected_queue_full, (unsigned long long)rejected_rate_limited,
        (unsigned long long)rejected_too_large);
    add_histogram(&t, &ttft_hist);
    add_histogram(&t, &token_hist);
    pthread_mutex_unlock(&metrics_lock);
    add(&t, "# HELP rustgpt_queue_depth Requests waiting for a slot\n"
            "# TYPE rustgpt_queue_depth gauge\nrustgpt_queue_depth %d\n", g.queue_depth);
    add(&t, "# HELP rustgpt_slots_busy Slots generating now\n"
            "# TYPE rustgpt_slots_busy gauge\nrustgpt_slots_busy %d\n", g.slots_busy);
    add(&t, "# HELP rustgpt_slots_total Slots of the loaded models\n"
            "# TYPE rustgpt_slots_total gauge\nrustgpt_slots_total %d\n", g.slots_total);
    add(&t, "# HELP rustgpt_models_loaded Models in memory\n"
            "# TYPE rustgpt_models_loaded gauge\nrustgpt_models_loaded %d\n", g.models_loaded);
    add(&t, "# HELP rustgpt_models_bytes Bytes of model files in memory\n"
            "# TYPE rustgpt_models_bytes gauge\nrustgpt_models_bytes %llu\n",
        (unsigned long long)g.models_bytes);
    add(&t, "# HELP process_resident_memory_bytes Resident memory of the server\n"
            "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n",
        (unsigned long long)resident_bytes());
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
