/*
 * vsrbench tune, the pure part: the grid (tile 0 deduplicated over pads)
 * and the Pareto / recommendation marks on hand-made rows whose answers are
 * worked out in the comments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/bench.h"

static void test_grid(void **state)
{
    (void)state;
    const int tiles[] = {0, 64, 96}, pads[] = {0, 8}, threads[] = {1, 2};
    vsr_runlog_tune_row *r = NULL;
    int n = 0;
    vsr_error err = {0};
    assert_int_equal(vsr_tune_grid(tiles, 3, pads, 2, threads, 2, &r, &n, &err), 0);
    /* per thread count: (0,0) once + 2 tiles x 2 pads = 5; x 2 threads */
    assert_int_equal(n, 10);
    static const int want[10][3] = {{0, 0, 1}, {64, 0, 1}, {64, 8, 1}, {96, 0, 1}, {96, 8, 1},
                                    {0, 0, 2}, {64, 0, 2}, {64, 8, 2}, {96, 0, 2}, {96, 8, 2}};
    for (int i = 0; i < n; i++) {
        assert_int_equal(r[i].tile, want[i][0]);
        assert_int_equal(r[i].pad, want[i][1]);
        assert_int_equal(r[i].threads, want[i][2]);
        assert_int_equal(r[i].pareto + r[i].recommended + r[i].identical, 0);
    }
    free(r);
    /* repeated values are measured once */
    const int t2[] = {64, 64}, p2[] = {4, 4};
    assert_int_equal(vsr_tune_grid(t2, 2, p2, 2, threads, 1, &r, &n, &err), 0);
    assert_int_equal(n, 1);
    free(r);
    const int bad[] = {-1};
    assert_int_equal(vsr_tune_grid(bad, 1, pads, 2, threads, 1, &r, &n, &err), -EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.msg, "tile -1"));
    assert_int_equal(vsr_tune_grid(tiles, 3, pads, 0, threads, 1, &r, &n, &err), -EINVAL);
}

/* The tiling axes: tiles {0, 16, 64} x pads {8} x 1 thread are (0,0), (16,8), (64,8).
 * Crossed with modes {clip, padded}, paddings {zero, reflect}, workers {1, 2}:
 *   (0,0): once, as clip / zero / 1 worker                         -> 1
 *   (16,8): clip x 2 workers = 2; padded: 16 <= 2 x 8 keeps no centre: dropped
 *   (64,8): clip x 2 workers = 2 (clip reads no padding); padded x 2 paddings
 *           x 2 workers = 4                                          -> 6
 * 9 settings, one (tile, pad) dropped. */
static void test_grid_tiling(void **state)
{
    (void)state;
    const int tiles[] = {0, 16, 64}, pads[] = {8}, threads[] = {1};
    const int modes[] = {VSR_TILE_CLIP, VSR_TILE_PADDED};
    const int paddings[] = {VSR_TPAD_ZERO, VSR_TPAD_REFLECT}, workers[] = {1, 2};
    vsr_runlog_tune_row *r = NULL;
    int n = 0, dropped = -1;
    vsr_error err = {0};
    assert_int_equal(vsr_tune_grid(tiles, 3, pads, 1, threads, 1, &r, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(
        vsr_tune_grid_tiling(&r, &n, modes, 2, paddings, 2, workers, 2, &dropped, &err), 0);
    assert_int_equal(n, 9);
    assert_int_equal(dropped, 1);
    static const int want[9][5] = {
        /* tile, pad, mode, padding, workers */
        {0, 0, VSR_TILE_CLIP, 0, 1},
        {16, 8, VSR_TILE_CLIP, 0, 1},
        {16, 8, VSR_TILE_CLIP, 0, 2},
        {64, 8, VSR_TILE_CLIP, 0, 1},
        {64, 8, VSR_TILE_CLIP, 0, 2},
        {64, 8, VSR_TILE_PADDED, VSR_TPAD_ZERO, 1},
        {64, 8, VSR_TILE_PADDED, VSR_TPAD_ZERO, 2},
        {64, 8, VSR_TILE_PADDED, VSR_TPAD_REFLECT, 1},
        {64, 8, VSR_TILE_PADDED, VSR_TPAD_REFLECT, 2},
    };
    for (int i = 0; i < n; i++) {
        assert_int_equal(r[i].tile, want[i][0]);
        assert_int_equal(r[i].pad, want[i][1]);
        assert_int_equal(r[i].tile_mode, want[i][2]);
        assert_int_equal(r[i].padding, want[i][3]);
        assert_int_equal(r[i].tile_workers, want[i][4]);
        assert_int_equal(r[i].threads, 1);
    }
    /* only tiles that keep no centre: an error naming the fix */
    const int small[] = {16};
    free(r);
    assert_int_equal(vsr_tune_grid(small, 1, pads, 1, threads, 1, &r, &n, &err), 0);
    assert_int_equal(
        vsr_tune_grid_tiling(&r, &n, modes + 1, 1, paddings, 1, workers, 1, &dropped, &err),
        -EINVAL);
    assert_non_null(strstr(err.msg, "twice the pad"));
    const int bad_workers[] = {0};
    assert_int_equal(
        vsr_tune_grid_tiling(&r, &n, modes, 1, paddings, 1, bad_workers, 1, &dropped, &err),
        -EINVAL);
    free(r);
}

static vsr_runlog_tune_row row(int tile, int pad, int th, double ms, double d, int ident)
{
    vsr_runlog_tune_row r = {.tile = tile, .pad = pad, .threads = th, .ms = ms};
    r.psnr_delta = d;
    r.identical = ident;
    return r;
}

static void test_mark(void **state)
{
    (void)state;
    vsr_runlog_tune_row r[6] = {
        row(0, 0, 1, 10.0, 0.0, 1),    /* A: reference */
        row(64, 0, 1, 6.0, -0.30, 0),  /* B: fastest, seams */
        row(64, 8, 1, 7.0, 0.0, 1),    /* C: exact, faster than A */
        row(96, 4, 1, 6.5, -0.005, 0), /* D: loss 0.005 */
        row(96, 0, 1, 6.8, -0.40, 0),  /* E: slower than B and worse: dominated */
        row(128, 8, 1, 7.0, NAN, 0),   /* F: unknown loss, as slow as C: dominated by C */
    };
    /* Pareto on (ms, loss): B (6.0, .30), D (6.5, .005), C (7.0, 0) form the
     * front; A is dominated by C (slower, same loss); E by B; F by C. */
    int rec = vsr_tune_mark(r, 6, 0.01);
    int pareto[6] = {0, 1, 1, 1, 0, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(r[i].pareto, pareto[i]);
    /* fastest with loss <= 0.01: D (6.5 ms) */
    assert_int_equal(rec, 3);
    for (int i = 0; i < 6; i++)
        assert_int_equal(r[i].recommended, i == 3);
    /* tolerance 0: only exact ones qualify -> C */
    assert_int_equal(vsr_tune_mark(r, 6, 0.0), 2);
    assert_int_equal(r[3].recommended, 0);
    assert_int_equal(r[2].recommended, 1);
    /* a gain counts like a loss: |+0.02| is beyond 0.01 */
    r[3].psnr_delta = 0.02;
    assert_int_equal(vsr_tune_mark(r, 6, 0.01), 2);
    /* nothing within tolerance: no recommendation */
    vsr_runlog_tune_row s[2] = {row(64, 0, 1, 1.0, -1.0, 0), row(32, 0, 1, 2.0, NAN, 0)};
    assert_int_equal(vsr_tune_mark(s, 2, 0.01), -1);
    assert_int_equal(s[0].recommended + s[1].recommended, 0);
    assert_int_equal(s[0].pareto, 1);
    assert_int_equal(s[1].pareto, 0);
    /* equal ms and loss: both on the front, the one with fewer threads picked */
    vsr_runlog_tune_row t[2] = {row(0, 0, 2, 5.0, 0.0, 1), row(0, 0, 1, 5.0, 0.0, 1)};
    assert_int_equal(vsr_tune_mark(t, 2, 0.01), 1);
    assert_int_equal(t[0].pareto + t[1].pareto, 2);
    assert_true(isinf(vsr_tune_loss(&r[5])));
}

/* The rows of test_mark with D (the pick) noisy: D leaves the front and the
 * pick, and no longer hides anything; C (7.0 ms, exact) is the pick. With
 * every row noisy all rows count again and the pick (D) is itself noisy. */
static void test_mark_noisy(void **state)
{
    (void)state;
    vsr_runlog_tune_row r[6] = {
        row(0, 0, 1, 10.0, 0.0, 1),   row(64, 0, 1, 6.0, -0.30, 0),
        row(64, 8, 1, 7.0, 0.0, 1),   row(96, 4, 1, 6.5, -0.005, 0),
        row(96, 0, 1, 6.8, -0.40, 0), row(128, 8, 1, 7.0, NAN, 0),
    };
    r[3].noisy = 1;
    assert_int_equal(vsr_tune_mark(r, 6, 0.01), 2);
    int pareto[6] = {0, 1, 1, 0, 0, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(r[i].pareto, pareto[i]);
    /* B noisy: off the front; E (6.8, .40) stays dominated, by D (6.5, .005) */
    r[3].noisy = 0;
    r[1].noisy = 1;
    assert_int_equal(vsr_tune_mark(r, 6, 0.01), 3);
    assert_int_equal(r[1].pareto, 0);
    assert_int_equal(r[4].pareto, 0); /* D (6.5, .005) dominates E */
    for (int i = 0; i < 6; i++)
        r[i].noisy = 1;
    int rec = vsr_tune_mark(r, 6, 0.01);
    assert_int_equal(rec, 3);
    assert_int_equal(r[rec].noisy, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_grid_tiling),
        cmocka_unit_test(test_mark),
        cmocka_unit_test(test_mark_noisy),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
