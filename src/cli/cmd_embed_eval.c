/*
 * cmd_embed_eval.c — `rustgpt embed-eval --model M pairs.tsv`: how well a
 * model (and pooling) retrieves the right text for a query.
 *
 * Each line of pairs.tsv is "query<TAB>relevant text". Every query is
 * embedded, and so is every text; query i's relevant text is text i, and
 * its rank is 1 + the number of texts scoring strictly higher (cosine of
 * normalised vectors). Reported over all queries:
 *   recall@1  the fraction ranked first        recall@5  ... in the top 5
 *   MRR       the mean of 1 / rank
 */
#include "cli/cli.h"
#include "cli/embed_cli.h"
#include "core/tensor.h"
#include "core/util.h"
#include "infer/embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char embed_eval_help[] =
    "usage: rustgpt embed-eval --model M [--pooling P] [--threads N] pairs.tsv\n"
    "Each line: query<TAB>relevant text. Ranks every query's text among all texts and\n"
    "prints recall@1, recall@5 and MRR.\n";

enum { EVAL_CHUNK = 256 };   /* queries scored per matrix product */

int cmd_embed_eval(int argc, char **argv)
{
    const char *model_path = NULL, *input = NULL, *v;
    rg_embed_options opt = rg_embed_default();
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) {
            if (!(model_path = option_value(argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--pooling") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_pooling(v, &opt.pooling) != 0) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 1024, &threads)) return EXIT_USAGE;
        } else if (is_option(argv[i])) {
            return usage_error("embed-eval: unknown option '%s'", argv[i]);
        } else if (input) {
            return usage_error("embed-eval: one pairs file");
        } else {
            input = argv[i];
        }
    }
    if (!model_path || !input) return usage_error("usage: rustgpt embed-eval --model M pairs.tsv");
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#endif
    TextList list;
    if (read_texts(input, &list) != 0) {
        text_list_free(&list);
        return EXIT_RUNTIME;
    }
    int32_t n = 0;
    const char **queries = xmalloc((size_t)(list.n ? list.n : 1), sizeof *queries);
    const char **relevant = xmalloc((size_t)(list.n ? list.n : 1), sizeof *relevant);
    int status = EXIT_RUNTIME;
    Embedder e = { 0 };
    float *qv = NULL, *tv = NULL, *scores = NULL;
    if (!queries || !relevant) goto done;
    for (int32_t i = 0; i < list.n; i++) {
        if (list.texts[i][0] == 0) continue;
        char *tab = strchr(list.texts[i], '\t');
        if (!tab) {
            fail("%s:%d: expected \"query<TAB>relevant text\"", input, i + 1);
            goto done;
        }
        *tab = 0;
        queries[n] = list.texts[i];
        relevant[n++] = tab + 1;
    }
    if (n == 0) {
        fail("%s: no pairs", input);
        goto done;
    }
    if (embedder_open(&e, model_path, threads) != 0) goto done;
    int32_t d = e.info.n_embd;
    opt.normalize = 1;
    qv = xmalloc((size_t)n * d, sizeof *qv);
    tv = xmalloc((size_t)n * d, sizeof *tv);
    scores = xmalloc((size_t)EVAL_CHUNK * n, sizeof *scores);
    if (!qv || !tv || !scores || embedder_run(&e, queries, n, &opt, qv) != 0 ||
        embedder_run(&e, relevant, n, &opt, tv) != 0)
        goto done;
    double hit1 = 0, hit5 = 0, mrr = 0;
    for (int32_t from = 0; from < n; from += EVAL_CHUNK) {
        int32_t count = n - from < EVAL_CHUNK ? n - from : EVAL_CHUNK;
        matmul_forward(scores, qv + (size_t)from * d, tv, NULL, count, d, n);   /* [count, n] */
        for (int32_t q = 0; q < count; q++) {
            const float *row = scores + (size_t)q * n;
            float own = row[from + q];
            long rank = 1;
            for (int32_t t = 0; t < n; t++) rank += row[t] > own;
            hit1 += rank == 1;
            hit5 += rank <= 5;
            mrr += 1.0 / (double)rank;
        }
    }
    rg_pooling pooling = embed_resolve_pooling(opt.pooling, embed_declared_pooling(e.model));
    printf("pairs %d  pooling %s  recall@1 %.4f  recall@5 %.4f  MRR %.4f\n", n, embed_pooling_name(pooling),
           hit1 / n, hit5 / n, mrr / n);
    status = EXIT_OK;
done:
    embedder_close(&e);
    free(queries);
    free(relevant);
    free(qv);
    free(tv);
    free(scores);
    text_list_free(&list);
    return status;
}
