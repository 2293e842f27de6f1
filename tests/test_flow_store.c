/*
 * test_flow_store.c — the shared store of flows: values are copies (a
 * caller changing its tree afterwards does not change the store), and
 * writes from many threads at once are neither lost nor torn.
 */
#include "rustgpt/flow.h"
#include "core/util.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { N_THREADS = 8, N_WRITES = 2000 };

static void test_values_are_copied_in_and_out(void)
{
    rg_flow_store *store;
    CHECK(rg_flow_store_new(&store) == RG_OK);
    cJSON *v = cJSON_Parse("{\"a\": [1, 2]}");
    CHECK(rg_flow_store_set(store, "k", v) == RG_OK);
    cJSON_AddNumberToObject(v, "b", 3);            /* the caller's tree, not the store's */
    cJSON *got;
    CHECK(rg_flow_store_get(store, "k", &got) == RG_OK);
    CHECK(cJSON_GetObjectItem(got, "b") == NULL);
    cJSON_AddNumberToObject(got, "c", 4);          /* the copy out is the caller's too */
    char *json;
    CHECK(rg_flow_store_get_json(store, "k", &json) == RG_OK && strcmp(json, "{\"a\":[1,2]}") == 0);
    rg_flow_free_string(json);
    cJSON_Delete(got);
    cJSON_Delete(v);

    CHECK(rg_flow_store_get(store, "missing", &got) == RG_ERR_NOT_FOUND);
    CHECK(strstr(last_error(), "'missing'") != NULL);
    CHECK(rg_flow_store_set_json(store, "bad", "{nope") == RG_ERR_FORMAT);
    CHECK(strstr(last_error(), "'bad'") != NULL);
    CHECK(rg_flow_store_append(store, "k", NULL) == RG_ERR_INVALID);
    CHECK(rg_flow_store_add(store, "k", 1, NULL) == RG_ERR_INVALID);
    CHECK(rg_flow_store_has(store, "k") && !rg_flow_store_has(store, "bad"));

    rg_flow_store *copy;
    CHECK(rg_flow_store_clone(store, &copy) == RG_OK);
    rg_flow_store_delete(store, "k");
    CHECK(!rg_flow_store_has(store, "k") && rg_flow_store_has(copy, "k"));
    rg_flow_store_free(copy);
    rg_flow_store_free(store);
}

typedef struct { rg_flow_store *store; int id; } Writer;

/* Each thread: appends to one shared list, adds to one counter, and sets
 * its own key and a shared key over and over. */
static void *writer(void *arg)
{
    Writer *w = arg;
    char key[32];
    snprintf(key, sizeof key, "own_%d", w->id);
    cJSON *mine = cJSON_CreateNumber(w->id);
    cJSON *big = cJSON_CreateArray();
    for (int i = 0; i < 50; i++) cJSON_AddItemToArray(big, cJSON_CreateNumber(w->id));
    for (int i = 0; i < N_WRITES; i++) {
        rg_flow_store_append(w->store, "list", mine);
        rg_flow_store_add(w->store, "count", 1, NULL);
        rg_flow_store_set(w->store, "shared", big);
        rg_flow_store_set(w->store, key, mine);
        cJSON *seen;
        if (rg_flow_store_get(w->store, "shared", &seen) == RG_OK) {
            /* A value is whole: fifty copies of one writer's id. */
            int n = cJSON_GetArraySize(seen), first = cJSON_GetArrayItem(seen, 0)->valueint, same = 1;
            for (const cJSON *x = seen->child; x; x = x->next) same &= x->valueint == first;
            if (n != 50 || !same) rg_flow_store_add(w->store, "torn", 1, NULL);
            cJSON_Delete(seen);
        }
    }
    cJSON_Delete(mine);
    cJSON_Delete(big);
    return NULL;
}

static void test_concurrent_writes_are_not_lost(void)
{
    rg_flow_store *store;
    rg_flow_store_new(&store);
    pthread_t threads[N_THREADS];
    Writer writers[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        writers[t] = (Writer){ store, t };
        pthread_create(&threads[t], NULL, writer, &writers[t]);
    }
    for (int t = 0; t < N_THREADS; t++) pthread_join(threads[t], NULL);
    cJSON *list, *count;
    CHECK(rg_flow_store_get(store, "list", &list) == RG_OK);
    CHECK(cJSON_GetArraySize(list) == N_THREADS * N_WRITES);
    int per_thread[N_THREADS] = { 0 };
    for (const cJSON *x = list->child; x; x = x->next) per_thread[x->valueint]++;
    for (int t = 0; t < N_THREADS; t++) CHECK(per_thread[t] == N_WRITES);
    CHECK(rg_flow_store_get(store, "count", &count) == RG_OK);
    CHECK(count->valuedouble == N_THREADS * N_WRITES);
    CHECK(!rg_flow_store_has(store, "torn"));
    for (int t = 0; t < N_THREADS; t++) {
        char key[32];
        snprintf(key, sizeof key, "own_%d", t);
        CHECK(rg_flow_store_has(store, key));
    }
    cJSON_Delete(list);
    cJSON_Delete(count);
    rg_flow_store_free(store);
}

int main(void)
{
    RUN(test_values_are_copied_in_and_out);
    RUN(test_concurrent_writes_are_not_lost);
    TESTS_DONE();
}
