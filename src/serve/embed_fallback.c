/*
 * embed_fallback.c — a weak rg_embed for a build without the embedding
 * module (src/infer/embed.c, which the `embed` branch adds). It only says
 * "unsupported", so the server links and /v1/embeddings answers 501 with
 * the reason. When the real rg_embed is linked it takes precedence (a weak
 * definition yields to a strong one); once both are merged this file can go.
 */
#include "rustgpt.h"
#include "core/util.h"

__attribute__((weak)) rg_status rg_embed(rg_context *ctx, const char *const *texts, int32_t n,
                                         rg_embed_options *opt, float *out)
{
    fail("this build has no embedding module (rg_embed)");
    return RG_ERR_UNSUPPORTED;
}
