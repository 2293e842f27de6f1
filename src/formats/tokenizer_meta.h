/*
 * tokenizer_meta.h — a model's tokenizer inside rustgpt's own model files.
 *
 * A tokenizer writes itself as metadata (its to_source: "tokenizer.ggml.model"
 * plus whatever it needs, such as "tokenizer.ggml.tokens"); these functions
 * turn those keys into one JSON object, which the .bin format stores in its
 * tokenizer section, and back into a tokenizer through the registry (so a
 * plugin tokenizer loads when its plugin is loaded, and the error says which
 * plugin is missing when it is not). The word tokenizer needs none of this:
 * its words are the files' vocabulary section, as in phase one.
 */
#ifndef RUSTGPT_TOKENIZER_META_H
#define RUSTGPT_TOKENIZER_META_H

#include "rustgpt.h"

#include <stddef.h>

/* The tokenizer's metadata as a JSON object text (caller frees), or NULL
 * after fail(). */
char *tokenizer_meta_to_json(const rg_tokenizer *tok, size_t *len);

/* A tokenizer from such a JSON text; name is the file, for messages.
 * Returns 0, or -1 after fail(). */
int tokenizer_meta_from_json(const char *json, size_t len, const char *name, rg_tokenizer **out);

#endif
