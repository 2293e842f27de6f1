/*
 * fuzz_model_safetensors.c — libFuzzer target: arbitrary bytes as a
 * .safetensors file. Whatever loads must save and load back to the same
 * bits.
 */
#include "round_trip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Model m;
    if (model_load_safetensors_buffer(&m, "fuzz.safetensors", data, size) == 0) {
        check_round_trip(&m, FORMAT_SAFETENSORS);
        model_free(&m);
    }
    return 0;
}
