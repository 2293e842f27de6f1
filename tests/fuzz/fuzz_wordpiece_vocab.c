/*
 * fuzz_wordpiece_vocab.c — libFuzzer target: arbitrary bytes as BERT's
 * vocab.txt (one piece a line, "##" for a continuation, [UNK] required).
 * Bad input must give an error, never a crash; a vocabulary that loads must
 * encode any text into ids inside it, which decode (tokenizer_fuzz.h).
 */
#include "api/handles.h"
#include "tokenizer_fuzz.h"
#include "tokenizers/wordpiece.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    void *state = NULL;
    if (wordpiece_from_vocab_text(text, size, "fuzz/vocab.txt", &state) != RG_OK) return 0;
    rg_tokenizer *tok = NULL;
    if (tokenizer_wrap(&wordpiece_tokenizer_vtable, state, &tok) != RG_OK) abort();
    tokenizer_fuzz_check(tok, text, size);
    rg_tokenizer_free(tok);
    return 0;
}
