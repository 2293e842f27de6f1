/*
 * test_generate.c — decoding: the KV cache predicts exactly what the full
 * forward pass predicts, the sliding window keeps working past seq_len, and
 * the sampler's options do what sampler.h documents.
 */
#include "test.h"
#include "infer/generate.h"
#include "archs/gpt.h"

#include <stdlib.h>
#include <string.h>

static const char *const words[] = { "<pad>", "<unk>", "</s>", "a", "b", "c", "d", "e", "f", "g" };

static void tiny_model(Model *m, int seq_len)
{
    ModelConfig c = { .vocab_size = 10, .d_model = 16, .n_heads = 4, .d_hidden = 24,
                      .n_layers = 2, .seq_len = seq_len };
    CHECK(model_create(m, &c) == 0);
    CHECK(vocab_from_words(&m->vocab, words, 10) == 0);
    model_init_weights(m, 5);
    Rng rng;
    rng_seed(&rng, 9);    /* bigger weights than the init: sharper predictions */
    for (size_t i = 0; i < m->n_params; i++) m->params[i] += (rng_uniform(&rng) - 0.5f) * 0.5f;
}

/* Logits of every position of ids [n] by the full forward pass. */
static float *full_logits(const Model *m, const int *ids, int n)
{
    Activations a;
    CHECK(activations_create(&a, &m->config, 1) == 0);
    model_forward(m, &a, ids, NULL, 1, n, NULL);
    float *out = malloc((size_t)n * m->config.vocab_size * sizeof(float));
    memcpy(out, a.probs, (size_t)n * m->config.vocab_size * sizeof(float));
    activations_free(&a);
    return out;
}

static void test_kv_cache_matches_full_forward(void)
{
    Model m;
    tiny_model(&m, 12);
    int ids[12] = { 3, 4, 5, 6, 7, 8, 9, 3, 4, 5, 6, 7 };
    float *expected = full_logits(&m, ids, 12);
    Generator g;
    CHECK(generator_create(&g, &m) == 0);
    for (int t = 0; t < 12; t++) {
        generator_feed(&g, ids[t]);
        for (int v = 0; v < 10; v++) CHECK_NEAR(g.logits[v], expected[t * 10 + v], 1e-5);
        CHECK(argmax(g.logits, 10) == argmax(expected + t * 10, 10));
    }
    free(expected);
    generator_free(&g);
    model_free(&m);
}

/* Past seq_len the window slides: the prediction then equals a full forward
 * pass over the newest seq_len/2 + 1 tokens. */
static void test_sliding_window_recomputes_the_kept_context(void)
{
    Model m;
    tiny_model(&m, 8);
    int ids[9] = { 3, 4, 5, 6, 7, 8, 9, 3, 4 };
    Generator g;
    CHECK(generator_create(&g, &m) == 0);
    for (int t = 0; t < 9; t++) generator_feed(&g, ids[t]);
    CHECK(g.n_context == 5);
    float *expected = full_logits(&m, ids + 4, 5);
    for (int v = 0; v < 10; v++) CHECK_NEAR(g.logits[v], expected[4 * 10 + v], 1e-5);
    free(expected);
    generator_free(&g);
    model_free(&m);
}

static int collect(int token, void *ctx)
{
    int *out = ctx;
    out[++out[0]] = token;
    return 0;
}

static int run_generation(const Model *m, SamplingOptions opt, int *out)
{
    Generator g;
    CHECK(generator_create(&g, m) == 0);
    int prompt[3] = { 3, 4, 5 };
    Rng rng;
    rng_seed(&rng, opt.seed);
    out[0] = 0;
    int n = generate(&g, prompt, 3, &opt, &rng, collect, out);
    generator_free(&g);
    return n;
}

static void test_greedy_equals_temperature_zero_and_top_k_one(void)
{
    Model m;
    tiny_model(&m, 40);
    SamplingOptions greedy = sampling_default();
    greedy.max_tokens = 20;
    SamplingOptions top1 = greedy;
    top1.temperature = 1.5f;
    top1.top_k = 1;
    int a[32], b[32];
    run_generation(&m, greedy, a);
    run_generation(&m, top1, b);
    CHECK(a[0] == b[0]);
    CHECK(memcmp(a, b, (size_t)(a[0] + 1) * sizeof(int)) == 0);
    model_free(&m);
}

static void test_same_seed_gives_the_same_sample(void)
{
    Model m;
    tiny_model(&m, 40);
    SamplingOptions opt = sampling_default();
    opt.temperature = 1.0f;
    opt.max_tokens = 30;
    int a[40], b[40], c[40];
    run_generation(&m, opt, a);
    run_generation(&m, opt, b);
    opt.seed = 1234;
    run_generation(&m, opt, c);
    CHECK(a[0] == b[0] && memcmp(a, b, (size_t)(a[0] + 1) * sizeof(int)) == 0);
    CHECK(a[0] != c[0] || memcmp(a, c, (size_t)(a[0] + 1) * sizeof(int)) != 0);
    model_free(&m);
}

/* With probabilities 0.5, 0.3, 0.15, 0.05, top-p 0.75 keeps the smallest set
 * reaching it, {0, 1}: token 2 or 3 is never drawn. */
static void test_top_p_keeps_the_smallest_set_reaching_p(void)
{
    SamplingOptions opt = sampling_default();
    opt.temperature = 1.0f;
    opt.top_p = 0.75f;
    Rng rng;
    rng_seed(&rng, 3);
    int scratch[4], seen[4] = { 0 };
    for (int i = 0; i < 2000; i++) {
        float logits[4] = { logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f) };
        seen[sample_token(logits, 4, &opt, &rng, scratch)]++;
    }
    CHECK(seen[0] > 0 && seen[1] > 0);
    CHECK(seen[2] == 0 && seen[3] == 0);
    CHECK(seen[0] > seen[1]);                  /* renormalised 0.625 : 0.375 */
}

static void test_repeat_penalty_lowers_seen_tokens(void)
{
    float logits[4] = { 2.0f, -1.0f, 3.0f, 0.5f };
    int recent[3] = { 0, 1, 0 };
    apply_repeat_penalty(logits, 4, recent, 3, 2.0f);
    CHECK(logits[0] == 1.0f);                  /* positive: divided, once */
    CHECK(logits[1] == -2.0f);                 /* negative: multiplied */
    CHECK(logits[2] == 3.0f && logits[3] == 0.5f);
}

int main(void)
{
    RUN(test_kv_cache_matches_full_forward);
    RUN(test_sliding_window_recomputes_the_kept_context);
    RUN(test_greedy_equals_temperature_zero_and_top_k_one);
    RUN(test_same_seed_gives_the_same_sample);
    RUN(test_top_p_keeps_the_smallest_set_reaching_p);
    RUN(test_repeat_penalty_lowers_seen_tokens);
    TESTS_DONE();
}
