/*
 * handles.h — what the opaque handles of rustgpt.h hold, for the files of the
 * library that implement the API (src/api/, src/infer/embed.c,
 * src/infer/chat_template.c). Front ends never include it.
 *
 *   rg_tokenizer  a tokenizer vtable and its state
 *   rg_model      the source it was built from (kept: tensors may point into
 *                 it), the architecture and its read-only state, the tokenizer
 *   rg_context    the architecture's per-user state for one model
 */
#ifndef RUSTGPT_HANDLES_H
#define RUSTGPT_HANDLES_H

#include "rustgpt/plugin.h"

struct rg_tokenizer {
    const rg_tokenizer_vtable *vt;
    void *state;
};

struct rg_model {
    rg_source *src;
    const rg_format_vtable *format;
    const rg_arch_vtable *arch;
    void *state;
    rg_tokenizer *tokenizer;
    rg_model_info info;
    char *name;
};

struct rg_context {
    const rg_model *model;
    void *state;
    int32_t n_seq;
    float *logits;               /* [n_vocab] for rg_generate */
    int logits_valid;            /* logits follow sequence 0's last token (rg_generate) */
};

/* A tokenizer handle around vt and a state it takes over (destroyed with
 * it). Errors: RG_ERR_NOMEM (the state is destroyed then). */
rg_status tokenizer_wrap(const rg_tokenizer_vtable *vt, void *state, rg_tokenizer **out);

/* The tokenizer a model's metadata names (tokenizer.ggml.model), made from
 * that metadata through the registry. where names the file in messages.
 * Errors: RG_ERR_FORMAT (no tokenizer named), RG_ERR_NOT_FOUND (not
 * registered: the message says to load its plugin), the tokenizer's own. */
rg_status tokenizer_from_source(const rg_source *src, const char *where, rg_tokenizer **out);

#endif
