/*
 * vsrbench run on a dataset of LR frames only (issue 16, the contest case):
 * the demo without GT, bicubic, metrics psnr and niqe. psnr is skipped with
 * a one-line note, niqe and the frame times are recorded, and a recorded
 * NIQE equals the one computed here from the LR file with the library's
 * bicubic (vsr_imresize_u8, the bicubic model's upscaler) and NIQE.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "sqlite_harness.h"
#include "vsr/datasets.h"
#include "vsr/metrics.h"

static void test_run_no_gt(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_test_writef(t->cfg,
                    "name: contest\n"
                    "datasets: [{name: lr_only, type: demo, no_gt: true, frames: 2}]\n"
                    "metrics: {psnr: {channels: [y]}, niqe: {}}\n"
                    "models: [bicubic]\n"
                    "precisions: [fp32]\n"
                    "threads: 1\n"
                    "timing: {warmup: 0, runs: 1, min_runs: 1, min_secs: 0}\n"
                    "output: {report_dir: %s/report}\n",
                    t->dir);
    const char *run[] = {"run",        t->cfg,  "--db",        t->db,
                         "--progress", "never", "--no-report", NULL};
    assert_int_equal(vsr_test_vsrbench(run, t->out, t->err, t->data), 0);
    /* the note: one line naming what is skipped */
    char line[512];
    int notes = 0;
    FILE *f = fopen(t->err, "r");
    while (fgets(line, sizeof(line), f))
        notes += strstr(line, "lr_only has LR frames only") &&
                 strstr(line, "psnr skipped (full-reference)");
    fclose(f);
    assert_int_equal(notes, 1);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 1);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM clip_scores WHERE metric = 'niqe'"), 3);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM clip_scores WHERE metric = 'psnr'"), 0);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM frame_scores WHERE"
                                        " metric = 'niqe'"),
                     6);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM run_frames WHERE ms > 0"), 6);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT value FROM frame_scores WHERE metric = 'niqe' AND clip = '%s'"
             " AND frame = 0",
             vsr_demo_clip_name(0));
    double recorded = vsr_test_q_real(db, sql);
    sqlite3_close(db);
    /* independently: bicubic x4 of the LR file, NIQE (Y, crop = scale 4) */
    char lrpath[512];
    snprintf(lrpath, sizeof(lrpath), "%s/demo_nogt/BIx4/%s/00000000.png", t->data,
             vsr_demo_clip_name(0));
    vsr_frame lr = {0}, sr = {0};
    vsr_metrics_niqe_model *model = NULL;
    vsr_error err = {0};
    double v;
    if (vsr_image_read(lrpath, 3, &lr, &err) || vsr_imresize_u8(&lr, 4, &sr, &err) ||
        vsr_metrics_niqe_model_load(NULL, &model, &err) ||
        vsr_metrics_niqe(&sr, model, 4, VSR_NIQE_Y, NULL, &v, &err))
        fail_msg("%s", err.msg);
    assert_float_equal(recorded, v, 1e-9);
    vsr_metrics_niqe_model_free(&model);
    vsr_frame_free(&lr);
    vsr_frame_free(&sr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_no_gt, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
