/*
 * Readers: .npy and TFLite on the shared weight files, checked against the
 * *.dump.txt listings and manifest.json that ship with them, plus corrupt
 * inputs (errors, never crashes - run under ASan).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "vsr/models.h"

/* ---- npy ---------------------------------------------------------------- */

static size_t make_npy(unsigned char *buf, int major, const char *dict, const void *data,
                       size_t nbytes)
{
    size_t hoff = major == 1 ? 10 : 12;
    size_t dl = strlen(dict);
    size_t total = hoff + dl + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = dl + pad + 1;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    if (major == 1) {
        buf[8] = (unsigned char)(hlen & 0xff);
        buf[9] = (unsigned char)(hlen >> 8);
    } else {
        buf[8] = (unsigned char)(hlen & 0xff);
        buf[9] = (unsigned char)(hlen >> 8);
        buf[10] = buf[11] = 0;
    }
    memcpy(buf + hoff, dict, dl);
    memset(buf + hoff + dl, ' ', pad);
    buf[hoff + hlen - 1] = '\n';
    memcpy(buf + hoff + hlen, data, nbytes);
    return hoff + hlen + nbytes;
}

static void test_npy_synthetic(void **state)
{
    (void)state;
    unsigned char buf[512];
    vsr_models_npy a;
    vsr_error err = {0};
    /* v2 header, int16, shape (2, 3) */
    int16_t v[6] = {1, -2, 3, -4, 5, 32767};
    size_t n = make_npy(buf, 2, "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }",
                        v, sizeof(v));
    assert_int_equal(vsr_models_npy_parse(buf, n, "t", &a, &err), 0);
    assert_int_equal(a.dtype, VSR_MODELS_DT_I16);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    float *f;
    assert_int_equal(vsr_models_npy_to_f32(&a, &f, &err), 0);
    assert_true(f[1] == -2.0f && f[5] == 32767.0f);
    free(f);
    vsr_models_npy_free(&a);
    /* v3, float16: 1.0 = 0x3c00, -2.5 = 0xc100 */
    uint16_t h[2] = {0x3c00, 0xc100};
    n = make_npy(buf, 3, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", h, 4);
    assert_int_equal(vsr_models_npy_parse(buf, n, "t", &a, &err), 0);
    assert_int_equal(vsr_models_npy_to_f32(&a, &f, &err), 0);
    assert_true(f[0] == 1.0f && f[1] == -2.5f);
    free(f);
    vsr_models_npy_free(&a);
    /* fortran order, big-endian, missing data, bad magic: errors */
    float z[4] = {0};
    n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", z, 16);
    assert_int_equal(vsr_models_npy_parse(buf, n, "t", &a, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "fortran"));
    n = make_npy(buf, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", z, 16);
    assert_int_equal(vsr_models_npy_parse(buf, n, "t", &a, &err), -ENOTSUP);
    n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", z, 16);
    assert_int_equal(vsr_models_npy_parse(buf, n, "t", &a, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "truncated"));
    buf[1] = 'X';
    assert_int_equal(vsr_models_npy_parse(buf, n, "t", &a, &err), -EINVAL);
    /* every truncation of a valid file is an error, never a crash */
    n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", z, 16);
    for (size_t k = 0; k < n; k++)
        assert_true(vsr_models_npy_parse(buf, k, "t", &a, &err) < 0);
}

/* Hostile .npy headers (issue 21): a shape whose byte count overflows
 * size_t, and a shape claiming more data than the file holds. Both are also
 * committed under tests/fuzz/regress/npy/. */
static void test_npy_hostile(void **state)
{
    (void)state;
    unsigned char buf[512];
    vsr_models_npy a;
    vsr_error err = {0};
    char path[1024];
    float z[4] = {0};
    /* 2^31 x 2^31 x 2^31 elements of 4 bytes: 2^95 bytes, beyond size_t
     * (each dim passes the reader's 2^31 per-dim limit) */
    size_t n = make_npy(buf, 1,
                        "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, "
                        "2147483648, 2147483648), }",
                        z, 16);
    vsr_test_regress("npy/shape_overflow.npy", buf, n, path, sizeof(path));
    assert_int_equal(vsr_models_npy_read(path, &a, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "overflows");
    VSR_ASSERT_ONE_LINE(err.msg, "shape_overflow.npy");
    /* (2^31, 2^31) int8 = 2^62 bytes: fits size_t, not the 16-byte file */
    n = make_npy(buf, 1,
                 "{'descr': '|i1', 'fortran_order': False, 'shape': (2147483648, 2147483648), "
                 "}",
                 z, 16);
    vsr_test_regress("npy/data_truncated.npy", buf, n, path, sizeof(path));
    assert_int_equal(vsr_models_npy_read(path, &a, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "needs 4611686018427387904 bytes, the file holds 16");
}

/* Sum of elements over the files manifest.json lists = the model's params. */
static void check_npy_dir(const char *dir, const char *const *files, int nfiles,
                          size_t expect_total)
{
    size_t total = 0;
    for (int i = 0; i < nfiles; i++) {
        char p[1024];
        int n = snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        assert_true(n > 0 && (size_t)n < sizeof(p));
        vsr_models_npy a;
        vsr_error err = {0};
        int rc = vsr_models_npy_read(p, &a, &err);
        if (rc)
            print_message("%s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(a.dtype, VSR_MODELS_DT_F32);
        total += a.count;
        vsr_models_npy_free(&a);
    }
    assert_int_equal(total, expect_total);
}

static void test_npy_swrn(void **state)
{
    (void)state;
    char dir[1024];
    VSR_SKIP_WITHOUT_SHARED(dir, "data/weights/swrn/npy");
    char p[1100];
    snprintf(p, sizeof(p), "%s/model__conv_last__kernel.npy", dir);
    vsr_models_npy a;
    vsr_error err = {0};
    assert_int_equal(vsr_models_npy_read(p, &a, &err), 0);
    /* manifest.json: shape [3, 3, 16, 48] */
    assert_int_equal(a.ndim, 4);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[2], 16);
    assert_int_equal(a.shape[3], 48);
    assert_int_equal(a.count, 6912);
    /* values read independently with python3 struct.unpack('<6912f') */
    const float *f = a.data;
    assert_float_equal(f[0], 0.019368667155504227, 1e-9);
    assert_float_equal(f[6911], 0.0003435031685512513, 1e-12);
    vsr_models_npy_free(&a);
    snprintf(p, sizeof(p), "%s/save_counter.npy", dir);
    assert_int_equal(vsr_models_npy_read(p, &a, &err), 0);
    assert_int_equal(a.dtype, VSR_MODELS_DT_I64);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    vsr_models_npy_free(&a);
    /* the 30 weight tensors of the checkpoint hold 43,472 params (docs/MODEL_SPECS.md 2.1) */
    static const char *const files[] = {
        "model__conv_first_forward__kernel.npy",
        "model__conv_first_forward__bias.npy",
        "model__conv_first_backward__kernel.npy",
        "model__conv_first_backward__bias.npy",
        "model__conv_hidden_forward__kernel.npy",
        "model__conv_hidden_forward__bias.npy",
        "model__conv_hidden_backward__kernel.npy",
        "model__conv_hidden_backward__bias.npy",
        "model__conv_fusion__kernel.npy",
        "model__conv_fusion__bias.npy",
        "model__conv_last__kernel.npy",
        "model__conv_last__bias.npy",
        "model__recon_trunk__layer_with_weights-0__conv__kernel.npy",
        "model__recon_trunk__layer_with_weights-0__conv__bias.npy",
        "model__recon_trunk__layer_with_weights-1__conv__kernel.npy",
        "model__recon_trunk__layer_with_weights-1__conv__bias.npy",
        "model__recon_trunk__layer_with_weights-2__conv__kernel.npy",
        "model__recon_trunk__layer_with_weights-2__conv__bias.npy",
        "model__recon_trunk_forward__layer_with_weights-0__conv__kernel.npy",
        "model__recon_trunk_forward__layer_with_weights-0__conv__bias.npy",
        "model__recon_trunk_forward__layer_with_weights-1__conv__kernel.npy",
        "model__recon_trunk_forward__layer_with_weights-1__conv__bias.npy",
        "model__recon_trunk_forward__layer_with_weights-2__conv__kernel.npy",
        "model__recon_trunk_forward__layer_with_weights-2__conv__bias.npy",
        "model__recon_trunk_backward__layer_with_weights-0__conv__kernel.npy",
        "model__recon_trunk_backward__layer_with_weights-0__conv__bias.npy",
        "model__recon_trunk_backward__layer_with_weights-1__conv__kernel.npy",
        "model__recon_trunk_backward__layer_with_weights-1__conv__bias.npy",
        "model__recon_trunk_backward__layer_with_weights-2__conv__kernel.npy",
        "model__recon_trunk_backward__layer_with_weights-2__conv__bias.npy",
    };
    check_npy_dir(dir, files, 30, 43472);
}

static void test_npy_abpn(void **state)
{
    (void)state;
    char dir[1024];
    VSR_SKIP_WITHOUT_SHARED(dir, "data/weights/abpn_x3/fp32_npy");
    static const char *const files[] = {
        "layer_with_weights-0__kernel.npy", "layer_with_weights-0__bias.npy",
        "layer_with_weights-1__kernel.npy", "layer_with_weights-1__bias.npy",
        "layer_with_weights-2__kernel.npy", "layer_with_weights-2__bias.npy",
        "layer_with_weights-3__kernel.npy", "layer_with_weights-3__bias.npy",
        "layer_with_weights-4__kernel.npy", "layer_with_weights-4__bias.npy",
        "layer_with_weights-5__kernel.npy", "layer_with_weights-5__bias.npy",
        "layer_with_weights-6__kernel.npy", "layer_with_weights-6__bias.npy",
    };
    /* manifest.json: "model_parameter_count": 42539 */
    check_npy_dir(dir, files, 14, 42539);
    char p[1100];
    snprintf(p, sizeof(p), "%s/layer_with_weights-0__bias.npy", dir);
    vsr_models_npy a;
    vsr_error err = {0};
    assert_int_equal(vsr_models_npy_read(p, &a, &err), 0);
    assert_int_equal(a.count, 28);
    assert_float_equal(((float *)a.data)[1], 12.08267879486084, 1e-5);
    vsr_models_npy_free(&a);
}

/* ---- TFLite -------------------------------------------------------------- */

static int rel_close(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fabs(b);
}

static void scale_minmax(const vsr_models_tfl_tensor *t, double *lo, double *hi)
{
    *lo = *hi = t->q.scale[0];
    for (int i = 1; i < t->q.n; i++) {
        *lo = t->q.scale[i] < *lo ? t->q.scale[i] : *lo;
        *hi = t->q.scale[i] > *hi ? t->q.scale[i] : *hi;
    }
}

static void test_tflite_abpn_qat(void **state)
{
    (void)state;
    char p[1024];
    VSR_SKIP_WITHOUT_SHARED(p, "data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3_qat.tflite");
    vsr_models_tflite m;
    vsr_error err = {0};
    int rc = vsr_models_tflite_read(p, &m, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    /* base7_D4C28_bs16ps64_lr1e-3_qat.dump.txt */
    assert_int_equal(m.version, 3);
    assert_string_equal(m.description, "MLIR Converted.");
    assert_int_equal(m.n_tensors, 30);
    assert_int_equal(m.n_ops, 14);
    assert_int_equal(m.n_inputs, 1);
    assert_int_equal(m.inputs[0], 0);
    assert_int_equal(m.outputs[0], 29);
    static const char *const ops[] = {"QUANTIZE", "CONCATENATION", "CONV_2D",        "CONV_2D",
                                      "CONV_2D",  "CONV_2D",       "CONV_2D",        "CONV_2D",
                                      "CONV_2D",  "ADD",           "DEPTH_TO_SPACE", "MINIMUM",
                                      "RELU",     "QUANTIZE"};
    for (int i = 0; i < 14; i++)
        assert_string_equal(m.ops[i].opname, ops[i]);
    assert_int_equal(m.ops[1].n_inputs, 9);
    assert_int_equal(m.ops[1].opt.axis, 3);
    for (int i = 2; i <= 8; i++) {
        assert_int_equal(m.ops[i].opt.padding, 0);
        assert_int_equal(m.ops[i].opt.stride_w, 1);
        assert_int_equal(m.ops[i].opt.act, i < 8 ? VSR_TFL_ACT_RELU : VSR_TFL_ACT_NONE);
    }
    assert_int_equal(m.ops[10].opt.block_size, 3);
    const vsr_models_tfl_tensor *t = &m.tensors[0];
    assert_int_equal(t->type, VSR_TFL_UINT8);
    assert_int_equal(t->sig_ndim, 4);
    assert_int_equal(t->shape_signature[1], -1);
    assert_int_equal(t->shape_signature[3], 3);
    t = &m.tensors[1];
    assert_int_equal(t->type, VSR_TFL_INT8);
    assert_int_equal(t->q.n, 1);
    assert_true(t->q.scale[0] == 1.0f && t->q.zero_point[0] == -128);
    /* T3 INT8 [28, 3, 3, 3] CONST per-channel(dim 0) n=28 scale[min,max]=[0.001151,0.1348] */
    t = &m.tensors[3];
    assert_int_equal(t->type, VSR_TFL_INT8);
    assert_int_equal(t->ndim, 4);
    assert_int_equal(t->shape[0], 28);
    assert_int_equal(t->shape[3], 3);
    assert_non_null(t->data);
    assert_int_equal(t->data_len, 28 * 27);
    assert_int_equal(t->q.n, 28);
    assert_int_equal(t->q.quantized_dimension, 0);
    double lo, hi;
    scale_minmax(t, &lo, &hi);
    assert_true(rel_close(lo, 0.001151, 5e-4) && rel_close(hi, 0.1348, 5e-4));
    /* T22 INT32 [27] bias scale[min,max]=[0.003448,0.005448] */
    t = &m.tensors[22];
    assert_int_equal(t->type, VSR_TFL_INT32);
    assert_int_equal(t->q.n, 27);
    scale_minmax(t, &lo, &hi);
    assert_true(rel_close(lo, 0.003448, 5e-4) && rel_close(hi, 0.005448, 5e-4));
    /* T5 per-tensor scale=1.3299947 zp=-128; T23 scale=1.1556547 zp=-3 */
    assert_true(rel_close(m.tensors[5].q.scale[0], 1.3299947, 1e-7));
    assert_int_equal(m.tensors[5].q.zero_point[0], -128);
    assert_true(rel_close(m.tensors[23].q.scale[0], 1.1556547, 1e-7));
    assert_int_equal(m.tensors[23].q.zero_point[0], -3);
    /* T29 UINT8 scale=0.99868745 zp=0 */
    assert_int_equal(m.tensors[29].type, VSR_TFL_UINT8);
    assert_true(rel_close(m.tensors[29].q.scale[0], 0.99868745, 1e-7));
    assert_true(strstr(m.tensors[28].name, "Identity1") == m.tensors[28].name);
    assert_int_equal(vsr_models_tflite_const_elements(&m), 42540);
    vsr_models_tflite_free(&m);
}

static void test_tflite_mobilerrn(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int ch;
        size_t consts;
    } files[] = {{"data/weights/mobilerrn/rrn_16.tflite", 16, 35679},
                 {"data/weights/mobilerrn/rrn_32.tflite", 32, 126591},
                 {"data/weights/mobilerrn/rrn_64.tflite", 64, 474303}};
    for (int f = 0; f < 3; f++) {
        char p[1024];
        VSR_SKIP_WITHOUT_SHARED(p, files[f].file);
        vsr_models_tflite m;
        vsr_error err = {0};
        assert_int_equal(vsr_models_tflite_read(p, &m, &err), 0);
        assert_int_equal(m.n_tensors, 59);
        assert_int_equal(m.n_ops, 26);
        assert_int_equal(m.n_inputs, 2);
        assert_int_equal(m.outputs[0], 58);
        assert_int_equal(m.outputs[1], 54);
        const vsr_models_tfl_tensor *t = &m.tensors[0];
        assert_int_equal(t->type, VSR_TFL_FLOAT32);
        assert_int_equal(t->shape[1], 320);
        assert_int_equal(t->shape[2], 180);
        assert_int_equal(t->shape[3], 6);
        assert_int_equal(m.tensors[1].shape[3], files[f].ch);
        assert_string_equal(m.ops[0].opname, "STRIDED_SLICE");
        assert_string_equal(m.ops[20].opname, "DEPTH_TO_SPACE");
        assert_int_equal(m.ops[20].opt.block_size, 4);
        assert_string_equal(m.ops[22].opname, "RESIZE_BILINEAR");
        assert_int_equal(m.ops[22].opt.half_pixel_centers, 1);
        assert_int_equal(m.ops[22].opt.align_corners, 0);
        assert_string_equal(m.ops[24].opname, "MINIMUM");
        assert_int_equal(vsr_models_tflite_const_elements(&m), files[f].consts);
        vsr_models_tflite_free(&m);
    }
}

/* Truncations and random byte flips: always a clean error or a clean parse. */
static void test_tflite_corrupt(void **state)
{
    (void)state;
    char p[1024];
    VSR_SKIP_WITHOUT_SHARED(p, "data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3_qat.tflite");
    unsigned char *buf;
    size_t len;
    vsr_error err = {0};
    assert_int_equal(vsr_read_file(p, SIZE_MAX, 0, &buf, &len, &err), 0);
    vsr_models_tflite m;
    for (size_t cut = 0; cut < len; cut += 1 + cut / 16)
        assert_true(vsr_models_tflite_parse(buf, cut, "cut", &m, &err) < 0);
    unsigned char *c = malloc(len);
    uint64_t s = 12345;
    int errors = 0;
    for (int it = 0; it < 300; it++) {
        memcpy(c, buf, len);
        for (int k = 0; k < 4; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            /* flip bytes in the structural part (tables sit outside the big buffers) */
            size_t pos = (size_t)(s >> 33) % len;
            c[pos] ^= (unsigned char)(1u << ((s >> 20) & 7));
        }
        if (vsr_models_tflite_parse(c, len, "flip", &m, &err) < 0)
            errors++;
        else
            vsr_models_tflite_free(&m);
    }
    print_message("corrupted copies rejected: %d of 300\n", errors);
    free(c);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_synthetic),    cmocka_unit_test(test_npy_swrn),
        cmocka_unit_test(test_npy_abpn),         cmocka_unit_test(test_tflite_abpn_qat),
        cmocka_unit_test(test_tflite_mobilerrn), cmocka_unit_test(test_tflite_corrupt),
        cmocka_unit_test(test_npy_hostile),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
