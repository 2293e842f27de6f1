/*
 * registry.c — the table of registered tokenizers, architectures and file
 * formats (registry.h), and the public rg_registry_* view of it.
 *
 * One array of entries, in registration order, under one mutex. The
 * built-ins of core/builtins.c go in first, exactly once (pthread_once), the
 * first time anything looks; plugins append after them. An entry points at
 * its vtable (static storage, never copied) and says where it came from.
 */
#include "core/registry.h"
#include "core/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    rg_kind kind;
    const void *vtable;
    const char *name;
    int32_t version;
    char *origin;            /* NULL: built in */
} Entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;
/* The first 64 entries live in static storage, so that the built-ins never
 * allocate (nothing left reachable at exit for valgrind to report); more
 * registrations move the table to the heap. */
static Entry static_entries[64];
static Entry *entries = static_entries;
static int32_t n_entries, cap_entries = (int32_t)(sizeof static_entries / sizeof static_entries[0]);

/* The origin of what this thread registers now (a plugin's path). */
static _Thread_local const char *current_origin;

static const char *const kind_names[] = { "tokenizer", "architecture", "file format" };

static rg_status register_tokenizer(const rg_tokenizer_vtable *vt);
static rg_status register_arch(const rg_arch_vtable *vt);
static rg_status register_format(const rg_format_vtable *vt);

static void register_builtins(void)
{
    const char *origin = current_origin;      /* first use may come from a plugin's init */
    current_origin = NULL;
    for (int i = 0; builtin_tokenizers[i]; i++) register_tokenizer(builtin_tokenizers[i]);
    for (int i = 0; builtin_archs[i]; i++) register_arch(builtin_archs[i]);
    for (int i = 0; builtin_formats[i]; i++) register_format(builtin_formats[i]);
    current_origin = origin;
}

static void ensure_builtins(void) { pthread_once(&builtins_once, register_builtins); }

/* Append an entry, checking the ABI version and that the name is new. */
static rg_status add(rg_kind kind, const void *vtable, uint32_t abi, const char *name,
                     int32_t version, int functions_ok)
{
    if (abi != RG_ABI_VERSION)
        return fail_status(RG_ERR_PLUGIN, "%s %s is built for ABI version %u; this library has ABI version %d",
                           kind_names[kind], name ? name : "(unnamed)", abi, RG_ABI_VERSION);
    if (!name || !*name)
        return fail_status(RG_ERR_INVALID, "a %s must have a name", kind_names[kind]);
    if (!functions_ok)
        return fail_status(RG_ERR_INVALID, "%s %s lacks a required function", kind_names[kind], name);
    pthread_mutex_lock(&lock);
    rg_status st = RG_OK;
    for (int32_t i = 0; i < n_entries; i++)
        if (entries[i].kind == kind && strcmp(entries[i].name, name) == 0) {
            st = fail_status(RG_ERR_INVALID, "%s %s is already registered (%s)", kind_names[kind], name,
                             entries[i].origin ? entries[i].origin : "built-in");
            goto done;
        }
    if (n_entries == cap_entries) {
        int32_t cap = 2 * cap_entries;
        Entry *grown = entries == static_entries ? malloc((size_t)cap * sizeof *grown)
                                                 : realloc(entries, (size_t)cap * sizeof *grown);
        if (grown && entries == static_entries) memcpy(grown, static_entries, sizeof static_entries);
        if (!grown) {
            st = fail_status(RG_ERR_NOMEM, "out of memory registering %s %s", kind_names[kind], name);
            goto done;
        }
        entries = grown;
        cap_entries = cap;
    }
    char *origin = NULL;
    if (current_origin && !(origin = strdup(current_origin))) {
        st = fail_status(RG_ERR_NOMEM, "out of memory registering %s %s", kind_names[kind], name);
        goto done;
    }
    entries[n_entries++] = (Entry){ kind, vtable, name, version, origin };
done:
    pthread_mutex_unlock(&lock);
    return st;
}

rg_status rg_register_tokenizer(const rg_tokenizer_vtable *vt)
{
    ensure_builtins();
    return register_tokenizer(vt);
}

static rg_status register_tokenizer(const rg_tokenizer_vtable *vt)
{
    if (!vt) return fail_status(RG_ERR_INVALID, "no tokenizer to register");
    int ok = vt->destroy && vt->n_vocab && vt->special && vt->encode && vt->decode && vt->piece &&
             (vt->load || vt->from_source || vt->train);
    return add(RG_KIND_TOKENIZER, vt, vt->abi_version, vt->name, vt->version, ok);
}

rg_status rg_register_arch(const rg_arch_vtable *vt)
{
    ensure_builtins();
    return register_arch(vt);
}

static rg_status register_arch(const rg_arch_vtable *vt)
{
    if (!vt) return fail_status(RG_ERR_INVALID, "no architecture to register");
    int ok = vt->create && vt->destroy && vt->context_new && vt->context_free &&
             vt->context_reset && vt->context_n_tokens && (vt->decode || vt->hidden);
    return add(RG_KIND_ARCH, vt, vt->abi_version, vt->name, vt->version, ok);
}

rg_status rg_register_format(const rg_format_vtable *vt)
{
    ensure_builtins();
    return register_format(vt);
}

static rg_status register_format(const rg_format_vtable *vt)
{
    if (!vt) return fail_status(RG_ERR_INVALID, "no file format to register");
    int ok = vt->probe && vt->load;
    return add(RG_KIND_FORMAT, vt, vt->abi_version, vt->name, vt->version, ok);
}

/* ---- lookups ------------------------------------------------------------- */

static const void *find_named(rg_kind kind, const char *name)
{
    if (!name) return NULL;
    ensure_builtins();
    const void *found = NULL;
    pthread_mutex_lock(&lock);
    for (int32_t i = 0; i < n_entries && !found; i++)
        if (entries[i].kind == kind && strcmp(entries[i].name, name) == 0) found = entries[i].vtable;
    pthread_mutex_unlock(&lock);
    return found;
}

const rg_tokenizer_vtable *registry_tokenizer(const char *name) { return find_named(RG_KIND_TOKENIZER, name); }
const rg_arch_vtable *registry_arch(const char *name) { return find_named(RG_KIND_ARCH, name); }
const rg_format_vtable *registry_format_named(const char *name) { return find_named(RG_KIND_FORMAT, name); }

/* A snapshot of the vtables of one kind (probes run outside the lock, since
 * a probe may be slow or look things up itself). Caller frees. */
static const void **snapshot(rg_kind kind, int32_t *n)
{
    ensure_builtins();
    pthread_mutex_lock(&lock);
    const void **list = malloc(((size_t)n_entries + 1) * sizeof *list);
    *n = 0;
    for (int32_t i = 0; list && i < n_entries; i++)
        if (entries[i].kind == kind) list[(*n)++] = entries[i].vtable;
    pthread_mutex_unlock(&lock);
    return list;
}

const rg_format_vtable *registry_format_for(const char *path, const unsigned char *head, size_t n)
{
    int32_t count;
    const void **list = snapshot(RG_KIND_FORMAT, &count);
    const rg_format_vtable *found = NULL;
    for (int32_t i = 0; list && i < count && !found; i++) {
        const rg_format_vtable *vt = list[i];
        if (vt->probe(path, head, n)) found = vt;
    }
    free(list);
    return found;
}

/* Does the space-separated list contain word? */
static int list_has(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n == len && n && strncmp(p, word, n) == 0) return 1;
        p += n;
    }
    return 0;
}

const rg_format_vtable *registry_format_for_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot) return NULL;
    int32_t count;
    const void **list = snapshot(RG_KIND_FORMAT, &count);
    const rg_format_vtable *found = NULL;
    for (int32_t i = 0; list && i < count && !found; i++) {
        const rg_format_vtable *vt = list[i];
        if (vt->save && list_has(vt->extensions, dot)) found = vt;
    }
    free(list);
    return found;
}

const rg_tokenizer_vtable *registry_tokenizer_for(const char *path, const unsigned char *head, size_t n)
{
    int32_t count;
    const void **list = snapshot(RG_KIND_TOKENIZER, &count);
    const rg_tokenizer_vtable *found = NULL;
    for (int32_t i = 0; list && i < count && !found; i++) {
        const rg_tokenizer_vtable *vt = list[i];
        if (vt->probe && vt->load && vt->probe(path, head, n)) found = vt;
    }
    free(list);
    return found;
}

const char *registry_origin(const void *vtable)
{
    ensure_builtins();
    const char *origin = NULL;
    pthread_mutex_lock(&lock);
    for (int32_t i = 0; i < n_entries; i++)
        if (entries[i].vtable == vtable) origin = entries[i].origin ? entries[i].origin : "built-in";
    pthread_mutex_unlock(&lock);
    return origin;
}

void registry_set_origin(const char *origin) { current_origin = origin; }

void registry_remove_origin(const char *origin)
{
    pthread_mutex_lock(&lock);
    int32_t kept = 0;
    for (int32_t i = 0; i < n_entries; i++) {
        if (entries[i].origin && strcmp(entries[i].origin, origin) == 0) free(entries[i].origin);
        else entries[kept++] = entries[i];
    }
    n_entries = kept;
    pthread_mutex_unlock(&lock);
}

/* ---- the public view ------------------------------------------------------ */

int32_t rg_registry_count(void)
{
    ensure_builtins();
    pthread_mutex_lock(&lock);
    int32_t n = n_entries;
    pthread_mutex_unlock(&lock);
    return n;
}

rg_status rg_registry_get(int32_t i, rg_registered *out)
{
    ensure_builtins();
    rg_status st = RG_OK;
    pthread_mutex_lock(&lock);
    if (i < 0 || i >= n_entries) {
        st = fail_status(RG_ERR_INVALID, "registry index %d is outside [0, %d)", i, n_entries);
    } else {
        const Entry *e = &entries[i];
        *out = (rg_registered){ e->kind, e->name, e->version, e->origin ? e->origin : "built-in" };
    }
    pthread_mutex_unlock(&lock);
    return st;
}
