/*
 * The trainer's x86 convolution kernels (train/x86/) against their scalar
 * twins: the same graph run forward and backward by a float net with the
 * kernels and by one with force_scalar must give identical bits in the
 * output, every weight gradient and the input gradient. Geometries cover
 * channel tails (3, 5, 17, 28, 33, 48), 64 and more than 64 channels (the
 * scalar fallback), 1x1 / 3x3 / 5x5 kernels, stride 2 and dilation 3, with
 * sizes that leave partial pixel blocks and edge-only rows, and grouped convs
 * (the dense kernels per group).
 */
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/train.h"

typedef struct geo {
    int h, w, c, co, k, s, d, bias;
    vsr_act_type act;
    int groups;
} geo;

static void fill(vsr_graph *g, float *in, size_t n, uint64_t seed)
{
    vsr_train_rng rng = vsr_train_rng_make(seed, 1);
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        assert_int_equal(vsr_graph_weight_info(g, i, &wi), 0);
        float *d = malloc(wi.count * sizeof(float));
        for (size_t k = 0; k < wi.count; k++)
            d[k] = (float)(vsr_train_rng_uniform(&rng) - 0.5);
        assert_int_equal(vsr_graph_set_weight(g, wi.name, d, wi.count, NULL), 0);
        free(d);
    }
    for (size_t i = 0; i < n; i++)
        in[i] = (float)(vsr_train_rng_uniform(&rng) * 2 - 1);
}

typedef struct result {
    float *y;
    double *gw, *gx;
    size_t ny, nw, nx;
} result;

static result run(const vsr_graph *g, const geo *q, const float *in, const double *r, size_t nr,
                  int force_scalar)
{
    vsr_error err;
    vsr_train_net_options o = {.batch = 1, .steps = 1, .input_grads = 1};
    o.force_scalar = force_scalar;
    vsr_train_net *net = NULL;
    assert_int_equal(vsr_train_net_create(g, q->h, q->w, &o, &net, &err), 0);
    vsr_train_net_zero_grad(net);
    const float *ins[1] = {in};
    assert_int_equal(vsr_train_net_forward(net, 0, 0, ins, &err), 0);
    result res;
    int oh, ow, oc;
    vsr_train_net_output_shape(net, 0, &oh, &ow, &oc);
    res.ny = (size_t)oh * ow * oc;
    assert_int_equal(res.ny, nr);
    res.y = malloc(res.ny * sizeof(float));
    assert_int_equal(vsr_train_net_output_f(net, 0, 0, 0, res.y), 0);
    assert_int_equal(vsr_train_net_add_output_grad(net, 0, 0, 0, r), 0);
    assert_int_equal(vsr_train_net_backward(net, 0, 0, &err), 0);
    res.nw = vsr_train_net_param_count(net);
    res.gw = malloc(res.nw * sizeof(double));
    memcpy(res.gw, vsr_train_net_reduce(net), res.nw * sizeof(double));
    res.nx = (size_t)q->h * q->w * q->c;
    res.gx = malloc(res.nx * sizeof(double));
    assert_int_equal(vsr_train_net_input_grad(net, 0, 0, 0, res.gx), 0);
    vsr_train_net_free(&net);
    return res;
}

static void same(const geo *q, const char *what, const void *a, const void *b, size_t n,
                 size_t es)
{
    if (memcmp(a, b, n * es) == 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (memcmp((const char *)a + i * es, (const char *)b + i * es, es))
            fail_msg("%dx%dx%d -> %d k%d s%d d%d g%d: %s[%zu] differs (kernel vs scalar)", q->h,
                     q->w, q->c, q->co, q->k, q->s, q->d, q->groups, what, i);
}

/* Two convs, so that the first one's output gradient (dX of the second) and
 * the graph input's gradient (dX of the first) both go through the kernels. */
static void check(const geo *q, uint64_t seed)
{
    vsr_graph *g = NULL;
    assert_int_equal(vsr_graph_create("tconv", &g, NULL), 0);
    int x = vsr_graph_input(g, "x", q->h, q->w, q->c, NULL);
    vsr_conv_params p = vsr_conv_default(q->co, q->k);
    p.stride = q->s, p.dilation = q->d, p.bias = q->bias;
    p.groups = q->groups;
    p.act.type = q->act;
    p.act.alpha = 0.2f;
    int y = vsr_graph_conv2d(g, "a", x, &p, NULL);
    vsr_conv_params p2 = vsr_conv_default(q->c, 3);
    y = vsr_graph_conv2d(g, "b", y, &p2, NULL);
    vsr_graph_output(g, "y", y, NULL);
    vsr_error err;
    assert_int_equal(vsr_graph_status(g, &err), 0);
    size_t nin = (size_t)q->h * q->w * q->c;
    float *in = malloc(nin * sizeof(float));
    fill(g, in, nin, seed);
    int oh, ow, oc;
    {
        vsr_train_net_options o = {.batch = 1, .steps = 1};
        vsr_train_net *net = NULL;
        assert_int_equal(vsr_train_net_create(g, q->h, q->w, &o, &net, &err), 0);
        vsr_train_net_output_shape(net, 0, &oh, &ow, &oc);
        vsr_train_net_free(&net);
    }
    size_t nr = (size_t)oh * ow * oc;
    double *r = malloc(nr * sizeof(double));
    vsr_train_rng rng = vsr_train_rng_make(seed, 2);
    for (size_t i = 0; i < nr; i++)
        r[i] = vsr_train_rng_uniform(&rng) * 2 - 1;
    result a = run(g, q, in, r, nr, 0), b = run(g, q, in, r, nr, 1);
    same(q, "output", a.y, b.y, a.ny, sizeof(float));
    assert_int_equal(a.nw, b.nw);
    same(q, "weight grad", a.gw, b.gw, a.nw, sizeof(double));
    same(q, "input grad", a.gx, b.gx, a.nx, sizeof(double));
    /* not vacuous: the gradients are there */
    double sw = 0, sx = 0;
    for (size_t i = 0; i < a.nw; i++)
        sw += a.gw[i] * a.gw[i];
    for (size_t i = 0; i < a.nx; i++)
        sx += a.gx[i] * a.gx[i];
    assert_true(sw > 0 && sx > 0);
    free(a.y), free(a.gw), free(a.gx), free(b.y), free(b.gw), free(b.gx);
    free(r), free(in);
    vsr_graph_free(&g);
}

static void test_conv_kernels_equal_scalar(void **st)
{
    (void)st;
    if (!(vsr_cpu_features() & VSR_ISA_AVX2)) {
        VSR_SKIP("this CPU has no AVX2, the trainer runs its scalar convs only");
    }
    static const geo cases[] = {
        {13, 11, 3, 28, 3, 1, 1, 1, VSR_ACT_NONE, 1}, /* a first layer */
        {13, 11, 28, 28, 3, 1, 1, 1, VSR_ACT_RELU, 1},
        {9, 14, 16, 48, 3, 1, 1, 0, VSR_ACT_NONE, 1},
        {12, 10, 8, 8, 5, 1, 3, 1, VSR_ACT_NONE, 1}, /* MVSR's dilated 5x5: mostly edges */
        {11, 13, 64, 5, 1, 1, 1, 1, VSR_ACT_PRELU, 1},
        {10, 9, 40, 64, 3, 2, 1, 1, VSR_ACT_NONE, 1}, /* stride 2: scalar dX */
        {7, 6, 1, 3, 3, 1, 1, 1, VSR_ACT_NONE, 1},
        {16, 17, 33, 17, 3, 1, 1, 1, VSR_ACT_LEAKY_RELU, 1},
        {8, 9, 65, 8, 3, 1, 1, 1, VSR_ACT_NONE, 1},  /* over 64 channels: scalar fallback */
        {3, 2, 24, 24, 5, 1, 1, 1, VSR_ACT_NONE, 1}, /* smaller than the kernel */
        /* grouped: the dense kernels one group at a time (train/conv.c) */
        {13, 11, 32, 32, 3, 1, 1, 1, VSR_ACT_RELU, 4}, /* XLSR's G-block conv */
        {9, 10, 12, 20, 3, 1, 2, 0, VSR_ACT_NONE, 4},  /* cig 3, cog 5, dilated, no bias */
        {10, 9, 8, 8, 3, 2, 1, 1, VSR_ACT_NONE, 2},    /* stride 2: the scalar twin */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(&cases[i], 100 + i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_kernels_equal_scalar),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
