/*
 * modelfile_safetensors.c — the public exchange format (.safetensors), which
 * Python's safetensors, PyTorch, JAX and others load without rustgpt.
 *
 *   bytes 0..8        N, uint64 little-endian: the header's length
 *   bytes 8..8+N      the header: a JSON object, padded with spaces so that
 *                     8+N is a multiple of 8 (the data starts aligned)
 *   bytes 8+N..end    the data: every tensor's floats (F32, little-endian),
 *                     back to back
 *
 * The header maps each tensor name (DESIGN.md §2) to
 *   {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}
 * with offsets in bytes from the start of the data; rustgpt writes them in
 * model_tensor_info() order, contiguous. "__metadata__" holds what the
 * tensors cannot say, all as strings (the format requires string values):
 *   "format": "pt", "rustgpt_version": "1", "vocab_size": "7", "d_model",
 *   "n_heads", "d_hidden", "n_layers", "seq_len" likewise, and "vocab": the
 *   vocabulary as a JSON array written into a string; "variant": "gpt2"
 *   and "lowercase": "true" (train --lowercase) only when so.
 *
 * Loading checks N against the file, every tensor's dtype, shape and byte
 * size, that the tensors tile the data area exactly (in any order, without
 * gaps or overlaps), and that the data area ends at the end of the file.
 * `rustgpt info` reads only the header.
 */
#include "formats/modelfile.h"
#include "formats/modelfile_internal.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const config_fields[6] = { "vocab_size", "d_model", "n_heads",
                                              "d_hidden", "n_layers", "seq_len" };

/* ---- writing ----------------------------------------------------------- */

/* The header JSON, unpadded; NULL after fail(). Free with cJSON_free(). */
static char *build_header(const Model *m)
{
    const ModelConfig *c = &m->config;
    const int values[6] = { c->vocab_size, c->d_model, c->n_heads,
                            c->d_hidden, c->n_layers, c->seq_len };
    char *text = NULL, *vocab_text = NULL;
    cJSON *header = cJSON_CreateObject();
    cJSON *vocab = cJSON_CreateStringArray((const char *const *)m->vocab.words, m->vocab.size);
    if (!header || !vocab) goto done;
    vocab_text = cJSON_PrintUnformatted(vocab);
    cJSON *meta = cJSON_AddObjectToObject(header, "__metadata__");
    if (!vocab_text || !meta || !cJSON_AddStringToObject(meta, "format", "pt")) goto done;
    char number[32];
    snprintf(number, sizeof number, "%d", MODELFILE_VERSION);
    if (!cJSON_AddStringToObject(meta, "rustgpt_version", number)) goto done;
    for (int i = 0; i < 6; i++) {
        snprintf(number, sizeof number, "%d", values[i]);
        if (!cJSON_AddStringToObject(meta, config_fields[i], number)) goto done;
    }
    if (c->variant != GPT_RUSTGPT && !cJSON_AddStringToObject(meta, "variant", model_variant_name(c->variant)))
        goto done;
    if (m->vocab.lowercase && !cJSON_AddStringToObject(meta, "lowercase", "true")) goto done;
    if (!cJSON_AddStringToObject(meta, "vocab", vocab_text)) goto done;
    for (int i = 0; i < model_tensor_count(c); i++) {
        TensorInfo t = model_tensor_info(c, i);
        cJSON *entry = cJSON_AddObjectToObject(header, t.name);
        cJSON *shape = cJSON_CreateIntArray(t.shape, t.ndim);
        double offsets[2] = { 4.0 * (double)t.offset, 4.0 * (double)(t.offset + t.numel) };
        cJSON *range = cJSON_CreateDoubleArray(offsets, 2);
        if (!entry || !cJSON_AddStringToObject(entry, "dtype", "F32")) {
            cJSON_Delete(shape);
            cJSON_Delete(range);
            goto done;
        }
        if (shape) cJSON_AddItemToObject(entry, "shape", shape);
        if (range) cJSON_AddItemToObject(entry, "data_offsets", range);
        if (!shape || !range) goto done;
    }
    text = cJSON_PrintUnformatted(header);
done:
    if (!text) fail("out of memory building the safetensors header");
    cJSON_free(vocab_text);
    cJSON_Delete(vocab);
    cJSON_Delete(header);
    return text;
}

int safetensors_write(const Model *m, FILE *fp, const char *path)
{
    char *header = build_header(m);
    if (!header) return fail_in_file(path);
    size_t n = strlen(header);
    size_t padded = (n + 7) / 8 * 8;     /* 8 + padded is then a multiple of 8 */
    unsigned char length[8];
    put_u64(length, padded);
    fwrite(length, 1, 8, fp);
    fwrite(header, 1, n, fp);
    for (size_t i = n; i < padded; i++) fputc(' ', fp);
    cJSON_free(header);
    if (write_floats_le(fp, m->params, m->n_params, NULL, path) != 0) return -1;
    if (ferror(fp)) return fail("%s: write failed: %s", path, strerror(errno ? errno : EIO));
    return 0;
}

/* ---- reading the header ------------------------------------------------ */

typedef struct {
    ModelConfig config;
    cJSON *root;            /* the parsed header                            */
    cJSON *vocab;           /* the vocabulary, parsed out of its string     */
    size_t n_params;
    size_t *begin;          /* [n_tensors]: byte offset in the data area    */
    int lowercase;          /* "lowercase": "true"                          */
} Header;

static void header_free(Header *h)
{
    cJSON_Delete(h->root);
    cJSON_Delete(h->vocab);
    free(h->begin);
    memset(h, 0, sizeof *h);
}

/* A metadata string that is a decimal integer in [0, 999999999]. */
static int metadata_int(const cJSON *meta, const char *key, int *out, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, key);
    if (!item)
        return fail("%s: __metadata__ has no \"%s\" (not a rustgpt export?)", name, key);
    const char *s = cJSON_GetStringValue(item);
    size_t n = s ? strlen(s) : 0;
    int ok = n > 0 && n <= 9;
    for (size_t i = 0; ok && i < n; i++) ok = s[i] >= '0' && s[i] <= '9';
    if (!ok) return fail("%s: __metadata__ \"%s\" must be a decimal number in a string", name, key);
    *out = atoi(s);
    return 0;
}

static int read_metadata(Header *h, const char *name)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(h->root, "__metadata__");
    if (!cJSON_IsObject(meta))
        return fail("%s: no __metadata__ with the config and vocabulary (not a rustgpt export?)",
                    name);
    if (cJSON_GetObjectItemCaseSensitive(meta, "rustgpt_version")) {
        int version;
        if (metadata_int(meta, "rustgpt_version", &version, name) != 0) return -1;
        if (version > MODELFILE_VERSION)
            return fail("%s: format version %d is newer than this rustgpt reads (%d)", name,
                        version, MODELFILE_VERSION);
    }
    int values[6];
    for (int i = 0; i < 6; i++)
        if (metadata_int(meta, config_fields[i], &values[i], name) != 0) return -1;
    h->config = (ModelConfig){ .vocab_size = values[0], .d_model = values[1],
                               .n_heads = values[2], .d_hidden = values[3],
                               .n_layers = values[4], .seq_len = values[5] };
    const cJSON *variant = cJSON_GetObjectItemCaseSensitive(meta, "variant");
    if (variant && (!cJSON_IsString(variant) || (h->config.variant = model_variant_parse(variant->valuestring)) < 0))
        return fail("%s: __metadata__ \"variant\" must be \"rustgpt\" or \"gpt2\"", name);
    const cJSON *lowercase = cJSON_GetObjectItemCaseSensitive(meta, "lowercase");
    const char *lower_text = cJSON_GetStringValue(lowercase);
    if (lowercase && (!lower_text || (strcmp(lower_text, "true") != 0 && strcmp(lower_text, "false") != 0)))
        return fail("%s: __metadata__ \"lowercase\" must be \"true\" or \"false\"", name);
    h->lowercase = lower_text && strcmp(lower_text, "true") == 0;
    if (config_validate(&h->config) != 0) return fail_in_file(name);
    const char *vocab_text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "vocab"));
    if (!vocab_text) return fail("%s: __metadata__ has no \"vocab\" string", name);
    h->vocab = cJSON_Parse(vocab_text);
    if (!cJSON_IsArray(h->vocab))
        return fail("%s: __metadata__ \"vocab\" must hold a JSON array of strings", name);
    int n = 0;
    for (const cJSON *w = h->vocab->child; w; w = w->next, n++)
        if (!cJSON_IsString(w))
            return fail("%s: __metadata__ \"vocab\": entry %d is not a string", name, n);
    if (n != h->config.vocab_size)
        return fail("%s: the vocabulary has %d words but vocab_size is %d", name, n,
                    h->config.vocab_size);
    return 0;
}

/* A data_offsets entry: an integer in [0, 2^53]. */
static int offset_value(const cJSON *item, size_t *out)
{
    if (!cJSON_IsNumber(item)) return -1;
    double v = item->valuedouble;
    if (!(v >= 0 && v <= 9007199254740992.0) || v != floor(v)) return -1;
    *out = (size_t)v;
    return 0;
}

/* Check one tensor entry against what the config says it must be. */
static int check_entry(const cJSON *entry, const TensorInfo *t, size_t data_len, size_t *begin,
                       const char *name)
{
    if (!cJSON_IsObject(entry)) return fail("%s: tensor %s: expected an object", name, t->name);
    const char *dtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "dtype"));
    if (!dtype || strcmp(dtype, "F32") != 0)
        return fail("%s: tensor %s: dtype %s; rustgpt reads only F32", name, t->name,
                    dtype ? dtype : "missing");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    int ok = cJSON_IsArray(shape) && cJSON_GetArraySize(shape) == t->ndim;
    for (int k = 0; ok && k < t->ndim; k++) {
        size_t dim;
        ok = offset_value(cJSON_GetArrayItem(shape, k), &dim) == 0 && dim == (size_t)t->shape[k];
    }
    if (!ok) {
        if (t->ndim == 2)
            return fail("%s: tensor %s: shape must be [%d, %d]", name, t->name, t->shape[0],
                        t->shape[1]);
        return fail("%s: tensor %s: shape must be [%d]", name, t->name, t->shape[0]);
    }
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    size_t b, e;
    if (!cJSON_IsArray(range) || cJSON_GetArraySize(range) != 2 ||
        offset_value(cJSON_GetArrayItem(range, 0), &b) != 0 ||
        offset_value(cJSON_GetArrayItem(range, 1), &e) != 0 || b > e)
        return fail("%s: tensor %s: data_offsets must be [begin, end]", name, t->name);
    if (e > data_len)
        return fail("%s: tensor %s: data_offsets [%zu, %zu] go past the data's %zu bytes", name,
                    t->name, b, e, data_len);
    if (e - b != 4 * t->numel)
        return fail("%s: tensor %s: data_offsets [%zu, %zu] hold %zu bytes, its shape needs %zu",
                    name, t->name, b, e, e - b, 4 * t->numel);
    *begin = b;
    return 0;
}

typedef struct { size_t begin, end; } ByteRange;

static int compare_ranges(const void *a, const void *b)
{
    size_t x = ((const ByteRange *)a)->begin, y = ((const ByteRange *)b)->begin;
    return x < y ? -1 : x > y;
}

/* Every tensor present once and valid, and together tiling the data area
 * [0, data_len): sorted by begin, each must start where the previous one
 * ended, the first at 0 and the last ending at data_len. */
static int read_tensors(Header *h, size_t data_len, const char *name)
{
    const ModelConfig *c = &h->config;
    int n = model_tensor_count(c);
    TensorInfo *infos = xmalloc((size_t)n, sizeof *infos);
    h->begin = xmalloc((size_t)n, sizeof *h->begin);
    char *seen = xcalloc((size_t)n, 1);
    ByteRange *ranges = xmalloc((size_t)n, sizeof *ranges);
    int rc = -1;
    if (!infos || !h->begin || !seen || !ranges) goto done;
    for (int i = 0; i < n; i++) infos[i] = model_tensor_info(c, i);
    for (const cJSON *entry = h->root->child; entry; entry = entry->next) {
        if (strcmp(entry->string, "__metadata__") == 0) continue;
        int index = -1;
        for (int i = 0; i < n && index < 0; i++)
            if (strcmp(infos[i].name, entry->string) == 0) index = i;
        if (index < 0) {
            fail("%s: unknown tensor \"%s\"", name, entry->string);
            goto done;
        }
        if (seen[index]) {
            fail("%s: tensor %s appears twice", name, infos[index].name);
            goto done;
        }
        seen[index] = 1;
        if (check_entry(entry, &infos[index], data_len, &h->begin[index], name) != 0) goto done;
    }
    for (int i = 0; i < n; i++) {
        if (!seen[i]) {
            fail("%s: tensor %s is missing", name, infos[i].name);
            goto done;
        }
        ranges[i] = (ByteRange){ h->begin[i], h->begin[i] + 4 * infos[i].numel };
    }
    qsort(ranges, (size_t)n, sizeof *ranges, compare_ranges);
    for (int i = 0; i < n; i++) {
        size_t expected = i > 0 ? ranges[i - 1].end : 0;
        if (ranges[i].begin != expected) {
            fail("%s: tensor data_offsets overlap or leave gaps", name);
            goto done;
        }
    }
    if (ranges[n - 1].end != data_len) {
        fail("%s: tensor data_offsets do not cover the data", name);
        goto done;
    }
    rc = 0;
done:
    free(infos);
    free(seen);
    free(ranges);
    return rc;
}

/* Parse and check the header text (n bytes) of a file of file_len bytes. */
static int header_parse(Header *h, const char *text, size_t n, size_t file_len, const char *name)
{
    memset(h, 0, sizeof *h);
    const char *end = NULL;
    h->root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (!cJSON_IsObject(h->root)) {
        header_free(h);
        return fail("%s: the header is not a JSON object", name);
    }
    for (size_t at = end ? (size_t)(end - text) : n; at < n; at++)
        if (text[at] != ' ') {
            header_free(h);
            return fail("%s: unexpected bytes after the header's JSON", name);
        }
    size_t data_len = file_len - 8 - n;
    if (read_metadata(h, name) != 0 ||
        param_count_checked(&h->config, &h->n_params, name) != 0) {
        header_free(h);
        return -1;
    }
    if (data_len != 4 * h->n_params) {
        char want[32], have[32];
        fail("%s: %s: expected %s bytes of tensor data, found %s", name,
             data_len < 4 * h->n_params ? "truncated" : "too long",
             with_commas(want, 4 * h->n_params), with_commas(have, data_len));
        header_free(h);
        return -1;
    }
    if (read_tensors(h, data_len, name) != 0) {
        header_free(h);
        return -1;
    }
    return 0;
}

/* The header length N from the first 8 bytes, checked against the file. */
static int header_length(const unsigned char *bytes, size_t file_len, size_t *n, const char *name)
{
    if (file_len < 8)
        return fail("%s: truncated: expected 8 bytes of header length, found %zu", name, file_len);
    uint64_t length = get_u64(bytes);
    if (length > file_len - 8) {
        char want[32], have[32];
        return fail("%s: truncated: expected %s bytes of header, found %s", name,
                    with_commas(want, length), with_commas(have, file_len - 8));
    }
    if (length < 2) return fail("%s: the header is not a JSON object", name);
    *n = (size_t)length;
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

int model_load_safetensors_buffer(Model *m, const char *name, const unsigned char *bytes,
                                  size_t len)
{
    memset(m, 0, sizeof *m);
    size_t n;
    Header h;
    if (header_length(bytes, len, &n, name) != 0) return -1;
    if (header_parse(&h, (const char *)bytes + 8, n, len, name) != 0) return -1;
    int words_n = h.config.vocab_size, rc = -1;
    const char **words = xmalloc((size_t)words_n, sizeof *words);
    if (words) {
        int i = 0;
        for (const cJSON *w = h.vocab->child; w; w = w->next) words[i++] = w->valuestring;
        rc = model_assemble(m, &h.config, words, words_n, name);
        if (rc == 0) m->vocab.lowercase = h.lowercase;
    }
    if (rc == 0) {
        const unsigned char *data = bytes + 8 + n;
        for (int i = 0; i < model_tensor_count(&h.config); i++) {
            TensorInfo t = model_tensor_info(&h.config, i);
            floats_from_le(m->params + t.offset, data + h.begin[i], t.numel);
        }
    }
    free(words);
    header_free(&h);
    return rc;
}

/* ---- info -------------------------------------------------------------- */

int safetensors_summary(const char *path, ModelFileSummary *s)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return fail("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char length[8];
    char *text = NULL;
    size_t n, got = 0;
    int rc = -1;
    if (fstat(fileno(fp), &st) != 0) {
        fail("%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    size_t file_len = (size_t)st.st_size;
    got = fread(length, 1, 8, fp);
    if (header_length(length, got < 8 ? got : file_len, &n, path) != 0) goto done;
    text = xmalloc(n, 1);
    if (!text) goto done;
    if (fread(text, 1, n, fp) != n) {
        fail("%s: read error", path);
        goto done;
    }
    Header h;
    if (header_parse(&h, text, n, file_len, path) != 0) goto done;
    *s = (ModelFileSummary){ .format = "safetensors", .version = MODELFILE_VERSION,
                             .config = h.config, .vocab_words = h.config.vocab_size,
                             .vocab_lowercase = h.lowercase,
                             .n_params = h.n_params,
                             .checksum = "n/a (the safetensors format has none)" };
    header_free(&h);
    rc = 0;
done:
    free(text);
    fclose(fp);
    return rc;
}
