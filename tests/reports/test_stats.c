/*
 * The paired bootstrap of reports/stats.c against values computed
 * independently by tests/reports/bootstrap_ref.py (numpy's percentile on a
 * Python splitmix64 written from the documented algorithm; rerun it with
 * /usr/bin/python3 tests/reports/bootstrap_ref.py), and cases worked by hand.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "vsr/reports.h"

static const double C1[] = {0.25, -0.5, 0.75, 0.125, 1.0, 0.5, -0.25};
static const size_t C1_LEN[] = {4, 3};

static void test_against_numpy(void **state)
{
    (void)state;
    double lo, hi;
    vsr_error err = {0};
    /* bootstrap_ref.py case1: 2000 resamples, seed 14, 95% */
    assert_int_equal(vsr_report_bootstrap_ci(C1, C1_LEN, 2, 2000, 14, 0.95, &lo, &hi, &err), 0);
    assert_true(fabs(lo - -0.072916666666666671) < 1e-12);
    assert_true(fabs(hi - 0.640625) < 1e-12);
    /* case2: 7 resamples, seed 1: the type-7 interpolation between order statistics */
    assert_int_equal(vsr_report_bootstrap_ci(C1, C1_LEN, 2, 7, 1, 0.95, &lo, &hi, &err), 0);
    assert_true(fabs(lo - 0.12734375000000001) < 1e-12);
    assert_true(fabs(hi - 0.42942708333333335) < 1e-12);
    /* the same seed gives the same interval */
    double lo2, hi2;
    assert_int_equal(vsr_report_bootstrap_ci(C1, C1_LEN, 2, 7, 1, 0.95, &lo2, &hi2, &err), 0);
    assert_true(lo2 == lo && hi2 == hi);
}

static void test_by_hand(void **state)
{
    (void)state;
    double lo, hi;
    vsr_error err = {0};
    /* Constant differences: every resample has the same mean, 0.5. */
    static const double k[] = {0.5, 0.5, 0.5, 0.5};
    static const size_t kl[] = {1, 3};
    assert_int_equal(vsr_report_bootstrap_ci(k, kl, 2, 500, 3, 0.95, &lo, &hi, &err), 0);
    assert_true(lo == 0.5 && hi == 0.5);
    /* One frame per clip: nothing to resample within a clip, so every
     * statistic is the mean of the clip values, (1 + 2 + 6) / 3 = 3. */
    static const double one[] = {1, 2, 6};
    static const size_t ol[] = {1, 1, 1};
    assert_int_equal(vsr_report_bootstrap_ci(one, ol, 3, 100, 9, 0.95, &lo, &hi, &err), 0);
    assert_true(lo == 3 && hi == 3);
    /* Two frames {0, 1}: a resample mean is 0, 0.5 or 1, so the interval
     * lies in [0, 1] and, with 2000 resamples (P(0) = 1/4), its ends are
     * 0 and 1 (the 2.5% and 97.5% quantiles fall inside the outer quarters). */
    static const double two[] = {0, 1};
    static const size_t tl[] = {2};
    assert_int_equal(vsr_report_bootstrap_ci(two, tl, 1, 2000, 5, 0.95, &lo, &hi, &err), 0);
    assert_true(lo == 0 && hi == 1);
}

static void test_bad_input(void **state)
{
    (void)state;
    double lo = 0, hi = 0;
    vsr_error err = {0};
    static const double inf[] = {1, INFINITY};
    static const size_t l2[] = {2};
    assert_int_equal(vsr_report_bootstrap_ci(inf, l2, 1, 10, 1, 0.95, &lo, &hi, &err), -EDOM);
    assert_true(isnan(lo) && isnan(hi));
    static const size_t l0[] = {0};
    assert_int_equal(vsr_report_bootstrap_ci(inf, l0, 1, 10, 1, 0.95, &lo, &hi, &err), -EINVAL);
    assert_int_equal(vsr_report_bootstrap_ci(inf, l2, 1, 0, 1, 0.95, &lo, &hi, &err), -EINVAL);
    assert_int_equal(vsr_report_bootstrap_ci(inf, l2, 1, 10, 1, 1.0, &lo, &hi, &err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_numpy),
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_bad_input),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
