/*
 * index.c — the embedding index file and exact top-k search (index.h has
 * the layout).
 *
 * Where it sits: `rustgpt index` embeds every line of a file (rg_embed) and
 * writes them here; `rustgpt search` maps the file, embeds the query with
 * the same model and pooling, and scores every stored vector.
 *
 * Search is exact: with unit vectors, cosine similarity is the dot product
 * q·v, and the scores of all N vectors are one matrix product
 * scores [1, N] = q [1, d] · Vᵀ — the same SIMD, threaded matmul_forward
 * the layers use, reading the mapped vectors once (1M × 384 floats is
 * 1.5 GB: memory bandwidth, not arithmetic, sets the time). A k-entry
 * min-heap then keeps the best k.
 */
#include "infer/index.h"
#include "core/tensor.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct EmbIndex {
    const unsigned char *base;
    size_t size;
    void *mapping;           /* munmap on close (NULL for memory)  */
    uint32_t dim;
    int32_t pooling;
    uint64_t count;
    char *model;
    const float *probe, *vectors;
    const uint64_t *text_offsets;
    const char *text_bytes;
};

/* ---- little-endian fields ------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get_u64(const unsigned char *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static void put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i); }
static void put_u64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> 8 * i); }

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* ---- writing ---------------------------------------------------------------- */

int index_write(const char *path, const char *model, int32_t pooling, uint32_t dim, const float *probe,
                const float *vectors, uint64_t count, const char *const *texts)
{
    if (dim == 0 || dim > INDEX_MAX_DIM) return fail("%s: dimension %u is out of range", path, dim);
    size_t model_len = strlen(model);
    uint64_t probe_at = align_up(INDEX_FIXED_HEADER + model_len, 4);
    uint64_t header_size = probe_at + 4ull * dim;
    uint64_t vectors_offset = align_up(header_size, 64);
    uint64_t texts_offset = vectors_offset + count * dim * 4ull;
    uint64_t text_bytes = 0;
    for (uint64_t i = 0; i < count; i++) text_bytes += strlen(texts[i]);
    uint64_t file_size = texts_offset + (count + 1) * 8 + text_bytes;

    unsigned char *header = xcalloc(vectors_offset, 1);
    uint64_t *offsets = xmalloc(count + 1, sizeof *offsets);
    if (!header || !offsets) {
        free(header);
        free(offsets);
        return -1;
    }
    /* The CRCs first: vectors, then the text table and bytes, as written. */
    uint32_t crc_vectors = crc32_update(0, vectors, count * dim * sizeof(float));
    uint64_t at = 0;
    for (uint64_t i = 0; i <= count; i++) {
        unsigned char le[8];
        put_u64(le, at);
        memcpy(&offsets[i], le, 8);
        if (i < count) at += strlen(texts[i]);
    }
    uint32_t crc_texts = crc32_update(0, offsets, (count + 1) * 8);
    for (uint64_t i = 0; i < count; i++) crc_texts = crc32_update(crc_texts, texts[i], strlen(texts[i]));

    memcpy(header, INDEX_MAGIC, 8);
    put_u32(header + 8, INDEX_VERSION);
    put_u32(header + 12, (uint32_t)header_size);
    put_u32(header + 16, dim);
    put_u32(header + 20, (uint32_t)pooling);
    put_u32(header + 24, 1);
    put_u32(header + 28, (uint32_t)model_len);
    put_u64(header + 32, count);
    put_u64(header + 40, vectors_offset);
    put_u64(header + 48, texts_offset);
    put_u64(header + 56, file_size);
    put_u32(header + 68, crc_vectors);
    put_u32(header + 72, crc_texts);
    memcpy(header + INDEX_FIXED_HEADER, model, model_len);
    for (uint32_t i = 0; i < dim; i++) {
        uint32_t bits;
        memcpy(&bits, &probe[i], 4);
        put_u32(header + probe_at + 4 * i, bits);
    }
    put_u32(header + 64, crc32_update(0, header, header_size));

    AtomicFile w;
    int rc = atomic_open(&w, path);
    if (rc == 0) {
        fwrite(header, 1, vectors_offset, w.fp);
        fwrite(vectors, sizeof(float), count * dim, w.fp);
        fwrite(offsets, 8, count + 1, w.fp);
        for (uint64_t i = 0; i < count; i++) fwrite(texts[i], 1, strlen(texts[i]), w.fp);
        rc = atomic_commit(&w);
    }
    free(header);
    free(offsets);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

void index_close(EmbIndex *ix)
{
    if (!ix) return;
    if (ix->mapping) munmap(ix->mapping, ix->size);
    free(ix->model);
    free(ix);
}

#define BAD(...) do { fail(__VA_ARGS__); index_close(ix); return -1; } while (0)

int index_open_memory(const void *data, size_t size, const char *name, int verify, EmbIndex **out)
{
    *out = NULL;
    EmbIndex *ix = xcalloc(1, sizeof *ix);
    if (!ix) return -1;
    const unsigned char *p = data;
    ix->base = p;
    ix->size = size;
    if (size < INDEX_FIXED_HEADER || memcmp(p, INDEX_MAGIC, 8) != 0)
        BAD("%s: not an embedding index (no %s magic)", name, INDEX_MAGIC);
    if (get_u32(p + 8) != INDEX_VERSION) BAD("%s: index version %u (this build reads %d)", name, get_u32(p + 8), INDEX_VERSION);
    uint32_t header_size = get_u32(p + 12), dim = get_u32(p + 16), model_len = get_u32(p + 28);
    uint64_t count = get_u64(p + 32), vectors_offset = get_u64(p + 40), texts_offset = get_u64(p + 48);
    if (get_u64(p + 56) != size) BAD("%s: file is %zu bytes, header says %llu (truncated or extended)", name, size,
                                     (unsigned long long)get_u64(p + 56));
    if (dim == 0 || dim > INDEX_MAX_DIM) BAD("%s: dimension %u is out of range", name, dim);
    uint64_t probe_at = align_up(INDEX_FIXED_HEADER + (uint64_t)model_len, 4);
    if (model_len > size || probe_at + 4ull * dim != header_size || header_size > size)
        BAD("%s: header size %u does not match its model string and dimension", name, header_size);
    unsigned char *copy = xmalloc(header_size, 1);
    if (!copy) { index_close(ix); return -1; }
    memcpy(copy, p, header_size);
    memset(copy + 64, 0, 4);
    uint32_t crc = crc32_update(0, copy, header_size);
    free(copy);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION   /* let the fuzzer past the checksums */
    if (crc != get_u32(p + 64)) BAD("%s: header checksum mismatch (the file is damaged)", name);
#else
    (void)crc;
    verify = 0;
#endif
    if (vectors_offset % 64 || vectors_offset < header_size || vectors_offset > size)
        BAD("%s: vectors offset %llu is out of range", name, (unsigned long long)vectors_offset);
    for (uint64_t i = header_size; i < vectors_offset; i++)
        if (p[i]) BAD("%s: nonzero padding at byte %llu (the file is damaged)", name, (unsigned long long)i);
    if (count > (size - vectors_offset) / 4 / dim || texts_offset != vectors_offset + count * dim * 4ull)
        BAD("%s: %llu vectors of %u floats do not fit the file", name, (unsigned long long)count, dim);
    if ((size - texts_offset) / 8 < count + 1) BAD("%s: the text table does not fit the file", name);
    uint64_t bytes_at = texts_offset + (count + 1) * 8, n_bytes = size - bytes_at;
    const unsigned char *table = p + texts_offset;
    uint64_t prev = 0;
    for (uint64_t i = 0; i <= count; i++) {
        uint64_t o = get_u64(table + 8 * i);
        if (o < prev || o > n_bytes || (i == 0 && o != 0) || (i == count && o != n_bytes))
            BAD("%s: text offset %llu is out of order or range", name, (unsigned long long)i);
        prev = o;
    }
    if (verify || size <= INDEX_VERIFY_BYTES) {
        if (crc32_update(0, p + vectors_offset, count * dim * 4ull) != get_u32(p + 68))
            BAD("%s: vector checksum mismatch (the file is damaged)", name);
        if (crc32_update(0, table, size - texts_offset) != get_u32(p + 72))
            BAD("%s: text checksum mismatch (the file is damaged)", name);
    }
    ix->model = xmalloc(model_len + 1, 1);
    if (!ix->model) { index_close(ix); return -1; }
    memcpy(ix->model, p + INDEX_FIXED_HEADER, model_len);
    ix->model[model_len] = 0;
    ix->dim = dim;
    ix->pooling = (int32_t)get_u32(p + 20);
    ix->count = count;
    ix->probe = (const float *)(p + probe_at);
    ix->vectors = (const float *)(p + vectors_offset);
    ix->text_offsets = (const uint64_t *)table;
    ix->text_bytes = (const char *)(p + bytes_at);
    *out = ix;
    return 0;
}

int index_open(const char *path, int verify, EmbIndex **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail("%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        return fail("%s: empty file, not an embedding index", path);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return fail("%s: cannot map: %s", path, strerror(errno));
    if (index_open_memory(map, size, path, verify, out) != 0) {
        munmap(map, size);
        return -1;
    }
    (*out)->mapping = map;
    return 0;
}

uint32_t index_dim(const EmbIndex *ix) { return ix->dim; }
uint64_t index_count(const EmbIndex *ix) { return ix->count; }
int32_t index_pooling(const EmbIndex *ix) { return ix->pooling; }
const char *index_model(const EmbIndex *ix) { return ix->model; }
const float *index_probe(const EmbIndex *ix) { return ix->probe; }
const float *index_vectors(const EmbIndex *ix) { return ix->vectors; }

const char *index_text(const EmbIndex *ix, uint64_t i, size_t *len)
{
    if (i >= ix->count) return NULL;
    const unsigned char *t = (const unsigned char *)ix->text_offsets;
    uint64_t a = get_u64(t + 8 * i), b = get_u64(t + 8 * (i + 1));
    *len = (size_t)(b - a);
    return ix->text_bytes + a;
}

/* ---- search ----------------------------------------------------------------------- */

/* "a ranks below b": lower score, or equal score and higher id. */
static int worse(IndexHit a, IndexHit b) { return a.score < b.score || (a.score == b.score && a.id > b.id); }

static void sift_down(IndexHit *heap, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(heap[l], heap[m])) m = l;
        if (r < n && worse(heap[r], heap[m])) m = r;
        if (m == i) return;
        IndexHit t = heap[i]; heap[i] = heap[m]; heap[m] = t;
        i = m;
    }
}

enum { SEARCH_CHUNK = 1 << 20 };   /* rows scored per matrix product */

int index_search(const float *vectors, uint64_t count, uint32_t dim, const float *query, int k, IndexHit *hits)
{
    if (k <= 0 || count == 0) return 0;
    if ((uint64_t)k > count) k = (int)count;
    uint64_t chunk = count < SEARCH_CHUNK ? count : SEARCH_CHUNK;
    float *scores = xmalloc(chunk, sizeof *scores);
    if (!scores) return -1;
    int n = 0;                                  /* hits[0..n) is a min-heap (worst on top) */
    for (uint64_t from = 0; from < count; from += chunk) {
        int rows = (int)(count - from < chunk ? count - from : chunk);
        matmul_forward(scores, query, vectors + from * dim, NULL, 1, (int)dim, rows);
        for (int r = 0; r < rows; r++) {
            IndexHit h = { from + (uint64_t)r, scores[r] };
            if (n < k) {
                hits[n++] = h;
                for (int i = n / 2 - 1; n == k && i >= 0; i--) sift_down(hits, n, i);
            } else if (worse(hits[0], h)) {
                hits[0] = h;
                sift_down(hits, n, 0);
            }
        }
    }
    free(scores);
    if (n < k || n < 2) for (int i = n / 2 - 1; i >= 0; i--) sift_down(hits, n, i);
    for (int end = n - 1; end > 0; end--) {    /* heap sort: best first */
        IndexHit t = hits[0]; hits[0] = hits[end]; hits[end] = t;
        sift_down(hits, end, 0);
    }
    return n;
}
