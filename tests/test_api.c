/*
 * test_api.c — the public API of rustgpt.h over the built-in parts: loading
 * each of rustgpt's file formats through the registry (bit-exact against
 * model_load), saving, tokenizing into caller buffers, rg_decode against the
 * Generator, rg_generate (greedy equals generate(), stop strings, streaming
 * of whole UTF-8), the sampler, rg_chat_render, the gpt architecture's
 * hidden states and training step, and the errors.
 */
#include "rustgpt.h"
#include "rustgpt/plugin.h"
#include "api/handles.h"
#include "formats/modelfile.h"
#include "core/registry.h"
#include "infer/generate.h"
#include "tiny_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char *path_in_dir(const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void save_tiny(const char *name, int never_ends)
{
    Model m;
    tiny_model(&m, 16, never_ends);
    CHECK(model_save(&m, path_in_dir(name)) == 0);
    model_free(&m);
}

static void test_load_every_format(void)
{
    const char *names[] = { "tiny.bin", "tiny.json", "tiny.safetensors" };
    const char *formats[] = { "bin", "json", "safetensors" };
    Model ref;
    tiny_model(&ref, 16, 0);
    for (int i = 0; i < 3; i++) {
        CHECK(model_save(&ref, path_in_dir(names[i])) == 0);
        rg_model *m = NULL;
        CHECK(rg_model_load(path_in_dir(names[i]), NULL, &m) == RG_OK);
        if (!m) { printf("    %s\n", rg_last_error()); continue; }
        rg_model_info info;
        rg_model_get_info(m, &info);
        CHECK(strcmp(info.arch, "gpt") == 0 && strcmp(info.format, formats[i]) == 0);
        CHECK(strcmp(info.name, names[i]) == 0);
        CHECK(info.n_vocab == V && info.n_ctx == 16 && info.d_model == 16 && info.n_layers == 2);
        CHECK(info.n_heads == 4 && info.n_embd == 16 && info.n_params == ref.n_params);
        CHECK(info.causal && info.can_generate && info.can_train && info.chat_template == NULL);
        const rg_tokenizer *tok = rg_model_tokenizer(m);
        CHECK(strcmp(rg_tokenizer_kind(tok), "word") == 0 && rg_tokenizer_n_vocab(tok) == V);
        /* the weights are bit for bit the saved ones */
        const rg_arch_vtable *arch = m->arch;
        CHECK(arch->n_params(m->state) == model_tensor_count(&ref.config));
        int same = 1;
        for (int t = 0; t < arch->n_params(m->state); t++) {
            rg_tensor tensor;
            CHECK(arch->param(m->state, t, &tensor) == RG_OK);
            TensorInfo ti = model_tensor_info(&ref.config, t);
            same &= strcmp(tensor.name, ti.name) == 0 &&
                    memcmp(tensor.data, ref.params + ti.offset, ti.numel * sizeof(float)) == 0;
        }
        CHECK(same);
        rg_tensor none;
        CHECK(arch->param(m->state, -1, &none) == RG_ERR_INVALID);
        rg_model_free(m);
    }
    model_free(&ref);
}

static void test_save_round_trip(void)
{
    save_tiny("a.bin", 0);
    rg_model *m;
    CHECK(rg_model_load(path_in_dir("a.bin"), NULL, &m) == RG_OK);
    const char *outs[] = { "b.json", "b.safetensors", "b.bin" };
    Model ref, back;
    CHECK(model_load(&ref, path_in_dir("a.bin")) == 0);
    for (int i = 0; i < 3; i++) {
        CHECK(rg_model_save(m, path_in_dir(outs[i])) == RG_OK);
        CHECK(model_load(&back, path_in_dir(outs[i])) == 0);
        CHECK(back.n_params == ref.n_params &&
              memcmp(back.params, ref.params, ref.n_params * sizeof(float)) == 0);
        CHECK(back.vocab.size == V && strcmp(back.vocab.words[5], "User") == 0);
        model_free(&back);
    }
    CHECK(rg_model_save(m, path_in_dir("b.unknown")) == RG_ERR_UNSUPPORTED);
    CHECK(rg_model_save(m, path_in_dir("a.bin/under-a-file.bin")) == RG_ERR_IO);
    model_free(&ref);
    rg_model_free(m);
}

static void test_load_errors(void)
{
    rg_model *m = (rg_model *)1;
    CHECK(rg_model_load(path_in_dir("missing.bin"), NULL, &m) == RG_ERR_IO && m == NULL);
    CHECK(strstr(rg_last_error(), "missing.bin") != NULL);
    FILE *fp = fopen(path_in_dir("garbage.xyz"), "w");
    fputs("hello, not a model", fp);
    fclose(fp);
    CHECK(rg_model_load(path_in_dir("garbage.xyz"), NULL, &m) == RG_ERR_FORMAT);
    fp = fopen(path_in_dir("broken.bin"), "w");
    fputs("RGPT\x01", fp);
    fclose(fp);
    CHECK(rg_model_load(path_in_dir("broken.bin"), NULL, &m) == RG_ERR_FORMAT);
    CHECK(strstr(rg_last_error(), "broken.bin") != NULL);
    CHECK(rg_model_load(dir, NULL, &m) == RG_ERR_UNSUPPORTED);
    save_tiny("c.bin", 0);
    rg_model_options opt = { 1, "no-such-tokenizer" };
    CHECK(rg_model_load(path_in_dir("c.bin"), &opt, &m) == RG_ERR_NOT_FOUND);
}

static void test_tokenizer_calls(void)
{
    save_tiny("t.bin", 0);
    rg_model *m;
    CHECK(rg_model_load(path_in_dir("t.bin"), NULL, &m) == RG_OK);
    const rg_tokenizer *tok = rg_model_tokenizer(m);
    int32_t ids[8];
    size_t n;
    const char *text = "User: a b zzz</s>";
    CHECK(rg_tokenize(tok, text, strlen(text), 0, ids, 8, &n) == RG_OK && n == 6);
    CHECK(ids[0] == 5 && ids[1] == 3 && ids[2] == 6 && ids[3] == 7 && ids[4] == TOKEN_UNK && ids[5] == TOKEN_EOS);
    CHECK(rg_tokenize(tok, text, 7, 0, ids, 8, &n) == RG_OK && n == 3);       /* a prefix: no NUL needed */
    CHECK(rg_tokenize(tok, text, strlen(text), 0, ids, 2, &n) == RG_ERR_TOO_SMALL && n == 6);
    CHECK(rg_tokenize(tok, "a \xff b", 5, 0, ids, 8, &n) == RG_ERR_FORMAT);
    CHECK(strstr(rg_last_error(), "byte offset 2") != NULL);
    CHECK(rg_tokenizer_special(tok, RG_SPECIAL_EOS) == TOKEN_EOS);
    CHECK(rg_tokenizer_special(tok, RG_SPECIAL_PAD) == TOKEN_PAD);
    CHECK(rg_tokenizer_special(tok, RG_SPECIAL_UNK) == TOKEN_UNK);
    CHECK(rg_tokenizer_special(tok, RG_SPECIAL_BOS) == -1);

    const int32_t out[] = { 5, 3, 6, 0, 7 };
    char buf[32];
    size_t len;
    CHECK(rg_detokenize(tok, out, 5, buf, sizeof buf, &len) == RG_OK && len == 9);
    CHECK(strcmp(buf, "User: a b") == 0);
    CHECK(rg_detokenize(tok, out, 5, buf, 4, &len) == RG_ERR_TOO_SMALL && len == 9);
    CHECK(rg_detokenize(tok, out, 5, buf, 9, &len) == RG_OK && memcmp(buf, "User: a b", 9) == 0);
    const int32_t bad[] = { 99 };
    CHECK(rg_detokenize(tok, bad, 1, buf, sizeof buf, &len) == RG_ERR_INVALID);
    const char *piece = rg_token_piece(tok, 4, &len);
    CHECK(piece && len == 9 && memcmp(piece, "Assistant", 9) == 0);
    CHECK(rg_token_piece(tok, V, &len) == NULL && len == 0);

    rg_tokenizer *loaded = (rg_tokenizer *)1;
    CHECK(rg_tokenizer_load("word", &loaded) == RG_ERR_NOT_FOUND && loaded == NULL);
    CHECK(strstr(rg_last_error(), "comes with a model") != NULL);
    CHECK(rg_tokenizer_load("nothing-like-this", &loaded) == RG_ERR_NOT_FOUND);
    CHECK(rg_tokenizer_load(path_in_dir("t.bin"), &loaded) == RG_ERR_NOT_FOUND);
    CHECK(rg_tokenizer_save(tok, path_in_dir("tok.json")) == RG_ERR_UNSUPPORTED);
    rg_model_free(m);
}

/* Batched rows sum their products in another order than one row alone
 * (infer/batch_forward.h): equal to float rounding, not to the bit. */
static int same_logits(const float *a, const float *b)
{
    for (int v = 0; v < V; v++)
        if (fabsf(a[v] - b[v]) > 1e-5f * (1.0f + fabsf(b[v]))) return 0;
    return 1;
}

static void test_decode_matches_generator(void)
{
    Model ref;
    tiny_model(&ref, 16, 0);
    CHECK(model_save(&ref, path_in_dir("d.bin")) == 0);
    Generator g;
    CHECK(generator_create(&g, &ref) == 0);
    rg_model *m;
    CHECK(rg_model_load(path_in_dir("d.bin"), NULL, &m) == RG_OK);
    rg_context_options copt = { 0, 2, 0 };
    rg_context *ctx;
    CHECK(rg_context_new(m, &copt, &ctx) == RG_OK);
    const int32_t prompt[] = { 5, 3, 6, 7, 4, 3 };
    const int32_t seqs[] = { 0, 0, 0, 1, 1, 1 };
    float logits[2 * V];
    /* sequence 0 gets 5 3 6, sequence 1 gets 7 4 3, interleaved in one batch */
    CHECK(rg_decode(ctx, 6, prompt, seqs, NULL, logits) == RG_OK);
    CHECK(rg_context_n_tokens(ctx, 0) == 3 && rg_context_n_tokens(ctx, 1) == 3);
    for (int i = 0; i < 3; i++) generator_feed(&g, prompt[i]);
    CHECK(same_logits(logits, g.logits));
    generator_reset(&g);
    for (int i = 3; i < 6; i++) generator_feed(&g, prompt[i]);
    CHECK(same_logits(logits + V, g.logits));
    /* want_logits picks rows */
    const uint8_t want[] = { 1, 0, 1 };
    const int32_t more[] = { 8, 9, 10 }, zero[] = { 0, 0, 0 };
    rg_context_reset(ctx, -1);
    CHECK(rg_context_n_tokens(ctx, 1) == 0);
    CHECK(rg_decode(ctx, 3, more, zero, want, logits) == RG_OK);
    generator_reset(&g);
    generator_feed(&g, 8);
    CHECK(same_logits(logits, g.logits));
    /* errors change nothing */
    const int32_t bad_tok[] = { V }, bad_seq[] = { 2 };
    CHECK(rg_decode(ctx, 1, bad_tok, NULL, NULL, logits) == RG_ERR_INVALID);
    CHECK(rg_decode(ctx, 1, more, bad_seq, NULL, logits) == RG_ERR_INVALID);
    CHECK(rg_decode(ctx, -1, more, NULL, NULL, logits) == RG_ERR_INVALID);
    CHECK(rg_context_n_tokens(ctx, 0) == 3 && rg_context_n_tokens(ctx, 7) == 0);
    rg_context_reset(ctx, 0);
    CHECK(rg_context_n_tokens(ctx, 0) == 0);
    rg_context_options too_long = { 17, 1, 0 };
    rg_context *ctx2 = (rg_context *)1;
    CHECK(rg_context_new(m, &too_long, &ctx2) == RG_ERR_INVALID && ctx2 == NULL);
    rg_context_free(ctx);
    generator_free(&g);
    rg_model_free(m);
    model_free(&ref);
}

typedef struct { int calls; char text[512]; size_t len; int stop_after; } Collect;

static int collect(int32_t token, const char *text, size_t len, void *user)
{
    Collect *c = user;
    c->calls++;
    if (c->len + len < sizeof c->text) memcpy(c->text + c->len, text, len);
    c->len += len;
    c->text[c->len < sizeof c->text ? c->len : sizeof c->text - 1] = '\0';
    return c->stop_after && c->calls >= c->stop_after;
}

static void test_generate_matches_cli_loop(void)
{
    Model ref;
    tiny_model(&ref, 16, 1);
    CHECK(model_save(&ref, path_in_dir("g.bin")) == 0);
    /* the reference: generate() of infer/generate.h, greedy, 8 tokens */
    Generator g;
    CHECK(generator_create(&g, &ref) == 0);
    int prompt[16];
    int n_prompt = tokenizer_encode(&ref.vocab, "User: a Assistant:", prompt, 16);
    SamplingOptions so = sampling_default();
    so.max_tokens = 8;
    Rng rng;
    rng_seed(&rng, so.seed);
    generate(&g, prompt, n_prompt, &so, &rng, NULL, NULL);
    char want[256];
    tokenizer_decode(&ref.vocab, g.context + n_prompt, g.n_context - n_prompt, want, sizeof want);

    rg_model *m;
    CHECK(rg_model_load(path_in_dir("g.bin"), NULL, &m) == RG_OK);
    rg_context *ctx;
    CHECK(rg_context_new(m, NULL, &ctx) == RG_OK);
    rg_sampling sp = rg_sampling_default();
    sp.max_tokens = 8;
    Collect c = { 0 };
    int32_t n_gen;
    CHECK(rg_generate(ctx, "User: a Assistant:", &sp, NULL, 0, collect, &c, &n_gen) == RG_OK);
    CHECK(n_gen == 8 && c.calls == 8);
    CHECK(strcmp(c.text, want) == 0);
    if (strcmp(c.text, want) != 0) printf("    got \"%s\", want \"%s\"\n", c.text, want);
    CHECK(rg_context_n_tokens(ctx, 0) == n_prompt + 8);

    /* a stop string: the text before it, and no more tokens */
    if (strlen(want) > 3) {
        char stop[8];
        snprintf(stop, sizeof stop, "%.2s", want + 2);
        const char *stops[] = { "never-there", stop };
        Collect s = { 0 };
        rg_context_reset(ctx, -1);
        CHECK(rg_generate(ctx, "User: a Assistant:", &sp, stops, 2, collect, &s, &n_gen) == RG_OK);
        CHECK(strncmp(s.text, want, 2) == 0 && s.len == 2);
        CHECK(n_gen < 8);
    }
    /* the caller stops it */
    Collect early = { .stop_after = 3 };
    rg_context_reset(ctx, -1);
    CHECK(rg_generate(ctx, "User: a Assistant:", &sp, NULL, 0, collect, &early, &n_gen) == RG_ERR_INTERRUPTED);
    CHECK(n_gen == 3);
    /* no callback, default sampling (60 tokens) */
    rg_context_reset(ctx, -1);
    CHECK(rg_generate(ctx, "a", NULL, NULL, 0, NULL, NULL, &n_gen) == RG_OK && n_gen == 60);
    /* an empty prompt continues the last generation, and only that */
    CHECK(rg_generate(ctx, "", &sp, NULL, 0, NULL, NULL, &n_gen) == RG_OK && n_gen == 8);
    rg_context_reset(ctx, -1);
    CHECK(rg_generate(ctx, "", &sp, NULL, 0, NULL, NULL, NULL) == RG_ERR_INVALID);
    rg_sampling bad = sp;
    bad.top_p = 0;
    CHECK(rg_generate(ctx, "a", &bad, NULL, 0, NULL, NULL, NULL) == RG_ERR_INVALID);
    rg_context_free(ctx);
    rg_model_free(m);
    generator_free(&g);
    model_free(&ref);
}

static void test_sampler(void)
{
    rg_sampling p = rg_sampling_default();
    CHECK(p.temperature == 0 && p.top_p == 1 && p.repeat_penalty == 1 && p.seed == 42);
    rg_sampler *s;
    CHECK(rg_sampler_new(&p, 4, &s) == RG_OK);
    float logits[4] = { 0.1f, 2.0f, 0.5f, -1.0f };
    CHECK(rg_sample(s, logits, NULL, 0) == 1);
    rg_sampler_free(s);
    p.temperature = 1.0f;
    p.top_k = 2;
    p.repeat_penalty = 100.0f;
    CHECK(rg_sampler_new(&p, 4, &s) == RG_OK);
    int32_t recent[] = { 1 };
    for (int i = 0; i < 20; i++) {
        float l[4] = { 0.1f, 2.0f, 0.5f, -1.0f };
        int32_t t = rg_sample(s, l, recent, 1);
        CHECK(t == 0 || t == 2);        /* 1 is penalised out of the top two */
    }
    rg_sampler_free(s);
    rg_sampler_free(NULL);
    p.temperature = -1;
    s = (rg_sampler *)1;
    CHECK(rg_sampler_new(&p, 4, &s) == RG_ERR_INVALID && s == NULL);
}

static void test_chat_render(void)
{
    save_tiny("chat.bin", 0);
    rg_model *m;
    CHECK(rg_model_load(path_in_dir("chat.bin"), NULL, &m) == RG_OK);
    rg_message msgs[] = { { "system", "Be brief." }, { "user", "hi" }, { "assistant", "hello" },
                          { "user", "how are you?" } };
    char buf[128];
    size_t len;
    CHECK(rg_chat_render(m, msgs, 4, 1, buf, sizeof buf, &len) == RG_OK);
    const char *want = "Be brief. User: hi Assistant: hello </s> User: how are you? Assistant:";
    CHECK(strcmp(buf, want) == 0 && len == strlen(want));
    CHECK(rg_chat_render(m, msgs + 1, 1, 0, buf, sizeof buf, &len) == RG_OK && strcmp(buf, "User: hi") == 0);
    CHECK(rg_chat_render(m, msgs, 4, 1, buf, 10, &len) == RG_ERR_TOO_SMALL && len == strlen(want));
    CHECK(strlen(buf) == 9);
    rg_message odd = { "robot", "x" };
    CHECK(rg_chat_render(m, &odd, 1, 1, buf, sizeof buf, &len) == RG_ERR_INVALID);
    rg_message none = { NULL, "x" };
    CHECK(rg_chat_render(m, &none, 1, 1, buf, sizeof buf, &len) == RG_ERR_INVALID);
    rg_model_free(m);
}

static void test_hidden_and_training_step(void)
{
    Model ref;
    tiny_model(&ref, 16, 0);
    CHECK(model_save(&ref, path_in_dir("h.bin")) == 0);
    rg_model *m;
    CHECK(rg_model_load(path_in_dir("h.bin"), NULL, &m) == RG_OK);
    rg_context *ctx;
    CHECK(rg_context_new(m, NULL, &ctx) == RG_OK);
    const int32_t ids[] = { 5, 3, 6, 7 };
    float hidden[4 * 16];
    CHECK(m->arch->hidden(m->state, ctx->state, 4, ids, hidden) == RG_OK);
    /* ln_f's output of the full forward pass, row by row */
    Activations a;
    CHECK(activations_create(&a, &ref.config, 1) == 0);
    model_forward(&ref, &a, ids, NULL, 1, 4, NULL);
    float worst = 0;
    for (int i = 0; i < 4 * 16; i++) worst = fmaxf(worst, fabsf(hidden[i] - a.lnf_out[i]));
    CHECK(worst < 1e-4f);
    CHECK(rg_context_n_tokens(ctx, 0) == 0);
    int32_t too_many[17] = { 0 };
    CHECK(m->arch->hidden(m->state, ctx->state, 17, too_many, hidden) == RG_ERR_LIMIT);

    /* one training step equals model_forward + model_backward */
    const int32_t targets[] = { 3, 6, 7, -1 };
    int ref_targets[] = { 3, 6, 7, TOKEN_PAD };
    float *grads = calloc(ref.n_params, sizeof(float)), *ref_grads = calloc(ref.n_params, sizeof(float));
    float loss;
    CHECK(m->arch->forward_backward(m->state, ctx->state, 1, 4, ids, targets, grads, &loss) == RG_OK);
    float ref_loss = model_forward(&ref, &a, ids, ref_targets, 1, 4, NULL);
    model_backward(&ref, &a, ref_grads, ids, ref_targets);
    CHECK(loss == ref_loss);
    CHECK(memcmp(grads, ref_grads, ref.n_params * sizeof(float)) == 0);
    CHECK(m->arch->forward_backward(m->state, ctx->state, 1, 17, ids, targets, grads, &loss) == RG_ERR_INVALID);
    const int32_t bad_targets[] = { 3, 6, 7, V };
    CHECK(m->arch->forward_backward(m->state, ctx->state, 1, 4, ids, bad_targets, grads, &loss) == RG_ERR_INVALID);
    free(grads);
    free(ref_grads);
    activations_free(&a);
    rg_context_free(ctx);
    rg_model_free(m);
    model_free(&ref);
}

/* The word tokenizer's vtable on its own: trained, written into metadata
 * and made again from it. */
static void test_word_vtable(void)
{
    const rg_tokenizer_vtable *vt = registry_tokenizer("word");
    CHECK(vt && vt->train && vt->from_source && vt->to_source && !vt->load && !vt->save);
    const char *texts[] = { "the cat sat .", "a dog ran </s>" };
    void *state = NULL, *again = NULL;
    CHECK(vt->train(texts, 2, "", &state) == RG_OK);
    CHECK(vt->n_vocab(state) == 3 + 7);
    rg_source *src;
    CHECK(rg_source_new(&src) == RG_OK);
    CHECK(vt->to_source(state, src) == RG_OK);
    const char *kind;
    CHECK(rg_source_string(src, "tokenizer.ggml.model", &kind, NULL) == RG_OK && strcmp(kind, "word") == 0);
    CHECK(vt->from_source(src, &again) == RG_OK && vt->n_vocab(again) == 10);
    int32_t ids[8];
    size_t n;
    CHECK(vt->encode(again, "the dog", 7, 0, ids, 8, &n) == RG_OK && n == 2);
    CHECK(vt->special(again, RG_SPECIAL_MASK) == -1);
    const char *bad[] = { "<pad>", "<unk>", "</s>", "x", "x" };
    CHECK(rg_source_set_string_array(src, "tokenizer.ggml.tokens", bad, NULL, 5) == RG_OK);
    void *broken = NULL;
    CHECK(vt->from_source(src, &broken) == RG_ERR_FORMAT && broken == NULL);
    CHECK(rg_source_set_int(src, "tokenizer.ggml.tokens", 1) == RG_OK);
    CHECK(vt->from_source(src, &broken) == RG_ERR_FORMAT);
    rg_source_free(src);
    vt->destroy(state);
    vt->destroy(again);
    vt->destroy(NULL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/rustgpt-test-api-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_load_every_format);
    RUN(test_save_round_trip);
    RUN(test_load_errors);
    RUN(test_tokenizer_calls);
    RUN(test_decode_matches_generator);
    RUN(test_generate_matches_cli_loop);
    RUN(test_sampler);
    RUN(test_chat_render);
    RUN(test_hidden_and_training_step);
    RUN(test_word_vtable);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    TESTS_DONE();
}
