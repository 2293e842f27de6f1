/*
 * routes_openai.c — the OpenAI API: /v1/chat/completions, /v1/completions,
 * /v1/embeddings, /v1/models. Requests are checked field by field; the
 * chat's messages go through the model's chat template (rg_chat_render)
 * and then the same generation path as a plain completion.
 */
#include "serve/http.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define MAX_MESSAGES 256

enum MHD_Result route_openai_chat(request *r)
{
    enum MHD_Result result;
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    gen_params p;
    rg_message msgs[MAX_MESSAGES];
    int n_msgs = 0, stream = 0;
    if (read_gen_params(r, body, 0, &p, &result) != 0 || read_messages(r, body, msgs, MAX_MESSAGES, &n_msgs, &result) != 0 ||
        (stream = read_stream_flag(r, body, 0, &result)) < 0) {
        cJSON_Delete(body);
        return result;
    }
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    r->include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"));
    r->streaming = stream;
    engine_error err;
    char *prompt = engine_render_chat(r->srv->engine, p.model, msgs, n_msgs, &err);
    if (!prompt) {
        cJSON_Delete(body);
        return reply_engine_error(r, &err);
    }
    result = start_generation(r, &p, prompt, REPLY_OPENAI_CHAT);
    free(prompt);
    cJSON_Delete(body);
    return result;
}

enum MHD_Result route_openai_completions(request *r)
{
    enum MHD_Result result;
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    gen_params p;
    int stream = 0;
    if (read_gen_params(r, body, 0, &p, &result) != 0 || (stream = read_stream_flag(r, body, 0, &result)) < 0) {
        cJSON_Delete(body);
        return result;
    }
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(body, "prompt");
    if (cJSON_IsArray(prompt) && cJSON_GetArraySize(prompt) == 1) prompt = cJSON_GetArrayItem(prompt, 0);
    if (!cJSON_IsString(prompt)) {
        cJSON_Delete(body);
        return reply_error(r, 400, "invalid_request_error", "'prompt' must be a string");
    }
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    r->include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"));
    r->streaming = stream;
    result = start_generation(r, &p, prompt->valuestring, REPLY_OPENAI_COMPLETION);
    cJSON_Delete(body);
    return result;
}

int read_embed_inputs(request *r, const cJSON *body, const char *field, const char ***texts, int *n,
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
    cJSON *body = request_json(r, &result);
    if (!body) return result;
    gen_params p;
    const char **texts = NULL;
    int n = 0;
    if (read_gen_params(r, body, 0, &p, &result) != 0 || read_embed_inputs(r, body, "input", &texts, &n, &result) != 0) {
        cJSON_Delete(body);
        return result;
    }
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
    int base64 = 0;
    if (format && !cJSON_IsNull(format)) {
        if (!cJSON_IsString(format) || (strcmp(format->valuestring, "float") && strcmp(format->valuestring, "base64"))) {
            free(texts);
            cJSON_Delete(body);
            return reply_error(r, 400, "invalid_request_error", "'encoding_format' must be \"float\" or \"base64\"");
        }
        base64 = strcmp(format->valuestring, "base64") == 0;
    }
    snprintf(r->model, sizeof r->model, "%s", p.model ? p.model : engine_default_model(r->srv->engine));
    engine_error err;
    int n_embd = 0;
    int64_t n_tokens = 0;
    float *vectors = engine_embed(r->srv->engine, p.model, texts, n, &n_embd, &n_tokens, &err);
    free(texts);
    if (!vectors) {
        cJSON_Delete(body);
        return reply_engine_error(r, &err);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (int i = 0; i < n; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "object", "embedding");
        cJSON_AddNumberToObject(item, "index", i);
        const float *row = vectors + (size_t)i * (size_t)n_embd;
        if (base64) {
            char *b64 = base64_floats(row, n_embd);
            cJSON_AddStringToObject(item, "embedding", b64 ? b64 : "");
            free(b64);
        } else {
            cJSON *vec = cJSON_AddArrayToObject(item, "embedding");
            for (int k = 0; k < n_embd; k++) cJSON_AddItemToArray(vec, cJSON_CreateNumber(row[k]));
        }
        cJSON_AddItemToArray(data, item);
    }
    free(vectors);
    cJSON_AddStringToObject(root, "model", r->model);
    cJSON *usage = cJSON_AddObjectToObject(root, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", (double)n_tokens);
    cJSON_AddNumberToObject(usage, "total_tokens", (double)n_tokens);
    cJSON_Delete(body);
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
