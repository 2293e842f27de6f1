/*
 * test_flow.c — the rules of the flow engine, one test each: action
 * routing, the end of a flow at an action without a successor, retries
 * and the fallback, params, nested flows, batch and parallel batch nodes
 * (results in input order), the step limit, and errors that name the node.
 */
#include "rustgpt/flow.h"
#include "core/util.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- small node behaviours ------------------------------------------------ */

/* post: append the node's name to store["trace"]; the action is the store's
 * "route" value when the node's param "route_from_store" is set. */
static rg_status trace_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    cJSON *name = cJSON_CreateString(ctx->name);
    rg_flow_store_append(ctx->store, "trace", name);
    cJSON_Delete(name);
    if (cJSON_IsTrue(cJSON_GetObjectItem(ctx->params, "route_from_store"))) {
        cJSON *route;
        if (rg_flow_store_get(ctx->store, "route", &route) == RG_OK) {
            snprintf(action, RG_FLOW_ACTION_MAX, "%s", route->valuestring);
            cJSON_Delete(route);
        }
    }
    return RG_OK;
}
static const rg_flow_ops trace_ops = { .post = trace_post };

static char *store_text(rg_flow_store *store, const char *key)
{
    static char buf[512];
    char *json;
    if (rg_flow_store_get_json(store, key, &json) != RG_OK) return strcpy(buf, "(none)");
    snprintf(buf, sizeof buf, "%s", json);
    rg_flow_free_string(json);
    return buf;
}

static void test_routes_by_action_and_ends_without_successor(void)
{
    rg_flow_graph *g;
    rg_flow_node *decide, *yes, *no, *after, *flow;
    CHECK(rg_flow_graph_new(&g) == RG_OK);
    rg_flow_node_new(g, "decide", RG_FLOW_NODE, &trace_ops, NULL, &decide);
    rg_flow_node_new(g, "yes", RG_FLOW_NODE, &trace_ops, NULL, &yes);
    rg_flow_node_new(g, "no", RG_FLOW_NODE, &trace_ops, NULL, &no);
    rg_flow_node_new(g, "after", RG_FLOW_NODE, &trace_ops, NULL, &after);
    cJSON *params = cJSON_Parse("{\"route_from_store\": true}");
    rg_flow_set_params(decide, params);
    cJSON_Delete(params);
    rg_flow_connect(decide, "yes", yes);
    rg_flow_connect(decide, "no", no);
    rg_flow_connect(yes, NULL, after);
    CHECK(rg_flow_new(g, "f", decide, NULL, NULL, &flow) == RG_OK);

    rg_flow_store *store;
    rg_flow_store_new(&store);
    char action[RG_FLOW_ACTION_MAX];
    rg_flow_store_set_string(store, "route", "yes");
    CHECK(rg_flow_run(flow, store, NULL, action, sizeof action) == RG_OK);
    CHECK(strcmp(store_text(store, "trace"), "[\"decide\",\"yes\",\"after\"]") == 0);
    CHECK(strcmp(action, "default") == 0);

    rg_flow_store_delete(store, "trace");
    rg_flow_store_set_string(store, "route", "no");
    CHECK(rg_flow_run(flow, store, NULL, action, sizeof action) == RG_OK);
    CHECK(strcmp(store_text(store, "trace"), "[\"decide\",\"no\"]") == 0);

    /* An action with no successor ends the flow; the flow returns it. */
    rg_flow_store_delete(store, "trace");
    rg_flow_store_set_string(store, "route", "maybe");
    CHECK(rg_flow_run(flow, store, NULL, action, sizeof action) == RG_OK);
    CHECK(strcmp(store_text(store, "trace"), "[\"decide\"]") == 0);
    CHECK(strcmp(action, "maybe") == 0);
    rg_flow_store_free(store);
    rg_flow_graph_free(g);
}

/* exec fails until attempt number param "succeed_at"; counts its calls. */
static atomic_int exec_calls, fallback_calls;
static rg_status flaky_exec(const rg_flow_ctx *ctx, const cJSON *in, cJSON **out)
{
    atomic_fetch_add(&exec_calls, 1);
    int succeed_at = cJSON_GetObjectItem(ctx->params, "succeed_at")->valueint;
    if (ctx->attempt < succeed_at) return rg_flow_set_error(RG_ERR_IO, "the service is down");
    *out = cJSON_CreateNumber(ctx->attempt);
    return RG_OK;
}
static rg_status flaky_fallback(const rg_flow_ctx *ctx, const cJSON *in, const char *error, cJSON **out)
{
    atomic_fetch_add(&fallback_calls, 1);
    *out = cJSON_CreateString(error);
    return RG_OK;
}
static rg_status keep_result(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    rg_flow_store_set(ctx->store, "result", exec);
    return RG_OK;
}

static rg_status run_flaky(int succeed_at, int max_retries, int with_fallback, double wait, rg_flow_store *store)
{
    rg_flow_graph *g;
    rg_flow_node *node;
    rg_flow_ops ops = { .exec = flaky_exec, .post = keep_result };
    if (with_fallback) ops.exec_fallback = flaky_fallback;
    rg_flow_graph_new(&g);
    rg_flow_node_new(g, "flaky", RG_FLOW_NODE, &ops, NULL, &node);
    rg_flow_set_retries(node, max_retries, wait);
    char text[64];
    snprintf(text, sizeof text, "{\"succeed_at\": %d}", succeed_at);
    cJSON *params = cJSON_Parse(text);
    atomic_store(&exec_calls, 0);
    atomic_store(&fallback_calls, 0);
    rg_status st = rg_flow_run(node, store, params, NULL, 0);
    cJSON_Delete(params);
    rg_flow_graph_free(g);
    return st;
}

static void test_retries_then_fallback(void)
{
    rg_flow_store *store;
    rg_flow_store_new(&store);
    /* Succeeds on the third try of three. */
    CHECK(run_flaky(2, 3, 1, 0, store) == RG_OK);
    CHECK(atomic_load(&exec_calls) == 3 && atomic_load(&fallback_calls) == 0);
    CHECK(strcmp(store_text(store, "result"), "2") == 0);
    /* Two tries are not enough: the fallback gets exec's message. */
    CHECK(run_flaky(5, 2, 1, 0, store) == RG_OK);
    CHECK(atomic_load(&exec_calls) == 2 && atomic_load(&fallback_calls) == 1);
    CHECK(strcmp(store_text(store, "result"), "\"the service is down\"") == 0);
    /* No fallback: the error names the node and the tries. */
    CHECK(run_flaky(5, 2, 0, 0, store) == RG_ERR_IO);
    CHECK(strstr(last_error(), "node 'flaky'") && strstr(last_error(), "2 tries") &&
          strstr(last_error(), "the service is down"));
    /* wait: two pauses of 20 ms between three tries. */
    double t0 = now_seconds();
    CHECK(run_flaky(5, 3, 1, 0.02, store) == RG_OK);
    CHECK(now_seconds() - t0 >= 0.035);
    rg_flow_store_free(store);
}

/* A nested flow ends with an action that routes the outer flow; the outer
 * flow's params override the inner nodes' own. */
static rg_status param_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    rg_flow_store_set(ctx->store, ctx->name, cJSON_GetObjectItem(ctx->params, "who"));
    snprintf(action, RG_FLOW_ACTION_MAX, "%s", "inner_done");
    return RG_OK;
}

static void test_nested_flow_is_a_node(void)
{
    rg_flow_graph *g;
    rg_flow_node *a, *inner, *outer, *done;
    rg_flow_ops ops = { .post = param_post };
    rg_flow_graph_new(&g);
    rg_flow_node_new(g, "a", RG_FLOW_NODE, &ops, NULL, &a);
    cJSON *own = cJSON_Parse("{\"who\": \"node\"}");
    rg_flow_set_params(a, own);
    rg_flow_new(g, "inner", a, NULL, NULL, &inner);
    rg_flow_node_new(g, "done", RG_FLOW_NODE, &trace_ops, NULL, &done);
    rg_flow_connect(inner, "inner_done", done);
    rg_flow_new(g, "outer", inner, NULL, NULL, &outer);
    CHECK(rg_flow_validate(outer) == RG_OK);

    rg_flow_store *store;
    rg_flow_store_new(&store);
    char action[RG_FLOW_ACTION_MAX];
    CHECK(rg_flow_run(outer, store, NULL, action, sizeof action) == RG_OK);
    CHECK(strcmp(store_text(store, "a"), "\"node\"") == 0);
    CHECK(strcmp(store_text(store, "trace"), "[\"done\"]") == 0);
    cJSON *outer_params = cJSON_Parse("{\"who\": \"outer\"}");
    CHECK(rg_flow_run(outer, store, outer_params, action, sizeof action) == RG_OK);
    CHECK(strcmp(store_text(store, "a"), "\"outer\"") == 0);
    cJSON_Delete(outer_params);
    cJSON_Delete(own);
    rg_flow_store_free(store);
    rg_flow_graph_free(g);
}

/* ---- batches ----------------------------------------------------------------- */

static rg_status list_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    return rg_flow_store_get(ctx->store, "items", out);
}
/* Square the item; odd items sleep so that they finish out of order. */
static rg_status square_exec(const rg_flow_ctx *ctx, const cJSON *item, cJSON **out)
{
    if (item->valueint < 0) return rg_flow_set_error(RG_ERR_INVALID, "negative item");
    if (item->valueint % 2) {
        struct timespec t = { 0, 2000000 };
        nanosleep(&t, NULL);
    }
    *out = cJSON_CreateNumber(item->valueint * item->valueint);
    return RG_OK;
}
static const rg_flow_ops square_ops = { .prep = list_prep, .exec = square_exec, .post = keep_result };

static void test_batch_and_parallel_batch_keep_input_order(void)
{
    rg_flow_store *store;
    rg_flow_store_new(&store);
    cJSON *items = cJSON_CreateArray(), *want = cJSON_CreateArray();
    for (int i = 0; i < 40; i++) {
        cJSON_AddItemToArray(items, cJSON_CreateNumber(i));
        cJSON_AddItemToArray(want, cJSON_CreateNumber(i * i));
    }
    rg_flow_store_set(store, "items", items);
    char *want_text = cJSON_PrintUnformatted(want);
    for (int kind = RG_FLOW_BATCH; kind <= RG_FLOW_PARALLEL_BATCH; kind++) {
        rg_flow_graph *g;
        rg_flow_node *node;
        rg_flow_graph_new(&g);
        rg_flow_node_new(g, "squares", (rg_flow_kind)kind, &square_ops, NULL, &node);
        rg_flow_set_threads(node, 4);
        rg_flow_store_delete(store, "result");
        CHECK(rg_flow_run(node, store, NULL, NULL, 0) == RG_OK);
        CHECK(strcmp(store_text(store, "result"), want_text) == 0);
        rg_flow_graph_free(g);
    }
    /* A failing item: the error names the node and the first failing index. */
    cJSON_ReplaceItemInArray(items, 7, cJSON_CreateNumber(-1));
    cJSON_ReplaceItemInArray(items, 30, cJSON_CreateNumber(-1));
    rg_flow_store_set(store, "items", items);
    rg_flow_graph *g;
    rg_flow_node *node;
    rg_flow_graph_new(&g);
    rg_flow_node_new(g, "squares", RG_FLOW_PARALLEL_BATCH, &square_ops, NULL, &node);
    rg_flow_set_threads(node, 3);
    CHECK(rg_flow_run(node, store, NULL, NULL, 0) == RG_ERR_INVALID);
    CHECK(strstr(last_error(), "node 'squares': item 7: exec: negative item") != NULL);
    /* prep must give a list. */
    rg_flow_store_set_json(store, "items", "{\"a\": 1}");
    CHECK(rg_flow_run(node, store, NULL, NULL, 0) == RG_ERR_INVALID);
    CHECK(strstr(last_error(), "must return a list") != NULL);
    rg_flow_graph_free(g);
    cJSON_free(want_text);
    cJSON_Delete(items);
    cJSON_Delete(want);
    rg_flow_store_free(store);
}

/* ---- limits and errors ------------------------------------------------------- */

static rg_status failing_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    cJSON *v;
    return rg_flow_store_get(ctx->store, "question", &v);   /* absent: names the key */
}

static void test_step_limit_and_errors_name_the_node(void)
{
    rg_flow_graph *g;
    rg_flow_node *a, *b, *flow, *bad;
    rg_flow_graph_new(&g);
    rg_flow_node_new(g, "ping", RG_FLOW_NODE, &trace_ops, NULL, &a);
    rg_flow_node_new(g, "pong", RG_FLOW_NODE, &trace_ops, NULL, &b);
    rg_flow_connect(a, NULL, b);
    rg_flow_connect(b, NULL, a);
    rg_flow_new(g, "loop", a, NULL, NULL, &flow);
    rg_flow_set_max_steps(flow, 5);
    rg_flow_store *store;
    rg_flow_store_new(&store);
    CHECK(rg_flow_run(flow, store, NULL, NULL, 0) == RG_ERR_LIMIT);
    CHECK(strstr(last_error(), "flow 'loop': more than 5 steps") && strstr(last_error(), "node 'pong'"));
    CHECK(strcmp(store_text(store, "trace"), "[\"ping\",\"pong\",\"ping\",\"pong\",\"ping\"]") == 0);

    rg_flow_ops ops = { .prep = failing_prep };
    rg_flow_node_new(g, "ask", RG_FLOW_NODE, &ops, NULL, &bad);
    CHECK(rg_flow_run(bad, store, NULL, NULL, 0) == RG_ERR_NOT_FOUND);
    CHECK(strcmp(last_error(), "node 'ask': prep: no key 'question' in the store") == 0);
    CHECK(rg_flow_node_new(g, "ask", RG_FLOW_NODE, &ops, NULL, &bad) == RG_ERR_INVALID);
    rg_flow_store_free(store);
    rg_flow_graph_free(g);
}

int main(void)
{
    RUN(test_routes_by_action_and_ends_without_successor);
    RUN(test_retries_then_fallback);
    RUN(test_nested_flow_is_a_node);
    RUN(test_batch_and_parallel_batch_keep_input_order);
    RUN(test_step_limit_and_errors_name_the_node);
    TESTS_DONE();
}
