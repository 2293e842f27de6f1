/*
 * test_data.c — loading training data (src/train/data.c). Every accepted shape of
 * JSON and CSV loads into the expected texts, each ending in exactly one
 * "</s>"; every kind of bad file is rejected with a one-line message naming
 * the file and the place, and leaves the dataset exactly as it was. Most
 * cases go through data_load_buffer(); the ones about real files (missing,
 * a directory, reading from disk) write fixtures into a mkdtemp() directory.
 */
#include "train/data.h"
#include "test.h"
#include "data_fixture.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------- */

static char temp_dir[64];

static void write_file(const char *path, const char *content)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    fputs(content, fp);
    fclose(fp);
}

/* ---- accepted shapes --------------------------------------------------- */

static void json_array_of_strings_loads_like_the_original_files(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "pre.json",
               "[\"The sun rises in the east. </s>\",\n"
               " \"User: How do mountains form? Assistant: Slowly. </s>\"]") == 0);
    const char *want[] = { "The sun rises in the east. </s>",
                           "User: How do mountains form? Assistant: Slowly. </s>" };
    CHECK(holds(&ds, want, 2));
    dataset_free(&ds);
}

static void json_text_objects_load(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "t.json", "[{\"text\": \"Water is wet.\", \"source\": 7}, {\"text\": \"Ice\\nis cold.\"}]") == 0);
    const char *want[] = { "Water is wet. </s>", "Ice\nis cold. </s>" };
    CHECK(holds(&ds, want, 2));
    dataset_free(&ds);
}

static void json_prompt_response_objects_render_as_user_and_assistant(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "chat.json",
               "[{\"prompt\": \"How do birds fly?\", \"response\": \"With wings.\"},\n"
               " {\"response\": \" Done. </s>\", \"prompt\": \"  Finish \"}]") == 0);
    const char *want[] = { "User: How do birds fly? Assistant: With wings. </s>",
                           "User: Finish Assistant: Done. </s>" };
    CHECK(holds(&ds, want, 2));
    dataset_free(&ds);
}

static void json_may_mix_strings_and_objects_and_start_with_a_bom(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "MIXED.JSON", "\xEF\xBB\xBF[\"one\", {\"text\": \"two\"}, "
                                  "{\"prompt\": \"p\", \"response\": \"r\"}]") == 0);
    const char *want[] = { "one </s>", "two </s>", "User: p Assistant: r </s>" };
    CHECK(holds(&ds, want, 3));
    dataset_free(&ds);
}

static void csv_text_column_handles_quoted_commas_quotes_and_newlines(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "t.csv",
               "id,text\n"
               "1,\"Hello, \"\"world\"\"\nsecond line\"\n"
               "\n"
               "2,  plain text  \n"
               "3,\"café, naïve\"") == 0);
    const char *want[] = { "Hello, \"world\"\nsecond line </s>", "plain text </s>",
                           "café, naïve </s>" };
    CHECK(holds(&ds, want, 3));
    dataset_free(&ds);
}

static void csv_prompt_response_header_is_trimmed_and_case_insensitive(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "chat.csv",
               " Prompt ,\" RESPONSE\",notes\r\n"
               "\"How, exactly?\",\"Like \"\"this\"\".\",x\r\n"
               "Why?,Because. </s>,y\r\n") == 0);
    const char *want[] = { "User: How, exactly? Assistant: Like \"this\". </s>",
                           "User: Why? Assistant: Because. </s>" };
    CHECK(holds(&ds, want, 2));
    dataset_free(&ds);
}

static void eos_is_appended_exactly_once(void)
{
    Dataset ds = { 0 };
    CHECK(dataset_add(&ds, "a </s>", 6) == 0);
    CHECK(dataset_add(&ds, "done.</s>", 9) == 0);
    CHECK(dataset_add(&ds, "  spaced out \n", 14) == 0);
    CHECK(dataset_add(&ds, "ends </s>  \n", 12) == 0);
    CHECK(dataset_add(&ds, "only the first five", 4) == 0);
    CHECK(dataset_add(&ds, "</s> in front", 13) == 0);
    const char *want[] = { "a </s>", "done.</s>", "spaced out </s>", "ends </s>",
                           "only </s>", "</s> in front </s>" };
    CHECK(holds(&ds, want, 6));
    dataset_free(&ds);
}

static void loading_appends_to_what_the_dataset_holds(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "a.json", "[\"first\"]") == 0);
    CHECK(load(&ds, "b.csv", "text\nsecond\nthird\n") == 0);
    const char *want[] = { "first </s>", "second </s>", "third </s>" };
    CHECK(holds(&ds, want, 3));
    dataset_free(&ds);
}

static void many_entries_load_with_geometric_growth(void)
{
    enum { N = 50000 };
    size_t cap = (size_t)N * 16 + 16, len = 0;
    char *json = malloc(cap);
    len += (size_t)snprintf(json + len, cap - len, "[");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(json + len, cap - len, "%s\"w%d\"", i ? "," : "", i);
    snprintf(json + len, cap - len, "]");
    Dataset ds = { 0 };
    CHECK(load(&ds, "big.json", json) == 0);
    CHECK(ds.count == N && ds.capacity >= N && ds.capacity < 4 * (size_t)N);
    CHECK(ds.count == N && strcmp(ds.texts[N - 1], "w49999 </s>") == 0);
    dataset_free(&ds);
    free(json);
}

static void data_load_reads_a_file_from_disk(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/disk.json", temp_dir);
    write_file(path, "[\"from disk\"]\n");
    Dataset ds = { 0 };
    CHECK(data_load(&ds, path) == 0);
    const char *want[] = { "from disk </s>" };
    CHECK(holds(&ds, want, 1));
    dataset_free(&ds);
}

/* ---- rejected files ---------------------------------------------------- */

static void missing_files_and_directories_are_rejected(void)
{
    char path[128];
    Dataset ds = { 0 };
    snprintf(path, sizeof path, "%s/nope.json", temp_dir);
    CHECK(data_load(&ds, path) == -1 && strstr(last_error(), path) && strstr(last_error(), "cannot open"));
    snprintf(path, sizeof path, "%s/folder.csv", temp_dir);
    mkdir(path, 0700);
    CHECK(data_load(&ds, path) == -1 && strstr(last_error(), path) && strstr(last_error(), "not a regular file"));
    rmdir(path);
    CHECK(ds.count == 0 && ds.texts == NULL);
}

static void unknown_extensions_are_rejected(void)
{
    CHECK(rejects("data.md", "[\"x\"]", "data.md: ", "unknown data format; use .json, .jsonl, .csv or .txt"));
    CHECK(rejects("json", "[\"x\"]", "json: ", "unknown data format"));
    Dataset ds = { 0 };
    CHECK(data_load(&ds, "no/such/dir/data.md") == -1 && strstr(last_error(), "unknown data format"));
}

static void empty_files_are_rejected(void)
{
    CHECK(rejects("e.json", "", "e.json: ", "file is empty"));
    CHECK(rejects("e.csv", " \n\t\r\n", "e.csv: ", "file is empty"));
    CHECK(rejects("e.json", "\xEF\xBB\xBF\n", "e.json: ", "file is empty"));
}

static void nul_bytes_are_rejected_with_their_line(void)
{
    static const char json[] = "[\"a\",\n\"b\0c\"]", csv[] = "text\na\nb\0\n";
    CHECK(rejects_bytes("n.json", json, sizeof json - 1, "n.json:2: ", "NUL byte"));
    CHECK(rejects_bytes("n.csv", csv, sizeof csv - 1, "n.csv:3: ", "NUL byte"));
}

static void json_syntax_errors_name_their_line(void)
{
    CHECK(rejects("bad.json", "[\"a\",\n \"b\",\n \"c\" \"d\"]", "bad.json:3: ", "invalid JSON"));
    CHECK(rejects("bad.json", "[\"a\",\n\"unterminated]", "bad.json:2: ", "invalid JSON"));
    CHECK(rejects("bad.json", "[\"a\"]\n\n]", "bad.json:3: ", "unexpected text after"));
}

static void json_shapes_other_than_an_array_are_rejected(void)
{
    CHECK(rejects("o.json", "\n{\"text\": \"a\"}", "o.json:2: ",
                  "expected a JSON array of strings or objects, found an object"));
    CHECK(rejects("s.json", "\"just a string\"", "s.json:1: ", "found a string"));
    CHECK(rejects("a.json", " [ ] ", "a.json:1: ", "the array is empty"));
}

static void json_entries_of_the_wrong_type_are_rejected_by_index(void)
{
    CHECK(rejects("w.json", "[\"a\", \"b\", 3]", "w.json: entry 3: ",
                  "expected a string or an object, found a number"));
    CHECK(rejects("w.json", "[null]", "w.json: entry 1: ", "found null"));
    CHECK(rejects("w.json", "[\"a\", [\"b\"]]", "w.json: entry 2: ", "found an array"));
    CHECK(rejects("w.json", "[true]", "w.json: entry 1: ", "found a boolean"));
}

static void json_objects_without_usable_fields_are_rejected(void)
{
    CHECK(rejects("f.json", "[\"a\", \"b\", \"c\", {\"txt\": \"d\"}]", "f.json: entry 4: ",
                  "object has neither \"text\" nor \"prompt\"/\"response\""));
    CHECK(rejects("f.json", "[{\"prompt\": \"p\"}]", "f.json: entry 1: ", "no \"response\""));
    CHECK(rejects("f.json", "[{\"response\": \"r\"}]", "f.json: entry 1: ", "no \"prompt\""));
    CHECK(rejects("f.json", "[{\"text\": 5}]", "f.json: entry 1: ", "\"text\" is a number; expected a string"));
    CHECK(rejects("f.json", "[{\"prompt\": \"p\", \"response\": null}]", "f.json: entry 1: ",
                  "\"response\" is null"));
    CHECK(rejects("f.json", "[{\"text\": \"t\", \"prompt\": \"p\", \"response\": \"r\"}]",
                  "f.json: entry 1: ", "both"));
}

static void empty_texts_are_rejected(void)
{
    CHECK(rejects("e.json", "[\"a\", \" \\n \"]", "e.json: entry 2: ", "text is empty"));
    CHECK(rejects("e.json", "[{\"prompt\": \"\", \"response\": \"r\"}]", "e.json: entry 1: ", "prompt is empty"));
    CHECK(rejects("e.csv", "text\na\n\"  \"\n", "e.csv:3: ", "text is empty"));
    CHECK(rejects("e.csv", "prompt,response\np,\n", "e.csv:2: ", "response is empty"));
}

static void invalid_utf8_is_rejected_with_its_place(void)
{
    CHECK(rejects("u.json", "[\"ok\", \"ab\xff\"]", "u.json: entry 2: ", "invalid UTF-8 in text at byte offset 2"));
    CHECK(rejects("u.json", "[\"\xC0\xAF\"]", "u.json: entry 1: ", "invalid UTF-8"));        /* overlong */
    CHECK(rejects("u.json", "[\"a\xED\xA0\x80\"]", "u.json: entry 1: ", "byte offset 1")); /* surrogate */
    CHECK(rejects("u.json", "[\"\xF4\x90\x80\x80\"]", "u.json: entry 1: ", "invalid UTF-8")); /* > U+10FFFF */
    CHECK(rejects("u.json", "[\"cut \xE6\x97\"]", "u.json: entry 1: ", "byte offset 4"));  /* truncated */
    CHECK(rejects("u.json", "[{\"prompt\": \"p\", \"response\": \"\x80\"}]", "u.json: entry 1: ",
                  "invalid UTF-8 in response"));
    CHECK(rejects("u.csv", "text\nfine\n\"multi\nline \xfe\"\n", "u.csv:3: ", "invalid UTF-8 in text"));
}

static void oversize_texts_are_rejected_with_both_sizes(void)
{
    size_t n = 2000000;
    char *json = malloc(n + 8);
    memcpy(json, "[\"", 2);
    memset(json + 2, 'a', n);
    memcpy(json + 2 + n, "\"]", 3);
    CHECK(rejects("big.json", json, "big.json: entry 1: ",
                  "text is 2,000,000 bytes; the limit is 1,048,576"));
    memcpy(json, "text\n", 5);                 /* the same bytes as a CSV row */
    memset(json + 5, 'a', n - 3);
    memcpy(json + 2 + n, "\n", 2);
    CHECK(rejects("big.csv", json, "big.csv:2: ", "the limit is 1,048,576"));
    free(json);
}

static void csv_without_the_needed_columns_is_rejected(void)
{
    CHECK(rejects("c.csv", "id,body\n1,hello\n", "c.csv:1: ",
                  "header has no `text` column, nor `prompt` and `response`"));
    CHECK(rejects("c.csv", "prompt,answer\np,a\n", "c.csv:1: ", "header has no `text`"));
    CHECK(rejects("c.csv", "text,Text\na,b\n", "c.csv:1: ", "`text` twice"));
    CHECK(rejects("c.csv", "text,prompt,response\na,b,c\n", "c.csv:1: ", "both"));
    CHECK(rejects("c.csv", "text\n", "c.csv: ", "no rows after the header"));
}

static void csv_ragged_rows_are_rejected_at_the_line_they_start(void)
{
    /* Line 2's record runs over lines 2-3, so the ragged row is on line 4. */
    CHECK(rejects("x.csv", "a,text\n1,\"two\nlines\"\n1,2,3\n", "x.csv:4: ", "row has 3 fields, header has 2"));
    CHECK(rejects("x.csv", "a,text\n\n\nonly\n", "x.csv:4: ", "row has 1 field, header has 2"));
    CHECK(rejects("x.csv", "a,text\n1,\"spans\nthree\nlines\",3\n", "x.csv:2: ", "row has 3 fields"));
}

static void csv_quote_errors_are_rejected_with_their_line(void)
{
    CHECK(rejects("q.csv", "text\nfine\n\"never\nclosed\n", "q.csv:3: ", "quoted field is never closed"));
    CHECK(rejects("q.csv", "text\nfine\n\n  \"never closed", "q.csv:4: ", "never closed"));
    CHECK(rejects("q.csv", "text\nfine\nbad \"quote\" here\n", "q.csv:3: ", "misplaced quote"));
    CHECK(rejects("q.csv", "text\n\"closed\" then more\n", "q.csv:2: ", "misplaced quote"));
}

static void a_bad_entry_late_in_a_file_rolls_back_the_whole_file(void)
{
    Dataset ds = { 0 };
    CHECK(load(&ds, "good.json", "[\"one\", \"two\"]") == 0);
    CHECK(load(&ds, "bad.csv", "text\nthree\nfour\n\"\"\n") == -1);
    CHECK(strstr(last_error(), "bad.csv:4: text is empty") != NULL);
    const char *want[] = { "one </s>", "two </s>" };
    CHECK(holds(&ds, want, 2));
    dataset_free(&ds);
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/rustgpt-test-data.XXXXXX");
    if (!mkdtemp(temp_dir)) {
        printf("FAIL cannot create a temporary directory\n");
        return 1;
    }
    RUN(json_array_of_strings_loads_like_the_original_files);
    RUN(json_text_objects_load);
    RUN(json_prompt_response_objects_render_as_user_and_assistant);
    RUN(json_may_mix_strings_and_objects_and_start_with_a_bom);
    RUN(csv_text_column_handles_quoted_commas_quotes_and_newlines);
    RUN(csv_prompt_response_header_is_trimmed_and_case_insensitive);
    RUN(eos_is_appended_exactly_once);
    RUN(loading_appends_to_what_the_dataset_holds);
    RUN(many_entries_load_with_geometric_growth);
    RUN(data_load_reads_a_file_from_disk);
    RUN(missing_files_and_directories_are_rejected);
    RUN(unknown_extensions_are_rejected);
    RUN(empty_files_are_rejected);
    RUN(nul_bytes_are_rejected_with_their_line);
    RUN(json_syntax_errors_name_their_line);
    RUN(json_shapes_other_than_an_array_are_rejected);
    RUN(json_entries_of_the_wrong_type_are_rejected_by_index);
    RUN(json_objects_without_usable_fields_are_rejected);
    RUN(empty_texts_are_rejected);
    RUN(invalid_utf8_is_rejected_with_its_place);
    RUN(oversize_texts_are_rejected_with_both_sizes);
    RUN(csv_without_the_needed_columns_is_rejected);
    RUN(csv_ragged_rows_are_rejected_at_the_line_they_start);
    RUN(csv_quote_errors_are_rejected_with_their_line);
    RUN(a_bad_entry_late_in_a_file_rolls_back_the_whole_file);

    char path[128];
    snprintf(path, sizeof path, "%s/disk.json", temp_dir);
    unlink(path);
    rmdir(temp_dir);
    TESTS_DONE();
}
