/*
 * test_index.c — the embedding index file (src/infer/index.c): a round trip,
 * exact top-k against brute force, and hostile files (truncated, extended,
 * flipped bits, wrong magic, sizes that overflow), each refused with a
 * message and never a crash. Also writes the fuzz seed corpus when asked
 * (test_index --corpus DIR).
 */
#include "test.h"
#include "core/util.h"
#include "infer/index.h"

#include <stdlib.h>
#include <string.h>

enum { DIM = 8, COUNT = 50 };

static float vectors[COUNT * DIM], probe[DIM];
static char text_store[COUNT][32];
static const char *texts[COUNT];

static void make_data(void)
{
    Rng rng;
    rng_seed(&rng, 3);
    for (int i = 0; i < COUNT; i++) {
        double ss = 0;
        for (int k = 0; k < DIM; k++) {
            vectors[i * DIM + k] = rng_normal(&rng);
            ss += vectors[i * DIM + k] * vectors[i * DIM + k];
        }
        for (int k = 0; k < DIM; k++) vectors[i * DIM + k] /= (float)sqrt(ss);
        snprintf(text_store[i], sizeof text_store[i], i % 7 ? "line %d" : "", i);
        texts[i] = text_store[i];
    }
    for (int k = 0; k < DIM; k++) probe[k] = (float)k;
}

static char *write_index(size_t *size)
{
    static char path[] = "/tmp/rustgpt_test_index.idx";
    CHECK(index_write(path, "models/m.gguf\tbert\ttiny", 1, DIM, probe, vectors, COUNT, texts) == 0);
    return read_whole_file(path, size);
}

static void index_round_trip(void)
{
    make_data();
    size_t size;
    char *bytes = write_index(&size);
    EmbIndex *ix = NULL;
    CHECK(index_open("/tmp/rustgpt_test_index.idx", 1, &ix) == 0);
    if (!ix) return;
    CHECK(index_dim(ix) == DIM && index_count(ix) == COUNT && index_pooling(ix) == 1);
    CHECK(strcmp(index_model(ix), "models/m.gguf\tbert\ttiny") == 0);
    CHECK(memcmp(index_vectors(ix), vectors, sizeof vectors) == 0);
    CHECK(memcmp(index_probe(ix), probe, sizeof probe) == 0);
    for (int i = 0; i < COUNT; i++) {
        size_t len;
        const char *t = index_text(ix, (uint64_t)i, &len);
        CHECK(len == strlen(texts[i]) && memcmp(t, texts[i], len) == 0);
    }
    index_close(ix);
    free(bytes);
}

static void search_is_exact_top_k(void)
{
    make_data();
    for (int q = 0; q < 5; q++) {
        const float *query = vectors + q * 7 * DIM;
        IndexHit hits[10];
        int n = index_search(vectors, COUNT, DIM, query, 10, hits);
        CHECK(n == 10);
        CHECK(hits[0].id == (uint64_t)q * 7);                  /* itself, score 1 */
        CHECK_NEAR(hits[0].score, 1.0, 1e-5);
        /* brute force: each hit's score, in order, none missed */
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < DIM; k++) s += query[k] * vectors[hits[i].id * DIM + k];
            CHECK_NEAR(hits[i].score, s, 1e-5);
            if (i) CHECK(hits[i].score <= hits[i - 1].score);
        }
        int better = 0;
        for (int r = 0; r < COUNT; r++) {
            double s = 0;
            for (int k = 0; k < DIM; k++) s += query[k] * vectors[r * DIM + k];
            better += s > hits[n - 1].score + 1e-6;
        }
        CHECK(better <= n - 1);
    }
    IndexHit hits[100];
    CHECK(index_search(vectors, COUNT, DIM, vectors, 100, hits) == COUNT);   /* k > count */
    CHECK(index_search(vectors, 0, DIM, vectors, 5, hits) == 0);
}

/* Open a modified copy; it must be refused with a message containing want. */
static void expect_refused(const char *bytes, size_t size, const char *want, int line)
{
    EmbIndex *ix = NULL;
    char *copy = malloc(size ? size : 1);
    memcpy(copy, bytes, size);
    int rc = index_open_memory(copy, size, "bad.idx", 1, &ix);
    if (rc == 0 || !strstr(last_error(), want)) {
        printf("    line %d: expected refusal with \"%s\", got rc %d \"%s\"\n", line, want, rc, last_error());
        test_failed_checks++;
    }
    index_close(ix);
    free(copy);
}
#define REFUSED(b, n, want) expect_refused(b, n, want, __LINE__)

static void hostile_index_files_are_refused(void)
{
    make_data();
    size_t size;
    char *good = write_index(&size);
    char *b = malloc(size + 16);
    REFUSED(good, 0, "magic");
    REFUSED(good, 40, "magic");
    REFUSED(good, size - 1, "truncated");
    memcpy(b, good, size);
    memset(b + size, 0, 16);
    REFUSED(b, size + 16, "truncated or extended");
    memcpy(b, good, size); b[0] = 'X';                REFUSED(b, size, "magic");
    memcpy(b, good, size); b[8] = 2;                  REFUSED(b, size, "version");
    memcpy(b, good, size); b[16] ^= 1;                REFUSED(b, size, "header size");
    memcpy(b, good, size); b[19] = 0x7f;              REFUSED(b, size, "dimension");
    memcpy(b, good, size); b[39] = 0x7f;              REFUSED(b, size, "checksum");
    memcpy(b, good, size); b[85] ^= 0x20;             REFUSED(b, size, "header checksum");
    memcpy(b, good, size); b[size - 3] ^= 1;          REFUSED(b, size, "text checksum");
    memcpy(b, good, size); b[200] ^= 1;               REFUSED(b, size, "vector checksum");
    /* a text offset out of order, and one past the end */
    uint64_t texts_at;
    memcpy(&texts_at, good + 48, 8);
    memcpy(b, good, size); b[texts_at + 8 * 3] = 100;  REFUSED(b, size, "out of order or range");
    memcpy(b, good, size); b[texts_at + 8 * 50 + 7] = 1; REFUSED(b, size, "out of order or range");
    /* a count so large that count × dim overflows */
    memcpy(b, good, size); memset(b + 32, 0xff, 8);   REFUSED(b, size, "checksum");
    free(good);
    free(b);
}

/* Seeds for the fuzzer: a valid index and a few damaged ones. */
static void write_corpus(const char *dir)
{
    make_data();
    size_t size;
    char *good = write_index(&size);
    char path[512];
    snprintf(path, sizeof path, "%s/valid.idx", dir);
    FILE *f = fopen(path, "wb");
    if (f) { fwrite(good, 1, size, f); fclose(f); }
    snprintf(path, sizeof path, "%s/truncated.idx", dir);
    f = fopen(path, "wb");
    if (f) { fwrite(good, 1, size / 2, f); fclose(f); }
    free(good);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0) {
        write_corpus(argv[2]);
        return 0;
    }
    RUN(index_round_trip);
    RUN(search_is_exact_top_k);
    RUN(hostile_index_files_are_refused);
    remove("/tmp/rustgpt_test_index.idx");
    TESTS_DONE();
}
