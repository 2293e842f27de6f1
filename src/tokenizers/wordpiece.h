/*
 * wordpiece.h — BERT's WordPiece tokenizer behind the tokenizer vtable.
 *
 * The vocabulary comes from a GGUF model's metadata (tokenizer.ggml.model =
 * "bert", stored as llama.cpp's converter writes it) or from a BERT
 * vocab.txt. wordpiece.c has the algorithm; the vtable is registered by the
 * library's registry like every built-in.
 */
#ifndef RUSTGPT_WORDPIECE_H
#define RUSTGPT_WORDPIECE_H

#include "rustgpt/plugin.h"

extern const rg_tokenizer_vtable wordpiece_tokenizer_vtable;

/* A vocabulary from the text of a vocab.txt (text[0..len), not
 * NUL-terminated; what names it in errors): the vtable's load without the
 * file, for tests and the fuzz target. */
rg_status wordpiece_from_vocab_text(const char *text, size_t len, const char *what, void **state);

#endif
