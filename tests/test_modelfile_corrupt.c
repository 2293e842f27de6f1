/*
 * test_modelfile_corrupt.c — bad model files of every kind (truncated at
 * every length, flipped bytes, wrong magic, future versions, absurd sizes,
 * duplicate words, malformed safetensors headers) rejected with a message
 * naming the file, and never a crash: `make test SANITIZE=1` runs these under
 * ASan and UBSan.
 */
#include "modelfile_fixture.h"

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

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/rustgpt-test-corrupt-XXXXXX");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
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
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
    if (system(command) != 0) printf("    could not remove %s\n", tmp_dir);
    TESTS_DONE();
}
