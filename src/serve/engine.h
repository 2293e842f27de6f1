/*
 * engine.h — the server's model engine: named models, their KV-cache slots,
 * the bounded queue and the scheduler thread that decodes every active slot
 * in one batched rg_decode call per step (docs/19-serving.md).
 *
 * The HTTP layer never touches a model directly. It asks the engine to run a
 * job (a prompt, sampling settings, stop strings) and reads the job's output
 * text as it grows; the engine calls the job's notify function whenever
 * there is something new, so a suspended connection can be resumed. Jobs are
 * shared by two owners (the HTTP request and the scheduler) and freed when
 * both have let go.
 *
 * Models are known by name only: --model PATH registers the file's base
 * name, --models-dir DIR every model file in DIR. A request that names
 * anything else gets "not found"; no request text ever becomes a path.
 */
#ifndef RUSTGPT_SERVE_ENGINE_H
#define RUSTGPT_SERVE_ENGINE_H

#include "rustgpt.h"

#include <stddef.h>
#include <stdint.h>

typedef struct engine engine;
typedef struct job job;

typedef struct {
    int parallel;             /* slots (KV caches) per model                      */
    int n_ctx;                /* positions per slot (0: the model's)              */
    int queue_max;            /* jobs that may wait for a slot, all models        */
    int n_threads;            /* threads of the forward pass (0: all cores)       */
    uint64_t memory_budget;   /* bytes of loaded models before LRU unloading (0: none) */
    int max_prompt_tokens;    /* longest prompt accepted                          */
} engine_options;

/* The engine's answer to a request it cannot take: an HTTP status and a
 * message for the client. */
typedef struct {
    int http_status;          /* 400, 404, 500, 503 ...                            */
    const char *type;         /* OpenAI error type: "invalid_request_error", ...    */
    char message[256];
} engine_error;

rg_status engine_create(const engine_options *opt, engine **out);
/* Stop the schedulers (cancelling running jobs) and free every model. */
void engine_free(engine *e);

/* Register a model under the base name of path (without its extension). */
rg_status engine_add_model(engine *e, const char *path);
/* Register every model file (.bin .json .safetensors .gguf) in dir. */
rg_status engine_add_models_dir(engine *e, const char *dir);
/* Load every registered model now (for --model); with the models-dir they
 * load on first use. Sets the engine ready when done (even after a failure,
 * which is returned). */
rg_status engine_load_all(engine *e);
void engine_set_ready(engine *e);
int engine_is_ready(const engine *e);

/* The registered models, in registration order. */
int engine_model_count(const engine *e);
const char *engine_model_name(const engine *e, int i);
/* Info of a model by name, loading it if needed. Strings live while the
 * engine does (they are copied). 0, or -1 with err filled. */
typedef struct {
    char arch[32], format[32];
    int32_t n_vocab, n_ctx, d_model, n_layers, n_embd;
    uint64_t n_params, file_bytes;
    int can_generate, loaded;
    double modified;          /* file mtime, seconds since the epoch */
} engine_model_info;
int engine_model_describe(engine *e, const char *name, int load, engine_model_info *info,
                          engine_error *err);
/* The default model: the first registered. NULL when none. */
const char *engine_default_model(const engine *e);

/* Render messages with the model's chat template into a new string. */
char *engine_render_chat(engine *e, const char *model, const rg_message *msgs, int n,
                         engine_error *err);

/* ---- generation jobs ---------------------------------------------------- */

typedef struct {
    const char *model;
    const char *prompt;             /* text, tokenized as the model expects     */
    rg_sampling sampling;           /* max_tokens already within limits         */
    const char *const *stop;        /* stop strings (not included in the text)  */
    int n_stop;
    int ignore_eos;                 /* never end at EOS (benchmarks: fixed lengths) */
} job_request;

typedef void (*job_notify_fn)(void *user);

/* Queue a job; *out gets it (one reference for the caller, released with
 * job_release). notify(user) is called from the scheduler thread whenever
 * the job has new text or is done. 0, or -1 with err (404 unknown model,
 * 400 prompt too long, 503 queue full, 500 load failure). */
int engine_submit(engine *e, const job_request *req, job_notify_fn notify, void *user,
                  job **out, engine_error *err);

/* What a job has produced so far. */
typedef struct {
    int done;
    const char *finish_reason;      /* "stop", "length", "cancelled", "error"   */
    int32_t n_prompt, n_generated;
    double queued_s, ttft_s, total_s;  /* waiting, submit to first token, submit to end */
    char error[256];
} job_state;

/* Copy up to cap bytes of output text from byte offset from into buf; *n gets
 * the count; st (may be NULL) the state. Returns 1 when no more text will
 * come after what was copied (the job is done and everything was read). */
int job_read(job *j, size_t from, char *buf, size_t cap, size_t *n, job_state *st);
/* Give up the caller's reference: a job still running is cancelled and its
 * slot freed at the next step; notify is never called again. */
void job_release(job *j);

/* ---- embeddings --------------------------------------------------------- */

/* Embed texts[n] with model into a new array [n, *n_embd]; *n_tokens gets
 * the number of tokens read. NULL with err on failure. */
float *engine_embed(engine *e, const char *model, const char *const *texts, int n,
                    int *n_embd, int64_t *n_tokens, engine_error *err);
/* Tokens of text under model (for prompt-size checks and usage). -1 with err. */
int64_t engine_count_tokens(engine *e, const char *model, const char *text, engine_error *err);

/* ---- gauges for /metrics ------------------------------------------------ */
typedef struct {
    int queue_depth, slots_busy, slots_total, models_loaded;
    uint64_t models_bytes;
} engine_gauges;
void engine_get_gauges(engine *e, engine_gauges *g);

/* Wait until no job is queued or running, at most timeout_s; then cancel
 * what is left. Used by graceful shutdown. */
void engine_drain(engine *e, double timeout_s);

#endif
