/*
 * source.c — rg_source: what a file format hands an architecture (plugin.h).
 *
 * A source is a bag of named tensors plus typed metadata keyed the way GGUF
 * keys it ("general.architecture", "gpt.block_count", "tokenizer.ggml.tokens").
 * Values are kept in their widest form (int64, double), so a reader never
 * cares how a file stored them. Keys and strings are copied in; tensor data
 * is only referenced, and rg_source_keep() hands the source the buffers or
 * mappings to release with it.
 *
 * Sizes are small (tens of keys, hundreds of tensors), so lookups are linear
 * scans; a string array (a vocabulary of 150k pieces) is one blob of bytes
 * plus offsets, so it costs two allocations, not one per piece.
 */
#include "rustgpt/plugin.h"
#include "core/source.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
    char *key;
    rg_value_type type;
    rg_value_type elem;      /* arrays: the element type                      */
    uint64_t n;              /* arrays: element count; strings: byte length   */
    union { int64_t i; double f; int b; } scalar;
    int64_t *ints;           /* RG_VALUE_INT arrays                           */
    double *floats;          /* RG_VALUE_FLOAT arrays                         */
    char *bytes;             /* a string, or a string array's pieces, NUL after each */
    uint64_t *offsets;       /* string arrays: [n + 1] starts in bytes (with NULs) */
} Value;

typedef struct { void *ptr; size_t unmap_len; } Kept;

struct rg_source {
    Value *values;
    int32_t n_values, cap_values;
    rg_tensor *tensors;
    int32_t n_tensors, cap_tensors;
    Kept *kept;
    int32_t n_kept, cap_kept;
};

/* Grow *array (of elem bytes each, *cap of them) to hold one more. */
static int grow(void **array, int32_t *cap, int32_t n, size_t elem)
{
    if (n < *cap) return 0;
    int32_t new_cap = *cap ? *cap * 2 : 16;
    void *p = realloc(*array, (size_t)new_cap * elem);
    if (!p) return fail("out of memory growing a model source");
    *array = p;
    *cap = new_cap;
    return 0;
}

rg_status rg_source_new(rg_source **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? RG_OK : fail_status(RG_ERR_NOMEM, "out of memory creating a model source");
}

static void value_clear(Value *v)
{
    free(v->ints);
    free(v->floats);
    free(v->bytes);
    free(v->offsets);
    v->ints = NULL; v->floats = NULL; v->bytes = NULL; v->offsets = NULL;
}

void rg_source_free(rg_source *src)
{
    if (!src) return;
    for (int32_t i = 0; i < src->n_values; i++) {
        value_clear(&src->values[i]);
        free(src->values[i].key);
    }
    for (int32_t i = 0; i < src->n_tensors; i++) free((char *)src->tensors[i].name);
    for (int32_t i = 0; i < src->n_kept; i++) {
        if (src->kept[i].unmap_len) munmap(src->kept[i].ptr, src->kept[i].unmap_len);
        else free(src->kept[i].ptr);
    }
    free(src->values);
    free(src->tensors);
    free(src->kept);
    free(src);
}

/* ---- reading ------------------------------------------------------------ */

static const Value *find(const rg_source *src, const char *key)
{
    for (int32_t i = 0; i < src->n_values; i++)
        if (strcmp(src->values[i].key, key) == 0) return &src->values[i];
    return NULL;
}

static const char *type_name(rg_value_type t)
{
    static const char *const names[] = { "an integer", "a float", "a boolean", "a string", "an array" };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* The value of key if it has type want; else NULL with *status set. */
static const Value *find_typed(const rg_source *src, const char *key, rg_value_type want,
                               rg_status *status)
{
    const Value *v = find(src, key);
    if (!v) {
        *status = fail_status(RG_ERR_NOT_FOUND, "model metadata lacks the key %s", key);
        return NULL;
    }
    if (v->type != want) {
        *status = fail_status(RG_ERR_FORMAT, "model metadata key %s is %s, expected %s", key,
                              type_name(v->type), type_name(want));
        return NULL;
    }
    *status = RG_OK;
    return v;
}

const rg_tensor *rg_source_tensor(const rg_source *src, const char *name)
{
    for (int32_t i = 0; i < src->n_tensors; i++)
        if (strcmp(src->tensors[i].name, name) == 0) return &src->tensors[i];
    return NULL;
}

int32_t rg_source_n_tensors(const rg_source *src) { return src->n_tensors; }

const rg_tensor *rg_source_tensor_at(const rg_source *src, int32_t i)
{
    return i >= 0 && i < src->n_tensors ? &src->tensors[i] : NULL;
}

rg_status rg_source_int(const rg_source *src, const char *key, int64_t *out)
{
    const Value *v = find(src, key);
    if (v && v->type == RG_VALUE_BOOL) { *out = v->scalar.b; return RG_OK; }
    rg_status st;
    v = find_typed(src, key, RG_VALUE_INT, &st);
    if (v) *out = v->scalar.i;
    return st;
}

rg_status rg_source_float(const rg_source *src, const char *key, double *out)
{
    const Value *v = find(src, key);
    if (v && v->type == RG_VALUE_INT) { *out = (double)v->scalar.i; return RG_OK; }
    rg_status st;
    v = find_typed(src, key, RG_VALUE_FLOAT, &st);
    if (v) *out = v->scalar.f;
    return st;
}

rg_status rg_source_bool(const rg_source *src, const char *key, int *out)
{
    const Value *v = find(src, key);
    if (v && v->type == RG_VALUE_INT) { *out = v->scalar.i != 0; return RG_OK; }
    rg_status st;
    v = find_typed(src, key, RG_VALUE_BOOL, &st);
    if (v) *out = v->scalar.b;
    return st;
}

rg_status rg_source_string(const rg_source *src, const char *key, const char **out, size_t *len)
{
    rg_status st;
    const Value *v = find_typed(src, key, RG_VALUE_STRING, &st);
    if (!v) return st;
    *out = v->bytes;
    if (len) *len = (size_t)v->n;
    return RG_OK;
}

rg_status rg_source_array(const rg_source *src, const char *key, rg_value_type *type_out,
                          uint64_t *n_out)
{
    rg_status st;
    const Value *v = find_typed(src, key, RG_VALUE_ARRAY, &st);
    if (!v) return st;
    if (type_out) *type_out = v->elem;
    if (n_out) *n_out = v->n;
    return RG_OK;
}

/* The array under key with element type elem and index i inside it. */
static const Value *array_elem(const rg_source *src, const char *key, rg_value_type elem,
                               uint64_t i, rg_status *status)
{
    const Value *v = find_typed(src, key, RG_VALUE_ARRAY, status);
    if (!v) return NULL;
    if (v->elem != elem) {
        *status = fail_status(RG_ERR_FORMAT, "model metadata key %s holds elements that are %s, expected %s",
                              key, type_name(v->elem), type_name(elem));
        return NULL;
    }
    if (i >= v->n) {
        *status = fail_status(RG_ERR_INVALID, "model metadata key %s: index %llu is past its %llu elements",
                              key, (unsigned long long)i, (unsigned long long)v->n);
        return NULL;
    }
    return v;
}

rg_status rg_source_array_int(const rg_source *src, const char *key, uint64_t i, int64_t *out)
{
    rg_status st;
    const Value *v = array_elem(src, key, RG_VALUE_INT, i, &st);
    if (v) *out = v->ints[i];
    return st;
}

rg_status rg_source_array_float(const rg_source *src, const char *key, uint64_t i, double *out)
{
    rg_status st;
    const Value *v = array_elem(src, key, RG_VALUE_FLOAT, i, &st);
    if (v) *out = v->floats[i];
    return st;
}

rg_status rg_source_array_string(const rg_source *src, const char *key, uint64_t i,
                                 const char **out, size_t *len)
{
    rg_status st;
    const Value *v = array_elem(src, key, RG_VALUE_STRING, i, &st);
    if (!v) return st;
    *out = v->bytes + v->offsets[i];
    if (len) *len = (size_t)(v->offsets[i + 1] - v->offsets[i] - 1);
    return RG_OK;
}

/* ---- building ----------------------------------------------------------- */

/* The slot for key, emptied (an existing value is replaced), or NULL with
 * *status set. */
static Value *slot(rg_source *src, const char *key, rg_status *status)
{
    *status = RG_ERR_INVALID;
    if (!key || !*key) {
        fail("a model metadata key must not be empty");
        return NULL;
    }
    *status = RG_ERR_NOMEM;
    for (int32_t i = 0; i < src->n_values; i++)
        if (strcmp(src->values[i].key, key) == 0) {
            value_clear(&src->values[i]);
            return &src->values[i];
        }
    if (grow((void **)&src->values, &src->cap_values, src->n_values, sizeof *src->values) != 0)
        return NULL;
    char *copy = strdup(key);
    if (!copy) {
        fail("out of memory copying a metadata key");
        return NULL;
    }
    Value *v = &src->values[src->n_values++];
    memset(v, 0, sizeof *v);
    v->key = copy;
    return v;
}

/* Set key to one number or truth value, of the given type. */
static rg_status set_scalar(rg_source *src, const char *key, rg_value_type type, int64_t i, double f)
{
    rg_status st;
    Value *v = slot(src, key, &st);
    if (!v) return st;
    v->type = type;
    if (type == RG_VALUE_INT) v->scalar.i = i;
    else if (type == RG_VALUE_FLOAT) v->scalar.f = f;
    else v->scalar.b = i != 0;
    return RG_OK;
}

rg_status rg_source_set_int(rg_source *src, const char *key, int64_t x)
{
    return set_scalar(src, key, RG_VALUE_INT, x, 0);
}

rg_status rg_source_set_float(rg_source *src, const char *key, double x)
{
    return set_scalar(src, key, RG_VALUE_FLOAT, 0, x);
}

rg_status rg_source_set_bool(rg_source *src, const char *key, int x)
{
    return set_scalar(src, key, RG_VALUE_BOOL, x != 0, 0);
}

rg_status rg_source_set_string(rg_source *src, const char *key, const char *x, size_t len)
{
    rg_status st;
    Value *v = slot(src, key, &st);
    if (!v) return st;
    v->type = RG_VALUE_INT;              /* until the copy succeeds */
    v->bytes = malloc(len + 1);
    if (!v->bytes) return fail_status(RG_ERR_NOMEM, "out of memory copying metadata %s", key);
    memcpy(v->bytes, x, len);
    v->bytes[len] = '\0';
    v->type = RG_VALUE_STRING;
    v->n = len;
    return RG_OK;
}

/* An array value of n elements of elem's type, copied from x. */
static rg_status set_array(rg_source *src, const char *key, const void *x, uint64_t n, size_t size,
                           rg_value_type elem)
{
    rg_status st;
    Value *v = slot(src, key, &st);
    if (!v) return st;
    v->type = RG_VALUE_INT;              /* until the copy succeeds */
    void *copy = n <= SIZE_MAX / size ? malloc(n ? n * size : 1) : NULL;
    if (!copy) return fail_status(RG_ERR_NOMEM, "out of memory copying metadata %s", key);
    if (n) memcpy(copy, x, n * size);
    if (elem == RG_VALUE_INT) v->ints = copy;
    else v->floats = copy;
    v->type = RG_VALUE_ARRAY;
    v->elem = elem;
    v->n = n;
    return RG_OK;
}

rg_status rg_source_set_int_array(rg_source *src, const char *key, const int64_t *x, uint64_t n)
{
    return set_array(src, key, x, n, sizeof *x, RG_VALUE_INT);
}

rg_status rg_source_set_float_array(rg_source *src, const char *key, const double *x, uint64_t n)
{
    return set_array(src, key, x, n, sizeof *x, RG_VALUE_FLOAT);
}

rg_status rg_source_set_string_array(rg_source *src, const char *key, const char *const *x,
                                     const size_t *lens, uint64_t n)
{
    rg_status st;
    Value *v = slot(src, key, &st);
    if (!v) return st;
    v->type = RG_VALUE_INT;
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) total += (lens ? lens[i] : strlen(x[i])) + 1;
    v->offsets = n < SIZE_MAX / sizeof *v->offsets ? malloc((n + 1) * sizeof *v->offsets) : NULL;
    v->bytes = total < SIZE_MAX ? malloc(total ? total : 1) : NULL;
    if (!v->offsets || !v->bytes) {
        value_clear(v);
        return fail_status(RG_ERR_NOMEM, "out of memory copying metadata %s", key);
    }
    uint64_t at = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : strlen(x[i]);
        v->offsets[i] = at;
        memcpy(v->bytes + at, x[i], len);
        v->bytes[at + len] = '\0';
        at += len + 1;
    }
    v->offsets[n] = at;
    v->type = RG_VALUE_ARRAY;
    v->elem = RG_VALUE_STRING;
    v->n = n;
    return RG_OK;
}

rg_status rg_source_add_tensor(rg_source *src, const rg_tensor *t)
{
    if (!t->name || !*t->name || t->n_dims < 0 || t->n_dims > 4)
        return fail_status(RG_ERR_INVALID, "a tensor needs a name and 0 to 4 dimensions");
    if (rg_source_tensor(src, t->name))
        return fail_status(RG_ERR_FORMAT, "tensor %s appears twice", t->name);
    if (grow((void **)&src->tensors, &src->cap_tensors, src->n_tensors, sizeof *src->tensors) != 0)
        return RG_ERR_NOMEM;
    char *name = strdup(t->name);
    if (!name) return fail_status(RG_ERR_NOMEM, "out of memory copying a tensor name");
    rg_tensor *dst = &src->tensors[src->n_tensors++];
    *dst = *t;
    dst->name = name;
    return RG_OK;
}

rg_status rg_source_keep(rg_source *src, void *ptr, size_t unmap_len)
{
    if (grow((void **)&src->kept, &src->cap_kept, src->n_kept, sizeof *src->kept) != 0) {
        if (unmap_len) munmap(ptr, unmap_len);
        else free(ptr);
        return RG_ERR_NOMEM;
    }
    src->kept[src->n_kept++] = (Kept){ ptr, unmap_len };
    return RG_OK;
}

/* ---- walking the keys (core/source.h) --------------------------------------- */

int32_t source_n_keys(const rg_source *src) { return src->n_values; }

const char *source_key_at(const rg_source *src, int32_t i, rg_value_type *type)
{
    if (i < 0 || i >= src->n_values) return NULL;
    if (type) *type = src->values[i].type;
    return src->values[i].key;
}

/* The public names of the same walk (plugin.h). */
int32_t rg_source_n_keys(const rg_source *src) { return source_n_keys(src); }

const char *rg_source_key_at(const rg_source *src, int32_t i, rg_value_type *type)
{
    return source_key_at(src, i, type);
}
