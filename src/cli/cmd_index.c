/*
 * cmd_index.c — `rustgpt index` and `rustgpt search`: a searchable file of
 * embeddings (src/infer/index.c has the format and the search).
 *
 *   rustgpt index  --model M FILE -o docs.idx [--pooling P] [--batch N] [--threads N]
 *   rustgpt search docs.idx "query" [-k 5] [--model M] [--pooling P] [--threads N] [--verify]
 *
 * search loads the model the index names (or --model), checks that it is
 * the same model — its embedding of a fixed probe text must match the one
 * stored, to cosine 0.9999 — and the same pooling, embeds the query and
 * prints the top k lines as "score<TAB>line<TAB>text", best first.
 */
#include "cli/cli.h"
#include "cli/embed_cli.h"
#include "core/util.h"
#include "infer/embed.h"
#include "infer/index.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char index_help[] =
    "usage: rustgpt index --model M FILE -o OUT.idx [--pooling P] [--batch N] [--threads N]\n"
    "Embed every line of FILE (normalised) into a searchable index file.\n";
const char search_help[] =
    "usage: rustgpt search INDEX \"query\" [-k 5] [--model M] [--pooling P] [--threads N] [--verify]\n"
    "The k lines most similar to the query (exact cosine), as score, line number, text.\n"
    "The model is the one the index names (--model to point elsewhere); an index made\n"
    "with another model or pooling is refused. --verify checks every checksum.\n";

static void set_threads(int threads)
{
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#else
    (void)threads;
#endif
}

/* The options both commands take; returns 1 if argv[*i] was one of them,
 * 0 if not, -1 after a usage error. */
static int common_option(int argc, char **argv, int *i, const char **model, rg_embed_options *opt, int *threads)
{
    const char *a = argv[*i], *v;
    if (strcmp(a, "--model") == 0) return (*model = option_value(argc, argv, i)) ? 1 : -1;
    if (strcmp(a, "--pooling") == 0)
        return (v = option_value(argc, argv, i)) && parse_pooling(v, &opt->pooling) == 0 ? 1 : -1;
    if (strcmp(a, "--batch") == 0)
        return (v = option_value(argc, argv, i)) && parse_int("--batch", v, 1, 4096, &opt->batch_size) == 0 ? 1 : -1;
    if (strcmp(a, "--threads") == 0)
        return (v = option_value(argc, argv, i)) && parse_int("--threads", v, 1, 1024, threads) == 0 ? 1 : -1;
    return 0;
}

int cmd_index(int argc, char **argv)
{
    const char *model_path = NULL, *input = NULL, *output = NULL;
    rg_embed_options opt = rg_embed_default();
    int threads = 0, r;
    for (int i = 1; i < argc; i++) {
        if ((r = common_option(argc, argv, &i, &model_path, &opt, &threads)) < 0) return EXIT_USAGE;
        if (r) continue;
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) {
            if (!(output = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (is_option(argv[i])) {
            return usage_error("index: unknown option '%s'", argv[i]);
        } else if (input) {
            return usage_error("index: one input file (got '%s' and '%s')", input, argv[i]);
        } else {
            input = argv[i];
        }
    }
    if (!model_path || !input || !output) return usage_error("usage: rustgpt index --model M FILE -o OUT.idx");
    set_threads(threads);
    TextList list;
    if (read_texts(input, &list) != 0) {
        text_list_free(&list);
        return EXIT_RUNTIME;
    }
    Embedder e;
    if (embedder_open(&e, model_path, threads) != 0) {
        text_list_free(&list);
        return EXIT_RUNTIME;
    }
    int32_t d = e.info.n_embd;
    opt.normalize = 1;
    opt.pooling = embed_resolve_pooling(opt.pooling, embed_declared_pooling(e.model));
    float *vectors = xmalloc((size_t)(list.n ? list.n : 1) * d, sizeof *vectors), *probe = xmalloc((size_t)d, sizeof *probe);
    char *model = embedder_model_string(&e);
    const char *probe_text = INDEX_PROBE_TEXT;
    int status = EXIT_RUNTIME;
    rg_embed_options probe_opt = opt;
    if (vectors && probe && model && rg_embed(e.ctx, &probe_text, 1, &probe_opt, probe) == RG_OK &&
        embedder_run(&e, (const char *const *)list.texts, list.n, &opt, vectors) == 0 &&
        index_write(output, model, opt.pooling, (uint32_t)d, probe, vectors, (uint64_t)list.n,
                    (const char *const *)list.texts) == 0) {
        fprintf(stderr, "indexed %d texts, dimension %d, pooling %s: %s\n", list.n, d,
                embed_pooling_name(opt.pooling), output);
        if (opt.n_truncated)
            fprintf(stderr, "rustgpt: warning: %d texts were truncated to the context of %d tokens\n",
                    opt.n_truncated, e.info.n_ctx);
        status = EXIT_OK;
    }
    free(vectors);
    free(probe);
    free(model);
    embedder_close(&e);
    text_list_free(&list);
    return status;
}

static double cosine(const float *a, const float *b, uint32_t d)
{
    double dot = 0, na = 0, nb = 0;
    for (uint32_t i = 0; i < d; i++) {
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    return na > 0 && nb > 0 ? dot / sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
}

int cmd_search(int argc, char **argv)
{
    const char *model_path = NULL, *index_path = NULL, *query = NULL;
    rg_embed_options opt = rg_embed_default();
    int threads = 0, k = 5, verify = 0, r;
    for (int i = 1; i < argc; i++) {
        if ((r = common_option(argc, argv, &i, &model_path, &opt, &threads)) < 0) return EXIT_USAGE;
        if (r) continue;
        const char *v;
        if (strcmp(argv[i], "-k") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("-k", v, 1, 1000000, &k)) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--verify") == 0) {
            verify = 1;
        } else if (is_option(argv[i])) {
            return usage_error("search: unknown option '%s'", argv[i]);
        } else if (!index_path) {
            index_path = argv[i];
        } else if (!query) {
            query = argv[i];
        } else {
            return usage_error("search: one index and one query (quote the query)");
        }
    }
    if (!index_path || !query) return usage_error("usage: rustgpt search INDEX \"query\" [-k 5]");
    set_threads(threads);
    EmbIndex *ix;
    if (index_open(index_path, verify, &ix) != 0) return EXIT_RUNTIME;
    uint32_t d = index_dim(ix);
    char *stored_model = xstrdup(index_model(ix)), *tab = stored_model ? strchr(stored_model, '\t') : NULL;
    if (tab) *tab = 0;
    if (!model_path) model_path = stored_model;
    int status = EXIT_RUNTIME;
    Embedder e = { 0 };
    float *q = xmalloc(d, sizeof *q), *probe = xmalloc(d, sizeof *probe);
    IndexHit *hits = xmalloc((size_t)k, sizeof *hits);
    if (!stored_model || !q || !probe || !hits || embedder_open(&e, model_path, threads) != 0) goto done;
    if (opt.pooling != RG_POOL_DEFAULT && opt.pooling != index_pooling(ix)) {
        fail("%s was made with pooling %s, not %s", index_path, embed_pooling_name(index_pooling(ix)),
             embed_pooling_name(opt.pooling));
        goto done;
    }
    opt.pooling = (rg_pooling)index_pooling(ix);
    if (embed_pooling_name(opt.pooling) == NULL || opt.pooling == RG_POOL_NONE) {
        fail("%s: unknown pooling %d", index_path, (int)opt.pooling);
        goto done;
    }
    const char *probe_text = INDEX_PROBE_TEXT;
    if ((uint32_t)e.info.n_embd != d || rg_embed(e.ctx, &probe_text, 1, &opt, probe) != RG_OK ||
        cosine(probe, index_probe(ix), d) < 0.9999) {
        fail("%s was made with another model (%s), not %s", index_path, index_model(ix), model_path);
        goto done;
    }
    if (rg_embed(e.ctx, &query, 1, &opt, q) != RG_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", rg_last_error());
        fail("the query: %s", why);
        goto done;
    }
    int n = index_search(index_vectors(ix), index_count(ix), d, q, k, hits);
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *text = index_text(ix, hits[i].id, &len);
        printf("%.4f\t%llu\t%.*s\n", hits[i].score, (unsigned long long)hits[i].id + 1, (int)len, text);
    }
    status = n >= 0 ? EXIT_OK : EXIT_RUNTIME;
done:
    embedder_close(&e);
    free(stored_model);
    free(q);
    free(probe);
    free(hits);
    index_close(ix);
    return status;
}
