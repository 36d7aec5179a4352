/*
 * Quantisation-aware training (train/qat.c, issue 17): the fake-quant
 * arithmetic against hand-worked values (rounding ties, negatives,
 * saturation), the clipped straight-through gradient on a one-conv net by
 * hand, the LSQ step-size gradient against a central finite difference, the
 * fake-quant forward of ABPN and MVSR_13 against the INT8 engine run with
 * the exported parameters, the .vsrw quant section round trip, and the
 * error paths (calibration 'file' without ranges, a section for another
 * graph, a bad qat.scheme).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_harness.h"
#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"
#include "vsr/train.h"

/* Hand-worked: scale 0.5, zero point -3, so q = nearbyint(2 v) - 3 in [-128, 127]
 * and the value is 0.5 (q + 3); the representable range is [-62.5, 65]. */
static void test_fake_quant_values(void **st)
{
    (void)st;
    int in = -1;
    /* 1.25 -> 2.5: tie to even 2 -> q = -1 -> 0.5 * 2 = 1.0 */
    assert_true(vsr_train_fake_quant(1.25f, 0.5f, -3, &in) == 1.0f);
    assert_int_equal(in, 1);
    /* 1.75 -> 3.5: tie to even 4 -> 2.0 */
    assert_true(vsr_train_fake_quant(1.75f, 0.5f, -3, &in) == 2.0f);
    /* negative ties: -1.25 -> -2.5 -> -2 -> -1.0; -1.75 -> -3.5 -> -4 -> -2.0 */
    assert_true(vsr_train_fake_quant(-1.25f, 0.5f, -3, &in) == -1.0f);
    assert_true(vsr_train_fake_quant(-1.75f, 0.5f, -3, &in) == -2.0f);
    /* not a tie: -0.3 -> -0.6 -> -1 -> -0.5 */
    assert_true(vsr_train_fake_quant(-0.3f, 0.5f, -3, &in) == -0.5f);
    /* the top edge: 65 -> 130 - 3 = 127 (inside); 65.3 -> 130.6 -> 131 - 3 = 128 saturates */
    assert_true(vsr_train_fake_quant(65.f, 0.5f, -3, &in) == 65.f);
    assert_int_equal(in, 1);
    assert_true(vsr_train_fake_quant(65.3f, 0.5f, -3, &in) == 65.f);
    assert_int_equal(in, 0);
    /* the bottom: -62.5 -> -125 - 3 = -128 inside; -100 -> -203 -> -128 outside */
    assert_true(vsr_train_fake_quant(-62.5f, 0.5f, -3, &in) == -62.5f);
    assert_int_equal(in, 1);
    assert_true(vsr_train_fake_quant(-100.f, 0.5f, -3, &in) == -62.5f);
    assert_int_equal(in, 0);
    /* symmetric (zp 0), scale 2: 3 -> 1.5 -> 2 -> 4; -3 -> -2 -> -4; 5 -> 2.5 -> 2 -> 4 */
    assert_true(vsr_train_fake_quant(3.f, 2.f, 0, NULL) == 4.f);
    assert_true(vsr_train_fake_quant(-3.f, 2.f, 0, NULL) == -4.f);
    assert_true(vsr_train_fake_quant(5.f, 2.f, 0, NULL) == 4.f);
}

/* LSQ: the gradient d/ds of s * clamp(v/s + c, qn, qp) with the rounding offset
 * c = round(v/s0) - v/s0 held fixed (the straight-through treatment of round) is
 * round(v/s) - v/s inside, qn / qp outside; checked by a central difference. */
static void test_lsq_grad_fd(void **st)
{
    (void)st;
    const double vs[] = {0.37, -1.9, 5.55, 200.0, -300.0, 0.0, 12.3};
    const double s0 = 0.7, h = 1e-6;
    const int qn = -128 + 3, qp = 127 + 3; /* zero point -3 shifted out */
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        double v = vs[i], c = nearbyint(v / s0) - v / s0;
        double fp, fm;
        double rp = v / (s0 + h) + c, rm = v / (s0 - h) + c;
        rp = rp < qn ? qn : rp > qp ? qp : rp;
        rm = rm < qn ? qn : rm > qp ? qp : rm;
        fp = (s0 + h) * rp, fm = (s0 - h) * rm;
        double fd = (fp - fm) / (2 * h);
        double g = vsr_train_lsq_scale_grad(v, s0, qn, qp);
        assert_true(fabs(g - fd) < 1e-6);
    }
    /* hand values: v = 0.37, s = 0.7: v/s = 0.52857, round 1: 1 - 0.52857 */
    assert_true(fabs(vsr_train_lsq_scale_grad(0.37, 0.7, qn, qp) - (1 - 0.37 / 0.7)) < 1e-12);
    assert_true(vsr_train_lsq_scale_grad(200.0, 0.7, qn, qp) == qp);
    assert_true(vsr_train_lsq_scale_grad(-300.0, 0.7, qn, qp) == qn);
}

/* The one-conv net of the cases below: input "x" (1 x 2, one channel), a 1x1 conv "c"
 * (1 -> 1 channel, weight @p w, bias *@p b or none when @p b is NULL, no activation),
 * output "y"; the node ids to @p x and @p y. */
static vsr_graph *one_conv(const char *name, float w, const float *b, int *x, int *y)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_graph_create(name, &g, &err), 0);
    *x = vsr_graph_input(g, "x", 1, 2, 1, &err);
    vsr_conv_params cp = vsr_conv_default(1, 1);
    cp.bias = b != NULL;
    *y = vsr_graph_conv2d(g, "c", *x, &cp, &err);
    assert_true(*y >= 0);
    assert_int_equal(vsr_graph_output(g, "y", *y, &err), 0);
    assert_int_equal(vsr_graph_set_weight(g, "c.weight", &w, 1, &err), 0);
    if (b)
        assert_int_equal(vsr_graph_set_weight(g, "c.bias", b, 1, &err), 0);
    return g;
}

/* A training net of @p g on 1 x 2 inputs (@p batch slots, one step, scalar kernels, input
 * gradients when @p input_grads) with QAT on under the default scheme, power-of-two scales
 * when @p pow2. */
static vsr_train_net *qat_net(const vsr_graph *g, int batch, int input_grads, int pow2)
{
    vsr_train_net *net = NULL;
    vsr_error err = {0};
    vsr_quant_scheme qs;
    vsr_quant_scheme_default(&qs);
    qs.pow2 = pow2;
    vsr_train_net_options o = {
        .batch = batch, .steps = 1, .input_grads = input_grads, .force_scalar = 1};
    assert_int_equal(vsr_train_net_create(g, 1, 2, &o, &net, &err), 0);
    assert_int_equal(vsr_train_net_qat_enable(net, &qs, &err), 0);
    return net;
}

/* The ranges the one-conv cases set: input @p x [0, 12.75] (scale 0.05, zp -128), output
 * @p y [0, 2.55] (scale 0.01, zp -128). */
static void set_ranges(vsr_train_net *net, int x, int y)
{
    assert_int_equal(vsr_train_net_qat_set_range(net, x, 0.f, 12.75f), 0);
    assert_int_equal(vsr_train_net_qat_set_range(net, y, 0.f, 2.55f), 0);
}

/* One 1x1 conv, 1 -> 1 channel, weight 0.6 (bias 0), on a 1x2 input {1, 10}, no
 * activation: y = 0.6 x. The input's range is set to [0, 12.75] (scale 0.05, zp -128)
 * and the output's to [0, 2.55] (scale 0.01, zp -128). Forward by hand: the weight
 * quantises to round(0.6 / (0.6/127)) = 127 -> 0.6 exactly; x = 1 and 10 are on the
 * input grid; y = 0.6 (inside) and 6.0 (saturates at 2.55). With dLoss/dy = 1 each,
 * the clipped STE passes the first only: dL/dw = x0 * 1 = 1, dL/dx = {0.6, 0}. */
static void test_ste_by_hand(void **st)
{
    (void)st;
    int x, y;
    vsr_graph *g = one_conv("ste", 0.6f, NULL, &x, &y);
    vsr_train_net *net = qat_net(g, 1, 1, 0);
    set_ranges(net, x, y);
    float lo, hi, sc;
    int zp;
    assert_int_equal(vsr_train_net_qat_range(net, y, &lo, &hi, &sc, &zp), 0);
    assert_float_equal(sc, 0.01f, 1e-9);
    assert_int_equal(zp, -128);
    vsr_train_net_qat_refresh(net);
    vsr_train_net_qat_mode(net, 0, 1);
    const float xin[2] = {1.f, 10.f};
    const float *in[1] = {xin};
    vsr_error err = {0};
    assert_int_equal(vsr_train_net_forward(net, 0, 0, in, &err), 0);
    double out[2];
    vsr_train_net_output(net, 0, 0, 0, out, NULL);
    /* 0.6 -> q = round(60) - 128 = -68 -> 0.01 * 60 = 0.6 (as float); 6 -> 127 -> 2.55 */
    assert_true(fabs(out[0] - 0.6) < 1e-6);
    assert_true(fabs(out[1] - 2.55) < 1e-6);
    vsr_train_net_zero_grad(net);
    const double dy[2] = {1.0, 1.0};
    assert_int_equal(vsr_train_net_add_output_grad(net, 0, 0, 0, dy), 0);
    assert_int_equal(vsr_train_net_backward(net, 0, 0, &err), 0);
    const double *gw = vsr_train_net_reduce(net);
    assert_true(fabs(gw[0] - 1.0) < 1e-6);
    double dx[2];
    assert_int_equal(vsr_train_net_input_grad(net, 0, 0, 0, dx), 0);
    assert_true(fabs(dx[0] - 0.6) < 1e-6);
    assert_true(dx[1] == 0.0);
    vsr_train_net_free(&net);
    vsr_graph_free(&g);
}

/* LSQ on the same one-conv net: the output's scale 0.01 (zp -128, so Qn = 0, Qp = 255)
 * becomes a parameter. Forward {1, 10} -> pre-quant y = {0.6, 6}; with dLoss/dy = 1:
 * dL/ds = (round(60) - 60 + 255) / sqrt(N Qp) = 255 / sqrt(2 * 255) = 11.2916 (the
 * first term is 0 up to float rounding of 0.6 / 0.01, < 1e-5). The input's scale 0.05:
 * x = 1 and 10 are on its grid (round(v/s) - v/s ~ 0), and its gradient is masked
 * {0.6, 0}, so dL/ds_x ~ 0. A pow2 scheme refuses LSQ. */
static void test_lsq_net(void **st)
{
    (void)st;
    vsr_error err = {0};
    int x, y;
    vsr_graph *g = one_conv("lsq", 0.6f, NULL, &x, &y);
    vsr_train_net *net = qat_net(g, 1, 1, 1);
    assert_int_equal(vsr_train_net_qat_lsq_start(net, &err), -EINVAL); /* no ranges yet */
    set_ranges(net, x, y);
    assert_int_equal(vsr_train_net_qat_lsq_start(net, &err), -EINVAL); /* pow2 */
    VSR_ASSERT_ONE_LINE(err.msg, "pow2");
    vsr_train_net_free(&net);
    net = qat_net(g, 1, 1, 0);
    set_ranges(net, x, y);
    vsr_train_net_qat_refresh(net);
    assert_int_equal(vsr_train_net_qat_lsq_start(net, &err), 0);
    vsr_train_net_qat_mode(net, 0, 1);
    const float xin[2] = {1.f, 10.f};
    const float *in[1] = {xin};
    assert_int_equal(vsr_train_net_forward(net, 0, 0, in, &err), 0);
    vsr_train_net_zero_grad(net);
    const double dy[2] = {1.0, 1.0};
    assert_int_equal(vsr_train_net_add_output_grad(net, 0, 0, 0, dy), 0);
    assert_int_equal(vsr_train_net_backward(net, 0, 0, &err), 0);
    double sg[2];
    vsr_train_net_qat_lsq_grads(net, sg);
    assert_true(fabs(sg[y] - 255.0 / sqrt(510.0)) < 1e-4);
    assert_true(fabs(sg[x]) < 1e-5);
    /* the scales are the net's: an edit shows in the next forward (0.02: 6 -> 2.55 * 2) */
    float *sc = vsr_train_net_qat_scales(net);
    sc[y] = 0.02f;
    vsr_train_net_qat_refresh(net);
    assert_int_equal(vsr_train_net_forward(net, 0, 0, in, &err), 0);
    double out[2];
    vsr_train_net_output(net, 0, 0, 0, out, NULL);
    assert_true(fabs(out[1] - 5.1) < 1e-5); /* 0.02 * (127 + 128) */
    vsr_train_net_free(&net);
    vsr_graph_free(&g);
}

/* Range tracking on the input of a one-conv net (batch 2, so the step's min / max is
 * over both slots): step 1 sees {1, 10} and {3, 4} -> [1, 10]; step 2 sees {-2, 4} and
 * {0, 6} -> [-2, 6]. Running min / max: [-2, 10]; EMA 0.5: [(1 - 2) / 2, (10 + 6) / 2] =
 * [-0.5, 8]; and the parameters follow the range (asymmetric int8: s = (hi - lo) / 255,
 * zp = round(-128 - lo / s): [-2, 10] -> s = 12/255, zp = round(-128 + 42.5) = -86 (a
 * tie, rounded away from zero as vsr_quant_from_range does: lroundf)). */
static void test_range_tracking(void **st)
{
    (void)st;
    for (int running = 0; running < 2; running++) {
        vsr_error err = {0};
        const float b0 = 0.f;
        int x, y;
        vsr_graph *g = one_conv("rt", 1.f, &b0, &x, &y);
        vsr_train_net *net = qat_net(g, 2, 0, 0);
        vsr_train_net_qat_mode(net, 1, 0);
        const float s1[2][2] = {{1.f, 10.f}, {3.f, 4.f}}, s2[2][2] = {{-2.f, 4.f}, {0.f, 6.f}};
        for (int b = 0; b < 2; b++) {
            const float *in[1] = {s1[b]};
            assert_int_equal(vsr_train_net_forward(net, b, 0, in, &err), 0);
        }
        vsr_train_net_qat_update(net, 0.5, running);
        for (int b = 0; b < 2; b++) {
            const float *in[1] = {s2[b]};
            assert_int_equal(vsr_train_net_forward(net, b, 0, in, &err), 0);
        }
        vsr_train_net_qat_update(net, 0.5, running);
        float lo, hi, sc;
        int zp;
        assert_int_equal(vsr_train_net_qat_range(net, x, &lo, &hi, &sc, &zp), 0);
        if (running) {
            assert_true(lo == -2.f && hi == 10.f);
            assert_float_equal(sc, 12.f / 255.f, 1e-9);
            assert_int_equal(zp, -86);
        } else {
            assert_true(lo == -0.5f && hi == 8.f);
        }
        vsr_train_net_free(&net);
        vsr_graph_free(&g);
    }
}

/* A smooth, deterministic test image in 0..255 (integers, as 8-bit frames are). */
static void fill_image(float *x, int h, int w, int c, int seed)
{
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            for (int k = 0; k < c; k++) {
                double v = 128 + 90 * sin(0.7 * i + 0.3 * seed) * cos(0.45 * j + 0.9 * k) +
                           20 * sin(1.3 * (i + j) + k + seed);
                x[((size_t)i * w + j) * c + k] = (float)nearbyint(v < 0     ? 0
                                                                  : v > 255 ? 255
                                                                            : v);
            }
}

/*
 * The QAT forward (fake quantisation) of a zoo model against the INT8 engine run
 * with the parameters vsr_train_net_qat_store() exported: the ranges are observed
 * on one image, then both run on another (so some values saturate). Expected:
 * bit-exact on these inputs. Why it can be exact: every quantised tensor holds
 * s (q - zp) in both; the engine sums q_x q_w in int32 and requantises with a
 * Q31 multiplier (ties away from zero), the fake-quant forward sums float
 * products of the dequantised values (the bias on the same int32 grid, folded
 * batch norms folded the same way) and rounds v / s to nearest even. The two
 * differ only when the float sum lands within its rounding error (~1e-5 of an
 * output step here) of a half step, so in general the bound is 1 LSB per
 * tensor; on these 2 x 6912 outputs no such case occurs, and any drift in the
 * quantisation points, bias grids or folding (each was a real bug while this
 * was written: 8-27 % of outputs off by up to 2 LSB) shows up at once.
 */
static void qat_vs_engine(const char *model, const char *wfile)
{
    char path[1024];
    const char *src = getenv("VSR_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/models/weights/%s", src ? src : "..", wfile);
    const int H = 12, W = 12;
    vsr_models_spec spec = {
        .model = model, .weights = path, .h = H, .w = W, .flags = VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_instance *m = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_models_open(&spec, &m, &err), 0);
    vsr_graph *g = m->graph;
    int C = m->arch.in_channels;
    assert_int_equal(vsr_graph_input_count(g), 1);
    vsr_train_net *net = NULL;
    vsr_train_net_options o = {.batch = 1, .steps = 1, .force_scalar = 1};
    assert_int_equal(vsr_train_net_create(g, H, W, &o, &net, &err), 0);
    vsr_quant_scheme qs;
    vsr_quant_scheme_default(&qs);
    assert_int_equal(vsr_train_net_qat_enable(net, &qs, &err), 0);
    float *x = malloc((size_t)H * W * C * sizeof(float));
    assert_non_null(x);
    const float *in[1] = {x};
    fill_image(x, H, W, C, 1);
    vsr_train_net_qat_mode(net, 1, 0); /* observe */
    assert_int_equal(vsr_train_net_forward(net, 0, 0, in, &err), 0);
    vsr_train_net_qat_update(net, 0.0, 0);
    assert_true(vsr_train_net_qat_ready(net));
    vsr_train_net_qat_mode(net, 0, 1); /* fake quantise */
    fill_image(x, H, W, C, 2);
    assert_int_equal(vsr_train_net_forward(net, 0, 0, in, &err), 0);
    int oh, ow, oc;
    vsr_train_net_output_shape(net, 0, &oh, &ow, &oc);
    size_t n = (size_t)oh * ow * oc;
    double *fq = malloc(n * sizeof(double));
    float *eo = malloc(n * sizeof(float));
    assert_non_null(fq);
    assert_non_null(eo);
    vsr_train_net_output(net, 0, 0, 0, fq, NULL);
    assert_int_equal(vsr_train_net_qat_store(net, g, &err), 0);
    assert_int_equal(vsr_graph_quant_missing(g), -1);
    vsr_engine_options eopt;
    vsr_engine_options_default(&eopt);
    eopt.force_scalar = 1;
    vsr_engine *e = NULL;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_INT8, NULL, &eopt, &e, &err), 0);
    assert_int_equal(vsr_engine_set_input(e, 0, x, H, W, C, &err), 0);
    assert_int_equal(vsr_engine_run(e, &err), 0);
    assert_int_equal(vsr_engine_get_output(e, 0, eo, n, &err), 0);
    float osc;
    int ozp;
    const vsr_graph *cg = g;
    int ot = -1;
    for (int t = 0; t < vsr_graph_layer_count(cg); t++) {
        vsr_node_view v;
        vsr_graph_node_view(cg, t, &v);
        if (v.op == VSR_OP_CLIP)
            ot = t; /* the last clip: the output's quantiser (depth_to_space keeps it) */
    }
    assert_true(ot >= 0);
    assert_int_equal(vsr_graph_get_quant(g, ot, &osc, &ozp, &err), 0);
    size_t same = 0;
    double worst = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs(fq[k] - (double)eo[k]);
        worst = d > worst ? d : worst;
        same += d <= 1e-4 * osc;
    }
    printf("%s: %zu of %zu outputs identical, worst |diff| %.4g (LSB %.4g)\n", model, same, n,
           worst, (double)osc);
    assert_true(worst == 0.0);
    assert_true(same == n);
    vsr_engine_free(&e);
    free(fq), free(eo), free(x);
    vsr_train_net_free(&net);
    vsr_models_close(&m);
}

static void test_qat_equals_engine_abpn(void **st)
{
    (void)st;
    qat_vs_engine("ABPN", "ABPN.vsrw");
}

static void test_qat_equals_engine_mvsr13(void **st)
{
    (void)st;
    qat_vs_engine("MVSR_13", "MVSR_13.vsrw");
}

/* The .vsrw quant section: saved, read back entry by entry, applied to a fresh graph
 * (the same parameters), calibration 'file' then accepted; a version-1 file (no
 * section) still loads; a section for another graph and calibration 'file' on a
 * file without one are one-line errors naming the file. */
static void test_vsrw_quant_roundtrip(void **st)
{
    (void)st;
    char dir[256], out[512], path[1024];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    const char *src = getenv("VSR_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/models/weights/ABPN.vsrw", src ? src : "..");
    snprintf(out, sizeof(out), "%s/q.vsrw", dir);
    vsr_models_spec spec = {
        .model = "ABPN", .weights = path, .h = 8, .w = 8, .flags = VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_instance *m = NULL, *m2 = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_models_open(&spec, &m, &err), 0);
    vsr_graph *g = m->graph;
    int nn = vsr_graph_layer_count(g);
    /* without parameters: save_quant refuses, naming the first tensor */
    assert_int_equal(vsr_weights_save_quant(g, out, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "no fixed INT8 parameters");
    for (int t = 0; t < nn; t++)
        assert_int_equal(vsr_graph_set_quant(g, t, 0.125f * (float)(t + 1), t % 7 - 3, &err),
                         0);
    assert_int_equal(vsr_weights_save_quant(g, out, &err), 0);
    vsr_weights *w = NULL;
    assert_int_equal(vsr_weights_open(out, &w, &err), 0);
    assert_int_equal(vsr_weights_quant_count(w), nn);
    for (int i = 0; i < nn; i++) {
        const char *nm;
        float sc;
        int zp;
        assert_int_equal(vsr_weights_quant_at(w, i, &nm, &sc, &zp), 0);
        vsr_node_view v;
        vsr_graph_node_view(g, i, &v);
        assert_string_equal(nm, v.name);
        assert_true(sc == 0.125f * (float)(i + 1));
        assert_int_equal(zp, i % 7 - 3);
    }
    vsr_weights_free(&w);
    /* hostile sections: the last entry's zero point set to 300, then the count set past
     * what the bytes can hold; each with a valid CRC (vsr_crc32, zlib's), so the section
     * check itself must refuse them with one line naming the file */
    {
        char *buf = NULL;
        size_t n = 0;
        FILE *fi = fopen(out, "rb");
        assert_non_null(fi);
        assert_int_equal(fseek(fi, 0, SEEK_END), 0);
        n = (size_t)ftell(fi);
        rewind(fi);
        buf = malloc(n);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, n, fi), n);
        fclose(fi);
        char bad[600];
        snprintf(bad, sizeof(bad), "%s/bad.vsrw", dir);
        for (int k = 0; k < 2; k++) {
            char *c = malloc(n);
            assert_non_null(c);
            memcpy(c, buf, n);
            if (k == 0) { /* zp of the last entry: the 4 bytes before the CRC */
                const int32_t z = 300;
                memcpy(c + n - 8, &z, 4);
            } else { /* the count: n_nodes entries of (2 + name + 8) bytes before the CRC */
                size_t sec = 4;
                for (int t = 0; t < nn; t++) {
                    vsr_node_view v;
                    vsr_graph_node_view(g, t, &v);
                    sec += 2 + strlen(v.name) + 8;
                }
                const uint32_t big = 999999;
                memcpy(c + n - 4 - sec, &big, 4);
            }
            uint32_t crc = vsr_crc32(0, c, n - 4);
            memcpy(c + n - 4, &crc, 4); /* little-endian hosts (x86): the file's order */
            FILE *fo = fopen(bad, "wb");
            assert_non_null(fo);
            assert_int_equal(fwrite(c, 1, n, fo), n);
            fclose(fo);
            free(c);
            assert_int_equal(vsr_weights_open(bad, &w, &err), -EINVAL);
            VSR_ASSERT_ONE_LINE(err.msg, "bad.vsrw");
            VSR_ASSERT_ONE_LINE(err.msg, k == 0 ? "zero point 300" : "quant section count");
        }
        free(buf);
    }
    /* the committed file is version 1, no section */
    assert_int_equal(vsr_weights_open(path, &w, &err), 0);
    assert_int_equal(vsr_weights_quant_count(w), 0);
    vsr_weights_free(&w);
    /* a fresh graph from the saved file: the same parameters, and 'file' works */
    spec.weights = out;
    spec.precision = VSR_PREC_INT8;
    spec.calib_method = "file";
    assert_int_equal(vsr_models_open(&spec, &m2, &err), 0);
    for (int t = 0; t < nn; t++) {
        float sc;
        int zp;
        assert_int_equal(vsr_graph_get_quant(m2->graph, t, &sc, &zp, &err), 0);
        assert_true(sc == 0.125f * (float)(t + 1));
        assert_int_equal(zp, t % 7 - 3);
    }
    vsr_models_close(&m2);
    /* calibration 'file' on weights without a section: names the file and the fix */
    spec.weights = path;
    assert_int_equal(vsr_models_open(&spec, &m2, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "ABPN.vsrw");
    VSR_ASSERT_ONE_LINE(err.msg, "qat:");
    VSR_ASSERT_ONE_LINE(err.msg, "--calibration minmax");
    /* the section applied to another graph (ABPN with other hyperparameters) */
    vsr_models_kv hp[1] = {{"F", "16"}};
    vsr_models_spec s3 = {.model = "ABPN",
                          .hparams = hp,
                          .n_hparams = 1,
                          .h = 8,
                          .w = 8,
                          .flags = VSR_MODELS_OPEN_NO_WEIGHTS | VSR_MODELS_OPEN_NO_ENGINE};
    if (vsr_models_open(&s3, &m2, &err) == 0) {
        assert_int_equal(vsr_weights_load(m2->graph, out, &err), -EINVAL);
        VSR_ASSERT_ONE_LINE(err.msg, "q.vsrw");
        vsr_models_close(&m2);
    }
    vsr_models_close(&m);
    vsr_test_rmtree(dir);
}

/* qat: in a training config: the keys, and a scheme that is not int8. */
static void test_qat_config(void **st)
{
    (void)st;
    char dir[256], p[512];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(p, sizeof(p), "%s/t.yaml", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("name: t\nmodel: ABPN\ninit_weights: x.vsrw\n"
          "qat: {enable: true, scheme: int8-sym-pow2, start_step: 5, freeze_ranges_after: 9, "
          "ema: 0.5}\n",
          f);
    fclose(f);
    vsr_train_config c;
    vsr_error err = {0};
    assert_int_equal(vsr_train_config_load(p, NULL, 0, &c, &err), 0);
    assert_int_equal(c.qat, 1);
    assert_string_equal(c.qat_scheme, "int8-sym-pow2");
    assert_string_equal(c.init_weights, "x.vsrw");
    assert_int_equal(c.qat_start, 5);
    assert_int_equal(c.qat_freeze, 9);
    assert_true(c.qat_ema == 0.5);
    vsr_train_config_free(&c);
    const char *bad[] = {"qat.scheme=fp16"};
    assert_int_not_equal(vsr_train_config_load(p, bad, 1, &c, &err), 0);
    VSR_ASSERT_ONE_LINE(err.msg, "qat.scheme");
    const char *bad3[] = {"qat.lsq=true", "qat.freeze_ranges_after=0"};
    assert_int_not_equal(vsr_train_config_load(p, bad3, 2, &c, &err), 0);
    VSR_ASSERT_ONE_LINE(err.msg, "freeze_ranges_after");
    const char *bad2[] = {"qat.scheme=int8-foo"};
    assert_int_not_equal(vsr_train_config_load(p, bad2, 1, &c, &err), 0);
    VSR_ASSERT_ONE_LINE(err.msg, "foo");
    vsr_test_rmtree(dir);
}

/*
 * `vsrbench train` with qat: from the committed ABPN weights with every other element
 * of each tensor set to 0 (a "pruned" file; init_weights, init_keep_zeros), 3 Adam
 * steps at lr 1e-5 on the demo set: the file written is version 2 with a quant
 * section for every tensor, opens with calibration 'file', records the recipe, the
 * zeros stay exactly 0, and every other weight is within the hand bound of 3 Adam
 * steps of its start (|dw| <= 3 lr (1 + 1e-6): bias-corrected Adam moves a parameter
 * by at most ~lr a step), which a random init would break by orders of magnitude.
 */
static void test_qat_train_run(void **st)
{
    vsr_test_train_env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512], w0[1024], w1[700];
    const char *src = getenv("VSR_SOURCE_DIR");
    char wz[1024];
    snprintf(wz, sizeof(wz), "%s/models/weights/ABPN.vsrw", src ? src : "..");
    snprintf(w0, sizeof(w0), "%s/pruned.vsrw", e->tmp);
    {
        vsr_models_spec ps = {
            .model = "ABPN", .weights = wz, .h = 8, .w = 8, .flags = VSR_MODELS_OPEN_NO_ENGINE};
        vsr_models_instance *pm = NULL;
        vsr_error perr = {0};
        assert_int_equal(vsr_models_open(&ps, &pm, &perr), 0);
        for (int i = 0; i < vsr_graph_weight_count(pm->graph); i++) {
            vsr_weight_info wi;
            vsr_graph_weight_info(pm->graph, i, &wi);
            const float *src0;
            size_t cnt0;
            assert_int_equal(vsr_graph_get_weight(pm->graph, wi.name, &src0, &cnt0, &perr), 0);
            float *d = malloc(wi.count * sizeof(float));
            assert_non_null(d);
            memcpy(d, src0, wi.count * sizeof(float));
            for (size_t k = 0; k < wi.count; k += 2)
                d[k] = 0.f;
            assert_int_equal(vsr_graph_set_weight(pm->graph, wi.name, d, wi.count, &perr), 0);
            free(d);
        }
        assert_int_equal(vsr_weights_save(pm->graph, w0, &perr), 0);
        vsr_models_close(&pm);
    }
    snprintf(cfg, sizeof(cfg), "%s/q.yaml", e->tmp);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: q\nmodel: ABPN\npatch: 12\nbatch: 2\nsteps: 3\ndata_dir: %s\n"
            "out_dir: %s/q\ninit_weights: %s\ninit_keep_zeros: true\noptimizer: {lr: 1.0e-5}\n"
            "schedule: {type: constant}\nval: {every: 100, frames: 1}\n"
            "output_clip_ste: 0\nqat: {enable: true, scheme: int8, ema: 0.5}\n",
            e->data, e->tmp, w0);
    fclose(f);
    vsr_train_config c;
    vsr_error err = {0};
    assert_int_equal(vsr_train_config_load(cfg, NULL, 0, &c, &err), 0);
    vsr_train_hooks hk = {0};
    int rc = vsr_train_run(&c, 0, NULL, &hk, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    vsr_train_config_free(&c);
    snprintf(w1, sizeof(w1), "%s/q/q.vsrw", e->tmp);
    vsr_weights *a = NULL, *b = NULL;
    assert_int_equal(vsr_weights_open(w0, &a, &err), 0);
    assert_int_equal(vsr_weights_open(w1, &b, &err), 0);
    assert_non_null(strstr(vsr_weights_meta(b, "train.qat"), "scheme int8"));
    assert_non_null(vsr_weights_meta(b, "train.val_psnr_y_demo_int8"));
    assert_int_equal(vsr_weights_tensor_count(a), vsr_weights_tensor_count(b));
    double worst = 0;
    for (int i = 0; i < vsr_weights_tensor_count(a); i++) {
        const char *na, *nb;
        int da[4], db[4], ka, kb;
        const float *pa, *pb;
        vsr_weights_tensor_at(a, i, &na, &ka, da, &pa);
        vsr_weights_tensor_at(b, i, &nb, &kb, db, &pb);
        assert_string_equal(na, nb);
        size_t cnt = 1;
        for (int d = 0; d < ka; d++)
            cnt *= (size_t)da[d];
        for (size_t k = 0; k < cnt; k++) {
            if (pa[k] == 0.f)
                assert_true(pb[k] == 0.f); /* pruned: kept */
            worst = fmax(worst, fabs((double)pa[k] - (double)pb[k]));
        }
    }
    assert_true(worst > 0);
    assert_true(worst <= 3 * 1e-5 * (1 + 1e-6) + 1e-7);
    vsr_weights_free(&a);
    vsr_weights_free(&b);
    /* the ranges run: ABPN with calibration 'file' from the trained file */
    vsr_models_spec spec = {.model = "ABPN",
                            .weights = w1,
                            .h = 8,
                            .w = 8,
                            .precision = VSR_PREC_INT8,
                            .calib_method = "file"};
    vsr_models_instance *m = NULL;
    assert_int_equal(vsr_models_open(&spec, &m, &err), 0);
    assert_int_equal(vsr_graph_quant_missing(m->graph), -1);
    vsr_models_close(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_quant_values),
        cmocka_unit_test(test_lsq_grad_fd),
        cmocka_unit_test(test_ste_by_hand),
        cmocka_unit_test(test_range_tracking),
        cmocka_unit_test(test_lsq_net),
        cmocka_unit_test(test_qat_equals_engine_abpn),
        cmocka_unit_test(test_qat_equals_engine_mvsr13),
        cmocka_unit_test(test_vsrw_quant_roundtrip),
        cmocka_unit_test(test_qat_config),
        cmocka_unit_test_setup_teardown(test_qat_train_run, vsr_test_train_setup,
                                        vsr_test_tmp_free),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
