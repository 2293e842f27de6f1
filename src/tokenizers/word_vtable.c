/*
 * word_vtable.c — the word tokenizer (word.h) behind the tokenizer interface
 * of rustgpt/plugin.h, registered as "word".
 *
 * Its state is a Vocab. It is made from a model's metadata
 * (tokenizer.ggml.tokens, the words in id order, and
 * tokenizer.ggml.normalizer.lowercase when it folds case) or trained from texts
 * (vocab_build); it has no file of its own, so it cannot be loaded by name
 * alone. Encoding checks UTF-8 first, since the word tokenizer has no byte
 * tokens to fall back on.
 */
#include "tokenizers/word.h"
#include "archs/gpt_source.h"
#include "rustgpt/plugin.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

rg_status word_vocab_to_source(const Vocab *vocab, rg_source *dst)
{
    rg_status st = rg_source_set_string(dst, "tokenizer.ggml.model", "word", 4);
    if (st == RG_OK)
        st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", (const char *const *)vocab->words,
                                        NULL, (uint64_t)vocab->size);
    if (st == RG_OK && vocab->lowercase) st = rg_source_set_bool(dst, WORD_LOWERCASE_KEY, 1);
    return st;
}

rg_status word_vocab_from_source(Vocab *vocab, const rg_source *src)
{
    rg_value_type type;
    uint64_t n;
    rg_status st = rg_source_array(src, "tokenizer.ggml.tokens", &type, &n);
    if (st != RG_OK) return st;
    if (type != RG_VALUE_STRING || n > (uint64_t)INT32_MAX)
        return fail_status(RG_ERR_FORMAT, "tokenizer.ggml.tokens is not a list of words");
    const char **words = malloc((n ? n : 1) * sizeof *words);
    if (!words) return fail_status(RG_ERR_NOMEM, "out of memory reading the vocabulary");
    for (uint64_t i = 0; i < n; i++) rg_source_array_string(src, "tokenizer.ggml.tokens", i, &words[i], NULL);
    int rc = vocab_from_words(vocab, words, (int)n);
    free(words);
    if (rc != 0) return RG_ERR_FORMAT;
    int lowercase = 0;
    st = rg_source_bool(src, WORD_LOWERCASE_KEY, &lowercase);
    if (st != RG_OK && st != RG_ERR_NOT_FOUND) {
        vocab_free(vocab);
        return st;
    }
    vocab->lowercase = lowercase;
    return RG_OK;
}

static rg_status word_from_source(const rg_source *src, void **state)
{
    Vocab *vocab = calloc(1, sizeof *vocab);
    if (!vocab) return fail_status(RG_ERR_NOMEM, "out of memory reading the vocabulary");
    rg_status st = word_vocab_from_source(vocab, src);
    if (st != RG_OK) {
        free(vocab);
        return st;
    }
    *state = vocab;
    return RG_OK;
}

static rg_status word_to_source(const void *state, rg_source *dst)
{
    return word_vocab_to_source(state, dst);
}

static rg_status word_train(const char *const *texts, size_t n, const char *options, void **state)
{
    Vocab *vocab = calloc(1, sizeof *vocab);
    if (!vocab) return fail_status(RG_ERR_NOMEM, "out of memory building a vocabulary");
    if (vocab_build(vocab, texts, n) != 0) {
        free(vocab);
        return RG_ERR_INVALID;
    }
    *state = vocab;
    return RG_OK;
}

static void word_destroy(void *state)
{
    if (!state) return;
    vocab_free(state);
    free(state);
}

static int32_t word_n_vocab(const void *state) { return ((const Vocab *)state)->size; }

static int32_t word_special(const void *state, rg_special which)
{
    switch (which) {
    case RG_SPECIAL_PAD: return TOKEN_PAD;
    case RG_SPECIAL_UNK: return TOKEN_UNK;
    case RG_SPECIAL_EOS: return TOKEN_EOS;
    default: return -1;
    }
}

static rg_status word_encode(const void *state, const char *text, size_t len, int flags,
                             int32_t *ids, size_t cap, size_t *n_out)
{
    size_t bad = utf8_invalid_at(text, len);
    if (bad < len) return fail_status(RG_ERR_FORMAT, "invalid UTF-8 at byte offset %zu", bad);
    *n_out = tokenizer_encode_len(state, text, len, ids, cap);
    if (*n_out > cap) return fail_status(RG_ERR_TOO_SMALL, "the text has %zu tokens; the buffer holds %zu", *n_out, cap);
    return RG_OK;
}

/* Copy s[0..n) to buf at offset at as far as it fits; the offset after it. */
static size_t put(char *buf, size_t cap, size_t at, const char *s, size_t n)
{
    if (at < cap) memcpy(buf + at, s, n < cap - at ? n : cap - at);
    return at + n;
}

static rg_status word_decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap,
                             size_t *len_out)
{
    const Vocab *vocab = state;
    Detokenizer detok;
    detokenizer_init(&detok);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= vocab->size)
            return fail_status(RG_ERR_INVALID, "token %d is outside the vocabulary (%d tokens)", ids[i], vocab->size);
        if (ids[i] == TOKEN_PAD) continue;
        const char *sep = detokenizer_next(&detok, vocab, ids[i]);
        at = put(buf, cap, at, sep, strlen(sep));
        const char *piece = tokenizer_piece(vocab, ids[i]);
        at = put(buf, cap, at, piece, strlen(piece));
    }
    *len_out = at;
    if (at > cap) return fail_status(RG_ERR_TOO_SMALL, "the text needs %zu bytes; the buffer holds %zu", at, cap);
    if (at < cap) buf[at] = '\0';
    return RG_OK;
}

static const char *word_piece(const void *state, int32_t id, size_t *len)
{
    const Vocab *vocab = state;
    if (id < 0 || id >= vocab->size) return NULL;
    if (len) *len = strlen(vocab->words[id]);
    return vocab->words[id];
}

const rg_tokenizer_vtable rg_word_tokenizer = {
    .abi_version = RG_ABI_VERSION,
    .name = "word",
    .version = 1,
    .from_source = word_from_source,
    .to_source = word_to_source,
    .train = word_train,
    .destroy = word_destroy,
    .n_vocab = word_n_vocab,
    .special = word_special,
    .encode = word_encode,
    .decode = word_decode,
    .piece = word_piece,
};
