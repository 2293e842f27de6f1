/*
 * test_tokenizer_meta.c — a tokenizer's metadata through the JSON of a .bin
 * file's tokenizer section (formats/tokenizer_meta.c): every value type
 * comes back as it went in, and broken sections are errors naming the file.
 */
#include "rustgpt/plugin.h"
#include "api/handles.h"
#include "core/registry.h"
#include "formats/tokenizer_meta.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static int checked_ok;

static rg_status meta_to_source(const void *state, rg_source *dst)
{
    const int64_t ints[] = { -3, 0, 1LL << 40 };
    const double floats[] = { 0.5, -2.25 };
    const char *const strings[] = { "a", "ö", "\"quoted\"" };
    rg_status st = rg_source_set_string(dst, "tokenizer.ggml.model", "metatest", 8);
    if (st == RG_OK) st = rg_source_set_int(dst, "metatest.count", 42);
    if (st == RG_OK) st = rg_source_set_float(dst, "metatest.scale", 0.125);
    if (st == RG_OK) st = rg_source_set_bool(dst, "metatest.flag", 1);
    if (st == RG_OK) st = rg_source_set_int_array(dst, "metatest.ints", ints, 3);
    if (st == RG_OK) st = rg_source_set_float_array(dst, "metatest.floats", floats, 2);
    if (st == RG_OK) st = rg_source_set_string_array(dst, "tokenizer.ggml.tokens", strings, NULL, 3);
    if (st == RG_OK) st = rg_source_set_string_array(dst, "metatest.empty", NULL, NULL, 0);
    return st;
}

static rg_status meta_from_source(const rg_source *src, void **state)
{
    int64_t i;
    double f;
    int b;
    const char *s;
    rg_value_type t;
    uint64_t n;
    int ok = rg_source_int(src, "metatest.count", &i) == RG_OK && i == 42 &&
             rg_source_float(src, "metatest.scale", &f) == RG_OK && f == 0.125 &&
             rg_source_bool(src, "metatest.flag", &b) == RG_OK && b == 1 &&
             rg_source_array(src, "metatest.ints", &t, &n) == RG_OK && t == RG_VALUE_INT && n == 3 &&
             rg_source_array_int(src, "metatest.ints", 2, &i) == RG_OK && i == (1LL << 40) &&
             rg_source_array(src, "metatest.floats", &t, &n) == RG_OK && t == RG_VALUE_FLOAT && n == 2 &&
             rg_source_array_float(src, "metatest.floats", 1, &f) == RG_OK && f == -2.25 &&
             rg_source_array_string(src, "tokenizer.ggml.tokens", 2, &s, NULL) == RG_OK &&
             strcmp(s, "\"quoted\"") == 0 &&
             rg_source_array(src, "metatest.empty", &t, &n) == RG_OK && n == 0;
    checked_ok = ok;
    *state = NULL;
    return ok ? RG_OK : RG_ERR_FORMAT;
}

static void meta_destroy(void *state) { (void)state; }
static int32_t meta_n_vocab(const void *state) { (void)state; return 3; }
static int32_t meta_special(const void *state, rg_special which) { (void)state; (void)which; return -1; }
static rg_status meta_encode(const void *state, const char *text, size_t len, int flags, int32_t *ids,
                             size_t cap, size_t *n_out)
{ (void)state; (void)text; (void)len; (void)flags; (void)ids; (void)cap; *n_out = 0; return RG_OK; }
static rg_status meta_decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap, size_t *len)
{ (void)state; (void)ids; (void)n; (void)buf; (void)cap; *len = 0; return RG_OK; }
static const char *meta_piece(const void *state, int32_t id, size_t *len) { (void)state; (void)id; *len = 1; return "x"; }

static const rg_tokenizer_vtable meta_tokenizer = {
    .abi_version = RG_ABI_VERSION, .name = "metatest", .version = 1,
    .from_source = meta_from_source, .to_source = meta_to_source, .destroy = meta_destroy,
    .n_vocab = meta_n_vocab, .special = meta_special, .encode = meta_encode, .decode = meta_decode,
    .piece = meta_piece,
};

static void test_every_type_round_trips(void)
{
    CHECK(rg_register_tokenizer(&meta_tokenizer) == RG_OK);
    rg_tokenizer *tok;
    CHECK(tokenizer_wrap(&meta_tokenizer, NULL, &tok) == RG_OK);
    size_t len;
    char *json = tokenizer_meta_to_json(tok, &len);
    CHECK(json && len == strlen(json));
    rg_tokenizer *back = NULL;
    checked_ok = 0;
    CHECK(json && tokenizer_meta_from_json(json, len, "t.bin", &back) == 0);
    CHECK(checked_ok && back && back->vt == &meta_tokenizer);
    rg_tokenizer_free(back);
    rg_tokenizer_free(tok);
    free(json);
}

static void test_broken_sections(void)
{
    rg_tokenizer *tok = (rg_tokenizer *)1;
    const char *cases[] = {
        "not json", "[1, 2]", "{\"tokenizer.ggml.model\": 5}", "{}",
        "{\"tokenizer.ggml.model\": \"nobody\"}",
        "{\"tokenizer.ggml.model\": \"metatest\", \"x\": [\"a\", 1]}",
        "{\"tokenizer.ggml.model\": \"metatest\", \"x\": [1, \"a\"]}",
        "{\"tokenizer.ggml.model\": \"metatest\", \"x\": {\"nested\": 1}}",
        "{\"tokenizer.ggml.model\": \"metatest\", \"metatest.count\": 41}",
    };
    const char *messages[] = {
        "not a JSON object", "not a JSON object", "names no tokenizer", "names no tokenizer",
        "\"nobody\", which is not registered", "mixes strings", "mixes numbers", "unexpected JSON type",
        "its metatest tokenizer",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(tokenizer_meta_from_json(cases[i], strlen(cases[i]), "t.bin", &tok) == -1 && tok == NULL);
        if (!strstr(rg_last_error(), messages[i])) {
            printf("    case %zu: \"%s\"\n", i, rg_last_error());
            test_failed_checks++;
        }
        CHECK(strstr(rg_last_error(), "t.bin") != NULL || i < 2);
    }
}

int main(void)
{
    RUN(test_every_type_round_trips);
    RUN(test_broken_sections);
    TESTS_DONE();
}
