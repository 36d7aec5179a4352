#include <string.h>

#include "testutil.h"
#include "vsr/core.h"

static void test_parse_long(void **state)
{
    (void)state;
    vsr_error err = {0};
    long v = 0;
    assert_int_equal(vsr_parse_long("42", 0, 100, &v, "--n", &err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(vsr_parse_long("-7", -10, 10, &v, "--n", &err), 0);
    assert_int_equal(v, -7);
    assert_int_equal(vsr_parse_long("4x", 0, 100, &v, "--n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "'4x' is not an integer"));
    assert_int_equal(vsr_parse_long("", 0, 100, &v, "--n", &err), -EINVAL);
    assert_int_equal(vsr_parse_long("101", 0, 100, &v, "--n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_int_equal(vsr_parse_long("99999999999999999999", 0, 100, &v, "--n", &err), -EINVAL);
}

static void test_parse_list(void **state)
{
    (void)state;
    vsr_error err = {0};
    long v[4];
    int n = 0;
    assert_int_equal(vsr_parse_long_list("0,64,128", 0, 4096, v, 4, &n, "--tiles", &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 128);
    assert_int_equal(vsr_parse_long_list("1,,2", 0, 9, v, 4, &n, "--t", &err), -EINVAL);
    assert_int_equal(vsr_parse_long_list("1,2,3,4,5", 0, 9, v, 4, &n, "--t", &err), -EINVAL);
    double d = 0;
    assert_int_equal(vsr_parse_double("0.25", 0, 1, &d, "x", &err), 0);
    assert_true(d == 0.25);
    assert_int_equal(vsr_parse_double("nan", 0, 1, &d, "x", &err), -EINVAL);
}

static void test_error_wrap(void **state)
{
    (void)state;
    vsr_error err = {0};
    assert_int_equal(vsr_error_set(&err, -ENOENT, "%s: no such file", "a.png"), -ENOENT);
    assert_int_equal(vsr_error_wrap(&err, -EIO, "clip %s", "walk"), -ENOENT);
    assert_string_equal(err.msg, "clip walk: a.png: no such file");
    assert_int_equal(vsr_error_set(NULL, -EIO, "dropped"), -EIO);
}

static void test_frame_view(void **state)
{
    (void)state;
    vsr_frame f, v, c;
    vsr_error err = {0};
    assert_int_equal(vsr_frame_alloc(&f, 5, 4, 3, &err), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 15; x++)
            vsr_frame_row(&f, y)[x] = (uint8_t)(y * 15 + x);
    assert_int_equal(vsr_frame_view(&v, &f, 1, 2, 3, 2, &err), 0);
    assert_int_equal(vsr_frame_row(&v, 1)[0], 3 * 15 + 3);
    assert_int_equal(vsr_frame_view(&v, &f, 3, 0, 3, 1, &err), -EINVAL);
    assert_int_equal(vsr_frame_view(&v, &f, 1, 2, 3, 2, &err), 0);
    assert_int_equal(vsr_frame_copy(&c, &v, &err), 0);
    assert_int_equal(c.stride, 9);
    assert_int_equal(vsr_frame_row(&c, 1)[8], 3 * 15 + 11);
    assert_int_equal(vsr_frame_alloc(&v, 0, 4, 3, &err), -EINVAL);
    vsr_frame_free(&c);
    vsr_frame_free(&f);
}

/* Checked sizes: 25376 * 347 * 1607 * 325905143 = 2^62 + 3168 (its prime
 * factors 2^5 * 13 * 61 * 347 * 1607 * 325905143, by sympy.factorint), and
 * times 4 bytes that is 2^64 + 12672: an overflow, not 12672. */
static void test_size_checked(void **state)
{
    (void)state;
    size_t r = 7;
    const int64_t wrap[4] = {25376, 347, 1607, 325905143};
    assert_int_equal(vsr_size_mul_n(wrap, 4, &r), 0);
    assert_true(r == ((size_t)1 << 62) + 3168);
    assert_int_equal(vsr_size_mul(r, 4, &r), -EOVERFLOW);
    assert_true(r == ((size_t)1 << 62) + 3168); /* unchanged on error */
    assert_int_equal(vsr_size_mul(r, 3, &r), 0);
    const int64_t big[3] = {INT64_C(1) << 31, INT64_C(1) << 31, INT64_C(1) << 31};
    assert_int_equal(vsr_size_mul_n(big, 3, &r), -EOVERFLOW);
    const int64_t zero[4] = {INT64_C(1) << 40, INT64_C(1) << 40, 0, 5};
    assert_int_equal(vsr_size_mul_n(zero, 4, &r), 0);
    assert_true(r == 0);
    const int64_t neg[2] = {3, -1};
    assert_int_equal(vsr_size_mul_n(neg, 2, &r), -EINVAL);
    assert_int_equal(vsr_size_mul_n(NULL, 0, &r), 0);
    assert_true(r == 1);
    assert_int_equal(vsr_size_add(SIZE_MAX - 1, 1, &r), 0);
    assert_true(r == SIZE_MAX);
    assert_int_equal(vsr_size_add(SIZE_MAX, 1, &r), -EOVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_checked), cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_parse_list),   cmocka_unit_test(test_error_wrap),
        cmocka_unit_test(test_frame_view),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
