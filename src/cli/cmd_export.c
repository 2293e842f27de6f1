/*
 * cmd_export.c — `rustgpt export`: a model written for another tool. Today
 * that is GGUF for llama.cpp and the tools built on it (ollama, LM Studio):
 * the public API loads the model and saves it through the gguf format,
 * which maps rustgpt's own architecture onto llama.cpp's gpt2 or says why
 * it cannot (formats/gguf_export.c).
 */
#include "cli/cli.h"
#include "core/util.h"
#include "rustgpt.h"

#include <stdio.h>
#include <string.h>

const char export_help[] =
    "usage: rustgpt export [--format gguf] MODEL OUT.gguf\n"
    "\n"
    "Writes MODEL (a rustgpt model file, a GGUF file or a Hugging Face GPT-2\n"
    "directory) as a GGUF file that llama.cpp loads. A model trained by rustgpt\n"
    "exports when llama.cpp's gpt2 architecture computes it exactly: trained with\n"
    "--arch gpt2 and a byte-level BPE tokenizer; otherwise the reason is given.\n"
    "  --format gguf          the only format (the default)\n";

int cmd_export(int argc, char **argv)
{
    const char *paths[2] = { NULL, NULL };
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0) {
            const char *v = option_value(argc, argv, &i);
            if (!v) return EXIT_USAGE;
            if (strcmp(v, "gguf") != 0) return usage_error("export: --format is gguf, not '%s'", v);
        } else if (is_option(argv[i]) || n_paths == 2) {
            return unknown_argument("export", argv[i]);
        } else {
            paths[n_paths++] = argv[i];
        }
    }
    if (n_paths != 2) return usage_error("export needs MODEL and OUT.gguf");
    size_t len = strlen(paths[1]);
    if (len < 5 || strcmp(paths[1] + len - 5, ".gguf") != 0)
        return usage_error("export: %s: the output must be a .gguf file", paths[1]);
    rg_model *model = NULL;
    if (rg_model_load(paths[0], NULL, &model) != RG_OK) return EXIT_RUNTIME;   /* the message is set */
    rg_status st = rg_model_save(model, paths[1]);
    if (st != RG_OK) {
        char why[1024];               /* fail() writes where rg_last_error() reads */
        snprintf(why, sizeof why, "%s", rg_last_error());
        fail("cannot export %s: %s", paths[0], why);
    }
    else printf("wrote %s\n", paths[1]);
    rg_model_free(model);
    return st == RG_OK ? EXIT_OK : EXIT_RUNTIME;
}
