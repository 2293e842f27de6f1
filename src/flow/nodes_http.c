/*
 * nodes_http.c — `http_chat`: one chat completion from any OpenAI-compatible
 * server (`rustgpt serve`, llama.cpp's server, ollama, OpenAI itself).
 *
 *   {"type": "http_chat", "url": "http://127.0.0.1:8080/v1",
 *    "prompt": "{{question}}", "system": "Answer briefly.", "to": "answer",
 *    "model": "tiny", "temperature": 0, "max_tokens": 64, "timeout": 60,
 *    "api_key_env": "OPENAI_API_KEY"}
 *
 * It POSTs {"model", "messages": [system?, user], "temperature",
 * "max_tokens", "stream": false} to URL/chat/completions and stores
 * choices[0].message.content. HTTP is libcurl's (the request, TLS,
 * redirects, timeouts); the body is built and read with cJSON. A key, when
 * needed, comes from the environment variable named by api_key_env, never
 * from the flow file. A status other than 2xx is an error quoting the
 * server's own error message, so retries ("max_retries") can cover a
 * server that is still starting.
 */
#include "flow/flow_file.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_RESPONSE = 16 << 20 };

typedef struct {
    char *url, *prompt, *system, *model, *to, *api_key_env;
    double temperature, max_tokens, timeout;
} HttpChat;

static void http_free(void *user)
{
    HttpChat *h = user;
    if (!h) return;
    free(h->url);
    free(h->prompt);
    free(h->system);
    free(h->model);
    free(h->to);
    free(h->api_key_env);
    free(h);
}

static rg_status http_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const HttpChat *h = ctx->user;
    char *url = NULL, *prompt = NULL, *system = NULL;
    if (flow_render_template(h->url, ctx->store, &url) != 0 ||
        flow_render_template(h->prompt, ctx->store, &prompt) != 0 ||
        (h->system && flow_render_template(h->system, ctx->store, &system) != 0)) {
        free(url);
        free(prompt);
        return RG_ERR_NOT_FOUND;
    }
    *out = cJSON_CreateObject();
    cJSON_AddStringToObject(*out, "url", url);
    cJSON_AddStringToObject(*out, "prompt", prompt);
    if (system) cJSON_AddStringToObject(*out, "system", system);
    free(url);
    free(prompt);
    free(system);
    return RG_OK;
}

typedef struct {
    char *data;
    size_t len;
} Body;

static size_t collect_body(char *data, size_t size, size_t count, void *user)
{
    Body *b = user;
    size_t n = size * count;
    if (b->len + n > MAX_RESPONSE) return 0;          /* curl reports a write error */
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown) return 0;
    memcpy(grown + b->len, data, n);
    b->data = grown;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static char *request_body(const HttpChat *h, const cJSON *prep)
{
    cJSON *req = cJSON_CreateObject(), *msgs = cJSON_CreateArray();
    cJSON_AddStringToObject(req, "model", h->model ? h->model : "default");
    const cJSON *system = cJSON_GetObjectItem(prep, "system");
    if (system) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", system->valuestring);
        cJSON_AddItemToArray(msgs, m);
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", cJSON_GetObjectItem(prep, "prompt")->valuestring);
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddItemToObject(req, "messages", msgs);
    cJSON_AddNumberToObject(req, "temperature", h->temperature);
    if (h->max_tokens > 0) cJSON_AddNumberToObject(req, "max_tokens", h->max_tokens);
    cJSON_AddBoolToObject(req, "stream", 0);
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return text;
}

/* choices[0].message.content of a reply, or the server's error message. */
static rg_status read_reply(const Body *body, long status, cJSON **out)
{
    cJSON *reply = body->data ? cJSON_Parse(body->data) : NULL;
    const cJSON *choices = cJSON_GetObjectItem(reply, "choices");
    const cJSON *content = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(choices, 0), "message"),
                                               "content");
    rg_status st = RG_OK;
    if (status < 200 || status >= 300) {
        const cJSON *err = cJSON_GetObjectItem(reply, "error");
        const cJSON *msg = cJSON_IsObject(err) ? cJSON_GetObjectItem(err, "message") : err;
        fail("the server answered HTTP %ld%s%s", status, cJSON_IsString(msg) ? ": " : "",
             cJSON_IsString(msg) ? msg->valuestring : "");
        st = RG_ERR_IO;
    } else if (!cJSON_IsString(content)) {
        fail("the reply has no choices[0].message.content");
        st = RG_ERR_FORMAT;
    } else {
        *out = cJSON_CreateString(content->valuestring);
    }
    cJSON_Delete(reply);
    return st;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static rg_status http_exec(const rg_flow_ctx *ctx, const cJSON *prep, cJSON **out)
{
    const HttpChat *h = ctx->user;
    pthread_once(&curl_once, curl_start);
    char url[2048];
    const char *base = cJSON_GetObjectItem(prep, "url")->valuestring;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') n--;
    snprintf(url, sizeof url, "%.*s/chat/completions", (int)n, base);
    char *body = request_body(h, prep);
    CURL *curl = curl_easy_init();
    if (!body || !curl) {
        free(body);
        if (curl) curl_easy_cleanup(curl);
        return rg_flow_set_error(RG_ERR_NOMEM, "out of memory preparing the request");
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    const char *key = h->api_key_env ? getenv(h->api_key_env) : NULL;
    if (key && key[0]) {
        char auth[1024];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        headers = curl_slist_append(headers, auth);
    }
    Body reply = { 0 };
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(h->timeout * 1000));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    rg_status st;
    if (rc != CURLE_OK) {
        fail("%s: %s", url, curl_error[0] ? curl_error : curl_easy_strerror(rc));
        st = RG_ERR_IO;
    } else {
        st = read_reply(&reply, status, out);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(reply.data);
    cJSON_free(body);
    return st;
}

static rg_status http_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    return rg_flow_store_set(ctx->store, ((const HttpChat *)ctx->user)->to, exec);
}

static int build_http_chat(const FlowLoader *loader, rg_flow_graph *graph, const char *name, const cJSON *spec,
                           rg_flow_node **out)
{
    const char *url, *prompt, *system, *model, *to, *key_env;
    double temperature, max_tokens, timeout;
    if (spec_string(name, spec, "url", 1, &url) != 0 || spec_string(name, spec, "prompt", 1, &prompt) != 0 ||
        spec_string(name, spec, "to", 1, &to) != 0 || spec_string(name, spec, "system", 0, &system) != 0 ||
        spec_string(name, spec, "model", 0, &model) != 0 ||
        spec_string(name, spec, "api_key_env", 0, &key_env) != 0 ||
        spec_number(name, spec, "temperature", 0, 10, 0, &temperature) != 0 ||
        spec_number(name, spec, "max_tokens", 0, 1e6, 0, &max_tokens) != 0 ||
        spec_number(name, spec, "timeout", 0.001, 3600, 60, &timeout) != 0)
        return -1;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 && !flow_has_placeholder(url))
        return fail("node '%s': key 'url': '%s' is not an http:// or https:// address", name, url);
    HttpChat *h = xcalloc(1, sizeof *h);
    if (!h) return -1;
    h->url = xstrdup(url);
    h->prompt = xstrdup(prompt);
    h->to = xstrdup(to);
    h->system = system ? xstrdup(system) : NULL;
    h->model = model ? xstrdup(model) : NULL;
    h->api_key_env = key_env ? xstrdup(key_env) : NULL;
    h->temperature = temperature;
    h->max_tokens = max_tokens;
    h->timeout = timeout;
    static const rg_flow_ops ops = { .prep = http_prep, .exec = http_exec, .post = http_post,
                                     .free_user = http_free };
    if (!h->url || !h->prompt || !h->to || rg_flow_node_new(graph, name, RG_FLOW_NODE, &ops, h, out) != RG_OK) {
        http_free(h);
        return -1;
    }
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static const char *const http_keys[] = { "url", "prompt", "to", "system", "model", "api_key_env",
                                         "temperature", "max_tokens", "timeout", NULL };
const FlowNodeType flow_type_http_chat = { "http_chat", http_keys, build_http_chat };
