/*
 * test_modelfile.c — the model files (src/modelfile*.c): round trips that
 * keep every bit, conversions between formats, and bad files of every kind
 * (truncated at every length, flipped bytes, wrong magic, future versions,
 * absurd sizes, duplicate words) rejected with a message naming the file and
 * never a crash. `make test SANITIZE=1` runs these under ASan and UBSan.
 *
 * Every test builds the same tiny model (V=7, d=4, h=2, H=8, L=1, T=4: 259
 * parameters), so that trying every truncation length of a file is cheap.
 */
#include "modelfile.h"
#include "util.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TINY_PARAMS = 259 };

static char tmp_dir[64];

static const char *tmp_path(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

static const char *const tiny_words[7] = { "<pad>", "<unk>", "</s>", "hello",
                                           "\"", "\\", "caf\xc3\xa9" };

/* The tiny model, with random weights and, when special, the float values
 * that most easily go wrong in a file: -0, subnormals, FLT_MAX, NaN, inf. */
static void tiny_model(Model *m, int special)
{
    ModelConfig c = { .vocab_size = 7, .d_model = 4, .n_heads = 2, .d_hidden = 8,
                      .n_layers = 1, .seq_len = 4 };
    if (model_create(m, &c) != 0) { printf("    model_create: %s\n", last_error()); abort(); }
    model_init_weights(m, 42);
    if (vocab_from_words(&m->vocab, tiny_words, 7) != 0) {
        printf("    vocab_from_words: %s\n", last_error());
        abort();
    }
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < m->n_params; i++)   /* values across many exponents */
        m->params[i] += rng_normal(&rng) * powf(10.0f, (float)(rng_u32(&rng) % 12) - 8.0f);
    if (special) {
        uint32_t nan_payload = 0x7fc12345u;
        m->params[0] = -0.0f;
        m->params[1] = 1e-45f;           /* smallest subnormal */
        m->params[2] = FLT_MAX;
        m->params[3] = -FLT_MIN;
        m->params[4] = 3.0e-39f;         /* subnormal */
        m->params[5] = 0.1f;
        if (special > 1) {
            memcpy(&m->params[6], &nan_payload, 4);
            m->params[7] = -INFINITY;
        }
    }
}

static int same_bits(const Model *a, const Model *b)
{
    if (memcmp(&a->config, &b->config, sizeof a->config) != 0 || a->n_params != b->n_params)
        return 0;
    if (a->vocab.size != b->vocab.size) return 0;
    for (int i = 0; i < a->vocab.size; i++)
        if (strcmp(a->vocab.words[i], b->vocab.words[i]) != 0) return 0;
    return memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0;
}

static int is_zeroed(const Model *m)
{
    static const Model zero;
    return memcmp(m, &zero, sizeof zero) == 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    return (unsigned char *)read_whole_file(path, len);
}

static void write_bytes(const char *path, const void *bytes, size_t len)
{
    FILE *fp = fopen(path, "wb");
    fwrite(bytes, 1, len, fp);
    fclose(fp);
}

/* Load len bytes as the format `ext` names, from an exactly-sized heap copy
 * (so that ASan sees any read past the end). */
static int load_buffer(Model *m, const char *ext, const unsigned char *bytes, size_t len,
                       const char *name)
{
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    int rc;
    if (strcmp(ext, "bin") == 0) rc = model_load_bin_buffer(m, NULL, name, copy, len);
    else if (strcmp(ext, "json") == 0) rc = model_load_json_buffer(m, name, (char *)copy, len);
    else rc = model_load_safetensors_buffer(m, name, copy, len);
    free(copy);
    return rc;
}

/* The first occurrence of the string needle in bytes[0..len), or NULL. */
static char *find(void *bytes, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp((char *)bytes + i, needle, n) == 0) return (char *)bytes + i;
    return NULL;
}

static const char *const formats[3] = { "bin", "json", "safetensors" };

/* ---- round trips ------------------------------------------------------- */

static void test_format_follows_extension(void)
{
    CHECK(model_format_of("models/x.bin") == FORMAT_BIN);
    CHECK(model_format_of("x.JSON") == FORMAT_JSON);
    CHECK(model_format_of("a/b.safetensors") == FORMAT_SAFETENSORS);
    CHECK(model_format_of("x.txt") == FORMAT_UNKNOWN);
    CHECK(model_format_of(".bin") == FORMAT_UNKNOWN);
    Model m;
    tiny_model(&m, 0);
    CHECK(model_save(&m, tmp_path("model.pt")) == -1);
    CHECK(strstr(last_error(), "model.pt: unknown model format; use .bin, .json or .safetensors"));
    model_free(&m);
}

static void round_trip(const char *ext, int special)
{
    Model m, back;
    char name[64];
    tiny_model(&m, special);
    snprintf(name, sizeof name, "round.%s", ext);
    CHECK(model_save(&m, tmp_path(name)) == 0);
    CHECK(model_load(&back, tmp_path(name)) == 0);
    CHECK(same_bits(&m, &back));
    CHECK(back.w.head_b == back.params + back.n_params - 7);   /* views mapped */
    model_free(&back);
    model_free(&m);
}

static void test_bin_round_trip_keeps_every_bit(void) { round_trip("bin", 2); }
static void test_json_round_trip_keeps_every_bit(void) { round_trip("json", 1); }
static void test_safetensors_round_trip_keeps_every_bit(void) { round_trip("safetensors", 2); }

static void test_json_floats_read_back_exactly(void)
{
    /* "%.9g" then strtof is the identity on every float we try */
    Rng rng;
    rng_seed(&rng, 1);
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = rng_u32(&rng);
        float f;
        memcpy(&f, &bits, 4);
        if (!isfinite(f)) continue;
        char text[32];
        snprintf(text, sizeof text, "%.9g", (double)f);
        float back = (float)strtod(text, NULL);
        bad += memcmp(&f, &back, 4) != 0;
    }
    CHECK(bad == 0);
}

static void test_conversions_between_every_pair_keep_every_bit(void)
{
    Model original;
    tiny_model(&original, 1);
    CHECK(model_save(&original, tmp_path("chain0.bin")) == 0);
    /* bin -> json -> safetensors -> bin -> safetensors -> json -> bin: every
     * ordered pair of formats appears once */
    const char *chain[] = { "bin", "json", "safetensors", "bin", "safetensors", "json", "bin" };
    char from[64] = "chain0.bin";
    for (int i = 1; i < 7; i++) {
        Model m;
        char to[64];
        snprintf(to, sizeof to, "chain%d.%s", i, chain[i]);
        CHECK(model_load(&m, tmp_path(from)) == 0);
        CHECK(same_bits(&original, &m));
        CHECK(model_save(&m, tmp_path(to)) == 0);
        model_free(&m);
        snprintf(from, sizeof from, "%s", to);
    }
    Model last;
    CHECK(model_load(&last, tmp_path(from)) == 0);
    CHECK(same_bits(&original, &last));
    model_free(&last);
    model_free(&original);
}

static void test_json_refuses_to_save_nan(void)
{
    Model m;
    tiny_model(&m, 0);
    m.w.blocks[0].ln2_b[1] = NAN;
    CHECK(model_save(&m, tmp_path("nan.json")) == -1);
    CHECK(strstr(last_error(), "nan.json: tensor blocks.0.ln2.bias element 1 is NaN"));
    CHECK(access(tmp_path("nan.json"), F_OK) != 0);
    model_free(&m);
}

/* ---- damaged files ----------------------------------------------------- */

static unsigned char *saved_bytes(const char *ext, size_t *len)
{
    Model m;
    char name[64];
    tiny_model(&m, 1);
    snprintf(name, sizeof name, "damage.%s", ext);
    if (model_save(&m, tmp_path(name)) != 0) printf("    save: %s\n", last_error());
    model_free(&m);
    return slurp(tmp_path(name), len);
}

/* Only whitespace after the first k bytes: a JSON prefix that is still the
 * whole document. */
static int only_space_after(const unsigned char *bytes, size_t len, size_t k)
{
    for (size_t i = k; i < len; i++)
        if (!strchr(" \n\r\t", bytes[i])) return 0;
    return 1;
}

static void every_truncation_rejected(const char *ext)
{
    size_t len;
    unsigned char *bytes = saved_bytes(ext, &len);
    int accepted = 0, unnamed = 0, not_zeroed = 0;
    for (size_t k = 0; k < len; k++) {
        Model m;
        int rc = load_buffer(&m, ext, bytes, k, "models/x.model");
        if (rc == 0) {
            if (!(strcmp(ext, "json") == 0 && only_space_after(bytes, len, k))) {
                accepted++;
                if (accepted < 3) printf("    %s truncated to %zu bytes loaded\n", ext, k);
            }
            model_free(&m);
            continue;
        }
        if (strncmp(last_error(), "models/x.model", 14) != 0) {
            if (++unnamed < 3) printf("    message without the file name: %s\n", last_error());
        }
        not_zeroed += !is_zeroed(&m);
    }
    CHECK(accepted == 0);
    CHECK(unnamed == 0);
    CHECK(not_zeroed == 0);
    free(bytes);
}

static void test_bin_every_truncation_rejected(void) { every_truncation_rejected("bin"); }
static void test_json_every_truncation_rejected(void) { every_truncation_rejected("json"); }
static void test_safetensors_every_truncation_rejected(void)
{
    every_truncation_rejected("safetensors");
}

static void test_truncated_file_on_disk_names_file_and_section(void)
{
    size_t len;
    unsigned char *bytes = saved_bytes("bin", &len);
    /* cut in the weights: after the 36-byte header and the vocabulary */
    size_t weights_at = 36;
    for (int i = 0; i < 7; i++) weights_at += 4 + strlen(tiny_words[i]);
    write_bytes(tmp_path("cut.bin"), bytes, weights_at + 10);
    Model m;
    CHECK(model_load(&m, tmp_path("cut.bin")) == -1);
    char want[256];
    snprintf(want, sizeof want, "%s: truncated: expected 1,036 bytes of weights, found 10",
             tmp_path("cut.bin"));
    CHECK(strcmp(last_error(), want) == 0);
    if (strcmp(last_error(), want) != 0) printf("    got: %s\n", last_error());
    CHECK(is_zeroed(&m));
    free(bytes);

    bytes = saved_bytes("safetensors", &len);
    write_bytes(tmp_path("cut.safetensors"), bytes, len - 5);
    CHECK(model_load(&m, tmp_path("cut.safetensors")) == -1);
    snprintf(want, sizeof want, "%s: truncated: expected 1,036 bytes of tensor data, found 1,031",
             tmp_path("cut.safetensors"));
    CHECK(strcmp(last_error(), want) == 0);
    if (strcmp(last_error(), want) != 0) printf("    got: %s\n", last_error());
    free(bytes);
}

static void test_bin_trailing_bytes_rejected(void)
{
    size_t len;
    unsigned char *bytes = saved_bytes("bin", &len);
    unsigned char *longer = calloc(len + 3, 1);
    memcpy(longer, bytes, len);
    Model m;
    CHECK(load_buffer(&m, "bin", longer, len + 3, "x.bin") == -1);
    CHECK(strstr(last_error(), "x.bin: 3 unexpected bytes after the checksum"));
    free(longer);
    free(bytes);
}

static void test_bin_every_flipped_byte_caught(void)
{
    size_t len;
    unsigned char *bytes = saved_bytes("bin", &len);
    int accepted = 0, checksum_messages = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            bytes[i] ^= (unsigned char)(1u << bit);
            Model m;
            if (load_buffer(&m, "bin", bytes, len, "x.bin") == 0) {
                accepted++;
                model_free(&m);
            } else {
                checksum_messages +=
                    strcmp(last_error(), "x.bin: checksum mismatch (file corrupted)") == 0;
            }
            bytes[i] ^= (unsigned char)(1u << bit);
        }
    }
    CHECK(accepted == 0);
    CHECK(checksum_messages > (int)len);   /* most flips reach the checksum */
    free(bytes);
}

/* Flipped bytes in JSON and safetensors (no checksum) may load or not, but
 * must never crash or leak (ASan) and must leave a zeroed model on error. */
static void flips_never_crash(const char *ext)
{
    size_t len;
    unsigned char *bytes = saved_bytes(ext, &len);
    static const unsigned char replacements[] = { 0xff, '0', '"', '{', ']', ',', 0 };
    int rejected = 0, bad_failures = 0;
    for (size_t i = 0; i < len; i++) {
        for (size_t r = 0; r < sizeof replacements; r++) {
            if (strcmp(ext, "json") == 0 && i % 3 != 0 && r > 1) continue;   /* a sample */
            unsigned char saved = bytes[i];
            bytes[i] = replacements[r];
            Model m;
            if (load_buffer(&m, ext, bytes, len, "x.model") == 0) {
                model_free(&m);
            } else {
                rejected++;
                bad_failures += strncmp(last_error(), "x.model", 7) != 0 || !is_zeroed(&m);
            }
            bytes[i] = saved;
        }
    }
    CHECK(rejected > 0);
    CHECK(bad_failures == 0);
    free(bytes);
}

static void test_json_flipped_bytes_never_crash(void) { flips_never_crash("json"); }
static void test_safetensors_flipped_bytes_never_crash(void) { flips_never_crash("safetensors"); }

/* A .bin from its parts, with a correct checksum. */
static size_t make_bin(unsigned char *out, uint32_t version, const uint32_t config[6],
                       const char *const *words, int n_words, size_t n_weight_bytes)
{
    size_t at = 0;
    memcpy(out, "RGPT", 4);
    at = 4;
    uint32_t head[8] = { version, 0 };
    memcpy(head + 2, config, 6 * 4);
    for (int i = 0; i < 8; i++, at += 4)
        for (int b = 0; b < 4; b++) out[at + b] = (unsigned char)(head[i] >> (8 * b));
    for (int i = 0; i < n_words; i++) {
        uint32_t n = (uint32_t)strlen(words[i]);
        for (int b = 0; b < 4; b++) out[at + b] = (unsigned char)(n >> (8 * b));
        memcpy(out + at + 4, words[i], n);
        at += 4 + n;
    }
    memset(out + at, 0, n_weight_bytes);
    at += n_weight_bytes;
    uint32_t crc = crc32_update(0, out, at);
    for (int b = 0; b < 4; b++) out[at + b] = (unsigned char)(crc >> (8 * b));
    return at + 4;
}

static void test_bin_wrong_magic_rejected(void)
{
    size_t len;
    unsigned char *bytes = saved_bytes("bin", &len);
    memcpy(bytes, "GGUF", 4);
    Model m;
    CHECK(load_buffer(&m, "bin", bytes, len, "x.bin") == -1);
    CHECK(strcmp(last_error(), "x.bin: not a rustgpt .bin model (wrong magic bytes)") == 0);
    free(bytes);
}

static void test_future_version_rejected_in_every_format(void)
{
    static unsigned char buf[4096];
    const uint32_t config[6] = { 7, 4, 2, 8, 1, 4 };
    size_t len = make_bin(buf, 7, config, tiny_words, 7, TINY_PARAMS * 4);
    Model m;
    CHECK(load_buffer(&m, "bin", buf, len, "x.bin") == -1);
    CHECK(strcmp(last_error(),
                 "x.bin: format version 7 is newer than this rustgpt reads (1)") == 0);

    const char *json = "{\"format\":\"rustgpt\",\"version\":2,\"config\":{}}";
    CHECK(load_buffer(&m, "json", (const unsigned char *)json, strlen(json), "x.json") == -1);
    CHECK(strcmp(last_error(),
                 "x.json: format version 2 is newer than this rustgpt reads (1)") == 0);

    const char *header = "{\"__metadata__\":{\"format\":\"pt\",\"rustgpt_version\":\"3\"}}";
    size_t n = strlen(header);
    memset(buf, 0, 8);
    buf[0] = (unsigned char)n;
    memcpy(buf + 8, header, n);
    CHECK(load_buffer(&m, "safetensors", buf, 8 + n, "x.safetensors") == -1);
    CHECK(strcmp(last_error(),
                 "x.safetensors: format version 3 is newer than this rustgpt reads (1)") == 0);
}

static void test_bin_absurd_header_rejected_without_allocating(void)
{
    static unsigned char buf[4096];
    Model m;
    /* vocab 2^20 x dim 2^20 would be 2^40 floats: the config check stops it */
    const uint32_t huge[6] = { 1u << 20, 1u << 20, 1, 8, 1, 4 };
    size_t len = make_bin(buf, 1, huge, tiny_words, 3, 1024);
    double start = now_seconds();
    CHECK(load_buffer(&m, "bin", buf, len, "x.bin") == -1);
    CHECK(strstr(last_error(), "x.bin: dim 1048576 is out of range"));
    /* the largest valid config (13 billion floats, 51 GB) in a 1 KB file:
     * the weights' size is checked against the file before any malloc */
    const uint32_t largest[6] = { 3, 4096, 1, 16384, 64, 4096 };
    len = make_bin(buf, 1, largest, tiny_words, 3, 1024);
    CHECK(load_buffer(&m, "bin", buf, len, "x.bin") == -1);
    CHECK(strstr(last_error(), "x.bin: truncated: expected 51,") != NULL);
    CHECK(strstr(last_error(), "bytes of weights, found 1,028"));
    /* a vocabulary claiming a 4 GB word */
    const uint32_t tiny[6] = { 7, 4, 2, 8, 1, 4 };
    len = make_bin(buf, 1, tiny, tiny_words, 3, 0);
    memset(buf + 36 + 4 + 5 + 4 + 5 + 4 + 4, 0xff, 4);
    CHECK(load_buffer(&m, "bin", buf, len, "x.bin") == -1);
    CHECK(strstr(last_error(),
                 "x.bin: truncated: expected 4,294,967,295 bytes of vocabulary entry 3"));
    CHECK(now_seconds() - start < 0.5);
    CHECK(is_zeroed(&m));
}

static void test_duplicate_vocab_entry_rejected_in_every_format(void)
{
    static unsigned char buf[4096];
    const char *const words[7] = { "<pad>", "<unk>", "</s>", "a", "b", "a", "c" };
    const uint32_t config[6] = { 7, 4, 2, 8, 1, 4 };
    size_t len = make_bin(buf, 1, config, words, 7, TINY_PARAMS * 4);
    Model m;
    CHECK(load_buffer(&m, "bin", buf, len, "x.bin") == -1);
    CHECK(strstr(last_error(), "x.bin: vocabulary entry 5: duplicate word \"a\""));

    /* JSON and safetensors: rename word 4 to word 3 in a saved file */
    for (int f = 1; f < 3; f++) {
        size_t n;
        unsigned char *bytes = saved_bytes(formats[f], &n);
        const char *from = f == 1 ? "\"\\\\\"" : "\\\"\\\\\\\\\\\"";   /* the word \ */
        const char *to = f == 1 ? "\"\\\"\"" : "\\\"\\\\\\\"\\\"";     /* the word " */
        char *at = find(bytes, n, from);
        CHECK(at != NULL && strlen(from) == strlen(to));
        if (at) memcpy(at, to, strlen(to));
        CHECK(load_buffer(&m, formats[f], bytes, n, "x.model") == -1);
        CHECK(strstr(last_error(), "x.model: vocabulary entry 5: duplicate word"));
        free(bytes);
    }
}

static void test_json_names_the_bad_tensor(void)
{
    Model plain;
    tiny_model(&plain, 0);
    for (int k = 0; k < 4; k++) plain.w.lnf_w[k] = 1.0f;
    CHECK(model_save(&plain, tmp_path("plain.json")) == 0);
    model_free(&plain);
    size_t n;
    unsigned char *bytes = slurp(tmp_path("plain.json"), &n);
    struct { const char *from, *to, *message; } cases[] = {
        { "\"ln_f.bias\"", "\"ln_f.bogs\"", "x.json: unknown tensor \"ln_f.bogs\"" },
        { "\"head.bias\": {\"shape\": [7]", "\"head.bias\": {\"shape\": [6]",
          "x.json: tensor head.bias: \"shape\" must be [7]" },
        { "\"ln_f.weight\": {\"shape\": [4], \"data\": [1, 1, 1, 1]",
          "\"ln_f.weight\": {\"shape\": [4], \"data\": [1, 1, 1, 1e99]",
          "x.json: tensor ln_f.weight element 3 is not a finite float" },
        { "\"ln_f.weight\": {\"shape\": [4], \"data\": [1, 1, 1, 1]",
          "\"ln_f.weight\": {\"shape\": [4], \"data\": [1, 1, 1,\"1\"]",
          "x.json: tensor ln_f.weight element 3 is not a finite float" },
        { "\"ln_f.weight\": {\"shape\": [4], \"data\": [1, 1, 1, 1]",
          "\"ln_f.weight\": {\"shape\": [4], \"data\": [1, 1, 1    ]",
          "x.json: tensor ln_f.weight: \"data\" has 3 numbers, its shape needs 4" },
        { "\"ln_f.bias\"", "\"ln_f.weight\"", "x.json: tensor ln_f.weight appears twice" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *copy = malloc(n + 16);
        memcpy(copy, bytes, n);
        char *at = find(copy, n, cases[i].from);
        CHECK(at != NULL);
        size_t len = n;
        if (at) {
            size_t a = strlen(cases[i].from), b = strlen(cases[i].to);
            memmove(at + b, at + a, n - (size_t)(at - (char *)copy) - a);
            memcpy(at, cases[i].to, b);
            len = n + b - a;
        }
        Model m;
        CHECK(load_buffer(&m, "json", copy, len, "x.json") == -1);
        CHECK(strcmp(last_error(), cases[i].message) == 0);
        if (strcmp(last_error(), cases[i].message) != 0) printf("    got: %s\n", last_error());
        free(copy);
    }
    free(bytes);
}

/* ---- safetensors ------------------------------------------------------- */

/* Rewrite the header of a saved .safetensors with edit(), keeping the data. */
static size_t rewrite_header(const unsigned char *bytes, size_t len, void (*edit)(cJSON *),
                             unsigned char **out)
{
    size_t n = 0;
    for (int b = 0; b < 8; b++) n |= (size_t)bytes[b] << (8 * b);
    cJSON *header = cJSON_ParseWithLength((const char *)bytes + 8, n);
    edit(header);
    char *text = cJSON_PrintUnformatted(header);
    size_t m = strlen(text), padded = (m + 7) / 8 * 8, data = len - 8 - n;
    *out = malloc(8 + padded + data);
    for (int b = 0; b < 8; b++) (*out)[b] = (unsigned char)(padded >> (8 * b));
    memcpy(*out + 8, text, m);
    memset(*out + 8 + m, ' ', padded - m);
    memcpy(*out + 8 + padded, bytes + 8 + n, data);
    cJSON_free(text);
    cJSON_Delete(header);
    return 8 + padded + data;
}

static void set_offsets(cJSON *header, const char *tensor, double begin, double end)
{
    cJSON *entry = cJSON_GetObjectItem(header, tensor);
    cJSON_ReplaceItemInObject(entry, "data_offsets",
                              cJSON_CreateDoubleArray((double[]){ begin, end }, 2));
}

static void edit_dtype(cJSON *h)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(h, "ln_f.bias"), "dtype",
                              cJSON_CreateString("F16"));
}
static void edit_overlap(cJSON *h) { set_offsets(h, "head.bias", 0, 28); }
static void edit_past_end(cJSON *h) { set_offsets(h, "head.bias", 1036, 1064); }
/* swap the data of ln_f.weight [864,880) and ln_f.bias [880,896): still a
 * valid tiling, in another order */
static void edit_swap(cJSON *h)
{
    set_offsets(h, "ln_f.weight", 880, 896);
    set_offsets(h, "ln_f.bias", 864, 880);
}

static void test_safetensors_header_is_aligned_with_metadata(void)
{
    size_t len;
    unsigned char *bytes = saved_bytes("safetensors", &len);
    size_t n = 0;
    for (int b = 0; b < 8; b++) n |= (size_t)bytes[b] << (8 * b);
    CHECK(n % 8 == 0 && bytes[8] == '{' && len == 8 + n + TINY_PARAMS * 4);
    cJSON *header = cJSON_ParseWithLength((const char *)bytes + 8, n);
    cJSON *meta = cJSON_GetObjectItem(header, "__metadata__");
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "format")), "pt") == 0);
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "n_heads")), "2") == 0);
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "rustgpt_version")), "1") == 0);
    cJSON *vocab = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "vocab")));
    CHECK(cJSON_GetArraySize(vocab) == 7);
    CHECK(strcmp(cJSON_GetArrayItem(vocab, 6)->valuestring, "caf\xc3\xa9") == 0);
    cJSON *qkv = cJSON_GetObjectItem(header, "blocks.0.attn.qkv.weight");
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(qkv, "dtype")), "F32") == 0);
    cJSON *offsets = cJSON_GetObjectItem(qkv, "data_offsets");
    CHECK(cJSON_GetArrayItem(offsets, 0)->valuedouble == 4 * (28 + 16 + 8));
    CHECK(cJSON_GetArrayItem(offsets, 1)->valuedouble == 4 * (28 + 16 + 8 + 48));
    cJSON_Delete(vocab);
    cJSON_Delete(header);
    free(bytes);
}

static void test_safetensors_offsets_and_dtype_checked(void)
{
    size_t len;
    unsigned char *bytes = saved_bytes("safetensors", &len);
    struct { void (*edit)(cJSON *); const char *message; } cases[] = {
        { edit_dtype, "x.st: tensor ln_f.bias: dtype F16; rustgpt reads only F32" },
        { edit_overlap, "x.st: tensor data_offsets overlap or leave gaps" },
        { edit_past_end,
          "x.st: tensor head.bias: data_offsets [1036, 1064] go past the data's 1036 bytes" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *edited;
        size_t n = rewrite_header(bytes, len, cases[i].edit, &edited);
        Model m;
        CHECK(load_buffer(&m, "safetensors", edited, n, "x.st") == -1);
        CHECK(strcmp(last_error(), cases[i].message) == 0);
        if (strcmp(last_error(), cases[i].message) != 0) printf("    got: %s\n", last_error());
        free(edited);
    }
    /* tensors stored in another order are read from where they are */
    unsigned char *edited;
    size_t n = rewrite_header(bytes, len, edit_swap, &edited);
    Model original, m;
    CHECK(load_buffer(&original, "safetensors", bytes, len, "x.st") == 0);
    CHECK(load_buffer(&m, "safetensors", edited, n, "x.st") == 0);
    CHECK(memcmp(m.w.lnf_w, original.w.lnf_b, 16) == 0);
    CHECK(memcmp(m.w.lnf_b, original.w.lnf_w, 16) == 0);
    model_free(&m);
    model_free(&original);
    free(edited);
    free(bytes);
}

/* ---- atomic saves ------------------------------------------------------ */

static int temp_files_left(void)
{
    DIR *dir = opendir(tmp_dir);
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) count += strstr(e->d_name, ".tmp.") != NULL;
    closedir(dir);
    return count;
}

static void test_failed_save_keeps_the_previous_file(void)
{
    Model first, second, back;
    tiny_model(&first, 0);
    tiny_model(&second, 0);
    second.params[10] = 123.0f;
    const char *path = tmp_path("keep.bin");
    CHECK(model_save(&first, path) == 0);
    CHECK(model_save(&second, path) == 0);     /* saving over a file replaces it */
    CHECK(model_load(&back, path) == 0 && back.params[10] == 123.0f);
    model_free(&back);

    /* a save that fails half-way (the file size limit stops the write):
     * the complete previous file is still there, and no temporary file */
    struct rlimit old_limit, small = { 600, 600 };
    getrlimit(RLIMIT_FSIZE, &old_limit);
    small.rlim_max = old_limit.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    int rc = model_save(&first, path);
    setrlimit(RLIMIT_FSIZE, &old_limit);
    CHECK(rc == -1);
    CHECK(strstr(last_error(), "keep.bin: write failed"));
    CHECK(model_load(&back, path) == 0 && same_bits(&back, &second));
    model_free(&back);
    CHECK(temp_files_left() == 0);

    /* saves that cannot even start: a directory that is a regular file, and
     * one under /proc */
    CHECK(model_save(&first, tmp_path("keep.bin/inner.bin")) == -1);
    CHECK(strstr(last_error(), "keep.bin/inner.bin"));
    CHECK(model_save(&first, "/proc/rustgpt-no-such-dir/m.json") == -1);
    CHECK(model_load(&back, path) == 0 && same_bits(&back, &second));
    model_free(&back);
    model_free(&first);
    model_free(&second);
}

/* ---- checkpoints ------------------------------------------------------- */

static void make_optimizer(OptimizerState *opt, size_t n)
{
    opt->step = 0x123456789ull;
    opt->stage = 1;
    opt->epoch = 42;
    opt->rng_state = 0xfedcba9876543210ull;
    opt->adam_m = malloc(n * sizeof(float));
    opt->adam_v = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        opt->adam_m[i] = (float)i * 0.001f - 0.1f;
        opt->adam_v[i] = (float)(i * i) * 1e-7f;
    }
}

static void test_checkpoint_round_trip_keeps_optimizer_state(void)
{
    Model m, back;
    OptimizerState opt, opt_back;
    tiny_model(&m, 2);
    make_optimizer(&opt, m.n_params);
    CHECK(checkpoint_save(&m, &opt, tmp_path("ckpt.bin")) == 0);
    CHECK(checkpoint_load(&back, &opt_back, tmp_path("ckpt.bin")) == 0);
    CHECK(same_bits(&m, &back));
    CHECK(opt_back.step == opt.step && opt_back.stage == 1 && opt_back.epoch == 42);
    CHECK(opt_back.rng_state == opt.rng_state);
    CHECK(memcmp(opt.adam_m, opt_back.adam_m, m.n_params * 4) == 0);
    CHECK(memcmp(opt.adam_v, opt_back.adam_v, m.n_params * 4) == 0);
    model_free(&back);
    free(opt_back.adam_m);
    free(opt_back.adam_v);

    /* model_load reads the model part of a checkpoint */
    CHECK(model_load(&back, tmp_path("ckpt.bin")) == 0);
    CHECK(same_bits(&m, &back));
    model_free(&back);

    /* a plain model is not a checkpoint; a checkpoint is always a .bin */
    CHECK(model_save(&m, tmp_path("plain.bin")) == 0);
    CHECK(checkpoint_load(&back, &opt_back, tmp_path("plain.bin")) == -1);
    CHECK(strstr(last_error(), "plain.bin: has no optimizer state"));
    CHECK(is_zeroed(&back) && opt_back.adam_m == NULL);
    CHECK(checkpoint_save(&m, &opt, tmp_path("ckpt.json")) == -1);
    CHECK(strstr(last_error(), "ckpt.json: a training checkpoint must be a .bin file"));

    /* every truncation of a checkpoint is rejected too */
    size_t len;
    unsigned char *bytes = slurp(tmp_path("ckpt.bin"), &len);
    int accepted = 0;
    for (size_t k = 0; k < len; k += 7) {
        unsigned char *copy = malloc(k + 1);
        memcpy(copy, bytes, k);
        if (model_load_bin_buffer(&back, &opt_back, "c.bin", copy, k) == 0) accepted++;
        free(copy);
    }
    CHECK(accepted == 0);
    free(bytes);
    free(opt.adam_m);
    free(opt.adam_v);
    model_free(&m);
}

/* ---- info -------------------------------------------------------------- */

static char *info_of(const char *path, int *rc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    *rc = model_file_info(path, out);
    fclose(out);
    return text;
}

static void test_info_describes_every_format(void)
{
    Model m;
    OptimizerState opt;
    tiny_model(&m, 0);
    make_optimizer(&opt, m.n_params);
    for (int f = 0; f < 3; f++) {
        char name[64];
        snprintf(name, sizeof name, "info.%s", formats[f]);
        CHECK(model_save(&m, tmp_path(name)) == 0);
        int rc;
        char *text = info_of(tmp_path(name), &rc);
        char want[64];
        snprintf(want, sizeof want, "format: %s\n", formats[f]);
        CHECK(rc == 0);
        CHECK(strstr(text, want));
        CHECK(strstr(text, "version: 1\n"));
        CHECK(strstr(text, "vocab_size: 7\nd_model: 4\nn_heads: 2\nd_hidden: 8\n"
                           "n_layers: 1\nseq_len: 4\n"));
        CHECK(strstr(text, "vocabulary: 7 words\n"));
        CHECK(strstr(text, "parameters: 259\n"));
        CHECK(strstr(text, f == 0 ? "checksum: ok\n" : "checksum: n/a"));
        CHECK(strstr(text, "optimizer state: no\n"));
        struct stat st;
        stat(tmp_path(name), &st);
        char digits[32], size_line[64];
        snprintf(size_line, sizeof size_line, "file size: %s bytes\n",
                 with_commas(digits, (unsigned long long)st.st_size));
        CHECK(strstr(text, size_line));
        free(text);
    }
    CHECK(checkpoint_save(&m, &opt, tmp_path("info_ckpt.bin")) == 0);
    int rc;
    char *text = info_of(tmp_path("info_ckpt.bin"), &rc);
    CHECK(rc == 0);
    CHECK(strstr(text, "optimizer state: yes (step 4,886,718,345, stage 1, epoch 42)\n"));
    free(text);

    /* a flipped weight byte: info still describes the file, says MISMATCH */
    size_t len;
    unsigned char *bytes = slurp(tmp_path("info.bin"), &len);
    bytes[len - 100] ^= 1;
    write_bytes(tmp_path("info_bad.bin"), bytes, len);
    text = info_of(tmp_path("info_bad.bin"), &rc);
    CHECK(rc == 0 && strstr(text, "checksum: MISMATCH\n"));
    free(text);
    /* a truncated one is an error */
    write_bytes(tmp_path("info_cut.bin"), bytes, len / 2);
    text = info_of(tmp_path("info_cut.bin"), &rc);
    CHECK(rc == -1 && strstr(last_error(), "info_cut.bin: truncated"));
    free(text);
    text = info_of(tmp_path("missing.bin"), &rc);
    CHECK(rc == -1 && strstr(last_error(), "missing.bin: cannot open"));
    free(text);
    free(bytes);
    free(opt.adam_m);
    free(opt.adam_v);
    model_free(&m);
}

static void test_load_goes_by_content_before_extension(void)
{
    Model m, back;
    tiny_model(&m, 0);
    CHECK(model_save(&m, tmp_path("really_json.json")) == 0);
    CHECK(rename(tmp_path("really_json.json"), tmp_path("misnamed.bin")) == 0);
    CHECK(model_load(&back, tmp_path("misnamed.bin")) == 0 && same_bits(&m, &back));
    model_free(&back);
    CHECK(model_save(&m, tmp_path("noext.safetensors")) == 0);
    CHECK(rename(tmp_path("noext.safetensors"), tmp_path("noext")) == 0);
    CHECK(model_load(&back, tmp_path("noext")) == 0 && same_bits(&m, &back));
    model_free(&back);
    write_bytes(tmp_path("garbage.txt"), "hello", 5);
    CHECK(model_load(&back, tmp_path("garbage.txt")) == -1);
    CHECK(strstr(last_error(), "garbage.txt: unknown model format"));
    model_free(&m);
}

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/rustgpt-test-modelfile-XXXXXX");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_format_follows_extension);
    RUN(test_bin_round_trip_keeps_every_bit);
    RUN(test_json_round_trip_keeps_every_bit);
    RUN(test_safetensors_round_trip_keeps_every_bit);
    RUN(test_json_floats_read_back_exactly);
    RUN(test_conversions_between_every_pair_keep_every_bit);
    RUN(test_json_refuses_to_save_nan);
    RUN(test_bin_every_truncation_rejected);
    RUN(test_json_every_truncation_rejected);
    RUN(test_safetensors_every_truncation_rejected);
    RUN(test_truncated_file_on_disk_names_file_and_section);
    RUN(test_bin_trailing_bytes_rejected);
    RUN(test_bin_every_flipped_byte_caught);
    RUN(test_json_flipped_bytes_never_crash);
    RUN(test_safetensors_flipped_bytes_never_crash);
    RUN(test_bin_wrong_magic_rejected);
    RUN(test_future_version_rejected_in_every_format);
    RUN(test_bin_absurd_header_rejected_without_allocating);
    RUN(test_duplicate_vocab_entry_rejected_in_every_format);
    RUN(test_json_names_the_bad_tensor);
    RUN(test_safetensors_header_is_aligned_with_metadata);
    RUN(test_safetensors_offsets_and_dtype_checked);
    RUN(test_failed_save_keeps_the_previous_file);
    RUN(test_checkpoint_round_trip_keeps_optimizer_state);
    RUN(test_info_describes_every_format);
    RUN(test_load_goes_by_content_before_extension);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
    if (system(command) != 0) printf("    could not remove %s\n", tmp_dir);
    TESTS_DONE();
}
