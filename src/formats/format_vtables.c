/*
 * format_vtables.c — rustgpt's own model files (.bin, .json, .safetensors)
 * behind the file format interface of rustgpt/plugin.h.
 *
 * Loading reads the file with the format's own loader (modelfile.h: every
 * check of phase one, bit-exact) and describes the Model as an rg_source
 * (archs/gpt_source.h): the source keeps the parameter buffer, so no weight
 * is copied. Saving builds a Model from the source and writes it with the
 * format's writer through the atomic writer. These formats hold the gpt
 * architecture only.
 */
#include "formats/modelfile.h"
#include "archs/gpt_source.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The format a file's first bytes show (the file's length from path). */
static ModelFormat probed(const char *path, const unsigned char *head, size_t n)
{
    struct stat st;
    uint64_t file_len = path && stat(path, &st) == 0 ? (uint64_t)st.st_size : n;
    return format_of_bytes(head, n, file_len);
}

static int probe_bin(const char *path, const unsigned char *head, size_t n) { return probed(path, head, n) == FORMAT_BIN; }
static int probe_json(const char *path, const unsigned char *head, size_t n) { return probed(path, head, n) == FORMAT_JSON; }
static int probe_safetensors(const char *path, const unsigned char *head, size_t n)
{
    return probed(path, head, n) == FORMAT_SAFETENSORS;
}

/* The status that fits the message model_load left. */
static rg_status load_status(void)
{
    const char *msg = last_error();
    if (strstr(msg, "out of memory")) return RG_ERR_NOMEM;
    if (strstr(msg, "cannot open") || strstr(msg, "cannot read") || strstr(msg, "read error")) return RG_ERR_IO;
    return RG_ERR_FORMAT;
}

static rg_status load_any(const char *path, const rg_model_options *opt, rg_source **out)
{
    Model m;
    if (model_load(&m, path) != 0) return load_status();
    rg_source *src;
    rg_status st = rg_source_new(&src);
    if (st == RG_OK) st = gpt_model_to_source(&m, src);
    if (st == RG_OK) st = rg_source_keep(src, m.params, 0);
    else free(m.params);
    m.params = NULL;
    model_free(&m);                     /* the vocabulary: the source has a copy */
    if (st != RG_OK) {
        rg_source_free(src);
        return st;
    }
    *out = src;
    return RG_OK;
}

static rg_status save_as_format(const rg_source *src, const char *path, ModelFormat format, const char *name)
{
    const char *arch = "";
    rg_source_string(src, "general.architecture", &arch, NULL);
    if (strcmp(arch, GPT_ARCH_NAME) != 0)
        return fail_status(RG_ERR_UNSUPPORTED, "%s: the %s format holds only gpt models, not %s", path, name, arch);
    Model m;
    rg_status st = gpt_model_from_source(&m, src);
    if (st != RG_OK) return st;
    if (!m.vocab.words && !m.tokenizer) {
        model_free(&m);
        return fail_status(RG_ERR_UNSUPPORTED, "%s: the model has no tokenizer to save with it", path);
    }
    if (m.tokenizer && format != FORMAT_BIN) {
        st = fail_status(RG_ERR_UNSUPPORTED, "%s: a model with the %s tokenizer is saved as .bin (the %s "
                         "format holds the word tokenizer only)", path, rg_tokenizer_kind(m.tokenizer), name);
        model_free(&m);
        return st;
    }
    int rc = model_save_as(&m, path, format);
    model_free(&m);
    return rc == 0 ? RG_OK : RG_ERR_IO;
}

static rg_status save_bin(const rg_source *src, const char *path) { return save_as_format(src, path, FORMAT_BIN, "bin"); }
static rg_status save_json(const rg_source *src, const char *path) { return save_as_format(src, path, FORMAT_JSON, "json"); }
static rg_status save_safetensors(const rg_source *src, const char *path)
{
    return save_as_format(src, path, FORMAT_SAFETENSORS, "safetensors");
}

const rg_format_vtable rg_bin_format = {
    RG_ABI_VERSION, "bin", 1, ".bin", probe_bin, load_any, save_bin,
};
const rg_format_vtable rg_safetensors_format = {
    RG_ABI_VERSION, "safetensors", 1, ".safetensors", probe_safetensors, load_any, save_safetensors,
};
const rg_format_vtable rg_json_format = {
    RG_ABI_VERSION, "json", 1, ".json", probe_json, load_any, save_json,
};
