/*
 * fuzz_gguf.c — libFuzzer target: arbitrary bytes as a GGUF file
 * (formats/gguf.c). Whatever parses is then walked completely, as a model
 * loader would: every key looked up by name, every array element and
 * string read, every tensor looked up, its first and last bytes read and
 * its first row dequantized — so a size the reader accepted but did not
 * really check shows up as an out-of-bounds read under ASan.
 */
#include "formats/gguf.h"
#include "core/quant.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile unsigned sink;

static void touch(const void *p, uint64_t n)
{
    if (n == 0) return;
    sink += ((const unsigned char *)p)[0] + ((const unsigned char *)p)[n - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gguf_file *f;
    if (gguf_open_memory(data, size, "fuzz.gguf", &f) != 0) return 0;
    char name[256];
    for (uint64_t i = 0; i < gguf_n_kv(f); i++) {
        const gguf_kv *kv = gguf_kv_at(f, i);
        touch(kv->key.ptr, kv->key.len);
        size_t n = kv->key.len < sizeof name - 1 ? (size_t)kv->key.len : sizeof name - 1;
        memcpy(name, kv->key.ptr, n);
        name[n] = '\0';
        sink += gguf_find_kv(f, name) != NULL;
        if (kv->type == GGUF_STRING) touch(kv->v.s.ptr, kv->v.s.len);
        if (kv->type != GGUF_ARRAY) continue;
        for (uint64_t j = 0; j < kv->n; j++) {
            if (kv->elem_type == GGUF_STRING) touch(kv->strings[j].ptr, kv->strings[j].len);
            else sink += (unsigned)gguf_array_int(kv, j) + (gguf_array_float(kv, j) > 0);
        }
    }
    for (uint64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        size_t n = t->name.len < sizeof name - 1 ? (size_t)t->name.len : sizeof name - 1;
        memcpy(name, t->name.ptr, n);
        name[n] = '\0';
        sink += gguf_find_tensor(f, name) != NULL;
        touch(t->data, t->n_bytes);
        if (quant_type_has_matvec(t->type) && t->dims[0] <= 4096) {
            float row[4096];
            quant_dequantize_row(t->type, t->data, row, t->dims[0]);
            sink += row[0] > 0;
        }
    }
    gguf_close(f);
    return 0;
}
