/*
 * test_data_stream.c — the streamed data formats (src/train/data_txt.c,
 * data_jsonl.c over the line reader data_lines.c): plain text split into
 * documents at blank lines, JSON Lines of every entry shape, a message with
 * file, line and column for every kind of bad line, long lines and long
 * documents, files read from disk a block at a time exactly as from memory,
 * and a load whose memory is the texts, not the file twice. The last test
 * follows a long plain text into training, where it becomes windows.
 */
#include "train/data.h"
#include "train/train.h"
#include "test.h"
#include "data_fixture.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------- */

static char temp_dir[64];

static void write_bytes(const char *path, const char *content, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    fwrite(content, 1, len, fp);
    fclose(fp);
}

/* ---- plain text -------------------------------------------------------- */

static void txt_documents_are_separated_by_blank_lines(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "a.txt", "\xEF\xBB\xBF\n\nThe sun rises.\r\nIt sets too.\r\n"
                             "\n \t \n\n"
                             "  Second document.\n"
                             "\n"
                             "Third, with no newline at the end") == 0);
    const char *want[] = { "The sun rises.\nIt sets too. </s>", "Second document. </s>",
                           "Third, with no newline at the end </s>" };
    CHECK(holds(&ds, want, 3));
    dataset_free(&ds);
}

/* A document past DATA_MAX_TEXT_BYTES is cut at line ends into texts of at
 * most that size, and nothing of it is lost. */
static void txt_one_long_document_is_cut_into_texts_at_line_ends(void)
{
    const char line[] = "every line of this book is the same sentence.\n";   /* 47 bytes */
    size_t n_lines = 60000, len = n_lines * (sizeof line - 1);              /* 2.8 MB */
    char *book = malloc(len + 1);
    for (size_t i = 0; i < n_lines; i++) memcpy(book + i * (sizeof line - 1), line, sizeof line - 1);
    book[len] = '\0';
    Dataset ds = { 0 };
    CHECK(data_load_buffer(&ds, "book.txt", book, len) == 0);
    CHECK(ds.count == 3);
    size_t lines = 0;
    for (size_t i = 0; i < ds.count; i++) {
        size_t n = strlen(ds.texts[i]);
        CHECK(n <= DATA_MAX_TEXT_BYTES);
        CHECK(strncmp(ds.texts[i], "every line", 10) == 0);          /* cut at a line end */
        CHECK(strcmp(ds.texts[i] + n - 14, "sentence. </s>") == 0);
        for (const char *p = ds.texts[i]; (p = strstr(p, "sentence.")) != NULL; p++) lines++;
    }
    CHECK(lines == n_lines);
    dataset_free(&ds);
    free(book);
}

/* A line longer than the reader's piece (64 KiB) joins its document whole;
 * one longer than the text limit is cut between words, never inside one. */
static void txt_long_lines_join_their_document_and_are_cut_between_words(void)
{
    size_t len = 3u << 20;                                    /* one 3 MiB line */
    char *text = malloc(len + 1);
    for (size_t i = 0; i < len; i++) text[i] = i % 8 == 7 ? ' ' : "wordword"[i % 8];
    text[len] = '\0';
    Dataset ds = { 0 };
    CHECK(data_load_buffer(&ds, "line.txt", text, 200000) == 0);      /* 200 KB: one text */
    CHECK(ds.count == 1 && strlen(ds.texts[0]) == 199999 + 5);   /* trimmed, " </s>" */
    dataset_free(&ds);
    CHECK(data_load_buffer(&ds, "line.txt", text, len) == 0);
    CHECK(ds.count == 4);
    size_t words = 0;
    for (size_t i = 0; i < ds.count; i++) {
        CHECK(strlen(ds.texts[i]) <= DATA_MAX_TEXT_BYTES + 5);
        for (const char *p = ds.texts[i]; *p; p++) {
            if (*p != 'w') continue;
            CHECK(strncmp(p, "wordwor", 7) == 0 && (p[7] == ' ' || p[7] == '\0'));   /* whole */
            words++;
            p += 6;
        }
    }
    CHECK(words == len / 8);
    dataset_free(&ds);
    free(text);
}

/* ---- JSON Lines -------------------------------------------------------- */

static void jsonl_loads_texts_pairs_and_conversations(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "d.jsonl",
               "{\"text\": \"Water is wet.\", \"source\": 7}\n"
               "\n"
               "  {\"prompt\": \"How do birds fly?\", \"response\": \"With wings.\"}  \r\n"
               "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
               "\"content\": \"Hello.\"}, {\"role\": \"user\", \"content\": \"Bye\"}, "
               "{\"role\": \"assistant\", \"content\": \"Goodbye.\"}]}\n"
               "\"a bare string\"") == 0);
    const char *want[] = { "Water is wet. </s>", "User: How do birds fly? Assistant: With wings. </s>",
                           "User: Hi Assistant: Hello. </s> User: Bye Assistant: Goodbye. </s>",
                           "a bare string </s>" };
    CHECK(holds(&ds, want, 4));
    dataset_free(&ds);
}

static void jsonl_errors_name_their_line(void)
{
    CHECK(rejects("e.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\",}\n", "e.jsonl:3: ", "trailing comma at column 13"));
    CHECK(rejects("e.jsonl", "{\"text\": \"a\"}\n{\"text\" \"b\"}\n", "e.jsonl:2: ", "invalid JSON near column"));
    CHECK(rejects("e.jsonl", "{\"text\": \"a\"}\n{\"text\": 5}\n", "e.jsonl:2: ",
                  "\"text\" is a number; expected a string"));
    CHECK(rejects("e.jsonl", "{\"text\": \"a\"} {\"text\": \"b\"}\n", "e.jsonl:1: ",
                  "unexpected text after the JSON value at column 15"));
    CHECK(rejects("e.jsonl", "[\"a\", \"b\"]\n", "e.jsonl:1: ", "expected a string or an object, found an array"));
    CHECK(rejects("e.jsonl", "{\"prompt\": \"p\"}\n", "e.jsonl:1: ", "\"prompt\" but no \"response\""));
    CHECK(rejects("e.jsonl", "{\"text\": \"a\"}\n{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}",
                  "e.jsonl:2: ", "role \"assistant\", expected \"user\""));
    CHECK(rejects("e.jsonl", "{\"messages\": [{\"role\": \"a\\nb\\r\", \"content\": \"x\"}]}", "e.jsonl:1: ",
                  "role \"a?b?\", expected \"user\""));              /* found by fuzz_data_jsonl */
    CHECK(rejects("e.jsonl", "{\"text\": \"a\", \"text\": \"b\"}", "e.jsonl:1: ", "appears twice"));
    CHECK(rejects("e.jsonl", "{\"text\": \"  \"}", "e.jsonl:1: ", "text is empty"));
    CHECK(rejects("e.jsonl", "{\"text\": \"a\\u0000b\"}", "e.jsonl:1: ", "\\u0000"));
}

/* A .jsonl line may be DATA_MAX_LINE_BYTES (8 MiB) long; a longer one is
 * refused when the reader has that much of it, not after reading it all. */
static void jsonl_a_line_over_the_limit_is_refused(void)
{
    size_t len = (9u << 20);
    char *line = malloc(len);
    memset(line, 'a', len);
    memcpy(line, "{\"text\": \"", 10);
    CHECK(rejects_bytes("big.jsonl", line, len, "big.jsonl:1: ", "line is longer than 8,388,608 bytes"));
    memcpy(line + (2u << 20), "\"}\n", 3);                     /* a 2 MiB text on line 1 */
    CHECK(rejects_bytes("big.jsonl", line, len, "big.jsonl:1: ", "the limit is 1,048,576"));
    free(line);
}

/* ---- what both check ---------------------------------------------------- */

static void invalid_utf8_and_nul_bytes_name_their_line_and_column(void)
{
    static const char nul_txt[] = "fine\n\nab\0c\n", nul_jsonl[] = "{\"text\": \"a\"}\n{\"te\0\n";
    CHECK(rejects("u.txt", "fine\nstill fine\nbad \xff here\n", "u.txt:3: ", "invalid UTF-8 at column 5"));
    CHECK(rejects("u.txt", "over\xC0\xAFlong\n", "u.txt:1: ", "invalid UTF-8 at column 5"));
    CHECK(rejects("u.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"\xed\xa0\x80\"}\n", "u.jsonl:3: ",
                  "invalid UTF-8 at column 11"));
    CHECK(rejects_bytes("n.txt", nul_txt, sizeof nul_txt - 1, "n.txt:3: ", "NUL byte at column 3"));
    CHECK(rejects_bytes("n.jsonl", nul_jsonl, sizeof nul_jsonl - 1, "n.jsonl:2: ", "NUL byte at column 5"));
}

static void empty_files_are_rejected(void)
{
    CHECK(rejects("e.txt", "", "e.txt: ", "file is empty"));
    CHECK(rejects("e.txt", "\n \n\t\r\n", "e.txt: ", "file is empty"));
    CHECK(rejects("e.txt", "\xEF\xBB\xBF", "e.txt: ", "file is empty"));
    CHECK(rejects("e.jsonl", "", "e.jsonl: ", "file is empty"));
    CHECK(rejects("e.jsonl", "\n\n  \n", "e.jsonl: ", "file is empty"));
}

static void a_bad_line_late_in_a_file_rolls_back_the_whole_file(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "good.txt", "one\n\ntwo\n") == 0);
    CHECK(load(&ds, "bad.jsonl", "{\"text\": \"three\"}\n{\"text\": \"four\"}\n{\"text\": null}\n") == -1);
    CHECK(strstr(last_error(), "bad.jsonl:3: ") != NULL);
    const char *want[] = { "one </s>", "two </s>" };
    CHECK(holds(&ds, want, 2));
    dataset_free(&ds);
}

/* Data-parallel training (train/dist.h): each rank keeps every n-th entry. */
static void a_shard_keeps_every_nth_document(void)
{
    Dataset ds = { 0 };
    dataset_set_shard(&ds, 1, 2);
    CHECK(load(&ds, "s.txt", "zero\n\none\n\ntwo\n\nthree\n") == 0);
    CHECK(load(&ds, "s.jsonl", "{\"text\": \"four\"}\n{\"text\": \"five\"}\n") == 0);
    const char *want[] = { "one </s>", "three </s>", "five </s>" };
    CHECK(holds(&ds, want, 3));
    dataset_free(&ds);
}

/* ---- files on disk ------------------------------------------------------ */

/* A file read a block at a time (lines across the 64 KiB blocks, a line
 * longer than a block) loads exactly as the same bytes from memory. */
static void files_load_a_block_at_a_time_as_from_memory(void)
{
    size_t cap = 1u << 20, len = 0;
    char *txt = malloc(cap);
    for (int i = 0; len + 300000 < cap; i++) {
        len += (size_t)snprintf(txt + len, cap - len, "document %d, first line\nsecond line of %d\n\n", i, i);
        if (i == 5000) {                          /* one line of 200,000 bytes */
            for (int k = 0; k < 20000; k++) memcpy(txt + len + 10 * (size_t)k, "long word ", 10);
            len += 200000;
            txt[len++] = '\n';
        }
    }
    const char *names[2] = { "blocks.txt", "blocks.jsonl" };
    char *jsonl = malloc(2 * cap);
    size_t jsonl_len = 0;
    for (int i = 0; jsonl_len + 100 < 2 * cap; i++)
        jsonl_len += (size_t)snprintf(jsonl + jsonl_len, 2 * cap - jsonl_len,
                                      "{\"prompt\": \"question %d\", \"response\": \"answer %d\"}\r\n", i, i);
    const char *contents[2] = { txt, jsonl };
    size_t lens[2] = { len, jsonl_len };
    for (int f = 0; f < 2; f++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", temp_dir, names[f]);
        write_bytes(path, contents[f], lens[f]);
        Dataset from_disk = { 0 }, from_memory = { 0 };
        CHECK(data_load(&from_disk, path) == 0);
        CHECK(data_load_buffer(&from_memory, names[f], contents[f], lens[f]) == 0);
        CHECK(from_disk.count > 10000 && from_disk.count == from_memory.count);
        for (size_t i = 0; i < from_disk.count && i < from_memory.count; i++)
            if (strcmp(from_disk.texts[i], from_memory.texts[i]) != 0) {
                CHECK(!"a text differs");
                break;
            }
        dataset_free(&from_disk);
        dataset_free(&from_memory);
        unlink(path);
    }
    free(txt);
    free(jsonl);
}

static void directories_and_missing_files_are_rejected(void)
{
    char path[128];
    Dataset ds = { 0 };
    snprintf(path, sizeof path, "%s/nope.jsonl", temp_dir);
    CHECK(data_load(&ds, path) == -1 && strstr(last_error(), path) && strstr(last_error(), "cannot open"));
    snprintf(path, sizeof path, "%s/folder.txt", temp_dir);
    mkdir(path, 0700);
    CHECK(data_load(&ds, path) == -1 && strstr(last_error(), path) &&
          strstr(last_error(), "is a directory, not a regular file"));
    rmdir(path);
    CHECK(ds.count == 0 && ds.texts == NULL);
}

/* The point of streaming: a 48 MB .txt costs its texts (48 MB) and a small
 * buffer, not the file in memory beside its texts (96 MB). */
static void a_large_file_does_not_cost_its_size_twice(void)
{
    char path[128], block[4096];
    snprintf(path, sizeof path, "%s/large.txt", temp_dir);
    FILE *fp = fopen(path, "wb");
    for (size_t i = 0; i < sizeof block; i++) block[i] = i % 64 == 63 ? '\n' : "abcdefg "[i % 8];
    size_t size = 48u << 20;
    for (size_t written = 0; fp && written < size; written += sizeof block) fwrite(block, 1, sizeof block, fp);
    if (fp) fclose(fp);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    Dataset ds = { 0 };
    CHECK(data_load(&ds, path) == 0);
    getrusage(RUSAGE_SELF, &after);
    double grew_mb = (double)(after.ru_maxrss - before.ru_maxrss) / 1024.0;   /* ru_maxrss: KiB */
    printf("    48 MB .txt: %zu texts, peak memory grew %.1f MB\n", ds.count, grew_mb);
    CHECK(ds.count == 48);
    CHECK(grew_mb < 48.0 * 1.3);
    dataset_free(&ds);
    unlink(path);
}

/* ---- into training ------------------------------------------------------ */

/* A plain text longer than the context becomes windows that overlap by one
 * token, so that every token after the first is a target exactly once; a
 * prompt/response is cut instead, its answer kept with its prompt. */
static void long_plain_texts_become_windows_and_chats_are_cut(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "w.txt", "a b c d e f g h i j k\n\nUser: x y z ? Assistant: p q r s .\n") == 0);
    Vocab v;
    CHECK(vocab_build(&v, (const char *const *)ds.texts, ds.count) == 0);
    TokenizedSet set;
    CHECK(tokenized_set_build(&set, &v, &ds, 4) == 0);     /* windows of 5 tokens */
    /* "a ... k </s>" is 12 tokens, 11 targets: windows [0,5) [4,9) [8,12) */
    CHECK(set.count == 4 && set.n_cut == 1);
    size_t want_len[4] = { 5, 5, 4, 5 };
    for (size_t i = 0; i < set.count && i < 4; i++)
        CHECK(set.offsets[i + 1] - set.offsets[i] == want_len[i]);
    CHECK(set.ids[4] == set.ids[5] && set.ids[9] == set.ids[10]);      /* the overlap */
    CHECK(strcmp(tokenizer_piece(&v, set.ids[13]), "</s>") == 0);       /* the text's end */
    CHECK(set.answer_start[0] == 0 && set.answer_start[2] == 0);
    tokenized_set_free(&set);
    vocab_free(&v);
    dataset_free(&ds);
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/rustgpt_stream_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        printf("FAIL cannot create a temporary directory\n");
        return 1;
    }
    RUN(a_large_file_does_not_cost_its_size_twice);     /* first: before others raise the peak */
    RUN(txt_documents_are_separated_by_blank_lines);
    RUN(txt_one_long_document_is_cut_into_texts_at_line_ends);
    RUN(txt_long_lines_join_their_document_and_are_cut_between_words);
    RUN(jsonl_loads_texts_pairs_and_conversations);
    RUN(jsonl_errors_name_their_line);
    RUN(jsonl_a_line_over_the_limit_is_refused);
    RUN(invalid_utf8_and_nul_bytes_name_their_line_and_column);
    RUN(empty_files_are_rejected);
    RUN(a_bad_line_late_in_a_file_rolls_back_the_whole_file);
    RUN(a_shard_keeps_every_nth_document);
    RUN(files_load_a_block_at_a_time_as_from_memory);
    RUN(directories_and_missing_files_are_rejected);
    RUN(long_plain_texts_become_windows_and_chats_are_cut);
    rmdir(temp_dir);
    TESTS_DONE();
}
