/*
 * spm.c — the SentencePiece tokenizer of Llama-family GGUF files
 * (tokenizer.ggml.model = "llama"), as llama.cpp runs it.
 *
 * The vocabulary is tokenizer.ggml.tokens with a score per piece
 * (tokenizer.ggml.scores) and a type (tokenizer.ggml.token_type: 1 normal,
 * 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). Spaces are
 * written U+2581 "▁" inside pieces, and a text gets one "▁" in front (the
 * space prefix) at its start and after each special token.
 *
 * Encoding one stretch of text (the BPE-like merge of SentencePiece's
 * "unigram with scores" vocabularies, as llama.cpp's llm_tokenizer_spm):
 *   1. split it into UTF-8 characters, one symbol each;
 *   2. put every adjacent pair whose concatenation is a piece into a
 *      priority queue keyed by that piece's score (ties: leftmost first);
 *   3. pop the best pair, merge it if both halves are still intact, and
 *      queue the new symbol's pairs with its neighbours; repeat;
 *   4. emit each final symbol's id; a character that is no piece becomes
 *      its UTF-8 bytes as the byte pieces <0x41>... (byte fallback), or
 *      the unknown token when the vocabulary has no byte pieces.
 * Special tokens (control, user-defined) are cut out of the text first,
 * longest first; user-defined ones always, control ones only when asked
 * (RG_TOKENIZE_PARSE_SPECIAL). BOS (and EOS) are added as the file says
 * (tokenizer.ggml.add_bos_token, default on; add_eos_token, default off).
 *
 * Decoding maps "▁" back to spaces and byte pieces back to bytes; control
 * tokens produce nothing. The space prefix is removed again after a
 * leading BOS, so decode(encode(text)) == text.
 *
 * Encoding allocates its scratch (symbols, queue) per call. The vocabulary
 * is read from the model's metadata in spm_vocab.c.
 */
#include "tokenizers/spm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- encoding ----------------------------------------------------------- */

typedef struct { int32_t *ids; size_t cap, n; } id_out;

static void emit(id_out *o, int32_t id)
{
    if (o->n < o->cap) o->ids[o->n] = id;
    o->n++;
}

typedef struct { int32_t prev, next; uint32_t off, n; } symbol;
typedef struct { int32_t left, right; float score; uint32_t size; } bigram;

/* Is a popped before b? Higher score first, then the leftmost pair. */
static int before(const bigram *a, const bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(bigram *heap, size_t *n, bigram b)
{
    size_t i = (*n)++;
    while (i > 0 && before(&b, &heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = b;
}

static bigram heap_pop(bigram *heap, size_t *n)
{
    bigram top = heap[0], last = heap[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && before(&heap[c + 1], &heap[c])) c++;
        if (!before(&heap[c], &last)) break;
        heap[i] = heap[c];
        i = c;
    }
    if (*n > 0) heap[i] = last;
    return top;
}

static void try_pair(const spm *t, const char *text, const symbol *sym, int32_t left,
                     int32_t right, bigram *heap, size_t *n_heap)
{
    if (left < 0 || right < 0) return;
    uint32_t size = sym[left].n + sym[right].n;
    int32_t id = spm_lookup(t, text + sym[left].off, size);
    if (id < 0) return;
    heap_push(heap, n_heap, (bigram){ left, right, t->score[id], size });
}

/* The bytes a UTF-8 sequence starting with byte c claims (1 for a stray
 * continuation byte), as llama.cpp's unicode_len_utf8. */
static uint32_t utf8_len(unsigned char c)
{
    static const uint8_t len[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
    return len[c >> 4];
}

/* Steps 1-4 of the header over text[0..len) (spaces already "▁"). */
static int encode_piece_text(const spm *t, const char *text, size_t len, id_out *o)
{
    if (len == 0) return 0;
    symbol *sym = xmalloc(len, sizeof *sym);
    bigram *heap = xmalloc(3 * len + 1, sizeof *heap);
    if (!sym || !heap) {
        free(sym); free(heap);
        return fail("spm: out of memory encoding %zu bytes", len);
    }
    int32_t n_sym = 0;
    for (size_t off = 0; off < len; n_sym++) {
        uint32_t n = utf8_len((unsigned char)text[off]);
        if (n > len - off) n = (uint32_t)(len - off);
        sym[n_sym] = (symbol){ n_sym - 1, off + n == len ? -1 : n_sym + 1, (uint32_t)off, n };
        off += n;
    }
    size_t n_heap = 0;
    for (int32_t i = 1; i < n_sym; i++) try_pair(t, text, sym, i - 1, i, heap, &n_heap);
    while (n_heap > 0) {
        bigram b = heap_pop(heap, &n_heap);
        symbol *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;   /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        try_pair(t, text, sym, l->prev, b.left, heap, &n_heap);
        try_pair(t, text, sym, b.left, l->next, heap, &n_heap);
    }
    for (int32_t i = 0; i != -1; i = sym[i].next) {
        int32_t id = spm_lookup(t, text + sym[i].off, sym[i].n);
        if (id >= 0) {
            emit(o, id);
            continue;
        }
        for (uint32_t j = 0; j < sym[i].n; j++) {   /* byte fallback */
            unsigned char c = (unsigned char)text[sym[i].off + j];
            int32_t b = t->byte_id[c] >= 0 ? t->byte_id[c] : t->unk;
            if (b < 0) {    /* no piece, no byte piece, no unknown token: no id to give */
                free(sym);
                free(heap);
                return fail("spm: byte 0x%02x has no piece, no byte piece <0x%02X>, and the vocabulary "
                            "has no unknown token", c, c);
            }
            emit(o, b);
        }
    }
    free(sym);
    free(heap);
    return 0;
}

/* The first occurrence of needle[0..m) in hay[0..n), or NULL. */
static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || m > n) return NULL;
    for (const char *p = hay; p + m <= hay + n; p++) {
        p = memchr(p, needle[0], (size_t)(hay + n - p - m + 1));
        if (!p) return NULL;
        if (memcmp(p, needle, m) == 0) return p;
    }
    return NULL;
}

/* A stretch of the input: special token id, or raw text (id -1). */
typedef struct { int32_t id; size_t off, len; } fragment;

/* Cut the special pieces out of text, longest piece first, as llama.cpp's
 * tokenizer_st_partition does. *frags grows as needed; returns the count. */
static int64_t partition(const spm *t, const char *text, size_t len, int parse_special,
                         fragment **frags)
{
    size_t cap = 16, n = 1;
    fragment *f = xmalloc(cap, sizeof *f);
    if (!f) return -1;
    f[0] = (fragment){ -1, 0, len };
    for (int32_t k = 0; k < t->n_specials; k++) {
        int32_t id = t->specials[k];
        if (!parse_special && t->type[id] != TYPE_USER) continue;
        const char *p = t->piece[id];
        size_t plen = t->len[id];
        if (!find_bytes(text, len, p, plen)) continue;
        for (size_t i = 0; i < n; i++) {
            if (f[i].id >= 0) continue;
            const char *hit = find_bytes(text + f[i].off, f[i].len, p, plen);
            if (!hit) continue;
            /* split f[i] into [before] [token] [after]; the after part is
             * searched again on the next iteration of i. */
            if (n + 2 > cap) {
                fragment *g = realloc(f, 2 * cap * sizeof *f);
                if (!g) {
                    free(f);
                    return fail("out of memory tokenizing");
                }
                f = g;
                cap *= 2;
            }
            size_t at = (size_t)(hit - text), end = f[i].off + f[i].len;
            fragment before_part = { -1, f[i].off, at - f[i].off };
            fragment token = { id, at, plen };
            fragment after = { -1, at + plen, end - at - plen };
            fragment repl[3];
            int m = 0;
            if (before_part.len) repl[m++] = before_part;
            repl[m++] = token;
            if (after.len) repl[m++] = after;
            memmove(f + i + m, f + i + 1, (n - i - 1) * sizeof *f);
            memcpy(f + i, repl, (size_t)m * sizeof *f);
            n += (size_t)m - 1;
            i += (size_t)(before_part.len ? 1 : 0);   /* now at the token; the loop steps past it */
        }
    }
    *frags = f;
    return (int64_t)n;
}

static rg_status encode(const void *state, const char *text, size_t len, int flags,
                        int32_t *ids, size_t cap, size_t *n_out)
{
    const spm *t = state;
    id_out o = { ids, cap, 0 };
    int add_special = (flags & RG_TOKENIZE_ADD_SPECIAL) != 0;
    if (add_special && t->add_bos && t->bos >= 0) emit(&o, t->bos);
    fragment *frags = NULL;
    int64_t n_frags = len > 0 ? partition(t, text, len, (flags & RG_TOKENIZE_PARSE_SPECIAL) != 0, &frags) : 0;
    if (n_frags < 0) return RG_ERR_NOMEM;
    /* the longest stretch, escaped: 3 bytes per space plus the prefix */
    char *escaped = xmalloc(3 * len + 4, 1);
    if (!escaped) {
        free(frags);
        return RG_ERR_NOMEM;
    }
    int prev_special = 1;
    for (int64_t i = 0; i < n_frags; i++) {
        if (frags[i].id >= 0) {
            emit(&o, frags[i].id);
            prev_special = 1;
            continue;
        }
        size_t n = 0;
        if (t->add_space_prefix && prev_special) {
            memcpy(escaped, SPACE_MARK, 3);
            n = 3;
        }
        for (size_t j = 0; j < frags[i].len; j++) {
            char c = text[frags[i].off + j];
            if (c == ' ') {
                memcpy(escaped + n, SPACE_MARK, 3);
                n += 3;
            } else {
                escaped[n++] = c;
            }
        }
        if (encode_piece_text(t, escaped, n, &o) < 0) {   /* the message is recorded */
            free(escaped); free(frags);
            return RG_ERR_FORMAT;
        }
        prev_special = 0;
    }
    free(escaped);
    free(frags);
    if (add_special && t->add_eos && t->eos >= 0) emit(&o, t->eos);
    *n_out = o.n;
    if (o.n > cap) {
        fail("tokenize: %zu ids do not fit in %zu", o.n, cap);
        return RG_ERR_TOO_SMALL;
    }
    return RG_OK;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct { char *buf; size_t cap, n; } byte_out;

static void put(byte_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, o->n++)
        if (o->n < o->cap) o->buf[o->n] = s[i];
}

static rg_status decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap,
                        size_t *len_out)
{
    const spm *t = state;
    byte_out o = { buf, cap, 0 };
    /* after a leading BOS the first piece's space prefix is dropped */
    int strip = t->add_space_prefix && n > 0 && ids[0] == t->bos;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= t->n_vocab) {
            fail("detokenize: id %d is outside the vocabulary of %d", id, t->n_vocab);
            return RG_ERR_INVALID;
        }
        switch (t->type[id]) {
        case TYPE_CONTROL: case TYPE_UNUSED:
            continue;
        case TYPE_UNKNOWN:
            put(&o, "\xe2\x96\x85", 3);   /* llama.cpp shows U+2585 */
            break;
        case TYPE_BYTE: {
            unsigned byte;
            if (t->len[id] == 6 && sscanf(t->piece[id], "<0x%2X>", &byte) == 1) {
                char c = (char)byte;
                put(&o, &c, 1);
            } else {
                put(&o, t->piece[id], t->len[id]);
            }
            break;
        }
        default: {
            const char *p = t->piece[id];
            size_t len = t->len[id];
            for (size_t j = 0; j < len;) {
                if (len - j >= 3 && memcmp(p + j, SPACE_MARK, 3) == 0) {
                    if (!strip) put(&o, " ", 1);
                    j += 3;
                } else {
                    put(&o, p + j, 1);
                    j++;
                }
                strip = 0;
            }
        }
        }
        strip = 0;
    }
    *len_out = o.n;
    if (o.n > cap) {
        fail("detokenize: %zu bytes do not fit in %zu", o.n, cap);
        return RG_ERR_TOO_SMALL;
    }
    if (o.n < cap) buf[o.n] = '\0';
    return RG_OK;
}

/* ---- the rest of the vtable ------------------------------------------------ */

static int32_t n_vocab(const void *state) { return ((const spm *)state)->n_vocab; }

static int32_t special(const void *state, rg_special which)
{
    const spm *t = state;
    switch (which) {
    case RG_SPECIAL_BOS: return t->bos;
    case RG_SPECIAL_EOS: return t->eos;
    case RG_SPECIAL_PAD: return t->pad;
    case RG_SPECIAL_UNK: return t->unk;
    default: return -1;
    }
}

static const char *piece(const void *state, int32_t id, size_t *len)
{
    const spm *t = state;
    if (id < 0 || id >= t->n_vocab) return NULL;
    if (len) *len = t->len[id];
    return t->piece[id];
}

/* Write the vocabulary back as tokenizer.ggml.* keys. */

const rg_tokenizer_vtable spm_tokenizer = {
    .abi_version = RG_ABI_VERSION,
    .name = "spm",
    .version = 1,
    .from_source = spm_from_source,
    .to_source = spm_to_source,
    .destroy = spm_destroy,
    .n_vocab = n_vocab,
    .special = special,
    .encode = encode,
    .decode = decode,
    .piece = piece,
};
