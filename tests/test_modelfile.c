/*
 * test_modelfile.c — the model files (src/modelfile*.c) when all goes well:
 * round trips that keep every bit, conversions between formats, atomic saves
 * that keep the previous file, checkpoints, `rustgpt info`. The bad files
 * are test_modelfile_corrupt.c's.
 */
#include "modelfile_fixture.h"

static void test_format_follows_extension(void)
{
    CHECK(model_format_of("models/x.bin") == FORMAT_BIN);
    CHECK(model_format_of("x.JSON") == FORMAT_JSON);
    CHECK(model_format_of("a/b.safetensors") == FORMAT_SAFETENSORS);
    CHECK(model_format_of("x.txt") == FORMAT_UNKNOWN);
    CHECK(model_format_of(".bin") == FORMAT_UNKNOWN);
    Model m;
    tiny_model(&m, 0);
    CHECK(model_save(&m, tmp_path("model.pt")) == -1);
    CHECK(strstr(last_error(), "model.pt: unknown model format; use .bin, .json or .safetensors"));
    model_free(&m);
}

static void round_trip(const char *ext, int special)
{
    Model m, back;
    char name[64];
    tiny_model(&m, special);
    snprintf(name, sizeof name, "round.%s", ext);
    CHECK(model_save(&m, tmp_path(name)) == 0);
    CHECK(model_load(&back, tmp_path(name)) == 0);
    CHECK(same_bits(&m, &back));
    CHECK(back.w.head_b == back.params + back.n_params - 7);   /* views mapped */
    model_free(&back);
    model_free(&m);
}

static void test_bin_round_trip_keeps_every_bit(void) { round_trip("bin", 2); }
static void test_json_round_trip_keeps_every_bit(void) { round_trip("json", 1); }
static void test_safetensors_round_trip_keeps_every_bit(void) { round_trip("safetensors", 2); }

static void test_json_floats_read_back_exactly(void)
{
    /* "%.9g" then strtof is the identity on every float we try */
    Rng rng;
    rng_seed(&rng, 1);
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = rng_u32(&rng);
        float f;
        memcpy(&f, &bits, 4);
        if (!isfinite(f)) continue;
        char text[32];
        snprintf(text, sizeof text, "%.9g", (double)f);
        float back = (float)strtod(text, NULL);
        bad += memcmp(&f, &back, 4) != 0;
    }
    CHECK(bad == 0);
}

static void test_conversions_between_every_pair_keep_every_bit(void)
{
    Model original;
    tiny_model(&original, 1);
    CHECK(model_save(&original, tmp_path("chain0.bin")) == 0);
    /* bin -> json -> safetensors -> bin -> safetensors -> json -> bin: every
     * ordered pair of formats appears once */
    const char *chain[] = { "bin", "json", "safetensors", "bin", "safetensors", "json", "bin" };
    char from[64] = "chain0.bin";
    for (int i = 1; i < 7; i++) {
        Model m;
        char to[64];
        snprintf(to, sizeof to, "chain%d.%s", i, chain[i]);
        CHECK(model_load(&m, tmp_path(from)) == 0);
        CHECK(same_bits(&original, &m));
        CHECK(model_save(&m, tmp_path(to)) == 0);
        model_free(&m);
        snprintf(from, sizeof from, "%s", to);
    }
    Model last;
    CHECK(model_load(&last, tmp_path(from)) == 0);
    CHECK(same_bits(&original, &last));
    model_free(&last);
    model_free(&original);
}

static void test_json_refuses_to_save_nan(void)
{
    Model m;
    tiny_model(&m, 0);
    m.w.blocks[0].ln2_b[1] = NAN;
    CHECK(model_save(&m, tmp_path("nan.json")) == -1);
    CHECK(strstr(last_error(), "nan.json: tensor blocks.0.ln2.bias element 1 is NaN"));
    CHECK(access(tmp_path("nan.json"), F_OK) != 0);
    model_free(&m);
}

/* ---- damaged files ----------------------------------------------------- */

static int temp_files_left(void)
{
    DIR *dir = opendir(tmp_dir);
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) count += strstr(e->d_name, ".tmp.") != NULL;
    closedir(dir);
    return count;
}

static void test_failed_save_keeps_the_previous_file(void)
{
    Model first, second, back;
    tiny_model(&first, 0);
    tiny_model(&second, 0);
    second.params[10] = 123.0f;
    const char *path = tmp_path("keep.bin");
    CHECK(model_save(&first, path) == 0);
    CHECK(model_save(&second, path) == 0);     /* saving over a file replaces it */
    CHECK(model_load(&back, path) == 0 && back.params[10] == 123.0f);
    model_free(&back);

    /* a save that fails half-way (the file size limit stops the write):
     * the complete previous file is still there, and no temporary file */
    struct rlimit old_limit, small = { 600, 600 };
    getrlimit(RLIMIT_FSIZE, &old_limit);
    small.rlim_max = old_limit.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    int rc = model_save(&first, path);
    setrlimit(RLIMIT_FSIZE, &old_limit);
    CHECK(rc == -1);
    CHECK(strstr(last_error(), "keep.bin: write failed"));
    CHECK(model_load(&back, path) == 0 && same_bits(&back, &second));
    model_free(&back);
    CHECK(temp_files_left() == 0);

    /* saves that cannot even start: a directory that is a regular file, and
     * one under /proc */
    CHECK(model_save(&first, tmp_path("keep.bin/inner.bin")) == -1);
    CHECK(strstr(last_error(), "keep.bin/inner.bin"));
    CHECK(model_save(&first, "/proc/rustgpt-no-such-dir/m.json") == -1);
    CHECK(model_load(&back, path) == 0 && same_bits(&back, &second));
    model_free(&back);
    model_free(&first);
    model_free(&second);
}

/* ---- checkpoints ------------------------------------------------------- */

static void make_optimizer(OptimizerState *opt, size_t n)
{
    opt->step = 0x123456789ull;
    opt->stage = 1;
    opt->epoch = 42;
    opt->rng_state = 0xfedcba9876543210ull;
    opt->adam_m = malloc(n * sizeof(float));
    opt->adam_v = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        opt->adam_m[i] = (float)i * 0.001f - 0.1f;
        opt->adam_v[i] = (float)(i * i) * 1e-7f;
    }
}

static void test_checkpoint_round_trip_keeps_optimizer_state(void)
{
    Model m, back;
    OptimizerState opt, opt_back;
    tiny_model(&m, 2);
    make_optimizer(&opt, m.n_params);
    CHECK(checkpoint_save(&m, &opt, tmp_path("ckpt.bin")) == 0);
    CHECK(checkpoint_load(&back, &opt_back, tmp_path("ckpt.bin")) == 0);
    CHECK(same_bits(&m, &back));
    CHECK(opt_back.step == opt.step && opt_back.stage == 1 && opt_back.epoch == 42);
    CHECK(opt_back.rng_state == opt.rng_state);
    CHECK(memcmp(opt.adam_m, opt_back.adam_m, m.n_params * 4) == 0);
    CHECK(memcmp(opt.adam_v, opt_back.adam_v, m.n_params * 4) == 0);
    model_free(&back);
    free(opt_back.adam_m);
    free(opt_back.adam_v);

    /* model_load reads the model part of a checkpoint */
    CHECK(model_load(&back, tmp_path("ckpt.bin")) == 0);
    CHECK(same_bits(&m, &back));
    model_free(&back);

    /* a plain model is not a checkpoint; a checkpoint is always a .bin */
    CHECK(model_save(&m, tmp_path("plain.bin")) == 0);
    CHECK(checkpoint_load(&back, &opt_back, tmp_path("plain.bin")) == -1);
    CHECK(strstr(last_error(), "plain.bin: has no optimizer state"));
    CHECK(is_zeroed(&back) && opt_back.adam_m == NULL);
    CHECK(checkpoint_save(&m, &opt, tmp_path("ckpt.json")) == -1);
    CHECK(strstr(last_error(), "ckpt.json: a training checkpoint must be a .bin file"));

    /* every truncation of a checkpoint is rejected too */
    size_t len;
    unsigned char *bytes = slurp(tmp_path("ckpt.bin"), &len);
    int accepted = 0;
    for (size_t k = 0; k < len; k += 7) {
        unsigned char *copy = malloc(k + 1);
        memcpy(copy, bytes, k);
        if (model_load_bin_buffer(&back, &opt_back, "c.bin", copy, k) == 0) accepted++;
        free(copy);
    }
    CHECK(accepted == 0);
    free(bytes);
    free(opt.adam_m);
    free(opt.adam_v);
    model_free(&m);
}

/* ---- info -------------------------------------------------------------- */

static char *info_of(const char *path, int *rc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    *rc = model_file_info(path, out);
    fclose(out);
    return text;
}

static void test_info_describes_every_format(void)
{
    Model m;
    OptimizerState opt;
    tiny_model(&m, 0);
    make_optimizer(&opt, m.n_params);
    for (int f = 0; f < 3; f++) {
        char name[64];
        snprintf(name, sizeof name, "info.%s", formats[f]);
        CHECK(model_save(&m, tmp_path(name)) == 0);
        int rc;
        char *text = info_of(tmp_path(name), &rc);
        char want[64];
        snprintf(want, sizeof want, "format: %s\n", formats[f]);
        CHECK(rc == 0);
        CHECK(strstr(text, want));
        CHECK(strstr(text, "version: 1\n"));
        CHECK(strstr(text, "vocab_size: 7\nd_model: 4\nn_heads: 2\nd_hidden: 8\n"
                           "n_layers: 1\nseq_len: 4\n"));
        CHECK(strstr(text, "vocabulary: 7 words\n"));
        CHECK(strstr(text, "parameters: 259\n"));
        CHECK(strstr(text, f == 0 ? "checksum: ok\n" : "checksum: n/a"));
        CHECK(strstr(text, "optimizer state: no\n"));
        struct stat st;
        stat(tmp_path(name), &st);
        char digits[32], size_line[64];
        snprintf(size_line, sizeof size_line, "file size: %s bytes\n",
                 with_commas(digits, (unsigned long long)st.st_size));
        CHECK(strstr(text, size_line));
        free(text);
    }
    CHECK(checkpoint_save(&m, &opt, tmp_path("info_ckpt.bin")) == 0);
    int rc;
    char *text = info_of(tmp_path("info_ckpt.bin"), &rc);
    CHECK(rc == 0);
    CHECK(strstr(text, "optimizer state: yes (step 4,886,718,345, stage 1, epoch 42)\n"));
    free(text);

    /* a flipped weight byte: info still describes the file, says MISMATCH */
    size_t len;
    unsigned char *bytes = slurp(tmp_path("info.bin"), &len);
    bytes[len - 100] ^= 1;
    write_bytes(tmp_path("info_bad.bin"), bytes, len);
    text = info_of(tmp_path("info_bad.bin"), &rc);
    CHECK(rc == 0 && strstr(text, "checksum: MISMATCH\n"));
    free(text);
    /* a truncated one is an error */
    write_bytes(tmp_path("info_cut.bin"), bytes, len / 2);
    text = info_of(tmp_path("info_cut.bin"), &rc);
    CHECK(rc == -1 && strstr(last_error(), "info_cut.bin: truncated"));
    free(text);
    text = info_of(tmp_path("missing.bin"), &rc);
    CHECK(rc == -1 && strstr(last_error(), "missing.bin: cannot open"));
    free(text);
    free(bytes);
    free(opt.adam_m);
    free(opt.adam_v);
    model_free(&m);
}

static void test_load_goes_by_content_before_extension(void)
{
    Model m, back;
    tiny_model(&m, 0);
    CHECK(model_save(&m, tmp_path("really_json.json")) == 0);
    CHECK(rename(tmp_path("really_json.json"), tmp_path("misnamed.bin")) == 0);
    CHECK(model_load(&back, tmp_path("misnamed.bin")) == 0 && same_bits(&m, &back));
    model_free(&back);
    CHECK(model_save(&m, tmp_path("noext.safetensors")) == 0);
    CHECK(rename(tmp_path("noext.safetensors"), tmp_path("noext")) == 0);
    CHECK(model_load(&back, tmp_path("noext")) == 0 && same_bits(&m, &back));
    model_free(&back);
    write_bytes(tmp_path("garbage.txt"), "hello", 5);
    CHECK(model_load(&back, tmp_path("garbage.txt")) == -1);
    CHECK(strstr(last_error(), "garbage.txt: unknown model format"));
    model_free(&m);
}

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/rustgpt-test-modelfile-XXXXXX");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_format_follows_extension);
    RUN(test_bin_round_trip_keeps_every_bit);
    RUN(test_json_round_trip_keeps_every_bit);
    RUN(test_safetensors_round_trip_keeps_every_bit);
    RUN(test_json_floats_read_back_exactly);
    RUN(test_conversions_between_every_pair_keep_every_bit);
    RUN(test_json_refuses_to_save_nan);
    RUN(test_failed_save_keeps_the_previous_file);
    RUN(test_checkpoint_round_trip_keeps_optimizer_state);
    RUN(test_info_describes_every_format);
    RUN(test_load_goes_by_content_before_extension);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
    if (system(command) != 0) printf("    could not remove %s\n", tmp_dir);
    TESTS_DONE();
}
