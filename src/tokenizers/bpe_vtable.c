/*
 * bpe_vtable.c — the byte-level BPE (bpe.h) behind the tokenizer interface of
 * rustgpt/plugin.h, registered as "bpe".
 *
 * It loads every file form bpe_load.c reads and the built-in names
 * (cl100k_base, ...), saves as tokenizer.json, learns from text
 * (bpe_train.c, options "vocab=N,special=<|x|>;<|y|>"), and lives in a
 * model's metadata as GGUF keeps a GPT-2 style tokenizer:
 *
 *   tokenizer.ggml.model        "gpt2"
 *   tokenizer.ggml.pre          "gpt-2", "llama-bpe" (cl100k's split), "gpt-4o"
 *                               (o200k's) or "default"
 *   tokenizer.ggml.tokens       every id's bytes in GPT-2's byte alphabet;
 *                               specials as their text
 *   tokenizer.ggml.token_type   1 normal, 3 control (special), 5 unused (a hole)
 *   tokenizer.ggml.merges       "left right", best first
 *   tokenizer.ggml.bos_token_id / eos_token_id
 *   tokenizer.rustgpt.pattern   the exact split pattern, when not one of the above
 *   tokenizer.rustgpt.ignore_merges  tiktoken's whole-piece lookup (bool)
 */
#define _GNU_SOURCE   /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rustgpt/plugin.h"
#include "tokenizers/bpe_internal.h"

static const char *const builtin_names[] = { "cl100k_base", "o200k_base", "r50k_base", "p50k_base", "gpt2" };

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int bpe_probe(const char *path, const unsigned char *head, size_t n)
{
    if (!head) {   /* a name */
        for (size_t i = 0; i < sizeof builtin_names / sizeof *builtin_names; i++)
            if (strcmp(path, builtin_names[i]) == 0) return 1;
        return 0;
    }
    if (ends_with(path, ".tiktoken")) return 1;
    if (n == 0 || head[0] != '{') return 0;
    if (memmem(head, n, "\"pat_str\"", 9) || memmem(head, n, "\"bpe_ranks\"", 11)) return 1;
    if (ends_with(path, "vocab.json")) return 1;
    /* A tokenizer.json: claim it only when its model is a byte-level BPE. */
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return 0;
    int ours = (memmem(text, len, "\"BPE\"", 5) != NULL) && memmem(text, len, "\"ByteLevel\"", 11) != NULL;
    free(text);
    return ours;
}

static rg_status status_of_failure(void)
{
    const char *m = last_error();
    if (strstr(m, "not found")) return RG_ERR_NOT_FOUND;
    if (strstr(m, "cannot open") || strstr(m, "cannot read")) return RG_ERR_IO;
    if (strstr(m, "out of memory")) return RG_ERR_NOMEM;
    return RG_ERR_FORMAT;
}

static rg_status bpe_vt_load(const char *path, void **state)
{
    Bpe *bpe = bpe_load(path);
    if (!bpe) return status_of_failure();
    *state = bpe;
    return RG_OK;
}

/* ---- GGUF metadata ----------------------------------------------------------------- */

static const struct { const char *pre; const char *pattern; } pre_names[] = {
    { "gpt-2", BPE_PATTERN_GPT2 }, { "llama-bpe", BPE_PATTERN_CL100K }, { "llama3", BPE_PATTERN_CL100K },
    { "gpt-4o", BPE_PATTERN_O200K }, { "default", BPE_PATTERN_GPT2 },
};

static rg_status bpe_from_source(const rg_source *src, void **state)
{
    const char *model, *pre = NULL, *pattern = NULL;
    if (rg_source_string(src, "tokenizer.ggml.model", &model, NULL) != RG_OK || strcmp(model, "gpt2") != 0)
        return fail_status(RG_ERR_FORMAT, "tokenizer.ggml.model is not \"gpt2\" (a byte-level BPE)");
    rg_value_type type;
    uint64_t n, n_merges = 0, n_types = 0;
    if (rg_source_array(src, "tokenizer.ggml.tokens", &type, &n) != RG_OK || type != RG_VALUE_STRING ||
        n == 0 || n >= BPE_MAX_IDS)
        return fail_status(RG_ERR_FORMAT, "tokenizer.ggml.tokens is missing or not a list of strings");
    if (rg_source_array(src, "tokenizer.ggml.merges", &type, &n_merges) != RG_OK || type != RG_VALUE_STRING)
        return fail_status(RG_ERR_FORMAT, "tokenizer.ggml.merges is missing or not a list of strings");
    if (rg_source_array(src, "tokenizer.ggml.token_type", &type, &n_types) != RG_OK || type != RG_VALUE_INT)
        n_types = 0;
    rg_source_string(src, "tokenizer.rustgpt.pattern", &pattern, NULL);
    if (!pattern && rg_source_string(src, "tokenizer.ggml.pre", &pre, NULL) == RG_OK) {
        for (size_t i = 0; i < sizeof pre_names / sizeof *pre_names; i++)
            if (strcmp(pre, pre_names[i].pre) == 0) pattern = pre_names[i].pattern;
        if (!pattern) return fail_status(RG_ERR_UNSUPPORTED, "tokenizer.ggml.pre \"%s\" is not a known pre-tokenizer", pre);
    }
    Bpe *bpe = bpe_new((uint32_t)n);
    if (!bpe) return RG_ERR_NOMEM;
    unsigned char buf[1024];
    for (uint64_t i = 0; i < n; i++) {
        const char *tok;
        size_t len;
        int64_t ttype = 1;
        rg_source_array_string(src, "tokenizer.ggml.tokens", i, &tok, &len);
        if (i < n_types) rg_source_array_int(src, "tokenizer.ggml.token_type", i, &ttype);
        int rc;
        if (ttype == 5) continue;                                   /* unused: a hole */
        if (ttype == 3 || ttype == 4) rc = bpe_add_special(bpe, tok, len, (uint32_t)i);
        else {
            long nb = len <= sizeof buf ? bpe_gpt2_to_bytes(tok, len, buf) : -1;
            rc = nb > 0 ? bpe_set_token(bpe, (uint32_t)i, buf, (size_t)nb)
                        : fail("not in GPT-2's byte alphabet");
        }
        if (rc != 0) {
            char cause[256];
            snprintf(cause, sizeof cause, "%s", last_error());
            fail_status(RG_ERR_FORMAT, "tokenizer.ggml.tokens[%llu] \"%.40s\": %s", (unsigned long long)i, tok, cause);
            bpe_free(bpe);
            return RG_ERR_FORMAT;
        }
    }
    for (uint64_t i = 0; i < n_merges; i++) {
        const char *m;
        size_t len;
        rg_source_array_string(src, "tokenizer.ggml.merges", i, &m, &len);
        const char *sp = memchr(m, ' ', len);
        unsigned char lb[512], rb[512], cb[1024];
        long ln = sp && (size_t)(sp - m) <= sizeof lb ? bpe_gpt2_to_bytes(m, (size_t)(sp - m), lb) : -1;
        long rn = sp && len - (size_t)(sp - m) - 1 <= sizeof rb ? bpe_gpt2_to_bytes(sp + 1, len - (size_t)(sp - m) - 1, rb) : -1;
        int32_t l = ln > 0 ? bpe_lookup(bpe, lb, (size_t)ln) : -1, r = rn > 0 ? bpe_lookup(bpe, rb, (size_t)rn) : -1;
        int32_t merged = -1;
        if (l >= 0 && r >= 0) {
            memcpy(cb, lb, (size_t)ln);
            memcpy(cb + ln, rb, (size_t)rn);
            merged = bpe_lookup(bpe, cb, (size_t)(ln + rn));
        }
        if (merged < 0 || bpe_add_merge(bpe, (uint32_t)l, (uint32_t)r, (uint32_t)i, (uint32_t)merged) != 0) {
            bpe_free(bpe);
            return fail_status(RG_ERR_FORMAT, "tokenizer.ggml.merges[%llu] \"%.60s\": a token is not in the vocabulary",
                               (unsigned long long)i, m);
        }
    }
    int ignore = 0;
    rg_source_bool(src, "tokenizer.rustgpt.ignore_merges", &ignore);
    bpe_set_whole_lookup(bpe, ignore);
    int64_t bos = -1, eos = -1;
    rg_source_int(src, "tokenizer.ggml.bos_token_id", &bos);
    rg_source_int(src, "tokenizer.ggml.eos_token_id", &eos);
    /* An id out of range or on an unused entry (a hole, type 5) is no BOS/EOS:
     * it has no piece, so adding it would emit a token that decodes to nothing. */
    if (bos < 0 || bos >= (int64_t)n || !bpe_token_bytes(bpe, (int32_t)bos, NULL)) bos = -1;
    if (eos < 0 || eos >= (int64_t)n || !bpe_token_bytes(bpe, (int32_t)eos, NULL)) eos = -1;
    bpe_set_bos_eos(bpe, (int32_t)bos, (int32_t)eos);
    if (bpe_set_pattern(bpe, pattern ? pattern : BPE_PATTERN_GPT2) != 0 || bpe_finish(bpe, "tokenizer.ggml") != 0) {
        bpe_free(bpe);
        return RG_ERR_FORMAT;   /* the message is recorded */
    }
    *state = bpe;
    return RG_OK;
}

typedef struct {
    const Bpe *bpe;
    char **texts;
    size_t n;
} MergeList;

static int collect_merge(uint32_t left, uint32_t right, void *ctx)
{
    MergeList *ml = ctx;
    size_t ll, rl;
    const char *l = bpe_token_bytes(ml->bpe, (int32_t)left, &ll), *r = bpe_token_bytes(ml->bpe, (int32_t)right, &rl);
    char *s = xmalloc(3 * (ll + rl) + 2, 1);
    if (!s) return -1;
    size_t at = bpe_bytes_to_gpt2(l, ll, s);
    s[at++] = ' ';
    bpe_bytes_to_gpt2(r, rl, s + at);
    char **grown = realloc(ml->texts, (ml->n + 1) * sizeof *grown);
    if (!grown) return free(s), fail("out of memory");
    ml->texts = grown;
    ml->texts[ml->n++] = s;
    return 0;
}

static rg_status bpe_to_source(const void *state, rg_source *dst)
{
    const Bpe *bpe = state;
    uint32_t n = bpe->n_ids;
    char **tokens = xcalloc(n, sizeof *tokens);
    int64_t *types = xmalloc(n, sizeof *types);
    MergeList ml = { bpe, NULL, 0 };
    rg_status st = RG_ERR_NOMEM;
    if (!tokens || !types) goto out;
    for (uint32_t id = 0; id < n; id++) {
        size_t len;
        const char *bytes = bpe_token_bytes(bpe, (int32_t)id, &len);
        if (bpe_is_special(bpe, (int32_t)id)) {       /* its bytes, which are not NUL-terminated */
            if ((tokens[id] = xmalloc(len + 1, 1))) memcpy(tokens[id], bytes, len), tokens[id][len] = '\0';
            types[id] = 3;
        } else if (bytes) {
            if ((tokens[id] = xmalloc(3 * len + 1, 1))) bpe_bytes_to_gpt2(bytes, len, tokens[id]);
            types[id] = 1;
        } else {
            char hole[32];
            snprintf(hole, sizeof hole, "[UNUSED%u]", id);
            tokens[id] = xstrdup(hole), types[id] = 5;
        }
        if (!tokens[id]) goto out;
    }
    if (bpe_each_merge(bpe, collect_merge, &ml) != 0) goto out;
    const char *pre = "default";
    for (size_t i = 0; i < sizeof pre_names / sizeof *pre_names; i++)
        if (strcmp(bpe->pattern, pre_names[i].pattern) == 0) { pre = pre_names[i].pre; break; }
    st = rg_source_set_string(dst, "tokenizer.ggml.model", "gpt2", 4);
    if (st == RG_OK) st = rg_source_set_string(dst, "tokenizer.ggml.pre", pre, strlen(pre));
    if (st == RG_OK) st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", (const char *const *)tokens, NULL, n);
    if (st == RG_OK) st = rg_source_set_int_array(dst, "tokenizer.ggml.token_type", types, n);
    if (st == RG_OK) st = rg_source_set_string_array(dst, "tokenizer.ggml.merges", (const char *const *)ml.texts, NULL, ml.n);
    if (st == RG_OK) st = rg_source_set_string(dst, "tokenizer.rustgpt.pattern", bpe->pattern, strlen(bpe->pattern));
    if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.rustgpt.ignore_merges", bpe->whole_lookup);
    if (st == RG_OK && bpe->bos >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.bos_token_id", bpe->bos);
    if (st == RG_OK && bpe->eos >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.eos_token_id", bpe->eos);
out:
    if (tokens) for (uint32_t id = 0; id < n; id++) free(tokens[id]);
    for (size_t i = 0; i < ml.n; i++) free(ml.texts[i]);
    free(ml.texts);
    free(tokens);
    free(types);
    return st;
}

/* ---- the rest of the interface -------------------------------------------------------- */

/* options: "vocab=N" (or just "N", as in `train --tokenizer bpe:4096`) and
 * "special=<|a|>;<|b|>", separated by commas. */
static rg_status bpe_vt_train(const char *const *texts, size_t n, const char *options, void **state)
{
    BpeTrainOptions opt = { .vocab_size = 4096 };
    const char *specials[16];
    char *copy = xstrdup(options ? options : "");
    if (!copy) return RG_ERR_NOMEM;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        if (strncmp(kv, "vocab=", 6) == 0) opt.vocab_size = (uint32_t)strtoul(kv + 6, NULL, 10);
        else if (kv[0] >= '0' && kv[0] <= '9' && kv[strspn(kv, "0123456789")] == '\0')
            opt.vocab_size = (uint32_t)strtoul(kv, NULL, 10);
        else if (strncmp(kv, "special=", 8) == 0) {
            for (char *s2 = NULL, *sp = strtok_r(kv + 8, ";", &s2); sp && opt.n_specials < 16; sp = strtok_r(NULL, ";", &s2))
                specials[opt.n_specials++] = sp;
        } else {
            fail_status(RG_ERR_INVALID, "bpe training option \"%s\" is not N, vocab=N or special=A;B", kv);
            free(copy);                   /* after the message: kv points into it */
            return RG_ERR_INVALID;
        }
    }
    opt.specials = specials;
    /* A training run's examples are many short texts: learn from them as
     * one text, an example per line, as the trainer learns from a file. */
    size_t total = 1;
    for (size_t i = 0; i < n; i++) total += strlen(texts[i]) + 1;
    char *joined = xmalloc(total, 1), *at = joined;
    if (!joined) return free(copy), RG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]);
        memcpy(at, texts[i], len);
        at += len;
        *at++ = '\n';
    }
    size_t joined_len = (size_t)(at - joined);
    const char *one[1] = { joined };
    Bpe *bpe = bpe_train(one, &joined_len, 1, &opt);
    free(joined);
    free(copy);
    if (!bpe) return RG_ERR_INVALID;
    *state = bpe;
    return RG_OK;
}

static rg_status bpe_vt_save(const void *state, const char *path)
{
    return bpe_save_hf_json(state, path) == 0 ? RG_OK : RG_ERR_IO;
}

static void bpe_vt_destroy(void *state) { bpe_free(state); }
static int32_t bpe_vt_n_vocab(const void *state) { return (int32_t)bpe_n_ids(state); }

static int32_t bpe_vt_special(const void *state, rg_special which)
{
    const Bpe *bpe = state;
    if (which == RG_SPECIAL_BOS) return bpe->bos;
    if (which == RG_SPECIAL_EOS) return bpe->eos;
    return -1;
}

static rg_status bpe_vt_encode(const void *state, const char *text, size_t len, int flags,
                               int32_t *ids, size_t cap, size_t *n_out)
{
    const Bpe *bpe = state;
    size_t skip = 0;
    if ((flags & RG_TOKENIZE_ADD_SPECIAL) && bpe->bos >= 0) {
        if (cap > 0) ids[0] = bpe->bos;
        skip = 1;
    }
    size_t n = 0;
    if (bpe_encode(bpe, text, len, (flags & RG_TOKENIZE_PARSE_SPECIAL) ? BPE_PARSE_SPECIAL : 0, ids + (cap ? skip : 0),
                   cap > skip ? cap - skip : 0, &n) != 0)
        return RG_ERR_LIMIT;
    *n_out = n + skip;
    if (*n_out > cap) return fail_status(RG_ERR_TOO_SMALL, "the text has %zu tokens; the buffer holds %zu", *n_out, cap);
    return RG_OK;
}

static rg_status bpe_vt_decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap, size_t *len_out)
{
    if (bpe_decode(state, ids, n, buf, cap, len_out) != 0) return RG_ERR_INVALID;
    if (*len_out > cap) return fail_status(RG_ERR_TOO_SMALL, "the text needs %zu bytes; the buffer holds %zu", *len_out, cap);
    return RG_OK;
}

static const char *bpe_vt_piece(const void *state, int32_t id, size_t *len)
{
    return bpe_token_bytes(state, id, len);
}

const rg_tokenizer_vtable rg_bpe_tokenizer = {
    .abi_version = RG_ABI_VERSION,
    .name = "bpe",
    .version = 1,
    .probe = bpe_probe,
    .load = bpe_vt_load,
    .from_source = bpe_from_source,
    .to_source = bpe_to_source,
    .train = bpe_vt_train,
    .save = bpe_vt_save,
    .destroy = bpe_vt_destroy,
    .n_vocab = bpe_vt_n_vocab,
    .special = bpe_vt_special,
    .encode = bpe_vt_encode,
    .decode = bpe_vt_decode,
    .piece = bpe_vt_piece,
};
