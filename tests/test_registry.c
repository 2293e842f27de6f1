/*
 * test_registry.c — rg_source (typed metadata, tensors, kept memory), the
 * registry (register, look up, probe, refuse duplicates and other ABIs) and
 * the status functions of rustgpt.h.
 */
#include "rustgpt/plugin.h"
#include "core/registry.h"
#include "core/util.h"
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void test_status_names_and_version(void)
{
    CHECK(strcmp(rg_status_name(RG_OK), "ok") == 0);
    CHECK(strcmp(rg_status_name(RG_ERR_PLUGIN), "plugin") == 0);
    CHECK(strcmp(rg_status_name(RG_ERR_TOO_SMALL), "too_small") == 0);
    CHECK(strcmp(rg_status_name((rg_status)99), "unknown") == 0);
    CHECK(strcmp(rg_version(), RG_VERSION) == 0);
    fail("something went wrong");
    CHECK(strcmp(rg_last_error(), "something went wrong") == 0);
    CHECK(fail_status(RG_ERR_IO, "x %d", 3) == RG_ERR_IO);
    CHECK(strcmp(rg_last_error(), "x 3") == 0);
}

static void test_utf8_helpers(void)
{
    CHECK(utf8_complete_prefix("abc", 3) == 3);
    CHECK(utf8_complete_prefix("a\xc3", 2) == 1);             /* half of é */
    CHECK(utf8_complete_prefix("a\xc3\xa9", 3) == 3);
    CHECK(utf8_complete_prefix("\xe6\x97", 2) == 0);          /* two thirds of 日 */
    CHECK(utf8_complete_prefix("\xe6\x97\xa5", 3) == 3);
    CHECK(utf8_complete_prefix("x\xf0\x9f\x98", 4) == 1);     /* three quarters of an emoji */
    CHECK(utf8_complete_prefix("", 0) == 0);
    CHECK(utf8_invalid_at("ok \xc3\xa9", 5) == 5);
    CHECK(utf8_invalid_at("ok \xff", 4) == 3);
    CHECK(utf8_invalid_at("\xed\xa0\x80", 3) == 0);          /* a surrogate */
}

static void *set_error_elsewhere(void *arg)
{
    fail("from another thread");
    *(int *)arg = strcmp(rg_last_error(), "from another thread") == 0;
    return NULL;
}

static void test_errors_are_per_thread(void)
{
    fail("main thread");
    int ok = 0;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, set_error_elsewhere, &ok) == 0);
    pthread_join(t, NULL);
    CHECK(ok);
    CHECK(strcmp(rg_last_error(), "main thread") == 0);
}

static void test_source_scalars(void)
{
    rg_source *src;
    CHECK(rg_source_new(&src) == RG_OK);
    CHECK(rg_source_set_string(src, "general.architecture", "gpt", 3) == RG_OK);
    CHECK(rg_source_set_int(src, "gpt.block_count", 3) == RG_OK);
    CHECK(rg_source_set_float(src, "gpt.eps", 1e-5) == RG_OK);
    CHECK(rg_source_set_bool(src, "gpt.causal", 1) == RG_OK);
    CHECK(rg_source_set_int(src, "gpt.block_count", 4) == RG_OK);   /* replaces */

    const char *s; size_t len; int64_t i; double f; int b;
    CHECK(rg_source_string(src, "general.architecture", &s, &len) == RG_OK);
    CHECK(len == 3 && strcmp(s, "gpt") == 0);
    CHECK(rg_source_string(src, "general.architecture", &s, NULL) == RG_OK);
    CHECK(rg_source_int(src, "gpt.block_count", &i) == RG_OK && i == 4);
    CHECK(rg_source_float(src, "gpt.eps", &f) == RG_OK && f == 1e-5);
    CHECK(rg_source_float(src, "gpt.block_count", &f) == RG_OK && f == 4.0);  /* int reads as float */
    CHECK(rg_source_bool(src, "gpt.causal", &b) == RG_OK && b == 1);
    CHECK(rg_source_int(src, "gpt.causal", &i) == RG_OK && i == 1);
    CHECK(rg_source_bool(src, "gpt.block_count", &b) == RG_OK && b == 1);

    CHECK(rg_source_int(src, "missing", &i) == RG_ERR_NOT_FOUND);
    CHECK(strstr(rg_last_error(), "missing") != NULL);
    CHECK(rg_source_int(src, "general.architecture", &i) == RG_ERR_FORMAT);
    CHECK(strstr(rg_last_error(), "is a string") != NULL);
    CHECK(rg_source_string(src, "gpt.eps", &s, &len) == RG_ERR_FORMAT);
    CHECK(rg_source_float(src, "general.architecture", &f) == RG_ERR_FORMAT);
    CHECK(rg_source_bool(src, "gpt.eps", &b) == RG_ERR_FORMAT);
    CHECK(rg_source_array(src, "gpt.eps", NULL, NULL) == RG_ERR_FORMAT);
    CHECK(rg_source_set_int(src, "", 1) == RG_ERR_INVALID);
    CHECK(rg_source_set_int(src, NULL, 1) == RG_ERR_INVALID);
    /* a key that changes type */
    CHECK(rg_source_set_string(src, "gpt.eps", "x", 1) == RG_OK);
    CHECK(rg_source_string(src, "gpt.eps", &s, NULL) == RG_OK && strcmp(s, "x") == 0);
    rg_source_free(src);
    rg_source_free(NULL);
}

static void test_source_arrays(void)
{
    rg_source *src;
    CHECK(rg_source_new(&src) == RG_OK);
    const int64_t ints[] = { 5, -7, 1LL << 40 };
    const double floats[] = { 0.5, -2.25 };
    const char *const words[] = { "<pad>", "a\0b", "", "the" };
    const size_t lens[] = { 5, 3, 0, 3 };
    CHECK(rg_source_set_int_array(src, "ints", ints, 3) == RG_OK);
    CHECK(rg_source_set_float_array(src, "floats", floats, 2) == RG_OK);
    CHECK(rg_source_set_string_array(src, "tokens", words, lens, 4) == RG_OK);
    CHECK(rg_source_set_string_array(src, "plain", words, NULL, 1) == RG_OK);
    CHECK(rg_source_set_int_array(src, "empty", NULL, 0) == RG_OK);

    rg_value_type t; uint64_t n; int64_t i; double f; const char *s; size_t len;
    CHECK(rg_source_array(src, "ints", &t, &n) == RG_OK && t == RG_VALUE_INT && n == 3);
    CHECK(rg_source_array_int(src, "ints", 2, &i) == RG_OK && i == (1LL << 40));
    CHECK(rg_source_array_int(src, "ints", 3, &i) == RG_ERR_INVALID);
    CHECK(rg_source_array(src, "floats", &t, &n) == RG_OK && t == RG_VALUE_FLOAT && n == 2);
    CHECK(rg_source_array_float(src, "floats", 1, &f) == RG_OK && f == -2.25);
    CHECK(rg_source_array(src, "tokens", &t, &n) == RG_OK && t == RG_VALUE_STRING && n == 4);
    CHECK(rg_source_array_string(src, "tokens", 1, &s, &len) == RG_OK && len == 3 && memcmp(s, "a\0b", 4) == 0);
    CHECK(rg_source_array_string(src, "tokens", 2, &s, &len) == RG_OK && len == 0 && *s == '\0');
    CHECK(rg_source_array_string(src, "tokens", 3, &s, NULL) == RG_OK && strcmp(s, "the") == 0);
    CHECK(rg_source_array_string(src, "plain", 0, &s, &len) == RG_OK && len == 5);
    CHECK(rg_source_array(src, "empty", &t, &n) == RG_OK && n == 0);
    CHECK(rg_source_array_int(src, "tokens", 0, &i) == RG_ERR_FORMAT);
    CHECK(rg_source_array_float(src, "ints", 0, &f) == RG_ERR_FORMAT);
    CHECK(rg_source_array_string(src, "ints", 0, &s, &len) == RG_ERR_FORMAT);
    CHECK(rg_source_array_int(src, "nope", 0, &i) == RG_ERR_NOT_FOUND);
    /* replacing an array with a scalar frees the array */
    CHECK(rg_source_set_int(src, "tokens", 1) == RG_OK);
    CHECK(rg_source_int(src, "tokens", &i) == RG_OK && i == 1);
    rg_source_free(src);
}

static void test_source_tensors_and_keep(void)
{
    rg_source *src;
    CHECK(rg_source_new(&src) == RG_OK);
    float *data = malloc(6 * sizeof *data);
    for (int i = 0; i < 6; i++) data[i] = (float)i;
    CHECK(rg_source_keep(src, data, 0) == RG_OK);
    void *mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mapped != MAP_FAILED);
    CHECK(rg_source_keep(src, mapped, 4096) == RG_OK);

    char name[32];
    for (int i = 0; i < 40; i++) {         /* past the first growth */
        snprintf(name, sizeof name, "blocks.%d.w", i);
        rg_tensor t = { name, RG_TYPE_F32, 2, { 3, 2 }, data, 6 * sizeof(float) };
        CHECK(rg_source_add_tensor(src, &t) == RG_OK);
    }
    name[0] = 'X';                          /* the source copied the name */
    CHECK(rg_source_n_tensors(src) == 40);
    const rg_tensor *t = rg_source_tensor(src, "blocks.39.w");
    CHECK(t && t->dims[0] == 3 && t->dims[1] == 2 && ((const float *)t->data)[5] == 5.0f);
    CHECK(rg_source_tensor(src, "nope") == NULL);
    CHECK(rg_source_tensor_at(src, 0) && strcmp(rg_source_tensor_at(src, 0)->name, "blocks.0.w") == 0);
    CHECK(rg_source_tensor_at(src, 40) == NULL && rg_source_tensor_at(src, -1) == NULL);
    rg_tensor dup = { "blocks.3.w", RG_TYPE_F32, 1, { 1 }, data, 4 };
    CHECK(rg_source_add_tensor(src, &dup) == RG_ERR_FORMAT);
    rg_tensor bad = { "", RG_TYPE_F32, 1, { 1 }, data, 4 };
    CHECK(rg_source_add_tensor(src, &bad) == RG_ERR_INVALID);
    rg_source_free(src);                    /* frees data and unmaps (ASan/valgrind check it) */
}

/* ---- the registry ---- */

static int probe_magic(const char *path, const unsigned char *head, size_t n)
{
    (void)path;
    return n >= 4 && memcmp(head, "TEST", 4) == 0;
}
static rg_status load_nothing(const char *path, const rg_model_options *opt, rg_source **out)
{
    (void)path; (void)opt; (void)out;
    return RG_ERR_UNSUPPORTED;
}
static rg_status save_nothing(const rg_source *src, const char *path) { (void)src; (void)path; return RG_OK; }

static const rg_format_vtable test_format = {
    RG_ABI_VERSION, "testfmt", 3, ".tst .test", probe_magic, load_nothing, save_nothing,
};
static const rg_format_vtable other_abi_format = {
    RG_ABI_VERSION + 1, "futurefmt", 1, ".fut", probe_magic, load_nothing, NULL,
};
static const rg_format_vtable incomplete_format = {
    RG_ABI_VERSION, "halffmt", 1, ".half", NULL, load_nothing, NULL,
};

static int probe_name(const char *path, const unsigned char *head, size_t n)
{
    return head == NULL && n == 0 && strcmp(path, "test_base") == 0;
}
static rg_status tok_load(const char *path, void **state) { (void)path; *state = NULL; return RG_OK; }
static void tok_destroy(void *state) { (void)state; }
static int32_t tok_n_vocab(const void *state) { (void)state; return 1; }
static int32_t tok_special(const void *state, rg_special which) { (void)state; (void)which; return -1; }
static rg_status tok_encode(const void *state, const char *text, size_t len, int flags,
                            int32_t *ids, size_t cap, size_t *n_out)
{ (void)state; (void)text; (void)len; (void)flags; (void)ids; (void)cap; *n_out = 0; return RG_OK; }
static rg_status tok_decode(const void *state, const int32_t *ids, size_t n, char *buf, size_t cap,
                            size_t *len_out)
{ (void)state; (void)ids; (void)n; (void)buf; (void)cap; *len_out = 0; return RG_OK; }
static const char *tok_piece(const void *state, int32_t id, size_t *len) { (void)state; (void)id; *len = 0; return ""; }

static const rg_tokenizer_vtable test_tokenizer = {
    .abi_version = RG_ABI_VERSION, .name = "testtok", .version = 2, .probe = probe_name,
    .load = tok_load, .destroy = tok_destroy, .n_vocab = tok_n_vocab, .special = tok_special,
    .encode = tok_encode, .decode = tok_decode, .piece = tok_piece,
};

static void test_registry(void)
{
    int32_t before = rg_registry_count();
    CHECK(before >= 0);
    CHECK(rg_register_format(&test_format) == RG_OK);
    CHECK(rg_register_format(&test_format) == RG_ERR_INVALID);
    CHECK(strstr(rg_last_error(), "already registered (built-in)") != NULL);
    CHECK(rg_register_format(&other_abi_format) == RG_ERR_PLUGIN);
    CHECK(strstr(rg_last_error(), "ABI version") != NULL);
    CHECK(rg_register_format(&incomplete_format) == RG_ERR_INVALID);
    CHECK(rg_register_format(NULL) == RG_ERR_INVALID);

    registry_set_origin("/tmp/libtest.so");
    CHECK(rg_register_tokenizer(&test_tokenizer) == RG_OK);
    registry_set_origin(NULL);
    CHECK(rg_registry_count() == before + 2);

    CHECK(registry_format_named("testfmt") == &test_format);
    CHECK(registry_format_named("nope") == NULL);
    CHECK(registry_tokenizer("testtok") == &test_tokenizer);
    CHECK(registry_arch("testtok") == NULL);
    CHECK(registry_format_for("x", (const unsigned char *)"TESTxx", 6) == &test_format);
    CHECK(registry_format_for("x", (const unsigned char *)"TES", 3) == NULL);
    CHECK(registry_format_for_extension("dir.v2/model.test") == &test_format);
    CHECK(registry_format_for_extension("model.tst") == &test_format);
    CHECK(registry_format_for_extension("model.te") == NULL);
    CHECK(registry_format_for_extension("dir.test/model") == NULL);
    CHECK(registry_tokenizer_for("test_base", NULL, 0) == &test_tokenizer);
    CHECK(registry_tokenizer_for("other", NULL, 0) == NULL);
    CHECK(strcmp(registry_origin(&test_format), "built-in") == 0);
    CHECK(strcmp(registry_origin(&test_tokenizer), "/tmp/libtest.so") == 0);

    int found = 0;
    for (int32_t i = 0; i < rg_registry_count(); i++) {
        rg_registered r;
        CHECK(rg_registry_get(i, &r) == RG_OK);
        if (r.kind == RG_KIND_TOKENIZER && strcmp(r.name, "testtok") == 0) {
            found = 1;
            CHECK(r.version == 2 && strcmp(r.origin, "/tmp/libtest.so") == 0);
        }
    }
    CHECK(found);
    rg_registered r;
    CHECK(rg_registry_get(rg_registry_count(), &r) == RG_ERR_INVALID);

    registry_remove_origin("/tmp/libtest.so");
    CHECK(registry_tokenizer("testtok") == NULL);
    CHECK(rg_registry_count() == before + 1);
}

int main(void)
{
    RUN(test_status_names_and_version);
    RUN(test_errors_are_per_thread);
    RUN(test_utf8_helpers);
    RUN(test_source_scalars);
    RUN(test_source_arrays);
    RUN(test_source_tensors_and_keep);
    RUN(test_registry);
    TESTS_DONE();
}
