/*
 * bert_forward.c — the BERT encoder's forward pass: token ids of a batch of
 * texts → hidden states (the model is loaded by bert.c; bert_model.h).
 *
 * The model, sizes V vocabulary, d width, h heads (dh = d/h), H FFN width,
 * L layers, T positions:
 *
 *   x = LN_emb( tok_emb[id_t] + type_emb[0] + pos_emb[t] )   every token, type 0
 *   for each layer (post-LayerNorm, as the original BERT):
 *       q, k, v = x Wqᵀ + bq,  x Wkᵀ + bk,  x Wvᵀ + bv        [n, d] each
 *       a = softmax( q kᵀ / sqrt(dh) ) v   per head, NO causal mask: every
 *           token sees every token of its own text, none of the others
 *       x = LN_attn( x + a Woᵀ + bo )
 *       x = LN_out ( x + gelu( x Wupᵀ + bup ) Wdownᵀ + bdown )
 *   hidden = x                                               no final norm
 *
 * nomic-bert changes three things (bert_model.h), as llama.cpp's graph:
 * no pos_emb; q and k of each head turned by rotary positions (the neox
 * pairing of rope_apply() in archs/decoder_ops.c) at each token's place in its
 * text; and the FFN  x Wdownᵀ of  silu(x Wgateᵀ) ⊙ (x Wupᵀ)  (SwiGLU);
 * its products have no biases.
 *
 * LayerNorm uses the file's bert.attention.layer_norm_epsilon (1e-12 in
 * BERT). GELU is the tanh approximation, because that is what llama.cpp's
 * bert graph computes (ggml_gelu), and matching llama.cpp's numbers is the
 * point; the erf form differs from it by less than 1e-3 per activation.
 *
 * Several texts run as one packed batch: their tokens are stacked without
 * padding, so every matrix product runs over all of them at once while
 * attention stays inside each text — the padding mask is the packing
 * itself.
 *
 * Threads. A text of 16 tokens is about 340 MFLOP (2 × 10.6 M weights × 16
 * tokens), a millisecond or two of one core: too little to split every
 * layer across cores without the waits at each product's end eating the
 * gain. So a batch is cut into chunks of whole texts (about CHUNK_ROWS
 * tokens each, balanced by token count) and each thread takes chunks and
 * runs all the layers of one alone, in its own scratch, meeting the others
 * only at the end. A batch too small for more than one chunk (a lone
 * text) has its products split across the threads instead
 * (matmul_forward_packed, core/tensor.h, or quant_matmul_packed,
 * core/quant.h, for weights on integer tiles). Every way, every number of
 * a text is computed by the same operations — the packed products give
 * each output one chain of multiply-adds whatever rows share the call —
 * so a text's hidden states do not depend on its batch, its chunk or the
 * thread count.
 */
#include "archs/bert_model.h"
#include "archs/decoder.h"
#include "archs/layers/layers.h"
#include "core/tensor.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* This thread's number in the innermost team (0 in a serial build). */
static int thread_index(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ---- scratch ---------------------------------------------------------------- */

static void scratch_release(BertScratch *s)
{
    free(s->x); free(s->qkv); free(s->att); free(s->tmp); free(s->ff); free(s->gate); free(s->scores);
    free(s->starts);
    *s = (BertScratch){ 0 };
}

void bert_scratch_free(BertContext *c)
{
    for (int i = 0; i < c->n_scratch; i++) scratch_release(&c->scratch[i]);
    free(c->scratch);
    c->scratch = NULL;
    c->n_scratch = 0;
}

/* Grow scratch s to hold `rows` packed tokens of `seqs` texts, with score
 * rows for `threads` threads (attention's parallel loop). -1: no memory. */
static int scratch_reserve(const Bert *m, BertScratch *s, size_t rows, int32_t seqs, int threads)
{
    if (rows > s->rows_cap) {
        size_t cap = rows < 64 ? 64 : rows;
        free(s->x); free(s->qkv); free(s->att); free(s->tmp); free(s->ff); free(s->gate);
        s->x = xmalloc(cap * (size_t)m->d, sizeof(float));
        s->qkv = xmalloc(cap * 3 * (size_t)m->d, sizeof(float));
        s->att = xmalloc(cap * (size_t)m->d, sizeof(float));
        s->tmp = xmalloc(cap * (size_t)m->d, sizeof(float));
        s->ff = xmalloc(cap * (size_t)m->d_ff, sizeof(float));
        s->gate = m->rope ? xmalloc(cap * (size_t)m->d_ff, sizeof(float)) : NULL;
        s->rows_cap = (s->x && s->qkv && s->att && s->tmp && s->ff && (s->gate || !m->rope)) ? cap : 0;
        if (!s->rows_cap) return -1;
    }
    if (threads > s->scores_threads) {
        free(s->scores);
        s->scores = xmalloc((size_t)threads * (size_t)m->n_ctx, sizeof(float));
        s->scores_threads = s->scores ? threads : 0;
        if (!s->scores) return -1;
    }
    if (seqs > s->seqs_cap) {
        free(s->starts);
        s->starts = xmalloc((size_t)seqs, sizeof *s->starts);
        s->seqs_cap = s->starts ? seqs : 0;
        if (!s->starts) return -1;
    }
    return 0;
}

/* ---- the layers ---------------------------------------------------------------- */

/* out = LN(inp) over rows [R, d]: (x - mean) / sqrt(var + eps) * w + b,
 * the variance from the centred values (two passes), so that float sums
 * lose nothing to cancellation; each sum runs in vector lanes (omp simd),
 * in the same order for every row. out may be inp. */
static void layernorm(float *out, const float *inp, const float *w, const float *b, long R, int d, float eps)
{
    #pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (R * d >= 16384)
    for (long r = 0; r < R; r++) {
        const float *x = inp + r * d;
        float *y = out + r * d;
        float sum = 0, var = 0;
        #pragma omp simd reduction(+ : sum)
        for (int i = 0; i < d; i++) sum += x[i];
        float mean = sum / d;
        #pragma omp simd reduction(+ : var)
        for (int i = 0; i < d; i++) var += (x[i] - mean) * (x[i] - mean);
        float scale = 1.0f / sqrtf(var / d + eps);
        #pragma omp simd
        for (int i = 0; i < d; i++) y[i] = (x[i] - mean) * scale * w[i] + b[i];
    }
}

/* Bidirectional attention inside each text. qkv [R, 3d] (q | k | v per
 * row), out [R, d]; text s owns rows starts[s] .. starts[s] + lens[s]. For
 * each text, head and query row i (the kernel table's attention_row):
 *   p_j = softmax_j( q_i · k_j / sqrt(dh) ),  out_i = Σ_j p_j v_j
 * scores_all: n_ctx floats for each thread of the loop. */
static void attention(float *out, const float *qkv, float *scores_all, int n_seqs, const int32_t *lens,
                      const int32_t *starts, int d, int n_heads, int n_ctx)
{
    int dh = d / n_heads;
    long jobs = (long)n_seqs * n_heads;
    const Kernels *k = kernels();
    #pragma omp parallel for schedule(dynamic) num_threads(kernel_threads()) if (jobs > 1)
    for (long job = 0; job < jobs; job++) {
        int s = (int)(job / n_heads), h = (int)(job % n_heads);
        float *scores = scores_all + (size_t)thread_index() * n_ctx;
        const float *base = qkv + (size_t)starts[s] * 3 * d + h * dh;
        for (int i = 0; i < lens[s]; i++)
            k->attention_row(out + ((size_t)starts[s] + i) * d + h * dh, scores, base + (size_t)i * 3 * d,
                             base + d, base + 2 * d, lens[s], dh, 3 * d);
    }
}

/* out[R, rows] = inp[R, cols] · Wᵀ + bias, on W's integer tiles or its
 * packed floats (bert_model.h: BertMatrix). */
static void product(float *out, const float *inp, const BertMatrix *w, const float *bias, long R)
{
    if (!w->tiles.tiles) {
        matmul_forward_packed(out, inp, &w->packed, bias, (int)R);
        return;
    }
    quant_matmul_packed(&w->tiles, inp, R, out);
    for (long r = 0; bias && r < R; r++) vec_add(out + r * w->tiles.rows, bias, (size_t)w->tiles.rows);
}

/* nomic-bert: q and k of every head of every row turned to the row's place
 * t in its text (qkv [R, 3d], q | k | v per row), the neox pairs (v_i,
 * v_{i+n_rot/2}) by the angles of the model's table (rope_apply() in
 * archs/decoder_ops.c, with the cosines and sines computed once at load). */
static void rotate_qk(const Bert *m, float *qkv, int n_seqs, const int32_t *lens, const int32_t *starts)
{
    int d = m->d, dh = d / m->n_heads, half = m->n_rot / 2;
    for (int s = 0; s < n_seqs; s++)
        for (int t = 0; t < lens[s]; t++) {
            float *row = qkv + ((size_t)starts[s] + t) * 3 * d;
            const float *c = m->rope_cos + (size_t)t * half, *sn = m->rope_sin + (size_t)t * half;
            for (int h = 0; h < 2 * m->n_heads; h++) {    /* q's heads, then k's */
                float *v = row + (size_t)h * dh;
                #pragma omp simd
                for (int i = 0; i < half; i++) {
                    float a = v[i], b = v[i + half];
                    v[i] = a * c[i] - b * sn[i];
                    v[i + half] = a * sn[i] + b * c[i];
                }
            }
        }
}

/* The whole encoder over one group of texts: tokens [R] of n_seqs texts
 * (lens[s] each) → out [R, d], in scratch s (sized by scratch_reserve). */
static void forward(const Bert *m, BertScratch *s, int32_t n_seqs, const int32_t *lens, const int32_t *tokens,
                    float *out)
{
    int d = m->d, H = m->d_ff;
    long R = 0;
    for (int32_t i = 0; i < n_seqs; i++) {
        s->starts[i] = (int32_t)R;
        R += lens[i];
    }
    float *x = s->x;
    for (int32_t i = 0; i < n_seqs; i++)                 /* embeddings */
        for (int32_t t = 0; t < lens[i]; t++) {
            long r = s->starts[i] + t;
            const float *te = m->tok_emb + (size_t)tokens[r] * d;
            const float *pe = m->pos_emb ? m->pos_emb + (size_t)t * d : NULL;
            float *xr = x + r * d;
            for (int j = 0; j < d; j++) xr[j] = te[j] + (pe ? pe[j] : 0.0f) + (m->type_emb ? m->type_emb[j] : 0.0f);
        }
    layernorm(x, x, m->ln_emb_w, m->ln_emb_b, R, d, m->eps);
    for (int l = 0; l < m->n_layers; l++) {
        const BertLayer *L = &m->layers[l];
        product(s->qkv, x, &L->qkv, L->qkv_b, R);
        if (m->rope) rotate_qk(m, s->qkv, n_seqs, lens, s->starts);
        attention(s->att, s->qkv, s->scores, n_seqs, lens, s->starts, d, m->n_heads, m->n_ctx);
        product(s->tmp, s->att, &L->out, L->out_b, R);
        vec_add(s->tmp, x, (size_t)R * d);
        layernorm(x, s->tmp, L->ln_attn_w, L->ln_attn_b, R, d, m->eps);
        product(s->ff, x, &L->up, L->up_b, R);
        if (m->rope) {                                /* SwiGLU: gate = silu(gate) * up */
            product(s->gate, x, &L->gate, NULL, R);
            swiglu(s->gate, s->ff, (long)R * H);
            product(s->tmp, s->gate, &L->down, L->down_b, R);
        } else {
            gelu_forward(s->ff, s->ff, (size_t)R * H);   /* layers/gelu.c */
            product(s->tmp, s->ff, &L->down, L->down_b, R);
        }
        vec_add(s->tmp, x, (size_t)R * d);
        layernorm(l == m->n_layers - 1 ? out : x, s->tmp, L->ln_out_w, L->ln_out_b, R, d, m->eps);
    }
}

/* ---- a batch ------------------------------------------------------------------------ */

/* Rows (tokens) per chunk of whole texts: the activations of 128 rows
 * (x 192 KB, the FFN's 768 KB at MiniLM's size) stay in L2 from layer to
 * layer while the weights stream past them; 512 rows at once ran the
 * products 20% slower (measured on AVX-512). */
enum { CHUNK_ROWS = 128 };

/* Cut texts [0, n_seqs) into `parts` runs of about equal token count, none
 * empty (parts <= n_seqs): run p is texts first[p] .. first[p+1]. */
static void split_texts(int32_t n_seqs, const int32_t *lens, long R, int parts, int32_t *first)
{
    long seen = 0;
    int32_t s = 0;
    first[0] = 0;
    for (int p = 1; p < parts; p++) {
        long target = R * p / parts;
        while (s < n_seqs - (parts - p) && seen + lens[s] <= target) seen += lens[s++];
        if (s == first[p - 1]) seen += lens[s++];
        first[p] = s;
    }
    first[parts] = n_seqs;
}

rg_status bert_hidden_batch(const void *model_state, void *ctx_state, int32_t n_seqs, const int32_t *lens,
                            const int32_t *tokens, float *out)
{
    const Bert *m = model_state;
    BertContext *c = ctx_state;
    if (n_seqs <= 0) return RG_OK;
    long R = 0;
    for (int32_t s = 0; s < n_seqs; s++) {
        if (lens[s] < 1 || lens[s] > m->n_ctx) {
            fail("bert: a sequence of %d tokens does not fit the context of %d", lens[s], m->n_ctx);
            return RG_ERR_LIMIT;
        }
        R += lens[s];
    }
    for (long r = 0; r < R; r++)
        if (tokens[r] < 0 || tokens[r] >= m->n_vocab) {
            fail("bert: token id %d is outside the vocabulary of %d", tokens[r], m->n_vocab);
            return RG_ERR_INVALID;
        }
#ifdef _OPENMP
    if (c->n_threads > 0) omp_set_num_threads(c->n_threads);
#endif
    /* Chunks of about CHUNK_ROWS rows, as many as a multiple of the
     * threads so that each gets the same share, and at most one per text. */
    int threads = kernel_threads();
    long chunks = (R + CHUNK_ROWS - 1) / CHUNK_ROWS;
    chunks = (chunks + threads - 1) / threads * threads;
    if (chunks > n_seqs) chunks = n_seqs;
    int team = chunks < threads ? (int)chunks : threads;
    /* One chunk (one text, or a few short ones): there is nothing to share
     * out, so its products are split across the threads instead. */
    int split_products = chunks == 1;
    int32_t *first = xmalloc((size_t)chunks + 1, sizeof *first);
    long *row0 = xmalloc((size_t)chunks + 1, sizeof *row0);     /* each chunk's first row */
    rg_status st = RG_ERR_NOMEM;
    if (!first || !row0) goto done;
    split_texts(n_seqs, lens, R, (int)chunks, first);
    long most_rows = 0;
    int32_t most_seqs = 0;
    row0[0] = 0;
    for (long k = 0; k < chunks; k++) {
        row0[k + 1] = row0[k];
        for (int32_t s = first[k]; s < first[k + 1]; s++) row0[k + 1] += lens[s];
        if (row0[k + 1] - row0[k] > most_rows) most_rows = row0[k + 1] - row0[k];
        if (first[k + 1] - first[k] > most_seqs) most_seqs = first[k + 1] - first[k];
    }
    if (team > c->n_scratch) {
        BertScratch *grown = realloc(c->scratch, (size_t)team * sizeof *grown);
        if (!grown) goto done;
        for (int t = c->n_scratch; t < team; t++) grown[t] = (BertScratch){ 0 };
        c->scratch = grown;
        c->n_scratch = team;
    }
    for (int t = 0; t < team; t++)
        if (scratch_reserve(m, &c->scratch[t], (size_t)most_rows, most_seqs, split_products ? threads : 1) != 0)
            goto done;
    if (team > 1) {
        #pragma omp parallel for schedule(dynamic) num_threads(team)
        for (long k = 0; k < chunks; k++)
            forward(m, &c->scratch[thread_index()], first[k + 1] - first[k], lens + first[k],
                    tokens + row0[k], out + (size_t)row0[k] * m->d);
    } else {
        for (long k = 0; k < chunks; k++)
            forward(m, &c->scratch[0], first[k + 1] - first[k], lens + first[k], tokens + row0[k],
                    out + (size_t)row0[k] * m->d);
    }
    st = RG_OK;
done:
    free(first);
    free(row0);
    return st;
}
