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
#include "vsr/datasets.h"
#include "vsr/engine.h"
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
    const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
    assert_non_null(e);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, "ELSR", h, w, &g, &err) ||
        vsr_models_random_weights(g, 1234, &err))
        fail_msg("%s", err.msg);
    return g;
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

struct row {
    int tile, pad, threads, identical, pareto, recommended, delta_null;
    double ms, delta;
};

static void test_tune_tiny(void **state)
{
    struct vsr_cli_tmp *t = *state;
    VSR_SKIP_WITHOUT_DEMO();
    vsr_error err = {0};
    vsr_graph *g = tiny_model(68, 120);
    if (vsr_weights_save(g, t->weights, &err))
        fail_msg("%s", err.msg);

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
                                        " model, precision, dataset FROM tune_results"
                                        " ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    struct row r[16];
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < 16) {
        r[n] = (struct row){sqlite3_column_int(st, 0),   sqlite3_column_int(st, 1),
                            sqlite3_column_int(st, 2),   sqlite3_column_int(st, 3),
                            sqlite3_column_int(st, 4),   sqlite3_column_int(st, 5),
                            sqlite3_column_int(st, 8),   sqlite3_column_double(st, 6),
                            sqlite3_column_double(st, 7)};
        assert_string_equal((const char *)sqlite3_column_text(st, 9), "ELSR");
        assert_string_equal((const char *)sqlite3_column_text(st, 10), "fp32");
        assert_string_equal((const char *)sqlite3_column_text(st, 11), "demo");
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* (0,0) once + 2 tiles x 2 pads */
    assert_int_equal(n, 5);

    /* the Pareto marks, recomputed from the recorded values */
    int n_rec = 0, rec = -1;
    for (int i = 0; i < n; i++) {
        double li = r[i].identical ? 0 : r[i].delta_null ? INFINITY : fabs(r[i].delta);
        int dominated = 0;
        for (int j = 0; j < n; j++) {
            double lj = r[j].identical ? 0 : r[j].delta_null ? INFINITY : fabs(r[j].delta);
            if (j != i && r[j].ms <= r[i].ms && lj <= li && (r[j].ms < r[i].ms || lj < li))
                dominated = 1;
        }
        assert_int_equal(r[i].pareto, !dominated);
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
    vsr_error err = {0};
    vsr_graph *g = tiny_model(68, 120);
    if (vsr_weights_save(g, t->weights, &err))
        fail_msg("%s", err.msg);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tune_tiny, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_tune_tiling_axes, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
