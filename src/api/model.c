/*
 * model.c — models and contexts of rustgpt.h.
 *
 * Loading is the one-way flow of DESIGN.md §7: the file's first bytes pick a
 * registered format (its extension when they say nothing), the format fills
 * an rg_source, the architecture named by general.architecture builds the
 * read-only model from it, and the tokenizer named by tokenizer.ggml.model
 * (or the caller's override) is made from the same source. The model keeps
 * the source, so saving writes it back through the format of the new path.
 * A context is the architecture's per-user state.
 */
#include "api/handles.h"
#include "core/registry.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The model's tokenizer: the caller's override, else the one its metadata
 * names, made from the metadata. */
static rg_status model_tokenizer(rg_model *m, const char *path, const rg_model_options *opt)
{
    if (opt && opt->tokenizer) return rg_tokenizer_load(opt->tokenizer, &m->tokenizer);
    return tokenizer_from_source(m->src, path, &m->tokenizer);
}

/* The format that reads path: by its first bytes, else by its extension. */
static rg_status format_for(const char *path, const rg_format_vtable **out)
{
    struct stat st;
    if (stat(path, &st) != 0) return fail_status(RG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        *out = registry_format_for(path, NULL, 0);     /* a checkpoint directory, if a format claims it */
        return *out ? RG_OK : fail_status(RG_ERR_UNSUPPORTED, "%s: is a directory, not a regular file "
                                          "(and no registered format reads directories)", path);
    }
    if (!S_ISREG(st.st_mode))                          /* a FIFO would block fopen */
        return fail_status(RG_ERR_IO, "%s: %snot a regular file", path,
                           S_ISFIFO(st.st_mode) ? "is a pipe (FIFO), " : S_ISCHR(st.st_mode) ? "is a character device, " : "");
    FILE *fp = fopen(path, "rb");
    if (!fp) return fail_status(RG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char head[64];
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    *out = registry_format_for(path, head, n);
    if (!*out) *out = registry_format_for_extension(path);
    if (!*out) return fail_status(RG_ERR_FORMAT, "%s: unknown model format (no registered format reads it)", path);
    return RG_OK;
}

rg_status rg_model_load(const char *path, const rg_model_options *opt, rg_model **out)
{
    *out = NULL;
    rg_model *m = calloc(1, sizeof *m);
    if (!m) return fail_status(RG_ERR_NOMEM, "out of memory loading %s", path);
    rg_status st = format_for(path, &m->format);
    if (st == RG_OK) st = m->format->load(path, opt, &m->src);
    const char *arch = NULL;
    if (st == RG_OK && rg_source_string(m->src, "general.architecture", &arch, NULL) != RG_OK)
        st = fail_status(RG_ERR_FORMAT, "%s: the model names no architecture (general.architecture)", path);
    if (st == RG_OK && !(m->arch = registry_arch(arch)))
        st = fail_status(RG_ERR_UNSUPPORTED, "%s: architecture \"%s\" is not registered", path, arch);
    if (st == RG_OK && (st = m->arch->create(m->src, &m->state, &m->info)) != RG_OK) {
        char message[512];
        snprintf(message, sizeof message, "%s", last_error());
        fail_status(st, "%s: %s", path, message);
        m->arch = NULL;
    }
    if (st == RG_OK) st = model_tokenizer(m, path, opt);
    if (st == RG_OK) {
        const char *name = NULL, *slash = strrchr(path, '/');
        if (rg_source_string(m->src, "general.name", &name, NULL) != RG_OK) name = slash ? slash + 1 : path;
        if (!(m->name = strdup(name))) st = fail_status(RG_ERR_NOMEM, "out of memory loading %s", path);
    }
    if (st != RG_OK) {
        rg_model_free(m);
        return st;
    }
    m->info.arch = m->arch->name;
    m->info.format = m->format->name;
    m->info.name = m->name;
    const char *tmpl;
    m->info.chat_template = rg_source_string(m->src, "tokenizer.chat_template", &tmpl, NULL) == RG_OK ? tmpl : NULL;
    *out = m;
    return RG_OK;
}

rg_status rg_model_save(const rg_model *m, const char *path)
{
    const rg_format_vtable *format = registry_format_for_extension(path);
    if (!format)
        return fail_status(RG_ERR_UNSUPPORTED, "%s: no registered format saves files with this extension", path);
    return format->save(m->src, path);
}

void rg_model_free(rg_model *m)
{
    if (!m) return;
    rg_tokenizer_free(m->tokenizer);
    if (m->arch) m->arch->destroy(m->state);
    rg_source_free(m->src);
    free(m->name);
    free(m);
}

void rg_model_get_info(const rg_model *m, rg_model_info *info) { *info = m->info; }
const rg_tokenizer *rg_model_tokenizer(const rg_model *m) { return m->tokenizer; }

/* ---- contexts --------------------------------------------------------------- */

rg_status rg_context_new(const rg_model *model, const rg_context_options *opt, rg_context **out)
{
    *out = NULL;
    if (opt && (opt->n_ctx < 0 || opt->n_seq < 0))
        return fail_status(RG_ERR_INVALID, "n_ctx and n_seq must not be negative");
    rg_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return fail_status(RG_ERR_NOMEM, "out of memory creating a context");
    ctx->model = model;
    ctx->n_seq = opt && opt->n_seq > 0 ? opt->n_seq : 1;
    ctx->logits = malloc((size_t)(model->info.n_vocab > 0 ? model->info.n_vocab : 1) * sizeof(float));
    if (!ctx->logits) {
        free(ctx);
        return fail_status(RG_ERR_NOMEM, "out of memory creating a context");
    }
    rg_status st = model->arch->context_new(model->state, opt, &ctx->state);
    if (st != RG_OK) {
        free(ctx->logits);
        free(ctx);
        return st;
    }
    *out = ctx;
    return RG_OK;
}

void rg_context_free(rg_context *ctx)
{
    if (!ctx) return;
    ctx->model->arch->context_free(ctx->state);
    free(ctx->logits);
    free(ctx);
}

void rg_context_reset(rg_context *ctx, int32_t seq)
{
    ctx->logits_valid = 0;
    ctx->model->arch->context_reset(ctx->state, seq);
}

int32_t rg_context_n_tokens(const rg_context *ctx, int32_t seq)
{
    return ctx->model->arch->context_n_tokens(ctx->state, seq);
}

rg_status rg_decode(rg_context *ctx, int32_t n, const int32_t *tokens, const int32_t *seq_ids,
                    const uint8_t *want_logits, float *logits)
{
    const rg_arch_vtable *arch = ctx->model->arch;
    if (n < 0) return fail_status(RG_ERR_INVALID, "a negative number of tokens");
    if (!arch->decode)
        return fail_status(RG_ERR_UNSUPPORTED, "the %s architecture does not decode (it only embeds)", arch->name);
    ctx->logits_valid = 0;
    return arch->decode(ctx->model->state, ctx->state, n, tokens, seq_ids, want_logits, logits);
}
