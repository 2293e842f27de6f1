/*
 * test_llama.c — the GGUF decoders (archs/decoder.h) on small random models
 * built in memory as an rg_source, the way the GGUF reader hands them over:
 * the batched step agrees with token-by-token decoding, sequences in one
 * batch do not see each other, grouped-query attention equals multi-head
 * attention with repeated key/value heads, a tied output equals an explicit
 * copy, and the row operations (RMSNorm, RoPE) have their defining
 * properties. The cross-check against llama.cpp itself is
 * tests/cli/gguf_llamacpp.sh.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "archs/decoder.h"
#include "core/util.h"
#include "rustgpt/plugin.h"

typedef struct {
    int d, layers, heads, kv_heads, ff, vocab, ctx;
    int qwen2, tied;
    uint64_t seed;
    int repeat_kv_of;   /* > 0: build K/V as the heads of a model with this many kv heads, repeated */
} spec;

static float *random_floats(Rng *rng, size_t n, float scale)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = rng_normal(rng) * scale;
    return v;
}

static void add(rg_source *src, const char *name, int64_t cols, int64_t rows, float *data)
{
    rg_tensor t = { name, RG_TYPE_F32, rows > 1 ? 2 : 1, { cols, rows, 1, 1 }, data,
                    (size_t)(cols * rows) * sizeof(float) };
    rg_source_add_tensor(src, &t);
    rg_source_keep(src, data, 0);
}

static float *ones_plus_noise(Rng *rng, int n)
{
    float *v = random_floats(rng, (size_t)n, 0.1f);
    for (int i = 0; i < n; i++) v[i] += 1.0f;
    return v;
}

/* K or V weights of kv_heads heads; with s->repeat_kv_of = g, the rows of
 * the g distinct heads are repeated so that head h equals head h / (kv/g). */
static float *kv_weights(Rng *rng, const spec *s, int hd)
{
    int kv = s->kv_heads, distinct = s->repeat_kv_of > 0 ? s->repeat_kv_of : kv;
    float *base = random_floats(rng, (size_t)distinct * hd * s->d, 0.3f);
    float *w = malloc((size_t)kv * hd * s->d * sizeof *w);
    for (int h = 0; h < kv; h++)
        memcpy(w + (size_t)h * hd * s->d, base + (size_t)(h / (kv / distinct)) * hd * s->d,
               (size_t)hd * s->d * sizeof *w);
    free(base);
    return w;
}

static rg_source *make_model(const spec *s)
{
    const char *arch = s->qwen2 ? "qwen2" : "llama";
    rg_source *src;
    rg_source_new(&src);
    char key[96];
#define SET(k, v) (snprintf(key, sizeof key, "%s." k, arch), rg_source_set_int(src, key, v))
    rg_source_set_string(src, "general.architecture", arch, strlen(arch));
    SET("context_length", s->ctx);
    SET("embedding_length", s->d);
    SET("block_count", s->layers);
    SET("feed_forward_length", s->ff);
    SET("attention.head_count", s->heads);
    SET("attention.head_count_kv", s->kv_heads);
#undef SET
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", arch);
    rg_source_set_float(src, key, 1e-5);
    Rng rng;
    rng_seed(&rng, s->seed);
    int hd = s->d / s->heads;
    /* the same draws for the same names whatever the spec's kv layout */
    add(src, "token_embd.weight", s->d, s->vocab, random_floats(&rng, (size_t)s->vocab * s->d, 1.0f));
    add(src, "output_norm.weight", s->d, 1, ones_plus_noise(&rng, s->d));
    float *out = random_floats(&rng, (size_t)s->vocab * s->d, 0.2f);
    if (s->tied) free(out);
    else add(src, "output.weight", s->d, s->vocab, out);
    for (int l = 0; l < s->layers; l++) {
        char name[64];
#define N(x) (snprintf(name, sizeof name, "blk.%d." x, l), name)
        add(src, N("attn_norm.weight"), s->d, 1, ones_plus_noise(&rng, s->d));
        add(src, N("attn_q.weight"), s->d, s->heads * hd, random_floats(&rng, (size_t)s->d * s->d, 0.3f));
        add(src, N("attn_k.weight"), s->d, s->kv_heads * hd, kv_weights(&rng, s, hd));
        add(src, N("attn_v.weight"), s->d, s->kv_heads * hd, kv_weights(&rng, s, hd));
        if (s->qwen2) {
            add(src, N("attn_q.bias"), s->heads * hd, 1, random_floats(&rng, (size_t)s->heads * hd, 0.1f));
            add(src, N("attn_k.bias"), s->kv_heads * hd, 1, random_floats(&rng, (size_t)s->kv_heads * hd, 0.1f));
            add(src, N("attn_v.bias"), s->kv_heads * hd, 1, random_floats(&rng, (size_t)s->kv_heads * hd, 0.1f));
        }
        add(src, N("attn_output.weight"), s->d, s->d, random_floats(&rng, (size_t)s->d * s->d, 0.2f));
        add(src, N("ffn_norm.weight"), s->d, 1, ones_plus_noise(&rng, s->d));
        add(src, N("ffn_gate.weight"), s->d, s->ff, random_floats(&rng, (size_t)s->ff * s->d, 0.3f));
        add(src, N("ffn_up.weight"), s->d, s->ff, random_floats(&rng, (size_t)s->ff * s->d, 0.3f));
        add(src, N("ffn_down.weight"), s->ff, s->d, random_floats(&rng, (size_t)s->ff * s->d, 0.2f));
#undef N
    }
    return src;
}

typedef struct {
    rg_source *src;
    void *model, *ctx;
    rg_model_info info;
    const rg_arch_vtable *vt;
} runner;

static int open_runner(runner *r, const spec *s, int n_seq)
{
    memset(r, 0, sizeof *r);
    r->src = make_model(s);
    r->vt = s->qwen2 ? &qwen2_arch : &llama_arch;
    if (r->vt->create(r->src, &r->model, &r->info) != RG_OK) {
        printf("    create: %s\n", last_error());
        return -1;
    }
    rg_context_options o = { 0, n_seq, 0 };
    return r->vt->context_new(r->model, &o, &r->ctx) == RG_OK ? 0 : -1;
}

static void close_runner(runner *r)
{
    if (r->ctx) r->vt->context_free(r->ctx);
    if (r->model) r->vt->destroy(r->model);
    rg_source_free(r->src);
}

static const spec base = { 64, 2, 4, 4, 96, 50, 64, 0, 0, 7, 0 };
static const int32_t prompt[] = { 3, 17, 42, 8, 8, 21, 0, 49, 13 };
enum { N_PROMPT = sizeof prompt / sizeof prompt[0] };

static float max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

/* Logits after every prompt token, run one token per call. */
static void stepwise(runner *r, float *out)
{
    int32_t seq = 0;
    for (int i = 0; i < N_PROMPT; i++)
        CHECK(r->vt->decode(r->model, r->ctx, 1, &prompt[i], &seq, NULL, out + (size_t)i * r->info.n_vocab) == RG_OK);
}

static void test_batched_prompt_equals_stepwise(void)
{
    spec variants[3] = { base, base, base };
    variants[1].kv_heads = 2;     /* grouped-query */
    variants[2].qwen2 = 1;        /* biases, neox rotation */
    variants[2].kv_heads = 1;     /* multi-query */
    for (int v = 0; v < 3; v++) {
        runner r;
        if (open_runner(&r, &variants[v], 1) != 0) { CHECK(0); close_runner(&r); continue; }
        size_t V = (size_t)r.info.n_vocab;
        float *a = malloc(N_PROMPT * V * sizeof *a), *b = malloc(N_PROMPT * V * sizeof *b);
        stepwise(&r, a);
        r.vt->context_reset(r.ctx, -1);
        uint8_t want[N_PROMPT];
        int32_t seqs[N_PROMPT] = { 0 };
        memset(want, 1, sizeof want);
        CHECK(r.vt->decode(r.model, r.ctx, N_PROMPT, prompt, seqs, want, b) == RG_OK);
        CHECK(max_abs_diff(a, b, N_PROMPT * V) < 1e-4f);
        CHECK(r.vt->context_n_tokens(r.ctx, 0) == N_PROMPT);
        free(a); free(b);
        close_runner(&r);
    }
}

/* A prompt of 32 tokens or more takes the float GEMM path (decoder_run.c):
 * it must give what token-by-token decoding gives. */
static void test_long_prompt_gemm_path_equals_stepwise(void)
{
    runner r;
    spec s = base;
    s.kv_heads = 2;
    if (open_runner(&r, &s, 1) != 0) { CHECK(0); close_runner(&r); return; }
    enum { LONG = 40 };
    int32_t toks[LONG], seq = 0;
    for (int i = 0; i < LONG; i++) toks[i] = (i * 7 + 3) % 50;
    size_t V = (size_t)r.info.n_vocab;
    float *a = malloc(V * sizeof *a), *b = malloc(V * sizeof *b);
    for (int i = 0; i < LONG; i++) CHECK(r.vt->decode(r.model, r.ctx, 1, &toks[i], &seq, NULL, a) == RG_OK);
    r.vt->context_reset(r.ctx, -1);
    CHECK(r.vt->decode(r.model, r.ctx, LONG, toks, NULL, NULL, b) == RG_OK);
    CHECK(max_abs_diff(a, b, V) < 1e-3f);
    free(a); free(b);
    close_runner(&r);
}

static void test_sequences_in_one_batch_are_independent(void)
{
    runner r;
    spec s = base;
    s.kv_heads = 2;
    if (open_runner(&r, &s, 2) != 0) { CHECK(0); close_runner(&r); return; }
    size_t V = (size_t)r.info.n_vocab;
    float *alone = malloc(2 * V * sizeof *alone), *together = malloc(2 * V * sizeof *together);
    /* sequence 0: the prompt; sequence 1: its first four tokens reversed */
    int32_t other[4] = { 8, 42, 17, 3 }, zero = 0, one = 1;
    CHECK(r.vt->decode(r.model, r.ctx, N_PROMPT, prompt, NULL, NULL, alone) == RG_OK);
    r.vt->context_reset(r.ctx, -1);
    for (int i = 0; i < 4; i++) CHECK(r.vt->decode(r.model, r.ctx, 1, &other[i], &one, NULL, alone + V) == RG_OK);
    (void)zero;
    r.vt->context_reset(r.ctx, -1);
    /* interleaved: 0 1 0 1 0 1 0 1 then the rest of 0; default logits = last of each */
    int32_t toks[N_PROMPT + 4], seqs[N_PROMPT + 4];
    int n = 0;
    for (int i = 0; i < N_PROMPT; i++) {
        toks[n] = prompt[i]; seqs[n++] = 0;
        if (i < 4) { toks[n] = other[i]; seqs[n++] = 1; }
    }
    CHECK(r.vt->decode(r.model, r.ctx, n, toks, seqs, NULL, together) == RG_OK);
    /* the last entry of sequence 1 comes before sequence 0's last */
    CHECK(max_abs_diff(alone + V, together, V) < 1e-4f);
    CHECK(max_abs_diff(alone, together + V, V) < 1e-4f);
    CHECK(r.vt->context_n_tokens(r.ctx, 1) == 4);
    free(alone); free(together);
    close_runner(&r);
}

static void test_grouped_query_equals_repeated_heads(void)
{
    /* 4 kv heads built as 2 distinct heads repeated == 2 kv heads shared by
     * 2 query heads each: the same model, two layouts. */
    spec gqa = base, mha = base;
    gqa.kv_heads = 2;
    mha.kv_heads = 4;
    mha.repeat_kv_of = 2;
    runner a, b;
    if (open_runner(&a, &gqa, 1) != 0 || open_runner(&b, &mha, 1) != 0) { CHECK(0); return; }
    size_t V = (size_t)a.info.n_vocab;
    float *la = malloc(N_PROMPT * V * sizeof *la), *lb = malloc(N_PROMPT * V * sizeof *lb);
    stepwise(&a, la);
    stepwise(&b, lb);
    CHECK(max_abs_diff(la, lb, N_PROMPT * V) < 1e-4f);
    free(la); free(lb);
    close_runner(&a);
    close_runner(&b);
}

static void test_errors_leave_the_cache_unchanged(void)
{
    runner r;
    spec s = base;
    s.ctx = 8;
    if (open_runner(&r, &s, 1) != 0) { CHECK(0); close_runner(&r); return; }
    float *logits = malloc((size_t)r.info.n_vocab * sizeof *logits);
    int32_t bad = 50;
    CHECK(r.vt->decode(r.model, r.ctx, 1, &bad, NULL, NULL, logits) == RG_ERR_INVALID);
    int32_t seq = 3;
    CHECK(r.vt->decode(r.model, r.ctx, 1, prompt, &seq, NULL, logits) == RG_ERR_INVALID);
    CHECK(r.vt->decode(r.model, r.ctx, N_PROMPT, prompt, NULL, NULL, logits) == RG_ERR_LIMIT);
    CHECK(r.vt->context_n_tokens(r.ctx, 0) == 0);
    CHECK(r.vt->decode(r.model, r.ctx, 8, prompt, NULL, NULL, logits) == RG_OK);
    CHECK(r.vt->decode(r.model, r.ctx, 1, prompt, NULL, NULL, logits) == RG_ERR_LIMIT);
    free(logits);
    close_runner(&r);
}

static void test_missing_key_is_named(void)
{
    rg_source *src;
    rg_source_new(&src);
    rg_source_set_string(src, "general.architecture", "llama", 5);
    void *model = NULL;
    rg_model_info info;
    CHECK(llama_arch.create(src, &model, &info) != RG_OK);
    CHECK(strstr(last_error(), "llama.context_length") != NULL);
    rg_source_free(src);
}

static void test_rmsnorm_scales_to_unit_rms(void)
{
    float x[4] = { 1, -2, 3, -4 }, w[4] = { 1, 1, 1, 2 }, out[4];
    rmsnorm_row(out, x, w, 4, 0.0f);
    float rms = sqrtf((1 + 4 + 9 + 16) / 4.0f);
    CHECK_NEAR(out[0], 1 / rms, 1e-6);
    CHECK_NEAR(out[3], -8 / rms, 1e-6);
}

static void test_rope_is_relative(void)
{
    /* rope(q, m) · rope(k, n) depends on m - n only, in both layouts; the
     * dims past n_rot are untouched. */
    for (int neox = 0; neox < 2; neox++) {
        float q[8] = { 0.3f, -1, 2, 0.5f, 1, -0.7f, 0.2f, 9 }, k[8] = { 1, 0.4f, -0.3f, 2, 0.1f, 1, -1, 7 };
        float q1[8], k1[8], q2[8], k2[8];
        memcpy(q1, q, sizeof q); memcpy(k1, k, sizeof k); memcpy(q2, q, sizeof q); memcpy(k2, k, sizeof k);
        rope_apply(q1, 6, neox, 5, 10000.0f, 1.0f, NULL);
        rope_apply(k1, 6, neox, 2, 10000.0f, 1.0f, NULL);
        rope_apply(q2, 6, neox, 13, 10000.0f, 1.0f, NULL);
        rope_apply(k2, 6, neox, 10, 10000.0f, 1.0f, NULL);
        float d1 = 0, d2 = 0;
        for (int i = 0; i < 6; i++) { d1 += q1[i] * k1[i]; d2 += q2[i] * k2[i]; }
        CHECK_NEAR(d1, d2, 1e-5);
        CHECK(q1[6] == q[6] && q1[7] == q[7]);
        float z[8];
        memcpy(z, q, sizeof q);
        rope_apply(z, 6, neox, 0, 10000.0f, 1.0f, NULL);
        CHECK(memcmp(z, q, sizeof q) == 0);
    }
    /* normal layout turns (v0, v1) by pos radians at pair 0 */
    float v[4] = { 1, 0, 1, 0 };
    rope_apply(v, 4, 0, 1, 10000.0f, 1.0f, NULL);
    CHECK_NEAR(v[0], cosf(1.0f), 1e-6);
    CHECK_NEAR(v[1], sinf(1.0f), 1e-6);
    CHECK_NEAR(v[3], sinf(0.01f), 1e-6);   /* pair 1: 10000^(-2/4) = 0.01 */
}

int main(void)
{
    RUN(test_batched_prompt_equals_stepwise);
    RUN(test_long_prompt_gemm_path_equals_stepwise);
    RUN(test_sequences_in_one_batch_are_independent);
    RUN(test_grouped_query_equals_repeated_heads);
    RUN(test_errors_leave_the_cache_unchanged);
    RUN(test_missing_key_is_named);
    RUN(test_rmsnorm_scales_to_unit_rms);
    RUN(test_rope_is_relative);
    TESTS_DONE();
}
