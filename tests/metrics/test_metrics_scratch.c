/*
 * Reusable scratch (metrics_internal.h, issue 20): PSNR, SSIM and NIQE with
 * a caller-held vsr_metrics_scratch give the same bits as the public
 * functions (which allocate per call), keep their buffers across frames of
 * one size (same pointers and sizes: nothing allocated), and stay right
 * when the frame size changes in either direction. The registry instances
 * (which own a scratch each) give the public functions' bits frame after
 * frame, and over eight frames of six sizes (wide, tall, odd; growing and
 * shrinking) every instance (GMSD too) gives a fresh instance's bits.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "metrics_internal.h"

static void fill_frame(vsr_frame *f, int w, int h, int c, unsigned seed)
{
    assert_int_equal(vsr_frame_alloc(f, w, h, c, NULL), 0);
    unsigned s = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * c; x++) {
            s = s * 1103515245u + 12345u;
            /* smooth content plus noise, so NIQE's blocks have finite features */
            const int v =
                128 + (int)(60 * sin(x * 0.05) * cos(y * 0.04)) + (int)((s >> 16) % 31) - 15;
            vsr_frame_row(f, y)[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

enum { M_PSNR, M_PSNR_Y, M_SSIM, M_SSIM_Y, M_NIQE, NM };
static const char *const names[NM] = {"psnr", "psnr_y", "ssim", "ssim_y", "niqe"};

static vsr_metrics_niqe_model *model;

static int setup(void **state)
{
    (void)state;
    vsr_error err = {0};
    return vsr_metrics_niqe_model_load(NULL, &model, &err);
}

static int teardown(void **state)
{
    (void)state;
    vsr_metrics_niqe_model_free(&model);
    return 0;
}

/* Metric @p m with scratch @p s (NULL: the public function). */
static double score(int m, const vsr_frame *a, const vsr_frame *b, pthreadpool_t pool,
                    vsr_metrics_scratch *s)
{
    double v = NAN;
    vsr_error err = {0};
    int rc = -1;
    const int y = m == M_PSNR_Y || m == M_SSIM_Y;
    switch (m) {
    case M_PSNR:
    case M_PSNR_Y:
        rc = s ? vsr_metrics_psnr_s(a, b, 2, y, pool, s, &v, &err)
               : vsr_metrics_psnr(a, b, 2, y, pool, &v, &err);
        break;
    case M_SSIM:
    case M_SSIM_Y:
        rc = s ? vsr_metrics_ssim_s(a, b, 2, y, pool, s, &v, &err)
               : vsr_metrics_ssim(a, b, 2, y, pool, &v, &err);
        break;
    default:
        rc = s ? vsr_metrics_niqe_s(b, model, 2, VSR_NIQE_Y, pool, s, &v, &err)
               : vsr_metrics_niqe(b, model, 2, VSR_NIQE_Y, pool, &v, &err);
    }
    if (rc < 0)
        fail_msg("%s: %s", names[m], err.msg);
    return v;
}

static void test_scratch_same_bits_no_realloc(void **state)
{
    (void)state;
    vsr_frame a = {0}, b = {0}, sa = {0}, sb = {0};
    fill_frame(&a, 260, 210, 3, 1);
    fill_frame(&b, 260, 210, 3, 2);
    fill_frame(&sa, 203, 198, 3, 3); /* smaller, odd */
    fill_frame(&sb, 203, 198, 3, 4);
    pthreadpool_t pool = pthreadpool_create(2);
    for (int m = 0; m < NM; m++)
        for (int t = 0; t < 2; t++) {
            pthreadpool_t p = t ? pool : NULL;
            vsr_metrics_scratch s = {0};
            const double big = score(m, &a, &b, p, NULL), small = score(m, &sa, &sb, p, NULL);
            assert_true(isfinite(big) && isfinite(small));
            assert_true(score(m, &a, &b, p, &s) == big);
            const vsr_metrics_scratch snap = s;
            /* the same size again, then a smaller one: no buffer moves or grows */
            assert_true(score(m, &a, &b, p, &s) == big);
            assert_true(score(m, &sa, &sb, p, &s) == small);
            assert_memory_equal(&snap, &s, sizeof(s)); /* buffers, sizes, malloc count */
            assert_true(s.allocs > 0);
            vsr_metrics_scratch_free(&s);
            /* growing from the small size gives the right bits too */
            assert_true(score(m, &sa, &sb, p, &s) == small);
            assert_true(score(m, &a, &b, p, &s) == big);
            vsr_metrics_scratch_free(&s);
            for (int i = 0; i < VSR_METRICS_SCRATCH_SLOTS; i++)
                assert_null(s.buf[i]);
            print_message("%s %dT: %.17g %.17g\n", names[m], t + 1, big, small);
        }
    pthreadpool_destroy(pool);
    vsr_frame_free(&a);
    vsr_frame_free(&b);
    vsr_frame_free(&sa);
    vsr_frame_free(&sb);
}

/* Registry instances own a scratch: frame after frame, sizes alternating,
 * the public functions' bits. */
static void test_registry_instances(void **state)
{
    (void)state;
    vsr_frame a = {0}, b = {0}, sa = {0}, sb = {0};
    fill_frame(&a, 260, 210, 3, 5);
    fill_frame(&b, 260, 210, 3, 6);
    fill_frame(&sa, 203, 198, 3, 7);
    fill_frame(&sb, 203, 198, 3, 8);
    static const struct {
        const char *name;
        int metric, y;
    } inst[] = {
        {"psnr", M_PSNR, 0},   {"psnr", M_PSNR_Y, 1}, {"ssim", M_SSIM, 0},
        {"ssim", M_SSIM_Y, 1}, {"niqe", M_NIQE, 0},
    };
    for (size_t i = 0; i < sizeof(inst) / sizeof(inst[0]); i++) {
        vsr_metric_config cfg = {.crop_border = 2, .y_channel = inst[i].y};
        vsr_metric_ctx *ctx = NULL;
        vsr_error err = {0};
        assert_int_equal(vsr_metrics_ctx_open(vsr_metrics_find(inst[i].name), &cfg, &ctx, &err),
                         0);
        const double big = score(inst[i].metric, &a, &b, NULL, NULL);
        const double small = score(inst[i].metric, &sa, &sb, NULL, NULL);
        for (int k = 0; k < 4; k++) {
            double v;
            const int s = k == 2;
            assert_int_equal(
                vsr_metrics_ctx_run(ctx, s ? &sa : &a, s ? &sb : &b, NULL, &v, &err), 0);
            assert_true(v == (s ? small : big));
        }
        vsr_metrics_ctx_close(&ctx);
    }
    vsr_frame_free(&a);
    vsr_frame_free(&b);
    vsr_frame_free(&sa);
    vsr_frame_free(&sb);
}

/* One registry instance per metric over a sequence of frames whose sizes go
 * up, down and sideways (wide, tall, odd): each score equals a fresh
 * instance's (opened, run once, closed: buffers allocated for that frame
 * alone), bit for bit, and after the largest frame the instance allocates
 * nothing more. Expected values: the fresh computation, independent of any
 * earlier frame. */
static void test_registry_size_sequence(void **state)
{
    (void)state;
    static const int sizes[][2] = {{260, 210}, {203, 198}, {331, 110}, {110, 301},
                                   {200, 128}, {331, 301}, {203, 198}, {260, 210}};
    enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
    vsr_frame a[NS], b[NS];
    for (int k = 0; k < NS; k++) {
        a[k] = b[k] = (vsr_frame){0};
        fill_frame(&a[k], sizes[k][0], sizes[k][1], 3, 100u + (unsigned)k);
        fill_frame(&b[k], sizes[k][0], sizes[k][1], 3, 200u + (unsigned)k);
    }
    static const struct {
        const char *name;
        int y;
    } inst[] = {{"psnr", 0}, {"psnr", 1}, {"ssim", 0}, {"ssim", 1}, {"niqe", 0}, {"gmsd", 0}};
    pthreadpool_t pool = pthreadpool_create(2);
    for (size_t i = 0; i < sizeof(inst) / sizeof(inst[0]); i++)
        for (int t = 0; t < 2; t++) {
            pthreadpool_t p = t ? pool : NULL;
            const vsr_metric *m = vsr_metrics_find(inst[i].name);
            assert_non_null(m);
            vsr_metric_config cfg = {.crop_border = 2, .y_channel = inst[i].y};
            vsr_metric_ctx *ctx = NULL;
            vsr_error err = {0};
            assert_int_equal(vsr_metrics_ctx_open(m, &cfg, &ctx, &err), 0);
            for (int k = 0; k < NS; k++) {
                double reused = NAN, fresh = NAN;
                vsr_metric_ctx *once = NULL;
                if (vsr_metrics_ctx_run(ctx, &a[k], &b[k], p, &reused, &err) < 0)
                    fail_msg("%s frame %d: %s", inst[i].name, k, err.msg);
                assert_int_equal(vsr_metrics_ctx_open(m, &cfg, &once, &err), 0);
                assert_int_equal(vsr_metrics_ctx_run(once, &a[k], &b[k], p, &fresh, &err), 0);
                vsr_metrics_ctx_close(&once);
                if (!(isfinite(fresh) && reused == fresh))
                    fail_msg("%s%s %dT frame %d (%dx%d): reused %.17g, fresh %.17g",
                             inst[i].name, inst[i].y ? "_y" : "", t + 1, k, sizes[k][0],
                             sizes[k][1], reused, fresh);
            }
            vsr_metrics_ctx_close(&ctx);
        }
    pthreadpool_destroy(pool);
    for (int k = 0; k < NS; k++) {
        vsr_frame_free(&a[k]);
        vsr_frame_free(&b[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scratch_same_bits_no_realloc),
        cmocka_unit_test(test_registry_instances),
        cmocka_unit_test(test_registry_size_sequence),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
