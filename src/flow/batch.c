/*
 * batch.c — the thread pool of parallel batch nodes.
 *
 * The items of the list prep returned are handed out one at a time: each
 * worker takes the next index from an atomic counter, runs exec on that
 * item (with the node's retries) and writes the result into slot i of an
 * array the size of the list. Because every result has its own slot, the
 * output is in input order whatever order the items finished in, and a
 * slow item holds up only its own worker. CPU-bound items therefore use
 * every core the node is given (rg_flow_set_threads; default one per core).
 *
 * Error messages are per thread (fail() writes a thread-local buffer), so a
 * worker copies the message of a failed item into its slot; after every
 * worker has joined, the failure of the lowest index is the node's error,
 * the same one a sequential batch node would have reported.
 */
#include "flow/flow_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const rg_flow_ctx *ctx;
    const cJSON **items;          /* [n] the list's items, for indexing */
    int n;
    atomic_int next;              /* the next index to take */
    atomic_int stop;              /* set after a failure: take no more */
    cJSON **results;              /* [n] */
    rg_status *status;            /* [n] */
    char **messages;              /* [n] the message of a failed item */
} Pool;

static void *worker(void *arg)
{
    Pool *pool = arg;
    rg_flow_ctx ctx = *pool->ctx;
    for (;;) {
        int i = atomic_fetch_add(&pool->next, 1);
        if (i >= pool->n || atomic_load(&pool->stop)) break;
        ctx.item = i;
        pool->status[i] = flow_exec_with_retries(&ctx, pool->items[i], &pool->results[i]);
        if (pool->status[i] != RG_OK) {
            pool->messages[i] = strdup(last_error());
            atomic_store(&pool->stop, 1);
        }
    }
    return NULL;
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

rg_status flow_exec_parallel(const rg_flow_ctx *ctx, const cJSON *items, cJSON **results)
{
    *results = NULL;
    int n = cJSON_GetArraySize(items);
    Pool pool = { .ctx = ctx, .n = n };
    atomic_init(&pool.next, 0);
    atomic_init(&pool.stop, 0);
    pool.items = xcalloc((size_t)n + 1, sizeof *pool.items);
    pool.results = xcalloc((size_t)n + 1, sizeof *pool.results);
    pool.status = xcalloc((size_t)n + 1, sizeof *pool.status);
    pool.messages = xcalloc((size_t)n + 1, sizeof *pool.messages);
    int n_threads = ctx->node->n_threads > 0 ? ctx->node->n_threads : default_threads();
    if (n_threads > n) n_threads = n;
    pthread_t *threads = xcalloc((size_t)n_threads + 1, sizeof *threads);
    rg_status st = RG_OK;
    if (!pool.items || !pool.results || !pool.status || !pool.messages || !threads) {
        st = RG_ERR_NOMEM;
        goto done;
    }
    int i = 0;
    for (const cJSON *item = items->child; item; item = item->next) pool.items[i++] = item;

    /* The calling thread is worker 0, so one thread means no thread made. */
    int started = 0;
    for (int t = 1; t < n_threads; t++) {
        if (pthread_create(&threads[t], NULL, worker, &pool) != 0) break;
        started = t;
    }
    worker(&pool);
    for (int t = 1; t <= started; t++) pthread_join(threads[t], NULL);

    for (i = 0; i < n; i++)
        if (pool.status[i] != RG_OK) {
            st = pool.status[i];
            fail("%s", pool.messages[i] ? pool.messages[i] : "failed");
            goto done;
        }
    *results = cJSON_CreateArray();
    if (!*results) {
        st = RG_ERR_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(*results, pool.results[i] ? pool.results[i] : cJSON_CreateNull());
        pool.results[i] = NULL;
    }
done:
    for (i = 0; i < n && pool.results; i++) cJSON_Delete(pool.results[i]);
    for (i = 0; i < n && pool.messages; i++) free(pool.messages[i]);
    free(pool.items);
    free(pool.results);
    free(pool.status);
    free(pool.messages);
    free(threads);
    return st;
}
