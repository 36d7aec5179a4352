/* gnuplot plots: each script renders a PNG of the asked pixel size (read
 * from the IHDR chunk) and an SVG. Skipped with a message without gnuplot. */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    vsr_report_plot_opts o = {640, 480};
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
    vsr_report_plot_opts o = {800, 600};
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
                tp[k++] = (vsr_report_tune_point){
                    tile, pad, th, 10.0 / th + tile * 0.01, 0, 9.0 / th, 11.0 / th, th == 2};
    assert_int_equal(vsr_report_plot_tune(dir, "tune", "tune", tp, 12, &o, &err), 0);
    expect_outputs(dir, "tune", 800, 600, "Tile [LR px]");
    rm_outputs(dir, "tune");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pareto_and_params_plots),
        cmocka_unit_test(test_frames_ablation_tune_plots),
        cmocka_unit_test(test_missing_gnuplot),
        cmocka_unit_test(test_gnuplot_exit_127),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
