/*
 * hf_checkpoint.h — the pieces of a Hugging Face checkpoint directory that
 * do not depend on the architecture: any model.safetensors file, and a
 * byte-level BPE tokenizer (vocab.json + merges.txt, or tokenizer.json)
 * turned into GGUF's tokenizer.ggml.* keys. formats/hf_gpt2.c uses both.
 */
#ifndef RUSTGPT_HF_CHECKPOINT_H
#define RUSTGPT_HF_CHECKPOINT_H

#include "rustgpt/plugin.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *name;
    rg_type type;                 /* F32, F16 or BF16                    */
    int32_t n_dims;
    int64_t shape[4];             /* as stored: shape[0] is the outermost */
    const void *data;             /* into the mapping                    */
    size_t n_bytes;
} hf_tensor;

typedef struct {
    void *map;
    size_t map_len;
    hf_tensor *tensors;
    int64_t n_tensors;
} hf_safetensors;

/* Map path and read its header: every tensor's dtype, shape and byte range
 * checked against the file (in range, the size its shape says, no two
 * overlapping). Returns 0, or -1 after fail() naming the file and tensor. */
int hf_safetensors_open(hf_safetensors *st, const char *path);
void hf_safetensors_close(hf_safetensors *st);

/* Read DIR/vocab.json + DIR/merges.txt (or DIR/tokenizer.json) and set
 * tokenizer.ggml.model "gpt2", .pre "gpt-2", .tokens, .token_type, .merges
 * and the <|endoftext|> ids as bos/eos. Returns 0 or -1 after fail(). */
int hf_bpe_tokenizer_to_source(const char *dir, rg_source *src);

#endif
