/*
 * source.h — what the library itself may do with an rg_source beyond
 * rustgpt/plugin.h: walk its metadata keys in order (to write them into a
 * file as a whole, e.g. a model's tokenizer).
 */
#ifndef RUSTGPT_SOURCE_H
#define RUSTGPT_SOURCE_H

#include "rustgpt/plugin.h"

/* The number of metadata keys, and the i-th key and its type, in the order
 * they were first set. */
int32_t source_n_keys(const rg_source *src);
const char *source_key_at(const rg_source *src, int32_t i, rg_value_type *type);

#endif
