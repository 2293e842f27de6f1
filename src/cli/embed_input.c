/*
 * embed_input.c — the embedding commands' shared pieces (embed_cli.h):
 * input texts, the model and its context, chunked embedding with progress.
 */
#include "cli/embed_cli.h"
#include "core/util.h"
#include "infer/embed.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- input ------------------------------------------------------------------ */

static char *read_stream(FILE *fp, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap, 1);
    while (buf) {
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                fail("out of memory reading the input");
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0) break;
    }
    if (!buf) return NULL;
    if (ferror(fp)) {
        free(buf);
        fail("cannot read the input");
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

void text_list_free(TextList *list)
{
    if (list->jsonl)
        for (int32_t i = 0; i < list->n; i++) free(list->texts[i]);
    free(list->texts);
    free(list->buffer);
    memset(list, 0, sizeof *list);
}

int read_texts(const char *path, TextList *out)
{
    memset(out, 0, sizeof *out);
    const char *name = !path || strcmp(path, "-") == 0 ? "<stdin>" : path;
    size_t len = 0;
    char *buf = name[0] == '<' ? read_stream(stdin, &len) : read_whole_file(path, &len);
    if (!buf) return -1;
    out->buffer = buf;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    if (len && buf[len - 1] != '\n') lines++;
    if (lines > INT32_MAX / 2) return fail("%s: too many lines", name);
    out->texts = xmalloc(lines ? lines : 1, sizeof *out->texts);
    if (!out->texts) return -1;
    size_t first_nonblank = strspn(buf, " \t\r\n");
    out->jsonl = buf[first_nonblank] == '{';
    size_t at = 0;
    for (size_t line = 1; at < len; line++) {
        char *end = memchr(buf + at, '\n', len - at);
        size_t n = end ? (size_t)(end - (buf + at)) : len - at;
        char *text = buf + at;
        at += n + 1;
        if (n && text[n - 1] == '\r') n--;
        text[n] = 0;
        if (strlen(text) != n) return fail("%s:%zu: a NUL byte inside the line", name, line);
        size_t bad = utf8_invalid_at(text, n);
        if (bad < n) return fail("%s:%zu: invalid UTF-8 at byte %zu", name, line, bad + 1);
        if (!out->jsonl) {
            out->texts[out->n++] = text;
            continue;
        }
        if (strspn(text, " \t") == n) continue;                 /* blank JSONL lines */
        cJSON *obj = cJSON_ParseWithLength(text, n);
        cJSON *field = cJSON_GetObjectItemCaseSensitive(obj, "text");
        if (!cJSON_IsObject(obj) || !cJSON_IsString(field)) {
            cJSON_Delete(obj);
            return fail("%s:%zu: expected a JSON object with a string \"text\" field", name, line);
        }
        char *copy = xstrdup(field->valuestring);
        cJSON_Delete(obj);
        if (!copy) return -1;
        out->texts[out->n++] = copy;
    }
    return 0;
}

/* ---- the model ---------------------------------------------------------------- */

int embedder_open(Embedder *e, const char *path, int n_threads)
{
    memset(e, 0, sizeof *e);
    e->path = path;
    if (rg_model_load(path, NULL, &e->model) != RG_OK) return fail("%s", rg_last_error());
    rg_model_get_info(e->model, &e->info);
    rg_context_options copt = { .n_ctx = 0, .n_seq = 1, .n_threads = n_threads };
    if (rg_context_new(e->model, &copt, &e->ctx) != RG_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", rg_last_error());
        rg_model_free(e->model);
        e->model = NULL;
        return fail("%s: %s", path, why);
    }
    return 0;
}

void embedder_close(Embedder *e)
{
    if (e->ctx) rg_context_free(e->ctx);
    if (e->model) rg_model_free(e->model);
    memset(e, 0, sizeof *e);
}

enum { CHUNK_TEXTS = 4096, PROGRESS_MIN = 2000 };

int embedder_run(Embedder *e, const char *const *texts, int32_t n, rg_embed_options *opt, float *out)
{
    int progress = n >= PROGRESS_MIN && isatty(STDERR_FILENO);
    int32_t truncated = 0;
    double start = now_seconds();
    for (int32_t from = 0; from < n; from += CHUNK_TEXTS) {
        int32_t count = n - from < CHUNK_TEXTS ? n - from : CHUNK_TEXTS;
        rg_status st = rg_embed(e->ctx, texts + from, count, opt, out + (size_t)from * e->info.n_embd);
        if (st != RG_OK) {
            if (progress) fputc('\n', stderr);
            /* "text 12: ..." is relative to the chunk: make it the line */
            const char *msg = rg_last_error();
            int index;
            if (sscanf(msg, "text %d", &index) == 1) {
                const char *rest = strchr(msg, ' ');
                rest = rest ? strchr(rest + 1, ' ') : NULL;
                char why[512];
                snprintf(why, sizeof why, "%s", rest ? rest : msg);
                return fail("line %d:%s", from + index + 1, why);
            }
            return fail("%s", msg);
        }
        truncated += opt->n_truncated;
        if (progress) {
            double s = now_seconds() - start;
            fprintf(stderr, "\rembedding: %d/%d texts, %.0f/s", from + count, n, (from + count) / (s > 0 ? s : 1e-9));
        }
    }
    if (progress) fputc('\n', stderr);
    opt->n_truncated = truncated;
    return 0;
}

char *embedder_model_string(const Embedder *e)
{
    char *abs = realpath(e->path, NULL);
    const char *path = abs ? abs : e->path;
    size_t n = strlen(path) + strlen(e->info.arch) + strlen(e->info.name ? e->info.name : "") + 3;
    char *s = xmalloc(n, 1);
    if (s) snprintf(s, n, "%s\t%s\t%s", path, e->info.arch, e->info.name ? e->info.name : "");
    free(abs);
    return s;
}

int parse_pooling(const char *value, rg_pooling *out)
{
    if (embed_pooling_from_name(value, out) != 0) {
        fail("--pooling expects mean, cls, last, max or mean-sqrt, got '%s'", value);
        return -1;
    }
    return 0;
}
