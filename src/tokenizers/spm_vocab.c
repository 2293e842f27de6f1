/*
 * spm_vocab.c — a SentencePiece vocabulary from a model's metadata
 * (tokenizer.ggml.tokens, .scores, .token_type and the special ids, as
 * llama.cpp reads them), and written back; spm.c encodes with it. Every
 * array length and id is checked before it is trusted: an unknown_token_id
 * outside the vocabulary is refused here, so encoding never emits one.
 */
#include "tokenizers/spm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- the piece table --------------------------------------------------- */

void spm_destroy(void *state)
{
    spm *t = state;
    if (!t) return;
    free(t->blob); free(t->piece); free(t->len); free(t->score); free(t->type);
    free(t->slots); free(t->specials);
    free(t);
}

/* Special pieces are sorted by length, longest first (then by id). */
typedef struct { uint32_t len; int32_t id; } special_key;
static int cmp_special(const void *a, const void *b)
{
    const special_key *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int sort_specials(spm *t)
{
    special_key *keys = xmalloc((size_t)t->n_specials + 1, sizeof *keys);
    if (!keys) return -1;
    for (int32_t i = 0; i < t->n_specials; i++) keys[i] = (special_key){ t->len[t->specials[i]], t->specials[i] };
    qsort(keys, (size_t)t->n_specials, sizeof *keys, cmp_special);
    for (int32_t i = 0; i < t->n_specials; i++) t->specials[i] = keys[i].id;
    free(keys);
    return 0;
}

static int read_special_id(const rg_source *src, const char *key, int32_t n_vocab, int32_t *id)
{
    int64_t v;
    if (rg_source_int(src, key, &v) != RG_OK) return 0;
    *id = v >= 0 && v < n_vocab ? (int32_t)v : -1;
    return 0;
}

static void read_flag(const rg_source *src, const char *key, int *flag)
{
    int v;
    if (rg_source_bool(src, key, &v) == RG_OK) *flag = v;
}

rg_status spm_from_source(const rg_source *src, void **state)
{
    *state = NULL;
    const char *model;
    if (rg_source_string(src, "tokenizer.ggml.model", &model, NULL) != RG_OK ||
        strcmp(model, "llama") != 0) {
        fail("spm: the model's tokenizer is not SentencePiece (tokenizer.ggml.model != \"llama\")");
        return RG_ERR_UNSUPPORTED;
    }
    rg_value_type vt;
    uint64_t n;
    if (rg_source_array(src, "tokenizer.ggml.tokens", &vt, &n) != RG_OK || vt != RG_VALUE_STRING ||
        n == 0 || n > (1u << 24)) {
        fail("spm: tokenizer.ggml.tokens is missing, empty or not a string array");
        return RG_ERR_FORMAT;
    }
    uint64_t n_scores = 0, n_types = 0;
    rg_value_type st = RG_VALUE_FLOAT, tt = RG_VALUE_INT;
    if (rg_source_array(src, "tokenizer.ggml.scores", &st, &n_scores) != RG_OK) n_scores = 0;
    if (rg_source_array(src, "tokenizer.ggml.token_type", &tt, &n_types) != RG_OK) n_types = 0;
    if ((n_scores && (n_scores != n || st != RG_VALUE_FLOAT)) ||
        (n_types && (n_types != n || tt != RG_VALUE_INT))) {
        fail("spm: tokenizer.ggml.scores / token_type do not match the %llu tokens",
             (unsigned long long)n);
        return RG_ERR_FORMAT;
    }

    spm *t = xcalloc(1, sizeof *t);
    if (!t) return RG_ERR_NOMEM;
    t->n_vocab = (int32_t)n;
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        if (rg_source_array_string(src, "tokenizer.ggml.tokens", i, &s, &len) != RG_OK) goto bad;
        total += len + 1;
    }
    t->n_slots = 1;
    while (t->n_slots < 2 * n) t->n_slots <<= 1;
    t->blob = xmalloc(total, 1);
    t->piece = xmalloc(n, sizeof *t->piece);
    t->len = xmalloc(n, sizeof *t->len);
    t->score = xcalloc(n, sizeof *t->score);
    t->type = xmalloc(n, sizeof *t->type);
    t->slots = xcalloc(t->n_slots, sizeof *t->slots);
    t->specials = xmalloc(n, sizeof *t->specials);
    if (!t->blob || !t->piece || !t->len || !t->score || !t->type || !t->slots || !t->specials) {
        spm_destroy(t);
        return RG_ERR_NOMEM;
    }
    for (int i = 0; i < 256; i++) t->byte_id[i] = -1;
    size_t at = 0;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        double score = 0.0;
        int64_t type = TYPE_NORMAL;
        rg_source_array_string(src, "tokenizer.ggml.tokens", i, &s, &len);
        if (n_scores && rg_source_array_float(src, "tokenizer.ggml.scores", i, &score) != RG_OK) goto bad;
        if (n_types && rg_source_array_int(src, "tokenizer.ggml.token_type", i, &type) != RG_OK) goto bad;
        memcpy(t->blob + at, s, len);
        t->blob[at + len] = '\0';
        t->piece[i] = t->blob + at;
        t->len[i] = (uint32_t)len;
        t->score[i] = (float)score;
        t->type[i] = type >= 0 && type <= 6 ? (uint8_t)type : TYPE_NORMAL;
        at += len + 1;
        /* the last piece wins for duplicate text, as in llama.cpp's map */
        if (len > 0) {
            uint32_t h = spm_hash_bytes(s, len) & (t->n_slots - 1);
            while (t->slots[h] && !(t->len[t->slots[h] - 1] == len &&
                                    memcmp(t->piece[t->slots[h] - 1], s, len) == 0))
                h = (h + 1) & (t->n_slots - 1);
            t->slots[h] = (int32_t)i + 1;
        }
        if ((t->type[i] == TYPE_CONTROL || t->type[i] == TYPE_USER || t->type[i] == TYPE_UNKNOWN) && len > 0)
            t->specials[t->n_specials++] = (int32_t)i;
    }
    /* Byte fallback pieces are found by their text "<0x41>", else the
     * byte itself as a one-byte piece. */
    for (int b = 0; b < 256; b++) {
        char hex[8], raw[1] = { (char)b };
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        t->byte_id[b] = spm_lookup(t, hex, 6);
        if (t->byte_id[b] < 0) t->byte_id[b] = spm_lookup(t, raw, 1);
    }
    if (sort_specials(t) < 0) {
        spm_destroy(t);
        return RG_ERR_NOMEM;
    }

    /* llama.cpp's defaults for SentencePiece vocabularies, then the file's. */
    t->unk = 0 < t->n_vocab ? 0 : -1;
    t->bos = 1 < t->n_vocab ? 1 : -1;
    t->eos = 2 < t->n_vocab ? 2 : -1;
    t->pad = -1;
    t->add_bos = 1;
    t->add_eos = 0;
    t->add_space_prefix = 1;
    read_special_id(src, "tokenizer.ggml.bos_token_id", t->n_vocab, &t->bos);
    read_special_id(src, "tokenizer.ggml.eos_token_id", t->n_vocab, &t->eos);
    int64_t unk;
    if (rg_source_int(src, "tokenizer.ggml.unknown_token_id", &unk) == RG_OK && unk >= t->n_vocab) {
        fail("spm: tokenizer.ggml.unknown_token_id %lld is outside the vocabulary of %d tokens",
             (long long)unk, t->n_vocab);
        spm_destroy(t);
        return RG_ERR_FORMAT;
    }
    read_special_id(src, "tokenizer.ggml.unknown_token_id", t->n_vocab, &t->unk);
    read_special_id(src, "tokenizer.ggml.padding_token_id", t->n_vocab, &t->pad);
    read_flag(src, "tokenizer.ggml.add_bos_token", &t->add_bos);
    read_flag(src, "tokenizer.ggml.add_eos_token", &t->add_eos);
    read_flag(src, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix);
    *state = t;
    return RG_OK;
bad:
    fail("spm: the vocabulary arrays could not be read");
    spm_destroy(t);
    return RG_ERR_FORMAT;
}

rg_status spm_to_source(const void *state, rg_source *dst)
{
    const spm *t = state;
    size_t n = (size_t)t->n_vocab;
    size_t *lens = xmalloc(n, sizeof *lens);
    double *scores = xmalloc(n, sizeof *scores);
    int64_t *types = xmalloc(n, sizeof *types);
    rg_status st = RG_ERR_NOMEM;
    if (lens && scores && types) {
        for (size_t i = 0; i < n; i++) {
            lens[i] = t->len[i];
            scores[i] = t->score[i];
            types[i] = t->type[i];
        }
        st = rg_source_set_string(dst, "tokenizer.ggml.model", "llama", 5);
        if (st == RG_OK) st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", t->piece, lens, n);
        if (st == RG_OK) st = rg_source_set_float_array(dst, "tokenizer.ggml.scores", scores, n);
        if (st == RG_OK) st = rg_source_set_int_array(dst, "tokenizer.ggml.token_type", types, n);
        if (st == RG_OK && t->bos >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.bos_token_id", t->bos);
        if (st == RG_OK && t->eos >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.eos_token_id", t->eos);
        if (st == RG_OK && t->unk >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.unknown_token_id", t->unk);
        if (st == RG_OK && t->pad >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.padding_token_id", t->pad);
        if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.add_bos_token", t->add_bos);
        if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.add_eos_token", t->add_eos);
        if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.add_space_prefix", t->add_space_prefix);
    }
    free(lens); free(scores); free(types);
    return st;
}
