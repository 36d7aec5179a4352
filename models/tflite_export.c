/*
 * tflite_export.c: write an engine graph (HWC) with its weights as a TFLite
 * flatbuffer (schema version 3, FP32, batch 1, NHWC, fixed input shape),
 * using the builtin ops a phone's TFLite has (see vsr_models_export_tflite()
 * in models.h). The file is built with models/flatbuf.c; field numbers and
 * union codes are those of TFLite's public schema (schema.fbs).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatbuf.h"
#include "models_internal.h"

/* schema.fbs: BuiltinOptions union members used here */
enum {
    OPT_NONE = 0,
    OPT_CONV2D = 1,
    OPT_DEPTHWISE = 2,
    OPT_SOFTMAX = 9,
    OPT_CONCAT = 10,
    OPT_ADD = 11,
    OPT_RESIZE_BILINEAR = 15,
    OPT_MUL = 21,
    OPT_STRIDED_SLICE = 32,
    OPT_MAXMIN = 39,
    OPT_RESIZE_NEAREST = 74,
    OPT_LEAKY_RELU = 75,
    OPT_DEPTH_TO_SPACE = 94,
    OPT_BATCH_MATMUL = 101,
};

/* builtin codes beyond the importer's enum (schema.fbs BuiltinOperator) */
enum { TFL_SOFTMAX = 25, TFL_BATCH_MATMUL = 126 };

enum { TFL_SCHEMA_VERSION = 3, MAX_OPCODES = 64 };

/* One tensor of the file: shape, type, its constant bytes (or none). */
typedef struct xt {
    char name[VSR_NAME_MAX + 16];
    int shape[4], ndim;
    int type;         /* VSR_TFL_FLOAT32 / INT32 */
    const void *data; /* constant bytes (owned by the graph or by xp->owned), or NULL */
    size_t bytes;
    /* INT8 export: quantization (q_n scales and zero points on dim q_dim; owned
     * by xp->owned), q_n = 0 for none */
    int q_n, q_dim;
    const float *q_scale;
    const int64_t *q_zp;
} xt;

/* One operator: code, inputs, outputs, options (a union member and its values). */
typedef struct xop {
    int code;
    int *in, n_in, out; /* in: owned by xp->owned */
    int opt_type;
    int v[8]; /* option values, by field id; vf for float fields */
    float vf;
} xop;

typedef struct xp {
    const vsr_graph *g;
    vsr_error *err;
    int h, w;
    xt *t;
    int n_t, cap_t;
    xop *ops;
    int n_ops, cap_ops;
    int *tensor_of;       /* engine tensor -> file tensor */
    int *bn_of;           /* conv node -> the batch norm folded into it, or -1 */
    mdl_owned owned;      /* data arrays made here (transposed weights, shapes) */
    const vsr_engine *qe; /* INT8 export: the engine whose integers are written, else NULL */
    int *float_of;        /* INT8 export: engine input -> its float32 file tensor */
    int *deq_of;          /* INT8 export: engine tensor -> its DEQUANTIZEd copy, or -1 */
    int as_float;         /* INT8 export: the op being written computes in float */
    vsr_models_export_report rep;
} xp;

static int oom(xp *x)
{
    return vsr_error_set(x->err, -ENOMEM, "TFLite export of '%s': out of memory",
                         vsr_graph_name(x->g));
}

/* A new tensor; returns its index or a negative errno. */
static int tensor(xp *x, const char *name, int type, int h, int w, int c, const void *data,
                  size_t bytes)
{
    if (x->n_t == x->cap_t) {
        int nc = x->cap_t ? 2 * x->cap_t : 64;
        xt *a = realloc(x->t, (size_t)nc * sizeof(*a));
        if (!a)
            return oom(x);
        x->t = a, x->cap_t = nc;
    }
    xt *t = &x->t[x->n_t];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->type = type;
    t->shape[0] = 1, t->shape[1] = h, t->shape[2] = w, t->shape[3] = c;
    t->ndim = 4;
    t->data = data;
    t->bytes = bytes;
    return x->n_t++;
}

/* A constant of @p ndim dims (a 1-D or 4-D shape given in full). */
static int constant(xp *x, const char *name, int type, const int *shape, int ndim,
                    const void *data, size_t bytes)
{
    int i = tensor(x, name, type, 1, 1, 1, data, bytes);
    if (i >= 0) {
        memcpy(x->t[i].shape, shape, (size_t)ndim * sizeof(int));
        x->t[i].ndim = ndim;
    }
    return i;
}

static int scalar_f32(xp *x, const char *name, float v)
{
    float *d = mdl_owned_alloc(&x->owned, sizeof(float));
    if (!d)
        return oom(x);
    *d = v;
    int one = 1;
    return constant(x, name, VSR_TFL_FLOAT32, &one, 1, d, sizeof(float));
}

static int i32_vec(xp *x, const char *name, const int32_t *v, int n)
{
    int32_t *d = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int32_t));
    if (!d)
        return oom(x);
    memcpy(d, v, (size_t)n * sizeof(int32_t));
    return constant(x, name, VSR_TFL_INT32, &n, 1, d, (size_t)n * sizeof(int32_t));
}

static xop *op(xp *x, int code, const int *in, int n_in, int out, int opt_type)
{
    if (x->n_ops == x->cap_ops) {
        int nc = x->cap_ops ? 2 * x->cap_ops : 64;
        xop *a = realloc(x->ops, (size_t)nc * sizeof(*a));
        if (!a)
            return NULL;
        x->ops = a, x->cap_ops = nc;
    }
    int *ins = mdl_owned_alloc(&x->owned, (size_t)n_in * sizeof(int));
    if (!ins)
        return NULL;
    memcpy(ins, in, (size_t)n_in * sizeof(int));
    xop *o = &x->ops[x->n_ops++];
    memset(o, 0, sizeof(*o));
    o->code = code;
    o->in = ins;
    o->n_in = n_in;
    o->out = out;
    o->opt_type = opt_type;
    return o;
}

/* Give tensor @p t @p n scales and zero points along dim @p dim; returns t. */
static int set_quant(xp *x, int t, const float *scale, const int *zp, int n, int dim)
{
    float *s = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(float));
    int64_t *z = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int64_t));
    if (!s || !z)
        return oom(x);
    for (int i = 0; i < n; i++)
        s[i] = scale[i], z[i] = zp ? zp[i] : 0;
    x->t[t].q_n = n, x->t[t].q_dim = dim;
    x->t[t].q_scale = s, x->t[t].q_zp = z;
    return t;
}

/* The output tensor of engine node @p v (shape at the export size). */
static int out_tensor(xp *x, const char *name, int node)
{
    vsr_layer_info li;
    int rc = vsr_graph_layer_info(x->g, node, x->h, x->w, &li, x->err);
    if (rc < 0)
        return rc;
    int t = tensor(x, name, x->qe ? VSR_TFL_INT8 : VSR_TFL_FLOAT32, li.h, li.w, li.c, NULL, 0);
    if (t < 0 || !x->qe)
        return t;
    float s;
    int zp;
    if (vsr_engine_tensor_quant(x->qe, node, &s, &zp)) {
        x->t[t].type = VSR_TFL_FLOAT32; /* an op the engine keeps in FP32 */
        return t;
    }
    return set_quant(x, t, &s, &zp, 1, 0);
}

/* A tensor shaped, typed and quantized like tensor @p like (an op's
 * intermediate result, e.g. a conv before its stand-alone activation). */
static int tensor_like(xp *x, const char *name, int like)
{
    xt l = x->t[like]; /* tensor() may move x->t */
    int t = tensor(x, name, l.type, l.shape[1], l.shape[2], l.shape[3], NULL, 0);
    if (t >= 0 && l.q_n) {
        x->t[t].q_n = l.q_n, x->t[t].q_dim = l.q_dim;
        x->t[t].q_scale = l.q_scale, x->t[t].q_zp = l.q_zp;
    }
    return t;
}

static int unsupported(xp *x, const vsr_node_view *v, const char *why)
{
    return vsr_error_set(x->err, -ENOTSUP, "TFLite export of '%s': node '%s' (%s): %s",
                         vsr_graph_name(x->g), v->name, vsr_op_name(v->op), why);
}

/*
 * INT8: a stand-alone activation the way the engine's `requant: tflite` runs
 * it: RELU / RELU6 requantize from @p in's parameters to @p out's and clamp;
 * clip(0, hi) is MINIMUM with hi on the input's grid (round half away, as
 * TFLite's quantizer) then RELU, the pair the importer reads as one clip.
 */
static int emit_act_int8(xp *x, const vsr_act *a, const char *layer, int in, int out)
{
    char nm[VSR_NAME_MAX + 16];
    if (a->type == VSR_ACT_RELU ||
        (a->type == VSR_ACT_CLIP && a->lo == 0.f && a->hi >= FLT_MAX))
        return op(x, VSR_TFL_RELU, &in, 1, out, OPT_NONE) ? 0 : oom(x);
    if (a->type == VSR_ACT_SIGMOID) {
        /* TFLite's int8 LOGISTIC takes only these output parameters (calibration
         * sets them: vsr_calib_options.tflite) */
        if (x->t[out].q_scale[0] != 1.f / 256 || x->t[out].q_zp[0] != -128)
            return vsr_error_set(x->err, -ENOTSUP,
                                 "TFLite INT8 export of '%s': sigmoid '%s' has output scale "
                                 "%g zero point %d; TFLite's int8 LOGISTIC needs 1/256 and "
                                 "-128 (calibrate with the TFLite constraints)",
                                 vsr_graph_name(x->g), layer, (double)x->t[out].q_scale[0],
                                 (int)x->t[out].q_zp[0]);
        return op(x, VSR_TFL_LOGISTIC, &in, 1, out, OPT_NONE) ? 0 : oom(x);
    }
    if (a->type == VSR_ACT_CLIP && a->lo == 0.f && a->hi == 6.f)
        return op(x, VSR_TFL_RELU6, &in, 1, out, OPT_NONE) ? 0 : oom(x);
    if (a->type != VSR_ACT_CLIP || a->lo != 0.f || !(a->hi > 0.f))
        return vsr_error_set(
            x->err, -ENOTSUP,
            "TFLite INT8 export of '%s': '%s': only ReLU, ReLU6 and clip(0, hi) "
            "have an exact integer form here; export it in FP32",
            vsr_graph_name(x->g), layer);
    float s = x->t[in].q_scale[0];
    int zp = (int)x->t[in].q_zp[0];
    long q = lroundf(a->hi / s) + zp;
    int8_t *d = mdl_owned_alloc(&x->owned, 1);
    if (!d)
        return oom(x);
    *d = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    int one = 1;
    snprintf(nm, sizeof(nm), "%s.hi", layer);
    int k = constant(x, nm, VSR_TFL_INT8, &one, 1, d, 1);
    if (k < 0 || (k = set_quant(x, k, &s, &zp, 1, 0)) < 0)
        return k;
    snprintf(nm, sizeof(nm), "%s:min", layer);
    int mid = tensor_like(x, nm, in);
    if (mid < 0)
        return mid;
    int ins[2] = {in, k};
    if (!op(x, VSR_TFL_MINIMUM, ins, 2, mid, OPT_MAXMIN) ||
        !op(x, VSR_TFL_RELU, &mid, 1, out, OPT_NONE))
        return oom(x);
    return 0;
}

/* A stand-alone activation from file tensor @p in to @p out. */
static int emit_act(xp *x, const vsr_act *a, const char *layer, int in, int out)
{
    char nm[VSR_NAME_MAX + 16];
    xop *o;
    if (x->qe && !x->as_float)
        return emit_act_int8(x, a, layer, in, out);
    switch (a->type) {
    case VSR_ACT_RELU:
        return op(x, VSR_TFL_RELU, &in, 1, out, OPT_NONE) ? 0 : oom(x);
    case VSR_ACT_SIGMOID:
        return op(x, VSR_TFL_LOGISTIC, &in, 1, out, OPT_NONE) ? 0 : oom(x);
    case VSR_ACT_LEAKY_RELU:
        if (!(o = op(x, VSR_TFL_LEAKY_RELU, &in, 1, out, OPT_LEAKY_RELU)))
            return oom(x);
        o->vf = a->alpha;
        return 0;
    case VSR_ACT_CLIP: {
        if (a->lo == 0.f && a->hi == 6.f)
            return op(x, VSR_TFL_RELU6, &in, 1, out, OPT_NONE) ? 0 : oom(x);
        /* MAXIMUM(x, lo) then MINIMUM(., hi): the importer reads each as a
         * one-sided clip, exact in float */
        int cur = in;
        if (a->lo > -FLT_MAX) {
            snprintf(nm, sizeof(nm), "%s.lo", layer);
            int k = scalar_f32(x, nm, a->lo);
            if (k < 0)
                return k;
            int mid = out;
            if (a->hi < FLT_MAX) {
                snprintf(nm, sizeof(nm), "%s:max", layer);
                const xt *ot = &x->t[out];
                if ((mid = tensor(x, nm, VSR_TFL_FLOAT32, ot->shape[1], ot->shape[2],
                                  ot->shape[3], NULL, 0)) < 0)
                    return mid;
            }
            int ins[2] = {cur, k};
            if (!op(x, VSR_TFL_MAXIMUM, ins, 2, mid, OPT_MAXMIN))
                return oom(x);
            cur = mid;
        }
        if (a->hi < FLT_MAX) {
            snprintf(nm, sizeof(nm), "%s.hi", layer);
            int k = scalar_f32(x, nm, a->hi);
            if (k < 0)
                return k;
            int ins[2] = {cur, k};
            if (!op(x, VSR_TFL_MINIMUM, ins, 2, out, OPT_MAXMIN))
                return oom(x);
        }
        return 0;
    }
    case VSR_ACT_PRELU: {
        size_t n;
        const float *s = mdl_layer_weight(x->g, layer, "alpha", &n);
        if (!s)
            return vsr_error_set(x->err, -EINVAL, "'%s': no PReLU slopes", layer);
        snprintf(nm, sizeof(nm), "%s.alpha", layer);
        int shape[3] = {1, 1, (int)n};
        int k = constant(x, nm, VSR_TFL_FLOAT32, shape, 3, s, n * sizeof(float));
        if (k < 0)
            return k;
        int ins[2] = {in, k};
        return op(x, VSR_TFL_PRELU, ins, 2, out, OPT_NONE) ? 0 : oom(x);
    }
    default:
        return vsr_error_set(x->err, -ENOTSUP, "'%s': activation %d has no TFLite form", layer,
                             (int)a->type);
    }
}

/* ---- one function per op kind, listed in export_op[] ----------------------- */

typedef int (*export_fn)(xp *x, const vsr_node_view *v, int node, int out);

/* INT8: engine tensor @p node's file tensor DEQUANTIZEd to float (once), for
 * an op the engine computes in float: the engine reads int8 inputs as
 * (q - zp) * scale in float, as DEQUANTIZE does. */
static int dequantized(xp *x, int node)
{
    int q = x->tensor_of[node];
    if (x->deq_of[node] >= 0)
        return x->deq_of[node];
    char nm[VSR_NAME_MAX + 16];
    vsr_node_view v;
    vsr_graph_node_view(x->g, node, &v);
    snprintf(nm, sizeof(nm), "%s:f", v.name);
    const xt l = x->t[q];
    int f = tensor(x, nm, VSR_TFL_FLOAT32, l.shape[1], l.shape[2], l.shape[3], NULL, 0);
    if (f < 0)
        return f;
    if (!op(x, VSR_TFL_DEQUANTIZE, &q, 1, f, OPT_NONE))
        return oom(x);
    return x->deq_of[node] = f;
}

static int in_t(xp *x, const vsr_node_view *v, int i)
{
    int t = x->tensor_of[v->inputs[i]];
    return x->as_float && x->t[t].q_n ? dequantized(x, v->inputs[i]) : t;
}

/*
 * INT8 filter and bias of conv @p node: the engine's integers (HWIO int8 ->
 * OHWI, or [1][kh][kw][C] for depthwise) with its per-channel scales, and the
 * int32 bias with scale s_in * s_w[o]. Sets *wi, *bi (-1 without a bias).
 */
static int conv_int8(xp *x, const vsr_node_view *v, int node, int xin, int *wi, int *bi)
{
    const vsr_conv_params *p = &v->conv;
    int dw = p->groups > 1, cin = x->t[xin].shape[3], cing = dw ? 1 : cin;
    const int8_t *wq;
    const int32_t *bq;
    const float *ws;
    int rc = mdl_export_conv_int8(x->qe, x->g, node, "TFLite", &wq, &bq, &ws, x->err);
    if (rc)
        return rc;
    size_t n = (size_t)p->kh * p->kw * cing * p->cout;
    int8_t *f = mdl_owned_alloc(&x->owned, n);
    float *bs = mdl_owned_alloc(&x->owned, (size_t)p->cout * sizeof(float));
    if (!f || !bs)
        return oom(x);
    if (dw)
        memcpy(f, wq, n);
    else
        mdl_weights_from_hwio(f, wq, 1, p->kh, p->kw, cin, p->cout, MDL_W_OHWI);
    char nm[VSR_NAME_MAX + 16];
    snprintf(nm, sizeof(nm), "%s.weight", v->name);
    int shp[4] = {dw ? 1 : p->cout, p->kh, p->kw, dw ? p->cout : cin};
    if ((*wi = constant(x, nm, VSR_TFL_INT8, shp, 4, f, n)) < 0 ||
        (*wi = set_quant(x, *wi, ws, NULL, p->cout, dw ? 3 : 0)) < 0)
        return *wi;
    /* a conv without bias gets a zero bias, as TFLite's converter writes it:
     * LiteRT's XNNPACK path miscomputes a CONV_2D whose bias input is -1 */
    float sx = x->t[xin].q_scale[0];
    for (int o = 0; o < p->cout; o++)
        bs[o] = sx * ws[o]; /* the float product, as TFLite's converter stores it */
    snprintf(nm, sizeof(nm), "%s.bias", v->name);
    int32_t *b = mdl_owned_alloc(&x->owned, (size_t)p->cout * sizeof(int32_t));
    if (!b)
        return oom(x);
    if (p->bias)
        memcpy(b, bq, (size_t)p->cout * sizeof(int32_t));
    if ((*bi = constant(x, nm, VSR_TFL_INT32, &p->cout, 1, b,
                        (size_t)p->cout * sizeof(int32_t))) < 0 ||
        (*bi = set_quant(x, *bi, bs, NULL, p->cout, 0)) < 0)
        return *bi;
    return 0;
}

/*
 * Fold batch norm node @p bn into a conv's weights *wt (HWIO, @p n values,
 * Cout fastest) and bias *b (NULL: zeros), replacing both with folded
 * copies: the arithmetic of the engine's own folding (engine/ops/conv.c,
 * float, no contraction under -std=c11), so the re-imported conv computes
 * the bits the original conv + batch norm did. TFLite has no batch-norm op.
 */
static int fold_bn(xp *x, int bn, int cout, const float **wt, size_t n, const float **b)
{
    vsr_node_view v;
    vsr_graph_node_view(x->g, bn, &v);
    static const char *const role[4] = {"gamma", "beta", "mean", "var"};
    const float *d[4];
    for (int k = 0; k < 4; k++) {
        size_t nk = 0;
        d[k] = mdl_layer_weight(x->g, v.name, role[k], &nk);
        if (!d[k] || nk != (size_t)cout)
            return vsr_error_set(x->err, -EINVAL, "'%s': no batch-norm %s", v.name, role[k]);
    }
    float *w = mdl_owned_alloc(&x->owned, n * sizeof(float)),
          *nb = mdl_owned_alloc(&x->owned, (size_t)cout * sizeof(float));
    if (!w || !nb)
        return oom(x);
    memcpy(w, *wt, n * sizeof(float));
    if (*b)
        memcpy(nb, *b, (size_t)cout * sizeof(float));
    const float eps = v.f[0];
    for (int o = 0; o < cout; o++) {
        float s = d[0][o] / sqrtf(d[3][o] + eps);
        if (!isfinite(s))
            return vsr_error_set(x->err, -EINVAL,
                                 "TFLite export: %s: batch norm scale of channel %d is not "
                                 "finite (variance %g)",
                                 v.name, o, (double)d[3][o]);
        for (size_t k = 0; k < n / (size_t)cout; k++)
            w[k * (size_t)cout + (size_t)o] *= s;
        nb[o] = (nb[o] - d[2][o]) * s + d[1][o];
    }
    *wt = w;
    *b = nb;
    return 0;
}

static int ex_conv(xp *x, const vsr_node_view *v, int node, int out)
{
    const vsr_conv_params *p = &v->conv;
    int xin = in_t(x, v, 0), cin = x->t[xin].shape[3];
    int dw = p->groups > 1;
    if (dw && !(p->groups == cin && p->cout == cin))
        return unsupported(x, v, "only group 1 and depthwise convolutions are exported");
    int cing = dw ? 1 : cin;
    char nm[VSR_NAME_MAX + 16];
    int wi = -1, bi = -1, rc;
    if (x->qe && !x->as_float) {
        if (p->act.type == VSR_ACT_SIGMOID || p->act.type == VSR_ACT_LEAKY_RELU ||
            p->act.type == VSR_ACT_PRELU)
            return unsupported(x, v,
                               "INT8: the engine applies this fused activation in FP32 "
                               "(no TFLite integer form); export it in FP32");
        if ((rc = conv_int8(x, v, node, xin, &wi, &bi)) < 0)
            return rc;
        goto weights_done;
    }
    size_t n, nb = 0;
    const float *wt = mdl_layer_weight(x->g, v->name, "weight", &n);
    const float *b = p->bias ? mdl_layer_weight(x->g, v->name, "bias", &nb) : NULL;
    if (!wt || n != (size_t)p->kh * p->kw * cing * p->cout || (p->bias && !b))
        return vsr_error_set(x->err, -EINVAL, "TFLite export of '%s': conv '%s' has no weights",
                             vsr_graph_name(x->g), v->name);
    if (x->bn_of[node] >= 0) {
        int rc = fold_bn(x, x->bn_of[node], p->cout, &wt, n, &b);
        if (rc)
            return rc;
        nb = (size_t)p->cout;
    }
    /* HWIO -> OHWI (conv) or [1][kh][kw][C] (depthwise, = HWIO with I = 1) */
    float *f = mdl_owned_alloc(&x->owned, n * sizeof(float));
    if (!f)
        return oom(x);
    if (dw)
        memcpy(f, wt, n * sizeof(float));
    else
        mdl_weights_from_hwio(f, wt, sizeof(float), p->kh, p->kw, cin, p->cout, MDL_W_OHWI);
    snprintf(nm, sizeof(nm), "%s.weight", v->name);
    int ws[4] = {dw ? 1 : p->cout, p->kh, p->kw, dw ? p->cout : cin};
    wi = constant(x, nm, VSR_TFL_FLOAT32, ws, 4, f, n * sizeof(float));
    if (wi < 0)
        return wi;
    if (!b) { /* zeros, as TFLite's converter writes a conv without bias */
        float *z = mdl_owned_alloc(&x->owned, (size_t)p->cout * sizeof(float));
        if (!z)
            return oom(x);
        b = z, nb = (size_t)p->cout;
    }
    snprintf(nm, sizeof(nm), "%s.bias", v->name);
    if ((bi = constant(x, nm, VSR_TFL_FLOAT32, &p->cout, 1, b, nb * sizeof(float))) < 0)
        return bi;
weights_done:;
    /* RELU and RELU6 fuse; any other activation is its own op after the conv */
    int fused = p->act.type == VSR_ACT_NONE   ? VSR_TFL_ACT_NONE
                : p->act.type == VSR_ACT_RELU ? VSR_TFL_ACT_RELU
                : p->act.type == VSR_ACT_CLIP && p->act.lo == 0.f && p->act.hi == 6.f
                    ? VSR_TFL_ACT_RELU6
                    : -1;
    int conv_out = out;
    if (fused < 0) {
        snprintf(nm, sizeof(nm), "%s:conv", v->name);
        if ((conv_out = tensor_like(x, nm, out)) < 0)
            return conv_out;
    }
    int ins[3] = {xin, wi, bi};
    xop *o = op(x, dw ? VSR_TFL_DEPTHWISE_CONV_2D : VSR_TFL_CONV_2D, ins, 3, conv_out,
                dw ? OPT_DEPTHWISE : OPT_CONV2D);
    if (!o)
        return oom(x);
    /* Conv2DOptions: padding 0 (SAME), stride_w 1, stride_h 2, act 3, dilation_w 4,
     * dilation_h 5; DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2,
     * depth_multiplier 3, act 4, dilation_w 5, dilation_h 6 */
    int act = fused < 0 ? VSR_TFL_ACT_NONE : fused;
    if (dw) {
        int vals[7] = {0, p->stride, p->stride, 1, act, p->dilation, p->dilation};
        memcpy(o->v, vals, sizeof(vals));
    } else {
        int vals[6] = {0, p->stride, p->stride, act, p->dilation, p->dilation};
        memcpy(o->v, vals, sizeof(vals));
    }
    return fused < 0 ? emit_act(x, &p->act, v->name, conv_out, out) : 0;
}

static int ex_act(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    return emit_act(x, &v->act, v->name, in_t(x, v, 0), out);
}

static int ex_binary(xp *x, const vsr_node_view *v, int code, int opt, int out)
{
    int ins[2] = {in_t(x, v, 0), in_t(x, v, 1)};
    return op(x, code, ins, 2, out, opt) ? 0 : oom(x); /* option 0: act NONE */
}

static int ex_add(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    return ex_binary(x, v, VSR_TFL_ADD, OPT_ADD, out);
}

static int ex_mul(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    return ex_binary(x, v, VSR_TFL_MUL, OPT_MUL, out);
}

static int ex_concat(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    int *ins = mdl_owned_alloc(&x->owned, (size_t)v->n_inputs * sizeof(int));
    if (!ins)
        return oom(x);
    for (int i = 0; i < v->n_inputs; i++)
        ins[i] = in_t(x, v, i);
    xop *o = op(x, VSR_TFL_CONCATENATION, ins, v->n_inputs, out, OPT_CONCAT);
    if (!o)
        return oom(x);
    o->v[0] = 3; /* ConcatenationOptions: axis 0 = channels (3), act 1 = NONE */
    return 0;
}

static int ex_slice(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    char nm[VSR_NAME_MAX + 16];
    int32_t b[4] = {0, 0, 0, v->i[0]}, e[4] = {0, 0, 0, v->i[1]}, s[4] = {1, 1, 1, 1};
    int bi, ei, si;
    snprintf(nm, sizeof(nm), "%s.begin", v->name);
    if ((bi = i32_vec(x, nm, b, 4)) < 0)
        return bi;
    snprintf(nm, sizeof(nm), "%s.end", v->name);
    if ((ei = i32_vec(x, nm, e, 4)) < 0)
        return ei;
    snprintf(nm, sizeof(nm), "%s.strides", v->name);
    if ((si = i32_vec(x, nm, s, 4)) < 0)
        return si;
    int ins[4] = {in_t(x, v, 0), bi, ei, si};
    xop *o = op(x, VSR_TFL_STRIDED_SLICE, ins, 4, out, OPT_STRIDED_SLICE);
    if (!o)
        return oom(x);
    o->v[0] = 7, o->v[1] = 7; /* begin_mask, end_mask: whole N, H, W */
    return 0;
}

static int ex_d2s(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    int in = in_t(x, v, 0);
    xop *o = op(x, VSR_TFL_DEPTH_TO_SPACE, &in, 1, out, OPT_DEPTH_TO_SPACE);
    if (!o)
        return oom(x);
    o->v[0] = v->i[0]; /* block_size; TF's order is the engine's DCR */
    return 0;
}

/* nearest: TF's legacy mode, out[y] = in[floor(y / f)]; bilinear:
 * half_pixel_centers, the engine's src = (dst + 0.5) / f - 0.5 */
static int ex_resize(xp *x, const vsr_node_view *v, int nearest, int out)
{
    char nm[VSR_NAME_MAX + 16];
    const xt *ot = &x->t[out];
    int32_t sz[2] = {ot->shape[1], ot->shape[2]};
    snprintf(nm, sizeof(nm), "%s.size", v->name);
    int si = i32_vec(x, nm, sz, 2);
    if (si < 0)
        return si;
    int ins[2] = {in_t(x, v, 0), si};
    xop *o = op(x, nearest ? VSR_TFL_RESIZE_NEAREST_NEIGHBOR : VSR_TFL_RESIZE_BILINEAR, ins, 2,
                out, nearest ? OPT_RESIZE_NEAREST : OPT_RESIZE_BILINEAR);
    if (!o)
        return oom(x);
    /* ResizeBilinearOptions: align_corners 2, half_pixel_centers 3;
     * ResizeNearestNeighborOptions: align_corners 0, half_pixel_centers 1 */
    if (!nearest)
        o->v[3] = 1;
    return 0;
}

static int ex_nearest(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    return ex_resize(x, v, 1, out);
}

static int ex_bilinear(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    return ex_resize(x, v, 0, out);
}

/* softmax over the channels (TFLite's last axis), beta 1 */
static int ex_softmax(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    int in = in_t(x, v, 0);
    xop *o = op(x, TFL_SOFTMAX, &in, 1, out, OPT_SOFTMAX);
    if (!o)
        return oom(x);
    o->vf = 1.0f; /* SoftmaxOptions: beta 0 */
    return 0;
}

/* A float tensor of 3 dims (an attention operand). */
static int tensor3(xp *x, const char *name, int d0, int d1, int d2)
{
    int shape[3] = {d0, d1, d2};
    return constant(x, name, VSR_TFL_FLOAT32, shape, 3, NULL, 0);
}

/* RESHAPE file tensor @p in into tensor @p out (its shape, as an int32 input). */
static int reshape(xp *x, const char *name, int in, int out)
{
    char nm[VSR_NAME_MAX + 16];
    int32_t d[4];
    for (int i = 0; i < x->t[out].ndim; i++)
        d[i] = x->t[out].shape[i];
    snprintf(nm, sizeof(nm), "%s.shape", name);
    int si = i32_vec(x, nm, d, x->t[out].ndim);
    if (si < 0)
        return si;
    int ins[2] = {in, si};
    return op(x, VSR_TFL_RESHAPE, ins, 2, out, OPT_NONE) ? 0 : oom(x);
}

/* "<name><sfx>": a 3-D tensor [1, @p d1, @p d2] RESHAPEd from file tensor @p in. */
static int flat(xp *x, const char *name, const char *sfx, int in, int d1, int d2)
{
    char nm[VSR_NAME_MAX + 16];
    snprintf(nm, sizeof(nm), "%s%s", name, sfx);
    int t = tensor3(x, nm, 1, d1, d2);
    if (t < 0)
        return t;
    int rc = reshape(x, nm, in, t);
    return rc < 0 ? rc : t;
}

/*
 * Inputs 0 and 1 of @p v RESHAPEd to [1, a0, a1] ("<name><s0>") and [1, b0,
 * b1] ("<name><s1>"), then their BATCH_MATMUL (adj_x @p adj_x) into a new
 * [1, r, c] tensor "<name>:mm", whose index is returned.
 */
static int flat_matmul(xp *x, const vsr_node_view *v, const char *s0, int a0, int a1,
                       const char *s1, int b0, int b1, int adj_x, int r, int c)
{
    char nm[VSR_NAME_MAX + 16];
    int ta = flat(x, v->name, s0, in_t(x, v, 0), a0, a1);
    int tb = ta < 0 ? ta : flat(x, v->name, s1, in_t(x, v, 1), b0, b1);
    if (tb < 0)
        return tb;
    snprintf(nm, sizeof(nm), "%s:mm", v->name);
    int mm = tensor3(x, nm, 1, r, c);
    if (mm < 0)
        return mm;
    int ins[2] = {ta, tb};
    xop *o = op(x, TFL_BATCH_MATMUL, ins, 2, mm, OPT_BATCH_MATMUL);
    if (!o)
        return oom(x);
    o->v[0] = adj_x; /* BatchMatMulOptions: adj_x 0, adj_y 1 */
    return mm;
}

/*
 * AFA scores S = alpha K^T Q (1 x Ck x Cq): K and Q RESHAPEd to [1, HW, C],
 * BATCH_MATMUL with adj_x, MUL by alpha, RESHAPE to [1, 1, Ck, Cq].
 * vsr_models_import_tflite() reads the sequence back as one matmul_tn.
 */
static int ex_matmul_tn(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    const xt *k = &x->t[in_t(x, v, 0)], *q = &x->t[in_t(x, v, 1)];
    int hw = k->shape[1] * k->shape[2], ck = k->shape[3], cq = q->shape[3];
    int mm = flat_matmul(x, v, ":k", hw, ck, ":q", hw, cq, 1, ck, cq);
    if (mm < 0)
        return mm;
    if (v->f[0] != 1.f) {
        char nm[VSR_NAME_MAX + 16];
        snprintf(nm, sizeof(nm), "%s.alpha", v->name);
        int a = scalar_f32(x, nm, v->f[0]);
        snprintf(nm, sizeof(nm), "%s:alpha", v->name);
        int sc = a < 0 ? a : tensor3(x, nm, 1, ck, cq);
        if (sc < 0)
            return sc;
        int ins[2] = {mm, a};
        if (!op(x, VSR_TFL_MUL, ins, 2, sc, OPT_MUL))
            return oom(x);
        mm = sc;
    }
    return reshape(x, v->name, mm, out);
}

/* AFA output Y = V A: V RESHAPEd to [1, HW, Cv], A (1 x Cv x Cq) to [1, Cv,
 * Cq], BATCH_MATMUL, RESHAPE to [1, H, W, Cq]. */
static int ex_matmul_pixels(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node;
    const xt *vt = &x->t[in_t(x, v, 0)], *at = &x->t[in_t(x, v, 1)];
    int hw = vt->shape[1] * vt->shape[2], cv = vt->shape[3], cq = at->shape[3];
    int mm = flat_matmul(x, v, ":v", hw, cv, ":a", cv, cq, 0, hw, cq);
    return mm < 0 ? mm : reshape(x, v->name, mm, out);
}

/* a batch norm that does not fold into a conv: TFLite has no such op */
static int ex_bn(xp *x, const vsr_node_view *v, int node, int out)
{
    (void)node, (void)out;
    return unsupported(x, v,
                       "only a batch norm right after a conv (its only consumer, no fused "
                       "activation) is exported, folded into the conv: TFLite has no "
                       "batch-norm op");
}

static const export_fn export_op[VSR_OP_COUNT_] = {
    [VSR_OP_CONV2D] = ex_conv,
    [VSR_OP_RELU] = ex_act,
    [VSR_OP_LEAKY_RELU] = ex_act,
    [VSR_OP_PRELU] = ex_act,
    [VSR_OP_CLIP] = ex_act,
    [VSR_OP_SIGMOID] = ex_act,
    [VSR_OP_ADD] = ex_add,
    [VSR_OP_MUL] = ex_mul,
    [VSR_OP_CONCAT] = ex_concat,
    [VSR_OP_SLICE] = ex_slice,
    [VSR_OP_DEPTH_TO_SPACE] = ex_d2s,
    [VSR_OP_RESIZE_NEAREST] = ex_nearest,
    [VSR_OP_RESIZE_BILINEAR] = ex_bilinear,
    [VSR_OP_SOFTMAX] = ex_softmax,
    [VSR_OP_MATMUL_TN] = ex_matmul_tn,
    [VSR_OP_MATMUL_PIXELS] = ex_matmul_pixels,
    [VSR_OP_BATCH_NORM] = ex_bn,
};

/* ---- writing the flatbuffer ------------------------------------------------ */

/* The fields of each options table: one letter per field id, b = byte (bool,
 * enum), i = int32, f = float32 (o->vf), - = not written. */
static const struct {
    int type;
    const char *fields;
} opt_layout[] = {
    {OPT_CONV2D, "biibii"},
    {OPT_DEPTHWISE, "biiibii"},
    {OPT_CONCAT, "ib"},
    {OPT_ADD, "b"},
    {OPT_MUL, "b"},
    {OPT_STRIDED_SLICE, "iiiii"},
    {OPT_RESIZE_BILINEAR, "--bb"},
    {OPT_RESIZE_NEAREST, "bb"},
    {OPT_LEAKY_RELU, "f"},
    {OPT_DEPTH_TO_SPACE, "i"},
    {OPT_MAXMIN, ""},
    {OPT_SOFTMAX, "f"},
    {OPT_BATCH_MATMUL, "bb"},
};

static mdl_fbo write_options(mdl_fbb *b, const xop *o)
{
    const char *f = NULL;
    for (size_t i = 0; i < sizeof(opt_layout) / sizeof(opt_layout[0]); i++)
        if (opt_layout[i].type == o->opt_type)
            f = opt_layout[i].fields;
    mdl_fb_start(b);
    for (int id = 0; f && f[id]; id++) {
        if (f[id] == 'b')
            mdl_fb_add_u8(b, id, (uint8_t)o->v[id]);
        else if (f[id] == 'i')
            mdl_fb_add_i32(b, id, o->v[id]);
        else if (f[id] == 'f')
            mdl_fb_add_f32(b, id, o->vf);
    }
    return mdl_fb_end(b);
}

static int write_model(xp *x, const int *inputs, int n_in, const int *outputs, int n_out,
                       mdl_fbb *b, mdl_fbo *root)
{
    /* operator codes, in order of first use */
    int codes[MAX_OPCODES], n_codes = 0;
    int *code_of = mdl_owned_alloc(&x->owned, (size_t)(x->n_ops ? x->n_ops : 1) * sizeof(int));
    mdl_fbo *tens = mdl_owned_alloc(&x->owned, (size_t)x->n_t * sizeof(mdl_fbo));
    mdl_fbo *ops =
        mdl_owned_alloc(&x->owned, (size_t)(x->n_ops ? x->n_ops : 1) * sizeof(mdl_fbo));
    mdl_fbo *bufs = mdl_owned_alloc(&x->owned, (size_t)(x->n_t + 1) * sizeof(mdl_fbo));
    if (!code_of || !tens || !ops || !bufs)
        return oom(x);
    for (int i = 0; i < x->n_ops; i++) {
        int k = 0;
        while (k < n_codes && codes[k] != x->ops[i].code)
            k++;
        if (k == n_codes) {
            if (n_codes == MAX_OPCODES)
                return vsr_error_set(x->err, -E2BIG, "more than %d kinds of op", MAX_OPCODES);
            codes[n_codes++] = x->ops[i].code;
        }
        code_of[i] = k;
    }
    /* buffers: 0 is the empty buffer every non-constant tensor names */
    int n_bufs = 1;
    mdl_fb_start(b);
    bufs[0] = mdl_fb_end(b);
    int *buf_of = mdl_owned_alloc(&x->owned, (size_t)x->n_t * sizeof(int));
    if (!buf_of)
        return oom(x);
    for (int i = 0; i < x->n_t; i++) {
        buf_of[i] = 0;
        if (!x->t[i].data)
            continue;
        mdl_fbo d = mdl_fb_vector(b, x->t[i].data, 1, x->t[i].bytes, 16);
        mdl_fb_start(b);
        mdl_fb_add_offset(b, 0, d);
        bufs[n_bufs] = mdl_fb_end(b);
        buf_of[i] = n_bufs++;
    }
    /* Tensor: shape 0, type 1, buffer 2, name 3 */
    for (int i = 0; i < x->n_t; i++) {
        const xt *t = &x->t[i];
        int32_t shape[4];
        for (int d = 0; d < t->ndim; d++)
            shape[d] = t->shape[d];
        mdl_fbo sh = mdl_fb_vector(b, shape, 4, (size_t)t->ndim, 4);
        mdl_fbo nm = mdl_fb_string(b, t->name);
        mdl_fbo q = 0;
        if (t->q_n) {
            /* QuantizationParameters: scale 2, zero_point 3, quantized_dimension 6 */
            mdl_fbo sv = mdl_fb_vector(b, t->q_scale, 4, (size_t)t->q_n, 4);
            mdl_fbo zv = mdl_fb_vector(b, t->q_zp, 8, (size_t)t->q_n, 8);
            mdl_fb_start(b);
            mdl_fb_add_offset(b, 2, sv);
            mdl_fb_add_offset(b, 3, zv);
            mdl_fb_add_i32(b, 6, t->q_dim);
            q = mdl_fb_end(b);
        }
        mdl_fb_start(b);
        mdl_fb_add_offset(b, 0, sh);
        mdl_fb_add_u8(b, 1, (uint8_t)t->type);
        mdl_fb_add_i32(b, 2, buf_of[i]);
        mdl_fb_add_offset(b, 3, nm);
        if (q)
            mdl_fb_add_offset(b, 4, q); /* Tensor.quantization */
        tens[i] = mdl_fb_end(b);
    }
    /* Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3,
     * builtin_options 4 */
    for (int i = 0; i < x->n_ops; i++) {
        const xop *o = &x->ops[i];
        int32_t *in =
            mdl_owned_alloc(&x->owned, (size_t)(o->n_in ? o->n_in : 1) * sizeof(int32_t));
        if (!in)
            return oom(x);
        for (int k = 0; k < o->n_in; k++)
            in[k] = o->in[k];
        int32_t out = o->out;
        mdl_fbo iv = mdl_fb_vector(b, in, 4, (size_t)o->n_in, 4);
        mdl_fbo ov = mdl_fb_vector(b, &out, 4, 1, 4);
        mdl_fbo opt = o->opt_type ? write_options(b, o) : 0;
        mdl_fb_start(b);
        mdl_fb_add_i32(b, 0, code_of[i]);
        mdl_fb_add_offset(b, 1, iv);
        mdl_fb_add_offset(b, 2, ov);
        if (o->opt_type) {
            mdl_fb_add_u8(b, 3, (uint8_t)o->opt_type);
            mdl_fb_add_offset(b, 4, opt);
        }
        ops[i] = mdl_fb_end(b);
    }
    /* OperatorCode: deprecated_builtin_code 0 (int8; 127 = look at 3),
     * version 2, builtin_code 3 */
    mdl_fbo oc[MAX_OPCODES];
    for (int k = 0; k < n_codes; k++) {
        mdl_fb_start(b);
        mdl_fb_add_u8(b, 0, (uint8_t)(codes[k] < 127 ? codes[k] : 127));
        mdl_fb_add_i32(b, 2, 1);
        mdl_fb_add_i32(b, 3, codes[k]);
        oc[k] = mdl_fb_end(b);
    }
    /* SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4 */
    int32_t io[2][64];
    for (int i = 0; i < n_in; i++)
        io[0][i] = inputs[i];
    for (int i = 0; i < n_out; i++)
        io[1][i] = outputs[i];
    mdl_fbo tv = mdl_fb_vector_offsets(b, tens, (size_t)x->n_t);
    mdl_fbo inv = mdl_fb_vector(b, io[0], 4, (size_t)n_in, 4);
    mdl_fbo outv = mdl_fb_vector(b, io[1], 4, (size_t)n_out, 4);
    mdl_fbo opv = mdl_fb_vector_offsets(b, ops, (size_t)x->n_ops);
    mdl_fbo sgn = mdl_fb_string(b, vsr_graph_name(x->g));
    mdl_fb_start(b);
    mdl_fb_add_offset(b, 0, tv);
    mdl_fb_add_offset(b, 1, inv);
    mdl_fb_add_offset(b, 2, outv);
    mdl_fb_add_offset(b, 3, opv);
    mdl_fb_add_offset(b, 4, sgn);
    mdl_fbo sg = mdl_fb_end(b);
    /* Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4 */
    mdl_fbo ocv = mdl_fb_vector_offsets(b, oc, (size_t)n_codes);
    mdl_fbo sgv = mdl_fb_vector_offsets(b, &sg, 1);
    mdl_fbo desc = mdl_fb_string(b, "vsrbench export");
    mdl_fbo bv = mdl_fb_vector_offsets(b, bufs, (size_t)n_bufs);
    mdl_fb_start(b);
    mdl_fb_add_i32(b, 0, TFL_SCHEMA_VERSION);
    mdl_fb_add_offset(b, 1, ocv);
    mdl_fb_add_offset(b, 2, sgv);
    mdl_fb_add_offset(b, 3, desc);
    mdl_fb_add_offset(b, 4, bv);
    *root = mdl_fb_end(b);
    return 0;
}

/* INT8: note op @p v (output tensor @p out) in x->rep when an input's
 * parameters differ from the output's (see vsr_models_export_report). */
static void check_tied(xp *x, const vsr_node_view *v, int out)
{
    const xt *o = &x->t[out];
    for (int k = 0; k < v->n_inputs; k++) {
        const xt *a = &x->t[x->tensor_of[v->inputs[k]]];
        if (a->q_scale[0] != o->q_scale[0] || a->q_zp[0] != o->q_zp[0]) {
            if (!x->rep.int8_untied++)
                snprintf(x->rep.first_untied, sizeof(x->rep.first_untied), "%s", v->name);
            return;
        }
    }
}

/* INT8: graph input node @p i as a float32 tensor QUANTIZEd into its int8
 * tensor (x->tensor_of[i]), as TFLite's converter writes float I/O. */
static int quantize_input(xp *x, const vsr_node_view *v, int i)
{
    char nm[VSR_NAME_MAX + 16];
    int q = x->tensor_of[i];
    snprintf(nm, sizeof(nm), "%s", v->name);
    snprintf(x->t[q].name, sizeof(x->t[q].name), "%s:q", v->name);
    int f = tensor(x, nm, VSR_TFL_FLOAT32, x->t[q].shape[1], x->t[q].shape[2], x->t[q].shape[3],
                   NULL, 0);
    if (f < 0)
        return f;
    x->float_of[i] = f;
    return op(x, VSR_TFL_QUANTIZE, &f, 1, q, OPT_NONE) ? 0 : oom(x);
}

/* INT8: graph output @p name read from int8 tensor @p q through DEQUANTIZE;
 * returns the float32 tensor. */
static int dequantize_output(xp *x, const char *name, int q)
{
    char nm[VSR_NAME_MAX + 16];
    snprintf(nm, sizeof(nm), "%s", name);
    int f = tensor(x, nm, VSR_TFL_FLOAT32, x->t[q].shape[1], x->t[q].shape[2], x->t[q].shape[3],
                   NULL, 0);
    if (f < 0)
        return f;
    return op(x, VSR_TFL_DEQUANTIZE, &q, 1, f, OPT_NONE) ? f : oom(x);
}

/*
 * INT8: engine node @p v (file tensor @p t) written with @p f as the engine
 * computes it: in int8 when its output and inputs are int8; in float when its
 * output is float (an op the engine keeps in FP32, e.g. the AFA attention),
 * its int8 inputs DEQUANTIZEd; and an int8 op with a float input (an ADD, a
 * matmul after the softmax) in float, then QUANTIZEd into @p t (the engine
 * computes it in float and rounds once).
 */
static int emit_int8_node(xp *x, const vsr_node_view *v, int i, int t, export_fn f)
{
    int any_float = 0, rc;
    for (int k = 0; k < v->n_inputs; k++)
        any_float |= !x->t[x->tensor_of[v->inputs[k]]].q_n;
    x->as_float = !x->t[t].q_n;
    if (x->as_float || !any_float) {
        rc = f(x, v, i, t);
        x->as_float = 0;
        if (!rc && (v->op == VSR_OP_CONCAT || v->op == VSR_OP_RESIZE_BILINEAR) && x->t[t].q_n)
            check_tied(x, v, t);
        return rc;
    }
    if (v->op == VSR_OP_CONV2D)
        return unsupported(x, v,
                           "INT8: a conv with an FP32 input (the engine quantizes it with "
                           "the input's parameters) is not exported yet; export it in FP32");
    char nm[VSR_NAME_MAX + 16];
    snprintf(nm, sizeof(nm), "%s:f", v->name);
    const xt l = x->t[t];
    int tmp = tensor(x, nm, VSR_TFL_FLOAT32, l.shape[1], l.shape[2], l.shape[3], NULL, 0);
    if (tmp < 0)
        return tmp;
    x->as_float = 1;
    rc = f(x, v, i, tmp);
    x->as_float = 0;
    if (rc)
        return rc;
    return op(x, VSR_TFL_QUANTIZE, &tmp, 1, t, OPT_NONE) ? 0 : oom(x);
}

/* bn_of[]: the batch norms the engine folds into their conv (engine/graph.c's
 * plan: a conv without fused activation whose only consumer is the batch
 * norm and which is no graph output), found the same way. */
static int plan_bn_folds(xp *x, int n)
{
    int *uses = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int));
    if (!uses)
        return oom(x);
    for (int i = 0; i < n; i++) {
        vsr_node_view v;
        vsr_graph_node_view(x->g, i, &v);
        x->bn_of[i] = -1;
        for (int k = 0; k < v.n_inputs; k++)
            uses[v.inputs[k]]++;
    }
    for (int i = 0; i < vsr_graph_output_count(x->g); i++) {
        int t;
        vsr_graph_output_info(x->g, i, NULL, &t);
        uses[t] += 2; /* never folded */
    }
    for (int i = 0; i < n; i++) {
        vsr_node_view v, c;
        vsr_graph_node_view(x->g, i, &v);
        if (v.op != VSR_OP_BATCH_NORM)
            continue;
        vsr_graph_node_view(x->g, v.inputs[0], &c);
        if (c.op == VSR_OP_CONV2D && c.conv.act.type == VSR_ACT_NONE && uses[v.inputs[0]] == 1)
            x->bn_of[v.inputs[0]] = i;
    }
    return 0;
}

static int build(xp *x, mdl_fbb *b, mdl_fbo *root)
{
    const vsr_graph *g = x->g;
    int rc, n = vsr_graph_layer_count(g);
    if ((rc = vsr_graph_check_weights(g, x->err)) < 0)
        return rc;
    if (!(x->tensor_of = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int))) ||
        !(x->float_of = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int))) ||
        !(x->bn_of = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int))) ||
        !(x->deq_of = mdl_owned_alloc(&x->owned, (size_t)n * sizeof(int))))
        return oom(x);
    for (int i = 0; i < n; i++)
        x->deq_of[i] = -1;
    if ((rc = plan_bn_folds(x, n)))
        return rc;
    int n_in = vsr_graph_input_count(g), n_out = vsr_graph_output_count(g);
    int inputs[64], outputs[64];
    if (n_in > 64 || n_out > 64)
        return vsr_error_set(x->err, -ENOTSUP, "more than 64 inputs or outputs");
    for (int i = 0; i < n; i++) {
        vsr_node_view v;
        vsr_graph_node_view(g, i, &v);
        if (v.op == VSR_OP_BATCH_NORM && x->bn_of[v.inputs[0]] == i) {
            x->tensor_of[i] = x->tensor_of[v.inputs[0]]; /* folded into its conv */
            continue;
        }
        int t = out_tensor(x, v.name, i);
        if (t < 0)
            return t;
        x->tensor_of[i] = t;
        if (v.op == VSR_OP_INPUT) {
            if (x->qe && (rc = quantize_input(x, &v, i)) < 0)
                return rc;
            continue;
        }
        export_fn f = (unsigned)v.op < VSR_OP_COUNT_ ? export_op[v.op] : NULL;
        if (!f)
            return unsupported(x, &v, "this op has no TFLite export yet");
        if ((rc = x->qe ? emit_int8_node(x, &v, i, t, f) : f(x, &v, i, t)) < 0)
            return rc;
    }
    for (int i = 0; i < n_in; i++) {
        const char *nm;
        int h, w, c, t;
        vsr_graph_input_info(g, i, &nm, &h, &w, &c, &t);
        inputs[i] = x->qe ? x->float_of[t] : x->tensor_of[t];
    }
    for (int i = 0; i < n_out; i++) {
        const char *nm;
        int t;
        vsr_graph_output_info(g, i, &nm, &t);
        outputs[i] = x->tensor_of[t];
        if (x->qe && x->t[outputs[i]].q_n &&
            (outputs[i] = dequantize_output(x, nm, outputs[i])) < 0)
            return outputs[i];
    }
    return write_model(x, inputs, n_in, outputs, n_out, b, root);
}

int vsr_models_export_tflite(const vsr_graph *g, int h, int w, const char *path, vsr_error *err)
{
    return vsr_models_export_tflite_ex(g, h, w, path, NULL, NULL, err);
}

int vsr_models_export_tflite_ex(const vsr_graph *g, int h, int w, const char *path,
                                const vsr_models_export_options *opt,
                                vsr_models_export_report *rep, vsr_error *err)
{
    if (rep)
        memset(rep, 0, sizeof(*rep));
    if (h < 1 || w < 1)
        return vsr_error_set(
            err, -EINVAL, "TFLite export: input size %dx%d (a fixed size, e.g. 180x320)", h, w);
    xp x = {.g = g, .err = err, .h = h, .w = w};
    vsr_engine *qe = NULL;
    int rc = opt && opt->precision == VSR_MODELS_EXPORT_INT8
                 ? mdl_export_int8_engine(g, "TFLite", &qe, err)
                 : 0;
    if (rc)
        return rc;
    x.qe = qe;
    mdl_fbb b;
    mdl_fbb_init(&b);
    mdl_fbo root = 0;
    const uint8_t *data;
    size_t len;
    rc = build(&x, &b, &root);
    if (!rc && (rc = mdl_fb_finish(&b, root, "TFL3", &data, &len)) < 0)
        rc = oom(&x);
    if (!rc)
        rc = vsr_atomic_write(path, data, len, err);
    mdl_fbb_free(&b);
    mdl_owned_free(&x.owned);
    free(x.t);
    free(x.ops);
    vsr_engine_free(&qe);
    if (rep && !rc)
        *rep = x.rep;
    return rc;
}
