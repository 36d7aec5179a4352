/*
 * Hostile model files (issue 21): TFLite files crafted here with a tiny
 * flatbuffer writer, and a .vsrw with a shape whose size wraps. Each must be
 * a one-line -EINVAL naming the problem, never a crash (run under ASan).
 * Every crafted file is also committed under tests/fuzz/regress/ (the fuzz
 * targets replay those folders); vsr_test_regress() asserts the committed
 * bytes are the ones crafted here.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <zlib.h>

#include "cli_harness.h"
#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/* ---- a minimal front-to-back flatbuffer writer ------------------------------
 * Objects are appended in order; a reference (uoffset) is written as a
 * placeholder and patched once its target is appended after it, so every
 * offset points forward as the format requires. */

typedef struct fbw {
    uint8_t *b;
    size_t n, cap;
} fbw;

static size_t w_raw(fbw *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 256;
        w->b = realloc(w->b, w->cap);
        assert_non_null(w->b);
    }
    size_t at = w->n;
    if (p)
        memcpy(w->b + at, p, n);
    else
        memset(w->b + at, 0, n);
    w->n += n;
    return at;
}

static void w_set32(fbw *w, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w->b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static size_t w_u32(fbw *w, uint32_t v)
{
    size_t at = w_raw(w, NULL, 4);
    w_set32(w, at, v);
    return at;
}

/* Point the placeholder at @p field to @p target (appended later). */
static void w_ref(fbw *w, size_t field, size_t target)
{
    assert_true(target > field);
    w_set32(w, field, (uint32_t)(target - field));
}

typedef struct wtab {
    size_t vt, pos;
} wtab;

/* A table with @p nf field slots: its vtable, then its soffset. */
static wtab t_begin(fbw *w, int nf)
{
    wtab t;
    t.vt = w_raw(w, NULL, 4 + 2 * (size_t)nf);
    w->b[t.vt] = (uint8_t)(4 + 2 * nf);
    t.pos = w_u32(w, 0);
    w_set32(w, t.pos, (uint32_t)(t.pos - t.vt));
    return t;
}

/* Field @p idx holding @p n bytes at @p v (NULL: a reference placeholder). */
static size_t t_field(fbw *w, const wtab *t, int idx, const void *v, size_t n)
{
    size_t at = w_raw(w, v, n);
    size_t fo = at - t->pos;
    w->b[t->vt + 4 + 2 * (size_t)idx] = (uint8_t)fo;
    w->b[t->vt + 5 + 2 * (size_t)idx] = (uint8_t)(fo >> 8);
    return at;
}

static void t_u32(fbw *w, const wtab *t, int idx, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    t_field(w, t, idx, b, 4);
}

static void t_u8(fbw *w, const wtab *t, int idx, uint8_t v)
{
    t_field(w, t, idx, &v, 1);
}

/* A vector: count then @p n elements of @p es bytes at @p p. */
static size_t w_vec(fbw *w, const void *p, uint32_t n, size_t es)
{
    size_t at = w_u32(w, n);
    w_raw(w, p, (size_t)n * es);
    return at;
}

static size_t w_i32s(fbw *w, const int32_t *v, uint32_t n)
{
    size_t at = w_u32(w, n);
    for (uint32_t i = 0; i < n; i++)
        w_u32(w, (uint32_t)v[i]);
    return at;
}

static size_t w_str(fbw *w, const char *s)
{
    size_t at = w_vec(w, s, (uint32_t)strlen(s), 1);
    w_raw(w, NULL, 1);
    return at;
}

/* ---- a one-op (or chained) CONV_2D model ------------------------------------ */

typedef struct conv_spec {
    int32_t wshape[4]; /* OHWI */
    int wtype;
    const void *wdata;
    size_t wlen;
    const float *scales;
    int nscale;
    const int64_t *zps;
    int nzp;
    int qdim;
    int cin, cout; /* channels of the activation tensors */
    int nbias;     /* 0: no bias; else a FLOAT32 bias of nbias elements */
    int n_convs;   /* 1, or that many convs in a chain sharing the filter */
} conv_spec;

/* Tensors: T0 input, T1 filter "w", T2 bias "b", T3.. conv outputs.
 * Buffers: 0 empty, 1 filter bytes, 2 bias bytes. */
static uint8_t *build_conv(const conv_spec *c, size_t *len)
{
    fbw w = {0};
    const int nconv = c->n_convs ? c->n_convs : 1;
    const int nt = 3 + nconv;
    size_t root = w_u32(&w, 0);
    w_raw(&w, "TFL3", 4);

    wtab model = t_begin(&w, 5);
    w_ref(&w, root, model.pos);
    root = 0;
    t_u32(&w, &model, 0, 3);
    size_t f_codes = t_field(&w, &model, 1, NULL, 4);
    size_t f_sgs = t_field(&w, &model, 2, NULL, 4);
    size_t f_bufs = t_field(&w, &model, 4, NULL, 4);

    /* operator_codes: [CONV_2D] */
    size_t v = w_u32(&w, 1);
    w_ref(&w, f_codes, v);
    size_t slot = w_u32(&w, 0);
    wtab oc = t_begin(&w, 4);
    w_ref(&w, slot, oc.pos);
    t_u8(&w, &oc, 0, VSR_TFL_CONV_2D);
    t_u32(&w, &oc, 3, VSR_TFL_CONV_2D);

    /* subgraphs: [one] */
    v = w_u32(&w, 1);
    w_ref(&w, f_sgs, v);
    slot = w_u32(&w, 0);
    wtab sg = t_begin(&w, 5);
    w_ref(&w, slot, sg.pos);
    size_t f_tensors = t_field(&w, &sg, 0, NULL, 4);
    size_t f_in = t_field(&w, &sg, 1, NULL, 4);
    size_t f_out = t_field(&w, &sg, 2, NULL, 4);
    size_t f_ops = t_field(&w, &sg, 3, NULL, 4);

    v = w_u32(&w, (uint32_t)nt);
    w_ref(&w, f_tensors, v);
    size_t tslot = w.n;
    for (int i = 0; i < nt; i++)
        w_u32(&w, 0);
    for (int i = 0; i < nt; i++) {
        int32_t act_in[4] = {1, 8, 8, c->cin}, act_out[4] = {1, 8, 8, c->cout};
        int32_t bshape[1] = {c->nbias};
        const int32_t *shape = i == 0 ? act_in : i == 1 ? c->wshape : i == 2 ? bshape : act_out;
        int ndim = i == 2 ? 1 : 4;
        int type = i == 1 ? c->wtype : VSR_TFL_FLOAT32;
        uint32_t buf = i == 1 ? 1 : i == 2 && c->nbias ? 2 : 0;
        char name[16];
        snprintf(name, sizeof(name), "%s", i == 1 ? "w" : i == 2 ? "b" : i == 0 ? "in" : "out");
        wtab t = t_begin(&w, 5);
        w_ref(&w, tslot + 4 * (size_t)i, t.pos);
        size_t f_shape = t_field(&w, &t, 0, NULL, 4);
        t_u8(&w, &t, 1, (uint8_t)type);
        t_u32(&w, &t, 2, buf);
        size_t f_name = t_field(&w, &t, 3, NULL, 4);
        int quant = i == 1 && (c->nscale || c->nzp);
        size_t f_q = quant ? t_field(&w, &t, 4, NULL, 4) : 0;
        w_ref(&w, f_shape, w_i32s(&w, shape, (uint32_t)ndim));
        w_ref(&w, f_name, w_str(&w, name));
        if (quant) {
            wtab q = t_begin(&w, 7);
            w_ref(&w, f_q, q.pos);
            size_t f_s = t_field(&w, &q, 2, NULL, 4);
            size_t f_z = t_field(&w, &q, 3, NULL, 4);
            t_u32(&w, &q, 6, (uint32_t)c->qdim);
            w_ref(&w, f_s, w_vec(&w, c->scales, (uint32_t)c->nscale, 4));
            w_ref(&w, f_z, w_vec(&w, c->zps, (uint32_t)c->nzp, 8));
        }
    }
    int32_t in0 = 0, outl = nt - 1;
    w_ref(&w, f_in, w_i32s(&w, &in0, 1));
    w_ref(&w, f_out, w_i32s(&w, &outl, 1));

    v = w_u32(&w, (uint32_t)nconv);
    w_ref(&w, f_ops, v);
    size_t oslot = w.n;
    for (int k = 0; k < nconv; k++)
        w_u32(&w, 0);
    for (int k = 0; k < nconv; k++) {
        wtab op = t_begin(&w, 5);
        w_ref(&w, oslot + 4 * (size_t)k, op.pos);
        t_u32(&w, &op, 0, 0);
        size_t f_oi = t_field(&w, &op, 1, NULL, 4);
        size_t f_oo = t_field(&w, &op, 2, NULL, 4);
        size_t f_opt = t_field(&w, &op, 4, NULL, 4);
        int32_t ins[3] = {k == 0 ? 0 : 3 + k - 1, 1, c->nbias ? 2 : -1}, outs[1] = {3 + k};
        w_ref(&w, f_oi, w_i32s(&w, ins, 3));
        w_ref(&w, f_oo, w_i32s(&w, outs, 1));
        wtab o = t_begin(&w, 4);
        w_ref(&w, f_opt, o.pos);
        t_u8(&w, &o, 0, 0); /* SAME */
        t_u32(&w, &o, 1, 1);
        t_u32(&w, &o, 2, 1);
        t_u8(&w, &o, 3, 0);
    }

    /* buffers: [empty, filter, bias] */
    v = w_u32(&w, 3);
    w_ref(&w, f_bufs, v);
    size_t bslot = w.n;
    for (int i = 0; i < 3; i++)
        w_u32(&w, 0);
    float bias[64] = {0};
    for (int i = 0; i < 3; i++) {
        wtab b = t_begin(&w, 1);
        w_ref(&w, bslot + 4 * (size_t)i, b.pos);
        if (i == 0 || (i == 2 && !c->nbias))
            continue;
        size_t f_d = t_field(&w, &b, 0, NULL, 4);
        if (i == 1)
            w_ref(&w, f_d, w_vec(&w, c->wdata, (uint32_t)c->wlen, 1));
        else
            w_ref(&w, f_d, w_vec(&w, bias, (uint32_t)c->nbias * 4, 1));
    }
    *len = w.n;
    return w.b;
}

/* Parse (and when that works, import) @p buf; the first error code. */
static int parse_import(const uint8_t *buf, size_t len, const char *what, vsr_error *err)
{
    vsr_models_tflite m;
    int rc = vsr_models_tflite_parse(buf, len, what, &m, err);
    if (rc)
        return rc;
    vsr_models_tflite_import opt = {8, 8, 1};
    vsr_graph *g = NULL;
    rc = vsr_models_import_tflite(&m, "hostile", &opt, &g, err);
    vsr_graph_free(&g);
    vsr_models_tflite_free(&m);
    return rc;
}

/* The control: a valid per-channel INT8 1x1 conv parses and imports to the
 * dequantized weights q * scale[o] (the importer's documented rule). */
static void test_valid_conv(void **state)
{
    (void)state;
    int8_t q[2 * 3] = {1, -2, 3, 4, 5, -6}; /* OHWI [2][1][1][3] */
    float sc[2] = {0.5f, 0.25f};
    int64_t zp[2] = {0, 0};
    conv_spec c = {{2, 1, 1, 3}, VSR_TFL_INT8, q, sizeof(q), sc, 2, zp, 2, 0, 3, 2, 2, 1};
    size_t len;
    uint8_t *buf = build_conv(&c, &len);
    vsr_models_tflite m;
    vsr_error err = {0};
    int rc = vsr_models_tflite_parse(buf, len, "valid.tflite", &m, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(m.n_tensors, 4);
    assert_int_equal(m.tensors[1].q.n, 2);
    vsr_models_tflite_import opt = {8, 8, 1};
    vsr_graph *g = NULL;
    rc = vsr_models_import_tflite(&m, "valid", &opt, &g, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    const float *wd;
    size_t n;
    assert_int_equal(vsr_graph_get_weight(g, "op0_conv_2d.weight", &wd, &n, &err), 0);
    assert_int_equal(n, 6);
    /* HWIO [1][1][3][2]: w[ic][oc] = q[oc][ic] * sc[oc] */
    for (int oc = 0; oc < 2; oc++)
        for (int ic = 0; ic < 3; ic++)
            assert_true(wd[ic * 2 + oc] == (float)q[oc * 3 + ic] * sc[oc]);
    vsr_graph_free(&g);
    vsr_models_tflite_free(&m);
    free(buf);
}

/*
 * Defect 1: dims 25376 x 347 x 1607 x 325905143 = 2^62 + 3168 (the prime
 * factors of 2^62 + 3168 are 2^5, 13, 61, 347, 1607, 325905143), so with
 * 4-byte floats the byte count is 2^64 + 12672, which wraps to 12672 = the
 * bytes of 3168 floats the file really holds.
 */
static void size_wrap_file(char *path, size_t cap)
{
    static float data[3168];
    conv_spec c = {.wshape = {25376, 347, 1607, 325905143},
                   .wtype = VSR_TFL_FLOAT32,
                   .wdata = data,
                   .wlen = sizeof(data),
                   .cin = 325905143,
                   .cout = 25376};
    size_t len;
    uint8_t *buf = build_conv(&c, &len);
    vsr_test_regress("tflite_parse/size_wrap.tflite", buf, len, path, cap);
    free(buf);
}

static void test_size_wrap(void **state)
{
    (void)state;
    char path[1024];
    size_wrap_file(path, sizeof(path));
    vsr_models_tflite m;
    vsr_error err = {0};
    assert_int_equal(vsr_models_tflite_read(path, &m, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "overflows");
    VSR_ASSERT_ONE_LINE(err.msg, "tensor 1 'w'");
    VSR_ASSERT_ONE_LINE(err.msg, "size_wrap.tflite");
    VSR_ASSERT_ONE_LINE(err.msg, "[25376, 347, 1607, 325905143]");
    /* no wrapped 20-digit size in the message */
    assert_null(strstr(err.msg, "18446744"));
}

/* Defect 2: 3 scales for a filter with 4 output channels (dim 0). */
static void test_scale_count(void **state)
{
    (void)state;
    int8_t q[4 * 2] = {1, 2, 3, 4, 5, 6, 7, 8};
    float sc[3] = {0.5f, 0.5f, 0.5f};
    conv_spec c = {{4, 1, 1, 2}, VSR_TFL_INT8, q, sizeof(q), sc, 3, NULL, 0, 0, 2, 4, 0, 1};
    size_t len;
    uint8_t *buf = build_conv(&c, &len);
    char path[1024];
    vsr_test_regress("tflite_import/scale_count.tflite", buf, len, path, sizeof(path));
    vsr_error err = {0};
    assert_int_equal(parse_import(buf, len, "scale_count.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "scale_count.tflite: tensor 1 'w': 3 scales for 4 channels");
    /* zero points: 2 for 4 scales */
    float sc4[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    int64_t zp2[2] = {0, 0};
    conv_spec c2 = {{4, 1, 1, 2}, VSR_TFL_INT8, q, sizeof(q), sc4, 4, zp2, 2, 0, 2, 4, 0, 1};
    uint8_t *b2 = build_conv(&c2, &len);
    assert_int_equal(parse_import(b2, len, "zp_count.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "2 zero points for 4 scales");
    free(b2);
    /* per-channel on dimension 3 (the input channels): the scale count matches
     * the dim, but the importer reads output channels: refused, not over-read */
    float sc2[2] = {0.5f, 0.5f};
    conv_spec c3 = {{4, 1, 1, 2}, VSR_TFL_INT8, q, sizeof(q), sc2, 2, NULL, 0, 3, 2, 4, 0, 1};
    b2 = build_conv(&c3, &len);
    assert_int_equal(parse_import(b2, len, "qdim.tflite", &err), -ENOTSUP);
    VSR_ASSERT_ONE_LINE(err.msg, "per channel on dimension 3");
    free(b2);
    /* quantized_dimension outside the 4 dims */
    conv_spec c4 = {{4, 1, 1, 2}, VSR_TFL_INT8, q, sizeof(q), sc4, 4, NULL, 0, 7, 2, 4, 0, 1};
    b2 = build_conv(&c4, &len);
    assert_int_equal(parse_import(b2, len, "qdim7.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "quantized_dimension 7 is outside its 4 dims");
    free(b2);
    /* a scale that is not finite and > 0 */
    float bad[4] = {0.5f, NAN, 0.5f, 0.5f};
    conv_spec c5 = {{4, 1, 1, 2}, VSR_TFL_INT8, q, sizeof(q), bad, 4, NULL, 0, 0, 2, 4, 0, 1};
    b2 = build_conv(&c5, &len);
    assert_int_equal(parse_import(b2, len, "nan.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "scale 1 is nan");
    free(b2);
    bad[1] = -1.0f;
    b2 = build_conv(&c5, &len);
    assert_int_equal(parse_import(b2, len, "neg.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "scale 1 is -1 (must be finite and > 0)");
    free(b2);
    free(buf);
}

/* Defect 2b: a zero point outside int8 (300) or uint8 (-1). */
static void test_zero_point_range(void **state)
{
    (void)state;
    int8_t q[2] = {1, 2};
    float sc[1] = {0.5f};
    int64_t zp[1] = {300};
    conv_spec c = {{1, 1, 1, 2}, VSR_TFL_INT8, q, sizeof(q), sc, 1, zp, 1, 0, 2, 1, 0, 1};
    size_t len;
    uint8_t *buf = build_conv(&c, &len);
    char path[1024];
    vsr_test_regress("tflite_import/zero_point_range.tflite", buf, len, path, sizeof(path));
    vsr_error err = {0};
    assert_int_equal(parse_import(buf, len, "zp.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg,
                        "zp.tflite: tensor 1 'w': zero point 300 is outside the INT8 range "
                        "[-128, 127]");
    free(buf);
    /* INT64_MIN: the value that overflowed the old int arithmetic */
    zp[0] = INT64_MIN;
    buf = build_conv(&c, &len);
    assert_int_equal(parse_import(buf, len, "zp.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "zero point -9223372036854775808 is outside the INT8");
    free(buf);
    zp[0] = -1;
    c.wtype = VSR_TFL_UINT8;
    buf = build_conv(&c, &len);
    assert_int_equal(parse_import(buf, len, "zpu.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "zero point -1 is outside the UINT8 range [0, 255]");
    free(buf);
}

/* The importer: a bias with fewer elements than output channels (it read
 * cout elements) and a filter shared by many convs past the allocation bound. */
static void test_import_bounds(void **state)
{
    (void)state;
    float wf[4 * 2] = {0};
    conv_spec c = {.wshape = {4, 1, 1, 2},
                   .wtype = VSR_TFL_FLOAT32,
                   .wdata = wf,
                   .wlen = sizeof(wf),
                   .cin = 2,
                   .cout = 4,
                   .nbias = 1};
    size_t len;
    uint8_t *buf = build_conv(&c, &len);
    char path[1024];
    vsr_test_regress("tflite_import/bias_count.tflite", buf, len, path, sizeof(path));
    vsr_error err = {0};
    assert_int_equal(parse_import(buf, len, "bias.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "bias T2 'b' has 1 elements, the op needs 4");
    free(buf);

    /* a 128x1x1x128 float filter (64 KiB) shared by 40 convs: 40 x 64 KiB of
     * weights = 2.5 MiB, over 8 x the ~66 KiB file + 1 MiB = ~1.5 MiB */
    static float big[128 * 128];
    conv_spec s = {.wshape = {128, 1, 1, 128},
                   .wtype = VSR_TFL_FLOAT32,
                   .wdata = big,
                   .wlen = sizeof(big),
                   .cin = 128,
                   .cout = 128,
                   .n_convs = 40};
    buf = build_conv(&s, &len);
    assert_true(8 * len + (1 << 20) < 40 * sizeof(big));
    assert_int_equal(parse_import(buf, len, "shared.tflite", &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "the limit for a");
    free(buf);
    /* the same filter shared by 4 convs (256 KiB of weights) is fine */
    s.n_convs = 4;
    buf = build_conv(&s, &len);
    int rc = parse_import(buf, len, "shared4.tflite", &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    free(buf);
}

/* CLI: vsrbench models --import with a crafted --tflite, and a run whose
 * weights are {tflite: FILE}: one line on stderr, exit 2. */
static void test_cli_exit2(void **state)
{
    (void)state;
    char dir[256], out[320], errp[320], cfg[320], path[1024], vsrw[320];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    snprintf(errp, sizeof(errp), "%s/err.txt", dir);
    snprintf(cfg, sizeof(cfg), "%s/c.yaml", dir);
    snprintf(vsrw, sizeof(vsrw), "%s/o.vsrw", dir);
    size_wrap_file(path, sizeof(path));

    const char *imp[] = {"models", "--import", "ABPN", "--tflite", path, "-o", vsrw, NULL};
    assert_int_equal(vsr_test_vsrbench(imp, out, errp, NULL), 2);
    vsr_test_err_one_line(errp, "overflows", "size_wrap.tflite");

    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "name: hostile\n"
            "datasets: [{name: demo, type: demo, frames: 1, clips: [vtest]}]\n"
            "models: [{name: ABPN, weights: {tflite: %s}}]\n",
            path);
    fclose(f);
    const char *run[] = {"run", cfg, "--db", out, "--dry-run", NULL};
    assert_int_equal(vsr_test_vsrbench(run, out, errp, NULL), 2);
    vsr_test_err_one_line(errp, "weights {tflite:", "overflows");
    vsr_test_rmtree(dir);
}

/* ---- .vsrw ------------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A .vsrw (engine.h layout) with one tensor "t" of 4 dims and @p nfloat
 * floats of data; the CRC is zlib's crc32, which engine.h names. */
static size_t make_vsrw(uint8_t *b, const uint32_t dims[4], size_t nfloat)
{
    size_t n = 0;
    memcpy(b, "VSRW", 4);
    put32(b + 4, 1);         /* the version-1 layout (no quant section) */
    put32(b + 8, 2 + 1 + 4); /* header: name "m", 0 metadata */
    n = 12;
    b[n++] = 1, b[n++] = 0, b[n++] = 'm';
    put32(b + n, 0), n += 4;
    put32(b + n, 1), n += 4; /* one tensor */
    b[n++] = 1, b[n++] = 0, b[n++] = 't';
    b[n++] = 0, b[n++] = 4; /* dtype f32, rank 4 */
    for (int d = 0; d < 4; d++)
        put32(b + n, dims[d]), n += 4;
    memset(b + n, 0, nfloat * 4), n += nfloat * 4;
    put32(b + n, (uint32_t)crc32(0L, b, (uInt)n));
    return n + 4;
}

/* 2^24 x 2^24 x 2^24 x 2^16 = 2^88 elements: the old count (size_t *=)
 * wrapped to 0, which "fitted" in an empty data section. */
static void test_vsrw_size_wrap(void **state)
{
    (void)state;
    uint8_t b[256];
    /* the control: 1x1x2x3 with its 6 floats opens */
    const uint32_t ok[4] = {1, 1, 2, 3};
    size_t n = make_vsrw(b, ok, 6);
    char dir[256], p[320], path[1024];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(p, sizeof(p), "%s/ok.vsrw", dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
    vsr_weights *w = NULL;
    vsr_error err = {0};
    int rc = vsr_weights_open(p, &w, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(vsr_weights_tensor_count(w), 1);
    vsr_weights_free(&w);
    vsr_test_rmtree(dir);

    const uint32_t wrap[4] = {1u << 24, 1u << 24, 1u << 24, 1u << 16};
    n = make_vsrw(b, wrap, 0);
    vsr_test_regress("vsrw/size_wrap.vsrw", b, n, path, sizeof(path));
    assert_int_equal(vsr_weights_open(path, &w, &err), -EINVAL);
    assert_null(w);
    VSR_ASSERT_ONE_LINE(err.msg, "tensor t: shape 16777216x16777216x16777216x65536 overflows");
    VSR_ASSERT_ONE_LINE(err.msg, "size_wrap.vsrw");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_conv),     cmocka_unit_test(test_size_wrap),
        cmocka_unit_test(test_scale_count),    cmocka_unit_test(test_zero_point_range),
        cmocka_unit_test(test_import_bounds),  cmocka_unit_test(test_cli_exit2),
        cmocka_unit_test(test_vsrw_size_wrap),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
