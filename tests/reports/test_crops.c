/* Visual crops: layout, zoom, labels, and the PNG written by the datasets
 * writer reads back equal. */
#include "testutil.h"

#include <string.h>
#include <unistd.h>

#include "vsr/datasets.h"
#include "vsr/reports.h"

/* A 3-channel image where pixel (x, y) = (x, y, c). */
static void make(vsr_frame *f, int w, int h, uint8_t c)
{
    assert_int_equal(vsr_frame_alloc(f, w, h, 3, NULL), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = vsr_frame_row(f, y) + 3 * x;
            p[0] = (uint8_t)x, p[1] = (uint8_t)y, p[2] = c;
        }
}

static void test_compose_layout(void **state)
{
    (void)state;
    vsr_frame a, b, c, out;
    make(&a, 40, 30, 10);
    make(&b, 40, 30, 20);
    make(&c, 40, 30, 30);
    const vsr_frame *imgs[] = {&a, &b, &c};
    const char *labels[] = {"GT", "bicubic", "MVSR_13 int8"};
    vsr_error err = {0};
    /* Crop 16x8 at (5, 7), zoom 3: panels 48x24. "MVSR_13 int8" is 12 chars
     * = 71 px at scale 1... at scale 2 = 142 px > 48, so scale 1: label strip
     * 7 + 2*4 = 15 px. Width 3*48 + 4*4 = 160, height 4 + 15 + 24 + 4 = 47. */
    assert_int_equal(vsr_report_crops_compose(imgs, labels, 3, 5, 7, 16, 8, 3, &out, &err), 0);
    assert_int_equal(out.width, 160);
    assert_int_equal(out.height, 47);
    /* Panel i starts at x = 4 + i*52, y = 19; pixel (px, py) of the panel
     * shows source (5 + px/3, 7 + py/3). */
    for (int i = 0; i < 3; i++)
        for (int py = 0; py < 24; py += 5)
            for (int px = 0; px < 48; px += 7) {
                const uint8_t *p = vsr_frame_row(&out, 19 + py) + 3 * (4 + i * 52 + px);
                assert_int_equal(p[0], 5 + px / 3);
                assert_int_equal(p[1], 7 + py / 3);
                assert_int_equal(p[2], 10 * (i + 1));
            }
    /* The labels put white pixels in each panel's strip, none in the gaps. */
    for (int i = 0; i < 3; i++) {
        int white = 0;
        for (int y = 4; y < 19; y++)
            for (int x = 4 + i * 52; x < 4 + i * 52 + 48; x++) {
                const uint8_t *p = vsr_frame_row(&out, y) + 3 * x;
                white += p[0] == 255 && p[1] == 255 && p[2] == 255;
            }
        assert_true(white > 10);
    }
    for (int y = 0; y < out.height; y++) {
        const uint8_t *p = vsr_frame_row(&out, y) + 3 * 54; /* gap between panels 0 and 1 */
        assert_int_equal(p[0], 0x20);
    }
    vsr_frame_free(&out);
    /* A crop outside an image is an error naming the panel. */
    assert_int_equal(vsr_report_crops_compose(imgs, labels, 3, 30, 0, 16, 8, 1, &out, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "GT"));
    vsr_frame_free(&a);
    vsr_frame_free(&b);
    vsr_frame_free(&c);
}

/* The font draws "I" as its 5x7 bitmap: column 2 set on rows 1..5, 1..3 on rows 0 and 6. */
static void test_font(void **state)
{
    (void)state;
    vsr_frame f;
    assert_int_equal(vsr_frame_alloc(&f, 5, 7, 3, NULL), 0);
    static const uint8_t white[3] = {255, 255, 255};
    vsr_report_draw_text(&f, 0, 0, "I", 1, white);
    static const char *const want[7] = {".###.", "..#..", "..#..", "..#..",
                                        "..#..", "..#..", ".###."};
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 5; x++)
            assert_int_equal(vsr_frame_row(&f, y)[3 * x], want[y][x] == '#' ? 255 : 0);
    assert_int_equal(vsr_report_text_width("I", 1), 5);
    assert_int_equal(vsr_report_text_width("ab", 2), 22);
    vsr_frame_free(&f);
}

static void test_png_roundtrip(void **state)
{
    (void)state;
    char dir[256], path[512];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/crops.png", dir);
    vsr_frame a, out, back = {0};
    make(&a, 24, 20, 99);
    const vsr_frame *imgs[] = {&a, &a};
    const char *labels[] = {"GT", "x"};
    vsr_error err = {0};
    assert_int_equal(vsr_report_crops_compose(imgs, labels, 2, 2, 2, 20, 16, 2, &out, &err), 0);
    assert_int_equal(vsr_report_write_png(path, &out, &err), 0);
    assert_int_equal(vsr_image_read(path, 3, &back, &err), 0);
    assert_int_equal(back.width, out.width);
    assert_int_equal(back.height, out.height);
    for (int y = 0; y < out.height; y++)
        assert_memory_equal(vsr_frame_row(&back, y), vsr_frame_row(&out, y),
                            (size_t)out.width * 3);
    vsr_frame_free(&back);
    vsr_frame_free(&out);
    vsr_frame_free(&a);
    remove(path);
    rmdir(dir);
}

/* The whole crop path from frame folders: GT, bicubic x4 of the BI LR, and
 * one "model" whose output is the GT itself, so its panel equals the GT one. */
static void test_crops_from_folders(void **state)
{
    (void)state;
    char dir[256], gt_dir[512], lr_dir[512], path[600];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(gt_dir, sizeof(gt_dir), "%s/gt", dir);
    snprintf(lr_dir, sizeof(lr_dir), "%s/lr", dir);
    assert_int_equal(mkdir(gt_dir, 0777), 0);
    assert_int_equal(mkdir(lr_dir, 0777), 0);
    vsr_error err = {0};
    vsr_frame gt[2], lr[2] = {{0}};
    for (int i = 0; i < 2; i++) {
        make(&gt[i], 66, 50, (uint8_t)(100 + i)); /* modcrop to 64x48 */
        assert_int_equal(vsr_degrade_bi(&gt[i], 4, &lr[i], &err), 0);
        snprintf(path, sizeof(path), "%s/%08d.png", gt_dir, i);
        assert_int_equal(vsr_image_write_png(path, &gt[i], &err), 0);
        snprintf(path, sizeof(path), "%s/%08d.png", lr_dir, i);
        assert_int_equal(vsr_image_write_png(path, &lr[i], &err), 0);
    }
    snprintf(path, sizeof(path), "%s/crops.png", dir);
    const char *sr_dirs[] = {gt_dir};
    const char *sr_labels[] = {"oracle"};
    /* Frame 1, crop 16x12 at (8, 4), zoom 2: panels 32x24; labels at scale 1
     * ("bicubic" at scale 2 is 82 px > 32): strip 15 px. 3 panels:
     * 3*32 + 4*4 = 112 x 4 + 15 + 24 + 4 = 47. */
    int rc = vsr_report_crops_make(gt_dir, lr_dir, sr_dirs, sr_labels, 1, 1, 8, 4, 16, 12, 2,
                                   path, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    vsr_frame out = {0}, bic = {0};
    assert_int_equal(vsr_image_read(path, 3, &out, &err), 0);
    assert_int_equal(out.width, 112);
    assert_int_equal(out.height, 47);
    assert_int_equal(vsr_imresize_u8(&lr[1], 4.0, &bic, &err), 0);
    for (int py = 0; py < 24; py++)
        for (int px = 0; px < 32; px++) {
            const uint8_t *g = vsr_frame_row(&out, 19 + py) + 3 * (4 + px);
            const uint8_t *b = vsr_frame_row(&out, 19 + py) + 3 * (4 + 36 + px);
            const uint8_t *o = vsr_frame_row(&out, 19 + py) + 3 * (4 + 72 + px);
            const uint8_t *want_g = vsr_frame_row(&gt[1], 4 + py / 2) + 3 * (8 + px / 2);
            const uint8_t *want_b = vsr_frame_row(&bic, 4 + py / 2) + 3 * (8 + px / 2);
            assert_memory_equal(g, want_g, 3);
            assert_memory_equal(b, want_b, 3);
            assert_memory_equal(o, want_g, 3);
        }
    /* Frame out of range names the folder. */
    assert_int_equal(vsr_report_crops_make(gt_dir, lr_dir, sr_dirs, sr_labels, 1, 5, 8, 4, 16,
                                           12, 2, path, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "gt"));
    vsr_frame_free(&out);
    vsr_frame_free(&bic);
    for (int i = 0; i < 2; i++) {
        vsr_frame_free(&gt[i]);
        vsr_frame_free(&lr[i]);
    }
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_layout),
        cmocka_unit_test(test_font),
        cmocka_unit_test(test_png_roundtrip),
        cmocka_unit_test(test_crops_from_folders),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
