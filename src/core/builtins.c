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

/* ---- the tables (one line each) ---- */

const rg_tokenizer_vtable *const builtin_tokenizers[] = {
    NULL
};

const rg_arch_vtable *const builtin_archs[] = {
    NULL
};

const rg_format_vtable *const builtin_formats[] = {
    NULL
};
