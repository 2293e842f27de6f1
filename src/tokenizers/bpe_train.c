/*
 * bpe_train.c — learning a byte-level BPE from text (Sennrich et al. 2016,
 * as GPT-2 and Hugging Face's tokenizers do it).
 *
 *   1. Split the text into pre-tokens with the pattern (cl100k's by
 *      default) and count each distinct one: " the" x 1,204,331, ...
 *      This is most of the time on a large text, so the text is cut at
 *      safe places (the ones of cmd_tokenize.c) and counted on every core.
 *   2. Each distinct pre-token is a word of symbols, first its bytes
 *      (ids 0..255 are the bytes). Count every adjacent pair of symbols,
 *      weighted by the word's count.
 *   3. Repeatedly take the most frequent pair (ties: the smaller pair of
 *      ids), give it the next id, and replace it in every word that holds
 *      it, adjusting the counts of the neighbouring pairs. Each pair keeps
 *      the list of words it occurs in, so a merge touches only those; a
 *      max-heap with lazy deletion finds the best pair.
 * Stop at the vocabulary size (256 + merges + specials). The result is
 * deterministic: it depends on the text and the options only, not on the
 * number of threads.
 */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/util.h"
#include "tokenizers/bpe_internal.h"

/* ---- step 1: counting pre-tokens ----------------------------------------------- */

typedef struct {
    uint64_t hash;
    uint32_t off, len;         /* bytes in the arena */
    uint64_t count;            /* 0: empty slot */
} WordSlot;

typedef struct {
    WordSlot *slots;
    size_t n_slots, n_used;
    char *arena;
    size_t arena_len, arena_cap;
    int failed;
} WordCounts;

static int counts_add(WordCounts *wc, const char *piece, size_t len, uint64_t count);

static int counts_grow(WordCounts *wc)
{
    size_t n = wc->n_slots ? wc->n_slots * 2 : 1 << 16;
    WordSlot *slots = calloc(n, sizeof *slots), *old = wc->slots;
    if (!slots) return fail("out of memory counting words");
    for (size_t i = 0; i < wc->n_slots; i++) {
        if (!old[i].count) continue;
        size_t s = old[i].hash & (n - 1);
        while (slots[s].count) s = (s + 1) & (n - 1);
        slots[s] = old[i];
    }
    free(old);
    wc->slots = slots;
    wc->n_slots = n;
    return 0;
}

static int counts_add(WordCounts *wc, const char *piece, size_t len, uint64_t count)
{
    if (len >= (1u << 20)) return 0;   /* a megabyte "word" teaches nothing: skip it */
    if ((wc->n_used + 1) * 2 > wc->n_slots && counts_grow(wc) != 0) return -1;
    uint64_t h = bpe_hash_bytes(piece, len);
    size_t s = h & (wc->n_slots - 1);
    for (; wc->slots[s].count; s = (s + 1) & (wc->n_slots - 1)) {
        WordSlot *w = &wc->slots[s];
        if (w->hash == h && w->len == len && memcmp(wc->arena + w->off, piece, len) == 0) {
            w->count += count;
            return 0;
        }
    }
    if (wc->arena_len + len > wc->arena_cap) {
        size_t cap = wc->arena_cap ? wc->arena_cap * 2 : 1 << 20;
        while (cap < wc->arena_len + len) cap *= 2;
        if (cap >= UINT32_MAX) return fail("too many distinct words to train on (over 4 GB)");
        char *arena = realloc(wc->arena, cap);
        if (!arena) return fail("out of memory counting words");
        wc->arena = arena;
        wc->arena_cap = cap;
    }
    memcpy(wc->arena + wc->arena_len, piece, len);
    wc->slots[s] = (WordSlot){ h, (uint32_t)wc->arena_len, (uint32_t)len, count };
    wc->arena_len += len;
    wc->n_used++;
    return 0;
}

static int count_piece(const char *piece, size_t len, void *ctx) { return counts_add(ctx, piece, len, 1); }

static void counts_free(WordCounts *wc)
{
    free(wc->slots);
    free(wc->arena);
}

/* A cut of text at or after `from` where the known patterns always split
 * (a non-space, a newline, a letter), or len. */
static size_t train_cut(const char *t, size_t from, size_t len)
{
    for (size_t p = from < 2 ? 2 : from; p < len; p++)
        if (t[p - 1] == '\n' && t[p - 2] != '\n' && t[p - 2] != ' ' && t[p - 2] != '\r' && t[p - 2] != '\t' &&
            ((t[p] | 0x20) >= 'a' && (t[p] | 0x20) <= 'z'))
            return p;
    return len;
}

/* ---- steps 2 and 3: merging ---------------------------------------------------------- */

typedef struct {
    uint64_t key;              /* left << 32 | right; UINT64_MAX empty */
    int64_t count;
    uint32_t *words, n_words, cap_words;
} PairStat;

typedef struct {
    uint32_t *sym;             /* all words' symbols */
    uint64_t *word_off;        /* word w is sym[word_off[w] .. + word_len[w]) */
    uint32_t *word_len;
    uint64_t *word_count;
    size_t n_words;
    PairStat *pairs;
    size_t n_pair_slots, n_pairs;
    uint64_t *heap;            /* entries: index into pairs, ordered by pair_better */
    int64_t *heap_count;       /* the count each entry was pushed with */
    size_t n_heap, cap_heap;
} Trainer;

static PairStat *pair_get(Trainer *t, uint32_t a, uint32_t b, int create);

static int pairs_rehash(Trainer *t)
{
    size_t n = t->n_pair_slots ? t->n_pair_slots * 2 : 1 << 16;
    PairStat *ps = malloc(n * sizeof *ps), *old = t->pairs;
    if (!ps) return fail("out of memory counting pairs");
    for (size_t i = 0; i < n; i++) ps[i].key = UINT64_MAX;
    for (size_t i = 0; i < t->n_pair_slots; i++) {
        if (old[i].key == UINT64_MAX) continue;
        size_t s = (size_t)((old[i].key * 0x9e3779b97f4a7c15ULL) >> 20) & (n - 1);
        while (ps[s].key != UINT64_MAX) s = (s + 1) & (n - 1);
        ps[s] = old[i];
    }
    free(old);
    t->pairs = ps;
    t->n_pair_slots = n;
    /* Heap entries are slot indices: rebuild them, with room for every pair. */
    size_t k = 0, need = 0;
    for (size_t i = 0; i < n; i++) need += ps[i].key != UINT64_MAX && ps[i].count > 0;
    if (need > t->cap_heap) {
        uint64_t *h = realloc(t->heap, need * 2 * sizeof *h);
        if (h) t->heap = h;
        int64_t *c = realloc(t->heap_count, need * 2 * sizeof *c);
        if (c) t->heap_count = c;
        if (!h || !c) return fail("out of memory");
        t->cap_heap = need * 2;
    }
    for (size_t i = 0; i < n; i++)
        if (ps[i].key != UINT64_MAX && ps[i].count > 0 && k < t->cap_heap) t->heap[k] = i, t->heap_count[k] = ps[i].count, k++;
    t->n_heap = 0;
    return (int)k;   /* the caller re-pushes */
}

static PairStat *pair_get(Trainer *t, uint32_t a, uint32_t b, int create)
{
    uint64_t key = (uint64_t)a << 32 | b;
    size_t mask = t->n_pair_slots - 1;
    for (size_t s = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & mask;; s = (s + 1) & mask) {
        if (t->pairs[s].key == key) return &t->pairs[s];
        if (t->pairs[s].key == UINT64_MAX) {
            if (!create) return NULL;
            t->pairs[s] = (PairStat){ key, 0, NULL, 0, 0 };
            t->n_pairs++;
            return &t->pairs[s];
        }
    }
}

/* Is pair slot x better than y: more frequent, then the smaller key. */
static int better(const Trainer *t, size_t xi, int64_t xc, size_t yi, int64_t yc)
{
    if (xc != yc) return xc > yc;
    return t->pairs[xi].key < t->pairs[yi].key;
}

static int heap_push(Trainer *t, size_t slot, int64_t count)
{
    if (t->n_heap == t->cap_heap) {
        size_t cap = t->cap_heap ? t->cap_heap * 2 : 1 << 16;
        uint64_t *h = realloc(t->heap, cap * sizeof *h);
        if (!h) return fail("out of memory");
        t->heap = h;
        int64_t *c = realloc(t->heap_count, cap * sizeof *c);
        if (!c) return fail("out of memory");
        t->heap_count = c;
        t->cap_heap = cap;
    }
    size_t i = t->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(t, slot, count, t->heap[p], t->heap_count[p])) break;
        t->heap[i] = t->heap[p], t->heap_count[i] = t->heap_count[p];
        i = p;
    }
    t->heap[i] = slot, t->heap_count[i] = count;
    return 0;
}

static void heap_pop(Trainer *t)
{
    uint64_t last = t->heap[--t->n_heap];
    int64_t lc = t->heap_count[t->n_heap];
    size_t i = 0, n = t->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        uint64_t bs = last;
        int64_t bc = lc;
        if (l < n && better(t, t->heap[l], t->heap_count[l], bs, bc)) best = l, bs = t->heap[l], bc = t->heap_count[l];
        if (r < n && better(t, t->heap[r], t->heap_count[r], bs, bc)) best = r;
        if (best == i) break;
        t->heap[i] = t->heap[best], t->heap_count[i] = t->heap_count[best];
        i = best;
    }
    if (n) t->heap[i] = last, t->heap_count[i] = lc;
}

/* Add delta to pair (a, b) in word w; remember w when the count rises. */
static int pair_add(Trainer *t, uint32_t a, uint32_t b, int64_t delta, uint32_t w)
{
    if ((t->n_pairs + 1) * 2 > t->n_pair_slots) {
        int k = pairs_rehash(t);
        if (k < 0) return -1;
        uint64_t *slots = t->heap;
        int64_t *counts = t->heap_count;
        for (int i = 0; i < k; i++) heap_push(t, slots[i], counts[i]);   /* in place: i >= n_heap */
    }
    PairStat *p = pair_get(t, a, b, 1);
    p->count += delta;
    if (delta > 0 && (p->n_words == 0 || p->words[p->n_words - 1] != w)) {
        if (p->n_words == p->cap_words) {
            uint32_t cap = p->cap_words ? p->cap_words * 2 : 4;
            uint32_t *ws = realloc(p->words, cap * sizeof *ws);
            if (!ws) return fail("out of memory");
            p->words = ws;
            p->cap_words = cap;
        }
        p->words[p->n_words++] = w;
    }
    return 0;
}

static void trainer_free(Trainer *t)
{
    for (size_t i = 0; i < t->n_pair_slots; i++)
        if (t->pairs[i].key != UINT64_MAX) free(t->pairs[i].words);
    free(t->pairs);
    free(t->heap);
    free(t->heap_count);
    free(t->sym);
    free(t->word_off);
    free(t->word_len);
    free(t->word_count);
}

/* Replace pair (a, b) by id in word w, fixing the neighbours' counts. */
static int merge_word(Trainer *t, uint32_t w, uint32_t a, uint32_t b, uint32_t id, uint32_t **changed, size_t *n_changed)
{
    uint32_t *s = t->sym + t->word_off[w];
    uint32_t len = t->word_len[w];
    int64_t c = (int64_t)t->word_count[w];
    uint32_t o = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (i + 1 < len && s[i] == a && s[i + 1] == b) {
            if (o > 0) {
                if (pair_add(t, s[o - 1], a, -c, w) != 0 || pair_add(t, s[o - 1], id, c, w) != 0) return -1;
                (*changed)[(*n_changed)++] = s[o - 1], (*changed)[(*n_changed)++] = id;
            }
            if (i + 2 < len) {
                if (pair_add(t, b, s[i + 2], -c, w) != 0 || pair_add(t, id, s[i + 2], c, w) != 0) return -1;
                (*changed)[(*n_changed)++] = id, (*changed)[(*n_changed)++] = s[i + 2];
            }
            s[o++] = id;
            i++;
        } else {
            s[o++] = s[i];
        }
    }
    t->word_len[w] = o;
    return 0;
}

Bpe *bpe_train(const char *const *texts, const size_t *lens, size_t n, const BpeTrainOptions *opt)
{
    uint32_t n_special = (uint32_t)opt->n_specials;
    if (opt->vocab_size < 256 + n_special || opt->vocab_size > (1u << 24))
        return fail("the vocabulary size must be between %u (256 bytes + specials) and 16,777,216",
                    256 + n_special), NULL;
    Bpe *shape = bpe_new(256);   /* only for its pattern */
    if (!shape) return NULL;
    for (int b = 0; b < 256; b++) { unsigned char c = (unsigned char)b; bpe_set_token(shape, (uint32_t)b, &c, 1); }
    if (bpe_set_pattern(shape, opt->pattern ? opt->pattern : BPE_PATTERN_CL100K) != 0) return bpe_free(shape), NULL;

    /* 1. Count pre-tokens, one table per chunk, then fold them together. */
    int n_threads = opt->n_threads > 0 ? opt->n_threads : 1;
#ifdef _OPENMP
    if (opt->n_threads <= 0) n_threads = omp_get_max_threads();
#endif
    enum { MAX_CHUNKS = 256 };
    /* Every text gets chunks of its own (a chunk never spans two texts, which
     * may be separate allocations), about n + 4 x threads of them in all. */
    if (n > MAX_CHUNKS / 2)
        return bpe_free(shape), fail("%zu texts to learn from; at most %d (join them into fewer files)",
                                     n, MAX_CHUNKS / 2), NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += lens[i];
    size_t chunk_bytes = total / (size_t)(n_threads * 4) + (1 << 16);
    const char *chunk_at[MAX_CHUNKS];
    size_t chunk_len[MAX_CHUNKS], n_chunks = 0;
    WordCounts counts[MAX_CHUNKS];
    for (size_t i = 0; i < n; i++) {
        size_t pos = 0;
        while (pos < lens[i] && n_chunks < MAX_CHUNKS) {
            size_t end = lens[i] - pos > chunk_bytes && n_chunks + 1 < MAX_CHUNKS
                             ? train_cut(texts[i], pos + chunk_bytes, lens[i]) : lens[i];
            chunk_at[n_chunks] = texts[i] + pos, chunk_len[n_chunks++] = end - pos;
            pos = end;
        }
        if (pos < lens[i]) {   /* out of chunk slots: the last chunk takes the rest */
            chunk_len[n_chunks - 1] = (size_t)(texts[i] + lens[i] - chunk_at[n_chunks - 1]);
        }
    }
    memset(counts, 0, sizeof counts);
    #pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (size_t c = 0; c < n_chunks; c++)
        if (bpe_pretokenize(shape, chunk_at[c], chunk_len[c], count_piece, &counts[c]) != 0) counts[c].failed = 1;
    int rc = 0;
    for (size_t c = 0; c < n_chunks; c++) rc |= counts[c].failed ? -1 : 0;
    for (size_t c = 1; c < n_chunks && rc == 0; c++) {
        for (size_t s = 0; s < counts[c].n_slots && rc == 0; s++) {
            WordSlot *w = &counts[c].slots[s];
            if (w->count) rc = counts_add(&counts[0], counts[c].arena + w->off, w->len, w->count);
        }
        counts_free(&counts[c]);
    }
    bpe_free(shape);
    if (rc != 0) {
        counts_free(&counts[0]);
        return NULL;
    }

    /* 2. Words of byte symbols, in arena order (deterministic), and pair counts. */
    Trainer t = { 0 };
    WordCounts *wc = &counts[0];
    t.n_words = wc->n_used;
    t.sym = xmalloc(wc->arena_len ? wc->arena_len : 1, sizeof *t.sym);
    t.word_off = xmalloc(t.n_words ? t.n_words : 1, sizeof *t.word_off);
    t.word_len = xmalloc(t.n_words ? t.n_words : 1, sizeof *t.word_len);
    t.word_count = xmalloc(t.n_words ? t.n_words : 1, sizeof *t.word_count);
    Bpe *bpe = NULL;
    uint32_t *changed = NULL;
    if (!t.sym || !t.word_off || !t.word_len || !t.word_count || pairs_rehash(&t) < 0) goto out;
    {
        /* The order of the words does not change the merges (ties go to the
         * smaller pair of ids), only the order of the work. */
        size_t k = 0;
        for (size_t s = 0; s < wc->n_slots; s++) {
            WordSlot *w = &wc->slots[s];
            if (!w->count) continue;
            t.word_off[k] = w->off, t.word_len[k] = w->len, t.word_count[k] = w->count;
            for (uint32_t j = 0; j < w->len; j++) t.sym[w->off + j] = (unsigned char)wc->arena[w->off + j];
            k++;
        }
    }
    counts_free(wc);
    for (uint32_t w = 0; w < t.n_words; w++) {
        uint32_t *s = t.sym + t.word_off[w];
        for (uint32_t j = 0; j + 1 < t.word_len[w]; j++)
            if (pair_add(&t, s[j], s[j + 1], (int64_t)t.word_count[w], w) != 0) goto out;
    }
    for (size_t i = 0; i < t.n_pair_slots; i++)
        if (t.pairs[i].key != UINT64_MAX && t.pairs[i].count > 0 && heap_push(&t, i, t.pairs[i].count) != 0) goto out;

    /* 3. Merge. The new tokens' bytes are kept as (left, right) pairs. */
    uint32_t n_merges_max = opt->vocab_size - 256 - n_special, n_merges = 0;
    uint32_t (*rule)[2] = xmalloc(n_merges_max ? n_merges_max : 1, sizeof *rule);
    size_t cap_changed = 1 << 16;
    changed = xmalloc(cap_changed, sizeof *changed);
    if (!rule || !changed) { free(rule); goto out; }
    while (n_merges < n_merges_max && t.n_heap > 0) {
        size_t slot = t.heap[0];
        int64_t pushed = t.heap_count[0];
        heap_pop(&t);
        PairStat *p = &t.pairs[slot];
        if (p->count != pushed) {   /* stale: re-queue at its true count */
            if (p->count > 0 && heap_push(&t, slot, p->count) != 0) { free(rule); goto out; }
            continue;
        }
        if (p->count <= 0) continue;
        uint32_t a = (uint32_t)(p->key >> 32), b = (uint32_t)p->key, id = 256 + n_merges;
        rule[n_merges++][0] = a, rule[n_merges - 1][1] = b;
        /* The word list may move when pairs rehash: take it first. */
        uint32_t *words = p->words, n_w = p->n_words;
        p->words = NULL, p->n_words = p->cap_words = 0;
        p->count = 0;
        for (uint32_t k = 0; k < n_w; k++) {
            if (k && words[k] == words[k - 1]) continue;
            size_t n_changed = 0;
            if ((size_t)t.word_len[words[k]] * 4 > cap_changed) {
                cap_changed = (size_t)t.word_len[words[k]] * 4;
                uint32_t *grown = realloc(changed, cap_changed * sizeof *grown);
                if (!grown) { free(words); free(rule); goto out; }
                changed = grown;
            }
            if (merge_word(&t, words[k], a, b, id, &changed, &n_changed) != 0) { free(words); free(rule); goto out; }
            for (size_t c = 0; c < n_changed; c += 2) {
                PairStat *q = pair_get(&t, changed[c], changed[c + 1], 0);
                if (q && q->count > 0 && (changed[c] == id || changed[c + 1] == id) &&
                    heap_push(&t, (size_t)(q - t.pairs), q->count) != 0) { free(words); free(rule); goto out; }
            }
        }
        free(words);
        /* The merged pair itself may have been re-counted through overlaps
         * (pairs may have moved in a rehash: find it again). */
        PairStat *done = pair_get(&t, a, b, 0);
        if (done) done->count = 0;
    }

    /* The tokenizer: bytes, merges (rank = order), then the specials. */
    uint32_t n_ids = 256 + n_merges + n_special;
    bpe = bpe_new(n_ids);
    if (!bpe) { free(rule); goto out; }
    for (int b = 0; b < 256; b++) { unsigned char c = (unsigned char)b; if (bpe_set_token(bpe, (uint32_t)b, &c, 1) != 0) goto bad; }
    char *buf = NULL;
    size_t cap_buf = 0;
    for (uint32_t m = 0; m < n_merges; m++) {
        size_t ll, rl;
        const char *l = bpe_token_bytes(bpe, (int32_t)rule[m][0], &ll), *r = bpe_token_bytes(bpe, (int32_t)rule[m][1], &rl);
        if (ll + rl > cap_buf && !(buf = realloc(buf, cap_buf = (ll + rl) * 2))) { fail("out of memory"); goto bad; }
        memcpy(buf, l, ll);
        /* l may move when the pool grows in bpe_set_token: copy r before. */
        memcpy(buf + ll, r, rl);
        if (bpe_set_token(bpe, 256 + m, buf, ll + rl) != 0 ||
            bpe_add_merge(bpe, rule[m][0], rule[m][1], m, 256 + m) != 0) { free(buf); goto bad; }
    }
    free(buf);
    for (uint32_t s = 0; s < n_special; s++)
        if (bpe_add_special(bpe, opt->specials[s], strlen(opt->specials[s]), 256 + n_merges + s) != 0) goto bad;
    if (bpe_set_pattern(bpe, opt->pattern ? opt->pattern : BPE_PATTERN_CL100K) != 0 || bpe_finish(bpe, "training") != 0)
        goto bad;
    if (n_special) bpe_set_bos_eos(bpe, -1, (int32_t)(256 + n_merges));
    free(rule);
    goto out;
bad:
    free(rule);
    bpe_free(bpe);
    bpe = NULL;
out:
    free(changed);
    trainer_free(&t);
    return bpe;
}
