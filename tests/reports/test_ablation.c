/*
 * The ablation table read from a run log with several models (built with
 * the bench run-log API, so the real schema): every ablation of the sweep
 * appears as deltas against MVSR_13 of its precision, with paired bootstrap
 * intervals over the frames. Expected cells and intervals were computed
 * independently by tests/reports/bootstrap_ref.py (numpy; rerun it with
 * /usr/bin/python3 to see the numbers pasted below). Also: the unpaired row
 * and its reason, the frame-subset label, the failed/skipped runs table, a
 * --base typo (exit 2, one line, nothing written) and a tune-only log.
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"
#include "runlog_scores.h"
#include "vsr/bench.h"
#include "vsr/reports.h"
#include "reports_internal.h"

/* Per-frame Y-PSNR of clips a and b (3 frames each), as in bootstrap_ref.py. */
typedef struct {
    double p[2][3];
} psnr6;

static double ssim_of(double psnr)
{
    return 0.8 + (psnr - 30) / 100;
}

static void add_run(vsr_runlog *log, int64_t sweep, int64_t host, const char *model,
                    const char *prec, int outcome, const psnr6 *fr, double median,
                    int64_t params)
{
    vsr_error err = {0};
    char key[128], hash[160];
    snprintf(key, sizeof(key), "%s/base/%s/demo/bi/t0/p0/th2/%lld", model, prec,
             (long long)sweep);
    snprintf(hash, sizeof(hash), "hash-%s", key);
    int int8 = !strcmp(prec, "int8");
    vsr_runlog_run run = {key,
                          hash,
                          model,
                          "base",
                          prec,
                          int8 ? "minmax" : NULL,
                          int8 ? 4 : 0,
                          "demo",
                          "bi",
                          4,
                          0,
                          0,
                          2,
                          "abc1234",
                          "-O2",
                          host,
                          NULL};
    int64_t id;
    assert_int_equal(vsr_runlog_run_begin(log, sweep, &run, &id, &err), 0);
    if (outcome == 2) {
        assert_int_equal(vsr_runlog_run_skip(log, id, "weights x.vsrw absent: train it", &err),
                         0);
        return;
    }
    vsr_timing_stats t = {20,         2,      30.0, median - 1,    median,        median + 1,
                          median + 2, median, 0.5,  median - 0.25, median + 0.25, 20 * median};
    vsr_runlog_clip clips[2];
    vsr_runlog_frame frames[6];
    vsr_runlog_score sc[8][5]; /* frames 0..5, then clips */
    static const char *const names[2] = {"a", "b"};
    for (int c = 0; c < 2 && fr; c++) {
        double ps = 0, ss = 0;
        for (int f = 0; f < 3; f++) {
            double p = fr->p[c][f];
            vsr_test_v1_set(sc[c * 3 + f], NAN, p, NAN, ssim_of(p), NAN);
            vsr_runlog_frame x = {names[c], f, sc[c * 3 + f], 5, NAN};
            frames[c * 3 + f] = x;
            ps += p;
            ss += ssim_of(p);
        }
        vsr_test_v1_set(sc[6 + c], NAN, ps / 3, NAN, ss / 3, NAN);
        vsr_runlog_clip y = {names[c], 3, sc[6 + c], 5};
        clips[c] = y;
    }
    vsr_runlog_result res = {outcome == 1,
                             outcome == 1 ? NULL : "out of memory at layer 3",
                             "avx2",
                             params,
                             params * 1000,
                             120,
                             68,
                             &t,
                             fr ? clips : NULL,
                             fr ? 2 : 0,
                             fr ? frames : NULL,
                             fr ? 6 : 0,
                             NULL,
                             0,
                             NULL,
                             NAN,
                             0,
                             NULL,
                             NULL};
    assert_int_equal(vsr_runlog_run_finish(log, id, &res, &err), 0);
}

static const psnr6 BASE_FP32 = {{{30.0, 30.5, 31.0}, {28.0, 28.25, 28.5}}};
static const psnr6 BASE_INT8 = {{{29.5, 30.0, 30.5}, {27.5, 28.0, 28.0}}};
static const psnr6 M14_FP32 = {{{30.25, 30.5, 31.5}, {28.0, 28.75, 28.5}}};
static const psnr6 M15_FP32 = {{{29.0, 29.75, 30.0}, {27.5, 27.0, 28.0}}};
static const psnr6 M14_INT8 = {{{29.5, 30.25, 30.25}, {27.75, 27.75, 28.25}}};
static const psnr6 M23_INT8 = {{{30.0, 30.5, 31.0}, {28.0, 28.5, 28.5}}};

static void make_db(const char *path)
{
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_runlog_open(&log, path, &err), 0);
    vsr_runlog_host h = {"testhost", "Test CPU", "avx2 fma", 2};
    int64_t host, sweep, other;
    assert_int_equal(vsr_runlog_host_id(log, &h, &host, &err), 0);
    /* The sweep ran 3 frames per clip: "frames: 3" in the tables. */
    vsr_runlog_sweep s = {"abl", "configs/abl.yaml",
                          "name: abl\ndatasets:\n  - {name: demo, type: demo, frames: 3}\n",
                          NULL, "0123456789abcdef"};
    assert_int_equal(vsr_runlog_sweep_begin(log, &s, 0, &sweep, &err), 0);
    add_run(log, sweep, host, "MVSR_13", "fp32", 1, &BASE_FP32, 10.0, 68);
    add_run(log, sweep, host, "MVSR_14", "fp32", 1, &M14_FP32, 10.25, 70);
    add_run(log, sweep, host, "MVSR_15", "fp32", 1, &M15_FP32, 12.0, 50);
    add_run(log, sweep, host, "MVSR_13", "int8", 1, &BASE_INT8, 5.0, 68);
    add_run(log, sweep, host, "MVSR_14", "int8", 1, &M14_INT8, 5.0, 70);
    add_run(log, sweep, host, "MVSR_23", "int8", 1, &M23_INT8, 4.0, 60);
    add_run(log, sweep, host, "MVSR_25", "fp16", 1, &M23_INT8, 7.0, 60); /* no fp16 base */
    add_run(log, sweep, host, "MVSR_13_2", "fp32", 0, NULL, 1, 60);      /* failed */
    add_run(log, sweep, host, "MVSR_13_3", "fp32", 2, NULL, 1, 60);      /* skipped */
    /* another sweep without MVSR_13: not part of the ablation */
    vsr_runlog_sweep o = {"other", NULL, "name: other\n", NULL, "fedcba9876543210"};
    assert_int_equal(vsr_runlog_sweep_begin(log, &o, 0, &other, &err), 0);
    add_run(log, other, host, "ABPN", "fp32", 1, &M14_FP32, 3.0, 40);
    vsr_runlog_close(&log);
}

static int setup(void **state)
{
    if (vsr_cli_tmp_setup(state))
        return -1;
    struct vsr_cli_tmp *t = *state;
    make_db(t->db);
    return 0;
}

/* Row of @p t whose Model and Precision cells are @p model and @p prec, or -1. */
static int find_row(const vsr_report_table *t, const char *model, const char *prec)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(t->cells[r * VSR_ABL_NCOLS + VSR_ABL_MODEL], model) &&
            !strcmp(t->cells[r * VSR_ABL_NCOLS + VSR_ABL_PRECISION], prec))
            return (int)r;
    return -1;
}

static void test_ablation_from_db(void **state)
{
    struct vsr_cli_tmp *fx = *state;
    vsr_error err = {0};
    vsr_report_rows rows = {0};
    assert_int_equal(vsr_report_db_rows(fx->db, 1, &rows, &err), 0);
    assert_int_equal(rows.n, 8); /* 7 ok runs of abl + ABPN, Y only */
    vsr_report_frame_point *pts = NULL;
    size_t npts = 0;
    assert_int_equal(vsr_report_db_frames(fx->db, rows.v, rows.n, &pts, &npts, &err), 0);
    assert_int_equal(npts, 8 * 6);
    vsr_report_table t;
    assert_int_equal(vsr_report_table_ablation(rows.v, rows.n, "MVSR_13", pts, npts, &t, &err),
                     0);
    /* bootstrap_ref.py: cells, keys (the delta) and interval ends */
    static const struct {
        const char *model, *prec, *dpsnr, *dssim, *sig, *dms;
        double key;
    } want[] = {
        {"MVSR_14", "fp32", "+0.21 [+0.04, +0.42]", "+0.0021 [+0.0004, +0.0042]", "PSNR, SSIM",
         "+0.25 (CIs overlap)", 0.2083333333333357},
        {"MVSR_15", "fp32", "-0.83 [-1.08, -0.67]", "-0.0083 [-0.0108, -0.0067]",
         "PSNR, SSIM, ms", "+2.00 (CIs apart)", -0.8333333333333357},
        {"MVSR_14", "int8", "+0.04 [-0.17, +0.21]", "+0.0004 [-0.0017, +0.0021]", "none",
         "0.00 (CIs overlap)", 0.041666666666671404},
        {"MVSR_23", "int8", "+0.50 [+0.50, +0.50]", "+0.0050 [+0.0050, +0.0050]",
         "PSNR, SSIM, ms", "-1.00 (CIs apart)", 0.5},
    };
    assert_int_equal(t.nrows, 6); /* 2 base rows + 4 ablations */
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int r = find_row(&t, want[i].model, want[i].prec);
        if (r < 0)
            print_error("missing %s %s\n", want[i].model, want[i].prec);
        assert_true(r >= 0);
        char *const *c = &t.cells[(size_t)r * VSR_ABL_NCOLS];
        assert_string_equal(c[VSR_ABL_DATA], "demo Y, frames: 3");
        assert_string_equal(c[VSR_ABL_DPSNR], want[i].dpsnr);
        assert_string_equal(c[VSR_ABL_DSSIM], want[i].dssim);
        assert_string_equal(c[VSR_ABL_DNIQE], "-");
        assert_string_equal(c[VSR_ABL_SIG], want[i].sig);
        assert_string_equal(c[VSR_ABL_DMS], want[i].dms);
        assert_true(fabs(t.keys[(size_t)r * VSR_ABL_NCOLS + VSR_ABL_DPSNR] - want[i].key) <
                    1e-9);
    }
    /* Params: 70 - 68 = +2 -> "+0.0" K at one decimal; MACs 70e3 - 68e3 = 2e3 */
    int b = find_row(&t, "MVSR_13", "int8");
    assert_true(b >= 0);
    assert_string_equal(t.cells[(size_t)b * VSR_ABL_NCOLS + VSR_ABL_VARIANT], "base (base)");
    assert_non_null(strstr(t.note, "2000 resamples, seed 14, 95% percentile interval"));
    assert_non_null(strstr(t.note, "1 row(s) of sweeps without MVSR_13 left out"));
    assert_non_null(strstr(
        t.note, "Not paired: MVSR_25 fp16 on demo Y, frames: 3: no MVSR_13 fp16 run on demo "
                "Y, frames: 3"));
    vsr_report_table_free(&t);
    free(pts);

    /* The failed and the skipped run, with their reasons. */
    vsr_report_rows bad = {0};
    assert_int_equal(vsr_report_db_problems(fx->db, 1, &bad, &err), 0);
    assert_int_equal(bad.n, 2);
    assert_int_equal(vsr_report_table_problems(bad.v, bad.n, &t, &err), 0);
    assert_string_equal(t.cells[0 * 6 + 0], "MVSR_13_2");
    assert_string_equal(t.cells[0 * 6 + 4], "failed");
    assert_string_equal(t.cells[0 * 6 + 5], "out of memory at layer 3");
    assert_string_equal(t.cells[1 * 6 + 4], "skipped");
    assert_string_equal(t.cells[1 * 6 + 5], "weights x.vsrw absent: train it");
    vsr_report_table_free(&t);
    vsr_report_rows_free(&bad);
    vsr_report_rows_free(&rows);
}

/* `vsrbench report --db DB --out DIR/OUT --no-plots [--base BASE]`, stderr
 * in t->err; the exit code. */
static int run_report(const struct vsr_cli_tmp *t, const char *db, const char *out,
                      const char *base)
{
    const char *bin = getenv("VSR_BINARY_DIR");
    char exe[600], dir[600];
    snprintf(exe, sizeof(exe), "%s/vsrbench", bin ? bin : ".");
    if (access(exe, X_OK) != 0)
        VSR_SKIP("%s not built", exe);
    snprintf(dir, sizeof(dir), "%s/%s", t->dir, out);
    const char *args[] = {
        "report", "--db", db, "--out", dir, "--no-plots", base ? "--base" : NULL, base, NULL};
    return vsr_test_vsrbench(args, t->out, t->err, NULL);
}

/* run_report() that must succeed, then its report.md (caller frees). */
static char *report_md(const struct vsr_cli_tmp *t, const char *db, const char *out,
                       const char *base)
{
    char path[1024];
    assert_int_equal(run_report(t, db, out, base), 0);
    snprintf(path, sizeof(path), "%s/%s/report.md", t->dir, out);
    char *md = vsr_test_slurp(path);
    assert_non_null(md);
    return md;
}

static void test_cli(void **state)
{
    struct vsr_cli_tmp *fx = *state;
    char path[1024];
    /* A --base typo: exit 2, one line with the hint, and no folder made. */
    assert_int_equal(run_report(fx, fx->db, "typo", "MVSR13"), 2);
    snprintf(path, sizeof(path), "%s/typo", fx->dir);
    assert_int_equal(access(path, F_OK), -1);
    char *e = vsr_test_slurp(fx->err);
    assert_non_null(e);
    assert_non_null(strstr(e, "did you mean 'MVSR_13'?"));
    char *nl = strchr(e, '\n');
    assert_true(nl && nl[1] == '\0'); /* one line */
    free(e);
    /* The real thing: every ablation in report.md, the not-ok runs listed. */
    char *md = report_md(fx, fx->db, "rep", "MVSR_13");
    assert_non_null(strstr(md, "### Ablation against MVSR_13"));
    assert_non_null(strstr(md, "| MVSR_14 | base | fp32 | demo Y, frames: 3 |"));
    assert_non_null(strstr(md, "| MVSR_23 | base | int8 |"));
    /* The leaderboard against the base (bootstrap_ref.py's intervals): MVSR_14
     * fp32 significant, MVSR_14 int8 not. */
    assert_non_null(strstr(md, "\xce\x94PSNR vs MVSR_13 \\[95% CI\\]"));
    const char *r14 = strstr(md, "| MVSR_14 (frames: 3) | base | fp32 | **29.58** |");
    assert_non_null(r14);
    const char *eol = strchr(r14, '\n');
    const char *ci = strstr(r14, "| +0.21 \\[+0.04, +0.42\\] \\* |");
    assert_true(ci && ci < eol);
    r14 = strstr(md, "| MVSR_14 (frames: 3) | base | int8 |");
    assert_non_null(r14);
    eol = strchr(r14, '\n');
    ci = strstr(r14, "| +0.04 \\[-0.17, +0.21\\] |");
    assert_true(ci && ci < eol);
    assert_non_null(strstr(md, "### Runs that failed or were skipped"));
    assert_non_null(strstr(md, "out of memory at layer 3"));
    free(md);
}

/* A log with tune results only: the tune table, no failure. */
static void test_tune_only(void **state)
{
    struct vsr_cli_tmp *fx = *state;
    char db[600];
    snprintf(db, sizeof(db), "%s/tune.db", fx->dir);
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_runlog_open(&log, db, &err), 0);
    vsr_runlog_host h = {"testhost", "Test CPU", "avx2 fma", 2};
    int64_t host, ts;
    assert_int_equal(vsr_runlog_host_id(log, &h, &host, &err), 0);
    vsr_runlog_sweep s = {"tune", NULL, "tune", NULL, "fedcba9876543210"};
    vsr_runlog_tune tk = {"ABPN", "base", "int8", "demo", host};
    assert_int_equal(vsr_runlog_sweep_begin(log, &s, 0, &ts, &err), 0);
    vsr_runlog_tune_row tr[] = {{0, 0, 1, 20.0, 0.0, 1, 1, 0, NAN, NAN, 0, "", 0, 0, 1},
                                {64, 8, 1, 19.0, -0.25, 0, 1, 1, NAN, NAN, 0, "", 0, 0, 1}};
    assert_int_equal(vsr_runlog_tune_record(log, ts, &tk, tr, 2, &err), 0);
    vsr_runlog_close(&log);
    char *md = report_md(fx, db, "tune", NULL);
    assert_non_null(strstr(md, "(no finished runs: tune results only)"));
    assert_non_null(strstr(md, "### Tune ABPN/base int8 on demo"));
    assert_non_null(strstr(md, "| 1 | 64 | 8 | **19.00** | -0.250 |"));
    free(md);
}

/*
 * End to end: the shipped ablation config on the demo clips (2 frames per
 * clip, fp32, one thread, minimal timing: ~10 s in a release build), then
 * `report --base MVSR_13`: all six ablations appear with intervals.
 */
static void test_ablation_config(void **state)
{
    struct vsr_cli_tmp *fx = *state;
    const char *bin = getenv("VSR_BINARY_DIR"), *src = getenv("VSR_SOURCE_DIR");
    char exe[600], cfg[600], w[700], cmd[4096], path[700];
    snprintf(exe, sizeof(exe), "%s/vsrbench", bin ? bin : ".");
    snprintf(cfg, sizeof(cfg), "%s/configs/ablation_mvsr13.yaml", src ? src : "..");
    snprintf(w, sizeof(w), "%s/models/weights/MVSR_25.vsrw", src ? src : "..");
    if (access(exe, X_OK) != 0 || access(cfg, R_OK) != 0)
        VSR_SKIP("%s or %s missing", exe, cfg);
    if (access(w, R_OK) != 0)
        VSR_SKIP("%s missing (the ablation weights)", w);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s' run '%s' --db e2e.db --no-report --set datasets.0.frames=2"
             " --set 'precisions=[fp32]' --set threads=1 --set timing.warmup=0"
             " --set timing.runs=1 --set timing.min_runs=1 --set timing.min_secs=0"
             " >/dev/null 2>&1 && '%s' report --db e2e.db --out e2e --base MVSR_13 --no-plots"
             " --format md --filter channel=Y >/dev/null",
             fx->dir, exe, cfg, exe);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/e2e/report.md", fx->dir);
    char *md = vsr_test_slurp(path);
    assert_non_null(md);
    const char *abl = strstr(md, "### Ablation against MVSR_13");
    assert_non_null(abl);
    assert_non_null(strstr(abl, "| MVSR_13 | base (base) | fp32 | demo Y, frames: 2 |"));
    static const char *const six[] = {"MVSR_13_2", "MVSR_13_3", "MVSR_14",
                                      "MVSR_15",   "MVSR_23",   "MVSR_25"};
    for (int i = 0; i < 6; i++) {
        char want[128];
        snprintf(want, sizeof(want), "| %s | base | fp32 | demo Y, frames: 2 | ", six[i]);
        const char *row = strstr(abl, want);
        if (!row)
            print_error("no ablation row for %s\n", six[i]);
        assert_non_null(row);
        /* the PSNR delta has its interval: "+0.10 [+0.08, +0.12]" (escaped in md) */
        const char *eol = strchr(row, '\n');
        const char *ci = strstr(row + strlen(want), "\\[");
        assert_true(ci && eol && ci < eol);
    }
    assert_null(strstr(abl, "Not paired"));
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ablation_from_db),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_tune_only),
        cmocka_unit_test(test_ablation_config),
    };
    return VSR_RUN_TESTS(tests, setup, vsr_cli_tmp_teardown);
}
