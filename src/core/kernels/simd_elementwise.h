/*
 * kernels/simd_elementwise.h — the loops that treat every float on its own
 * (GELU, SwiGLU's gate, the Adam step), written once for every vector
 * instruction set like simd_rows.h, which includes this file: avx2.c,
 * avx512.c and neon.c define the primitives (v_load, v_exp, ...). Each
 * function names the kernels/scalar.c entry it accelerates and computes the
 * same formula; a partial last vector is loaded and stored by mask, so no
 * lane ever reads past the end.
 */

/* ---- GELU (scalar.c: gelu_forward) ---------------------------------------- */

/* ½x(1 + tanh u) = x·e^{2u}/(e^{2u} + 1) = x / (1 + e^{-2u}), with
 * u = √(2/π)(x + 0.044715x³): one exponential and one division per value,
 * and no 1 + tanh u to cancel for negative x. Within a few ulp of x·σ(2u)
 * (the scalar tanhf form is within 1e-6·(1 + |x|) of it: test_kernels). */
static void simd_gelu_forward(float *out, const float *inp, size_t n)
{
    const vfloat minus_2c = v_set1(-2.0f * 0.7978845608028654f), a = v_set1(0.044715f), one = v_set1(1.0f);
    for (size_t i = 0; i < n; i += VLEN) {
        int len = n - i < VLEN ? (int)(n - i) : VLEN;
        vfloat x = len == VLEN ? v_load(inp + i) : v_load_part(inp + i, len);
        vfloat minus_2u = v_mul(v_mul(minus_2c, x), v_fma(v_mul(a, x), x, one));
        vfloat y = v_div(x, v_add(one, v_exp(minus_2u)));
        if (len == VLEN) v_store(out + i, y);
        else v_store_part(out + i, y, len);
    }
}

/* ---- SwiGLU (scalar.c: swiglu_forward) ------------------------------------ */

/* x = x / (1 + e^-x) * y with the vector exp (about 1 ulp from expf; its
 * clamp at 88 leaves x / (1 + e^88), within 1e-36 of the true value, for
 * x below -88). */
static void simd_swiglu_forward(float *x, const float *y, size_t n)
{
    const vfloat one = v_set1(1.0f), zero = v_zero();
    for (size_t i = 0; i < n; i += VLEN) {
        int len = n - i < VLEN ? (int)(n - i) : VLEN;
        vfloat xv = len == VLEN ? v_load(x + i) : v_load_part(x + i, len);
        vfloat yv = len == VLEN ? v_load(y + i) : v_load_part(y + i, len);
        vfloat out = v_mul(v_div(xv, v_add(one, v_exp(v_sub(zero, xv)))), yv);
        if (len == VLEN) v_store(x + i, out);
        else v_store_part(x + i, out, len);
    }
}

/* ---- Adam (scalar.c: adam_update) ---------------------------------------- */

static void simd_adam_update(float *param, const float *grad, float *m, float *v,
                             size_t n, AdamStep s)
{
    vfloat b1 = v_set1(s.beta1), b2 = v_set1(s.beta2), one_b1 = v_set1(1.0f - s.beta1);
    vfloat one_b2 = v_set1(1.0f - s.beta2), c1 = v_set1(s.correction1), c2 = v_set1(s.correction2);
    vfloat lr = v_set1(s.lr), eps = v_set1(s.eps), wd = v_set1(s.weight_decay);
    vfloat gs = v_set1(s.grad_scale);
    for (size_t i = 0; i < n; i += VLEN) {
        int len = n - i < VLEN ? (int)(n - i) : VLEN;
        vfloat g, mv, vv, p;
        if (len == VLEN) {
            g = v_load(grad + i); mv = v_load(m + i); vv = v_load(v + i); p = v_load(param + i);
        } else {
            g = v_load_part(grad + i, len); mv = v_load_part(m + i, len);
            vv = v_load_part(v + i, len); p = v_load_part(param + i, len);
        }
        g = v_mul(g, gs);
        mv = v_add(v_mul(b1, mv), v_mul(one_b1, g));
        vv = v_add(v_mul(b2, vv), v_mul(v_mul(one_b2, g), g));
        vfloat step = v_div(v_mul(mv, c1), v_add(v_sqrt(v_mul(vv, c2)), eps));
        p = v_sub(p, v_mul(lr, v_fma(wd, p, step)));
        if (len == VLEN) {
            v_store(m + i, mv); v_store(v + i, vv); v_store(param + i, p);
        } else {
            v_store_part(m + i, mv, len); v_store_part(v + i, vv, len); v_store_part(param + i, p, len);
        }
    }
}
