/*
 * bpe_save.c — writing a byte-level BPE as a Hugging Face tokenizer.json,
 * the form other tools read (tokenizers, transformers, llama.cpp's
 * converter), and listing its merge rules.
 *
 * A tokenizer learned here or read from merges keeps its rules as they
 * were. One read from tiktoken ranks has no rules, only ranks; its rule for
 * the token of rank r is found as Hugging Face's converter finds it: merge
 * the token's own bytes with the rules of rank below r, and the two parts
 * left are its rule. The file then says "ignore_merges": true, which is
 * tiktoken's whole-piece lookup.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tokenizers/bpe_internal.h"

/* The two parts token id splits into under the rules of rank < id. */
static int canonical_split(const Bpe *bpe, uint32_t id, uint32_t *left, uint32_t *right)
{
    size_t len = bpe->tok_len[id];
    const unsigned char *bytes = (const unsigned char *)bpe->pool + bpe->tok_off[id];
    uint32_t parts[512];
    if (len < 2 || len > 512) return 0;
    size_t m = len;
    for (size_t i = 0; i < m; i++) parts[i] = bpe->byte_id[bytes[i]];
    while (m > 2) {
        size_t best = SIZE_MAX;
        uint32_t best_rank = id, merged = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            const BpePair *p = bpe_pair_find(bpe, parts[i], parts[i + 1]);
            if (p && p->rank < best_rank) best = i, best_rank = p->rank, merged = p->merged;
        }
        if (best == SIZE_MAX) return 0;
        parts[best] = merged;
        memmove(parts + best + 1, parts + best + 2, (m - best - 2) * sizeof *parts);
        m--;
    }
    *left = parts[0];
    *right = parts[1];
    return 1;
}

static int by_rank(const void *a, const void *b)
{
    const BpePair *x = a, *y = b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

int bpe_each_merge(const Bpe *bpe, int (*fn)(uint32_t left, uint32_t right, void *ctx), void *ctx)
{
    if (bpe->derived) {
        for (uint32_t id = 0; id < bpe->n_ids; id++) {
            uint32_t l, r;
            if (bpe->tok_len[id] == BPE_NONE || bpe_is_special(bpe, (int32_t)id)) continue;
            if (canonical_split(bpe, id, &l, &r) && fn(l, r, ctx) != 0) return -1;
        }
        return 0;
    }
    BpePair *sorted = xmalloc(bpe->n_pairs ? bpe->n_pairs : 1, sizeof *sorted);
    if (!sorted) return -1;
    size_t n = 0;
    for (size_t i = 0; i < bpe->n_pair_slots; i++)
        if (bpe->pairs[i].key != UINT64_MAX) sorted[n++] = bpe->pairs[i];
    qsort(sorted, n, sizeof *sorted, by_rank);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn((uint32_t)(sorted[i].key >> 32), (uint32_t)sorted[i].key, ctx);
    free(sorted);
    return rc;
}

/* The GPT-2-alphabet text of id into a malloc'd string. */
static char *gpt2_text(const Bpe *bpe, uint32_t id)
{
    size_t len;
    const char *bytes = bpe_token_bytes(bpe, (int32_t)id, &len);
    char *out = bytes ? xmalloc(len * 3 + 1, 1) : NULL;
    if (out) bpe_bytes_to_gpt2(bytes, len, out);
    return out;
}

static int add_merge_json(uint32_t left, uint32_t right, void *ctx)
{
    const Bpe *bpe = ((void **)ctx)[0];
    cJSON *merges = ((void **)ctx)[1];
    char *l = gpt2_text(bpe, left), *r = gpt2_text(bpe, right);
    char *both = l && r ? xmalloc(strlen(l) + strlen(r) + 2, 1) : NULL;
    int rc = -1;
    if (both) {
        sprintf(both, "%s %s", l, r);
        cJSON *s = cJSON_CreateString(both);
        rc = s && cJSON_AddItemToArray(merges, s) ? 0 : fail("out of memory");
    }
    free(l), free(r), free(both);
    return rc;
}

static cJSON *pre_tokenizer_json(const Bpe *bpe)
{
    cJSON *pre = cJSON_CreateObject(), *steps = cJSON_CreateArray();
    cJSON_AddStringToObject(pre, "type", "Sequence");
    cJSON_AddItemToObject(pre, "pretokenizers", steps);
    if (bpe->pattern && *bpe->pattern) {
        cJSON *split = cJSON_CreateObject(), *pat = cJSON_CreateObject();
        cJSON_AddStringToObject(split, "type", "Split");
        cJSON_AddStringToObject(pat, "Regex", bpe->pattern);
        cJSON_AddItemToObject(split, "pattern", pat);
        cJSON_AddStringToObject(split, "behavior", "Isolated");
        cJSON_AddFalseToObject(split, "invert");
        cJSON_AddItemToArray(steps, split);
    }
    cJSON *bl = cJSON_CreateObject();
    cJSON_AddStringToObject(bl, "type", "ByteLevel");
    cJSON_AddFalseToObject(bl, "add_prefix_space");
    cJSON_AddTrueToObject(bl, "trim_offsets");
    cJSON_AddFalseToObject(bl, "use_regex");
    cJSON_AddItemToArray(steps, bl);
    return pre;
}

int bpe_save_hf_json(const Bpe *bpe, const char *path)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    for (int i = 0; i < bpe->n_specials; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", bpe->specials[i].id);
        cJSON_AddStringToObject(t, "content", bpe->specials[i].text);
        cJSON_AddFalseToObject(t, "single_word");
        cJSON_AddFalseToObject(t, "lstrip");
        cJSON_AddFalseToObject(t, "rstrip");
        cJSON_AddFalseToObject(t, "normalized");
        cJSON_AddTrueToObject(t, "special");
        cJSON_AddItemToArray(added, t);
    }
    cJSON_AddNullToObject(root, "normalizer");
    cJSON_AddItemToObject(root, "pre_tokenizer", pre_tokenizer_json(bpe));
    cJSON_AddNullToObject(root, "post_processor");
    cJSON *dec = cJSON_AddObjectToObject(root, "decoder");
    cJSON_AddStringToObject(dec, "type", "ByteLevel");
    cJSON_AddTrueToObject(dec, "add_prefix_space");
    cJSON_AddTrueToObject(dec, "trim_offsets");
    cJSON_AddTrueToObject(dec, "use_regex");
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddNullToObject(model, "dropout");
    cJSON_AddNullToObject(model, "unk_token");
    cJSON_AddNullToObject(model, "continuing_subword_prefix");
    cJSON_AddNullToObject(model, "end_of_word_suffix");
    cJSON_AddFalseToObject(model, "fuse_unk");
    cJSON_AddFalseToObject(model, "byte_fallback");
    cJSON_AddBoolToObject(model, "ignore_merges", bpe->whole_lookup);
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
    int rc = 0;
    for (uint32_t id = 0; id < bpe->n_ids && rc == 0; id++) {
        if (bpe->tok_len[id] == BPE_NONE || bpe_is_special(bpe, (int32_t)id)) continue;
        char *text = gpt2_text(bpe, id);
        if (!text) rc = -1;
        else cJSON_AddNumberToObject(vocab, text, id);
        free(text);
    }
    cJSON *merges = cJSON_AddArrayToObject(model, "merges");
    void *ctx[2] = { (void *)bpe, merges };
    if (rc == 0) rc = bpe_each_merge(bpe, add_merge_json, ctx);
    char *text = rc == 0 ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (rc == 0 && !text) rc = fail("out of memory writing %s", path);
    if (rc != 0) {
        free(text);
        return -1;
    }
    AtomicFile w;
    if (atomic_open(&w, path) != 0) {
        free(text);
        return -1;
    }
    fputs(text, w.fp);
    fputc('\n', w.fp);
    free(text);
    return atomic_commit(&w);
}
