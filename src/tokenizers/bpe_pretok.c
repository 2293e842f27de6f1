/*
 * bpe_pretok.c — cutting text into pre-tokens before the merge (bpe_encode.c).
 *
 * The split is tiktoken's: its regular expression, run left to right, each
 * match one pre-token. cl100k_base's pattern, for instance, makes
 *
 *     "I've 12345 cats!\n\n"  ->  "I" "'ve" " " "123" "45" " cats" "!\n\n"
 *
 * so merges never cross a word, a number is cut every three digits, and a
 * space sticks to the word after it. The engine is PCRE2 in UTF mode with
 * Unicode properties (\p{L}, \p{N}) and its JIT compiler, so tiktoken's
 * patterns run verbatim (any tokenizer.json pattern works too). For the
 * three known patterns an ASCII scanner (bpe_scan.c) decides every
 * pre-token that ASCII bytes alone decide and leaves the rest to PCRE2:
 * once the piece cache made the merge cheap, the regex was a third of the
 * time on English prose (docs/14-subword-tokenizers.md).
 *
 * One translation makes PCRE2 agree with Rust's regex, which tiktoken uses:
 * Rust's \s is the Unicode White_Space property, exactly
 * [\t-\r\x{85}\p{Z}]; PCRE2's \s adds U+180E. So \s and \S are rewritten.
 * PCRE2_MATCH_INVALID_UTF lets invalid UTF-8 through: such bytes match
 * nothing, and every byte no match covers becomes a pre-token of its own
 * run, so encoding never drops a byte.
 *
 * Special tokens ("<|endoftext|>") are cut out first when the caller allows
 * them; the text between them is split independently, as tiktoken does.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tokenizers/bpe_internal.h"

const char BPE_PATTERN_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char BPE_PATTERN_CL100K[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
    "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char BPE_PATTERN_O200K[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

#define WHITE_SPACE "\\t-\\r\\x{85}\\p{Z}"   /* Unicode White_Space, as Rust's \s */

/* Rewrite \s and \S (outside and inside classes) into the White_Space set.
 * Returns a malloc'd pattern. */
static char *translate(const char *pattern)
{
    size_t len = strlen(pattern);
    char *out = xmalloc(len * 12 + 1, 1);
    if (!out) return NULL;
    size_t o = 0;
    int in_class = 0;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < len) {
            char e = pattern[i + 1];
            const char *rep = NULL;
            if (e == 's') rep = in_class ? WHITE_SPACE : "[" WHITE_SPACE "]";
            else if (e == 'S' && !in_class) rep = "[^" WHITE_SPACE "]";
            if (rep) {
                memcpy(out + o, rep, strlen(rep));
                o += strlen(rep);
            } else {
                out[o++] = c;
                out[o++] = e;
            }
            i++;
            continue;
        }
        if (c == '[' && !in_class) {
            in_class = 1;
            out[o++] = c;
            if (i + 1 < len && pattern[i + 1] == '^') out[o++] = pattern[++i];
            if (i + 1 < len && pattern[i + 1] == ']') out[o++] = pattern[++i];   /* literal ] first */
            continue;
        }
        if (c == ']' && in_class) in_class = 0;
        out[o++] = c;
    }
    out[o] = 0;
    return out;
}

int bpe_pattern_compile(Bpe *bpe)
{
    bpe_pattern_free(bpe);
    if (!bpe->pattern || !*bpe->pattern) return 0;
    char *translated = translate(bpe->pattern);
    if (!translated) return -1;
    int err;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)translated, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &at, NULL);
    free(translated);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return fail("pre-tokenizer pattern: %s (near byte %zu of the translated pattern)", (char *)msg,
                    (size_t)at);
    }
    /* Without JIT (a platform PCRE2 lacks it for) the interpreter still works. */
    bpe->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    bpe->regex = re;
    bpe->scan = bpe_scan_kind(bpe->pattern);
    return 0;
}

void bpe_pattern_free(Bpe *bpe)
{
    if (bpe->regex) pcre2_code_free(bpe->regex);
    bpe->regex = NULL;
    bpe->jit = 0;
    bpe->scan = BPE_SCAN_NONE;
}

int bpe_set_pattern(Bpe *bpe, const char *pattern)
{
    free(bpe->pattern);
    bpe->pattern = xstrdup(pattern ? pattern : "");
    if (!bpe->pattern) return -1;
    return bpe_pattern_compile(bpe);
}

/* ---- the split ------------------------------------------------------------------ */

/* The next match at or after pos: PCRE2's JIT code when there is some
 * (pcre2_jit_match skips pcre2_match's checks of its arguments), else the
 * interpreter. Returns PCRE2's code: > 0 matched, NOMATCH, or an error. */
static int regex_match(const Bpe *bpe, const char *text, size_t len, size_t pos, pcre2_match_data *md)
{
    if (bpe->jit) return pcre2_jit_match(bpe->regex, (PCRE2_SPTR)text, len, pos, 0, md, NULL);
    return pcre2_match(bpe->regex, (PCRE2_SPTR)text, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
}

int bpe_pretokenize_with(const Bpe *bpe, const char *text, size_t len, int use_scanner,
                         int (*fn)(const char *piece, size_t n, void *ctx), void *ctx)
{
    if (len == 0) return 0;
    if (!bpe->regex) return fn(text, len, ctx);
    /* One match block per thread, made on its first call and kept, so that
     * encoding allocates nothing after that (rg_tokenize's promise). */
    static _Thread_local pcre2_match_data *md;
    if (!md && !(md = pcre2_match_data_create(1, NULL))) return fail("out of memory");
    BpeScan scan = use_scanner ? (BpeScan)bpe->scan : BPE_SCAN_NONE;
    const unsigned char *bytes = (const unsigned char *)text;
    size_t pos = 0, covered = 0;    /* next search start; end of the last piece */
    int rc = 0;
    while (pos < len) {
        /* ASCII decided by the scanner (bpe_scan.c), the rest by PCRE2. */
        size_t end = scan && pos == covered ? bpe_scan_ascii(scan, bytes, pos, len) : 0;
        if (end) {
            if ((rc = fn(text + pos, end - pos, ctx)) != 0) break;
            pos = covered = end;
            continue;
        }
        int found = regex_match(bpe, text, len, pos, md);
        if (found == PCRE2_ERROR_NOMATCH) break;
        if (found < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(found, msg, sizeof msg);
            rc = fail("pre-tokenizer: %s at byte %zu", (char *)msg, pos);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t start = ov[0];
        end = ov[1];
        if (end == start) {   /* an empty match (a custom pattern): step one byte on */
            pos = start + 1;
            continue;
        }
        if (start > covered && (rc = fn(text + covered, start - covered, ctx)) != 0) break;
        if ((rc = fn(text + start, end - start, ctx)) != 0) break;
        pos = covered = end;
    }
    if (rc == 0 && covered < len) rc = fn(text + covered, len - covered, ctx);
    return rc;
}

int bpe_pretokenize(const Bpe *bpe, const char *text, size_t len,
                    int (*fn)(const char *piece, size_t n, void *ctx), void *ctx)
{
    return bpe_pretokenize_with(bpe, text, len, 1, fn, ctx);
}
