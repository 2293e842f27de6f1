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
 * Encoding allocates its scratch (symbols, queue) per call.
 */
#include "tokenizers/spm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER = 4, TYPE_UNUSED = 5,
       TYPE_BYTE = 6 };

static const char SPACE_MARK[] = "\xe2\x96\x81";   /* U+2581 ▁ */

typedef struct {
    int32_t n_vocab;
    char *blob;                 /* every piece, NUL after each              */
    const char **piece;         /* [n_vocab] into blob                      */
    uint32_t *len;              /* [n_vocab]                                */
    float *score;               /* [n_vocab]                                */
    uint8_t *type;              /* [n_vocab]                                */
    int32_t *slots;             /* hash table of piece -> id (id+1, 0 empty) */
    uint32_t n_slots;           /* power of two                             */
    int32_t byte_id[256];       /* <0xXX> pieces, -1 where absent           */
    int32_t *specials;          /* control/user/unknown ids, longest first  */
    int32_t n_specials;
    int32_t bos, eos, unk, pad;
    int add_bos, add_eos, add_space_prefix;
} spm;

/* ---- the piece table --------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;                     /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int32_t lookup(const spm *t, const char *s, size_t n)
{
    for (uint32_t i = hash_bytes(s, n) & (t->n_slots - 1);; i = (i + 1) & (t->n_slots - 1)) {
        int32_t id = t->slots[i] - 1;
        if (id < 0) return -1;
        if (t->len[id] == n && memcmp(t->piece[id], s, n) == 0) return id;
    }
}

static void destroy(void *state)
{
    spm *t = state;
    if (!t) return;
    free(t->blob); free(t->piece); free(t->len); free(t->score); free(t->type);
    free(t->slots); free(t->specials);
    free(t);
}

/* Special pieces are sorted by length, longest first (then by id). */
typedef struct { uint32_t len; int32_t id; } special_key;
static int cmp_special(const void *a, const void *b)
{
    const special_key *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int sort_specials(spm *t)
{
    special_key *keys = xmalloc((size_t)t->n_specials + 1, sizeof *keys);
    if (!keys) return -1;
    for (int32_t i = 0; i < t->n_specials; i++) keys[i] = (special_key){ t->len[t->specials[i]], t->specials[i] };
    qsort(keys, (size_t)t->n_specials, sizeof *keys, cmp_special);
    for (int32_t i = 0; i < t->n_specials; i++) t->specials[i] = keys[i].id;
    free(keys);
    return 0;
}

static int read_special_id(const rg_source *src, const char *key, int32_t n_vocab, int32_t *id)
{
    int64_t v;
    if (rg_source_int(src, key, &v) != RG_OK) return 0;
    *id = v >= 0 && v < n_vocab ? (int32_t)v : -1;
    return 0;
}

static void read_flag(const rg_source *src, const char *key, int *flag)
{
    int v;
    if (rg_source_bool(src, key, &v) == RG_OK) *flag = v;
}

static rg_status from_source(const rg_source *src, void **state)
{
    *state = NULL;
    const char *model;
    if (rg_source_string(src, "tokenizer.ggml.model", &model, NULL) != RG_OK ||
        strcmp(model, "llama") != 0) {
        fail("spm: the model's tokenizer is not SentencePiece (tokenizer.ggml.model != \"llama\")");
        return RG_ERR_UNSUPPORTED;
    }
    rg_value_type vt;
    uint64_t n;
    if (rg_source_array(src, "tokenizer.ggml.tokens", &vt, &n) != RG_OK || vt != RG_VALUE_STRING ||
        n == 0 || n > (1u << 24)) {
        fail("spm: tokenizer.ggml.tokens is missing, empty or not a string array");
        return RG_ERR_FORMAT;
    }
    uint64_t n_scores = 0, n_types = 0;
    rg_value_type st = RG_VALUE_FLOAT, tt = RG_VALUE_INT;
    if (rg_source_array(src, "tokenizer.ggml.scores", &st, &n_scores) != RG_OK) n_scores = 0;
    if (rg_source_array(src, "tokenizer.ggml.token_type", &tt, &n_types) != RG_OK) n_types = 0;
    if ((n_scores && (n_scores != n || st != RG_VALUE_FLOAT)) ||
        (n_types && (n_types != n || tt != RG_VALUE_INT))) {
        fail("spm: tokenizer.ggml.scores / token_type do not match the %llu tokens",
             (unsigned long long)n);
        return RG_ERR_FORMAT;
    }

    spm *t = xcalloc(1, sizeof *t);
    if (!t) return RG_ERR_NOMEM;
    t->n_vocab = (int32_t)n;
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        if (rg_source_array_string(src, "tokenizer.ggml.tokens", i, &s, &len) != RG_OK) goto bad;
        total += len + 1;
    }
    t->n_slots = 1;
    while (t->n_slots < 2 * n) t->n_slots <<= 1;
    t->blob = xmalloc(total, 1);
    t->piece = xmalloc(n, sizeof *t->piece);
    t->len = xmalloc(n, sizeof *t->len);
    t->score = xcalloc(n, sizeof *t->score);
    t->type = xmalloc(n, sizeof *t->type);
    t->slots = xcalloc(t->n_slots, sizeof *t->slots);
    t->specials = xmalloc(n, sizeof *t->specials);
    if (!t->blob || !t->piece || !t->len || !t->score || !t->type || !t->slots || !t->specials) {
        destroy(t);
        return RG_ERR_NOMEM;
    }
    for (int i = 0; i < 256; i++) t->byte_id[i] = -1;
    size_t at = 0;
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        double score = 0.0;
        int64_t type = TYPE_NORMAL;
        rg_source_array_string(src, "tokenizer.ggml.tokens", i, &s, &len);
        if (n_scores && rg_source_array_float(src, "tokenizer.ggml.scores", i, &score) != RG_OK) goto bad;
        if (n_types && rg_source_array_int(src, "tokenizer.ggml.token_type", i, &type) != RG_OK) goto bad;
        memcpy(t->blob + at, s, len);
        t->blob[at + len] = '\0';
        t->piece[i] = t->blob + at;
        t->len[i] = (uint32_t)len;
        t->score[i] = (float)score;
        t->type[i] = type >= 0 && type <= 6 ? (uint8_t)type : TYPE_NORMAL;
        at += len + 1;
        /* the last piece wins for duplicate text, as in llama.cpp's map */
        if (len > 0) {
            uint32_t h = hash_bytes(s, len) & (t->n_slots - 1);
            while (t->slots[h] && !(t->len[t->slots[h] - 1] == len &&
                                    memcmp(t->piece[t->slots[h] - 1], s, len) == 0))
                h = (h + 1) & (t->n_slots - 1);
            t->slots[h] = (int32_t)i + 1;
        }
        if ((t->type[i] == TYPE_CONTROL || t->type[i] == TYPE_USER || t->type[i] == TYPE_UNKNOWN) && len > 0)
            t->specials[t->n_specials++] = (int32_t)i;
    }
    /* Byte fallback pieces are found by their text "<0x41>", else the
     * byte itself as a one-byte piece. */
    for (int b = 0; b < 256; b++) {
        char hex[8], raw[1] = { (char)b };
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        t->byte_id[b] = lookup(t, hex, 6);
        if (t->byte_id[b] < 0) t->byte_id[b] = lookup(t, raw, 1);
    }
    if (sort_specials(t) < 0) {
        destroy(t);
        return RG_ERR_NOMEM;
    }

    /* llama.cpp's defaults for SentencePiece vocabularies, then the file's. */
    t->unk = 0 < t->n_vocab ? 0 : -1;
    t->bos = 1 < t->n_vocab ? 1 : -1;
    t->eos = 2 < t->n_vocab ? 2 : -1;
    t->pad = -1;
    t->add_bos = 1;
    t->add_eos = 0;
    t->add_space_prefix = 1;
    read_special_id(src, "tokenizer.ggml.bos_token_id", t->n_vocab, &t->bos);
    read_special_id(src, "tokenizer.ggml.eos_token_id", t->n_vocab, &t->eos);
    read_special_id(src, "tokenizer.ggml.unknown_token_id", t->n_vocab, &t->unk);
    read_special_id(src, "tokenizer.ggml.padding_token_id", t->n_vocab, &t->pad);
    read_flag(src, "tokenizer.ggml.add_bos_token", &t->add_bos);
    read_flag(src, "tokenizer.ggml.add_eos_token", &t->add_eos);
    read_flag(src, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix);
    *state = t;
    return RG_OK;
bad:
    fail("spm: the vocabulary arrays could not be read");
    destroy(t);
    return RG_ERR_FORMAT;
}

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
    int32_t id = lookup(t, text + sym[left].off, size);
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
        return -1;
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
        int32_t id = lookup(t, text + sym[i].off, sym[i].n);
        if (id >= 0) {
            emit(o, id);
            continue;
        }
        for (uint32_t j = 0; j < sym[i].n; j++) {   /* byte fallback */
            int32_t b = t->byte_id[(unsigned char)text[sym[i].off + j]];
            emit(o, b >= 0 ? b : t->unk);
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
        if (encode_piece_text(t, escaped, n, &o) < 0) {
            free(escaped); free(frags);
            return RG_ERR_NOMEM;
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
static rg_status to_source(const void *state, rg_source *dst)
{
    const spm *t = state;
    size_t n = (size_t)t->n_vocab;
    size_t *lens = xmalloc(n, sizeof *lens);
    double *scores = xmalloc(n, sizeof *scores);
    int64_t *types = xmalloc(n, sizeof *types);
    rg_status st = RG_ERR_NOMEM;
    if (lens && scores && types) {
        for (size_t i = 0; i < n; i++) {
            lens[i] = t->len[i];
            scores[i] = t->score[i];
            types[i] = t->type[i];
        }
        st = rg_source_set_string(dst, "tokenizer.ggml.model", "llama", 5);
        if (st == RG_OK) st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", t->piece, lens, n);
        if (st == RG_OK) st = rg_source_set_float_array(dst, "tokenizer.ggml.scores", scores, n);
        if (st == RG_OK) st = rg_source_set_int_array(dst, "tokenizer.ggml.token_type", types, n);
        if (st == RG_OK && t->bos >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.bos_token_id", t->bos);
        if (st == RG_OK && t->eos >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.eos_token_id", t->eos);
        if (st == RG_OK && t->unk >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.unknown_token_id", t->unk);
        if (st == RG_OK && t->pad >= 0) st = rg_source_set_int(dst, "tokenizer.ggml.padding_token_id", t->pad);
        if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.add_bos_token", t->add_bos);
        if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.add_eos_token", t->add_eos);
        if (st == RG_OK) st = rg_source_set_bool(dst, "tokenizer.ggml.add_space_prefix", t->add_space_prefix);
    }
    free(lens); free(scores); free(types);
    return st;
}

const rg_tokenizer_vtable spm_tokenizer = {
    .abi_version = RG_ABI_VERSION,
    .name = "spm",
    .version = 1,
    .from_source = from_source,
    .to_source = to_source,
    .destroy = destroy,
    .n_vocab = n_vocab,
    .special = special,
    .encode = encode,
    .decode = decode,
    .piece = piece,
};
