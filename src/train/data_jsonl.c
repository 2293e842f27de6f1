/*
 * data_jsonl.c — training texts from a JSON Lines file (DESIGN.md §4): one
 * JSON value per line, each of the shapes a .json array holds:
 *   {"text": "..."}                                  pretraining
 *   {"prompt": "...", "response": "..."}             instruction tuning
 *   {"messages": [{"role": "user", "content": ...},  a conversation
 *                 {"role": "assistant", ...}, ...]}
 * (a bare "string" is a text too). Blank lines are skipped.
 *
 * The line reader (data_lines.c) hands over one line at a time, checked
 * for NUL bytes and invalid UTF-8, and data_json_line() turns it into a
 * text exactly as an array entry of a .json file is (data_json.c), so
 * memory holds one line and its small cJSON tree, never the file. Every
 * message names the line: "x.jsonl:17: \"text\" is a number; expected a
 * string".
 */
#include "train/data_internal.h"
#include "core/util.h"

int data_load_jsonl(Dataset *ds, LineReader *r)
{
    const char *line;
    size_t len, values = 0;
    int line_ends, got;
    while ((got = lines_next(r, &line, &len, &line_ends)) == 1) {
        if (!line_ends) {
            char limit[32];
            return data_fail_at(&r->at, "line is longer than %s bytes; a .jsonl line holds one entry",
                                with_commas(limit, r->max_piece));
        }
        if (is_blank(line, len)) continue;
        values++;
        if (data_json_line(ds, &r->at, line, len) != 0) return -1;
    }
    if (got < 0) return -1;
    if (values == 0) return data_fail_at(&(Place){ r->at.file, 0, 0 }, "file is empty");
    return 0;
}
