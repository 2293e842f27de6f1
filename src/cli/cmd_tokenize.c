/*
 * cmd_tokenize.c — `rustgpt tokenize`: text to token ids on the command line.
 *
 *   rustgpt tokenize --model FILE TEXT        the model's word tokenizer (ids, then one
 *                                             line per token)
 *   rustgpt tokenize --tokenizer NAME|FILE [--ids|--count|--pieces]
 *                    [--special allow|plain|refuse] [--threads N] [FILE|-]
 *
 * NAME is a built-in BPE (cl100k_base, o200k_base, r50k_base, gpt2,
 * p50k_base) found in the data directories; FILE a tokenizer.json, a
 * tiktoken encoder .json, a .tiktoken rank file or a vocab.json with its
 * merges.txt. Specials such as "<|endoftext|>" in the text are refused by
 * default, as tiktoken's encode() refuses them; `--special allow` makes
 * them their ids, `--special plain` encodes them as ordinary text.
 *
 * A large input is read in blocks of 8 MB per thread, each cut at a safe
 * place (bpe_parallel.c: between words, after a line) and encoded on every
 * thread. Memory stays near 5 x (threads x block) plus the vocabulary
 * whatever the file's size (`make mem-tokenize` measures a 1 GB file and a
 * 1 GB line), as long as a safe place comes every block; without one the
 * block grows, and past BPE_MAX_PIECE (256 MB) the input is refused.
 */
#include "cli/cli.h"
#include "cli/api_cli.h"
#include "core/util.h"
#include "formats/modelfile.h"
#include "infer/text.h"
#include "tokenizers/bpe.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char tokenize_help[] =
    "usage: rustgpt tokenize [--model FILE] TEXT\n"
    "       rustgpt tokenize --tokenizer NAME|FILE [--ids|--count|--pieces]\n"
    "                        [--special allow|plain|refuse] [--threads N] [FILE|-]\n"
    "\n"
    "With --model: the ids of TEXT in the model's vocabulary, then one line per token.\n"
    "With --tokenizer: encodes FILE (or standard input) with a built-in BPE (cl100k_base,\n"
    "o200k_base, r50k_base, gpt2, p50k_base; `make tokenizer-data` installs them into\n"
    "./data/tokenizers) or a tokenizer file (tokenizer.json, a tiktoken .json or\n"
    ".tiktoken file, vocab.json with merges.txt beside it).\n"
    "  --ids                  the ids, space-separated (the default)\n"
    "  --count                only the number of tokens\n"
    "  --pieces               each token's text\n"
    "  --special refuse       text like <|endoftext|> is an error, as tiktoken's encode()\n"
    "  --special allow        ... becomes its special id;  --special plain: ordinary text\n"
    "  --threads N            threads for a large input (default: all cores)\n";

enum { OUT_IDS, OUT_COUNT, OUT_PIECES };
enum { SPECIAL_REFUSE, SPECIAL_ALLOW, SPECIAL_PLAIN };

#define BLOCK_PER_THREAD ((size_t)8 << 20)

/* The word-level form: ids, then one line per token. A model with another
 * tokenizer (a plugin's, `train --tokenizer bpe:N`) has no word vocabulary:
 * the same two forms come from that tokenizer. */
static int tokenize_with_model(const char *model_path, const char *text)
{
    Model m;
    if (load_model_for_use(&m, model_path) != 0) return EXIT_RUNTIME;
    int n = model_encode(&m, text, NULL, 0);
    int *ids = n >= 0 ? xmalloc((size_t)(n ? n : 1), sizeof(int)) : NULL;
    if (ids) {
        model_encode(&m, text, ids, n);
        for (int i = 0; i < n; i++) printf("%s%d", i ? " " : "", ids[i]);
        printf("\n");
        for (int i = 0; i < n; i++) {          /* the model's own tokenizer names each piece */
            size_t len = 0;
            const char *piece = m.tokenizer ? rg_token_piece(m.tokenizer, ids[i], &len) : m.vocab.words[ids[i]];
            if (!m.tokenizer) len = strlen(piece);
            printf("%6d  %.*s\n", ids[i], (int)len, piece ? piece : "");
        }
    }
    free(ids);
    model_free(&m);
    return ids ? EXIT_OK : EXIT_RUNTIME;
}

typedef struct {
    const Bpe *bpe;
    int flags, out, n_threads;
    unsigned long long n_tokens;
    int32_t *ids;               /* one block's ids, kept from block to block */
    size_t ids_cap;
    char *obuf;                 /* formatted output, likewise */
    size_t obuf_cap;
} Tokenize;

static void print_piece(const Bpe *bpe, int32_t id)
{
    size_t len;
    const char *bytes = bpe_token_bytes(bpe, id, &len);
    printf("%7d  \"", id);
    int utf8 = utf8_invalid_at(bytes, len) == len;   /* else show bytes >= 0x80 as \xNN */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') printf("\\n");
        else if (c == '\t') printf("\\t");
        else if (c == '\r') printf("\\r");
        else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"%s\n", bpe_is_special(bpe, id) ? "  (special)" : "");
}

static int emit_ids(Tokenize *t, const int32_t *ids, size_t n)
{
    t->n_tokens += n;
    if (t->out == OUT_COUNT) return 0;
    if (t->out == OUT_PIECES) {
        for (size_t i = 0; i < n; i++) print_piece(t->bpe, ids[i]);
        return 0;
    }
    if (n * 12 > t->obuf_cap) {
        free(t->obuf);
        t->obuf_cap = 0;
        if (!(t->obuf = xmalloc(n * 12 + 64, 1))) return -1;
        t->obuf_cap = n * 12 + 64;
    }
    char *o = t->obuf;
    for (size_t i = 0; i < n; i++) {
        if (t->n_tokens - n + i) *o++ = ' ';
        char digits[12];
        int k = 0;
        uint32_t v = (uint32_t)ids[i];
        do digits[k++] = (char)('0' + v % 10); while ((v /= 10));
        while (k) *o++ = digits[--k];
    }
    fwrite(t->obuf, 1, (size_t)(o - t->obuf), stdout);
    return 0;
}

/* Encode one block on every thread and emit its ids. */
static int encode_block(Tokenize *t, const char *text, size_t len)
{
    if (len > t->ids_cap) {     /* a token has >= 1 byte: len ids are enough */
        free(t->ids);
        t->ids_cap = 0;
        if (!(t->ids = xmalloc(len, sizeof *t->ids))) return -1;
        t->ids_cap = len;
    }
    size_t n = 0;
    int rc = bpe_encode_parallel(t->bpe, text, len, t->flags, t->n_threads, t->ids, len, &n);
    return rc == 0 ? emit_ids(t, t->ids, n) : rc;
}

static int check_specials(const Tokenize *t, const char *text, size_t len, unsigned long long offset, int mode)
{
    if (mode != SPECIAL_REFUSE) return 0;
    int32_t id;
    long at = bpe_find_special(t->bpe, text, len, &id);
    if (at < 0) return 0;
    size_t sl;
    const char *s = bpe_token_bytes(t->bpe, id, &sl);
    return fail("the text contains the special token \"%.*s\" at byte %llu: pass --special allow to encode "
                "it as its id %d, or --special plain to encode it as text",
                (int)sl, s, offset + (unsigned long long)at, id);
}

static int tokenize_stream(Tokenize *t, FILE *in, int special_mode)
{
    int safe = bpe_cuts_are_safe(t->bpe);
    size_t block = BLOCK_PER_THREAD * (size_t)t->n_threads, cap = block + 1, len = 0;
    char *buf = xmalloc(cap, 1);
    if (!buf) return -1;
    unsigned long long offset = 0;
    int rc = 0, eof = 0;
    while (rc == 0 && !eof) {
        if (len == cap) {   /* no safe cut in a whole buffer: grow, up to the longest pre-token */
            if (cap > BPE_MAX_PIECE) {
                rc = fail("the input has no place to cut between bytes %llu and %llu (%zu MB without a word "
                          "boundary): too long to encode", offset, offset + (unsigned long long)len, len >> 20);
                break;
            }
            char *grown = realloc(buf, cap *= 2);
            if (!grown) { rc = fail("out of memory reading the input"); break; }
            buf = grown;
        }
        size_t got = fread(buf + len, 1, cap - len, in);
        len += got;
        if (got == 0) {
            if (ferror(in)) { rc = fail("read error on the input"); break; }
            eof = 1;
        }
        size_t upto = len;
        if (!eof) {
            if (!safe || len < cap) continue;
            size_t cut = 0;
            for (size_t p = len - 2; p > 0 && !cut; p--)   /* the last safe cut */
                if (bpe_safe_cut(t->bpe, buf, p, len)) cut = p;
            if (!cut) continue;
            upto = cut;
        }
        rc = check_specials(t, buf, upto, offset, special_mode);
        if (rc == 0) rc = encode_block(t, buf, upto);
        memmove(buf, buf + upto, len - upto);
        len -= upto;
        offset += upto;
    }
    free(buf);
    return rc;
}

int cmd_tokenize(int argc, char **argv)
{
    const char *model_path = NULL, *tok_name = NULL, *arg = NULL, *special = "refuse";
    int out = OUT_IDS, threads = 0;
    if (wants_api_model(argc, argv)) return cmd_tokenize_api(argc, argv);   /* GGUF models */
    int has_model = 0, has_tokenizer = 0, has_ids = 0;
    for (int i = 1; i < argc; i++) {
        has_model |= strcmp(argv[i], "--model") == 0;
        has_tokenizer |= strcmp(argv[i], "--tokenizer") == 0;
        has_ids |= strcmp(argv[i], "--ids") == 0;
    }
    if (has_model && has_ids && !has_tokenizer) return cmd_tokenize_api(argc, argv);   /* ids only */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--model") == 0) { if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--tokenizer") == 0) { if (!(tok_name = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--special") == 0) { if (!(special = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--threads") == 0) {
            const char *v = option_value(argc, argv, &i);
            if (!v || parse_int("--threads", v, 1, 64, &threads) != 0) return EXIT_USAGE;
        }
        else if (strcmp(a, "--ids") == 0) out = OUT_IDS;
        else if (strcmp(a, "--count") == 0) out = OUT_COUNT;
        else if (strcmp(a, "--pieces") == 0) out = OUT_PIECES;
        else if ((is_option(a) && strcmp(a, "-") != 0) || arg) return unknown_argument("tokenize", a);
        else arg = a;
    }
    if (!tok_name) {
        if (!arg) return usage_error("tokenize needs TEXT (with --model) or --tokenizer NAME|FILE");
        return tokenize_with_model(model_path ? model_path : DEFAULT_MODEL_PATH, arg);
    }
    if (model_path) return usage_error("tokenize: give --model or --tokenizer, not both");
    int mode = strcmp(special, "refuse") == 0 ? SPECIAL_REFUSE : strcmp(special, "allow") == 0 ? SPECIAL_ALLOW
             : strcmp(special, "plain") == 0 ? SPECIAL_PLAIN : -1;
    if (mode < 0) return usage_error("--special must be allow, plain or refuse");
    if (strcmp(tok_name, "word") == 0)
        return usage_error("the word tokenizer comes with a model: use --model FILE TEXT");
    Bpe *bpe = bpe_load(tok_name);
    if (!bpe) return EXIT_RUNTIME;
#ifdef _OPENMP
    if (!threads) threads = omp_get_max_threads();
#endif
    if (threads < 1) threads = 1;
    if (threads > 32) threads = 32;
    Tokenize t = { bpe, mode == SPECIAL_ALLOW ? BPE_PARSE_SPECIAL : 0, out, threads, 0, NULL, 0, NULL, 0 };
    FILE *in = stdin;
    if (arg && strcmp(arg, "-") != 0 && !(in = fopen(arg, "rb"))) {
        bpe_free(bpe);
        return fail("cannot open %s", arg), EXIT_RUNTIME;
    }
    int rc = tokenize_stream(&t, in, mode);
    if (in != stdin) fclose(in);
    if (rc == 0) {
        if (out == OUT_COUNT) printf("%llu\n", t.n_tokens);
        else if (out == OUT_IDS) printf("\n");
        if (fflush(stdout) != 0) rc = fail("cannot write the output");
    }
    free(t.ids);
    free(t.obuf);
    bpe_free(bpe);
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
