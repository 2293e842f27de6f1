/*
 * tokenizer.h — words to token ids and back (DESIGN.md §3).
 *
 * Word level, as in the original RustGPT: text is split on whitespace and
 * every ASCII punctuation character is a token of its own; case is kept.
 * Three special tokens come first: <pad> (0) fills batches, <unk> (1) stands
 * for any word the vocabulary lacks, </s> (2) ends a sequence (the literal
 * text "</s>" is that token, not five punctuation pieces).
 *
 * The vocabulary is built from the training data: the specials, then every
 * distinct word sorted by byte value, so the same data always gives the same
 * ids whatever order it came in. It is saved inside every model file.
 *
 * A lowercase vocabulary (`train --lowercase`) is built from case-folded
 * text, and every lookup folds the piece first, so "Japan", "JAPAN" and
 * "japan" are one token in the data and in what a user types alike. The
 * flag is saved with the words.
 */
#ifndef RUSTGPT_TOKENIZER_H
#define RUSTGPT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

enum { TOKEN_PAD = 0, TOKEN_UNK = 1, TOKEN_EOS = 2, TOKEN_N_SPECIAL = 3 };

typedef struct {
    int size;           /* number of tokens, specials included */
    char **words;       /* words[id]: NUL-terminated piece text */
    int *slots;         /* open-addressing hash table: id+1, 0 = empty */
    size_t n_slots;     /* a power of two, > 2 * size */
    int lowercase;      /* fold case before every lookup (train --lowercase) */
} Vocab;

/* Split text into pieces and call emit(piece, len, ctx) for each, in order.
 * Whitespace is ASCII space, \t \n \v \f \r; every ASCII punctuation byte
 * (ispunct in the C locale) is a piece; any other byte, UTF-8 included, is
 * part of a word. "</s>" is one piece wherever it stands ("done.</s>" is
 * "done" "." "</s>"). emit may be NULL to only count. Returns the number of
 * pieces. */
size_t tokenizer_split(const char *text,
                       void (*emit)(const char *piece, size_t len, void *ctx), void *ctx);

/* Build the vocabulary from n texts (specials first, then sorted words).
 * On failure (out of memory, too many words) returns -1 after fail() and
 * leaves *vocab empty; vocab_free() is safe either way. */
int vocab_build(Vocab *vocab, const char *const *texts, size_t n);

/* Build from an explicit word list, as model files store it: words[0..2]
 * must be the specials in order, every word non-empty, unique, without
 * whitespace. Copies the strings. Returns -1 after fail() otherwise, with
 * a message such as "vocabulary entry 7: duplicate word \"the\"" (entries
 * are numbered by id, from 0), leaving *vocab empty. */
int vocab_from_words(Vocab *vocab, const char *const *words, int n);

/* vocab_build over the case-folded texts; the vocabulary is marked
 * lowercase, so lookups fold too. */
int vocab_build_lowercase(Vocab *vocab, const char *const *texts, size_t n);

void vocab_free(Vocab *vocab);

/* Fold the case of len bytes of UTF-8 text into out, which has room for
 * 2 * len bytes (a folded code point takes at most 1.5 times the bytes of
 * the original: U+023A is 2 bytes, its lowercase U+2C65 is 3). Letters take
 * their Unicode lowercase (utf8proc_tolower); every other byte, invalid
 * UTF-8 included, is copied unchanged. Returns the folded length. Folding
 * never changes where the splitter cuts: letters stay word bytes. */
size_t word_fold_case(const char *text, size_t len, char *out);

/* The id of a piece of len bytes, or -1 if it is not in the vocabulary
 * (case-folded first when the vocabulary is lowercase). */
int vocab_lookup(const Vocab *vocab, const char *piece, size_t len);
/* The two ways vocab_lookup goes: the piece's bytes as they are, or folded
 * (word_case.c). */
int vocab_lookup_exact(const Vocab *vocab, const char *piece, size_t len);
int vocab_lookup_folded(const Vocab *vocab, const char *piece, size_t len);

/* Encode text into ids. Writes at most max_ids ids and returns how many the
 * whole text has (which may be more). Unknown pieces become TOKEN_UNK. */
int tokenizer_encode(const Vocab *vocab, const char *text, int *ids, int max_ids);

/* The same over text[0..len) (no NUL needed) into ids[0..cap): returns the
 * number of ids the whole text has, of which the first cap are written. */
size_t tokenizer_encode_len(const Vocab *vocab, const char *text, size_t len, int32_t *ids, size_t cap);

/* ---- decoding ----
 * Tokens are joined with single spaces, except (tokenizer.c has the table):
 *   no space before   . , ! ? ; : ) ] } %
 *   no space after    ( [ { $
 *   none either side  ' - /           ("don ' t" -> "don't", "well-known")
 *   " alternates: an opening quote attaches to the word after it, a closing
 *     one to the word before it (said " hi " . -> said "hi".)
 *   . : between digits, and , before a three-digit group, join a number
 *     ("3 . 14" -> "3.14", "1 , 000" -> "1,000")
 * <pad> is never shown; <unk> and </s> are shown as words ("east. </s>"),
 * so a text written in the usual spacing decodes back to itself.
 * Pairing quotes and joining numbers need the tokens before the last one,
 * which is what a Detokenizer remembers; stream through one. */

/* The text of token id: its vocabulary word ("<pad>" included, which decode
 * leaves out), or "<unk>" for an id out of range. */
const char *tokenizer_piece(const Vocab *vocab, int id);

/* Streaming decoder state. Start with detokenizer_init(); then for each
 * token print detokenizer_next(...) followed by tokenizer_piece(...) (print
 * nothing at all for TOKEN_PAD: detokenizer_next returns "" and ignores it). */
typedef struct {
    int prev;                /* last token shown, -1 before the first */
    int prev_kind;           /* its layout kind (private to tokenizer.c) */
    int digit_before_prev;   /* the token before prev ended in a digit */
    int quote_open;          /* a " has been shown and not yet closed */
} Detokenizer;
void detokenizer_init(Detokenizer *detok);
const char *detokenizer_next(Detokenizer *detok, const Vocab *vocab, int id);

/* The text to print between token prev and token next when streaming
 * ("" or " "): punctuation attaches as a reader expects. prev < 0 means
 * next is the first token. Stateless, so it does the rules above except the
 * two that need context: a " is spaced like a word, and numbers are not
 * joined. A Detokenizer does all of them. */
const char *tokenizer_separator(const Vocab *vocab, int prev, int next);

/* Decode ids to text joined with a Detokenizer, NUL-terminated and cut to
 * fit cap bytes (as snprintf does). Returns the length the whole text
 * needs, not counting the NUL. */
size_t tokenizer_decode(const Vocab *vocab, const int *ids, int n, char *buf, size_t cap);

/* In a chat example "User : ... Assistant : answer </s>" as ids [n], the
 * index just after the last "Assistant :" — where the answer starts — or 0
 * when there is none. Used to mask prompts and to check answers. */
int find_answer_start(const Vocab *vocab, const int *ids, int n);

#endif
