/*
 * hf_gpt2.c — a GPT-2 checkpoint directory as Hugging Face publishes it,
 * read into the same rg_source a GGUF `gpt2` file gives (format "hf").
 *
 *   DIR/config.json         model_type "gpt2", n_embd, n_layer, n_head,
 *                           n_positions, vocab_size, layer_norm_epsilon, n_inner
 *   DIR/model.safetensors   8-byte little-endian header length, a JSON header
 *                           {name: {dtype, shape, data_offsets}}, the data
 *   DIR/vocab.json + merges.txt, or DIR/tokenizer.json (model.vocab, model.merges)
 *
 * GPT-2's linear layers are Conv1D modules: their weight is stored [in, out]
 * (y = x W + b), the transpose of nn.Linear's [out, in]. GGUF (and the
 * decoder, archs/decoder.h) wants [out, in] rows, so c_attn, c_proj, c_fc and
 * mlp.c_proj are transposed while loading; embeddings, norms and biases are
 * copied as they are. Every tensor becomes F32. Names, with or without the
 * "transformer." prefix that GPT2LMHeadModel.save_pretrained adds:
 *
 *   wte [V,d] → token_embd        h.N.ln_1 → blk.N.attn_norm
 *   wpe [T,d] → position_embd     h.N.attn.c_attn [d,3d]ᵀ → blk.N.attn_qkv
 *   ln_f → output_norm            h.N.attn.c_proj [d,d]ᵀ → blk.N.attn_output
 *   lm_head [V,d] → output        h.N.ln_2 → blk.N.ffn_norm
 *   (absent: tied to wte)         h.N.mlp.c_fc [d,ff]ᵀ → blk.N.ffn_up
 *                                 h.N.mlp.c_proj [ff,d]ᵀ → blk.N.ffn_down
 *
 * The tokenizer keys are GGUF's for a byte-level BPE (tokenizer.ggml.model
 * "gpt2"): vocab.json's tokens are already in GPT-2's byte-to-unicode
 * alphabet, merges.txt's lines are the "a b" merges in rank order.
 */
#include "formats/hf_checkpoint.h"
#include "core/quant.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- config.json ----------------------------------------------------------- */

typedef struct {
    int64_t d, layers, heads, ctx, vocab, ff;
    double eps;
} Gpt2Config;

static int config_int(const cJSON *root, const char *key, int64_t fallback, int64_t *out,
                      const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) {
        if (fallback < 0) return fail("%s: \"%s\" is missing", path, key);
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > (1 << 24) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return fail("%s: \"%s\" must be a positive integer", path, key);
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int read_config(const char *dir, Gpt2Config *c)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t len;
    char *text = read_whole_file(path, &len);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail("%s: not a JSON object", path);
    }
    int rc = 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "activation_function");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "gpt2") != 0)
        rc = fail("%s: model_type is not \"gpt2\"", path);
    else if (cJSON_IsString(act) && strcmp(act->valuestring, "gelu_new") != 0 &&
             strcmp(act->valuestring, "gelu_pytorch_tanh") != 0)
        rc = fail("%s: activation_function \"%s\" is not GPT-2's tanh GELU", path, act->valuestring);
    if (rc == 0)
        rc = config_int(root, "n_embd", -1, &c->d, path) || config_int(root, "n_layer", -1, &c->layers, path) ||
             config_int(root, "n_head", -1, &c->heads, path) ||
             config_int(root, "n_positions", -1, &c->ctx, path) ||
             config_int(root, "vocab_size", -1, &c->vocab, path) ||
             config_int(root, "n_inner", 0, &c->ff, path) ? -1 : 0;
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "layer_norm_epsilon");
    c->eps = cJSON_IsNumber(eps) ? eps->valuedouble : 1e-5;
    if (rc == 0 && c->ff == 0) c->ff = 4 * c->d;
    if (rc == 0 && c->d % c->heads != 0) rc = fail("%s: n_head %lld does not divide n_embd %lld", path,
                                                    (long long)c->heads, (long long)c->d);
    if (rc == 0 && (c->eps <= 0 || c->eps > 1)) rc = fail("%s: layer_norm_epsilon is out of range", path);
    cJSON_Delete(root);
    return rc;
}

/* ---- tensors ------------------------------------------------------------------ */

/* One HF tensor, its GGUF name, and whether it is a Conv1D weight. */
static const char *gguf_name(const char *hf, char *buf, size_t cap, int *transpose)
{
    static const struct { const char *hf, *gguf; int transpose; } block[] = {
        { "ln_1.weight", "attn_norm.weight", 0 },       { "ln_1.bias", "attn_norm.bias", 0 },
        { "attn.c_attn.weight", "attn_qkv.weight", 1 }, { "attn.c_attn.bias", "attn_qkv.bias", 0 },
        { "attn.c_proj.weight", "attn_output.weight", 1 }, { "attn.c_proj.bias", "attn_output.bias", 0 },
        { "ln_2.weight", "ffn_norm.weight", 0 },        { "ln_2.bias", "ffn_norm.bias", 0 },
        { "mlp.c_fc.weight", "ffn_up.weight", 1 },      { "mlp.c_fc.bias", "ffn_up.bias", 0 },
        { "mlp.c_proj.weight", "ffn_down.weight", 1 },  { "mlp.c_proj.bias", "ffn_down.bias", 0 },
    };
    static const struct { const char *hf, *gguf; } top[] = {
        { "wte.weight", "token_embd.weight" }, { "wpe.weight", "position_embd.weight" },
        { "ln_f.weight", "output_norm.weight" }, { "ln_f.bias", "output_norm.bias" },
        { "lm_head.weight", "output.weight" },
    };
    if (strncmp(hf, "transformer.", 12) == 0) hf += 12;
    *transpose = 0;
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (strcmp(hf, top[i].hf) == 0) return top[i].gguf;
    int layer, used = 0;
    if (sscanf(hf, "h.%d.%n", &layer, &used) == 1 && used > 0 && layer >= 0)
        for (size_t i = 0; i < sizeof block / sizeof block[0]; i++)
            if (strcmp(hf + used, block[i].hf) == 0) {
                snprintf(buf, cap, "blk.%d.%s", layer, block[i].gguf);
                *transpose = block[i].transpose;
                return buf;
            }
    return NULL;      /* attn.bias / attn.masked_bias (mask buffers) and the like */
}

/* The expected [rows, cols] of a GGUF gpt2 tensor (cols 0: a vector of rows). */
static int expected_shape(const char *name, const Gpt2Config *c, int64_t *rows, int64_t *cols)
{
    const char *part = strncmp(name, "blk.", 4) == 0 ? strchr(name + 4, '.') + 1 : name;
    int is_bias = strstr(part, ".bias") != NULL;
    *cols = is_bias ? 0 : c->d;
    if (strcmp(part, "token_embd.weight") == 0 || strcmp(part, "output.weight") == 0) *rows = c->vocab;
    else if (strcmp(part, "position_embd.weight") == 0) *rows = c->ctx;
    else if (strncmp(part, "attn_qkv", 8) == 0) *rows = 3 * c->d;
    else if (strncmp(part, "ffn_up", 6) == 0) *rows = c->ff;
    else if (strcmp(part, "ffn_down.weight") == 0) { *rows = c->d; *cols = c->ff; }
    else if (strstr(part, "norm") || strncmp(part, "attn_output", 11) == 0 || strcmp(part, "ffn_down.bias") == 0) {
        *rows = c->d;
        if (strstr(part, "norm")) *cols = 0;
    } else return -1;
    return 0;
}

/* Convert one safetensors tensor (F32, F16 or BF16) into a float buffer in
 * GGUF's layout and add it to src under its GGUF name. */
static int add_tensor(rg_source *src, const hf_tensor *t, const Gpt2Config *c, const char *path)
{
    char buf[64];
    int transpose;
    const char *name = gguf_name(t->name, buf, sizeof buf, &transpose);
    if (!name) return 0;
    int64_t rows, cols;
    if (expected_shape(name, c, &rows, &cols) != 0) return fail("%s: tensor %s is not part of GPT-2", path, t->name);
    int64_t in_rows = transpose ? cols : rows, in_cols = transpose ? rows : cols;
    int ok = cols == 0 ? (t->n_dims == 1 && t->shape[0] == rows)
                       : (t->n_dims == 2 && t->shape[0] == in_rows && t->shape[1] == in_cols);
    if (!ok) return fail("%s: tensor %s has the wrong shape for this config", path, t->name);
    int64_t n = rows * (cols ? cols : 1);
    float *data = xmalloc((size_t)n, sizeof *data);
    if (!data) return -1;
    float *plain = data;
    if (transpose && !(plain = xmalloc((size_t)n, sizeof *plain))) { free(data); return -1; }
    quant_dequantize_row(t->type, t->data, plain, n);
    if (transpose) {         /* [in, out] → [out, in] */
        for (int64_t i = 0; i < in_rows; i++)
            for (int64_t o = 0; o < in_cols; o++) data[o * in_rows + i] = plain[i * in_cols + o];
        free(plain);
    }
    rg_tensor g = { .name = name, .type = RG_TYPE_F32, .n_dims = cols ? 2 : 1,
                    .dims = { cols ? cols : rows, cols ? rows : 1, 1, 1 }, .data = data,
                    .n_bytes = (size_t)n * sizeof(float) };
    if (rg_source_keep(src, data, 0) != RG_OK) return -1;
    return rg_source_add_tensor(src, &g) == RG_OK ? 0 : -1;
}

/* ---- the format --------------------------------------------------------------- */

static int has_file(const char *dir, const char *file)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A directory with config.json and model.safetensors (head is NULL for a
 * directory: see api/model.c). */
static int hf_probe(const char *path, const unsigned char *head, size_t n)
{
    (void)n;
    return head == NULL && has_file(path, "config.json") && has_file(path, "model.safetensors");
}

static int set_metadata(rg_source *src, const Gpt2Config *c, const char *dir)
{
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;
    return rg_source_set_string(src, "general.architecture", "gpt2", 4) != RG_OK ||
           rg_source_set_string(src, "general.name", base, strlen(base)) != RG_OK ||
           rg_source_set_int(src, "gpt2.context_length", c->ctx) != RG_OK ||
           rg_source_set_int(src, "gpt2.embedding_length", c->d) != RG_OK ||
           rg_source_set_int(src, "gpt2.feed_forward_length", c->ff) != RG_OK ||
           rg_source_set_int(src, "gpt2.block_count", c->layers) != RG_OK ||
           rg_source_set_int(src, "gpt2.attention.head_count", c->heads) != RG_OK ||
           rg_source_set_float(src, "gpt2.attention.layer_norm_epsilon", c->eps) != RG_OK ? -1 : 0;
}

static rg_status hf_load(const char *dir, const rg_model_options *opt, rg_source **out)
{
    (void)opt;
    *out = NULL;
    Gpt2Config c;
    if (read_config(dir, &c) != 0) return RG_ERR_FORMAT;
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    hf_safetensors st;
    if (hf_safetensors_open(&st, path) != 0) return RG_ERR_FORMAT;
    rg_source *src = NULL;
    int rc = rg_source_new(&src) == RG_OK ? 0 : -1;
    if (rc == 0) rc = set_metadata(src, &c, dir);
    for (int64_t i = 0; rc == 0 && i < st.n_tensors; i++) rc = add_tensor(src, &st.tensors[i], &c, path);
    hf_safetensors_close(&st);
    char missing[64];
    if (rc == 0 && !rg_source_tensor(src, "token_embd.weight")) rc = fail("%s: wte.weight is missing", path);
    for (int64_t l = 0; rc == 0 && l < c.layers; l++) {
        snprintf(missing, sizeof missing, "blk.%lld.ffn_down.bias", (long long)l);
        if (!rg_source_tensor(src, missing)) rc = fail("%s: layer %lld is incomplete", path, (long long)l);
    }
    if (rc == 0) rc = hf_bpe_tokenizer_to_source(dir, src);
    if (rc != 0) {
        rg_source_free(src);
        return RG_ERR_FORMAT;
    }
    *out = src;
    return RG_OK;
}

const rg_format_vtable rg_hf_gpt2_format = {
    .abi_version = RG_ABI_VERSION,
    .name = "hf",
    .version = 1,
    .extensions = "",
    .probe = hf_probe,
    .load = hf_load,
    .save = NULL,
};
