/*
 * GMSD through the registry alone (vsr_metrics_find("gmsd")): the
 * VALUES.md numbers for the sample images, a hand-worked 4x4 case, odd
 * sizes against an independent plain-Python reference, the gray/RGB and
 * crop conventions, and reuse of one instance across frame sizes.
 */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "vsr/datasets.h"
#include "vsr/metrics.h"

#define SAMPLES "metric_samples"

static void read_sample(const char *rel, vsr_frame *f)
{
    char path[1024];
    vsr_test_ref(path, sizeof(path), rel);
    vsr_error err = {0};
    if (vsr_image_read(path, 0, f, &err) < 0)
        fail_msg("%s", err.msg);
}

static vsr_metric_ctx *open_gmsd(int crop)
{
    const vsr_metric *m = vsr_metrics_find("gmsd");
    assert_non_null(m);
    vsr_metric_config cfg = {.crop_border = crop};
    vsr_metric_ctx *ctx = NULL;
    vsr_error err = {0};
    if (vsr_metrics_ctx_open(m, &cfg, &ctx, &err) < 0)
        fail_msg("%s", err.msg);
    return ctx;
}

static double run_gmsd_on(vsr_metric_ctx *ctx, const vsr_frame *gt, const vsr_frame *sr,
                          pthreadpool_t pool)
{
    double v = NAN;
    vsr_error err = {0};
    if (vsr_metrics_ctx_run(ctx, gt, sr, pool, &v, &err) < 0)
        fail_msg("%s", err.msg);
    return v;
}

static double run_gmsd(vsr_metric_ctx *ctx, const vsr_frame *gt, const vsr_frame *sr)
{
    return run_gmsd_on(ctx, gt, sr, NULL);
}

/* The LCG frames of the Python reference (see test_python_reference). */
static void lcg_frame(vsr_frame *f, int w, int h, int c, unsigned seed)
{
    assert_int_equal(vsr_frame_alloc(f, w, h, c, NULL), 0);
    unsigned s = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * c; x++) {
            s = s * 1103515245u + 12345u;
            vsr_frame_row(f, y)[x] = (uint8_t)((s >> 16) % 256u);
        }
}

/* ---- VALUES.md: GMSD of SR_bicubic against GT ----------------------------- */

static void test_values(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int crop;
        double gmsd;
    } rows[] = {
        /* tests/reference/metric_samples/VALUES.md, GMSD section (tolerance 1e-6) */
        {"astronaut", 0, 0.109709},
        {"coffee", 0, 0.094360},
        {"astronaut", 4, 0.110377},
        {"coffee", 4, 0.094769},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char rel[256];
        vsr_frame gt = {0}, sr = {0};
        snprintf(rel, sizeof(rel), SAMPLES "/GT/%s.png", rows[i].name);
        read_sample(rel, &gt);
        snprintf(rel, sizeof(rel), SAMPLES "/SR_bicubic/%s.png", rows[i].name);
        read_sample(rel, &sr);
        vsr_metric_ctx *ctx = open_gmsd(rows[i].crop);
        const double v = run_gmsd(ctx, &gt, &sr);
        print_message("gmsd %s crop %d: %.6f (VALUES.md %.6f)\n", rows[i].name, rows[i].crop, v,
                      rows[i].gmsd);
        assert_true(fabs(v - rows[i].gmsd) <= 1e-6);
        /* a second frame on the same instance (reused scratch) gives the same
         * bits, and so does a 2-thread pool (row sums added in row order) */
        assert_true(run_gmsd(ctx, &gt, &sr) == v);
        pthreadpool_t pool = pthreadpool_create(2);
        assert_true(run_gmsd_on(ctx, &gt, &sr, pool) == v);
        pthreadpool_destroy(pool);
        vsr_metrics_ctx_close(&ctx);
        vsr_frame_free(&gt);
        vsr_frame_free(&sr);
    }
}

/* ---- hand-worked ----------------------------------------------------------- */

/*
 * gt: 4x4 gray zeros; sr: 4x4 gray with the top-left 2x2 block at 12.
 * Down-sampled: gt [[0,0],[0,0]], sr [[12,0],[0,0]]. Prewitt with zero
 * padding on sr: (0,0): Ix = Iy = 0 (the 12 is the centre column/row);
 * (0,1): Ix = (0 - 12)/3 = -4, Iy = 0 -> m = 4; (1,0): m = 4 likewise;
 * (1,1): Ix = Iy = -12/3 -> m = sqrt(32). gt has m = 0 everywhere, so
 * q = 170 / (m^2 + 170) = {1, 170/186, 170/186, 170/202}; GMSD is their
 * standard deviation with N-1 = 3 (0.0647925262...; the Python reference
 * below prints 0.06479252623385798 for this case too).
 */
static void test_hand_worked(void **state)
{
    (void)state;
    vsr_frame a = {0}, b = {0};
    assert_int_equal(vsr_frame_alloc(&a, 4, 4, 1, NULL), 0);
    assert_int_equal(vsr_frame_alloc(&b, 4, 4, 1, NULL), 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 2; x++)
            vsr_frame_row(&b, y)[x] = 12;
    const double q[4] = {1.0, 170.0 / 186.0, 170.0 / 186.0, 170.0 / 202.0};
    const double mean = (q[0] + q[1] + q[2] + q[3]) / 4;
    double ss = 0.0;
    for (int i = 0; i < 4; i++)
        ss += (q[i] - mean) * (q[i] - mean);
    const double expect = sqrt(ss / 3);
    vsr_metric_ctx *ctx = open_gmsd(0);
    const double v = run_gmsd(ctx, &a, &b);
    assert_true(fabs(v - expect) < 1e-12);
    assert_true(fabs(v - 0.06479252623385798) < 1e-12);
    /* symmetric in its arguments */
    assert_true(fabs(run_gmsd(ctx, &b, &a) - expect) < 1e-12);
    /* identical images: exactly 0 */
    assert_true(run_gmsd(ctx, &b, &b) == 0.0);
    vsr_metrics_ctx_close(&ctx);
    vsr_frame_free(&a);
    vsr_frame_free(&b);
}

/*
 * Odd sizes (zero padding of the 2x2 mean and of Prewitt), RGB (rgb2gray
 * rounding), crop. Expected values printed once by an independent
 * plain-Python script (numpy is not installed here) that implements
 * MATLAB's conv2 literally (full convolution, then the 'same' central part
 * starting at ceil((k-1)/2)), rgb2gray rounding and std2, on the same LCG
 * frames as lcg_frame(); tests/metrics/gmsd_reference.py, run once by hand (not by ctest).
 */
static void test_python_reference(void **state)
{
    (void)state;
    static const struct {
        int w, h, c;
        unsigned seed_a, seed_b;
        int crop;
        double gmsd;
    } rows[] = {
        {9, 7, 3, 21, 22, 0, 0.07186168558601765},
        {9, 7, 3, 21, 22, 1, 0.029601408451014544},
        {10, 8, 1, 5, 6, 0, 0.06918662737080107},
        {13, 11, 3, 31, 32, 2, 0.04148812727595711},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vsr_frame a = {0}, b = {0};
        lcg_frame(&a, rows[i].w, rows[i].h, rows[i].c, rows[i].seed_a);
        lcg_frame(&b, rows[i].w, rows[i].h, rows[i].c, rows[i].seed_b);
        vsr_metric_ctx *ctx = open_gmsd(rows[i].crop);
        const double v = run_gmsd(ctx, &a, &b);
        print_message("gmsd %dx%dx%d crop %d: %.17g (python %.17g)\n", rows[i].w, rows[i].h,
                      rows[i].c, rows[i].crop, v, rows[i].gmsd);
        assert_true(fabs(v - rows[i].gmsd) < 1e-12);
        vsr_metrics_ctx_close(&ctx);
        vsr_frame_free(&a);
        vsr_frame_free(&b);
    }
}

/* A gray frame scores like its R = G = B expansion: rgb2gray(v, v, v) rounds to v. */
static void test_gray_equals_rgb(void **state)
{
    (void)state;
    vsr_frame ga = {0}, gb = {0}, ra = {0}, rb = {0};
    lcg_frame(&ga, 21, 17, 1, 7);
    lcg_frame(&gb, 21, 17, 1, 8);
    assert_int_equal(vsr_frame_alloc(&ra, 21, 17, 3, NULL), 0);
    assert_int_equal(vsr_frame_alloc(&rb, 21, 17, 3, NULL), 0);
    for (int y = 0; y < 17; y++)
        for (int x = 0; x < 21; x++)
            for (int c = 0; c < 3; c++) {
                vsr_frame_row(&ra, y)[3 * x + c] = vsr_frame_row(&ga, y)[x];
                vsr_frame_row(&rb, y)[3 * x + c] = vsr_frame_row(&gb, y)[x];
            }
    vsr_metric_ctx *ctx = open_gmsd(2);
    const double g = run_gmsd(ctx, &ga, &gb);
    assert_true(g > 0.0);
    assert_true(run_gmsd(ctx, &ra, &rb) == g);
    vsr_metrics_ctx_close(&ctx);
    vsr_frame_free(&ga);
    vsr_frame_free(&gb);
    vsr_frame_free(&ra);
    vsr_frame_free(&rb);
}

static void test_errors_and_registry(void **state)
{
    (void)state;
    const vsr_metric *m = vsr_metrics_find("gmsd");
    assert_non_null(m);
    assert_int_equal(m->needs_ref, 1);
    assert_int_equal(m->higher_better, 0);
    vsr_frame a = {0}, b = {0};
    lcg_frame(&a, 8, 8, 3, 1);
    lcg_frame(&b, 9, 8, 3, 2);
    vsr_metric_ctx *ctx = open_gmsd(3);
    vsr_error err = {0};
    double v;
    /* sizes differ */
    assert_int_equal(vsr_metrics_ctx_run(ctx, &a, &b, NULL, &v, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "gmsd");
    /* 8x8 with crop 3 leaves 2x2: less than the 3x3 minimum */
    assert_int_equal(vsr_metrics_ctx_run(ctx, &a, &a, NULL, &v, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "crop border");
    vsr_metrics_ctx_close(&ctx);
    vsr_metric_config cfg = {.crop_border = -1};
    assert_int_equal(vsr_metrics_ctx_open(m, &cfg, &ctx, &err), -EINVAL);
    assert_null(ctx);
    vsr_frame_free(&a);
    vsr_frame_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_python_reference),
        cmocka_unit_test(test_gray_equals_rgb),
        cmocka_unit_test(test_errors_and_registry),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
