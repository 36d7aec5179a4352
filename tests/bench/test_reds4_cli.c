/*
 * Issue 14 item 4: configs/reds4.yaml as shipped runs every one of its
 * runs on a REDS-layout tree (train_sharp/<clip>/%08d.png and
 * train_sharp_bicubic/X4/<clip>/%08d.png for the four REDS4 clips, a few
 * tiny synthetic frames, LR = MATLAB bicubic x1/4 of GT) with only the
 * dataroot and a frame limit overridden: 5 models x {fp32, int8} minus
 * bicubic INT8 = 9 runs, all 'ok', exit 0.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "sqlite_harness.h"
#include "vsr/datasets.h"

static void mkdirs(const char *path)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
}

static void test_reds4_shipped(void **state)
{
    (void)state;
    const char *src = getenv("VSR_SOURCE_DIR");
    if (!src)
        VSR_SKIP("VSR_SOURCE_DIR is not set (ctest sets it)");
    char dir[256], root[400], db[400], out[400], err_path[400], cfg[600], set_root[600],
        set_report[600];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(root, sizeof(root), "%s/REDS", dir);
    snprintf(db, sizeof(db), "%s/runs.db", dir);
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    snprintf(err_path, sizeof(err_path), "%s/err.txt", dir);
    snprintf(cfg, sizeof(cfg), "%s/configs/reds4.yaml", src);
    static const char *const clips[] = {"000", "011", "015", "020"};
    vsr_error err = {0};
    for (int c = 0; c < 4; c++) {
        char gtd[600], lrd[600];
        snprintf(gtd, sizeof(gtd), "%s/train_sharp/%s", root, clips[c]);
        snprintf(lrd, sizeof(lrd), "%s/train_sharp_bicubic/X4/%s", root, clips[c]);
        mkdirs(gtd);
        mkdirs(lrd);
        for (int i = 0; i < 3; i++) {
            vsr_frame gt = {0}, lr = {0};
            assert_int_equal(vsr_frame_alloc(&gt, 64, 48, 3, &err), 0);
            for (int y = 0; y < 48; y++)
                for (int x = 0; x < 64; x++) {
                    uint8_t *p = vsr_frame_row(&gt, y) + 3 * x;
                    p[0] = (uint8_t)(3 * x + 2 * i + 17 * c);
                    p[1] = (uint8_t)(4 * y + ((x / 8 + y / 8) % 2) * 60);
                    p[2] = (uint8_t)((5 * x + 7 * y + 30 * i) & 0xff);
                }
            char p[700];
            snprintf(p, sizeof(p), "%s/%08d.png", gtd, i);
            if (vsr_image_write_png(p, &gt, &err) || vsr_imresize_u8(&gt, 0.25, &lr, &err))
                fail_msg("%s", err.msg);
            snprintf(p, sizeof(p), "%s/%08d.png", lrd, i);
            if (vsr_image_write_png(p, &lr, &err))
                fail_msg("%s", err.msg);
            vsr_frame_free(&gt);
            vsr_frame_free(&lr);
        }
    }
    snprintf(set_root, sizeof(set_root), "datasets.0.dataroot=%s", root);
    snprintf(set_report, sizeof(set_report), "output.report_dir=%s/report", dir);
    const char *args[] = {"run",   cfg,        "--db",       db,
                          "--set", set_root,   "--set",      "datasets.0.frames=2",
                          "--set", set_report, "--progress", "never",
                          NULL};
    int rc = vsr_test_vsrbench(args, out, err_path, NULL);
    if (rc != 0) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "cat %s %s >&2", out, err_path);
        if (system(cmd) != 0)
            print_message("(could not show the output)\n");
    }
    assert_int_equal(rc, 0);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(h, "SELECT count(*) FROM runs"), 9);
    assert_int_equal(vsr_test_q_int(h, "SELECT count(*) FROM runs WHERE status = 'ok'"), 9);
    assert_int_equal(vsr_test_q_int(h, "SELECT count(*) FROM runs WHERE precision = 'int8'"),
                     4);
    sqlite3_close(h);
    vsr_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reds4_shipped),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
