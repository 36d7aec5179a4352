/*
 * Overlapped tiling: with P covering the receptive field, the tiled output
 * equals the whole-frame output exactly, in every precision; the arena is
 * smaller for tiles; recurrent-state style graphs (two inputs, two outputs
 * at different scales) tile too.
 */
#include "engine_testutil.h"

/* x (3 ch) + h (4 ch) -> two 3x3 convs (RF radius 2) -> d2s x2 + bilinear x2 skip;
 * second output: a new state at LR. */
static vsr_graph *net(void)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("rnn", &g, &err));
    int x = vsr_graph_input(g, "x", 20, 23, 3, &err);
    int h = vsr_graph_input(g, "h", 20, 23, 4, &err);
    int t = vsr_graph_concat(g, "cat", 2, (int[]){x, h}, &err);
    vsr_conv_params p = vsr_conv_default(8, 3);
    p.act.type = VSR_ACT_RELU;
    t = vsr_graph_conv2d(g, "c1", t, &p, &err);
    int hn = vsr_graph_slice(g, "hnew", t, 0, 4, &err);
    p.cout = 12;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "c2", t, &p, &err);
    t = vsr_graph_depth_to_space(g, "d2s", t, 2, &err);
    int up = vsr_graph_resize_bilinear(g, "up", x, 2, &err);
    t = vsr_graph_add(g, "add", t, up, &err);
    t = vsr_graph_clip(g, "clip", t, 0, 255, &err);
    OK(vsr_graph_output(g, "sr", t, &err));
    OK(vsr_graph_output(g, "h", hn, &err));
    rand_weights(g, 3, -0.2f, 0.2f);
    return g;
}

static void test_tiled_equals_whole(void **state)
{
    (void)state;
    vsr_graph *g = net();
    vsr_error err = {0};
    int H = 20, W = 23;
    float *x = malloc((size_t)H * W * 3 * 4), *h = malloc((size_t)H * W * 4 * 4);
    fill_rand(x, (size_t)H * W * 3, 1, 0, 255);
    fill_rand(h, (size_t)H * W * 4, 2, -20, 20);
    const float *in[2] = {x, h};
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    OK(vsr_calib_feed(c, in, H, W, &err));
    OK(vsr_calib_finish(c, NULL, g, &err));
    vsr_calib_free(&c);
    vsr_engine_options t;
    vsr_engine_options_default(&t);
    t.tile = 6;
    t.pad = 3;                           /* radius 2 of the convs + 1 for the bilinear taps */
    for (int prec = 0; prec < 4; prec++) /* fp32, fp16, int8, fp16n */
        for (int out = 0; out < 2; out++) {
            int oh, ow, oc, th, tw, tc;
            float *a = run_graph(g, (vsr_precision)prec, NULL, in, H, W, out, &oh, &ow, &oc);
            float *b = run_graph(g, (vsr_precision)prec, &t, in, H, W, out, &th, &tw, &tc);
            assert_int_equal(oh, th);
            assert_int_equal(ow, tw);
            assert_int_equal(oh, out ? H : 2 * H);
            assert_memory_equal(a, b, (size_t)oh * ow * oc * sizeof(float));
            free(a), free(b);
        }
    /* too little overlap really changes the result (the test can fail) */
    t.pad = 0;
    int oh, ow, oc;
    float *a = run_graph(g, VSR_PREC_FP32, NULL, in, H, W, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
    assert_true(memcmp(a, b, (size_t)oh * ow * oc * sizeof(float)) != 0);
    free(a), free(b);
    /* the tiled arena is smaller */
    vsr_engine *e1 = NULL, *e2 = NULL;
    t.pad = 3;
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e1, &err));
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &t, &e2, &err));
    assert_true(vsr_engine_scratch_bytes(e2) < vsr_engine_scratch_bytes(e1));
    vsr_engine_free(&e1);
    vsr_engine_free(&e2);
    free(x), free(h);
    vsr_graph_free(&g);
}

static void test_other_input_size_and_profile(void **state)
{
    (void)state;
    vsr_graph *g = net();
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.profile = 1;
    vsr_engine *e = NULL;
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e, &err));
    float x[5 * 7 * 3] = {0}, h[5 * 7 * 4] = {0};
    OK(vsr_engine_set_input(e, 0, x, 5, 7, 3, &err));
    assert_int_equal(vsr_engine_run(e, &err), -EINVAL); /* h not set */
    assert_non_null(strstr(err.msg, "h"));
    OK(vsr_engine_set_input(e, 1, h, 5, 7, 4, &err));
    OK(vsr_engine_run(e, &err));
    OK(vsr_engine_run(e, &err));
    int oh, ow, oc;
    OK(vsr_engine_output_shape(e, 0, &oh, &ow, &oc));
    assert_int_equal(oh, 10);
    assert_int_equal(ow, 14);
    int seen_conv = 0;
    for (int i = 0; i < vsr_engine_layer_count(e); i++) {
        vsr_layer_profile p;
        OK(vsr_engine_layer_profile(e, i, &p));
        if (p.op == VSR_OP_CONV2D) {
            assert_int_equal(p.calls, 2);
            seen_conv++;
        }
    }
    assert_int_equal(seen_conv, 2);
    vsr_engine_free(&e);
    vsr_graph_free(&g);
}

/* vsr_tile_fit: expected tiles worked out by hand from
 * fixed + per_px * min(T + 2P, h) * min(T + 2P, w) <= budget, T a multiple of 8. */
static void test_tile_fit(void **state)
{
    (void)state;
    int t = -1;
    /* 100x100 x 50 B = 500 kB fits 1 MB: untiled */
    assert_int_equal(vsr_tile_fit(1000000, 100, 100, 8, 50.0, 0, &t), 0);
    assert_int_equal(t, 0);
    /* (T+16)^2 * 100 <= 10 MB -> T + 16 <= 316.2 -> T <= 300 -> 296 (312^2 = 97344 fits,
     * 320^2 = 102400 does not) */
    assert_int_equal(vsr_tile_fit(10100000, 1000, 1000, 8, 100.0, 100000, &t), 0);
    assert_int_equal(t, 296);
    /* the 16000x16000 frame: 113 GB of scratch is ~441 B/pixel; in 8 GiB
     * (T+16)^2 <= 8589934592 / 441 = 19478309.7 -> T + 16 <= 4413.4 -> 4392 */
    assert_int_equal(vsr_tile_fit(8589934592u, 16000, 16000, 8, 441.0, 0, &t), 0);
    assert_int_equal(t, 4392);
    /* a strip: the height clips at 64, so only the width limits: 64 (T+16) 10 <= 1.28 MB */
    assert_int_equal(vsr_tile_fit(1280000, 64, 100000, 8, 10.0, 0, &t), 0);
    assert_int_equal(t, 1984);
    /* the fixed buffers alone exceed the budget: no tile helps */
    assert_int_equal(vsr_tile_fit(1000, 100, 100, 8, 1.0, 2000, &t), -ENOMEM);
    assert_int_equal(t, 0);
    /* even an 8 x 8 tile with its pad (24 x 24 x 100 B = 57600) is too big */
    assert_int_equal(vsr_tile_fit(50000, 1000, 1000, 8, 100.0, 0, &t), -ENOMEM);
    assert_int_equal(vsr_tile_fit(1000, 0, 10, 8, 1.0, 0, &t), -EINVAL);
}

/* LR 3x3 conv -> d2s x2 -> HR 3x3 conv -> HR 3x3 conv, dilation 2 (one input, 3 ch). */
static vsr_graph *hr_net(void)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("hr", &g, &err));
    int x = vsr_graph_input(g, "x", 17, 19, 3, &err);
    vsr_conv_params p = vsr_conv_default(12, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    t = vsr_graph_depth_to_space(g, "d2s", t, 2, &err);
    p.cout = 3;
    t = vsr_graph_conv2d(g, "h1", t, &p, &err);
    p.dilation = 2;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "h2", t, &p, &err);
    OK(vsr_graph_output(g, "sr", t, &err));
    rand_weights(g, 5, -0.3f, 0.3f);
    return g;
}

/* Receptive fields worked out by hand, checked against tiling: the pad they give
 * is exact, one less is not. */
static void test_receptive_field(void **state)
{
    (void)state;
    vsr_error err = {0};
    int r = -1;
    /* net(): convs c1, c2 (3x3): 1 + 1 = 2 LR pixels. The bilinear skip x2: HR pixel
     * Y samples (Y + 0.5) / 2 - 0.5, so HR 0 -> -0.25 -> LR -1, 0 and HR 1 -> 0.25 ->
     * LR 0, 1: radius 1. max(2, 1) = 2. */
    vsr_graph *g = net();
    OK(vsr_graph_receptive_field(g, &r, &err));
    assert_int_equal(r, 2);
    vsr_graph_free(&g);
    /* hr_net(): HR taps 1 (h1) + 2 (h2, dilation 2) = 3 HR pixels. HR pixel 0 needs
     * HR [-3, 3] = LR [floor(-3/2), floor(3/2)] = [-2, 1], c1 widens to [-3, 2]; HR
     * pixel 1 needs [-2, 4] -> LR [-1, 2] -> [-2, 3]: radius 3 (the naive 1 + 3/2
     * rounds up to the same here). */
    g = hr_net();
    OK(vsr_graph_receptive_field(g, &r, &err));
    assert_int_equal(r, 3);
    int H = 17, W = 19;
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    fill_rand(x, (size_t)H * W * 3, 7, 0, 255);
    const float *in[1] = {x};
    vsr_engine_options t;
    vsr_engine_options_default(&t);
    t.tile = 5;
    t.pad = VSR_PAD_AUTO;
    int oh, ow, oc;
    float *a = run_graph(g, VSR_PREC_FP32, NULL, in, H, W, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
    assert_memory_equal(a, b, (size_t)oh * ow * oc * sizeof(float));
    free(b);
    t.pad = 2;
    b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
    assert_true(memcmp(a, b, (size_t)oh * ow * oc * sizeof(float)) != 0);
    free(a), free(b), free(x);
    vsr_graph_free(&g);
    /* a global pool: no finite field, and pad auto with tiles is refused */
    OK(vsr_graph_create("glob", &g, &err));
    int in0 = vsr_graph_input(g, "x", 8, 8, 3, &err);
    int gp = vsr_graph_global_avg_pool(g, "gap", in0, &err);
    OK(vsr_graph_output(g, "y", vsr_graph_mul(g, "mul", in0, gp, &err), &err));
    assert_int_equal(vsr_graph_receptive_field(g, &r, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "gap"));
    vsr_engine *e = NULL;
    t.tile = 4;
    t.pad = VSR_PAD_AUTO;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, &t, &e, &err), -ENOTSUP);
    vsr_graph_free(&g);
}

/* Static-shape tiles: every run is T x T. FIXED shifts
 * edge windows inside the frame, so it is exact for every padding; PADDED (the
 * frame padded by P, the deployment study's rule) differs within the receptive
 * field of the frame edge for every padding, zero included: the HR convs see
 * c1's output over the padding (relu(bias + ...)), where the whole-frame run
 * zero-pads them; feathered overlaps are not exact. */
static void test_fixed_tiles(void **state)
{
    (void)state;
    vsr_graph *g = hr_net();
    vsr_error err = {0};
    int H = 17, W = 19, R = 3, s = 2;
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    fill_rand(x, (size_t)H * W * 3, 9, 0, 255);
    const float *in[1] = {x};
    int oh, ow, oc;
    float *a = run_graph(g, VSR_PREC_FP32, NULL, in, H, W, 0, &oh, &ow, &oc);
    size_t n = (size_t)oh * ow * oc;
    vsr_engine_options t;
    vsr_engine_options_default(&t);
    t.tile = 11; /* stride 11 - 2 * 3 = 5: 4 x 4 windows over 17 x 19 */
    t.pad = VSR_PAD_AUTO;
    t.pad_mean[0] = 100, t.pad_mean[1] = 50, t.pad_mean[2] = 200;
    for (int pad = VSR_TPAD_ZERO; pad <= VSR_TPAD_REPLICATE; pad++) {
        t.padding = (vsr_tile_padding)pad;
        t.tile_mode = VSR_TILE_FIXED;
        /* FP32 and FP16 (INT8 needs calibration: the zoo test runs it) */
        for (int prec = 0; prec < 2; prec++) {
            float *a2 = run_graph(g, (vsr_precision)prec, NULL, in, H, W, 0, &oh, &ow, &oc);
            float *b = run_graph(g, (vsr_precision)prec, &t, in, H, W, 0, &oh, &ow, &oc);
            assert_memory_equal(a2, b, n * sizeof(float));
            free(a2), free(b);
        }
        t.tile_mode = VSR_TILE_PADDED;
        float *b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
        int diff_edge = 0;
        for (int y = 0; y < oh; y++)
            for (int xx = 0; xx < ow; xx++) {
                size_t o = ((size_t)y * ow + xx) * oc;
                int interior = y >= R * s && y < oh - R * s && xx >= R * s && xx < ow - R * s;
                if (interior)
                    assert_memory_equal(a + o, b + o, (size_t)oc * sizeof(float));
                else
                    diff_edge |= memcmp(a + o, b + o, (size_t)oc * sizeof(float)) != 0;
            }
        assert_true(diff_edge); /* the padding reaches the edge pixels */
        free(b);
    }
    /* FIXED on a frame lower than the tile pads that axis: inexact there */
    {
        int h2 = 8, oh2, ow2, oc2;
        float *a2 = run_graph(g, VSR_PREC_FP32, NULL, in, h2, W, 0, &oh2, &ow2, &oc2);
        t.tile_mode = VSR_TILE_FIXED;
        t.padding = VSR_TPAD_REPLICATE;
        float *b = run_graph(g, VSR_PREC_FP32, &t, in, h2, W, 0, &oh2, &ow2, &oc2);
        assert_int_equal(oh2, 2 * h2);
        assert_true(memcmp(a2, b, (size_t)oh2 * ow2 * oc2 * sizeof(float)) != 0);
        free(a2), free(b);
    }
    /* feathered: not byte-equal, but close where the windows agree (interior) */
    t.tile_mode = VSR_TILE_FEATHER;
    t.padding = VSR_TPAD_ZERO;
    t.pad = 2; /* less than the field: overlaps disagree, the blend shows */
    float *b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
    assert_true(memcmp(a, b, n * sizeof(float)) != 0);
    free(b);
    /* even with the pad covering the field: a window's own border pixels (wrong:
     * they see the window edge) get a small weight in the blend */
    t.pad = R;
    b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
    assert_true(memcmp(a, b, n * sizeof(float)) != 0);
    free(b);
    vsr_engine *e1 = NULL;
    t.tile_mode = VSR_TILE_FIXED;
    /* a tile that keeps no centre is refused with the fix */
    t.tile = 6;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, &t, &e1, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "tile > 2 * pad"));
    free(a), free(x);
    vsr_graph_free(&g);
}

/* Tile workers: the same bytes for 1, 2 and 3 workers, in every mode (FEATHER adds
 * windows in order), with and without a pool per worker. */
static void test_tile_workers(void **state)
{
    (void)state;
    vsr_graph *g = hr_net();
    int H = 17, W = 19;
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    fill_rand(x, (size_t)H * W * 3, 11, 0, 255);
    const float *in[1] = {x};
    static const vsr_tile_mode modes[] = {VSR_TILE_CLIP, VSR_TILE_FIXED, VSR_TILE_FEATHER};
    for (int m = 0; m < 3; m++) {
        vsr_engine_options t;
        vsr_engine_options_default(&t);
        t.tile_mode = modes[m];
        t.tile = modes[m] == VSR_TILE_CLIP ? 4 : 10;
        t.pad = 2;
        t.padding = VSR_TPAD_REFLECT;
        int oh, ow, oc;
        float *a = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
        for (int nw = 2; nw <= 3; nw++) {
            t.tile_workers = nw;
            float *b = run_graph(g, VSR_PREC_FP32, &t, in, H, W, 0, &oh, &ow, &oc);
            assert_memory_equal(a, b, (size_t)oh * ow * oc * sizeof(float));
            free(b);
        }
        /* with a pool: each worker gets one of the same size */
        pthreadpool_t pool = pthreadpool_create(2);
        vsr_engine *e = NULL;
        vsr_error err = {0};
        t.tile_workers = 2;
        OK(vsr_engine_create(g, VSR_PREC_FP32, pool, &t, &e, &err));
        OK(vsr_engine_set_input(e, 0, x, H, W, 3, &err));
        for (int run = 0; run < 2; run++) { /* the workers are made once, reused */
            OK(vsr_engine_run(e, &err));
            float *b = malloc((size_t)oh * ow * oc * sizeof(float));
            OK(vsr_engine_get_output(e, 0, b, (size_t)oh * ow * oc, &err));
            assert_memory_equal(a, b, (size_t)oh * ow * oc * sizeof(float));
            free(b);
        }
        vsr_engine_free(&e);
        pthreadpool_destroy(pool);
        free(a);
    }
    free(x);
    vsr_graph_free(&g);
}

static void test_mode_names(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_tile_mode m;
    vsr_tile_padding p;
    OK(vsr_tile_mode_parse("feather", &m, &err));
    assert_int_equal(m, VSR_TILE_FEATHER);
    assert_int_equal(vsr_tile_mode_parse("static", &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "clip, fixed, padded or feather"));
    OK(vsr_tile_padding_parse("replicate", &p, &err));
    assert_int_equal(p, VSR_TPAD_REPLICATE);
    assert_string_equal(vsr_tile_padding_name(VSR_TPAD_MEAN), "mean");
    assert_int_equal(vsr_tile_padding_parse("edge", &p, &err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiled_equals_whole),
        cmocka_unit_test(test_other_input_size_and_profile),
        cmocka_unit_test(test_tile_fit),
        cmocka_unit_test(test_receptive_field),
        cmocka_unit_test(test_fixed_tiles),
        cmocka_unit_test(test_tile_workers),
        cmocka_unit_test(test_mode_names),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
