/*
 * Sweep expansion: run counts and the exact order, worked out by hand,
 * with exclude rules and --set overrides; run hashes for --resume.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/bench.h"

/*
 * Axes: A (bi, bd), B (bi) = 3 dataset/degradation pairs; models ELSR, ABPN;
 * precisions fp32, int8; threads 1, 2; tile 0; pad 0 -> 3*2*2*2 = 24.
 * Rule 1 (ABPN and int8) drops 3 * 2 = 6; rule 2 (B and threads 2) drops
 * 2 * 2 = 4, of which (B, ABPN, int8, 2) is also in rule 1: 24 - 6 - 4 + 1
 * = 15 runs, 9 excluded.
 */
static const char cfg_text[] = "name: s\n"
                               "datasets:\n"
                               "  - {name: A, type: demo, degradation: [bi, bd]}\n"
                               "  - {name: B, type: demo}\n"
                               "models: [ELSR, ABPN]\n"
                               "precisions: [fp32, int8]\n"
                               "threads: [1, 2]\n"
                               "exclude:\n"
                               "  - {model: ABPN, precision: int8}\n"
                               "  - {dataset: B, threads: 2}\n";

static const char *const expected[] = {
    "ELSR/base/fp32/A/bi/t0/p0/th1",          "ELSR/base/fp32/A/bi/t0/p0/th2",
    "ELSR/base/int8-minmax-8/A/bi/t0/p0/th1", "ELSR/base/int8-minmax-8/A/bi/t0/p0/th2",
    "ABPN/base/fp32/A/bi/t0/p0/th1",          "ABPN/base/fp32/A/bi/t0/p0/th2",
    "ELSR/base/fp32/A/bd/t0/p0/th1",          "ELSR/base/fp32/A/bd/t0/p0/th2",
    "ELSR/base/int8-minmax-8/A/bd/t0/p0/th1", "ELSR/base/int8-minmax-8/A/bd/t0/p0/th2",
    "ABPN/base/fp32/A/bd/t0/p0/th1",          "ABPN/base/fp32/A/bd/t0/p0/th2",
    "ELSR/base/fp32/B/bi/t0/p0/th1",          "ELSR/base/int8-minmax-8/B/bi/t0/p0/th1",
    "ABPN/base/fp32/B/bi/t0/p0/th1",
};

static void expand(const char *text, const char *const *sets, int n_sets, vsr_config **cfg,
                   vsr_sweep_run **runs, int *n, int *excluded)
{
    vsr_error err = {0};
    if (vsr_config_load_string("s.yaml", text, sets, n_sets, cfg, &err))
        fail_msg("%s", err.msg);
    if (vsr_sweep_expand(*cfg, runs, n, excluded, &err))
        fail_msg("%s", err.msg);
}

static void test_order_and_exclude(void **state)
{
    (void)state;
    vsr_config *cfg;
    vsr_sweep_run *runs;
    int n, excluded;
    expand(cfg_text, NULL, 0, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 15);
    assert_int_equal(excluded, 9);
    for (int i = 0; i < n; i++) {
        assert_string_equal(runs[i].key, expected[i]);
        assert_int_equal(runs[i].index, i);
    }
    /* fields point into the config */
    assert_ptr_equal(runs[14].model, &cfg->models[1]);
    assert_ptr_equal(runs[14].dataset, &cfg->datasets[1]);
    assert_string_equal(vsr_config_calib_name(runs[2].precision), "minmax");
    /* every run has its own hash */
    for (int i = 0; i < n; i++) {
        assert_int_equal(strlen(runs[i].hash), 16);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(runs[i].hash, runs[j].hash);
    }
    free(runs);
    vsr_config_free(&cfg);
}

static void test_overrides(void **state)
{
    (void)state;
    vsr_config *cfg;
    vsr_sweep_run *runs;
    int n, excluded;
    /* threads=1: 3 * 2 * 2 = 12, rule 1 drops 3, rule 2 matches nothing */
    const char *sets1[] = {"threads=1"};
    expand(cfg_text, sets1, 1, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 9);
    assert_int_equal(excluded, 3);
    assert_string_equal(runs[0].key, "ELSR/base/fp32/A/bi/t0/p0/th1");
    assert_string_equal(runs[1].key, "ELSR/base/int8-minmax-8/A/bi/t0/p0/th1");
    assert_string_equal(runs[2].key, "ABPN/base/fp32/A/bi/t0/p0/th1");
    assert_string_equal(runs[8].key, "ABPN/base/fp32/B/bi/t0/p0/th1");
    free(runs);
    vsr_config_free(&cfg);

    /* tiles and pads are the innermost axes: tile outer, pad inner */
    const char *sets2[] = {"datasets=[{name: A, type: demo}]",
                           "models=[ELSR]",
                           "precisions=[fp16]",
                           "threads=2",
                           "tile=[0, 64]",
                           "pad=[4, 8]",
                           "exclude=[{tile: 0, pad: 8}]"};
    expand(cfg_text, sets2, 7, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 3);
    assert_int_equal(excluded, 1);
    assert_string_equal(runs[0].key, "ELSR/base/fp16/A/bi/t0/p4/th2");
    assert_string_equal(runs[1].key, "ELSR/base/fp16/A/bi/t64/p4/th2");
    assert_string_equal(runs[2].key, "ELSR/base/fp16/A/bi/t64/p8/th2");
    free(runs);
    vsr_config_free(&cfg);

    /* excluding everything is an empty sweep, not an error */
    const char *sets3[] = {"exclude=[{dataset: [A, B]}]"};
    expand(cfg_text, sets3, 1, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 0);
    assert_int_equal(excluded, 24);
    free(runs);
    vsr_config_free(&cfg);
}

/* --resume relies on a run's hash depending only on what affects it. */
static void test_run_hash_stability(void **state)
{
    (void)state;
    vsr_config *a, *b, *c;
    vsr_sweep_run *ra, *rb, *rc;
    int na, nb, nc, x;
    expand(cfg_text, NULL, 0, &a, &ra, &na, &x);
    /* another model, another sweep name, another db: old runs keep their hash */
    const char *more[] = {"models=[ELSR, ABPN, SWRN]", "name=other", "output.db=o.db"};
    expand(cfg_text, more, 3, &b, &rb, &nb, &x);
    /* what every run shares changed: every hash changes */
    const char *warm[] = {"timing.warmup=7"};
    expand(cfg_text, warm, 1, &c, &rc, &nc, &x);
    assert_int_equal(nc, na);
    int matched = 0;
    for (int i = 0; i < na; i++) {
        for (int j = 0; j < nb; j++)
            if (!strcmp(ra[i].key, rb[j].key)) {
                assert_string_equal(ra[i].hash, rb[j].hash);
                matched++;
            }
        assert_string_not_equal(ra[i].hash, rc[i].hash);
    }
    assert_int_equal(matched, na);
    /* SWRN: 3 pairs * 2 precisions * 2 threads = 12, minus (B, th2) x 2 precisions */
    assert_int_equal(nb, na + 10);
    free(ra);
    free(rb);
    free(rc);
    vsr_config_free(&a);
    vsr_config_free(&b);
    vsr_config_free(&c);
}

/* The runs of cfg_text form three groups that share a dataset and
 * degradation: 0-5 (A/bi), 6-11 (A/bd), 12-14 (B/bi), from `expected`. */
static void test_groups(void **state)
{
    (void)state;
    vsr_config *cfg;
    vsr_sweep_run *runs;
    int n, excluded;
    expand(cfg_text, NULL, 0, &cfg, &runs, &n, &excluded);
    assert_int_equal(vsr_sweep_group_end(runs, n, 0), 6);
    assert_int_equal(vsr_sweep_group_end(runs, n, 6), 12);
    assert_int_equal(vsr_sweep_group_end(runs, n, 12), 15);
    assert_int_equal(vsr_sweep_group_end(runs, n, 14), 15);
    free(runs);
    vsr_config_free(&cfg);
}

/*
 * Issue 14: INT8 of a {tflite: FILE} model keeps the file's quantization
 * (calibration "file", no frames) unless the config writes a calibration;
 * other models keep the default minmax over 8 frames. An exclude rule on
 * calibration "file" is accepted and drops exactly the tflite INT8 run.
 */
static void test_tflite_int8_file(void **state)
{
    (void)state;
    static const char text[] =
        "name: s\n"
        "datasets: [{name: A, type: demo}]\n"
        "models: [ELSR, {name: q, type: ELSR, weights: {tflite: q.tflite}, optional: true}]\n"
        "precisions: [int8, {name: int8, calibration: {method: mse}}]\n";
    static const char *const want[] = {
        "ELSR/base/int8-minmax-8/A/bi/t0/p0/th1",
        "ELSR/base/int8-mse-8/A/bi/t0/p0/th1",
        "ELSR/q/int8-file-0/A/bi/t0/p0/th1",
        "ELSR/q/int8-mse-8/A/bi/t0/p0/th1",
    };
    vsr_config *cfg;
    vsr_sweep_run *runs;
    int n, excluded;
    expand(text, NULL, 0, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++)
        assert_string_equal(runs[i].key, want[i]);
    assert_string_equal(vsr_config_calib_name(runs[2].precision), "file");
    assert_int_equal(runs[2].precision->calib_frames, 0);
    free(runs);
    vsr_config_free(&cfg);
    /* calibration: {method: file} written out, and an exclude on it */
    const char *sets[] = {"precisions=[{name: int8, calibration: {method: file}}, fp32]",
                          "exclude=[{calibration: file, model: q}]"};
    expand(text, sets, 2, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 3);
    assert_int_equal(excluded, 1);
    assert_string_equal(runs[0].key, "ELSR/base/int8-file-0/A/bi/t0/p0/th1");
    assert_string_equal(runs[1].key, "ELSR/base/fp32/A/bi/t0/p0/th1");
    assert_string_equal(runs[2].key, "ELSR/q/fp32/A/bi/t0/p0/th1");
    free(runs);
    vsr_config_free(&cfg);
}

/*
 * Issue 17: `requant: tflite` in an int8 precision is its own run ("-tflite" in
 * the key, another hash, also for a tflite model's default "file" calibration);
 * `requant: float` is the default: the same key and hash as no key at all.
 */
static void test_requant_axis(void **state)
{
    (void)state;
    static const char text[] =
        "name: s\n"
        "datasets: [{name: A, type: demo}]\n"
        "models: [ELSR, {name: q, type: ELSR, weights: {tflite: q.tflite}, optional: true}]\n"
        "precisions: [int8, {name: int8, requant: tflite}]\n";
    static const char *const want[] = {
        "ELSR/base/int8-minmax-8/A/bi/t0/p0/th1",
        "ELSR/base/int8-minmax-8-tflite/A/bi/t0/p0/th1",
        "ELSR/q/int8-file-0/A/bi/t0/p0/th1",
        "ELSR/q/int8-file-0-tflite/A/bi/t0/p0/th1",
    };
    vsr_config *cfg, *cfg2;
    vsr_sweep_run *runs, *runs2;
    int n, n2, excluded;
    expand(text, NULL, 0, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++)
        assert_string_equal(runs[i].key, want[i]);
    assert_string_equal(vsr_requant_name(runs[1].precision->requant), "tflite");
    assert_string_equal(vsr_requant_name(runs[3].precision->requant), "tflite");
    assert_string_equal(vsr_requant_name(runs[2].precision->requant), "float");
    assert_string_not_equal(runs[0].hash, runs[1].hash);
    /* requant: float written out = the default run, same key and hash */
    const char *sets[] = {"precisions=[{name: int8, requant: float}]"};
    expand(text, sets, 1, &cfg2, &runs2, &n2, &excluded);
    assert_int_equal(n2, 2);
    assert_string_equal(runs2[0].key, runs[0].key);
    assert_string_equal(runs2[0].hash, runs[0].hash);
    free(runs);
    free(runs2);
    vsr_config_free(&cfg);
    vsr_config_free(&cfg2);
}

/*
 * Issue 17: `keep_float:` in an int8 precision is its own run: "-keep<N>-<precision>-
 * <FNV-1a of the names, each with its NUL, low 24 bits>" in the key (for [a, b]:
 * 0x977b96, from python: h = 2166136261; h = ((h ^ byte) * 16777619) mod 2^32 over
 * b"a\0b\0"), another hash; the same list in fp16 differs again.
 */
static void test_keep_float_axis(void **state)
{
    (void)state;
    static const char text[] =
        "name: s\n"
        "datasets: [{name: A, type: demo}]\n"
        "models: [ELSR]\n"
        "precisions: [int8, {name: int8, keep_float: [a, b]},\n"
        "             {name: int8, keep_float: [a, b], keep_float_precision: fp16}]\n";
    static const char *const want[] = {
        "ELSR/base/int8-minmax-8/A/bi/t0/p0/th1",
        "ELSR/base/int8-minmax-8-keep2-fp32-977b96/A/bi/t0/p0/th1",
        "ELSR/base/int8-minmax-8-keep2-fp16-977b96/A/bi/t0/p0/th1",
    };
    vsr_config *cfg;
    vsr_sweep_run *runs;
    int n, excluded;
    expand(text, NULL, 0, &cfg, &runs, &n, &excluded);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++)
        assert_string_equal(runs[i].key, want[i]);
    assert_int_equal(runs[1].precision->n_keep_float, 2);
    assert_string_equal(runs[1].precision->keep_float[1], "b");
    assert_string_equal(runs[1].precision->keep_float_precision, "fp32");
    assert_int_equal(runs[0].precision->n_keep_float, 0);
    assert_string_not_equal(runs[0].hash, runs[1].hash);
    assert_string_not_equal(runs[1].hash, runs[2].hash);
    free(runs);
    vsr_config_free(&cfg);
}

/* Turns of three candidates needing 3, 1 and 2 passes: A B C A C A. */
static void test_interleaved_turns(void **state)
{
    (void)state;
    int need[3] = {3, 1, 2}, want[3] = {1, 1, 1}, order[8], n = 0;
    for (int t = vsr_sweep_next_turn(want, 3, -1); t >= 0;
         t = vsr_sweep_next_turn(want, 3, t)) {
        assert_true(n < 8);
        order[n++] = t;
        want[t] = --need[t] > 0;
    }
    static const int expect[6] = {0, 1, 2, 0, 2, 0};
    assert_int_equal(n, 6);
    assert_memory_equal(order, expect, sizeof(expect));
    /* two candidates that both want more alternate strictly: A B A B */
    int w2[2] = {1, 1};
    assert_int_equal(vsr_sweep_next_turn(w2, 2, -1), 0);
    assert_int_equal(vsr_sweep_next_turn(w2, 2, 0), 1);
    assert_int_equal(vsr_sweep_next_turn(w2, 2, 1), 0);
    w2[0] = w2[1] = 0;
    assert_int_equal(vsr_sweep_next_turn(w2, 2, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_exclude),  cmocka_unit_test(test_groups),
        cmocka_unit_test(test_interleaved_turns),  cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_run_hash_stability), cmocka_unit_test(test_tflite_int8_file),
        cmocka_unit_test(test_requant_axis),       cmocka_unit_test(test_keep_float_axis),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
