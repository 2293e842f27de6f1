/*
 * failing_init.c — a test plugin that registers a format and then fails:
 * the host must unload it and forget the format it registered.
 */
#include <rustgpt/plugin.h>

#include <stddef.h>

static int probe(const char *path, const unsigned char *head, size_t n) { (void)path; (void)head; (void)n; return 0; }
static rg_status load(const char *path, const rg_model_options *opt, rg_source **out)
{
    (void)path; (void)opt; (void)out;
    return RG_ERR_UNSUPPORTED;
}

static const rg_format_vtable half = { RG_ABI_VERSION, "half-registered", 1, ".half", probe, load, NULL };

rg_status rustgpt_plugin_init(const rg_plugin_host *host)
{
    rg_status st = host->register_format(&half);
    return st != RG_OK ? st : RG_ERR_UNSUPPORTED;
}
