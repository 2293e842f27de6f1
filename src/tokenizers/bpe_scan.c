/*
 * bpe_scan.c — the pre-split of tiktoken's known patterns (GPT-2, cl100k,
 * o200k) on ASCII text, without a regex engine.
 *
 * English prose is almost all ASCII, and on ASCII each pattern is a handful
 * of character runs. bpe_scan_ascii() decides the pre-token starting at a
 * position the way the regex does — the first alternative that matches
 * wins, each one greedy with backtracking — as long as only ASCII bytes take
 * part in the decision. When a byte >= 0x80 does (a letter run that ends at
 * "é", a space run followed by U+00A0, an apostrophe before "ſ", which
 * (?i) matches as "s"), it returns 0 and bpe_pretok.c asks PCRE2 for that
 * one pre-token, then comes back here. So the split is PCRE2's exactly
 * (tests/test_bpe_scan.c compares the two on hostile and random text) and
 * PCRE2 runs only where the text is not ASCII.
 *
 * The ASCII classes: L letters, N digits, S whitespace (\t \n \v \f \r and
 * space: Unicode White_Space within ASCII), P everything else (punctuation,
 * symbols, control bytes, NUL). cl100k_base's pattern, alternative by
 * alternative, at position i:
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)   an apostrophe and a contraction
 *   [^\r\n\p{L}\p{N}]?\p{L}+       one optional non-letter (not CR/LF) + letters
 *   \p{N}{1,3}                     one to three digits
 *    ?[^\s\p{L}\p{N}]+[\r\n]*      optional space, P run, CR/LF run
 *   \s*[\r\n]+                     whitespace up to its last CR/LF
 *   \s+(?!\S)                      whitespace but its last char, if \S follows
 *   \s+                            whitespace
 *
 * GPT-2's pattern has case-sensitive contractions, " ?" in front of letter,
 * digit (any number) and P runs, and no CR/LF tails; o200k's splits letters
 * by case (an upper run then a lower run, or an upper run alone, each with
 * an optional contraction after it) and lets "/" end a P run's tail.
 */
#include <string.h>

#include "tokenizers/bpe_internal.h"

enum { L = 1, N = 2, S = 4, P = 8, UP = 16, LO = 32 };

/* The class of each byte: ASCII as above, 0 for bytes >= 0x80. */
static const unsigned char ascii_class[256] = {
    /* 0x00-0x0f: controls, \t \n \v \f \r */
    P, P, P, P, P, P, P, P, P, S, S, S, S, S, P, P,
    /* 0x10-0x1f: controls */
    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
    /* 0x20-0x2f: space ! " # $ % & ' ( ) * + , - . / */
    S, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
    /* 0x30-0x3f: 0-9 : ; < = > ? */
    N, N, N, N, N, N, N, N, N, N, P, P, P, P, P, P,
    /* 0x40-0x4f: @ A-O */
    P, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP,
    /* 0x50-0x5f: P-Z [ \ ] ^ _ */
    L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, L|UP, P, P, P, P, P,
    /* 0x60-0x6f: ` a-o */
    P, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO,
    /* 0x70-0x7f: p-z { | } ~ DEL */
    L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, L|LO, P, P, P, P, P,
};

BpeScan bpe_scan_kind(const char *pattern)
{
    if (!pattern) return BPE_SCAN_NONE;
    if (strcmp(pattern, BPE_PATTERN_GPT2) == 0) return BPE_SCAN_GPT2;
    if (strcmp(pattern, BPE_PATTERN_CL100K) == 0) return BPE_SCAN_CL100K;
    if (strcmp(pattern, BPE_PATTERN_O200K) == 0) return BPE_SCAN_O200K;
    return BPE_SCAN_NONE;
}

#define UNDECIDED ((size_t)-1)   /* a byte >= 0x80 takes part: ask PCRE2 */

/* The end of the class run starting at i: the first byte not of class k.
 * UNDECIDED when that byte is >= 0x80 (it might be of the class). */
static inline size_t run_end(const unsigned char *t, size_t i, size_t len, unsigned char k)
{
    while (i < len && (ascii_class[t[i]] & k)) i++;
    return i < len && t[i] >= 0x80 ? UNDECIDED : i;
}

static inline int lower(unsigned char c) { return c | 0x20; }   /* for letters only */

/* The length of the contraction at t[i] == '\'' ("'s" 2, "'re" 3), 0 for
 * none, UNDECIDED when a byte >= 0x80 could complete one under (?i). */
static size_t contraction(const unsigned char *t, size_t i, size_t len, int caseless)
{
    if (i + 1 >= len) return 0;
    unsigned char a = t[i + 1];
    if (a >= 0x80) return caseless ? UNDECIDED : 0;
    if (caseless && (ascii_class[a] & L)) a = (unsigned char)lower(a);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (a != 'r' && a != 'v' && a != 'l') return 0;
    if (i + 2 >= len) return 0;
    unsigned char b = t[i + 2];
    if (b >= 0x80) return caseless ? UNDECIDED : 0;
    if (caseless && (ascii_class[b] & L)) b = (unsigned char)lower(b);
    return b == (a == 'l' ? 'l' : 'e') ? 3 : 0;
}

/* The whitespace alternatives, i at an S byte. With CR/LF in the run
 * (cl100k, o200k: \s*[\r\n]+) the match ends after its last CR/LF; else
 * \s+(?!\S) leaves the run's last char for what follows, unless the run is
 * one char or ends the text (\s+). */
static size_t scan_space(const unsigned char *t, size_t i, size_t len, int newline_alt)
{
    size_t end = run_end(t, i, len, S);
    if (end == UNDECIDED) return UNDECIDED;
    if (newline_alt)
        for (size_t k = end; k > i; k--)
            if (t[k - 1] == '\r' || t[k - 1] == '\n') return k;
    if (end < len && end - i >= 2) return end - 1;
    return end;
}

/* A P run from i (the caller checked t[i] is P), then a tail of CR/LF (and
 * "/" for o200k) when tail is set. */
static size_t scan_punct(const unsigned char *t, size_t i, size_t len, int tail, int slash)
{
    size_t end = run_end(t, i, len, P);
    if (end == UNDECIDED || !tail) return end;
    while (end < len && (t[end] == '\r' || t[end] == '\n' || (slash && t[end] == '/'))) end++;
    return end;
}

static size_t scan_gpt2(const unsigned char *t, size_t i, size_t len)
{
    unsigned char c = t[i];
    if (c == '\'') {
        size_t k = contraction(t, i, len, 0);
        if (k) return i + k;
    }
    size_t j = i + (c == ' ');                        /* " ?" in front of a run */
    if (j < len) {
        if (t[j] >= 0x80) return UNDECIDED;
        unsigned char k = ascii_class[t[j]] & (L | N | P);
        if (k) return run_end(t, j, len, k);
    }
    return ascii_class[c] & S ? scan_space(t, i, len, 0) : UNDECIDED;
}

static size_t scan_cl100k(const unsigned char *t, size_t i, size_t len)
{
    unsigned char c = t[i], k = ascii_class[c];
    if (c == '\'') {
        size_t n = contraction(t, i, len, 1);
        if (n) return n == UNDECIDED ? UNDECIDED : i + n;
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    size_t j = (k & (L | N)) || c == '\r' || c == '\n' ? i : i + 1;
    if (j < len && t[j] >= 0x80) return UNDECIDED;
    if (j < len && (ascii_class[t[j]] & L)) return run_end(t, j, len, L);
    if (k & N) {                                       /* \p{N}{1,3} */
        size_t end = i + 1;
        while (end < len && end < i + 3 && (ascii_class[t[end]] & N)) end++;
        return end < i + 3 && end < len && t[end] >= 0x80 ? UNDECIDED : end;
    }
    j = i + (c == ' ');                                /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
    if (j < len && (ascii_class[t[j]] & P)) return scan_punct(t, j, len, 1, 0);
    return k & S ? scan_space(t, i, len, 1) : UNDECIDED;
}

/* o200k's letters from j: [Upper]*[Lower]+ or [Upper]+[Lower]*, then an
 * optional contraction. 0 when there is no letter at j. */
static size_t o200k_letters(const unsigned char *t, size_t j, size_t len)
{
    size_t up = run_end(t, j, len, UP);
    if (up == UNDECIDED) return UNDECIDED;
    size_t low = run_end(t, up, len, LO);
    if (low == UNDECIDED) return UNDECIDED;
    if (low == j) return 0;
    if (low < len && t[low] == '\'') {
        size_t n = contraction(t, low, len, 1);
        if (n == UNDECIDED) return UNDECIDED;
        low += n;
    }
    return low;
}

static size_t scan_o200k(const unsigned char *t, size_t i, size_t len)
{
    unsigned char c = t[i], k = ascii_class[c];
    size_t j = (k & (L | N)) || c == '\r' || c == '\n' ? i : i + 1;
    if (j < len && t[j] >= 0x80) return UNDECIDED;
    if (j < len && (ascii_class[t[j]] & L)) return o200k_letters(t, j, len);
    if (k & N) {
        size_t end = i + 1;
        while (end < len && end < i + 3 && (ascii_class[t[end]] & N)) end++;
        return end < i + 3 && end < len && t[end] >= 0x80 ? UNDECIDED : end;
    }
    j = i + (c == ' ');
    if (j < len && (ascii_class[t[j]] & P)) return scan_punct(t, j, len, 1, 1);
    return k & S ? scan_space(t, i, len, 1) : UNDECIDED;
}

size_t bpe_scan_ascii(BpeScan kind, const unsigned char *text, size_t pos, size_t len)
{
    if (pos >= len || text[pos] >= 0x80) return 0;
    size_t end = kind == BPE_SCAN_CL100K ? scan_cl100k(text, pos, len)
               : kind == BPE_SCAN_GPT2   ? scan_gpt2(text, pos, len)
               : kind == BPE_SCAN_O200K  ? scan_o200k(text, pos, len) : UNDECIDED;
    return end == UNDECIDED ? 0 : end;
}
