/*
 * Per-pixel ops computed in FP32 on widened / dequantized values, rounded
 * to the output type (binary16, or int8 with round-to-nearest-even and
 * saturation): activations, scale, add / mul with broadcast, unfused batch
 * norm, layer norm, softmax.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../engine_internal.h"
#include "../quant_tflite.h"

enum { CHUNK = 1024 };

typedef struct ew_task {
    vsr_engine *e;
    int i;
    vsr_tview a, b, o;
    int bmode; /* 0 same shape, 1 one channel, 2 per-channel vector */
    const float *pw;
    int use_lut; /* INT8 -> INT8 unary op through lut */
    int8_t lut[256];
    const int8_t *lut2; /* INT8 binary op (and a fused unary op) through e->lut2[i] */
} ew_task;

static float gelu(float x)
{
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
}

static void pixels(const ew_task *t, const vsr_node *nd, float *a, const float *b, int n)
{
    vsr_ew_args args = {nd, t->pw, t->bmode, t->o.c};
    vsr__op_def(nd->op)->pixels(&args, a, b, n);
}

/* Element-wise ops of one int8 value that unary_lut() tabulates. */
static int lut_op(vsr_op_type op)
{
    return (vsr__op_def(op)->flags & VSR_OPF_LUT) != 0;
}

/* An element-wise op of one int8 value: tabulate the float path (the same
 * dequantize, pixels(), requantize calls) over the 256 inputs, so the table
 * gives exactly what computing each element would. lut[q + 128] for input q. */
static void unary_lut(const ew_task *t, const vsr_node *nd, vsr_tview a, vsr_tview o,
                      int8_t *lut)
{
    int8_t qin[256];
    float v[256];
    if (t->e->opt.requant == VSR_REQUANT_TFLITE &&
        (nd->op == VSR_OP_RELU || nd->op == VSR_OP_CLIP)) {
        /* TFLite's integer RELU / MINIMUM / MAXIMUM (quant_tflite.h); a multiplier out of
         * range (absurd scales) keeps the float table */
        vsr_tfl_q qa = {a.scale, a.zp}, qo = {o.scale, o.zp};
        float lo = nd->op == VSR_OP_RELU ? 0.f : nd->act.lo;
        float hi = nd->op == VSR_OP_RELU ? FLT_MAX : nd->act.hi;
        if (!vsr__tfl_clip_lut(qa, qo, lo, hi, lut))
            return;
    }
    if (t->e->opt.requant == VSR_REQUANT_TFLITE && nd->op == VSR_OP_SIGMOID) {
        vsr_tfl_q qa = {a.scale, a.zp}, qo = {o.scale, o.zp};
        vsr__tfl_logistic_lut(qa, qo, lut); /* TFLite's int8 LOGISTIC */
        return;
    }
    for (int q = 0; q < 256; q++)
        qin[q] = (int8_t)(q - 128);
    a.data = qin;
    o.data = lut;
    vsr__load_f32(&a, 0, 256, v);
    ew_task t1 = *t;
    t1.o.c = 1;
    pixels(&t1, nd, v, v, 256); /* (b is not read by one-input ops) */
    vsr__store_f32(&o, 0, 256, v);
}

static void ew_row(void *ctx, size_t y)
{
    const ew_task *t = ctx;
    const vsr_node *nd = &t->e->g->nodes[t->i];
    int w = t->o.w, c = t->o.c;
    if (t->lut2) {
        size_t n = (size_t)w * c, off = (size_t)y * n;
        const uint8_t *a = (const uint8_t *)t->a.data + off,
                      *b = (const uint8_t *)t->b.data + off;
        int8_t *d = (int8_t *)t->o.data + off;
        for (size_t k = 0; k < n; k++)
            d[k] = t->lut2[(size_t)a[k] << 8 | b[k]];
        return;
    }
    if (t->use_lut) {
        size_t n = (size_t)w * c, off = (size_t)y * n;
        const int8_t *s = (const int8_t *)t->a.data + off;
        int8_t *d = (int8_t *)t->o.data + off;
        t->e->k.lut8(s, d, n, t->lut);
        return;
    }
    int chunk = CHUNK / c;
    float a[CHUNK], b[CHUNK];
    if (t->bmode == 2)
        vsr__load_f32(&t->b, 0, (size_t)c, b);
    for (int x0 = 0; x0 < w; x0 += chunk) {
        int n = w - x0 < chunk ? w - x0 : chunk;
        size_t off = ((size_t)y * w + (size_t)x0) * c;
        vsr__load_f32(&t->a, off, (size_t)n * c, a);
        if (nd->n_in > 1 && t->bmode == 0)
            vsr__load_f32(&t->b, off, (size_t)n * c, b);
        else if (nd->n_in > 1 && t->bmode == 1)
            vsr__load_f32(&t->b, (size_t)y * w + (size_t)x0, (size_t)n, b);
        pixels(t, nd, a, b, n);
        vsr__store_f32(&t->o, off, (size_t)n * c, a);
    }
}

int vsr__eltwise_run(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_node *nd = &e->g->nodes[i];
    ew_task t = {.e = e, .i = i, .pw = e->pw[i]};
    t.a = vsr__tensor(e, nd->in[0]);
    t.o = vsr__tensor(e, e->plan.dst[i]);
    if (t.o.c > CHUNK)
        return vsr_error_set(err, -ENOTSUP, "%s: %s: more than %d channels", e->g->name,
                             nd->name, CHUNK);
    if (nd->n_in > 1) {
        t.b = vsr__tensor(e, nd->in[1]);
        t.bmode = (t.b.h == 1 && t.b.w == 1 && t.b.c == t.a.c && (t.a.h > 1 || t.a.w > 1)) ? 2
                  : t.b.c == t.a.c                                                         ? 0
                                                                                           : 1;
    }
    if (e->lut2 && e->lut2[i]) {
        if (t.b.h != t.a.h || t.b.w != t.a.w || t.b.c != t.a.c)
            return vsr_error_set(err, -EINVAL, "%s: %s: operands of %dx%dx%d and %dx%dx%d",
                                 e->g->name, nd->name, t.a.h, t.a.w, t.a.c, t.b.h, t.b.w,
                                 t.b.c);
        t.lut2 = e->lut2[i];
    } else if (nd->n_in == 1 && t.a.dt == VSR_DT_I8 && t.o.dt == VSR_DT_I8 && lut_op(nd->op)) {
        unary_lut(&t, nd, t.a, t.o, t.lut);
        t.use_lut = 1;
    }
    vsr__parallel(e, ew_row, &t, (size_t)t.o.h);
    return 0;
}

/*
 * INT8 binary ops as a table. The table is built with the same calls as the
 * per-element path (vsr__load_f32 of both operands, pixels(), vsr__store_f32;
 * then the fused op's own 256-entry table), so every entry is what computing
 * the element gives: the results do not change, only the work per element
 * (two loads and one table read instead of two dequantizations, the float op
 * and a requantization, then a second pass for the fused op).
 */
int vsr__eltwise_prepare(vsr_engine *e, int no_fuse, vsr_error *err)
{
    const vsr_graph *g = e->g;
    vsr_plan *p = &e->plan;
    int n = g->n_nodes;
    /* requant tflite: the tables are TFLite's integer kernels, so they are built
     * also when nothing may be fused (calibration runs float anyway) */
    int tfl = e->opt.requant == VSR_REQUANT_TFLITE;
    if (e->prec != VSR_PREC_INT8 || (no_fuse && !tfl))
        return 0;
    for (int i = 0; i < n; i++) {
        const vsr_node *nd = &g->nodes[i];
        if ((nd->op != VSR_OP_ADD && nd->op != VSR_OP_MUL) || nd->n_in != 2 || !p->exec[i] ||
            p->dst[i] != i)
            continue;
        const vsr_node *na = &g->nodes[nd->in[0]], *nb = &g->nodes[nd->in[1]];
        if (e->dt[nd->in[0]] != VSR_DT_I8 || e->dt[nd->in[1]] != VSR_DT_I8 ||
            e->dt[i] != VSR_DT_I8 || na->h != nb->h || na->w != nb->w || na->c != nb->c ||
            nd->c > CHUNK)
            continue;
        if (!e->lut2 && !(e->lut2 = calloc((size_t)n, sizeof(int8_t *))))
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        int8_t *lut = malloc(65536);
        if (!lut)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        e->lut2[i] = lut;
        /* a following element-wise op of one int8 value, sole consumer: into the table */
        int f = -1;
        if (!no_fuse && !p->is_output[i] && p->n_consumers[i] == 1)
            for (int j = i + 1; j < n && f < 0; j++)
                if (g->nodes[j].n_in == 1 && g->nodes[j].in[0] == i)
                    f = j;
        if (f >= 0 &&
            !(p->exec[f] && p->dst[f] == f && lut_op(g->nodes[f].op) && e->dt[f] == VSR_DT_I8))
            f = -1;
        /* scalar conversions: the oracle (the kernel table's are bit-identical) */
        vsr_tview va = {.dt = VSR_DT_I8,
                        .h = 1,
                        .w = 256,
                        .c = 1,
                        .scale = e->qscale[nd->in[0]],
                        .zp = e->qzp[nd->in[0]]};
        vsr_tview vb = va, vo = va, vf = va;
        vb.scale = e->qscale[nd->in[1]], vb.zp = e->qzp[nd->in[1]];
        vo.scale = e->qscale[i], vo.zp = e->qzp[i];
        vf.scale = f >= 0 ? e->qscale[f] : 1.f, vf.zp = f >= 0 ? e->qzp[f] : 0;
        ew_task t = {.e = e, .i = i, .o = vo, .bmode = 0, .pw = e->pw[i]};
        int8_t fl[256], qa[256], qb[256];
        float a[256], b[256];
        if (f >= 0) {
            ew_task tf = {.e = e, .i = f, .pw = e->pw[f]};
            unary_lut(&tf, &g->nodes[f], vo, vf, fl);
        }
        if (tfl) {
            vsr_tfl_q ta = {va.scale, va.zp}, tb = {vb.scale, vb.zp}, to = {vo.scale, vo.zp};
            if ((nd->op == VSR_OP_ADD ? vsr__tfl_add_lut(ta, tb, to, lut)
                                      : vsr__tfl_mul_lut(ta, tb, to, lut)))
                return vsr_error_set(err, -ERANGE,
                                     "%s: %s: requant tflite: multiplier out of range; check "
                                     "the quantization parameters",
                                     g->name, nd->name);
            for (int k = 0; f >= 0 && k < 65536; k++)
                lut[k] = fl[(uint8_t)(lut[k] ^ 0x80)];
        }
        for (int q = 0; q < 256 && !tfl; q++)
            qb[q] = (int8_t)(q - 128);
        va.data = qa, vb.data = qb, vo.data = qa;
        if (!tfl)
            vsr__load_f32(&vb, 0, 256, b);
        for (int x = -128; x < 128 && !tfl; x++) {
            memset(qa, x, sizeof(qa));
            vsr__load_f32(&va, 0, 256, a);
            pixels(&t, nd, a, b, 256);
            vsr__store_f32(&vo, 0, 256, a);
            int8_t *row = lut + ((size_t)(uint8_t)x << 8);
            for (int q = 0; q < 256; q++)
                row[(uint8_t)qb[q]] = f >= 0 ? fl[(uint8_t)(qa[q] ^ 0x80)] : qa[q];
        }
        if (f >= 0) { /* node i now writes f's tensor; f does not run */
            p->fuse_act[i] = f;
            p->dst[i] = f;
            p->exec[f] = 0;
        }
    }
    return 0;
}

/* ---- the ops: per-pixel float math and definitions ------------------------ */

static void relu_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    size_t m = (size_t)n * t->c;
    for (size_t k = 0; k < m; k++)
        a[k] = a[k] > 0.f ? a[k] : 0.f;
}

static void leaky_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    size_t m = (size_t)n * t->c;
    for (size_t k = 0; k < m; k++)
        a[k] = a[k] >= 0.f ? a[k] : t->nd->act.alpha * a[k];
}

static void prelu_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    int c = t->c;
    size_t m = (size_t)n * c;
    for (size_t k = 0; k < m; k++)
        a[k] = a[k] >= 0.f ? a[k] : t->pw[k % (size_t)c] * a[k];
}

static void gelu_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    size_t m = (size_t)n * t->c;
    for (size_t k = 0; k < m; k++)
        a[k] = gelu(a[k]);
}

static void sigmoid_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    size_t m = (size_t)n * t->c;
    for (size_t k = 0; k < m; k++)
        a[k] = 1.f / (1.f + expf(-a[k]));
}

static void clip_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    size_t m = (size_t)n * t->c;
    /* fminf(fmaxf(v, lo), hi) without the libm calls (NaN -> lo, as fmaxf) */
    float lo = t->nd->act.lo, hi = t->nd->act.hi;
    for (size_t k = 0; k < m; k++) {
        float v = a[k] > lo ? a[k] : lo;
        a[k] = v < hi ? v : hi;
    }
}

static void scale_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    size_t m = (size_t)n * t->c;
    for (size_t k = 0; k < m; k++)
        a[k] = t->nd->f0 * a[k] + t->nd->f1;
}

static void add_mul_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    int c = t->c;
    size_t m = (size_t)n * c;
    for (size_t k = 0; k < m; k++) {
        float bv = t->bmode == 0 ? b[k] : t->bmode == 1 ? b[k / (size_t)c] : b[k % (size_t)c];
        a[k] = t->nd->op == VSR_OP_ADD ? a[k] + bv : a[k] * bv;
    }
}

static void batch_norm_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    int c = t->c; /* pw: scale[c], shift[c] */
    size_t m = (size_t)n * c;
    for (size_t k = 0; k < m; k++)
        a[k] = a[k] * t->pw[k % (size_t)c] + t->pw[c + k % (size_t)c];
}

static void layer_norm_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    int c = t->c;
    for (int p = 0; p < n; p++) {
        float *x = a + (size_t)p * c;
        float mu = 0.f, var = 0.f;
        for (int k = 0; k < c; k++)
            mu += x[k];
        mu /= (float)c;
        for (int k = 0; k < c; k++)
            var += (x[k] - mu) * (x[k] - mu);
        var /= (float)c;
        float inv = 1.f / sqrtf(var + t->nd->f0);
        for (int k = 0; k < c; k++)
            x[k] = t->pw[k] * (x[k] - mu) * inv + t->pw[c + k];
    }
}

static void softmax_px(const vsr_ew_args *t, float *a, const float *b, int n)
{
    (void)b;
    int c = t->c;
    for (int p = 0; p < n; p++) {
        float *x = a + (size_t)p * c, mx = -INFINITY, s = 0.f;
        for (int k = 0; k < c; k++)
            mx = fmaxf(mx, x[k]);
        for (int k = 0; k < c; k++)
            s += (x[k] = expf(x[k] - mx));
        for (int k = 0; k < c; k++)
            x[k] /= s;
    }
}

static int add_mul_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                         vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]], *b = &shp[3 * nd->in[1]];
    if (!(a[0] == b[0] && a[1] == b[1] && (b[2] == a[2] || b[2] == 1)) &&
        !(b[0] == 1 && b[1] == 1 && b[2] == a[2]))
        return vsr_error_set(err, -EINVAL,
                             "%s: %s: shapes %dx%dx%d and %dx%dx%d do not broadcast "
                             "(b must match, have 1 channel, or be 1x1xC)",
                             g->name, nd->name, a[0], a[1], a[2], b[0], b[1], b[2]);
    memcpy(o, a, 3 * sizeof(int));
    return 0;
}

static void clip_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap)
{
    (void)shp;
    snprintf(buf, cap, "[%g,%g]", nd->act.lo, nd->act.hi);
}

/* ---- prepared parameters (e->pw[i]) ---------------------------------------- */

/* Store the n prepared floats p as e->pw[i] (owned by the engine), rounded to
 * binary16 in FP16. p = NULL: out of memory. */
static int pw_store(vsr_engine *e, int i, float *p, size_t n, vsr_error *err)
{
    if (!p)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", e->g->name);
    if (e->nprec[i] == VSR_PREC_FP16)
        for (size_t k = 0; k < n; k++)
            p[k] = vsr_f16_to_f32(vsr_f32_to_f16(p[k]));
    e->pw[i] = p;
    return 0;
}

/* PReLU: the slopes expanded to one per channel. */
static int prelu_prepare(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_node *nd = &e->g->nodes[i];
    int c = e->g->nodes[nd->in[0]].c;
    const vsr_wt *w = &e->g->wts[nd->w_first];
    float *p = malloc((size_t)c * sizeof(float));
    if (p)
        for (int k = 0; k < c; k++)
            p[k] = w[0].data[nd->i0 ? 0 : k];
    return pw_store(e, i, p, (size_t)c, err);
}

/* Layer norm: gamma[c], beta[c]. */
static int layer_norm_prepare(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_node *nd = &e->g->nodes[i];
    int c = e->g->nodes[nd->in[0]].c;
    const vsr_wt *w = &e->g->wts[nd->w_first];
    float *p = malloc((size_t)2 * c * sizeof(float));
    if (p) {
        memcpy(p, w[0].data, (size_t)c * sizeof(float));
        memcpy(p + c, w[1].data, (size_t)c * sizeof(float));
    }
    return pw_store(e, i, p, (size_t)2 * c, err);
}

/* Unfused batch norm: scale[c] = gamma / sqrt(var + eps), shift[c] = beta - mean * scale. */
static int batch_norm_prepare(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_graph *g = e->g;
    const vsr_node *nd = &g->nodes[i];
    int c = g->nodes[nd->in[0]].c;
    const vsr_wt *w = &g->wts[nd->w_first];
    float *p = malloc((size_t)2 * c * sizeof(float));
    if (p)
        for (int k = 0; k < c; k++) {
            float s = w[0].data[k] / sqrtf(w[3].data[k] + nd->f0);
            if (!isfinite(s)) {
                free(p);
                return vsr_error_set(err, -EINVAL,
                                     "%s: %s: batch norm scale of channel %d is not finite",
                                     g->name, nd->name, k);
            }
            p[k] = s;
            p[c + k] = w[1].data[k] - w[2].data[k] * s;
        }
    return pw_store(e, i, p, (size_t)2 * c, err);
}

#define EW_OP(id, nm, fl, ac, px, ...)                                                         \
    const vsr_op_def vsr__op_##id = {.name = nm,                                               \
                                     .flags = fl,                                              \
                                     .act = ac,                                                \
                                     .run = vsr__eltwise_run,                                  \
                                     .pixels = px,                                             \
                                     __VA_ARGS__}

EW_OP(relu, "relu", VSR_OPF_CONV_ACT | VSR_OPF_LUT, VSR_ACT_RELU, relu_px);
EW_OP(leaky_relu, "leaky_relu", VSR_OPF_CONV_ACT | VSR_OPF_LUT, VSR_ACT_LEAKY_RELU, leaky_px);
EW_OP(prelu, "prelu", VSR_OPF_CONV_ACT, VSR_ACT_PRELU, prelu_px, .prepare = prelu_prepare);
EW_OP(gelu, "gelu", VSR_OPF_LUT, VSR_OP_ACT_GELU, gelu_px);
EW_OP(sigmoid, "sigmoid", VSR_OPF_CONV_ACT | VSR_OPF_LUT, VSR_ACT_SIGMOID, sigmoid_px);
EW_OP(clip, "clip", VSR_OPF_CONV_ACT | VSR_OPF_LUT, VSR_ACT_CLIP, clip_px, .desc = clip_desc);
EW_OP(add, "add", 0, VSR_OP_ACT_NOT, add_mul_px, .infer = add_mul_infer);
EW_OP(mul, "mul", 0, VSR_OP_ACT_NOT, add_mul_px, .infer = add_mul_infer);
EW_OP(scale, "scale", VSR_OPF_LUT, VSR_OP_ACT_NOT, scale_px);
EW_OP(layer_norm, "layer_norm", 0, VSR_OP_ACT_NOT, layer_norm_px,
      .prepare = layer_norm_prepare);
EW_OP(batch_norm, "batch_norm", 0, VSR_OP_ACT_NOT, batch_norm_px,
      .prepare = batch_norm_prepare);
EW_OP(softmax, "softmax", VSR_OPF_KEEP_F32, VSR_OP_ACT_NOT, softmax_px);
