/*
 * generate.c — sampling and generation of rustgpt.h.
 *
 * An rg_sampler is infer/sampler.h's sampling (repetition penalty,
 * temperature, top-k, top-p) with its own random state and scratch, so that
 * rg_sample allocates nothing. rg_generate is the loop every front end needs:
 * feed the prompt in one rg_decode, then sample, decode, and hand each token
 * to the caller with the text it adds. The text is the detokenized output so
 * far (decoding the whole output each step keeps every tokenizer's spacing
 * rules exact), of which only complete UTF-8 is passed on, and nothing that
 * could still turn out to be the start of a stop string.
 */
#include "api/handles.h"
#include "infer/sampler.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

struct rg_sampler {
    SamplingOptions opt;
    Rng rng;
    int32_t n_vocab;
    int *scratch;                /* [n_vocab] */
};

rg_sampling rg_sampling_default(void)
{
    SamplingOptions d = sampling_default();
    return (rg_sampling){ d.temperature, d.top_k, d.top_p, d.repeat_penalty, d.seed, d.max_tokens };
}

rg_status rg_sampler_new(const rg_sampling *p, int32_t n_vocab, rg_sampler **out)
{
    *out = NULL;
    if (n_vocab <= 0 || p->temperature < 0 || p->top_k < 0 || !(p->top_p > 0 && p->top_p <= 1) ||
        !(p->repeat_penalty > 0) || p->max_tokens < 0)
        return fail_status(RG_ERR_INVALID, "sampling options out of range (temperature >= 0, top_k >= 0, "
                           "0 < top_p <= 1, repeat_penalty > 0, max_tokens >= 0)");
    rg_sampler *s = calloc(1, sizeof *s);
    if (s) s->scratch = malloc((size_t)n_vocab * sizeof *s->scratch);
    if (!s || !s->scratch) {
        free(s);
        return fail_status(RG_ERR_NOMEM, "out of memory creating a sampler");
    }
    s->opt = sampling_default();
    s->opt.temperature = p->temperature;
    s->opt.top_k = p->top_k;
    s->opt.top_p = p->top_p;
    s->opt.repeat_penalty = p->repeat_penalty;
    s->opt.max_tokens = p->max_tokens;
    s->opt.seed = p->seed;
    rng_seed(&s->rng, p->seed);
    s->n_vocab = n_vocab;
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
    if (recent && n_recent > 0) apply_repeat_penalty(logits, s->n_vocab, recent, n_recent, s->opt.repeat_penalty);
    return sample_token(logits, s->n_vocab, &s->opt, &s->rng, s->scratch);
}

/* ---- rg_generate ----------------------------------------------------------- */

typedef struct {
    int32_t *ids;                /* prompt, then output: the penalty's history */
    size_t n_ids, cap_ids;
    size_t first_out;            /* where the output starts in ids */
    char *text;                  /* the output detokenized */
    size_t len_text, cap_text;
    size_t emitted;              /* bytes of text passed to the caller */
} Output;

static rg_status push_id(Output *o, int32_t id)
{
    if (o->n_ids == o->cap_ids) {
        size_t cap = o->cap_ids ? 2 * o->cap_ids : 256;
        int32_t *p = realloc(o->ids, cap * sizeof *p);
        if (!p) return fail_status(RG_ERR_NOMEM, "out of memory generating");
        o->ids = p;
        o->cap_ids = cap;
    }
    o->ids[o->n_ids++] = id;
    return RG_OK;
}

/* text = detokenize(output ids), growing the buffer as needed. */
static rg_status redecode(const rg_tokenizer *tok, Output *o)
{
    for (;;) {
        size_t len;
        rg_status st = rg_detokenize(tok, o->ids + o->first_out, o->n_ids - o->first_out, o->text,
                                     o->cap_text, &len);
        if (st == RG_OK) {
            o->len_text = len;
            return RG_OK;
        }
        if (st != RG_ERR_TOO_SMALL) return st;
        size_t cap = 2 * len + 64;
        char *p = realloc(o->text, cap);
        if (!p) return fail_status(RG_ERR_NOMEM, "out of memory generating");
        o->text = p;
        o->cap_text = cap;
    }
}

/* The first stop string in text (its offset), or len when none is there;
 * *hold gets how many final bytes could be the start of one. */
static size_t find_stop(const char *text, size_t len, const char *const *stop, int n_stop, size_t *hold)
{
    size_t found = len;
    *hold = 0;
    for (int i = 0; i < n_stop; i++) {
        size_t k = strlen(stop[i]);
        if (k == 0) continue;
        for (size_t at = 0; at + k <= len && at < found; at++)
            if (memcmp(text + at, stop[i], k) == 0) found = at;
        for (size_t part = k - 1; part > *hold; part--)
            if (part <= len && memcmp(text + len - part, stop[i], part) == 0) *hold = part;
    }
    return found;
}

rg_status rg_generate(rg_context *ctx, const char *prompt, const rg_sampling *params, const char *const *stop,
                      int n_stop, rg_token_fn on_token, void *user, int32_t *n_generated)
{
    if (n_generated) *n_generated = 0;
    const rg_model *m = ctx->model;
    const rg_tokenizer *tok = m->tokenizer;
    rg_sampling defaults = rg_sampling_default();
    if (!params) params = &defaults;
    rg_sampler *sampler;
    rg_status st = rg_sampler_new(params, m->info.n_vocab, &sampler);
    if (st != RG_OK) return st;
    Output o = { 0 };
    size_t len = strlen(prompt), n_prompt = 0;
    st = rg_tokenize(tok, prompt, len, RG_TOKENIZE_ADD_SPECIAL, NULL, 0, &n_prompt);
    if (st == RG_OK || st == RG_ERR_TOO_SMALL) {
        o.cap_ids = n_prompt + (size_t)params->max_tokens + 1;
        o.ids = malloc(o.cap_ids * sizeof *o.ids);
        st = o.ids ? rg_tokenize(tok, prompt, len, RG_TOKENIZE_ADD_SPECIAL, o.ids, o.cap_ids, &o.n_ids)
                   : (rg_status)fail_status(RG_ERR_NOMEM, "out of memory generating");
    }
    o.first_out = o.n_ids;
    if (st == RG_OK && o.n_ids > 0 && (st = rg_decode(ctx, (int32_t)o.n_ids, o.ids, NULL, NULL, ctx->logits)) == RG_OK)
        ctx->logits_valid = 1;
    if (st == RG_OK && o.n_ids == 0 && !ctx->logits_valid)
        st = fail_status(RG_ERR_INVALID, "an empty prompt, and no generation of this context to continue");
    int32_t eos = rg_tokenizer_special(tok, RG_SPECIAL_EOS), produced = 0;
    int stopped = 0;
    while (st == RG_OK && !stopped && produced < params->max_tokens) {
        size_t window = (size_t)(m->info.n_ctx > 0 ? m->info.n_ctx : 1);
        size_t recent = o.n_ids < window ? o.n_ids : window;
        int32_t next = rg_sample(sampler, ctx->logits, o.ids + o.n_ids - recent, (int32_t)recent);
        produced++;
        if ((st = rg_decode(ctx, 1, &next, NULL, NULL, ctx->logits)) != RG_OK) break;
        ctx->logits_valid = 1;
        if (next == eos) {
            if (on_token && on_token(next, "", 0, user)) st = fail_status(RG_ERR_INTERRUPTED, "stopped by the caller");
            break;
        }
        if ((st = push_id(&o, next)) != RG_OK || (st = redecode(tok, &o)) != RG_OK) break;
        size_t hold, at = find_stop(o.text, o.len_text, stop, n_stop, &hold);
        size_t upto = at < o.len_text ? at : o.len_text - hold;
        if (at < o.len_text) stopped = 1;
        upto = o.emitted + utf8_complete_prefix(o.text + o.emitted, upto > o.emitted ? upto - o.emitted : 0);
        if (stopped) upto = at > o.emitted ? at : o.emitted;
        if (on_token && on_token(next, o.text + o.emitted, upto - o.emitted, user))
            st = fail_status(RG_ERR_INTERRUPTED, "stopped by the caller");
        o.emitted = upto > o.emitted ? upto : o.emitted;
    }
    if (st == RG_OK && !stopped && on_token && o.emitted < o.len_text) {
        /* the end: what was held back for a stop string that never came */
        if (on_token(-1, o.text + o.emitted, o.len_text - o.emitted, user))
            st = fail_status(RG_ERR_INTERRUPTED, "stopped by the caller");
    }
    if (n_generated) *n_generated = produced;
    free(o.ids);
    free(o.text);
    rg_sampler_free(sampler);
    return st;
}
