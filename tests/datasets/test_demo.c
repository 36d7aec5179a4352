/*
 * The demo dataset: built from opencv-doc, readable by the vid4 layout,
 * LR = BI(GT), the documented pan motion holds, rebuild is a no-op.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets_internal.h"
#include "testutil.h"
#include "vsr/datasets.h"

static void test_demo_build(void **state)
{
    (void)state;
    if (access(VSR_DEMO_SOURCE_DIR "/vtest.avi", R_OK) != 0) {
        VSR_SKIP("opencv-doc is not installed");
    }
    char dir[4096], root[4300], man[4400];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_error err = {0};
    assert_int_equal(vsr_demo_build(dir, &err), 0);
    snprintf(root, sizeof(root), "%s/" VSR_DEMO_SUBDIR, dir);
    vsr_dataset_spec spec = {.type = VSR_DATASET_VID4, .root = root};
    vsr_dataset *ds = NULL;
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    assert_int_equal(vsr_dataset_clip_count(ds), vsr_demo_clip_count());
    assert_int_equal(vsr_demo_clip_count(), 3);
    int fruits = -1;
    for (int i = 0; i < 3; i++) {
        vsr_clip_info info;
        assert_int_equal(vsr_dataset_clip_info(ds, i, &info), 0);
        assert_int_equal(info.frames, 8);
        assert_int_equal(info.gt_width, 480);
        assert_int_equal(info.gt_height, 272);
        assert_int_equal(info.lr_width, 120);
        assert_int_equal(info.lr_height, 68);
        assert_int_equal(info.lr_on_the_fly, 0);
        if (!strcmp(info.name, "fruits_pan"))
            fruits = i;
    }
    assert_true(fruits >= 0);
    /* fruits_pan: zoom 1, (1.25, -0.75) px/frame: frame 4 is frame 0 moved
     * by exactly (5, -3) px, so F4(x, y) == F0(x + 5, y - 3). */
    vsr_clip clip = {0};
    assert_int_equal(vsr_dataset_load_clip(ds, fruits, &clip, &err), 0);
    const vsr_frame *f0 = &clip.gt[0], *f4 = &clip.gt[4];
    int diff = 0;
    for (int y = 8; y < 272 - 8; y++)
        for (int x = 8; x < 480 - 16; x++)
            for (int c = 0; c < 3; c++)
                diff += vsr_frame_row(f4, y)[3 * x + c] !=
                        vsr_frame_row(f0, y - 3)[3 * (x + 5) + c];
    assert_int_equal(diff, 0);
    /* and frames 0 and 1 are not the same (sub-pixel motion) */
    assert_memory_not_equal(clip.gt[0].data, clip.gt[1].data, 480 * 3 * 10);
    /* LR on disk is the BI degradation of GT */
    for (int t = 0; t < 8; t += 7) {
        vsr_frame bi = {0};
        assert_int_equal(vsr_degrade_bi(&clip.gt[t], 4, &bi, &err), 0);
        assert_memory_equal(bi.data, clip.lr[t].data, (size_t)bi.stride * bi.height);
        vsr_frame_free(&bi);
    }
    vsr_clip_free(&clip);
    vsr_dataset_close(&ds);

    /* Idempotent: a second build leaves the manifest untouched. */
    snprintf(man, sizeof(man), "%s/MANIFEST.tsv", root);
    struct stat a, b;
    assert_int_equal(stat(man, &a), 0);
    FILE *fp = fopen(man, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof(line), fp));
    int files = 0, clips = 0;
    while (fgets(line, sizeof(line), fp)) {
        files += !strncmp(line, "file\t", 5);
        clips += !strncmp(line, "clip\t", 5) && strstr(line, "opencv-doc") != NULL;
    }
    fclose(fp);
    assert_int_equal(files, 3 * 8 * 2);
    assert_int_equal(clips, 3);
    assert_int_equal(vsr_demo_build(dir, &err), 0);
    assert_int_equal(stat(man, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(a.st_mtime, b.st_mtime);
    /* A damaged file makes the next build redo the set. */
    char p[4500];
    snprintf(p, sizeof(p), "%s/GT/vtest/00000003.png", root);
    fp = fopen(p, "ab");
    fputc(0, fp);
    fclose(fp);
    assert_int_equal(vsr_demo_build(dir, &err), 0);
    assert_int_equal(stat(man, &b), 0);
    assert_int_not_equal(a.st_ino, b.st_ino);
    vsr_rm_rf(dir);
}

/* The LR-only demo: no GT folder, opened with lr_only its clips have no GT,
 * the GT size is LR x 4, and the LR frames are the demo's BIx4 pixels. The
 * plain layout names the way out when GT is missing. */
static void test_demo_no_gt(void **state)
{
    (void)state;
    if (access(VSR_DEMO_SOURCE_DIR "/vtest.avi", R_OK) != 0) {
        VSR_SKIP("opencv-doc is not installed");
    }
    char dir[4096], root[4300], full[4300], p[4400];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_error err = {0};
    assert_int_equal(vsr_demo_build(dir, &err), 0);
    assert_int_equal(vsr_demo_build_no_gt(dir, &err), 0);
    snprintf(root, sizeof(root), "%s/" VSR_DEMO_NOGT_SUBDIR, dir);
    snprintf(full, sizeof(full), "%s/" VSR_DEMO_SUBDIR, dir);
    snprintf(p, sizeof(p), "%s/GT", root);
    assert_int_equal(vsr_is_dir(p), 0);
    vsr_dataset_spec spec = {.type = VSR_DATASET_VID4, .root = root, .lr_only = 1};
    vsr_dataset_spec with_gt = {.type = VSR_DATASET_VID4, .root = full};
    vsr_dataset *ds = NULL, *ref = NULL;
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    assert_int_equal(vsr_dataset_open(&with_gt, &ref, &err), 0);
    assert_int_equal(vsr_dataset_clip_count(ds), 3);
    for (int i = 0; i < 3; i++) {
        vsr_clip_info info;
        assert_int_equal(vsr_dataset_clip_info(ds, i, &info), 0);
        assert_int_equal(info.has_gt, 0);
        assert_int_equal(info.frames, 8);
        assert_int_equal(info.lr_width, 120);
        assert_int_equal(info.gt_width, 480);
        vsr_clip a = {0}, b = {0};
        assert_int_equal(vsr_dataset_load_frames(ds, i, 2, 3, &a, &err), 0);
        assert_int_equal(vsr_dataset_load_frames(ref, i, 2, 3, &b, &err), 0);
        assert_null(a.gt);
        assert_int_equal(a.n_frames, 3);
        for (int t = 0; t < 3; t++)
            assert_memory_equal(a.lr[t].data, b.lr[t].data,
                                (size_t)b.lr[t].stride * b.lr[t].height);
        vsr_clip_free(&a);
        vsr_clip_free(&b);
    }
    vsr_dataset_close(&ds);
    vsr_dataset_close(&ref);
    /* without lr_only: the missing GT folder, and what to set */
    spec.lr_only = 0;
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "GT side"));
    assert_non_null(strstr(err.msg, "no_gt: true"));
    /* a layout that cannot be LR only */
    vsr_dataset_spec video = {.type = VSR_DATASET_VIDEO, .gt = "x.mp4", .lr_only = 1};
    assert_int_equal(vsr_dataset_open(&video, &ds, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "vid4, reds and pair"));
    vsr_rm_rf(dir);
}

/* vsrbench data: exit codes 0/1/2 and one-line errors. */
static void test_cli(void **state)
{
    (void)state;
    const char *bin = getenv("VSR_BINARY_DIR");
    char exe[1024], cmd[8192], dir[1024];
    snprintf(exe, sizeof(exe), "%s/vsrbench", bin ? bin : ".");
    if (access(exe, X_OK) != 0) {
        VSR_SKIP("%s not built", exe);
    }
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(cmd, sizeof(cmd), "'%s' data --help >/dev/null", exe);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    snprintf(cmd, sizeof(cmd), "'%s' data --bogus 2>/dev/null", exe);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof(cmd), "'%s' data degrade --in x 2>/dev/null", exe);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof(cmd), "'%s' data degrade --in '%s/nope' --out '%s/o' 2>'%s/err.txt'",
             exe, dir, dir, dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 1);
    char p[4300], line[1024];
    snprintf(p, sizeof(p), "%s/err.txt", dir);
    FILE *fp = fopen(p, "r");
    assert_non_null(fgets(line, sizeof(line), fp));
    assert_non_null(strstr(line, "/nope"));
    assert_null(fgets(line, sizeof(line), fp)); /* one line */
    fclose(fp);
    vsr_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_build),
        cmocka_unit_test(test_demo_no_gt),
        cmocka_unit_test(test_cli),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
