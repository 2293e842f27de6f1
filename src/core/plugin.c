/*
 * plugin.c — rg_plugin_load: external tokenizers, architectures and formats
 * from shared objects (rustgpt/plugin.h).
 *
 * A plugin is dlopen'ed, its entry point rustgpt_plugin_init is called with
 * the host's ABI version and registration functions, and every vtable it
 * registers is recorded as coming from its file. A plugin that is not found,
 * has no entry point, was built for another ABI, or whose init fails is
 * unloaded again (with whatever it registered) and the error names it. The
 * same file loaded twice is loaded once. Plugins stay loaded until the
 * process ends: their vtables are in the registry.
 */
#include "core/registry.h"
#include "core/util.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PLUGINS = 64 };

static pthread_mutex_t plugins_lock = PTHREAD_MUTEX_INITIALIZER;
static char *loaded[MAX_PLUGINS];
static int n_loaded;

static int already_loaded(const char *path)
{
    for (int i = 0; i < n_loaded; i++)
        if (strcmp(loaded[i], path) == 0) return 1;
    return 0;
}

static rg_status load_locked(const char *path, const char *real)
{
    if (already_loaded(real)) return RG_OK;
    if (n_loaded == MAX_PLUGINS)
        return fail_status(RG_ERR_PLUGIN, "plugin %s: no room for more than %d plugins", path, MAX_PLUGINS);
    void *handle = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return fail_status(RG_ERR_PLUGIN, "plugin %s: cannot load it: %s", path, dlerror());
    rg_plugin_init_fn init;
    *(void **)&init = dlsym(handle, RG_PLUGIN_ENTRY);
    if (!init) {
        dlclose(handle);
        return fail_status(RG_ERR_PLUGIN, "plugin %s: has no entry point %s", path, RG_PLUGIN_ENTRY);
    }
    static const rg_plugin_host host = {
        RG_ABI_VERSION, rg_register_tokenizer, rg_register_arch, rg_register_format,
    };
    char *origin = strdup(real);
    if (!origin) {
        dlclose(handle);
        return fail_status(RG_ERR_NOMEM, "out of memory loading plugin %s", path);
    }
    clear_error();
    registry_set_origin(origin);
    rg_status st = init(&host);
    registry_set_origin(NULL);
    if (st != RG_OK) {
        char reason[600];
        snprintf(reason, sizeof reason, "%s", last_error()[0] ? last_error() : rg_status_name(st));
        registry_remove_origin(origin);
        dlclose(handle);
        free(origin);
        return fail_status(RG_ERR_PLUGIN, "plugin %s: its initialisation failed, so it was unloaded: %s",
                           path, reason);
    }
    loaded[n_loaded++] = origin;
    return RG_OK;
}

rg_status rg_plugin_load(const char *path)
{
    if (!path || !*path) return fail_status(RG_ERR_PLUGIN, "no plugin file named");
    char real[PATH_MAX];
    if (!realpath(path, real)) return fail_status(RG_ERR_PLUGIN, "plugin %s: no such file", path);
    pthread_mutex_lock(&plugins_lock);
    rg_status st = load_locked(path, real);
    pthread_mutex_unlock(&plugins_lock);
    return st;
}
