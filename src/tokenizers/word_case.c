/*
 * word_case.c — the lowercase word vocabulary (`train --lowercase`,
 * word.h): case folding of UTF-8 text, building from folded text, and the
 * folded lookup.
 *
 * Folding maps each code point to its Unicode lowercase (utf8proc_tolower:
 * the simple one-to-one mapping, so "Straße" stays "straße" and "İ" becomes
 * "i"); ASCII takes a fast path. Bytes that are not valid UTF-8 are copied
 * as they are, so folding never fails. Since a letter's lowercase is a
 * letter, the word splitter cuts folded text exactly where it cuts the
 * original, which is why a piece can be folded on its own at lookup time.
 */
#include "tokenizers/word.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

size_t word_fold_case(const char *text, size_t len, char *out)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    size_t i = 0, o = 0;
    while (i < len) {
        if (p[i] < 0x80) {                     /* ASCII */
            out[o++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + ('a' - 'A') : p[i]);
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) {                          /* not UTF-8: the byte itself */
            out[o++] = (char)p[i++];
            continue;
        }
        o += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)out + o);
        i += (size_t)n;
    }
    return o;
}

int vocab_build_lowercase(Vocab *vocab, const char *const *texts, size_t n)
{
    char **folded = xcalloc(n ? n : 1, sizeof *folded);
    int rc = folded ? 0 : -1;
    for (size_t t = 0; rc == 0 && t < n; t++) {
        size_t len = strlen(texts[t]);
        if (!(folded[t] = xmalloc(2 * len + 1, 1))) rc = -1;
        else folded[t][word_fold_case(texts[t], len, folded[t])] = '\0';
    }
    if (rc == 0) rc = vocab_build(vocab, (const char *const *)folded, n);
    if (rc == 0) vocab->lowercase = 1;
    for (size_t t = 0; folded && t < n; t++) free(folded[t]);
    free(folded);
    return rc;
}

/* vocab_lookup of a lowercase vocabulary: the piece folded into a buffer on
 * the stack (on the heap for pieces longer than a line). */
int vocab_lookup_folded(const Vocab *vocab, const char *piece, size_t len)
{
    char small[512];
    char *buf = 2 * len <= sizeof small ? small : malloc(2 * len);
    if (!buf) return -1;
    int id = vocab_lookup_exact(vocab, buf, word_fold_case(piece, len, buf));
    if (buf != small) free(buf);
    return id;
}
