/*
 * cmd_plugins.c — plugins on the command line: `--plugin PATH` (repeatable,
 * accepted by every command) and RUSTGPT_PLUGIN_PATH (colon-separated files)
 * are loaded before the command runs, and `rustgpt plugins` lists what the
 * registry holds: kind, name, version and where it came from.
 */
#include "cli/cli.h"
#include "rustgpt.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int cli_load_plugins(int *argc, char **argv)
{
    const char *env = getenv("RUSTGPT_PLUGIN_PATH");
    if (env && *env) {
        char *list = xstrdup(env);
        if (!list) return EXIT_RUNTIME;
        int status = EXIT_OK;
        for (char *save = NULL, *p = strtok_r(list, ":", &save); p && status == EXIT_OK; p = strtok_r(NULL, ":", &save))
            if (rg_plugin_load(p) != RG_OK) status = EXIT_RUNTIME;
        free(list);
        if (status != EXIT_OK) return status;
    }
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--plugin") == 0) {
            if (i + 1 >= *argc) return usage_error("--plugin needs a value");
            if (rg_plugin_load(argv[++i]) != RG_OK) return EXIT_RUNTIME;
        } else if (strncmp(argv[i], "--plugin=", 9) == 0) {
            if (rg_plugin_load(argv[i] + 9) != RG_OK) return EXIT_RUNTIME;
        } else {
            argv[kept++] = argv[i];
        }
    }
    *argc = kept;
    argv[kept] = NULL;
    return EXIT_OK;
}

const char plugins_help[] =
    "usage: rustgpt plugins [--plugin FILE.so ...]\n"
    "\n"
    "Lists every registered tokenizer, architecture and model file format: its kind,\n"
    "name, version and where it came from (built-in, or the plugin file).\n"
    "\n"
    "Every command accepts --plugin FILE.so (repeatable) and loads the plugins named in\n"
    "RUSTGPT_PLUGIN_PATH (files separated by ':') first. docs/13-library.md says how\n"
    "to write one.\n";

int cmd_plugins(int argc, char **argv)
{
    if (argc > 1) return usage_error("plugins takes no arguments (got '%s')", argv[1]);
    static const char *const kinds[] = { "tokenizer", "arch", "format" };
    printf("%-10s %-14s %-8s %s\n", "KIND", "NAME", "VERSION", "FROM");
    for (int32_t i = 0; i < rg_registry_count(); i++) {
        rg_registered r;
        if (rg_registry_get(i, &r) != RG_OK) return EXIT_RUNTIME;
        printf("%-10s %-14s %-8d %s\n", kinds[r.kind], r.name, (int)r.version, r.origin);
    }
    return EXIT_OK;
}
