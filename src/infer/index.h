/*
 * index.h — a file of normalised embeddings and their texts, searched by
 * exact cosine similarity (index.c; `rustgpt index` and `rustgpt search`).
 *
 * The file (little-endian; docs/18-embeddings.md draws it):
 *
 *   offset  size
 *   0       8    magic "RGEMBIX1"
 *   8       4    version (1)
 *   12      4    header_size: bytes up to the end of the probe vector
 *   16      4    dim
 *   20      4    pooling (rg_pooling)
 *   24      4    normalized (1)
 *   28      4    model_len: bytes of the model string (no NUL)
 *   32      8    count: vectors (= texts)
 *   40      8    vectors_offset (a multiple of 64)
 *   48      8    texts_offset: (count + 1) u64 text offsets, then the bytes
 *   56      8    file_size
 *   64      4    crc_header: CRC-32 of bytes [0, header_size) with this field 0
 *   68      4    crc_vectors: of the count·dim floats
 *   72      4    crc_texts: of everything from texts_offset to the end
 *   76      4    reserved (0)
 *   80      model_len bytes: the model string ("PATH\tARCH\tNAME")
 *   then    pad to 4; dim floats: the probe, the model's embedding of
 *           INDEX_PROBE_TEXT, so that search can tell a different model of
 *           the same shape
 *   vectors_offset: count × dim floats
 *   texts_offset:   count + 1 u64 offsets into the bytes that follow
 *
 * The loader maps the file and checks every size and offset against the
 * file size before using it, and the header CRC always; the vector and text
 * CRCs are checked when the file is under INDEX_VERIFY_BYTES or when asked
 * (a flipped bit there can give a wrong score, never a crash).
 */
#ifndef RUSTGPT_INDEX_H
#define RUSTGPT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define INDEX_MAGIC "RGEMBIX1"
#define INDEX_PROBE_TEXT "rustgpt index probe: the quick brown fox jumps over the lazy dog."
enum { INDEX_VERSION = 1, INDEX_FIXED_HEADER = 80, INDEX_MAX_DIM = 1 << 16 };
#define INDEX_VERIFY_BYTES (64u << 20)

typedef struct EmbIndex EmbIndex;

/* Write count vectors [count, dim] and their texts atomically. model is the
 * model string, probe [dim] the model's embedding of INDEX_PROBE_TEXT.
 * Returns 0, or -1 after fail(). */
int index_write(const char *path, const char *model, int32_t pooling, uint32_t dim, const float *probe,
                const float *vectors, uint64_t count, const char *const *texts);

/* Map and check path (verify: check the vector and text CRCs whatever the
 * size). Returns 0, or -1 after fail() naming the file and the problem. */
int index_open(const char *path, int verify, EmbIndex **out);
/* The same over size bytes at data (not copied; for tests and fuzzing). */
int index_open_memory(const void *data, size_t size, const char *name, int verify, EmbIndex **out);
void index_close(EmbIndex *ix);

uint32_t index_dim(const EmbIndex *ix);
uint64_t index_count(const EmbIndex *ix);
int32_t index_pooling(const EmbIndex *ix);
const char *index_model(const EmbIndex *ix);        /* NUL-terminated copy */
const float *index_probe(const EmbIndex *ix);       /* [dim]               */
const float *index_vectors(const EmbIndex *ix);     /* [count, dim]        */
const char *index_text(const EmbIndex *ix, uint64_t i, size_t *len);

typedef struct {
    uint64_t id;
    float score;
} IndexHit;

/* The k rows of vectors [count, dim] with the largest dot product with
 * query [dim], best first (ties: lower id first) into hits[min(k, count)];
 * returns how many. Exact: every row is scored (SIMD, threads). */
int index_search(const float *vectors, uint64_t count, uint32_t dim, const float *query, int k, IndexHit *hits);

#endif
