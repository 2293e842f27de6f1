/*
 * data.c — training texts from JSON and CSV files (DESIGN.md §4, contract in
 * data.h). This is the first step of the flow: the texts it returns go to the
 * tokenizer, which builds the vocabulary and turns them into ids for batches.
 *
 * A load never half-succeeds. Everything is read into a staging Dataset and
 * moved into the caller's only when the whole file was good, so on any error
 * the caller's dataset is exactly as it was. Memory is linear in the file
 * size: the text array grows geometrically, CSV cells reuse their buffers.
 *
 * JSON goes through cJSON, which builds the whole tree; entries are numbered
 * from 1 in messages ("x.json: entry 1" is the array's first element), and a
 * syntax error is placed at the line of cJSON's error position.
 *
 * CSV goes through libcsv in strict mode, which reports fields and record ends
 * by callback but not positions. We feed it one line at a time, so we always
 * know which line it is on, and count the newlines inside each record's
 * fields: a record that ends on line L with k newlines inside its quoted
 * fields began on line L - k, and that is the line messages name.
 */
#include "data.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- places and messages ----------------------------------------------- */

/* Where a problem is: a file, and a line or a JSON entry (0 = not known). */
typedef struct {
    const char *file;
    size_t line;     /* from 1 */
    size_t entry;    /* JSON array index, from 1 */
} Place;

/* fail() with the place in front: "x.json: entry 3: ...", "x.csv:7: ...". */
static int fail_at(const Place *at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_at(const Place *at, const char *fmt, ...)
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

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(s[i])) return 0;
    return 1;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((*s)[0])) { (*s)++; (*len)--; }
    while (*len > 0 && is_space((*s)[*len - 1])) (*len)--;
}

static size_t count_newlines(const char *s, size_t len)
{
    size_t n = 0;
    for (const char *end = s + len; (s = memchr(s, '\n', (size_t)(end - s))) != NULL; s++) n++;
    return n;
}

/* The line (from 1) that holds byte offset of bytes. */
static size_t line_at(const char *bytes, size_t offset)
{
    return 1 + count_newlines(bytes, offset);
}

/* The offset of the first byte that does not belong to a well-formed UTF-8
 * sequence (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above
 * U+10FFFF), or len when there is none. lo..hi is the range the second byte
 * of a sequence may take; it is narrower than 80..BF exactly where those
 * three exclusions bite. */
static size_t utf8_invalid_at(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned lead = s[i], lo = 0x80, hi = 0xBF;
        size_t n;
        if (lead < 0x80) { i++; continue; }
        if (lead >= 0xC2 && lead <= 0xDF) n = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) n = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) n = 4;
        else return i;
        if (lead == 0xE0) lo = 0xA0;           /* overlong 3-byte form */
        if (lead == 0xED) hi = 0x9F;           /* D800..DFFF, surrogates */
        if (lead == 0xF0) lo = 0x90;           /* overlong 4-byte form */
        if (lead == 0xF4) hi = 0x8F;           /* above U+10FFFF */
        if (len - i < n || s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i;
        i += n;
    }
    return len;
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

static int fail_size(const Place *at, size_t len)
{
    char have[32], limit[32];
    return fail_at(at, "text is %s bytes; the limit is %s",
                   with_commas(have, len), with_commas(limit, DATA_MAX_TEXT_BYTES));
}

/* The checks every value gets, whichever file it came from; what names it
 * in messages ("text", "prompt", "response"). */
static int check_value(const Place *at, const char *what, const char *s, size_t len)
{
    if (is_blank(s, len)) return fail_at(at, "%s is empty", what);
    if (len > DATA_MAX_TEXT_BYTES) return fail_size(at, len);
    size_t bad = utf8_invalid_at(s, len);
    if (bad < len) return fail_at(at, "invalid UTF-8 in %s at byte offset %zu", what, bad);
    return 0;
}

static int add_text(Dataset *ds, const Place *at, const char *text, size_t len)
{
    if (check_value(at, "text", text, len) != 0) return -1;
    return dataset_add(ds, text, len);
}

/* Render "User: {prompt} Assistant: {response}" and add it (dataset_add
 * puts the " </s>" on). */
static int add_pair(Dataset *ds, const Place *at, const char *prompt, size_t prompt_len,
                    const char *response, size_t response_len)
{
    static const char user[] = "User: ", assistant[] = " Assistant: ";
    if (check_value(at, "prompt", prompt, prompt_len) != 0 ||
        check_value(at, "response", response, response_len) != 0)
        return -1;
    trim(&prompt, &prompt_len);
    trim(&response, &response_len);
    size_t len = (sizeof user - 1) + prompt_len + (sizeof assistant - 1) + response_len;
    if (len > DATA_MAX_TEXT_BYTES) return fail_size(at, len);
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

/* ---- JSON -------------------------------------------------------------- */

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "an invalid value";
}

/* *value = the string field key of object, or NULL when it is absent; a
 * field that is present but not a string is an error. */
static int json_field(const Place *at, const cJSON *object, const char *key, const char **value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    *value = NULL;
    if (!item) return 0;
    if (!cJSON_IsString(item))
        return fail_at(at, "\"%s\" is %s; expected a string", key, json_type_name(item));
    *value = item->valuestring;
    return 0;
}

static int json_entry(Dataset *ds, const Place *at, const cJSON *entry)
{
    if (cJSON_IsString(entry))
        return add_text(ds, at, entry->valuestring, strlen(entry->valuestring));
    if (!cJSON_IsObject(entry))
        return fail_at(at, "expected a string or an object, found %s", json_type_name(entry));
    const char *text, *prompt, *response;
    if (json_field(at, entry, "text", &text) != 0 ||
        json_field(at, entry, "prompt", &prompt) != 0 ||
        json_field(at, entry, "response", &response) != 0)
        return -1;
    if (text && (prompt || response))
        return fail_at(at, "object has both \"text\" and \"prompt\"/\"response\"; use one");
    if (text) return add_text(ds, at, text, strlen(text));
    if (prompt && response)
        return add_pair(ds, at, prompt, strlen(prompt), response, strlen(response));
    if (prompt) return fail_at(at, "object has \"prompt\" but no \"response\"");
    if (response) return fail_at(at, "object has \"response\" but no \"prompt\"");
    return fail_at(at, "object has neither \"text\" nor \"prompt\"/\"response\"");
}

static size_t skip_spaces(const char *bytes, size_t len, size_t at)
{
    while (at < len && is_space(bytes[at])) at++;
    return at;
}

static int load_json(Dataset *ds, const char *name, const char *bytes, size_t len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(bytes, len, &end, 0);
    if (!root) {
        size_t offset = end && end >= bytes && end <= bytes + len ? (size_t)(end - bytes) : len;
        size_t line_start = offset;
        while (line_start > 0 && bytes[line_start - 1] != '\n') line_start--;
        Place at = { name, line_at(bytes, offset), 0 };
        return fail_at(&at, "invalid JSON near column %zu", offset - line_start + 1);
    }
    int rc = 0;
    size_t after = skip_spaces(bytes, len, (size_t)(end - bytes));
    Place top = { name, line_at(bytes, skip_spaces(bytes, len, 0)), 0 };
    if (after < len) {
        top.line = line_at(bytes, after);
        rc = fail_at(&top, "unexpected text after the JSON value");
    } else if (!cJSON_IsArray(root)) {
        rc = fail_at(&top, "expected a JSON array of strings or objects, found %s",
                     json_type_name(root));
    } else if (!root->child) {
        rc = fail_at(&top, "the array is empty; expected strings or objects to train on");
    }
    Place at = { name, 0, 0 };
    for (const cJSON *entry = root->child; rc == 0 && entry; entry = entry->next) {
        at.entry++;
        rc = json_entry(ds, &at, entry);
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- CSV --------------------------------------------------------------- */

enum { COL_TEXT, COL_PROMPT, COL_RESPONSE, N_COLS };
static const char *const column_names[N_COLS] = { "text", "prompt", "response" };
#define NO_COLUMN SIZE_MAX

/* The state the libcsv callbacks share. */
typedef struct {
    Dataset *ds;
    Place at;                  /* at.line: the line being fed to libcsv */
    size_t chunk_end;          /* offset just past that line */
    size_t after_record;       /* offset just past the last complete record */
    size_t n_header;           /* fields in the header, 0 until it is read */
    size_t column[N_COLS];     /* index of each named column, or NO_COLUMN */
    size_t n_fields;           /* fields so far in the current record ... */
    size_t newlines;           /* ... and the newlines inside them */
    char *cell[N_COLS];        /* the current record's named values */
    size_t cell_len[N_COLS], cell_cap[N_COLS];
    size_t rows;               /* data rows read */
    int failed;                /* a callback failed: ignore the rest */
} CsvReader;

static int header_field(CsvReader *r, const Place *at, size_t index, const char *name, size_t len)
{
    trim(&name, &len);
    for (int c = 0; c < N_COLS; c++) {
        if (len != strlen(column_names[c]) || strncasecmp(name, column_names[c], len) != 0)
            continue;
        if (r->column[c] != NO_COLUMN)
            return fail_at(at, "header names `%s` twice", column_names[c]);
        r->column[c] = index;
    }
    return 0;
}

static int store_cell(CsvReader *r, int c, const char *value, size_t len)
{
    if (len + 1 > r->cell_cap[c]) {
        size_t cap = r->cell_cap[c] ? r->cell_cap[c] : 256;
        while (cap < len + 1) cap *= 2;
        char *bigger = realloc(r->cell[c], cap);
        if (!bigger) return fail("out of memory: a CSV field of %zu bytes", len);
        r->cell[c] = bigger;
        r->cell_cap[c] = cap;
    }
    memcpy(r->cell[c], value, len);
    r->cell[c][len] = '\0';
    r->cell_len[c] = len;
    return 0;
}

static void csv_on_field(void *data, size_t len, void *ctx)
{
    CsvReader *r = ctx;
    const char *value = data ? data : "";
    if (r->failed) return;
    size_t index = r->n_fields++;
    r->newlines += count_newlines(value, len);
    Place at = r->at;
    at.line -= r->newlines;
    int rc = 0;
    if (r->n_header == 0) {
        rc = header_field(r, &at, index, value, len);
    } else {
        for (int c = 0; c < N_COLS && rc == 0; c++)
            if (r->column[c] == index) rc = store_cell(r, c, value, len);
    }
    if (rc != 0) r->failed = 1;
}

static int finish_header(CsvReader *r, const Place *at)
{
    r->n_header = r->n_fields;
    int has_text = r->column[COL_TEXT] != NO_COLUMN;
    int has_prompt = r->column[COL_PROMPT] != NO_COLUMN;
    int has_response = r->column[COL_RESPONSE] != NO_COLUMN;
    if (has_text && (has_prompt || has_response))
        return fail_at(at, "header has both a `text` column and `prompt`/`response`; use one");
    if (!has_text && !(has_prompt && has_response))
        return fail_at(at, "header has no `text` column, nor `prompt` and `response`");
    return 0;
}

static int finish_row(CsvReader *r, const Place *at)
{
    if (r->n_fields != r->n_header)
        return fail_at(at, "row has %zu field%s, header has %zu",
                       r->n_fields, r->n_fields == 1 ? "" : "s", r->n_header);
    r->rows++;
    if (r->column[COL_TEXT] != NO_COLUMN)
        return add_text(r->ds, at, r->cell[COL_TEXT], r->cell_len[COL_TEXT]);
    return add_pair(r->ds, at, r->cell[COL_PROMPT], r->cell_len[COL_PROMPT],
                    r->cell[COL_RESPONSE], r->cell_len[COL_RESPONSE]);
}

static void csv_on_record(int terminator, void *ctx)
{
    CsvReader *r = ctx;
    if (r->failed) return;
    Place at = r->at;
    at.line -= r->newlines;             /* the line the record began on */
    int rc = r->n_header == 0 ? finish_header(r, &at) : finish_row(r, &at);
    r->n_fields = 0;
    r->newlines = 0;
    r->after_record = r->chunk_end;
    if (rc != 0) r->failed = 1;
}

static int load_csv(Dataset *ds, const char *name, const char *bytes, size_t len)
{
    CsvReader r = { .ds = ds, .at = { name, 0, 0 } };
    for (int c = 0; c < N_COLS; c++) r.column[c] = NO_COLUMN;
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return fail("out of memory: cannot start the CSV parser");

    int rc = 0;
    for (size_t pos = 0; rc == 0 && pos < len; pos = r.chunk_end) {
        const char *newline = memchr(bytes + pos, '\n', len - pos);
        r.chunk_end = newline ? (size_t)(newline - bytes) + 1 : len;
        r.at.line++;
        size_t chunk = r.chunk_end - pos;
        size_t used = csv_parse(&parser, bytes + pos, chunk, csv_on_field, csv_on_record, &r);
        if (r.failed) rc = -1;
        else if (used < chunk && csv_error(&parser) == CSV_EPARSE)
            rc = fail_at(&r.at, "misplaced quote: a quote inside an unquoted field, "
                                "or text after a closing quote");
        else if (used < chunk) rc = fail("%s: out of memory", name);
    }
    if (rc == 0 && csv_fini(&parser, csv_on_field, csv_on_record, &r) != 0) {
        r.at.line = line_at(bytes, skip_spaces(bytes, len, r.after_record));
        rc = fail_at(&r.at, "quoted field is never closed");
    }
    if (rc == 0 && r.failed) rc = -1;
    if (rc == 0 && r.rows == 0) {
        Place file = { name, 0, 0 };
        rc = fail_at(&file, "no rows after the header; nothing to train on");
    }
    csv_free(&parser);
    for (int c = 0; c < N_COLS; c++) free(r.cell[c]);
    return rc;
}

/* ---- loading ----------------------------------------------------------- */

enum { FORMAT_UNKNOWN, FORMAT_JSON, FORMAT_CSV };

static int data_format(const char *name)
{
    size_t len = strlen(name);
    if (len >= 5 && strcasecmp(name + len - 5, ".json") == 0) return FORMAT_JSON;
    if (len >= 4 && strcasecmp(name + len - 4, ".csv") == 0) return FORMAT_CSV;
    return FORMAT_UNKNOWN;
}

int data_load_buffer(Dataset *ds, const char *name, const char *bytes, size_t len)
{
    Place file = { name, 0, 0 };
    int format = data_format(name);
    if (format == FORMAT_UNKNOWN)
        return fail_at(&file, "unknown data format; use .json or .csv");
    if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {   /* UTF-8 byte-order mark */
        bytes += 3;
        len -= 3;
    }
    if (is_blank(bytes, len)) return fail_at(&file, "file is empty");
    const char *nul = memchr(bytes, '\0', len);
    if (nul) {
        file.line = line_at(bytes, (size_t)(nul - bytes));
        return fail_at(&file, "NUL byte in the file; data files must be UTF-8 text");
    }
    Dataset staged = { 0 };
    int rc = format == FORMAT_JSON ? load_json(&staged, name, bytes, len)
                                   : load_csv(&staged, name, bytes, len);
    if (rc != 0) {
        dataset_free(&staged);
        return rc;
    }
    return dataset_take(ds, &staged);
}

int data_load(Dataset *ds, const char *path)
{
    if (data_format(path) == FORMAT_UNKNOWN) {
        Place file = { path, 0, 0 };
        return fail_at(&file, "unknown data format; use .json or .csv");
    }
    size_t len;
    char *bytes = read_whole_file(path, &len);
    if (!bytes) return -1;
    int rc = data_load_buffer(ds, path, bytes, len);
    free(bytes);
    return rc;
}
