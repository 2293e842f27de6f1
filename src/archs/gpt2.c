/*
 * gpt2.c — the `gpt2` architecture of GGUF files (OpenAI's GPT-2 as
 * llama.cpp runs it): learned position embeddings added to the token
 * embeddings, pre-LayerNorm blocks with biases, one fused Q|K|V projection,
 * a GELU (tanh approximation) feed-forward layer, and an output layer
 * without bias (tied to the token embeddings when output.weight is absent).
 * The forward pass is decoder.h's; this file maps the tensors:
 *
 *   token_embd.weight [d, V]     position_embd.weight [d, n_ctx_train]
 *   blk.N.attn_norm   weight, bias [d]
 *   blk.N.attn_qkv    weight [d, 3d], bias [3d]   rows Q | K | V
 *   blk.N.attn_output weight [d, d], bias [d]
 *   blk.N.ffn_norm    weight, bias [d]
 *   blk.N.ffn_up      weight [d, ff], bias [ff]
 *   blk.N.ffn_down    weight [ff, d], bias [d]
 *   output_norm       weight, bias [d]            output.weight [d, V]
 */
#include <stdio.h>

#include "archs/decoder.h"
#include "core/util.h"

static int load_layer(decoder_model *m, const rg_source *src, int32_t l, decoder_layer *L)
{
    char w[96], b[96];
    int64_t d = m->d_model, ff = m->d_ff;
    int64_t qkv = (int64_t)m->n_head * m->head_dim + 2 * (int64_t)m->n_head_kv * m->head_dim;
#define W(suffix) (snprintf(w, sizeof w, "blk.%d." suffix ".weight", l), w)
#define B(suffix) (snprintf(b, sizeof b, "blk.%d." suffix ".bias", l), b)
    if (decoder_get_vector(m, src, &L->attn_norm_w, W("attn_norm"), d, 0) < 0 ||
        decoder_get_vector(m, src, &L->attn_norm_b, B("attn_norm"), d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->wqkv, W("attn_qkv"), B("attn_qkv"), qkv, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->wo, W("attn_output"), B("attn_output"), d,
                           (int64_t)m->n_head * m->head_dim, 0) < 0) return -1;
    if (decoder_get_vector(m, src, &L->ffn_norm_w, W("ffn_norm"), d, 0) < 0 ||
        decoder_get_vector(m, src, &L->ffn_norm_b, B("ffn_norm"), d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->up, W("ffn_up"), B("ffn_up"), ff, d, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &L->down, W("ffn_down"), B("ffn_down"), d, ff, 0) < 0) return -1;
#undef W
#undef B
    return 0;
}

static int build(decoder_model *m, const rg_source *src)
{
    if (decoder_read_hparams(m, src, "gpt2") < 0) return -1;
    double eps;
    if (rg_source_float(src, "gpt2.attention.layer_norm_epsilon", &eps) != RG_OK)
        return fail("model: the key gpt2.attention.layer_norm_epsilon is missing or not a number");
    m->norm_eps = (float)eps;
    m->n_rot = 0;   /* positions are learned, not rotated */

    const rg_tensor *emb = rg_source_tensor(src, "token_embd.weight");
    if (!emb || emb->n_dims != 2) return fail("model: the tensor token_embd.weight is missing or not 2-D");
    if (emb->dims[1] <= 0 || emb->dims[1] > (1 << 24)) return fail("model: token_embd.weight has %lld rows", (long long)emb->dims[1]);
    m->n_vocab = (int32_t)emb->dims[1];
    if (decoder_get_linear(m, src, &m->tok_embd, "token_embd.weight", NULL, m->n_vocab, m->d_model, 0) < 0 ||
        decoder_get_linear(m, src, &m->pos_embd, "position_embd.weight", NULL, m->n_ctx_train, m->d_model, 0) < 0)
        return -1;
    if (decoder_get_vector(m, src, &m->out_norm_w, "output_norm.weight", m->d_model, 0) < 0 ||
        decoder_get_vector(m, src, &m->out_norm_b, "output_norm.bias", m->d_model, 0) < 0) return -1;
    if (decoder_get_linear(m, src, &m->output, "output.weight", NULL, m->n_vocab, m->d_model, 1) < 0)
        return -1;
    if (!m->output.data) m->output = m->tok_embd;

    m->layers = xcalloc((size_t)m->n_layers, sizeof *m->layers);
    if (!m->layers) return -1;
    for (int32_t l = 0; l < m->n_layers; l++)
        if (load_layer(m, src, l, &m->layers[l]) < 0) return -1;
    return 0;
}

static rg_status gpt2_create(const rg_source *src, void **model_state, rg_model_info *info)
{
    *model_state = NULL;
    decoder_model *m = xcalloc(1, sizeof *m);
    if (!m) return RG_ERR_NOMEM;
    m->variant = DECODER_GPT2;
    if (build(m, src) < 0) {
        decoder_model_free(m);
        return RG_ERR_FORMAT;
    }
    decoder_fill_info(m, info);
    *model_state = m;
    return RG_OK;
}

const rg_arch_vtable gpt2_arch = DECODER_ARCH_VTABLE("gpt2", gpt2_create);
