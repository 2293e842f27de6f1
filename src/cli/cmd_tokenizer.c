/*
 * cmd_tokenizer.c — `rustgpt tokenizer train`: learn a byte-level BPE.
 *
 *   rustgpt tokenizer train --vocab 8192 [--special TEXT]... [--threads N]
 *                           FILE... -o tok.json
 *   rustgpt tokenizer convert NAME|FILE tok.json   (any BPE form to tokenizer.json)
 *
 * The files are read whole and learned from as plain text (bpe_train.c);
 * the result is written as a Hugging Face tokenizer.json that
 * `rustgpt tokenize --tokenizer tok.json` and other tools read back.
 */
#include "cli/cli.h"
#include "core/util.h"
#include "tokenizers/bpe.h"

#include <stdlib.h>
#include <string.h>

const char tokenizer_help[] =
    "usage: rustgpt tokenizer train --vocab N [--special TEXT]... [--threads N] FILE... -o tok.json\n"
    "       rustgpt tokenizer convert NAME|FILE tok.json\n"
    "\n"
    "train learns a byte-level BPE of N tokens (256 bytes, the merges, the specials) from\n"
    "plain-text files, deterministically, and writes it as a Hugging Face tokenizer.json.\n"
    "convert writes any BPE form rustgpt reads (a built-in NAME, a tiktoken file,\n"
    "vocab.json + merges.txt) as tokenizer.json.\n"
    "  --vocab N (8192)       tokens to learn, at least 256\n"
    "  --special TEXT         a special token (repeatable), e.g. <|endoftext|>\n"
    "  --threads N            threads (default: all cores)\n"
    "  -o, --output FILE      where tokenizer.json goes\n";

static int tokenizer_train(int argc, char **argv)
{
    BpeTrainOptions opt = { .vocab_size = 8192 };
    const char *out = NULL, *files[256], *specials[64];
    size_t n_files = 0, n_specials = 0;
    int vocab = 8192, threads = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--vocab") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--vocab", v, 256, 1 << 24, &vocab) != 0) return EXIT_USAGE;
        } else if (strcmp(a, "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 256, &threads) != 0) return EXIT_USAGE;
        } else if (strcmp(a, "--special") == 0) {
            if (!(v = option_value(argc, argv, &i))) return EXIT_USAGE;
            if (n_specials == 64) return usage_error("at most 64 --special");
            specials[n_specials++] = v;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!(out = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (is_option(a)) {
            return usage_error("tokenizer train: unexpected option '%s'", a);
        } else {
            if (n_files == 256) return usage_error("at most 256 files");
            files[n_files++] = a;
        }
    }
    if (!n_files || !out) return usage_error("usage: rustgpt tokenizer train --vocab N [--special TEXT]... FILE... -o tok.json");
    char *texts[256];
    size_t lens[256], total = 0;
    int rc = EXIT_OK;
    size_t loaded = 0;
    for (; loaded < n_files; loaded++) {
        if (!(texts[loaded] = read_whole_file(files[loaded], &lens[loaded]))) { rc = EXIT_RUNTIME; break; }
        total += lens[loaded];
    }
    if (rc == EXIT_OK) {
        opt.vocab_size = (uint32_t)vocab;
        opt.specials = specials;
        opt.n_specials = n_specials;
        opt.n_threads = threads;
        double t0 = now_seconds();
        Bpe *bpe = bpe_train((const char *const *)texts, lens, n_files, &opt);
        double t1 = now_seconds();
        if (!bpe || bpe_save_hf_json(bpe, out) != 0) rc = EXIT_RUNTIME;
        else {
            char b1[32], b2[32];
            fprintf(stderr, "learned %s tokens (256 bytes, %u merges, %zu specials) from %s bytes in %.1f s; wrote %s\n",
                    with_commas(b1, bpe_n_ids(bpe)), bpe_n_ids(bpe) - 256 - (unsigned)n_specials, n_specials,
                    with_commas(b2, total), t1 - t0, out);
        }
        bpe_free(bpe);
    }
    for (size_t i = 0; i < loaded; i++) free(texts[i]);
    return rc;
}

/* `rustgpt tokenizer convert IN OUT`: any BPE form to tokenizer.json. */
static int tokenizer_convert(int argc, char **argv)
{
    if (argc != 4) return usage_error("usage: rustgpt tokenizer convert NAME|FILE tok.json");
    Bpe *bpe = bpe_load(argv[2]);
    int rc = bpe && bpe_save_hf_json(bpe, argv[3]) == 0 ? EXIT_OK : EXIT_RUNTIME;
    bpe_free(bpe);
    return rc;
}

int cmd_tokenizer(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "train") == 0) return tokenizer_train(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "convert") == 0) return tokenizer_convert(argc, argv);
    return usage_error("usage: rustgpt tokenizer train --vocab N [--special TEXT]... FILE... -o tok.json\n"
                       "       rustgpt tokenizer convert NAME|FILE tok.json");
}
