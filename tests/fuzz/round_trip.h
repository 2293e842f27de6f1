/*
 * round_trip.h — the check the three model-file fuzz targets share: a model
 * that loaded must save in the same format (into memory) and load back to
 * exactly the same bits; anything else aborts, which libFuzzer reports.
 */
#ifndef RUSTGPT_FUZZ_ROUND_TRIP_H
#define RUSTGPT_FUZZ_ROUND_TRIP_H

#include "formats/modelfile.h"
#include "formats/modelfile_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_round_trip(const Model *m, ModelFormat format)
{
    char *bytes = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&bytes, &len);
    if (!fp) return;
    int rc = format == FORMAT_BIN    ? bin_write(m, NULL, fp, "memory")
           : format == FORMAT_JSON   ? json_write(m, fp, "memory")
                                     : safetensors_write(m, fp, "memory");
    fclose(fp);
    Model back;
    if (rc == 0)
        rc = format == FORMAT_BIN  ? model_load_bin_buffer(&back, NULL, "memory", (unsigned char *)bytes, len)
           : format == FORMAT_JSON ? model_load_json_buffer(&back, "memory", bytes, len)
                                   : model_load_safetensors_buffer(&back, "memory", (unsigned char *)bytes, len);
    if (rc != 0) abort();
    if (back.n_params != m->n_params || memcmp(back.params, m->params, 4 * m->n_params) != 0)
        abort();
    model_free(&back);
    free(bytes);
}

#endif
