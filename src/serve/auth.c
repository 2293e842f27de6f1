/*
 * auth.c — API keys and per-key rate limits.
 *
 * A key is compared in constant time: every configured key is compared in
 * full, byte by byte with OR-accumulated differences, whatever matched, so
 * the time taken says nothing about how much of a guess was right. The rate
 * limit is a token bucket per key (capacity = the per-minute rate, refilled
 * continuously), so bursts up to a minute's allowance pass and a steady
 * excess gets 429 with the seconds until the next token.
 */
#include "serve/http.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* 1 when a[0..na) equals b[0..nb), in time depending only on the lengths. */
static int equal_constant_time(const char *a, size_t na, const char *b, size_t nb)
{
    size_t n = na > nb ? na : nb;
    unsigned diff = (unsigned)(na ^ nb);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < na ? (unsigned char)a[i] : 0;
        unsigned char y = i < nb ? (unsigned char)b[i] : 0;
        diff |= (unsigned)(x ^ y);
    }
    return diff == 0;
}

int auth_check(const serve_config *cfg, const char *authorization)
{
    if (!authorization || strncmp(authorization, "Bearer ", 7) != 0) return -1;
    const char *key = authorization + 7;
    size_t len = strlen(key);
    int found = -1;
    for (int i = 0; i < cfg->n_keys; i++) {
        int same = equal_constant_time(key, len, cfg->api_keys[i], strlen(cfg->api_keys[i]));
        if (same && found < 0) found = i;
    }
    return found;
}

struct rate_limiter {
    pthread_mutex_t lock;
    double per_second, capacity;
    int n;                        /* buckets: one per key, plus the anonymous one */
    double *tokens, *updated;
};

struct rate_limiter *rate_limiter_new(int per_minute, int n_keys)
{
    struct rate_limiter *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->n = n_keys + 1;
    l->tokens = malloc((size_t)l->n * sizeof *l->tokens);
    l->updated = malloc((size_t)l->n * sizeof *l->updated);
    if (!l->tokens || !l->updated) {
        rate_limiter_free(l);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    l->per_second = per_minute / 60.0;
    l->capacity = per_minute;
    double now = now_seconds();
    for (int i = 0; i < l->n; i++) {
        l->tokens[i] = l->capacity;
        l->updated[i] = now;
    }
    return l;
}

void rate_limiter_free(struct rate_limiter *l)
{
    if (!l) return;
    if (l->tokens && l->updated) pthread_mutex_destroy(&l->lock);
    free(l->tokens);
    free(l->updated);
    free(l);
}

int rate_limiter_take(struct rate_limiter *l, int key_index, int *retry_after)
{
    int b = key_index + 1;
    if (b < 0 || b >= l->n) b = 0;
    pthread_mutex_lock(&l->lock);
    double now = now_seconds();
    l->tokens[b] += (now - l->updated[b]) * l->per_second;
    if (l->tokens[b] > l->capacity) l->tokens[b] = l->capacity;
    l->updated[b] = now;
    int ok = l->tokens[b] >= 1;
    if (ok) l->tokens[b] -= 1;
    else *retry_after = (int)((1 - l->tokens[b]) / l->per_second) + 1;
    pthread_mutex_unlock(&l->lock);
    return ok;
}
