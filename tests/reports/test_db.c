/*
 * From a run log built in the test with the bench run-log API (so the real
 * schema) to rows, exact Markdown/CSV leaderboards, per-frame and tune
 * queries, and the whole `vsrbench report` command. All expected numbers
 * are means worked out by hand from the inserted values (chosen exact in
 * binary so the printed decimals are unambiguous).
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"
#include "html_check.h"
#include "png_size.h"
#include "render_table.h"
#include "runlog_scores.h"
#include "sqlite_harness.h"
#include "vsr/bench.h"
#include "vsr/datasets.h"
#include "vsr/reports.h"

#define M(prgb, py, srgb, sy) VSR_TEST_V1(prgb, py, srgb, sy, NAN)

static void add_run(vsr_runlog *log, int64_t sweep, int64_t host, const char *key,
                    const char *model, const char *variant, const char *prec, int tile, int pad,
                    int threads, int ok, int64_t params, int64_t macs, double median,
                    double p95, const vsr_runlog_clip *clips, int nclips,
                    const vsr_runlog_frame *frames, int nframes)
{
    vsr_error err = {0};
    int is_int8 = !strcmp(prec, "int8");
    vsr_runlog_run run = {key,
                          "hash-of-" /* differs per key below */,
                          model,
                          variant,
                          prec,
                          is_int8 ? "minmax" : NULL,
                          is_int8 ? 8 : 0,
                          "demo",
                          "bi",
                          4,
                          tile,
                          pad,
                          threads,
                          "abc1234",
                          "-O2",
                          host,
                          NULL};
    char hash[64];
    snprintf(hash, sizeof(hash), "hash-%s", key);
    run.config_hash = hash;
    int64_t id;
    assert_int_equal(vsr_runlog_run_begin(log, sweep, &run, &id, &err), 0);
    vsr_timing_stats t = {20,      2,      30.0, median - 1,    median,        p95,
                          p95 + 1, median, 0.5,  median - 0.25, median + 0.25, 20 * median};
    vsr_runlog_result res = {ok,     ok ? NULL : "boom",
                             "avx2", params,
                             macs,   120,
                             68,     &t,
                             clips,  nclips,
                             frames, nframes,
                             NULL,   0,
                             NULL,   NAN,
                             0,      NULL,
                             NULL};
    int rc = vsr_runlog_run_finish(log, id, &res, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* The tiny db: runs 1 (abpn, superseded by 4), 2 (mvsr int8), 3 (failed),
 * 4 (abpn again, same run key); two tune sessions of one key. */
static void make_db(const char *path)
{
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    int rc = vsr_runlog_open(&log, path, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    vsr_runlog_host h = {"testhost", "Test CPU", "avx2 fma", 2};
    int64_t host, sweep, tsweep1, tsweep2;
    assert_int_equal(vsr_runlog_host_id(log, &h, &host, &err), 0);
    vsr_runlog_sweep s = {"tiny", "configs/tiny.yaml", "name: tiny\n", NULL,
                          "0123456789abcdef"};
    assert_int_equal(vsr_runlog_sweep_begin(log, &s, 0, &sweep, &err), 0);

    vsr_runlog_clip c1[] = {{"a", 2, M(30.0, 31.0, 0.5, 0.5)},
                            {"b", 2, M(32.0, 33.0, 0.5, 0.5)}};
    add_run(log, sweep, host, "abpn/base/fp32/demo/bi/t0/p0/th2", "abpn_x4", "base", "fp32", 0,
            0, 2, 1, 42000, 2500000000, 10.5, 11.25, c1, 2, NULL, 0);
    vsr_runlog_clip c2[] = {{"a", 2, M(INFINITY, 30.0, NAN, NAN)},
                            {"b", 2, M(28.0, 29.0, NAN, NAN)}};
    add_run(log, sweep, host, "mvsr/noattn/int8/demo/bi/t64/p8/th1", "mvsr_13", "noattn",
            "int8", 64, 8, 1, 1, 30000, 1000000000, 4.0, 4.5, c2, 2, NULL, 0);
    add_run(log, sweep, host, "swrn/base/fp16/demo/bi/t0/p0/th1", "swrn", "base", "fp16", 0, 0,
            1, 0, -1, -1, 1, 1, NULL, 0, NULL, 0);
    vsr_runlog_clip c4[] = {{"a", 2, M(30.25, 31.5, 0.75, 0.75)},
                            {"b", 2, M(32.25, 33.5, 0.875, 0.875)}};
    vsr_runlog_frame f4[] = {{"a", 0, M(30.0, 31.25, NAN, NAN), 10.0},
                             {"a", 1, M(30.5, 31.75, NAN, NAN), 11.0},
                             {"b", 0, M(32.0, 33.25, NAN, NAN), 10.0},
                             {"b", 1, M(32.5, 33.75, NAN, NAN), 11.0}};
    add_run(log, sweep, host, "abpn/base/fp32/demo/bi/t0/p0/th2", "abpn_x4", "base", "fp32", 0,
            0, 2, 1, 42000, 2500000000, 10.5, 11.25, c4, 2, f4, 4);

    vsr_runlog_sweep ts = {"tune", NULL, "tune", NULL, "fedcba9876543210"};
    vsr_runlog_tune tk = {"abpn_x4", "base", "int8", "demo", host};
    assert_int_equal(vsr_runlog_sweep_begin(log, &ts, 0, &tsweep1, &err), 0);
    vsr_runlog_tune_row old[] = {{0, 0, 1, 99.0, 0.0, 1, 1, 1, NAN, NAN, 0, "", 0, 0, 1}};
    assert_int_equal(vsr_runlog_tune_record(log, tsweep1, &tk, old, 1, &err), 0);
    assert_int_equal(vsr_runlog_sweep_begin(log, &ts, 0, &tsweep2, &err), 0);
    vsr_runlog_tune_row tr[] = {{0, 0, 1, 20.0, 0.0, 1, 1, 0, NAN, NAN, 0, "", 0, 0, 1},
                                {64, 0, 1, 18.0, -0.5, 0, 1, 0, NAN, NAN, 0, "", 0, 0, 1},
                                {64, 8, 1, 19.0, 0.0, 1, 0, 1, NAN, NAN, 0, "", 0, 0, 1},
                                {0, 0, 2, 11.0, 0.0, 1, 1, 0, NAN, NAN, 0, "", 0, 0, 1},
                                {64, 0, 2, 10.0, -0.5, 0, 1, 0, NAN, NAN, 0, "", 0, 0, 1},
                                {64, 8, 2, 10.5, 0.0, 1, 0, 0, NAN, NAN, 0, "", 0, 0, 1}};
    assert_int_equal(vsr_runlog_tune_record(log, tsweep2, &tk, tr, 6, &err), 0);
    vsr_runlog_close(&log);
}

/* The Y leaderboard of the newest runs: abpn (run 4) Y = (31.5 + 33.5) / 2
 * = 32.5, SSIM (0.75 + 0.875) / 2 = 0.8125; mvsr Y = (30 + 29) / 2 = 29.5,
 * no SSIM. MACs 2.5e9 -> 2.500 G, 1e9 -> 1.000 G at 68x120 (HxW). */
static const char WANT_MD[] =
    "### Leaderboard: demo (BIx4), channel Y\n"
    "\n"
    "| Rank | Model | Variant | Precision | PSNR \\[dB\\] | SSIM | NIQE | Params \\[K\\] | "
    "MACs \\[G\\] @ "
    "68x120 | ms/frame \\[95% CI\\] (p95) | Threads | Tile |\n"
    "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
    "| 1 | abpn_x4 | base | fp32 | **32.50** | **0.8125** | - | 42.0 | 2.500 | 10.50 \\[10.25, "
    "10.75\\] (11.25) | "
    "2 | none |\n"
    "| 2 | mvsr_13 | noattn | int8 | 29.50 | - | - | **30.0** | **1.000** | **4.00 \\[3.75, "
    "4.25\\] (4.50)** | "
    "1 "
    "| 64 (pad 8) |\n"
    "\n" VSR_TEST_LEADERBOARD_NOTE "\n";

/* The same with --base abpn_x4: abpn_x4 is the base, mvsr_13 int8 has no
 * int8 base ("-"), so no interval and no added footnote. */
static const char WANT_MD_BASE[] =
    "### Leaderboard: demo (BIx4), channel Y\n"
    "\n"
    "| Rank | Model | Variant | Precision | PSNR \\[dB\\] | SSIM | NIQE | Params \\[K\\] | "
    "MACs \\[G\\] @ "
    "68x120 | ms/frame \\[95% CI\\] (p95) | Threads | Tile | \xce\x94PSNR vs abpn_x4 "
    "\\[95% CI\\] |\n"
    "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n"
    "| 1 | abpn_x4 | base | fp32 | **32.50** | **0.8125** | - | 42.0 | 2.500 | 10.50 \\[10.25, "
    "10.75\\] (11.25) | "
    "2 | none | (base) |\n"
    "| 2 | mvsr_13 | noattn | int8 | 29.50 | - | - | **30.0** | **1.000** | **4.00 \\[3.75, "
    "4.25\\] (4.50)** | "
    "1 "
    "| 64 (pad 8) | - |\n";

static const char WANT_CSV[] =
    "rank,model,variant,precision,dataset,degradation,channel,psnr_db,ssim,niqe,params,macs_g,"
    "input_h,input_w,ms_median,ms_p95,threads,tile,pad,run_id,isa,host,git_rev,sweep,ms_median_"
    "lo,"
    "ms_median_hi,noisy\r\n"
    "1,abpn_x4,base,fp32,demo,BI,Y,32.5000,0.8125,,42000,2.500000,68,120,10.500,11.250,2,0,0,"
    "4,avx2,Test CPU,abc1234,tiny,10.250,10.750,0\r\n"
    "2,mvsr_13,noattn,int8,demo,BI,Y,29.5000,,,30000,1.000000,68,120,4.000,4.500,1,64,8,2,"
    "avx2,Test CPU,abc1234,tiny,3.750,4.250,0\r\n";

static void expect_str(char *got, const char *want)
{
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        print_error("got:\n%s\nexpected:\n%s\n", got, want);
    assert_string_equal(got, want);
    free(got);
}

struct fixture {
    char dir[256];
    char db[512];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (!fx || !vsr_test_tmpdir(fx->dir, sizeof(fx->dir)))
        return -1;
    snprintf(fx->db, sizeof(fx->db), "%s/runs.db", fx->dir);
    make_db(fx->db);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    int rc = 0;
    if (getenv("VSR_TEST_KEEP")) /* to look at the report by eye */
        print_message("kept %s\n", fx->dir);
    else
        rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static void test_rows(void **state)
{
    struct fixture *fx = *state;
    vsr_report_rows rows = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_report_db_rows(fx->db, 0, &rows, &err), 0);
    /* ok runs 1, 2, 4, each with RGB and Y: 6 rows, in run order. */
    assert_int_equal(rows.n, 6);
    assert_int_equal(rows.v[0].run_id, 1);
    assert_string_equal(rows.v[0].channel, "RGB");
    assert_true(rows.v[0].psnr == 31.0); /* (30 + 32) / 2 */
    assert_true(rows.v[1].psnr == 32.0); /* Y: (31 + 33) / 2 */
    assert_int_equal(rows.v[2].run_id, 2);
    assert_true(isinf(rows.v[2].psnr) && rows.v[2].psnr > 0); /* clip a lossless */
    assert_true(isnan(rows.v[2].ssim));
    /* no description: the sweep and calibration (the ISA is in Runtime) */
    assert_string_equal(rows.v[2].description, "tiny, calib minmax/8");
    assert_true(isnan(rows.v[2].params_log) && isnan(rows.v[2].flops_log));
    assert_true(rows.v[4].psnr == 31.25); /* run 4 RGB: (30.25 + 32.25) / 2 */
    assert_string_equal(rows.v[4].degradation, "BI");
    assert_string_equal(rows.v[4].host, "Test CPU");
    assert_true(rows.v[4].macs == 2500000000.0);
    assert_int_equal(rows.v[4].in_w, 120);
    assert_int_equal(rows.v[4].in_h, 68);
    vsr_report_rows_free(&rows);
    /* run log v9: the config's description and the reference-size figures */
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
                                  "UPDATE runs SET description = 'r=1/4, no fc',"
                                  " params_log = 68157, flops_log = 7614662454,"
                                  " macs_256x256 = 4291297280, n_conv = 92 WHERE id = 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(vsr_report_db_rows(fx->db, 0, &rows, &err), 0);
    assert_string_equal(rows.v[2].description, "r=1/4, no fc");
    assert_true(rows.v[2].params_log == 68157.0 && rows.v[2].flops_log == 7614662454.0);
    assert_true(rows.v[2].macs_256x256 == 4291297280.0 && rows.v[2].n_conv == 92.0);
    assert_true(isnan(rows.v[2].peak_bytes));
    vsr_report_rows_free(&rows);
    /* Newest per run key: run 1 is superseded by run 4. */
    assert_int_equal(vsr_report_db_rows(fx->db, 1, &rows, &err), 0);
    assert_int_equal(rows.n, 4);
    for (size_t i = 0; i < rows.n; i++)
        assert_int_not_equal(rows.v[i].run_id, 1);
    vsr_report_rows_free(&rows);
    /* Not a run log; missing file. */
    char bogus[600];
    snprintf(bogus, sizeof(bogus), "%s/none.db", fx->dir);
    assert_int_equal(vsr_report_db_rows(bogus, 1, &rows, &err), -ENOENT);
    FILE *f = fopen(bogus, "w");
    assert_non_null(f);
    fputs("not sqlite", f);
    fclose(f);
    assert_true(vsr_report_db_rows(bogus, 1, &rows, &err) < 0);
    assert_non_null(strstr(err.msg, "none.db"));
    remove(bogus);
}

static void test_leaderboard_from_db(void **state)
{
    struct fixture *fx = *state;
    vsr_report_rows rows = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_report_db_rows(fx->db, 1, &rows, &err), 0);
    assert_int_equal(vsr_report_rows_filter(&rows, "channel=Y", &err), 0);
    assert_int_equal(rows.n, 2);
    vsr_report_table t;
    assert_int_equal(vsr_report_table_leaderboard(rows.v, rows.n, VSR_REPORT_DISPLAY, &t, &err),
                     0);
    expect_str(render_table(&t, VSR_REPORT_MD), WANT_MD);
    vsr_report_table_free(&t);
    assert_int_equal(vsr_report_table_leaderboard(rows.v, rows.n, VSR_REPORT_DATA, &t, &err),
                     0);
    expect_str(render_table(&t, VSR_REPORT_CSV), WANT_CSV);
    vsr_report_table_free(&t);
    vsr_report_rows_free(&rows);
}

static void test_frames_and_tune(void **state)
{
    struct fixture *fx = *state;
    vsr_report_rows rows = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_report_db_rows(fx->db, 1, &rows, &err), 0);
    assert_int_equal(vsr_report_rows_filter(&rows, "model=abpn_x4", &err), 0);
    assert_int_equal(rows.n, 2); /* RGB, Y of run 4 */
    vsr_report_frame_point *pts;
    size_t n;
    assert_int_equal(vsr_report_db_frames(fx->db, rows.v, rows.n, &pts, &n, &err), 0);
    assert_int_equal(n, 8);
    static const double want[8] = {30.0, 30.5, 32.0, 32.5, 31.25, 31.75, 33.25, 33.75};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].row, i / 4);
        assert_string_equal(pts[i].clip, i % 4 < 2 ? "a" : "b");
        assert_int_equal(pts[i].frame, (int)(i % 2));
        assert_true(pts[i].psnr == want[i]);
    }
    free(pts);
    vsr_report_rows_free(&rows);

    vsr_report_tune_set *sets;
    size_t ns;
    assert_int_equal(vsr_report_db_tune(fx->db, &sets, &ns, &err), 0);
    assert_int_equal(ns, 1); /* only the newest session of the key */
    assert_string_equal(sets[0].precision, "int8");
    assert_int_equal(sets[0].n, 6);
    /* Ordered by threads, tile, pad. */
    assert_int_equal(sets[0].pts[0].threads, 1);
    assert_int_equal(sets[0].pts[0].tile, 0);
    assert_true(sets[0].pts[0].ms_median == 20.0);
    assert_int_equal(sets[0].pts[5].threads, 2);
    assert_int_equal(sets[0].pts[5].pad, 8);
    assert_true(sets[0].pts[1].dpsnr == -0.5);
    vsr_report_tune_sets_free(sets, ns);
}

static int run_report(const char *args)
{
    const char *bin = getenv("VSR_BINARY_DIR");
    char cmd[8192];
    int n =
        snprintf(cmd, sizeof(cmd), "'%s/vsrbench' report %s >/dev/null", bin ? bin : ".", args);
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Phone timings beside the x86 ms: a benchmark_model log of abpn_x4 FP32
 * (written here in the tool's format; its graph name gives model and
 * precision) imported with `vsrbench device import` becomes a column
 * "ms on OnePlus 7T" of the leaderboard in every format: Inference (avg)
 * 29376.4 us = 29.4 ms as shown, 29.376 in the CSV; mvsr_13 int8 has no
 * figure ("-", empty in the CSV). */
static void test_device_column(void **state)
{
    struct fixture *fx = *state;
    const char *bin = getenv("VSR_BINARY_DIR");
    char cmd[4096], log[600], path[1024];
    snprintf(path, sizeof(path), "%s/vsrbench", bin ? bin : ".");
    if (access(path, X_OK) != 0)
        VSR_SKIP("%s not built", path);
    /* a run log of its own: the fixture's is shared with the other tests */
    char db[600];
    snprintf(db, sizeof(db), "%s/device.db", fx->dir);
    make_db(db);
    snprintf(log, sizeof(log), "%s/abpn.log", fx->dir);
    FILE *f = fopen(log, "w");
    assert_non_null(f);
    fputs("STARTING!\n"
          "Graph: [/data/local/tmp/abpn_x4_fp32.tflite]\n"
          "Num threads: [4]\n"
          "count=50 first=30533 curr=29050 min=28719 max=31042 avg=29376.4 std=515\n"
          "Inference timings in us: Init: 15123, First inference: 40321, Warmup (avg): "
          "31000, Inference (avg): 29376.4\n",
          f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), "'%s' device import '%s' --db '%s' --device 'OnePlus 7T' -q",
             path, log, db);
    assert_int_equal(system(cmd), 0);
    /* again: nothing added, and it says so; bad input: one line, exit 2 */
    char said[700];
    snprintf(said, sizeof(said), "%s/said.txt", fx->dir);
    snprintf(cmd, sizeof(cmd), "'%s' device import '%s' --db '%s' --device 'OnePlus 7T' > '%s'",
             path, log, db, said);
    assert_int_equal(system(cmd), 0);
    char *text = vsr_test_slurp(said);
    assert_non_null(text);
    assert_non_null(strstr(text, "abpn.log: already imported (sha256 "));
    assert_non_null(strstr(text, "): 1 timing, nothing added\n"));
    free(text);
    snprintf(cmd, sizeof(cmd), "'%s' device import '%s' --db '%s' 2> '%s'", path, log, db,
             said);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    text = vsr_test_slurp(said);
    assert_non_null(text);
    assert_non_null(strstr(text, "line 5: no device name: pass --device NAME"));
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text)); /* one line */
    free(text);
    snprintf(cmd, sizeof(cmd), "--db '%s' --out '%s/devrep' --no-plots", db, fx->dir);
    assert_int_equal(run_report(cmd), 0);
    snprintf(path, sizeof(path), "%s/devrep/report.md", fx->dir);
    char *md = vsr_test_slurp(path);
    assert_non_null(md);
    static const char want_md[] =
        "| Rank | Model | Variant | Precision | PSNR \\[dB\\] | SSIM | NIQE | Params \\[K\\] | "
        "MACs \\[G\\] @ 68x120 | ms/frame \\[95% CI\\] (p95) | Threads | Tile | ms on "
        "OnePlus 7T |\n"
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n"
        "| 1 | abpn_x4 | base | fp32 | **32.50** | **0.8125** | - | 42.0 | 2.500 | 10.50 "
        "\\[10.25, 10.75\\] (11.25) | 2 | none | **29.4** |\n"
        "| 2 | mvsr_13 | noattn | int8 | 29.50 | - | - | **30.0** | **1.000** | **4.00 "
        "\\[3.75, 4.25\\] (4.50)** | 1 | 64 (pad 8) | - |\n";
    if (!strstr(md, want_md))
        print_error("report.md:\n%s\n", md);
    assert_non_null(strstr(md, want_md));
    free(md);
    snprintf(path, sizeof(path), "%s/devrep/csv/leaderboard_demo_BI_Y.csv", fx->dir);
    char *csv = vsr_test_slurp(path);
    assert_non_null(csv);
    assert_non_null(strstr(csv, ",noisy,ms on OnePlus 7T\r\n"));
    assert_non_null(strstr(csv, ",10.250,10.750,0,29.376\r\n"));
    assert_non_null(strstr(csv, ",3.750,4.250,0,\r\n"));
    free(csv);
    snprintf(path, sizeof(path), "%s/devrep/report.tex", fx->dir);
    char *tex = vsr_test_slurp(path);
    assert_non_null(tex);
    assert_non_null(strstr(tex, "ms on OnePlus 7T"));
    assert_non_null(strstr(tex, "\\textbf{29.4}"));
    free(tex);
    snprintf(path, sizeof(path), "%s/devrep/index.html", fx->dir);
    char *html = vsr_test_slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "ms on OnePlus 7T"));
    assert_non_null(strstr(html, ">29.4<"));
    free(html);
}

/* The command end to end: the files, the exact Y table inside report.md and
 * its CSV, a well-formed index.html, and (with gnuplot) the plots. */
static void test_cli(void **state)
{
    struct fixture *fx = *state;
    char args[1024], path[1024];
    const char *bin = getenv("VSR_BINARY_DIR");
    snprintf(path, sizeof(path), "%s/vsrbench", bin ? bin : ".");
    if (access(path, X_OK) != 0) {
        VSR_SKIP("%s not built", path);
    }
    snprintf(args, sizeof(args), "--db '%s' --out '%s/rep' --base abpn_x4 --plot-size 640x400",
             fx->db, fx->dir);
    assert_int_equal(run_report(args), 0);
    snprintf(path, sizeof(path), "%s/rep/report.md", fx->dir);
    char *md = vsr_test_slurp(path);
    assert_non_null(md);
    if (!strstr(md, WANT_MD_BASE))
        print_error("report.md:\n%s\n", md);
    assert_non_null(strstr(md, WANT_MD_BASE));
    assert_non_null(strstr(md, "### Ablation against abpn_x4"));
    assert_non_null(strstr(md, "### Research log (paste-ready)"));
    free(md);
    snprintf(path, sizeof(path), "%s/rep/csv/leaderboard_demo_BI_Y.csv", fx->dir);
    expect_str(vsr_test_slurp(path), WANT_CSV);
    snprintf(path, sizeof(path), "%s/rep/report.tex", fx->dir);
    char *tex = vsr_test_slurp(path);
    assert_non_null(tex);
    assert_non_null(strstr(tex, "\\label{tab:leaderboard_demo_BI_Y}"));
    assert_non_null(strstr(tex, "1 & abpn\\_x4 & base & fp32 & \\textbf{32.50}"));
    free(tex);
    char index[1024];
    snprintf(index, sizeof(index), "%s/rep/index.html", fx->dir);
    char *html = vsr_test_slurp(index), why[128] = "";
    assert_non_null(html);
    size_t bad = html_check(html, why, sizeof(why));
    if (bad)
        print_error("index.html at byte %zu: %s\n", bad - 1, why);
    assert_int_equal(bad, 0);
    /* The lossless (+inf) PSNR sorts as Infinity in the page. */
    assert_non_null(strstr(html, "data-v=\"Infinity\"><b>inf</b>"));
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        char cmd[1200];
        snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout '%s'", index);
        assert_int_equal(system(cmd), 0);
    }
    if (vsr_report_gnuplot_available()) {
        static const char *const plots[] = {"pareto_demo_BI_Y", "params_demo_BI_Y",
                                            "frames_demo_BI_Y_a", "ablation",
                                            "tune_abpn_x4_base_int8_demo"};
        for (size_t i = 0; i < sizeof(plots) / sizeof(plots[0]); i++) {
            uint32_t w = 0, h = 0;
            snprintf(path, sizeof(path), "%s/rep/plots/%s.png", fx->dir, plots[i]);
            if (png_size(path, &w, &h) != 0)
                print_error("missing plot %s\n", path);
            assert_int_equal(png_size(path, &w, &h), 0);
            assert_int_equal(w, 640);
            assert_int_equal(h, 400);
            char img[256];
            snprintf(img, sizeof(img), "<img src=\"plots/%s.png\"", plots[i]);
            assert_non_null(strstr(html, img));
        }
        /* Rendered: the leaderboard's best cells and the Pareto front's red line. */
        if (access("/usr/bin/chromium", X_OK) == 0) {
            char cmd[4096], shot[700];
            snprintf(shot, sizeof(shot), "%s/shot.png", fx->dir);
            snprintf(cmd, sizeof(cmd),
                     "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
                     "--no-first-run --disable-background-networking "
                     "--disable-component-update --disable-sync --user-data-dir='%s/profile' "
                     "--screenshot='%s' --window-size=1280,4000 'file://%s' >/dev/null 2>&1",
                     fx->dir, shot, index);
            int st = system(cmd);
            (void)st;
            vsr_frame img = {0};
            vsr_error err = {0};
            assert_int_equal(vsr_image_read(shot, 3, &img, &err), 0);
            long best = 0, red = 0;
            for (int y = 0; y < img.height; y++)
                for (int x = 0; x < img.width; x++) {
                    const uint8_t *px = vsr_frame_row(&img, y) + 3 * x;
                    best += px[0] == 0xe6 && px[1] == 0xf4 && px[2] == 0xe6;
                    red += px[0] > 0xc0 && px[1] < 0x50 && px[2] < 0x50;
                }
            vsr_frame_free(&img);
            print_message("report screenshot: %ld best-cell pixels, %ld red plot pixels\n",
                          best, red);
            assert_true(best > 100);
            assert_true(red > 200); /* the front lines and circles; 0 without plots */
        } else {
            print_message("note: /usr/bin/chromium absent, rendering not checked\n");
        }
    } else {
        print_message("note: gnuplot absent, plots not checked\n");
    }
    free(html);
    /* Filters and bad usage. */
    snprintf(args, sizeof(args),
             "--db '%s' --out '%s/rep2' --format md --filter precision=int8", fx->db, fx->dir);
    assert_int_equal(run_report(args), 0);
    snprintf(path, sizeof(path), "%s/rep2/report.md", fx->dir);
    md = vsr_test_slurp(path);
    assert_non_null(md);
    assert_null(strstr(md, "| abpn_x4 |")); /* (its int8 tune session stays) */
    assert_non_null(strstr(md, "mvsr_13"));
    free(md);
    snprintf(path, sizeof(path), "%s/rep2/index.html", fx->dir);
    assert_int_equal(access(path, F_OK), -1); /* html not asked for */
    snprintf(args, sizeof(args), "--db '%s' --out '%s/rep3' --filter colour=red 2>/dev/null",
             fx->db, fx->dir);
    assert_int_equal(run_report(args), 2);
    snprintf(args, sizeof(args), "--db '%s' --out '%s/rep3' --format pdf 2>/dev/null", fx->db,
             fx->dir);
    assert_int_equal(run_report(args), 2);
    snprintf(args, sizeof(args), "--db '%s/missing.db' --out '%s/rep3' 2>/dev/null", fx->dir,
             fx->dir);
    assert_int_equal(run_report(args), 1);
    snprintf(args, sizeof(args), "--db '%s' --out '%s/rep3' --base nope 2>/dev/null", fx->db,
             fx->dir);
    assert_int_equal(run_report(args), 2);
    snprintf(args, sizeof(args),
             "--db '%s' --out '%s/rep3' --filter precision=fp16 2>/dev/null", fx->db, fx->dir);
    assert_int_equal(run_report(args), 1); /* the only fp16 run failed: nothing to report */
}

/* `vsrbench report ARGS` with stderr to @p errpath, under RLIMIT_FSIZE = @p limit
 * bytes when > 0 (cli_harness.h); the exit code. */
static int report_limited(const char *const *args, rlim_t limit, const char *errpath)
{
    const char *argv[32] = {"report"};
    int n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    return vsr_test_vsrbench_limited(argv, "/dev/null", errpath, NULL, limit);
}

/* The files below @p dir (relative names, sorted) with their bytes. */
struct snap {
    char name[64][600];
    char *data[64];
    long size[64];
    int n;
};

static void snap_walk(struct snap *s, const char *root, const char *rel)
{
    char d[1400];
    snprintf(d, sizeof(d), "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *dir = opendir(d);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char r[600], full[1700];
        snprintf(r, sizeof(r), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof(full), "%s/%s", root, r);
        struct stat st;
        assert_int_equal(lstat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            snap_walk(s, root, r);
            continue;
        }
        assert_true(s->n < 64);
        snprintf(s->name[s->n], sizeof(s->name[0]), "%s", r);
        s->data[s->n] = vsr_test_slurp(full);
        s->size[s->n] = (long)st.st_size;
        s->n++;
    }
    closedir(dir);
}

static void snap_take(struct snap *s, const char *root)
{
    memset(s, 0, sizeof(*s));
    snap_walk(s, root, "");
    /* sort by name (insertion) */
    for (int i = 1; i < s->n; i++)
        for (int j = i; j > 0 && strcmp(s->name[j - 1], s->name[j]) > 0; j--) {
            char t[600];
            memcpy(t, s->name[j], sizeof(t));
            memcpy(s->name[j], s->name[j - 1], sizeof(t));
            memcpy(s->name[j - 1], t, sizeof(t));
            char *d = s->data[j];
            s->data[j] = s->data[j - 1];
            s->data[j - 1] = d;
            long z = s->size[j];
            s->size[j] = s->size[j - 1];
            s->size[j - 1] = z;
        }
}

static void snap_free(struct snap *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->data[i]);
}

/* Index of @p name in @p s, -1 when absent. */
static int snap_find(const struct snap *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name))
            return i;
    return -1;
}

/* One line of stderr (no more), returned in @p line. */
static void one_line(const char *errpath, char *line, size_t cap)
{
    char *e = vsr_test_slurp(errpath);
    assert_non_null(e);
    size_t len = strlen(e);
    assert_true(len > 0 && e[len - 1] == '\n');
    assert_null(memchr(e, '\n', len - 1));
    snprintf(line, cap, "%s", e);
    free(e);
}

/*
 * Issue 21: a report on a full disk. Every file must appear complete or not
 * at all: rerunning over a finished report under RLIMIT_FSIZE fails with
 * one line and exit 1 and leaves every file of the previous report as it
 * was (same names, same bytes, no temporary file); a first report under the
 * limit leaves no zero-byte, partial or temporary file, only files equal
 * to the complete report's.
 */
static void test_full_disk(void **state)
{
    struct fixture *fx = *state;
    char out[300], out2[300], errpath[300], line[1024], db[300];
    /* A copy of the log in rollback-journal mode: a WAL reader must create
     * the 32 KiB -shm file, which the limit would refuse before any report
     * file is written. */
    snprintf(db, sizeof(db), "%s/full.db", fx->dir);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
    char sql[400];
    snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", db);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    snprintf(out, sizeof(out), "%s/full", fx->dir);
    snprintf(out2, sizeof(out2), "%s/full2", fx->dir);
    snprintf(errpath, sizeof(errpath), "%s/full.err", fx->dir);
    const char *args[] = {"--db",        db,        "--out", out, "--base", "abpn_x4",
                          "--plot-size", "320x200", NULL};
    assert_int_equal(report_limited(args, 0, errpath), 0);
    struct snap before, after;
    snap_take(&before, out);
    assert_true(before.n >= 5); /* md, tex, html and the CSVs at least */
    /* Every limit is below index.html (style + script, > 8 KiB) so some file
     * fails; 40000 only stops the largest SVG plot (when gnuplot is there). */
    int idx = snap_find(&before, "index.html");
    assert_true(idx >= 0 && before.size[idx] > 8192);
    static const rlim_t limits[] = {40000, 8192, 2048, 512};
    for (size_t li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
        rlim_t limit = limits[li];
        assert_int_equal(report_limited(args, limit, errpath), 1);
        one_line(errpath, line, sizeof(line));
        print_message("limit %lu: %s", (unsigned long)limit, line);
        assert_true(strstr(line, "File too large") || strstr(line, "the whole picture") ||
                    strstr(line, "gnuplot failed") ||
                    strstr(line, "write failed (disk full?)"));
        snap_take(&after, out);
        assert_int_equal(after.n, before.n);
        for (int i = 0; i < before.n; i++) {
            assert_string_equal(after.name[i], before.name[i]);
            assert_int_equal(after.size[i], before.size[i]);
            assert_memory_equal(after.data[i], before.data[i], (size_t)before.size[i]);
        }
        snap_free(&after);

        const char *fresh[] = {"--db",        db,        "--out", out2, "--base", "abpn_x4",
                               "--plot-size", "320x200", NULL};
        assert_int_equal(report_limited(fresh, limit, errpath), 1);
        one_line(errpath, line, sizeof(line));
        struct stat st;
        if (stat(out2, &st) == 0) {
            snap_take(&after, out2);
            for (int i = 0; i < after.n; i++) {
                int j = snap_find(&before, after.name[i]);
                size_t len = strlen(after.name[i]);
                if (j >= 0 && len > 3 && !strcmp(after.name[i] + len - 3, ".gp")) {
                    /* a script names its folder (full2, not full): whole when it ends
                     * as every plot script does */
                    const char *d = after.data[i];
                    assert_true(strlen(d) > 20);
                    assert_string_equal(d + strlen(d) - 19, "unset output\nreset\n");
                    continue;
                }
                if (j >= 0 && len > 4 && !strcmp(after.name[i] + len - 4, ".png")) {
                    /* gnuplot's pictures: whole when they end with the IEND chunk */
                    assert_true(after.size[i] > 12);
                    assert_memory_equal(after.data[i] + after.size[i] - 8,
                                        "IEND\xae\x42\x60\x82", 8);
                    continue;
                }
                if (j >= 0 && len > 4 && !strcmp(after.name[i] + len - 4, ".svg")) {
                    assert_non_null(strstr(after.data[i], "</svg>"));
                    continue;
                }
                if (j < 0 || after.size[i] != before.size[j])
                    fail_msg("%s/%s: %ld bytes, not a complete report file", out2,
                             after.name[i], after.size[i]);
                assert_memory_equal(after.data[i], before.data[j], (size_t)before.size[j]);
            }
            print_message("limit %lu, first report: %d complete file(s) kept\n",
                          (unsigned long)limit, after.n);
            snap_free(&after);
            vsr_test_rmtree(out2);
        }
    }
    snap_free(&before);
}

/* Issue 21: the report must never write over its run log. */
static void test_db_not_overwritten(void **state)
{
    struct fixture *fx = *state;
    char errpath[300], line[1024], out[300], db2[400], cmd[1600];
    snprintf(errpath, sizeof(errpath), "%s/alias.err", fx->dir);
    char *db_bytes = vsr_test_slurp(fx->db);
    struct stat st0;
    assert_int_equal(stat(fx->db, &st0), 0);
    /* --out is the database */
    const char *same[] = {"--db", fx->db, "--out", fx->db, NULL};
    assert_int_equal(report_limited(same, 0, errpath), 2);
    one_line(errpath, line, sizeof(line));
    assert_non_null(strstr(line, "would write over the run log"));
    /* the database is named like a file of the report, in --out */
    snprintf(out, sizeof(out), "%s/rep_alias", fx->dir);
    snprintf(db2, sizeof(db2), "%s/report.md", out);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s'", out, fx->db, db2);
    assert_int_equal(system(cmd), 0);
    const char *named[] = {"--db", db2, "--out", out, "--no-plots", NULL};
    assert_int_equal(report_limited(named, 0, errpath), 2);
    one_line(errpath, line, sizeof(line));
    assert_non_null(strstr(line, "report.md"));
    char *copy = vsr_test_slurp(db2);
    assert_memory_equal(copy, db_bytes, (size_t)st0.st_size);
    free(copy);
    /* ... through a symlinked --out */
    char link_out[800];
    snprintf(link_out, sizeof(link_out), "%s/link_out", fx->dir);
    assert_int_equal(symlink(out, link_out), 0);
    const char *linked[] = {"--db", db2, "--out", link_out, "--no-plots", NULL};
    assert_int_equal(report_limited(linked, 0, errpath), 2);
    /* an --out that merely holds the database is fine: OUT/runs.db beside the report */
    const char *holds[] = {"--db",       fx->db,     "--out", fx->dir,
                           "--no-plots", "--format", "md",    NULL};
    assert_int_equal(report_limited(holds, 0, errpath), 0);
    copy = vsr_test_slurp(fx->db);
    assert_memory_equal(copy, db_bytes, (size_t)st0.st_size);
    free(copy);
    free(db_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_leaderboard_from_db),
        cmocka_unit_test(test_frames_and_tune),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_device_column),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_db_not_overwritten),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
