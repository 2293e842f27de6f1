/*
 * fuzz_model_json.c — libFuzzer target: arbitrary bytes as a .json model
 * file (not NUL-terminated, as the loader must allow). Whatever loads must
 * save as JSON and load back to the same bits.
 */
#include "modelfile.h"
#include "modelfile_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_round_trip(const Model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp) return;
    int rc = json_write(m, fp, "memory.json");
    fclose(fp);
    Model back;
    if (rc != 0 || model_load_json_buffer(&back, "memory.json", text, len) != 0) abort();
    if (back.n_params != m->n_params || memcmp(back.params, m->params, 4 * m->n_params) != 0)
        abort();
    model_free(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Model m;
    if (model_load_json_buffer(&m, "fuzz.json", (const char *)data, size) == 0) {
        check_round_trip(&m);
        model_free(&m);
    }
    return 0;
}
