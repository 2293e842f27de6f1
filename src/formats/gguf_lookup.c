/*
 * gguf_lookup.c — questions asked of a parsed GGUF file (gguf.h): its
 * header fields, keys and tensors by position or by name (binary search of
 * the sorted indices gguf.c built), and typed reads of values and array
 * elements that say when a key is missing or has another type.
 */
#include "formats/gguf_internal.h"

#include "core/util.h"

#include <string.h>

uint64_t gguf_load_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

int gguf_str_cmp(gguf_str a, gguf_str b)
{
    uint64_t n = a.len < b.len ? a.len : b.len;
    int r = memcmp(a.ptr, b.ptr, n);
    return r ? r : (a.len < b.len ? -1 : a.len > b.len);
}

uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint64_t gguf_file_size(const gguf_file *f) { return f->size; }
size_t gguf_alignment(const gguf_file *f) { return f->alignment; }
uint64_t gguf_data_start(const gguf_file *f) { return f->data_start; }
const unsigned char *gguf_bytes(const gguf_file *f) { return f->base; }
uint64_t gguf_n_kv(const gguf_file *f) { return f->n_kv; }
uint64_t gguf_n_tensors(const gguf_file *f) { return f->n_tensors; }

const gguf_kv *gguf_kv_at(const gguf_file *f, uint64_t i) { return i < f->n_kv ? &f->kvs[i] : NULL; }
uint64_t gguf_kv_file_offset(const gguf_file *f, uint64_t i) { return i < f->n_kv ? f->kv_offsets[i] : 0; }

const gguf_tensor *gguf_tensor_at(const gguf_file *f, uint64_t i)
{
    return i < f->n_tensors ? &f->tensors[i] : NULL;
}

uint64_t gguf_tensor_info_file_offset(const gguf_file *f, uint64_t i)
{
    return i < f->n_tensors ? f->tensor_offsets[i] : 0;
}

/* Binary search of a sorted index; returns the entry's index or n. */
static uint64_t find_sorted(const uint64_t *sorted, uint64_t n, const gguf_str *keys, size_t stride,
                            const char *name)
{
    gguf_str want = { name, strlen(name) };
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const gguf_str *key = (const gguf_str *)((const char *)keys + stride * sorted[mid]);
        int r = gguf_str_cmp(*key, want);
        if (r == 0) return sorted[mid];
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return n;
}

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *name)
{
    if (!f->kv_sorted || f->n_kv == 0) return NULL;
    uint64_t i = find_sorted(f->kv_sorted, f->n_kv, &f->kvs[0].key, sizeof f->kvs[0], name);
    return i < f->n_kv ? &f->kvs[i] : NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name)
{
    if (!f->tensor_sorted || f->n_tensors == 0) return NULL;
    uint64_t i = find_sorted(f->tensor_sorted, f->n_tensors, &f->tensors[0].name, sizeof f->tensors[0], name);
    return i < f->n_tensors ? &f->tensors[i] : NULL;
}

static int is_int_type(gguf_type t)
{
    return t == GGUF_UINT8 || t == GGUF_INT8 || t == GGUF_UINT16 || t == GGUF_INT16 || t == GGUF_UINT32 ||
           t == GGUF_INT32 || t == GGUF_UINT64 || t == GGUF_INT64;
}

static const gguf_kv *lookup(const gguf_file *f, const char *key)
{
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv) fail("%s: no key '%s'", f->name, key);
    return kv;
}

int gguf_get_int(const gguf_file *f, const char *key, int64_t *out)
{
    const gguf_kv *kv = lookup(f, key);
    if (!kv) return -1;
    if (!is_int_type(kv->type)) return fail("%s: key '%s' is a %s, not an integer", f->name, key, gguf_type_name(kv->type));
    if (kv->type == GGUF_UINT64 && kv->v.u > (uint64_t)INT64_MAX)
        return fail("%s: key '%s' = %llu is out of range", f->name, key, (unsigned long long)kv->v.u);
    *out = kv->v.i;
    return 0;
}

int gguf_get_float(const gguf_file *f, const char *key, double *out)
{
    const gguf_kv *kv = lookup(f, key);
    if (!kv) return -1;
    if (kv->type != GGUF_FLOAT32 && kv->type != GGUF_FLOAT64)
        return fail("%s: key '%s' is a %s, not a float", f->name, key, gguf_type_name(kv->type));
    *out = kv->v.f;
    return 0;
}

int gguf_get_bool(const gguf_file *f, const char *key, int *out)
{
    const gguf_kv *kv = lookup(f, key);
    if (!kv) return -1;
    if (kv->type != GGUF_BOOL) return fail("%s: key '%s' is a %s, not a bool", f->name, key, gguf_type_name(kv->type));
    *out = kv->v.b;
    return 0;
}

int gguf_get_string(const gguf_file *f, const char *key, gguf_str *out)
{
    const gguf_kv *kv = lookup(f, key);
    if (!kv) return -1;
    if (kv->type != GGUF_STRING) return fail("%s: key '%s' is a %s, not a string", f->name, key, gguf_type_name(kv->type));
    *out = kv->v.s;
    return 0;
}

int64_t gguf_array_int(const gguf_kv *kv, uint64_t i)
{
    size_t size = gguf_type_size(kv->elem_type);
    uint64_t raw = gguf_load_le(kv->data + i * size, (int)size);
    switch (kv->elem_type) {
    case GGUF_INT8: return (int8_t)raw;
    case GGUF_INT16: return (int16_t)raw;
    case GGUF_INT32: return (int32_t)raw;
    case GGUF_FLOAT32: case GGUF_FLOAT64: {
        double d = gguf_array_float(kv, i);   /* truncated; NaN and out-of-range read as 0 */
        return d > -9.2e18 && d < 9.2e18 ? (int64_t)d : 0;
    }
    default: return (int64_t)raw;
    }
}

double gguf_array_float(const gguf_kv *kv, uint64_t i)
{
    size_t size = gguf_type_size(kv->elem_type);
    uint64_t raw = gguf_load_le(kv->data + i * size, (int)size);
    if (kv->elem_type == GGUF_FLOAT32) {
        uint32_t b = (uint32_t)raw;
        float f;
        memcpy(&f, &b, 4);
        return f;
    }
    if (kv->elem_type == GGUF_FLOAT64) {
        double d;
        memcpy(&d, &raw, 8);
        return d;
    }
    return (double)gguf_array_int(kv, i);
}
