/*
 * Training behaviour: a tiny net overfits one batch (loss / 10), Adam and
 * the schedules against hand-derived values, a rerun with the same seed
 * (and another thread count) gives identical weights, and an interrupted
 * run resumed from its checkpoint continues the exact loss curve.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo_harness.h"
#include "testutil.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"
#include "vsr/train.h"

/* Adam step 1 with bias correction moves every parameter by -lr*sign(g) (exactly,
 * up to eps); the cosine schedule hits lr, the midpoint and lr_min. */
static void test_adam_sched(void **st)
{
    (void)st;
    vsr_train_adam a;
    assert_int_equal(vsr_train_adam_init(&a, 3, 0.9, 0.999, 0.0, NULL), 0);
    float p[3] = {1.0f, -2.0f, 0.5f};
    double g[3] = {0.3, -7.0, 0.0};
    unsigned char mask[3] = {1, 1, 1};
    vsr_train_adam_step(&a, p, g, mask, 0.01);
    assert_float_equal(p[0], 0.99f, 1e-7);
    assert_float_equal(p[1], -1.99f, 1e-7);
    assert_true(isnan(p[2]) || p[2] == 0.5f); /* 0/0 with eps = 0: skip the check */
    /* second step, same gradient: m/c1 = g, v/c2 = g^2 again -> another -lr*sign */
    p[2] = 0.5f;
    a.m[2] = a.v[2] = 0;
    mask[2] = 0;
    vsr_train_adam_step(&a, p, g, mask, 0.01);
    assert_float_equal(p[0], 0.98f, 1e-6);
    assert_float_equal(p[2], 0.5f, 0);
    vsr_train_adam_free(&a);
    /* per-element factors: step 1 moves p by -lr * s_i * sign(g) */
    assert_int_equal(vsr_train_adam_init(&a, 3, 0.9, 0.999, 0.0, NULL), 0);
    const float sc[3] = {0.25f, 1.0f, 0.5f};
    float q[3] = {1.0f, -2.0f, 0.5f};
    double h[3] = {0.3, -7.0, 2.0};
    a.lr_scale = sc;
    vsr_train_adam_step(&a, q, h, NULL, 0.01);
    assert_float_equal(q[0], 0.9975f, 1e-7);
    assert_float_equal(q[1], -1.99f, 1e-7);
    assert_float_equal(q[2], 0.495f, 1e-7);
    vsr_train_adam_free(&a);
    vsr_train_sched s = {
        .kind = VSR_TRAIN_SCHED_COSINE, .lr = 1e-3, .lr_min = 1e-5, .total_steps = 100};
    assert_float_equal(vsr_train_sched_lr(&s, 0), 1e-3, 1e-15);
    assert_float_equal(vsr_train_sched_lr(&s, 50), 0.5 * (1e-3 + 1e-5), 1e-15);
    assert_float_equal(vsr_train_sched_lr(&s, 100), 1e-5, 1e-15);
    vsr_train_sched t = {
        .kind = VSR_TRAIN_SCHED_STEP, .lr = 1e-3, .step_size = 10, .gamma = 0.5};
    assert_float_equal(vsr_train_sched_lr(&t, 9), 1e-3, 1e-15);
    assert_float_equal(vsr_train_sched_lr(&t, 25), 2.5e-4, 1e-15);
    /* losses on hand values: y - t = 51 -> d = 0.2 */
    double y[2] = {51.0, 0.0}, gr[2] = {0, 0};
    float tt[2] = {0.0f, 0.0f};
    assert_float_equal(vsr_train_loss_eval(VSR_TRAIN_LOSS_L1, y, tt, 2, gr, 1.0), 0.2, 1e-12);
    assert_float_equal(gr[0], 1.0 / 255, 1e-15);
    assert_float_equal(vsr_train_loss_eval(VSR_TRAIN_LOSS_L2, y, tt, 2, NULL, 1.0), 0.04,
                       1e-12);
    assert_float_equal(vsr_train_loss_eval(VSR_TRAIN_LOSS_CHARBONNIER, y, tt, 2, NULL, 1.0),
                       sqrt(0.04 + 1e-6) + 1e-3, 1e-12);
}

/* Init: glorot bounds from the Keras fans; bias 0, PReLU slope as asked. */
static void test_init(void **st)
{
    (void)st;
    vsr_graph *g = NULL;
    assert_int_equal(vsr_graph_create("i", &g, NULL), 0);
    int x = vsr_graph_input(g, "x", 4, 4, 3, NULL);
    vsr_conv_params p = vsr_conv_default(5, 3);
    p.act.type = VSR_ACT_PRELU;
    vsr_graph_conv2d(g, "c", x, &p, NULL);
    vsr_train_rng r = vsr_train_rng_make(1, 1);
    assert_int_equal(vsr_train_init_weights(g, VSR_TRAIN_INIT_GLOROT_UNIFORM, 0.25f, &r, NULL),
                     0);
    const float *d;
    size_t n;
    assert_int_equal(vsr_graph_get_weight(g, "c.weight", &d, &n, NULL), 0);
    double lim = sqrt(6.0 / (9 * 3 + 9 * 5)), mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(d[i]));
    assert_true(mx <= lim && mx > 0.8 * lim);
    assert_int_equal(vsr_graph_get_weight(g, "c.bias", &d, &n, NULL), 0);
    assert_float_equal(d[0], 0.0f, 0);
    assert_int_equal(vsr_graph_get_weight(g, "c.alpha", &d, &n, NULL), 0);
    assert_float_equal(d[4], 0.25f, 0);
    vsr_graph_free(&g);
}

/*
 * The learning-rate factors on QuickSRNet_L x2 (conv_first, 1 body conv,
 * conv_last, anchor; models/quicksrnet.c): conv_first reads the input
 * (kernel x in), conv_last and the anchor reach the output through add,
 * clip and depth-to-space (kernel and bias x out), the anchor also reads the
 * input (kernel x in x out); the body conv feeds conv_last, another conv,
 * where the walk back from the output stops, so 1. torch init:
 * |w| <= 1/sqrt(fan_in), fan_in = 9 * 3 for conv_first.
 */
static void test_lr_factors_and_torch_init(void **st)
{
    (void)st;
    vsr_error err = {0};
    const vsr_models_kv kv[] = {{"blocks", "1"}, {"scale", "2"}};
    vsr_models_spec sp = {.model = "QuickSRNet_L",
                          .hparams = kv,
                          .n_hparams = 2,
                          .h = 4,
                          .w = 4,
                          .flags = VSR_MODELS_OPEN_NO_WEIGHTS | VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_instance *m = NULL;
    assert_int_equal(vsr_models_open(&sp, &m, &err), 0);
    vsr_graph *g = m->graph;
    vsr_train_rng r = vsr_train_rng_make(1, 1);
    assert_int_equal(vsr_train_init_weights(g, VSR_TRAIN_INIT_TORCH, 0.25f, &r, NULL), 0);
    const float *d;
    size_t n, np = 0;
    assert_int_equal(vsr_graph_get_weight(g, "conv_first.weight", &d, &n, NULL), 0);
    double lim = 1.0 / sqrt(27.0), mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(d[i]));
    assert_true(mx <= lim && mx > 0.8 * lim);
    struct {
        const char *name;
        float f;
    } want[] = {{"conv_first.weight", 0.5f}, {"conv_first.bias", 1},  {"conv_body_0.weight", 1},
                {"conv_body_0.bias", 1},     {"conv_last.weight", 8}, {"conv_last.bias", 8},
                {"anchor.weight", 4},        {"anchor.bias", 8}};
    int nw = vsr_graph_weight_count(g);
    assert_int_equal(nw, 8);
    for (int i = 0; i < nw; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        np += wi.count;
    }
    float *f = vsr_train_lr_factors(g, np, 0.5f, 8.0f);
    assert_non_null(f);
    size_t off = 0;
    for (int i = 0; i < nw; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        assert_string_equal(wi.name, want[i].name);
        for (size_t e = 0; e < wi.count; e++)
            if (f[off + e] != want[i].f)
                fail_msg("%s[%zu]: factor %g, want %g", wi.name, e, f[off + e], want[i].f);
        off += wi.count;
    }
    free(f);
    vsr_models_close(&m);
}

/* A tiny x2 net learns one fixed batch: the L2 loss drops at least 10x. */
static void test_overfit(void **st)
{
    (void)st;
    vsr_error err;
    vsr_graph *g = NULL;
    assert_int_equal(vsr_graph_create("tiny", &g, NULL), 0);
    int x = vsr_graph_input(g, "x", 6, 6, 3, NULL);
    vsr_conv_params p = vsr_conv_default(8, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, NULL);
    p = vsr_conv_default(12, 3);
    t = vsr_graph_conv2d(g, "c2", t, &p, NULL);
    t = vsr_graph_depth_to_space(g, "d2s", t, 2, NULL);
    vsr_graph_output(g, "y", t, NULL);
    vsr_train_rng r = vsr_train_rng_make(3, 1);
    assert_int_equal(vsr_train_init_weights(g, VSR_TRAIN_INIT_HE_UNIFORM, 0.25f, &r, NULL), 0);
    enum { B = 2 };
    vsr_train_net_options o = {.batch = B, .steps = 1};
    vsr_train_net *net = NULL;
    assert_int_equal(vsr_train_net_create(g, 6, 6, &o, &net, &err), 0);
    float in[B][108], tg[B][432];
    for (int b = 0; b < B; b++) { /* smooth targets, inputs their 2x2 means */
        for (int Y = 0; Y < 12; Y++)
            for (int X = 0; X < 12; X++)
                for (int c = 0; c < 3; c++)
                    tg[b][(Y * 12 + X) * 3 + c] =
                        (float)(128 + 100 * sin(0.3 * Y + 0.5 * X + c + b));
        for (int y = 0; y < 6; y++)
            for (int xx = 0; xx < 6; xx++)
                for (int c = 0; c < 3; c++)
                    in[b][(y * 6 + xx) * 3 + c] =
                        0.25f * (tg[b][((2 * y) * 12 + 2 * xx) * 3 + c] +
                                 tg[b][((2 * y) * 12 + 2 * xx + 1) * 3 + c] +
                                 tg[b][((2 * y + 1) * 12 + 2 * xx) * 3 + c] +
                                 tg[b][((2 * y + 1) * 12 + 2 * xx + 1) * 3 + c]);
    }
    vsr_train_adam a;
    size_t np = vsr_train_net_param_count(net);
    assert_int_equal(vsr_train_adam_init(&a, np, 0.9, 0.999, 1e-8, NULL), 0);
    double first = 0, last = 0, yb[432], gb[432];
    for (int it = 0; it < 400; it++) {
        double L = 0;
        vsr_train_net_zero_grad(net);
        for (int b = 0; b < B; b++) {
            const float *ins[1] = {in[b]};
            assert_int_equal(vsr_train_net_forward(net, b, 0, ins, &err), 0);
            vsr_train_net_output(net, b, 0, 0, yb, NULL);
            memset(gb, 0, sizeof(gb));
            L += vsr_train_loss_eval(VSR_TRAIN_LOSS_L2, yb, tg[b], 432, gb, 1.0 / (B * 432));
            vsr_train_net_add_output_grad(net, b, 0, 0, gb);
            assert_int_equal(vsr_train_net_backward(net, b, 0, &err), 0);
        }
        L /= B * 432;
        if (it == 0)
            first = L;
        last = L;
        vsr_train_adam_step(&a, vsr_train_net_params(net), vsr_train_net_reduce(net), NULL,
                            3e-3);
    }
    print_message("overfit: L2 %.5f -> %.6f\n", first, last);
    assert_true(last < first / 10);
    vsr_train_adam_free(&a);
    vsr_train_net_free(&net);
    vsr_graph_free(&g);
}

/* ---- end-to-end runs on the demo training set -------------------------- */

typedef vsr_test_train_env env;

static void write_cfg(const env *e, const char *name, const char *extra, char *path, size_t cap)
{
    char tail[512];
    snprintf(tail, sizeof(tail), "val: {every: 100, frames: 2}\n%s", extra);
    vsr_test_train_write_cfg(e, name, tail, path, cap);
}

static int run(const env *e, const char *name, const char *extra, int threads, int resume,
               int stop_after)
{
    char path[512];
    write_cfg(e, name, extra, path, sizeof(path));
    vsr_train_config c;
    vsr_error err;
    if (vsr_train_config_load(path, NULL, 0, &c, &err))
        fail_msg("%s", err.msg);
    pthreadpool_t pool = threads > 1 ? pthreadpool_create((size_t)threads) : NULL;
    vsr_train_hooks hk = {.stop_after = stop_after};
    int rc = vsr_train_run(&c, resume, pool, &hk, &err);
    if (rc)
        print_message("%s\n", err.msg);
    if (pool)
        pthreadpool_destroy(pool);
    vsr_train_config_free(&c);
    return rc;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x), free(y);
}

/* Weights as floats (the files also hold wall time, which differs). */
static void same_weights(const char *a, const char *b)
{
    vsr_weights *wa = NULL, *wb = NULL;
    assert_int_equal(vsr_weights_open(a, &wa, NULL), 0);
    assert_int_equal(vsr_weights_open(b, &wb, NULL), 0);
    int n = vsr_weights_tensor_count(wa);
    assert_int_equal(n, vsr_weights_tensor_count(wb));
    for (int i = 0; i < n; i++) {
        const char *na, *nb;
        int da, db, ka[4], kb[4];
        const float *pa, *pb;
        vsr_weights_tensor_at(wa, i, &na, &da, ka, &pa);
        vsr_weights_tensor_at(wb, i, &nb, &db, kb, &pb);
        assert_string_equal(na, nb);
        size_t cnt = 1;
        for (int k = 0; k < da; k++)
            cnt *= (size_t)ka[k];
        assert_memory_equal(pa, pb, cnt * sizeof(float));
    }
    vsr_weights_free(&wa);
    vsr_weights_free(&wb);
}

/* runs r1 and r2 (in e->tmp) wrote the same loss.tsv and the same weights <run>.vsrw */
static void same_runs(const env *e, const char *r1, const char *r2)
{
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/%s/%s.vsrw", e->tmp, r1, r1);
    snprintf(b, sizeof(b), "%s/%s/%s.vsrw", e->tmp, r2, r2);
    same_weights(a, b);
    snprintf(a, sizeof(a), "%s/%s/loss.tsv", e->tmp, r1);
    snprintf(b, sizeof(b), "%s/%s/loss.tsv", e->tmp, r2);
    same_file(a, b);
}

static void test_deterministic(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    assert_int_equal(run(e, "det1", "seed: 7\n", 1, 0, 0), 0);
    assert_int_equal(run(e, "det2", "seed: 7\n", 2, 0, 0), 0);
    same_runs(e, "det1", "det2");
    /* a different seed gives different weights */
    assert_int_equal(run(e, "det3", "seed: 8\n", 1, 0, 0), 0);
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/det1/det1.vsrw", e->tmp);
    snprintf(b, sizeof(b), "%s/det3/det3.vsrw", e->tmp);
    vsr_weights *wa = NULL, *wb = NULL;
    assert_int_equal(vsr_weights_open(a, &wa, NULL), 0);
    assert_int_equal(vsr_weights_open(b, &wb, NULL), 0);
    const char *na;
    int nd, dims[4];
    const float *pa, *pb;
    vsr_weights_tensor_at(wa, 0, &na, &nd, dims, &pa);
    vsr_weights_tensor_at(wb, 0, &na, &nd, dims, &pb);
    assert_true(memcmp(pa, pb, sizeof(float) * (size_t)dims[0] * dims[1] * dims[2] * dims[3]));
    vsr_weights_free(&wa);
    vsr_weights_free(&wb);
}

static void test_resume(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    assert_int_equal(run(e, "full", "", 2, 0, 0), 0);
    /* interrupted after 3 steps (checkpoint written), then resumed to the end */
    assert_int_equal(run(e, "part", "", 2, 0, 3), 0);
    char b[512];
    snprintf(b, sizeof(b), "%s/part/loss.tsv", e->tmp);
    size_t n;
    char *t = slurp(b, &n);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += t[i] == '\n';
    free(t);
    assert_int_equal(lines, 1 + 3);
    assert_int_equal(run(e, "part", "", 1, 1, 0), 0);
    same_runs(e, "full", "part");
}

/* Config: defaults, overrides, and errors that name the key and line. */
static void test_config(void **st)
{
    env *e = *st;
    char path[512];
    snprintf(path, sizeof(path), "%s/cfg.yaml", e->tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "name: c\nmodel: ELSR\nsteps: 50\noptimizer: {lr: 1.0e-3}\n"
               "schedule: {type: step, step_size: 10, gamma: 0.1}\n");
    fclose(f);
    vsr_train_config c;
    vsr_error err;
    const char *sets[] = {"batch=4", "optimizer.beta2=0.99"};
    assert_int_equal(vsr_train_config_load(path, sets, 2, &c, &err), 0);
    assert_int_equal(c.steps, 50);
    assert_int_equal(c.batch, 4);
    assert_int_equal(c.patch, 32);
    assert_float_equal(c.sched.lr, 1e-3, 0);
    assert_float_equal(c.beta2, 0.99, 0);
    assert_int_equal(c.sched.kind, VSR_TRAIN_SCHED_STEP);
    assert_int_equal(c.loss, VSR_TRAIN_LOSS_L1);
    assert_string_equal(c.out_dir, "runs/c");
    vsr_train_config_free(&c);
    const char *bad[] = {"stepz=3"};
    assert_int_equal(vsr_train_config_load(path, bad, 1, &c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "--set stepz: unknown key"));
    const char *bad2[] = {"batch=0"};
    assert_int_equal(vsr_train_config_load(path, bad2, 1, &c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "batch"));
    f = fopen(path, "w");
    fprintf(f, "name: c\nmodel: ELSR\nloss: huber\n");
    fclose(f);
    assert_int_equal(vsr_train_config_load(path, NULL, 0, &c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "huber"));
    f = fopen(path, "w");
    fprintf(f, "name: c\nmodel: ELSR\n\npatch: [1, 2]\n");
    fclose(f);
    assert_int_equal(vsr_train_config_load(path, NULL, 0, &c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "patch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_sched),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_lr_factors_and_torch_init),
        cmocka_unit_test(test_overfit),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_resume),
    };
    return VSR_RUN_TESTS(tests, vsr_test_train_setup, vsr_test_tmp_free);
}
