/*
 * kernels/dispatch.c — choose the kernel table at run time.
 *
 * The default build targets plain x86-64 (or aarch64); SIMD tables are
 * compiled with per-file target flags and only used when the CPU reports the
 * instructions. RUSTGPT_KERNELS=scalar|avx2|avx512|neon overrides the choice.
 */
#include "kernels.h"
#include "../util.h"

#include <stdlib.h>
#include <string.h>

static const Kernels *active;

int kernels_available(const Kernels **out, int max)
{
    int n = 0;
    if (n < max) out[n++] = &kernels_scalar;
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
        if (!forced || !*forced || kernels_select(forced) != 0) {
            const Kernels *tables[4];
            int n = kernels_available(tables, 4);
            active = tables[n - 1];   /* the widest this CPU runs */
        }
    }
    return active;
}
