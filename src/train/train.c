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
#include "train/train.h"
#include "core/tensor.h"
#include "train/dist.h"
#include "infer/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokenized data ---------------------------------------------------- */

int tokenized_set_build(TokenizedSet *set, const Vocab *vocab, const Dataset *ds, int seq_len)
{
    Model words_only = { .vocab = *vocab };      /* a view: nothing is copied or freed */
    return tokenized_set_build_model(set, &words_only, ds, seq_len);
}

/* Encode text whole into *buf, grown to fit. Returns its token count, or
 * -1 after fail(). */
static int encode_whole(const Model *m, const char *text, int **buf, size_t *cap)
{
    for (;;) {
        int n = model_encode(m, text, *buf, (int)*cap);
        if (n < 0 || (size_t)n <= *cap) return n;
        int *bigger = realloc(*buf, (size_t)n * sizeof *bigger);
        if (!bigger) return fail("out of memory: a text of %d tokens", n);
        *buf = bigger;
        *cap = (size_t)n;
    }
}

/* How many examples a text of n tokens (ids) makes with a context of T =
 * seq_len positions. One when it fits (n <= T + 1), and one, cut to its
 * first T + 1 tokens, when it is a prompt/response: its answer must stay
 * with its prompt. A longer plain text (a document from a .txt file, say)
 * makes ceil((n - 1) / T) windows: window w holds tokens [wT, wT + T + 1),
 * so each starts with the last token of the one before and every token
 * after the first is a target exactly once. */
static size_t n_examples_of(const Model *m, const int *ids, int n, int seq_len)
{
    if (n <= seq_len + 1 || model_answer_start(m, ids, n) > 0) return 1;
    return (size_t)(n - 2) / (size_t)seq_len + 1;
}

int tokenized_set_build_model(TokenizedSet *set, const Model *m, const Dataset *ds, int seq_len)
{
    memset(set, 0, sizeof *set);
    int max_tokens = seq_len + 1, unk = model_unk(m);
    int *ids = NULL;
    size_t cap = 0, total = 0, n_examples = 0;
    for (size_t i = 0; i < ds->count; i++) {          /* first pass: the sizes */
        int n = encode_whole(m, ds->texts[i], &ids, &cap);
        if (n < 0) {
            char message[512];
            snprintf(message, sizeof message, "%s", last_error());
            free(ids);
            return fail("example %zu: %s", i + 1, message);
        }
        size_t windows = n_examples_of(m, ids, n, seq_len);
        n_examples += windows;
        total += windows > 1 ? (size_t)n - 1 + windows : (size_t)(n < max_tokens ? n : max_tokens);
    }
    set->ids = xmalloc(total ? total : 1, sizeof(int));
    set->offsets = xmalloc(n_examples + 1, sizeof(size_t));
    set->answer_start = xmalloc(n_examples ? n_examples : 1, sizeof(int));
    if (!set->ids || !set->offsets || !set->answer_start) {
        free(ids);
        tokenized_set_free(set);
        return -1;
    }
    size_t at = 0, k = 0;
    for (size_t i = 0; i < ds->count; i++) {          /* second pass: the ids */
        int n = encode_whole(m, ds->texts[i], &ids, &cap);   /* as in the first pass */
        if (n < 0) {
            free(ids);
            tokenized_set_free(set);
            return -1;
        }
        size_t windows = n_examples_of(m, ids, n, seq_len);
        int kept = windows > 1 || n < max_tokens ? n : max_tokens;
        for (int t = 0; t < kept; t++) set->n_unknown += ids[t] == unk;
        if (windows == 1 && n > max_tokens) set->n_cut++;
        for (size_t w = 0; w < windows; w++, k++) {
            int from = (int)w * seq_len, len = n - from < max_tokens ? n - from : max_tokens;
            set->offsets[k] = at;
            memcpy(set->ids + at, ids + from, (size_t)len * sizeof *ids);
            set->answer_start[k] = windows > 1 ? 0 : model_answer_start(m, set->ids + at, len);
            at += (size_t)len;
        }
    }
    free(ids);
    set->offsets[n_examples] = at;
    set->count = n_examples;
    return 0;
}

void tokenized_set_free(TokenizedSet *set)
{
    free(set->ids);
    free(set->offsets);
    free(set->answer_start);
    memset(set, 0, sizeof *set);
}

int dataset_split(Dataset *ds, double fraction, uint64_t seed, Dataset *val)
{
    memset(val, 0, sizeof *val);
    size_t n_val = (size_t)(fraction * (double)ds->count + 0.5);
    if (n_val >= ds->count) n_val = ds->count ? ds->count - 1 : 0;
    if (n_val == 0) return 0;
    /* Pick n_val distinct indices with a partial Fisher–Yates shuffle. */
    size_t *order = xmalloc(ds->count, sizeof *order);
    unsigned char *is_val = xcalloc(ds->count, 1);
    if (!order || !is_val) { free(order); free(is_val); return -1; }
    Rng rng;
    rng_seed(&rng, seed ^ 0x5A11D5A11DULL);
    for (size_t i = 0; i < ds->count; i++) order[i] = i;
    for (size_t i = 0; i < n_val; i++) {
        size_t j = i + rng_u32(&rng) % (ds->count - i);
        size_t tmp = order[i]; order[i] = order[j]; order[j] = tmp;
        is_val[order[i]] = 1;
    }
    /* Move texts, keeping both halves in their original order. */
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; i < ds->count; i++) {
        if (is_val[i] && rc == 0) rc = dataset_add(val, ds->texts[i], strlen(ds->texts[i]));
        if (is_val[i]) free(ds->texts[i]);
        else ds->texts[kept++] = ds->texts[i];
    }
    ds->count = kept;
    free(order);
    free(is_val);
    return rc;
}

float lr_at(LrSchedule schedule, float base, uint64_t step, uint64_t warmup, uint64_t total)
{
    if (schedule == LR_CONSTANT) return base;
    if (step < warmup) return base * (float)(step + 1) / (float)warmup;
    double span = total > warmup + 1 ? (double)(total - warmup - 1) : 1.0;
    double progress = (double)(step - warmup) / span;
    if (progress > 1.0) progress = 1.0;
    double cosine = 0.5 * (1.0 + cos(3.14159265358979323846 * progress));   /* 1 → 0 */
    return (float)(base * (0.1 + 0.9 * cosine));
}

/* ---- the trainer ------------------------------------------------------- */

int trainer_create(Trainer *t, Model *m, int max_batch, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    if (max_batch < 1 || max_batch > MAX_BATCH)
        return fail("batch %d is out of range (1 to %d)", max_batch, MAX_BATCH);
    t->model = m;
    t->max_batch = max_batch;
    t->shard = -1;
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

/* Lay examples out as inputs and next-token targets, padded to the longest
 * (docs/09-training-loop.md draws a batch):
 *   tokens  The sky is blue . </s>
 *   ids     The sky is blue .          <pad> ...
 *   targets sky is  blue .   </s>      <pad> ...
 * With mask_prompt, targets inside a chat example's prompt are <pad> too,
 * so only the answer's tokens count in the loss. Returns T_batch. */
static int fill_batch(Trainer *t, const TokenizedSet *set, const size_t *examples, int n,
                      int mask_prompt)
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
        int first_target = mask_prompt ? set->answer_start[e] - 1 : 0;
        for (int i = 0; i < T; i++) {
            t->batch_ids[b * T + i] = i < len ? tok[i] : TOKEN_PAD;
            t->batch_targets[b * T + i] = (i < len && i >= first_target) ? tok[i + 1] : TOKEN_PAD;
        }
    }
    return T;
}

/* Adam (Kingma & Ba) with bias correction, after clipping the global norm,
 * and decoupled weight decay wd (AdamW; 0 by default; docs/08-adam.md
 * derives it):
 *   s = min(1, clip / ||g||),  g ← s g
 *   m ← β1 m + (1-β1) g,   v ← β2 v + (1-β2) g²
 *   θ ← θ - lr · ( (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)  +  wd · θ ) */
static void adam_step(Trainer *t, float lr, float clip, float weight_decay, double norm)
{
    size_t n = t->model->n_params;
    t->step++;
    AdamStep s = {
        .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
        .correction1 = (float)(1.0 / (1.0 - pow(0.9, (double)t->step))),
        .correction2 = (float)(1.0 / (1.0 - pow(0.999, (double)t->step))),
        .weight_decay = weight_decay,
        .grad_scale = (clip > 0 && norm > clip) ? (float)(clip / norm) : 1.0f,
    };
    adam_update(t->model->params, t->grads, t->adam_m, t->adam_v, n, s);
}

/* One step. In a data-parallel run (train/dist.h) each rank holds its share
 * of the batch: the loss of the whole batch is Σ_r loss_r·n_r / N over the
 * ranks' target counts n_r (N = Σ n_r), so each rank's gradient of its own
 * mean loss is scaled by n_r / N before the all-reduce sums them: the sum is
 * then the gradient of the whole batch's mean loss, on every rank. */
float trainer_step(Trainer *t, const TokenizedSet *set, const size_t *examples, int n,
                   const StageOptions *opt, float lr, int *n_targets)
{
    int T = fill_batch(t, set, examples, n, opt->mask_prompt);
    int count = 0, ranks = dist_size();
    t->last_grad_norm = 0.0f;
    float loss = n > 0 ? model_forward(t->model, &t->acts, t->batch_ids, t->batch_targets, n, T, &count)
                       : 0.0f;
    double local_count = count;
    if (ranks > 1) {                              /* the whole batch's loss and count */
        double sums[2] = { count > 0 ? (double)loss * count : 0.0, (double)count };
        if (!isfinite(loss)) sums[0] = loss;
        dist_sum_doubles(sums, 2);
        count = (int)sums[1];
        loss = count > 0 ? (float)(sums[0] / sums[1]) : (float)sums[0];
    }
    if (n_targets) *n_targets = count;
    if (!isfinite(loss)) return loss;             /* leave the parameters as they were */
    vec_zero(t->grads, t->model->n_params);
    if (local_count > 0) model_backward(t->model, &t->acts, t->grads, t->batch_ids, t->batch_targets);
    if (ranks > 1) {
        float share = count > 0 ? (float)(local_count / count) : 0.0f;
        for (size_t i = 0; i < t->model->n_params; i++) t->grads[i] *= share;
        dist_sum_floats(t->grads, t->model->n_params);
    }
    double norm = sqrt(sum_squares(t->grads, t->model->n_params));
    t->last_grad_norm = (float)norm;
    if (!isfinite(norm)) return NAN;
    if (count > 0) adam_step(t, lr, opt->clip, opt->weight_decay, norm);
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
        int T = fill_batch(t, set, order, n, 0), count = 0;
        float loss = model_forward(t->model, &t->acts, t->batch_ids, t->batch_targets, n, T, &count);
        sum += (double)loss * count;
        total += (size_t)count;
    }
    double sums[2] = { sum, (double)total };      /* every rank's share of the set */
    dist_sum_doubles(sums, 2);
    if (n_targets) *n_targets = (size_t)sums[1];
    return sums[1] > 0 ? (float)(sums[0] / sums[1]) : 0.0f;
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

uint64_t steps_per_epoch(size_t count, int batch)
{
    return (count + (size_t)batch - 1) / (size_t)batch;
}

/* ---- sharded epochs ----------------------------------------------------
 * With S shards, example g belongs to shard g mod S (so that a rank's
 * readers keep every S-th entry), as its local example j = (g - s) / S.
 * Each shard is shuffled on its own, by a generator derived from the
 * epoch's state and the shard's number, and step k takes local examples
 * [k·b, (k+1)·b) of every shard, b = batch / S. A rank holds one shard; one
 * process may hold all of them and then forms exactly the batches of an
 * S-rank run, which is how the two are compared. */

static size_t shard_count(size_t total, int s, int shards)
{
    return total > (size_t)s ? (total - (size_t)s + (size_t)shards - 1) / (size_t)shards : 0;
}

uint64_t stage_steps_per_epoch(const TokenizedSet *set, const StageOptions *opt)
{
    int shards = opt->data_shards > 1 ? opt->data_shards : 1;
    size_t total = set->total ? set->total : set->count;
    return steps_per_epoch(shard_count(total, 0, shards), opt->batch / shards);
}

/* The epoch's order of examples, in order[0..count): one shuffle of all
 * of them, or each held shard's shuffle one after the other. */
static void epoch_order(Trainer *t, const TokenizedSet *set, int shards, size_t *order)
{
    /* The order of an epoch depends only on the generator's state before
     * its shuffle, which a checkpoint keeps: a resumed run replays it. */
    if (t->batch_in_epoch == 0) t->epoch_rng_state = t->rng.state;
    t->rng.state = t->epoch_rng_state;
    if (shards == 1) {
        for (size_t i = 0; i < set->count; i++) order[i] = i;
        shuffle(order, set->count, &t->rng);
        return;
    }
    size_t at = 0;
    for (int s = 0; s < shards; s++) {
        if (t->shard >= 0 && s != t->shard) continue;
        size_t n = t->shard >= 0 ? set->count : shard_count(set->count, s, shards);
        Rng rng;
        rng_seed(&rng, t->epoch_rng_state ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(s + 1)));
        for (size_t j = 0; j < n; j++) order[at + j] = j;
        shuffle(order + at, n, &rng);
        if (t->shard < 0)
            for (size_t j = 0; j < n; j++) order[at + j] = (size_t)s + order[at + j] * (size_t)shards;
        at += n;
    }
    rng_u32(&t->rng);                              /* the next epoch's state */
}

/* The examples of step k of the epoch into out; returns how many (0 for a
 * rank whose shard has run out in the last step). */
static int step_examples(const Trainer *t, const TokenizedSet *set, int shards, int batch,
                         uint64_t k, const size_t *order, size_t *out)
{
    int n = 0, per_shard = batch / shards;
    size_t at = 0;
    for (int s = 0; s < shards; s++) {
        if (shards > 1 && t->shard >= 0 && s != t->shard) continue;
        size_t count = (shards == 1 || t->shard >= 0) ? set->count : shard_count(set->count, s, shards);
        for (size_t j = k * (size_t)per_shard; j < (k + 1) * (size_t)per_shard && j < count; j++)
            out[n++] = order[at + j];
        at += count;
    }
    return n;
}

int train_stage(Trainer *t, const TokenizedSet *set, const StageOptions *opt, FILE *out,
                float *loss)
{
    size_t *order = xmalloc(set->count ? set->count : 1, sizeof(size_t));
    if (!order) return -1;
    int shards = opt->data_shards > 1 ? opt->data_shards : 1;
    int batch = opt->batch < t->max_batch * shards ? opt->batch : t->max_batch * shards;
    StageOptions clamped = *opt;
    clamped.batch = batch;
    uint64_t per_epoch = stage_steps_per_epoch(set, &clamped);
    uint64_t total = per_epoch * (uint64_t)opt->epochs;
    size_t examples[MAX_BATCH];
    float epoch_loss = 0.0f;
    int rc = 0;
    while (rc == 0 && t->epoch < (uint32_t)opt->epochs) {
        epoch_order(t, set, shards, order);
        double sum = 0.0;
        size_t n_tokens = 0;
        while (rc == 0 && t->batch_in_epoch < per_epoch) {
            int n = step_examples(t, set, shards, batch, t->batch_in_epoch, order, examples);
            uint64_t stage_step = (uint64_t)t->epoch * per_epoch + t->batch_in_epoch;
            float lr = lr_at(opt->schedule, opt->lr, stage_step, (uint64_t)opt->warmup, total);
            int count = 0;
            float step_loss = trainer_step(t, set, examples, n, opt, lr, &count);
            if (!isfinite(step_loss)) {
                rc = STAGE_DIVERGED;
                fail("%s epoch %u, step %llu: the %s became %s; training stopped",
                          opt->stage, t->epoch + 1, (unsigned long long)t->step + 1,
                          isfinite(t->last_grad_norm) ? "loss" : "gradient",
                          isnan(step_loss) ? "NaN" : "infinite");
                break;
            }
            t->batch_in_epoch++;
            sum += (double)step_loss * count;
            n_tokens += (size_t)count;
            if (opt->hooks && opt->hooks->after_step)
                rc = opt->hooks->after_step(opt->hooks->ctx, t, step_loss, count);
            if (rc == 0 && t->stop && *t->stop) rc = STAGE_STOPPED;
            rc = dist_agree(rc);                  /* every rank stops together */
        }
        if (t->batch_in_epoch < per_epoch) break;      /* stopped inside the epoch */
        t->epoch++;
        t->batch_in_epoch = 0;
        epoch_loss = n_tokens ? (float)(sum / n_tokens) : 0.0f;
        if (opt->hooks && opt->hooks->after_epoch) {
            int hook_rc = dist_agree(opt->hooks->after_epoch(opt->hooks->ctx, t, epoch_loss));
            if (rc == 0) rc = hook_rc;
        } else if (!opt->quiet && out) {
            fprintf(out, "%s epoch %u/%d: loss %.4f\n", opt->stage, t->epoch, opt->epochs, epoch_loss);
            fflush(out);
        }
    }
    if (rc == STAGE_DONE) {       /* the next stage starts fresh */
        t->stage++;
        t->epoch = 0;
    }
    free(order);
    if (loss) *loss = epoch_loss;
    return rc;
}
