/*
 * test_gguf_hostile.c — GGUF files built to break the reader
 * (formats/gguf.c): each must give a clear error naming what is wrong,
 * never a crash, a hang or a huge allocation (run it under SANITIZE=1).
 *
 * A small valid file is built by hand, field by field, with knobs to
 * corrupt one field at a time: truncated at every byte, tensor offsets
 * overlapping or past the end, dimensions whose product overflows, 2^63
 * tensors, strings of length 2^60, misaligned data, a type id of 9999,
 * bad versions, nested arrays, duplicate keys and a bad general.alignment.
 */
#include "test.h"
#include "formats/gguf.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char bytes[4096];
    size_t len;
} Buf;

static void put(Buf *b, const void *p, size_t n) { memcpy(b->bytes + b->len, p, n); b->len += n; }
static void u32(Buf *b, uint32_t v) { for (int i = 0; i < 4; i++) b->bytes[b->len++] = (unsigned char)(v >> 8 * i); }
static void u64(Buf *b, uint64_t v) { for (int i = 0; i < 8; i++) b->bytes[b->len++] = (unsigned char)(v >> 8 * i); }
static void str(Buf *b, const char *s) { u64(b, strlen(s)); put(b, s, strlen(s)); }

/* The knobs; a zeroed Knobs plus defaults() builds a valid file. */
typedef struct {
    uint32_t version;
    uint64_t n_tensors, n_kv;
    uint64_t arch_len;                /* length field of the first string value */
    uint32_t alignment_type;          /* GGUF type of general.alignment */
    uint32_t alignment;
    uint32_t array_elem_type;         /* element type of the array key */
    uint64_t array_n;
    int duplicate_key;
    uint32_t a_n_dims;
    uint64_t a_dims[4];
    uint32_t b_type;
    uint64_t b_dims[2];
    uint64_t a_offset, b_offset;
} Knobs;

static Knobs defaults(void)
{
    Knobs k = { 0 };
    k.version = 3;
    k.n_tensors = 2;
    k.n_kv = 3;
    k.arch_len = 5;
    k.alignment_type = GGUF_UINT32;
    k.alignment = 32;
    k.array_elem_type = GGUF_INT32;
    k.array_n = 3;
    k.a_n_dims = 1;
    k.a_dims[0] = 8;              /* a: F32 [8], 32 bytes at 0 */
    k.b_type = RG_TYPE_Q8_0;
    k.b_dims[0] = 32;             /* b: Q8_0 [32, 2], 68 bytes at 32 */
    k.b_dims[1] = 2;
    k.a_offset = 0;
    k.b_offset = 32;
    return k;
}

static void build(const Knobs *k, Buf *b)
{
    b->len = 0;
    put(b, "GGUF", 4);
    u32(b, k->version);
    u64(b, k->n_tensors);
    u64(b, k->n_kv);
    str(b, "general.architecture");
    u32(b, GGUF_STRING);
    u64(b, k->arch_len);
    put(b, "llama", 5);
    str(b, k->duplicate_key ? "general.architecture" : "general.alignment");
    u32(b, k->alignment_type);
    u32(b, k->alignment);
    str(b, "test.array");
    u32(b, GGUF_ARRAY);
    u32(b, k->array_elem_type);
    u64(b, k->array_n);
    for (int i = 0; i < 3; i++) u32(b, (uint32_t)i);
    str(b, "a");
    u32(b, k->a_n_dims);
    for (uint32_t d = 0; d < k->a_n_dims && d < 4; d++) u64(b, k->a_dims[d]);
    u32(b, RG_TYPE_F32);
    u64(b, k->a_offset);
    str(b, "b");
    u32(b, 2);
    u64(b, k->b_dims[0]);
    u64(b, k->b_dims[1]);
    u32(b, k->b_type);
    u64(b, k->b_offset);
    while (b->len % 32) b->bytes[b->len++] = 0;
    for (int i = 0; i < 32 + 68; i++) b->bytes[b->len++] = (unsigned char)i;
    while (b->len % 32) b->bytes[b->len++] = 0;
}

/* Open the file a knob makes; expect failure with `message` in the error. */
static void expect_error(const Knobs *k, const char *message)
{
    Buf b;
    build(k, &b);
    gguf_file *f = (gguf_file *)1;
    int rc = gguf_open_memory(b.bytes, b.len, "hostile.gguf", &f);
    CHECK(rc == -1 && f == NULL);
    if (rc == 0) gguf_close(f);
    if (!strstr(last_error(), message)) printf("    error \"%s\" lacks \"%s\"\n", last_error(), message);
    CHECK(strstr(last_error(), message) != NULL);
    CHECK(strstr(last_error(), "hostile.gguf") != NULL);
}

static void the_base_file_is_valid(void)
{
    Knobs k = defaults();
    Buf b;
    build(&k, &b);
    gguf_file *f;
    CHECK(gguf_open_memory(b.bytes, b.len, "hostile.gguf", &f) == 0);
    if (!f) { printf("    %s\n", last_error()); return; }
    CHECK(gguf_n_tensors(f) == 2 && gguf_n_kv(f) == 3);
    const gguf_tensor *t = gguf_find_tensor(f, "b");
    CHECK(t && t->n_bytes == 68 && ((const unsigned char *)t->data)[0] == 32);
    gguf_close(f);
}

static void truncated_at_every_byte(void)
{
    Knobs k = defaults();
    Buf b;
    build(&k, &b);
    size_t data_end = b.len - 28;   /* 100 bytes of data from a 32-aligned start, then 28 of padding */
    int failures = 0, clear = 1;
    for (size_t n = 0; n < b.len; n++) {
        unsigned char *copy = malloc(n ? n : 1);   /* exactly n bytes: ASan sees any over-read */
        memcpy(copy, b.bytes, n);
        gguf_file *f;
        int rc = gguf_open_memory(copy, n, "cut.gguf", &f);
        if (n < data_end) {
            failures += rc != 0;
            clear &= rc != 0 && last_error()[0] != '\0';
        }
        if (rc == 0) gguf_close(f);
        free(copy);
    }
    CHECK(failures == (int)data_end);
    CHECK(clear);
    /* the messages say where */
    Buf cut = b;
    cut.len = 30;
    gguf_file *f;
    CHECK(gguf_open_memory(cut.bytes, cut.len, "cut.gguf", &f) == -1);
    CHECK(strstr(last_error(), "truncated") != NULL || strstr(last_error(), "past the end") != NULL ||
          strstr(last_error(), "cannot fit") != NULL);
    CHECK(gguf_open_memory(b.bytes, data_end - 1, "cut.gguf", &f) == -1);
    CHECK(strstr(last_error(), "'b'") != NULL && strstr(last_error(), "past the end of the data section") != NULL);
}

static void hostile_counts_and_lengths(void)
{
    Knobs k = defaults();
    k.n_tensors = 1ull << 63;
    expect_error(&k, "9223372036854775808 tensors cannot fit");
    k = defaults();
    k.n_kv = UINT64_MAX;
    expect_error(&k, "keys cannot fit");
    k = defaults();
    k.arch_len = 1ull << 60;
    expect_error(&k, "length 1152921504606846976, past the end");
    k = defaults();
    k.array_n = 1ull << 62;
    expect_error(&k, "cannot fit in the");
    k = defaults();
    k.array_elem_type = GGUF_STRING;
    k.array_n = 1ull << 61;
    expect_error(&k, "strings cannot fit");
    k = defaults();
    k.array_elem_type = GGUF_ARRAY;
    expect_error(&k, "array of arrays");
    k = defaults();
    k.array_elem_type = 77;
    expect_error(&k, "unknown type 77");
    k = defaults();
    k.alignment_type = 99;
    expect_error(&k, "unknown value type 99");
}

static void hostile_tensors(void)
{
    Knobs k = defaults();
    k.b_type = 9999;
    expect_error(&k, "tensor 'b' has unknown type 9999");
    k = defaults();
    k.b_offset = 0;
    expect_error(&k, "overlap");
    k = defaults();
    k.b_offset = 1ull << 62;
    expect_error(&k, "past the end of the data section");
    k = defaults();
    k.b_offset = UINT64_MAX - 31;
    expect_error(&k, "past the end of the data section");
    k = defaults();
    k.b_offset = 36;
    expect_error(&k, "offset 36 is not a multiple of the alignment 32");
    k = defaults();
    k.b_dims[0] = 1ull << 40;   /* 2^40 · 2^40 overflows int64 */
    k.b_dims[1] = 1ull << 40;
    expect_error(&k, "product of its dimensions overflows");
    k = defaults();
    k.b_dims[0] = 1ull << 61;   /* fits int64, but its bytes do not */
    k.b_dims[1] = 3;
    expect_error(&k, "'b'");
    k = defaults();
    k.b_dims[0] = 33;
    expect_error(&k, "row length 33 is not a multiple of Q8_0's block of 32");
    k = defaults();
    k.b_dims[1] = 0;
    expect_error(&k, "dimension 1 is 0");
    k = defaults();
    k.a_dims[0] = UINT64_MAX;
    expect_error(&k, "dimension 0 is 18446744073709551615");
    k = defaults();
    k.a_n_dims = 5;
    expect_error(&k, "5 dimensions");
}

static void hostile_header_fields(void)
{
    Knobs k = defaults();
    k.version = 1;
    expect_error(&k, "version 1 is not supported");
    k.version = 0x03000000u;
    expect_error(&k, "big-endian");
    k = defaults();
    k.duplicate_key = 1;
    expect_error(&k, "key 'general.architecture' appears twice");
    k = defaults();
    k.alignment = 0;
    expect_error(&k, "general.alignment 0 is not a power of two");
    k = defaults();
    k.alignment = 48;
    expect_error(&k, "general.alignment 48 is not a power of two");
    k = defaults();
    k.alignment_type = GGUF_INT32;
    expect_error(&k, "general.alignment is a int32");
    /* not GGUF at all */
    gguf_file *f;
    CHECK(gguf_open_memory("GGUX\3\0\0\0", 8, "x.gguf", &f) == -1);
    CHECK(strstr(last_error(), "not a GGUF file") != NULL);
    CHECK(gguf_open_memory(NULL, 0, "empty.gguf", &f) == -1);
    CHECK(gguf_open("/nonexistent/x.gguf", &f) == -1);
    CHECK(strstr(last_error(), "/nonexistent/x.gguf") != NULL);
}

int main(void)
{
    RUN(the_base_file_is_valid);
    RUN(truncated_at_every_byte);
    RUN(hostile_counts_and_lengths);
    RUN(hostile_tensors);
    RUN(hostile_header_fields);
    TESTS_DONE();
}
