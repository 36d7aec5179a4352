/*
 * The research log's table (reports/research_log.c) in the log's
 * conventions, the NTIRE ESR context table and the PSNR drop against FP32:
 * exact cells for hand-made rows, and the zoo's figures as count.py prints
 * them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_table.h"
#include "reports_internal.h"
#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

static void row(vsr_report_row *r, const char *model, const char *variant, const char *prec)
{
    vsr_report_row_init(r);
    snprintf(r->model, sizeof(r->model), "%s", model);
    snprintf(r->variant, sizeof(r->variant), "%s", variant);
    snprintf(r->precision, sizeof(r->precision), "%s", prec);
    strcpy(r->dataset, "vid4");
    strcpy(r->degradation, "BI");
    strcpy(r->channel, "Y");
    r->in_w = 180, r->in_h = 144;
}

static void test_research_table(void **state)
{
    (void)state;
    vsr_report_row r[3];
    row(&r[0], "MVSR_13", "base", "fp16");
    strcpy(r[0].description, "FANI baseline");
    r[0].psnr = 26.1234, r[0].ssim = 0.81234, r[0].ms_median = 39.8;
    r[0].threads = 4, r[0].tile = 0;
    strcpy(r[0].isa, "avx2");
    r[0].params = 66621, r[0].params_log = 68157, r[0].flops_log = 7614662454.0;
    row(&r[1], "MVSR_13", "r14", "int8");
    strcpy(r[1].description, "r=1/4 (d=4)");
    r[1].psnr = 26.5, r[1].ssim = 0.8, r[1].ms_median = 20, r[1].threads = 1, r[1].tile = 96;
    strcpy(r[1].isa, "scalar");
    r[1].noisy = 1;
    r[1].params_log = 37517, r[1].flops_log = 4090464054.0;
    /* a run logged before v9: no research-log figures, no description */
    row(&r[2], "ELSR", "", "fp32");
    r[2].psnr = 25.0, r[2].ssim = 0.75;
    r[2].params = 3469, r[2].macs = 1e8;
    vsr_report_table t;
    vsr_error err = {0};
    assert_int_equal(vsr_report_table_research(r, 3, &t, &err), 0);
    char *md = render_table(&t, VSR_REPORT_MD);
    /* Hand-written (markdown escapes brackets): params with the log's thousands separators,
     * FLOPs in G with the log's 3 decimals (7,614,662,454 -> 7.615), rows by PSNR. */
    static const char want[] =
        "### Research log (paste-ready)\n\n"
        "| Model | Description | Dataset | Val PSNR | Val SSIM | Params | Runtime \\[ms\\] | "
        "FLOPs \\[G\\] |\n"
        "|---|---|---|---:|---:|---:|---:|---:|\n"
        "| MVSR_13/r14 | r=1/4 (d=4) | vid4 (BIx4) Y | 26.50 | 0.8000 | 37,517 | "
        "20.00 (int8, 1 thread, tile 96, scalar) noisy | 4.090 |\n"
        "| MVSR_13 | FANI baseline | vid4 (BIx4) Y | 26.12 | 0.8123 | 68,157 | "
        "39.80 (fp16, 4 threads, avx2) | 7.615 |\n"
        "| ELSR | - | vid4 (BIx4) Y | 25.00 | 0.7500 | - | - (fp32) | - |\n";
    if (strncmp(md, want, strlen(want)) != 0)
        print_error("got:\n%s\nexpected:\n%s\n", md, want);
    assert_memory_equal(md, want, strlen(want));
    assert_non_null(strstr(md, "180x320"));
    free(md);
    vsr_report_table_free(&t);
}

/* The zoo's figures through the table: the cells read as count.py prints
 * them (`python3 ../shared/reference/count.py --table others` and
 * `--table mvsr`: params (ours), GFLOPs (ours) at 180x320). */
static void test_research_zoo_cells(void **state)
{
    (void)state;
    static const struct {
        const char *zoo, *params, *gflops;
    } want[] = {
        {"MVSR_13", "68,157", "7.615"}, {"MVSR_13_2", "37,517", "4.090"},
        {"MVSR_23", "32,541", "3.512"}, {"ABPN", "62,048", "7.137"},
        {"SWRN", "43,472", "4.995"},    {"ELSR", "3,468", "0.396"},
    };
    const size_t n = sizeof(want) / sizeof(want[0]);
    vsr_report_row r[6];
    for (size_t i = 0; i < n; i++) {
        const vsr_models_entry *e = vsr_models_zoo_find(want[i].zoo);
        assert_non_null(e);
        vsr_models_counts c;
        vsr_error err = {0};
        if (vsr_models_count(&e->hp, 180, 320, VSR_PREC_FP32, &c, &err))
            fail_msg("%s: %s", e->name, err.msg);
        row(&r[i], e->name, "base", "fp32");
        r[i].psnr = 30.0 - (double)i; /* keeps the order of want[] */
        r[i].params_log = (double)c.params_log;
        r[i].flops_log = (double)c.flops_log;
    }
    vsr_report_table t;
    assert_int_equal(vsr_report_table_research(r, n, &t, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t.cells[i * 8 + 0], want[i].zoo);
        assert_string_equal(t.cells[i * 8 + 5], want[i].params);
        assert_string_equal(t.cells[i * 8 + 7], want[i].gflops);
    }
    vsr_report_table_free(&t);
}

static void test_thousands(void **state)
{
    (void)state;
    char b[32];
    vsr_report_fmt_thousands(b, sizeof(b), 0);
    assert_string_equal(b, "0");
    vsr_report_fmt_thousands(b, sizeof(b), 999);
    assert_string_equal(b, "999");
    vsr_report_fmt_thousands(b, sizeof(b), 1000);
    assert_string_equal(b, "1,000");
    vsr_report_fmt_thousands(b, sizeof(b), 920381);
    assert_string_equal(b, "920,381");
    vsr_report_fmt_thousands(b, sizeof(b), 1234567);
    assert_string_equal(b, "1,234,567");
    vsr_report_fmt_thousands(b, sizeof(b), NAN);
    assert_string_equal(b, "-");
}

static void test_context_table(void **state)
{
    (void)state;
    vsr_report_row r[2];
    row(&r[0], "ABPN", "base", "int8");
    r[0].psnr = 26;
    r[0].params_log = 62048, r[0].macs = 1.5e9, r[0].macs_180x320 = 3560371200.0;
    r[0].macs_256x256 = 4050780160.0, r[0].conv_activations = 3.5e6, r[0].n_conv = 7;
    r[0].peak_bytes = 3 * 1048576.0;
    row(&r[1], "SWRN", "base", "fp32");
    r[1].psnr = 25;
    vsr_report_table t;
    assert_int_equal(vsr_report_table_context(r, 2, &t, NULL), 0);
    assert_string_equal(t.id, "context_vid4_BI_Y");
    assert_int_equal(t.ncols, 10);
    static const char *const want0[] = {"ABPN",  "base",  "int8", "62,048", "1.500 @ 144x180",
                                        "3.560", "4.051", "3.50", "7",      "3.0"};
    for (int c = 0; c < 10; c++)
        assert_string_equal(t.cells[c], want0[c]);
    for (int c = 3; c < 10; c++) /* nothing recorded: "-" */
        assert_string_equal(t.cells[10 + c], "-");
    vsr_report_table_free(&t);
}

/* The PSNR drop against FP32 (reports/quant.c): INT8 schemes against the
 * FP32 run of their model (the same sweep preferred), sorted by model then
 * run id; fp32 rows and rows without an fp32 partner are left out. */
static void test_precision_drop(void **state)
{
    (void)state;
    vsr_report_row r[6];
    row(&r[0], "MVSR_13", "base", "int8-pt-sym");
    r[0].psnr = 24.0, r[0].run_id = 5;
    strcpy(r[0].calib, "kl/3");
    strcpy(r[0].sweep, "q");
    row(&r[1], "MVSR_13", "base", "fp32");
    r[1].psnr = 24.5, r[1].run_id = 1;
    strcpy(r[1].sweep, "q");
    row(&r[2], "MVSR_13", "base", "fp32"); /* another sweep's: not the partner */
    r[2].psnr = 99, r[2].run_id = 9;
    strcpy(r[2].sweep, "other");
    row(&r[3], "ABPN", "base", "int8");
    r[3].psnr = 25.25, r[3].run_id = 7;
    strcpy(r[3].calib, "minmax/3");
    strcpy(r[3].sweep, "q");
    row(&r[4], "ABPN", "base", "fp32");
    r[4].psnr = 25.5, r[4].run_id = 6;
    strcpy(r[4].sweep, "q");
    row(&r[5], "SWRN", "base", "int8"); /* no fp32 of SWRN */
    r[5].psnr = 20;
    vsr_report_table t;
    assert_int_equal(vsr_report_table_precision_drop(NULL, r, 6, &t, NULL), 0);
    assert_string_equal(t.id, "precision_drop_vid4_BI_Y");
    assert_int_equal(t.ncols, 7);
    assert_int_equal(t.nrows, 2);
    static const char *const want[2][7] = {
        {"ABPN", "base", "int8", "minmax/3", "25.25", "25.50", "-0.250"},
        {"MVSR_13", "base", "int8-pt-sym", "kl/3", "24.00", "24.50", "-0.500"}};
    for (int i = 0; i < 2; i++)
        for (int c = 0; c < 7; c++)
            assert_string_equal(t.cells[i * 7 + c], want[i][c]);
    vsr_report_table_free(&t);
    /* only fp32: no table */
    assert_int_equal(vsr_report_table_precision_drop(NULL, &r[1], 2, &t, NULL), -ENODATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_research_table), cmocka_unit_test(test_research_zoo_cells),
        cmocka_unit_test(test_thousands),      cmocka_unit_test(test_context_table),
        cmocka_unit_test(test_precision_drop),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
