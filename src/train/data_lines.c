/*
 * data_lines.c — the line reader under the streaming data formats, .txt
 * and .jsonl (data_txt.c, data_jsonl.c; contract in data_internal.h).
 *
 * A file is read a block at a time into one buffer and handed over a line
 * at a time, so a file of any size costs that buffer plus what the reader
 * keeps of it, never a copy of the whole file. A line longer than the
 * caller's max_piece comes in pieces, each cut after its last space or
 * tab (or, with none, at the last character boundary), so a 1 GB line
 * costs no more than the buffer either: data_txt.c joins the pieces into
 * its documents, data_jsonl.c refuses the line.
 *
 * Every piece is checked before it is handed over, and the message names
 * the line and the column (counted in bytes from 1) of the problem:
 * "x.txt:17: invalid UTF-8 at column 5", "x.jsonl:3: NUL byte at column
 * 9; data files must be UTF-8 text". A UTF-8 byte-order mark at the start
 * of the file is skipped, and a "\r\n" line end is taken as "\n".
 */
#include "train/data_internal.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first read buffer; it doubles while a line does not fit, up to
 * max_piece + 1 bytes (the longest piece and the newline after it). */
enum { FIRST_BLOCK = 1 << 16 };

int lines_open(LineReader *r, const char *path, size_t max_piece)
{
    memset(r, 0, sizeof *r);
    struct stat st;
    r->fd = open_regular_file(path, &st);
    if (r->fd < 0) return -1;
    r->at.file = path;
    r->max_piece = max_piece;
    r->cap = max_piece + 1 < FIRST_BLOCK ? max_piece + 1 : FIRST_BLOCK;
    r->buf = xmalloc(r->cap, 1);
    if (!r->buf) {
        close(r->fd);
        return -1;
    }
    r->data = r->buf;
    r->line_done = 1;
    return 0;
}

void lines_open_buffer(LineReader *r, const char *name, const char *bytes, size_t len,
                       size_t max_piece)
{
    memset(r, 0, sizeof *r);
    r->at.file = name;
    r->fd = -1;
    r->data = bytes;
    r->end = len;
    r->max_piece = max_piece;
    r->line_done = 1;
    r->eof = 1;                   /* everything there is, is in data */
}

void lines_close(LineReader *r)
{
    if (r->fd >= 0) close(r->fd);
    free(r->buf);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* Read more of the file after what the buffer holds: move the unread bytes
 * to its front, grow it when they fill it, read once. Returns 0, or -1
 * after fail(). */
static int refill(LineReader *r)
{
    size_t unread = r->end - r->start;
    memmove(r->buf, r->buf + r->start, unread);
    r->start = 0;
    r->end = unread;
    if (unread == r->cap) {
        size_t cap = r->cap * 2 < r->max_piece + 1 ? r->cap * 2 : r->max_piece + 1;
        char *bigger = realloc(r->buf, cap);
        if (!bigger) return fail("%s: out of memory for a line of %zu bytes", r->at.file, unread);
        r->buf = bigger;
        r->cap = cap;
    }
    r->data = r->buf;
    for (;;) {
        ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return fail("%s: read error after line %zu: %s", r->at.file, r->at.line, strerror(errno));
        if (got == 0) r->eof = 1;
        r->end += (size_t)got;
        return 0;
    }
}

/* Where to cut a line that goes on past max_piece bytes at s: after the
 * last space or tab, else at the last character boundary, else anywhere. */
static size_t piece_cut(const char *s, size_t max_piece)
{
    for (size_t i = max_piece; i > max_piece / 2; i--)
        if (s[i - 1] == ' ' || s[i - 1] == '\t') return i;
    size_t whole = utf8_complete_prefix(s, max_piece);
    return whole > 0 ? whole : max_piece;
}

/* The NUL byte and UTF-8 checks of one piece, column counted on from the
 * pieces of this line already handed over. */
static int check_piece(const LineReader *r, const char *s, size_t len)
{
    const char *nul = memchr(s, '\0', len);
    if (nul)
        return data_fail_at(&r->at, "NUL byte at column %zu; data files must be UTF-8 text",
                            r->column + (size_t)(nul - s) + 1);
    size_t bad = utf8_invalid_at(s, len);
    if (bad < len) return data_fail_at(&r->at, "invalid UTF-8 at column %zu", r->column + bad + 1);
    return 0;
}

int lines_next(LineReader *r, const char **piece, size_t *len, int *line_ends)
{
    const char *s;
    size_t n;
    for (;;) {
        size_t unread = r->end - r->start;
        s = r->data + r->start;
        size_t look = unread < r->max_piece + 1 ? unread : r->max_piece + 1;
        const char *newline = memchr(s, '\n', look);
        if (newline) {
            n = (size_t)(newline - s);
            r->start += n + 1;
            *line_ends = 1;
            break;
        }
        if (unread > r->max_piece) {                 /* a long line: hand over a piece */
            n = piece_cut(s, r->max_piece);
            r->start += n;
            *line_ends = 0;
            break;
        }
        if (r->eof) {
            if (unread == 0) return 0;
            n = unread;                              /* the last line, with no newline */
            r->start += n;
            *line_ends = 1;
            break;
        }
        if (refill(r) != 0) return -1;
    }
    if (r->line_done) {
        r->at.line++;
        r->column = 0;
    }
    if (r->at.line == 1 && r->column == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;                                      /* the byte-order mark */
        n -= 3;
        r->column = 3;
    }
    if (*line_ends && n > 0 && s[n - 1] == '\r') n--;
    if (check_piece(r, s, n) != 0) return -1;
    r->line_done = *line_ends;
    if (!*line_ends) r->column += n;
    *piece = s;
    *len = n;
    return 1;
}
