/*
 * gguf_export.c — a model trained by rustgpt, written the way llama.cpp
 * reads it (`rustgpt export --format gguf`, docs/17-gguf-file.md).
 *
 * Sources that came from GGUF files or Hugging Face checkpoints already use
 * GGUF's names and are written as they are. rustgpt's own architecture
 * ("gpt") maps onto llama.cpp's `gpt2` exactly when both its parts do:
 *
 *   the block     GPT_GPT2 (`train --arch gpt2`): pre-LayerNorm, learned
 *                 positions, fused QKV with biases, GELU (tanh), an output
 *                 layer without bias. rustgpt's default block (ReLU, head
 *                 bias) has no llama.cpp architecture: refused.
 *   the tokenizer a byte-level BPE in GGUF's form (tokenizer.ggml.model
 *                 "gpt2"). llama.cpp has no word-level tokenizer: refused.
 *
 * Tensors are renamed, not copied (the new source points at the same
 * floats); dims are already in GGUF order in every source.
 *
 *   tok_emb.weight → token_embd.weight      blocks.N.ln1     → blk.N.attn_norm
 *   pos_emb.weight → position_embd.weight   blocks.N.attn.qkv  → blk.N.attn_qkv
 *   ln_f           → output_norm            blocks.N.attn.proj → blk.N.attn_output
 *   head.weight    → output.weight          blocks.N.ln2     → blk.N.ffn_norm
 *                                           blocks.N.ffn.fc1 → blk.N.ffn_up
 *                                           blocks.N.ffn.fc2 → blk.N.ffn_down
 */
#include "formats/gguf_export.h"
#include "core/quant.h"
#include "core/source.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy key (of any type) from in to out. */
static rg_status copy_key(rg_source *out, const rg_source *in, const char *key, rg_value_type type)
{
    int64_t i; double f; int b; const char *s; size_t len;
    rg_status st;
    switch (type) {
    case RG_VALUE_INT:
        return (st = rg_source_int(in, key, &i)) != RG_OK ? st : rg_source_set_int(out, key, i);
    case RG_VALUE_FLOAT:
        return (st = rg_source_float(in, key, &f)) != RG_OK ? st : rg_source_set_float(out, key, f);
    case RG_VALUE_BOOL:
        return (st = rg_source_bool(in, key, &b)) != RG_OK ? st : rg_source_set_bool(out, key, b);
    case RG_VALUE_STRING:
        return (st = rg_source_string(in, key, &s, &len)) != RG_OK ? st : rg_source_set_string(out, key, s, len);
    case RG_VALUE_ARRAY:
        break;
    }
    rg_value_type elem;
    uint64_t n;
    if ((st = rg_source_array(in, key, &elem, &n)) != RG_OK) return st;
    void *values = malloc((n ? n : 1) * (elem == RG_VALUE_STRING ? sizeof(char *) + sizeof(size_t) : 8));
    if (!values) return fail_status(RG_ERR_NOMEM, "out of memory copying %s", key);
    for (uint64_t k = 0; k < n && st == RG_OK; k++) {
        if (elem == RG_VALUE_INT) st = rg_source_array_int(in, key, k, (int64_t *)values + k);
        else if (elem == RG_VALUE_FLOAT) st = rg_source_array_float(in, key, k, (double *)values + k);
        else st = rg_source_array_string(in, key, k, (const char **)values + k, (size_t *)((const char **)values + n) + k);
    }
    if (st == RG_OK) {
        if (elem == RG_VALUE_INT) st = rg_source_set_int_array(out, key, values, n);
        else if (elem == RG_VALUE_FLOAT) st = rg_source_set_float_array(out, key, values, n);
        else st = rg_source_set_string_array(out, key, values, (const size_t *)((const char **)values + n), n);
    }
    free(values);
    return st;
}

/* One table of names, read in either direction: rustgpt's (side 0) and
 * GGUF gpt2's (side 1); block tensors carry their layer in a prefix
 * ("blocks.N." and "blk.N."). */
static const char *const top_names[][2] = {
    { "tok_emb.weight", "token_embd.weight" }, { "pos_emb.weight", "position_embd.weight" },
    { "ln_f.weight", "output_norm.weight" },   { "ln_f.bias", "output_norm.bias" },
    { "head.weight", "output.weight" },
};
static const char *const block_names[][2] = {
    { "ln1.", "attn_norm." }, { "attn.qkv.", "attn_qkv." }, { "attn.proj.", "attn_output." },
    { "ln2.", "ffn_norm." },  { "ffn.fc1.", "ffn_up." },     { "ffn.fc2.", "ffn_down." },
};

/* name on side `from` → the other side's name, into buf; NULL when none. */
static const char *tensor_name(const char *name, int from, char *buf, size_t cap)
{
    static const char *const prefix[2] = { "blocks.%d.%n", "blk.%d.%n" }, *const out[2] = { "blocks", "blk" };
    for (size_t i = 0; i < sizeof top_names / sizeof top_names[0]; i++)
        if (strcmp(name, top_names[i][from]) == 0) return top_names[i][!from];
    int layer, used = 0;
    if (sscanf(name, prefix[from], &layer, &used) != 1 || used == 0) return NULL;
    for (size_t i = 0; i < sizeof block_names / sizeof block_names[0]; i++) {
        size_t n = strlen(block_names[i][from]);
        if (strncmp(name + used, block_names[i][from], n) == 0) {
            snprintf(buf, cap, "%s.%d.%s%s", out[!from], layer, block_names[i][!from], name + used + n);
            return buf;
        }
    }
    return NULL;
}

/* The hyper-parameters under llama.cpp's gpt2 keys. */
static rg_status gpt2_keys(rg_source *out, const rg_source *in)
{
    static const struct { const char *from, *to; } keys[] = {
        { "gpt.context_length", "gpt2.context_length" },
        { "gpt.embedding_length", "gpt2.embedding_length" },
        { "gpt.feed_forward_length", "gpt2.feed_forward_length" },
        { "gpt.block_count", "gpt2.block_count" },
        { "gpt.attention.head_count", "gpt2.attention.head_count" },
    };
    rg_status st = rg_source_set_string(out, "general.architecture", "gpt2", 4);
    if (st == RG_OK) st = rg_source_set_string(out, "general.name", "rustgpt", 7);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && st == RG_OK; i++) {
        int64_t v;
        st = rg_source_int(in, keys[i].from, &v);
        if (st == RG_OK) st = rg_source_set_int(out, keys[i].to, v);
    }
    if (st == RG_OK) st = rg_source_set_float(out, "gpt2.attention.layer_norm_epsilon", 1e-5);
    return st;
}

rg_status gguf_export_source(const rg_source *in, rg_source **out)
{
    *out = NULL;
    const char *arch = NULL, *variant = "rustgpt", *tokenizer = "none";
    rg_source_string(in, "general.architecture", &arch, NULL);
    if (!arch || strcmp(arch, "gpt") != 0) return RG_OK;        /* GGUF-shaped already */
    rg_source_string(in, "gpt.variant", &variant, NULL);
    rg_source_string(in, "tokenizer.ggml.model", &tokenizer, NULL);
    if (strcmp(variant, "gpt2") != 0)
        return fail_status(RG_ERR_UNSUPPORTED,
                           "llama.cpp has no architecture for rustgpt's own block (ReLU, a head bias); "
                           "train with --arch gpt2 (GELU, no head bias) to export to GGUF");
    if (strcmp(tokenizer, "gpt2") != 0)
        return fail_status(RG_ERR_UNSUPPORTED,
                           "llama.cpp cannot read the \"%s\" tokenizer; train with a byte-level BPE "
                           "(--tokenizer bpe:N, or a GPT-2 tokenizer file) to export to GGUF", tokenizer);
    rg_source *dst;
    rg_status st = rg_source_new(&dst);
    if (st != RG_OK) return st;
    st = gpt2_keys(dst, in);
    for (int32_t i = 0; st == RG_OK && i < source_n_keys(in); i++) {
        rg_value_type type;
        const char *key = source_key_at(in, i, &type);
        if (strncmp(key, "tokenizer.", 10) == 0) st = copy_key(dst, in, key, type);
    }
    for (int32_t i = 0; st == RG_OK && i < rg_source_n_tensors(in); i++) {
        rg_tensor t = *rg_source_tensor_at(in, i);
        char buf[96];
        if (!(t.name = tensor_name(t.name, 0, buf, sizeof buf)))
            st = fail_status(RG_ERR_FORMAT, "tensor %s has no GGUF name", rg_source_tensor_at(in, i)->name);
        else st = rg_source_add_tensor(dst, &t);
    }
    if (st != RG_OK) {
        rg_source_free(dst);
        return st;
    }
    *out = dst;
    return RG_OK;
}

/* ---- the way back: a GGUF-shaped gpt2 as a trainable rustgpt model ------- */

/* t as F32: itself, or a converted copy that dst keeps. */
static rg_status as_f32(rg_source *dst, rg_tensor *t)
{
    if (t->type == RG_TYPE_F32) return RG_OK;
    int64_t n = 1;
    for (int d = 0; d < t->n_dims; d++) n *= t->dims[d];
    float *data = xmalloc((size_t)n, sizeof *data);
    if (!data) return RG_ERR_NOMEM;
    for (int64_t r = 0, cols = t->dims[0]; r < n / cols; r++)
        quant_dequantize_row(t->type, (const char *)t->data + (size_t)r * quant_row_bytes(t->type, cols),
                             data + r * cols, cols);
    t->type = RG_TYPE_F32;
    t->data = data;
    t->n_bytes = (size_t)n * sizeof *data;
    return rg_source_keep(dst, data, 0);
}

rg_status gpt_source_from_gguf_gpt2(const rg_source *in, rg_source **out)
{
    *out = NULL;
    const char *arch = "";
    rg_source_string(in, "general.architecture", &arch, NULL);
    if (strcmp(arch, "gpt2") != 0)
        return fail_status(RG_ERR_UNSUPPORTED, "only a gpt2 model can start a rustgpt training run, not %s", arch);
    static const struct { const char *from, *to; } keys[] = {
        { "gpt2.context_length", "gpt.context_length" },
        { "gpt2.embedding_length", "gpt.embedding_length" },
        { "gpt2.feed_forward_length", "gpt.feed_forward_length" },
        { "gpt2.block_count", "gpt.block_count" },
        { "gpt2.attention.head_count", "gpt.attention.head_count" },
    };
    rg_source *dst;
    rg_status st = rg_source_new(&dst);
    if (st != RG_OK) return st;
    st = rg_source_set_string(dst, "general.architecture", "gpt", 3);
    if (st == RG_OK) st = rg_source_set_string(dst, "gpt.variant", "gpt2", 4);
    const rg_tensor *emb = rg_source_tensor(in, "token_embd.weight");
    if (st == RG_OK && (!emb || emb->n_dims != 2))
        st = fail_status(RG_ERR_FORMAT, "token_embd.weight is missing or not a matrix");
    if (st == RG_OK) st = rg_source_set_int(dst, "gpt.vocab_size", emb->dims[1]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && st == RG_OK; i++) {
        int64_t v;
        if ((st = rg_source_int(in, keys[i].from, &v)) != RG_OK)
            fail_status(st, "%s is missing", keys[i].from);
        else st = rg_source_set_int(dst, keys[i].to, v);
    }
    for (int32_t i = 0; st == RG_OK && i < source_n_keys(in); i++) {
        rg_value_type type;
        const char *key = source_key_at(in, i, &type);
        if (strncmp(key, "tokenizer.", 10) == 0) st = copy_key(dst, in, key, type);
    }
    for (int32_t i = 0; st == RG_OK && i < rg_source_n_tensors(in); i++) {
        rg_tensor t = *rg_source_tensor_at(in, i);
        char buf[96];
        if (!(t.name = tensor_name(t.name, 1, buf, sizeof buf)))
            st = fail_status(RG_ERR_FORMAT, "tensor %s is not part of GPT-2", rg_source_tensor_at(in, i)->name);
        else if ((st = as_f32(dst, &t)) == RG_OK) st = rg_source_add_tensor(dst, &t);
    }
    if (st == RG_OK && !rg_source_tensor(dst, "head.weight")) {     /* tied: the head starts as wte */
        rg_tensor head = *rg_source_tensor(dst, "tok_emb.weight");
        head.name = "head.weight";
        st = rg_source_add_tensor(dst, &head);
    }
    if (st != RG_OK) {
        rg_source_free(dst);
        return st;
    }
    *out = dst;
    return RG_OK;
}
