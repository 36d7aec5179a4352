/* Small helpers for the engine tests: build, fill, run. */
#ifndef VSR_ENGINE_TESTUTIL_H
#define VSR_ENGINE_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"

/* Assert a call returns >= 0, printing the error line otherwise. */
#define OK(call_with_err)                                                                      \
    do {                                                                                       \
        int rc_ = (call_with_err);                                                             \
        if (rc_ < 0)                                                                           \
            print_message("%s -> %d: %s\n", #call_with_err, rc_, err.msg);                     \
        assert_true(rc_ >= 0);                                                                 \
    } while (0)

/* Deterministic pseudo-random floats in [lo, hi) (xorshift32). */
static inline void fill_rand(float *x, size_t n, uint32_t seed, float lo, float hi)
{
    uint32_t s = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        x[i] = lo + (hi - lo) * (float)(s >> 8) / 16777216.f;
    }
}

/* Set every weight of g to pseudo-random values in [lo, hi) (BN variances > 0). */
static inline void rand_weights(vsr_graph *g, uint32_t seed, float lo, float hi)
{
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        float *w = malloc(wi.count * sizeof(float));
        fill_rand(w, wi.count, seed + 17u * (uint32_t)i, lo, hi);
        if (strstr(wi.name, ".var"))
            for (size_t k = 0; k < wi.count; k++)
                w[k] = 0.5f + fabsf(w[k]);
        assert_int_equal(vsr_graph_set_weight(g, wi.name, w, wi.count, NULL), 0);
        free(w);
    }
}

/*
 * Run g once in @p prec (opt may be NULL) with inputs in[0..n_inputs) of size
 * h x w; return output @p oi in a malloc'd buffer and its shape.
 */
static inline float *run_graph(const vsr_graph *g, vsr_precision prec,
                               const vsr_engine_options *opt, const float *const *in, int h,
                               int w, int oi, int *oh, int *ow, int *oc)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    int rc = vsr_engine_create(g, prec, NULL, opt, &e, &err);
    if (rc)
        print_message("engine_create: %s\n", err.msg);
    assert_int_equal(rc, 0);
    for (int k = 0; k < vsr_graph_input_count(g); k++) {
        int c;
        vsr_graph_input_info(g, k, NULL, NULL, NULL, &c, NULL);
        OK(vsr_engine_set_input(e, k, in[k], h, w, c, &err));
    }
    OK(vsr_engine_run(e, &err));
    OK(vsr_engine_output_shape(e, oi, oh, ow, oc));
    size_t n = (size_t)*oh * *ow * *oc;
    float *out = malloc(n * sizeof(float));
    OK(vsr_engine_get_output(e, oi, out, n, &err));
    vsr_engine_free(&e);
    return out;
}

#endif
