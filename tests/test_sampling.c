/*
 * test_sampling.c — decoding choices beyond those of test_generate.c:
 * beam search (a width of 1 is greedy decoding; a wider beam finds the more
 * probable answer that greedy decoding misses, on a model built to be a
 * bigram table) and top-k. test_generate.c covers the KV cache, temperature
 * 0 = top-k 1 = greedy, seeds, top-p and the repetition penalty;
 * test_chat.c the chat conversation.
 */
#include "tiny_model.h"
#include "infer/generate.h"
#include "archs/gpt.h"
#include "tokenizers/word.h"

#include <stdlib.h>
#include <string.h>

static int collect(int token, void *ctx)
{
    int *out = ctx;
    out[++out[0]] = token;
    return 0;
}

/* Decode from prompt [n] with generate() (beams 1) or beam_search(); the
 * tokens go to out[1..], their count to out[0]. */
static void decode(const Model *m, const int *prompt, int n, SamplingOptions opt, int beam, int *out)
{
    Generator g;
    CHECK(generator_create(&g, m) == 0);
    Rng rng;
    rng_seed(&rng, opt.seed);
    out[0] = 0;
    int produced = beam ? beam_search(&g, prompt, n, &opt, collect, out)
                        : generate(&g, prompt, n, &opt, &rng, collect, out);
    CHECK(produced == out[0]);
    CHECK(g.n_context == n + produced);               /* the answer joins the context */
    CHECK(memcmp(g.context + n, out + 1, (size_t)produced * sizeof(int)) == 0);
    generator_free(&g);
}

static void test_beam_width_one_is_greedy_decoding(void)
{
    Model m;
    tiny_model(&m, 40, 0);
    int prompts[3][3] = { { 6, 7, 8 }, { 5, 3, 9 }, { 11, 10, 4 } };
    for (int p = 0; p < 3; p++) {
        for (int penalised = 0; penalised < 2; penalised++) {
            SamplingOptions opt = sampling_default();
            opt.max_tokens = 25;
            opt.repeat_penalty = penalised ? 1.3f : 1.0f;
            int greedy[32], beam[32];
            decode(&m, prompts[p], 3, opt, 0, greedy);
            opt.beams = 1;
            decode(&m, prompts[p], 3, opt, 1, beam);
            CHECK(greedy[0] == beam[0]);
            CHECK(memcmp(greedy, beam, (size_t)(greedy[0] + 1) * sizeof(int)) == 0);
        }
    }
    model_free(&m);
}

/* A model that is a bigram table: its logits after token t are
 * log_p[t][:]. With zero blocks and identity embeddings (d = V) the
 * residual stream is one-hot e_t; ln_f turns it into a at t and c elsewhere,
 * so head weight W[v][j] = log_p[j][v] / (a - c) and bias
 * -c * sum_j W[v][j] give logits[v] = log_p[t][v] exactly. */
static const char *const bigram_words[8] = { "<pad>", "<unk>", "</s>", "a", "b", "c", "d", "e" };
enum { BIGRAM_A = 3, BIGRAM_B = 4, BIGRAM_C = 5 };

static void bigram_model(Model *m, float log_p[8][8])
{
    ModelConfig c = { .vocab_size = 8, .d_model = 8, .n_heads = 2, .d_hidden = 8,
                      .n_layers = 1, .seq_len = 16 };
    CHECK(model_create(m, &c) == 0);
    CHECK(vocab_from_words(&m->vocab, bigram_words, 8) == 0);
    memset(m->params, 0, m->n_params * sizeof(float));
    for (int t = 0; t < 8; t++) m->w.tok_emb[t * 8 + t] = 1.0f;
    for (int j = 0; j < 8; j++) m->w.lnf_w[j] = 1.0f;
    double var = (1.0 / 8) * (7.0 / 8) * (7.0 / 8) + (7.0 / 8) * (1.0 / 64);
    double rstd = 1.0 / sqrt(var + 1e-5), a = (7.0 / 8) * rstd, cold = (-1.0 / 8) * rstd;
    for (int v = 0; v < 8; v++) {
        double sum = 0.0;
        for (int j = 0; j < 8; j++) {
            m->w.head_w[v * 8 + j] = (float)(log_p[j][v] / (a - cold));
            sum += m->w.head_w[v * 8 + j];
        }
        m->w.head_b[v] = (float)(-cold * sum);
    }
}

/* log P(tokens [n] | prompt [n_prompt]) under the model. */
static double sequence_logprob(const Model *m, const int *prompt, int n_prompt, const int *tokens, int n)
{
    Generator g;
    CHECK(generator_create(&g, m) == 0);
    for (int i = 0; i < n_prompt; i++) generator_feed(&g, prompt[i]);
    int n_vocab = m->config.vocab_size;
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        float max = g.logits[argmax(g.logits, n_vocab)];
        double sum = 0.0;
        for (int v = 0; v < n_vocab; v++) sum += exp(g.logits[v] - max);
        total += g.logits[tokens[i]] - max - log(sum);
        generator_feed(&g, tokens[i]);
    }
    generator_free(&g);
    return total;
}

/* After "a": "b" 0.5, "c" 0.4. After "b" nothing is likely (</s> 0.25 is
 * the best), after "c" </s> is 0.95. Greedy takes "b </s>" (0.125); a beam
 * of two keeps "c" and finds "c </s>" (0.38). */
static void test_beam_search_finds_the_more_probable_answer_greedy_misses(void)
{
    enum { A = BIGRAM_A, B = BIGRAM_B, C = BIGRAM_C };
    float log_p[8][8];
    for (int t = 0; t < 8; t++)
        for (int v = 0; v < 8; v++) log_p[t][v] = logf(1.0f / 8);
    for (int v = 0; v < 8; v++) {
        log_p[A][v] = logf(0.1f / 6);
        log_p[B][v] = logf(0.75f / 7);
        log_p[C][v] = logf(0.05f / 7);
    }
    log_p[A][B] = logf(0.5f);
    log_p[A][C] = logf(0.4f);
    log_p[B][TOKEN_EOS] = logf(0.25f);
    log_p[C][TOKEN_EOS] = logf(0.95f);
    Model m;
    bigram_model(&m, log_p);
    int prompt[1] = { A }, greedy[16], beam[16], beam1[16];
    SamplingOptions opt = sampling_default();
    opt.max_tokens = 10;
    decode(&m, prompt, 1, opt, 0, greedy);
    opt.beams = 1;
    decode(&m, prompt, 1, opt, 1, beam1);
    opt.beams = 2;
    decode(&m, prompt, 1, opt, 1, beam);
    CHECK(greedy[0] == 2 && greedy[1] == B && greedy[2] == TOKEN_EOS);
    CHECK(beam1[0] == 2 && beam1[1] == B && beam1[2] == TOKEN_EOS);
    CHECK(beam[0] == 2 && beam[1] == C && beam[2] == TOKEN_EOS);
    double p_greedy = sequence_logprob(&m, prompt, 1, greedy + 1, greedy[0]);
    double p_beam = sequence_logprob(&m, prompt, 1, beam + 1, beam[0]);
    CHECK_NEAR(p_greedy, log(0.5 * 0.25), 1e-4);
    CHECK_NEAR(p_beam, log(0.4 * 0.95), 1e-4);
    CHECK(p_beam > p_greedy);
    model_free(&m);
}

/* Top-k 2 over probabilities 0.4, 0.3, 0.2, 0.1 draws only ids 0 and 1,
 * in proportion 4 : 3. */
static void test_top_k_draws_only_from_the_k_most_likely(void)
{
    SamplingOptions opt = sampling_default();
    opt.temperature = 1.0f;
    opt.top_k = 2;
    Rng rng;
    rng_seed(&rng, 11);
    int scratch[4], seen[4] = { 0 };
    for (int i = 0; i < 4000; i++) {
        float logits[4] = { logf(0.4f), logf(0.3f), logf(0.2f), logf(0.1f) };
        seen[sample_token(logits, 4, &opt, &rng, scratch)]++;
    }
    CHECK(seen[2] == 0 && seen[3] == 0);
    CHECK_NEAR(seen[0] / 4000.0, 4.0 / 7, 0.04);
}

int main(void)
{
    RUN(test_beam_width_one_is_greedy_decoding);
    RUN(test_beam_search_finds_the_more_probable_answer_greedy_misses);
    RUN(test_top_k_draws_only_from_the_k_most_likely);
    TESTS_DONE();
}
