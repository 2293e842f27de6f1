/*
 * tokenizer_meta.c — a tokenizer's metadata keys to one JSON object and
 * back (tokenizer_meta.h). Values map one to one: strings, numbers (an
 * integral number reads back as an integer; rg_source_float reads it as a
 * float too), booleans, and arrays of one of those.
 */
#include "formats/tokenizer_meta.h"
#include "api/handles.h"
#include "core/source.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *array_to_json(const rg_source *src, const char *key)
{
    rg_value_type type;
    uint64_t n;
    if (rg_source_array(src, key, &type, &n) != RG_OK) return NULL;
    cJSON *array = cJSON_CreateArray();
    for (uint64_t i = 0; array && i < n; i++) {
        cJSON *item = NULL;
        if (type == RG_VALUE_INT) {
            int64_t v;
            rg_source_array_int(src, key, i, &v);
            item = cJSON_CreateNumber((double)v);
        } else if (type == RG_VALUE_FLOAT) {
            double v;
            rg_source_array_float(src, key, i, &v);
            item = cJSON_CreateNumber(v);
        } else {
            const char *s;
            rg_source_array_string(src, key, i, &s, NULL);
            item = cJSON_CreateString(s);
        }
        if (!item) { cJSON_Delete(array); return NULL; }
        cJSON_AddItemToArray(array, item);
    }
    return array;
}

char *tokenizer_meta_to_json(const rg_tokenizer *tok, size_t *len)
{
    if (!tok->vt->to_source) {
        fail("the %s tokenizer cannot be stored in a model file (it has no to_source)", tok->vt->name);
        return NULL;
    }
    rg_source *src;
    if (rg_source_new(&src) != RG_OK) return NULL;
    char *text = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root || tok->vt->to_source(tok->state, src) != RG_OK) {
        if (!last_error()[0]) fail("the %s tokenizer could not describe itself", tok->vt->name);
        goto done;
    }
    for (int32_t i = 0; i < source_n_keys(src); i++) {
        rg_value_type type;
        const char *key = source_key_at(src, i, &type);
        cJSON *item = NULL;
        if (type == RG_VALUE_INT) { int64_t v; rg_source_int(src, key, &v); item = cJSON_CreateNumber((double)v); }
        else if (type == RG_VALUE_FLOAT) { double v; rg_source_float(src, key, &v); item = cJSON_CreateNumber(v); }
        else if (type == RG_VALUE_BOOL) { int v; rg_source_bool(src, key, &v); item = cJSON_CreateBool(v); }
        else if (type == RG_VALUE_STRING) { const char *v; rg_source_string(src, key, &v, NULL); item = cJSON_CreateString(v); }
        else item = array_to_json(src, key);
        if (!item) { fail("out of memory storing the tokenizer"); goto done; }
        cJSON_AddItemToObject(root, key, item);
    }
    text = cJSON_PrintUnformatted(root);
    if (!text) fail("out of memory storing the tokenizer");
    else *len = strlen(text);
done:
    cJSON_Delete(root);
    rg_source_free(src);
    return text;
}

/* Set key in src from a JSON value. */
static rg_status value_from_json(rg_source *src, const char *key, const cJSON *v)
{
    if (cJSON_IsString(v)) return rg_source_set_string(src, key, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsBool(v)) return rg_source_set_bool(src, key, cJSON_IsTrue(v));
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0) return rg_source_set_int(src, key, (int64_t)d);
        return rg_source_set_float(src, key, d);
    }
    if (!cJSON_IsArray(v)) return fail_status(RG_ERR_FORMAT, "tokenizer key %s has an unexpected JSON type", key);
    int n = cJSON_GetArraySize(v);
    const cJSON *first = cJSON_GetArrayItem(v, 0);
    rg_status st = RG_OK;
    if (n == 0 || cJSON_IsString(first)) {
        const char **strings = malloc((size_t)(n ? n : 1) * sizeof *strings);
        if (!strings) return fail_status(RG_ERR_NOMEM, "out of memory reading the tokenizer");
        int i = 0;
        for (const cJSON *e = v->child; e && st == RG_OK; e = e->next, i++)
            if (cJSON_IsString(e)) strings[i] = e->valuestring;
            else st = fail_status(RG_ERR_FORMAT, "tokenizer key %s mixes strings with other values", key);
        if (st == RG_OK) st = rg_source_set_string_array(src, key, strings, NULL, (uint64_t)n);
        free(strings);
        return st;
    }
    double *numbers = malloc((size_t)n * sizeof *numbers);
    int64_t *ints = malloc((size_t)n * sizeof *ints);
    int all_int = 1, i = 0;
    if (!numbers || !ints) st = fail_status(RG_ERR_NOMEM, "out of memory reading the tokenizer");
    for (const cJSON *e = v->child; e && st == RG_OK; e = e->next, i++) {
        if (!cJSON_IsNumber(e)) { st = fail_status(RG_ERR_FORMAT, "tokenizer key %s mixes numbers with other values", key); break; }
        numbers[i] = e->valuedouble;
        all_int &= numbers[i] == floor(numbers[i]) && fabs(numbers[i]) < 9007199254740992.0;
        ints[i] = all_int ? (int64_t)numbers[i] : 0;
    }
    if (st == RG_OK)
        st = all_int ? rg_source_set_int_array(src, key, ints, (uint64_t)n)
                     : rg_source_set_float_array(src, key, numbers, (uint64_t)n);
    free(numbers);
    free(ints);
    return st;
}

int tokenizer_meta_from_json(const char *json, size_t len, const char *name, rg_tokenizer **out)
{
    *out = NULL;
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail("%s: the tokenizer section is not a JSON object", name);
    }
    rg_source *src;
    rg_status st = rg_source_new(&src);
    for (const cJSON *e = root->child; e && st == RG_OK; e = e->next) st = value_from_json(src, e->string, e);
    cJSON_Delete(root);
    if (st != RG_OK) {
        char message[512];
        snprintf(message, sizeof message, "%s", last_error());
        fail("%s: the tokenizer section: %s", name, message);
    }
    if (st == RG_OK) st = tokenizer_from_source(src, name, out);
    rg_source_free(src);
    return st == RG_OK ? 0 : -1;
}
