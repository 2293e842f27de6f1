/*
 * explain.c — `rustgpt explain`: one sentence through a tiny model, with
 * every number printed (docs/00-a-sentence.md).
 *
 * The numbers docs/ quotes come from here. A model small enough to print
 * whole (8 tokens from two fixed sentences, d = 4, 2 heads, H = 8, one block,
 * T = 8) is initialised by model_init_weights() from a fixed seed, its
 * matrices scaled up to be readable at four decimals, and "the cat sat ."
 * goes through the functions training uses: model_forward, model_backward,
 * layernorm_backward, trainer_step, generator_feed... A number the library
 * does not keep (a score before its softmax, LayerNorm's three gradient
 * terms) is recomputed beside the library's own result. The scalar kernels
 * are forced, so the digits are the same on every machine; tests/cli/docs.sh
 * checks the docs' quotes against them byte for byte.
 *
 *   rustgpt explain [--section NAME | --list]
 */
#include "cli.h"
#include "generate.h"
#include "layers/layers.h"
#include "model.h"
#include "tensor.h"
#include "train.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const explain_texts[2] = { "the cat sat . </s>", "the dog sat . </s>" };
static const char explain_sentence[] = "the cat sat . </s>";
/* N positions, vocabulary V, width D, hidden width H: fixed by the above. */
enum { N = 4, V = 8, D = 4, H = 8, SEED = 7, STEPS = 30 };
#define SCALE 25.0f        /* N(0, 0.02) * 25 = N(0, 0.5): readable numbers */
#define LR 0.01f

/* Everything a section may print: the model after one forward and one
 * backward pass over the sentence (B = 1, N = 4 rows). */
typedef struct {
    Model m;
    Activations acts;          /* forward values; acts.probs ends as dlogits */
    float *grads;              /* [n_params] dL/dparams                      */
    float logits[N * V], probs[N * V];   /* copies taken before backward     */
    int tokens[N + 1], ids[N], targets[N];
    float loss;
} Explain;

/* ---- printing ---------------------------------------------------------- */

/* One value, four decimals, never "-0.0000". */
static void number(float v) { printf(" %8.4f", fabsf(v) < 0.00005f ? 0.0f : v); }

static void row(const char *label, const float *x, int n)
{
    printf("%-16s", label);
    for (int i = 0; i < n; i++) number(x[i]);
    putchar('\n');
}

static const char *word(const Explain *e, int id) { return tokenizer_piece(&e->m.vocab, id); }

/* "t=2 sat": a position and the token read there (a static buffer). */
static const char *at_pos(const Explain *e, int t)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "t=%d %s", t, word(e, e->ids[t]));
    return buf;
}

/* Column headings: the vocabulary, right-aligned over the numbers. */
static void vocab_header(const Explain *e)
{
    printf("%-16s", "");
    for (int v = 0; v < V; v++) printf(" %8s", word(e, v));
    putchar('\n');
}

/* Where element `at` of the tensor called name sits in the buffer. */
static size_t param_index(const Model *m, const char *name, size_t at)
{
    for (int i = 0; i < model_tensor_count(&m->config); i++) {
        TensorInfo t = model_tensor_info(&m->config, i);
        if (strcmp(t.name, name) == 0) return t.offset + at;
    }
    return 0;
}

/* ---- the model --------------------------------------------------------- */

static int explain_create(Explain *e)
{
    memset(e, 0, sizeof *e);
    Vocab vocab;
    if (vocab_build(&vocab, explain_texts, 2) != 0) return -1;
    ModelConfig c = { .vocab_size = vocab.size, .d_model = D, .n_heads = 2, .d_hidden = H,
                      .n_layers = 1, .seq_len = 8 };
    if (vocab.size != V || model_create(&e->m, &c) != 0) {
        vocab_free(&vocab);
        return fail("explain: cannot build the example model");
    }
    e->m.vocab = vocab;
    model_init_weights(&e->m, SEED);
    for (int i = 0; i < model_tensor_count(&c); i++) {
        TensorInfo t = model_tensor_info(&c, i);
        for (size_t j = 0; t.ndim == 2 && j < t.numel; j++) e->m.params[t.offset + j] *= SCALE;
    }
    tokenizer_encode(&e->m.vocab, explain_sentence, e->tokens, N + 1);
    for (int t = 0; t < N; t++) e->ids[t] = e->tokens[t], e->targets[t] = e->tokens[t + 1];
    e->grads = xcalloc(e->m.n_params, sizeof(float));
    if (!e->grads || activations_create(&e->acts, &c, 1) != 0) return -1;
    int count;
    model_forward(&e->m, &e->acts, e->ids, NULL, 1, N, &count);        /* logits */
    memcpy(e->logits, e->acts.probs, sizeof e->logits);
    e->loss = model_forward(&e->m, &e->acts, e->ids, e->targets, 1, N, &count);
    memcpy(e->probs, e->acts.probs, sizeof e->probs);
    model_backward(&e->m, &e->acts, e->grads, e->ids, e->targets);
    return 0;
}

static void explain_free(Explain *e)
{
    activations_free(&e->acts);
    free(e->grads);
    model_free(&e->m);
}

/* ---- sections: from text to the loss ----------------------------------- */

static void show_tokens(Explain *e)
{
    printf("training texts:\n  \"%s\"\n  \"%s\"\n", explain_texts[0], explain_texts[1]);
    printf("vocabulary (specials first, then the words in byte order):\n");
    for (int v = 0; v < V; v++) printf("  %d  %s\n", v, word(e, v));
    printf("\ntext     \"%s\"\ntokens  ", explain_sentence);
    for (int t = 0; t <= N; t++) printf(" %s=%d", word(e, e->tokens[t]), e->tokens[t]);
    printf("\n\n   t   input         target (the next token)\n");
    for (int t = 0; t < N; t++)
        printf("   %d   %-4s (id %d)   %-4s (id %d)\n", t, word(e, e->ids[t]), e->ids[t],
               word(e, e->targets[t]), e->targets[t]);
}

static void show_layout(Explain *e)
{
    const ModelConfig *c = &e->m.config;
    printf("config: V=%d d=%d h=%d (dh=%d) H=%d L=%d T=%d\n\n", c->vocab_size, c->d_model,
           c->n_heads, c->d_model / c->n_heads, c->d_hidden, c->n_layers, c->seq_len);
    printf("  offset  floats  shape    name\n");
    for (int i = 0; i < model_tensor_count(c); i++) {
        TensorInfo t = model_tensor_info(c, i);
        char shape[24];
        if (t.ndim == 2) snprintf(shape, sizeof shape, "[%d,%d]", t.shape[0], t.shape[1]);
        else snprintf(shape, sizeof shape, "[%d]", t.shape[0]);
        printf("  %6zu  %6zu  %-7s  %s\n", t.offset, t.numel, shape, t.name);
    }
    printf("  %6zu  floats in all (%zu bytes)\n", e->m.n_params, e->m.n_params * sizeof(float));
}

static void show_embedding(Explain *e)
{
    char label[32];
    for (int t = 0; t < N; t++) {
        printf("%s\n", at_pos(e, t));
        snprintf(label, sizeof label, "  tok_emb[%d]", e->ids[t]);
        row(label, e->m.w.tok_emb + (size_t)e->ids[t] * D, D);
        snprintf(label, sizeof label, "+ pos_emb[%d]", t);
        row(label, e->m.w.pos_emb + (size_t)t * D, D);
        row("= x", e->acts.x_emb + (size_t)t * D, D);
    }
}

static void show_layernorm(Explain *e)
{
    const BlockActivations *b = &e->acts.blocks[0];
    printf("ln1 of every row (weight 1, bias 0 at initialisation, so out = n):\n");
    for (int t = 0; t < N; t++) {
        printf("%s   mean %.4f   rstd %.4f\n", at_pos(e, t), b->ln1_mean[t],
               b->ln1_rstd[t]);
        row("  x", e->acts.x_emb + (size_t)t * D, D);
        row("  ln1(x)", b->ln1_out + (size_t)t * D, D);
    }
}

static void show_attention(Explain *e)
{
    const BlockActivations *b = &e->acts.blocks[0];
    int dh = D / 2;
    printf("qkv = ln1(x) qkv.weightᵀ + qkv.bias: [4,12] = [4,4] [12,4]ᵀ + [12]\n");
    printf("each row is q | k | v; head j owns dims %d*j..%d*j+%d of each\n", dh, dh, dh - 1);
    for (int j = 0; j < 2; j++) {
        printf("head %d\n", j);
        for (int t = 0; t < N; t++) {
            printf("  %-10s", at_pos(e, t));
            for (int part = 0; part < 3; part++) {
                printf("%s", part == 0 ? " q" : part == 1 ? "   k" : "   v");
                for (int i = 0; i < dh; i++) number(b->qkv[(size_t)t * 3 * D + part * D + j * dh + i]);
            }
            putchar('\n');
        }
    }
    printf("\nscore[t,s] = q_t . k_s / sqrt(%d), masked where s > t; p = softmax of each row\n", dh);
    for (int j = 0; j < 2; j++) {
        printf("head %d scores%14s", j, "");
        for (int s = 0; s < N; s++) printf(" %8s", word(e, e->ids[s]));
        printf("   probabilities\n");
        for (int t = 0; t < N; t++) {
            printf("  %-26s", at_pos(e, t));
            const float *q = b->qkv + (size_t)t * 3 * D + j * dh;
            for (int s = 0; s < N; s++) {
                const float *k = b->qkv + (size_t)s * 3 * D + D + j * dh;
                float dot = 0.0f;
                for (int i = 0; i < dh; i++) dot += q[i] * k[i];
                if (s <= t) number(dot / sqrtf((float)dh));
                else printf(" %8s", "-inf");
            }
            printf("  ");
            for (int s = 0; s < N; s++) number(b->att_probs[((size_t)j * N + t) * N + s]);
            putchar('\n');
        }
    }
    printf("out_t = sum_s p[t,s] v_s, heads side by side: att_out [4,4]\n");
    for (int t = 0; t < N; t++) row(at_pos(e, t), b->att_out + (size_t)t * D, D);
}

static void show_block(Explain *e)
{
    const BlockActivations *b = &e->acts.blocks[0];
    const BlockWeights *w = &e->m.w.blocks[0];
    float proj[N * D], fc2[N * D];
    matmul_forward(proj, b->att_out, w->proj_w, w->proj_b, N, D, D);
    matmul_forward(fc2, b->relu_out, w->fc2_w, w->fc2_b, N, H, D);
    for (int t = 0; t < N; t++) {
        printf("%s\n", at_pos(e, t));
        row("  x", e->acts.x_emb + (size_t)t * D, D);
        row("+ proj(att)", proj + (size_t)t * D, D);
        row("= x_mid", b->x_mid + (size_t)t * D, D);
        row("  ln2(x_mid)", b->ln2_out + (size_t)t * D, D);
        row("  fc1", b->fc1_out + (size_t)t * H, H);
        row("  relu", b->relu_out + (size_t)t * H, H);
        row("+ fc2(relu)", fc2 + (size_t)t * D, D);
        row("= x_out", b->x_out + (size_t)t * D, D);
    }
}

static void show_loss(Explain *e)
{
    printf("ln_f(x_out) [4,4]\n");
    for (int t = 0; t < N; t++) row(at_pos(e, t), e->acts.lnf_out + (size_t)t * D, D);
    printf("logits = ln_f(x_out) head.weightᵀ + head.bias [4,8]\n");
    vocab_header(e);
    for (int t = 0; t < N; t++) row(at_pos(e, t), e->logits + t * V, V);
    printf("probs = softmax(logits) per row [4,8]\n");
    vocab_header(e);
    for (int t = 0; t < N; t++) row(at_pos(e, t), e->probs + t * V, V);
    printf("\n   t  target   p(target)   -log p(target)\n");
    for (int t = 0; t < N; t++) {
        float p = e->probs[t * V + e->targets[t]];
        printf("   %d  %-6s   %9.4f   %14.4f\n", t, word(e, e->targets[t]), p, -logf(p));
    }
    printf("loss = mean = %.4f   (a uniform guess would give log %d = %.4f)\n", e->loss, V,
           logf((float)V));
}

/* ---- sections: backward ------------------------------------------------ */

static void show_dlogits(Explain *e)
{
    printf("dlogits = (probs - onehot(target)) / 4   [4,8]\n");
    vocab_header(e);
    for (int t = 0; t < N; t++) row(at_pos(e, t), e->acts.probs + t * V, V);
    printf("each row sums to 0; only the target's entry is negative\n");
}

/* LayerNorm's backward for ln_f at the last position, term by term, beside
 * what layernorm_backward computes. */
static void show_layernorm_backward(Explain *e)
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
    printf("ln_f at t=3 (\"%s\"): rstd %.4f\n", word(e, e->ids[r]), s);
    for (int k = 0; k < 10; k++) {
        if (rows[k].label) row(rows[k].label, rows[k].x, D);
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

static void show_gradients(Explain *e)
{
    const Model *m = &e->m;
    char label[48];
    row("head.bias", e->grads + param_index(m, "head.bias", 0), V);
    row("ln_f.weight", e->grads + param_index(m, "ln_f.weight", 0), D);
    row("ln_f.bias", e->grads + param_index(m, "ln_f.bias", 0), D);
    for (int v = 0; v < V; v++) {
        snprintf(label, sizeof label, "tok_emb[%d] %s", v, word(e, v));
        row(label, e->grads + param_index(m, "tok_emb.weight", (size_t)v * D), D);
    }
    for (int t = 0; t <= N; t++) {
        snprintf(label, sizeof label, "pos_emb[%d]", t);
        row(label, e->grads + param_index(m, "pos_emb.weight", (size_t)t * D), D);
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
                number(t.grads[index[k]]), number(t.adam_m[index[k]]), printf(" %8.2e", t.adam_v[index[k]]);
                number(e->m.params[index[k]] - before[k]), number(e->m.params[index[k]]), putchar('\n');
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

static void show_adam(Explain *e) { if (train_sentence(e, 1) != 0) printf("(failed: %s)\n", last_error()); }

static int print_piece(int token, void *vocab)
{
    printf(" %s", tokenizer_piece(vocab, token));
    return 0;
}

/* After the adam section's training: the KV cache against the full pass,
 * greedy decoding, the window sliding, and the next-token distribution after
 * "the" under temperature and the repetition penalty. */
static void show_decode(Explain *e)
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
    vocab_header(e);
    row("logits", g.logits, V);
    for (int k = 0; k < 3; k++) {
        char label[32];
        for (int v = 0; v < V; v++) p[v] = g.logits[v] / temperatures[k];
        softmax_row(p, V);
        snprintf(label, sizeof label, "p at T=%.1f", temperatures[k]);
        row(label, p, V);
    }
    memcpy(p, g.logits, sizeof p);
    apply_repeat_penalty(p, V, recent, 2, 2.0f);
    row("penalty 2", p, V);
    generator_free(&g);
}

/* ---- the command ------------------------------------------------------- */

static const struct {
    const char *name, *title;
    void (*show)(Explain *e);
} sections[] = {
    { "tokens", "vocabulary, token ids, targets (docs/01-tokenizer.md)", show_tokens },
    { "layout", "the parameter buffer (docs/07-backprop.md)", show_layout },
    { "embedding", "token + position embeddings (docs/02-embeddings.md)", show_embedding },
    { "layernorm", "ln1 (docs/03-layernorm.md)", show_layernorm },
    { "attention", "q, k, v, scores, mask, probabilities (docs/04-attention.md)", show_attention },
    { "block", "the residual stream through one block (docs/05-ffn.md)", show_block },
    { "loss", "logits, softmax, cross-entropy (docs/06-head-and-loss.md)", show_loss },
    { "dlogits", "the loss gradient at the logits (docs/06-head-and-loss.md)", show_dlogits },
    { "layernorm-backward", "LayerNorm's three terms (docs/03-layernorm.md)", show_layernorm_backward },
    { "gradients", "selected gradients and a check (docs/07-backprop.md)", show_gradients },
    { "adam", "Adam steps on the sentence (docs/08-adam.md)", show_adam },
    { "decode", "KV cache, greedy, the window, temperature (docs/10-decoding.md)", show_decode },
};
enum { N_SECTIONS = sizeof sections / sizeof sections[0] };

/* Every section starts from a fresh model, so that its output is the same
 * alone (--section) as in the full listing. */
static int run_section(int index, int with_title)
{
    Explain e;
    int rc = explain_create(&e);
    if (rc == 0) {
        if (with_title) printf("==== %s: %s\n\n", sections[index].name, sections[index].title);
        sections[index].show(&e);
        fflush(stdout);
    }
    explain_free(&e);
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int cmd_explain(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (int k = 0; k < N_SECTIONS; k++) printf("%-20s %s\n", sections[k].name, sections[k].title);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--section") != 0)
            return usage_error("explain: unexpected argument '%s'", argv[i]);
        if (!(only = option_value(argc, argv, &i))) return EXIT_USAGE;
    }
    if (kernels_select("scalar") != 0) return EXIT_RUNTIME;    /* the same digits everywhere */
    for (int k = 0; k < N_SECTIONS; k++) {
        if (only && strcmp(only, sections[k].name) != 0) continue;
        if (!only && k > 0) putchar('\n');
        int rc = run_section(k, !only);
        if (rc != EXIT_OK || only) return rc;
    }
    if (only) return usage_error("explain: no section '%s' (rustgpt explain --list names them)", only);
    return EXIT_OK;
}
