/*
 * cli.h — what the command implementations share: their entry points (main.c
 * dispatches to them), option parsing that reports usage errors the same way
 * everywhere, and the sampling options every generating command accepts.
 *
 * A command returns an exit status of DESIGN.md §1 (EXIT_OK, EXIT_RUNTIME,
 * EXIT_USAGE, EXIT_INTERRUPTED) and leaves its message with fail(); main()
 * prints it.
 */
#ifndef RUSTGPT_CLI_H
#define RUSTGPT_CLI_H

#include "archs/gpt.h"
#include "infer/sampler.h"

#include <stdio.h>

#define RUSTGPT_VERSION "0.1.0"
#define DEFAULT_MODEL_PATH "models/model.bin"
#define DEFAULT_BATCH 8            /* examples per Adam step: README says why */

int cmd_train(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int bench_tokenize(int argc, char **argv);   /* `bench tokenize` (bench_tokenize.c) */
int cmd_explain(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_embed_eval(int argc, char **argv);
int cmd_bench_embed(int argc, char **argv);   /* `rustgpt bench embed` (bench_embed.c) */
int cmd_serve(int argc, char **argv);
int cmd_flow(int argc, char **argv);
/* `rustgpt bench flow` (bench_flow.c), reached through cmd_bench. */
int cmd_bench_flow(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_quantize(int argc, char **argv);

/* Load RUSTGPT_PLUGIN_PATH's plugins and every `--plugin PATH` of argv,
 * removing those from argv. EXIT_OK, or an exit status after fail(). */
int cli_load_plugins(int *argc, char **argv);

/* Each command's own help (`rustgpt CMD --help`), defined in its file. */
extern const char train_help[], chat_help[], generate_help[], eval_help[], tokenize_help[],
    info_help[], convert_help[], export_help[], bench_help[], explain_help[], plugins_help[], quantize_help[],
    tokenizer_help[], embed_help[], index_help[], search_help[], embed_eval_help[],
    serve_help[], flow_help[];

/* The usage error for an argument command does not take: "CMD: unknown
 * option '--foo'" for an option, "CMD: unexpected argument 'x'" otherwise. */
int unknown_argument(const char *command, const char *arg);

/* `rustgpt info` for a GGUF file (gguf_info.c). Returns 0, or -1 after fail(). */
int gguf_print_info(const char *path, FILE *out);
/* `rustgpt bench quant` (bench_quant.c): quant_matvec speed per type. */
int bench_quant(int argc, char **argv);

/* model_load(), and when the file is not there at all, the next step in
 * the message: "train one with 'rustgpt train'". Returns 0 or -1. */
int load_model_for_use(Model *m, const char *path);

/* Record a usage error and return EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value after option argv[*i] (advancing *i), or NULL after a usage
 * error "--name needs a value". */
const char *option_value(int argc, char **argv, int *i);

/* Parse value as a number within [min, max] for option name. Return 0, or
 * EXIT_USAGE after usage_error(). */
int parse_int(const char *name, const char *value, long min, long max, int *out);
int parse_u64(const char *name, const char *value, unsigned long long *out);
int parse_float(const char *name, const char *value, double min, double max, float *out);

/* If argv[*i] is a sampling option (--temperature --top-k --top-p
 * --repeat-penalty --max-tokens --seed --beams), parse it into opt and
 * return 1; return 0 if it is not one, EXIT_USAGE on a bad value (as -EXIT_USAGE). */
int parse_sampling_option(int argc, char **argv, int *i, SamplingOptions *opt);

/* Is this an option (starts with '-' and is not "-" alone)? */
int is_option(const char *arg);

/* Streams generated tokens as text through the tokenizer's Detokenizer, so
 * spacing and punctuation come out as a reader expects; </s> and <pad> are
 * not printed. Flushes after every token. */
typedef struct {
    const Vocab *vocab;
    FILE *out;
    Detokenizer detok;
    const Model *model;      /* set by token_printer_init_model: any tokenizer */
} TokenPrinter;
void token_printer_init(TokenPrinter *p, const Vocab *vocab, FILE *out);
/* The same for m's tokenizer, whichever it is (infer/text.h). */
void token_printer_init_model(TokenPrinter *p, const Model *m, FILE *out);
int print_token(int token, void *printer);   /* a TokenCallback */

#endif
