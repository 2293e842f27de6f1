/*
 * cmd_flow.c — `rustgpt flow`: run, check and draw flow files.
 *
 *   rustgpt flow run   FILE.json [--set key=value ...] [--dir DIR] [--model FILE] [--print KEY]
 *   rustgpt flow check FILE.json [--dir DIR] [--model FILE]
 *   rustgpt flow graph FILE.json [--format mermaid|dot] [--dir DIR]
 *
 * A thin front end over rustgpt/flow.h: parse the options, load (which
 * checks everything that can be checked before running), run, print. --set
 * values are JSON when they parse as JSON (numbers, lists, "quoted"), text
 * otherwise. `run` prints the final store as JSON, or only KEY's value with
 * --print (text as is). read_file and write_file work only under --dir;
 * check and graph, which run nothing, check paths against the current
 * directory when --dir is not given.
 */
#include "cli/cli.h"
#include "core/util.h"
#include "rustgpt/flow.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char flow_help[] =
    "usage: rustgpt flow run   FILE.json [--set key=value ...] [--dir DIR] [--model FILE] [--print KEY]\n"
    "       rustgpt flow check FILE.json [--dir DIR] [--model FILE]\n"
    "       rustgpt flow graph FILE.json [--format mermaid|dot] [--dir DIR] [--model FILE]\n"
    "\n"
    "Runs, checks or draws a flow file: nodes (template, set, branch, generate, embed,\n"
    "search, map, read_file, write_file, http_chat) joined by actions. docs/20-flows.md.\n"
    "\n"
    "  --set key=value   a store value before the run (JSON when it parses, else text)\n"
    "  --dir DIR         the directory read_file/write_file are confined to (none: refused)\n"
    "  --model FILE      the model of generate/embed/search nodes that name none\n"
    "  --print KEY       print this store value (text as is) instead of the whole store\n"
    "  --format F        graph: mermaid (default) or dot\n";

enum { MAX_SETS = 64 };

typedef struct {
    const char *verb, *file, *dir, *model, *print, *format;
    const char *sets[MAX_SETS];
    int n_sets;
} FlowArgs;

static int parse_flow_args(int argc, char **argv, FlowArgs *a)
{
    memset(a, 0, sizeof *a);
    if (argc < 3) return usage_error("usage: rustgpt flow run|check|graph FILE.json [options]");
    a->verb = argv[1];
    a->file = argv[2];
    if (strcmp(a->verb, "run") != 0 && strcmp(a->verb, "check") != 0 && strcmp(a->verb, "graph") != 0)
        return usage_error("unknown flow command '%s' (run, check or graph)", a->verb);
    for (int i = 3; i < argc; i++) {
        const char *opt = argv[i], **slot = NULL;
        if (strcmp(opt, "--dir") == 0) slot = &a->dir;
        else if (strcmp(opt, "--model") == 0) slot = &a->model;
        else if (strcmp(opt, "--print") == 0 && strcmp(a->verb, "run") == 0) slot = &a->print;
        else if (strcmp(opt, "--format") == 0 && strcmp(a->verb, "graph") == 0) slot = &a->format;
        else if (strcmp(opt, "--set") == 0 && strcmp(a->verb, "run") == 0) {
            if (a->n_sets == MAX_SETS) return usage_error("at most %d --set options", MAX_SETS);
            slot = &a->sets[a->n_sets++];
        } else {
            return usage_error("unknown option '%s' for flow %s", opt, a->verb);
        }
        if (!(*slot = option_value(argc, argv, &i))) return EXIT_USAGE;
    }
    if (a->format && strcmp(a->format, "mermaid") != 0 && strcmp(a->format, "dot") != 0)
        return usage_error("--format is mermaid or dot, not '%s'", a->format);
    for (int i = 0; i < a->n_sets; i++)
        if (!strchr(a->sets[i], '=') || a->sets[i][0] == '=')
            return usage_error("--set expects key=value, got '%s'", a->sets[i]);
    return EXIT_OK;
}

static int apply_sets(const FlowArgs *a, rg_flow_store *store)
{
    for (int i = 0; i < a->n_sets; i++) {
        const char *eq = strchr(a->sets[i], '=');
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
        cJSON *value = cJSON_Parse(eq + 1);
        if (!value) value = cJSON_CreateString(eq + 1);
        if (rg_flow_store_put(store, key, value) != RG_OK) return -1;
    }
    return 0;
}

static int print_result(rg_flow_store *store, const char *key)
{
    char *text;
    if (!key) {
        if (rg_flow_store_dump(store, 1, &text) != RG_OK) return EXIT_RUNTIME;
        printf("%s\n", text);
        rg_flow_free_string(text);
        return EXIT_OK;
    }
    cJSON *value;
    if (rg_flow_store_get(store, key, &value) != RG_OK) return EXIT_RUNTIME;
    text = cJSON_IsString(value) ? NULL : cJSON_Print(value);
    printf("%s\n", text ? text : value->valuestring);
    cJSON_free(text);
    cJSON_Delete(value);
    return EXIT_OK;
}

int cmd_flow(int argc, char **argv)
{
    FlowArgs a;
    int rc = parse_flow_args(argc, argv, &a);
    if (rc) return rc;
    int running = strcmp(a.verb, "run") == 0;
    rg_flow_file_options opt = { .dir = a.dir ? a.dir : running ? NULL : ".", .model = a.model };
    rg_flow_file *file;
    if (rg_flow_file_load(a.file, &opt, &file) != RG_OK) return EXIT_RUNTIME;
    rg_flow_node *flow = rg_flow_file_flow(file);
    if (strcmp(a.verb, "check") == 0) {
        printf("%s: ok\n", a.file);
        rg_flow_file_free(file);
        return EXIT_OK;
    }
    if (strcmp(a.verb, "graph") == 0) {
        char *text;
        rc = EXIT_RUNTIME;
        if (rg_flow_render(flow, a.format && strcmp(a.format, "dot") == 0 ? RG_FLOW_DOT : RG_FLOW_MERMAID,
                           &text) == RG_OK) {
            fputs(text, stdout);
            rg_flow_free_string(text);
            rc = EXIT_OK;
        }
        rg_flow_file_free(file);
        return rc;
    }
    rg_flow_store *store;
    rc = EXIT_RUNTIME;
    if (rg_flow_store_new(&store) == RG_OK) {
        if (apply_sets(&a, store) == 0 && rg_flow_file_init_store(file, store) == RG_OK &&
            rg_flow_run(flow, store, NULL, NULL, 0) == RG_OK)
            rc = print_result(store, a.print);
        rg_flow_store_free(store);
    }
    rg_flow_file_free(file);
    return rc;
}
