/*
 * onnx_import.c: translate a parsed ONNX graph (batch 1, NCHW) into an
 * engine graph (HWC), node by node (see vsr_models_import_onnx() in
 * models.h).
 *
 * Every ONNX value is one of: an engine tensor (NCHW [1, C, H, W]), a
 * constant (an initializer, a Constant node, or a folded DequantizeLinear),
 * or one of the pending shapes that only a later node can place: a
 * zero-padded tensor (Pad, folded into the next Conv), a 6-D reshape of a
 * tensor and its transpose (the two first steps of a pixel shuffle written
 * as Reshape -> Transpose -> Reshape).
 *
 * Weights: ONNX Conv weights are OIHW [Cout][Cin/group][kh][kw]; the engine
 * wants HWIO [kh][kw][Cin/group][Cout] (for a depthwise conv [kh][kw][1][C]).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"
#include "onnx_internal.h"

/* Largest side or channel count an imported tensor may have, largest block /
 * resize factor: keeps the engine's int shape arithmetic far from overflow. */
#define MAX_SIDE (1 << 16)
#define MAX_FACTOR 64
/* Most parts of a Concat / Split. */
#define MAX_PARTS 1024

/* V_R3: a tensor viewed as [1, C, H*W]; V_R3T: its [1, H*W, C] transpose;
 * V_MMT: the pending AFA scores alpha K^T Q as [1, Cq, Ck] (tid = K, tid2 = Q),
 * placed by the Reshape to [1, Cq, 1, Ck] (the attention of vsrbench's export) */
enum vkind { V_NONE, V_TENSOR, V_CONST, V_PAD, V_R6, V_T6, V_R3, V_R3T, V_MMT };

typedef struct oval {
    const char *name; /* borrowed from the model */
    enum vkind kind;
    int tid;      /* engine tensor (V_TENSOR; the source of V_PAD, V_R6, V_T6, V_R3, V_R3T) */
    int tid2;     /* V_MMT: Q (tid is K) */
    double alpha; /* V_MMT: the scale of the scores */
    /* V_CONST */
    int ndim;
    int64_t dims[MDL_ONNX_MAX_DIMS];
    size_t count;
    const Onnx__TensorProto *t; /* the file's tensor, or NULL and ... */
    const double *own;          /* ... values owned by the import (imp.owned) */
    /* V_PAD: zero pads top, left, bottom, right; V_R6 / V_T6: the 6 dims */
    int pads[4];
    int64_t d6[6];
    int perm[6];   /* V_T6: the transpose's permutation of the V_R6 dims */
    char conv[48]; /* V_TENSOR made by a Conv of this import: its layer name, else "" */
    /* V_CONST folded from DequantizeLinear: its scales (nqs values, one or one
     * per index of axis qaxis; owned by the import), else NULL */
    const double *qs;
    size_t nqs;
    int qaxis;
} oval;

typedef struct imp {
    const vsr_models_onnx *m;
    const vsr_models_onnx_import *opt;
    vsr_graph *g;
    vsr_error *err;
    oval *v;
    size_t nv, cap;
    double **owned; /* constant values the import made */
    size_t nowned, capowned;
    size_t budget, used; /* weight bytes the file may make us allocate, and so far */
    /* the node being translated */
    const Onnx__NodeProto *nd;
    size_t ni;
    char lname[48]; /* its engine layer name */
} imp;

/* One line naming the file, the node and its op type. */
static int nerr(imp *im, int code, const char *fmt, ...) VSR_PRINTF(3, 4);
static int nerr(imp *im, int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *nm = mdl_onnx_str(im->nd->name);
    return vsr_error_set(im->err, code, "%s: node #%zu '%s' (%s): %s", im->m->what, im->ni,
                         *nm ? nm : "(unnamed)", mdl_onnx_str(im->nd->op_type), msg);
}

/* An engine call failed: its message names the layer; add file and node. */
static int eng_err(imp *im, int rc)
{
    const char *nm = mdl_onnx_str(im->nd->name);
    return vsr_error_wrap(im->err, rc, "%s: node #%zu '%s' (%s)", im->m->what, im->ni,
                          *nm ? nm : "(unnamed)", mdl_onnx_str(im->nd->op_type));
}

/* Account for @p bytes the import keeps; past the budget it is an error. */
static int take(imp *im, size_t count, size_t elem)
{
    size_t bytes = 0, used = 0;
    if (vsr_size_mul(count, elem, &bytes) || vsr_size_add(im->used, bytes, &used) ||
        used > im->budget)
        return nerr(im, -EINVAL,
                    "the weights would take more than %zu bytes, the limit for a %zu-byte "
                    "file (%d x its size + %d)",
                    im->budget, im->m->file_len, VSR_MODELS_TFLITE_ALLOC_FACTOR,
                    VSR_MODELS_TFLITE_ALLOC_SLACK);
    im->used = used;
    return 0;
}

/* ---- values ---------------------------------------------------------------- */

static oval *find(imp *im, const char *name)
{
    for (size_t i = im->nv; i-- > 0;)
        if (!strcmp(im->v[i].name, name))
            return &im->v[i];
    return NULL;
}

/* Add value @p name (a copy of @p val under that name). */
static int define(imp *im, const char *name, const oval *val)
{
    if (!*name)
        return 0; /* an unused optional output */
    if (find(im, name))
        return nerr(im, -EINVAL, "value '%s' is defined twice", name);
    if (im->nv == im->cap) {
        size_t cap = im->cap ? 2 * im->cap : 64;
        oval *v = realloc(im->v, cap * sizeof(*v));
        if (!v)
            return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
        im->v = v;
        im->cap = cap;
    }
    im->v[im->nv] = *val;
    im->v[im->nv].name = name;
    im->v[im->nv].conv[0] = '\0'; /* only op_conv marks its own output */
    im->nv++;
    return 0;
}

static int define_tensor(imp *im, const char *name, int tid)
{
    if (tid < 0)
        return eng_err(im, tid);
    int h = 0, w = 0, c = 0;
    vsr_graph_tensor_shape(im->g, tid, &h, &w, &c);
    if (h > MAX_SIDE || w > MAX_SIDE || c > MAX_SIDE)
        return nerr(im, -EINVAL, "output %dx%dx%d is larger than %d in a side or channels", h,
                    w, c, MAX_SIDE);
    oval v = {.kind = V_TENSOR, .tid = tid};
    return define(im, name, &v);
}

/* Input @p i of the node ("" or missing = absent: NULL). */
static const char *in_name(const imp *im, size_t i)
{
    if (i >= im->nd->n_input)
        return NULL;
    const char *s = mdl_onnx_str(im->nd->input[i]);
    return *s ? s : NULL;
}

/* Input @p i, which must exist. */
static int input(imp *im, size_t i, oval **out)
{
    const char *s = in_name(im, i);
    if (!s)
        return nerr(im, -EINVAL, "input %zu is missing", i);
    *out = find(im, s);
    if (!*out)
        return nerr(im, -EINVAL,
                    "input '%s' is not a graph input, an initializer or the output of an "
                    "earlier node",
                    s);
    return 0;
}

/* Input @p i as an engine tensor id. */
static int tensor_in(imp *im, size_t i, int *tid)
{
    *tid = -1; /* set on every path (gcc -O3 cannot see that nerr() is nonzero) */
    oval *v;
    int rc = input(im, i, &v);
    if (rc)
        return rc;
    if (v->kind != V_TENSOR)
        return nerr(im, -ENOTSUP, "input '%s' is %s; vsrbench needs a computed tensor here",
                    v->name,
                    v->kind == V_CONST ? "a constant"
                    : v->kind == V_PAD ? "a padded tensor (Pad folds only into a Conv)"
                    : v->kind >= V_R3  ? "a 3-D reshape (only the attention MatMuls take one)"
                                       : "a 6-D reshape (only a pixel shuffle is supported)");
    *tid = v->tid;
    return 0;
}

/* Input @p i as a constant (absent: *out = NULL when @p optional). */
static int const_in(imp *im, size_t i, int optional, const oval **out)
{
    *out = NULL;
    if (optional && !in_name(im, i))
        return 0;
    oval *v;
    int rc = input(im, i, &v);
    if (rc)
        return rc;
    if (v->kind != V_CONST)
        return nerr(im, -ENOTSUP, "input '%s' must be a constant (initializer or Constant)",
                    v->name);
    *out = v;
    return 0;
}

static double cget(const oval *c, size_t i)
{
    return c->own ? c->own[i] : mdl_onnx_elem(c->t, i);
}

/* A double from the file as an int64, saturated far inside int64's range. */
static int64_t to_i64(double d)
{
    if (!(d == d))
        return 0;
    return d < -4e18 ? -(int64_t)4e18 : d > 4e18 ? (int64_t)4e18 : (int64_t)d;
}

static int shape_of(imp *im, int tid, int *h, int *w, int *c)
{
    return vsr_graph_tensor_shape(im->g, tid, h, w, c);
}

/* A constant from a tensor of the file. */
static oval const_of(const Onnx__TensorProto *t)
{
    oval v = {.kind = V_CONST, .t = t, .ndim = (int)t->n_dims};
    for (size_t i = 0; i < t->n_dims; i++)
        v.dims[i] = t->dims[i];
    v.count = mdl_onnx_count(t);
    return v;
}

/* A constant owning @p n new values (zeroed) in *vals. */
static int const_new(imp *im, size_t n, oval *v, double **vals)
{
    int rc = take(im, n ? n : 1, sizeof(double));
    if (rc)
        return rc;
    if (im->nowned == im->capowned) {
        size_t cap = im->capowned ? 2 * im->capowned : 16;
        double **o = realloc(im->owned, cap * sizeof(*o));
        if (!o)
            return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
        im->owned = o;
        im->capowned = cap;
    }
    double *d = calloc(n ? n : 1, sizeof(double));
    if (!d)
        return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
    im->owned[im->nowned++] = d;
    memset(v, 0, sizeof(*v));
    v->kind = V_CONST;
    v->count = n;
    v->own = d;
    *vals = d;
    return 0;
}

/* ---- attributes ------------------------------------------------------------ */

static const Onnx__AttributeProto *attr(const imp *im, const char *name)
{
    for (size_t i = 0; i < im->nd->n_attribute; i++)
        if (!strcmp(mdl_onnx_str(im->nd->attribute[i]->name), name))
            return im->nd->attribute[i];
    return NULL;
}

static int64_t attr_i(const imp *im, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(im, name);
    return a && a->has_i ? a->i : def;
}

static float attr_f(const imp *im, const char *name, float def)
{
    const Onnx__AttributeProto *a = attr(im, name);
    return a && a->has_f ? a->f : def;
}

/* String attribute @p name into @p buf (default @p def). */
static const char *attr_s(const imp *im, const char *name, const char *def, char *buf,
                          size_t cap)
{
    const Onnx__AttributeProto *a = attr(im, name);
    if (!a || !a->has_s)
        return def;
    size_t n = a->s.len < cap - 1 ? a->s.len : cap - 1;
    if (n)
        memcpy(buf, a->s.data, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] < 32 || buf[i] > 126)
            buf[i] = '?'; /* keep messages one printable line */
    return buf;
}

/* Integer list attribute: *n values (NULL, 0 when absent). */
static const int64_t *attr_ints(const imp *im, const char *name, size_t *n)
{
    const Onnx__AttributeProto *a = attr(im, name);
    *n = a ? a->n_ints : 0;
    return a ? a->ints : NULL;
}

/* ---- ops ------------------------------------------------------------------- */

static int op_conv(imp *im)
{
    oval *xv;
    const oval *wv, *bv;
    int rc;
    if ((rc = input(im, 0, &xv)) || (rc = const_in(im, 1, 0, &wv)) ||
        (rc = const_in(im, 2, 1, &bv)))
        return rc;
    int pad[4] = {0, 0, 0, 0}; /* top, left, bottom, right */
    if (xv->kind == V_PAD)
        memcpy(pad, xv->pads, sizeof(pad));
    else if (xv->kind != V_TENSOR)
        return tensor_in(im, 0, &rc); /* the message */
    int x = xv->tid, h, w, cin;
    shape_of(im, x, &h, &w, &cin);
    if (wv->ndim != 4)
        return nerr(im, -ENOTSUP,
                    "weight '%s' has %d dims; only 2-D convolutions (4-D OIHW "
                    "weights) are supported",
                    wv->name, wv->ndim);
    for (int i = 0; i < 4; i++)
        if (wv->dims[i] < 1 || wv->dims[i] > MAX_SIDE)
            return nerr(im, -EINVAL, "weight '%s' dim %d is %lld", wv->name, i,
                        (long long)wv->dims[i]);
    int cout = (int)wv->dims[0], cing = (int)wv->dims[1], kh = (int)wv->dims[2],
        kw = (int)wv->dims[3];
    int64_t group = attr_i(im, "group", 1);
    if (group == 1) {
        if (cing != cin)
            return nerr(im, -EINVAL, "weight '%s' expects %d input channels, the input has %d",
                        wv->name, cing, cin);
    } else if (!(group == cin && cout == cin && cing == 1)) {
        return nerr(im, -ENOTSUP,
                    "grouped convolution (group %lld, %d -> %d channels) is not supported: "
                    "the engine runs group 1 and depthwise (group = in = out channels)",
                    (long long)group, cin, cout);
    }
    size_t n;
    const int64_t *st = attr_ints(im, "strides", &n);
    int stride = n ? (int)st[0] : 1;
    if (n && (n != 2 || st[0] != st[1] || st[0] < 1 || st[0] > MAX_FACTOR))
        return nerr(im, -ENOTSUP, "strides must be two equal values in 1..%d", MAX_FACTOR);
    const int64_t *dl = attr_ints(im, "dilations", &n);
    int dil = n ? (int)dl[0] : 1;
    if (n && (n != 2 || dl[0] != dl[1] || dl[0] < 1 || dl[0] > MAX_FACTOR))
        return nerr(im, -ENOTSUP, "dilations must be two equal values in 1..%d", MAX_FACTOR);
    const int64_t *ks = attr_ints(im, "kernel_shape", &n);
    if (n && (n != 2 || ks[0] != kh || ks[1] != kw))
        return nerr(im, -EINVAL, "kernel_shape disagrees with the weight's %dx%d", kh, kw);
    int keh = (kh - 1) * dil + 1, kew = (kw - 1) * dil + 1;
    int sh[2], sw[2]; /* SAME top/bottom, left/right */
    mdl_onnx_same_pads(h, keh, stride, &sh[0], &sh[1]);
    mdl_onnx_same_pads(w, kew, stride, &sw[0], &sw[1]);
    char ap[32];
    const char *autopad = attr_s(im, "auto_pad", "NOTSET", ap, sizeof(ap));
    int own[4] = {0, 0, 0, 0};
    if (!strcmp(autopad, "NOTSET")) {
        const int64_t *pp = attr_ints(im, "pads", &n);
        if (n && n != 4)
            return nerr(im, -EINVAL, "pads has %zu values, a 2-D conv needs 4", n);
        for (size_t i = 0; i < n; i++) {
            if (pp[i] < 0 || pp[i] > MAX_SIDE)
                return nerr(im, -ENOTSUP, "pads must be in 0..%d", MAX_SIDE);
            own[i] = (int)pp[i];
        }
    } else if (!strcmp(autopad, "SAME_UPPER")) {
        own[0] = sh[0], own[2] = sh[1], own[1] = sw[0], own[3] = sw[1];
    } else if (!strcmp(autopad, "SAME_LOWER")) {
        own[0] = sh[1], own[2] = sh[0], own[1] = sw[1], own[3] = sw[0];
    } else if (strcmp(autopad, "VALID")) {
        return nerr(im, -ENOTSUP, "auto_pad '%s' is not supported", autopad);
    }
    for (int i = 0; i < 4; i++)
        pad[i] += own[i];
    if (pad[0] != sh[0] || pad[2] != sh[1] || pad[1] != sw[0] || pad[3] != sw[1])
        return nerr(im, -ENOTSUP,
                    "zero padding (top %d, left %d, bottom %d, right %d) differs from the "
                    "engine's SAME padding (%d, %d, %d, %d) for a %dx%d kernel, stride %d, "
                    "dilation %d",
                    pad[0], pad[1], pad[2], pad[3], sh[0], sw[0], sh[1], sw[1], kh, kw, stride,
                    dil);
    if (bv && bv->count != (size_t)cout)
        return nerr(im, -EINVAL, "bias '%s' has %zu values for %d output channels", bv->name,
                    bv->count, cout);
    vsr_conv_params p = vsr_conv_default(cout, 1);
    p.kh = kh, p.kw = kw, p.stride = stride, p.dilation = dil;
    p.groups = group == 1 ? 1 : cin;
    p.bias = bv != NULL;
    int y = vsr_graph_conv2d(im->g, im->lname, x, &p, im->err);
    if (y < 0)
        return eng_err(im, y);
    /* OIHW -> HWIO */
    size_t count = wv->count;
    if ((rc = take(im, count + (size_t)cout, sizeof(float))))
        return rc;
    float *hw = malloc(count * sizeof(float));
    if (!hw)
        return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < cing; i++)
            for (int yy = 0; yy < kh; yy++)
                for (int xx = 0; xx < kw; xx++)
                    hw[(((size_t)yy * kw + xx) * cing + i) * cout + o] =
                        (float)cget(wv, (((size_t)o * cing + i) * kh + yy) * kw + xx);
    char wn[VSR_NAME_MAX];
    snprintf(wn, sizeof(wn), "%s.weight", im->lname);
    rc = vsr_graph_set_weight(im->g, wn, hw, count, im->err);
    if (!rc && bv) {
        for (int o = 0; o < cout; o++)
            hw[o] = (float)cget(bv, (size_t)o);
        snprintf(wn, sizeof(wn), "%s.bias", im->lname);
        rc = vsr_graph_set_weight(im->g, wn, hw, (size_t)cout, im->err);
    }
    if (!rc && wv->qs && (wv->nqs == 1 || wv->qaxis == 0) &&
        (wv->nqs == 1 || wv->nqs == (size_t)cout)) {
        /* weights from DequantizeLinear: the engine re-quantizes them with the
         * file's scales, so its int8 weights are the file's */
        for (int o = 0; o < cout; o++)
            hw[o] = (float)wv->qs[wv->nqs == 1 ? 0 : o];
        rc = vsr_graph_set_weight_scales(im->g, im->lname, hw, cout, im->err);
    }
    free(hw);
    if (rc)
        return eng_err(im, rc);
    if ((rc = define_tensor(im, mdl_onnx_str(im->nd->output[0]), y)))
        return rc;
    snprintf(im->v[im->nv - 1].conv, sizeof(im->v[0].conv), "%s", im->lname);
    return 0;
}

/* A scalar constant's value, or -ENOTSUP. */
static int scalar(imp *im, const oval *c, double *out)
{
    *out = 0;
    if (c->count != 1)
        return nerr(im, -ENOTSUP,
                    "constant '%s' has %zu values; only a scalar constant is supported here",
                    c->name, c->count);
    *out = cget(c, 0);
    if (!isfinite(*out))
        return nerr(im, -EINVAL, "constant '%s' is not finite", c->name);
    return 0;
}

/* Add, Sub, Mul, Div: two tensors (Add, Mul), or a tensor and a scalar. */
static int op_binary(imp *im, const char *op)
{
    oval *a, *b;
    int rc;
    if ((rc = input(im, 0, &a)) || (rc = input(im, 1, &b)))
        return rc;
    const char *out = mdl_onnx_str(im->nd->output[0]);
    int y;
    if (a->kind == V_MMT && b->kind == V_CONST && (!strcmp(op, "Mul") || !strcmp(op, "Div"))) {
        double k;
        if ((rc = scalar(im, b, &k)))
            return rc;
        if (op[0] == 'D' && k == 0)
            return nerr(im, -EINVAL, "division by 0");
        oval v = *a;
        v.alpha = op[0] == 'M' ? v.alpha * k : v.alpha / k;
        if (!(fabs(v.alpha) <= FLT_MAX))
            return nerr(im, -EINVAL, "the attention scale %g is not a finite float", v.alpha);
        return define(im, out, &v);
    }
    if (a->kind == V_TENSOR && b->kind == V_TENSOR) {
        if (strcmp(op, "Add") && strcmp(op, "Mul"))
            return nerr(im, -ENOTSUP, "%s of two tensors is not supported", op);
        int ha, wa, ca, hb, wb, cb;
        shape_of(im, a->tid, &ha, &wa, &ca);
        shape_of(im, b->tid, &hb, &wb, &cb);
        int ta = a->tid, tb = b->tid;
        if (ca == 1 && cb != 1) { /* the engine broadcasts its second operand */
            ta = b->tid;
            tb = a->tid;
        }
        y = op[0] == 'A' ? vsr_graph_add(im->g, im->lname, ta, tb, im->err)
                         : vsr_graph_mul(im->g, im->lname, ta, tb, im->err);
        return define_tensor(im, out, y);
    }
    int tensor_first = a->kind == V_TENSOR;
    const oval *t = tensor_first ? a : b, *c = tensor_first ? b : a;
    if (t->kind != V_TENSOR || c->kind != V_CONST)
        return nerr(im, -ENOTSUP, "needs a tensor and a scalar constant, or two tensors");
    double k;
    if ((rc = scalar(im, c, &k)))
        return rc;
    double sa = 1, sb = 0;
    if (!strcmp(op, "Add"))
        sb = k;
    else if (!strcmp(op, "Mul"))
        sa = k;
    else if (!strcmp(op, "Sub"))
        sa = tensor_first ? 1 : -1, sb = tensor_first ? -k : k;
    else if (tensor_first && k != 0) /* Div: x / k */
        sa = 1 / k;
    else
        return nerr(im, -ENOTSUP, "a constant divided by a tensor (or by 0) is not supported");
    y = vsr_graph_scale(im->g, im->lname, t->tid, (float)sa, (float)sb, im->err);
    return define_tensor(im, out, y);
}

static int op_clip(imp *im)
{
    int x, rc;
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    double lo = attr_f(im, "min", -FLT_MAX), hi = attr_f(im, "max", FLT_MAX);
    const oval *cmin, *cmax;
    if ((rc = const_in(im, 1, 1, &cmin)) || (rc = const_in(im, 2, 1, &cmax)))
        return rc;
    if (cmin && (rc = scalar(im, cmin, &lo)))
        return rc;
    if (cmax && (rc = scalar(im, cmax, &hi)))
        return rc;
    lo = lo < -FLT_MAX ? -FLT_MAX : lo;
    hi = hi > FLT_MAX ? FLT_MAX : hi;
    if (!(lo <= hi))
        return nerr(im, -EINVAL, "clip bounds [%g, %g] are empty", lo, hi);
    int y = vsr_graph_clip(im->g, im->lname, x, (float)lo, (float)hi, im->err);
    return define_tensor(im, mdl_onnx_str(im->nd->output[0]), y);
}

static int op_prelu(imp *im)
{
    int x, rc, h, w, c;
    const oval *s;
    if ((rc = tensor_in(im, 0, &x)) || (rc = const_in(im, 1, 0, &s)))
        return rc;
    shape_of(im, x, &h, &w, &c);
    /* the slope broadcasts from the right: [C, 1, 1] (any leading 1s) is per channel */
    int shared = s->count == 1;
    if (!shared) {
        int ok = s->count == (size_t)c && s->ndim >= 3 && s->dims[s->ndim - 1] == 1 &&
                 s->dims[s->ndim - 2] == 1;
        if (!ok)
            return nerr(im, -ENOTSUP,
                        "slope '%s' (%zu values) must be one value or one per channel "
                        "(shape [%d, 1, 1])",
                        s->name, s->count, c);
    }
    int y = vsr_graph_prelu(im->g, im->lname, x, shared, im->err);
    if (y < 0)
        return eng_err(im, y);
    if ((rc = take(im, s->count, sizeof(float))))
        return rc;
    float *a = malloc(s->count * sizeof(float));
    if (!a)
        return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
    for (size_t i = 0; i < s->count; i++)
        a[i] = (float)cget(s, i);
    char wn[VSR_NAME_MAX];
    snprintf(wn, sizeof(wn), "%s.alpha", im->lname);
    rc = vsr_graph_set_weight(im->g, wn, a, s->count, im->err);
    free(a);
    if (rc)
        return eng_err(im, rc);
    return define_tensor(im, mdl_onnx_str(im->nd->output[0]), y);
}

/* Normalise a 4-D axis; only the channel axis (1) is supported. */
static int channel_axis(imp *im, int64_t axis)
{
    if (axis < 0)
        axis += 4;
    if (axis != 1)
        return nerr(im, -ENOTSUP, "axis %lld: only the channel axis (1) is supported",
                    (long long)axis);
    return 0;
}

static int op_concat(imp *im)
{
    size_t n = im->nd->n_input;
    int rc;
    if ((rc = channel_axis(im, attr_i(im, "axis", 1))))
        return rc;
    if (n < 1 || n > MAX_PARTS)
        return nerr(im, -ENOTSUP, "%zu inputs (1..%d supported)", n, MAX_PARTS);
    int *xs = malloc(n * sizeof(int));
    if (!xs)
        return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
    for (size_t i = 0; i < n && !rc; i++)
        rc = tensor_in(im, i, &xs[i]);
    int y = rc ? rc : vsr_graph_concat(im->g, im->lname, (int)n, xs, im->err);
    free(xs);
    if (rc)
        return rc;
    return define_tensor(im, mdl_onnx_str(im->nd->output[0]), y);
}

/* Uses of value @p name as a node input or a graph output. */
static int uses(const imp *im, const char *name)
{
    const Onnx__GraphProto *gp = im->m->pb->graph;
    int n = 0;
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t k = 0; k < gp->node[i]->n_input; k++)
            n += !strcmp(mdl_onnx_str(gp->node[i]->input[k]), name);
    for (size_t i = 0; i < gp->n_output; i++)
        n += !strcmp(mdl_onnx_str(gp->output[i]->name), name);
    return n;
}

/* Permute the output channels of conv layer @p layer (r^2 Cout of them, in
 * CRD order c r^2 + q) into DCR order (q Cout + c): weight and bias. */
static int conv_crd_to_dcr(imp *im, const char *layer, int r, int cout)
{
    size_t rr = (size_t)r * r, co = rr * (size_t)cout;
    int rc = 0;
    char wn[VSR_NAME_MAX];
    for (int pass = 0; pass < 2 && !rc; pass++) {
        snprintf(wn, sizeof(wn), "%s.%s", layer, pass ? "bias" : "weight");
        const float *d = NULL;
        size_t n = 0;
        if (vsr_graph_get_weight(im->g, wn, &d, &n, NULL) || !d)
            continue; /* a conv without bias */
        float *p = malloc(n * sizeof(float));
        if (!p)
            return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
        for (size_t i = 0; i < n; i++) { /* HWIO and [C]: the output channel is fastest */
            size_t o = i % co, q = o / (size_t)cout, c = o % (size_t)cout;
            p[i] = d[i - o + c * rr + q];
        }
        rc = vsr_graph_set_weight(im->g, wn, p, n, im->err);
        free(p);
    }
    return rc ? eng_err(im, rc) : 0;
}

/* DCR depth to space of @p x. CRD: when @p conv names the conv that alone
 * feeds it, that conv's output channels are permuted into DCR order (so a
 * PyTorch PixelShuffle net has the op sequence of the zoo's TF-style
 * graphs), else a channel shuffle into DCR order comes first. */
static int depth_to_space(imp *im, int x, int r, int crd, const char *conv, const char *out)
{
    int h, w, c, rc;
    shape_of(im, x, &h, &w, &c);
    if (r < 1 || r > MAX_FACTOR || c % (r * r))
        return nerr(im, -EINVAL, "block size %d does not divide %d channels into blocks", r, c);
    int cout = c / (r * r);
    if (crd && cout > 1 && r > 1 && conv) {
        if ((rc = conv_crd_to_dcr(im, conv, r, cout)))
            return rc;
    } else if (crd && cout > 1 && r > 1) {
        char sn[VSR_NAME_MAX];
        snprintf(sn, sizeof(sn), "%s_crd", im->lname);
        x = vsr_graph_channel_shuffle(im->g, sn, x, cout, im->err);
        if (x < 0)
            return eng_err(im, x);
    }
    int y = vsr_graph_depth_to_space(im->g, im->lname, x, r, im->err);
    return define_tensor(im, out, y);
}

static int op_d2s(imp *im)
{
    int x, rc;
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    const oval *xv = find(im, in_name(im, 0));
    const char *conv = xv->conv[0] && uses(im, xv->name) == 1 ? xv->conv : NULL;
    int64_t r = attr_i(im, "blocksize", 0);
    char mb[16];
    const char *mode = attr_s(im, "mode", "DCR", mb, sizeof(mb));
    if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
        return nerr(im, -ENOTSUP, "mode '%s' (DCR or CRD)", mode);
    if (r < 1 || r > MAX_FACTOR)
        return nerr(im, -ENOTSUP, "blocksize %lld (1..%d)", (long long)r, MAX_FACTOR);
    return depth_to_space(im, x, (int)r, mode[0] == 'C', conv, mdl_onnx_str(im->nd->output[0]));
}

/* Resize / Upsample by one integer factor in H and W. */
static int op_resize(imp *im, int upsample)
{
    int x, rc, h, w, c;
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    shape_of(im, x, &h, &w, &c);
    const oval *scales = NULL, *sizes = NULL;
    if (upsample) {
        if ((rc = const_in(im, 1, 1, &scales)))
            return rc;
    } else if (im->m->opset && im->m->opset < 11) {
        if ((rc = const_in(im, 1, 0, &scales)))
            return rc;
    } else if ((rc = const_in(im, 2, 1, &scales)) || (rc = const_in(im, 3, 1, &sizes))) {
        return rc;
    }
    if (scales && !scales->count)
        scales = NULL;
    double f[4];
    size_t na;
    attr_ints(im, "axes", &na);
    if (na)
        return nerr(im, -ENOTSUP, "the 'axes' attribute is not supported");
    if (scales) {
        if (scales->count != 4)
            return nerr(im, -ENOTSUP, "scales '%s' has %zu values, expected 4 (N, C, H, W)",
                        scales->name, scales->count);
        for (int i = 0; i < 4; i++)
            f[i] = cget(scales, (size_t)i);
    } else if (sizes && sizes->count == 4) {
        f[0] = cget(sizes, 0), f[1] = cget(sizes, 1) / c;
        f[2] = cget(sizes, 2) / h, f[3] = cget(sizes, 3) / w;
    } else {
        const Onnx__AttributeProto *a = upsample ? attr(im, "scales") : NULL;
        if (!a || a->n_floats != 4)
            return nerr(im, -ENOTSUP, "needs constant scales or sizes for N, C, H, W");
        for (int i = 0; i < 4; i++)
            f[i] = a->floats[i];
    }
    if (f[0] != 1 || f[1] != 1 || f[2] != f[3] || f[2] < 1 || f[2] > MAX_FACTOR ||
        f[2] != floor(f[2]))
        return nerr(im, -ENOTSUP,
                    "scales (%g, %g, %g, %g): the engine resizes H and W by one integer "
                    "factor in 1..%d",
                    f[0], f[1], f[2], f[3], MAX_FACTOR);
    int fac = (int)f[2];
    char mb[32], cb[40], nb[40];
    const char *mode = attr_s(im, "mode", "nearest", mb, sizeof(mb));
    const char *ctm = attr_s(im, "coordinate_transformation_mode",
                             upsample ? "asymmetric" : "half_pixel", cb, sizeof(cb));
    const char *nm =
        attr_s(im, "nearest_mode", upsample ? "floor" : "round_prefer_floor", nb, sizeof(nb));
    if (attr_i(im, "antialias", 0))
        return nerr(im, -ENOTSUP, "antialias is not supported");
    const char *out = mdl_onnx_str(im->nd->output[0]);
    int y;
    if (!strcmp(mode, "nearest")) {
        /* out[y] = in[floor(y / f)]: asymmetric + floor; with integer f the
         * half-pixel modes land strictly inside (-0.5, 0.5) of that index,
         * so every rounding gives it too */
        int ok = (!strcmp(ctm, "asymmetric") && !strcmp(nm, "floor")) ||
                 !strcmp(ctm, "half_pixel") || !strcmp(ctm, "pytorch_half_pixel") ||
                 !strcmp(ctm, "tf_half_pixel_for_nn");
        if (!ok)
            return nerr(im, -ENOTSUP,
                        "nearest with coordinate_transformation_mode '%s' and nearest_mode "
                        "'%s' is not supported (asymmetric + floor, or a half-pixel mode)",
                        ctm, nm);
        y = vsr_graph_resize_nearest(im->g, im->lname, x, fac, im->err);
    } else if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) {
        /* the engine: src = (dst + 0.5) / f - 0.5 clamped, as ONNX half_pixel
         * and PyTorch's align_corners=False */
        if (strcmp(ctm, "half_pixel") && strcmp(ctm, "pytorch_half_pixel"))
            return nerr(im, -ENOTSUP,
                        "linear with coordinate_transformation_mode '%s' is not supported "
                        "(half_pixel or pytorch_half_pixel; in PyTorch align_corners=False)",
                        ctm);
        y = vsr_graph_resize_bilinear(im->g, im->lname, x, fac, im->err);
    } else {
        return nerr(im, -ENOTSUP, "mode '%s' is not supported (nearest or linear)", mode);
    }
    return define_tensor(im, out, y);
}

/* Pad: constant zero on H and W, pending until a Conv takes it. */
static int op_pad(imp *im)
{
    oval *xv;
    int rc;
    if ((rc = input(im, 0, &xv)))
        return rc;
    if (xv->kind != V_TENSOR && xv->kind != V_PAD)
        return tensor_in(im, 0, &rc);
    char mb[16];
    const char *mode = attr_s(im, "mode", "constant", mb, sizeof(mb));
    if (strcmp(mode, "constant"))
        return nerr(im, -ENOTSUP,
                    "mode '%s': only constant zero padding (folded into the "
                    "next Conv) is supported",
                    mode);
    int64_t p[8];
    double value = attr_f(im, "value", 0);
    const oval *pc, *vc, *ax;
    if (im->m->opset && im->m->opset < 11) {
        size_t n;
        const int64_t *pp = attr_ints(im, "pads", &n);
        if (n != 8)
            return nerr(im, -EINVAL, "pads has %zu values, a 4-D tensor needs 8", n);
        memcpy(p, pp, sizeof(p));
    } else {
        if ((rc = const_in(im, 1, 0, &pc)) || (rc = const_in(im, 2, 1, &vc)) ||
            (rc = const_in(im, 3, 1, &ax)))
            return rc;
        if (ax)
            return nerr(im, -ENOTSUP, "the 'axes' input is not supported");
        if (pc->count != 8)
            return nerr(im, -EINVAL, "pads '%s' has %zu values, a 4-D tensor needs 8", pc->name,
                        pc->count);
        for (int i = 0; i < 8; i++)
            p[i] = to_i64(cget(pc, (size_t)i));
        if (vc && (rc = scalar(im, vc, &value)))
            return rc;
    }
    if (value != 0)
        return nerr(im, -ENOTSUP, "padding value %g: only zero padding is supported", value);
    if (p[0] || p[1] || p[4] || p[5])
        return nerr(im, -ENOTSUP, "only H and W may be padded");
    const int64_t ph[4] = {p[2], p[3], p[6], p[7]}; /* top, left, bottom, right */
    oval v = *xv;
    if (xv->kind == V_TENSOR)
        memset(v.pads, 0, sizeof(v.pads));
    v.kind = V_PAD;
    for (int i = 0; i < 4; i++) {
        if (ph[i] < 0 || ph[i] > MAX_FACTOR)
            return nerr(im, -ENOTSUP, "pads must be in 0..%d", MAX_FACTOR);
        v.pads[i] += (int)ph[i];
    }
    return define(im, mdl_onnx_str(im->nd->output[0]), &v);
}

/* Clamp a Slice bound to [0, dim] (negative counts from the end). */
static int64_t slice_bound(double b, int64_t dim)
{
    if (b != b)
        return 0; /* NaN */
    if (b < 0)
        b += (double)dim;
    return b < 0 ? 0 : b > (double)dim ? dim : (int64_t)b;
}

static int op_slice(imp *im)
{
    int x, rc, h, w, c;
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    shape_of(im, x, &h, &w, &c);
    const int64_t dim[4] = {1, c, h, w};
    int64_t lo[4] = {0, 0, 0, 0}, hi[4] = {1, c, h, w};
    size_t n;
    if (im->m->opset && im->m->opset < 10) {
        size_t ns, ne, na;
        const int64_t *s = attr_ints(im, "starts", &ns), *e = attr_ints(im, "ends", &ne),
                      *a = attr_ints(im, "axes", &na);
        if (ns != ne || (na && na != ns) || ns > 4)
            return nerr(im, -EINVAL, "starts, ends and axes disagree in length");
        for (size_t i = 0; i < ns; i++) {
            int64_t ax = na ? a[i] : (int64_t)i;
            ax = ax < 0 ? ax + 4 : ax;
            if (ax < 0 || ax > 3)
                return nerr(im, -EINVAL, "axis %lld out of range", (long long)ax);
            lo[ax] = slice_bound((double)s[i], dim[ax]);
            hi[ax] = slice_bound((double)e[i], dim[ax]);
        }
    } else {
        const oval *s, *e, *a, *st;
        if ((rc = const_in(im, 1, 0, &s)) || (rc = const_in(im, 2, 0, &e)) ||
            (rc = const_in(im, 3, 1, &a)) || (rc = const_in(im, 4, 1, &st)))
            return rc;
        n = s->count;
        if (e->count != n || (a && a->count != n) || (st && st->count != n) || n > 4)
            return nerr(im, -EINVAL, "starts, ends, axes and steps disagree in length");
        for (size_t i = 0; i < n; i++) {
            double axd = a ? cget(a, i) : (double)i;
            if (!(axd > -5 && axd < 4))
                return nerr(im, -EINVAL, "axis %g out of range", axd);
            int64_t ax = axd < 0 ? (int64_t)axd + 4 : (int64_t)axd;
            if (ax < 0 || ax > 3)
                return nerr(im, -EINVAL, "axis %g out of range", axd);
            if (st && cget(st, i) != 1)
                return nerr(im, -ENOTSUP, "step %g: only step 1 is supported", cget(st, i));
            lo[ax] = slice_bound(cget(s, i), dim[ax]);
            hi[ax] = slice_bound(cget(e, i), dim[ax]);
        }
    }
    for (int ax = 0; ax < 4; ax++)
        if (ax != 1 && (lo[ax] != 0 || hi[ax] != dim[ax]))
            return nerr(im, -ENOTSUP, "slicing axis %d: only channel slices are supported", ax);
    const char *out = mdl_onnx_str(im->nd->output[0]);
    if (lo[1] == 0 && hi[1] == c) {
        oval v = {.kind = V_TENSOR, .tid = x};
        return define(im, out, &v);
    }
    if (lo[1] >= hi[1])
        return nerr(im, -ENOTSUP, "the slice [%lld, %lld) of %d channels is empty",
                    (long long)lo[1], (long long)hi[1], c);
    int y = vsr_graph_slice(im->g, im->lname, x, (int)lo[1], (int)hi[1], im->err);
    return define_tensor(im, out, y);
}

static int op_split(imp *im)
{
    int x, rc, h, w, c;
    if ((rc = tensor_in(im, 0, &x)) || (rc = channel_axis(im, attr_i(im, "axis", 0))))
        return rc;
    shape_of(im, x, &h, &w, &c);
    size_t n = im->nd->n_output;
    if (n < 1 || n > MAX_PARTS)
        return nerr(im, -ENOTSUP, "%zu outputs (1..%d supported)", n, MAX_PARTS);
    int sizes[MAX_PARTS], ids[MAX_PARTS];
    const oval *sc;
    size_t na;
    const int64_t *sa = attr_ints(im, "split", &na);
    if ((rc = const_in(im, 1, 1, &sc)))
        return rc;
    long sum = 0;
    for (size_t i = 0; i < n; i++) {
        double s;
        if (sc) {
            if (sc->count != n)
                return nerr(im, -EINVAL, "split '%s' has %zu sizes for %zu outputs", sc->name,
                            sc->count, n);
            s = cget(sc, i);
        } else if (na) {
            if (na != n)
                return nerr(im, -EINVAL, "split has %zu sizes for %zu outputs", na, n);
            s = (double)sa[i];
        } else {
            if (c % (int)n)
                return nerr(im, -ENOTSUP, "%d channels do not split into %zu equal parts", c,
                            n);
            s = c / (int)n;
        }
        if (!(s >= 1 && s <= c))
            return nerr(im, -EINVAL, "split size %g of %d channels", s, c);
        sizes[i] = (int)s;
        sum += sizes[i];
    }
    if (sum != c)
        return nerr(im, -EINVAL, "split sizes add up to %ld, the input has %d channels", sum,
                    c);
    rc = vsr_graph_split(im->g, im->lname, x, (int)n, sizes, ids, im->err);
    if (rc < 0)
        return eng_err(im, rc);
    for (size_t i = 0; i < n && !rc; i++)
        rc = define_tensor(im, mdl_onnx_str(im->nd->output[i]), ids[i]);
    return rc;
}

/* Resolve Reshape's target @p s against input dims @p in (0 = copy, -1 = infer). */
static int reshape_dims(imp *im, const oval *s, const int64_t *in, int nin, int64_t *out,
                        int *nout, int maxd)
{
    if (s->count > (size_t)maxd)
        return nerr(im, -ENOTSUP, "shape '%s' has %zu dims (pixel shuffles use 4 or 6)",
                    s->name, s->count);
    size_t total = 0, known = 1;
    if (vsr_size_mul_n(in, nin, &total))
        return nerr(im, -EINVAL, "input too large");
    int infer = -1;
    int allowzero = (int)attr_i(im, "allowzero", 0);
    for (size_t i = 0; i < s->count; i++) {
        double d = cget(s, i);
        if (!(d >= -1 && d <= MAX_SIDE * (double)MAX_SIDE))
            return nerr(im, -EINVAL, "shape '%s' dim %zu is %g", s->name, i, d);
        int64_t v = (int64_t)d;
        if (v == 0 && !allowzero)
            v = (int)i < nin ? in[i] : -2;
        if (v == -2)
            return nerr(im, -EINVAL, "shape '%s' copies dim %zu, which the input lacks",
                        s->name, i);
        if (v == -1) {
            if (infer >= 0)
                return nerr(im, -EINVAL, "shape '%s' infers more than one dim", s->name);
            infer = (int)i;
            out[i] = 1;
            continue;
        }
        out[i] = v;
        if (vsr_size_mul(known, (size_t)v, &known))
            return nerr(im, -EINVAL, "shape '%s' is too large", s->name);
    }
    if (infer >= 0) {
        if (!known || total % known)
            return nerr(im, -EINVAL, "shape '%s' does not divide the input", s->name);
        out[infer] = (int64_t)(total / known);
        known = total;
    }
    if (known != total)
        return nerr(im, -EINVAL, "shape '%s' holds %zu elements, the input %zu", s->name, known,
                    total);
    *nout = (int)s->count;
    return 0;
}

/* ---- constant folding ------------------------------------------------------ */

/* Largest constant the folder computes (shape arithmetic, not weights). */
#define FOLD_MAX 65536

/* Row-major strides of @p dims. */
static void strides_of(const int64_t *dims, int n, size_t *st)
{
    size_t s = 1;
    for (int i = n; i-- > 0;) {
        st[i] = s;
        s *= (size_t)dims[i];
    }
}

/* A new folded constant of dims @p dims (count checked against FOLD_MAX). */
static int fold_new(imp *im, const int64_t *dims, int n, oval *v, double **d)
{
    size_t count = 0;
    if (n > MDL_ONNX_MAX_DIMS || vsr_size_mul_n(dims, n, &count) || count > FOLD_MAX)
        return nerr(im, -ENOTSUP, "a folded constant larger than %d values", FOLD_MAX);
    int rc = const_new(im, count, v, d);
    if (rc)
        return rc;
    v->ndim = n;
    memcpy(v->dims, dims, (size_t)n * sizeof(int64_t));
    return 0;
}

/* Ops on constants only (the shape arithmetic PyTorch exports, e.g. for
 * F.pad): Cast, ConstantOfShape, Concat, Reshape, Slice, Transpose,
 * Unsqueeze. Returns 1 when the node is not one of them. */
static int fold(imp *im, const char *op)
{
    const Onnx__NodeProto *nd = im->nd;
    if (!strcmp(op, "DequantizeLinear"))
        return 1; /* op_dequantize() folds weights of any size (the budget bounds them) */
    for (size_t i = 0; i < nd->n_input; i++) {
        const char *s = in_name(im, i);
        oval *v = s ? find(im, s) : NULL;
        if (s && (!v || v->kind != V_CONST))
            return 1;
    }
    for (size_t i = 0; i < nd->n_input; i++) {
        const char *s = in_name(im, i);
        const oval *v = s ? find(im, s) : NULL;
        int big = v && v->count > FOLD_MAX;
        for (int k = 0; v && k < v->ndim; k++)
            big |= v->dims[k] > FOLD_MAX;
        if (big)
            return nerr(im, -ENOTSUP, "folding a constant larger than %d values", FOLD_MAX);
    }
    if (!nd->n_input && strcmp(op, "ConstantOfShape"))
        return 1;
    const char *out = mdl_onnx_str(nd->output[0]);
    oval v;
    double *d;
    const oval *a;
    int rc;
    size_t n;
    if (!strcmp(op, "Cast")) {
        if ((rc = const_in(im, 0, 0, &a)) || (rc = fold_new(im, a->dims, a->ndim, &v, &d)))
            return rc;
        int64_t to = attr_i(im, "to", 1);
        int integer = to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
                      to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
                      to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
        for (size_t i = 0; i < a->count; i++)
            d[i] = integer ? (double)to_i64(cget(a, i)) : cget(a, i);
        return define(im, out, &v);
    }
    if (!strcmp(op, "ConstantOfShape")) {
        if ((rc = const_in(im, 0, 0, &a)))
            return rc;
        int64_t dims[MDL_ONNX_MAX_DIMS];
        if (a->count > MDL_ONNX_MAX_DIMS)
            return nerr(im, -ENOTSUP, "a shape of %zu dims", a->count);
        for (size_t i = 0; i < a->count; i++)
            dims[i] = to_i64(cget(a, i));
        if ((rc = fold_new(im, dims, (int)a->count, &v, &d)))
            return rc;
        const Onnx__AttributeProto *val = attr(im, "value");
        double fill =
            val && val->t && mdl_onnx_count(val->t) == 1 ? mdl_onnx_elem(val->t, 0) : 0;
        for (size_t i = 0; i < v.count; i++)
            d[i] = fill;
        return define(im, out, &v);
    }
    if (!strcmp(op, "Reshape")) {
        const oval *s;
        if ((rc = const_in(im, 0, 0, &a)) || (rc = const_in(im, 1, 0, &s)))
            return rc;
        int64_t dims[MDL_ONNX_MAX_DIMS];
        int nd2 = 0;
        if ((rc = reshape_dims(im, s, a->dims, a->ndim, dims, &nd2, MDL_ONNX_MAX_DIMS)) ||
            (rc = fold_new(im, dims, nd2, &v, &d)))
            return rc;
        for (size_t i = 0; i < a->count; i++)
            d[i] = cget(a, i);
        return define(im, out, &v);
    }
    if (!strcmp(op, "Unsqueeze")) {
        const oval *ax;
        if ((rc = const_in(im, 0, 0, &a)) || (rc = const_in(im, 1, 1, &ax)))
            return rc;
        size_t na = ax ? ax->count : 0;
        const int64_t *aa = attr_ints(im, "axes", &n);
        if (!ax)
            na = n;
        int r = a->ndim + (int)na;
        if (!na || r > MDL_ONNX_MAX_DIMS)
            return nerr(im, -ENOTSUP, "Unsqueeze to %d dims", r);
        int64_t dims[MDL_ONNX_MAX_DIMS];
        int mark[MDL_ONNX_MAX_DIMS] = {0};
        for (size_t i = 0; i < na; i++) {
            int64_t x = ax ? to_i64(cget(ax, i)) : aa[i];
            x = x < 0 ? x + r : x;
            if (x < 0 || x >= r || mark[x])
                return nerr(im, -EINVAL, "Unsqueeze axis out of range or repeated");
            mark[x] = 1;
        }
        for (int i = 0, k = 0; i < r; i++)
            dims[i] = mark[i] ? 1 : a->dims[k++];
        if ((rc = fold_new(im, dims, r, &v, &d)))
            return rc;
        for (size_t i = 0; i < a->count; i++)
            d[i] = cget(a, i);
        return define(im, out, &v);
    }
    if (!strcmp(op, "Concat")) {
        size_t ni = nd->n_input;
        if ((rc = const_in(im, 0, 0, &a)))
            return rc;
        int r = a->ndim;
        int64_t ax = attr_i(im, "axis", 0);
        ax = ax < 0 ? ax + r : ax;
        if (ax < 0 || ax >= r)
            return nerr(im, -EINVAL, "axis out of range");
        int64_t dims[MDL_ONNX_MAX_DIMS];
        memcpy(dims, a->dims, sizeof(dims));
        dims[ax] = 0;
        for (size_t i = 0; i < ni; i++) {
            const oval *b;
            if ((rc = const_in(im, i, 0, &b)))
                return rc;
            for (int k = 0; k < r; k++)
                if (b->ndim != r || (k != ax && b->dims[k] != a->dims[k]))
                    return nerr(im, -EINVAL, "inputs of different shapes");
            dims[ax] += b->dims[ax];
            if (dims[ax] > FOLD_MAX)
                return nerr(im, -ENOTSUP, "a folded constant larger than %d values", FOLD_MAX);
        }
        if ((rc = fold_new(im, dims, r, &v, &d)))
            return rc;
        size_t outer = 1, inner = 1, o = 0;
        for (int k = 0; k < ax; k++)
            outer *= (size_t)dims[k];
        for (int k = (int)ax + 1; k < r; k++)
            inner *= (size_t)dims[k];
        for (size_t p = 0; p < outer; p++)
            for (size_t i = 0; i < ni; i++) {
                const oval *b;
                const_in(im, i, 0, &b);
                size_t m = (size_t)b->dims[ax] * inner;
                for (size_t q = 0; q < m; q++)
                    d[o++] = cget(b, p * m + q);
            }
        return define(im, out, &v);
    }
    if (!strcmp(op, "Transpose") || !strcmp(op, "Slice")) {
        if ((rc = const_in(im, 0, 0, &a)))
            return rc;
        int r = a->ndim;
        int64_t dims[MDL_ONNX_MAX_DIMS], start[MDL_ONNX_MAX_DIMS], step[MDL_ONNX_MAX_DIMS];
        int src[MDL_ONNX_MAX_DIMS];
        for (int k = 0; k < r; k++)
            dims[k] = a->dims[k], start[k] = 0, step[k] = 1, src[k] = k;
        if (op[0] == 'T') {
            const int64_t *p = attr_ints(im, "perm", &n);
            int seen = 0;
            if (p && n != (size_t)r)
                return nerr(im, -EINVAL, "perm has %zu values for %d dims", n, r);
            for (int k = 0; k < r; k++) {
                int64_t x = p ? p[k] : r - 1 - k;
                if (x < 0 || x >= r || (seen & (1 << x)))
                    return nerr(im, -EINVAL, "perm is not a permutation");
                seen |= 1 << x;
                src[k] = (int)x;
                dims[k] = a->dims[x];
            }
        } else {
            const oval *s, *e, *ax, *st;
            if ((rc = const_in(im, 1, 0, &s)) || (rc = const_in(im, 2, 0, &e)) ||
                (rc = const_in(im, 3, 1, &ax)) || (rc = const_in(im, 4, 1, &st)))
                return rc;
            n = s->count;
            if (e->count != n || (ax && ax->count != n) || (st && st->count != n) ||
                n > (size_t)r)
                return nerr(im, -EINVAL, "starts, ends, axes and steps disagree in length");
            for (size_t i = 0; i < n; i++) {
                int64_t k = ax ? to_i64(cget(ax, i)) : (int64_t)i;
                k = k < 0 ? k + r : k;
                if (k < 0 || k >= r)
                    return nerr(im, -EINVAL, "axis out of range");
                int64_t dim = a->dims[k], b = to_i64(cget(s, i)), en = to_i64(cget(e, i));
                int64_t sp = st ? to_i64(cget(st, i)) : 1;
                sp = sp > FOLD_MAX ? FOLD_MAX : sp < -FOLD_MAX ? -FOLD_MAX : sp;
                b = b > FOLD_MAX ? FOLD_MAX : b < -2 * FOLD_MAX ? -2 * FOLD_MAX : b;
                en = en > FOLD_MAX ? FOLD_MAX : en < -2 * FOLD_MAX ? -2 * FOLD_MAX : en;
                if (!sp)
                    return nerr(im, -EINVAL, "step 0");
                b = b < 0 ? b + dim : b;
                en = en < 0 ? en + dim : en;
                if (sp > 0) {
                    b = b < 0 ? 0 : b > dim ? dim : b;
                    en = en < 0 ? 0 : en > dim ? dim : en;
                } else {
                    b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
                    en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
                }
                int64_t cnt = sp > 0 ? (en - b + sp - 1) / sp : (b - en + (-sp) - 1) / (-sp);
                dims[k] = cnt > 0 ? cnt : 0;
                start[k] = b;
                step[k] = sp;
            }
        }
        if ((rc = fold_new(im, dims, r, &v, &d)))
            return rc;
        size_t ist[MDL_ONNX_MAX_DIMS];
        strides_of(a->dims, r, ist);
        for (size_t o = 0; o < v.count; o++) {
            size_t rem = o, idx = 0;
            for (int k = r; k-- > 0;) {
                size_t q = rem % (size_t)dims[k];
                rem /= (size_t)dims[k];
                idx += (size_t)(start[k] + (int64_t)q * step[k]) * ist[src[k]];
            }
            d[o] = cget(a, idx);
        }
        return define(im, out, &v);
    }
    return 1;
}

/* Reshape of a 3-D view: V_R3 back to its own [1, C, H, W]; V_MMT [1, Cq,
 * Ck] to [1, Cq, 1, Ck], the engine's 1 x Ck x Cq scores (matmul_tn). */
static int reshape_view(imp *im, const oval *xv, const oval *s)
{
    int h, w, c, hq = 0, wq = 0, cq = 0, rc, nout = 0;
    shape_of(im, xv->tid, &h, &w, &c);
    if (xv->kind == V_MMT)
        shape_of(im, xv->tid2, &hq, &wq, &cq);
    int64_t in[3] = {1, xv->kind == V_MMT ? cq : c, xv->kind == V_MMT ? c : (int64_t)h * w},
            out[4];
    if ((rc = reshape_dims(im, s, in, 3, out, &nout, 4)))
        return rc;
    const char *oname = mdl_onnx_str(im->nd->output[0]);
    if (xv->kind == V_R3) {
        if (nout != 4 || out[0] != 1 || out[1] != c || out[2] != h || out[3] != w)
            return nerr(im, -ENOTSUP,
                        "a [1, C, H*W] view is reshaped only back to its [1, %d, %d, %d]", c, h,
                        w);
        oval v = {.kind = V_TENSOR, .tid = xv->tid};
        return define(im, oname, &v);
    }
    if (nout != 4 || out[0] != 1 || out[1] != cq || out[2] != 1 || out[3] != c)
        return nerr(im, -ENOTSUP,
                    "attention scores [1, %d, %d] are placed only as [1, %d, 1, %d] (the "
                    "layout of vsrbench's export)",
                    cq, c, cq, c);
    int y = vsr_graph_matmul_tn(im->g, im->lname, xv->tid, xv->tid2, (float)xv->alpha, im->err);
    return define_tensor(im, oname, y);
}

/* MatMul of two views: Q [1, Cq, HW] x K^T [1, HW, Ck] -> pending scores
 * (V_MMT); A [1, Cq, Cv] (a 1 x Cv x Cq tensor) x V [1, Cv, HW] -> Y = V A
 * (matmul_pixels) as a [1, Cq, HW] view. */
static int op_matmul(imp *im)
{
    oval *a, *b;
    int rc;
    if ((rc = input(im, 0, &a)) || (rc = input(im, 1, &b)))
        return rc;
    const char *oname = mdl_onnx_str(im->nd->output[0]);
    int ha = 0, wa = 0, ca = 0, hb = 0, wb = 0, cb = 0;
    if (a->kind == V_R3 && (b->kind == V_R3T || b->kind == V_R3)) {
        shape_of(im, a->tid, &ha, &wa, &ca);
        shape_of(im, b->tid, &hb, &wb, &cb);
    }
    if (a->kind == V_R3 && b->kind == V_R3T) {
        if (ha != hb || wa != wb)
            return nerr(im, -EINVAL, "the two operands have %dx%d and %dx%d pixels", ha, wa, hb,
                        wb);
        oval v = {.kind = V_MMT, .tid = b->tid, .tid2 = a->tid, .alpha = 1};
        return define(im, oname, &v);
    }
    if (a->kind == V_R3 && b->kind == V_R3 && ha == 1 && wa == cb) {
        int y = vsr_graph_matmul_pixels(im->g, im->lname, b->tid, a->tid, im->err);
        if ((rc = define_tensor(im, oname, y)))
            return rc;
        im->v[im->nv - 1].kind = V_R3;
        return 0;
    }
    return nerr(im, -ENOTSUP,
                "MatMul is supported only in the attention layout of vsrbench's export "
                "([1, C, H*W] reshapes of tensors, one transposed)");
}

static int op_softmax(imp *im)
{
    int x, rc, h, w, c;
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    shape_of(im, x, &h, &w, &c);
    /* opset 13: one axis (default -1); before: the axes from 'axis' (default
     * 1) on, which is the channels alone only for one pixel */
    int old = im->m->opset && im->m->opset < 13;
    int64_t axis = attr_i(im, "axis", old ? 1 : -1);
    if ((rc = channel_axis(im, axis)))
        return rc;
    if (old && (h != 1 || w != 1))
        return nerr(im, -ENOTSUP,
                    "before opset 13 Softmax normalises over C, H and W together; only a 1x1 "
                    "tensor is supported");
    int y = vsr_graph_softmax(im->g, im->lname, x, im->err);
    return define_tensor(im, mdl_onnx_str(im->nd->output[0]), y);
}

/* Inference BatchNormalization: scale, B, mean, var constants of C values. */
static int op_batch_norm(imp *im)
{
    int x, rc, h, w, c;
    const oval *k[4];
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    for (int i = 0; i < 4; i++)
        if ((rc = const_in(im, (size_t)i + 1, 0, &k[i])))
            return rc;
    if (attr_i(im, "training_mode", 0))
        return nerr(im, -ENOTSUP, "training_mode 1 is not supported");
    shape_of(im, x, &h, &w, &c);
    for (int i = 0; i < 4; i++)
        if (k[i]->count != (size_t)c)
            return nerr(im, -EINVAL, "'%s' has %zu values for %d channels", k[i]->name,
                        k[i]->count, c);
    int y = vsr_graph_batch_norm(im->g, im->lname, x, attr_f(im, "epsilon", 1e-5f), im->err);
    if (y < 0)
        return eng_err(im, y);
    if ((rc = take(im, 4 * (size_t)c, sizeof(float))))
        return rc;
    float *d = malloc((size_t)c * sizeof(float));
    if (!d)
        return vsr_error_set(im->err, -ENOMEM, "%s: out of memory", im->m->what);
    static const char *const role[4] = {"gamma", "beta", "mean", "var"};
    for (int i = 0; i < 4 && !rc; i++) {
        for (int ch = 0; ch < c; ch++)
            d[ch] = (float)cget(k[i], (size_t)ch);
        char wn[VSR_NAME_MAX];
        snprintf(wn, sizeof(wn), "%s.%s", im->lname, role[i]);
        rc = vsr_graph_set_weight(im->g, wn, d, (size_t)c, im->err);
    }
    free(d);
    if (rc)
        return eng_err(im, rc);
    return define_tensor(im, mdl_onnx_str(im->nd->output[0]), y);
}

/* Reshape: [1,C,H,W] -> 6-D, or the closing 6-D -> [1,C/r^2,H r,W r] of a
 * pixel shuffle, or to the same shape. */
static int op_reshape(imp *im)
{
    oval *xv;
    const oval *s;
    int rc;
    if ((rc = input(im, 0, &xv)) || (rc = const_in(im, 1, 0, &s)))
        return rc;
    if (xv->kind == V_R3 || xv->kind == V_MMT)
        return reshape_view(im, xv, s);
    if (xv->kind != V_TENSOR && xv->kind != V_T6)
        return nerr(im, -ENOTSUP,
                    "Reshape is supported only as part of a pixel shuffle "
                    "(Reshape -> Transpose -> Reshape) or of an attention");
    int h, w, c;
    shape_of(im, xv->tid, &h, &w, &c);
    int64_t in[6], out[6];
    int nin = 4, nout = 0;
    if (xv->kind == V_T6) {
        memcpy(in, xv->d6, sizeof(in));
        nin = 6;
    } else {
        in[0] = 1, in[1] = c, in[2] = h, in[3] = w;
    }
    if ((rc = reshape_dims(im, s, in, nin, out, &nout, 6)))
        return rc;
    const char *oname = mdl_onnx_str(im->nd->output[0]);
    if (xv->kind == V_TENSOR) {
        oval v = {.kind = V_TENSOR, .tid = xv->tid};
        if (nout == 4 && !memcmp(in, out, 4 * sizeof(int64_t)))
            return define(im, oname, &v); /* no-op */
        if (nout == 3 && out[0] == 1 && out[1] == c) {
            v.kind = V_R3; /* [1, C, H*W] */
            return define(im, oname, &v);
        }
        if (nout != 6)
            return nerr(im, -ENOTSUP, "Reshape is supported only as part of a pixel shuffle");
        v.kind = V_R6;
        memcpy(v.d6, out, sizeof(v.d6));
        return define(im, oname, &v);
    }
    /* the closing reshape: which shuffle did the pair before spell? */
    const int64_t *a = xv->d6; /* the transposed dims, from the V_R6 dims via perm */
    static const int crd[6] = {0, 1, 4, 2, 5, 3}, dcr[6] = {0, 3, 4, 1, 5, 2};
    int is_crd = !memcmp(xv->perm, crd, sizeof(crd)),
        is_dcr = !memcmp(xv->perm, dcr, sizeof(dcr));
    /* both spell [1, C', H, r, W, r] after the transpose */
    int64_t r = a[3];
    if (!(is_crd || is_dcr) || nout != 4 || a[0] != 1 || a[2] != h || a[4] != w || a[5] != r ||
        out[0] != 1 || out[1] != a[1] || out[2] != h * r || out[3] != w * r || r < 1 ||
        r > MAX_FACTOR)
        return nerr(im, -ENOTSUP,
                    "this Reshape -> Transpose -> Reshape is not a pixel shuffle (depth to "
                    "space, DCR or CRD) of a [1, C, H, W] tensor");
    return depth_to_space(im, xv->tid, (int)r, is_crd, NULL, oname);
}

static int op_transpose(imp *im)
{
    oval *xv;
    int rc;
    if ((rc = input(im, 0, &xv)))
        return rc;
    size_t n;
    const int64_t *p = attr_ints(im, "perm", &n);
    const char *oname = mdl_onnx_str(im->nd->output[0]);
    if (xv->kind == V_TENSOR && n == 4 && p[0] == 0 && p[1] == 1 && p[2] == 2 && p[3] == 3) {
        oval v = *xv;
        return define(im, oname, &v);
    }
    if (xv->kind == V_R3 && n == 3 && p[0] == 0 && p[1] == 2 && p[2] == 1) {
        oval v = *xv;
        v.kind = V_R3T;
        return define(im, oname, &v);
    }
    if (xv->kind != V_R6 || n != 6)
        return nerr(im, -ENOTSUP,
                    "Transpose is supported only as part of a pixel shuffle "
                    "(Reshape -> Transpose -> Reshape)");
    oval v = *xv;
    v.kind = V_T6;
    int seen = 0;
    for (int i = 0; i < 6; i++) {
        if (p[i] < 0 || p[i] > 5 || (seen & (1 << p[i])))
            return nerr(im, -EINVAL, "perm is not a permutation of 0..5");
        seen |= 1 << p[i];
        v.perm[i] = (int)p[i];
        v.d6[i] = xv->d6[p[i]];
    }
    /* the permuted pair must come from [1, C', r, r, H, W] (CRD) or [1, r, r, C', H, W] (DCR)
     */
    int h, w, c;
    shape_of(im, xv->tid, &h, &w, &c);
    const int64_t *a = xv->d6;
    if (!(a[4] == h && a[5] == w && a[0] == 1))
        return nerr(im, -ENOTSUP, "Transpose of a 6-D reshape that does not keep H and W");
    return define(im, oname, &v);
}

static int op_constant(imp *im)
{
    const char *out = mdl_onnx_str(im->nd->output[0]);
    const Onnx__AttributeProto *a;
    if ((a = attr(im, "value")) && a->t) {
        oval v = const_of(a->t);
        return define(im, out, &v);
    }
    oval v;
    double *d;
    int rc;
    if ((a = attr(im, "value_float")) && a->has_f) {
        if ((rc = const_new(im, 1, &v, &d)))
            return rc;
        d[0] = a->f;
    } else if ((a = attr(im, "value_int")) && a->has_i) {
        if ((rc = const_new(im, 1, &v, &d)))
            return rc;
        d[0] = (double)a->i;
    } else if ((a = attr(im, "value_floats")) || (a = attr(im, "value_ints"))) {
        size_t n = a->n_floats ? a->n_floats : a->n_ints;
        if ((rc = const_new(im, n, &v, &d)))
            return rc;
        for (size_t i = 0; i < n; i++)
            d[i] = a->n_floats ? a->floats[i] : (double)a->ints[i];
        v.ndim = 1;
        v.dims[0] = (int64_t)n;
    } else {
        return nerr(im, -ENOTSUP, "a Constant without value, value_float(s) or value_int(s)");
    }
    return define(im, out, &v);
}

static int op_alias(imp *im);

/* DequantizeLinear of a constant: fold into float values (their scales kept
 * for op_conv()); of a tensor: the second half of a QDQ pair, the tensor. */
static int op_dequantize(imp *im)
{
    oval *xv;
    const oval *sc, *zp;
    int rc;
    if ((rc = input(im, 0, &xv)))
        return rc;
    if (xv->kind == V_TENSOR) /* the other half of a QDQ pair: see op_quantize() */
        return op_alias(im);
    if (xv->kind != V_CONST)
        return tensor_in(im, 0, &rc); /* the message */
    if ((rc = const_in(im, 1, 0, &sc)) || (rc = const_in(im, 2, 1, &zp)))
        return rc;
    size_t inner = 1, nch = 1;
    if (sc->count != 1) {
        int64_t ax = attr_i(im, "axis", 1);
        ax = ax < 0 ? ax + xv->ndim : ax;
        if (ax < 0 || ax >= xv->ndim || sc->count != (size_t)xv->dims[ax] ||
            vsr_size_mul_n(xv->dims + ax + 1, xv->ndim - (int)ax - 1, &inner))
            return nerr(im, -EINVAL, "scale '%s' (%zu values) does not match axis %lld of '%s'",
                        sc->name, sc->count, (long long)ax, xv->name);
        nch = sc->count;
    }
    if (zp && zp->count != sc->count)
        return nerr(im, -EINVAL, "zero point '%s' has %zu values, scale '%s' %zu", zp->name,
                    zp->count, sc->name, sc->count);
    oval v, sv;
    double *d, *qs;
    if ((rc = const_new(im, nch, &sv, &qs)) || (rc = const_new(im, xv->count, &v, &d)))
        return rc;
    v.ndim = xv->ndim;
    memcpy(v.dims, xv->dims, sizeof(v.dims));
    for (size_t i = 0; i < xv->count; i++) {
        size_t k = inner ? (i / inner) % nch : 0;
        d[i] = (cget(xv, i) - (zp ? cget(zp, k) : 0)) * cget(sc, k);
    }
    for (size_t k = 0; k < nch; k++)
        qs[k] = cget(sc, k);
    v.qs = qs, v.nqs = nch;
    v.qaxis = nch > 1 ? (int)(attr_i(im, "axis", 1) < 0 ? attr_i(im, "axis", 1) + xv->ndim
                                                        : attr_i(im, "axis", 1))
                      : 0;
    return define(im, mdl_onnx_str(im->nd->output[0]), &v);
}

/*
 * QuantizeLinear of an activation (QDQ form): the tensor gets
 * the node's (scale, zero point) as fixed INT8 parameters (a uint8 zero
 * point z is z - 128 on the engine's int8 grid, the same real values); the
 * output is the tensor itself, and the DequantizeLinear that follows is
 * too. The engine's INT8 then rounds and saturates where the file does.
 */
static int op_quantize(imp *im)
{
    int x, rc;
    const oval *sc, *zp;
    if ((rc = tensor_in(im, 0, &x)) || (rc = const_in(im, 1, 0, &sc)) ||
        (rc = const_in(im, 2, 1, &zp)))
        return rc;
    if (sc->count != 1 || (zp && zp->count != 1))
        return nerr(im, -ENOTSUP,
                    "per-axis quantization of an activation is not supported (one scale "
                    "and zero point per tensor)");
    int u8 = !zp || !zp->t || zp->t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
    if (zp && zp->t && !u8 && zp->t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT8)
        return nerr(im, -ENOTSUP, "zero point '%s' must be int8 or uint8", zp->name);
    double z = zp ? cget(zp, 0) : 0, scale = cget(sc, 0);
    if ((rc = vsr_graph_set_quant(im->g, x, (float)scale, (int)(u8 ? z - 128 : z), im->err)))
        return eng_err(im, rc);
    return op_alias(im);
}

/* Identity, Dropout (inference): the input under a new name. */
static int op_alias(imp *im)
{
    oval *xv;
    int rc = input(im, 0, &xv);
    if (rc)
        return rc;
    oval v = *xv;
    return define(im, mdl_onnx_str(im->nd->output[0]), &v);
}

static int op_unary(imp *im, const char *op)
{
    int x, rc, y;
    if ((rc = tensor_in(im, 0, &x)))
        return rc;
    if (!strcmp(op, "Relu"))
        y = vsr_graph_relu(im->g, im->lname, x, im->err);
    else if (!strcmp(op, "Sigmoid"))
        y = vsr_graph_sigmoid(im->g, im->lname, x, im->err);
    else
        y = vsr_graph_leaky_relu(im->g, im->lname, x, attr_f(im, "alpha", 0.01f), im->err);
    return define_tensor(im, mdl_onnx_str(im->nd->output[0]), y);
}

static int node(imp *im)
{
    const Onnx__NodeProto *nd = im->nd;
    const char *op = mdl_onnx_str(nd->op_type), *dom = mdl_onnx_str(nd->domain);
    if (*dom && strcmp(dom, "ai.onnx"))
        return nerr(im, -ENOTSUP, "operator domain '%s' is not supported", dom);
    if (nd->n_output < 1 || !*mdl_onnx_str(nd->output[0]))
        return nerr(im, -EINVAL, "the node has no output");
    /* the layer name: the node's (engine-safe characters), else op + index */
    const char *nm = mdl_onnx_str(nd->name);
    size_t len = strlen(nm);
    if (len && len < sizeof(im->lname) - 8) {
        for (size_t i = 0; i <= len; i++) {
            char ch = nm[i];
            int ok = !ch || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '/';
            im->lname[i] = ok ? ch : '_';
        }
        if (im->lname[0] == '/') /* torch: "/body/conv1/Conv" */
            memmove(im->lname, im->lname + 1, len);
    } else {
        snprintf(im->lname, sizeof(im->lname), "%.24s_%zu", op, im->ni);
    }
    int rc = fold(im, op);
    if (rc != 1)
        return rc;
    if (!strcmp(op, "Conv"))
        return op_conv(im);
    if (!strcmp(op, "Relu") || !strcmp(op, "LeakyRelu") || !strcmp(op, "Sigmoid"))
        return op_unary(im, op);
    if (!strcmp(op, "Clip"))
        return op_clip(im);
    if (!strcmp(op, "PRelu"))
        return op_prelu(im);
    if (!strcmp(op, "Add") || !strcmp(op, "Mul") || !strcmp(op, "Sub") || !strcmp(op, "Div"))
        return op_binary(im, op);
    if (!strcmp(op, "Concat"))
        return op_concat(im);
    if (!strcmp(op, "DepthToSpace"))
        return op_d2s(im);
    if (!strcmp(op, "Resize"))
        return op_resize(im, 0);
    if (!strcmp(op, "Upsample"))
        return op_resize(im, 1);
    if (!strcmp(op, "Pad"))
        return op_pad(im);
    if (!strcmp(op, "Slice"))
        return op_slice(im);
    if (!strcmp(op, "Split"))
        return op_split(im);
    if (!strcmp(op, "Reshape"))
        return op_reshape(im);
    if (!strcmp(op, "Transpose"))
        return op_transpose(im);
    if (!strcmp(op, "MatMul"))
        return op_matmul(im);
    if (!strcmp(op, "Softmax"))
        return op_softmax(im);
    if (!strcmp(op, "BatchNormalization"))
        return op_batch_norm(im);
    if (!strcmp(op, "Constant"))
        return op_constant(im);
    if (!strcmp(op, "Identity") || !strcmp(op, "Dropout"))
        return op_alias(im);
    if (!strcmp(op, "DequantizeLinear"))
        return op_dequantize(im);
    if (!strcmp(op, "QuantizeLinear"))
        return op_quantize(im);
    return nerr(im, -ENOTSUP, "op type %s is not supported", op);
}

/* Graph input @p vi: [N=1, C, H, W]; fixed H, W are the nominal size. */
static int graph_input(imp *im, const Onnx__ValueInfoProto *vi, int idx)
{
    const char *nm = mdl_onnx_str(vi->name);
    const Onnx__TypeProto__Tensor *tt = vi->type ? vi->type->tensor_type : NULL;
    const Onnx__TensorShapeProto *sp = tt ? tt->shape : NULL;
    if (!sp || sp->n_dim != 4)
        return vsr_error_set(im->err, -ENOTSUP,
                             "%s: graph input '%s' is not a 4-D tensor [N, C, H, W]",
                             im->m->what, nm);
    if (tt->has_elem_type && tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return vsr_error_set(im->err, -ENOTSUP,
                             "%s: graph input '%s' has element type %d; only FLOAT inputs are "
                             "supported",
                             im->m->what, nm, (int)tt->elem_type);
    int64_t d[4];
    for (int i = 0; i < 4; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = sp->dim[i];
        d[i] = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                   ? dm->dim_value
                   : -1;
    }
    if ((d[0] != 1 && d[0] != -1) || d[1] < 1 || d[1] > MAX_SIDE)
        return vsr_error_set(im->err, -ENOTSUP,
                             "%s: graph input '%s' must have batch 1 and a fixed channel count "
                             "in 1..%d",
                             im->m->what, nm, MAX_SIDE);
    int h = d[2] >= 1 && d[2] <= MAX_SIDE ? (int)d[2] : im->opt->h;
    int w = d[3] >= 1 && d[3] <= MAX_SIDE ? (int)d[3] : im->opt->w;
    char in[16];
    snprintf(in, sizeof(in), "in%d", idx);
    int t = vsr_graph_input(im->g, in, h, w, (int)d[1], im->err);
    if (t < 0)
        return t;
    oval v = {.kind = V_TENSOR, .tid = t};
    if (find(im, nm))
        return vsr_error_set(im->err, -EINVAL, "%s: graph input '%s' is defined twice",
                             im->m->what, nm);
    return define(im, nm, &v);
}

static int translate(imp *im)
{
    const Onnx__GraphProto *gp = im->m->pb->graph;
    static const Onnx__NodeProto none = ONNX__NODE_PROTO__INIT;
    im->nd = &none; /* for messages before the first node */
    int rc;
    for (size_t i = 0; i < gp->n_initializer; i++) {
        oval v = const_of(gp->initializer[i]);
        if ((rc = define(im, mdl_onnx_str(gp->initializer[i]->name), &v)))
            return rc;
    }
    int nin = 0;
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *nm = mdl_onnx_str(gp->input[i]->name);
        oval *old = find(im, nm);
        if (old && old->kind == V_CONST)
            continue; /* an initializer also listed as input (IR < 4) */
        im->nd = &none;
        if ((rc = graph_input(im, gp->input[i], nin++)))
            return rc;
    }
    if (!nin)
        return vsr_error_set(im->err, -EINVAL, "%s: the graph has no input", im->m->what);
    for (size_t i = 0; i < gp->n_node; i++) {
        im->nd = gp->node[i];
        im->ni = i;
        if ((rc = node(im)))
            return rc;
    }
    if (!gp->n_output)
        return vsr_error_set(im->err, -EINVAL, "%s: the graph has no output", im->m->what);
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *nm = mdl_onnx_str(gp->output[i]->name);
        oval *v = find(im, nm);
        if (!v || v->kind != V_TENSOR)
            return vsr_error_set(im->err, -ENOTSUP, "%s: graph output '%s' is %s", im->m->what,
                                 nm, v ? "not a computed tensor" : "produced by no node");
        char on[32];
        snprintf(on, sizeof(on), "out%zu", i);
        if ((rc = vsr_graph_output(im->g, on, v->tid, im->err)) < 0)
            return rc;
    }
    return vsr_graph_status(im->g, im->err);
}

int vsr_models_import_onnx(const vsr_models_onnx *m, const char *name,
                           const vsr_models_onnx_import *opt, vsr_graph **out, vsr_error *err)
{
    *out = NULL;
    if (!m || !opt || opt->h < 1 || opt->w < 1 || opt->h > MAX_SIDE || opt->w > MAX_SIDE)
        return vsr_error_set(err, -EINVAL, "onnx import: bad arguments");
    imp im = {.m = m, .opt = opt, .err = err};
    size_t b = 0;
    if (vsr_size_mul(m->file_len, VSR_MODELS_TFLITE_ALLOC_FACTOR, &b) ||
        vsr_size_add(b, VSR_MODELS_TFLITE_ALLOC_SLACK, &im.budget))
        im.budget = SIZE_MAX;
    int rc = vsr_graph_create(name, &im.g, err);
    if (!rc)
        rc = translate(&im);
    for (size_t i = 0; i < im.nowned; i++)
        free(im.owned[i]);
    free(im.owned);
    free(im.v);
    if (rc) {
        vsr_graph_free(&im.g);
        return rc;
    }
    *out = im.g;
    return 0;
}
