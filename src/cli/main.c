/*
 * main.c — the command line: parse the command name, dispatch, print the
 * error and choose the exit status. Nothing else happens here; each command
 * lives in its own file (cmd_train.c, cmd_model.c, chat.c, bench.c).
 */
#include "cli/cli.h"
#include "core/kernels/kernels.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "rustgpt " RUSTGPT_VERSION " — a small GPT you can train, talk to and read\n"
    "\n"
    "usage:\n"
    "  rustgpt train    [DATA ...] [--pretrain FILE] [--chat FILE] [options]\n"
    "  rustgpt chat     [--model FILE] [--history N|all (0)] [sampling options]\n"
    "  rustgpt generate --model FILE --prompt TEXT [sampling options]\n"
    "  rustgpt eval     --model FILE DATA ...\n"
    "  rustgpt tokenize --model FILE TEXT\n"
    "  rustgpt tokenize --tokenizer NAME|FILE [--ids|--count|--pieces] [--special allow|plain|refuse] [FILE|-]\n"
    "  rustgpt tokenizer train --vocab N [--special TEXT]... FILE... -o tok.json\n"
    "  rustgpt tokenizer convert NAME|FILE tok.json\n"
    "  rustgpt info     FILE\n"
    "  rustgpt convert  IN OUT\n"
    "  rustgpt export   [--format gguf] MODEL OUT.gguf\n"
    "  rustgpt quantize IN.gguf OUT.gguf Q8_0|Q4_0|Q4_K|Q5_K|Q6_K|F16|BF16|F32\n"
    "  rustgpt bench    [options] | quant [--rows N --cols N] | embed | flow | tokenize --text FILE\n"
    "  rustgpt explain  [--section NAME | --list]\n"
    "  rustgpt embed    --model M [--pooling mean|cls|last|max|mean-sqrt] [--no-normalize]\n"
    "                   [--batch N] [--threads N] [--format jsonl|tsv|f32|npy] [--no-truncate] [FILE|-]\n"
    "  rustgpt index    --model M FILE -o OUT.idx       rustgpt search INDEX \"query\" [-k 5]\n"
    "  rustgpt embed-eval --model M pairs.tsv           (recall@1, recall@5, MRR)\n"
    "  rustgpt serve    --model FILE ... | --models-dir DIR [serve options]\n"
    "  rustgpt flow     run|check|graph FILE.json [--set k=v] [--dir DIR] [--model FILE]\n"
    "  rustgpt plugins  (what is registered; any command takes --plugin FILE.so)\n"
    "  rustgpt --help | --version | COMMAND --help (each command's options)\n"
    "\n"
    "train options:\n"
    "  --pretrain FILE   pretraining data (stage 1, lr 5e-4)\n"
    "  --chat FILE       instruction-tuning data (stage 2, lr 1e-4)\n"
    "                    with neither and no DATA: the bundled data/ files\n"
    "  --layers N (3)  --dim N (128)  --heads N (8)  --hidden N (256)  --seq-len N (80)\n"
    "  --epochs N (100)  --lr X (per stage)  --batch N (8)  --clip X (5.0)\n"
    "  --threads N  --seed N (42)  --out FILE (" DEFAULT_MODEL_PATH ")  -q, --quiet\n"
    "  --val FILE  --val-split F (0.05 of stages with 1000+ examples)  --save-best\n"
    "  --log FILE.csv  --lr-schedule constant|cosine  --warmup N  --weight-decay X\n"
    "  --mask-prompt  --checkpoint FILE (OUT.ckpt.bin)  --checkpoint-every N\n"
    "  --stop-after N  --resume FILE (run the same command again with it)\n"
    "\n"
    "serve options (also RUSTGPT_<NAME> variables and --config FILE.json):\n"
    "  --host H (127.0.0.1)  --port N (8080)  --parallel N (4)  --ctx N  --queue N (64)\n"
    "  --api-key KEY  --api-keys FILE  --rate-limit N/min  --max-body BYTES  --max-tokens N\n"
    "  --max-prompt-tokens N  --timeout S (30)  --memory-budget MB  --cors ORIGIN  --grace S (5)\n"
    "\n"
    "sampling options (chat, generate):\n"
    "  --temperature T (0 = greedy)  --top-k K  --top-p P  --repeat-penalty R\n"
    "  --max-tokens N  --seed S  --beams N\n"
    "\n"
    "Data files are .json, .jsonl, .csv or .txt; models .bin, .json or .safetensors.\n"
    "RUSTGPT_KERNELS=scalar|avx2|avx512 forces a kernel path. See docs/README.md.\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    { "train", cmd_train },       { "chat", cmd_chat },     { "generate", cmd_generate },
    { "eval", cmd_eval },         { "tokenize", cmd_tokenize }, { "tokenizer", cmd_tokenizer }, { "info", cmd_info },
    { "convert", cmd_convert },   { "export", cmd_export },   { "bench", cmd_bench },
    { "explain", cmd_explain }, { "plugins", cmd_plugins }, { "embed", cmd_embed },
    { "index", cmd_index }, { "search", cmd_search }, { "embed-eval", cmd_embed_eval },
    { "quantize", cmd_quantize }, { "serve", cmd_serve }, { "flow", cmd_flow },
};

/* `rustgpt CMD --help`: the command's own options and defaults. */
static const struct {
    const char *name;
    const char *text;
} command_help[] = {
    { "train", train_help },       { "chat", chat_help },       { "generate", generate_help },
    { "eval", eval_help },         { "tokenize", tokenize_help }, { "info", info_help },
    { "convert", convert_help },   { "export", export_help },   { "bench", bench_help },     { "explain", explain_help },
    { "plugins", plugins_help }, { "quantize", quantize_help },
    { "tokenizer", tokenizer_help }, { "embed", embed_help }, { "index", index_help },
    { "search", search_help }, { "embed-eval", embed_eval_help }, { "serve", serve_help },
    { "flow", flow_help },
};

static const char *help_of(const char *command)
{
    for (size_t i = 0; i < sizeof command_help / sizeof command_help[0]; i++)
        if (strcmp(command, command_help[i].name) == 0) return command_help[i].text;
    return NULL;
}

/* Results that could not be written (a full disk behind `> file`) are an
 * error too, or they would be lost without a word: stdout is flushed and
 * checked before the status is final. The kernels' scratch is freed here,
 * so that valgrind sees every allocation returned. */
static int finish_output(int status)
{
    kernels_release_scratch();
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && status == EXIT_OK) {
        fprintf(stderr, "rustgpt: cannot write the output: %s\n", errno ? strerror(errno) : "write error");
        return EXIT_RUNTIME;
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *help = NULL;   /* "rustgpt help train" and "rustgpt train --help" */
    if (strcmp(argv[1], "help") == 0) help = argc > 2 && help_of(argv[2]) ? help_of(argv[2]) : usage_text;
    for (int i = 1; i < argc && !help; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            help = i > 1 && help_of(argv[1]) ? help_of(argv[1]) : usage_text;
    if (help) {
        fputs(help, stdout);
        return finish_output(EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rustgpt %s\n", RUSTGPT_VERSION);
        return finish_output(EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        int status = cli_load_plugins(&argc, argv);
        if (status == EXIT_OK) status = commands[i].run(argc - 1, argv + 1);
        if (status != EXIT_OK && last_error()[0]) {
            fprintf(stderr, "rustgpt: %s\n", last_error());
            if (status == EXIT_USAGE)
                fprintf(stderr, "Try 'rustgpt %s%s--help'.\n", help_of(argv[1]) ? argv[1] : "",
                        help_of(argv[1]) ? " " : "");
        }
        return finish_output(status);
    }
    fprintf(stderr, "rustgpt: unknown command '%s'\nTry 'rustgpt --help'.\n", argv[1]);
    return EXIT_USAGE;
}
