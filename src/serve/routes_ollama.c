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

enum MHD_Result route_ollama_chat(request *r)
{
    return serve_chat(r, REPLY_OLLAMA_CHAT);
}

enum MHD_Result route_ollama_generate(request *r)
{
    return serve_completion(r, REPLY_OLLAMA_GENERATE);
}

enum MHD_Result route_ollama_embed(request *r)
{
    enum MHD_Result result;
    embed_reply e;
    cJSON *body = serve_embed(r, 1, &e, &result);
    if (!body) return result;
    cJSON_Delete(body);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", r->model);
    cJSON *list = cJSON_AddArrayToObject(root, "embeddings");
    for (int i = 0; i < e.n; i++) {
        cJSON *vec = cJSON_CreateArray();
        for (int k = 0; k < e.n_embd; k++)
            cJSON_AddItemToArray(vec, cJSON_CreateNumber(e.vectors[(size_t)i * (size_t)e.n_embd + k]));
        cJSON_AddItemToArray(list, vec);
    }
    free(e.vectors);
    cJSON_AddNumberToObject(root, "prompt_eval_count", (double)e.n_tokens);
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
