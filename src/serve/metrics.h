/*
 * metrics.h — the server's counters and histograms, rendered in the
 * Prometheus text format by GET /metrics (docs/19-serving.md says what each
 * tells an operator). One set per process; every function is thread-safe.
 */
#ifndef RUSTGPT_SERVE_METRICS_H
#define RUSTGPT_SERVE_METRICS_H

#include "serve/engine.h"

#include <stdint.h>

/* One finished request: its route pattern ("/v1/chat/completions", or
 * "other" for unknown paths), status and duration. */
void metrics_request(const char *route, int status, double seconds);
void metrics_tokens(uint64_t prompt_tokens, uint64_t generated_tokens);
void metrics_ttft(double seconds);
void metrics_token_latency(double seconds);
void metrics_rejected(const char *reason);   /* "queue_full", "rate_limited", ... */

/* The whole exposition as a new string (caller frees). */
char *metrics_render(engine *e);

#endif
