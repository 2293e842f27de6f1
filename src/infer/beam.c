/*
 * beam.c — beam search, the deterministic alternative to sampling
 * (`--beams N`, docs/10-decoding.md).
 *
 * Greedy decoding commits to the most likely token at every step, and a
 * likely first token can lead into an unlikely answer: "b" at 0.5 followed
 * by anything at 0.2 (0.1 in all) beats "c" at 0.4 followed by </s> at 0.95
 * (0.38). Beam search keeps the N most probable partial answers
 * ("hypotheses") instead of one. At every step each live hypothesis offers
 * its N best next tokens; of all those candidates the N with the highest
 * total log-probability survive. A survivor that ends in </s> (or reaches
 * --max-tokens) is finished and gives up its slot, so the beam narrows as
 * answers complete. Because adding a token can only lower a score
 * (log p <= 0), the search stops as soon as the best finished answer scores
 * at least as well as the best live one: nothing left could beat it.
 *
 * With N = 1 this is exactly greedy decoding: one hypothesis, extended by its
 * single most likely token until </s> (test_sampling.c checks it).
 *
 * Every hypothesis owns a Generator, that is its own KV cache. The beam is
 * double-buffered: a survivor is forked from its parent into the other set
 * with generator_copy(), then all survivors are fed their new tokens in one
 * batched step (batch_forward.h), so the weights are read once per step for
 * the whole beam. The cost is one step of N rows plus one cache copy per
 * hypothesis and step; the memory, 2N caches.
 */
#include "infer/generate.h"
#include "infer/batch_forward.h"
#include "infer/text.h"
#include "tokenizers/word.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double score;       /* log-probability of the hypothesis it would make */
    int parent;         /* the live hypothesis it extends                  */
    int token;          /* the token it adds                               */
} Candidate;

typedef struct {
    Generator gen;      /* the context: prompt + tokens                    */
    int *tokens;        /* [max_tokens] the answer so far                  */
    int n_tokens;
    double score;       /* sum of the answer tokens' log-probabilities     */
} Hypothesis;

typedef struct {
    int width, max_tokens, V;
    Hypothesis *live, *next;     /* [width] each, swapped every step        */
    Candidate *candidates;       /* [width * width]                          */
    float *logprobs;             /* [V] one hypothesis's next-token scores   */
    int *best;                   /* [max_tokens] the best finished answer    */
    int n_best;
    double best_score;
    int eos;                 /* the model's end-of-sequence token */
    RowBatch *batch;             /* the caller's generator's, borrowed       */
    Generator **fed;             /* [width] the survivors of a step,          */
    int32_t *fed_seq;            /* [width] 0, 1, 2, ... (their seq ids)      */
    int *fed_tokens;             /* [width] and their new tokens              */
} Beam;

static void beam_free(Beam *b)
{
    for (int i = 0; b->live && i < b->width; i++) {
        generator_free(&b->live[i].gen);
        generator_free(&b->next[i].gen);
        free(b->live[i].tokens);
        free(b->next[i].tokens);
    }
    free(b->live);
    free(b->next);
    free(b->candidates);
    free(b->logprobs);
    free(b->best);
    free(b->fed);
    free(b->fed_seq);
    free(b->fed_tokens);
}

static int beam_create(Beam *b, const Model *m, RowBatch *batch, int width, int max_tokens)
{
    memset(b, 0, sizeof *b);
    b->width = width;
    b->max_tokens = max_tokens;
    b->V = m->config.vocab_size;
    b->eos = model_eos(m);
    b->best_score = -INFINITY;
    b->live = xcalloc((size_t)width, sizeof(Hypothesis));
    b->next = xcalloc((size_t)width, sizeof(Hypothesis));
    b->candidates = xmalloc((size_t)width * width, sizeof(Candidate));
    b->logprobs = xmalloc((size_t)b->V, sizeof(float));
    b->best = xmalloc((size_t)max_tokens, sizeof(int));
    b->batch = batch;
    b->fed = xmalloc((size_t)width, sizeof *b->fed);
    b->fed_seq = xmalloc((size_t)width, sizeof *b->fed_seq);
    b->fed_tokens = xmalloc((size_t)width, sizeof *b->fed_tokens);
    int ok = b->live && b->next && b->candidates && b->logprobs && b->best && b->fed && b->fed_seq &&
             b->fed_tokens;
    for (int i = 0; ok && i < width; i++) {
        b->fed_seq[i] = i;
        ok = generator_create_rows(&b->live[i].gen, m, 1) == 0 &&
             generator_create_rows(&b->next[i].gen, m, 1) == 0;
        b->live[i].tokens = ok ? xmalloc((size_t)max_tokens, sizeof(int)) : NULL;
        b->next[i].tokens = ok ? xmalloc((size_t)max_tokens, sizeof(int)) : NULL;
        ok = ok && b->live[i].tokens && b->next[i].tokens;
    }
    if (!ok) {
        beam_free(b);
        return -1;
    }
    return 0;
}

/* logprobs [V] = log softmax of h's logits after the repetition penalty,
 * computed in double so that the order of the logits is kept exactly. */
static void next_token_logprobs(Beam *b, const Hypothesis *h, float repeat_penalty)
{
    float *lp = b->logprobs;
    memcpy(lp, h->gen.logits, (size_t)b->V * sizeof(float));
    apply_repeat_penalty(lp, b->V, h->gen.context, h->gen.n_context, repeat_penalty);
    float max = lp[argmax(lp, b->V)];
    double sum = 0.0;
    for (int v = 0; v < b->V; v++) sum += exp((double)lp[v] - max);
    double log_norm = max + log(sum);
    for (int v = 0; v < b->V; v++) lp[v] = (float)((double)lp[v] - log_norm);
}

/* Append hypothesis `parent`'s `width` best extensions to out (kept sorted,
 * best first, lower token id first on ties). Returns how many. */
static int best_extensions(const Beam *b, int parent, double parent_score, Candidate *out)
{
    int n = 0;
    for (int v = 0; v < b->V; v++) {
        double score = parent_score + b->logprobs[v];
        if (n == b->width && score <= out[n - 1].score) continue;
        int at = n < b->width ? n++ : n - 1;
        while (at > 0 && out[at - 1].score < score) { out[at] = out[at - 1]; at--; }
        out[at] = (Candidate){ score, parent, v };
    }
    return n;
}

static int by_score(const void *pa, const void *pb)
{
    const Candidate *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->parent != b->parent) return a->parent - b->parent;
    return a->token - b->token;
}

/* One step: extend every live hypothesis, keep the best `width` candidates,
 * finish those that end. Returns the number of live hypotheses after it. */
static int beam_step(Beam *b, int n_live, float repeat_penalty)
{
    int n_candidates = 0;
    for (int i = 0; i < n_live; i++) {
        next_token_logprobs(b, &b->live[i], repeat_penalty);
        n_candidates += best_extensions(b, i, b->live[i].score, b->candidates + n_candidates);
    }
    qsort(b->candidates, (size_t)n_candidates, sizeof(Candidate), by_score);
    int n_next = 0;
    for (int k = 0; k < n_candidates && k < b->width; k++) {
        const Candidate *c = &b->candidates[k];
        const Hypothesis *parent = &b->live[c->parent];
        if (c->token == b->eos || parent->n_tokens + 1 == b->max_tokens) {
            if (c->score > b->best_score) {      /* finished: a candidate answer */
                memcpy(b->best, parent->tokens, (size_t)parent->n_tokens * sizeof(int));
                b->best[parent->n_tokens] = c->token;
                b->n_best = parent->n_tokens + 1;
                b->best_score = c->score;
            }
            continue;
        }
        Hypothesis *child = &b->next[n_next];
        generator_copy(&child->gen, &parent->gen);
        b->fed[n_next] = &child->gen;
        b->fed_tokens[n_next++] = c->token;
        memcpy(child->tokens, parent->tokens, (size_t)parent->n_tokens * sizeof(int));
        child->tokens[parent->n_tokens] = c->token;
        child->n_tokens = parent->n_tokens + 1;
        child->score = c->score;
    }
    row_batch_feed(b->batch, b->fed, b->fed_seq, b->fed_tokens, n_next, NULL);
    Hypothesis *swap = b->live;
    b->live = b->next;
    b->next = swap;
    /* Survivors are in candidate order, so live[0] is the best of them. */
    if (n_next > 0 && b->best_score >= b->live[0].score) return 0;
    return n_next;
}

int beam_search(Generator *g, const int *prompt, int n_prompt, const SamplingOptions *opt,
                TokenCallback on_token, void *ctx)
{
    generator_feed_many(g, prompt, n_prompt);
    int width = opt->beams > 1 ? opt->beams : 1;
    if (opt->max_tokens < 1) return 0;
    Beam b;
    if (beam_create(&b, g->model, g->batch, width, opt->max_tokens) != 0) return -1;
    generator_copy(&b.live[0].gen, g);
    b.live[0].n_tokens = 0;
    b.live[0].score = 0.0;
    for (int n_live = 1; n_live > 0;) n_live = beam_step(&b, n_live, opt->repeat_penalty);
    int produced = 0;
    while (produced < b.n_best) {
        int token = b.best[produced++];
        generator_feed(g, token);
        if (on_token && on_token(token, ctx)) break;
    }
    beam_free(&b);
    return produced;
}
