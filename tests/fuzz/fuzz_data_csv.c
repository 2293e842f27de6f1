/*
 * fuzz_data_csv.c — libFuzzer target: arbitrary bytes as a CSV training
 * data file (src/train/data.c); data_fuzz.h says what every load must give.
 */
#include "data_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_data_file("fuzz.csv", data, size);
}
