/* Pareto front (min x = ms, max y = PSNR) on hand-checked cases. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "vsr/reports.h"

static void check(const double *x, const double *y, size_t n, const unsigned char *want)
{
    unsigned char got[16];
    memset(got, 0xAA, sizeof(got));
    long count = vsr_report_pareto(x, y, n, got);
    long want_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            print_error("point %zu (x=%g, y=%g): on_front %d, expected %d\n", i, x[i], y[i],
                        got[i], want[i]);
        assert_int_equal(got[i], want[i]);
        want_count += want[i];
    }
    assert_int_equal(count, want_count);
}

static void test_single_point(void **state)
{
    (void)state;
    double x[] = {5}, y[] = {30};
    unsigned char want[] = {1};
    check(x, y, 1, want);
}

static void test_empty(void **state)
{
    (void)state;
    unsigned char got[1];
    assert_int_equal(vsr_report_pareto(NULL, NULL, 0, got), 0);
}

/* A staircase: (1,20) (2,25) (4,27) are the front; (3,24) is beaten by (2,25),
 * (5,26) by (4,27), (6,10) by everything. */
static void test_dominated(void **state)
{
    (void)state;
    double x[] = {3, 1, 6, 4, 2, 5}, y[] = {24, 20, 10, 27, 25, 26};
    unsigned char want[] = {0, 1, 0, 1, 1, 0};
    check(x, y, 6, want);
}

/* Ties: same x, lower y is dominated; same y, larger x is dominated. */
static void test_ties(void **state)
{
    (void)state;
    /* (2,25) vs (2,24): same ms, less PSNR -> dominated.
     * (3,25) vs (2,25): same PSNR, slower -> dominated.
     * (1,20) fastest -> front. (4,26) best PSNR -> front. */
    double x[] = {2, 2, 3, 1, 4}, y[] = {25, 24, 25, 20, 26};
    unsigned char want[] = {1, 0, 0, 1, 1};
    check(x, y, 5, want);
}

/* Exact duplicates do not dominate each other: both copies stay on the front;
 * duplicates of a dominated point are all off it. */
static void test_duplicates(void **state)
{
    (void)state;
    double x[] = {2, 1, 2, 3, 3}, y[] = {25, 20, 25, 22, 22};
    unsigned char want[] = {1, 1, 1, 0, 0};
    check(x, y, 5, want);
}

/* NAN coordinates are never on the front and do not dominate. */
static void test_nan(void **state)
{
    (void)state;
    double x[] = {NAN, 2, 1}, y[] = {99, 25, NAN};
    unsigned char want[] = {0, 1, 0};
    check(x, y, 3, want);
}

/* All points equal: all on the front. */
static void test_all_equal(void **state)
{
    (void)state;
    double x[] = {7, 7, 7}, y[] = {30, 30, 30};
    unsigned char want[] = {1, 1, 1};
    check(x, y, 3, want);
}

/* The brute-force definition on a pseudo-random set agrees with the sweep. */
/* Noisy points: (1, 30) would dominate (2, 29) and (3, 28); marked noisy it
 * is off the front and hides nothing, so (2, 29) leads it. */
static void test_noisy_excluded(void **state)
{
    (void)state;
    const double x[] = {1, 2, 3, 4}, y[] = {30, 29, 28, 31};
    const unsigned char noisy[] = {1, 0, 0, 0}, want[] = {0, 1, 0, 1};
    unsigned char f[4];
    assert_int_equal(vsr_report_pareto_clean(x, y, noisy, 4, f), 2);
    assert_memory_equal(f, want, 4);
    const unsigned char all_clean[] = {1, 0, 0, 1};
    assert_int_equal(vsr_report_pareto_clean(x, y, NULL, 4, f), 2);
    assert_memory_equal(f, all_clean, 4);
}

static void test_brute_force(void **state)
{
    (void)state;
    enum { N = 16 };
    double x[N], y[N];
    unsigned char want[N];
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (double)((s >> 16) % 5); /* few distinct values: many ties */
        s = s * 1103515245u + 12345u;
        y[i] = (double)((s >> 16) % 5);
    }
    for (int i = 0; i < N; i++) {
        want[i] = 1;
        for (int j = 0; j < N; j++)
            if (x[j] <= x[i] && y[j] >= y[i] && (x[j] < x[i] || y[j] > y[i]))
                want[i] = 0;
    }
    check(x, y, N, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_point),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_noisy_excluded),
        cmocka_unit_test(test_dominated),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_nan),
        cmocka_unit_test(test_all_equal),
        cmocka_unit_test(test_brute_force),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
