/*
 * gguf_format.c — GGUF behind the file-format interface (rustgpt/plugin.h):
 * probe by the "GGUF" magic, load every key and tensor into an rg_source
 * (tensor data used in place: the source keeps the mapping), and save an
 * rg_source as a GGUF file.
 *
 * rg_source keeps values by kind (integer, float, bool, string, arrays), not
 * by width, so saving chooses the widths llama.cpp expects of the standard
 * keys: a non-negative integer that fits is a uint32 (block counts, head
 * counts, token ids, general.alignment), other integers int32 or int64;
 * integer arrays int32 (tokenizer.ggml.token_type); floats float32.
 */
#include "formats/gguf.h"
#include "formats/gguf_export.h"
#include "core/source.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int probe(const char *path, const unsigned char *head, size_t n)
{
    (void)path;
    return n >= 4 && memcmp(head, GGUF_MAGIC, 4) == 0;
}

/* A NUL-terminated copy of a file string (keys may hold any bytes). */
static char *cstr(gguf_str s)
{
    char *c = xmalloc(s.len + 1, 1);
    if (c) {
        memcpy(c, s.ptr, s.len);
        c[s.len] = '\0';
    }
    return c;
}

static rg_status add_array(rg_source *src, const char *key, const gguf_kv *kv)
{
    rg_status st = RG_OK;
    uint64_t n = kv->n;
    if (kv->elem_type == GGUF_STRING) {
        const char **s = xmalloc(n ? n : 1, sizeof *s);
        size_t *lens = xmalloc(n ? n : 1, sizeof *lens);
        if (!s || !lens) st = RG_ERR_NOMEM;
        for (uint64_t i = 0; st == RG_OK && i < n; i++) {
            s[i] = kv->strings[i].ptr;
            lens[i] = (size_t)kv->strings[i].len;
        }
        if (st == RG_OK) st = rg_source_set_string_array(src, key, s, lens, n);
        free(s);
        free(lens);
    } else if (kv->elem_type == GGUF_FLOAT32 || kv->elem_type == GGUF_FLOAT64) {
        double *v = xmalloc(n ? n : 1, sizeof *v);
        if (!v) return RG_ERR_NOMEM;
        for (uint64_t i = 0; i < n; i++) v[i] = gguf_array_float(kv, i);
        st = rg_source_set_float_array(src, key, v, n);
        free(v);
    } else {
        int64_t *v = xmalloc(n ? n : 1, sizeof *v);
        if (!v) return RG_ERR_NOMEM;
        for (uint64_t i = 0; i < n; i++) v[i] = gguf_array_int(kv, i);
        st = rg_source_set_int_array(src, key, v, n);
        free(v);
    }
    return st;
}

static rg_status add_kv(rg_source *src, const gguf_kv *kv)
{
    char *key = cstr(kv->key);
    if (!key) return RG_ERR_NOMEM;
    rg_status st;
    switch (kv->type) {
    case GGUF_STRING: st = rg_source_set_string(src, key, kv->v.s.ptr, (size_t)kv->v.s.len); break;
    case GGUF_FLOAT32: case GGUF_FLOAT64: st = rg_source_set_float(src, key, kv->v.f); break;
    case GGUF_BOOL: st = rg_source_set_bool(src, key, kv->v.b); break;
    case GGUF_ARRAY: st = add_array(src, key, kv); break;
    case GGUF_UINT64:
        if (kv->v.u > (uint64_t)INT64_MAX) {
            st = fail_status(RG_ERR_FORMAT, "key %s = %llu does not fit a signed 64-bit integer", key,
                             (unsigned long long)kv->v.u);
            break;
        }
        /* fall through */
    default: st = rg_source_set_int(src, key, kv->v.i); break;
    }
    free(key);
    return st;
}

static rg_status load(const char *path, const rg_model_options *opt, rg_source **out)
{
    (void)opt;
    *out = NULL;
    gguf_file *f;
    if (access(path, R_OK) != 0) return fail_status(RG_ERR_IO, "%s: %s", path, strerror(errno));
    if (gguf_open(path, &f) != 0) return RG_ERR_FORMAT;   /* the message names the fault */
    if (gguf_n_kv(f) > INT32_MAX || gguf_n_tensors(f) > INT32_MAX) {
        gguf_close(f);
        return fail_status(RG_ERR_LIMIT, "%s: too many keys or tensors", path);
    }
    rg_source *src;
    rg_status st = rg_source_new(&src);
    if (st != RG_OK) {
        gguf_close(f);
        return st;
    }
    for (uint64_t i = 0; st == RG_OK && i < gguf_n_kv(f); i++) st = add_kv(src, gguf_kv_at(f, i));
    for (uint64_t i = 0; st == RG_OK && i < gguf_n_tensors(f); i++) {
        const gguf_tensor *g = gguf_tensor_at(f, i);
        char *name = cstr(g->name);
        if (!name) { st = RG_ERR_NOMEM; break; }
        rg_tensor t = { name, g->type, (int32_t)g->n_dims, { g->dims[0], g->dims[1], g->dims[2], g->dims[3] },
                        g->data, g->n_bytes };
        st = rg_source_add_tensor(src, &t);
        free(name);
    }
    if (st == RG_OK) {
        size_t len;
        void *map = gguf_take_mapping(f, &len);
        if (map) st = rg_source_keep(src, map, len);   /* unmapped with the source */
    }
    gguf_close(f);
    if (st != RG_OK) {
        rg_source_free(src);
        return st;
    }
    *out = src;
    return RG_OK;
}

/* ---- saving ------------------------------------------------------------------- */

static int put_int(gguf_writer *w, const char *key, int64_t v)
{
    if (v >= 0 && v <= UINT32_MAX) return gguf_set_u32(w, key, (uint32_t)v);
    if (v >= INT32_MIN && v <= INT32_MAX) return gguf_set_i32(w, key, (int32_t)v);
    return gguf_set_i64(w, key, v);
}

static int put_array(gguf_writer *w, const rg_source *src, const char *key)
{
    rg_value_type elem;
    uint64_t n;
    if (rg_source_array(src, key, &elem, &n) != RG_OK) return -1;
    int rc = 0;
    if (elem == RG_VALUE_STRING) {
        const char **s = xmalloc(n ? n : 1, sizeof *s);
        size_t *lens = xmalloc(n ? n : 1, sizeof *lens);
        if (!s || !lens) rc = -1;
        for (uint64_t i = 0; rc == 0 && i < n; i++)
            if (rg_source_array_string(src, key, i, &s[i], &lens[i]) != RG_OK) rc = -1;
        if (rc == 0) rc = gguf_set_string_array(w, key, s, lens, n);
        free(s);
        free(lens);
    } else if (elem == RG_VALUE_FLOAT) {
        float *v = xmalloc(n ? n : 1, sizeof *v);
        if (!v) return -1;
        for (uint64_t i = 0; rc == 0 && i < n; i++) {
            double d;
            if (rg_source_array_float(src, key, i, &d) != RG_OK) rc = -1;
            v[i] = (float)d;
        }
        if (rc == 0) rc = gguf_set_array(w, key, GGUF_FLOAT32, v, n);
        free(v);
    } else {
        int32_t *v = xmalloc(n ? n : 1, sizeof *v);
        if (!v) return -1;
        for (uint64_t i = 0; rc == 0 && i < n; i++) {
            int64_t x;
            if (rg_source_array_int(src, key, i, &x) != RG_OK) rc = -1;
            else if (x < INT32_MIN || x > INT32_MAX) rc = fail("key %s: element %llu does not fit 32 bits", key, (unsigned long long)i);
            v[i] = (int32_t)x;
        }
        if (rc == 0) rc = gguf_set_array(w, key, GGUF_INT32, v, n);
        free(v);
    }
    return rc;
}

static int put_key(gguf_writer *w, const rg_source *src, const char *key, rg_value_type type)
{
    int64_t i;
    double f;
    int b;
    const char *s;
    size_t len;
    switch (type) {
    case RG_VALUE_INT: return rg_source_int(src, key, &i) == RG_OK ? put_int(w, key, i) : -1;
    case RG_VALUE_FLOAT: return rg_source_float(src, key, &f) == RG_OK ? gguf_set_f32(w, key, (float)f) : -1;
    case RG_VALUE_BOOL: return rg_source_bool(src, key, &b) == RG_OK ? gguf_set_bool(w, key, b) : -1;
    case RG_VALUE_STRING: return rg_source_string(src, key, &s, &len) == RG_OK ? gguf_set_string(w, key, s, len) : -1;
    case RG_VALUE_ARRAY: return put_array(w, src, key);
    }
    return fail("key %s: unknown value type", key);
}

static rg_status save_source(const rg_source *src, const char *path)
{
    gguf_writer *w = gguf_writer_new();
    if (!w) return RG_ERR_NOMEM;
    int rc = 0;
    for (int32_t i = 0; rc == 0 && i < source_n_keys(src); i++) {
        rg_value_type type;
        const char *key = source_key_at(src, i, &type);
        rc = put_key(w, src, key, type);
    }
    for (int32_t i = 0; rc == 0 && i < rg_source_n_tensors(src); i++) {
        const rg_tensor *t = rg_source_tensor_at(src, i);
        rc = gguf_add_tensor(w, t->name, t->type, (uint32_t)t->n_dims, t->dims, t->data, t->n_bytes);
    }
    if (rc == 0) rc = gguf_writer_write(w, path);
    gguf_writer_free(w);
    return rc == 0 ? RG_OK : RG_ERR_IO;   /* the message says what failed */
}

/* A rustgpt model is first mapped onto llama.cpp's gpt2 (gguf_export.c). */
static rg_status save(const rg_source *src, const char *path)
{
    rg_source *mapped = NULL;
    rg_status st = gguf_export_source(src, &mapped);
    if (st == RG_OK) st = save_source(mapped ? mapped : src, path);
    rg_source_free(mapped);
    return st;
}

const rg_format_vtable gguf_format = {
    .abi_version = RG_ABI_VERSION,
    .name = "gguf",
    .version = 1,
    .extensions = ".gguf",
    .probe = probe,
    .load = load,
    .save = save,
};
