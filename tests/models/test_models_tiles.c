/*
 * Tiling the zoo models: the receptive fields vsr_graph_receptive_field()
 * finds (worked out by hand below), and static-shape tiles with pad auto on
 * ABPN and QuickSRNet_M give the whole-frame bytes in FP32, FP16 and INT8
 * for the padding modes, as do tile workers. Weights are random (He-uniform
 * with the zoo's 0..255 input and output folded in), so the check needs no
 * trained file; exactness does not depend on the values.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zoo_harness.h"
#include "vsr/engine.h"
#include "vsr/models.h"

static vsr_graph *zoo(const char *name, int h, int w)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    assert_non_null(e);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err))
        fail_msg("%s", err.msg);
    return g;
}

/*
 * Hand-computed radii, in LR pixels (every conv stride 1, dilation 1; the
 * upsampling depth_to_space is the last spatial op, so no HR conv adds a
 * fraction):
 *   ABPN x4: conv_in + 4 body + conv_up1 + conv_up2 = 7 3x3 convs -> 7 x 1 = 7
 *            (the anchor concat is per pixel: 0).
 *   QuickSRNet_M x4: conv_first + 5 body + conv_last = 7 3x3 convs -> 7.
 *   QuickSRNet_L x4: conv_first + 11 body + conv_last = 13 3x3 -> 13 (the 1x1
 *            anchor: 0).
 *   XLSR x4: conv_in (3x3) + 3 grouped 3x3 + conv_last (3x3) = 5, the 1x1 convs
 *            0; the residual 3x3 branch (1) is shorter.
 */
static void test_zoo_receptive_fields(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int r;
    } want[] = {{"ABPN", 7}, {"QuickSRNet_M", 7}, {"QuickSRNet_L", 13}, {"XLSR", 5}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        vsr_graph *g = zoo(want[i].name, 16, 16);
        int r = -1;
        vsr_error err = {0};
        assert_int_equal(vsr_graph_receptive_field(g, &r, &err), 0);
        if (r != want[i].r)
            fail_msg("%s: radius %d, expected %d", want[i].name, r, want[i].r);
        vsr_graph_free(&g);
    }
}

/* He-uniform (x 0.5) weights, biases uniform in [-2, 2). */
static float tile_weight(const char *name, int bias, size_t fan_in, float u)
{
    (void)name;
    float a = bias ? 2.0f : sqrtf(6.0f / (float)fan_in) * 0.5f;
    return a * (2.0f * u - 1.0f);
}

static float *run(const vsr_graph *g, vsr_precision prec, const vsr_engine_options *o,
                  const float *in, int h, int w, size_t *n)
{
    vsr_engine *en = NULL;
    vsr_error err = {0};
    if (vsr_engine_create(g, prec, NULL, o, &en, &err) ||
        vsr_engine_set_input(en, 0, in, h, w, 3, &err) || vsr_engine_run(en, &err))
        fail_msg("%s %s: %s", vsr_graph_name(g), vsr_precision_name(prec), err.msg);
    int sh[3];
    assert_int_equal(vsr_engine_output_shape(en, 0, &sh[0], &sh[1], &sh[2]), 0);
    *n = (size_t)sh[0] * sh[1] * sh[2];
    float *y = malloc(*n * sizeof(float));
    assert_int_equal(vsr_engine_get_output(en, 0, y, *n, &err), 0);
    vsr_engine_free(&en);
    return y;
}

/*
 * With pad auto (7 for both) and a 24 x 24 fixed tile (stride 10) over a
 * 30 x 37 frame, every padding gives the untiled bytes: interior windows only
 * read frame pixels within 7 of their centre, and edge windows are shifted
 * inside the frame, so no window reads the padding at all; it could only
 * matter on a frame smaller than the tile. The study's padded-frame rule is
 * exact inside and not at the edge (the layers after the first see their
 * predecessor's output over the padding where the whole frame has zeros).
 */
static void test_fixed_tiles_exact(void **state)
{
    (void)state;
    static const char *const names[] = {"ABPN", "QuickSRNet_M"};
    const int h = 30, w = 37;
    for (int m = 0; m < 2; m++) {
        vsr_graph *g = zoo(names[m], h, w);
        uint32_t s = 777u + (uint32_t)m;
        vsr_test_draw_weights(g, &s, tile_weight);
        float *in = malloc((size_t)h * w * 3 * sizeof(float));
        s = 99;
        vsr_test_rand_pixels(in, (size_t)h * w * 3, &s);
        vsr_test_calibrate_frame(g, in, h, w);
        vsr_engine_options t;
        vsr_engine_options_default(&t);
        t.tile = 24;
        t.pad = VSR_PAD_AUTO;
        for (int prec = 0; prec < 3; prec++) {
            size_t n, k;
            float *whole = run(g, (vsr_precision)prec, NULL, in, h, w, &n);
            int inside = 0;
            for (size_t i = 0; i < n; i++)
                inside += whole[i] > 0.f && whole[i] < 255.f;
            assert_true(inside > (int)(n / 4)); /* not a clipped constant image */
            for (int pad = VSR_TPAD_ZERO; pad <= VSR_TPAD_REPLICATE; pad++) {
                t.padding = (vsr_tile_padding)pad;
                t.tile_mode = VSR_TILE_FIXED;
                t.tile_workers = 1;
                float *tiled = run(g, (vsr_precision)prec, &t, in, h, w, &k);
                assert_int_equal(k, n);
                assert_memory_equal(whole, tiled, n * sizeof(float));
                free(tiled);
                if (pad == VSR_TPAD_REPLICATE) { /* two workers: the same bytes */
                    t.tile_workers = 2;
                    tiled = run(g, (vsr_precision)prec, &t, in, h, w, &k);
                    assert_memory_equal(whole, tiled, n * sizeof(float));
                    free(tiled);
                }
                if (prec == VSR_PREC_FP32 && pad == VSR_TPAD_REFLECT) {
                    t.tile_mode = VSR_TILE_PADDED;
                    t.tile_workers = 1;
                    tiled = run(g, (vsr_precision)prec, &t, in, h, w, &k);
                    assert_true(memcmp(whole, tiled, n * sizeof(float)) != 0);
                    free(tiled);
                }
            }
            free(whole);
        }
        free(in);
        vsr_graph_free(&g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoo_receptive_fields),
        cmocka_unit_test(test_fixed_tiles_exact),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
