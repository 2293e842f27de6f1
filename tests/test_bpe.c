/*
 * test_bpe.c — the byte-level BPE's own promises, without node: any bytes
 * round-trip (invalid UTF-8, NULs), a 4 MB word with no space encodes in
 * about linear time, the public API (rg_tokenizer_load by name, specials,
 * BOS, a too-small buffer), the model-metadata form (to_source ->
 * from_source gives the same ids), the tokenizer.json writer reading
 * back, the per-thread piece cache following the tokenizer, and the safe
 * places to cut a text for many threads. The ranks come from tiktoken's
 * npm package (tests/interop).
 */
#include "test.h"
#include "rustgpt.h"
#include "rustgpt/plugin.h"
#include "core/registry.h"
#include "core/util.h"
#include "tokenizers/bpe.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ENCODERS "tests/interop/node_modules/tiktoken/encoders"

static Bpe *cl100k;

/* decode(encode(text)) == text, byte for byte. */
static int round_trips(const Bpe *bpe, const char *text, size_t len)
{
    int32_t *ids = malloc((len + 1) * sizeof *ids);
    char *back = malloc(len + 1);
    size_t n = 0, back_len = 0;
    int ok = ids && back && bpe_encode(bpe, text, len, 0, ids, len + 1, &n) == 0 && n <= len &&
             bpe_decode(bpe, ids, n, back, len + 1, &back_len) == 0 && back_len == len &&
             memcmp(back, text, len) == 0;
    free(ids);
    free(back);
    return ok;
}

static void test_any_bytes_round_trip(void)
{
    CHECK(round_trips(cl100k, "", 0));
    CHECK(round_trips(cl100k, "plain English, with numbers 12345 and  spaces\n", 47));
    const char bad[] = "caf\xc3 \xff\xfe\x80 \xed\xa0\x80 surrogate, over\xf4\x90\x80\x80 long \xc0\xaf x\0y\0\0z";
    CHECK(round_trips(cl100k, bad, sizeof bad - 1));
    srand(14);
    char buf[4096];
    int all = 1;
    for (int t = 0; t < 200; t++) {
        size_t len = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < len; i++) buf[i] = (char)(t % 2 ? rand() % 256 : " \n\tab\xc3\xa9\xe2\x80\x99"[rand() % 10]);
        all &= round_trips(cl100k, buf, len);
    }
    CHECK(all);
}

static void test_long_word_is_about_linear(void)
{
    size_t big = 4u << 20, small = big / 8;   /* the 10 MB figure is in `rustgpt bench tokenize` */
    char *text = malloc(big);
    CHECK(text != NULL);
    if (!text) return;
    srand(3);
    for (size_t i = 0; i < big; i++) text[i] = (char)('a' + rand() % 26);
    int32_t *ids = malloc(big * sizeof *ids);
    size_t n_small, n_big;
    double t0 = cpu_seconds();
    CHECK(bpe_encode(cl100k, text, small, 0, ids, big, &n_small) == 0);
    double t1 = cpu_seconds();
    CHECK(bpe_encode(cl100k, text, big, 0, ids, big, &n_big) == 0);
    double t2 = cpu_seconds();
    /* 8x the text: n log n allows ~9.2x; a quadratic merge would be 64x.
     * Generous bounds so that a loaded machine does not flake. */
    printf("    0.5 MB word: %.2f s, 4 MB word: %.2f s (cpu)\n", t1 - t0, t2 - t1);
    CHECK(t2 - t1 < 60.0);
    CHECK(t2 - t1 < 25.0 * (t1 - t0) + 1.0);
    CHECK(n_big > n_small * 7 && n_big < n_small * 9);
    size_t len;
    char *back = malloc(big);
    CHECK(back && bpe_decode(cl100k, ids, n_big, back, big, &len) == 0 && len == big && memcmp(back, text, big) == 0);
    free(back);
    memset(text, 'a', big);
    t0 = cpu_seconds();
    CHECK(bpe_encode(cl100k, text, big, 0, ids, big, &n_big) == 0);
    printf("    4 MB of 'a': %.2f s (cpu), %zu tokens\n", cpu_seconds() - t0, n_big);
    CHECK(cpu_seconds() - t0 < 60.0);
    free(ids);
    free(text);
}

static void test_public_api_by_name(void)
{
    setenv("RUSTGPT_DATA", ENCODERS, 1);
    rg_tokenizer *tok = NULL;
    CHECK(rg_tokenizer_load("cl100k_base", &tok) == RG_OK);
    if (!tok) return;
    CHECK(strcmp(rg_tokenizer_kind(tok), "bpe") == 0);
    CHECK(rg_tokenizer_n_vocab(tok) == 100277);
    CHECK(rg_tokenizer_special(tok, RG_SPECIAL_EOS) == 100257);
    const char *text = "hello <|endoftext|>";
    int32_t ids[16];
    size_t n;
    CHECK(rg_tokenize(tok, text, strlen(text), RG_TOKENIZE_PARSE_SPECIAL, ids, 16, &n) == RG_OK);
    CHECK(n == 3 && ids[0] == 15339 && ids[1] == 220 && ids[2] == 100257);
    CHECK(rg_tokenize(tok, text, strlen(text), 0, ids, 16, &n) == RG_OK);
    CHECK(n > 3 && ids[n - 1] != 100257);
    CHECK(rg_tokenize(tok, text, strlen(text), RG_TOKENIZE_PARSE_SPECIAL, ids, 2, &n) == RG_ERR_TOO_SMALL);
    CHECK(n == 3);
    size_t len;
    const char *piece = rg_token_piece(tok, 15339, &len);
    CHECK(piece && len == 5 && memcmp(piece, "hello", 5) == 0);
    char out[64];
    int32_t bad = 500000;
    CHECK(rg_detokenize(tok, &bad, 1, out, sizeof out, &len) == RG_ERR_INVALID);
    rg_tokenizer_free(tok);
    CHECK(rg_tokenizer_load("no_such_encoding_base", &tok) != RG_OK);
}

/* The GGUF form: to_source then from_source keeps every id. */
static void test_model_metadata_round_trip(void)
{
    const rg_tokenizer_vtable *vt = registry_tokenizer("bpe");
    CHECK(vt != NULL);
    if (!vt) return;
    Bpe *gpt2 = bpe_load(ENCODERS "/gpt2.json");
    CHECK(gpt2 != NULL);
    rg_source *src;
    CHECK(rg_source_new(&src) == RG_OK);
    CHECK(vt->to_source(gpt2, src) == RG_OK);
    const char *model, *pre;
    CHECK(rg_source_string(src, "tokenizer.ggml.model", &model, NULL) == RG_OK && strcmp(model, "gpt2") == 0);
    CHECK(rg_source_string(src, "tokenizer.ggml.pre", &pre, NULL) == RG_OK && strcmp(pre, "gpt-2") == 0);
    const char *tok220;
    CHECK(rg_source_array_string(src, "tokenizer.ggml.tokens", 220, &tok220, NULL) == RG_OK &&
          strcmp(tok220, "\xc4\xa0") == 0);   /* " " in GPT-2's alphabet is U+0120 */
    const char *merge0;
    CHECK(rg_source_array_string(src, "tokenizer.ggml.merges", 0, &merge0, NULL) == RG_OK &&
          strcmp(merge0, "\xc4\xa0 t") == 0);   /* GPT-2's first merge: "Ġ t" */
    void *state = NULL;
    CHECK(vt->from_source(src, &state) == RG_OK);
    const char *text = "The GGUF form keeps 12345 ids, naïve café 🎉 <|endoftext|> tail  \n\n";
    int32_t a[128], b[128];
    size_t na = 0, nb = 0;
    CHECK(bpe_encode(gpt2, text, strlen(text), BPE_PARSE_SPECIAL, a, 128, &na) == 0);
    CHECK(state && vt->encode(state, text, strlen(text), RG_TOKENIZE_PARSE_SPECIAL, b, 128, &nb) == RG_OK);
    CHECK(na == nb && na > 0 && memcmp(a, b, na * sizeof *a) == 0);
    CHECK(state && vt->special(state, RG_SPECIAL_EOS) == 50256);
    if (state) vt->destroy(state);
    rg_source_free(src);
    bpe_free(gpt2);
}

static void test_train_save_load(void)
{
    const char *texts[] = { "the cat sat on the mat. the cat ate the rat.\n\nthe end of the story, 1234.\n" };
    size_t lens[] = { strlen(texts[0]) };
    const char *specials[] = { "<|endoftext|>" };
    BpeTrainOptions opt = { .vocab_size = 280, .specials = specials, .n_specials = 1, .n_threads = 1 };
    Bpe *bpe = bpe_train(texts, lens, 1, &opt);
    CHECK(bpe != NULL);
    if (!bpe) return;
    CHECK(bpe_n_ids(bpe) <= 280);
    CHECK(bpe_lookup(bpe, " the", 4) >= 256);       /* the most frequent word is learned */
    char path[] = "/tmp/rustgpt-bpe-XXXXXX.json";
    int fd = mkstemps(path, 5);
    close(fd);
    CHECK(bpe_save_hf_json(bpe, path) == 0);
    Bpe *back = bpe_load(path);
    unlink(path);
    CHECK(back != NULL);
    const char *probe = "the cat ate the mat<|endoftext|>";
    int32_t a[64], b[64];
    size_t na, nb;
    CHECK(bpe_encode(bpe, probe, strlen(probe), BPE_PARSE_SPECIAL, a, 64, &na) == 0);
    CHECK(back && bpe_encode(back, probe, strlen(probe), BPE_PARSE_SPECIAL, b, 64, &nb) == 0);
    CHECK(back && na == nb && memcmp(a, b, na * sizeof *a) == 0);
    CHECK(na > 0 && a[na - 1] == (int32_t)bpe_n_ids(bpe) - 1);
    bpe_free(back);
    bpe_free(bpe);
    BpeTrainOptions tiny = { .vocab_size = 100 };
    CHECK(bpe_train(texts, lens, 1, &tiny) == NULL);   /* below 256 bytes */
}

/* Cutting a text at every safe place (bpe_parallel.c) and encoding the
 * pieces one by one gives the ids of the whole, for each known pattern,
 * with specials parsed (none may be cut) and on text that has every kind of
 * cut and the near misses ("don|'t" is not one). */
/* The piece cache is per thread and belongs to one tokenizer at a time:
 * encoding with gpt2 between two cl100k_base encodes must not hand either
 * the other's ids (" cats" is 19987 in cl100k_base, 11875 in gpt2). */
static void test_piece_cache_follows_the_tokenizer(void)
{
    Bpe *gpt2 = bpe_load(ENCODERS "/gpt2.json");
    CHECK(gpt2 != NULL);
    if (!gpt2) return;
    const char *text = "I've 12345 cats! cats cats";
    int32_t a[32], b[32], c[32];
    size_t na, nb, nc;
    CHECK(bpe_encode(cl100k, text, strlen(text), 0, a, 32, &na) == 0);
    CHECK(bpe_encode(gpt2, text, strlen(text), 0, b, 32, &nb) == 0);
    CHECK(bpe_encode(cl100k, text, strlen(text), 0, c, 32, &nc) == 0);
    CHECK(na == nc && memcmp(a, c, na * sizeof *a) == 0);
    CHECK(na == 9 && a[5] == 19987 && a[8] == 19987);
    CHECK(nb == 8 && b[4] == 11875 && b[7] == 11875);
    bpe_free(gpt2);
}

static void test_safe_cuts_keep_the_ids(void)
{
    static const char *const words[] = {
        "the", " cat", "don't", "WE'LL", "x86", "4th", "1234567", "word.", "(paren)", "a.b.c", "\n", "\n\n",
        "  ", "end.\nNext", "<|endoftext|>", "<|fim_prefix|>", "caf\xc3\xa9", "na\xc3\xafve\xe2\x80\x94x",
        "\xf0\x9f\x8e\x89", "HTTPServer", "i18n", "a/b", "!!\n", "\t", "'s", "Z", "9", "-", ",",
    };
    static const char *const names[] = { "gpt2", "cl100k_base", "o200k_base" };
    size_t n_words = sizeof words / sizeof *words, cap = 1 << 16;
    char *text = malloc(cap);
    int32_t *whole = malloc(cap * sizeof *whole), *parts = malloc(cap * sizeof *parts);
    Rng rng;
    rng_seed(&rng, 5);
    for (int e = 0; e < 3; e++) {
        char path[256];
        snprintf(path, sizeof path, ENCODERS "/%s.json", names[e]);
        Bpe *bpe = bpe_load(path);
        CHECK(bpe != NULL && bpe_cuts_are_safe(bpe));
        if (!bpe) continue;
        int same = 1;
        size_t n_cuts = 0;
        for (int trial = 0; trial < 200 && same; trial++) {
            size_t len = 0;
            while (len + 64 < cap / 4) {
                const char *w = words[rng_u32(&rng) % n_words];
                memcpy(text + len, w, strlen(w));
                len += strlen(w);
                if (rng_u32(&rng) % 3) text[len++] = ' ';
            }
            size_t n_whole = 0, n_parts = 0, start = 0;
            CHECK(bpe_encode(bpe, text, len, BPE_PARSE_SPECIAL, whole, cap, &n_whole) == 0);
            for (size_t p = 1; p <= len; p++) {
                if (p < len && !bpe_safe_cut(bpe, text, p, len)) continue;
                size_t n = 0;
                CHECK(bpe_encode(bpe, text + start, p - start, BPE_PARSE_SPECIAL, parts + n_parts, cap - n_parts, &n) == 0);
                n_parts += n;
                n_cuts++;
                start = p;
            }
            same = n_whole == n_parts && memcmp(whole, parts, n_whole * sizeof *whole) == 0;
        }
        if (!same) printf("    %s: the pieces' ids differ from the whole's\n", names[e]);
        CHECK(same && n_cuts > 10000);
        bpe_free(bpe);
    }
    free(text);
    free(whole);
    free(parts);
}

int main(void)
{
    cl100k = bpe_load(ENCODERS "/cl100k_base.json");
    if (!cl100k) {
        printf("FAIL bpe_setup (%s; run make interop-deps)\n", last_error());
        return 1;
    }
    RUN(test_any_bytes_round_trip);
    RUN(test_public_api_by_name);
    RUN(test_model_metadata_round_trip);
    RUN(test_train_save_load);
    RUN(test_piece_cache_follows_the_tokenizer);
    RUN(test_safe_cuts_keep_the_ids);
    RUN(test_long_word_is_about_linear);
    bpe_free(cl100k);
    TESTS_DONE();
}
