/*
 * config.c — the server's settings from a config file, the environment and
 * the command line, all through serve_config_set (server.h).
 */
#include "serve/server.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void serve_config_init(serve_config *c)
{
    memset(c, 0, sizeof *c);
    c->host = xstrdup("127.0.0.1");
    c->port = 8080;
    c->parallel = 4;
    c->threads = 4;
    c->queue = 64;
    c->max_body = 1 << 20;
    c->max_tokens = 4096;
    c->timeout = 30;
    c->grace = 5;
}

void serve_config_free(serve_config *c)
{
    for (int i = 0; i < c->n_models; i++) free(c->models[i]);
    for (int i = 0; i < c->n_keys; i++) free(c->api_keys[i]);
    free(c->models_dir);
    free(c->host);
    free(c->cors);
    memset(c, 0, sizeof *c);
}

static int parse_long(const char *key, const char *value, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max)
        return fail("%s: '%s' is not a whole number in [%ld, %ld]", key, value, min, max);
    *out = v;
    return 0;
}

static int set_string(char **slot, const char *value)
{
    char *copy = xstrdup(value);
    if (!copy) return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/* Append to a list, replacing it when a higher source sets it first. */
static int add_to_list(char **list, int *n, int *list_source_field, int max, const char *key,
                       const char *value, serve_source source)
{
    int *list_source = list_source_field;
    if ((int)source < *list_source) return 0;            /* a higher source already set it */
    if ((int)source > *list_source) {
        for (int i = 0; i < *n; i++) free(list[i]);
        *n = 0;
        *list_source = (int)source;
    }
    if (*n == max) return fail("%s: more than %d values", key, max);
    if (!(list[*n] = xstrdup(value))) return -1;
    (*n)++;
    return 0;
}

/* Read API keys, one per line (blank lines and # comments skipped). */
static int load_keys_file(serve_config *c, const char *path, serve_source source)
{
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return -1;
    int status = 0;
    for (char *line = strtok(text, "\r\n"); line && status == 0; line = strtok(NULL, "\r\n")) {
        while (isspace((unsigned char)*line)) line++;
        char *end = line + strlen(line);
        while (end > line && isspace((unsigned char)end[-1])) *--end = 0;
        if (*line && *line != '#')
            status = add_to_list(c->api_keys, &c->n_keys, &c->keys_source, SERVE_MAX_KEYS, "api_keys",
                                 line, source);
    }
    free(text);
    if (status == 0 && c->n_keys == 0) return fail("%s: no API key in the file", path);
    return status;
}

int serve_config_set(serve_config *c, const char *key, const char *value, serve_source source)
{
    long v;
    if (strcmp(key, "model") == 0)
        return add_to_list(c->models, &c->n_models, &c->models_source, SERVE_MAX_MODELS, key, value, source);
    if (strcmp(key, "api_key") == 0)
        return add_to_list(c->api_keys, &c->n_keys, &c->keys_source, SERVE_MAX_KEYS, key, value, source);
    if (strcmp(key, "api_keys") == 0) return load_keys_file(c, value, source);
    if (strcmp(key, "models_dir") == 0) return set_string(&c->models_dir, value);
    if (strcmp(key, "host") == 0) return set_string(&c->host, value);
    if (strcmp(key, "cors") == 0) return set_string(&c->cors, value);
    struct { const char *name; int *field; long min, max; } ints[] = {
        { "port", &c->port, 0, 65535 },          { "parallel", &c->parallel, 1, 256 },
        { "ctx", &c->ctx, 0, 1 << 20 },          { "threads", &c->threads, 1, 256 },
        { "queue", &c->queue, 0, 100000 },       { "rate_limit", &c->rate_limit, 0, 1000000 },
        { "max_prompt_tokens", &c->max_prompt_tokens, 0, 1 << 24 },
        { "max_tokens", &c->max_tokens, 1, 1 << 24 },
        { "timeout", &c->timeout, 1, 3600 },     { "quiet", &c->quiet, 0, 1 },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i].name) != 0) continue;
        if (parse_long(key, value, ints[i].min, ints[i].max, &v) != 0) return -1;
        *ints[i].field = (int)v;
        return 0;
    }
    if (strcmp(key, "max_body") == 0) {
        if (parse_long(key, value, 1, 1L << 30, &v) != 0) return -1;
        c->max_body = (size_t)v;
        return 0;
    }
    if (strcmp(key, "memory_budget") == 0) {          /* megabytes, or a K/M/G suffix */
        char *end;
        errno = 0;
        double amount = strtod(value, &end);
        double unit = *end == 'K' || *end == 'k' ? 1024.0 : *end == 'G' || *end == 'g' ? 1024.0 * 1024 * 1024
                    : 1024.0 * 1024;
        if (*end && strchr("KkMmGg", *end)) end++;
        if (errno || end == value || *end || !(amount >= 0) || amount * unit > 1e15)
            return fail("memory_budget: '%s' is not a size (MB, or with a K, M or G suffix)", value);
        c->memory_budget = (uint64_t)(amount * unit);
        return 0;
    }
    if (strcmp(key, "grace") == 0) {
        char *end;
        double g = strtod(value, &end);
        if (end == value || *end || !(g >= 0 && g <= 3600)) return fail("grace: '%s' is not seconds in [0, 3600]", value);
        c->grace = g;
        return 0;
    }
    return fail("unknown setting '%s'", key);
}

/* One JSON value as the text serve_config_set takes. */
static int set_json_value(serve_config *c, const char *key, const cJSON *item)
{
    char number[64];
    if (cJSON_IsString(item)) return serve_config_set(c, key, item->valuestring, SOURCE_FILE);
    if (cJSON_IsBool(item)) return serve_config_set(c, key, cJSON_IsTrue(item) ? "1" : "0", SOURCE_FILE);
    if (cJSON_IsNumber(item)) {
        if (item->valuedouble == (double)(long)item->valuedouble) snprintf(number, sizeof number, "%ld", (long)item->valuedouble);
        else snprintf(number, sizeof number, "%g", item->valuedouble);
        return serve_config_set(c, key, number, SOURCE_FILE);
    }
    if (cJSON_IsArray(item) && (strcmp(key, "model") == 0 || strcmp(key, "api_key") == 0)) {
        const cJSON *each;
        cJSON_ArrayForEach(each, item) if (set_json_value(c, key, each) != 0) return -1;
        return 0;
    }
    return fail("config: '%s' has a value of the wrong type", key);
}

int serve_config_load_file(serve_config *c, const char *path)
{
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail("%s: not a JSON object", path);
    }
    int status = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        if (set_json_value(c, item->string, item) != 0) {
            status = fail("%s: %s", path, last_error());
            break;
        }
    }
    cJSON_Delete(root);
    return status;
}

int serve_config_load_env(serve_config *c)
{
    static const char *const keys[] = {
        "model", "models_dir", "host", "port", "parallel", "ctx", "threads", "queue", "api_key",
        "api_keys", "rate_limit", "max_body", "max_prompt_tokens", "max_tokens", "timeout",
        "memory_budget", "cors", "grace", "quiet",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char name[64] = "RUSTGPT_";
        for (size_t k = 0; keys[i][k] && k + 9 < sizeof name; k++)
            name[8 + k] = (char)toupper((unsigned char)keys[i][k]);
        const char *value = getenv(name);
        if (value && *value && serve_config_set(c, keys[i], value, SOURCE_ENV) != 0)
            return fail("%s: %s", name, last_error());
    }
    return 0;
}
