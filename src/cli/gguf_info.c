/*
 * gguf_info.c — `rustgpt info FILE.gguf`: what a GGUF file holds, in the
 * order the file holds it (docs/17-gguf-file.md reads one with it).
 *
 *   the header: magic, version, tensor and key counts, with byte offsets
 *   every key: its byte offset, name, type and value; arrays show their
 *     first elements and their length, long strings their start
 *   every tensor: name, type, shape (row length first, as GGUF stores it),
 *     bytes and offset in the data section; then the totals
 */
#include "cli/cli.h"
#include "core/quant.h"
#include "core/util.h"
#include "formats/gguf.h"

#include <string.h>

enum { SHOW_ELEMENTS = 5, SHOW_STRING_BYTES = 60 };

/* A string as a quoted C-style literal, at most max bytes of it. */
static void print_quoted(FILE *out, gguf_str s, size_t max)
{
    fputc('"', out);
    size_t n = s.len < max ? (size_t)s.len : max;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c < 0x20 || c == 0x7F) fprintf(out, "\\x%02x", c);
        else fputc(c, out);   /* UTF-8 passes through */
    }
    fputc('"', out);
    if (s.len > max) fprintf(out, "... (%llu bytes)", (unsigned long long)s.len);
}

static void print_number(FILE *out, const gguf_kv *kv, uint64_t i)
{
    if (kv->elem_type == GGUF_FLOAT32 || kv->elem_type == GGUF_FLOAT64)
        fprintf(out, "%g", gguf_array_float(kv, i));
    else if (kv->elem_type == GGUF_BOOL)
        fputs(gguf_array_int(kv, i) ? "true" : "false", out);
    else if (kv->elem_type == GGUF_UINT64)
        fprintf(out, "%llu", (unsigned long long)gguf_array_int(kv, i));
    else
        fprintf(out, "%lld", (long long)gguf_array_int(kv, i));
}

static void print_value(FILE *out, const gguf_kv *kv)
{
    switch (kv->type) {
    case GGUF_STRING: print_quoted(out, kv->v.s, SHOW_STRING_BYTES); break;
    case GGUF_FLOAT32: case GGUF_FLOAT64: fprintf(out, "%g", kv->v.f); break;
    case GGUF_BOOL: fputs(kv->v.b ? "true" : "false", out); break;
    case GGUF_UINT8: case GGUF_UINT16: case GGUF_UINT32: case GGUF_UINT64:
        fprintf(out, "%llu", (unsigned long long)kv->v.u);
        break;
    case GGUF_ARRAY: {
        fputc('[', out);
        uint64_t shown = kv->n < SHOW_ELEMENTS ? kv->n : SHOW_ELEMENTS;
        for (uint64_t i = 0; i < shown; i++) {
            if (i) fputs(", ", out);
            if (kv->elem_type == GGUF_STRING) print_quoted(out, kv->strings[i], SHOW_STRING_BYTES);
            else print_number(out, kv, i);
        }
        if (kv->n > shown) fprintf(out, ", ... %llu in all", (unsigned long long)kv->n);
        fputc(']', out);
        break;
    }
    default: fprintf(out, "%lld", (long long)kv->v.i); break;
    }
}

static void type_label(char *buf, size_t cap, const gguf_kv *kv)
{
    if (kv->type == GGUF_ARRAY) snprintf(buf, cap, "%s[]", gguf_type_name(kv->elem_type));
    else snprintf(buf, cap, "%s", gguf_type_name(kv->type));
}

int gguf_print_info(const char *path, FILE *out)
{
    gguf_file *f;
    if (gguf_open(path, &f) != 0) return -1;
    char n1[32], n2[32];
    uint64_t n_kv = gguf_n_kv(f), n_tensors = gguf_n_tensors(f);
    fprintf(out, "%s: GGUF version %u, %s bytes\n", path, gguf_version(f), with_commas(n1, gguf_file_size(f)));
    fprintf(out, "header   @0 magic \"GGUF\"  @4 version %u  @8 tensors %llu  @16 keys %llu\n",
            gguf_version(f), (unsigned long long)n_tensors, (unsigned long long)n_kv);

    fprintf(out, "\nmetadata (%llu keys)\n", (unsigned long long)n_kv);
    size_t key_width = 10;
    for (uint64_t i = 0; i < n_kv; i++) {
        size_t len = (size_t)gguf_kv_at(f, i)->key.len;
        if (len > key_width) key_width = len < 48 ? len : 48;
    }
    for (uint64_t i = 0; i < n_kv; i++) {
        const gguf_kv *kv = gguf_kv_at(f, i);
        char type[24];
        type_label(type, sizeof type, kv);
        fprintf(out, "  @%-7llu %-*.*s %-10s ", (unsigned long long)gguf_kv_file_offset(f, i), (int)key_width,
                (int)kv->key.len, kv->key.ptr, type);
        print_value(out, kv);
        fputc('\n', out);
    }

    fprintf(out, "\ntensors (%llu, infos from byte %llu, data from byte %llu, aligned to %zu)\n",
            (unsigned long long)n_tensors, (unsigned long long)gguf_tensor_info_file_offset(f, 0),
            (unsigned long long)gguf_data_start(f), gguf_alignment(f));
    size_t name_width = 4;
    for (uint64_t i = 0; i < n_tensors; i++) {
        size_t len = (size_t)gguf_tensor_at(f, i)->name.len;
        if (len > name_width) name_width = len < 48 ? len : 48;
    }
    fprintf(out, "  %-*s %-5s %-20s %14s %14s\n", (int)name_width, "name", "type", "shape", "bytes", "offset");
    uint64_t total_bytes = 0, total_values = 0;
    for (uint64_t i = 0; i < n_tensors; i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        char shape[96];
        int at = snprintf(shape, sizeof shape, "[");
        uint64_t values = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            at += snprintf(shape + at, sizeof shape - (size_t)at, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
            values *= (uint64_t)t->dims[d];
        }
        snprintf(shape + at, sizeof shape - (size_t)at, "]");
        fprintf(out, "  %-*.*s %-5s %-20s %14s %14s\n", (int)name_width, (int)t->name.len, t->name.ptr,
                quant_type_name(t->type), shape, with_commas(n1, t->n_bytes), with_commas(n2, t->offset));
        total_bytes += t->n_bytes;
        total_values += values;
    }
    fprintf(out, "\n%s parameters in %s bytes of tensor data (%.2f bits per parameter)\n",
            with_commas(n1, total_values), with_commas(n2, total_bytes),
            total_values ? 8.0 * (double)total_bytes / (double)total_values : 0.0);
    gguf_close(f);
    return 0;
}
