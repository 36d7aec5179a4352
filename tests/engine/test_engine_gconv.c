/*
 * Grouped convolution (conv2d with 1 < groups, not depthwise; ops/gconv.c and
 * the x86 grouped kernels):
 *
 *  1. FP32, FP16 and INT8 engine outputs against a naive double-precision loop
 *     written here (contiguous groups, TF SAME zero padding, HWIO weights as
 *     include/vsr/engine.h documents them), with tolerances derived per case;
 *     INT8 against the same loop run on the quantized operands (input scale 1,
 *     per-output-channel symmetric weights max|w| / 127, bias in s_x * s_w
 *     units, round to the output grid).
 *  2. The selected SIMD kernels against the forced scalar twins (VSR_FORCE_SCALAR
 *     equivalent: force_scalar): INT8 bit-identical, FP32 / FP16 within rounding.
 *  3. The grouped kernels with groups = 1 give the dense kernels' results, and
 *     with groups = C the engine's depthwise path's, on the same data (kernels
 *     called directly on padded rows built here).
 */
#include "engine_internal.h"
#include "engine_testutil.h"

typedef struct gcase {
    int C, CO, G, k, dil, relu;
} gcase;

/* XLSR's G-block conv, odd groups (cig 3, cog 5), several 8-blocks per group (cog 20),
 * dilation with 5x5 taps. */
static const gcase cases[] = {
    {32, 32, 4, 3, 1, 1},
    {12, 20, 4, 3, 1, 0},
    {8, 40, 2, 1, 1, 1},
    {6, 6, 2, 5, 2, 0},
};
#define NCASE (int)(sizeof(cases) / sizeof(cases[0]))
#define HH 9
#define WW 11

/* y[p][o] = b[o] + sum over its group's inputs and the taps inside the image; abs[p][o]
 * = |b[o]| + sum |x * w| (for the FP16 bound). */
static void naive(const gcase *t, const double *x, const double *w, const double *b, double *y,
                  double *abs_sum)
{
    int cig = t->C / t->G, cog = t->CO / t->G, c = (t->k - 1) / 2;
    for (int py = 0; py < HH; py++)
        for (int px = 0; px < WW; px++)
            for (int o = 0; o < t->CO; o++) {
                int gi = o / cog;
                double acc = b[o], ab = fabs(b[o]);
                for (int u = 0; u < t->k; u++)
                    for (int v = 0; v < t->k; v++) {
                        int iy = py + t->dil * (u - c), ix = px + t->dil * (v - c);
                        if (iy < 0 || iy >= HH || ix < 0 || ix >= WW)
                            continue;
                        for (int ci = 0; ci < cig; ci++) {
                            double xv = x[((size_t)iy * WW + ix) * t->C + gi * cig + ci];
                            double wv = w[(((size_t)u * t->k + v) * cig + ci) * t->CO + o];
                            acc += xv * wv;
                            ab += fabs(xv * wv);
                        }
                    }
                size_t k = ((size_t)py * WW + px) * t->CO + o;
                y[k] = t->relu && acc < 0 ? 0 : acc;
                if (abs_sum)
                    abs_sum[k] = ab;
            }
}

static vsr_graph *gconv_graph(const gcase *t, int *xt, int *yt)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("gconv", &g, &err));
    *xt = vsr_graph_input(g, "x", HH, WW, t->C, &err);
    vsr_conv_params p = vsr_conv_default(t->CO, t->k);
    p.groups = t->G;
    p.dilation = t->dil;
    if (t->relu)
        p.act.type = VSR_ACT_RELU;
    *yt = vsr_graph_conv2d(g, "g", *xt, &p, &err);
    OK(vsr_graph_output(g, "y", *yt, &err));
    OK(vsr_graph_status(g, &err));
    return g;
}

static float *input_pixels(const gcase *t, uint32_t seed)
{
    size_t n = (size_t)HH * WW * t->C;
    float *x = malloc(n * sizeof(float));
    fill_rand(x, n, seed, 0, 255);
    for (size_t i = 0; i < n; i++)
        x[i] = nearbyintf(x[i]); /* integers: exact in FP16 and at INT8 scale 1 */
    return x;
}

static double *widen(const float *a, size_t n)
{
    double *d = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        d[i] = a[i];
    return d;
}

static void test_grouped_vs_naive(void **state)
{
    (void)state;
    for (int ci = 0; ci < NCASE; ci++) {
        const gcase *t = &cases[ci];
        int xt, yt;
        vsr_graph *g = gconv_graph(t, &xt, &yt);
        rand_weights(g, 100u + (uint32_t)ci, -0.2f, 0.2f);
        const float *wf, *bf;
        size_t wn, bn;
        vsr_error err = {0};
        OK(vsr_graph_get_weight(g, "g.weight", &wf, &wn, &err));
        OK(vsr_graph_get_weight(g, "g.bias", &bf, &bn, &err));
        assert_int_equal(wn, (size_t)t->k * t->k * (t->C / t->G) * t->CO);
        float *x = input_pixels(t, 7u + (uint32_t)ci);
        size_t nx = (size_t)HH * WW * t->C, ny = (size_t)HH * WW * t->CO;
        double *xd = widen(x, nx), *wd = widen(wf, wn), *bd = widen(bf, bn);
        double *ref = malloc(ny * sizeof(double)), *ab = malloc(ny * sizeof(double));
        naive(t, xd, wd, bd, ref, ab);
        double lo = 0, hi = 0, mx = 0;
        for (size_t i = 0; i < ny; i++) {
            lo = fmin(lo, ref[i]), hi = fmax(hi, ref[i]);
            mx = fmax(mx, fabs(ref[i]));
        }
        /* INT8: input exact at scale 1; output grid over the reference's range */
        float sy = (float)((hi - lo) / 255.0);
        int zy = (int)lrint(-128.0 - lo / sy);
        OK(vsr_graph_set_quant(g, xt, 1.f, -128, &err));
        OK(vsr_graph_set_quant(g, yt, sy, zy, &err));
        const float *in[1] = {x};
        int oh, ow, oc;
        /* FP32: a sum of k*k*cig products in float, relative to the output's size */
        float *y = run_graph(g, VSR_PREC_FP32, NULL, in, HH, WW, 0, &oh, &ow, &oc);
        assert_int_equal(oh, HH), assert_int_equal(ow, WW), assert_int_equal(oc, t->CO);
        for (size_t i = 0; i < ny; i++)
            assert_true(fabs(y[i] - ref[i]) <= 1e-6 * (ab[i] + 1.0));
        free(y);
        /* FP16: weights and bias rounded to binary16 (relative 2^-11 each), FP32 sums,
         * the output rounded to binary16 */
        y = run_graph(g, VSR_PREC_FP16, NULL, in, HH, WW, 0, &oh, &ow, &oc);
        for (size_t i = 0; i < ny; i++) {
            double tol = ab[i] * (0x1p-11 + 1e-6) + fabs(ref[i]) * 0x1p-11 + 1e-6;
            if (fabs(y[i] - ref[i]) > tol)
                print_message("case %d fp16 %zu: %g vs %g (tol %g)\n", ci, i, y[i], ref[i],
                              tol);
            assert_true(fabs(y[i] - ref[i]) <= tol);
        }
        free(y);
        /* INT8: the quantized arithmetic modelled in double */
        size_t per_o = wn / (size_t)t->CO;
        double *wq = malloc(wn * sizeof(double)), *bq = malloc(bn * sizeof(double));
        for (int o = 0; o < t->CO; o++) {
            double m = 0;
            for (size_t k = 0; k < per_o; k++)
                m = fmax(m, fabs(wd[k * t->CO + o]));
            double ws = m > 0 ? (double)((float)m / 127.f) : 1.0;
            for (size_t k = 0; k < per_o; k++)
                wq[k * t->CO + o] = nearbyint(wd[k * t->CO + o] / ws) * ws;
            bq[o] = nearbyint(bd[o] / ws) * ws;
        }
        double *refq = malloc(ny * sizeof(double));
        naive(t, xd, wq, bq, refq, NULL);
        y = run_graph(g, VSR_PREC_INT8, NULL, in, HH, WW, 0, &oh, &ow, &oc);
        size_t exact = 0;
        for (size_t i = 0; i < ny; i++) {
            double q = nearbyint(refq[i] / sy) + zy;
            q = q < -128 ? -128 : q > 127 ? 127 : q;
            double want = sy * (q - zy);
            assert_true(fabs(y[i] - want) <= 1.001 * sy); /* a tie may round either way */
            exact += fabs(y[i] - want) <= 1e-3 * sy;
        }
        print_message("case %d: int8 equals the double model at %zu of %zu outputs\n", ci,
                      exact, ny);
        assert_true(exact * 100 >= ny * 98);
        free(y), free(wq), free(bq), free(refq);
        free(x), free(xd), free(wd), free(bd), free(ref), free(ab);
        vsr_graph_free(&g);
    }
}

static void test_simd_vs_scalar(void **state)
{
    (void)state;
    if (!(vsr_cpu_isa() & VSR_ISA_AVX2))
        VSR_SKIP("no AVX2: only the scalar grouped kernels exist here");
    vsr_engine_options so, avx2;
    vsr_engine_options_default(&so);
    so.force_scalar = 1;
    vsr_engine_options_default(&avx2);
    avx2.isa_mask = VSR_ISA_AVX2;
    for (int ci = 0; ci < NCASE; ci++) {
        const gcase *t = &cases[ci];
        int xt, yt;
        vsr_graph *g = gconv_graph(t, &xt, &yt);
        rand_weights(g, 200u + (uint32_t)ci, -0.2f, 0.2f);
        vsr_error err = {0};
        OK(vsr_graph_set_quant(g, xt, 1.f, -128, &err));
        OK(vsr_graph_set_quant(g, yt, 0.25f, -20, &err));
        float *x = input_pixels(t, 9u + (uint32_t)ci);
        const float *in[1] = {x};
        /* the engine really takes the grouped kernels: SIMD by default, scalar forced */
        for (int prec = 0; prec < 3; prec++) {
            vsr_engine *e = NULL;
            OK(vsr_engine_create(g, (vsr_precision)prec, NULL, NULL, &e, &err));
            assert_int_equal(e->conv[yt].grouped, 1);
            assert_true(e->k.f32_gconv == vsr_f32_gconv_ukernel_4x8__avx2);
            assert_true(e->k.qs8_gconv == vsr_qs8_gconv_i16_ukernel_4x8__avx2);
            vsr_engine_free(&e);
            OK(vsr_engine_create(g, (vsr_precision)prec, NULL, &so, &e, &err));
            assert_true(e->k.f32_gconv == vsr_f32_gconv_ukernel_1x8__scalar);
            assert_true(e->k.qs8_gconv == vsr_qs8_gconv_i16_ukernel_1x8__scalar);
            vsr_engine_free(&e);
            setenv("VSR_FORCE_SCALAR", "1", 1); /* the environment switch, same choice */
            OK(vsr_engine_create(g, (vsr_precision)prec, NULL, NULL, &e, &err));
            unsetenv("VSR_FORCE_SCALAR");
            assert_true(e->k.f32_gconv == vsr_f32_gconv_ukernel_1x8__scalar);
            assert_true(e->k.qs8_gconv == vsr_qs8_gconv_i16_ukernel_1x8__scalar);
            vsr_engine_free(&e);
        }
        /* FP16N does binary16 arithmetic in dense convs only: a grouped conv keeps
         * FP16's widened FP32 sums, bit for bit */
        {
            int oh, ow, oc;
            size_t ny = (size_t)HH * WW * t->CO;
            float *a = run_graph(g, VSR_PREC_FP16, NULL, in, HH, WW, 0, &oh, &ow, &oc);
            float *b = run_graph(g, VSR_PREC_FP16N, NULL, in, HH, WW, 0, &oh, &ow, &oc);
            assert_memory_equal(a, b, ny * sizeof(float));
            free(a), free(b);
        }
        size_t ny = (size_t)HH * WW * t->CO;
        for (int run = 0; run < 4; run++) {
            int prec = run < 3 ? run : VSR_PREC_INT8;
            const vsr_engine_options *simd = run < 3 ? NULL : &avx2;
            int oh, ow, oc;
            float *a = run_graph(g, (vsr_precision)prec, &so, in, HH, WW, 0, &oh, &ow, &oc);
            float *b = run_graph(g, (vsr_precision)prec, simd, in, HH, WW, 0, &oh, &ow, &oc);
            if (prec == VSR_PREC_INT8) {
                assert_memory_equal(a, b, ny * sizeof(float));
            } else {
                /* FMA contraction (FP32); plus one binary16 rounding flip (FP16) */
                float mx = 0;
                for (size_t i = 0; i < ny; i++)
                    mx = fmaxf(mx, fabsf(a[i]));
                float tol = (prec == VSR_PREC_FP32 ? 1e-6f : 1e-3f) * mx;
                for (size_t i = 0; i < ny; i++)
                    assert_true(fabsf(a[i] - b[i]) <= tol);
            }
            free(a), free(b);
        }
        free(x);
        vsr_graph_free(&g);
    }
}

/* ---- the kernels on padded rows built here ----------------------------------- */

typedef struct padded {
    int Wp, rows, C;
    float *f;   /* [rows][Wp][C] + slack */
    int16_t *s; /* the same as int16 */
} padded;

/* x (HH x WW x C) zero-padded by pad on every side. */
static padded pad_input(const float *x, int C, int pad)
{
    padded p = {WW + 2 * pad, HH + 2 * pad, C, NULL, NULL};
    size_t n = (size_t)p.rows * p.Wp * C + 64;
    p.f = calloc(n, sizeof(float));
    p.s = calloc(n, sizeof(int16_t));
    for (int y = 0; y < HH; y++)
        for (int xx = 0; xx < WW; xx++)
            for (int c = 0; c < C; c++) {
                float v = x[((size_t)y * WW + xx) * C + c];
                size_t k = ((size_t)(y + pad) * p.Wp + (size_t)(xx + pad)) * C + (size_t)c;
                p.f[k] = v;
                p.s[k] = (int16_t)v;
            }
    return p;
}

/* The group layouts of vsr_conv_uk (engine_kernels.h) from HWIO w, bias b. */
static void pack_groups(vsr_conv_uk *uk, int G, int C, int CO, int k, const float *w,
                        const float *b, float **gw, float **gb)
{
    int cig = C / G, cog = CO / G, nb = (cog + 7) / 8, taps = k * k;
    *gw = calloc((size_t)G * nb * 8 * taps * cig, sizeof(float));
    *gb = calloc((size_t)G * nb * 8, sizeof(float));
    for (int o = 0; o < CO; o++) {
        int gi = o / cog, kk = o % cog, blk = gi * nb + kk / 8, j = kk % 8;
        (*gb)[blk * 8 + j] = b[o];
        for (int t = 0; t < taps; t++)
            for (int ci = 0; ci < cig; ci++)
                (*gw)[(((size_t)blk * taps + t) * cig + ci) * 8 + j] =
                    w[((size_t)t * cig + ci) * CO + o];
    }
    uk->groups = G, uk->cig = cig, uk->cog = cog, uk->ncob8 = nb;
    uk->gwf = *gw, uk->gbf = *gb;
}

static void uk_common(vsr_conv_uk *uk, int C, int CO, int k, const padded *p)
{
    memset(uk, 0, sizeof(*uk));
    uk->kh = uk->kw = k, uk->dil = 1, uk->cin = C, uk->cout = CO;
    uk->in_row = (ptrdiff_t)p->Wp * C;
    uk->minv = -INFINITY, uk->maxv = INFINITY;
}

typedef void (*f32k)(const vsr_conv_uk *, const float *, float *, int);

static float *run_rows(f32k fn, const vsr_conv_uk *uk, const padded *p, int CO)
{
    float *out = malloc((size_t)HH * WW * CO * sizeof(float));
    for (int y = 0; y < HH; y++)
        fn(uk, p->f + (size_t)y * uk->in_row, out + (size_t)y * WW * CO, WW);
    return out;
}

/* groups = 1: the grouped kernels compute the dense conv (FP32 against the dense
 * kernels; INT8 int16-pair kernels bit for bit). */
static void test_groups1_equals_dense(void **state)
{
    (void)state;
    enum { C = 10, CO = 19, K = 3 };
    float *x = malloc(HH * WW * C * sizeof(float)), w[K * K * C * CO], b[CO];
    fill_rand(x, HH * WW * C, 5, 0, 255);
    for (int i = 0; i < HH * WW * C; i++)
        x[i] = nearbyintf(x[i]) - 128.f; /* as the (x - zp) int16 rows */
    fill_rand(w, K * K * C * CO, 6, -0.3f, 0.3f);
    fill_rand(b, CO, 7, -5, 5);
    padded p = pad_input(x, C, 1);
    vsr_conv_uk uk;
    uk_common(&uk, C, CO, K, &p);
    float *gw, *gb;
    pack_groups(&uk, 1, C, CO, K, w, b, &gw, &gb);
    /* dense FP32 layout [cob][ky][kx][ci][16] */
    int ncob = (CO + 15) / 16;
    float *dw = calloc((size_t)ncob * 16 * K * K * C, sizeof(float));
    float *db = calloc((size_t)ncob * 16, sizeof(float));
    for (int o = 0; o < CO; o++) {
        db[o] = b[o];
        for (int t = 0; t < K * K; t++)
            for (int ci = 0; ci < C; ci++)
                dw[(((size_t)(o / 16) * K * K + t) * C + ci) * 16 + o % 16] =
                    w[((size_t)t * C + ci) * CO + o];
    }
    uk.ncob = ncob, uk.wf = dw, uk.bf = db;
    float *a = run_rows(vsr_f32_conv_ukernel_1x16__scalar, &uk, &p, CO);
    float *s = run_rows(vsr_f32_gconv_ukernel_1x8__scalar, &uk, &p, CO);
    assert_memory_equal(a, s, (size_t)HH * WW * CO * sizeof(float)); /* same order */
    if (vsr_cpu_isa() & VSR_ISA_AVX2) {
        float *v = run_rows(vsr_f32_gconv_ukernel_4x8__avx2, &uk, &p, CO);
        /* FMA contraction: relative to the output's magnitude (the sums cancel) */
        float mx = 0, worst = 0;
        for (int i = 0; i < HH * WW * CO; i++)
            mx = fmaxf(mx, fabsf(a[i])), worst = fmaxf(worst, fabsf(v[i] - a[i]));
        print_message("groups 1: |avx2 - dense| <= %g (max |y| %g)\n", worst, mx);
        assert_true(worst <= 1e-6f * mx);
        free(v);
    }
    /* INT8: integer weights, the int16 layouts, one requantization for all channels */
    int8_t wq[K * K * C * CO];
    for (int i = 0; i < K * K * C * CO; i++)
        wq[i] = (int8_t)lrintf(w[i] * 400.f);
    int cin2 = (C + 1) / 2, cig2 = cin2, nb = (CO + 7) / 8;
    int16_t *w16 = calloc((size_t)ncob * K * K * cin2 * 32, sizeof(int16_t));
    int16_t *g16 = calloc((size_t)nb * K * K * cig2 * 16, sizeof(int16_t));
    int32_t b16[32] = {0}, gb16[24] = {0}, qm[32], qs[32];
    for (int o = 0; o < 32; o++)
        qm[o] = 1518500250, qs[o] = 40; /* 2^-9.5 */
    for (int o = 0; o < CO; o++) {
        b16[o] = gb16[o] = (int32_t)(b[o] * 100.f);
        for (int t = 0; t < K * K; t++)
            for (int ci = 0; ci < C; ci++) {
                int8_t v = wq[((size_t)t * C + ci) * CO + o];
                w16[((((size_t)(o / 16) * K * K + t) * cin2 + ci / 2) * 16 + o % 16) * 2 +
                    ci % 2] = v;
                g16[((((size_t)(o / 8) * K * K + t) * cig2 + ci / 2) * 8 + o % 8) * 2 +
                    ci % 2] = v;
            }
    }
    uk.w16 = w16, uk.b16 = b16, uk.qm = qm, uk.qs = qs;
    uk.gw16 = g16, uk.gb16 = gb16, uk.gqm = qm, uk.gqs = qs;
    uk.zp_out = 3, uk.qmin = -128, uk.qmax = 127;
    int8_t *qa = malloc(HH * WW * CO), *qg = malloc(HH * WW * CO);
    for (int y = 0; y < HH; y++) {
        vsr_qs8_conv_i16_ukernel_1x16__scalar(&uk, p.s + (size_t)y * uk.in_row,
                                              qa + (size_t)y * WW * CO, WW);
        vsr_qs8_gconv_i16_ukernel_1x8__scalar(&uk, p.s + (size_t)y * uk.in_row,
                                              qg + (size_t)y * WW * CO, WW);
    }
    assert_memory_equal(qa, qg, HH * WW * CO);
    int distinct = 0; /* the outputs are not all clamped to one value */
    for (int i = 1; i < HH * WW * CO; i++)
        distinct += qa[i] != qa[0];
    assert_true(distinct > HH * WW * CO / 2);
    if (vsr_cpu_isa() & VSR_ISA_AVX2) {
        for (int y = 0; y < HH; y++)
            vsr_qs8_gconv_i16_ukernel_4x8__avx2(&uk, p.s + (size_t)y * uk.in_row,
                                                qg + (size_t)y * WW * CO, WW);
        assert_memory_equal(qa, qg, HH * WW * CO);
    }
    free(qa), free(qg), free(w16), free(g16);
    free(a), free(s), free(dw), free(db), free(gw), free(gb), free(p.f), free(p.s), free(x);
}

/* groups = C: the grouped kernels compute what the engine's depthwise path does. */
static void test_groupsC_equals_depthwise(void **state)
{
    (void)state;
    enum { C = 12, K = 3 };
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("dw", &g, &err));
    int xt = vsr_graph_input(g, "x", HH, WW, C, &err);
    vsr_conv_params cp = vsr_conv_default(C, K);
    cp.groups = C;
    int yt = vsr_graph_conv2d(g, "dw", xt, &cp, &err);
    OK(vsr_graph_output(g, "y", yt, &err));
    rand_weights(g, 11, -0.3f, 0.3f);
    const float *w, *b;
    size_t wn, bn;
    OK(vsr_graph_get_weight(g, "dw.weight", &w, &wn, &err));
    OK(vsr_graph_get_weight(g, "dw.bias", &b, &bn, &err));
    float *x = malloc(HH * WW * C * sizeof(float));
    fill_rand(x, HH * WW * C, 12, 0, 255);
    const float *in[1] = {x};
    vsr_engine *e = NULL;
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err));
    assert_int_equal(e->conv[yt].dw, 1); /* the engine's depthwise path, not grouped */
    assert_int_equal(e->conv[yt].grouped, 0);
    vsr_engine_free(&e);
    int oh, ow, oc;
    float *ref = run_graph(g, VSR_PREC_FP32, NULL, in, HH, WW, 0, &oh, &ow, &oc);
    padded p = pad_input(x, C, 1);
    vsr_conv_uk uk;
    uk_common(&uk, C, C, K, &p);
    float *gw, *gb;
    pack_groups(&uk, C, C, C, K, w, b, &gw, &gb);
    float *s = run_rows(vsr_f32_gconv_ukernel_1x8__scalar, &uk, &p, C);
    for (int i = 0; i < HH * WW * C; i++)
        assert_true(fabsf(s[i] - ref[i]) <= 1e-5f * (1.f + fabsf(ref[i])));
    if (vsr_cpu_isa() & VSR_ISA_AVX2) {
        float *v = run_rows(vsr_f32_gconv_ukernel_4x8__avx2, &uk, &p, C);
        for (int i = 0; i < HH * WW * C; i++)
            assert_true(fabsf(v[i] - ref[i]) <= 1e-5f * (1.f + fabsf(ref[i])));
        free(v);
    }
    free(s), free(ref), free(gw), free(gb), free(p.f), free(p.s), free(x);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouped_vs_naive),
        cmocka_unit_test(test_simd_vs_scalar),
        cmocka_unit_test(test_groups1_equals_dense),
        cmocka_unit_test(test_groupsC_equals_depthwise),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
