/*
 * registry.h — the one table of every tokenizer, architecture and file
 * format (DESIGN.md §7): built in (core/builtins.c) or from a plugin.
 *
 * Commands and the API look implementations up here by name, or ask every
 * registered one whether it reads a file (probe), never by `if` chains. The
 * table is filled with the built-ins once, on first use (pthread_once), and
 * guarded by a mutex, so any thread may look up or register. Vtables are
 * never copied: they live in static storage until the process ends.
 */
#ifndef RUSTGPT_REGISTRY_H
#define RUSTGPT_REGISTRY_H

#include "rustgpt/plugin.h"

#include <stddef.h>

/* Register a vtable under the current origin ("built-in", or the plugin file
 * being loaded on this thread). Errors: RG_ERR_PLUGIN for another ABI
 * version, RG_ERR_INVALID for a missing name or function or a name already
 * taken in that kind. These are also the plugin host's functions. */
rg_status rg_register_tokenizer(const rg_tokenizer_vtable *vt);
rg_status rg_register_arch(const rg_arch_vtable *vt);
rg_status rg_register_format(const rg_format_vtable *vt);

/* Lookups by registered name; NULL when none (no message recorded). */
const rg_tokenizer_vtable *registry_tokenizer(const char *name);
const rg_arch_vtable *registry_arch(const char *name);
const rg_format_vtable *registry_format_named(const char *name);

/* The first format (in registration order: built-ins first) whose probe
 * accepts a file starting with head[0..n), or NULL. */
const rg_format_vtable *registry_format_for(const char *path, const unsigned char *head, size_t n);
/* The format whose extensions list path's extension (".gguf"), or NULL. */
const rg_format_vtable *registry_format_for_extension(const char *path);
/* The first tokenizer whose probe accepts the file (head NULL and n 0 for a
 * name that is not a file, such as "cl100k_base"), or NULL. */
const rg_tokenizer_vtable *registry_tokenizer_for(const char *path, const unsigned char *head, size_t n);

/* Where a registered vtable came from: "built-in" or a plugin's path. */
const char *registry_origin(const void *vtable);

/* For the plugin loader (core/plugin.c): vtables registered on this thread
 * from now on come from origin (NULL: back to "built-in"); and forget every
 * vtable registered from origin (a plugin whose init failed). */
void registry_set_origin(const char *origin);
void registry_remove_origin(const char *origin);

/* The built-in vtables (core/builtins.c): NULL-terminated arrays. */
extern const rg_tokenizer_vtable *const builtin_tokenizers[];
extern const rg_arch_vtable *const builtin_archs[];
extern const rg_format_vtable *const builtin_formats[];

#endif
