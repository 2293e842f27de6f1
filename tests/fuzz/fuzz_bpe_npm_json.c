/*
 * fuzz_bpe_npm_json.c — libFuzzer target: arbitrary bytes as a byte-level BPE
 * file (npm_json form, not NUL-terminated). Bad input must give an error, never
 * a crash; whatever loads must encode and decode back (bpe_fuzz.h).
 */
#include "bpe_fuzz.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    Bpe *bpe = bpe_from_npm_text(text, size, "fuzz.json");
    if (bpe) {
        bpe_fuzz_check(bpe, text, size);
        bpe_free(bpe);
    }
    return 0;
}
