/*
 * data.h — training data from JSON, JSON Lines, CSV and plain-text files
 * (DESIGN.md §4).
 *
 * A dataset is a list of texts, each ending in " </s>". Accepted shapes:
 *   JSON  ["text", ...]                          (the original RustGPT files)
 *         [{"text": "..."}, ...]
 *         [{"prompt": "...", "response": "..."}, ...]
 *         [{"messages": [{"role": "user", "content": "..."}, ...]}, ...]
 *   JSONL one entry of those shapes per line (blank lines are skipped)
 *   CSV   a header row naming `text`, or `prompt` and `response`
 *   TXT   documents separated by blank lines, each one text
 * A prompt/response pair is rendered "User: {prompt} Assistant: {response} </s>".
 * The file's format follows its extension (.json, .jsonl, .csv or .txt).
 * JSON and CSV files are read whole; .jsonl and .txt a line at a time, so
 * a large file costs its texts and not a second copy of itself. A .txt
 * document longer than DATA_MAX_TEXT_BYTES is cut into texts of at most
 * that size at line ends (not an error).
 *
 * Every problem is reported with its place: "data/x.json: entry 12: expected
 * a string, found a number", "data/x.csv:7: row has 3 fields, header has 2",
 * "data/x.jsonl:17: invalid UTF-8 at column 5". JSON entries are numbered
 * from 1 (entry 1 is the first element of the array); a CSV location is the
 * line on which the record starts, counting the header as line 1 and every
 * newline inside quoted fields; a .jsonl location is the line of the entry,
 * a .txt location the line of the problem or the first line of the document.
 *
 * Every text must be valid UTF-8, not empty (not only whitespace) and at
 * most DATA_MAX_TEXT_BYTES long; a file must not be empty nor hold a NUL
 * (nor a \u0000 escape in JSON). A JSON object must not give a key twice;
 * no CSV field, in any column, may pass DATA_MAX_TEXT_BYTES.
 *
 * The format readers are data_json.c, data_csv.c, data_jsonl.c and
 * data_txt.c, the last two over the line reader data_lines.c
 * (data_internal.h).
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
 * (".json", ".jsonl", ".csv" or ".txt" at its end). Used by the fuzzers
 * and tests. */
int data_load_buffer(Dataset *ds, const char *name, const char *bytes, size_t len);

/* Append one text (len bytes, trimmed of surrounding whitespace), adding
 * " </s>" when it does not already end in "</s>". Does no other checking.
 * Returns 0, or -1 after fail() when out of memory. */
int dataset_add(Dataset *ds, const char *text, size_t len);

void dataset_free(Dataset *ds);

/* Keep only this share of the entries loaded from now on (see Dataset). */
void dataset_set_shard(Dataset *ds, size_t shard, size_t n_shards);

#endif
