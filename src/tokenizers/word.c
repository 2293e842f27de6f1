/*
 * word.c — text to token ids and back (DESIGN.md §3, contract in
 * tokenizer.h, explained in docs/01-tokenizer.md). It sits between the data
 * files and the batches: training text is split into words and punctuation,
 * each piece is looked up in the vocabulary, and generated ids are joined
 * back into readable text.
 *
 * Splitting is one pass over the bytes with a 256-entry class table (word,
 * space, punctuation, end), so encoding never allocates: a piece is a
 * (pointer, length) pair into the caller's text. Lookup is an open-addressing
 * hash table (FNV-1a, linear probing, at most half full) that stores id+1 in
 * each slot and compares against the vocabulary's own strings.
 *
 * Decoding, the rules that join pieces back into text, is word_detok.c.
 */
#include "tokenizers/word.h"
#include "core/util.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const special_words[TOKEN_N_SPECIAL] = { "<pad>", "<unk>", "</s>" };

/* ---- splitting --------------------------------------------------------- */

/* What each byte does to the splitter. Word must be 0: every byte not named
 * below (controls, digits, letters, all of 0x80..0xFF) is part of a word,
 * which keeps UTF-8 sequences whole. The rows are isspace() and ispunct()
 * of the C locale, written out so that the table is constant. */
enum { BYTE_WORD = 0, BYTE_SPACE, BYTE_PUNCT, BYTE_END };

#define W BYTE_WORD
#define S BYTE_SPACE
#define P BYTE_PUNCT
static const unsigned char byte_class[256] = {
    BYTE_END, W, W, W, W, W, W, W, W, S, S, S, S, S, W, W, /* NUL, \t \n \v \f \r */
    W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,        /* 0x10 controls      */
    S, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,        /* space !"#$%&'()*+,-./ */
    W, W, W, W, W, W, W, W, W, W, P, P, P, P, P, P,        /* 0-9 :;<=>?         */
    P, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,        /* @ A-O              */
    W, W, W, W, W, W, W, W, W, W, W, P, P, P, P, P,        /* P-Z [\]^_          */
    P, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,        /* ` a-o              */
    W, W, W, W, W, W, W, W, W, W, W, P, P, P, P, W,        /* p-z {|}~ DEL       */
};
#undef W
#undef S
#undef P

static inline int is_eos_at(const unsigned char *p)
{
    return p[0] == '<' && p[1] == '/' && p[2] == 's' && p[3] == '>';
}

/* The next piece at or after *cursor: returns its first byte and sets *len,
 * or returns NULL at the end of the text. Advances *cursor past the piece. */
static inline const char *next_piece(const unsigned char **cursor, size_t *len)
{
    const unsigned char *p = *cursor;
    while (byte_class[*p] == BYTE_SPACE) p++;
    const unsigned char *start = p;
    switch (byte_class[*p]) {
    case BYTE_END:
        *cursor = p;
        return NULL;
    case BYTE_PUNCT:
        p += is_eos_at(p) ? 4 : 1;
        break;
    default:
        while (byte_class[*p] == BYTE_WORD) p++;
    }
    *len = (size_t)(p - start);
    *cursor = p;
    return (const char *)start;
}

size_t tokenizer_split(const char *text,
                       void (*emit)(const char *piece, size_t len, void *ctx), void *ctx)
{
    const unsigned char *cursor = (const unsigned char *)text;
    const char *piece;
    size_t len, count = 0;
    while ((piece = next_piece(&cursor, &len)) != NULL) {
        if (emit) emit(piece, len, ctx);
        count++;
    }
    return count;
}

/* ---- the vocabulary's hash table --------------------------------------- */

static inline uint32_t hash_piece(const char *s, size_t len)
{
    uint32_t h = 2166136261u;                 /* FNV-1a, 32 bits */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Does the NUL-terminated word equal the len bytes of piece? Stops at the
 * word's NUL, so a short word is never read past its end. */
static inline int word_equals(const char *word, const char *piece, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (word[i] != piece[i] || word[i] == '\0') return 0;
    return word[len] == '\0';
}

int vocab_lookup(const Vocab *vocab, const char *piece, size_t len)
{
    return vocab->lowercase ? vocab_lookup_folded(vocab, piece, len) : vocab_lookup_exact(vocab, piece, len);
}

int vocab_lookup_exact(const Vocab *vocab, const char *piece, size_t len)
{
    if (vocab->n_slots == 0 || len == 0) return -1;
    size_t mask = vocab->n_slots - 1;
    for (size_t i = hash_piece(piece, len) & mask;; i = (i + 1) & mask) {
        int slot = vocab->slots[i];
        if (slot == 0) return -1;
        if (word_equals(vocab->words[slot - 1], piece, len)) return slot - 1;
    }
}

/* Give vocab the size words (taking ownership) and index them. Returns 0,
 * or -1 after fail() on a duplicate or no memory; the caller frees. */
static int vocab_install(Vocab *vocab, char **words, int size)
{
    vocab->words = words;
    vocab->size = size;
    vocab->n_slots = 8;
    while (vocab->n_slots <= 2 * (size_t)size) vocab->n_slots *= 2;
    vocab->slots = xcalloc(vocab->n_slots, sizeof *vocab->slots);
    if (!vocab->slots) return -1;
    size_t mask = vocab->n_slots - 1;
    for (int id = 0; id < size; id++) {
        const char *word = words[id];
        size_t len = strlen(word), i = hash_piece(word, len) & mask;
        for (; vocab->slots[i] != 0; i = (i + 1) & mask) {
            int other = vocab->slots[i] - 1;
            if (strcmp(words[other], word) == 0)
                return fail("vocabulary entry %d: duplicate word \"%.60s\" (also entry %d)",
                            id, word, other);
        }
        vocab->slots[i] = id + 1;
    }
    return 0;
}

void vocab_free(Vocab *vocab)
{
    if (vocab->words)
        for (int id = 0; id < vocab->size; id++) free(vocab->words[id]);
    free(vocab->words);
    free(vocab->slots);
    memset(vocab, 0, sizeof *vocab);
}

/* ---- building the vocabulary ------------------------------------------- */

/* The distinct pieces of the training texts, as (pointer, length) views into
 * them, in an open-addressing set that doubles when half full. */
typedef struct {
    const char *text;   /* NULL marks an empty slot */
    size_t len;
    uint32_t hash;
} PieceRef;

typedef struct {
    PieceRef *slots;
    size_t n_slots, count;
} PieceSet;

static void piece_set_put(PieceRef *slots, size_t n_slots, PieceRef piece)
{
    size_t i = piece.hash & (n_slots - 1);
    while (slots[i].text) i = (i + 1) & (n_slots - 1);
    slots[i] = piece;
}

static int piece_set_grow(PieceSet *set)
{
    size_t n_slots = set->n_slots ? set->n_slots * 2 : 1024;
    PieceRef *slots = xcalloc(n_slots, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < set->n_slots; i++)
        if (set->slots[i].text) piece_set_put(slots, n_slots, set->slots[i]);
    free(set->slots);
    set->slots = slots;
    set->n_slots = n_slots;
    return 0;
}

static int piece_set_add(PieceSet *set, const char *text, size_t len)
{
    uint32_t hash = hash_piece(text, len);
    size_t mask = set->n_slots - 1;
    for (size_t i = hash & mask; set->slots[i].text; i = (i + 1) & mask) {
        const PieceRef *seen = &set->slots[i];
        if (seen->hash == hash && seen->len == len && memcmp(seen->text, text, len) == 0)
            return 0;
    }
    if (2 * (set->count + 1) > set->n_slots && piece_set_grow(set) != 0) return -1;
    piece_set_put(set->slots, set->n_slots, (PieceRef){ text, len, hash });
    set->count++;
    return 0;
}

/* strcmp order for pieces that are not NUL-terminated. */
static int compare_pieces(const void *a, const void *b)
{
    const PieceRef *x = a, *y = b;
    int c = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);
    if (c != 0) return c;
    return (x->len > y->len) - (x->len < y->len);
}

int vocab_build(Vocab *vocab, const char *const *texts, size_t n)
{
    memset(vocab, 0, sizeof *vocab);
    PieceSet set = { 0 };
    if (piece_set_grow(&set) != 0) return -1;
    for (size_t t = 0; t < n; t++) {
        const unsigned char *cursor = (const unsigned char *)texts[t];
        const char *piece;
        size_t len;
        while ((piece = next_piece(&cursor, &len)) != NULL) {
            if (len == 4 && memcmp(piece, "</s>", 4) == 0) continue;  /* a special */
            if (piece_set_add(&set, piece, len) != 0) { free(set.slots); return -1; }
        }
    }
    if (set.count > (size_t)(INT_MAX / 4)) {
        free(set.slots);
        return fail("vocabulary: %zu distinct words is too many", set.count);
    }

    /* Pack the set's occupied slots to its front and sort them. */
    size_t count = 0;
    for (size_t i = 0; i < set.n_slots; i++)
        if (set.slots[i].text) set.slots[count++] = set.slots[i];
    qsort(set.slots, count, sizeof *set.slots, compare_pieces);

    int size = TOKEN_N_SPECIAL + (int)count;
    char **words = xcalloc((size_t)size, sizeof *words);
    int rc = words ? 0 : -1;
    for (int id = 0; rc == 0 && id < size; id++) {
        if (id < TOKEN_N_SPECIAL) {
            words[id] = xstrdup(special_words[id]);
        } else {
            const PieceRef *piece = &set.slots[id - TOKEN_N_SPECIAL];
            words[id] = xmalloc(piece->len + 1, 1);
            if (words[id]) {
                memcpy(words[id], piece->text, piece->len);
                words[id][piece->len] = '\0';
            }
        }
        if (!words[id]) rc = -1;
    }
    free(set.slots);
    if (rc == 0) rc = vocab_install(vocab, words, size);
    else if (words) { vocab->words = words; vocab->size = size; }
    if (rc != 0) vocab_free(vocab);
    return rc;
}

int vocab_from_words(Vocab *vocab, const char *const *words, int n)
{
    memset(vocab, 0, sizeof *vocab);
    if (n < TOKEN_N_SPECIAL)
        return fail("vocabulary has %d entries; it needs at least the %d special tokens",
                    n, TOKEN_N_SPECIAL);
    for (int id = 0; id < n; id++) {
        const char *word = words[id];
        if (!word || word[0] == '\0')
            return fail("vocabulary entry %d: empty word", id);
        if (id < TOKEN_N_SPECIAL && strcmp(word, special_words[id]) != 0)
            return fail("vocabulary entry %d: expected the special token \"%s\", found \"%.60s\"",
                        id, special_words[id], word);
        for (const unsigned char *p = (const unsigned char *)word; *p; p++)
            if (byte_class[*p] == BYTE_SPACE)
                return fail("vocabulary entry %d: word \"%.60s\" contains whitespace", id, word);
    }
    char **copies = xcalloc((size_t)n, sizeof *copies);
    if (!copies) return -1;
    vocab->words = copies;
    vocab->size = n;
    for (int id = 0; id < n; id++) {
        copies[id] = xstrdup(words[id]);
        if (!copies[id]) { vocab_free(vocab); return -1; }
    }
    if (vocab_install(vocab, copies, n) != 0) {
        vocab_free(vocab);
        return -1;
    }
    return 0;
}

/* ---- encoding ---------------------------------------------------------- */

int tokenizer_encode(const Vocab *vocab, const char *text, int *ids, int max_ids)
{
    const unsigned char *cursor = (const unsigned char *)text;
    const char *piece;
    size_t len, count = 0, limit = max_ids > 0 ? (size_t)max_ids : 0;
    while ((piece = next_piece(&cursor, &len)) != NULL) {
        if (count < limit) {
            int id = vocab_lookup(vocab, piece, len);
            ids[count] = id >= 0 ? id : TOKEN_UNK;
        }
        count++;
    }
    return count > INT_MAX ? INT_MAX : (int)count;
}

/* next_piece over text[0..end) rather than up to a NUL (a NUL byte counts
 * as whitespace here). */
static inline const char *next_piece_bounded(const unsigned char **cursor, const unsigned char *end,
                                             size_t *len)
{
    const unsigned char *p = *cursor;
    while (p < end && (byte_class[*p] == BYTE_SPACE || byte_class[*p] == BYTE_END)) p++;
    if (p == end) {
        *cursor = p;
        return NULL;
    }
    const unsigned char *start = p;
    if (byte_class[*p] == BYTE_PUNCT)
        p += end - p >= 4 && is_eos_at(p) ? 4 : 1;
    else
        while (p < end && byte_class[*p] == BYTE_WORD) p++;
    *len = (size_t)(p - start);
    *cursor = p;
    return (const char *)start;
}

size_t tokenizer_encode_len(const Vocab *vocab, const char *text, size_t len, int32_t *ids, size_t cap)
{
    const unsigned char *cursor = (const unsigned char *)text, *end = cursor + len;
    const char *piece;
    size_t n, count = 0;
    while ((piece = next_piece_bounded(&cursor, end, &n)) != NULL) {
        if (count < cap) {
            int id = vocab_lookup(vocab, piece, n);
            ids[count] = id >= 0 ? id : TOKEN_UNK;
        }
        count++;
    }
    return count;
}

const char *tokenizer_piece(const Vocab *vocab, int id)
{
    if (id < 0 || id >= vocab->size) id = TOKEN_UNK;
    return vocab->words[id];
}

int find_answer_start(const Vocab *vocab, const int *ids, int n)
{
    int assistant = vocab_lookup(vocab, "Assistant", 9), colon = vocab_lookup(vocab, ":", 1);
    if (assistant < 0 || colon < 0) return 0;
    for (int i = n - 2; i >= 0; i--)
        if (ids[i] == assistant && ids[i + 1] == colon) return i + 2;
    return 0;
}
