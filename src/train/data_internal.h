/*
 * data_internal.h — what data.c shares with the format readers,
 * data_json.c, data_csv.c, data_txt.c and data_jsonl.c, and the line
 * reader of the last two, data_lines.c (not part of the public API in
 * data.h).
 *
 * Every message carries a Place, every value goes through the same checks
 * (data_add_text, data_add_pair), and each reader fills a staging Dataset
 * that data.c moves into the caller's only when the whole file was good.
 */
#ifndef RUSTGPT_DATA_INTERNAL_H
#define RUSTGPT_DATA_INTERNAL_H

#include "train/data.h"

#include <stddef.h>
#include <string.h>

/* Where a problem is: a file, and a line or a JSON entry (0 = not known). */
typedef struct {
    const char *file;
    size_t line;     /* from 1 */
    size_t entry;    /* JSON array index, from 1 */
} Place;

/* fail() with the place in front: "x.json: entry 3: ...", "x.csv:7: ...". */
int data_fail_at(const Place *at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "text is 2,000,000 bytes; the limit is 1,048,576" at a place. */
int data_fail_size(const Place *at, size_t len);

/* Check one value (not blank, within DATA_MAX_TEXT_BYTES, valid UTF-8) and
 * add it; a pair is rendered "User: {prompt} Assistant: {response}". */
int data_add_text(Dataset *ds, const Place *at, const char *text, size_t len);
int data_add_pair(Dataset *ds, const Place *at, const char *prompt, size_t prompt_len,
                  const char *response, size_t response_len);

/* Check and add a conversation of n exchanges, rendered turn by turn as
 * chat keeps its history: "User: {user[0]} Assistant: {assistant[0]} </s>
 * User: {user[1]} Assistant: {assistant[1]}" (and dataset_add's </s>). */
int data_add_turns(Dataset *ds, const Place *at, const char *const *user,
                   const char *const *assistant, int n);

/* The readers: len bytes (no NUL inside, not blank) named name, into ds. */
int data_load_json(Dataset *ds, const char *name, const char *bytes, size_t len);
int data_load_csv(Dataset *ds, const char *name, const char *bytes, size_t len);

/* One JSON value on one line of a .jsonl file (at names the line), taken
 * as an entry of a .json array is: a string, {"text"}, {"prompt",
 * "response"} or {"messages"} (data_json.c). */
int data_json_line(Dataset *ds, const Place *at, const char *line, size_t len);

/* ---- the line reader of the streaming formats (data_lines.c) ----------- */

/* A file (or a buffer) handed over a line at a time; a line longer than
 * max_piece bytes comes in pieces that end on a character boundary. */
typedef struct {
    Place at;              /* at.line: the line of the piece last returned */
    int fd;                /* -1 when reading a buffer */
    const char *data;      /* the bytes not yet handed over: data[start..end) */
    char *buf;             /* data's storage when reading a file */
    size_t start, end, cap, max_piece;
    size_t column;         /* bytes of this line handed over before the piece */
    int line_done;         /* the last piece ended its line */
    int eof;
} LineReader;

/* Start reading the regular file at path, or the len bytes at bytes (which
 * must outlive the reader) named name. Return 0, or -1 after fail(). */
int lines_open(LineReader *r, const char *path, size_t max_piece);
void lines_open_buffer(LineReader *r, const char *name, const char *bytes, size_t len,
                       size_t max_piece);
/* The next piece, checked (no NUL byte, valid UTF-8), without its line end
 * ("\n" or "\r\n") and, at the start of the file, without a UTF-8
 * byte-order mark. *line_ends is 0 when the line goes on in the next piece.
 * Returns 1, 0 at the end of the file, or -1 after fail() naming the line. */
int lines_next(LineReader *r, const char **piece, size_t *len, int *line_ends);
void lines_close(LineReader *r);

/* The streaming readers, a line at a time from r, into ds. A .txt line
 * longer than DATA_TXT_PIECE bytes comes in pieces that join into its
 * document; a .jsonl line may hold DATA_MAX_LINE_BYTES (a text of
 * DATA_MAX_TEXT_BYTES written with \u escapes is up to six times longer). */
#define DATA_TXT_PIECE ((size_t)1 << 16)
#define DATA_MAX_LINE_BYTES ((size_t)8 << 20)
int data_load_txt(Dataset *ds, LineReader *r);
int data_load_jsonl(Dataset *ds, LineReader *r);

/* ---- small helpers over bytes ------------------------------------------ */

/* ASCII whitespace, as the C locale's isspace(). */
static inline int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static inline int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(s[i])) return 0;
    return 1;
}

/* Narrow s/len to exclude surrounding whitespace. */
static inline void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((*s)[0])) { (*s)++; (*len)--; }
    while (*len > 0 && is_space((*s)[*len - 1])) (*len)--;
}

/* How many newlines the len bytes at s hold. */
static inline size_t count_newlines(const char *s, size_t len)
{
    size_t n = 0;
    for (const char *end = s + len; (s = memchr(s, '\n', (size_t)(end - s))) != NULL; s++) n++;
    return n;
}

/* The line (from 1) that holds byte offset of bytes. */
static inline size_t line_at(const char *bytes, size_t offset)
{
    return 1 + count_newlines(bytes, offset);
}

/* The offset of the first non-space byte at or after at (len if none). */
static inline size_t skip_spaces(const char *bytes, size_t len, size_t at)
{
    while (at < len && is_space(bytes[at])) at++;
    return at;
}

#endif
