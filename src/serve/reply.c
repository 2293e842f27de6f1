/*
 * reply.c — responses: JSON bodies, errors in the two APIs' forms, and the
 * answer to a generation job, streamed or whole.
 *
 * Streaming uses a content-reader response: MHD asks for bytes when the
 * socket can take them; the reader formats whatever text the job has made
 * since last time into one chunk (an SSE "data: {...}\n\n" event or an
 * NDJSON line) and, when there is nothing yet, suspends the connection. The
 * job's notify (called by the scheduler after each token) resumes it. The
 * "woken" flag closes the race between "nothing to send" and suspending.
 */
#include "serve/http.h"
#include "serve/metrics.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void add_common_headers(request *r, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (r->srv->cfg->cors) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->srv->cfg->cors);
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    }
}

static enum MHD_Result queue(request *r, unsigned status, struct MHD_Response *resp)
{
    if (!resp) return MHD_NO;
    add_common_headers(r, resp);
    if (status == 503 || status == 429) MHD_add_response_header(resp, "Retry-After", "1");
    if (status == 405 && r->allow) MHD_add_response_header(resp, "Allow", r->allow);
    r->status = (int)status;
    enum MHD_Result result = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return result;
}

enum MHD_Result reply_text(request *r, unsigned status, const char *content_type, const char *body,
                           size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (resp) MHD_add_response_header(resp, "Content-Type", content_type);
    return queue(r, status, resp);
}

enum MHD_Result reply_json(request *r, unsigned status, cJSON *obj)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (!text) return reply_text(r, 500, "application/json", "{\"error\":\"out of memory\"}", 25,
                                 MHD_RESPMEM_PERSISTENT);
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    return queue(r, status, resp);
}

static int is_ollama(const request *r) { return strncmp(r->path, "/api/", 5) == 0; }

static cJSON *error_object(const request *r, const char *type, const char *message)
{
    cJSON *root = cJSON_CreateObject();
    if (is_ollama(r)) {
        cJSON_AddStringToObject(root, "error", message);
        return root;
    }
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(err, "message", message);
    cJSON_AddStringToObject(err, "type", type);
    cJSON_AddNullToObject(err, "param");
    if (strcmp(type, "rate_limit_exceeded") == 0 || strcmp(type, "invalid_api_key") == 0)
        cJSON_AddStringToObject(err, "code", type);
    else
        cJSON_AddNullToObject(err, "code");
    return root;
}

enum MHD_Result reply_error(request *r, unsigned status, const char *type, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (status == 401) type = "invalid_api_key";
    return reply_json(r, status, error_object(r, type, message));
}

enum MHD_Result reply_engine_error(request *r, const engine_error *err)
{
    return reply_error(r, (unsigned)err->http_status, err->type ? err->type : "server_error", "%s", err->message);
}

cJSON *request_json(request *r, enum MHD_Result *result)
{
    cJSON *body = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        *result = reply_error(r, 400, "invalid_request_error", "the body must be a JSON object");
        return NULL;
    }
    return body;
}

/* ---- waking suspended connections ---------------------------------------- */

void request_wake(void *request_ptr)
{
    request *r = request_ptr;
    pthread_mutex_lock(&r->wake_lock);
    r->woken = 1;
    if (r->suspended) {
        r->suspended = 0;
        __atomic_sub_fetch(&r->srv->suspended_count, 1, __ATOMIC_ACQ_REL);
        MHD_resume_connection(r->conn);
    }
    pthread_mutex_unlock(&r->wake_lock);
}

/* Suspend r unless it was woken since woken was last cleared. */
static void suspend_unless_woken(request *r)
{
    pthread_mutex_lock(&r->wake_lock);
    if (!r->woken) {
        r->suspended = 1;
        __atomic_add_fetch(&r->srv->suspended_count, 1, __ATOMIC_ACQ_REL);
        MHD_suspend_connection(r->conn);
    }
    pthread_mutex_unlock(&r->wake_lock);
}

static void clear_woken(request *r)
{
    pthread_mutex_lock(&r->wake_lock);
    r->woken = 0;
    pthread_mutex_unlock(&r->wake_lock);
}

/* ---- formatting a job's output -------------------------------------------- */

static const char *finish_reason(const job_state *st)
{
    if (!st->finish_reason || strcmp(st->finish_reason, "cancelled") == 0) return "stop";
    return st->finish_reason;
}

static void iso_time(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static cJSON *usage_object(const job_state *st)
{
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "prompt_tokens", st->n_prompt);
    cJSON_AddNumberToObject(u, "completion_tokens", st->n_generated);
    cJSON_AddNumberToObject(u, "total_tokens", st->n_prompt + st->n_generated);
    return u;
}

static void add_ollama_counts(cJSON *o, const job_state *st)
{
    double gen_s = st->total_s - st->ttft_s;
    cJSON_AddStringToObject(o, "done_reason", finish_reason(st));
    cJSON_AddNumberToObject(o, "total_duration", (double)(long long)(st->total_s * 1e9));
    cJSON_AddNumberToObject(o, "load_duration", 0);
    cJSON_AddNumberToObject(o, "prompt_eval_count", st->n_prompt);
    cJSON_AddNumberToObject(o, "prompt_eval_duration", (double)(long long)(st->ttft_s * 1e9));
    cJSON_AddNumberToObject(o, "eval_count", st->n_generated);
    cJSON_AddNumberToObject(o, "eval_duration", (double)(long long)((gen_s > 0 ? gen_s : 0) * 1e9));
}

/* One piece of a reply: the JSON of a chunk carrying text[0..len) (final:
 * the last chunk, with the finish reason and counts). For a whole reply,
 * text is everything and final is 1. */
static cJSON *reply_object(request *r, const char *text, size_t len, int final, const job_state *st)
{
    char *piece = malloc(len + 1);
    if (!piece) return NULL;
    memcpy(piece, text, len);
    piece[len] = 0;
    cJSON *o = cJSON_CreateObject();
    char now[40];
    switch (r->kind) {
    case REPLY_OPENAI_CHAT:
    case REPLY_OPENAI_COMPLETION: {
        int chat = r->kind == REPLY_OPENAI_CHAT;
        cJSON_AddStringToObject(o, "id", r->reply_id);
        cJSON_AddStringToObject(o, "object", chat ? (r->streaming ? "chat.completion.chunk" : "chat.completion")
                                                  : "text_completion");
        cJSON_AddNumberToObject(o, "created", (double)r->created);
        cJSON_AddStringToObject(o, "model", r->model);
        cJSON *choices = cJSON_AddArrayToObject(o, "choices");
        cJSON *c = cJSON_CreateObject();
        cJSON_AddItemToArray(choices, c);
        cJSON_AddNumberToObject(c, "index", 0);
        if (chat) {
            cJSON *m = cJSON_AddObjectToObject(c, r->streaming ? "delta" : "message");
            if (!r->streaming || !r->sent_first) cJSON_AddStringToObject(m, "role", "assistant");
            if (!r->streaming || len || !r->sent_first) cJSON_AddStringToObject(m, "content", piece);
        } else {
            cJSON_AddStringToObject(c, "text", piece);
            cJSON_AddNullToObject(c, "logprobs");
        }
        if (final) cJSON_AddStringToObject(c, "finish_reason", finish_reason(st));
        else cJSON_AddNullToObject(c, "finish_reason");
        if (!r->streaming) cJSON_AddItemToObject(o, "usage", usage_object(st));
        break;
    }
    case REPLY_OLLAMA_CHAT:
    case REPLY_OLLAMA_GENERATE:
        iso_time(now, sizeof now);
        cJSON_AddStringToObject(o, "model", r->model);
        cJSON_AddStringToObject(o, "created_at", now);
        if (r->kind == REPLY_OLLAMA_CHAT) {
            cJSON *m = cJSON_AddObjectToObject(o, "message");
            cJSON_AddStringToObject(m, "role", "assistant");
            cJSON_AddStringToObject(m, "content", piece);
        } else {
            cJSON_AddStringToObject(o, "response", piece);
        }
        cJSON_AddBoolToObject(o, "done", final);
        if (final) add_ollama_counts(o, st);
        break;
    }
    free(piece);
    return o;
}

/* Append obj (consumed) to r->out framed for the stream. */
static int out_append(request *r, cJSON *obj, const char *raw)
{
    char *json = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    const char *body = raw ? raw : json;
    if (!body) return -1;
    int sse = r->kind == REPLY_OPENAI_CHAT || r->kind == REPLY_OPENAI_COMPLETION;
    size_t need = strlen(body) + 16;
    if (r->out_len + need > r->out_cap) {
        size_t cap = (r->out_len + need) * 2;
        char *grown = realloc(r->out, cap);
        if (!grown) { free(json); return -1; }
        r->out = grown;
        r->out_cap = cap;
    }
    r->out_len += (size_t)snprintf(r->out + r->out_len, r->out_cap - r->out_len, sse ? "data: %s\n\n" : "%s\n", body);
    free(json);
    return 0;
}

/* Turn what the job made since last time into stream chunks in r->out.
 * Returns 1 when the stream is complete (everything formatted). */
static int format_progress(request *r)
{
    char text[4096];
    size_t n = 0;
    job_state st;
    int finished = job_read(r->job, r->text_sent, text, sizeof text, &n, &st);
    r->last_state = st;
    if (n || (!r->sent_first && (r->kind == REPLY_OPENAI_CHAT))) {
        if (out_append(r, reply_object(r, text, n, 0, &st), NULL) != 0) return -1;
        r->text_sent += n;
        r->sent_first = 1;
    }
    if (!finished) return 0;
    int sse = r->kind == REPLY_OPENAI_CHAT || r->kind == REPLY_OPENAI_COMPLETION;
    if (st.finish_reason && strcmp(st.finish_reason, "error") == 0 && sse) {
        cJSON *err = error_object(r, "server_error", st.error[0] ? st.error : "generation failed");
        out_append(r, err, NULL);
    }
    out_append(r, reply_object(r, "", 0, 1, &st), NULL);
    if (sse && r->include_usage) {
        cJSON *o = reply_object(r, "", 0, 1, &st);
        cJSON_ReplaceItemInObject(o, "choices", cJSON_CreateArray());
        cJSON_AddItemToObject(o, "usage", usage_object(&st));
        out_append(r, o, NULL);
    }
    if (sse) out_append(r, NULL, "[DONE]");
    r->sent_last = 1;
    return 1;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    request *r = cls;
    for (int tries = 0; tries < 2; tries++) {
        if (r->out_off < r->out_len) {
            size_t n = r->out_len - r->out_off;
            if (n > max) n = max;
            memcpy(buf, r->out + r->out_off, n);
            r->out_off += n;
            if (r->out_off == r->out_len) r->out_off = r->out_len = 0;
            return (ssize_t)n;
        }
        if (r->sent_last) return MHD_CONTENT_READER_END_OF_STREAM;
        if (!r->job) return MHD_CONTENT_READER_END_WITH_ERROR;
        clear_woken(r);
        if (format_progress(r) < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (r->out_off < r->out_len || r->sent_last) return 0;  /* called again at once */
    suspend_unless_woken(r);
    return 0;
}

static void stream_done(void *cls)
{
    request *r = cls;
    __atomic_sub_fetch(&r->srv->streams_open, 1, __ATOMIC_ACQ_REL);
    request_unref(r);
}

static void set_reply_identity(request *r)
{
    const char *prefix = r->kind == REPLY_OPENAI_CHAT ? "chatcmpl-" : "cmpl-";
    snprintf(r->reply_id, sizeof r->reply_id, "%s%s", prefix, r->id);
    r->created = (long)time(NULL);
}

enum MHD_Result reply_start_job(request *r)
{
    set_reply_identity(r);
    if (!r->streaming) {
        clear_woken(r);
        return reply_resume_job(r);
    }
    __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);       /* the response's reference */
    __atomic_add_fetch(&r->srv->streams_open, 1, __ATOMIC_ACQ_REL);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, r,
                                                                  stream_done);
    if (!resp) {
        stream_done(r);
        return MHD_NO;
    }
    int sse = r->kind == REPLY_OPENAI_CHAT || r->kind == REPLY_OPENAI_COMPLETION;
    MHD_add_response_header(resp, "Content-Type", sse ? "text/event-stream" : "application/x-ndjson");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");      /* nginx: pass chunks through */
    return queue(r, 200, resp);
}

enum MHD_Result reply_resume_job(request *r)
{
    size_t n = 0;
    job_state st;
    clear_woken(r);
    job_read(r->job, 0, NULL, 0, &n, &st);
    if (!st.done) {
        suspend_unless_woken(r);
        return MHD_YES;
    }
    r->last_state = st;
    if (st.finish_reason && strcmp(st.finish_reason, "error") == 0)
        return reply_error(r, 500, "server_error", "generation failed: %s", st.error);
    char *text = NULL;
    size_t cap = 0, len = 0;
    for (;;) {                               /* the job is done: its text is final */
        size_t got = 0;
        char *grown = realloc(text, cap + 4096 + 1);
        if (!grown) { free(text); return MHD_NO; }
        text = grown;
        cap += 4096;
        job_read(r->job, len, text + len, 4096, &got, NULL);
        len += got;
        if (got < 4096) break;
    }
    cJSON *o = reply_object(r, text, len, 1, &st);
    free(text);
    return reply_json(r, 200, o);
}
