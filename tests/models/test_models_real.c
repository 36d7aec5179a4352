/*
 * Real-model checks on ../shared/data (skipped with a message when absent):
 *  - imported SWRN (.npy + name map) on Vid4 BI x4 beats bicubic in Y-PSNR
 *    on every clip (first 3 frames, a 256x192 crop, to stay fast under ASan;
 *    full clips: tools/bench_models_quality.c, numbers in docs/MODELS.md);
 *  - imported ABPN x3 INT8 (QAT .tflite, the file's own quantization) on
 *    Set5 with x3 BI inputs made from HR beats bicubic x3;
 *  - the FP32 ABPN x3 weights (fp32_npy) in FP32, FP16 and INT8 (own
 *    calibration) agree within 0.3 dB.
 * PSNR: vsr_metrics_psnr (BT.601 Y, crop border = scale).
 */
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"

static double ypsnr(const vsr_frame *gt, const vsr_frame *sr, int border)
{
    double p = 0;
    vsr_error err = {0};
    int rc = vsr_metrics_psnr(gt, sr, border, 1, NULL, &p, &err);
    if (rc)
        print_message("psnr: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return p;
}

/* Crop of w x h at the centre of @p f as an owned copy. */
static void centre_crop(const vsr_frame *f, int w, int h, vsr_frame *out)
{
    vsr_frame v;
    vsr_error err = {0};
    int cw = w < f->width ? w : f->width, ch = h < f->height ? h : f->height;
    assert_int_equal(
        vsr_frame_view(&v, f, (f->width - cw) / 2, (f->height - ch) / 2, cw, ch, &err), 0);
    assert_int_equal(vsr_frame_copy(out, &v, &err), 0);
}

static void run_frames(vsr_engine *e, const vsr_models_entry *ent, int scale,
                       const vsr_frame *lr, int n, vsr_frame *sr)
{
    vsr_error err = {0};
    vsr_models_step st;
    vsr_models_runner *r = NULL;
    assert_int_equal(
        vsr_models_engine_step(e, ent->in_channels, ent->state_channels, &st, &err), 0);
    assert_int_equal(vsr_models_runner_create(ent->temporal, scale, &st, &r, &err), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(
            vsr_frame_alloc(&sr[i], lr[i].width * scale, lr[i].height * scale, 3, &err), 0);
    int rc = vsr_models_run_clip(r, lr, n, sr, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    vsr_models_runner_free(&r);
    vsr_models_engine_step_free(&st);
}

static void test_swrn_vid4(void **state)
{
    (void)state;
    char dir[1024], map[1024], gtdir[1024];
    VSR_SKIP_WITHOUT_SHARED(dir, "data/weights/swrn/npy");
    VSR_SKIP_WITHOUT_SHARED(gtdir, "data/vid4/GT");
    snprintf(map, sizeof(map), "%s/models/maps/swrn.yaml", getenv("VSR_SOURCE_DIR"));
    const vsr_models_entry *ent = vsr_models_zoo_find("SWRN");
    vsr_graph *g = NULL;
    vsr_engine *e = NULL;
    vsr_error err = {0};
    enum { NF = 3, CW = 256, CH = 192 };
    assert_int_equal(vsr_models_build(&ent->hp, ent->name, CH / 4, CW / 4, &g, &err), 0);
    int rc = vsr_models_import_npy(g, dir, map, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err), 0);
    static const char *const clips[] = {"calendar", "city", "foliage", "walk"};
    for (int c = 0; c < 4; c++) {
        vsr_frame gt[NF] = {{0}}, lr[NF] = {{0}}, sr[NF] = {{0}};
        for (int t = 0; t < NF; t++) {
            char p[1200];
            vsr_frame full = {0};
            snprintf(p, sizeof(p), "%s/%s/%08d.png", gtdir, clips[c], t);
            assert_int_equal(vsr_image_read(p, 3, &full, &err), 0);
            centre_crop(&full, CW, CH, &gt[t]);
            vsr_frame_free(&full);
            assert_int_equal(vsr_degrade_bi(&gt[t], 4, &lr[t], &err), 0);
        }
        run_frames(e, ent, 4, lr, NF, sr);
        double ps = 0, pb = 0;
        for (int t = 0; t < NF; t++) {
            vsr_frame bic = {0};
            assert_int_equal(vsr_imresize_u8(&lr[t], 4.0, &bic, &err), 0);
            ps += ypsnr(&gt[t], &sr[t], 4) / NF;
            pb += ypsnr(&gt[t], &bic, 4) / NF;
            vsr_frame_free(&bic);
            vsr_frame_free(&gt[t]);
            vsr_frame_free(&lr[t]);
            vsr_frame_free(&sr[t]);
        }
        print_message("SWRN %-8s Y-PSNR %.2f dB, bicubic %.2f dB (%d frames, %dx%d crop)\n",
                      clips[c], ps, pb, NF, CW, CH);
        assert_true(ps > pb);
    }
    vsr_engine_free(&e);
    vsr_graph_free(&g);
}

/* Set5 HR centre crops (multiple of 3), x3 BI LR made from them. */
enum { S5_CROP = 192, S5_N = 5 };

static void load_set5_x3(const char *dir, vsr_frame *gt, vsr_frame *lr)
{
    vsr_error err = {0};
    for (int i = 0; i < S5_N; i++) {
        char p[1200];
        vsr_frame full = {0};
        snprintf(p, sizeof(p), "%s/img_%03d_SRF_4_HR.png", dir, i + 1);
        assert_int_equal(vsr_image_read(p, 3, &full, &err), 0);
        centre_crop(&full, S5_CROP, S5_CROP, &gt[i]);
        vsr_frame_free(&full);
        assert_int_equal(vsr_degrade_bi(&gt[i], 3, &lr[i], &err), 0);
    }
}

static double mean_psnr_engine(vsr_engine *e, const vsr_frame *gt, const vsr_frame *lr)
{
    const vsr_models_entry *ent = vsr_models_zoo_find("ABPN_x3");
    double sum = 0;
    for (int i = 0; i < S5_N; i++) {
        vsr_frame sr;
        run_frames(e, ent, 3, &lr[i], 1, &sr);
        sum += ypsnr(&gt[i], &sr, 3);
        vsr_frame_free(&sr);
    }
    return sum / S5_N;
}

static double mean_psnr_bicubic(const vsr_frame *gt, const vsr_frame *lr)
{
    double sum = 0;
    vsr_error err = {0};
    for (int i = 0; i < S5_N; i++) {
        vsr_frame b = {0};
        assert_int_equal(vsr_imresize_u8(&lr[i], 3.0, &b, &err), 0);
        sum += ypsnr(&gt[i], &b, 3);
        vsr_frame_free(&b);
    }
    return sum / S5_N;
}

static void test_abpn_int8_tflite_set5(void **state)
{
    (void)state;
    char tfl[1024], s5[1024];
    VSR_SKIP_WITHOUT_SHARED(tfl, "data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3_qat.tflite");
    VSR_SKIP_WITHOUT_SHARED(s5, "data/sisr/Set5/x4");
    vsr_frame gt[S5_N] = {{0}}, lr[S5_N] = {{0}};
    load_set5_x3(s5, gt, lr);
    vsr_models_tflite m;
    vsr_error err = {0};
    assert_int_equal(vsr_models_tflite_read(tfl, &m, &err), 0);
    vsr_models_tflite_import opt = {S5_CROP / 3, S5_CROP / 3, 1};
    vsr_graph *g = NULL;
    int rc = vsr_models_import_tflite(&m, "ABPN_x3_qat", &opt, &g, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    vsr_engine *e = NULL;
    rc = vsr_engine_create(g, VSR_PREC_INT8, NULL, NULL, &e, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    double pq = mean_psnr_engine(e, gt, lr);
    double pb = mean_psnr_bicubic(gt, lr);
    print_message("ABPN x3 INT8 (QAT tflite) Set5 Y-PSNR %.2f dB, bicubic %.2f dB\n", pq, pb);
    assert_true(pq > pb);
    /* the same graph's dequantized weights in FP32 */
    vsr_engine_free(&e);
    assert_int_equal(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err), 0);
    double pf = mean_psnr_engine(e, gt, lr);
    print_message("  same weights dequantized, FP32: %.2f dB\n", pf);
    assert_true(pf > pb);
    vsr_engine_free(&e);
    vsr_graph_free(&g);
    vsr_models_tflite_free(&m);
    for (int i = 0; i < S5_N; i++) {
        vsr_frame_free(&gt[i]);
        vsr_frame_free(&lr[i]);
    }
}

static void test_abpn_fp32_precisions(void **state)
{
    (void)state;
    char dir[1024], s5[1024], map[1024];
    VSR_SKIP_WITHOUT_SHARED(dir, "data/weights/abpn_x3/fp32_npy");
    VSR_SKIP_WITHOUT_SHARED(s5, "data/sisr/Set5/x4");
    snprintf(map, sizeof(map), "%s/models/maps/abpn_x3.yaml", getenv("VSR_SOURCE_DIR"));
    vsr_frame gt[S5_N] = {{0}}, lr[S5_N] = {{0}};
    load_set5_x3(s5, gt, lr);
    const vsr_models_entry *ent = vsr_models_zoo_find("ABPN_x3");
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_models_build(&ent->hp, ent->name, S5_CROP / 3, S5_CROP / 3, &g, &err),
                     0);
    int rc = vsr_models_import_npy(g, dir, map, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    /* own calibration: min/max over the 5 LR inputs */
    vsr_calib *cal = NULL;
    assert_int_equal(vsr_calib_create(g, NULL, &cal, &err), 0);
    for (int i = 0; i < S5_N; i++) {
        size_t n = (size_t)lr[i].width * lr[i].height * 3;
        float *x = malloc(n * sizeof(float));
        for (int y = 0; y < lr[i].height; y++)
            for (int k = 0; k < lr[i].width * 3; k++)
                x[(size_t)y * lr[i].width * 3 + k] = vsr_frame_row(&lr[i], y)[k];
        const float *in[1] = {x};
        assert_int_equal(vsr_calib_feed(cal, in, lr[i].height, lr[i].width, &err), 0);
        free(x);
    }
    vsr_calib_options co;
    vsr_calib_options_default(&co);
    assert_int_equal(vsr_calib_finish(cal, &co, g, &err), 0);
    vsr_calib_free(&cal);
    double p[3];
    for (int pr = 0; pr < 3; pr++) {
        vsr_engine *e = NULL;
        rc = vsr_engine_create(g, (vsr_precision)pr, NULL, NULL, &e, &err);
        if (rc)
            print_message("%s\n", err.msg);
        assert_int_equal(rc, 0);
        p[pr] = mean_psnr_engine(e, gt, lr);
        vsr_engine_free(&e);
    }
    double pb = mean_psnr_bicubic(gt, lr);
    print_message(
        "ABPN x3 fp32_npy Set5 Y-PSNR: FP32 %.3f, FP16 %.3f, INT8 %.3f dB (bicubic %.2f)\n",
        p[0], p[1], p[2], pb);
    assert_true(p[0] > pb);
    assert_true(fabs(p[0] - p[1]) < 0.3 && fabs(p[0] - p[2]) < 0.3 && fabs(p[1] - p[2]) < 0.3);
    vsr_graph_free(&g);
    for (int i = 0; i < S5_N; i++) {
        vsr_frame_free(&gt[i]);
        vsr_frame_free(&lr[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swrn_vid4),
        cmocka_unit_test(test_abpn_int8_tflite_set5),
        cmocka_unit_test(test_abpn_fp32_precisions),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
