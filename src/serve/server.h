/*
 * server.h — `rustgpt serve`: settings and the entry point the CLI calls
 * (docs/19-serving.md).
 *
 * Settings come from three sources, each over the one before: a JSON config
 * file (--config), the environment (RUSTGPT_PORT, RUSTGPT_API_KEY, ...) and
 * the command line. Every source goes through serve_config_set with the
 * same key names, so the three cannot drift apart.
 */
#ifndef RUSTGPT_SERVE_SERVER_H
#define RUSTGPT_SERVE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define SERVE_MAX_MODELS 64
#define SERVE_MAX_KEYS 64

typedef enum { SOURCE_FILE = 1, SOURCE_ENV = 2, SOURCE_FLAG = 3 } serve_source;

typedef struct {
    char *models[SERVE_MAX_MODELS];  /* model files (--model, repeatable)         */
    int n_models, models_source;
    char *models_dir;                /* every model file here, loaded on first use */
    char *host;                      /* 127.0.0.1                                  */
    int port;                        /* 8080; 0 picks a free port                  */
    int parallel;                    /* slots per model (4)                        */
    int ctx;                         /* positions per slot (0: the model's)        */
    int threads;                     /* HTTP worker threads (4)                    */
    int queue;                       /* jobs waiting for a slot before 503 (64)    */
    char *api_keys[SERVE_MAX_KEYS];  /* --api-key (repeatable) and --api-keys FILE */
    int n_keys, keys_source;
    int rate_limit;                  /* requests per minute per key (0: off)       */
    size_t max_body;                 /* bytes (1 MiB)                              */
    int max_prompt_tokens;           /* 0: the context                             */
    int max_tokens;                  /* largest max_tokens a request may ask (4096) */
    int timeout;                     /* idle connection timeout, seconds (30)      */
    uint64_t memory_budget;          /* bytes of models loaded at once (0: no limit) */
    char *cors;                      /* Access-Control-Allow-Origin value, or NULL */
    double grace;                    /* seconds streams get to finish on SIGTERM (5) */
    int quiet;                       /* no per-request log lines                   */
} serve_config;

void serve_config_init(serve_config *c);
void serve_config_free(serve_config *c);
/* Set key (config-file name: "port", "api_key", "model", ...) to value from
 * source. A list key set from a higher source replaces the lower one's list.
 * 0, or -1 after fail() for an unknown key or a bad value. */
int serve_config_set(serve_config *c, const char *key, const char *value, serve_source source);
/* Apply a JSON config file ({"port": 8080, "model": ["a.bin"], ...}). */
int serve_config_load_file(serve_config *c, const char *path);
/* Apply every RUSTGPT_<KEY> variable of the environment. */
int serve_config_load_env(serve_config *c);

/* Where log lines and notices go (the CLI prints them). */
typedef void (*serve_log_fn)(const char *line, void *user);

/* Run the server until *stop becomes nonzero (the CLI's signal handler sets
 * it), then shut down gracefully. 0, or -1 after fail() when it could not
 * start (bad address, port in use, no model). */
int serve_run(const serve_config *c, volatile int *stop, serve_log_fn log, void *log_user);

#endif
