/*
 * Metrics against independent values: VALUES.md (BasicSR v1.4.2 reference
 * numbers for the sample images) and small hand-derived cases.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "vsr/datasets.h"
#include "vsr/metrics.h"

#define SAMPLES "metric_samples"

static void read_sample(const char *rel, vsr_frame *f)
{
    char path[1024];
    vsr_test_ref(path, sizeof(path), rel);
    vsr_error err = {0};
    int rc = vsr_image_read(path, 0, f, &err);
    if (rc < 0)
        fail_msg("%s", err.msg);
}

/* ---- VALUES.md: PSNR / SSIM of SR_bicubic against GT ---------------------- */

typedef struct fr_row {
    const char *gt, *sr;
    int crop;
    double psnr, ssim, psnr_y, ssim_y;
} fr_row;

static const fr_row fr_rows[] = {
    {SAMPLES "/GT/astronaut.png", SAMPLES "/SR_bicubic/astronaut.png", 0, 25.582617, 0.820367,
     27.085405, 0.848628},
    {SAMPLES "/GT/coffee.png", SAMPLES "/SR_bicubic/coffee.png", 0, 25.889104, 0.736907,
     27.376571, 0.765244},
    {SAMPLES "/GT/astronaut.png", SAMPLES "/SR_bicubic/astronaut.png", 4, 25.537475, 0.817961,
     27.039641, 0.846252},
    {SAMPLES "/GT/coffee.png", SAMPLES "/SR_bicubic/coffee.png", 4, 25.889229, 0.738583,
     27.379490, 0.766895},
    /* gray: the Y variant is the same image ("(same)" in VALUES.md) */
    {SAMPLES "/GT_gray/camera.png", SAMPLES "/SR_bicubic_gray/camera.png", 4, 26.286893,
     0.748413, 26.286893, 0.748413},
};

static void test_values_psnr_ssim(void **state)
{
    (void)state;
    pthreadpool_t pool = pthreadpool_create(2);
    for (size_t i = 0; i < sizeof(fr_rows) / sizeof(fr_rows[0]); i++) {
        const fr_row *r = &fr_rows[i];
        vsr_frame gt = {0}, sr = {0};
        read_sample(r->gt, &gt);
        read_sample(r->sr, &sr);
        vsr_error err = {0};
        double v[4];
        for (int y = 0; y < 2; y++) {
            /* alternate single-threaded and pooled runs: both must match */
            pthreadpool_t p = (i % 2) ? pool : NULL;
            assert_int_equal(vsr_metrics_psnr(&gt, &sr, r->crop, y, p, &v[2 * y], &err), 0);
            assert_int_equal(vsr_metrics_ssim(&gt, &sr, r->crop, y, p, &v[2 * y + 1], &err), 0);
        }
        print_message("%s crop %d: %.6f %.6f %.6f %.6f\n", r->sr, r->crop, v[0], v[1], v[2],
                      v[3]);
        assert_true(fabs(v[0] - r->psnr) <= 1e-4);
        assert_true(fabs(v[1] - r->ssim) <= 1e-5);
        assert_true(fabs(v[2] - r->psnr_y) <= 1e-4);
        assert_true(fabs(v[3] - r->ssim_y) <= 1e-5);
        vsr_frame_free(&gt);
        vsr_frame_free(&sr);
    }
    pthreadpool_destroy(pool);
}

/* ---- VALUES.md: NIQE ------------------------------------------------------ */

static void test_values_niqe(void **state)
{
    (void)state;
    static const struct {
        const char *img;
        int crop;
        double niqe, tol;
    } rows[] = {
        {SAMPLES "/GT/coffee.png", 0, 4.115242, 1e-3},
        {SAMPLES "/GT/coffee.png", 4, 4.079372, 1e-3},
        {SAMPLES "/GT/astronaut.png", 0, 3.064974, 0.1},
        {SAMPLES "/SR_bicubic/astronaut.png", 0, 7.402709, 0.1},
        {SAMPLES "/SR_bicubic/coffee.png", 0, 7.772345, 0.01},
    };
    /* The model compiled into the library (the default, no file needed) and
     * the same parameters read from the text file in metrics/data/. */
    char model_path[1024];
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    snprintf(model_path, sizeof(model_path), "%s/metrics/data/niqe_pris_params.txt", src);
    vsr_error err = {0};
    vsr_metrics_niqe_model *model = NULL, *from_file = NULL;
    const char *env = getenv("VSR_NIQE_MODEL");
    assert_true(env == NULL || *env == '\0');
    if (vsr_metrics_niqe_model_load(NULL, &model, &err) < 0)
        fail_msg("%s", err.msg);
    if (vsr_metrics_niqe_model_load(model_path, &from_file, &err) < 0)
        fail_msg("%s", err.msg);
    pthreadpool_t pool = pthreadpool_create(2);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vsr_frame f = {0};
        read_sample(rows[i].img, &f);
        double q = 0, q2 = 0;
        assert_int_equal(vsr_metrics_niqe(&f, model, rows[i].crop, VSR_NIQE_Y, NULL, &q, &err),
                         0);
        assert_int_equal(vsr_metrics_niqe(&f, model, rows[i].crop, VSR_NIQE_Y, pool, &q2, &err),
                         0);
        print_message("%s crop %d: niqe %.6f (expected %.6f +- %g)\n", rows[i].img,
                      rows[i].crop, q, rows[i].niqe, rows[i].tol);
        assert_true(fabs(q - rows[i].niqe) <= rows[i].tol);
        assert_true(q == q2); /* block features are independent of the thread count */
        assert_int_equal(
            vsr_metrics_niqe(&f, from_file, rows[i].crop, VSR_NIQE_Y, NULL, &q2, &err), 0);
        assert_true(q == q2); /* the built-in model is the file, digit for digit */
        vsr_frame_free(&f);
    }
    pthreadpool_destroy(pool);
    vsr_metrics_niqe_model_free(&from_file);
    vsr_metrics_niqe_model_free(&model);
    assert_null(model);
}

/* ---- hand-derived cases --------------------------------------------------- */

/* A deterministic pseudo-random frame with values in [lo, hi]. */
static void fill_frame(vsr_frame *f, int w, int h, int c, int lo, int hi, unsigned seed)
{
    assert_int_equal(vsr_frame_alloc(f, w, h, c, NULL), 0);
    unsigned s = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * c; x++) {
            s = s * 1103515245u + 12345u;
            vsr_frame_row(f, y)[x] = (uint8_t)(lo + (s >> 16) % (unsigned)(hi - lo + 1));
        }
}

static void test_psnr_constant_offset(void **state)
{
    (void)state;
    vsr_frame a = {0}, b = {0};
    fill_frame(&a, 37, 23, 3, 10, 200, 1);
    assert_int_equal(vsr_frame_copy(&b, &a, NULL), 0);
    for (int y = 0; y < b.height; y++)
        for (int x = 0; x < b.width * 3; x++)
            vsr_frame_row(&b, y)[x] += 3;
    double p;
    assert_int_equal(vsr_metrics_psnr(&a, &b, 0, 0, NULL, &p, NULL), 0);
    assert_true(fabs(p - 10.0 * log10(255.0 * 255.0 / 9.0)) < 1e-9);
    /* Y: every Y value moves by 3 * (65.481 + 128.553 + 24.966) / 255 = 3 * 219 / 255
     * up to float32 rounding of Y (~1e-5 absolute) */
    const double dy = 3.0 * 219.0 / 255.0;
    assert_int_equal(vsr_metrics_psnr(&a, &b, 0, 1, NULL, &p, NULL), 0);
    assert_true(fabs(p - 10.0 * log10(255.0 * 255.0 / (dy * dy))) < 1e-3);
    /* gray frames: Y is the gray plane */
    vsr_frame ga = {0}, gb = {0};
    fill_frame(&ga, 40, 30, 1, 0, 250, 7);
    assert_int_equal(vsr_frame_copy(&gb, &ga, NULL), 0);
    for (int y = 0; y < gb.height; y++)
        for (int x = 0; x < gb.width; x++)
            vsr_frame_row(&gb, y)[x] += 5;
    assert_int_equal(vsr_metrics_psnr(&ga, &gb, 0, 1, NULL, &p, NULL), 0);
    assert_true(fabs(p - 10.0 * log10(255.0 * 255.0 / 25.0)) < 1e-4);
    vsr_frame_free(&a);
    vsr_frame_free(&b);
    vsr_frame_free(&ga);
    vsr_frame_free(&gb);
}

static void test_identical_inf_and_one(void **state)
{
    (void)state;
    vsr_frame a = {0};
    fill_frame(&a, 64, 48, 3, 0, 255, 3);
    pthreadpool_t pool = pthreadpool_create(2);
    for (int y = 0; y < 2; y++) {
        double p, s;
        assert_int_equal(vsr_metrics_psnr(&a, &a, 0, y, pool, &p, NULL), 0);
        assert_true(isinf(p) && p > 0);
        assert_int_equal(vsr_metrics_ssim(&a, &a, 0, y, pool, &s, NULL), 0);
        assert_true(s == 1.0);
    }
    pthreadpool_destroy(pool);
    vsr_frame_free(&a);
}

static void test_threads_same_bits(void **state)
{
    (void)state;
    /* odd sizes: different stripe and row-pair boundaries with 2 threads;
     * per-row sums are added in row order, so the bits must not change */
    vsr_frame a = {0}, b = {0};
    fill_frame(&a, 157, 83, 3, 0, 255, 21);
    fill_frame(&b, 157, 83, 3, 0, 255, 22);
    pthreadpool_t pool = pthreadpool_create(2);
    for (int y = 0; y < 2; y++) {
        double s1, s2, p1, p2;
        assert_int_equal(vsr_metrics_ssim(&a, &b, 1, y, NULL, &s1, NULL), 0);
        assert_int_equal(vsr_metrics_ssim(&a, &b, 1, y, pool, &s2, NULL), 0);
        assert_int_equal(vsr_metrics_psnr(&a, &b, 1, y, NULL, &p1, NULL), 0);
        assert_int_equal(vsr_metrics_psnr(&a, &b, 1, y, pool, &p2, NULL), 0);
        assert_true(s1 == s2 && p1 == p2);
        assert_true(s1 > -1.0 && s1 < 0.1); /* unrelated noise images */
    }
    pthreadpool_destroy(pool);
    vsr_frame_free(&a);
    vsr_frame_free(&b);
}

static void test_ssim_constant_images(void **state)
{
    (void)state;
    /* flat images: every local variance is 0, so the map is
     * (2 p q + C1) / (p^2 + q^2 + C1) everywhere */
    vsr_frame a = {0}, b = {0};
    assert_int_equal(vsr_frame_alloc(&a, 30, 20, 3, NULL), 0);
    assert_int_equal(vsr_frame_alloc(&b, 30, 20, 3, NULL), 0);
    memset(a.data, 100, (size_t)a.stride * a.height);
    memset(b.data, 140, (size_t)b.stride * b.height);
    const double c1 = 6.5025;
    const double expect = (2.0 * 100 * 140 + c1) / (100.0 * 100 + 140.0 * 140 + c1);
    double s;
    assert_int_equal(vsr_metrics_ssim(&a, &b, 0, 0, NULL, &s, NULL), 0);
    assert_true(fabs(s - expect) < 1e-6); /* float32 map: a few ulps of 1 */
    vsr_frame_free(&a);
    vsr_frame_free(&b);
}

static void test_crop_border(void **state)
{
    (void)state;
    vsr_frame a = {0}, b = {0};
    fill_frame(&a, 20, 20, 3, 0, 255, 11);
    assert_int_equal(vsr_frame_copy(&b, &a, NULL), 0);
    /* a difference in the 2-pixel border only: crop 2 hides it */
    vsr_frame_row(&b, 1)[3 * 5] ^= 0x40;
    vsr_frame_row(&b, 18)[3 * 19 + 2] ^= 0x20;
    double p;
    assert_int_equal(vsr_metrics_psnr(&a, &b, 2, 0, NULL, &p, NULL), 0);
    assert_true(isinf(p));
    assert_int_equal(vsr_metrics_psnr(&a, &b, 1, 0, NULL, &p, NULL), 0);
    assert_true(isfinite(p));
    /* one sample 10 off inside: MSE = 100 / (16 * 16 * 3) over the cropped samples */
    vsr_frame_free(&b);
    assert_int_equal(vsr_frame_copy(&b, &a, NULL), 0);
    uint8_t *s = &vsr_frame_row(&b, 9)[3 * 9 + 1];
    *s = *s >= 128 ? (uint8_t)(*s - 10) : (uint8_t)(*s + 10);
    assert_int_equal(vsr_metrics_psnr(&a, &b, 2, 0, NULL, &p, NULL), 0);
    assert_true(fabs(p - 10.0 * log10(255.0 * 255.0 * 16 * 16 * 3 / 100.0)) < 1e-9);
    /* errors: size mismatch names both sizes; a crop that leaves nothing */
    vsr_frame c = {0};
    fill_frame(&c, 21, 20, 3, 0, 255, 2);
    vsr_error err = {0};
    assert_int_equal(vsr_metrics_psnr(&a, &c, 0, 0, NULL, &p, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "20x20x3"));
    assert_non_null(strstr(err.msg, "21x20x3"));
    assert_int_equal(vsr_metrics_psnr(&a, &b, 10, 0, NULL, &p, &err), -EINVAL);
    assert_int_equal(vsr_metrics_ssim(&a, &b, 5, 0, NULL, &p, &err), -EINVAL); /* 10x10 < 11 */
    vsr_frame_free(&a);
    vsr_frame_free(&b);
    vsr_frame_free(&c);
}

static void test_niqe_errors(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_metrics_niqe_model *model = NULL;
    assert_int_equal(vsr_metrics_niqe_model_load("/nonexistent/niqe.txt", &model, &err),
                     -ENOENT);
    assert_null(model);
    assert_non_null(strstr(err.msg, "/nonexistent/niqe.txt"));
    assert_non_null(strstr(err.msg, "--niqe-model"));

    /* a truncated model file is rejected, naming the file */
    char dir[256], bad[512];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(bad, sizeof(bad), "%s/pris.txt", dir);
    FILE *fp = fopen(bad, "w");
    assert_non_null(fp);
    fprintf(fp, "# mu\n1 2 3\n");
    fclose(fp);
    assert_int_equal(vsr_metrics_niqe_model_load(bad, &model, &err), -EINVAL);
    assert_null(model);
    assert_non_null(strstr(err.msg, bad));
    unlink(bad);
    rmdir(dir);

    /* default: the file $VSR_NIQE_MODEL names, else the built-in model */
    const char *saved = getenv("VSR_NIQE_MODEL");
    char keep[1024] = "";
    if (saved)
        snprintf(keep, sizeof(keep), "%s", saved);
    assert_int_equal(setenv("VSR_NIQE_MODEL", "/elsewhere/pris.txt", 1), 0);
    assert_string_equal(vsr_metrics_niqe_default_path(), "/elsewhere/pris.txt");
    assert_int_equal(vsr_metrics_niqe_model_load(NULL, &model, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/elsewhere/pris.txt"));
    assert_int_equal(unsetenv("VSR_NIQE_MODEL"), 0);
    assert_null(vsr_metrics_niqe_default_path());
    assert_int_equal(vsr_metrics_niqe_model_load(NULL, &model, &err), 0);
    if (saved)
        setenv("VSR_NIQE_MODEL", keep, 1);

    vsr_frame f = {0};
    fill_frame(&f, 150, 96, 3, 0, 255, 5); /* one 96x96 block only */
    double q = 0;
    assert_int_equal(vsr_metrics_niqe(&f, model, 0, VSR_NIQE_Y, NULL, &q, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "96x96"));
    vsr_frame_free(&f);
    fill_frame(&f, 200, 100, 3, 0, 255, 5); /* two blocks, but not after crop 4 */
    assert_int_equal(vsr_metrics_niqe(&f, model, 4, VSR_NIQE_Y, NULL, &q, &err), -EINVAL);
    assert_int_equal(vsr_metrics_niqe(&f, model, 0, VSR_NIQE_Y, NULL, &q, &err), 0);
    assert_true(isfinite(q) && q > 0);
    vsr_frame_free(&f);
    vsr_metrics_niqe_model_free(&model);
}

static void test_stats(void **state)
{
    (void)state;
    vsr_metric_stats s;
    vsr_metrics_stats_init(&s);
    assert_true(isnan(vsr_metrics_stats_mean(&s)));
    vsr_metrics_stats_add(&s, 30.0);
    vsr_metrics_stats_add(&s, INFINITY);
    vsr_metrics_stats_add(&s, 32.0);
    vsr_metrics_stats_add(&s, NAN);
    assert_true(vsr_metrics_stats_mean(&s) == 31.0); /* inf and NaN excluded */
    assert_int_equal(s.n_inf, 1);
    assert_int_equal(s.n_nan, 1);
    assert_int_equal(vsr_metrics_stats_count(&s), 4);
    assert_true(s.min == 30.0 && isinf(s.max));
    /* a clip scored against itself: mean is inf, not a large number */
    vsr_metric_stats t;
    vsr_metrics_stats_init(&t);
    vsr_metrics_stats_add(&t, INFINITY);
    vsr_metrics_stats_add(&t, INFINITY);
    assert_true(isinf(vsr_metrics_stats_mean(&t)));
    /* dataset = mean of clip means, not of all frames */
    vsr_metric_stats c1, c2, ds;
    vsr_metrics_stats_init(&c1);
    vsr_metrics_stats_init(&c2);
    vsr_metrics_stats_init(&ds);
    vsr_metrics_stats_add(&c1, 10.0);
    vsr_metrics_stats_add(&c2, 20.0);
    vsr_metrics_stats_add(&c2, 40.0);
    vsr_metrics_stats_add(&c2, 30.0);
    vsr_metrics_stats_add(&ds, vsr_metrics_stats_mean(&c1));
    vsr_metrics_stats_add(&ds, vsr_metrics_stats_mean(&c2));
    assert_true(vsr_metrics_stats_mean(&ds) == 20.0);
    char buf[32];
    assert_string_equal(vsr_metrics_format(INFINITY, 4, buf, sizeof(buf)), "inf");
    assert_string_equal(vsr_metrics_format(NAN, 4, buf, sizeof(buf)), "nan");
    assert_string_equal(vsr_metrics_format(1.23456, 3, buf, sizeof(buf)), "1.235");
}

static void test_registry(void **state)
{
    (void)state;
    assert_null(vsr_metrics_find("ms-ssim"));
    assert_null(vsr_metrics_find(NULL));
    size_t n = 0;
    for (const vsr_metric *const *m = vsr_metrics_list(); *m; m++, n++)
        assert_ptr_equal(vsr_metrics_find((*m)->name), *m);
    assert_true(n >= 3);
    const vsr_metric *psnr = vsr_metrics_find("psnr");
    assert_non_null(psnr);
    vsr_frame a = {0}, b = {0};
    fill_frame(&a, 33, 21, 3, 0, 255, 8);
    fill_frame(&b, 33, 21, 3, 0, 255, 9);
    vsr_metric_config cfg = {.crop_border = 2, .y_channel = 1};
    vsr_metric_ctx *ctx = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_metrics_ctx_open(psnr, &cfg, &ctx, &err), 0);
    assert_ptr_equal(vsr_metrics_ctx_metric(ctx), psnr);
    double via_ctx, direct;
    assert_int_equal(vsr_metrics_ctx_run(ctx, &a, &b, NULL, &via_ctx, &err), 0);
    assert_int_equal(vsr_metrics_psnr(&a, &b, 2, 1, NULL, &direct, &err), 0);
    assert_true(via_ctx == direct);
    assert_int_equal(vsr_metrics_ctx_run(ctx, NULL, &b, NULL, &via_ctx, &err), -EINVAL);
    vsr_metrics_ctx_close(&ctx);
    assert_null(ctx);
    /* niqe with a missing model fails at open, naming the path */
    cfg.niqe_model_path = "/nonexistent/model.txt";
    assert_int_equal(vsr_metrics_ctx_open(vsr_metrics_find("niqe"), &cfg, &ctx, &err), -ENOENT);
    assert_null(ctx);
    assert_non_null(strstr(err.msg, "/nonexistent/model.txt"));
    vsr_frame_free(&a);
    vsr_frame_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_psnr_ssim),
        cmocka_unit_test(test_values_niqe),
        cmocka_unit_test(test_psnr_constant_offset),
        cmocka_unit_test(test_identical_inf_and_one),
        cmocka_unit_test(test_ssim_constant_images),
        cmocka_unit_test(test_threads_same_bits),
        cmocka_unit_test(test_crop_border),
        cmocka_unit_test(test_niqe_errors),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_registry),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
