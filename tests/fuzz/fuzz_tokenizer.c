/*
 * fuzz_tokenizer.c — libFuzzer target: the tokenizer on arbitrary bytes.
 * The input is encoded with a small fixed vocabulary and decoded back; its
 * bytes are also read as token ids (in range or not) to decode, and its
 * lines as a word list for vocab_from_words. Checks: encode's count does
 * not depend on the buffer size, and decode's length does not depend on
 * the capacity given.
 */
#include "tokenizers/word.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static Vocab vocab;

static void build_vocab(void)
{
    static const char *const texts[] = {
        "User: hello there! Assistant: hi, how are you? </s>",
        "The sun rises in the east. It's 3.14 and 1,000 \"quoted\" (words) well-known $5 50% </s>",
        "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac </s>",
    };
    if (vocab_build(&vocab, texts, sizeof texts / sizeof texts[0]) != 0) abort();
}

static void check_decode(const int *ids, int n)
{
    char small[8], big[4096];
    size_t need = tokenizer_decode(&vocab, ids, n, big, sizeof big);
    if (tokenizer_decode(&vocab, ids, n, small, sizeof small) != need) abort();
    if (need < sizeof big && strlen(big) != need) abort();
    Detokenizer detok;
    detokenizer_init(&detok);
    for (int i = 0; i < n; i++) {
        (void)detokenizer_next(&detok, &vocab, ids[i]);
        (void)tokenizer_piece(&vocab, ids[i]);
        if (i > 0) (void)tokenizer_separator(&vocab, ids[i - 1], ids[i]);
    }
}

static void check_word_list(const char *text, size_t size)
{
    const char *words[64];
    int n = 0;
    char *copy = malloc(size + 1);
    memcpy(copy, text, size + 1);
    for (char *line = strtok(copy, "\n"); line && n < 64; line = strtok(NULL, "\n"))
        words[n++] = line;
    Vocab v;
    if (vocab_from_words(&v, words, n) == 0) {
        for (int i = 0; i < n; i++)
            if (vocab_lookup(&v, words[i], strlen(words[i])) != i) abort();
    }
    vocab_free(&v);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!vocab.size) build_vocab();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    int ids[256];
    int n = tokenizer_encode(&vocab, text, ids, 256);
    if (n < 0 || tokenizer_encode(&vocab, text, ids, 3) != n) abort();
    if ((size_t)n != tokenizer_split(text, NULL, NULL)) abort();
    n = tokenizer_encode(&vocab, text, ids, 256);
    check_decode(ids, n < 256 ? n : 256);

    int raw[64], k = 0;
    for (size_t i = 0; i + 1 < size && k < 64; i += 2)
        raw[k++] = (int)(int8_t)data[i] * 3 + data[i + 1] % 3;   /* some out of range */
    check_decode(raw, k);

    check_word_list(text, size);
    free(text);
    return 0;
}
