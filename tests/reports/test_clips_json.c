/*
 * The per-clip table of a video set and report.json, from a run log built
 * here with the bench run-log API (the real schema). Two runs on a
 * two-clip "vid4" set; every expected number is a mean worked out by hand
 * from the inserted clip values, chosen exact in binary so that the four
 * printed decimals are unambiguous.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "runlog_scores.h"
#include "vsr/bench.h"
#include "vsr/reports.h"

struct fx {
    char dir[256], db[320];
};

/* One finished run of @p model / @p prec on @p dataset with the clips @p c. */
static void put_run(vsr_runlog *log, int64_t sweep, int64_t host, const char *model,
                    const char *prec, const char *dataset, const vsr_runlog_clip *c, int nc)
{
    vsr_error err = {0};
    char key[128];
    snprintf(key, sizeof(key), "%s/base/%s/%s/bi/t0/p0/th1", model, prec, dataset);
    vsr_runlog_run run = {.run_key = key,
                          .config_hash = key,
                          .model = model,
                          .variant = "base",
                          .precision = prec,
                          .dataset = dataset,
                          .degradation = "bi",
                          .scale = 4,
                          .threads = 1,
                          .host_id = host};
    int64_t id;
    assert_int_equal(vsr_runlog_run_begin(log, sweep, &run, &id, &err), 0);
    vsr_runlog_result res = {.ok = 1,
                             .params = 1000,
                             .macs = 1000000,
                             .input_w = 32,
                             .input_h = 24,
                             .clips = c,
                             .n_clips = nc,
                             .init_ms = NAN};
    if (vsr_runlog_run_finish(log, id, &res, &err))
        fail_msg("%s", err.msg);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f || !vsr_test_tmpdir(f->dir, sizeof(f->dir)))
        return -1;
    snprintf(f->db, sizeof(f->db), "%s/runs.db", f->dir);
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    if (vsr_runlog_open(&log, f->db, &err))
        return -1;
    vsr_runlog_host h = {"testhost", "Test CPU", "avx2", 2};
    int64_t host, sweep;
    vsr_runlog_sweep s = {"clips", "clips.yaml", "name: clips\n", NULL, "fedcba9876543210"};
    if (vsr_runlog_host_id(log, &h, &host, &err) ||
        vsr_runlog_sweep_begin(log, &s, 0, &sweep, &err))
        return -1;
    /* {clip, frames, {psnr_rgb, psnr_y, ssim_rgb, ssim_y, niqe}} */
    const vsr_runlog_clip a[] = {{"calendar", 4, VSR_TEST_V1(23.5, 24.5, 0.625, 0.75, NAN)},
                                 {"city", 4, VSR_TEST_V1(25.25, 26.25, 0.75, 0.875, NAN)}};
    const vsr_runlog_clip b[] = {{"calendar", 4, VSR_TEST_V1(22.0, 23.0, 0.5, 0.5, NAN)},
                                 {"city", 4, VSR_TEST_V1(24.0, 25.0, 0.5, 0.625, NAN)}};
    const vsr_runlog_clip one[] = {{"vtest", 2, VSR_TEST_V1(30.0, 31.0, 0.5, 0.5, NAN)}};
    put_run(log, sweep, host, "ABPN", "fp32", "vid4", a, 2);
    put_run(log, sweep, host, "MVSR_13", "int8", "vid4", b, 2);
    put_run(log, sweep, host, "ABPN", "fp32", "demo", one, 1);
    vsr_runlog_close(&log);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vsr_test_rmtree(f->dir);
    free(f);
    return 0;
}

/* The rows of one group: dataset @p ds, channel @p ch. */
static void rows_of(const char *db, const char *ds, const char *ch, vsr_report_rows *rows)
{
    vsr_error err = {0};
    char filter[128];
    snprintf(filter, sizeof(filter), "dataset=%s,channel=%s", ds, ch);
    assert_int_equal(vsr_report_db_rows(db, 1, rows, &err), 0);
    assert_int_equal(vsr_report_rows_filter(rows, filter, &err), 0);
}

static const char *cell(const vsr_report_table *t, size_t r, int c)
{
    return t->cells[r * (size_t)t->ncols + (size_t)c];
}

/* Row order is that of the rows given: find the one of @p model. */
static size_t row_of(const vsr_report_table *t, const char *model)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(cell(t, r, 0), model))
            return r;
    fail_msg("no row %s", model);
    return 0;
}

static void test_clip_table_y(void **state)
{
    struct fx *f = *state;
    vsr_report_rows rows = {0};
    vsr_report_table t;
    vsr_error err = {0};
    rows_of(f->db, "vid4", "Y", &rows);
    assert_int_equal(rows.n, 2);
    if (vsr_report_table_clips(f->db, rows.v, rows.n, &t, &err))
        fail_msg("%s", err.msg);
    static const char *const hdr[] = {
        "Model",         "Precision",     "calendar PSNR (Y)",    "calendar SSIM (Y)",
        "city PSNR (Y)", "city SSIM (Y)", "Vid4 (BIx4) PSNR (Y)", "Vid4 (BIx4) SSIM (Y)"};
    assert_int_equal(t.ncols, 8);
    for (int c = 0; c < 8; c++)
        assert_string_equal(t.headers[c], hdr[c]);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(t.id, "clips_vid4_BI_Y");
    size_t a = row_of(&t, "ABPN"), b = row_of(&t, "MVSR_13");
    assert_string_equal(cell(&t, a, 1), "fp32");
    assert_string_equal(cell(&t, b, 1), "int8");
    /* ABPN: clips as inserted; mean (24.5 + 26.25) / 2, (0.75 + 0.875) / 2 */
    static const char *const va[] = {"24.5000", "0.7500",  "26.2500",
                                     "0.8750",  "25.3750", "0.8125"};
    /* MVSR_13: (23 + 25) / 2, (0.5 + 0.625) / 2 */
    static const char *const vb[] = {"23.0000", "0.5000",  "25.0000",
                                     "0.6250",  "24.0000", "0.5625"};
    for (int c = 0; c < 6; c++) {
        assert_string_equal(cell(&t, a, 2 + c), va[c]);
        assert_string_equal(cell(&t, b, 2 + c), vb[c]);
        /* ABPN is better in every column */
        assert_int_equal(t.best[a * 8 + 2 + (size_t)c], 1);
        assert_int_equal(t.best[b * 8 + 2 + (size_t)c], 0);
    }
    vsr_report_table_free(&t);
    vsr_report_rows_free(&rows);

    /* RGB channel: labelled so */
    rows_of(f->db, "vid4", "RGB", &rows);
    assert_int_equal(vsr_report_table_clips(f->db, rows.v, rows.n, &t, &err), 0);
    assert_string_equal(t.headers[6], "Vid4 (BIx4) PSNR (RGB)");
    size_t r = row_of(&t, "ABPN");
    assert_string_equal(cell(&t, r, 6), "24.3750"); /* (23.5 + 25.25) / 2 */
    vsr_report_table_free(&t);
    vsr_report_rows_free(&rows);

    /* one clip: no per-clip table */
    rows_of(f->db, "demo", "Y", &rows);
    assert_int_equal(rows.n, 1);
    assert_int_equal(vsr_report_table_clips(f->db, rows.v, rows.n, &t, &err), -ENODATA);
    vsr_report_rows_free(&rows);
}

/* The whole report with json and csv: report.json holds every table (the
 * per-clip one with its raw numbers), the CSV of the per-clip table has 4
 * decimals, and no temporary file is left. */
static void test_report_json(void **state)
{
    struct fx *f = *state;
    char out[400], path[500];
    snprintf(out, sizeof(out), "%s/rep", f->dir);
    vsr_report_opts o;
    vsr_report_opts_init(&o);
    o.db = f->db;
    o.out = out;
    o.plots = 0;
    o.formats = VSR_REPORT_JSON | VSR_REPORT_CSV;
    vsr_error err = {0};
    if (vsr_report_generate(&o, &err))
        fail_msg("%s", err.msg);
    snprintf(path, sizeof(path), "%s/report.json", out);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        fail_msg("report.json: %s (line %d)", je.text, je.line);
    assert_string_equal(json_string_value(json_object_get(doc, "version")), "vsrbench report");
    json_t *tables = json_object_get(doc, "tables");
    json_t *clips = NULL;
    int leaderboards = 0;
    for (size_t i = 0; i < json_array_size(tables); i++) {
        json_t *t = json_array_get(tables, i);
        const char *id = json_string_value(json_object_get(t, "id"));
        leaderboards += !strncmp(id, "leaderboard_", 12);
        if (!strcmp(id, "clips_vid4_BI_Y"))
            clips = t;
    }
    /* vid4 Y, vid4 RGB, demo Y, demo RGB */
    assert_int_equal(leaderboards, 4);
    assert_non_null(clips);
    assert_int_equal(json_array_size(json_object_get(clips, "columns")), 8);
    json_t *rows = json_object_get(clips, "rows");
    assert_int_equal(json_array_size(rows), 2);
    int seen = 0;
    for (size_t i = 0; i < 2; i++) {
        json_t *r = json_array_get(rows, i);
        const char *m =
            json_string_value(json_object_get(json_object_get(r, "cells"), "Model"));
        if (strcmp(m, "MVSR_13"))
            continue;
        seen = 1;
        json_t *v = json_object_get(r, "values");
        assert_true(json_real_value(json_object_get(v, "Vid4 (BIx4) PSNR (Y)")) == 24.0);
        assert_true(json_real_value(json_object_get(v, "Vid4 (BIx4) SSIM (Y)")) == 0.5625);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(r, "cells"), "city SSIM (Y)")),
            "0.6250");
        assert_int_equal(json_array_size(json_object_get(r, "best")), 0);
    }
    assert_true(seen);
    json_decref(doc);

    snprintf(path, sizeof(path), "%s/csv/clips_vid4_BI_Y.csv", out);
    char *csv = vsr_test_slurp(path);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "Model,Precision,calendar PSNR (Y),calendar SSIM (Y),city PSNR "
                                "(Y),city SSIM (Y),Vid4 (BIx4) PSNR (Y),Vid4 (BIx4) SSIM (Y)"));
    assert_non_null(strstr(csv, "MVSR_13,int8,23.0000,0.5000,25.0000,0.6250,24.0000,0.5625"));
    free(csv);
    snprintf(path, sizeof(path), "ls -a '%s' | grep -q tmp-", out);
    assert_int_not_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clip_table_y),
        cmocka_unit_test(test_report_json),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
