/*
 * flow_file.h — what the flow-file loader (file.c) shares with the built-in
 * node types (nodes_*.c).
 *
 * A flow file is JSON: {"start": NAME, "nodes": {NAME: {"type": T, ...}}}.
 * The loader reads it, asks each node type to build its node from the
 * node's object (checking its keys: a typo is an error, not a silent
 * default), wires "next" into edges and validates the graph. Everything that
 * can be checked before running is checked then, so a bad file fails before
 * it writes anything. Every message names the node and the key.
 */
#ifndef RUSTGPT_FLOW_FILE_H
#define RUSTGPT_FLOW_FILE_H

#include "flow/flow_internal.h"

typedef struct ModelCache ModelCache;

/* What a node type's builder may use: where the file is, the directory file
 * nodes are confined to, the default model, the model cache shared by the
 * whole run, and the nesting depth of sub-flows (map). */
typedef struct {
    const char *path;            /* the flow file, for messages ("(inline)" for text) */
    const char *base_dir;        /* its directory: sub-flow files and models are found from it */
    const char *dir;             /* --dir, resolved; NULL when none was given */
    const char *model;           /* the default model (--model) or NULL */
    ModelCache *models;
    int depth;
} FlowLoader;

/* A built-in node type. keys lists the keys it accepts besides the common
 * ones (type, next, max_retries, wait, params); build makes the node in g. */
typedef struct {
    const char *type;
    const char *const *keys;
    int (*build)(const FlowLoader *loader, rg_flow_graph *g, const char *name, const cJSON *spec,
                 rg_flow_node **out);
} FlowNodeType;

extern const FlowNodeType flow_type_template, flow_type_branch, flow_type_read_file,
    flow_type_write_file, flow_type_map, flow_type_http_chat, flow_type_generate,
    flow_type_embed, flow_type_search, flow_type_set;

/* A string key of a node's object into *out (NULL when absent and not
 * required); an error names the node and the key. */
int spec_string(const char *node, const cJSON *spec, const char *key, int required, const char **out);
/* A number key within [min, max] (default when absent). */
int spec_number(const char *node, const cJSON *spec, const char *key, double min, double max,
                double fallback, double *out);
/* A boolean key (default when absent). */
int spec_bool(const char *node, const cJSON *spec, const char *key, int fallback, int *out);

/* Fill {{key}} and {{key.field.0}} in text from the store into a new
 * string *out. A missing key fails naming it. */
int flow_render_template(const char *text, rg_flow_store *store, char **out);
/* Does text hold a {{...}} placeholder? */
int flow_has_placeholder(const char *text);
/* The store value at a dotted path ("doc.title", "hits.0.text") as a new
 * tree, or NULL after fail() naming the path. */
cJSON *flow_store_lookup(rg_flow_store *store, const char *path);

/* Resolve rel inside dir for reading or writing: no absolute paths, no
 * "..", no symbolic link that leads outside dir. *full gets the path to
 * open (malloc'd). */
int flow_confine_path(const char *dir, const char *rel, int for_write, char **full);

/* Load a sub-flow (an inline object, or a file name relative to the flow
 * file) into its own graph; *flow is its flow node. */
int flow_load_subflow(const FlowLoader *loader, const char *node, const cJSON *spec,
                      rg_flow_graph **graph, rg_flow_node **flow);

/* The model cache: each model file is loaded once per run and shared. */
int model_cache_new(ModelCache **out);
void model_cache_free(ModelCache *cache);
/* Embed texts[n] with the model at path (cached) and pooling (RG_POOL_DEFAULT:
 * the model's): *vectors gets [n, *dim]
 * L2-normalised rows (malloc'd, the caller frees). */
rg_status flow_embed_texts(ModelCache *cache, const char *path, const char *const *texts, int n,
                           rg_pooling pooling, float **vectors, int *dim);

#endif
