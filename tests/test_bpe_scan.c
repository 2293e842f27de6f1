/*
 * test_bpe_scan.c — the ASCII pre-split scanner (src/tokenizers/bpe_scan.c)
 * against PCRE2 running the same pattern: for GPT-2's, cl100k's and o200k's
 * patterns, the pieces of a text with the scanner in front of PCRE2 must be
 * exactly PCRE2's pieces, on hand-picked hostile text (each alternative,
 * each place where a byte >= 0x80 must send the decision to PCRE2) and on
 * random strings, ASCII only and mixed with hostile Unicode. tiktoken itself
 * is compared with in tests/cli/bpe_tiktoken.sh.
 */
#include "test.h"
#include "core/util.h"
#include "tokenizers/bpe_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t off[4096], len[4096];
    size_t n;
    const char *base;
} Pieces;

static int collect(const char *piece, size_t n, void *ctx)
{
    Pieces *p = ctx;
    if (p->n < 4096) p->off[p->n] = (size_t)(piece - p->base), p->len[p->n] = n;
    p->n++;
    return 0;
}

/* Do the scanner and PCRE2 cut text into the same pieces? Prints the first
 * difference. */
static int same_split(const Bpe *bpe, const char *text, size_t len)
{
    static Pieces fast, slow;
    fast.n = slow.n = 0;
    fast.base = slow.base = text;
    if (bpe_pretokenize_with(bpe, text, len, 1, collect, &fast) != 0) return 0;
    if (bpe_pretokenize_with(bpe, text, len, 0, collect, &slow) != 0) return 0;
    size_t n = fast.n < slow.n ? fast.n : slow.n;
    for (size_t i = 0; i <= n && i < 4096; i++) {
        if (i < n && fast.off[i] == slow.off[i] && fast.len[i] == slow.len[i]) continue;
        if (i == n && fast.n == slow.n) return 1;
        printf("    pattern %.30s...: piece %zu differs in \"", bpe_pattern(bpe), i);
        for (size_t k = 0; k < len && k < 60; k++) {
            unsigned char c = (unsigned char)text[k];
            if (c >= 0x20 && c < 0x7f) putchar(c); else printf("\\x%02x", c);
        }
        printf("\": scanner %zu+%zu, PCRE2 %zu+%zu\n", i < fast.n ? fast.off[i] : 0, i < fast.n ? fast.len[i] : 0,
               i < slow.n ? slow.off[i] : 0, i < slow.n ? slow.len[i] : 0);
        return 0;
    }
    return 1;
}

static Bpe *with_pattern(const char *pattern)
{
    Bpe *bpe = bpe_new(0);
    if (bpe && bpe_set_pattern(bpe, pattern) != 0) {
        bpe_free(bpe);
        return NULL;
    }
    return bpe;
}

static const char *const patterns[] = { BPE_PATTERN_GPT2, BPE_PATTERN_CL100K, BPE_PATTERN_O200K };

static void test_scanner_is_used_for_known_patterns(void)
{
    for (int p = 0; p < 3; p++) {
        Bpe *bpe = with_pattern(patterns[p]);
        CHECK(bpe != NULL && bpe->scan != BPE_SCAN_NONE);
        bpe_free(bpe);
    }
    Bpe *custom = with_pattern("\\p{L}+|\\s+|.");
    CHECK(custom != NULL && custom->scan == BPE_SCAN_NONE);
    bpe_free(custom);
    /* On ASCII the scanner decides alone: "don't" is "don" "'t" in cl100k. */
    const unsigned char text[] = "don't";
    CHECK(bpe_scan_ascii(BPE_SCAN_CL100K, text, 0, 5) == 3);
    CHECK(bpe_scan_ascii(BPE_SCAN_CL100K, text, 3, 5) == 5);
    /* ... and leaves "'ſ" ((?i) makes it "'s") and "café" to PCRE2. */
    CHECK(bpe_scan_ascii(BPE_SCAN_CL100K, (const unsigned char *)"'\xc5\xbf", 0, 3) == 0);
    CHECK(bpe_scan_ascii(BPE_SCAN_CL100K, (const unsigned char *)"caf\xc3\xa9", 0, 5) == 0);
}

static void test_hostile_text_splits_like_pcre2(void)
{
    static const char *const texts[] = {
        "I've 12345 cats!\n\n", "don't DON'T Don'T we'LL they'Re I'M 'S 'sa '", "'\xc5\xbf 'x '\xe2\x80\x99",
        "HELLOworld helloWorld ABcD CamelCaseWords iPhone X", "a  b   c\t\td \n e\r\n\r\nf  \n  g",
        "   \n", "  ", " ", "\n", "x \xc2\xa0y", "x  \xc2\xa0\n", "x\xc2\x85 y", " \xe3\x80\x80z",
        "(hello) [world] {x} \"q\" --flag=1 a/b/c //c ./x ...!?\n\n\n", "!\n/\n", "end.\nNext\n\nA",
        "caf\xc3\xa9 na\xc3\xafve \xc3\x89" "cole e\xcc\x81 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd8\xa7\xd9\x84",
        "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd 123\xd9\xa3\xd9\xa4 12\xef\xbc\x93",
        "\xff\xfe x\xff y \xc3 \xe2\x82 \x80" "abc", "\x01\x02 \x7f\x1c\x1f",
        "\x0b\x0c \x0bx \x0cy", "1234567890 12 1 x1 1x 1.5 1,000,000", "\xe2\x84\xaa \xc7\x85x \xca\xb0y",
        "  hello\n  world\r\n\tfoo\t\tbar", "x'\xc3\xa9 x'r\xc3\xa9 x'l\xc3\x9f A\xc3\xa9 AB\xcc\x81" "c",
    };
    for (int p = 0; p < 3; p++) {
        Bpe *bpe = with_pattern(patterns[p]);
        CHECK(bpe != NULL);
        if (!bpe) continue;
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            CHECK(same_split(bpe, texts[i], strlen(texts[i])));
        }
        static const char nuls[] = "a\0b \0 \0\0x\0";
        CHECK(same_split(bpe, nuls, sizeof nuls - 1));
        bpe_free(bpe);
    }
}

/* Random strings of up to 48 atoms from a list: ASCII runs of every class
 * and the Unicode that sits at their edges. */
static void test_random_text_splits_like_pcre2(void)
{
    static const char *const atoms[] = {
        "a", "Z", "s", "S", "t", "re", "VE", "ll", "d", "M", "'", "'", " ", " ", "  ", "\t", "\n", "\r",
        "\r\n", "\x0b", "\x0c", "0", "12", "345", "!", ".", "/", "(", "-", "\"", "\x00", "\x1c", "\x7f",
        "\xc3\xa9", "\xc3\x89", "\xc5\xbf", "\xc2\xa0", "\xc2\x85", "\xe2\x80\x99", "\xe3\x80\x80",
        "\xe2\x80\xaf", "\xd9\xa3", "\xc7\x85", "\xcc\x81", "\xe2\x84\xaa", "\xf0\x9f\x8e\x89", "\xe2\x80\x94",
        "\xff", "\xc3", "\xe6\x97\xa5",
    };
    enum { N_ASCII_ATOMS = 33 };
    size_t n_atoms = sizeof atoms / sizeof *atoms;
    Rng rng;
    rng_seed(&rng, 14);
    char text[48 * 4 + 1];
    int bad = 0;
    for (int p = 0; p < 3 && !bad; p++) {
        Bpe *bpe = with_pattern(patterns[p]);
        CHECK(bpe != NULL);
        if (!bpe) continue;
        for (int trial = 0; trial < 30000 && !bad; trial++) {
            int ascii_only = trial % 2 == 0;
            size_t len = 0, n = 1 + rng_u32(&rng) % 48;
            for (size_t k = 0; k < n; k++) {
                const char *a = atoms[rng_u32(&rng) % (ascii_only ? N_ASCII_ATOMS : n_atoms)];
                size_t al = a[0] ? strlen(a) : 1;   /* "\x00" is one NUL byte */
                memcpy(text + len, a, al);
                len += al;
            }
            if (!same_split(bpe, text, len)) bad = 1;
        }
        /* Any ASCII byte at all, uniformly. */
        for (int trial = 0; trial < 20000 && !bad; trial++) {
            size_t len = 1 + rng_u32(&rng) % 32;
            for (size_t k = 0; k < len; k++) text[k] = (char)(rng_u32(&rng) % 128);
            if (!same_split(bpe, text, len)) bad = 1;
        }
        bpe_free(bpe);
    }
    CHECK(!bad);
}

int main(void)
{
    RUN(test_scanner_is_used_for_known_patterns);
    RUN(test_hostile_text_splits_like_pcre2);
    RUN(test_random_text_splits_like_pcre2);
    TESTS_DONE();
}
