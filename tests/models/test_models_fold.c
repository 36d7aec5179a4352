/*
 * The folding passes (engine/fold.c) on hand-worked graphs and on the zoo's
 * [0, 1] originals (QuickSRNet, XLSR with range01, MODEL_SPECS.md 2.4-2.5):
 * folding /255 into the input convs and x255 into the output convs gives
 * the 0..255 deployment graph, whose output on r is 255 x the original's on
 * r / 255 to float rounding, and whose weights load into the zoo's graph.
 * And the AIMET importer map (crd_to_dcr, range01) against PyTorch itself.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Every weight of @p g uniform in [-a, a) from seed @p seed. */
static void random_weights(vsr_graph *g, uint32_t seed, float a)
{
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        assert_int_equal(vsr_graph_weight_info(g, i, &wi), 0);
        float *d = malloc(wi.count * sizeof(float));
        for (size_t k = 0; k < wi.count; k++)
            d[k] = a * (2.0f * (float)lcg(&seed) / 16777216.0f - 1.0f);
        assert_int_equal(vsr_graph_set_weight(g, wi.name, d, wi.count, NULL), 0);
        free(d);
    }
}

/* Run @p g (FP32) on one h x w x c input; @p out gets the first output. */
static void run(vsr_graph *g, const float *in, int h, int w, int c, float *out, size_t cap)
{
    vsr_error err = {0};
    vsr_engine *e = NULL;
    if (vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err))
        fail_msg("engine: %s", err.msg);
    assert_int_equal(vsr_engine_set_input(e, 0, in, h, w, c, &err), 0);
    assert_int_equal(vsr_engine_run(e, &err), 0);
    assert_int_equal(vsr_engine_get_output(e, 0, out, cap, &err), 0);
    vsr_engine_free(&e);
}

/*
 * 1x1 conv, 2 -> 1 channels, w = [2, 3], b = 1 (no padding, so the offset is
 * exact everywhere). Folding scale [0.5, 4], offset [1, -2] by hand:
 * w' = [2 * 0.5, 3 * 4] = [1, 12], b' = 1 + 2 * 1 + 3 * (-2) = -3. Then the
 * output x10 + 5: w'' = [10, 120], b'' = -30 + 5 = -25.
 */
static void test_hand_worked(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    assert_int_equal(vsr_graph_create("hand", &g, &err), 0);
    int x = vsr_graph_input(g, "x", 1, 2, 2, &err);
    vsr_conv_params p = vsr_conv_default(1, 1);
    int y = vsr_graph_conv2d(g, "c", x, &p, &err);
    vsr_graph_output(g, "y", y, &err);
    assert_int_equal(vsr_graph_status(g, &err), 0);
    const float w[2] = {2, 3}, b[1] = {1};
    assert_int_equal(vsr_graph_set_weight(g, "c.weight", w, 2, &err), 0);
    assert_int_equal(vsr_graph_set_weight(g, "c.bias", b, 1, &err), 0);
    const float sc[2] = {0.5f, 4}, off[2] = {1, -2};
    char log[256] = "";
    assert_int_equal(vsr_graph_fold_input_affine(g, 0, sc, off, 0, log, sizeof(log), &err), 0);
    const float *d;
    size_t n;
    assert_int_equal(vsr_graph_get_weight(g, "c.weight", &d, &n, &err), 0);
    assert_float_equal(d[0], 1.0f, 0);
    assert_float_equal(d[1], 12.0f, 0);
    assert_int_equal(vsr_graph_get_weight(g, "c.bias", &d, &n, &err), 0);
    assert_float_equal(d[0], -3.0f, 0);
    assert_int_equal(vsr_graph_fold_output_affine(g, 0, 10, 5, 0, log, sizeof(log), &err), 0);
    assert_int_equal(vsr_graph_get_weight(g, "c.weight", &d, &n, &err), 0);
    assert_float_equal(d[0], 10.0f, 0);
    assert_float_equal(d[1], 120.0f, 0);
    assert_int_equal(vsr_graph_get_weight(g, "c.bias", &d, &n, &err), 0);
    assert_float_equal(d[0], -25.0f, 0);
    assert_string_equal(log, "input x: x[0.5,..] into c; output x10 + offset into c");
    /* and it runs so: r = (1, 2), (3, -1) -> 10 + 240 - 25 = 225, 30 - 120 - 25 = -115 */
    const float r[4] = {1, 2, 3, -1};
    float o[2];
    run(g, r, 1, 2, 2, o, 2);
    assert_float_equal(o[0], 225.0f, 0);
    assert_float_equal(o[1], -115.0f, 0);
    /* channel order: new channel perm[c] carries old c: weights [10, 120] -> [120, 10] */
    const int perm[2] = {1, 0}, bad[2] = {1, 1};
    assert_int_equal(vsr_graph_fold_input_order(g, 0, bad, NULL, 0, &err), -EINVAL);
    assert_int_equal(vsr_graph_fold_input_order(g, 0, perm, NULL, 0, &err), 0);
    assert_int_equal(vsr_graph_get_weight(g, "c.weight", &d, &n, &err), 0);
    assert_float_equal(d[0], 120.0f, 0);
    assert_float_equal(d[1], 10.0f, 0);
    vsr_graph_free(&g);
}

/*
 * Zoo model @p model with range01 = 1 and seeded random weights: fold /255
 * and x255, then (a) on random 0..255 input r the folded graph gives
 * 255 x the original's output on r / 255 within @p tol (0..255 scale; float
 * rounding of the rescaled weights; @p tol: QuickSRNet_L's 11 layers of 576-term
 * sums reach 3.8e-3, 1.5e-5 of the range, so 255 x 2e-5 there), (b) the folded weights load by
 * order into the zoo's 0..255 graph and give the same output bit for bit, and (c) the log names
 * the convs the spec folds into.
 */
static void fold_zoo(const char *model, double tol, const char *want_log)
{
    vsr_error err = {0};
    const vsr_models_entry *e = vsr_models_zoo_find(model);
    assert_non_null(e);
    vsr_models_hparams hp01 = e->hp;
    const vsr_models_kv kv[] = {{"range01", "1"}};
    assert_int_equal(vsr_models_hparams_apply(&hp01, kv, 1, model, &err), 0);
    enum { H = 6, W = 7 };
    const int s = e->hp.scale, on = H * s * W * s * 3;
    vsr_graph *orig = NULL, *fold = NULL, *zoo = NULL;
    assert_int_equal(vsr_models_build(&hp01, e->name, H, W, &orig, &err), 0);
    assert_int_equal(vsr_models_build(&hp01, e->name, H, W, &fold, &err), 0);
    assert_int_equal(vsr_models_build(&e->hp, e->name, H, W, &zoo, &err), 0);
    random_weights(orig, 7, 0.2f);
    random_weights(fold, 7, 0.2f);
    const float s255[3] = {1 / 255.0f, 1 / 255.0f, 1 / 255.0f};
    char log[512] = "";
    assert_int_equal(
        vsr_graph_fold_input_affine(fold, 0, s255, NULL, 0, log, sizeof(log), &err), 0);
    assert_int_equal(vsr_graph_fold_output_affine(fold, 0, 255, 0, 0, log, sizeof(log), &err),
                     0);
    assert_string_equal(log, want_log);
    assert_int_equal(vsr_models_copy_weights_by_order(fold, zoo, &err), 0);
    vsr_graph *wonly = NULL;
    assert_int_equal(vsr_models_build(&e->hp, e->name, H, W, &wonly, &err), 0);
    random_weights(wonly, 7, 0.2f);
    assert_int_equal(vsr_models_fold_range01(wonly, VSR_FOLD_WEIGHTS_ONLY, NULL, 0, &err), 0);

    float r[H * W * 3], r01[H * W * 3];
    uint32_t seed = 99;
    for (int k = 0; k < H * W * 3; k++) {
        r[k] = (float)(lcg(&seed) % 256);
        r01[k] = r[k] / 255.0f;
    }
    float *a = malloc(on * sizeof(float)), *b = malloc(on * sizeof(float)),
          *z = malloc(on * sizeof(float)), *z2 = malloc(on * sizeof(float));
    run(orig, r01, H, W, 3, a, on);
    run(fold, r, H, W, 3, b, on);
    run(zoo, r, H, W, 3, z, on);
    run(wonly, r, H, W, 3, z2, on);
    double mx = 0;
    int inside = 0;
    for (int k = 0; k < on; k++) {
        mx = fmax(mx, fabs(255.0 * a[k] - b[k]));
        inside += b[k] > 0 && b[k] < 255; /* not every pixel at a clip bound */
    }
    if (mx > tol)
        fail_msg("%s: folded vs 255 x original: max |diff| %g", model, mx);
    assert_true(inside > on / 10);
    assert_memory_equal(b, z, on * sizeof(float));
    assert_memory_equal(b, z2, on * sizeof(float));
    free(a), free(b), free(z), free(z2);
    vsr_graph_free(&wonly);
    vsr_graph_free(&orig);
    vsr_graph_free(&fold);
    vsr_graph_free(&zoo);
}

static void test_quicksrnet_folds(void **state)
{
    (void)state;
    fold_zoo("QuickSRNet_S", 1e-3,
             "input x: x[0.00392157,..] into conv_first; output x255 into "
             "conv_last");
    fold_zoo("QuickSRNet_L_x2", 255 * 2e-5,
             "input x: x[0.00392157,..] into conv_first; input x: "
             "x[0.00392157,..] into anchor; output x255 into conv_last; "
             "output x255 into anchor");
}

static void test_xlsr_folds(void **state)
{
    (void)state;
    fold_zoo("XLSR", 1e-3,
             "input x: x[0.00392157,..] into residual; input x: x[0.00392157,..] into "
             "conv_in; output x255 into conv_last");
}

/*
 * BGR <-> RGB into QuickSRNet_S's conv_first: the folded graph on r equals
 * the original on r with channels reversed (float rounding: the channel sum
 * runs in another order).
 */
static void test_channel_order(void **state)
{
    (void)state;
    vsr_error err = {0};
    const vsr_models_entry *e = vsr_models_zoo_find("QuickSRNet_S_x2");
    enum { H = 5, W = 4, ON = 10 * 8 * 3 };
    vsr_graph *a = NULL, *b = NULL;
    assert_int_equal(vsr_models_build(&e->hp, e->name, H, W, &a, &err), 0);
    assert_int_equal(vsr_models_build(&e->hp, e->name, H, W, &b, &err), 0);
    random_weights(a, 3, 0.01f);
    random_weights(b, 3, 0.01f);
    const int bgr[3] = {2, 1, 0};
    assert_int_equal(vsr_graph_fold_input_order(b, 0, bgr, NULL, 0, &err), 0);
    float r[H * W * 3], rev[H * W * 3], oa[ON], ob[ON];
    uint32_t seed = 5;
    for (int p = 0; p < H * W; p++)
        for (int c = 0; c < 3; c++)
            r[p * 3 + c] = (float)(lcg(&seed) % 256);
    for (int p = 0; p < H * W; p++)
        for (int c = 0; c < 3; c++)
            rev[p * 3 + c] = r[p * 3 + 2 - c];
    run(a, rev, H, W, 3, oa, ON);
    run(b, r, H, W, 3, ob, ON);
    for (int k = 0; k < ON; k++)
        if (fabsf(oa[k] - ob[k]) > 1e-3f)
            fail_msg("output %d: %g vs %g", k, oa[k], ob[k]);
    vsr_graph_free(&a);
    vsr_graph_free(&b);
}

/* What cannot fold says which node stops it, and leaves the graph as it was. */
static void test_refusals(void **state)
{
    (void)state;
    vsr_error err = {0};
    const vsr_models_entry *e = vsr_models_zoo_find("ABPN");
    vsr_graph *g = NULL;
    assert_int_equal(vsr_models_build(&e->hp, e->name, 4, 4, &g, &err), 0);
    random_weights(g, 1, 0.1f);
    const float sc[3] = {2, 2, 2};
    /* ABPN's anchor concatenates the raw input: it must stay raw */
    assert_int_equal(vsr_graph_fold_input_affine(g, 0, sc, NULL, 0, NULL, 0, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "not only convs"));
    const float *d;
    size_t n;
    assert_int_equal(vsr_graph_get_weight(g, "conv_in.weight", &d, &n, &err), 0);
    float first = d[0];
    /* its output path reaches the anchor concat through the add */
    assert_int_equal(vsr_graph_fold_output_affine(g, 0, 2, 0, 0, NULL, 0, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "concat"));
    assert_int_equal(vsr_graph_get_weight(g, "conv_in.weight", &d, &n, &err), 0);
    assert_float_equal(d[0], first, 0);
    assert_int_equal(vsr_graph_fold_output_affine(g, 3, 2, 0, 0, NULL, 0, &err), -EINVAL);
    const float zero[3] = {0, 1, 1};
    assert_int_equal(vsr_graph_fold_input_affine(g, 0, zero, NULL, 0, NULL, 0, &err), -EINVAL);
    vsr_graph_free(&g);
}

/* Read @p name from tests/reference/aimet_quicksrnet/ (float32). */
static float *ref_npy(const char *name, size_t want)
{
    char path[1024];
    vsr_error err = {0};
    vsr_test_ref(path, sizeof(path), "aimet_quicksrnet/");
    strncat(path, name, sizeof(path) - strlen(path) - 1);
    vsr_models_npy a;
    float *f = NULL;
    if (vsr_models_npy_read(path, &a, &err) || vsr_models_npy_to_f32(&a, &f, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(a.count, want);
    vsr_models_npy_free(&a);
    return f;
}

/*
 * An AIMET-style PyTorch checkpoint (tests/models/make_aimet_fixture.py: a
 * QuickSRNet_L_x2 shape with C = 4 and one intermediate conv, PixelShuffle's
 * CRD order, [0, 1] range, PyTorch's default init) imported through the name
 * map with crd_to_dcr and range01 into the zoo's 0..255 graph gives
 * PyTorch's output x 255 on the same 0..255 input, within float rounding
 * (1e-3 on 0..255). Without crd_to_dcr the channels land in the wrong
 * sub-pixels and the output differs by far more.
 */
static void test_aimet_import(void **state)
{
    (void)state;
    vsr_error err = {0};
    const vsr_models_entry *e = vsr_models_zoo_find("QuickSRNet_L_x2");
    vsr_models_hparams hp = e->hp;
    const vsr_models_kv kv[] = {{"channels", "4"}, {"blocks", "1"}};
    assert_int_equal(vsr_models_hparams_apply(&hp, kv, 2, "test", &err), 0);
    enum { H = 6, W = 7, ON = 12 * 14 * 3 };
    float *in = ref_npy("in.npy", H * W * 3), *want = ref_npy("out.npy", ON), out[ON];
    char dir[1024], map[1100], bad[1200];
    vsr_test_ref(dir, sizeof(dir), "aimet_quicksrnet");
    snprintf(map, sizeof(map), "%s/map.yaml", dir);
    for (int pass = 0; pass < 2; pass++) {
        vsr_graph *g = NULL;
        assert_int_equal(vsr_models_build(&hp, e->name, H, W, &g, &err), 0);
        const char *m = map;
        if (pass == 1) { /* the same map without crd_to_dcr */
            snprintf(bad, sizeof(bad), "%s/nocrd_%d.yaml",
                     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
            FILE *f = fopen(bad, "w"), *r = fopen(map, "r");
            char line[256];
            while (fgets(line, sizeof(line), r))
                if (strncmp(line, "crd_to_dcr", 10))
                    fputs(line, f);
            fclose(r);
            fclose(f);
            m = bad;
        }
        if (vsr_models_import_npy(g, dir, m, &err))
            fail_msg("%s", err.msg);
        run(g, in, H, W, 3, out, ON);
        double mx = 0;
        for (int k = 0; k < ON; k++)
            mx = fmax(mx, fabs(out[k] - want[k]));
        if (pass == 0 && mx > 1e-3)
            fail_msg("AIMET import vs PyTorch x 255: max |diff| %g", mx);
        if (pass == 1) {
            assert_true(mx > 1.0);
            remove(bad);
        }
        vsr_graph_free(&g);
    }
    free(in);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked), cmocka_unit_test(test_quicksrnet_folds),
        cmocka_unit_test(test_xlsr_folds),  cmocka_unit_test(test_channel_order),
        cmocka_unit_test(test_refusals),    cmocka_unit_test(test_aimet_import),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
