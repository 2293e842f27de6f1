/*
 * tokenizer_fuzz.h — what a fuzz target checks on any tokenizer that loaded
 * (through the public rg_tokenizer API): a fixed hostile text and the fuzz
 * input encode, with and without specials, into ids inside the vocabulary;
 * those ids decode, and every id has a piece. A failure aborts (a finding).
 * bpe_fuzz.h adds the exact round trip that a byte-level BPE promises.
 */
#ifndef RUSTGPT_TOKENIZER_FUZZ_H
#define RUSTGPT_TOKENIZER_FUZZ_H

#include "rustgpt.h"

#include <stdlib.h>
#include <string.h>

static void tokenizer_fuzz_encode(const rg_tokenizer *tok, const char *text, size_t len, int flags)
{
    enum { CAP = 8192 };
    static int32_t ids[CAP];
    static char back[4 * CAP];
    if (len > 2048) len = 2048;
    size_t n = 0, back_len = 0;
    rg_status st = rg_tokenize(tok, text, len, flags, ids, CAP, &n);
    if (st == RG_ERR_TOO_SMALL) abort();          /* at most a few ids per byte, plus BOS/EOS */
    if (st != RG_OK) return;                      /* an error is a defined result */
    int32_t n_vocab = rg_tokenizer_n_vocab(tok);
    for (size_t i = 0; i < n; i++) {
        size_t piece_len;
        if (ids[i] < 0 || ids[i] >= n_vocab) abort();   /* an id outside the vocabulary */
        if (!rg_token_piece(tok, ids[i], &piece_len)) abort();
    }
    st = rg_detokenize(tok, ids, n, back, sizeof back, &back_len);
    if (st != RG_OK && st != RG_ERR_TOO_SMALL) abort();
}

static void tokenizer_fuzz_check(const rg_tokenizer *tok, const char *data, size_t size)
{
    static const char hostile[] = "Hello, world! [CLS] <s> 12345 naïve café 🎉👨‍👩‍👧 \xff\xfe\x00 "
                                  "<|endoftext|> \t\n\n  end ▁x";
    for (int flags = 0; flags < 4; flags++) {
        tokenizer_fuzz_encode(tok, hostile, sizeof hostile - 1, flags);
        tokenizer_fuzz_encode(tok, data, size, flags);
    }
}

#endif
