/*
 * jobs.c — the requester's side of the engine: submitting a generation job
 * to the bounded queue, reading its text as it grows, letting it go; and
 * embeddings, which run on the requesting thread with a pooled context.
 */
#include "serve/engine_internal.h"
#include "serve/metrics.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void job_unref(job *j)
{
    pthread_mutex_lock(&j->lock);
    int left = --j->refs;
    pthread_mutex_unlock(&j->lock);
    if (left > 0) return;
    for (int i = 0; i < j->n_stop; i++) free(j->stop[i]);
    free(j->stop);
    free(j->tokens);
    free(j->text);
    free(j->scratch);
    rg_sampler_free(j->sampler);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static job *job_new(const job_request *req, model_entry *m, int32_t *prompt, int32_t n_prompt,
                    engine_error *err)
{
    job *j = calloc(1, sizeof *j);
    if (!j) goto nomem;
    pthread_mutex_init(&j->lock, NULL);
    j->refs = 2;
    j->model = m;
    j->n_prompt = j->n_tokens = n_prompt;
    int32_t room = m->n_ctx - n_prompt;
    j->max_tokens = req->sampling.max_tokens < room ? req->sampling.max_tokens : room;
    j->cap_tokens = n_prompt + j->max_tokens + 1;
    j->tokens = realloc(prompt, (size_t)j->cap_tokens * sizeof *prompt);
    prompt = NULL;
    j->stop = calloc((size_t)req->n_stop + 1, sizeof *j->stop);
    j->text_cap = 256;
    j->text = malloc(j->text_cap);
    if (!j->tokens || !j->stop || !j->text) goto nomem;
    for (int i = 0; i < req->n_stop; i++) {
        if (!req->stop[i][0]) continue;
        if (!(j->stop[j->n_stop] = strdup(req->stop[i]))) goto nomem;
        j->n_stop++;
    }
    if (rg_sampler_new(&req->sampling, m->n_vocab, &j->sampler) != RG_OK) {
        engine_set_error(err, 400, "invalid_request_error", "bad sampling settings: %s", rg_last_error());
        j->refs = 1;
        job_unref(j);
        return NULL;
    }
    j->state.n_prompt = n_prompt;
    j->submitted = now_seconds();
    return j;
nomem:
    free(prompt);
    if (j) { j->refs = 1; job_unref(j); }
    engine_set_error(err, 500, "server_error", "out of memory");
    return NULL;
}

int engine_submit(engine *e, const job_request *req, job_notify_fn notify, void *user,
                  job **out, engine_error *err)
{
    pthread_mutex_lock(&e->lock);
    if (e->stopping) {
        pthread_mutex_unlock(&e->lock);
        engine_set_error(err, 503, "server_error", "the server is shutting down");
        return -1;
    }
    if (e->queue_len >= e->opt.queue_max) {      /* fast refusal before any work */
        pthread_mutex_unlock(&e->lock);
        engine_set_error(err, 503, "server_error", "the server is busy: the queue is full");
        metrics_rejected("queue_full");
        return -1;
    }
    model_entry *m = engine_pin(e, req->model, err);
    pthread_mutex_unlock(&e->lock);
    if (!m) return -1;
    if (!m->ctx) {
        engine_set_error(err, 400, "invalid_request_error", "model '%s' cannot generate text", m->name);
        engine_unpin(e, m);
        return -1;
    }
    int32_t limit = m->n_ctx - 1;
    if (e->opt.max_prompt_tokens > 0 && e->opt.max_prompt_tokens < limit) limit = e->opt.max_prompt_tokens;
    int32_t n_prompt = 0;
    int32_t *prompt = engine_tokenize(m, req->prompt, limit, &n_prompt, err);
    job *j = prompt ? job_new(req, m, prompt, n_prompt, err) : NULL;
    if (j && n_prompt == 0) {
        engine_set_error(err, 400, "invalid_request_error", "the prompt is empty");
        j->refs = 1;
        job_unref(j);
        j = NULL;
    }
    if (!j) {
        engine_unpin(e, m);
        return -1;
    }
    j->notify = notify;
    j->notify_user = user;
    j->ignore_eos = req->ignore_eos;
    pthread_mutex_lock(&e->lock);
    if (e->queue_len >= e->opt.queue_max || e->stopping) {
        m->pins--;
        pthread_mutex_unlock(&e->lock);
        j->refs = 1;
        job_unref(j);
        engine_set_error(err, 503, "server_error", "the server is busy: the queue is full");
        metrics_rejected("queue_full");
        return -1;
    }
    if (e->queue_tail) e->queue_tail->next = j;
    else e->queue_head = j;
    e->queue_tail = j;
    e->queue_len++;
    pthread_cond_signal(&e->work);
    pthread_mutex_unlock(&e->lock);
    *out = j;
    return 0;
}

int job_read(job *j, size_t from, char *buf, size_t cap, size_t *n, job_state *st)
{
    pthread_mutex_lock(&j->lock);
    size_t avail = j->text_len > from ? j->text_len - from : 0;
    if (avail > cap) avail = cap;
    if (avail) memcpy(buf, j->text + from, avail);
    *n = avail;
    if (st) *st = j->state;
    int finished = j->state.done && from + avail >= j->text_len;
    pthread_mutex_unlock(&j->lock);
    return finished;
}

void job_release(job *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->lock);
    j->notify = NULL;
    __atomic_store_n(&j->cancelled, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&j->lock);
    job_unref(j);
}

/* ---- embeddings --------------------------------------------------------- */

float *engine_embed(engine *e, const char *model, const char *const *texts, int n, int *n_embd,
                    int64_t *n_tokens, engine_error *err)
{
    pthread_mutex_lock(&e->lock);
    model_entry *m = engine_pin(e, model, err);
    rg_context *ctx = NULL;
    if (m && m->embed_idle > 0) ctx = m->embed_pool[--m->embed_idle];
    pthread_mutex_unlock(&e->lock);
    if (!m) return NULL;
    float *out = NULL;
    rg_model_info info;
    rg_model_get_info(m->model, &info);
    *n_tokens = 0;
    for (int i = 0; i < n; i++) {
        int32_t count = 0;
        int32_t *ids = engine_tokenize(m, texts[i], 1 << 24, &count, err);
        if (!ids) goto done;
        free(ids);
        *n_tokens += count;
    }
    rg_context_options copt = { e->opt.n_ctx, 1, e->opt.n_threads };
    if (copt.n_ctx <= 0 || copt.n_ctx > info.n_ctx) copt.n_ctx = info.n_ctx;
    if (!ctx && rg_context_new(m->model, &copt, &ctx) != RG_OK) {
        engine_set_error(err, 500, "server_error", "cannot create a context: %s", rg_last_error());
        goto done;
    }
    out = malloc((size_t)(n > 0 ? n : 1) * (size_t)info.n_embd * sizeof *out);
    if (!out) {
        engine_set_error(err, 500, "server_error", "out of memory");
        goto done;
    }
    rg_embed_options eopt = rg_embed_default();
    rg_status status = rg_embed(ctx, texts, n, &eopt, out);
    if (status != RG_OK) {
        engine_set_error(err, status == RG_ERR_UNSUPPORTED ? 501 : status == RG_ERR_NOMEM ? 500 : 400,
                         "invalid_request_error", "cannot embed: %s", rg_last_error());
        free(out);
        out = NULL;
        goto done;
    }
    *n_embd = info.n_embd;
done:
    pthread_mutex_lock(&e->lock);
    if (ctx && m->embed_idle < m->embed_cap && m->model) m->embed_pool[m->embed_idle++] = ctx;
    else rg_context_free(ctx);
    m->pins--;
    m->last_used = now_seconds();
    pthread_mutex_unlock(&e->lock);
    return out;
}

void engine_get_gauges(engine *e, engine_gauges *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_lock(&e->lock);
    g->queue_depth = e->queue_len;
    for (int i = 0; i < e->n_models; i++) {
        model_entry *m = e->models[i];
        if (!m->model) continue;
        g->models_loaded++;
        g->models_bytes += m->file_bytes;
        g->slots_busy += m->busy;
        if (m->ctx) g->slots_total += e->opt.parallel;
    }
    pthread_mutex_unlock(&e->lock);
}

void engine_drain(engine *e, double timeout_s)
{
    double deadline = now_seconds() + timeout_s;
    pthread_mutex_lock(&e->lock);
    for (;;) {
        int busy = e->queue_len;
        for (int i = 0; i < e->n_models; i++) busy += e->models[i]->busy;
        if (!busy || now_seconds() >= deadline) break;
        pthread_mutex_unlock(&e->lock);
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&e->lock);
    }
    e->stopping = 1;                  /* the scheduler cancels what is left */
    pthread_cond_broadcast(&e->work);
    pthread_mutex_unlock(&e->lock);
    if (e->scheduler_started) {       /* every job is ended and notified after this */
        pthread_join(e->scheduler, NULL);
        e->scheduler_started = 0;
    }
}
