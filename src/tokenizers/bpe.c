/*
 * bpe.c — the tables of a byte-level BPE (bytes <-> id, pair -> rank),
 * building them, queries, decoding, and GPT-2's byte alphabet.
 *
 * Encoding is in bpe_encode.c (the merge and the piece cache), the split
 * into pre-tokens in bpe_pretok.c and bpe_scan.c. The tables are read-only
 * once bpe_finish() has run, so any number of threads encode with one Bpe.
 */
#include "tokenizers/bpe_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static size_t pow2_at_least(size_t n)
{
    size_t s = 16;
    while (s < n) s <<= 1;
    return s;
}

/* ---- building ------------------------------------------------------------------ */

/* A number no other tokenizer of this process has had: the per-thread
 * piece cache of bpe_encode.c belongs to one serial at a time. */
static uint64_t next_serial(void)
{
    static _Atomic uint64_t serials;
    return atomic_fetch_add(&serials, 1) + 1;
}

Bpe *bpe_new(uint32_t n_ids)
{
    Bpe *bpe = xcalloc(1, sizeof *bpe);
    if (!bpe) return NULL;
    bpe->n_ids = n_ids;
    bpe->tok_off = xmalloc(n_ids ? n_ids : 1, sizeof *bpe->tok_off);
    bpe->tok_len = xmalloc(n_ids ? n_ids : 1, sizeof *bpe->tok_len);
    bpe->n_by_bytes = pow2_at_least((size_t)n_ids * 2 + 2);
    bpe->by_bytes = xcalloc(bpe->n_by_bytes, sizeof *bpe->by_bytes);
    bpe->bos = bpe->eos = -1;
    bpe->serial = next_serial();
    if (!bpe->tok_off || !bpe->tok_len || !bpe->by_bytes) {
        bpe_free(bpe);
        return NULL;
    }
    for (uint32_t i = 0; i < n_ids; i++) bpe->tok_len[i] = BPE_NONE;
    for (int b = 0; b < 256; b++) bpe->byte_id[b] = BPE_NONE;
    return bpe;
}

void bpe_free(Bpe *bpe)
{
    if (!bpe) return;
    bpe_pattern_free(bpe);
    for (int i = 0; i < bpe->n_specials; i++) free(bpe->specials[i].text);
    free(bpe->specials);
    free(bpe->tok_off);
    free(bpe->tok_len);
    free(bpe->pool);
    free(bpe->by_bytes);
    free(bpe->pairs);
    free(bpe->pattern);
    free(bpe);
}

int32_t bpe_lookup(const Bpe *bpe, const void *bytes, size_t len) { return bpe_lookup_bytes(bpe, bytes, len); }

int bpe_set_token(Bpe *bpe, uint32_t id, const void *bytes, size_t len)
{
    if (id >= bpe->n_ids) return fail("token id %u outside the vocabulary of %u", id, bpe->n_ids);
    if (bpe->tok_len[id] != BPE_NONE) return fail("token id %u given twice", id);
    if (len == 0) return fail("token %u is empty", id);
    if (len >= UINT32_MAX || bpe->pool_len + len >= UINT32_MAX) return fail("token %u: vocabulary too large", id);
    int32_t other = bpe_lookup_bytes(bpe, bytes, len);
    if (other >= 0) return fail("tokens %d and %u have the same bytes", other, id);
    if (bpe->pool_len + len > bpe->pool_cap) {
        size_t cap = bpe->pool_cap ? bpe->pool_cap * 2 : 4096;
        while (cap < bpe->pool_len + len) cap *= 2;
        char *pool = realloc(bpe->pool, cap);
        if (!pool) return fail("out of memory for the vocabulary");
        bpe->pool = pool;
        bpe->pool_cap = cap;
    }
    memcpy(bpe->pool + bpe->pool_len, bytes, len);
    bpe->tok_off[id] = (uint32_t)bpe->pool_len;
    bpe->tok_len[id] = (uint32_t)len;
    bpe->pool_len += len;
    size_t mask = bpe->n_by_bytes - 1;
    uint64_t key = bpe_bytes_key(bytes, len);
    size_t s = bpe_key_slot(key, len, bpe->n_by_bytes);
    while (bpe->by_bytes[s].id_plus1) s = (s + 1) & mask;
    bpe->by_bytes[s] = (BpeSlot){ key, id + 1, (uint32_t)len };
    bpe->n_tokens++;
    if (len == 1) bpe->byte_id[*(const unsigned char *)bytes] = id;
    return 0;
}

static int pairs_grow(Bpe *bpe)
{
    size_t n_slots = bpe->n_pair_slots ? bpe->n_pair_slots * 2 : 1024;
    BpePair *pairs = xmalloc(n_slots, sizeof *pairs);
    if (!pairs) return -1;
    for (size_t i = 0; i < n_slots; i++) pairs[i].key = UINT64_MAX;
    for (size_t i = 0; i < bpe->n_pair_slots; i++) {
        BpePair p = bpe->pairs[i];
        if (p.key == UINT64_MAX) continue;
        size_t s = bpe_pair_slot(p.key, n_slots);
        while (pairs[s].key != UINT64_MAX) s = (s + 1) & (n_slots - 1);
        pairs[s] = p;
    }
    free(bpe->pairs);
    bpe->pairs = pairs;
    bpe->n_pair_slots = n_slots;
    return 0;
}

int bpe_add_merge(Bpe *bpe, uint32_t left, uint32_t right, uint32_t rank, uint32_t merged)
{
    if ((bpe->n_pairs + 1) * 2 > bpe->n_pair_slots && pairs_grow(bpe) != 0) return -1;
    uint64_t key = (uint64_t)left << 32 | right;
    size_t mask = bpe->n_pair_slots - 1;
    size_t s = bpe_pair_slot(key, bpe->n_pair_slots);
    for (; bpe->pairs[s].key != UINT64_MAX; s = (s + 1) & mask)
        if (bpe->pairs[s].key == key) {
            /* The same pair twice: the first (lowest) rank wins, as in HF. */
            if (rank < bpe->pairs[s].rank) bpe->pairs[s].rank = rank, bpe->pairs[s].merged = merged;
            return 0;
        }
    bpe->pairs[s] = (BpePair){ key, rank, merged };
    bpe->n_pairs++;
    return 0;
}

int bpe_derive_merges_from_ranks(Bpe *bpe)
{
    for (uint32_t id = 0; id < bpe->n_ids; id++) {
        size_t len = bpe->tok_len[id];
        if (len == BPE_NONE || len < 2) continue;
        const char *bytes = bpe->pool + bpe->tok_off[id];
        for (size_t cut = 1; cut < len; cut++) {
            int32_t left = bpe_lookup_bytes(bpe, bytes, cut), right = bpe_lookup_bytes(bpe, bytes + cut, len - cut);
            if (left < 0 || right < 0) continue;
            if (bpe_add_merge(bpe, (uint32_t)left, (uint32_t)right, id, id) != 0) return -1;
        }
    }
    bpe->whole_lookup = 1;
    bpe->derived = 1;
    return 0;
}

void bpe_set_whole_lookup(Bpe *bpe, int on) { bpe->whole_lookup = on; }
void bpe_set_bos_eos(Bpe *bpe, int32_t bos, int32_t eos) { bpe->bos = bos; bpe->eos = eos; }
int32_t bpe_bos(const Bpe *bpe) { return bpe->bos; }
int32_t bpe_eos(const Bpe *bpe) { return bpe->eos; }

int bpe_add_special(Bpe *bpe, const char *text, size_t len, uint32_t id)
{
    if (len == 0) return fail("special token %u is empty", id);
    if (id >= bpe->n_ids) return fail("special token %u outside the vocabulary of %u", id, bpe->n_ids);
    for (int i = 0; i < bpe->n_specials; i++)
        if (bpe->specials[i].id == id) return fail("special token id %u given twice", id);
    BpeSpecial *grown = realloc(bpe->specials, (size_t)(bpe->n_specials + 1) * sizeof *grown);
    if (!grown) return fail("out of memory");
    bpe->specials = grown;
    char *copy = xmalloc(len + 1, 1);
    if (!copy) return -1;
    memcpy(copy, text, len);
    copy[len] = 0;
    bpe->specials[bpe->n_specials++] = (BpeSpecial){ copy, len, id };
    bpe->special_first[(unsigned char)text[0]] = 1;
    /* The id must be free, or already hold exactly this text: decoding
     * gives the id's bytes, which must be the special's text. */
    if (bpe->tok_len[id] == BPE_NONE) return bpe_set_token(bpe, id, text, len);
    if (bpe->tok_len[id] != len || memcmp(bpe->pool + bpe->tok_off[id], text, len) != 0)
        return fail("special token \"%.40s\": id %u is already an ordinary token", copy, id);
    return 0;
}

int bpe_finish(Bpe *bpe, const char *what)
{
    for (int b = 0; b < 256; b++)
        if (bpe->byte_id[b] == BPE_NONE)
            return fail("%s: the vocabulary has no token for byte 0x%02x (a byte-level BPE needs all 256)",
                        what, b);
    if (!bpe->pattern && bpe_set_pattern(bpe, BPE_PATTERN_CL100K) != 0) return -1;
    bpe->serial = next_serial();   /* ids cached while it was being built are not its ids */
    bpe->finished = 1;
    return 0;
}

/* ---- queries -------------------------------------------------------------------- */

uint32_t bpe_n_ids(const Bpe *bpe) { return bpe->n_ids; }
const char *bpe_pattern(const Bpe *bpe) { return bpe->pattern; }
int bpe_whole_lookup(const Bpe *bpe) { return bpe->whole_lookup; }
int bpe_n_special(const Bpe *bpe) { return bpe->n_specials; }

const char *bpe_special_at(const Bpe *bpe, int i, size_t *len, uint32_t *id)
{
    if (i < 0 || i >= bpe->n_specials) return NULL;
    if (len) *len = bpe->specials[i].len;
    if (id) *id = bpe->specials[i].id;
    return bpe->specials[i].text;
}

int bpe_is_special(const Bpe *bpe, int32_t id)
{
    for (int i = 0; i < bpe->n_specials; i++)
        if ((int32_t)bpe->specials[i].id == id) return 1;
    return 0;
}

const char *bpe_token_bytes(const Bpe *bpe, int32_t id, size_t *len)
{
    if (id < 0 || (uint32_t)id >= bpe->n_ids || bpe->tok_len[id] == BPE_NONE) return NULL;
    if (len) *len = bpe->tok_len[id];
    return bpe->pool + bpe->tok_off[id];
}

/* ---- decoding ------------------------------------------------------------------------ */

int bpe_decode(const Bpe *bpe, const int32_t *ids, size_t n, char *buf, size_t cap, size_t *len_out)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *bytes = bpe_token_bytes(bpe, ids[i], &len);
        if (!bytes) return fail("token %zu: id %d is not in the vocabulary", i, ids[i]);
        if (at < cap) memcpy(buf + at, bytes, at + len <= cap ? len : cap - at);
        at += len;
    }
    if (at < cap) buf[at] = 0;
    *len_out = at;
    return 0;
}

/* ---- GPT-2's byte alphabet ------------------------------------------------------------- */

/* Printable Latin-1 bytes stand for themselves; the other 68 bytes (controls,
 * space, 0x7f-0xa0, 0xad) take the code points 256, 257, ... in byte order. */
uint32_t bpe_byte_to_unicode(unsigned char b)
{
    int printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    if (printable) return b;
    uint32_t k = 0;
    for (unsigned c = 0; c < b; c++)
        if (!((c >= '!' && c <= '~') || (c >= 0xa1 && c <= 0xac) || c >= 0xae)) k++;
    return 256 + k;
}

size_t bpe_bytes_to_gpt2(const void *bytes, size_t len, char *out)
{
    static uint32_t map[256];
    static int ready;
    if (!ready) {   /* idempotent: racing threads write the same values */
        for (int b = 0; b < 256; b++) map[b] = bpe_byte_to_unicode((unsigned char)b);
        ready = 1;
    }
    const unsigned char *p = bytes;
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = map[p[i]];
        if (c < 0x80) out[at++] = (char)c;
        else out[at++] = (char)(0xc0 | c >> 6), out[at++] = (char)(0x80 | (c & 0x3f));
    }
    out[at] = 0;
    return at;
}

long bpe_gpt2_to_bytes(const char *text, size_t len, unsigned char *out)
{
    static int16_t rev[324];
    static int ready;
    if (!ready) {
        for (int c = 0; c < 324; c++) rev[c] = -1;
        for (int b = 0; b < 256; b++) rev[bpe_byte_to_unicode((unsigned char)b)] = (int16_t)b;
        ready = 1;
    }
    const unsigned char *p = (const unsigned char *)text;
    long at = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        if (p[i] < 0x80) c = p[i++];
        else if ((p[i] & 0xe0) == 0xc0 && i + 1 < len && (p[i + 1] & 0xc0) == 0x80) {
            c = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
            i += 2;
        } else return -1;
        if (c >= 324 || rev[c] < 0) return -1;
        out[at++] = (unsigned char)rev[c];
    }
    return at;
}
