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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_two_phases), cmocka_unit_test(test_log_prefixed_concatenated),
        cmocka_unit_test(test_log_errors),     cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_errors),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
