/*
 * explain.h — what the two halves of `rustgpt explain` share: the tiny
 * model and its sentence, the printing helpers (explain.c), and the sections
 * about learning and decoding (explain_learning.c). See explain.c.
 */
#ifndef RUSTGPT_EXPLAIN_H
#define RUSTGPT_EXPLAIN_H

#include "archs/gpt.h"

#include <stddef.h>

/* The two texts the vocabulary is built from, and the sentence explained. */
extern const char *const explain_texts[2];
extern const char explain_sentence[];
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

/* Printing (explain.c). */
void print_number(float v);                          /* " %8.4f", never -0.0000 */
void print_row(const char *label, const float *x, int n); /* a label and n numbers   */
const char *token_text(const Explain *e, int id);    /* the token's text        */
const char *at_pos(const Explain *e, int t);         /* "t=2 sat"               */
void print_vocab_header(const Explain *e);           /* the vocabulary as headings */
size_t param_index(const Model *m, const char *name, size_t at);

/* Sections on gradients, Adam and decoding (explain_learning.c). */
void show_dlogits(Explain *e);
void show_layernorm_backward(Explain *e);
void show_gradients(Explain *e);
void show_adam(Explain *e);
void show_decode(Explain *e);

/* Sections on the Llama block (explain_llama.c). */
void show_rmsnorm(Explain *e);
void show_rope(Explain *e);
void show_swiglu(Explain *e);
void show_gqa(Explain *e);

#endif
