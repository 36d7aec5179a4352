/*
 * requant tflite (engine/quant_tflite.c): TFLite's fixed-point primitives and
 * the per-op tables on cases worked by hand from the documented semantics
 * (gemmlowp: SaturatingRoundingDoublingHighMul adds 2^30, or 1 - 2^30 for a
 * negative product, and truncates toward zero, so its ties go toward
 * +infinity; RoundingDivideByPOT rounds ties away from zero; TFLite's
 * QuantizeMultiplier keeps the frexp mantissa in Q31). Every expected value
 * below is worked out in the comment next to it. Then one conv through the
 * engine in both modes, SIMD and scalar. The whole-model check (ABPN x3 PTQ
 * and QAT files against an independent numpy reference) is
 * test_bench_upscale_cli's test_int8_tflite_requant.
 */
#include <float.h>

#include "engine_internal.h"
#include "engine_testutil.h"
#include "quant_tflite.h"

static void test_quantize_multiplier(void **state)
{
    (void)state;
    int32_t m;
    int s;
    /* 1.0 = 0.5 * 2^1: M = 0.5 * 2^31 = 2^30, shift 1 */
    assert_int_equal(vsr__tfl_quantize_multiplier(1.0, &m, &s), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 1);
    /* 0.5 = 0.5 * 2^0 */
    assert_int_equal(vsr__tfl_quantize_multiplier(0.5, &m, &s), 0);
    assert_true(m == 1 << 30 && s == 0);
    /* 3.0 = 0.75 * 2^2: M = 0.75 * 2^31 = 1610612736 */
    assert_int_equal(vsr__tfl_quantize_multiplier(3.0, &m, &s), 0);
    assert_true(m == 1610612736 && s == 2);
    /* 0.1 = 0.8 * 2^-3: 0.8 * 2^31 = 1717986918.4 -> 1717986918 */
    assert_int_equal(vsr__tfl_quantize_multiplier(0.1, &m, &s), 0);
    assert_true(m == 1717986918 && s == -3);
    /* 1 - 2^-40: the mantissa rounds up to 2^31, halved: 2^30 with shift 1 */
    assert_int_equal(vsr__tfl_quantize_multiplier(1.0 - ldexp(1, -40), &m, &s), 0);
    assert_true(m == 1 << 30 && s == 1);
    /* tiny scales: 2^-32 = 0.5 * 2^-31 is kept, 2^-33 (shift -32) flushes to 0 */
    assert_int_equal(vsr__tfl_quantize_multiplier(ldexp(1, -32), &m, &s), 0);
    assert_true(m == 1 << 30 && s == -31);
    assert_int_equal(vsr__tfl_quantize_multiplier(ldexp(1, -33), &m, &s), 0);
    assert_true(m == 0 && s == 0);
    assert_int_equal(vsr__tfl_quantize_multiplier(0.0, &m, &s), 0);
    assert_true(m == 0 && s == 0);
    assert_int_equal(vsr__tfl_quantize_multiplier(-0.5, &m, &s), -ERANGE);
    assert_int_equal(vsr__tfl_quantize_multiplier(INFINITY, &m, &s), -ERANGE);
    assert_int_equal(vsr__tfl_quantize_multiplier(NAN, &m, &s), -ERANGE);
    assert_int_equal(vsr__tfl_quantize_multiplier(ldexp(1, 32), &m, &s), -ERANGE);
}

static void test_srdhm(void **state)
{
    (void)state;
    const int32_t half = 1 << 30; /* b = 2^30: result = a / 2 */
    /* ties: 0.5 -> 1, 1.5 -> 2, but -0.5 -> 0 and -1.5 -> -1 (toward +inf) */
    assert_int_equal(vsr__tfl_srdhm(1, half), 1);
    assert_int_equal(vsr__tfl_srdhm(3, half), 2);
    assert_int_equal(vsr__tfl_srdhm(-1, half), 0);
    assert_int_equal(vsr__tfl_srdhm(-3, half), -1);
    /* not ties: -5 * 2^29 / 2^31 = -1.25 -> -1; -7 * 2^29 / 2^31 = -1.75 -> -2 */
    assert_int_equal(vsr__tfl_srdhm(-5, 1 << 29), -1);
    assert_int_equal(vsr__tfl_srdhm(-7, 1 << 29), -2);
    assert_int_equal(vsr__tfl_srdhm(7, 1 << 29), 2);
    /* the one overflow: (-2^31)(-2^31) / 2^31 = 2^31 saturates */
    assert_int_equal(vsr__tfl_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    /* -2^31 * (2^31 - 1) / 2^31 = -(2^31 - 1) exactly */
    assert_int_equal(vsr__tfl_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX);
    /* (2^31 - 1)^2 / 2^31 = 2^31 - 2 + 2^-31, + 0.5 truncated: 2^31 - 2 */
    assert_int_equal(vsr__tfl_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
}

static void test_rdbpot(void **state)
{
    (void)state;
    /* ties away from zero: 2.5 -> 3, -2.5 -> -3, 0.5 -> 1, -0.5 -> -1 */
    assert_int_equal(vsr__tfl_rdbpot(5, 1), 3);
    assert_int_equal(vsr__tfl_rdbpot(-5, 1), -3);
    assert_int_equal(vsr__tfl_rdbpot(2, 2), 1);
    assert_int_equal(vsr__tfl_rdbpot(-2, 2), -1);
    /* 0.25 -> 0, -0.25 -> 0, -0.75 -> -1, 4 / 2 = 2 */
    assert_int_equal(vsr__tfl_rdbpot(1, 2), 0);
    assert_int_equal(vsr__tfl_rdbpot(-1, 2), 0);
    assert_int_equal(vsr__tfl_rdbpot(-3, 2), -1);
    assert_int_equal(vsr__tfl_rdbpot(4, 1), 2);
    assert_int_equal(vsr__tfl_rdbpot(-7, 0), -7);
    /* exponent 31: -2^31 / 2^31 = -1; (2^31 - 1) / 2^31 -> 1; +-2^30 / 2^31 = +-0.5 */
    assert_int_equal(vsr__tfl_rdbpot(INT32_MIN, 31), -1);
    assert_int_equal(vsr__tfl_rdbpot(INT32_MAX, 31), 1);
    assert_int_equal(vsr__tfl_rdbpot(1 << 30, 31), 1);
    assert_int_equal(vsr__tfl_rdbpot(-(1 << 30), 31), -1);
    assert_int_equal(vsr__tfl_rdbpot((1 << 30) - 1, 31), 0);
    /* beyond 31: -2^31 / 2^40 = -2^-9 -> 0 */
    assert_int_equal(vsr__tfl_rdbpot(INT32_MIN, 40), 0);
}

static void test_mbqm(void **state)
{
    (void)state;
    /* multiplier 1.0 = (2^30, 1): x << 1, then x * 2 * 2^30 / 2^31 = x exactly */
    for (int32_t x = -300; x <= 300; x++)
        assert_int_equal(vsr__tfl_mbqm(x, 1 << 30, 1), x);
    /* 0.25 = (2^30, -1): two roundings. 5: srdhm 2.5 -> 3, then 3 / 2 = 1.5 -> 2
     * (the exact 1.25 rounds to 1: the float mode's single rounding); 13: 6.5 -> 7,
     * 3.5 -> 4 (exact 3.25 -> 3); -5: -2.5 -> -2, -1 -> -1 (exact -1.25 -> -1);
     * -3: -1.5 -> -1, -0.5 -> -1 (exact -0.75 -> -1); 10: 5, 2.5 -> 3 */
    assert_int_equal(vsr__tfl_mbqm(5, 1 << 30, -1), 2);
    assert_int_equal(vsr__requant(5, 1 << 30, 32), 1);
    assert_int_equal(vsr__tfl_mbqm(13, 1 << 30, -1), 4);
    assert_int_equal(vsr__requant(13, 1 << 30, 32), 3);
    assert_int_equal(vsr__tfl_mbqm(-5, 1 << 30, -1), -1);
    assert_int_equal(vsr__tfl_mbqm(-3, 1 << 30, -1), -1);
    assert_int_equal(vsr__tfl_mbqm(10, 1 << 30, -1), 3);
    /* 3.0 = (1610612736, 2): 7 << 2 = 28, 28 * 0.75 = 21 */
    assert_int_equal(vsr__tfl_mbqm(7, 1610612736, 2), 21);
    /* a zero multiplier (flushed tiny scale) gives 0 */
    assert_int_equal(vsr__tfl_mbqm(123456, 0, 0), 0);
    /* the clamped epilogue: 13 -> 4, + zp 10 = 14, clamped to [-128, 12] = 12 */
    assert_int_equal(vsr__tfl_requant_clamp(13, 1 << 30, -1, 10, -128, 12), 12);
}

static int8_t at(const int8_t *lut, int a, int b)
{
    return lut[(size_t)(uint8_t)a << 8 | (uint8_t)b];
}

static void test_add_mul_tables(void **state)
{
    (void)state;
    int8_t *lut = malloc(65536);
    assert_non_null(lut);
    /* ADD, all scales 1, zp 0: twice_max 2, input multipliers 0.5 = (2^30, 0), output
     * 2 / 2^20 = 2^-19 = (2^30, -18). 3 + 4: (3 << 20) / 2 + (4 << 20) / 2 = 3.5 * 2^20,
     * / 2 = 1835008, / 2^18 = 7 */
    vsr_tfl_q one = {1.f, 0}, two = {2.f, 0};
    assert_int_equal(vsr__tfl_add_lut(one, one, one, lut), 0);
    assert_int_equal(at(lut, 3, 4), 7);
    assert_int_equal(at(lut, -100, 30), -70);
    assert_int_equal(at(lut, 127, 127), 127);    /* 254 saturates */
    assert_int_equal(at(lut, -128, -128), -128); /* -256 saturates */
    /* output scale 2: (2^30, -19). 1 + 0 = 0.5 -> 1 (RNE would give 0); -1 + 0 = -0.5:
     * -2^19 / 2 = -2^18 exact, then -0.5 -> -1; 5 + 0 = 2.5 -> 3 (RNE 2); 3 -> 1.5 -> 2 */
    assert_int_equal(vsr__tfl_add_lut(one, one, two, lut), 0);
    assert_int_equal(at(lut, 1, 0), 1);
    assert_int_equal(at(lut, -1, 0), -1);
    assert_int_equal(at(lut, 5, 0), 3);
    assert_int_equal(at(lut, 3, 0), 2);
    /* zero points: a zp 10, b zp -3: (12 - 10) + (0 + 3) = 5, output zp 7 -> 12 */
    assert_int_equal(
        vsr__tfl_add_lut((vsr_tfl_q){1.f, 10}, (vsr_tfl_q){1.f, -3}, (vsr_tfl_q){1.f, 7}, lut),
        0);
    assert_int_equal(at(lut, 12, 0), 12);
    /* MUL: 0.5 * 0.5 / 0.25 = 1.0: 3 * -5 = -15. Output scale 0.5 (0.5 = (2^30, 0)):
     * -15 / 2 = -7.5 -> -7 (srdhm's tie toward +inf; RNE gives -8), 15 / 2 -> 8 */
    vsr_tfl_q h = {0.5f, 0};
    assert_int_equal(vsr__tfl_mul_lut(h, h, (vsr_tfl_q){0.25f, 0}, lut), 0);
    assert_int_equal(at(lut, 3, -5), -15);
    assert_int_equal(vsr__tfl_mul_lut(h, h, h, lut), 0);
    assert_int_equal(at(lut, 3, -5), -7);
    assert_int_equal(at(lut, 3, 5), 8);
    assert_int_equal(at(lut, 127, 127), 127); /* 8064.5 saturates */
    free(lut);
}

static void test_clip_concat_tables(void **state)
{
    (void)state;
    int8_t lut[256];
    /* ABPN's tail: MINIMUM(x, c) then RELU from (1.25, -77) to (1, -128). The RELU
     * multiplier 1.25 = 0.625 * 2^1 = (1342177280, 1). q = -76: (1 << 1) * 0.625 = 1.25
     * -> 1, -127; q = -75: 4 * 0.625 = 2.5 -> 3, -125 (RNE: -126); q = -78: -1.25 -> -1,
     * -129, clamped at zp_o = -128; hi = 100: MINIMUM at round(100 / 1.25) - 77 = 3,
     * so q = 10 -> 3 -> 80 * 1.25 = 100 -> -28, and the RELU6-style bound
     * round(100 / 1) - 128 = -28 agrees */
    vsr_tfl_q x = {1.25f, -77}, o = {1.f, -128};
    assert_int_equal(vsr__tfl_clip_lut(x, o, 0.f, 100.f, lut), 0);
    assert_int_equal(lut[-77 + 128], -128);
    assert_int_equal(lut[-76 + 128], -127);
    assert_int_equal(lut[-75 + 128], -125);
    assert_int_equal(lut[-78 + 128], -128);
    assert_int_equal(lut[10 + 128], -28);
    assert_int_equal(lut[127 + 128], -28);
    /* MINIMUM alone (same parameters, no lower bound): raw min with round(5 / 1.25) - 77
     * = -73 */
    assert_int_equal(vsr__tfl_clip_lut(x, x, -FLT_MAX, 5.f, lut), 0);
    for (int q = -128; q < 128; q++)
        assert_int_equal(lut[q + 128], q < -73 ? q : -73);
    /* RELU with equal parameters: max(q, zp) */
    assert_int_equal(vsr__tfl_clip_lut(x, x, 0.f, FLT_MAX, lut), 0);
    for (int q = -128; q < 128; q++)
        assert_int_equal(lut[q + 128], q < -77 ? -77 : q);
    /* concat rescale from (0.5, 1) to (1, 0): q * 0.5 - 0.5 rounded half away from zero:
     * 2 -> 0.5 -> 1, 0 -> -0.5 -> -1, 4 -> 1.5 -> 2, 6 -> 2.5 -> 3 (RNE 2) */
    vsr__tfl_concat_lut((vsr_tfl_q){0.5f, 1}, (vsr_tfl_q){1.f, 0}, lut);
    assert_int_equal(lut[2 + 128], 1);
    assert_int_equal(lut[0 + 128], -1);
    assert_int_equal(lut[4 + 128], 2);
    assert_int_equal(lut[6 + 128], 3);
    assert_int_equal(lut[-128 + 128], -65); /* -64.5 -> -65 */
}

/* 1x1 convs, weight 1 (scale 1), no bias, input (1, 0), output (4, 0): the
 * multiplier 0.25 of test_mbqm, through the engine in both modes, SIMD and
 * scalar, on each INT8 conv path: dense (microkernel rows), depthwise (two
 * channels, the per-channel rows) and stride 2 (the per-pixel reference). */
static void test_engine_conv_requant(void **state)
{
    (void)state;
    enum { W = 37 };
    static const float xs[] = {5, 13, -5, -3, 10, 6, -10, 7, 127, -128};
    /* tflite: test_mbqm's values (x4 on dequantization); float: one rounding */
    static const float tfl[] = {2, 4, -1, -1, 3, 2, -3, 2, 32, -32};
    static const float flt[] = {1, 3, -1, -1, 3, 2, -3, 2, 32, -32};
    for (int path = 0; path < 3; path++) {
        int C = path == 1 ? 2 : 1, stride = path == 2 ? 2 : 1;
        vsr_graph *g = NULL;
        vsr_error err = {0};
        OK(vsr_graph_create("rq", &g, &err));
        int x = vsr_graph_input(g, "x", 1, W, C, &err);
        vsr_conv_params p = vsr_conv_default(C, 1);
        p.groups = C;
        p.stride = stride;
        int y = vsr_graph_conv2d(g, "c", x, &p, &err);
        OK(vsr_graph_output(g, "y", y, &err));
        float one[2] = {1.f, 1.f}, zero[2] = {0.f, 0.f};
        OK(vsr_graph_set_weight(g, "c.weight", one, (size_t)C, &err));
        if (p.bias)
            OK(vsr_graph_set_weight(g, "c.bias", zero, (size_t)C, &err));
        OK(vsr_graph_set_weight_scales(g, "c", one, C, &err));
        OK(vsr_graph_set_quant(g, x, 1.f, 0, &err));
        OK(vsr_graph_set_quant(g, y, 4.f, 0, &err));
        float in[W * 2], out[W * 2];
        for (int i = 0; i < W * C; i++)
            in[i] = xs[(i / C + 3 * (i % C)) % 10];
        int OW = (W + stride - 1) / stride;
        for (int mode = 0; mode < 2; mode++)
            for (int scalar = 0; scalar < 2; scalar++) {
                vsr_engine_options o;
                vsr_engine_options_default(&o);
                o.force_scalar = scalar;
                o.requant = mode ? VSR_REQUANT_TFLITE : VSR_REQUANT_FLOAT;
                vsr_engine *e = NULL;
                OK(vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, &e, &err));
                OK(vsr_engine_set_input(e, 0, in, 1, W, C, &err));
                OK(vsr_engine_run(e, &err));
                OK(vsr_engine_get_output(e, 0, out, (size_t)(OW * C), &err));
                for (int ox = 0; ox < OW; ox++)
                    for (int c = 0; c < C; c++) {
                        int k = (ox * stride + 3 * c) % 10;
                        assert_true(out[ox * C + c] == 4.f * (mode ? tfl : flt)[k]);
                    }
                vsr_engine_free(&e);
            }
        vsr_graph_free(&g);
    }
}

/* The AVX2 epilogue equals its scalar twin bit for bit: every shift in [-31, 31],
 * multipliers of QuantizeMultiplier (incl. 0, 2^30, 2^31 - 1) and INT32_MIN,
 * accumulators over the whole int32 range incl. both ends and the ties of the
 * tests above, odd lengths and unaligned pointers. */
static void test_requant_avx2_twin(void **state)
{
    (void)state;
    if (!(vsr_cpu_features() & VSR_ISA_AVX2))
        VSR_SKIP("the CPU has no AVX2");
    enum { N = 4099 };
    int32_t *acc = malloc((N + 1) * sizeof(int32_t)), *qm = malloc((N + 1) * sizeof(int32_t)),
            *qs = malloc((N + 1) * sizeof(int32_t));
    int8_t *a = malloc(N + 1), *b = malloc(N + 1);
    assert_true(acc && qm && qs && a && b);
    uint32_t r = 12345;
    static const int32_t special_x[] = {0,  1,         -1,        5,       -5,        13,
                                        -3, INT32_MIN, INT32_MAX, 1 << 30, -(1 << 30)};
    static const int32_t special_m[] = {0,         1 << 30,    INT32_MAX,
                                        INT32_MIN, 1610612736, 1342177280};
    for (int i = 0; i <= N; i++) {
        r ^= r << 13, r ^= r >> 17, r ^= r << 5;
        acc[i] = i % 3 ? (int32_t)r : special_x[i % 11];
        r ^= r << 13, r ^= r >> 17, r ^= r << 5;
        qm[i] = i % 5 ? (int32_t)((1u << 30) | (r >> 2)) : special_m[i % 6];
        qs[i] = i % 63 - 31;
    }
    for (int off = 0; off < 2; off++)
        for (int n = 0; n <= 19; n++) {
            int len = n == 19 ? N : n;
            vsr_qs8_requant_tfl__scalar(acc + off, a + off, len, qm + off, qs + off, -7, -128,
                                        120);
            vsr_qs8_requant_tfl__avx2(acc + off, b + off, len, qm + off, qs + off, -7, -128,
                                      120);
            assert_memory_equal(a + off, b + off, (size_t)len);
        }
    free(acc), free(qm), free(qs), free(a), free(b);
}

static void test_requant_parse(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_requant r = VSR_REQUANT_FLOAT;
    assert_int_equal(vsr_requant_parse("tflite", &r, &err), 0);
    assert_int_equal(r, VSR_REQUANT_TFLITE);
    assert_string_equal(vsr_requant_name(r), "tflite");
    assert_int_equal(vsr_requant_parse("float", &r, &err), 0);
    assert_int_equal(r, VSR_REQUANT_FLOAT);
    assert_int_equal(vsr_requant_parse("gemmlowp", &r, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "expected float or tflite");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_multiplier),
        cmocka_unit_test(test_srdhm),
        cmocka_unit_test(test_rdbpot),
        cmocka_unit_test(test_mbqm),
        cmocka_unit_test(test_add_mul_tables),
        cmocka_unit_test(test_clip_concat_tables),
        cmocka_unit_test(test_engine_conv_requant),
        cmocka_unit_test(test_requant_parse),
        cmocka_unit_test(test_requant_avx2_twin),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
