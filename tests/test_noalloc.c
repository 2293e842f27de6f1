/*
 * test_noalloc.c — the hot paths allocate nothing: a generation step
 * (rg_decode of one token, then rg_sample) and rg_tokenize into a caller
 * buffer. The library's calls to malloc, calloc and realloc are counted
 * through the linker's --wrap (the Makefile links this test with
 * -Wl,--wrap=malloc,...), which sees every call the library's own code
 * makes, under ASan too.
 */
#include "rustgpt.h"
#include "formats/modelfile.h"
#include "tiny_model.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static int counting;
static long allocations;

void *__wrap_malloc(size_t n) { allocations += counting; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { allocations += counting; return __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { allocations += counting; return __real_realloc(p, n); }

static void test_wrapper_counts(void)
{
    counting = 1;
    allocations = 0;
    rg_sampler *s;
    rg_sampling p = rg_sampling_default();
    CHECK(rg_sampler_new(&p, 8, &s) == RG_OK);     /* allocates: the wrapper must see it */
    counting = 0;
    CHECK(allocations >= 2);
    rg_sampler_free(s);
}

static void test_generation_step_and_tokenize(void)
{
    char path[] = "/tmp/rustgpt-noalloc-XXXXXX.bin";
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    close(fd);
    Model ref;
    tiny_model(&ref, 16, 1);
    CHECK(model_save(&ref, path) == 0);
    model_free(&ref);
    rg_model *m;
    CHECK(rg_model_load(path, NULL, &m) == RG_OK);
    unlink(path);
    rg_context *ctx;
    CHECK(rg_context_new(m, NULL, &ctx) == RG_OK);
    const rg_tokenizer *tok = rg_model_tokenizer(m);
    rg_sampling params = rg_sampling_default();
    params.repeat_penalty = 1.3f;
    rg_sampler *s;
    CHECK(rg_sampler_new(&params, V, &s) == RG_OK);
    float logits[V];
    int32_t ids[64];
    size_t n_ids;
    const char *text = "User: a b c Assistant: d e f </s>";
    int32_t token = 5;
    CHECK(rg_decode(ctx, 1, &token, NULL, NULL, logits) == RG_OK);   /* warm up */

    counting = 1;
    allocations = 0;
    int ok = 1;
    for (int step = 0; step < 40; step++) {        /* past the window of 16: it slides */
        token = rg_sample(s, logits, ids, step < 8 ? step : 8);
        ok &= rg_decode(ctx, 1, &token, NULL, NULL, logits) == RG_OK;
        ok &= rg_tokenize(tok, text, strlen(text), 0, ids, 64, &n_ids) == RG_OK;
    }
    char out[256];
    size_t len;
    ok &= rg_detokenize(tok, ids, n_ids, out, sizeof out, &len) == RG_OK;
    counting = 0;
    CHECK(ok);
    CHECK(allocations == 0);
    if (allocations) printf("    %ld allocations in the hot path\n", allocations);
    rg_sampler_free(s);
    rg_context_free(ctx);
    rg_model_free(m);
}

int main(void)
{
    RUN(test_wrapper_counts);
    RUN(test_generation_step_and_tokenize);
    TESTS_DONE();
}
