/*
 * bpe.h — byte-level byte-pair encoding, as GPT-2, tiktoken (r50k_base,
 * cl100k_base, o200k_base) and Hugging Face's byte-level BPE models do it.
 *
 * Encoding a text takes three steps (docs/14-subword-tokenizers.md):
 *   1. special tokens ("<|endoftext|>") are cut out when the caller allows
 *      them (bpe_pretok.c);
 *   2. the rest is split into pre-tokens by the tokenizer's regular
 *      expression (PCRE2 with JIT, Unicode properties: bpe_pretok.c);
 *   3. each pre-token starts as one token per byte and adjacent pairs are
 *      merged, lowest rank first, until no adjacent pair has a rank (bpe.c).
 * Decoding concatenates the bytes of the tokens, so decode(encode(x)) == x
 * for any bytes, invalid UTF-8 included.
 *
 * Two rank conventions exist and both are kept exactly:
 *   - tiktoken: the rank of a pair is the id of the token its concatenated
 *     bytes form, and a pre-token that is itself a token is that token
 *     ("whole-piece lookup");
 *   - Hugging Face / GPT-2 merges.txt: the rank of a pair is the line of its
 *     merge rule, and only listed pairs merge (unless "ignore_merges").
 * Both become one table: (left id, right id) -> (rank, merged id).
 *
 * Files: bpe.c (tables, decode), bpe_encode.c (specials, piece cache,
 * merge), bpe_pretok.c (the regex), bpe_scan.c (its ASCII fast path),
 * bpe_parallel.c (many threads), bpe_load.c and bpe_load_hf.c (tiktoken,
 * npm, vocab.json + merges.txt and tokenizer.json readers), bpe_save.c
 * (the tokenizer.json writer), bpe_train.c (learning merges from text),
 * bpe_vtable.c (the rg_tokenizer_vtable and GGUF metadata).
 */
#ifndef RUSTGPT_BPE_H
#define RUSTGPT_BPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct Bpe Bpe;

/* The most ids a file may declare (the largest real vocabularies have
 * about 260,000): bounds what a malformed file can make us allocate. */
#define BPE_MAX_IDS (1u << 22)

/* The pre-tokenization patterns of tiktoken's encodings, verbatim. */
extern const char BPE_PATTERN_GPT2[];    /* gpt2, r50k_base, p50k_base */
extern const char BPE_PATTERN_CL100K[];
extern const char BPE_PATTERN_O200K[];

/* ---- building (used by the loaders and the trainer) ---- */

/* An empty tokenizer of n_ids id slots (ids without bytes are holes). */
Bpe *bpe_new(uint32_t n_ids);
/* Give id its bytes (copied). Fails on a duplicate id or duplicate bytes. */
int bpe_set_token(Bpe *bpe, uint32_t id, const void *bytes, size_t len);
/* A merge rule, HF style: pair (left, right) of rank `rank` makes `merged`. */
int bpe_add_merge(Bpe *bpe, uint32_t left, uint32_t right, uint32_t rank, uint32_t merged);
/* tiktoken style: derive every pair rule from the tokens' bytes (a token of
 * rank r is made from any split into two tokens, with rank r) and turn on
 * whole-piece lookup. Call after every bpe_set_token. */
int bpe_derive_merges_from_ranks(Bpe *bpe);
/* Whole-piece lookup (tiktoken; HF "ignore_merges"). */
void bpe_set_whole_lookup(Bpe *bpe, int on);
/* A special token: text that, when allowed, is cut out as one id. */
int bpe_add_special(Bpe *bpe, const char *text, size_t len, uint32_t id);
/* The pre-tokenization regular expression (PCRE2 syntax after the fixes of
 * bpe_pretok.c). NULL or "" means no split (one pre-token per text). */
int bpe_set_pattern(Bpe *bpe, const char *pattern);
/* Check the tables (every single byte a token, ...) and finish building.
 * Returns -1 after fail() naming what is wrong. */
int bpe_finish(Bpe *bpe, const char *what);
void bpe_free(Bpe *bpe);

/* Beginning / end of text ids, -1 when none (GGUF metadata sets them). */
void bpe_set_bos_eos(Bpe *bpe, int32_t bos, int32_t eos);
int32_t bpe_bos(const Bpe *bpe);
int32_t bpe_eos(const Bpe *bpe);

/* ---- queries ---- */

uint32_t bpe_n_ids(const Bpe *bpe);         /* largest id + 1 */
/* The bytes of id (a special's text for a special), NULL for a hole. */
const char *bpe_token_bytes(const Bpe *bpe, int32_t id, size_t *len);
int bpe_is_special(const Bpe *bpe, int32_t id);
int bpe_n_special(const Bpe *bpe);
const char *bpe_special_at(const Bpe *bpe, int i, size_t *len, uint32_t *id);
const char *bpe_pattern(const Bpe *bpe);
int bpe_whole_lookup(const Bpe *bpe);
/* The id of exactly these bytes, or -1. */
int32_t bpe_lookup(const Bpe *bpe, const void *bytes, size_t len);
/* The merge rules in rank order: calls fn(left, right, merged) for each rule
 * of the canonical merge of every token (one split per token, as
 * merges.txt lists them). Returns -1 if fn does. */
int bpe_each_merge(const Bpe *bpe, int (*fn)(uint32_t left, uint32_t right, void *ctx), void *ctx);

/* ---- encoding ---- */

enum { BPE_PARSE_SPECIAL = 1 };

/* Encode text[0..len) into ids. Writes at most cap ids and sets *n_out to
 * the number the text needs. Returns 0, or -1 after fail() (a pre-token over
 * BPE_MAX_PIECE bytes, out of memory). Invalid UTF-8 and bytes the pattern
 * does not match are encoded byte by byte, so nothing is ever dropped. */
#define BPE_MAX_PIECE ((size_t)256 << 20)
int bpe_encode(const Bpe *bpe, const char *text, size_t len, int flags,
               int32_t *ids, size_t cap, size_t *n_out);
/* The first special text in text[0..len): its offset, or -1 (tiktoken refuses
 * such text unless specials are allowed). *id gets its id. */
long bpe_find_special(const Bpe *bpe, const char *text, size_t len, int32_t *id);
/* Merge one pre-token (no regex, no specials): appends to ids as above. */
int bpe_encode_piece(const Bpe *bpe, const unsigned char *piece, size_t len,
                     int32_t *ids, size_t cap, size_t *n_out);
/* Calls fn for each pre-token of text (specials not cut): start, length. The
 * gaps the pattern does not match are reported as pre-tokens too. */
int bpe_pretokenize(const Bpe *bpe, const char *text, size_t len,
                    int (*fn)(const char *piece, size_t n, void *ctx), void *ctx);

/* Encode a large text on n_threads cores (bpe_parallel.c): the same ids as
 * bpe_encode. Needs cap >= len (the chunks use the array as scratch) and one
 * of the known patterns; otherwise it is bpe_encode on one thread. */
int bpe_encode_parallel(const Bpe *bpe, const char *text, size_t len, int flags, int n_threads,
                        int32_t *ids, size_t cap, size_t *n_out);
/* Safe places to cut a text for the known patterns (bpe_parallel.c says
 * which; never inside one of bpe's specials): is p one, the first at or
 * after from (0 when none), and does this tokenizer's pattern allow them at
 * all. */
int bpe_safe_cut(const Bpe *bpe, const char *text, size_t p, size_t len);
size_t bpe_next_safe_cut(const Bpe *bpe, const char *text, size_t from, size_t len);
int bpe_cuts_are_safe(const Bpe *bpe);

/* Decode ids: concatenated bytes into buf[0..cap), *len_out the length the
 * whole needs. -1 after fail() for an id outside the vocabulary. */
int bpe_decode(const Bpe *bpe, const int32_t *ids, size_t n, char *buf, size_t cap, size_t *len_out);

/* GPT-2's reversible byte <-> printable-character map: byte b is the code
 * point bpe_byte_to_unicode(b); every token of a vocab.json / tokenizer.json
 * / GGUF "gpt2" vocabulary is written in that alphabet. bpe_bytes_to_gpt2
 * writes the UTF-8 form of bytes into out (3*len+1 bytes) and returns its
 * length; bpe_gpt2_to_bytes the reverse into out (len bytes) and returns the
 * length, or -1 when a character is outside the alphabet. */
uint32_t bpe_byte_to_unicode(unsigned char b);
size_t bpe_bytes_to_gpt2(const void *bytes, size_t len, char *out);
long bpe_gpt2_to_bytes(const char *text, size_t len, unsigned char *out);

/* ---- files (bpe_load.c) ---- */

/* Load any of the file forms below, chosen by content; or a built-in name
 * ("cl100k_base", "o200k_base", "r50k_base", "gpt2", "p50k_base") looked up
 * in the data directories (bpe_data_path). */
Bpe *bpe_load(const char *name_or_path);
Bpe *bpe_load_tiktoken(const char *path, const char *pattern);  /* .tiktoken */
Bpe *bpe_load_npm_json(const char *path);       /* tiktoken's encoders/NAME.json */
Bpe *bpe_load_vocab_merges(const char *vocab_json, const char *merges_txt);
Bpe *bpe_load_hf_json(const char *path);        /* tokenizer.json, model BPE */
/* The same from a buffer (not NUL-terminated): what names it in errors. */
Bpe *bpe_from_hf_text(const char *text, size_t len, const char *what);
Bpe *bpe_from_tiktoken_text(const char *text, size_t len, const char *what, const char *pattern);
Bpe *bpe_from_npm_text(const char *text, size_t len, const char *what);
Bpe *bpe_from_vocab_merges_text(const char *vocab, size_t vocab_len, const char *merges, size_t merges_len,
                                 const char *vocab_what, const char *merges_what);
/* Save as a Hugging Face tokenizer.json, atomically. */
int bpe_save_hf_json(const Bpe *bpe, const char *path);
/* The file of a built-in name: $RUSTGPT_DATA/tokenizers/NAME.json (or
 * .tiktoken), the installed data dir, then ./data/tokenizers. Returns a
 * malloc'd path, or NULL after fail() listing where it looked. */
char *bpe_data_path(const char *name);

/* ---- training (bpe_train.c) ---- */

typedef struct {
    uint32_t vocab_size;            /* total, specials and 256 bytes included */
    const char *pattern;            /* pre-tokenization; NULL: cl100k's */
    const char *const *specials;    /* appended after the merges */
    size_t n_specials;
    int n_threads;                  /* 0: all cores */
} BpeTrainOptions;
Bpe *bpe_train(const char *const *texts, const size_t *lens, size_t n, const BpeTrainOptions *opt);

#endif
