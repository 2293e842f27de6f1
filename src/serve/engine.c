/*
 * engine.c — models by name, loading on first use with a memory budget and
 * least-recently-used unloading, the bounded wait queue, embeddings.
 *
 * A model is loaded once (rg_model_load) with one context whose n_seq is the
 * number of slots: slot s is sequence s of that context, its own KV cache.
 * A job pins its model from submission to its end, so the LRU pass only ever
 * unloads models nobody is using. The decode loop is in scheduler.c.
 */
#include "serve/engine_internal.h"
#include "serve/metrics.h"
#include "core/util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void engine_set_error(engine_error *err, int status, const char *type, const char *fmt, ...)
{
    if (!err) return;
    err->http_status = status;
    err->type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

rg_status engine_create(const engine_options *opt, engine **out)
{
    engine *e = calloc(1, sizeof *e);
    if (!e) return RG_ERR_NOMEM;
    e->opt = *opt;
    if (e->opt.parallel < 1) e->opt.parallel = 1;
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->work, NULL);
    pthread_cond_init(&e->changed, NULL);
    if (pthread_create(&e->scheduler, NULL, scheduler_main, e) != 0) {
        free(e);
        fail("cannot start the scheduler thread");
        return RG_ERR_NOMEM;
    }
    e->scheduler_started = 1;
    *out = e;
    return RG_OK;
}

static void unload(model_entry *m)
{
    for (int i = 0; i < m->embed_idle; i++) rg_context_free(m->embed_pool[i]);
    m->embed_idle = 0;
    rg_context_free(m->ctx);
    rg_model_free(m->model);
    m->ctx = NULL;
    m->model = NULL;
    free(m->batch_tokens); free(m->batch_seq); free(m->batch_want); free(m->logits);
    m->batch_tokens = m->batch_seq = NULL;
    m->batch_want = NULL;
    m->logits = NULL;
}

void engine_free(engine *e)
{
    if (!e) return;
    pthread_mutex_lock(&e->lock);
    e->stopping = 1;
    pthread_cond_broadcast(&e->work);
    pthread_mutex_unlock(&e->lock);
    if (e->scheduler_started) pthread_join(e->scheduler, NULL);
    for (int i = 0; i < e->n_models; i++) {
        unload(e->models[i]);
        free(e->models[i]->slots);
        free(e->models[i]->embed_pool);
        free(e->models[i]);
    }
    free(e->models);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->work);
    pthread_cond_destroy(&e->changed);
    free(e);
}

static int is_model_file(const char *name)
{
    static const char *const ext[] = { ".bin", ".json", ".safetensors", ".gguf" };
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && strcmp(name + n - k, ext[i]) == 0) return 1;
    }
    return 0;
}

static model_entry *find_model(const engine *e, const char *name)
{
    for (int i = 0; i < e->n_models; i++)
        if (strcmp(e->models[i]->name, name) == 0) return e->models[i];
    return NULL;
}

rg_status engine_add_model(engine *e, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fail("%s: no such model file", path);
        return RG_ERR_IO;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[128];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name && is_model_file(base)) *dot = 0;
    if (find_model(e, name)) {
        fail("two models are named %s", name);
        return RG_ERR_INVALID;
    }
    model_entry *m = calloc(1, sizeof *m);
    job **slots = calloc((size_t)e->opt.parallel, sizeof *slots);
    rg_context **pool = calloc((size_t)e->opt.parallel, sizeof *pool);
    if (e->n_models == e->cap_models) {
        int cap = e->cap_models ? e->cap_models * 2 : 8;
        model_entry **grown = realloc(e->models, (size_t)cap * sizeof *grown);
        if (grown) { e->models = grown; e->cap_models = cap; }
    }
    if (!m || !slots || !pool || e->n_models == e->cap_models) {
        free(m); free(slots); free(pool);
        fail("out of memory registering %s", path);
        return RG_ERR_NOMEM;
    }
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->path, sizeof m->path, "%s", path);
    m->file_bytes = (uint64_t)st.st_size;
    m->modified = (double)st.st_mtime;
    m->slots = slots;
    m->embed_pool = pool;
    m->embed_cap = e->opt.parallel;
    pthread_mutex_lock(&e->lock);
    e->models[e->n_models++] = m;
    pthread_mutex_unlock(&e->lock);
    return RG_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

rg_status engine_add_models_dir(engine *e, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fail("%s: cannot open the models directory", dir);
        return RG_ERR_IO;
    }
    char *names[256];
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) && n < 256)
        if (ent->d_name[0] != '.' && is_model_file(ent->d_name)) names[n++] = strdup(ent->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    rg_status status = RG_OK;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i] ? names[i] : "");
        if (names[i] && status == RG_OK) status = engine_add_model(e, path);
        free(names[i]);
    }
    return status;
}

/* Load m (engine lock NOT held). Fills the scheduler's buffers. */
static rg_status load(engine *e, model_entry *m)
{
    rg_model *model = NULL;
    rg_status status = rg_model_load(m->path, NULL, &model);
    if (status != RG_OK) return status;
    rg_model_info info;
    rg_model_get_info(model, &info);
    rg_context_options copt = { e->opt.n_ctx, e->opt.parallel, e->opt.n_threads };
    if (copt.n_ctx <= 0 || copt.n_ctx > info.n_ctx) copt.n_ctx = info.n_ctx;
    rg_context *ctx = NULL;
    if (info.can_generate) status = rg_context_new(model, &copt, &ctx);
    if (status != RG_OK) {
        rg_model_free(model);
        return status;
    }
    size_t batch = (size_t)copt.n_ctx * (size_t)e->opt.parallel;
    m->batch_tokens = malloc(batch * sizeof *m->batch_tokens);
    m->batch_seq = malloc(batch * sizeof *m->batch_seq);
    m->batch_want = malloc(batch);
    m->logits = malloc((size_t)e->opt.parallel * (size_t)info.n_vocab * sizeof *m->logits);
    m->model = model;
    m->ctx = ctx;
    if (!m->batch_tokens || !m->batch_seq || !m->batch_want || !m->logits) {
        unload(m);
        fail("out of memory for the batch buffers of %s", m->name);
        return RG_ERR_NOMEM;
    }
    const rg_tokenizer *tok = rg_model_tokenizer(model);
    m->n_ctx = copt.n_ctx;
    m->n_vocab = info.n_vocab;
    m->eos = rg_tokenizer_special(tok, RG_SPECIAL_EOS);
    m->bos = rg_tokenizer_special(tok, RG_SPECIAL_BOS);
    return RG_OK;
}

/* Unload least-recently-used idle models until the loaded ones fit the
 * budget (keep stays). Lock held. */
static void evict_over_budget(engine *e, const model_entry *keep)
{
    if (!e->opt.memory_budget) return;
    for (;;) {
        uint64_t total = 0;
        model_entry *oldest = NULL;
        for (int i = 0; i < e->n_models; i++) {
            model_entry *m = e->models[i];
            if (!m->model) continue;
            total += m->file_bytes;
            if (m != keep && m->pins == 0 && !m->loading && (!oldest || m->last_used < oldest->last_used))
                oldest = m;
        }
        if (total <= e->opt.memory_budget || !oldest) return;
        unload(oldest);
    }
}

/* Find model name, load it if needed, and pin it. Lock held on entry and
 * exit (released while loading). NULL with err. */
model_entry *engine_pin(engine *e, const char *name, engine_error *err)
{
    model_entry *m = name ? find_model(e, name) : (e->n_models ? e->models[0] : NULL);
    if (!m) {
        engine_set_error(err, 404, "invalid_request_error", "model '%.100s' not found", name ? name : "");
        return NULL;
    }
    while (m->loading) pthread_cond_wait(&e->changed, &e->lock);
    if (!m->model) {
        m->loading = 1;
        pthread_mutex_unlock(&e->lock);
        rg_status status = load(e, m);
        char message[200];
        snprintf(message, sizeof message, "%s", rg_last_error());
        pthread_mutex_lock(&e->lock);
        m->loading = 0;
        pthread_cond_broadcast(&e->changed);
        if (status != RG_OK) {
            engine_set_error(err, 500, "server_error", "model '%s' could not be loaded: %s", m->name, message);
            return NULL;
        }
    }
    m->pins++;
    m->last_used = now_seconds();
    evict_over_budget(e, m);
    return m;
}

void engine_unpin(engine *e, model_entry *m)
{
    pthread_mutex_lock(&e->lock);
    m->pins--;
    m->last_used = now_seconds();
    pthread_mutex_unlock(&e->lock);
}

rg_status engine_load_all(engine *e)
{
    rg_status status = RG_OK;
    pthread_mutex_lock(&e->lock);
    for (int i = 0; i < e->n_models; i++) {
        engine_error err;
        model_entry *m = engine_pin(e, e->models[i]->name, &err);
        if (m) m->pins--;
        else if (status == RG_OK) {
            fail("%s", err.message);
            status = RG_ERR_IO;
        }
    }
    e->ready = 1;
    pthread_mutex_unlock(&e->lock);
    return status;
}

void engine_set_ready(engine *e)
{
    pthread_mutex_lock(&e->lock);
    e->ready = 1;
    pthread_mutex_unlock(&e->lock);
}

int engine_is_ready(const engine *e) { return __atomic_load_n(&e->ready, __ATOMIC_ACQUIRE); }
int engine_model_count(const engine *e) { return e->n_models; }
const char *engine_model_name(const engine *e, int i) { return e->models[i]->name; }
const char *engine_default_model(const engine *e) { return e->n_models ? e->models[0]->name : NULL; }

int engine_model_describe(engine *e, const char *name, int load_it, engine_model_info *info,
                          engine_error *err)
{
    memset(info, 0, sizeof *info);
    pthread_mutex_lock(&e->lock);
    model_entry *m = find_model(e, name);
    if (m && load_it) m = engine_pin(e, name, err);
    else if (!m) engine_set_error(err, 404, "invalid_request_error", "model '%.100s' not found", name);
    if (!m) {
        pthread_mutex_unlock(&e->lock);
        return -1;
    }
    info->file_bytes = m->file_bytes;
    info->modified = m->modified;
    info->loaded = m->model != NULL;
    if (m->model) {
        rg_model_info mi;
        rg_model_get_info(m->model, &mi);
        snprintf(info->arch, sizeof info->arch, "%s", mi.arch ? mi.arch : "");
        snprintf(info->format, sizeof info->format, "%s", mi.format ? mi.format : "");
        info->n_vocab = mi.n_vocab;
        info->n_ctx = m->n_ctx ? m->n_ctx : mi.n_ctx;
        info->d_model = mi.d_model;
        info->n_layers = mi.n_layers;
        info->n_embd = mi.n_embd;
        info->n_params = mi.n_params;
        info->can_generate = mi.can_generate;
    }
    if (load_it) m->pins--;
    pthread_mutex_unlock(&e->lock);
    return 0;
}

char *engine_render_chat(engine *e, const char *model, const rg_message *msgs, int n,
                         engine_error *err)
{
    pthread_mutex_lock(&e->lock);
    model_entry *m = engine_pin(e, model, err);
    pthread_mutex_unlock(&e->lock);
    if (!m) return NULL;
    size_t need = 0, cap = 4096;
    char *buf = malloc(cap);
    rg_status status = buf ? rg_chat_render(m->model, msgs, n, 1, buf, cap, &need) : RG_ERR_NOMEM;
    if (status == RG_ERR_TOO_SMALL) {
        free(buf);
        cap = need + 1;
        buf = malloc(cap);
        status = buf ? rg_chat_render(m->model, msgs, n, 1, buf, cap, &need) : RG_ERR_NOMEM;
    }
    if (status != RG_OK) {
        engine_set_error(err, status == RG_ERR_NOMEM ? 500 : 400, "invalid_request_error",
                  "cannot render the conversation: %s", rg_last_error());
        free(buf);
        buf = NULL;
    }
    engine_unpin(e, m);
    return buf;
}

/* Tokenize text for m into a new array; NULL with err (400 when over limit). */
int32_t *engine_tokenize(const model_entry *m, const char *text, int32_t limit, int32_t *n_out,
                         engine_error *err)
{
    const rg_tokenizer *tok = rg_model_tokenizer(m->model);
    size_t cap = (size_t)limit + 1, n = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!ids) {
        engine_set_error(err, 500, "server_error", "out of memory");
        return NULL;
    }
    rg_status status = rg_tokenize(tok, text, strlen(text), RG_TOKENIZE_ADD_SPECIAL | RG_TOKENIZE_PARSE_SPECIAL,
                                   ids, cap, &n);
    if (status == RG_ERR_TOO_SMALL || (status == RG_OK && n > (size_t)limit)) {
        engine_set_error(err, 400, "invalid_request_error",
                  "the prompt has more than %d tokens (context_length_exceeded)", limit);
        free(ids);
        return NULL;
    }
    if (status != RG_OK) {
        engine_set_error(err, 400, "invalid_request_error", "cannot tokenize the prompt: %s", rg_last_error());
        free(ids);
        return NULL;
    }
    *n_out = (int32_t)n;
    return ids;
}

int64_t engine_count_tokens(engine *e, const char *model, const char *text, engine_error *err)
{
    pthread_mutex_lock(&e->lock);
    model_entry *m = engine_pin(e, model, err);
    pthread_mutex_unlock(&e->lock);
    if (!m) return -1;
    int32_t n = 0;
    int32_t *ids = engine_tokenize(m, text, 1 << 24, &n, err);
    free(ids);
    engine_unpin(e, m);
    return ids ? n : -1;
}
