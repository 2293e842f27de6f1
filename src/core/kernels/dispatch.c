/*
 * kernels/dispatch.c — choose the kernel table at run time.
 *
 * The default build targets plain x86-64 (or aarch64); SIMD tables are
 * compiled with per-file target flags (Makefile) and only used when the CPU
 * reports the instructions, so one binary runs on any x86-64.
 * RUSTGPT_KERNELS=scalar|avx2|avx512|neon overrides the choice, for tests
 * and for comparing the paths (`rustgpt bench` runs them side by side).
 */
#include "core/kernels/kernels.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const Kernels *active;

int kernels_available(const Kernels **out, int max)
{
    int n = 0;
    if (n < max) out[n++] = &kernels_scalar;
#if defined(__x86_64__)
    __builtin_cpu_init();
    int has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (has_avx2 && n < max) out[n++] = &kernels_avx2;
    if (has_avx2 && __builtin_cpu_supports("avx512f") && n < max) out[n++] = &kernels_avx512;
#endif
#if defined(__aarch64__)
    if (n < max) out[n++] = &kernels_neon;   /* Advanced SIMD is part of AArch64 */
#endif
    return n;
}

int kernels_select(const char *name)
{
    const Kernels *tables[4];
    int n = kernels_available(tables, 4);
    for (int i = 0; i < n; i++) {
        if (strcmp(tables[i]->name, name) == 0) {
            active = tables[i];
            return 0;
        }
    }
    return fail("kernels '%s' are not available on this CPU (have: %s%s%s%s%s%s%s)", name,
                tables[0]->name, n > 1 ? ", " : "", n > 1 ? tables[1]->name : "",
                n > 2 ? ", " : "", n > 2 ? tables[2]->name : "",
                n > 3 ? ", " : "", n > 3 ? tables[3]->name : "");
}

const Kernels *kernels(void)
{
    if (!active) {
        const char *forced = getenv("RUSTGPT_KERNELS");
        if (forced && *forced && kernels_select(forced) != 0)
            /* A misspelt or unsupported request must not go unnoticed: say so
             * once and carry on with the best table (the work is the same). */
            fprintf(stderr, "rustgpt: warning: RUSTGPT_KERNELS: %s\n", last_error());
        if (!active) {
            const Kernels *tables[4];
            int n = kernels_available(tables, 4);
            active = tables[n - 1];   /* the widest this CPU runs */
        }
    }
    return active;
}
