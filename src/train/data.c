/*
 * data.c — training texts from JSON, JSON Lines, CSV and plain-text files
 * (DESIGN.md §4, contract in data.h). This is the first step of the flow:
 * the texts it returns go to the tokenizer, which builds the vocabulary and
 * turns them into ids for batches.
 *
 * This file holds what the formats share: messages with their place, the
 * checks every value gets (not blank, at most DATA_MAX_TEXT_BYTES, valid
 * UTF-8), the Dataset itself, and the entry points that read a file and
 * hand it to data_json.c, data_csv.c, data_jsonl.c or data_txt.c by its
 * extension.
 *
 * A load never half-succeeds. Everything is read into a staging Dataset and
 * moved into the caller's only when the whole file was good, so on any error
 * the caller's dataset is exactly as it was. JSON and CSV are read whole:
 * memory is the file plus the texts it holds (about twice the file at the
 * peak; 100 MB of JSON loads in about 220 MB). .txt and .jsonl are read a
 * line at a time (data_lines.c), so memory is the texts and one buffer.
 * The text array grows geometrically, JSON is parsed one entry at a time,
 * CSV cells reuse their buffers, and a value over the text limit is refused
 * before a parser copies it, so a 1 GB line costs no more than its own
 * bytes (tests/stress.sh measures both).
 */
#include "train/data.h"
#include "train/data_internal.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- places and messages ----------------------------------------------- */

/* fail() with the place in front: "x.json: entry 3: ...", "x.csv:7: ...". */
int data_fail_at(const Place *at, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (at->entry) return fail("%s: entry %zu: %s", at->file, at->entry, what);
    if (at->line) return fail("%s:%zu: %s", at->file, at->line, what);
    return fail("%s: %s", at->file, what);
}

/* ---- the dataset ------------------------------------------------------- */

static int dataset_reserve(Dataset *ds, size_t needed)
{
    if (needed <= ds->capacity) return 0;
    size_t capacity = ds->capacity ? ds->capacity : 16;
    while (capacity < needed) {
        if (capacity > SIZE_MAX / 2 / sizeof *ds->texts)
            return fail("out of memory: cannot hold %zu texts", needed);
        capacity *= 2;
    }
    char **texts = realloc(ds->texts, capacity * sizeof *texts);
    if (!texts) return fail("out of memory: cannot hold %zu texts", needed);
    ds->texts = texts;
    ds->capacity = capacity;
    return 0;
}

int dataset_add(Dataset *ds, const char *text, size_t len)
{
    trim(&text, &len);
    int has_eos = len >= 4 && memcmp(text + len - 4, "</s>", 4) == 0;
    const char *eos = has_eos ? "" : len > 0 ? " </s>" : "</s>";
    size_t eos_len = strlen(eos);
    if (dataset_reserve(ds, ds->count + 1) != 0) return -1;
    char *copy = xmalloc(len + eos_len + 1, 1);
    if (!copy) return -1;
    if (len > 0) memcpy(copy, text, len);
    memcpy(copy + len, eos, eos_len + 1);
    ds->texts[ds->count++] = copy;
    return 0;
}

void dataset_free(Dataset *ds)
{
    for (size_t i = 0; i < ds->count; i++) free(ds->texts[i]);
    free(ds->texts);
    memset(ds, 0, sizeof *ds);
}

void dataset_set_shard(Dataset *ds, size_t shard, size_t n_shards)
{
    ds->shard = shard;
    ds->n_shards = n_shards;
    ds->offered = 0;
}

/* Is the next entry offered to ds this process's to keep? */
static int dataset_keeps_next(Dataset *ds)
{
    return ds->n_shards <= 1 || ds->offered++ % ds->n_shards == ds->shard;
}

/* Move every text of staged to the end of ds. On failure ds is unchanged;
 * staged is emptied either way. */
static int dataset_take(Dataset *ds, Dataset *staged)
{
    if (dataset_reserve(ds, ds->count + staged->count) != 0) {
        dataset_free(staged);
        return -1;
    }
    memcpy(ds->texts + ds->count, staged->texts, staged->count * sizeof *staged->texts);
    ds->count += staged->count;
    free(staged->texts);
    memset(staged, 0, sizeof *staged);
    return 0;
}

/* ---- checking and adding one text -------------------------------------- */

int data_fail_size(const Place *at, size_t len)
{
    char have[32], limit[32];
    return data_fail_at(at, "text is %s bytes; the limit is %s",
                        with_commas(have, len), with_commas(limit, DATA_MAX_TEXT_BYTES));
}

/* The checks every value gets, whichever file it came from; what names it
 * in messages ("text", "prompt", "response"). */
static int check_value(const Place *at, const char *what, const char *s, size_t len)
{
    if (is_blank(s, len)) return data_fail_at(at, "%s is empty", what);
    if (len > DATA_MAX_TEXT_BYTES) return data_fail_size(at, len);
    size_t bad = utf8_invalid_at(s, len);
    if (bad < len) return data_fail_at(at, "invalid UTF-8 in %s at byte offset %zu", what, bad);
    return 0;
}

int data_add_text(Dataset *ds, const Place *at, const char *text, size_t len)
{
    if (!dataset_keeps_next(ds)) return 0;
    if (check_value(at, "text", text, len) != 0) return -1;
    return dataset_add(ds, text, len);
}

/* Render "User: {prompt} Assistant: {response}" and add it (dataset_add
 * puts the " </s>" on). */
int data_add_pair(Dataset *ds, const Place *at, const char *prompt, size_t prompt_len,
                    const char *response, size_t response_len)
{
    static const char user[] = "User: ", assistant[] = " Assistant: ";
    if (!dataset_keeps_next(ds)) return 0;
    if (check_value(at, "prompt", prompt, prompt_len) != 0 ||
        check_value(at, "response", response, response_len) != 0)
        return -1;
    trim(&prompt, &prompt_len);
    trim(&response, &response_len);
    size_t len = (sizeof user - 1) + prompt_len + (sizeof assistant - 1) + response_len;
    if (len > DATA_MAX_TEXT_BYTES) return data_fail_size(at, len);
    char *text = xmalloc(len, 1), *p = text;
    if (!text) return -1;
    memcpy(p, user, sizeof user - 1);           p += sizeof user - 1;
    memcpy(p, prompt, prompt_len);              p += prompt_len;
    memcpy(p, assistant, sizeof assistant - 1); p += sizeof assistant - 1;
    memcpy(p, response, response_len);
    int rc = dataset_add(ds, text, len);
    free(text);
    return rc;
}

int data_add_turns(Dataset *ds, const Place *at, const char *const *user,
                   const char *const *assistant, int n)
{
    static const char sep[] = " </s> ", user_tag[] = "User: ", assistant_tag[] = " Assistant: ";
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (check_value(at, "a user message", user[i], strlen(user[i])) != 0 ||
            check_value(at, "an assistant message", assistant[i], strlen(assistant[i])) != 0)
            return -1;
        len += (i ? sizeof sep - 1 : 0) + sizeof user_tag - 1 + strlen(user[i]) +
               sizeof assistant_tag - 1 + strlen(assistant[i]);
    }
    if (len > DATA_MAX_TEXT_BYTES) return data_fail_size(at, len);
    char *text = xmalloc(len + 1, 1), *p = text;
    if (!text) return -1;
    for (int i = 0; i < n; i++) {
        const char *u = user[i], *a = assistant[i];
        size_t u_len = strlen(u), a_len = strlen(a);
        trim(&u, &u_len);
        trim(&a, &a_len);
        if (i) memcpy(p, sep, sizeof sep - 1), p += sizeof sep - 1;
        memcpy(p, user_tag, sizeof user_tag - 1), p += sizeof user_tag - 1;
        memcpy(p, u, u_len), p += u_len;
        memcpy(p, assistant_tag, sizeof assistant_tag - 1), p += sizeof assistant_tag - 1;
        memcpy(p, a, a_len), p += a_len;
    }
    int rc = dataset_add(ds, text, (size_t)(p - text));
    free(text);
    return rc;
}

/* ---- loading ----------------------------------------------------------- */

enum { FORMAT_UNKNOWN, FORMAT_JSON, FORMAT_CSV, FORMAT_TXT, FORMAT_JSONL };

static int data_format(const char *name)
{
    static const struct { const char *ext; int format; } formats[] = {
        { ".json", FORMAT_JSON }, { ".csv", FORMAT_CSV }, { ".txt", FORMAT_TXT }, { ".jsonl", FORMAT_JSONL },
    };
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        size_t n = strlen(formats[i].ext);
        if (len >= n && strcasecmp(name + len - n, formats[i].ext) == 0) return formats[i].format;
    }
    return FORMAT_UNKNOWN;
}

static int fail_unknown_format(const char *name)
{
    return data_fail_at(&(Place){ name, 0, 0 }, "unknown data format; use .json, .jsonl, .csv or .txt");
}

/* Where a format reader takes its bytes from: the whole file in memory
 * (JSON, CSV) or a line reader (.txt, .jsonl). */
typedef struct {
    int format;
    const char *name, *bytes;
    size_t len;
    LineReader *lines;
} Source;

/* Read src with its format's reader into a staging dataset, then move the
 * texts to ds: on any error ds is exactly as it was. */
static int load_staged(Dataset *ds, const Source *src)
{
    Dataset staged = { 0 };
    dataset_set_shard(&staged, ds->shard, ds->n_shards);
    staged.offered = ds->offered;
    int rc;
    switch (src->format) {
    case FORMAT_JSON: rc = data_load_json(&staged, src->name, src->bytes, src->len); break;
    case FORMAT_CSV:  rc = data_load_csv(&staged, src->name, src->bytes, src->len); break;
    case FORMAT_TXT:  rc = data_load_txt(&staged, src->lines); break;
    default:          rc = data_load_jsonl(&staged, src->lines); break;
    }
    if (rc != 0) {
        dataset_free(&staged);
        return rc;
    }
    ds->offered = staged.offered;
    return dataset_take(ds, &staged);
}

/* The longest piece of a line each streaming format takes at once. */
static size_t piece_limit(int format)
{
    return format == FORMAT_TXT ? DATA_TXT_PIECE : DATA_MAX_LINE_BYTES;
}

int data_load_buffer(Dataset *ds, const char *name, const char *bytes, size_t len)
{
    Place file = { name, 0, 0 };
    int format = data_format(name);
    if (format == FORMAT_UNKNOWN) return fail_unknown_format(name);
    if (format == FORMAT_TXT || format == FORMAT_JSONL) {
        LineReader lines;
        lines_open_buffer(&lines, name, bytes, len, piece_limit(format));
        return load_staged(ds, &(Source){ format, name, NULL, 0, &lines });
    }
    if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {   /* UTF-8 byte-order mark */
        bytes += 3;
        len -= 3;
    }
    if (is_blank(bytes, len)) return data_fail_at(&file, "file is empty");
    const char *nul = memchr(bytes, '\0', len);
    if (nul) {
        file.line = line_at(bytes, (size_t)(nul - bytes));
        return data_fail_at(&file, "NUL byte in the file; data files must be UTF-8 text");
    }
    return load_staged(ds, &(Source){ format, name, bytes, len, NULL });
}

int data_load(Dataset *ds, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {   /* before its (missing) extension */
        Place file = { path, 0, 0 };
        return data_fail_at(&file, "is a directory, not a regular file");
    }
    int format = data_format(path);
    if (format == FORMAT_UNKNOWN) return fail_unknown_format(path);
    if (format == FORMAT_TXT || format == FORMAT_JSONL) {     /* streamed, a line at a time */
        LineReader lines;
        if (lines_open(&lines, path, piece_limit(format)) != 0) return -1;
        int rc = load_staged(ds, &(Source){ format, path, NULL, 0, &lines });
        lines_close(&lines);
        return rc;
    }
    size_t len;
    char *bytes = read_whole_file(path, &len);
    if (!bytes) return -1;
    int rc = data_load_buffer(ds, path, bytes, len);
    free(bytes);
    return rc;
}
