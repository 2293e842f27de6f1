/*
 * spm_internal.h — the SentencePiece vocabulary shared by spm.c (encoding,
 * decoding) and spm_vocab.c (reading it from, and writing it to, GGUF
 * tokenizer.ggml.* metadata). Not part of any public API.
 */
#ifndef RUSTGPT_SPM_INTERNAL_H
#define RUSTGPT_SPM_INTERNAL_H

#include "tokenizers/spm.h"

#include <stdint.h>
#include <string.h>

enum { TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER = 4, TYPE_UNUSED = 5,
       TYPE_BYTE = 6 };

#define SPACE_MARK "\xe2\x96\x81"   /* U+2581 ▁, a space inside pieces */

typedef struct {
    int32_t n_vocab;
    char *blob;                 /* every piece, NUL after each              */
    const char **piece;         /* [n_vocab] into blob                      */
    uint32_t *len;              /* [n_vocab]                                */
    float *score;               /* [n_vocab]                                */
    uint8_t *type;              /* [n_vocab]                                */
    int32_t *slots;             /* hash table of piece -> id (id+1, 0 empty) */
    uint32_t n_slots;           /* power of two                             */
    int32_t byte_id[256];       /* <0xXX> pieces, -1 where absent           */
    int32_t *specials;          /* control/user/unknown ids, longest first  */
    int32_t n_specials;
    int32_t bos, eos, unk, pad;
    int add_bos, add_eos, add_space_prefix;
} spm;

static inline uint32_t spm_hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;                     /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The id of the piece s[0..n) (the last of equal pieces), or -1. */
static inline int32_t spm_lookup(const spm *t, const char *s, size_t n)
{
    for (uint32_t i = spm_hash_bytes(s, n) & (t->n_slots - 1);; i = (i + 1) & (t->n_slots - 1)) {
        int32_t id = t->slots[i] - 1;
        if (id < 0) return -1;
        if (t->len[id] == n && memcmp(t->piece[id], s, n) == 0) return id;
    }
}

/* spm_vocab.c */
void spm_destroy(void *state);
rg_status spm_from_source(const rg_source *src, void **state);
rg_status spm_to_source(const void *state, rg_source *dst);

#endif
