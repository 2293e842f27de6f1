/*
 * test_flow_check.c — what the engine says about a flow before it runs:
 * successors for actions a node never returns, nodes nothing reaches,
 * loops with no way out (and loops that have one), and the drawings.
 */
#include "rustgpt/flow.h"
#include "core/util.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static rg_flow_node *node(rg_flow_graph *g, const char *name, const char *a1, const char *a2)
{
    rg_flow_node *n;
    rg_flow_node_new(g, name, RG_FLOW_NODE, NULL, NULL, &n);
    const char *actions[2] = { a1, a2 };
    if (a1) rg_flow_declare_actions(n, actions, a2 ? 2 : 1);
    return n;
}

static void test_successor_for_undeclared_action(void)
{
    rg_flow_graph *g;
    rg_flow_node *flow;
    rg_flow_graph_new(&g);
    rg_flow_node *route = node(g, "route", "yes", "no");
    rg_flow_connect(route, "yes", node(g, "a", "default", NULL));
    rg_flow_connect(route, "Yes", node(g, "b", "default", NULL));
    rg_flow_new(g, "f", route, NULL, NULL, &flow);
    CHECK(rg_flow_validate(flow) == RG_ERR_INVALID);
    CHECK(strcmp(last_error(), "node 'route': a successor for action 'Yes', which it never returns "
                               "(it returns 'yes', 'no')") == 0);
    rg_flow_graph_free(g);
}

static void test_unreachable_node(void)
{
    rg_flow_graph *g;
    rg_flow_node *flow;
    rg_flow_graph_new(&g);
    rg_flow_node *a = node(g, "a", NULL, NULL);
    rg_flow_connect(a, NULL, node(g, "b", NULL, NULL));
    node(g, "orphan", NULL, NULL);
    rg_flow_new(g, "f", a, NULL, NULL, &flow);
    CHECK(rg_flow_validate(flow) == RG_ERR_INVALID);
    CHECK(strcmp(last_error(), "node 'orphan': no path from the start of flow 'f' reaches it") == 0);
    rg_flow_graph_free(g);
}

static void test_loops_with_and_without_a_way_out(void)
{
    rg_flow_graph *g;
    rg_flow_node *flow;
    rg_flow_graph_new(&g);
    /* think -> act -> think ... : both only return "default", wired back. */
    rg_flow_node *start = node(g, "start", "default", NULL);
    rg_flow_node *think = node(g, "think", "default", NULL), *act = node(g, "act", "default", NULL);
    rg_flow_connect(start, NULL, think);
    rg_flow_connect(think, NULL, act);
    rg_flow_connect(act, NULL, think);
    rg_flow_new(g, "f", start, NULL, NULL, &flow);
    CHECK(rg_flow_validate(flow) == RG_ERR_INVALID);
    CHECK(strstr(last_error(), "a loop with no way out: nodes 'act', 'start', 'think'") != NULL);
    /* Give think a "done" action with no successor: now the loop can end. */
    const char *actions[2] = { "default", "done" };
    rg_flow_declare_actions(think, actions, 2);
    CHECK(rg_flow_validate(flow) == RG_OK);
    rg_flow_graph_free(g);
}

static void test_drawings(void)
{
    rg_flow_graph *g;
    rg_flow_node *inner, *outer;
    rg_flow_graph_new(&g);
    rg_flow_node *route = node(g, "route", "greet", "ask");
    rg_flow_node *hello = node(g, "hello", NULL, NULL), *answer = node(g, "answer", NULL, NULL);
    rg_flow_connect(route, "greet", hello);
    rg_flow_connect(route, "ask", answer);
    rg_flow_new(g, "chat", route, NULL, NULL, &inner);
    rg_flow_node *save = node(g, "save", NULL, NULL);
    rg_flow_connect(inner, NULL, save);
    rg_flow_new(g, "main", inner, NULL, NULL, &outer);
    char *text;
    CHECK(rg_flow_render(outer, RG_FLOW_MERMAID, &text) == RG_OK);
    CHECK(strncmp(text, "flowchart TD\n", 13) == 0);
    CHECK(strstr(text, "n1[[\"chat\"]]") && strstr(text, "subgraph s1 [\"chat\"]"));
    CHECK(strstr(text, "-->|greet|") && strstr(text, "-->|ask|") && strstr(text, "-.->|start|"));
    CHECK(strstr(text, "start((start)) --> n1"));
    rg_flow_free_string(text);
    CHECK(rg_flow_render(outer, RG_FLOW_DOT, &text) == RG_OK);
    CHECK(strncmp(text, "digraph \"main\" {", 16) == 0);
    CHECK(strstr(text, "subgraph cluster_1") && strstr(text, "[label=\"greet\"]") &&
          strstr(text, "shape=box3d"));
    CHECK(text[strlen(text) - 2] == '}');
    rg_flow_free_string(text);
    rg_flow_graph_free(g);
}

int main(void)
{
    RUN(test_successor_for_undeclared_action);
    RUN(test_unreachable_node);
    RUN(test_loops_with_and_without_a_way_out);
    RUN(test_drawings);
    TESTS_DONE();
}
