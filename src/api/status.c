/*
 * status.c — errors and the version of the public API (rustgpt.h).
 *
 * The message of the last failure is core/util.c's per-thread buffer, the one
 * fail() writes: library code records a message and returns a status, and
 * the caller reads it here, as errno is read.
 */
#include "rustgpt.h"
#include "core/util.h"

const char *rg_last_error(void) { return last_error(); }

const char *rg_status_name(rg_status status)
{
    static const char *const names[] = {
        [RG_OK] = "ok", [RG_ERR_IO] = "io", [RG_ERR_FORMAT] = "format",
        [RG_ERR_INVALID] = "invalid", [RG_ERR_NOMEM] = "nomem",
        [RG_ERR_UNSUPPORTED] = "unsupported", [RG_ERR_NOT_FOUND] = "not_found",
        [RG_ERR_TOO_SMALL] = "too_small", [RG_ERR_LIMIT] = "limit",
        [RG_ERR_INTERRUPTED] = "interrupted", [RG_ERR_PLUGIN] = "plugin",
    };
    if ((unsigned)status < sizeof names / sizeof names[0] && names[status]) return names[status];
    return "unknown";
}

const char *rg_version(void) { return RG_VERSION; }
