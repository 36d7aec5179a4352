/*
 * Pruning and clustering as weight transforms (models/compress.c, issue 17)
 * and `vsrbench compress`'s one-line errors. Expected values are worked by
 * hand in the comments (masks, k-means iterations, byte counts, shrunk
 * shapes and counts: params = k*k*cin*cout + cout per conv, MACs = H*W*k*k*
 * cin*cout, as docs/MODEL_SPECS.md 0.2 / count.py count them); the shrunk
 * graph's output is checked against the unshrunk graph run by the engine.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "engine/engine_testutil.h"
#include "train/demo_harness.h"
#include "testutil.h"
#include "vsr/compress.h"
#include "vsr/engine.h"
#include "vsr/models.h"
#include "vsr/train.h"

enum { H = 6, W = 5 };

/* ---- primitives ------------------------------------------------------------------ */

static void test_prune_mask(void **state)
{
    (void)state;
    /* |w| = .5 .1 .3 .3 0 2 .1 .5; ordered by (|w|, index): 4, 1, 6, 2, 3, 0, 7, 5 */
    const float w[8] = {0.5f, -0.1f, 0.3f, -0.3f, 0.0f, 2.0f, 0.1f, -0.5f};
    unsigned char keep[8];
    /* s = 0.5: p = floor(4 + 0.5) = 4 -> 4, 1, 6, 2 pruned; the tie |w| = .3 prunes
     * index 2 (lower) and keeps 3; the tie .1 / -.1 prunes both */
    assert_int_equal(vsr_compress_prune_mask(w, 8, 0.5, keep), 4);
    const unsigned char k50[8] = {1, 0, 0, 1, 0, 1, 0, 1};
    assert_memory_equal(keep, k50, 8);
    /* s = 0.3: p = floor(2.4 + 0.5) = 2 -> 4, 1 */
    assert_int_equal(vsr_compress_prune_mask(w, 8, 0.3, keep), 2);
    const unsigned char k30[8] = {1, 0, 1, 1, 0, 1, 1, 1};
    assert_memory_equal(keep, k30, 8);
    /* s = 0: nothing; s = 0.9: p = floor(7.2 + 0.5) = 7, only the 2.0 stays */
    assert_int_equal(vsr_compress_prune_mask(w, 8, 0.0, keep), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(keep[i], 1);
    assert_int_equal(vsr_compress_prune_mask(w, 8, 0.9, keep), 7);
    for (int i = 0; i < 8; i++)
        assert_int_equal(keep[i], i == 5);
    /* rounding half up: 5 values at 0.5 -> floor(2.5 + 0.5) = 3 pruned */
    assert_int_equal(vsr_compress_prune_mask(w, 5, 0.5, keep), 3);
    const unsigned char k5[5] = {1, 0, 0, 1, 0};
    assert_memory_equal(keep, k5, 5);
}

static void test_kmeans(void **state)
{
    (void)state;
    vsr_error err = {0};
    float c[3];
    int as[6], it;
    /* {0, 4, 5, 6, 10}, K = 2: linear init {0, 10}; iteration 1 assigns 0 4 5 -> 0 (5 is a
     * tie, the lower index wins), 6 10 -> 1, means {3, 8}; iteration 2 assigns the same
     * (4: 1 vs 4, 5: 2 vs 3, 6: 3 vs 2) and stops */
    const float x[5] = {0, 4, 5, 6, 10};
    assert_int_equal(vsr_compress_kmeans(x, 5, 2, 100, c, as, &it, &err), 0);
    assert_true(c[0] == 3.0f && c[1] == 8.0f);
    const int a1[5] = {0, 0, 0, 1, 1};
    assert_memory_equal(as, a1, sizeof(a1));
    assert_int_equal(it, 2);
    /* {0, 1, 2, 10, 11, 12}, K = 3: init {0, 6, 12}; 0 1 2 -> 0, 10 11 12 -> 2, cluster 1
     * empty (keeps 6); means {1, 6, 11}; the next assignment is the same */
    const float y[6] = {0, 1, 2, 10, 11, 12};
    assert_int_equal(vsr_compress_kmeans(y, 6, 3, 100, c, as, &it, &err), 0);
    assert_true(c[0] == 1.0f && c[1] == 6.0f && c[2] == 11.0f);
    const int a2[6] = {0, 0, 0, 2, 2, 2};
    assert_memory_equal(as, a2, sizeof(a2));
    assert_int_equal(it, 2);
    /* max_iter 1 stops after the first update */
    assert_int_equal(vsr_compress_kmeans(x, 5, 2, 1, c, NULL, &it, &err), 0);
    assert_int_equal(it, 1);
    assert_int_equal(vsr_compress_kmeans(x, 5, 1, 100, c, NULL, NULL, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "k >= 2");
}

static void test_sizes(void **state)
{
    (void)state;
    /* bitmask ceil(27/8) = 4 + 13 floats 52 */
    assert_int_equal(vsr_compress_sparse_bytes(27, 13), 56);
    /* K 10: 4 bits; mask 4 + 10 centroids 40 + ceil(13*4/8) = 7 */
    assert_int_equal(vsr_compress_cluster_bytes(27, 13, 10), 51);
    /* dense (no mask), K 2: 1 bit; 8 + ceil(16/8) = 2 */
    assert_int_equal(vsr_compress_cluster_bytes(16, 16, 2), 10);
    /* K 16: 4 bits, 64 + ceil(36/8) = 5; K 17: 5 bits, 68 + ceil(45/8) = 6 */
    assert_int_equal(vsr_compress_cluster_bytes(9, 9, 16), 69);
    assert_int_equal(vsr_compress_cluster_bytes(9, 9, 17), 74);
}

/* ---- tiny graphs ------------------------------------------------------------------- */

/* x (2 ch) -> conv a 3x3 2->4 relu -> leaky "act" -> conv b 3x3 4->3 -> output "y".
 * Weights from an LCG in [-1, 1); channels 1 and 3 of a all zero (kernel and bias). */
static vsr_graph *chain(void)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_graph_create("chain", &g, &err), 0);
    int x = vsr_graph_input(g, "x", H, W, 2, &err);
    vsr_conv_params p = vsr_conv_default(4, 3);
    p.act.type = VSR_ACT_RELU;
    int a = vsr_graph_conv2d(g, "a", x, &p, &err);
    a = vsr_graph_leaky_relu(g, "act", a, 0.1f, &err);
    vsr_conv_params q = vsr_conv_default(3, 3);
    int b = vsr_graph_conv2d(g, "b", a, &q, &err);
    vsr_graph_output(g, "y", b, &err);
    if (vsr_graph_status(g, &err))
        fail_msg("%s", err.msg);
    uint32_t s = 7;
    float wa[72], ba[4], wb[108], bb[3];
    float *all[4] = {wa, ba, wb, bb};
    const int n[4] = {72, 4, 108, 3};
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < n[t]; i++) {
            s = s * 1664525u + 1013904223u;
            all[t][i] = (float)(s >> 8) / 8388608.0f - 1.0f;
        }
    for (int i = 0; i < 72; i++) /* HWIO: output channel = i % 4 */
        if (i % 4 == 1 || i % 4 == 3)
            wa[i] = 0;
    ba[1] = ba[3] = 0;
    if (vsr_graph_set_weight(g, "a.weight", wa, 72, &err) ||
        vsr_graph_set_weight(g, "a.bias", ba, 4, &err) ||
        vsr_graph_set_weight(g, "b.weight", wb, 108, &err) ||
        vsr_graph_set_weight(g, "b.bias", bb, 3, &err))
        fail_msg("%s", err.msg);
    return g;
}

/* FP32 output of @p g on a fixed pseudo-random H x W x 2 input in [0, 255); *n values. */
static float *run(const vsr_graph *g, size_t *n)
{
    float in[H * W * 2];
    const float *ins[1] = {in};
    fill_rand(in, H * W * 2, 99, 0, 255);
    int oh, ow, oc;
    float *out = run_graph(g, VSR_PREC_FP32, NULL, ins, H, W, 0, &oh, &ow, &oc);
    *n = (size_t)oh * ow * oc;
    return out;
}

static void test_structured_shrink(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *g = chain(), *s = NULL;
    size_t n0, n1, n2;
    float *y0 = run(g, &n0);
    char log[1024];
    /* s = 0.5: round(0.5 * 4) = 2 channels of a go; the zero channels 1 and 3 have the
     * smallest L1 norm (0). b feeds the graph output: kept. */
    assert_int_equal(
        vsr_compress_prune_channels(g, 0.5, VSR_COMPRESS_L1, log, sizeof(log), &err), 0);
    print_message("%s", log);
    assert_non_null(strstr(log, "a: 4 -> 2 channels"));
    assert_non_null(strstr(log, "b: kept (output feeds a graph output)"));
    float *y1 = run(g, &n1); /* the pruned channels were zero already: same weights */
    assert_int_equal(n0, n1);
    assert_memory_equal(y0, y1, n0 * sizeof(float));

    assert_int_equal(vsr_compress_shrink(g, &s, &err), 0);
    vsr_weight_info wi;
    assert_int_equal(vsr_graph_weight_info(s, 0, &wi), 0); /* a.weight: 3x3x2x2 */
    assert_string_equal(wi.name, "a.weight");
    assert_true(wi.dims[2] == 2 && wi.dims[3] == 2);
    assert_int_equal(vsr_graph_weight_info(s, 2, &wi), 0); /* b.weight: 3x3x2x3 */
    assert_string_equal(wi.name, "b.weight");
    assert_true(wi.dims[2] == 2 && wi.dims[3] == 3);
    /* params: a 9*2*2 + 2 = 38, b 9*2*3 + 3 = 57 -> 95 (unshrunk 76 + 111 = 187);
     * MACs: 30 px * (36 + 54) = 2700 (unshrunk 30 * (72 + 108) = 5400) */
    vsr_graph_stats st;
    assert_int_equal(vsr_graph_count(g, H, W, VSR_PREC_FP32, &st, &err), 0);
    assert_int_equal(st.params, 187);
    assert_int_equal(st.macs, 5400);
    assert_int_equal(vsr_graph_count(s, H, W, VSR_PREC_FP32, &st, &err), 0);
    assert_int_equal(st.params, 95);
    assert_int_equal(st.macs, 2700);
    /* the removed channels are 0 everywhere: the same output; the kernels sum fewer
     * terms (an exact +0 each), in an order that may differ by vector width */
    float *y2 = run(s, &n2);
    assert_int_equal(n0, n2);
    double amax = 0, dmax = 0;
    for (size_t i = 0; i < n0; i++) {
        amax = fmax(amax, fabs(y0[i]));
        dmax = fmax(dmax, fabs((double)y0[i] - y2[i]));
    }
    print_message("max |y| %g, max |shrunk - original| %g\n", amax, dmax);
    assert_true(amax > 1);
    assert_true(dmax <= 1e-5 * amax);
    free(y0), free(y1), free(y2);
    vsr_graph_free(&s);

    /* size: a.weight 72 with 36 zeros: sparse ceil(72/8) 9 + 36*4 = 153; a.bias 16,
     * b.weight 432, b.bias 12 dense -> 613; dense 4 * 187 = 748 */
    vsr_compress_size sz;
    assert_int_equal(vsr_compress_measure(g, 1, 0, &sz, &err), 0);
    assert_int_equal(sz.bytes, 613);
    assert_int_equal(sz.dense_bytes, 748);
    assert_int_equal(sz.elements, 187);
    vsr_graph_free(&g);
}

/* x -> conv a, conv c (2->4 each) -> add "sum" -> conv d (4->3) -> output: a and c are
 * tied by the add, d by the output: nothing can lose channels. */
static void test_structured_blocked(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    assert_int_equal(vsr_graph_create("tied", &g, &err), 0);
    int x = vsr_graph_input(g, "x", H, W, 2, &err);
    vsr_conv_params p = vsr_conv_default(4, 3);
    int a = vsr_graph_conv2d(g, "a", x, &p, &err);
    int c = vsr_graph_conv2d(g, "c", x, &p, &err);
    int sum = vsr_graph_add(g, "sum", a, c, &err);
    vsr_conv_params q = vsr_conv_default(3, 1);
    vsr_graph_output(g, "y", vsr_graph_conv2d(g, "d", sum, &q, &err), &err);
    assert_int_equal(vsr_graph_status(g, &err), 0);
    assert_int_equal(vsr_models_random_weights(g, 3, &err), 0);
    char log[512];
    assert_int_equal(
        vsr_compress_prune_channels(g, 0.5, VSR_COMPRESS_L2, log, sizeof(log), &err), -ENOTSUP);
    VSR_ASSERT_ONE_LINE(err.msg, "sum (add)");
    assert_non_null(strstr(log, "a: kept (output feeds sum (add))"));
    assert_non_null(strstr(log, "d: kept (output feeds a graph output)"));
    assert_int_equal(vsr_compress_prune_channels(g, 1.0, VSR_COMPRESS_L1, NULL, 0, &err),
                     -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "[0, 1)");
    vsr_graph_free(&g);
}

static int count_zeros(const vsr_graph *g, const char *name, size_t *n)
{
    const float *d;
    vsr_error err = {0};
    assert_int_equal(vsr_graph_get_weight(g, name, &d, n, &err), 0);
    int z = 0;
    for (size_t i = 0; i < *n; i++)
        z += d[i] == 0;
    return z;
}

static void test_unstructured_and_cluster(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *g = chain();
    size_t n;
    /* per layer at 0.5: a.weight 72 -> 36 zeros (its 36 zeros already are the smallest),
     * b.weight 108 -> 54 zeros; biases untouched (a.bias keeps its 2 zeros only) */
    assert_int_equal(vsr_compress_prune(g, 0.5, VSR_COMPRESS_PER_LAYER, &err), 0);
    assert_int_equal(count_zeros(g, "a.weight", &n), 36);
    assert_int_equal(count_zeros(g, "b.weight", &n), 54);
    assert_int_equal(count_zeros(g, "b.bias", &n), 0);
    assert_int_equal(count_zeros(g, "a.bias", &n), 2);
    /* global at 0.6 of 180 kernel values: 108 zeros in all; every pruned |w| <= every kept */
    vsr_graph *h = chain();
    assert_int_equal(vsr_compress_prune(h, 0.6, VSR_COMPRESS_GLOBAL, &err), 0);
    size_t na, nb;
    assert_int_equal(count_zeros(h, "a.weight", &na) + count_zeros(h, "b.weight", &nb), 108);
    vsr_graph_free(&h);
    assert_int_equal(vsr_compress_prune(g, 1.0, VSR_COMPRESS_GLOBAL, &err), -EINVAL);

    /* clustering to 3: at most 3 distinct non-zero values per kernel, zeros in place, and
     * the result is a fixed point of Lloyd's iteration, checked here on the original
     * values: each distinct value is the mean of the originals mapped to it, and each
     * original's nearest distinct value is the one it got (the middle centroid of the
     * linear init sits in the pruned gap around 0 and may stay empty: 2 or 3 values) */
    const char *names[2] = {"a.weight", "b.weight"};
    float orig[2][108];
    for (int k = 0; k < 2; k++) {
        const float *d;
        assert_int_equal(vsr_graph_get_weight(g, names[k], &d, &n, &err), 0);
        memcpy(orig[k], d, n * sizeof(float));
    }
    unsigned char zero[108];
    for (size_t i = 0; i < 108; i++)
        zero[i] = orig[1][i] == 0;
    assert_int_equal(vsr_compress_cluster(g, 3, 300, &err), 0);
    for (int k = 0; k < 2; k++) {
        const float *d;
        assert_int_equal(vsr_graph_get_weight(g, names[k], &d, &n, &err), 0);
        float v[8];
        int nv = 0;
        for (size_t i = 0; i < n; i++) {
            if (d[i] == 0)
                continue;
            int seen = 0;
            for (int j = 0; j < nv; j++)
                seen |= v[j] == d[i];
            if (!seen) {
                assert_true(nv < 3);
                v[nv++] = d[i];
            }
        }
        assert_true(nv >= 2);
        for (int j = 0; j < nv; j++) {
            double sum = 0;
            int m = 0;
            for (size_t i = 0; i < n; i++)
                if (d[i] == v[j])
                    sum += orig[k][i], m++;
            assert_float_equal(sum / m, v[j], 1e-6);
        }
        for (size_t i = 0; i < n; i++) {
            if (orig[k][i] == 0)
                continue;
            for (int j = 0; j < nv; j++)
                assert_true(fabsf(orig[k][i] - d[i]) <= fabsf(orig[k][i] - v[j]));
        }
    }
    assert_int_equal(count_zeros(g, "b.weight", &n), 54);
    const float *d1;
    assert_int_equal(vsr_graph_get_weight(g, "b.weight", &d1, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(d1[i] == 0, zero[i]);
    /* size with K 3 (2 bits; the table holds K entries even if one is unused): a.weight
     * mask 9 + 12 + ceil(36*2/8) 9 = 30, b.weight
     * mask 14 + 12 + ceil(54*2/8) 14 = 40, biases 28 -> 98 */
    vsr_compress_size sz;
    assert_int_equal(vsr_compress_measure(g, 1, 3, &sz, &err), 0);
    assert_int_equal(sz.bytes, 98);
    assert_int_equal(sz.nonzero, 36 + 54 + 2 + 3);
    assert_int_equal(vsr_compress_cluster(g, 1, 300, &err), -EINVAL);

    /* the fine-tune constraint over the flat vector (a.weight 72, a.bias 4, b.weight 108,
     * b.bias 3): zeros of the kernels and a.bias[1], [3] (zero channels of a) masked,
     * each centroid's elements get their mean gradient (computed here by value) */
    vsr_compress_constraint *c = NULL;
    assert_int_equal(vsr_compress_constraint_create(g, 1, 1, &c, &err), 0);
    assert_int_equal(vsr_compress_constraint_size(c), 187);
    double grad[187];
    float flat[187];
    size_t off = 0;
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        const float *d;
        vsr_graph_weight_info(g, i, &wi);
        assert_int_equal(vsr_graph_get_weight(g, wi.name, &d, &n, &err), 0);
        memcpy(flat + off, d, n * sizeof(float));
        off += n;
    }
    for (int i = 0; i < 187; i++)
        grad[i] = i + 1;
    double want[187];
    for (int i = 0; i < 187; i++) {
        int kernel = i < 72 || (i >= 76 && i < 184);
        int lo = i < 72 ? 0 : 76, hi = i < 72 ? 72 : 184;
        if (kernel && flat[i] == 0) {
            want[i] = 0;
        } else if (kernel) {
            double s = 0;
            int m = 0;
            for (int j = lo; j < hi; j++)
                if (flat[j] == flat[i])
                    s += grad[j], m++;
            want[i] = s / m;
        } else {
            want[i] = (i == 73 || i == 75) ? 0 : grad[i];
        }
    }
    vsr_compress_constraint_grad(c, grad, 187);
    for (int i = 0; i < 187; i++)
        assert_float_equal(grad[i], want[i], 1e-9);
    /* projection: a tied, zeroed vector is left as it is */
    float copy[187];
    memcpy(copy, flat, sizeof(flat));
    vsr_compress_constraint_project(c, copy, 187);
    assert_memory_equal(copy, flat, sizeof(flat));
    vsr_compress_constraint_free(&c);
    assert_null(c);
    vsr_graph_free(&g);
}

/* ---- a fine-tune keeps the transforms ---------------------------------------------------- */

typedef struct ft_ctx {
    const vsr_graph *src;
    const vsr_compress_constraint *c;
} ft_ctx;

static int ft_start(void *ctx, vsr_graph *g, vsr_error *err)
{
    return vsr_models_copy_weights_by_order(((ft_ctx *)ctx)->src, g, err);
}

static void ft_grad(void *ctx, double *grad, size_t n)
{
    vsr_compress_constraint_grad(((ft_ctx *)ctx)->c, grad, n);
}

/* 8 steps of ELSR (lr 2e-3) from pruned (0.5) and clustered (K 3) weights: with the
 * gradient constraint every pruned kernel weight is still 0 and weights that shared a
 * centroid still share one value, while the weights did move; without it the zeros
 * move (the hook is what keeps them). */
static void test_finetune_constraint(void **st)
{
    vsr_test_train_env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    vsr_error err = {0};
    const vsr_models_entry *me = vsr_models_zoo_find("ELSR");
    vsr_graph *g = NULL;
    if (vsr_models_build(&me->hp, me->name, 12, 12, &g, &err) ||
        vsr_models_random_weights(g, 11, &err) ||
        vsr_compress_prune(g, 0.5, VSR_COMPRESS_PER_LAYER, &err) ||
        vsr_compress_cluster(g, 3, 300, &err))
        fail_msg("%s", err.msg);
    vsr_compress_constraint *c = NULL;
    assert_int_equal(vsr_compress_constraint_create(g, 1, 1, &c, &err), 0);
    for (int constrained = 1; constrained >= 0; constrained--) {
        char path[512], w[512];
        const char *name = constrained ? "ft_on" : "ft_off";
        vsr_test_train_write_cfg(e, name, "val: {every: 100, frames: 1}\n", path, sizeof(path));
        vsr_train_config cfg;
        if (vsr_train_config_load(path, NULL, 0, &cfg, &err))
            fail_msg("%s", err.msg);
        ft_ctx fc = {g, c};
        vsr_train_hooks hk = {.ctx = &fc, .start_weights = ft_start};
        if (constrained)
            hk.constrain_grad = ft_grad;
        if (vsr_train_run(&cfg, 0, NULL, &hk, &err))
            fail_msg("%s", err.msg);
        snprintf(w, sizeof(w), "%s/%s.vsrw", cfg.out_dir, cfg.name);
        vsr_train_config_free(&cfg);
        vsr_graph *t = NULL;
        if (vsr_models_build(&me->hp, me->name, 12, 12, &t, &err) ||
            vsr_weights_load(t, w, &err))
            fail_msg("%s", err.msg);
        int zeros_kept = 1, ties_kept = 1, moved = 0;
        for (int l = 0; l < vsr_graph_layer_count(g); l++) {
            vsr_node_view v;
            char wn[VSR_NAME_MAX + 8];
            if (vsr_graph_node_view(g, l, &v) || v.op != VSR_OP_CONV2D)
                continue;
            snprintf(wn, sizeof(wn), "%s.weight", v.name);
            const float *a, *b;
            size_t n, m;
            assert_int_equal(vsr_graph_get_weight(g, wn, &a, &n, &err), 0);
            assert_int_equal(vsr_graph_get_weight(t, wn, &b, &m, &err), 0);
            assert_int_equal(n, m);
            for (size_t i = 0; i < n; i++) {
                zeros_kept &= a[i] != 0 || b[i] == 0;
                moved |= a[i] != b[i];
                for (size_t j = i + 1; j < n; j++)
                    if (a[i] != 0 && a[i] == a[j])
                        ties_kept &= b[i] == b[j];
            }
        }
        print_message("%s: zeros kept %d, ties kept %d, moved %d\n", name, zeros_kept,
                      ties_kept, moved);
        assert_true(moved);
        assert_int_equal(zeros_kept, constrained);
        assert_int_equal(ties_kept, constrained);
        vsr_graph_free(&t);
    }
    vsr_compress_constraint_free(&c);
    vsr_graph_free(&g);
}

/* ---- the CLI's one-line errors -------------------------------------------------------- */

static void test_cli_bad(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char w[400];
    snprintf(w, sizeof(w), "%s/absent.vsrw", t->dir);
    struct {
        const char *args[16];
        const char *a, *b;
    } cases[] = {
        {{"compress", "--model", "NOPE", "--weights", w, "--dataset", t->dir, "--out", t->vsrw,
          NULL},
         "NOPE",
         "not a zoo model"},
        {{"compress", "--model", "ABPN", "--weights", w, "--dataset", t->dir, "--out", t->vsrw,
          NULL},
         "absent.vsrw",
         "ABPN"},
        {{"compress", "--model", "ABPN", "--weights", w, "--dataset", t->dir, "--out", t->vsrw,
          "--prune", "1", NULL},
         "--prune 1",
         "[0, 1)"},
        {{"compress", "--model", "ABPN", "--weights", w, "--dataset", t->dir, "--out", t->vsrw,
          "--prune", "-0.1", NULL},
         "--prune",
         "-0.1"},
        {{"compress", "--model", "ABPN", "--weights", w, "--dataset", t->dir, "--out", t->vsrw,
          "--cluster", "1", NULL},
         "--cluster",
         "[2, "},
        {{"compress", "--model", "ABPN", "--weights", w, "--dataset", t->dir, NULL},
         "--out",
         "--help"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(vsr_test_vsrbench(cases[i].args, t->out, t->err, NULL), 2);
        vsr_test_err_one_line(t->err, cases[i].a, cases[i].b);
    }
    /* weights that exist, a dataset that does not: a one-line error naming it, exit != 0 */
    vsr_graph *g = chain();
    vsr_error err = {0};
    assert_int_equal(vsr_weights_save(g, w, &err), 0);
    vsr_graph_free(&g);
    char nod[400];
    snprintf(nod, sizeof(nod), "%s/no_such_dataset", t->dir);
    const char *args[] = {"compress", "--model", "ABPN", "--weights", w,       "--dataset",
                          nod,        "--prune", "0.5",  "--out",     t->vsrw, NULL};
    assert_int_not_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 0);
    vsr_test_err_one_line(t->err, "no_such_dataset", "compress");
    assert_int_not_equal(access(t->vsrw, F_OK), 0); /* no output written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prune_mask),
        cmocka_unit_test(test_kmeans),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_structured_shrink),
        cmocka_unit_test(test_structured_blocked),
        cmocka_unit_test(test_unstructured_and_cluster),
        cmocka_unit_test_setup_teardown(test_finetune_constraint, vsr_test_train_setup,
                                        vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_cli_bad, vsr_cli_tmp_setup, vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
