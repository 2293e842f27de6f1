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
int cmd_bench(int argc, char **argv);
int bench_tokenize(int argc, char **argv);   /* `bench tokenize` (bench_tokenize.c) */
int cmd_explain(int argc, char **argv);
int cmd_plugins(int argc, char **argv);

/* Load RUSTGPT_PLUGIN_PATH's plugins and every `--plugin PATH` of argv,
 * removing those from argv. EXIT_OK, or an exit status after fail(). */
int cli_load_plugins(int *argc, char **argv);

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
} TokenPrinter;
void token_printer_init(TokenPrinter *p, const Vocab *vocab, FILE *out);
int print_token(int token, void *printer);   /* a TokenCallback */

#endif
