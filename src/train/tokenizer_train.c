/*
 * tokenizer_train.c — the tokenizer a training run uses when it is not the
 * word tokenizer (`rustgpt train --tokenizer SPEC`, train.h): a registered
 * tokenizer trained on the run's texts, or one loaded from a file or name,
 * always through the registry, so a plugin's tokenizer works like a
 * built-in one.
 */
#include "train/train.h"
#include "api/handles.h"
#include "core/registry.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int tokenizer_for_training(const char *spec, const char *const *texts, size_t n, rg_tokenizer **out)
{
    *out = NULL;
    char name[128];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    const rg_tokenizer_vtable *vt = NULL;
    if (len < sizeof name) {
        memcpy(name, spec, len);
        name[len] = '\0';
        vt = registry_tokenizer(name);
    }
    if (vt && vt->train) {
        void *state = NULL;
        clear_error();
        rg_status st = vt->train(texts, n, colon ? colon + 1 : "", &state);
        if (st != RG_OK) {
            char message[512];
            snprintf(message, sizeof message, "%s", last_error()[0] ? last_error() : rg_status_name(st));
            return fail("training the %s tokenizer failed: %s", name, message);
        }
        return tokenizer_wrap(vt, state, out) == RG_OK ? 0 : -1;
    }
    if (vt && colon) return fail("the %s tokenizer is not trained, so it takes no options ('%s')", name, colon + 1);
    return rg_tokenizer_load(spec, out) == RG_OK ? 0 : -1;
}
