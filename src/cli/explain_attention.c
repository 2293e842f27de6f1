/*
 * explain_attention.c — `rustgpt explain --section attention-backward`:
 * the gradient of one attention head, three ways, on chapter 0's sentence
 * (docs/04-attention.md quotes it).
 *
 * Head 0 of the block: Q, K, V [4,2] from the forward pass, P [4,4] its
 * probabilities, dO [4,2] the head's slice of d(att_out), which the output
 * projection's backward produced. The gradients dQ, dK, dV come from
 *   1. the kernel table's attention_backward (the code the model trains with),
 *   2. the matrix form, in double:
 *        dV = Pᵀ dO,  dP = dO Vᵀ,  dZ = P ∘ (dP − rowsum(P ∘ dP)),
 *        dQ = s dZ K,  dK = s dZᵀ Q      (s = 1/sqrt(dh), z = s q·k)
 *   3. central finite differences of L = Σ dO ∘ out in double, whose
 *      gradient with respect to out is exactly dO.
 * The section prints the kernel's numbers and whether the other two agree
 * with them to 1e-5 (a yes/no, so that the quote does not depend on the last
 * bits of a machine's rounding).
 */
#include "cli/explain.h"
#include "core/kernels/kernels.h"

#include <math.h>
#include <stdio.h>

enum { DH = D / 2 };

/* out = softmax(s Q Kᵀ, causal) V for one head, in double; returns Σ dO ∘ out. */
static double head_loss(const double q[N][DH], const double k[N][DH], const double v[N][DH],
                        const double dout[N][DH])
{
    double scale = 1.0 / sqrt((double)DH), loss = 0.0;
    for (int t = 0; t < N; t++) {
        double z[N], max = -INFINITY, sum = 0.0;
        for (int s = 0; s <= t; s++) {
            z[s] = 0.0;
            for (int i = 0; i < DH; i++) z[s] += scale * q[t][i] * k[s][i];
            if (z[s] > max) max = z[s];
        }
        for (int s = 0; s <= t; s++) sum += (z[s] = exp(z[s] - max));
        for (int i = 0; i < DH; i++) {
            double out = 0.0;
            for (int s = 0; s <= t; s++) out += z[s] / sum * v[s][i];
            loss += dout[t][i] * out;
        }
    }
    return loss;
}

/* d head_loss / d x[r][i] for x one of q, k, v, by central differences. */
static double numeric(double x[N][DH], int r, int i, const double q[N][DH], const double k[N][DH],
                      const double v[N][DH], const double dout[N][DH])
{
    const double h = 1e-5;
    double keep = x[r][i];
    x[r][i] = keep + h;
    double up = head_loss(q, k, v, dout);
    x[r][i] = keep - h;
    double down = head_loss(q, k, v, dout);
    x[r][i] = keep;
    return (up - down) / (2 * h);
}

static int agree(const float a[N][DH], const double b[N][DH])
{
    for (int t = 0; t < N; t++)
        for (int i = 0; i < DH; i++)
            if (fabs(a[t][i] - b[t][i]) > 1e-5) return 0;
    return 1;
}

void show_attention_backward(Explain *e)
{
    const BlockActivations *b = &e->acts.blocks[0];
    float q[N][DH], k[N][DH], v[N][DH], dout[N][DH], p[N][N];
    float dq[N][DH] = { { 0 } }, dk[N][DH] = { { 0 } }, dv[N][DH] = { { 0 } }, scratch[N];
    double qd[N][DH], kd[N][DH], vd[N][DH], dod[N][DH];
    for (int t = 0; t < N; t++) {
        for (int i = 0; i < DH; i++) {
            qd[t][i] = q[t][i] = b->qkv[(size_t)t * 3 * D + i];
            kd[t][i] = k[t][i] = b->qkv[(size_t)t * 3 * D + D + i];
            vd[t][i] = v[t][i] = b->qkv[(size_t)t * 3 * D + 2 * D + i];
            dod[t][i] = dout[t][i] = e->acts.d_att[(size_t)t * D + i];
        }
        for (int s = 0; s < N; s++) p[t][s] = b->att_probs[(size_t)t * N + s];
    }
    kernels()->attention_backward(&dq[0][0], &dk[0][0], &dv[0][0], scratch, &dout[0][0], &q[0][0],
                                  &k[0][0], &v[0][0], &p[0][0], N, DH, DH, DH);

    /* the matrix form */
    double scale = 1.0 / sqrt((double)DH), dP[N][N], dZ[N][N];
    double mq[N][DH] = { { 0 } }, mk[N][DH] = { { 0 } }, mv[N][DH] = { { 0 } };
    for (int t = 0; t < N; t++) {
        double row = 0.0;                               /* rowsum(P ∘ dP) */
        for (int s = 0; s < N; s++) {
            dP[t][s] = 0.0;
            for (int i = 0; i < DH; i++) dP[t][s] += dod[t][i] * vd[s][i];
            row += p[t][s] * dP[t][s];
        }
        for (int s = 0; s < N; s++) dZ[t][s] = p[t][s] * (dP[t][s] - row);
    }
    for (int t = 0; t < N; t++)
        for (int s = 0; s < N; s++)
            for (int i = 0; i < DH; i++) {
                mv[s][i] += p[t][s] * dod[t][i];             /* Pᵀ dO */
                mq[t][i] += scale * dZ[t][s] * kd[s][i];     /* s dZ K */
                mk[s][i] += scale * dZ[t][s] * qd[t][i];     /* s dZᵀ Q */
            }

    /* finite differences */
    double nq[N][DH], nk[N][DH], nv[N][DH];
    for (int t = 0; t < N; t++)
        for (int i = 0; i < DH; i++) {
            nq[t][i] = numeric(qd, t, i, qd, kd, vd, dod);
            nk[t][i] = numeric(kd, t, i, qd, kd, vd, dod);
            nv[t][i] = numeric(vd, t, i, qd, kd, vd, dod);
        }

    printf("head 0 of the block: Q, K, V, dO are [4,%d], P is [4,4]; dO = the head's columns of\n", DH);
    printf("d(att_out), from the backward pass of proj. The kernel's gradients:\n");
    printf("%-12s%18s%18s%18s%18s\n", "", "dO", "dQ", "dK", "dV");
    for (int t = 0; t < N; t++) {
        printf("  %-10s", at_pos(e, t));
        for (int i = 0; i < DH; i++) print_number(dout[t][i]);
        for (int i = 0; i < DH; i++) print_number(dq[t][i]);
        for (int i = 0; i < DH; i++) print_number(dk[t][i]);
        for (int i = 0; i < DH; i++) print_number(dv[t][i]);
        putchar('\n');
    }
    printf("\nrow 0 (\"%s\") sees only itself: p = 1, so dZ[0,0] = 1 · (dP - 1 · dP) = 0 and dQ row 0 is 0\n",
           token_text(e, e->ids[0]));
    printf("matrix form (dV = Pᵀ dO, dZ = P ∘ (dP - rowsum(P ∘ dP)), dQ = s dZ K, dK = s dZᵀ Q)\n");
    printf("  agrees with the kernel to 1e-5:   dQ %s   dK %s   dV %s\n", agree(dq, mq) ? "yes" : "NO",
           agree(dk, mk) ? "yes" : "NO", agree(dv, mv) ? "yes" : "NO");
    printf("finite differences of L = sum(dO ∘ out), in double, step 1e-5\n");
    printf("  agree with the kernel to 1e-5:    dQ %s   dK %s   dV %s\n", agree(dq, nq) ? "yes" : "NO",
           agree(dk, nk) ? "yes" : "NO", agree(dv, nv) ? "yes" : "NO");
}
