/*
 * test_gguf.c — the GGUF writer and reader (formats/gguf.h) in a round trip:
 * every value type, string arrays, tensors of every type, general.alignment
 * honoured, the mapping used in place, lookups by key and name, and the
 * write is atomic (a failed write leaves the old file).
 * Hostile files are in test_gguf_hostile.c.
 */
#include "test.h"
#include "formats/gguf.h"
#include "core/quant.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int str_is(gguf_str s, const char *want) { return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0; }

static void write_then_read_every_type(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/all.gguf", dir);
    gguf_writer *w = gguf_writer_new();
    CHECK(gguf_set_string(w, "general.architecture", "llama", 5) == 0);
    CHECK(gguf_set_u32(w, "llama.block_count", 2) == 0);
    CHECK(gguf_set_i32(w, "test.negative", -7) == 0);
    CHECK(gguf_set_u64(w, "test.big", 1ull << 40) == 0);
    CHECK(gguf_set_f32(w, "llama.rope.freq_base", 10000.0f) == 0);
    CHECK(gguf_set_bool(w, "test.flag", 1) == 0);
    CHECK(gguf_set_u32(w, "llama.block_count", 3) == 0);   /* replaces */
    const char *tokens[] = { "<s>", "a", "\xc4\xa0the" };
    CHECK(gguf_set_string_array(w, "tokenizer.ggml.tokens", tokens, NULL, 3) == 0);
    float scores[3] = { 0.0f, -1.5f, -2.25f };
    CHECK(gguf_set_array(w, "tokenizer.ggml.scores", GGUF_FLOAT32, scores, 3) == 0);
    int32_t types[3] = { 3, 1, 1 };
    CHECK(gguf_set_array(w, "tokenizer.ggml.token_type", GGUF_INT32, types, 3) == 0);

    static const rg_type tensor_types[] = { RG_TYPE_F32, RG_TYPE_F16, RG_TYPE_BF16, RG_TYPE_Q8_0,
                                            RG_TYPE_Q4_0, RG_TYPE_Q4_K, RG_TYPE_Q5_K, RG_TYPE_Q6_K };
    enum { NT = sizeof tensor_types / sizeof tensor_types[0], COLS = 256, ROWS = 3 };
    float values[COLS * ROWS];
    Rng rng;
    rng_seed(&rng, 1);
    for (int i = 0; i < COLS * ROWS; i++) values[i] = rng_normal(&rng);
    void *data[NT];
    for (int t = 0; t < NT; t++) {
        size_t rb = quant_row_bytes(tensor_types[t], COLS);
        data[t] = malloc(rb * ROWS);
        for (int r = 0; r < ROWS; r++)
            quant_quantize_row(tensor_types[t], values + r * COLS, (char *)data[t] + rb * r, COLS);
        char name[32];
        snprintf(name, sizeof name, "blk.%d.w", t);
        int64_t dims[2] = { COLS, ROWS };
        CHECK(gguf_add_tensor(w, name, tensor_types[t], 2, dims, data[t], rb * ROWS) == 0);
    }
    int64_t bad_dims[2] = { 100, 2 };
    CHECK(gguf_add_tensor(w, "bad", RG_TYPE_Q4_K, 2, bad_dims, values, 100) == -1);
    CHECK(gguf_writer_write(w, path) == 0);
    gguf_writer_free(w);

    gguf_file *f;
    CHECK(gguf_open(path, &f) == 0);
    if (!f) { printf("    %s\n", last_error()); return; }
    CHECK(gguf_version(f) == 3);
    CHECK(gguf_n_kv(f) == 9);
    CHECK(gguf_n_tensors(f) == NT);
    CHECK(gguf_alignment(f) == 32);
    CHECK(gguf_data_start(f) % 32 == 0);
    int64_t iv;
    double fv;
    int bv;
    gguf_str sv;
    CHECK(gguf_get_int(f, "llama.block_count", &iv) == 0 && iv == 3);
    CHECK(gguf_get_int(f, "test.negative", &iv) == 0 && iv == -7);
    CHECK(gguf_get_int(f, "test.big", &iv) == 0 && iv == 1ll << 40);
    CHECK(gguf_get_float(f, "llama.rope.freq_base", &fv) == 0 && fv == 10000.0);
    CHECK(gguf_get_bool(f, "test.flag", &bv) == 0 && bv == 1);
    CHECK(gguf_get_string(f, "general.architecture", &sv) == 0 && str_is(sv, "llama"));
    CHECK(gguf_get_int(f, "general.architecture", &iv) == -1);
    CHECK(strstr(last_error(), "is a string, not an integer") != NULL);
    CHECK(gguf_get_int(f, "missing.key", &iv) == -1);
    CHECK(gguf_kv_at(f, 0) == gguf_find_kv(f, "general.architecture"));   /* order kept */
    const gguf_kv *tok = gguf_find_kv(f, "tokenizer.ggml.tokens");
    CHECK(tok && tok->type == GGUF_ARRAY && tok->elem_type == GGUF_STRING && tok->n == 3);
    if (tok && tok->n == 3) CHECK(str_is(tok->strings[2], "\xc4\xa0the"));
    const gguf_kv *sc = gguf_find_kv(f, "tokenizer.ggml.scores");
    CHECK(sc && sc->n == 3 && gguf_array_float(sc, 2) == -2.25);
    const gguf_kv *ty = gguf_find_kv(f, "tokenizer.ggml.token_type");
    CHECK(ty && gguf_array_int(ty, 0) == 3);
    for (int t = 0; t < NT; t++) {
        char name[32];
        snprintf(name, sizeof name, "blk.%d.w", t);
        const gguf_tensor *g = gguf_find_tensor(f, name);
        CHECK(g != NULL);
        if (!g) continue;
        CHECK(g->type == tensor_types[t] && g->n_dims == 2 && g->dims[0] == COLS && g->dims[1] == ROWS);
        CHECK(g->n_bytes == quant_row_bytes(tensor_types[t], COLS) * ROWS);
        CHECK(memcmp(g->data, data[t], g->n_bytes) == 0);
        /* in place: the data is inside the mapping, aligned */
        CHECK((const unsigned char *)g->data == gguf_bytes(f) + gguf_data_start(f) + g->offset);
        CHECK(g->offset % 32 == 0);
    }
    CHECK(gguf_find_tensor(f, "nope") == NULL);
    gguf_close(f);
    for (int t = 0; t < NT; t++) free(data[t]);
    unlink(path);
}

static void alignment_key_is_honoured(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/align.gguf", dir);
    gguf_writer *w = gguf_writer_new();
    CHECK(gguf_set_u32(w, "general.alignment", 64) == 0);
    float a[3] = { 1, 2, 3 }, b[5] = { 4, 5, 6, 7, 8 };
    int64_t da[1] = { 3 }, db[1] = { 5 };
    CHECK(gguf_add_tensor(w, "a", RG_TYPE_F32, 1, da, a, sizeof a) == 0);
    CHECK(gguf_add_tensor(w, "b", RG_TYPE_F32, 1, db, b, sizeof b) == 0);
    CHECK(gguf_writer_write(w, path) == 0);
    gguf_file *f;
    CHECK(gguf_open(path, &f) == 0);
    if (f) {
        CHECK(gguf_alignment(f) == 64);
        CHECK(gguf_data_start(f) % 64 == 0);
        const gguf_tensor *t = gguf_find_tensor(f, "b");
        CHECK(t && t->offset == 64 && ((const float *)t->data)[4] == 8.0f);
        gguf_close(f);
    }
    /* a bad alignment is refused and the old file stays */
    CHECK(gguf_set_u32(w, "general.alignment", 48) == 0);
    CHECK(gguf_writer_write(w, path) == -1);
    CHECK(gguf_open(path, &f) == 0);
    gguf_close(f);
    gguf_writer_free(w);
    unlink(path);
}

static void copies_every_key_of_a_file(void)
{
    char src[128], dst[128];
    snprintf(src, sizeof src, "%s/src.gguf", dir);
    snprintf(dst, sizeof dst, "%s/dst.gguf", dir);
    gguf_writer *w = gguf_writer_new();
    gguf_set_string(w, "general.name", "x", 1);
    gguf_set_f32(w, "f", 0.5f);
    gguf_set_bool(w, "b", 0);
    gguf_set_i32(w, "i", -3);
    const char *s[] = { "p", "q" };
    gguf_set_string_array(w, "arr", s, NULL, 2);
    CHECK(gguf_writer_write(w, src) == 0);
    gguf_writer_free(w);
    gguf_file *f;
    CHECK(gguf_open(src, &f) == 0);
    if (!f) return;
    w = gguf_writer_new();
    for (uint64_t i = 0; i < gguf_n_kv(f); i++) CHECK(gguf_set_kv(w, gguf_kv_at(f, i)) == 0);
    CHECK(gguf_writer_write(w, dst) == 0);
    gguf_writer_free(w);
    size_t n1, n2;
    char *a = read_whole_file(src, &n1), *b = read_whole_file(dst, &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
    gguf_close(f);
    unlink(src);
    unlink(dst);
}

/* The format vtable: load into an rg_source (data in place), save back. */
static void format_vtable_loads_and_saves(void)
{
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/va.gguf", dir);
    snprintf(b, sizeof b, "%s/vb.gguf", dir);
    gguf_writer *w = gguf_writer_new();
    gguf_set_string(w, "general.architecture", "llama", 5);
    gguf_set_u32(w, "llama.block_count", 2);
    gguf_set_f32(w, "llama.rope.freq_base", 500000.0f);
    gguf_set_bool(w, "tokenizer.ggml.add_bos_token", 1);
    const char *tokens[] = { "<s>", "x" };
    gguf_set_string_array(w, "tokenizer.ggml.tokens", tokens, NULL, 2);
    int32_t types[2] = { 3, 1 };
    gguf_set_array(w, "tokenizer.ggml.token_type", GGUF_INT32, types, 2);
    uint16_t half[64];
    for (int i = 0; i < 64; i++) half[i] = quant_f32_to_f16((float)i);
    int64_t dims[2] = { 32, 2 };
    gguf_add_tensor(w, "token_embd.weight", RG_TYPE_F16, 2, dims, half, sizeof half);
    CHECK(gguf_writer_write(w, a) == 0);
    gguf_writer_free(w);

    unsigned char head[8] = "GGUF\3\0\0";
    CHECK(gguf_format.probe(a, head, 8) == 1);
    CHECK(gguf_format.probe(a, (const unsigned char *)"RGPT", 4) == 0);
    rg_source *src;
    CHECK(gguf_format.load(a, NULL, &src) == RG_OK);
    if (!src) return;
    int64_t iv;
    double fv;
    const char *sv;
    size_t len;
    CHECK(rg_source_int(src, "llama.block_count", &iv) == RG_OK && iv == 2);
    CHECK(rg_source_float(src, "llama.rope.freq_base", &fv) == RG_OK && fv == 500000.0);
    CHECK(rg_source_array_string(src, "tokenizer.ggml.tokens", 1, &sv, &len) == RG_OK && len == 1 && sv[0] == 'x');
    CHECK(rg_source_array_int(src, "tokenizer.ggml.token_type", 0, &iv) == RG_OK && iv == 3);
    const rg_tensor *t = rg_source_tensor(src, "token_embd.weight");
    CHECK(t && t->type == RG_TYPE_F16 && t->dims[0] == 32 && t->dims[1] == 2 && t->n_bytes == 128);
    if (t) CHECK(quant_f16_to_f32(((const uint16_t *)t->data)[63]) == 63.0f);
    CHECK(gguf_format.save(src, b) == RG_OK);
    rg_source_free(src);
    /* the same bytes: the widths chosen on saving are the ones written */
    size_t n1, n2;
    char *x = read_whole_file(a, &n1), *y = read_whole_file(b, &n2);
    CHECK(x && y && n1 == n2 && memcmp(x, y, n1) == 0);
    free(x);
    free(y);
    CHECK(gguf_format.load("/nonexistent.gguf", NULL, &src) == RG_ERR_IO);
    unlink(a);
    unlink(b);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_gguf.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(write_then_read_every_type);
    RUN(alignment_key_is_honoured);
    RUN(copies_every_key_of_a_file);
    RUN(format_vtable_loads_and_saves);
    rmdir(dir);
    TESTS_DONE();
}
