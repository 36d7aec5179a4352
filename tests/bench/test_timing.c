/*
 * Timing statistics on hand-made samples. Definitions under test:
 * median = middle sample (mean of the two middle ones for even n);
 * p95 = nearest rank ceil(0.95 n); std = population std.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/bench.h"

static void test_odd_sample(void **state)
{
    (void)state;
    const double s[] = {5, 1, 4, 2, 3};
    double copy[5];
    memcpy(copy, s, sizeof(s));
    vsr_timing_stats t;
    vsr_error err = {0};
    assert_int_equal(vsr_timing_stats_compute(copy, 5, 2, 7.5, &t, &err), 0);
    assert_memory_equal(copy, s, sizeof(s)); /* input not reordered */
    assert_int_equal(t.count, 5);
    assert_int_equal(t.warmup, 2);
    assert_float_equal(t.first_ms, 7.5, 0);
    assert_float_equal(t.min_ms, 1, 0);
    assert_float_equal(t.max_ms, 5, 0);
    assert_float_equal(t.median_ms, 3, 0);
    assert_float_equal(t.mean_ms, 3, 1e-12);
    /* deviations -2..2: sum of squares 10, /5 = 2 */
    assert_float_equal(t.std_ms, sqrt(2.0), 1e-12);
    /* ceil(0.95 * 5) = 5 -> the largest */
    assert_float_equal(t.p95_ms, 5, 0);
}

static void test_even_sample(void **state)
{
    (void)state;
    const double s[] = {40, 10, 30, 20};
    vsr_timing_stats t;
    assert_int_equal(vsr_timing_stats_compute(s, 4, 0, NAN, &t, NULL), 0);
    assert_float_equal(t.median_ms, 25, 0); /* (20 + 30) / 2 */
    assert_float_equal(t.mean_ms, 25, 1e-12);
    /* deviations 15 5 5 15: (225+25+25+225)/4 = 125 */
    assert_float_equal(t.std_ms, sqrt(125.0), 1e-12);
    assert_float_equal(t.p95_ms, 40, 0); /* ceil(3.8) = 4th */
}

static void test_p95_nearest_rank(void **state)
{
    (void)state;
    double s[20], s40[40];
    for (int i = 0; i < 20; i++)
        s[i] = 20 - i; /* 20..1 */
    for (int i = 0; i < 40; i++)
        s40[i] = i + 1; /* 1..40 */
    vsr_timing_stats t;
    assert_int_equal(vsr_timing_stats_compute(s, 20, 0, NAN, &t, NULL), 0);
    /* 0.95 * 20 = 19 exactly: the 19th smallest, not the 20th */
    assert_float_equal(t.p95_ms, 19, 0);
    assert_float_equal(t.median_ms, 10.5, 0);
    assert_int_equal(vsr_timing_stats_compute(s40, 40, 0, NAN, &t, NULL), 0);
    assert_float_equal(t.p95_ms, 38, 0); /* ceil(38.0) = 38 */
    const double one[] = {2.5};
    assert_int_equal(vsr_timing_stats_compute(one, 1, 0, NAN, &t, NULL), 0);
    assert_float_equal(t.p95_ms, 2.5, 0);
    assert_float_equal(t.median_ms, 2.5, 0);
    assert_float_equal(t.std_ms, 0, 0);
}

static void test_bad_samples(void **state)
{
    (void)state;
    vsr_timing_stats t;
    vsr_error err = {0};
    const double s[] = {1, NAN, 3};
    const double neg[] = {1, -2};
    assert_int_equal(vsr_timing_stats_compute(s, 0, 0, NAN, &t, &err), -EINVAL);
    assert_int_equal(vsr_timing_stats_compute(s, 3, 0, NAN, &t, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "sample 1"));
    assert_int_equal(vsr_timing_stats_compute(neg, 2, 0, NAN, &t, &err), -EINVAL);
}

static void test_format(void **state)
{
    (void)state;
    const double s[] = {1, 2, 3, 4};
    vsr_timing_stats t;
    char line[256];
    assert_int_equal(vsr_timing_stats_compute(s, 4, 1, 9.25, &t, NULL), 0);
    vsr_timing_format(&t, line, sizeof(line));
    assert_string_equal(line, "count=4 first=9.250 min=1.000 max=4.000 avg=2.500 std=1.118 "
                              "median=2.500 p95=4.000 (ms, warmup=1)");
    t.first_ms = NAN;
    vsr_timing_format(&t, line, sizeof(line));
    assert_null(strstr(line, "first="));
}

struct counter {
    int calls;
    int seen[16];
};

static int count_call(void *ctx, int i, vsr_error *err)
{
    (void)err;
    struct counter *c = ctx;
    c->seen[c->calls++] = i;
    return 0;
}

static int fail_third(void *ctx, int i, vsr_error *err)
{
    (void)ctx;
    if (i == 2)
        return vsr_error_set(err, -EIO, "frame %d failed", i);
    return 0;
}

static void test_measure(void **state)
{
    (void)state;
    struct counter c = {0};
    double samples[3] = {-1, -1, -1};
    vsr_timing_stats t;
    vsr_error err = {0};
    assert_int_equal(vsr_timing_measure(count_call, &c, 2, 3, samples, &t, &err), 0);
    assert_int_equal(c.calls, 5); /* 2 warm-up + 3 timed, in order */
    for (int i = 0; i < 5; i++)
        assert_int_equal(c.seen[i], i);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.warmup, 2);
    assert_false(isnan(t.first_ms));
    for (int i = 0; i < 3; i++)
        assert_true(samples[i] >= 0);
    assert_true(t.min_ms <= t.median_ms && t.median_ms <= t.max_ms);
    assert_int_equal(vsr_timing_measure(fail_third, NULL, 1, 5, NULL, &t, &err), -EIO);
    assert_string_equal(err.msg, "frame 2 failed");
}

/* Ranks of the 95% order-statistic interval of the median, from the
 * binomial Bin(n, 1/2) CDF computed by hand:
 *  n = 20: P(X <= 5) = 21700 / 2^20 = 0.0207, P(X <= 6) = 60460 / 2^20 = 0.0577,
 *          so l - 1 = 5: ranks 6 and 15;
 *  n = 10: P(X <= 1) = 11 / 1024 = 0.0107, P(X <= 2) = 56 / 1024 = 0.0547: 2 and 9;
 *  n = 6:  P(X <= 0) = 1 / 64 = 0.0156 (x2 = 0.031), P(X <= 1) = 7 / 64: 1 and 6;
 *  n = 5:  2 P(X <= 0) = 2 / 32 = 0.0625 > 0.05: no rank, [min, max] and 1. */
static void test_median_ci_ranks(void **state)
{
    (void)state;
    /* n, return value, lo, hi: the values above */
    static const int want[][4] = {{20, 0, 6, 15}, {10, 0, 2, 9}, {6, 0, 1, 6}, {5, 1, 1, 5}};
    int lo, hi;
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        assert_int_equal(vsr_timing_median_ci_ranks(want[k][0], &lo, &hi), want[k][1]);
        assert_int_equal(lo, want[k][2]);
        assert_int_equal(hi, want[k][3]);
    }
    assert_int_equal(vsr_timing_median_ci_ranks(0, &lo, &hi), -EINVAL);
    /* n = 100: the normal approximation 50 -/+ 1.96 * 5 gives ranks 40 and 61; the
     * exact binomial (P(X <= 39) = 0.0176, P(X <= 40) = 0.0284) gives 40 and 61 */
    assert_int_equal(vsr_timing_median_ci_ranks(100, &lo, &hi), 0);
    assert_int_equal(lo, 40);
    assert_int_equal(hi, 61);
}

/* the interval of 20 samples 1..20 (shuffled) is [6, 15] */
static void test_median_ci_values(void **state)
{
    (void)state;
    double s[20];
    for (int i = 0; i < 20; i++)
        s[i] = (double)((i * 7) % 20 + 1); /* 7 is coprime to 20: a permutation of 1..20 */
    vsr_timing_stats t;
    assert_int_equal(vsr_timing_stats_compute(s, 20, 0, NAN, &t, NULL), 0);
    assert_float_equal(t.median_ms, 10.5, 0);
    assert_float_equal(t.median_lo_ms, 6, 0);
    assert_float_equal(t.median_hi_ms, 15, 0);
    assert_float_equal(t.total_ms, 210, 0);
}

/* a fake clock: every read advances it by step ms */
struct fake_clock {
    double t, step;
};

static double fake_now(void *ctx)
{
    struct fake_clock *c = ctx;
    c->t += c->step;
    return c->t;
}

static int nop_call(void *ctx, int i, vsr_error *err)
{
    (void)ctx, (void)i, (void)err;
    return 0;
}

/* Two reads per timed call, each +5 ms: every sample is 5 ms. */
static void test_stopping_rule(void **state)
{
    (void)state;
    struct fake_clock clk = {0, 5};
    vsr_timing_rule r = {
        .warmup = 2, .min_runs = 3, .min_secs = 0.1, .clock_ms = fake_now, .clock_ctx = &clk};
    double *smp = NULL;
    int n = 0;
    vsr_timing_stats t;
    /* min_secs dominates: 100 ms / 5 ms = 20 samples */
    assert_int_equal(vsr_timing_measure_rule(nop_call, NULL, &r, &smp, &n, &t, NULL), 0);
    assert_int_equal(n, 20);
    assert_int_equal(t.count, 20);
    assert_float_equal(t.median_ms, 5, 1e-12);
    assert_float_equal(t.first_ms, 5, 1e-12);
    free(smp);
    /* min_runs dominates: 30 samples take 150 ms > 100 ms */
    r.min_runs = 30;
    assert_int_equal(vsr_timing_measure_rule(nop_call, NULL, &r, &smp, &n, &t, NULL), 0);
    assert_int_equal(n, 30);
    free(smp);
    /* max_runs caps a min_secs that would take 200 samples */
    r.min_runs = 3, r.min_secs = 1.0, r.max_runs = 50;
    assert_int_equal(vsr_timing_measure_rule(nop_call, NULL, &r, &smp, &n, &t, NULL), 0);
    assert_int_equal(n, 50);
    free(smp);
    /* the predicate itself */
    vsr_timing_rule q = {.min_runs = 10, .min_secs = 2.0};
    assert_false(vsr_timing_enough(&q, 9, 5000));
    assert_false(vsr_timing_enough(&q, 10, 1999));
    assert_true(vsr_timing_enough(&q, 10, 2000));
    r.max_runs = 2; /* below min_runs */
    assert_int_equal(vsr_timing_measure_rule(nop_call, NULL, &r, &smp, &n, &t, NULL), -EINVAL);
    assert_null(smp);
}

/* Thresholds: interval width 10% of the median, other processes 10%, steal 2%. */
static void test_noisy(void **state)
{
    (void)state;
    char why[256];
    vsr_timing_stats s = {.median_ms = 10, .median_lo_ms = 9.6, .median_hi_ms = 10.5};
    vsr_timing_env env = {.other_cpu = 0.05, .steal = 0.0, .load1 = 1.0};
    /* width 0.9 ms = 9% */
    assert_int_equal(vsr_timing_noisy(&s, &env, why, sizeof(why)), 0);
    assert_string_equal(why, "");
    s.median_hi_ms = 10.7; /* 11% */
    assert_int_equal(vsr_timing_noisy(&s, &env, why, sizeof(why)), 1);
    assert_string_equal(why, "median interval 11% of the median > 10%");
    s.median_hi_ms = 10.5;
    env.other_cpu = 0.48;
    assert_int_equal(vsr_timing_noisy(&s, &env, why, sizeof(why)), 1);
    assert_string_equal(why, "other processes took 48% of the CPUs > 10%");
    env.other_cpu = 0.10; /* at the threshold: not noisy */
    env.steal = 0.03;
    s.median_hi_ms = 11.0;
    assert_int_equal(vsr_timing_noisy(&s, &env, why, sizeof(why)), 1);
    assert_string_equal(why, "median interval 14% of the median > 10%; steal 3% > 2%");
    env.other_cpu = NAN, env.steal = NAN; /* unknown: spread only */
    s.median_hi_ms = 10.5;
    assert_int_equal(vsr_timing_noisy(&s, &env, why, sizeof(why)), 0);
    assert_int_equal(vsr_timing_noisy(&s, NULL, why, sizeof(why)), 0);
}

/* The shares from probe deltas: 200 ticks total, 150 busy, of which this process
 * took 0.5 s = 50 ticks at 100 ticks/s: others 100 / 200 = 50%; steal 10 / 200. */
static void test_env_shares(void **state)
{
    (void)state;
    vsr_timing_probe a = {1, 1000, 400, 5, 2.0, 3}, b = {1, 1200, 550, 15, 2.5, 10};
    vsr_timing_env_acc acc = {0};
    vsr_timing_env_add(&acc, &a, &b, 100);
    vsr_timing_env env;
    vsr_timing_env_finish(&acc, 2, &env);
    assert_float_equal(env.other_cpu, 0.5, 1e-12);
    assert_float_equal(env.steal, 0.05, 1e-12);
    assert_int_equal(env.invol_csw, 7);
    assert_int_equal(env.threads, 2);
    /* tick noise is not clipped per stretch: a second stretch where busy shows
     * 10 ticks but this process used 0.15 s (15 ticks) takes 5 ticks back:
     * (100 + 10 - 15) / (200 + 20) */
    vsr_timing_probe c = {1, 1220, 560, 15, 2.65, 10};
    vsr_timing_env_add(&acc, &b, &c, 100);
    vsr_timing_env_finish(&acc, 2, &env);
    assert_float_equal(env.other_cpu, 95.0 / 220.0, 1e-12);
    /* an unreadable /proc/stat makes the shares unknown, not zero */
    vsr_timing_probe bad = {0};
    vsr_timing_env_acc acc2 = {0};
    vsr_timing_env_add(&acc2, &a, &bad, 100);
    vsr_timing_env_finish(&acc2, 1, &env);
    assert_true(isnan(env.other_cpu));
    assert_int_equal(env.invol_csw, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_odd_sample),       cmocka_unit_test(test_even_sample),
        cmocka_unit_test(test_p95_nearest_rank), cmocka_unit_test(test_bad_samples),
        cmocka_unit_test(test_format),           cmocka_unit_test(test_measure),
        cmocka_unit_test(test_median_ci_ranks),  cmocka_unit_test(test_median_ci_values),
        cmocka_unit_test(test_stopping_rule),    cmocka_unit_test(test_noisy),
        cmocka_unit_test(test_env_shares),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
