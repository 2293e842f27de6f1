/*
 * spm.h — the SentencePiece tokenizer of Llama-family GGUF files
 * (tokenizer.ggml.model = "llama"); spm.c has the algorithm.
 */
#ifndef RUSTGPT_SPM_H
#define RUSTGPT_SPM_H

#include "rustgpt/plugin.h"

/* Registered as "spm"; made only from a model's metadata (from_source). */
extern const rg_tokenizer_vtable spm_tokenizer;
/* The same, registered as "llama": the name GGUF's tokenizer.ggml.model uses. */
extern const rg_tokenizer_vtable spm_gguf_tokenizer;

#endif
