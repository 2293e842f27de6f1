/*
 * word_detok.c — the word tokenizer's ids back to text (word.c splits and
 * looks up; word.h is the contract; docs/01-tokenizer.md explains it).
 *
 * Decoding joins pieces with single spaces and then lets punctuation attach:
 *   no space before   . , ! ? ; : ) ] } %
 *   no space after    ( [ { $
 *   none either side  ' - /    (so "don ' t" is "don't" and "well - known"
 *                              is "well-known"; the price is that a single
 *                              quote used as a quotation mark also hugs)
 *   "   counted: an odd one opens (hugs the word after it), an even one
 *       closes (hugs the word before it)
 *   digits  "3 . 14" -> "3.14", "10 : 30" -> "10:30", and "1 , 000" ->
 *       "1,000" (a comma only before exactly three digits)
 * <pad> is never shown; <unk> and </s> are shown as words with a space
 * before them, which is how the data files write "</s>" ("east. </s>").
 * With these rules a sentence typed in the usual spacing decodes back to
 * exactly itself.
 */
#include "tokenizers/word.h"

#include <stddef.h>
#include <string.h>

/* ---- decoding ---------------------------------------------------------- */

/* How a token sits among its neighbours; a quote is resolved to an opener
 * or a closer by the Detokenizer, which counts them. */
enum { KIND_WORD, KIND_CLOSER, KIND_OPENER, KIND_JOINER, KIND_QUOTE, KIND_HIDDEN };

static int piece_kind(const Vocab *vocab, int id)
{
    if (id == TOKEN_PAD) return KIND_HIDDEN;
    const char *w = tokenizer_piece(vocab, id);
    if (w[0] == '\0' || w[1] != '\0') return KIND_WORD;
    switch (w[0]) {
    case '.': case ',': case '!': case '?': case ';': case ':':
    case ')': case ']': case '}': case '%':
        return KIND_CLOSER;
    case '(': case '[': case '{': case '$':
        return KIND_OPENER;
    case '\'': case '-': case '/':
        return KIND_JOINER;
    case '"':
        return KIND_QUOTE;
    default:
        return KIND_WORD;
    }
}

/* The one spacing rule: what goes between a token of kind left and one of
 * kind right (quotes already resolved). */
static const char *space_between(int left, int right)
{
    if (left == KIND_OPENER || left == KIND_JOINER) return "";
    if (right == KIND_CLOSER || right == KIND_JOINER) return "";
    return " ";
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int all_digits(const char *s, size_t want_len)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!is_digit(s[n])) return 0;
    return want_len ? n == want_len : n > 0;
}

/* Is prev the '.', ':' or ',' inside a number whose next part is next? */
static int joins_number(const Detokenizer *d, const Vocab *vocab, int next)
{
    if (d->prev < 0 || !d->digit_before_prev) return 0;
    const char *mark = tokenizer_piece(vocab, d->prev);
    const char *digits = tokenizer_piece(vocab, next);
    if (mark[0] == '\0' || mark[1] != '\0') return 0;
    if (mark[0] == '.' || mark[0] == ':') return all_digits(digits, 0);
    if (mark[0] == ',') return all_digits(digits, 3);
    return 0;
}

void detokenizer_init(Detokenizer *detok)
{
    detok->prev = -1;
    detok->prev_kind = KIND_WORD;
    detok->digit_before_prev = 0;
    detok->quote_open = 0;
}

const char *detokenizer_next(Detokenizer *d, const Vocab *vocab, int id)
{
    int kind = piece_kind(vocab, id);
    if (kind == KIND_HIDDEN) return "";
    if (kind == KIND_QUOTE) {
        kind = d->quote_open ? KIND_CLOSER : KIND_OPENER;
        d->quote_open = !d->quote_open;
    }
    const char *sep = "";
    if (d->prev >= 0 && !joins_number(d, vocab, id))
        sep = space_between(d->prev_kind, kind);

    if (d->prev >= 0) {
        const char *w = tokenizer_piece(vocab, d->prev);
        size_t len = strlen(w);
        d->digit_before_prev = len > 0 && is_digit(w[len - 1]);
    }
    d->prev = id;
    d->prev_kind = kind;
    return sep;
}

const char *tokenizer_separator(const Vocab *vocab, int prev, int next)
{
    if (prev < 0) return "";
    int left = piece_kind(vocab, prev), right = piece_kind(vocab, next);
    if (left == KIND_HIDDEN || right == KIND_HIDDEN) return "";
    if (left == KIND_QUOTE) left = KIND_WORD;
    if (right == KIND_QUOTE) right = KIND_WORD;
    return space_between(left, right);
}

/* Copy s to buf at offset at, as much as fits before the final NUL, and
 * return the offset after the whole of s. */
static size_t append(char *buf, size_t cap, size_t at, const char *s)
{
    size_t len = strlen(s);
    if (at + 1 < cap) {
        size_t room = cap - 1 - at;
        memcpy(buf + at, s, len < room ? len : room);
    }
    return at + len;
}

size_t tokenizer_decode(const Vocab *vocab, const int *ids, int n, char *buf, size_t cap)
{
    Detokenizer detok;
    detokenizer_init(&detok);
    size_t need = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] == TOKEN_PAD) continue;
        need = append(buf, cap, need, detokenizer_next(&detok, vocab, ids[i]));
        need = append(buf, cap, need, tokenizer_piece(vocab, ids[i]));
    }
    if (cap > 0) buf[need < cap ? need : cap - 1] = '\0';
    return need;
}
