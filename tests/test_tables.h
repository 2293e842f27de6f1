/*
 * test_tables.h — what test_kernels.c and test_threads.c share: the kernel
 * tables this CPU runs (filled by kernels_available() in main) and seeded
 * random inputs, uniform in [-scale, scale).
 */
#ifndef RUSTGPT_TEST_TABLES_H
#define RUSTGPT_TEST_TABLES_H

#include "core/kernels/kernels.h"
#include "core/util.h"

#include <stdlib.h>

static Rng rng;
static const Kernels *tables[4];
static int n_tables;

static float *random_array(size_t n, float scale)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (rng_uniform(&rng) * 2.0f - 1.0f) * scale;
    return x;
}

#endif
