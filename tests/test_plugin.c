/*
 * test_plugin.c — rg_plugin_load with the example character tokenizer
 * (examples/plugins/char_tokenizer.c) and the refusals: no such file, no
 * entry point, another ABI version, an init that fails (its registration is
 * undone). The plugins are built by `make test` into $BUILD_DIR.
 */
#include "rustgpt.h"
#include "rustgpt/plugin.h"
#include "core/registry.h"
#include "core/util.h"
#include "formats/modelfile.h"
#include "train/train.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char plugin_path[512];

static const char *plugin(const char *sub)
{
    const char *build = getenv("BUILD_DIR");
    snprintf(plugin_path, sizeof plugin_path, "%s/%s", build ? build : "build", sub);
    return plugin_path;
}

static void test_builtins_keep_their_origin(void)
{
    /* the first use of the registry is a plugin's registration */
    CHECK(rg_plugin_load(plugin("examples/char_tokenizer.so")) == RG_OK);
    CHECK(strcmp(registry_origin(registry_tokenizer("word")), "built-in") == 0);
    CHECK(strstr(registry_origin(registry_tokenizer("char")), "char_tokenizer.so") != NULL);
}

static void test_refusals(void)
{
    int32_t before = rg_registry_count();
    CHECK(rg_plugin_load("/no/such/plugin.so") == RG_ERR_PLUGIN);
    CHECK(before > 0);
    CHECK(strstr(rg_last_error(), "/no/such/plugin.so") != NULL);
    CHECK(rg_plugin_load("") == RG_ERR_PLUGIN);
    CHECK(rg_plugin_load("tests/test.h") == RG_ERR_PLUGIN);          /* not a shared object */
    CHECK(strstr(rg_last_error(), "cannot load") != NULL);

    CHECK(rg_plugin_load(plugin("tests/plugins/no_entry.so")) == RG_ERR_PLUGIN);
    CHECK(strstr(rg_last_error(), "no entry point rustgpt_plugin_init") != NULL);

    CHECK(rg_plugin_load(plugin("tests/plugins/bad_abi.so")) == RG_ERR_PLUGIN);
    CHECK(strstr(rg_last_error(), "bad_abi.so") != NULL);
    CHECK(strstr(rg_last_error(), "ABI version 2; this library has ABI version 1") != NULL);
    CHECK(registry_tokenizer("future") == NULL);

    CHECK(rg_plugin_load(plugin("tests/plugins/failing_init.so")) == RG_ERR_PLUGIN);
    CHECK(strstr(rg_last_error(), "failing_init.so: its initialisation failed") != NULL);
    CHECK(registry_format_named("half-registered") == NULL);
    CHECK(rg_registry_count() == before);
}

static void test_char_tokenizer(void)
{
    CHECK(rg_plugin_load(plugin("examples/char_tokenizer.so")) == RG_OK);
    if (!registry_tokenizer("char")) {
        printf("    %s\n", rg_last_error());
        test_failed_checks++;
        return;
    }
    CHECK(rg_plugin_load(plugin("examples/char_tokenizer.so")) == RG_OK);   /* once only */
    int listed = 0;
    for (int32_t i = 0; i < rg_registry_count(); i++) {
        rg_registered r;
        CHECK(rg_registry_get(i, &r) == RG_OK);
        if (strcmp(r.name, "char") == 0) {
            listed++;
            CHECK(r.kind == RG_KIND_TOKENIZER && r.version == 1 && strstr(r.origin, "char_tokenizer.so"));
        }
    }
    CHECK(listed == 1);

    const rg_tokenizer_vtable *vt = registry_tokenizer("char");
    const char *texts[] = { "héllo wörld </s>", "日本 </s>" };
    void *state = NULL;
    CHECK(vt->train(texts, 2, NULL, &state) == RG_OK);
    /* specials, then " " d h l o r w é ö 日 本 */
    CHECK(vt->n_vocab(state) == 3 + 11);
    int32_t ids[32];
    size_t n;
    const char *text = "hé日?</s>";
    CHECK(vt->encode(state, text, strlen(text), 0, ids, 32, &n) == RG_OK && n == 5);
    CHECK(ids[3] == 1 && ids[4] == 2);                /* ? is unknown, </s> is EOS */
    char buf[32];
    size_t len;
    CHECK(vt->decode(state, ids, 3, buf, sizeof buf, &len) == RG_OK && len == 6 && strcmp(buf, "hé日") == 0);
    CHECK(vt->encode(state, "a\xc3", 2, 0, ids, 32, &n) == RG_ERR_FORMAT);
    CHECK(vt->encode(state, text, strlen(text), 0, ids, 2, &n) == RG_ERR_TOO_SMALL && n == 5);

    /* through a model's metadata and back */
    rg_source *src;
    CHECK(rg_source_new(&src) == RG_OK);
    CHECK(vt->to_source(state, src) == RG_OK);
    void *again = NULL;
    CHECK(vt->from_source(src, &again) == RG_OK);
    CHECK(vt->n_vocab(again) == vt->n_vocab(state));
    rg_source_free(src);
    vt->destroy(again);

    /* its own file, found by rg_tokenizer_load's probe */
    char path[] = "/tmp/rustgpt-char-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(vt->save(state, path) == RG_OK);
    rg_tokenizer *tok;
    CHECK(rg_tokenizer_load(path, &tok) == RG_OK);
    CHECK(strcmp(rg_tokenizer_kind(tok), "char") == 0 && rg_tokenizer_n_vocab(tok) == 14);
    CHECK(rg_tokenize(tok, "wörld", 6, 0, ids, 32, &n) == RG_OK && n == 5);
    const char *piece = rg_token_piece(tok, ids[1], &len);
    CHECK(piece && len == 2 && memcmp(piece, "ö", 2) == 0);
    CHECK(rg_tokenizer_save(tok, path) == RG_OK);
    rg_tokenizer_free(tok);
    unlink(path);
    vt->destroy(state);
}

/* A GPT with the char tokenizer: saved as .bin (tokenizer section), loaded
 * by model_load and by rg_model_load, generating, saved again identically. */
static void test_model_with_plugin_tokenizer(void)
{
    const char *texts[] = { "User: héllo Assistant: wörld </s>" };
    rg_tokenizer *tok;
    CHECK(tokenizer_for_training("char", texts, 1, &tok) == 0);
    CHECK(tokenizer_for_training("no-such-tokenizer", texts, 1, &(rg_tokenizer *){ NULL }) == -1);
    ModelConfig c = { .vocab_size = rg_tokenizer_n_vocab(tok), .d_model = 8, .n_heads = 2, .d_hidden = 16,
                      .n_layers = 1, .seq_len = 24 };
    Model m;
    CHECK(model_create(&m, &c) == 0);
    m.tokenizer = tok;
    model_init_weights(&m, 3);
    char path[] = "/tmp/rustgpt-charmodel-XXXXXX.bin", again[64], json[64];
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    close(fd);
    snprintf(again, sizeof again, "%s.again.bin", path);
    snprintf(json, sizeof json, "%s.json", path);
    CHECK(model_save(&m, path) == 0);
    CHECK(model_save(&m, json) == -1);

    Model back;
    CHECK(model_load(&back, path) == 0);
    CHECK(back.tokenizer && strcmp(rg_tokenizer_kind(back.tokenizer), "char") == 0);
    CHECK(back.n_params == m.n_params && memcmp(back.params, m.params, m.n_params * sizeof(float)) == 0);
    model_free(&back);

    rg_model *model;
    CHECK(rg_model_load(path, NULL, &model) == RG_OK);
    if (model) {
        rg_model_info info;
        rg_model_get_info(model, &info);
        CHECK(info.n_vocab == c.vocab_size && strcmp(rg_tokenizer_kind(rg_model_tokenizer(model)), "char") == 0);
        rg_context *ctx;
        CHECK(rg_context_new(model, NULL, &ctx) == RG_OK);
        rg_sampling sp = rg_sampling_default();
        sp.max_tokens = 5;
        int32_t n = 0;
        CHECK(rg_generate(ctx, "User: wörld Assistant:", &sp, NULL, 0, NULL, NULL, &n) == RG_OK && n >= 1);
        rg_context_free(ctx);
        CHECK(rg_model_save(model, again) == RG_OK);
        CHECK(rg_model_save(model, json) == RG_ERR_UNSUPPORTED);
        rg_model_free(model);
        size_t len_a = 0, len_b = 0;
        char *a = read_whole_file(path, &len_a), *b = read_whole_file(again, &len_b);
        CHECK(a && b && len_a == len_b && memcmp(a, b, len_a) == 0);
        free(a);
        free(b);
    }
    unlink(path);
    unlink(again);
    model_free(&m);
}

int main(void)
{
    RUN(test_builtins_keep_their_origin);
    RUN(test_refusals);
    RUN(test_char_tokenizer);
    RUN(test_model_with_plugin_tokenizer);
    TESTS_DONE();
}
