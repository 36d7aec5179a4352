/*
 * Gradient checks of every op the zoo uses, by central finite differences
 * on the double-precision net (train.h), and float vs double agreement.
 *
 * Tolerances (stated once): a loss L = sum_i r_i y_i with fixed random r;
 * parameters are perturbed by eps = 1e-6 in the double working copy,
 * inputs by eps = 2^-14 (exact in float for the |x| < 2 inputs used). The
 * analytic gradient g and the numerical one d must satisfy
 * |g - d| <= 1e-6 + 1e-6 * max(|g|, |d|). The float net's reduced gradient
 * must match the double one within 1e-3 * max|g| + 1e-5.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"
#include "vsr/train.h"

#define H 6
#define W 5

typedef struct gc {
    vsr_graph *g;
    int n_in;
    float *in[8];
    size_t in_n[8];
    double *r[8];
    size_t r_n[8];
} gc;

static void fill_weights(vsr_graph *g, uint64_t seed)
{
    vsr_train_rng rng = vsr_train_rng_make(seed, 7);
    int n = vsr_graph_weight_count(g);
    for (int i = 0; i < n; i++) {
        vsr_weight_info wi;
        assert_int_equal(vsr_graph_weight_info(g, i, &wi), 0);
        if (wi.is_set)
            continue;
        float *d = malloc(wi.count * sizeof(float));
        const char *role = strrchr(wi.name, '.');
        for (size_t k = 0; k < wi.count; k++) {
            double u = vsr_train_rng_uniform(&rng);
            if (!strcmp(role, ".var"))
                d[k] = (float)(0.5 + u);
            else if (!strcmp(role, ".alpha"))
                d[k] = (float)(0.1 + 0.3 * u);
            else if (!strcmp(role, ".gamma"))
                d[k] = (float)(0.5 + u);
            else
                d[k] = (float)(u - 0.5);
        }
        assert_int_equal(vsr_graph_set_weight(g, wi.name, d, wi.count, NULL), 0);
        free(d);
    }
}

static double loss_of(vsr_train_net *net, gc *c)
{
    vsr_error err;
    assert_int_equal(vsr_train_net_forward(net, 0, 0, (const float *const *)c->in, &err), 0);
    double L = 0;
    for (int k = 0; k < vsr_graph_output_count(c->g); k++) {
        double *y = malloc(c->r_n[k] * sizeof(double));
        size_t n;
        vsr_train_net_output(net, 0, 0, k, y, &n);
        assert_int_equal(n, c->r_n[k]);
        for (size_t i = 0; i < n; i++)
            L += c->r[k][i] * y[i];
        free(y);
    }
    return L;
}

static void near(double g, double d, const char *what, size_t i)
{
    double tol = 1e-6 + 1e-6 * fmax(fabs(g), fabs(d));
    if (!(fabs(g - d) <= tol))
        fail_msg("%s[%zu]: analytic %.10g vs numerical %.10g", what, i, g, d);
}

/* Build inputs and r, check all gradients; frees c. */
static void check(gc *c, uint64_t seed, int max_checks)
{
    vsr_error err;
    vsr_graph *g = c->g;
    assert_int_equal(vsr_graph_status(g, &err), 0);
    fill_weights(g, seed);
    vsr_train_rng rng = vsr_train_rng_make(seed, 3);
    c->n_in = vsr_graph_input_count(g);
    for (int k = 0; k < c->n_in; k++) {
        int h, w, ch;
        vsr_graph_input_info(g, k, NULL, &h, &w, &ch, NULL);
        c->in_n[k] = (size_t)h * w * ch;
        c->in[k] = malloc(c->in_n[k] * sizeof(float));
        for (size_t i = 0; i < c->in_n[k]; i++) /* multiples of 2^-8 in (-1.5, 1.5) */
            c->in[k][i] = (float)floor((vsr_train_rng_uniform(&rng) * 3.0 - 1.5) * 256) / 256;
    }
    vsr_train_net_options o = {.batch = 1, .steps = 1, .use_double = 1, .input_grads = 1};
    vsr_train_net *net = NULL;
    int hh, ww;
    vsr_graph_input_info(g, 0, NULL, &hh, &ww, NULL, NULL);
    assert_int_equal(vsr_train_net_create(g, hh, ww, &o, &net, &err), 0);
    for (int k = 0; k < vsr_graph_output_count(g); k++) {
        int oh, ow, oc;
        vsr_train_net_output_shape(net, k, &oh, &ow, &oc);
        c->r_n[k] = (size_t)oh * ow * oc;
        c->r[k] = malloc(c->r_n[k] * sizeof(double));
        for (size_t i = 0; i < c->r_n[k]; i++)
            c->r[k][i] = vsr_train_rng_uniform(&rng) * 2 - 1;
    }
    /* analytic */
    vsr_train_net_zero_grad(net);
    loss_of(net, c);
    for (int k = 0; k < vsr_graph_output_count(g); k++)
        assert_int_equal(vsr_train_net_add_output_grad(net, 0, 0, k, c->r[k]), 0);
    assert_int_equal(vsr_train_net_backward(net, 0, 0, &err), 0);
    size_t np = vsr_train_net_param_count(net);
    double *ga = malloc((np ? np : 1) * sizeof(double));
    memcpy(ga, vsr_train_net_reduce(net), np * sizeof(double));
    double *gi[8];
    for (int k = 0; k < c->n_in; k++) {
        gi[k] = malloc(c->in_n[k] * sizeof(double));
        assert_int_equal(vsr_train_net_input_grad(net, 0, 0, k, gi[k]), 0);
    }
    /* numerical: parameters */
    double *P = vsr_train_net_params_double(net);
    size_t ntr = 0;
    for (size_t i = 0; i < np; i++)
        ntr += vsr_train_net_trainable(net, i) != 0;
    size_t stride = ntr > (size_t)max_checks ? ntr / (size_t)max_checks : 1, seen = 0;
    int checked = 0;
    for (size_t i = 0; i < np; i++) {
        if (!vsr_train_net_trainable(net, i)) {
            assert_true(ga[i] == 0.0);
            continue;
        }
        if (seen++ % stride)
            continue;
        const double e = 1e-6, v = P[i];
        P[i] = v + e;
        double lp = loss_of(net, c);
        P[i] = v - e;
        double lm = loss_of(net, c);
        P[i] = v;
        near(ga[i], (lp - lm) / (2 * e), "param", i);
        checked++;
    }
    /* numerical: inputs */
    for (int k = 0; k < c->n_in; k++) {
        size_t st = c->in_n[k] > (size_t)max_checks ? c->in_n[k] / (size_t)max_checks : 1;
        for (size_t i = 0; i < c->in_n[k]; i += st) {
            const float e = 1.0f / 16384, v = c->in[k][i];
            c->in[k][i] = v + e;
            double lp = loss_of(net, c);
            c->in[k][i] = v - e;
            double lm = loss_of(net, c);
            c->in[k][i] = v;
            near(gi[k][i], (lp - lm) / (2.0 * e), "input", i);
            checked++;
        }
    }
    assert_true(checked > 0);
    /* float net agrees with the double one */
    vsr_train_net *nf = NULL;
    o.use_double = 0;
    assert_int_equal(vsr_train_net_create(g, hh, ww, &o, &nf, &err), 0);
    vsr_train_net_zero_grad(nf);
    loss_of(nf, c);
    for (int k = 0; k < vsr_graph_output_count(g); k++)
        vsr_train_net_add_output_grad(nf, 0, 0, k, c->r[k]);
    assert_int_equal(vsr_train_net_backward(nf, 0, 0, &err), 0);
    const double *gf = vsr_train_net_reduce(nf);
    double mx = 0;
    for (size_t i = 0; i < np; i++)
        mx = fmax(mx, fabs(ga[i]));
    for (size_t i = 0; i < np; i++)
        if (fabs(gf[i] - ga[i]) > 1e-3 * mx + 1e-5)
            fail_msg("float grad[%zu] %.8g vs double %.8g", i, gf[i], ga[i]);
    vsr_train_net_free(&nf);
    vsr_train_net_free(&net);
    free(ga);
    for (int k = 0; k < c->n_in; k++)
        free(gi[k]), free(c->in[k]);
    for (int k = 0; k < vsr_graph_output_count(g); k++)
        free(c->r[k]);
    vsr_graph_free(&c->g);
}

static gc start(const char *name)
{
    gc c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(vsr_graph_create(name, &c.g, NULL), 0);
    return c;
}

static int conv(vsr_graph *g, const char *n, int x, int co, int kh, int kw, int s, int d,
                int groups, int bias, vsr_act_type act)
{
    vsr_conv_params p = vsr_conv_default(co, kh);
    p.kw = kw, p.stride = s, p.dilation = d, p.groups = groups, p.bias = bias;
    p.act.type = act;
    p.act.alpha = 0.2f;
    p.act.lo = -0.3f, p.act.hi = 0.4f;
    return vsr_graph_conv2d(g, n, x, &p, NULL);
}

static void test_conv_dense(void **st)
{
    (void)st;
    gc c = start("conv");
    int x = vsr_graph_input(c.g, "x", H, W, 3, NULL);
    int y = conv(c.g, "c", x, 4, 3, 3, 1, 1, 1, 1, VSR_ACT_NONE);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 1, 200);
}

static void test_conv_stride_relu(void **st)
{
    (void)st;
    gc c = start("conv_s2");
    int x = vsr_graph_input(c.g, "x", H, W, 2, NULL);
    int y = conv(c.g, "c", x, 3, 3, 3, 2, 1, 1, 1, VSR_ACT_RELU);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 2, 200);
}

static void test_conv_grouped_leaky(void **st)
{
    (void)st;
    gc c = start("conv_g");
    int x = vsr_graph_input(c.g, "x", H, W, 4, NULL);
    int y = conv(c.g, "c", x, 6, 3, 1, 1, 1, 2, 1, VSR_ACT_LEAKY_RELU);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 3, 200);
}

/* XLSR's G-block shape, scaled down: 3x3 in 4 groups of 2 inputs / 3 outputs, dilated,
 * ReLU, no bias on the second (every group's weights, bias and input gradients). */
static void test_conv_grouped4_3x3(void **st)
{
    (void)st;
    gc c = start("conv_g4");
    int x = vsr_graph_input(c.g, "x", H, W, 8, NULL);
    int y = conv(c.g, "a", x, 12, 3, 3, 1, 1, 4, 1, VSR_ACT_RELU);
    y = conv(c.g, "b", y, 8, 3, 3, 1, 2, 4, 0, VSR_ACT_NONE);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 16, 300);
}

static void test_conv_depthwise_dilated_sigmoid(void **st)
{
    (void)st;
    gc c = start("conv_dw");
    int x = vsr_graph_input(c.g, "x", H, W, 3, NULL);
    int y = conv(c.g, "c", x, 3, 3, 3, 1, 2, 3, 1, VSR_ACT_SIGMOID);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 4, 200);
}

static void test_conv_prelu_clip_nobias(void **st)
{
    (void)st;
    gc c = start("conv_pc");
    int x = vsr_graph_input(c.g, "x", H, W, 2, NULL);
    int y = conv(c.g, "a", x, 3, 1, 5, 1, 1, 1, 1, VSR_ACT_PRELU);
    y = conv(c.g, "b", y, 2, 3, 3, 1, 1, 1, 0, VSR_ACT_CLIP);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 5, 200);
}

static void test_activations(void **st)
{
    (void)st;
    gc c = start("acts");
    int x = vsr_graph_input(c.g, "x", H, W, 3, NULL);
    int a = vsr_graph_relu(c.g, "relu", x, NULL);
    int b = vsr_graph_leaky_relu(c.g, "leaky", x, 0.1f, NULL);
    int p1 = vsr_graph_prelu(c.g, "prelu_c", x, 0, NULL);
    int p2 = vsr_graph_prelu(c.g, "prelu_s", x, 1, NULL);
    int ge = vsr_graph_gelu(c.g, "gelu", x, NULL);
    int sg = vsr_graph_sigmoid(c.g, "sig", x, NULL);
    int cl = vsr_graph_clip(c.g, "clip", x, -0.5f, 0.7f, NULL);
    int all[7] = {a, b, p1, p2, ge, sg, cl};
    int y = vsr_graph_concat(c.g, "cat", 7, all, NULL);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 6, 400);
}

static void test_add_mul_broadcast_scale(void **st)
{
    (void)st;
    gc c = start("addmul");
    int x = vsr_graph_input(c.g, "x", H, W, 4, NULL);
    int one = conv(c.g, "one", x, 1, 1, 1, 1, 1, 1, 1, VSR_ACT_NONE);
    int vec = vsr_graph_global_avg_pool(c.g, "gap", x, NULL);
    int a = vsr_graph_add(c.g, "add", x, x, NULL);
    a = vsr_graph_add(c.g, "add1", a, one, NULL);
    a = vsr_graph_mul(c.g, "mulv", a, vec, NULL);
    int m = vsr_graph_mul(c.g, "mul", a, x, NULL);
    m = vsr_graph_mul(c.g, "mul1", m, one, NULL);
    m = vsr_graph_add(c.g, "addv", m, vec, NULL);
    m = vsr_graph_scale(c.g, "scale", m, -0.7f, 0.25f, NULL);
    vsr_graph_output(c.g, "y", m, NULL);
    check(&c, 7, 300);
}

static void test_movement(void **st)
{
    (void)st;
    gc c = start("move");
    int x = vsr_graph_input(c.g, "x", H, W, 4, NULL);
    int sl = vsr_graph_slice(c.g, "slice", x, 1, 3, NULL);
    int parts[2];
    int sizes[2] = {1, 3};
    assert_int_equal(vsr_graph_split(c.g, "split", x, 2, sizes, parts, NULL), 0);
    int cat[4] = {parts[1], sl, parts[0], sl};
    int y = vsr_graph_concat(c.g, "cat", 4, cat, NULL);
    y = vsr_graph_channel_shuffle(c.g, "shuf", y, 2, NULL);
    y = conv(c.g, "c", y, 8, 1, 1, 1, 1, 1, 1, VSR_ACT_NONE); /* weights make order matter */
    y = vsr_graph_depth_to_space(c.g, "d2s", y, 2, NULL);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 8, 300);
}

static void test_resize(void **st)
{
    (void)st;
    gc c = start("resize");
    int x = vsr_graph_input(c.g, "x", H, W, 2, NULL);
    int b4 = vsr_graph_resize_bilinear(c.g, "bil4", x, 4, NULL);
    int b3 = vsr_graph_resize_bilinear(c.g, "bil3", x, 3, NULL);
    int n2 = vsr_graph_resize_nearest(c.g, "near2", x, 2, NULL);
    vsr_graph_output(c.g, "b4", b4, NULL);
    vsr_graph_output(c.g, "b3", b3, NULL);
    vsr_graph_output(c.g, "n2", n2, NULL);
    check(&c, 9, 300);
}

static void test_norms_pools(void **st)
{
    (void)st;
    gc c = start("norms");
    int x = vsr_graph_input(c.g, "x", H, W, 5, NULL);
    int ln = vsr_graph_layer_norm(c.g, "ln", x, 1e-3f, NULL);
    int bn = vsr_graph_batch_norm(c.g, "bn", x, 1e-3f, NULL);
    int ap = vsr_graph_global_avg_pool(c.g, "gap", x, NULL);
    int sp = vsr_graph_global_std_pool(c.g, "gsp", x, NULL);
    int sm = vsr_graph_softmax(c.g, "softmax", x, NULL);
    vsr_graph_output(c.g, "ln", ln, NULL);
    vsr_graph_output(c.g, "bn", bn, NULL);
    vsr_graph_output(c.g, "gap", ap, NULL);
    vsr_graph_output(c.g, "gsp", sp, NULL);
    vsr_graph_output(c.g, "sm", sm, NULL);
    check(&c, 10, 300);
}

static void test_afa_matmuls(void **st)
{
    (void)st;
    gc c = start("afa");
    int x = vsr_graph_input(c.g, "x", H, W, 3, NULL);
    int k = conv(c.g, "k", x, 3, 3, 3, 1, 1, 1, 1, VSR_ACT_NONE);
    int q = conv(c.g, "q", x, 4, 3, 3, 1, 1, 1, 1, VSR_ACT_NONE);
    int v = conv(c.g, "v", x, 3, 3, 3, 1, 1, 1, 1, VSR_ACT_NONE);
    int s = vsr_graph_matmul_tn(c.g, "scores", k, q, 0.577f, NULL);
    s = vsr_graph_softmax(c.g, "sm", s, NULL);
    int y = vsr_graph_matmul_pixels(c.g, "apply", v, s, NULL);
    y = vsr_graph_add(c.g, "res", y, q, NULL);
    vsr_graph_output(c.g, "y", y, NULL);
    check(&c, 11, 300);
}

/* Whole zoo graphs (the final [0,255] clip is kept; inputs are in (-1.5, 1.5)). */
static void zoo(const char *name, int h, int w, uint64_t seed)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    assert_non_null(e);
    gc c;
    memset(&c, 0, sizeof(c));
    vsr_error err;
    if (vsr_models_build(&e->hp, e->name, h, w, &c.g, &err))
        fail_msg("%s", err.msg);
    check(&c, seed, 60);
}

static void test_zoo_elsr(void **st)
{
    (void)st;
    zoo("ELSR", 5, 4, 12);
}
static void test_zoo_mvsr13(void **st)
{
    (void)st;
    zoo("MVSR_13", 5, 4, 13);
}
static void test_zoo_xlsr(void **st)
{
    (void)st;
    zoo("XLSR_x2", 5, 4, 17);
}
static void test_zoo_abpn(void **st)
{
    (void)st;
    zoo("ABPN", 4, 4, 14);
}

/* Two recurrent steps: the state gradient crosses steps (link_state). */
static void test_state_bptt(void **st)
{
    (void)st;
    vsr_error err;
    vsr_graph *g = NULL;
    assert_int_equal(vsr_graph_create("rnn", &g, NULL), 0);
    int x = vsr_graph_input(g, "x", 4, 4, 2, NULL);
    int h = vsr_graph_input(g, "h", 4, 4, 3, NULL);
    int cat[2] = {x, h};
    int t = vsr_graph_concat(g, "cat", 2, cat, NULL);
    int ho = conv(g, "hc", t, 3, 3, 3, 1, 1, 1, 1, VSR_ACT_SIGMOID);
    int y = conv(g, "yc", ho, 2, 3, 3, 1, 1, 1, 1, VSR_ACT_NONE);
    vsr_graph_output(g, "y", y, NULL);
    vsr_graph_output(g, "h_out", ho, NULL);
    fill_weights(g, 21);
    vsr_train_net_options o = {.batch = 1, .steps = 2, .use_double = 1, .input_grads = 1};
    vsr_train_net *net = NULL;
    assert_int_equal(vsr_train_net_create(g, 4, 4, &o, &net, &err), 0);
    float x0[32], x1[32], h0[48] = {0}, hs[48];
    double r0[32], r1[32], yv[32];
    vsr_train_rng rng = vsr_train_rng_make(5, 0);
    for (int i = 0; i < 32; i++) {
        x0[i] = (float)vsr_train_rng_uniform(&rng), x1[i] = (float)vsr_train_rng_uniform(&rng);
        r0[i] = vsr_train_rng_uniform(&rng) - 0.5, r1[i] = vsr_train_rng_uniform(&rng) - 0.5;
    }
    double *P = vsr_train_net_params_double(net);
    size_t np = vsr_train_net_param_count(net);
#define RUN2(L)                                                                                \
    do {                                                                                       \
        const float *i0[2] = {x0, h0};                                                         \
        vsr_train_net_forward(net, 0, 0, i0, &err);                                            \
        vsr_train_net_output_f(net, 0, 0, 1, hs);                                              \
        const float *i1[2] = {x1, hs};                                                         \
        vsr_train_net_forward(net, 0, 1, i1, &err);                                            \
        L = 0;                                                                                 \
        vsr_train_net_output(net, 0, 0, 0, yv, NULL);                                          \
        for (int i = 0; i < 32; i++)                                                           \
            L += r0[i] * yv[i];                                                                \
        vsr_train_net_output(net, 0, 1, 0, yv, NULL);                                          \
        for (int i = 0; i < 32; i++)                                                           \
            L += r1[i] * yv[i];                                                                \
    } while (0)
    double L;
    vsr_train_net_zero_grad(net);
    RUN2(L);
    (void)L;
    vsr_train_net_add_output_grad(net, 0, 1, 0, r1);
    assert_int_equal(vsr_train_net_backward(net, 0, 1, &err), 0);
    vsr_train_net_add_output_grad(net, 0, 0, 0, r0);
    assert_int_equal(vsr_train_net_link_state(net, 0, 1, 1, 1), 0);
    assert_int_equal(vsr_train_net_backward(net, 0, 0, &err), 0);
    const double *ga = vsr_train_net_reduce(net);
    for (size_t i = 0; i < np; i++) {
        /* the state passes through float between steps: use a coarser eps and tolerance */
        const double e = 1e-3, v = P[i];
        double lp, lm;
        P[i] = v + e;
        RUN2(lp);
        P[i] = v - e;
        RUN2(lm);
        P[i] = v;
        double d = (lp - lm) / (2 * e);
        if (fabs(ga[i] - d) > 1e-4 + 1e-4 * fabs(d))
            fail_msg("bptt param %zu: analytic %.8g numerical %.8g", i, ga[i], d);
    }
#undef RUN2
    vsr_train_net_free(&net);
    vsr_graph_free(&g);
}

/* The net's FP32 forward equals the inference engine's FP32 run on zoo graphs
 * (random weights, 0..255 inputs): max |diff| <= 2e-3 * max |y| + 1e-3. */
static void engine_match(const char *name, int h, int w)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    assert_non_null(e);
    vsr_error err;
    vsr_graph *g = NULL;
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err))
        fail_msg("%s", err.msg);
    vsr_train_rng rng = vsr_train_rng_make(99, 1);
    assert_int_equal(
        vsr_train_init_weights(g, VSR_TRAIN_INIT_GLOROT_UNIFORM, 0.25f, &rng, &err), 0);
    int ni = vsr_graph_input_count(g);
    float *in[2] = {NULL, NULL};
    for (int k = 0; k < ni; k++) {
        int ih, iw, ic;
        vsr_graph_input_info(g, k, NULL, &ih, &iw, &ic, NULL);
        size_t n = (size_t)ih * iw * ic;
        in[k] = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            in[k][i] = (float)(255 * vsr_train_rng_uniform(&rng));
    }
    vsr_engine *eng = NULL;
    if (vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &eng, &err))
        fail_msg("%s", err.msg);
    for (int k = 0; k < ni; k++) {
        int ic;
        vsr_graph_input_info(g, k, NULL, NULL, NULL, &ic, NULL);
        assert_int_equal(vsr_engine_set_input(eng, k, in[k], h, w, ic, &err), 0);
    }
    assert_int_equal(vsr_engine_run(eng, &err), 0);
    vsr_train_net_options o = {.batch = 1, .steps = 1};
    vsr_train_net *net = NULL;
    assert_int_equal(vsr_train_net_create(g, h, w, &o, &net, &err), 0);
    assert_int_equal(vsr_train_net_forward(net, 0, 0, (const float *const *)in, &err), 0);
    for (int k = 0; k < vsr_graph_output_count(g); k++) {
        int oh, ow, oc;
        vsr_engine_output_shape(eng, k, &oh, &ow, &oc);
        size_t n = (size_t)oh * ow * oc, m;
        float *ye = malloc(n * sizeof(float));
        double *yn = malloc(n * sizeof(double));
        assert_int_equal(vsr_engine_get_output(eng, k, ye, n, &err), 0);
        vsr_train_net_output(net, 0, 0, k, yn, &m);
        assert_int_equal(m, n);
        double mx = 0, md = 0;
        for (size_t i = 0; i < n; i++) {
            mx = fmax(mx, fabs(ye[i]));
            md = fmax(md, fabs(ye[i] - yn[i]));
        }
        if (md > 2e-3 * mx + 1e-3)
            fail_msg("%s output %d: max diff %g (max |y| %g)", name, k, md, mx);
        free(ye), free(yn);
    }
    vsr_train_net_free(&net);
    vsr_engine_free(&eng);
    for (int k = 0; k < ni; k++)
        free(in[k]);
    vsr_graph_free(&g);
}

static void test_engine_match(void **st)
{
    (void)st;
    /* every zoo graph (bicubic has none) */
    int n_checked = 0;
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const vsr_models_entry *e = vsr_models_zoo_get(i);
        if (e->hp.family != VSR_MODELS_BICUBIC)
            engine_match(e->name, 9, 7), n_checked++;
    }
    print_message("net forward == engine FP32 on %d zoo graphs\n", n_checked);
    assert_true(n_checked >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_dense),
        cmocka_unit_test(test_conv_stride_relu),
        cmocka_unit_test(test_conv_grouped_leaky),
        cmocka_unit_test(test_conv_grouped4_3x3),
        cmocka_unit_test(test_conv_depthwise_dilated_sigmoid),
        cmocka_unit_test(test_conv_prelu_clip_nobias),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_add_mul_broadcast_scale),
        cmocka_unit_test(test_movement),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_norms_pools),
        cmocka_unit_test(test_afa_matmuls),
        cmocka_unit_test(test_zoo_elsr),
        cmocka_unit_test(test_zoo_mvsr13),
        cmocka_unit_test(test_zoo_abpn),
        cmocka_unit_test(test_zoo_xlsr),
        cmocka_unit_test(test_state_bptt),
        cmocka_unit_test(test_engine_match),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
