/*
 * test_train.c — the training loop: batching and padding, the loss, Adam,
 * clipping and determinism, ending with a tiny model that memorises a
 * handful of sentences.
 */
#include "test.h"
#include "train/data.h"
#include "infer/generate.h"
#include "core/tensor.h"
#include "train/train.h"

#include <stdlib.h>
#include <string.h>

static const char *const sentences[] = {
    "the cat sat on the mat . </s>",
    "a dog ran in the park . </s>",
    "birds fly south in winter . </s>",
    "User: what is ice ? Assistant: ice is frozen water . </s>",
    "User: what is steam ? Assistant: steam is hot water vapour . </s>",
};
enum { N_SENTENCES = 5 };

/* A tiny model over the sentences above, and their tokens. */
static void setup(Model *m, Dataset *ds, TokenizedSet *set, int seq_len)
{
    memset(ds, 0, sizeof *ds);
    for (int i = 0; i < N_SENTENCES; i++) dataset_add(ds, sentences[i], strlen(sentences[i]));
    Vocab v;
    CHECK(vocab_build(&v, (const char *const *)ds->texts, ds->count) == 0);
    ModelConfig c = { .vocab_size = v.size, .d_model = 32, .n_heads = 4, .d_hidden = 64,
                      .n_layers = 2, .seq_len = seq_len };
    CHECK(model_create(m, &c) == 0);
    m->vocab = v;
    model_init_weights(m, 1);
    CHECK(tokenized_set_build(set, &m->vocab, ds, seq_len) == 0);
}

static void teardown(Model *m, Dataset *ds, TokenizedSet *set)
{
    tokenized_set_free(set);
    dataset_free(ds);
    model_free(m);
}

static void test_long_examples_are_cut_and_counted(void)
{
    Model m; Dataset ds; TokenizedSet set;
    setup(&m, &ds, &set, 7);       /* 7 positions = 8 tokens at most */
    CHECK(set.n_cut == 2);         /* the two User/Assistant sentences */
    for (size_t i = 0; i < set.count; i++) CHECK(set.offsets[i + 1] - set.offsets[i] <= 8);
    teardown(&m, &ds, &set);
}

/* A set of just the listed examples of set, copied into ids/offsets. */
static TokenizedSet subset(const TokenizedSet *set, const int *which, int n, int *ids, size_t *offsets)
{
    TokenizedSet sub = { .ids = ids, .offsets = offsets, .count = (size_t)n };
    offsets[0] = 0;
    for (int k = 0; k < n; k++) {
        size_t start = set->offsets[which[k]], len = set->offsets[which[k] + 1] - start;
        memcpy(ids + offsets[k], set->ids + start, len * sizeof(int));
        offsets[k + 1] = offsets[k] + len;
    }
    return sub;
}

/* Padding must not change the loss: a batch of two examples of different
 * lengths (one padded) gives the token-weighted mean of their own losses. */
static void test_padding_does_not_change_the_loss(void)
{
    Model m; Dataset ds; TokenizedSet set;
    setup(&m, &ds, &set, 16);
    Trainer t;
    CHECK(trainer_create(&t, &m, 2, 1) == 0);
    int ids_a[64], ids_b[64], ids_ab[64];
    size_t off_a[2], off_b[2], off_ab[3];
    int a[1] = { 0 }, b[1] = { 3 }, ab[2] = { 0, 3 };
    TokenizedSet only_a = subset(&set, a, 1, ids_a, off_a), only_b = subset(&set, b, 1, ids_b, off_b);
    TokenizedSet both = subset(&set, ab, 2, ids_ab, off_ab);
    size_t n_a, n_b, n;
    float loss_a = evaluate_loss(&t, &only_a, &n_a), loss_b = evaluate_loss(&t, &only_b, &n_b);
    float loss = evaluate_loss(&t, &both, &n);
    CHECK(n == n_a + n_b);
    CHECK_NEAR(loss, (loss_a * n_a + loss_b * n_b) / n, 1e-5);
    trainer_free(&t);
    teardown(&m, &ds, &set);
}

static float train_epochs(int epochs, int batch, uint64_t seed, float *params_out_first)
{
    Model m; Dataset ds; TokenizedSet set;
    setup(&m, &ds, &set, 16);
    Trainer t;
    CHECK(trainer_create(&t, &m, batch, seed) == 0);
    StageOptions opt = { .stage = "test", .epochs = epochs, .lr = 3e-3f, .batch = batch,
                         .clip = 1.0f, .quiet = 1 };
    float loss;
    CHECK(train_stage(&t, &set, &opt, NULL, &loss) == STAGE_DONE);
    if (params_out_first) *params_out_first = m.params[123];
    trainer_free(&t);
    teardown(&m, &ds, &set);
    return loss;
}

static void test_training_is_deterministic_for_a_seed(void)
{
    float p1, p2, p3;
    float a = train_epochs(5, 2, 7, &p1), b = train_epochs(5, 2, 7, &p2);
    train_epochs(5, 2, 8, &p3);
    CHECK(a == b);
    CHECK(p1 == p2);
    CHECK(p1 != p3);       /* another seed shuffles differently */
}

static void test_adam_step_moves_against_the_gradient(void)
{
    /* One parameter, gradient +2: the first Adam step (bias-corrected) moves
     * it by exactly -lr, whatever the gradient's size. */
    float p = 1.0f, g = 2.0f, mom = 0.0f, var = 0.0f;
    AdamStep s = { .lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                   .correction1 = 1.0f / 0.1f, .correction2 = 1.0f / 0.001f, .grad_scale = 1.0f };
    kernels()->adam_update(&p, &g, &mom, &var, 1, s);
    CHECK_NEAR(p, 0.9, 1e-6);
}

static void test_tiny_model_memorises_its_sentences(void)
{
    Model m; Dataset ds; TokenizedSet set;
    setup(&m, &ds, &set, 16);
    Trainer t;
    CHECK(trainer_create(&t, &m, 5, 3) == 0);
    StageOptions opt = { .stage = "test", .epochs = 150, .lr = 3e-3f, .batch = 5, .clip = 5.0f, .quiet = 1 };
    float loss;
    CHECK(train_stage(&t, &set, &opt, NULL, &loss) == STAGE_DONE);
    CHECK(loss < 0.05f);
    Generator g;
    CHECK(generator_create(&g, &m) == 0);
    int reproduced = 0;
    for (size_t i = 3; i < set.count; i++)
        reproduced += answer_reproduced(&g, set.ids + set.offsets[i],
                                        (int)(set.offsets[i + 1] - set.offsets[i])) == 1;
    CHECK(reproduced == 2);
    CHECK(answer_reproduced(&g, set.ids, (int)set.offsets[1]) == -1);   /* not a chat example */
    generator_free(&g);
    trainer_free(&t);
    teardown(&m, &ds, &set);
}

int main(void)
{
    RUN(test_long_examples_are_cut_and_counted);
    RUN(test_padding_does_not_change_the_loss);
    RUN(test_training_is_deterministic_for_a_seed);
    RUN(test_adam_step_moves_against_the_gradient);
    RUN(test_tiny_model_memorises_its_sentences);
    TESTS_DONE();
}
