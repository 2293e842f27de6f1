/*
 * explain_learning.c — the sections of `rustgpt explain` that follow the
 * loss back and forward again: the gradient at the logits, LayerNorm's three
 * backward terms, selected parameter gradients checked against a finite
 * difference, Adam steps on the sentence, and decoding with the KV cache.
 * The model and the printing helpers are explain.c's (explain.h).
 */
#include "cli/explain.h"
#include "infer/generate.h"
#include "archs/layers/layers.h"
#include "core/tensor.h"
#include "train/train.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sections: backward ------------------------------------------------ */

void show_dlogits(Explain *e)
{
    printf("dlogits = (probs - onehot(target)) / 4   [4,8]\n");
    print_vocab_header(e);
    for (int t = 0; t < N; t++) print_row(at_pos(e, t), e->acts.probs + t * V, V);
    printf("each row sums to 0; only the target's entry is negative\n");
}

/* LayerNorm's backward for ln_f at the last position, term by term, beside
 * what layernorm_backward computes. */
void show_layernorm_backward(Explain *e)
{
    const Weights *w = &e->m.w;
    const float *x_all = e->acts.blocks[0].x_out;
    int r = N - 1;
    float dout[N * D] = { 0 }, dx[N * D] = { 0 }, dw[D] = { 0 }, db[D] = { 0 };
    float dw_head[V * D] = { 0 }, db_head[V] = { 0 };
    /* dout = dL/d ln_f(x) = dlogits . head.weight: the head's backward */
    matmul_backward(dout, dw_head, db_head, e->acts.probs, e->acts.lnf_out, w->head_w, N, D, V);
    layernorm_backward(dx, dw, db, dout, x_all, w->lnf_w, e->acts.lnf_mean, e->acts.lnf_rstd, N, D);
    const float *x = x_all + r * D, *g = dout + r * D;
    float mu = e->acts.lnf_mean[r], s = e->acts.lnf_rstd[r];
    float n[D], dn[D], t1[D], t2[D], t3[D], sum[D], dn_mean = 0.0f, dnn_mean = 0.0f;
    for (int i = 0; i < D; i++) {
        n[i] = (x[i] - mu) * s, dn[i] = g[i] * w->lnf_w[i];
        dn_mean += dn[i] / D, dnn_mean += dn[i] * n[i] / D;
    }
    for (int i = 0; i < D; i++) {
        t1[i] = s * dn[i], t2[i] = -s * dn_mean, t3[i] = -s * n[i] * dnn_mean;
        sum[i] = t1[i] + t2[i] + t3[i];
    }
    const struct { const char *label; const float *x; } rows[] = {
        { "x", x }, { "n", n }, { "dout", g }, { "dn = dout*w", dn }, { NULL, NULL },
        { "rstd*dn", t1 }, { "-rstd*mean(dn)", t2 }, { "-rstd*n*mean", t3 },
        { "sum of the three", sum }, { "dx (library)", dx + r * D },
    };
    printf("ln_f at t=3 (\"%s\"): rstd %.4f\n", token_text(e, e->ids[r]), s);
    for (int k = 0; k < 10; k++) {
        if (rows[k].label) print_row(rows[k].label, rows[k].x, D);
        else printf("mean(dn) = %.4f   mean(dn*n) = %.4f\n", dn_mean, dnn_mean);
    }
}

/* The loss with parameter i moved by delta (then put back). */
static float loss_moved(Explain *e, size_t i, float delta)
{
    Activations a;
    if (activations_create(&a, &e->m.config, 1) != 0) return NAN;
    float saved = e->m.params[i];
    e->m.params[i] = saved + delta;
    int count;
    float loss = model_forward(&e->m, &a, e->ids, e->targets, 1, N, &count);
    e->m.params[i] = saved;
    activations_free(&a);
    return loss;
}

void show_gradients(Explain *e)
{
    const Model *m = &e->m;
    char label[48];
    print_row("head.bias", e->grads + param_index(m, "head.bias", 0), V);
    print_row("ln_f.weight", e->grads + param_index(m, "ln_f.weight", 0), D);
    print_row("ln_f.bias", e->grads + param_index(m, "ln_f.bias", 0), D);
    for (int v = 0; v < V; v++) {
        snprintf(label, sizeof label, "tok_emb[%d] %s", v, token_text(e, v));
        print_row(label, e->grads + param_index(m, "tok_emb.weight", (size_t)v * D), D);
    }
    for (int t = 0; t <= N; t++) {
        snprintf(label, sizeof label, "pos_emb[%d]", t);
        print_row(label, e->grads + param_index(m, "pos_emb.weight", (size_t)t * D), D);
    }
    printf("gradient norm over all %zu parameters: %.4f\n", m->n_params,
           sqrt(kernels()->sum_squares(e->grads, m->n_params)));
    printf("\ncheck against finite differences, (L(p+h) - L(p-h)) / 2h with h = 0.01:\n");
    static const struct { const char *name; size_t at; } probes[] = {
        { "tok_emb.weight", 7 * D }, { "blocks.0.attn.qkv.weight", 0 },
        { "blocks.0.ffn.fc1.weight", 5 }, { "head.weight", 4 * D + 2 },
    };
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        size_t i = param_index(m, probes[k].name, probes[k].at);
        float numeric = (loss_moved(e, i, 0.01f) - loss_moved(e, i, -0.01f)) / 0.02f;
        snprintf(label, sizeof label, "%s[%zu]", probes[k].name, probes[k].at);
        printf("  %-30s backward %8.4f   numeric %8.4f\n", label, e->grads[i], numeric);
    }
}

/* ---- sections: training and decoding ----------------------------------- */

/* Train on the sentence alone for STEPS Adam steps at LR with trainer_step;
 * when verbose, show the first step's arithmetic and the loss as it falls. */
static int train_sentence(Explain *e, int verbose)
{
    static const char *const names[3] = { "head.bias", "blocks.0.attn.qkv.weight", "tok_emb.weight" };
    static const size_t at[3] = { 4, 0, 7 * D };
    Dataset ds = { 0 };
    TokenizedSet set = { 0 };
    Trainer t = { 0 };
    StageOptions opt = { .stage = "explain", .epochs = 1, .lr = LR, .batch = 1, .clip = 5.0f };
    size_t example = 0, index[3];
    int rc = -1, count;
    if (dataset_add(&ds, explain_sentence, strlen(explain_sentence)) != 0 ||
        tokenized_set_build(&set, &e->m.vocab, &ds, e->m.config.seq_len) != 0 ||
        trainer_create(&t, &e->m, 1, SEED) != 0)
        goto done;
    for (int step = 1; step <= STEPS; step++) {
        float before[3];
        for (int k = 0; k < 3; k++) before[k] = e->m.params[index[k] = param_index(&e->m, names[k], at[k])];
        float loss = trainer_step(&t, &set, &example, 1, &opt, LR, &count);
        if (verbose && step == 1) {
            printf("Adam on this one sentence, lr %.2f, beta1 0.9, beta2 0.999, eps 1e-8\n", LR);
            printf("step 1: loss %.4f, gradient norm %.4f", loss, t.last_grad_norm);
            if (t.last_grad_norm > opt.clip) printf(" > clip 5: Adam sees g * %.4f", opt.clip / t.last_grad_norm);
            printf("\n  %-28s %8s %8s %8s %8s %8s\n", "parameter", "g", "m", "v", "update", "new");
            for (int k = 0; k < 3; k++) {
                char label[48];
                snprintf(label, sizeof label, "%s[%zu]", names[k], at[k]);
                printf("  %-28s", label);
                print_number(t.grads[index[k]]), print_number(t.adam_m[index[k]]), printf(" %8.2e", t.adam_v[index[k]]);
                print_number(e->m.params[index[k]] - before[k]), print_number(e->m.params[index[k]]), putchar('\n');
            }
            printf("\n  step   loss\n");
        }
        if (verbose && (step <= 3 || step % 5 == 0)) printf("  %4d  %.4f\n", step, loss);
    }
    rc = 0;
done:
    trainer_free(&t);
    tokenized_set_free(&set);
    dataset_free(&ds);
    return rc;
}

void show_adam(Explain *e) { if (train_sentence(e, 1) != 0) printf("(failed: %s)\n", last_error()); }

static int print_piece(int token, void *vocab)
{
    printf(" %s", tokenizer_piece(vocab, token));
    return 0;
}

/* After the adam section's training: the KV cache against the full pass,
 * greedy decoding, the window sliding, and the next-token distribution after
 * "the" under temperature and the repetition penalty. */
void show_decode(Explain *e)
{
    static const float temperatures[3] = { 0.5f, 1.0f, 2.0f };
    static const int recent[2] = { 7, 4 };     /* the, cat */
    Generator g;
    if (train_sentence(e, 0) != 0 || generator_create(&g, &e->m) != 0) {
        printf("(failed: %s)\n", last_error());
        return;
    }
    int count, prompt = e->ids[0];
    model_forward(&e->m, &e->acts, e->ids, NULL, 1, N, &count);
    float diff = 0.0f, p[V];
    for (int t = 0; t < N; t++) {
        generator_feed(&g, e->ids[t]);
        for (int v = 0; v < V; v++) diff = fmaxf(diff, fabsf(g.logits[v] - e->acts.probs[t * V + v]));
    }
    printf("after the %d Adam steps of the adam section:\n", STEPS);
    printf("largest |logit difference|, KV cache vs model_forward, over 4 positions: %.4f\n", diff);
    SamplingOptions opt = sampling_default();
    opt.max_tokens = 6;
    Rng rng;
    rng_seed(&rng, opt.seed);
    generator_reset(&g);
    printf("greedy from \"the\":");
    generate(&g, &prompt, 1, &opt, &rng, print_piece, &e->m.vocab);
    printf("\n\nsliding window (T = %d): feeding \"the cat sat .\" three times over\n", e->m.config.seq_len);
    generator_reset(&g);
    printf("  cached positions after each token:");
    for (int i = 0; i < 3 * N; i++) {
        generator_feed(&g, e->ids[i % N]);
        printf(" %d", g.n_context);
    }
    printf("\n\nnext token after \"the\":\n");
    generator_reset(&g);
    generator_feed(&g, prompt);
    print_vocab_header(e);
    print_row("logits", g.logits, V);
    for (int k = 0; k < 3; k++) {
        char label[32];
        for (int v = 0; v < V; v++) p[v] = g.logits[v] / temperatures[k];
        softmax_row(p, V);
        snprintf(label, sizeof label, "p at T=%.1f", temperatures[k]);
        print_row(label, p, V);
    }
    memcpy(p, g.logits, sizeof p);
    apply_repeat_penalty(p, V, recent, 2, 2.0f);
    print_row("penalty 2", p, V);
    generator_free(&g);
}
