/*
 * vsrbench quant-report end to end on a tiny model (ELSR, 4 convs, random
 * weights saved by the test) and a two-frame Vid4-style clip the test
 * writes (GT only: the LR side is made with the BI degradation). Checked
 * independently of the command: its FP32 PSNR equals the mean Y PSNR
 * (crop 4) of the engine's FP32 output on vsr_degrade_bi of each GT frame;
 * the CSV has one row per conv layer of the graph, each once; the
 * "alone" PSNR of the top row equals an FP32 engine with that layer INT8
 * after a minmax calibration on the same LR frames. Then the usage errors,
 * and upscale --keep-float's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "zoo_harness.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"
#include "vsr/reports.h"

enum { NF = 2, GW = 48, GH = 40 };

/* The ELSR graph for h x w with the test's random weights. */
static vsr_graph *tiny_model(int h, int w)
{
    return vsr_test_zoo_random("ELSR", h, w, 4321);
}

/* GT frames: smooth gradients plus a little xorshift noise (a natural-ish image). */
static void write_clip(const char *root, vsr_frame *gt)
{
    char dir[600], path[700];
    vsr_error err = {0};
    snprintf(dir, sizeof(dir), "%s/GT", root);
    assert_int_equal(mkdir(root, 0777), 0);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(dir, sizeof(dir), "%s/GT/clip", root);
    assert_int_equal(mkdir(dir, 0777), 0);
    uint32_t s = 99;
    for (int f = 0; f < NF; f++) {
        if (vsr_frame_alloc(&gt[f], GW, GH, 3, &err))
            fail_msg("%s", err.msg);
        for (int y = 0; y < GH; y++) {
            uint8_t *row = vsr_frame_row(&gt[f], y);
            for (int x = 0; x < GW; x++)
                for (int c = 0; c < 3; c++) {
                    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
                    int v = (x * 5 + y * 3 + c * 40 + f * 7) % 200 + (int)(s % 24);
                    row[x * 3 + c] = (uint8_t)v;
                }
        }
        snprintf(path, sizeof(path), "%s/%08d.png", dir, f);
        if (vsr_image_write_png(path, &gt[f], &err))
            fail_msg("%s", err.msg);
    }
}

/* Mean Y PSNR (crop 4) of @p g at @p prec with overrides over the BI LR of @p gt. */
static double psnr_of(const vsr_graph *g, vsr_precision prec, const vsr_layer_precision *lp,
                      int n, const vsr_frame *lr, const vsr_frame *gt)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.layer_prec = lp;
    o.n_layer_prec = n;
    vsr_engine *e = NULL;
    vsr_error err = {0};
    double sum = 0;
    if (vsr_engine_create(g, prec, NULL, &o, &e, &err))
        fail_msg("%s", err.msg);
    for (int f = 0; f < NF; f++) {
        vsr_frame sr = {0};
        double p;
        if (vsr_engine_set_input_frame(e, 0, &lr[f], &err) || vsr_engine_run(e, &err) ||
            vsr_frame_alloc(&sr, GW, GH, 3, &err) ||
            vsr_engine_get_output_frame(e, 0, &sr, &err) ||
            vsr_metrics_psnr(&gt[f], &sr, 4, 1, NULL, &p, &err))
            fail_msg("%s", err.msg);
        sum += p;
        vsr_frame_free(&sr);
    }
    vsr_engine_free(&e);
    return sum / NF;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = calloc(1, 1 << 16);
    size_t n = b ? fread(b, 1, (1 << 16) - 1, f) : 0;
    (void)n;
    fclose(f);
    return b;
}

static void test_quant_report_tiny(void **state)
{
    struct vsr_cli_tmp *t = *state;
    vsr_error err = {0};
    vsr_graph *g = tiny_model(GH / 4, GW / 4);
    if (vsr_weights_save(g, t->weights, &err))
        fail_msg("%s", err.msg);
    char root[400], outdir[400], csv[480];
    snprintf(root, sizeof(root), "%s/vid", t->dir);
    snprintf(outdir, sizeof(outdir), "%s/qr", t->dir);
    vsr_frame gt[NF] = {{0}}, lr[NF] = {{0}};
    write_clip(root, gt);
    for (int f = 0; f < NF; f++)
        if (vsr_degrade_bi(&gt[f], 4, &lr[f], &err))
            fail_msg("%s", err.msg);

    const char *args[] = {"quant-report", "ELSR",     "--weights", t->weights, "--dataset",
                          root,           "--frames", "2",         "--top",    "3",
                          "-o",           outdir,     NULL};
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 0);
    char *out = slurp(t->out);
    assert_non_null(out);
    /* FP32 PSNR, independently */
    double fp32 = psnr_of(g, VSR_PREC_FP32, NULL, 0, lr, gt);
    char want[64];
    snprintf(want, sizeof(want), "FP32 %.4f dB", fp32);
    if (!strstr(out, want))
        fail_msg("'%s' not in:\n%s", want, out);
    /* the CSV: one row per conv of the graph, each once */
    snprintf(csv, sizeof(csv), "%s/quant_report.csv", outdir);
    char *c = slurp(csv);
    assert_non_null(c);
    int convs = 0, rows = 0;
    for (const char *p = strchr(c, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
        rows++;
    for (int i = 0; i < vsr_graph_layer_count(g); i++) {
        vsr_layer_info li;
        if (vsr_graph_layer_info(g, i, 0, 0, &li, &err))
            fail_msg("%s", err.msg);
        if (li.op != VSR_OP_CONV2D)
            continue;
        convs++;
        char key[80];
        snprintf(key, sizeof(key), ",%s,%d,", li.name, i + 1);
        const char *hit = strstr(c, key);
        assert_non_null(hit);
        assert_null(strstr(hit + 1, key));
    }
    assert_int_equal(convs, 4); /* vsrbench models -v ELSR: 4 conv2d rows */
    assert_int_equal(rows, convs);
    /* row 1: its layer alone in INT8 (minmax on the two LR frames), independently */
    char name[64] = "";
    double alone = NAN;
    const char *r1 = strchr(c, '\n') + 1;
    assert_int_equal(sscanf(r1, "1,%63[^,],%*d,%*[^,],%*d,%*f,%lf,", name, &alone), 2);
    const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
    vsr_graph *g2 = tiny_model(GH / 4, GW / 4);
    if (vsr_models_calibrate(g2, NULL, e->temporal, e->in_channels, e->state_channels, "ELSR",
                             "minmax", NF, lr, NF, &err))
        fail_msg("%s", err.msg);
    vsr_layer_precision lp = {name, VSR_PREC_INT8};
    assert_float_equal(psnr_of(g2, VSR_PREC_FP32, &lp, 1, lr, gt), alone, 1e-4);
    if (vsr_report_gnuplot_available()) {
        char png[480];
        snprintf(png, sizeof(png), "%s/quant_sensitivity.png", outdir);
        assert_int_equal(access(png, R_OK), 0);
    }
    free(out), free(c);
    vsr_graph_free(&g2);

    /* usage errors: 2 */
    const char *no_ds[] = {"quant-report", "ELSR", "--weights", t->weights, NULL};
    assert_int_equal(vsr_test_vsrbench(no_ds, t->out, t->err, NULL), 2);
    const char *bad_sort[] = {"quant-report", "ELSR",   "--weights", t->weights, "--dataset",
                              root,           "--sort", "name",      NULL};
    assert_int_equal(vsr_test_vsrbench(bad_sort, t->out, t->err, NULL), 2);
    char *e2 = slurp(t->err);
    assert_non_null(strstr(e2, "--sort name: expected sqnr, alone or allbut"));
    free(e2);

    /* upscale --keep-float: int8 only (2); an unknown layer fails naming it (1) */
    char gtdir[480], upout[480];
    snprintf(gtdir, sizeof(gtdir), "%s/GT/clip", root);
    snprintf(upout, sizeof(upout), "%s/up/", t->dir);
    const char *up_fp32[] = {"upscale",      "--model", "ELSR", "--weights", t->weights,
                             "--keep-float", "conv1",   gtdir,  upout,       NULL};
    assert_int_equal(vsr_test_vsrbench(up_fp32, t->out, t->err, NULL), 2);
    const char *up_bad[] = {"upscale",  "--model",     "ELSR", "--weights",
                            t->weights, "--precision", "int8", "--keep-float",
                            "nope,",    gtdir,         upout,  NULL};
    assert_int_equal(vsr_test_vsrbench(up_bad, t->out, t->err, NULL), 2); /* empty name */
    up_bad[8] = "nope";
    assert_int_equal(vsr_test_vsrbench(up_bad, t->out, t->err, NULL), 1);
    e2 = slurp(t->err);
    assert_non_null(strstr(e2, "no layer 'nope'"));
    free(e2);
    for (int f = 0; f < NF; f++)
        vsr_frame_free(&gt[f]), vsr_frame_free(&lr[f]);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quant_report_tiny, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
