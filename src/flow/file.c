/*
 * file.c — flow files: a flow described in JSON, loaded into a graph.
 *
 *   {
 *     "name": "qa",                       the flow's name (default "main")
 *     "start": "load",                    the first node
 *     "max_steps": 100,                   node runs per run (default 1000)
 *     "store": {"k": "v"},                initial values (--set overrides)
 *     "nodes": {
 *       "load":  {"type": "read_file", "path": "notes.txt", "to": "doc", "next": "ask"},
 *       "ask":   {"type": "branch", ..., "next": {"yes": "answer", "no": "load"}},
 *       ...
 *     }
 *   }
 *
 * Every node has a "type" (one of the built-in types below: there is no
 * shell type, on purpose) and may have "next" (a node name for "default",
 * or an object action -> node name), "max_retries", "wait" (seconds between
 * tries) and "params". Loading happens in two passes, build every node and
 * then wire the edges, so nodes may name successors defined later; the
 * graph is then validated (flow/check.c). Each message starts with the file
 * and names the node and the key, e.g.
 *   flows/qa.json: node 'ask': key 'cases': must be a non-empty list
 */
#include "flow/flow_file.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const FlowNodeType *const node_types[] = {
    &flow_type_template, &flow_type_generate, &flow_type_embed, &flow_type_search,
    &flow_type_branch,   &flow_type_map,      &flow_type_read_file, &flow_type_write_file,
    &flow_type_http_chat, &flow_type_set,
};
enum { N_TYPES = sizeof node_types / sizeof node_types[0], MAX_DEPTH = 8, DEFAULT_MAX_STEPS = 1000 };

struct rg_flow_file {
    rg_flow_graph *graph;
    rg_flow_node *flow;
    cJSON *initial_store;
    char *base_dir, *dir, *model;
    ModelCache *models;
};

static const FlowNodeType *find_type(const char *type)
{
    for (int i = 0; i < N_TYPES; i++)
        if (strcmp(node_types[i]->type, type) == 0) return node_types[i];
    return NULL;
}

static int check_keys(const char *node, const cJSON *spec, const FlowNodeType *type)
{
    static const char *const common[] = { "type", "next", "max_retries", "wait", "params", "description", NULL };
    for (const cJSON *k = spec->child; k; k = k->next) {
        int known = 0;
        for (int i = 0; common[i] && !known; i++) known = strcmp(k->string, common[i]) == 0;
        for (int i = 0; type->keys[i] && !known; i++) known = strcmp(k->string, type->keys[i]) == 0;
        if (!known) return fail("node '%s': unknown key '%s' for a %s node", node, k->string, type->type);
    }
    return 0;
}

static int build_node(const FlowLoader *L, rg_flow_graph *g, const char *name, const cJSON *spec)
{
    if (!cJSON_IsObject(spec)) return fail("node '%s': must be an object", name);
    const char *type_name;
    if (spec_string(name, spec, "type", 1, &type_name) != 0) return -1;
    const FlowNodeType *type = find_type(type_name);
    if (!type) {
        char list[256] = "";
        for (int i = 0; i < N_TYPES; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", node_types[i]->type);
        return fail("node '%s': unknown type '%s' (the types are %s)", name, type_name, list);
    }
    if (check_keys(name, spec, type) != 0) return -1;
    double retries, wait;
    if (spec_number(name, spec, "max_retries", 1, 100, 1, &retries) != 0 ||
        spec_number(name, spec, "wait", 0, 3600, 0, &wait) != 0)
        return -1;
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(spec, "params");
    if (params && !cJSON_IsObject(params)) return fail("node '%s': key 'params' must be an object", name);
    rg_flow_node *node;
    if (type->build(L, g, name, spec, &node) != 0) return -1;
    node->type = type->type;
    rg_flow_set_retries(node, (int)retries, wait);
    return params && rg_flow_set_params(node, params) != RG_OK ? -1 : 0;
}

static int connect_node(rg_flow_graph *g, const char *name, const cJSON *spec)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(spec, "next");
    if (!next) return 0;
    rg_flow_node *node = rg_flow_graph_find(g, name);
    if (cJSON_IsString(next)) {
        rg_flow_node *to = rg_flow_graph_find(g, next->valuestring);
        if (!to) return fail("node '%s': key 'next': no node named '%s'", name, next->valuestring);
        return rg_flow_connect(node, NULL, to) == RG_OK ? 0 : -1;
    }
    if (!cJSON_IsObject(next))
        return fail("node '%s': key 'next' must be a node name or an object of action: node name", name);
    for (const cJSON *edge = next->child; edge; edge = edge->next) {
        if (!cJSON_IsString(edge))
            return fail("node '%s': key 'next': action '%s' must name a node", name, edge->string);
        rg_flow_node *to = rg_flow_graph_find(g, edge->valuestring);
        if (!to)
            return fail("node '%s': key 'next': action '%s': no node named '%s'", name, edge->string,
                        edge->valuestring);
        if (rg_flow_connect(node, edge->string, to) != RG_OK) return -1;
    }
    return 0;
}

/* Build the graph of one flow object (the file's, or a map's sub-flow). */
static int load_graph(const FlowLoader *L, const cJSON *root, rg_flow_graph **graph, rg_flow_node **flow)
{
    static const char *const top_keys[] = { "name", "description", "start", "max_steps", "store", "nodes", NULL };
    *graph = NULL;
    if (!cJSON_IsObject(root)) return fail("a flow must be a JSON object");
    for (const cJSON *k = root->child; k; k = k->next) {
        int known = 0;
        for (int i = 0; top_keys[i] && !known; i++) known = strcmp(k->string, top_keys[i]) == 0;
        if (!known) return fail("unknown key '%s' (a flow has name, start, max_steps, store, nodes)", k->string);
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(root, "start");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "max_steps");
    if (!cJSON_IsObject(nodes) || !nodes->child) return fail("missing key 'nodes' (an object of named nodes)");
    if (!cJSON_IsString(start)) return fail("missing key 'start' (the name of the first node)");
    if (name && !cJSON_IsString(name)) return fail("key 'name' must be a string");
    if (steps && (!cJSON_IsNumber(steps) || steps->valuedouble < 1))
        return fail("key 'max_steps' must be a number of at least 1");
    if (rg_flow_graph_new(graph) != RG_OK) return -1;
    for (const cJSON *n = nodes->child; n; n = n->next)
        if (build_node(L, *graph, n->string, n) != 0) return -1;
    for (const cJSON *n = nodes->child; n; n = n->next)
        if (connect_node(*graph, n->string, n) != 0) return -1;
    rg_flow_node *first = rg_flow_graph_find(*graph, start->valuestring);
    if (!first) return fail("key 'start': no node named '%s'", start->valuestring);
    if (rg_flow_new(*graph, name ? name->valuestring : "main", first, NULL, NULL, flow) != RG_OK) return -1;
    rg_flow_set_max_steps(*flow, steps ? (long)steps->valuedouble : DEFAULT_MAX_STEPS);
    return rg_flow_validate(*flow) == RG_OK ? 0 : -1;
}

/* "line 3, column 14" of the place cJSON stopped parsing. */
static void parse_position(const char *text, const char *stop, char *buf, size_t cap)
{
    int line = 1, column = 1;
    for (const char *c = text; stop && c < stop && *c; c++) {
        if (*c == '\n') line++, column = 1;
        else column++;
    }
    snprintf(buf, cap, "line %d, column %d", line, column);
}

int flow_load_subflow(const FlowLoader *loader, const char *node, const cJSON *spec,
                      rg_flow_graph **graph, rg_flow_node **flow)
{
    char why[1024];
    FlowLoader inner = *loader;
    inner.depth++;
    if (inner.depth > MAX_DEPTH) return fail("node '%s': sub-flows nested more than %d deep", node, MAX_DEPTH);
    if (cJSON_IsObject(spec)) {
        if (load_graph(&inner, spec, graph, flow) == 0) return 0;
        snprintf(why, sizeof why, "%s", last_error());
        rg_flow_graph_free(*graph);
        *graph = NULL;
        return fail("node '%s': key 'flow': %s", node, why);
    }
    if (!cJSON_IsString(spec)) return fail("node '%s': key 'flow' must be a flow object or a file name", node);
    if (spec->valuestring[0] == '/' || strstr(spec->valuestring, ".."))
        return fail("node '%s': key 'flow': '%s' must be a file name beside the flow file", node, spec->valuestring);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", loader->base_dir, spec->valuestring);
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) {
        snprintf(why, sizeof why, "%s", last_error());
        return fail("node '%s': key 'flow': %s", node, why);
    }
    cJSON *root = cJSON_Parse(text);
    int st = -1;
    if (!root) {
        char where[64];
        parse_position(text, cJSON_GetErrorPtr(), where, sizeof where);
        fail("node '%s': key 'flow': %s: malformed JSON at %s", node, spec->valuestring, where);
    } else if (load_graph(&inner, root, graph, flow) == 0) {
        st = 0;
    } else {
        snprintf(why, sizeof why, "%s", last_error());
        rg_flow_graph_free(*graph);
        *graph = NULL;
        fail("node '%s': key 'flow': %s: %s", node, spec->valuestring, why);
    }
    cJSON_Delete(root);
    free(text);
    return st;
}

void rg_flow_file_free(rg_flow_file *file)
{
    if (!file) return;
    rg_flow_graph_free(file->graph);       /* before the models its nodes use */
    model_cache_free(file->models);
    cJSON_Delete(file->initial_store);
    free(file->base_dir);
    free(file->dir);
    free(file->model);
    free(file);
}

static rg_status load_text(const char *text, const char *where, const char *base_dir,
                           const rg_flow_file_options *opt, rg_flow_file **out)
{
    *out = NULL;
    rg_flow_file *f = xcalloc(1, sizeof *f);
    if (!f) return RG_ERR_NOMEM;
    char resolved[PATH_MAX];
    f->base_dir = xstrdup(base_dir ? base_dir : ".");
    if (opt && opt->dir) {
        if (!realpath(opt->dir, resolved)) {
            rg_flow_file_free(f);
            fail("--dir %s: no such directory", opt->dir);
            return RG_ERR_IO;
        }
        f->dir = xstrdup(resolved);
    }
    if (opt && opt->model) f->model = xstrdup(opt->model);
    if (!f->base_dir || model_cache_new(&f->models) != 0) {
        rg_flow_file_free(f);
        return RG_ERR_NOMEM;
    }
    FlowLoader loader = { where, f->base_dir, f->dir, f->model, f->models, 0 };
    cJSON *root = cJSON_Parse(text);
    rg_status st = RG_OK;
    char why[1024];
    if (!root) {
        char pos[64];
        parse_position(text, cJSON_GetErrorPtr(), pos, sizeof pos);
        fail("%s: malformed JSON at %s", where, pos);
        st = RG_ERR_FORMAT;
    } else if (load_graph(&loader, root, &f->graph, &f->flow) != 0) {
        snprintf(why, sizeof why, "%s", last_error());
        fail("%s: %s", where, why);
        st = RG_ERR_INVALID;
    } else {
        const cJSON *initial = cJSON_GetObjectItemCaseSensitive(root, "store");
        if (initial && !cJSON_IsObject(initial)) {
            fail("%s: key 'store' must be an object", where);
            st = RG_ERR_INVALID;
        } else if (initial) {
            f->initial_store = cJSON_Duplicate(initial, 1);
        }
    }
    cJSON_Delete(root);
    if (st != RG_OK) rg_flow_file_free(f);
    else *out = f;
    return st;
}

rg_status rg_flow_file_parse(const char *json, const char *base_dir, const rg_flow_file_options *opt,
                             rg_flow_file **out)
{
    return load_text(json, "(flow)", base_dir, opt, out);
}

rg_status rg_flow_file_load(const char *path, const rg_flow_file_options *opt, rg_flow_file **out)
{
    *out = NULL;
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return RG_ERR_IO;
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s", path);
    char *slash = strrchr(base, '/');
    if (slash) *slash = '\0';
    else snprintf(base, sizeof base, ".");
    rg_status st = load_text(text, path, base, opt, out);
    free(text);
    return st;
}

rg_flow_node *rg_flow_file_flow(rg_flow_file *file)
{
    return file->flow;
}

rg_status rg_flow_file_init_store(rg_flow_file *file, rg_flow_store *store)
{
    if (!file->initial_store) return RG_OK;
    for (const cJSON *v = file->initial_store->child; v; v = v->next) {
        if (rg_flow_store_has(store, v->string)) continue;
        rg_status st = rg_flow_store_set(store, v->string, v);
        if (st != RG_OK) return st;
    }
    return RG_OK;
}
