/*
 * flow_internal.h — the engine's own view of nodes and graphs, shared by
 * engine.c (running), batch.c (the thread pool of parallel batch nodes),
 * check.c (validation and drawing) and the flow-file loader.
 *
 * A graph is an arena: a singly linked list of every node made in it, freed
 * together. A node keeps its successors as a small array of (action, next)
 * edges in the order they were connected, which is also the order in which
 * they are drawn and checked.
 */
#ifndef RUSTGPT_FLOW_INTERNAL_H
#define RUSTGPT_FLOW_INTERNAL_H

#include "rustgpt/flow.h"
#include "core/util.h"

#include <cjson/cJSON.h>

typedef struct {
    char action[RG_FLOW_ACTION_MAX];
    rg_flow_node *next;
} FlowEdge;

struct rg_flow_node {
    rg_flow_graph *graph;
    char *name;
    rg_flow_kind kind;
    rg_flow_ops ops;
    void *user;
    cJSON *params;               /* an object, or NULL for none               */
    int max_retries;             /* tries of exec, at least 1                 */
    double wait_seconds;         /* pause between tries                       */
    int n_threads;               /* parallel batch: 0 = one per core          */
    long max_steps;              /* flow: node runs per run, 0 = no limit     */
    rg_flow_node *start;         /* flow: the first node                      */
    FlowEdge *edges;
    int n_edges;
    char **actions;              /* what post may return, when declared       */
    int n_actions;
    int declared;                /* 1 once rg_flow_declare_actions was called */
    const char *type;            /* a flow file's node type, for drawings (static) */
    rg_flow_node *next_in_graph;
};

struct rg_flow_graph {
    rg_flow_node *first;
    int n_nodes;
};

/* A short word for a status, for messages when a callback left none. */
static inline const char *rg_status_text(rg_status st)
{
    static const char *const words[] = { "ok", "i/o error", "bad format", "invalid", "out of memory",
        "unsupported", "not found", "buffer too small", "limit exceeded", "interrupted", "plugin error" };
    return (unsigned)st < sizeof words / sizeof words[0] ? words[st] : "error";
}

/* The successor of node for action ("default" when action is ""), or NULL. */
rg_flow_node *flow_successor(const rg_flow_node *node, const char *action);

/* Run exec over every item of the array items with the node's retries, on
 * ctx->node's threads, results in input order into *results (an array).
 * A failure names the item's index. */
rg_status flow_exec_parallel(const rg_flow_ctx *ctx, const cJSON *items, cJSON **results);

/* One exec with the node's retries and fallback; the message of a failure
 * names the node, the item (when ctx->item >= 0) and the step. */
rg_status flow_exec_with_retries(const rg_flow_ctx *ctx, const cJSON *input, cJSON **result);

#endif
