/*
 * fuzz_tokenizer_meta.c — libFuzzer target: arbitrary bytes as the
 * tokenizer section of a .bin model file (formats/tokenizer_meta.c: one
 * JSON object of tokenizer.ggml.* keys, the GGUF metadata a tokenizer
 * writes), which picks the tokenizer by tokenizer.ggml.model and builds it
 * from the keys: SentencePiece ("llama"), WordPiece ("bert"), byte-level
 * BPE ("gpt2"). Bad input must give an error naming the file, never a
 * crash; a tokenizer that loads must encode any text into ids inside its
 * vocabulary, which decode (tokenizer_fuzz.h).
 */
#include "formats/tokenizer_meta.h"
#include "tokenizer_fuzz.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_tokenizer *tok = NULL;
    if (tokenizer_meta_from_json((const char *)data, size, "fuzz.bin", &tok) != 0) return 0;
    tokenizer_fuzz_check(tok, (const char *)data, size);
    rg_tokenizer_free(tok);
    return 0;
}
