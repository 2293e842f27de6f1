/*
 * gguf_write.c — the GGUF writer (gguf.h): keys and tensors are collected,
 * then written in one pass through util.h's atomic writer, so an
 * interrupted write leaves the old file (or none), never half a file.
 *
 * Layout written (version 3): the header, the keys in the order they were
 * first set, the tensor infos in the order they were added with offsets
 * assigned back to back, each rounded up to the alignment; zero padding to
 * the alignment; then the data. The alignment is general.alignment when the
 * writer has that key (a uint32 power of two), else 32.
 */
#include "formats/gguf.h"
#include "core/quant.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    uint32_t type;
    unsigned char *value;       /* the encoded value: everything after the type */
    size_t value_len;
} WriterKv;

typedef struct {
    char *name;
    rg_type type;
    uint32_t n_dims;
    int64_t dims[4];
    const void *data;
    size_t n_bytes;
} WriterTensor;

struct gguf_writer {
    WriterKv *kvs;
    size_t n_kv, cap_kv;
    WriterTensor *tensors;
    size_t n_tensors, cap_tensors;
};

gguf_writer *gguf_writer_new(void) { return xcalloc(1, sizeof(gguf_writer)); }

void gguf_writer_free(gguf_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kvs[i].key);
        free(w->kvs[i].value);
    }
    for (size_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    free(w->kvs);
    free(w->tensors);
    free(w);
}

/* ---- encoding values -------------------------------------------------------- */

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int failed;
} Buf;

static void put(Buf *b, const void *data, size_t n)
{
    if (b->failed) return;
    if (n > SIZE_MAX - b->len) { b->failed = 1; return; }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) { b->failed = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_le(Buf *b, uint64_t v, int n)
{
    unsigned char bytes[8];
    for (int i = 0; i < n; i++) bytes[i] = (unsigned char)(v >> (8 * i));
    put(b, bytes, (size_t)n);
}

static void put_str(Buf *b, const char *s, uint64_t len)
{
    put_le(b, len, 8);
    put(b, s, (size_t)len);
}

/* Store key = (type, encoded value in b), replacing an earlier value. */
static int set_value(gguf_writer *w, const char *key, uint32_t type, Buf *b)
{
    if (b->failed) {
        free(b->p);
        return fail("out of memory encoding GGUF key '%s'", key);
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kvs[i].key, key) == 0) {
            free(w->kvs[i].value);
            w->kvs[i].type = type;
            w->kvs[i].value = b->p;
            w->kvs[i].value_len = b->len;
            return 0;
        }
    }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? 2 * w->cap_kv : 16;
        WriterKv *kvs = realloc(w->kvs, cap * sizeof *kvs);
        if (!kvs) {
            free(b->p);
            return fail("out of memory adding GGUF key '%s'", key);
        }
        w->kvs = kvs;
        w->cap_kv = cap;
    }
    char *copy = xstrdup(key);
    if (!copy) {
        free(b->p);
        return -1;
    }
    w->kvs[w->n_kv++] = (WriterKv){ copy, type, b->p, b->len };
    return 0;
}

static int set_scalar(gguf_writer *w, const char *key, gguf_type type, uint64_t bits)
{
    Buf b = { 0 };
    put_le(&b, bits, (int)gguf_type_size(type));
    return set_value(w, key, type, &b);
}

int gguf_set_u32(gguf_writer *w, const char *key, uint32_t v) { return set_scalar(w, key, GGUF_UINT32, v); }
int gguf_set_i32(gguf_writer *w, const char *key, int32_t v) { return set_scalar(w, key, GGUF_INT32, (uint32_t)v); }
int gguf_set_u64(gguf_writer *w, const char *key, uint64_t v) { return set_scalar(w, key, GGUF_UINT64, v); }
int gguf_set_i64(gguf_writer *w, const char *key, int64_t v) { return set_scalar(w, key, GGUF_INT64, (uint64_t)v); }
int gguf_set_bool(gguf_writer *w, const char *key, int v) { return set_scalar(w, key, GGUF_BOOL, v ? 1 : 0); }

int gguf_set_f32(gguf_writer *w, const char *key, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    return set_scalar(w, key, GGUF_FLOAT32, bits);
}

int gguf_set_string(gguf_writer *w, const char *key, const char *s, size_t len)
{
    Buf b = { 0 };
    put_str(&b, s, len);
    return set_value(w, key, GGUF_STRING, &b);
}

int gguf_set_array(gguf_writer *w, const char *key, gguf_type elem_type, const void *data, uint64_t n)
{
    size_t size = gguf_type_size(elem_type);
    if (size == 0) return fail("GGUF key '%s': an array of %s needs gguf_set_string_array", key, gguf_type_name(elem_type));
    if (n > SIZE_MAX / size) return fail("GGUF key '%s': array too large", key);
    Buf b = { 0 };
    put_le(&b, elem_type, 4);
    put_le(&b, n, 8);
    put(&b, data, (size_t)n * size);   /* this machine is little-endian, as the file */
    return set_value(w, key, GGUF_ARRAY, &b);
}

int gguf_set_string_array(gguf_writer *w, const char *key, const char *const *s, const size_t *lens,
                          uint64_t n)
{
    Buf b = { 0 };
    put_le(&b, GGUF_STRING, 4);
    put_le(&b, n, 8);
    for (uint64_t i = 0; i < n; i++) put_str(&b, s[i], lens ? lens[i] : strlen(s[i]));
    return set_value(w, key, GGUF_ARRAY, &b);
}

int gguf_set_kv(gguf_writer *w, const gguf_kv *kv)
{
    char *key = xmalloc(kv->key.len + 1, 1);
    if (!key) return -1;
    memcpy(key, kv->key.ptr, kv->key.len);
    key[kv->key.len] = '\0';
    Buf b = { 0 };
    if (kv->type == GGUF_STRING) {
        put_str(&b, kv->v.s.ptr, kv->v.s.len);
    } else if (kv->type == GGUF_ARRAY) {
        put_le(&b, kv->elem_type, 4);
        put_le(&b, kv->n, 8);
        if (kv->elem_type == GGUF_STRING)
            for (uint64_t i = 0; i < kv->n; i++) put_str(&b, kv->strings[i].ptr, kv->strings[i].len);
        else
            put(&b, kv->data, (size_t)(kv->n * gguf_type_size(kv->elem_type)));
    } else {
        uint64_t bits = kv->v.u;
        if (kv->type == GGUF_FLOAT32) {
            float f = (float)kv->v.f;
            uint32_t u;
            memcpy(&u, &f, 4);
            bits = u;
        } else if (kv->type == GGUF_FLOAT64) {
            memcpy(&bits, &kv->v.f, 8);
        } else if (kv->type == GGUF_BOOL) {
            bits = kv->v.b ? 1 : 0;
        }
        put_le(&b, bits, (int)gguf_type_size(kv->type));
    }
    int rc = set_value(w, key, kv->type, &b);
    free(key);
    return rc;
}

/* ---- tensors ------------------------------------------------------------------- */

int gguf_add_tensor(gguf_writer *w, const char *name, rg_type type, uint32_t n_dims, const int64_t *dims,
                    const void *data, size_t n_bytes)
{
    if (n_dims < 1 || n_dims > 4) return fail("tensor '%s': %u dimensions (1 to 4 allowed)", name, n_dims);
    size_t row = quant_row_bytes(type, dims[0]);
    if (row == 0)
        return fail("tensor '%s': a row of %lld values cannot be stored as %s", name, (long long)dims[0],
                    quant_type_name(type) ? quant_type_name(type) : "an unknown type");
    uint64_t bytes = row;
    for (uint32_t d = 1; d < n_dims; d++) {
        if (dims[d] <= 0 || bytes > UINT64_MAX / (uint64_t)dims[d])
            return fail("tensor '%s': bad dimension %lld", name, (long long)dims[d]);
        bytes *= (uint64_t)dims[d];
    }
    if (bytes != n_bytes)
        return fail("tensor '%s': %zu bytes given, its shape and type need %llu", name, n_bytes,
                    (unsigned long long)bytes);
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0) return fail("tensor '%s' added twice", name);
    if (w->n_tensors == w->cap_tensors) {
        size_t cap = w->cap_tensors ? 2 * w->cap_tensors : 64;
        WriterTensor *t = realloc(w->tensors, cap * sizeof *t);
        if (!t) return fail("out of memory adding tensor '%s'", name);
        w->tensors = t;
        w->cap_tensors = cap;
    }
    WriterTensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    if (!(t->name = xstrdup(name))) return -1;
    t->type = type;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < n_dims; d++) t->dims[d] = dims[d];
    t->data = data;
    t->n_bytes = n_bytes;
    w->n_tensors++;
    return 0;
}

/* ---- writing the file ---------------------------------------------------------------- */

/* general.alignment if the writer has it (it must be a uint32 power of
 * two), else 32. Returns -1 for a bad value. */
static int writer_alignment(const gguf_writer *w, size_t *out)
{
    *out = GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kvs[i].key, "general.alignment") != 0) continue;
        const unsigned char *v = w->kvs[i].value;
        if (w->kvs[i].type != GGUF_UINT32) return -1;
        uint32_t a = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
        if (a == 0 || (a & (a - 1)) != 0) return -1;
        *out = a;
    }
    return 0;
}

static uint64_t align_up(uint64_t x, size_t a) { return (x + a - 1) / a * a; }

int gguf_writer_write(gguf_writer *w, const char *path)
{
    size_t alignment;
    if (writer_alignment(w, &alignment) != 0)
        return fail("%s: general.alignment must be a uint32 power of two", path);
    Buf head = { 0 };
    put(&head, GGUF_MAGIC, 4);
    put_le(&head, 3, 4);
    put_le(&head, w->n_tensors, 8);
    put_le(&head, w->n_kv, 8);
    for (size_t i = 0; i < w->n_kv; i++) {
        put_str(&head, w->kvs[i].key, strlen(w->kvs[i].key));
        put_le(&head, w->kvs[i].type, 4);
        put(&head, w->kvs[i].value, w->kvs[i].value_len);
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        const WriterTensor *t = &w->tensors[i];
        put_str(&head, t->name, strlen(t->name));
        put_le(&head, t->n_dims, 4);
        for (uint32_t d = 0; d < t->n_dims; d++) put_le(&head, (uint64_t)t->dims[d], 8);
        put_le(&head, (uint32_t)t->type, 4);
        put_le(&head, offset, 8);
        offset = align_up(offset + t->n_bytes, alignment);
    }
    static const unsigned char zeros[256];
    size_t pad = (size_t)(align_up(head.len, alignment) - head.len);
    while (pad > 0) {
        size_t n = pad < sizeof zeros ? pad : sizeof zeros;
        put(&head, zeros, n);
        pad -= n;
    }
    if (head.failed) {
        free(head.p);
        return fail("%s: out of memory building the GGUF header", path);
    }
    AtomicFile file;
    if (atomic_open(&file, path) != 0) {
        free(head.p);
        return -1;
    }
    int ok = fwrite(head.p, 1, head.len, file.fp) == head.len;
    free(head.p);
    for (size_t i = 0; ok && i < w->n_tensors; i++) {
        const WriterTensor *t = &w->tensors[i];
        ok = fwrite(t->data, 1, t->n_bytes, file.fp) == t->n_bytes;
        for (size_t p = (size_t)(align_up(t->n_bytes, alignment) - t->n_bytes); ok && p > 0;) {
            size_t n = p < sizeof zeros ? p : sizeof zeros;
            ok = fwrite(zeros, 1, n, file.fp) == n;
            p -= n;
        }
    }
    if (!ok) {
        atomic_abort(&file);
        return fail("%s: write failed", path);
    }
    return atomic_commit(&file);
}
