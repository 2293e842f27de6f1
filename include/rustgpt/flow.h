/*
 * rustgpt/flow.h — flows: a minimal graph engine for LLM workflows.
 *
 * The design is MinLLM's (the idea behind PocketFlow), in C:
 *
 *   - a node runs in three steps: prep(store) reads what it needs from the
 *     shared store, exec(prep_result) does the work (and may be retried: it
 *     should not touch the store), post(store, prep_result, exec_result)
 *     writes the results back and returns an action, a short string;
 *   - actions are edges: each node maps actions to successor nodes, with
 *     "default" for the action of a node that does not choose;
 *   - a flow runs from its start node, following the action each node
 *     returns, until an action has no successor; that action is the flow's
 *     result, so a flow is itself a node and can sit inside another flow;
 *   - the shared store is a key -> JSON value map (cJSON) that several
 *     threads may use at once: values are copied in and out under a mutex;
 *   - a batch node runs exec once per item of the list prep returns; a
 *     parallel batch node runs the items on a pool of threads, results kept
 *     in input order.
 *
 * Every value that crosses a node's steps is a cJSON tree. Ownership: what a
 * callback stores in an out-parameter belongs to the engine (it frees it);
 * what the engine passes in stays the engine's. Errors are rg_status values;
 * rg_last_error() names the node (and the key, where one is involved).
 * Nodes live in a graph (rg_flow_graph) that frees them all at once, so
 * loops between nodes need no reference counting.
 */
#ifndef RUSTGPT_FLOW_H
#define RUSTGPT_FLOW_H

#include "rustgpt.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

/* The action a node returns when it does not choose one. */
#define RG_FLOW_DEFAULT "default"
/* The longest action, with its NUL. */
#define RG_FLOW_ACTION_MAX 64

/* ---- the shared store -------------------------------------------------- */

/* A key -> JSON value map, safe to use from several threads at once. */
typedef struct rg_flow_store rg_flow_store;

/* A new, empty store. The caller frees it with rg_flow_store_free.
 * Errors: RG_ERR_NOMEM. */
rg_status rg_flow_store_new(rg_flow_store **out);
/* Free the store and every value in it (NULL is ignored). */
void rg_flow_store_free(rg_flow_store *store);
/* A deep copy of the whole store (for a sub-flow run on its own data).
 * Errors: RG_ERR_NOMEM. */
rg_status rg_flow_store_clone(rg_flow_store *store, rg_flow_store **out);
/* Set key to a copy of value (the caller keeps value). Errors: RG_ERR_NOMEM. */
rg_status rg_flow_store_set(rg_flow_store *store, const char *key, const struct cJSON *value);
/* Set key to value and take it over: the store frees it, also on error. */
rg_status rg_flow_store_put(rg_flow_store *store, const char *key, struct cJSON *value);
/* Set key to the JSON text json (parsed first). Errors: RG_ERR_FORMAT
 * naming the key when json is not valid JSON. */
rg_status rg_flow_store_set_json(rg_flow_store *store, const char *key, const char *json);
/* Set key to the string text. */
rg_status rg_flow_store_set_string(rg_flow_store *store, const char *key, const char *text);
/* A copy of key's value into *out (the caller frees it with cJSON_Delete).
 * Errors: RG_ERR_NOT_FOUND naming the key. */
rg_status rg_flow_store_get(rg_flow_store *store, const char *key, struct cJSON **out);
/* key's value as JSON text into *out (the caller frees it with
 * rg_flow_free_string). Errors: RG_ERR_NOT_FOUND naming the key. */
rg_status rg_flow_store_get_json(rg_flow_store *store, const char *key, char **out);
/* Append a copy of value to the array at key in one step (an absent key
 * becomes a one-element array), so that many threads may collect results.
 * Errors: RG_ERR_INVALID when key holds something other than an array. */
rg_status rg_flow_store_append(rg_flow_store *store, const char *key, const struct cJSON *value);
/* Add delta to the number at key in one step (absent: 0) and give the new
 * value in *result (may be NULL). Errors: RG_ERR_INVALID for a non-number. */
rg_status rg_flow_store_add(rg_flow_store *store, const char *key, double delta, double *result);
/* 1 when key is present, else 0. */
int rg_flow_store_has(rg_flow_store *store, const char *key);
/* Remove key (absent keys are ignored). */
void rg_flow_store_delete(rg_flow_store *store, const char *key);
/* The whole store as one JSON object text into *out (the caller frees it
 * with rg_flow_free_string); pretty != 0 indents it. Errors: RG_ERR_NOMEM. */
rg_status rg_flow_store_dump(rg_flow_store *store, int pretty, char **out);
/* Free a string the flow API returned. */
void rg_flow_free_string(char *s);

/* ---- nodes -------------------------------------------------------------- */

/* The arena a flow's nodes live in: freeing it frees them all, so nodes may
 * point at each other in loops. */
typedef struct rg_flow_graph rg_flow_graph;
/* One node: its kind, callbacks, params, retries and successors by action. */
typedef struct rg_flow_node rg_flow_node;

/* What a node is. A batch node's prep returns a JSON array; exec runs once
 * per item (with the node's retries each) and post receives the array of
 * results in input order. A parallel batch node runs those items on
 * threads. A flow node runs the nodes from its start node. */
typedef enum {
    RG_FLOW_NODE = 0,
    RG_FLOW_BATCH = 1,
    RG_FLOW_PARALLEL_BATCH = 2,
    RG_FLOW_FLOW = 3,
} rg_flow_kind;

/* What the callbacks of one step are given. */
typedef struct {
    rg_flow_node *node;          /* the node that runs                              */
    const char *name;            /* its name                                        */
    const struct cJSON *params;  /* the params in effect: the node's own, under the
                                    enclosing flows' (an object, never NULL)        */
    rg_flow_store *store;        /* the shared store                                */
    void *user;                  /* the node's user pointer                         */
    int attempt;                 /* exec: 0 on the first try, 1 on the second, ...  */
    int item;                    /* exec of a batch node: the item's index, else -1 */
} rg_flow_ctx;

/* A node's behaviour. Every callback may be NULL: prep then gives JSON null,
 * exec gives JSON null, post returns "default". A callback that fails
 * returns a status other than RG_OK after rg_flow_set_error(); the engine
 * adds the node's name and the step to the message. */
typedef struct {
    /* Read from the store; *prep_result (may stay NULL) goes to exec and post. */
    rg_status (*prep)(const rg_flow_ctx *ctx, struct cJSON **prep_result);
    /* Do the work on input (the prep result, or one item of it for a batch
     * node); *exec_result goes to post. Retried up to max_retries times. */
    rg_status (*exec)(const rg_flow_ctx *ctx, const struct cJSON *input, struct cJSON **exec_result);
    /* Called instead of failing after exec's last try; error is exec's
     * message. May give a result (the node goes on) or fail. */
    rg_status (*exec_fallback)(const rg_flow_ctx *ctx, const struct cJSON *input, const char *error,
                               struct cJSON **exec_result);
    /* Write results to the store and choose the next action: copy it into
     * action[0..RG_FLOW_ACTION_MAX) (leaving it "" means "default"). */
    rg_status (*post)(const rg_flow_ctx *ctx, const struct cJSON *prep_result,
                      const struct cJSON *exec_result, char *action);
    /* Called once for user when the graph is freed (may be NULL). */
    void (*free_user)(void *user);
} rg_flow_ops;

/* Record the message of a failing callback (on this thread) and return
 * status, so a callback can `return rg_flow_set_error(RG_ERR_INVALID, "...")`. */
rg_status rg_flow_set_error(rg_status status, const char *message);

/* A new graph: the arena its nodes live in. Errors: RG_ERR_NOMEM. */
rg_status rg_flow_graph_new(rg_flow_graph **out);
/* Free the graph, every node in it (calling their free_user) and every
 * param. No run of any of its nodes may be in progress. */
void rg_flow_graph_free(rg_flow_graph *graph);

/* A new node of kind (not RG_FLOW_FLOW: see rg_flow_new) named name (unique
 * in the graph) with behaviour ops (copied) and user. Errors: RG_ERR_INVALID
 * (empty or duplicate name), RG_ERR_NOMEM. */
rg_status rg_flow_node_new(rg_flow_graph *graph, const char *name, rg_flow_kind kind,
                           const rg_flow_ops *ops, void *user, rg_flow_node **out);
/* A new flow node named name that starts at start (a node of the same
 * graph; NULL: set it later with rg_flow_set_start). ops may be NULL or give
 * the flow's own prep and post (exec is not used: the run is the exec, and
 * its result is the last action as a JSON string). */
rg_status rg_flow_new(rg_flow_graph *graph, const char *name, rg_flow_node *start,
                      const rg_flow_ops *ops, void *user, rg_flow_node **out);
/* Set or change a flow node's start node. Errors: RG_ERR_INVALID. */
rg_status rg_flow_set_start(rg_flow_node *flow, rg_flow_node *start);
/* The node called name in graph, or NULL. */
rg_flow_node *rg_flow_graph_find(rg_flow_graph *graph, const char *name);

/* Make next the successor of node for action (NULL means "default"); a
 * second call for the same action replaces the first. Errors:
 * RG_ERR_INVALID (nodes of different graphs, action too long). */
rg_status rg_flow_connect(rg_flow_node *node, const char *action, rg_flow_node *next);
/* Set the node's params to a copy of params (a JSON object). Params of an
 * enclosing flow override a node's own, as in PocketFlow.
 * Errors: RG_ERR_INVALID (not an object), RG_ERR_NOMEM. */
rg_status rg_flow_set_params(rg_flow_node *node, const struct cJSON *params);
/* exec is tried up to max_retries times (at least 1), sleeping wait_seconds
 * between tries; after the last failure exec_fallback runs, if the node
 * has one, else the node fails. */
void rg_flow_set_retries(rg_flow_node *node, int max_retries, double wait_seconds);
/* Threads of a parallel batch node (0: one per core, the default). */
void rg_flow_set_threads(rg_flow_node *node, int n_threads);
/* The most node runs of one run of this flow (0: no limit, the default);
 * going past it is RG_ERR_LIMIT naming the node it stopped at. */
void rg_flow_set_max_steps(rg_flow_node *flow, long max_steps);
/* Declare every action node's post can return (for validation: a successor
 * for an action outside the list is an error, and an action of the list
 * with no successor is a way out of a loop). Errors: RG_ERR_INVALID. */
rg_status rg_flow_declare_actions(rg_flow_node *node, const char *const *actions, int n_actions);

/* The node's name, kind and user pointer. */
const char *rg_flow_node_name(const rg_flow_node *node);
rg_flow_kind rg_flow_node_kind(const rg_flow_node *node);
void *rg_flow_node_user(const rg_flow_node *node);

/* ---- running ------------------------------------------------------------ */

/* Run node (any kind: a flow runs its graph) against store with extra
 * params (an object or NULL) over the node's own. The action it ends with
 * (a flow: the last node's action) is copied into action_out[0..cap) when
 * action_out is not NULL. Errors: those of the callbacks, with the node's
 * name and step; RG_ERR_LIMIT past max_steps; RG_ERR_INVALID when a flow
 * has no start node. */
rg_status rg_flow_run(rg_flow_node *node, rg_flow_store *store, const struct cJSON *params,
                      char *action_out, size_t cap);

/* Node runs since the process started (all flows, all threads): what
 * `rustgpt bench flow` divides by time. */
unsigned long long rg_flow_transitions(void);

/* ---- checking and drawing ----------------------------------------------- */

/* Check the graph of flow before it runs: a successor for an action a node
 * declared it never returns, nodes of the graph that no path from the start
 * reaches (nested flows count their own start), and loops that cannot be
 * left (every declared action of every node in them leads back in). The
 * first problem found is the error, naming the nodes. Errors:
 * RG_ERR_INVALID. */
rg_status rg_flow_validate(rg_flow_node *flow);

/* Drawing formats of rg_flow_render. */
typedef enum { RG_FLOW_MERMAID = 0, RG_FLOW_DOT = 1 } rg_flow_format;
/* The graph of flow as Mermaid ("flowchart TD") or Graphviz dot text into
 * *out (the caller frees it with rg_flow_free_string); edges are labelled
 * with their actions, nested flows drawn as subgraphs. Errors: RG_ERR_NOMEM. */
rg_status rg_flow_render(rg_flow_node *flow, rg_flow_format format, char **out);


/* ---- flow files ---------------------------------------------------------- */

/* A flow loaded from a JSON flow file (docs/20-flows.md describes the
 * format and the built-in node types). */
typedef struct rg_flow_file rg_flow_file;

/* Options of rg_flow_file_load; NULL means all defaults. */
typedef struct {
    const char *dir;         /* the directory read_file/write_file are confined to;
                                NULL: a file with such nodes does not load      */
    const char *model;       /* the model of generate/embed nodes that name none */
} rg_flow_file_options;

/* Load and check a flow file: malformed JSON (with line and column),
 * unknown node types or keys, missing keys, successors naming no node,
 * paths outside opt->dir, bad regular expressions and everything
 * rg_flow_validate finds are errors naming the file, the node and the key.
 * Nothing runs and nothing is written. The caller frees *out.
 * Errors: RG_ERR_IO, RG_ERR_FORMAT, RG_ERR_INVALID, RG_ERR_NOMEM. */
rg_status rg_flow_file_load(const char *path, const rg_flow_file_options *opt, rg_flow_file **out);
/* The same from JSON text; base_dir is where sub-flow files and relative
 * model paths are looked up (NULL: the current directory). */
rg_status rg_flow_file_parse(const char *json, const char *base_dir, const rg_flow_file_options *opt,
                             rg_flow_file **out);
/* Free the flow, its graph and the models it loaded (NULL is ignored). */
void rg_flow_file_free(rg_flow_file *file);
/* Its flow node, for rg_flow_run and rg_flow_render (owned by file). */
rg_flow_node *rg_flow_file_flow(rg_flow_file *file);
/* Put the file's initial "store" values into store (keys already present
 * are kept, so values set before, such as --set, win). */
rg_status rg_flow_file_init_store(rg_flow_file *file, rg_flow_store *store);

#ifdef __cplusplus
}
#endif

#endif
