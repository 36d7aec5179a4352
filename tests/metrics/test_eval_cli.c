/*
 * End-to-end: build/vsrbench eval on a folder of three frames (the reference
 * sample GT/coffee.png of tests/reference, linked three times into a
 * temporary folder) against itself: PSNR inf, SSIM 1, exit 0; NIQE with the
 * built-in model equals VALUES.md; a missing partner and a missing NIQE model
 * file fail naming the file.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#define SAMPLE "metric_samples/GT/coffee.png"

static char tmp[512];

static const char *vsrbench(void)
{
    static char path[1024];
    const char *dir = getenv("VSR_BINARY_DIR");
    snprintf(path, sizeof(path), "%s/vsrbench", dir ? dir : ".");
    return path;
}

/* Run a shell command, return its exit status; stdout/stderr to files in tmp. */
static int run(const char *args)
{
    char cmd[4096];
    int n = snprintf(cmd, sizeof(cmd), "'%s' eval %s >'%s/out.txt' 2>'%s/err.txt'", vsrbench(),
                     args, tmp, tmp);
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *slurp(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    char cal[1024], cmd[16384];
    vsr_test_ref(cal, sizeof(cal), SAMPLE);
    assert_non_null(vsr_test_tmpdir(tmp, sizeof(tmp)));
    /* 3 frames in gt/, the same 3 in sr/, 2 of them in part/ */
    snprintf(cmd, sizeof(cmd),
             "mkdir '%s/gt' '%s/sr' '%s/part' && for f in 00000000 00000001 00000002; do "
             "ln -s '%s' '%s/gt/'$f.png && ln -s '%s' '%s/sr/'$f.png; done && "
             "ln -s '%s' '%s/part/00000000.png' && ln -s '%s' '%s/part/00000002.png'",
             tmp, tmp, tmp, cal, tmp, cal, tmp, cal, tmp, cal, tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (tmp[0]) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        assert_int_equal(system(cmd), 0);
    }
    return 0;
}

static void test_self_inf_and_one(void **state)
{
    (void)state;
    char args[2048];
    snprintf(args, sizeof(args), "--gt '%s/gt' --sr '%s/sr' --format json --threads 2", tmp,
             tmp);
    assert_int_equal(run(args), 0);
    /* parsed back with Jansson: VMAF's layout, inf as the string "inf" */
    json_error_t je;
    json_t *doc = json_loads(slurp("out.txt"), 0, &je);
    assert_non_null(doc);
    json_t *frames = json_object_get(doc, "frames");
    assert_int_equal(json_array_size(frames), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *f = json_array_get(frames, i);
        assert_int_equal(json_integer_value(json_object_get(f, "frameNum")), (json_int_t)i);
        json_t *m = json_object_get(f, "metrics");
        assert_string_equal(json_string_value(json_object_get(m, "psnr")), "inf");
        assert_true(json_real_value(json_object_get(m, "ssim")) == 1.0);
        assert_non_null(json_string_value(json_object_get(f, "name")));
    }
    json_t *pp = json_object_get(json_object_get(doc, "pooled_metrics"), "psnr");
    assert_string_equal(json_string_value(json_object_get(pp, "mean")), "inf");
    assert_int_equal(json_integer_value(json_object_get(pp, "n_inf")), 3);
    assert_int_equal(json_integer_value(json_object_get(pp, "n")), 0);
    json_t *ps = json_object_get(json_object_get(doc, "pooled_metrics"), "ssim");
    assert_true(json_real_value(json_object_get(ps, "min")) == 1.0);
    assert_true(json_real_value(json_object_get(ps, "mean")) == 1.0);
    assert_int_equal(json_integer_value(json_object_get(ps, "n")), 3);
    json_decref(doc);
    const char *out;
    assert_non_null(strstr(slurp("err.txt"), "excluded from the mean"));
    /* Y channel, crop 8, table */
    snprintf(args, sizeof(args), "--gt '%s/gt' --sr '%s/sr' --y --crop-border 8 --threads 1",
             tmp, tmp);
    assert_int_equal(run(args), 0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "psnr_y"));
    assert_int_equal(count(out, "inf"), 4);
    assert_int_equal(count(out, "1.000000"), 4);
}

/* --metrics names any registered metric: psnr,ssim is the default's output byte
 * for byte, niqe alone that of --niqe; unknown names and a full-reference metric
 * without --gt are usage errors. */
static void test_metrics_by_name(void **state)
{
    (void)state;
    char args[2048];
    static char want[1 << 16];
    snprintf(args, sizeof(args), "--gt '%s/part' --sr '%s/part' --crop-border 4", tmp, tmp);
    assert_int_equal(run(args), 0);
    snprintf(want, sizeof(want), "%s", slurp("out.txt"));
    snprintf(args, sizeof(args),
             "--gt '%s/part' --sr '%s/part' --crop-border 4 --metrics psnr,ssim", tmp, tmp);
    assert_int_equal(run(args), 0);
    assert_string_equal(slurp("out.txt"), want);
    snprintf(args, sizeof(args), "--sr '%s/part' --niqe --format csv", tmp);
    assert_int_equal(run(args), 0);
    snprintf(want, sizeof(want), "%s", slurp("out.txt"));
    snprintf(args, sizeof(args), "--sr '%s/part' --metrics niqe --format csv", tmp);
    assert_int_equal(run(args), 0);
    assert_string_equal(slurp("out.txt"), want);
    snprintf(args, sizeof(args), "--gt '%s/part' --sr '%s/part' --metrics psnr,psrn", tmp, tmp);
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(slurp("err.txt"), "unknown metric 'psrn' (did you mean 'psnr'?)"));
    snprintf(args, sizeof(args), "--sr '%s/part' --metrics ssim", tmp);
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(slurp("err.txt"), "--metrics ssim compares with a reference"));
}

/* NIQE with no flag and no environment variable: the built-in pristine model
 * gives VALUES.md's BasicSR value for GT/coffee.png, crop 0 (4.115242, within
 * the 1e-3 VALUES.md allows), on each of the three linked frames. */
static void test_niqe_builtin_model(void **state)
{
    (void)state;
    char args[2048];
    const char *saved = getenv("VSR_NIQE_MODEL");
    assert_true(saved == NULL || *saved == '\0');
    snprintf(args, sizeof(args), "--sr '%s/sr' --niqe --format json", tmp);
    assert_int_equal(run(args), 0);
    json_error_t je;
    json_t *doc = json_loads(slurp("out.txt"), 0, &je);
    assert_non_null(doc);
    json_t *pooled = json_object_get(json_object_get(doc, "pooled_metrics"), "niqe");
    assert_true(fabs(json_real_value(json_object_get(pooled, "mean")) - 4.115242) <= 1e-3);
    json_t *frames = json_object_get(doc, "frames");
    assert_int_equal(json_array_size(frames), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *m = json_object_get(json_array_get(frames, i), "metrics");
        assert_true(fabs(json_real_value(json_object_get(m, "niqe")) - 4.115242) <= 1e-3);
    }
    json_decref(doc);
}

static void test_errors(void **state)
{
    (void)state;
    char args[2048];
    snprintf(args, sizeof(args), "--gt '%s/gt' --sr '%s/part'", tmp, tmp);
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(slurp("err.txt"), "00000001.png has no partner"));
    snprintf(args, sizeof(args), "--sr '%s/sr' --niqe-model /nonexistent/pris.txt", tmp);
    assert_int_equal(run(args), 1);
    const char *e = slurp("err.txt");
    assert_non_null(strstr(e, "/nonexistent/pris.txt"));
    assert_non_null(strstr(e, "--niqe-model"));
    assert_int_equal(run("--gt a.png"), 2);              /* --sr missing */
    assert_int_equal(run("--sr a.png --format xml"), 2); /* bad format */
    assert_int_equal(run("--help"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_inf_and_one),
        cmocka_unit_test(test_metrics_by_name),
        cmocka_unit_test(test_niqe_builtin_model),
        cmocka_unit_test(test_errors),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
