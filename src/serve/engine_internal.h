/*
 * engine_internal.h — the structures engine.c (models, loading, LRU, the
 * queue) and scheduler.c (slots, the batched decode loop, job text) share.
 *
 * One mutex (engine.lock) guards the queue, the slot table and the model
 * list; the scheduler holds it only to pick up work and hand back finished
 * jobs, never during rg_decode. Each job has its own lock for its output,
 * which the HTTP threads read while the scheduler appends to it.
 */
#ifndef RUSTGPT_SERVE_ENGINE_INTERNAL_H
#define RUSTGPT_SERVE_ENGINE_INTERNAL_H

#include "serve/engine.h"

#include <pthread.h>

struct job {
    pthread_mutex_t lock;
    int refs;                   /* the requester and the engine                  */
    int cancelled;              /* the requester let go before the end           */
    job_notify_fn notify;       /* NULL once released                             */
    void *notify_user;
    struct model_entry *model;
    struct job *next;           /* in the wait queue                             */
    /* input */
    int32_t *tokens;            /* [cap_tokens] prompt then generated            */
    int32_t n_prompt, n_tokens, cap_tokens;
    int32_t max_tokens;
    int ignore_eos;
    char **stop;
    int n_stop;
    rg_sampler *sampler;
    /* output (under lock) */
    char *text;                 /* visible text so far                           */
    size_t text_len, text_cap;
    char *scratch;              /* detokenized generation, before stop handling  */
    size_t scratch_cap;
    job_state state;
    double submitted, started, first_token;
};

typedef struct model_entry {
    char name[128];
    char path[4096];
    uint64_t file_bytes;
    double modified;
    rg_model *model;            /* NULL while not loaded                          */
    rg_context *ctx;            /* n_seq = parallel: one KV cache per slot       */
    int32_t n_ctx, n_vocab, eos, bos;
    int loading;
    int pins;                   /* jobs and embeddings using it: no unloading    */
    double last_used;
    job **slots;                /* [parallel] the job of each slot, or NULL      */
    int busy;
    /* scheduler scratch, sized at load */
    int32_t *batch_tokens, *batch_seq;
    uint8_t *batch_want;
    float *logits;              /* [parallel, n_vocab]                           */
    rg_context **embed_pool;    /* idle contexts for rg_embed                    */
    int embed_idle, embed_cap;
} model_entry;

struct engine {
    engine_options opt;
    pthread_mutex_t lock;
    pthread_cond_t work;        /* the scheduler waits on it                      */
    pthread_cond_t changed;     /* loads finished, jobs finished                  */
    model_entry **models;
    int n_models, cap_models;
    job *queue_head, *queue_tail;
    int queue_len;
    int stopping, ready;
    pthread_t scheduler;
    int scheduler_started;
};

void *scheduler_main(void *engine_ptr);
/* Free the job's memory once both owners are done (engine lock not needed). */
void job_unref(job *j);

/* engine.c helpers the job and embedding code share. */
void engine_set_error(engine_error *err, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Find a model by name (NULL: the default), load it if needed, pin it. The
 * engine lock is held on entry and exit (released while loading). */
model_entry *engine_pin(engine *e, const char *name, engine_error *err);
void engine_unpin(engine *e, model_entry *m);   /* takes the lock */
/* Tokens of text as m expects them (a new array of *n_out), at most limit. */
int32_t *engine_tokenize(const model_entry *m, const char *text, int32_t limit, int32_t *n_out,
                         engine_error *err);

#endif
