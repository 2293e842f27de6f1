/*
 * chat.c — `rustgpt chat`: talk to a trained model.
 *
 * Each line the user types is wrapped as the instruction-tuning data was,
 * "User: {line} Assistant:", and the model's answer is generated until </s>
 * or --max-tokens. On a terminal there is a banner and a prompt; when stdin
 * is not a terminal there is neither, and each input line gets exactly one
 * answer line on stdout, so `echo "How do mountains form?" | rustgpt chat`
 * works in scripts.
 */
#include "cli.h"
#include "generate.h"
#include "modelfile.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Answer one line: the prompt runs from a fresh context. */
static int answer(Generator *g, const Model *m, const char *line, const SamplingOptions *opt, Rng *rng)
{
    size_t n = strlen(line) + 32;
    char *prompt = xmalloc(n, 1);
    if (!prompt) return -1;
    snprintf(prompt, n, "User: %s Assistant:", line);
    int count = tokenizer_encode(&m->vocab, prompt, NULL, 0);
    int *ids = xmalloc((size_t)count, sizeof(int));
    if (!ids) { free(prompt); return -1; }
    tokenizer_encode(&m->vocab, prompt, ids, count);
    generator_reset(g);
    TokenPrinter printer;
    token_printer_init(&printer, &m->vocab, stdout);
    generate(g, ids, count, opt, rng, print_token, &printer);
    fputc('\n', stdout);
    fflush(stdout);
    free(ids);
    free(prompt);
    return 0;
}

int cmd_chat(int argc, char **argv)
{
    const char *model_path = DEFAULT_MODEL_PATH;
    SamplingOptions opt = sampling_default();
    for (int i = 1; i < argc; i++) {
        int r = parse_sampling_option(argc, argv, &i, &opt);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        if (strcmp(argv[i], "--model") == 0) {
            if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else {
            return usage_error("chat: unexpected argument '%s'", argv[i]);
        }
    }
    Model m;
    if (model_load(&m, model_path) != 0) return EXIT_RUNTIME;
    Generator g;
    if (generator_create(&g, &m) != 0) { model_free(&m); return EXIT_RUNTIME; }
    int interactive = isatty(STDIN_FILENO);
    if (interactive) {
        char params[32];
        printf("rustgpt chat — %s (%s parameters, vocabulary %d). Ctrl-D to leave.\n",
               model_path, with_commas(params, m.n_params), m.config.vocab_size);
    }
    Rng rng;
    rng_seed(&rng, opt.seed);
    char *line = NULL;
    size_t cap = 0;
    int rc = EXIT_OK;
    for (;;) {
        if (interactive) { printf("> "); fflush(stdout); }
        ssize_t len = getline(&line, &cap, stdin);
        if (len < 0) break;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (answer(&g, &m, line, &opt, &rng) != 0) { rc = EXIT_RUNTIME; break; }
    }
    if (interactive) printf("\n");
    free(line);
    generator_free(&g);
    model_free(&m);
    return rc;
}
