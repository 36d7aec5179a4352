/*
 * INT8: requantization edge cases, multipliers, INT8 conv vs float, SIMD
 * microkernels vs their scalar twins (INT8 bit-exact, FP32 within 1e-5
 * relative) at odd sizes and unaligned pointers, engine-level SIMD vs
 * forced scalar, and calibration on a known distribution.
 */
#include "engine_internal.h"
#include "engine_testutil.h"

static void test_requant_rounding_saturation(void **state)
{
    (void)state;
    const int32_t half = 1 << 30;                     /* M = 2^30, S = 31 -> x 0.5 */
    assert_int_equal(vsr__requant(3, half, 31), 2);   /* 1.5 -> 2 (away from zero) */
    assert_int_equal(vsr__requant(-3, half, 31), -2); /* -1.5 -> -2 */
    assert_int_equal(vsr__requant(5, half, 31), 3);
    assert_int_equal(vsr__requant(-5, half, 31), -3);
    assert_int_equal(vsr__requant(4, half, 31), 2);
    assert_int_equal(vsr__requant(-1, half, 31), -1);                      /* -0.5 -> -1 */
    assert_int_equal(vsr__requant(1, half, 32), 0);                        /* 0.25 -> 0 */
    assert_int_equal(vsr__requant(-1, half, 32), 0);                       /* -0.25 -> 0 */
    assert_int_equal(vsr__requant(-7, half, 32), -2);                      /* -1.75 -> -2 */
    assert_int_equal(vsr__requant(INT32_MIN, INT32_MAX, 31), -2147483647); /* no overflow */
    /* saturation and zero point, x 1.0 */
    assert_int_equal(vsr__requant_clamp(1000, half, 30, 0, -128, 127), 127);
    assert_int_equal(vsr__requant_clamp(-1000, half, 30, 0, -128, 127), -128);
    assert_int_equal(vsr__requant_clamp(100, half, 30, 10, -128, 127), 110);
    assert_int_equal(vsr__requant_clamp(120, half, 30, 10, -128, 127), 127);
    /* fused ReLU: clamp at the zero point */
    assert_int_equal(vsr__requant_clamp(-50, half, 30, -20, -20, 127), -20);
}

/* The libm-free rounding equals vsr__quantize1 (nearbyintf) everywhere: ties at
 * every half step, both signs, both sides of 2^22, saturation, inf and NaN. */
static void test_quantize_fast_equals_reference(void **state)
{
    (void)state;
    static const float inv[] = {1.f, 0.5f, 2.f, 1.f / 0.37f, 1e-3f, 3e4f};
    static const int zps[] = {0, -128, 127, -7, 33};
    float special[] = {0.f,       -0.f,      0.5f,       -0.5f,      1.5f,
                       -1.5f,     2.5f,      -2.5f,      4194303.5f, -4194303.5f,
                       4194304.f, 4194305.f, -4194305.f, 8388609.f,  1e10f,
                       -1e10f,    INFINITY,  -INFINITY,  NAN,        127.5f,
                       -128.5f,   126.5f,    -127.5f,    1e-30f,     -1e-30f};
    int checked = 0;
    for (size_t a = 0; a < sizeof(inv) / sizeof(inv[0]); a++)
        for (size_t z = 0; z < sizeof(zps) / sizeof(zps[0]); z++) {
            for (int k = -2400; k <= 2400; k++) { /* -300 .. 300 in steps of 1/8 */
                float v = (float)k / 8.f;
                assert_int_equal(vsr__quantize1_fast(v, inv[a], zps[z]),
                                 vsr__quantize1(v, inv[a], zps[z]));
                checked++;
            }
            for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
                assert_int_equal(vsr__quantize1_fast(special[k], 1.f, zps[z]),
                                 vsr__quantize1(special[k], 1.f, zps[z]));
                assert_int_equal(vsr__quantize1_fast(special[k], inv[a], zps[z]),
                                 vsr__quantize1(special[k], inv[a], zps[z]));
            }
        }
    assert_true(checked > 100000);
    /* hand values: ties to even, saturation */
    assert_int_equal(vsr__quantize1_fast(2.5f, 1.f, 0), 2);
    assert_int_equal(vsr__quantize1_fast(-2.5f, 1.f, 0), -2);
    assert_int_equal(vsr__quantize1_fast(3.5f, 1.f, 0), 4);
    assert_int_equal(vsr__quantize1_fast(1000.f, 1.f, 0), 127);
    assert_int_equal(vsr__quantize1_fast(NAN, 1.f, 0), -128);
}

static void test_quant_multiplier(void **state)
{
    (void)state;
    int32_t m;
    int s;
    assert_int_equal(vsr__quant_multiplier(0.5, &m, &s), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 31);
    assert_int_equal(vsr__quant_multiplier(1.0, &m, &s), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 30);
    assert_int_equal(vsr__quant_multiplier(0.75, &m, &s), 0);
    assert_int_equal(m, 1610612736);
    assert_int_equal(s, 31);
    assert_int_equal(vsr__quant_multiplier(0.0, &m, &s), -ERANGE);
    assert_int_equal(vsr__quant_multiplier(3e9, &m, &s), -ERANGE);
    /* a multiplier applied to 1000 gives round(1000 * real) */
    assert_int_equal(vsr__quant_multiplier(0.0123, &m, &s), 0);
    assert_int_equal(vsr__requant(1000, m, s), 12);
    float scale;
    int zp;
    vsr__quant_from_range(0.f, 255.f, &scale, &zp);
    assert_float_equal(scale, 1.f, 0);
    assert_int_equal(zp, -128);
    vsr__quant_from_range(-1.f, 1.f, &scale, &zp);
    assert_float_equal(scale, 2.f / 255.f, 1e-9);
    assert_int_equal(zp, -1); /* -128 + 127.5 = -0.5, rounded half away from zero */
}

/* ---- microkernels ------------------------------------------------------------ */

static void f32_case(vsr_f32_conv_ukernel k, int cin, int cout, int ksz, int dil, int n,
                     int off)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob = (cout + 15) / 16;
    int keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob * ksz * ksz * cin * 16, nin = (size_t)keff * W * cin + 64;
    float *w = malloc(nw * 4), *b = malloc((size_t)p.ncob * 64), *in = malloc(nin * 4 + 64);
    float *o1 = calloc((size_t)n * cout + 8, 4), *o2 = calloc((size_t)n * cout + 8, 4);
    fill_rand(w, nw, 11, -1, 1);
    fill_rand(b, (size_t)p.ncob * 16, 12, -1, 1);
    fill_rand(in, nin, 13, -2, 2);
    p.wf = w, p.bf = b, p.minv = -INFINITY, p.maxv = INFINITY;
    if (cout % 2)
        p.minv = 0.f; /* exercise the fused ReLU clamp too */
    vsr_f32_conv_ukernel_1x16__scalar(&p, in + off, o1 + off, n);
    k(&p, in + off, o2 + off, n);
    for (int i = 0; i < n * cout; i++) {
        float a = o1[off + i], c = o2[off + i];
        if (fabsf(a - c) > 1e-5f * (1.f + fabsf(a)))
            print_message("f32 cin %d cout %d k %d n %d: %d: %g vs %g\n", cin, cout, ksz, n, i,
                          a, c);
        assert_true(fabsf(a - c) <= 1e-5f * (1.f + fabsf(a)));
    }
    free(w), free(b), free(in), free(o1), free(o2);
}

static void qs8_case(vsr_qs8_conv_ukernel k, int cin, int cout, int ksz, int dil, int n,
                     int off, int u8)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob = (cout + 15) / 16;
    p.cin4 = (cin + 3) / 4;
    int keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob * ksz * ksz * p.cin4 * 64, nin = (size_t)keff * W * cin + 64;
    int8_t *w = calloc(nw, 1), *in = malloc(nin + 64);
    memset(in, 0, nin + 64);
    int8_t *o1 = calloc((size_t)n * cout + 8, 1), *o2 = calloc((size_t)n * cout + 8, 1);
    int32_t bq[64], qm[64], qs[64];
    float *r = malloc((nw + nin + 64 * 3) * 4);
    fill_rand(r, nw + nin + 192, 21, 0, 1);
    /* weights: zero in the padding lanes of the last channel group (as packed by the engine) */
    for (int cob = 0; cob < p.ncob; cob++)
        for (int t = 0; t < ksz * ksz; t++)
            for (int c4 = 0; c4 < p.cin4; c4++)
                for (int j = 0; j < 16; j++)
                    for (int bb = 0; bb < 4; bb++) {
                        size_t idx =
                            ((((size_t)cob * ksz * ksz + t) * p.cin4 + c4) * 16 + j) * 4 + bb;
                        if (c4 * 4 + bb < cin)
                            w[idx] = (int8_t)(r[idx] * 255.f - 127.f);
                    }
    for (size_t i = 0; i < nin; i++)
        in[i] = (int8_t)(r[nw + i] * 256.f - 128.f);
    for (int o = 0; o < p.ncob * 16; o++) {
        bq[o] = (int32_t)(r[nw + nin + o] * 4000.f) - 2000;
        /* multipliers from tiny to > 1 so that saturation and rounding both happen */
        vsr__quant_multiplier(0.00005 + 0.0005 * r[nw + nin + 64 + o] * (o % 5 ? 1 : 60),
                              &qm[o], &qs[o]);
        if (o % 7 == 3) /* M / 2^S = 1/2 or 1/4 exactly: every odd acc is a tie */
            qm[o] = 1 << 30, qs[o] = o % 2 ? 31 : 32;
    }
    p.wq = w, p.bq = bq, p.qm = qm, p.qs = qs;
    p.zp_out = -7, p.qmin = (cout % 2) ? -7 : -128, p.qmax = 127;
    vsr_qs8_conv_ukernel_1x16__scalar(&p, in + off, o1 + off, n);
    if (u8) {
        /* the u8 kernels take the same bytes biased to unsigned (x ^ 0x80): their scalar
         * twin and the SIMD kernel must both equal the signed reference */
        int8_t *inu = malloc(nin + 64), *o3 = calloc((size_t)n * cout + 8, 1);
        for (size_t i = 0; i < nin + 64; i++)
            inu[i] = (int8_t)((uint8_t)in[i] ^ 0x80);
        vsr_qs8_conv_ukernel_u8_1x16__scalar(&p, inu + off, o3 + off, n);
        assert_memory_equal(o1, o3, (size_t)n * cout + 8);
        k(&p, inu + off, o2 + off, n);
        free(inu), free(o3);
    } else {
        k(&p, in + off, o2 + off, n);
    }
    assert_memory_equal(o1, o2, (size_t)n * cout + 8);
    int distinct = 0;
    for (int i = 1; i < n * cout; i++)
        distinct += o1[off + i] != o1[off];
    assert_true(n * cout < 32 || distinct > 0); /* not everything saturated */
    free(w), free(in), free(o1), free(o2), free(r);
}

static void i16_case(int cin, int cout, int ksz, int dil, int n, int off)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob = (cout + 15) / 16;
    int cin2 = (cin + 1) / 2, keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob * ksz * ksz * cin2 * 32, nin = (size_t)keff * W * cin + 64;
    int16_t *w = calloc(nw, 2), *in = malloc((nin + 64) * 2);
    int8_t *o1 = calloc((size_t)n * cout + 8, 1), *o2 = calloc((size_t)n * cout + 8, 1);
    int32_t b[64], qm[64], qs[64];
    float *r = malloc((nw + nin + 192) * 4);
    fill_rand(r, nw + nin + 192, 23, 0, 1);
    for (size_t i = 0; i < nw; i++)
        if ((int)((i / 32) % (size_t)cin2) * 2 + (int)(i % 2) < cin)
            w[i] = (int16_t)(r[i] * 255.f - 127.f);
    for (size_t i = 0; i < nin; i++)
        in[i] = (int16_t)(r[nw + i] * 510.f - 255.f); /* x - zp spans [-255, 255] */
    for (int o = 0; o < p.ncob * 16; o++) {
        b[o] = (int32_t)(r[nw + nin + o] * 4000.f) - 2000;
        vsr__quant_multiplier(0.00005 + 0.0005 * r[nw + nin + 64 + o] * (o % 5 ? 1 : 60),
                              &qm[o], &qs[o]);
    }
    p.w16 = w, p.b16 = b, p.qm = qm, p.qs = qs;
    p.zp_out = 3, p.qmin = (cout % 2) ? 3 : -128, p.qmax = 100;
    vsr_qs8_conv_i16_ukernel_1x16__scalar(&p, in + off, o1 + off, n);
    vsr_qs8_conv_i16_ukernel_4x16__avx2(&p, in + off, o2 + off, n);
    assert_memory_equal(o1, o2, (size_t)n * cout + 8);
    free(w), free(in), free(o1), free(o2), free(r);
}

/* FP16 native (binary16 FMAs): SIMD vs the scalar twin. Same operations in the same
 * order; the twin rounds an FP32 sum to binary16, which can differ from the hardware's
 * single rounding by one unit on rare double-rounding ties, so: almost every output
 * bit-equal, the rest within a few binary16 units of the output's magnitude. */
static void f16_case(int cin, int cout, int ksz, int dil, int n, int off)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob32 = (cout + 31) / 32;
    int keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob32 * ksz * ksz * cin * 32, nin = (size_t)keff * W * cin + 64;
    uint16_t *w = malloc(nw * 2), *b = malloc((size_t)p.ncob32 * 64), *in = malloc(nin * 2);
    uint16_t *o1 = calloc((size_t)n * cout + 8, 2), *o2 = calloc((size_t)n * cout + 8, 2);
    float *r = malloc((nw + nin + 64) * 4);
    fill_rand(r, nw, 51, -0.5f, 0.5f);
    for (size_t i = 0; i < nw; i++)
        w[i] = vsr_f32_to_f16(r[i]);
    fill_rand(r, nin, 52, -2.f, 2.f);
    for (size_t i = 0; i < nin; i++)
        in[i] = vsr_f32_to_f16(r[i]);
    fill_rand(r, (size_t)p.ncob32 * 32, 53, -1.f, 1.f);
    for (int i = 0; i < p.ncob32 * 32; i++)
        b[i] = vsr_f32_to_f16(r[i]);
    p.wh = w, p.bh = b;
    p.minh = vsr_f32_to_f16(cout % 2 ? 0.f : -INFINITY), p.maxh = vsr_f32_to_f16(INFINITY);
    vsr_f16_conv_ukernel_1x32__scalar(&p, in + off, o1 + off, n);
    vsr_f16_conv_ukernel_nx64__avx512fp16(&p, in + off, o2 + off, n);
    float mx = 0.f;
    for (int i = 0; i < n * cout; i++)
        mx = fmaxf(mx, fabsf(vsr_f16_to_f32(o1[off + i])));
    int same = 0;
    for (int i = 0; i < n * cout; i++) {
        float a = vsr_f16_to_f32(o1[off + i]), c = vsr_f16_to_f32(o2[off + i]);
        same += o1[off + i] == o2[off + i];
        if (fabsf(a - c) > 4e-3f * fmaxf(mx, 1.f))
            print_message("f16 cin %d cout %d n %d: %d: %g vs %g\n", cin, cout, n, i, a, c);
        assert_true(fabsf(a - c) <= 4e-3f * fmaxf(mx, 1.f));
    }
    assert_true(same >= (n * cout * 95) / 100);
    assert_true(n * cout < 32 || mx > 0.f); /* not everything clamped */
    /* nothing written outside the outputs */
    for (int i = 0; i < off; i++)
        assert_int_equal(o2[i], 0);
    for (int i = off + n * cout; i < n * cout + 8; i++)
        assert_int_equal(o2[i], 0);
    free(w), free(b), free(in), free(o1), free(o2), free(r);
}

static void test_simd_vs_scalar_kernels(void **state)
{
    (void)state;
    unsigned isa = vsr_cpu_features();
    static const int shapes[][5] = {
        /* cin, cout, k, dil, n */
        {28, 28, 3, 1, 11},
        {3, 28, 3, 1, 7},
        {5, 7, 3, 2, 13},
        {16, 48, 3, 1, 9},
        {13, 33, 5, 1, 6},
        {1, 1, 1, 1, 5},
        {9, 16, 3, 3, 4},
        {6, 17, 1, 1, 3},
        /* the register-tiled nx48 kernels: 3x8 / 2x12 / 1x16 main steps, then 4-pixel and
         * 1-pixel remainders, compile-time widths 16/28/32/48 and runtime ones */
        {28, 28, 3, 1, 37},
        {48, 48, 3, 1, 29},
        {16, 16, 3, 1, 23},
        {32, 40, 3, 2, 21},
        {20, 64, 3, 1, 14},
        {48, 28, 1, 1, 30},
        {28, 48, 3, 1, 13},
        {7, 3, 3, 1, 19},
    };
    int tested = 0;
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
        for (int off = 0; off < 3; off++) {
            const int *c = shapes[s];
            if (isa & VSR_ISA_AVX2) {
                f32_case(vsr_f32_conv_ukernel_4x16__avx2, c[0], c[1], c[2], c[3], c[4], off);
                i16_case(c[0], c[1], c[2], c[3], c[4], off);
                tested++;
            }
            if (isa & VSR_ISA_AVX512) {
                f32_case(vsr_f32_conv_ukernel_4x32__avx512f, c[0], c[1], c[2], c[3], c[4], off);
                f32_case(vsr_f32_conv_ukernel_nx48__avx512f, c[0], c[1], c[2], c[3], c[4], off);
                tested++;
            }
            if (isa & VSR_ISA_AVX512FP16) {
                f16_case(c[0], c[1], c[2], c[3], c[4], off);
                tested++;
            }
            if (isa & VSR_ISA_AVX512VNNI) {
                qs8_case(vsr_qs8_conv_ukernel_4x16__avx512vnni, c[0], c[1], c[2], c[3], c[4],
                         off, 0);
                qs8_case(vsr_qs8_conv_ukernel_u8_nx48__avx512vnni, c[0], c[1], c[2], c[3], c[4],
                         off, 1);
                tested++;
            }
        }
    if (!tested) {
        print_message("skipped: this CPU has no AVX2/AVX-512\n");
        skip();
    }
}

/* ---- engine-level ------------------------------------------------------------ */

static vsr_graph *conv_net(int h, int w)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("net", &g, &err));
    int x = vsr_graph_input(g, "x", h, w, 3, &err);
    vsr_conv_params p = vsr_conv_default(28, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    p.dilation = 2;
    t = vsr_graph_conv2d(g, "c2", t, &p, &err);
    p.dilation = 1;
    p.cout = 12;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "c3", t, &p, &err);
    OK(vsr_graph_output(g, "y", t, &err));
    rand_weights(g, 5, -0.3f, 0.3f);
    return g;
}

static void calibrate(vsr_graph *g, const float *in0, int h, int w, vsr_calib_method m)
{
    vsr_error err = {0};
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float *in[1] = {in0};
    OK(vsr_calib_feed(c, in, h, w, &err));
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    o.method = m;
    OK(vsr_calib_finish(c, &o, g, &err));
    vsr_calib_free(&c);
}

static void test_int8_conv_within_one_step(void **state)
{
    (void)state;
    /* a single conv so that the error is one layer's: input exactly representable */
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("one", &g, &err));
    int x = vsr_graph_input(g, "x", 7, 9, 8, &err);
    vsr_conv_params p = vsr_conv_default(5, 3);
    int y = vsr_graph_conv2d(g, "c", x, &p, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    rand_weights(g, 9, -0.1f, 0.1f);
    float in0[7 * 9 * 8];
    fill_rand(in0, sizeof(in0) / 4, 4, 0, 255);
    for (size_t i = 0; i < sizeof(in0) / 4; i++)
        in0[i] = nearbyintf(in0[i]); /* integer pixels: exact with scale 1 */
    calibrate(g, in0, 7, 9, VSR_CALIB_MINMAX);
    float s;
    int zp;
    OK(vsr_graph_get_quant(g, y, &s, &zp, &err));
    const float *in[1] = {in0};
    int oh, ow, oc;
    float *a = run_graph(g, VSR_PREC_FP32, NULL, in, 7, 9, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_INT8, NULL, in, 7, 9, 0, &oh, &ow, &oc);
    float worst = 0;
    for (int i = 0; i < oh * ow * oc; i++)
        worst = fmaxf(worst, fabsf(a[i] - b[i]));
    print_message("int8 conv: worst |int8 - fp32| = %g, output step %g\n", worst, s);
    assert_true(worst <= s);
    free(a), free(b);
    vsr_graph_free(&g);
}

static void test_engine_simd_vs_scalar(void **state)
{
    (void)state;
    int h = 13, w = 17;
    vsr_graph *g = conv_net(h, w);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 8, 0, 255);
    calibrate(g, in0, h, w, VSR_CALIB_MINMAX);
    const float *in[1] = {in0};
    vsr_engine_options so;
    vsr_engine_options_default(&so);
    so.force_scalar = 1;
    int oh, ow, oc;
    vsr_engine_options avx2;
    vsr_engine_options_default(&avx2);
    avx2.isa_mask = VSR_ISA_AVX2; /* the non-VNNI INT8 path (int16 pairs) */
    for (int run = 0; run < 4; run++) {
        int prec = run < 3 ? run : VSR_PREC_INT8;
        float *a = run_graph(g, (vsr_precision)prec, &so, in, h, w, 0, &oh, &ow, &oc);
        float *b = run_graph(g, (vsr_precision)prec, run < 3 ? NULL : &avx2, in, h, w, 0, &oh,
                             &ow, &oc);
        size_t n = (size_t)oh * ow * oc;
        if (prec == VSR_PREC_INT8) {
            assert_memory_equal(a, b, n * sizeof(float));
        } else {
            /* FP32: FMA contraction and ordering, relative to the output's magnitude
             * (the last layer cancels large partial sums); FP16: that, plus a binary16
             * rounding that can flip by one unit per layer */
            float mx = 0;
            for (size_t i = 0; i < n; i++)
                mx = fmaxf(mx, fabsf(a[i]));
            float tol = (prec == VSR_PREC_FP32 ? 1e-5f : 5e-3f) * mx;
            for (size_t i = 0; i < n; i++) {
                if (fabsf(a[i] - b[i]) > tol)
                    print_message("%s: %zu: scalar %g simd %g (max %g)\n",
                                  vsr_precision_name((vsr_precision)prec), i, a[i], b[i], mx);
                assert_true(fabsf(a[i] - b[i]) <= tol);
            }
        }
        free(a), free(b);
    }
    free(in0);
    vsr_graph_free(&g);
}

/*
 * FP16 native at engine level: forced scalar (the scalar twin) vs SIMD, and
 * both close to the FP32-accumulate FP16 run (binary16 accumulation over
 * Cin*9 = 252 terms: within 2 % of the output's magnitude).
 */
static void test_engine_fp16_native(void **state)
{
    (void)state;
    int h = 11, w = 19;
    vsr_graph *g = conv_net(h, w);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 8, 0, 1);
    const float *in[1] = {in0};
    vsr_engine_options nat, nat_s;
    vsr_engine_options_default(&nat);
    nat.fp16_native = 1;
    nat_s = nat;
    nat_s.force_scalar = 1;
    int oh, ow, oc;
    float *ref = run_graph(g, VSR_PREC_FP16, NULL, in, h, w, 0, &oh, &ow, &oc);
    float *a = run_graph(g, VSR_PREC_FP16, &nat_s, in, h, w, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_FP16, &nat, in, h, w, 0, &oh, &ow, &oc);
    size_t n = (size_t)oh * ow * oc;
    float mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmaxf(mx, fabsf(ref[i]));
    assert_true(mx > 0.f);
    double worst_sb = 0, worst_ref = 0;
    for (size_t i = 0; i < n; i++) {
        worst_sb = fmax(worst_sb, fabsf(a[i] - b[i]));
        worst_ref = fmax(worst_ref, fabsf(a[i] - ref[i]));
    }
    print_message("fp16 native: scalar vs simd %g, vs fp32-accumulate %g (max %g)\n", worst_sb,
                  worst_ref, mx);
    assert_true(worst_sb <= 5e-3 * mx);
    assert_true(worst_ref <= 2e-2 * mx);
    free(ref), free(a), free(b), free(in0);
    vsr_graph_free(&g);
}

/*
 * The SR tail y = clip(depth_to_space(t + concat(x, .., x))) is fused at engine
 * creation into one pass (ops/fused.c). It must give exactly what the
 * unfused ops give (vsr__engine_create_ex(no_fuse = 1)), in every precision,
 * with SIMD kernels and forced scalar, with the add's operands either way
 * round, without the clip, and when the anchor concat has its own INT8
 * parameters (rescaled through the concat table).
 */
static float *run_ex(const vsr_graph *g, vsr_precision prec, int scalar, int no_fuse,
                     const float *in0, int h, int w, size_t *n, int *fused)
{
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.force_scalar = scalar;
    vsr_engine *e = NULL;
    OK(vsr__engine_create_ex(g, prec, NULL, &o, no_fuse, &e, &err));
    *fused = e->tail.node >= 0;
    OK(vsr_engine_set_input(e, 0, in0, h, w, 3, &err));
    OK(vsr_engine_run(e, &err));
    int oh, ow, oc;
    OK(vsr_engine_output_shape(e, 0, &oh, &ow, &oc));
    *n = (size_t)oh * ow * oc;
    float *y = malloc(*n * sizeof(float));
    OK(vsr_engine_get_output(e, 0, y, *n, &err));
    vsr_engine_free(&e);
    return y;
}

static void tail_case(int r, int swap, int clip, int anchor_q)
{
    int h = 7, w = 9;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    OK(vsr_graph_create("tail", &g, &err));
    int x = vsr_graph_input(g, "x", h, w, 3, &err);
    int reps[16];
    for (int i = 0; i < r * r; i++)
        reps[i] = x;
    int anc = vsr_graph_concat(g, "anchor", r * r, reps, &err);
    vsr_conv_params p = vsr_conv_default(12, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    p.cout = 3 * r * r;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "c2", t, &p, &err);
    int a =
        swap ? vsr_graph_add(g, "add", anc, t, &err) : vsr_graph_add(g, "add", t, anc, &err);
    int d = vsr_graph_depth_to_space(g, "d2s", a, r, &err);
    int y = clip ? vsr_graph_clip(g, "clip", d, 0.f, 255.f, &err) : d;
    OK(vsr_graph_output(g, "sr", y, &err));
    rand_weights(g, 41u + (uint32_t)r, -0.4f, 0.4f);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 19, 0, 255);
    calibrate(g, in0, h, w, VSR_CALIB_MINMAX);
    if (anchor_q) /* different parameters for the concat: its rescale table is used */
        OK(vsr_graph_set_quant(g, anc, 1.3f, -20, &err));
    for (int prec = 0; prec < 3; prec++)
        for (int scalar = 0; scalar < 2; scalar++) {
            size_t n1, n2;
            int f1, f2;
            float *y1 = run_ex(g, (vsr_precision)prec, scalar, 0, in0, h, w, &n1, &f1);
            float *y2 = run_ex(g, (vsr_precision)prec, scalar, 1, in0, h, w, &n2, &f2);
            assert_true(f1 && !f2); /* the pattern was fused, and only when allowed */
            assert_int_equal(n1, (size_t)h * r * w * r * 3);
            assert_int_equal(n1, n2);
            assert_memory_equal(y1, y2, n1 * sizeof(float));
            if (!scalar) { /* tiled (arena + copy-out) == whole frame (direct to output) */
                vsr_engine_options to;
                vsr_engine_options_default(&to);
                to.tile = 4, to.pad = 3;
                const float *ins[1] = {in0};
                int th, tw, tc;
                float *y3 = run_graph(g, (vsr_precision)prec, &to, ins, h, w, 0, &th, &tw, &tc);
                assert_int_equal((size_t)th * tw * tc, n1);
                assert_memory_equal(y1, y3, n1 * sizeof(float));
                free(y3);
            }
            if (clip && prec == VSR_PREC_FP32) { /* the clip is really applied */
                int lo = 0, hi = 0;
                for (size_t i = 0; i < n1; i++)
                    lo += y1[i] == 0.f, hi += y1[i] == 255.f;
                assert_true(lo > 0 && hi > 0);
            }
            free(y1), free(y2);
        }
    free(in0);
    vsr_graph_free(&g);
}

static void test_tail_fusion_exact(void **state)
{
    (void)state;
    tail_case(2, 0, 1, 0);
    tail_case(3, 1, 1, 0);
    tail_case(2, 0, 0, 0);
    tail_case(4, 1, 1, 1);
}

/*
 * The per-pixel reference (used for strided / grouped convs) against the
 * padded microkernel path (dense stride 1): for an odd size, a stride-2 SAME
 * conv is the stride-1 conv sampled at even positions. INT8 bit-exact.
 */
static void ref_vs_kernel(int groups, int cout, vsr_act_type act)
{
    int H = 11, W = 13;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("ref", &g, &err));
    int x = vsr_graph_input(g, "x", H, W, 5, &err);
    vsr_conv_params p = vsr_conv_default(cout, 3);
    p.groups = groups;
    p.act.type = act;
    p.act.lo = 10.f, p.act.hi = 20.f;
    int a = vsr_graph_conv2d(g, "s1", x, &p, &err);
    p.stride = 2;
    int b = vsr_graph_conv2d(g, "s2", x, &p, &err);
    OK(vsr_graph_output(g, "a", a, &err));
    OK(vsr_graph_output(g, "b", b, &err));
    rand_weights(g, 77, -0.2f, 0.2f);
    const float *w1, *b1;
    size_t n1, nb;
    OK(vsr_graph_get_weight(g, "s1.weight", &w1, &n1, &err));
    OK(vsr_graph_get_weight(g, "s1.bias", &b1, &nb, &err));
    OK(vsr_graph_set_weight(g, "s2.weight", w1, n1, &err));
    OK(vsr_graph_set_weight(g, "s2.bias", b1, nb, &err));
    OK(vsr_graph_set_quant(g, x, 1.f, -128, &err));
    OK(vsr_graph_set_quant(g, a, 0.37f, -100, &err));
    OK(vsr_graph_set_quant(g, b, 0.37f, -100, &err));
    float *in0 = malloc((size_t)H * W * 5 * 4);
    fill_rand(in0, (size_t)H * W * 5, 31, 0, 255);
    for (int i = 0; i < H * W * 5; i++)
        in0[i] = nearbyintf(in0[i]);
    const float *in[1] = {in0};
    for (int prec = 0; prec < 3; prec += 2) {
        int ah, aw, ac, bh, bw, bc;
        float *ya = run_graph(g, (vsr_precision)prec, NULL, in, H, W, 0, &ah, &aw, &ac);
        float *yb = run_graph(g, (vsr_precision)prec, NULL, in, H, W, 1, &bh, &bw, &bc);
        assert_int_equal(bh, (H + 1) / 2);
        assert_int_equal(bw, (W + 1) / 2);
        for (int y = 0; y < bh; y++)
            for (int xx = 0; xx < bw; xx++)
                for (int c = 0; c < bc; c++) {
                    float va = ya[((size_t)(2 * y) * aw + 2 * xx) * ac + c];
                    float vb = yb[((size_t)y * bw + xx) * bc + c];
                    if (prec == VSR_PREC_INT8)
                        assert_true(va == vb);
                    else
                        assert_true(fabsf(va - vb) <= 1e-4f * (1.f + fabsf(va)));
                }
        free(ya), free(yb);
    }
    free(in0);
    vsr_graph_free(&g);
}

static void test_reference_vs_microkernel_path(void **state)
{
    (void)state;
    ref_vs_kernel(1, 19, VSR_ACT_RELU); /* dense: microkernel */
    ref_vs_kernel(5, 5, VSR_ACT_CLIP);  /* depthwise: padded per-channel rows */
    ref_vs_kernel(5, 5, VSR_ACT_NONE);
}

/* A one-sided Laplace sample (b = 1) through an identity op. */
static void test_calibration_methods(void **state)
{
    (void)state;
    enum { N = 100000 };
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("id", &g, &err));
    int x = vsr_graph_input(g, "x", 1, N, 1, &err);
    int y = vsr_graph_scale(g, "id", x, 1.f, 0.f, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    float *v = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++)
        v[i] = -logf(1.f - ((float)i + 0.5f) / N);
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float *in[1] = {v};
    OK(vsr_calib_feed(c, in, 1, N, &err));
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    float lo, hi;
    o.method = VSR_CALIB_MINMAX;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    float vmax = 0;
    for (int i = 0; i < N; i++)
        vmax = fmaxf(vmax, v[i]);
    assert_float_equal(hi, vmax, 0); /* about ln(2N) = 12.2 */
    assert_float_equal(lo, -logf(1.f - 0.5f / N), 1e-6);
    o.method = VSR_CALIB_PERCENTILE;
    o.percentile = 99.9;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, logf(1000.f), 0.02); /* quantile 0.999 of Exp(1) */
    o.method = VSR_CALIB_MSE;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    print_message("mse range [%g, %g] (max %g)\n", lo, hi, logf(2.f * N));
    /* the MSE optimum clips the sparse tail (about 9.9 b for 8 bits) but keeps the bulk */
    assert_true(hi < 0.95f * logf(2.f * N));
    assert_true(hi > 7.f);
    /* a second frame with a larger value grows the histogram and the max */
    v[0] = 40.f;
    OK(vsr_calib_feed(c, in, 1, N, &err));
    o.method = VSR_CALIB_MINMAX;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, 40.f, 0);
    o.method = VSR_CALIB_PERCENTILE;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, logf(1000.f), 0.05);
    vsr_calib_free(&c);
    free(v);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requant_rounding_saturation),
        cmocka_unit_test(test_quant_multiplier),
        cmocka_unit_test(test_quantize_fast_equals_reference),
        cmocka_unit_test(test_simd_vs_scalar_kernels),
        cmocka_unit_test(test_int8_conv_within_one_step),
        cmocka_unit_test(test_engine_simd_vs_scalar),
        cmocka_unit_test(test_reference_vs_microkernel_path),
        cmocka_unit_test(test_calibration_methods),
        cmocka_unit_test(test_tail_fusion_exact),
        cmocka_unit_test(test_engine_fp16_native),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
