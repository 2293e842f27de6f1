/*
 * fuzz_data_txt.c — libFuzzer target: arbitrary bytes as a .txt training
 * data file (src/train/data_txt.c over the line reader data_lines.c). A load
 * either fails with a one-line message naming the file, or gives texts that
 * are valid UTF-8, within the size limit and end in "</s>".
 */
#include "train/data.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Dataset ds;
    memset(&ds, 0, sizeof ds);
    if (data_load_buffer(&ds, "fuzz.txt", (const char *)data, size) == 0) {
        for (size_t i = 0; i < ds.count; i++) {
            size_t n = strlen(ds.texts[i]);
            if (n < 4 || strcmp(ds.texts[i] + n - 4, "</s>") != 0) abort();
            if (n > DATA_MAX_TEXT_BYTES + 5 || utf8_invalid_at(ds.texts[i], n) != n) abort();
        }
    } else if (strncmp(last_error(), "fuzz.txt", 7) != 0 || strchr(last_error(), '\n')) {
        abort();
    }
    dataset_free(&ds);
    return 0;
}
