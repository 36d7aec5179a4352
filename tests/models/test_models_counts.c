/*
 * vsr_models_count(): the research log's params and FLOPs (docs/MODEL_SPECS.md 0.2)
 * of every SWRN, ABPN, ELSR and MVSR-family zoo model at 180x320 equal
 * count.py's, QuickSRNet's equal docs/MODEL_SPECS.md 2.4, XLSR's count.py's conv
 * counter over MODEL_SPECS.md 2.5's layers, and the NTIRE ESR
 * figures follow the graph.
 */
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/*
 * Reference values from ../shared/reference/count.py (standard library
 * only), printed with:
 *   python3 -c 'import sys; sys.path.insert(0, "../shared/reference");
 *     import count as c
 *     for n, kw, *_ in c.MVSR + c.STANDINS: print(n, *c.mvsr(**kw).totals()[:3])
 *     for n, fn, kw, *_ in c.OTHERS: print(n, *fn(**kw).totals()[:3])'
 * i.e. Keras params, MACs and FLOPs (log convention, "GFLOPs (ours)": no
 * fitted MVSR residual) at H, W = 180, 320. count.py's names map to the
 * zoo's: SWRN_0 = SWRN, ABPN_0 = ABPN, "ABPN x3 (public)" = ABPN_x3,
 * ELSR_0 = ELSR (elsr(prelu=0): the log's 3,468 counts no PReLU slope),
 * SWAT_3~ = SWAT_3 and so on. These match the rows of `python3 count.py
 * --table mvsr|others|standins` (e.g. MVSR_13 68,157 params, 7.615
 * GFLOPs; ABPN_0 7.137 = 7.1371 G in --layers ABPN).
 */
typedef struct ref_row {
    const char *name;
    long long params, macs, flops;
} ref_row;

static const ref_row ref[] = {
    {"MVSR_13", 68157, 3771475200LL, 7614662454LL},
    {"MVSR_13_1", 62541, 3442464000LL, 6962169654LL},
    {"MVSR_13_2", 37517, 2013062400LL, 4090464054LL},
    {"MVSR_13_3", 29829, 1573459200LL, 3207571254LL},
    {"MVSR_13_4", 119149, 6702163200LL, 13483411254LL},
    {"MVSR_13_5", 152277, 8607110400LL, 17296992054LL},
    {"MVSR_13_6", 50293, 2745734400LL, 5559494454LL},
    {"MVSR_13_7", 91109, 5090284800LL, 10255968054LL},
    {"MVSR_14", 68272, 3776716800LL, 7625318400LL},
    {"MVSR_15", 52965, 2934662400LL, 5924448054LL},
    {"MVSR_16", 920381, 52873401600LL, 105806534454LL},
    {"MVSR_17", 47101, 2562336000LL, 5192697654LL},
    {"MVSR_18", 47325, 2576160000LL, 5219424054LL},
    {"MVSR_19", 60861, 3388089600LL, 6832684854LL},
    {"MVSR_20", 251613, 14344070400LL, 28754323254LL},
    {"MVSR_21", 920128, 52858368000LL, 105775718400LL},
    {"MVSR_21_1", 920992, 52908134400LL, 105875251200LL},
    {"MVSR_22", 251837, 14357894400LL, 28781049654LL},
    {"MVSR_23", 32541, 1719993600LL, 3511699254LL},
    {"MVSR_24", 186141, 10569196800LL, 21210105654LL},
    {"MVSR_24_revalid", 190493, 10805126400LL, 21696710454LL},
    {"MVSR_25", 68381, 3785299200LL, 7641388854LL},
    {"MVSR_26", 251613, 14344070400LL, 28754323254LL},
    {"MVSR_27", 63805, 3535545600LL, 7128057654LL},
    {"MVSR_12", 68169, 3771993600LL, 7615872054LL},
    {"MVSR_11", 32553, 1720512000LL, 3512908854LL},
    {"MVSR_10", 27081, 1440806400LL, 2939673654LL},
    {"SWRN", 43472, 2488320000LL, 4995072000LL},
    {"SWRN_1", 36512, 2090188800LL, 4196044800LL},
    {"ABPN", 62048, 3560371200LL, 7137100800LL},
    {"ELSR", 3468, 195955200LL, 396057600LL},
    {"ABPN_x3", 42539, 2439072000LL, 4890873600LL},
    {"SWAT_3", 25713, 1362528000LL, 2783635254LL},
    {"SORT_0", 17685, 992851200LL, 2005228854LL},
    {"SORT_2", 45697, 2580307200LL, 5195462454LL},
    {"VSR_12", 57917, 3284870400LL, 6603667254LL},
};
#define N_REF (int)(sizeof(ref) / sizeof(ref[0]))

/*
 * QuickSRNet (docs/MODEL_SPECS.md 2.4) is not in count.py. Its params are the
 * spec's table (x2 / x3 / x4: S 22,860 / 27,195 / 33,264, M 50,604 / 54,939 /
 * 61,008, L 414,972 / 423,687 / 435,888), which is its formula
 *   28C + m(9C^2 + C) + 9C*3s^2 + 3s^2 (+ 3*3s^2 + 3s^2 for L's anchor);
 * MACs = conv weights (params minus the C + mC + 3s^2 (+ 3s^2) biases) x
 * 57,600 (x4: 1.9077 / 3.5002 / 25.0574 G, the spec's column); FLOPs (log
 * convention, section 0.2) = 2*MAC + biases x 57,600 + L's anchor Add,
 * 3s^2 x 57,600; the hardtanh / clip and depth_to_space count 0. Printed by
 *   python3 -c 'px=57600
 *     for C,m,i in (32,2,0),(32,5,0),(64,11,1):
 *      for s in 4,2,3: N=3*s*s; w=27*C+m*9*C*C+9*C*N+i*3*N; b=C+m*C+N+i*N
 *       print(w+b, w*px, 2*w*px+b*px+i*N*px)'
 */
static const ref_row qsr_ref[] = {
    {"QuickSRNet_S", 33264, 1907712000LL, 3823718400LL},
    {"QuickSRNet_S_x2", 22860, 1310515200LL, 2627251200LL},
    {"QuickSRNet_S_x3", 27195, 1559347200LL, 3125779200LL},
    {"QuickSRNet_M", 61008, 3500236800LL, 7014297600LL},
    {"QuickSRNet_M_x2", 50604, 2903040000LL, 5817830400LL},
    {"QuickSRNet_M_x3", 54939, 3151872000LL, 6316358400LL},
    {"QuickSRNet_L", 435888, 25057382400LL, 50167296000LL},
    {"QuickSRNet_L_x2", 414972, 23856768000LL, 47759846400LL},
    {"QuickSRNet_L_x3", 423687, 24357024000LL, 48762950400LL},
};
#define N_QSR (int)(sizeof(qsr_ref) / sizeof(qsr_ref[0]))

/*
 * XLSR (docs/MODEL_SPECS.md 2.5) is not in count.py's tables; its numbers are
 * count.py's own conv counter (Graph.conv, groups included: weights
 * (Cin / groups) * Cout * k^2 + Cout biases, MACs = weights x 57,600, FLOPs =
 * 2 * MAC + bias elements) over the spec's layers, printed by
 *   python3 -c 'import sys; sys.path.insert(0, "../shared/reference")
 *     import count as c
 *     for s in 2, 3, 4:
 *      g = c.Graph("XLSR"); N = 3*s*s
 *      g.conv("residual", 3, 16, 3); g.conv("conv_in", 3, 32, 3); g.conv("pw", 32, 32, 1)
 *      for i in range(3): g.conv("gconv", 32, 32, 3, groups=4); g.conv("pw", 32, 32, 1)
 *      g.conv("conv_mix", 48, 32, 1); g.conv("conv_last", 32, N, 3)
 *      print(s, *g.totals()[:3])'
 * x3 21,947 and x4 28,016 params are the spec's figures; concat, depth_to_space
 * and the clip count 0.
 */
static const ref_row xlsr_ref[] = {
    {"XLSR", 28016, 1593446400LL, 3207168000LL},
    {"XLSR_x2", 17612, 996249600LL, 2010700800LL},
    {"XLSR_x3", 21947, 1245081600LL, 2509228800LL},
};
#define N_XLSR (int)(sizeof(xlsr_ref) / sizeof(xlsr_ref[0]))

/* Count zoo entry @p e at 180x320 and compare with its row of @p tab (n rows,
 * from @p src); returns the counts for further checks. */
static vsr_models_counts check_row(const vsr_models_entry *e, const ref_row *tab, int n,
                                   const char *src)
{
    int k = 0;
    while (k < n && strcmp(tab[k].name, e->name))
        k++;
    if (k == n)
        fail_msg("%s: no %s reference row", e->name, src);
    vsr_models_counts c;
    vsr_error err = {0};
    if (vsr_models_count(&e->hp, 180, 320, VSR_PREC_FP32, &c, &err))
        fail_msg("%s: %s", e->name, err.msg);
    if (c.params_log != tab[k].params || c.macs != tab[k].macs || c.flops_log != tab[k].flops)
        print_message("%s: params %lld macs %lld flops %lld; %s %lld %lld %lld\n", e->name,
                      (long long)c.params_log, (long long)c.macs, (long long)c.flops_log, src,
                      tab[k].params, tab[k].macs, tab[k].flops);
    assert_int_equal(c.params_log, tab[k].params);
    assert_int_equal(c.macs, tab[k].macs);
    assert_int_equal(c.flops_log, tab[k].flops);
    assert_int_equal(c.h, 180);
    assert_int_equal(c.w, 320);
    return c;
}

static void test_log_counts_equal_count_py(void **state)
{
    (void)state;
    int checked = 0;
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const vsr_models_entry *e = vsr_models_zoo_get(i);
        enum vsr_models_family f = e->hp.family;
        if (f != VSR_MODELS_MVSR && f != VSR_MODELS_ABPN && f != VSR_MODELS_SWRN &&
            f != VSR_MODELS_ELSR)
            continue;
        check_row(e, ref, N_REF, "count.py");
        checked++;
    }
    assert_int_equal(checked, N_REF); /* every reference row is a zoo model */
}

/* ELSR by hand (docs/MODEL_SPECS.md 2.3): convs 3->6, 6->6, 6->6, 6->48, all 3x3 with
 * bias: weights 162 + 324 + 324 + 2,592 = 3,402, so MACs = 3,402 * H*W and
 * conv activations = (6 + 6 + 6 + 48) * H*W; the engine's one shared PReLU
 * slope is left out of params (3,468 = 3,402 + 66 biases). FLOPs = 2*MAC +
 * 66 bias elements per pixel + the residual Add's 6 per pixel. */
static void test_elsr_by_hand(void **state)
{
    (void)state;
    vsr_models_counts c;
    vsr_error err = {0};
    const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
    assert_int_equal(vsr_models_count(&e->hp, 256, 256, VSR_PREC_FP32, &c, &err), 0);
    const long long px = 256 * 256;
    assert_int_equal(c.params_log, 3468);
    assert_int_equal(c.macs, 3402 * px);
    assert_int_equal(c.flops_log, 2 * 3402 * px + 66 * px + 6 * px);
    assert_int_equal(c.conv_activations, 66 * px);
    assert_int_equal(c.n_conv, 4);
    assert_true(c.peak_bytes >= (size_t)(48 * px * 4)); /* conv_last's fp32 output fits */
    vsr_models_counts c16;
    assert_int_equal(vsr_models_count(&e->hp, 256, 256, VSR_PREC_FP16, &c16, &err), 0);
    assert_true(c16.peak_bytes < c.peak_bytes);
    /* bicubic has no graph */
    assert_int_equal(
        vsr_models_count(&vsr_models_zoo_find("bicubic")->hp, 8, 8, VSR_PREC_FP32, &c, &err),
        -ENOTSUP);
}

/* Every QuickSRNet zoo entry (x2, x3, x4) counts as the spec says, and the
 * zoo holds no other QuickSRNet. conv_activations = (C(m+1) + 3s^2 (+ 3s^2
 * for L's anchor)) x px; n_conv = m + 2 (+1). */
static void test_quicksrnet_counts(void **state)
{
    (void)state;
    int seen = 0;
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const vsr_models_entry *e = vsr_models_zoo_get(i);
        if (e->hp.family != VSR_MODELS_QUICKSRNET)
            continue;
        vsr_models_counts c = check_row(e, qsr_ref, N_QSR, "MODEL_SPECS.md 2.4");
        const int C = e->hp.channels, m = e->hp.blocks, N = 3 * e->hp.scale * e->hp.scale;
        const int ito = e->hp.ito;
        assert_int_equal(c.conv_activations, (long long)(C * (m + 1) + N + ito * N) * 57600);
        assert_int_equal(c.n_conv, m + 2 + ito);
        seen++;
    }
    assert_int_equal(seen, N_QSR);
    /* the spec's hyper-parameters: S C32 m2, M C32 m5, L C64 m11 with the anchor */
    const vsr_models_entry *e = vsr_models_zoo_find("quicksrnet_l");
    assert_non_null(e);
    assert_int_equal(e->hp.scale, 4);
    assert_int_equal(e->hp.channels, 64);
    assert_int_equal(e->hp.blocks, 11);
    assert_int_equal(e->hp.ito, 1);
    assert_int_equal(vsr_models_zoo_find("QuickSRNet_S_x3")->hp.scale, 3);
    assert_int_equal(vsr_models_zoo_find("QuickSRNet_M_x2")->hp.ito, 0);
}

/* Every XLSR zoo entry (x2, x3, x4) counts as count.py's conv counter says, and the
 * zoo holds no other XLSR: 11 convs (residual, 9 of 32 outputs, conv_last); conv
 * outputs (16 + 32 x 9 + 3s^2) per pixel. */
static void test_xlsr_counts(void **state)
{
    (void)state;
    int seen = 0;
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const vsr_models_entry *e = vsr_models_zoo_get(i);
        if (e->hp.family != VSR_MODELS_XLSR)
            continue;
        vsr_models_counts c = check_row(e, xlsr_ref, N_XLSR, "count.py Graph.conv");
        const int N = 3 * e->hp.scale * e->hp.scale;
        assert_int_equal(c.n_conv, 11);
        assert_int_equal(c.conv_activations, (long long)(16 + 32 * 9 + N) * 57600);
        seen++;
    }
    assert_int_equal(seen, N_XLSR);
    assert_int_equal(vsr_models_zoo_find("xlsr")->hp.scale, 4);
    assert_int_equal(vsr_models_zoo_find("XLSR_x3")->hp.scale, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_counts_equal_count_py),
        cmocka_unit_test(test_elsr_by_hand),
        cmocka_unit_test(test_quicksrnet_counts),
        cmocka_unit_test(test_xlsr_counts),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
