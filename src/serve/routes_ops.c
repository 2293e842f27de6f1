/*
 * routes_ops.c — what operators and browsers ask: GET /health (200 "ok"
 * once the --model files are loaded, 503 "loading" before), GET /metrics
 * (Prometheus text, metrics.c) and GET / (the chat page, page.c).
 */
#include "serve/http.h"
#include "serve/metrics.h"

#include <stdlib.h>
#include <string.h>

enum MHD_Result route_health(request *r)
{
    int ready = engine_is_ready(r->srv->engine);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "status", ready ? "ok" : "loading");
    engine_gauges g;
    engine_get_gauges(r->srv->engine, &g);
    cJSON_AddNumberToObject(root, "slots_busy", g.slots_busy);
    cJSON_AddNumberToObject(root, "queue_depth", g.queue_depth);
    return reply_json(r, ready ? 200 : 503, root);
}

enum MHD_Result route_metrics(request *r)
{
    char *text = metrics_render(r->srv->engine);
    if (!text) return reply_error(r, 500, "server_error", "out of memory");
    return reply_text(r, 200, "text/plain; version=0.0.4", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

/* The page (page.html, embedded by the Makefile as page_html[]). */
extern const unsigned char serve_page_html[];
extern const unsigned int serve_page_html_len;

enum MHD_Result route_page(request *r)
{
    return reply_text(r, 200, "text/html; charset=utf-8", (const char *)serve_page_html, serve_page_html_len,
                      MHD_RESPMEM_PERSISTENT);
}
