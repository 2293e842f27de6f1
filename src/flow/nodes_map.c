/*
 * nodes_map.c — `map`: run a sub-flow once per item of a list.
 *
 *   {"type": "map", "over": "documents", "item": "doc", "result": "summary",
 *    "to": "summaries", "parallel": true, "threads": 2,
 *    "flow": {"start": "summarise", "nodes": {...}}}
 *
 * It is a batch node whose exec is a whole flow: for item i the sub-flow
 * runs on its own copy of the store (so parallel runs cannot see each
 * other's working keys) with the item under "item" (default "item") and its
 * index under "index"; what it leaves under "result" (default "result") is
 * the item's result, and the list of results, in input order, goes to "to".
 * This is the map of map-reduce; a node after it is the reduce. "flow" is an
 * inline flow or the name of a flow file beside this one.
 */
#include "flow/flow_file.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    rg_flow_graph *graph;        /* the sub-flow's own graph */
    rg_flow_node *flow;
    char *over, *item, *result, *to;
} MapNode;

static void map_free(void *user)
{
    MapNode *m = user;
    if (!m) return;
    rg_flow_graph_free(m->graph);
    free(m->over);
    free(m->item);
    free(m->result);
    free(m->to);
    free(m);
}

static rg_status map_prep(const rg_flow_ctx *ctx, cJSON **out)
{
    const MapNode *m = ctx->user;
    *out = flow_store_lookup(ctx->store, m->over);
    if (!*out) return RG_ERR_NOT_FOUND;
    if (!cJSON_IsArray(*out)) {
        fail("key 'over': '%s' is not a list", m->over);
        return RG_ERR_INVALID;
    }
    return RG_OK;
}

static rg_status map_exec(const rg_flow_ctx *ctx, const cJSON *item, cJSON **out)
{
    const MapNode *m = ctx->user;
    rg_flow_store *own;
    rg_status st = rg_flow_store_clone(ctx->store, &own);
    if (st != RG_OK) return st;
    rg_flow_store_delete(own, m->result);
    cJSON *index = cJSON_CreateNumber(ctx->item);
    st = rg_flow_store_set(own, m->item, item);
    if (st == RG_OK) st = rg_flow_store_put(own, "index", index);
    else cJSON_Delete(index);
    if (st == RG_OK) st = rg_flow_run(m->flow, own, ctx->params, NULL, 0);
    if (st == RG_OK && rg_flow_store_get(own, m->result, out) != RG_OK) {
        fail("the sub-flow did not set key '%s' (the item's result)", m->result);
        st = RG_ERR_NOT_FOUND;
    }
    rg_flow_store_free(own);
    return st;
}

static rg_status map_post(const rg_flow_ctx *ctx, const cJSON *prep, const cJSON *exec, char *action)
{
    return rg_flow_store_set(ctx->store, ((const MapNode *)ctx->user)->to, exec);
}

static int build_map(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                     rg_flow_node **out)
{
    const char *over, *to, *item, *result;
    int parallel;
    double threads;
    if (spec_string(name, spec, "over", 1, &over) != 0 || spec_string(name, spec, "to", 1, &to) != 0 ||
        spec_string(name, spec, "item", 0, &item) != 0 || spec_string(name, spec, "result", 0, &result) != 0 ||
        spec_bool(name, spec, "parallel", 0, &parallel) != 0 ||
        spec_number(name, spec, "threads", 0, 256, 0, &threads) != 0)
        return -1;
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(spec, "flow");
    if (!sub) return fail("node '%s': missing key 'flow'", name);
    MapNode *m = xcalloc(1, sizeof *m);
    if (!m) return -1;
    m->over = xstrdup(over);
    m->to = xstrdup(to);
    m->item = xstrdup(item ? item : "item");
    m->result = xstrdup(result ? result : "result");
    if (!m->over || !m->to || !m->item || !m->result ||
        flow_load_subflow(loader, name, sub, &m->graph, &m->flow) != 0) {
        map_free(m);
        return -1;
    }
    static const rg_flow_ops ops = { .prep = map_prep, .exec = map_exec, .post = map_post, .free_user = map_free };
    if (rg_flow_node_new(g, name, parallel ? RG_FLOW_PARALLEL_BATCH : RG_FLOW_BATCH, &ops, m, out) != RG_OK) {
        map_free(m);
        return -1;
    }
    rg_flow_set_threads(*out, (int)threads);
    const char *actions[] = { RG_FLOW_DEFAULT };
    return rg_flow_declare_actions(*out, actions, 1) == RG_OK ? 0 : -1;
}

static const char *const map_keys[] = { "over", "to", "item", "result", "parallel", "threads", "flow", NULL };
const FlowNodeType flow_type_map = { "map", map_keys, build_map };
