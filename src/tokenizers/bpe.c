/*
 * bpe.c — the byte-pair merge: tables, one pre-token to ids, and back.
 *
 * A pre-token of n bytes starts as n tokens, one per byte. Repeatedly the
 * adjacent pair with the lowest rank is replaced by the token it makes (the
 * leftmost pair when ranks tie), until no adjacent pair has a rule:
 *
 *     " lower"   ' ' l o w e r   ->  ' ' l o w er  ->  ' ' lo w er  -> ...
 *
 * Short pre-tokens (almost all of real text) keep the parts in two small
 * arrays on the stack and scan them for the minimum: O(n^2), but n is a
 * word. Long ones (a megabyte with no space, which makes tiktoken quadratic)
 * use a doubly linked list of parts and an indexed min-heap of pair ranks
 * keyed by (rank, position): each merge is O(log n), so the whole is
 * O(n log n) with 24 bytes of work memory per input byte.
 *
 * tiktoken first looks the whole pre-token up as a token ("whole-piece
 * lookup"); most English words are single tokens, so that one hash probe is
 * the common path.
 */
#include "tokenizers/bpe_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { SMALL_PIECE = 192 };   /* parts kept on the stack up to this length */

/* ---- hashing ---------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

/* A fast hash of a short byte string: 8 bytes at a time, multiply-mixed. */
uint64_t bpe_hash_bytes(const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return mix64(h);
}

static size_t pow2_at_least(size_t n)
{
    size_t s = 16;
    while (s < n) s <<= 1;
    return s;
}

/* ---- building ------------------------------------------------------------------ */

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

/* The key of a byte string (BpeSlot) and the slot its probe starts at. */
static inline uint64_t bytes_key(const void *bytes, size_t len)
{
    if (len > 8) return bpe_hash_bytes(bytes, len);
    uint64_t w = 0;
    memcpy(&w, bytes, len);
    return w;
}

static inline size_t key_slot(uint64_t key, size_t len, size_t n_slots)
{
    return (size_t)mix64((key ^ len) * 0x9e3779b97f4a7c15ULL) & (n_slots - 1);
}

static int32_t lookup(const Bpe *bpe, const void *bytes, size_t len)
{
    size_t mask = bpe->n_by_bytes - 1;
    uint64_t key = bytes_key(bytes, len);
    for (size_t s = key_slot(key, len, bpe->n_by_bytes);; s = (s + 1) & mask) {
        const BpeSlot *slot = &bpe->by_bytes[s];
        if (slot->id_plus1 == 0) return -1;
        if (slot->key != key || slot->len != len) continue;
        uint32_t id = slot->id_plus1 - 1;
        if (len <= 8 || memcmp(bpe->pool + bpe->tok_off[id], bytes, len) == 0) return (int32_t)id;
    }
}

int32_t bpe_lookup(const Bpe *bpe, const void *bytes, size_t len) { return lookup(bpe, bytes, len); }

int bpe_set_token(Bpe *bpe, uint32_t id, const void *bytes, size_t len)
{
    if (id >= bpe->n_ids) return fail("token id %u outside the vocabulary of %u", id, bpe->n_ids);
    if (bpe->tok_len[id] != BPE_NONE) return fail("token id %u given twice", id);
    if (len == 0) return fail("token %u is empty", id);
    if (len >= UINT32_MAX || bpe->pool_len + len >= UINT32_MAX) return fail("token %u: vocabulary too large", id);
    int32_t other = lookup(bpe, bytes, len);
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
    uint64_t key = bytes_key(bytes, len);
    size_t s = key_slot(key, len, bpe->n_by_bytes);
    while (bpe->by_bytes[s].id_plus1) s = (s + 1) & mask;
    bpe->by_bytes[s] = (BpeSlot){ key, id + 1, (uint32_t)len };
    bpe->n_tokens++;
    if (len == 1) bpe->byte_id[*(const unsigned char *)bytes] = id;
    return 0;
}

static inline size_t pair_slot(uint64_t key, size_t n_slots)
{
    return (size_t)(mix64(key * 0x9e3779b97f4a7c15ULL)) & (n_slots - 1);
}

const BpePair *bpe_pair_find(const Bpe *bpe, uint32_t left, uint32_t right)
{
    if (!bpe->n_pair_slots) return NULL;
    uint64_t key = (uint64_t)left << 32 | right;
    size_t mask = bpe->n_pair_slots - 1;
    for (size_t s = pair_slot(key, bpe->n_pair_slots);; s = (s + 1) & mask) {
        const BpePair *p = &bpe->pairs[s];
        if (p->key == key) return p;
        if (p->key == UINT64_MAX) return NULL;
    }
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
        size_t s = pair_slot(p.key, n_slots);
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
    size_t s = pair_slot(key, bpe->n_pair_slots);
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
            int32_t left = lookup(bpe, bytes, cut), right = lookup(bpe, bytes + cut, len - cut);
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

/* ---- merging one pre-token ------------------------------------------------------- */

static inline void emit(int32_t id, int32_t *ids, size_t cap, size_t *n)
{
    if (*n < cap) ids[*n] = id;
    (*n)++;
}

/* The quadratic scan, for short pieces: parts[i] and the rule of the pair
 * (parts[i], parts[i+1]) in rank[i] / merged[i]. */
static void merge_small(const Bpe *bpe, const unsigned char *piece, size_t len,
                        int32_t *ids, size_t cap, size_t *n)
{
    uint32_t parts[SMALL_PIECE], rank[SMALL_PIECE], merged[SMALL_PIECE];
    size_t m = len;
    for (size_t i = 0; i < m; i++) parts[i] = bpe->byte_id[piece[i]];
    for (size_t i = 0; i + 1 < m; i++) {
        const BpePair *p = bpe_pair_find(bpe, parts[i], parts[i + 1]);
        rank[i] = p ? p->rank : BPE_NONE;
        merged[i] = p ? p->merged : 0;
    }
    while (m > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (rank[i] < rank[best]) best = i;
        if (rank[best] == BPE_NONE) break;
        parts[best] = merged[best];
        memmove(parts + best + 1, parts + best + 2, (m - best - 2) * sizeof *parts);
        memmove(rank + best + 1, rank + best + 2, (m - best - 2) * sizeof *rank);
        memmove(merged + best + 1, merged + best + 2, (m - best - 2) * sizeof *merged);
        m--;
        for (size_t i = best ? best - 1 : 0; i <= best && i + 1 < m; i++) {
            const BpePair *p = bpe_pair_find(bpe, parts[i], parts[i + 1]);
            rank[i] = p ? p->rank : BPE_NONE;
            merged[i] = p ? p->merged : 0;
        }
        if (best + 1 >= m) rank[best] = BPE_NONE;
    }
    for (size_t i = 0; i < m; i++) emit((int32_t)parts[i], ids, cap, n);
}

/* The linked-list + indexed-heap merge, for long pieces. Position i is the
 * part starting at byte i; next/prev link the live parts. The heap holds one
 * entry per adjacent pair that has a rule, rank << 32 | position, so the
 * smallest entry is the lowest rank and, among equal ranks, the leftmost;
 * where[i] is the heap index of position i's pair (BPE_NONE if none). */
typedef struct {
    uint32_t *part, *next, *prev, *where;
    uint64_t *heap;
    uint32_t n_heap;
} Merger;

static inline void heap_set(Merger *m, uint32_t i, uint64_t entry)
{
    m->heap[i] = entry;
    m->where[(uint32_t)entry] = i;
}

static void heap_up(Merger *m, uint32_t i)
{
    uint64_t e = m->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (m->heap[parent] <= e) break;
        heap_set(m, i, m->heap[parent]);
        i = parent;
    }
    heap_set(m, i, e);
}

static void heap_down(Merger *m, uint32_t i)
{
    uint64_t e = m->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, best = l;
        if (l >= m->n_heap) break;
        if (r < m->n_heap && m->heap[r] < m->heap[l]) best = r;
        if (m->heap[best] >= e) break;
        heap_set(m, i, m->heap[best]);
        i = best;
    }
    heap_set(m, i, e);
}

static void heap_remove(Merger *m, uint32_t pos)
{
    uint32_t i = m->where[pos];
    if (i == BPE_NONE) return;
    m->where[pos] = BPE_NONE;
    uint64_t last = m->heap[--m->n_heap];
    if (i == m->n_heap) return;
    heap_set(m, i, last);
    heap_up(m, i);
    heap_down(m, m->where[(uint32_t)last]);
}

/* Re-rank the pair starting at pos (after its parts changed). */
static void pair_update(const Bpe *bpe, Merger *m, uint32_t pos)
{
    uint32_t nx = m->next[pos];
    const BpePair *p = nx != BPE_NONE ? bpe_pair_find(bpe, m->part[pos], m->part[nx]) : NULL;
    if (!p) {
        heap_remove(m, pos);
        return;
    }
    uint64_t entry = (uint64_t)p->rank << 32 | pos;
    uint32_t i = m->where[pos];
    if (i == BPE_NONE) {
        i = m->n_heap++;
        heap_set(m, i, entry);
        heap_up(m, i);
    } else {
        heap_set(m, i, entry);
        heap_up(m, i);
        heap_down(m, m->where[pos]);
    }
}

static int merge_large(const Bpe *bpe, const unsigned char *piece, size_t len,
                       int32_t *ids, size_t cap, size_t *n)
{
    if (len > BPE_MAX_PIECE)
        return fail("a pre-token of %zu bytes exceeds the limit of %zu MB", len, BPE_MAX_PIECE >> 20);
    Merger m = { 0 };
    uint32_t *mem = xmalloc(len, 4 * sizeof *mem);
    m.heap = xmalloc(len, sizeof *m.heap);
    if (!mem || !m.heap) {
        free(mem);
        free(m.heap);
        return -1;
    }
    m.part = mem, m.next = mem + len, m.prev = mem + 2 * len, m.where = mem + 3 * len;
    for (uint32_t i = 0; i < len; i++) {
        m.part[i] = bpe->byte_id[piece[i]];
        m.next[i] = i + 1 < len ? i + 1 : BPE_NONE;
        m.prev[i] = i ? i - 1 : BPE_NONE;
        m.where[i] = BPE_NONE;
    }
    for (uint32_t i = 0; i + 1 < len; i++) {
        const BpePair *p = bpe_pair_find(bpe, m.part[i], m.part[i + 1]);
        if (p) heap_set(&m, m.n_heap++, (uint64_t)p->rank << 32 | i);
    }
    for (uint32_t i = m.n_heap / 2 + 1; i-- > 0;)   /* heapify */
        if (i < m.n_heap) heap_down(&m, i);
    while (m.n_heap > 0) {
        uint32_t pos = (uint32_t)m.heap[0], right = m.next[pos];
        m.part[pos] = bpe_pair_find(bpe, m.part[pos], m.part[right])->merged;
        /* Unlink the right part and drop its pair. */
        heap_remove(&m, right);
        m.next[pos] = m.next[right];
        if (m.next[right] != BPE_NONE) m.prev[m.next[right]] = pos;
        pair_update(bpe, &m, pos);
        if (m.prev[pos] != BPE_NONE) pair_update(bpe, &m, m.prev[pos]);
    }
    for (uint32_t i = 0; i != BPE_NONE; i = m.next[i]) emit((int32_t)m.part[i], ids, cap, n);
    free(mem);
    free(m.heap);
    return 0;
}

int bpe_encode_piece(const Bpe *bpe, const unsigned char *piece, size_t len,
                     int32_t *ids, size_t cap, size_t *n_out)
{
    if (len == 0) return 0;
    if (len == 1) {
        emit((int32_t)bpe->byte_id[piece[0]], ids, cap, n_out);
        return 0;
    }
    if (bpe->whole_lookup) {
        int32_t id = lookup(bpe, piece, len);
        if (id >= 0) {
            emit(id, ids, cap, n_out);
            return 0;
        }
    }
    if (len <= SMALL_PIECE) {
        merge_small(bpe, piece, len, ids, cap, n_out);
        return 0;
    }
    return merge_large(bpe, piece, len, ids, cap, n_out);
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
