/*
 * routes_common.c — reading the sampling fields both APIs share, with every
 * value's type and range checked: a wrong type, a negative max_tokens or a
 * number too large for its field is a 400, never a clamp or a crash; and the
 * chat, completion and embedding requests, which the OpenAI and Ollama routes
 * read the same way and answer each in its own form.
 */
#include "serve/http.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number field within [min, max] (absent: *out unchanged). */
static int read_number(request *r, const cJSON *obj, const char *name, double min, double max,
                       int integer, double *out, enum MHD_Result *result)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!item || cJSON_IsNull(item)) return 0;
    double v = item->valuedouble;
    if (!cJSON_IsNumber(item) || !isfinite(v) || v < min || v > max || (integer && v != floor(v))) {
        *result = reply_error(r, 400, "invalid_request_error", "'%s' must be %s in [%g, %g]", name,
                              integer ? "a whole number" : "a number", min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int read_gen_params(request *r, const cJSON *body, int ollama, gen_params *p, enum MHD_Result *result)
{
    const serve_config *cfg = r->srv->cfg;
    memset(p, 0, sizeof *p);
    p->sampling = rg_sampling_default();
    p->sampling.temperature = ollama ? 0.8f : 1.0f;
    p->sampling.top_p = 1.0f;
    p->sampling.top_k = 0;
    p->sampling.repeat_penalty = 1.0f;
    p->sampling.max_tokens = cfg->max_tokens < 256 ? cfg->max_tokens : 256;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (model && !cJSON_IsNull(model)) {
        if (!cJSON_IsString(model) || strlen(model->valuestring) >= 128) {
            *result = reply_error(r, 400, "invalid_request_error", "'model' must be a model name");
            return -1;
        }
        p->model = model->valuestring;
    }
    /* OpenAI puts the settings at the top level; Ollama under "options". */
    const cJSON *opts = body;
    if (ollama) {
        opts = cJSON_GetObjectItemCaseSensitive(body, "options");
        if (opts && !cJSON_IsNull(opts) && !cJSON_IsObject(opts)) {
            *result = reply_error(r, 400, "invalid_request_error", "'options' must be an object");
            return -1;
        }
        if (!cJSON_IsObject(opts)) opts = NULL;
    }
    if (!opts) return 0;
    double temperature = p->sampling.temperature, top_p = p->sampling.top_p, top_k = 0, seed = -1;
    double max_tokens = p->sampling.max_tokens, repeat = 1, n = 1;
    const char *max_name = ollama ? "num_predict" : "max_tokens";
    if (read_number(r, opts, "temperature", 0, 2, 0, &temperature, result) ||
        read_number(r, opts, "top_p", 0, 1, 0, &top_p, result) ||
        read_number(r, opts, "top_k", 0, 1 << 20, 1, &top_k, result) ||
        read_number(r, opts, "seed", 0, 9007199254740991.0, 1, &seed, result) ||
        read_number(r, opts, "repeat_penalty", 0.01, 10, 0, &repeat, result) ||
        (!ollama && read_number(r, opts, "max_completion_tokens", 1, cfg->max_tokens, 1, &max_tokens, result)) ||
        read_number(r, opts, max_name, 1, cfg->max_tokens, 1, &max_tokens, result) ||
        (!ollama && read_number(r, opts, "n", 1, 1, 1, &n, result)))
        return -1;
    if (top_p == 0) top_p = 1;
    p->sampling.temperature = (float)temperature;
    p->sampling.top_p = (float)top_p;
    p->sampling.top_k = (int32_t)top_k;
    p->sampling.repeat_penalty = (float)repeat;
    p->sampling.max_tokens = (int32_t)max_tokens;
    if (seed >= 0) p->sampling.seed = (uint64_t)seed;
    const cJSON *ignore = cJSON_GetObjectItemCaseSensitive(opts, "ignore_eos");
    if (ignore && !cJSON_IsBool(ignore)) {
        *result = reply_error(r, 400, "invalid_request_error", "'ignore_eos' must be true or false");
        return -1;
    }
    p->ignore_eos = cJSON_IsTrue(ignore);
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(opts, "stop");
    if (cJSON_IsString(stop)) {
        p->stop[p->n_stop++] = stop->valuestring;
    } else if (cJSON_IsArray(stop)) {
        const cJSON *each;
        cJSON_ArrayForEach(each, stop) {
            if (!cJSON_IsString(each) || p->n_stop == 8 || strlen(each->valuestring) > 256) {
                *result = reply_error(r, 400, "invalid_request_error", "'stop' must be up to 8 strings");
                return -1;
            }
            p->stop[p->n_stop++] = each->valuestring;
        }
    } else if (stop && !cJSON_IsNull(stop)) {
        *result = reply_error(r, 400, "invalid_request_error", "'stop' must be a string or an array of strings");
        return -1;
    }
    return 0;
}

/* "stream": absent gives dflt; anything but a boolean is a 400. */
int read_stream_flag(request *r, const cJSON *body, int dflt, enum MHD_Result *result)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(body, "stream");
    if (!s || cJSON_IsNull(s)) return dflt;
    if (!cJSON_IsBool(s)) {
        *result = reply_error(r, 400, "invalid_request_error", "'stream' must be true or false");
        return -1;
    }
    return cJSON_IsTrue(s);
}

/* Read a "messages" array into msgs (pointing into body); -1 after a 400. */
int read_messages(request *r, const cJSON *body, rg_message *msgs, int cap, int *n, enum MHD_Result *result)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "messages");
    *n = 0;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
        *result = reply_error(r, 400, "invalid_request_error", "'messages' must be a non-empty array");
        return -1;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, list) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (*n == cap) {
            *result = reply_error(r, 400, "invalid_request_error", "more than %d messages", cap);
            return -1;
        }
        if (!cJSON_IsString(role) || (strcmp(role->valuestring, "system") && strcmp(role->valuestring, "user") &&
                                      strcmp(role->valuestring, "assistant") && strcmp(role->valuestring, "developer"))) {
            *result = reply_error(r, 400, "invalid_request_error",
                                  "each message needs a role: system, user or assistant");
            return -1;
        }
        const char *text = NULL;
        if (cJSON_IsString(content)) {
            text = content->valuestring;
        } else if (cJSON_IsArray(content)) {          /* [{"type":"text","text":...}] */
            const cJSON *part = cJSON_GetArrayItem(content, 0);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
            if (cJSON_GetArraySize(content) == 1 && cJSON_IsString(t)) text = t->valuestring;
        }
        if (!text) {
            *result = reply_error(r, 400, "invalid_request_error", "each message needs text content");
            return -1;
        }
        msgs[*n].role = strcmp(role->valuestring, "developer") == 0 ? "system" : role->valuestring;
        msgs[*n].content = text;
        (*n)++;
    }
    return 0;
}

/* Submit the job described by p and prompt, and answer it. */
enum MHD_Result start_generation(request *r, const gen_params *p, const char *prompt, reply_kind kind)
{
    job_request jr = { p->model, prompt, p->sampling, p->stop, p->n_stop, p->ignore_eos };
    engine_error err;
    r->kind = kind;
    snprintf(r->model, sizeof r->model, "%s", p->model ? p->model : engine_default_model(r->srv->engine));
    if (engine_submit(r->srv->engine, &jr, request_wake, r, &r->job, &err) != 0) {
        r->streaming = 0;
        return reply_engine_error(r, &err);
    }
    return reply_start_job(r);
}

static int is_ollama(reply_kind kind)
{
    return kind == REPLY_OLLAMA_CHAT || kind == REPLY_OLLAMA_GENERATE;
}

/* What a chat and a completion request share: the sampling fields, the
 * model (Ollama requires one, and it must be configured) and the stream flag
 * (Ollama streams by default, OpenAI does not). NULL once a 400 is answered. */
static cJSON *read_generation_request(request *r, reply_kind kind, gen_params *p, int *stream,
                                      enum MHD_Result *result)
{
    int ollama = is_ollama(kind);
    cJSON *body = request_json(r, result);
    if (!body) return NULL;
    if (read_gen_params(r, body, ollama, p, result) != 0) goto fail;
    if (ollama && !p->model) {
        *result = reply_error(r, 400, "invalid_request_error", "model is required");
        goto fail;
    }
    if ((*stream = read_stream_flag(r, body, ollama, result)) < 0) goto fail;
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    r->include_usage = !ollama && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"));
    return body;
fail:
    cJSON_Delete(body);
    return NULL;
}

/* /v1/chat/completions and /api/chat: the messages go through the model's
 * chat template (rg_chat_render) and then the path of a plain completion. */
enum MHD_Result serve_chat(request *r, reply_kind kind)
{
    enum MHD_Result result;
    gen_params p;
    rg_message msgs[MAX_MESSAGES];
    int n_msgs = 0, stream = 0;
    cJSON *body = read_generation_request(r, kind, &p, &stream, &result);
    if (!body) return result;
    if (read_messages(r, body, msgs, MAX_MESSAGES, &n_msgs, &result) != 0) {
        cJSON_Delete(body);
        return result;
    }
    r->streaming = stream;
    engine_error err;
    char *prompt = engine_render_chat(r->srv->engine, p.model, msgs, n_msgs, &err);
    result = prompt ? start_generation(r, &p, prompt, kind) : reply_engine_error(r, &err);
    free(prompt);
    cJSON_Delete(body);
    return result;
}

/* /v1/completions and /api/generate: a "prompt" string (OpenAI also takes
 * an array of one string). */
enum MHD_Result serve_completion(request *r, reply_kind kind)
{
    enum MHD_Result result;
    gen_params p;
    int stream = 0;
    cJSON *body = read_generation_request(r, kind, &p, &stream, &result);
    if (!body) return result;
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(body, "prompt");
    if (!is_ollama(kind) && cJSON_IsArray(prompt) && cJSON_GetArraySize(prompt) == 1)
        prompt = cJSON_GetArrayItem(prompt, 0);
    if (!cJSON_IsString(prompt)) {
        cJSON_Delete(body);
        return reply_error(r, 400, "invalid_request_error", "'prompt' must be a string");
    }
    r->streaming = stream;
    result = start_generation(r, &p, prompt->valuestring, kind);
    cJSON_Delete(body);
    return result;
}

/* Texts of an embedding request's "input" (a string or an array of strings),
 * pointing into body: count in *n. */
static int read_embed_inputs(request *r, const cJSON *body, const char *field, const char ***texts, int *n,
                      enum MHD_Result *result)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(body, field);
    *n = 0;
    *texts = NULL;
    int count = cJSON_IsString(input) ? 1 : cJSON_IsArray(input) ? cJSON_GetArraySize(input) : -1;
    if (count < 1 || count > 2048) {
        *result = reply_error(r, 400, "invalid_request_error", "'%s' must be a string or 1 to 2048 strings", field);
        return -1;
    }
    *texts = malloc((size_t)count * sizeof **texts);
    if (!*texts) {
        *result = reply_error(r, 500, "server_error", "out of memory");
        return -1;
    }
    if (cJSON_IsString(input)) {
        (*texts)[0] = input->valuestring;
    } else {
        const cJSON *each;
        cJSON_ArrayForEach(each, input) {
            if (!cJSON_IsString(each)) {
                free(*texts);
                *texts = NULL;
                *result = reply_error(r, 400, "invalid_request_error", "'%s' must hold strings only", field);
                return -1;
            }
            (*texts)[(*n)++] = each->valuestring;
        }
    }
    *n = count;
    return 0;
}

/* /v1/embeddings and /api/embed: the model (which Ollama requires) and the
 * "input" strings, embedded into out. Returns the request body, for the
 * fields of the caller's own API, or NULL once an error is answered. */
cJSON *serve_embed(request *r, int ollama, embed_reply *out, enum MHD_Result *result)
{
    cJSON *body = request_json(r, result);
    if (!body) return NULL;
    gen_params p;
    const char **texts = NULL;
    if (read_gen_params(r, body, ollama, &p, result) != 0) goto fail;
    if (ollama && !p.model) {
        *result = reply_error(r, 400, "invalid_request_error", "model is required");
        goto fail;
    }
    if (read_embed_inputs(r, body, "input", &texts, &out->n, result) != 0) goto fail;
    snprintf(r->model, sizeof r->model, "%s", p.model ? p.model : engine_default_model(r->srv->engine));
    engine_error err;
    out->vectors = engine_embed(r->srv->engine, p.model, texts, out->n, &out->n_embd, &out->n_tokens, &err);
    free(texts);
    if (!out->vectors) {
        *result = reply_engine_error(r, &err);
        goto fail;
    }
    return body;
fail:
    cJSON_Delete(body);
    return NULL;
}
