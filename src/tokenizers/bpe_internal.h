/*
 * bpe_internal.h — the tables behind a Bpe, shared by bpe.c (merging),
 * bpe_pretok.c (splitting) and the loaders. Not part of any public API.
 *
 * Memory picture of a loaded tokenizer (cl100k_base: 100,256 ranks):
 *   pool        every token's bytes back to back             ~0.7 MB
 *   tok_off/len where id's bytes start in pool, and how many  8 B per id
 *   by_bytes    open addressing: bytes -> id                 16 B per slot
 *   pairs       open addressing: (left,right) -> rank, merged 16 B per slot
 * Slot counts are powers of two at least twice the entries, so a probe
 * sequence stays short.
 */
#ifndef RUSTGPT_BPE_INTERNAL_H
#define RUSTGPT_BPE_INTERNAL_H

#include "tokenizers/bpe.h"

#define BPE_NONE UINT32_MAX          /* no id, no rank */

typedef struct {
    uint64_t key;                    /* left << 32 | right; UINT64_MAX empty */
    uint32_t rank;
    uint32_t merged;
} BpePair;

/* A token's bytes as a key: up to 8 bytes packed into the key itself (so a
 * probe needs no trip to the pool), longer ones by their 64-bit hash. */
typedef struct {
    uint64_t key;
    uint32_t id_plus1;               /* 0: empty slot */
    uint32_t len;
} BpeSlot;

typedef struct {
    char *text;
    size_t len;
    uint32_t id;
} BpeSpecial;

struct Bpe {
    uint32_t n_ids;                  /* id slots */
    uint32_t *tok_off, *tok_len;     /* tok_len == BPE_NONE: a hole */
    char *pool;
    size_t pool_len, pool_cap;
    BpeSlot *by_bytes;               /* bytes -> id, open addressing */
    size_t n_by_bytes;               /* power of two */
    size_t n_tokens;
    BpePair *pairs;
    size_t n_pairs, n_pair_slots;    /* used, slots (power of two) */
    uint32_t byte_id[256];           /* the token of each single byte */
    int whole_lookup;
    int derived;                     /* pair rules derived from ranks (tiktoken) */
    BpeSpecial *specials;
    int n_specials;
    unsigned char special_first[256]; /* 1 if some special starts with the byte */
    char *pattern;
    void *regex;                     /* pcre2_code_8 *, JIT-compiled */
    int32_t bos, eos;
    int finished;
};

/* bpe_load.c: fail() with a prefix ("file: line 3") before the message
 * already recorded (copied first, since fail() writes the same buffer).
 * Returns -1. */
int fail_within(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* bpe_pretok.c */
int bpe_pattern_compile(Bpe *bpe);
void bpe_pattern_free(Bpe *bpe);

/* bpe.c: the pair rule of (left, right), or NULL. */
const BpePair *bpe_pair_find(const Bpe *bpe, uint32_t left, uint32_t right);
uint64_t bpe_hash_bytes(const void *bytes, size_t len);

#endif
