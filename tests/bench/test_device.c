/*
 * Device timings: TFLite benchmark_model logs and hand-typed CSV. The logs
 * below are written in the format benchmark_model prints (TFLite's
 * tools/benchmark documentation: the statistics line "count= first= curr=
 * min= max= avg= std=", later versions adding "p5= median= p95=", and the
 * summary "Inference timings in us: ..."); every expected value is read off
 * the text by hand.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "runlog_internal.h"
#include "sqlite_harness.h"
#include "testutil.h"
#include "vsr/bench.h"

static int parse_log(const char *text, vsr_device_timing **rows, int *n, vsr_error *err)
{
    return vsr_device_parse_benchmark_model(text, strlen(text), rows, n, err);
}

/* An older benchmark_model: warm-up phase, then the measured phase, scientific
 * notation in the averages. */
static void test_log_two_phases(void **state)
{
    (void)state;
    const char *log = "STARTING!\n"
                      "Num threads: [4]\n"
                      "Graph: [/data/local/tmp/abpn_x3_int8.tflite]\n"
                      "Loaded model /data/local/tmp/abpn_x3_int8.tflite\n"
                      "count=1 curr=3512391\n"
                      "\n"
                      "count=50 first=2990275 curr=2913402 min=2727568 max=3189954 "
                      "avg=2.95034e+06 std=109798\n"
                      "\n"
                      "Inference timings in us: Init: 17187, First inference: 3512391, "
                      "Warmup (avg): 3.51239e+06, Inference (avg): 2.95034e+06\r\n"
                      "Memory footprint delta from the start of the tool (MB): init=4.2\n";
    vsr_device_timing *r;
    int n;
    vsr_error err = {0};
    assert_int_equal(parse_log(log, &r, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].graph, "abpn_x3_int8.tflite");
    assert_int_equal(r[0].threads, 4);
    assert_int_equal(r[0].count, 50);
    assert_float_equal(r[0].init_us, 17187, 0);
    assert_float_equal(r[0].first_us, 3512391, 0);
    assert_float_equal(r[0].warmup_avg_us, 3.51239e6, 0);
    assert_float_equal(r[0].avg_us, 2.95034e6, 0);
    assert_float_equal(r[0].min_us, 2727568, 0);
    assert_float_equal(r[0].max_us, 3189954, 0);
    assert_float_equal(r[0].std_us, 109798, 0);
    assert_true(isnan(r[0].median_us)); /* this version prints no percentiles */
    assert_int_equal(r[0].source_line, 9);
    free(r);
}

/* A newer one through logcat (prefix on every line), percentiles, and two
 * models concatenated (the export bundle's collected logs). */
static void test_log_prefixed_concatenated(void **state)
{
    (void)state;
    const char *log =
        "I tflite  : Graph: [/data/local/tmp/m1.tflite]\n"
        "I tflite  : #threads used for CPU inference: [1]\n"
        "I tflite  : count=9 first=87112 curr=51629 min=51629 max=87112 avg=58147.4 std=11478 "
        "p5=51629 median=51962 p95=87112\n"
        "I tflite  : count=1000 first=52162 curr=49785 min=49088 max=686105 avg=63743.2 "
        "std=60716 p5=49620 median=51891 p95=68628\n"
        "I tflite  : Inference timings in us: Init: 119515, First inference: 87112, Warmup "
        "(avg): 58147.4, Inference (avg): 63743.2\n"
        "INFO: Graph: [m2.tflite]\n"
        "INFO: Inference timings in us: Init: 5579, First inference: 1357602, Warmup (avg): "
        "1.3576e+06, Inference (avg): 1.24027e+06\n";
    vsr_device_timing *r;
    int n;
    vsr_error err = {0};
    assert_int_equal(parse_log(log, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].graph, "m1.tflite");
    assert_int_equal(r[0].threads, 1);
    assert_int_equal(r[0].count, 1000); /* the measured phase, not the warm-up */
    assert_float_equal(r[0].avg_us, 63743.2, 1e-9);
    assert_float_equal(r[0].median_us, 51891, 0);
    assert_float_equal(r[0].p5_us, 49620, 0);
    assert_float_equal(r[0].p95_us, 68628, 0);
    assert_float_equal(r[0].max_us, 686105, 0);
    /* the second model: its own graph, no statistics line of its own */
    assert_string_equal(r[1].graph, "m2.tflite");
    assert_int_equal(r[1].count, -1);
    assert_true(isnan(r[1].min_us));
    assert_int_equal(r[1].threads, -1); /* nothing carries over a summary */
    assert_float_equal(r[1].avg_us, 1.24027e6, 0);
    assert_float_equal(r[1].init_us, 5579, 0);
    free(r);
}

typedef int (*parse_fn)(const char *, size_t, vsr_device_timing **, int *, vsr_error *);

/* @p parse refuses @p text with -EINVAL, allocates nothing, and says @p needle. */
static void expect_error(parse_fn parse, const char *text, const char *needle)
{
    vsr_device_timing *r = (vsr_device_timing *)1;
    int n = 7;
    vsr_error err = {0};
    assert_int_equal(parse(text, strlen(text), &r, &n, &err), -EINVAL);
    assert_null(r);
    assert_int_equal(n, 0);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void expect_log_error(const char *text, const char *needle)
{
    expect_error(vsr_device_parse_benchmark_model, text, needle);
}

static void test_log_errors(void **state)
{
    (void)state;
    expect_log_error("", "no 'Inference timings in us:' line");
    expect_log_error("model,ms\nabpn,12.5\n", "for figures typed by hand use a .csv");
    expect_log_error("Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 3\n",
                     "line 1: the 'Inference timings in us:' line has no 'Inference (avg):'");
    expect_log_error("Inference timings in us: Init: x, First inference: 2, Warmup (avg): 3, "
                     "Inference (avg): 4\n",
                     "line 1: 'Init:' is not followed by a non-negative number");
    expect_log_error("count=5 min=1 max=2 avg=-3 std=0\nInference timings in us: Init: 1, "
                     "First inference: 2, Warmup (avg): 3, Inference (avg): 4\n",
                     "line 1: 'avg=' is not");
    /* found by fuzz_device_log: a statistics line without count= */
    expect_log_error("min=1 avg=2 count=2.5\n", "line 1: count=2.5 is not a whole number");
    vsr_device_timing *r0;
    int n0;
    vsr_error e0 = {0};
    /* "recount=" is not "count=": the statistics line has no count */
    const char *nocount = "recount=5 avg=2\nInference timings in us: Init: 1, First inference: "
                          "2, Warmup (avg): 3, Inference (avg): 4\n";
    assert_int_equal(parse_log(nocount, &r0, &n0, &e0), 0);
    assert_int_equal(n0, 1);
    assert_int_equal(r0[0].count, -1);
    assert_float_equal(r0[0].avg_us, 4, 0);
    free(r0);
    expect_log_error("Num threads: [lots]\n", "line 1: thread count 'lots' is not 0..4096");
    /* a summary truncated in its own file: the length bound is in the text,
     * not in a NUL terminator */
    const char *cut = "Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 3, "
                      "Inference (avg): 4\n";
    vsr_device_timing *r;
    int n;
    vsr_error err = {0};
    assert_int_equal(vsr_device_parse_benchmark_model(cut, strlen(cut) - 2, &r, &n, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "'Inference (avg):' is not followed"));
}

static void test_csv(void **state)
{
    (void)state;
    const char *csv = "# AI Benchmark 5, typed from the app's screen\n"
                      "model, ms, device, backend, init_ms, threads\n"
                      "ABPN_x3, 35.5, \"OnePlus 7T\", \"TFLite GPU, FP16\", , 4\n"
                      "\"MVSR \"\"13\"\"\",7,\"OnePlus 7T\",NNAPI INT8,120.25,\n";
    vsr_device_timing *r;
    int n;
    vsr_error err = {0};
    assert_int_equal(vsr_device_parse_csv(csv, strlen(csv), &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].model, "ABPN_x3");
    assert_string_equal(r[0].device, "OnePlus 7T");
    assert_string_equal(r[0].backend, "TFLite GPU, FP16");
    assert_float_equal(r[0].avg_us, 35500, 1e-9);
    assert_true(isnan(r[0].init_us)); /* left empty */
    assert_int_equal(r[0].threads, 4);
    assert_int_equal(r[0].source_line, 3);
    assert_string_equal(r[1].model, "MVSR \"13\"");
    assert_string_equal(r[1].backend, "NNAPI INT8");
    assert_float_equal(r[1].avg_us, 7000, 0);
    assert_float_equal(r[1].init_us, 120250, 1e-9);
    assert_int_equal(r[1].threads, -1);
    assert_int_equal(r[1].count, -1);
    free(r);
}

static void expect_csv_error(const char *text, const char *needle)
{
    expect_error(vsr_device_parse_csv, text, needle);
}

static void test_csv_errors(void **state)
{
    (void)state;
    expect_csv_error("", "no header line");
    expect_csv_error("model,ms\n# nothing measured\n", "a header but no timing rows");
    expect_csv_error("model,time\n", "line 1: unknown column 'time'");
    expect_csv_error("model,device\n", "needs the columns 'model' and 'ms'");
    expect_csv_error("model,ms,ms\n", "column 'ms' twice");
    expect_csv_error("model,ms\nabpn\n", "line 2: 1 fields, the header has 2");
    expect_csv_error("model,ms\nabpn,fast\n", "line 2: ms 'fast' is not a number");
    expect_csv_error("model,ms\nabpn,-1\n", "line 2: ms '-1' is not a number");
    expect_csv_error("model,ms\n\"abpn,3\n", "line 2: a quoted field is not closed");
    expect_csv_error("model,ms\n,3\n", "line 2: the model is empty");
    expect_csv_error("model,ms,count\na,1,1.5\n", "line 2: count '1.5' is not a count");
}

/* ---- vsr_device_import: into the run log's device_timings (schema v11) ---- */

struct tmp {
    char dir[256], db[300], log[300], csv[300];
};

static int setup(void **state)
{
    struct tmp *t = vsr_test_tmp_new(sizeof(*t)); /* t->dir first: the folder */
    if (!t)
        return -1;
    snprintf(t->db, sizeof(t->db), "%s/runs.db", t->dir);
    snprintf(t->log, sizeof(t->log), "%s/abpn.log", t->dir);
    snprintf(t->csv, sizeof(t->csv), "%s/aib.csv", t->dir);
    *state = t;
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* A run log with two finished ABPN runs (int8 and fp32). */
static vsr_runlog *runlog_with_runs(const char *path)
{
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    if (vsr_runlog_open(&log, path, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(
        sqlite3_exec(
            vsr_runlog_sqlite(log),
            "INSERT INTO sweeps (name, config_text, config_hash) VALUES ('s', 'x', 'h');"
            "INSERT INTO runs (id, sweep_id, run_key, config_hash, model, variant,"
            " precision, dataset, degradation, scale, tile, pad, threads, status)"
            " VALUES (1, 1, 'a', 'ha', 'ABPN', 'base', 'int8', 'demo', 'bi', 4, 0, 0,"
            " 1, 'ok'), (2, 1, 'b', 'hb', 'ABPN', 'base', 'fp32', 'demo', 'bi', 4, 0,"
            " 0, 1, 'ok');",
            NULL, NULL, NULL),
        SQLITE_OK);
    return log;
}

static const char abpn_log[] =
    "INFO: Graph: [/data/local/tmp/ABPN_int8.tflite]\n"
    "INFO: Num threads: [4]\n"
    "INFO: count=50 first=30533 curr=29050 min=28719 max=31042 avg=29376.4 std=515\n"
    "INFO: Inference timings in us: Init: 15123, First inference: 40321, Warmup (avg): 31000, "
    "Inference (avg): 29376.4\n";

/* The model and precision come from the graph's name; every figure is the
 * log's in us / 1000; a second import of the same bytes adds nothing. */
static void test_import_log(void **state)
{
    struct tmp *t = *state;
    vsr_runlog *log = runlog_with_runs(t->db);
    sqlite3 *db = vsr_runlog_sqlite(log);
    write_text(t->log, abpn_log);
    vsr_device_import_opts o = {.device = "OnePlus 7T", .backend = "TFLite CPU"};
    vsr_device_import_stats s;
    vsr_error err = {0};
    if (vsr_device_import(log, t->log, &o, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.records, 1);
    assert_int_equal(s.added, 1);
    assert_int_equal(s.duplicate, 0);
    assert_int_equal(s.runs, 1); /* run 1: ABPN int8 */
    assert_int_equal(strlen(s.sha256), 64);
    assert_int_equal(
        vsr_test_q_int(db, "SELECT count(*) FROM device_timings WHERE device = 'OnePlus 7T' AND"
                           " backend = 'TFLite CPU' AND model = 'ABPN' AND precision = 'int8'"
                           " AND threads = 4 AND count = 50 AND mean_ms = 29.3764 AND"
                           " std_ms = 0.515 AND min_ms = 28.719 AND max_ms = 31.042 AND"
                           " init_ms = 15.123 AND first_ms = 40.321 AND warmup_ms = 31 AND"
                           " median_ms IS NULL AND source_line = 4"),
        1);
    assert_int_equal(vsr_test_q_int(db, "SELECT run_id FROM run_device_timings"), 1);
    /* again, even under other names: the same file is not stored twice */
    o.device = "Pixel 4";
    if (vsr_device_import(log, t->log, &o, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.added, 0);
    assert_int_equal(s.duplicate, 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM device_timings"), 1);
    vsr_runlog_close(&log);
}

/* A record that lacks a name adds nothing, and says which option gives it. */
static void test_import_errors(void **state)
{
    struct tmp *t = *state;
    vsr_runlog *log = runlog_with_runs(t->db);
    vsr_error err = {0};
    write_text(t->log, abpn_log);
    vsr_device_import_opts o = {0};
    assert_int_equal(vsr_device_import(log, t->log, &o, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "line 4: no device name: pass --device NAME"));
    o.device = "OnePlus 7T";
    o.precision = "int4";
    assert_int_equal(vsr_device_import(log, t->log, &o, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "precision 'int4' is not one of fp32, fp16, int8"));
    /* a graph name without a precision in it */
    write_text(t->log, "Graph: [model.tflite]\nInference timings in us: Init: 1, First "
                       "inference: 2, Warmup (avg): 3, Inference (avg): 4\n");
    o.precision = NULL;
    assert_int_equal(vsr_device_import(log, t->log, &o, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "line 2: no model name"));
    /* and a CSV row without a precision: nothing of the file is kept */
    write_text(t->csv, "model,ms,precision\nABPN,7,fp16\nABPN,9,\n");
    assert_int_equal(vsr_device_import(log, t->csv, &o, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "line 3: no precision for model 'ABPN'"));
    assert_int_equal(
        vsr_test_q_int(vsr_runlog_sqlite(log), "SELECT count(*) FROM device_timings"), 0);
    vsr_runlog_close(&log);
}

/* The CSV's own device, precision and variant columns. */
static void test_import_csv(void **state)
{
    struct tmp *t = *state;
    vsr_runlog *log = runlog_with_runs(t->db);
    write_text(t->csv, "model,ms,device,precision,variant\n"
                       "ABPN,35.5,OnePlus 7T,fp32,\n"
                       "abpn,12.25,Pixel 4,INT8,base\n"
                       "ABPN,1,Pixel 4,int8,other\n");
    vsr_device_import_stats s;
    vsr_error err = {0};
    if (vsr_device_import(log, t->csv, NULL, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.added, 3);
    assert_int_equal(s.runs, 2);
    sqlite3 *db = vsr_runlog_sqlite(log);
    /* run 2 (fp32) gets the OnePlus figure, run 1 (int8, base) the Pixel's of
     * variant base, not the one of variant 'other' */
    assert_int_equal(vsr_test_q_int(db, "SELECT mean_ms * 100 FROM run_device_timings"
                                        " WHERE run_id = 2 AND device = 'OnePlus 7T'"),
                     3550);
    assert_int_equal(vsr_test_q_int(db, "SELECT group_concat(mean_ms * 100) FROM"
                                        " run_device_timings WHERE run_id = 1"),
                     1225);
    vsr_runlog_close(&log);
}

/* A merge carries the phone timings: each (file, line) once, whichever
 * inputs had it. */
static void test_import_merge(void **state)
{
    struct tmp *t = *state;
    char a[320], b[320], out[320];
    snprintf(a, sizeof(a), "%s/a.db", t->dir);
    snprintf(b, sizeof(b), "%s/b.db", t->dir);
    snprintf(out, sizeof(out), "%s/out.db", t->dir);
    write_text(t->log, abpn_log);
    write_text(t->csv, "model,ms,device,precision\nABPN,35.5,Pixel 4,fp32\n");
    vsr_device_import_opts o = {.device = "OnePlus 7T"};
    vsr_error err = {0};
    vsr_runlog *log = runlog_with_runs(a);
    if (vsr_device_import(log, t->log, &o, NULL, &err))
        fail_msg("%s", err.msg);
    vsr_runlog_close(&log);
    log = runlog_with_runs(b);
    if (vsr_device_import(log, t->log, &o, NULL, &err) ||
        vsr_device_import(log, t->csv, NULL, NULL, &err))
        fail_msg("%s", err.msg);
    vsr_runlog_close(&log);
    const char *in[] = {a, b};
    for (int pass = 0; pass < 2; pass++)
        if (vsr_runlog_merge(out, in, 2, NULL, NULL, NULL, &err))
            fail_msg("%s", err.msg);
    if (vsr_runlog_open(&log, out, &err))
        fail_msg("%s", err.msg);
    sqlite3 *db = vsr_runlog_sqlite(log);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM device_timings"), 2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM device_timings WHERE"
                                        " device = 'OnePlus 7T' AND mean_ms = 29.3764"),
                     1);
    vsr_runlog_close(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_two_phases),
        cmocka_unit_test(test_log_prefixed_concatenated),
        cmocka_unit_test(test_log_errors),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test_setup_teardown(test_import_log, setup, vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_import_errors, setup, vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_import_csv, setup, vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_import_merge, setup, vsr_test_tmp_free),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
