/*
 * vsr_models_open() and the family table: hyperparameter overrides are
 * validated against the family's options (one-line errors with "did you
 * mean"), an overridden architecture has the parameters the reference
 * count.py gives it, and a model assembled by vsr_models_open() (weights,
 * INT8 calibration over the temporal window, engine, step) produces the
 * same bytes as the same steps done by hand with the lower-level calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

static void test_overrides(void **state)
{
    (void)state;
    vsr_models_hparams hp = vsr_models_zoo_find("MVSR_13")->hp;
    vsr_error err = {0};
    const vsr_models_kv kv[] = {
        {"F", "24"}, {"B", "1"}, {"pfe_k", "[3, 5]"}, {"bn", "true"}, {"align", "AFA"}};
    assert_int_equal(vsr_models_hparams_apply(&hp, kv, 5, "t", &err), 0);
    assert_int_equal(hp.mvsr.F, 24);
    assert_int_equal(hp.mvsr.B, 1);
    assert_int_equal(hp.mvsr.pfe_n, 2);
    assert_int_equal(hp.mvsr.pfe_k[0], 3);
    assert_int_equal(hp.mvsr.pfe_k[1], 5);
    assert_int_equal(hp.mvsr.bn, 1);
    assert_int_equal(hp.mvsr.align, VSR_MVSR_ALIGN_AFA);
    vsr_graph *g = NULL;
    assert_int_equal(vsr_models_build(&hp, "t", 180, 320, &g, &err), 0);
    vsr_graph_stats s;
    assert_int_equal(vsr_graph_count(g, 180, 320, VSR_PREC_FP32, &s, &err), 0);
    /* count.py: mvsr(F=24, B=1, pfe_k=((3, 1), (5, 3))).totals()[0] */
    assert_int_equal(s.params_keras, 37729);
    vsr_graph_free(&g);

    const vsr_models_kv r[] = {{"ratio", "1/4"}, {"align", "none"}};
    hp = vsr_models_zoo_find("MVSR_13")->hp;
    assert_int_equal(vsr_models_hparams_apply(&hp, r, 2, "t", &err), 0);
    assert_int_equal(hp.mvsr.ratio_num, 1);
    assert_int_equal(hp.mvsr.ratio_den, 4);
    assert_int_equal(hp.mvsr.align, VSR_MVSR_ALIGN_NONE);
}

static void expect_error(const char *model, const char *key, const char *value,
                         const char *const *needles)
{
    vsr_models_hparams hp = vsr_models_zoo_find(model)->hp;
    vsr_error err = {0};
    const vsr_models_kv kv = {key, value};
    assert_int_equal(vsr_models_hparams_apply(&hp, &kv, 1, "M", &err), -EINVAL);
    for (int i = 0; needles[i]; i++)
        if (!strstr(err.msg, needles[i]))
            fail_msg("'%s' not in: %s", needles[i], err.msg);
    assert_null(strchr(err.msg, '\n'));
}

static void test_override_errors(void **state)
{
    (void)state;
    expect_error("MVSR_13", "mixx", "3",
                 (const char *const[]){"unknown hyperparameter 'mixx'", "did you mean 'mix'?",
                                       "fuse", NULL});
    /* options are per family: SWRN has no F */
    expect_error("SWRN", "F", "8",
                 (const char *const[]){"'F'", "SWRN", "channels blocks", NULL});
    expect_error("MVSR_13", "B", "0", (const char *const[]){"B", NULL});
    expect_error("MVSR_13", "ratio", "3", (const char *const[]){"ratio '3' is not a/b", NULL});
    expect_error("MVSR_13", "ratio", "1/3", (const char *const[]){"ratio 1/3", NULL});
    expect_error("MVSR_13", "align", "x", (const char *const[]){"stack9", NULL});
    expect_error("QuickSRNet_S", "ito", "2", (const char *const[]){"ito", NULL});
}

static void test_family_options(void **state)
{
    (void)state;
    const enum vsr_models_family fam[] = {
        VSR_MODELS_BICUBIC,   VSR_MODELS_SWRN, VSR_MODELS_ABPN,      VSR_MODELS_ELSR,
        VSR_MODELS_MOBILERRN, VSR_MODELS_MVSR, VSR_MODELS_QUICKSRNET};
    for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
        int n = 0;
        const vsr_models_option *o = vsr_models_family_options(fam[i], &n);
        assert_true(n >= 1);
        assert_string_equal(o[0].name, "scale");
        for (int k = 0; k < n; k++)
            assert_non_null(o[k].help);
    }
    int n = 0;
    assert_null(vsr_models_family_options((enum vsr_models_family)99, &n));
    assert_int_equal(n, 0);
    assert_string_equal(vsr_models_family_name(VSR_MODELS_QUICKSRNET), "QuickSRNet");
}

static void test_open_graph_and_bicubic(void **state)
{
    (void)state;
    vsr_error err = {0};
    const vsr_models_kv kv[] = {{"F", "8"}, {"B", "2"}};
    vsr_models_spec sp = {.model = "FANI",
                          .hparams = kv,
                          .n_hparams = 2,
                          .h = 32,
                          .w = 48,
                          .flags = VSR_MODELS_OPEN_NO_WEIGHTS | VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_instance *m = NULL;
    assert_int_equal(vsr_models_open(&sp, &m, &err), 0);
    assert_string_equal(m->arch.entry->name, "MVSR_13");
    assert_int_equal(m->arch.temporal, VSR_MODELS_T_WINDOW3);
    assert_int_equal(m->arch.in_channels, 9);
    assert_null(m->engine);
    vsr_graph_stats s;
    assert_int_equal(vsr_graph_count(m->graph, 32, 48, VSR_PREC_FP32, &s, &err), 0);
    /* the hand count of test_models_zoo's custom variant, = count.py mvsr(F=8, B=2) */
    assert_int_equal(s.params_keras, 11749);
    vsr_models_close(&m);
    assert_null(m);
    /* weights are required unless told otherwise: the error says how to get them */
    sp.flags = VSR_MODELS_OPEN_NO_ENGINE;
    assert_int_equal(vsr_models_open(&sp, &m, &err), -ENOENT);
    assert_null(m);
    assert_non_null(strstr(err.msg, "train"));
    /* bicubic: no graph, a bicubic step, fp32 only */
    vsr_models_spec bi = {.model = "bicubic", .h = 4, .w = 4};
    assert_int_equal(vsr_models_open(&bi, &m, &err), 0);
    assert_null(m->graph);
    assert_true(m->have_step && m->step_is_bicubic);
    vsr_models_close(&m);
    bi.precision = VSR_PREC_FP16;
    assert_int_equal(vsr_models_open(&bi, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "fp32"));
    vsr_models_close(&m); /* NULL-safe */
}

/* Four 12x10 frames of a moving gradient. */
static void frames(vsr_frame *lr, int n)
{
    vsr_error err = {0};
    for (int t = 0; t < n; t++) {
        assert_int_equal(vsr_frame_alloc(&lr[t], 12, 10, 3, &err), 0);
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 12; x++)
                for (int c = 0; c < 3; c++)
                    vsr_frame_row(&lr[t], y)[3 * x + c] =
                        (uint8_t)((x * 17 + y * 11 + c * 40 + t * 9) & 255);
    }
}

/* SR of the clip through @p step (interface of MVSR_13_2: window3). */
static void run(vsr_models_step *st, const vsr_frame *lr, int n, vsr_frame *sr)
{
    vsr_error err = {0};
    vsr_models_runner *r = NULL;
    assert_int_equal(vsr_models_runner_create(VSR_MODELS_T_WINDOW3, 4, st, &r, &err), 0);
    for (int t = 0; t < n; t++)
        assert_int_equal(vsr_frame_alloc(&sr[t], 48, 40, 3, &err), 0);
    assert_int_equal(vsr_models_run_clip(r, lr, n, sr, &err), 0);
    vsr_models_runner_free(&r);
}

/* open() = build + load + calibrate + engine + step done by hand, byte for byte. */
static void same_as_by_hand(vsr_precision prec)
{
    char path[4096];
    const char *src = getenv("VSR_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/models/weights/MVSR_13_2.vsrw", src ? src : "..");
    enum { N = 4 };
    vsr_frame lr[N], a[N], b[N];
    frames(lr, N);
    vsr_error err = {0};
    vsr_models_spec sp = {.model = "MVSR_13_2",
                          .weights = path,
                          .h = 10,
                          .w = 12,
                          .precision = prec,
                          .calib_method = "minmax",
                          .calib_frames = 3,
                          .calib_lr = lr,
                          .n_calib_lr = N};
    vsr_models_instance *m = NULL;
    if (vsr_models_open(&sp, &m, &err))
        fail_msg("open: %s", err.msg);
    assert_non_null(m->engine);
    run(&m->step, lr, N, a);

    const vsr_models_entry *e = vsr_models_zoo_find("MVSR_13_2");
    vsr_graph *g = NULL;
    vsr_engine *eng = NULL;
    vsr_models_step st = {0};
    assert_int_equal(vsr_models_build(&e->hp, e->name, 10, 12, &g, &err), 0);
    assert_int_equal(vsr_weights_load(g, path, &err), 0);
    if (prec == VSR_PREC_INT8)
        assert_int_equal(vsr_models_calibrate(g, NULL, e->temporal, e->in_channels,
                                              e->state_channels, e->name, "minmax", 3, lr, N,
                                              &err),
                         0);
    assert_int_equal(vsr_engine_create(g, prec, NULL, NULL, &eng, &err), 0);
    assert_int_equal(vsr_models_engine_step(eng, e->in_channels, e->state_channels, &st, &err),
                     0);
    run(&st, lr, N, b);
    for (int t = 0; t < N; t++) {
        assert_memory_equal(a[t].data, b[t].data, (size_t)a[t].stride * a[t].height);
        vsr_frame_free(&a[t]);
        vsr_frame_free(&b[t]);
        vsr_frame_free(&lr[t]);
    }
    vsr_models_engine_step_free(&st);
    vsr_engine_free(&eng);
    vsr_graph_free(&g);
    vsr_models_close(&m);
}

static void test_open_fp32_same_as_by_hand(void **state)
{
    (void)state;
    same_as_by_hand(VSR_PREC_FP32);
}

static void test_open_int8_same_as_by_hand(void **state)
{
    (void)state;
    same_as_by_hand(VSR_PREC_INT8);
}

/*
 * QuickSRNet's identity initialisation (MODEL_SPECS.md 2.4) on all-zero
 * weights: every conv then passes channels 0..2 through (x/255 after
 * conv_first, x after conv_last or the anchor), so the network is exactly
 * nearest-neighbour upsampling by 4 (DCR): SR(Y, X, c) = LR(Y/4, X/4, c),
 * to float rounding of x * (1/255) * 255 (< 1e-3 on 0..255). S uses the
 * conv_last repetition, L the anchor; SWRN has no identity init.
 */
static void identity_is_nearest(const char *model)
{
    vsr_error err = {0};
    vsr_models_spec sp = {.model = model,
                          .h = 5,
                          .w = 6,
                          .flags = VSR_MODELS_OPEN_NO_WEIGHTS | VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_instance *m = NULL;
    assert_int_equal(vsr_models_open(&sp, &m, &err), 0);
    vsr_graph *g = m->graph;
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        assert_int_equal(vsr_graph_weight_info(g, i, &wi), 0);
        float *z = calloc(wi.count ? wi.count : 1, sizeof(float));
        assert_int_equal(vsr_graph_set_weight(g, wi.name, z, wi.count, &err), 0);
        free(z);
    }
    assert_int_equal(vsr_models_identity_init(g, &m->arch.hp, &err), 0);
    float in[5 * 6 * 3], out[20 * 24 * 3];
    for (int k = 0; k < 5 * 6 * 3; k++)
        in[k] = (float)((k * 37 + 11) % 256);
    vsr_engine *eng = NULL;
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &eng, &err), 0);
    assert_int_equal(vsr_engine_set_input(eng, 0, in, 5, 6, 3, &err), 0);
    assert_int_equal(vsr_engine_run(eng, &err), 0);
    assert_int_equal(vsr_engine_get_output(eng, 0, out, 20 * 24 * 3, &err), 0);
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 24; x++)
            for (int c = 0; c < 3; c++) {
                float want = in[((y / 4) * 6 + x / 4) * 3 + c], got = out[(y * 24 + x) * 3 + c];
                if (fabsf(got - want) > 1e-3f)
                    fail_msg("%s (%d,%d,%d): %g, want %g", model, y, x, c, got, want);
            }
    vsr_engine_free(&eng);
    vsr_models_close(&m);
}

static void test_identity_init(void **state)
{
    (void)state;
    identity_is_nearest("QuickSRNet_S");
    identity_is_nearest("QuickSRNet_L");
    const vsr_models_entry *e = vsr_models_zoo_find("SWRN");
    vsr_error err = {0};
    assert_int_equal(vsr_models_identity_init(NULL, &e->hp, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "SWRN"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_override_errors),
        cmocka_unit_test(test_family_options),
        cmocka_unit_test(test_open_graph_and_bicubic),
        cmocka_unit_test(test_open_fp32_same_as_by_hand),
        cmocka_unit_test(test_open_int8_same_as_by_hand),
        cmocka_unit_test(test_identity_init),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
