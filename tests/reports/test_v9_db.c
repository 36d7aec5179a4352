/*
 * A run log written by the release before schema v10 (v9: one column per
 * metric in clip_metrics / frame_metrics) opens, migrates to the long score
 * tables without losing a value, and `vsrbench report` prints the same
 * numbers as the release did on it.
 *
 * The oracles are files made by the old release, not by this code:
 * tests/reference/runlog_v9/runs_v9.sql is the .dump of a database its
 * `vsrbench run` wrote (plus two hand-added v9 rows: an identical-frames run
 * with PSNR +inf and no NIQE, and a failed run), report_v9.md is its
 * `vsrbench report` of that database (tests/reference/runlog_v9/README.md).
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "sqlite_harness.h"
#include "vsr/bench.h"

/* A v9 database built from the committed dump at @p path. */
static void load_v9(const char *path)
{
    char ref[512];
    char *sql = vsr_test_slurp(vsr_test_ref(ref, sizeof(ref), "runlog_v9/runs_v9.sql"));
    assert_non_null(sql);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", ref, msg ? msg : "?");
    assert_int_equal(vsr_test_q_int(db, "PRAGMA user_version"), 9);
    sqlite3_close(db);
    free(sql);
}

/* Every v1 score column of @p table (clip_metrics or frame_metrics) in key order. */
struct v1_rows {
    int n;
    double v[64][5];
    int isnull[64][5];
    long long inf[64][2];
};

static void read_v1(const char *path, const char *table, struct v1_rows *r)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT psnr_rgb, psnr_y, ssim_rgb, ssim_y, niqe, psnr_rgb_inf, psnr_y_inf"
             " FROM %s ORDER BY run_id, clip%s",
             table, strcmp(table, "frame_metrics") ? "" : ", frame");
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    memset(r, 0, sizeof(*r));
    while (sqlite3_step(st) == SQLITE_ROW && r->n < 64) {
        for (int k = 0; k < 5; k++) {
            r->isnull[r->n][k] = sqlite3_column_type(st, k) == SQLITE_NULL;
            r->v[r->n][k] = sqlite3_column_double(st, k);
        }
        r->inf[r->n][0] = sqlite3_column_int64(st, 5);
        r->inf[r->n][1] = sqlite3_column_int64(st, 6);
        r->n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_v9_migrates_losslessly(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char old_path[400];
    snprintf(old_path, sizeof(old_path), "%s/v9.db", t->dir);
    load_v9(old_path);
    load_v9(t->db);
    struct v1_rows clip0, frame0, clip1, frame1;
    read_v1(t->db, "clip_metrics", &clip0);
    read_v1(t->db, "frame_metrics", &frame0);
    /* what the dump holds: 3 demo clips x 2 frames of the real run, one
     * identical clip/frame, nothing for the failed run */
    assert_int_equal(clip0.n, 4);
    assert_int_equal(frame0.n, 7);

    vsr_runlog *log = NULL;
    vsr_error err = {0};
    if (vsr_runlog_open(&log, t->db, &err))
        fail_msg("%s", err.msg);
    vsr_runlog_close(&log);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(db, "PRAGMA user_version"), vsr_runlog_schema_version());
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    /* long rows: 5 scores per clip/frame of the real run (15 + 30), the
     * identical run's 4 (no NIQE), +inf as NULL with is_inf */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM clip_scores"), 15 + 4);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM frame_scores"), 30 + 4);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM clip_scores WHERE run_id = 2 AND"
                                        " metric = 'psnr' AND value IS NULL AND is_inf = 1"),
                     2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM clip_scores WHERE run_id = 2 AND"
                                        " metric = 'niqe'"),
                     0);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM run_frames WHERE ms IS NULL"), 0);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM run_provenance"), 0);
    sqlite3_close(db);

    /* the v1 view gives back every value bit for bit */
    read_v1(t->db, "clip_metrics", &clip1);
    read_v1(t->db, "frame_metrics", &frame1);
    assert_int_equal(clip1.n, clip0.n);
    assert_int_equal(frame1.n, frame0.n);
    assert_memory_equal(&clip1, &clip0, sizeof(clip0));
    assert_memory_equal(&frame1, &frame0, sizeof(frame0));

    /* `vsrbench report` on the migrated file prints what the old release
     * printed on the v9 file (the first lines name the file) */
    char out_dir[400], md[480], ref[512];
    snprintf(out_dir, sizeof(out_dir), "%s/rep", t->dir);
    const char *args[] = {"report",   "--db", t->db,        "--out", out_dir,
                          "--format", "md",   "--no-plots", NULL};
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 0);
    snprintf(md, sizeof(md), "%s/report.md", out_dir);
    char *got = vsr_test_slurp(md);
    char *want = vsr_test_slurp(vsr_test_ref(ref, sizeof(ref), "runlog_v9/report_v9.md"));
    assert_non_null(got);
    assert_non_null(want);
    const char *g = strstr(got, "\n###"), *w = strstr(want, "\n###");
    assert_non_null(g);
    assert_non_null(w);
    assert_string_equal(g, w);
    assert_non_null(strstr(got, "4 row(s), 1 failed or skipped run(s)"));
    free(got);
    free(want);

    /* and so does this build reading the v9 file as it is (read-only) */
    const char *args_old[] = {"report",   "--db", old_path,     "--out", out_dir,
                              "--format", "md",   "--no-plots", NULL};
    assert_int_equal(vsr_test_vsrbench(args_old, t->out, t->err, NULL), 0);
    got = vsr_test_slurp(md);
    want = vsr_test_slurp(ref);
    assert_non_null(got);
    assert_string_equal(strstr(got, "\n###"), strstr(want, "\n###"));
    free(got);
    free(want);
    sqlite3 *old = NULL;
    assert_int_equal(sqlite3_open(old_path, &old), SQLITE_OK);
    assert_int_equal(vsr_test_q_int(old, "PRAGMA user_version"), 9);
    sqlite3_close(old);
}

/*
 * A metric the leaderboard has no column for (a name stored by a metric
 * added to the registry after v10) shows in the report by its name: mean of
 * its clip means, on both channel tables when it has one channel.
 */
static void test_other_metric_by_name(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char path[400];
    snprintf(path, sizeof(path), "%s/other.db", t->dir); /* the fixture is per group */
    load_v9(path);
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    if (vsr_runlog_open(&log, path, &err))
        fail_msg("%s", err.msg);
    vsr_runlog_close(&log);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* clip means 0.25, 0.5, 0.75 -> 0.5; a y-only score with mean 2 -> 2 (Y table only) */
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO clip_scores (run_id, clip, metric, channel, value, is_inf)"
                     " VALUES (1, 'building_pan', 'zmetric', '', 0.25, 0),"
                     " (1, 'fruits_pan', 'zmetric', '', 0.5, 0),"
                     " (1, 'vtest', 'zmetric', '', 0.75, 0),"
                     " (1, 'vtest', 'ychan', 'y', 2.0, 0)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    char out_dir[400], md[480];
    snprintf(out_dir, sizeof(out_dir), "%s/rep2", t->dir);
    const char *args[] = {"report",   "--db", path,         "--out", out_dir,
                          "--format", "md",   "--no-plots", NULL};
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 0);
    snprintf(md, sizeof(md), "%s/report.md", out_dir);
    char *got = vsr_test_slurp(md);
    assert_non_null(got);
    const char *rgb = strstr(got, "### More metrics: demo (BI), channel RGB");
    const char *y = strstr(got, "### More metrics: demo (BI), channel Y");
    assert_non_null(rgb);
    assert_non_null(y);
    assert_non_null(strstr(rgb, "| Model | Variant | Precision | zmetric |\n"));
    assert_non_null(strstr(y, "| Model | Variant | Precision | ychan_y | zmetric |\n"));
    assert_non_null(strstr(y, "| bicubic | base | fp32 | **2.0000** | **0.5000** |"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v9_migrates_losslessly),
        cmocka_unit_test(test_other_metric_by_name),
    };
    return VSR_RUN_TESTS(tests, vsr_cli_tmp_setup, vsr_cli_tmp_teardown);
}
