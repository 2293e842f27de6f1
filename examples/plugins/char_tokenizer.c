/*
 * char_tokenizer.c — an example plugin: a character-level tokenizer.
 *
 * Every distinct Unicode character (a whole UTF-8 sequence, never a byte of
 * one) of the training texts is a token, after three specials in the places
 * rustgpt's word tokenizer has them: <pad> 0, <unk> 1, </s> 2 (the literal
 * text "</s>" is that token). Build it with `make examples` and use it:
 *
 *     rustgpt train --plugin build/examples/char_tokenizer.so --tokenizer char DATA ...
 *     rustgpt chat  --plugin build/examples/char_tokenizer.so --model models/model.bin
 *
 * It uses only include/rustgpt/plugin.h: the rg_source_* functions come from
 * the program that loads it. Its state is the sorted list of characters
 * (code points), so encoding is a binary search per character and needs no
 * memory of its own. It also has a file form (save/load): a first line
 * "rustgpt-char-vocab 1", then one code point per line in hexadecimal.
 */
#include <rustgpt/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAD = 0, UNK = 1, EOS = 2, N_SPECIAL = 3 };
static const char *const special_text[N_SPECIAL] = { "<pad>", "<unk>", "</s>" };
static const char magic[] = "rustgpt-char-vocab 1\n";

typedef struct {
    uint32_t *chars;             /* sorted code points; token id = N_SPECIAL + index */
    char (*pieces)[5];           /* their UTF-8, NUL-terminated */
    int32_t n_chars;
} CharVocab;

/* The code point at text[0..len) and its byte length, or 0 for invalid UTF-8. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    if (n == 0 || n > len) return 0;
    uint32_t v = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void char_destroy(void *state)
{
    CharVocab *v = state;
    if (!v) return;
    free(v->chars);
    free(v->pieces);
    free(v);
}

/* A vocabulary of chars[n] (sorted and made unique here). */
static rg_status vocab_make(uint32_t *chars, size_t n, void **state)
{
    qsort(chars, n, sizeof *chars, compare_u32);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || chars[unique - 1] != chars[i]) chars[unique++] = chars[i];
    CharVocab *v = calloc(1, sizeof *v);
    if (!v) { free(chars); return RG_ERR_NOMEM; }
    v->chars = chars;
    v->n_chars = (int32_t)unique;
    v->pieces = calloc(unique ? unique : 1, sizeof *v->pieces);
    if (!v->pieces) { char_destroy(v); return RG_ERR_NOMEM; }
    for (size_t i = 0; i < unique; i++) v->pieces[i][utf8_put(v->pieces[i], chars[i])] = '\0';
    *state = v;
    return RG_OK;
}

static rg_status char_train(const char *const *texts, size_t n, const char *options, void **state)
{
    size_t cap = 256, count = 0;
    uint32_t *chars = malloc(cap * sizeof *chars);
    if (!chars) return RG_ERR_NOMEM;
    for (size_t t = 0; t < n; t++) {
        const unsigned char *s = (const unsigned char *)texts[t];
        size_t len = strlen(texts[t]);
        for (size_t at = 0; at < len;) {
            if (len - at >= 4 && memcmp(s + at, "</s>", 4) == 0) { at += 4; continue; }
            uint32_t cp;
            size_t k = utf8_next(s + at, len - at, &cp);
            if (k == 0) { free(chars); return RG_ERR_FORMAT; }
            at += k;
            if (count == cap) {
                uint32_t *grown = realloc(chars, 2 * cap * sizeof *chars);
                if (!grown) { free(chars); return RG_ERR_NOMEM; }
                chars = grown;
                cap *= 2;
            }
            chars[count++] = cp;
            if (count == cap) {       /* keep memory bounded on big data: dedupe as we go */
                qsort(chars, count, sizeof *chars, compare_u32);
                size_t u = 0;
                for (size_t i = 0; i < count; i++)
                    if (u == 0 || chars[u - 1] != chars[i]) chars[u++] = chars[i];
                count = u;
            }
        }
    }
    return vocab_make(chars, count, state);
}

static rg_status char_from_source(const rg_source *src, void **state)
{
    rg_value_type type;
    uint64_t n;
    rg_status st = rg_source_array(src, "tokenizer.ggml.tokens", &type, &n);
    if (st != RG_OK) return st;
    if (type != RG_VALUE_STRING || n < N_SPECIAL) return RG_ERR_FORMAT;
    uint32_t *chars = malloc((n - N_SPECIAL + 1) * sizeof *chars);
    if (!chars) return RG_ERR_NOMEM;
    for (uint64_t i = N_SPECIAL; i < n; i++) {
        const char *piece;
        size_t len;
        rg_source_array_string(src, "tokenizer.ggml.tokens", i, &piece, &len);
        if (len == 0 || utf8_next((const unsigned char *)piece, len, &chars[i - N_SPECIAL]) != len) {
            free(chars);
            return RG_ERR_FORMAT;
        }
    }
    return vocab_make(chars, n - N_SPECIAL, state);
}

static rg_status char_to_source(const void *state, rg_source *dst)
{
    const CharVocab *v = state;
    size_t n = (size_t)v->n_chars + N_SPECIAL;
    const char **pieces = malloc(n * sizeof *pieces);
    if (!pieces) return RG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) pieces[i] = i < N_SPECIAL ? special_text[i] : v->pieces[i - N_SPECIAL];
    rg_status st = rg_source_set_string(dst, "tokenizer.ggml.model", "char", 4);
    if (st == RG_OK) st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", pieces, NULL, n);
    free(pieces);
    return st;
}

static int char_probe(const char *path, const unsigned char *head, size_t n)
{
    return head && n >= sizeof magic - 1 && memcmp(head, magic, sizeof magic - 1) == 0;
}

static rg_status char_load(const char *path, void **state)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return RG_ERR_IO;
    char line[64];
    size_t cap = 256, n = 0;
    uint32_t *chars = malloc(cap * sizeof *chars);
    rg_status st = chars && fgets(line, sizeof line, fp) && strcmp(line, magic) == 0 ? RG_OK : RG_ERR_FORMAT;
    while (st == RG_OK && fgets(line, sizeof line, fp)) {
        char *end;
        unsigned long cp = strtoul(line, &end, 16);
        if (end == line || cp > 0x10FFFF) { st = RG_ERR_FORMAT; break; }
        if (n == cap) {
            uint32_t *grown = realloc(chars, 2 * cap * sizeof *chars);
            if (!grown) { st = RG_ERR_NOMEM; break; }
            chars = grown;
            cap *= 2;
        }
        chars[n++] = (uint32_t)cp;
    }
    fclose(fp);
    if (st != RG_OK) { free(chars); return st; }
    return vocab_make(chars, n, state);
}

static rg_status char_save(const void *state, const char *path)
{
    const CharVocab *v = state;
    FILE *fp = fopen(path, "w");
    if (!fp) return RG_ERR_IO;
    fputs(magic, fp);
    for (int32_t i = 0; i < v->n_chars; i++) fprintf(fp, "%x\n", (unsigned)v->chars[i]);
    return fclose(fp) == 0 ? RG_OK : RG_ERR_IO;
}

static int32_t char_n_vocab(const void *state) { return ((const CharVocab *)state)->n_chars + N_SPECIAL; }

static int32_t char_special(const void *state, rg_special which)
{
    return which == RG_SPECIAL_PAD ? PAD : which == RG_SPECIAL_UNK ? UNK : which == RG_SPECIAL_EOS ? EOS : -1;
}

static rg_status char_encode(const void *state, const char *text, size_t len, int flags,
                             int32_t *ids, size_t cap, size_t *n_out)
{
    const CharVocab *v = state;
    const unsigned char *s = (const unsigned char *)text;
    size_t count = 0;
    for (size_t at = 0; at < len;) {
        int32_t id;
        if (len - at >= 4 && memcmp(s + at, "</s>", 4) == 0) {
            id = EOS;
            at += 4;
        } else {
            uint32_t cp;
            size_t k = utf8_next(s + at, len - at, &cp);
            if (k == 0) { *n_out = count; return RG_ERR_FORMAT; }
            at += k;
            const uint32_t *hit = bsearch(&cp, v->chars, (size_t)v->n_chars, sizeof cp, compare_u32);
            id = hit ? N_SPECIAL + (int32_t)(hit - v->chars) : UNK;
        }
        if (count < cap) ids[count] = id;
        count++;
    }
    *n_out = count;
    return count > cap ? RG_ERR_TOO_SMALL : RG_OK;
}

static const char *char_piece(const void *state, int32_t id, size_t *len)
{
    const CharVocab *v = state;
    if (id < 0 || id >= v->n_chars + N_SPECIAL) return NULL;
    const char *p = id < N_SPECIAL ? special_text[id] : v->pieces[id - N_SPECIAL];
    *len = strlen(p);
    return p;
}

static rg_status char_decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap,
                             size_t *len_out)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *p = char_piece(state, ids[i], &len);
        if (!p) return RG_ERR_INVALID;
        if (ids[i] == PAD || ids[i] == EOS) continue;
        if (at < cap) memcpy(buf + at, p, len < cap - at ? len : cap - at);
        at += len;
    }
    *len_out = at;
    if (at > cap) return RG_ERR_TOO_SMALL;
    if (at < cap) buf[at] = '\0';
    return RG_OK;
}

static const rg_tokenizer_vtable char_tokenizer = {
    .abi_version = RG_ABI_VERSION,
    .name = "char",
    .version = 1,
    .probe = char_probe,
    .load = char_load,
    .from_source = char_from_source,
    .to_source = char_to_source,
    .train = char_train,
    .save = char_save,
    .destroy = char_destroy,
    .n_vocab = char_n_vocab,
    .special = char_special,
    .encode = char_encode,
    .decode = char_decode,
    .piece = char_piece,
};

rg_status rustgpt_plugin_init(const rg_plugin_host *host)
{
    if (host->abi_version != RG_ABI_VERSION) return RG_ERR_PLUGIN;
    return host->register_tokenizer(&char_tokenizer);
}
