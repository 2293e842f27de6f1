/*
 * api_generate.c — `rustgpt generate` and `rustgpt tokenize` for models
 * loaded through the library's public API (rustgpt.h): GGUF files and any
 * other format a plugin registers.
 *
 *   rustgpt generate --model F.gguf --prompt TEXT [sampling] [--threads N]
 *   rustgpt generate --model F.gguf --prompt-ids "1 2 3" --ids   (token ids
 *       in, generated token ids out: what tests compare with llama.cpp)
 *   rustgpt generate ... --probs K   (before each token a line "# id:p ..."
 *       of the K most likely next tokens; then the chosen id on its line)
 *   rustgpt tokenize --model F.gguf [--ids] [--no-bos] [--special] TEXT
 *
 * The prompt is processed in one rg_decode call (a matrix product over all
 * its tokens), then each token is sampled (rg_sample) and fed back, until
 * the model's end-of-generation token or --max-tokens. Text is printed as
 * it grows: the whole output is detokenized each step (so every tokenizer's
 * spacing rules hold) and only complete UTF-8 characters are written.
 */
#include "cli/api_cli.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rustgpt.h"

/* A GGUF file or a checkpoint directory (Hugging Face's GPT-2) goes
 * through the public API; rustgpt's own model files take the original
 * paths (beam search, the word tokenizer's spacing). */
int wants_api_model(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            size_t n = strlen(argv[i + 1]);
            struct stat st;
            if (n >= 5 && strcmp(argv[i + 1] + n - 5, ".gguf") == 0) return 1;
            if (stat(argv[i + 1], &st) == 0 && S_ISDIR(st.st_mode)) return 1;
        }
    }
    return 0;
}

int api_fail(rg_status st)
{
    char message[1024];
    snprintf(message, sizeof message, "%s", rg_last_error());
    fail("%s", message);
    return st == RG_ERR_INVALID || st == RG_ERR_LIMIT ? EXIT_USAGE : EXIT_RUNTIME;
}

int api_open(const char *path, int32_t n_ctx, int32_t n_threads, rg_model **model,
             rg_context **ctx)
{
    *model = NULL;
    *ctx = NULL;
    rg_status st = rg_model_load(path, NULL, model);
    if (st != RG_OK) return api_fail(st);
    rg_context_options copt = { n_ctx, 1, n_threads };
    st = rg_context_new(*model, &copt, ctx);
    if (st != RG_OK) {
        rg_model_free(*model);
        *model = NULL;
        return api_fail(st);
    }
    return EXIT_OK;
}

int api_tokenize(const rg_tokenizer *tok, const char *text, int flags, int32_t **ids, size_t *n)
{
    size_t cap = strlen(text) + 8, need = 0;
    *ids = xmalloc(cap, sizeof **ids);
    if (!*ids) return EXIT_RUNTIME;
    rg_status st = rg_tokenize(tok, text, strlen(text), flags, *ids, cap, &need);
    if (st == RG_ERR_TOO_SMALL) {
        free(*ids);
        *ids = xmalloc(need, sizeof **ids);
        if (!*ids) return EXIT_RUNTIME;
        st = rg_tokenize(tok, text, strlen(text), flags, *ids, need, &need);
    }
    if (st != RG_OK) {
        free(*ids);
        *ids = NULL;
        return api_fail(st);
    }
    *n = need;
    return EXIT_OK;
}

/* "1 2 3" (spaces or commas) into a new array. */
static int parse_ids(const char *text, int32_t **ids, size_t *n)
{
    size_t cap = strlen(text) / 2 + 2;
    *ids = xmalloc(cap, sizeof **ids);
    if (!*ids) return EXIT_RUNTIME;
    *n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > INT32_MAX || *n >= cap) {
            free(*ids);
            *ids = NULL;
            return usage_error("--prompt-ids: \"%s\" is not a list of token ids", text);
        }
        (*ids)[(*n)++] = (int32_t)v;
        p = end;
    }
    return EXIT_OK;
}

void text_stream_init(text_stream *s, const rg_tokenizer *tok, FILE *out)
{
    memset(s, 0, sizeof *s);
    s->tok = tok;
    s->out = out;
}

void text_stream_free(text_stream *s)
{
    free(s->ids);
    free(s->text);
}

/* Bytes of text[0..n) that end on a complete UTF-8 character. */
static size_t complete_utf8(const char *text, size_t n)
{
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)text[i - 1] & 0xC0) == 0x80) { i--; back++; }
    if (i == 0) return n;
    unsigned char lead = (unsigned char)text[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return back + 1 >= need ? n : i - 1;
}

int text_stream_push(text_stream *s, int32_t id, int flush_all)
{
    if (id >= 0) {
        if (s->n_ids == s->cap_ids) {
            size_t cap = s->cap_ids ? 2 * s->cap_ids : 64;
            int32_t *p = realloc(s->ids, cap * sizeof *p);
            if (!p) return fail("out of memory");
            s->ids = p;
            s->cap_ids = cap;
        }
        s->ids[s->n_ids++] = id;
    }
    size_t len = 0;
    rg_status st = rg_detokenize(s->tok, s->ids, s->n_ids, s->text, s->cap_text, &len);
    if (st == RG_ERR_TOO_SMALL) {
        char *p = realloc(s->text, len + 64);
        if (!p) return fail("out of memory");
        s->text = p;
        s->cap_text = len + 64;
        st = rg_detokenize(s->tok, s->ids, s->n_ids, s->text, s->cap_text, &len);
    }
    if (st != RG_OK) {
        api_fail(st);
        return -1;
    }
    size_t upto = flush_all ? len : complete_utf8(s->text, len);
    if (upto > s->printed) {
        fwrite(s->text + s->printed, 1, upto - s->printed, s->out);
        s->printed = upto;
        fflush(s->out);
    }
    return 0;
}

int api_is_end_token(const rg_tokenizer *tok, int32_t id)
{
    if (id == rg_tokenizer_special(tok, RG_SPECIAL_EOS)) return 1;
    static const char *const end_of_turn[] = { "<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>",
                                               "<|endoftext|>", "</s>", "<|end_of_text|>" };
    size_t len;
    const char *piece = rg_token_piece(tok, id, &len);
    if (!piece) return 0;
    for (size_t i = 0; i < sizeof end_of_turn / sizeof end_of_turn[0]; i++)
        if (len == strlen(end_of_turn[i]) && memcmp(piece, end_of_turn[i], len) == 0) return 1;
    return 0;
}

/* The probs_k most likely next tokens, "id:p" after softmax of the raw
 * logits (before penalty and temperature), on one line after "#". */
static void print_top_probs(const float *logits, int32_t n_vocab, int probs_k, FILE *out)
{
    float max = logits[0];
    for (int32_t i = 1; i < n_vocab; i++) if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum += exp((double)logits[i] - max);
    int32_t shown[64];
    int n_shown = 0;
    fputs("#", out);
    for (int k = 0; k < probs_k && k < 64 && k < n_vocab; k++) {
        int32_t best = -1;
        for (int32_t i = 0; i < n_vocab; i++) {
            int taken = 0;
            for (int j = 0; j < n_shown; j++) taken |= shown[j] == i;
            if (!taken && (best < 0 || logits[i] > logits[best])) best = i;
        }
        shown[n_shown++] = best;
        fprintf(out, " %d:%.6f", best, exp((double)logits[best] - max) / sum);
    }
    fputc('\n', out);
}

static int continue_sequence(rg_context *ctx, const rg_tokenizer *tok, const int32_t *prompt,
                             size_t n_prompt, const rg_sampling *sp, int print_ids, int probs_k,
                             FILE *out, int32_t *generated, int32_t *n_generated)
{
    int32_t n_vocab = rg_tokenizer_n_vocab(tok);
    float *logits = xmalloc((size_t)n_vocab, sizeof *logits);
    int32_t *seqs = xcalloc(n_prompt ? n_prompt : 1, sizeof *seqs);
    int32_t *recent = xmalloc((size_t)sp->max_tokens + n_prompt + 1, sizeof *recent);
    rg_sampler *sampler = NULL;
    int status = EXIT_RUNTIME;
    text_stream stream;
    text_stream_init(&stream, tok, out);
    *n_generated = 0;
    if (!logits || !seqs || !recent) goto done;
    rg_status st = rg_sampler_new(sp, n_vocab, &sampler);
    if (st != RG_OK) { status = api_fail(st); goto done; }
    memcpy(recent, prompt, n_prompt * sizeof *recent);
    size_t n_recent = n_prompt;
    if ((st = rg_decode(ctx, (int32_t)n_prompt, prompt, seqs, NULL, logits)) != RG_OK) {
        status = api_fail(st);
        goto done;
    }
    for (int32_t k = 0; k < sp->max_tokens; k++) {
        if (probs_k > 0) print_top_probs(logits, n_vocab, probs_k, out);
        int32_t id = rg_sample(sampler, logits, recent, (int32_t)n_recent);
        if (api_is_end_token(tok, id)) break;
        recent[n_recent++] = id;
        if (generated) generated[*n_generated] = id;
        ++*n_generated;
        if (print_ids) {
            fprintf(out, probs_k ? "%d\n" : k ? " %d" : "%d", id);
            fflush(out);
        } else if (text_stream_push(&stream, id, 0) < 0) {
            goto done;
        }
        if (k + 1 == sp->max_tokens) break;
        int32_t seq0 = 0;
        if ((st = rg_decode(ctx, 1, &id, &seq0, NULL, logits)) != RG_OK) {
            if (st == RG_ERR_LIMIT) break;   /* the context is full: stop there */
            status = api_fail(st);
            goto done;
        }
    }
    if (!print_ids && text_stream_push(&stream, -1, 1) < 0) goto done;
    status = EXIT_OK;
done:
    text_stream_free(&stream);
    rg_sampler_free(sampler);
    free(logits);
    free(seqs);
    free(recent);
    return status;
}

int api_continue(rg_context *ctx, const rg_tokenizer *tok, const int32_t *prompt, size_t n_prompt,
                 const rg_sampling *sp, int print_ids, int probs_k, FILE *out, int32_t *n_generated)
{
    return continue_sequence(ctx, tok, prompt, n_prompt, sp, print_ids, probs_k, out, NULL, n_generated);
}

int api_continue_into(rg_context *ctx, const rg_tokenizer *tok, const int32_t *prompt, size_t n_prompt,
                      const rg_sampling *sp, FILE *out, int32_t *generated, int32_t *n_generated)
{
    return continue_sequence(ctx, tok, prompt, n_prompt, sp, 0, 0, out, generated, n_generated);
}

int cmd_generate_api(int argc, char **argv, const SamplingOptions *defaults)
{
    const char *model_path = NULL, *prompt = NULL, *prompt_ids = NULL;
    SamplingOptions opt = *defaults;
    int print_ids = 0, threads = 0, n_ctx = 0, probs_k = 0;
    for (int i = 1; i < argc; i++) {
        int r = parse_sampling_option(argc, argv, &i, &opt);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        const char *v;
        if (strcmp(argv[i], "--model") == 0) { if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--prompt") == 0) { if (!(prompt = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--prompt-ids") == 0) { if (!(prompt_ids = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--ids") == 0) print_ids = 1;
        else if (strcmp(argv[i], "--probs") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--probs", v, 1, 64, &probs_k)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 1024, &threads)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--ctx") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--ctx", v, 1, 1 << 24, &n_ctx)) return EXIT_USAGE;
        } else return usage_error("generate: unexpected argument '%s'", argv[i]);
    }
    if (!model_path) return usage_error("generate needs --model FILE");
    if (!prompt == !prompt_ids) return usage_error("generate needs --prompt TEXT or --prompt-ids \"ID ...\"");
    if (opt.beams > 1) return usage_error("--beams is for rustgpt's own models");

    rg_model *model;
    rg_context *ctx;
    int status = api_open(model_path, n_ctx, threads, &model, &ctx);
    if (status != EXIT_OK) return status;
    const rg_tokenizer *tok = rg_model_tokenizer(model);
    int32_t *ids = NULL;
    size_t n = 0;
    status = prompt_ids ? parse_ids(prompt_ids, &ids, &n)
                        : api_tokenize(tok, prompt, RG_TOKENIZE_ADD_SPECIAL, &ids, &n);
    if (status == EXIT_OK && n == 0) status = usage_error("the prompt is empty");
    if (status == EXIT_OK) {
        rg_sampling sp = { opt.temperature, opt.top_k, opt.top_p, opt.repeat_penalty, opt.seed,
                           opt.max_tokens };
        int32_t produced;
        status = api_continue(ctx, tok, ids, n, &sp, print_ids || probs_k, probs_k, stdout, &produced);
        if (status == EXIT_OK && !probs_k) fputc('\n', stdout);
    }
    free(ids);
    rg_context_free(ctx);
    rg_model_free(model);
    return status;
}

int cmd_tokenize_api(int argc, char **argv)
{
    const char *model_path = NULL, *text = NULL;
    int print_ids = 0, flags = RG_TOKENIZE_ADD_SPECIAL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) { if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--ids") == 0) print_ids = 1;
        else if (strcmp(argv[i], "--special") == 0) flags |= RG_TOKENIZE_PARSE_SPECIAL;
        else if (strcmp(argv[i], "--no-bos") == 0) flags &= ~RG_TOKENIZE_ADD_SPECIAL;
        else if (is_option(argv[i]) || text) return usage_error("tokenize: unexpected argument '%s'", argv[i]);
        else text = argv[i];
    }
    if (!model_path || !text) return usage_error("tokenize needs --model FILE and TEXT");
    rg_model *model;
    rg_status st = rg_model_load(model_path, NULL, &model);
    if (st != RG_OK) return api_fail(st);
    const rg_tokenizer *tok = rg_model_tokenizer(model);
    int32_t *ids;
    size_t n;
    int status = api_tokenize(tok, text, flags, &ids, &n);
    if (status == EXIT_OK) {
        for (size_t i = 0; i < n; i++) {
            if (print_ids) {
                printf(i ? " %d" : "%d", ids[i]);
            } else {
                size_t len;
                const char *piece = rg_token_piece(tok, ids[i], &len);
                printf("%s%d:%.*s", i ? " " : "", ids[i], (int)len, piece ? piece : "");
            }
        }
        putchar('\n');
        free(ids);
    }
    rg_model_free(model);
    return status;
}
