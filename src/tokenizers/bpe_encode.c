/*
 * bpe_encode.c — text to ids: specials cut out, pre-tokens (bpe_pretok.c)
 * looked up in a piece cache, and the byte-pair merge of the ones it lacks.
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
 * the common path. In front of both sits the piece cache (below).
 */
#include "tokenizers/bpe_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { SMALL_PIECE = 192 };   /* parts kept on the stack up to this length */

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
        int32_t id = bpe_lookup_bytes(bpe, piece, len);
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

/* ---- the piece cache ------------------------------------------------------------------ */

/* Words repeat (Zipf): a few thousand pre-tokens make most of any text. The
 * cache maps a pre-token's bytes to its ids, so a repeated word costs one
 * probe of a table that stays in the core's own cache, where the vocabulary
 * tables (megabytes) cost a memory access per probe and the merge several.
 *
 * One cache per thread, made on the thread's first encode and kept (so that
 * encoding allocates nothing after that, rg_tokenize's promise), 1 MB:
 * CACHE_SLOTS direct-mapped slots of 32 bytes, each holding a pre-token of
 * up to 16 bytes inline and its 1 to 3 ids. It belongs to one tokenizer at
 * a time: a slot is valid when its generation is the cache's, and encoding
 * with another tokenizer (another serial) starts a new generation, which
 * empties the cache without touching it. */
enum { CACHE_SLOTS = 1 << 15, CACHE_MAX_LEN = 16, CACHE_MAX_IDS = 3 };
typedef struct {
    uint64_t k0, k1;                 /* the bytes, zero-padded */
    uint16_t gen;                    /* valid when == the cache's */
    uint8_t len, n_ids;
    int32_t ids[CACHE_MAX_IDS];
} CacheSlot;

typedef struct {
    uint64_t serial;                 /* the tokenizer the slots belong to */
    uint16_t gen;
    CacheSlot slot[CACHE_SLOTS];
} PieceCache;

/* This thread's cache, ready for bpe; NULL when out of memory (encoding
 * then goes without). */
static PieceCache *piece_cache(const Bpe *bpe)
{
    static _Thread_local PieceCache *cache;
    if (!cache && !(cache = calloc(1, sizeof *cache))) return NULL;
    if (cache->serial != bpe->serial) {
        cache->serial = bpe->serial;
        if (++cache->gen == 0) {     /* generations wrapped: really empty it */
            memset(cache->slot, 0, sizeof cache->slot);
            cache->gen = 1;
        }
    }
    return cache;
}

typedef struct {
    const Bpe *bpe;
    PieceCache *cache;
    int32_t *ids;
    size_t cap, *n;
} EncodeCtx;

static int encode_one(const char *piece, size_t n, void *ctx)
{
    EncodeCtx *e = ctx;
    if (n > CACHE_MAX_LEN || !e->cache)
        return bpe_encode_piece(e->bpe, (const unsigned char *)piece, n, e->ids, e->cap, e->n);
    uint64_t k[2] = { 0, 0 };
    memcpy(k, piece, n);
    uint64_t h = (k[0] * 0x9e3779b97f4a7c15ULL) ^ (k[1] * 0xc2b2ae3d27d4eb4fULL) ^ n;
    CacheSlot *slot = &e->cache->slot[(h ^ h >> 29 ^ h >> 47) & (CACHE_SLOTS - 1)];
    if (slot->gen == e->cache->gen && slot->len == n && slot->k0 == k[0] && slot->k1 == k[1]) {
        for (int i = 0; i < slot->n_ids; i++) {
            if (*e->n < e->cap) e->ids[*e->n] = slot->ids[i];
            (*e->n)++;
        }
        return 0;
    }
    /* Encode into a scratch array first, then copy out and remember. */
    int32_t ids[CACHE_MAX_LEN];
    size_t got = 0;
    if (bpe_encode_piece(e->bpe, (const unsigned char *)piece, n, ids, CACHE_MAX_LEN, &got) != 0) return -1;
    for (size_t i = 0; i < got; i++) {
        if (*e->n < e->cap) e->ids[*e->n] = ids[i];
        (*e->n)++;
    }
    if (got <= CACHE_MAX_IDS) {
        slot->k0 = k[0], slot->k1 = k[1], slot->gen = e->cache->gen;
        slot->len = (uint8_t)n, slot->n_ids = (uint8_t)got;
        memcpy(slot->ids, ids, got * sizeof *ids);
    }
    return 0;
}

/* ---- specials and the whole text ------------------------------------------------------- */

/* The special starting exactly at text (the longest), or NULL. */
static const BpeSpecial *special_at(const Bpe *bpe, const char *text, size_t len)
{
    const BpeSpecial *best = NULL;
    for (int i = 0; i < bpe->n_specials; i++) {
        const BpeSpecial *s = &bpe->specials[i];
        if (s->len <= len && memcmp(s->text, text, s->len) == 0 && (!best || s->len > best->len)) best = s;
    }
    return best;
}

long bpe_find_special(const Bpe *bpe, const char *text, size_t len, int32_t *id)
{
    if (bpe->n_specials == 0) return -1;
    for (size_t i = 0; i < len; i++) {
        if (!bpe->special_first[(unsigned char)text[i]]) continue;
        const BpeSpecial *s = special_at(bpe, text + i, len - i);
        if (s) {
            if (id) *id = (int32_t)s->id;
            return (long)i;
        }
    }
    return -1;
}

int bpe_encode(const Bpe *bpe, const char *text, size_t len, int flags,
               int32_t *ids, size_t cap, size_t *n_out)
{
    *n_out = 0;
    EncodeCtx e = { bpe, piece_cache(bpe), ids, cap, n_out };
    size_t pos = 0;
    while (pos < len) {
        size_t end = len;
        const BpeSpecial *special = NULL;
        if (flags & BPE_PARSE_SPECIAL) {
            int32_t id;
            long at = bpe_find_special(bpe, text + pos, len - pos, &id);
            if (at >= 0) {
                end = pos + (size_t)at;
                special = special_at(bpe, text + end, len - end);
            }
        }
        if (bpe_pretokenize(bpe, text + pos, end - pos, encode_one, &e) != 0) return -1;
        if (!special) break;
        if (*n_out < cap) ids[*n_out] = (int32_t)special->id;
        (*n_out)++;
        pos = end + special->len;
    }
    return 0;
}
