/*
 * routes_openai.c — the OpenAI API: /v1/chat/completions, /v1/completions,
 * /v1/embeddings, /v1/models. The requests are read as the Ollama ones
 * are (routes_common.c); the replies take OpenAI's shapes.
 */
#include "serve/http.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum MHD_Result route_openai_chat(request *r)
{
    return serve_chat(r, REPLY_OPENAI_CHAT);
}

enum MHD_Result route_openai_completions(request *r)
{
    return serve_completion(r, REPLY_OPENAI_COMPLETION);
}

/* Little-endian float32 bytes in base64, as the openai client decodes them. */
static char *base64_floats(const float *v, int n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = (size_t)n * 4;
    unsigned char *bytes = malloc(len ? len : 1);
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!bytes || !out) { free(bytes); free(out); return NULL; }
    for (int i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int b = 0; b < 4; b++) bytes[i * 4 + b] = (unsigned char)(u >> (8 * b));
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t triple = (uint32_t)bytes[i] << 16 | (i + 1 < len ? (uint32_t)bytes[i + 1] << 8 : 0) |
                          (i + 2 < len ? bytes[i + 2] : 0);
        out[o++] = alphabet[triple >> 18 & 63];
        out[o++] = alphabet[triple >> 12 & 63];
        out[o++] = i + 1 < len ? alphabet[triple >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[triple & 63] : '=';
    }
    out[o] = 0;
    free(bytes);
    return out;
}

enum MHD_Result route_openai_embeddings(request *r)
{
    enum MHD_Result result;
    embed_reply e;
    cJSON *body = serve_embed(r, 0, &e, &result);
    if (!body) return result;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
    int base64 = cJSON_IsString(format) && strcmp(format->valuestring, "base64") == 0;
    int known = !format || cJSON_IsNull(format) || base64 ||
                (cJSON_IsString(format) && strcmp(format->valuestring, "float") == 0);
    cJSON_Delete(body);
    if (!known) {
        free(e.vectors);
        return reply_error(r, 400, "invalid_request_error", "'encoding_format' must be \"float\" or \"base64\"");
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (int i = 0; i < e.n; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "object", "embedding");
        cJSON_AddNumberToObject(item, "index", i);
        const float *row = e.vectors + (size_t)i * (size_t)e.n_embd;
        if (base64) {
            char *b64 = base64_floats(row, e.n_embd);
            cJSON_AddStringToObject(item, "embedding", b64 ? b64 : "");
            free(b64);
        } else {
            cJSON *vec = cJSON_AddArrayToObject(item, "embedding");
            for (int k = 0; k < e.n_embd; k++) cJSON_AddItemToArray(vec, cJSON_CreateNumber(row[k]));
        }
        cJSON_AddItemToArray(data, item);
    }
    free(e.vectors);
    cJSON_AddStringToObject(root, "model", r->model);
    cJSON *usage = cJSON_AddObjectToObject(root, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", (double)e.n_tokens);
    cJSON_AddNumberToObject(usage, "total_tokens", (double)e.n_tokens);
    return reply_json(r, 200, root);
}

enum MHD_Result route_openai_models(request *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    engine *e = r->srv->engine;
    for (int i = 0; i < engine_model_count(e); i++) {
        engine_model_info info;
        engine_model_describe(e, engine_model_name(e, i), 0, &info, NULL);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "id", engine_model_name(e, i));
        cJSON_AddStringToObject(m, "object", "model");
        cJSON_AddNumberToObject(m, "created", (double)(long long)info.modified);
        cJSON_AddStringToObject(m, "owned_by", "rustgpt");
        cJSON_AddItemToArray(data, m);
    }
    return reply_json(r, 200, root);
}
