/*
 * cmd_quantize.c — `rustgpt quantize IN.gguf OUT.gguf TYPE`: rewrite a GGUF
 * model with its matrices in TYPE (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, or F16,
 * BF16, F32), keeping every key, the 1-D tensors (norms, biases) and the
 * position and token-type embeddings in F32, as llama.cpp's quantizer
 * does. A matrix whose rows do not split into whole blocks (256 values
 * for the K-quants, 32 for Q8_0/Q4_0) is refused with the reason, before
 * anything is written. The output is written atomically.
 *
 * `rustgpt quantize --show TYPE` prints one block worked through instead:
 * fixed example values, the block's bytes, its scales and integers, the
 * values read back and the error (docs/16-quantization.md quotes it).
 */
#include "cli/cli.h"
#include "core/quant.h"
#include "core/util.h"
#include "formats/gguf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* llama.cpp's general.file_type for a file whose matrices are all `type`. */
static uint32_t file_type_of(rg_type type)
{
    switch (type) {
    case RG_TYPE_F32: return 0;
    case RG_TYPE_F16: return 1;
    case RG_TYPE_Q4_0: return 2;
    case RG_TYPE_Q8_0: return 7;
    case RG_TYPE_Q4_K: return 14;   /* MOSTLY_Q4_K_S */
    case RG_TYPE_Q5_K: return 16;   /* MOSTLY_Q5_K_S */
    case RG_TYPE_Q6_K: return 18;
    case RG_TYPE_BF16: return 32;
    default: return 0;
    }
}

/* The type a tensor gets: matrices (2 or more dimensions) the target,
 * vectors F32. Like llama.cpp's quantizer, the position embeddings and
 * BERT's token-type embeddings stay F32 too: they are added to the token
 * embeddings, and llama.cpp cannot add a quantized tensor. */
static rg_type target_of(const gguf_tensor *t, rg_type type)
{
    static const char *const kept[] = { "position_embd.weight", "token_types.weight" };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (t->name.len == strlen(kept[i]) && memcmp(t->name.ptr, kept[i], t->name.len) == 0) return RG_TYPE_F32;
    return t->n_dims >= 2 ? type : RG_TYPE_F32;
}

/* Convert t to `to` into a new buffer; NULL after fail(). */
static void *convert_tensor(const gguf_tensor *t, rg_type to, size_t *n_bytes)
{
    int64_t cols = t->dims[0], rows = (int64_t)(t->n_bytes / quant_row_bytes(t->type, cols));
    size_t in_row = quant_row_bytes(t->type, cols), out_row = quant_row_bytes(to, cols);
    unsigned char *out = xmalloc((size_t)rows, out_row);
    if (!out) return NULL;
    int failed = 0;
    #pragma omp parallel
    {
        float *values = malloc((size_t)cols * sizeof *values);
        #pragma omp for schedule(dynamic, 16)
        for (int64_t r = 0; r < rows; r++) {
            if (!values) { failed = 1; continue; }
            quant_dequantize_row(t->type, (const unsigned char *)t->data + (size_t)r * in_row, values, cols);
            if (quant_quantize_row(to, values, out + (size_t)r * out_row, cols) != 0) failed = 1;
        }
        free(values);
    }
    if (failed) {
        free(out);
        fail("tensor '%.*s': out of memory converting it", (int)t->name.len, t->name.ptr);
        return NULL;
    }
    *n_bytes = (size_t)rows * out_row;
    return out;
}

const char quantize_help[] =
    "usage: rustgpt quantize IN.gguf OUT.gguf TYPE\n"
    "       rustgpt quantize --show TYPE\n"
    "\n"
    "Rewrites a GGUF model with every matrix in TYPE: Q8_0, Q4_0, Q4_K, Q5_K, Q6_K,\n"
    "F16, BF16 or F32 (vectors such as norms, and position and token-type\n"
    "embeddings, stay F32; every key is kept and general.file_type set). K-quants need rows that are multiples of 256, Q8_0 and\n"
    "Q4_0 of 32; a file that does not fit is refused before anything is written.\n"
    "--show TYPE works one block of example values through (docs/16-quantization.md).\n";

/* ---- --show: one block worked through ------------------------------------ */

/* The example values: a smooth wave with one outlier, the same every run. */
static void example_values(float *x, int n)
{
    for (int i = 0; i < n; i++) x[i] = 0.5f * sinf(0.37f * (float)i) + 0.1f * cosf(1.3f * (float)i);
    x[5] = 1.1f;
}

static void print_floats(const char *label, const float *x, int n)
{
    printf("%-9s", label);
    for (int i = 0; i < n; i++) printf("%s%7.4f", i && i % 8 == 0 ? "\n         " : " ", x[i]);
    printf("\n");
}

static int show_block(rg_type type)
{
    int n = quant_block_size(type) == 256 ? 256 : 32, shown = 32;
    size_t bytes = quant_row_bytes(type, n);
    float x[256], y[256];
    unsigned char block[512];
    example_values(x, n);
    if (quant_quantize_row(type, x, block, n) != 0) return EXIT_RUNTIME;
    quant_dequantize_row(type, block, y, n);
    printf("%s: %d values in %zu bytes = %.2f bits per value (F32: 32, F16: 16)\n\n", quant_type_name(type), n,
           bytes, 8.0 * (double)bytes / n);
    print_floats("values", x, shown);
    printf("bytes    ");
    for (size_t i = 0; i < bytes && i < 48; i++) printf("%s%02x", i && i % 16 == 0 ? "\n         " : " ", block[i]);
    printf("%s\n", bytes > 48 ? " ..." : "");
    if (type == RG_TYPE_Q8_0 || type == RG_TYPE_Q4_0) {
        uint16_t d16 = (uint16_t)(block[0] | block[1] << 8);
        printf("d        %g (f16 0x%04x)\n", quant_f16_to_f32(d16), d16);
        printf("q       ");
        for (int i = 0; i < 32; i++) {
            int q = type == RG_TYPE_Q8_0 ? (int8_t)block[2 + i]
                  : (i < 16 ? block[2 + i] & 0xF : block[2 + i - 16] >> 4);
            printf("%s%4d", i && i % 16 == 0 ? "\n        " : "", q);
        }
        printf("%s\n", type == RG_TYPE_Q4_0 ? "   (value = d * (q - 8))" : "   (value = d * q)");
    } else if (type == RG_TYPE_Q4_K || type == RG_TYPE_Q5_K) {
        uint16_t d16 = (uint16_t)(block[0] | block[1] << 8), m16 = (uint16_t)(block[2] | block[3] << 8);
        printf("d %g, dmin %g; sub-block (scale, min) as 6-bit integers:\n        ", quant_f16_to_f32(d16),
               quant_f16_to_f32(m16));
        for (int j = 0; j < 8; j++) {
            /* the packing of quant_blocks.h's kquant_scale_min */
            const unsigned char *q = block + 4;
            int sc = j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            int m = j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
            printf(" (%d, %d)", sc, m);
        }
        printf("\n         value = d * scale * q - dmin * min\n");
    } else if (type == RG_TYPE_Q6_K) {
        printf("d %g; 16 sub-block scales (int8):", quant_f16_to_f32((uint16_t)(block[208] | block[209] << 8)));
        for (int j = 0; j < 16; j++) printf(" %d", (int8_t)block[192 + j]);
        printf("\n         value = d * scale * (q - 32)\n");
    }
    print_floats("read back", y, shown);
    double err2 = 0, ref2 = 0, worst = 0;
    for (int i = 0; i < n; i++) {
        double e = (double)y[i] - x[i];
        err2 += e * e;
        ref2 += (double)x[i] * x[i];
        if (fabs(e) > worst) worst = fabs(e);
    }
    if (n > shown) printf("(the first %d of %d values)\n", shown, n);
    printf("largest error %.4f, RMS error %.4f = %.2f%% of the values' RMS\n", worst, sqrt(err2 / n),
           100.0 * sqrt(err2 / ref2));
    return EXIT_OK;
}

int cmd_quantize(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--show") == 0) {
        rg_type t;
        if (quant_type_from_name(argv[2], &t) != 0 || t == RG_TYPE_I32 || quant_block_size(t) == 1)
            return usage_error("--show takes a block type: Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q8_K");
        return show_block(t);
    }
    if (argc != 4 || is_option(argv[1]) || is_option(argv[2]) || is_option(argv[3]))
        return usage_error("usage: rustgpt quantize IN.gguf OUT.gguf TYPE   (TYPE: Q8_0 Q4_0 Q4_K Q5_K Q6_K F16 BF16 F32)");
    rg_type type;
    if (quant_type_from_name(argv[3], &type) != 0 || type == RG_TYPE_Q8_K || type == RG_TYPE_I32)
        return usage_error("unknown quantization type '%s' (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, F16, BF16, F32)", argv[3]);
    double start = now_seconds();
    gguf_file *f;
    if (gguf_open(argv[1], &f) != 0) return EXIT_RUNTIME;
    uint64_t n = gguf_n_tensors(f);
    /* refuse before any work: every matrix must split into whole blocks */
    for (uint64_t i = 0; i < n; i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        rg_type to = target_of(t, type);
        if (!quant_type_has_matvec(t->type) && t->type != to) {
            fail("%s: tensor '%.*s' is %s, which cannot be converted", argv[1], (int)t->name.len, t->name.ptr,
                 quant_type_name(t->type));
            gguf_close(f);
            return EXIT_RUNTIME;
        }
        if (quant_row_bytes(to, t->dims[0]) == 0) {
            fail("%s: tensor '%.*s' has rows of %lld values, not a multiple of %d: %s cannot store it",
                 argv[1], (int)t->name.len, t->name.ptr, (long long)t->dims[0], quant_block_size(to),
                 quant_type_name(to));
            gguf_close(f);
            return EXIT_RUNTIME;
        }
    }
    gguf_writer *w = gguf_writer_new();
    void **buffers = xcalloc(n ? n : 1, sizeof *buffers);
    int rc = w && buffers ? 0 : -1;
    for (uint64_t i = 0; rc == 0 && i < gguf_n_kv(f); i++) rc = gguf_set_kv(w, gguf_kv_at(f, i));
    if (rc == 0) rc = gguf_set_u32(w, "general.file_type", file_type_of(type));
    if (rc == 0) rc = gguf_set_u32(w, "general.quantization_version", 2);
    uint64_t in_bytes = 0, out_bytes = 0, converted = 0;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        rg_type to = target_of(t, type);
        const void *data = t->data;
        size_t bytes = t->n_bytes;
        if (to != t->type) {
            if (!(buffers[i] = convert_tensor(t, to, &bytes))) { rc = -1; break; }
            data = buffers[i];
            converted++;
        }
        char name[1024];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        rc = gguf_add_tensor(w, name, to, t->n_dims, t->dims, data, bytes);
        in_bytes += t->n_bytes;
        out_bytes += bytes;
    }
    if (rc == 0) rc = gguf_writer_write(w, argv[2]);
    if (rc == 0) {
        char a[32], b[32];
        printf("%s: %llu of %llu tensors converted to %s, tensor data %s -> %s bytes (%.1f%%) in %.2f s\n",
               argv[2], (unsigned long long)converted, (unsigned long long)n, quant_type_name(type),
               with_commas(a, in_bytes), with_commas(b, out_bytes),
               in_bytes ? 100.0 * (double)out_bytes / (double)in_bytes : 0.0, now_seconds() - start);
    }
    for (uint64_t i = 0; buffers && i < n; i++) free(buffers[i]);
    free(buffers);
    gguf_writer_free(w);
    gguf_close(f);
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
