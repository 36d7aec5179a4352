/* Tables: escaping, exact Markdown/CSV/TeX/HTML of hand-made rows, ablation
 * deltas, filters. Expected texts are written out by hand from the rows. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "render_table.h"
#include "vsr/reports.h"
#include "reports_internal.h"

typedef void (*putter)(FILE *, const char *);

static char *render(putter put, const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    put(f, s);
    fclose(f);
    return buf;
}

static void expect_str(char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        print_error("got:\n%s\nexpected:\n%s\n", got, want);
    assert_string_equal(got, want);
    free(got);
}

static void test_tex_escaping(void **state)
{
    (void)state;
    expect_str(render(vsr_report_put_tex, "a&b%c$d#e_f{g}h~i^j\\k"),
               "a\\&b\\%c\\$d\\#e\\_f\\{g\\}h\\textasciitilde{}i\\textasciicircum{}j"
               "\\textbackslash{}k");
    expect_str(render(vsr_report_put_tex, "plain 1.5 text"), "plain 1.5 text");
    expect_str(render(vsr_report_put_tex, "\xce\x94PSNR"), "$\\Delta$PSNR");
}

static void test_csv_quoting(void **state)
{
    (void)state;
    expect_str(render(vsr_report_put_csv, "plain"), "plain");
    expect_str(render(vsr_report_put_csv, ""), "");
    expect_str(render(vsr_report_put_csv, "a,b"), "\"a,b\"");
    expect_str(render(vsr_report_put_csv, "say \"hi\""), "\"say \"\"hi\"\"\"");
    expect_str(render(vsr_report_put_csv, "two\nlines"), "\"two\nlines\"");
    expect_str(render(vsr_report_put_csv, "cr\rhere"), "\"cr\rhere\"");
    expect_str(render(vsr_report_put_csv, " lead"), "\" lead\"");
    expect_str(render(vsr_report_put_csv, "trail "), "\"trail \"");
    /* formula injection (OWASP CSV Injection): text cells get a leading quote */
    expect_str(render(vsr_report_put_csv, "=HYPERLINK(\"http://x\",\"a\")"),
               "\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\"");
    expect_str(render(vsr_report_put_csv, "+1+cmd|' /C calc'!A0"), "\"'+1+cmd|' /C calc'!A0\"");
    expect_str(render(vsr_report_put_csv, "-2+3"), "\"'-2+3\"");
    expect_str(render(vsr_report_put_csv, "@SUM(A1)"), "\"'@SUM(A1)\"");
    expect_str(render(vsr_report_put_csv, "\t=1"), "\"'\t=1\"");
    expect_str(render(vsr_report_put_csv, "\r=1"), "\"'\r=1\"");
    expect_str(render(vsr_report_put_csv, "a=b"), "a=b");
    /* numbers in numeric columns stay numbers; text there is still neutralised */
    expect_str(render(vsr_report_put_csv_number, "-0.12"), "-0.12");
    expect_str(render(vsr_report_put_csv_number, "+0.5"), "+0.5");
    expect_str(render(vsr_report_put_csv_number, "-inf"), "-inf");
    expect_str(render(vsr_report_put_csv_number, "-"), "-");
    expect_str(render(vsr_report_put_csv_number, "-.5"), "-.5");
    expect_str(render(vsr_report_put_csv_number, "=1+2"), "\"'=1+2\"");
    expect_str(render(vsr_report_put_csv_number, "-cmd"), "\"'-cmd\"");
    /* a text column holding a negative number is text: neutralised too */
    expect_str(render(vsr_report_put_csv, "-0.12"), "\"'-0.12\"");
}

static void test_md_html_escaping(void **state)
{
    (void)state;
    expect_str(render(vsr_report_put_md, "a|b"), "a\\|b");
    expect_str(render(vsr_report_put_md, "MVSR_13"), "MVSR_13");
    expect_str(render(vsr_report_put_md, "_x_ *y* `z` <b> c\\d"),
               "\\_x\\_ \\*y\\* \\`z\\` \\<b\\> c\\\\d");
    expect_str(render(vsr_report_put_md, "two\nlines"), "two lines");
    /* user text forms no link, image, autolink, HTML or entity */
    expect_str(render(vsr_report_put_md, "[x](javascript:alert(1))"),
               "\\[x\\](javascript:alert(1))");
    expect_str(render(vsr_report_put_md, "![i](http://e/x.png)"), "!\\[i\\](http://e/x.png)");
    expect_str(render(vsr_report_put_md, "<javascript:x> <img src=x onerror=y>"),
               "\\<javascript:x\\> \\<img src=x onerror=y\\>");
    expect_str(render(vsr_report_put_md, "&lt;b&gt;"), "\\&lt;b\\&gt;");
    expect_str(render(vsr_report_put_html, "<a href=\"x\">&'</a>"),
               "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

/* Three rows of one group (vid4 BI, Y) with ties in PSNR and params. */
static void three_rows(vsr_report_row r[3])
{
    for (int i = 0; i < 3; i++) {
        vsr_report_row_init(&r[i]);
        strcpy(r[i].dataset, "vid4");
        strcpy(r[i].degradation, "BI");
        strcpy(r[i].channel, "Y");
        r[i].in_w = 320;
        r[i].in_h = 180;
    }
    strcpy(r[0].model, "ABPN");
    strcpy(r[0].variant, "base");
    strcpy(r[0].precision, "fp32");
    r[0].psnr = 26.5012, r[0].ssim = 0.81234, r[0].niqe = 5.5;
    r[0].params = 42000, r[0].macs = 2.5e9, r[0].ms_median = 12.344, r[0].ms_p95 = 13.1;
    r[0].threads = 2, r[0].tile = 0, r[0].pad = 0;
    strcpy(r[1].model, "MVSR_13");
    strcpy(r[1].variant, "noattn");
    strcpy(r[1].precision, "int8");
    r[1].psnr = 26.5012, r[1].ssim = 0.8;
    r[1].params = 30000, r[1].macs = 1.25e9, r[1].ms_median = 5.0;
    r[1].threads = 2, r[1].tile = 96, r[1].pad = 8;
    strcpy(r[2].model, "SWRN");
    strcpy(r[2].precision, "fp16");
    r[2].psnr = 25.0, r[2].ssim = 0.82, r[2].niqe = 6.25;
    r[2].params = 30000, r[2].macs = 3e9, r[2].ms_median = 20, r[2].ms_p95 = 25;
    r[2].threads = 1;
}

static const char LEADERBOARD_MD[] =
    "### Leaderboard: vid4 (BIx4), channel Y\n"
    "\n"
    "| Rank | Model | Variant | Precision | PSNR \\[dB\\] | SSIM | NIQE | Params \\[K\\] | "
    "MACs \\[G\\] @ "
    "180x320 | ms/frame \\[95% CI\\] (p95) | Threads | Tile |\n"
    "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
    "| 1 | MVSR_13 | noattn | int8 | **26.50** | 0.8000 | - | **30.0** | **1.250** | **5.00** "
    "| "
    "2 | 96 (pad 8) |\n"
    "| 1 | ABPN | base | fp32 | **26.50** | 0.8123 | **5.50** | 42.0 | 2.500 | 12.34 (13.10) | "
    "2 | none |\n"
    "| 3 | SWRN | - | fp16 | 25.00 | **0.8200** | 6.25 | **30.0** | 3.000 | 20.00 (25.00) | 1 "
    "| - |\n"
    "\n" VSR_TEST_LEADERBOARD_NOTE "\n";

static const char LEADERBOARD_CSV[] =
    "rank,model,variant,precision,dataset,degradation,channel,psnr_db,ssim,niqe,params,macs_g,"
    "input_h,input_w,ms_median,ms_p95,threads,tile,pad,run_id,isa,host,git_rev,sweep,ms_median_"
    "lo,"
    "ms_median_hi,noisy\r\n"
    "1,MVSR_13,noattn,int8,vid4,BI,Y,26.5012,0.8000,,30000,1.250000,180,320,5.000,,2,96,8,0,"
    ",,,,,,0\r\n"
    "1,ABPN,base,fp32,vid4,BI,Y,26.5012,0.8123,5.5000,42000,2.500000,180,320,12.344,13.100,2,"
    "0,0,0,,,,,,,0\r\n"
    "3,SWRN,,fp16,vid4,BI,Y,25.0000,0.8200,6.2500,30000,3.000000,180,320,20.000,25.000,1,,,0,"
    ",,,,,,0\r\n";

static void test_leaderboard_md_csv(void **state)
{
    (void)state;
    vsr_report_row r[3];
    three_rows(r);
    vsr_report_table t;
    vsr_error err = {0};
    assert_int_equal(vsr_report_table_leaderboard(r, 3, VSR_REPORT_DISPLAY, &t, &err), 0);
    expect_str(render_table(&t, VSR_REPORT_MD), LEADERBOARD_MD);
    vsr_report_table_free(&t);
    assert_int_equal(vsr_report_table_leaderboard(r, 3, VSR_REPORT_DATA, &t, &err), 0);
    expect_str(render_table(&t, VSR_REPORT_CSV), LEADERBOARD_CSV);
    vsr_report_table_free(&t);
}

/* A run with an interval and the noisy mark shows both in the ms cell. */
static void test_leaderboard_interval_noisy(void **state)
{
    (void)state;
    vsr_report_row r[3];
    three_rows(r);
    r[0].ms_lo = 12.0, r[0].ms_hi = 12.9, r[0].noisy = 1; /* ABPN, median 12.344 */
    vsr_report_table t;
    assert_int_equal(vsr_report_table_leaderboard(r, 3, VSR_REPORT_DISPLAY, &t, NULL), 0);
    int found = 0;
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(t.cells[i * 12 + 1], "ABPN")) {
            assert_string_equal(t.cells[i * 12 + 9], "12.34 [12.00, 12.90] noisy (13.10)");
            found = 1;
        }
    assert_true(found);
    vsr_report_table_free(&t);
}

/* Mixed input sizes move the size into each MACs cell. */
static void test_leaderboard_mixed_sizes(void **state)
{
    (void)state;
    vsr_report_row r[3];
    three_rows(r);
    r[2].in_w = 256, r[2].in_h = 256;
    vsr_report_table t;
    assert_int_equal(vsr_report_table_leaderboard(r, 3, VSR_REPORT_DISPLAY, &t, NULL), 0);
    assert_string_equal(t.headers[8], "MACs [G] @ HxW");
    assert_string_equal(t.cells[2 * 12 + 8], "3.000 @ 256x256");
    assert_string_equal(t.cells[0 * 12 + 8], "1.250 @ 180x320");
    vsr_report_table_free(&t);
    /* Rows from two machines get a Device column; one machine does not. */
    assert_int_equal(t.ncols, 0);
    three_rows(r);
    assert_int_equal(vsr_report_table_leaderboard(r, 3, VSR_REPORT_DISPLAY, &t, NULL), 0);
    assert_int_equal(t.ncols, 12);
    vsr_report_table_free(&t);
    strcpy(r[0].host, "Cortex-A78");
    strcpy(r[1].host, "Ryzen 7");
    assert_int_equal(vsr_report_table_leaderboard(r, 3, VSR_REPORT_DISPLAY, &t, NULL), 0);
    assert_int_equal(t.ncols, 13);
    assert_string_equal(t.headers[12], "Device");
    assert_string_equal(t.cells[0 * 13 + 12], "Ryzen 7"); /* MVSR_13 ranks first */
    assert_string_equal(t.cells[2 * 13 + 12], "-");
    vsr_report_table_free(&t);
}

static void test_leaderboard_tex(void **state)
{
    (void)state;
    vsr_report_row r[1];
    vsr_report_row_init(&r[0]);
    strcpy(r[0].model, "A&B_1");
    strcpy(r[0].dataset, "demo");
    strcpy(r[0].channel, "RGB");
    strcpy(r[0].precision, "fp32");
    r[0].psnr = 30;
    vsr_report_table t;
    assert_int_equal(vsr_report_table_leaderboard(r, 1, VSR_REPORT_DISPLAY, &t, NULL), 0);
    char *tex = render_table(&t, VSR_REPORT_TEX);
    const char *want_row = "1 & A\\&B\\_1 & - & fp32 & \\textbf{30.00} & - & - & - & - & - & "
                           "- & - \\\\\n";
    assert_non_null(strstr(tex, want_row));
    assert_non_null(strstr(tex, "\\begin{tabular}{rlllrrrrrrrl}\n\\toprule\n"));
    assert_non_null(strstr(tex, "\\caption{Leaderboard: demo, channel RGB}\n"
                                "\\label{tab:leaderboard_demo_RGB}\n"));
    assert_non_null(strstr(tex, "\\bottomrule\n\\end{tabular}\n"));
    free(tex);
    vsr_report_table_free(&t);
}

static void test_ablation(void **state)
{
    (void)state;
    vsr_report_row r[5];
    for (int i = 0; i < 5; i++) {
        vsr_report_row_init(&r[i]);
        strcpy(r[i].model, "MVSR_13");
        strcpy(r[i].dataset, "vid4");
        strcpy(r[i].channel, "Y");
        strcpy(r[i].precision, "fp32");
        r[i].threads = 1, r[i].tile = 0;
    }
    strcpy(r[0].variant, "noattn");
    r[0].psnr = 26.10, r[0].params = 40000, r[0].macs = 2.0e9, r[0].ms_median = 9.5;
    strcpy(r[1].variant, "base");
    r[1].psnr = 26.35, r[1].params = 45500, r[1].macs = 2.25e9, r[1].ms_median = 11.0;
    strcpy(r[2].variant, "wide");
    r[2].psnr = 26.50, r[2].params = 60000, r[2].macs = 3.0e9, r[2].ms_median = 14.25;
    /* Another model of the same sweep and setting: a delta row too. */
    strcpy(r[4].model, "SWRN");
    strcpy(r[4].variant, "base");
    r[4].psnr = 25, r[4].params = 45500, r[4].macs = 2.25e9, r[4].ms_median = 11.0;
    /* Different precision and no int8 base: listed as not paired. */
    strcpy(r[3].variant, "wide");
    strcpy(r[3].precision, "int8");
    r[3].psnr = 26.3;
    vsr_report_table t;
    vsr_error err = {0};
    assert_int_equal(vsr_report_table_ablation(r, 5, "MVSR_13", NULL, 0, &t, &err), 0);
    assert_int_equal(t.nrows, 4);
    /* Base first, then the others in input order. dB: 26.10-26.35 = -0.25,
     * 26.50-26.35 = +0.15, 25-26.35 = -1.35; params [K]: -5.5, +14.5, 0;
     * MACs [G]: -0.25, +0.75, 0; ms: -1.5, +3.25, 0. No frames: no intervals. */
    enum { NC = VSR_ABL_NCOLS };
    static const char *const want[4][NC] = {
        {"MVSR_13", "base (base)", "fp32", "vid4 Y", "26.35", "-", "-", "-", "-", "45.5", "0.0",
         "2.250", "0.000", "11.00", "0.00", "-"},
        {"MVSR_13", "noattn", "fp32", "vid4 Y", "26.10", "-0.25", "-", "-", "-", "40.0", "-5.5",
         "2.000", "-0.250", "9.50", "-1.50", "none"},
        {"MVSR_13", "wide", "fp32", "vid4 Y", "26.50", "+0.15", "-", "-", "-", "60.0", "+14.5",
         "3.000", "+0.750", "14.25", "+3.25", "none"},
        {"SWRN", "base", "fp32", "vid4 Y", "25.00", "-1.35", "-", "-", "-", "45.5", "0.0",
         "2.250", "0.000", "11.00", "0.00", "none"},
    };
    assert_int_equal(t.ncols, NC);
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < NC; c++) {
            if (strcmp(t.cells[i * NC + c], want[i][c]))
                print_error("row %d col %d: '%s'\n", i, c, t.cells[i * NC + c]);
            assert_string_equal(t.cells[i * NC + c], want[i][c]);
        }
    assert_true(fabs(t.keys[1 * NC + VSR_ABL_DPSNR] - (-0.25)) < 1e-9);
    assert_non_null(strstr(
        t.note, "Not paired: MVSR_13/wide int8 on vid4 Y: no MVSR_13 int8 run on vid4 Y"));
    vsr_report_table_free(&t);
    /* By variant name (each model's own base row first), and by model/variant. */
    assert_int_equal(vsr_report_table_ablation(r, 5, "base", NULL, 0, &t, NULL), 0);
    assert_int_equal(t.nrows, 4); /* SWRN is a base row itself */
    assert_string_equal(t.cells[0 * NC + VSR_ABL_VARIANT], "base (base)");
    assert_string_equal(t.cells[1 * NC + VSR_ABL_DPSNR], "-0.25"); /* noattn vs MVSR_13/base */
    assert_string_equal(t.cells[3 * NC + 0], "SWRN");
    assert_string_equal(t.cells[3 * NC + VSR_ABL_VARIANT], "base (base)");
    vsr_report_table_free(&t);
    assert_int_equal(vsr_report_table_ablation(r, 4, "MVSR_13/wide", NULL, 0, &t, NULL), 0);
    assert_int_equal(t.nrows, 4); /* fp32 group and int8 group each have a base */
    vsr_report_table_free(&t);
    /* A typo: -EINVAL, naming it, with the closest name. */
    assert_int_equal(vsr_report_table_ablation(r, 4, "nope", NULL, 0, &t, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "nope"));
    assert_int_equal(vsr_report_check_base(r, 5, "MVSR13", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "--base MVSR13: no run has that model or variant"));
    assert_non_null(strstr(err.msg, "(did you mean 'MVSR_13'?)"));
    assert_null(strchr(err.msg, '\n'));
}

static void test_filter(void **state)
{
    (void)state;
    vsr_report_row r[3];
    three_rows(r);
    vsr_report_rows rows = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(vsr_report_rows_push(&rows, &r[i], NULL), 0);
    vsr_error err = {0};
    assert_int_equal(vsr_report_rows_filter(&rows, "colour=red", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "colour"));
    assert_int_equal(vsr_report_rows_filter(&rows, "dataset", &err), -EINVAL);
    assert_int_equal(rows.n, 3);
    assert_int_equal(vsr_report_rows_filter(&rows, "dataset=VID4,precision=int8|fp16", &err),
                     0);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.v[0].model, "MVSR_13");
    assert_string_equal(rows.v[1].model, "SWRN");
    strcpy(rows.v[1].sweep, "quickstart");
    assert_int_equal(vsr_report_rows_filter(&rows, "sweep=quickstart|vid4", &err), 0);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.v[0].model, "SWRN");
    assert_int_equal(vsr_report_rows_filter(&rows, "threads=1", &err), 0);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.v[0].model, "SWRN");
    vsr_report_rows_free(&rows);
}

/* One row per configuration, one column per benchmark. */
static void test_summary(void **state)
{
    (void)state;
    vsr_report_row r[5];
    three_rows(r);
    strcpy(r[0].git_rev, "abc1234");
    r[3] = r[0]; /* ABPN on REDS4 RGB, another revision */
    strcpy(r[3].dataset, "reds4");
    strcpy(r[3].channel, "RGB");
    strcpy(r[3].git_rev, "def5678");
    r[3].psnr = 28.25, r[3].ssim = 0.8;
    r[4] = r[1]; /* MVSR_13 on REDS4 RGB */
    strcpy(r[4].dataset, "reds4");
    strcpy(r[4].channel, "RGB");
    r[4].psnr = 28.5, r[4].ssim = NAN;
    vsr_report_table t;
    vsr_error err = {0};
    assert_int_equal(vsr_report_table_summary(r, 5, &t, &err), 0);
    char *md = render_table(&t, VSR_REPORT_MD);
    static const char want[] =
        "### Summary across benchmarks\n\n"
        "| Model | Variant | Precision | Threads | Tile | vid4 (BIx4) Y PSNR / SSIM | reds4 "
        "(BIx4) RGB PSNR / SSIM | Params \\[K\\] | Git |\n"
        "|---|---|---|---:|---|---:|---:|---:|---|\n"
        "| ABPN | base | fp32 | 2 | none | **26.50 / 0.8123** | 28.25 / 0.8000 | 42.0 | "
        "abc1234 "
        "def5678 |\n"
        "| MVSR_13 | noattn | int8 | 2 | 96 (pad 8) | **26.50 / 0.8000** | **28.50 / -** | "
        "30.0 "
        "| - |\n"
        "| SWRN | - | fp16 | 1 | - | 25.00 / 0.8200 | - | 30.0 | - |\n";
    if (strncmp(md, want, strlen(want)) != 0)
        print_error("got:\n%s\nexpected:\n%s\n", md, want);
    assert_memory_equal(md, want, strlen(want));
    free(md);
    vsr_report_table_free(&t);
}

/* BI and BD of one dataset are different benchmarks: two groups, two ids. */
static void test_groups(void **state)
{
    (void)state;
    vsr_report_row r[4];
    three_rows(r);
    r[3] = r[0];
    strcpy(r[3].degradation, "BD");
    strcpy(r[1].channel, "RGB");
    size_t *keys, n;
    assert_int_equal(vsr_report_group_keys(r, 4, &keys, &n, NULL), 0);
    assert_int_equal(n, 3); /* vid4 BI Y (rows 0, 2), vid4 BI RGB (1), vid4 BD Y (3) */
    assert_int_equal(keys[0], 0);
    assert_int_equal(keys[1], 1);
    assert_int_equal(keys[2], 3);
    free(keys);
    char tag[64];
    vsr_report_group_tag(&r[3], tag, sizeof(tag));
    assert_string_equal(tag, "vid4_BD_Y");
    strcpy(r[3].dataset, "my data/x");
    r[3].degradation[0] = '\0';
    vsr_report_group_tag(&r[3], tag, sizeof(tag));
    assert_string_equal(tag, "my_data_x_Y");
}

static void test_formats(void **state)
{
    (void)state;
    unsigned f;
    vsr_error err = {0};
    assert_int_equal(vsr_report_parse_formats("tex,md", &f, &err), 0);
    assert_int_equal(f, VSR_REPORT_TEX | VSR_REPORT_MD);
    assert_int_equal(vsr_report_parse_formats("md,pdf", &f, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "pdf"));
    assert_int_equal(vsr_report_parse_formats("", &f, &err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tex_escaping),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_md_html_escaping),
        cmocka_unit_test(test_leaderboard_md_csv),
        cmocka_unit_test(test_leaderboard_interval_noisy),
        cmocka_unit_test(test_leaderboard_mixed_sizes),
        cmocka_unit_test(test_leaderboard_tex),
        cmocka_unit_test(test_ablation),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_formats),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
