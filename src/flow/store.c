/*
 * store.c — the shared store of a flow: a key -> JSON value map that any
 * number of threads may read and write at once.
 *
 * The map is one cJSON object behind one mutex. Nodes never hold pointers
 * into it: every value is copied in (rg_flow_store_set) and copied out
 * (rg_flow_store_get), so a reader can never see a value half-written or
 * freed under it by another thread. The read-modify-write operations that
 * parallel nodes need (append to a list, add to a counter) take the lock
 * once, so two threads cannot lose each other's update. Stores are small (a
 * flow's working variables), so the object's linear key lookup is enough.
 */
#include "flow/flow_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct rg_flow_store {
    pthread_mutex_t lock;
    cJSON *map;                  /* an object: key -> value */
};

rg_status rg_flow_store_new(rg_flow_store **out)
{
    *out = NULL;
    rg_flow_store *s = xcalloc(1, sizeof *s);
    if (!s) return RG_ERR_NOMEM;
    s->map = cJSON_CreateObject();
    if (!s->map) {
        free(s);
        fail("out of memory creating a flow store");
        return RG_ERR_NOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return RG_OK;
}

void rg_flow_store_free(rg_flow_store *store)
{
    if (!store) return;
    cJSON_Delete(store->map);
    pthread_mutex_destroy(&store->lock);
    free(store);
}

rg_status rg_flow_store_clone(rg_flow_store *store, rg_flow_store **out)
{
    rg_status st = rg_flow_store_new(out);
    if (st != RG_OK) return st;
    pthread_mutex_lock(&store->lock);
    cJSON *copy = cJSON_Duplicate(store->map, 1);
    pthread_mutex_unlock(&store->lock);
    if (!copy) {
        rg_flow_store_free(*out);
        *out = NULL;
        fail("out of memory copying a flow store");
        return RG_ERR_NOMEM;
    }
    cJSON_Delete((*out)->map);
    (*out)->map = copy;
    return RG_OK;
}

/* Replace or add key -> value inside the lock; value is taken over. */
static void put_locked(rg_flow_store *s, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(s->map, key))
        cJSON_ReplaceItemInObjectCaseSensitive(s->map, key, value);
    else
        cJSON_AddItemToObject(s->map, key, value);
}

rg_status rg_flow_store_put(rg_flow_store *store, const char *key, cJSON *value)
{
    if (!key || !key[0]) {
        cJSON_Delete(value);
        fail("flow store: empty key");
        return RG_ERR_INVALID;
    }
    if (!value) {
        fail("flow store: key '%s': out of memory", key);
        return RG_ERR_NOMEM;
    }
    pthread_mutex_lock(&store->lock);
    put_locked(store, key, value);
    pthread_mutex_unlock(&store->lock);
    return RG_OK;
}

rg_status rg_flow_store_set(rg_flow_store *store, const char *key, const cJSON *value)
{
    cJSON *copy = value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull();
    return rg_flow_store_put(store, key, copy);
}

rg_status rg_flow_store_set_json(rg_flow_store *store, const char *key, const char *json)
{
    cJSON *value = json ? cJSON_Parse(json) : NULL;
    if (!value) {
        fail("flow store: key '%s': the value is not valid JSON", key ? key : "");
        return RG_ERR_FORMAT;
    }
    return rg_flow_store_put(store, key, value);
}

rg_status rg_flow_store_set_string(rg_flow_store *store, const char *key, const char *text)
{
    return rg_flow_store_put(store, key, cJSON_CreateString(text ? text : ""));
}

rg_status rg_flow_store_get(rg_flow_store *store, const char *key, cJSON **out)
{
    pthread_mutex_lock(&store->lock);
    const cJSON *value = key ? cJSON_GetObjectItemCaseSensitive(store->map, key) : NULL;
    *out = value ? cJSON_Duplicate(value, 1) : NULL;
    pthread_mutex_unlock(&store->lock);
    if (!value) {
        fail("no key '%s' in the store", key ? key : "");
        return RG_ERR_NOT_FOUND;
    }
    if (!*out) {
        fail("out of memory copying key '%s'", key);
        return RG_ERR_NOMEM;
    }
    return RG_OK;
}

rg_status rg_flow_store_get_json(rg_flow_store *store, const char *key, char **out)
{
    cJSON *value;
    *out = NULL;
    rg_status st = rg_flow_store_get(store, key, &value);
    if (st != RG_OK) return st;
    *out = cJSON_PrintUnformatted(value);
    cJSON_Delete(value);
    if (!*out) {
        fail("out of memory printing key '%s'", key);
        return RG_ERR_NOMEM;
    }
    return RG_OK;
}

rg_status rg_flow_store_append(rg_flow_store *store, const char *key, const cJSON *value)
{
    cJSON *copy = value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull();
    if (!copy) {
        fail("flow store: key '%s': out of memory", key);
        return RG_ERR_NOMEM;
    }
    rg_status st = RG_OK;
    pthread_mutex_lock(&store->lock);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(store->map, key);
    if (!list) {
        list = cJSON_CreateArray();
        if (list) put_locked(store, key, list);
    }
    if (!list) {
        st = RG_ERR_NOMEM;
        fail("flow store: key '%s': out of memory", key);
    } else if (!cJSON_IsArray(list)) {
        st = RG_ERR_INVALID;
        fail("flow store: key '%s' is not a list, cannot append to it", key);
    } else {
        cJSON_AddItemToArray(list, copy);
        copy = NULL;
    }
    pthread_mutex_unlock(&store->lock);
    cJSON_Delete(copy);
    return st;
}

rg_status rg_flow_store_add(rg_flow_store *store, const char *key, double delta, double *result)
{
    rg_status st = RG_OK;
    pthread_mutex_lock(&store->lock);
    cJSON *number = cJSON_GetObjectItemCaseSensitive(store->map, key);
    if (!number) {
        number = cJSON_CreateNumber(0);
        if (number) put_locked(store, key, number);
    }
    if (!number) {
        st = RG_ERR_NOMEM;
        fail("flow store: key '%s': out of memory", key);
    } else if (!cJSON_IsNumber(number)) {
        st = RG_ERR_INVALID;
        fail("flow store: key '%s' is not a number, cannot add to it", key);
    } else {
        cJSON_SetNumberValue(number, number->valuedouble + delta);
        if (result) *result = number->valuedouble;
    }
    pthread_mutex_unlock(&store->lock);
    return st;
}

int rg_flow_store_has(rg_flow_store *store, const char *key)
{
    pthread_mutex_lock(&store->lock);
    int has = key && cJSON_GetObjectItemCaseSensitive(store->map, key) != NULL;
    pthread_mutex_unlock(&store->lock);
    return has;
}

void rg_flow_store_delete(rg_flow_store *store, const char *key)
{
    if (!key) return;
    pthread_mutex_lock(&store->lock);
    cJSON_DeleteItemFromObjectCaseSensitive(store->map, key);
    pthread_mutex_unlock(&store->lock);
}

rg_status rg_flow_store_dump(rg_flow_store *store, int pretty, char **out)
{
    pthread_mutex_lock(&store->lock);
    *out = pretty ? cJSON_Print(store->map) : cJSON_PrintUnformatted(store->map);
    pthread_mutex_unlock(&store->lock);
    if (!*out) {
        fail("out of memory printing the flow store");
        return RG_ERR_NOMEM;
    }
    return RG_OK;
}

void rg_flow_free_string(char *s)
{
    cJSON_free(s);
}
