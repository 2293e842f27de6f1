/*
 * rustgpt/plugin.h — the three interfaces behind librustgpt, for built-in
 * parts and external plugins alike.
 *
 *   tokenizer     text <-> ids                    (word, bpe, spm, wordpiece, ...)
 *   architecture  weights -> logits / embeddings  (gpt, llama, gpt2, bert, ...)
 *   file format   file <-> tensors + metadata     (bin, json, safetensors, gguf, ...)
 *
 * Each is a small vtable with a name and a version. The registry holds every
 * vtable, built in or from a plugin; rg_model_load probes the formats, the
 * format fills an rg_source (tensors and metadata), and the architecture
 * named by the source's "general.architecture" builds the model from it.
 *
 * A plugin is a shared object exporting
 *
 *     rg_status rustgpt_plugin_init(const rg_plugin_host *host);
 *
 * which checks host->abi_version == RG_ABI_VERSION and registers its vtables
 * through the host's functions. Vtables and the strings in them must live
 * until the process ends (static storage). A non-RG_OK return unloads it.
 */
#ifndef RUSTGPT_PLUGIN_H
#define RUSTGPT_PLUGIN_H

#include "../rustgpt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tensors and sources ------------------------------------------------ */

/* Element types, numbered as GGUF (ggml) numbers them so that GGUF files map
 * one to one. Quantized types are stored in blocks along the row. */
typedef enum {
    RG_TYPE_F32 = 0, RG_TYPE_F16 = 1, RG_TYPE_Q4_0 = 2, RG_TYPE_Q8_0 = 8,
    RG_TYPE_Q4_K = 12, RG_TYPE_Q5_K = 13, RG_TYPE_Q6_K = 14, RG_TYPE_Q8_K = 15,
    RG_TYPE_I32 = 26, RG_TYPE_BF16 = 30,
} rg_type;

/* A named tensor. dims are in GGUF order: dims[0] is the row length (the
 * fastest-moving index), so a PyTorch [out, in] matrix has dims {in, out}.
 * data points into the source's memory (a mapped file, or a buffer it owns). */
typedef struct {
    const char *name;
    rg_type type;
    int32_t n_dims;
    int64_t dims[4];
    const void *data;
    size_t n_bytes;
} rg_tensor;

/* What a file format loaded: tensors plus typed metadata, keyed as GGUF keys
 * them ("general.architecture", "llama.block_count", "tokenizer.ggml.tokens").
 * rustgpt's own formats use the architecture "gpt" and keys "gpt.*". */
typedef struct rg_source rg_source;

/* The type of a metadata value (arrays hold ints, floats or strings). */
typedef enum {
    RG_VALUE_INT, RG_VALUE_FLOAT, RG_VALUE_BOOL, RG_VALUE_STRING, RG_VALUE_ARRAY,
} rg_value_type;

/* Lookups; they return NULL / RG_ERR_NOT_FOUND when the key is absent, and
 * RG_ERR_FORMAT when it has another type. Integers of any width read as
 * int64, floats of any width as double. */
const rg_tensor *rg_source_tensor(const rg_source *src, const char *name);
int32_t rg_source_n_tensors(const rg_source *src);
const rg_tensor *rg_source_tensor_at(const rg_source *src, int32_t i);
rg_status rg_source_int(const rg_source *src, const char *key, int64_t *out);
rg_status rg_source_float(const rg_source *src, const char *key, double *out);
rg_status rg_source_bool(const rg_source *src, const char *key, int *out);
/* The string is NUL-terminated and lives as long as src; *len may be NULL. */
rg_status rg_source_string(const rg_source *src, const char *key, const char **out, size_t *len);
/* An array: *type_out is its element type (RG_VALUE_INT, _FLOAT, _STRING),
 * *n_out its length. Elements are read with the _at functions. */
rg_status rg_source_array(const rg_source *src, const char *key, rg_value_type *type_out, uint64_t *n_out);
rg_status rg_source_array_int(const rg_source *src, const char *key, uint64_t i, int64_t *out);
rg_status rg_source_array_float(const rg_source *src, const char *key, uint64_t i, double *out);
rg_status rg_source_array_string(const rg_source *src, const char *key, uint64_t i, const char **out, size_t *len);

/* Building a source (what a format's load does). The source copies keys and
 * strings; tensor data is referenced, not copied, and must outlive it (use
 * rg_source_keep to hand it a buffer or mapping to free with it). */
rg_status rg_source_new(rg_source **out);
void rg_source_free(rg_source *src);
rg_status rg_source_set_int(rg_source *src, const char *key, int64_t v);
rg_status rg_source_set_float(rg_source *src, const char *key, double v);
rg_status rg_source_set_bool(rg_source *src, const char *key, int v);
rg_status rg_source_set_string(rg_source *src, const char *key, const char *v, size_t len);
rg_status rg_source_set_int_array(rg_source *src, const char *key, const int64_t *v, uint64_t n);
rg_status rg_source_set_float_array(rg_source *src, const char *key, const double *v, uint64_t n);
rg_status rg_source_set_string_array(rg_source *src, const char *key, const char *const *v,
                                     const size_t *lens, uint64_t n);
rg_status rg_source_add_tensor(rg_source *src, const rg_tensor *t);
/* Hand src memory to release when it is freed: free(ptr) when unmap_len is
 * 0, else munmap(ptr, unmap_len). */
rg_status rg_source_keep(rg_source *src, void *ptr, size_t unmap_len);

/* ---- the tokenizer interface --------------------------------------------- */

/* A tokenizer: probe/load/from_source/train make its state; the rest use
 * it. Required: destroy, n_vocab, special, encode, decode, piece and one of
 * load, from_source, train. Errors are rg_status values. */
typedef struct {
    uint32_t abi_version;        /* RG_ABI_VERSION                              */
    const char *name;            /* "bpe", "char", ...                          */
    int32_t version;
    /* Can this tokenizer read the file? head holds its first n bytes. For a
     * name that is not a file ("cl100k_base") it is asked with head NULL and
     * n 0: return 1 to have load(name) called. May be NULL (then only
     * from_source and train make one). */
    int (*probe)(const char *path, const unsigned char *head, size_t n);
    rg_status (*load)(const char *path, void **state);
    /* From a model's metadata (tokenizer.ggml.* or rustgpt's own keys). */
    rg_status (*from_source)(const rg_source *src, void **state);
    /* Write itself into a model's metadata, so the model file carries it. */
    rg_status (*to_source)(const void *state, rg_source *dst);
    /* Learn from texts[n]; options is "key=value,..." (e.g. "vocab=4096"). May be NULL. */
    rg_status (*train)(const char *const *texts, size_t n, const char *options, void **state);
    rg_status (*save)(const void *state, const char *path);
    void (*destroy)(void *state);
    int32_t (*n_vocab)(const void *state);
    int32_t (*special)(const void *state, rg_special which);
    /* As rg_tokenize / rg_detokenize / rg_token_piece. */
    rg_status (*encode)(const void *state, const char *text, size_t len, int flags,
                        int32_t *ids, size_t cap, size_t *n_out);
    rg_status (*decode)(const void *state, const int32_t *ids, size_t n,
                        char *buf, size_t cap, size_t *len_out);
    const char *(*piece)(const void *state, int32_t id, size_t *len);
} rg_tokenizer_vtable;

/* ---- the architecture interface ------------------------------------------ */

/* An architecture: create builds a read-only model state from a source;
 * contexts hold per-user state. Required: create, destroy, the four
 * context functions and decode or hidden. */
typedef struct {
    uint32_t abi_version;
    const char *name;            /* matches general.architecture                */
    int32_t version;
    /* Build a read-only model from src (which outlives it) and fill info's
     * numeric fields. */
    rg_status (*create)(const rg_source *src, void **model_state, rg_model_info *info);
    void (*destroy)(void *model_state);
    rg_status (*context_new)(const void *model_state, const rg_context_options *opt, void **ctx_state);
    void (*context_free)(void *ctx_state);
    void (*context_reset)(void *ctx_state, int32_t seq);
    int32_t (*context_n_tokens)(const void *ctx_state, int32_t seq);
    /* As rg_decode. */
    rg_status (*decode)(const void *model_state, void *ctx_state, int32_t n, const int32_t *tokens,
                        const int32_t *seq_ids, const uint8_t *want_logits, float *logits);
    /* The final hidden states [n, n_embd] of one whole sequence of tokens[n]
     * run alone (causal or not, as the architecture is), for pooling. May be NULL. */
    rg_status (*hidden)(const void *model_state, void *ctx_state, int32_t n, const int32_t *tokens,
                        float *out);
    /* Trainable architectures: the parameter table and one forward+backward
     * over a padded batch [batch, seq_len] (targets -1 are ignored), adding
     * gradients into grads (laid out as the parameter table). May be NULL. */
    int32_t (*n_params)(const void *model_state);
    rg_status (*param)(const void *model_state, int32_t i, rg_tensor *out);
    rg_status (*forward_backward)(void *model_state, void *ctx_state, int32_t batch, int32_t seq_len,
                                  const int32_t *ids, const int32_t *targets, float *grads, float *loss);
    /* Several whole sequences at once, each run alone as by hidden (no
     * attention across them): sequence s is the next lens[s] entries of
     * tokens; out gets [Σ lens, n_embd], the sequences' rows in order. Lets
     * an encoder batch texts of different lengths without padding (rg_embed).
     * May be NULL: rg_embed then calls hidden once per sequence. */
    rg_status (*hidden_batch)(const void *model_state, void *ctx_state, int32_t n_seqs,
                              const int32_t *lens, const int32_t *tokens, float *out);
} rg_arch_vtable;

/* ---- the file format interface -------------------------------------------- */

/* A model file format: probe and load are required, save is optional. */
typedef struct {
    uint32_t abi_version;
    const char *name;            /* "gguf"                                      */
    int32_t version;
    const char *extensions;      /* ".gguf" (space-separated), for saving       */
    /* Is this file ours? head holds its first n bytes (n may be short). */
    int (*probe)(const char *path, const unsigned char *head, size_t n);
    rg_status (*load)(const char *path, const rg_model_options *opt, rg_source **out);
    /* Write src (a model's tensors and metadata) to path atomically. May be NULL. */
    rg_status (*save)(const rg_source *src, const char *path);
} rg_format_vtable;

/* ---- plugins ---------------------------------------------------------------- */

/* What a plugin's entry point is given: the host's ABI version and the
 * functions that register its vtables (they return RG_ERR_PLUGIN for a
 * vtable of another ABI version, RG_ERR_INVALID for a name already taken). */
typedef struct {
    uint32_t abi_version;        /* RG_ABI_VERSION of the host                  */
    rg_status (*register_tokenizer)(const rg_tokenizer_vtable *vt);
    rg_status (*register_arch)(const rg_arch_vtable *vt);
    rg_status (*register_format)(const rg_format_vtable *vt);
} rg_plugin_host;

/* The entry point a plugin exports under the name RG_PLUGIN_ENTRY; a
 * status other than RG_OK unloads the plugin. */
typedef rg_status (*rg_plugin_init_fn)(const rg_plugin_host *host);
#define RG_PLUGIN_ENTRY "rustgpt_plugin_init"

#ifdef __cplusplus
}
#endif

#endif
