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
 */
#include "cli/cli.h"
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

const char train_help[] =
    "usage: rustgpt train [DATA ...] [--pretrain FILE] [--chat FILE] [options]\n"
    "\n"
    "Trains a model and saves it. DATA files (.json, .jsonl, .csv or .txt) make one stage;\n"
    "--pretrain and --chat make two; with none, the bundled data/pretrain.json and\n"
    "data/chat.json. A .txt file holds documents separated by blank lines.\n"
    "\n"
    "data:\n"
    "  --pretrain FILE        pretraining stage (learning rate 5e-4)\n"
    "  --chat FILE            instruction-tuning stage (learning rate 1e-4)\n"
    "  --val FILE             validation data for every stage\n"
    "  --val-split F          hold out this fraction (default 0.05 of stages with 1000+ examples)\n"
    "  --mask-prompt          learn only the answers of prompt/response examples\n"
    "  --tokenizer SPEC       word (default); NAME[:OPTIONS] of a registered tokenizer that\n"
    "                         trains on the data (plugins too, with --plugin); or a file\n"
    "  --lowercase            fold case (word tokenizer): the data, and later what a user types,\n"
    "                         so \"Japan\" and \"japan\" are one word; saved in the model\n"
    "model:\n"
    "  --layers N (3)  --dim N (128)  --heads N (8)  --hidden N (256)  --seq-len N (80)\n"
    "  --arch gpt|gpt2 (gpt)  gpt2: GELU and no head bias, as GPT-2 (exports to GGUF)\n"
    "  --init PATH            fine-tune: start from this model (a GPT-2 directory as Hugging\n"
    "                         Face publishes it, a gpt2 GGUF file, a rustgpt model); its sizes\n"
    "                         and tokenizer replace the model options\n"
    "optimisation:\n"
    "  --epochs N (100)       passes over each stage; 0 saves the untrained model, with a warning\n"
    "  --batch N (8)          examples per Adam step\n"
    "  --lr X                 learning rate for every stage (default: per stage, above)\n"
    "  --lr-schedule constant|cosine (constant)   --warmup N (0) steps\n"
    "  --clip X (5.0)         gradient-norm clipping; 0 turns it off\n"
    "  --weight-decay X (0)   decoupled weight decay\n"
    "  --seed N (42)          initial weights and shuffling\n"
    "  --threads N            threads (default: all cores)\n"
    "  --data-shards N        form batches as an N-rank MPI run does (docs/21-data-parallel.md)\n"
    "output:\n"
    "  --out FILE (" DEFAULT_MODEL_PATH ")  .bin, .json or .safetensors; its directory must exist\n"
    "  --mkdir                create --out's directory when it does not exist\n"
    "  --save-best            keep the parameters of the best validation loss\n"
    "  --log FILE.csv         one row per epoch (make plot LOG=FILE.csv draws it)\n"
    "  -q, --quiet            only the final 'saved' line\n"
    "checkpoints:\n"
    "  --checkpoint FILE (OUT.ckpt.bin)  --checkpoint-every N steps  --stop-after N steps\n"
    "  --resume FILE          continue a checkpoint (run the same command with it)\n";

enum { MAX_STAGES = 2, MAX_FILES = 16 };

typedef struct {
    const char *files[MAX_FILES];
    int n_files;
    Dataset data, val;
} StageData;

typedef struct {
    ModelConfig config;
    TrainRunOptions run;
    TrainStage stages[MAX_STAGES];
    StageData data[MAX_STAGES];
    const char *val_file;
    float val_split;           /* < 0: the default (5% of stages with >= 1000 examples) */
    int threads;
    float lr;                  /* < 0: each stage's default */
    unsigned long long seed;
    const char *resume;
    const char *init;          /* --init: start from this model's weights */
    char checkpoint_path[4200];
    const char *log_path;
    FILE *log_file;
    int out_is_default;        /* no --out: its directory is created if missing */
    int make_dir;              /* --mkdir */
    int lowercase;             /* --lowercase: a case-folded word vocabulary */
    const char *tokenizer;     /* --tokenizer: NULL or "word" for the word tokenizer */
    int replacing;             /* --out exists already */
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

/* The stage called name, created with its default learning rate if new. */
static int stage_index(TrainArgs *a, const char *name, float lr)
{
    for (int i = 0; i < a->run.n_stages; i++)
        if (strcmp(a->stages[i].name, name) == 0) return i;
    int i = a->run.n_stages++;
    a->stages[i].name = name;
    a->stages[i].lr = lr;
    return i;
}

static int add_file(TrainArgs *a, const char *stage, float lr, const char *path)
{
    StageData *d = &a->data[stage_index(a, stage, lr)];
    if (d->n_files == MAX_FILES) return usage_error("at most %d data files per stage", MAX_FILES);
    d->files[d->n_files++] = path;
    return 0;
}

static int parse_option(TrainArgs *a, const char *arg, const char *v)
{
    StageOptions *c = &a->run.common;
    unsigned long long steps;
    int rc;
    if (strcmp(arg, "--pretrain") == 0) return add_file(a, "pretrain", 5e-4f, v);
    if (strcmp(arg, "--chat") == 0) return add_file(a, "chat", 1e-4f, v);
    if (strcmp(arg, "--layers") == 0) return parse_int(arg, v, 1, MAX_LAYERS, &a->config.n_layers);
    if (strcmp(arg, "--dim") == 0) return parse_int(arg, v, 1, 4096, &a->config.d_model);
    if (strcmp(arg, "--heads") == 0) return parse_int(arg, v, 1, 4096, &a->config.n_heads);
    if (strcmp(arg, "--hidden") == 0) return parse_int(arg, v, 1, 16384, &a->config.d_hidden);
    if (strcmp(arg, "--seq-len") == 0) return parse_int(arg, v, 2, 4096, &a->config.seq_len);
    if (strcmp(arg, "--epochs") == 0) return parse_int(arg, v, 0, 1000000, &c->epochs);
    if (strcmp(arg, "--batch") == 0) return parse_int(arg, v, 1, MAX_BATCH, &c->batch);
    if (strcmp(arg, "--threads") == 0) return parse_int(arg, v, 1, 1024, &a->threads);
    if (strcmp(arg, "--arch") == 0) {
        if (strcmp(v, "gpt") == 0) a->config.variant = GPT_RUSTGPT;
        else if (strcmp(v, "gpt2") == 0) a->config.variant = GPT_GPT2;
        else return usage_error("--arch is gpt or gpt2, not '%s'", v);
        return 0;
    }
    if (strcmp(arg, "--data-shards") == 0) return parse_int(arg, v, 1, MAX_BATCH, &c->data_shards);
    if (strcmp(arg, "--warmup") == 0) return parse_int(arg, v, 0, 1 << 30, &c->warmup);
    if (strcmp(arg, "--lr") == 0) return parse_float(arg, v, 1e-9, 10.0, &a->lr);
    if (strcmp(arg, "--clip") == 0) return parse_float(arg, v, 0.0, 1e9, &c->clip);
    if (strcmp(arg, "--weight-decay") == 0) return parse_float(arg, v, 0.0, 1.0, &c->weight_decay);
    if (strcmp(arg, "--val-split") == 0) return parse_float(arg, v, 0.0, 0.9, &a->val_split);
    if (strcmp(arg, "--seed") == 0) return parse_u64(arg, v, &a->seed);
    if (strcmp(arg, "--out") == 0) { a->run.out = v; a->out_is_default = 0; return 0; }
    if (strcmp(arg, "--val") == 0) { a->val_file = v; return 0; }
    if (strcmp(arg, "--resume") == 0) { a->resume = v; return 0; }
    if (strcmp(arg, "--init") == 0) { a->init = v; return 0; }
    if (strcmp(arg, "--checkpoint") == 0) { a->run.checkpoint = v; return 0; }
    if (strcmp(arg, "--log") == 0) { a->log_path = v; return 0; }
    if (strcmp(arg, "--tokenizer") == 0) { a->tokenizer = v; return 0; }
    if (strcmp(arg, "--lr-schedule") == 0) {
        if (strcmp(v, "constant") == 0) c->schedule = LR_CONSTANT;
        else if (strcmp(v, "cosine") == 0) c->schedule = LR_COSINE;
        else return usage_error("--lr-schedule is constant or cosine, not '%s'", v);
        return 0;
    }
    if (strcmp(arg, "--checkpoint-every") == 0 || strcmp(arg, "--stop-after") == 0) {
        if ((rc = parse_u64(arg, v, &steps)) != 0) return rc;
        if (arg[2] == 'c') a->run.checkpoint_every = steps;
        else a->run.stop_after = steps;
        return 0;
    }
    return unknown_argument("train", arg);
}

/* Options that take a value (the rest are flags). */
static int takes_value(const char *arg)
{
    static const char *const with_value[] = {
        "--pretrain", "--chat", "--layers", "--dim", "--heads", "--hidden", "--seq-len", "--epochs",
        "--batch", "--threads", "--warmup", "--lr", "--clip", "--weight-decay", "--val-split",
        "--seed", "--out", "--val", "--resume", "--checkpoint", "--log", "--lr-schedule",
        "--checkpoint-every", "--stop-after", "--data-shards", "--tokenizer", "--arch", "--init",
    };
    for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (strcmp(arg, with_value[i]) == 0) return 1;
    return 0;
}

/* Do paths a and b name the same file (the same string, or an existing file
 * reached two ways)? */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0) return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The files this run writes (--out, --checkpoint, --log) must not be files it
 * reads or each other: `--out data.json` would replace the training data
 * with a model, and `--log` truncates its file as soon as it opens it. */
static int check_overwrites(const TrainArgs *a)
{
    const char *writes[3] = { a->run.out, a->run.checkpoint, a->log_path };
    const char *names[3] = { "--out", "--checkpoint", "--log" };
    for (int w = 0; w < 3; w++) {
        if (!writes[w]) continue;
        for (int s = 0; s < a->run.n_stages; s++)
            for (int f = 0; f < a->data[s].n_files; f++)
                if (same_file(writes[w], a->data[s].files[f]))
                    return usage_error("%s %s is also a data file; it would be overwritten",
                                       names[w], writes[w]);
        if (a->val_file && same_file(writes[w], a->val_file))
            return usage_error("%s %s is also the --val file; it would be overwritten",
                               names[w], writes[w]);
        if (w == 2 && a->resume && same_file(a->log_path, a->resume))
            return usage_error("--log %s is also the --resume checkpoint", a->log_path);
        for (int v = 0; v < w; v++)
            if (writes[v] && same_file(writes[w], writes[v]))
                return usage_error("%s and %s name the same file %s", names[v], names[w], writes[w]);
    }
    return 0;
}

static int parse_train_args(int argc, char **argv, TrainArgs *a)
{
    memset(a, 0, sizeof *a);
    a->config = config_default();
    a->run.common = (StageOptions){ .epochs = 100, .batch = DEFAULT_BATCH, .clip = 5.0f };
    a->run.out = DEFAULT_MODEL_PATH;
    a->out_is_default = 1;
    a->run.stages = a->stages;
    a->seed = 42;
    a->lr = -1.0f;
    a->val_split = -1.0f;
    const char *data_files[MAX_FILES];
    int n_data = 0, rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *arg = argv[i], *v;
        if (!is_option(arg)) {
            if (n_data == MAX_FILES) return usage_error("at most %d data files", MAX_FILES);
            data_files[n_data++] = arg;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            a->run.common.quiet = 1;
        } else if (strcmp(arg, "--save-best") == 0) {
            a->run.save_best = 1;
        } else if (strcmp(arg, "--mask-prompt") == 0) {
            a->run.common.mask_prompt = 1;
        } else if (strcmp(arg, "--mkdir") == 0) {
            a->make_dir = 1;
        } else if (strcmp(arg, "--lowercase") == 0) {
            a->lowercase = 1;
        } else if (!takes_value(arg)) {
            return unknown_argument("train", arg);
        } else if (!(v = option_value(argc, argv, &i))) {
            return EXIT_USAGE;
        } else {
            rc = parse_option(a, arg, v);
        }
    }
    if (rc) return rc;
    if (a->config.d_model % a->config.n_heads != 0)
        return usage_error("--heads %d must divide --dim %d", a->config.n_heads, a->config.d_model);
    if (model_format_of(a->run.out) == FORMAT_UNKNOWN)
        return usage_error("--out %s: unknown model format; use .bin, .json or .safetensors", a->run.out);
    if (a->tokenizer && strcmp(a->tokenizer, "word") != 0 && model_format_of(a->run.out) != FORMAT_BIN)
        return usage_error("--out %s: a model with the %s tokenizer is saved as .bin", a->run.out, a->tokenizer);
    if (a->lowercase && a->tokenizer && strcmp(a->tokenizer, "word") != 0)
        return usage_error("--lowercase folds the word tokenizer's vocabulary; the %s tokenizer keeps case",
                           a->tokenizer);
    if (a->lowercase && (a->resume || a->init))
        return usage_error("--lowercase is set when a vocabulary is built; %s keeps the model's own",
                           a->resume ? "--resume" : "--init");
    if (n_data > 0 && a->run.n_stages > 0)
        return usage_error("give DATA files or --pretrain/--chat, not both");
    for (int i = 0; i < n_data; i++) add_file(a, "train", 5e-4f, data_files[i]);
    if (a->run.n_stages == 0) {
        static char pretrain[4300], chat[4300];
        const char *bundled = find_bundled();
        if (!bundled) return EXIT_RUNTIME;
        snprintf(pretrain, sizeof pretrain, "%s/pretrain.json", bundled);
        snprintf(chat, sizeof chat, "%s/chat.json", bundled);
        add_file(a, "pretrain", 5e-4f, pretrain);
        add_file(a, "chat", 1e-4f, chat);
    }
    if (a->run.n_stages == 2 && strcmp(a->stages[0].name, "chat") == 0) {
        TrainStage s = a->stages[0];          /* pretraining always runs first */
        StageData d = a->data[0];
        a->stages[0] = a->stages[1], a->data[0] = a->data[1];
        a->stages[1] = s, a->data[1] = d;
    }
    if (a->lr > 0)
        for (int i = 0; i < a->run.n_stages; i++) a->stages[i].lr = a->lr;
    if (!a->run.checkpoint) {   /* models/model.bin -> models/model.ckpt.bin */
        const char *dot = strrchr(a->run.out, '.'), *slash = strrchr(a->run.out, '/');
        int stem = (dot && (!slash || dot > slash)) ? (int)(dot - a->run.out) : (int)strlen(a->run.out);
        snprintf(a->checkpoint_path, sizeof a->checkpoint_path, "%.*s.ckpt.bin", stem, a->run.out);
        a->run.checkpoint = a->checkpoint_path;
    }
    if (model_format_of(a->run.checkpoint) != FORMAT_BIN)
        return usage_error("--checkpoint %s: checkpoints are .bin files", a->run.checkpoint);
    if ((rc = check_overwrites(a)) != 0) return rc;
    if (a->log_path && dist_is_root() && !(a->log_file = fopen(a->log_path, "w")))
        return fail("%s: cannot write the log: %s", a->log_path, strerror(errno)), EXIT_RUNTIME;
    return 0;
}

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
