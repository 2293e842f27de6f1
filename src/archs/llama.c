/*
 * llama.c — the `llama` and `qwen2` architectures of GGUF files.
 *
 * Both are the Llama block of decoder.h: RMSNorm, rotary embeddings,
 * grouped-query attention and a SwiGLU feed-forward layer. qwen2 adds
 * biases to the Q, K and V projections and rotates in the "neox" layout
 * (the two halves of a head pair up) where llama pairs neighbours, as
 * llama.cpp does for each (its converter permutes llama's Q and K rows so
 * that the neighbour layout reproduces Meta's rotation).
 *
 * Tensors, by their GGUF names (dims as [row length, rows]):
 *   token_embd.weight     [d, V]
 *   blk.N.attn_norm       [d]          blk.N.ffn_norm   [d]
 *   blk.N.attn_q          [d, q_dim]   (+ .bias for qwen2)
 *   blk.N.attn_k, attn_v  [d, kv_dim]  (+ .bias for qwen2)
 *   blk.N.attn_output     [q_dim, d]
 *   blk.N.ffn_gate, ffn_up [d, ff]     blk.N.ffn_down [ff, d]
 *   output_norm.weight    [d]          output.weight  [d, V] (absent: tied
 *                                      to token_embd, as llama.cpp allows)
 *   rope_freqs.weight     [n_rot/2]    optional per-pair divisors (Llama 3.1)
 */
#include <stdio.h>
#include <string.h>

#include "archs/decoder.h"
#include "core/util.h"

static rg_status status_of(int rc) { return rc < 0 ? RG_ERR_FORMAT : RG_OK; }

static int load_layer(decoder_model *m, const rg_source *src, int32_t l, decoder_layer *L)
{
    char name[96], bias[96];
    int64_t d = m->d_model, qd = (int64_t)m->n_head * m->head_dim;
    int64_t kvd = (int64_t)m->n_head_kv * m->head_dim, ff = m->d_ff;
    int qwen2 = m->variant == DECODER_QWEN2;
#define T(suffix) (snprintf(name, sizeof name, "blk.%d." suffix ".weight", l), name)
#define B(suffix) (qwen2 ? (snprintf(bias, sizeof bias, "blk.%d." suffix ".bias", l), bias) : NULL)
    if (decoder_get_vector(m, src, &L->attn_norm_w, T("attn_norm"), d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->wq, T("attn_q"), B("attn_q"), qd, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->wk, T("attn_k"), B("attn_k"), kvd, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->wv, T("attn_v"), B("attn_v"), kvd, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->wo, T("attn_output"), NULL, d, qd, 0) < 0) return -1;
    if (decoder_get_vector(m, src, &L->ffn_norm_w, T("ffn_norm"), d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->gate, T("ffn_gate"), NULL, ff, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->up, T("ffn_up"), NULL, ff, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->down, T("ffn_down"), NULL, d, ff, 0) < 0) return -1;
#undef T
#undef B
    return 0;
}

static int build(decoder_model *m, const rg_source *src, const char *arch)
{
    if (decoder_read_hparams(m, src, arch) < 0) return -1;
    char key[128];
    double eps;
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", arch);
    if (rg_source_float(src, key, &eps) != RG_OK)
        return fail("model: the key %s is missing or not a number", key);
    m->norm_eps = (float)eps;
    m->rope_neox = m->variant == DECODER_QWEN2;

    const rg_tensor *emb = rg_source_tensor(src, "token_embd.weight");
    if (!emb || emb->n_dims != 2) return fail("model: the tensor token_embd.weight is missing or not 2-D");
    if (emb->dims[1] <= 0 || emb->dims[1] > (1 << 24)) return fail("model: token_embd.weight has %lld rows", (long long)emb->dims[1]);
    m->n_vocab = (int32_t)emb->dims[1];
    if (decoder_get_linear(m, src, &m->tok_embd, "token_embd.weight", NULL, m->n_vocab, m->d_model, 0) < 0)
        return -1;
    if (decoder_get_vector(m, src, &m->out_norm_w, "output_norm.weight", m->d_model, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &m->output, "output.weight", NULL, m->n_vocab, m->d_model, 1) < 0)
        return -1;
    if (!m->output.data) m->output = m->tok_embd;   /* tied */
    if (m->n_rot > 0 &&
        decoder_get_vector(m, src, &m->rope_freqs, "rope_freqs.weight", m->n_rot / 2, 1) < 0) return -1;

    m->layers = xcalloc((size_t)m->n_layers, sizeof *m->layers);
    if (!m->layers) return -1;
    for (int32_t l = 0; l < m->n_layers; l++)
        if (load_layer(m, src, l, &m->layers[l]) < 0) return -1;
    return 0;
}

static rg_status create(const rg_source *src, decoder_variant variant, const char *arch,
                        void **model_state, rg_model_info *info)
{
    *model_state = NULL;
    decoder_model *m = xcalloc(1, sizeof *m);
    if (!m) return RG_ERR_NOMEM;
    m->variant = variant;
    rg_status st = status_of(build(m, src, arch));
    if (st != RG_OK) {
        decoder_model_free(m);
        return st;
    }
    decoder_fill_info(m, info);
    *model_state = m;
    return RG_OK;
}

static rg_status llama_create(const rg_source *src, void **model_state, rg_model_info *info)
{
    return create(src, DECODER_LLAMA, "llama", model_state, info);
}

static rg_status qwen2_create(const rg_source *src, void **model_state, rg_model_info *info)
{
    return create(src, DECODER_QWEN2, "qwen2", model_state, info);
}

const rg_arch_vtable llama_arch = DECODER_ARCH_VTABLE("llama", llama_create);

const rg_arch_vtable qwen2_arch = DECODER_ARCH_VTABLE("qwen2", qwen2_create);
