/*
 * engine.c — the flow engine: nodes, edges, and the loop that runs them.
 *
 * Running one node is always the same three steps:
 *
 *     prep_result = prep(store)                    reads the store
 *     exec_result = exec(prep_result)              the work; retried
 *     action      = post(store, prep, exec)        writes, chooses the edge
 *
 * For a batch node exec runs once per item of prep's list (batch.c does it
 * on threads for a parallel batch node); for a flow node the "exec" is the
 * walk over its own graph:
 *
 *     node = start
 *     while node:   action = run(node);  node = successor(node, action)
 *
 * and its result is the last action, which post passes on by default, so
 * a flow nested in another behaves like any node. Params flow downward:
 * a node sees its own params overridden by those of the flows around it.
 *
 * Callback errors are wrapped once, where they happen, as
 * "node 'NAME': STEP: message"; a flow that fails because a node inside it
 * failed passes that message on unchanged.
 */
#include "flow/flow_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_ullong transitions;

unsigned long long rg_flow_transitions(void)
{
    return atomic_load(&transitions);
}

rg_status rg_flow_set_error(rg_status status, const char *message)
{
    fail("%s", message ? message : "failed");
    return status == RG_OK ? RG_ERR_INVALID : status;
}

/* ---- the graph arena ------------------------------------------------------ */

rg_status rg_flow_graph_new(rg_flow_graph **out)
{
    *out = xcalloc(1, sizeof **out);
    return *out ? RG_OK : RG_ERR_NOMEM;
}

void rg_flow_graph_free(rg_flow_graph *graph)
{
    if (!graph) return;
    rg_flow_node *node = graph->first;
    while (node) {
        rg_flow_node *next = node->next_in_graph;
        if (node->ops.free_user) node->ops.free_user(node->user);
        for (int i = 0; i < node->n_actions; i++) free(node->actions[i]);
        free(node->actions);
        free(node->edges);
        cJSON_Delete(node->params);
        free(node->name);
        free(node);
        node = next;
    }
    free(graph);
}

rg_flow_node *rg_flow_graph_find(rg_flow_graph *graph, const char *name)
{
    for (rg_flow_node *n = graph->first; n; n = n->next_in_graph)
        if (strcmp(n->name, name) == 0) return n;
    return NULL;
}

static rg_status add_node(rg_flow_graph *graph, const char *name, rg_flow_kind kind,
                          const rg_flow_ops *ops, void *user, rg_flow_node **out)
{
    *out = NULL;
    if (!name || !name[0]) {
        fail("a flow node needs a name");
        return RG_ERR_INVALID;
    }
    if (rg_flow_graph_find(graph, name)) {
        fail("node '%s': the name is used twice", name);
        return RG_ERR_INVALID;
    }
    rg_flow_node *n = xcalloc(1, sizeof *n);
    if (!n || !(n->name = xstrdup(name))) {
        free(n);
        return RG_ERR_NOMEM;
    }
    n->graph = graph;
    n->kind = kind;
    if (ops) n->ops = *ops;
    n->user = user;
    n->max_retries = 1;
    n->next_in_graph = graph->first;    /* newest first; the order is not used */
    graph->first = n;
    graph->n_nodes++;
    *out = n;
    return RG_OK;
}

rg_status rg_flow_node_new(rg_flow_graph *graph, const char *name, rg_flow_kind kind,
                           const rg_flow_ops *ops, void *user, rg_flow_node **out)
{
    if (kind != RG_FLOW_NODE && kind != RG_FLOW_BATCH && kind != RG_FLOW_PARALLEL_BATCH) {
        *out = NULL;
        fail("node '%s': kind %d is not a node kind (flows are made by rg_flow_new)",
             name ? name : "", (int)kind);
        return RG_ERR_INVALID;
    }
    return add_node(graph, name, kind, ops, user, out);
}

rg_status rg_flow_new(rg_flow_graph *graph, const char *name, rg_flow_node *start,
                      const rg_flow_ops *ops, void *user, rg_flow_node **out)
{
    rg_status st = add_node(graph, name, RG_FLOW_FLOW, ops, user, out);
    if (st == RG_OK && start) st = rg_flow_set_start(*out, start);
    return st;
}

rg_status rg_flow_set_start(rg_flow_node *flow, rg_flow_node *start)
{
    if (flow->kind != RG_FLOW_FLOW || !start || start->graph != flow->graph || start == flow) {
        fail("flow '%s': the start must be another node of the same graph", flow->name);
        return RG_ERR_INVALID;
    }
    flow->start = start;
    return RG_OK;
}

/* ---- edges and settings ---------------------------------------------------- */

rg_flow_node *flow_successor(const rg_flow_node *node, const char *action)
{
    if (!action || !action[0]) action = RG_FLOW_DEFAULT;
    for (int i = 0; i < node->n_edges; i++)
        if (strcmp(node->edges[i].action, action) == 0) return node->edges[i].next;
    return NULL;
}

rg_status rg_flow_connect(rg_flow_node *node, const char *action, rg_flow_node *next)
{
    if (!action || !action[0]) action = RG_FLOW_DEFAULT;
    if (!next || next->graph != node->graph) {
        fail("node '%s': action '%s': the successor must be a node of the same graph", node->name, action);
        return RG_ERR_INVALID;
    }
    if (strlen(action) >= RG_FLOW_ACTION_MAX) {
        fail("node '%s': action '%.20s...' is longer than %d bytes", node->name, action, RG_FLOW_ACTION_MAX - 1);
        return RG_ERR_INVALID;
    }
    for (int i = 0; i < node->n_edges; i++)
        if (strcmp(node->edges[i].action, action) == 0) {
            node->edges[i].next = next;
            return RG_OK;
        }
    FlowEdge *grown = realloc(node->edges, (size_t)(node->n_edges + 1) * sizeof *grown);
    if (!grown) {
        fail("out of memory connecting node '%s'", node->name);
        return RG_ERR_NOMEM;
    }
    node->edges = grown;
    snprintf(grown[node->n_edges].action, RG_FLOW_ACTION_MAX, "%s", action);
    grown[node->n_edges].next = next;
    node->n_edges++;
    return RG_OK;
}

rg_status rg_flow_set_params(rg_flow_node *node, const cJSON *params)
{
    if (params && !cJSON_IsObject(params)) {
        fail("node '%s': params must be a JSON object", node->name);
        return RG_ERR_INVALID;
    }
    cJSON *copy = NULL;
    if (params && params->child && !(copy = cJSON_Duplicate(params, 1))) {
        fail("out of memory setting the params of node '%s'", node->name);
        return RG_ERR_NOMEM;
    }
    cJSON_Delete(node->params);
    node->params = copy;
    return RG_OK;
}

void rg_flow_set_retries(rg_flow_node *node, int max_retries, double wait_seconds)
{
    node->max_retries = max_retries < 1 ? 1 : max_retries;
    node->wait_seconds = wait_seconds > 0 ? wait_seconds : 0;
}

void rg_flow_set_threads(rg_flow_node *node, int n_threads)
{
    node->n_threads = n_threads < 0 ? 0 : n_threads;
}

void rg_flow_set_max_steps(rg_flow_node *flow, long max_steps)
{
    flow->max_steps = max_steps < 0 ? 0 : max_steps;
}

rg_status rg_flow_declare_actions(rg_flow_node *node, const char *const *actions, int n_actions)
{
    char **list = n_actions > 0 ? xcalloc((size_t)n_actions, sizeof *list) : NULL;
    if (n_actions > 0 && !list) return RG_ERR_NOMEM;
    for (int i = 0; i < n_actions; i++) {
        const char *a = actions[i] && actions[i][0] ? actions[i] : RG_FLOW_DEFAULT;
        if (strlen(a) >= RG_FLOW_ACTION_MAX || !(list[i] = xstrdup(a))) {
            for (int j = 0; j < i; j++) free(list[j]);
            free(list);
            fail("node '%s': action '%.20s' cannot be declared", node->name, a);
            return RG_ERR_INVALID;
        }
    }
    for (int i = 0; i < node->n_actions; i++) free(node->actions[i]);
    free(node->actions);
    node->actions = list;
    node->n_actions = n_actions;
    node->declared = 1;
    return RG_OK;
}

const char *rg_flow_node_name(const rg_flow_node *node) { return node->name; }
rg_flow_kind rg_flow_node_kind(const rg_flow_node *node) { return node->kind; }
void *rg_flow_node_user(const rg_flow_node *node) { return node->user; }

/* ---- running ---------------------------------------------------------------- */

/* Wrap the message a callback left as "node 'NAME': STEP: message". */
static rg_status wrap_error(rg_status st, const rg_flow_ctx *ctx, const char *step)
{
    char message[1024];
    snprintf(message, sizeof message, "%s", last_error()[0] ? last_error() : rg_status_text(st));
    if (ctx->item >= 0) fail("node '%s': item %d: %s: %s", ctx->name, ctx->item, step, message);
    else fail("node '%s': %s: %s", ctx->name, step, message);
    return st;
}

static void sleep_seconds(double seconds)
{
    struct timespec t = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

rg_status flow_exec_with_retries(const rg_flow_ctx *ctx, const cJSON *input, cJSON **result)
{
    const rg_flow_node *node = ctx->node;
    *result = NULL;
    if (!node->ops.exec) return RG_OK;
    rg_flow_ctx try_ctx = *ctx;
    rg_status st = RG_OK;
    for (int attempt = 0; attempt < node->max_retries; attempt++) {
        try_ctx.attempt = attempt;
        clear_error();                       /* no stale message from before */
        st = node->ops.exec(&try_ctx, input, result);
        if (st == RG_OK) return RG_OK;
        cJSON_Delete(*result);
        *result = NULL;
        if (attempt + 1 < node->max_retries && node->wait_seconds > 0) sleep_seconds(node->wait_seconds);
    }
    if (node->ops.exec_fallback) {
        char message[1024];
        snprintf(message, sizeof message, "%s", last_error()[0] ? last_error() : rg_status_text(st));
        st = node->ops.exec_fallback(&try_ctx, input, message, result);
        if (st == RG_OK) return RG_OK;
        cJSON_Delete(*result);
        *result = NULL;
        return wrap_error(st, &try_ctx, "exec_fallback");
    }
    char step[64];
    snprintf(step, sizeof step, node->max_retries > 1 ? "exec (%d tries)" : "exec", node->max_retries);
    return wrap_error(st, &try_ctx, step);
}

/* The params a node sees: its own, overridden by the enclosing flows'
 * (outer). *owned is set when a merged object had to be made. */
static const cJSON *effective_params(const rg_flow_node *node, const cJSON *outer, cJSON **owned)
{
    static const cJSON empty = { .type = cJSON_Object };
    *owned = NULL;
    int has_outer = outer && outer->child, has_own = node->params != NULL;
    if (!has_own) return has_outer ? outer : &empty;
    if (!has_outer) return node->params;
    cJSON *merged = cJSON_Duplicate(node->params, 1);
    if (!merged) return NULL;
    for (const cJSON *p = outer->child; p; p = p->next) {
        cJSON *copy = cJSON_Duplicate(p, 1);
        if (!copy) {
            cJSON_Delete(merged);
            return NULL;
        }
        if (cJSON_GetObjectItemCaseSensitive(merged, p->string))
            cJSON_ReplaceItemInObjectCaseSensitive(merged, p->string, copy);
        else
            cJSON_AddItemToObject(merged, p->string, copy);
    }
    *owned = merged;
    return merged;
}

static rg_status run_node(rg_flow_node *node, rg_flow_store *store, const cJSON *outer,
                          char action[RG_FLOW_ACTION_MAX]);

/* The walk of a flow node over its graph; the last action into action. */
static rg_status orchestrate(const rg_flow_ctx *ctx, char action[RG_FLOW_ACTION_MAX])
{
    const rg_flow_node *flow = ctx->node;
    if (!flow->start) {
        fail("flow '%s': no start node", flow->name);
        return RG_ERR_INVALID;
    }
    snprintf(action, RG_FLOW_ACTION_MAX, "%s", RG_FLOW_DEFAULT);
    long steps = 0;
    for (rg_flow_node *node = flow->start; node; node = flow_successor(node, action)) {
        if (flow->max_steps > 0 && ++steps > flow->max_steps) {
            fail("flow '%s': more than %ld steps (max_steps), stopped before node '%s'",
                 flow->name, flow->max_steps, node->name);
            return RG_ERR_LIMIT;
        }
        rg_status st = run_node(node, ctx->store, ctx->params, action);
        if (st != RG_OK) return st;
    }
    return RG_OK;
}

/* exec of any kind of node: one input, a list of them, or a flow's walk. */
static rg_status exec_step(const rg_flow_ctx *ctx, const cJSON *prep_result, cJSON **exec_result)
{
    const rg_flow_node *node = ctx->node;
    *exec_result = NULL;
    if (node->kind == RG_FLOW_NODE) return flow_exec_with_retries(ctx, prep_result, exec_result);
    if (node->kind == RG_FLOW_FLOW) {
        char last[RG_FLOW_ACTION_MAX];
        rg_status st = orchestrate(ctx, last);
        if (st != RG_OK) return st;
        *exec_result = cJSON_CreateString(last);
        return *exec_result ? RG_OK : RG_ERR_NOMEM;
    }
    static const cJSON no_items = { .type = cJSON_Array };
    if (!prep_result || cJSON_IsNull(prep_result)) prep_result = &no_items;
    if (!cJSON_IsArray(prep_result)) {
        fail("node '%s': prep: a batch node's prep must return a list, not %s", node->name,
             cJSON_IsObject(prep_result) ? "an object" : "a single value");
        return RG_ERR_INVALID;
    }
    if (node->kind == RG_FLOW_PARALLEL_BATCH) return flow_exec_parallel(ctx, prep_result, exec_result);
    cJSON *results = cJSON_CreateArray();
    if (!results) return RG_ERR_NOMEM;
    rg_flow_ctx item_ctx = *ctx;
    item_ctx.item = 0;
    for (const cJSON *item = prep_result->child; item; item = item->next, item_ctx.item++) {
        cJSON *one;
        rg_status st = flow_exec_with_retries(&item_ctx, item, &one);
        if (st != RG_OK) {
            cJSON_Delete(results);
            return st;
        }
        cJSON_AddItemToArray(results, one ? one : cJSON_CreateNull());
    }
    *exec_result = results;
    return RG_OK;
}

static rg_status run_node(rg_flow_node *node, rg_flow_store *store, const cJSON *outer,
                          char action[RG_FLOW_ACTION_MAX])
{
    atomic_fetch_add_explicit(&transitions, 1, memory_order_relaxed);
    cJSON *owned_params;
    const cJSON *params = effective_params(node, outer, &owned_params);
    if (!params) {
        fail("node '%s': out of memory merging params", node->name);
        return RG_ERR_NOMEM;
    }
    rg_flow_ctx ctx = { .node = node, .name = node->name, .params = params,
                        .store = store, .user = node->user, .attempt = 0, .item = -1 };
    cJSON *prep_result = NULL, *exec_result = NULL;
    rg_status st = RG_OK;
    action[0] = '\0';
    if (node->ops.prep) {
        clear_error();
        st = node->ops.prep(&ctx, &prep_result);
        if (st != RG_OK) st = wrap_error(st, &ctx, "prep");
    }
    if (st == RG_OK) st = exec_step(&ctx, prep_result, &exec_result);
    if (st == RG_OK && node->ops.post) {
        clear_error();
        st = node->ops.post(&ctx, prep_result, exec_result, action);
        if (st != RG_OK) st = wrap_error(st, &ctx, "post");
        action[RG_FLOW_ACTION_MAX - 1] = '\0';
    } else if (st == RG_OK && node->kind == RG_FLOW_FLOW) {
        /* A flow without its own post passes on the action it ended with. */
        snprintf(action, RG_FLOW_ACTION_MAX, "%s", exec_result->valuestring);
    }
    if (st == RG_OK && !action[0]) snprintf(action, RG_FLOW_ACTION_MAX, "%s", RG_FLOW_DEFAULT);
    cJSON_Delete(prep_result);
    cJSON_Delete(exec_result);
    cJSON_Delete(owned_params);
    return st;
}

rg_status rg_flow_run(rg_flow_node *node, rg_flow_store *store, const cJSON *params,
                      char *action_out, size_t cap)
{
    if (params && !cJSON_IsObject(params)) {
        fail("node '%s': run params must be a JSON object", node->name);
        return RG_ERR_INVALID;
    }
    char action[RG_FLOW_ACTION_MAX];
    rg_status st = run_node(node, store, params, action);
    if (st == RG_OK && action_out && cap > 0) snprintf(action_out, cap, "%s", action);
    return st;
}
