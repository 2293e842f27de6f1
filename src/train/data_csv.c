/*
 * data_csv.c — training texts from a CSV file (DESIGN.md §4): a header row
 * naming `text`, or `prompt` and `response` (trimmed, any case); quoted
 * fields may hold commas, quotes and newlines. data.c has done the common
 * checks (not empty, no NUL byte) and gives the bytes here.
 *
 * libcsv, in strict mode, reports fields and record ends by callback but
 * not positions. We feed it one line at a time, so we always know which
 * line it is on, and count the newlines inside each record's fields: a
 * record that ends on line L with k newlines inside its quoted fields began
 * on line L - k, and that is the line messages name ("x.csv:7: ...", the
 * header being line 1).
 */
#include "train/data_internal.h"
#include "core/util.h"

#include <csv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
            return data_fail_at(at, "header names `%s` twice", column_names[c]);
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
        return data_fail_at(at, "header has both a `text` column and `prompt`/`response`; use one");
    if (!has_text && !(has_prompt && has_response))
        return data_fail_at(at, "header has no `text` column, nor `prompt` and `response`");
    return 0;
}

static int finish_row(CsvReader *r, const Place *at)
{
    if (r->n_fields != r->n_header)
        return data_fail_at(at, "row has %zu field%s, header has %zu",
                            r->n_fields, r->n_fields == 1 ? "" : "s", r->n_header);
    r->rows++;
    if (r->column[COL_TEXT] != NO_COLUMN)
        return data_add_text(r->ds, at, r->cell[COL_TEXT], r->cell_len[COL_TEXT]);
    return data_add_pair(r->ds, at, r->cell[COL_PROMPT], r->cell_len[COL_PROMPT],
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

/* libcsv gathers each field whole in its own buffer before handing it over,
 * growing that buffer by a fixed block at a time. Each line is therefore fed
 * in pieces of at most CSV_PIECE bytes, and after each piece the field being
 * gathered is measured: one over the text limit is refused there, before a
 * 1 GB line costs a gigabyte more (and, block by block, quadratic time). */
enum { CSV_PIECE = 1 << 16 };

/* Feed bytes[pos..r->chunk_end) (one line) to the parser. */
static int csv_feed_line(CsvReader *r, struct csv_parser *parser, const char *bytes, size_t pos)
{
    while (pos < r->chunk_end) {
        size_t piece = r->chunk_end - pos < CSV_PIECE ? r->chunk_end - pos : CSV_PIECE;
        size_t used = csv_parse(parser, bytes + pos, piece, csv_on_field, csv_on_record, r);
        if (r->failed) return -1;
        if (used < piece && csv_error(parser) == CSV_EPARSE)
            return data_fail_at(&r->at, "misplaced quote: a quote inside an unquoted field, "
                                        "or text after a closing quote");
        if (used < piece) return fail("%s: out of memory", r->at.file);
        pos += piece;
        if (parser->entry_pos > DATA_MAX_TEXT_BYTES) {
            Place start = r->at;     /* the line the record began on */
            start.line -= r->newlines + count_newlines((const char *)parser->entry_buf,
                                                       parser->entry_pos);
            char have[32], limit[32];
            return data_fail_at(&start, "field is more than %s bytes; the limit is %s",
                                with_commas(have, parser->entry_pos),
                                with_commas(limit, DATA_MAX_TEXT_BYTES));
        }
    }
    return 0;
}

int data_load_csv(Dataset *ds, const char *name, const char *bytes, size_t len)
{
    CsvReader r = { .ds = ds, .at = { name, 0, 0 } };
    for (int c = 0; c < N_COLS; c++) r.column[c] = NO_COLUMN;
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return fail("out of memory: cannot start the CSV parser");
    csv_set_blk_size(&parser, CSV_PIECE);

    int rc = 0;
    for (size_t pos = 0; rc == 0 && pos < len; pos = r.chunk_end) {
        const char *newline = memchr(bytes + pos, '\n', len - pos);
        r.chunk_end = newline ? (size_t)(newline - bytes) + 1 : len;
        r.at.line++;
        rc = csv_feed_line(&r, &parser, bytes, pos);
    }
    if (rc == 0 && csv_fini(&parser, csv_on_field, csv_on_record, &r) != 0) {
        r.at.line = line_at(bytes, skip_spaces(bytes, len, r.after_record));
        rc = data_fail_at(&r.at, "quoted field is never closed");
    }
    if (rc == 0 && r.failed) rc = -1;
    if (rc == 0 && r.rows == 0) {
        Place file = { name, 0, 0 };
        rc = data_fail_at(&file, "no rows after the header; nothing to train on");
    }
    csv_free(&parser);
    for (int c = 0; c < N_COLS; c++) free(r.cell[c]);
    return rc;
}

