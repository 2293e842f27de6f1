/*
 * tokenizer.c — the tokenizer half of rustgpt.h: loading a tokenizer by file
 * or name through the registry, and the thin calls into its vtable.
 *
 * rg_tokenizer_load asks every registered tokenizer whether it reads the
 * file (probe, with its first bytes); for a name that is not a file it asks
 * them again with no bytes ("cl100k_base" is the bpe tokenizer's to claim).
 */
#include "api/handles.h"
#include "core/registry.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

rg_status tokenizer_wrap(const rg_tokenizer_vtable *vt, void *state, rg_tokenizer **out)
{
    rg_tokenizer *tok = malloc(sizeof *tok);
    if (!tok) {
        vt->destroy(state);
        return fail_status(RG_ERR_NOMEM, "out of memory creating a tokenizer");
    }
    tok->vt = vt;
    tok->state = state;
    *out = tok;
    return RG_OK;
}

rg_status tokenizer_from_source(const rg_source *src, const char *where, rg_tokenizer **out)
{
    *out = NULL;
    const char *kind;
    rg_status st = rg_source_string(src, "tokenizer.ggml.model", &kind, NULL);
    if (st != RG_OK) return fail_status(RG_ERR_FORMAT, "%s: the model names no tokenizer (tokenizer.ggml.model)", where);
    const rg_tokenizer_vtable *vt = registry_tokenizer(kind);
    if (!vt)
        return fail_status(RG_ERR_NOT_FOUND,
                           "%s: the model uses the tokenizer \"%s\", which is not registered; load the plugin "
                           "that provides it (--plugin PATH or RUSTGPT_PLUGIN_PATH)", where, kind);
    if (!vt->from_source)
        return fail_status(RG_ERR_UNSUPPORTED, "%s: the %s tokenizer cannot be read from a model", where, kind);
    void *state = NULL;
    clear_error();
    if ((st = vt->from_source(src, &state)) != RG_OK) {
        char message[512];
        snprintf(message, sizeof message, "%s", last_error()[0] ? last_error() : rg_status_name(st));
        return fail_status(st, "%s: its %s tokenizer: %s", where, kind, message);
    }
    return tokenizer_wrap(vt, state, out);
}

rg_status rg_tokenizer_load(const char *name_or_path, rg_tokenizer **out)
{
    *out = NULL;
    if (!name_or_path || !*name_or_path) return fail_status(RG_ERR_INVALID, "no tokenizer named");
    const rg_tokenizer_vtable *vt;
    struct stat st;
    if (stat(name_or_path, &st) == 0 && S_ISREG(st.st_mode)) {
        unsigned char head[256];
        FILE *fp = fopen(name_or_path, "rb");
        if (!fp) return fail_status(RG_ERR_IO, "%s: cannot open", name_or_path);
        size_t n = fread(head, 1, sizeof head, fp);
        fclose(fp);
        vt = registry_tokenizer_for(name_or_path, head, n);
        if (!vt) return fail_status(RG_ERR_NOT_FOUND, "%s: no registered tokenizer reads this file", name_or_path);
    } else if (!(vt = registry_tokenizer_for(name_or_path, NULL, 0))) {
        vt = registry_tokenizer(name_or_path);
        if (!vt)
            return fail_status(RG_ERR_NOT_FOUND, "%s: no such file, and no tokenizer of that name is registered",
                               name_or_path);
        if (!vt->load)
            return fail_status(RG_ERR_NOT_FOUND, "the %s tokenizer has no file of its own: it comes with a model%s",
                               vt->name, vt->train ? " or is trained from data" : "");
    }
    void *state = NULL;
    clear_error();
    rg_status status = vt->load(name_or_path, &state);
    if (status != RG_OK) {
        if (!last_error()[0]) fail("%s: the %s tokenizer could not load it (%s)", name_or_path, vt->name, rg_status_name(status));
        return status;
    }
    return tokenizer_wrap(vt, state, out);
}

rg_status rg_tokenizer_save(const rg_tokenizer *tok, const char *path)
{
    if (!tok->vt->save)
        return fail_status(RG_ERR_UNSUPPORTED, "the %s tokenizer has no file form of its own", tok->vt->name);
    return tok->vt->save(tok->state, path);
}

void rg_tokenizer_free(rg_tokenizer *tok)
{
    if (!tok) return;
    tok->vt->destroy(tok->state);
    free(tok);
}

const char *rg_tokenizer_kind(const rg_tokenizer *tok) { return tok->vt->name; }
int32_t rg_tokenizer_n_vocab(const rg_tokenizer *tok) { return tok->vt->n_vocab(tok->state); }
int32_t rg_tokenizer_special(const rg_tokenizer *tok, rg_special which) { return tok->vt->special(tok->state, which); }

rg_status rg_tokenize(const rg_tokenizer *tok, const char *text, size_t len, int flags,
                      int32_t *ids, size_t cap, size_t *n_out)
{
    size_t n = 0;
    rg_status st = tok->vt->encode(tok->state, text, len, flags, ids, cap, &n);
    if (n_out) *n_out = n;
    return st;
}

rg_status rg_detokenize(const rg_tokenizer *tok, const int32_t *ids, size_t n, char *buf, size_t cap,
                        size_t *len_out)
{
    size_t len = 0;
    rg_status st = tok->vt->decode(tok->state, ids, n, buf, cap, &len);
    if (len_out) *len_out = len;
    return st;
}

const char *rg_token_piece(const rg_tokenizer *tok, int32_t id, size_t *len)
{
    size_t n = 0;
    const char *piece = tok->vt->piece(tok->state, id, &n);
    if (len) *len = piece ? n : 0;
    return piece;
}
