/*
 * wordpiece.c — BERT's WordPiece tokenizer, as llama.cpp runs it.
 *
 * Where it sits: text → [this] → ids → the bert architecture → pooled
 * embedding (src/infer/embed.c).
 *
 * The vocabulary. BERT's vocab.txt marks a piece that continues a word with
 * "##" ("un", "##aff", "##able"). llama.cpp's converter stores it the other
 * way round, and so do we in memory: a word-initial piece carries a U+2581
 * ("▁") prefix, a continuation loses its "##", and bracketed specials
 * ("[CLS]") stay as they are. "unaffable" is then matched as the string
 * "▁unaffable": "▁un" + "aff" + "able".
 *
 * Encoding, in two steps (llama.cpp's llm_tokenizer_wpm, which tests check
 * against through node-llama-cpp):
 *   1. basic pre-tokenization: split on whitespace; drop NUL, U+FFFD and
 *      control characters; with strip_accents decompose (NFD) and drop the
 *      combining marks; with lowercase fold case; every punctuation character,
 *      ASCII symbol and CJK ideograph becomes a word of its own;
 *   2. per word, greedy longest match: from the current position take the
 *      longest vocabulary piece that matches, move past it, repeat. If some
 *      position matches nothing the whole word becomes [UNK].
 * With RG_TOKENIZE_ADD_SPECIAL the ids are [CLS] ... [SEP].
 *
 * Encoding allocates nothing: a word is matched through a window of
 * WP_WINDOW bytes on the stack, drained whenever more than the longest piece
 * is buffered, so a word of any length works in bounded memory.
 */
#include "tokenizers/wordpiece.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define WP_PREFIX "\xe2\x96\x81"            /* U+2581, marks a word-initial piece */
enum { WP_PREFIX_LEN = 3, WP_MAX_PIECE = 192, WP_WINDOW = 1024 };

typedef struct {
    int32_t n_vocab;
    char **pieces;           /* pieces[id]: NUL-terminated, stored form (▁ prefix) */
    uint32_t *piece_len;
    int32_t *slots;          /* open addressing: id + 1, 0 empty                  */
    size_t n_slots;          /* a power of two > 2 n_vocab                        */
    int32_t max_len;         /* longest matchable piece in bytes                  */
    int32_t cls, sep, unk, pad, mask;
    int lowercase, strip_accents;
} WordPiece;

/* ---- the vocabulary ------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;                       /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int32_t lookup(const WordPiece *wp, const char *s, size_t n)
{
    size_t mask = wp->n_slots - 1;
    for (size_t at = hash_bytes(s, n) & mask;; at = (at + 1) & mask) {
        int32_t slot = wp->slots[at];
        if (slot == 0) return -1;
        int32_t id = slot - 1;
        if (wp->piece_len[id] == n && memcmp(wp->pieces[id], s, n) == 0) return id;
    }
}

static void destroy(void *state)
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
        destroy(wp);
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
    if (n == 0 || n > WP_MAX_PIECE || lookup(wp, s, n) >= 0) return 0;
    size_t mask = wp->n_slots - 1, at = hash_bytes(s, n) & mask;
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
        if (*slots[i] < 0) *slots[i] = lookup(wp, names[i], strlen(names[i]));
}

/* ---- UTF-8 and character classes ------------------------------------------ */

/* Decode one code point at s[*i] (advancing *i); -1 for invalid UTF-8
 * (overlong forms, surrogates and values above U+10FFFF included). */
static int32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    size_t at = *i;
    unsigned c = s[at];
    if (c < 0x80) { *i = at + 1; return (int32_t)c; }
    int n = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xC2 && c <= 0xDF ? 1 : -1;
    if (n < 0 || len - at <= (size_t)n) return -1;
    uint32_t cp = c & (0x3F >> n);
    for (int k = 1; k <= n; k++) {
        unsigned b = s[at + k];
        if ((b & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *i = at + (size_t)n + 1;
    return (int32_t)cp;
}

static int utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Python's and llama.cpp's \s. */
static int is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* The CJK ideograph blocks BERT splits one character at a time (with the
 * upper bound of Hugging Face's Rust code, which llama.cpp copies). */
static int is_cjk(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* ---- encoding --------------------------------------------------------------- */

typedef struct {
    const WordPiece *wp;
    int32_t *ids;
    size_t cap, n;           /* n counts every id; only those below cap are written */
    char word[WP_WINDOW];    /* the unmatched rest of the current word             */
    size_t word_len;
    size_t word_first;       /* n when the word began (its ids are dropped on [UNK]) */
    int in_word, failed;
} Encoder;

static void emit(Encoder *e, int32_t id)
{
    if (e->n < e->cap) e->ids[e->n] = id;
    e->n++;
}

/* Greedy longest match over the buffered bytes. Unless the word is complete
 * (final), stop while the buffer could still grow into a longer piece. */
static void drain(Encoder *e, int final)
{
    const WordPiece *wp = e->wp;
    size_t at = 0;
    while (!e->failed && e->word_len - at > 0 && (final || e->word_len - at > (size_t)wp->max_len)) {
        size_t rest = e->word_len - at, j = rest < (size_t)wp->max_len ? rest : (size_t)wp->max_len;
        int32_t id = -1;
        for (; j > 0 && (id = lookup(wp, e->word + at, j)) < 0; j--) {}
        if (id < 0) {                       /* no piece fits: the word is [UNK] */
            e->n = e->word_first;
            emit(e, wp->unk);
            e->failed = 1;
            break;
        }
        emit(e, id);
        at += j;
    }
    if (e->failed) at = e->word_len;
    memmove(e->word, e->word + at, e->word_len - at);
    e->word_len -= at;
}

static void end_word(Encoder *e)
{
    if (e->in_word) drain(e, 1);
    e->in_word = e->failed = 0;
    e->word_len = 0;
}

static void add_to_word(Encoder *e, const char *bytes, int n)
{
    if (!e->in_word) {
        e->in_word = 1;
        e->failed = 0;
        e->word_first = e->n;
        memcpy(e->word, WP_PREFIX, WP_PREFIX_LEN);
        e->word_len = WP_PREFIX_LEN;
    }
    if (e->failed) return;
    if (e->word_len + (size_t)n > WP_WINDOW) drain(e, 0);
    if (e->failed) return;
    memcpy(e->word + e->word_len, bytes, (size_t)n);
    e->word_len += (size_t)n;
}

/* One code point of the normalised text. */
static void add_char(Encoder *e, uint32_t cp)
{
    const WordPiece *wp = e->wp;
    if (is_space(cp)) { end_word(e); return; }
    utf8proc_category_t cat = cp < 0x80 ? UTF8PROC_CATEGORY_CN : utf8proc_category((utf8proc_int32_t)cp);
    int control = cp < 0x80 ? (cp < 0x20 || cp == 0x7F)
                            : (cat >= UTF8PROC_CATEGORY_CC && cat <= UTF8PROC_CATEGORY_CO);
    if (cp == 0 || cp == 0xFFFD || control) return;
    if (wp->strip_accents && cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) return;
    int split;
    if (cp < 0x80) split = (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) ||
                           (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
    else split = (cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO) || is_cjk(cp);
    uint32_t out = wp->lowercase ? (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp) : cp;
    char bytes[4];
    int n = utf8_put(out, bytes);
    if (split) end_word(e);
    add_to_word(e, bytes, n);
    if (split) end_word(e);
}

/* The special token whose text starts text[i..len), or -1. */
static int32_t special_at(const WordPiece *wp, const char *text, size_t len, size_t i, size_t *skip)
{
    const int32_t ids[] = { wp->cls, wp->sep, wp->unk, wp->pad, wp->mask };
    for (int k = 0; k < 5; k++) {
        if (ids[k] < 0) continue;
        size_t n = wp->piece_len[ids[k]];
        if (n && n <= len - i && memcmp(text + i, wp->pieces[ids[k]], n) == 0) {
            *skip = n;
            return ids[k];
        }
    }
    return -1;
}

static rg_status encode(const void *state, const char *text, size_t len, int flags,
                        int32_t *ids, size_t cap, size_t *n_out)
{
    const WordPiece *wp = state;
    Encoder e = { .wp = wp, .ids = ids, .cap = cap };
    const unsigned char *s = (const unsigned char *)text;
    if ((flags & RG_TOKENIZE_ADD_SPECIAL) && wp->cls >= 0) emit(&e, wp->cls);
    for (size_t i = 0; i < len;) {
        size_t skip;
        int32_t special;
        if ((flags & RG_TOKENIZE_PARSE_SPECIAL) && s[i] == '[' &&
            (special = special_at(wp, text, len, i, &skip)) >= 0) {
            end_word(&e);
            emit(&e, special);
            i += skip;
            continue;
        }
        size_t at = i;
        int32_t cp = utf8_next(s, len, &i);
        if (cp < 0) {
            *n_out = 0;
            fail("invalid UTF-8 at byte %zu", at);
            return RG_ERR_FORMAT;
        }
        if (wp->strip_accents && cp >= 0xC0) {          /* NFD, then drop the marks */
            utf8proc_int32_t parts[8];
            int boundclass = 0;
            utf8proc_ssize_t k = utf8proc_decompose_char(cp, parts, 8, UTF8PROC_DECOMPOSE, &boundclass);
            if (k > 0 && k <= 8) {
                for (utf8proc_ssize_t p = 0; p < k; p++) add_char(&e, (uint32_t)parts[p]);
                continue;
            }
        }
        add_char(&e, (uint32_t)cp);
    }
    end_word(&e);
    if ((flags & RG_TOKENIZE_ADD_SPECIAL) && wp->sep >= 0) emit(&e, wp->sep);
    *n_out = e.n;
    return e.n > cap ? RG_ERR_TOO_SMALL : RG_OK;
}

/* ---- decoding ----------------------------------------------------------------- */

/* Word-initial pieces start a new word ("▁" becomes a space), continuations
 * attach, [CLS] [SEP] [PAD] are left out; no space at the very start. */
static rg_status decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap,
                        size_t *len_out)
{
    const WordPiece *wp = state;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= wp->n_vocab) {
            fail("token id %d is outside the vocabulary of %d", ids[i], wp->n_vocab);
            return RG_ERR_INVALID;
        }
        if (ids[i] == wp->cls || ids[i] == wp->sep || ids[i] == wp->pad) continue;
        const char *p = wp->pieces[ids[i]];
        size_t n_p = wp->piece_len[ids[i]];
        int initial = n_p >= WP_PREFIX_LEN && memcmp(p, WP_PREFIX, WP_PREFIX_LEN) == 0;
        if (initial) { p += WP_PREFIX_LEN; n_p -= WP_PREFIX_LEN; }
        if ((initial || p[0] == '[') && len > 0) {
            if (len < cap) buf[len] = ' ';
            len++;
        }
        for (size_t k = 0; k < n_p; k++, len++)
            if (len < cap) buf[len] = p[k];
    }
    if (len < cap) buf[len] = 0;
    *len_out = len;
    return len > cap ? RG_ERR_TOO_SMALL : RG_OK;
}

static const char *piece(const void *state, int32_t id, size_t *len)
{
    const WordPiece *wp = state;
    if (id < 0 || id >= wp->n_vocab) return NULL;
    if (len) *len = wp->piece_len[id];
    return wp->pieces[id];
}

static int32_t n_vocab(const void *state) { return ((const WordPiece *)state)->n_vocab; }

static int32_t special(const void *state, rg_special which)
{
    const WordPiece *wp = state;
    switch (which) {
    case RG_SPECIAL_CLS: case RG_SPECIAL_BOS: return wp->cls;
    case RG_SPECIAL_SEP: case RG_SPECIAL_EOS: return wp->sep;
    case RG_SPECIAL_PAD: return wp->pad;
    case RG_SPECIAL_UNK: return wp->unk;
    case RG_SPECIAL_MASK: return wp->mask;
    }
    return -1;
}

/* ---- GGUF metadata -------------------------------------------------------------- */

static int32_t source_id(const rg_source *src, const char *key, int32_t n_vocab)
{
    int64_t v;
    if (rg_source_int(src, key, &v) != RG_OK || v < 0 || v >= n_vocab) return -1;
    return (int32_t)v;
}

static rg_status from_source(const rg_source *src, void **state)
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
            destroy(wp);
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
        destroy(wp);
        fail("WordPiece vocabulary has no [UNK] token");
        return RG_ERR_FORMAT;
    }
    *state = wp;
    return RG_OK;
}

static rg_status to_source(const void *state, rg_source *dst)
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

static int probe(const char *path, const unsigned char *head, size_t n)
{
    size_t len = strlen(path);
    if (len < 4 || strcmp(path + len - 4, ".txt") != 0) return 0;
    return contains(head, n, "[UNK]") || contains(head, n, "[CLS]");
}

/* One piece per line, "##" marking continuations. The file does not say
 * whether the model is cased; like BERT's uncased models (MiniLM, BGE) it is
 * taken as lowercase unless some ordinary piece has an ASCII capital. */
static rg_status load(const char *path, void **state)
{
    size_t size;
    char *text = read_whole_file(path, &size);
    if (!text) return RG_ERR_IO;
    size_t n_lines = 0;
    for (size_t i = 0; i < size; i++) n_lines += text[i] == '\n';
    if (size && text[size - 1] != '\n') n_lines++;
    if (n_lines == 0 || n_lines > INT32_MAX / 4) {
        free(text);
        fail("%s: empty vocabulary", path);
        return RG_ERR_FORMAT;
    }
    WordPiece *wp = wordpiece_new((int32_t)n_lines);
    if (!wp) { free(text); return RG_ERR_NOMEM; }
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
            free(text);
            destroy(wp);
            return RG_ERR_NOMEM;
        }
        at = end + 1;
    }
    free(text);
    find_specials(wp);
    wp->lowercase = wp->strip_accents = !has_capital;
    if (wp->unk < 0) {
        destroy(wp);
        fail("%s: the vocabulary has no [UNK] line", path);
        return RG_ERR_FORMAT;
    }
    *state = wp;
    return RG_OK;
}

static rg_status save(const void *state, const char *path)
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

const rg_tokenizer_vtable wordpiece_tokenizer_vtable = {
    .abi_version = RG_ABI_VERSION,
    .name = "wordpiece",
    .version = 1,
    .probe = probe,
    .load = load,
    .from_source = from_source,
    .to_source = to_source,
    .train = NULL,
    .save = save,
    .destroy = destroy,
    .n_vocab = n_vocab,
    .special = special,
    .encode = encode,
    .decode = decode,
    .piece = piece,
};
