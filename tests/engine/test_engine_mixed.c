/*
 * Mixed precision (vsr_engine_options.layer_prec): per-layer FP32 / FP16 /
 * INT8 overrides with conversions at the boundaries.
 *
 *  - a two-conv chain with fixed parameters, worked by hand (the numbers
 *    in the comments), in INT8, with either conv kept FP32 / FP16, and as
 *    FP32 with one conv INT8;
 *  - an INT8 engine with every computing layer kept FP32 (FP16) gives the
 *    FP32 (FP16) engine's output bit for bit: the graph input is quantized
 *    with scale 1 (range [0, 255]) and the inputs are integers, so that
 *    quantization is exact, and every layer then runs the float code on the
 *    same values;
 *  - names by "#" row, fused layers, and the errors.
 */
#include "engine_testutil.h"

/* x (1x5x1) -> A: 1x1 conv, w 0.375 -> B: 1x1 conv, w 2 -> out.
 * INT8 parameters: x scale 1 zp 0 (fixed), a scale 0.5 zp 0, b scale 3 zp 0. */
static vsr_graph *chain(void)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("chain", &g, &err));
    int x = vsr_graph_input(g, "x", 1, 5, 1, &err);
    vsr_conv_params p = vsr_conv_default(1, 1);
    p.bias = 0;
    int a = vsr_graph_conv2d(g, "A", x, &p, &err);
    int b = vsr_graph_conv2d(g, "B", a, &p, &err);
    OK(vsr_graph_output(g, "out", b, &err));
    float wa = 0.375f, wb = 2.f;
    OK(vsr_graph_set_weight(g, "A.weight", &wa, 1, &err));
    OK(vsr_graph_set_weight(g, "B.weight", &wb, 1, &err));
    OK(vsr_graph_set_quant(g, x, 1.f, 0, &err));
    OK(vsr_graph_set_quant(g, a, 0.5f, 0, &err));
    OK(vsr_graph_set_quant(g, b, 3.f, 0, &err));
    return g;
}

static float *run_lp(const vsr_graph *g, vsr_precision prec, const vsr_layer_precision *lp,
                     int n, const float *in, int h, int w)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.layer_prec = lp;
    o.n_layer_prec = n;
    int oh, ow, oc;
    return run_graph(g, prec, &o, &in, h, w, 0, &oh, &ow, &oc);
}

/* runs the 1x5 chain on x with the layer precisions lp and checks the output is want exactly */
static void expect_chain(const vsr_graph *g, vsr_precision prec, const vsr_layer_precision *lp,
                         int n, const float *x, const float *want)
{
    float *o = run_lp(g, prec, lp, n, x, 1, 5);
    for (int i = 0; i < 5; i++)
        assert_float_equal(o[i], want[i], 0.f);
    free(o);
}

static void test_chain_by_hand(void **state)
{
    (void)state;
    vsr_graph *g = chain();
    /* x, none a tie: a = 0.375 x, q_a = round(a / 0.5) = round(0.75 x) */
    const float x[5] = {7, 21, 33, 104, 40};
    /* 0.75 x = 5.25 15.75 24.75 78 30 -> q_a = 5 16 25 78 30 */
    const float qa[5] = {5, 16, 25, 78, 30};
    /* INT8: b = 2 * 0.5 q_a = q_a, q_b = round(q_a / 3) = 2 5 8 26 10, out = 3 q_b */
    const float int8[5] = {6, 15, 24, 78, 30};
    /* FP32: 2 * 0.375 x = 0.75 x exactly */
    const float fp32[5] = {5.25f, 15.75f, 24.75f, 78.f, 30.f};

    expect_chain(g, VSR_PREC_INT8, NULL, 0, x, int8);

    /* B kept FP32: it reads q_a dequantized (0.5 q_a), multiplies by 2 in FP32 and
     * writes FP32: out = q_a, no output quantization */
    vsr_layer_precision kb = {"B", VSR_PREC_FP32};
    expect_chain(g, VSR_PREC_INT8, &kb, 1, x, qa);
    /* ... the same in FP16 (q_a and its products are binary16 integers) */
    kb.prec = VSR_PREC_FP16;
    expect_chain(g, VSR_PREC_INT8, &kb, 1, x, qa);

    /* A kept FP32: a = 0.375 x in FP32; B (INT8) quantizes it with a's parameters,
     * round(a / 0.5) = q_a again (no ties), so the output is the INT8 one: keeping
     * A float changes nothing the next quantization does not undo */
    vsr_layer_precision ka = {"A", VSR_PREC_FP32};
    expect_chain(g, VSR_PREC_INT8, &ka, 1, x, int8);

    /* both FP32 (by # row: A is row 2, B row 3): the FP32 output */
    vsr_layer_precision both[2] = {{"2", VSR_PREC_FP32}, {"3", VSR_PREC_FP32}};
    expect_chain(g, VSR_PREC_INT8, both, 2, x, fp32);

    /* FP32 engine, B alone INT8: B quantizes a = 0.375 x to q_a, out = 3 round(q_a / 3),
     * the INT8 output; A alone INT8: x quantized exactly (scale 1), a = 0.5 q_a
     * written INT8, B in FP32: out = q_a */
    vsr_layer_precision qb = {"B", VSR_PREC_INT8}, qa8 = {"A", VSR_PREC_INT8};
    expect_chain(g, VSR_PREC_FP32, &qb, 1, x, int8);
    expect_chain(g, VSR_PREC_FP32, &qa8, 1, x, qa);
    vsr_graph_free(&g);
}

/* A graph with every kind of conv path (3x3 dense rows, depthwise, strided,
 * BN + ReLU fused, sigmoid epilogue), an add, a concat and depth_to_space,
 * calibrated on its own inputs. */
static vsr_graph *mixed_graph(int h, int w, float **in)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("mixed", &g, &err));
    int x = vsr_graph_input(g, "x", h, w, 3, &err);
    vsr_conv_params p = vsr_conv_default(8, 3);
    int c1 = vsr_graph_conv2d(g, "c1", x, &p, &err);
    int bn = vsr_graph_batch_norm(g, "bn", c1, 1e-3f, &err);
    int r = vsr_graph_relu(g, "r", bn, &err);
    vsr_conv_params dw = vsr_conv_default(8, 3);
    dw.groups = 8;
    int d = vsr_graph_conv2d(g, "dw", r, &dw, &err);
    vsr_conv_params sg = vsr_conv_default(8, 1);
    sg.act.type = VSR_ACT_SIGMOID;
    int s = vsr_graph_conv2d(g, "sg", d, &sg, &err);
    int m = vsr_graph_mul(g, "m", s, d, &err);
    int a = vsr_graph_add(g, "a", m, r, &err);
    int cc = vsr_graph_concat(g, "cc", 2, (int[]){a, r}, &err);
    vsr_conv_params tp = vsr_conv_default(12, 3);
    int t = vsr_graph_conv2d(g, "tail", cc, &tp, &err);
    int y = vsr_graph_depth_to_space(g, "d2s", t, 2, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    rand_weights(g, 7, -0.3f, 0.3f);
    size_t n = (size_t)h * w * 3;
    *in = malloc(n * sizeof(float));
    fill_rand(*in, n, 11, 0.f, 256.f);
    for (size_t i = 0; i < n; i++)
        (*in)[i] = floorf((*in)[i]); /* 8-bit frame values: INT8 input quantization exact */
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float *ins[1] = {*in};
    OK(vsr_calib_feed(c, ins, h, w, &err));
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    OK(vsr_calib_finish(c, &o, g, &err));
    vsr_calib_free(&c);
    return g;
}

static void test_all_kept_float_is_float(void **state)
{
    (void)state;
    const int h = 9, w = 21;
    float *in = NULL;
    vsr_graph *g = mixed_graph(h, w, &in);
    /* every layer that computes (bn and r name the fused c1; a concat rescales in
     * INT8, so it computes too; d2s only moves values) */
    const char *names[] = {"c1", "bn", "r", "dw", "sg", "m", "a", "cc", "tail"};
    enum { NL = sizeof(names) / sizeof(names[0]) };
    vsr_layer_precision lp[NL];
    size_t n = (size_t)2 * h * 2 * w * 3;
    vsr_precision precs[2] = {VSR_PREC_FP32, VSR_PREC_FP16};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < NL; i++)
            lp[i] = (vsr_layer_precision){names[i], precs[k]};
        float *ref = run_lp(g, precs[k], NULL, 0, in, h, w);
        float *mix = run_lp(g, VSR_PREC_INT8, lp, NL, in, h, w);
        float *q = run_lp(g, VSR_PREC_INT8, NULL, 0, in, h, w);
        assert_memory_equal(ref, mix, n * sizeof(float));
        /* and the plain INT8 output is not that (the test can fail) */
        assert_true(memcmp(ref, q, n * sizeof(float)) != 0);
        free(ref), free(mix), free(q);
    }
    /* one layer (the tail conv) kept FP32: differs from INT8 and from FP32 */
    vsr_layer_precision one = {"tail", VSR_PREC_FP32};
    float *ref = run_lp(g, VSR_PREC_FP32, NULL, 0, in, h, w);
    float *q = run_lp(g, VSR_PREC_INT8, NULL, 0, in, h, w);
    float *mix = run_lp(g, VSR_PREC_INT8, &one, 1, in, h, w);
    double e_q = 0, e_mix = 0;
    for (size_t i = 0; i < n; i++) {
        e_q += (q[i] - ref[i]) * (q[i] - ref[i]);
        e_mix += (mix[i] - ref[i]) * (mix[i] - ref[i]);
    }
    assert_true(e_mix > 0 && e_mix != e_q);
    free(ref), free(q), free(mix);
    vsr_graph_free(&g);
    free(in);
}

static void test_errors(void **state)
{
    (void)state;
    vsr_graph *g = chain();
    vsr_engine *e = NULL;
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    vsr_layer_precision lp = {"nope", VSR_PREC_FP32};
    o.layer_prec = &lp;
    o.n_layer_prec = 1;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "no layer 'nope'"));
    lp.layer = "x"; /* the input */
    assert_int_equal(vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "keeps its input's type"));
    lp.layer = "4"; /* the table has rows 1..3 */
    assert_int_equal(vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, &e, &err), -EINVAL);
    lp.layer = "A";
    lp.prec = VSR_PREC_FP16N;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, &e, &err), -EINVAL);
    assert_null(e);
    /* an INT8 layer needs parameters: a fresh graph without them names the tensor */
    vsr_graph *g2 = NULL;
    OK(vsr_graph_create("noq", &g2, &err));
    int x = vsr_graph_input(g2, "x", 1, 2, 1, &err);
    vsr_conv_params p = vsr_conv_default(1, 1);
    p.bias = 0;
    int a = vsr_graph_conv2d(g2, "A", x, &p, &err);
    OK(vsr_graph_output(g2, "out", a, &err));
    float wa = 1.f;
    OK(vsr_graph_set_weight(g2, "A.weight", &wa, 1, &err));
    lp.prec = VSR_PREC_INT8;
    assert_int_equal(vsr_engine_create(g2, VSR_PREC_FP32, NULL, &o, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "tensor A has no INT8"));
    vsr_graph_free(&g2);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_by_hand),
        cmocka_unit_test(test_all_kept_float_is_float),
        cmocka_unit_test(test_errors),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
