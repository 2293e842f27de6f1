/*
 * pending_api.c — TEMPORARY stand-ins for the model functions of rustgpt.h
 * that the `lib` branch implements (rg_model_load, rg_generate, ...). They
 * fail with RG_ERR_UNSUPPORTED so that the flow engine builds and its
 * model-free node types can be tested before that branch is merged. This
 * file is deleted by the merge of `lib` (its real definitions would clash).
 */
#include "rustgpt.h"
#include "core/util.h"

static rg_status pending(const char *what)
{
    fail("%s: the model API is not in this build yet", what);
    return RG_ERR_UNSUPPORTED;
}

rg_status rg_model_load(const char *path, const rg_model_options *opt, rg_model **out)
{
    *out = NULL;
    return pending("rg_model_load");
}
void rg_model_free(rg_model *model) {}
void rg_model_get_info(const rg_model *model, rg_model_info *info) {}
rg_status rg_context_new(const rg_model *model, const rg_context_options *opt, rg_context **out)
{
    *out = NULL;
    return pending("rg_context_new");
}
void rg_context_free(rg_context *ctx) {}
rg_sampling rg_sampling_default(void)
{
    return (rg_sampling){ .temperature = 0, .top_k = 0, .top_p = 1, .repeat_penalty = 1, .seed = 42, .max_tokens = 64 };
}
rg_status rg_generate(rg_context *ctx, const char *prompt, const rg_sampling *params, const char *const *stop,
                      int n_stop, rg_token_fn on_token, void *user, int32_t *n_generated)
{
    return pending("rg_generate");
}
rg_status rg_chat_render(const rg_model *model, const rg_message *msgs, int n_msgs, int add_assistant, char *buf,
                         size_t cap, size_t *len_out)
{
    return pending("rg_chat_render");
}
rg_status rg_embed(rg_context *ctx, const char *const *texts, int32_t n, rg_embed_options *opt, float *out)
{
    return pending("rg_embed");
}
