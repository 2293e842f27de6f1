/*
 * scheduler.c — continuous batching: one thread decodes every active slot
 * of a model in ONE rg_decode call per step.
 *
 * Each step, for every model with busy slots, the batch is built from each
 * slot's tokens not yet in its KV cache: the whole prompt for a slot that
 * just started (prefill), the one token sampled last step for the others.
 * Sequence id = slot index, so every slot attends only to its own cache.
 * rg_decode returns one row of logits per slot; each slot samples its next
 * token with its own sampler, and its text grows. A job joins at any step a
 * slot is free and leaves the step it ends, so short replies never wait for
 * long ones (that is what "continuous" means, against static batches).
 *
 *   step cost ≈ one pass over the weights + attention over each slot's cache,
 *   so B slots cost far less than B separate steps: the weights are read once.
 *
 * Text: a job's generated ids are detokenized whole after each token (the
 * tokenizer's spacing rules see the context); the part that could still be
 * the start of a stop string, or an incomplete UTF-8 character, is held back
 * until the next token decides it.
 */
#include "serve/engine_internal.h"
#include "serve/metrics.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes at the end of s[0..n) that begin an incomplete UTF-8 character. */
static size_t incomplete_utf8_tail(const char *s, size_t n)
{
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue;              /* continuation byte */
        size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return want > back ? back : 0;
    }
    return 0;
}

/* Longest suffix of s[0..n) that is a proper prefix of a stop string. */
static size_t stop_prefix_tail(const job *j, const char *s, size_t n)
{
    size_t best = 0;
    for (int i = 0; i < j->n_stop; i++) {
        size_t len = strlen(j->stop[i]);
        for (size_t k = len - 1; k > best; k--)
            if (k <= n && memcmp(s + n - k, j->stop[i], k) == 0) { best = k; break; }
    }
    return best;
}

/* Re-detokenize the generated ids and publish the new visible text. Returns
 * 1 when a stop string was found (the text is cut before it). Job lock held. */
static int update_text(job *j, const rg_tokenizer *tok, int final)
{
    const int32_t *ids = j->tokens + j->n_prompt;
    size_t n_ids = (size_t)(j->n_tokens - j->n_prompt), len = 0;
    rg_status status = rg_detokenize(tok, ids, n_ids, j->scratch, j->scratch_cap, &len);
    if (status == RG_ERR_TOO_SMALL) {
        size_t cap = len * 2 + 64;
        char *grown = realloc(j->scratch, cap);
        if (!grown) return 0;
        j->scratch = grown;
        j->scratch_cap = cap;
        status = rg_detokenize(tok, ids, n_ids, j->scratch, j->scratch_cap, &len);
    }
    if (status != RG_OK) return 0;
    int stopped = 0;
    for (int i = 0; i < j->n_stop; i++) {
        size_t k = strlen(j->stop[i]);
        for (size_t at = 0; at + k <= len; at++)
            if (memcmp(j->scratch + at, j->stop[i], k) == 0) {
                len = at;
                stopped = 1;
                break;
            }
    }
    size_t visible = len;
    if (!stopped && !final) {
        size_t hold = stop_prefix_tail(j, j->scratch, len);
        size_t utf = incomplete_utf8_tail(j->scratch, len);
        visible -= hold > utf ? hold : utf;
    }
    /* Detokenization of a longer sequence normally extends the shorter one;
     * if it ever rewrites what was already sent, wait for it to grow again. */
    if (visible > j->text_len && memcmp(j->scratch, j->text, j->text_len) == 0) {
        if (visible + 1 > j->text_cap) {
            size_t cap = (visible + 1) * 2;
            char *grown = realloc(j->text, cap);
            if (!grown) return stopped;
            j->text = grown;
            j->text_cap = cap;
        }
        memcpy(j->text + j->text_len, j->scratch + j->text_len, visible - j->text_len);
        j->text_len = visible;
    }
    return stopped;
}

/* End the job of slot s: publish its state, wake its requester, free the
 * slot. Scheduler thread; engine lock NOT held. */
static void finish_job(engine *e, model_entry *m, int s, const char *reason, const char *error)
{
    job *j = m->slots[s];
    double now = now_seconds();
    pthread_mutex_lock(&j->lock);
    if (strcmp(reason, "cancelled") != 0 && strcmp(reason, "error") != 0)
        update_text(j, rg_model_tokenizer(m->model), 1);
    j->state.done = 1;
    j->state.finish_reason = reason;
    j->state.total_s = now - j->submitted;
    if (error) snprintf(j->state.error, sizeof j->state.error, "%s", error);
    if (j->notify) j->notify(j->notify_user);
    pthread_mutex_unlock(&j->lock);
    metrics_tokens((uint64_t)j->n_prompt, (uint64_t)j->state.n_generated);
    rg_context_reset(m->ctx, s);
    pthread_mutex_lock(&e->lock);
    m->slots[s] = NULL;
    m->busy--;
    m->pins--;
    m->last_used = now;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    job_unref(j);
}

/* One batched forward pass over every busy slot of m, then one sampled token
 * per slot. */
static void step(engine *e, model_entry *m)
{
    int parallel = e->opt.parallel;
    int32_t n = 0;
    int in_batch[256];
    int n_slots = 0;
    for (int s = 0; s < parallel && n_slots < 256; s++) {
        job *j = m->slots[s];
        if (!j) continue;
        if (__atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE)) {
            finish_job(e, m, s, "cancelled", NULL);
            continue;
        }
        int32_t fed = rg_context_n_tokens(m->ctx, s);
        for (int32_t t = fed; t < j->n_tokens; t++) {
            m->batch_tokens[n] = j->tokens[t];
            m->batch_seq[n] = s;
            m->batch_want[n] = t == j->n_tokens - 1;
            n++;
        }
        in_batch[n_slots++] = s;
    }
    if (n == 0) return;
    double t0 = now_seconds();
    rg_status status = rg_decode(m->ctx, n, m->batch_tokens, m->batch_seq, m->batch_want, m->logits);
    double t1 = now_seconds();
    if (status != RG_OK) {
        for (int k = 0; k < n_slots; k++) finish_job(e, m, in_batch[k], "error", rg_last_error());
        return;
    }
    const rg_tokenizer *tok = rg_model_tokenizer(m->model);
    for (int k = 0; k < n_slots; k++) {
        int s = in_batch[k];
        job *j = m->slots[s];
        int32_t n_recent = j->n_tokens < 64 ? j->n_tokens : 64;
        float *row = m->logits + (size_t)k * (size_t)m->n_vocab;
        if (j->ignore_eos && m->eos >= 0) {      /* far below every other logit (finite: */
            float lowest = row[0];               /* some softmax kernels dislike -inf)   */
            for (int32_t v = 1; v < m->n_vocab; v++) lowest = row[v] < lowest ? row[v] : lowest;
            row[m->eos] = lowest - 60.0f;
        }
        int32_t next = rg_sample(j->sampler, row,
                                 j->tokens + j->n_tokens - n_recent, n_recent);
        if (j->ignore_eos && next == m->eos) {       /* a sampler's rounding fallback */
            next = m->eos == 0 ? 1 : 0;
            for (int32_t v = 0; v < m->n_vocab; v++)
                if (v != m->eos && row[v] > row[next]) next = v;
        }
        if (j->state.n_generated == 0) {
            j->first_token = t1;
            metrics_ttft(t1 - j->submitted);
        } else {
            metrics_token_latency(t1 - t0);
        }
        if (next == m->eos || next < 0) {
            finish_job(e, m, s, "stop", NULL);
            continue;
        }
        pthread_mutex_lock(&j->lock);
        j->tokens[j->n_tokens++] = next;
        j->state.n_generated++;
        if (j->state.n_generated == 1) j->state.ttft_s = t1 - j->submitted;
        int stopped = update_text(j, tok, 0);
        int full = j->state.n_generated >= j->max_tokens;
        if (!stopped && !full && j->notify) j->notify(j->notify_user);
        pthread_mutex_unlock(&j->lock);
        if (stopped) finish_job(e, m, s, "stop", NULL);
        else if (full) finish_job(e, m, s, "length", NULL);
    }
}

/* Move waiting jobs into free slots of their model, oldest first. Lock held. */
static void assign_waiting(engine *e)
{
    job *prev = NULL, *j = e->queue_head;
    double now = now_seconds();
    while (j) {
        job *next = j->next;
        model_entry *m = j->model;
        int free_slot = -1;
        for (int s = 0; s < e->opt.parallel && free_slot < 0; s++)
            if (!m->slots[s]) free_slot = s;
        if (free_slot >= 0) {
            if (prev) prev->next = next;
            else e->queue_head = next;
            if (e->queue_tail == j) e->queue_tail = prev;
            e->queue_len--;
            j->next = NULL;
            m->slots[free_slot] = j;
            m->busy++;
            j->started = now;
            pthread_mutex_lock(&j->lock);
            j->state.queued_s = now - j->submitted;
            pthread_mutex_unlock(&j->lock);
        } else {
            prev = j;
        }
        j = next;
    }
}

/* Shutdown: every job ends as cancelled (its stream closes). Lock held. */
static void cancel_everything(engine *e)
{
    while (e->queue_head) {
        job *j = e->queue_head;
        e->queue_head = j->next;
        e->queue_len--;
        pthread_mutex_lock(&j->lock);
        j->state.done = 1;
        j->state.finish_reason = "cancelled";
        if (j->notify) j->notify(j->notify_user);
        pthread_mutex_unlock(&j->lock);
        j->model->pins--;
        job_unref(j);
    }
    e->queue_tail = NULL;
    for (int i = 0; i < e->n_models; i++) {
        model_entry *m = e->models[i];
        for (int s = 0; s < e->opt.parallel; s++) {
            if (!m->slots[s]) continue;
            pthread_mutex_unlock(&e->lock);
            finish_job(e, m, s, "cancelled", NULL);
            pthread_mutex_lock(&e->lock);
        }
    }
}

void *scheduler_main(void *engine_ptr)
{
    engine *e = engine_ptr;
    pthread_mutex_lock(&e->lock);
    for (;;) {
        if (e->stopping) {
            cancel_everything(e);
            break;
        }
        assign_waiting(e);
        int busy = 0;
        for (int i = 0; i < e->n_models; i++) busy += e->models[i]->busy;
        if (!busy) {
            pthread_cond_wait(&e->work, &e->lock);
            continue;
        }
        pthread_mutex_unlock(&e->lock);
        /* Only this thread changes slots and busy models are pinned, so the
         * model list and each slot table can be read unlocked here. */
        for (int i = 0; i < e->n_models; i++)
            if (e->models[i]->busy) step(e, e->models[i]);
        pthread_mutex_lock(&e->lock);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}
