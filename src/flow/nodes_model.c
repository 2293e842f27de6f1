/*
 * nodes_model.c — the node types that use a model, through the public API
 * (rustgpt.h) like any other program would: `generate` and `embed`, and the
 * model cache they share.
 *
 *   {"type": "generate", "prompt": "Q: {{question}} A:", "to": "answer",
 *    "model": "models/tiny.bin", "temperature": 0, "max_tokens": 40,
 *    "stop": ["\n"], "chat": false, "system": "..."}
 *   {"type": "embed", "from": "documents", "to": "vectors"}
 *
 * A model is read-only once loaded and may be shared by threads (rustgpt.h),
 * so each file is loaded once per flow run, on first use, under a mutex;
 * each exec makes its own context (KV cache and scratch), which is what
 * lets a parallel map run generate on several items at once. "model" may
 * hold placeholders ({{model}}, set with --set); without it the node uses
 * the --model of the command line. With "chat": true the prompt becomes a
 * user turn (after "system", when given) rendered with the model's chat
 * template by rg_chat_render.
 */
#include "flow/flow_file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model cache -------------------------------------------------------- */

struct ModelCache {
    pthread_mutex_t lock;
    char **paths;
    rg_model **models;
    int n;
};

int model_cache_new(ModelCache **out)
{
    *out = xcalloc(1, sizeof **out);
    if (!*out) return -1;
    pthread_mutex_init(&(*out)->lock, NULL);
    return 0;
}

void model_cache_free(ModelCache *cache)
{
    if (!cache) return;
    for (int i = 0; i < cache->n; i++) {
        rg_model_free(cache->models[i]);
        free(cache->paths[i]);
    }
    free(cache->paths);
    free(cache->models);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

/* The model of path, loaded on first use. */
static rg_status model_cache_get(ModelCache *cache, const char *path, rg_model **out)
{
    rg_status st = RG_OK;
    pthread_mutex_lock(&cache->lock);
    *out = NULL;
    for (int i = 0; i < cache->n && !*out; i++)
        if (strcmp(cache->paths[i], path) == 0) *out = cache->models[i];
    if (!*out) {
        char **paths = realloc(cache->paths, (size_t)(cache->n + 1) * sizeof *paths);
        if (paths) cache->paths = paths;
        rg_model **models = realloc(cache->models, (size_t)(cache->n + 1) * sizeof *models);
        if (models) cache->models = models;
        if (!paths || !models) st = RG_ERR_NOMEM;
        else st = rg_model_load(path, NULL, out);
        if (st == RG_OK) {
            cache->paths[cache->n] = xstrdup(path);
            cache->models[cache->n++] = *out;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    return st;
}

/* ---- generate ------------------------------------------------------------------ */

typedef struct {
    char *prompt, *system, *model, *to;
    int chat, threads;
    rg_sampling sampling;
    char **stop;
    int n_stop;
    ModelCache *models;
} Generate;

static void generate_free(void *user)
{
    Generate *g = user;
    if (!g) return;
    free(g->prompt);
    free(g->system);
    free(g->model);
    free(g->to);
    for (int i = 0; i < g->n_stop; i++) free(g->stop[i]);
    free(g->stop);
    free(g);
}

/* prep: {"model": path, "prompt": text, "system": text}, placeholders filled. */
static rg_status generate_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const Generate *g = ctx->user;
    char *model = NULL, *prompt = NULL, *system = NULL;
    if ((g->model && flow_render_template(g->model, ctx->store, &model) != 0) ||
        flow_render_template(g->prompt, ctx->store, &prompt) != 0 ||
        (g->system && flow_render_template(g->system, ctx->store, &system) != 0)) {
        free(model);
        free(prompt);
        return RG_ERR_NOT_FOUND;
    }
    *out = cJSON_CreateObject();
    cJSON_AddStringToObject(*out, "model", model);
    cJSON_AddStringToObject(*out, "prompt", prompt);
    if (system) cJSON_AddStringToObject(*out, "system", system);
    free(model);
    free(prompt);
    free(system);
    return RG_OK;
}

typedef struct {
    char *text;
    size_t len, cap;
} TextBuffer;

static int collect_token(int32_t token, const char *text, size_t len, void *user)
{
    TextBuffer *b = user;
    if (b->len + len + 1 > b->cap) {
        size_t cap = 2 * (b->len + len + 1);
        char *grown = realloc(b->text, cap);
        if (!grown) return 1;
        b->text = grown;
        b->cap = cap;
    }
    memcpy(b->text + b->len, text, len);
    b->len += len;
    b->text[b->len] = '\0';
    return 0;
}

/* The prompt as the model sees it: as is, or a chat rendered by its template. */
static rg_status chat_prompt(const rg_model *model, const cJSON *prep, char **out)
{
    const cJSON *system = cJSON_GetObjectItem(prep, "system");
    rg_message msgs[2];
    int n = 0;
    if (system) msgs[n++] = (rg_message){ "system", system->valuestring };
    msgs[n++] = (rg_message){ "user", cJSON_GetObjectItem(prep, "prompt")->valuestring };
    size_t need = 0;
    rg_status st = rg_chat_render(model, msgs, n, 1, NULL, 0, &need);
    if (st != RG_OK && st != RG_ERR_TOO_SMALL) return st;
    *out = xmalloc(need + 1, 1);
    if (!*out) return RG_ERR_NOMEM;
    st = rg_chat_render(model, msgs, n, 1, *out, need + 1, &need);
    if (st != RG_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static rg_status generate_exec(const rg_flow_ctx *ctx, const cJSON *prep, cJSON **out)
{
    const Generate *g = ctx->user;
    const char *path = cJSON_GetObjectItem(prep, "model")->valuestring;
    if (!path[0]) return rg_flow_set_error(RG_ERR_INVALID, "no model: give key 'model' or --model");
    rg_model *model;
    rg_status st = model_cache_get(g->models, path, &model);
    if (st != RG_OK) return st;
    char *prompt = NULL;
    if (g->chat && (st = chat_prompt(model, prep, &prompt)) != RG_OK) return st;
    rg_context_options copt = { .n_ctx = 0, .n_seq = 1, .n_threads = g->threads };
    rg_context *context;
    if ((st = rg_context_new(model, &copt, &context)) != RG_OK) {
        free(prompt);
        return st;
    }
    TextBuffer text = { 0 };
    st = rg_generate(context, prompt ? prompt : cJSON_GetObjectItem(prep, "prompt")->valuestring, &g->sampling,
                     (const char *const *)g->stop, g->n_stop, collect_token, &text, NULL);
    rg_context_free(context);
    free(prompt);
    if (st == RG_OK) {
        /* Leading and trailing spaces are the tokenizer's, not the answer's. */
        char *s = text.text ? text.text : "";
        while (*s == ' ' || *s == '\n') s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n')) s[--n] = '\0';
        *out = cJSON_CreateString(s);
    }
    free(text.text);
    return st;
}

static rg_status generate_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    return rg_flow_store_set(ctx->store, ((const Generate *)ctx->user)->to, exec);
}

static int build_generate(const FlowLoader *loader, rg_flow_graph *graph, const char *name, const cJSON *spec,
                          rg_flow_node **out)
{
    const char *prompt, *system, *model, *to;
    double temperature, top_k, top_p, repeat_penalty, max_tokens, seed, threads;
    int chat;
    rg_sampling defaults = rg_sampling_default();
    if (spec_string(name, spec, "prompt", 1, &prompt) != 0 || spec_string(name, spec, "to", 1, &to) != 0 ||
        spec_string(name, spec, "system", 0, &system) != 0 || spec_string(name, spec, "model", 0, &model) != 0 ||
        spec_bool(name, spec, "chat", 0, &chat) != 0 ||
        spec_number(name, spec, "temperature", 0, 10, defaults.temperature, &temperature) != 0 ||
        spec_number(name, spec, "top_k", 0, 1e6, defaults.top_k, &top_k) != 0 ||
        spec_number(name, spec, "top_p", 0, 1, defaults.top_p, &top_p) != 0 ||
        spec_number(name, spec, "repeat_penalty", 0.01, 10, defaults.repeat_penalty, &repeat_penalty) != 0 ||
        spec_number(name, spec, "max_tokens", 1, 1e6, defaults.max_tokens, &max_tokens) != 0 ||
        spec_number(name, spec, "seed", 0, 1e18, (double)defaults.seed, &seed) != 0 ||
        spec_number(name, spec, "threads", 0, 256, 0, &threads) != 0)
        return -1;
    if (system && !chat) return fail("node '%s': key 'system' needs \"chat\": true", name);
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(spec, "stop");
    if (stop && !cJSON_IsArray(stop)) return fail("node '%s': key 'stop' must be a list of strings", name);
    if (!model && !loader->model)
        return fail("node '%s': missing key 'model' (or give --model)", name);
    Generate *g = xcalloc(1, sizeof *g);
    if (!g) return -1;
    g->prompt = xstrdup(prompt);
    g->to = xstrdup(to);
    g->system = system ? xstrdup(system) : NULL;
    g->model = xstrdup(model ? model : loader->model);
    g->chat = chat;
    g->threads = (int)threads;
    g->models = loader->models;
    g->sampling = defaults;
    g->sampling.temperature = (float)temperature;
    g->sampling.top_k = (int32_t)top_k;
    g->sampling.top_p = (float)top_p;
    g->sampling.repeat_penalty = (float)repeat_penalty;
    g->sampling.max_tokens = (int32_t)max_tokens;
    g->sampling.seed = (uint64_t)seed;
    int n_stop = stop ? cJSON_GetArraySize(stop) : 0;
    g->stop = xcalloc((size_t)n_stop + 1, sizeof *g->stop);
    for (const cJSON *s = stop ? stop->child : NULL; s && g->stop; s = s->next) {
        if (!cJSON_IsString(s) || !s->valuestring[0]) {
            generate_free(g);
            return fail("node '%s': key 'stop' must be a list of non-empty strings", name);
        }
        g->stop[g->n_stop++] = xstrdup(s->valuestring);
    }
    static const rg_flow_ops ops = { .prep = generate_prep, .exec = generate_exec, .post = generate_post,
                                     .free_user = generate_free };
    if (!g->prompt || !g->to || !g->model || !g->stop ||
        rg_flow_node_new(graph, name, RG_FLOW_NODE, &ops, g, out) != RG_OK) {
        generate_free(g);
        return -1;
    }
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static const char *const generate_keys[] = { "prompt", "to", "system", "model", "chat", "temperature", "top_k",
                                             "top_p", "repeat_penalty", "max_tokens", "seed", "threads",
                                             "stop", NULL };
const FlowNodeType flow_type_generate = { "generate", generate_keys, build_generate };

/* ---- embed ---------------------------------------------------------------------- */

typedef struct {
    char *from, *to, *model;
    ModelCache *models;
} Embed;

static void embed_free(void *user)
{
    Embed *e = user;
    if (!e) return;
    free(e->from);
    free(e->to);
    free(e->model);
    free(e);
}

/* prep: {"model": path, "texts": [...], "single": bool}: a string, a list of
 * strings, or a list of {"text": ...} objects (what read_file gives). */
static rg_status embed_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const Embed *e = ctx->user;
    cJSON *value = flow_store_lookup(ctx->store, e->from);
    char *model;
    if (!value) return RG_ERR_NOT_FOUND;
    if (flow_render_template(e->model, ctx->store, &model) != 0) {
        cJSON_Delete(value);
        return RG_ERR_NOT_FOUND;
    }
    cJSON *texts = cJSON_CreateArray();
    int single = cJSON_IsString(value);
    if (single) cJSON_AddItemToArray(texts, cJSON_CreateString(value->valuestring));
    for (const cJSON *v = cJSON_IsArray(value) ? value->child : NULL; v; v = v->next) {
        const cJSON *text = cJSON_IsObject(v) ? cJSON_GetObjectItem(v, "text") : v;
        if (!cJSON_IsString(text)) {
            cJSON_Delete(texts);
            cJSON_Delete(value);
            free(model);
            fail("key '%s' must hold text, a list of texts or of {\"text\": ...} objects", e->from);
            return RG_ERR_INVALID;
        }
        cJSON_AddItemToArray(texts, cJSON_CreateString(text->valuestring));
    }
    cJSON_Delete(value);
    *out = cJSON_CreateObject();
    cJSON_AddStringToObject(*out, "model", model);
    cJSON_AddItemToObject(*out, "texts", texts);
    cJSON_AddBoolToObject(*out, "single", single);
    free(model);
    return RG_OK;
}

rg_status flow_embed_texts(ModelCache *cache, const char *path, const char *const *texts, int n,
                           rg_pooling pooling, float **vectors, int *dim)
{
    rg_model *model;
    *vectors = NULL;
    rg_status st = model_cache_get(cache, path, &model);
    if (st != RG_OK) return st;
    rg_model_info info;
    rg_model_get_info(model, &info);
    *dim = info.n_embd;
    *vectors = xcalloc((size_t)n * (size_t)info.n_embd + 1, sizeof **vectors);
    if (!*vectors) return RG_ERR_NOMEM;
    rg_context *context = NULL;
    rg_embed_options opt = { .pooling = pooling, .normalize = 1, .truncate = 1 };
    st = rg_context_new(model, NULL, &context);
    if (st == RG_OK) st = rg_embed(context, texts, n, &opt, *vectors);
    rg_context_free(context);
    if (st != RG_OK) {
        free(*vectors);
        *vectors = NULL;
    }
    return st;
}

static rg_status embed_exec(const rg_flow_ctx *ctx, const cJSON *prep, cJSON **out)
{
    const Embed *e = ctx->user;
    const cJSON *texts = cJSON_GetObjectItem(prep, "texts");
    int n = cJSON_GetArraySize(texts), dim = 0, i = 0;
    const char **list = xcalloc((size_t)n + 1, sizeof *list);
    if (!list) return RG_ERR_NOMEM;
    for (const cJSON *t = texts->child; t; t = t->next) list[i++] = t->valuestring;
    float *vectors;
    rg_status st = flow_embed_texts(e->models, cJSON_GetObjectItem(prep, "model")->valuestring, list, n,
                                    RG_POOL_DEFAULT, &vectors, &dim);
    free(list);
    if (st != RG_OK) return st;
    cJSON *rows = cJSON_CreateArray();
    for (i = 0; i < n; i++) cJSON_AddItemToArray(rows, cJSON_CreateFloatArray(vectors + (size_t)i * dim, dim));
    free(vectors);
    if (cJSON_IsTrue(cJSON_GetObjectItem(prep, "single"))) {
        *out = cJSON_DetachItemFromArray(rows, 0);
        cJSON_Delete(rows);
    } else {
        *out = rows;
    }
    return RG_OK;
}

static rg_status embed_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    return rg_flow_store_set(ctx->store, ((const Embed *)ctx->user)->to, exec);
}

static int build_embed(const FlowLoader *loader, rg_flow_graph *graph, const char *name, const cJSON *spec,
                       rg_flow_node **out)
{
    const char *from, *to, *model;
    if (spec_string(name, spec, "from", 1, &from) != 0 || spec_string(name, spec, "to", 1, &to) != 0 ||
        spec_string(name, spec, "model", 0, &model) != 0)
        return -1;
    if (!model && !loader->model) return fail("node '%s': missing key 'model' (or give --model)", name);
    Embed *e = xcalloc(1, sizeof *e);
    if (!e) return -1;
    e->from = xstrdup(from);
    e->to = xstrdup(to);
    e->model = xstrdup(model ? model : loader->model);
    e->models = loader->models;
    static const rg_flow_ops ops = { .prep = embed_prep, .exec = embed_exec, .post = embed_post,
                                     .free_user = embed_free };
    if (!e->from || !e->to || !e->model || rg_flow_node_new(graph, name, RG_FLOW_NODE, &ops, e, out) != RG_OK) {
        embed_free(e);
        return -1;
    }
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static const char *const embed_keys[] = { "from", "to", "model", NULL };
const FlowNodeType flow_type_embed = { "embed", embed_keys, build_embed };
