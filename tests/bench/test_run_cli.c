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
#include "vsr/bench.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/* vsrbench with @p args (NULL-terminated), stdout to t->out, VSR_DATA_DIR = t->data; exit code.
 */
static int vsrbench(struct vsr_cli_tmp *t, const char *const *args)
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
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_test_writef(t->cfg,
                    "name: tiny\n"
                    "datasets: [{name: demo, type: demo, frames: 2, clips: [vtest]}]\n"
                    "metrics: {psnr: {crop_border: 4, channels: [y, rgb]}}\n"
                    "models: [bicubic, ELSR]\n"
                    "threads: 1\n"
                    "timing: {warmup: 1, runs: 1, min_runs: 1, min_secs: 0}\n"
                    "output: {report_dir: %s/report}\n",
                    t->dir);

    const char *dry[] = {"run", t->cfg, "--db", t->db, "--dry-run", NULL};
    assert_int_equal(vsrbench(t, dry), 0);
    assert_int_equal(count_lines_with(t->out, "/base/fp32/demo/bi/t0/p0/th1"), 2);
    assert_int_equal(access(t->db, F_OK), -1); /* a dry run writes nothing */

    /* ELSR has no trained weights in a fresh tree: that run fails, exit 1 */
    const char *run[] = {"run", t->cfg, "--db", t->db, "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run), 1);
    sqlite3 *db = vsr_test_open_db(t->db);
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
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_test_writef(t->cfg,
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
    const char *run[] = {"run",        t->cfg,  "--db",        t->db,
                         "--progress", "never", "--no-report", NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = vsr_test_open_db(t->db);
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

/* ELSR (5 small convs) for the demo's 120x68 LR frames with random weights, saved to @p path.
 */
static void save_random_elsr(const char *path)
{
    const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
    assert_non_null(e);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, "ELSR", 68, 120, &g, &err) ||
        vsr_models_random_weights(g, 7, &err) || vsr_weights_save(g, path, &err))
        fail_msg("%s", err.msg);
    vsr_graph_free(&g);
}

/* The stopping rule in a real sweep: bicubic on 2 frames with min_runs 5
 * and min_secs 0 needs 3 passes = 6 timed frames; threads: auto is stored
 * as 0 with the count used beside it; --timing-detail prints the stage split and
 * benchmark_model's line; --pin 0 runs, a CPU that cannot exist is a usage
 * error (exit 2). */
static const char *slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_run_timing_rule(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_test_writef(t->cfg,
                    "name: rule\n"
                    "datasets: [{name: demo, type: demo, frames: 2, clips: [vtest]}]\n"
                    "metrics: {psnr: {crop_border: 4, channels: [y, rgb]}}\n"
                    "models: [bicubic]\n"
                    "threads: auto\n"
                    "timing: {warmup: 0, runs: 1, min_runs: 5, min_secs: 0}\n"
                    "output: {report_dir: %s/report}\n",
                    t->dir);
    const char *run[] = {"run",   t->cfg,  "--db", t->db,         "--progress",
                         "never", "--pin", "0",    "--no-report", "--timing-detail",
                         NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = vsr_test_open_db(t->db);
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
    /* 3 passes over the one clip: the setup decodes it, the passes reuse it */
    assert_int_equal(count_lines_with(t->out, "clip cache: 3 loads from memory, 1 decoded, 0 "
                                              "dropped"),
                     1);
    /* where the time went, by stage, with the command's total last */
    assert_int_equal(count_lines_with(t->out, "stages (wall s / CPU s, share of wall): setup "),
                     1);
    assert_int_equal(count_lines_with(t->out, ", inference "), 1);
    assert_int_equal(count_lines_with(t->out, ", scoring "), 1);
    assert_int_equal(count_lines_with(t->out, "; total "), 1);
    const char *bad[] = {"run", t->cfg, "--db", t->db, "--pin", "100000", NULL};
    assert_int_equal(vsrbench(t, bad), 2);

    /* without the cache (every pass decodes): the same scores */
    char db2[400], errf[400], msg[1024], sql[600];
    snprintf(db2, sizeof(db2), "%s/nocache.db", t->dir);
    snprintf(errf, sizeof(errf), "%s/err.txt", t->dir);
    const char *run2[] = {"run",   t->cfg,  "--db", db2,           "--progress",
                          "never", "--pin", "0",    "--no-report", NULL};
    setenv("VSR_CLIP_CACHE_MB", "0", 1);
    assert_int_equal(vsrbench(t, run2), 0);
    snprintf(sql, sizeof(sql), "ATTACH '%s' AS nc", db2);
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    vsr_test_exec(db, sql);
    assert_int_equal(
        vsr_test_q_int(db,
                       "SELECT count(*) FROM frame_metrics a JOIN"
                       " nc.frame_metrics b USING (clip, frame) WHERE"
                       " a.psnr_y = b.psnr_y AND a.psnr_rgb = b.psnr_rgb AND a.psnr_y > 20"),
        2);
    sqlite3_close(db);
    /* a cap that is not a number: a usage error naming the variable, nothing run */
    setenv("VSR_CLIP_CACHE_MB", "lots", 1);
    unlink(db2);
    assert_int_equal(vsr_test_vsrbench(run2, t->out, errf, t->data), 2);
    unsetenv("VSR_CLIP_CACHE_MB");
    assert_non_null(strstr(slurp(errf, msg, sizeof(msg)), "VSR_CLIP_CACHE_MB"));
    assert_ptr_equal(strchr(msg, '\n'), msg + strlen(msg) - 1); /* one line */
    assert_int_equal(access(db2, F_OK), -1);
}

/* Config @p name at t->cfg: ELSR with random weights saved in t->dir, the
 * first frame of the demo clip vtest, @p precisions, one timed pass, the
 * report in t->dir/report. */
static void write_elsr_config(struct vsr_cli_tmp *t, const char *name, const char *precisions)
{
    char weights[400];
    snprintf(weights, sizeof(weights), "%s/elsr.vsrw", t->dir);
    save_random_elsr(weights);
    vsr_test_writef(t->cfg,
                    "name: %s\n"
                    "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
                    "models: [{name: ELSR, weights: %s}]\n"
                    "precisions: %s\n"
                    "threads: 1\n"
                    "timing: {warmup: 0, runs: 1, min_runs: 1, min_secs: 0}\n"
                    "output: {report_dir: %s/report}\n",
                    name, weights, precisions, t->dir);
}

/* precisions=[fp16n] from --set: the run is recorded (schema v5) with
 * precision fp16n, scored and timed. ELSR (5 small convs) with random
 * weights saved here keeps the scalar FP16-FMA twin fast on any CPU. */
static void test_run_fp16n(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    write_elsr_config(t, "half", "[fp32]");
    const char *run[] = {"run",        t->cfg,  "--db", t->db, "--set", "precisions=[fp16n]",
                         "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = vsr_test_open_db(t->db);
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

/* engine.conv_algo in a run: the layer profile records, per conv, the algorithm that
 * ran (schema v15): with winograd4 the 3x3 stride-1 convs say F(4,3), with the
 * default every conv says direct, and no other op has an algorithm. The timings
 * record the frames the helper gate ran alone (schema v16). */
static void test_run_conv_algo(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    write_elsr_config(t, "wino", "[fp32]");
    const char *run[] = {"run",        t->cfg,  "--db",
                         t->db,        "--set", "engine.conv_algo=winograd4",
                         "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run), 0);
    const char *run2[] = {"run", t->cfg, "--db", t->db, "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run2), 0);
    sqlite3 *db = vsr_test_open_db(t->db);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 2);
    int wino = vsr_test_q_int(db, "SELECT count(*) FROM layer_profile l JOIN runs r ON"
                                  " r.id = l.run_id WHERE r.id = (SELECT min(id) FROM runs)"
                                  " AND l.algo = 'winograd F(4,3)'");
    assert_true(wino > 0);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM layer_profile WHERE run_id ="
                                        " (SELECT max(id) FROM runs) AND op = 'conv2d' AND"
                                        " algo IS NOT 'direct'"),
                     0);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM layer_profile WHERE"
                                        " op <> 'conv2d' AND algo IS NOT NULL"),
                     0);
    /* 1 thread: no frame alone (schema v16) */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM timings WHERE frames_alone = 0"),
                     2);
    sqlite3_close(db);
    /* 2 threads, 10 timed frames: the helper gate's first probe (the engine's frames 4..6,
     * engine/sched.c) runs 3 of them alone, whichever side is faster here */
    const char *run3[] = {"run",        t->cfg,      "--db",  t->db,
                          "--set",      "threads=2", "--set", "timing.runs=10",
                          "--progress", "never",     NULL};
    assert_int_equal(vsrbench(t, run3), 0);
    db = vsr_test_open_db(t->db);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM timings WHERE run_id ="
                                        " (SELECT max(id) FROM runs) AND threads_used = 2 AND"
                                        " count = 10 AND frames_alone BETWEEN 3 AND 10"),
                     1);
    sqlite3_close(db);
}

/* An INT8 scheme and a new calibration method through `run`: the run log
 * records the scheme's label as the precision (no new column) with its
 * calibration, the run key carries both, and the report's PSNR-drop table
 * compares the run with FP32. */
static void test_run_int8_scheme(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    write_elsr_config(t, "scheme",
                      "[fp32, {name: int8-pt, scheme: {activations: symmetric},"
                      " calibration: {method: kl, frames: 1}}]");
    const char *run[] = {"run", t->cfg, "--db", t->db, "--progress", "never", NULL};
    assert_int_equal(vsrbench(t, run), 0);
    sqlite3 *db = vsr_test_open_db(t->db);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs WHERE precision ="
                                        " 'int8-pt-sym' AND calib_method = 'kl' AND"
                                        " calib_frames = 1 AND"
                                        " run_key LIKE '%/int8-pt-sym-kl-1/%'"),
                     1);
    sqlite3_close(db);
    char path[400];
    snprintf(path, sizeof(path), "%s/report/report.md", t->dir);
    assert_int_equal(count_lines_with(path, "PSNR drop against FP32"), 1);
    assert_int_equal(count_lines_with(path, "| ELSR | base | int8-pt-sym | kl/1 |"), 1);
}

/* Read the number after @p prefix on the line of @p path that has @p needle. */
static int number_after(const char *path, const char *needle, const char *prefix)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int v = -1;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, needle)) {
            const char *p = strstr(line, prefix);
            assert_non_null(p);
            v = atoi(p + strlen(prefix));
        }
    fclose(f);
    return v;
}

/* Count the runs "K by other processes" on the summary line of @p path. */
static int others_in(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int v = -1;
    while (fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, " by other processes");
        if (p) {
            while (p > line && p[-1] != ' ')
                p--;
            v = atoi(p);
        }
    }
    fclose(f);
    return v;
}

/*
 * Two `vsrbench run` processes on one db split the sweep: every run has
 * exactly one row, 'ok', and what one did the other counts as done by
 * another process. The test process joins the sweep first as a live worker
 * (as a third `run` would), so the two always share one session however the
 * scheduler starts them.
 */
static void test_two_processes(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    char weights[400], out2[400];
    snprintf(weights, sizeof(weights), "%s/elsr.vsrw", t->dir);
    snprintf(out2, sizeof(out2), "%s/out2.txt", t->dir);
    save_random_elsr(weights);
    vsr_error err = {0};
    /* 2 bicubic + 4 ELSR runs */
    vsr_test_writef(t->cfg,
                    "name: split\n"
                    "datasets: [{name: demo, type: demo, frames: 3, clips: [vtest]}]\n"
                    "metrics: {psnr: {crop_border: 4, channels: [y]}}\n"
                    "models: [bicubic, {name: ELSR, weights: %s}]\n"
                    "precisions: [fp32, fp16]\n"
                    "exclude: [{model: bicubic, precision: fp16}]\n"
                    "tile: [0, 32]\n"
                    "threads: 1\n"
                    "timing: {warmup: 0, runs: 1}\n"
                    "output: {report_dir: %s/report}\n",
                    weights, t->dir);
    const int n_runs = 6;
    const char *demo[] = {"data", "demo", NULL}; /* made once, not by both at once */
    assert_int_equal(vsrbench(t, demo), 0);

    vsr_config *cfg = NULL;
    if (vsr_config_load(t->cfg, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    vsr_runlog *log = NULL;
    if (vsr_runlog_open(&log, t->db, &err))
        fail_msg("%s", err.msg);
    vsr_runlog_sweep sw = {cfg->name, cfg->path, cfg->text, cfg->overrides, cfg->hash};
    int64_t sweep = 0;
    int joined = -1;
    assert_int_equal(vsr_runlog_sweep_join(log, &sw, 0, &sweep, &joined, &err), 0);
    assert_int_equal(joined, 0);

    const char *run[] = {"run",        t->cfg,  "--db",        t->db,
                         "--progress", "never", "--no-report", NULL};
    pid_t a = vsr_test_vsrbench_start(run, t->out, NULL, t->data, 0);
    pid_t b = vsr_test_vsrbench_start(run, out2, NULL, t->data, 0);
    assert_int_equal(vsr_test_vsrbench_wait(a), 0);
    assert_int_equal(vsr_test_vsrbench_wait(b), 0);
    assert_int_equal(vsr_runlog_sweep_leave(log, sweep, NULL, &err), 0);
    vsr_runlog_close(&log);
    vsr_config_free(&cfg);

    sqlite3 *db = vsr_test_open_db(t->db);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM sweeps"), 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM runs"), n_runs);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(DISTINCT run_key) FROM runs WHERE"
                                        " status = 'ok'"),
                     n_runs);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM run_leases WHERE finished IS"
                                        " NOT NULL AND run_id IS NOT NULL"),
                     n_runs);
    /* the test and both processes worked on the sweep, and all left it */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(DISTINCT pid) FROM sweep_workers"), 3);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM sweep_workers WHERE left_at IS NULL"), 0);
    /* what one ran, the other reports as run by other processes */
    int ok_a = number_after(t->out, "by other processes", "runs: ");
    int ok_b = number_after(out2, "by other processes", "runs: ");
    assert_int_equal(ok_a + ok_b, n_runs);
    assert_int_equal(others_in(t->out), ok_b);
    assert_int_equal(others_in(out2), ok_a);
    sqlite3_close(db);
}

/* The whole of file @p path (one line expected) into @p buf. */
/*
 * Bad input the user named is a usage/config error (exit 2) with one line
 * naming it, the same from `run` and `report`: a --db that is not SQLite,
 * a run log of a newer schema; an unknown model name, caught at validation
 * (also under --dry-run) with the nearest zoo name.
 */
static void test_bad_inputs(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char errf[400], msg[1024], rep[400];
    snprintf(errf, sizeof(errf), "%s/err.txt", t->dir);
    snprintf(rep, sizeof(rep), "%s/rep", t->dir);
    vsr_test_writef(t->cfg, "name: bad\n"
                            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
                            "models: [bicubic]\n"
                            "threads: 1\n");
    const char *run[] = {"run",        t->cfg,  "--db",        t->db,
                         "--progress", "never", "--no-report", NULL};
    const char *report[] = {"report", "--db", t->db, "--out", rep, NULL};
    for (int kind = 0; kind < 2; kind++) {
        unlink(t->db);
        if (kind == 0) { /* not SQLite */
            FILE *f = fopen(t->db, "w");
            assert_non_null(f);
            for (int i = 0; i < 100; i++)
                fputs("these are not the pages you are looking for\n", f);
            fclose(f);
        } else { /* a run log of a future vsrbench */
            sqlite3 *db = vsr_test_open_db(t->db);
            vsr_test_exec(db, "CREATE TABLE future (x); PRAGMA user_version ="
                              " 1000");
            sqlite3_close(db);
        }
        const char *want = kind ? "schema version 1000 is newer" : "not an SQLite database";
        char first[1024];
        assert_int_equal(vsr_test_vsrbench(run, t->out, errf, t->data), 2);
        slurp(errf, first, sizeof(first));
        assert_non_null(strstr(first, t->db));
        assert_non_null(strstr(first, want));
        assert_ptr_equal(strchr(first, '\n'), first + strlen(first) - 1); /* one line */
        assert_int_equal(vsr_test_vsrbench(report, t->out, errf, NULL), 2);
        slurp(errf, msg, sizeof(msg));
        /* the same line but for the command's name */
        assert_string_equal(strchr(msg, ':'), strchr(first, ':'));
    }
    unlink(t->db);

    /* an unknown model: a config error before anything runs, dry run or not */
    vsr_test_writef(t->cfg, "name: bad\n"
                            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
                            "models: [bicubic, SWNR]\n"
                            "threads: 1\n");
    const char *dry[] = {"run", t->cfg, "--db", t->db, "--dry-run", NULL};
    assert_int_equal(vsr_test_vsrbench(dry, t->out, errf, t->data), 2);
    assert_non_null(strstr(slurp(errf, msg, sizeof(msg)), "tiny.yaml:3: models[1]: 'SWNR' is"
                                                          " not a zoo model (did you mean"
                                                          " 'SWRN'?)"));
    assert_int_equal(vsr_test_vsrbench(run, t->out, errf, t->data), 2);
    assert_int_equal(access(t->db, F_OK), -1); /* nothing recorded */
    /* a label of its own with type: a zoo model is fine; a bad type is named */
    vsr_test_writef(t->cfg, "name: bad\n"
                            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
                            "models: [{name: my_abpn, type: ABPN}, {name: mine, type: ELSRR}]\n"
                            "threads: 1\n");
    assert_int_equal(vsr_test_vsrbench(dry, t->out, errf, t->data), 2);
    assert_non_null(strstr(slurp(errf, msg, sizeof(msg)), "models[1].type: 'ELSRR' is not a"
                                                          " zoo model (did you mean 'ELSR'?)"));
    const char *set[] = {"run", t->cfg, "--dry-run", "--set", "models.1.type=ELSR", NULL};
    assert_int_equal(vsr_test_vsrbench(set, t->out, errf, t->data), 0);
    assert_int_equal(count_lines_with(t->out, "ABPN/my_abpn/fp32/"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_resume_dry, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_optional_skipped, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_run_timing_rule, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_run_conv_algo, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_run_fp16n, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_run_int8_scheme, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_two_processes, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_inputs, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
