/*
 * Timing statistics on hand-made samples. Definitions under test:
 * median = middle sample (mean of the two middle ones for even n);
 * p95 = nearest rank ceil(0.95 n); std = population std.
 */
#include <math.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_odd_sample),       cmocka_unit_test(test_even_sample),
        cmocka_unit_test(test_p95_nearest_rank), cmocka_unit_test(test_bad_samples),
        cmocka_unit_test(test_format),           cmocka_unit_test(test_measure),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
