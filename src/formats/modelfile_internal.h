/*
 * modelfile_internal.h — what the three model file formats share; not part
 * of the public interface (that is modelfile.h).
 *
 * modelfile.c                  dispatch by format, save/load/info entry points,
 *                              and the helpers below
 * modelfile_bin.c              .bin: the byte layout, checkpoints, the CRC
 * modelfile_json.c             .json: hand-printed, read back with cJSON
 * modelfile_safetensors.c      .safetensors: 8-byte length, JSON header, data
 *
 * Every multi-byte number in a file is little-endian, whatever the host: the
 * helpers below assemble and take apart the bytes one by one, so the same
 * file reads the same on every machine.
 */
#ifndef RUSTGPT_MODELFILE_INTERNAL_H
#define RUSTGPT_MODELFILE_INTERNAL_H

#include "formats/modelfile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The version every format writes and the newest each reads. */
enum { MODELFILE_VERSION = 1 };

/* ---- little-endian bytes ----------------------------------------------- */

static inline void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* n floats to 4n little-endian bytes (IEEE-754 binary32 bit patterns, so
 * NaN payloads and -0 survive), and back. */
static inline void floats_to_le(unsigned char *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], 4);
        put_u32(dst + 4 * i, bits);
    }
}

static inline void floats_from_le(float *dst, const unsigned char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = get_u32(src + 4 * i);
        memcpy(&dst[i], &bits, 4);
    }
}

/* Write n floats little-endian through a small buffer; *crc (if not NULL)
 * is updated over the bytes written. Returns 0, or -1 after fail(). */
int write_floats_le(FILE *fp, const float *src, size_t n, uint32_t *crc, const char *path);

/* ---- errors and models ------------------------------------------------- */

/* Prefix the last error message with a file name: "name: <message>".
 * Returns -1, so that `return fail_in_file(name);` reads naturally. */
int fail_in_file(const char *name);

/* m = a fresh model with config c (already validated) and the vocabulary
 * words[0..n_words). Checks n_words == c->vocab_size. Messages name the
 * file. On failure m is left zeroed and nothing is allocated. */
int model_assemble(Model *m, const ModelConfig *c, const char *const *words, int n_words,
                   const char *name);

/* Before saving: config valid, parameter buffer and vocabulary present and
 * consistent with it. */
int model_check_saveable(const Model *m, const char *path);

/* The number of floats config c (validated) needs, with an overflow guard:
 * -1 after fail() if the buffer's byte size (three copies of it, for a
 * checkpoint) would not fit in size_t. */
int param_count_checked(const ModelConfig *c, size_t *n_params, const char *name);

/* ---- `rustgpt info` ---------------------------------------------------- */

typedef struct {
    const char *format;          /* "bin", "json", "safetensors"             */
    unsigned version;
    ModelConfig config;
    int vocab_words;             /* words in the stored vocabulary           */
    int vocab_lowercase;         /* it folds case (train --lowercase)        */
    size_t n_params;
    unsigned long long file_size;
    const char *checksum;        /* "ok", "MISMATCH", or "n/a (...)"         */
    int has_optimizer;
    uint64_t step;
    uint32_t stage, epoch;
} ModelFileSummary;

void summary_print(const ModelFileSummary *s, const char *path, FILE *out);

/* ---- the formats ------------------------------------------------------- */

/* Writers: the whole file to fp (opened by the atomic writer). */
int bin_write(const Model *m, const OptimizerState *opt, FILE *fp, const char *path);
int json_check_finite(const Model *m, const char *path);
int json_write(const Model *m, FILE *fp, const char *path);
int safetensors_write(const Model *m, FILE *fp, const char *path);

/* Summaries for `info`, reading as little of the file as each format
 * allows (.bin: the header, then a streaming CRC pass; .safetensors: the
 * header only; .json: all of it, validated by the loader). */
int bin_summary(const char *path, ModelFileSummary *s);
int safetensors_summary(const char *path, ModelFileSummary *s);

#endif
