/*
 * http.c — the HTTP front of `rustgpt serve` on libmicrohttpd: the daemon
 * (a pool of threads, each with its own epoll loop), the per-request life
 * cycle (headers → auth and limits → body → route → response → log line),
 * and serve_run with its graceful shutdown.
 *
 * Limits are enforced where they are cheapest: header size and idle time by
 * MHD itself (connection memory limit, connection timeout), the body size
 * from Content-Length before a byte of body is read and again while it is
 * gathered, authentication and rate limits before the body.
 */
#include "serve/http.h"
#include "serve/metrics.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum MHD_Result (*route_fn)(request *r);
typedef struct { const char *method, *path; route_fn handler; int public_route; } route;

static const route routes[] = {
    { "GET",  "/",                    route_page, 0 },
    { "GET",  "/health",              route_health, 1 },
    { "GET",  "/metrics",             route_metrics, 0 },
    { "GET",  "/v1/models",           route_openai_models, 0 },
    { "POST", "/v1/chat/completions", route_openai_chat, 0 },
    { "POST", "/v1/completions",      route_openai_completions, 0 },
    { "POST", "/v1/embeddings",       route_openai_embeddings, 0 },
    { "POST", "/api/chat",            route_ollama_chat, 0 },
    { "POST", "/api/generate",        route_ollama_generate, 0 },
    { "POST", "/api/embed",           route_ollama_embed, 0 },
    { "GET",  "/api/tags",            route_ollama_tags, 0 },
    { "POST", "/api/show",            route_ollama_show, 0 },
    { "GET",  "/api/version",         route_ollama_version, 0 },
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Seconds since the epoch, for log lines. */
static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void log_line(server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(server *s, const char *fmt, ...)
{
    if (!s->log) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(line, s->log_user);
}

void request_unref(request *r)
{
    if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    job_release(r->job);
    pthread_mutex_destroy(&r->wake_lock);
    free(r->body);
    free(r->out);
    free(r);
}

static request *request_new(server *s, struct MHD_Connection *conn, const char *method, const char *url)
{
    static uint64_t counter;
    request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->srv = s;
    r->conn = conn;
    r->refs = 1;
    r->key_index = -1;
    r->started = now_seconds();
    r->route = "other";
    pthread_mutex_init(&r->wake_lock, NULL);
    uint64_t n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    snprintf(r->id, sizeof r->id, "%08lx%08llx", (unsigned long)time(NULL) & 0xffffffffUL, (unsigned long long)n);
    snprintf(r->method, sizeof r->method, "%s", method);
    snprintf(r->path, sizeof r->path, "%s", url);
    return r;
}

/* Write s into buf as the inside of a JSON string (for log lines). */
static void json_escape(char *buf, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { buf[o++] = '\\'; buf[o++] = (char)c; }
        else if (c < 0x20 || c >= 0x7f) o += (size_t)snprintf(buf + o, cap - o, "\\u%04x", c);
        else buf[o++] = (char)c;
    }
    buf[o] = 0;
}

/* MHD calls this when a request ends, normally or not: one log line, the
 * metrics, and the job let go (a client that went away frees its slot). */
static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode code)
{
    server *s = cls;
    request *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    double seconds = now_seconds() - r->started;
    int status = r->status ? r->status : 499;              /* nothing was sent */
    if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->streaming && !r->sent_last) status = 499;
    metrics_request(r->route, status, seconds);
    if (!s->cfg->quiet) {
        char path[300];
        json_escape(path, sizeof path, r->path);
        job_state st = r->last_state;
        if (r->job) job_read(r->job, 0, NULL, 0, &(size_t){0}, &st);
        log_line(s, "{\"ts\":%.3f,\"id\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,"
                    "\"ms\":%.1f,\"model\":\"%s\",\"prompt_tokens\":%d,\"completion_tokens\":%d,"
                    "\"ttft_ms\":%.1f,\"key\":%d,\"stream\":%s,\"end\":\"%s\"}",
                 wall_clock(), r->id, r->method, path, status, seconds * 1000, r->model, st.n_prompt,
                 st.n_generated, st.ttft_s * 1000, r->key_index, r->streaming ? "true" : "false",
                 code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok"
                 : code == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                 : code == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client_abort" : "closed");
    }
    /* Let the job go now: a client that disconnected mid-stream frees its
     * slot at the scheduler's next step. */
    if (r->job) {
        job *j = r->job;
        r->job = NULL;
        job_release(j);
    }
    request_unref(r);
}

static const route *find_route(const char *method, const char *path, int *path_known,
                               const char **allow)
{
    *path_known = 0;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (strcmp(routes[i].path, path) != 0) continue;
        *path_known = 1;
        if (allow) *allow = strcmp(routes[i].method, "GET") == 0 ? "GET, HEAD" : routes[i].method;
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
            return &routes[i];
    }
    return NULL;
}

/* Everything decided from the headers alone: route, CORS preflight, auth,
 * rate limit, declared body size. Returns 1 when a response was queued. */
static int check_headers(server *s, request *r, enum MHD_Result *result)
{
    int path_known;
    const route *rt = find_route(r->method, r->path, &path_known, &r->allow);
    if (rt) r->route = rt->path;
    if (__atomic_load_n(&s->draining, __ATOMIC_ACQUIRE)) {
        *result = reply_error(r, 503, "server_error", "the server is shutting down");
        return 1;
    }
    if (strcmp(r->method, "OPTIONS") == 0 && s->cfg->cors && path_known) {
        r->route = "preflight";
        *result = reply_text(r, 204, "text/plain", "", 0, MHD_RESPMEM_PERSISTENT);
        return 1;
    }
    if (!path_known) {
        *result = reply_error(r, 404, "invalid_request_error", "no route %s %.100s", r->method, r->path);
        return 1;
    }
    if (!rt) {
        *result = reply_error(r, 405, "invalid_request_error", "method %s is not allowed on %s", r->method,
                              r->path);
        return 1;
    }
    if (s->cfg->n_keys > 0 && !rt->public_route) {
        const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
        r->key_index = auth_check(s->cfg, auth);
        if (r->key_index < 0) {
            *result = reply_error(r, 401, "invalid_request_error",
                                  "missing or wrong API key (Authorization: Bearer KEY)");
            return 1;
        }
    }
    int retry_after = 0;
    if (!rt->public_route && s->limiter && !rate_limiter_take(s->limiter, r->key_index, &retry_after)) {
        metrics_rejected("rate_limited");
        *result = reply_error(r, 429, "rate_limit_exceeded", "too many requests: retry in %d s", retry_after);
        return 1;
    }
    const char *length = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    if (length && strtoull(length, NULL, 10) > s->cfg->max_body) {
        metrics_rejected("too_large");
        *result = reply_error(r, 413, "invalid_request_error", "the body is larger than %zu bytes",
                              s->cfg->max_body);
        return 1;
    }
    return 0;
}

static int append_body(server *s, request *r, const char *data, size_t size)
{
    if (r->body_too_large || r->body_len + size > s->cfg->max_body) {
        r->body_too_large = 1;
        return 0;
    }
    if (r->body_len + size + 1 > r->body_cap) {
        size_t cap = (r->body_len + size + 1) * 2;
        if (cap > s->cfg->max_body + 1) cap = s->cfg->max_body + 1;
        char *grown = realloc(r->body, cap);
        if (!grown) return -1;
        r->body = grown;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, size);
    r->body_len += size;
    r->body[r->body_len] = 0;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    server *s = cls;
    request *r = *con_cls;
    enum MHD_Result result = MHD_YES;
    if (!r) {                                       /* headers are in */
        if (!(r = request_new(s, conn, method, url))) return MHD_NO;
        *con_cls = r;
        if (check_headers(s, r, &result)) r->handled = 1;
        return result;
    }
    if (r->job && !*upload_data_size) return reply_resume_job(r);   /* resumed: is it done? */
    if (r->handled) {                               /* answered early: drop the body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (append_body(s, r, upload_data, *upload_data_size) != 0) return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    r->handled = 1;
    if (r->body_too_large) {
        metrics_rejected("too_large");
        return reply_error(r, 413, "invalid_request_error", "the body is larger than %zu bytes",
                           s->cfg->max_body);
    }
    int path_known;
    const route *rt = find_route(r->method, r->path, &path_known, NULL);
    return rt->handler(r);
}

/* ---- serve_run ----------------------------------------------------------- */

static int is_loopback(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
    if (addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static struct MHD_Daemon *start_daemon(server *s, struct addrinfo *addr)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (addr->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    const serve_config *c = s->cfg;
    return MHD_start_daemon(flags, (uint16_t)c->port, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, addr->ai_addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256,
                            MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
                            MHD_OPTION_END);
}

static void *load_models(void *engine_ptr)
{
    engine_load_all(engine_ptr);
    return NULL;
}

int serve_run(const serve_config *c, volatile int *stop, serve_log_fn log, void *log_user)
{
    if (c->n_models == 0 && !c->models_dir) return fail("no model: give --model FILE or --models-dir DIR");
    server s = { .cfg = c, .log = log, .log_user = log_user, .started = now_seconds() };
    engine_options eopt = { c->parallel, c->ctx, c->queue, 0, c->memory_budget, c->max_prompt_tokens };
    if (engine_create(&eopt, &s.engine) != RG_OK) return -1;
    int status = 0;
    for (int i = 0; i < c->n_models && status == 0; i++)
        if (engine_add_model(s.engine, c->models[i]) != RG_OK) status = fail("%s", rg_last_error());
    if (status == 0 && c->models_dir && engine_add_models_dir(s.engine, c->models_dir) != RG_OK)
        status = fail("%s", rg_last_error());
    if (status == 0 && engine_model_count(s.engine) == 0) status = fail("%s: no model file in it", c->models_dir);
    struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM }, *addr = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    if (status == 0 && getaddrinfo(c->host, port, &hints, &addr) != 0) status = fail("cannot resolve host %s", c->host);
    if (status == 0 && c->rate_limit > 0) s.limiter = rate_limiter_new(c->rate_limit, c->n_keys);
    if (status == 0 && !(s.daemon = start_daemon(&s, addr)))
        status = fail("cannot listen on %s port %d (in use, or not an address of this machine)", c->host, c->port);
    if (status != 0) {
        if (addr) freeaddrinfo(addr);
        engine_free(s.engine);
        rate_limiter_free(s.limiter);
        return -1;
    }
    int loopback = is_loopback(addr->ai_addr);
    freeaddrinfo(addr);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s.daemon, MHD_DAEMON_INFO_BIND_PORT);
    log_line(&s, "{\"ts\":%.3f,\"event\":\"listening\",\"host\":\"%s\",\"port\":%u,\"parallel\":%d,\"models\":%d}",
             wall_clock(), c->host, info ? info->port : 0u, c->parallel, engine_model_count(s.engine));
    if (!loopback && c->n_keys == 0)
        log_line(&s, "{\"ts\":%.3f,\"event\":\"warning\",\"message\":\"listening on %s, not a loopback "
                     "address, with no API key: anyone who can reach it can use it\"}", wall_clock(), c->host);
    /* --model files load now, in the background (GET /health says
     * "loading" meanwhile); a --models-dir loads each on first use. */
    pthread_t loader;
    int loader_started = 0;
    if (c->n_models > 0) loader_started = pthread_create(&loader, NULL, load_models, s.engine) == 0;
    if (!loader_started) engine_set_ready(s.engine);

    while (!*stop) {
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    /* Graceful shutdown: refuse new requests (503), let streams finish for
     * the grace period, cancel the rest (their streams end), then close.
     * The listening socket stays open until MHD_stop_daemon: taking it away
     * earlier (MHD_quiesce_daemon) races with the thread pool's own epoll
     * bookkeeping, and libmicrohttpd aborts the process when it loses. */
    log_line(&s, "{\"ts\":%.3f,\"event\":\"shutdown\",\"grace_s\":%.1f}", wall_clock(), c->grace);
    __atomic_store_n(&s.draining, 1, __ATOMIC_RELEASE);
    if (loader_started) pthread_join(loader, NULL);
    engine_drain(s.engine, c->grace);
    /* Every job has ended; let the streams send their last chunks. */
    for (int i = 0; i < 100 && (__atomic_load_n(&s.suspended_count, __ATOMIC_ACQUIRE) > 0 ||
                                __atomic_load_n(&s.streams_open, __ATOMIC_ACQUIRE) > 0); i++) {
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    MHD_stop_daemon(s.daemon);
    engine_free(s.engine);
    rate_limiter_free(s.limiter);
    log_line(&s, "{\"ts\":%.3f,\"event\":\"stopped\"}", wall_clock());
    return 0;
}
