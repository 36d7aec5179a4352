/* binary16 rounding of known values, and the FP16 engine's rounding contract. */
#include "engine_testutil.h"

static void test_f16_known_values(void **state)
{
    (void)state;
    assert_int_equal(vsr_f32_to_f16(1.f / 3.f), 0x3555);
    assert_int_equal(vsr_f32_to_f16(1.f), 0x3c00);
    assert_int_equal(vsr_f32_to_f16(-2.f), 0xc000);
    assert_int_equal(vsr_f32_to_f16(0.1f), 0x2e66);
    assert_int_equal(vsr_f32_to_f16(65504.f), 0x7bff);
    assert_int_equal(vsr_f32_to_f16(65519.f), 0x7bff); /* below the midpoint: max finite */
    assert_int_equal(vsr_f32_to_f16(65520.f), 0x7c00); /* midpoint, ties to even -> inf */
    assert_int_equal(vsr_f32_to_f16(-1e6f), 0xfc00);
    assert_int_equal(vsr_f32_to_f16(INFINITY), 0x7c00);
    uint16_t n = vsr_f32_to_f16(NAN);
    assert_true((n & 0x7c00) == 0x7c00 && (n & 0x3ff) != 0);
    /* ties to even in the normal range: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 */
    assert_int_equal(vsr_f32_to_f16(1.f + ldexpf(1, -11)), 0x3c00);
    assert_int_equal(vsr_f32_to_f16(1.f + 3 * ldexpf(1, -11)), 0x3c02);
    /* subnormals: unit 2^-24 */
    assert_int_equal(vsr_f32_to_f16(ldexpf(1, -24)), 0x0001);
    assert_int_equal(vsr_f32_to_f16(ldexpf(1, -25)), 0x0000);     /* tie -> even (0) */
    assert_int_equal(vsr_f32_to_f16(3 * ldexpf(1, -25)), 0x0002); /* 1.5 units -> 2 */
    assert_int_equal(vsr_f32_to_f16(ldexpf(1, -14)), 0x0400);     /* smallest normal */
    assert_int_equal(vsr_f32_to_f16(ldexpf(1023, -24)), 0x03ff);  /* largest subnormal */
    assert_int_equal(vsr_f32_to_f16(-ldexpf(1, -26)), 0x8000);    /* -0 */
    /* decoding */
    assert_true(vsr_f16_to_f32(0x3555) == 0.333251953125f);
    assert_true(vsr_f16_to_f32(0x7bff) == 65504.f);
    assert_true(vsr_f16_to_f32(0x0001) == ldexpf(1, -24));
    assert_true(isinf(vsr_f16_to_f32(0x7c00)));
    /* round trip of every finite half */
    for (uint32_t h = 0; h < 0x10000; h++)
        if ((h & 0x7c00) != 0x7c00)
            assert_int_equal(vsr_f32_to_f16(vsr_f16_to_f32((uint16_t)h)), h);
}

/* An FP16 conv: every output is a binary16 value and close to FP32. */
static void test_fp16_engine_rounds_outputs(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("t", &g, &err));
    int x = vsr_graph_input(g, "x", 9, 11, 5, &err);
    vsr_conv_params p = vsr_conv_default(7, 3);
    int y = vsr_graph_conv2d(g, "c", x, &p, &err);
    y = vsr_graph_sigmoid(g, "s", y, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    rand_weights(g, 7, -0.5f, 0.5f);
    float in0[9 * 11 * 5];
    fill_rand(in0, sizeof(in0) / 4, 3, 0, 1);
    const float *in[1] = {in0};
    int oh, ow, oc;
    float *a = run_graph(g, VSR_PREC_FP32, NULL, in, 9, 11, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_FP16, NULL, in, 9, 11, 0, &oh, &ow, &oc);
    for (int i = 0; i < oh * ow * oc; i++) {
        assert_true(vsr_f16_to_f32(vsr_f32_to_f16(b[i])) == b[i]);
        assert_true(fabsf(a[i] - b[i]) < 4e-3f);
    }
    free(a);
    free(b);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_known_values),
        cmocka_unit_test(test_fp16_engine_rounds_outputs),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
