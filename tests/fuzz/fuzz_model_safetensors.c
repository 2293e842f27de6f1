/*
 * fuzz_model_safetensors.c — libFuzzer target: arbitrary bytes as a
 * .safetensors file. Whatever loads must save and load back to the same
 * bits.
 */
#include "modelfile.h"
#include "modelfile_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_round_trip(const Model *m)
{
    char *bytes = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&bytes, &len);
    if (!fp) return;
    int rc = safetensors_write(m, fp, "memory.safetensors");
    fclose(fp);
    Model back;
    if (rc != 0 || model_load_safetensors_buffer(&back, "memory.safetensors",
                                                 (unsigned char *)bytes, len) != 0)
        abort();
    if (back.n_params != m->n_params || memcmp(back.params, m->params, 4 * m->n_params) != 0)
        abort();
    model_free(&back);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Model m;
    if (model_load_safetensors_buffer(&m, "fuzz.safetensors", data, size) == 0) {
        check_round_trip(&m);
        model_free(&m);
    }
    return 0;
}
