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

#include <string.h>

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
    void *regex;                     /* pcre2_code_8 * */
    int jit;                         /* the regex is JIT-compiled: pcre2_jit_match */
    int scan;                        /* BpeScan: the ASCII scanner of a known pattern */
    uint64_t serial;                 /* unique per tokenizer: keys the piece cache */
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
/* The split with PCRE2 alone (use_scanner 0) or with the ASCII scanner in
 * front of it (1, what bpe_pretokenize does): the same pieces either way,
 * which tests/test_bpe_scan.c checks. */
int bpe_pretokenize_with(const Bpe *bpe, const char *text, size_t len, int use_scanner,
                         int (*fn)(const char *piece, size_t n, void *ctx), void *ctx);

/* bpe_scan.c: the known patterns' split on ASCII without a regex engine. */
typedef enum { BPE_SCAN_NONE, BPE_SCAN_GPT2, BPE_SCAN_CL100K, BPE_SCAN_O200K } BpeScan;
BpeScan bpe_scan_kind(const char *pattern);
/* The end of the pre-token starting at text[pos], when ASCII bytes alone
 * decide it; 0 when a byte >= 0x80 takes part (then PCRE2 decides). */
size_t bpe_scan_ascii(BpeScan kind, const unsigned char *text, size_t pos, size_t len);

/* ---- hashing and the two tables (inline: the encoder's inner loop) ---- */

static inline uint64_t bpe_mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

/* A fast hash of a short byte string: 8 bytes at a time, multiply-mixed. */
static inline uint64_t bpe_hash_bytes(const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return bpe_mix64(h);
}

/* The key of a byte string (BpeSlot) and the slot its probe starts at. */
static inline uint64_t bpe_bytes_key(const void *bytes, size_t len)
{
    if (len > 8) return bpe_hash_bytes(bytes, len);
    uint64_t w = 0;
    memcpy(&w, bytes, len);
    return w;
}

static inline size_t bpe_key_slot(uint64_t key, size_t len, size_t n_slots)
{
    return (size_t)bpe_mix64((key ^ len) * 0x9e3779b97f4a7c15ULL) & (n_slots - 1);
}

/* The id of exactly these bytes, or -1 (bpe_lookup). */
static inline int32_t bpe_lookup_bytes(const Bpe *bpe, const void *bytes, size_t len)
{
    size_t mask = bpe->n_by_bytes - 1;
    uint64_t key = bpe_bytes_key(bytes, len);
    for (size_t s = bpe_key_slot(key, len, bpe->n_by_bytes);; s = (s + 1) & mask) {
        const BpeSlot *slot = &bpe->by_bytes[s];
        if (slot->id_plus1 == 0) return -1;
        if (slot->key != key || slot->len != len) continue;
        uint32_t id = slot->id_plus1 - 1;
        if (len <= 8 || memcmp(bpe->pool + bpe->tok_off[id], bytes, len) == 0) return (int32_t)id;
    }
}

static inline size_t bpe_pair_slot(uint64_t key, size_t n_slots)
{
    return (size_t)(bpe_mix64(key * 0x9e3779b97f4a7c15ULL)) & (n_slots - 1);
}

/* The pair rule of (left, right), or NULL. */
static inline const BpePair *bpe_pair_find(const Bpe *bpe, uint32_t left, uint32_t right)
{
    if (!bpe->n_pair_slots) return NULL;
    uint64_t key = (uint64_t)left << 32 | right;
    size_t mask = bpe->n_pair_slots - 1;
    for (size_t s = bpe_pair_slot(key, bpe->n_pair_slots);; s = (s + 1) & mask) {
        const BpePair *p = &bpe->pairs[s];
        if (p->key == key) return p;
        if (p->key == UINT64_MAX) return NULL;
    }
}

#endif
