/*
 * Winograd F(2,3) / F(4,3) (engine/ops/winograd.c) against an independent
 * reference: the direct 3x3 convolution in double computed here (zero
 * padding, "same" output), and a per-output error bound computed here from
 * Lavin and Gray's matrices (arXiv:1509.09308, written out below, not taken
 * from the engine).
 *
 * The bound (include/vsr/engine.h, docs/PERFORMANCE.md "Winograd"): output
 * pixel (y, x) lies in the m x m tile at (m*floor(y/m), m*floor(x/m)) at
 * position (p, q); with d the a x a zero-padded input patch of that tile
 * (a = m + 2) and g the 3x3 kernel of (ci, o),
 *   S = |b| + sum_ci sum_{i,j} |A^T[p][i]| |A^T[q][j]| (|G||g||G^T|)[i][j]
 *                              (|B^T||d||B|)[i][j],
 *   |y_wino - y_exact| <= gamma_K * S,  gamma_K = K u / (1 - K u), u = 2^-24,
 *   K = 2 nnz(B) + 2 nnz(A) + Cin + 3:
 * each one-dimensional transform sums at most nnz terms c_k x_k (one
 * rounding per product, nnz - 1 additions: gamma_nnz of sum |c_k x_k|), two
 * of them per 2-D transform; U is rounded once from double (+1), the
 * product U V (+1), the GEMM over Cin channels (+Cin), the bias (+1).
 * The direct path's own bound is gamma_(9 Cin + 1) (|b| + sum |x| |w|).
 * The activations used are 1-Lipschitz (ReLU, clip, PReLU / leaky with
 * |slope| <= 1); their own rounding adds u |y|. FP16 storage rounds the
 * output once more: + 2^-11 (|y| + bound) + 2^-25 (half the smallest
 * subnormal step).
 */
#include <pthreadpool.h>
#include <stdio.h>

#include "engine_internal.h"
#include "engine_testutil.h"

static const double BT2[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double AT2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
static const double G2[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
static const double BT4[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                 {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                 {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
static const double AT4[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
static const double G4[6][3] = {{1. / 4, 0, 0},
                                {-1. / 6, -1. / 6, -1. / 6},
                                {-1. / 6, 1. / 6, -1. / 6},
                                {1. / 24, 1. / 12, 1. / 6},
                                {1. / 24, -1. / 12, 1. / 6},
                                {0, 0, 1}};

typedef struct conv_case {
    int h, w, cin, cout;
    vsr_act_type act;
} conv_case;

typedef struct conv_data {
    conv_case k;
    float *x, *wt, *b, *alpha; /* input HWC, weights HWIO, bias, PReLU slopes */
    double *ref;               /* exact (double) output after the activation */
    double *sd;                /* direct bound sum: |b| + sum |x||w| */
    double *sw[2];             /* Winograd S for m = 2, 4 */
} conv_data;

static vsr_graph *build(const conv_data *d)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("wino", &g, &err));
    int x = vsr_graph_input(g, "x", d->k.h, d->k.w, d->k.cin, &err);
    assert_true(x >= 0);
    vsr_conv_params p = vsr_conv_default(d->k.cout, 3);
    p.act.type = d->k.act;
    p.act.lo = -0.25f, p.act.hi = 0.5f, p.act.alpha = 0.3f;
    int y = vsr_graph_conv2d(g, "conv", x, &p, &err);
    assert_true(y >= 0);
    OK(vsr_graph_output(g, "y", y, &err));
    size_t nw = (size_t)9 * d->k.cin * d->k.cout;
    OK(vsr_graph_set_weight(g, "conv.weight", d->wt, nw, &err));
    OK(vsr_graph_set_weight(g, "conv.bias", d->b, (size_t)d->k.cout, &err));
    if (d->k.act == VSR_ACT_PRELU)
        OK(vsr_graph_set_weight(g, "conv.alpha", d->alpha, (size_t)d->k.cout, &err));
    return g;
}

static double act_ref(const conv_data *d, int o, double v)
{
    switch (d->k.act) {
    case VSR_ACT_RELU:
        return v > 0 ? v : 0;
    case VSR_ACT_CLIP:
        return v < -0.25 ? -0.25 : v > 0.5 ? 0.5 : v;
    case VSR_ACT_PRELU:
        return v >= 0 ? v : d->alpha[o] * v;
    case VSR_ACT_LEAKY_RELU:
        return v >= 0 ? v : (double)0.3f * v;
    default:
        return v;
    }
}

static float f16_exact(float v)
{
    return vsr_f16_to_f32(vsr_f32_to_f16(v));
}

/* Random data (binary16-exact when f16), the double reference and the bound sums. */
static void make(conv_data *d, conv_case k, uint32_t seed, int f16)
{
    memset(d, 0, sizeof(*d));
    d->k = k;
    size_t nx = (size_t)k.h * k.w * k.cin, nw = (size_t)9 * k.cin * k.cout, ny;
    ny = (size_t)k.h * k.w * k.cout;
    d->x = malloc(nx * sizeof(float));
    d->wt = malloc(nw * sizeof(float));
    d->b = malloc((size_t)k.cout * sizeof(float));
    d->alpha = malloc((size_t)k.cout * sizeof(float));
    d->ref = calloc(ny, sizeof(double));
    d->sd = calloc(ny, sizeof(double));
    d->sw[0] = calloc(ny, sizeof(double));
    d->sw[1] = calloc(ny, sizeof(double));
    fill_rand(d->x, nx, seed, -2.f, 3.f);
    fill_rand(d->wt, nw, seed + 1, -0.4f, 0.4f);
    fill_rand(d->b, (size_t)k.cout, seed + 2, -1.f, 1.f);
    fill_rand(d->alpha, (size_t)k.cout, seed + 3, -1.f, 1.f);
    if (f16) {
        for (size_t i = 0; i < nx; i++)
            d->x[i] = f16_exact(d->x[i]);
        for (size_t i = 0; i < nw; i++)
            d->wt[i] = f16_exact(d->wt[i]);
        for (int o = 0; o < k.cout; o++)
            d->b[o] = f16_exact(d->b[o]), d->alpha[o] = f16_exact(d->alpha[o]);
    }
#define X(yy, xx, c)                                                                           \
    ((yy) < 0 || (yy) >= k.h || (xx) < 0 || (xx) >= k.w                                        \
         ? 0.0                                                                                 \
         : (double)d->x[((size_t)(yy)*k.w + (size_t)(xx)) * k.cin + (size_t)(c)])
#define WT(ky, kx, c, o)                                                                       \
    ((double)d->wt[((size_t)((ky)*3 + (kx)) * k.cin + (size_t)(c)) * k.cout + (size_t)(o)])
    /* direct reference and its bound sum */
    for (int y = 0; y < k.h; y++)
        for (int x = 0; x < k.w; x++)
            for (int o = 0; o < k.cout; o++) {
                double s = d->b[o], sa = fabs((double)d->b[o]);
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++)
                        for (int c = 0; c < k.cin; c++) {
                            double xv = X(y - 1 + ky, x - 1 + kx, c), wv = WT(ky, kx, c, o);
                            s += xv * wv, sa += fabs(xv * wv);
                        }
                size_t at = ((size_t)y * k.w + (size_t)x) * k.cout + (size_t)o;
                d->ref[at] = act_ref(d, o, s);
                d->sd[at] = sa;
            }
    /* Winograd bound sums */
    for (int v = 0; v < 2; v++) {
        int m = v ? 4 : 2, a = m + 2;
        const double *bt = v ? &BT4[0][0] : &BT2[0][0], *at = v ? &AT4[0][0] : &AT2[0][0];
        const double *G = v ? &G4[0][0] : &G2[0][0];
        double *gab = malloc((size_t)k.cin * k.cout * 36 * sizeof(double));
        for (int c = 0; c < k.cin; c++) /* |G||g||G^T| per (c, o) */
            for (int o = 0; o < k.cout; o++)
                for (int i = 0; i < a; i++)
                    for (int j = 0; j < a; j++) {
                        double s = 0;
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                                s += fabs(G[i * 3 + ky]) * fabs(WT(ky, kx, c, o)) *
                                     fabs(G[j * 3 + kx]);
                        gab[(((size_t)c * k.cout + (size_t)o) * a + (size_t)i) * a +
                            (size_t)j] = s;
                    }
        for (int ty = 0; ty < k.h; ty += m)
            for (int tx = 0; tx < k.w; tx += m)
                for (int c = 0; c < k.cin; c++) {
                    double dab[6][6]; /* |B^T||d||B| */
                    for (int i = 0; i < a; i++)
                        for (int j = 0; j < a; j++) {
                            double s = 0;
                            for (int r = 0; r < a; r++)
                                for (int q = 0; q < a; q++)
                                    s += fabs(bt[i * a + r]) *
                                         fabs(X(ty - 1 + r, tx - 1 + q, c)) *
                                         fabs(bt[j * a + q]);
                            dab[i][j] = s;
                        }
                    for (int p = 0; p < m && ty + p < k.h; p++)
                        for (int q = 0; q < m && tx + q < k.w; q++)
                            for (int o = 0; o < k.cout; o++) {
                                const double *ga =
                                    gab + ((size_t)c * k.cout + (size_t)o) * (size_t)(a * a);
                                double s = 0;
                                for (int i = 0; i < a; i++)
                                    for (int j = 0; j < a; j++)
                                        s += fabs(at[p * a + i]) * fabs(at[q * a + j]) *
                                             ga[i * a + j] * dab[i][j];
                                size_t idx =
                                    ((size_t)(ty + p) * k.w + (size_t)(tx + q)) * k.cout +
                                    (size_t)o;
                                d->sw[v][idx] += s + (c == 0 ? fabs((double)d->b[o]) : 0);
                            }
                }
        free(gab);
    }
#undef X
#undef WT
}

static void drop(conv_data *d)
{
    free(d->x), free(d->wt), free(d->b), free(d->alpha), free(d->ref), free(d->sd);
    free(d->sw[0]), free(d->sw[1]);
}

static double gamma_k(int k)
{
    double u = ldexp(1.0, -24);
    return k * u / (1 - k * u);
}

/* K of the Winograd bound: 2 nnz(B) + 2 nnz(A) + Cin + 3 */
static int k_wino(int m, int cin)
{
    return m == 2 ? 2 * 2 + 2 * 3 + cin + 3 : 2 * 4 + 2 * 5 + cin + 3;
}

/* the engine's output of d with conv_algo @p algo (threads: 1 = no pool); kernels:
 * 0 = all the CPU has, 1 = scalar, 2 = AVX2 only (scalar transforms, AVX2 GEMM) */
static float *run(const conv_data *d, vsr_precision prec, vsr_conv_algo algo, int kernels,
                  int threads, const char **chosen)
{
    vsr_graph *g = build(d);
    vsr_error err = {0};
    pthreadpool_t pool = threads > 1 ? pthreadpool_create((size_t)threads) : NULL;
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.conv_algo = algo;
    o.force_scalar = kernels == 1;
    if (kernels == 2)
        o.isa_mask = VSR_ISA_AVX2;
    vsr_engine *e = NULL;
    OK(vsr_engine_create(g, prec, pool, &o, &e, &err));
    OK(vsr_engine_set_input(e, 0, d->x, d->k.h, d->k.w, d->k.cin, &err));
    OK(vsr_engine_run(e, &err));
    size_t n = (size_t)d->k.h * d->k.w * d->k.cout;
    float *out = malloc(n * sizeof(float));
    OK(vsr_engine_get_output(e, 0, out, n, &err));
    if (chosen) {
        vsr_layer_profile lp;
        assert_int_equal(vsr_engine_layer_profile(e, 1, &lp), 0);
        assert_int_equal(lp.op, VSR_OP_CONV2D);
        *chosen = lp.algo; /* a string literal of the engine */
    }
    vsr_engine_free(&e);
    if (pool)
        pthreadpool_destroy(pool);
    vsr_graph_free(&g);
    return out;
}

/* max over outputs of |out - ref| / bound, asserting each is <= 1 */
static double check(const conv_data *d, const float *out, int m, int f16, double *max_abs)
{
    size_t n = (size_t)d->k.h * d->k.w * d->k.cout;
    double worst = 0, u = ldexp(1.0, -24);
    for (size_t i = 0; i < n; i++) {
        double s = m ? d->sw[m == 4][i] : d->sd[i];
        double b = gamma_k(m ? k_wino(m, d->k.cin) : 9 * d->k.cin + 1) * s;
        b += u * fabs(d->ref[i]) + 1e-300; /* the activation's own rounding */
        if (f16)
            b += ldexp(1.0, -11) * (fabs(d->ref[i]) + b) + ldexp(1.0, -25);
        double e = fabs((double)out[i] - d->ref[i]);
        if (e > b)
            print_message("output %zu: %.9g, exact %.9g, error %.3g > bound %.3g (m %d)\n", i,
                          (double)out[i], d->ref[i], e, b, m);
        assert_true(e <= b);
        worst = e / b > worst ? e / b : worst;
        *max_abs = e > *max_abs ? e : *max_abs;
    }
    return worst;
}

static const conv_case cases[] = {
    {1, 1, 1, 1, VSR_ACT_NONE},
    {2, 3, 1, 5, VSR_ACT_RELU},
    {5, 7, 3, 28, VSR_ACT_RELU},
    {9, 11, 28, 28, VSR_ACT_RELU},
    {7, 13, 17, 33, VSR_ACT_CLIP},
    {6, 6, 64, 64, VSR_ACT_NONE},
    {3, 17, 48, 48, VSR_ACT_PRELU},
    {13, 5, 16, 1, VSR_ACT_LEAKY_RELU},
    {4, 9, 64, 7, VSR_ACT_CLIP},
    {10, 10, 2, 16, VSR_ACT_PRELU},
    {11, 6, 28, 48, VSR_ACT_NONE},
    {8, 8, 5, 3, VSR_ACT_RELU},
    /* rows of more than one block of tiles (48 for F(2,3), 24 for F(4,3)), the
     * interior ones read in place, with a right strip wider than a tile */
    {9, 203, 3, 16, VSR_ACT_RELU},
    {6, 102, 4, 20, VSR_ACT_NONE},
};
enum { NCASES = sizeof(cases) / sizeof(cases[0]) };

/* every output of F(2,3) and F(4,3), SIMD, scalar and AVX2-only (when the CPU has more
 * than AVX2), under its bound; direct too */
static void bound_test(vsr_precision prec)
{
    int f16 = prec == VSR_PREC_FP16;
    double worst[3] = {0}, mabs[3] = {0};
    for (int ci = 0; ci < NCASES; ci++) {
        conv_data d;
        make(&d, cases[ci], 11u + (uint32_t)ci * 7u, f16);
        for (int kernels = 0; kernels < 3; kernels++) {
            unsigned cpu = vsr_cpu_features();
            if (kernels == 2 && (!(cpu & VSR_ISA_AVX2) || cpu == VSR_ISA_AVX2))
                continue; /* the same kernels as row 0 */
            static const vsr_conv_algo algos[3] = {VSR_CONV_DIRECT, VSR_CONV_WINOGRAD,
                                                   VSR_CONV_WINOGRAD4};
            for (int a = 0; a < 3; a++) {
                const char *chosen = NULL;
                float *out = run(&d, prec, algos[a], kernels, 1, &chosen);
                assert_string_equal(chosen, a == 0   ? "direct"
                                            : a == 1 ? "winograd F(2,3)"
                                                     : "winograd F(4,3)");
                double r = check(&d, out, a == 0 ? 0 : a == 1 ? 2 : 4, f16, &mabs[a]);
                worst[a] = r > worst[a] ? r : worst[a];
                free(out);
            }
        }
        drop(&d);
    }
    print_message("%s: max error / bound: direct %.3g, F(2,3) %.3g, F(4,3) %.3g; "
                  "max |error|: %.3g, %.3g, %.3g\n",
                  f16 ? "fp16" : "fp32", worst[0], worst[1], worst[2], mabs[0], mabs[1],
                  mabs[2]);
}

static void test_bound_fp32(void **state)
{
    (void)state;
    bound_test(VSR_PREC_FP32);
}

static void test_bound_fp16(void **state)
{
    (void)state;
    bound_test(VSR_PREC_FP16);
}

/* The AVX-512 transforms and their scalar twins do the same operations in the same
 * order (no contraction in ISO C mode): the same bits. */
static void test_transform_twins(void **state)
{
    (void)state;
    if (!(vsr_cpu_features() & VSR_ISA_AVX512)) {
        VSR_SKIP("the CPU has no AVX-512 (the scalar transforms are tested above)");
        return;
    }
    enum { NT = 5, CIN = 37 };
    for (int m = 2; m <= 4; m += 2) {
        int a = m + 2;
        ptrdiff_t in_row = (ptrdiff_t)(NT * m + 2) * CIN;
        float *in = malloc((size_t)a * in_row * sizeof(float));
        fill_rand(in, (size_t)a * in_row, 5u + (uint32_t)m, -3.f, 3.f);
        size_t v_xi = (size_t)NT * CIN + 3, nv = (size_t)a * a * v_xi;
        float *v0 = calloc(nv, sizeof(float)), *v1 = calloc(nv, sizeof(float));
        vsr_f32_wino_in__scalar(m, in, in_row, CIN, NT, v0, v_xi);
        vsr_f32_wino_in__avx512f(m, in, in_row, CIN, NT, v1, v_xi);
        assert_memory_equal(v0, v1, nv * sizeof(float));
        float bias[CIN];
        fill_rand(bias, CIN, 9, -1.f, 1.f);
        ptrdiff_t out_row = (ptrdiff_t)NT * m * CIN + 7;
        size_t no = (size_t)m * out_row;
        float *o0 = calloc(no, sizeof(float)), *o1 = calloc(no, sizeof(float));
        vsr_f32_wino_out__scalar(m, v0, v_xi, CIN, NT, bias, -5.f, 40.f, o0, out_row);
        vsr_f32_wino_out__avx512f(m, v0, v_xi, CIN, NT, bias, -5.f, 40.f, o1, out_row);
        assert_memory_equal(o0, o1, no * sizeof(float));
        free(in), free(v0), free(v1), free(o0), free(o1);
    }
}

/* tiles are aligned at output (0, 0) and items are whole tile rows: the same bytes
 * for 1 and 2 threads (37 rows: 19 / 10 tile rows split 8 / 16 ways) */
static void test_threads_same_bytes(void **state)
{
    (void)state;
    static const conv_case k[2] = {{37, 29, 28, 28, VSR_ACT_RELU},
                                   {37, 23, 3, 48, VSR_ACT_PRELU}};
    for (int c = 0; c < 2; c++)
        for (int prec = 0; prec < 2; prec++) {
            conv_data d;
            make(&d, k[c], 3u + (uint32_t)c, prec);
            for (int a = VSR_CONV_WINOGRAD; a <= VSR_CONV_WINOGRAD4; a++) {
                float *o1 = run(&d, (vsr_precision)prec, (vsr_conv_algo)a, 0, 1, NULL);
                float *o2 = run(&d, (vsr_precision)prec, (vsr_conv_algo)a, 0, 2, NULL);
                assert_memory_equal(o1, o2, (size_t)d.k.h * d.k.w * d.k.cout * sizeof(float));
                free(o1), free(o2);
            }
            drop(&d);
        }
}

/* auto: "auto" until the first run, then one of the three, and its output obeys that
 * algorithm's bound; ineligible convs stay direct (no Winograd state) */
static void test_auto(void **state)
{
    (void)state;
    conv_data d;
    make(&d, (conv_case){20, 24, 28, 28, VSR_ACT_RELU}, 77, 0);
    vsr_graph *g = build(&d);
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.conv_algo = VSR_CONV_AUTO;
    vsr_engine *e = NULL;
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e, &err));
    vsr_layer_profile lp;
    OK(vsr_engine_layer_profile(e, 1, &lp));
    assert_string_equal(lp.algo, "auto");
    OK(vsr_engine_set_input(e, 0, d.x, d.k.h, d.k.w, d.k.cin, &err));
    OK(vsr_engine_run(e, &err));
    OK(vsr_engine_layer_profile(e, 1, &lp));
    int m = !strcmp(lp.algo, "direct")            ? 0
            : !strcmp(lp.algo, "winograd F(2,3)") ? 2
            : !strcmp(lp.algo, "winograd F(4,3)") ? 4
                                                  : -1;
    print_message("auto chose %s\n", lp.algo);
    assert_true(m >= 0);
    size_t n = (size_t)d.k.h * d.k.w * d.k.cout;
    float *out = malloc(n * sizeof(float));
    for (int r = 0; r < 2; r++) { /* the first frame and a later one */
        if (r)
            OK(vsr_engine_run(e, &err));
        OK(vsr_engine_get_output(e, 0, out, n, &err));
        double mabs = 0;
        check(&d, out, m, 0, &mabs);
    }
    free(out);
    vsr_engine_free(&e);
    /* FP16 native and a fused sigmoid keep the direct path */
    OK(vsr_engine_create(g, VSR_PREC_FP16N, NULL, &o, &e, &err));
    assert_null(e->conv[1].wino);
    vsr_engine_free(&e);
    vsr_graph_free(&g);
    d.k.act = VSR_ACT_SIGMOID;
    g = build(&d);
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e, &err));
    assert_null(e->conv[1].wino);
    OK(vsr_engine_layer_profile(e, 1, &lp));
    assert_string_equal(lp.algo, "direct");
    vsr_engine_free(&e);
    vsr_graph_free(&g);
    drop(&d);
}

static void test_names(void **state)
{
    (void)state;
    vsr_error err = {0};
    for (int a = 0; a <= VSR_CONV_AUTO; a++) {
        vsr_conv_algo b;
        OK(vsr_conv_algo_parse(vsr_conv_algo_name((vsr_conv_algo)a), &b, &err));
        assert_int_equal(b, a);
    }
    vsr_conv_algo b;
    assert_int_equal(vsr_conv_algo_parse("winograd6", &b, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "expected direct, winograd, winograd4 or auto"));
    assert_string_equal(vsr_conv_algo_name(VSR_CONV_WINOGRAD), "winograd");
    /* an engine refuses a value outside the enum; fp16n keeps every conv direct, a
     * PReLU one (which fp16n computes with FP32 accumulation) included */
    conv_data d;
    make(&d, (conv_case){4, 4, 3, 5, VSR_ACT_PRELU}, 5, 1);
    vsr_graph *g = build(&d);
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.conv_algo = (vsr_conv_algo)7;
    vsr_engine *e = NULL;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "conv_algo 7"));
    o.conv_algo = VSR_CONV_WINOGRAD4;
    OK(vsr_engine_create(g, VSR_PREC_FP16N, NULL, &o, &e, &err));
    assert_null(e->conv[1].wino);
    vsr_engine_free(&e);
    OK(vsr_engine_create(g, VSR_PREC_FP16, NULL, &o, &e, &err));
    assert_non_null(e->conv[1].wino);
    vsr_engine_free(&e);
    vsr_graph_free(&g);
    drop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_fp32),
        cmocka_unit_test(test_bound_fp16),
        cmocka_unit_test(test_transform_twins),
        cmocka_unit_test(test_threads_same_bytes),
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_names),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
