/*
 * cmd_train.c — `rustgpt train`: from data files to a saved model
 * (docs/09-training-loop.md).
 *
 *   1. read every stage's data (JSON or CSV); hold out a validation split
 *   2. build one vocabulary over all of it, create the model, initialise it
 *      from --seed (or load both from the checkpoint given to --resume)
 *   3. run the stages: pretraining (lr 5e-4), then instruction tuning
 *      (lr 1e-4), 100 epochs each by default; or one stage on DATA files
 *   4. save atomically to --out (default models/model.bin) and summarise
 * The command line (its help, options and checks) is cmd_train_args.c.
 */
#include "cli/cli.h"
#include "cli/train_args.h"
#include "train/data.h"
#include "formats/modelfile.h"
#include "train/train_run.h"
#include "train/dist.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

/* Under mpirun (make MPI=1) every rank trains on its own shard of the data
 * (train/dist.h): each reader keeps every N-th entry, each batch takes
 * batch/N examples from every rank. --data-shards N makes one process form
 * exactly those batches, to compare against. Rank 0 alone prints and
 * writes files. */
static int setup_shards(TrainArgs *a)
{
    int ranks = dist_size();
    StageOptions *c = &a->run.common;
    if (ranks > 1) {
        if (c->data_shards > 1 && c->data_shards != ranks)
            return usage_error("--data-shards %d differs from the %d ranks of this run", c->data_shards, ranks);
        c->data_shards = ranks;
        for (int s = 0; s < a->run.n_stages; s++) dataset_set_shard(&a->data[s].data, (size_t)dist_rank(), (size_t)ranks);
    }
    if (ranks > 1 && a->tokenizer && strchr(a->tokenizer, ':'))
        return usage_error("--tokenizer %s would be learned by each rank from its own share of the data; "
                           "learn it first (rustgpt tokenizer train ... -o tok.json) and give the file",
                           a->tokenizer);
    if (c->data_shards > 1 && c->batch % c->data_shards != 0)
        return usage_error("--batch %d must be a multiple of the %d data shards", c->batch, c->data_shards);
    if (!dist_is_root()) {
        c->quiet = 1;
        a->run.progress = 0;
        a->run.log = NULL;
    }
    return 0;
}

/* Read every stage's files and hold out its validation examples. */
static int load_data(TrainArgs *a)
{
    Dataset shared_val = { 0 };
    if (dist_size() > 1) dataset_set_shard(&shared_val, (size_t)dist_rank(), (size_t)dist_size());
    if (a->val_file && data_load(&shared_val, a->val_file) != 0) return -1;
    for (int s = 0; s < a->run.n_stages; s++) {
        StageData *d = &a->data[s];
        for (int f = 0; f < d->n_files; f++)
            if (data_load(&d->data, d->files[f]) != 0) { dataset_free(&shared_val); return -1; }
        if (a->val_file) {
            for (size_t i = 0; i < shared_val.count; i++)
                if (dataset_add(&d->val, shared_val.texts[i], strlen(shared_val.texts[i])) != 0) {
                    dataset_free(&shared_val);
                    return -1;
                }
        } else {
            double fraction = a->val_split >= 0 ? a->val_split : (d->data.count >= 1000 ? 0.05 : 0.0);
            if (dataset_split(&d->data, fraction, a->seed + (uint64_t)s, &d->val) != 0) return -1;
        }
    }
    dataset_free(&shared_val);
    return 0;
}

/* Every text of every stage, validation included (caller frees the array). */
static const char **all_texts(const TrainArgs *a, size_t *n_out)
{
    size_t total = 0, n = 0;
    for (int s = 0; s < a->run.n_stages; s++) total += a->data[s].data.count + a->data[s].val.count;
    const char **texts = xmalloc(total ? total : 1, sizeof *texts);
    if (!texts) return NULL;
    for (int s = 0; s < a->run.n_stages; s++) {
        for (size_t i = 0; i < a->data[s].data.count; i++) texts[n++] = a->data[s].data.texts[i];
        for (size_t i = 0; i < a->data[s].val.count; i++) texts[n++] = a->data[s].val.texts[i];
    }
    *n_out = n;
    return texts;
}

/* The --tokenizer of this run (any but the word tokenizer), trained or loaded. */
static int make_tokenizer(const TrainArgs *a, rg_tokenizer **tok)
{
    size_t n;
    const char **texts = all_texts(a, &n);
    if (!texts) return -1;
    int rc = tokenizer_for_training(a->tokenizer, texts, n, tok);
    free(texts);
    if (rc == 0 && rg_tokenizer_special(*tok, RG_SPECIAL_PAD) != 0)
        fprintf(stderr, "rustgpt: warning: the %s tokenizer has no <pad> at id 0; the model pads with id 0, "
                "so token 0 is never learned as a target\n", rg_tokenizer_kind(*tok));
    return rc;
}

/* One vocabulary over every text of every stage, validation included. */
static int build_vocab(const TrainArgs *a, Vocab *vocab)
{
    size_t n;
    const char **texts = all_texts(a, &n);
    if (!texts) return -1;
    int rc = dist_vocab_build(vocab, texts, n, a->lowercase);
    free(texts);
    return rc;
}

/* Training holds four floats per parameter (the weights, their gradients
 * and Adam's two moments). A model whose share of that passes the machine's
 * memory is refused before anything is allocated: with memory overcommit
 * the allocations could all succeed, and the run would then be killed (or
 * swap for hours) when it first touched them. */
static int check_fits_in_memory(const ModelConfig *c)
{
#ifdef _SC_PHYS_PAGES
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return 0;
    double have = (double)pages * (double)page_size;
    double need = 16.0 * (double)model_param_count(c);
    char params[32];
    if (need > have)
        return fail("a model of %s parameters needs %.1f GiB for training, more than this "
                    "machine's %.1f GiB of memory (use a smaller --dim, --hidden or --layers)",
                    with_commas(params, model_param_count(c)), need / 1073741824.0,
                    have / 1073741824.0);
#endif
    (void)c;
    return 0;
}

/* The model and where training stands: fresh from --seed, or the checkpoint. */
static int prepare_model(TrainArgs *a, Model *m, OptimizerState *opt)
{
    if (a->resume) return checkpoint_load(m, opt, a->resume);
    if (a->init) return model_init_from(m, a->init);
    if (a->tokenizer && strcmp(a->tokenizer, "word") != 0) {
        rg_tokenizer *tok;
        if (make_tokenizer(a, &tok) != 0) return -1;
        a->config.vocab_size = rg_tokenizer_n_vocab(tok);
        if (config_validate(&a->config) != 0 || check_fits_in_memory(&a->config) != 0 ||
            model_create(m, &a->config) != 0) {
            rg_tokenizer_free(tok);
            return -1;
        }
        m->tokenizer = tok;
        model_init_weights(m, a->seed);
        return 0;
    }
    Vocab vocab;
    if (build_vocab(a, &vocab) != 0) return -1;
    a->config.vocab_size = vocab.size;
    if (config_validate(&a->config) != 0 || check_fits_in_memory(&a->config) != 0 ||
        model_create(m, &a->config) != 0) {
        vocab_free(&vocab);
        return -1;
    }
    m->vocab = vocab;
    model_init_weights(m, a->seed);
    return 0;
}

static int tokenize_stages(TrainArgs *a, const Model *m)
{
    for (int s = 0; s < a->run.n_stages; s++) {
        TrainStage *st = &a->stages[s];
        if (tokenized_set_build_model(&st->train, m, &a->data[s].data, m->config.seq_len) != 0 ||
            tokenized_set_build_model(&st->val, m, &a->data[s].val, m->config.seq_len) != 0)
            return -1;
        double counts[3] = { (double)st->train.count, (double)st->val.count, (double)st->train.n_cut };
        dist_sum_doubles(counts, 3);              /* over every rank's shard */
        st->train.total = (size_t)counts[0];
        st->val.total = (size_t)counts[1];
        st->train.n_cut = (size_t)counts[2];
        if (st->train.n_cut && dist_is_root())
            fprintf(stderr, "rustgpt: warning: %s: %zu of %zu examples are longer than seq-len %d "
                    "and were cut\n", st->name, st->train.n_cut, st->train.total, m->config.seq_len);
    }
    return 0;
}

static void print_summary(const TrainArgs *a, const Model *m, const TrainSummary *s)
{
    char params[32], tokens[32], steps[32];
    if (!a->run.common.quiet) {
        char rate[32];
        printf("trained %zu examples: %s tokens in %s steps, %.1f s (%s tokens/s)\n", s->examples,
               with_commas(tokens, s->tokens), with_commas(steps, s->steps), s->seconds,
               with_commas(rate, s->seconds > 0 ? (unsigned long long)(s->tokens / s->seconds) : 0));
        if (s->steps > 0) {     /* --epochs 0 saves the initial model: no loss to show */
            printf("final loss %.4f (perplexity %.2f)", s->train_loss, exp(s->train_loss));
            if (!isnan(s->val_loss)) printf(", validation %.4f (perplexity %.2f)", s->val_loss, exp(s->val_loss));
            printf("\n");
        }
    }
    printf("saved %s: %s parameters, vocabulary %d%s%s\n", a->run.out, with_commas(params, m->n_params),
           m->config.vocab_size, a->run.save_best ? " (best validation)" : "",
           a->replacing ? " (replaced the previous file)" : "");
}

/* The directory --out names must exist: a typo in it should not grow a new
 * tree of directories. --mkdir creates it, and so does the default
 * models/model.bin (the directory is the program's own choice). */
static int check_out_dir(const TrainArgs *a)
{
    const char *path = a->run.out, *slash = strrchr(path, '/');
    if (!slash || slash == path || a->make_dir || a->out_is_default) return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0 && errno == ENOENT)
        return fail("--out %s: the directory %s does not exist (create it, or add --mkdir)", path, dir);
    return 0;
}

/* Can path be written? Creating (and removing) the temporary file the save
 * will use finds a read-only or missing directory, a directory in the way or
 * a path under /proc before any time is spent training. */
static int check_writable(const char *path)
{
    AtomicFile w;
    if (atomic_open(&w, path) != 0) return -1;
    atomic_abort(&w);
    return 0;
}

/* The final save failed (disk full, say): rather than lose the run, write
 * it as a checkpoint, which every command loads as a model. */
static void keep_trained_model(const Trainer *t, const TrainArgs *a)
{
    char why[1024];
    snprintf(why, sizeof why, "%s", last_error());
    if (train_checkpoint(t, a->run.checkpoint) == 0)
        fail("%.900s; the trained model is kept in %s (rustgpt convert %s %s writes it out)", why,
             a->run.checkpoint, a->run.checkpoint, a->run.out);
    else
        fail("%.900s; the trained model could not be kept either", why);
}

/* Report how long the gradient all-reduce took (a data-parallel run). */
static void print_allreduce(const TrainSummary *s)
{
    if (dist_size() == 1 || s->steps == 0) return;
    double t = dist_allreduce_seconds();
    printf("%d ranks: all-reduce %.3f ms per step, %.1f%% of the time\n", dist_size(),
           1000.0 * t / (double)s->steps, s->seconds > 0 ? 100.0 * t / s->seconds : 0.0);
}

int cmd_train(int argc, char **argv)
{
    TrainArgs a;
    if (dist_init(&argc, &argv) != 0) return EXIT_RUNTIME;
    int rc = parse_train_args(argc, argv, &a);
    if (rc == 0) rc = setup_shards(&a);
    rc = dist_agree(rc);
    if (rc) {
        if (a.log_file) fclose(a.log_file);
        dist_finalize();
        return rc;
    }
#ifdef _OPENMP
    if (a.threads > 0) omp_set_num_threads(a.threads);
#endif
    int root = dist_is_root();
    a.run.log = root ? a.log_file : NULL;
    a.run.progress = root && isatty(STDERR_FILENO) && !a.run.common.quiet;
    a.run.color = a.run.progress && !getenv("NO_COLOR");
    Model m = { 0 };
    OptimizerState opt = { 0 };
    Trainer t = { 0 };
    TrainSummary summary;
    int local_batch = a.run.common.batch / (dist_size() > 1 ? dist_size() : 1);
    rc = EXIT_RUNTIME;
    struct stat existing;
    a.replacing = root && stat(a.run.out, &existing) == 0 && S_ISREG(existing.st_mode);
    if (root && a.run.common.epochs == 0 && !a.resume)
        fprintf(stderr, "rustgpt: warning: --epochs 0 trains nothing; %s will hold the untrained, "
                "randomly initialised model\n", a.run.out);
    /* Each phase can fail on one rank alone (its share of the data, say):
     * dist_check makes every rank stop there, with rank 0 naming why. */
    if (dist_check(root ? check_out_dir(&a) : 0) == 0 &&
        dist_check(root ? check_writable(a.run.out) : 0) == 0 &&
        dist_check(root ? check_writable(a.run.checkpoint) : 0) == 0 &&
        dist_check(load_data(&a)) == 0 && dist_check(prepare_model(&a, &m, &opt)) == 0 &&
        dist_check(tokenize_stages(&a, &m)) == 0 &&
        dist_check(trainer_create(&t, &m, local_batch, a.seed)) == 0 &&
        dist_check(!a.resume ? 0 : train_resume(&t, &opt, &a.run)) == 0) {
        if (dist_size() > 1) t.shard = dist_rank();
        t.stop = &interrupted;
        signal(SIGINT, on_sigint);
        rc = train_run(&t, &a.run, &summary);
        signal(SIGINT, SIG_DFL);
        if (root && rc == EXIT_OK && !summary.stopped &&
            !(a.run.save_best && !isnan(summary.best_val_loss)) && model_save(&m, a.run.out) != 0) {
            keep_trained_model(&t, &a);
            rc = EXIT_RUNTIME;
        }
        rc = dist_agree(rc);
        if (root && rc == EXIT_OK && !summary.stopped) {
            print_summary(&a, &m, &summary);
            print_allreduce(&summary);
        }
    }
    trainer_free(&t);
    free(opt.adam_m);
    free(opt.adam_v);
    for (int s = 0; s < a.run.n_stages; s++) {
        dataset_free(&a.data[s].data);
        dataset_free(&a.data[s].val);
        tokenized_set_free(&a.stages[s].train);
        tokenized_set_free(&a.stages[s].val);
    }
    model_free(&m);
    if (a.log_file) fclose(a.log_file);
    if (!root) fail("%s", "");        /* rank 0 alone reports the error */
    dist_finalize();
    return rc;
}
