/*
 * fuzz_index.c — libFuzzer target: arbitrary bytes as an embedding index
 * (src/infer/index.c). Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
 * so the checksums do not stop the fuzzer at the header. Whatever opens
 * must be readable end to end: every text, every vector, and a search.
 */
#include "infer/index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EmbIndex *ix;
    if (index_open_memory(data, size, "fuzz.idx", 1, &ix) != 0) return 0;
    uint32_t dim = index_dim(ix);
    uint64_t count = index_count(ix);
    size_t total = 0, len;
    for (uint64_t i = 0; i < count; i++) {
        const char *t = index_text(ix, i, &len);
        for (size_t k = 0; k < len; k++) total += (unsigned char)t[k];
    }
    IndexHit hits[4];
    index_search(index_vectors(ix), count, dim, index_probe(ix), 4, hits);
    volatile size_t sink = total + strlen(index_model(ix));
    (void)sink;
    index_close(ix);
    return 0;
}
