/*
 * modelfile_bin.c — rustgpt's own binary model file (.bin), which is also the
 * training checkpoint format (docs/12-model-files.md draws it).
 *
 * The layout, byte by byte. Every integer and float is little-endian; floats
 * are IEEE-754 binary32, stored as their bit patterns (so NaN, infinities
 * and -0 survive a round trip unchanged).
 *
 *   offset   bytes      field
 *   0        4          magic "RGPT"
 *   4        4          format version, uint32 (1)
 *   8        4          flags, uint32: bit 0 = an optimizer section follows
 *                       the weights; bit 1 = a tokenizer section follows the
 *                       vocabulary; bit 2 = the GPT_GPT2 variant (GELU, no
 *                       head bias: archs/gpt.h); bit 3 = the word
 *                       vocabulary is lowercase (train --lowercase:
 *                       lookups fold case, tokenizers/word.h); every
 *                       other bit must be 0
 *   12       24         config, six uint32: vocab_size, d_model, n_heads,
 *                       d_hidden, n_layers, seq_len
 *   36       ...        vocabulary: vocab_size entries in id order, each a
 *                       uint32 byte length (> 0) and that many bytes (the
 *                       word, no NUL)
 *   -- only when flags bit 1 is set (a tokenizer other than "word"; the
 *      vocabulary entries above are then its token pieces, for show) --
 *            4          length K, uint32
 *            K          the tokenizer's metadata as a JSON object
 *                       (formats/tokenizer_meta.h), from which it is rebuilt
 *   --
 *   W        4 P        weights: P = model_param_count(config) floats, the
 *                       one parameter buffer in model_tensor_info() order
 *   -- only when flags bit 0 is set --
 *   W+4P     8          step, uint64: Adam steps taken
 *            4          stage, uint32
 *            4          epoch, uint32
 *            8          rng_state, uint64: the shuffling generator
 *            4 P        adam_m floats: Adam's first moment, same layout
 *            4 P        adam_v floats: Adam's second moment
 *   --
 *   end-4    4          CRC-32 (util.h's crc32_update) of every byte before it
 *
 * So a file is 36 + sum(4 + len(word)) + 4P (+ 24 + 8P) + 4 bytes long, and
 * the reader checks exactly that before it allocates anything: the header
 * first, then each vocabulary length against the bytes left, then the
 * weights and optimizer sizes computed from the (validated) config against
 * the bytes left, then the total against the file's length, then the
 * checksum. A header claiming a model of 50 GB in a file of 1 KB is
 * rejected by arithmetic, not by a failed malloc.
 *
 * Fuzz builds (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the libFuzzer
 * convention) do not enforce the checksum, so that the fuzzer can reach the
 * code behind it; everything else is checked as usual.
 */
#include "formats/modelfile.h"
#include "formats/modelfile_internal.h"
#include "formats/tokenizer_meta.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

enum {
    BIN_HEADER_BYTES = 36,           /* magic, version, flags, config      */
    BIN_OPTIMIZER_HEAD_BYTES = 24,   /* step, stage, epoch, rng_state      */
    BIN_FLAG_OPTIMIZER = 1,
    BIN_FLAG_TOKENIZER = 2,
    BIN_FLAG_GPT2 = 4,
    BIN_FLAG_LOWERCASE = 8,
};

static const char bin_magic[4] = { 'R', 'G', 'P', 'T' };

/* ---- reading the layout ------------------------------------------------ */

/* The bytes being read: the whole file in memory (loading), or a stream
 * read front to back (`rustgpt info`, which does not load the weights). */
typedef struct {
    const unsigned char *bytes;
    FILE *fp;
    size_t len;              /* the file's length */
    size_t pos;              /* bytes consumed    */
    const char *name;
} Source;

/* Where each section of a checked file starts. */
typedef struct {
    uint32_t version, flags;
    ModelConfig config;
    size_t vocab_offset;
    size_t tokenizer_offset;     /* the JSON text; 0 when the file has none */
    size_t tokenizer_len;
    size_t weights_offset;
    size_t n_params;
    size_t optimizer_offset;     /* 0 when the file has none */
    size_t checksum_offset;      /* the file's length - 4    */
} BinLayout;

static int truncated(const Source *s, size_t wanted, const char *what)
{
    char want[32], have[32];
    return fail("%s: truncated: expected %s bytes of %s, found %s", s->name,
                with_commas(want, wanted), what, with_commas(have, s->len - s->pos));
}

/* Check that n more bytes exist and step over them without reading. */
static int need(Source *s, size_t n, const char *what)
{
    if (n > s->len - s->pos) return truncated(s, n, what);
    s->pos += n;
    return 0;
}

/* Check that n more bytes exist and copy them to dst (or skip them when dst
 * is NULL). */
static int take(Source *s, void *dst, size_t n, const char *what)
{
    if (n > s->len - s->pos) return truncated(s, n, what);
    if (s->bytes) {
        if (dst) memcpy(dst, s->bytes + s->pos, n);
    } else {
        unsigned char scratch[4096];
        for (size_t done = 0; done < n;) {
            size_t k = n - done < sizeof scratch ? n - done : sizeof scratch;
            unsigned char *to = dst ? (unsigned char *)dst + done : scratch;
            if (fread(to, 1, k, s->fp) != k) return fail("%s: read error", s->name);
            done += k;
        }
    }
    s->pos += n;
    return 0;
}

static int parse_config(const unsigned char *p, ModelConfig *c, const char *name)
{
    static const char *const fields[6] = { "vocab_size", "d_model", "n_heads",
                                           "d_hidden", "n_layers", "seq_len" };
    int values[6];
    for (int i = 0; i < 6; i++) {
        uint32_t v = get_u32(p + 4 * i);
        if (v > INT_MAX) return fail("%s: %s %u is out of range", name, fields[i], (unsigned)v);
        values[i] = (int)v;
    }
    *c = (ModelConfig){ .vocab_size = values[0], .d_model = values[1], .n_heads = values[2],
                        .d_hidden = values[3], .n_layers = values[4], .seq_len = values[5] };
    if (config_validate(c) != 0) return fail_in_file(name);
    return 0;
}

/* Read and check the header and the vocabulary, and check that the rest of
 * the file has exactly the size they imply. */
static int parse_layout(Source *s, BinLayout *lay)
{
    memset(lay, 0, sizeof *lay);
    if (s->len == 0) return fail("%s: empty file", s->name);
    unsigned char header[BIN_HEADER_BYTES];
    size_t magic_len = s->len < 4 ? s->len : 4;
    if (take(s, header, magic_len, "magic") != 0) return -1;
    if (memcmp(header, bin_magic, magic_len) != 0)
        return fail("%s: not a rustgpt .bin model (wrong magic bytes)", s->name);
    s->pos = 0;
    if (!s->bytes) rewind(s->fp);
    if (take(s, header, BIN_HEADER_BYTES, "header") != 0) return -1;

    lay->version = get_u32(header + 4);
    if (lay->version > MODELFILE_VERSION)
        return fail("%s: format version %u is newer than this rustgpt reads (%d)", s->name,
                    (unsigned)lay->version, MODELFILE_VERSION);
    if (lay->version != MODELFILE_VERSION)
        return fail("%s: unsupported format version %u", s->name, (unsigned)lay->version);
    lay->flags = get_u32(header + 8);
    if (lay->flags & ~(uint32_t)(BIN_FLAG_OPTIMIZER | BIN_FLAG_TOKENIZER | BIN_FLAG_GPT2 | BIN_FLAG_LOWERCASE))
        return fail("%s: unknown flags 0x%x in the header", s->name, (unsigned)lay->flags);
    if ((lay->flags & BIN_FLAG_LOWERCASE) && (lay->flags & BIN_FLAG_TOKENIZER))
        return fail("%s: flags 0x%x: a lowercase vocabulary is the word tokenizer's, and the file has another",
                    s->name, (unsigned)lay->flags);
    if (parse_config(header + 12, &lay->config, s->name) != 0) return -1;
    if (lay->flags & BIN_FLAG_GPT2) lay->config.variant = GPT_GPT2;

    lay->vocab_offset = s->pos;
    for (int i = 0; i < lay->config.vocab_size; i++) {
        char what[64];
        unsigned char length_bytes[4];
        snprintf(what, sizeof what, "vocabulary entry %d's length", i);
        if (take(s, length_bytes, 4, what) != 0) return -1;
        uint32_t length = get_u32(length_bytes);
        if (length == 0) return fail("%s: vocabulary entry %d is empty", s->name, i);
        snprintf(what, sizeof what, "vocabulary entry %d", i);
        if (take(s, NULL, length, what) != 0) return -1;
    }

    if (lay->flags & BIN_FLAG_TOKENIZER) {
        unsigned char length_bytes[4];
        if (take(s, length_bytes, 4, "the tokenizer section's length") != 0) return -1;
        lay->tokenizer_len = get_u32(length_bytes);
        lay->tokenizer_offset = s->pos;
        if (need(s, lay->tokenizer_len, "tokenizer section") != 0) return -1;
    }
    lay->weights_offset = s->pos;
    if (param_count_checked(&lay->config, &lay->n_params, s->name) != 0) return -1;
    if (need(s, 4 * lay->n_params, "weights") != 0) return -1;
    if (lay->flags & BIN_FLAG_OPTIMIZER) {
        lay->optimizer_offset = s->pos;
        if (need(s, BIN_OPTIMIZER_HEAD_BYTES + 8 * lay->n_params, "optimizer state") != 0)
            return -1;
    }
    if (need(s, 4, "checksum") != 0) return -1;
    if (s->pos != s->len) {
        char extra[32], want[32];
        return fail("%s: %s unexpected bytes after the checksum (the file should be %s bytes)",
                    s->name, with_commas(extra, s->len - s->pos), with_commas(want, s->pos));
    }
    lay->checksum_offset = s->len - 4;
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

/* Copy the vocabulary out of the file into NUL-terminated words and build
 * the model around them. */
static int assemble_model(Model *m, const BinLayout *lay, const unsigned char *bytes,
                          const char *name)
{
    int n = lay->config.vocab_size;
    if (lay->tokenizer_offset) {               /* the tokenizer is rebuilt from its metadata */
        memset(m, 0, sizeof *m);
        rg_tokenizer *tok;
        if (tokenizer_meta_from_json((const char *)bytes + lay->tokenizer_offset, lay->tokenizer_len, name, &tok) != 0)
            return -1;
        if (rg_tokenizer_n_vocab(tok) != n) {
            fail("%s: the %s tokenizer has %d tokens but vocab_size is %d", name, rg_tokenizer_kind(tok),
                 rg_tokenizer_n_vocab(tok), n);
            rg_tokenizer_free(tok);
            return -1;
        }
        if (model_create(m, &lay->config) != 0) {
            rg_tokenizer_free(tok);
            return fail_in_file(name);
        }
        m->tokenizer = tok;
        return 0;
    }
    size_t text_bytes = lay->weights_offset - lay->vocab_offset; /* lengths + words */
    const char **words = xmalloc((size_t)n, sizeof *words);
    char *text = xmalloc(text_bytes, 1);     /* each 4-byte length becomes a NUL */
    int rc = -1;
    if (!words || !text) goto done;
    const unsigned char *p = bytes + lay->vocab_offset;
    char *to = text;
    for (int i = 0; i < n; i++) {
        uint32_t length = get_u32(p);
        p += 4;
        if (memchr(p, '\0', length)) {
            fail("%s: vocabulary entry %d contains a NUL byte", name, i);
            goto done;
        }
        memcpy(to, p, length);
        to[length] = '\0';
        words[i] = to;
        to += length + 1;
        p += length;
    }
    rc = model_assemble(m, &lay->config, words, n, name);
    if (rc == 0) m->vocab.lowercase = (lay->flags & BIN_FLAG_LOWERCASE) != 0;
done:
    free(words);
    free(text);
    return rc;
}

static int read_optimizer(OptimizerState *opt, const BinLayout *lay, const unsigned char *bytes)
{
    const unsigned char *p = bytes + lay->optimizer_offset;
    opt->step = get_u64(p);
    opt->stage = get_u32(p + 8);
    opt->epoch = get_u32(p + 12);
    opt->rng_state = get_u64(p + 16);
    opt->adam_m = xmalloc(lay->n_params, sizeof(float));
    opt->adam_v = xmalloc(lay->n_params, sizeof(float));
    if (!opt->adam_m || !opt->adam_v) {
        free(opt->adam_m);
        free(opt->adam_v);
        memset(opt, 0, sizeof *opt);
        return -1;
    }
    p += BIN_OPTIMIZER_HEAD_BYTES;
    floats_from_le(opt->adam_m, p, lay->n_params);
    floats_from_le(opt->adam_v, p + 4 * lay->n_params, lay->n_params);
    return 0;
}

int model_load_bin_buffer(Model *m, OptimizerState *opt, const char *name,
                          const unsigned char *bytes, size_t len)
{
    memset(m, 0, sizeof *m);
    if (opt) memset(opt, 0, sizeof *opt);
    Source s = { .bytes = bytes, .len = len, .name = name };
    BinLayout lay;
    if (parse_layout(&s, &lay) != 0) return -1;
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (crc32_update(0, bytes, lay.checksum_offset) != get_u32(bytes + lay.checksum_offset))
        return fail("%s: checksum mismatch (file corrupted)", name);
#endif
    if (opt && !lay.optimizer_offset)
        return fail("%s: has no optimizer state (it is a model, not a training checkpoint)", name);
    if (assemble_model(m, &lay, bytes, name) != 0) return -1;
    floats_from_le(m->params, bytes + lay.weights_offset, m->n_params);
    if (opt && read_optimizer(opt, &lay, bytes) != 0) {
        model_free(m);
        return fail_in_file(name);
    }
    return 0;
}

/* ---- info -------------------------------------------------------------- */

/* CRC-32 of the first n bytes of fp, read in chunks. */
static int stream_crc(FILE *fp, size_t n, uint32_t *crc, const char *path)
{
    unsigned char chunk[1 << 16];
    *crc = 0;
    rewind(fp);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
        if (fread(chunk, 1, k, fp) != k) return fail("%s: read error", path);
        *crc = crc32_update(*crc, chunk, k);
        done += k;
    }
    return 0;
}

static int read_at(FILE *fp, size_t offset, unsigned char *dst, size_t n, const char *path)
{
    if (fseeko(fp, (off_t)offset, SEEK_SET) != 0 || fread(dst, 1, n, fp) != n)
        return fail("%s: read error", path);
    return 0;
}

int bin_summary(const char *path, ModelFileSummary *sum)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return fail("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = -1;
    if (fstat(fileno(fp), &st) != 0) {
        fail("%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    Source s = { .fp = fp, .len = (size_t)st.st_size, .name = path };
    BinLayout lay;
    if (parse_layout(&s, &lay) != 0) goto done;
    *sum = (ModelFileSummary){ .format = "bin", .version = lay.version, .config = lay.config,
                               .vocab_words = lay.config.vocab_size, .n_params = lay.n_params,
                               .vocab_lowercase = (lay.flags & BIN_FLAG_LOWERCASE) != 0 };
    if (lay.optimizer_offset) {
        unsigned char head[BIN_OPTIMIZER_HEAD_BYTES];
        if (read_at(fp, lay.optimizer_offset, head, sizeof head, path) != 0) goto done;
        sum->has_optimizer = 1;
        sum->step = get_u64(head);
        sum->stage = get_u32(head + 8);
        sum->epoch = get_u32(head + 12);
    }
    unsigned char stored[4];
    uint32_t crc;
    if (read_at(fp, lay.checksum_offset, stored, 4, path) != 0) goto done;
    if (stream_crc(fp, lay.checksum_offset, &crc, path) != 0) goto done;
    sum->checksum = crc == get_u32(stored) ? "ok" : "MISMATCH";
    rc = 0;
done:
    fclose(fp);
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

typedef struct {
    FILE *fp;
    uint32_t crc;
    int failed;
} BinWriter;

static void emit(BinWriter *w, const void *bytes, size_t n)
{
    w->crc = crc32_update(w->crc, bytes, n);
    if (fwrite(bytes, 1, n, w->fp) != n) w->failed = 1;
}

static void emit_u32(BinWriter *w, uint32_t v)
{
    unsigned char bytes[4];
    put_u32(bytes, v);
    emit(w, bytes, 4);
}

/* The vocabulary section as the tokenizer's pieces (an empty piece or one
 * with a NUL is shown as "?"), then the tokenizer section. */
static int bin_write_tokenizer(const Model *m, BinWriter *w, const char *path)
{
    for (int i = 0; i < m->config.vocab_size; i++) {
        size_t length = 0;
        const char *piece = rg_token_piece(m->tokenizer, i, &length);
        if (!piece || length == 0 || length > UINT32_MAX || memchr(piece, '\0', length)) { piece = "?"; length = 1; }
        emit_u32(w, (uint32_t)length);
        emit(w, piece, length);
    }
    size_t len;
    char *json = tokenizer_meta_to_json(m->tokenizer, &len);
    if (!json) return fail_in_file(path);
    if (len > UINT32_MAX) {
        free(json);
        return fail("%s: the tokenizer's metadata is too large for a .bin file", path);
    }
    emit_u32(w, (uint32_t)len);
    emit(w, json, len);
    free(json);
    return 0;
}

static int bin_write_rest(const Model *m, const OptimizerState *opt, BinWriter *w, const char *path);

int bin_write(const Model *m, const OptimizerState *opt, FILE *fp, const char *path)
{
    const ModelConfig *c = &m->config;
    BinWriter w = { .fp = fp };
    unsigned char header[BIN_HEADER_BYTES];
    memcpy(header, bin_magic, 4);
    put_u32(header + 4, MODELFILE_VERSION);
    put_u32(header + 8, (opt ? BIN_FLAG_OPTIMIZER : 0) | (m->tokenizer ? BIN_FLAG_TOKENIZER : 0) |
                            (c->variant == GPT_GPT2 ? BIN_FLAG_GPT2 : 0) |
                            (m->vocab.lowercase ? BIN_FLAG_LOWERCASE : 0));
    const int fields[6] = { c->vocab_size, c->d_model, c->n_heads,
                            c->d_hidden, c->n_layers, c->seq_len };
    for (int i = 0; i < 6; i++) put_u32(header + 12 + 4 * i, (uint32_t)fields[i]);
    emit(&w, header, sizeof header);

    if (m->tokenizer) return bin_write_tokenizer(m, &w, path) == 0 ? bin_write_rest(m, opt, &w, path) : -1;
    for (int i = 0; i < m->vocab.size; i++) {
        size_t length = strlen(m->vocab.words[i]);
        if (length == 0 || length > UINT32_MAX)
            return fail("%s: vocabulary entry %d cannot be saved", path, i);
        unsigned char length_bytes[4];
        put_u32(length_bytes, (uint32_t)length);
        emit(&w, length_bytes, 4);
        emit(&w, m->vocab.words[i], length);
    }
    return bin_write_rest(m, opt, &w, path);
}

static int bin_write_rest(const Model *m, const OptimizerState *opt, BinWriter *wp, const char *path)
{
    BinWriter w = *wp;
    FILE *fp = w.fp;
    if (write_floats_le(fp, m->params, m->n_params, &w.crc, path) != 0) return -1;

    if (opt) {
        unsigned char head[BIN_OPTIMIZER_HEAD_BYTES];
        put_u64(head, opt->step);
        put_u32(head + 8, opt->stage);
        put_u32(head + 12, opt->epoch);
        put_u64(head + 16, opt->rng_state);
        emit(&w, head, sizeof head);
        if (write_floats_le(fp, opt->adam_m, m->n_params, &w.crc, path) != 0) return -1;
        if (write_floats_le(fp, opt->adam_v, m->n_params, &w.crc, path) != 0) return -1;
    }
    unsigned char crc_bytes[4];
    put_u32(crc_bytes, w.crc);
    if (fwrite(crc_bytes, 1, 4, fp) != 4) w.failed = 1;
    if (w.failed) return fail("%s: write failed: %s", path, strerror(errno ? errno : EIO));
    return 0;
}
