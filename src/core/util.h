/*
 * util.h — the small services every other file leans on.
 *
 * Errors are values in rustgpt: a function that can fail returns a negative
 * status (or NULL) after calling fail(), which formats one line such as
 * "data/chat.json: entry 12: expected a string, found a number" into a
 * per-thread buffer. Only main() prints it (as "rustgpt: <message>") and
 * chooses the exit status. Nothing below main() calls exit().
 *
 * The other pieces: checked allocation that reports instead of aborting, a
 * whole-file reader, the one atomic file writer (temporary file in the same
 * directory, fsync, rename), and the checksum the binary model file uses.
 */
#ifndef RUSTGPT_UTIL_H
#define RUSTGPT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of DESIGN.md §1. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

/* Record an error message (printf-style) and return -1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message recorded by fail() on this thread ("" if none). */
const char *last_error(void);
/* fail() for the public API: record the message and return status (an
 * rg_status of include/rustgpt.h, as int so this header stays free of it). */
int fail_status(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget the last message (rg_* calls that succeed leave it alone). */
void clear_error(void);

/* The offset of the first byte of text[0..len) that is not part of a
 * well-formed UTF-8 sequence (RFC 3629), or len when all of it is. */
size_t utf8_invalid_at(const char *text, size_t len);
/* The length of the longest prefix of text[0..len) that ends on a character
 * boundary (an incomplete final sequence is left out). */
size_t utf8_complete_prefix(const char *text, size_t len);

/* malloc/calloc that call fail("out of memory ...") and return NULL. The
 * count*size product is checked for overflow. */
void *xmalloc(size_t count, size_t size);
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *s);

/* Open path for reading if it is a regular file (not a directory, a FIFO,
 * a device...), filling *st. Returns the descriptor, or -1 after fail()
 * naming the path and what it is. */
struct stat;
int open_regular_file(const char *path, struct stat *st);

/* Read a whole file into a NUL-terminated buffer. *len gets the byte count
 * (the NUL is not counted). Returns NULL after fail() naming the path. */
char *read_whole_file(const char *path, size_t *len);

/* The atomic writer. atomic_open() creates "<dir>/.<name>.tmp.XXXXXX" next to
 * path (creating missing parent directories); the caller writes through
 * w->fp; atomic_commit() flushes, fsyncs and renames over path, so a reader
 * sees either the old file or the complete new one. atomic_abort() removes
 * the temporary file. Both release w. */
typedef struct {
    FILE *fp;
    char *final_path;
    char *temp_path;
} AtomicFile;
int atomic_open(AtomicFile *w, const char *path);
int atomic_commit(AtomicFile *w);
void atomic_abort(AtomicFile *w);

/* CRC-32 (IEEE 802.3, the zlib polynomial), updated incrementally:
 * crc = crc32_update(0, data, len) for a whole buffer. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

/* Format 1234567 as "1,234,567" into buf (at least 32 bytes). */
const char *with_commas(char *buf, unsigned long long value);

/* Seconds from a monotonic clock, for timing. */
double now_seconds(void);
/* CPU seconds this process has run, all its threads together: on a shared
 * machine, the time the work really had (benchmarks print it beside wall
 * time). */
double cpu_seconds(void);

/* A tiny deterministic random generator (xorshift64*), so results depend only
 * on --seed, never on the C library. */
typedef struct { uint64_t state; } Rng;
void rng_seed(Rng *rng, uint64_t seed);
uint32_t rng_u32(Rng *rng);
float rng_uniform(Rng *rng);          /* in [0, 1) */
float rng_normal(Rng *rng);           /* standard normal, Box–Muller */

#endif
