/*
 * data_json.c — training texts from a JSON file (DESIGN.md §4): an array of
 * strings (the original RustGPT files), of {"text"} objects, of
 * {"prompt", "response"} objects or of {"messages"} conversations. data.c
 * has done the common checks (not empty, no NUL byte) and gives the bytes
 * here. The lines of a .jsonl file (data_jsonl.c) are entries of the same
 * shapes and come here one at a time (data_json_line()).
 *
 * cJSON parses the top-level array one entry at a time: each entry becomes
 * a small tree, then a text, and is freed before the next, so memory never
 * holds a tree of the whole file. Before cJSON sees an entry, its raw text
 * is scanned for strings over the size limit (cJSON would copy them whole)
 * and for \u0000 (cJSON would silently cut the string there). Entries are
 * numbered from 1 in messages ("x.json: entry 1" is the array's first
 * element); a syntax error is placed at the line of cJSON's error position.
 */
#include "train/data_internal.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "an invalid value";
}

/* *value = the string field key of object, or NULL when it is absent; a
 * field that is present but not a string is an error. */
static int json_field(const Place *at, const cJSON *object, const char *key, const char **value)
{
    const cJSON *item = NULL;
    *value = NULL;
    for (const cJSON *field = object->child; field; field = field->next) {
        if (!field->string || strcmp(field->string, key) != 0) continue;
        if (item) return data_fail_at(at, "\"%s\" appears twice in the object", key);
        item = field;
    }
    if (!item) return 0;
    if (!cJSON_IsString(item))
        return data_fail_at(at, "\"%s\" is %s; expected a string", key, json_type_name(item));
    *value = item->valuestring;
    return 0;
}

/* s as a message may quote it: its first 40 bytes at most (whole
 * characters), with control characters as '?', since a newline in it
 * would break the one-line message. buf holds 41 bytes. */
static const char *quotable(const char *s, char *buf)
{
    size_t n = utf8_complete_prefix(s, strnlen(s, 40));
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[n] = '\0';
    return buf;
}

/* {"messages": [{"role": "user", "content": ...}, {"role": "assistant",
 * "content": ...}, ...]}: a multi-turn conversation, user and assistant in
 * turn, starting with the user and ending with the assistant. */
enum { MAX_TURNS = 256 };
static int json_messages(Dataset *ds, const Place *at, const cJSON *messages)
{
    if (!cJSON_IsArray(messages))
        return data_fail_at(at, "\"messages\" is %s; expected an array", json_type_name(messages));
    const char *user[MAX_TURNS], *assistant[MAX_TURNS];
    int n = 0, k = 0;
    for (const cJSON *m = messages->child; m; m = m->next, k++) {
        const char *role, *content;
        if (!cJSON_IsObject(m))
            return data_fail_at(at, "message %d is %s; expected {\"role\", \"content\"}", k + 1,
                                json_type_name(m));
        if (json_field(at, m, "role", &role) != 0 || json_field(at, m, "content", &content) != 0) return -1;
        if (!role || !content)
            return data_fail_at(at, "message %d needs \"role\" and \"content\"", k + 1);
        const char *want = k % 2 ? "assistant" : "user";
        char shown[41];
        if (strcmp(role, want) != 0)
            return data_fail_at(at, "message %d: role \"%s\", expected \"%s\" (user and assistant "
                                "take turns, the user first)", k + 1, quotable(role, shown), want);
        if (k / 2 >= MAX_TURNS) return data_fail_at(at, "more than %d exchanges", MAX_TURNS);
        if (k % 2) assistant[n++] = content;
        else user[n] = content;
    }
    if (k == 0) return data_fail_at(at, "\"messages\" is empty");
    if (k % 2) return data_fail_at(at, "message %d (the user's) has no assistant answer after it", k);
    return data_add_turns(ds, at, user, assistant, n);
}

static int json_entry(Dataset *ds, const Place *at, const cJSON *entry)
{
    if (cJSON_IsString(entry))
        return data_add_text(ds, at, entry->valuestring, strlen(entry->valuestring));
    if (!cJSON_IsObject(entry))
        return data_fail_at(at, "expected a string or an object, found %s", json_type_name(entry));
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(entry, "messages");
    if (messages) {
        if (entry->child->next || entry->child != messages)
            return data_fail_at(at, "an object with \"messages\" has nothing else");
        return json_messages(ds, at, messages);
    }
    const char *text, *prompt, *response;
    if (json_field(at, entry, "text", &text) != 0 ||
        json_field(at, entry, "prompt", &prompt) != 0 ||
        json_field(at, entry, "response", &response) != 0)
        return -1;
    if (text && (prompt || response))
        return data_fail_at(at, "object has both \"text\" and \"prompt\"/\"response\"; use one");
    if (text) return data_add_text(ds, at, text, strlen(text));
    if (prompt && response)
        return data_add_pair(ds, at, prompt, strlen(prompt), response, strlen(response));
    if (prompt) return data_fail_at(at, "object has \"prompt\" but no \"response\"");
    if (response) return data_fail_at(at, "object has \"response\" but no \"prompt\"");
    return data_fail_at(at, "object has neither \"text\" nor \"prompt\"/\"response\"");
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The UTF-8 bytes that \uXXXX (code unit cp, -1 if malformed) decodes to;
 * a high surrogate counts the 4 bytes of its pair, the low half none. */
static size_t utf8_bytes_of_escape(long cp)
{
    if (cp < 0x80) return 1;                      /* malformed ones too: cJSON rejects them */
    if (cp < 0x800) return 2;
    if (cp >= 0xD800 && cp <= 0xDBFF) return 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return 0;
    return 3;
}

/* The JSON string literal whose opening quote is at bytes[at]: returns the
 * offset just past its closing quote (len if it has none), sets *decoded to
 * the bytes it decodes to in UTF-8 and *has_nul when it holds \u0000. The
 * count is exact for well-formed strings (a \uD800-\uDBFF high surrogate
 * counts the 4 bytes of its pair, the low half 0); cJSON rejects the rest. */
static size_t json_string_extent(const char *bytes, size_t len, size_t at,
                                 size_t *decoded, int *has_nul)
{
    size_t i = at + 1, n = 0;
    *has_nul = 0;
    while (i < len && bytes[i] != '"') {
        if (bytes[i] != '\\') { n++; i++; continue; }
        if (i + 1 < len && bytes[i + 1] == 'u' && i + 5 < len) {
            long cp = 0;
            for (int k = 2; k < 6 && cp >= 0; k++) {
                int digit = hex_digit(bytes[i + k]);
                cp = digit < 0 ? -1 : cp * 16 + digit;
            }
            if (cp == 0) *has_nul = 1;
            n += utf8_bytes_of_escape(cp);
            i += 6;
        } else {
            n++;
            i += 2;
        }
    }
    *decoded = n;
    return i < len ? i + 1 : len;
}

/* Look over the raw text of the JSON value at bytes[pos] before cJSON parses
 * it. cJSON allocates every string whole, so without this a file holding
 * one 1 GB string would cost another gigabyte just to be told it is too
 * long; and cJSON would silently cut a string at a \u0000. This scan stops
 * at the end of the value (or of the file when the value is malformed, and
 * then cJSON reports the syntax error), so the whole load stays linear. */
static int json_check_value(const Place *at, const char *bytes, size_t len, size_t pos)
{
    size_t depth = 0;
    for (size_t i = pos; i < len;) {
        char c = bytes[i];
        if (c == '"') {
            size_t decoded;
            int has_nul;
            i = json_string_extent(bytes, len, i, &decoded, &has_nul);
            if (decoded > DATA_MAX_TEXT_BYTES) return data_fail_size(at, decoded);
            if (has_nul)
                return data_fail_at(at, "a string holds \\u0000 (a NUL character); "
                                        "data files must be text");
        } else if (c == '[' || c == '{') {
            depth++;
            i++;
            continue;
        } else if (c == ']' || c == '}') {
            if (depth == 0) return 0;
            depth--;
            i++;
        } else if (depth == 0 && (c == ',' || is_space(c))) {
            return 0;
        } else {
            i++;
            continue;
        }
        if (depth == 0) return 0;
    }
    return 0;
}

/* "x.json:3: invalid JSON near column 7" for a syntax error at offset; a
 * comma followed (past whitespace) by ] or }, which cJSON reports at the
 * bracket, possibly lines later, is "x.json:2: trailing comma at column 9",
 * at the comma. bytes[0] is on line first_line of the file. */
static int fail_json_syntax(const char *name, size_t first_line, const char *bytes, size_t len,
                            size_t offset)
{
    first_line--;                 /* line_at() counts from 1 */
    if (offset > len) offset = len;
    /* cJSON stops at the bracket, or one past it inside an object */
    for (size_t bracket = offset; bracket + 2 > offset && bracket < len; bracket--) {
        if (bytes[bracket] != ']' && bytes[bracket] != '}') continue;
        size_t before = bracket;
        while (before > 0 && strchr(" \t\r\n", bytes[before - 1])) before--;
        if (before == 0 || bytes[before - 1] != ',') continue;
        size_t comma = before - 1, comma_line = comma;
        while (comma_line > 0 && bytes[comma_line - 1] != '\n') comma_line--;
        Place at = { name, first_line + line_at(bytes, comma), 0 };
        return data_fail_at(&at, "trailing comma at column %zu", comma - comma_line + 1);
    }
    size_t line_start = offset;
    while (line_start > 0 && bytes[line_start - 1] != '\n') line_start--;
    Place at = { name, first_line + line_at(bytes, offset), 0 };
    return data_fail_at(&at, "invalid JSON near column %zu", offset - line_start + 1);
}

/* Parse the one JSON value at bytes[pos] with cJSON; *end gets the offset
 * just past it. NULL after fail() on a syntax error (bytes[0] is on line
 * first_line). */
static cJSON *json_parse_at(const char *name, size_t first_line, const char *bytes, size_t len,
                            size_t pos, size_t *end)
{
    const char *stop = NULL;
    cJSON *value = cJSON_ParseWithLengthOpts(bytes + pos, len - pos, &stop, 0);
    size_t offset = stop && stop >= bytes && stop <= bytes + len ? (size_t)(stop - bytes) : len;
    if (!value) {
        fail_json_syntax(name, first_line, bytes, len, offset);
        return NULL;
    }
    *end = offset;
    return value;
}

/* A file that does not hold an array: parse it whole, for the message. */
static int json_not_an_array(const char *name, const char *bytes, size_t len, size_t pos)
{
    Place top = { name, line_at(bytes, pos), 0 };
    if (json_check_value(&top, bytes, len, pos) != 0) return -1;
    size_t end;
    cJSON *root = json_parse_at(name, 1, bytes, len, pos, &end);
    if (!root) return -1;
    size_t after = skip_spaces(bytes, len, end);
    int rc;
    if (after < len) {
        top.line = line_at(bytes, after);
        rc = data_fail_at(&top, "unexpected text after the JSON value");
    } else {
        rc = data_fail_at(&top, "expected a JSON array of strings or objects, found %s",
                          json_type_name(root));
    }
    cJSON_Delete(root);
    return rc;
}

/* The top-level array is read one entry at a time: each entry is checked
 * (json_check_value), parsed by cJSON into a small tree, turned into a text
 * and freed before the next. So memory holds the file and the texts, never
 * a tree of the whole file (which costs about twice the file again), and
 * entries are reported in file order. */
int data_load_json(Dataset *ds, const char *name, const char *bytes, size_t len)
{
    size_t pos = skip_spaces(bytes, len, 0);
    if (pos >= len) return data_fail_at(&(Place){ name, 0, 0 }, "file is empty");
    if (bytes[pos] != '[') return json_not_an_array(name, bytes, len, pos);
    Place top = { name, line_at(bytes, pos), 0 };
    pos = skip_spaces(bytes, len, pos + 1);
    if (pos < len && bytes[pos] == ']') {
        size_t after = skip_spaces(bytes, len, pos + 1);
        if (after < len) {
            top.line = line_at(bytes, after);
            return data_fail_at(&top, "unexpected text after the JSON value");
        }
        return data_fail_at(&top, "the array is empty; expected strings or objects to train on");
    }
    Place at = { name, 0, 0 };
    while (pos < len) {
        at.entry++;
        if (json_check_value(&at, bytes, len, pos) != 0) return -1;
        size_t end;
        cJSON *entry = json_parse_at(name, 1, bytes, len, pos, &end);
        if (!entry) return -1;
        int rc = json_entry(ds, &at, entry);
        cJSON_Delete(entry);
        if (rc != 0) return rc;
        pos = skip_spaces(bytes, len, end);
        if (pos >= len || bytes[pos] == ']') break;
        if (bytes[pos] != ',') return fail_json_syntax(name, 1, bytes, len, pos);   /* neither , nor ] */
        pos = skip_spaces(bytes, len, pos + 1);
    }
    if (pos >= len) {
        Place last = { name, line_at(bytes, len), 0 };
        return data_fail_at(&last, "the array is never closed: expected ']' at the end of the file");
    }
    size_t after = skip_spaces(bytes, len, pos + 1);
    if (after < len) {
        top.line = line_at(bytes, after);
        return data_fail_at(&top, "unexpected text after the JSON value");
    }
    return 0;
}

/* A .jsonl line: the same checks and entry shapes as an array entry above,
 * one value per line, with nothing after it. */
int data_json_line(Dataset *ds, const Place *at, const char *line, size_t len)
{
    size_t pos = skip_spaces(line, len, 0), end;
    if (json_check_value(at, line, len, pos) != 0) return -1;
    cJSON *entry = json_parse_at(at->file, at->line, line, len, pos, &end);
    if (!entry) return -1;
    size_t after = skip_spaces(line, len, end);
    int rc = after < len ? data_fail_at(at, "unexpected text after the JSON value at column %zu; "
                                            "a .jsonl line holds one value", after + 1)
                         : json_entry(ds, at, entry);
    cJSON_Delete(entry);
    return rc;
}
