/*
 * Each op against small hand-computed cases (FP32 engine), shape errors
 * naming the layer, BN folding, and counting against the ABPN numbers in
 * docs/MODEL_SPECS.md 2.2 (62,048 params, 61,812 weights x 57,600 px MACs).
 */
#include "engine_testutil.h"

static void expect(const float *got, const float *want, int n, float tol)
{
    for (int i = 0; i < n; i++) {
        if (fabsf(got[i] - want[i]) > tol)
            print_message("element %d: got %.7g want %.7g\n", i, got[i], want[i]);
        assert_true(fabsf(got[i] - want[i]) <= tol);
    }
}

/* Build "x" (h x w x c) -> op -> output, run, compare. */
typedef int (*build_fn)(vsr_graph *g, int x, vsr_error *err);

static float *one_input(build_fn fn, int h, int w, int c, const float *x, int *oh, int *ow,
                        int *oc, const char *const *wnames, const float *const *wvals,
                        const size_t *wn)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("t", &g, &err));
    int xi = vsr_graph_input(g, "x", h, w, c, &err);
    int y = fn(g, xi, &err);
    OK(y);
    OK(vsr_graph_output(g, "y", y, &err));
    for (int i = 0; wnames && wnames[i]; i++)
        OK(vsr_graph_set_weight(g, wnames[i], wvals[i], wn[i], &err));
    const float *in[1] = {x};
    float *out = run_graph(g, VSR_PREC_FP32, NULL, in, h, w, 0, oh, ow, oc);
    vsr_graph_free(&g);
    return out;
}

/* one_input() of a graph with a single weight tensor, @p name, of @p n values @p wt. */
static float *one_weight(build_fn fn, int h, int w, int c, const float *x, int *oh, int *ow,
                         int *oc, const char *name, const float *wt, size_t n)
{
    const char *wn[] = {name, NULL};
    const float *wv[] = {wt};
    return one_input(fn, h, w, c, x, oh, ow, oc, wn, wv, &n);
}

/* @p n copies of @p v in @p x. */
static void fill(float *x, int n, float v)
{
    for (int i = 0; i < n; i++)
        x[i] = v;
}

static int b_conv_ones(vsr_graph *g, int x, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(1, 3);
    p.bias = 0;
    return vsr_graph_conv2d(g, "conv", x, &p, err);
}

static void test_conv_same_padding(void **state)
{
    (void)state;
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9];
    fill(w, 9, 1.f);
    int oh, ow, oc;
    float *y = one_weight(b_conv_ones, 3, 3, 1, x, &oh, &ow, &oc, "conv.weight", w, 9);
    assert_int_equal(oh * ow * oc, 9);
    /* sums of the 3x3 neighbourhoods with zero padding */
    const float want[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    expect(y, want, 9, 0.f);
    free(y);
}

/*
 * Dense FP32 convs on every kind of border: output rows whose taps all lie inside
 * the frame read their interior pixels in place and their border pixels and the top
 * and bottom rows from small padded buffers (engine/ops/conv.c, dense_rows).
 * Against a direct convolution in double computed here with "same" zero padding
 * (top/left pad = (keff - 1) / 2), for kernels 1, 3 and 5, dilation 1 and 2, and
 * frames narrower and shorter than the kernel; with the SIMD kernels and forced
 * scalar. Tolerance: 2^-20 (|b| + sum |x| |w|), a few times the float sum's rounding.
 */
/* A graph of one conv named "conv" with params @p p on an h x w x ci input "x", its
 * output "y"; the two tensors' ids in *x and *y */
static vsr_graph *conv_graph(const char *name, int h, int w, int ci, const vsr_conv_params *p,
                             int *x, int *y)
{
    vsr_error err = {0};
    vsr_graph *g = NULL;
    OK(vsr_graph_create(name, &g, &err));
    *x = vsr_graph_input(g, "x", h, w, ci, &err);
    *y = vsr_graph_conv2d(g, "conv", *x, p, &err);
    OK(vsr_graph_output(g, "y", *y, &err));
    return g;
}

static void test_conv_f32_borders(void **state)
{
    (void)state;
    static const int hw[][2] = {{1, 1}, {2, 3}, {4, 2}, {5, 7}, {9, 17}, {6, 40}};
    enum { CI = 5, CO = 20 };
    for (int k = 1; k <= 5; k += 2)
        for (int d = 1; d <= 2; d++)
            for (size_t s = 0; s < sizeof hw / sizeof hw[0]; s++)
                for (int scalar = 0; scalar < 2; scalar++) {
                    int h = hw[s][0], w = hw[s][1], ke = (k - 1) * d + 1, pt = (ke - 1) / 2;
                    vsr_error err = {0};
                    vsr_conv_params p = vsr_conv_default(CO, k);
                    p.dilation = d;
                    int x, y;
                    vsr_graph *g = conv_graph("borders", h, w, CI, &p, &x, &y);
                    size_t nw = (size_t)k * k * CI * CO;
                    float *wt = malloc(nw * sizeof(float)), b[CO];
                    float *in = malloc((size_t)h * w * CI * sizeof(float));
                    fill_rand(wt, nw, 7u + (uint32_t)(k * 10 + d), -1.f, 1.f);
                    fill_rand(b, CO, 3u, -1.f, 1.f);
                    fill_rand(in, (size_t)h * w * CI, 11u + (uint32_t)s, -2.f, 2.f);
                    OK(vsr_graph_set_weight(g, "conv.weight", wt, nw, &err));
                    OK(vsr_graph_set_weight(g, "conv.bias", b, CO, &err));
                    vsr_engine_options o;
                    vsr_engine_options_default(&o);
                    o.force_scalar = scalar;
                    const float *ins[1] = {in};
                    int oh, ow, oc;
                    float *out = run_graph(g, VSR_PREC_FP32, &o, ins, h, w, 0, &oh, &ow, &oc);
                    assert_true(oh == h && ow == w && oc == CO);
                    for (int yy = 0; yy < h; yy++)
                        for (int xx = 0; xx < w; xx++)
                            for (int o2 = 0; o2 < CO; o2++) {
                                double acc = b[o2], mag = fabs(b[o2]);
                                for (int ky = 0; ky < k; ky++)
                                    for (int kx = 0; kx < k; kx++) {
                                        int iy = yy - pt + ky * d, ix = xx - pt + kx * d;
                                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                            continue;
                                        for (int ci = 0; ci < CI; ci++) {
                                            double v = in[((size_t)iy * w + ix) * CI + ci];
                                            double c =
                                                wt[(((size_t)ky * k + kx) * CI + ci) * CO + o2];
                                            acc += v * c, mag += fabs(v * c);
                                        }
                                    }
                                double got = out[((size_t)yy * w + xx) * CO + o2];
                                assert_true(fabs(got - acc) <= mag * 0x1p-20);
                            }
                    free(out), free(in), free(wt);
                    vsr_graph_free(&g);
                }
}

/*
 * Dense INT8 convs on every kind of border: with VNNI, output rows read their
 * interior pixels in place and their border pixels, the top and bottom rows and the
 * rows whose taps reach the last input row from windows padded with the input's
 * zero point (engine/ops/conv.c, dense_rows); forced scalar copies every chunk
 * into a padded buffer for the scalar kernel. Both must give the same bytes, for
 * kernels 1, 3 and 5, dilation 1 and 2, frames narrower and shorter than the kernel,
 * the convs with 3 and 1 input channels whose taps are gathered into one vector per
 * pixel first (dense_rows_im2col: 3x3x3 -> 28, 3x3x1 -> 12, 5x5x1 -> 28; with
 * dilation 2 the gather takes the per-tap path), the lane-tiled
 * 28 -> 28 path (12- and 4-pixel blocks), the 16-channel tiles (16 -> 48) and a
 * float epilogue (leaky ReLU: the accumulators, then acc_epilogue). The quantization
 * is fixed (vsr_graph_set_quant) so that both engines use the same parameters, and
 * the INT8 result stays within 3 output steps of FP32 on average (a sanity bound:
 * the weights are rounded to 8 bits).
 */
static void test_conv_qs8_borders(void **state)
{
    (void)state;
    static const int hw[][2] = {{1, 1}, {2, 3}, {4, 2}, {5, 7}, {9, 17}, {6, 40}, {3, 30}};
    /* 3 -> 28 and 1 -> 16 with k 3 (and 1 -> 16 with k 5): the im2col rows */
    static const int ch[][3] = {{3, 28, 0}, {1, 16, 0}, {28, 28, 0}, {16, 48, 0}, {28, 28, 1}};
    for (size_t q = 0; q < sizeof ch / sizeof ch[0]; q++)
        for (int k = 1; k <= 5; k += 2)
            for (int d = 1; d <= 2; d++)
                for (size_t s = 0; s < sizeof hw / sizeof hw[0]; s++) {
                    int CI = ch[q][0], CO = ch[q][1], h = hw[s][0], w = hw[s][1];
                    vsr_error err = {0};
                    vsr_conv_params p = vsr_conv_default(CO, k);
                    p.dilation = d;
                    if (ch[q][2])
                        p.act.type = VSR_ACT_LEAKY_RELU, p.act.alpha = 0.1f;
                    int x, y;
                    vsr_graph *g = conv_graph("borders8", h, w, CI, &p, &x, &y);
                    size_t nw = (size_t)k * k * CI * CO, ny = (size_t)h * w * CO;
                    float *wt = malloc(nw * sizeof(float)), b[48];
                    float *in = malloc((size_t)h * w * CI * sizeof(float));
                    fill_rand(wt, nw, 17u + (uint32_t)(k * 10 + d), -0.3f, 0.3f);
                    fill_rand(b, (size_t)CO, 5u, -1.f, 1.f);
                    fill_rand(in, (size_t)h * w * CI, 31u + (uint32_t)s, -2.f, 2.f);
                    OK(vsr_graph_set_weight(g, "conv.weight", wt, nw, &err));
                    OK(vsr_graph_set_weight(g, "conv.bias", b, (size_t)CO, &err));
                    const float *ins[1] = {in};
                    int oh, ow, oc;
                    float *ref = run_graph(g, VSR_PREC_FP32, NULL, ins, h, w, 0, &oh, &ow, &oc);
                    float lo = 0, hi = 0;
                    for (size_t i = 0; i < ny; i++)
                        lo = fminf(lo, ref[i]), hi = fmaxf(hi, ref[i]);
                    float sy = (hi - lo) / 255.f;
                    sy = sy > 0 ? sy : 1.f;
                    /* a zero point != 0: the padding must be it, not byte 0 */
                    OK(vsr_graph_set_quant(g, x, 4.5f / 255.f, -5, &err));
                    OK(vsr_graph_set_quant(g, y, sy, (int)lrintf(-128.f - lo / sy), &err));
                    float *o[2];
                    for (int scalar = 0; scalar < 2; scalar++) {
                        vsr_engine_options opt;
                        vsr_engine_options_default(&opt);
                        opt.force_scalar = scalar;
                        o[scalar] =
                            run_graph(g, VSR_PREC_INT8, &opt, ins, h, w, 0, &oh, &ow, &oc);
                    }
                    if (memcmp(o[0], o[1], ny * sizeof(float)))
                        print_message("cin %d cout %d k %d d %d %dx%d: SIMD != scalar\n", CI,
                                      CO, k, d, h, w);
                    assert_memory_equal(o[0], o[1], ny * sizeof(float));
                    double md = 0;
                    for (size_t i = 0; i < ny; i++)
                        md += fabs(o[0][i] - ref[i]);
                    assert_true(md / (double)ny <= 3.0 * sy);
                    free(o[0]), free(o[1]), free(ref), free(in), free(wt);
                    vsr_graph_free(&g);
                }
}

static int b_conv_dil(vsr_graph *g, int x, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(1, 3);
    p.bias = 1;
    p.dilation = 2;
    return vsr_graph_conv2d(g, "conv", x, &p, err);
}

static void test_conv_dilation_bias(void **state)
{
    (void)state;
    float x[25], w[9], b[1] = {0.5f};
    for (int i = 0; i < 25; i++)
        x[i] = (float)i; /* x[r][c] = 5r + c */
    fill(w, 9, 1.f);
    const char *wn[] = {"conv.weight", "conv.bias", NULL};
    const float *wv[] = {w, b};
    size_t wc[] = {9, 1};
    int oh, ow, oc;
    float *y = one_input(b_conv_dil, 5, 5, 1, x, &oh, &ow, &oc, wn, wv, wc);
    /* (0,0): taps (0,0) (0,2) (2,0) (2,2) = 0+2+10+12; centre: all 9 taps even rows/cols */
    assert_float_equal(y[0], 24.5f, 0);
    assert_float_equal(y[12], (0 + 2 + 4 + 10 + 12 + 14 + 20 + 22 + 24) + 0.5f, 0);
    free(y);
}

static int b_conv_s2(vsr_graph *g, int x, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(1, 3);
    p.bias = 0;
    p.stride = 2;
    return vsr_graph_conv2d(g, "conv", x, &p, err);
}

static void test_conv_stride2_tf_same(void **state)
{
    (void)state;
    float x[16], w[9];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    fill(w, 9, 1.f);
    int oh, ow, oc;
    float *y = one_weight(b_conv_s2, 4, 4, 1, x, &oh, &ow, &oc, "conv.weight", w, 9);
    assert_int_equal(oh, 2);
    assert_int_equal(ow, 2);
    /* TF SAME, even input, stride 2: pad top/left 0, bottom/right 1 */
    /* (0,1): rows 0-2, cols 2-3 = (3+4)+(7+8)+(11+12) = 45 */
    float w01 = 45, w10 = (9 + 10 + 11) + (13 + 14 + 15), w11 = (11 + 12) + (15 + 16);
    assert_float_equal(y[0], 54, 0);
    assert_float_equal(y[1], w01, 0);
    assert_float_equal(y[2], w10, 0);
    assert_float_equal(y[3], w11, 0);
    free(y);
}

static int b_dw(vsr_graph *g, int x, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(2, 3);
    p.groups = 2;
    p.bias = 0;
    return vsr_graph_conv2d(g, "dw", x, &p, err);
}

static void test_conv_depthwise(void **state)
{
    (void)state;
    float x[18], w[18];
    fill(x, 18, 1.f);
    for (int t = 0; t < 9; t++) {
        w[t * 2 + 0] = 1.f; /* HWIO [3][3][1][2]: channel 0 ones */
        w[t * 2 + 1] = 2.f; /* channel 1 twos */
    }
    int oh, ow, oc;
    float *y = one_weight(b_dw, 3, 3, 2, x, &oh, &ow, &oc, "dw.weight", w, 18);
    assert_float_equal(y[0], 4, 0);     /* corner, channel 0 */
    assert_float_equal(y[1], 8, 0);     /* corner, channel 1 */
    assert_float_equal(y[4 * 2], 9, 0); /* centre */
    assert_float_equal(y[4 * 2 + 1], 18, 0);
    free(y);
}

static int b_grouped(vsr_graph *g, int x, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(4, 1);
    p.groups = 2;
    p.bias = 0;
    p.act.type = VSR_ACT_CLIP;
    p.act.lo = -100, p.act.hi = 7;
    return vsr_graph_conv2d(g, "g", x, &p, err);
}

static void test_conv_grouped_clip(void **state)
{
    (void)state;
    float x[2] = {1.5f, 2.f}, w[4] = {1, 2, 3, 4};
    int oh, ow, oc;
    float *y = one_weight(b_grouped, 1, 1, 2, x, &oh, &ow, &oc, "g.weight", w, 4);
    const float want[4] = {1.5f, 3.f, 6.f, 7.f}; /* 8 clipped to 7 */
    expect(y, want, 4, 0);
    free(y);
}

static int b_d2s(vsr_graph *g, int x, vsr_error *err)
{
    return vsr_graph_depth_to_space(g, "d2s", x, 2, err);
}

static void test_depth_to_space_dcr(void **state)
{
    (void)state;
    /* two input pixels (1 x 2), 8 channels each -> 2 x 4 x 2 */
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    int oh, ow, oc;
    float *y = one_input(b_d2s, 1, 2, 8, x, &oh, &ow, &oc, NULL, NULL, NULL);
    assert_int_equal(oh, 2);
    assert_int_equal(ow, 4);
    assert_int_equal(oc, 2);
    /* out[i][w*2+j][c] = in[w][(i*2+j)*2 + c] (TF DCR) */
    const float want[16] = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15};
    expect(y, want, 16, 0);
    free(y);
}

static int b_bil(vsr_graph *g, int x, vsr_error *err)
{
    return vsr_graph_resize_bilinear(g, "up", x, 2, err);
}

static void test_bilinear_tf2_half_pixel(void **state)
{
    (void)state;
    float x[4] = {0, 4, 8, 12};
    int oh, ow, oc;
    float *y = one_input(b_bil, 2, 2, 1, x, &oh, &ow, &oc, NULL, NULL, NULL);
    assert_int_equal(oh, 4);
    assert_int_equal(ow, 4);
    /* src = (dst+0.5)/2 - 0.5 clamped: columns 0, .25, .75, 1 -> [0,1,3,4] on row 0 */
    const float want[16] = {0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12};
    expect(y, want, 16, 1e-6f);
    free(y);
}

static int b_near(vsr_graph *g, int x, vsr_error *err)
{
    return vsr_graph_resize_nearest(g, "up", x, 2, err);
}

static void test_nearest(void **state)
{
    (void)state;
    float x[2] = {3, 5};
    int oh, ow, oc;
    float *y = one_input(b_near, 1, 2, 1, x, &oh, &ow, &oc, NULL, NULL, NULL);
    const float want[8] = {3, 3, 5, 5, 3, 3, 5, 5};
    expect(y, want, 8, 0);
    free(y);
}

static int b_acts(vsr_graph *g, int x, vsr_error *err)
{
    /* x: 1 x 1 x 6; slices feed each activation; concat back */
    int a = vsr_graph_slice(g, "s0", x, 0, 2, err);
    int b = vsr_graph_slice(g, "s1", x, 2, 4, err);
    int c = vsr_graph_slice(g, "s2", x, 4, 6, err);
    int r[6];
    r[0] = vsr_graph_gelu(g, "gelu", a, err);
    r[1] = vsr_graph_sigmoid(g, "sig", b, err);
    r[2] = vsr_graph_prelu(g, "prelu", c, 0, err);
    r[3] = vsr_graph_leaky_relu(g, "leaky", c, 0.5f, err);
    r[4] = vsr_graph_relu(g, "relu", a, err);
    r[5] = vsr_graph_clip(g, "clip", b, 0.f, 1.f, err);
    return vsr_graph_concat(g, "cat", 6, r, err);
}

static void test_activations(void **state)
{
    (void)state;
    float x[6] = {1.f, -1.f, 0.f, logf(3.f), -1.f, -2.f}, al[2] = {0.1f, 0.2f};
    int oh, ow, oc;
    float *y = one_weight(b_acts, 1, 1, 6, x, &oh, &ow, &oc, "prelu.alpha", al, 2);
    assert_int_equal(oc, 12);
    const float want[12] = {0.8413447f, -0.1586553f, 0.5f, 0.75f, -0.1f, -0.4f,
                            -0.5f,      -1.f,        1.f,  0.f,   0.f,   1.f};
    expect(y, want, 12, 1e-6f);
    free(y);
}

static int b_shuffle(vsr_graph *g, int x, vsr_error *err)
{
    return vsr_graph_channel_shuffle(g, "sh", x, 2, err);
}

static void test_channel_shuffle(void **state)
{
    (void)state;
    float x[6] = {0, 1, 2, 3, 4, 5};
    int oh, ow, oc;
    float *y = one_input(b_shuffle, 1, 1, 6, x, &oh, &ow, &oc, NULL, NULL, NULL);
    const float want[6] = {0, 3, 1, 4, 2, 5}; /* (2,3) -> (3,2) transpose */
    expect(y, want, 6, 0);
    free(y);
}

static int b_norms(vsr_graph *g, int x, vsr_error *err)
{
    int ln = vsr_graph_layer_norm(g, "ln", x, 1e-5f, err);
    int sm = vsr_graph_softmax(g, "sm", x, err);
    int sc = vsr_graph_scale(g, "sc", x, 2.f, 1.f, err);
    int r[3] = {ln, sm, sc};
    return vsr_graph_concat(g, "cat", 3, r, err);
}

static void test_layer_norm_softmax_scale(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 4}, ga[4] = {1, 1, 1, 2}, be[4] = {0, 0, 0, 1};
    const char *wn[] = {"ln.gamma", "ln.beta", NULL};
    const float *wv[] = {ga, be};
    size_t wc[] = {4, 4};
    int oh, ow, oc;
    float *y = one_input(b_norms, 1, 1, 4, x, &oh, &ow, &oc, wn, wv, wc);
    float s = 1.f / sqrtf(1.25f + 1e-5f), z = expf(1) + expf(2) + expf(3) + expf(4);
    const float want[12] = {-1.5f * s,   -0.5f * s,   0.5f * s,    2 * 1.5f * s + 1,
                            expf(1) / z, expf(2) / z, expf(3) / z, expf(4) / z,
                            3,           5,           7,           9};
    expect(y, want, 12, 1e-5f);
    free(y);
}

static int b_pools(vsr_graph *g, int x, vsr_error *err)
{
    int a = vsr_graph_global_avg_pool(g, "avg", x, err);
    int s = vsr_graph_global_std_pool(g, "std", x, err);
    int r[2] = {a, s};
    return vsr_graph_concat(g, "cat", 2, r, err);
}

static void test_global_pools(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 6};
    int oh, ow, oc;
    float *y = one_input(b_pools, 2, 2, 1, x, &oh, &ow, &oc, NULL, NULL, NULL);
    assert_int_equal(oh * ow, 1);
    const float want[2] = {3.f, sqrtf(3.5f)};
    expect(y, want, 2, 1e-6f);
    free(y);
}

static void test_add_mul_broadcast_matmul(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("t", &g, &err));
    int a = vsr_graph_input(g, "a", 1, 2, 2, &err);
    int b1 = vsr_graph_input(g, "b1", 1, 2, 1, &err);
    int v = vsr_graph_slice(g, "v", a, 0, 2, &err);
    int add = vsr_graph_add(g, "add", a, b1, &err);           /* 1-channel broadcast */
    int pool = vsr_graph_global_avg_pool(g, "vec", b1, &err); /* 1x1x1 */
    (void)pool;
    int cat = vsr_graph_concat(g, "vec2", 2, (int[]){b1, b1}, &err); /* 1x2x2 */
    int pv = vsr_graph_global_avg_pool(g, "pv", cat, &err);          /* 1x1x2 = [15, 15] */
    int mul = vsr_graph_mul(g, "mul", a, pv, &err);                  /* per-channel vector */
    int s = vsr_graph_matmul_tn(g, "S", a, a, 0.5f, &err);           /* 1 x 2 x 2 */
    int y = vsr_graph_matmul_pixels(g, "Y", v, s, &err);             /* 1 x 2 x 2 */
    OK(vsr_graph_output(g, "add", add, &err));
    OK(vsr_graph_output(g, "mul", mul, &err));
    OK(vsr_graph_output(g, "S", s, &err));
    OK(vsr_graph_output(g, "Y", y, &err));
    float xa[4] = {1, 2, 3, 4}, xb[2] = {10, 20};
    const float *in[2] = {xa, xb};
    int oh, ow, oc;
    float *o = run_graph(g, VSR_PREC_FP32, NULL, in, 1, 2, 0, &oh, &ow, &oc);
    expect(o, (const float[]){11, 12, 23, 24}, 4, 0);
    free(o);
    o = run_graph(g, VSR_PREC_FP32, NULL, in, 1, 2, 1, &oh, &ow, &oc);
    expect(o, (const float[]){15, 30, 45, 60}, 4, 0);
    free(o);
    /* K = Q = [[1,2],[3,4]] (pixels x channels): S = 0.5 * K^T K = 0.5*[[10,14],[14,20]] */
    o = run_graph(g, VSR_PREC_FP32, NULL, in, 1, 2, 2, &oh, &ow, &oc);
    assert_int_equal(oh, 1);
    assert_int_equal(ow, 2);
    assert_int_equal(oc, 2);
    expect(o, (const float[]){5, 7, 7, 10}, 4, 0);
    free(o);
    /* Y[p] = V[p] . S: [1,2] -> [5+14, 7+20]; [3,4] -> [15+28, 21+40] */
    o = run_graph(g, VSR_PREC_FP32, NULL, in, 1, 2, 3, &oh, &ow, &oc);
    expect(o, (const float[]){19, 27, 43, 61}, 4, 0);
    free(o);
    vsr_graph_free(&g);
}

static void test_bn_fold_and_counts(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("t", &g, &err));
    int x = vsr_graph_input(g, "x", 1, 1, 1, &err);
    vsr_conv_params p = vsr_conv_default(1, 1);
    int c = vsr_graph_conv2d(g, "c", x, &p, &err);
    int bn = vsr_graph_batch_norm(g, "bn", c, 1.f, &err);
    int r = vsr_graph_relu(g, "r", bn, &err);
    OK(vsr_graph_output(g, "y", r, &err));
    OK(vsr_graph_set_weight(g, "c.weight", (const float[]){2}, 1, &err));
    OK(vsr_graph_set_weight(g, "c.bias", (const float[]){1}, 1, &err));
    OK(vsr_graph_set_weight(g, "bn.gamma", (const float[]){3}, 1, &err));
    OK(vsr_graph_set_weight(g, "bn.beta", (const float[]){0.5f}, 1, &err));
    OK(vsr_graph_set_weight(g, "bn.mean", (const float[]){1}, 1, &err));
    OK(vsr_graph_set_weight(g, "bn.var", (const float[]){3}, 1, &err));
    float in0[1] = {2};
    const float *in[1] = {in0};
    int oh, ow, oc;
    float *o = run_graph(g, VSR_PREC_FP32, NULL, in, 1, 1, 0, &oh, &ow, &oc);
    assert_float_equal(o[0], (5.f - 1.f) * 1.5f + 0.5f, 1e-6f); /* 6.5 */
    free(o);
    in0[0] = -3; /* conv -5 -> bn -8.5 -> relu 0 */
    o = run_graph(g, VSR_PREC_FP32, NULL, in, 1, 1, 0, &oh, &ow, &oc);
    assert_float_equal(o[0], 0.f, 0);
    free(o);
    vsr_graph_stats s;
    OK(vsr_graph_count(g, 0, 0, VSR_PREC_FP32, &s, &err));
    assert_int_equal(s.params_keras, 2 + 4);
    assert_int_equal(s.params, 2);
    vsr_graph_free(&g);
}

/* ABPN x4 (docs/MODEL_SPECS.md 2.2) built here to check the counters against the spec. */
static void test_counts_abpn(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("abpn", &g, &err));
    int x = vsr_graph_input(g, "x", 180, 320, 3, &err);
    int cp[16];
    for (int i = 0; i < 16; i++)
        cp[i] = x;
    int anchor = vsr_graph_concat(g, "anchor", 16, cp, &err);
    vsr_conv_params p = vsr_conv_default(28, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "conv_in", x, &p, &err);
    char nm[32];
    for (int i = 0; i < 4; i++) {
        snprintf(nm, sizeof(nm), "conv_body%d", i);
        t = vsr_graph_conv2d(g, nm, t, &p, &err);
    }
    p.cout = 48;
    t = vsr_graph_conv2d(g, "conv_up", t, &p, &err);
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "conv_out", t, &p, &err);
    t = vsr_graph_add(g, "add_anchor", t, anchor, &err);
    t = vsr_graph_depth_to_space(g, "d2s", t, 4, &err);
    t = vsr_graph_clip(g, "clip", t, 0, 255, &err);
    OK(vsr_graph_output(g, "sr", t, &err));
    vsr_graph_stats s;
    OK(vsr_graph_count(g, 0, 0, VSR_PREC_FP32, &s, &err));
    assert_int_equal(s.params, 62048);
    assert_int_equal(s.params_keras, 62048);
    assert_int_equal(s.macs, (int64_t)61812 * 57600);
    assert_int_equal(s.n_conv, 7);
    vsr_layer_info li;
    OK(vsr_graph_layer_info(g, vsr_graph_layer_count(g) - 1, 0, 0, &li, &err));
    assert_int_equal(li.h, 720);
    assert_int_equal(li.w, 1280);
    assert_int_equal(li.c, 3);
    assert_true(s.peak_scratch_bytes > 0);
    vsr_graph_free(&g);
}

static void test_errors_name_layer(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("t", &g, &err));
    int x = vsr_graph_input(g, "x", 4, 4, 3, &err);
    int y = vsr_graph_input(g, "y", 4, 4, 5, &err);
    int a = vsr_graph_add(g, "bad_add", x, y, &err);
    assert_true(a < 0);
    assert_non_null(strstr(err.msg, "bad_add"));
    /* sticky: a later call with the failed id fails with the same code */
    vsr_conv_params p = vsr_conv_default(4, 3);
    assert_int_equal(vsr_graph_conv2d(g, "next", a, &p, &err), a);
    vsr_graph_free(&g);

    OK(vsr_graph_create("t", &g, &err));
    x = vsr_graph_input(g, "x", 4, 4, 3, &err);
    p.groups = 2;
    assert_true(vsr_graph_conv2d(g, "grp", x, &p, &err) < 0);
    assert_non_null(strstr(err.msg, "grp"));
    vsr_graph_free(&g);

    OK(vsr_graph_create("t", &g, &err));
    x = vsr_graph_input(g, "x", 4, 4, 3, &err);
    p = vsr_conv_default(2, 1);
    int c = vsr_graph_conv2d(g, "conv7", x, &p, &err);
    OK(vsr_graph_output(g, "o", c, &err));
    float w[6] = {1, 2, NAN, 4, 5, 6};
    assert_int_equal(vsr_graph_set_weight(g, "conv7.weight", w, 6, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "conv7"));
    assert_non_null(strstr(err.msg, "NaN"));
    /* missing weights: engine creation names the layer */
    vsr_engine *e = NULL;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "conv7"));
    /* INT8 without quantization parameters names the tensor */
    w[2] = 3;
    OK(vsr_graph_set_weight(g, "conv7.weight", w, 6, &err));
    OK(vsr_graph_set_weight(g, "conv7.bias", w, 2, &err));
    assert_int_equal(vsr_engine_create(g, VSR_PREC_INT8, NULL, NULL, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "conv7"));
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_same_padding),
        cmocka_unit_test(test_conv_dilation_bias),
        cmocka_unit_test(test_conv_f32_borders),
        cmocka_unit_test(test_conv_qs8_borders),
        cmocka_unit_test(test_conv_stride2_tf_same),
        cmocka_unit_test(test_conv_depthwise),
        cmocka_unit_test(test_conv_grouped_clip),
        cmocka_unit_test(test_depth_to_space_dcr),
        cmocka_unit_test(test_bilinear_tf2_half_pixel),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_channel_shuffle),
        cmocka_unit_test(test_layer_norm_softmax_scale),
        cmocka_unit_test(test_global_pools),
        cmocka_unit_test(test_add_mul_broadcast_matmul),
        cmocka_unit_test(test_bn_fold_and_counts),
        cmocka_unit_test(test_counts_abpn),
        cmocka_unit_test(test_errors_name_layer),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
