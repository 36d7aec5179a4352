/* gnuplot plots: each script renders a PNG of the asked pixel size (read
 * from the IHDR chunk) and an SVG. Skipped with a message without gnuplot. */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports_internal.h"
#include "vsr/reports.h"

#define SKIP_WITHOUT_GNUPLOT()                                                                 \
    do {                                                                                       \
        if (!vsr_report_gnuplot_available())                                                   \
            VSR_SKIP("gnuplot is not on PATH (apt-get install gnuplot-nox)");                  \
                                                                                               \
    } while (0)

/* Width and height from a PNG's signature + IHDR; -1 when not a PNG. */
static int png_size(const char *path, uint32_t *w, uint32_t *h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t b[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    if (n != sizeof(b) || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return -1;
    *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    return 0;
}

static void expect_outputs(const char *dir, const char *name, uint32_t w, uint32_t h,
                           const char *must_have_in_script)
{
    char path[1024];
    uint32_t pw = 0, ph = 0;
    snprintf(path, sizeof(path), "%s/%s.png", dir, name);
    assert_int_equal(png_size(path, &pw, &ph), 0);
    assert_int_equal(pw, w);
    assert_int_equal(ph, h);
    snprintf(path, sizeof(path), "%s/%s.svg", dir, name);
    char *svg = vsr_test_slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    char want[64];
    snprintf(want, sizeof(want), "width=\"%u\"", w);
    assert_non_null(strstr(svg, want));
    free(svg);
    snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
    char *gp = vsr_test_slurp(path);
    assert_non_null(gp);
    assert_non_null(strstr(gp, must_have_in_script));
    free(gp);
}

static void rm_outputs(const char *dir, const char *name)
{
    static const char *const ext[] = {"png", "svg", "gp"};
    char path[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext[i]);
        remove(path);
    }
}

static void rows4(vsr_report_row r[4])
{
    static const char *const names[4] = {"ABPN", "MVSR_13", "SWRN", "it's \"odd\""};
    static const double psnr[4] = {26.5, 26.9, 25.1, 26.0}, ms[4] = {12, 30, 4, 12};
    for (int i = 0; i < 4; i++) {
        vsr_report_row_init(&r[i]);
        strcpy(r[i].model, names[i]);
        strcpy(r[i].precision, "fp32");
        strcpy(r[i].dataset, "demo");
        strcpy(r[i].channel, "Y");
        r[i].psnr = psnr[i];
        r[i].ms_median = ms[i];
        r[i].params = 10000.0 * (i + 1);
    }
}

static void test_pareto_and_params_plots(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_report_row r[4];
    rows4(r);
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    vsr_error err = {0};
    int rc = vsr_report_plot_pareto(dir, "pareto", "PSNR vs ms", r, 4, &o, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    expect_outputs(dir, "pareto", 640, 480, "Runtime [ms per LR frame]");
    /* The front: (4, 25.1) SWRN, (12, 26.5) ABPN, (30, 26.9) MVSR_13 -- and
     * not the dominated (12, 26.0). */
    char path[1024];
    snprintf(path, sizeof(path), "%s/pareto.gp", dir);
    char *gp = vsr_test_slurp(path);
    assert_non_null(gp);
    assert_non_null(strstr(gp, "$front << EOD\n4 25.1\n12 26.5\n30 26.9\nEOD\n"));
    assert_non_null(strstr(gp, "\"it's 'odd' fp32\""));
    assert_non_null(strstr(gp, "title 'it''s \"odd\"'")); /* its key entry */
    assert_non_null(strstr(gp, "set ylabel 'PSNR [dB]'"));
    free(gp);
    rm_outputs(dir, "pareto");
    o.width = 500, o.height = 300;
    assert_int_equal(vsr_report_plot_params(dir, "params", "PSNR vs params", r, 4, &o, &err),
                     0);
    expect_outputs(dir, "params", 500, 300, "Parameters [K]");
    rm_outputs(dir, "params");
    /* Nothing plottable: -ENODATA and no file. */
    for (int i = 0; i < 4; i++)
        r[i].ms_median = NAN;
    assert_int_equal(vsr_report_plot_pareto(dir, "none", "x", r, 4, &o, &err), -ENODATA);
    snprintf(path, sizeof(path), "%s/none.png", dir);
    assert_int_equal(access(path, F_OK), -1);
    rmdir(dir);
}

static void test_frames_ablation_tune_plots(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_report_row r[4];
    rows4(r);
    vsr_report_plot_opts o = {.width = 800, .height = 600};
    vsr_error err = {0};
    vsr_report_frame_point pts[6];
    for (int i = 0; i < 6; i++) {
        pts[i].row = (size_t)(i / 3);
        strcpy(pts[i].clip, "calendar");
        pts[i].frame = i % 3;
        pts[i].psnr = 25 + i * 0.1;
    }
    assert_int_equal(vsr_report_plot_frames(dir, "frames", "clip", r, 4, pts, 6, &o, &err), 0);
    expect_outputs(dir, "frames", 800, 600, "Frame index");
    rm_outputs(dir, "frames");

    strcpy(r[0].variant, "base");
    strcpy(r[1].variant, "wide");
    strcpy(r[1].model, "ABPN");
    vsr_report_table t;
    assert_int_equal(vsr_report_table_ablation(r, 2, "base", NULL, 0, &t, &err), 0);
    assert_int_equal(vsr_report_plot_ablation(dir, "abl", "ablation", &t, &o, &err), 0);
    expect_outputs(dir, "abl", 800, 600, "PSNR vs base [dB]");
    vsr_report_table_free(&t);
    rm_outputs(dir, "abl");

    vsr_report_tune_point tp[12];
    int k = 0;
    for (int th = 1; th <= 2; th++)
        for (int tile = 0; tile <= 128; tile += 64)
            for (int pad = 0; pad <= 8; pad += 8)
                tp[k++] = (vsr_report_tune_point){.tile = tile,
                                                  .pad = pad,
                                                  .threads = th,
                                                  .ms_median = 10.0 / th + tile * 0.01,
                                                  .ms_lo = 9.0 / th,
                                                  .ms_hi = 11.0 / th,
                                                  .noisy = th == 2,
                                                  .score = NAN,
                                                  .niqe = NAN};
    assert_int_equal(vsr_report_plot_tune(dir, "tune", "tune", tp, 12, &o, &err), 0);
    expect_outputs(dir, "tune", 800, 600, "Tile [LR px]");
    rm_outputs(dir, "tune");
    rmdir(dir);
}

/* The script NAME.gp of @p dir (freed by the caller). */
static char *slurp_gp(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
    char *gp = vsr_test_slurp(path);
    assert_non_null(gp);
    return gp;
}

/* "set AXISrange [lo:hi]" of the first rendering in @p gp. */
static void range_of(const char *gp, const char *axis, double *lo, double *hi)
{
    char want[32];
    snprintf(want, sizeof(want), "set %srange [", axis);
    const char *p = strstr(gp, want);
    assert_non_null(p);
    assert_int_equal(sscanf(p + strlen(want), "%lf:%lf]", lo, hi), 2);
    assert_true(*lo < *hi);
}

/* The number of times @p needle occurs in the first rendering (before the
 * first "reset") of @p gp. */
static int count_first(const char *gp, const char *needle)
{
    const char *end = strstr(gp, "\nreset\n");
    assert_non_null(end);
    int k = 0;
    for (const char *p = gp; (p = strstr(p, needle)) && p < end; p += strlen(needle))
        k++;
    return k;
}

/* Rows of two models in two precisions each, plus bicubic (no params): the
 * figures are the test's own. */
static void rows5(vsr_report_row r[5])
{
    static const char *const model[5] = {"ABPN", "ABPN", "ELSR", "ELSR", "bicubic"};
    static const char *const prec[5] = {"fp32", "fp16", "fp32", "int8", "fp32"};
    static const double psnr[5] = {26.5, 26.5, 25.8, 25.7, 24.0};
    static const double ms[5] = {12, 9, 3, 2, 1}, lo[5] = {11, 8.5, 2.5, 1.5, 0.9},
                        hi[5] = {13, 20, 3.5, 2.5, 1.1},
                        params[5] = {40000, 40000, 3468, 3468, 0};
    for (int i = 0; i < 5; i++) {
        vsr_report_row_init(&r[i]);
        strcpy(r[i].model, model[i]);
        strcpy(r[i].precision, prec[i]);
        strcpy(r[i].dataset, "demo");
        strcpy(r[i].channel, "Y");
        r[i].psnr = psnr[i];
        r[i].ms_median = ms[i];
        r[i].ms_lo = lo[i];
        r[i].ms_hi = hi[i];
        r[i].params = params[i];
    }
}

/* In a new folder @p dir (256 bytes): rows5() into @p r drawn as the runtime
 * (@p by_params 0) or the params plot NAME at 640 x 480; its script. */
static char *rows5_script(char *dir, vsr_report_row r[5], int by_params, const char *name)
{
    assert_non_null(vsr_test_tmpdir(dir, 256));
    rows5(r);
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    vsr_error err = {0};
    int rc = by_params ? vsr_report_plot_params(dir, name, "t", r, 5, &o, &err)
                       : vsr_report_plot_pareto(dir, name, "t", r, 5, &o, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return slurp_gp(dir, name);
}

/* Slide rules of the runtime plot: key outside the data, no point labels,
 * colour by model and marker by precision, bicubic as a reference line and
 * point, error bars from the median's interval, ranges around the data. */
static void test_pareto_script_rules(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    vsr_report_row r[5];
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    vsr_error err = {0};
    char *gp = rows5_script(dir, r, 0, "p");
    /* the key is outside the plot area, and nothing is drawn as a text label */
    assert_non_null(strstr(gp, "set key outside right"));
    assert_null(strstr(gp, "with labels"));
    /* error bars take columns 5 and 6: ABPN fp16's row carries its interval
     * [8.5, 20] there, with open triangle (8) and ABPN's colour (the first
     * model: the first palette entry, 0x1f77b4) */
    assert_non_null(strstr(gp, "using 1:2:5:6:9 with xerrorbars"));
    assert_non_null(strstr(gp, "9 26.5 \"ABPN fp16\" 1 8.5 20 0 8 0x1f77b4\n"));
    /* ABPN fp32 (12 ms) is dominated by its fp16 run (9 ms, same PSNR) */
    assert_non_null(strstr(gp, "12 26.5 \"ABPN fp32\" 0 11 13 0 7 0x1f77b4\n"));
    /* ELSR: the second colour; int8 an open square (4) */
    assert_non_null(strstr(gp, "2 25.7 \"ELSR int8\" 1 1.5 2.5 0 4 0xd62728\n"));
    assert_non_null(strstr(gp, "using 1:2:8:9 with points pt variable"));
    /* bicubic: a dashed line at its PSNR, named in the key */
    assert_non_null(strstr(gp, "24 with lines dt 2"));
    assert_non_null(strstr(gp, "title 'bicubic 24.00 dB'"));
    /* the key: one colour per model, one marker per precision used */
    assert_int_equal(count_first(gp, "keyentry with points pt 7 ps 1.4 lc rgb"), 2);
    assert_non_null(strstr(gp, "title 'fp16'"));
    assert_non_null(strstr(gp, "title 'int8'"));
    /* no noisy run: no noisy element (it would have no point) */
    assert_null(strstr(gp, "noisy timing"));
    /* the x range holds the error bars [0.9, 20] and stays within a factor
     * 1.5 of them (log scale: 20 / 0.9 > 20); the y range holds bicubic */
    double lo, hi;
    assert_non_null(strstr(gp, "set logscale x"));
    range_of(gp, "x", &lo, &hi);
    assert_true(lo < 0.9 && lo > 0.9 / 1.5);
    assert_true(hi > 20 && hi < 20 * 1.5);
    range_of(gp, "y", &lo, &hi);
    assert_true(lo < 24.0 && lo > 23.5);
    assert_true(hi > 26.5 && hi < 27.0);
    free(gp);
    rm_outputs(dir, "p");

    /* A noisy run: marked, and off the front. */
    r[2].noisy = 1;
    assert_int_equal(vsr_report_plot_pareto(dir, "p", "t", r, 5, &o, &err), 0);
    gp = slurp_gp(dir, "p");
    assert_non_null(strstr(gp, "3 25.8 \"ELSR fp32 (noisy)\" 0 2.5 3.5 1 7 0xd62728\n"));
    assert_non_null(strstr(gp, "noisy timing"));
    free(gp);
    rm_outputs(dir, "p");
    rmdir(dir);
}

/* The key goes where it fits, never over the data: at the right of a
 * 1200 x 400 picture; under a 1200 x 200 one (9 entries, names counted as
 * 20 characters: 165 px high, 190 px wide, so 6 columns of 2 rows); on a
 * 320 x 200 thumbnail nowhere (gnuplot would warn that it cannot fit it). */
static void test_key_placement(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_report_row r[5];
    rows5(r);
    static const struct {
        int w, h;
        const char *want;
    } cases[] = {
        {1200, 400, "set key outside right top"},
        {1200, 200,
         "set key outside bottom center horizontal Left reverse box opaque "
         "samplen 3 maxcols 6\n"},
        {320, 200, "unset key\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vsr_report_plot_opts o = {.width = cases[i].w, .height = cases[i].h};
        vsr_error err = {0};
        assert_int_equal(vsr_report_plot_pareto(dir, "k", "t", r, 5, &o, &err), 0);
        char *gp = slurp_gp(dir, "k");
        assert_non_null(strstr(gp, cases[i].want));
        free(gp);
        rm_outputs(dir, "k");
    }
    rmdir(dir);
}

/* The params plot: bicubic (0 params, no place on a log axis) is only its
 * horizontal line; no error bars; the x range fits 3.468K..40K. */
static void test_params_script_rules(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    vsr_report_row r[5];
    char *gp = rows5_script(dir, r, 1, "q");
    assert_non_null(strstr(gp, "set logscale x"));
    assert_null(strstr(gp, "\"bicubic"));
    assert_non_null(strstr(gp, "24 with lines dt 2"));
    assert_null(strstr(gp, "xerrorbars"));
    assert_non_null(strstr(gp, "set key outside right"));
    /* 1-2-5 tics over [3.468, 40] widened by 1.5: 2.31..60 */
    assert_non_null(strstr(gp, "set xtics (5, 10, 20, 50)\n"));
    double lo, hi;
    range_of(gp, "x", &lo, &hi);
    assert_true(lo < 3.468 && lo > 3.468 / 1.5);
    assert_true(hi > 40 && hi < 40 * 1.5);
    free(gp);
    rm_outputs(dir, "q");
    rmdir(dir);
}

/* Per-frame plot: bicubic drawn first as the dashed reference; two identical
 * curves (ABPN fp32 and fp16) get different dash patterns and markers; a
 * one-frame clip is a point in a padded range, never a line over an empty
 * x range. */
static void test_frames_script_rules(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_report_row r[5];
    rows5(r);
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    vsr_error err = {0};
    vsr_report_frame_point pts[9];
    size_t k = 0;
    for (int f = 0; f < 3; f++) {
        pts[k++] = (vsr_report_frame_point){0, "c", f, 26 + 0.1 * f, NAN, NAN}; /* ABPN fp32 */
        pts[k++] =
            (vsr_report_frame_point){1, "c", f, 26 + 0.1 * f, NAN, NAN}; /* ABPN fp16, same */
        pts[k++] = (vsr_report_frame_point){4, "c", f, 24 + 0.1 * f, NAN, NAN}; /* bicubic */
    }
    assert_int_equal(vsr_report_plot_frames(dir, "f", "t", r, 5, pts, k, &o, &err), 0);
    char *gp = slurp_gp(dir, "f");
    /* the first curve drawn is bicubic's, dashed grey */
    const char *plot = strstr(gp, "\nplot ");
    assert_non_null(plot);
    assert_true(plot ==
                strstr(gp, "\nplot $r4 using 1:2 with lines lw 2.5 dt 2 lc rgb '#444444'"));
    assert_non_null(strstr(gp, "title 'bicubic (reference)'"));
    assert_non_null(strstr(gp, "set key outside right"));
    assert_non_null(strstr(gp, "$r0 using 1:2 with linespoints lw 3.0 dt 1 pt 7 "));
    assert_non_null(strstr(gp, "$r1 using 1:2 with linespoints lw 1.5 dt 2 pt 8 "));
    double lo, hi;
    range_of(gp, "x", &lo, &hi);
    assert_true(lo == -0.5 && hi == 2.5);
    free(gp);
    rm_outputs(dir, "f");

    /* Only fp32 (ABPN and ELSR, identical curves): the models take the
     * (marker, dash) pairs in turn, ELSR the second (open triangle, dashed). */
    vsr_report_frame_point same[6];
    for (int i = 0; i < 3; i++) {
        same[i] = (vsr_report_frame_point){0, "c", i, 26 + 0.1 * i, NAN, NAN}; /* ABPN fp32 */
        same[3 + i] =
            (vsr_report_frame_point){2, "c", i, 26 + 0.1 * i, NAN, NAN}; /* ELSR fp32 */
    }
    assert_int_equal(vsr_report_plot_frames(dir, "m", "t", r, 5, same, 6, &o, &err), 0);
    gp = slurp_gp(dir, "m");
    assert_non_null(strstr(gp, "$r0 using 1:2 with linespoints lw 2.2 dt 1 pt 7 "));
    assert_non_null(strstr(gp, "$r2 using 1:2 with linespoints lw 1.5 dt 2 pt 8 "));
    free(gp);
    rm_outputs(dir, "m");

    /* One frame (index 7) per row. */
    pts[0] = (vsr_report_frame_point){0, "c", 7, 26.0, NAN, NAN};
    pts[1] = (vsr_report_frame_point){4, "c", 7, 24.0, NAN, NAN};
    assert_int_equal(vsr_report_plot_frames(dir, "one", "t", r, 5, pts, 2, &o, &err), 0);
    gp = slurp_gp(dir, "one");
    range_of(gp, "x", &lo, &hi);
    assert_true(lo == 6.5 && hi == 7.5);
    range_of(gp, "y", &lo, &hi);
    assert_true(lo < 24.0 && hi > 26.0);
    assert_null(strstr(gp, "with lines"));
    assert_null(strstr(gp, "with linespoints"));
    assert_int_equal(count_first(gp, "using 1:2 with points"), 2);
    free(gp);
    rm_outputs(dir, "one");
    rmdir(dir);
}

/* Ablation bars from a table made here (two variants: one worse and slower,
 * one better and faster): a value label above a bar that rises and under one
 * that falls, no label element for a side without bars, an x range of
 * exactly the bars. */
static void test_ablation_script_rules(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    char *cells[2 * VSR_ABL_NCOLS];
    double keys[2 * VSR_ABL_NCOLS];
    for (int i = 0; i < 2 * VSR_ABL_NCOLS; i++) {
        cells[i] = "";
        keys[i] = NAN;
    }
    cells[VSR_ABL_VARIANT] = "narrow";
    cells[VSR_ABL_NCOLS + VSR_ABL_VARIANT] = "wide";
    keys[VSR_ABL_DPSNR] = -0.3, keys[VSR_ABL_DMS] = 5; /* narrow: worse, slower */
    keys[VSR_ABL_NCOLS + VSR_ABL_DPSNR] = 0.2, keys[VSR_ABL_NCOLS + VSR_ABL_DMS] = 2;
    vsr_report_table t = {.ncols = VSR_ABL_NCOLS, .nrows = 2, .cells = cells, .keys = keys};
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    vsr_error err = {0};
    assert_int_equal(vsr_report_plot_ablation(dir, "a", "t", &t, &o, &err), 0);
    char *gp = slurp_gp(dir, "a");
    assert_non_null(strstr(gp, "set xrange [-0.7:1.7]\n"));
    /* dPSNR panel: both sides; dms panel: rises only */
    assert_int_equal(count_first(gp, "with labels offset 0,0.7"), 2);
    assert_int_equal(count_first(gp, "with labels offset 0,-0.7"), 1);
    /* y ranges hold the bars with room for labels: [-0.3, 0.2] + 20% of 0.5 */
    double lo, hi;
    range_of(gp, "y", &lo, &hi);
    assert_true(fabs(lo + 0.4) < 1e-9 && fabs(hi - 0.3) < 1e-9);
    free(gp);
    rm_outputs(dir, "a");
    rmdir(dir);
}

/* Tune heat map: the cell labels are three columns (ms with '*' when noisy,
 * interval, PSNR change) drawn on separate lines; a cell too narrow for the
 * interval leaves it out. */
static void test_tune_script_rules(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_report_tune_point tp[2] = {{0, 0, 1, 10.0, 0, 9.0, 11.0, 0, NAN, NAN},
                                   {64, 8, 1, 12.5, -0.12, 12.0, 13.0, 1, NAN, NAN}};
    vsr_report_plot_opts o = {.width = 800, .height = 600};
    vsr_error err = {0};
    assert_int_equal(vsr_report_plot_tune(dir, "t", "tune", tp, 2, &o, &err), 0);
    char *gp = slurp_gp(dir, "t");
    /* 800 px, 1 panel, 2 tiles: (800 - 150) / 2 / 6.5 = 50 characters a cell */
    assert_non_null(strstr(gp, "0 0 \"10.0\" \"9.0-11.0\" \"\"\n"));
    assert_non_null(strstr(gp, "1 1 \"12.5*\" \"12.0-13.0\" \"-0.12 dB\"\n"));
    assert_non_null(strstr(gp, "(* noisy)"));
    assert_non_null(strstr(gp, "using 1:2:4 with labels"));
    free(gp);
    rm_outputs(dir, "t");
    /* 250 px: (250 - 150) / 2 / 6.5 = 7 characters: neither interval (8 and
     * 9 characters) nor "-0.12 dB" (8) fits */
    o.width = 250;
    assert_int_equal(vsr_report_plot_tune(dir, "t", "tune", tp, 2, &o, &err), 0);
    gp = slurp_gp(dir, "t");
    assert_non_null(strstr(gp, "0 0 \"10.0\" \"\" \"\"\n"));
    assert_non_null(strstr(gp, "1 1 \"12.5*\" \"\" \"\"\n"));
    free(gp);
    rm_outputs(dir, "t");
    /* a scored session (tune --score): a fourth label line, "s <score>", and the title says so
     */
    tp[0].score = 0.0125;
    tp[1].score = 2.5e6;
    o.width = 800;
    assert_int_equal(vsr_report_plot_tune(dir, "t", "tune", tp, 2, &o, &err), 0);
    gp = slurp_gp(dir, "t");
    assert_non_null(strstr(gp, "0 0 \"10.0\" \"9.0-11.0\" \"\" \"s 0.0125\"\n"));
    assert_non_null(strstr(gp, "1 1 \"12.5*\" \"12.0-13.0\" \"-0.12 dB\" \"s 2.5e+06\"\n"));
    assert_non_null(strstr(gp, "s = score"));
    assert_non_null(strstr(gp, "using 1:2:6 with labels"));
    free(gp);
    rm_outputs(dir, "t");
    rmdir(dir);
}

/* Training plots: two runs of one model with identical curves get different
 * dash patterns and markers in the model's colour; validation has bicubic as
 * a line; the ranges are the data's (loss: 1-2-5 log tics). */
static void test_train_script_rules(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    long step[3] = {100, 200, 300};
    double loss[3] = {0.1, 0.05, 0.03}, val[3] = {26.0, NAN, 26.4};
    vsr_report_train_run tr[2];
    memset(tr, 0, sizeof(tr));
    for (int i = 0; i < 2; i++) {
        snprintf(tr[i].name, sizeof(tr[i].name), "r%d", i);
        strcpy(tr[i].model, "ELSR");
        tr[i].n = 3, tr[i].step = step, tr[i].loss = loss, tr[i].val = val;
        tr[i].bicubic_psnr = 25.0;
    }
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    vsr_error err = {0};
    assert_int_equal(vsr_report_plot_train_val(dir, "v", "val", tr, 2, &o, &err), 0);
    char *gp = slurp_gp(dir, "v");
    assert_non_null(strstr(gp, "$t0 using 1:2 with linespoints pi 1 lw 2.8 dt 1 pt 7 "));
    assert_non_null(strstr(gp, "$t1 using 1:2 with linespoints pi 1 lw 1.5 dt 2 pt 8 "));
    assert_int_equal(count_first(gp, "lc rgb '#1f77b4' title"), 2);
    assert_non_null(strstr(gp, "25 with lines dt 2"));
    assert_non_null(strstr(gp, "set key outside right"));
    double lo, hi;
    range_of(gp, "x", &lo, &hi); /* [100, 300] widened by 2% of 200 */
    assert_true(fabs(lo - 96) < 1e-9 && fabs(hi - 304) < 1e-9);
    range_of(gp, "y", &lo, &hi); /* bicubic 25 .. 26.4 */
    assert_true(lo < 25.0 && hi > 26.4 && hi < 26.6);
    free(gp);
    rm_outputs(dir, "v");
    assert_int_equal(vsr_report_plot_train_loss(dir, "l", "loss", tr, 2, &o, &err), 0);
    gp = slurp_gp(dir, "l");
    assert_non_null(strstr(gp, "set logscale y"));
    assert_non_null(strstr(gp, "set ytics (0.02, 0.05, 0.1)\n"));
    free(gp);
    rm_outputs(dir, "l");
    rmdir(dir);
}

/* Without gnuplot on PATH: -ENOENT naming the package; the script is still saved. */
static void test_missing_gnuplot(void **state)
{
    (void)state;
    char dir[256], path[1024];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", dir, 1);
    assert_int_equal(vsr_report_gnuplot_available(), 0);
    snprintf(path, sizeof(path), "%s/x.gp", dir);
    vsr_error err = {0};
    assert_int_equal(vsr_report_gnuplot_run("plot x\n", path, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    assert_int_equal(access(path, F_OK), 0);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
    remove(path);
    rmdir(dir);
}

/* A "gnuplot" that the shell finds but that exits 127 at once without reading
 * its input: -ENOENT with the package name, and a script larger than the
 * pipe buffer must not kill the caller with SIGPIPE. */
static void test_gnuplot_exit_127(void **state)
{
    (void)state;
    char dir[256], fake[512];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(fake, sizeof(fake), "%s/gnuplot", dir);
    FILE *f = fopen(fake, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexit 127\n", f);
    fclose(f);
    assert_int_equal(chmod(fake, 0755), 0);
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    char path[1024];
    snprintf(path, sizeof(path), "%s:/usr/bin:/bin", dir);
    setenv("PATH", path, 1);
    assert_int_equal(vsr_report_gnuplot_available(), 1);
    size_t big = 1 << 20;
    char *script = malloc(big + 1);
    assert_non_null(script);
    for (size_t i = 0; i < big; i++)
        script[i] = (i % 64 == 63) ? '\n' : '#';
    script[big] = '\0';
    vsr_error err = {0};
    assert_int_equal(vsr_report_gnuplot_run(script, NULL, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    free(script);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
    remove(fake);
    rmdir(dir);
}

/* 1 when files @p a and @p b hold the same bytes. */
static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int x = fgetc(fa), y = fgetc(fb);
        same = x == y;
        if (x == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* One gnuplot for several plots draws the very bytes a process per plot
 * draws, also after another plot (reset session between them). */
static void test_session_same_pictures(void **state)
{
    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    char dir[256], a[600], b[600];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    vsr_report_row r[4];
    rows4(r);
    vsr_error err = {0};
    vsr_report_plot_opts o = {.width = 640, .height = 480};
    assert_int_equal(vsr_report_plot_pareto(dir, "p1", "t", r, 4, &o, &err), 0);
    assert_int_equal(vsr_report_plot_params(dir, "q1", "t", r, 4, &o, &err), 0);
    assert_int_equal(vsr_report_gnuplot_open(&o.gp, &err), 0);
    assert_non_null(o.gp);
    assert_int_equal(vsr_report_plot_params(dir, "q2", "t", r, 4, &o, &err), 0);
    assert_int_equal(vsr_report_plot_pareto(dir, "p2", "t", r, 4, &o, &err), 0);
    vsr_report_gnuplot_close(&o.gp);
    assert_null(o.gp);
    vsr_report_gnuplot_close(&o.gp); /* NULL-safe */
    static const char *const ext[2] = {"png", "svg"};
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof(a), "%s/p1.%s", dir, ext[k]);
        snprintf(b, sizeof(b), "%s/p2.%s", dir, ext[k]);
        assert_true(same_file(a, b));
        snprintf(a, sizeof(a), "%s/q1.%s", dir, ext[k]);
        snprintf(b, sizeof(b), "%s/q2.%s", dir, ext[k]);
        assert_true(same_file(a, b));
    }
    expect_outputs(dir, "q2", 640, 480, "Parameters [K]");
    const char *names[4] = {"p1", "p2", "q1", "q2"};
    for (int i = 0; i < 4; i++)
        rm_outputs(dir, names[i]);
    rmdir(dir);
}

/* A session whose gnuplot reports an error for a plot (a stand-in that
 * answers every status request with 1), or that is gone: that plot fails
 * with -EIO naming its script and leaves no picture; the caller is not
 * killed by SIGPIPE; a dead session hands later plots to a process each. */
static void test_session_errors(void **state)
{
    (void)state;
    char dir[256], fake[512], path[1024], pic[600];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(fake, sizeof(fake), "%s/gnuplot", dir);
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    snprintf(path, sizeof(path), "%s:/usr/bin:/bin", dir);
    setenv("PATH", path, 1);
    vsr_report_row r[4];
    rows4(r);
    vsr_error err = {0};
    for (int kind = 0; kind < 2; kind++) {
        FILE *f = fopen(fake, "w");
        assert_non_null(f);
        if (kind == 0)
            fputs("#!/bin/sh\nwhile read -r l; do case \"$l\" in *GPVAL_ERRNO*) echo "
                  "'vsrbench-plot-status 1';; esac; done\n",
                  f);
        else
            fputs("#!/bin/sh\nexit 3\n", f);
        fclose(f);
        assert_int_equal(chmod(fake, 0755), 0);
        vsr_report_plot_opts o = {.width = 640, .height = 480};
        assert_int_equal(vsr_report_gnuplot_open(&o.gp, &err), 0);
        assert_int_equal(vsr_report_plot_pareto(dir, "p", "t", r, 4, &o, &err), -EIO);
        assert_non_null(strstr(err.msg, kind ? "gnuplot exited while drawing"
                                             : "gnuplot failed on a script (error 1;"));
        assert_non_null(strstr(err.msg, "p.gp")); /* the script to rerun by hand */
        snprintf(pic, sizeof(pic), "%s/p.png", dir);
        assert_int_equal(access(pic, F_OK), -1);
        /* the next plot: the same answer, or (dead) a process of its own */
        assert_int_equal(vsr_report_plot_params(dir, "q", "t", r, 4, &o, &err), -EIO);
        assert_non_null(strstr(err.msg, kind ? "(status 768;" : "(error 1;"));
        vsr_report_gnuplot_close(&o.gp);
        rm_outputs(dir, "p");
        rm_outputs(dir, "q");
    }
    /* no gnuplot at all: no session, the message names the package */
    setenv("PATH", dir, 1);
    remove(fake);
    vsr_report_gnuplot *gp = NULL;
    assert_int_equal(vsr_report_gnuplot_open(&gp, &err), -ENOENT);
    assert_null(gp);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pareto_and_params_plots),
        cmocka_unit_test(test_frames_ablation_tune_plots),
        cmocka_unit_test(test_pareto_script_rules),
        cmocka_unit_test(test_params_script_rules),
        cmocka_unit_test(test_key_placement),
        cmocka_unit_test(test_frames_script_rules),
        cmocka_unit_test(test_ablation_script_rules),
        cmocka_unit_test(test_tune_script_rules),
        cmocka_unit_test(test_train_script_rules),
        cmocka_unit_test(test_missing_gnuplot),
        cmocka_unit_test(test_gnuplot_exit_127),
        cmocka_unit_test(test_session_same_pictures),
        cmocka_unit_test(test_session_errors),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
