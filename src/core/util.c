/*
 * util.c — error messages, checked allocation, whole-file reading, the atomic
 * file writer, CRC-32 and the random generator. See util.h for the contract.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------ */

static _Thread_local char error_message[1024];

int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    va_end(ap);
    return -1;
}

const char *last_error(void) { return error_message; }

int fail_status(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    va_end(ap);
    return status;
}

void clear_error(void) { error_message[0] = '\0'; }

/* ---- UTF-8 ------------------------------------------------------------- */

/* The offset of the first byte that does not belong to a well-formed UTF-8
 * sequence (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above
 * U+10FFFF), or len when there is none. lo..hi is the range the second byte
 * of a sequence may take; it is narrower than 80..BF exactly where those
 * three exclusions bite. */
size_t utf8_invalid_at(const char *text, size_t len)
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

/* ---- allocation -------------------------------------------------------- */

/* "out of memory: could not allocate 48.1 GiB (51,620,937,796 bytes)": the
 * size a person can judge at a glance, and the exact count. */
static void fail_out_of_memory(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        fail("out of memory: %zu x %zu bytes is more than this machine can address", count, size);
        return;
    }
    char exact[32];
    size_t bytes = count * size;
    with_commas(exact, bytes);
    if (bytes < ((size_t)1 << 20))
        fail("out of memory: could not allocate %s bytes", exact);
    else if (bytes < ((size_t)1 << 30))
        fail("out of memory: could not allocate %.1f MiB (%s bytes)", bytes / 1048576.0, exact);
    else
        fail("out of memory: could not allocate %.1f GiB (%s bytes)", bytes / 1073741824.0, exact);
}

void *xmalloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        fail_out_of_memory(count, size);
        return NULL;
    }
    size_t bytes = count * size;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) fail_out_of_memory(count, size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) fail_out_of_memory(count, size);
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n, 1);
    if (p) memcpy(p, s, n);
    return p;
}

/* ---- reading ----------------------------------------------------------- */

/* What a path that is not a regular file is, for the message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) return "is a directory, ";
    if (S_ISFIFO(mode)) return "is a pipe (FIFO), ";
    if (S_ISCHR(mode)) return "is a character device, ";
    if (S_ISBLK(mode)) return "is a block device, ";
    if (S_ISSOCK(mode)) return "is a socket, ";
    return "";
}

/* The file is opened non-blocking, so that a FIFO with no writer cannot
 * hang us before fstat() says what it is; a regular file then reads as
 * usual (O_NONBLOCK means nothing for it). The buffer starts at the size
 * fstat() reports and doubles if the file turns out longer (files in /proc
 * report size 0). */
char *read_whole_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fail("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail("%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fail("%s: %snot a regular file", path, file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size >= SIZE_MAX / 2) {
        fail("%s: is too large to read (%lld bytes)", path, (long long)st.st_size);
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, used = 0;
    char *buf = xmalloc(cap, 1);
    if (!buf) {
        char message[sizeof error_message];
        memcpy(message, error_message, sizeof message);
        fail("%s: cannot read it into memory: %s", path, message);
        close(fd);
        return NULL;
    }
    for (;;) {
        if (used + 1 >= cap) {            /* the file grew while we read it */
            char *bigger = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                close(fd);
                fail("%s: out of memory after reading %zu bytes", path, used);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + used, cap - 1 - used);
        if (got < 0) {
            if (errno == EINTR) continue;
            fail("%s: read error after %zu bytes: %s", path, used, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (got == 0) break;
        used += (size_t)got;
    }
    close(fd);
    buf[used] = '\0';
    *len = used;
    return buf;
}

/* ---- atomic writing ---------------------------------------------------- */

/* mkdir -p for the directory part of path. */
static int make_parent_dirs(const char *path)
{
    char *copy = xstrdup(path);
    if (!copy) return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            int rc = fail("%s: cannot create directory %s: %s", path, copy, strerror(errno));
            free(copy);
            return rc;
        }
        *p = '/';
    }
    free(copy);
    return 0;
}

int atomic_open(AtomicFile *w, const char *path)
{
    memset(w, 0, sizeof *w);
    /* Past the file-size limit (ulimit -f) a write fails with EFBIG, which
     * atomic_commit reports; by default the kernel would kill us instead. */
    signal(SIGXFSZ, SIG_IGN);
    struct stat existing;
    int replacing = stat(path, &existing) == 0;
    if (replacing && S_ISDIR(existing.st_mode))
        return fail("%s: is a directory; give a file name to write", path);
    if (make_parent_dirs(path) != 0) return -1;
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(path) + 32;
    w->temp_path = xmalloc(n, 1);
    w->final_path = xstrdup(path);
    if (!w->temp_path || !w->final_path) { atomic_abort(w); return -1; }
    snprintf(w->temp_path, n, "%.*s.%s.tmp.XXXXXX", (int)dir_len, path, base);
    int fd = mkstemp(w->temp_path);
    if (fd < 0) {
        int rc = fail("%s: cannot create temporary file: %s", path, strerror(errno));
        free(w->temp_path);
        w->temp_path = NULL;
        atomic_abort(w);
        return rc;
    }
    /* A replaced file keeps its permission bits. */
    fchmod(fd, replacing && S_ISREG(existing.st_mode) ? (existing.st_mode & 07777) : 0644);
    w->fp = fdopen(fd, "wb");
    if (!w->fp) {
        close(fd);
        int rc = fail("%s: %s", path, strerror(errno));
        atomic_abort(w);
        return rc;
    }
    return 0;
}

/* fsync the directory holding path, so that the rename itself survives a
 * power cut. Best effort: some file systems refuse to fsync a directory. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int atomic_commit(AtomicFile *w)
{
    int rc = 0;
    /* fflush first: on a stream whose earlier write failed it tries again
     * and leaves the reason (ENOSPC, EFBIG, EIO) in errno. */
    errno = 0;
    if (fflush(w->fp) != 0 || ferror(w->fp) || fsync(fileno(w->fp)) != 0)
        rc = fail("%s: write failed: %s", w->final_path, strerror(errno ? errno : EIO));
    if (fclose(w->fp) != 0 && rc == 0)
        rc = fail("%s: write failed: %s", w->final_path, strerror(errno));
    w->fp = NULL;
    if (rc == 0 && rename(w->temp_path, w->final_path) != 0)
        rc = fail("%s: cannot replace file: %s", w->final_path, strerror(errno));
    if (rc != 0) {
        atomic_abort(w);
        return rc;
    }
    sync_parent_dir(w->final_path);
    free(w->temp_path);
    free(w->final_path);
    memset(w, 0, sizeof *w);
    return 0;
}

void atomic_abort(AtomicFile *w)
{
    if (w->fp) fclose(w->fp);
    if (w->temp_path) unlink(w->temp_path);
    free(w->temp_path);
    free(w->final_path);
    memset(w, 0, sizeof *w);
}

/* ---- CRC-32 ------------------------------------------------------------ */

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {   /* table[i] = CRC of the byte i, reflected polynomial */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- small things ------------------------------------------------------ */

const char *with_commas(char *buf, unsigned long long value)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", value), out = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
    return buf;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rng_seed(Rng *rng, uint64_t seed)
{
    /* splitmix64 of the seed, so that seeds 0, 1, 2 give unrelated streams */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    rng->state = (z ^ (z >> 31)) | 1;
}

uint32_t rng_u32(Rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

float rng_uniform(Rng *rng) { return (float)(rng_u32(rng) >> 8) / 16777216.0f; }

float rng_normal(Rng *rng)
{
    float u1 = rng_uniform(rng), u2 = rng_uniform(rng);
    if (u1 < 1e-7f) u1 = 1e-7f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

size_t utf8_complete_prefix(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    /* Walk back over at most 3 continuation bytes to the last lead byte. */
    size_t i = len, back = 0;
    while (i > 0 && back < 4 && (s[i - 1] & 0xC0) == 0x80) { i--; back++; }
    if (i == 0) return len;
    unsigned lead = s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return back + 1 < need ? i - 1 : len;
}
