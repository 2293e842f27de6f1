/*
 * builtins.c — the table of everything built into librustgpt, registered
 * once on first use of the registry (core/registry.c).
 *
 * To add a built-in: define its vtable in its own file, declare it here and
 * add one line to the array of its kind. Formats are probed in this order,
 * so a format whose magic is a prefix of another's comes after it.
 */
#include "core/registry.h"

#include <stddef.h>

/* ---- declarations (one line each) ---- */
extern const rg_tokenizer_vtable rg_word_tokenizer;
extern const rg_tokenizer_vtable rg_bpe_tokenizer;
extern const rg_arch_vtable rg_gpt_arch;
extern const rg_format_vtable rg_bin_format;
extern const rg_format_vtable rg_safetensors_format;
extern const rg_format_vtable rg_json_format;
extern const rg_tokenizer_vtable wordpiece_tokenizer_vtable;
extern const rg_arch_vtable bert_arch_vtable, nomic_bert_arch_vtable;
extern const rg_format_vtable gguf_format;
extern const rg_arch_vtable llama_arch, qwen2_arch, gpt2_arch;   /* archs/llama.c, gpt2.c */
extern const rg_tokenizer_vtable spm_tokenizer;                  /* tokenizers/spm.c */
extern const rg_format_vtable rg_hf_gpt2_format;

/* ---- the tables (one line each) ---- */

const rg_tokenizer_vtable *const builtin_tokenizers[] = {
    &rg_word_tokenizer,
    &wordpiece_tokenizer_vtable,
    &spm_tokenizer,
    &rg_bpe_tokenizer,
    NULL
};

const rg_arch_vtable *const builtin_archs[] = {
    &rg_gpt_arch,
    &bert_arch_vtable,
    &nomic_bert_arch_vtable,
    &llama_arch,
    &qwen2_arch,
    &gpt2_arch,
    NULL
};

const rg_format_vtable *const builtin_formats[] = {
    &gguf_format,
    &rg_bin_format,
    &rg_safetensors_format,      /* before json: its header is JSON after 8 bytes */
    &rg_json_format,
    &rg_hf_gpt2_format,          /* a checkpoint directory */
    NULL
};
