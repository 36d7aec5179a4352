/*
 * ONNX export (issue 18): zoo graphs with seeded random weights are written
 * with vsr_models_export_onnx(), read back by vsrbench's own importer and
 * run in FP32 beside the original on the same random inputs. The round trip
 * must be bit-exact: the importer, written from the ONNX operator
 * specification before the exporter existed, maps each exported node back
 * to the same engine op, so the same floats come out.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

/* Run @p g in FP32 on inputs derived from @p seed; outputs concatenated. */
static float *run(const vsr_graph *g, uint64_t seed, size_t *n_out)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    if (vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err))
        fail_msg("%s", err.msg);
    rng = seed;
    for (int i = 0; i < vsr_graph_input_count(g); i++) {
        const char *nm;
        int h, w, c, t;
        assert_int_equal(vsr_graph_input_info(g, i, &nm, &h, &w, &c, &t), 0);
        size_t n = (size_t)H * W * c;
        float *in = malloc(n * sizeof(float));
        assert_non_null(in);
        for (size_t k = 0; k < n; k++)
            in[k] = 255.f * urand();
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

/* Export zoo model @p name, import it back, run both, compare bit for bit. */
static void round_trip(const char *name)
{
    const vsr_models_entry *ze = vsr_models_zoo_find(name);
    assert_non_null(ze);
    vsr_graph *g = NULL, *back = NULL;
    vsr_models_onnx *m = NULL;
    vsr_error err = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.onnx", tmpdir, name);
    if (vsr_models_build(&ze->hp, ze->name, H, W, &g, &err) ||
        vsr_models_random_weights(g, 7, &err) || vsr_models_export_onnx(g, H, W, path, &err))
        fail_msg("%s: %s", name, err.msg);
    vsr_models_onnx_import opt = {H, W};
    if (vsr_models_onnx_read(path, &m, &err) ||
        vsr_models_import_onnx(m, name, &opt, &back, &err))
        fail_msg("%s: re-import: %s", name, err.msg);
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
    print_message("%s: %zu outputs, %zu differ, max |diff| %g, max |out| %g\n", name, na, diff,
                  (double)maxd, (double)maxv);
    assert_true(maxv > 0.01f); /* a real signal, not zeros */
    assert_int_equal(diff, 0);
    free(a);
    free(b);
    vsr_graph_free(&g);
    vsr_graph_free(&back);
    vsr_models_onnx_free(&m);
}

/* ABPN: 7 convs (ReLU fused), the 9x input concat anchor, add, d2s, clip */
static void test_abpn(void **state)
{
    (void)state;
    round_trip("ABPN");
}

/* ELSR: PReLU (per channel) inside a residual, d2s */
static void test_elsr(void **state)
{
    (void)state;
    round_trip("ELSR");
}

static void test_quicksrnet(void **state)
{
    (void)state;
    round_trip("QuickSRNet_M");
}

/* SWRN: two inputs (frame window and hidden state), two outputs */
static void test_swrn(void **state)
{
    (void)state;
    round_trip("SWRN");
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
    /* and weights not set yet: -EINVAL, no file */
    vsr_graph_free(&g);
    const vsr_models_entry *ze = vsr_models_zoo_find("ABPN");
    assert_int_equal(vsr_models_build(&ze->hp, ze->name, 8, 8, &g, &err), 0);
    assert_int_equal(vsr_models_export_onnx(g, 8, 8, path, &err), -EINVAL);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(vsr_models_export_onnx(g, 8, 0, path, &err), -EINVAL);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abpn),           cmocka_unit_test(test_elsr),
        cmocka_unit_test(test_quicksrnet),     cmocka_unit_test(test_swrn),
        cmocka_unit_test(test_unsupported_op),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
