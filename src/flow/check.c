/*
 * check.c — looking at a flow before running it: validation and drawing.
 *
 * Validation walks the graph from the flow's start (and from the start of
 * every flow nested in it) and reports, first problem first:
 *
 *   1. a successor for an action its node declared it never returns
 *      (a typo in a flow file: "yes" wired where the branch says "Yes");
 *   2. a node of the graph that no path reaches (dead code, or a name
 *      spelled differently in the edge that should reach it);
 *   3. a loop that cannot be left. A node "can leave" when one of the
 *      actions it may return has no successor (the flow ends there) or
 *      leads to a node that can leave; a node that declared no actions may
 *      return anything, so it always can. Computed as a fixed point: start
 *      from the exits and spread backwards along the edges. Any reachable
 *      node left over sits in a cycle whose every way out is wired back in.
 *
 * Drawing writes the same walk as Mermaid ("flowchart TD") or Graphviz dot:
 * one box per node (with its type, for a flow file's nodes), one arrow per edge labelled with its action (plain for
 * "default"), a nested flow as a box of its own with a dashed "start" arrow
 * into a cluster of its nodes.
 */
#include "flow/flow_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every node reachable from flow, in the order first reached: the flow,
 * then breadth-first along edges, entering nested flows at their start. */
typedef struct {
    rg_flow_node **nodes;
    rg_flow_node **owner;     /* the flow each node was first reached in */
    int n, cap;
} Walk;

static int walk_index(const Walk *w, const rg_flow_node *node)
{
    for (int i = 0; i < w->n; i++)
        if (w->nodes[i] == node) return i;
    return -1;
}

static int walk_add(Walk *w, rg_flow_node *node, rg_flow_node *owner)
{
    if (walk_index(w, node) >= 0) return 0;
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        rg_flow_node **nodes = realloc(w->nodes, (size_t)cap * sizeof *nodes);
        if (nodes) w->nodes = nodes;
        rg_flow_node **owner_grown = realloc(w->owner, (size_t)cap * sizeof *owner_grown);
        if (owner_grown) w->owner = owner_grown;
        if (!nodes || !owner_grown) return fail("out of memory walking a flow");
        w->cap = cap;
    }
    w->nodes[w->n] = node;
    w->owner[w->n] = owner;
    w->n++;
    return 0;
}

static int walk_flow(Walk *w, rg_flow_node *flow)
{
    if (walk_add(w, flow, NULL) != 0) return -1;
    for (int i = 0; i < w->n; i++) {
        rg_flow_node *node = w->nodes[i];
        if (node->kind == RG_FLOW_FLOW && node->start && walk_add(w, node->start, node) != 0) return -1;
        for (int e = 0; e < node->n_edges; e++)
            if (walk_add(w, node->edges[e].next, w->owner[i]) != 0) return -1;
    }
    return 0;
}

static int declares(const rg_flow_node *node, const char *action)
{
    for (int i = 0; i < node->n_actions; i++)
        if (strcmp(node->actions[i], action) == 0) return 1;
    return 0;
}

/* Does node end its flow for some action it may return? */
static int has_exit(const rg_flow_node *node)
{
    if (!node->declared) return 1;
    for (int i = 0; i < node->n_actions; i++)
        if (!flow_successor(node, node->actions[i])) return 1;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp((*(rg_flow_node *const *)a)->name, (*(rg_flow_node *const *)b)->name);
}

static rg_status check_loops(const Walk *w)
{
    char *can_leave = calloc((size_t)w->n, 1);
    if (!can_leave) return RG_ERR_NOMEM;
    for (int i = 0; i < w->n; i++) can_leave[i] = (char)has_exit(w->nodes[i]);
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < w->n; i++) {
            if (can_leave[i]) continue;
            const rg_flow_node *node = w->nodes[i];
            for (int e = 0; e < node->n_edges && !can_leave[i]; e++) {
                if (!declares(node, node->edges[e].action)) continue;
                int j = walk_index(w, node->edges[e].next);
                if (j >= 0 && can_leave[j]) can_leave[i] = changed = 1;
            }
        }
    }
    rg_flow_node *stuck[8];
    int n_stuck = 0, total = 0;
    for (int i = 0; i < w->n; i++)
        if (!can_leave[i] && w->nodes[i]->kind != RG_FLOW_FLOW) {
            if (n_stuck < 8) stuck[n_stuck++] = w->nodes[i];
            total++;
        }
    free(can_leave);
    if (total == 0) return RG_OK;
    qsort(stuck, (size_t)n_stuck, sizeof *stuck, compare_names);
    char list[512] = "";
    for (int i = 0; i < n_stuck; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? ", " : "", stuck[i]->name);
    fail("a loop with no way out: node%s %s%s: every action %s can return leads back into the loop",
         total > 1 ? "s" : "", list, total > n_stuck ? ", ..." : "", total > 1 ? "they" : "it");
    return RG_ERR_INVALID;
}

rg_status rg_flow_validate(rg_flow_node *flow)
{
    if (flow->kind != RG_FLOW_FLOW) {
        fail("node '%s' is not a flow", flow->name);
        return RG_ERR_INVALID;
    }
    Walk w = { 0 };
    rg_status st = walk_flow(&w, flow) == 0 ? RG_OK : RG_ERR_NOMEM;
    for (int i = 0; st == RG_OK && i < w.n; i++) {
        const rg_flow_node *node = w.nodes[i];
        if (node->kind == RG_FLOW_FLOW && !node->start) {
            fail("flow '%s' has no start node", node->name);
            st = RG_ERR_INVALID;
        }
        for (int e = 0; st == RG_OK && node->declared && e < node->n_edges; e++)
            if (!declares(node, node->edges[e].action)) {
                char list[256] = "";
                for (int a = 0; a < node->n_actions; a++)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", a ? ", " : "",
                             node->actions[a]);
                fail("node '%s': a successor for action '%s', which it never returns (it returns %s)",
                     node->name, node->edges[e].action, node->n_actions ? list : "nothing");
                st = RG_ERR_INVALID;
            }
    }
    for (const rg_flow_node *n = flow->graph->first; st == RG_OK && n; n = n->next_in_graph)
        if (walk_index(&w, n) < 0) {
            fail("node '%s': no path from the start of flow '%s' reaches it", n->name, flow->name);
            st = RG_ERR_INVALID;
        }
    if (st == RG_OK) st = check_loops(&w);
    free(w.nodes);
    free(w.owner);
    return st;
}

/* ---- drawing ---------------------------------------------------------------- */

/* Node labels go between quotes: drop the characters that would end them. */
static void put_label(FILE *out, const char *text)
{
    for (const char *c = text; *c; c++) fputc(*c == '"' || *c == '\\' ? '\'' : *c, out);
}

static void draw_members(FILE *out, const Walk *w, const rg_flow_node *owner, rg_flow_format format,
                         int depth)
{
    for (int i = 1; i < w->n; i++) {
        if (w->owner[i] != owner) continue;
        const rg_flow_node *node = w->nodes[i];
        fprintf(out, "%*s", 2 * depth, "");
        if (format == RG_FLOW_MERMAID) {
            fprintf(out, node->kind == RG_FLOW_FLOW ? "n%d[[\"" : "n%d[\"", i);
            put_label(out, node->name);
            if (node->type) fprintf(out, " (%s)", node->type);
            fputs(node->kind == RG_FLOW_FLOW ? "\"]]\n" : "\"]\n", out);
        } else {
            fprintf(out, "n%d [label=\"", i);
            put_label(out, node->name);
            if (node->type) fprintf(out, "\\n(%s)", node->type);
            fprintf(out, "\"%s];\n", node->kind == RG_FLOW_FLOW ? ", shape=box3d" : "");
        }
        if (node->kind != RG_FLOW_FLOW) continue;
        fprintf(out, "%*s", 2 * depth, "");
        if (format == RG_FLOW_MERMAID) {
            fprintf(out, "subgraph s%d [\"", i);
            put_label(out, node->name);
            fputs("\"]\n", out);
        } else {
            fprintf(out, "subgraph cluster_%d {\n%*slabel=\"", i, 2 * depth + 2, "");
            put_label(out, node->name);
            fputs("\"; style=dashed;\n", out);
        }
        draw_members(out, w, node, format, depth + 1);
        fprintf(out, "%*s%s\n", 2 * depth, "", format == RG_FLOW_MERMAID ? "end" : "}");
    }
}

rg_status rg_flow_render(rg_flow_node *flow, rg_flow_format format, char **out)
{
    *out = NULL;
    Walk w = { 0 };
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem || walk_flow(&w, flow) != 0) {
        if (mem) fclose(mem);
        free(text);
        free(w.nodes);
        free(w.owner);
        fail("out of memory drawing flow '%s'", flow->name);
        return RG_ERR_NOMEM;
    }
    if (format == RG_FLOW_MERMAID) {
        fputs("flowchart TD\n", mem);
    } else {
        fputs("digraph \"", mem);
        put_label(mem, flow->name);
        fputs("\" {\n  node [shape=box];\n", mem);
    }
    draw_members(mem, &w, flow, format, 1);
    if (flow->start) {
        int s = walk_index(&w, flow->start);
        fprintf(mem, format == RG_FLOW_MERMAID ? "  start((start)) --> n%d\n"
                                               : "  start [shape=circle];\n  start -> n%d;\n", s);
    }
    for (int i = 1; i < w.n; i++) {
        const rg_flow_node *node = w.nodes[i];
        if (node->kind == RG_FLOW_FLOW && node->start) {
            int s = walk_index(&w, node->start);
            fprintf(mem, format == RG_FLOW_MERMAID ? "  n%d -.->|start| n%d\n"
                                                   : "  n%d -> n%d [style=dashed, label=\"start\"];\n", i, s);
        }
        for (int e = 0; e < node->n_edges; e++) {
            int j = walk_index(&w, node->edges[e].next);
            const char *action = node->edges[e].action;
            int plain = strcmp(action, RG_FLOW_DEFAULT) == 0;
            if (format == RG_FLOW_MERMAID) {
                fprintf(mem, "  n%d -->", i);
                if (!plain) {
                    fputc('|', mem);
                    put_label(mem, action);
                    fputc('|', mem);
                }
                fprintf(mem, " n%d\n", j);
            } else {
                fprintf(mem, "  n%d -> n%d", i, j);
                if (!plain) {
                    fputs(" [label=\"", mem);
                    put_label(mem, action);
                    fputs("\"]", mem);
                }
                fputs(";\n", mem);
            }
        }
    }
    if (format == RG_FLOW_DOT) fputs("}\n", mem);
    free(w.nodes);
    free(w.owner);
    if (fclose(mem) != 0) {
        free(text);
        fail("out of memory drawing flow '%s'", flow->name);
        return RG_ERR_NOMEM;
    }
    *out = text;
    return RG_OK;
}
