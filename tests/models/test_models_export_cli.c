/*
 * vsrbench export (issue 18) end to end: ABPN with seeded random weights
 * (a .vsrw) exported as ONNX and as TFLite at 24x32, read back by
 * vsrbench's importers and run in FP32 beside the zoo graph with the same
 * weights: bit-exact (each exported node maps back to the same engine op).
 * --bundle: the file's copy is byte-identical, manifest.json names the
 * model, format, precision, input shape and the exact command, and its
 * hashes equal those of coreutils' sha256sum (an independent SHA-256);
 * benchmark.sh is executable and names the file. Bad input gets one line on
 * stderr: an unknown format, int8 without calibration frames and an unknown
 * model exit 2, an -o that cannot be written exits 1; no file is left.
 * --precision int8 --calib DIR: the TFLite file, imported with its own
 * quantization, runs INT8 (requant tflite) to the same bytes as the zoo
 * graph calibrated by hand on the same frames (vsr_models_calibrate).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_harness.h"
#include "testutil.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"

enum { H = 24, W = 32 };

/* ABPN at H x W with random weights (seed 5), saved to DIR/abpn.vsrw. */
static vsr_graph *abpn(const struct vsr_cli_tmp *t, char *wpath, size_t cap)
{
    const vsr_models_entry *e = vsr_models_zoo_find("ABPN");
    vsr_graph *g = NULL;
    vsr_error err = {0};
    snprintf(wpath, cap, "%s/abpn.vsrw", t->dir);
    assert_non_null(e);
    if (vsr_models_build(&e->hp, e->name, H, W, &g, &err) ||
        vsr_models_random_weights(g, 5, &err) || vsr_weights_save(g, wpath, &err))
        fail_msg("%s", err.msg);
    return g;
}

/* output of @p g at @p prec (options @p o) on a pseudo-random H x W x 3 input (0..255)
 * from the LCG seeded with @p seed; *n values. */
static float *run_prec(const vsr_graph *g, vsr_precision prec, const vsr_engine_options *o,
                       uint32_t seed, size_t *n)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    float in[H * W * 3];
    uint32_t s = seed;
    for (int i = 0; i < H * W * 3; i++) {
        s = s * 1664525u + 1013904223u;
        in[i] = (float)(s >> 24);
    }
    int oh, ow, oc;
    if (vsr_engine_create(g, prec, NULL, o, &e, &err) ||
        vsr_engine_set_input(e, 0, in, H, W, 3, &err) || vsr_engine_run(e, &err) ||
        vsr_engine_output_shape(e, 0, &oh, &ow, &oc))
        fail_msg("%s", err.msg);
    *n = (size_t)oh * ow * oc;
    float *out = malloc(*n * sizeof(float));
    assert_non_null(out);
    assert_int_equal(vsr_engine_get_output(e, 0, out, *n, &err), 0);
    vsr_engine_free(&e);
    return out;
}

/* FP32 output of @p g on a fixed pseudo-random H x W x 3 input (0..255). */
static float *run(const vsr_graph *g, size_t *n)
{
    return run_prec(g, VSR_PREC_FP32, NULL, 12345, n);
}

/* sha256sum's digest of @p path. */
static void sha256sum(const char *path, char hex[65])
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(hex, 65, p));
    pclose(p);
    assert_int_equal(strlen(hex), 64);
}

static int same_file(const char *a, const char *b)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void export_one(struct vsr_cli_tmp *t, const vsr_graph *g, const char *wpath, int onnx)
{
    const char *fmt = onnx ? "onnx" : "tflite";
    char out[400], bundle[400], size[16];
    snprintf(out, sizeof(out), "%s/abpn.%s", t->dir, fmt);
    snprintf(bundle, sizeof(bundle), "%s/bundle_%s", t->dir, fmt);
    snprintf(size, sizeof(size), "%dx%d", H, W);
    const char *args[] = {"export",   "ABPN",         "--weights", wpath, "--format",
                          fmt,        "--input-size", size,        "-o",  out,
                          "--bundle", bundle,         NULL};
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 0);

    /* read back and run: the same floats as the zoo graph */
    vsr_graph *back = NULL;
    vsr_error err = {0};
    if (onnx) {
        vsr_models_onnx *m = NULL;
        vsr_models_onnx_import opt = {H, W};
        if (vsr_models_onnx_read(out, &m, &err) ||
            vsr_models_import_onnx(m, "back", &opt, &back, &err))
            fail_msg("%s", err.msg);
        vsr_models_onnx_free(&m);
    } else {
        vsr_models_tflite m;
        vsr_models_tflite_import opt = {H, W, 0};
        if (vsr_models_tflite_read(out, &m, &err))
            fail_msg("%s", err.msg);
        int rc = vsr_models_import_tflite(&m, "back", &opt, &back, &err);
        vsr_models_tflite_free(&m);
        if (rc)
            fail_msg("%s", err.msg);
    }
    size_t na, nb, diff = 0;
    float *a = run(g, &na), *b = run(back, &nb);
    assert_int_equal(na, nb);
    float maxv = 0;
    for (size_t i = 0; i < na; i++) {
        diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
        maxv = a[i] > maxv ? a[i] : maxv;
    }
    print_message("ABPN %s via vsrbench export: %zu outputs, %zu differ\n", fmt, na, diff);
    assert_true(maxv > 1.0f);
    assert_int_equal(diff, 0);
    free(a);
    free(b);
    vsr_graph_free(&back);

    /* the bundle */
    char copy[500], man[500], sh[500], hex[65];
    snprintf(copy, sizeof(copy), "%s/abpn.%s", bundle, fmt);
    snprintf(man, sizeof(man), "%s/manifest.json", bundle);
    snprintf(sh, sizeof(sh), "%s/benchmark.sh", bundle);
    assert_true(same_file(copy, out));
    json_error_t je;
    json_t *doc = json_load_file(man, 0, &je);
    if (!doc)
        fail_msg("%s: %s", man, je.text);
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "ABPN");
    assert_string_equal(json_string_value(json_object_get(doc, "format")), fmt);
    assert_string_equal(json_string_value(json_object_get(doc, "precision")), "fp32");
    sha256sum(wpath, hex);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "weights"), "sha256")), hex);
    sha256sum(out, hex);
    json_t *file = json_object_get(doc, "file");
    assert_string_equal(json_string_value(json_object_get(file, "sha256")), hex);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(json_integer_value(json_object_get(file, "bytes")), st.st_size);
    /* input shape in the file's layout */
    json_t *shape = json_object_get(json_array_get(json_object_get(doc, "inputs"), 0), "shape");
    const int want[2][4] = {{1, H, W, 3}, {1, 3, H, W}};
    assert_int_equal(json_array_size(shape), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_array_get(shape, (size_t)i)), want[onnx][i]);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "hyperparameters"), "scale")),
        "4");
    char cmd[2000];
    snprintf(cmd, sizeof(cmd),
             "vsrbench export ABPN --weights %s --format %s --input-size %s -o %s --bundle %s",
             wpath, fmt, size, out, bundle);
    assert_string_equal(json_string_value(json_object_get(doc, "command")), cmd);
    json_decref(doc);
    assert_int_equal(access(sh, X_OK), 0);
    char *txt = vsr_test_slurp(sh);
    assert_non_null(txt);
    assert_non_null(strstr(txt, onnx ? "onnxruntime_perf_test -m times"
                                     : "--graph=/data/local/tmp/abpn.tflite"));
    free(txt);
}

static void test_export_abpn(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char wpath[400];
    vsr_graph *g = abpn(t, wpath, sizeof(wpath));
    export_one(t, g, wpath, 1);
    export_one(t, g, wpath, 0);
    vsr_graph_free(&g);
}

/* One run that must fail with exit @p code and one stderr line holding @p needle. */
static void bad(struct vsr_cli_tmp *t, const char *const *args, int code, const char *needle)
{
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), code);
    char *msg = vsr_test_slurp(t->err);
    assert_non_null(msg);
    size_t len = strlen(msg);
    assert_true(len > 0 && msg[len - 1] == '\n');
    msg[len - 1] = '\0';
    VSR_ASSERT_ONE_LINE(msg, needle);
    free(msg);
}

static void test_export_bad(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char wpath[400], out[400], notdir[500];
    vsr_graph *g = abpn(t, wpath, sizeof(wpath));
    vsr_graph_free(&g);
    snprintf(out, sizeof(out), "%s/never.onnx", t->dir);
    const char *fmt[] = {"export", "ABPN", "--weights", wpath, "--format",
                         "pb",     "-o",   out,         NULL};
    bad(t, fmt, 2, "--format pb: expected onnx or tflite");
    const char *int8[] = {"export",      "ABPN", "--weights", wpath, "--format", "onnx",
                          "--precision", "int8", "-o",        out,   NULL};
    bad(t, int8, 2, "--precision int8 needs frames to calibrate on");
    const char *model[] = {"export", "NoSuchNet", "--weights", wpath, "--format",
                           "onnx",   "-o",        out,         NULL};
    bad(t, model, 2, "NoSuchNet");
    assert_int_equal(access(out, F_OK), -1);
    /* -o below a regular file: the write fails (ENOTDIR), a runtime failure */
    FILE *f = fopen(t->cfg, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(notdir, sizeof(notdir), "%s/x.tflite", t->cfg);
    const char *unw[] = {"export",       "ABPN",  "--weights", wpath,  "--format", "tflite",
                         "--input-size", "16x16", "-o",        notdir, NULL};
    bad(t, unw, 1, notdir);
}

/* INT8 output (requant tflite) of @p g on a pseudo-random input (seed 777); *n values. */
static float *run_int8(const vsr_graph *g, size_t *n)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.requant = VSR_REQUANT_TFLITE;
    return run_prec(g, VSR_PREC_INT8, &o, 777, n);
}

static void test_export_int8(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char wpath[400], out[400], cal[600];
    vsr_graph *g = abpn(t, wpath, sizeof(wpath));
    vsr_test_ref(cal, sizeof(cal), "metric_samples/LRx4");
    snprintf(out, sizeof(out), "%s/abpn_int8.tflite", t->dir);
    const char *args[] = {
        "export",         "ABPN", "--weights",    wpath,   "--format", "tflite",
        "--precision",    "int8", "--input-size", "24x32", "--calib",  cal,
        "--calib-frames", "1",    "-o",           out,     NULL};
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 0);
    /* by hand: the folder's first frame (its two differ in size), min/max calibration */
    vsr_error err = {0};
    vsr_source *src = NULL;
    vsr_frame fr[1];
    memset(fr, 0, sizeof(fr)); /* vsr_source_read: zeroed or owned */
    assert_int_equal(vsr_source_open(cal, 3, &src, &err), 0);
    assert_int_equal(vsr_source_read(src, &fr[0], &err), 1);
    vsr_source_close(&src);
    const vsr_models_entry *e = vsr_models_zoo_find("ABPN");
    if (vsr_models_calibrate(g, NULL, e->temporal, e->in_channels, e->state_channels, e->name,
                             "minmax", 1, fr, 1, &err))
        fail_msg("%s", err.msg);
    vsr_frame_free(&fr[0]);
    vsr_models_tflite m = {0};
    vsr_graph *back = NULL;
    vsr_models_tflite_import opt = {H, W, 1};
    if (vsr_models_tflite_read(out, &m, &err) ||
        vsr_models_import_tflite(&m, "back", &opt, &back, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(vsr_graph_quant_missing(back), -1); /* every tensor from the file */
    size_t na, nb;
    float *a = run_int8(g, &na), *b = run_int8(back, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof(float));
    free(a), free(b);
    vsr_graph_free(&back);
    vsr_models_tflite_free(&m);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_abpn, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_export_bad, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_export_int8, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
