/*
 * gguf.c — the GGUF reader (gguf.h has the layout; docs/17-gguf-file.md
 * walks a real file byte by byte).
 *
 * The file is mapped read-only and parsed with one cursor that refuses to
 * step past the end: every read first checks that its bytes are there. A
 * count read from the file (keys, tensors, array elements) is compared with
 * the bytes that remain before anything is allocated for it, each element
 * needing at least its minimal encoded size, so the tables never outgrow the
 * file. Tensor shapes are multiplied with overflow checks, their byte sizes
 * come from quant.h, and every tensor's [offset, offset + size) must lie in
 * the data section, aligned, without overlapping another. Keys and tensor
 * names must be unique; both are kept sorted for binary search, which
 * gguf_lookup.c does when asked for a key or a tensor by name.
 */
#include "formats/gguf_internal.h"
#include "core/quant.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    MAX_DIMS = 4,
    MIN_KV_BYTES = 8 + 4 + 1,            /* key length, type, a 1-byte value          */
    MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8, /* name length, n_dims, type, offset       */
    MAX_NAME_BYTES = 1 << 16,            /* keys and tensor names                       */
};

const char *gguf_type_name(gguf_type t)
{
    static const char *const names[] = { "uint8", "int8", "uint16", "int16", "uint32", "int32",
                                         "float32", "bool", "string", "array", "uint64", "int64",
                                         "float64" };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

size_t gguf_type_size(gguf_type t)
{
    switch (t) {
    case GGUF_UINT8: case GGUF_INT8: case GGUF_BOOL: return 1;
    case GGUF_UINT16: case GGUF_INT16: return 2;
    case GGUF_UINT32: case GGUF_INT32: case GGUF_FLOAT32: return 4;
    case GGUF_UINT64: case GGUF_INT64: case GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

/* ---- the cursor ------------------------------------------------------------- */

typedef struct {
    const unsigned char *base;
    uint64_t size, pos;
    const char *name;
} Cursor;

static uint64_t remaining(const Cursor *c) { return c->size - c->pos; }

static int need(Cursor *c, uint64_t n, const char *what)
{
    if (n > remaining(c))
        return fail("%s: truncated at byte %llu: %s needs %llu bytes, %llu remain", c->name,
                    (unsigned long long)c->pos, what, (unsigned long long)n,
                    (unsigned long long)remaining(c));
    return 0;
}

static int read_u32(Cursor *c, uint32_t *out, const char *what)
{
    if (need(c, 4, what)) return -1;
    *out = (uint32_t)gguf_load_le(c->base + c->pos, 4);
    c->pos += 4;
    return 0;
}

static int read_u64(Cursor *c, uint64_t *out, const char *what)
{
    if (need(c, 8, what)) return -1;
    *out = gguf_load_le(c->base + c->pos, 8);
    c->pos += 8;
    return 0;
}

static int read_str(Cursor *c, gguf_str *out, const char *what)
{
    uint64_t start = c->pos, len;
    if (read_u64(c, &len, what)) return -1;
    if (len > remaining(c))
        return fail("%s: %s at byte %llu has length %llu, past the end of the file (%llu bytes remain)",
                    c->name, what, (unsigned long long)start, (unsigned long long)len,
                    (unsigned long long)remaining(c));
    out->ptr = (const char *)c->base + c->pos;
    out->len = len;
    c->pos += len;
    return 0;
}

/* ---- key/value pairs ------------------------------------------------------------ */

static void widen_scalar(gguf_kv *kv, const unsigned char *p)
{
    uint64_t raw = gguf_load_le(p, (int)gguf_type_size(kv->type));
    switch (kv->type) {
    case GGUF_UINT8: case GGUF_UINT16: case GGUF_UINT32: case GGUF_UINT64: kv->v.u = raw; break;
    case GGUF_INT8: kv->v.i = (int8_t)raw; break;
    case GGUF_INT16: kv->v.i = (int16_t)raw; break;
    case GGUF_INT32: kv->v.i = (int32_t)raw; break;
    case GGUF_INT64: kv->v.i = (int64_t)raw; break;
    case GGUF_BOOL: kv->v.b = raw != 0; break;
    case GGUF_FLOAT32: { uint32_t b = (uint32_t)raw; float f; memcpy(&f, &b, 4); kv->v.f = f; break; }
    case GGUF_FLOAT64: { double d; memcpy(&d, &raw, 8); kv->v.f = d; break; }
    default: break;
    }
}

static int read_kv(Cursor *c, gguf_kv *kv, uint64_t index)
{
    uint32_t type;
    if (read_str(c, &kv->key, "a key")) return -1;
    if (kv->key.len == 0 || kv->key.len > MAX_NAME_BYTES)
        return fail("%s: key %llu has length %llu (1 to %d allowed)", c->name, (unsigned long long)index,
                    (unsigned long long)kv->key.len, MAX_NAME_BYTES);
    if (read_u32(c, &type, "a value type")) return -1;
    kv->type = (gguf_type)type;
    if (type == GGUF_STRING) return read_str(c, &kv->v.s, "a string value");
    if (type != GGUF_ARRAY) {
        size_t size = gguf_type_size(kv->type);
        if (size == 0)
            return fail("%s: key '%.*s' has unknown value type %u", c->name, (int)kv->key.len,
                        kv->key.ptr, type);
        if (need(c, size, "a value")) return -1;
        widen_scalar(kv, c->base + c->pos);
        c->pos += size;
        return 0;
    }
    uint32_t elem;
    if (read_u32(c, &elem, "an array's element type") || read_u64(c, &kv->n, "an array's length"))
        return -1;
    kv->elem_type = (gguf_type)elem;
    if (elem == GGUF_ARRAY)
        return fail("%s: key '%.*s' is an array of arrays (not supported)", c->name, (int)kv->key.len,
                    kv->key.ptr);
    if (elem == GGUF_STRING) {
        /* each string is at least its 8-byte length */
        if (kv->n > remaining(c) / 8)
            return fail("%s: key '%.*s': %llu strings cannot fit in the %llu bytes that remain", c->name,
                        (int)kv->key.len, kv->key.ptr, (unsigned long long)kv->n,
                        (unsigned long long)remaining(c));
        gguf_str *strings = xmalloc(kv->n ? kv->n : 1, sizeof *strings);
        if (!strings) return -1;
        kv->strings = strings;
        for (uint64_t i = 0; i < kv->n; i++)
            if (read_str(c, &strings[i], "an array string")) return -1;
        return 0;
    }
    size_t size = gguf_type_size(kv->elem_type);
    if (size == 0)
        return fail("%s: key '%.*s' is an array of unknown type %u", c->name, (int)kv->key.len,
                    kv->key.ptr, elem);
    if (kv->n > remaining(c) / size)
        return fail("%s: key '%.*s': %llu elements of %zu bytes cannot fit in the %llu bytes that remain",
                    c->name, (int)kv->key.len, kv->key.ptr, (unsigned long long)kv->n, size,
                    (unsigned long long)remaining(c));
    kv->data = c->base + c->pos;
    c->pos += kv->n * size;
    return 0;
}

/* ---- tensors --------------------------------------------------------------------- */

static int read_tensor_info(Cursor *c, gguf_tensor *t, uint64_t index)
{
    uint32_t n_dims, type;
    if (read_str(c, &t->name, "a tensor name")) return -1;
    if (t->name.len == 0 || t->name.len > MAX_NAME_BYTES)
        return fail("%s: tensor %llu has a name of length %llu (1 to %d allowed)", c->name,
                    (unsigned long long)index, (unsigned long long)t->name.len, MAX_NAME_BYTES);
    int nl = (int)t->name.len;
    if (read_u32(c, &n_dims, "a tensor's dimension count")) return -1;
    if (n_dims > MAX_DIMS)
        return fail("%s: tensor '%.*s' has %u dimensions (at most %d)", c->name, nl, t->name.ptr, n_dims,
                    MAX_DIMS);
    t->n_dims = n_dims;
    int64_t count = 1;
    for (int d = 0; d < MAX_DIMS; d++) t->dims[d] = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        uint64_t dim;
        if (read_u64(c, &dim, "a tensor dimension")) return -1;
        if (dim == 0 || dim > (uint64_t)INT64_MAX)
            return fail("%s: tensor '%.*s': dimension %u is %llu", c->name, nl, t->name.ptr, d,
                        (unsigned long long)dim);
        if ((int64_t)dim > INT64_MAX / count)
            return fail("%s: tensor '%.*s': the product of its dimensions overflows", c->name, nl,
                        t->name.ptr);
        count *= (int64_t)dim;
        t->dims[d] = (int64_t)dim;
    }
    if (read_u32(c, &type, "a tensor type") || read_u64(c, &t->offset, "a tensor offset")) return -1;
    if (!quant_type_known(type))
        return fail("%s: tensor '%.*s' has unknown type %u (known: F32, F16, BF16, Q8_0, Q4_0, "
                    "Q4_K, Q5_K, Q6_K, Q8_K, I32)", c->name, nl, t->name.ptr, type);
    t->type = (rg_type)type;
    size_t row = quant_row_bytes(t->type, t->dims[0]);
    if (row == 0)
        return fail("%s: tensor '%.*s': row length %lld is not a multiple of %s's block of %d", c->name,
                    nl, t->name.ptr, (long long)t->dims[0], quant_type_name(t->type),
                    quant_block_size(t->type));
    uint64_t rows = (uint64_t)(count / t->dims[0]);
    if (rows > SIZE_MAX / row)
        return fail("%s: tensor '%.*s' is too large (%llu rows of %zu bytes)", c->name, nl, t->name.ptr,
                    (unsigned long long)rows, row);
    t->n_bytes = (size_t)rows * row;
    return 0;
}

/* ---- sorting and lookup -------------------------------------------------------------- */

/* Sorting by name or by offset: qsort over (key, index) pairs, so the
 * comparison needs no context (two files may be opened at once). */
typedef struct {
    gguf_str key;
    uint64_t offset;
    uint64_t index;
} SortEntry;

static int cmp_by_key(const void *a, const void *b)
{
    return gguf_str_cmp(((const SortEntry *)a)->key, ((const SortEntry *)b)->key);
}

static int cmp_by_offset(const void *a, const void *b)
{
    uint64_t x = ((const SortEntry *)a)->offset, y = ((const SortEntry *)b)->offset;
    return x < y ? -1 : x > y;
}

/* entries[n] sorted, returned as their indices (NULL after fail()). */
static uint64_t *sort_indices(SortEntry *entries, uint64_t n, int (*cmp)(const void *, const void *))
{
    uint64_t *idx = xmalloc(n ? n : 1, sizeof *idx);
    if (idx) {
        qsort(entries, (size_t)n, sizeof *entries, cmp);
        for (uint64_t i = 0; i < n; i++) idx[i] = entries[i].index;
    }
    free(entries);
    return idx;
}

static uint64_t *kvs_by_key(const gguf_file *f)
{
    SortEntry *e = xmalloc(f->n_kv ? f->n_kv : 1, sizeof *e);
    if (!e) return NULL;
    for (uint64_t i = 0; i < f->n_kv; i++) e[i] = (SortEntry){ f->kvs[i].key, 0, i };
    return sort_indices(e, f->n_kv, cmp_by_key);
}

static uint64_t *tensors_by(const gguf_file *f, int (*cmp)(const void *, const void *))
{
    SortEntry *e = xmalloc(f->n_tensors ? f->n_tensors : 1, sizeof *e);
    if (!e) return NULL;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        e[i] = (SortEntry){ f->tensors[i].name, f->tensors[i].offset, i };
    return sort_indices(e, f->n_tensors, cmp);
}

/* ---- parsing --------------------------------------------------------------------------- */

static int parse_header(gguf_file *f, Cursor *c)
{
    if (c->size < 4 || memcmp(c->base, GGUF_MAGIC, 4) != 0)
        return fail("%s: not a GGUF file (no \"GGUF\" magic)", c->name);
    c->pos = 4;
    uint32_t version;
    if (read_u32(c, &version, "the version")) return -1;
    if (version == 0x02000000u || version == 0x03000000u)
        return fail("%s: a big-endian GGUF file (only little-endian files are supported)", c->name);
    if (version != 2 && version != 3)
        return fail("%s: GGUF version %u is not supported (2 and 3 are)", c->name, version);
    f->version = version;
    if (read_u64(c, &f->n_tensors, "the tensor count") || read_u64(c, &f->n_kv, "the key count"))
        return -1;
    if (f->n_kv > remaining(c) / MIN_KV_BYTES)
        return fail("%s: %llu keys cannot fit in a file of %llu bytes", c->name,
                    (unsigned long long)f->n_kv, (unsigned long long)c->size);
    if (f->n_tensors > remaining(c) / MIN_TENSOR_INFO_BYTES)
        return fail("%s: %llu tensors cannot fit in a file of %llu bytes", c->name,
                    (unsigned long long)f->n_tensors, (unsigned long long)c->size);
    return 0;
}

static int parse_kvs(gguf_file *f, Cursor *c)
{
    f->kvs = xcalloc(f->n_kv ? f->n_kv : 1, sizeof *f->kvs);
    f->kv_offsets = xmalloc(f->n_kv ? f->n_kv : 1, sizeof *f->kv_offsets);
    if (!f->kvs || !f->kv_offsets) return -1;
    for (uint64_t i = 0; i < f->n_kv; i++) {
        f->kv_offsets[i] = c->pos;
        if (read_kv(c, &f->kvs[i], i)) return -1;
    }
    if (!(f->kv_sorted = kvs_by_key(f))) return -1;
    for (uint64_t i = 1; i < f->n_kv; i++) {
        const gguf_kv *kv = &f->kvs[f->kv_sorted[i]];
        if (gguf_str_cmp(kv->key, f->kvs[f->kv_sorted[i - 1]].key) == 0)
            return fail("%s: key '%.*s' appears twice", c->name, (int)kv->key.len, kv->key.ptr);
    }
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    const gguf_kv *align = gguf_find_kv(f, "general.alignment");
    if (align) {
        if (align->type != GGUF_UINT32)
            return fail("%s: general.alignment is a %s (a uint32 is required)", c->name,
                        gguf_type_name(align->type));
        if (align->v.u == 0 || (align->v.u & (align->v.u - 1)) != 0)
            return fail("%s: general.alignment %llu is not a power of two", c->name,
                        (unsigned long long)align->v.u);
        f->alignment = (size_t)align->v.u;
    }
    return 0;
}

static int parse_tensors(gguf_file *f, Cursor *c)
{
    f->tensors = xcalloc(f->n_tensors ? f->n_tensors : 1, sizeof *f->tensors);
    f->tensor_offsets = xmalloc(f->n_tensors ? f->n_tensors : 1, sizeof *f->tensor_offsets);
    if (!f->tensors || !f->tensor_offsets) return -1;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        f->tensor_offsets[i] = c->pos;
        if (read_tensor_info(c, &f->tensors[i], i)) return -1;
    }
    if (!(f->tensor_sorted = tensors_by(f, cmp_by_key))) return -1;
    for (uint64_t i = 1; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[f->tensor_sorted[i]];
        if (gguf_str_cmp(t->name, f->tensors[f->tensor_sorted[i - 1]].name) == 0)
            return fail("%s: tensor '%.*s' appears twice", c->name, (int)t->name.len, t->name.ptr);
    }
    /* the data section starts at the next multiple of the alignment */
    uint64_t pad = (f->alignment - c->pos % f->alignment) % f->alignment;
    f->data_start = c->pos + pad;
    if (f->n_tensors == 0) return 0;
    if (pad > remaining(c))
        return fail("%s: truncated: the tensor data should start at byte %llu, the file has %llu",
                    c->name, (unsigned long long)f->data_start, (unsigned long long)c->size);
    uint64_t data_size = c->size - f->data_start;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        int nl = (int)t->name.len;
        if (t->offset % f->alignment != 0)
            return fail("%s: tensor '%.*s': offset %llu is not a multiple of the alignment %zu", c->name,
                        nl, t->name.ptr, (unsigned long long)t->offset, f->alignment);
        if (t->offset > data_size || t->n_bytes > data_size - t->offset)
            return fail("%s: tensor '%.*s': bytes %llu..%llu of the tensor data lie past the end of the data section (%llu bytes)",
                        c->name, nl, t->name.ptr, (unsigned long long)t->offset,
                        (unsigned long long)t->offset + (unsigned long long)t->n_bytes,
                        (unsigned long long)data_size);
        t->data = c->base + f->data_start + t->offset;
    }
    uint64_t *by_offset = tensors_by(f, cmp_by_offset);
    if (!by_offset) return -1;
    int rc = 0;
    for (uint64_t i = 1; i < f->n_tensors && rc == 0; i++) {
        const gguf_tensor *prev = &f->tensors[by_offset[i - 1]], *t = &f->tensors[by_offset[i]];
        if (prev->offset + prev->n_bytes > t->offset)
            rc = fail("%s: tensors '%.*s' and '%.*s' overlap", c->name, (int)prev->name.len,
                      prev->name.ptr, (int)t->name.len, t->name.ptr);
    }
    free(by_offset);
    return rc;
}

int gguf_open_memory(const void *data, size_t size, const char *name, gguf_file **out)
{
    *out = NULL;
    gguf_file *f = xcalloc(1, sizeof *f);
    if (!f) return -1;
    f->base = data;
    f->size = size;
    f->name = xstrdup(name ? name : "GGUF");
    if (!f->name) { free(f); return -1; }
    Cursor c = { f->base, f->size, 0, f->name };
    if (parse_header(f, &c) || parse_kvs(f, &c) || parse_tensors(f, &c)) {
        gguf_close(f);
        return -1;
    }
    *out = f;
    return 0;
}

int gguf_open(const char *path, gguf_file **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail("%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail("%s: not a regular file", path);
    }
    if (st.st_size < 24) {
        close(fd);
        return fail("%s: not a GGUF file (%lld bytes, shorter than a GGUF header)", path,
                    (long long)st.st_size);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return fail("%s: cannot map the file: %s", path, strerror(e));
    if (gguf_open_memory(map, (size_t)st.st_size, path, out) != 0) {
        munmap(map, (size_t)st.st_size);
        return -1;
    }
    (*out)->map = map;
    (*out)->map_len = (size_t)st.st_size;
    return 0;
}

void *gguf_take_mapping(gguf_file *f, size_t *len)
{
    void *map = f->map;
    *len = f->map_len;
    f->map = NULL;
    return map;
}

void gguf_close(gguf_file *f)
{
    if (!f) return;
    for (uint64_t i = 0; f->kvs && i < f->n_kv; i++) free((void *)f->kvs[i].strings);
    free(f->kvs);
    free(f->kv_offsets);
    free(f->kv_sorted);
    free(f->tensors);
    free(f->tensor_offsets);
    free(f->tensor_sorted);
    free(f->name);
    if (f->map) munmap(f->map, f->map_len);
    free(f);
}
