/*
 * hello.c — the smallest program on librustgpt: load a model, ask it one
 * question in its chat form, print the reply as it streams.
 *
 *     cc hello.c $(pkg-config --cflags --libs rustgpt) -o hello
 *     ./hello models/model.bin "How do mountains form?"
 *
 * Every call returns an rg_status; rg_last_error() says what went wrong.
 */
#include <rustgpt.h>

#include <stdio.h>
#include <string.h>

static int print_piece(int32_t token, const char *text, size_t len, void *user)
{
    (void)token;
    (void)user;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;                              /* 0: go on */
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hello MODEL QUESTION\n");
        return 2;
    }
    rg_model *model;
    rg_context *ctx;
    if (rg_model_load(argv[1], NULL, &model) != RG_OK) {
        fprintf(stderr, "hello: %s\n", rg_last_error());
        return 1;
    }
    if (rg_context_new(model, NULL, &ctx) != RG_OK) {
        fprintf(stderr, "hello: %s\n", rg_last_error());
        rg_model_free(model);
        return 1;
    }
    rg_message question = { "user", argv[2] };
    char prompt[4096];
    size_t len;
    rg_status status = rg_chat_render(model, &question, 1, 1, prompt, sizeof prompt, &len);
    rg_sampling sampling = rg_sampling_default();
    sampling.max_tokens = 24;
    int32_t n = 0;
    if (status == RG_OK) status = rg_generate(ctx, prompt, &sampling, NULL, 0, print_piece, NULL, &n);
    if (status != RG_OK) fprintf(stderr, "hello: %s: %s\n", rg_status_name(status), rg_last_error());
    else printf("\n(%d tokens, librustgpt %s)\n", (int)n, rg_version());
    rg_context_free(ctx);
    rg_model_free(model);
    return status == RG_OK ? 0 : 1;
}
