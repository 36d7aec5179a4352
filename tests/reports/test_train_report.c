/*
 * The training part of the report, from a run log built in the test with
 * the bench API: the "training runs" table in md and csv with the values
 * written (newest row per name and out_dir unless all runs are asked for),
 * a report of a log with only training runs, and a log without any training
 * run that gets no training table.
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runlog_scores.h"
#include "vsr/bench.h"
#include "vsr/reports.h"

typedef struct env {
    char tmp[256];
    char db[300], out[300];
} env;

static int setup(void **st)
{
    env *e = vsr_test_tmp_new(sizeof(*e));
    if (!e)
        return -1;
    snprintf(e->db, sizeof(e->db), "%s/runs.db", e->tmp);
    snprintf(e->out, sizeof(e->out), "%s/report", e->tmp);
    *st = e;
    return 0;
}

/* One training run of @p steps steps with loss 1/step, validated every 2 steps at
 * 20 + step/10 dB; finished as @p status with @p wall seconds. */
static void add_train(vsr_runlog *log, const char *name, const char *model, long steps,
                      long done, const char *status, double wall, double bicubic)
{
    vsr_error err = {0};
    vsr_runlog_train t = {.name = name,
                          .out_dir = name,
                          .model = model,
                          .config_text = "name: x\n",
                          .steps = steps,
                          .batch = 16,
                          .patch = 32,
                          .threads = 2};
    int64_t id = 0;
    assert_int_equal(vsr_runlog_train_begin(log, &t, 0, 0, bicubic, NULL, 0, &id, &err), 0);
    vsr_runlog_train_point p[64];
    assert_true(done <= 64);
    for (long s = 1; s <= done; s++)
        p[s - 1] = (vsr_runlog_train_point){s, 1.0 / (double)s, 1e-3, 30.0,
                                            s % 2 == 0 ? 20.0 + (double)s / 10 : NAN};
    assert_int_equal(vsr_runlog_train_points(log, id, p, (int)done, &err), 0);
    assert_int_equal(vsr_runlog_train_finish(log, id, status, done, wall, NULL, &err), 0);
}

static void gen(const env *e, int all_runs, int expect)
{
    vsr_report_opts o;
    vsr_report_opts_init(&o);
    o.db = e->db;
    o.out = e->out;
    o.formats = VSR_REPORT_MD | VSR_REPORT_CSV;
    o.plots = 0;
    o.all_runs = all_runs;
    vsr_error err = {0};
    int rc = vsr_report_generate(&o, &err);
    if (rc != expect)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, expect);
}

static void test_training_table(void **st)
{
    env *e = *st;
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_runlog_open(&log, e->db, &err), 0);
    add_train(log, "elsr", "ELSR", 10, 4, "interrupted", 3.0, 27.22);
    add_train(log, "abpn", "ABPN_x4", 20, 20, "done", 125.25, 27.22);
    add_train(log, "elsr", "ELSR", 10, 10, "done", 6.5, 27.22); /* fresh rerun */
    vsr_runlog_close(&log);

    /* only training runs in the log: still a report */
    gen(e, 0, 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/csv/training_runs.csv", e->out);
    char *csv = vsr_test_slurp(path);
    assert_non_null(csv);
    /* RFC 4180 line ends */
    assert_string_equal(csv, "Run,Model,Status,Steps,Planned,Wall [s],Val PSNR-Y [dB],"
                             "Bicubic [dB]\r\n"
                             "abpn,ABPN_x4,done,20,20,125.2,22.00,27.22\r\n"
                             "elsr,ELSR,done,10,10,6.5,21.00,27.22\r\n");
    free(csv);
    snprintf(path, sizeof(path), "%s/report.md", e->out);
    char *md = vsr_test_slurp(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "0 row(s), 2 training run(s)."));
    assert_non_null(strstr(md, "| Run | Model | Status | Steps | Planned | Wall \\[s\\] |"
                               " Val PSNR-Y \\[dB\\] | Bicubic \\[dB\\] |\n"));
    assert_non_null(strstr(md, "| abpn | ABPN_x4 | done | 20 | 20 | 125.2 | **22.00** |"
                               " 27.22 |\n"));
    assert_non_null(strstr(md, "| elsr | ELSR | done | 10 | 10 | 6.5 | 21.00 | 27.22 |\n"));
    free(md);

    /* all runs: the interrupted first attempt too, in id order */
    gen(e, 1, 0);
    snprintf(path, sizeof(path), "%s/csv/training_runs.csv", e->out);
    csv = vsr_test_slurp(path);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "\nelsr,ELSR,interrupted,4,10,3.0,20.40,27.22\r\n"
                                "abpn,ABPN_x4,done,20,20,125.2,22.00,27.22\r\n"
                                "elsr,ELSR,done,10,10,6.5,21.00,27.22\r\n"));
    free(csv);
}

static void test_no_training_runs(void **st)
{
    env *e = *st;
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_runlog_open(&log, e->db, &err), 0);
    vsr_runlog_close(&log);
    /* an empty log is still "nothing to report" */
    gen(e, 0, -ENODATA);
    /* a log with a benchmark run and no training: no training table */
    assert_int_equal(vsr_runlog_open(&log, e->db, &err), 0);
    vsr_runlog_sweep sw = {"s", NULL, "name: s\n", NULL, "0123456789abcdef"};
    int64_t sweep = 0, id = 0;
    assert_int_equal(vsr_runlog_sweep_begin(log, &sw, 0, &sweep, &err), 0);
    vsr_runlog_run r = {.run_key = "k",
                        .config_hash = "h",
                        .model = "bicubic",
                        .precision = "fp32",
                        .dataset = "demo",
                        .scale = 4,
                        .threads = 1};
    assert_int_equal(vsr_runlog_run_begin(log, sweep, &r, &id, &err), 0);
    vsr_runlog_clip c = {"clip", 1, VSR_TEST_V1(30, 31, 0.9, 0.91, NAN)};
    vsr_runlog_result res = {.ok = 1, .params = -1, .macs = -1, .clips = &c, .n_clips = 1};
    assert_int_equal(vsr_runlog_run_finish(log, id, &res, &err), 0);
    vsr_runlog_close(&log);
    gen(e, 0, 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/csv/training_runs.csv", e->out);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/report.md", e->out);
    char *md = vsr_test_slurp(path);
    assert_non_null(md);
    assert_null(strstr(md, "Training runs"));
    assert_null(strstr(md, "training run(s)"));
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_training_table, setup, vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_no_training_runs, setup, vsr_test_tmp_free),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
