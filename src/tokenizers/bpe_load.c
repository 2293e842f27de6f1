/*
 * bpe_load.c — reading byte-level BPE tokenizers from the files people have.
 *
 *   NAME.tiktoken      "base64-token rank" per line (OpenAI's rank files);
 *                      pattern and specials come from the encoding's name
 *   NAME.json (npm)    tiktoken's encoder files: {"pat_str", "special_tokens",
 *                      "bpe_ranks": "! 0 tokB64 tokB64 ..."} where each
 *                      "\n"-separated line is "! first-rank" and then tokens
 *                      of consecutive ranks
 *   vocab.json +       GPT-2's and Hugging Face's forms: bpe_load_hf.c
 *   merges.txt,
 *   tokenizer.json
 *
 * and finds built-in names in the data directories. Every error names the
 * file and the place (line, entry, merge number). The tokenizer.json writer
 * is bpe_save.c.
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

int fail_within(const char *fmt, ...)
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
