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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiled_equals_whole),
        cmocka_unit_test(test_other_input_size_and_profile),
        cmocka_unit_test(test_tile_fit),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
