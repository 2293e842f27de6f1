/*
 * wordpiece_internal.h — the WordPiece vocabulary shared by wordpiece.c
 * (encoding, decoding) and wordpiece_vocab.c (building it from GGUF
 * metadata or a vocab.txt). Not part of any public API.
 */
#ifndef RUSTGPT_WORDPIECE_INTERNAL_H
#define RUSTGPT_WORDPIECE_INTERNAL_H

#include "tokenizers/wordpiece.h"

#include <stdint.h>
#include <string.h>

#define WP_PREFIX "\xe2\x96\x81"            /* U+2581, marks a word-initial piece */
enum { WP_PREFIX_LEN = 3, WP_MAX_PIECE = 192, WP_WINDOW = 1024 };

typedef struct {
    int32_t n_vocab;
    char **pieces;           /* pieces[id]: NUL-terminated, stored form (▁ prefix) */
    uint32_t *piece_len;
    int32_t *slots;          /* open addressing: id + 1, 0 empty                  */
    size_t n_slots;          /* a power of two > 2 n_vocab                        */
    int32_t max_len;         /* longest matchable piece in bytes                  */
    int32_t cls, sep, unk, pad, mask;
    int lowercase, strip_accents;
} WordPiece;

static inline uint64_t wp_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;                       /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The id of the stored-form piece s[0..n), or -1. */
static inline int32_t wp_lookup(const WordPiece *wp, const char *s, size_t n)
{
    size_t mask = wp->n_slots - 1;
    for (size_t at = wp_hash_bytes(s, n) & mask;; at = (at + 1) & mask) {
        int32_t slot = wp->slots[at];
        if (slot == 0) return -1;
        int32_t id = slot - 1;
        if (wp->piece_len[id] == n && memcmp(wp->pieces[id], s, n) == 0) return id;
    }
}

/* wordpiece_vocab.c: building and the vtable's file functions. */
void wordpiece_destroy(void *state);
rg_status wordpiece_from_source(const rg_source *src, void **state);
rg_status wordpiece_to_source(const void *state, rg_source *dst);
int wordpiece_probe(const char *path, const unsigned char *head, size_t n);
rg_status wordpiece_load(const char *path, void **state);
rg_status wordpiece_save(const void *state, const char *path);

#endif
