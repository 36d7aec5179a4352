/*
 * tflite_import.c: translate a parsed TFLite model into an engine graph,
 * op by op (see vsr_models_import_tflite() in models.h).
 *
 * Weights: TFLite CONV_2D filters are OHWI [Cout][kh][kw][Cin]; the engine
 * wants HWIO. DEPTHWISE_CONV_2D filters are [1][kh][kw][C], which is the
 * engine's depthwise HWIO ([kh][kw][1][C]) already. INT8 constants are
 * dequantized: w = q * scale[o] (zero point 0, per output channel), bias =
 * q32 * bias_scale[o]; the per-channel scales are handed to the engine so
 * that its own INT8 quantization reproduces the file's integers.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"

/* A TFLite tensor that is no engine tensor but a 3-D view on one: FLAT =
 * engine tensor a as [1, H*W, C]; MMT = the pending AFA scores alpha a^T b
 * ([1, Ck, Cq]) until the RESHAPE to [1, 1, Ck, Cq] places them (the
 * attention of vsrbench's export). */
enum { TV_NONE, TV_FLAT, TV_MMT };
typedef struct tview {
    int kind, a, b;
    float alpha;
    int fh, fw; /* TV_FLAT: H and W of the 4-D tensor in the file */
} tview;

typedef struct imp {
    const vsr_models_tflite *m;
    vsr_graph *g;
    int *tid;  /* TFLite tensor -> engine tensor id (-1 none) */
    int *uses; /* consumers per TFLite tensor */
    const vsr_models_tflite_import *opt;
    vsr_error *err;
    size_t budget, used; /* weight bytes the file may make us allocate, and so far */
    tview *view;         /* per TFLite tensor */
} imp;

/* Largest height, width or channel count an imported tensor may have: keeps
 * the engine's int shape arithmetic (h * block, sum of concat channels) far
 * from overflow whatever the file says. */
#define MAX_SIDE (1 << 16)

/* Elements of dims [from, ndim) of @p t (checked; the parser has checked the
 * shape of every constant against its bytes, so this cannot fail for one). */
static int dims_count(const vsr_models_tfl_tensor *t, int from, size_t *n)
{
    int64_t d[VSR_MODELS_MAX_DIMS];
    int k = 0;
    for (int i = from; i < t->ndim; i++)
        d[k++] = t->shape[i];
    return vsr_size_mul_n(d, k, n);
}

/* Channel of flat element @p i along the quantized dimension. The parser
 * checked that a per-channel tensor has one scale per index of that dim. */
static int chan_of(const vsr_models_tfl_tensor *t, size_t i)
{
    if (t->q.n <= 1)
        return 0;
    size_t inner = 1;
    if (dims_count(t, t->q.quantized_dimension + 1, &inner) || !inner)
        return 0;
    return (int)((i / inner) % (size_t)t->q.n);
}

/* Element @p i of constant @p t as a float (dequantized). */
static float deq(const vsr_models_tfl_tensor *t, size_t i)
{
    const uint8_t *p = t->data;
    float s = 1.0f;
    int64_t zp = 0;
    if (t->q.n) {
        int k = chan_of(t, i);
        s = t->q.scale[k];
        zp = t->q.nzp > k ? t->q.zero_point[k] : (t->q.nzp ? t->q.zero_point[0] : 0);
    }
    switch (t->type) {
    case VSR_TFL_FLOAT32:
        return mdl_le_f32(p, i);
    case VSR_TFL_FLOAT16:
        return mdl_le_f16(p, i);
    case VSR_TFL_INT8:
        return (float)(((int8_t)p[i]) - zp) * s;
    case VSR_TFL_UINT8:
        return (float)((int)p[i] - zp) * s;
    case VSR_TFL_INT32: {
        int32_t v = mdl_le_i32(p, i);
        return t->q.n ? (float)((double)(v - zp) * s) : (float)v;
    }
    }
    return NAN;
}

/* Account for @p count floats of weights the import keeps; past the budget
 * (VSR_MODELS_TFLITE_ALLOC_FACTOR x the file + slack) it is an error. */
static int take(imp *im, size_t count, const char *name)
{
    size_t bytes = 0, used = 0;
    if (vsr_size_mul(count, sizeof(float), &bytes) || vsr_size_add(im->used, bytes, &used) ||
        used > im->budget)
        return vsr_error_set(im->err, -EINVAL,
                             "%s: the weights would take more than %zu bytes, the limit for a "
                             "%zu-byte file (%d x its size + %d; constants shared by many "
                             "ops?)",
                             name, im->budget, im->m->file_len, VSR_MODELS_TFLITE_ALLOC_FACTOR,
                             VSR_MODELS_TFLITE_ALLOC_SLACK);
    im->used = used;
    return 0;
}

/*
 * Constant operand @p ti of op #@p opi in its @p role ("filter", "bias"):
 * data present, a type deq() reads, exactly @p want elements, per-channel
 * scales (if any) on dimension @p qdim.
 */
static int check_const(const imp *im, int opi, const vsr_models_tfl_operator *op, int ti,
                       const char *role, size_t want, int qdim)
{
    const vsr_models_tfl_tensor *t = &im->m->tensors[ti];
    size_t n = 0;
    if (!t->data)
        return vsr_error_set(im->err, -ENOTSUP, "op #%d %s: %s T%d '%s' is not a constant", opi,
                             op->opname, role, ti, t->name);
    switch (t->type) {
    case VSR_TFL_FLOAT32:
    case VSR_TFL_FLOAT16:
    case VSR_TFL_INT8:
    case VSR_TFL_UINT8:
    case VSR_TFL_INT32:
        break;
    default:
        return vsr_error_set(im->err, -ENOTSUP, "op #%d %s: %s T%d '%s' has type %s", opi,
                             op->opname, role, ti, t->name, vsr_models_tfl_typename(t->type));
    }
    if (dims_count(t, 0, &n) || n != want)
        return vsr_error_set(im->err, -EINVAL,
                             "op #%d %s: %s T%d '%s' has %zu elements, the op needs %zu", opi,
                             op->opname, role, ti, t->name, n, want);
    if (t->q.n > 1 && t->q.quantized_dimension != qdim)
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d %s: %s T%d '%s' is quantized per channel on dimension %d "
                             "(only %d, the output channels, is supported)",
                             opi, op->opname, role, ti, t->name, t->q.quantized_dimension,
                             qdim);
    return 0;
}

static int const_int32(const imp *im, int ti, int32_t *out, int cap, int *n)
{
    if (ti < 0)
        return vsr_error_set(im->err, -ENOTSUP, "expected a small int32 constant, not none");
    const vsr_models_tfl_tensor *t = &im->m->tensors[ti];
    if (!t->data || t->type != VSR_TFL_INT32 || t->data_len / 4 > (size_t)cap ||
        t->data_len % 4)
        return vsr_error_set(im->err, -ENOTSUP,
                             "tensor T%d '%s': expected a small int32 constant", ti, t->name);
    *n = (int)(t->data_len / 4);
    memcpy(out, t->data, t->data_len);
    return 0;
}

static int in_id(const imp *im, const vsr_models_tfl_operator *op, int k, int opi)
{
    if (k >= op->n_inputs || op->inputs[k] < 0)
        return vsr_error_set(im->err, -EINVAL, "op #%d %s: missing input %d", opi, op->opname,
                             k);
    int ti = op->inputs[k];
    if (im->tid[ti] < 0)
        return vsr_error_set(
            im->err, -ENOTSUP,
            "op #%d %s: input T%d '%s' is a constant or not produced yet (only "
            "weights may be constant)",
            opi, op->opname, ti, im->m->tensors[ti].name);
    return im->tid[ti];
}

static int set_q(const imp *im, int eng, int ti)
{
    const vsr_models_tfl_tensor *t = &im->m->tensors[ti];
    if (!im->opt->use_quant || t->q.n != 1 ||
        (t->type != VSR_TFL_INT8 && t->type != VSR_TFL_UINT8))
        return 0;
    int zp = (int)(t->q.nzp ? t->q.zero_point[0] : 0);
    if (t->type == VSR_TFL_UINT8)
        zp -= 128; /* same real values on the int8 grid */
    return vsr_graph_set_quant(im->g, eng, t->q.scale[0], zp, im->err);
}

static vsr_act_type fused(int a, int *bad)
{
    *bad = 0;
    switch (a) {
    case VSR_TFL_ACT_NONE:
        return VSR_ACT_NONE;
    case VSR_TFL_ACT_RELU:
        return VSR_ACT_RELU;
    case VSR_TFL_ACT_RELU6:
        return VSR_ACT_CLIP;
    }
    *bad = 1;
    return VSR_ACT_NONE;
}

static int conv(imp *im, int opi, const vsr_models_tfl_operator *op, const char *name)
{
    const vsr_models_tflite *m = im->m;
    const int dw = op->code == VSR_TFL_DEPTHWISE_CONV_2D;
    int x = in_id(im, op, 0, opi);
    if (x < 0)
        return x;
    if (op->n_inputs < 2 || op->inputs[1] < 0 || !m->tensors[op->inputs[1]].data)
        return vsr_error_set(im->err, -ENOTSUP, "op #%d %s: filter is not a constant", opi,
                             op->opname);
    const vsr_models_tfl_tensor *wt = &m->tensors[op->inputs[1]];
    const vsr_models_tfl_tensor *bt =
        op->n_inputs > 2 && op->inputs[2] >= 0 ? &m->tensors[op->inputs[2]] : NULL;
    if (wt->ndim != 4)
        return vsr_error_set(im->err, -EINVAL, "op #%d %s: filter T%d is not 4-D", opi,
                             op->opname, op->inputs[1]);
    for (int d = 0; d < 4; d++)
        if (wt->shape[d] < 1 || wt->shape[d] > MAX_SIDE)
            return vsr_error_set(
                im->err, -EINVAL, "op #%d %s: filter T%d '%s' has dim %d = %d (1..%d)", opi,
                op->opname, op->inputs[1], wt->name, d, wt->shape[d], MAX_SIDE);
    const vsr_models_tfl_options *o = &op->opt;
    if (o->stride_w != o->stride_h || o->dilation_w != o->dilation_h)
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d %s: unequal strides/dilations are not supported", opi,
                             op->opname);
    int kh = wt->shape[1], kw = wt->shape[2];
    if (o->padding == 1 && (kh > 1 || kw > 1))
        return vsr_error_set(im->err, -ENOTSUP, "op #%d %s: VALID padding is not supported",
                             opi, op->opname);
    if (dw && o->depth_multiplier != 1)
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d DEPTHWISE_CONV_2D: depth_multiplier %d is not supported",
                             opi, o->depth_multiplier);
    int cout = dw ? wt->shape[3] : wt->shape[0];
    int cin = dw ? 1 : wt->shape[3];
    /* each dim is <= 2^16, so the product fits; the parser checked it
     * against the filter's bytes */
    size_t cnt = (size_t)kh * (size_t)kw * (size_t)cin * (size_t)cout;
    int rc = check_const(im, opi, op, op->inputs[1], "filter", cnt, dw ? 3 : 0);
    if (!rc && bt && bt->data)
        rc = check_const(im, opi, op, op->inputs[2], "bias", (size_t)cout, 0);
    if (rc)
        return rc;
    int bad;
    vsr_conv_params p = vsr_conv_default(cout, kh);
    p.kh = kh;
    p.kw = kw;
    p.stride = o->stride_w;
    p.dilation = o->dilation_w;
    p.groups = dw ? cout : 1;
    p.bias = bt && bt->data;
    p.act.type = fused(o->act, &bad);
    p.act.lo = 0;
    p.act.hi = 6;
    if (bad)
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d %s: fused activation %d is not supported", opi, op->opname,
                             o->act);
    const int quant = im->opt->use_quant && wt->type == VSR_TFL_INT8 && wt->q.n >= 1;
    if ((rc = take(im, cnt, name)) || (p.bias && (rc = take(im, (size_t)cout, name))) ||
        (quant && (rc = take(im, (size_t)cout, name))))
        return rc;
    int y = vsr_graph_conv2d(im->g, name, x, &p, im->err);
    if (y < 0)
        return y;
    float *w = malloc(cnt * sizeof(float));
    if (!w)
        return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", name);
    for (int oc = 0; oc < cout; oc++)
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
                for (int ic = 0; ic < cin; ic++) {
                    size_t src = dw ? ((size_t)ky * kw + kx) * cout + oc
                                    : (((size_t)oc * kh + ky) * kw + kx) * cin + ic;
                    size_t dst = (((size_t)ky * kw + kx) * cin + ic) * cout + oc;
                    w[dst] = deq(wt, src);
                }
    char wn[VSR_NAME_MAX + 8];
    snprintf(wn, sizeof(wn), "%s.weight", name);
    rc = vsr_graph_set_weight(im->g, wn, w, cnt, im->err);
    free(w);
    if (rc)
        return rc;
    if (p.bias) {
        float *b = malloc((size_t)cout * sizeof(float));
        if (!b)
            return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", name);
        for (int oc = 0; oc < cout; oc++)
            b[oc] = deq(bt, (size_t)oc);
        snprintf(wn, sizeof(wn), "%s.bias", name);
        rc = vsr_graph_set_weight(im->g, wn, b, (size_t)cout, im->err);
        free(b);
        if (rc)
            return rc;
    }
    if (quant) {
        float *sc = malloc((size_t)cout * sizeof(float));
        if (!sc)
            return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", name);
        for (int oc = 0; oc < cout; oc++)
            sc[oc] = wt->q.scale[wt->q.n > 1 ? oc : 0];
        rc = vsr_graph_set_weight_scales(im->g, name, sc, cout, im->err);
        free(sc);
        if (rc)
            return rc;
    }
    return y;
}

/* Value of a scalar (or 1-element) constant. */
static int scalar_const(const imp *im, int ti, float *v)
{
    const vsr_models_tfl_tensor *t = &im->m->tensors[ti];
    size_t n = 0;
    if (!t->data || dims_count(t, 0, &n) || n != 1)
        return -1;
    *v = deq(t, 0);
    return 0;
}

static int strided_slice(imp *im, int opi, const vsr_models_tfl_operator *op, const char *name)
{
    int x = in_id(im, op, 0, opi);
    if (x < 0)
        return x;
    const vsr_models_tfl_tensor *xt = &im->m->tensors[op->inputs[0]];
    int32_t b[8], e[8], s[8];
    int nb = 0, ne = 0, ns = 0, rc;
    if (op->n_inputs < 4 || (rc = const_int32(im, op->inputs[1], b, 8, &nb)) ||
        (rc = const_int32(im, op->inputs[2], e, 8, &ne)) ||
        (rc = const_int32(im, op->inputs[3], s, 8, &ns)))
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d STRIDED_SLICE: needs constant begin/end/strides", opi);
    const vsr_models_tfl_options *o = &op->opt;
    if (nb != 4 || ne != 4 || ns != 4 || xt->ndim != 4 || o->ellipsis_mask ||
        o->new_axis_mask || o->shrink_axis_mask)
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d STRIDED_SLICE: only 4-D channel slices are supported",
                             opi);
    int lo[4], hi[4];
    for (int d = 0; d < 4; d++) {
        int dim = d == 3 ? xt->shape[3] : -1;
        if (s[d] != 1)
            return vsr_error_set(im->err, -ENOTSUP,
                                 "op #%d STRIDED_SLICE: stride %d on axis %d", opi, s[d], d);
        lo[d] = (o->begin_mask >> d) & 1 ? 0 : b[d];
        hi[d] = (o->end_mask >> d) & 1 ? INT32_MAX : e[d];
        if (d == 3) {
            if (lo[d] < 0)
                lo[d] += dim;
            if (hi[d] < 0)
                hi[d] += dim;
            if (hi[d] > dim)
                hi[d] = dim;
        } else if (lo[d] != 0 || (hi[d] != INT32_MAX && hi[d] < xt->shape[d] &&
                                  !(xt->shape[d] <= 1 && hi[d] >= 1))) {
            return vsr_error_set(im->err, -ENOTSUP,
                                 "op #%d STRIDED_SLICE: slicing axis %d is not supported "
                                 "(channel slices only)",
                                 opi, d);
        }
    }
    return vsr_graph_slice(im->g, name, x, lo[3], hi[3], im->err);
}

/* op #@p opi, one of RELU, RELU6, SOFTMAX (beta 1 only), LOGISTIC, LEAKY_RELU, as node
 * @p n on its first input; the node's id or a negative errno */
static int unary_op(const imp *im, const vsr_models_tfl_operator *op, int opi, const char *n,
                    vsr_error *err)
{
    int x = in_id(im, op, 0, opi);
    if (x < 0)
        return x;
    switch (op->code) {
    case VSR_TFL_RELU:
        return vsr_graph_relu(im->g, n, x, err);
    case VSR_TFL_RELU6:
        return vsr_graph_clip(im->g, n, x, 0.0f, 6.0f, err);
    case VSR_TFL_SOFTMAX:
        if (op->opt.beta != 1.0f)
            return vsr_error_set(err, -ENOTSUP, "op #%d SOFTMAX: beta %g (only 1)", opi,
                                 (double)op->opt.beta);
        return vsr_graph_softmax(im->g, n, x, err);
    case VSR_TFL_LOGISTIC:
        return vsr_graph_sigmoid(im->g, n, x, err);
    default: /* VSR_TFL_LEAKY_RELU */
        return vsr_graph_leaky_relu(im->g, n, x, op->opt.alpha, err);
    }
}

/* Tensor @p x scaled by @p f in height and width stays within MAX_SIDE. */
static int check_grow(const imp *im, int opi, const vsr_models_tfl_operator *op, int x, int f)
{
    int h = 0, w = 0, c = 0;
    if (x < 0)
        return x;
    if (f < 1 || f > 64 || vsr_graph_tensor_shape(im->g, x, &h, &w, &c) ||
        (int64_t)h * f > MAX_SIDE || (int64_t)w * f > MAX_SIDE)
        return vsr_error_set(im->err, -EINVAL,
                             "op #%d %s: factor %d on a %dx%d tensor (1..64, sides up to %d)",
                             opi, op->opname, f, h, w, MAX_SIDE);
    return 0;
}

static int resize_factor(imp *im, int opi, const vsr_models_tfl_operator *op, int *f)
{
    const vsr_models_tfl_tensor *xt = &im->m->tensors[op->inputs[0]];
    int32_t sz[4];
    int n = 0;
    int rc = op->n_inputs < 2 ? -ENOTSUP : const_int32(im, op->inputs[1], sz, 4, &n);
    if (rc || n != 2 || xt->ndim != 4 || xt->shape[1] < 1 || xt->shape[2] < 1 ||
        sz[0] % xt->shape[1] || sz[1] % xt->shape[2] ||
        sz[0] / xt->shape[1] != sz[1] / xt->shape[2])
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d %s: only equal integer upscaling factors are supported",
                             opi, op->opname);
    *f = sz[0] / xt->shape[1];
    return check_grow(im, opi, op, in_id(im, op, 0, opi), *f);
}

/*
 * RESHAPE, BATCH_MATMUL, and MUL of pending scores: the attention layout of
 * vsrbench's export (tflite_export.c). Returns 1 when op #@p opi left a view
 * in im->view[@p oti], 0 with *y an engine tensor, or a negative errno.
 * MUL returns 2 when it is an ordinary MUL (not of a view).
 */
static int view_op(imp *im, int opi, const vsr_models_tfl_operator *op, const char *name,
                   int oti, int *y)
{
    const vsr_models_tflite *m = im->m;
    const vsr_models_tfl_tensor *ot = &m->tensors[oti];
    int t0 = op->n_inputs > 0 ? op->inputs[0] : -1, t1 = op->n_inputs > 1 ? op->inputs[1] : -1;
    const tview *a = t0 >= 0 ? &im->view[t0] : NULL, *b = t1 >= 0 ? &im->view[t1] : NULL;
    tview *out = &im->view[oti];
    int h = 0, w = 0, c = 0, h2 = 0, w2 = 0, c2 = 0;
    if (op->code == VSR_TFL_MUL) {
        float k;
        if (!a || a->kind != TV_MMT)
            return 2;
        if (t1 < 0 || scalar_const(im, t1, &k))
            return vsr_error_set(im->err, -ENOTSUP,
                                 "op #%d MUL: attention scores scale only by a scalar constant",
                                 opi);
        *out = *a;
        out->alpha *= k;
        return 1;
    }
    if (op->code == VSR_TFL_BATCH_MATMUL) {
        if (!a || !b || a->kind != TV_FLAT || b->kind != TV_FLAT)
            return vsr_error_set(im->err, -ENOTSUP,
                                 "op #%d BATCH_MATMUL: supported only in the attention layout "
                                 "of vsrbench's export ([1, H*W, C] reshapes of tensors)",
                                 opi);
        vsr_graph_tensor_shape(im->g, a->a, &h, &w, &c);
        vsr_graph_tensor_shape(im->g, b->a, &h2, &w2, &c2);
        if (op->opt.adj_x && !op->opt.adj_y && h == h2 && w == w2) {
            *out = (tview){TV_MMT, a->a, b->a, 1.0f, 0, 0};
            return 1;
        }
        if (!op->opt.adj_x && !op->opt.adj_y && h2 == 1 && w2 == c) {
            *y = vsr_graph_matmul_pixels(im->g, name, a->a, b->a, im->err);
            if (*y < 0)
                return *y;
            *out = (tview){TV_FLAT, *y, 0, 0, a->fh, a->fw};
            return 1;
        }
        return vsr_error_set(im->err, -ENOTSUP,
                             "op #%d BATCH_MATMUL: operands %dx%dx%d and %dx%dx%d (adj_x %d, "
                             "adj_y %d) are not an attention of vsrbench's export",
                             opi, h, w, c, h2, w2, c2, op->opt.adj_x, op->opt.adj_y);
    }
    /* RESHAPE */
    if (!a)
        return vsr_error_set(im->err, -EINVAL, "op #%d RESHAPE: missing input", opi);
    int src = a->kind == TV_NONE ? im->tid[t0] : a->a;
    if (src < 0)
        return vsr_error_set(im->err, -ENOTSUP, "op #%d RESHAPE: input T%d is not computed",
                             opi, t0);
    vsr_graph_tensor_shape(im->g, src, &h, &w, &c);
    const int32_t *s = ot->shape;
    /* H and W as the file has them (the import size may differ) */
    const vsr_models_tfl_tensor *it = &m->tensors[t0];
    int fh = a->kind == TV_FLAT ? a->fh : it->ndim == 4 ? it->shape[1] : -1;
    int fw = a->kind == TV_FLAT ? a->fw : it->ndim == 4 ? it->shape[2] : -1;
    if (a->kind == TV_NONE && ot->ndim == 3 && s[0] == 1 && s[2] == c &&
        (int64_t)s[1] == (int64_t)fh * fw) {
        *out = (tview){TV_FLAT, src, 0, 0, fh, fw};
        return 1;
    }
    if (a->kind != TV_MMT && ot->ndim == 4 && s[0] == 1 && s[1] == fh && s[2] == fw &&
        s[3] == c) {
        *y = src; /* back to (or still) its own [1, H, W, C] */
        return 0;
    }
    if (a->kind == TV_MMT) {
        vsr_graph_tensor_shape(im->g, a->b, &h2, &w2, &c2);
        if (ot->ndim == 4 && s[0] == 1 && s[1] == 1 && s[2] == c && s[3] == c2) {
            *y = vsr_graph_matmul_tn(im->g, name, a->a, a->b, a->alpha, im->err);
            return *y < 0 ? *y : 0;
        }
    }
    return vsr_error_set(im->err, -ENOTSUP,
                         "op #%d RESHAPE: only the attention reshapes of vsrbench's export are "
                         "supported",
                         opi);
}

int vsr_models_import_tflite(const vsr_models_tflite *m, const char *name,
                             const vsr_models_tflite_import *opt, vsr_graph **out,
                             vsr_error *err)
{
    *out = NULL;
    imp im = {m, NULL, NULL, NULL, opt, err, 0, 0, NULL};
    /* budget = FACTOR x file + SLACK, saturating (a file is far below SIZE_MAX / 8) */
    if (vsr_size_mul(m->file_len, VSR_MODELS_TFLITE_ALLOC_FACTOR, &im.budget) ||
        vsr_size_add(im.budget, VSR_MODELS_TFLITE_ALLOC_SLACK, &im.budget))
        im.budget = SIZE_MAX;
    int rc = vsr_graph_create(name, &im.g, err);
    if (rc)
        return rc;
    im.tid = malloc((size_t)(m->n_tensors ? m->n_tensors : 1) * sizeof(int));
    im.uses = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), sizeof(int));
    im.view = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), sizeof(tview));
    if (!im.tid || !im.uses || !im.view) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    for (int i = 0; i < m->n_tensors; i++)
        im.tid[i] = -1;
    for (int i = 0; i < m->n_ops; i++)
        for (int k = 0; k < m->ops[i].n_inputs; k++)
            if (m->ops[i].inputs[k] >= 0)
                im.uses[m->ops[i].inputs[k]]++;
    for (int i = 0; i < m->n_inputs; i++) {
        if (m->inputs[i] < 0) {
            rc = vsr_error_set(err, -EINVAL, "%s: subgraph input %d is not a tensor", name, i);
            goto fail;
        }
        const vsr_models_tfl_tensor *t = &m->tensors[m->inputs[i]];
        if (t->ndim != 4 || t->shape[0] != 1) {
            rc = vsr_error_set(err, -ENOTSUP, "%s: input T%d must be [1, H, W, C]", name,
                               m->inputs[i]);
            goto fail;
        }
        char n[16];
        snprintf(n, sizeof(n), "in%d", i);
        int h = opt->h > 0 ? opt->h : t->shape[1], w = opt->w > 0 ? opt->w : t->shape[2];
        if (h > MAX_SIDE || w > MAX_SIDE || t->shape[3] > MAX_SIDE) {
            rc = vsr_error_set(err, -EINVAL, "%s: input T%d is %dx%dx%d (sides up to %d)", name,
                               m->inputs[i], h, w, t->shape[3], MAX_SIDE);
            goto fail;
        }
        im.tid[m->inputs[i]] = vsr_graph_input(im.g, n, h, w, t->shape[3], err);
        if (im.tid[m->inputs[i]] < 0) {
            rc = im.tid[m->inputs[i]];
            goto fail;
        }
    }
    for (int i = 0; i < m->n_ops; i++) {
        const vsr_models_tfl_operator *op = &m->ops[i];
        char n[VSR_NAME_MAX];
        snprintf(n, sizeof(n), "op%d_%s", i, op->opname);
        for (char *c = n; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        if (op->n_outputs != 1 || op->outputs[0] < 0) {
            rc = vsr_error_set(err, -ENOTSUP, "%s: op #%d %s has %d outputs (1 supported)",
                               name, i, op->opname, op->n_outputs);
            goto fail;
        }
        int oti = op->outputs[0];
        int y = -1, x, bad;
        switch (op->code) {
        case VSR_TFL_QUANTIZE:
        case VSR_TFL_DEQUANTIZE:
            /* value-preserving (uint8 <-> int8 with matching params): alias */
            y = in_id(&im, op, 0, i);
            if (y >= 0 && (rc = set_q(&im, y, oti)))
                goto fail;
            im.tid[oti] = y;
            if (y < 0) {
                rc = y;
                goto fail;
            }
            continue;
        case VSR_TFL_CONV_2D:
        case VSR_TFL_DEPTHWISE_CONV_2D:
            y = conv(&im, i, op, n);
            break;
        case VSR_TFL_RESHAPE:
        case VSR_TFL_BATCH_MATMUL:
        case VSR_TFL_MUL:
            if ((rc = view_op(&im, i, op, n, oti, &y)) < 0)
                goto fail;
            if (rc == 1)
                continue;
            if (rc == 0)
                break;
            /* an ordinary MUL */
            /* fall through */
        case VSR_TFL_ADD: {
            int a = in_id(&im, op, 0, i), b = in_id(&im, op, 1, i);
            if (a < 0 || b < 0) {
                y = a < 0 ? a : b;
                break;
            }
            y = op->code == VSR_TFL_ADD ? vsr_graph_add(im.g, n, a, b, err)
                                        : vsr_graph_mul(im.g, n, a, b, err);
            vsr_act_type at = fused(op->opt.act, &bad);
            if (bad) {
                y = vsr_error_set(err, -ENOTSUP, "op #%d %s: fused activation %d", i,
                                  op->opname, op->opt.act);
            } else if (at != VSR_ACT_NONE && y >= 0) {
                vsr_act act = {at, 0, 0, 6, 0};
                strncat(n, "_act", sizeof(n) - strlen(n) - 1);
                y = vsr_graph_activation(im.g, n, y, &act, err);
            }
            break;
        }
        case VSR_TFL_CONCATENATION: {
            const vsr_models_tfl_tensor *ot = &m->tensors[oti];
            int axis = op->opt.axis < 0 ? op->opt.axis + ot->ndim : op->opt.axis;
            if (axis != ot->ndim - 1) {
                y = vsr_error_set(err, -ENOTSUP,
                                  "op #%d CONCATENATION: axis %d (only the channel axis)", i,
                                  op->opt.axis);
                break;
            }
            int ids[64];
            if (op->n_inputs > 64) {
                y = vsr_error_set(err, -ENOTSUP, "op #%d CONCATENATION: > 64 inputs", i);
                break;
            }
            y = 0;
            for (int k = 0; k < op->n_inputs && y >= 0; k++)
                y = ids[k] = in_id(&im, op, k, i);
            int64_t sum = 0;
            for (int k = 0; k < op->n_inputs && y >= 0; k++) {
                int h, w, c = 0;
                vsr_graph_tensor_shape(im.g, ids[k], &h, &w, &c);
                sum += c;
            }
            if (y >= 0 && sum > MAX_SIDE)
                y = vsr_error_set(err, -EINVAL,
                                  "op #%d CONCATENATION: %lld channels (at most %d)", i,
                                  (long long)sum, MAX_SIDE);
            if (y >= 0)
                y = vsr_graph_concat(im.g, n, op->n_inputs, ids, err);
            break;
        }
        case VSR_TFL_DEPTH_TO_SPACE:
            x = in_id(&im, op, 0, i);
            y = check_grow(&im, i, op, x, op->opt.block_size);
            if (y >= 0)
                y = vsr_graph_depth_to_space(im.g, n, x, op->opt.block_size, err);
            break;
        case VSR_TFL_RESIZE_BILINEAR:
        case VSR_TFL_RESIZE_NEAREST_NEIGHBOR: {
            int f = 0;
            x = in_id(&im, op, 0, i);
            if (x < 0) {
                y = x;
                break;
            }
            if ((y = resize_factor(&im, i, op, &f)) < 0)
                break;
            if (op->code == VSR_TFL_RESIZE_BILINEAR) {
                if (op->opt.align_corners || !op->opt.half_pixel_centers) {
                    y = vsr_error_set(err, -ENOTSUP,
                                      "op #%d RESIZE_BILINEAR: only half_pixel_centers=true, "
                                      "align_corners=false is supported",
                                      i);
                    break;
                }
                y = vsr_graph_resize_bilinear(im.g, n, x, f, err);
            } else {
                y = vsr_graph_resize_nearest(im.g, n, x, f, err);
            }
            break;
        }
        case VSR_TFL_STRIDED_SLICE:
            y = strided_slice(&im, i, op, n);
            break;
        case VSR_TFL_RELU:
        case VSR_TFL_RELU6:
        case VSR_TFL_SOFTMAX:
        case VSR_TFL_LOGISTIC:
        case VSR_TFL_LEAKY_RELU:
            y = unary_op(&im, op, i, n, err);
            break;
        case VSR_TFL_MINIMUM:
        case VSR_TFL_MAXIMUM: {
            float c;
            x = in_id(&im, op, 0, i);
            if (x < 0) {
                y = x;
                break;
            }
            if (op->n_inputs < 2 || op->inputs[1] < 0 || scalar_const(&im, op->inputs[1], &c)) {
                y = vsr_error_set(err, -ENOTSUP,
                                  "op #%d %s: only a scalar constant operand is "
                                  "supported",
                                  i, op->opname);
                break;
            }
            /* MINIMUM(x, c) then a RELU that is its only consumer = clip(0, c). */
            const vsr_models_tfl_operator *nx = i + 1 < m->n_ops ? &m->ops[i + 1] : NULL;
            if (op->code == VSR_TFL_MINIMUM && c > 0 && nx && nx->code == VSR_TFL_RELU &&
                nx->n_inputs == 1 && nx->inputs[0] == oti && im.uses[oti] == 1 &&
                nx->n_outputs == 1 && nx->outputs[0] >= 0) {
                y = vsr_graph_clip(im.g, n, x, 0.0f, c, err);
                if (y >= 0) {
                    if ((rc = set_q(&im, y, nx->outputs[0])))
                        goto fail;
                    im.tid[oti] = y;
                    im.tid[nx->outputs[0]] = y;
                    i++;
                    continue;
                }
                break;
            }
            y = op->code == VSR_TFL_MINIMUM ? vsr_graph_clip(im.g, n, x, -FLT_MAX, c, err)
                                            : vsr_graph_clip(im.g, n, x, c, FLT_MAX, err);
            break;
        }
        case VSR_TFL_PRELU: {
            x = in_id(&im, op, 0, i);
            if (x < 0) {
                y = x;
                break;
            }
            const vsr_models_tfl_tensor *at =
                op->n_inputs > 1 && op->inputs[1] >= 0 ? &m->tensors[op->inputs[1]] : NULL;
            if (!at || !at->data) {
                y = vsr_error_set(err, -ENOTSUP, "op #%d PRELU: alpha must be constant", i);
                break;
            }
            size_t na = 0;
            if (dims_count(at, 0, &na) ||
                (y = check_const(&im, i, op, op->inputs[1], "alpha", na, at->ndim - 1)) < 0 ||
                (y = take(&im, na, n)) < 0) {
                if (y >= 0)
                    y = vsr_error_set(err, -EINVAL, "op #%d PRELU: bad alpha shape", i);
                break;
            }
            y = vsr_graph_prelu(im.g, n, x, na == 1, err);
            if (y >= 0) {
                float *a = malloc(na * sizeof(float));
                if (!a) {
                    y = vsr_error_set(err, -ENOMEM, "%s: out of memory", n);
                    break;
                }
                for (size_t k = 0; k < na; k++)
                    a[k] = deq(at, k);
                char wn[VSR_NAME_MAX + 8];
                snprintf(wn, sizeof(wn), "%s.alpha", n);
                int r2 = vsr_graph_set_weight(im.g, wn, a, na, err);
                free(a);
                if (r2)
                    y = r2;
            }
            break;
        }
        default:
            y = vsr_error_set(err, -ENOTSUP,
                              "%s: op #%d %s (builtin code %d) is not supported by the TFLite "
                              "importer",
                              name, i, op->opname, op->code);
            break;
        }
        if (y < 0) {
            rc = y;
            goto fail;
        }
        im.tid[oti] = y;
        if ((rc = set_q(&im, y, oti)))
            goto fail;
    }
    for (int i = 0; i < m->n_outputs; i++) {
        int y = m->outputs[i] >= 0 ? im.tid[m->outputs[i]] : -1;
        char n[16];
        snprintf(n, sizeof(n), "out%d", i);
        if (y < 0) {
            rc = vsr_error_set(err, -EINVAL, "%s: output T%d is never produced", name,
                               m->outputs[i]);
            goto fail;
        }
        if ((rc = vsr_graph_output(im.g, n, y, err)) < 0)
            goto fail;
    }
    if ((rc = vsr_graph_status(im.g, err)))
        goto fail;
    free(im.tid);
    free(im.uses);
    free(im.view);
    *out = im.g;
    return 0;
fail:
    free(im.tid);
    free(im.uses);
    free(im.view);
    vsr_graph_free(&im.g);
    return rc < 0 ? rc : -EINVAL;
}
