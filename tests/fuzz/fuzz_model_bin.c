/*
 * fuzz_model_bin.c — libFuzzer target: arbitrary bytes as a .bin model file,
 * loaded as a model and as a training checkpoint. Built by `make fuzz` with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, so the checksum is not enforced
 * and the fuzzer reaches the vocabulary and weights behind it. Whatever
 * loads must save and load back to the same bits.
 */
#include "modelfile.h"
#include "modelfile_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Save m as a .bin into memory and load it back: the same bits. */
static void check_round_trip(const Model *m)
{
    char *bytes = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&bytes, &len);
    if (!fp) return;
    int rc = bin_write(m, NULL, fp, "memory.bin");
    fclose(fp);
    Model back;
    if (rc != 0 ||
        model_load_bin_buffer(&back, NULL, "memory.bin", (unsigned char *)bytes, len) != 0)
        abort();
    if (back.n_params != m->n_params || memcmp(back.params, m->params, 4 * m->n_params) != 0)
        abort();
    model_free(&back);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Model m;
    OptimizerState opt;
    if (model_load_bin_buffer(&m, NULL, "fuzz.bin", data, size) == 0) {
        check_round_trip(&m);
        model_free(&m);
    }
    if (model_load_bin_buffer(&m, &opt, "fuzz.bin", data, size) == 0) {
        model_free(&m);
        free(opt.adam_m);
        free(opt.adam_v);
    }
    return 0;
}
