/*
 * fuzz_model_bin.c — libFuzzer target: arbitrary bytes as a .bin model file,
 * loaded as a model and as a training checkpoint. Built by `make fuzz` with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, so the checksum is not enforced
 * and the fuzzer reaches the vocabulary and weights behind it. Whatever
 * loads must save and load back to the same bits.
 */
#include "round_trip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Model m;
    OptimizerState opt;
    if (model_load_bin_buffer(&m, NULL, "fuzz.bin", data, size) == 0) {
        check_round_trip(&m, FORMAT_BIN);
        model_free(&m);
    }
    if (model_load_bin_buffer(&m, &opt, "fuzz.bin", data, size) == 0) {
        model_free(&m);
        free(opt.adam_m);
        free(opt.adam_v);
    }
    return 0;
}
