/*
 * modelfile_json.c — the model as JSON text (.json), for reading with eyes or
 * with any language's JSON library.
 *
 *   {
 *     "format": "rustgpt",
 *     "version": 1,
 *     "config": {"vocab_size": 7, "d_model": 4, "n_heads": 2, "d_hidden": 8,
 *                "n_layers": 1, "seq_len": 4},   (+ "variant": "gpt2",
 *                                                   "lowercase": true when so)
 *     "vocab": ["<pad>", "<unk>", "</s>", "a", ...],
 *     "tensors": {
 *       "tok_emb.weight": {"shape": [7, 4], "data": [
 *         0.0123, -0.00456, 0.0312, 0.00077,        one row of [V,d] a line
 *         ...]},
 *       "blocks.0.ln1.weight": {"shape": [4], "data": [1, 1, 1, 1]},
 *       ...
 *     }
 *   }
 *
 * Tensors come in model_tensor_info() order, named as DESIGN.md §2 names
 * them; data is the tensor flattened row-major. Floats are printed with
 * "%.9g": nine significant digits identify every binary32 value, so
 * reading the text back (strtod, then rounding to float — the decimal is
 * never close enough to a halfway point for the double rounding to matter)
 * gives the same bits. JSON has no NaN or infinity, so a model holding one
 * is refused on save with a message naming the tensor and element; the
 * .bin and .safetensors formats store such values exactly.
 *
 * Loading (with cJSON) checks everything against the config: every tensor
 * must be present once with exactly its shape and element count, every
 * element a number within float range; an unknown tensor name is an error.
 * Unknown top-level keys are ignored. The element counts are checked before
 * the parameter buffer is allocated, so its size is bounded by the text's.
 */
#include "formats/modelfile.h"
#include "formats/modelfile_internal.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const config_fields[6] = { "vocab_size", "d_model", "n_heads",
                                              "d_hidden", "n_layers", "seq_len" };

/* ---- writing ----------------------------------------------------------- */

int json_check_finite(const Model *m, const char *path)
{
    for (size_t i = 0; i < m->n_params; i++) {
        if (isfinite(m->params[i])) continue;
        for (int t = 0; t < model_tensor_count(&m->config); t++) {
            TensorInfo info = model_tensor_info(&m->config, t);
            if (i >= info.offset && i < info.offset + info.numel)
                return fail("%s: tensor %s element %zu is %s; JSON cannot store it "
                            "(save as .bin or .safetensors)", path, info.name, i - info.offset,
                            isnan(m->params[i]) ? "NaN" : "infinite");
        }
    }
    return 0;
}

/* A JSON string literal: quotes, backslashes and control bytes escaped,
 * everything else (UTF-8 included) as it is. */
static void write_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(fp, "\\%c", *p);
        else if (*p < 0x20) fprintf(fp, "\\u%04x", *p);
        else fputc(*p, fp);
    }
    fputc('"', fp);
}

/* "%.9g", with the decimal point forced to '.' whatever the locale. */
static void write_float(FILE *fp, float value)
{
    char text[32];
    snprintf(text, sizeof text, "%.9g", (double)value);
    for (char *p = text; *p; p++)
        if (*p == ',') *p = '.';
    fputs(text, fp);
}

static void write_tensor(FILE *fp, const Model *m, const TensorInfo *t, int last)
{
    fprintf(fp, "    \"%s\": {\"shape\": [%d", t->name, t->shape[0]);
    if (t->ndim == 2) fprintf(fp, ", %d", t->shape[1]);
    fputs("], \"data\": [", fp);
    const float *data = m->params + t->offset;
    size_t row = t->ndim == 2 ? (size_t)t->shape[1] : t->numel;
    for (size_t i = 0; i < t->numel; i++) {
        if (t->ndim == 2 && i % row == 0) fputs("\n      ", fp);
        write_float(fp, data[i]);
        if (i + 1 < t->numel) fputs(i % row == row - 1 ? "," : ", ", fp);
    }
    fprintf(fp, "]}%s\n", last ? "" : ",");
}

int json_write(const Model *m, FILE *fp, const char *path)
{
    const ModelConfig *c = &m->config;
    const int values[6] = { c->vocab_size, c->d_model, c->n_heads,
                            c->d_hidden, c->n_layers, c->seq_len };
    fprintf(fp, "{\n  \"format\": \"rustgpt\",\n  \"version\": %d,\n  \"config\": {",
            MODELFILE_VERSION);
    for (int i = 0; i < 6; i++)
        fprintf(fp, "%s\"%s\": %d", i ? ", " : "", config_fields[i], values[i]);
    if (c->variant != GPT_RUSTGPT) fprintf(fp, ", \"variant\": \"%s\"", model_variant_name(c->variant));
    if (m->vocab.lowercase) fputs(", \"lowercase\": true", fp);
    fputs("},\n  \"vocab\": [", fp);
    size_t line = 0;
    for (int i = 0; i < m->vocab.size; i++) {
        if (i > 0) fputs(",", fp);
        size_t width = strlen(m->vocab.words[i]) + 4;
        if (line + width > 90) {
            fputs("\n    ", fp);
            line = 0;
        } else if (i > 0) {
            fputc(' ', fp);
        }
        write_json_string(fp, m->vocab.words[i]);
        line += width;
    }
    fputs("],\n  \"tensors\": {\n", fp);
    int n = model_tensor_count(c);
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        TensorInfo t = model_tensor_info(c, i);
        if (t.offset != offset) return fail("%s: internal error: tensor layout", path);
        write_tensor(fp, m, &t, i == n - 1);
        offset += t.numel;
    }
    fputs("  }\n}\n", fp);
    if (ferror(fp)) return fail("%s: write failed: %s", path, strerror(errno ? errno : EIO));
    return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* A JSON number that is an integer in [0, INT_MAX]. */
static int json_to_int(const cJSON *item, int *out)
{
    if (!cJSON_IsNumber(item)) return -1;
    double v = item->valuedouble;
    if (!(v >= 0 && v <= INT_MAX) || v != floor(v)) return -1;
    *out = (int)v;
    return 0;
}

/* The line of byte offset `at` in text, for parse error messages. */
static int line_of(const char *text, size_t len, size_t at)
{
    int line = 1;
    for (size_t i = 0; i < at && i < len; i++) line += text[i] == '\n';
    return line;
}

static int read_header(const cJSON *root, ModelConfig *c, const char *name)
{
    if (!cJSON_IsObject(root)) return fail("%s: expected a JSON object at the top", name);
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "rustgpt") != 0)
        return fail("%s: not a rustgpt model (\"format\" is not \"rustgpt\")", name);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    int v;
    if (json_to_int(version, &v) != 0) return fail("%s: \"version\" must be an integer", name);
    if (v > MODELFILE_VERSION)
        return fail("%s: format version %d is newer than this rustgpt reads (%d)", name, v,
                    MODELFILE_VERSION);
    if (v != MODELFILE_VERSION) return fail("%s: unsupported format version %d", name, v);

    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (!cJSON_IsObject(config)) return fail("%s: \"config\" must be an object", name);
    int values[6];
    for (int i = 0; i < 6; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(config, config_fields[i]);
        if (!item) return fail("%s: config.%s is missing", name, config_fields[i]);
        if (json_to_int(item, &values[i]) != 0)
            return fail("%s: config.%s must be a non-negative integer", name, config_fields[i]);
    }
    *c = (ModelConfig){ .vocab_size = values[0], .d_model = values[1], .n_heads = values[2],
                        .d_hidden = values[3], .n_layers = values[4], .seq_len = values[5] };
    const cJSON *variant = cJSON_GetObjectItemCaseSensitive(config, "variant");
    if (variant && (!cJSON_IsString(variant) || (c->variant = model_variant_parse(variant->valuestring)) < 0))
        return fail("%s: config.variant must be \"rustgpt\" or \"gpt2\"", name);
    if (config_validate(c) != 0) return fail_in_file(name);
    return 0;
}

/* words[i] = the vocabulary's strings (pointers into the cJSON tree). */
static int read_vocab(const cJSON *root, const ModelConfig *c, const char ***words,
                      const char *name)
{
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(root, "vocab");
    if (!cJSON_IsArray(vocab)) return fail("%s: \"vocab\" must be an array of strings", name);
    int n = cJSON_GetArraySize(vocab);
    if (n != c->vocab_size)
        return fail("%s: \"vocab\" has %d words but vocab_size is %d", name, n, c->vocab_size);
    *words = xmalloc((size_t)n, sizeof **words);
    if (!*words) return -1;
    int i = 0;
    for (const cJSON *item = vocab->child; item; item = item->next, i++) {
        if (!cJSON_IsString(item)) {
            free(*words);
            *words = NULL;
            return fail("%s: vocabulary entry %d is not a string", name, i);
        }
        (*words)[i] = item->valuestring;
    }
    return 0;
}

/* Find each tensor's object in "tensors" (found[i] for model_tensor_info
 * index i) and check its shape and element count. */
static int match_tensors(const cJSON *tensors, const TensorInfo *infos, int n,
                         const cJSON **found, const char *name)
{
    for (const cJSON *item = tensors->child; item; item = item->next) {
        int index = -1;
        for (int i = 0; i < n && index < 0; i++)
            if (strcmp(infos[i].name, item->string) == 0) index = i;
        if (index < 0) return fail("%s: unknown tensor \"%s\"", name, item->string);
        const TensorInfo *t = &infos[index];
        if (found[index]) return fail("%s: tensor %s appears twice", name, t->name);
        found[index] = item;
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(item, "data");
        int ok = cJSON_IsArray(shape) && cJSON_GetArraySize(shape) == t->ndim;
        for (int k = 0; ok && k < t->ndim; k++) {
            int dim;
            ok = json_to_int(cJSON_GetArrayItem(shape, k), &dim) == 0 && dim == t->shape[k];
        }
        if (!ok) {
            char want[48];
            if (t->ndim == 2) snprintf(want, sizeof want, "[%d, %d]", t->shape[0], t->shape[1]);
            else snprintf(want, sizeof want, "[%d]", t->shape[0]);
            return fail("%s: tensor %s: \"shape\" must be %s", name, t->name, want);
        }
        if (!cJSON_IsArray(data))
            return fail("%s: tensor %s: \"data\" must be an array", name, t->name);
        size_t count = 0;
        for (const cJSON *x = data->child; x; x = x->next) count++;
        if (count != t->numel)
            return fail("%s: tensor %s: \"data\" has %zu numbers, its shape needs %zu", name,
                        t->name, count, t->numel);
    }
    for (int i = 0; i < n; i++)
        if (!found[i]) return fail("%s: tensor %s is missing", name, infos[i].name);
    return 0;
}

/* A JSON number to the float it names; values beyond FLT_MAX that still
 * round to it are accepted (that is how "%.9g" prints FLT_MAX). */
static int json_to_float(const cJSON *item, float *out)
{
    if (!cJSON_IsNumber(item)) return -1;
    double v = item->valuedouble;
    if (!isfinite(v)) return -1;
    if (fabs(v) > FLT_MAX) {
        if (fabs(v) >= (double)FLT_MAX + ldexp(1.0, 103)) return -1;   /* rounds to inf */
        v = v < 0 ? -FLT_MAX : FLT_MAX;
    }
    *out = (float)v;
    return 0;
}

static int fill_tensors(Model *m, const TensorInfo *infos, int n, const cJSON **found,
                        const char *name)
{
    for (int i = 0; i < n; i++) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(found[i], "data");
        float *to = m->params + infos[i].offset;
        size_t k = 0;
        for (const cJSON *x = data->child; x; x = x->next, k++)
            if (json_to_float(x, &to[k]) != 0)
                return fail("%s: tensor %s element %zu is not a finite float", name,
                            infos[i].name, k);
    }
    return 0;
}

int model_load_json_buffer(Model *m, const char *name, const char *text, size_t len)
{
    memset(m, 0, sizeof *m);
    if (len == 0) return fail("%s: empty file", name);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        if (at >= len) return fail("%s: truncated: the JSON text ends early", name);
        return fail("%s:%d: not valid JSON", name, line_of(text, len, at));
    }
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    while (at < len && strchr(" \t\r\n", text[at]) && text[at]) at++;
    if (at < len) {
        cJSON_Delete(root);
        return fail("%s:%d: unexpected text after the JSON value", name, line_of(text, len, at));
    }

    ModelConfig c;
    const char **words = NULL;
    TensorInfo *infos = NULL;
    const cJSON **found = NULL;
    int rc = -1;
    if (read_header(root, &c, name) != 0 || read_vocab(root, &c, &words, name) != 0) goto done;
    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(root, "tensors");
    if (!cJSON_IsObject(tensors)) {
        fail("%s: \"tensors\" must be an object", name);
        goto done;
    }
    int n = model_tensor_count(&c);
    infos = xmalloc((size_t)n, sizeof *infos);
    found = xcalloc((size_t)n, sizeof *found);
    if (!infos || !found) goto done;
    for (int i = 0; i < n; i++) infos[i] = model_tensor_info(&c, i);
    if (match_tensors(tensors, infos, n, found, name) != 0) goto done;
    const cJSON *lowercase = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "config"),
                                                              "lowercase");
    if (lowercase && !cJSON_IsBool(lowercase)) {
        fail("%s: config.lowercase must be true or false", name);
        goto done;
    }
    if (model_assemble(m, &c, words, c.vocab_size, name) != 0) goto done;
    m->vocab.lowercase = cJSON_IsTrue(lowercase);
    if (fill_tensors(m, infos, n, found, name) != 0) {
        model_free(m);
        goto done;
    }
    rc = 0;
done:
    free(words);
    free(infos);
    free(found);
    cJSON_Delete(root);
    return rc;
}
