/*
 * bad_abi.c — a test plugin built as if for a future ABI: its vtable says
 * RG_ABI_VERSION + 1, so registering it fails and the plugin is refused.
 */
#include <rustgpt/plugin.h>

static int32_t n_vocab(const void *state) { (void)state; return 1; }

static const rg_tokenizer_vtable future = {
    .abi_version = RG_ABI_VERSION + 1, .name = "future", .version = 1, .n_vocab = n_vocab,
};

rg_status rustgpt_plugin_init(const rg_plugin_host *host)
{
    return host->register_tokenizer(&future);
}
