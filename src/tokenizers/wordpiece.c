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
#include "tokenizers/wordpiece_internal.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

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
        for (; j > 0 && (id = wp_lookup(wp, e->word + at, j)) < 0; j--) {}
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

const rg_tokenizer_vtable wordpiece_tokenizer_vtable = {
    .abi_version = RG_ABI_VERSION,
    .name = "wordpiece",
    .version = 1,
    .probe = wordpiece_probe,
    .load = wordpiece_load,
    .from_source = wordpiece_from_source,
    .to_source = wordpiece_to_source,
    .train = NULL,
    .save = wordpiece_save,
    .destroy = wordpiece_destroy,
    .n_vocab = n_vocab,
    .special = special,
    .encode = encode,
    .decode = decode,
    .piece = piece,
};
