/*
 * cmd_train.c — `rustgpt train`: the whole recipe from data files to a saved
 * model (docs/09-training-loop.md).
 *
 *   1. read every stage's data (JSON or CSV) and build one vocabulary
 *   2. create the model and initialise it from --seed
 *   3. run each stage: pretraining (lr 5e-4), then instruction tuning
 *      (lr 1e-4), 100 epochs each by default, or one stage on DATA files
 *   4. save atomically to --out (default models/model.bin)
 */
#include "cli.h"
#include "data.h"
#include "modelfile.h"
#include "train.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAX_STAGES = 2, MAX_FILES = 16 };

typedef struct {
    const char *name;
    const char *files[MAX_FILES];
    int n_files;
    float lr;
    Dataset data;
    TokenizedSet tokens;
} Stage;

typedef struct {
    ModelConfig config;
    Stage stages[MAX_STAGES];
    int n_stages;
    int epochs, batch, threads, quiet;
    float lr, clip;
    unsigned long long seed;
    const char *out;
} TrainArgs;

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

/* Where the bundled data lives: ./data, or data/ beside the executable.
 * Returns the directory, or NULL after fail(). */
static const char *find_bundled(void)
{
    static char dir[4200];
    if (access("data/pretrain.json", R_OK) == 0) return "data";
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(dir, sizeof dir, "%s/data/pretrain.json", exe);
        if (access(dir, R_OK) == 0) {
            snprintf(dir, sizeof dir, "%s/data", exe);
            return dir;
        }
    }
    fail("no data files given and the bundled data/pretrain.json was not found");
    return NULL;
}

static Stage *add_stage(TrainArgs *a, const char *name, float lr)
{
    for (int i = 0; i < a->n_stages; i++)
        if (strcmp(a->stages[i].name, name) == 0) return &a->stages[i];
    Stage *s = &a->stages[a->n_stages++];
    s->name = name;
    s->lr = lr;
    return s;
}

static int add_file(Stage *s, const char *path)
{
    if (s->n_files == MAX_FILES) return usage_error("at most %d data files per stage", MAX_FILES);
    s->files[s->n_files++] = path;
    return 0;
}

static int parse_train_args(int argc, char **argv, TrainArgs *a)
{
    memset(a, 0, sizeof *a);
    a->config = config_default();
    a->epochs = 100;
    a->batch = 1;
    a->clip = 5.0f;
    a->seed = 42;
    a->out = DEFAULT_MODEL_PATH;
    a->lr = -1.0f;
    const char *data_files[MAX_FILES];
    int n_data = 0, rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *arg = argv[i], *v = NULL;
        if (!is_option(arg)) {
            if (n_data == MAX_FILES) return usage_error("at most %d data files", MAX_FILES);
            data_files[n_data++] = arg;
            continue;
        }
        if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) { a->quiet = 1; continue; }
        if (!(v = option_value(argc, argv, &i))) return EXIT_USAGE;
        if (strcmp(arg, "--pretrain") == 0) rc = add_file(add_stage(a, "pretrain", 5e-4f), v);
        else if (strcmp(arg, "--chat") == 0) rc = add_file(add_stage(a, "chat", 1e-4f), v);
        else if (strcmp(arg, "--layers") == 0) rc = parse_int(arg, v, 1, MAX_LAYERS, &a->config.n_layers);
        else if (strcmp(arg, "--dim") == 0) rc = parse_int(arg, v, 1, 4096, &a->config.d_model);
        else if (strcmp(arg, "--heads") == 0) rc = parse_int(arg, v, 1, 4096, &a->config.n_heads);
        else if (strcmp(arg, "--hidden") == 0) rc = parse_int(arg, v, 1, 16384, &a->config.d_hidden);
        else if (strcmp(arg, "--seq-len") == 0) rc = parse_int(arg, v, 2, 4096, &a->config.seq_len);
        else if (strcmp(arg, "--epochs") == 0) rc = parse_int(arg, v, 0, 1000000, &a->epochs);
        else if (strcmp(arg, "--batch") == 0) rc = parse_int(arg, v, 1, MAX_BATCH, &a->batch);
        else if (strcmp(arg, "--threads") == 0) rc = parse_int(arg, v, 1, 1024, &a->threads);
        else if (strcmp(arg, "--lr") == 0) rc = parse_float(arg, v, 1e-9, 10.0, &a->lr);
        else if (strcmp(arg, "--clip") == 0) rc = parse_float(arg, v, 0.0, 1e9, &a->clip);
        else if (strcmp(arg, "--seed") == 0) rc = parse_u64(arg, v, &a->seed);
        else if (strcmp(arg, "--out") == 0) a->out = v;
        else return usage_error("train: unknown option '%s'", arg);
    }
    if (rc) return rc;
    if (a->config.d_model % a->config.n_heads != 0)
        return usage_error("--heads %d must divide --dim %d", a->config.n_heads, a->config.d_model);
    if (model_format_of(a->out) == FORMAT_UNKNOWN)
        return usage_error("--out %s: unknown model format; use .bin, .json or .safetensors", a->out);
    if (n_data > 0 && a->n_stages > 0)
        return usage_error("give DATA files or --pretrain/--chat, not both");
    if (n_data > 0) {
        Stage *s = add_stage(a, "train", 5e-4f);
        for (int i = 0; i < n_data; i++) add_file(s, data_files[i]);
    }
    if (a->n_stages == 0) {
        static char pretrain[4300], chat[4300];
        const char *bundled = find_bundled();
        if (!bundled) return EXIT_RUNTIME;
        snprintf(pretrain, sizeof pretrain, "%s/pretrain.json", bundled);
        snprintf(chat, sizeof chat, "%s/chat.json", bundled);
        add_file(add_stage(a, "pretrain", 5e-4f), pretrain);
        add_file(add_stage(a, "chat", 1e-4f), chat);
    }
    /* pretraining always runs first, whatever order the options came in */
    if (a->n_stages == 2 && strcmp(a->stages[0].name, "chat") == 0) {
        Stage tmp = a->stages[0];
        a->stages[0] = a->stages[1];
        a->stages[1] = tmp;
    }
    if (a->lr > 0)
        for (int i = 0; i < a->n_stages; i++) a->stages[i].lr = a->lr;
    return 0;
}

/* Read every stage's files, then build one vocabulary over all of them. */
static int load_stages(TrainArgs *a, Vocab *vocab)
{
    size_t total = 0;
    for (int s = 0; s < a->n_stages; s++) {
        for (int f = 0; f < a->stages[s].n_files; f++)
            if (data_load(&a->stages[s].data, a->stages[s].files[f]) != 0) return -1;
        total += a->stages[s].data.count;
    }
    const char **texts = xmalloc(total ? total : 1, sizeof *texts);
    if (!texts) return -1;
    size_t n = 0;
    for (int s = 0; s < a->n_stages; s++)
        for (size_t i = 0; i < a->stages[s].data.count; i++) texts[n++] = a->stages[s].data.texts[i];
    int rc = vocab_build(vocab, texts, n);
    free(texts);
    return rc;
}

static void free_stages(TrainArgs *a)
{
    for (int s = 0; s < a->n_stages; s++) {
        dataset_free(&a->stages[s].data);
        tokenized_set_free(&a->stages[s].tokens);
    }
}

static int run_training(TrainArgs *a, Model *m)
{
    Trainer trainer;
    if (trainer_create(&trainer, m, a->batch, a->seed) != 0) return EXIT_RUNTIME;
    trainer.stop = &interrupted;
    double start = now_seconds();
    size_t tokens = 0;
    float loss = 0.0f;
    for (int s = 0; s < a->n_stages && !interrupted; s++) {
        Stage *st = &a->stages[s];
        if (tokenized_set_build(&st->tokens, &m->vocab, &st->data, m->config.seq_len) != 0) break;
        if (st->tokens.n_cut)
            fprintf(stderr, "rustgpt: warning: %s: %zu of %zu examples are longer than seq-len %d "
                    "and were cut\n", st->name, st->tokens.n_cut, st->tokens.count, m->config.seq_len);
        StageOptions opt = { .stage = st->name, .epochs = a->epochs, .lr = st->lr,
                             .batch = a->batch, .clip = a->clip, .quiet = a->quiet };
        loss = train_stage(&trainer, &st->tokens, &opt, stdout);
        if (loss < 0) {
            trainer_free(&trainer);
            return EXIT_RUNTIME;
        }
        tokens += (st->tokens.offsets[st->tokens.count] - st->tokens.count) * (size_t)a->epochs;
    }
    double seconds = now_seconds() - start;
    trainer_free(&trainer);
    if (interrupted) return fail("interrupted; %s was not written", a->out), EXIT_INTERRUPTED;
    if (model_save(m, a->out) != 0) return EXIT_RUNTIME;
    char params[32];
    printf("saved %s: %s parameters, vocabulary %d, final loss %.4f, %.1f s (%.0f tokens/s)\n",
           a->out, with_commas(params, m->n_params), m->config.vocab_size, loss, seconds,
           seconds > 0 ? tokens / seconds : 0.0);
    return EXIT_OK;
}

int cmd_train(int argc, char **argv)
{
    TrainArgs a;
    int rc = parse_train_args(argc, argv, &a);
    if (rc) return rc;
#ifdef _OPENMP
    if (a.threads > 0) omp_set_num_threads(a.threads);
#endif
    Model m;
    memset(&m, 0, sizeof m);
    Vocab vocab;
    memset(&vocab, 0, sizeof vocab);
    if (load_stages(&a, &vocab) != 0) {
        free_stages(&a);
        return EXIT_RUNTIME;
    }
    a.config.vocab_size = vocab.size;
    if (model_create(&m, &a.config) != 0) {
        vocab_free(&vocab);
        free_stages(&a);
        return EXIT_RUNTIME;
    }
    m.vocab = vocab;
    model_init_weights(&m, a.seed);
    signal(SIGINT, on_sigint);
    rc = run_training(&a, &m);
    signal(SIGINT, SIG_DFL);
    free_stages(&a);
    model_free(&m);
    return rc;
}
