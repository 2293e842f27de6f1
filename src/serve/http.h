/*
 * http.h — what the route handlers share: the per-request state, the server
 * they run in, and the reply helpers (JSON bodies, errors in OpenAI's or
 * Ollama's form, streamed replies of a generation job).
 *
 * A request lives from its first header to the end of its response. Its
 * body is gathered (up to max_body) before the handler runs. A handler
 * either queues a complete response or starts a job and lets
 * reply_start_job stream it (SSE or NDJSON) or wait for it (one JSON body):
 * the connection is suspended while nothing is ready and resumed by the
 * job's notify, so no HTTP thread ever sits waiting for the model.
 */
#ifndef RUSTGPT_SERVE_HTTP_H
#define RUSTGPT_SERVE_HTTP_H

#include "serve/engine.h"
#include "serve/server.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>

typedef struct server server;
typedef struct request request;

/* How a job's output is written. */
typedef enum {
    REPLY_OPENAI_CHAT, REPLY_OPENAI_COMPLETION, REPLY_OLLAMA_CHAT, REPLY_OLLAMA_GENERATE,
} reply_kind;

struct request {
    server *srv;
    struct MHD_Connection *conn;
    char id[20];                  /* request id: logs and the X-Request-Id header */
    char method[16];
    char path[128];               /* the URL path, cut at 127 bytes               */
    const char *route;            /* the matched route pattern, for metrics       */
    const char *allow;            /* the method the path takes (405's Allow)      */
    double started;
    int status;                   /* the status sent                              */
    int key_index;                /* which API key authenticated it (-1: none)    */
    char *body;
    size_t body_len, body_cap;
    int body_too_large, handled;
    int refs;                     /* MHD's completion + a streamed response       */
    /* a generation job */
    job *job;
    reply_kind kind;
    int streaming, include_usage;
    char model[128];
    char reply_id[40];
    long created;
    size_t text_sent;             /* bytes of the job's text already formatted    */
    int sent_first, sent_last;
    char *out;                    /* formatted bytes not yet handed to MHD        */
    size_t out_len, out_off, out_cap;
    job_state last_state;
    /* suspension: the job's notify resumes a suspended connection */
    pthread_mutex_t wake_lock;
    int suspended, woken;
};

struct server {
    const serve_config *cfg;
    engine *engine;
    struct MHD_Daemon *daemon;
    serve_log_fn log;
    void *log_user;
    double started;
    int suspended_count;          /* connections suspended now (atomic)           */
    int streams_open;             /* streamed responses not yet finished (atomic) */
    int draining;                 /* shutting down: new requests get 503 (atomic) */
    struct rate_limiter *limiter;
};

/* A reply whose body is the JSON of obj (consumed). Returns MHD's result. */
enum MHD_Result reply_json(request *r, unsigned status, cJSON *obj);
enum MHD_Result reply_text(request *r, unsigned status, const char *content_type, const char *body,
                           size_t len, enum MHD_ResponseMemoryMode mode);
/* An error in the route family's form: OpenAI's {"error":{"message","type",
 * "param","code"}} or Ollama's {"error": message}. */
enum MHD_Result reply_error(request *r, unsigned status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum MHD_Result reply_engine_error(request *r, const engine_error *err);
/* Answer a job: stream it when r->streaming, else one JSON body when done. */
enum MHD_Result reply_start_job(request *r);
/* Called again when a suspended non-streaming request is resumed. */
enum MHD_Result reply_resume_job(request *r);
/* Wake r if suspended (the job's notify). */
void request_wake(void *request_ptr);
/* Release a request reference; frees it with the last one. */
void request_unref(request *r);

/* Parse r's body as a JSON object, or reply 400 and return NULL. */
cJSON *request_json(request *r, enum MHD_Result *result);

/* The routes (routes_*.c). */
enum MHD_Result route_openai_chat(request *r);
enum MHD_Result route_openai_completions(request *r);
enum MHD_Result route_openai_embeddings(request *r);
enum MHD_Result route_openai_models(request *r);
enum MHD_Result route_ollama_chat(request *r);
enum MHD_Result route_ollama_generate(request *r);
enum MHD_Result route_ollama_embed(request *r);
enum MHD_Result route_ollama_tags(request *r);
enum MHD_Result route_ollama_show(request *r);
enum MHD_Result route_ollama_version(request *r);
enum MHD_Result route_health(request *r);
enum MHD_Result route_metrics(request *r);
enum MHD_Result route_page(request *r);

/* Shared request-field readers (routes_common.c): each returns 0, or replies
 * 400 through *result and returns -1. */
typedef struct {
    rg_sampling sampling;
    const char *stop[8];
    int n_stop;
    int ignore_eos;                 /* llama.cpp's extension: generate max_tokens */
    const char *model;
} gen_params;
int read_gen_params(request *r, const cJSON *body, int ollama, gen_params *p, enum MHD_Result *result);
int read_stream_flag(request *r, const cJSON *body, int dflt, enum MHD_Result *result);
int read_messages(request *r, const cJSON *body, rg_message *msgs, int cap, int *n, enum MHD_Result *result);
enum MHD_Result start_generation(request *r, const gen_params *p, const char *prompt, reply_kind kind);
#define MAX_MESSAGES 256

/* The requests both APIs make, read alike and answered in kind's form. */
enum MHD_Result serve_chat(request *r, reply_kind kind);
enum MHD_Result serve_completion(request *r, reply_kind kind);
typedef struct {
    float *vectors;                 /* [n, n_embd], the caller frees */
    int n, n_embd;
    int64_t n_tokens;
} embed_reply;
cJSON *serve_embed(request *r, int ollama, embed_reply *out, enum MHD_Result *result);

/* ---- auth.c ------------------------------------------------------------- */
/* Index of the key in "Authorization: Bearer KEY" (constant-time), or -1. */
int auth_check(const serve_config *cfg, const char *authorization);
struct rate_limiter *rate_limiter_new(int per_minute, int n_keys);
void rate_limiter_free(struct rate_limiter *l);
/* 1 when key_index (-1: anonymous) may make a request now; else 0 and
 * *retry_after gets seconds to wait. */
int rate_limiter_take(struct rate_limiter *l, int key_index, int *retry_after);

#endif
