/*
 * routes_ollama.c — the Ollama API: /api/chat and /api/generate (NDJSON
 * streams by default, one object with "stream": false), /api/embed,
 * /api/tags, /api/show, /api/version. Errors are {"error": "..."}.
 */
#include "serve/http.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_MESSAGES 256

/* Ollama requires "model"; it must be a configured name. */
static int require_model(request *r, const gen_params *p, enum MHD_Result *result)
{
    if (p->model) return 0;
    *result = reply_error(r, 400, "invalid_request_error", "model is required");
    return -1;
}

enum MHD_Result route_ollama_chat(request *r)
{
    enum MHD_Result result;
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    gen_params p;
    rg_message msgs[MAX_MESSAGES];
    int n_msgs = 0, stream = 0;
    if (read_gen_params(r, body, 1, &p, &result) != 0 || require_model(r, &p, &result) != 0 ||
        read_messages(r, body, msgs, MAX_MESSAGES, &n_msgs, &result) != 0 ||
        (stream = read_stream_flag(r, body, 1, &result)) < 0) {
        cJSON_Delete(body);
        return result;
    }
    r->streaming = stream;
    engine_error err;
    char *prompt = engine_render_chat(r->srv->engine, p.model, msgs, n_msgs, &err);
    if (!prompt) {
        cJSON_Delete(body);
        return reply_engine_error(r, &err);
    }
    result = start_generation(r, &p, prompt, REPLY_OLLAMA_CHAT);
    free(prompt);
    cJSON_Delete(body);
    return result;
}

enum MHD_Result route_ollama_generate(request *r)
{
    enum MHD_Result result;
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    gen_params p;
    int stream = 0;
    if (read_gen_params(r, body, 1, &p, &result) != 0 || require_model(r, &p, &result) != 0 ||
        (stream = read_stream_flag(r, body, 1, &result)) < 0) {
        cJSON_Delete(body);
        return result;
    }
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(body, "prompt");
    if (!cJSON_IsString(prompt)) {
        cJSON_Delete(body);
        return reply_error(r, 400, "invalid_request_error", "'prompt' must be a string");
    }
    r->streaming = stream;
    result = start_generation(r, &p, prompt->valuestring, REPLY_OLLAMA_GENERATE);
    cJSON_Delete(body);
    return result;
}

enum MHD_Result route_ollama_embed(request *r)
{
    enum MHD_Result result;
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    gen_params p;
    const char **texts = NULL;
    int n = 0;
    if (read_gen_params(r, body, 1, &p, &result) != 0 || require_model(r, &p, &result) != 0 ||
        read_embed_inputs(r, body, "input", &texts, &n, &result) != 0) {
        cJSON_Delete(body);
        return result;
    }
    snprintf(r->model, sizeof r->model, "%s", p.model);
    engine_error err;
    int n_embd = 0;
    int64_t n_tokens = 0;
    float *vectors = engine_embed(r->srv->engine, p.model, texts, n, &n_embd, &n_tokens, &err);
    free(texts);
    cJSON_Delete(body);
    if (!vectors) return reply_engine_error(r, &err);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", r->model);
    cJSON *list = cJSON_AddArrayToObject(root, "embeddings");
    for (int i = 0; i < n; i++) {
        cJSON *vec = cJSON_CreateArray();
        for (int k = 0; k < n_embd; k++) cJSON_AddItemToArray(vec, cJSON_CreateNumber(vectors[(size_t)i * (size_t)n_embd + k]));
        cJSON_AddItemToArray(list, vec);
    }
    free(vectors);
    cJSON_AddNumberToObject(root, "prompt_eval_count", (double)n_tokens);
    return reply_json(r, 200, root);
}

static void add_time(cJSON *o, const char *name, double seconds)
{
    time_t t = (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[40];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(o, name, buf);
}

static cJSON *details(const engine_model_info *info)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "format", info->format[0] ? info->format : "rustgpt");
    cJSON_AddStringToObject(d, "family", info->arch[0] ? info->arch : "gpt");
    cJSON *families = cJSON_AddArrayToObject(d, "families");
    cJSON_AddItemToArray(families, cJSON_CreateString(info->arch[0] ? info->arch : "gpt"));
    char size[32];
    snprintf(size, sizeof size, "%.2fM", (double)info->n_params / 1e6);
    cJSON_AddStringToObject(d, "parameter_size", size);
    cJSON_AddStringToObject(d, "quantization_level", "F32");
    return d;
}

enum MHD_Result route_ollama_tags(request *r)
{
    engine *e = r->srv->engine;
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "models");
    for (int i = 0; i < engine_model_count(e); i++) {
        engine_model_info info;
        const char *name = engine_model_name(e, i);
        engine_model_describe(e, name, 0, &info, NULL);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "name", name);
        cJSON_AddStringToObject(m, "model", name);
        add_time(m, "modified_at", info.modified);
        cJSON_AddNumberToObject(m, "size", (double)info.file_bytes);
        cJSON_AddStringToObject(m, "digest", "");
        cJSON_AddItemToObject(m, "details", details(&info));
        cJSON_AddItemToArray(list, m);
    }
    return reply_json(r, 200, root);
}

enum MHD_Result route_ollama_show(request *r)
{
    enum MHD_Result result;
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!name) name = cJSON_GetObjectItemCaseSensitive(body, "name");
    if (!cJSON_IsString(name)) {
        cJSON_Delete(body);
        return reply_error(r, 400, "invalid_request_error", "model is required");
    }
    engine_model_info info;
    engine_error err;
    snprintf(r->model, sizeof r->model, "%s", name->valuestring);
    cJSON_Delete(body);
    if (engine_model_describe(r->srv->engine, r->model, 1, &info, &err) != 0) return reply_engine_error(r, &err);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "modelfile", "");
    cJSON_AddStringToObject(root, "parameters", "");
    cJSON_AddStringToObject(root, "template", "");
    cJSON_AddItemToObject(root, "details", details(&info));
    cJSON *mi = cJSON_AddObjectToObject(root, "model_info");
    const char *arch = info.arch[0] ? info.arch : "gpt";
    char key[64];
    cJSON_AddStringToObject(mi, "general.architecture", arch);
    cJSON_AddNumberToObject(mi, "general.parameter_count", (double)info.n_params);
    snprintf(key, sizeof key, "%s.context_length", arch);
    cJSON_AddNumberToObject(mi, key, info.n_ctx);
    snprintf(key, sizeof key, "%s.embedding_length", arch);
    cJSON_AddNumberToObject(mi, key, info.d_model);
    snprintf(key, sizeof key, "%s.block_count", arch);
    cJSON_AddNumberToObject(mi, key, info.n_layers);
    cJSON *caps = cJSON_AddArrayToObject(root, "capabilities");
    if (info.can_generate) cJSON_AddItemToArray(caps, cJSON_CreateString("completion"));
    if (info.n_embd > 0) cJSON_AddItemToArray(caps, cJSON_CreateString("embedding"));
    add_time(root, "modified_at", info.modified);
    return reply_json(r, 200, root);
}

enum MHD_Result route_ollama_version(request *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", rg_version());
    return reply_json(r, 200, root);
}
