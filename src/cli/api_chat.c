/*
 * api_chat.c — `rustgpt chat --model F.gguf`: a conversation with a model
 * loaded through the public API, in the model's own chat template.
 *
 * Each turn the whole conversation is rendered with rg_chat_render (the
 * family of tokenizer.chat_template that llama.cpp would recognise:
 * ChatML, Llama 2/3, Gemma, Phi-3, Mistral; else a plain "User: ...
 * Assistant:" form, with a notice), tokenized with its special tokens,
 * and only the tokens after what the context already holds are decoded:
 * the KV cache carries the conversation from turn to turn. The reply ends
 * at the model's end-of-turn token or --max-tokens.
 *
 * Lines starting with / are commands: /reset forgets the conversation,
 * /quit (or end of input) leaves.
 */
#include "cli/api_cli.h"
#include "core/util.h"
#include "infer/chat_formats.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    rg_message *msgs;
    int n, cap;
} conversation;

static int conversation_add(conversation *c, const char *role, const char *content)
{
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 16;
        rg_message *m = realloc(c->msgs, (size_t)cap * sizeof *m);
        if (!m) return fail("out of memory");
        c->msgs = m;
        c->cap = cap;
    }
    char *copy = xstrdup(content);
    if (!copy) return -1;
    c->msgs[c->n++] = (rg_message){ role, copy };
    return 0;
}

static void conversation_clear(conversation *c, int keep)
{
    while (c->n > keep) free((char *)c->msgs[--c->n].content);
}

/* The conversation rendered for the model (a new string). */
static char *render(const rg_model *model, const conversation *c)
{
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap, 1);
    if (!buf) return NULL;
    rg_status st = rg_chat_render(model, c->msgs, c->n, 1, buf, cap, &len);
    if (st == RG_ERR_TOO_SMALL) {
        free(buf);
        cap = len + 1;
        if (!(buf = xmalloc(cap, 1))) return NULL;
        st = rg_chat_render(model, c->msgs, c->n, 1, buf, cap, &len);
    }
    if (st != RG_OK) {
        api_fail(st);
        free(buf);
        return NULL;
    }
    return buf;
}

/* One turn: decode what the context lacks of ids[n], generate the reply
 * into the conversation. cache/n_cache track the context's tokens. */
static int reply(rg_context *ctx, const rg_tokenizer *tok, const int32_t *ids, size_t n,
                 int32_t **cache, size_t *n_cache, const rg_sampling *sp, conversation *c)
{
    size_t common = 0;
    while (common < n && common < *n_cache && ids[common] == (*cache)[common]) common++;
    if (common < *n_cache || common == n) {   /* diverged (or nothing new): start over */
        rg_context_reset(ctx, 0);
        common = 0;
    }
    int32_t *generated = xmalloc((size_t)sp->max_tokens + 1, sizeof *generated);
    int32_t *all = xmalloc(n + (size_t)sp->max_tokens + 1, sizeof *all);
    if (!generated || !all) {
        free(generated); free(all);
        return EXIT_RUNTIME;
    }
    int32_t n_generated = 0;
    int status = api_continue_into(ctx, tok, ids + common, n - common, sp, stdout, generated,
                                   &n_generated);
    fputc('\n', stdout);
    if (status == EXIT_OK) {
        /* what the context holds now: the prompt, then every generated
         * token that was fed back */
        memcpy(all, ids, n * sizeof *all);
        size_t held = (size_t)rg_context_n_tokens(ctx, 0);
        for (size_t i = n; i < held && i - n < (size_t)n_generated; i++) all[i] = generated[i - n];
        free(*cache);
        *cache = all;
        *n_cache = held < n + (size_t)n_generated ? held : n + (size_t)n_generated;
        all = NULL;
        size_t len = 0, cap = 16 * (size_t)n_generated + 16;
        char *text = xmalloc(cap, 1);
        if (text && rg_detokenize(tok, generated, (size_t)n_generated, text, cap - 1, &len) == RG_OK) {
            text[len] = '\0';
            if (conversation_add(c, "assistant", text) < 0) status = EXIT_RUNTIME;
        }
        free(text);
    }
    free(all);
    free(generated);
    return status;
}

int cmd_chat_api(int argc, char **argv)
{
    const char *model_path = NULL, *system = NULL, *v;
    SamplingOptions opt = sampling_default();
    opt.max_tokens = 256;
    int threads = 0, n_ctx = 0;
    for (int i = 1; i < argc; i++) {
        int r = parse_sampling_option(argc, argv, &i, &opt);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        if (strcmp(argv[i], "--model") == 0) { if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--system") == 0) { if (!(system = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 1024, &threads)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--ctx") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--ctx", v, 1, 1 << 24, &n_ctx)) return EXIT_USAGE;
        } else return usage_error("chat: unexpected argument '%s'", argv[i]);
    }
    rg_model *model;
    rg_context *ctx;
    int status = api_open(model_path, n_ctx, threads, &model, &ctx);
    if (status != EXIT_OK) return status;
    const rg_tokenizer *tok = rg_model_tokenizer(model);
    rg_model_info info;
    rg_model_get_info(model, &info);
    chat_format family = chat_format_detect(info.chat_template);
    int terminal = isatty(STDIN_FILENO);
    if (family == CHAT_FORMAT_UNKNOWN)
        fprintf(stderr, "rustgpt: note: %s; using the plain \"User: ... Assistant:\" form\n",
                info.chat_template ? "the model's chat template is not one rustgpt recognises"
                                   : "the model has no chat template");
    if (terminal)
        printf("rustgpt chat · %s · %s · template %s · /reset, /quit\n", info.name ? info.name : model_path,
               info.arch, chat_format_name(family));

    conversation conv = { 0 };
    int keep = 0;
    if (system && conversation_add(&conv, "system", system) == 0) keep = 1;
    rg_sampling sp = { opt.temperature, opt.top_k, opt.top_p, opt.repeat_penalty, opt.seed, opt.max_tokens };
    int32_t *cache = NULL;
    size_t n_cache = 0, line_cap = 0;
    char *line = NULL;
    for (;;) {
        if (terminal) { fputs("> ", stdout); fflush(stdout); }
        ssize_t got = getline(&line, &line_cap, stdin);
        if (got < 0) break;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
        if (got == 0) continue;
        if (strcmp(line, "/quit") == 0 || strcmp(line, "/exit") == 0) break;
        if (strcmp(line, "/reset") == 0) {
            conversation_clear(&conv, keep);
            continue;
        }
        if (conversation_add(&conv, "user", line) < 0) { status = EXIT_RUNTIME; break; }
        char *text = render(model, &conv);
        int32_t *ids = NULL;
        size_t n = 0;
        if (!text || api_tokenize(tok, text, RG_TOKENIZE_ADD_SPECIAL | RG_TOKENIZE_PARSE_SPECIAL, &ids, &n) != EXIT_OK) {
            free(text);
            status = EXIT_RUNTIME;
            break;
        }
        free(text);
        status = reply(ctx, tok, ids, n, &cache, &n_cache, &sp, &conv);
        free(ids);
        if (status != EXIT_OK) break;
    }
    free(line);
    free(cache);
    conversation_clear(&conv, 0);
    free(conv.msgs);
    rg_context_free(ctx);
    rg_model_free(model);
    return status;
}
