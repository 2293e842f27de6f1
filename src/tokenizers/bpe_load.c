/*
 * bpe_load.c — reading byte-level BPE tokenizers from the files people have.
 *
 *   NAME.tiktoken      "base64-token rank" per line (OpenAI's rank files);
 *                      pattern and specials come from the encoding's name
 *   NAME.json (npm)    tiktoken's encoder files: {"pat_str", "special_tokens",
 *                      "bpe_ranks": "! 0 tokB64 tokB64 ..."} where each
 *                      "\n"-separated line is "! first-rank" and then tokens
 *                      of consecutive ranks
 *   vocab.json +       GPT-2: {"token": id} in GPT-2's byte alphabet, and
 *   merges.txt         "left right" merge rules, best first
 *   tokenizer.json     Hugging Face: model {type BPE, vocab, merges,
 *                      ignore_merges}, added_tokens, a ByteLevel / Split
 *                      pre-tokenizer giving the pattern
 *
 * Every error names the file and the place (line, entry, merge number). The
 * tokenizer.json writer is bpe_save.c.
 */
#define _GNU_SOURCE   /* memmem */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "tokenizers/bpe_internal.h"

#ifndef RG_DATA_DIR
#define RG_DATA_DIR "/usr/local/share/rustgpt"
#endif

/* fail() with a prefix before the message already recorded (which lives in
 * the buffer fail() writes, so it is copied first). Returns -1. */
static int fail_within(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail_within(const char *fmt, ...)
{
    char cause[512], where[512];
    snprintf(cause, sizeof cause, "%s", last_error());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
    return fail("%s: %s", where, cause);
}

/* ---- the encodings tiktoken defines by name ---------------------------------- */

typedef struct {
    const char *name, *pattern;
    const char *special_text[5];
    uint32_t special_id[5];
} KnownEncoding;

static const KnownEncoding known[] = {
    { "gpt2", BPE_PATTERN_GPT2, { "<|endoftext|>" }, { 50256 } },
    { "r50k_base", BPE_PATTERN_GPT2, { "<|endoftext|>" }, { 50256 } },
    { "p50k_base", BPE_PATTERN_GPT2, { "<|endoftext|>" }, { 50256 } },
    { "cl100k_base", BPE_PATTERN_CL100K,
      { "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>" },
      { 100257, 100258, 100259, 100260, 100276 } },
    { "o200k_base", BPE_PATTERN_O200K, { "<|endoftext|>", "<|endofprompt|>" }, { 199999, 200018 } },
};

static const KnownEncoding *known_by_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t n = strlen(known[i].name);
        if (strncmp(base, known[i].name, n) == 0 && (base[n] == '.' || base[n] == 0)) return &known[i];
    }
    return NULL;
}

/* ---- base64 (RFC 4648, padding optional) --------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode src[0..n) into out (n bytes suffice); returns the length or -1. */
static long b64_decode(const char *src, size_t n, unsigned char *out)
{
    while (n > 0 && src[n - 1] == '=') n--;
    if (n % 4 == 1) return -1;
    long o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)src[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* ---- tiktoken rank files ----------------------------------------------------------- */

/* Parse "tok rank\n" lines of text into a new Bpe; first the largest rank. */
static Bpe *parse_rank_lines(const char *text, size_t len, const char *path)
{
    uint32_t max_rank = 0;
    size_t n_lines = 0;
    for (size_t i = 0; i < len;) {
        const char *line = text + i, *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        i += ll + 1;
        n_lines++;
        if (ll == 0) continue;
        const char *sp = memchr(line, ' ', ll);
        char *end;
        unsigned long r = sp ? strtoul(sp + 1, &end, 10) : 0;
        if (!sp || sp + 1 == line + ll || end != line + ll || r >= BPE_MAX_IDS)
            return fail("%s: line %zu: expected \"<base64 token> <rank>\"", path, n_lines), NULL;
        if (r > max_rank) max_rank = (uint32_t)r;
    }
    Bpe *bpe = bpe_new(max_rank + 1);
    if (!bpe) return NULL;
    unsigned char buf[4096];
    n_lines = 0;
    for (size_t i = 0; i < len;) {
        const char *line = text + i, *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        i += ll + 1;
        n_lines++;
        if (ll == 0) continue;
        const char *sp = memchr(line, ' ', ll);
        size_t tl = (size_t)(sp - line);
        long n = tl <= sizeof buf ? b64_decode(line, tl, buf) : -1;
        if (n <= 0) {
            fail("%s: line %zu: bad base64 token \"%.*s\"", path, n_lines, (int)(tl < 40 ? tl : 40), line);
            bpe_free(bpe);
            return NULL;
        }
        if (bpe_set_token(bpe, (uint32_t)strtoul(sp + 1, NULL, 10), buf, (size_t)n) != 0) {
            fail_within("%s: line %zu", path, n_lines);
            bpe_free(bpe);
            return NULL;
        }
    }
    return bpe;
}

/* Grow bpe's id space to hold the specials and finish it as tiktoken does. */
static Bpe *finish_tiktoken(Bpe *bpe, const char *pattern, const char *const *special_text,
                            const uint32_t *special_id, size_t n_special, const char *path)
{
    if (bpe_derive_merges_from_ranks(bpe) != 0) goto bad;
    for (size_t i = 0; i < n_special; i++)
        if (bpe_add_special(bpe, special_text[i], strlen(special_text[i]), special_id[i]) != 0) goto bad;
    if (bpe_set_pattern(bpe, pattern) != 0 || bpe_finish(bpe, path) != 0) goto bad;
    if (n_special) bpe_set_bos_eos(bpe, -1, (int32_t)special_id[0]);
    return bpe;
bad:
    fail_within("%s", path);
    bpe_free(bpe);
    return NULL;
}

/* The id space must include the specials: rebuild with more slots. */
static Bpe *with_room(Bpe *bpe, uint32_t n_ids)
{
    if (n_ids <= bpe->n_ids) return bpe;
    Bpe *big = bpe_new(n_ids);
    if (!big) goto out;
    for (uint32_t id = 0; id < bpe->n_ids; id++) {
        size_t len;
        const char *bytes = bpe_token_bytes(bpe, (int32_t)id, &len);
        if (bytes && bpe_set_token(big, id, bytes, len) != 0) {
            bpe_free(big);
            big = NULL;
            break;
        }
    }
out:
    bpe_free(bpe);
    return big;
}

Bpe *bpe_from_tiktoken_text(const char *text, size_t len, const char *path, const char *pattern)
{
    Bpe *bpe = parse_rank_lines(text, len, path);
    if (!bpe) return NULL;
    const KnownEncoding *k = known_by_path(path);
    const char *const *st = NULL;
    const uint32_t *si = NULL;
    size_t ns = 0, max_id = bpe->n_ids;
    if (k) {
        st = k->special_text, si = k->special_id;
        while (ns < 5 && st[ns]) {
            if (si[ns] + 1 > max_id) max_id = si[ns] + 1;
            ns++;
        }
        if (!pattern) pattern = k->pattern;
    }
    if (!(bpe = with_room(bpe, (uint32_t)max_id))) return NULL;
    return finish_tiktoken(bpe, pattern ? pattern : BPE_PATTERN_CL100K, st, si, ns, path);
}

Bpe *bpe_load_tiktoken(const char *path, const char *pattern)
{
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return NULL;
    Bpe *bpe = bpe_from_tiktoken_text(text, len, path, pattern);
    free(text);
    return bpe;
}

/* ---- tiktoken's npm encoder files ------------------------------------------------------ */

static Bpe *parse_npm(const cJSON *root, const char *path)
{
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(root, "pat_str");
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(root, "bpe_ranks");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(root, "special_tokens");
    const cJSON *n_vocab = cJSON_GetObjectItemCaseSensitive(root, "explicit_n_vocab");
    if (!cJSON_IsString(pat) || !cJSON_IsString(ranks))
        return fail("%s: a tiktoken encoder file needs the strings \"pat_str\" and \"bpe_ranks\"", path), NULL;
    if (specials && !cJSON_IsObject(specials))
        return fail("%s: \"special_tokens\" must be an object", path), NULL;
    /* Pass 1: the id space. Lines are "! <first rank> tok tok ...". */
    const char *s = ranks->valuestring;
    size_t len = strlen(s);
    uint32_t max_id = 0;
    size_t line_no = 0;
    for (size_t i = 0; i < len;) {
        const char *line = s + i, *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        i += ll + 1;
        line_no++;
        if (ll == 0) continue;
        char *end;
        if (ll < 3 || line[1] != ' ') goto bad_line;
        unsigned long first = strtoul(line + 2, &end, 10);
        if (end == line + 2 || first >= BPE_MAX_IDS) goto bad_line;
        size_t n_tok = 0;
        for (const char *p = end; p < line + ll; p++) n_tok += *p == ' ';
        if (first + n_tok > BPE_MAX_IDS) goto bad_line;
        if (first + n_tok > max_id) max_id = (uint32_t)(first + n_tok);
        continue;
    bad_line:
        return fail("%s: bpe_ranks line %zu: expected \"! <first rank> <base64> ...\"", path, line_no), NULL;
    }
    const cJSON *sp;
    cJSON_ArrayForEach(sp, specials) {
        if (!cJSON_IsNumber(sp) || sp->valuedouble < 0 || sp->valuedouble >= BPE_MAX_IDS)
            return fail("%s: special token \"%s\": id must be a number", path, sp->string), NULL;
        if ((uint32_t)sp->valueint + 1 > max_id) max_id = (uint32_t)sp->valueint + 1;
    }
    if (cJSON_IsNumber(n_vocab) && n_vocab->valuedouble > max_id && n_vocab->valuedouble < BPE_MAX_IDS)
        max_id = (uint32_t)n_vocab->valueint;
    Bpe *bpe = bpe_new(max_id);
    if (!bpe) return NULL;
    /* Pass 2: the tokens. */
    unsigned char buf[4096];
    line_no = 0;
    for (size_t i = 0; i < len;) {
        const char *line = s + i, *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        const char *stop = line + ll;
        i += ll + 1;
        line_no++;
        if (ll == 0) continue;
        char *p;
        uint32_t rank = (uint32_t)strtoul(line + 2, &p, 10);
        size_t token_no = 0;
        while (p < stop) {
            p++;   /* the space */
            const char *tok = p;
            while (p < stop && *p != ' ') p++;
            token_no++;
            size_t tl = (size_t)(p - tok);
            long n = tl <= sizeof buf ? b64_decode(tok, tl, buf) : -1;
            if (n <= 0) {
                fail("%s: bpe_ranks line %zu, token %zu (rank %u): bad base64 \"%.*s\"", path, line_no,
                     token_no, rank, (int)(tl < 40 ? tl : 40), tok);
                goto bad;
            }
            if (bpe_set_token(bpe, rank, buf, (size_t)n) != 0) {
                fail_within("%s: bpe_ranks line %zu, token %zu", path, line_no, token_no);
                goto bad;
            }
            rank++;
        }
    }
    if (bpe_derive_merges_from_ranks(bpe) != 0) goto bad_msg;
    int32_t eot = -1;
    cJSON_ArrayForEach(sp, specials) {
        if (bpe_add_special(bpe, sp->string, strlen(sp->string), (uint32_t)sp->valueint) != 0) goto bad_msg;
        if (strcmp(sp->string, "<|endoftext|>") == 0) eot = sp->valueint;
    }
    if (bpe_set_pattern(bpe, pat->valuestring) != 0 || bpe_finish(bpe, path) != 0) goto bad_msg;
    bpe_set_bos_eos(bpe, -1, eot);
    return bpe;
bad_msg:
    fail_within("%s", path);
bad:
    bpe_free(bpe);
    return NULL;
}

Bpe *bpe_from_npm_text(const char *text, size_t len, const char *path)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return fail("%s: not valid JSON", path), NULL;
    Bpe *bpe = parse_npm(root, path);
    cJSON_Delete(root);
    return bpe;
}

Bpe *bpe_load_npm_json(const char *path)
{
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return NULL;
    Bpe *bpe = bpe_from_npm_text(text, len, path);
    free(text);
    return bpe;
}

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

Bpe *bpe_load_vocab_merges(const char *vocab_path, const char *merges_path)
{
    size_t len, mlen;
    char *text = read_whole_file(vocab_path, &len);
    if (!text) return NULL;
    cJSON *vocab = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(vocab)) {
        cJSON_Delete(vocab);
        return fail("%s: expected a JSON object {\"token\": id}", vocab_path), NULL;
    }
    Bpe *bpe = bpe_new(vocab_max_id(vocab));
    char *merges = NULL;
    if (!bpe || set_vocab(bpe, vocab, vocab_path) != 0) goto bad;
    if (!(merges = read_whole_file(merges_path, &mlen))) goto bad;
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
    free(merges);
    return bpe;
bad:
    cJSON_Delete(vocab);
    free(merges);
    bpe_free(bpe);
    return NULL;
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

/* ---- by name or path ---------------------------------------------------------------------- */

static int readable(const char *path) { return access(path, R_OK) == 0; }

char *bpe_data_path(const char *name)
{
    const char *env = getenv("RUSTGPT_DATA");
    const char *dirs[4][2] = { { env, "/tokenizers/" }, { env, "/" }, { RG_DATA_DIR, "/tokenizers/" },
                               { "data", "/tokenizers/" } };
    const char *ext[] = { ".json", ".tiktoken" };
    char path[4096];
    for (int d = 0; d < 4; d++) {
        if (!dirs[d][0]) continue;
        for (int e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s%s%s%s", dirs[d][0], dirs[d][1], name, ext[e]);
            if (readable(path)) return xstrdup(path);
        }
    }
    fail("tokenizer \"%s\" not found: looked for %s.json and %s.tiktoken in $RUSTGPT_DATA/tokenizers (%s), "
         "%s/tokenizers and ./data/tokenizers (make tokenizer-data copies them from tiktoken's npm package)",
         name, name, name, env ? env : "unset", RG_DATA_DIR);
    return NULL;
}

Bpe *bpe_load(const char *name_or_path)
{
    if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.')) {
        char *path = bpe_data_path(name_or_path);
        if (!path) return NULL;
        Bpe *bpe = bpe_load(path);
        free(path);
        return bpe;
    }
    size_t n = strlen(name_or_path);
    if (n > 9 && strcmp(name_or_path + n - 9, ".tiktoken") == 0) return bpe_load_tiktoken(name_or_path, NULL);
    if (n >= 10 && strcmp(name_or_path + n - 10, "vocab.json") == 0) {
        char merges[4096];
        snprintf(merges, sizeof merges, "%.*smerges.txt", (int)(n - 10), name_or_path);
        if (readable(merges)) return bpe_load_vocab_merges(name_or_path, merges);
    }
    /* A JSON file: tiktoken's encoder form has "bpe_ranks", HF's has "model". */
    size_t len;
    char *text = read_whole_file(name_or_path, &len);
    if (!text) return NULL;
    Bpe *bpe;
    if (len > 0 && memmem(text, len < 4096 ? len : 4096, "\"bpe_ranks\"", 11) == NULL &&
        memmem(text, len, "\"model\"", 7) != NULL) {
        bpe = bpe_from_hf_text(text, len, name_or_path);
    } else {
        cJSON *root = cJSON_ParseWithLength(text, len);
        if (!root) {
            bpe = NULL;
            fail("%s: not valid JSON (a tokenizer.json, a tiktoken encoder .json, or a .tiktoken rank file "
                 "was expected)", name_or_path);
        } else {
            bpe = parse_npm(root, name_or_path);
            cJSON_Delete(root);
        }
    }
    free(text);
    return bpe;
}
