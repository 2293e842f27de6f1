/*
 * dist.c — the few collective operations data-parallel training needs
 * (dist.h says what each is for; docs/21-data-parallel.md why).
 *
 * With RUSTGPT_MPI (make MPI=1) they are Open MPI calls; without it there
 * is exactly one rank and every function reduces to its one-process
 * meaning: a sum over one rank is the value itself, the agreed result is
 * the rank's own, the vocabulary is built from the local texts.
 */
#include "train/dist.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#ifdef RUSTGPT_MPI
#include <mpi.h>

static int started_mpi;        /* MPI_Init was ours, so MPI_Finalize is too */
static double allreduce_time;  /* seconds inside the gradient all-reduce    */

int dist_init(int *argc, char ***argv)
{
    int ready = 0;
    MPI_Initialized(&ready);
    if (ready) return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return fail("MPI_Init failed");
    started_mpi = 1;
    return 0;
}

void dist_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (started_mpi && !done) MPI_Finalize();
}

int dist_rank(void)
{
    int ready = 0, rank = 0;
    MPI_Initialized(&ready);
    if (ready) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int dist_size(void)
{
    int ready = 0, size = 1;
    MPI_Initialized(&ready);
    if (ready) MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

/* MPI counts are ints: sum a long buffer in chunks of at most 2^30. */
static void sum_in_chunks(void *buf, size_t n, size_t elem, MPI_Datatype type)
{
    const size_t chunk = (size_t)1 << 30;
    for (size_t at = 0; at < n; at += chunk) {
        size_t len = n - at < chunk ? n - at : chunk;
        MPI_Allreduce(MPI_IN_PLACE, (char *)buf + at * elem, (int)len, type, MPI_SUM, MPI_COMM_WORLD);
    }
}

void dist_sum_floats(float *buf, size_t n)
{
    if (dist_size() == 1) return;
    double start = MPI_Wtime();
    sum_in_chunks(buf, n, sizeof *buf, MPI_FLOAT);
    allreduce_time += MPI_Wtime() - start;
}

void dist_sum_doubles(double *buf, size_t n)
{
    if (dist_size() > 1) sum_in_chunks(buf, n, sizeof *buf, MPI_DOUBLE);
}

double dist_allreduce_seconds(void) { return allreduce_time; }

int dist_agree(int rc)
{
    int size = dist_size();
    if (size == 1) return rc;
    int *all = malloc((size_t)size * sizeof *all);
    if (!all) MPI_Abort(MPI_COMM_WORLD, 1);    /* cannot even agree: end the job */
    MPI_Allgather(&rc, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
    int agreed = 0;
    for (int r = 0; r < size && agreed == 0; r++) agreed = all[r];
    free(all);
    return agreed;
}

/* One rank's verdict on a phase: its status and, when it failed, why. */
typedef struct {
    int failed;
    char message[500];
} Verdict;

int dist_check(int rc)
{
    int size = dist_size();
    if (size == 1) return rc;
    Verdict mine = { rc != 0, "" }, *all = malloc((size_t)size * sizeof *all);
    if (!all) MPI_Abort(MPI_COMM_WORLD, 1);
    if (rc != 0) snprintf(mine.message, sizeof mine.message, "%s", last_error());
    MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, MPI_COMM_WORLD);
    int result = 0;
    for (int r = 0; r < size; r++) {
        if (!all[r].failed) continue;
        fail("rank %d of %d: %s", r, size, all[r].message);
        result = -1;
        break;
    }
    free(all);
    return result;
}

/* Every rank's distinct words, space-joined, gathered to every rank; the
 * vocabulary of those texts is the vocabulary of all the data, since a
 * vocabulary is just the sorted set of distinct pieces. */
int dist_vocab_build(Vocab *vocab, const char *const *texts, size_t n, int lowercase)
{
    int size = dist_size();
    Vocab local;
    int rc = lowercase ? vocab_build_lowercase(&local, texts, n) : vocab_build(&local, texts, n);
    if (size == 1 || dist_check(rc) != 0) {
        if (size == 1 && rc == 0) { *vocab = local; return 0; }
        vocab_free(&local);
        memset(vocab, 0, sizeof *vocab);
        return -1;
    }
    size_t len = 1;
    for (int id = TOKEN_N_SPECIAL; id < local.size; id++) len += strlen(local.words[id]) + 1;
    if (len > (size_t)1 << 30) {
        vocab_free(&local);
        return dist_check(fail("vocabulary: %zu bytes of words is more than one gather carries", len));
    }
    int my_len = (int)len, *lens = xmalloc((size_t)size, sizeof *lens), *offsets = xmalloc((size_t)size, sizeof *offsets);
    char *mine = xmalloc(len, 1), *joined = NULL;
    char **rank_texts = xmalloc((size_t)size, sizeof *rank_texts);
    rc = (lens && offsets && mine && rank_texts) ? 0 : -1;
    if (dist_check(rc) == 0) {
        char *p = mine;
        for (int id = TOKEN_N_SPECIAL; id < local.size; id++) p += sprintf(p, "%s ", local.words[id]);
        *p = '\0';
        MPI_Allgather(&my_len, 1, MPI_INT, lens, 1, MPI_INT, MPI_COMM_WORLD);
        size_t total = 0;
        for (int r = 0; r < size; r++) { offsets[r] = (int)total; total += (size_t)lens[r]; }
        joined = total <= (size_t)1 << 31 ? xmalloc(total, 1) : NULL;
        rc = dist_check(joined ? 0 : fail("vocabulary: the gathered words do not fit in memory"));
        if (rc == 0) {
            MPI_Allgatherv(mine, my_len, MPI_CHAR, joined, lens, offsets, MPI_CHAR, MPI_COMM_WORLD);
            for (int r = 0; r < size; r++) rank_texts[r] = joined + offsets[r];
            rc = dist_check(vocab_build(vocab, (const char *const *)rank_texts, (size_t)size));
            vocab->lowercase = rc == 0 && lowercase;     /* the gathered words are folded already */
        }
    } else {
        rc = -1;
    }
    free(lens); free(offsets); free(mine); free(joined); free(rank_texts);
    vocab_free(&local);
    return rc;
}

#else /* one process */

int dist_init(int *argc, char ***argv) { (void)argc; (void)argv; return 0; }
void dist_finalize(void) {}
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
void dist_sum_floats(float *buf, size_t n) { (void)buf; (void)n; }
void dist_sum_doubles(double *buf, size_t n) { (void)buf; (void)n; }
double dist_allreduce_seconds(void) { return 0.0; }
int dist_agree(int rc) { return rc; }
int dist_check(int rc) { return rc; }
int dist_vocab_build(Vocab *vocab, const char *const *texts, size_t n, int lowercase)
{
    return lowercase ? vocab_build_lowercase(vocab, texts, n) : vocab_build(vocab, texts, n);
}

#endif
