/*
 * data_internal.h — what data.c shares with the two format readers,
 * data_json.c and data_csv.c (not part of the public API in data.h).
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
