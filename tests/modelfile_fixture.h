/*
 * modelfile_fixture.h — what the two model-file test programs share: a
 * temporary directory, the tiny model every test builds (V=7, d=4, h=2, H=8,
 * L=1, T=4: 259 parameters, so that trying every truncation length of a file
 * is cheap), and small helpers to read, write and compare files.
 */
#ifndef RUSTGPT_MODELFILE_FIXTURE_H
#define RUSTGPT_MODELFILE_FIXTURE_H
#include "formats/modelfile.h"
#include "core/util.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TINY_PARAMS = 259 };

static char tmp_dir[64];

static inline const char *tmp_path(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

__attribute__((unused)) static const char *const tiny_words[7] = { "<pad>", "<unk>", "</s>", "hello",
                                           "\"", "\\", "caf\xc3\xa9" };

/* The tiny model, with random weights and, when special, the float values
 * that most easily go wrong in a file: -0, subnormals, FLT_MAX, NaN, inf. */
static inline void tiny_model(Model *m, int special)
{
    ModelConfig c = { .vocab_size = 7, .d_model = 4, .n_heads = 2, .d_hidden = 8,
                      .n_layers = 1, .seq_len = 4 };
    if (model_create(m, &c) != 0) { printf("    model_create: %s\n", last_error()); abort(); }
    model_init_weights(m, 42);
    if (vocab_from_words(&m->vocab, tiny_words, 7) != 0) {
        printf("    vocab_from_words: %s\n", last_error());
        abort();
    }
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < m->n_params; i++)   /* values across many exponents */
        m->params[i] += rng_normal(&rng) * powf(10.0f, (float)(rng_u32(&rng) % 12) - 8.0f);
    if (special) {
        uint32_t nan_payload = 0x7fc12345u;
        m->params[0] = -0.0f;
        m->params[1] = 1e-45f;           /* smallest subnormal */
        m->params[2] = FLT_MAX;
        m->params[3] = -FLT_MIN;
        m->params[4] = 3.0e-39f;         /* subnormal */
        m->params[5] = 0.1f;
        if (special > 1) {
            memcpy(&m->params[6], &nan_payload, 4);
            m->params[7] = -INFINITY;
        }
    }
}

static inline int same_bits(const Model *a, const Model *b)
{
    if (memcmp(&a->config, &b->config, sizeof a->config) != 0 || a->n_params != b->n_params)
        return 0;
    if (a->vocab.size != b->vocab.size) return 0;
    for (int i = 0; i < a->vocab.size; i++)
        if (strcmp(a->vocab.words[i], b->vocab.words[i]) != 0) return 0;
    return memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0;
}

static inline int is_zeroed(const Model *m)
{
    static const Model zero;
    return memcmp(m, &zero, sizeof zero) == 0;
}

static inline unsigned char *slurp(const char *path, size_t *len)
{
    return (unsigned char *)read_whole_file(path, len);
}

static inline void write_bytes(const char *path, const void *bytes, size_t len)
{
    FILE *fp = fopen(path, "wb");
    fwrite(bytes, 1, len, fp);
    fclose(fp);
}

/* Load len bytes as the format `ext` names, from an exactly-sized heap copy
 * (so that ASan sees any read past the end). */
static inline int load_buffer(Model *m, const char *ext, const unsigned char *bytes, size_t len,
                       const char *name)
{
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    int rc;
    if (strcmp(ext, "bin") == 0) rc = model_load_bin_buffer(m, NULL, name, copy, len);
    else if (strcmp(ext, "json") == 0) rc = model_load_json_buffer(m, name, (char *)copy, len);
    else rc = model_load_safetensors_buffer(m, name, copy, len);
    free(copy);
    return rc;
}

/* The first occurrence of the string needle in bytes[0..len), or NULL. */
static inline char *find(void *bytes, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp((char *)bytes + i, needle, n) == 0) return (char *)bytes + i;
    return NULL;
}

__attribute__((unused)) static const char *const formats[3] = { "bin", "json", "safetensors" };

/* ---- round trips ------------------------------------------------------- */

#endif
