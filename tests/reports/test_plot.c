/* gnuplot plots: each script renders a PNG of the asked pixel size (read
 * from the IHDR chunk) and an SVG. Skipped with a message without gnuplot. */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports_internal.h"
#include "png_size.h"
#include "vsr/reports.h"

#define SKIP_WITHOUT_GNUPLOT()                                                                 \
    do {                                                                                       \
        if (!vsr_report_gnuplot_available())                                                   \
            VSR_SKIP("gnuplot is not on PATH (apt-get install gnuplot-nox)");                  \
                                                                                               \
    } while (0)

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

/* A case's state: a fresh folder (removed with the files in it by vsr_test_tmp_free(), the
 * teardown), room for rows4() or rows5(), the 640 x 480 plot options most cases draw at and an
 * error. */
struct plot_case {
    char dir[256];
    vsr_report_row r[5];
    vsr_report_plot_opts o;
    vsr_error err;
};

static int setup(void **state)
{
    struct plot_case *c = vsr_test_tmp_new(sizeof(*c));
    if (!c)
        return -1;
    c->o = (vsr_report_plot_opts){.width = 640, .height = 480};
    *state = c;
    return 0;
}

/* Teardown: vsr_test_tmp_free() (the folder with its files, then the state). */
static int teardown(void **state)
{
    return vsr_test_tmp_free(state);
}

static char *slurp_gp(const char *dir, const char *name);

/* The script NAME.gp of the plot call that returned @p rc into @p c's folder, once rc is
 * asserted 0 (else its message printed); freed by the caller. */
static char *drawn(int rc, const struct plot_case *c, const char *name)
{
    if (rc)
        print_error("%s\n", c->err.msg);
    assert_int_equal(rc, 0);
    return slurp_gp(c->dir, name);
}

/* Frees the script @p gp and removes the outputs NAME.* of @p c's folder it came with. */
static void done(char *gp, const struct plot_case *c, const char *name)
{
    free(gp);
    rm_outputs(c->dir, name);
}

/* $PATH set to @p path; returns the old value (a copy, NULL when unset) for path_restore(). */
static char *path_set(const char *path)
{
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", path, 1);
    return saved;
}

static void path_restore(char *saved)
{
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
}

/* A stand-in gnuplot, the shell script @p text, written as @p c's folder/gnuplot; its path
 * to @p fake (512 bytes). */
static void fake_gnuplot(const struct plot_case *c, char *fake, const char *text)
{
    snprintf(fake, 512, "%s/gnuplot", c->dir);
    FILE *f = fopen(fake, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(fake, 0755), 0);
}

/* $PATH set to @p c's folder (where fake_gnuplot() writes), then the system's; the old value
 * for path_restore(). */
static char *path_fake_first(const struct plot_case *c)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s:/usr/bin:/bin", c->dir);
    return path_set(path);
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
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    rows4(c->r);
    char *gp =
        drawn(vsr_report_plot_pareto(c->dir, "pareto", "PSNR vs ms", c->r, 4, &c->o, &c->err),
              c, "pareto");
    expect_outputs(c->dir, "pareto", 640, 480, "Runtime [ms per LR frame]");
    /* The front: (4, 25.1) SWRN, (12, 26.5) ABPN, (30, 26.9) MVSR_13 -- and
     * not the dominated (12, 26.0). */
    assert_non_null(strstr(gp, "$front << EOD\n4 25.1\n12 26.5\n30 26.9\nEOD\n"));
    assert_non_null(strstr(gp, "\"it's 'odd' fp32\""));
    assert_non_null(strstr(gp, "title 'it''s \"odd\"'")); /* its key entry */
    assert_non_null(strstr(gp, "set ylabel 'PSNR [dB]'"));
    done(gp, c, "pareto");
    c->o.width = 500, c->o.height = 300;
    assert_int_equal(
        vsr_report_plot_params(c->dir, "params", "PSNR vs params", c->r, 4, &c->o, &c->err), 0);
    expect_outputs(c->dir, "params", 500, 300, "Parameters [K]");
    rm_outputs(c->dir, "params");
    /* Nothing plottable: -ENODATA and no file. */
    for (int i = 0; i < 4; i++)
        c->r[i].ms_median = NAN;
    assert_int_equal(vsr_report_plot_pareto(c->dir, "none", "x", c->r, 4, &c->o, &c->err),
                     -ENODATA);
    char path[1024];
    snprintf(path, sizeof(path), "%s/none.png", c->dir);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_frames_ablation_tune_plots(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    rows4(c->r);
    c->o.width = 800, c->o.height = 600;
    vsr_report_frame_point pts[6];
    for (int i = 0; i < 6; i++) {
        pts[i].row = (size_t)(i / 3);
        strcpy(pts[i].clip, "calendar");
        pts[i].frame = i % 3;
        pts[i].psnr = 25 + i * 0.1;
    }
    assert_int_equal(
        vsr_report_plot_frames(c->dir, "frames", "clip", c->r, 4, pts, 6, &c->o, &c->err), 0);
    expect_outputs(c->dir, "frames", 800, 600, "Frame index");
    rm_outputs(c->dir, "frames");

    strcpy(c->r[0].variant, "base");
    strcpy(c->r[1].variant, "wide");
    strcpy(c->r[1].model, "ABPN");
    vsr_report_table t;
    assert_int_equal(vsr_report_table_ablation(c->r, 2, "base", NULL, 0, &t, &c->err), 0);
    assert_int_equal(vsr_report_plot_ablation(c->dir, "abl", "ablation", &t, &c->o, &c->err),
                     0);
    expect_outputs(c->dir, "abl", 800, 600, "PSNR vs base [dB]");
    vsr_report_table_free(&t);
    rm_outputs(c->dir, "abl");

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
    assert_int_equal(vsr_report_plot_tune(c->dir, "tune", "tune", tp, 12, &c->o, &c->err), 0);
    expect_outputs(c->dir, "tune", 800, 600, "Tile [LR px]");
    rm_outputs(c->dir, "tune");
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

/* rows5() into @p c's rows drawn as the runtime (@p by_params 0) or the params plot NAME at
 * 640 x 480; its script. */
static char *rows5_script(struct plot_case *c, int by_params, const char *name)
{
    rows5(c->r);
    int rc = by_params ? vsr_report_plot_params(c->dir, name, "t", c->r, 5, &c->o, &c->err)
                       : vsr_report_plot_pareto(c->dir, name, "t", c->r, 5, &c->o, &c->err);
    return drawn(rc, c, name);
}

/* Slide rules of the runtime plot: key outside the data, no point labels,
 * colour by model and marker by precision, bicubic as a reference line and
 * point, error bars from the median's interval, ranges around the data. */
static void test_pareto_script_rules(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    char *gp = rows5_script(c, 0, "p");
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
    done(gp, c, "p");

    /* A noisy run: marked, and off the front. */
    c->r[2].noisy = 1;
    gp = drawn(vsr_report_plot_pareto(c->dir, "p", "t", c->r, 5, &c->o, &c->err), c, "p");
    assert_non_null(strstr(gp, "3 25.8 \"ELSR fp32 (noisy)\" 0 2.5 3.5 1 7 0xd62728\n"));
    assert_non_null(strstr(gp, "noisy timing"));
    done(gp, c, "p");
}

/* The key goes where it fits, never over the data: at the right of a
 * 1200 x 400 picture; under a 1200 x 200 one (9 entries, names counted as
 * 20 characters: 165 px high, 190 px wide, so 6 columns of 2 rows); on a
 * 320 x 200 thumbnail nowhere (gnuplot would warn that it cannot fit it). */
static void test_key_placement(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    rows5(c->r);
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
        c->o.width = cases[i].w, c->o.height = cases[i].h;
        char *gp =
            drawn(vsr_report_plot_pareto(c->dir, "k", "t", c->r, 5, &c->o, &c->err), c, "k");
        assert_non_null(strstr(gp, cases[i].want));
        done(gp, c, "k");
    }
}

/* The params plot: bicubic (0 params, no place on a log axis) is only its
 * horizontal line; no error bars; the x range fits 3.468K..40K. */
static void test_params_script_rules(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    char *gp = rows5_script(c, 1, "q");
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
    done(gp, c, "q");
}

/* Per-frame plot: bicubic drawn first as the dashed reference; two identical
 * curves (ABPN fp32 and fp16) get different dash patterns and markers; a
 * one-frame clip is a point in a padded range, never a line over an empty
 * x range. */
static void test_frames_script_rules(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    rows5(c->r);
    vsr_report_frame_point pts[9];
    size_t k = 0;
    for (int f = 0; f < 3; f++) {
        pts[k++] = (vsr_report_frame_point){0, "c", f, 26 + 0.1 * f, NAN, NAN}; /* ABPN fp32 */
        pts[k++] =
            (vsr_report_frame_point){1, "c", f, 26 + 0.1 * f, NAN, NAN}; /* ABPN fp16, same */
        pts[k++] = (vsr_report_frame_point){4, "c", f, 24 + 0.1 * f, NAN, NAN}; /* bicubic */
    }
    char *gp = drawn(vsr_report_plot_frames(c->dir, "f", "t", c->r, 5, pts, k, &c->o, &c->err),
                     c, "f");
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
    done(gp, c, "f");

    /* Only fp32 (ABPN and ELSR, identical curves): the models take the
     * (marker, dash) pairs in turn, ELSR the second (open triangle, dashed). */
    vsr_report_frame_point same[6];
    for (int i = 0; i < 3; i++) {
        same[i] = (vsr_report_frame_point){0, "c", i, 26 + 0.1 * i, NAN, NAN}; /* ABPN fp32 */
        same[3 + i] =
            (vsr_report_frame_point){2, "c", i, 26 + 0.1 * i, NAN, NAN}; /* ELSR fp32 */
    }
    gp = drawn(vsr_report_plot_frames(c->dir, "m", "t", c->r, 5, same, 6, &c->o, &c->err), c,
               "m");
    assert_non_null(strstr(gp, "$r0 using 1:2 with linespoints lw 2.2 dt 1 pt 7 "));
    assert_non_null(strstr(gp, "$r2 using 1:2 with linespoints lw 1.5 dt 2 pt 8 "));
    done(gp, c, "m");

    /* One frame (index 7) per row. */
    pts[0] = (vsr_report_frame_point){0, "c", 7, 26.0, NAN, NAN};
    pts[1] = (vsr_report_frame_point){4, "c", 7, 24.0, NAN, NAN};
    gp = drawn(vsr_report_plot_frames(c->dir, "one", "t", c->r, 5, pts, 2, &c->o, &c->err), c,
               "one");
    range_of(gp, "x", &lo, &hi);
    assert_true(lo == 6.5 && hi == 7.5);
    range_of(gp, "y", &lo, &hi);
    assert_true(lo < 24.0 && hi > 26.0);
    assert_null(strstr(gp, "with lines"));
    assert_null(strstr(gp, "with linespoints"));
    assert_int_equal(count_first(gp, "using 1:2 with points"), 2);
    done(gp, c, "one");
}

/* Ablation bars from a table made here (two variants: one worse and slower,
 * one better and faster): a value label above a bar that rises and under one
 * that falls, no label element for a side without bars, an x range of
 * exactly the bars. */
static void test_ablation_script_rules(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
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
    char *gp = drawn(vsr_report_plot_ablation(c->dir, "a", "t", &t, &c->o, &c->err), c, "a");
    assert_non_null(strstr(gp, "set xrange [-0.7:1.7]\n"));
    /* dPSNR panel: both sides; dms panel: rises only */
    assert_int_equal(count_first(gp, "with labels offset 0,0.7"), 2);
    assert_int_equal(count_first(gp, "with labels offset 0,-0.7"), 1);
    /* y ranges hold the bars with room for labels: [-0.3, 0.2] + 20% of 0.5 */
    double lo, hi;
    range_of(gp, "y", &lo, &hi);
    assert_true(fabs(lo + 0.4) < 1e-9 && fabs(hi - 0.3) < 1e-9);
    done(gp, c, "a");
}

/* Tune heat map: the cell labels are three columns (ms with '*' when noisy,
 * interval, PSNR change) drawn on separate lines; a cell too narrow for the
 * interval leaves it out. */
static void test_tune_script_rules(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    vsr_report_tune_point tp[2] = {{0, 0, 1, 10.0, 0, 9.0, 11.0, 0, NAN, NAN},
                                   {64, 8, 1, 12.5, -0.12, 12.0, 13.0, 1, NAN, NAN}};
    c->o.width = 800, c->o.height = 600;
    char *gp = drawn(vsr_report_plot_tune(c->dir, "t", "tune", tp, 2, &c->o, &c->err), c, "t");
    /* 800 px, 1 panel, 2 tiles: (800 - 150) / 2 / 6.5 = 50 characters a cell */
    assert_non_null(strstr(gp, "0 0 \"10.0\" \"9.0-11.0\" \"\"\n"));
    assert_non_null(strstr(gp, "1 1 \"12.5*\" \"12.0-13.0\" \"-0.12 dB\"\n"));
    assert_non_null(strstr(gp, "(* noisy)"));
    assert_non_null(strstr(gp, "using 1:2:4 with labels"));
    done(gp, c, "t");
    /* 250 px: (250 - 150) / 2 / 6.5 = 7 characters: neither interval (8 and
     * 9 characters) nor "-0.12 dB" (8) fits */
    c->o.width = 250;
    gp = drawn(vsr_report_plot_tune(c->dir, "t", "tune", tp, 2, &c->o, &c->err), c, "t");
    assert_non_null(strstr(gp, "0 0 \"10.0\" \"\" \"\"\n"));
    assert_non_null(strstr(gp, "1 1 \"12.5*\" \"\" \"\"\n"));
    done(gp, c, "t");
    /* a scored session (tune --score): a fourth label line, "s <score>", and the title says so
     */
    tp[0].score = 0.0125;
    tp[1].score = 2.5e6;
    c->o.width = 800;
    gp = drawn(vsr_report_plot_tune(c->dir, "t", "tune", tp, 2, &c->o, &c->err), c, "t");
    assert_non_null(strstr(gp, "0 0 \"10.0\" \"9.0-11.0\" \"\" \"s 0.0125\"\n"));
    assert_non_null(strstr(gp, "1 1 \"12.5*\" \"12.0-13.0\" \"-0.12 dB\" \"s 2.5e+06\"\n"));
    assert_non_null(strstr(gp, "s = score"));
    assert_non_null(strstr(gp, "using 1:2:6 with labels"));
    done(gp, c, "t");
}

/* Training plots: two runs of one model with identical curves get different
 * dash patterns and markers in the model's colour; validation has bicubic as
 * a line; the ranges are the data's (loss: 1-2-5 log tics). */
static void test_train_script_rules(void **state)
{
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
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
    char *gp =
        drawn(vsr_report_plot_train_val(c->dir, "v", "val", tr, 2, &c->o, &c->err), c, "v");
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
    done(gp, c, "v");
    gp = drawn(vsr_report_plot_train_loss(c->dir, "l", "loss", tr, 2, &c->o, &c->err), c, "l");
    assert_non_null(strstr(gp, "set logscale y"));
    assert_non_null(strstr(gp, "set ytics (0.02, 0.05, 0.1)\n"));
    done(gp, c, "l");
}

/* Without gnuplot on PATH: -ENOENT naming the package; the script is still saved. */
static void test_missing_gnuplot(void **state)
{
    struct plot_case *c = *state;
    char path[1024];
    char *saved = path_set(c->dir);
    assert_int_equal(vsr_report_gnuplot_available(), 0);
    snprintf(path, sizeof(path), "%s/x.gp", c->dir);
    assert_int_equal(vsr_report_gnuplot_run("plot x\n", path, &c->err), -ENOENT);
    assert_non_null(strstr(c->err.msg, "gnuplot-nox"));
    assert_int_equal(access(path, F_OK), 0);
    path_restore(saved);
}

/* A "gnuplot" that the shell finds but that exits 127 at once without reading
 * its input: -ENOENT with the package name, and a script larger than the
 * pipe buffer must not kill the caller with SIGPIPE. */
static void test_gnuplot_exit_127(void **state)
{
    struct plot_case *c = *state;
    char fake[512];
    fake_gnuplot(c, fake, "#!/bin/sh\nexit 127\n");
    char *saved = path_fake_first(c);
    assert_int_equal(vsr_report_gnuplot_available(), 1);
    size_t big = 1 << 20;
    char *script = malloc(big + 1);
    assert_non_null(script);
    for (size_t i = 0; i < big; i++)
        script[i] = (i % 64 == 63) ? '\n' : '#';
    script[big] = '\0';
    assert_int_equal(vsr_report_gnuplot_run(script, NULL, &c->err), -ENOENT);
    assert_non_null(strstr(c->err.msg, "gnuplot-nox"));
    free(script);
    path_restore(saved);
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
    struct plot_case *c = *state;
    SKIP_WITHOUT_GNUPLOT();
    char a[600], b[600];
    rows4(c->r);
    assert_int_equal(vsr_report_plot_pareto(c->dir, "p1", "t", c->r, 4, &c->o, &c->err), 0);
    assert_int_equal(vsr_report_plot_params(c->dir, "q1", "t", c->r, 4, &c->o, &c->err), 0);
    assert_int_equal(vsr_report_gnuplot_open(&c->o.gp, &c->err), 0);
    assert_non_null(c->o.gp);
    assert_int_equal(vsr_report_plot_params(c->dir, "q2", "t", c->r, 4, &c->o, &c->err), 0);
    assert_int_equal(vsr_report_plot_pareto(c->dir, "p2", "t", c->r, 4, &c->o, &c->err), 0);
    vsr_report_gnuplot_close(&c->o.gp);
    assert_null(c->o.gp);
    vsr_report_gnuplot_close(&c->o.gp); /* NULL-safe */
    static const char *const ext[2] = {"png", "svg"};
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof(a), "%s/p1.%s", c->dir, ext[k]);
        snprintf(b, sizeof(b), "%s/p2.%s", c->dir, ext[k]);
        assert_true(same_file(a, b));
        snprintf(a, sizeof(a), "%s/q1.%s", c->dir, ext[k]);
        snprintf(b, sizeof(b), "%s/q2.%s", c->dir, ext[k]);
        assert_true(same_file(a, b));
    }
    expect_outputs(c->dir, "q2", 640, 480, "Parameters [K]");
    const char *names[4] = {"p1", "p2", "q1", "q2"};
    for (int i = 0; i < 4; i++)
        rm_outputs(c->dir, names[i]);
}

/* A session whose gnuplot reports an error for a plot (a stand-in that
 * answers every status request with 1), or that is gone: that plot fails
 * with -EIO naming its script and leaves no picture; the caller is not
 * killed by SIGPIPE; a dead session hands later plots to a process each. */
static void test_session_errors(void **state)
{
    struct plot_case *c = *state;
    char fake[512], pic[600];
    char *saved = path_fake_first(c);
    rows4(c->r);
    for (int kind = 0; kind < 2; kind++) {
        fake_gnuplot(c, fake,
                     kind == 0 ? "#!/bin/sh\nwhile read -r l; do case \"$l\" in *GPVAL_ERRNO*) "
                                 "echo 'vsrbench-plot-status 1';; esac; done\n"
                               : "#!/bin/sh\nexit 3\n");
        vsr_report_plot_opts o = {.width = 640, .height = 480};
        assert_int_equal(vsr_report_gnuplot_open(&o.gp, &c->err), 0);
        assert_int_equal(vsr_report_plot_pareto(c->dir, "p", "t", c->r, 4, &o, &c->err), -EIO);
        assert_non_null(strstr(c->err.msg, kind ? "gnuplot exited while drawing"
                                                : "gnuplot failed on a script (error 1;"));
        assert_non_null(strstr(c->err.msg, "p.gp")); /* the script to rerun by hand */
        snprintf(pic, sizeof(pic), "%s/p.png", c->dir);
        assert_int_equal(access(pic, F_OK), -1);
        /* the next plot: the same answer, or (dead) a process of its own */
        assert_int_equal(vsr_report_plot_params(c->dir, "q", "t", c->r, 4, &o, &c->err), -EIO);
        assert_non_null(strstr(c->err.msg, kind ? "(status 768;" : "(error 1;"));
        vsr_report_gnuplot_close(&o.gp);
        rm_outputs(c->dir, "p");
        rm_outputs(c->dir, "q");
    }
    /* no gnuplot at all: no session, the message names the package */
    setenv("PATH", c->dir, 1);
    remove(fake);
    vsr_report_gnuplot *gp = NULL;
    assert_int_equal(vsr_report_gnuplot_open(&gp, &c->err), -ENOENT);
    assert_null(gp);
    assert_non_null(strstr(c->err.msg, "gnuplot-nox"));
    path_restore(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pareto_and_params_plots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_ablation_tune_plots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pareto_script_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_script_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_placement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_script_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ablation_script_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tune_script_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_train_script_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_gnuplot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gnuplot_exit_127, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_same_pictures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_errors, setup, teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
