/*
 * test_tokenizer.c — the word-level tokenizer (src/tokenizers/word.c): how text is
 * split into pieces, how the vocabulary is built and checked, encoding with
 * <unk>, and decoding back to text with punctuation attached the way a reader
 * expects. Each test name says the behaviour it protects.
 */
#include "test.h"
#include "tokenizers/word.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------- */

/* Collects split pieces as one string, each piece followed by '|'. */
typedef struct {
    char text[512];
    size_t len;
} Pieces;

static void collect(const char *piece, size_t len, void *ctx)
{
    Pieces *p = ctx;
    if (p->len + len + 2 > sizeof p->text) return;
    memcpy(p->text + p->len, piece, len);
    p->len += len;
    p->text[p->len++] = '|';
    p->text[p->len] = '\0';
}

/* "a|b|c|" for the pieces of text, and checks the returned count. */
static const char *split(const char *text)
{
    static Pieces p;
    memset(&p, 0, sizeof p);
    size_t n = tokenizer_split(text, collect, &p), bars = 0;
    for (size_t i = 0; i < p.len; i++) bars += p.text[i] == '|';
    if (n != bars) return "count mismatch";
    return p.text;
}

static int split_is(const char *text, const char *expected)
{
    const char *got = split(text);
    if (strcmp(got, expected) == 0) return 1;
    printf("    split(\"%s\") = \"%s\", expected \"%s\"\n", text, got, expected);
    return 0;
}

/* decode(encode(text)) with a vocabulary built from texts. */
static int round_trips(const Vocab *vocab, const char *text)
{
    int ids[256];
    char out[1024];
    int n = tokenizer_encode(vocab, text, ids, 256);
    size_t len = tokenizer_decode(vocab, ids, n, out, sizeof out);
    if (len == strlen(text) && strcmp(out, text) == 0) return 1;
    printf("    decode(encode(\"%s\")) = \"%s\"\n", text, out);
    return 0;
}

/* ---- splitting --------------------------------------------------------- */

static void split_puts_each_punctuation_mark_in_its_own_piece(void)
{
    CHECK(split_is("Hello, world!", "Hello|,|world|!|"));
    CHECK(split_is("(yes)...", "(|yes|)|.|.|.|"));
    CHECK(split_is("don't well-known", "don|'|t|well|-|known|"));
    CHECK(split_is("a+b=c;d", "a|+|b|=|c|;|d|"));
}

static void split_keeps_eos_whole_even_when_glued(void)
{
    CHECK(split_is("The end. </s>", "The|end|.|</s>|"));
    CHECK(split_is("done.</s>", "done|.|</s>|"));
    CHECK(split_is("a</s>b</s></s>", "a|</s>|b|</s>|</s>|"));
    CHECK(split_is("< /s> </s", "<|/|s|>|<|/|s|"));
    CHECK(split_is("</S>", "<|/|S|>|"));
}

static void split_treats_runs_of_any_whitespace_as_one_gap(void)
{
    CHECK(split_is("  a\t\tb\n\nc \r\n d\v\fe  ", "a|b|c|d|e|"));
}

static void split_keeps_utf8_bytes_inside_words(void)
{
    CHECK(split_is("café naïve 日本語.", "café|naïve|日本語|.|"));
    CHECK(split_is("emoji🙂here", "emoji🙂here|"));
}

static void split_of_empty_or_blank_text_has_no_pieces(void)
{
    CHECK(tokenizer_split("", NULL, NULL) == 0);
    CHECK(tokenizer_split(" \t\n\r ", NULL, NULL) == 0);
}

static void split_byte_classes_match_the_c_locale(void)
{
    /* "x" c "y": a space gives 2 pieces, punctuation 3, anything else 1. */
    for (int c = 1; c < 256; c++) {
        char text[4] = { 'x', (char)c, 'y', '\0' };
        size_t want = isspace(c) ? 2 : ispunct(c) ? 3 : 1;
        size_t got = tokenizer_split(text, NULL, NULL);
        if (got != want) printf("    byte 0x%02x: %zu pieces, expected %zu\n", c, got, want);
        CHECK(got == want);
    }
}

/* ---- the vocabulary ---------------------------------------------------- */

static void vocab_puts_the_specials_at_ids_0_1_2(void)
{
    const char *texts[] = { "hello world </s>" };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    CHECK(v.size == 5);
    CHECK(strcmp(v.words[TOKEN_PAD], "<pad>") == 0);
    CHECK(strcmp(v.words[TOKEN_UNK], "<unk>") == 0);
    CHECK(strcmp(v.words[TOKEN_EOS], "</s>") == 0);
    CHECK(vocab_lookup(&v, "</s>", 4) == TOKEN_EOS);
    vocab_free(&v);
}

static void vocab_is_sorted_and_the_same_whatever_the_input_order(void)
{
    const char *a[] = { "the cat sat. </s>", "The dog, the cat! </s>", "zebra Apple é" };
    const char *b[] = { "zebra Apple é", "the cat sat. </s>", "The dog, the cat! </s>" };
    Vocab va, vb;
    CHECK(vocab_build(&va, a, 3) == 0);
    CHECK(vocab_build(&vb, b, 3) == 0);
    CHECK(va.size == vb.size);
    CHECK(va.size == TOKEN_N_SPECIAL + 11);   /* ! , . Apple The cat dog sat the zebra é */
    for (int id = 0; id < va.size && id < vb.size; id++) CHECK(strcmp(va.words[id], vb.words[id]) == 0);
    for (int id = TOKEN_N_SPECIAL + 1; id < va.size; id++)
        CHECK(strcmp(va.words[id - 1], va.words[id]) < 0);
    CHECK(vocab_lookup(&va, "The", 3) != vocab_lookup(&va, "the", 3));   /* case is kept */
    vocab_free(&va);
    vocab_free(&vb);
}

static void vocab_lookup_finds_every_word_and_nothing_else(void)
{
    const char *texts[] = { "the then thee th t a ab abc" };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    for (int id = 0; id < v.size; id++)
        CHECK(vocab_lookup(&v, v.words[id], strlen(v.words[id])) == id);
    CHECK(vocab_lookup(&v, "thenx", 5) == -1);
    CHECK(vocab_lookup(&v, "then", 3) == vocab_lookup(&v, "the", 3));  /* length counts */
    CHECK(vocab_lookup(&v, "b", 1) == -1);
    CHECK(vocab_lookup(&v, "", 0) == -1);
    vocab_free(&v);
}

static void vocab_of_many_words_stays_consistent(void)
{
    /* Enough distinct words to make both hash tables grow several times. */
    static char text[200000];
    size_t len = 0;
    for (int i = 0; i < 20000; i++) len += (size_t)snprintf(text + len, sizeof text - len, "w%d ", i);
    const char *texts[] = { text };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    CHECK(v.size == TOKEN_N_SPECIAL + 20000);
    CHECK(v.n_slots > 2 * (size_t)v.size && (v.n_slots & (v.n_slots - 1)) == 0);
    int found = 0;
    for (int id = 0; id < v.size; id++)
        found += vocab_lookup(&v, v.words[id], strlen(v.words[id])) == id;
    CHECK(found == v.size);
    vocab_free(&v);
}

static void vocab_from_words_accepts_what_vocab_build_made(void)
{
    const char *texts[] = { "Hello, world! </s>" };
    Vocab built, loaded;
    CHECK(vocab_build(&built, texts, 1) == 0);
    CHECK(vocab_from_words(&loaded, (const char *const *)built.words, built.size) == 0);
    CHECK(loaded.size == built.size);
    for (int id = 0; id < loaded.size; id++) {
        CHECK(strcmp(loaded.words[id], built.words[id]) == 0);
        CHECK(loaded.words[id] != built.words[id]);             /* copied */
        CHECK(vocab_lookup(&loaded, built.words[id], strlen(built.words[id])) == id);
    }
    vocab_free(&built);
    vocab_free(&loaded);
}

/* vocab_from_words must fail with a message holding each needle. */
static int from_words_rejects(const char *const *words, int n, const char *needle1,
                              const char *needle2)
{
    Vocab v;
    int rc = vocab_from_words(&v, words, n);
    int ok = rc == -1 && strstr(last_error(), needle1) && strstr(last_error(), needle2) &&
             v.size == 0 && v.words == NULL && v.slots == NULL;
    if (!ok) printf("    rc %d, message \"%s\"\n", rc, last_error());
    if (rc == 0) vocab_free(&v);
    return ok;
}

static void vocab_from_words_rejects_bad_lists_naming_the_entry(void)
{
    const char *dup[] = { "<pad>", "<unk>", "</s>", "a", "the", "cat", "dog", "the" };
    CHECK(from_words_rejects(dup, 8, "vocabulary entry 7", "duplicate word \"the\""));
    const char *empty[] = { "<pad>", "<unk>", "</s>", "a", "" };
    CHECK(from_words_rejects(empty, 5, "vocabulary entry 4", "empty"));
    const char *null[] = { "<pad>", "<unk>", "</s>", NULL };
    CHECK(from_words_rejects(null, 4, "vocabulary entry 3", "empty"));
    const char *space[] = { "<pad>", "<unk>", "</s>", "two words" };
    CHECK(from_words_rejects(space, 4, "vocabulary entry 3", "whitespace"));
    const char *order[] = { "<unk>", "<pad>", "</s>", "a" };
    CHECK(from_words_rejects(order, 4, "vocabulary entry 0", "\"<pad>\""));
    const char *no_eos[] = { "<pad>", "<unk>", "hello" };
    CHECK(from_words_rejects(no_eos, 3, "vocabulary entry 2", "\"</s>\""));
    CHECK(from_words_rejects(no_eos, 2, "vocabulary has 2 entries", "special"));
    const char *special_again[] = { "<pad>", "<unk>", "</s>", "<unk>" };
    CHECK(from_words_rejects(special_again, 4, "vocabulary entry 3", "duplicate"));
}

/* ---- encoding ---------------------------------------------------------- */

static void encode_turns_unknown_words_into_unk_and_never_drops_them(void)
{
    const char *texts[] = { "the cat sat . </s>" };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    int ids[8];
    int n = tokenizer_encode(&v, "the zebra sat, </s>", ids, 8);
    CHECK(n == 5);
    CHECK(ids[0] == vocab_lookup(&v, "the", 3));
    CHECK(ids[1] == TOKEN_UNK);
    CHECK(ids[2] == vocab_lookup(&v, "sat", 3));
    CHECK(ids[3] == TOKEN_UNK);                      /* "," was never seen */
    CHECK(ids[4] == TOKEN_EOS);
    vocab_free(&v);
}

static void encode_counts_the_whole_text_but_writes_only_max_ids(void)
{
    const char *texts[] = { "a b c d e" };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    int ids[4] = { -7, -7, -7, -7 };
    CHECK(tokenizer_encode(&v, "a b c d e", ids, 2) == 5);
    CHECK(ids[0] == vocab_lookup(&v, "a", 1) && ids[1] == vocab_lookup(&v, "b", 1));
    CHECK(ids[2] == -7 && ids[3] == -7);
    CHECK(tokenizer_encode(&v, "a b c", NULL, 0) == 3);
    CHECK(tokenizer_encode(&v, "", ids, 4) == 0);
    vocab_free(&v);
}

/* ---- decoding ---------------------------------------------------------- */

static void decode_of_encode_gives_back_normally_spaced_sentences(void)
{
    const char *sentences[] = {
        "The sun rises in the east. </s>",
        "User: How do mountains form? Assistant: Tectonic plates collide, pushing rock up. </s>",
        "It's a well-known fact (really) that 50% of people don't read footnotes [1].",
        "He said \"hello\" to me, and I said \"goodbye\".",
        "Pi is about 3.14, a million is 1,000,000; it costs $5 at 10:30!",
        "Café crème, naïve résumé — 日本語 too.",
        "Use {braces} and/or [brackets]; ok? Yes! </s>",
        "Wait... what?! </s>",
    };
    size_t n = sizeof sentences / sizeof *sentences;
    Vocab v;
    CHECK(vocab_build(&v, sentences, n) == 0);
    for (size_t i = 0; i < n; i++) CHECK(round_trips(&v, sentences[i]));
    vocab_free(&v);
}

static void decode_hides_pad_and_shows_unk_and_eos_as_words(void)
{
    const char *texts[] = { "hi ." };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    int hi = vocab_lookup(&v, "hi", 2), dot = vocab_lookup(&v, ".", 1);
    int ids[] = { TOKEN_PAD, hi, TOKEN_UNK, TOKEN_PAD, dot, TOKEN_EOS, TOKEN_PAD };
    char out[64];
    CHECK(tokenizer_decode(&v, ids, 7, out, sizeof out) == strlen("hi <unk>. </s>"));
    CHECK(strcmp(out, "hi <unk>. </s>") == 0);
    int bad[] = { hi, 999, -5 };
    tokenizer_decode(&v, bad, 3, out, sizeof out);
    CHECK(strcmp(out, "hi <unk> <unk>") == 0);
    vocab_free(&v);
}

static void decode_cuts_to_fit_like_snprintf(void)
{
    const char *texts[] = { "hello world" };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    int ids[] = { vocab_lookup(&v, "hello", 5), vocab_lookup(&v, "world", 5) };
    char out[8] = "xxxxxxx";
    CHECK(tokenizer_decode(&v, ids, 2, out, 8) == 11);
    CHECK(strcmp(out, "hello w") == 0);
    CHECK(tokenizer_decode(&v, ids, 2, out, 1) == 11 && out[0] == '\0');
    CHECK(tokenizer_decode(&v, ids, 2, NULL, 0) == 11);
    CHECK(tokenizer_decode(&v, ids, 0, out, 8) == 0 && out[0] == '\0');
    vocab_free(&v);
}

static void separator_attaches_punctuation_as_a_reader_expects(void)
{
    const char *texts[] = { "word . , ! ? ; : ) ] } % ( [ { $ ' - / \" other" };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
#define ID(s) vocab_lookup(&v, s, strlen(s))
    int word = ID("word"), other = ID("other");
    CHECK(strcmp(tokenizer_separator(&v, -1, word), "") == 0);
    CHECK(strcmp(tokenizer_separator(&v, word, other), " ") == 0);
    const char *closers[] = { ".", ",", "!", "?", ";", ":", ")", "]", "}", "%" };
    for (size_t i = 0; i < sizeof closers / sizeof *closers; i++) {
        CHECK(strcmp(tokenizer_separator(&v, word, ID(closers[i])), "") == 0);
        CHECK(strcmp(tokenizer_separator(&v, ID(closers[i]), word), " ") == 0);
    }
    const char *openers[] = { "(", "[", "{", "$" };
    for (size_t i = 0; i < sizeof openers / sizeof *openers; i++) {
        CHECK(strcmp(tokenizer_separator(&v, word, ID(openers[i])), " ") == 0);
        CHECK(strcmp(tokenizer_separator(&v, ID(openers[i]), word), "") == 0);
    }
    const char *joiners[] = { "'", "-", "/" };
    for (size_t i = 0; i < sizeof joiners / sizeof *joiners; i++) {
        CHECK(strcmp(tokenizer_separator(&v, word, ID(joiners[i])), "") == 0);
        CHECK(strcmp(tokenizer_separator(&v, ID(joiners[i]), word), "") == 0);
    }
    CHECK(strcmp(tokenizer_separator(&v, word, TOKEN_EOS), " ") == 0);
    CHECK(strcmp(tokenizer_separator(&v, ID("."), TOKEN_EOS), " ") == 0);
    CHECK(strcmp(tokenizer_separator(&v, word, TOKEN_PAD), "") == 0);
    CHECK(strcmp(tokenizer_separator(&v, word, ID("\"")), " ") == 0);  /* stateless: a word */
#undef ID
    vocab_free(&v);
}

static void detokenizer_pairs_double_quotes_while_streaming(void)
{
    const char *texts[] = { "She said \" yes \" , then \" no \" ." };
    Vocab v;
    CHECK(vocab_build(&v, texts, 1) == 0);
    int ids[32];
    int n = tokenizer_encode(&v, texts[0], ids, 32);
    char out[128] = "";
    Detokenizer detok;
    detokenizer_init(&detok);
    for (int i = 0; i < n; i++) {
        strcat(out, detokenizer_next(&detok, &v, ids[i]));
        strcat(out, tokenizer_piece(&v, ids[i]));
    }
    CHECK(strcmp(out, "She said \"yes\", then \"no\".") == 0);
    vocab_free(&v);
}

static void fold_case_lowers_letters_and_keeps_everything_else(void)
{
    static const struct { const char *in, *out; } cases[] = {
        { "Japan JAPAN japan", "japan japan japan" },
        { "Ünïcödé ÇA", "ünïcödé ça" },
        { "\xC4\xB0stanbul", "istanbul" },                 /* U+0130 -> 'i': shorter */
        { "\xC8\xBA", "\xE2\xB1\xA5" },                    /* U+023A -> U+2C65: longer */
        { "a\xFF" "B\xC3", "a\xFF" "b\xC3" },              /* invalid bytes kept */
        { "123 .,;!? </s> <unk>", "123 .,;!? </s> <unk>" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t len = strlen(cases[i].in);
        size_t n = word_fold_case(cases[i].in, len, out);
        CHECK(n <= 2 * len);
        CHECK(n == strlen(cases[i].out) && memcmp(out, cases[i].out, n) == 0);
        CHECK(tokenizer_split(cases[i].in, NULL, NULL) == tokenizer_split(cases[i].out, NULL, NULL));
    }
}

static void lowercase_vocab_is_one_word_whatever_the_case(void)
{
    const char *texts[] = { "The Cat sat .", "the CAT sat . </s>" };
    Vocab v;
    CHECK(vocab_build_lowercase(&v, texts, 2) == 0);
    CHECK(v.lowercase == 1);
    CHECK(v.size == TOKEN_N_SPECIAL + 4);                  /* . cat sat the */
    for (int id = 0; id < v.size; id++)
        for (const char *p = v.words[id]; *p; p++) CHECK(!(*p >= 'A' && *p <= 'Z'));
    int ids[8];
    CHECK(tokenizer_encode(&v, "THE cAt SAT", ids, 8) == 3);
    CHECK(ids[0] == vocab_lookup(&v, "the", 3) && ids[1] == vocab_lookup(&v, "cat", 3));
    CHECK(vocab_lookup(&v, "Sat", 3) == vocab_lookup_exact(&v, "sat", 3));
    CHECK(vocab_lookup_exact(&v, "Sat", 3) == -1);
    CHECK(tokenizer_encode(&v, "</s> DOG", ids, 8) == 2 && ids[0] == TOKEN_EOS && ids[1] == TOKEN_UNK);
    vocab_free(&v);
}

int main(void)
{
    RUN(split_puts_each_punctuation_mark_in_its_own_piece);
    RUN(split_keeps_eos_whole_even_when_glued);
    RUN(split_treats_runs_of_any_whitespace_as_one_gap);
    RUN(split_keeps_utf8_bytes_inside_words);
    RUN(split_of_empty_or_blank_text_has_no_pieces);
    RUN(split_byte_classes_match_the_c_locale);
    RUN(vocab_puts_the_specials_at_ids_0_1_2);
    RUN(vocab_is_sorted_and_the_same_whatever_the_input_order);
    RUN(vocab_lookup_finds_every_word_and_nothing_else);
    RUN(vocab_of_many_words_stays_consistent);
    RUN(vocab_from_words_accepts_what_vocab_build_made);
    RUN(vocab_from_words_rejects_bad_lists_naming_the_entry);
    RUN(encode_turns_unknown_words_into_unk_and_never_drops_them);
    RUN(encode_counts_the_whole_text_but_writes_only_max_ids);
    RUN(decode_of_encode_gives_back_normally_spaced_sentences);
    RUN(decode_hides_pad_and_shows_unk_and_eos_as_words);
    RUN(decode_cuts_to_fit_like_snprintf);
    RUN(separator_attaches_punctuation_as_a_reader_expects);
    RUN(detokenizer_pairs_double_quotes_while_streaming);
    RUN(fold_case_lowers_letters_and_keeps_everything_else);
    RUN(lowercase_vocab_is_one_word_whatever_the_case);
    TESTS_DONE();
}
