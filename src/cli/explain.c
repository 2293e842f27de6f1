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
#include "cli/explain.h"
#include "cli/cli.h"
#include "infer/generate.h"
#include "archs/layers/layers.h"
#include "archs/gpt.h"
#include "core/tensor.h"
#include "train/train.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const explain_texts[2] = { "the cat sat . </s>", "the dog sat . </s>" };
const char explain_sentence[] = "the cat sat . </s>";

/* ---- printing ---------------------------------------------------------- */

/* One value, four decimals, never "-0.0000". */
void print_number(float v) { printf(" %8.4f", fabsf(v) < 0.00005f ? 0.0f : v); }

void print_row(const char *label, const float *x, int n)
{
    printf("%-16s", label);
    for (int i = 0; i < n; i++) print_number(x[i]);
    putchar('\n');
}

const char *token_text(const Explain *e, int id) { return tokenizer_piece(&e->m.vocab, id); }

/* "t=2 sat": a position and the token read there (a static buffer). */
const char *at_pos(const Explain *e, int t)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "t=%d %s", t, token_text(e, e->ids[t]));
    return buf;
}

/* Column headings: the vocabulary, right-aligned over the numbers. */
void print_vocab_header(const Explain *e)
{
    printf("%-16s", "");
    for (int v = 0; v < V; v++) printf(" %8s", token_text(e, v));
    putchar('\n');
}

/* Where element `at` of the tensor called name sits in the buffer. */
size_t param_index(const Model *m, const char *name, size_t at)
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
    for (int v = 0; v < V; v++) printf("  %d  %s\n", v, token_text(e, v));
    printf("\ntext     \"%s\"\ntokens  ", explain_sentence);
    for (int t = 0; t <= N; t++) printf(" %s=%d", token_text(e, e->tokens[t]), e->tokens[t]);
    printf("\n\n   t   input         target (the next token)\n");
    for (int t = 0; t < N; t++)
        printf("   %d   %-4s (id %d)   %-4s (id %d)\n", t, token_text(e, e->ids[t]), e->ids[t],
               token_text(e, e->targets[t]), e->targets[t]);
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
        print_row(label, e->m.w.tok_emb + (size_t)e->ids[t] * D, D);
        snprintf(label, sizeof label, "+ pos_emb[%d]", t);
        print_row(label, e->m.w.pos_emb + (size_t)t * D, D);
        print_row("= x", e->acts.x_emb + (size_t)t * D, D);
    }
}

static void show_layernorm(Explain *e)
{
    const BlockActivations *b = &e->acts.blocks[0];
    printf("ln1 of every row (weight 1, bias 0 at initialisation, so out = n):\n");
    for (int t = 0; t < N; t++) {
        printf("%s   mean %.4f   rstd %.4f\n", at_pos(e, t), b->ln1_mean[t],
               b->ln1_rstd[t]);
        print_row("  x", e->acts.x_emb + (size_t)t * D, D);
        print_row("  ln1(x)", b->ln1_out + (size_t)t * D, D);
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
                for (int i = 0; i < dh; i++) print_number(b->qkv[(size_t)t * 3 * D + part * D + j * dh + i]);
            }
            putchar('\n');
        }
    }
    printf("\nscore[t,s] = q_t . k_s / sqrt(%d), masked where s > t; p = softmax of each row\n", dh);
    for (int j = 0; j < 2; j++) {
        printf("head %d scores%14s", j, "");
        for (int s = 0; s < N; s++) printf(" %8s", token_text(e, e->ids[s]));
        printf("   probabilities\n");
        for (int t = 0; t < N; t++) {
            printf("  %-26s", at_pos(e, t));
            const float *q = b->qkv + (size_t)t * 3 * D + j * dh;
            for (int s = 0; s < N; s++) {
                const float *k = b->qkv + (size_t)s * 3 * D + D + j * dh;
                float dot = 0.0f;
                for (int i = 0; i < dh; i++) dot += q[i] * k[i];
                if (s <= t) print_number(dot / sqrtf((float)dh));
                else printf(" %8s", "-inf");
            }
            printf("  ");
            for (int s = 0; s < N; s++) print_number(b->att_probs[((size_t)j * N + t) * N + s]);
            putchar('\n');
        }
    }
    printf("out_t = sum_s p[t,s] v_s, heads side by side: att_out [4,4]\n");
    for (int t = 0; t < N; t++) print_row(at_pos(e, t), b->att_out + (size_t)t * D, D);
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
        print_row("  x", e->acts.x_emb + (size_t)t * D, D);
        print_row("+ proj(att)", proj + (size_t)t * D, D);
        print_row("= x_mid", b->x_mid + (size_t)t * D, D);
        print_row("  ln2(x_mid)", b->ln2_out + (size_t)t * D, D);
        print_row("  fc1", b->fc1_out + (size_t)t * H, H);
        print_row("  relu", b->relu_out + (size_t)t * H, H);
        print_row("+ fc2(relu)", fc2 + (size_t)t * D, D);
        print_row("= x_out", b->x_out + (size_t)t * D, D);
    }
}

static void show_loss(Explain *e)
{
    printf("ln_f(x_out) [4,4]\n");
    for (int t = 0; t < N; t++) print_row(at_pos(e, t), e->acts.lnf_out + (size_t)t * D, D);
    printf("logits = ln_f(x_out) head.weightᵀ + head.bias [4,8]\n");
    print_vocab_header(e);
    for (int t = 0; t < N; t++) print_row(at_pos(e, t), e->logits + t * V, V);
    printf("probs = softmax(logits) per row [4,8]\n");
    print_vocab_header(e);
    for (int t = 0; t < N; t++) print_row(at_pos(e, t), e->probs + t * V, V);
    printf("\n   t  target   p(target)   -log p(target)\n");
    for (int t = 0; t < N; t++) {
        float p = e->probs[t * V + e->targets[t]];
        printf("   %d  %-6s   %9.4f   %14.4f\n", t, token_text(e, e->targets[t]), p, -logf(p));
    }
    printf("loss = mean = %.4f   (a uniform guess would give log %d = %.4f)\n", e->loss, V,
           logf((float)V));
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

const char explain_help[] =
    "usage: rustgpt explain [--section NAME | --list]\n"
    "\n"
    "Runs one sentence through a tiny model and prints every number on the way: the\n"
    "tables the chapters of docs/ quote. Always the scalar kernels, so the digits are the\n"
    "same on every machine.\n"
    "\n"
    "  --list                 the sections, with what each shows\n"
    "  --section NAME         only that section (default: all of them)\n";

int cmd_explain(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (int k = 0; k < N_SECTIONS; k++) printf("%-20s %s\n", sections[k].name, sections[k].title);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--section") != 0) return unknown_argument("explain", argv[i]);
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
