/*
 * cmd_model.c — the commands that use a saved model: generate, eval,
 * info and convert (tokenize is cmd_tokenize.c).
 */
#include "cli/cli.h"
#include "rustgpt.h"
#include "cli/api_cli.h"
#include "train/data.h"
#include "infer/generate.h"
#include "formats/modelfile.h"
#include "train/train.h"
#include "infer/text.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void token_printer_init(TokenPrinter *p, const Vocab *vocab, FILE *out)
{
    p->vocab = vocab;
    p->out = out;
    p->model = NULL;
    detokenizer_init(&p->detok);
}

void token_printer_init_model(TokenPrinter *p, const Model *m, FILE *out)
{
    token_printer_init(p, &m->vocab, out);
    if (m->tokenizer) p->model = m;
}

int print_token(int token, void *printer)
{
    TokenPrinter *p = printer;
    if (p->model) {                    /* a tokenizer other than word: its own text */
        char text[256];
        if (token == model_eos(p->model)) return 0;
        size_t len = model_decode(p->model, &token, 1, text, sizeof text);
        fwrite(text, 1, len < sizeof text ? len : sizeof text - 1, p->out);
        fflush(p->out);
        return 0;
    }
    if (token == TOKEN_EOS || token == TOKEN_PAD) return 0;
    fputs(detokenizer_next(&p->detok, p->vocab, token), p->out);
    fputs(tokenizer_piece(p->vocab, token), p->out);
    fflush(p->out);
    return 0;
}

/* Encode text with the model's tokenizer into a new array (*n ids). */
static int *encode_text(const Model *m, const char *text, int *n)
{
    int count = model_encode(m, text, NULL, 0);
    if (count < 0) return NULL;
    int *ids = xmalloc((size_t)(count ? count : 1), sizeof(int));
    if (ids) model_encode(m, text, ids, count);
    *n = count;
    return ids;
}

const char generate_help[] =
    "usage: rustgpt generate [--model FILE] --prompt TEXT [sampling options]\n"
    "\n"
    "Continues TEXT with the model and prints the continuation. For a chat model, write\n"
    "the prompt as its data was written: \"User: QUESTION Assistant:\".\n"
    "\n"
    "  --model FILE (" DEFAULT_MODEL_PATH ")\n"
    "  --prompt TEXT          the text to continue\n"
    "sampling:\n"
    "  --temperature T (0)    0 = greedy; higher is more random\n"
    "  --top-k K (0 = off)    keep the K most likely tokens\n"
    "  --top-p P (1 = off)    keep the most likely tokens whose probabilities add up to P\n"
    "  --repeat-penalty R (1 = off)  discourage tokens already in the context\n"
    "  --max-tokens N (60)    longest answer\n"
    "  --seed S (42)          the sampler's generator\n"
    "  --beams N (1 = off)    beam search with N hypotheses (deterministic)\n";

const char eval_help[] =
    "usage: rustgpt eval [--model FILE] DATA ...\n"
    "\n"
    "Scores the model on data files (.json, .jsonl, .csv or .txt): examples, tokens,\n"
    "unknown words, examples cut to seq-len, loss and perplexity per token, the bytes of\n"
    "text and the loss per byte (comparable between tokenizers), and for prompt/response\n"
    "data how many answers greedy decoding reproduces exactly.\n"
    "\n"
    "  --model FILE (" DEFAULT_MODEL_PATH ")\n";

const char info_help[] =
    "usage: rustgpt info FILE\n"
    "\n"
    "Prints a model file's format, configuration, vocabulary size, parameter count,\n"
    "size, checksum and whether it holds optimizer state (a checkpoint). No options.\n"
    "A GGUF file: every key with its byte offset (long arrays summarised) and each\n"
    "tensor's type, shape, bytes and offset (docs/17-gguf-file.md).\n";

const char convert_help[] =
    "usage: rustgpt convert IN OUT\n"
    "\n"
    "Writes the model IN to OUT in the format OUT's extension names: .bin, .json or\n"
    ".safetensors. No options.\n";

int cmd_generate(int argc, char **argv)
{
    const char *model_path = NULL, *prompt = NULL;
    SamplingOptions opt = sampling_default();
    for (int i = 1; i < argc; i++)   /* token ids in or out: the API path */
        if (strcmp(argv[i], "--ids") == 0 || strcmp(argv[i], "--prompt-ids") == 0)
            return cmd_generate_api(argc, argv, &opt);
    if (wants_api_model(argc, argv)) return cmd_generate_api(argc, argv, &opt);
    for (int i = 1; i < argc; i++) {
        int r = parse_sampling_option(argc, argv, &i, &opt);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        if (strcmp(argv[i], "--model") == 0) { if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--prompt") == 0) { if (!(prompt = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else return unknown_argument("generate", argv[i]);
    }
    if (!model_path) model_path = DEFAULT_MODEL_PATH;
    if (!prompt) return usage_error("generate needs --prompt TEXT");
    Model m;
    if (load_model_for_use(&m, model_path) != 0) return EXIT_RUNTIME;
    Generator g;
    int n = 0, *ids = NULL;
    int status = EXIT_RUNTIME;
    if (generator_create(&g, &m) == 0) {
        ids = encode_text(&m, prompt, &n);
        if (ids && n > 0) {
            Rng rng;
            rng_seed(&rng, opt.seed);
            TokenPrinter printer;
            token_printer_init_model(&printer, &m, stdout);
            int produced = opt.beams > 1 ? beam_search(&g, ids, n, &opt, print_token, &printer)
                                         : generate(&g, ids, n, &opt, &rng, print_token, &printer);
            fputc('\n', stdout);
            status = produced < 0 ? EXIT_RUNTIME : EXIT_OK;
        } else if (ids) {
            fail("the prompt is empty");
            status = EXIT_USAGE;
        }
        generator_free(&g);
    }
    free(ids);
    model_free(&m);
    return status;
}

/* For chat examples: how many answers greedy decoding reproduces exactly. */
static int print_answer_accuracy(const Model *m, const TokenizedSet *set)
{
    Generator g;
    if (generator_create(&g, m) != 0) return EXIT_RUNTIME;
    size_t chats = 0, exact = 0;
    for (size_t i = 0; i < set->count; i++) {
        int r = answer_reproduced(&g, set->ids + set->offsets[i], (int)(set->offsets[i + 1] - set->offsets[i]));
        chats += r >= 0;
        exact += r == 1;
    }
    if (chats) printf("answers exact %zu/%zu (%.1f%%)\n", exact, chats, 100.0 * exact / chats);
    generator_free(&g);
    return EXIT_OK;
}

int cmd_eval(int argc, char **argv)
{
    const char *model_path = NULL;
    Dataset ds = { 0 };
    int rc = EXIT_OK;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        if (strcmp(argv[i], "--model") == 0) {
            if (!(model_path = option_value(argc, argv, &i))) rc = EXIT_USAGE;
        } else if (is_option(argv[i])) {
            rc = unknown_argument("eval", argv[i]);
        } else if (data_load(&ds, argv[i]) != 0) {
            rc = EXIT_RUNTIME;
        }
    }
    if (rc == EXIT_OK && ds.count == 0) rc = usage_error("eval needs a DATA file");
    Model m = { 0 };
    if (rc == EXIT_OK && load_model_for_use(&m, model_path ? model_path : DEFAULT_MODEL_PATH) != 0)
        rc = EXIT_RUNTIME;
    if (rc != EXIT_OK) {
        dataset_free(&ds);
        return rc;
    }
    TokenizedSet set;
    Trainer t;
    rc = EXIT_RUNTIME;
    if (tokenized_set_build_model(&set, &m, &ds, m.config.seq_len) == 0) {
        if (trainer_create(&t, &m, 8, 0) == 0) {
            size_t n_targets = 0;
            float loss = evaluate_loss(&t, &set, &n_targets);
            printf("examples %zu\ntokens %zu\nunknown %zu\ncut %zu\nloss %.6f\nperplexity %.4f\n",
                   set.count, n_targets, set.n_unknown, set.n_cut, loss, exp(loss));
            /* Per byte of text, the loss compares models whose tokens differ
             * (words, BPE pieces): the total over every target, spread over
             * the UTF-8 bytes of the texts (their " </s>" included). */
            size_t bytes = 0;
            for (size_t i = 0; i < ds.count; i++) bytes += strlen(ds.texts[i]);
            printf("bytes %zu\nloss/byte %.6f\n", bytes, bytes ? loss * (double)n_targets / (double)bytes : 0.0);
            trainer_free(&t);
            rc = print_answer_accuracy(&m, &set);
        }
        tokenized_set_free(&set);
    }
    dataset_free(&ds);
    model_free(&m);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    if (argc == 2 && is_option(argv[1])) return unknown_argument("info", argv[1]);
    if (argc != 2) return usage_error("usage: rustgpt info FILE");
    /* model_file_info() opens the file with fopen(), which would wait
     * forever on a FIFO with no writer: say what the path is first. */
    struct stat st;
    if (stat(argv[1], &st) == 0 && !S_ISREG(st.st_mode)) {
        const char *kind = S_ISDIR(st.st_mode) ? "is a directory, "
                         : S_ISFIFO(st.st_mode) ? "is a pipe (FIFO), " : "";
        fail("%s: %snot a regular file", argv[1], kind);
        return EXIT_RUNTIME;
    }
    /* a GGUF file says so in its first four bytes */
    FILE *fp = fopen(argv[1], "rb");
    char magic[4] = { 0 };
    int is_gguf = fp && fread(magic, 1, 4, fp) == 4 && memcmp(magic, "GGUF", 4) == 0;
    if (fp) fclose(fp);
    if (is_gguf) return gguf_print_info(argv[1], stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
    return model_file_info(argv[1], stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int cmd_convert(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (is_option(argv[i])) return unknown_argument("convert", argv[i]);
    if (argc != 3) return usage_error("usage: rustgpt convert IN OUT");
    if (model_format_of(argv[2]) == FORMAT_UNKNOWN)
        return usage_error("%s: unknown model format; use .bin, .json or .safetensors", argv[2]);
    rg_model *model;                   /* the public API: any registered format in, any out */
    if (rg_model_load(argv[1], NULL, &model) != RG_OK) return EXIT_RUNTIME;
    int rc = rg_model_save(model, argv[2]) == RG_OK ? EXIT_OK : EXIT_RUNTIME;
    rg_model_free(model);
    return rc;
}
