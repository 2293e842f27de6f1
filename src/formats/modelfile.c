/*
 * modelfile.c — saving and loading models: the entry points of modelfile.h
 * (DESIGN.md §5, docs/12-model-files.md). It sits at the end of training
 * (model → file) and at the start of chat, generate and eval (file → model).
 *
 * This file only decides which format a path is and routes to the format's
 * file (modelfile_bin.c, modelfile_json.c, modelfile_safetensors.c); it also
 * holds the few helpers they share. Two rules hold for every format:
 *   - saving goes through util.h's AtomicFile: the new file is written
 *     beside the old one and renamed over it only once complete, so a
 *     failed or interrupted save leaves the previous model intact;
 *   - loading reads the whole file into memory and hands the bytes to an
 *     in-memory loader that trusts nothing in them (the fuzz targets call
 *     the same loaders), and a failure leaves the Model zeroed.
 *
 * Which format a file is: when loading, its first bytes decide ("RGPT" is a
 * .bin, an 8-byte length followed by '{' is a .safetensors, a '{' is JSON);
 * when they say nothing (an empty or damaged file), the extension does.
 * When saving, the extension decides.
 */
#include "formats/modelfile.h"
#include "formats/modelfile_internal.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- formats ----------------------------------------------------------- */

static int has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && strcasecmp(path + n - k, suffix) == 0;
}

ModelFormat model_format_of(const char *path)
{
    if (has_suffix(path, ".bin")) return FORMAT_BIN;
    if (has_suffix(path, ".json")) return FORMAT_JSON;
    if (has_suffix(path, ".safetensors")) return FORMAT_SAFETENSORS;
    return FORMAT_UNKNOWN;
}

/* The format the first len bytes of a file of file_len bytes show, or
 * FORMAT_UNKNOWN. */
ModelFormat format_of_bytes(const unsigned char *bytes, size_t len, uint64_t file_len)
{
    if (len >= 4 && memcmp(bytes, "RGPT", 4) == 0) return FORMAT_BIN;
    if (len >= 9 && bytes[8] == '{' && get_u64(bytes) <= file_len - 8) return FORMAT_SAFETENSORS;
    for (size_t i = 0; i < len; i++) {
        if (bytes[i] == '{') return FORMAT_JSON;
        if (!strchr(" \t\r\n", bytes[i])) break;
    }
    return FORMAT_UNKNOWN;
}

static int unknown_format(const char *path)
{
    return fail("%s: unknown model format; use .bin, .json or .safetensors", path);
}

/* ---- shared helpers ---------------------------------------------------- */

int fail_in_file(const char *name)
{
    char message[1024];
    snprintf(message, sizeof message, "%s", last_error());
    return fail("%s: %s", name, message);
}

int write_floats_le(FILE *fp, const float *src, size_t n, uint32_t *crc, const char *path)
{
    enum { CHUNK = 4096 };
    unsigned char bytes[4 * CHUNK];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        floats_to_le(bytes, src + done, k);
        if (crc) *crc = crc32_update(*crc, bytes, 4 * k);
        if (fwrite(bytes, 4, k, fp) != k)
            return fail("%s: write failed: %s", path, strerror(errno ? errno : EIO));
        done += k;
    }
    return 0;
}

int model_assemble(Model *m, const ModelConfig *c, const char *const *words, int n_words,
                   const char *name)
{
    memset(m, 0, sizeof *m);
    if (n_words != c->vocab_size)
        return fail("%s: the vocabulary has %d words but vocab_size is %d", name, n_words,
                    c->vocab_size);
    Vocab vocab;
    memset(&vocab, 0, sizeof vocab);
    if (vocab_from_words(&vocab, words, n_words) != 0) return fail_in_file(name);
    if (model_create(m, c) != 0) {
        vocab_free(&vocab);
        memset(m, 0, sizeof *m);
        return fail_in_file(name);
    }
    m->vocab = vocab;
    return 0;
}

int model_check_saveable(const Model *m, const char *path)
{
    if (config_validate(&m->config) != 0) return fail_in_file(path);
    if (!m->params || m->n_params != model_param_count(&m->config))
        return fail("%s: the model has no parameter buffer to save", path);
    if (m->tokenizer) {
        int n = rg_tokenizer_n_vocab(m->tokenizer);
        if (n != m->config.vocab_size)
            return fail("%s: the %s tokenizer has %d tokens but vocab_size is %d", path,
                        rg_tokenizer_kind(m->tokenizer), n, m->config.vocab_size);
        return 0;
    }
    if (m->vocab.size != m->config.vocab_size || !m->vocab.words)
        return fail("%s: the vocabulary has %d words but vocab_size is %d", path, m->vocab.size,
                    m->config.vocab_size);
    return 0;
}

int param_count_checked(const ModelConfig *c, size_t *n_params, const char *name)
{
    /* Every tensor has at most M*M elements, M the largest size in the
     * config; with config_validate's limits that bound is below 2^50, so
     * model_param_count's size_t sum cannot overflow when the bound fits. */
    uint64_t biggest = (uint64_t)c->vocab_size;
    uint64_t sizes[] = { (uint64_t)c->seq_len, 3 * (uint64_t)c->d_model, (uint64_t)c->d_hidden };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] > biggest) biggest = sizes[i];
    uint64_t bound = (uint64_t)model_tensor_count(c) * biggest * biggest;
    if (bound > (uint64_t)(SIZE_MAX / (3 * sizeof(float))))
        return fail("%s: a model of this size does not fit in this machine's address space", name);
    *n_params = model_param_count(c);
    return 0;
}

/* ---- save -------------------------------------------------------------- */

/* Write m (and opt, for a .bin checkpoint) to path through the atomic
 * writer. */
static int save_as(const Model *m, const OptimizerState *opt, const char *path, ModelFormat format)
{
    if (model_check_saveable(m, path) != 0) return -1;
    if (m->tokenizer && format != FORMAT_BIN)
        return fail("%s: a model with the %s tokenizer is saved as .bin (.json and .safetensors "
                    "hold the word tokenizer only)", path, rg_tokenizer_kind(m->tokenizer));
    if (format == FORMAT_JSON && json_check_finite(m, path) != 0) return -1;
    AtomicFile file;
    if (atomic_open(&file, path) != 0) return -1;
    int rc;
    switch (format) {
    case FORMAT_BIN: rc = bin_write(m, opt, file.fp, path); break;
    case FORMAT_JSON: rc = json_write(m, file.fp, path); break;
    default: rc = safetensors_write(m, file.fp, path); break;
    }
    if (rc != 0) {
        atomic_abort(&file);
        return -1;
    }
    return atomic_commit(&file);
}

int model_save_as(const Model *m, const char *path, ModelFormat format)
{
    if (format == FORMAT_UNKNOWN) return unknown_format(path);
    return save_as(m, NULL, path, format);
}

int model_save(const Model *m, const char *path)
{
    ModelFormat format = model_format_of(path);
    if (format == FORMAT_UNKNOWN) return unknown_format(path);
    return save_as(m, NULL, path, format);
}

int checkpoint_save(const Model *m, const OptimizerState *opt, const char *path)
{
    if (model_format_of(path) != FORMAT_BIN)
        return fail("%s: a training checkpoint must be a .bin file", path);
    if (!opt || !opt->adam_m || !opt->adam_v)
        return fail("%s: no optimizer state to save", path);
    return save_as(m, opt, path, FORMAT_BIN);
}

/* ---- load -------------------------------------------------------------- */

static int load_file(Model *m, OptimizerState *opt, const char *path)
{
    memset(m, 0, sizeof *m);
    if (opt) memset(opt, 0, sizeof *opt);
    size_t len;
    char *bytes = read_whole_file(path, &len);
    if (!bytes) return -1;
    const unsigned char *ubytes = (const unsigned char *)bytes;
    ModelFormat format = format_of_bytes(ubytes, len, len);
    if (format == FORMAT_UNKNOWN) format = model_format_of(path);
    int rc;
    if (opt && format != FORMAT_BIN)
        rc = fail("%s: a training checkpoint must be a .bin file", path);
    else if (format == FORMAT_BIN)
        rc = model_load_bin_buffer(m, opt, path, ubytes, len);
    else if (format == FORMAT_JSON)
        rc = model_load_json_buffer(m, path, bytes, len);
    else if (format == FORMAT_SAFETENSORS)
        rc = model_load_safetensors_buffer(m, path, ubytes, len);
    else
        rc = unknown_format(path);
    free(bytes);
    return rc;
}

int model_load(Model *m, const char *path) { return load_file(m, NULL, path); }

int checkpoint_load(Model *m, OptimizerState *opt, const char *path)
{
    return load_file(m, opt, path);
}

/* ---- info -------------------------------------------------------------- */

void summary_print(const ModelFileSummary *s, const char *path, FILE *out)
{
    char params[32], bytes[32], step[32];
    const ModelConfig *c = &s->config;
    fprintf(out, "file: %s\n", path);
    fprintf(out, "format: %s\n", s->format);
    fprintf(out, "version: %u\n", s->version);
    fprintf(out, "vocab_size: %d\n", c->vocab_size);
    fprintf(out, "d_model: %d\n", c->d_model);
    fprintf(out, "n_heads: %d\n", c->n_heads);
    fprintf(out, "d_hidden: %d\n", c->d_hidden);
    fprintf(out, "n_layers: %d\n", c->n_layers);
    fprintf(out, "seq_len: %d\n", c->seq_len);
    if (c->variant != GPT_RUSTGPT) fprintf(out, "variant: %s\n", model_variant_name(c->variant));
    fprintf(out, "vocabulary: %d words%s\n", s->vocab_words, s->vocab_lowercase ? ", lowercase" : "");
    fprintf(out, "parameters: %s\n", with_commas(params, s->n_params));
    fprintf(out, "file size: %s bytes\n", with_commas(bytes, s->file_size));
    fprintf(out, "checksum: %s\n", s->checksum);
    if (s->has_optimizer)
        fprintf(out, "optimizer state: yes (step %s, stage %u, epoch %u)\n",
                with_commas(step, s->step), (unsigned)s->stage, (unsigned)s->epoch);
    else
        fprintf(out, "optimizer state: no\n");
}

/* JSON has no header to read on its own: load (and so validate) it all. */
static int json_summary(const char *path, ModelFileSummary *s)
{
    Model m;
    if (model_load(&m, path) != 0) return -1;
    s->format = "json";
    s->version = MODELFILE_VERSION;
    s->config = m.config;
    s->vocab_words = m.vocab.size;
    s->vocab_lowercase = m.vocab.lowercase;
    s->n_params = m.n_params;
    s->checksum = "n/a (the JSON format has none)";
    model_free(&m);
    return 0;
}

int model_file_info(const char *path, FILE *out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return fail("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return fail("%s: not a regular file", path);
    }
    unsigned char head[16];
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    ModelFormat format = format_of_bytes(head, got, (uint64_t)st.st_size);
    if (format == FORMAT_UNKNOWN) format = model_format_of(path);
    ModelFileSummary s;
    memset(&s, 0, sizeof s);
    int rc;
    switch (format) {
    case FORMAT_BIN: rc = bin_summary(path, &s); break;
    case FORMAT_JSON: rc = json_summary(path, &s); break;
    case FORMAT_SAFETENSORS: rc = safetensors_summary(path, &s); break;
    default: rc = unknown_format(path); break;
    }
    if (rc != 0) return -1;
    s.file_size = (unsigned long long)st.st_size;
    summary_print(&s, path, out);
    return 0;
}
