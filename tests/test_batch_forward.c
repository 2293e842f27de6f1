/*
 * test_batch_forward.c — many rows in one forward step (infer/batch_forward.h)
 * give what feeding them one by one gives: for one sequence's prompt in
 * steps of any size, for several sequences at different positions mixed in
 * one batch, across a sliding window, for the rows a caller wants and the
 * hidden states, and with the same bits for any number of threads or,
 * in a decoding step, whatever other streams share it.
 *
 * Steps of fewer than 32 rows give each row the bits it gets alone; larger
 * ones (a prompt) use the blocked product, which sums in another order, so
 * most checks allow float rounding (TOL).
 */
#include "test.h"
#include "infer/batch_forward.h"
#include "archs/gpt.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define TOL 1e-5

/* A random model big enough for the blocked and threaded products
 * (d 64, 3 layers); variant GPT_GPT2 has gelu and no head bias. */
static void random_model(Model *m, int seq_len, int variant)
{
    ModelConfig c = { .vocab_size = 40, .d_model = 64, .n_heads = 4, .d_hidden = 128,
                      .n_layers = 3, .seq_len = seq_len, .variant = variant };
    CHECK(model_create(m, &c) == 0);
    model_init_weights(m, 3);
    Rng rng;
    rng_seed(&rng, 11);    /* bigger weights than the init: varied predictions */
    for (size_t i = 0; i < m->n_params; i++) m->params[i] += (rng_uniform(&rng) - 0.5f) * 0.3f;
}

static void check_logits_near(const float *a, const float *b, int V)
{
    for (int v = 0; v < V; v++) CHECK_NEAR(a[v], b[v], TOL);
}

/* The logits after each of tokens [n] fed one by one from an empty
 * context: out [n, V]. */
static void one_by_one(const Model *m, const int *tokens, int n, float *out)
{
    Generator g;
    CHECK(generator_create_rows(&g, m, 1) == 0);
    int V = m->config.vocab_size;
    for (int i = 0; i < n; i++) {
        generator_feed(&g, tokens[i]);
        memcpy(out + (size_t)i * V, g.logits, (size_t)V * sizeof(float));
    }
    generator_free(&g);
}

static void test_a_prompt_in_steps_of_any_size_equals_one_by_one(void)
{
    Model m;
    random_model(&m, 32, GPT_RUSTGPT);
    int V = m.config.vocab_size, d = m.config.d_model, L = m.config.n_layers, T = m.config.seq_len;
    int tokens[21];
    for (int i = 0; i < 21; i++) tokens[i] = (i * 7 + 3) % V;
    float *expected = malloc(21 * (size_t)V * sizeof(float));
    one_by_one(&m, tokens, 21, expected);
    Activations act;                   /* which is what the full forward pass predicts */
    CHECK(activations_create(&act, &m.config, 1) == 0);
    model_forward(&m, &act, tokens, NULL, 1, 21, NULL);
    for (int j = 0; j < 21 * V; j++) CHECK_NEAR(expected[j], act.probs[j], 1e-4);
    activations_free(&act);
    Generator ref;
    CHECK(generator_create_rows(&ref, &m, 1) == 0);
    for (int i = 0; i < 21; i++) generator_feed(&ref, tokens[i]);
    const int sizes[] = { 1, 2, 3, 5, 16, 64 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        Generator g;
        CHECK(generator_create_rows(&g, &m, sizes[k]) == 0);
        generator_feed_many(&g, tokens, 21);
        CHECK(g.n_context == 21 && memcmp(g.context, tokens, sizeof tokens) == 0);
        check_logits_near(g.logits, expected + 20 * V, V);
        for (int l = 0; l < L; l++)        /* the caches hold the same keys and values */
            for (int j = 0; j < 21 * d; j++) {
                size_t at = (size_t)l * T * d + j;
                CHECK_NEAR(g.key_cache[at], ref.key_cache[at], TOL);
                CHECK_NEAR(g.value_cache[at], ref.value_cache[at], TOL);
            }
        generator_free(&g);
    }
    generator_free(&ref);
    free(expected);
    model_free(&m);
}

/* Three sequences already at positions 0, 4 and 9 get 3, 1 and 5 tokens,
 * interleaved in one call: each ends where feeding it alone ends, and the
 * wanted entries' logits come out in entry order. */
static void test_sequences_at_different_positions_mixed_in_one_batch(void)
{
    Model m;
    random_model(&m, 32, GPT_RUSTGPT);
    int V = m.config.vocab_size;
    int history[3][16], n_history[3] = { 0, 4, 9 };
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 16; i++) history[s][i] = (s * 5 + i * 3 + 1) % V;
    Generator gens[3], alone[3];
    Generator *ptrs[3] = { &gens[0], &gens[1], &gens[2] };
    for (int s = 0; s < 3; s++) {
        CHECK(generator_create_rows(&gens[s], &m, 1) == 0);
        CHECK(generator_create_rows(&alone[s], &m, 1) == 0);
        generator_feed_many(&gens[s], history[s], n_history[s]);
        generator_feed_many(&alone[s], history[s], n_history[s]);
    }
    /* entries: s0 s2 s1 s0 s2 s2 s0 s2 s2 */
    const int32_t seq[] = { 0, 2, 1, 0, 2, 2, 0, 2, 2 };
    int tokens[9], next[3] = { 0, 0, 0 };
    uint8_t want[9];
    float expected[9][40];
    int n_want = 0;
    for (int i = 0; i < 9; i++) {
        int s = seq[i];
        tokens[i] = history[s][n_history[s] + next[s]++];
        generator_feed(&alone[s], tokens[i]);
        want[i] = i % 2 == 0;                    /* every other entry */
        if (want[i]) memcpy(expected[n_want++], alone[s].logits, (size_t)V * sizeof(float));
    }
    RowBatch rb;
    CHECK(row_batch_create(&rb, &m, 4) == 0);    /* three steps: 4 + 4 + 1 rows */
    float *logits = malloc((size_t)n_want * V * sizeof(float));
    RowOutputs outputs = { want, logits, NULL };
    row_batch_feed(&rb, ptrs, seq, tokens, 9, &outputs);
    for (int k = 0; k < n_want; k++) check_logits_near(logits + (size_t)k * V, expected[k], V);
    for (int s = 0; s < 3; s++) {
        CHECK(gens[s].n_context == alone[s].n_context);
        check_logits_near(gens[s].logits, alone[s].logits, V);
        generator_free(&gens[s]);
        generator_free(&alone[s]);
    }
    free(logits);
    row_batch_free(&rb);
    model_free(&m);
}

/* With no want array, the logits written are each generator's last
 * entry's (rg_decode's default), in the order those entries come. */
static void test_default_outputs_are_each_generators_last_entry(void)
{
    Model m;
    random_model(&m, 16, GPT_GPT2);
    int V = m.config.vocab_size;
    Generator a, b;
    Generator *ptrs[2] = { &a, &b };
    CHECK(generator_create_rows(&a, &m, 1) == 0 && generator_create_rows(&b, &m, 1) == 0);
    const int32_t seq[] = { 1, 0, 1, 1, 0 };           /* b's last is entry 3, a's entry 4 */
    const int tokens[] = { 7, 8, 9, 10, 11 };
    float logits[2 * 40];
    RowOutputs outputs = { NULL, logits, NULL };
    RowBatch rb;
    CHECK(row_batch_create(&rb, &m, 8) == 0);
    row_batch_feed(&rb, ptrs, seq, tokens, 5, &outputs);
    const int of_a[] = { 8, 11 }, of_b[] = { 7, 9, 10 };
    float expect_a[2 * 40], expect_b[3 * 40];
    one_by_one(&m, of_a, 2, expect_a);
    one_by_one(&m, of_b, 3, expect_b);
    check_logits_near(logits, expect_b + 2 * V, V);
    check_logits_near(logits + V, expect_a + V, V);
    check_logits_near(a.logits, expect_a + V, V);
    check_logits_near(b.logits, expect_b + 2 * V, V);
    generator_free(&a);
    generator_free(&b);
    row_batch_free(&rb);
    model_free(&m);
}

/* seq_len 8: 13 tokens in one call pass the end of the window once; the
 * kept half is re-fed inside the call, and the result is generator_feed's. */
static void test_a_window_slides_inside_a_batch(void)
{
    Model m;
    random_model(&m, 8, GPT_RUSTGPT);
    int V = m.config.vocab_size;
    int tokens[13];
    for (int i = 0; i < 13; i++) tokens[i] = (i * 11 + 2) % V;
    Generator ref, g;
    CHECK(generator_create_rows(&ref, &m, 1) == 0 && generator_create_rows(&g, &m, 3) == 0);
    uint8_t want[13] = { 0 };
    float expected[13][40];
    for (int i = 0; i < 13; i++) {
        generator_feed(&ref, tokens[i]);
        memcpy(expected[i], ref.logits, (size_t)V * sizeof(float));
    }
    want[6] = want[7] = want[8] = 1;                  /* before, at and after the slide */
    float logits[3 * 40];
    RowOutputs outputs = { want, logits, NULL };
    Generator *ptrs[1] = { &g };
    row_batch_feed(g.batch, ptrs, NULL, tokens, 13, &outputs);
    CHECK(g.n_context == ref.n_context && memcmp(g.context, ref.context, (size_t)g.n_context * sizeof(int)) == 0);
    for (int k = 0; k < 3; k++) check_logits_near(logits + k * V, expected[6 + k], V);
    check_logits_near(g.logits, ref.logits, V);
    generator_free(&ref);
    generator_free(&g);
    model_free(&m);
}

/* hidden gets ln_f(x) of every entry: the full forward pass's lnf_out. */
static void test_hidden_rows_are_the_final_layernorm_outputs(void)
{
    Model m;
    random_model(&m, 16, GPT_RUSTGPT);
    int d = m.config.d_model;
    int tokens[10];
    for (int i = 0; i < 10; i++) tokens[i] = (i * 5 + 4) % m.config.vocab_size;
    Activations act;
    CHECK(activations_create(&act, &m.config, 1) == 0);
    model_forward(&m, &act, tokens, NULL, 1, 10, NULL);
    Generator g;
    CHECK(generator_create_rows(&g, &m, 4) == 0);
    float hidden[10 * 64];
    RowOutputs outputs = { NULL, NULL, hidden };
    Generator *ptrs[1] = { &g };
    row_batch_feed(g.batch, ptrs, NULL, tokens, 10, &outputs);
    for (int j = 0; j < 10 * d; j++) CHECK_NEAR(hidden[j], act.lnf_out[j], 1e-4);
    activations_free(&act);
    generator_free(&g);
    model_free(&m);
}

/* A step of fewer than MATVEC_MAX_ROWS rows runs each row through the same
 * operations as a step of its own (tensor.h: matmul_forward_rows): a
 * stream's logits are the same bits whoever shares its steps. */
static void test_a_stream_gets_the_same_bits_whoever_shares_its_steps(void)
{
    Model m;
    random_model(&m, 32, GPT_RUSTGPT);
    int V = m.config.vocab_size;
    enum { S = 12 };
    Generator together[S], alone;
    Generator *ptrs[S];
    int32_t seq[S];
    RowBatch rb;
    CHECK(row_batch_create(&rb, &m, S) == 0);
    CHECK(generator_create_rows(&alone, &m, 1) == 0);
    for (int s = 0; s < S; s++) {
        CHECK(generator_create_rows(&together[s], &m, 1) == 0);
        ptrs[s] = &together[s];
        seq[s] = s;
    }
    for (int step = 0; step < 6; step++) {
        int tokens[S];
        for (int s = 0; s < S; s++) tokens[s] = (s * 7 + step * 3 + 1) % V;
        row_batch_feed(&rb, ptrs, seq, tokens, S, NULL);
    }
    for (int s = 0; s < S; s++) {              /* stream s again, alone */
        generator_reset(&alone);
        for (int step = 0; step < 6; step++) generator_feed(&alone, (s * 7 + step * 3 + 1) % V);
        CHECK(memcmp(alone.logits, together[s].logits, (size_t)V * sizeof(float)) == 0);
        generator_free(&together[s]);
    }
    generator_free(&alone);
    row_batch_free(&rb);
    model_free(&m);
}

/* Each output is computed by the same operations whichever thread does it
 * (kernels/parallel.c), and attention rows are independent: the bits do
 * not depend on the number of threads. */
static void test_the_same_bits_for_any_thread_count(void)
{
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    omp_set_num_threads(4);
#endif
    Model m;
    random_model(&m, 32, GPT_RUSTGPT);
    int V = m.config.vocab_size;
    RowBatch rb;
    CHECK(row_batch_create(&rb, &m, 32) == 0);
    float first[8 * 40];
    for (int threads = 1; threads <= 4; threads++) {
#ifdef _OPENMP
        omp_set_num_threads(threads);
#endif
        Generator gens[8];
        Generator *ptrs[8];
        int32_t seq[8 * 3];
        int tokens[8 * 3];
        for (int s = 0; s < 8; s++) {
            CHECK(generator_create_rows(&gens[s], &m, 1) == 0);
            ptrs[s] = &gens[s];
        }
        for (int i = 0; i < 24; i++) {
            seq[i] = i % 8;
            tokens[i] = (i * 13 + 5) % V;
        }
        row_batch_feed(&rb, ptrs, seq, tokens, 24, NULL);
        for (int s = 0; s < 8; s++) {
            if (threads == 1) memcpy(first + s * V, gens[s].logits, (size_t)V * sizeof(float));
            else CHECK(memcmp(first + s * V, gens[s].logits, (size_t)V * sizeof(float)) == 0);
            generator_free(&gens[s]);
        }
    }
    row_batch_free(&rb);
    model_free(&m);
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
}

int main(void)
{
    RUN(test_a_prompt_in_steps_of_any_size_equals_one_by_one);
    RUN(test_sequences_at_different_positions_mixed_in_one_batch);
    RUN(test_default_outputs_are_each_generators_last_entry);
    RUN(test_a_window_slides_inside_a_batch);
    RUN(test_hidden_rows_are_the_final_layernorm_outputs);
    RUN(test_a_stream_gets_the_same_bits_whoever_shares_its_steps);
    RUN(test_the_same_bits_for_any_thread_count);
    TESTS_DONE();
}
