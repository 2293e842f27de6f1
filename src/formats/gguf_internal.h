/*
 * gguf_internal.h — what the GGUF reader's two files share: the parsed
 * file (gguf.c parses it, gguf_lookup.c answers questions about it).
 */
#ifndef RUSTGPT_GGUF_INTERNAL_H
#define RUSTGPT_GGUF_INTERNAL_H

#include "formats/gguf.h"

struct gguf_file {
    void *map;                  /* the mapping we own (NULL for gguf_open_memory) */
    size_t map_len;
    const unsigned char *base;
    uint64_t size;
    char *name;                 /* for messages */
    uint32_t version;
    size_t alignment;
    uint64_t data_start;
    uint64_t n_kv, n_tensors;
    gguf_kv *kvs;
    uint64_t *kv_offsets;
    uint64_t *kv_sorted;        /* indices of kvs sorted by key */
    gguf_tensor *tensors;
    uint64_t *tensor_offsets;
    uint64_t *tensor_sorted;    /* indices of tensors sorted by name */
};

/* Byte order of two strings, shorter first on a tie (the order keys and
 * tensor names are sorted and searched in). */
int gguf_str_cmp(gguf_str a, gguf_str b);

/* The n-byte little-endian unsigned integer at p. */
uint64_t gguf_load_le(const unsigned char *p, int n);

#endif
