/*
 * test_train_run.c — what a training run promises beyond the step itself:
 * the learning-rate schedule, the validation split, and stopping on a loss
 * that is not finite with a usable checkpoint.
 */
#include "test.h"
#include "train/train_run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_constant_schedule_is_constant(void)
{
    for (uint64_t step = 0; step < 100; step += 7) CHECK(lr_at(LR_CONSTANT, 5e-4f, step, 10, 100) == 5e-4f);
}

static void test_cosine_schedule_warms_up_then_decays_to_a_tenth(void)
{
    /* 10 warmup steps of 100: step 0 is lr/10, step 9 reaches lr, then a
     * cosine from lr (step 10) to lr/10 (step 99); halfway it is 0.55 lr. */
    CHECK_NEAR(lr_at(LR_COSINE, 1.0f, 0, 10, 100), 0.1, 1e-6);
    CHECK_NEAR(lr_at(LR_COSINE, 1.0f, 4, 10, 100), 0.5, 1e-6);
    CHECK_NEAR(lr_at(LR_COSINE, 1.0f, 9, 10, 100), 1.0, 1e-6);
    CHECK_NEAR(lr_at(LR_COSINE, 1.0f, 10, 10, 100), 1.0, 1e-6);
    CHECK_NEAR(lr_at(LR_COSINE, 1.0f, 54, 10, 100), 0.55, 2e-2);   /* about halfway */
    CHECK_NEAR(lr_at(LR_COSINE, 1.0f, 99, 10, 100), 0.1, 1e-6);
    for (uint64_t s = 10; s < 99; s++)
        CHECK(lr_at(LR_COSINE, 1.0f, s + 1, 10, 100) <= lr_at(LR_COSINE, 1.0f, s, 10, 100));
}

static Dataset numbered(int n)
{
    Dataset ds = { 0 };
    char text[32];
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "example %d", i);
        dataset_add(&ds, text, strlen(text));
    }
    return ds;
}

static void test_validation_split_is_deterministic_and_disjoint(void)
{
    Dataset a = numbered(200), b = numbered(200), va, vb;
    CHECK(dataset_split(&a, 0.1, 7, &va) == 0);
    CHECK(dataset_split(&b, 0.1, 7, &vb) == 0);
    CHECK(va.count == 20 && a.count == 180);
    for (size_t i = 0; i < va.count; i++) CHECK(strcmp(va.texts[i], vb.texts[i]) == 0);
    for (size_t i = 0; i < va.count; i++)
        for (size_t j = 0; j < a.count; j++) CHECK(strcmp(va.texts[i], a.texts[j]) != 0);
    Dataset c = numbered(200), vc;
    CHECK(dataset_split(&c, 0.1, 8, &vc) == 0);
    int same = 1;
    for (size_t i = 0; i < vc.count; i++) same &= strcmp(va.texts[i], vc.texts[i]) == 0;
    CHECK(!same);                                   /* another seed, another split */
    Dataset one = numbered(1), v1;
    CHECK(dataset_split(&one, 0.5, 1, &v1) == 0);
    CHECK(one.count == 1 && v1.count == 0);         /* something is left to train on */
    dataset_free(&a); dataset_free(&b); dataset_free(&c); dataset_free(&one);
    dataset_free(&va); dataset_free(&vb); dataset_free(&vc); dataset_free(&v1);
}

/* A NaN planted in the weights of a word that appears only in the last of
 * the examples: the run trains until a batch holds that example, stops with
 * a message naming the step, and leaves a checkpoint whose parameters are
 * the ones in memory, untouched by the bad step. */
static void test_nan_loss_stops_training_with_a_checkpoint(void)
{
    Dataset ds = numbered(8);
    dataset_add(&ds, "poison", 6);
    Vocab v;
    CHECK(vocab_build(&v, (const char *const *)ds.texts, ds.count) == 0);
    ModelConfig c = { .vocab_size = v.size, .d_model = 8, .n_heads = 2, .d_hidden = 8,
                      .n_layers = 1, .seq_len = 8 };
    Model m;
    CHECK(model_create(&m, &c) == 0);
    m.vocab = v;
    model_init_weights(&m, 1);
    m.w.tok_emb[vocab_lookup(&v, "poison", 6) * c.d_model] = NAN;

    TrainStage stage = { .name = "test", .lr = 1e-3f };
    CHECK(tokenized_set_build(&stage.train, &m.vocab, &ds, c.seq_len) == 0);
    char checkpoint[] = "/tmp/rustgpt-nan-XXXXXX.bin";
    close(mkstemps(checkpoint, 4));
    TrainRunOptions o = { .stages = &stage, .n_stages = 1, .out = "/tmp/unused.bin",
                          .checkpoint = checkpoint };
    o.common = (StageOptions){ .epochs = 3, .batch = 2, .clip = 5.0f, .quiet = 1 };
    Trainer t;
    CHECK(trainer_create(&t, &m, 2, 1) == 0);
    TrainSummary summary;
    CHECK(train_run(&t, &o, &summary) == EXIT_RUNTIME);
    CHECK(strstr(last_error(), "the loss became NaN") != NULL);
    CHECK(strstr(last_error(), checkpoint) != NULL);
    CHECK(t.step < 3 * 5);

    Model saved;
    OptimizerState state;
    CHECK(checkpoint_load(&saved, &state, checkpoint) == 0);
    CHECK(state.step == t.step);
    CHECK(memcmp(saved.params, m.params, m.n_params * sizeof(float)) == 0);
    free(state.adam_m);
    free(state.adam_v);
    model_free(&saved);
    unlink(checkpoint);
    trainer_free(&t);
    tokenized_set_free(&stage.train);
    dataset_free(&ds);
    model_free(&m);
}

/* A first step that takes 5 s (warm-up), then 0.1 s per step: the time left
 * follows the steady rate, not elapsed / done (which would say 45 s). */
static void test_eta_ignores_the_slow_first_steps(void)
{
    EtaEstimate e = { 0 };
    CHECK(eta_update(&e, 1, 99, 5.0) < 0);          /* nothing known yet */
    double now = 5.1, left = -1;
    for (uint64_t done = 2; done <= 12; done++, now += 0.1) left = eta_update(&e, done, 100 - done, now);
    CHECK_NEAR(left, 88 * 0.1, 0.9);
    /* and it follows a change of speed: 0.2 s per step from here */
    for (uint64_t done = 13; done <= 40; done++, now += 0.2) left = eta_update(&e, done, 100 - done, now);
    CHECK_NEAR(left, 60 * 0.2, 1.2);
}

int main(void)
{
    RUN(test_constant_schedule_is_constant);
    RUN(test_cosine_schedule_warms_up_then_decays_to_a_tenth);
    RUN(test_validation_split_is_deterministic_and_disjoint);
    RUN(test_nan_loss_stops_training_with_a_checkpoint);
    RUN(test_eta_ignores_the_slow_first_steps);
    TESTS_DONE();
}
