/*
 * train_run.c — the run around the stages: what the user sees while a model
 * trains, and what survives if it stops.
 *
 * train_stage() calls two hooks: after every step (progress line, periodic
 * checkpoint, --stop-after) and after every epoch (validation loss, the epoch
 * line on stdout, the CSV row, --save-best). A checkpoint holds the model,
 * Adam's moments, the step count and the position in the run (stage, epoch,
 * the generator state before the epoch's shuffle); the batch within the
 * epoch follows from the step count, so running the same command with
 * --resume replays exactly the steps that were left.
 */
#include "train/train_run.h"
#include "core/util.h"
#include "train/dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const TrainRunOptions *o;
    TrainSummary *summary;
    int stage_index;
    uint64_t total_steps;      /* of the whole run */
    uint64_t start_step;       /* t->step when this process started */
    double start_time, last_draw;
    float smoothed_loss;
    size_t epoch_tokens;
    double epoch_start;
} RunState;

static uint64_t stage_steps(const TrainRunOptions *o, int s)
{
    return stage_steps_per_epoch(&o->stages[s].train, &o->common) * (uint64_t)o->common.epochs;
}

int train_checkpoint(const Trainer *t, const char *path)
{
    OptimizerState opt = {
        .step = t->step, .stage = t->stage, .epoch = t->epoch,
        /* inside an epoch: replay its shuffle; between epochs: the next one's */
        .rng_state = t->batch_in_epoch ? t->epoch_rng_state : t->rng.state,
        .adam_m = t->adam_m, .adam_v = t->adam_v,
    };
    return checkpoint_save(t->model, &opt, path);
}

int train_resume(Trainer *t, const OptimizerState *opt, const TrainRunOptions *o)
{
    if (opt->stage > (uint32_t)o->n_stages)
        return fail("the checkpoint is at stage %u but this run has %d", opt->stage + 1, o->n_stages);
    uint64_t before = 0;
    for (uint32_t s = 0; s < opt->stage; s++) before += stage_steps(o, (int)s);
    uint64_t done_in_stage = opt->step - before, per_epoch = 1;
    int fits = opt->step >= before;
    if (fits && opt->stage < (uint32_t)o->n_stages) {
        per_epoch = stage_steps_per_epoch(&o->stages[opt->stage].train, &o->common);
        fits = done_in_stage <= stage_steps(o, (int)opt->stage) && done_in_stage / per_epoch == opt->epoch;
    }
    if (!fits)
        return fail("the checkpoint (step %llu, stage %u, epoch %u) does not fit this run's data "
                    "and options; resume with the command that wrote it",
                    (unsigned long long)opt->step, opt->stage + 1, opt->epoch);
    size_t n = t->model->n_params;
    memcpy(t->adam_m, opt->adam_m, n * sizeof(float));
    memcpy(t->adam_v, opt->adam_v, n * sizeof(float));
    t->step = opt->step;
    t->stage = opt->stage;
    t->epoch = opt->epoch;
    t->batch_in_epoch = done_in_stage % per_epoch;
    t->rng.state = t->epoch_rng_state = opt->rng_state;
    return 0;
}

/* "1:23" or "1:02:03" */
static const char *clock_text(char *buf, size_t cap, double seconds)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600) snprintf(buf, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, cap, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

static void draw_progress(RunState *r, const Trainer *t, int force)
{
    double now = now_seconds();
    if (!force && now - r->last_draw < 0.1) return;
    r->last_draw = now;
    const TrainRunOptions *o = r->o;
    double elapsed = now - r->start_time;
    uint64_t done = t->step - r->start_step, left = r->total_steps - t->step;
    double rate = elapsed > 0 ? r->summary->tokens / elapsed : 0.0;
    char e[32], eta[32], steps[32], total[32], toks[32];
    fprintf(stderr, "\r\033[2K%s%s%s epoch %u/%d  step %s/%s  loss %.4f  %s tok/s  %s  ETA %s",
            o->color ? "\033[1m" : "", o->stages[r->stage_index].name, o->color ? "\033[0m" : "",
            t->epoch + 1, o->common.epochs, with_commas(steps, t->step),
            with_commas(total, r->total_steps), r->smoothed_loss,
            with_commas(toks, (unsigned long long)rate), clock_text(e, sizeof e, elapsed),
            done ? clock_text(eta, sizeof eta, elapsed / done * left) : "?");
    fflush(stderr);
}

static void clear_progress(const RunState *r)
{
    if (r->o->progress) fputs("\r\033[2K", stderr);
}

static int after_step(void *ctx, Trainer *t, float loss, int n_targets)
{
    RunState *r = ctx;
    const TrainRunOptions *o = r->o;
    r->summary->tokens += (size_t)n_targets;
    r->epoch_tokens += (size_t)n_targets;
    r->smoothed_loss = t->step == r->start_step + 1 ? loss : 0.95f * r->smoothed_loss + 0.05f * loss;
    if (o->progress) draw_progress(r, t, 0);
    if (o->checkpoint_every && t->step % o->checkpoint_every == 0 && dist_is_root() &&
        train_checkpoint(t, o->checkpoint) != 0)
        return STAGE_FAILED;
    if (o->stop_after && t->step - r->start_step >= o->stop_after) return STAGE_STOPPED;
    return STAGE_DONE;
}

static int after_epoch(void *ctx, Trainer *t, float epoch_loss)
{
    RunState *r = ctx;
    const TrainRunOptions *o = r->o;
    const TrainStage *stage = &o->stages[r->stage_index];
    TrainSummary *sum = r->summary;
    double now = now_seconds(), rate = r->epoch_tokens / fmax(now - r->epoch_start, 1e-9);
    r->epoch_start = now;
    r->epoch_tokens = 0;
    sum->train_loss = epoch_loss;
    float val = NAN;
    if (stage->val.count) {
        val = evaluate_loss(t, &stage->val, NULL);
        sum->val_loss = val;
    }
    if (!o->common.quiet) {
        clear_progress(r);
        printf("%s epoch %u/%d: loss %.4f", stage->name, t->epoch, o->common.epochs, epoch_loss);
        if (!isnan(val)) printf("  val %.4f (perplexity %.2f)", val, exp(val));
        printf("\n");
        fflush(stdout);
    }
    if (o->log) {
        uint64_t per_epoch = stage_steps_per_epoch(&stage->train, &o->common);
        float lr = lr_at(o->common.schedule, stage->lr, (uint64_t)t->epoch * per_epoch - 1,
                         (uint64_t)o->common.warmup, stage_steps(o, r->stage_index));
        fprintf(o->log, "%llu,%u,%s,%.6g,%.6f,", (unsigned long long)t->step, t->epoch,
                stage->name, lr, epoch_loss);
        if (!isnan(val)) fprintf(o->log, "%.6f", val);
        fprintf(o->log, ",%.0f\n", rate);
        fflush(o->log);
    }
    if (o->save_best && !isnan(val) && (isnan(sum->best_val_loss) || val < sum->best_val_loss)) {
        sum->best_val_loss = val;
        if (dist_is_root() && model_save(t->model, o->out) != 0) return STAGE_FAILED;
    }
    return STAGE_DONE;
}

int train_run(Trainer *t, const TrainRunOptions *o, TrainSummary *summary)
{
    memset(summary, 0, sizeof *summary);
    summary->val_loss = summary->best_val_loss = NAN;
    RunState r = { .o = o, .summary = summary, .start_step = t->step,
                   .start_time = now_seconds() };
    r.epoch_start = r.start_time;
    for (int s = 0; s < o->n_stages; s++) {
        r.total_steps += stage_steps(o, s);
        const TokenizedSet *train = &o->stages[s].train;
        summary->examples += train->total ? train->total : train->count;
    }
    if (o->log && t->step == 0) fprintf(o->log, "step,epoch,stage,lr,train_loss,val_loss,tokens_per_s\n");
    StageHooks hooks = { &r, after_step, after_epoch };
    int rc = 0;
    while (rc == 0 && t->stage < (uint32_t)o->n_stages) {
        r.stage_index = (int)t->stage;
        const TrainStage *stage = &o->stages[t->stage];
        StageOptions opt = o->common;
        opt.stage = stage->name;
        opt.lr = stage->lr;
        opt.hooks = &hooks;
        rc = train_stage(t, &stage->train, &opt, stdout, NULL);
    }
    clear_progress(&r);
    summary->steps = t->step - r.start_step;
    summary->seconds = now_seconds() - r.start_time;
    if (rc == STAGE_FAILED) return EXIT_RUNTIME;
    if (rc == STAGE_DIVERGED) {
        /* The bad step changed nothing: the checkpoint holds the state before it. */
        char message[1024];
        snprintf(message, sizeof message, "%s", last_error());
        if (dist_is_root() && train_checkpoint(t, o->checkpoint) == 0)
            fail("%s; the state before that step is in %s (lower --lr, then --resume it)",
                 message, o->checkpoint);
        return EXIT_RUNTIME;
    }
    if (rc == STAGE_STOPPED) {
        summary->stopped = 1;
        if (!dist_is_root()) return t->stop && *t->stop ? EXIT_INTERRUPTED : EXIT_OK;
        if (train_checkpoint(t, o->checkpoint) != 0) return EXIT_RUNTIME;
        fprintf(stderr, "rustgpt: stopped at step %llu; checkpoint written to %s "
                "(continue with the same command and --resume %s)\n",
                (unsigned long long)t->step, o->checkpoint, o->checkpoint);
        return t->stop && *t->stop ? EXIT_INTERRUPTED : EXIT_OK;
    }
    return EXIT_OK;
}
