/*
 * gguf.h — GGUF files, the format of llama.cpp, ollama and LM Studio
 * (docs/17-gguf-file.md reads one byte by byte).
 *
 * A GGUF file (versions 2 and 3, little-endian) is
 *
 *   "GGUF"  u32 version  u64 n_tensors  u64 n_kv
 *   n_kv     x  key (u64 length + bytes)  u32 value type  value
 *   n_tensors x name  u32 n_dims  u64 dims[n_dims]  u32 type  u64 offset
 *   padding to general.alignment (32 when absent)
 *   tensor data: each tensor at data_start + offset, offsets aligned
 *
 * The reader maps the file and uses it in place: strings and tensor data
 * point into the mapping, nothing is copied but the tables. Every count,
 * length, offset, dimension and the alignment is checked against the file
 * size before it is used, with overflow-safe arithmetic, so a hostile file
 * gives an error naming what is wrong, never a crash or a huge allocation.
 *
 * The writer collects keys and tensors and writes the file atomically
 * (util.h's atomic writer), version 3, tensors aligned to general.alignment
 * (32 unless that key says otherwise).
 *
 * Functions that can fail return 0, or -1 after fail() (util.h).
 */
#ifndef RUSTGPT_GGUF_H
#define RUSTGPT_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "rustgpt/plugin.h"   /* rg_type */

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32

/* Value types of the key/value section, as numbered in the file. */
typedef enum {
    GGUF_UINT8 = 0, GGUF_INT8 = 1, GGUF_UINT16 = 2, GGUF_INT16 = 3,
    GGUF_UINT32 = 4, GGUF_INT32 = 5, GGUF_FLOAT32 = 6, GGUF_BOOL = 7,
    GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_UINT64 = 10, GGUF_INT64 = 11,
    GGUF_FLOAT64 = 12,
} gguf_type;

/* "uint8", "int32", "string", "array", ...; "?" for an unknown number. */
const char *gguf_type_name(gguf_type t);

/* A string inside the file: not NUL-terminated. */
typedef struct {
    const char *ptr;
    uint64_t len;
} gguf_str;

/* One key/value pair. Scalars are widened: every integer type reads as
 * v.i (signed) / v.u (unsigned, the same bits), floats as v.f, bools as v.b.
 * An array has type GGUF_ARRAY, its element type in elem_type (never
 * GGUF_ARRAY: nested arrays are refused), n elements; fixed-size elements
 * lie at `data` (little-endian, read them with gguf_array_*), strings are
 * listed in `strings`. */
typedef struct {
    gguf_str key;
    gguf_type type;
    union {
        int64_t i;
        uint64_t u;
        double f;
        int b;
        gguf_str s;
    } v;
    gguf_type elem_type;
    uint64_t n;
    const unsigned char *data;
    const gguf_str *strings;
} gguf_kv;

/* One tensor: dims[0] is the row length (as rg_tensor); data points into
 * the mapping, n_bytes long, at data_start + offset. */
typedef struct {
    gguf_str name;
    rg_type type;
    uint32_t n_dims;
    int64_t dims[4];
    uint64_t offset;
    const void *data;
    size_t n_bytes;
} gguf_tensor;

typedef struct gguf_file gguf_file;

/* Map and parse path. On error *out is NULL and the message names the file. */
int gguf_open(const char *path, gguf_file **out);
/* Parse size bytes at data (not copied: they must outlive the file), for
 * tests and fuzzing; name is used in error messages. */
int gguf_open_memory(const void *data, size_t size, const char *name, gguf_file **out);
void gguf_close(gguf_file *f);
/* Hand the file's mapping to the caller, who munmaps it (len bytes) when
 * done; gguf_close then leaves it mapped, so the tensor data and strings
 * stay valid. NULL for a file from gguf_open_memory. */
void *gguf_take_mapping(gguf_file *f, size_t *len);

uint32_t gguf_version(const gguf_file *f);
uint64_t gguf_file_size(const gguf_file *f);
size_t gguf_alignment(const gguf_file *f);
uint64_t gguf_data_start(const gguf_file *f);   /* byte offset of the tensor data */
const unsigned char *gguf_bytes(const gguf_file *f);   /* the whole file */

uint64_t gguf_n_kv(const gguf_file *f);
const gguf_kv *gguf_kv_at(const gguf_file *f, uint64_t i);
const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key);   /* NULL if absent */
/* Byte offset of key/value i's key length field in the file. */
uint64_t gguf_kv_file_offset(const gguf_file *f, uint64_t i);

uint64_t gguf_n_tensors(const gguf_file *f);
const gguf_tensor *gguf_tensor_at(const gguf_file *f, uint64_t i);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);   /* NULL if absent */
/* Byte offset of tensor info i's name length field in the file. */
uint64_t gguf_tensor_info_file_offset(const gguf_file *f, uint64_t i);

/* Typed lookups: 0 on success; -1 (after fail()) if the key is absent or
 * holds another type. Any integer type reads as int64 (uint64 above
 * INT64_MAX is an error), float32/float64 as double. */
int gguf_get_int(const gguf_file *f, const char *key, int64_t *out);
int gguf_get_float(const gguf_file *f, const char *key, double *out);
int gguf_get_bool(const gguf_file *f, const char *key, int *out);
int gguf_get_string(const gguf_file *f, const char *key, gguf_str *out);

/* Element i of an array kv (i < kv->n, elem_type not string). */
int64_t gguf_array_int(const gguf_kv *kv, uint64_t i);
double gguf_array_float(const gguf_kv *kv, uint64_t i);
/* Size in bytes of one value of a fixed-size type (0 for string/array). */
size_t gguf_type_size(gguf_type t);

/* ---- writing ------------------------------------------------------------- */

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_new(void);          /* NULL after fail() */
void gguf_writer_free(gguf_writer *w);

/* Set a key (a second set of the same key replaces the value in place,
 * keeping the key's position). Strings are copied. */
int gguf_set_u32(gguf_writer *w, const char *key, uint32_t v);
int gguf_set_i32(gguf_writer *w, const char *key, int32_t v);
int gguf_set_u64(gguf_writer *w, const char *key, uint64_t v);
int gguf_set_i64(gguf_writer *w, const char *key, int64_t v);
int gguf_set_f32(gguf_writer *w, const char *key, float v);
int gguf_set_bool(gguf_writer *w, const char *key, int v);
int gguf_set_string(gguf_writer *w, const char *key, const char *s, size_t len);
/* An array of n fixed-size elements of elem_type, little-endian at data. */
int gguf_set_array(gguf_writer *w, const char *key, gguf_type elem_type, const void *data, uint64_t n);
int gguf_set_string_array(gguf_writer *w, const char *key, const char *const *s,
                          const size_t *lens, uint64_t n);
/* Copy a key/value read by the reader (any type). */
int gguf_set_kv(gguf_writer *w, const gguf_kv *kv);

/* Add a tensor; its data is referenced (not copied) and must stay valid
 * until gguf_writer_write returns. n_bytes must equal the row bytes of
 * dims[0] times the other dims. */
int gguf_add_tensor(gguf_writer *w, const char *name, rg_type type, uint32_t n_dims,
                    const int64_t *dims, const void *data, size_t n_bytes);

/* Write the file atomically (version 3). */
int gguf_writer_write(gguf_writer *w, const char *path);

/* The format vtable "gguf" (gguf_format.c): probe by magic, load into an
 * rg_source with every key and tensor, save an rg_source. */
extern const rg_format_vtable gguf_format;

#endif
