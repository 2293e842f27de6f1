/*
 * train.c — batches, loss, backprop, gradient clipping and Adam
 * (docs/08-adam.md, docs/09-training-loop.md).
 *
 * One step: copy a few examples into a [B, T_batch] array padded on the right
 * with <pad> up to the longest of them (not to the model's T), with targets
 * shifted by one; forward to the mean cross-entropy over real targets;
 * backward into the gradient buffer; scale the whole gradient down if its
 * Euclidean norm exceeds the clip value; one Adam update of every parameter.
 */
#include "train.h"
#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokenized data ---------------------------------------------------- */

int tokenized_set_build(TokenizedSet *set, const Vocab *vocab, const Dataset *ds, int seq_len)
{
    memset(set, 0, sizeof *set);
    int max_tokens = seq_len + 1;
    size_t total = 0;
    for (size_t i = 0; i < ds->count; i++) {
        int n = tokenizer_encode(vocab, ds->texts[i], NULL, 0);
        total += (size_t)(n < max_tokens ? n : max_tokens);
    }
    set->ids = xmalloc(total ? total : 1, sizeof(int));
    set->offsets = xmalloc(ds->count + 1, sizeof(size_t));
    if (!set->ids || !set->offsets) {
        tokenized_set_free(set);
        return -1;
    }
    size_t at = 0;
    for (size_t i = 0; i < ds->count; i++) {
        set->offsets[i] = at;
        int n = tokenizer_encode(vocab, ds->texts[i], set->ids + at, max_tokens);
        if (n > max_tokens) {
            set->n_cut++;
            n = max_tokens;
        }
        for (int k = 0; k < n; k++) set->n_unknown += set->ids[at + k] == TOKEN_UNK;
        at += (size_t)n;
    }
    set->offsets[ds->count] = at;
    set->count = ds->count;
    return 0;
}

void tokenized_set_free(TokenizedSet *set)
{
    free(set->ids);
    free(set->offsets);
    memset(set, 0, sizeof *set);
}

/* ---- the trainer ------------------------------------------------------- */

int trainer_create(Trainer *t, Model *m, int max_batch, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    if (max_batch < 1 || max_batch > MAX_BATCH)
        return fail("batch %d is out of range (1 to %d)", max_batch, MAX_BATCH);
    t->model = m;
    t->max_batch = max_batch;
    size_t n = m->n_params, rows = (size_t)max_batch * m->config.seq_len;
    t->grads = xcalloc(n, sizeof(float));
    t->adam_m = xcalloc(n, sizeof(float));
    t->adam_v = xcalloc(n, sizeof(float));
    t->batch_ids = xcalloc(rows, sizeof(int));
    t->batch_targets = xcalloc(rows, sizeof(int));
    if (!t->grads || !t->adam_m || !t->adam_v || !t->batch_ids || !t->batch_targets ||
        activations_create(&t->acts, &m->config, max_batch) != 0) {
        trainer_free(t);
        return -1;
    }
    rng_seed(&t->rng, seed);
    return 0;
}

void trainer_free(Trainer *t)
{
    activations_free(&t->acts);
    free(t->grads);
    free(t->adam_m);
    free(t->adam_v);
    free(t->batch_ids);
    free(t->batch_targets);
    memset(t, 0, sizeof *t);
}

/* Lay examples out as inputs and next-token targets, padded to the longest:
 *   tokens  The sky is blue . </s>
 *   ids     The sky is blue .          <pad> ...
 *   targets sky is  blue .   </s>      <pad> ...
 * Returns T_batch, the padded length. */
static int fill_batch(Trainer *t, const TokenizedSet *set, const size_t *examples, int n)
{
    int T = 1;
    for (int b = 0; b < n; b++) {
        size_t e = examples[b];
        int len = (int)(set->offsets[e + 1] - set->offsets[e]) - 1;
        if (len > T) T = len;
    }
    for (int b = 0; b < n; b++) {
        size_t e = examples[b];
        const int *tok = set->ids + set->offsets[e];
        int len = (int)(set->offsets[e + 1] - set->offsets[e]) - 1;
        for (int i = 0; i < T; i++) {
            t->batch_ids[b * T + i] = i < len ? tok[i] : TOKEN_PAD;
            t->batch_targets[b * T + i] = i < len ? tok[i + 1] : TOKEN_PAD;
        }
    }
    return T;
}

/* Adam (Kingma & Ba) with bias correction, after clipping the global norm:
 *   s = min(1, clip / ||g||),  g ← s g
 *   m ← β1 m + (1-β1) g,   v ← β2 v + (1-β2) g²
 *   θ ← θ - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε) */
static void adam_step(Trainer *t, float lr, float clip)
{
    const Kernels *k = kernels();
    size_t n = t->model->n_params;
    double norm = sqrt(k->sum_squares(t->grads, n));
    t->step++;
    AdamStep s = {
        .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
        .correction1 = (float)(1.0 / (1.0 - pow(0.9, (double)t->step))),
        .correction2 = (float)(1.0 / (1.0 - pow(0.999, (double)t->step))),
        .weight_decay = 0.0f,
        .grad_scale = (clip > 0 && norm > clip) ? (float)(clip / norm) : 1.0f,
    };
    k->adam_update(t->model->params, t->grads, t->adam_m, t->adam_v, n, s);
}

float trainer_step(Trainer *t, const TokenizedSet *set, const size_t *examples, int n,
                   float lr, float clip, int *n_targets)
{
    int T = fill_batch(t, set, examples, n);
    int count = 0;
    float loss = model_forward(t->model, &t->acts, t->batch_ids, t->batch_targets, n, T, &count);
    vec_zero(t->grads, t->model->n_params);
    model_backward(t->model, &t->acts, t->grads, t->batch_ids, t->batch_targets);
    if (count > 0) adam_step(t, lr, clip);
    if (n_targets) *n_targets = count;
    return loss;
}

float evaluate_loss(Trainer *t, const TokenizedSet *set, size_t *n_targets)
{
    double sum = 0.0;
    size_t total = 0;
    size_t order[MAX_BATCH];
    for (size_t start = 0; start < set->count; start += (size_t)t->max_batch) {
        int n = (int)(set->count - start < (size_t)t->max_batch ? set->count - start : (size_t)t->max_batch);
        for (int b = 0; b < n; b++) order[b] = start + (size_t)b;
        int T = fill_batch(t, set, order, n), count = 0;
        float loss = model_forward(t->model, &t->acts, t->batch_ids, t->batch_targets, n, T, &count);
        sum += (double)loss * count;
        total += (size_t)count;
    }
    if (n_targets) *n_targets = total;
    return total ? (float)(sum / total) : 0.0f;
}

/* Fisher–Yates shuffle driven by the trainer's seeded generator. */
static void shuffle(size_t *order, size_t n, Rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_u32(rng) % i;
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
}

float train_stage(Trainer *t, const TokenizedSet *set, const StageOptions *opt, FILE *out)
{
    size_t *order = xmalloc(set->count ? set->count : 1, sizeof(size_t));
    if (!order) return -1.0f;
    for (size_t i = 0; i < set->count; i++) order[i] = i;
    int batch = opt->batch < t->max_batch ? opt->batch : t->max_batch;
    float epoch_loss = 0.0f;
    for (int epoch = 1; epoch <= opt->epochs; epoch++) {
        shuffle(order, set->count, &t->rng);
        double sum = 0.0;
        size_t total = 0;
        for (size_t start = 0; start < set->count; start += (size_t)batch) {
            int n = (int)(set->count - start < (size_t)batch ? set->count - start : (size_t)batch);
            int count = 0;
            float loss = trainer_step(t, set, order + start, n, opt->lr, opt->clip, &count);
            if (!isfinite(loss)) {
                free(order);
                fail("%s epoch %d: the loss became %s at step %llu; lower --lr or check the data",
                     opt->stage, epoch, isnan(loss) ? "NaN" : "infinite", (unsigned long long)t->step);
                return -1.0f;
            }
            sum += (double)loss * count;
            total += (size_t)count;
            if (t->stop && *t->stop) break;
        }
        epoch_loss = total ? (float)(sum / total) : 0.0f;
        if (!opt->quiet && out) {
            fprintf(out, "%s epoch %d/%d: loss %.4f\n", opt->stage, epoch, opt->epochs, epoch_loss);
            fflush(out);
        }
        if (t->stop && *t->stop) break;
    }
    free(order);
    return epoch_loss;
}
