/*
 * text.c — encoding and decoding through a Model's tokenizer (text.h). The
 * word tokenizer keeps its own functions (tokenizers/word.h), so its models
 * behave exactly as in phase one; any other tokenizer goes through the
 * rg_tokenizer calls of rustgpt.h.
 */
#include "infer/text.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int model_encode(const Model *m, const char *text, int *ids, int max_ids)
{
    if (!m->tokenizer) return tokenizer_encode(&m->vocab, text, ids, max_ids);
    size_t n = 0;
    rg_status st = rg_tokenize(m->tokenizer, text, strlen(text), 0, ids, max_ids > 0 ? (size_t)max_ids : 0, &n);
    if (st != RG_OK && st != RG_ERR_TOO_SMALL) return -1;
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

size_t model_decode(const Model *m, const int *ids, int n, char *buf, size_t cap)
{
    if (!m->tokenizer) return tokenizer_decode(&m->vocab, ids, n, buf, cap);
    int V = rg_tokenizer_n_vocab(m->tokenizer);
    size_t at = 0;
    for (int i = 0; i < n; i++) {      /* token by token: no allocation, invalid ids skipped */
        if (ids[i] < 0 || ids[i] >= V) continue;
        size_t len = 0;
        char piece[64];
        rg_status st = rg_detokenize(m->tokenizer, &ids[i], 1, piece, sizeof piece, &len);
        if (st != RG_OK && st != RG_ERR_TOO_SMALL) continue;
        if (st == RG_OK && at < cap) memcpy(buf + at, piece, len < cap - at ? len : cap - at);
        at += len;
    }
    if (cap > 0) buf[at < cap ? at : cap - 1] = '\0';
    return at;
}

int model_eos(const Model *m) { return m->tokenizer ? rg_tokenizer_special(m->tokenizer, RG_SPECIAL_EOS) : TOKEN_EOS; }
int model_unk(const Model *m) { return m->tokenizer ? rg_tokenizer_special(m->tokenizer, RG_SPECIAL_UNK) : TOKEN_UNK; }

int model_answer_start(const Model *m, const int *ids, int n)
{
    if (!m->tokenizer) return find_answer_start(&m->vocab, ids, n);
    int marker[32];
    int k = model_encode(m, "Assistant:", marker, 32);
    if (k <= 0 || k > 32) return 0;
    for (int i = n - k; i >= 0; i--)
        if (memcmp(ids + i, marker, (size_t)k * sizeof *ids) == 0) return i + k;
    return 0;
}

const char *model_piece(const Model *m, int id, char *buf, size_t cap)
{
    if (!m->tokenizer) return tokenizer_piece(&m->vocab, id);
    size_t len = 0;
    const char *piece = rg_token_piece(m->tokenizer, id, &len);
    if (!piece || cap == 0) return "";
    size_t k = len < cap - 1 ? len : cap - 1;
    memcpy(buf, piece, k);
    buf[k] = '\0';
    return buf;
}
