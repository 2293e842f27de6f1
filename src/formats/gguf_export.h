/*
 * gguf_export.h — rustgpt's own models in the form llama.cpp reads
 * (gguf_export.c has the mapping and the reasons for refusing).
 */
#ifndef RUSTGPT_GGUF_EXPORT_H
#define RUSTGPT_GGUF_EXPORT_H

#include "rustgpt/plugin.h"

/* When in is a rustgpt "gpt" model, *out = a new source with llama.cpp's
 * gpt2 names and keys, pointing at in's tensor data (free it before in);
 * RG_ERR_UNSUPPORTED, with the reason, when llama.cpp cannot represent it
 * exactly. Any other source is GGUF-shaped already: *out = NULL, RG_OK. */
rg_status gguf_export_source(const rg_source *in, rg_source **out);

/* The way back, for `train --init`: a gpt2 source (from GGUF or a Hugging
 * Face directory) as a rustgpt "gpt" source of the GPT_GPT2 variant, every
 * tensor F32 (converted copies kept by *out), a tied output copied from the
 * token embeddings. RG_ERR_UNSUPPORTED for other architectures. */
rg_status gpt_source_from_gguf_gpt2(const rg_source *in, rg_source **out);

#endif
