/*
 * test_spm.c — the SentencePiece tokenizer (tokenizers/spm.c) on a small
 * vocabulary built in memory: merges follow the scores, characters missing
 * from the vocabulary fall back to byte pieces, special pieces are cut out
 * as llama.cpp cuts them (user-defined always, control only when asked),
 * and decoding gives the text back. tests/cli/gguf_llamacpp.sh compares
 * with llama.cpp itself.
 */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include "rustgpt/plugin.h"
#include "tokenizers/spm.h"

#define SP "\xe2\x96\x81"   /* ▁ */

static const char *const pieces[] = {
    "<unk>", "<s>", "</s>", "<|user|>",
    SP, "h", "e", "l", "o", SP "h", "he", "ll", SP "he", SP "hell", SP "hello", "lo", "w", SP "w",
};
static const float scores[] = { 0, 0, 0, 0, -1, -2, -2, -2, -2, -1.5f, -1.8f, -1.2f, -1.0f, -0.5f, -0.1f, -1.9f, -2, -1.6f };
static const int64_t types[] = { 2, 3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
enum { N_PIECES = sizeof pieces / sizeof pieces[0], BYTE0 = N_PIECES };

static void *make(void)
{
    rg_source *src;
    rg_source_new(&src);
    const char *all[N_PIECES + 256];
    size_t lens[N_PIECES + 256];
    double sc[N_PIECES + 256];
    int64_t ty[N_PIECES + 256];
    static char bytes[256][8];
    for (int i = 0; i < N_PIECES; i++) { all[i] = pieces[i]; sc[i] = scores[i]; ty[i] = types[i]; }
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        all[BYTE0 + b] = bytes[b]; sc[BYTE0 + b] = 0; ty[BYTE0 + b] = 6;
    }
    for (int i = 0; i < N_PIECES + 256; i++) lens[i] = strlen(all[i]);
    rg_source_set_string(src, "tokenizer.ggml.model", "llama", 5);
    rg_source_set_string_array(src, "tokenizer.ggml.tokens", all, lens, N_PIECES + 256);
    rg_source_set_float_array(src, "tokenizer.ggml.scores", sc, N_PIECES + 256);
    rg_source_set_int_array(src, "tokenizer.ggml.token_type", ty, N_PIECES + 256);
    void *state = NULL;
    if (spm_tokenizer.from_source(src, &state) != RG_OK) printf("    from_source failed\n");
    rg_source_free(src);
    return state;
}

/* Encode text and compare with want[n]. */
static int encodes(void *t, const char *text, int flags, const int32_t *want, size_t n)
{
    int32_t ids[64];
    size_t got = 0;
    if (spm_tokenizer.encode(t, text, strlen(text), flags, ids, 64, &got) != RG_OK) return 0;
    int ok = got == n && memcmp(ids, want, n * sizeof *ids) == 0;
    if (!ok) {
        printf("    \"%s\":", text);
        for (size_t i = 0; i < got; i++) printf(" %d", ids[i]);
        printf("\n");
    }
    return ok;
}

static void test_merges_follow_scores(void)
{
    void *t = make();
    CHECK(t != NULL);
    if (!t) return;
    CHECK(encodes(t, "hello", RG_TOKENIZE_ADD_SPECIAL, (int32_t[]){ 1, 14 }, 2));   /* <s> ▁hello */
    CHECK(encodes(t, "hello", 0, (int32_t[]){ 14 }, 1));
    CHECK(encodes(t, "hell w", 0, (int32_t[]){ 13, 17 }, 2));                       /* ▁hell ▁w */
    CHECK(encodes(t, "", RG_TOKENIZE_ADD_SPECIAL, (int32_t[]){ 1 }, 1));
    spm_tokenizer.destroy(t);
}

static void test_missing_characters_become_bytes(void)
{
    void *t = make();
    if (!t) { CHECK(0); return; }
    /* "hi": ▁h then 'i' (0x69) as a byte piece; "é" is two bytes */
    CHECK(encodes(t, "hi", 0, (int32_t[]){ 9, BYTE0 + 0x69 }, 2));
    CHECK(encodes(t, "\xc3\xa9", 0, (int32_t[]){ 4, BYTE0 + 0xC3, BYTE0 + 0xA9 }, 3));
    spm_tokenizer.destroy(t);
}

static void test_special_pieces_are_cut_out(void)
{
    void *t = make();
    if (!t) { CHECK(0); return; }
    /* user-defined <|user|> always; control </s> only with PARSE_SPECIAL;
     * the text after a special piece gets the space prefix again */
    CHECK(encodes(t, "<|user|>hello", 0, (int32_t[]){ 3, 14 }, 2));
    CHECK(encodes(t, "hello</s>", RG_TOKENIZE_PARSE_SPECIAL, (int32_t[]){ 14, 2 }, 2));
    int32_t ids[64];
    size_t n = 0;
    CHECK(spm_tokenizer.encode(t, "hello</s>", 9, 0, ids, 64, &n) == RG_OK && n > 2);
    spm_tokenizer.destroy(t);
}

static void test_decode_gives_the_text_back(void)
{
    void *t = make();
    if (!t) { CHECK(0); return; }
    const char *texts[] = { "hello w", "hi \xc3\xa9 hello", "  two" };
    for (int k = 0; k < 3; k++) {
        int32_t ids[64];
        size_t n = 0, len = 0;
        char buf[128];
        CHECK(spm_tokenizer.encode(t, texts[k], strlen(texts[k]), RG_TOKENIZE_ADD_SPECIAL, ids, 64, &n) == RG_OK);
        CHECK(spm_tokenizer.decode(t, ids, n, buf, sizeof buf, &len) == RG_OK);
        CHECK(len == strlen(texts[k]) && memcmp(buf, texts[k], len) == 0);
    }
    /* without the leading BOS a continuation keeps its space */
    size_t len = 0;
    char buf[16];
    CHECK(spm_tokenizer.decode(t, (int32_t[]){ 14 }, 1, buf, sizeof buf, &len) == RG_OK);
    CHECK(len == 6 && memcmp(buf, " hello", 6) == 0);
    CHECK(spm_tokenizer.decode(t, (int32_t[]){ 9999 }, 1, buf, sizeof buf, &len) == RG_ERR_INVALID);
    spm_tokenizer.destroy(t);
}

/* Without byte pieces a missing character is the unknown token; an
 * unknown_token_id outside the vocabulary is refused when the vocabulary is
 * read, and with none at all (-1) such a character is an error, never the
 * id -1 (fuzz_tokenizer_meta found ids of -1 before). */
static void test_unknown_id_is_checked(void)
{
    for (int unk = 0; unk < 3; unk++) {
        rg_source *src;
        rg_source_new(&src);
        size_t lens[N_PIECES];
        double sc[N_PIECES];
        for (int i = 0; i < N_PIECES; i++) lens[i] = strlen(pieces[i]), sc[i] = scores[i];
        rg_source_set_string(src, "tokenizer.ggml.model", "llama", 5);
        rg_source_set_string_array(src, "tokenizer.ggml.tokens", (const char *const *)pieces, lens, N_PIECES);
        rg_source_set_float_array(src, "tokenizer.ggml.scores", sc, N_PIECES);
        rg_source_set_int_array(src, "tokenizer.ggml.token_type", types, N_PIECES);
        const int64_t unk_id[] = { 0, N_PIECES + 5, -1 };
        rg_source_set_int(src, "tokenizer.ggml.unknown_token_id", unk_id[unk]);
        void *t = NULL;
        rg_status st = spm_tokenizer.from_source(src, &t);
        rg_source_free(src);
        int32_t ids[16];
        size_t n = 0;
        if (unk == 0) {
            CHECK(st == RG_OK && encodes(t, "hex", 0, (int32_t[]){ 12, 0 }, 2));   /* ▁he <unk> */
        } else if (unk == 1) {
            CHECK(st == RG_ERR_FORMAT && t == NULL);
        } else {
            CHECK(st == RG_OK && t != NULL);
            CHECK(t && spm_tokenizer.encode(t, "hex", 3, 0, ids, 16, &n) == RG_ERR_FORMAT);
        }
        if (t) spm_tokenizer.destroy(t);
    }
}

int main(void)
{
    RUN(test_merges_follow_scores);
    RUN(test_missing_characters_become_bytes);
    RUN(test_special_pieces_are_cut_out);
    RUN(test_decode_gives_the_text_back);
    RUN(test_unknown_id_is_checked);
    TESTS_DONE();
}
