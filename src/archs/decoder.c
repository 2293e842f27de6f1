/*
 * decoder.c — building a decoder_model (decoder.h) from an rg_source: the
 * hyper-parameters from the "<arch>.*" keys, with llama.cpp's defaults, and
 * the tensors by their GGUF names, each checked for shape and type before
 * the forward pass trusts it. Matrices are referenced in place; the small
 * float vectors (norms, biases) are converted once.
 */
#include "archs/decoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/quant.h"
#include "core/util.h"

/* ---- keys -------------------------------------------------------------- */

static int key_int(const rg_source *src, const char *arch, const char *suffix, int64_t *out,
                   int required)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    rg_status st = rg_source_int(src, key, out);
    if (st == RG_OK) return 1;
    if (st == RG_ERR_NOT_FOUND && !required) return 0;
    if (st == RG_ERR_NOT_FOUND) return fail("model: the key %s is missing", key);
    return fail("model: the key %s is not an integer", key);
}

static int key_float(const rg_source *src, const char *arch, const char *suffix, double *out,
                     int required)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    rg_status st = rg_source_float(src, key, out);
    if (st == RG_OK) return 1;
    if (st == RG_ERR_NOT_FOUND && !required) return 0;
    if (st == RG_ERR_NOT_FOUND) return fail("model: the key %s is missing", key);
    return fail("model: the key %s is not a number", key);
}

static int positive_int32(int64_t v, const char *what, int64_t max, int32_t *out)
{
    if (v <= 0 || v > max) return fail("model: %s = %lld is out of range (1..%lld)", what,
                                       (long long)v, (long long)max);
    *out = (int32_t)v;
    return 0;
}

int decoder_read_hparams(decoder_model *m, const rg_source *src, const char *arch)
{
    int64_t v;
    double f;
    if (key_int(src, arch, "context_length", &v, 1) < 0 ||
        positive_int32(v, "context_length", 1 << 24, &m->n_ctx_train) < 0) return -1;
    if (key_int(src, arch, "embedding_length", &v, 1) < 0 ||
        positive_int32(v, "embedding_length", 1 << 16, &m->d_model) < 0) return -1;
    if (key_int(src, arch, "block_count", &v, 1) < 0 ||
        positive_int32(v, "block_count", 1024, &m->n_layers) < 0) return -1;
    if (key_int(src, arch, "feed_forward_length", &v, 1) < 0 ||
        positive_int32(v, "feed_forward_length", 1 << 20, &m->d_ff) < 0) return -1;
    if (key_int(src, arch, "attention.head_count", &v, 1) < 0 ||
        positive_int32(v, "attention.head_count", 4096, &m->n_head) < 0) return -1;
    int r = key_int(src, arch, "attention.head_count_kv", &v, 0);
    if (r < 0) return -1;
    if (r == 0) v = m->n_head;
    if (positive_int32(v, "attention.head_count_kv", m->n_head, &m->n_head_kv) < 0) return -1;
    if (m->n_head % m->n_head_kv != 0)
        return fail("model: %d attention heads cannot share %d key/value heads evenly",
                    m->n_head, m->n_head_kv);

    /* The head width: key_length when given, else d_model / n_head. */
    r = key_int(src, arch, "attention.key_length", &v, 0);
    if (r < 0) return -1;
    if (r == 0) {
        if (m->d_model % m->n_head != 0)
            return fail("model: embedding_length %d is not a multiple of head_count %d",
                        m->d_model, m->n_head);
        v = m->d_model / m->n_head;
    }
    if (positive_int32(v, "attention.key_length", 1 << 14, &m->head_dim) < 0) return -1;
    int64_t value_length;
    r = key_int(src, arch, "attention.value_length", &value_length, 0);
    if (r < 0) return -1;
    if (r == 1 && value_length != m->head_dim)
        return fail("model: attention.value_length %lld differs from key_length %d "
                    "(not supported)", (long long)value_length, m->head_dim);

    /* Rotary embeddings. */
    r = key_int(src, arch, "rope.dimension_count", &v, 0);
    if (r < 0) return -1;
    if (r == 0) v = m->head_dim;
    if (v < 0 || v > m->head_dim || v % 2 != 0)
        return fail("model: rope.dimension_count %lld must be even and at most the head "
                    "width %d", (long long)v, m->head_dim);
    m->n_rot = (int32_t)v;
    m->rope_base = 10000.0f;
    if ((r = key_float(src, arch, "rope.freq_base", &f, 0)) < 0) return -1;
    if (r == 1) m->rope_base = (float)f;
    if (!(m->rope_base > 0.0f)) return fail("model: rope.freq_base must be positive");
    m->rope_freq_scale = 1.0f;
    char key[160];
    const char *scaling = NULL;
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    if (rg_source_string(src, key, &scaling, NULL) == RG_OK && strcmp(scaling, "none") != 0 &&
        strcmp(scaling, "linear") != 0)
        return fail("model: rope scaling \"%s\" is not supported (none and linear are)", scaling);
    if ((r = key_float(src, arch, "rope.scaling.factor", &f, 0)) < 0) return -1;
    if (r == 0 && (r = key_float(src, arch, "rope.scale_linear", &f, 0)) < 0) return -1;
    if (r == 1 && f > 0.0 && (!scaling || strcmp(scaling, "none") != 0))
        m->rope_freq_scale = (float)(1.0 / f);
    return 0;
}

/* ---- tensors ------------------------------------------------------------ */

static const char *shape_text(char *buf, size_t cap, const rg_tensor *t)
{
    int n = snprintf(buf, cap, "[");
    for (int i = 0; i < t->n_dims && n < (int)cap; i++)
        n += snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    if (n < (int)cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

/* The tensor must hold rows x cols values, row length cols (GGUF dims
 * {cols, rows}, or {cols} for rows == 1). */
static const rg_tensor *get_tensor(const rg_source *src, const char *name, int64_t rows,
                                   int64_t cols, int optional, int *missing)
{
    *missing = 0;
    const rg_tensor *t = rg_source_tensor(src, name);
    if (!t) {
        *missing = 1;
        if (!optional) fail("model: the tensor %s is missing", name);
        return NULL;
    }
    int64_t t_rows = 1;
    for (int i = 1; i < t->n_dims; i++) t_rows *= t->dims[i];
    if (t->n_dims < 1 || t->dims[0] != cols || t_rows != rows) {
        char buf[96];
        fail("model: tensor %s has shape %s, expected [%lld, %lld]", name,
             shape_text(buf, sizeof buf, t), (long long)cols, (long long)rows);
        return NULL;
    }
    size_t row_bytes = quant_row_bytes(t->type, cols);
    if (row_bytes == 0) {
        const char *type_name = quant_type_name(t->type);
        if (type_name)
            fail("model: tensor %s: rows of %lld values cannot be stored as %s", name,
                 (long long)cols, type_name);
        else
            fail("model: tensor %s has the unknown type %d", name, (int)t->type);
        return NULL;
    }
    if (t->n_bytes / row_bytes != (size_t)rows || t->n_bytes % row_bytes != 0) {
        fail("model: tensor %s holds %zu bytes, expected %zu", name, t->n_bytes,
             row_bytes * (size_t)rows);
        return NULL;
    }
    return t;
}

int decoder_get_linear(decoder_model *m, const rg_source *src, decoder_linear *out,
                       const char *name, const char *bias_name, int64_t rows, int64_t cols,
                       int optional)
{
    memset(out, 0, sizeof *out);
    int missing;
    const rg_tensor *t = get_tensor(src, name, rows, cols, optional, &missing);
    if (!t) return missing && optional ? 0 : -1;
    if (!quant_type_has_matvec(t->type))
        return fail("model: tensor %s is of type %s, which has no matrix product", name,
                    quant_type_name(t->type) ? quant_type_name(t->type) : "?");
    out->type = t->type;
    out->data = t->data;
    out->rows = rows;
    out->cols = cols;
    m->n_params += (uint64_t)(rows * cols);
    if (bias_name && decoder_get_vector(m, src, &out->bias, bias_name, rows, 0) < 0) return -1;
    return 0;
}

int decoder_get_vector(decoder_model *m, const rg_source *src, const float **out,
                       const char *name, int64_t n, int optional)
{
    *out = NULL;
    int missing;
    const rg_tensor *t = get_tensor(src, name, 1, n, optional, &missing);
    if (!t) return missing && optional ? 0 : -1;
    float **owned = realloc(m->owned, (size_t)(m->n_owned + 1) * sizeof *owned);
    if (!owned) return fail("out of memory for the model's vectors");
    m->owned = owned;
    float *v = xmalloc((size_t)n, sizeof *v);
    if (!v) return -1;
    quant_dequantize_row(t->type, t->data, v, n);
    m->owned[m->n_owned++] = v;
    m->n_params += (uint64_t)n;
    *out = v;
    return 0;
}

void decoder_model_free(decoder_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    free(m);
}

void decoder_destroy(void *model_state) { decoder_model_free(model_state); }

void decoder_fill_info(const decoder_model *m, rg_model_info *info)
{
    info->n_vocab = m->n_vocab;
    info->n_ctx = m->n_ctx_train;
    info->d_model = m->d_model;
    info->n_layers = m->n_layers;
    info->n_heads = m->n_head;
    info->n_embd = m->d_model;
    info->n_params = m->n_params;
    info->causal = 1;
    info->can_generate = 1;
    info->can_train = 0;
}
