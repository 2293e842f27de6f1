/*
 * fuzz_bpe_encode.c — libFuzzer target: arbitrary bytes as text to encode
 * with GPT-2's and o200k's ranks (loaded once from tiktoken's npm package),
 * specials allowed: every input must decode back byte for byte.
 */
#include "bpe_fuzz.h"

#include <stdint.h>
#include <stdio.h>

static Bpe *gpt2, *o200k;

/* Loading takes seconds under the sanitizers: once, before any input. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    {
        gpt2 = bpe_load("tests/interop/node_modules/tiktoken/encoders/gpt2.json");
        o200k = bpe_load("tests/interop/node_modules/tiktoken/encoders/o200k_base.json");
        if (!gpt2 || !o200k) {
            fprintf(stderr, "fuzz_bpe_encode: run from the repository root after make interop-deps\n");
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bpe_fuzz_round_trip(gpt2, (const char *)data, size);
    bpe_fuzz_round_trip(o200k, (const char *)data, size);
    return 0;
}
