/*
 * test_embed.c — WordPiece, the bert architecture and pooling, on a tiny
 * random-weight BERT built in memory (bert_fixture.h).
 *
 * What is protected: WordPiece's pre-tokenisation and greedy matching as
 * llama.cpp does them; the five poolings' arithmetic; unit norm; a text's
 * vector is the same whatever batch it is in and however many threads run;
 * the packed SIMD forward agrees with the scalar reference;
 * truncation counts and refusal; empty texts; invalid UTF-8 names its text;
 * bert's loader refuses malformed sources.
 */
#include "test.h"
#include "bert_fixture.h"
#include "archs/bert.h"
#include "core/kernels/kernels.h"
#include "infer/embed.h"
#include "tokenizers/wordpiece.h"

#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const rg_tokenizer_vtable *WP = &wordpiece_tokenizer_vtable;

typedef struct {
    rg_source *src;
    void *model, *ctx, *tok;
    rg_model_info info;
    EmbedModel em;
} Loaded;

/* A random BERT of width d, FFN ff, T positions (bert_fixture.h). */
static int load_sized(Loaded *l, int d, int heads, int ff, int T)
{
    memset(l, 0, sizeof *l);
    l->src = bert_fixture(d, heads, ff, 2, T, 1, 7);
    if (!l->src) return -1;
    if (bert_arch_vtable.create(l->src, &l->model, &l->info) != RG_OK) return -1;
    if (bert_arch_vtable.context_new(l->model, NULL, &l->ctx) != RG_OK) return -1;
    if (WP->from_source(l->src, &l->tok) != RG_OK) return -1;
    l->em = (EmbedModel){ .arch = &bert_arch_vtable, .model_state = l->model, .ctx_state = l->ctx,
                          .tok = WP, .tok_state = l->tok, .n_ctx = l->info.n_ctx,
                          .n_embd = l->info.n_embd, .declared = RG_POOL_MEAN };
    return 0;
}

static int load_fixture(Loaded *l, int T) { return load_sized(l, 32, 4, 64, T); }

static void unload(Loaded *l)
{
    if (l->tok) WP->destroy(l->tok);
    if (l->ctx) bert_arch_vtable.context_free(l->ctx);
    if (l->model) bert_arch_vtable.destroy(l->model);
    rg_source_free(l->src);
}

/* Encode text without specials into a string of ids "2 5 3". */
static const char *ids_of(const void *tok, const char *text, int flags)
{
    static char buf[512];
    int32_t ids[64];
    size_t n = 0;
    rg_status st = WP->encode(tok, text, strlen(text), flags, ids, 64, &n);
    if (st != RG_OK) return "error";
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), i ? " %d" : "%d", ids[i]);
    return buf;
}

#define CHECK_IDS(tok, text, flags, want) do { const char *got_ = ids_of(tok, text, flags); \
    if (strcmp(got_, want) != 0) { printf("    %s:%d: \"%s\" -> [%s], expected [%s]\n", __FILE__, __LINE__, \
                                          text, got_, want); test_failed_checks++; } } while (0)

static void wordpiece_matches_llama_cpp_rules(void)
{
    Loaded l;
    CHECK(load_fixture(&l, 24) == 0);
    /* whole words, continuations, specials around */
    CHECK_IDS(l.tok, "the cat sat", RG_TOKENIZE_ADD_SPECIAL, "2 5 6 7 3");
    CHECK_IDS(l.tok, "unaffable", 0, "10 11 12");
    /* lowercase; punctuation split off; ASCII symbols split */
    CHECK_IDS(l.tok, "The CAT, sat!", 0, "5 6 14 7 15");
    CHECK_IDS(l.tok, "(x)", 0, "31 33 32");
    /* a word with an unmatched position is one [UNK], never a partial */
    CHECK_IDS(l.tok, "cats catz", 0, "6 17 1");
    /* accents stripped when lowercasing: café → cafe; naïve → naive */
    CHECK_IDS(l.tok, "Caf\xc3\xa9 na\xc3\xafve", 0, "19 36 37");
    /* CJK ideographs are words of their own */
    CHECK_IDS(l.tok, "\xe4\xb8\xad\xe6\x96\x87", 0, "20 21");
    /* whitespace of every kind, control characters dropped */
    CHECK_IDS(l.tok, " \t the\xc2\xa0" "cat\x01\n", 0, "5 6");
    /* empty and whitespace-only: the specials alone */
    CHECK_IDS(l.tok, "", RG_TOKENIZE_ADD_SPECIAL, "2 3");
    CHECK_IDS(l.tok, "  \n ", RG_TOKENIZE_ADD_SPECIAL, "2 3");
    /* special token text is plain text unless asked */
    CHECK_IDS(l.tok, "[SEP]", 0, "1 1 1");
    CHECK_IDS(l.tok, "the[SEP]cat", RG_TOKENIZE_PARSE_SPECIAL, "5 3 6");
    /* a word longer than the matching window: still one [UNK], bounded memory */
    char long_word[5000];
    memset(long_word, 'x', sizeof long_word - 1);
    long_word[sizeof long_word - 1] = 0;
    char want[5000 * 3];
    strcpy(want, "33");
    for (int i = 1; i < 4999; i++) strcat(want, " 34");
    int32_t *ids = malloc(6000 * sizeof *ids);
    size_t n = 0;
    CHECK(WP->encode(l.tok, long_word, strlen(long_word), 0, ids, 6000, &n) == RG_OK);
    CHECK(n == 4999 && ids[0] == 33 && ids[4998] == 34);
    /* too small a buffer: the count needed */
    CHECK(WP->encode(l.tok, "the cat sat", 11, 0, ids, 2, &n) == RG_ERR_TOO_SMALL && n == 3);
    /* invalid UTF-8 is an error naming the byte */
    CHECK(WP->encode(l.tok, "the \xff", 5, 0, ids, 10, &n) == RG_ERR_FORMAT);
    CHECK(strstr(last_error(), "byte 4") != NULL);
    free(ids);
    /* decode joins words, attaches continuations */
    int32_t dec_ids[] = { 2, 10, 11, 12, 6, 3 };
    char text[64];
    size_t len;
    CHECK(WP->decode(l.tok, dec_ids, 6, text, sizeof text, &len) == RG_OK);
    CHECK(strcmp(text, "unaffable cat") == 0);
    unload(&l);
}

static void wordpiece_reads_vocab_txt(void)
{
    char path[] = "/tmp/rustgpt_vocab_XXXXXX.txt";
    int fd = mkstemps(path, 4);
    FILE *f = fdopen(fd, "w");
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##ing\nwalk\n!\n", f);
    fclose(f);
    unsigned char head[64];
    memcpy(head, "[PAD]\n[UNK]\n", 12);
    CHECK(WP->probe(path, head, 12));
    void *tok = NULL;
    CHECK(WP->load(path, &tok) == RG_OK);
    if (tok) {
        CHECK_IDS(tok, "Walking hello!", RG_TOKENIZE_ADD_SPECIAL, "2 6 5 4 7 3");
        size_t len;
        CHECK(strcmp(WP->piece(tok, 5, &len), "ing") == 0);
        CHECK(strcmp(WP->piece(tok, 4, &len), "\xe2\x96\x81hello") == 0);
        /* and back to vocab.txt, line for line */
        CHECK(WP->save(tok, path) == RG_OK);
        size_t size;
        char *text = read_whole_file(path, &size);
        CHECK(text && strcmp(text, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##ing\nwalk\n!\n") == 0);
        free(text);
        WP->destroy(tok);
    }
    remove(path);
}

static void pooling_arithmetic(void)
{
    /* hidden states of 3 tokens, d = 2 */
    const float h[] = { 1, -2,   3, 4,   -1, 1 };
    float out[2];
    embed_pool(RG_POOL_MEAN, h, 3, 2, out);       CHECK_NEAR(out[0], 1.0, 1e-6);  CHECK_NEAR(out[1], 1.0, 1e-6);
    embed_pool(RG_POOL_CLS, h, 3, 2, out);        CHECK(out[0] == 1 && out[1] == -2);
    embed_pool(RG_POOL_LAST, h, 3, 2, out);       CHECK(out[0] == -1 && out[1] == 1);
    embed_pool(RG_POOL_MAX, h, 3, 2, out);        CHECK(out[0] == 3 && out[1] == 4);
    embed_pool(RG_POOL_MEAN_SQRT, h, 3, 2, out);  CHECK_NEAR(out[0], 3 / sqrt(3), 1e-6);
    embed_pool(RG_POOL_MEAN, h, 0, 2, out);       CHECK(out[0] == 0 && out[1] == 0);
    float v[] = { 3, 4 };
    embed_normalize(v, 2);                        CHECK_NEAR(v[0], 0.6, 1e-7);  CHECK_NEAR(v[1], 0.8, 1e-7);
    float z[] = { 0, 0 };
    embed_normalize(z, 2);                        CHECK(z[0] == 0 && z[1] == 0);
    rg_pooling p;
    CHECK(embed_pooling_from_name("mean-sqrt", &p) == 0 && p == RG_POOL_MEAN_SQRT);
    CHECK(embed_pooling_from_name("sum", &p) != 0);
    CHECK(embed_resolve_pooling(RG_POOL_DEFAULT, RG_POOL_CLS) == RG_POOL_CLS);
    CHECK(embed_resolve_pooling(RG_POOL_DEFAULT, RG_POOL_DEFAULT) == RG_POOL_MEAN);
    CHECK(embed_resolve_pooling(RG_POOL_MAX, RG_POOL_CLS) == RG_POOL_MAX);
}

static const char *const texts[] = {
    "the cat sat on the mat", "hello world", "", "unaffable dogs!", "the", "   ",
    "\xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9", "a b c d e a b c d e a b c d e", "running (x) , !", "na\xc3\xafve",
};
enum { N_TEXTS = sizeof texts / sizeof texts[0] };

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* For both fixtures: the small one, and one wide enough that the packed
 * products have partial panels (d = 96: 3d = 288 columns), k-blocks (the
 * FFN's 600 inputs) and column blocks (its 600 outputs). */
static void batches_equal_single_texts_in(int d_model, int ff)
{
    Loaded l;
    CHECK(load_sized(&l, d_model, d_model / 32 > 1 ? d_model / 32 : 4, ff, 24) == 0);
    int d = l.info.n_embd;
    float *single = malloc(N_TEXTS * (size_t)d * sizeof(float)), *batched = malloc(N_TEXTS * (size_t)d * sizeof(float));
    rg_embed_options o = rg_embed_default();
    o.batch_size = 1;
    omp_set_num_threads(1);
    for (int i = 0; i < N_TEXTS; i++)
        CHECK(embed_texts(&l.em, &texts[i], 1, &o, single + (size_t)i * d) == RG_OK);
    for (int threads = 1; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (int batch = 1; batch <= N_TEXTS + 1; batch++) {
            o.batch_size = batch;
            CHECK(embed_texts(&l.em, texts, N_TEXTS, &o, batched) == RG_OK);
            double diff = max_diff(single, batched, N_TEXTS * (size_t)d);
            if (diff > 1e-6) printf("    threads %d batch %d: max difference %g\n", threads, batch, diff);
            CHECK(diff <= 1e-6);
        }
    }
    omp_set_num_threads(2);
    for (int i = 0; i < N_TEXTS; i++) {                       /* unit norm */
        double ss = 0;
        for (int k = 0; k < d; k++) ss += (double)single[i * d + k] * single[i * d + k];
        CHECK_NEAR(ss, 1.0, 1e-5);
    }
    CHECK(max_diff(single + 2 * d, single + 5 * d, (size_t)d) == 0);   /* "" and "   " */
    free(single);
    free(batched);
    unload(&l);
}

/* A text of 150 tokens alone has its products split across the threads
 * (bert_forward.c), in whole panels and, past 128 rows, in two row chunks
 * of the packed product; beside short texts it is a chunk of its own; on
 * one thread it is neither. Its vector is the same all three ways. */
static void a_long_text_is_the_same_alone_batched_and_threaded(void)
{
    Loaded l;
    CHECK(load_sized(&l, 96, 3, 600, 160) == 0);
    int d = l.info.n_embd;
    char long_text[700] = "";
    for (int i = 0; i < 148; i++) strcat(long_text, i % 3 ? "the " : "cat ");
    const char *in[] = { texts[0], long_text, texts[1], texts[3] };
    float one[4 * 96], split[96], batched[4 * 96];
    rg_embed_options o = rg_embed_default();
    o.normalize = 0;
    omp_set_num_threads(1);
    CHECK(embed_texts(&l.em, in, 4, &o, one) == RG_OK);
    CHECK(o.n_truncated == 0);
    omp_set_num_threads(2);
    CHECK(embed_texts(&l.em, &in[1], 1, &o, split) == RG_OK);
    CHECK(embed_texts(&l.em, in, 4, &o, batched) == RG_OK);
    CHECK(max_diff(one + d, split, (size_t)d) <= 1e-6);
    CHECK(max_diff(one, batched, 4 * (size_t)d) <= 1e-6);
    unload(&l);
}

static void batches_equal_single_texts(void)
{
    batches_equal_single_texts_in(32, 64);
    batches_equal_single_texts_in(96, 600);
}

/* The fast path (weights packed at load, the widest kernel table, SIMD
 * GELU and attention) against the scalar reference (RUSTGPT_KERNELS=scalar:
 * plain weights, textbook loops) on the wide fixture, unnormalised so
 * that nothing hides a difference of scale: within 1e-5 of each other
 * (float sums of 600 terms in another order, through two layers). */
static void packed_simd_path_matches_scalar_reference(void)
{
    const char *widest = kernels()->name;
    Loaded l;
    CHECK(load_sized(&l, 96, 3, 600, 24) == 0);
    int d = l.info.n_embd;
    float *fast = malloc(N_TEXTS * (size_t)d * sizeof(float)), *ref = malloc(N_TEXTS * (size_t)d * sizeof(float));
    rg_embed_options o = rg_embed_default();
    o.normalize = 0;
    omp_set_num_threads(2);
    CHECK(embed_texts(&l.em, texts, N_TEXTS, &o, fast) == RG_OK);
    CHECK(kernels_select("scalar") == 0);
    CHECK(embed_texts(&l.em, texts, N_TEXTS, &o, ref) == RG_OK);
    CHECK(kernels_select(widest) == 0);
    double diff = max_diff(fast, ref, N_TEXTS * (size_t)d), scale = 0;
    for (size_t i = 0; i < N_TEXTS * (size_t)d; i++) scale = fmax(scale, fabs(ref[i]));
    printf("    %s against scalar: max difference %.3g (values up to %.3g)\n", widest, diff, scale);
    CHECK(scale > 0.1 && diff <= 1e-5);
    free(fast);
    free(ref);
    unload(&l);
}

static void poolings_differ_and_normalize_is_optional(void)
{
    Loaded l;
    CHECK(load_fixture(&l, 24) == 0);
    int d = l.info.n_embd;
    float a[64], b[64];
    rg_embed_options o = rg_embed_default();
    const char *t = "the cat sat";
    o.pooling = RG_POOL_MEAN;  CHECK(embed_texts(&l.em, &t, 1, &o, a) == RG_OK);
    o.pooling = RG_POOL_CLS;   CHECK(embed_texts(&l.em, &t, 1, &o, b) == RG_OK);
    CHECK(max_diff(a, b, (size_t)d) > 1e-3);
    o.pooling = RG_POOL_MEAN_SQRT; o.normalize = 0;
    CHECK(embed_texts(&l.em, &t, 1, &o, b) == RG_OK);
    double na = 0, nb = 0, dot = 0;
    for (int k = 0; k < d; k++) { na += a[k] * a[k]; nb += b[k] * b[k]; dot += a[k] * b[k]; }
    CHECK(fabs(nb - 1.0) > 1e-3);                     /* not normalised */
    CHECK_NEAR(dot / sqrt(na * nb), 1.0, 1e-6);       /* mean-sqrt ∥ mean */
    unload(&l);
}

static void truncation_counts_or_refuses(void)
{
    Loaded l;
    CHECK(load_fixture(&l, 8) == 0);       /* 8 positions: [CLS] + 6 words + [SEP] */
    int d = l.info.n_embd;
    const char *in[] = { "the cat sat on the mat the cat sat", "hello", "a b c d e a b c d e" };
    float out[3 * 64], cut[64];
    rg_embed_options o = rg_embed_default();
    CHECK(embed_texts(&l.em, in, 3, &o, out) == RG_OK);
    CHECK(o.n_truncated == 2);
    /* the truncated text is its first 6 words between [CLS] and [SEP] */
    const char *first6 = "the cat sat on the mat";
    CHECK(embed_texts(&l.em, &first6, 1, &o, cut) == RG_OK);
    CHECK(max_diff(out, cut, (size_t)d) <= 1e-6);
    o.truncate = 0;
    CHECK(embed_texts(&l.em, in, 3, &o, out) == RG_ERR_LIMIT);
    CHECK(strstr(last_error(), "text 0") != NULL);
    unload(&l);
}

static void invalid_utf8_names_the_text(void)
{
    Loaded l;
    CHECK(load_fixture(&l, 24) == 0);
    const char *in[] = { "fine", "also fine", "bro\xc3(ken" };
    float out[3 * 64];
    CHECK(embed_texts(&l.em, in, 3, NULL, out) == RG_ERR_FORMAT);
    CHECK(strstr(last_error(), "text 2") && strstr(last_error(), "byte 3"));
    rg_embed_options o = rg_embed_default();
    o.pooling = RG_POOL_NONE;
    CHECK(embed_texts(&l.em, in, 1, &o, out) == RG_ERR_INVALID);
    unload(&l);
}

static void bert_refuses_malformed_sources(void)
{
    rg_source *src = bert_fixture(32, 5, 64, 1, 16, 1, 1);       /* 32 % 5 != 0 */
    void *m = NULL;
    rg_model_info info;
    CHECK(bert_arch_vtable.create(src, &m, &info) == RG_ERR_FORMAT);
    CHECK(strstr(last_error(), "head_count") != NULL);
    rg_source_free(src);
    src = bert_fixture(32, 4, 64, 2, 16, 1, 1);
    rg_source_set_int(src, "bert.block_count", 3);                  /* blk.2 is missing */
    CHECK(bert_arch_vtable.create(src, &m, &info) == RG_ERR_FORMAT);
    CHECK(strstr(last_error(), "blk.2.attn_q.weight") != NULL);
    rg_source_set_int(src, "bert.block_count", 2);
    rg_source_set_int(src, "bert.feed_forward_length", 65);         /* shapes disagree */
    CHECK(bert_arch_vtable.create(src, &m, &info) == RG_ERR_FORMAT);
    CHECK(strstr(last_error(), "shape") != NULL);
    rg_source_free(src);
}

/* Many threads, one shared model, a context each: every thread's vectors
 * equal the single-threaded ones. */
typedef struct {
    Loaded *shared;
    float *out;
    rg_status status;
} Worker;

static void *embed_worker(void *arg)
{
    Worker *w = arg;
    void *ctx = NULL;
    w->status = bert_arch_vtable.context_new(w->shared->model, NULL, &ctx);
    EmbedModel em = w->shared->em;
    em.ctx_state = ctx;
    for (int round = 0; w->status == RG_OK && round < 3; round++)
        w->status = embed_texts(&em, texts, N_TEXTS, NULL, w->out);
    bert_arch_vtable.context_free(ctx);
    kernels_release_scratch();       /* this thread's OpenMP team's packing buffers */
    return NULL;
}

static void threads_share_one_model(void)
{
    Loaded l;
    CHECK(load_fixture(&l, 24) == 0);
    int d = l.info.n_embd;
    float *want = malloc(N_TEXTS * (size_t)d * sizeof(float));
    CHECK(embed_texts(&l.em, texts, N_TEXTS, NULL, want) == RG_OK);
    enum { WORKERS = 4 };
    pthread_t tid[WORKERS];
    Worker w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (Worker){ .shared = &l, .out = malloc(N_TEXTS * (size_t)d * sizeof(float)) };
        pthread_create(&tid[i], NULL, embed_worker, &w[i]);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(tid[i], NULL);
        CHECK(w[i].status == RG_OK);
        CHECK(max_diff(want, w[i].out, N_TEXTS * (size_t)d) <= 1e-6);
        free(w[i].out);
    }
    free(want);
    unload(&l);
}

int main(void)
{
    RUN(wordpiece_matches_llama_cpp_rules);
    RUN(wordpiece_reads_vocab_txt);
    RUN(pooling_arithmetic);
    RUN(batches_equal_single_texts);
    RUN(a_long_text_is_the_same_alone_batched_and_threaded);
    RUN(packed_simd_path_matches_scalar_reference);
    RUN(poolings_differ_and_normalize_is_optional);
    RUN(truncation_counts_or_refuses);
    RUN(invalid_utf8_names_the_text);
    RUN(bert_refuses_malformed_sources);
    RUN(threads_share_one_model);
    TESTS_DONE();
}
