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

#endif
