/*
 * spm.h — the SentencePiece tokenizer of Llama-family GGUF files
 * (tokenizer.ggml.model = "llama"); spm.c has the algorithm.
 */
#ifndef RUSTGPT_SPM_H
#define RUSTGPT_SPM_H

#include "rustgpt/plugin.h"

/* Registered as "spm"; made only from a model's metadata (from_source). */
extern const rg_tokenizer_vtable spm_tokenizer;

#endif
