/*
 * cmd_serve.c — `rustgpt serve`: read the settings (config file, then
 * RUSTGPT_* environment, then flags, each over the last), install the
 * SIGTERM/SIGINT handlers, and run the server of src/serve/ until a signal.
 * Log lines (one JSON object per request) go to stderr.
 */
#include "cli.h"
#include "core/util.h"
#include "serve/server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char serve_help[] =
    "usage: rustgpt serve --model FILE [--model FILE ...] | --models-dir DIR [options]\n"
    "\n"
    "An OpenAI- and Ollama-compatible HTTP server with a chat page at /\n"
    "(docs/19-serving.md). Settings: flags over RUSTGPT_<NAME> variables over --config FILE.\n"
    "\n"
    "  --model FILE           serve this model under its base name (repeatable)\n"
    "  --models-dir DIR       every model file in DIR, loaded on first use\n"
    "  --memory-budget MB     unload least-recently-used models beyond this (0: no limit)\n"
    "  --host H (127.0.0.1)   --port N (8080; 0 picks a free port)\n"
    "  --parallel N (4)       slots: streams decoded together, each with its KV cache\n"
    "  --ctx N                positions per slot (default: the model's)\n"
    "  --queue N (64)         requests that may wait for a slot; beyond: 503\n"
    "  --threads N (4)        HTTP worker threads\n"
    "  --api-key KEY          require Authorization: Bearer KEY (repeatable)\n"
    "  --api-keys FILE        keys, one per line\n"
    "  --rate-limit N         requests per minute per key (0: off)\n"
    "  --max-body BYTES (1048576)  --max-tokens N (4096)  --max-prompt-tokens N\n"
    "  --timeout S (30)       idle connection timeout\n"
    "  --cors ORIGIN          send Access-Control-Allow-Origin: ORIGIN (off by default)\n"
    "  --grace S (5)          on SIGTERM/SIGINT, seconds streams get to finish\n"
    "  --config FILE          JSON settings ({\"port\": 8080, \"model\": [\"a.bin\"]})\n"
    "  -q, --quiet            no per-request log lines\n";

static volatile int stop_requested;

static void on_signal(int sig) { stop_requested = sig; }

static void print_log(const char *line, void *user)
{
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

/* Flag name → config key ("--api-key" → "api_key"). */
static const struct { const char *flag, *key; } flags[] = {
    { "--model", "model" },         { "--models-dir", "models_dir" }, { "--host", "host" },
    { "--port", "port" },           { "--parallel", "parallel" },     { "--ctx", "ctx" },
    { "--threads", "threads" },     { "--queue", "queue" },           { "--api-key", "api_key" },
    { "--api-keys", "api_keys" },   { "--rate-limit", "rate_limit" }, { "--max-body", "max_body" },
    { "--max-prompt-tokens", "max_prompt_tokens" },                   { "--max-tokens", "max_tokens" },
    { "--timeout", "timeout" },     { "--memory-budget", "memory_budget" },
    { "--cors", "cors" },           { "--grace", "grace" },
};

int cmd_serve(int argc, char **argv)
{
    serve_config cfg;
    serve_config_init(&cfg);
    int status = EXIT_OK;
    const char *config_file = getenv("RUSTGPT_CONFIG");
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config_file = argv[i + 1];
    if (config_file && serve_config_load_file(&cfg, config_file) != 0) status = EXIT_USAGE;
    if (status == EXIT_OK && serve_config_load_env(&cfg) != 0) status = EXIT_USAGE;
    for (int i = 1; i < argc && status == EXIT_OK; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (!option_value(argc, argv, &i)) status = EXIT_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            cfg.quiet = 1;
            continue;
        }
        size_t f = 0;
        while (f < sizeof flags / sizeof flags[0] && strcmp(argv[i], flags[f].flag) != 0) f++;
        if (f == sizeof flags / sizeof flags[0]) {
            status = usage_error("serve: unknown option %s", argv[i]);
            break;
        }
        const char *value = option_value(argc, argv, &i);
        if (!value) status = EXIT_USAGE;
        else if (serve_config_set(&cfg, flags[f].key, value, SOURCE_FLAG) != 0)
            status = usage_error("serve: %s", last_error());
    }
    if (status == EXIT_OK) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (serve_run(&cfg, &stop_requested, print_log, NULL) != 0) status = EXIT_RUNTIME;
    }
    serve_config_free(&cfg);
    return status;
}
