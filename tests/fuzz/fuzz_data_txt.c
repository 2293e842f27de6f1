/*
 * fuzz_data_txt.c — libFuzzer target: arbitrary bytes as a plain-text (.txt)
 * training data file (src/train/data.c, data_txt.c and data_lines.c);
 * data_fuzz.h says what every load must give.
 */
#include "data_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_data_file("fuzz.txt", data, size);
}
