/*
 * api_shim.c — TEMPORARY: the parts of include/rustgpt.h the server uses,
 * over the phase-one internals (Model, Vocab, Generator), until the `lib`
 * branch implements them. Deleted when lib's rg_model_load/rg_decode/...
 * are merged (they would clash). rg_decode here loops over the tokens
 * (one Generator per sequence), so it is correct but not batched.
 */
#include "rustgpt.h"
#include "archs/gpt.h"
#include "formats/modelfile.h"
#include "infer/generate.h"
#include "infer/sampler.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rg_tokenizer { const Vocab *vocab; };
struct rg_model { Model m; rg_tokenizer tok; char name[128]; };
struct rg_context { const rg_model *model; int n_seq, n_ctx; Generator *gens; };
struct rg_sampler { SamplingOptions opt; Rng rng; int *scratch; int32_t n_vocab; };

rg_status rg_model_load(const char *path, const rg_model_options *opt, rg_model **out)
{
    rg_model *m = calloc(1, sizeof *m);
    if (!m) return RG_ERR_NOMEM;
    if (model_load(&m->m, path) != 0) {
        free(m);
        return RG_ERR_FORMAT;
    }
    m->tok.vocab = &m->m.vocab;
    const char *base = strrchr(path, '/');
    snprintf(m->name, sizeof m->name, "%s", base ? base + 1 : path);
    *out = m;
    return RG_OK;
}

void rg_model_free(rg_model *m)
{
    if (!m) return;
    model_free(&m->m);
    free(m);
}

void rg_model_get_info(const rg_model *m, rg_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->arch = "gpt";
    info->format = "bin";
    info->name = m->name;
    info->n_vocab = m->m.config.vocab_size;
    info->n_ctx = m->m.config.seq_len;
    info->d_model = info->n_embd = m->m.config.d_model;
    info->n_layers = m->m.config.n_layers;
    info->n_heads = m->m.config.n_heads;
    info->n_params = m->m.n_params;
    info->causal = info->can_generate = info->can_train = 1;
}

const rg_tokenizer *rg_model_tokenizer(const rg_model *m) { return &m->tok; }

int32_t rg_tokenizer_special(const rg_tokenizer *tok, rg_special which)
{
    return which == RG_SPECIAL_EOS ? TOKEN_EOS : which == RG_SPECIAL_PAD ? TOKEN_PAD
         : which == RG_SPECIAL_UNK ? TOKEN_UNK : -1;
}

rg_status rg_tokenize(const rg_tokenizer *tok, const char *text, size_t len, int flags, int32_t *ids,
                      size_t cap, size_t *n_out)
{
    char *copy = malloc(len + 1);
    int *tmp = malloc((cap ? cap : 1) * sizeof *tmp);
    if (!copy || !tmp) { free(copy); free(tmp); return RG_ERR_NOMEM; }
    memcpy(copy, text, len);
    copy[len] = 0;
    int n = tokenizer_encode(tok->vocab, copy, tmp, (int)cap);
    for (int i = 0; i < n && (size_t)i < cap; i++) ids[i] = tmp[i];
    free(copy);
    free(tmp);
    *n_out = (size_t)n;
    return (size_t)n > cap ? RG_ERR_TOO_SMALL : RG_OK;
}

rg_status rg_detokenize(const rg_tokenizer *tok, const int32_t *ids, size_t n, char *buf, size_t cap,
                        size_t *len_out)
{
    int *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return RG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) tmp[i] = ids[i];
    char small[1];
    size_t need = tokenizer_decode(tok->vocab, tmp, (int)n, cap ? buf : small, cap ? cap : 1);
    free(tmp);
    *len_out = need;
    return need >= cap ? RG_ERR_TOO_SMALL : RG_OK;
}

rg_status rg_context_new(const rg_model *model, const rg_context_options *opt, rg_context **out)
{
    rg_context *c = calloc(1, sizeof *c);
    if (!c) return RG_ERR_NOMEM;
    c->model = model;
    c->n_seq = opt && opt->n_seq > 0 ? opt->n_seq : 1;
    c->n_ctx = model->m.config.seq_len;
    c->gens = calloc((size_t)c->n_seq, sizeof *c->gens);
    for (int i = 0; c->gens && i < c->n_seq; i++) generator_create(&c->gens[i], &model->m);
    *out = c;
    return RG_OK;
}

void rg_context_free(rg_context *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_seq; i++) generator_free(&c->gens[i]);
    free(c->gens);
    free(c);
}

void rg_context_reset(rg_context *c, int32_t seq)
{
    for (int i = 0; i < c->n_seq; i++)
        if (seq < 0 || seq == i) generator_reset(&c->gens[i]);
}

int32_t rg_context_n_tokens(const rg_context *c, int32_t seq) { return c->gens[seq].n_context; }

rg_status rg_decode(rg_context *c, int32_t n, const int32_t *tokens, const int32_t *seq_ids,
                    const uint8_t *want_logits, float *logits)
{
    int V = c->model->m.config.vocab_size, k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (seq_ids[i] < 0 || seq_ids[i] >= c->n_seq || tokens[i] < 0 || tokens[i] >= V) return RG_ERR_INVALID;
        Generator *g = &c->gens[seq_ids[i]];
        generator_feed(g, tokens[i]);
        if (want_logits[i]) memcpy(logits + (size_t)k++ * (size_t)V, g->logits, (size_t)V * sizeof *logits);
    }
    return RG_OK;
}

rg_sampling rg_sampling_default(void)
{
    rg_sampling s = { 0, 0, 1, 1, 42, 64 };
    return s;
}

rg_status rg_sampler_new(const rg_sampling *p, int32_t n_vocab, rg_sampler **out)
{
    rg_sampler *s = calloc(1, sizeof *s);
    if (!s) return RG_ERR_NOMEM;
    s->opt = sampling_default();
    s->opt.temperature = p->temperature;
    s->opt.top_k = p->top_k;
    s->opt.top_p = p->top_p;
    s->opt.repeat_penalty = p->repeat_penalty;
    s->opt.seed = p->seed;
    s->n_vocab = n_vocab;
    rng_seed(&s->rng, p->seed);
    s->scratch = malloc((size_t)n_vocab * sizeof *s->scratch);
    *out = s;
    return RG_OK;
}

void rg_sampler_free(rg_sampler *s)
{
    if (!s) return;
    free(s->scratch);
    free(s);
}

int32_t rg_sample(rg_sampler *s, float *logits, const int32_t *recent, int32_t n_recent)
{
    int tmp[64];
    int n = n_recent < 64 ? n_recent : 64;
    for (int i = 0; i < n; i++) tmp[i] = recent[n_recent - n + i];
    apply_repeat_penalty(logits, s->n_vocab, tmp, n, s->opt.repeat_penalty);
    return sample_token(logits, s->n_vocab, &s->opt, &s->rng, s->scratch);
}

rg_status rg_chat_render(const rg_model *model, const rg_message *msgs, int n_msgs, int add_assistant,
                         char *buf, size_t cap, size_t *len_out)
{
    size_t len = 0;
    char *out = NULL;
    for (int pass = 0; pass < 2; pass++) {
        len = 0;
        for (int i = 0; i < n_msgs; i++) {
            const char *who = strcmp(msgs[i].role, "assistant") == 0 ? "Assistant:" : "User:";
            size_t need = strlen(who) + strlen(msgs[i].content) + 8;
            if (pass) len += (size_t)sprintf(out + len, "%s %s%s ", who, msgs[i].content,
                                             strcmp(msgs[i].role, "assistant") == 0 ? " </s>" : "");
            else len += need;
        }
        if (add_assistant) {
            if (pass) len += (size_t)sprintf(out + len, "Assistant:");
            else len += 11;
        }
        if (!pass) {
            out = malloc(len + 1);
            if (!out) return RG_ERR_NOMEM;
        }
    }
    *len_out = len;
    if (len + 1 > cap) { free(out); return RG_ERR_TOO_SMALL; }
    memcpy(buf, out, len + 1);
    free(out);
    return RG_OK;
}

rg_status rg_embed(rg_context *c, const char *const *texts, int32_t n, rg_embed_options *opt, float *out)
{
    const Model *m = &c->model->m;
    int d = m->config.d_model;
    for (int32_t t = 0; t < n; t++) {
        int ids[512];
        int count = tokenizer_encode(&m->vocab, texts[t], ids, 512);
        if (count > 512) count = 512;
        float *row = out + (size_t)t * (size_t)d;
        memset(row, 0, (size_t)d * sizeof *row);
        for (int i = 0; i < count; i++)
            for (int k = 0; k < d; k++) row[k] += m->w.tok_emb[(size_t)ids[i] * (size_t)d + k];
        double norm = 0;
        for (int k = 0; k < d; k++) norm += (double)row[k] * row[k];
        norm = sqrt(norm);
        for (int k = 0; k < d && norm > 0; k++) row[k] = (float)(row[k] / norm);
    }
    return RG_OK;
}
