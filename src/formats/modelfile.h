/*
 * modelfile.h — saving and loading models (DESIGN.md §5, docs/12-model-files.md).
 *
 * Three formats, chosen by the file's extension:
 *   .bin          rustgpt's own: magic, version, config, vocabulary, the float
 *                 buffer (little-endian) and a CRC-32 over everything; can
 *                 also carry the optimizer state of a training checkpoint
 *   .json         the same content as text, floats printed to read back exactly
 *   .safetensors  the public format other tools load (torch, safetensors),
 *                 with the config and vocabulary in __metadata__
 *
 * Loading never trusts the file: every size is checked against the file's
 * length before anything is allocated, and a failure leaves the Model
 * untouched. Saving goes through util.h's atomic writer, so an interrupted
 * save never destroys the previous file.
 */
#ifndef RUSTGPT_MODELFILE_H
#define RUSTGPT_MODELFILE_H

#include "archs/gpt.h"

#include <stdint.h>
#include <stdio.h>

typedef enum { FORMAT_UNKNOWN = 0, FORMAT_BIN, FORMAT_JSON, FORMAT_SAFETENSORS } ModelFormat;

/* The format a path's extension names, or FORMAT_UNKNOWN. */
ModelFormat model_format_of(const char *path);

/* Save m (config, vocabulary, parameters) to path in the format of its
 * extension. Returns 0, or -1 after fail(). */
int model_save(const Model *m, const char *path);

/* Save in the given format, whatever path's extension. */
int model_save_as(const Model *m, const char *path, ModelFormat format);

/* The format the first len bytes of a file of file_len bytes show ("RGPT",
 * an 8-byte header length followed by '{', or a '{'), or FORMAT_UNKNOWN. */
ModelFormat format_of_bytes(const unsigned char *bytes, size_t len, uint64_t file_len);

/* Load path into m (which must be zeroed or freed). The file's first bytes
 * say its format ("RGPT", an 8-byte length then '{', or '{'); when they say
 * nothing, the extension does. A checkpoint loads as its model part.
 * Returns 0, or -1 after fail() with m left zeroed. */
int model_load(Model *m, const char *path);

/* A training checkpoint: where training stands, beside the model. */
typedef struct {
    uint64_t step;          /* Adam steps taken so far                       */
    uint32_t stage;         /* 0 = first stage (pretraining), 1 = chat       */
    uint32_t epoch;         /* epochs completed within the stage             */
    uint64_t rng_state;     /* the shuffling generator's state               */
    float *adam_m;          /* [n_params] first moment, params' layout       */
    float *adam_v;          /* [n_params] second moment                      */
} OptimizerState;

/* Save model and optimizer state (a .bin with its optional optimizer
 * section; any other extension is an error). */
int checkpoint_save(const Model *m, const OptimizerState *opt, const char *path);
/* Load both; opt->adam_m/adam_v are allocated here (free them with free()).
 * A .bin without an optimizer section is an error naming the file. */
int checkpoint_load(Model *m, OptimizerState *opt, const char *path);

/* Print what `rustgpt info` shows: format, version, config, vocabulary size,
 * parameter count, file size and whether the checksum holds — reading only
 * what it needs. One "key: value" line each:
 *   file: models/model.bin        format: bin        version: 1
 *   vocab_size: 7  d_model: 4  n_heads: 2  d_hidden: 8  n_layers: 1  seq_len: 4
 *   vocabulary: 7 words           parameters: 2,975,744
 *   file size: 11,906,014 bytes   checksum: ok | MISMATCH | n/a (...)
 *   optimizer state: no | yes (step 1,200, stage 0, epoch 3)
 * A .bin whose checksum fails is still described (checksum: MISMATCH);
 * a file whose structure is broken is an error. Returns 0, or -1 after
 * fail(). */
int model_file_info(const char *path, FILE *out);

/* In-memory loaders used by model_load and by the fuzz targets: bytes/len is
 * the whole file (it need not be NUL-terminated), name is used in messages.
 * model_load_bin_buffer loads the optimizer state too when opt is not NULL
 * (and then fails on a file without one). */
int model_load_bin_buffer(Model *m, OptimizerState *opt, const char *name,
                          const unsigned char *bytes, size_t len);
int model_load_json_buffer(Model *m, const char *name, const char *text, size_t len);
int model_load_safetensors_buffer(Model *m, const char *name,
                                  const unsigned char *bytes, size_t len);

#endif
