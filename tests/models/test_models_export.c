/*
 * ONNX and TFLite export (issue 18): zoo graphs with seeded random weights
 * are written with vsr_models_export_onnx() / vsr_models_export_tflite(),
 * read back by vsrbench's own importers (each written from its format's
 * public specification before the exporters existed) and
 * run in FP32 beside the original on the same random inputs. The round trip
 * must be bit-exact: each exported node maps back to the same engine op,
 * so the same floats come out. ONNX Runtime (npm onnxruntime-node) is the
 * independent runtime for the ONNX files.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

enum { H = 24, W = 32 };

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/vsr_onnx_export_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float urand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)(rng >> 40) / (float)(1 << 24);
}

/* Input @p i of @p g (H x W HWC, pixels 0..255), the next values of the
 * generator: run() and ort_check() seed it alike, so they feed the same. */
static float *next_input(const vsr_graph *g, int i, int *c)
{
    const char *nm;
    int h, w, t;
    assert_int_equal(vsr_graph_input_info(g, i, &nm, &h, &w, c, &t), 0);
    size_t n = (size_t)H * W * *c;
    float *in = malloc(n * sizeof(float));
    assert_non_null(in);
    for (size_t k = 0; k < n; k++)
        in[k] = 255.f * urand();
    return in;
}

/* Run @p g in FP32 on inputs derived from @p seed; outputs concatenated. */
static float *run(const vsr_graph *g, uint64_t seed, size_t *n_out)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    if (vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err))
        fail_msg("%s", err.msg);
    rng = seed;
    for (int i = 0; i < vsr_graph_input_count(g); i++) {
        int c;
        float *in = next_input(g, i, &c);
        if (vsr_engine_set_input(e, i, in, H, W, c, &err))
            fail_msg("%s", err.msg);
        free(in);
    }
    if (vsr_engine_run(e, &err))
        fail_msg("%s", err.msg);
    size_t total = 0;
    float *out = NULL;
    for (int i = 0; i < vsr_graph_output_count(g); i++) {
        int oh, ow, oc;
        assert_int_equal(vsr_engine_output_shape(e, i, &oh, &ow, &oc), 0);
        size_t n = (size_t)oh * ow * oc;
        out = realloc(out, (total + n) * sizeof(float));
        assert_non_null(out);
        assert_int_equal(vsr_engine_get_output(e, i, out + total, n, &err), 0);
        total += n;
    }
    vsr_engine_free(&e);
    *n_out = total;
    return out;
}

enum fmt { ONNX, TFLITE };

/* Export zoo model @p name in format @p f, import it back, run both, compare
 * bit for bit. */
static void round_trip(const char *name, enum fmt f)
{
    const vsr_models_entry *ze = vsr_models_zoo_find(name);
    assert_non_null(ze);
    vsr_graph *g = NULL, *back = NULL;
    vsr_error err = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.%s", tmpdir, name, f == ONNX ? "onnx" : "tflite");
    if (vsr_models_build(&ze->hp, ze->name, H, W, &g, &err) ||
        vsr_models_random_weights(g, 7, &err))
        fail_msg("%s: %s", name, err.msg);
    if (f == ONNX) {
        vsr_models_onnx *m = NULL;
        vsr_models_onnx_import opt = {H, W};
        if (vsr_models_export_onnx(g, H, W, path, &err) ||
            vsr_models_onnx_read(path, &m, &err) ||
            vsr_models_import_onnx(m, name, &opt, &back, &err))
            fail_msg("%s: ONNX: %s", name, err.msg);
        vsr_models_onnx_free(&m);
    } else {
        vsr_models_tflite m;
        vsr_models_tflite_import opt = {H, W, 0};
        if (vsr_models_export_tflite(g, H, W, path, &err) ||
            vsr_models_tflite_read(path, &m, &err))
            fail_msg("%s: TFLite: %s", name, err.msg);
        int rc = vsr_models_import_tflite(&m, name, &opt, &back, &err);
        vsr_models_tflite_free(&m);
        if (rc)
            fail_msg("%s: TFLite re-import: %s", name, err.msg);
    }
    assert_int_equal(vsr_graph_input_count(back), vsr_graph_input_count(g));
    assert_int_equal(vsr_graph_output_count(back), vsr_graph_output_count(g));
    size_t na, nb;
    float *a = run(g, 11, &na), *b = run(back, 11, &nb);
    assert_int_equal(na, nb);
    size_t diff = 0;
    float maxd = 0, maxv = 0;
    for (size_t i = 0; i < na; i++) {
        diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
        maxd = fmaxf(maxd, fabsf(a[i] - b[i]));
        maxv = fmaxf(maxv, fabsf(a[i]));
    }
    print_message("%s %s: %zu outputs, %zu differ, max |diff| %g, max |out| %g\n", name,
                  f == ONNX ? "ONNX" : "TFLite", na, diff, (double)maxd, (double)maxv);
    assert_true(maxv > 0.01f); /* a real signal, not zeros */
    assert_int_equal(diff, 0);
    free(a);
    free(b);
    vsr_graph_free(&g);
    vsr_graph_free(&back);
}

/* ABPN: 7 convs (ReLU fused), the 9x input concat anchor, add, d2s, clip */
static void test_abpn(void **state)
{
    (void)state;
    round_trip("ABPN", ONNX);
    round_trip("ABPN", TFLITE);
}

/* ELSR: PReLU (per channel) inside a residual, d2s */
static void test_elsr(void **state)
{
    (void)state;
    round_trip("ELSR", ONNX);
    round_trip("ELSR", TFLITE);
}

static void test_quicksrnet(void **state)
{
    (void)state;
    round_trip("QuickSRNet_M", ONNX);
    round_trip("QuickSRNet_M", TFLITE);
}

/* SWRN: two inputs (frame window and hidden state), two outputs */
static void test_swrn(void **state)
{
    (void)state;
    round_trip("SWRN", ONNX);
    round_trip("SWRN", TFLITE);
}

/* MVSR_13 (FANI): the AFA attention (matmul_tn, softmax, matmul_pixels: ONNX
 * Reshape / Transpose / MatMul / Softmax, TFLite RESHAPE / BATCH_MATMUL / MUL
 * / SOFTMAX) and batch norms (ONNX BatchNormalization; TFLite: folded into
 * the conv before, with the engine's own folding arithmetic) */
static void test_mvsr13(void **state)
{
    (void)state;
    round_trip("MVSR_13", ONNX);
    round_trip("MVSR_13", TFLITE);
}

/* Write @p n floats to @p path (raw, host order = little-endian on x86). */
static void write_f32(const char *path, const float *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(v, sizeof(float), n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Export @p name and run the file in ONNX Runtime (scripts/ort_run.cjs, npm
 * onnxruntime-node), the independent reader: its outputs must be within
 * 1e-3 of vsrbench's FP32 (pixel scale 0..255; the two sum each conv in
 * different orders). */
static void ort_check(const char *name)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    if (system("node --version >/dev/null 2>&1") != 0)
        VSR_SKIP(
            "node is not installed (scripts/deps.sh installs nodejs and onnxruntime-node)");
    const vsr_models_entry *ze = vsr_models_zoo_find(name);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    char path[512], cmd[4096], outp[512];
    snprintf(path, sizeof(path), "%s/%s_ort.onnx", tmpdir, name);
    snprintf(outp, sizeof(outp), "%s/%s_ort.out.f32", tmpdir, name);
    if (vsr_models_build(&ze->hp, ze->name, H, W, &g, &err) ||
        vsr_models_random_weights(g, 7, &err) || vsr_models_export_onnx(g, H, W, path, &err))
        fail_msg("%s: %s", name, err.msg);
    /* the inputs run() feeds (seed 11), written NCHW for ORT */
    int len = snprintf(cmd, sizeof(cmd), "node '%s/scripts/ort_run.cjs' '%s' '%s' 1 0", src,
                       path, outp);
    rng = 11;
    for (int i = 0; i < vsr_graph_input_count(g); i++) {
        int c;
        float *hwc = next_input(g, i, &c);
        size_t n = (size_t)H * W * c;
        float *chw = malloc(n * sizeof(float));
        assert_non_null(chw);
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < H * W; p++)
                chw[(size_t)ch * H * W + p] = hwc[(size_t)p * c + ch];
        char ip[600];
        snprintf(ip, sizeof(ip), "%s/%s_ort.in%d.f32", tmpdir, name, i);
        write_f32(ip, chw, n);
        len += snprintf(cmd + len, sizeof(cmd) - (size_t)len, " '%s:1x%dx%dx%d'", ip, c, H, W);
        free(hwc);
        free(chw);
    }
    int rc = system(cmd);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        vsr_graph_free(&g);
        VSR_SKIP("npm onnxruntime-node is not installed (scripts/deps.sh installs it)");
    }
    assert_int_equal(rc, 0);
    size_t n;
    float *ref = run(g, 11, &n);
    float *ort = malloc(n * sizeof(float));
    assert_non_null(ort);
    FILE *f = fopen(outp, "rb");
    assert_non_null(f);
    assert_int_equal(fread(ort, sizeof(float), n, f), n);
    assert_int_equal(fgetc(f), EOF); /* and nothing more */
    fclose(f);
    /* ORT wrote NCHW per output; vsrbench's are HWC, concatenated */
    float maxd = 0, maxv = 0;
    size_t off = 0;
    for (int i = 0; i < vsr_graph_output_count(g); i++) {
        const char *nm;
        int t, oh, ow, oc;
        assert_int_equal(vsr_graph_output_info(g, i, &nm, &t), 0);
        vsr_layer_info li;
        assert_int_equal(vsr_graph_layer_info(g, t, H, W, &li, &err), 0);
        oh = li.h, ow = li.w, oc = li.c;
        for (int ch = 0; ch < oc; ch++)
            for (int p = 0; p < oh * ow; p++) {
                float a = ref[off + (size_t)p * oc + ch],
                      b = ort[off + (size_t)ch * oh * ow + p];
                maxd = fmaxf(maxd, fabsf(a - b));
                maxv = fmaxf(maxv, fabsf(a));
            }
        off += (size_t)oh * ow * oc;
    }
    assert_int_equal(off, n);
    print_message("%s in ONNX Runtime: max |ORT - vsrbench| = %g (max |out| %g)\n", name,
                  (double)maxd, (double)maxv);
    assert_true(maxv > 0.01f);
    assert_true(maxd <= 1e-3f);
    free(ref);
    free(ort);
    vsr_graph_free(&g);
}

static void test_ort_abpn(void **state)
{
    (void)state;
    ort_check("ABPN");
}

static void test_ort_swrn(void **state)
{
    (void)state;
    ort_check("SWRN");
}

static void test_ort_mvsr13(void **state)
{
    (void)state;
    ort_check("MVSR_13");
}

/* An op without an ONNX form is refused with the node named, and no file. */
static void test_unsupported_op(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_graph_create("ln", &g, &err), 0);
    int x = vsr_graph_input(g, "in", 8, 8, 4, &err);
    int y = vsr_graph_layer_norm(g, "norm1", x, 1e-5f, &err);
    assert_true(y >= 0);
    assert_int_equal(vsr_graph_output(g, "out", y, &err), 0);
    const float ones[4] = {1, 1, 1, 1}, zeros[4] = {0};
    assert_int_equal(vsr_graph_set_weight(g, "norm1.gamma", ones, 4, &err), 0);
    assert_int_equal(vsr_graph_set_weight(g, "norm1.beta", zeros, 4, &err), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/ln.onnx", tmpdir);
    assert_int_equal(vsr_models_export_onnx(g, 8, 8, path, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "node 'norm1' (layer_norm)"));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(vsr_models_export_tflite(g, 8, 8, path, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "TFLite export of 'ln': node 'norm1' (layer_norm)"));
    assert_int_equal(access(path, F_OK), -1);
    vsr_graph_free(&g);
    /* a batch norm with no conv before it: ONNX has BatchNormalization, TFLite
     * no such op (only a conv's batch norm is exported, folded) */
    assert_int_equal(vsr_graph_create("bn", &g, &err), 0);
    x = vsr_graph_input(g, "in", 8, 8, 4, &err);
    y = vsr_graph_batch_norm(g, "bn1", x, 1e-3f, &err);
    assert_true(y >= 0);
    assert_int_equal(vsr_graph_output(g, "out", y, &err), 0);
    static const char *const role[4] = {"bn1.gamma", "bn1.beta", "bn1.mean", "bn1.var"};
    for (int k = 0; k < 4; k++)
        assert_int_equal(vsr_graph_set_weight(g, role[k], ones, 4, &err), 0);
    assert_int_equal(vsr_models_export_tflite(g, 8, 8, path, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "node 'bn1' (batch_norm)"));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(vsr_models_export_onnx(g, 8, 8, path, &err), 0);
    unlink(path);
    /* MVSR_13's matmul_pixels spells H and W: no symbolic-size ONNX */
    vsr_graph_free(&g);
    const vsr_models_entry *mv = vsr_models_zoo_find("MVSR_13");
    assert_int_equal(vsr_models_build(&mv->hp, mv->name, 8, 8, &g, &err), 0);
    assert_int_equal(vsr_models_random_weights(g, 3, &err), 0);
    assert_int_equal(vsr_models_export_onnx(g, 0, 0, path, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "(matmul_pixels): needs a fixed input size"));
    assert_int_equal(access(path, F_OK), -1);
    /* and weights not set yet: -EINVAL, no file */
    vsr_graph_free(&g);
    const vsr_models_entry *ze = vsr_models_zoo_find("ABPN");
    assert_int_equal(vsr_models_build(&ze->hp, ze->name, 8, 8, &g, &err), 0);
    assert_int_equal(vsr_models_export_onnx(g, 8, 8, path, &err), -EINVAL);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(vsr_models_export_onnx(g, 8, 0, path, &err), -EINVAL);
    assert_int_equal(vsr_models_export_tflite(g, 8, 8, path, &err), -EINVAL);
    assert_int_equal(vsr_models_export_tflite(g, 0, 0, path, &err), -EINVAL);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abpn),           cmocka_unit_test(test_elsr),
        cmocka_unit_test(test_quicksrnet),     cmocka_unit_test(test_swrn),
        cmocka_unit_test(test_unsupported_op), cmocka_unit_test(test_ort_abpn),
        cmocka_unit_test(test_ort_swrn),       cmocka_unit_test(test_mvsr13),
        cmocka_unit_test(test_ort_mvsr13),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
