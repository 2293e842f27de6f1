/*
 * fuzz_data_csv.c — libFuzzer target: arbitrary bytes as a CSV training
 * data file (src/train/data.c). Every text that loads must end in "</s>".
 */
#include "train/data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Dataset ds;
    memset(&ds, 0, sizeof ds);
    if (data_load_buffer(&ds, "fuzz.csv", (const char *)data, size) == 0) {
        for (size_t i = 0; i < ds.count; i++) {
            size_t n = strlen(ds.texts[i]);
            if (n < 4 || strcmp(ds.texts[i] + n - 4, "</s>") != 0) abort();
        }
    }
    dataset_free(&ds);
    return 0;
}
