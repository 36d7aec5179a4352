/*
 * vsrbench run end to end on the demo data: a sweep where one run fails
 * (a zoo model without weights) exits 1 with the other run still recorded;
 * --resume then skips the finished run; --dry-run lists the runs; a bad
 * --set is a config error (exit 2); an fp16n run is recorded.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "sqlite_harness.h"
#include "vsr/engine.h"
#include "vsr/models.h"

struct tmp {
    char dir[256];
    char db[320];
    char cfg[320];
    char out[320];
    char data[320];
};

static int setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    if (!t || !vsr_test_tmpdir(t->dir, sizeof(t->dir)))
        return -1;
    snprintf(t->db, sizeof(t->db), "%s/runs.db", t->dir);
    snprintf(t->cfg, sizeof(t->cfg), "%s/tiny.yaml", t->dir);
    snprintf(t->out, sizeof(t->out), "%s/out.txt", t->dir);
    snprintf(t->data, sizeof(t->data), "%s/data", t->dir);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tmp *t = *state;
    vsr_test_rmtree(t->dir);
    free(t);
    return 0;
}

/* vsrbench with @p args (NULL-terminated), stdout to t->out, VSR_DATA_DIR = t->data; exit code.
 */
static int vsrbench(struct tmp *t, const char *const *args)
{
    return vsr_test_vsrbench(args, t->out, NULL, t->data);
}

static int count_lines_with(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static void test_run_resume_dry(void **state)
{
    struct tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    FILE *f = fopen(t->cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: tiny\n"
            "datasets: [{name: demo, type: demo, frames: 2, clips: [vtest]}]\n"
            "metrics: {psnr: {crop_border: 4, channels: [y, rgb]}}\n"
            "models: [bicubic, ELSR]\n"
            "threads: 1\n"
            "timing: {warmup: 1, runs: 1, min_runs: 1, min_secs: 0}\n"
            "output: {report_dir: %s/report}\n",
            t->dir);
    fclose(f);

    const char *dry[] = {"run", t->cfg, "--db", t->db, "--dry-run", NULL};
    assert_int_equal(vsrbench(t, dry), 0);
    assert_int_equal(count_lines_with(t->out, "/base/fp32/demo/bi/t0/p0/th1"), 2);
    assert_int_equal(access(t->db, F_OK), -1); /* a dry run writes nothing */

    /* ELSR has no trained weights in a fresh tree: that run fails, exit 1 */
    const char *run[] = {"run", t->cfg, "--db", t->db, "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run), 1);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE model = 'bicubic' AND"
                                        " status = 'ok'"),
                     1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE model = 'ELSR' AND"
                                        " status = 'failed' AND error LIKE '%weights%'"),
                     1);
    /* the report is written at the end, failed run or not */
    char path[400];
    snprintf(path, sizeof(path), "%s/report/report.md", t->dir);
    assert_int_equal(access(path, R_OK), 0);
    assert_int_equal(count_lines_with(path, "bicubic") > 0, 1);
    /* bicubic: 2 frames of one clip scored, timed, averaged */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM frame_metrics"), 2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count FROM timings"), 2);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM clip_metrics WHERE clip = 'vtest' AND"
                           " frames = 2 AND psnr_y > 20 AND psnr_rgb > 20 AND ssim_y IS"
                           " NULL"),
        1);
    /* the clip mean is the mean of the frame values */
    assert_int_equal(vsr_test_q_int(db, "SELECT abs(c.psnr_y - (SELECT avg(psnr_y) FROM"
                                        " frame_metrics)) < 1e-9 FROM clip_metrics c"),
                     1);
    sqlite3_close(db);

    /* --resume: bicubic is skipped, ELSR tried (and fails) again */
    const char *resume[] = {"run", t->cfg,       "--db",  t->db, "--resume",
                            "-q",  "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, resume), 1);
    assert_int_equal(count_lines_with(t->out, "1 failed, 1 skipped"), 1);
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs"), 3);
    /* resumed, not new */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM sweeps"), 1);
    sqlite3_close(db);

    const char *bad[] = {"run", t->cfg, "--dry-run", "--set", "threads=[1, x]", NULL};
    assert_int_equal(vsrbench(t, bad), 2);
}

/* optional: true and the weights absent -> 'skipped' with how to get them,
 * exit 0; --no-report writes no report. */
static void test_optional_skipped(void **state)
{
    struct tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    FILE *f = fopen(t->cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: opt\n"
            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
            "models:\n"
            "  - bicubic\n"
            "  - {name: ELSR, weights: weights/ELSR.vsrw, optional: true}\n"
            "precisions: [fp32, fp16]\n"
            "exclude: [{model: bicubic, precision: fp16}]\n"
            "threads: 1\n"
            "timing: {warmup: 0, runs: 1, min_runs: 1, min_secs: 0}\n"
            "output: {report_dir: %s/report}\n",
            t->dir);
    fclose(f);
    const char *run[] = {"run",        t->cfg,  "--db",        t->db,
                         "--progress", "never", "--no-report", NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE model = 'bicubic' AND"
                                        " status = 'ok'"),
                     1);
    /* weights/ELSR.vsrw is relative to the config's folder, and the hint says how */
    assert_int_equal(vsr_test_q_int(db,
                                    "SELECT count(*) FROM runs WHERE model = 'ELSR' AND"
                                    " status = 'skipped' AND error LIKE '%/weights/ELSR.vsrw%'"
                                    " AND error LIKE '%train%'"),
                     2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM timings"), 1);
    sqlite3_close(db);
    assert_int_equal(count_lines_with(t->out, "0 failed"), 1);
    assert_int_equal(count_lines_with(t->out, "skipped: ELSR"), 1); /* once per model */
    char path[400];
    snprintf(path, sizeof(path), "%s/report", t->dir);
    assert_int_equal(access(path, F_OK), -1);
}

/* The stopping rule in a real sweep: bicubic on 2 frames with min_runs 5
 * and min_secs 0 needs 3 passes = 6 timed frames; threads: auto is stored
 * as 0 with the count used beside it; --timing-detail prints
 * benchmark_model's line; --pin 0 runs, a CPU that cannot exist is a usage
 * error (exit 2). */
static void test_run_timing_rule(void **state)
{
    struct tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    FILE *f = fopen(t->cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: rule\n"
            "datasets: [{name: demo, type: demo, frames: 2, clips: [vtest]}]\n"
            "models: [bicubic]\n"
            "threads: auto\n"
            "timing: {warmup: 0, runs: 1, min_runs: 5, min_secs: 0}\n"
            "output: {report_dir: %s/report}\n",
            t->dir);
    fclose(f);
    const char *run[] = {"run",   t->cfg,  "--db", t->db,         "--progress",
                         "never", "--pin", "0",    "--no-report", "--timing-detail",
                         NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "SELECT count FROM timings"), 6);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs r JOIN timings t ON"
                                        " t.run_id = r.id WHERE r.threads = 0 AND"
                                        " t.threads_used = 1 AND t.pinned = '0' AND"
                                        " t.median_lo_ms <= t.median_ms AND"
                                        " t.median_ms <= t.median_hi_ms AND t.noisy IN (0, 1)"),
                     1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE run_key LIKE"
                                        " '%/thauto'"),
                     1);
    sqlite3_close(db);
    assert_int_equal(count_lines_with(t->out, "count=6 "), 1);
    assert_int_equal(count_lines_with(t->out, " init="), 1);
    const char *bad[] = {"run", t->cfg, "--db", t->db, "--pin", "100000", NULL};
    assert_int_equal(vsrbench(t, bad), 2);
}

/* precisions=[fp16n] from --set: the run is recorded (schema v5) with
 * precision fp16n, scored and timed. ELSR (5 small convs) with random
 * weights saved here keeps the scalar FP16-FMA twin fast on any CPU. */
static void test_run_fp16n(void **state)
{
    struct tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    char weights[400];
    snprintf(weights, sizeof(weights), "%s/elsr.vsrw", t->dir);
    const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
    assert_non_null(e);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, "ELSR", 68, 120, &g, &err) ||
        vsr_models_random_weights(g, 7, &err) || vsr_weights_save(g, weights, &err))
        fail_msg("%s", err.msg);
    vsr_graph_free(&g);
    FILE *f = fopen(t->cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: half\n"
            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
            "models: [{name: ELSR, weights: %s}]\n"
            "precisions: [fp32]\n"
            "threads: 1\n"
            "timing: {warmup: 0, runs: 1, min_runs: 1, min_secs: 0}\n"
            "output: {report_dir: %s/report}\n",
            weights, t->dir);
    fclose(f);
    const char *run[] = {"run",        t->cfg,  "--db", t->db, "--set", "precisions=[fp16n]",
                         "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE model = 'ELSR' AND"
                                        " precision = 'fp16n' AND status = 'ok' AND"
                                        " run_key LIKE '%/fp16n/%' AND calib_method IS NULL"),
                     1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM sweeps WHERE overrides LIKE"
                                        " '%precisions=[fp16n]%'"),
                     1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM frame_metrics"), 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count FROM timings"), 1);
    sqlite3_close(db);
    char path[400];
    snprintf(path, sizeof(path), "%s/report/report.md", t->dir);
    assert_true(count_lines_with(path, "fp16n") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_resume_dry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_optional_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_timing_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_fp16n, setup, teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
