/*
 * vsrbench run on the demo data: --json writes a summary whose per-frame
 * values are those of the run log (frame_metrics, clip_metrics) and whose
 * pooled mean is the mean of its frames; Ctrl-C (SIGINT) mid-run prints one
 * line, exits 130, leaves no 'running' row and no temporary file, and marks
 * the unfinished run failed with an "interrupted: ..." error.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cli_harness.h"
#include "sqlite_harness.h"

/* tiny.yaml: bicubic on @p frames demo frames; timing.min_secs @p secs. */
static void write_config(const struct vsr_cli_tmp *t, int frames, int secs)
{
    vsr_test_writef(t->cfg,
                    "name: tiny\n"
                    "datasets: [{name: demo, type: demo, frames: %d, clips: [vtest]}]\n"
                    "metrics: {psnr: {crop_border: 4, channels: [y, rgb]},"
                    " ssim: {crop_border: 4, channels: [y]}}\n"
                    "models: [bicubic]\n"
                    "threads: 1\n"
                    "timing: {warmup: 1, runs: 1, min_runs: 1, min_secs: %d}\n"
                    "output: {report_dir: %s/report, save_images: true}\n",
                    frames, secs, t->dir);
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        fail_msg("%s: %s (line %d)", path, je.text, je.line);
    return doc;
}

static void test_json_summary(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    write_config(t, 3, 0);
    char json[400], sql[200];
    snprintf(json, sizeof(json), "%s/summary.json", t->dir);
    const char *run[] = {"run",   t->cfg,   "--db", t->db,         "--progress",
                         "never", "--json", json,   "--no-report", NULL};
    assert_int_equal(vsr_test_vsrbench(run, t->out, t->err, t->data), 0);
    json_t *doc = load_json(json);
    assert_string_equal(json_string_value(json_object_get(doc, "version")), "vsrbench run");
    assert_false(json_is_true(json_object_get(doc, "interrupted")));
    json_t *runs = json_object_get(doc, "runs");
    assert_int_equal(json_array_size(runs), 1);
    json_t *r = json_array_get(runs, 0);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(r, "model")), "bicubic");
    json_t *frames = json_object_get(r, "frames");
    assert_int_equal(json_array_size(frames), 3);

    sqlite3 *db = vsr_test_open_db(t->db);
    /* each frame as the run log has it (6 decimals in JSON) */
    double sum = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *f = json_array_get(frames, i);
        assert_int_equal(json_integer_value(json_object_get(f, "frameNum")), (json_int_t)i);
        assert_string_equal(json_string_value(json_object_get(f, "clip")), "vtest");
        int index = (int)json_integer_value(json_object_get(f, "index"));
        json_t *m = json_object_get(f, "metrics");
        double py = json_real_value(json_object_get(m, "psnr_y"));
        snprintf(sql, sizeof(sql), "SELECT psnr_y FROM frame_metrics WHERE frame = %d", index);
        assert_true(fabs(py - vsr_test_q_real(db, sql)) <= 5e-7);
        snprintf(sql, sizeof(sql), "SELECT ssim_y FROM frame_metrics WHERE frame = %d", index);
        assert_true(fabs(json_real_value(json_object_get(m, "ssim_y")) -
                         vsr_test_q_real(db, sql)) <= 5e-7);
        assert_null(json_object_get(m, "niqe")); /* not asked for: left out */
        assert_true(json_real_value(json_object_get(f, "ms")) > 0);
        sum += py;
    }
    /* pooled: the mean of the three frames; the dataset value: the clip mean */
    json_t *pooled = json_object_get(json_object_get(r, "pooled_metrics"), "psnr_y");
    assert_true(fabs(json_real_value(json_object_get(pooled, "mean")) - sum / 3) <= 2e-6);
    assert_int_equal(json_integer_value(json_object_get(pooled, "n")), 3);
    double clip = vsr_test_q_real(db, "SELECT psnr_y FROM clip_metrics");
    json_t *dm = json_object_get(r, "dataset_metrics");
    assert_true(fabs(json_real_value(json_object_get(dm, "psnr_y")) - clip) <= 5e-7);
    json_t *timing = json_object_get(r, "timing");
    assert_true(fabs(json_real_value(json_object_get(timing, "median_ms")) -
                     vsr_test_q_real(db, "SELECT median_ms FROM timings")) <= 5e-5);
    sqlite3_close(db);
    json_decref(doc);

    /* a --json that cannot be written: a usage error before any run */
    const char *bad[] = {"run", t->cfg, "--db", t->db, "--json", "/nonexistent/dir/s.json",
                         NULL};
    assert_int_equal(vsr_test_vsrbench(bad, t->out, t->err, t->data), 2);
}

static void test_sigint(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    /* min_secs 3600: the run goes on until it is interrupted */
    write_config(t, 20, 3600);
    const char *demo[] = {"data", "demo", NULL};
    assert_int_equal(vsr_test_vsrbench(demo, t->out, t->err, t->data), 0);
    char json[400];
    snprintf(json, sizeof(json), "%s/summary.json", t->dir);
    const char *run[] = {"run",   t->cfg,   "--db", t->db, "--progress",
                         "never", "--json", json,   NULL};
    pid_t pid = vsr_test_vsrbench_start(run, t->out, t->err, t->data, 0);
    /* wait until it has scored frames (rows in frame_metrics are written at
     * the end, so look for saved SR images instead) */
    char probe[600];
    snprintf(probe, sizeof(probe), "%s/report/images/bicubic_base_fp32_demo_bi_t0_p0_th1/vtest",
             t->dir);
    int seen = 0;
    for (int i = 0; i < 60000 && !seen; i++) { /* up to ~10 minutes of 10 ms polls */
        seen = access(probe, F_OK) == 0;
        if (!seen) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(seen);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(vsr_test_vsrbench_wait(pid), 130);
    char *buf = vsr_test_slurp(t->err);
    assert_non_null(buf);
    const char *msg = strstr(buf, "vsrbench run: interrupted (Ctrl-C); 1 unfinished run");
    if (!msg)
        fail_msg("stderr lacks the interrupted line: '%s'", buf);
    int newlines = 0;
    for (const char *c = buf; *c; c++)
        newlines += *c == '\n';
    assert_int_equal(newlines, 1);
    free(buf);

    sqlite3 *db = vsr_test_open_db(t->db);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'"
                                        " AND error LIKE 'interrupted: Ctrl-C%'"),
                     1);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM run_leases WHERE finished IS NULL"), 0);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM sweep_workers WHERE left_at IS NULL"), 0);
    sqlite3_close(db);

    /* no temporary file anywhere under the folder, and no report */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "find '%s' -name '*.tmp-*' | grep -q .", t->dir);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/report/report.md", t->dir);
    assert_int_equal(access(cmd, F_OK), -1);

    json_t *doc = load_json(json);
    assert_true(json_is_true(json_object_get(doc, "interrupted")));
    json_t *r = json_array_get(json_object_get(doc, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "failed");
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_summary, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_sigint, vsr_cli_tmp_setup, vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
