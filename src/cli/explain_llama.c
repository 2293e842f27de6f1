/*
 * explain_llama.c — the sections of `rustgpt explain` about the Llama block
 * (docs/15-llama-block.md): RMSNorm, rotary position embeddings, SwiGLU and
 * what grouped-query attention saves in the KV cache. Each computes its
 * numbers with the very functions the GGUF decoders run
 * (archs/decoder_ops.c), on small hand-picked vectors.
 */
#include "cli/explain.h"
#include "archs/decoder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void show_rmsnorm(Explain *e)
{
    (void)e;
    const float x[4] = { 1.0f, -2.0f, 3.0f, -4.0f }, w[4] = { 1.0f, 1.0f, 1.0f, 0.5f };
    const float ones[4] = { 1, 1, 1, 1 };
    float rms_out[4], ln_out[4];
    float mean_sq = (1 + 4 + 9 + 16) / 4.0f;
    rmsnorm_row(rms_out, x, w, 4, 1e-5f);
    layernorm_row(ln_out, x, ones, NULL, 4, 1e-5f);
    print_row("x", x, 4);
    print_row("weight", w, 4);
    printf("mean(x^2) = %.4f   rms = sqrt(mean(x^2) + 1e-5) = %.4f\n", mean_sq, sqrtf(mean_sq + 1e-5f));
    print_row("rmsnorm(x) * w", rms_out, 4);
    print_row("layernorm(x)", ln_out, 4);
    printf("RMSNorm keeps the mean (%.4f here) in; LayerNorm removes it first.\n", (1 - 2 + 3 - 4) / 4.0f);
}

static void print_pairs(const char *label, const float *v, int n)
{
    printf("%-22s", label);
    for (int i = 0; i < n; i++) printf("%s%8.4f", i && i % 2 == 0 ? "  |" : "", v[i]);
    printf("\n");
}

void show_rope(Explain *e)
{
    (void)e;
    enum { DIM = 8 };
    const float base = 10000.0f;
    printf("head width 8, all 8 dims rotated, base %.0f: pair i turns by pos * base^(-2i/8)\n", base);
    printf("pair i         ");
    for (int i = 0; i < DIM / 2; i++) printf("%12d", i);
    printf("\nangle per pos  ");
    for (int i = 0; i < DIM / 2; i++) printf("%12.6f", powf(base, -2.0f * i / DIM));
    printf("\n\n");
    const float q[DIM] = { 1, 0, 1, 0, 1, 0, 1, 0 };
    float v[DIM];
    for (int pos = 0; pos <= 2; pos++) {
        memcpy(v, q, sizeof v);
        rope_apply(v, DIM, 0, pos, base, 1.0f, NULL);
        char label[32];
        snprintf(label, sizeof label, "rope(q, pos %d)", pos);
        print_pairs(label, v, DIM);
    }
    printf("(q = 1 0 | 1 0 | 1 0 | 1 0: pair i becomes cos, sin of its angle;\n"
           " the first pair turns fast, the last barely moves)\n\n");

    /* relative position: q at m against k at n depends on m - n only */
    const float qv[DIM] = { 0.3f, -1.0f, 2.0f, 0.5f, 1.0f, -0.7f, 0.2f, 0.9f };
    const float kv[DIM] = { 1.0f, 0.4f, -0.3f, 2.0f, 0.1f, 1.0f, -1.0f, 0.6f };
    const int positions[3][2] = { { 5, 2 }, { 13, 10 }, { 5, 4 } };
    for (int neox = 0; neox < 2; neox++) {
        printf("%s layout (%s):\n", neox ? "neox" : "normal",
               neox ? "pairs (i, i+4), qwen2" : "pairs (2i, 2i+1), llama");
        for (int c = 0; c < 3; c++) {
            float a[DIM], b[DIM];
            memcpy(a, qv, sizeof a);
            memcpy(b, kv, sizeof b);
            rope_apply(a, DIM, neox, positions[c][0], base, 1.0f, NULL);
            rope_apply(b, DIM, neox, positions[c][1], base, 1.0f, NULL);
            float dot = 0.0f;
            for (int i = 0; i < DIM; i++) dot += a[i] * b[i];
            printf("  q at %2d . k at %2d = %8.4f   (distance %d)\n", positions[c][0], positions[c][1], dot,
                   positions[c][0] - positions[c][1]);
        }
    }
}

void show_swiglu(Explain *e)
{
    (void)e;
    const float gate[6] = { -3.0f, -1.0f, -0.25f, 0.0f, 1.0f, 3.0f };
    const float up[6] = { 1, 1, 1, 1, 1, 1 };
    float silu[6], gelu[6];
    memcpy(silu, gate, sizeof silu);
    swiglu(silu, up, 6);
    memcpy(gelu, gate, sizeof gelu);
    gelu_tanh(gelu, 6);
    print_row("x", gate, 6);
    print_row("silu(x)", silu, 6);
    print_row("gelu(x) (gpt2)", gelu, 6);
    const float up2[6] = { 2.0f, -1.0f, 0.5f, 3.0f, 0.5f, -2.0f };
    float gated[6];
    memcpy(gated, gate, sizeof gated);
    swiglu(gated, up2, 6);
    print_row("up = x Wu", up2, 6);
    print_row("silu(gate) * up", gated, 6);
}

void show_gqa(Explain *e)
{
    (void)e;
    static const struct { const char *name; int layers, heads, kv_heads, head_dim; } models[] = {
        { "Llama 2 7B (MHA)", 32, 32, 32, 128 },
        { "Llama 3 8B (GQA)", 32, 32, 8, 128 },
        { "Qwen2 0.5B (GQA)", 24, 14, 2, 64 },
        { "1 kv head (MQA)", 32, 32, 1, 128 },
    };
    printf("KV cache = 2 (K and V) x layers x kv_heads x head_dim x 2 bytes (F16) per token\n\n");
    printf("%-20s %6s %6s %8s %14s %16s\n", "model", "layers", "heads", "kv heads", "bytes/token",
           "8192 tokens");
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        double per_token = 2.0 * models[i].layers * models[i].kv_heads * models[i].head_dim * 2.0;
        printf("%-20s %6d %6d %8d %14.0f %12.2f GiB\n", models[i].name, models[i].layers, models[i].heads,
               models[i].kv_heads, per_token, per_token * 8192 / (1024.0 * 1024 * 1024));
    }
    printf("\nEach group of heads / kv_heads query heads reads one shared key/value head:\n");
    for (int hh = 0; hh < 8; hh++) printf("  query head %d -> kv head %d (8 heads, 2 kv heads)\n", hh, hh / 4);
}
