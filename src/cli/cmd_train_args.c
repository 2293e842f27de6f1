/*
 * cmd_train_args.c — `rustgpt train`'s command line: its help, each option
 * into TrainArgs (cli/train_args.h) with its range, the data files of each
 * stage (the bundled recipe by default), and the checks made before any
 * work: shapes and formats that cannot go together, options that contradict
 * each other (--lowercase with --resume), an --out or checkpoint that would
 * overwrite the training data. It also opens the --log file.
 */
#include "cli/cli.h"
#include "cli/train_args.h"
#include "train/dist.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int parse_train_args(int argc, char **argv, TrainArgs *a)
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

