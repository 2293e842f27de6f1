/*
 * bench_tokenize.c — `rustgpt bench tokenize`: what a user gets from each
 * tokenizer, encoding a large realistic text into ids.
 *
 *   rustgpt bench tokenize --text FILE [--threads N] [--tokenizers a,b,...]
 *
 * For each tokenizer: MB/s and tokens/s on one thread (best of two runs),
 * then cl100k_base on N threads, and the worst case of a byte-level BPE: a
 * 10 MB "word" with no space (tiktoken's merge goes quadratic there).
 * Beside wall-clock MB/s it prints MB/s per CPU second, the fair figure on
 * a shared machine (for N threads it is per core). The
 * word tokenizer's vocabulary is built from the text itself, so it never
 * meets an unknown word: its best case. `make bench-tokenize` builds the
 * text from /usr/share/doc (tests/interop/make_corpus.py) and runs tiktoken
 * (WASM) on the same file beside it.
 */
#include "cli/cli.h"
#include "core/util.h"
#include "tokenizers/bpe.h"
#include "tokenizers/word.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double last_cpu;   /* CPU seconds of the last timed run */

static void report(const char *name, const char *how, size_t bytes, size_t tokens, double seconds)
{
    char t[32];
    printf("%-14s %-22s %8.1f MB/s %10.2fM tokens/s   cpu %6.1f MB/s   (%s tokens)\n", name, how,
           (double)bytes / 1e6 / seconds, (double)tokens / 1e6 / seconds, (double)bytes / 1e6 / last_cpu,
           with_commas(t, tokens));
    fflush(stdout);
}

static double time_bpe(const Bpe *bpe, const char *text, size_t len, int threads, int32_t *ids, size_t *n)
{
    double best = 1e30;
    for (int trial = 0; trial < 2; trial++) {
        double t0 = now_seconds(), c0 = cpu_seconds();
        if (bpe_encode_parallel(bpe, text, len, 0, threads, ids, len, n) != 0) return -1;
        double dt = now_seconds() - t0;
        if (dt < best) best = dt, last_cpu = cpu_seconds() - c0;
    }
    return best;
}

int bench_tokenize(int argc, char **argv)
{
    const char *path = NULL, *list = "word,gpt2,cl100k_base,o200k_base";
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--text") == 0) { if (!(path = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--tokenizers") == 0) { if (!(list = option_value(argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = option_value(argc, argv, &i)) || parse_int("--threads", v, 1, 256, &threads) != 0) return EXIT_USAGE;
        } else return usage_error("bench tokenize: unexpected argument '%s'", argv[i]);
    }
    if (!path) return usage_error("usage: rustgpt bench tokenize --text FILE [--threads N] (make bench-tokenize makes one)");
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return EXIT_RUNTIME;
    size_t word_len = 10u << 20;
    int32_t *ids = xmalloc((len > word_len ? len : word_len) + 1, sizeof *ids);
    if (!ids) return free(text), EXIT_RUNTIME;
    char mb[32];
    printf("rustgpt bench tokenize: %s (%s bytes), encoding into ids\n\n", path, with_commas(mb, len));
    char names[256];
    snprintf(names, sizeof names, "%s", list);
    int rc = EXIT_OK;
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name && rc == EXIT_OK; name = strtok_r(NULL, ",", &save)) {
        if (strcmp(name, "word") == 0) {
            Vocab vocab;
            const char *texts[1] = { text };
            if (vocab_build(&vocab, texts, 1) != 0) { rc = EXIT_RUNTIME; break; }
            double best = 1e30;
            size_t n = 0;
            for (int trial = 0; trial < 2; trial++) {
                double t0 = now_seconds(), c0 = cpu_seconds();
                n = (size_t)tokenizer_encode(&vocab, text, (int *)ids, (int)(len + 1));
                if (now_seconds() - t0 < best) best = now_seconds() - t0, last_cpu = cpu_seconds() - c0;
            }
            char how[64];
            snprintf(how, sizeof how, "1 thread, %s words", with_commas(mb, (unsigned long long)vocab.size));
            report("word", how, len, n, best);
            vocab_free(&vocab);
            continue;
        }
        Bpe *bpe = bpe_load(name);
        if (!bpe) { rc = EXIT_RUNTIME; break; }
        size_t n;
        double dt = time_bpe(bpe, text, len, 1, ids, &n);
        if (dt < 0) rc = EXIT_RUNTIME;
        else report(name, "1 thread", len, n, dt);
        if (rc == EXIT_OK && threads > 1 && strcmp(name, "cl100k_base") == 0) {
            dt = time_bpe(bpe, text, len, threads, ids, &n);
            char how[32];
            snprintf(how, sizeof how, "%d threads", threads);
            if (dt > 0) report(name, how, len, n, dt);
        }
        if (rc == EXIT_OK && strcmp(name, "cl100k_base") == 0) {
            char *word = malloc(word_len);
            if (word) {
                Rng rng;
                rng_seed(&rng, 10);
                for (size_t i = 0; i < word_len; i++) word[i] = (char)('a' + rng_u32(&rng) % 26);
                double t0 = now_seconds(), c0 = cpu_seconds();
                int ok = bpe_encode(bpe, word, word_len, 0, ids, word_len, &n) == 0;
                last_cpu = cpu_seconds() - c0;
                if (ok)
                    report(name, "10 MB word, no space", word_len, n, now_seconds() - t0);
                free(word);
            }
        }
        bpe_free(bpe);
    }
    free(ids);
    free(text);
    return rc;
}
