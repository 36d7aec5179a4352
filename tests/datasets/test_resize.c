/*
 * imresize against the reference tap tables, BI against metric_samples,
 * BD against the published Vid4 BDx4, Vid4 layout counts and sizes.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datasets_internal.h"
#include "testutil.h"
#include "vsr/datasets.h"

/* Parse imresize_taps.txt and compare every table with ours. */
static void test_taps_reference(void **state)
{
    (void)state;
    char path[4096];
    vsr_test_ref(path, sizeof(path), "imresize_taps.txt");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    vsr_imresize_taps t = {0};
    vsr_error err = {0};
    int tables = 0, rows = 0;
    while (fgets(line, sizeof(line), fp)) {
        int in_len, out_len;
        double scale;
        if (sscanf(line, "# in_len=%d scale=%lf out_len=%d", &in_len, &scale, &out_len) == 3) {
            vsr_imresize_taps_free(&t);
            assert_int_equal(vsr_imresize_taps_compute(in_len, scale, &t, &err), 0);
            assert_int_equal(t.out_len, out_len);
            assert_int_equal(vsr_imresize_out_len(in_len, scale), out_len);
            tables++;
            continue;
        }
        int j, off;
        if (sscanf(line, "out[%d] = %n", &j, &off) != 1)
            continue;
        assert_true(tables > 0);
        assert_in_range(j, 0, t.out_len - 1);
        char *p = line + off;
        int k = 0, idx, n;
        double w;
        while (sscanf(p, "%d:%lf%n", &idx, &w, &n) == 2) {
            assert_true(k < t.ntaps);
            assert_int_equal(t.index[(size_t)j * t.ntaps + k], idx);
            assert_true(fabs(t.weight[(size_t)j * t.ntaps + k] - w) < 1e-9);
            k++;
            p += n;
        }
        assert_int_equal(k, t.ntaps);
        rows++;
    }
    fclose(fp);
    vsr_imresize_taps_free(&t);
    assert_int_equal(tables, 3);
    assert_int_equal(rows, 4 + 4 + 16);
}

/* The end-to-end 8x8 ramp of imresize_taps.txt (values from the reference). */
static void test_ramp(void **state)
{
    (void)state;
    vsr_frame in = {0}, out = {0};
    vsr_error err = {0};
    float fin[64], fout[4];
    assert_int_equal(vsr_frame_alloc(&in, 8, 8, 1, &err), 0);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            vsr_frame_row(&in, i)[j] = (uint8_t)(4 * (8 * i + j));
            fin[8 * i + j] = (float)(4 * (8 * i + j));
        }
    assert_int_equal(vsr_imresize_u8(&in, 0.25, &out, &err), 0);
    assert_int_equal(out.width, 2);
    assert_int_equal(out.height, 2);
    assert_int_equal(vsr_frame_row(&out, 0)[0], 50);
    assert_int_equal(vsr_frame_row(&out, 0)[1], 67);
    assert_int_equal(vsr_frame_row(&out, 1)[0], 185);
    assert_int_equal(vsr_frame_row(&out, 1)[1], 202);
    assert_int_equal(vsr_imresize_f32(fin, 8, 8, 8, 0.25, fout, 2, &err), 0);
    const double want[4] = {49.535152, 66.527336, 185.472656, 202.464844};
    for (int i = 0; i < 4; i++)
        assert_true(fabs(fout[i] - want[i]) < 1e-4);
    vsr_frame_free(&in);
    vsr_frame_free(&out);
}

/* x4 upscaling of a constant image stays constant; sizes are 4x. */
static void test_upscale(void **state)
{
    (void)state;
    vsr_frame in = {0}, out = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_frame_alloc(&in, 5, 3, 3, &err), 0);
    memset(in.data, 77, (size_t)in.stride * 3);
    assert_int_equal(vsr_imresize_u8(&in, 4.0, &out, &err), 0);
    assert_int_equal(out.width, 20);
    assert_int_equal(out.height, 12);
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 60; x++)
            assert_int_equal(vsr_frame_row(&out, y)[x], 77);
    vsr_frame_free(&out);
    vsr_frame_free(&in);
}

static void compare_bi(const char *gt_rel, const char *lr_rel)
{
    char gp[4096], lp[4096];
    vsr_test_ref(gp, sizeof(gp), gt_rel);
    vsr_test_ref(lp, sizeof(lp), lr_rel);
    vsr_frame gt = {0}, ref = {0}, lr = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_image_read(gp, 0, &gt, &err), 0);
    assert_int_equal(vsr_image_read(lp, 0, &ref, &err), 0);
    assert_int_equal(vsr_degrade_bi(&gt, 4, &lr, &err), 0);
    assert_int_equal(lr.width, ref.width);
    assert_int_equal(lr.height, ref.height);
    assert_int_equal(lr.channels, ref.channels);
    int off = 0;
    for (int y = 0; y < lr.height; y++)
        for (int x = 0; x < lr.width * lr.channels; x++) {
            int d = vsr_frame_row(&lr, y)[x] - vsr_frame_row(&ref, y)[x];
            assert_in_range(d + 1, 0, 2);
            off += d != 0;
        }
    print_message("BI %s: %d of %d samples off by one\n", gt_rel, off,
                  lr.width * lr.height * lr.channels);
    assert_true(off <= 5);
    vsr_frame_free(&gt);
    vsr_frame_free(&ref);
    vsr_frame_free(&lr);
}

static void test_bi_astronaut(void **state)
{
    (void)state;
    compare_bi("metric_samples/GT/astronaut.png", "metric_samples/LRx4/astronaut.png");
}

static void test_bi_coffee(void **state)
{
    (void)state;
    compare_bi("metric_samples/GT/coffee.png", "metric_samples/LRx4/coffee.png");
}

static void test_bi_camera_gray(void **state)
{
    (void)state;
    compare_bi("metric_samples/GT_gray/camera.png", "metric_samples/LRx4_gray/camera.png");
}

static double psnr(const vsr_frame *a, const vsr_frame *b)
{
    double s = 0;
    long n = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width * a->channels; x++) {
            double d = (double)vsr_frame_row(a, y)[x] - vsr_frame_row(b, y)[x];
            s += d * d;
            n++;
        }
    return s == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / (s / (double)n));
}

/* BD of Vid4 calendar GT vs the published BDx4 (frames 0 and 20). */
static void test_bd_vid4(void **state)
{
    (void)state;
    char dir[4096];
    VSR_SKIP_WITHOUT_SHARED(dir, "data/vid4/BDx4/calendar");
    static const int frames[] = {0, 20};
    for (size_t i = 0; i < 2; i++) {
        char gp[4200], lp[4200];
        vsr_test_shared(gp, sizeof(gp), "data/vid4/GT/calendar");
        snprintf(gp + strlen(gp), 64, "/%08d.png", frames[i]);
        snprintf(lp, sizeof(lp), "%s/%08d.png", dir, frames[i]);
        vsr_frame gt = {0}, ref = {0}, lr = {0};
        vsr_error err = {0};
        assert_int_equal(vsr_image_read(gp, 3, &gt, &err), 0);
        assert_int_equal(vsr_image_read(lp, 3, &ref, &err), 0);
        assert_int_equal(vsr_degrade_bd(&gt, 4, &lr, &err), 0);
        assert_int_equal(lr.width, 180);
        assert_int_equal(lr.height, 144);
        double p = psnr(&lr, &ref);
        print_message("BD calendar frame %d vs BDx4: PSNR %.3f dB\n", frames[i], p);
        assert_true(p > 45.0);
        /* The documented convention is the best of the alternatives. */
        for (int off = 1; off < 4; off++) {
            vsr_frame alt = {0};
            assert_int_equal(vsr_degrade_bd_ex(&gt, 4, off, VSR_BD_BORDER, &alt, &err), 0);
            assert_true(psnr(&alt, &ref) < p - 10.0);
            vsr_frame_free(&alt);
        }
        static const int alts[] = {VSR_BORDER_REPLICATE,
                                   VSR_BORDER_REFLECT101 | VSR_BD_TRUNCATE,
                                   VSR_BORDER_SYMMETRIC | VSR_BD_TRUNCATE};
        for (size_t k = 0; k < 3; k++) {
            vsr_frame alt = {0};
            assert_int_equal(vsr_degrade_bd_ex(&gt, 4, 0, alts[k], &alt, &err), 0);
            assert_true(psnr(&alt, &ref) < p);
            vsr_frame_free(&alt);
        }
        vsr_frame_free(&gt);
        vsr_frame_free(&ref);
        vsr_frame_free(&lr);
    }
}

/* Vid4 layout: default clips, counts and sizes; LR made on the fly. */
static void test_vid4_layout(void **state)
{
    (void)state;
    char root[4096];
    VSR_SKIP_WITHOUT_SHARED(root, "data/vid4");
    static const char *names[] = {"calendar", "city", "foliage", "walk"};
    static const int counts[] = {41, 34, 49, 47};
    static const int ws[] = {720, 704, 720, 720}, hs[] = {576, 576, 480, 480};
    vsr_dataset_spec spec = {.type = VSR_DATASET_VID4, .root = root};
    vsr_dataset *ds = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    assert_int_equal(vsr_dataset_clip_count(ds), 4);
    for (int i = 0; i < 4; i++) {
        vsr_clip_info info;
        assert_int_equal(vsr_dataset_clip_info(ds, i, &info), 0);
        assert_string_equal(info.name, names[i]);
        assert_int_equal(info.frames, counts[i]);
        assert_int_equal(info.gt_width, ws[i]);
        assert_int_equal(info.gt_height, hs[i]);
        assert_int_equal(info.lr_width, ws[i] / 4);
        assert_int_equal(info.lr_height, hs[i] / 4);
        assert_int_equal(info.lr_on_the_fly, 1); /* no BIx4 in ../shared */
    }
    /* Load the last frame of city only: LR is the BI of GT. */
    vsr_clip clip = {0};
    assert_int_equal(vsr_dataset_load_frames(ds, 1, 33, 5, &clip, &err), 0);
    assert_int_equal(clip.n_frames, 1);
    assert_int_equal(clip.first, 33);
    assert_int_equal(clip.lr[0].width, 176);
    vsr_frame bi = {0};
    assert_int_equal(vsr_degrade_bi(&clip.gt[0], 4, &bi, &err), 0);
    assert_memory_equal(bi.data, clip.lr[0].data, (size_t)bi.stride * bi.height);
    vsr_frame_free(&bi);
    vsr_clip_free(&clip);
    vsr_dataset_close(&ds);
    assert_null(ds);

    /* BD: calendar reads BDx4 from disk, one clip only. */
    const char *cal[] = {"calendar"};
    spec.degradation = VSR_DEGRADE_BD;
    spec.clips = cal;
    spec.n_clips = 1;
    spec.max_frames = 2;
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    vsr_clip_info info;
    assert_int_equal(vsr_dataset_clip_info(ds, 0, &info), 0);
    assert_int_equal(info.lr_on_the_fly, 0);
    assert_int_equal(info.frames, 2);
    assert_int_equal(vsr_dataset_load_clip(ds, 0, &clip, &err), 0);
    assert_int_equal(clip.n_frames, 2);
    assert_int_equal(clip.lr[1].width, 180);
    assert_int_equal(clip.lr[1].height, 144);
    vsr_clip_free(&clip);
    vsr_dataset_close(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taps_reference), cmocka_unit_test(test_ramp),
        cmocka_unit_test(test_upscale),        cmocka_unit_test(test_bi_astronaut),
        cmocka_unit_test(test_bi_coffee),      cmocka_unit_test(test_bi_camera_gray),
        cmocka_unit_test(test_bd_vid4),        cmocka_unit_test(test_vid4_layout),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
