/*
 * wordpiece_vocab.c — building a WordPiece vocabulary (wordpiece.c encodes
 * with it): from a GGUF model's tokenizer.ggml.* metadata, as llama.cpp's
 * converter writes it, or from BERT's vocab.txt; and writing both back.
 * Pieces are kept in the stored form wordpiece.c describes (a "▁" prefix
 * for a word-initial piece, no "##" for a continuation).
 */
#include "tokenizers/wordpiece_internal.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* ---- the vocabulary ------------------------------------------------------- */

void wordpiece_destroy(void *state)
{
    WordPiece *wp = state;
    if (!wp) return;
    for (int32_t i = 0; wp->pieces && i < wp->n_vocab; i++) free(wp->pieces[i]);
    free(wp->pieces);
    free(wp->piece_len);
    free(wp->slots);
    free(wp);
}

static WordPiece *wordpiece_new(int32_t n_vocab)
{
    WordPiece *wp = xcalloc(1, sizeof *wp);
    if (!wp) return NULL;
    wp->n_vocab = n_vocab;
    wp->n_slots = 16;
    while (wp->n_slots < 2 * (size_t)n_vocab + 2) wp->n_slots *= 2;
    wp->pieces = xcalloc((size_t)n_vocab, sizeof *wp->pieces);
    wp->piece_len = xcalloc((size_t)n_vocab, sizeof *wp->piece_len);
    wp->slots = xcalloc(wp->n_slots, sizeof *wp->slots);
    wp->cls = wp->sep = wp->unk = wp->pad = wp->mask = -1;
    if (!wp->pieces || !wp->piece_len || !wp->slots) {
        wordpiece_destroy(wp);
        return NULL;
    }
    return wp;
}

/* Store piece id (stored form). The first of two equal pieces keeps the
 * string; pieces longer than WP_MAX_PIECE can never be matched (no real
 * vocabulary has one) and are kept only for decoding. */
static int set_piece(WordPiece *wp, int32_t id, const char *s, size_t n)
{
    wp->pieces[id] = xmalloc(n + 1, 1);
    if (!wp->pieces[id]) return -1;
    memcpy(wp->pieces[id], s, n);
    wp->pieces[id][n] = 0;
    wp->piece_len[id] = (uint32_t)n;
    if (n == 0 || n > WP_MAX_PIECE || wp_lookup(wp, s, n) >= 0) return 0;
    size_t mask = wp->n_slots - 1, at = wp_hash_bytes(s, n) & mask;
    while (wp->slots[at]) at = (at + 1) & mask;
    wp->slots[at] = id + 1;
    if ((int32_t)n > wp->max_len) wp->max_len = (int32_t)n;
    return 0;
}

/* Specials by their usual text when the metadata does not name them. */
static void find_specials(WordPiece *wp)
{
    static const char *const names[] = { "[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]" };
    int32_t *slots[] = { &wp->cls, &wp->sep, &wp->unk, &wp->pad, &wp->mask };
    for (int i = 0; i < 5; i++)
        if (*slots[i] < 0) *slots[i] = wp_lookup(wp, names[i], strlen(names[i]));
}

/* ---- GGUF metadata -------------------------------------------------------------- */

static int32_t source_id(const rg_source *src, const char *key, int32_t n_vocab)
{
    int64_t v;
    if (rg_source_int(src, key, &v) != RG_OK || v < 0 || v >= n_vocab) return -1;
    return (int32_t)v;
}

rg_status wordpiece_from_source(const rg_source *src, void **state)
{
    const char *model;
    if (rg_source_string(src, "tokenizer.ggml.model", &model, NULL) != RG_OK || strcmp(model, "bert") != 0) {
        fail("not a WordPiece vocabulary (tokenizer.ggml.model is not \"bert\")");
        return RG_ERR_FORMAT;
    }
    rg_value_type type;
    uint64_t n;
    if (rg_source_array(src, "tokenizer.ggml.tokens", &type, &n) != RG_OK || type != RG_VALUE_STRING ||
        n == 0 || n > INT32_MAX / 4) {
        fail("tokenizer.ggml.tokens: missing, empty or not strings");
        return RG_ERR_FORMAT;
    }
    WordPiece *wp = wordpiece_new((int32_t)n);
    if (!wp) return RG_ERR_NOMEM;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        if (rg_source_array_string(src, "tokenizer.ggml.tokens", i, &s, &len) != RG_OK ||
            set_piece(wp, (int32_t)i, s, len) != 0) {
            wordpiece_destroy(wp);
            return RG_ERR_NOMEM;
        }
    }
    /* llama.cpp: [CLS] is the BOS id; lowercase defaults to off and
     * strip_accents to lowercase. */
    wp->cls = source_id(src, "tokenizer.ggml.bos_token_id", wp->n_vocab);
    if (wp->cls < 0) wp->cls = source_id(src, "tokenizer.ggml.cls_token_id", wp->n_vocab);
    wp->sep = source_id(src, "tokenizer.ggml.seperator_token_id", wp->n_vocab);
    wp->unk = source_id(src, "tokenizer.ggml.unknown_token_id", wp->n_vocab);
    wp->pad = source_id(src, "tokenizer.ggml.padding_token_id", wp->n_vocab);
    wp->mask = source_id(src, "tokenizer.ggml.mask_token_id", wp->n_vocab);
    find_specials(wp);
    int flag;
    if (rg_source_bool(src, "tokenizer.ggml.normalizer.lowercase", &flag) == RG_OK) wp->lowercase = flag;
    wp->strip_accents = wp->lowercase;
    if (rg_source_bool(src, "tokenizer.ggml.normalizer.strip_accents", &flag) == RG_OK) wp->strip_accents = flag;
    if (wp->unk < 0) {
        wordpiece_destroy(wp);
        fail("WordPiece vocabulary has no [UNK] token");
        return RG_ERR_FORMAT;
    }
    *state = wp;
    return RG_OK;
}

rg_status wordpiece_to_source(const void *state, rg_source *dst)
{
    const WordPiece *wp = state;
    size_t *lens = xmalloc((size_t)wp->n_vocab, sizeof *lens);
    if (!lens) return RG_ERR_NOMEM;
    for (int32_t i = 0; i < wp->n_vocab; i++) lens[i] = wp->piece_len[i];
    rg_status st = rg_source_set_string(dst, "tokenizer.ggml.model", "bert", 4);
    if (st == RG_OK)
        st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", (const char *const *)wp->pieces,
                                        lens, (uint64_t)wp->n_vocab);
    free(lens);
    const struct { const char *key; int32_t id; } ids[] = {
        { "tokenizer.ggml.bos_token_id", wp->cls }, { "tokenizer.ggml.cls_token_id", wp->cls },
        { "tokenizer.ggml.seperator_token_id", wp->sep }, { "tokenizer.ggml.unknown_token_id", wp->unk },
        { "tokenizer.ggml.padding_token_id", wp->pad }, { "tokenizer.ggml.mask_token_id", wp->mask },
    };
    for (size_t i = 0; st == RG_OK && i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].id >= 0) st = rg_source_set_int(dst, ids[i].key, ids[i].id);
    if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.normalizer.lowercase", wp->lowercase);
    if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.normalizer.strip_accents", wp->strip_accents);
    return st;
}

/* ---- vocab.txt ------------------------------------------------------------------- */

static int contains(const unsigned char *head, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++)
        if (memcmp(head + i, word, w) == 0) return 1;
    return 0;
}

int wordpiece_probe(const char *path, const unsigned char *head, size_t n)
{
    size_t len = strlen(path);
    if (len < 4 || strcmp(path + len - 4, ".txt") != 0) return 0;
    return contains(head, n, "[UNK]") || contains(head, n, "[CLS]");
}

/* One piece per line, "##" marking continuations. The file does not say
 * whether the model is cased; like BERT's uncased models (MiniLM, BGE) it is
 * taken as lowercase unless some ordinary piece has an ASCII capital. */
rg_status wordpiece_from_vocab_text(const char *text, size_t size, const char *path, void **state)
{
    size_t n_lines = 0;
    for (size_t i = 0; i < size; i++) n_lines += text[i] == '\n';
    if (size && text[size - 1] != '\n') n_lines++;
    if (n_lines == 0 || n_lines > INT32_MAX / 4) {
        fail("%s: empty vocabulary", path);
        return RG_ERR_FORMAT;
    }
    WordPiece *wp = wordpiece_new((int32_t)n_lines);
    if (!wp) return RG_ERR_NOMEM;
    int has_capital = 0;
    char stored[WP_MAX_PIECE + 8 + WP_PREFIX_LEN];
    size_t at = 0;
    for (int32_t id = 0; id < wp->n_vocab; id++) {
        size_t end = at;
        while (end < size && text[end] != '\n') end++;
        size_t len = end - at;
        if (len && text[end - 1] == '\r') len--;
        const char *line = text + at;
        size_t start = 0, n = 0;
        if (len >= 2 && line[0] == '[' && line[len - 1] == ']') {
            start = 0;
        } else if (len > 2 && line[0] == '#' && line[1] == '#') {
            start = 2;
        } else {
            memcpy(stored, WP_PREFIX, WP_PREFIX_LEN);
            n = WP_PREFIX_LEN;
            for (size_t k = 0; k < len; k++) has_capital |= line[k] >= 'A' && line[k] <= 'Z';
        }
        size_t body = len - start;
        if (body > WP_MAX_PIECE) body = WP_MAX_PIECE + 1;          /* unmatchable anyway */
        memcpy(stored + n, line + start, body);
        if (set_piece(wp, id, stored, n + body) != 0) {
            wordpiece_destroy(wp);
            return RG_ERR_NOMEM;
        }
        at = end + 1;
    }
    find_specials(wp);
    wp->lowercase = wp->strip_accents = !has_capital;
    if (wp->unk < 0) {
        wordpiece_destroy(wp);
        fail("%s: the vocabulary has no [UNK] line", path);
        return RG_ERR_FORMAT;
    }
    *state = wp;
    return RG_OK;
}

rg_status wordpiece_load(const char *path, void **state)
{
    size_t size;
    char *text = read_whole_file(path, &size);
    if (!text) return RG_ERR_IO;
    rg_status st = wordpiece_from_vocab_text(text, size, path, state);
    free(text);
    return st;
}

rg_status wordpiece_save(const void *state, const char *path)
{
    const WordPiece *wp = state;
    AtomicFile w;
    if (atomic_open(&w, path) != 0) return RG_ERR_IO;
    for (int32_t i = 0; i < wp->n_vocab; i++) {
        const char *p = wp->pieces[i];
        size_t n = wp->piece_len[i];
        if (n >= WP_PREFIX_LEN && memcmp(p, WP_PREFIX, WP_PREFIX_LEN) == 0) {
            p += WP_PREFIX_LEN;
            n -= WP_PREFIX_LEN;
        } else if (!(n >= 2 && p[0] == '[' && p[n - 1] == ']')) {
            fputs("##", w.fp);
        }
        fwrite(p, 1, n, w.fp);
        fputc('\n', w.fp);
    }
    return atomic_commit(&w) == 0 ? RG_OK : RG_ERR_IO;
}
