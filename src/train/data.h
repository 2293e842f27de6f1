/*
 * data.h — training data from JSON and CSV files (DESIGN.md §4).
 *
 * A dataset is a list of texts, each ending in " </s>". Accepted shapes:
 *   JSON  ["text", ...]                          (the original RustGPT files)
 *         [{"text": "..."}, ...]
 *         [{"prompt": "...", "response": "..."}, ...]
 *   CSV   a header row naming `text`, or `prompt` and `response`
 * A prompt/response pair is rendered "User: {prompt} Assistant: {response} </s>".
 * The file's format follows its extension (.json or .csv).
 *
 * Every problem is reported with its place: "data/x.json: entry 12: expected
 * a string, found a number", "data/x.csv:7: row has 3 fields, header has 2".
 * JSON entries are numbered from 1 (entry 1 is the first element of the
 * array); a CSV location is the line on which the record starts, counting
 * the header as line 1 and every newline inside quoted fields.
 *
 * Every text must be valid UTF-8, not empty (not only whitespace) and at
 * most DATA_MAX_TEXT_BYTES long; a file must not be empty nor hold a NUL
 * (nor a \u0000 escape in JSON). A JSON object must not give a key twice;
 * no CSV field, in any column, may pass DATA_MAX_TEXT_BYTES.
 *
 * The format readers are data_json.c and data_csv.c (data_internal.h).
 */
#ifndef RUSTGPT_DATA_H
#define RUSTGPT_DATA_H

#include <stddef.h>

/* The longest text one entry may hold, in bytes (1 MiB). */
#define DATA_MAX_TEXT_BYTES ((size_t)1 << 20)

typedef struct {
    char **texts;     /* each NUL-terminated, ending in "</s>" */
    size_t count;
    size_t capacity;
    /* Data-parallel training (train/dist.h): with n_shards > 1 the readers
     * keep only entries number shard, shard + n_shards, ... (counting every
     * entry offered, from 0, across files) and do not even check the
     * others, so each rank holds and validates its share alone. */
    size_t shard, n_shards, offered;
} Dataset;

/* Load path (adding to whatever ds already holds). Returns 0, or -1 after
 * fail() with the file and location; ds is left as it was on failure. */
int data_load(Dataset *ds, const char *path);

/* Load from memory; name is used in messages and chooses the format
 * (".json" or ".csv" at its end). Used by the fuzzers and tests. */
int data_load_buffer(Dataset *ds, const char *name, const char *bytes, size_t len);

/* Append one text (len bytes, trimmed of surrounding whitespace), adding
 * " </s>" when it does not already end in "</s>". Does no other checking.
 * Returns 0, or -1 after fail() when out of memory. */
int dataset_add(Dataset *ds, const char *text, size_t len);

void dataset_free(Dataset *ds);

/* Keep only this share of the entries loaded from now on (see Dataset). */
void dataset_set_shard(Dataset *ds, size_t shard, size_t n_shards);

#endif
