/*
 * rustgpt.h — the public C API of librustgpt.
 *
 * One header for everything a program needs to load a model, tokenize, run
 * it, sample, embed and (with rustgpt/plugin.h) extend it. The shape follows
 * sqlite3.h and llama.h:
 *
 *   - every symbol is prefixed rg_; every handle is opaque;
 *   - every function that can fail returns an rg_status; the message of the
 *     last failure on the calling thread is rg_last_error() (thread-local,
 *     like errno). The library never prints and never exits;
 *   - a model (rg_model: weights, config, tokenizer) is read-only once loaded
 *     and may be shared by any number of threads; everything that changes
 *     while it runs (KV cache, scratch) lives in a context (rg_context) that
 *     belongs to one thread at a time;
 *   - memory: a function that returns a new handle gives it to the caller,
 *     who frees it with the matching _free; pointers returned into a handle
 *     stay valid until that handle is freed; output buffers are the caller's.
 *
 * STATUS: this header is the contract the parts are written against. A
 * function is documented with its ownership and errors right where it is
 * declared; docs/13-library.md walks through it.
 */
#ifndef RUSTGPT_H
#define RUSTGPT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RG_VERSION "0.2.0"
/* The ABI version plugins are checked against (rustgpt/plugin.h). It changes
 * whenever a public struct or vtable changes layout. */
#define RG_ABI_VERSION 1

/* ---- errors ------------------------------------------------------------ */

/* Result of every fallible call. RG_OK is 0; every error is positive. */
typedef enum {
    RG_OK = 0,
    RG_ERR_IO,            /* a file could not be opened, read or written     */
    RG_ERR_FORMAT,        /* a file or input is malformed (message: where)   */
    RG_ERR_INVALID,       /* an argument is out of range or inconsistent     */
    RG_ERR_NOMEM,         /* an allocation failed                            */
    RG_ERR_UNSUPPORTED,   /* a type, architecture or feature is not built in */
    RG_ERR_NOT_FOUND,     /* a name is not registered / a key is missing     */
    RG_ERR_TOO_SMALL,     /* a caller buffer is too small; *n_out says how much is needed */
    RG_ERR_LIMIT,         /* input exceeds a limit (context length, size)   */
    RG_ERR_INTERRUPTED,   /* a callback asked to stop                        */
    RG_ERR_PLUGIN,        /* a plugin could not be loaded or initialised     */
} rg_status;

/* The message of the last failure on this thread ("" when none). The string
 * belongs to the library and is overwritten by the next failure. */
const char *rg_last_error(void);
/* A short constant name for a status ("ok", "io", "format", ...). */
const char *rg_status_name(rg_status status);
/* The library's version string, RG_VERSION of the build. */
const char *rg_version(void);

/* ---- tokenizers -------------------------------------------------------- */

/* A tokenizer: text to token ids and back. Made by rg_tokenizer_load (the
 * caller frees it) or owned by a model (rg_model_tokenizer). Read-only once
 * made: any number of threads may use one. */
typedef struct rg_tokenizer rg_tokenizer;

/* Special tokens a tokenizer may define; rg_tokenizer_special() gives -1 for
 * the ones it lacks. */
typedef enum {
    RG_SPECIAL_BOS, RG_SPECIAL_EOS, RG_SPECIAL_PAD, RG_SPECIAL_UNK,
    RG_SPECIAL_CLS, RG_SPECIAL_SEP, RG_SPECIAL_MASK,
} rg_special;

/* Flags of rg_tokenize. */
enum {
    RG_TOKENIZE_ADD_SPECIAL   = 1 << 0, /* add BOS/CLS/SEP the way the model expects     */
    RG_TOKENIZE_PARSE_SPECIAL = 1 << 1, /* text like "<|endoftext|>" becomes its special
                                           token; otherwise it is encoded as plain text */
};

/* Load a tokenizer by built-in name ("word" needs a model; "cl100k_base",
 * "o200k_base", "gpt2", ... are looked up in the data directories) or by
 * file path (tokenizer.json, *.tiktoken, tiktoken's encoder .json, vocab.txt,
 * vocab.json with merges.txt beside it). The caller frees *out.
 * Errors: RG_ERR_NOT_FOUND, RG_ERR_IO, RG_ERR_FORMAT, RG_ERR_NOMEM. */
rg_status rg_tokenizer_load(const char *name_or_path, rg_tokenizer **out);
/* Save in the tokenizer's own file form (tokenizer.json for BPE).
 * Errors: RG_ERR_IO, RG_ERR_UNSUPPORTED. The write is atomic. */
rg_status rg_tokenizer_save(const rg_tokenizer *tok, const char *path);
/* Free a tokenizer from rg_tokenizer_load (NULL is allowed); never one a
 * model owns. */
void rg_tokenizer_free(rg_tokenizer *tok);
/* The registered name of its kind ("word", "bpe", "spm", "wordpiece", ...). */
const char *rg_tokenizer_kind(const rg_tokenizer *tok);
/* The number of token ids, specials included. */
int32_t rg_tokenizer_n_vocab(const rg_tokenizer *tok);
/* The id of a special token, or -1 when the tokenizer has none. */
int32_t rg_tokenizer_special(const rg_tokenizer *tok, rg_special which);

/* Encode text[0..len) into ids[0..cap). *n_out gets the number of ids; when
 * cap is too small it gets the number needed and RG_ERR_TOO_SMALL is returned
 * (ids holds the first cap). Does no heap allocation once the tokenizer is
 * loaded. Invalid UTF-8 is encoded byte for byte where the tokenizer has byte
 * tokens, else it is RG_ERR_FORMAT naming the byte offset. */
rg_status rg_tokenize(const rg_tokenizer *tok, const char *text, size_t len, int flags,
                      int32_t *ids, size_t cap, size_t *n_out);
/* Decode ids into buf[0..cap) (not NUL-terminated unless room remains;
 * *len_out is the byte count, or the count needed with RG_ERR_TOO_SMALL).
 * Errors: RG_ERR_INVALID for an id outside the vocabulary. */
rg_status rg_detokenize(const rg_tokenizer *tok, const int32_t *ids, size_t n,
                        char *buf, size_t cap, size_t *len_out);
/* The text of one token as stored (bytes, not NUL-free in general); *len gets
 * its length. NULL for an invalid id. Valid while tok lives. */
const char *rg_token_piece(const rg_tokenizer *tok, int32_t id, size_t *len);

/* ---- models and contexts ----------------------------------------------- */

/* A loaded model: weights, config and tokenizer, read-only and shareable by
 * threads. rg_model_load makes one; rg_model_free frees it. */
typedef struct rg_model rg_model;
/* Per-user state of one model (KV caches, scratch): one thread at a time.
 * rg_context_new makes one; rg_context_free frees it. */
typedef struct rg_context rg_context;

/* What a model is, for front ends to show and check against. */
typedef struct {
    const char *arch;        /* registered architecture name: "gpt", "llama", "gpt2", "bert" */
    const char *format;      /* the file format it came from: "bin", "gguf", ...             */
    const char *name;        /* general.name or the file's base name                          */
    int32_t n_vocab, n_ctx, d_model, n_layers, n_heads;
    int32_t n_embd;          /* width of rg_embed's vectors                                   */
    uint64_t n_params;
    int causal;              /* 1 for decoders, 0 for bidirectional encoders (bert)           */
    int can_generate;        /* has an output head                                            */
    int can_train;           /* its architecture has a backward pass                          */
    const char *chat_template; /* the model's template text, or NULL                          */
} rg_model_info;

/* Options of rg_model_load; NULL means all defaults. */
typedef struct {
    int use_mmap;            /* map tensor data in place where the format allows (default 1) */
    const char *tokenizer;   /* override the model's tokenizer (name or path), or NULL       */
} rg_model_options;

/* Load a model file (or a Hugging Face checkpoint directory); the format is
 * found by probing the file's first bytes with every registered format. The
 * caller frees *out with rg_model_free after every context of it is freed.
 * Errors: RG_ERR_IO, RG_ERR_FORMAT (message names file and what is wrong),
 * RG_ERR_UNSUPPORTED (unknown architecture or tensor type, named),
 * RG_ERR_NOMEM. */
rg_status rg_model_load(const char *path, const rg_model_options *opt, rg_model **out);
/* Save in the format of path's extension (.bin .json .safetensors .gguf).
 * Errors: RG_ERR_IO, RG_ERR_UNSUPPORTED (that format cannot hold the model:
 * the message says why). The previous file survives a failed save. */
rg_status rg_model_save(const rg_model *model, const char *path);
/* Free a model and its tokenizer (NULL is allowed). Free its contexts first. */
void rg_model_free(rg_model *model);
/* Fill *info; strings in it live as long as the model. */
void rg_model_get_info(const rg_model *model, rg_model_info *info);
/* The model's tokenizer, owned by the model. */
const rg_tokenizer *rg_model_tokenizer(const rg_model *model);

/* Options of rg_context_new; NULL means all defaults. */
typedef struct {
    int32_t n_ctx;           /* positions per sequence (0: the model's)             */
    int32_t n_seq;           /* independent sequences (KV caches) it holds (1)      */
    int32_t n_threads;       /* threads of the forward pass (0: all cores)          */
} rg_context_options;

/* A context for one user of model: its KV caches and scratch. Allocates
 * everything it will need here, so that decoding does not allocate.
 * Errors: RG_ERR_INVALID (n_ctx larger than the model allows), RG_ERR_NOMEM. */
rg_status rg_context_new(const rg_model *model, const rg_context_options *opt, rg_context **out);
/* Free a context (NULL is allowed). */
void rg_context_free(rg_context *ctx);
/* Forget sequence seq's tokens (-1: every sequence). */
void rg_context_reset(rg_context *ctx, int32_t seq);
/* Tokens cached for sequence seq. */
int32_t rg_context_n_tokens(const rg_context *ctx, int32_t seq);

/* One batched step: token i is appended to sequence seq_ids[i] (its
 * position is that sequence's current length). The logits of the next token
 * after each entry i with want_logits[i] != 0 (want_logits NULL: the last
 * entry of each sequence) are written to logits + k * n_vocab for the k-th
 * such entry, in order. Entries of one sequence must appear in order. This is
 * how prompts are processed in one pass and how a server decodes many
 * streams together. Does no heap allocation.
 * Errors: RG_ERR_LIMIT (a sequence would exceed n_ctx), RG_ERR_INVALID
 * (token outside the vocabulary, seq outside [0, n_seq)). */
rg_status rg_decode(rg_context *ctx, int32_t n, const int32_t *tokens, const int32_t *seq_ids,
                    const uint8_t *want_logits, float *logits);

/* ---- sampling and generation ------------------------------------------- */

/* How to choose each next token; rg_sampling_default() gives the CLI's. */
typedef struct {
    float temperature;       /* 0: greedy                                    */
    int32_t top_k;           /* 0: off                                       */
    float top_p;             /* 1: off                                       */
    float repeat_penalty;    /* 1: off                                       */
    uint64_t seed;
    int32_t max_tokens;
} rg_sampling;

/* The defaults of the CLI: greedy, 60 tokens, seed 42. */
rg_sampling rg_sampling_default(void);

/* A token chooser with its own random state (rg_sampler_new). */
typedef struct rg_sampler rg_sampler;
/* A sampler keeps its random state and scratch ([n_vocab] ids). The caller
 * frees it. Errors: RG_ERR_INVALID, RG_ERR_NOMEM. */
rg_status rg_sampler_new(const rg_sampling *params, int32_t n_vocab, rg_sampler **out);
/* Free a sampler (NULL is allowed). */
void rg_sampler_free(rg_sampler *s);
/* Choose the next token from logits [n_vocab] (modified in place by the
 * penalty and temperature); recent [n_recent] are the tokens the repetition
 * penalty applies to. No allocation. */
int32_t rg_sample(rg_sampler *s, float *logits, const int32_t *recent, int32_t n_recent);

/* Called with each generated token and its text (the bytes it adds to the
 * output, complete UTF-8 only: a partial character is held back until it is
 * whole). Return nonzero to stop. */
typedef int (*rg_token_fn)(int32_t token, const char *text, size_t len, void *user);

/* Continue sequence 0 of ctx with prompt (text, tokenized as the model
 * expects) and generate until EOS, a stop string (stop[n_stop], matched on
 * the output text and not included), max_tokens, or on_token returning
 * nonzero. Text held back for a stop string that never came is passed at
 * the end in one more call with token -1. *n_generated (may be NULL) gets
 * the count.
 * Errors: those of rg_decode; RG_ERR_INTERRUPTED when on_token stopped it. */
rg_status rg_generate(rg_context *ctx, const char *prompt, const rg_sampling *params,
                      const char *const *stop, int n_stop, rg_token_fn on_token, void *user,
                      int32_t *n_generated);

/* Render a conversation with the model's chat template (or rustgpt's own
 * "User: .. Assistant:" form for models without one) into buf[0..cap),
 * NUL-terminated; add_assistant appends the start of the assistant's turn.
 * roles are "system", "user", "assistant". *len_out gets the length (or the
 * length needed with RG_ERR_TOO_SMALL). */
typedef struct { const char *role; const char *content; } rg_message;
rg_status rg_chat_render(const rg_model *model, const rg_message *msgs, int n_msgs,
                         int add_assistant, char *buf, size_t cap, size_t *len_out);

/* ---- embeddings -------------------------------------------------------- */

/* How rg_embed turns a text's token vectors into one vector. */
typedef enum {
    RG_POOL_DEFAULT = -1,   /* what the model declares, else mean */
    RG_POOL_NONE = 0, RG_POOL_MEAN = 1, RG_POOL_CLS = 2, RG_POOL_LAST = 3,
    RG_POOL_MAX = 4, RG_POOL_MEAN_SQRT = 5,
} rg_pooling;

/* Options of rg_embed; n_truncated is an output. */
typedef struct {
    rg_pooling pooling;
    int normalize;           /* L2-normalise each vector (default 1)              */
    int truncate;            /* cut texts longer than the context (1) or fail (0) */
    int32_t n_truncated;     /* out: how many texts were cut                      */
} rg_embed_options;

/* Embed texts[n] into out [n, n_embd] (row i for text i). ctx is used for
 * scratch; many threads may embed with one model, each with its own context.
 * Errors: RG_ERR_FORMAT (invalid UTF-8: the message names the text's index),
 * RG_ERR_LIMIT (too long with truncate 0), RG_ERR_UNSUPPORTED. */
rg_status rg_embed(rg_context *ctx, const char *const *texts, int32_t n,
                   rg_embed_options *opt, float *out);

/* ---- the registry ------------------------------------------------------ */

/* The three kinds of registered implementation (rustgpt/plugin.h). */
typedef enum { RG_KIND_TOKENIZER, RG_KIND_ARCH, RG_KIND_FORMAT } rg_kind;

/* One registered implementation, as `rustgpt plugins` lists it. */
typedef struct {
    rg_kind kind;
    const char *name;
    int32_t version;
    const char *origin;      /* "built-in" or the plugin file it came from */
} rg_registered;

/* The number of registered implementations, and the i-th of them. */
int32_t rg_registry_count(void);
rg_status rg_registry_get(int32_t i, rg_registered *out);
/* dlopen a plugin and run its entry point (rustgpt/plugin.h). Errors:
 * RG_ERR_PLUGIN naming the file and the reason (not found, no entry point,
 * ABI version mismatch, its init failed: it is unloaded again). */
rg_status rg_plugin_load(const char *path);

#ifdef __cplusplus
}
#endif

#endif
