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
#include "zoo_harness.h"
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

/* Run @p g in @p prec (INT8: `requant: tflite`) on inputs derived from
 * @p seed; outputs concatenated. */
static float *run_prec(const vsr_graph *g, vsr_precision prec, uint64_t seed, size_t *n_out)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.requant = VSR_REQUANT_TFLITE;
    if (vsr_engine_create(g, prec, NULL, &o, &e, &err))
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

static float *run(const vsr_graph *g, uint64_t seed, size_t *n_out)
{
    return run_prec(g, VSR_PREC_FP32, seed, n_out);
}

enum fmt { ONNX, TFLITE };

/* Zoo model @p name built at H x W with random weights (seed 7); the caller frees it. */
static vsr_graph *zoo_random(const char *name)
{
    return vsr_test_zoo_random(name, H, W, 7);
}

/* Export zoo model @p name in format @p f, import it back, run both, compare
 * bit for bit. */
static void round_trip(const char *name, enum fmt f)
{
    vsr_graph *g = zoo_random(name), *back = NULL;
    vsr_error err = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.%s", tmpdir, name, f == ONNX ? "onnx" : "tflite");
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

/* round_trip() in both formats. */
static void round_trip_both(const char *name)
{
    round_trip(name, ONNX);
    round_trip(name, TFLITE);
}

/* The cmocka case NAME whose whole body is the call that follows: one checker of this file
 * on one model (the comment above each says what that model exercises). */
#define CASE(name, ...)                                                                        \
    static void name(void **state)                                                             \
    {                                                                                          \
        (void)state;                                                                           \
        __VA_ARGS__;                                                                           \
    }

/* ABPN: 7 convs (ReLU fused), the 9x input concat anchor, add, d2s, clip */
CASE(test_abpn, round_trip_both("ABPN"))

/* ELSR: PReLU (per channel) inside a residual, d2s */
CASE(test_elsr, round_trip_both("ELSR"))

CASE(test_quicksrnet, round_trip_both("QuickSRNet_M"))

/* SWRN: two inputs (frame window and hidden state), two outputs */
CASE(test_swrn, round_trip_both("SWRN"))

/* Calibrate @p g (min / max, the default; with TFLite's int8 constraints when
 * @p tflite) on two frames of the generator (seed 5, not the seed the runs use). */
static void calibrate_ex(vsr_graph *g, int tflite)
{
    vsr_calib *c = NULL;
    vsr_error err = {0};
    if (vsr_calib_create(g, NULL, &c, &err))
        fail_msg("%s", err.msg);
    rng = 5;
    for (int f = 0; f < 2; f++) {
        float *in[8];
        int n = vsr_graph_input_count(g), ch;
        assert_true(n <= 8);
        for (int i = 0; i < n; i++)
            in[i] = next_input(g, i, &ch);
        if (vsr_calib_feed(c, (const float *const *)in, H, W, &err))
            fail_msg("%s", err.msg);
        for (int i = 0; i < n; i++)
            free(in[i]);
    }
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    o.tflite = tflite;
    if (vsr_calib_finish(c, &o, g, &err))
        fail_msg("%s", err.msg);
    vsr_calib_free(&c);
}

/* as vsrbench's own calibration does (vsr_models_calibrate: TFLite's constraints) */
static void calibrate(vsr_graph *g)
{
    calibrate_ex(g, 1);
}

static vsr_engine *int8_engine(const vsr_graph *g)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.requant = VSR_REQUANT_TFLITE;
    if (vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, &e, &err))
        fail_msg("%s", err.msg);
    return e;
}

/*
 * The INT8 parameters the engines of @p a and @p b run with must be the same
 * bits, tensor by tensor (the export keeps the op sequence: conv + fused
 * ReLU, and MINIMUM + RELU read back as one clip), and so must every conv's
 * int8 weights, int32 biases and weight scales. ONNX (@p by_name 1): a
 * Conv with its ReLU reads back as two nodes, which the engine fuses again;
 * tensors are matched by node name. Returns the number of tensors compared.
 */
/* The node of @p b that tensor @p t of @p a became: the same index when
 * @p by_name is 0, the node of the same name (inputs by position) when 1,
 * the same index less the batch norms before it when 2 (-1 for a folded
 * batch norm: its conv's tensor holds its parameters). */
static int counterpart(const vsr_graph *a, const vsr_graph *b, int t, int by_name)
{
    vsr_node_view v, u;
    if (by_name == 2) { /* TFLite with batch norms folded: the same order without them */
        int k = t;
        assert_int_equal(vsr_graph_node_view(a, t, &v), 0);
        if (v.op == VSR_OP_BATCH_NORM)
            return -1;
        for (int i = 0; i < t; i++) {
            assert_int_equal(vsr_graph_node_view(a, i, &u), 0);
            k -= u.op == VSR_OP_BATCH_NORM;
        }
        assert_int_equal(vsr_graph_node_view(b, k, &u), 0);
        assert_int_equal(u.op, v.op);
        return k;
    }
    if (!by_name)
        return t;
    assert_int_equal(vsr_graph_node_view(a, t, &v), 0);
    for (int i = 0; v.op == VSR_OP_INPUT && i < vsr_graph_input_count(a); i++) {
        const char *nm;
        int h, w, c, ta, tb;
        vsr_graph_input_info(a, i, &nm, &h, &w, &c, &ta);
        vsr_graph_input_info(b, i, &nm, &h, &w, &c, &tb);
        if (ta == t)
            return tb;
    }
    for (int i = 0; i < vsr_graph_layer_count(b); i++) {
        assert_int_equal(vsr_graph_node_view(b, i, &u), 0);
        if (!strcmp(u.name, v.name))
            return i;
    }
    if (v.op == VSR_OP_BATCH_NORM)
        return -1; /* TFLite: folded into its conv, whose tensor holds its parameters */
    fail_msg("no node '%s' in %s", v.name, vsr_graph_name(b));
    return -1;
}

static int same_quant(const vsr_graph *a, const vsr_graph *b, int by_name)
{
    if (!by_name)
        assert_int_equal(vsr_graph_layer_count(a), vsr_graph_layer_count(b));
    vsr_engine *ea = int8_engine(a), *eb = int8_engine(b);
    int n = 0;
    for (int t = 0; t < vsr_graph_layer_count(a); t++) {
        float sa = 0, sb = 0;
        int za = 0, zb = 0, tb = counterpart(a, b, t, by_name);
        if (tb < 0)
            continue;
        int ra = vsr_engine_tensor_quant(ea, t, &sa, &za);
        assert_int_equal(vsr_engine_tensor_quant(eb, tb, &sb, &zb), ra);
        if (ra)
            continue;
        if (memcmp(&sa, &sb, sizeof(float)) || za != zb)
            fail_msg("tensor %d: scale %.9g zp %d exported, %.9g zp %d read back", t,
                     (double)sa, za, (double)sb, zb);
        n++;
        vsr_node_view v;
        const int8_t *wa, *wb;
        const int32_t *ba, *bb;
        const float *ka, *kb;
        assert_int_equal(vsr_graph_node_view(a, t, &v), 0);
        if (v.op != VSR_OP_CONV2D)
            continue;
        assert_int_equal(vsr_engine_conv_quant(ea, t, &wa, &ba, &ka), 0);
        assert_int_equal(vsr_engine_conv_quant(eb, tb, &wb, &bb, &kb), 0);
        int cin = 0, h, w;
        assert_int_equal(vsr_graph_tensor_shape(a, v.inputs[0], &h, &w, &cin), 0);
        size_t nw = (size_t)v.conv.kh * v.conv.kw * (cin / v.conv.groups) * v.conv.cout;
        assert_memory_equal(wa, wb, nw);
        assert_memory_equal(ba, bb, (size_t)v.conv.cout * sizeof(int32_t));
        assert_memory_equal(ka, kb, (size_t)v.conv.cout * sizeof(float));
    }
    vsr_engine_free(&ea);
    vsr_engine_free(&eb);
    return n;
}

/*
 * INT8 TFLite round trip: zoo model @p name with random weights, calibrated,
 * exported full-integer, read back with its quantization (use_quant) and
 * run beside the original, both INT8 with `requant: tflite`: the same
 * parameters and the same output bits.
 */
static void int8_round_trip(const char *name, enum fmt f)
{
    vsr_graph *g = zoo_random(name), *back = NULL;
    vsr_error err = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s_int8.%s", tmpdir, name, f == ONNX ? "onnx" : "tflite");
    calibrate(g);
    vsr_models_export_options xo = {.precision = VSR_MODELS_EXPORT_INT8};
    int nq = 0;
    if (f == ONNX) {
        vsr_models_onnx *om = NULL;
        vsr_models_onnx_import oo = {H, W};
        if (vsr_models_export_onnx_ex(g, H, W, path, &xo, &err) ||
            vsr_models_onnx_read(path, &om, &err) ||
            vsr_models_import_onnx(om, name, &oo, &back, &err))
            fail_msg("%s: ONNX QDQ: %s", name, err.msg);
        vsr_models_onnx_free(&om);
        nq = same_quant(g, back, 1);
        goto run;
    }
    vsr_models_tflite m;
    vsr_models_tflite_import opt = {H, W, 1};
    vsr_models_export_report xr;
    if (vsr_models_export_tflite_ex(g, H, W, path, &xo, &xr, &err) ||
        vsr_models_tflite_read(path, &m, &err))
        fail_msg("%s: TFLite INT8: %s", name, err.msg);
    /* float32 I/O around int8 tensors, as TFLite's converter writes by default */
    for (int i = 0; i < m.n_inputs; i++)
        assert_int_equal(m.tensors[m.inputs[i]].type, VSR_TFL_FLOAT32);
    assert_int_equal(m.ops[0].code, VSR_TFL_QUANTIZE);
    assert_int_equal(m.tensors[m.ops[0].outputs[0]].type, VSR_TFL_INT8);
    assert_int_equal(m.ops[m.n_ops - 1].code, VSR_TFL_DEQUANTIZE);
    /* calibration with TFLite's constraints ties every concat's and bilinear
     * resize's inputs to its output (vsr_models_export_report counts the others) */
    if (xr.int8_untied)
        fail_msg("%s TFLite INT8: %d ops with untied parameters (first '%s')", name,
                 xr.int8_untied, xr.first_untied);
    int rc = vsr_models_import_tflite(&m, name, &opt, &back, &err);
    vsr_models_tflite_free(&m);
    if (rc)
        fail_msg("%s: TFLite INT8 re-import: %s", name, err.msg);
    /* a batch norm folds into its conv: fewer nodes, matched by name */
    nq = same_quant(g, back, vsr_graph_layer_count(g) != vsr_graph_layer_count(back) ? 2 : 0);
run:;
    assert_true(nq > 5);
    size_t na, nb;
    float *a = run_prec(g, VSR_PREC_INT8, 11, &na), *b = run_prec(back, VSR_PREC_INT8, 11, &nb);
    assert_int_equal(na, nb);
    size_t diff = 0;
    float maxv = 0;
    for (size_t i = 0; i < na; i++) {
        diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
        maxv = fmaxf(maxv, fabsf(a[i]));
    }
    print_message("%s %s INT8: %d tensors' parameters equal, %zu outputs, %zu differ, "
                  "max |out| %g\n",
                  name, f == ONNX ? "ONNX QDQ" : "TFLite", nq, na, diff, (double)maxv);
    assert_true(maxv > 0.01f);
    assert_int_equal(diff, 0);
    free(a);
    free(b);
    vsr_graph_free(&g);
    vsr_graph_free(&back);
}

/* ABPN INT8: convs with fused ReLU, the input anchor concat, add, d2s, clip(0, 255) */
CASE(test_int8_tflite_abpn, int8_round_trip("ABPN", TFLITE))

/* SWRN INT8: two float inputs (frames, state) and two outputs, bilinear, slices */
CASE(test_int8_tflite_swrn, int8_round_trip("SWRN", TFLITE))

/* MVSR_13 INT8: the PPA attention (conv, LOGISTIC, MUL), the AFA */
CASE(test_int8_tflite_mvsr13, int8_round_trip("MVSR_13", TFLITE))

/* Node @p t's INT8 parameters after calibration. */
static void quant_of(const vsr_graph *g, int t, float *s, int *z)
{
    vsr_error err = {0};
    if (vsr_graph_get_quant(g, t, s, z, &err))
        fail_msg("tensor %d: %s", t, err.msg);
}

/*
 * Calibration with TFLite's constraints (vsr_calib_options.tflite): a concat
 * of conv a and a slice of conv b, resized bilinearly, and a conv gate
 * through a sigmoid. Tied, a, b (the slice's writer), the concat and the
 * resize share one (scale, zero point): the scheme's parameters of the
 * union of their four ranges (vsr_calib_range(), min / max), computed here
 * with vsr_quant_from_range(); the sigmoid's output is 1/256, -128 (TFLite's
 * int8 LOGISTIC). Untied (the default), a and b keep their own ranges, which
 * differ for these weights (so the tie is what makes them equal).
 */
static void test_calib_tflite_ties(void **state)
{
    (void)state;
    vsr_error err = {0};
    for (int tfl = 0; tfl < 2; tfl++) {
        vsr_graph *g = NULL;
        assert_int_equal(vsr_graph_create("ties", &g, &err), 0);
        int x = vsr_graph_input(g, "in", H, W, 3, &err);
        vsr_conv_params p = vsr_conv_default(4, 3);
        int a = vsr_graph_conv2d(g, "a", x, &p, &err);
        int b = vsr_graph_conv2d(g, "b", x, &p, &err);
        int bs = vsr_graph_slice(g, "b_part", b, 0, 2, &err);
        int ab[2] = {a, bs};
        int cat = vsr_graph_concat(g, "cat", 2, ab, &err);
        int up = vsr_graph_resize_bilinear(g, "up", cat, 2, &err);
        int gc = vsr_graph_conv2d(g, "gate_conv", x, &p, &err);
        int sg = vsr_graph_sigmoid(g, "gate", gc, &err);
        assert_true(up >= 0 && sg >= 0);
        assert_true(vsr_graph_output(g, "up", up, &err) >= 0);
        assert_true(vsr_graph_output(g, "gate", sg, &err) >= 0);
        assert_int_equal(vsr_models_random_weights(g, 5, &err), 0);
        calibrate_ex(g, tfl);
        float s[4], sgs;
        int z[4], sgz;
        const int tied[4] = {a, b, cat, up};
        for (int k = 0; k < 4; k++)
            quant_of(g, tied[k], &s[k], &z[k]);
        quant_of(g, sg, &sgs, &sgz);
        if (!tfl) {
            assert_true(s[0] != s[1] || z[0] != z[1]);
            assert_false(sgs == 1.f / 256 && sgz == -128);
            vsr_graph_free(&g);
            continue;
        }
        /* the union of the four ranges, from a second calibration's statistics */
        vsr_calib *c = NULL;
        assert_int_equal(vsr_calib_create(g, NULL, &c, &err), 0);
        rng = 5;
        for (int f = 0; f < 2; f++) {
            int ch;
            float *in = next_input(g, 0, &ch);
            const float *ins[1] = {in};
            assert_int_equal(vsr_calib_feed(c, ins, H, W, &err), 0);
            free(in);
        }
        float lo = 0, hi = 0;
        for (int k = 0; k < 4; k++) {
            float l, h;
            assert_int_equal(vsr_calib_range(c, tied[k], NULL, &l, &h, &err), 0);
            lo = k ? fminf(lo, l) : l, hi = k ? fmaxf(hi, h) : h;
        }
        vsr_calib_free(&c);
        vsr_quant_scheme qs;
        vsr_quant_scheme_default(&qs);
        float want_s;
        int want_z;
        vsr_quant_from_range(&qs, lo, hi, &want_s, &want_z);
        for (int k = 0; k < 4; k++) {
            assert_memory_equal(&s[k], &want_s, sizeof(float));
            assert_int_equal(z[k], want_z);
        }
        assert_true(sgs == 1.f / 256);
        assert_int_equal(sgz, -128);
        print_message("tied: range [%g, %g] -> scale %g zero point %d\n", (double)lo,
                      (double)hi, (double)want_s, want_z);
        vsr_graph_free(&g);
    }
}

/* The whole of file @p path (malloc'd) and its size, or NULL. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *d = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap && !(d = realloc(d, cap = cap ? 2 * cap : 65536)))
            break;
        size_t r = fread(d + *n, 1, cap - *n, f);
        *n += r;
        if (!r)
            break;
    }
    fclose(f);
    return d;
}

/*
 * The phone's side: an ABPN x3 INT8 file of the authors (../shared),
 * imported with its quantization and written again by vsrbench, run through
 * tests/reference/tflite_int/ref.py (an independent numpy implementation of
 * TFLite's integer kernels that parses the .tflite itself) on the 48x48 crop
 * of Set5 img_001 of tests/reference/tflite_int/README.md: the output PNG is
 * byte for byte the one committed there from the original file. The export
 * adds a float input (QUANTIZE) and output (DEQUANTIZE, scale 1 here) where
 * the original has uint8 I/O; everything between computes the same integers.
 */
static void tflite_ref_check(const char *file, const char *ref_png)
{
    char tfl[1024], lr[1024], ref[1024], path[512], got[512], crop[512], cmd[4096];
    VSR_SKIP_WITHOUT_SHARED(tfl, file);
    VSR_SKIP_WITHOUT_SHARED(lr, "data/sisr/Set5/x4/img_001_SRF_4_LR.png");
    vsr_test_ref(ref, sizeof(ref), ref_png);
    if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0)
        VSR_SKIP("python3-numpy is not installed (scripts/deps.sh installs it)");
    vsr_models_tflite m;
    vsr_models_tflite_import opt = {48, 48, 1};
    vsr_graph *g = NULL;
    vsr_error err = {0};
    vsr_models_export_options xo = {.precision = VSR_MODELS_EXPORT_INT8};
    snprintf(path, sizeof(path), "%s/abpn_reexport.tflite", tmpdir);
    snprintf(got, sizeof(got), "%s/abpn_reexport.png", tmpdir);
    snprintf(crop, sizeof(crop), "%s/abpn_crop.png", tmpdir);
    if (vsr_models_tflite_read(tfl, &m, &err))
        fail_msg("%s", err.msg);
    int rc = vsr_models_import_tflite(&m, "abpn_x3", &opt, &g, &err);
    vsr_models_tflite_free(&m);
    vsr_models_export_report xr;
    if (rc || vsr_models_export_tflite_ex(g, 48, 48, path, &xo, &xr, &err))
        fail_msg("%s: %s", file, err.msg);
    assert_int_equal(xr.int8_untied, 0); /* the file's converter tied them */
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 '%s/tests/reference/tflite_int/ref.py' '%s' '%s' 40 40 48 '%s' "
             "'%s' >/dev/null",
             getenv("VSR_SOURCE_DIR"), path, lr, crop, got);
    assert_int_equal(system(cmd), 0);
    size_t na = 0, nb = 0;
    unsigned char *a = slurp(got, &na), *b = slurp(ref, &nb);
    assert_non_null(a);
    assert_non_null(b);
    print_message("%s re-exported: ref.py output %zu bytes, committed %zu bytes\n", file, na,
                  nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na); /* ref.py writes a PNG deterministically */
    free(a);
    free(b);
    vsr_graph_free(&g);
}

CASE(test_tflite_int8_phone_ptq,
     tflite_ref_check("data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3.tflite",
                      "tflite_int/abpn_x3_ptq_set5_001_crop.png"))

CASE(test_tflite_int8_phone_qat,
     tflite_ref_check("data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3_qat.tflite",
                      "tflite_int/abpn_x3_qat_set5_001_crop.png"))

/* The same in ONNX QDQ form, read back by vsrbench's ONNX importer */
CASE(test_int8_onnx_abpn, int8_round_trip("ABPN", ONNX))

CASE(test_int8_onnx_swrn, int8_round_trip("SWRN", ONNX))

/* MVSR_13 (FANI): the AFA attention (matmul_tn, softmax, matmul_pixels: ONNX
 * Reshape / Transpose / MatMul / Softmax, TFLite RESHAPE / BATCH_MATMUL / MUL
 * / SOFTMAX) and batch norms (ONNX BatchNormalization; TFLite: folded into
 * the conv before, with the engine's own folding arithmetic) */
CASE(test_mvsr13, round_trip_both("MVSR_13"))

/* Write @p n floats to @p path (raw, host order = little-endian on x86). */
static void write_f32(const char *path, const float *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(v, sizeof(float), n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The inputs run() feeds (seed 11), HWC float32, written to
 * "<tmpdir>/<name><tag>.in<i>.f32" and appended to @p cmd as ' FILE'
 * arguments (at *@p len). */
static void write_nhwc_inputs(const vsr_graph *g, const char *name, const char *tag, char *cmd,
                              size_t cap, int *len)
{
    rng = 11;
    for (int i = 0; i < vsr_graph_input_count(g); i++) {
        int c;
        float *hwc = next_input(g, i, &c);
        char ip[600];
        snprintf(ip, sizeof(ip), "%s/%s%s.in%d.f32", tmpdir, name, tag, i);
        write_f32(ip, hwc, (size_t)H * W * c);
        *len += snprintf(cmd + *len, cap - (size_t)*len, " '%s'", ip);
        free(hwc);
    }
}

/* Exactly @p n float32 values from file @p path (malloc'd). */
static float *read_f32(const char *path, size_t n)
{
    float *v = malloc(n * sizeof(float));
    assert_non_null(v);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(v, sizeof(float), n, f), n);
    assert_int_equal(fgetc(f), EOF); /* and nothing more */
    fclose(f);
    return v;
}

/*
 * Another runtime's outputs @p other of graph @p g (@p nchw: NCHW per output,
 * else HWC like vsrbench's, concatenated) against vsrbench's @p ref (@p n
 * values), printed as "<name> <precision> in <rt>: ...". FP32: at most @p tol
 * apart. INT8: differences in steps of each output's quantization scale, at
 * most @p tol, on average at most @p mean_tol.
 */
static void compare_runtime(const vsr_graph *g, const float *ref, const float *other, size_t n,
                            int nchw, int int8, const char *name, const char *rt, float tol,
                            double mean_tol)
{
    vsr_error err = {0};
    vsr_engine *qe = int8 ? int8_engine(g) : NULL;
    float maxd = 0, maxv = 0, max_steps = 0;
    size_t off = 0, n_diff = 0;
    double sum_d = 0;
    for (int i = 0; i < vsr_graph_output_count(g); i++) {
        const char *nm;
        int t, zp;
        assert_int_equal(vsr_graph_output_info(g, i, &nm, &t), 0);
        vsr_layer_info li;
        assert_int_equal(vsr_graph_layer_info(g, t, H, W, &li, &err), 0);
        float step = 1.f;
        if (qe)
            assert_int_equal(vsr_engine_tensor_quant(qe, t, &step, &zp), 0);
        size_t hw = (size_t)li.h * li.w;
        for (int ch = 0; ch < li.c; ch++)
            for (size_t p = 0; p < hw; p++) {
                float a = ref[off + p * li.c + ch],
                      b = other[off + (nchw ? (size_t)ch * hw + p : p * li.c + ch)];
                float d = fabsf(a - b);
                maxd = fmaxf(maxd, d);
                maxv = fmaxf(maxv, fabsf(a));
                n_diff += a != b;
                sum_d += d / step;
                max_steps = fmaxf(max_steps, d / step);
            }
        off += hw * li.c;
    }
    assert_int_equal(off, n);
    print_message("%s %s in %s: max |%s - vsrbench| = %g (%g output steps), mean %g steps, "
                  "%zu of %zu differ (max |out| %g)\n",
                  name, int8 ? "INT8" : "FP32", rt, rt, (double)maxd, (double)max_steps,
                  sum_d / (double)n, n_diff, n, (double)maxv);
    vsr_engine_free(&qe);
    assert_true(maxv > 0.01f);
    if (int8) {
        assert_true(max_steps <= tol);
        assert_true(sum_d / (double)n <= mean_tol);
    } else {
        assert_true(maxd <= tol);
    }
}

/*
 * Export @p name and run the file in ONNX Runtime (scripts/ort_run.cjs, npm
 * onnxruntime-node), the independent reader. FP32: its outputs must be
 * within @p tol (1e-3) of vsrbench's FP32 (pixel scale 0..255; the two sum
 * each conv in different orders). @p int8: the model calibrated and written
 * in QDQ form, against vsrbench's INT8 with `requant: tflite`: at most
 * @p tol output quantization steps apart and a quarter step on average.
 * They cannot agree bit for bit: ORT fuses DQ -> Conv -> Q into QLinearConv
 * (or runs the float Conv between DQ and Q) and requantizes with a float
 * multiplier rounding half to even, where TFLite's kernels use a Q31 fixed-
 * point multiplier and two roundings half away from zero; its Add / Clip
 * run in float between DQ and Q. A one-step difference in one layer can
 * move the next layers' outputs by a step too.
 */
static void ort_check(const char *name, int int8, float tol)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    if (system("node --version >/dev/null 2>&1") != 0)
        VSR_SKIP(
            "node is not installed (scripts/deps.sh installs nodejs and onnxruntime-node)");
    vsr_graph *g = zoo_random(name);
    vsr_error err = {0};
    char path[512], cmd[4096], outp[512];
    const char *sfx = int8 ? "_int8" : "";
    snprintf(path, sizeof(path), "%s/%s_ort%s.onnx", tmpdir, name, sfx);
    snprintf(outp, sizeof(outp), "%s/%s_ort%s.out.f32", tmpdir, name, sfx);
    vsr_models_export_options xo = {int8 ? VSR_MODELS_EXPORT_INT8 : VSR_MODELS_EXPORT_FP32};
    if (int8)
        calibrate(g);
    if (vsr_models_export_onnx_ex(g, H, W, path, &xo, &err))
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
    float *ref = run_prec(g, int8 ? VSR_PREC_INT8 : VSR_PREC_FP32, 11, &n);
    float *ort = read_f32(outp, n);
    /* ORT wrote NCHW per output; vsrbench's are HWC, concatenated */
    compare_runtime(g, ref, ort, n, 1, int8, name, "ONNX Runtime", tol, 0.25);
    free(ref);
    free(ort);
    vsr_graph_free(&g);
}

/*
 * Export @p name as TFLite and run the whole file in LiteRT (TensorFlow
 * Lite's runtime; scripts/litert_run.mjs, npm @litertjs/core: TFLite's
 * flatbuffer reader and kernels built to WebAssembly, with the XNNPACK
 * delegate TFLite applies on a CPU), the independent reader, on the inputs
 * run() feeds (seed 11; both NHWC). FP32: within @p tol (1e-3) of
 * vsrbench's FP32 (pixel scale; sums in other orders). @p int8: calibrated as
 * vsrbench calibrates and written full-integer, against vsrbench's INT8 with
 * `requant: tflite`: at most @p tol output steps apart, a quarter step on
 * average. Not bit for bit: XNNPACK requantizes its int8 convs with a float
 * multiplier rounding half to even (TFLite's builtin kernels, which
 * vsrbench's tflite mode follows, use the Q31 multiplier and two roundings
 * half away from zero), and a step in one layer can move later ones.
 */
static void litert_graph(vsr_graph *g, const char *name, int int8, float tol, double mean_tol)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    if (system("node --version >/dev/null 2>&1") != 0)
        VSR_SKIP("node is not installed (scripts/deps.sh installs nodejs and @litertjs/core)");
    vsr_error err = {0};
    char path[512], cmd[4096], outp[512];
    const char *sfx = int8 ? "_int8" : "";
    snprintf(path, sizeof(path), "%s/%s_litert%s.tflite", tmpdir, name, sfx);
    snprintf(outp, sizeof(outp), "%s/%s_litert%s.out.f32", tmpdir, name, sfx);
    vsr_models_export_options xo = {int8 ? VSR_MODELS_EXPORT_INT8 : VSR_MODELS_EXPORT_FP32};
    if (int8)
        calibrate(g);
    if (vsr_models_export_tflite_ex(g, H, W, path, &xo, NULL, &err))
        fail_msg("%s: %s", name, err.msg);
    int len = snprintf(cmd, sizeof(cmd), "node '%s/scripts/litert_run.mjs' '%s' '%s'", src,
                       path, outp);
    write_nhwc_inputs(g, name, "_litert", cmd, sizeof(cmd), &len);
    snprintf(cmd + len, sizeof(cmd) - (size_t)len, " >'%s.txt' 2>'%s.err'", outp, outp);
    int rc = system(cmd);
    char tp[600];
    snprintf(tp, sizeof(tp), "%s.txt", outp);
    char *io = vsr_test_slurp(tp); /* LiteRT's inputs and outputs, as it read them */
    print_message("%s", io ? io : "");
    free(io);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        vsr_graph_free(&g);
        VSR_SKIP("npm @litertjs/core is not installed (scripts/deps.sh installs it)");
    }
    if (rc != 0) {
        char ep[600];
        snprintf(ep, sizeof(ep), "%s.err", outp);
        char *e = vsr_test_slurp(ep);
        fail_msg("%s: LiteRT refused the file: %s", name, e ? e : "?");
    }
    size_t n;
    float *ref = run_prec(g, int8 ? VSR_PREC_INT8 : VSR_PREC_FP32, 11, &n);
    float *lrt = read_f32(outp, n);
    compare_runtime(g, ref, lrt, n, 0, int8, name, "LiteRT", tol, mean_tol);
    free(ref);
    free(lrt);
}

static void litert_check(const char *name, int int8, float tol, double mean_tol)
{
    vsr_graph *g = zoo_random(name);
    litert_graph(g, name, int8, tol, mean_tol);
    vsr_graph_free(&g);
}

/*
 * Zoo model @p name with random weights, calibrated, exported full-integer
 * and run through tests/reference/tflite_int/ref.py (the independent numpy
 * implementation of TFLite's integer kernels, which parses the file itself)
 * on the inputs run() feeds: its outputs must be vsrbench's INT8 (`requant:
 * tflite`) outputs bit for bit. MVSR_13 holds int8 LOGISTIC, STRIDED_SLICE,
 * MUL, CONCATENATION, and its AFA in float (RESHAPE, BATCH_MATMUL, SOFTMAX)
 * between DEQUANTIZE and QUANTIZE.
 */
static void ref_py_graph(vsr_graph *g, const char *name)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0)
        VSR_SKIP("python3-numpy is not installed (scripts/deps.sh installs it)");
    vsr_error err = {0};
    char path[512], cmd[4096], outp[512];
    snprintf(path, sizeof(path), "%s/%s_refpy.tflite", tmpdir, name);
    snprintf(outp, sizeof(outp), "%s/%s_refpy.out.f32", tmpdir, name);
    vsr_models_export_options xo = {VSR_MODELS_EXPORT_INT8};
    calibrate(g);
    if (vsr_models_export_tflite_ex(g, H, W, path, &xo, NULL, &err))
        fail_msg("%s: %s", name, err.msg);
    int len =
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 '%s/tests/reference/tflite_int/ref.py' '%s' --raw '%s'", src,
                 path, outp);
    write_nhwc_inputs(g, name, "_refpy", cmd, sizeof(cmd), &len);
    assert_int_equal(system(cmd), 0);
    size_t n, n_diff = 0;
    float *ref = run_prec(g, VSR_PREC_INT8, 11, &n);
    float *py = read_f32(outp, n);
    float maxd = 0, maxv = 0;
    size_t off = 0;
    for (int i = 0; i < vsr_graph_output_count(g); i++) {
        const char *nm;
        int t;
        assert_int_equal(vsr_graph_output_info(g, i, &nm, &t), 0);
        vsr_layer_info li;
        assert_int_equal(vsr_graph_layer_info(g, t, H, W, &li, &err), 0);
        size_t d1 = 0;
        for (size_t k = off; k < off + (size_t)li.h * li.w * li.c; k++)
            d1 += memcmp(&ref[k], &py[k], sizeof(float)) != 0;
        off += (size_t)li.h * li.w * li.c;
        print_message("  output %d '%s': %zu differ\n", i, nm, d1);
    }
    for (size_t k = 0; k < n; k++) {
        n_diff += memcmp(&ref[k], &py[k], sizeof(float)) != 0;
        maxd = fmaxf(maxd, fabsf(ref[k] - py[k]));
        maxv = fmaxf(maxv, fabsf(ref[k]));
    }
    print_message(
        "%s INT8 in ref.py: %zu of %zu outputs differ, max |diff| %g (max |out| %g)\n", name,
        n_diff, n, (double)maxd, (double)maxv);
    assert_true(maxv > 0.01f);
    assert_int_equal(n_diff, 0);
    free(ref);
    free(py);
}

static void ref_py_check(const char *name)
{
    vsr_graph *g = zoo_random(name);
    ref_py_graph(g, name);
    vsr_graph_free(&g);
}

static void test_ref_py_int8(void **state)
{
    (void)state;
    ref_py_check("ABPN");
    ref_py_check("SWRN");
    ref_py_check("MVSR_13");
}

static void test_litert_fp32(void **state)
{
    (void)state;
    litert_check("ABPN", 0, 1e-3f, 0);
    litert_check("SWRN", 0, 1e-3f, 0);
    litert_check("MVSR_13", 0, 1e-3f, 0);
}

static void test_litert_int8(void **state)
{
    (void)state;
    /* measured when written: ABPN and SWRN at most 2 steps apart, 0.09 and
     * 0.05 on average; MVSR_13 (about 90 convs deep) 8 steps, 1.12 on average */
    litert_check("ABPN", 1, 3.f, 0.25);
    litert_check("SWRN", 1, 3.f, 0.25);
    litert_check("MVSR_13", 1, 12.f, 1.5);
}

CASE(test_ort_abpn, ort_check("ABPN", 0, 1e-3f))

CASE(test_ort_swrn, ort_check("SWRN", 0, 1e-3f))

CASE(test_ort_int8_abpn, ort_check("ABPN", 1, 3.f))

CASE(test_ort_int8_swrn, ort_check("SWRN", 1, 3.f))

CASE(test_ort_mvsr13, ort_check("MVSR_13", 0, 1e-3f))

/* Export @p g (named @p name) as FP32 TFLite and hand the file to Arm NN's
 * TfLiteParser (scripts/tflite_check.py, Debian python3-pyarmnn), the
 * independent reader, with the inputs run() feeds (seed 11; TFLite is NHWC
 * like vsrbench). Returns the script's exit code, its stdout in *@p text
 * (caller frees) and its outputs (concatenated) in *@p out. */
static int armnn_run(const vsr_graph *g, const char *name, char **text, float **out,
                     size_t n_out)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    if (system("/usr/bin/python3 -c 'import pyarmnn' >/dev/null 2>&1") != 0)
        VSR_SKIP("python3-pyarmnn is not installed (scripts/deps.sh installs it)");
    vsr_error err = {0};
    char path[512], cmd[4096], outp[512], listing[512];
    snprintf(path, sizeof(path), "%s/%s_armnn.tflite", tmpdir, name);
    snprintf(outp, sizeof(outp), "%s/%s_armnn.out.f32", tmpdir, name);
    snprintf(listing, sizeof(listing), "%s/%s_armnn.txt", tmpdir, name);
    if (vsr_models_export_tflite(g, H, W, path, &err))
        fail_msg("%s: %s", name, err.msg);
    int len =
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/scripts/tflite_check.py' '%s' '%s'",
                 src, path, outp);
    write_nhwc_inputs(g, name, "_armnn", cmd, sizeof(cmd), &len);
    snprintf(cmd + len, sizeof(cmd) - (size_t)len, " > '%s' 2> '%s.err'", listing, listing);
    int st = system(cmd);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc == 3)
        VSR_SKIP("python3-pyarmnn is not installed (scripts/deps.sh installs it)");
    *text = vsr_test_slurp(listing);
    assert_non_null(*text);
    print_message("%s", *text);
    if (rc != 0 && rc != 4) { /* what Arm NN said */
        char errp[600];
        snprintf(errp, sizeof(errp), "%s.err", listing);
        char *e = vsr_test_slurp(errp);
        print_message("%s", e ? e : "");
        free(e);
    }
    *out = NULL;
    if (rc == 0) {
        *out = read_f32(outp, n_out);
    }
    return rc;
}

/* Line @p key (e.g. "input ") after *@p at ends in " @p shape": step past it. */
static void expect_shape(const char **at, const char *key, int h, int w, int c)
{
    char want[64];
    snprintf(want, sizeof(want), " 1x%dx%dx%d\n", h, w, c);
    *at = strstr(*at, key);
    assert_non_null(*at);
    const char *eol = strchr(*at, '\n'), *hit = strstr(*at, want);
    assert_non_null(hit);
    assert_true(hit + strlen(want) - 1 == eol);
    *at = eol;
}

/* A graph of the ops an ABPN body is made of, without its final
 * depth-to-space (which Debian's Arm NN cannot run): conv 3x3 with fused
 * ReLU, conv 3x3, the input repeated 4x by concatenation (ABPN's anchor),
 * add, clip to 0..255. Arm NN must accept it, report vsrbench's shapes,
 * make 2 convolution layers, and compute on its reference CPU backend what
 * vsrbench computes, within 1e-3 (pixel scale 0..255; each conv sums in
 * another order). */
static void test_armnn_body(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_graph_create("abpn_body", &g, &err), 0);
    int x = vsr_graph_input(g, "in", H, W, 3, &err);
    vsr_conv_params p = vsr_conv_default(12, 3);
    p.act.type = VSR_ACT_RELU;
    int a = vsr_graph_conv2d(g, "conv1", x, &p, &err);
    p.act.type = VSR_ACT_NONE;
    int b = vsr_graph_conv2d(g, "conv2", a, &p, &err);
    int xs[4] = {x, x, x, x};
    int anchor = vsr_graph_concat(g, "anchor", 4, xs, &err);
    int s = vsr_graph_add(g, "add", b, anchor, &err);
    int y = vsr_graph_clip(g, "clip", s, 0.f, 255.f, &err);
    if (y < 0 || vsr_graph_output(g, "out", y, &err) < 0 ||
        vsr_models_random_weights(g, 7, &err))
        fail_msg("abpn_body: %s", err.msg);
    size_t n;
    float *ref = run(g, 11, &n);
    assert_int_equal(n, (size_t)H * W * 12);
    char *text;
    float *arm;
    assert_int_equal(armnn_run(g, "abpn_body", &text, &arm, n), 0);
    const char *at = text;
    expect_shape(&at, "input ", H, W, 3);
    expect_shape(&at, "output ", H, W, 12);
    int convs = 0;
    for (const char *q = text; (q = strstr(q, "layer Convolution2d\n")); q++)
        convs++;
    assert_int_equal(convs, 2);
    assert_non_null(strstr(text, "layer Concat\n"));
    assert_non_null(strstr(text, "layer Addition\n"));
    float maxd = 0, maxv = 0;
    for (size_t k = 0; k < n; k++) {
        maxd = fmaxf(maxd, fabsf(ref[k] - arm[k]));
        maxv = fmaxf(maxv, fabsf(ref[k]));
    }
    print_message("abpn_body in Arm NN (CpuRef): max |Arm NN - vsrbench| = %g (max |out| %g)\n",
                  (double)maxd, (double)maxv);
    assert_true(maxv > 0.01f);
    assert_true(maxd <= 1e-3f);
    free(text);
    free(ref);
    free(arm);
    vsr_graph_free(&g);
}

/* Zoo model @p name exported as FP32 TFLite: Arm NN's verifier accepts the
 * flatbuffer and its parser reads every operator up to the first
 * DEPTH_TO_SPACE, the op Debian's Arm NN 20.08 lacks, at index @p d2s_at
 * (-1: not checked), and at no other kind of op. */
static void armnn_zoo(const char *name, int d2s_at)
{
    vsr_graph *g = zoo_random(name);
    char *text;
    float *out;
    assert_int_equal(armnn_run(g, name, &text, &out, 0), 4);
    /* 5: DEPTH_TO_SPACE in TFLite's schema.fbs (enum BuiltinOperator), as Arm NN read it */
    int at = -1, code = -1;
    assert_int_equal(
        sscanf(text, "unsupported DEPTH_TO_SPACE (builtin code %d) at operator %d", &code, &at),
        2);
    assert_int_equal(code, 5);
    if (d2s_at >= 0)
        assert_int_equal(at, d2s_at);
    free(text);
    vsr_graph_free(&g);
}

/* ABPN: 7 convs, the anchor concat and the add come before its depth-to-space */
CASE(test_armnn_abpn, armnn_zoo("ABPN", 9))

CASE(test_armnn_swrn, armnn_zoo("SWRN", -1))

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
    /* INT8 without quantization parameters: -EINVAL saying how to get them, no file */
    vsr_models_export_options xo = {.precision = VSR_MODELS_EXPORT_INT8};
    assert_int_equal(vsr_models_random_weights(g, 7, &err), 0);
    assert_int_equal(vsr_models_export_tflite_ex(g, 8, 8, path, &xo, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "TFLite INT8 export of 'ABPN'"));
    assert_non_null(strstr(err.msg, "run calibration"));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(vsr_models_export_onnx_ex(g, 8, 8, path, &xo, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "ONNX INT8 export of 'ABPN'"));
    assert_int_equal(access(path, F_OK), -1);
    vsr_graph_free(&g);
    /* --precision names */
    vsr_models_export_precision pr = VSR_MODELS_EXPORT_FP32;
    assert_int_equal(vsr_models_export_precision_parse("int8", &pr, &err), 0);
    assert_int_equal(pr, VSR_MODELS_EXPORT_INT8);
    assert_string_equal(vsr_models_export_precision_name(pr), "int8");
    assert_int_equal(vsr_models_export_precision_parse("fp32", &pr, &err), 0);
    assert_int_equal(pr, VSR_MODELS_EXPORT_FP32);
    assert_int_equal(vsr_models_export_precision_parse("int4", &pr, &err), -EINVAL);
    assert_string_equal(err.msg, "export precision 'int4': expected fp32 or int8");
}

/* INT8: an op the engine cannot run in integers the TFLite way (a sigmoid
 * fused into a conv, computed in FP32 on the accumulator) is refused, named */
static void test_int8_unsupported(void **state)
{
    (void)state;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_graph_create("sg", &g, &err), 0);
    int x = vsr_graph_input(g, "in", 8, 8, 3, &err);
    vsr_conv_params p = vsr_conv_default(4, 3);
    p.act.type = VSR_ACT_SIGMOID;
    int y = vsr_graph_conv2d(g, "gate", x, &p, &err);
    assert_true(y >= 0);
    assert_int_equal(vsr_graph_output(g, "out", y, &err), 0);
    assert_int_equal(vsr_models_random_weights(g, 3, &err), 0);
    assert_int_equal(vsr_graph_set_quant(g, y, 1.f / 256, -128, &err), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/sg.tflite", tmpdir);
    vsr_models_export_options xo = {.precision = VSR_MODELS_EXPORT_INT8};
    assert_int_equal(vsr_models_export_tflite_ex(g, 8, 8, path, &xo, NULL, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "node 'gate' (conv2d)"));
    assert_int_equal(access(path, F_OK), -1);
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abpn),
        cmocka_unit_test(test_elsr),
        cmocka_unit_test(test_quicksrnet),
        cmocka_unit_test(test_swrn),
        cmocka_unit_test(test_unsupported_op),
        cmocka_unit_test(test_ort_abpn),
        cmocka_unit_test(test_ort_swrn),
        cmocka_unit_test(test_int8_tflite_abpn),
        cmocka_unit_test(test_int8_tflite_swrn),
        cmocka_unit_test(test_int8_tflite_mvsr13),
        cmocka_unit_test(test_calib_tflite_ties),
        cmocka_unit_test(test_int8_onnx_abpn),
        cmocka_unit_test(test_int8_onnx_swrn),
        cmocka_unit_test(test_ort_int8_abpn),
        cmocka_unit_test(test_ort_int8_swrn),
        cmocka_unit_test(test_tflite_int8_phone_ptq),
        cmocka_unit_test(test_tflite_int8_phone_qat),
        cmocka_unit_test(test_int8_unsupported),
        cmocka_unit_test(test_mvsr13),
        cmocka_unit_test(test_ort_mvsr13),
        cmocka_unit_test(test_ref_py_int8),
        cmocka_unit_test(test_litert_fp32),
        cmocka_unit_test(test_litert_int8),
        cmocka_unit_test(test_armnn_body),
        cmocka_unit_test(test_armnn_abpn),
        cmocka_unit_test(test_armnn_swrn),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
