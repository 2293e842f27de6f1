/*
 * fuzz_model_json.c — libFuzzer target: arbitrary bytes as a .json model
 * file (not NUL-terminated, as the loader must allow). Whatever loads must
 * save as JSON and load back to the same bits.
 */
#include "round_trip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Model m;
    if (model_load_json_buffer(&m, "fuzz.json", (const char *)data, size) == 0) {
        check_round_trip(&m, FORMAT_JSON);
        model_free(&m);
    }
    return 0;
}
