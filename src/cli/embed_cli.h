/*
 * embed_cli.h — what the embedding commands share (embed, index, search,
 * embed-eval, bench embed): reading one text per line or JSONL, loading a
 * model with a context, embedding many texts in chunks with progress, and
 * the model string an index records.
 */
#ifndef RUSTGPT_EMBED_CLI_H
#define RUSTGPT_EMBED_CLI_H

#include "rustgpt.h"

#include <stddef.h>
#include <stdint.h>

/* Texts read from a file or stdin: one per line ("\r\n" accepted), or,
 * when the first line is a JSON object, JSONL with a string "text" field
 * per line. Every text is valid UTF-8 (else the error names the line). */
typedef struct {
    char **texts;
    int32_t n;
    char *buffer;            /* the file, for plain lines (texts point into it) */
    int jsonl;
} TextList;

/* path "-" or NULL: stdin. Returns 0, or -1 after fail() ("FILE:LINE: ..."). */
int read_texts(const char *path, TextList *out);
void text_list_free(TextList *list);

typedef struct {
    rg_model *model;
    rg_context *ctx;
    rg_model_info info;
    const char *path;
} Embedder;

/* Load path and make one context with n_threads (0: all cores). */
int embedder_open(Embedder *e, const char *path, int n_threads);
void embedder_close(Embedder *e);

/* Embed texts[n] into out [n, n_embd], in chunks, showing progress on a
 * terminal stderr when there are many; opt->n_truncated gets the total. */
int embedder_run(Embedder *e, const char *const *texts, int32_t n, rg_embed_options *opt, float *out);

/* The model string an index records: "PATH\tARCH\tNAME" (PATH absolute
 * when it can be resolved). The caller frees it. */
char *embedder_model_string(const Embedder *e);

/* Parse --pooling NAME, or say why not (usage error). */
int parse_pooling(const char *value, rg_pooling *out);

#endif
