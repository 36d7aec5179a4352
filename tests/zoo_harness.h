/* For the tests that run zoo models: built with random weights, fed random pixels,
 * calibrated for INT8. */
#ifndef VSR_ZOO_HARNESS_H
#define VSR_ZOO_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/*
 * Zoo model @p name (its default hyperparameters) built for h x w LR input, with the
 * random weights of vsr_models_random_weights(@p seed); the caller frees it. An unknown
 * name or a failed build fails the test with the library's message.
 */
static inline vsr_graph *vsr_test_zoo_random(const char *name, int h, int w, uint64_t seed)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    assert_non_null(e);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err) ||
        vsr_models_random_weights(g, seed, &err))
        fail_msg("%s: %s", name, err.msg);
    return g;
}

/* One xorshift32 step of *@p s (13, 17, 5); the new state. */
static inline uint32_t vsr_test_xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return *s = x;
}

/* A weight element's value, given its tensor's @p name, whether it is a bias, its fan-in
 * and @p u, uniform in [0, 1). */
typedef float (*vsr_test_weight_draw)(const char *name, int bias, size_t fan_in, float u);

/*
 * Every weight tensor of @p g, in weight order, set to @p draw of one u = (xorshift32 of
 * *@p s >> 8) / 2^24 per element (the state carries on for the caller). A bias is a
 * tensor named "*.bias*" (fan-in 1); another's fan-in is its element count over its last
 * (output) dimension.
 */
static inline void vsr_test_draw_weights(vsr_graph *g, uint32_t *s, vsr_test_weight_draw draw)
{
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        assert_int_equal(vsr_graph_weight_info(g, i, &wi), 0);
        float *d = malloc(wi.count * sizeof(float));
        assert_non_null(d);
        int bias = strstr(wi.name, ".bias") != NULL;
        size_t fan_in = bias ? 1 : wi.count / (size_t)wi.dims[3];
        for (size_t k = 0; k < wi.count; k++)
            d[k] =
                draw(wi.name, bias, fan_in, (float)(vsr_test_xorshift32(s) >> 8) / 16777216.0f);
        vsr_error err = {0};
        if (vsr_graph_set_weight(g, wi.name, d, wi.count, &err))
            fail_msg("%s: %s", wi.name, err.msg);
        free(d);
    }
}

/* @p n pixel values 0..255 (as floats), each xorshift32 of *@p s mod 256. */
static inline void vsr_test_rand_pixels(float *x, size_t n, uint32_t *s)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(vsr_test_xorshift32(s) % 256);
}

/* INT8 parameters of @p g from min / max calibration on the one RGB frame @p in (h x w). */
static inline void vsr_test_calibrate_frame(vsr_graph *g, const float *in, int h, int w)
{
    vsr_calib *c = NULL;
    vsr_error err = {0};
    const float *ins[1] = {in};
    assert_int_equal(vsr_calib_create(g, NULL, &c, &err), 0);
    assert_int_equal(vsr_calib_feed(c, ins, h, w, &err), 0);
    assert_int_equal(vsr_calib_finish(c, NULL, g, &err), 0);
    vsr_calib_free(&c);
}

#endif
