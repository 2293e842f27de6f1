/*
 * bpe_parallel.c — encoding one large text on every core.
 *
 * The text is cut into chunks at safe places: places where every known
 * pattern (GPT-2, cl100k, o200k) ends a pre-token whatever follows, and no
 * regex alternative looks back, so the chunks encode to exactly the ids of
 * the whole. The kinds used (ASCII on both sides):
 *     letter | space letter        ("the| cat")
 *     non-space newline | letter   ("end.\n|Next")
 *     letter | punctuation         ("word|.", not "don|'t")
 *     digit | letter, letter | digit   ("4|th", "x|86")
 * A letter run ends before anything that is not a letter (an apostrophe
 * could start a contraction, so not before one); a digit group or a
 * punctuation run starts fresh after a letter. A place inside a special
 * token ("<|endoftext|>" has "t|>") is never safe, so a special stays whole.
 * Each chunk is encoded into the ids array at its own byte offset (a token
 * has at least one byte, so chunk c's ids fit in its byte range), then the
 * pieces are slid together: no memory beyond the caller's array.
 */
#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "tokenizers/bpe_internal.h"

/* Does a special token's text cover both t[p - 1] and t[p]? */
static int inside_special(const Bpe *bpe, const char *t, size_t p, size_t len)
{
    for (int i = 0; i < bpe->n_specials; i++) {
        const BpeSpecial *s = &bpe->specials[i];
        for (size_t k = 1; k < s->len && k <= p; k++)
            if (p - k + s->len <= len && memcmp(t + p - k, s->text, s->len) == 0) return 1;
    }
    return 0;
}

int bpe_safe_cut(const Bpe *bpe, const char *t, size_t p, size_t len)
{
    if (p == 0 || p >= len) return 0;
    unsigned char a = (unsigned char)t[p - 1], b = (unsigned char)t[p];
    int safe = (b == ' ' && p + 1 < len && isalpha(a) && isalpha((unsigned char)t[p + 1])) ||
               (a == '\n' && isalpha(b) && p >= 2 && !isspace((unsigned char)t[p - 2])) ||
               (isalpha(a) && ispunct(b) && b != '\'') ||
               (isdigit(a) && isalpha(b)) || (isalpha(a) && isdigit(b));
    return safe && !inside_special(bpe, t, p, len);
}

size_t bpe_next_safe_cut(const Bpe *bpe, const char *t, size_t from, size_t len)
{
    for (size_t p = from ? from : 1; p + 1 < len; p++)
        if (bpe_safe_cut(bpe, t, p, len)) return p;
    return 0;
}

int bpe_cuts_are_safe(const Bpe *bpe)
{
    const char *p = bpe->pattern ? bpe->pattern : "";
    return strcmp(p, BPE_PATTERN_GPT2) == 0 || strcmp(p, BPE_PATTERN_CL100K) == 0 ||
           strcmp(p, BPE_PATTERN_O200K) == 0;
}

int bpe_encode_parallel(const Bpe *bpe, const char *text, size_t len, int flags, int n_threads,
                        int32_t *ids, size_t cap, size_t *n_out)
{
    enum { MAX_CHUNKS = 256 };
    int n_chunks = n_threads * 2 < MAX_CHUNKS ? n_threads * 2 : MAX_CHUNKS;
    if (n_threads <= 1 || cap < len || len < (1 << 16) || !bpe_cuts_are_safe(bpe))
        return bpe_encode(bpe, text, len, flags, ids, cap, n_out);
    size_t cuts[MAX_CHUNKS + 1], counts[MAX_CHUNKS];
    int n = 0;
    cuts[n++] = 0;
    for (int c = 1; c < n_chunks; c++) {
        size_t want = len / (size_t)n_chunks * (size_t)c;
        size_t at = want > cuts[n - 1] ? bpe_next_safe_cut(bpe, text, want, len) : 0;
        if (at > cuts[n - 1]) cuts[n++] = at;
    }
    cuts[n] = len;
    int failed = 0;
    char message[512] = "";
    #pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (int c = 0; c < n; c++) {
        /* Count into this thread's own variable: counts[] share a cache
         * line, and updating it once a token halved the speed of two. */
        size_t clen = cuts[c + 1] - cuts[c], count = 0;
        int rc = bpe_encode(bpe, text + cuts[c], clen, flags, ids + cuts[c], clen, &count);
        counts[c] = count;
        if (rc != 0) {
            #pragma omp critical
            {
                if (!failed) snprintf(message, sizeof message, "%s", last_error());
                failed = 1;
            }
        }
    }
    if (failed) return fail("%s", message);
    size_t at = 0;
    for (int c = 0; c < n; c++) {
        memmove(ids + at, ids + cuts[c], counts[c] * sizeof *ids);
        at += counts[c];
    }
    *n_out = at;
    return 0;
}
