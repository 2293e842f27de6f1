/*
 * fuzz_bpe_vocab_merges.c — libFuzzer target: arbitrary bytes as GPT-2's
 * two files, vocab.json and merges.txt (the input cut at its first NUL
 * byte: vocab.json before, merges.txt after; none: no merges). Bad input
 * must give an error, never a crash; whatever loads must encode and decode
 * back (bpe_fuzz.h).
 */
#include "bpe_fuzz.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *nul = memchr(text, 0, size);
    size_t vocab_len = nul ? (size_t)(nul - text) : size;
    const char *merges = nul ? nul + 1 : text + size;
    Bpe *bpe = bpe_from_vocab_merges_text(text, vocab_len, merges, size - vocab_len - (nul != NULL),
                                          "fuzz/vocab.json", "fuzz/merges.txt");
    if (bpe) {
        bpe_fuzz_check(bpe, text, size);
        bpe_free(bpe);
    }
    return 0;
}
