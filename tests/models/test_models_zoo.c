/*
 * Zoo: registry contents, engine counts equal to count.py for every
 * variant, QuickSRNet's graph semantics on hand-set weights, temporal feeding order on a
 * synthetic clip, refusal without weights.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zoo_harness.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/*
 * Expected counts at 180x320, computed once with the reference script:
 *   cd ../shared/reference && python3 -c 'import count as c; ...'
 * i.e. for each name g = count.swrn() / swrn(block_num=2) / abpn() /
 * abpn(scale=3) / elsr(prelu=1) / mvsr(**kw) for the MVSR and STANDINS rows,
 * params_keras, params_deployed = params_keras - (BatchNorm rows' params),
 * macs = g.totals()[1].
 * ELSR uses elsr(prelu=1): the engine's PReLU has one shared slope, which the
 * log's 3,468 (prelu=0) leaves out.
 * MobileRRN is not in count.py: params = (6+C)*9C + C + 10*(9C^2 + C) +
 * (9*48C + 48) + (9C^2 + C), which equals the TFLite files' constant
 * elements (35,679 / 126,591 / 474,303) minus the 15 non-weight constants
 * (3 slice vectors of 4, the resize size, the clip bound); MACs = weights
 * (params - biases) * 57,600.
 */
static const struct {
    const char *name;
    long long params_keras, params, macs;
} expected[] = {
    {"SWRN", 43472, 43472, 2488320000LL},
    {"SWRN_1", 36512, 36512, 2090188800LL},
    {"ABPN", 62048, 62048, 3560371200LL},
    {"ABPN_x3", 42539, 42539, 2439072000LL},
    {"ELSR", 3469, 3469, 195955200LL},
    {"MobileRRN_16", 35664, 35664, 2040422400LL},
    {"MobileRRN_32", 126576, 126576, 7265894400LL},
    {"MobileRRN_64", 474288, 474288, 27271987200LL},
    {"MVSR_13", 68157, 66621, 3771475200LL},
    {"MVSR_13_1", 62541, 61005, 3442464000LL},
    {"MVSR_13_2", 37517, 35981, 2013062400LL},
    {"MVSR_13_3", 29829, 28293, 1573459200LL},
    {"MVSR_13_4", 119149, 117613, 6702163200LL},
    {"MVSR_13_5", 152277, 150741, 8607110400LL},
    {"MVSR_13_6", 50293, 48757, 2745734400LL},
    {"MVSR_13_7", 91109, 89573, 5090284800LL},
    {"MVSR_14", 68272, 66736, 3776716800LL},
    {"MVSR_15", 52965, 51813, 2934662400LL},
    {"MVSR_16", 920381, 918845, 52873401600LL},
    {"MVSR_17", 47101, 45565, 2562336000LL},
    {"MVSR_18", 47325, 45789, 2576160000LL},
    {"MVSR_19", 60861, 59709, 3388089600LL},
    {"MVSR_20", 251613, 250077, 14344070400LL},
    {"MVSR_21", 920128, 918592, 52858368000LL},
    {"MVSR_21_1", 920992, 919456, 52908134400LL},
    {"MVSR_22", 251837, 250301, 14357894400LL},
    {"MVSR_23", 32541, 31005, 1719993600LL},
    {"MVSR_24", 186141, 184605, 10569196800LL},
    {"MVSR_24_revalid", 190493, 188957, 10805126400LL},
    {"MVSR_25", 68381, 66845, 3785299200LL},
    {"MVSR_26", 251613, 250077, 14344070400LL},
    {"MVSR_27", 63805, 62269, 3535545600LL},
    {"MVSR_12", 68169, 66633, 3771993600LL},
    {"MVSR_11", 32553, 31017, 1720512000LL},
    {"MVSR_10", 27081, 25929, 1440806400LL},
    {"SWAT_3", 25713, 24561, 1362528000LL},
    {"SORT_0", 17685, 17493, 992851200LL},
    {"SORT_2", 45697, 45313, 2580307200LL},
    {"VSR_12", 57917, 57533, 3284870400LL},
    /* docs/MODEL_SPECS.md 2.4 (not in count.py): the spec's params; MACs =
     * (params - biases) * 57,600, see test_models_counts.c */
    {"QuickSRNet_S", 33264, 33264, 1907712000LL},
    {"QuickSRNet_M", 61008, 61008, 3500236800LL},
    {"QuickSRNet_L", 435888, 435888, 25057382400LL},
    {"QuickSRNet_S_x2", 22860, 22860, 1310515200LL},
    {"QuickSRNet_M_x2", 50604, 50604, 2903040000LL},
    {"QuickSRNet_L_x2", 414972, 414972, 23856768000LL},
    {"QuickSRNet_S_x3", 27195, 27195, 1559347200LL},
    {"QuickSRNet_M_x3", 54939, 54939, 3151872000LL},
    {"QuickSRNet_L_x3", 423687, 423687, 24357024000LL},
    /* docs/MODEL_SPECS.md 2.5: count.py's conv counter, see test_models_counts.c */
    {"XLSR", 28016, 28016, 1593446400LL},
    {"XLSR_x2", 17612, 17612, 996249600LL},
    {"XLSR_x3", 21947, 21947, 1245081600LL},
};
#define N_EXPECTED (int)(sizeof(expected) / sizeof(expected[0]))

static void test_registry(void **state)
{
    (void)state;
    /* every graph model of the zoo has an expected row, and vice versa */
    int graphs = 0;
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const vsr_models_entry *e = vsr_models_zoo_get(i);
        if (e->hp.family == VSR_MODELS_BICUBIC)
            continue;
        graphs++;
        int found = 0;
        for (int k = 0; k < N_EXPECTED; k++)
            found |= !strcmp(expected[k].name, e->name);
        if (!found)
            print_message("no expected counts for %s\n", e->name);
        assert_true(found);
    }
    assert_int_equal(graphs, N_EXPECTED);
    assert_non_null(vsr_models_zoo_find("bicubic"));
    assert_ptr_equal(vsr_models_zoo_find("fani"), vsr_models_zoo_find("MVSR_13"));
    assert_ptr_equal(vsr_models_zoo_find("swrn_0"), vsr_models_zoo_find("SWRN"));
    assert_null(vsr_models_zoo_find("MVSR_99"));
    const vsr_models_entry *e = vsr_models_zoo_find("SWRN");
    assert_int_equal(e->temporal, VSR_MODELS_T_WINDOW3_STATE);
    assert_int_equal(e->in_channels, 9);
    assert_int_equal(e->state_channels, 32);
    e = vsr_models_zoo_find("MVSR_21");
    assert_int_equal(e->temporal, VSR_MODELS_T_WINDOW3);
    assert_int_equal(e->hp.mvsr.align, VSR_MVSR_ALIGN_NONE);
    assert_true(vsr_models_zoo_find("SORT_0")->standin);
    /* bad hyperparameters name the field */
    vsr_models_hparams hp = vsr_models_zoo_find("MVSR_13")->hp;
    vsr_error err = {0};
    hp.mvsr.ratio_num = 1;
    hp.mvsr.ratio_den = 3;
    assert_int_equal(vsr_models_hparams_check(&hp, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "ratio"));
    hp = vsr_models_zoo_find("MVSR_13")->hp;
    hp.mvsr.pfe_k[0] = 4;
    assert_int_equal(vsr_models_hparams_check(&hp, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "pfe_k"));
}

static void test_counts_equal_count_py(void **state)
{
    (void)state;
    for (int k = 0; k < N_EXPECTED; k++) {
        const vsr_models_entry *e = vsr_models_zoo_find(expected[k].name);
        assert_non_null(e);
        vsr_graph *g = NULL;
        vsr_error err = {0};
        int rc = vsr_models_build(&e->hp, e->name, 180, 320, &g, &err);
        if (rc)
            print_message("%s: %s\n", e->name, err.msg);
        assert_int_equal(rc, 0);
        vsr_graph_stats s;
        rc = vsr_graph_count(g, 180, 320, VSR_PREC_FP32, &s, &err);
        if (rc)
            print_message("%s: %s\n", e->name, err.msg);
        assert_int_equal(rc, 0);
        if (s.params_keras != expected[k].params_keras || s.params != expected[k].params ||
            s.macs != expected[k].macs)
            print_message("%s: keras %lld deployed %lld macs %lld, count.py %lld %lld %lld\n",
                          e->name, (long long)s.params_keras, (long long)s.params,
                          (long long)s.macs, expected[k].params_keras, expected[k].params,
                          expected[k].macs);
        assert_int_equal(s.params_keras, expected[k].params_keras);
        assert_int_equal(s.params, expected[k].params);
        assert_int_equal(s.macs, expected[k].macs);
        vsr_graph_free(&g);
    }
}

/* A config can build a new MVSR variant from hyperparameters alone. */
static void test_custom_variant(void **state)
{
    (void)state;
    vsr_models_hparams hp = {.family = VSR_MODELS_MVSR, .scale = 4};
    vsr_models_mvsr_defaults(&hp.mvsr);
    hp.mvsr.B = 2;
    hp.mvsr.F = 8;
    /* hand count: F=8, d=4, B=2. AFA 253; BSConv 3*8+8 + 8*9+8 = 112;
     * PFE = fc 72 + 2*(16*25+4) + up 8*16+16 + BN 64 + down 16*8+8 = 1224;
     * refine 4*(8*2+2) = 72; PPA = 72 + 16*9+4 = 220; block = 3*1224+72+220 = 3964;
     * tail 8*48*9 = 3456. Total 253 + 112 + 2*3964 + 3456 = 11749. */
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_models_build(&hp, "custom", 32, 48, &g, &err), 0);
    vsr_graph_stats s;
    assert_int_equal(vsr_graph_count(g, 32, 48, VSR_PREC_FP32, &s, &err), 0);
    assert_int_equal(s.params_keras, 11749);
    assert_int_equal(s.params, 11749 - 6 * 64);
    vsr_graph_free(&g);
}

/* ---- temporal feeding ----------------------------------------------------- */

typedef struct rec {
    int calls, resets;
    int seen[64][3];
    int n[64];
    int prev_val[64];
} rec;

/* Frames carry their index in every pixel; SR(t) is filled with 100 + t. */
static int rec_run(void *ctx, const vsr_frame *const *fr, int n, const vsr_frame *prev,
                   vsr_frame *sr, vsr_error *err)
{
    (void)err;
    rec *r = ctx;
    for (int i = 0; i < n; i++)
        r->seen[r->calls][i] = fr[i]->data[0];
    r->n[r->calls] = n;
    r->prev_val[r->calls] = prev ? prev->data[0] : -1;
    memset(sr->data, 100 + fr[n == 3 ? 1 : n - 1]->data[0], (size_t)sr->stride * sr->height);
    r->calls++;
    return 0;
}

static void rec_reset(void *ctx)
{
    ((rec *)ctx)->resets++;
}

static void run_synthetic(enum vsr_models_temporal tp, int T, rec *r, vsr_frame *sr)
{
    vsr_frame lr[8];
    vsr_error err = {0};
    for (int t = 0; t < T; t++) {
        assert_int_equal(vsr_frame_alloc(&lr[t], 4, 3, 3, &err), 0);
        memset(lr[t].data, t, (size_t)lr[t].stride * lr[t].height);
    }
    vsr_models_step st = {r, rec_run, rec_reset};
    vsr_models_runner *run = NULL;
    assert_int_equal(vsr_models_runner_create(tp, 2, &st, &run, &err), 0);
    for (int t = 0; t < T; t++)
        assert_int_equal(vsr_frame_alloc(&sr[t], 8, 6, 3, &err), 0);
    assert_int_equal(vsr_models_run_clip(run, lr, T, sr, &err), 0);
    /* a second clip through the same runner resets the state again */
    assert_int_equal(vsr_models_run_clip(run, lr, 2, sr, &err), 0);
    vsr_models_runner_free(&run);
    for (int t = 0; t < T; t++)
        vsr_frame_free(&lr[t]);
}

static void test_feeding_order(void **state)
{
    (void)state;
    const int T = 5;
    vsr_frame sr[8];
    /* window3 with edge replication: [0,0,1] [0,1,2] [1,2,3] [2,3,4] [3,4,4] */
    rec r = {0};
    run_synthetic(VSR_MODELS_T_WINDOW3_STATE, T, &r, sr);
    static const int want[5][3] = {{0, 0, 1}, {0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 4}};
    for (int t = 0; t < T; t++) {
        assert_int_equal(r.n[t], 3);
        for (int i = 0; i < 3; i++)
            assert_int_equal(r.seen[t][i], want[t][i]);
        assert_int_equal(r.prev_val[t], -1);
    }
    /* second clip of 2 frames: [0,0,1] [0,1,1] */
    assert_int_equal(r.calls, T + 2);
    assert_int_equal(r.seen[T][0], 0);
    assert_int_equal(r.seen[T][2], 1);
    assert_int_equal(r.seen[T + 1][1], 1);
    assert_int_equal(r.seen[T + 1][2], 1);
    assert_int_equal(r.resets, 2);
    for (int t = 0; t < T; t++)
        vsr_frame_free(&sr[t]);

    /* causal pair: [0,0] [0,1] [1,2] ... */
    rec p = {0};
    run_synthetic(VSR_MODELS_T_PAIR_STATE, T, &p, sr);
    for (int t = 0; t < T; t++) {
        assert_int_equal(p.n[t], 2);
        assert_int_equal(p.seen[t][0], t > 0 ? t - 1 : 0);
        assert_int_equal(p.seen[t][1], t);
    }
    /* SR(t) went to sr[t]: frame 3 of the first clip is 100 + 3 */
    assert_int_equal(sr[3].data[0], 103);
    for (int t = 0; t < T; t++)
        vsr_frame_free(&sr[t]);

    /* previous-HR: SR(t-1) is fed back; at t = 0 the bilinear of x(0) (= 0 here) */
    rec h = {0};
    run_synthetic(VSR_MODELS_T_PREV_HR, T, &h, sr);
    assert_int_equal(h.prev_val[0], 0);
    for (int t = 1; t < T; t++) {
        assert_int_equal(h.n[t], 1);
        assert_int_equal(h.seen[t][0], t);
        assert_int_equal(h.prev_val[t], 100 + t - 1);
    }
    assert_int_equal(h.prev_val[T], 0); /* reset at the new clip */
    for (int t = 0; t < T; t++)
        vsr_frame_free(&sr[t]);
}

static void test_streaming_latency(void **state)
{
    (void)state;
    /* window3 emits SR(t) only after x(t+1) arrived; the end drains the last */
    rec r = {0};
    vsr_models_step st = {&r, rec_run, rec_reset};
    vsr_models_runner *run = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_models_runner_create(VSR_MODELS_T_WINDOW3, 2, &st, &run, &err), 0);
    vsr_frame lr, sr;
    assert_int_equal(vsr_frame_alloc(&lr, 4, 3, 3, &err), 0);
    assert_int_equal(vsr_frame_alloc(&sr, 8, 6, 3, &err), 0);
    int ready, t;
    assert_int_equal(vsr_models_runner_push(run, &lr, &sr, &ready, &t, &err), 0);
    assert_int_equal(ready, 0);
    memset(lr.data, 1, (size_t)lr.stride * lr.height);
    assert_int_equal(vsr_models_runner_push(run, &lr, &sr, &ready, &t, &err), 0);
    assert_int_equal(ready, 1);
    assert_int_equal(t, 0);
    assert_int_equal(vsr_models_runner_push(run, NULL, &sr, &ready, &t, &err), 0);
    assert_int_equal(ready, 1);
    assert_int_equal(t, 1);
    assert_int_equal(r.seen[1][2], 1); /* [0, 1, 1] */
    assert_int_equal(vsr_models_runner_push(run, NULL, &sr, &ready, &t, &err), 0);
    assert_int_equal(ready, 0);
    /* wrong SR size is an error, not a write out of bounds */
    vsr_frame bad;
    assert_int_equal(vsr_frame_alloc(&bad, 4, 3, 3, &err), 0);
    assert_int_equal(vsr_models_runner_push(run, &lr, &bad, &ready, &t, &err), 0);
    assert_true(vsr_models_runner_push(run, &lr, &bad, &ready, &t, &err) < 0);
    vsr_frame_free(&bad);
    vsr_frame_free(&lr);
    vsr_frame_free(&sr);
    vsr_models_runner_free(&run);
}

static void test_refuse_without_weights(void **state)
{
    (void)state;
    const vsr_models_entry *e = vsr_models_zoo_find("MVSR_13");
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_models_build(&e->hp, e->name, 16, 16, &g, &err), 0);
    assert_int_equal(vsr_models_load_weights(e, g, NULL, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "MVSR_13"));
    assert_non_null(strstr(err.msg, "train"));
    e = vsr_models_zoo_find("SWRN");
    assert_int_equal(vsr_models_load_weights(e, g, "/nonexistent/swrn.vsrw", &err), -ENOENT);
    assert_non_null(strstr(err.msg, "--import"));
    vsr_graph_free(&g);
}

/* ---- QuickSRNet graph semantics ---------------------------------------- */

static void set_w(vsr_graph *g, const char *name, const float *d, size_t n)
{
    vsr_error err = {0};
    if (vsr_graph_set_weight(g, name, d, n, &err))
        fail_msg("%s: %s", name, err.msg);
}

/* The engine's output for the RGB frame @p in (h x w) in @p prec with options @p o (NULL =
 * default): malloc'd, shape in sh[3], element count in *n. */
static float *run_frame(const vsr_graph *g, vsr_precision prec, const vsr_engine_options *o,
                        const float *in, int h, int w, int *sh, size_t *n)
{
    vsr_engine *en = NULL;
    vsr_error err = {0};
    if (vsr_engine_create(g, prec, NULL, o, &en, &err) ||
        vsr_engine_set_input(en, 0, in, h, w, 3, &err) || vsr_engine_run(en, &err))
        fail_msg("%s %s: %s", vsr_graph_name(g), vsr_precision_name(prec), err.msg);
    assert_int_equal(vsr_engine_output_shape(en, 0, &sh[0], &sh[1], &sh[2]), 0);
    *n = (size_t)sh[0] * sh[1] * sh[2];
    float *y = malloc(*n * sizeof(float));
    assert_int_equal(vsr_engine_get_output(en, 0, y, *n, &err), 0);
    vsr_engine_free(&en);
    return y;
}

/* Run g (scale s) on the h x w frame in and check every output against f of the LR
 * value under it (nearest-neighbour position, DCR order) within tol. */
static void check_nearest(const vsr_graph *g, vsr_precision prec, const float *in, int h, int w,
                          int s, float (*f)(float lr, int arg), int arg, float tol)
{
    int sh[3];
    size_t n;
    float *out = run_frame(g, prec, NULL, in, h, w, sh, &n);
    assert_int_equal(sh[0], h * s);
    assert_int_equal(sh[1], w * s);
    assert_int_equal(sh[2], 3);
    for (int y = 0; y < sh[0]; y++)
        for (int x = 0; x < sh[1]; x++)
            for (int c = 0; c < 3; c++) {
                float v = f(in[((y / s) * w + x / s) * 3 + c], arg);
                float got = out[((size_t)y * sh[1] + x) * 3 + c];
                if (fabsf(got - v) > tol)
                    fail_msg("%s %s: sr[%d,%d,%d] = %g, want %g", vsr_graph_name(g),
                             vsr_precision_name(prec), y, x, c, got, v);
            }
    free(out);
}

/* QuickSRNet's expectation below; arg = the anchor (ito). */
static float qsr_want(float lr, int ito)
{
    float v = 0.5f * fminf(fmaxf(lr, 0.0f), 255.0f);
    return ito ? fminf(fmaxf(v + 0.5f * lr, 0.0f), 255.0f) : v;
}

/* Run QuickSRNet_<v>_x2 on a 3x4 frame whose values leave 0..255 on both
 * sides, with hand-set weights in the spec's 0..255 folded form
 * (docs/MODEL_SPECS.md 2.4): the conv path is half the identity
 * initialisation (every 3x3 conv passes channel i < 3 through its centre
 * tap, conv_first scaled by 1/255, conv_last mapping channel c to the DCR
 * outputs o with o % 3 == c with weight 255/2, biases 0), so it gives
 * 0.5 * 255 * hardtanh(x / 255) = 0.5 * clip(x, 0, 255) at the nearest LR
 * pixel, which shows both the intermediate hardtanh(0, 1) and the DCR order.
 * L adds its anchor, set to half its nearest-repetition init, so
 * sr = clip(0.5 * clip(x, 0, 255) + 0.5 * x, 0, 255). */
static void run_quicksrnet_x2(const char *name)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    assert_non_null(e);
    const int h = 3, w = 4, s = 2, C = e->hp.channels, N = 3 * s * s;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err))
        fail_msg("%s: %s", name, err.msg);
    float *wt = calloc((size_t)9 * C * C, sizeof(float));
    float *zero = calloc((size_t)9 * C * C, sizeof(float));
    assert_non_null(wt);
    assert_non_null(zero);
    /* HWIO: index ((u*3 + v)*Cin + i)*Cout + o; centre tap u = v = 1 */
    for (int i = 0; i < 3; i++)
        wt[(4 * 3 + i) * C + i] = 1.0f / 255.0f;
    set_w(g, "conv_first.weight", wt, (size_t)27 * C);
    set_w(g, "conv_first.bias", zero, (size_t)C);
    memset(wt, 0, (size_t)9 * C * C * sizeof(float));
    for (int i = 0; i < 3; i++)
        wt[(4 * C + i) * C + i] = 1.0f;
    char n[64];
    for (int b = 0; b < e->hp.blocks; b++) {
        snprintf(n, sizeof(n), "conv_body_%d.weight", b);
        set_w(g, n, wt, (size_t)9 * C * C);
        snprintf(n, sizeof(n), "conv_body_%d.bias", b);
        set_w(g, n, zero, (size_t)C);
    }
    memset(wt, 0, (size_t)9 * C * C * sizeof(float));
    for (int o = 0; o < N; o++)
        wt[(4 * C + o % 3) * N + o] = 127.5f;
    set_w(g, "conv_last.weight", wt, (size_t)9 * C * N);
    set_w(g, "conv_last.bias", zero, (size_t)N);
    if (e->hp.ito) {
        memset(wt, 0, (size_t)3 * N * sizeof(float));
        for (int o = 0; o < N; o++)
            wt[(o % 3) * N + o] = 0.5f; /* 1x1 HWIO: i*Cout + o */
        set_w(g, "anchor.weight", wt, (size_t)3 * N);
        set_w(g, "anchor.bias", zero, (size_t)N);
    }
    float in[3 * 4 * 3];
    for (int i = 0; i < h * w * 3; i++)
        in[i] = -40.0f + 9.5f * (float)i; /* -40 .. 292.5 */
    check_nearest(g, VSR_PREC_FP32, in, h, w, s, qsr_want, e->hp.ito, 1e-3f);
    vsr_graph_free(&g);
    free(wt);
    free(zero);
}

static void test_quicksrnet_graph(void **state)
{
    (void)state;
    run_quicksrnet_x2("QuickSRNet_S_x2");
    run_quicksrnet_x2("QuickSRNet_M_x2");
    run_quicksrnet_x2("QuickSRNet_L_x2");
}

/* ---- XLSR graph semantics ------------------------------------------------ */

/* A 1 x 1 or 3 x 3 HWIO weight of the named conv: zero except w[centre][i][o] = v for
 * the listed (i, o) pairs (n of them); bias 0. */
static void set_conv(vsr_graph *g, const char *layer, int k, int cin_g, int cout, int n,
                     const int *io, float v)
{
    size_t cnt = (size_t)k * k * cin_g * cout;
    float *w = calloc(cnt, sizeof(float)), *b = calloc((size_t)cout, sizeof(float));
    assert_non_null(w);
    assert_non_null(b);
    int ctr = (k * k) / 2;
    for (int j = 0; j < n; j++)
        w[((size_t)ctr * cin_g + (size_t)io[2 * j]) * cout + (size_t)io[2 * j + 1]] = v;
    char nm[96];
    snprintf(nm, sizeof(nm), "%s.weight", layer);
    set_w(g, nm, w, cnt);
    snprintf(nm, sizeof(nm), "%s.bias", layer);
    set_w(g, nm, b, (size_t)cout);
    free(w), free(b);
}

static float xlsr_want(float lr, int unused)
{
    (void)unused;
    return fminf(1.5f * fmaxf(lr, 0.0f), 255.0f);
}

/*
 * XLSR_x2 on a 3x4 frame whose values leave 0..255 on both sides, with hand-set
 * weights in the 0..255 folded form (docs/MODEL_SPECS.md 2.5) that route RGB
 * through every layer by its centre tap:
 *   residual: x / 255 into residual channels 0..2 (no activation);
 *   conv_in: x / 255 into main channels 0..2, ReLU; conv_pw: channel c -> 8 + c;
 *   gblock_0_gconv: 8 + c -> 8 + c, i.e. input 0..2 of group 1 (the layer's
 *     weight is [3][3][8][32]; a conv that mixed groups would read channels
 *     0..2 here and give 0); gblock_0_pw: 8 + c -> c; the other G-blocks pass
 *     channels 0..2 of group 0;
 *   conv_mix: main c + 0.5 * residual c (concat order [main 32 | residual 16],
 *     so residual c is input 32 + c), ReLU;
 *   conv_last: 255 from channel c to the DCR outputs o with o % 3 == c.
 * So sr = clip(1.5 * max(x, 0), 0, 255) at the nearest LR pixel.
 */
static void test_xlsr_graph(void **state)
{
    (void)state;
    const vsr_models_entry *e = vsr_models_zoo_find("XLSR_x2");
    assert_non_null(e);
    const int h = 3, w = 4, s = 2, N = 3 * s * s;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err))
        fail_msg("%s", err.msg);
    const int id[] = {0, 0, 1, 1, 2, 2}, to8[] = {0, 8, 1, 9, 2, 10};
    const int from8[] = {8, 0, 9, 1, 10, 2}, mixm[] = {0, 0, 1, 1, 2, 2};
    const int mixr[] = {32, 0, 33, 1, 34, 2};
    int last[2 * 12];
    for (int o = 0; o < N; o++)
        last[2 * o] = o % 3, last[2 * o + 1] = o;
    set_conv(g, "residual", 3, 3, 16, 3, id, 1.0f / 255.0f);
    set_conv(g, "conv_in", 3, 3, 32, 3, id, 1.0f / 255.0f);
    set_conv(g, "conv_pw", 1, 32, 32, 3, to8, 1.0f);
    /* grouped: input index within the group (0..7), output index over all 32, so the
     * same pairs as conv_pw's mean group 1's inputs 0..2 -> outputs 8..10 */
    set_conv(g, "gblock_0_gconv", 3, 8, 32, 3, to8, 1.0f);
    set_conv(g, "gblock_0_pw", 1, 32, 32, 3, from8, 1.0f);
    for (int b = 1; b < 3; b++) {
        char n[32];
        snprintf(n, sizeof(n), "gblock_%d_gconv", b);
        set_conv(g, n, 3, 8, 32, 3, id, 1.0f);
        snprintf(n, sizeof(n), "gblock_%d_pw", b);
        set_conv(g, n, 1, 32, 32, 3, id, 1.0f);
    }
    /* conv_mix: two sets of pairs on one weight */
    size_t mc = (size_t)48 * 32;
    float *mw = calloc(mc, sizeof(float)), mb[32] = {0};
    for (int j = 0; j < 3; j++) {
        mw[(size_t)mixm[2 * j] * 32 + (size_t)mixm[2 * j + 1]] = 1.0f;
        mw[(size_t)mixr[2 * j] * 32 + (size_t)mixr[2 * j + 1]] = 0.5f;
    }
    set_w(g, "conv_mix.weight", mw, mc);
    set_w(g, "conv_mix.bias", mb, 32);
    free(mw);
    set_conv(g, "conv_last", 3, 32, N, N, last, 255.0f);
    float in[3 * 4 * 3];
    for (int i = 0; i < h * w * 3; i++)
        in[i] = -40.0f + 9.5f * (float)i; /* -40 .. 292.5 */
    /* FP16: values up to 255 carry 2^-11 relative rounding per layer */
    check_nearest(g, VSR_PREC_FP32, in, h, w, s, xlsr_want, 0, 1e-3f);
    check_nearest(g, VSR_PREC_FP16, in, h, w, s, xlsr_want, 0, 0.5f);
    vsr_graph_free(&g);
}

/* XLSR's weights for the case below: He-uniform, the input /255 folded into residual /
 * conv_in and x255 (x 0.5) into conv_last; biases 0 but conv_last's, 127.5. */
static float xlsr_weight(const char *name, int bias, size_t fan_in, float u)
{
    if (bias)
        return !strcmp(name, "conv_last.bias") ? 127.5f : 0.0f;
    float a = sqrtf(6.0f / (float)fan_in);
    if (!strncmp(name, "residual.", 9) || !strncmp(name, "conv_in.", 8))
        a /= 255.0f;
    if (!strcmp(name, "conv_last.weight"))
        a *= 0.5f * 255.0f;
    return a * (2.0f * u - 1.0f);
}

/*
 * XLSR x4 deploys like the other zoo models: calibrated INT8 stays close to FP32
 * and tiles with an overlap covering the receptive field (radius 5: conv_in,
 * three grouped 3x3, conv_last) give the whole-frame bytes in FP32, FP16 and
 * INT8. Weights: He-uniform, the input /255 folded into residual / conv_in and
 * x255 (x 0.5) into conv_last, conv_last's bias 127.5, so the output sits
 * mostly inside 0..255.
 */
static void test_xlsr_int8_and_tiles(void **state)
{
    (void)state;
    const vsr_models_entry *e = vsr_models_zoo_find("XLSR");
    const int h = 20, w = 26;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err))
        fail_msg("%s", err.msg);
    uint32_t s = 12345;
    vsr_test_draw_weights(g, &s, xlsr_weight);
    float *in = malloc((size_t)h * w * 3 * sizeof(float));
    vsr_test_rand_pixels(in, (size_t)h * w * 3, &s);
    vsr_test_calibrate_frame(g, in, h, w);
    size_t n;
    int sh[3];
    float *f32 = run_frame(g, VSR_PREC_FP32, NULL, in, h, w, sh, &n);
    float *i8 = run_frame(g, VSR_PREC_INT8, NULL, in, h, w, sh, &n);
    double se = 0;
    int inside = 0;
    for (size_t k = 0; k < n; k++) {
        se += (double)(f32[k] - i8[k]) * (f32[k] - i8[k]);
        inside += f32[k] > 0.0f && f32[k] < 255.0f;
    }
    double psnr = 10.0 * log10(255.0 * 255.0 / (se / (double)n));
    print_message("XLSR int8 vs fp32: %.2f dB; %d of %zu fp32 outputs inside (0, 255)\n", psnr,
                  inside, n);
    assert_true(inside > (int)(n / 2)); /* not a clipped (constant) image */
    assert_true(psnr > 30.0);
    vsr_engine_options t;
    vsr_engine_options_default(&t);
    t.tile = 8;
    for (int prec = 0; prec < 3; prec++) {
        float *whole = prec == 0 ? f32 : prec == 2 ? i8 : NULL;
        size_t m;
        if (!whole)
            whole = run_frame(g, (vsr_precision)prec, NULL, in, h, w, sh, &n);
        t.pad = 5;
        float *tiled = run_frame(g, (vsr_precision)prec, &t, in, h, w, sh, &m);
        assert_int_equal(m, n);
        assert_memory_equal(whole, tiled, n * sizeof(float));
        t.pad = 4; /* one pixel short of the receptive field: seams */
        float *short_pad = run_frame(g, (vsr_precision)prec, &t, in, h, w, sh, &m);
        assert_true(memcmp(whole, short_pad, n * sizeof(float)) != 0);
        free(tiled), free(short_pad);
        if (prec == 1)
            free(whole);
    }
    free(f32), free(i8), free(in);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quicksrnet_graph),       cmocka_unit_test(test_xlsr_graph),
        cmocka_unit_test(test_xlsr_int8_and_tiles),    cmocka_unit_test(test_registry),
        cmocka_unit_test(test_counts_equal_count_py),  cmocka_unit_test(test_custom_variant),
        cmocka_unit_test(test_feeding_order),          cmocka_unit_test(test_streaming_latency),
        cmocka_unit_test(test_refuse_without_weights),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
