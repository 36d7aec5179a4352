/*
 * vsrbench tune end to end on a tiny model: ELSR (5 convs, receptive field
 * radius 4 LR pixels) with random weights saved by the test. The grid has
 * pads 0 (seams) and 8 (covers the receptive field). Checked independently
 * of the command: the recommended setting's output, recomputed here with
 * the engine, equals the untiled output byte for byte; a pad-0 tile differs
 * (the seam detection is not vacuous); the Pareto marks recorded in the db
 * agree with a brute-force front over the recorded (ms, |dPSNR|).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "zoo_harness.h"
#include "sqlite_harness.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"

/* vsrbench with @p args (NULL-terminated), stdout to t->out, VSR_DATA_DIR = t->data; exit code.
 */
static int vsrbench(struct vsr_cli_tmp *t, const char *const *args)
{
    return vsr_test_vsrbench(args, t->out, NULL, t->data);
}

/* The ELSR graph for h x w with the test's random weights. */
static vsr_graph *tiny_model(int h, int w)
{
    return vsr_test_zoo_random("ELSR", h, w, 1234);
}

/* SR of @p lr by @p g in FP32 with tile/pad, into @p sr (allocated here). */
static void upscale(const vsr_graph *g, int tile, int pad, const vsr_frame *lr, vsr_frame *sr)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.tile = tile;
    o.pad = pad;
    vsr_engine *e = NULL;
    vsr_error err = {0};
    if (vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e, &err) ||
        vsr_engine_set_input_frame(e, 0, lr, &err) || vsr_engine_run(e, &err) ||
        vsr_frame_alloc(sr, lr->width * 4, lr->height * 4, 3, &err) ||
        vsr_engine_get_output_frame(e, 0, sr, &err))
        fail_msg("%s", err.msg);
    vsr_engine_free(&e);
}

static int frames_equal(const vsr_frame *a, const vsr_frame *b)
{
    for (int y = 0; y < a->height; y++)
        if (memcmp(vsr_frame_row(a, y), vsr_frame_row(b, y), (size_t)a->width * 3))
            return 0;
    return 1;
}

/* The tiny model saved as t->weights (the graph stays the caller's: vsr_graph_free()). */
static vsr_graph *save_tiny(struct vsr_cli_tmp *t)
{
    vsr_error err = {0};
    vsr_graph *g = tiny_model(68, 120);
    if (vsr_weights_save(g, t->weights, &err))
        fail_msg("%s", err.msg);
    return g;
}

struct row {
    int tile, pad, threads, identical, pareto, recommended, delta_null, noisy;
    double ms, delta;
};

static void test_tune_tiny(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_error err = {0};
    vsr_graph *g = save_tiny(t);

    const char *args[] = {
        "tune", "--model",   "ELSR",     "--precision", "fp32",    "--dataset",
        "demo", "--weights", t->weights, "--tiles",     "0,16,40", "--pads",
        "0,8",  "--threads", "1",        "--frames",    "1",       "--tolerance-db",
        "0",    "--db",      t->db,      "--progress",  "never",   NULL};
    assert_int_equal(vsrbench(t, args), 0);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT tile, pad, threads, identical, pareto,"
                                        " recommended, ms, psnr_delta, psnr_delta IS NULL,"
                                        " model, precision, dataset, noisy FROM tune_results"
                                        " ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    struct row r[16];
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < 16) {
        r[n] = (struct row){sqlite3_column_int(st, 0),    sqlite3_column_int(st, 1),
                            sqlite3_column_int(st, 2),    sqlite3_column_int(st, 3),
                            sqlite3_column_int(st, 4),    sqlite3_column_int(st, 5),
                            sqlite3_column_int(st, 8),    sqlite3_column_int(st, 12),
                            sqlite3_column_double(st, 6), sqlite3_column_double(st, 7)};
        assert_string_equal((const char *)sqlite3_column_text(st, 9), "ELSR");
        assert_string_equal((const char *)sqlite3_column_text(st, 10), "fp32");
        assert_string_equal((const char *)sqlite3_column_text(st, 11), "demo");
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* (0,0) once + 2 tiles x 2 pads */
    assert_int_equal(n, 5);

    /* the Pareto marks, recomputed from the recorded values; rows marked noisy (a
     * loaded machine) take no part unless every row is (docs/PERFORMANCE.md, "Noisy
     * runs"): without that rule this check failed whenever load made some rows noisy */
    int n_rec = 0, rec = -1, clean = 0;
    for (int i = 0; i < n; i++)
        clean += !r[i].noisy;
    for (int i = 0; i < n; i++) {
        int used_i = !clean || !r[i].noisy;
        double li = r[i].identical ? 0 : r[i].delta_null ? INFINITY : fabs(r[i].delta);
        int dominated = 0;
        for (int j = 0; j < n; j++) {
            double lj = r[j].identical ? 0 : r[j].delta_null ? INFINITY : fabs(r[j].delta);
            if (j != i && (!clean || !r[j].noisy) && r[j].ms <= r[i].ms && lj <= li &&
                (r[j].ms < r[i].ms || lj < li))
                dominated = 1;
        }
        assert_int_equal(r[i].pareto, used_i && !dominated);
        if (r[i].recommended) {
            n_rec++;
            rec = i;
        }
    }
    assert_int_equal(n_rec, 1);
    assert_true(r[rec].pareto);

    /* independent check on a demo LR frame: the recommended setting's output
     * equals the untiled output exactly; a pad-0 tile of 16 does not */
    char lrpath[512];
    snprintf(lrpath, sizeof(lrpath), "%s/demo/BIx4/%s/00000000.png", t->data,
             vsr_demo_clip_name(0));
    vsr_frame lr = {0}, ref = {0}, sr = {0}, seam = {0};
    if (vsr_image_read(lrpath, 3, &lr, &err))
        fail_msg("%s", err.msg);
    upscale(g, 0, 0, &lr, &ref);
    upscale(g, r[rec].tile, r[rec].pad, &lr, &sr);
    assert_true(frames_equal(&ref, &sr));
    upscale(g, 16, 0, &lr, &seam);
    assert_false(frames_equal(&ref, &seam));
    /* ... and the db agrees on both */
    for (int i = 0; i < n; i++) {
        if (r[i].tile == 16 && r[i].pad == 0)
            assert_int_equal(r[i].identical, 0);
        if (r[i].tile == 16 && r[i].pad == 8)
            assert_int_equal(r[i].identical, 1);
    }
    vsr_frame_free(&lr);
    vsr_frame_free(&ref);
    vsr_frame_free(&sr);
    vsr_frame_free(&seam);
    vsr_graph_free(&g);

    /* usage errors: exit 2 with one line */
    const char *bad[] = {"tune",      "--model", "NoSuchNet", "--precision", "fp32",
                         "--dataset", "demo",    "--db",      t->db,         NULL};
    assert_int_equal(vsrbench(t, bad), 2);
    const char *bad2[] = {"tune", "--model", "ELSR", "--precision", "fp32", NULL};
    assert_int_equal(vsrbench(t, bad2), 2);
    /* issue 17: --requant is int8's, and float or tflite */
    const char *bad3[] = {"tune", "--model", "ELSR", "--precision", "fp32",   "--dataset",
                          "demo", "--db",    t->db,  "--requant",   "tflite", NULL};
    assert_int_equal(vsrbench(t, bad3), 2);
    const char *bad4[] = {"tune", "--model", "ELSR", "--precision", "int8",  "--dataset",
                          "demo", "--db",    t->db,  "--requant",   "exact", NULL};
    assert_int_equal(vsrbench(t, bad4), 2);
    /* no weights: a runtime failure naming them */
    const char *now[] = {"tune", "--model", "ELSR", "--precision", "fp32", "--dataset",
                         "demo", "--tiles", "0",    "--threads",   "1",    "--frames",
                         "1",    "--db",    t->db,  NULL};
    assert_int_equal(vsrbench(t, now), 1);
}

/*
 * The tiling axes on ELSR (receptive field 4): with pad 4, fixed 24 x 24 windows
 * shift inside the frame at its edge and give the untiled bytes; the padded
 * frame (the deployment study's rule) does not (its edge windows see the
 * padding); two tile workers give the same bytes as one. Checked on the rows
 * the run log recorded.
 */
static void test_tune_tiling_axes(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_graph *g = save_tiny(t);
    vsr_graph_free(&g);
    const char *args[] = {"tune",        "--model",     "ELSR",
                          "--precision", "fp32",        "--dataset",
                          "demo",        "--weights",   t->weights,
                          "--tiles",     "0,24",        "--pads",
                          "4",           "--tile-mode", "fixed,padded",
                          "--padding",   "replicate",   "--tile-workers",
                          "1,2",         "--threads",   "1",
                          "--frames",    "1",           "--db",
                          t->db,         "--progress",  "never",
                          NULL};
    assert_int_equal(vsrbench(t, args), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT tile, tile_mode, coalesce(padding, '-'),"
                           " tile_workers, identical FROM tune_results ORDER BY id",
                           -1, &st, NULL),
        SQLITE_OK);
    /* (0) once + 24 x {fixed, padded} x replicate x {1, 2} workers */
    static const struct {
        int tile;
        const char *mode, *padding;
        int workers, identical;
    } want[] = {{0, "clip", "-", 1, 1},
                {24, "fixed", "replicate", 1, 1},
                {24, "fixed", "replicate", 2, 1},
                {24, "padded", "replicate", 1, 0},
                {24, "padded", "replicate", 2, 0}};
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(n < 5);
        assert_int_equal(sqlite3_column_int(st, 0), want[n].tile);
        assert_string_equal((const char *)sqlite3_column_text(st, 1), want[n].mode);
        assert_string_equal((const char *)sqlite3_column_text(st, 2), want[n].padding);
        assert_int_equal(sqlite3_column_int(st, 3), want[n].workers);
        assert_int_equal(sqlite3_column_int(st, 4), want[n].identical);
        n++;
    }
    assert_int_equal(n, 5);
    sqlite3_finalize(st);
    sqlite3_close(db);
    const char *bad[] = {"tune", "--model", "ELSR", "--precision", "fp32",   "--dataset",
                         "demo", "--db",    t->db,  "--tile-mode", "static", NULL};
    assert_int_equal(vsrbench(t, bad), 2);
}

/* Column @p col of the query @p sql's rows into @p out (at most @p cap); the count. */
static int q_doubles(sqlite3 *db, const char *sql, int col, double *out, int cap)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < cap) {
        out[n++] =
            sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
    }
    sqlite3_finalize(st);
    return n;
}

/* The precision axis and a score (issue 16): every precision has its rows and
 * its name in the db (int8-asym as 'int8'), the recorded score is the preset's
 * formula of the recorded columns (psnr / ms, recomputed here), the one
 * recommended row is the best score among rows within the tolerance, int8-sym
 * is not int8-asym (its PSNR differs), and the score, its formula and the
 * warm-up are in the session's record. */
static void test_tune_precisions_score(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_graph *g = save_tiny(t);
    vsr_graph_free(&g);
    const char *args[] = {"tune",
                          "--model",
                          "ELSR",
                          "--precisions",
                          "fp32,int8-sym,int8-asym",
                          "--dataset",
                          "demo",
                          "--weights",
                          t->weights,
                          "--tiles",
                          "0,16",
                          "--pads",
                          "0",
                          "--threads",
                          "1",
                          "--frames",
                          "1",
                          "--warmup",
                          "2",
                          "--score",
                          "psnr-per-ms",
                          "--db",
                          t->db,
                          "--progress",
                          "never",
                          NULL};
    assert_int_equal(vsrbench(t, args), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    /* 3 precisions x (tile 0, tile 16 pad 0) */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM tune_results"), 6);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(DISTINCT precision) FROM tune_results"
                                        " WHERE precision IN ('fp32', 'int8-sym', 'int8')"),
                     3);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM tune_results WHERE"
                                        " score_formula = 'psnr-per-ms: psnr / ms'"),
                     6);
    double psnr[6], ms[6], score[6], ident[6], delta[6], noisy[6], rec[6];
    const char *sql = "SELECT psnr, ms, score, identical, psnr_delta, noisy, recommended"
                      " FROM tune_results ORDER BY id";
    assert_int_equal(q_doubles(db, sql, 0, psnr, 6), 6);
    q_doubles(db, sql, 1, ms, 6);
    q_doubles(db, sql, 2, score, 6);
    q_doubles(db, sql, 3, ident, 6);
    q_doubles(db, sql, 4, delta, 6);
    q_doubles(db, sql, 5, noisy, 6);
    q_doubles(db, sql, 6, rec, 6);
    int clean = 0, best = -1, n_rec = 0;
    for (int i = 0; i < 6; i++)
        clean += noisy[i] == 0;
    for (int i = 0; i < 6; i++) {
        assert_true(isfinite(psnr[i]) && psnr[i] > 0); /* random weights: a low PSNR */
        assert_float_equal(score[i], psnr[i] / ms[i], 1e-9 * score[i]);
        double loss = ident[i] ? 0 : isnan(delta[i]) ? INFINITY : fabs(delta[i]);
        if ((!clean || noisy[i] == 0) && loss <= 0.01 && (best < 0 || score[i] > score[best]))
            best = i;
        n_rec += rec[i] == 1;
    }
    assert_int_equal(n_rec, 1);
    assert_true(best >= 0);
    assert_true(rec[best] == 1);
    /* rows 2, 4 are the untiled int8-sym and int8 (grid order: per precision, tile 0 first) */
    assert_true(ident[2] == 1 && ident[4] == 1);
    assert_true(psnr[2] != psnr[4]);
    assert_int_equal(vsr_test_q_int(db,
                                    "SELECT count(*) FROM sweeps WHERE config_text LIKE"
                                    " '%score: {name: psnr-per-ms, formula: ''psnr / ms''}%'"
                                    " AND config_text LIKE '%warmup: 2%'"
                                    " AND config_text LIKE '%precisions: fp32+int8-sym+"
                                    "int8-asym%'"),
                     1);
    sqlite3_close(db);
    /* one-line usage errors: an unknown identifier, an unknown precision, both options */
    const char *bad1[] = {"tune", "--model", "ELSR",     "--precision", "fp32", "--dataset",
                          "demo", "--score", "psnr/mss", "--db",        t->db,  NULL};
    assert_int_equal(vsr_test_vsrbench(bad1, t->out, t->err, t->data), 2);
    char line[512];
    FILE *f = fopen(t->err, "r");
    assert_non_null(fgets(line, sizeof(line), f));
    assert_non_null(strstr(line, "did you mean 'ms'"));
    assert_null(fgets(line, sizeof(line), f));
    fclose(f);
    const char *bad2[] = {"tune",      "--model", "ELSR", "--precisions", "fp32,int4",
                          "--dataset", "demo",    "--db", t->db,          NULL};
    assert_int_equal(vsrbench(t, bad2), 2);
    const char *bad3[] = {"tune", "--model",   "ELSR", "--precision", "fp32", "--precisions",
                          "fp16", "--dataset", "demo", "--db",        t->db,  NULL};
    assert_int_equal(vsrbench(t, bad3), 2);
}

/* No GT (issue 16): the LR-only demo runs end to end with NIQE and the
 * niqe-time score. Checked here: psnr is not recorded, the untiled row's
 * NIQE equals the mean NIQE of the untiled outputs computed here with the
 * engine and the metrics library, every score is 1 / (niqe * ms) of the
 * recorded columns, the recommended row's output is identical to the
 * untiled one; a full-reference score is refused with one line (exit 2). */
static void test_tune_no_gt(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_error err = {0};
    vsr_graph *g = save_tiny(t);
    const char *args[] = {"tune",      "--model",    "ELSR",      "--precision", "fp32",
                          "--dataset", "demo-nogt",  "--weights", t->weights,    "--tiles",
                          "0,16",      "--pads",     "0,8",       "--threads",   "1",
                          "--frames",  "1",          "--score",   "niqe-time",   "--db",
                          t->db,       "--progress", "never",     NULL};
    assert_int_equal(vsrbench(t, args), 0);
    /* the table says so */
    char line[512];
    int said = 0;
    FILE *f = fopen(t->out, "r");
    while (fgets(line, sizeof(line), f))
        said |= strstr(line, "LR frames only: no GT") != NULL;
    fclose(f);
    assert_true(said);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    /* (0,0), (16,0), (16,8) */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM tune_results"), 3);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM tune_results WHERE psnr IS NULL AND niqe > 0"
                           " AND ((identical = 1 AND psnr_delta = 0) OR"
                           " (identical = 0 AND psnr_delta IS NULL))"),
        3);
    double niqe[3], ms[3], score[3], ident[3], rec[3];
    const char *sql =
        "SELECT niqe, ms, score, identical, recommended, tile FROM tune_results ORDER BY id";
    assert_int_equal(q_doubles(db, sql, 0, niqe, 3), 3);
    q_doubles(db, sql, 1, ms, 3);
    q_doubles(db, sql, 2, score, 3);
    q_doubles(db, sql, 3, ident, 3);
    q_doubles(db, sql, 4, rec, 3);
    for (int i = 0; i < 3; i++) {
        assert_float_equal(score[i], 1.0 / (niqe[i] * ms[i]), 1e-9 * score[i]);
        if (rec[i] == 1)
            assert_true(ident[i] == 1);
    }
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM tune_results WHERE"
                                        " recommended = 1"),
                     1);
    sqlite3_close(db);
    /* row 0 is the untiled output: NIQE (BT.601 Y, crop 4) of frame 0 of each clip */
    vsr_metrics_niqe_model *model = NULL;
    if (vsr_metrics_niqe_model_load(NULL, &model, &err))
        fail_msg("%s", err.msg);
    double sum = 0;
    for (int k = 0; k < vsr_demo_clip_count(); k++) {
        char lrpath[512];
        snprintf(lrpath, sizeof(lrpath), "%s/demo_nogt/BIx4/%s/00000000.png", t->data,
                 vsr_demo_clip_name(k));
        vsr_frame lr = {0}, sr = {0};
        double v;
        if (vsr_image_read(lrpath, 3, &lr, &err))
            fail_msg("%s", err.msg);
        upscale(g, 0, 0, &lr, &sr);
        if (vsr_metrics_niqe(&sr, model, 4, VSR_NIQE_Y, NULL, &v, &err))
            fail_msg("%s", err.msg);
        sum += v;
        vsr_frame_free(&lr);
        vsr_frame_free(&sr);
    }
    assert_float_equal(niqe[0], sum / vsr_demo_clip_count(), 1e-9);
    vsr_metrics_niqe_model_free(&model);
    vsr_graph_free(&g);
    /* a full-reference score on data without GT: one line, exit 2 */
    const char *bad[] = {"tune",      "--model",   "ELSR",      "--precision", "fp32",
                         "--dataset", "demo-nogt", "--weights", t->weights,    "--score",
                         "mai:C=2",   "--db",      t->db,       NULL};
    assert_int_equal(vsr_test_vsrbench(bad, t->out, t->err, t->data), 2);
    f = fopen(t->err, "r");
    assert_non_null(fgets(line, sizeof(line), f));
    assert_non_null(strstr(line, "uses psnr, a full-reference metric"));
    assert_null(fgets(line, sizeof(line), f));
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tune_tiny, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_tune_tiling_axes, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_tune_precisions_score, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_tune_no_gt, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
