/*
 * INT8 schemes and calibration methods: parameters of hand-worked ranges
 * under every scheme (per-channel / per-tensor weights, asymmetric /
 * symmetric activations, int8 / uint8 storage, power-of-two scales),
 * precision labels and their parsing, per-tensor weights through the
 * engine, the moving-average min/max and TensorRT's KL (entropy)
 * threshold. The KL and moving-average values come from
 * tests/reference/calib_schemes/kl_reference.py (plain Python written from
 * the published descriptions; its output is kl_expected.txt there).
 */
#include <float.h>

#include "engine_internal.h"
#include "engine_testutil.h"

static void test_params_by_scheme(void **state)
{
    (void)state;
    vsr_quant_scheme s;
    vsr_quant_scheme_default(&s);
    assert_true(vsr_quant_scheme_is_default(&s));
    float sc;
    int zp;
    /* [-0.5, 254.5]: s = 255 / 255 = 1, -lo / s = 0.5 is a tie. int8: round(-128 + 0.5)
     * = round(-127.5) = -128 (half away from zero); uint8: round(0.5) = 1, stored as
     * 1 - 128 = -127. The two storages really differ here, as TFLite's do. */
    vsr_quant_from_range(&s, -0.5f, 254.5f, &sc, &zp);
    assert_float_equal(sc, 1.f, 0);
    assert_int_equal(zp, -128);
    s.storage = VSR_QUANT_UINT8;
    vsr_quant_from_range(&s, -0.5f, 254.5f, &sc, &zp);
    assert_float_equal(sc, 1.f, 0);
    assert_int_equal(zp, 1 - 128);
    /* no tie: [-2, 253] -> s = 1; int8 -128 + 2 = -126; uint8 2 -> -126: the same */
    vsr_quant_from_range(&s, -2.f, 253.f, &sc, &zp);
    assert_int_equal(zp, -126);
    s.storage = VSR_QUANT_INT8;
    vsr_quant_from_range(&s, -2.f, 253.f, &sc, &zp);
    assert_int_equal(zp, -126);
    /* symmetric: s = max(2, 1.27) / 127, zp 0; all-positive [0, 12.7]: s = 0.1 */
    s.activations = VSR_QUANT_SYMMETRIC;
    vsr_quant_from_range(&s, -2.f, 1.27f, &sc, &zp);
    assert_float_equal(sc, 2.f / 127.f, 0);
    assert_int_equal(zp, 0);
    vsr_quant_from_range(&s, 0.f, 12.7f, &sc, &zp);
    assert_float_equal(sc, 12.7f / 127.f, 0);
    assert_int_equal(zp, 0);
    s.storage = VSR_QUANT_UINT8; /* uint8 symmetric: zp_u8 = 128, stored 0 */
    vsr_quant_from_range(&s, -2.f, 1.27f, &sc, &zp);
    assert_int_equal(zp, 0);
    /* power of two: [-1, 3] asymmetric: 4 / 255 = 0.01569 > 2^-6 -> 2^-5; zp =
     * round(-128 + 1 / 2^-5) = -96. Symmetric: 3 / 127 = 0.0236 -> 2^-5, zp 0. A
     * power of two stays: [0, 63.75] -> 0.25. */
    vsr_quant_scheme_default(&s);
    s.pow2 = 1;
    vsr_quant_from_range(&s, -1.f, 3.f, &sc, &zp);
    assert_float_equal(sc, 0.03125f, 0);
    assert_int_equal(zp, -96);
    vsr_quant_from_range(&s, 0.f, 63.75f, &sc, &zp);
    assert_float_equal(sc, 0.25f, 0);
    assert_int_equal(zp, -128);
    s.activations = VSR_QUANT_SYMMETRIC;
    vsr_quant_from_range(&s, -1.f, 3.f, &sc, &zp);
    assert_float_equal(sc, 0.03125f, 0);
    assert_int_equal(zp, 0);
    /* weights: max|w| / 127, 1 for a zero channel; pow2 rounds up (1.27 / 127 = 0.01
     * -> 2^-6 = 0.015625) */
    assert_float_equal(vsr__quant_weight_scale(NULL, 1.27f), 0.01f, 0);
    assert_float_equal(vsr__quant_weight_scale(NULL, 0.f), 1.f, 0);
    assert_float_equal(vsr__quant_weight_scale(&s, 1.27f), 0.015625f, 0);
    /* the default scheme is the old default function, bit for bit */
    float sc2;
    int zp2;
    vsr__quant_from_range(-0.37f, 5.1f, &sc, &zp);
    vsr_quant_from_range(NULL, -0.37f, 5.1f, &sc2, &zp2);
    assert_memory_equal(&sc, &sc2, sizeof(sc));
    assert_int_equal(zp, zp2);
}

static void test_labels_and_parse(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_precision p;
    vsr_quant_scheme s;
    char buf[64];
    OK(vsr_precision_parse_scheme("int8-sym", &p, &s, &err));
    assert_int_equal(p, VSR_PREC_INT8);
    assert_int_equal(s.activations, VSR_QUANT_SYMMETRIC);
    assert_int_equal(s.weights, VSR_QUANT_PER_CHANNEL);
    vsr_quant_scheme_label(&s, buf, sizeof(buf));
    assert_string_equal(buf, "int8-sym");
    OK(vsr_precision_parse_scheme("int8-pt", &p, &s, &err));
    assert_int_equal(s.weights, VSR_QUANT_PER_TENSOR);
    assert_int_equal(s.activations, VSR_QUANT_ASYMMETRIC);
    OK(vsr_precision_parse_scheme("int8-asym", &p, &s, &err));
    assert_true(vsr_quant_scheme_is_default(&s));
    vsr_quant_scheme_label(&s, buf, sizeof(buf));
    assert_string_equal(buf, "int8");
    OK(vsr_precision_parse_scheme("INT8-pow2-u8-sym-pt", &p, &s, &err));
    vsr_quant_scheme_label(&s, buf, sizeof(buf));
    assert_string_equal(buf, "int8-pt-sym-u8-pow2");
    OK(vsr_precision_parse_scheme("fp16", &p, &s, &err));
    assert_int_equal(p, VSR_PREC_FP16);
    assert_true(vsr_quant_scheme_is_default(&s));
    assert_int_equal(vsr_precision_parse_scheme("fp16-sym", &p, &s, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "int8 only"));
    assert_int_equal(vsr_precision_parse_scheme("int8-pc-foo", &p, &s, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "'foo'"));
    vsr_calib_method m;
    OK(vsr_calib_method_parse("KL", &m, &err));
    assert_int_equal(m, VSR_CALIB_KL);
    assert_string_equal(vsr_calib_method_name(VSR_CALIB_EMA), "ema");
    assert_int_equal(vsr_calib_method_parse("entropy", &m, &err), -EINVAL);
}

/* A 1x1 conv with output channels of very different size: per-tensor weight scale
 * 1.27 / 127 = 0.01 rounds channel 1's weight 0.004 to 0 (0.4 -> 0), so its output
 * is exactly 0; per channel it keeps 127 steps. */
static void test_per_tensor_weights(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    OK(vsr_graph_create("pt", &g, &err));
    int x = vsr_graph_input(g, "x", 1, 4, 1, &err);
    vsr_conv_params cp = vsr_conv_default(2, 1);
    cp.bias = 0;
    int y = vsr_graph_conv2d(g, "c", x, &cp, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    const float w[2] = {1.27f, 0.004f}; /* HWIO, Cout fastest */
    OK(vsr_graph_set_weight(g, "c.weight", w, 2, &err));
    const float in[4] = {0.f, 100.f, 200.f, 255.f};
    const float *ins[1] = {in};
    for (int pt = 0; pt < 2; pt++) {
        vsr_quant_scheme s;
        vsr_quant_scheme_default(&s);
        s.weights = pt ? VSR_QUANT_PER_TENSOR : VSR_QUANT_PER_CHANNEL;
        OK(vsr_graph_set_quant_scheme(g, &s, &err));
        vsr_graph_clear_quant(g);
        vsr_calib *c = NULL;
        OK(vsr_calib_create(g, NULL, &c, &err));
        OK(vsr_calib_feed(c, ins, 1, 4, &err));
        OK(vsr_calib_finish(c, NULL, g, &err));
        vsr_calib_free(&c);
        vsr_quant_scheme back;
        vsr_graph_get_quant_scheme(g, &back); /* clear_quant keeps the scheme */
        assert_int_equal(back.weights, s.weights);
        int oh, ow, oc;
        float *o = run_graph(g, VSR_PREC_INT8, NULL, ins, 1, 4, 0, &oh, &ow, &oc);
        assert_non_null(o);
        if (pt)
            assert_float_equal(o[2 * 3 + 1], 0.f, 0);
        else /* 255 * 0.004 = 1.02 in steps of 323.85 / 255 = 1.27: one step */
            assert_float_equal(o[2 * 3 + 1], 323.85f / 255.f, 1e-4);
        free(o);
    }
    {
        vsr_quant_scheme bad = {.weights = 7};
        assert_int_equal(vsr_graph_set_quant_scheme(g, &bad, &err), -EINVAL);
    }
    vsr_graph_free(&g);
}

/* kl_expected.txt: small_hist best_i 7, small2_hist best_i 4, big_hist best_i 278.
 * One candidate by hand, small_hist [1 0 2 3 5 3 1 7], nq 2, i = 3: P = [1, 0, 2 +
 * 16] / 19, groups of 1: {bin 0: 1}, {bins 1-2: 2 over the one P > 0 bin} -> Q =
 * [1, 0, 2] / 3; KL = 1/19 ln(3/19) + 18/19 ln(54/38) = 0.2358 (> 0.0975 at i = 7).
 * i = 2 is infinite: P[1] = 21 but the group {bin 1} has count 0. */
static double big_hist(int b)
{
    return floor(1000 * exp(-b / 40.0)) + (b >= 1500 && b < 1504 ? 3 : 0);
}

static void test_kl_threshold(void **state)
{
    (void)state;
    const double small[8] = {1, 0, 2, 3, 5, 3, 1, 7};
    assert_int_equal(vsr__calib_kl_bins(small, 8, 2), 7);
    const double small2[10] = {40, 30, 20, 10, 5, 2, 1, 0, 0, 1};
    assert_int_equal(vsr__calib_kl_bins(small2, 10, 3), 4);
    double *h = malloc(2048 * sizeof(double));
    for (int b = 0; b < 2048; b++)
        h[b] = big_hist(b);
    assert_int_equal(vsr__calib_kl_bins(h, 2048, 128), 278);
    const double zero[4] = {0, 0, 0, 0};
    assert_int_equal(vsr__calib_kl_bins(zero, 4, 2), -1);
    free(h);

    /* Through calibration: values at the centres of the |x| bins of big_hist
     * (alternating signs) plus one 2048, which fixes the bin width to
     * 2048 * 1.0000001 / 2048 and adds one count to bin 2047 (kl_expected.txt:
     * big_hist+top best_i 278). Range: [-T, T], T = (278 + 0.5) * width. */
    vsr_error err = {0};
    size_t n = 1;
    for (int b = 0; b < 2048; b++)
        n += (size_t)big_hist(b);
    float *v = malloc(n * sizeof(float));
    const double wd = 1.0000001;
    size_t k = 0;
    for (int b = 0; b < 2048; b++)
        for (int j = 0; j < (int)big_hist(b); j++, k++)
            v[k] = (float)((k % 2 ? -1 : 1) * (b + 0.5) * wd);
    v[k] = 2048.f;
    vsr_graph *g = NULL;
    OK(vsr_graph_create("id", &g, &err));
    int x = vsr_graph_input(g, "x", 1, (int)n, 1, &err);
    int y = vsr_graph_scale(g, "id", x, 1.f, 0.f, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float *in[1] = {v};
    OK(vsr_calib_feed(c, in, 1, (int)n, &err));
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    o.method = VSR_CALIB_KL;
    float lo, hi;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, (float)(278.5 * wd), 1e-3);
    assert_float_equal(lo, (float)(-278.5 * wd), 1e-3);
    vsr_calib_free(&c);
    vsr_graph_free(&g);
    free(v);
}

/* kl_expected.txt: frames with min -1, -3, 0 and max 2, 4, 10, c = 0.01:
 * -1 -> -1 + 0.01 (-3 + 1) = -1.02 -> -1.02 + 0.01 (0 + 1.02) = -1.0098;
 *  2 ->  2 + 0.01 (4 - 2) = 2.02 -> 2.02 + 0.01 (10 - 2.02) = 2.0998. */
static void test_ema(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    OK(vsr_graph_create("id", &g, &err));
    int x = vsr_graph_input(g, "x", 1, 3, 1, &err);
    int y = vsr_graph_scale(g, "id", x, 1.f, 0.f, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float f[3][3] = {{-1.f, 0.5f, 2.f}, {-3.f, 1.f, 4.f}, {0.f, 10.f, 3.f}};
    for (int i = 0; i < 3; i++) {
        const float *in[1] = {f[i]};
        OK(vsr_calib_feed(c, in, 1, 3, &err));
    }
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    assert_float_equal(o.ema_constant, 0.01, 0);
    o.method = VSR_CALIB_EMA;
    float lo, hi;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(lo, -1.0098f, 1e-6);
    assert_float_equal(hi, 2.0998f, 1e-6);
    o.method = VSR_CALIB_MINMAX; /* the plain min/max of the same frames */
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(lo, -3.f, 0);
    assert_float_equal(hi, 10.f, 0);
    o.method = VSR_CALIB_EMA;
    o.ema_constant = 0;
    assert_int_equal(vsr_calib_range(c, y, &o, &lo, &hi, &err), -EINVAL);
    vsr_calib_free(&c);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_by_scheme),
        cmocka_unit_test(test_labels_and_parse),
        cmocka_unit_test(test_per_tensor_weights),
        cmocka_unit_test(test_kl_threshold),
        cmocka_unit_test(test_ema),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
