/*
 * init.c — `train --init PATH`: fine-tuning. The run starts from a model
 * that exists — a GPT-2 as Hugging Face publishes it, a GGUF gpt2 file, or
 * a model rustgpt trained — instead of random weights; its tokenizer and
 * sizes come with it.
 *
 * rustgpt trains one architecture, its own GPT (archs/gpt.h); GPT-2 is that
 * architecture's GPT_GPT2 variant (GELU, no head bias), so a gpt2 source is
 * renamed into rustgpt's tensor names (formats/gguf_export.c), every tensor
 * made F32, and a tied output layer becomes a head of its own that starts
 * as a copy of the token embeddings.
 */
#include "api/handles.h"
#include "archs/gpt_source.h"
#include "core/util.h"
#include "formats/gguf_export.h"
#include "train/train.h"

#include <string.h>

int model_init_from(Model *m, const char *path)
{
    memset(m, 0, sizeof *m);
    rg_model *loaded = NULL;
    if (rg_model_load(path, NULL, &loaded) != RG_OK) return -1;
    const char *arch = loaded->info.arch;
    rg_source *renamed = NULL;
    rg_status st = RG_OK;
    if (strcmp(arch, "gpt2") == 0) st = gpt_source_from_gguf_gpt2(loaded->src, &renamed);
    else if (strcmp(arch, GPT_ARCH_NAME) != 0)
        st = fail_status(RG_ERR_UNSUPPORTED, "%s: a %s model cannot be trained: rustgpt trains its own "
                         "models and GPT-2 (gpt2)", path, arch);
    if (st == RG_OK) st = gpt_model_from_source(m, renamed ? renamed : loaded->src);
    rg_source_free(renamed);
    rg_model_free(loaded);
    return st == RG_OK ? 0 : -1;
}
