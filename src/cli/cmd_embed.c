/*
 * cmd_embed.c — `rustgpt embed`: one embedding per input text.
 *
 *   rustgpt embed --model M [--pooling mean|cls|last|max|mean-sqrt]
 *                 [--normalize|--no-normalize] [--batch N] [--threads N]
 *                 [--format jsonl|tsv|f32|npy] [--no-truncate] [FILE|-]
 *
 * Texts are lines (or JSONL objects with "text"); vectors come out in input
 * order: jsonl {"index": i, "embedding": [...]}, tsv (one row of numbers per
 * text), f32 (raw little-endian float32, n × d) or npy (NumPy's .npy, shape
 * (n, d)). The dimension, count, pooling and truncations go to stderr.
 */
#include "cli/cli.h"
#include "cli/embed_cli.h"
#include "core/util.h"
#include "infer/embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char embed_help[] =
    "usage: rustgpt embed --model M [options] [FILE|-]\n"
    "One embedding per input line (or per JSONL object's \"text\"), in input order.\n"
    "  --model M             the model (.gguf bert/llama/gpt2, or a rustgpt model)\n"
    "  --pooling P           mean|cls|last|max|mean-sqrt (default: the model's, else mean)\n"
    "  --normalize           L2-normalise each vector (the default); --no-normalize keeps them raw\n"
    "  --batch N (32)        texts per forward pass (texts are grouped by length)\n"
    "  --threads N           threads (default: all cores)\n"
    "  --format F (jsonl)    jsonl | tsv | f32 (raw little-endian) | npy\n"
    "  --no-truncate         refuse texts longer than the context instead of cutting them\n"
    "Dimension, count and truncations go to stderr; docs/18-embeddings.md explains.\n";

typedef enum { OUT_JSONL, OUT_TSV, OUT_F32, OUT_NPY } OutputFormat;

/* NumPy's .npy v1.0: magic, version, header length, a Python dict padded
 * with spaces to a multiple of 64 bytes, then the raw array. */
static void write_npy_header(FILE *out, int32_t n, int32_t d)
{
    char dict[128];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, d);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    unsigned short header_len = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, out);
    fputc(header_len & 0xFF, out);
    fputc(header_len >> 8, out);
    fwrite(dict, 1, (size_t)len, out);
    for (int i = 0; i < pad; i++) fputc(' ', out);
    fputc('\n', out);
}

static void write_vectors(FILE *out, OutputFormat format, const float *v, int32_t n, int32_t d)
{
    if (format == OUT_NPY) write_npy_header(out, n, d);
    for (int32_t i = 0; i < n; i++) {
        const float *row = v + (size_t)i * d;
        switch (format) {
        case OUT_F32: case OUT_NPY:
            fwrite(row, sizeof *row, (size_t)d, out);      /* little-endian hosts (x86-64, aarch64) */
            break;
        case OUT_TSV:
            for (int32_t k = 0; k < d; k++) fprintf(out, k ? "\t%.9g" : "%.9g", row[k]);
            fputc('\n', out);
            break;
        case OUT_JSONL:
            fprintf(out, "{\"index\":%d,\"embedding\":[", i);
            for (int32_t k = 0; k < d; k++) fprintf(out, k ? ",%.9g" : "%.9g", row[k]);
            fputs("]}\n", out);
            break;
        }
    }
}

int cmd_embed(int argc, char **argv)
{
    const char *model_path = NULL, *input = NULL;
    rg_embed_options opt = rg_embed_default();
    OutputFormat format = OUT_JSONL;
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--model") == 0) {
            if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(a, "--pooling") == 0) {
            if (!(v = option_value(argc, argv, &i))) return EXIT_USAGE;
            if (parse_pooling(v, &opt.pooling) != 0) return EXIT_USAGE;
        } else if (strcmp(a, "--normalize") == 0) {
            opt.normalize = 1;
        } else if (strcmp(a, "--no-normalize") == 0) {
            opt.normalize = 0;
        } else if (strcmp(a, "--no-truncate") == 0) {
            opt.truncate = 0;
        } else if (strcmp(a, "--batch") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--batch", v, 1, 4096, &opt.batch_size))
                return EXIT_USAGE;
        } else if (strcmp(a, "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 1024, &threads))
                return EXIT_USAGE;
        } else if (strcmp(a, "--format") == 0) {
            if (!(v = option_value(argc, argv, &i))) return EXIT_USAGE;
            if (strcmp(v, "jsonl") == 0) format = OUT_JSONL;
            else if (strcmp(v, "tsv") == 0) format = OUT_TSV;
            else if (strcmp(v, "f32") == 0) format = OUT_F32;
            else if (strcmp(v, "npy") == 0) format = OUT_NPY;
            else return usage_error("--format expects jsonl, tsv, f32 or npy, got '%s'", v);
        } else if (is_option(a)) {
            return usage_error("embed: unknown option '%s'", a);
        } else if (input) {
            return usage_error("embed: one input file at most (got '%s' and '%s')", input, a);
        } else {
            input = a;
        }
    }
    if (!model_path) return usage_error("embed: --model FILE is required");
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#endif
    TextList list;
    if (read_texts(input, &list) != 0) {
        text_list_free(&list);
        return EXIT_RUNTIME;
    }
    Embedder e;
    if (embedder_open(&e, model_path, threads) != 0) {
        text_list_free(&list);
        return EXIT_RUNTIME;
    }
    int32_t d = e.info.n_embd;
    float *vectors = xmalloc(list.n ? (size_t)list.n * d : 1, sizeof *vectors);
    int status = EXIT_RUNTIME;
    if (vectors && embedder_run(&e, (const char *const *)list.texts, list.n, &opt, vectors) == 0) {
        write_vectors(stdout, format, vectors, list.n, d);
        rg_pooling pooling = embed_resolve_pooling(opt.pooling, embed_declared_pooling(e.model));
        fprintf(stderr, "embedded %d texts, dimension %d, pooling %s, %s\n", list.n, d, embed_pooling_name(pooling),
                opt.normalize ? "normalized" : "not normalized");
        if (opt.n_truncated)
            fprintf(stderr, "rustgpt: warning: %d texts were longer than the context of %d tokens and were "
                            "truncated (--no-truncate refuses them)\n", opt.n_truncated, e.info.n_ctx);
        status = EXIT_OK;
    } else if (vectors) {
        char why[600];
        snprintf(why, sizeof why, "%s", last_error());
        fail("%s: %s", input && strcmp(input, "-") ? input : "<stdin>", why);
    }
    free(vectors);
    embedder_close(&e);
    text_list_free(&list);
    return status;
}
