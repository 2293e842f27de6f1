/*
 * embed.c — texts to embedding vectors: tokenize, run the encoder (or
 * decoder) for its hidden states, pool them into one vector per text,
 * normalise (docs/18-embeddings.md).
 *
 * Where it sits: texts → tokenizer → [batches by length] → arch->hidden_batch
 * → hidden [n_tokens, d] per text → pooling → L2 normalisation → out [n, d].
 *
 * Pooling, for a text whose hidden states are h_0 .. h_{n-1} (each [d]):
 *   mean       (1/n) Σ_t h_t                 BERT sentence models (MiniLM)
 *   cls        h_0, the [CLS] position        BGE
 *   last       h_{n-1}                        decoders: only the last token
 *                                             has seen the whole text
 *   max        max_t h_t[i], per dimension
 *   mean-sqrt  (1/sqrt n) Σ_t h_t             sentence-transformers' option
 * Normalised, e = v / |v|: cosine similarity becomes a dot product.
 *
 * Texts are tokenised exactly as llama.cpp's embedding context does it (the
 * model's specials: [CLS] … [SEP] for BERT, BOS for llama), in parallel.
 * A text longer than the context keeps its first n_ctx - 1 tokens and its
 * closing [SEP] (when the tokenizer has one), or is refused (truncate 0).
 * An empty or whitespace-only text is the model's specials alone, and a
 * text with no tokens at all (a tokenizer without specials) embeds as the
 * zero vector. Invalid UTF-8 is an error naming the text and byte.
 *
 * Batches: texts are sorted by token count and cut into batches of up to
 * batch_size texts, so texts of similar length go together. The
 * architecture packs a batch's texts without padding (hidden_batch), so a
 * text's vector does not depend on its batch: batched results equal
 * one-at-a-time results (tests/test_embed.c checks it for every batch size
 * and thread count).
 */
#include "infer/embed.h"
#include "api/handles.h"
#include "core/util.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_BATCH = 32, MAX_BATCH_TOKENS = 16384, PARALLEL_TEXTS = 64 };

rg_embed_options rg_embed_default(void)
{
    rg_embed_options o = { .pooling = RG_POOL_DEFAULT, .normalize = 1, .truncate = 1,
                           .n_truncated = 0, .batch_size = DEFAULT_BATCH };
    return o;
}

/* ---- pooling and normalisation ------------------------------------------- */

static const char *const pooling_names[] = { "none", "mean", "cls", "last", "max", "mean-sqrt" };

const char *embed_pooling_name(rg_pooling p)
{
    return p >= RG_POOL_NONE && p <= RG_POOL_MEAN_SQRT ? pooling_names[p] : NULL;
}

int embed_pooling_from_name(const char *name, rg_pooling *out)
{
    for (int p = RG_POOL_MEAN; p <= RG_POOL_MEAN_SQRT; p++)
        if (strcmp(name, pooling_names[p]) == 0) {
            *out = (rg_pooling)p;
            return 0;
        }
    return fail("unknown pooling '%s' (mean, cls, last, max, mean-sqrt)", name);
}

rg_pooling embed_resolve_pooling(rg_pooling requested, rg_pooling declared)
{
    if (requested != RG_POOL_DEFAULT) return requested;
    if (declared >= RG_POOL_MEAN && declared <= RG_POOL_MEAN_SQRT) return declared;
    return RG_POOL_MEAN;
}

/* hidden [n, d] → out [d]. Sums run in double so that mean and mean-sqrt
 * do not depend on the order the tokens come in beyond double rounding. */
void embed_pool(rg_pooling pooling, const float *hidden, int32_t n, int32_t d, float *out)
{
    if (n <= 0) {
        memset(out, 0, (size_t)d * sizeof *out);
        return;
    }
    switch (pooling) {
    case RG_POOL_CLS:
        memcpy(out, hidden, (size_t)d * sizeof *out);
        return;
    case RG_POOL_LAST:
        memcpy(out, hidden + (size_t)(n - 1) * d, (size_t)d * sizeof *out);
        return;
    case RG_POOL_MAX:
        memcpy(out, hidden, (size_t)d * sizeof *out);
        for (int32_t t = 1; t < n; t++)
            for (int32_t i = 0; i < d; i++)
                if (hidden[(size_t)t * d + i] > out[i]) out[i] = hidden[(size_t)t * d + i];
        return;
    default: {                                     /* mean, mean-sqrt */
        double scale = pooling == RG_POOL_MEAN_SQRT ? 1.0 / sqrt((double)n) : 1.0 / n;
        for (int32_t i = 0; i < d; i++) {
            double sum = 0;
            for (int32_t t = 0; t < n; t++) sum += hidden[(size_t)t * d + i];
            out[i] = (float)(sum * scale);
        }
    }
    }
}

void embed_normalize(float *x, int32_t d)
{
    double ss = 0;
    for (int32_t i = 0; i < d; i++) ss += (double)x[i] * x[i];
    if (ss <= 0 || !isfinite(ss)) return;
    float inv = (float)(1.0 / sqrt(ss));
    for (int32_t i = 0; i < d; i++) x[i] *= inv;
}

/* ---- tokenisation ------------------------------------------------------------ */

typedef struct {
    int32_t *ids;            /* the text's tokens (NULL when it has none) */
    int32_t n;
    int truncated;
    rg_status status;
    long bad_byte;           /* invalid UTF-8 at this byte, or -1         */
} TextTokens;

/* Tokenise one text into t (with the model's specials), cut to n_ctx. */
static void tokenize_one(const EmbedModel *m, const char *text, int32_t sep, TextTokens *t)
{
    size_t len = strlen(text);
    size_t bad = utf8_invalid_at(text, len);
    t->bad_byte = bad < len ? (long)bad : -1;
    if (t->bad_byte >= 0) {
        t->status = RG_ERR_FORMAT;
        return;
    }
    size_t cap = (size_t)m->n_ctx + 1, n = 0;
    t->ids = malloc(cap * sizeof *t->ids);
    if (!t->ids) {
        t->status = RG_ERR_NOMEM;
        return;
    }
    rg_status st = m->tok->encode(m->tok_state, text, len, RG_TOKENIZE_ADD_SPECIAL, t->ids, cap, &n);
    if (st != RG_OK && st != RG_ERR_TOO_SMALL) {
        t->status = st;
        return;
    }
    if (n > (size_t)m->n_ctx) {
        t->truncated = 1;
        n = (size_t)m->n_ctx;
        if (sep >= 0) t->ids[n - 1] = sep;       /* keep the closing [SEP] */
    }
    t->n = (int32_t)n;
    t->status = RG_OK;
}

/* ---- batches ----------------------------------------------------------------- */

/* Sort keys: token count in the high half, text index in the low half, so
 * that one integer comparison orders by length and keeps input order
 * within a length (no shared state: qsort has no context argument). */
static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Run texts order[0..count) (all with tokens) through the model and pool
 * each into its row of out. */
static rg_status run_batch(const EmbedModel *m, const TextTokens *tt, const int32_t *order, int32_t count,
                           rg_pooling pooling, float *out)
{
    size_t total = 0;
    for (int32_t b = 0; b < count; b++) total += (size_t)tt[order[b]].n;
    int32_t *ids = xmalloc(total, sizeof *ids), *lens = xmalloc((size_t)count, sizeof *lens);
    float *hidden = xmalloc(total * (size_t)m->n_embd, sizeof *hidden);
    rg_status st = RG_OK;
    if (!ids || !lens || !hidden) {
        st = RG_ERR_NOMEM;
        goto done;
    }
    size_t at = 0;
    for (int32_t b = 0; b < count; b++) {
        const TextTokens *t = &tt[order[b]];
        memcpy(ids + at, t->ids, (size_t)t->n * sizeof *ids);
        lens[b] = t->n;
        at += (size_t)t->n;
    }
    if (m->arch->hidden_batch) {
        st = m->arch->hidden_batch(m->model_state, m->ctx_state, count, lens, ids, hidden);
    } else if (m->arch->hidden) {
        at = 0;
        for (int32_t b = 0; b < count && st == RG_OK; b++) {
            st = m->arch->hidden(m->model_state, m->ctx_state, lens[b], ids + at, hidden + at * (size_t)m->n_embd);
            at += (size_t)lens[b];
        }
    } else {
        fail("architecture %s has no hidden states to embed with", m->arch->name);
        st = RG_ERR_UNSUPPORTED;
    }
    if (st != RG_OK) goto done;
    at = 0;
    for (int32_t b = 0; b < count; b++) {
        embed_pool(pooling, hidden + at * (size_t)m->n_embd, lens[b], m->n_embd, out + (size_t)order[b] * m->n_embd);
        at += (size_t)lens[b];
    }
done:
    free(ids);
    free(lens);
    free(hidden);
    return st;
}

/* ---- rg_embed's body ----------------------------------------------------------- */

static void free_tokens(TextTokens *tt, int32_t n)
{
    for (int32_t i = 0; tt && i < n; i++) free(tt[i].ids);
    free(tt);
}

/* The first text that failed, as an error naming it. */
static rg_status report_failure(const EmbedModel *m, const char *const *texts, const TextTokens *tt, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (tt[i].status == RG_OK) continue;
        if (tt[i].bad_byte >= 0) {
            fail("text %d: invalid UTF-8 at byte %ld", i, tt[i].bad_byte);
        } else if (tt[i].status == RG_ERR_NOMEM) {
            fail("text %d: out of memory while tokenising", i);
        } else {                       /* again on this thread, for its message */
            int32_t one;
            size_t count;
            m->tok->encode(m->tok_state, texts[i], strlen(texts[i]), RG_TOKENIZE_ADD_SPECIAL, &one, 1, &count);
            char why[512];
            snprintf(why, sizeof why, "%s", last_error());
            fail("text %d: %s", i, why);
        }
        return tt[i].status;
    }
    return RG_OK;
}

rg_status embed_texts(const EmbedModel *m, const char *const *texts, int32_t n, rg_embed_options *opt,
                      float *out)
{
    rg_embed_options defaults = rg_embed_default();
    if (!opt) opt = &defaults;
    opt->n_truncated = 0;
    if (n < 0 || (n > 0 && (!texts || !out))) {
        fail("rg_embed: %d texts with a NULL array", n);
        return RG_ERR_INVALID;
    }
    if (n == 0) return RG_OK;
    if (opt->pooling < RG_POOL_DEFAULT || opt->pooling > RG_POOL_MEAN_SQRT || opt->pooling == RG_POOL_NONE) {
        fail("rg_embed: pooling %d is not one of mean, cls, last, max, mean-sqrt", (int)opt->pooling);
        return RG_ERR_INVALID;
    }
    for (int32_t i = 0; i < n; i++)
        if (!texts[i]) {
            fail("text %d: NULL", i);
            return RG_ERR_INVALID;
        }
    rg_pooling pooling = embed_resolve_pooling(opt->pooling, m->declared);
    int32_t batch = opt->batch_size > 0 ? opt->batch_size : DEFAULT_BATCH;
    int32_t sep = m->tok->special ? m->tok->special(m->tok_state, RG_SPECIAL_SEP) : -1;

    TextTokens *tt = xcalloc((size_t)n, sizeof *tt);
    int32_t *order = xmalloc((size_t)n, sizeof *order);
    uint64_t *keys = xmalloc((size_t)n, sizeof *keys);
    if (!tt || !order || !keys) {
        free(tt);
        free(order);
        free(keys);
        return RG_ERR_NOMEM;
    }
    /* A few texts tokenise in microseconds: waking a team for them costs
     * more (on a busy machine, a wait for a core), so only many do. */
    #pragma omp parallel for schedule(dynamic, 16) if (n >= PARALLEL_TEXTS)
    for (int32_t i = 0; i < n; i++) tokenize_one(m, texts[i], sep, &tt[i]);
    rg_status st = report_failure(m, texts, tt, n);
    int32_t n_truncated = 0, first_truncated = -1;
    for (int32_t i = 0; st == RG_OK && i < n; i++)
        if (tt[i].truncated && n_truncated++ == 0) first_truncated = i;
    if (st == RG_OK && n_truncated && !opt->truncate) {
        fail("text %d: longer than the model's context of %d tokens (%d such texts)", first_truncated, m->n_ctx,
             n_truncated);
        st = RG_ERR_LIMIT;
    }

    /* Sort by length, then batches of similar length; texts without tokens
     * (sorted first) are zero vectors. */
    for (int32_t i = 0; i < n; i++) keys[i] = (uint64_t)tt[i].n << 32 | (uint32_t)i;
    qsort(keys, (size_t)n, sizeof *keys, by_key);
    for (int32_t i = 0; i < n; i++) order[i] = (int32_t)(keys[i] & 0xFFFFFFFFu);
    free(keys);
    int32_t from = 0;
    while (st == RG_OK && from < n && tt[order[from]].n == 0)
        memset(out + (size_t)order[from++] * m->n_embd, 0, (size_t)m->n_embd * sizeof *out);
    while (st == RG_OK && from < n) {
        int32_t count = 0;
        size_t tokens = 0;
        while (from + count < n && count < batch &&
               (count == 0 || tokens + (size_t)tt[order[from + count]].n <= MAX_BATCH_TOKENS))
            tokens += (size_t)tt[order[from + count++]].n;
        st = run_batch(m, tt, order + from, count, pooling, out);
        from += count;
    }
    if (st == RG_OK && opt->normalize) {
        #pragma omp parallel for schedule(static) if (n >= PARALLEL_TEXTS)
        for (int32_t i = 0; i < n; i++) embed_normalize(out + (size_t)i * m->n_embd, m->n_embd);
    }
    opt->n_truncated = n_truncated;
    free_tokens(tt, n);
    free(order);
    return st;
}

/* ---- the public entry point --------------------------------------------------- */

rg_pooling embed_declared_pooling(const rg_model *m)
{
    char key[96];
    int64_t declared;
    snprintf(key, sizeof key, "%s.pooling_type", m->arch->name);
    if (rg_source_int(m->src, key, &declared) != RG_OK) return RG_POOL_DEFAULT;
    return declared >= RG_POOL_MEAN && declared <= RG_POOL_LAST ? (rg_pooling)declared : RG_POOL_DEFAULT;
}

rg_status rg_embed(rg_context *ctx, const char *const *texts, int32_t n, rg_embed_options *opt, float *out)
{
    if (!ctx) {
        fail("rg_embed: no context");
        return RG_ERR_INVALID;
    }
    const rg_model *m = ctx->model;
    EmbedModel em = {
        .arch = m->arch, .model_state = m->state, .ctx_state = ctx->state,
        .tok = m->tokenizer->vt, .tok_state = m->tokenizer->state,
        .n_ctx = m->info.n_ctx, .n_embd = m->info.n_embd,
        .declared = embed_declared_pooling(m),
    };
    if (em.n_embd <= 0 || em.n_ctx <= 0) {
        fail("the %s model has no embedding width", m->arch->name);
        return RG_ERR_UNSUPPORTED;
    }
    return embed_texts(&em, texts, n, opt, out);
}
