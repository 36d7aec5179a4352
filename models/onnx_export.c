/*
 * onnx_export.c: write an engine graph (HWC) with its weights as an ONNX
 * model (opset 13, batch 1, NCHW, FP32), the inverse of onnx_import.c (see
 * vsr_models_export_onnx() in models.h). The ModelProto is built with
 * protobuf-c's generated types from models/onnx.proto; every allocation is
 * tracked in one list and freed after the pack.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"
#include "onnx_internal.h"

enum { ONNX_OPSET = 13, ONNX_IR_VERSION = 7 };

typedef struct ex {
    const vsr_graph *g;
    vsr_error *err;
    int h, w;         /* export input size; 0 = symbolic */
    mdl_owned allocs; /* everything below, freed together */
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    char **value;             /* ONNX value name of each engine tensor (node index) */
    const vsr_layer_info *li; /* every engine tensor at the export size */
    int node_i;               /* the engine node being written, for messages */
    const vsr_engine *qe;     /* INT8 (QDQ) export: the engine whose integers are written */
} ex;

static int oom(ex *x)
{
    return vsr_error_set(x->err, -ENOMEM, "ONNX export of '%s': out of memory",
                         vsr_graph_name(x->g));
}

static char *ex_printf(ex *x, const char *fmt, ...) VSR_PRINTF(2, 3);
static char *ex_printf(ex *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? mdl_owned_alloc(&x->allocs, (size_t)n + 1) : NULL;
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int push(ex *x, void ***arr, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 32;
        void **a = realloc(*arr, nc * sizeof(*a));
        if (!a)
            return oom(x);
        *arr = a, *cap = nc;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

/* A float initializer named @p name with @p ndim dims, @p data copied. */
static int init_f32(ex *x, const char *name, const int64_t *dims, int ndim, const float *data,
                    size_t count)
{
    Onnx__TensorProto *t = mdl_owned_alloc(&x->allocs, sizeof(*t));
    int64_t *d = mdl_owned_alloc(&x->allocs, (size_t)ndim * sizeof(int64_t));
    float *f = mdl_owned_alloc(&x->allocs, count * sizeof(float));
    char *nm = ex_printf(x, "%s", name);
    if (!t || !d || !f || !nm)
        return oom(x);
    onnx__tensor_proto__init(t);
    if (ndim)
        memcpy(d, dims, (size_t)ndim * sizeof(int64_t));
    memcpy(f, data, count * sizeof(float));
    t->n_dims = (size_t)ndim, t->dims = d;
    t->has_data_type = 1, t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_float_data = count, t->float_data = f;
    t->name = nm;
    return push(x, (void ***)&x->inits, &x->n_inits, &x->cap_inits, t);
}

static int init_i64(ex *x, const char *name, const int64_t *v, size_t n)
{
    Onnx__TensorProto *t = mdl_owned_alloc(&x->allocs, sizeof(*t));
    int64_t *d = mdl_owned_alloc(&x->allocs, sizeof(int64_t)),
            *data = mdl_owned_alloc(&x->allocs, n * sizeof(int64_t));
    char *nm = ex_printf(x, "%s", name);
    if (!t || !d || !data || !nm)
        return oom(x);
    onnx__tensor_proto__init(t);
    d[0] = (int64_t)n;
    memcpy(data, v, n * sizeof(int64_t));
    t->n_dims = 1, t->dims = d;
    t->has_data_type = 1, t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->n_int64_data = n, t->int64_data = data;
    t->name = nm;
    return push(x, (void ***)&x->inits, &x->n_inits, &x->cap_inits, t);
}

/* An initializer of ONNX type @p dtype (INT8, INT32) with @p bytes of
 * little-endian raw_data copied from @p data. */
static int init_raw(ex *x, const char *name, const int64_t *dims, int ndim, int dtype,
                    const void *data, size_t bytes)
{
    Onnx__TensorProto *t = mdl_owned_alloc(&x->allocs, sizeof(*t));
    int64_t *d = mdl_owned_alloc(&x->allocs, (size_t)(ndim ? ndim : 1) * sizeof(int64_t));
    uint8_t *r = mdl_owned_alloc(&x->allocs, bytes);
    char *nm = ex_printf(x, "%s", name);
    if (!t || !d || !r || !nm)
        return oom(x);
    onnx__tensor_proto__init(t);
    if (ndim)
        memcpy(d, dims, (size_t)ndim * sizeof(int64_t));
    memcpy(r, data, bytes);
    t->n_dims = (size_t)ndim, t->dims = d;
    t->has_data_type = 1, t->data_type = dtype;
    t->has_raw_data = 1, t->raw_data.data = r, t->raw_data.len = bytes;
    t->name = nm;
    return push(x, (void ***)&x->inits, &x->n_inits, &x->cap_inits, t);
}

/* A node with inputs and one output; returns it (attributes added after). */
static Onnx__NodeProto *node(ex *x, const char *op, const char *name, const char *const *in,
                             int n_in, const char *out)
{
    Onnx__NodeProto *nd = mdl_owned_alloc(&x->allocs, sizeof(*nd));
    char **iv = mdl_owned_alloc(&x->allocs, (size_t)n_in * sizeof(char *));
    char **ov = mdl_owned_alloc(&x->allocs, sizeof(char *));
    if (!nd || !iv || !ov)
        return NULL;
    onnx__node_proto__init(nd);
    for (int i = 0; i < n_in; i++)
        if (!(iv[i] = ex_printf(x, "%s", in[i])))
            return NULL;
    if (!(ov[0] = ex_printf(x, "%s", out)) || !(nd->name = ex_printf(x, "%s", name)) ||
        !(nd->op_type = ex_printf(x, "%s", op)))
        return NULL;
    nd->n_input = (size_t)n_in, nd->input = iv;
    nd->n_output = 1, nd->output = ov;
    if (push(x, (void ***)&x->nodes, &x->n_nodes, &x->cap_nodes, nd))
        return NULL;
    return nd;
}

static Onnx__AttributeProto *attr(ex *x, Onnx__NodeProto *nd, const char *name)
{
    Onnx__AttributeProto *a = mdl_owned_alloc(&x->allocs, sizeof(*a));
    Onnx__AttributeProto **arr =
        mdl_owned_alloc(&x->allocs, (nd->n_attribute + 1) * sizeof(*arr));
    if (!a || !arr || !(name = ex_printf(x, "%s", name)))
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    if (nd->n_attribute)
        memcpy(arr, nd->attribute, nd->n_attribute * sizeof(*arr));
    arr[nd->n_attribute++] = a;
    nd->attribute = arr;
    return a;
}

/* a scalar attribute: FLOAT @p f when @p is_float, else INT @p i */
static int attr_scalar(ex *x, Onnx__NodeProto *nd, const char *name, int is_float, int64_t i,
                       float f)
{
    Onnx__AttributeProto *a = attr(x, nd, name);
    if (!a)
        return oom(x);
    a->has_type = 1;
    if (is_float)
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f = 1, a->f = f;
    else
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i = 1, a->i = i;
    return 0;
}

static int attr_i(ex *x, Onnx__NodeProto *nd, const char *name, int64_t v)
{
    return attr_scalar(x, nd, name, 0, v, 0.f);
}

static int attr_f(ex *x, Onnx__NodeProto *nd, const char *name, float v)
{
    return attr_scalar(x, nd, name, 1, 0, v);
}

static int attr_s(ex *x, Onnx__NodeProto *nd, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(x, nd, name);
    char *s = ex_printf(x, "%s", v);
    if (!a || !s)
        return oom(x);
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a->has_s = 1, a->s.data = (uint8_t *)s, a->s.len = strlen(s);
    return 0;
}

static int attr_ints(ex *x, Onnx__NodeProto *nd, const char *name, const int64_t *v, int n)
{
    Onnx__AttributeProto *a = attr(x, nd, name);
    int64_t *d = mdl_owned_alloc(&x->allocs, (size_t)n * sizeof(int64_t));
    if (!a || !d)
        return oom(x);
    memcpy(d, v, (size_t)n * sizeof(int64_t));
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = (size_t)n, a->ints = d;
    return 0;
}

static int unsupported(ex *x, const vsr_node_view *v, const char *why)
{
    return vsr_error_set(x->err, -ENOTSUP, "ONNX export of '%s': node '%s' (%s): %s",
                         vsr_graph_name(x->g), v->name, vsr_op_name(v->op), why);
}

/* An activation from @p in to @p out; @p layer names its PReLU slopes. */
static int emit_act(ex *x, const vsr_act *a, const char *layer, int c, const char *name,
                    const char *in, const char *out)
{
    Onnx__NodeProto *nd;
    switch (a->type) {
    case VSR_ACT_RELU:
        return node(x, "Relu", name, &in, 1, out) ? 0 : oom(x);
    case VSR_ACT_SIGMOID:
        return node(x, "Sigmoid", name, &in, 1, out) ? 0 : oom(x);
    case VSR_ACT_LEAKY_RELU:
        if (!(nd = node(x, "LeakyRelu", name, &in, 1, out)))
            return oom(x);
        return attr_f(x, nd, "alpha", a->alpha);
    case VSR_ACT_CLIP: {
        char *lo = ex_printf(x, "%s.min", name), *hi = ex_printf(x, "%s.max", name);
        if (!lo || !hi)
            return oom(x);
        int rc;
        if ((rc = init_f32(x, lo, NULL, 0, &a->lo, 1)) ||
            (rc = init_f32(x, hi, NULL, 0, &a->hi, 1)))
            return rc;
        const char *ins[] = {in, lo, hi};
        return node(x, "Clip", name, ins, 3, out) ? 0 : oom(x);
    }
    case VSR_ACT_PRELU: {
        size_t n;
        const float *s = mdl_layer_weight(x->g, layer, "alpha", &n);
        char *sn = ex_printf(x, "%s.slope", name);
        if (!s || !sn)
            return s ? oom(x) : vsr_error_set(x->err, -EINVAL, "'%s': no PReLU slopes", layer);
        /* [C, 1, 1] broadcasts over H, W of [1, C, H, W]; a shared slope is [1] */
        int64_t d3[3] = {(int64_t)n, 1, 1}, d1[1] = {1};
        int rc = n == 1 && c != 1 ? init_f32(x, sn, d1, 1, s, 1) : init_f32(x, sn, d3, 3, s, n);
        if (rc)
            return rc;
        const char *ins[] = {in, sn};
        return node(x, "PRelu", name, ins, 2, out) ? 0 : oom(x);
    }
    default:
        return vsr_error_set(x->err, -ENOTSUP, "'%s': activation %d has no ONNX form", layer,
                             (int)a->type);
    }
}

/* The engine's INT8 parameters of tensor @p t, or -ENOTSUP naming it. */
static int tensor_q(ex *x, int t, float *scale, int *zp)
{
    vsr_node_view v;
    vsr_graph_node_view(x->g, t, &v);
    if (vsr_engine_tensor_quant(x->qe, t, scale, zp))
        return vsr_error_set(x->err, -ENOTSUP,
                             "ONNX INT8 export of '%s': tensor '%s' is not int8 in the engine "
                             "(an op kept in FP32); export it in FP32",
                             vsr_graph_name(x->g), v.name);
    return 0;
}

/*
 * INT8 (QDQ): float value @p fval of engine tensor @p t through
 * QuantizeLinear -> DequantizeLinear with the tensor's int8 (scale, zero
 * point); *out = the dequantized value's name, which consumers read.
 */
static int qdq(ex *x, int t, const char *fval, const char **out)
{
    float s;
    int zp, rc;
    if ((rc = tensor_q(x, t, &s, &zp)))
        return rc;
    int8_t z = (int8_t)zp;
    char *sn = ex_printf(x, "%s:scale", fval), *zn = ex_printf(x, "%s:zero_point", fval),
         *qn = ex_printf(x, "%s:q", fval), *dn = ex_printf(x, "%s:dq", fval);
    if (!sn || !zn || !qn || !dn)
        return oom(x);
    if ((rc = init_f32(x, sn, NULL, 0, &s, 1)) ||
        (rc = init_raw(x, zn, NULL, 0, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, &z, 1)))
        return rc;
    const char *qi[] = {fval, sn, zn}, *di[] = {qn, sn, zn};
    if (!node(x, "QuantizeLinear", qn, qi, 3, qn) ||
        !node(x, "DequantizeLinear", dn, di, 3, dn))
        return oom(x);
    *out = dn;
    return 0;
}

/*
 * INT8 (QDQ): conv @p v's weight as DequantizeLinear (axis 0) of the
 * engine's int8 OIHW weights with its per-channel scales (zero points 0),
 * named @p wn, and its bias as DequantizeLinear of the engine's int32
 * biases with scale s_in * s_w[o], named @p bn.
 */
static int conv_qdq_weights(ex *x, const vsr_node_view *v, int cing, const char *wn,
                            const char *bn)
{
    const vsr_conv_params *p = &v->conv;
    const int8_t *wq;
    const int32_t *bq;
    const float *ws;
    float sx;
    int zx, rc;
    if ((rc = tensor_q(x, v->inputs[0], &sx, &zx)))
        return rc;
    if ((rc = mdl_export_conv_int8(x->qe, x->g, x->node_i, "ONNX", &wq, &bq, &ws, x->err)))
        return rc;
    size_t n = (size_t)p->kh * p->kw * cing * p->cout;
    int8_t *oihw = mdl_owned_alloc(&x->allocs, n);
    void *zeros = mdl_owned_alloc(&x->allocs, (size_t)p->cout * sizeof(int32_t));
    float *bs = mdl_owned_alloc(&x->allocs, (size_t)p->cout * sizeof(float));
    char *wq_n = ex_printf(x, "%s_quantized", wn), *ws_n = ex_printf(x, "%s_scale", wn),
         *wz_n = ex_printf(x, "%s_zero_point", wn), *bq_n = ex_printf(x, "%s_quantized", bn),
         *bs_n = ex_printf(x, "%s_scale", bn), *bz_n = ex_printf(x, "%s_zero_point", bn);
    if (!oihw || !zeros || !bs || !wq_n || !ws_n || !wz_n || !bq_n || !bs_n || !bz_n)
        return oom(x);
    mdl_weights_from_hwio(oihw, wq, 1, p->kh, p->kw, cing, p->cout, MDL_W_OIHW);
    int64_t wd[4] = {p->cout, cing, p->kh, p->kw}, cd[1] = {p->cout};
    if ((rc = init_raw(x, wq_n, wd, 4, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, oihw, n)) ||
        (rc = init_f32(x, ws_n, cd, 1, ws, (size_t)p->cout)) ||
        (rc = init_raw(x, wz_n, cd, 1, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, zeros,
                       (size_t)p->cout)))
        return rc;
    const char *wi[] = {wq_n, ws_n, wz_n};
    Onnx__NodeProto *nd = node(x, "DequantizeLinear", wn, wi, 3, wn);
    if (!nd)
        return oom(x);
    if ((rc = attr_i(x, nd, "axis", 0)) || !p->bias)
        return rc;
    for (int o = 0; o < p->cout; o++)
        bs[o] = sx * ws[o]; /* the float product, as ONNX Runtime's quantizer stores it */
    if ((rc = init_raw(x, bq_n, cd, 1, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, bq,
                       (size_t)p->cout * sizeof(int32_t))) ||
        (rc = init_f32(x, bs_n, cd, 1, bs, (size_t)p->cout)) ||
        (rc = init_raw(x, bz_n, cd, 1, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, zeros,
                       (size_t)p->cout * sizeof(int32_t))))
        return rc;
    const char *bi[] = {bq_n, bs_n, bz_n};
    if (!(nd = node(x, "DequantizeLinear", bn, bi, 3, bn)))
        return oom(x);
    return attr_i(x, nd, "axis", 0);
}

static int emit_conv(ex *x, const vsr_node_view *v, int ih, int iw, int cin, const char *out)
{
    const vsr_conv_params *p = &v->conv;
    int depthwise = p->groups > 1;
    if (depthwise && !(p->groups == cin && p->cout == cin))
        return unsupported(x, v, "only group 1 and depthwise convolutions are exported");
    int cing = depthwise ? 1 : cin;
    size_t n, nb = 0;
    const float *wt = mdl_layer_weight(x->g, v->name, "weight", &n);
    const float *b = p->bias ? mdl_layer_weight(x->g, v->name, "bias", &nb) : NULL;
    if (!wt || n != (size_t)p->kh * p->kw * cing * p->cout || (p->bias && !b))
        return vsr_error_set(x->err, -EINVAL, "ONNX export of '%s': conv '%s' has no weights",
                             vsr_graph_name(x->g), v->name);
    float *oihw = mdl_owned_alloc(&x->allocs, n * sizeof(float));
    char *wn = ex_printf(x, "%s.weight", v->name), *bn = ex_printf(x, "%s.bias", v->name);
    if (!oihw || !wn || !bn)
        return oom(x);
    int rc;
    if (x->qe) {
        if ((rc = conv_qdq_weights(x, v, cing, wn, bn)))
            return rc;
        goto weights_done;
    }
    mdl_weights_from_hwio(oihw, wt, sizeof(float), p->kh, p->kw, cing, p->cout, MDL_W_OIHW);
    int64_t wd[4] = {p->cout, cing, p->kh, p->kw}, bd[1] = {p->cout};
    if ((rc = init_f32(x, wn, wd, 4, oihw, n)) || (b && (rc = init_f32(x, bn, bd, 1, b, nb))))
        return rc;
weights_done:;
    int kh_eff = (p->kh - 1) * p->dilation + 1, kw_eff = (p->kw - 1) * p->dilation + 1;
    int pt, pb, pl, pr;
    if (p->stride > 1 && (!ih || !iw))
        return unsupported(x, v, "a strided conv's SAME padding needs a fixed input size");
    mdl_onnx_same_pads(ih ? ih : 2 * kh_eff, kh_eff, p->stride, &pt, &pb);
    mdl_onnx_same_pads(iw ? iw : 2 * kw_eff, kw_eff, p->stride, &pl, &pr);
    const char *conv_out = out;
    if (p->act.type != VSR_ACT_NONE && !(conv_out = ex_printf(x, "%s:conv", out)))
        return oom(x);
    const char *ins[] = {x->value[v->inputs[0]], wn, bn};
    Onnx__NodeProto *nd = node(x, "Conv", v->name, ins, b ? 3 : 2, conv_out);
    if (!nd)
        return oom(x);
    int64_t ks[2] = {p->kh, p->kw}, st[2] = {p->stride, p->stride},
            dl[2] = {p->dilation, p->dilation}, pads[4] = {pt, pl, pb, pr};
    if ((rc = attr_ints(x, nd, "kernel_shape", ks, 2)) ||
        (rc = attr_ints(x, nd, "strides", st, 2)) ||
        (rc = attr_ints(x, nd, "dilations", dl, 2)) ||
        (rc = attr_ints(x, nd, "pads", pads, 4)) ||
        (rc = attr_i(x, nd, "group", depthwise ? cin : 1)))
        return rc;
    if (p->act.type == VSR_ACT_NONE)
        return 0;
    char *an = ex_printf(x, "%s:act", v->name);
    return an ? emit_act(x, &p->act, v->name, p->cout, an, conv_out, out) : oom(x);
}

/* ---- one function per op kind, listed in export_op[] ----------------------- */

typedef int (*export_fn)(ex *x, const vsr_node_view *v, const vsr_layer_info *in0,
                         const char *out);

static const char *in_name(ex *x, const vsr_node_view *v, int i)
{
    return x->value[v->inputs[i]];
}

static int ex_conv(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    return emit_conv(x, v, x->h ? in0->h : 0, x->w ? in0->w : 0, in0->c, out);
}

static int ex_act(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    return emit_act(x, &v->act, v->name, v->c, v->name, in_name(x, v, 0), out);
}

/* the engine's broadcasts (same shape, one channel, per channel) are ONNX's
 * multidirectional broadcasting of [1, C, H, W] shapes */
static int ex_binary(ex *x, const vsr_node_view *v, const char *op, const char *out)
{
    const char *ins[] = {in_name(x, v, 0), in_name(x, v, 1)};
    return node(x, op, v->name, ins, 2, out) ? 0 : oom(x);
}

static int ex_add(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    return ex_binary(x, v, "Add", out);
}

static int ex_mul(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    return ex_binary(x, v, "Mul", out);
}

/* Mul of @p in by the scalar @p k (initializer @p cn), node @p nn, output @p on. */
static int mul_scalar(ex *x, const char *in, float k, const char *cn, const char *nn,
                      const char *on)
{
    int rc = init_f32(x, cn, NULL, 0, &k, 1);
    if (rc)
        return rc;
    const char *ins[] = {in, cn};
    return node(x, "Mul", nn, ins, 2, on) ? 0 : oom(x);
}

/* y = a*x + b as Mul then Add, each only when it changes something */
static int ex_scale(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    const char *cur = in_name(x, v, 0);
    int rc, add = v->f[1] != 0.f || v->f[0] == 1.f;
    if (v->f[0] != 1.f) {
        char *cn = ex_printf(x, "%s.a", v->name);
        const char *mo = add ? ex_printf(x, "%s:mul", out) : out;
        const char *mn = add ? ex_printf(x, "%s:mul", v->name) : v->name;
        if (!cn || !mo || !mn)
            return oom(x);
        if ((rc = mul_scalar(x, cur, v->f[0], cn, mn, mo)))
            return rc;
        cur = mo;
    }
    if (!add)
        return 0;
    char *cn = ex_printf(x, "%s.b", v->name);
    if (!cn)
        return oom(x);
    if ((rc = init_f32(x, cn, NULL, 0, &v->f[1], 1)))
        return rc;
    const char *ins[] = {cur, cn};
    return node(x, "Add", v->name, ins, 2, out) ? 0 : oom(x);
}

static int ex_concat(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    const char **ins = mdl_owned_alloc(&x->allocs, (size_t)v->n_inputs * sizeof(char *));
    if (!ins)
        return oom(x);
    for (int i = 0; i < v->n_inputs; i++)
        ins[i] = in_name(x, v, i);
    Onnx__NodeProto *nd = node(x, "Concat", v->name, ins, v->n_inputs, out);
    return nd ? attr_i(x, nd, "axis", 1) : oom(x);
}

static int ex_slice(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    char *sn = ex_printf(x, "%s.starts", v->name), *en = ex_printf(x, "%s.ends", v->name),
         *an = ex_printf(x, "%s.axes", v->name);
    int64_t s0 = v->i[0], e0 = v->i[1], ax = 1;
    int rc;
    if (!sn || !en || !an)
        return oom(x);
    if ((rc = init_i64(x, sn, &s0, 1)) || (rc = init_i64(x, en, &e0, 1)) ||
        (rc = init_i64(x, an, &ax, 1)))
        return rc;
    const char *ins[] = {in_name(x, v, 0), sn, en, an};
    return node(x, "Slice", v->name, ins, 4, out) ? 0 : oom(x);
}

static int ex_d2s(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    const char *in = in_name(x, v, 0);
    Onnx__NodeProto *nd = node(x, "DepthToSpace", v->name, &in, 1, out);
    int rc;
    if (!nd)
        return oom(x);
    if ((rc = attr_i(x, nd, "blocksize", v->i[0])))
        return rc;
    return attr_s(x, nd, "mode", "DCR");
}

/* nearest: out[y] = in[floor(y / f)]; linear: the engine's src = (dst + 0.5)
 * / f - 0.5, ONNX half_pixel */
static int ex_resize(ex *x, const vsr_node_view *v, int nearest, const char *out)
{
    char *sn = ex_printf(x, "%s.scales", v->name);
    float sc[4] = {1, 1, (float)v->i[0], (float)v->i[0]};
    int64_t d[1] = {4};
    int rc;
    if (!sn)
        return oom(x);
    if ((rc = init_f32(x, sn, d, 1, sc, 4)))
        return rc;
    const char *ins[] = {in_name(x, v, 0), "", sn};
    Onnx__NodeProto *nd = node(x, "Resize", v->name, ins, 3, out);
    if (!nd)
        return oom(x);
    if ((rc = attr_s(x, nd, "mode", nearest ? "nearest" : "linear")) ||
        (rc = attr_s(x, nd, "coordinate_transformation_mode",
                     nearest ? "asymmetric" : "half_pixel")))
        return rc;
    return nearest ? attr_s(x, nd, "nearest_mode", "floor") : 0;
}

static int ex_nearest(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    return ex_resize(x, v, 1, out);
}

static int ex_bilinear(ex *x, const vsr_node_view *v, const vsr_layer_info *in0,
                       const char *out)
{
    (void)in0;
    return ex_resize(x, v, 0, out);
}

/* Inference BatchNormalization with the layer's gamma, beta, mean, var */
static int ex_bn(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    static const char *const role[4] = {"gamma", "beta", "mean", "var"};
    const char *ins[5] = {in_name(x, v, 0)};
    int rc;
    for (int k = 0; k < 4; k++) {
        size_t n;
        const float *d = mdl_layer_weight(x->g, v->name, role[k], &n);
        char *nm = ex_printf(x, "%s.%s", v->name, role[k]);
        int64_t dim = (int64_t)n;
        if (!nm)
            return oom(x);
        if (!d)
            return vsr_error_set(x->err, -EINVAL, "'%s': no batch-norm %s", v->name, role[k]);
        if ((rc = init_f32(x, nm, &dim, 1, d, n)))
            return rc;
        ins[k + 1] = nm;
    }
    Onnx__NodeProto *nd = node(x, "BatchNormalization", v->name, ins, 5, out);
    return nd ? attr_f(x, nd, "epsilon", v->f[0]) : oom(x);
}

/* softmax over the channels of each pixel: axis 1 of [1, C, H, W] */
static int ex_softmax(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    (void)in0;
    const char *in = in_name(x, v, 0);
    Onnx__NodeProto *nd = node(x, "Softmax", v->name, &in, 1, out);
    return nd ? attr_i(x, nd, "axis", 1) : oom(x);
}

/* Reshape @p in to the @p n dims @p dims (an int64 initializer "<name>.shape"). */
static int reshape(ex *x, const char *name, const char *in, const int64_t *dims, size_t n,
                   const char *out)
{
    char *sn = ex_printf(x, "%s.shape", name);
    int rc;
    if (!sn)
        return oom(x);
    if ((rc = init_i64(x, sn, dims, n)))
        return rc;
    const char *ins[] = {in, sn};
    return node(x, "Reshape", name, ins, 2, out) ? 0 : oom(x);
}

/* A MatMul node "<base>:mm" of @p a and @p b into "<out>:mm" (returned). */
static const char *matmul(ex *x, const char *base, const char *a, const char *b,
                          const char *out)
{
    char *nm = ex_printf(x, "%s:mm", base), *o = ex_printf(x, "%s:mm", out);
    const char *ins[] = {a, b};
    return nm && o && node(x, "MatMul", nm, ins, 2, o) ? o : NULL;
}

/*
 * AFA scores S = alpha K^T Q (engine 1 x Ck x Cq, here [1, Cq, 1, Ck]):
 * Q as [1, Cq, HW] times K as [1, HW, Ck] is S^T [1, Cq, Ck]; then Mul by
 * alpha and Reshape. vsr_models_import_onnx() reads this sequence back as
 * one matmul_tn; -1 in the flattening Reshapes keeps H and W free.
 */
static int ex_matmul_tn(ex *x, const vsr_node_view *v, const vsr_layer_info *in0,
                        const char *out)
{
    int64_t ck = in0->c, cq = x->li[v->inputs[1]].c;
    char *kn = ex_printf(x, "%s:k", v->name), *kr = ex_printf(x, "%s:k", out),
         *ktn = ex_printf(x, "%s:kt", v->name), *kt = ex_printf(x, "%s:kt", out),
         *qn = ex_printf(x, "%s:q", v->name), *qr = ex_printf(x, "%s:q", out);
    if (!kn || !kr || !ktn || !kt || !qn || !qr)
        return oom(x);
    const int64_t ks[3] = {1, ck, -1}, qs[3] = {1, cq, -1}, perm[3] = {0, 2, 1},
                  ss[4] = {1, cq, 1, ck};
    int rc;
    Onnx__NodeProto *nd;
    if ((rc = reshape(x, kn, in_name(x, v, 0), ks, 3, kr)))
        return rc;
    const char *kin = kr;
    if (!(nd = node(x, "Transpose", ktn, &kin, 1, kt)))
        return oom(x);
    if ((rc = attr_ints(x, nd, "perm", perm, 3)) ||
        (rc = reshape(x, qn, in_name(x, v, 1), qs, 3, qr)))
        return rc;
    const char *cur = matmul(x, v->name, qr, kt, out);
    if (!cur)
        return oom(x);
    if (v->f[0] != 1.f) {
        char *an = ex_printf(x, "%s.alpha", v->name), *mn = ex_printf(x, "%s:alpha", v->name),
             *mo = ex_printf(x, "%s:alpha", out);
        if (!an || !mn || !mo)
            return oom(x);
        if ((rc = mul_scalar(x, cur, v->f[0], an, mn, mo)))
            return rc;
        cur = mo;
    }
    return reshape(x, v->name, cur, ss, 4, out);
}

/*
 * AFA output Y = V A (V: H x W x Cv, A: engine 1 x Cv x Cq, here [1, Cq, 1,
 * Cv]): A as [1, Cq, Cv] times V as [1, Cv, HW] is Y as [1, Cq, HW], then
 * Reshape to [1, Cq, H, W] (a fixed size: the last Reshape spells H and W).
 */
static int ex_matmul_pixels(ex *x, const vsr_node_view *v, const vsr_layer_info *in0,
                            const char *out)
{
    if (!x->h)
        return unsupported(x, v, "needs a fixed input size (its Reshape spells H and W)");
    int64_t cv = in0->c, cq = v->c;
    char *an = ex_printf(x, "%s:a", v->name), *ar = ex_printf(x, "%s:a", out),
         *vn = ex_printf(x, "%s:v", v->name), *vr = ex_printf(x, "%s:v", out);
    if (!an || !ar || !vn || !vr)
        return oom(x);
    const int64_t as[3] = {1, cq, cv}, vs[3] = {1, cv, -1},
                  ys[4] = {1, cq, x->li[x->node_i].h, x->li[x->node_i].w};
    int rc;
    if ((rc = reshape(x, an, in_name(x, v, 1), as, 3, ar)) ||
        (rc = reshape(x, vn, in_name(x, v, 0), vs, 3, vr)))
        return rc;
    const char *mm = matmul(x, v->name, ar, vr, out);
    return mm ? reshape(x, v->name, mm, ys, 4, out) : oom(x);
}

/* The exporter of each op kind; a kind without one is -ENOTSUP, named. */
static const export_fn export_op[VSR_OP_COUNT_] = {
    [VSR_OP_CONV2D] = ex_conv,
    [VSR_OP_RELU] = ex_act,
    [VSR_OP_LEAKY_RELU] = ex_act,
    [VSR_OP_PRELU] = ex_act,
    [VSR_OP_CLIP] = ex_act,
    [VSR_OP_SIGMOID] = ex_act,
    [VSR_OP_ADD] = ex_add,
    [VSR_OP_MUL] = ex_mul,
    [VSR_OP_SCALE] = ex_scale,
    [VSR_OP_CONCAT] = ex_concat,
    [VSR_OP_SLICE] = ex_slice,
    [VSR_OP_DEPTH_TO_SPACE] = ex_d2s,
    [VSR_OP_RESIZE_NEAREST] = ex_nearest,
    [VSR_OP_RESIZE_BILINEAR] = ex_bilinear,
    [VSR_OP_BATCH_NORM] = ex_bn,
    [VSR_OP_SOFTMAX] = ex_softmax,
    [VSR_OP_MATMUL_TN] = ex_matmul_tn,
    [VSR_OP_MATMUL_PIXELS] = ex_matmul_pixels,
};

static int emit_node(ex *x, const vsr_node_view *v, const vsr_layer_info *in0, const char *out)
{
    export_fn f = (unsigned)v->op < VSR_OP_COUNT_ ? export_op[v->op] : NULL;
    return f ? f(x, v, in0, out) : unsupported(x, v, "this op has no ONNX export yet");
}

static Onnx__ValueInfoProto *value_info(ex *x, const char *name, int c, int h, int w)
{
    Onnx__ValueInfoProto *vi = mdl_owned_alloc(&x->allocs, sizeof(*vi));
    Onnx__TypeProto *tp = mdl_owned_alloc(&x->allocs, sizeof(*tp));
    Onnx__TypeProto__Tensor *tt = mdl_owned_alloc(&x->allocs, sizeof(*tt));
    Onnx__TensorShapeProto *sp = mdl_owned_alloc(&x->allocs, sizeof(*sp));
    Onnx__TensorShapeProto__Dimension **dims = mdl_owned_alloc(&x->allocs, 4 * sizeof(*dims));
    if (!vi || !tp || !tt || !sp || !dims || !(name = ex_printf(x, "%s", name)))
        return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    int64_t v[4] = {1, c, h, w};
    static const char *const sym[4] = {NULL, NULL, "height", "width"};
    for (int i = 0; i < 4; i++) {
        Onnx__TensorShapeProto__Dimension *d = mdl_owned_alloc(&x->allocs, sizeof(*d));
        if (!d)
            return NULL;
        onnx__tensor_shape_proto__dimension__init(d);
        if (v[i] > 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = v[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = (char *)sym[i];
        }
        dims[i] = d;
    }
    sp->n_dim = 4, sp->dim = dims;
    tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = (char *)name;
    vi->type = tp;
    return vi;
}

static int build(ex *x, Onnx__ModelProto *mp, Onnx__GraphProto *gp)
{
    const vsr_graph *g = x->g;
    int rc, n = vsr_graph_layer_count(g);
    if ((rc = vsr_graph_check_weights(g, x->err)) < 0)
        return rc;
    if (!(x->value = mdl_owned_alloc(&x->allocs, (size_t)n * sizeof(char *))))
        return oom(x);
    vsr_layer_info *li = mdl_owned_alloc(&x->allocs, (size_t)n * sizeof(*li));
    if (!li)
        return oom(x);
    x->li = li;
    for (int i = 0; i < n; i++)
        if ((rc = vsr_graph_layer_info(g, i, x->h, x->w, &li[i], x->err)) < 0)
            return rc;
    int n_in = vsr_graph_input_count(g), n_out = vsr_graph_output_count(g);
    Onnx__ValueInfoProto **ins = mdl_owned_alloc(&x->allocs, (size_t)n_in * sizeof(*ins));
    Onnx__ValueInfoProto **outs = mdl_owned_alloc(&x->allocs, (size_t)n_out * sizeof(*outs));
    if (!ins || !outs)
        return oom(x);
    for (int i = 0; i < n_in; i++) {
        const char *name;
        int h, w, c, t;
        vsr_graph_input_info(g, i, &name, &h, &w, &c, &t);
        if (!(x->value[t] = ex_printf(x, "%s", name)) ||
            !(ins[i] = value_info(x, name, c, x->h ? li[t].h : 0, x->w ? li[t].w : 0)))
            return oom(x);
        if (x->qe && (rc = qdq(x, t, x->value[t], (const char **)&x->value[t])))
            return rc;
    }
    for (int i = 0; i < n; i++) {
        vsr_node_view v;
        vsr_graph_node_view(g, i, &v);
        if (v.op == VSR_OP_INPUT)
            continue;
        x->node_i = i;
        if (!(x->value[i] = ex_printf(x, "%s", v.name)))
            return oom(x);
        if ((rc = emit_node(x, &v, v.n_inputs ? &li[v.inputs[0]] : NULL, x->value[i])) < 0)
            return rc;
        if (x->qe && (rc = qdq(x, i, x->value[i], (const char **)&x->value[i])))
            return rc;
    }
    /* outputs: an Identity gives each its own name (an output may be an
     * input of a later node, or the same tensor twice) */
    for (int i = 0; i < n_out; i++) {
        const char *name;
        int t;
        vsr_graph_output_info(g, i, &name, &t);
        const char *src = x->value[t];
        char *on = ex_printf(x, "%s:out", name);
        if (!on || !node(x, "Identity", on, &src, 1, name) ||
            !(outs[i] = value_info(x, name, li[t].c, x->h ? li[t].h : 0, x->w ? li[t].w : 0)))
            return oom(x);
    }
    onnx__graph_proto__init(gp);
    if (!(gp->name = ex_printf(x, "%s", vsr_graph_name(g))))
        return oom(x);
    gp->n_node = x->n_nodes, gp->node = x->nodes;
    gp->n_initializer = x->n_inits, gp->initializer = x->inits;
    gp->n_input = (size_t)n_in, gp->input = ins;
    gp->n_output = (size_t)n_out, gp->output = outs;
    Onnx__OperatorSetIdProto *os = mdl_owned_alloc(&x->allocs, sizeof(*os));
    Onnx__OperatorSetIdProto **osv = mdl_owned_alloc(&x->allocs, sizeof(*osv));
    if (!os || !osv)
        return oom(x);
    onnx__operator_set_id_proto__init(os);
    os->domain = "";
    os->has_version = 1, os->version = ONNX_OPSET;
    osv[0] = os;
    onnx__model_proto__init(mp);
    mp->has_ir_version = 1, mp->ir_version = ONNX_IR_VERSION;
    mp->n_opset_import = 1, mp->opset_import = osv;
    mp->producer_name = "vsrbench";
    mp->producer_version = "1";
    mp->graph = gp;
    return 0;
}

int vsr_models_export_onnx(const vsr_graph *g, int h, int w, const char *path, vsr_error *err)
{
    return vsr_models_export_onnx_ex(g, h, w, path, NULL, err);
}

int vsr_models_export_onnx_ex(const vsr_graph *g, int h, int w, const char *path,
                              const vsr_models_export_options *opt, vsr_error *err)
{
    if (h < 0 || w < 0 || (!h) != (!w))
        return vsr_error_set(err, -EINVAL, "ONNX export: input size %dx%d (both > 0, or 0x0)",
                             h, w);
    ex x = {.g = g, .err = err, .h = h, .w = w};
    vsr_engine *qe = NULL;
    int rc = opt && opt->precision == VSR_MODELS_EXPORT_INT8
                 ? mdl_export_int8_engine(g, "ONNX", &qe, err)
                 : 0;
    if (rc)
        return rc;
    x.qe = qe;
    Onnx__ModelProto mp;
    Onnx__GraphProto gp;
    rc = build(&x, &mp, &gp);
    uint8_t *buf = NULL;
    if (!rc) {
        size_t len = onnx__model_proto__get_packed_size(&mp);
        if (!(buf = malloc(len ? len : 1))) {
            rc = oom(&x);
        } else {
            onnx__model_proto__pack(&mp, buf);
            rc = vsr_atomic_write(path, buf, len, err);
        }
    }
    free(buf);
    mdl_owned_free(&x.allocs);
    free(x.nodes);
    free(x.inits);
    vsr_engine_free(&qe);
    return rc;
}
