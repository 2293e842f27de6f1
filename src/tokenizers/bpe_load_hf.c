/*
 * bpe_load_hf.c — reading GPT-2's and Hugging Face's byte-level BPE files:
 *
 *   vocab.json +       GPT-2: {"token": id} in GPT-2's byte alphabet, and
 *   merges.txt         "left right" merge rules, best first
 *   tokenizer.json     Hugging Face: model {type BPE, vocab, merges,
 *                      ignore_merges}, added_tokens, a ByteLevel / Split
 *                      pre-tokenizer giving the pattern
 *
 * A merge's rank is its position in the list. Every error names the file and
 * the entry or merge number.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tokenizers/bpe_internal.h"

/* ---- GPT-2 / Hugging Face vocabularies ---------------------------------------------------- */

/* Set every {"token": id} of vocab (in GPT-2's alphabet). Tokens that are
 * not in the alphabet ("<|endoftext|>" is, "<s>" is too) are an error. */
static int set_vocab(Bpe *bpe, const cJSON *vocab, const char *path)
{
    const cJSON *v;
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    cJSON_ArrayForEach(v, vocab) {
        size_t sl = strlen(v->string);
        if (sl > cap && !(buf = realloc(buf, cap = sl + 64))) return fail("out of memory");
        long n = bpe_gpt2_to_bytes(v->string, sl, buf);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= bpe->n_ids) {
            rc = fail("%s: vocab entry \"%.40s\": id must be a number below %u", path, v->string, bpe->n_ids);
            break;
        }
        if (n <= 0) {
            rc = fail("%s: vocab entry \"%.40s\" (id %d) is not in GPT-2's byte alphabet", path, v->string,
                      v->valueint);
            break;
        }
        if (bpe_set_token(bpe, (uint32_t)v->valueint, buf, (size_t)n) != 0) {
            rc = fail_within("%s: vocab entry \"%.40s\"", path, v->string);
            break;
        }
    }
    free(buf);
    return rc;
}

/* The id of a GPT-2-alphabet string, or -1. */
static int32_t lookup_gpt2(const Bpe *bpe, const char *text, size_t len, unsigned char *buf)
{
    long n = bpe_gpt2_to_bytes(text, len, buf);
    return n > 0 ? bpe_lookup(bpe, buf, (size_t)n) : -1;
}

/* One merge rule "left right" (number no, from 1), rank no-1. */
static int add_merge_text(Bpe *bpe, const char *left, size_t ll, const char *right, size_t rl,
                          size_t no, const char *path)
{
    unsigned char buf[1024];
    char cat[1024];
    if (ll == 0 || rl == 0 || ll + rl >= sizeof cat)
        return fail("%s: merge %zu: expected two tokens \"left right\"", path, no);
    int32_t a = lookup_gpt2(bpe, left, ll, buf), b = lookup_gpt2(bpe, right, rl, buf);
    memcpy(cat, left, ll);
    memcpy(cat + ll, right, rl);
    int32_t m = lookup_gpt2(bpe, cat, ll + rl, buf);
    if (a < 0 || b < 0 || m < 0)
        return fail("%s: merge %zu \"%.*s %.*s\": %s is not in the vocabulary", path, no, (int)ll, left,
                    (int)rl, right, a < 0 ? "the left token" : b < 0 ? "the right token" : "the merged token");
    return bpe_add_merge(bpe, (uint32_t)a, (uint32_t)b, (uint32_t)(no - 1), (uint32_t)m);
}

static uint32_t vocab_max_id(const cJSON *vocab)
{
    uint32_t n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, vocab)
        if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < BPE_MAX_IDS && (uint32_t)v->valueint + 1 > n)
            n = (uint32_t)v->valueint + 1;
    return n;
}

Bpe *bpe_from_vocab_merges_text(const char *vocab_text, size_t len, const char *merges, size_t mlen,
                                 const char *vocab_path, const char *merges_path)
{
    cJSON *vocab = cJSON_ParseWithLength(vocab_text, len);
    if (!cJSON_IsObject(vocab)) {
        cJSON_Delete(vocab);
        return fail("%s: expected a JSON object {\"token\": id}", vocab_path), NULL;
    }
    Bpe *bpe = bpe_new(vocab_max_id(vocab));
    if (!bpe || set_vocab(bpe, vocab, vocab_path) != 0) goto bad;
    size_t no = 0;
    for (size_t i = 0, line_no = 1; i < mlen; line_no++) {
        const char *line = merges + i, *nl = memchr(line, '\n', mlen - i);
        size_t ll = nl ? (size_t)(nl - line) : mlen - i;
        i += ll + 1;
        if (ll && line[ll - 1] == '\r') ll--;
        if (ll == 0 || (line_no == 1 && line[0] == '#')) continue;
        const char *sp = memchr(line, ' ', ll);
        if (!sp) {
            fail("%s: line %zu: expected \"left right\"", merges_path, line_no);
            goto bad;
        }
        if (add_merge_text(bpe, line, (size_t)(sp - line), sp + 1, ll - (size_t)(sp - line) - 1, ++no,
                           merges_path) != 0)
            goto bad;
    }
    int32_t eot = bpe_lookup(bpe, "<|endoftext|>", 13);
    if (eot >= 0) {
        bpe->whole_lookup = 0;
        bpe_set_bos_eos(bpe, -1, eot);
        /* GPT-2 lists it in the vocabulary; it is its special token. */
        BpeSpecial *sp = realloc(bpe->specials, sizeof *sp);
        if (!sp) goto bad;
        bpe->specials = sp;
        sp[0] = (BpeSpecial){ xstrdup("<|endoftext|>"), 13, (uint32_t)eot };
        if (!sp[0].text) goto bad;
        bpe->n_specials = 1;
        bpe->special_first['<'] = 1;
    }
    if (bpe_set_pattern(bpe, BPE_PATTERN_GPT2) != 0 || bpe_finish(bpe, vocab_path) != 0) goto bad;
    cJSON_Delete(vocab);
    return bpe;
bad:
    cJSON_Delete(vocab);
    bpe_free(bpe);
    return NULL;
}

Bpe *bpe_load_vocab_merges(const char *vocab_path, const char *merges_path)
{
    size_t len, mlen;
    char *vocab = read_whole_file(vocab_path, &len), *merges = vocab ? read_whole_file(merges_path, &mlen) : NULL;
    Bpe *bpe = merges ? bpe_from_vocab_merges_text(vocab, len, merges, mlen, vocab_path, merges_path) : NULL;
    free(vocab);
    free(merges);
    return bpe;
}

/* The pattern of a tokenizer.json pre_tokenizer: a Split with a Regex, or a
 * ByteLevel with use_regex (GPT-2's), possibly inside a Sequence. NULL when
 * there is none; *byte_level set when a ByteLevel step is present. */
static const char *hf_pattern(const cJSON *pre, int *byte_level)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(pre, "type");
    if (!cJSON_IsString(type)) return NULL;
    if (strcmp(type->valuestring, "Sequence") == 0) {
        const char *found = NULL, *p;
        const cJSON *step;
        cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(pre, "pretokenizers"))
            if ((p = hf_pattern(step, byte_level)) && !found) found = p;
        return found;
    }
    if (strcmp(type->valuestring, "ByteLevel") == 0) {
        *byte_level = 1;
        const cJSON *use = cJSON_GetObjectItemCaseSensitive(pre, "use_regex");
        return !use || cJSON_IsTrue(use) ? BPE_PATTERN_GPT2 : NULL;
    }
    if (strcmp(type->valuestring, "Split") == 0) {
        const cJSON *re = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pre, "pattern"), "Regex");
        return cJSON_IsString(re) ? re->valuestring : NULL;
    }
    return NULL;
}

Bpe *bpe_from_hf_text(const char *text, size_t len, const char *path)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return fail("%s: not valid JSON", path), NULL;
    Bpe *bpe = NULL;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!cJSON_IsObject(model) || (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE") != 0))) {
        fail("%s: \"model\" is not a BPE model", path);
        goto out;
    }
    if (!cJSON_IsObject(vocab)) {
        fail("%s: model.vocab is missing (an object {\"token\": id} is needed)", path);
        goto out;
    }
    if (!cJSON_IsArray(merges)) {
        fail("%s: model.merges is missing (a list of \"left right\" rules is needed)", path);
        goto out;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "byte_fallback"))) {
        fail("%s: a BPE with byte_fallback (SentencePiece style) is not byte-level", path);
        goto out;
    }
    int byte_level = 0;
    const char *pattern = hf_pattern(cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), &byte_level);
    uint32_t n_ids = vocab_max_id(vocab);
    const cJSON *a;
    cJSON_ArrayForEach(a, added) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
        if (cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < BPE_MAX_IDS && (uint32_t)id->valueint + 1 > n_ids)
            n_ids = (uint32_t)id->valueint + 1;
    }
    if (!(bpe = bpe_new(n_ids))) goto out;
    /* Added tokens first: their vocab entries (often "<|endoftext|>") are
     * their text, not GPT-2 alphabet. */
    int i = 0;
    cJSON_ArrayForEach(a, added) {
        i++;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
        if (!cJSON_IsNumber(id) || id->valuedouble < 0 || !cJSON_IsString(content)) {
            fail("%s: added_tokens entry %d needs \"id\" and \"content\"", path, i);
            goto bad;
        }
        if (bpe_add_special(bpe, content->valuestring, strlen(content->valuestring), (uint32_t)id->valueint) != 0) {
            fail_within("%s: added_tokens entry %d", path, i);
            goto bad;
        }
    }
    const cJSON *v;
    unsigned char buf[1024];
    cJSON_ArrayForEach(v, vocab) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
            fail("%s: vocab entry \"%.40s\": id must be a number", path, v->string);
            goto bad;
        }
        if (bpe_is_special(bpe, v->valueint)) continue;
        size_t sl = strlen(v->string);
        long n = sl <= sizeof buf ? bpe_gpt2_to_bytes(v->string, sl, buf) : -1;
        if (n <= 0) {
            fail("%s: vocab entry \"%.40s\" (id %d) is not in GPT-2's byte alphabet%s", path, v->string,
                 v->valueint, byte_level ? "" : " (is this a byte-level BPE?)");
            goto bad;
        }
        if (bpe_set_token(bpe, (uint32_t)v->valueint, buf, (size_t)n) != 0) {
            fail_within("%s: vocab entry \"%.40s\"", path, v->string);
            goto bad;
        }
    }
    size_t no = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        no++;
        int rc;
        if (cJSON_IsString(m)) {
            const char *s = m->valuestring, *sp = strchr(s, ' ');
            rc = sp ? add_merge_text(bpe, s, (size_t)(sp - s), sp + 1, strlen(sp + 1), no, path)
                    : fail("%s: merge %zu: expected \"left right\"", path, no);
        } else if (cJSON_GetArraySize(m) == 2 && cJSON_IsString(cJSON_GetArrayItem(m, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
            const char *l = cJSON_GetArrayItem(m, 0)->valuestring, *r = cJSON_GetArrayItem(m, 1)->valuestring;
            rc = add_merge_text(bpe, l, strlen(l), r, strlen(r), no, path);
        } else {
            rc = fail("%s: merge %zu: expected \"left right\" or [\"left\", \"right\"]", path, no);
        }
        if (rc != 0) goto bad;
    }
    bpe->whole_lookup = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "ignore_merges"));
    if (bpe_set_pattern(bpe, pattern ? pattern : "") != 0 || bpe_finish(bpe, path) != 0) {
        fail_within("%s", path);
        goto bad;
    }
    int32_t eot = bpe->n_specials ? (int32_t)bpe->specials[0].id : -1;
    for (int k = 0; k < bpe->n_specials; k++)
        if (strcmp(bpe->specials[k].text, "<|endoftext|>") == 0) eot = (int32_t)bpe->specials[k].id;
    bpe_set_bos_eos(bpe, -1, eot);
    goto out;
bad:
    bpe_free(bpe);
    bpe = NULL;
out:
    cJSON_Delete(root);
    return bpe;
}

Bpe *bpe_load_hf_json(const char *path)
{
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return NULL;
    Bpe *bpe = bpe_from_hf_text(text, len, path);
    free(text);
    return bpe;
}

