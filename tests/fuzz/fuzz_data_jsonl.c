/*
 * fuzz_data_jsonl.c — libFuzzer target: arbitrary bytes as a JSON Lines (.jsonl)
 * training data file (src/train/data.c, data_jsonl.c and data_lines.c);
 * data_fuzz.h says what every load must give.
 */
#include "data_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_data_file("fuzz.jsonl", data, size);
}
