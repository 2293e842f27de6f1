/*
 * bpe_fuzz.h — what every byte-level BPE fuzz target checks on a tokenizer
 * that loaded: a fixed hostile text and the fuzz input itself encode, and
 * decode back to the same bytes. A mismatch aborts (a finding).
 */
#ifndef RUSTGPT_BPE_FUZZ_H
#define RUSTGPT_BPE_FUZZ_H

#include "tokenizers/bpe.h"

#include <stdlib.h>
#include <string.h>

static void bpe_fuzz_round_trip(const Bpe *bpe, const char *text, size_t len)
{
    if (len > 4096) len = 4096;
    int32_t ids[4096 + 8];
    char back[4096 + 1];
    size_t n = 0, back_len = 0;
    if (bpe_encode(bpe, text, len, BPE_PARSE_SPECIAL, ids, sizeof ids / sizeof *ids, &n) != 0) return;
    if (n > len && len > 0 && bpe_n_special(bpe) == 0) abort();      /* a token has >= 1 byte */
    if (n > sizeof ids / sizeof *ids) return;
    if (bpe_decode(bpe, ids, n, back, sizeof back, &back_len) != 0) abort();
    if (back_len != len || memcmp(back, text, len) != 0) abort();
}

static void bpe_fuzz_check(const Bpe *bpe, const char *data, size_t size)
{
    static const char hostile[] = "Hello, world! 12345 naïve café 🎉👨‍👩‍👧 \xff\xfe\x00 \t\n\n  end";
    bpe_fuzz_round_trip(bpe, hostile, sizeof hostile - 1);
    bpe_fuzz_round_trip(bpe, data, size);
}

#endif
