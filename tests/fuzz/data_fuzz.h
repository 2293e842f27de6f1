/*
 * data_fuzz.h — what every training-data fuzz target checks (fuzz_data_json,
 * fuzz_data_csv, fuzz_data_jsonl, fuzz_data_txt): arbitrary bytes loaded as
 * a data file named name (src/train/data.c) either fail with a one-line
 * message that names the file, or give texts that are valid UTF-8, within
 * the size limit (and its " </s>") and end in "</s>". Anything else aborts,
 * which libFuzzer reports as a crash.
 */
#ifndef RUSTGPT_DATA_FUZZ_H
#define RUSTGPT_DATA_FUZZ_H

#include "train/data.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int fuzz_data_file(const char *name, const uint8_t *data, size_t size)
{
    Dataset ds;
    memset(&ds, 0, sizeof ds);
    if (data_load_buffer(&ds, name, (const char *)data, size) == 0) {
        for (size_t i = 0; i < ds.count; i++) {
            size_t n = strlen(ds.texts[i]);
            if (n < 4 || strcmp(ds.texts[i] + n - 4, "</s>") != 0) abort();
            if (n > DATA_MAX_TEXT_BYTES + 5 || utf8_invalid_at(ds.texts[i], n) != n) abort();
        }
    } else if (strncmp(last_error(), name, strlen(name)) != 0 || strchr(last_error(), '\n')) {
        abort();
    }
    dataset_free(&ds);
    return 0;
}

#endif
