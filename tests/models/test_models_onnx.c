/*
 * ONNX import (issue 18): the fixtures in tests/reference/onnx/ were made by
 * tests/models/make_onnx_fixtures.py with torch.onnx.export (versions in
 * PROVENANCE.txt); each NAME.out.npy is PyTorch's own FP32 output on
 * NAME.in.npy. vsrbench imports NAME.onnx, runs it in FP32 and must agree
 * within float rounding: max |vsrbench - PyTorch| <= 2e-6 x max(1, max
 * |PyTorch|), about 16 float32 ulps of the output's magnitude (the two sum
 * each conv's products in different orders, so exact equality is not
 * expected; the observed maxima are 1e-7..3e-7 for O(1) outputs, 1.1e-4 for
 * the 0..255 ELSR). Crafted bad files must give one-line errors
 * naming the tensor or node, and the CLI exit 2.
 */
#include <errno.h>
#include <math.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "testutil.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"

#define TOL 2e-6f

/* NCHW (batch 1) float array of a .npy as HWC; *c, *h, *w its shape. */
static float *npy_hwc(const char *rel, int *c, int *h, int *w)
{
    char path[1024];
    vsr_models_npy a = {0};
    vsr_error err = {0};
    float *f = NULL;
    vsr_test_ref(path, sizeof(path), rel);
    if (vsr_models_npy_read(path, &a, &err) || vsr_models_npy_to_f32(&a, &f, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(a.ndim, 4);
    assert_int_equal(a.shape[0], 1);
    *c = (int)a.shape[1], *h = (int)a.shape[2], *w = (int)a.shape[3];
    float *out = malloc(a.count * sizeof(float));
    assert_non_null(out);
    for (int ch = 0; ch < *c; ch++)
        for (int y = 0; y < *h; y++)
            for (int x = 0; x < *w; x++)
                out[((size_t)y * *w + x) * *c + ch] = f[((size_t)ch * *h + y) * *w + x];
    free(f);
    vsr_models_npy_free(&a);
    return out;
}

/* Import onnx/NAME.onnx, run it on NAME.in.npy, compare with NAME.out.npy.
 * With @p zoo, run that zoo graph instead, with the file's weights moved onto
 * it by order (what a run config's weights: {onnx: FILE} does). */
static void check_fixture(const char *name, int expect_op, const char *zoo)
{
    char rel[128], path[1024];
    int c, h, w, oc, oh, ow;
    snprintf(rel, sizeof(rel), "onnx/%s.in.npy", name);
    float *in = npy_hwc(rel, &c, &h, &w);
    snprintf(rel, sizeof(rel), "onnx/%s.out.npy", name);
    float *ref = npy_hwc(rel, &oc, &oh, &ow);
    snprintf(rel, sizeof(rel), "onnx/%s.onnx", name);
    vsr_test_ref(path, sizeof(path), rel);

    vsr_models_onnx *m = NULL;
    vsr_graph *g = NULL;
    vsr_engine *e = NULL;
    vsr_error err = {0};
    vsr_models_onnx_import opt = {h, w};
    if (vsr_models_onnx_read(path, &m, &err) || vsr_models_import_onnx(m, name, &opt, &g, &err))
        fail_msg("%s", err.msg);
    if (zoo) {
        const vsr_models_entry *ze = vsr_models_zoo_find(zoo);
        vsr_graph *src = g;
        g = NULL;
        assert_non_null(ze);
        if (vsr_models_build(&ze->hp, ze->name, h, w, &g, &err) ||
            vsr_models_copy_weights_by_order(src, g, &err))
            fail_msg("%s", err.msg);
        vsr_graph_free(&src);
    }
    /* the op the fixture is about made it into the graph */
    int found = 0;
    for (int i = 0; i < vsr_graph_layer_count(g); i++) {
        vsr_layer_info li;
        assert_int_equal(vsr_graph_layer_info(g, i, 0, 0, &li, &err), 0);
        found |= (int)li.op == expect_op;
    }
    assert_true(found);
    if (vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err) ||
        vsr_engine_set_input(e, 0, in, h, w, c, &err) || vsr_engine_run(e, &err))
        fail_msg("%s", err.msg);
    int eh, ew, ec;
    assert_int_equal(vsr_engine_output_shape(e, 0, &eh, &ew, &ec), 0);
    assert_int_equal(eh, oh);
    assert_int_equal(ew, ow);
    assert_int_equal(ec, oc);
    size_t n = (size_t)oh * ow * oc;
    float *out = malloc(n * sizeof(float));
    assert_non_null(out);
    assert_int_equal(vsr_engine_get_output(e, 0, out, n, &err), 0);
    float maxd = 0, maxv = 0;
    for (size_t i = 0; i < n; i++) {
        maxd = fmaxf(maxd, fabsf(out[i] - ref[i]));
        maxv = fmaxf(maxv, fabsf(ref[i]));
    }
    print_message("%s: %dx%dx%d, max |vsrbench - PyTorch| = %.3g (max |out| %.3g)\n", name, oh,
                  ow, oc, (double)maxd, (double)maxv);
    assert_true(maxv > 0.01f); /* a real signal, not zeros */
    assert_true(maxd <= TOL * fmaxf(1.0f, maxv));
    free(out);
    free(in);
    free(ref);
    vsr_engine_free(&e);
    vsr_graph_free(&g);
    vsr_models_onnx_free(&m);
}

/* conv-relu-conv-DepthToSpace(CRD) x4 + bilinear (pytorch_half_pixel) residual */
static void test_onnx_sr_net(void **state)
{
    (void)state;
    check_fixture("sr_net", VSR_OP_RESIZE_BILINEAR, NULL);
}

/* depthwise (group 8, dilation 2) conv, 1x1 conv, nearest (asymmetric, floor) x2 */
static void test_onnx_depthwise(void **state)
{
    (void)state;
    check_fixture("depthwise", VSR_OP_RESIZE_NEAREST, NULL);
}

/* per-channel and shared PReLU, relu6 and clamp (Clip), scalar Mul / Sub */
static void test_onnx_prelu_clip(void **state)
{
    (void)state;
    check_fixture("prelu_clip", VSR_OP_PRELU, NULL);
}

/* Split, channel Slice, Concat, F.pad (its folded shape arithmetic) into a conv */
static void test_onnx_concat_split(void **state)
{
    (void)state;
    check_fixture("concat_split", VSR_OP_CONCAT, NULL);
}

/* Reshape -> Transpose -> Reshape pixel shuffles, CRD then DCR */
static void test_onnx_reshape_shuffle(void **state)
{
    (void)state;
    check_fixture("reshape_shuffle", VSR_OP_CHANNEL_SHUFFLE, NULL);
}

/* The zoo's ELSR written in PyTorch (PixelShuffle: DepthToSpace CRD, folded
 * into conv_last's output channels): imported alone, and as weights moved
 * onto the zoo's ELSR graph (DCR), both give PyTorch's output. */
static void test_onnx_elsr_zoo(void **state)
{
    (void)state;
    check_fixture("elsr_torch", VSR_OP_PRELU, NULL);
    check_fixture("elsr_torch", VSR_OP_DEPTH_TO_SPACE, "ELSR");
}

/* Read + import a bad fixture: the code, a phrase, the name, one line. */
static void check_bad(const char *file, int code, const char *phrase, const char *names)
{
    char rel[128], path[1024];
    snprintf(rel, sizeof(rel), "onnx/%s", file);
    vsr_test_ref(path, sizeof(path), rel);
    vsr_models_onnx *m = NULL;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    vsr_models_onnx_import opt = {8, 8};
    int rc = vsr_models_onnx_read(path, &m, &err);
    if (!rc)
        rc = vsr_models_import_onnx(m, "bad", &opt, &g, &err);
    print_message("%s: %s\n", file, err.msg);
    assert_int_equal(rc, code);
    assert_null(g);
    assert_non_null(strstr(err.msg, phrase));
    assert_non_null(strstr(err.msg, names));
    assert_non_null(strstr(err.msg, file));
    assert_null(strchr(err.msg, '\n'));
    vsr_models_onnx_free(&m);
}

static void test_onnx_bad_files(void **state)
{
    (void)state;
    check_bad("bad_dims_overflow.onnx", -EINVAL, "multiply past", "'w'");
    check_bad("bad_raw_size.onnx", -EINVAL, "100 bytes of raw_data", "need 324");
    check_bad("bad_external.onnx", -ENOTSUP, "external file", "'w'");
    check_bad("bad_truncated.onnx", -EINVAL, "protobuf decoding failed", "not an ONNX");
    check_bad("bad_unknown_op.onnx", -ENOTSUP, "op type Sin is not supported", "'/Sin'");
    check_bad("bad_grouped.onnx", -ENOTSUP, "grouped convolution (group 2", "'/g/Conv'");
    check_bad("bad_dangling.onnx", -EINVAL, "input 'nothing'", "'relu0' (Relu)");
}

/* Bytes that are not protobuf, and an empty buffer (a valid, empty ModelProto). */
static void test_onnx_garbage(void **state)
{
    (void)state;
    vsr_models_onnx *m = NULL;
    vsr_error err = {0};
    static const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(vsr_models_onnx_parse(junk, sizeof(junk), "junk.onnx", &m, &err), -EINVAL);
    assert_null(m);
    assert_int_equal(vsr_models_onnx_parse(junk, 0, "empty.onnx", &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "no graph"));
}

/* CLI: --onnx prints the table; a bad file is one line on stderr and exit 2,
 * from `models --onnx`, `models --import NAME --onnx` and a run config's
 * weights: {onnx: FILE}. */
static void test_onnx_cli(void **state)
{
    (void)state;
    char dir[256], out[320], errp[320], cfg[320], vsrw[320], good[1024], bad[1024];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    snprintf(errp, sizeof(errp), "%s/err.txt", dir);
    snprintf(cfg, sizeof(cfg), "%s/c.yaml", dir);
    snprintf(vsrw, sizeof(vsrw), "%s/o.vsrw", dir);
    vsr_test_ref(good, sizeof(good), "onnx/sr_net.onnx");
    vsr_test_ref(bad, sizeof(bad), "onnx/bad_grouped.onnx");

    const char *show[] = {"models", "--onnx", good, "--size", "8x8", NULL};
    assert_int_equal(vsr_test_vsrbench(show, out, errp, NULL), 0);
    char *o = vsr_test_slurp(out);
    assert_non_null(o);
    assert_non_null(strstr(o, "depth_to_space"));
    assert_non_null(strstr(o, "3728")); /* params: 3*8*9+8 + 8*48*9+48 */
    free(o);

    const char *cmds[3][9] = {
        {"models", "--onnx", bad, NULL},
        {"models", "--import", "ABPN", "--onnx", bad, "-o", vsrw, NULL},
        {"run", cfg, "--db", out, "--dry-run", NULL},
    };
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: onnx\n"
            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
            "models: [{name: ABPN, weights: {onnx: %s}}]\n",
            bad);
    fclose(f);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vsr_test_vsrbench(cmds[i], out, errp, NULL), 2);
        vsr_test_err_one_line(errp, "grouped convolution", "bad_grouped.onnx");
    }
    /* a good file: the dry run reads and translates it, exit 0 */
    char elsr[1024];
    vsr_test_ref(elsr, sizeof(elsr), "onnx/elsr_torch.onnx");
    f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: onnx\n"
            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
            "models: [{name: ELSR, weights: {onnx: %s}}]\n",
            elsr);
    fclose(f);
    assert_int_equal(vsr_test_vsrbench(cmds[2], out, errp, NULL), 0);
    vsr_test_rmtree(dir);
}

/* HWC floats (whole values 0..255 or any float) as an 8-bit frame:
 * round(clamp(v, 0, 255)), the engine's vsr_engine_get_output_frame() rule. */
static void to_frame(const float *hwc, int h, int w, vsr_frame *f)
{
    vsr_error err = {0};
    if (vsr_frame_alloc(f, w, h, 3, &err))
        fail_msg("%s", err.msg);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * 3; x++) {
            float v = hwc[(size_t)y * w * 3 + x];
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            f->data[(size_t)y * f->stride + x] = (uint8_t)floorf(v + 0.5f);
        }
}

/*
 * Issue 18: a torch.onnx.export network in a sweep. elsr_torch_u8 (the zoo's
 * ELSR written in PyTorch, a 16x24 input of whole values 0..255) goes through
 * vsr_models_open() with weights_onnx, the path `vsrbench run` takes for
 * `weights: {onnx: FILE}`: its FP32 output is PyTorch's within TOL. Then a
 * sweep (`vsrbench run`) over an image set whose LR is that input and whose
 * GT is PyTorch's output rounded to 8 bits records PSNR-RGB (no crop) of
 * its SR frame against PyTorch's: every value of which PyTorch's lies more
 * than the tolerance from a rounding boundary (x.5) must be equal, so with k
 * values within it the PSNR is at least 10 log10(255^2 N / k), and infinite
 * (recorded as psnr_rgb_inf = 1) when k = 0.
 */
static void test_onnx_sweep(void **state)
{
    (void)state;
    int c, h, w, oc, oh, ow;
    float *in = npy_hwc("onnx/elsr_torch_u8.in.npy", &c, &h, &w);
    float *ref = npy_hwc("onnx/elsr_torch_u8.out.npy", &oc, &oh, &ow);
    assert_int_equal(c, 3);
    assert_int_equal(oh, 4 * h);
    char onnx[1024];
    vsr_test_ref(onnx, sizeof(onnx), "onnx/elsr_torch_u8.onnx");

    /* the model-open path of the sweep, on the float input */
    vsr_models_spec spec = {
        .model = "ELSR", .weights_onnx = onnx, .h = h, .w = w, .precision = VSR_PREC_FP32};
    vsr_models_instance *inst = NULL;
    vsr_error err = {0};
    if (vsr_models_open(&spec, &inst, &err) ||
        vsr_engine_set_input(inst->engine, 0, in, h, w, c, &err) ||
        vsr_engine_run(inst->engine, &err))
        fail_msg("%s", err.msg);
    size_t n = (size_t)oh * ow * oc;
    float *out = malloc(n * sizeof(float));
    assert_non_null(out);
    assert_int_equal(vsr_engine_get_output(inst->engine, 0, out, n, &err), 0);
    vsr_models_close(&inst);
    float maxd = 0, maxv = 0;
    for (size_t i = 0; i < n; i++) {
        maxd = fmaxf(maxd, fabsf(out[i] - ref[i]));
        maxv = fmaxf(maxv, fabsf(ref[i]));
    }
    const float tol = TOL * fmaxf(1.0f, maxv);
    print_message("elsr_torch_u8 via vsr_models_open: max |vsrbench - PyTorch| = %.3g (max "
                  "|out| %.3g)\n",
                  (double)maxd, (double)maxv);
    assert_true(maxv > 1.0f);
    assert_true(maxd <= tol);
    free(out);

    /* the values whose 8-bit rounding float rounding may flip */
    size_t k = 0, inside = 0;
    for (size_t i = 0; i < n; i++) {
        float v = ref[i];
        inside += v > 0.5f && v < 254.5f;
        if (v > -tol && v < 255 + tol && fabsf(v - floorf(v) - 0.5f) <= tol)
            k++;
    }
    assert_true(inside > n / 2); /* mostly unclipped: the comparison sees the network */

    char dir[256], p[600], lrdir[400], gtdir[400], cfg[400], db[400], outp[400], errp[400];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(lrdir, sizeof(lrdir), "%s/LR", dir);
    snprintf(gtdir, sizeof(gtdir), "%s/GT", dir);
    assert_int_equal(vsr_mkdir_p(lrdir, &err), 0);
    assert_int_equal(vsr_mkdir_p(gtdir, &err), 0);
    vsr_frame lr = {0}, gt = {0};
    to_frame(in, h, w, &lr);
    to_frame(ref, oh, ow, &gt);
    snprintf(p, sizeof(p), "%s/f.png", lrdir);
    assert_int_equal(vsr_image_write_png(p, &lr, &err), 0);
    snprintf(p, sizeof(p), "%s/f.png", gtdir);
    assert_int_equal(vsr_image_write_png(p, &gt, &err), 0);
    vsr_frame_free(&lr);
    vsr_frame_free(&gt);
    snprintf(cfg, sizeof(cfg), "%s/sweep.yaml", dir);
    snprintf(db, sizeof(db), "%s/runs.db", dir);
    snprintf(outp, sizeof(outp), "%s/out.txt", dir);
    snprintf(errp, sizeof(errp), "%s/err.txt", dir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: torch_onnx\n"
            "datasets: [{name: u8, type: images, dataroot_gt: %s, dataroot_lq: %s}]\n"
            "metrics: {psnr: {crop_border: 0, channels: [rgb]}}\n"
            "models: [{name: ELSR, weights: {onnx: %s}}]\n"
            "precisions: [fp32]\n"
            "threads: 1\n"
            "timing: {warmup: 1, runs: 1}\n",
            gtdir, lrdir, onnx);
    fclose(f);
    const char *args[] = {"run", cfg, "--db", db, "--no-report", "--progress", "never", NULL};
    assert_int_equal(vsr_test_vsrbench(args, outp, errp, NULL), 0);
    sqlite3 *s = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(s,
                                        "SELECT count(*), max(psnr_rgb), max(psnr_rgb_inf) "
                                        "FROM clip_metrics WHERE clip = 'f'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    int is_inf = sqlite3_column_int(st, 2);
    double psnr =
        sqlite3_column_type(st, 1) == SQLITE_NULL ? INFINITY : sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(s);
    double bound = k ? 10.0 * log10(255.0 * 255.0 * (double)n / (double)k) : INFINITY;
    print_message("sweep: PSNR-RGB of the SR frame against PyTorch's = %g (inf flag %d); %zu "
                  "of %zu values near a rounding boundary, bound %g\n",
                  psnr, is_inf, k, n, bound);
    if (k == 0)
        assert_int_equal(is_inf, 1);
    else
        assert_true(is_inf || psnr >= bound);
    vsr_test_rmtree(dir);
    free(in);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onnx_sr_net),
        cmocka_unit_test(test_onnx_depthwise),
        cmocka_unit_test(test_onnx_prelu_clip),
        cmocka_unit_test(test_onnx_concat_split),
        cmocka_unit_test(test_onnx_reshape_shuffle),
        cmocka_unit_test(test_onnx_bad_files),
        cmocka_unit_test(test_onnx_garbage),
        cmocka_unit_test(test_onnx_elsr_zoo),
        cmocka_unit_test(test_onnx_cli),
        cmocka_unit_test(test_onnx_sweep),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
