/*
 * hf_checkpoint.c — a model.safetensors file of any architecture, and a
 * GPT-2-style BPE tokenizer, from a Hugging Face checkpoint directory
 * (hf_checkpoint.h).
 *
 * safetensors: u64 little-endian N, then N bytes of JSON
 *   {"name": {"dtype": "F32"|"F16"|"BF16", "shape": [..], "data_offsets": [a, b]},
 *    "__metadata__": {...}}
 * then the data; offsets count from the end of the header. The file is
 * mapped and every range checked before a tensor points into it.
 */
#include "formats/hf_checkpoint.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- safetensors ---------------------------------------------------------- */

static int dtype_of(const char *s, rg_type *type, size_t *elem)
{
    if (strcmp(s, "F32") == 0) { *type = RG_TYPE_F32; *elem = 4; return 0; }
    if (strcmp(s, "F16") == 0) { *type = RG_TYPE_F16; *elem = 2; return 0; }
    if (strcmp(s, "BF16") == 0) { *type = RG_TYPE_BF16; *elem = 2; return 0; }
    return -1;
}

static int compare_begin(const void *a, const void *b)
{
    const hf_tensor *x = a, *y = b;
    return x->data < y->data ? -1 : x->data > y->data;
}

static int read_entry(hf_tensor *t, const cJSON *e, const unsigned char *data, size_t data_len,
                      const char *path)
{
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    size_t elem;
    if (!cJSON_IsString(dtype) || dtype_of(dtype->valuestring, &t->type, &elem) != 0)
        return fail("%s: tensor %s: dtype must be F32, F16 or BF16", path, t->name);
    int n_dims = cJSON_GetArraySize(shape);
    if (!cJSON_IsArray(shape) || n_dims > 4 || !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return fail("%s: tensor %s: bad shape or data_offsets", path, t->name);
    size_t count = 1;
    t->n_dims = n_dims;
    for (int i = 0; i < n_dims; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > (double)(1ULL << 40))
            return fail("%s: tensor %s: bad dimension", path, t->name);
        t->shape[i] = (int64_t)d->valuedouble;
        if (t->shape[i] && count > ((size_t)1 << 50) / (size_t)t->shape[i])
            return fail("%s: tensor %s: too many elements", path, t->name);
        count *= (size_t)t->shape[i];
    }
    double a = cJSON_GetArrayItem(offs, 0)->valuedouble, b = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!(a >= 0 && b >= a && b <= (double)data_len))
        return fail("%s: tensor %s: data_offsets are outside the file", path, t->name);
    t->n_bytes = (size_t)b - (size_t)a;
    if (t->n_bytes != count * elem)
        return fail("%s: tensor %s: %zu bytes of data for %zu elements", path, t->name, t->n_bytes, count);
    t->data = data + (size_t)a;
    return 0;
}

static int parse_header(hf_safetensors *st, const char *json, size_t json_len,
                        const unsigned char *data, size_t data_len, const char *path)
{
    cJSON *root = cJSON_ParseWithLength(json, json_len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail("%s: the header is not a JSON object", path);
    }
    int n = cJSON_GetArraySize(root), rc = 0;
    st->tensors = xcalloc((size_t)n + 1, sizeof *st->tensors);
    if (!st->tensors) rc = -1;
    for (const cJSON *e = root->child; rc == 0 && e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        hf_tensor *t = &st->tensors[st->n_tensors];
        if (!cJSON_IsObject(e) || !(t->name = xstrdup(e->string))) { rc = fail("%s: bad header entry", path); break; }
        st->n_tensors++;
        rc = read_entry(t, e, data, data_len, path);
    }
    cJSON_Delete(root);
    if (rc != 0) return -1;
    /* No two tensors may share bytes. */
    hf_tensor *sorted = xmalloc((size_t)st->n_tensors + 1, sizeof *sorted);
    if (!sorted) return -1;
    memcpy(sorted, st->tensors, (size_t)st->n_tensors * sizeof *sorted);
    qsort(sorted, (size_t)st->n_tensors, sizeof *sorted, compare_begin);
    for (int64_t i = 1; rc == 0 && i < st->n_tensors; i++)
        if ((const unsigned char *)sorted[i - 1].data + sorted[i - 1].n_bytes > (const unsigned char *)sorted[i].data)
            rc = fail("%s: tensors %s and %s overlap", path, sorted[i - 1].name, sorted[i].name);
    free(sorted);
    return rc;
}

int hf_safetensors_open(hf_safetensors *st, const char *path)
{
    memset(st, 0, sizeof *st);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("%s: cannot open", path);
    struct stat s;
    if (fstat(fd, &s) != 0 || s.st_size < 8) {
        close(fd);
        return fail("%s: too short for a safetensors file", path);
    }
    st->map_len = (size_t)s.st_size;
    st->map = mmap(NULL, st->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (st->map == MAP_FAILED) {
        st->map = NULL;
        return fail("%s: cannot map", path);
    }
    const unsigned char *b = st->map;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | b[i];
    if (n > st->map_len - 8) {
        hf_safetensors_close(st);
        return fail("%s: the header length %llu is past the end of the file", path, (unsigned long long)n);
    }
    if (parse_header(st, (const char *)b + 8, (size_t)n, b + 8 + n, st->map_len - 8 - (size_t)n, path) != 0) {
        hf_safetensors_close(st);
        return -1;
    }
    return 0;
}

void hf_safetensors_close(hf_safetensors *st)
{
    for (int64_t i = 0; i < st->n_tensors; i++) free(st->tensors[i].name);
    free(st->tensors);
    if (st->map) munmap(st->map, st->map_len);
    memset(st, 0, sizeof *st);
}

/* ---- the BPE tokenizer ------------------------------------------------------ */

/* tokens[id] from a {token: id} object; every id in [0, n) exactly once. */
static int vocab_tokens(const cJSON *vocab, const char ***tokens, int *n, const char *path)
{
    int count = cJSON_GetArraySize(vocab);
    if (!cJSON_IsObject(vocab) || count == 0) return fail("%s: the vocabulary is not a non-empty object", path);
    *tokens = xcalloc((size_t)count, sizeof **tokens);
    if (!*tokens) return -1;
    for (const cJSON *e = vocab->child; e; e = e->next) {
        double id = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (id < 0 || id >= count || id != (int)id || (*tokens)[(int)id])
            return fail("%s: token \"%.40s\" has a missing, duplicate or out-of-range id", path, e->string);
        (*tokens)[(int)id] = e->string;
    }
    *n = count;
    return 0;
}

/* merges.txt: an optional "#version" line, then "a b" per line. */
static int merges_from_text(char *text, const char ***merges, size_t *n, const char *path)
{
    size_t lines = 1;
    for (char *p = text; *p; p++) lines += *p == '\n';
    *merges = xcalloc(lines, sizeof **merges);
    if (!*merges) return -1;
    *n = 0;
    size_t line_no = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line_no++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[--len] = '\0';
        if (len == 0 || (line_no == 1 && strncmp(line, "#version", 8) == 0)) continue;
        char *space = strchr(line, ' ');
        if (!space || space == line || !space[1] || strchr(space + 1, ' '))
            return fail("%s:%zu: a merge is two tokens separated by one space", path, line_no);
        (*merges)[(*n)++] = line;
    }
    return 0;
}

int hf_bpe_tokenizer_to_source(const char *dir, rg_source *src)
{
    char path[4200], mpath[4200];
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    snprintf(mpath, sizeof mpath, "%s/merges.txt", dir);
    int from_tokenizer_json = access(path, R_OK) != 0 || access(mpath, R_OK) != 0;
    if (from_tokenizer_json) snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    size_t len, merges_len = 0, n_merges = 0;
    char *text = read_whole_file(path, &len), *merges_text = NULL;
    cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
    const char **tokens = NULL, **merges = NULL;
    char **pairs = NULL;
    int n_tokens = 0, rc = text ? 0 : -1;
    if (rc == 0 && !root) rc = fail("%s: not valid JSON", path);
    const cJSON *vocab = root, *model = NULL;
    if (rc == 0 && from_tokenizer_json) {
        model = cJSON_GetObjectItemCaseSensitive(root, "model");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE") != 0) rc = fail("%s: model.type is not \"BPE\"", path);
        vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    }
    if (rc == 0) rc = vocab_tokens(vocab, &tokens, &n_tokens, path);
    if (rc == 0 && !from_tokenizer_json) {
        merges_text = read_whole_file(mpath, &merges_len);
        rc = merges_text ? merges_from_text(merges_text, &merges, &n_merges, mpath) : -1;
    } else if (rc == 0) {      /* ["a b", ...] or [["a", "b"], ...] */
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(model, "merges");
        size_t count = (size_t)cJSON_GetArraySize(list);
        merges = xcalloc(count + 1, sizeof *merges);
        pairs = xcalloc(count + 1, sizeof *pairs);
        rc = (cJSON_IsArray(list) && merges && pairs) ? 0 : fail("%s: model.merges is not a list", path);
        for (const cJSON *m = list ? list->child : NULL; rc == 0 && m; m = m->next, n_merges++) {
            if (cJSON_IsString(m)) { merges[n_merges] = m->valuestring; continue; }
            const cJSON *a = cJSON_GetArrayItem(m, 0), *b = cJSON_GetArrayItem(m, 1);
            if (!cJSON_IsString(a) || !cJSON_IsString(b) || !(pairs[n_merges] = xmalloc(strlen(a->valuestring) + strlen(b->valuestring) + 2, 1)))
                { rc = fail("%s: merge %zu is not a pair of strings", path, n_merges + 1); break; }
            sprintf(pairs[n_merges], "%s %s", a->valuestring, b->valuestring);
            merges[n_merges] = pairs[n_merges];
        }
    }
    int64_t *types = rc == 0 ? xmalloc((size_t)n_tokens, sizeof *types) : NULL;
    int64_t eos = -1;
    if (rc == 0 && !types) rc = -1;
    for (int i = 0; rc == 0 && i < n_tokens; i++) {
        int control = strcmp(tokens[i], "<|endoftext|>") == 0;
        types[i] = control ? 3 : 1;                  /* GGUF: 1 normal, 3 control */
        if (control) eos = i;
    }
    if (rc == 0)
        rc = rg_source_set_string(src, "tokenizer.ggml.model", "gpt2", 4) != RG_OK ||
             rg_source_set_string(src, "tokenizer.ggml.pre", "gpt-2", 5) != RG_OK ||
             rg_source_set_string_array(src, "tokenizer.ggml.tokens", tokens, NULL, (uint64_t)n_tokens) != RG_OK ||
             rg_source_set_int_array(src, "tokenizer.ggml.token_type", types, (uint64_t)n_tokens) != RG_OK ||
             rg_source_set_string_array(src, "tokenizer.ggml.merges", merges, NULL, n_merges) != RG_OK ? -1 : 0;
    /* GPT-2 starts a text with no BOS token (llama.cpp reads this key). */
    if (rc == 0) rc = rg_source_set_bool(src, "tokenizer.ggml.add_bos_token", 0) != RG_OK ? -1 : 0;
    if (rc == 0 && eos >= 0)
        rc = rg_source_set_int(src, "tokenizer.ggml.bos_token_id", eos) != RG_OK ||
             rg_source_set_int(src, "tokenizer.ggml.eos_token_id", eos) != RG_OK ? -1 : 0;
    for (size_t i = 0; pairs && i < n_merges; i++) free(pairs[i]);
    free(pairs); free(types); free(tokens); free(merges); free(merges_text);
    cJSON_Delete(root);
    free(text);
    return rc;
}
